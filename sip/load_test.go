package sip

import (
	"pbx/configs"

	"runtime"
	"sync"
	"testing"
	"time"
)

// TestGoroutinesReturnToBaselineAfterLoad registers from many phones at
// once, challenged and authenticated, then checks the server's goroutines
// come back to what they were: a load run must leave nothing running.
func TestGoroutinesReturnToBaselineAfterLoad(t *testing.T) {
	srv := startServer(t, func(c *configs.SIP) { c.Guard.MaxFailures = 0; c.RateLimit.Rate = 0; c.Registrar.MaxContacts = 20 })
	settle := func() int {
		runtime.GC()
		return runtime.NumGoroutine()
	}
	// The baseline counts the server's own readers and workers: wait until
	// Serve has started them all.
	for srv.Health() != nil {
		time.Sleep(5 * time.Millisecond)
	}
	base := settle()
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
	deadline := time.Now().Add(10 * time.Second)
	n := settle()
	for n > base && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		n = settle()
	}
	if n > base {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines after 500 REGISTERs, %d before:\n%s", n, base, buf[:runtime.Stack(buf, true)])
	}
	if got := srv.loc.Count(); got != 20 {
		t.Fatalf("%d bindings, want one per phone (20)", got)
	}
}
