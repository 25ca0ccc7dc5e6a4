package sip

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// Authenticator proves who sent a request: it challenges, checks answers
// with Digest, looks accounts up, and reports failures to the Guard (per
// source) and the Lockout (per account). A locked account is proven only
// from an address one of its devices is registered from (loc).
type Authenticator struct {
	digest   *Digest
	guard    *Guard
	lockout  *Lockout
	accounts Accounts
	loc      *Location
	metrics  *Metrics
	log      *slog.Logger
}

// NewAuthenticator returns an Authenticator.
func NewAuthenticator(d *Digest, g *Guard, lock *Lockout, accounts Accounts, loc *Location, m *Metrics, log *slog.Logger) *Authenticator {
	return &Authenticator{digest: d, guard: g, lockout: lock, accounts: accounts, loc: loc, metrics: m, log: log}
}

// Authenticate returns the account that sent req. When it cannot, it has
// already answered the transaction (401/407 challenge, 400 or 403) and
// returns false. status is 401 for REGISTER and 407 for other requests.
func (a *Authenticator) Authenticate(req *sip.Request, tx Responder, status int) (Account, bool) {
	return a.authenticate(req, tx, status, nil)
}

// authenticate is Authenticate with req's credentials already parsed
// (inMemory), or nil to read them here.
func (a *Authenticator) authenticate(req *sip.Request, tx Responder, status int, cred *digest.Credentials) (Account, bool) {
	hdrName, chalName := "Authorization", "WWW-Authenticate"
	if status == 407 {
		hdrName, chalName = "Proxy-Authorization", "Proxy-Authenticate"
	}
	src := sourceAddr(req.Source())
	challenge := func(stale bool) {
		reason := "Unauthorized"
		if status == 407 {
			reason = "Proxy Authentication Required"
		}
		chals := a.digest.Challenges(stale, src)
		hdrs := make([]sip.Header, len(chals))
		for i, c := range chals {
			hdrs[i] = sip.NewHeader(chalName, c)
		}
		respond(tx, req, status, reason, hdrs)
	}
	if cred == nil {
		h := req.GetHeader(hdrName)
		if h == nil || !digest.IsDigest(h.Value()) {
			// No credentials, or a scheme we do not speak (RFC 4475 3.3.7):
			// ask for Digest.
			challenge(false)
			return Account{}, false
		}
		var err error
		if cred, err = Credentials(h.Value()); err != nil {
			respond(tx, req, 400, "Malformed "+hdrName, nil)
			return Account{}, false
		}
	}
	// Look the account up only for credentials worth checking, so that a
	// flood of junk costs no database reads.
	var acct *Account
	n, st := a.digest.openNonce(cred.Nonce, src)
	if st == nonceFresh {
		found, err := a.accounts.Account(context.Background(), cred.Username)
		switch {
		case err == nil:
			acct = &found
		case !errors.Is(err, ErrUnknownAccount):
			a.log.Error("look up account", "user", cred.Username, "error", err)
			respond(tx, req, 500, "Server Internal Error", nil)
			return Account{}, false
		}
	}
	r := Request{Method: string(req.Method), URI: req.Recipient, Source: src, Copy: a.digest.requestCopy(req)}
	switch a.digest.verify(cred, r, n, st, acct) {
	case OK:
		if a.lockout.Locked(acct.Username) && !a.loc.HasSource(acct.Username, src) {
			// The right password from a new device of a locked account:
			// most likely the guess that found it. The answer is a wrong
			// password's, so the guesser learns nothing.
			a.log.Info("refused a new device of a locked account", "remote", req.Source(), "user", acct.Username, "method", string(req.Method))
			respond(tx, req, 403, "Forbidden", nil)
			return Account{}, false
		}
		return *acct, true
	case Stale:
		challenge(true)
	case Challenge:
		challenge(false)
	case Malformed:
		respond(tx, req, 400, "Malformed "+hdrName, nil)
	case WrongURI:
		// A credential made for another request: a replay, or a broken
		// phone. Neither is a password guess.
		a.log.Info("credentials for another Request-URI", "remote", req.Source(), "user", cred.Username, "method", string(req.Method))
		respond(tx, req, 400, "Authorization URI Mismatch", nil)
	case Failed:
		ip := sourceIP(req.Source())
		a.metrics.authFailures.Inc()
		if a.guard.Fail(ip) {
			a.log.Warn("blocking source after repeated authentication failures",
				"remote", ip, "block_for", a.guard.bar.String())
		} else {
			a.log.Info("authentication failed", "remote", req.Source(), "user", cred.Username, "method", string(req.Method))
		}
		// Only existing accounts are counted, so made-up usernames cost no memory.
		if acct != nil && a.lockout.Fail(acct.Username) {
			a.metrics.accountLocks.Inc()
			a.log.Warn("locking account after repeated authentication failures: it accepts no new device",
				"user", acct.Username, "lock_for", a.lockout.bar.String())
		}
		// The same answer whether the user exists or the password is wrong.
		respond(tx, req, 403, "Forbidden", nil)
	}
	return Account{}, false
}

// inMemory reports whether authenticating req (a REGISTER) needs no
// database read: it has no credentials to check, or their account is in
// memory. It returns the credentials it parsed for authenticate, or nil.
func (a *Authenticator) inMemory(req *sip.Request) (*digest.Credentials, bool) {
	h := req.GetHeader("Authorization")
	if h == nil {
		return nil, true
	}
	cred, err := Credentials(h.Value())
	if err != nil {
		return nil, true // answered 400 or challenged without a lookup
	}
	return cred, a.accounts.Cached(cred.Username)
}

func sourceIP(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return host
}

// systemClock is the clock the server runs on outside tests.
func systemClock() time.Time { return time.Now() }
