package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"pbx/billing"
	"pbx/money"
	"pbx/store"
)

// openBilling connects to the test server with billing's tables fresh
// (its versioned migrations run from nothing, then again to no effect).
func openBilling(t *testing.T, fresh bool) *gorm.DB {
	t.Helper()
	dsn := os.Getenv("PBX_TEST_POSTGRES")
	if dsn == "" {
		t.Fatal("PBX_TEST_POSTGRES is not set: run test/postgres/run.sh, which starts a PostgreSQL server for these tests")
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := store.Open(dsn, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close(db) })
	if fresh {
		for _, table := range []string{"billing_purchases", "billing_quotes", "billing_settings", "billing_rates", "billing_wallet",
			"billing_entries", "billing_inventory", "billing_subscriptions", "billing_offers", "billing_notifications", "goose_billing"} {
			if err := db.Exec("DROP TABLE IF EXISTS " + table + " CASCADE").Error; err != nil {
				t.Fatal(err)
			}
		}
	}
	for range 2 {
		if err := store.MigrateVersioned(context.Background(), db, "billing", billing.Migrations(), log); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// Two nodes (two connection pools, two ledgers) charge one wallet at once,
// retrying every charge: each key is charged once, the wallet is never
// overdrawn, and the balance is the sum of the entries.
func TestLedgerWithTwoWritersOnPostgres(t *testing.T) {
	ctx := context.Background()
	a := billing.NewLedger(openBilling(t, true), time.Now)
	b := billing.NewLedger(openBilling(t, false), time.Now)
	if _, _, err := a.Post(ctx, billing.Entry{Key: "purchase:1", Kind: billing.KindPurchase, Amount: 3 * money.Micro}, false); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	paid, refused := 0, 0
	for call := range 40 {
		for _, l := range []*billing.Ledger{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := range 5 {
					e := billing.Entry{Key: fmt.Sprintf("call:%d:%d", call, n), Kind: billing.KindCall, Amount: -20_000, Ref: fmt.Sprint("call:", call)}
					_, posted, err := l.Post(ctx, e, false)
					mu.Lock()
					switch {
					case errors.Is(err, billing.ErrInsufficientCredit):
						refused++
					case err != nil:
						t.Error(err)
					case posted:
						paid++
					}
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	audit, err := a.Check(ctx)
	if err != nil || !audit.OK {
		t.Fatalf("audit %+v %v", audit, err)
	}
	// 200 distinct charges of 0.02 would be 4 credits: 150 are paid.
	if paid != 150 || audit.Balance != 0 || audit.Entries != 151 {
		t.Fatalf("%d paid, %d refused, audit %+v", paid, refused, audit)
	}
}
