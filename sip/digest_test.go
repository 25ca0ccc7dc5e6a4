package sip

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

func ha1(alg, user, realm, pass string) string {
	s := user + ":" + realm + ":" + pass
	if alg == "SHA-256" {
		h := sha256.Sum256([]byte(s))
		return hex.EncodeToString(h[:])
	}
	h := md5.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

// answer plays the phone: it answers the challenge with password, for a
// REGISTER to sip:pbx.
func answer(t *testing.T, chal, user, pass string) *digest.Credentials {
	t.Helper()
	return answerN(t, chal, user, pass, 1)
}

// answerN answers the challenge as the nc-th use of its nonce.
func answerN(t *testing.T, chal, user, pass string, nc int) *digest.Credentials {
	t.Helper()
	c, err := digest.ParseChallenge(chal)
	if err != nil {
		t.Fatal(err)
	}
	cred, err := digest.Digest(c, digest.Options{Method: "REGISTER", URI: "sip:pbx", Username: user, Password: pass, Count: nc})
	if err != nil {
		t.Fatal(err)
	}
	return cred
}

var (
	phoneIP = netip.MustParseAddr("192.0.2.10")
	otherIP = netip.MustParseAddr("198.51.100.66")
	// register is the request the answers above are made for, from phoneIP.
	register = Request{Method: "REGISTER", URI: sip.Uri{Scheme: "sip", Host: "pbx"}, Source: phoneIP}
)

func from(r Request, ip netip.Addr) Request { r.Source = ip; return r }

func TestDigestVerify(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	d := NewDigest("pbx", []string{"MD5", "SHA-256"}, time.Minute, true, clock)
	acct := &Account{Username: "1001", HA1MD5: ha1("MD5", "1001", "pbx", "right-pass"), HA1SHA256: ha1("SHA-256", "1001", "pbx", "right-pass")}
	chals := d.Challenges(false, phoneIP)
	if len(chals) != 2 || !strings.Contains(chals[0], "MD5") || !strings.Contains(chals[1], "SHA-256") {
		t.Fatalf("challenges = %q, want MD5 then SHA-256", chals)
	}
	for i := range chals {
		chal := d.Challenges(false, phoneIP)[i] // the challenges share a nonce, good once
		if got := d.Verify(answer(t, chal, "1001", "wrong-pass"), register, acct); got != Failed {
			t.Errorf("%s wrong password: verdict %v, want Failed", chal, got)
		}
		if got := d.Verify(answer(t, chal, "9999", "right-pass"), register, nil); got != Failed {
			t.Errorf("%s unknown user: verdict %v, want Failed (same as a wrong password)", chal, got)
		}
		if got := d.Verify(answer(t, chal, "1001", "right-pass"), register, acct); got != OK {
			t.Errorf("%s right password: verdict %v, want OK", chal, got)
		}
	}
	fresh := func() string { t.Helper(); return d.Challenges(false, phoneIP)[0] }

	t.Run("method is part of the digest", func(t *testing.T) {
		invite := register
		invite.Method = "INVITE"
		if got := d.Verify(answer(t, fresh(), "1001", "right-pass"), invite, acct); got != Failed {
			t.Errorf("verdict %v, want Failed", got)
		}
	})
	t.Run("expired nonce is stale", func(t *testing.T) {
		cred := answer(t, fresh(), "1001", "right-pass")
		now = now.Add(2 * time.Minute)
		defer func() { now = now.Add(-2 * time.Minute) }()
		if got := d.Verify(cred, register, acct); got != Stale {
			t.Errorf("verdict %v, want Stale", got)
		}
	})
	t.Run("forged nonce is challenged, not counted", func(t *testing.T) {
		cred := answer(t, fresh(), "1001", "right-pass")
		cred.Nonce = strings.ToUpper(cred.Nonce)
		if got := d.Verify(cred, register, acct); got != Challenge {
			t.Errorf("verdict %v, want Challenge", got)
		}
		other := NewDigest("pbx", []string{"MD5"}, time.Minute, true, clock)
		if got := other.Verify(answer(t, fresh(), "1001", "right-pass"), register, acct); got != Challenge {
			t.Errorf("nonce of another key: verdict %v, want Challenge", got)
		}
	})
	t.Run("other realm is challenged", func(t *testing.T) {
		cred := answer(t, strings.Replace(fresh(), `realm="pbx"`, `realm="evil"`, 1), "1001", "right-pass")
		if got := d.Verify(cred, register, acct); got != Challenge {
			t.Errorf("verdict %v, want Challenge", got)
		}
	})
	t.Run("algorithm not offered is challenged", func(t *testing.T) {
		md5only := NewDigest("pbx", []string{"MD5"}, time.Minute, true, clock)
		cred := answer(t, strings.Replace(md5only.Challenges(false, phoneIP)[0], "MD5", "SHA-256", 1), "1001", "right-pass")
		if got := md5only.Verify(cred, register, acct); got != Challenge {
			t.Errorf("verdict %v, want Challenge", got)
		}
	})
	t.Run("no qop (RFC 2069 phones)", func(t *testing.T) {
		c, _ := digest.ParseChallenge(fresh())
		c.QOP = nil
		cred, _ := digest.Digest(c, digest.Options{Method: "REGISTER", URI: "sip:pbx", Username: "1001", Password: "right-pass"})
		if got := d.Verify(cred, register, acct); got != OK {
			t.Errorf("verdict %v, want OK", got)
		}
	})
}

// TestDigestReplay: a credential proves the one request it was made for.
func TestDigestReplay(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	acct := &Account{Username: "1001", HA1MD5: ha1("MD5", "1001", "pbx", "right-pass")}
	d := NewDigest("pbx", []string{"MD5"}, time.Minute, true, clock)

	t.Run("the same nonce-count twice is stale", func(t *testing.T) {
		cred := answer(t, d.Challenges(false, phoneIP)[0], "1001", "right-pass")
		if got := d.Verify(cred, register, acct); got != OK {
			t.Fatalf("first use: %v, want OK", got)
		}
		if got := d.Verify(cred, register, acct); got != Stale {
			t.Fatalf("replay: %v, want Stale", got)
		}
	})
	t.Run("nonce-count must grow", func(t *testing.T) {
		chal := d.Challenges(false, phoneIP)[0]
		for _, step := range []struct {
			nc   int
			want Verdict
		}{{1, OK}, {2, OK}, {5, OK}, {5, Stale}, {3, Stale}, {6, OK}} {
			if got := d.Verify(answerN(t, chal, "1001", "right-pass", step.nc), register, acct); got != step.want {
				t.Errorf("nc=%d: %v, want %v", step.nc, got, step.want)
			}
		}
	})
	t.Run("a wrong password does not spend a nonce-count", func(t *testing.T) {
		chal := d.Challenges(false, phoneIP)[0]
		if got := d.Verify(answerN(t, chal, "1001", "guess", 9), register, acct); got != Failed {
			t.Fatalf("wrong password: %v", got)
		}
		if got := d.Verify(answerN(t, chal, "1001", "right-pass", 1), register, acct); got != OK {
			t.Fatalf("the phone's own nc=1 after a failed nc=9: %v, want OK", got)
		}
	})
	t.Run("without qop a nonce is good once", func(t *testing.T) {
		c, _ := digest.ParseChallenge(d.Challenges(false, phoneIP)[0])
		c.QOP = nil
		cred, _ := digest.Digest(c, digest.Options{Method: "REGISTER", URI: "sip:pbx", Username: "1001", Password: "right-pass"})
		if got := d.Verify(cred, register, acct); got != OK {
			t.Fatalf("first use: %v", got)
		}
		if got := d.Verify(cred, register, acct); got != Stale {
			t.Fatalf("second use: %v, want Stale", got)
		}
	})
	t.Run("uri must be the Request-URI", func(t *testing.T) {
		other := register
		other.URI = sip.Uri{Scheme: "sip", User: "+19005550100", Host: "pbx"}
		if got := d.Verify(answer(t, d.Challenges(false, phoneIP)[0], "1001", "right-pass"), other, acct); got != WrongURI {
			t.Fatalf("credential for sip:pbx on a request to %s: %v, want WrongURI", other.URI.String(), got)
		}
	})
	t.Run("nonce is bound to the address challenged", func(t *testing.T) {
		cred := answer(t, d.Challenges(false, phoneIP)[0], "1001", "right-pass")
		if got := d.Verify(cred, from(register, otherIP), acct); got != Challenge {
			t.Fatalf("from another address: %v, want Challenge", got)
		}
		if got := d.Verify(cred, register, acct); got != OK {
			t.Fatalf("from the address challenged: %v, want OK", got)
		}
	})
	t.Run("roaming phones: binding off", func(t *testing.T) {
		roam := NewDigest("pbx", []string{"MD5"}, time.Minute, false, clock)
		cred := answer(t, roam.Challenges(false, phoneIP)[0], "1001", "right-pass")
		if got := roam.Verify(cred, from(register, otherIP), acct); got != OK {
			t.Fatalf("from another address with binding off: %v, want OK", got)
		}
		if got := roam.Verify(cred, register, acct); got != Stale {
			t.Fatalf("replayed from anywhere: %v, want Stale", got)
		}
	})
	t.Run("a nonce whose slot was reused is stale", func(t *testing.T) {
		cred := answer(t, d.Challenges(false, phoneIP)[0], "1001", "right-pass")
		d.counter.Add(nonceSlots) // as many challenges as the table holds since
		if got := d.Verify(cred, register, acct); got != Stale {
			t.Fatalf("verdict %v, want Stale", got)
		}
	})
}

func TestEqualURI(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"sip:pbx", "sip:pbx", true},
		{"sip:7001@pbx.example.com", "SIP:7001@PBX.Example.COM", true},
		{"sip:%37001@pbx", "sip:7001@pbx", true},
		{"sip:+4930123456@10.0.0.1:5060", "sip:+4930123456@10.0.0.1:5060", true},
		{"sip:+4930123456@10.0.0.1:5060", "sip:+19005550100@10.0.0.1:5060", false},
		{"sip:alice@pbx", "sip:ALICE@pbx", false},
		{"sip:pbx", "sip:pbx:5060", false},
		{"sip:pbx", "sips:pbx", false},
		{"sip:pbx;transport=udp", "sip:pbx", false},
		{"sip:pbx;transport=UDP", "sip:pbx;transport=udp", true},
		{"sip:pbx;foo=1", "sip:pbx", true},
		{"sip:pbx;foo=1", "sip:pbx;foo=2", false},
		{"sip:pbx?subject=x", "sip:pbx", false},
		{"tel:+15550001111", "tel:+15550001111", true},
		{"tel:+15550001111", "tel:+15550002222", false},
	}
	for _, tt := range tests {
		var a, b sip.Uri
		if err := sip.ParseUri(tt.a, &a); err != nil {
			t.Fatalf("%s: %v", tt.a, err)
		}
		if err := sip.ParseUri(tt.b, &b); err != nil {
			t.Fatalf("%s: %v", tt.b, err)
		}
		if got := equalURI(a, b); got != tt.want {
			t.Errorf("equalURI(%s, %s) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
		if got := equalURI(b, a); got != tt.want {
			t.Errorf("equalURI(%s, %s) = %v, want %v", tt.b, tt.a, got, tt.want)
		}
	}
}

func TestStaleChallengeSaysSo(t *testing.T) {
	d := NewDigest("pbx", []string{"MD5"}, time.Minute, true, time.Now)
	c, err := digest.ParseChallenge(d.Challenges(true, phoneIP)[0])
	if err != nil || !c.Stale {
		t.Fatalf("stale challenge parsed as %+v, %v", c, err)
	}
}

func BenchmarkDigestVerify(b *testing.B) {
	d := NewDigest("pbx", []string{"MD5"}, time.Minute, true, time.Now)
	acct := &Account{Username: "1001", HA1MD5: ha1("MD5", "1001", "pbx", "pw")}
	c, _ := digest.ParseChallenge(d.Challenges(false, phoneIP)[0])
	nc := 0
	b.ReportAllocs()
	for b.Loop() {
		nc++ // each use of the nonce counts up, as a phone's do
		cred, _ := digest.Digest(c, digest.Options{Method: "REGISTER", URI: "sip:pbx", Username: "1001", Password: "pw", Count: nc})
		if d.Verify(cred, register, acct) != OK {
			b.Fatal("not ok")
		}
	}
}

func TestCredentialsParser(t *testing.T) {
	tests := []struct {
		in   string
		want digest.Credentials
		bad  bool
	}{
		{in: `Digest username="1001", realm="pbx", nonce="abc", uri="sip:pbx", response="ff", algorithm=MD5, cnonce="x,y", qop=auth, nc=0000000a`,
			want: digest.Credentials{Username: "1001", Realm: "pbx", Nonce: "abc", URI: "sip:pbx", Response: "ff", Algorithm: "MD5", Cnonce: "x,y", QOP: "auth", Nc: 10}},
		{in: `digest USERNAME="a b",nonce=n1,response=r1`, want: digest.Credentials{Username: "a b", Nonce: "n1", Response: "r1"}},
		{in: `Basic dXNlcjpwYXNz`, bad: true},
		{in: `Digest username="unterminated, nonce="n", response="r"`, bad: true},
		{in: `Digest username="u", nonce="n"`, bad: true},
		{in: `Digest username="u", nonce="n", response="r", nc=zz`, bad: true},
		{in: `Digest =x`, bad: true},
	}
	for _, tt := range tests {
		got, err := Credentials(tt.in)
		if tt.bad {
			if err == nil {
				t.Errorf("%q parsed as %+v, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || *got != tt.want {
			t.Errorf("%q = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func FuzzCredentials(f *testing.F) {
	f.Add(`Digest username="1001", realm="pbx", nonce="abc", uri="sip:pbx", response="ff", qop=auth, nc=00000001, cnonce="c"`)
	f.Add(`Digest a="`)
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Credentials(s)
		if err == nil && (c.Username == "" || c.Nonce == "" || c.Response == "") {
			t.Fatalf("accepted %q without the required fields", s)
		}
	})
}

// BenchmarkOpenNonce is the HMAC check a verification now does once
// (Authenticate used to do it twice).
func BenchmarkOpenNonce(b *testing.B) {
	d := NewDigest("pbx", []string{"MD5"}, time.Minute, true, time.Now)
	nonce := d.Nonce(phoneIP)
	b.ReportAllocs()
	for b.Loop() {
		if _, st := d.openNonce(nonce, phoneIP); st != nonceFresh {
			b.Fatal("not fresh")
		}
	}
}

// Nodes of a cluster share the nonce key, not their counters: a phone
// challenged by one node is accepted by another, once.
func TestDigestNonceFromAnotherNode(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	acct := &Account{Username: "1001", HA1MD5: ha1("MD5", "1001", "pbx", "right-pass")}
	key := []byte("0123456789abcdef0123456789abcdef")
	a := NewDigestWithKey("pbx", []string{"MD5"}, time.Minute, true, clock, key)
	b := NewDigestWithKey("pbx", []string{"MD5"}, time.Minute, true, clock, key)
	for range 5 {
		a.Challenges(false, phoneIP) // a has issued more nonces than b
	}
	cred := answer(t, a.Challenges(false, phoneIP)[0], "1001", "right-pass")
	if got := b.Verify(cred, register, acct); got != OK {
		t.Fatalf("b on a's nonce: %v, want OK", got)
	}
	if got := b.Verify(cred, register, acct); got != Stale {
		t.Fatalf("b on a replay: %v, want Stale", got)
	}
	other := NewDigest("pbx", []string{"MD5"}, time.Minute, true, clock)
	if got := other.Verify(answer(t, a.Challenges(false, phoneIP)[0], "1001", "right-pass"), register, acct); got == OK {
		t.Fatal("a node with another key accepted the nonce")
	}
}

// TestResponseMatchesDigestPackage checks the hand-joined response against
// github.com/icholy/digest, which it replaces on the hot path, and that a
// challenge reads as that package writes it.
func TestResponseMatchesDigestPackage(t *testing.T) {
	for _, tc := range []struct {
		name, alg, qop, cnonce string
		nc                     int
	}{
		{"md5 no qop", "MD5", "", "", 0},
		{"md5 auth", "MD5", "auth", "c0ffee", 1},
		{"md5 auth nc 0x1a2b", "MD5", "auth", "abc", 0x1a2b},
		{"sha-256 auth", "SHA-256", "auth", "xyz", 7},
		{"sha-256 no qop", "SHA-256", "", "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &digest.Challenge{Realm: "pbx", Nonce: "AAECAwQFBgc", Algorithm: tc.alg}
			if tc.qop != "" {
				c.QOP = []string{tc.qop}
			}
			ref, err := digest.Digest(c, digest.Options{Username: "1001", Password: "pw", Method: "REGISTER",
				URI: "sip:pbx;transport=udp", Cnonce: tc.cnonce, Count: tc.nc})
			if err != nil {
				t.Fatal(err)
			}
			got := response(nil, tc.alg, ha1(tc.alg, "1001", "pbx", "pw"), "REGISTER", ref)
			if string(got) != ref.Response {
				t.Errorf("response = %s, want %s", got, ref.Response)
			}
		})
	}
	d := NewDigest(`p"bx`, []string{"MD5", "SHA-256"}, time.Minute, false, time.Now)
	for _, stale := range []bool{false, true} {
		for i, got := range d.Challenges(stale, phoneIP) {
			c, err := digest.ParseChallenge(got)
			if err != nil {
				t.Fatal(err)
			}
			want := (&digest.Challenge{Realm: `p"bx`, Nonce: c.Nonce, Algorithm: d.algorithms[i], QOP: []string{"auth"}, Stale: stale}).String()
			if got != want {
				t.Errorf("challenge %q, want %q", got, want)
			}
		}
	}
}

// TestDigestRetransmission: a registrar answers REGISTERs statelessly, so a
// retransmitted REGISTER reaches Verify again with the nonce-count its
// first copy spent. It must pass (and get the same 200) while a
// transaction would still absorb it; another request with that count is a
// replay.
func TestDigestRetransmission(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	acct := &Account{Username: "1001", HA1MD5: ha1("MD5", "1001", "pbx", "right-pass")}
	d := NewDigest("pbx", []string{"MD5"}, time.Minute, true, clock)
	first, other := register, register
	first.Copy, other.Copy = 0x1234567, 0x7654321
	cred := answer(t, d.Challenges(false, phoneIP)[0], "1001", "right-pass")
	steps := []struct {
		name  string
		after time.Duration
		r     Request
		want  Verdict
	}{
		{"first copy", 0, first, OK},
		{"its retransmission", time.Second, first, OK},
		{"another request with the count", 0, other, Stale},
		{"a request whose copies are unknown", 0, register, Stale},
		{"the retransmission, later than a transaction lives", retransmitFor, first, Stale},
	}
	for _, s := range steps {
		now = now.Add(s.after)
		if got := d.Verify(cred, s.r, acct); got != s.want {
			t.Errorf("%s: %v, want %v", s.name, got, s.want)
		}
	}
}
