package sip

import (
	"testing"
	"time"
)

func TestGuardBlocksAfterRepeatedFailures(t *testing.T) {
	now := time.Unix(1000, 0)
	g := NewGuard(3, time.Minute, 10*time.Minute, func() time.Time { return now })
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
	if len(g.sources) != 0 {
		t.Fatalf("sweep kept %d entries", len(g.sources))
	}
}

func TestGuardWindowForgetsOldFailures(t *testing.T) {
	now := time.Unix(1000, 0)
	g := NewGuard(3, time.Minute, 10*time.Minute, func() time.Time { return now })
	g.Fail("a")
	g.Fail("a")
	now = now.Add(2 * time.Minute)
	if g.Fail("a") {
		t.Fatal("failures from an old window counted")
	}
}

func TestGuardOff(t *testing.T) {
	g := NewGuard(0, time.Minute, time.Minute, time.Now)
	for range 100 {
		if g.Fail("a") {
			t.Fatal("guard with max 0 blocked")
		}
	}
}
