package routing

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"pbx/media"
	"pbx/refusal"
)

// Users of the engine tests, created in this order so their ids are 1 to 4.
const (
	alice uint = iota + 1
	bob
	carol
	dave
)

// clock is a fake time source the fake call moves forward.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fakePresence says who is registered, on a call, and since when.
type fakePresence struct {
	registered map[uint]time.Time // user -> logged in at
	onCall     map[uint]bool
}

func (p fakePresence) Registered(u uint) bool { _, ok := p.registered[u]; return ok }
func (p fakePresence) OnCall(u uint) bool     { return p.onCall[u] }

// Roster sorts the registered members by login time; its channel is closed
// already, since tests change the fake between calls.
func (p fakePresence) Roster(members []uint) ([]uint, <-chan struct{}) {
	var out []uint
	for _, m := range members {
		if _, ok := p.registered[m]; ok {
			out = append(out, m)
		}
	}
	slices.SortStableFunc(out, func(a, b uint) int { return p.registered[a].Compare(p.registered[b]) })
	changed := make(chan struct{})
	close(changed)
	return out, changed
}

func (p fakePresence) NextFree(users []uint, from int) int {
	for i := max(from, 0); i < len(users); i++ {
		if !p.onCall[users[i]] {
			return i
		}
	}
	return -1
}

// everyone returns a presence where all four users are registered, in
// the order alice, bob, carol, dave, and nobody is on a call.
// away unregisters users.
func away(p fakePresence, users ...uint) fakePresence {
	for _, u := range users {
		delete(p.registered, u)
	}
	return p
}

// busy puts users on a call.
func busy(p fakePresence, users ...uint) fakePresence {
	for _, u := range users {
		p.onCall[u] = true
	}
	return p
}

func everyone() fakePresence {
	p := fakePresence{registered: map[uint]time.Time{}, onCall: map[uint]bool{}}
	for u := alice; u <= dave; u++ {
		p.registered[u] = time.Date(2025, 3, 1, 8, int(u), 0, 0, time.UTC)
	}
	return p
}

// dialResult is what one user does when rung: answer (nil), or an error.
// hangUp makes the caller hang up while the phones ring.
var hangUp = errors.New("caller hangs up while ringing")

// fakeCall plays the SIP side: each dial gets the result scripted for the
// first user rung (or answers with the first user scripted nil).
type fakeCall struct {
	clock   *clock
	results map[uint]error // user -> result; a user left out does not answer
	cancel  context.CancelFunc

	rings    int
	dials    [][]uint
	outbound []string // callerID>to of each DialOut
	dialOut  error    // what the far end of DialOut does
	timeouts []time.Duration
	waited   bool
	ends     error // why the bridged call ends (Wait's answer); nil: the caller hung up
	hold     bool  // Wait holds the call until its context ends
	warnings atomic.Int32
	refusals []refusal.Reason
}

func (c *fakeCall) ID() string { return "call-1@test" }

func (c *fakeCall) Ring() error { c.rings++; return nil }

func (c *fakeCall) Dial(ctx context.Context, users []uint, timeout time.Duration) (uint, error) {
	c.dials = append(c.dials, slices.Clone(users))
	c.timeouts = append(c.timeouts, timeout)
	for _, u := range users {
		res, ok := c.results[u]
		switch {
		case !ok:
			continue
		case errors.Is(res, hangUp):
			c.cancel()
			<-ctx.Done()
			return 0, context.Cause(ctx)
		case res == nil:
			c.clock.advance(5 * time.Second)
			return u, nil
		default:
			return 0, res
		}
	}
	c.clock.advance(timeout)
	return 0, ErrNoAnswer
}

func (c *fakeCall) Wait(ctx context.Context) error {
	c.waited = true
	if c.hold {
		<-ctx.Done()
		return context.Cause(ctx)
	}
	c.clock.advance(42 * time.Second)
	if c.ends != nil {
		return c.ends
	}
	return ErrCallerHungUp
}

func (c *fakeCall) Warn(context.Context) error { c.warnings.Add(1); return nil }

func (c *fakeCall) Refuse(r refusal.Reason) error {
	c.refusals = append(c.refusals, r)
	return nil
}

