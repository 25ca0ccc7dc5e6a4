package sip

import (
	"net/netip"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"
)

// Pike limits the requests each source IP may send, as Kamailio's pike
// module does: a source over its rate is ignored for a while. It sees
// requests before anything parses them, so a flood from one address costs
// a map lookup each. It drops rather than answering 503: an answer would go
// to a source address that may be forged, and a flood that gets nothing
// back learns nothing.
type Pike struct {
	rate     rate.Limit
	burst    int
	blockFor time.Duration
	now      func() time.Time
	// exempt sources are never limited: carriers' trunks, the allow-list.
	exempt func(netip.Addr) bool

	// sources holds at most a fixed number of addresses, forgetting the
	// least recently seen first, so a flood from forged addresses cannot
	// grow it; a source forgotten starts again with a full bucket.
	sources *lru.Cache[netip.Addr, *pikeSource]
}

type pikeSource struct {
	limit *rate.Limiter

	mu           sync.Mutex
	blockedUntil time.Time
}

// NewPike lets each source send perSecond requests on average and burst at
// once; a source over that is dropped for blockFor. It tracks at most
// maxSources addresses. perSecond 0 turns the limit off (nil Pike).
func NewPike(perSecond, burst int, blockFor time.Duration, maxSources int, exempt func(netip.Addr) bool, now func() time.Time) *Pike {
	if perSecond <= 0 {
		return nil
	}
	if maxSources < 1 {
		maxSources = 1
	}
	c, _ := lru.New[netip.Addr, *pikeSource](maxSources) // size > 0: no error
	return &Pike{rate: rate.Limit(perSecond), burst: max(burst, 1), blockFor: blockFor, now: now, exempt: exempt, sources: c}
}

// Allow reports whether a request from ip may be processed now, and counts it.
func (p *Pike) Allow(ip netip.Addr) bool {
	if p == nil {
		return true
	}
	ip = ip.Unmap()
	if p.exempt != nil && p.exempt(ip) {
		return true
	}
	now := p.now()
	src, ok := p.sources.Get(ip)
	if !ok {
		src = &pikeSource{limit: rate.NewLimiter(p.rate, p.burst)}
		if prev, found, _ := p.sources.PeekOrAdd(ip, src); found {
			src = prev
		}
	}
	src.mu.Lock()
	defer src.mu.Unlock()
	if now.Before(src.blockedUntil) {
		return false
	}
	if src.limit.AllowN(now, 1) {
		return true
	}
	src.blockedUntil = now.Add(p.blockFor)
	return false
}

// Tracked returns how many sources the limiter holds state for.
func (p *Pike) Tracked() int {
	if p == nil {
		return 0
	}
	return p.sources.Len()
}
