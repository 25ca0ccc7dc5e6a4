package sip

import (
	"net/netip"
	"testing"
	"time"
)

func TestPike(t *testing.T) {
	now := time.Unix(1000, 0)
	clock := func() time.Time { return now }
	trunk := netip.MustParseAddr("192.0.2.1")
	p := NewPike(10, 20, time.Minute, 2, func(ip netip.Addr) bool { return ip == trunk }, clock)
	a, b := netip.MustParseAddr("198.51.100.1"), netip.MustParseAddr("198.51.100.2")

	allowed := func(ip netip.Addr, n int) int {
		ok := 0
		for range n {
			if p.Allow(ip) {
				ok++
			}
		}
		return ok
	}
	if got := allowed(a, 100); got != 20 {
		t.Errorf("a burst of 100 at once: %d allowed, want the burst, 20", got)
	}
	if got := allowed(b, 5); got != 5 {
		t.Errorf("another source: %d of 5 allowed", got)
	}
	if got := allowed(trunk, 1000); got != 1000 {
		t.Errorf("an exempt source: %d of 1000 allowed", got)
	}
	now = now.Add(30 * time.Second) // the bucket refilled, but the block holds
	if p.Allow(a) {
		t.Error("a source over the limit allowed during its block")
	}
	now = now.Add(31 * time.Second)
	if !p.Allow(a) {
		t.Error("a source still dropped after its block")
	}
	// IPv4-mapped IPv6 is the same source.
	if got := allowed(netip.AddrFrom16(a.As16()), 100); got > 19 {
		t.Errorf("the same source written as ::ffff:%s: %d allowed", a, got)
	}
	// Never more state than max_sources.
	for i := range 1000 {
		p.Allow(netip.AddrFrom4([4]byte{203, 0, byte(i >> 8), byte(i)}))
	}
	if n := p.Tracked(); n != 2 {
		t.Errorf("%d sources tracked, want at most 2", n)
	}
}

func TestPikeOff(t *testing.T) {
	p := NewPike(0, 0, 0, 0, nil, time.Now)
	for range 10000 {
		if !p.Allow(netip.MustParseAddr("198.51.100.1")) {
			t.Fatal("rate 0 must not limit")
		}
	}
}
