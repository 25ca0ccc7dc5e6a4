package sip

import (
	"net/netip"
	"sync"
	"time"
)

// Guard counts failed authentications per source IP and blocks an address
// that fails too often, so passwords cannot be guessed at wire speed. It
// never counts or blocks an exempt address (a carrier's, an allowed
// network): failures forged with the carrier's address must not cut the
// carrier off.
type Guard struct {
	maxFailures int
	window      time.Duration
	blockFor    time.Duration
	exempt      func(netip.Addr) bool
	now         func() time.Time

	mu      sync.Mutex
	sources map[string]*guardEntry
}

type guardEntry struct {
	failures     int
	windowStart  time.Time
	blockedUntil time.Time
}

// NewGuard blocks an IP for blockFor once it fails maxFailures times within
// window. maxFailures 0 turns blocking off (failures are still counted).
// Addresses for which exempt (if not nil) reports true are never counted.
func NewGuard(maxFailures int, window, blockFor time.Duration, exempt func(netip.Addr) bool, now func() time.Time) *Guard {
	if exempt == nil {
		exempt = func(netip.Addr) bool { return false }
	}
	return &Guard{maxFailures: maxFailures, window: window, blockFor: blockFor, exempt: exempt, now: now,
		sources: make(map[string]*guardEntry)}
}

// Blocked reports whether ip is blocked now.
func (g *Guard) Blocked(ip string) bool {
	if g.maxFailures == 0 {
		return false
	}
	g.mu.Lock()
	e, ok := g.sources[ip]
	blocked := ok && g.now().Before(e.blockedUntil)
	g.mu.Unlock()
	// Asked only of blocked addresses, so a packet costs no lookup: an
	// address that became a trunk's after it was blocked is let in.
	return blocked && !g.isExempt(ip)
}

func (g *Guard) isExempt(ip string) bool {
	a, err := netip.ParseAddr(ip)
	return err == nil && g.exempt(a.Unmap())
}

// Fail records a failed authentication from ip and reports whether this
// failure blocked it.
func (g *Guard) Fail(ip string) (blocked bool) {
	if g.maxFailures == 0 || g.isExempt(ip) {
		return false
	}
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	e, ok := g.sources[ip]
	if !ok {
		e = &guardEntry{windowStart: now}
		g.sources[ip] = e
	}
	if now.Sub(e.windowStart) > g.window {
		e.failures, e.windowStart = 0, now
	}
	e.failures++
	if e.failures >= g.maxFailures && !now.Before(e.blockedUntil) {
		e.blockedUntil = now.Add(g.blockFor)
		e.failures = 0
		return true
	}
	return false
}

// Sweep forgets sources whose window and block have both run out.
func (g *Guard) Sweep() {
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	for ip, e := range g.sources {
		if now.Sub(e.windowStart) > g.window && !now.Before(e.blockedUntil) {
			delete(g.sources, ip)
		}
	}
}

// BlockedCount returns how many sources are blocked now.
func (g *Guard) BlockedCount() int {
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	n := 0
	for _, e := range g.sources {
		if now.Before(e.blockedUntil) {
			n++
		}
	}
	return n
}
