package billing

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"pbx/money"
)

func ptr[T any](v T) *T { return &v }

func rate(t testing.TB, rs *Rates, prefix, dir, typ, price, inc, fee string) Rate {
	t.Helper()
	r, err := rs.Create(context.Background(), RateInput{Prefix: &prefix, Direction: &dir, NumberType: &typ,
		PricePerMinute: &price, Increment: &inc, ConnectionFee: &fee})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRatesLongestPrefixWins(t *testing.T) {
	ctx := context.Background()
	rs := NewRates(testDB(t), time.Now)
	rate(t, rs, "", "outbound", "", "0.5", "60/60", "0")
	rate(t, rs, "1", "outbound", "", "0.02", "60/60", "0")
	rate(t, rs, "1900", "outbound", "", "2", "60/60", "0.5")
	rate(t, rs, "44", "outbound", "mobile", "0.1", "1/1", "0")
	rate(t, rs, "44", "outbound", "", "0.03", "30/6", "0")
	rate(t, rs, "1", "inbound", "toll_free", "0.01", "60/60", "0")
	for _, tt := range []struct{ dir, number, typ, wantPrefix, wantPrice string }{
		{"outbound", "+15551234567", "", "1", "0.02"},
		{"outbound", "+19005551234", "", "1900", "2"},
		{"outbound", "+4930123456", "", "", "0.5"},
		{"outbound", "+447700900123", "mobile", "44", "0.1"},
		{"outbound", "+442079460000", "local", "44", "0.03"},
		{"inbound", "+18005550100", "toll_free", "1", "0.01"},
	} {
		r, ok, err := rs.Find(ctx, tt.dir, tt.number, tt.typ)
		if err != nil || !ok || r.Prefix != tt.wantPrefix || r.PricePerMinute.String() != tt.wantPrice {
			t.Errorf("%s %s %s: rate %q at %s (%v %v), want %q at %s", tt.dir, tt.number, tt.typ, r.Prefix, r.PricePerMinute, ok, err, tt.wantPrefix, tt.wantPrice)
		}
	}
	if _, ok, _ := rs.Find(ctx, "inbound", "+15551234567", "local"); ok {
		t.Error("an inbound local call found a toll-free rate")
	}
}

func TestRateInputIsChecked(t *testing.T) {
	rs := NewRates(testDB(t), time.Now)
	_, err := rs.Create(context.Background(), RateInput{Prefix: ptr("1a"), Direction: ptr("sideways"), NumberType: ptr("pager"),
		PricePerMinute: ptr("0.1234567"), Increment: ptr("0/60"), ConnectionFee: ptr("-1")})
	for _, f := range []string{"prefix", "direction", "number_type", "price_per_minute", "increment", "connection_fee"} {
		if err == nil || !strings.Contains(err.Error(), f+":") {
			t.Errorf("no error for %s: %v", f, err)
		}
	}
}

func TestCostByIncrement(t *testing.T) {
	r := Rate{PricePerMinute: 20_000, FirstIncrement: 30, NextIncrement: 6}
	if r.Cost(30) != 10_000 || r.Cost(6) != 2_000 || r.Cost(1) != 334 {
		t.Fatalf("costs %d %d %d", r.Cost(30), r.Cost(6), r.Cost(1))
	}
}

func testMeter(t testing.TB, credits money.Credits, opts ...LedgerOption) (*Meter, *Ledger, *Rates) {
	t.Helper()
	db := testDB(t)
	l := NewLedger(db, time.Now, opts...)
	rs := NewRates(db, time.Now)
	if credits > 0 {
		if _, _, err := l.Post(context.Background(), Entry{Key: "purchase:test", Kind: KindPurchase, Amount: credits}, false); err != nil {
			t.Fatal(err)
		}
	}
	return NewMeter(l, rs, slog.New(slog.NewTextHandler(io.Discard, nil))), l, rs
}

func TestMeterChargesIncrementsAndCutsWhenCreditEnds(t *testing.T) {
	ctx := context.Background()
	m, l, rs := testMeter(t, 1_000_000) // 1 credit
	rate(t, rs, "1", "outbound", "", "0.3", "30/6", "0.1")
	s, err := m.Authorize(ctx, Call{Ref: "1", Direction: Outbound, Number: "+15551234567"})
	if err != nil {
		t.Fatal(err)
	}
	paid, left, err := s.Start(ctx) // 0.1 fee + 30 s at 0.3/min = 0.25
	if err != nil || paid != 30*time.Second || s.Charged() != 250_000 {
		t.Fatalf("start: paid %v, charged %s, %v", paid, s.Charged(), err)
	}
	if left != 150*time.Second { // 0.75 left at 0.3 a minute
		t.Errorf("credit left for %v, want 2m30s", left)
	}
	n := 0
	for {
		_, _, err := s.Next(ctx) // 6 s at 0.3/min = 0.03
		if errors.Is(err, ErrInsufficientCredit) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 25 || s.End() != 1_000_000 {
		t.Fatalf("%d increments of 6 s paid, charged %s; want 25 and all the credit", n, s.Charged())
	}
	if b, _ := l.Balance(ctx); b != 0 || m.Reserved() != 0 {
		t.Fatalf("balance %s, reserved %s", b, m.Reserved())
	}
	if c, _ := m.Charged(ctx, "1"); c != 1_000_000 {
		t.Fatalf("the ledger says the call paid %s", c)
	}
	// No credit now: the next call is refused before it connects.
	if _, err := m.Authorize(ctx, Call{Ref: "2", Direction: Outbound, Number: "+15551234567"}); !errors.Is(err, ErrInsufficientCredit) {
		t.Fatalf("authorised with no credit: %v", err)
	}
	if _, err := m.Authorize(ctx, Call{Ref: "3", Direction: Outbound, Number: "+4930123"}); !errors.Is(err, ErrNoRate) {
		t.Fatalf("an unrated call: %v", err)
	}
}

// Authorisations count what running calls hold: with credit for three
// first increments, the fourth concurrent call is refused.
func TestMeterReservations(t *testing.T) {
	ctx := context.Background()
	m, _, rs := testMeter(t, 60_000)
	rate(t, rs, "", "outbound", "", "0.02", "60/60", "0")
	var sessions []*Session
	for i := range 3 {
		s, err := m.Authorize(ctx, Call{Ref: fmt.Sprint(i), Direction: Outbound, Number: "+15551234567"})
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		sessions = append(sessions, s)
	}
	if _, err := m.Authorize(ctx, Call{Ref: "x", Direction: Outbound, Number: "+15551234567"}); !errors.Is(err, ErrInsufficientCredit) {
		t.Fatalf("a fourth call: %v", err)
	}
	sessions[0].End() // never answered
	if _, err := m.Authorize(ctx, Call{Ref: "y", Direction: Outbound, Number: "+15551234567"}); err != nil {
		t.Fatalf("after a call ended: %v", err)
	}
}

// 100 calls charging one wallet at once: the balance never goes below
// zero and equals what was bought less what the calls say they paid.
func TestMeterConcurrentCallsNeverOverdraw(t *testing.T) {
	ctx := context.Background()
	m, l, rs := testMeter(t, 2_000_000)
	rate(t, rs, "", "outbound", "", "0.06", "1/1", "0")
	var wg sync.WaitGroup
	var mu sync.Mutex
	var total money.Credits
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := m.Authorize(ctx, Call{Ref: fmt.Sprint(i), Direction: Outbound, Number: "+15551234567"})
			if err != nil {
				return // refused for credit: fine
			}
			defer func() { c := s.End(); mu.Lock(); total += c; mu.Unlock() }()
			if _, _, err := s.Start(ctx); err != nil {
				return
			}
			for range 30 {
				if _, _, err := s.Next(ctx); err != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	a, err := l.Check(ctx)
	if err != nil || !a.OK || a.Balance < 0 || a.Balance != 2_000_000-total {
		t.Fatalf("audit %+v (%v); calls paid %s", a, err, total)
	}
	if m.Reserved() != 0 {
		t.Fatalf("reserved %s after every call ended", m.Reserved())
	}
}

func TestMetrics(t *testing.T) {
	ctx := context.Background()
	m, l, rs := testMeter(t, 100_000)
	reg := prometheus.NewRegistry()
	NewMetrics(reg, l)
	rate(t, rs, "1", "outbound", "", "1.2", "1/1", "0")
	s, _ := m.Authorize(ctx, Call{Ref: "1", Direction: Outbound, Number: "+15551234567"})
	s.Start(ctx)
	s.End()
	m.Authorize(ctx, Call{Ref: "2", Direction: Outbound, Number: "+4930123"})
	want := `
# HELP pbx_billing_balance_credits The wallet's balance, in credits.
# TYPE pbx_billing_balance_credits gauge
pbx_billing_balance_credits 0.08
# HELP pbx_billing_calls_refused_total Calls refused by billing, by reason (credit, rate).
# TYPE pbx_billing_calls_refused_total counter
pbx_billing_calls_refused_total{reason="credit"} 0
pbx_billing_calls_refused_total{reason="rate"} 1
# HELP pbx_billing_charged_credits_total Credits charged, by kind (call, number, storage).
# TYPE pbx_billing_charged_credits_total counter
pbx_billing_charged_credits_total{kind="call"} 0.02
pbx_billing_charged_credits_total{kind="number"} 0
pbx_billing_charged_credits_total{kind="storage"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "pbx_billing_balance_credits",
		"pbx_billing_calls_refused_total", "pbx_billing_charged_credits_total"); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkMeteredCall admits, starts and ends calls from many goroutines
// at once, as the busy hour does: the meter's and the ledger's work for a
// call (rate, credit check, the first increment posted by group commit).
func BenchmarkMeteredCall(b *testing.B) {
	for _, mode := range ledgerModes {
		b.Run(mode.name, func(b *testing.B) {
			ctx := context.Background()
			m, _, rs := testMeter(b, 1_000_000*money.Micro, mode.opts...)
			rate(b, rs, "1", "inbound", "", "0.01", "60/60", "0")
			var next atomic.Int64
			b.SetParallelism(8)
			b.ReportAllocs()
			cpu0 := cpuTime()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					s, err := m.Authorize(ctx, Call{Ref: fmt.Sprint(next.Add(1)), Direction: Inbound, Number: "+15550001111"})
					if err != nil {
						b.Error(err)
						return
					}
					if _, _, err := s.Start(ctx); err != nil {
						b.Error(err)
						return
					}
					s.End()
				}
			})
			b.StopTimer()
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-us/op")
		})
	}
}

// cpuTime is the CPU this process has used, user and system: unlike the
// wall clock it holds on a machine busy with other work.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
