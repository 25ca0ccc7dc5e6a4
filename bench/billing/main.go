// Command billing measures the rated debits per second the ledger sustains:
// concurrent calls, each authorised by the meter (its rate found, its first
// increment reserved) and then debited increment after increment, as a
// call that runs is. Each debit is one ledger entry with its own
// idempotency key; debits that arrive together are written in one
// transaction (the ledger's group commit). It prints one row of the table
// bench/billing/run.sh assembles.
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

	"pbx/billing"
	"pbx/money"
	"pbx/store"
)

func main() {
	dsn := flag.String("db", "", "a SQLite file or a postgres:// URL")
	calls := flag.Int("calls", 64, "calls debiting at once")
	seconds := flag.Int("seconds", 10, "how long to debit")
	profile := flag.String("cpuprofile", "", "write a CPU profile here")
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
	if err := run(*dsn, *calls, time.Duration(*seconds)*time.Second); err != nil {
		fmt.Fprintln(os.Stderr, "billing bench:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func run(dsn string, calls int, d time.Duration) error {
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
	meter := billing.NewMeter(ledger, rates, log)
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
				s, err := meter.Authorize(ctx, billing.Call{Ref: fmt.Sprintf("%d-%d-%d", run, c, n), Direction: billing.Outbound, Number: "+15551230000"})
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
				for i := 0; i < 100 && time.Now().Before(stop); i++ {
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
	fmt.Printf("| %-8s | %5d | %8d | %6.1f | %9.0f | %6d | %-10v |\n", backend, calls, debits.Load(), took.Seconds(),
		float64(debits.Load())/took.Seconds(), failed.Load(), a.OK)
	return nil
}
