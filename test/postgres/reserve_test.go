package postgres

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

	"pbx/billing"
	"pbx/cluster"
	"pbx/store"
)

// openNode connects a node's own pool to the test server, with billing's
// and the cluster's tables (fresh: made again from nothing).
func openNode(t *testing.T, fresh bool) *gorm.DB {
	t.Helper()
	db := openBilling(t, fresh)
	if fresh {
		for _, table := range []string{"cluster_busy", "cluster_settings", "cluster_nodes", "goose_cluster"} {
			if err := db.Exec("DROP TABLE IF EXISTS " + table + " CASCADE").Error; err != nil {
				t.Fatal(err)
			}
		}
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := store.MigrateVersioned(context.Background(), db, "cluster", cluster.Migrations(), log); err != nil {
		t.Fatal(err)
	}
	return db
}

// clock is a node's clock, which the test moves.
type clock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return time.Now().Add(c.off) }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.off += d
	c.mu.Unlock()
}

// server is one node's meter and clock.
type server struct {
	name  string
	meter *billing.Meter
	clock *clock
}

func twoMeteredNodes(t *testing.T) (servers [2]server, ledger *billing.Ledger) {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for i, name := range []string{"a", "b"} {
		db := openNode(t, i == 0)
		c := &clock{}
		node := cluster.New(db, cluster.Config{Name: name, DeadAfter: 30 * time.Second}, log, c.Now)
		if err := node.Join(ctx); err != nil {
			t.Fatal(err)
		}
		rates := billing.NewRates(db, time.Now)
		l := billing.NewLedger(db, time.Now)
		if i == 0 {
			p, dir, typ, price, inc, fee := "", billing.Outbound, "", "0.02", "60/60", "0"
			if _, err := rates.Create(ctx, billing.RateInput{Prefix: &p, Direction: &dir, NumberType: &typ,
				PricePerMinute: &price, Increment: &inc, ConnectionFee: &fee}); err != nil {
				t.Fatal(err)
			}
			// Pays one first charge (0.02), not two.
			if _, _, err := l.Post(ctx, billing.Entry{Key: "purchase:1", Kind: billing.KindPurchase, Amount: 30_000}, false); err != nil {
				t.Fatal(err)
			}
			ledger = l
		}
		servers[i] = server{name: name, clock: c,
			meter: billing.NewMeter(l, rates, log, billing.SharedWith(node.Reservations()))}
	}
	return servers, ledger
}

func outbound(ref string) billing.Call {
	return billing.Call{Ref: ref, Direction: billing.Outbound, Number: "+15551234567"}
}

// Two nodes (two pools, two meters) on one wallet that pays one call's
// first charge: a call on each at the same instant, again and again, is
// admitted on exactly one; once that call ends the other node admits its
// call; a dead node's calls stop holding the credit.
func TestMetersOnTwoNodesShareReservationsOnPostgres(t *testing.T) {
	ctx := context.Background()
	servers, ledger := twoMeteredNodes(t)
	for round := range 30 {
		var sessions [2]*billing.Session
		var errs [2]error
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, s := range servers {
			wg.Go(func() {
				<-start
				sessions[i], errs[i] = s.meter.Authorize(ctx, outbound(fmt.Sprint(round, s.name)))
			})
		}
		close(start)
		wg.Wait()
		admitted := 0
		for i, err := range errs {
			switch {
			case err == nil:
				admitted++
			case !errors.Is(err, billing.ErrInsufficientCredit):
				t.Fatalf("round %d, node %s: %v", round, servers[i].name, err)
			}
		}
		if admitted != 1 {
			t.Fatalf("round %d: %d calls admitted on credit for one", round, admitted)
		}
		for i, s := range sessions {
			if s != nil {
				s.End()
				if err := servers[i].meter.Publish(ctx); err != nil {
					t.Fatal(err)
				}
			}
		}
	}

	// A call on a holds the credit; b refuses until it ends and a says so.
	a, b := servers[0], servers[1]
	call, err := a.meter.Authorize(ctx, outbound("held"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.meter.Authorize(ctx, outbound("refused")); !errors.Is(err, billing.ErrInsufficientCredit) {
		t.Fatalf("b admitted a call while a's holds the credit: %v", err)
	}
	if _, _, err := call.Start(ctx); err != nil { // pays 0.02: 0.01 left
		t.Fatal(err)
	}
	call.End()
	if err := a.meter.Publish(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := b.meter.Authorize(ctx, outbound("after")); !errors.Is(err, billing.ErrInsufficientCredit) {
		t.Fatalf("admitted with 0.01 left: %v", err)
	}
	if _, _, err := ledger.Post(ctx, billing.Entry{Key: "purchase:2", Kind: billing.KindPurchase, Amount: 20_000}, false); err != nil {
		t.Fatal(err)
	}
	held, err := b.meter.Authorize(ctx, outbound("after"))
	if err != nil {
		t.Fatalf("b refused once a's call ended: %v", err)
	}
	if _, err := a.meter.Authorize(ctx, outbound("refused2")); !errors.Is(err, billing.ErrInsufficientCredit) {
		t.Fatalf("a admitted a call while b's holds the credit: %v", err)
	}

	// b dies with its call (no heartbeat for dead_after, as a's clock sees
	// it): its reservation stops counting.
	a.clock.add(31 * time.Second)
	if _, err := a.meter.Authorize(ctx, outbound("after b died")); err != nil {
		t.Fatalf("b's reservation counts after b died: %v", err)
	}
	held.End()
	if audit, err := ledger.Check(ctx); err != nil || !audit.OK || audit.Balance != 30_000 {
		t.Fatalf("audit %+v (%v), want consistent at 0.03", audit, err)
	}
}
