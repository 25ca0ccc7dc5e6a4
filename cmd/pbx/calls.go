package main

import (
	"context"
	"errors"
	"net/netip"
	"time"

	"pbx/routing"
	"pbx/sip"
)

// router hands admitted calls from the SIP edge to the flow engine: calls
// from a trunk to the number's flow; calls from a phone user to the
// extension dialed, one of our numbers' flow, or out through a trunk.
type router struct {
	engine *routing.Engine
}

func (r *router) Route(ctx context.Context, c *sip.Call, in sip.Inbound) {
	// The engine hears why the call's context ended in its own words.
	ectx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	defer cancel(nil)
	stop := context.AfterFunc(ctx, func() { cancel(outcome(context.Cause(ctx))) })
	defer stop()
	ctx = ectx
	call := engineCall{c}
	if in.TrunkID != 0 {
		r.engine.Run(ctx, call, routing.Inbound{From: in.From, To: in.To, TrunkID: in.TrunkID, StartedAt: c.Started()})
		return
	}
	r.engine.RunUserCall(ctx, call, in.From, in.Presented, in.To, c.Started())
}

// engineCall is a SIP call as the engine sees it: the same operations, with
// the SIP edge's outcomes named as the engine's.
type engineCall struct{ *sip.Call }

func (c engineCall) Dial(ctx context.Context, users []uint, timeout time.Duration) (uint, error) {
	by, err := c.Call.Dial(ctx, users, timeout)
	return by, outcome(err)
}

func (c engineCall) DialOut(ctx context.Context, trunk uint, to, callerID string, timeout time.Duration) (uint, error) {
	via, err := c.Call.DialOut(ctx, trunk, to, callerID, timeout)
	return via, outcome(err)
}

func (c engineCall) Answer(ctx context.Context) error {
	return outcome(c.Call.Answer(ctx))
}

func (c engineCall) Wait(ctx context.Context) error {
	return outcome(c.Call.Wait(ctx))
}

// outcome names the SIP edge's call outcomes as the engine's.
func outcome(err error) error {
	switch {
	case errors.Is(err, sip.ErrBusy):
		return routing.ErrBusy
	case errors.Is(err, sip.ErrUnavailable):
		return routing.ErrUnavailable
	case errors.Is(err, sip.ErrOverloaded):
		return routing.ErrOverloaded
	case errors.Is(err, sip.ErrNoAnswer):
		return routing.ErrNoAnswer
	case errors.Is(err, sip.ErrCallerGone):
		return routing.ErrCallerHungUp
	case errors.Is(err, sip.ErrCalleeGone):
		return routing.ErrCalleeHungUp
	case errors.Is(err, sip.ErrShutdown):
		return routing.ErrServerStopping
	}
	return err
}

// mediaIP is the address media sockets bind: the SIP listening address when
// it names one, else all addresses.
func mediaIP(sipAddr string) netip.Addr {
	if ap, err := netip.ParseAddrPort(sipAddr); err == nil && !ap.Addr().IsUnspecified() {
		return ap.Addr()
	}
	return netip.IPv4Unspecified()
}