// fakeFinal is the status the fake says a refusal was answered: no real
// one, so that a record showing it shows the engine asked the call.
const fakeFinal = 999

func (c *fakeCall) FinalCode() int {
	if len(c.refusals) > 0 {
		return fakeFinal
	}
	return 0
}

// refusedFor reports whether the call was refused once, for want, or
// never when want is empty.
func refusedFor(got []refusal.Reason, want refusal.Reason) bool {
	if want == "" {
		return len(got) == 0
	}
	return slices.Equal(got, []refusal.Reason{want})
}

// The transfer tests never reach a state that answers the caller itself;
// mediaCall (media_test.go) scripts those.
func (c *fakeCall) Answer(context.Context) error            { return errors.New("unexpected answer") }
func (c *fakeCall) Play(context.Context, *media.Clip) error { return errors.New("unexpected play") }
func (c *fakeCall) Keys() <-chan rune                       { return nil }
func (c *fakeCall) Record(*media.Recorder)                  {}

const engineNumber = "+15550001111"

// engineFixture is a directory with four users, a group of them all (in
// the order alice, bob, carol, dave) and a number.
type engineFixture struct {
	d     *Directory
	h     *History
	group uint
}

func newEngineFixture(t *testing.T) engineFixture {
	t.Helper()
	ctx := context.Background()
	d := testDirectory(t)
	var members []uint
	for i, name := range []string{"Alice", "Bob", "Carol", "Dave"} {
		u, err := d.CreateUser(ctx, UserInput{Name: ptr(name), Extension: ptr(fmt.Sprint(1001 + i)), SIPPassword: ptr("secret-pass")})
		if err != nil {
			t.Fatal(err)
		}
		if u.ID != uint(i+1) {
			t.Fatalf("%s has id %d", name, u.ID)
		}
		members = append(members, u.ID)
	}
	g, err := d.CreateGroup(ctx, GroupInput{Name: ptr("Everyone"), MemberIDs: ptr(members)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.CreateNumber(ctx, NumberInput{E164: ptr(engineNumber), Type: ptr(NumberTollFree), Country: ptr("US")}); err != nil {
		t.Fatal(err)
	}
	return engineFixture{d: d, h: NewHistory(d.db, nil), group: g.ID}
}

// publish stores doc as the flow of engineNumber and publishes it.
func (fx engineFixture) publish(t testing.TB, doc Document) uint {
	t.Helper()
	doc.Name = "Test"
	doc.Numbers = []string{engineNumber}
	f, err := fx.d.CreateFlow(context.Background(), doc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fx.d.PublishFlow(context.Background(), f.ID); err != nil {
		t.Fatal(err)
	}
	return f.ID
}

// flowOf builds a flow: start leads to the first state, and each
// connection is "from outcome to".
func flowOf(states []State, conns ...string) Document {
	doc := Document{States: append([]State{{ID: "start", Type: StateStart}}, states...)}
	doc.Connections = append(doc.Connections, Connection{From: "start", Outcome: OutcomeNext, To: states[0].ID})
	for _, c := range conns {
		var from, outcome, to string
		if _, err := fmt.Sscan(c, &from, &outcome, &to); err != nil {
			panic(err)
		}
		doc.Connections = append(doc.Connections, Connection{From: from, Outcome: outcome, To: to})
	}
	return doc
}

func user(id string, u uint) State {
	return State{ID: id, Type: StateTransferUser, UserID: u, RingSeconds: 15}
}

func TestEngine(t *testing.T) {
	// alice's exits each lead to another user, so the exit taken shows in
	// who is dialed next; the others' exits lead nowhere.
	toAlice := flowOf([]State{user("alice", alice), user("bob", bob), user("carol", carol), user("dave", dave)},
		"alice busy bob", "alice unavailable carol", "alice timeout dave")
	justAlice := flowOf([]State{user("alice", alice)})
	group := func(ring string) Document {
		return flowOf([]State{{ID: "g", Type: StateTransferGroup, GroupID: 1, Ring: ring, RingSeconds: 10}})
	}
	// loginOrder makes users log in in the order given.
	loginOrder := func(p fakePresence, users ...uint) fakePresence {
		for i, u := range users {
			p.registered[u] = time.Date(2025, 3, 1, 7, i, 0, 0, time.UTC)
		}
		return p
	}
	const s15, s10 = 15 * time.Second, 10 * time.Second

	tests := []struct {
		name     string
		flow     *Document // nil: the number has no flow
		setup    func(t *testing.T, fx engineFixture, flowID uint)
		to       string // "" is engineNumber
		presence fakePresence
		results  map[uint]error

		refused  refusal.Reason // "" when the call is not refused
		dials    [][]uint
		timeouts []time.Duration
		typ      string
		owner    uint // 0: none
		cause    string
		code     int
		duration int
		ends     error // why the answered call ends; nil: the caller hung up
	}{
		{name: "unknown number", to: "+15559999999", presence: everyone(),
			refused: refusal.NoSuchNumber, typ: CallMissed, cause: CauseNoSuchNumber, code: fakeFinal},
		{name: "number without flow", presence: everyone(),
			refused: refusal.NoFlow, typ: CallMissed, cause: CauseNoFlow, code: fakeFinal},
		{name: "disabled flow", flow: &justAlice, presence: everyone(),
			setup: func(t *testing.T, fx engineFixture, id uint) {
				if _, err := fx.d.SetFlowEnabled(context.Background(), id, false); err != nil {
					t.Fatal(err)
				}
			},
			refused: refusal.FlowDisabled, typ: CallMissed, cause: CauseFlowDisabled, code: fakeFinal},
		{name: "flow never published", presence: everyone(),
			setup: func(t *testing.T, fx engineFixture, _ uint) {
				ctx := context.Background()
				f, err := fx.d.CreateFlow(ctx, Document{Name: "Draft", States: []State{{ID: "start", Type: StateStart}}})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := fx.d.UpdateNumber(ctx, 1, NumberInput{FlowID: Link{Set: true, ID: &f.ID}}); err != nil {
					t.Fatal(err)
				}
			},
			refused: refusal.FlowNotPublished, typ: CallMissed, cause: CauseNotPublished, code: fakeFinal},
		{name: "user answers, then hangs up", flow: &toAlice, presence: everyone(), results: map[uint]error{alice: nil},
			dials: [][]uint{{alice}}, timeouts: []time.Duration{s15}, ends: ErrCalleeHungUp,
			typ: CallIncoming, owner: alice, cause: CauseCalleeHungUp, code: 200, duration: 42},
		{name: "user answers, audio stops", flow: &toAlice, presence: everyone(), results: map[uint]error{alice: nil},
			dials: [][]uint{{alice}}, timeouts: []time.Duration{s15}, ends: fmt.Errorf("relay: %w", media.ErrDeadMedia),
			typ: CallIncoming, owner: alice, cause: CauseNoMedia, code: 200, duration: 42},
		{name: "user on a call takes the busy exit", flow: &toAlice, presence: busy(everyone(), alice),
			results: map[uint]error{bob: nil},
			dials:   [][]uint{{bob}}, timeouts: []time.Duration{s15},
			typ: CallIncoming, owner: bob, cause: CauseCallerHungUp, code: 200, duration: 42},
		{name: "user whose phone says busy takes the busy exit", flow: &toAlice, presence: everyone(),
			results: map[uint]error{alice: ErrBusy, bob: nil},
			dials:   [][]uint{{alice}, {bob}}, timeouts: []time.Duration{s15, s15},
			typ: CallIncoming, owner: bob, cause: CauseCallerHungUp, code: 200, duration: 42},
		{name: "unregistered user takes the unavailable exit", flow: &toAlice, presence: away(everyone(), alice),
			results: map[uint]error{carol: nil},
			dials:   [][]uint{{carol}}, timeouts: []time.Duration{s15},
			typ: CallIncoming, owner: carol, cause: CauseCallerHungUp, code: 200, duration: 42},
		{name: "no answer takes the timeout exit, then ends", flow: &toAlice, presence: everyone(),
			dials: [][]uint{{alice}, {dave}}, timeouts: []time.Duration{s15, s15},
			refused: refusal.NoAnswer, typ: CallMissed, owner: dave, cause: CauseNoAnswer, code: fakeFinal},
		{name: "busy exit not connected", flow: &justAlice, presence: busy(everyone(), alice),
			refused: refusal.Busy, typ: CallMissed, owner: alice, cause: CauseBusy, code: fakeFinal},
		{name: "unavailable exit not connected", flow: &justAlice, presence: away(everyone(), alice),
			refused: refusal.Unavailable, typ: CallMissed, owner: alice, cause: CauseUnavailable, code: fakeFinal},
		{name: "device unavailable, exit not connected", flow: &justAlice, presence: everyone(),
			results: map[uint]error{alice: ErrUnavailable}, dials: [][]uint{{alice}}, timeouts: []time.Duration{s15},
			refused: refusal.Unavailable, typ: CallMissed, owner: alice, cause: CauseUnavailable, code: fakeFinal},
		{name: "a server out of media ports refuses at once as overloaded, taking no exit", flow: &toAlice, presence: everyone(),
			results: map[uint]error{alice: ErrOverloaded}, dials: [][]uint{{alice}}, timeouts: []time.Duration{s15},
			refused: refusal.Overloaded, typ: CallMissed, owner: alice, cause: CauseOverloaded, code: fakeFinal},
		{name: "parallel rings every available member once", flow: ptr(group(RingParallel)),
			presence: away(busy(everyone(), bob), dave),
			results:  map[uint]error{carol: nil},
			dials:    [][]uint{{alice, carol}}, timeouts: []time.Duration{s10},
			typ: CallIncoming, owner: carol, cause: CauseCallerHungUp, code: 200, duration: 42},
		{name: "parallel, nobody answers", flow: ptr(group(RingParallel)), presence: everyone(),
			dials: [][]uint{{alice, bob, carol, dave}}, timeouts: []time.Duration{s10},
			refused: refusal.NoAnswer, typ: CallMissed, cause: CauseNoAnswer, code: fakeFinal},
		{name: "parallel, every registered member busy", flow: ptr(group(RingParallel)),
			presence: away(busy(everyone(), alice, bob), carol, dave),
			refused:  refusal.Busy, typ: CallMissed, cause: CauseBusy, code: fakeFinal},
		{name: "parallel, nobody registered", flow: ptr(group(RingParallel)),
			presence: away(everyone(), alice, bob, carol, dave),
			refused:  refusal.Unavailable, typ: CallMissed, cause: CauseUnavailable, code: fakeFinal},
		{name: "sequential rings in login order, skipping busy and unregistered", flow: ptr(group(RingSequential)),
			presence: away(busy(loginOrder(everyone(), dave, carol, bob, alice), bob), carol),
			results:  map[uint]error{alice: nil},
			dials:    [][]uint{{dave}, {alice}}, timeouts: []time.Duration{s10, s10},
			typ: CallIncoming, owner: alice, cause: CauseCallerHungUp, code: 200, duration: 42},
		{name: "sequential, nobody answers", flow: ptr(group(RingSequential)),
			presence: loginOrder(everyone(), carol, alice, dave, bob),
			results:  map[uint]error{alice: ErrBusy},
			dials:    [][]uint{{carol}, {alice}, {dave}, {bob}}, timeouts: []time.Duration{s10, s10, s10, s10},
			refused: refusal.NoAnswer, typ: CallMissed, cause: CauseNoAnswer, code: fakeFinal},
		{name: "sequential, every phone busy", flow: ptr(group(RingSequential)), presence: busy(everyone(), alice, bob),
			results: map[uint]error{carol: ErrBusy, dave: ErrBusy},
			dials:   [][]uint{{carol}, {dave}}, timeouts: []time.Duration{s10, s10},
			refused: refusal.Busy, typ: CallMissed, cause: CauseBusy, code: fakeFinal},
		{name: "sequential, every phone unavailable", flow: ptr(group(RingSequential)), presence: away(everyone(), alice, bob),
			results: map[uint]error{carol: ErrUnavailable, dave: ErrUnavailable},
			dials:   [][]uint{{carol}, {dave}}, timeouts: []time.Duration{s10, s10},
			refused: refusal.Unavailable, typ: CallMissed, cause: CauseUnavailable, code: fakeFinal},
		{name: "caller hangs up while ringing", flow: &toAlice, presence: everyone(), results: map[uint]error{alice: hangUp},
			dials: [][]uint{{alice}}, timeouts: []time.Duration{s15},
			typ: CallMissed, owner: alice, cause: CauseCallerHungUp, code: recordedAbandoned},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newEngineFixture(t)
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			var flowID uint
			if tt.flow != nil {
				flowID = fx.publish(t, *tt.flow)
			}
			if tt.setup != nil {
				tt.setup(t, fx, flowID)
			}
			start := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
			clk := &clock{t: start.Add(time.Second)}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			call := &fakeCall{clock: clk, results: tt.results, cancel: cancel, ends: tt.ends}
			to := cmpOr(tt.to, engineNumber)
			e := NewEngine(fx.d, tt.presence, fx.h, slog.New(slog.NewTextHandler(io.Discard, nil)), clk.now)
			e.Run(ctx, call, Inbound{From: "+15551230000", To: to, TrunkID: 3, StartedAt: start})

			if !refusedFor(call.refusals, tt.refused) {
				t.Errorf("refused %q, want %q", call.refusals, tt.refused)
			}
			if !slices.EqualFunc(call.dials, tt.dials, slices.Equal) || !slices.Equal(call.timeouts, tt.timeouts) {
				t.Errorf("dialed %v for %v, want %v for %v", call.dials, call.timeouts, tt.dials, tt.timeouts)
			}
			if answered := tt.code == 200; call.waited != answered || (len(call.dials) > 0) != (call.rings > 0) {
				t.Errorf("waited %v, rang %d times", call.waited, call.rings)
			}

			recs, total, err := fx.h.List(context.Background(), CallFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if total != 1 {
				t.Fatalf("%d records, want exactly one", total)
			}
			r := recs[0]
			if r.CallID != "call-1@test" || r.Direction != DirectionInbound || r.From != "+15551230000" || r.To != to ||
				r.Number != to || r.TrunkID == nil || *r.TrunkID != 3 || !r.StartedAt.Equal(start) || !r.EndedAt.Equal(clk.now()) {
				t.Errorf("record %+v", r)
			}
			if r.Type != tt.typ || r.HangupCause != tt.cause || r.SIPCode != tt.code || r.DurationSeconds != tt.duration {
				t.Errorf("record type %s cause %q code %d duration %d, want %s %q %d %d",
					r.Type, r.HangupCause, r.SIPCode, r.DurationSeconds, tt.typ, tt.cause, tt.code, tt.duration)
			}
			if got := deref(r.OwnerUserID); got != tt.owner {
				t.Errorf("owner %d, want %d", got, tt.owner)
			}
			if (r.AnsweredAt != nil) != (tt.code == 200) {
				t.Errorf("answered at %v", r.AnsweredAt)
			}
			// A call rejected for its flow's state never ran the flow.
			if want := flowID; deref(r.FlowID) != want && !(tt.setup != nil && r.FlowID == nil) {
				t.Errorf("flow %d, want %d", deref(r.FlowID), want)
			}
		})
	}
}

// The record is written even when the caller hung up before the engine
// started: the context it gets is already done.
func TestEngineRecordsAfterHangUp(t *testing.T) {
	fx := newEngineFixture(t)
	fx.publish(t, flowOf([]State{user("alice", alice)}))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	clk := &clock{t: time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)}
	call := &fakeCall{clock: clk, cancel: cancel}
	e := NewEngine(fx.d, everyone(), fx.h, slog.New(slog.NewTextHandler(io.Discard, nil)), clk.now)
	e.Run(ctx, call, Inbound{From: "1001", To: engineNumber})
	recs, total, err := fx.h.List(context.Background(), CallFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if total != 1 || recs[0].HangupCause != CauseCallerHungUp || recs[0].SIPCode != recordedAbandoned || len(call.refusals) != 0 || len(call.dials) != 0 {
		t.Fatalf("records %+v, refusals %v, dials %v", recs, call.refusals, call.dials)
	}
	if !recs[0].StartedAt.Equal(clk.now()) || recs[0].TrunkID != nil {
		t.Fatalf("record %+v", recs[0])
	}
}

func deref(p *uint) uint {
	if p == nil {
		return 0
	}
	return *p
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
