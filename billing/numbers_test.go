package billing

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"pbx/money"
)

type testClock struct{ t time.Time }

func (c *testClock) now() time.Time { return c.t }

func testSubscriptions(t *testing.T, credits money.Credits) (*Subscriptions, *Ledger, *Notifier, *testClock) {
	t.Helper()
	db := testDB(t)
	clk := &testClock{t: time.Date(2026, 1, 20, 9, 0, 0, 0, time.UTC)}
	l := NewLedger(db, clk.now)
	if credits > 0 {
		l.Post(context.Background(), Entry{Key: "purchase:test", Kind: KindPurchase, Amount: credits}, false)
	}
	n := NewNotifier(db, "", "", slog.New(slog.NewTextHandler(io.Discard, nil)), clk.now)
	return NewSubscriptions(db, l, n, Calendar{Location: time.UTC}, 1, clk.now), l, n, clk
}

func inventory(t *testing.T, s *Subscriptions) {
	t.Helper()
	csv := "e164,trunk_id,country,type,region,monthly_price,address_required\n" +
		"+15550100001,1,US,local,New York,1.5,false\n" +
		"+15550100002,1,US,local,Boston,1.5,false\n" +
		"+4915112345678,2,DE,mobile,,4,true\n"
	if n, err := s.ImportAvailableCSV(context.Background(), strings.NewReader(csv)); err != nil || n != 3 {
		t.Fatalf("import: %d %v", n, err)
	}
}

func TestBuyNumberAndChargeEveryMonthOnce(t *testing.T) {
	ctx := context.Background()
	s, l, n, clk := testSubscriptions(t, 10*money.Micro)
	inventory(t, s)
	if list, _ := s.SearchAvailable(ctx, "US", "local", "Boston"); len(list) != 1 || list[0].E164 != "+15550100002" {
		t.Fatalf("search %+v", list)
	}
	if _, err := s.QuoteNumber(ctx, "+4915112345678", ""); err == nil || !strings.Contains(err.Error(), "address") {
		t.Fatalf("a number needing an address quoted without one: %v", err)
	}
	o, err := s.QuoteNumber(ctx, "+15550100001", "")
	if err != nil || o.MonthlyPrice != 1_500_000 || o.FirstCharge != 1_500_000 {
		t.Fatalf("offer %+v %v", o, err)
	}
	var created []NewNumber
	create := func(_ context.Context, nn NewNumber) error { created = append(created, nn); return nil }
	if _, err := s.BuyNumber(ctx, o.ID, "admin", create); err != nil {
		t.Fatal(err)
	}
	if len(created) != 1 || created[0].Region != "New York" || created[0].TrunkID != 1 {
		t.Fatalf("created %+v", created)
	}
	if _, err := s.BuyNumber(ctx, o.ID, "admin", create); err == nil {
		t.Fatal("an offer bought twice")
	}
	if list, _ := s.SearchAvailable(ctx, "US", "", ""); len(list) != 1 {
		t.Fatalf("the bought number is still offered: %+v", list)
	}
	bal := func() money.Credits { b, _ := l.Balance(ctx); return b }
	if bal() != 8_500_000 {
		t.Fatalf("balance %s after the first month", bal())
	}
	// The job runs often; January is paid already.
	for range 3 {
		if c, err := s.ChargeMonths(ctx, nil); err != nil || c != 0 {
			t.Fatalf("charged %d (%v) in the month already paid", c, err)
		}
	}
	// February 1st, the billing day: one charge, however often it runs.
	clk.t = time.Date(2026, 2, 1, 0, 30, 0, 0, time.UTC)
	for i := range 3 {
		c, err := s.ChargeMonths(ctx, nil)
		if err != nil || (i == 0) != (c == 1) {
			t.Fatalf("run %d charged %d (%v)", i, c, err)
		}
	}
	// A restart is a new Subscriptions on the same database.
	s2 := NewSubscriptions(s.db, l, n, Calendar{Location: time.UTC}, 1, clk.now)
	if c, _ := s2.ChargeMonths(ctx, nil); c != 0 || bal() != 7_000_000 {
		t.Fatalf("after a restart charged %d, balance %s", c, bal())
	}
	// Deleting the number stops its charge and returns it to the inventory.
	if err := s.ReleaseNumber(ctx, "+15550100001"); err != nil {
		t.Fatal(err)
	}
	clk.t = time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)
	if c, _ := s.ChargeMonths(ctx, nil); c != 0 {
		t.Fatalf("a released number charged %d", c)
	}
	if list, _ := s.SearchAvailable(ctx, "US", "local", "New York"); len(list) != 1 {
		t.Fatalf("the released number is not back: %+v", list)
	}
	if a, _ := l.Check(ctx); !a.OK {
		t.Fatalf("audit %+v", a)
	}
}

func TestUnpaidNumberIsReleasedAfterGrace(t *testing.T) {
	ctx := context.Background()
	s, _, n, clk := testSubscriptions(t, 2*money.Micro)
	inventory(t, s)
	o, _ := s.QuoteNumber(ctx, "+15550100001", "")
	if _, err := s.BuyNumber(ctx, o.ID, "admin", func(context.Context, NewNumber) error { return nil }); err != nil {
		t.Fatal(err)
	}
	var released []string
	release := func(_ context.Context, sub Subscription) error { released = append(released, sub.Ref); return nil }
	clk.t = time.Date(2026, 2, 1, 1, 0, 0, 0, time.UTC) // 0.5 left: February cannot be paid
	s.ChargeMonths(ctx, release)
	s.ChargeMonths(ctx, release)
	notes, _, _ := n.List(ctx)
	if len(notes) != 1 || notes[0].Kind != NoteChargeFailed || len(released) != 0 {
		t.Fatalf("notes %+v, released %v", notes, released)
	}
	clk.t = clk.t.Add(Grace + time.Hour)
	s.ChargeMonths(ctx, release)
	if len(released) != 1 || released[0] != "+15550100001" {
		t.Fatalf("released %v", released)
	}
	if subs, _ := s.Active(ctx, ""); len(subs) != 0 {
		t.Fatalf("still active: %+v", subs)
	}
}

func TestBuyNumberWithoutCredit(t *testing.T) {
	ctx := context.Background()
	s, _, _, _ := testSubscriptions(t, money.Micro)
	inventory(t, s)
	o, _ := s.QuoteNumber(ctx, "+15550100001", "")
	called := false
	_, err := s.BuyNumber(ctx, o.ID, "admin", func(context.Context, NewNumber) error { called = true; return nil })
	if !errors.Is(err, ErrInsufficientCredit) || called {
		t.Fatalf("buying with too little credit: %v, created %v", err, called)
	}
	// A number the routing side could not add costs nothing.
	s.ledger.Post(ctx, Entry{Key: "more", Kind: KindPurchase, Amount: 5 * money.Micro}, false)
	_, err = s.BuyNumber(ctx, o.ID, "admin", func(context.Context, NewNumber) error { return errors.New("database is locked") })
	if b, _ := s.ledger.Balance(ctx); err == nil || b != 6*money.Micro {
		t.Fatalf("failed creation: %v, balance %s", err, b)
	}
}
