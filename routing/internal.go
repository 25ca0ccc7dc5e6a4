package routing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"pbx/refusal"
)

// InternalRingSeconds is how long an extension rings before the caller
// hears it was not answered.
const InternalRingSeconds = 30

// RunInternal rings the user with extension ext for a call placed by
// another user (from), bridges it if answered, and writes one record.
//
// A call nobody takes is refused (sip/refusal.go gives the answers):
//
//	refusal.NoSuchExtension  no user has that extension
//	refusal.Unavailable      the user has no device registered
//	refusal.Busy             the user is on another call, or declined
//	refusal.NoAnswer         nobody answered in time
func (e *Engine) RunInternal(ctx context.Context, call Call, from, ext string, startedAt time.Time) {
	r, ctx := e.newRun(ctx, call, e.log.With("call_id", call.ID(), "from", from, "extension", ext),
		CallRecord{CallID: call.ID(), Direction: DirectionInternal, Type: CallMissed, From: from, To: ext, StartedAt: startedAt})
	defer r.cut(nil)
	r.finish(ctx, r.extension(ctx, ext))
}

func (r *run) extension(ctx context.Context, ext string) ending {
	u, err := r.e.dir.UserByExtension(ctx, ext)
	if errors.Is(err, ErrNotFound) {
		return ending{refused: refusal.NoSuchExtension, cause: CauseNoSuchNumber}
	}
	if err != nil {
		return r.internal(ctx, "find extension", err)
	}
	r.rec.OwnerUserID = &u.ID
	switch {
	case !r.e.presence.Registered(u.ID):
		return unconnected(OutcomeUnavailable)
	case r.e.presence.OnCall(u.ID):
		return unconnected(OutcomeBusy)
	}
	outcome, end := r.dial(ctx, []uint{u.ID}, InternalRingSeconds*time.Second, false)
	if end != nil {
		return *end
	}
	return unconnected(outcome)
}

// UserByExtension returns the user with extension ext, or ErrNotFound.
func (d *Directory) UserByExtension(ctx context.Context, ext string) (User, error) {
	var u User
	err := d.db.WithContext(ctx).Where("extension = ?", ext).Take(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return u, fmt.Errorf("extension %s: %w", ext, ErrNotFound)
	}
	return u, err
}
