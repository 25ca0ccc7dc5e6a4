package sip

import (
	"fmt"
	"net/netip"
	"testing"
	"time"
)

func TestLockoutLocksAfterFailuresFromAnywhere(t *testing.T) {
	now := time.Unix(1000, 0)
	l := NewLockout(3, 10*time.Minute, 15*time.Minute, func() time.Time { return now })
	for i := 1; i <= 2; i++ {
		if l.Fail("4101") {
			t.Fatalf("locked after %d failures, want 3", i)
		}
		now = now.Add(time.Minute)
	}
	if l.Locked("4101") {
		t.Fatal("locked before the limit")
	}
	if !l.Fail("4101") {
		t.Fatal("the third failure did not lock")
	}
	if l.Fail("4101") {
		t.Fatal("a failure during the lock reported a new lock (it must be logged once)")
	}
	if !l.Locked("4101") || l.Locked("4102") {
		t.Fatal("the lock must hit exactly the failing account")
	}
	now = now.Add(16 * time.Minute)
	if l.Locked("4101") {
		t.Fatal("still locked after lock_for")
	}
	l.Sweep()
	if l.tracked() != 0 {
		t.Fatalf("sweep kept %d accounts", l.tracked())
	}
}

func TestLockoutWindowForgetsOldFailures(t *testing.T) {
	now := time.Unix(1000, 0)
	l := NewLockout(3, 10*time.Minute, 15*time.Minute, func() time.Time { return now })
	l.Fail("a")
	l.Fail("a")
	now = now.Add(11 * time.Minute)
	if l.Fail("a") {
		t.Fatal("failures from an old window counted")
	}
}

func TestLockoutIsBounded(t *testing.T) {
	now := time.Unix(1000, 0)
	l := NewLockout(3, 10*time.Minute, 15*time.Minute, func() time.Time { return now })
	for i := range maxTracked + 500 {
		l.Fail(fmt.Sprint(i))
	}
	if l.tracked() > maxTracked {
		t.Fatalf("%d accounts tracked, cap %d", l.tracked(), maxTracked)
	}
	// Once their windows pass, room is made for new ones.
	now = now.Add(11 * time.Minute)
	l.Fail("new")
	l.mu.Lock()
	_, counted := l.keys["new"]
	l.mu.Unlock()
	if !counted || l.tracked() > maxTracked {
		t.Fatalf("no room made: %d tracked", l.tracked())
	}
}

func TestGuardIsBounded(t *testing.T) {
	now := time.Unix(1000, 0)
	g := NewGuard(3, 10*time.Minute, 15*time.Minute, nil, func() time.Time { return now })
	for i := range maxGuarded + 500 {
		g.Fail(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}).String())
	}
	if g.tracked() > maxGuarded {
		t.Fatalf("%d sources tracked, cap %d", g.tracked(), maxGuarded)
	}
}

func TestLockoutOff(t *testing.T) {
	l := NewLockout(0, time.Minute, time.Minute, time.Now)
	for range 100 {
		if l.Fail("a") || l.Locked("a") {
			t.Fatal("lockout with max 0 locked")
		}
	}
}
