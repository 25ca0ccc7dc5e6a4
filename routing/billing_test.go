package routing

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"pbx/money"
	"pbx/refusal"
)

// fakeMeter authorises calls while it has credit and pays increments of
// every until it has paid paidFor of them.
type fakeMeter struct {
	mu       sync.Mutex
	refuse   error
	every    time.Duration
	paidFor  int
	left     time.Duration
	asked    []Billable
	sessions []*fakeMetered
}

func (m *fakeMeter) Authorize(_ context.Context, b Billable) (Metered, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.asked = append(m.asked, b)
	if m.refuse != nil {
		return nil, m.refuse
	}
	s := &fakeMetered{m: m}
	m.sessions = append(m.sessions, s)
	return s, nil
}

func (m *fakeMeter) Charged(context.Context, string) (money.Credits, error) { return 0, nil }

type fakeMetered struct {
	m     *fakeMeter
	paid  int
	ended bool
}

func (s *fakeMetered) Start(ctx context.Context) (time.Duration, time.Duration, error) {
	return s.Next(ctx)
}

func (s *fakeMetered) Next(context.Context) (time.Duration, time.Duration, error) {
	if s.paid >= s.m.paidFor {
		return 0, 0, ErrInsufficientCredit
	}
	s.paid++
	return s.m.every, s.m.left, nil
}

func (s *fakeMetered) End() money.Credits { s.ended = true; return money.Credits(s.paid) * 10_000 }
func (s *fakeMetered) Rate() string       { return "0.01/min 1/1" }

func outboundEngine(t *testing.T, m *fakeMeter) (engineFixture, *Engine, *fakeCall) {
	t.Helper()
	fx := newEngineFixture(t)
	if _, err := fx.d.UpdateUser(context.Background(), alice, UserInput{AllowOutbound: ptr(true), CallerIDs: ptr([]string{"+15550001111"})}); err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
	call := &fakeCall{clock: clk}
	e := NewEngine(fx.d, everyone(), fx.h, slog.New(slog.NewTextHandler(io.Discard, nil)), clk.now, WithMeter(m))
	return fx, e, call
}

func TestOutboundWithoutCreditIsRefused(t *testing.T) {
	m := &fakeMeter{refuse: ErrInsufficientCredit}
	fx, e, call := outboundEngine(t, m)
	e.RunOutbound(context.Background(), call, "1001", "", "+4930123456", call.clock.now())
	if len(call.outbound) != 0 || !slices.Equal(call.refusals, []refusal.Reason{refusal.InsufficientCredit}) {
		t.Fatalf("dialed %v, refusals %v", call.outbound, call.refusals)
	}
	recs, _, _ := fx.h.List(context.Background(), CallFilter{})
	if len(recs) != 1 || recs[0].HangupCause != CauseNoCredit || recs[0].SIPCode != fakeFinal {
		t.Fatalf("records %+v", recs)
	}
	if len(m.asked) != 1 || m.asked[0].Direction != DirectionOutbound || m.asked[0].Number != "+4930123456" || m.asked[0].Ref != "1" {
		t.Fatalf("the meter was asked %+v", m.asked)
	}
}

// A bridged call whose credit ends is cut: the record says so and what it
// cost; the user heard the warning first.
func TestCallCutWhenCreditEnds(t *testing.T) {
	m := &fakeMeter{every: 20 * time.Millisecond, paidFor: 5, left: 30 * time.Second}
	fx, e, call := outboundEngine(t, m)
	call.hold = true
	e.RunOutbound(context.Background(), call, "1001", "", "+4930123456", call.clock.now())
	recs, _, _ := fx.h.List(context.Background(), CallFilter{})
	if len(recs) != 1 || recs[0].HangupCause != CauseCreditExhausted || recs[0].SIPCode != 200 ||
		recs[0].CreditsCharged != 50_000 || recs[0].Rate != "0.01/min 1/1" {
		t.Fatalf("records %+v", recs)
	}
	if call.warnings.Load() != 1 || !m.sessions[0].ended {
		t.Fatalf("warned %d times; session ended %v", call.warnings.Load(), m.sessions[0].ended)
	}
}

// An inbound carrier call with no credit hears why and is hung up; a call
// from a phone user to the same number costs nothing and is not metered.
func TestInboundWithoutCredit(t *testing.T) {
	m := &fakeMeter{refuse: ErrInsufficientCredit}
	doc := flowOf([]State{user("alice", alice)})
	mr := runMedia(t, doc, everyone(), map[uint]error{alice: nil}, func(r *mediaRun) { r.e.meter = m })
	if len(mr.call.dials) != 0 || mr.rec.HangupCause != CauseNoCredit || mr.call.answers != 1 || len(mr.call.played()) != 1 {
		t.Fatalf("dialed %v, answered %d, played %v, record %+v", mr.call.dials, mr.call.answers, mr.call.played(), mr.rec)
	}
	if len(m.asked) != 1 || m.asked[0].Direction != DirectionInbound || m.asked[0].NumberType != NumberTollFree {
		t.Fatalf("asked %+v", m.asked)
	}
}

// A carrier call refused for credit whose caller hangs up while told why
// is still a call refused for credit, not one the caller ended.
func TestInboundWithoutCreditCallerLeavesDuringThePrompt(t *testing.T) {
	m := &fakeMeter{refuse: ErrInsufficientCredit}
	doc := flowOf([]State{user("alice", alice)})
	mr := runMedia(t, doc, everyone(), map[uint]error{alice: nil}, func(r *mediaRun) {
		r.e.meter = m
		r.call.playFor = time.Hour
		r.call.onPlay = func(int) { r.call.cancel() }
	})
	if mr.rec.HangupCause != CauseNoCredit || mr.call.answers != 1 || len(mr.call.played()) != 1 {
		t.Fatalf("answered %d, played %v, record %+v", mr.call.answers, mr.call.played(), mr.rec)
	}
}
