package sip

import (
	"sync"
	"time"
)

// Guard counts failed authentications per source IP and blocks an address
// that fails too often, so passwords cannot be guessed at wire speed.
type Guard struct {
	maxFailures int
	window      time.Duration
	blockFor    time.Duration
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
func NewGuard(maxFailures int, window, blockFor time.Duration, now func() time.Time) *Guard {
	return &Guard{maxFailures: maxFailures, window: window, blockFor: blockFor, now: now, sources: make(map[string]*guardEntry)}
}

// Blocked reports whether ip is blocked now.
func (g *Guard) Blocked(ip string) bool {
	if g.maxFailures == 0 {
		return false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	e, ok := g.sources[ip]
	return ok && g.now().Before(e.blockedUntil)
}

// Fail records a failed authentication from ip and reports whether this
// failure blocked it.
func (g *Guard) Fail(ip string) (blocked bool) {
	if g.maxFailures == 0 {
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
