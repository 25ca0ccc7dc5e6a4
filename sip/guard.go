package sip

import (
	"net/netip"
	"time"
)

// Guard counts failed authentications per source IP and blocks an address
// that fails too often, so passwords cannot be guessed at wire speed. It
// never counts or blocks an exempt address (a carrier's, an allowed
// network): failures forged with the carrier's address must not cut the
// carrier off.
type Guard struct {
	failures
	exempt func(netip.Addr) bool
}

// maxGuarded bounds the addresses counted at once: failures from forged
// addresses cannot grow the table past it (past it new addresses are
// counted once others run out; the Lockout still counts per account).
const maxGuarded = 100000

// NewGuard blocks an IP for blockFor once it fails maxFailures times within
// window. maxFailures 0 turns blocking off. Addresses for which exempt (if
// not nil) reports true are never counted.
func NewGuard(maxFailures int, window, blockFor time.Duration, exempt func(netip.Addr) bool, now func() time.Time) *Guard {
	if exempt == nil {
		exempt = func(netip.Addr) bool { return false }
	}
	return &Guard{newFailures(maxFailures, window, blockFor, maxGuarded, now), exempt}
}

// Blocked reports whether ip is blocked now.
func (g *Guard) Blocked(ip string) bool {
	// Asked only of blocked addresses, so a packet costs no lookup: an
	// address that became a trunk's after it was blocked is let in.
	return g.barred(ip) && !g.isExempt(ip)
}

func (g *Guard) isExempt(ip string) bool {
	a, err := netip.ParseAddr(ip)
	return err == nil && g.exempt(a.Unmap())
}

// Fail records a failed authentication from ip and reports whether this
// failure blocked it.
func (g *Guard) Fail(ip string) (blocked bool) {
	if g.max == 0 || g.isExempt(ip) {
		return false
	}
	return g.fail(ip)
}

// Sweep forgets sources whose window and block have both run out.
func (g *Guard) Sweep() { g.sweep() }

// BlockedCount returns how many sources are blocked now.
func (g *Guard) BlockedCount() int { return g.barredCount() }
