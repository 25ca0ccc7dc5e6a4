// Command billing measures the rated debits per second the ledger sustains:
// concurrent calls, each authorised by the meter (its rate found, its first
// increment reserved) and then debited increment after increment, as a
// call that runs is. Each debit is one ledger entry with its own
// idempotency key; debits that arrive together are written in one
// transaction (the ledger's group commit). It prints one row of the table
// bench/billing/run.sh assembles. With -nodes N (PostgreSQL) the calls are
// spread over N meters, each its own connection pool and cluster node,
// that share their reservations as the nodes of a cluster do; -increments
// sets how many increments follow each call's first (0: every debit is an
// authorisation's first charge, which is where the sharing costs).
//
//	go run ./bench/billing -db /tmp/bench.db -calls 64 -seconds 10
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gorm.io/gorm"

	"pbx/billing"
	"pbx/cluster"
	"pbx/money"
	"pbx/store"
)

func main() {
	dsn := flag.String("db", "", "a SQLite file or a postgres:// URL")
	calls := flag.Int("calls", 64, "calls debiting at once")
	seconds := flag.Int("seconds", 10, "how long to debit")
	profile := flag.String("cpuprofile", "", "write a CPU profile here")
	nodes := flag.Int("nodes", 0, "meters sharing their reservations as cluster nodes (PostgreSQL); 0: one meter alone")
	increments := flag.Int("increments", 100, "increments debited after each call's first")
	flag.Parse()
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if err := run(*dsn, *calls, *nodes, *increments, time.Duration(*seconds)*time.Second); err != nil {
		fmt.Fprintln(os.Stderr, "billing bench:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func run(dsn string, calls, nodes, increments int, d time.Duration) error {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := store.Open(dsn, log)
	if err != nil {
		return err
	}
	defer store.Close(db)
	if err := store.MigrateVersioned(ctx, db, "billing", billing.Migrations(), log); err != nil {
		return err
	}
	ledger := billing.NewLedger(db, time.Now)
	rates := billing.NewRates(db, time.Now)
	if _, err := rates.ImportCSV(ctx, strings.NewReader("prefix,direction,price_per_minute,increment\n1,outbound,0.6,1/1\n44,outbound,1.2,1/1\n")); err != nil {
		return err
	}
	if _, _, err := ledger.Post(ctx, billing.Entry{Key: fmt.Sprint("bench-purchase-", time.Now().UnixNano()), Kind: billing.KindPurchase,
		Amount: 1_000_000 * money.Micro}, false); err != nil {
		return err
	}
	meters := []*billing.Meter{billing.NewMeter(ledger, rates, log)}
	if nodes > 0 {
		if meters, err = sharedMeters(ctx, dsn, db, nodes, log); err != nil {
			return err
		}
	}
	var debits, failed atomic.Int64
	var wg sync.WaitGroup
	stop := time.Now().Add(d)
	start := time.Now()
	run := time.Now().UnixNano()
	for c := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; time.Now().Before(stop); n++ {
				// A call of 100 one-second increments, then the next call.
				s, err := meters[c%len(meters)].Authorize(ctx, billing.Call{Ref: fmt.Sprintf("%d-%d-%d", run, c, n), Direction: billing.Outbound, Number: "+15551230000"})
				if err != nil {
					failed.Add(1)
					return
				}
				if _, _, err := s.Start(ctx); err != nil {
					failed.Add(1)
					s.End()
					return
				}
				debits.Add(1)
				for i := 0; i < increments && time.Now().Before(stop); i++ {
					if _, _, err := s.Next(ctx); err != nil {
						failed.Add(1)
						break
					}
					debits.Add(1)
				}
				s.End()
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	a, err := ledger.Check(ctx)
	if err != nil {
		return err
	}
	backend := "sqlite"
	if store.IsPostgres(dsn) {
		backend = "postgres"
	}
	if nodes > 0 {
		backend = fmt.Sprintf("postgres, %d nodes", nodes)
	}
	fmt.Printf("| %-17s | %5d | %8d | %6.1f | %9.0f | %6d | %-10v |\n", backend, calls, debits.Load(), took.Seconds(),
		float64(debits.Load())/took.Seconds(), failed.Load(), a.OK)
	return nil
}

// sharedMeters returns n meters on the wallet in db, each with its own
// connection pool and ledger, as the nodes of a cluster (fresh node rows).
func sharedMeters(ctx context.Context, dsn string, db *gorm.DB, n int, log *slog.Logger) ([]*billing.Meter, error) {
	if !store.IsPostgres(dsn) {
		return nil, fmt.Errorf("-nodes needs a postgres:// URL")
	}
	if err := store.MigrateVersioned(ctx, db, "cluster", cluster.Migrations(), log); err != nil {
		return nil, err
	}
	if err := db.Exec("DELETE FROM cluster_nodes").Error; err != nil {
		return nil, err
	}
	meters := make([]*billing.Meter, n)
	for i := range meters {
		pool, err := store.Open(dsn, log)
		if err != nil {
			return nil, err
		}
		// Left open until the process exits, as a node's would be.
		node := cluster.New(pool, cluster.Config{Name: fmt.Sprint("bench-", i), DeadAfter: time.Minute}, log, time.Now)
		if err := node.Join(ctx); err != nil {
			return nil, err
		}
		rates := billing.NewRates(pool, time.Now)
		meters[i] = billing.NewMeter(billing.NewLedger(pool, time.Now), rates, log, billing.SharedWith(node.Reservations()))
	}
	return meters, nil
}
