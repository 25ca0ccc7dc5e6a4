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
	maxInFlight  = 64    // credential checks under way per client at once, beyond maxGuesses
	maxGuessKeys = 10000 // clients remembered at once
)

// failureLimiter counts failed attempts per client and refuses a client that
// has failed max times within window, until its oldest failure ages out.
//
// A failure is known only once its check ends, so a burst of parallel
// guesses could all start before the first is counted. The checks under
// way count too, up to inFlight more than max: a burst gets at most
// max+inFlight guesses checked a window, while a program with the right
// token is held back (1 s) only beyond max+inFlight requests at once.
type failureLimiter struct {
	max      int
	inFlight int
	window   time.Duration
	maxKeys  int
	now      func() time.Time

	mu      sync.Mutex
	clients map[string]*guesser
}

type guesser struct {
	fails   []time.Time // within the window, oldest first
	pending int         // checks under way
}

func newFailureLimiter(max int, window time.Duration, now func() time.Time) *failureLimiter {
	return &failureLimiter{max: max, inFlight: maxInFlight, window: window, maxKeys: maxGuessKeys, now: now, clients: map[string]*guesser{}}
}

// take starts a check for key. It returns how long key must wait first; 0
// means go ahead, and the caller must call done when the check ends.
func (l *failureLimiter) take(key string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	g := l.prune(key, now)
	switch {
	case g == nil:
		if len(l.clients) >= l.maxKeys {
			l.evict(now)
		}
		g = &guesser{}
		l.clients[key] = g
	case len(g.fails) >= l.max:
		return g.fails[len(g.fails)-l.max].Add(l.window).Sub(now)
	case len(g.fails)+g.pending >= l.max+l.inFlight:
		return time.Second
	}
	g.pending++
	return 0
}

// done ends a check take let through; failed counts it against key.
func (l *failureLimiter) done(key string, failed bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	g := l.prune(key, now)
	if g == nil {
		if !failed {
			return
		}
		g = &guesser{} // evicted meanwhile; the failure still counts
		l.clients[key] = g
	}
	if g.pending > 0 {
		g.pending--
	}
	if failed {
		g.fails = append(g.fails, now)
	}
	if len(g.fails) == 0 && g.pending == 0 {
		delete(l.clients, key)
	}
}

// evict makes room for more clients: it drops everyone whose failures have
// aged out, and if that leaves the map over half full, the clients whose
// last failure is the oldest, down to half. The map never holds more than
// maxKeys clients, whatever number of addresses a guesser sprays from, and
// the sweep runs at most once per maxKeys/2 new clients.
func (l *failureLimiter) evict(now time.Time) {
	type client struct {
		key  string
		last time.Time
	}
	all := make([]client, 0, len(l.clients))
	for k := range l.clients {
		if g := l.prune(k, now); g != nil {
			var last time.Time // checks under way, no failure: the oldest
			if len(g.fails) > 0 {
				last = g.fails[len(g.fails)-1]
			}
			all = append(all, client{k, last})
		}
	}
	keep := l.maxKeys / 2
	if len(all) <= keep {
		return
	}
	slices.SortFunc(all, func(a, b client) int { return a.last.Compare(b.last) })
	for _, c := range all[:len(all)-keep] {
		delete(l.clients, c.key)
	}
}

// prune drops key's failures that have aged out, and key itself when
// nothing is left; it returns what is.
func (l *failureLimiter) prune(key string, now time.Time) *guesser {
	g := l.clients[key]
	if g == nil {
		return nil
	}
	i := 0
	for i < len(g.fails) && now.Sub(g.fails[i]) >= l.window {
		i++
	}
	g.fails = g.fails[i:]
	if len(g.fails) == 0 && g.pending == 0 {
		delete(l.clients, key)
		return nil
	}
	return g
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
		if d := l.take(key); d > 0 {
			tooManyGuesses(w, d)
			return
		}
		rec := &statusRecorder{ResponseWriter: w}
		defer func() { l.done(key, rec.status == http.StatusUnauthorized) }()
		next.ServeHTTP(rec, r)
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
