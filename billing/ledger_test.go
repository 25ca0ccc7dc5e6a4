package billing

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"pbx/money"
	"pbx/store"
)

func testDB(t testing.TB) *gorm.DB {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := store.Open(filepath.Join(t.TempDir(), "pbx.db"), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close(db) })
	if err := store.MigrateVersioned(context.Background(), db, "billing", Migrations(), log); err != nil {
		t.Fatal(err)
	}
	return db
}

// ledgerModes are the ledger as one writer among others (a cluster's
// nodes) and as its wallet's only writer (SoleWriter: balance in memory).
var ledgerModes = []struct {
	name string
	opts []LedgerOption
}{{"shared", nil}, {"sole writer", []LedgerOption{SoleWriter()}}}

// stored is the balance in the database, read as another server would.
func storedBalance(t *testing.T, l *Ledger) money.Credits {
	t.Helper()
	b, err := NewLedger(l.db, l.now).Balance(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func fixedClock() func() time.Time {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	return func() time.Time { return t0 }
}

func TestLedgerPostIsIdempotentAndRefusesOverdraft(t *testing.T) {
	for _, mode := range ledgerModes {
		t.Run(mode.name, func(t *testing.T) {
			ctx := context.Background()
			l := NewLedger(testDB(t), fixedClock(), mode.opts...)
			buy := Entry{Key: "purchase:1", Kind: KindPurchase, Amount: 10 * money.Micro}
			e, posted, err := l.Post(ctx, buy, false)
			if err != nil || !posted || e.Balance != 10*money.Micro || e.ID == 0 {
				t.Fatalf("post: %+v %v %v", e, posted, err)
			}
			again, posted, err := l.Post(ctx, buy, false)
			if err != nil || posted || again.ID != e.ID {
				t.Fatalf("posting the same key again: %+v %v %v", again, posted, err)
			}
			if _, _, err := l.Post(ctx, Entry{Key: "call:x:0", Kind: KindCall, Amount: -11 * money.Micro}, false); !errors.Is(err, ErrInsufficientCredit) {
				t.Fatalf("an overdraft: %v", err)
			}
			if b, _ := l.Balance(ctx); b != 10*money.Micro {
				t.Fatalf("balance %s after a refused charge", b)
			}
			if e, _, err := l.Post(ctx, Entry{Key: "call:x:0", Kind: KindCall, Amount: -11 * money.Micro}, true); err != nil || e.Balance != -money.Micro {
				t.Fatalf("an allowed overdraft: %+v %v", e, err)
			}
			if _, _, err := l.Post(ctx, Entry{Kind: KindCall, Amount: -1}, true); !errors.Is(err, ErrNoKey) {
				t.Fatalf("no key: %v", err)
			}
			a, err := l.Check(ctx)
			if err != nil || !a.OK || a.Sum != -money.Micro || a.Entries != 2 {
				t.Fatalf("audit %+v %v", a, err)
			}
			if c, err := l.Charged(ctx, "call:x:"); err != nil || c != 11*money.Micro {
				t.Fatalf("charged %s %v", c, err)
			}
			if c, err := l.Charged(ctx, "call:y:"); err != nil || c != 0 {
				t.Fatalf("another call charged %s %v", c, err)
			}
			if b, err := l.Balance(ctx); err != nil || b != storedBalance(t, l) {
				t.Fatalf("balance %s, stored %s (%v)", b, storedBalance(t, l), err)
			}
		})
	}
}

// Many writers at once, each retrying every post: the balance is exactly
// the sum of the entries, each key charged once, and nothing overdrawn.
func TestLedgerConcurrentChargesNeverOverdraw(t *testing.T) {
	for _, mode := range ledgerModes {
		t.Run(mode.name, func(t *testing.T) {
			ctx := context.Background()
			l := NewLedger(testDB(t), fixedClock(), mode.opts...)
			if _, _, err := l.Post(ctx, Entry{Key: "purchase:1", Kind: KindPurchase, Amount: 5 * money.Micro}, false); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			var mu sync.Mutex
			paid, refused := 0, 0
			for call := range 50 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for n := range 4 {
						e := Entry{Key: fmt.Sprintf("call:%d:%d", call, n), Kind: KindCall, Amount: -30_000, Ref: fmt.Sprint(call)}
						for range 2 { // a retry of the same increment
							_, posted, err := l.Post(ctx, e, false)
							mu.Lock()
							switch {
							case errors.Is(err, ErrInsufficientCredit):
								refused++
							case err != nil:
								t.Error(err)
							case posted:
								paid++
							}
							mu.Unlock()
						}
					}
				}()
			}
			wg.Wait()
			a, err := l.Check(ctx)
			if err != nil || !a.OK {
				t.Fatalf("audit %+v %v", a, err)
			}
			// 5 credits pay 166 increments of 0.03; the other 34 are refused
			// (each twice, by its retry).
			if paid != 166 || refused != 2*34 || a.Balance != 20_000 {
				t.Fatalf("%d increments paid, %d refused, balance %s", paid, refused, a.Balance)
			}
			if b, err := l.Balance(ctx); err != nil || b != storedBalance(t, l) {
				t.Fatalf("balance %s, stored %s (%v)", b, storedBalance(t, l), err)
			}
		})
	}
}
