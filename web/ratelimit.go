package web

import (
	"math"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Credential guesses allowed per client before it must wait: wrong admin
// passwords and wrong bearer tokens count alike, against one budget, so a
// guesser gains nothing by switching between them.
const (
	maxGuesses   = 5
	guessWindow  = time.Minute
	maxGuessKeys = 10000 // clients remembered at once
)

// failureLimiter counts failed attempts per client and refuses a client that
// has failed max times within window, until its oldest failure ages out.
//
// An attempt is counted when it starts (take) and forgiven if it succeeds,
// so that a burst of parallel guesses cannot all pass before the first
// failure is recorded.
type failureLimiter struct {
	max     int
	window  time.Duration
	maxKeys int
	now     func() time.Time

	mu    sync.Mutex
	fails map[string][]time.Time
}

func newFailureLimiter(max int, window time.Duration, now func() time.Time) *failureLimiter {
	return &failureLimiter{max: max, window: window, maxKeys: maxGuessKeys, now: now, fails: map[string][]time.Time{}}
}

// take starts an attempt by key. It returns how long key must wait, or 0 and
// the attempt's time, which the caller passes to forgive if it succeeds.
func (l *failureLimiter) take(key string) (wait time.Duration, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	recent := l.prune(key, now)
	if len(recent) >= l.max {
		return recent[len(recent)-l.max].Add(l.window).Sub(now), time.Time{}
	}
	if recent == nil && len(l.fails) >= l.maxKeys {
		l.evict(now)
	}
	l.fails[key] = append(recent, now)
	return 0, now
}

// forgive takes back the attempt key started at at: it succeeded.
func (l *failureLimiter) forgive(key string, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ts := l.fails[key]
	for i := len(ts) - 1; i >= 0; i-- {
		if ts[i].Equal(at) {
			ts = append(ts[:i], ts[i+1:]...)
			break
		}
	}
	if len(ts) == 0 {
		delete(l.fails, key)
		return
	}
	l.fails[key] = ts
}

// evict makes room for more clients: it drops everyone whose failures have
// aged out, and if that leaves the map over half full, the clients
// whose last failure is the oldest, down to half. The map never
// holds more than maxKeys clients, whatever number of addresses a guesser
// sprays from, and the sweep runs at most once per maxKeys/2 new clients.
func (l *failureLimiter) evict(now time.Time) {
	type client struct {
		key  string
		last time.Time
	}
	all := make([]client, 0, len(l.fails))
	for k := range l.fails {
		if ts := l.prune(k, now); len(ts) > 0 {
			all = append(all, client{k, ts[len(ts)-1]})
		}
	}
	keep := l.maxKeys / 2
	if len(all) <= keep {
		return
	}
	slices.SortFunc(all, func(a, b client) int { return a.last.Compare(b.last) })
	for _, c := range all[:len(all)-keep] {
		delete(l.fails, c.key)
	}
}

func (l *failureLimiter) prune(key string, now time.Time) []time.Time {
	ts := l.fails[key]
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= l.window {
		i++
	}
	ts = ts[i:]
	if len(ts) == 0 {
		delete(l.fails, key)
		return nil
	}
	l.fails[key] = ts
	return ts
}

// tooManyGuesses answers 429 with Retry-After for a client that must wait d.
func tooManyGuesses(w http.ResponseWriter, d time.Duration) {
	secs := int(math.Ceil(d.Seconds()))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	writeJSON(w, http.StatusTooManyRequests, errorBody{Error: "too many wrong passwords or tokens; try again in " + strconv.Itoa(secs) + " seconds"})
}

// limitFailures wraps next so that each 401 it answers counts as a failure for
// the client, and a client over the limit gets 429 with Retry-After
// without reaching next.
func limitFailures(l *failureLimiter, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := guessKey(r)
		d, at := l.take(key)
		if d > 0 {
			tooManyGuesses(w, d)
			return
		}
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.status != http.StatusUnauthorized {
			l.forgive(key, at)
		}
	})
}

// clientIP is the peer address. X-Forwarded-For is not trusted: anyone can
// send it, and trusting it would let a client pick a fresh limit per request.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// guessKey is who a guess is counted against: the client's IPv4 address, or
// the /64 network of an IPv6 address, since one IPv6 host commonly holds a
// whole /64 and could take a fresh address for every guess.
func guessKey(r *http.Request) string {
	ip := clientIP(r)
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}
