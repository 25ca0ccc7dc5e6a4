package routing

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"
)

// DialOut makes fakeCall a routing.Call for outbound calls: the far end
// does what dialOut says (nil answers).
func (c *fakeCall) DialOut(ctx context.Context, trunk uint, to, callerID string, timeout time.Duration) error {
	c.outbound = append(c.outbound, callerID+">"+to)
	if c.dialOut == nil {
		c.clock.advance(5 * time.Second)
	}
	return c.dialOut
}

func TestOutboundCalls(t *testing.T) {
	tests := []struct {
		name      string
		user      UserInput
		presented string
		to        string
		dialOut   error
		reject    []string
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
			reject: []string{"403 Outbound Calls Not Allowed"}, code: 403},
		{name: "no caller ID", user: UserInput{AllowOutbound: ptr(true)}, to: "+4930123456",
			reject: []string{"403 No Caller ID"}, code: 403},
		{name: "not a number", user: UserInput{AllowOutbound: ptr(true), CallerIDs: ptr([]string{"+15550001111"})}, to: "sales",
			reject: []string{"404 Not Found"}, code: 404},
		{name: "far end busy", user: UserInput{AllowOutbound: ptr(true), CallerIDs: ptr([]string{"+15550001111"})}, to: "+4930123456",
			dialOut: ErrBusy, dialed: []string{"+15550001111>+4930123456"}, reject: []string{"486 Busy Here"}, code: 486},
		{name: "carrier refuses", user: UserInput{AllowOutbound: ptr(true), CallerIDs: ptr([]string{"+15550001111"})}, to: "+4930123456",
			dialOut: ErrUnavailable, dialed: []string{"+15550001111>+4930123456"}, reject: []string{"503 Service Unavailable"}, code: 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newEngineFixture(t)
			ctx := context.Background()
			if _, err := fx.d.UpdateUser(ctx, alice, tt.user); err != nil {
				t.Fatal(err)
			}
			clk := &clock{t: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
			call := &fakeCall{clock: clk, dialOut: tt.dialOut}
			e := NewEngine(fx.d, everyone(), fx.h, slog.New(slog.NewTextHandler(io.Discard, nil)), clk.now)
			e.RunOutbound(ctx, call, "1001", tt.presented, tt.to, clk.now())
			if !slices.Equal(call.rejects, tt.reject) || !slices.Equal(call.outbound, tt.dialed) {
				t.Fatalf("rejects %v dialed %v; want %v %v", call.rejects, call.outbound, tt.reject, tt.dialed)
			}
			recs, total, _ := fx.h.List(ctx, CallFilter{})
			if total != 1 || recs[0].Direction != DirectionOutbound || recs[0].Type != CallOutgoing || recs[0].SIPCode != tt.code ||
				recs[0].OwnerUserID == nil || *recs[0].OwnerUserID != alice {
				t.Fatalf("records %+v", recs)
			}
		})
	}
}
