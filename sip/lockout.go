package sip

import "time"

// Lockout counts failed authentications per account, from whatever source,
// and locks an account that fails too often: password guessing spread over
// many addresses stays under the per-address Guard but not under this. A
// locked account accepts no new device; the Authenticator lets its
// registered devices go on, so an attacker cannot lock a user out.
type Lockout struct {
	failures
}

// maxTracked bounds the accounts counted at once. Only existing accounts
// are counted (a guess at an unknown username is not), so filling it takes
// that many real usernames failing within a window.
const maxTracked = 10000

// NewLockout locks an account for lockFor once it fails maxFailures times
// within window; maxFailures 0 turns locking off.
func NewLockout(maxFailures int, window, lockFor time.Duration, now func() time.Time) *Lockout {
	return &Lockout{newFailures(maxFailures, window, lockFor, maxTracked, now)}
}

// Locked reports whether user's account is locked now.
func (l *Lockout) Locked(user string) bool { return l.barred(user) }

// Fail records a failed authentication of an existing account and reports
// whether this failure locked it.
func (l *Lockout) Fail(user string) (locked bool) { return l.fail(user) }

// Sweep forgets accounts whose window and lock have both run out.
func (l *Lockout) Sweep() { l.sweep() }
