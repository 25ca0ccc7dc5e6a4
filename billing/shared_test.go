package billing

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"pbx/money"
)

// board is an in-memory stand-in for the cluster's node rows: what each
// server's calls hold, which servers are dead, and how often each wrote.
type board struct {
	mu     sync.Mutex
	held   map[string]money.Credits
	dead   map[string]bool
	writes map[string]int
}

func newBoard() *board {
	return &board{held: map[string]money.Credits{}, dead: map[string]bool{}, writes: map[string]int{}}
}

type boardPeers struct {
	b    *board
	name string
}

func (p boardPeers) Reserved(_ context.Context, _ *gorm.DB) (money.Credits, error) {
	p.b.mu.Lock()
	defer p.b.mu.Unlock()
	var sum money.Credits
	for name, v := range p.b.held {
		if name != p.name && !p.b.dead[name] {
			sum += v
		}
	}
	return sum, nil
}

func (p boardPeers) Hold(_ context.Context, _ *gorm.DB, total money.Credits) error {
	p.b.mu.Lock()
	defer p.b.mu.Unlock()
	p.b.held[p.name] = total
	p.b.writes[p.name]++
	return nil
}

func (b *board) count(name string) int { b.mu.Lock(); defer b.mu.Unlock(); return b.writes[name] }
func (b *board) of(name string) money.Credits {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.held[name]
}

// sharedMeters returns two meters on one wallet of credits, as two
// servers (each its own ledger), sharing their reservations through a
// board; sharing false gives them none (each sees only its own calls).
func sharedMeters(t *testing.T, credits money.Credits, sharing bool) (a, b *Meter, bd *board) {
	t.Helper()
	db := testDB(t)
	rs := NewRates(db, time.Now)
	rate(t, rs, "", "outbound", "", "0.02", "60/60", "0") // a first charge of 0.02
	la, lb := NewLedger(db, time.Now), NewLedger(db, time.Now)
	if _, _, err := la.Post(context.Background(), Entry{Key: "purchase:test", Kind: KindPurchase, Amount: credits}, false); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	bd = newBoard()
	var oa, ob []MeterOption
	if sharing {
		oa, ob = []MeterOption{SharedWith(boardPeers{bd, "a"})}, []MeterOption{SharedWith(boardPeers{bd, "b"})}
	}
	return NewMeter(la, rs, log, oa...), NewMeter(lb, rs, log, ob...), bd
}

func call(ref string) Call { return Call{Ref: ref, Direction: Outbound, Number: "+15551234567"} }

