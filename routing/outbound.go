package routing

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"time"

	"gorm.io/gorm"

	"pbx/refusal"
)

// OutboundRingSeconds is how long an outbound call may ring at the far end.
const OutboundRingSeconds = 60

var dialable = regexp.MustCompile(`^\+?[0-9]{3,15}$`)

// RunOutbound places a phone user's call to an outside number through a
// carrier trunk, and writes one record (direction outbound, type outgoing,
// owned by the user).
//
// The caller ID shown is the number the phone presented when it is one of
// the user's caller IDs, or any E.164 number when the user may use a custom
// one; otherwise the user's first caller ID. The call goes out through the
// trunk of that number when it is one of ours, else the first enabled trunk.
//
// A call that does not go through is refused (sip/refusal.go gives the
// answers):
//
//	refusal.OutboundNotAllowed  the user may not call out
//	refusal.NoCallerID          the user has no number to show
//	refusal.NotDialable         the number dialed is not a phone number
//	refusal.Busy, NoAnswer      the far end was busy or did not answer
//	refusal.TrunkUnavailable    no trunk, or the carrier refused the call
//	refusal.InsufficientCredit  the company's credit cannot pay for it
//	refusal.NoRate              no rate prices the destination
func (e *Engine) RunOutbound(ctx context.Context, call Call, sipUser, presented, to string, startedAt time.Time) {
	r, ctx := e.newRun(ctx, call, e.log.With("call_id", call.ID(), "user", sipUser, "to", to),
		CallRecord{CallID: call.ID(), Direction: DirectionOutbound, Type: CallOutgoing, From: sipUser, To: to, StartedAt: startedAt})
	defer r.cut(nil)
	r.finish(ctx, r.outbound(ctx, sipUser, presented, to))
}

func (r *run) outbound(ctx context.Context, sipUser, presented, to string) ending {
	u, err := r.e.dir.UserBySIPUsername(ctx, sipUser)
	if err != nil {
		return r.internal(ctx, "find calling user", err)
	}
	r.rec.OwnerUserID = &u.ID
	if !u.AllowOutbound {
		return ending{refused: refusal.OutboundNotAllowed, cause: CauseNotAllowed}
	}
	if !dialable.MatchString(to) {
		return ending{refused: refusal.NotDialable, cause: CauseNoSuchNumber}
	}
	callerID := chooseCallerID(u, presented)
	if callerID == "" {
		return ending{refused: refusal.NoCallerID, cause: CauseNotAllowed}
	}
	r.rec.From = callerID
	r.rec.Number = callerID // the number of ours the call is made from
	var trunk uint
	var n Number
	switch err := r.e.dir.db.WithContext(ctx).Where("e164 = ?", callerID).Take(&n).Error; {
	case err == nil && n.TrunkID != nil:
		trunk = *n.TrunkID
	case err != nil && !errors.Is(err, gorm.ErrRecordNotFound):
		return r.internal(ctx, "find caller id number", err)
	}
	if to[0] != '+' {
		to = "+" + to
	}
	if end := r.authorize(ctx, DirectionOutbound, to, ""); end != nil {
		return *end
	}
	if err := r.call.Ring(); err != nil && ctx.Err() == nil {
		r.log.Debug("send ringing", "error", err)
	}
	r.show(LiveRinging, State{})
	via, err := r.call.DialOut(ctx, trunk, to, callerID, OutboundRingSeconds*time.Second)
	if via != 0 {
		r.rec.TrunkID = &via
	}
	switch {
	case ctx.Err() != nil:
		return ending{cause: CauseCallerHungUp}
	case errors.Is(err, ErrBusy):
		return ending{refused: refusal.Busy, cause: CauseBusy}
	case errors.Is(err, ErrNoAnswer):
		return ending{refused: refusal.NoAnswer, cause: CauseNoAnswer}
	case errors.Is(err, ErrUnavailable):
		return ending{refused: refusal.TrunkUnavailable, cause: CauseUnavailable}
	case err != nil:
		return r.internal(ctx, "dial out", err)
	}
	at := r.e.now()
	r.rec.AnsweredAt = &at
	r.show(LiveConnected, State{})
	r.startMetering(ctx)
	if u.RecordOutbound {
		r.record(ctx, 2, "")
	}
	r.save(ctx)
	return ending{answered: true, cause: causeOf(r.call.Wait(ctx))}
}

// chooseCallerID applies the caller ID rules to what the phone presented.
func chooseCallerID(u User, presented string) string {
	if slices.Contains(u.CallerIDs, presented) {
		return presented
	}
	if u.AllowCustomCallerID && e164Re.MatchString(presented) {
		return presented
	}
	if len(u.CallerIDs) > 0 {
		return u.CallerIDs[0]
	}
	return ""
}

// RunUserCall takes a call placed by a phone user (sipUser, presenting
// presented as its number) to to: another user's extension, one of our
// numbers (its flow runs), or an outside number (through a trunk).
//
// A database error while deciding is refused as internal and recorded: an
// extension must never go out through the carrier because it could not be
// looked up.
func (e *Engine) RunUserCall(ctx context.Context, call Call, sipUser, presented, to string, startedAt time.Time) {
	_, err := e.dir.UserByExtension(ctx, to)
	switch {
	case err == nil:
		e.RunInternal(ctx, call, sipUser, to, startedAt)
		return
	case !errors.Is(err, ErrNotFound):
		e.failUserCall(ctx, call, sipUser, to, startedAt, "find extension", err)
		return
	}
	if _, err := e.dir.PublishedFlowForNumber(ctx, to); errors.Is(err, ErrNoSuchNumber) {
		e.RunOutbound(ctx, call, sipUser, presented, to, startedAt)
		return
	}
	// One of our numbers, or an error looking it up: Run says which.
	e.Run(ctx, call, Inbound{From: sipUser, To: to, StartedAt: startedAt})
}

// failUserCall ends a phone user's call that could not be routed because of
// an error of ours, and records it.
func (e *Engine) failUserCall(ctx context.Context, call Call, sipUser, to string, startedAt time.Time, what string, err error) {
	rec := CallRecord{CallID: call.ID(), Direction: DirectionOutbound, Type: CallOutgoing, From: sipUser, To: to, StartedAt: startedAt}
	if u, uerr := e.dir.UserBySIPUsername(ctx, sipUser); uerr == nil {
		rec.OwnerUserID = &u.ID
	}
	r, ctx := e.newRun(ctx, call, e.log.With("call_id", call.ID(), "user", sipUser, "to", to), rec)
	defer r.cut(nil)
	r.finish(ctx, r.internal(ctx, what, err))
}
