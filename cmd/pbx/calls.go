package main

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"time"

	"pbx/routing"
	"pbx/sip"
)

// router hands admitted calls from the SIP edge to the flow engine: calls
// from a trunk to the number's flow, calls from a phone user to the
// extension dialed (or, for one of our numbers, to its flow).
type router struct {
	engine *routing.Engine
}

func (r *router) Route(ctx context.Context, c *sip.Call, in sip.Inbound) {
	call := engineCall{c}
	if in.TrunkID != 0 || strings.HasPrefix(in.To, "+") {
		r.engine.Run(ctx, call, routing.Inbound{From: in.From, To: in.To, TrunkID: in.TrunkID, StartedAt: c.Started()})
		return
	}
	r.engine.RunInternal(ctx, call, in.From, in.To, c.Started())
}

// engineCall is a SIP call as the engine sees it: the same operations, with
// the SIP edge's outcomes named as the engine's.
type engineCall struct{ *sip.Call }

func (c engineCall) Dial(ctx context.Context, users []uint, timeout time.Duration) (uint, error) {
	by, err := c.Call.Dial(ctx, users, timeout)
	switch {
	case errors.Is(err, sip.ErrBusy):
		err = routing.ErrBusy
	case errors.Is(err, sip.ErrUnavailable):
		err = routing.ErrUnavailable
	case errors.Is(err, sip.ErrNoAnswer):
		err = routing.ErrNoAnswer
	}
	return by, err
}

// mediaIP is the address media sockets bind: the SIP listening address when
// it names one, else all addresses.
func mediaIP(sipAddr string) netip.Addr {
	if ap, err := netip.ParseAddrPort(sipAddr); err == nil && !ap.Addr().IsUnspecified() {
		return ap.Addr()
	}
	return netip.IPv4Unspecified()
}
