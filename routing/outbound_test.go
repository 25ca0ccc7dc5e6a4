package routing

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"pbx/refusal"
)

// DialOut makes fakeCall a routing.Call for outbound calls: the far end
// does what dialOut says (nil answers). It goes through the trunk asked
// for, or trunk 1 when any will do.
func (c *fakeCall) DialOut(ctx context.Context, trunk uint, to, callerID string, timeout time.Duration) (uint, error) {
	c.outbound = append(c.outbound, callerID+">"+to)
	if c.dialOut == nil {
		c.clock.advance(5 * time.Second)
	}
	if trunk == 0 {
		trunk = 1
	}
	return trunk, c.dialOut
}

func TestOutboundCalls(t *testing.T) {
	tests := []struct {
		name      string
		user      UserInput
		presented string
		to        string
		dialOut   error
		refused   refusal.Reason
		dialed    []string
		code      int
	}{
		{name: "allowed, presents one of its numbers", user: UserInput{AllowOutbound: ptr(true), CallerIDs: ptr([]string{"+15550001111", "+15550002222"})},
			presented: "+15550002222", to: "+4930123456", dialed: []string{"+15550002222>+4930123456"}, code: 200},
		{name: "presented number not its own: first caller ID", user: UserInput{AllowOutbound: ptr(true), CallerIDs: ptr([]string{"+15550001111"})},
			presented: "+19995550000", to: "4930123456", dialed: []string{"+15550001111>+4930123456"}, code: 200},
		{name: "custom caller ID allowed", user: UserInput{AllowOutbound: ptr(true), AllowCustomCallerID: ptr(true), CallerIDs: ptr([]string{"+15550001111"})},
			presented: "+18005550199", to: "+4930123456", dialed: []string{"+18005550199>+4930123456"}, code: 200},
		{name: "outbound not allowed", user: UserInput{CallerIDs: ptr([]string{"+15550001111"})}, to: "+4930123456",
			refused: refusal.OutboundNotAllowed, code: fakeFinal},
		{name: "no caller ID", user: UserInput{AllowOutbound: ptr(true)}, to: "+4930123456",
			refused: refusal.NoCallerID, code: fakeFinal},
		{name: "not a number", user: UserInput{AllowOutbound: ptr(true), CallerIDs: ptr([]string{"+15550001111"})}, to: "sales",
			refused: refusal.NotDialable, code: fakeFinal},
		{name: "far end busy", user: UserInput{AllowOutbound: ptr(true), CallerIDs: ptr([]string{"+15550001111"})}, to: "+4930123456",
			dialOut: ErrBusy, dialed: []string{"+15550001111>+4930123456"}, refused: refusal.Busy, code: fakeFinal},
		{name: "carrier refuses", user: UserInput{AllowOutbound: ptr(true), CallerIDs: ptr([]string{"+15550001111"})}, to: "+4930123456",
			dialOut: ErrUnavailable, dialed: []string{"+15550001111>+4930123456"}, refused: refusal.TrunkUnavailable, code: fakeFinal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newEngineFixture(t)
			ctx := context.Background()
			ownNumbers(t, fx.d, "+15550002222")
			if _, err := fx.d.UpdateUser(ctx, alice, tt.user); err != nil {
				t.Fatal(err)
			}
			clk := &clock{t: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
			call := &fakeCall{clock: clk, dialOut: tt.dialOut}
			e := NewEngine(fx.d, everyone(), fx.h, slog.New(slog.NewTextHandler(io.Discard, nil)), clk.now)
			e.RunOutbound(ctx, call, "1001", tt.presented, tt.to, clk.now())
			if !refusedFor(call.refusals, tt.refused) || !slices.Equal(call.outbound, tt.dialed) {
				t.Fatalf("refusals %v dialed %v; want %q %v", call.refusals, call.outbound, tt.refused, tt.dialed)
			}
			recs, total, _ := fx.h.List(ctx, CallFilter{})
			if total != 1 || recs[0].Direction != DirectionOutbound || recs[0].Type != CallOutgoing || recs[0].SIPCode != tt.code ||
				recs[0].OwnerUserID == nil || *recs[0].OwnerUserID != alice {
				t.Fatalf("records %+v", recs)
			}
			// A call that went out names the trunk and our number it went from.
			if len(tt.dialed) > 0 {
				from, _, _ := strings.Cut(tt.dialed[0], ">")
				if deref(recs[0].TrunkID) != 1 || recs[0].Number != from || recs[0].From != from {
					t.Errorf("record trunk %d number %q from %q, want trunk 1 and %q", deref(recs[0].TrunkID), recs[0].Number, recs[0].From, from)
				}
			}
		})
	}
}

// A database error while looking up the extension dialed is the PBX's
// error: the call is refused as an internal error and recorded, never sent
// out through the carrier as a number (1002 as +1002).
func TestUserCallLookupErrorDoesNotDialOut(t *testing.T) {
	fx := newEngineFixture(t)
	ctx := context.Background()
	if _, err := fx.d.UpdateUser(ctx, alice, UserInput{AllowOutbound: ptr(true), CallerIDs: ptr([]string{"+15550001111"})}); err != nil {
		t.Fatal(err)
	}
	// The database fails the extension lookup, and only it.
	err := fx.d.db.Callback().Query().After("gorm:query").Register("fail_extension", func(tx *gorm.DB) {
		if strings.Contains(tx.Statement.SQL.String(), "extension") {
			tx.AddError(errors.New("database is locked"))
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
	call := &fakeCall{clock: clk}
	e := NewEngine(fx.d, everyone(), fx.h, slog.New(slog.NewTextHandler(io.Discard, nil)), clk.now)
	e.RunUserCall(ctx, call, "1001", "", "1002", clk.now())
	if len(call.outbound) != 0 || !slices.Equal(call.refusals, []refusal.Reason{refusal.Internal}) {
		t.Fatalf("dialed out %v, refusals %v; want no dial out and an internal error", call.outbound, call.refusals)
	}
	recs, total, err := fx.h.List(ctx, CallFilter{})
	if err != nil || total != 1 || deref(recs[0].OwnerUserID) != alice || recs[0].HangupCause != CauseInternal || recs[0].SIPCode != fakeFinal {
		t.Fatalf("records %+v (%v)", recs, err)
	}
}
