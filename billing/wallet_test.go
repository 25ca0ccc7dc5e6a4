package billing

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"pbx/money"
)

func testWallet(t *testing.T, cfg WalletConfig, now func() time.Time) (*Wallet, *Ledger) {
	t.Helper()
	db := testDB(t)
	l := NewLedger(db, now)
	if cfg.Rate == 0 {
		cfg.Rate, cfg.Currency = 920_000, "EUR"
	}
	return NewWallet(db, l, Manual{}, NewNotifier(db, "", "", slog.New(slog.NewTextHandler(io.Discard, nil)), now), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), now), l
}

func TestBuyCreditsThroughAQuote(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	w, _ := testWallet(t, WalletConfig{}, func() time.Time { return at })
	q, err := w.Quote(ctx, 50*money.Micro, "admin")
	if err != nil || q.Price != "46.00" || q.Currency != "EUR" || !q.ExpiresAt.Equal(at.Add(QuoteLifetime)) {
		t.Fatalf("quote %+v %v", q, err)
	}
	p, err := w.Buy(ctx, q.ID, "admin")
	if err != nil || p.Status != PurchasePaid || p.Provider != "manual" || !strings.HasPrefix(p.Reference, "INV-2026-") || p.Actor != "admin" {
		t.Fatalf("purchase %+v %v", p, err)
	}
	again, err := w.Buy(ctx, q.ID, "admin")
	if err != nil || again.ID != p.ID {
		t.Fatalf("buying the quote again: %+v %v", again, err)
	}
	if b, _ := w.Balance(ctx); b != 50*money.Micro {
		t.Fatalf("balance %s", b)
	}
	list, _ := w.Purchases(ctx, 0)
	if len(list) != 1 || list[0].Credits != 50*money.Micro {
		t.Fatalf("history %+v", list)
	}
	for _, bad := range []money.Credits{0, -1, MaxPurchase + 1} {
		if _, err := w.Quote(ctx, bad, "admin"); err == nil || !strings.Contains(err.Error(), "credits") {
			t.Errorf("quote for %s: %v", bad, err)
		}
	}
	q2, _ := w.Quote(ctx, money.Micro, "admin")
	at = at.Add(QuoteLifetime + time.Second)
	if _, err := w.Buy(ctx, q2.ID, "admin"); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("an expired quote: %v", err)
	}
}

// Many calls charge at once and take the balance below the minimum: one
// recharge, not one per charge; and again at the next crossing.
func TestAutoRechargeOncePerCrossing(t *testing.T) {
	ctx := context.Background()
	w, l := testWallet(t, WalletConfig{}, time.Now)
	if _, _, err := l.Post(ctx, Entry{Key: "purchase:0", Kind: KindPurchase, Amount: 10 * money.Micro}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := w.SetAutoRecharge(ctx, AutoRecharge{Enabled: true, MinBalance: 5 * money.Micro, Credits: 20 * money.Micro}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.Post(ctx, Entry{Key: fmt.Sprint("c", i), Kind: KindCall, Amount: -200_000}, false)
		}()
	}
	wg.Wait()
	w.Wait()
	list, _ := w.Purchases(ctx, 0)
	if len(list) != 1 || !list[0].Automatic || list[0].Credits != 20*money.Micro {
		t.Fatalf("purchases %+v", list)
	}
	a, _ := l.Check(ctx)
	if !a.OK || a.Balance != 22*money.Micro {
		t.Fatalf("audit %+v", a)
	}
}

func TestPartnerManagedHasNoAutoRecharge(t *testing.T) {
	w, _ := testWallet(t, WalletConfig{PartnerManaged: true}, time.Now)
	_, err := w.SetAutoRecharge(context.Background(), AutoRecharge{Enabled: true, MinBalance: 1, Credits: money.Micro})
	if err == nil || !strings.Contains(err.Error(), "partner") {
		t.Fatalf("auto-recharge for a partner-managed organisation: %v", err)
	}
}
