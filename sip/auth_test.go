package sip

import (
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// answers records what Authenticate answered.
type answers struct{ last *sip.Response }

func (a *answers) Respond(res *sip.Response) error { a.last = res; return nil }

// authFixture is an Authenticator on a clock the test moves.
type authFixture struct {
	t    *testing.T
	now  time.Time
	auth *Authenticator
	loc  *Location
	m    *Metrics
}

func newAuthFixture(t *testing.T) *authFixture {
	f := &authFixture{t: t, now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	clock := func() time.Time { return f.now }
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	f.loc = NewLocation(nil, log, 10, clock)
	g := NewGuard(0, time.Minute, time.Minute, nil, clock)
	f.m = NewMetrics(prometheus.NewRegistry(), f.loc, g, func() int { return 0 })
	f.auth = NewAuthenticator(NewDigest("pbx", []string{"MD5"}, time.Minute, true, clock), g,
		NewLockout(3, 10*time.Minute, 15*time.Minute, clock), fakeAccounts{"1001": "alice-secret"}, f.loc, f.m, log)
	return f
}

// request builds a REGISTER (or INVITE) to ruri from src, with authorization.
func request(method sip.RequestMethod, ruri, src, authorization string) *sip.Request {
	var u sip.Uri
	sip.ParseUri(ruri, &u)
	req := sip.NewRequest(method, u)
	req.AppendHeader(&sip.ViaHeader{ProtocolName: "SIP", ProtocolVersion: "2.0", Transport: "UDP", Host: "192.0.2.10", Port: 5060,
		Params: sip.HeaderParams{{K: "branch", V: sip.GenerateBranch()}}})
	req.AppendHeader(&sip.FromHeader{Address: sip.Uri{User: "1001", Host: "pbx"}, Params: sip.HeaderParams{{K: "tag", V: "t1"}}})
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{User: "1001", Host: "pbx"}})
	cid := sip.CallIDHeader("c1")
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: method})
	hdr := "Authorization"
	if method != sip.REGISTER {
		hdr = "Proxy-Authorization"
	}
	if authorization != "" {
		req.AppendHeader(sip.NewHeader(hdr, authorization))
	}
	req.SetSource(src)
	return req
}

func status(method sip.RequestMethod) int {
	if method == sip.REGISTER {
		return 401
	}
	return 407
}

// challenge sends req without credentials and returns the challenge.
func (f *authFixture) challenge(method sip.RequestMethod, ruri, src string) *digest.Challenge {
	f.t.Helper()
	var a answers
	if _, ok := f.auth.Authenticate(request(method, ruri, src, ""), &a, status(method)); ok || a.last.StatusCode != status(method) {
		f.t.Fatalf("no credentials: %v", a.last)
	}
	name := "WWW-Authenticate"
	if method != sip.REGISTER {
		name = "Proxy-Authenticate"
	}
	c, err := digest.ParseChallenge(a.last.GetHeader(name).Value())
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// send answers chal with password as the nc-th use, for uri, and returns
// the answer (nil when authenticated).
func (f *authFixture) send(method sip.RequestMethod, ruri, uri, src, password string, chal *digest.Challenge, nc int) *sip.Response {
	f.t.Helper()
	cred, err := digest.Digest(chal, digest.Options{Method: string(method), URI: uri, Username: "1001", Password: password, Count: nc})
	if err != nil {
		f.t.Fatal(err)
	}
	var a answers
	if _, ok := f.auth.Authenticate(request(method, ruri, src, cred.String()), &a, status(method)); ok {
		return nil
	}
	return a.last
}

func TestAuthenticateRefusesReplays(t *testing.T) {
	f := newAuthFixture(t)
	const phone, attacker, ruri = "192.0.2.10:5060", "198.51.100.66:5060", "sip:+4930123456@pbx"

	chal := f.challenge(sip.INVITE, ruri, phone)
	if res := f.send(sip.INVITE, ruri, ruri, phone, "alice-secret", chal, 1); res != nil {
		t.Fatalf("the phone's own call: %d", res.StatusCode)
	}
	isChallenge := func(res *sip.Response, stale bool) bool {
		h := res.GetHeader("Proxy-Authenticate")
		return res.StatusCode == 407 && h != nil && strings.Contains(h.Value(), "stale=true") == stale
	}
	if res := f.send(sip.INVITE, ruri, ruri, phone, "alice-secret", chal, 1); res == nil || !isChallenge(res, true) {
		t.Fatalf("the same credentials again: %v, want 407 stale=true", res)
	}
	if res := f.send(sip.INVITE, "sip:+19005550100@pbx", ruri, phone, "alice-secret", chal, 2); res == nil || res.StatusCode != 400 {
		t.Fatalf("credentials for another Request-URI: %v, want 400", res)
	}
	if res := f.send(sip.INVITE, ruri, ruri, attacker, "alice-secret", chal, 3); res == nil || !isChallenge(res, false) {
		t.Fatalf("the nonce from another address: %v, want a fresh 407", res)
	}
	if res := f.send(sip.INVITE, ruri, ruri, phone, "alice-secret", chal, 4); res != nil {
		t.Fatalf("the phone's next call on the same nonce (nc=4): %d", res.StatusCode)
	}

	// An expired nonce: a new challenge with stale=true (RFC 2617 3.2.1).
	chal = f.challenge(sip.INVITE, ruri, phone)
	f.now = f.now.Add(2 * time.Minute)
	if res := f.send(sip.INVITE, ruri, ruri, phone, "alice-secret", chal, 1); res == nil || !isChallenge(res, true) {
		t.Fatalf("an expired nonce: %v, want 407 stale=true", res)
	}
}

func TestAuthenticateLockedAccountKeepsItsDevices(t *testing.T) {
	f := newAuthFixture(t)
	const device, guesser, ruri = "192.0.2.10:5060", "203.0.113.9:5060", "sip:pbx"
	// The device is registered.
	f.loc.Apply(Update{AOR: "1001", UserID: 7, CallID: "d", CSeq: 1, Source: device, Transport: "udp",
		Contacts: []ContactUpdate{{URI: "sip:1001@192.0.2.10", Expires: 600}}})

	for i := range 3 { // from three addresses, each under any per-address limit
		src := []string{"203.0.113.1:5060", "203.0.113.2:5060", "203.0.113.3:5060"}[i]
		if res := f.send(sip.REGISTER, ruri, ruri, src, "guess", f.challenge(sip.REGISTER, ruri, src), 1); res == nil || res.StatusCode != 403 {
			t.Fatalf("wrong password: %v", res)
		}
	}
	if got := testutil.ToFloat64(f.m.accountLocks); got != 1 {
		t.Fatalf("pbx_sip_account_locks_total = %v, want 1", got)
	}
	if res := f.send(sip.REGISTER, ruri, ruri, guesser, "alice-secret", f.challenge(sip.REGISTER, ruri, guesser), 1); res == nil || res.StatusCode != 403 {
		t.Fatalf("the right password from a new address of a locked account: %v, want 403", res)
	}
	if res := f.send(sip.REGISTER, ruri, ruri, "192.0.2.10:5062", "alice-secret", f.challenge(sip.REGISTER, ruri, "192.0.2.10:5062"), 1); res != nil {
		t.Fatalf("the registered device: %d, want authenticated", res.StatusCode)
	}
	f.now = f.now.Add(16 * time.Minute)
	if res := f.send(sip.REGISTER, ruri, ruri, guesser, "alice-secret", f.challenge(sip.REGISTER, ruri, guesser), 1); res != nil {
		t.Fatalf("a new device after the lock: %d, want authenticated", res.StatusCode)
	}
}
