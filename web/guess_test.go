package web

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"
)

// TestBearerGuessingIsLimited is the attack of issue 11: 2,000 wrong bearer
// tokens as fast as 16 connections from one address carry them, over real
// TCP. Only the first few reach the token check (five, plus at most the
// checks already under way when the fifth failed); the rest, and then even
// the right token from that address, get 429 with Retry-After until the
// guesses age out.
func TestBearerGuessingIsLimited(t *testing.T) {
	s, clk := testServer(t)
	srv := httptest.NewServer(s)
	defer srv.Close()
	client := srv.Client()
	get := func(token string) (int, string) {
		r, err := http.NewRequest("GET", srv.URL+"/api/v1/users", nil)
		if err != nil {
			t.Error(err)
			return 0, ""
		}
		r.Header.Set("Authorization", "Bearer "+token)
		res, err := client.Do(r)
		if err != nil {
			t.Error(err)
			return 0, ""
		}
		res.Body.Close()
		return res.StatusCode, res.Header.Get("Retry-After")
	}

	const guesses, workers = 2000, 16
	var mu sync.Mutex
	count := map[int]int{}
	var wg sync.WaitGroup
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < guesses; i += workers {
				code, _ := get(fmt.Sprintf("guess-%06d", i))
				mu.Lock()
				count[code]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	t.Logf("%d guesses in %v: %v", guesses, time.Since(start).Round(time.Millisecond), count)
	if n := count[http.StatusUnauthorized]; n < maxGuesses || n > maxGuesses+workers-1 || n+count[http.StatusTooManyRequests] != guesses {
		t.Fatalf("answers %v: want %d to %d checked (401) and the rest refused (429)", count, maxGuesses, maxGuesses+workers-1)
	}

	code, retry := get(bootstrap)
	if code != http.StatusTooManyRequests {
		t.Fatalf("the right token from the guessing address: %d, want 429 while it is held back", code)
	}
	if n, err := strconv.Atoi(retry); err != nil || n < 1 || n > int(guessWindow/time.Second) {
		t.Fatalf("Retry-After %q", retry)
	}
	// The guesses count against sign-in too: one budget for both.
	res := do(t, s, req{method: "POST", path: "/api/v1/session", body: `{"password":"` + bootstrap + `"}`, remote: "127.0.0.1:5555"})
	wantStatus(t, res, http.StatusTooManyRequests)
	// Another address is not held back.
	wantStatus(t, do(t, s, req{method: "GET", path: "/api/v1/users", bearer: bootstrap, remote: "192.0.2.9:4000"}), http.StatusOK)

	clk.t = clk.t.Add(guessWindow)
	if code, _ := get(bootstrap); code != http.StatusOK {
		t.Fatalf("the right token after the guesses aged out: %d", code)
	}
}

// TestGoodTokensAreNotCounted: a program that uses its token all day is
// never held back.
func TestGoodTokensAreNotCounted(t *testing.T) {
	s, _ := testServer(t)
	for range 3 * maxGuesses {
		wantStatus(t, do(t, s, req{method: "GET", path: "/api/v1/users", bearer: bootstrap}), http.StatusOK)
	}
	for range maxGuesses - 1 {
		wantStatus(t, do(t, s, req{method: "GET", path: "/api/v1/users", bearer: "wrong"}), http.StatusUnauthorized)
	}
	wantStatus(t, do(t, s, req{method: "GET", path: "/api/v1/users", bearer: bootstrap}), http.StatusOK)
}

func TestGuessesFromOneIPv6NetworkShareALimit(t *testing.T) {
	s, _ := testServer(t)
	for i := range maxGuesses {
		remote := fmt.Sprintf("[2001:db8:1:2::%x]:443", i+1)
		wantStatus(t, do(t, s, req{method: "GET", path: "/api/v1/users", bearer: "wrong", remote: remote}), http.StatusUnauthorized)
	}
	wantStatus(t, do(t, s, req{method: "GET", path: "/api/v1/users", bearer: bootstrap, remote: "[2001:db8:1:2::99]:443"}), http.StatusTooManyRequests)
	wantStatus(t, do(t, s, req{method: "GET", path: "/api/v1/users", bearer: bootstrap, remote: "[2001:db8:1:3::1]:443"}), http.StatusOK)
}

// TestGuessStateIsBounded: guesses sprayed from more addresses than the
// limiter remembers leave it at its bound.
func TestGuessStateIsBounded(t *testing.T) {
	now := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	l := newFailureLimiter(maxGuesses, guessWindow, func() time.Time { return now })
	l.maxKeys = 1000
	guess := func(key string) time.Duration {
		d := l.take(key)
		if d == 0 {
			l.done(key, true)
		}
		return d
	}
	for i := range 5000 {
		if d := guess(fmt.Sprintf("198.51.%d.%d", i/256, i%256)); d != 0 {
			t.Fatalf("a first guess waits %v", d)
		}
		now = now.Add(time.Millisecond)
	}
	if n := len(l.clients); n > l.maxKeys {
		t.Fatalf("the limiter holds %d clients, bound %d", n, l.maxKeys)
	}
	// A client still guessing keeps its count while the spray goes on.
	for range maxGuesses {
		guess("203.0.113.1")
	}
	if guess("203.0.113.1") == 0 {
		t.Fatal("the guesser was forgotten")
	}
}

// TestGuessesUnderWay: one guess after another gets exactly the limit; a
// burst gets at most the limit plus the checks allowed under way; a
// program's requests at once with the right token, up to that many, are
// never held, however many it sends in all.
func TestGuessesUnderWay(t *testing.T) {
	now := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	l := newFailureLimiter(maxGuesses, guessWindow, func() time.Time { return now })
	for i := range maxGuesses {
		if d := l.take("a"); d != 0 {
			t.Fatalf("guess %d waits %v", i+1, d)
		}
		l.done("a", true)
	}
	if d := l.take("a"); d != guessWindow {
		t.Fatalf("after %d failures: wait %v, want %v", maxGuesses, d, guessWindow)
	}

	for i := range maxGuesses + maxInFlight {
		if d := l.take("b"); d != 0 {
			t.Fatalf("check %d under way waits %v", i+1, d)
		}
	}
	if d := l.take("b"); d != time.Second {
		t.Fatalf("one check more than the limit under way: wait %v, want 1s", d)
	}

	for range 100 {
		for range maxGuesses + maxInFlight {
			if d := l.take("c"); d != 0 {
				t.Fatalf("a right token waits %v", d)
			}
		}
		for range maxGuesses + maxInFlight {
			l.done("c", false)
		}
	}
	if _, ok := l.clients["c"]; ok {
		t.Fatal("a client with no failures and nothing under way is remembered")
	}
}

// BenchmarkGuessSpray is one guess from a new address while the limiter
// is full of recent guessers: the cost a spray of addresses imposes.
func BenchmarkGuessSpray(b *testing.B) {
	now := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	l := newFailureLimiter(maxGuesses, guessWindow, func() time.Time { return now })
	keys := make([]string, 4*maxGuessKeys)
	for i := range keys {
		keys[i] = fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if l.take(keys[i%len(keys)]) == 0 {
			l.done(keys[i%len(keys)], true)
		}
		now = now.Add(time.Microsecond)
	}
}
