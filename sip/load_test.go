package sip

import (
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"pbx/configs"
)

// TestGoroutinesReturnToBaselineAfterLoad registers from many phones at
// once, challenged and authenticated, then checks the server's goroutines
// come back to what they were: a load run must leave nothing running.
func TestGoroutinesReturnToBaselineAfterLoad(t *testing.T) {
	srv := startServer(t, func(c *configs.SIP) { c.Guard.MaxFailures = 0; c.RateLimit.Rate = 0; c.Registrar.MaxContacts = 20 })
	// The baseline is the server serving: one phone registered, so the
	// server's own goroutines (listeners, workers, upkeep) have all started.
	warm := newLoadPhone(t, srv.addr)
	if err := warm.register("1002", "bob-secret"); err != nil {
		t.Fatal(err)
	}
	warm.close()
	before := goleak.IgnoreCurrent()
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			ph := newLoadPhone(t, srv.addr)
			defer ph.close()
			for range 25 {
				if err := ph.register("1001", "alice-secret"); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	// Anything the load started and still running 10 s after is a leak.
	err := goleak.Find(before)
	for deadline := time.Now().Add(10 * time.Second); err != nil && time.Now().Before(deadline); {
		err = goleak.Find(before) // waits up to ~2 s itself
	}
	if err != nil {
		t.Fatal(err)
	}
	if got := srv.loc.Count(); got != 21 {
		t.Fatalf("%d bindings, want one per phone (21)", got)
	}
}