// With credit for one first charge, a call on each server at once: one is
// admitted, the other refused; once the first ends (and its server
// publishes), the second is admitted; a dead server's calls hold nothing.
func TestSharedMetersAdmitOneCallForOneCharge(t *testing.T) {
	ctx := context.Background()
	a, b, bd := sharedMeters(t, 30_000, true)
	sessions := make([]*Session, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, m := range []*Meter{a, b} {
		wg.Go(func() { sessions[i], errs[i] = m.Authorize(ctx, call(fmt.Sprint(i))) })
	}
	wg.Wait()
	won := -1
	for i, err := range errs {
		switch {
		case err == nil:
			won = i
		case !errors.Is(err, ErrInsufficientCredit):
			t.Fatalf("server %d: %v", i, err)
		}
	}
	if won < 0 || errs[1-won] == nil {
		t.Fatalf("admitted: %v, %v; want exactly one", errs[0] == nil, errs[1] == nil)
	}
	winner, loser := []*Meter{a, b}[won], []*Meter{a, b}[1-won]
	name := []string{"a", "b"}[won]
	if bd.of(name) != 20_000 {
		t.Fatalf("server %s published %s, want 0.02", name, bd.of(name))
	}

	sessions[won].End()
	if _, err := loser.Authorize(ctx, call("x")); !errors.Is(err, ErrInsufficientCredit) {
		t.Fatalf("admitted before the other server published that its call ended: %v", err)
	}
	if err := winner.Publish(ctx); err != nil {
		t.Fatal(err)
	}
	s, err := loser.Authorize(ctx, call("y"))
	if err != nil {
		t.Fatalf("after the call on the other server ended: %v", err)
	}
	if _, err := winner.Authorize(ctx, call("z")); !errors.Is(err, ErrInsufficientCredit) {
		t.Fatalf("the first server admitted a call the second holds the credit of: %v", err)
	}

	// The loser's server dies with its call: the winner may use its credit.
	bd.mu.Lock()
	bd.dead[[]string{"a", "b"}[1-won]] = true
	bd.mu.Unlock()
	if _, err := winner.Authorize(ctx, call("w")); err != nil {
		t.Fatalf("a dead server's reservation still counts: %v", err)
	}
	s.End()
}

// The check the sharing adds fails without it: two servers that do not
// share admit a call each on credit for one.
func TestMetersWithoutSharingAdmitBoth(t *testing.T) {
	ctx := context.Background()
	a, b, _ := sharedMeters(t, 30_000, false)
	if _, err := a.Authorize(ctx, call("1")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Authorize(ctx, call("2")); err != nil {
		t.Fatalf("the unshared meters refused: %v (the sharing test would prove nothing)", err)
	}
}

// Many calls at once on two servers with credit for five first charges:
// exactly five are admitted, whichever servers they arrive at.
func TestSharedMetersUnderConcurrency(t *testing.T) {
	ctx := context.Background()
	a, b, _ := sharedMeters(t, 100_000, true)
	var wg sync.WaitGroup
	var mu sync.Mutex
	admitted := 0
	for i := range 40 {
		m := []*Meter{a, b}[i%2]
		wg.Go(func() {
			_, err := m.Authorize(ctx, call(fmt.Sprint(i)))
			if err != nil && !errors.Is(err, ErrInsufficientCredit) {
				t.Error(err)
			}
			if err == nil {
				mu.Lock()
				admitted++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if admitted != 5 {
		t.Fatalf("%d calls admitted on credit for 5", admitted)
	}
	if a.Reserved()+b.Reserved() != 100_000 {
		t.Fatalf("the servers hold %s and %s", a.Reserved(), b.Reserved())
	}
}

// A server writes what its calls hold when it grows past what it last
// published, and otherwise only on Publish: calls that end leave room
// that the next calls use without a write.
func TestSharedMeterCoalescesWrites(t *testing.T) {
	ctx := context.Background()
	a, _, bd := sharedMeters(t, 1_000_000, true)
	var sessions []*Session
	for i := range 3 {
		s, err := a.Authorize(ctx, call(fmt.Sprint(i)))
		if err != nil {
			t.Fatal(err)
		}
		sessions = append(sessions, s)
	}
	if bd.count("a") != 3 || bd.of("a") != 60_000 {
		t.Fatalf("%d writes, published %s; want 3 and 0.06", bd.count("a"), bd.of("a"))
	}
	sessions[0].End()
	sessions[1].End()
	for i := range 2 { // into the room the ended calls left
		s, err := a.Authorize(ctx, call(fmt.Sprint("again", i)))
		if err != nil {
			t.Fatal(err)
		}
		sessions = append(sessions, s)
	}
	if bd.count("a") != 3 {
		t.Fatalf("%d writes; calls that fit in what was published wrote", bd.count("a"))
	}
	for _, s := range sessions {
		s.End()
	}
	for range 2 {
		if err := a.Publish(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if bd.count("a") != 4 || bd.of("a") != 0 {
		t.Fatalf("%d writes, published %s after every call ended; want 4 and 0", bd.count("a"), bd.of("a"))
	}
}

// A meter alone publishes nothing and Publish does nothing.
func TestPublishAlone(t *testing.T) {
	m, _, _ := testMeter(t, 0)
	if err := m.Publish(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// A call whose next increment costs more than its first holds more once
// it has paid the first: its server says so at once, not at the next
// Publish, so the others do not admit a call against it meanwhile.
func TestSharedMeterPublishesWhenAPaymentGrowsTheReservation(t *testing.T) {
	ctx := context.Background()
	a, _, bd := sharedMeters(t, 1_000_000, true)
	rate(t, a.rates, "44", "outbound", "", "0.6", "1/60", "0") // 0.01 first, then 0.6 a minute
	s, err := a.Authorize(ctx, Call{Ref: "1", Direction: Outbound, Number: "+442079460000"})
	if err != nil {
		t.Fatal(err)
	}
	if bd.of("a") != 10_000 {
		t.Fatalf("published %s at authorisation, want 0.01", bd.of("a"))
	}
	if _, _, err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if bd.of("a") != 600_000 {
		t.Fatalf("published %s once the first second was paid, want 0.6", bd.of("a"))
	}
	s.End()
}
