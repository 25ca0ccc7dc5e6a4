package sip

import (
	"net/netip"
	"testing"
	"time"
)

func TestGuardBlocksAfterRepeatedFailures(t *testing.T) {
	now := time.Unix(1000, 0)
	g := NewGuard(3, time.Minute, 10*time.Minute, nil, func() time.Time { return now })
	for i := 1; i <= 2; i++ {
		if g.Fail("10.0.0.1") {
			t.Fatalf("blocked after %d failures, want 3", i)
		}
	}
	if g.Blocked("10.0.0.1") {
		t.Fatal("blocked before the limit")
	}
	if !g.Fail("10.0.0.1") {
		t.Fatal("third failure did not block")
	}
	if !g.Blocked("10.0.0.1") || g.Blocked("10.0.0.2") {
		t.Fatal("block must hit exactly the failing address")
	}
	if g.BlockedCount() != 1 {
		t.Fatalf("BlockedCount = %d", g.BlockedCount())
	}
	now = now.Add(11 * time.Minute)
	if g.Blocked("10.0.0.1") {
		t.Fatal("still blocked after block_for")
	}
	g.Sweep()
	if g.tracked() != 0 {
		t.Fatalf("sweep kept %d entries", g.tracked())
	}
}

func TestGuardWindowForgetsOldFailures(t *testing.T) {
	now := time.Unix(1000, 0)
	g := NewGuard(3, time.Minute, 10*time.Minute, nil, func() time.Time { return now })
	g.Fail("a")
	g.Fail("a")
	now = now.Add(2 * time.Minute)
	if g.Fail("a") {
		t.Fatal("failures from an old window counted")
	}
}

func TestGuardOff(t *testing.T) {
	g := NewGuard(0, time.Minute, time.Minute, nil, time.Now)
	for range 100 {
		if g.Fail("a") {
			t.Fatal("guard with max 0 blocked")
		}
	}
}

func TestGuardNeverBlocksExemptAddresses(t *testing.T) {
	now := time.Unix(1000, 0)
	carrier := netip.MustParseAddr("203.0.113.5")
	trusted := carrier
	g := NewGuard(3, time.Minute, 10*time.Minute, func(ip netip.Addr) bool { return ip == trusted }, func() time.Time { return now })
	for i := range 20 {
		if g.Fail("203.0.113.5") || g.Fail("::ffff:203.0.113.5") {
			t.Fatalf("the carrier's address blocked after %d failures", i+1)
		}
	}
	if g.Blocked("203.0.113.5") || g.BlockedCount() != 0 {
		t.Fatal("the carrier's address is blocked")
	}
	// An address blocked before it became a trunk's is let in from then on.
	for range 3 {
		g.Fail("198.51.100.9")
	}
	if !g.Blocked("198.51.100.9") {
		t.Fatal("not blocked")
	}
	trusted = netip.MustParseAddr("198.51.100.9")
	if g.Blocked("198.51.100.9") {
		t.Fatal("a trunk's address stays blocked")
	}
}
