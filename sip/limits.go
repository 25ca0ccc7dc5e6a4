package sip

import (
	"net/netip"
	"sync"

	"pbx/configs"
)

// The limits a call can be refused by: the pbx_sip_calls_limited_total labels.
const (
	limitUser   = "user"
	limitSource = "source"
	limitTrunk  = "trunk"
)

// limitReasons are the reason phrases of the refusals: a user already in
// as many calls as allowed is busy (486, the phone shows it); a source or
// trunk at its cap gets 503, which sends a carrier to its next route.
var limitReasons = map[string]string{
	limitUser:   "Busy Here",
	limitSource: "Service Unavailable",
	limitTrunk:  "Service Unavailable",
}

// limits counts the calls in progress per phone user, per source address
// of phone users' calls and per trunk (both ways), and refuses one more
// than the configured cap. A call holds its places from admission until it
// is refused, fails or ends.
type limits struct {
	cfg     configs.Limits
	mu      sync.Mutex
	users   map[string]int
	sources map[netip.Addr]int
	trunks  map[uint]int
}

func newLimits(cfg configs.Limits) *limits {
	return &limits{cfg: cfg, users: make(map[string]int), sources: make(map[netip.Addr]int), trunks: make(map[uint]int)}
}

// admit takes a new call's places: by trunk for a carrier's call, by user
// and source address for a phone user's. Over a cap it takes none and
// returns the SIP status to answer and which limit it was.
func (l *limits) admit(in Inbound, src netip.Addr) (release []func(), code int, limit string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if in.TrunkID != 0 {
		if !take(l.trunks, in.TrunkID, l.cfg.CallsPerTrunk) {
			return nil, 503, limitTrunk
		}
		return []func(){free(&l.mu, l.trunks, in.TrunkID)}, 0, ""
	}
	if over(l.users, in.From, l.cfg.CallsPerUser) {
		return nil, 486, limitUser
	}
	if over(l.sources, src, l.cfg.CallsPerSource) {
		return nil, 503, limitSource
	}
	take(l.users, in.From, 0)
	take(l.sources, src, 0)
	return []func(){free(&l.mu, l.users, in.From), free(&l.mu, l.sources, src)}, 0, ""
}

// takeTrunk takes a place on trunk for an outbound call.
func (l *limits) takeTrunk(trunk uint) (func(), bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !take(l.trunks, trunk, l.cfg.CallsPerTrunk) {
		return nil, false
	}
	return free(&l.mu, l.trunks, trunk), true
}

// over reports whether key holds max places already; max 0 is no cap.
func over[K comparable](m map[K]int, key K, max int) bool { return max > 0 && m[key] >= max }

// take counts one more place for key unless it is over max.
func take[K comparable](m map[K]int, key K, max int) bool {
	if over(m, key, max) {
		return false
	}
	m[key]++
	return true
}

// free returns the function that gives key's place in m back, once.
func free[K comparable](mu *sync.Mutex, m map[K]int, key K) func() {
	return sync.OnceFunc(func() {
		mu.Lock()
		defer mu.Unlock()
		if m[key]--; m[key] <= 0 {
			delete(m, key)
		}
	})
}
