package sip

import (
	"sync"
	"time"
)

// Lockout counts failed authentications per account, from whatever source,
// and locks an account that fails too often: password guessing spread over
// many addresses stays under the per-address Guard but not under this. A
// locked account accepts no new device; the Authenticator lets its
// registered devices go on, so an attacker cannot lock a user out.
type Lockout struct {
	maxFailures int
	window      time.Duration
	lockFor     time.Duration
	now         func() time.Time

	mu       sync.Mutex
	accounts map[string]*lockEntry
}

type lockEntry struct {
	failures    int
	windowStart time.Time
	lockedUntil time.Time
}

// maxTracked bounds the accounts counted at once. Only existing accounts
// are counted (a guess at an unknown username is not), so filling it takes
// that many real usernames failing within a window.
const maxTracked = 10000

// NewLockout locks an account for lockFor once it fails maxFailures times
// within window; maxFailures 0 turns locking off.
func NewLockout(maxFailures int, window, lockFor time.Duration, now func() time.Time) *Lockout {
	return &Lockout{maxFailures: maxFailures, window: window, lockFor: lockFor, now: now, accounts: make(map[string]*lockEntry)}
}

// Locked reports whether user's account is locked now.
func (l *Lockout) Locked(user string) bool {
	if l.maxFailures == 0 {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.accounts[user]
	return ok && l.now().Before(e.lockedUntil)
}

// Fail records a failed authentication of an existing account and reports
// whether this failure locked it.
func (l *Lockout) Fail(user string) (locked bool) {
	if l.maxFailures == 0 {
		return false
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.accounts[user]
	if !ok {
		if len(l.accounts) >= maxTracked {
			l.sweep(now)
		}
		if len(l.accounts) >= maxTracked {
			return false // full of accounts failing now: count this one later
		}
		e = &lockEntry{windowStart: now}
		l.accounts[user] = e
	}
	if now.Sub(e.windowStart) > l.window {
		e.failures, e.windowStart = 0, now
	}
	e.failures++
	if e.failures >= l.maxFailures && !now.Before(e.lockedUntil) {
		e.lockedUntil = now.Add(l.lockFor)
		e.failures = 0
		return true
	}
	return false
}

// Sweep forgets accounts whose window and lock have both run out.
func (l *Lockout) Sweep() {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
}

func (l *Lockout) sweep(now time.Time) {
	for user, e := range l.accounts {
		if now.Sub(e.windowStart) > l.window && !now.Before(e.lockedUntil) {
			delete(l.accounts, user)
		}
	}
}
