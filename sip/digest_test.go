package sip

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

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

// answer plays the phone: it answers the challenge with password.
func answer(t *testing.T, chal, user, pass string) *digest.Credentials {
	t.Helper()
	c, err := digest.ParseChallenge(chal)
	if err != nil {
		t.Fatal(err)
	}
	cred, err := digest.Digest(c, digest.Options{Method: "REGISTER", URI: "sip:pbx", Username: user, Password: pass})
	if err != nil {
		t.Fatal(err)
	}
	return cred
}

func TestDigestVerify(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	d := NewDigest("pbx", []string{"MD5", "SHA-256"}, time.Minute, clock)
	acct := &Account{Username: "1001", HA1: map[string]string{
		"MD5": ha1("MD5", "1001", "pbx", "right-pass"), "SHA-256": ha1("SHA-256", "1001", "pbx", "right-pass"),
	}}
	chals := d.Challenges(false)
	if len(chals) != 2 || !strings.Contains(chals[0], "MD5") || !strings.Contains(chals[1], "SHA-256") {
		t.Fatalf("challenges = %q, want MD5 then SHA-256", chals)
	}
	for _, chal := range chals {
		if got := d.Verify(answer(t, chal, "1001", "right-pass"), "REGISTER", acct); got != OK {
			t.Errorf("%s right password: verdict %v, want OK", chal, got)
		}
		if got := d.Verify(answer(t, chal, "1001", "wrong-pass"), "REGISTER", acct); got != Failed {
			t.Errorf("%s wrong password: verdict %v, want Failed", chal, got)
		}
		if got := d.Verify(answer(t, chal, "9999", "right-pass"), "REGISTER", nil); got != Failed {
			t.Errorf("%s unknown user: verdict %v, want Failed (same as a wrong password)", chal, got)
		}
	}

	t.Run("method is part of the digest", func(t *testing.T) {
		if got := d.Verify(answer(t, chals[0], "1001", "right-pass"), "INVITE", acct); got != Failed {
			t.Errorf("verdict %v, want Failed", got)
		}
	})
	t.Run("expired nonce is stale", func(t *testing.T) {
		cred := answer(t, chals[0], "1001", "right-pass")
		now = now.Add(2 * time.Minute)
		defer func() { now = now.Add(-2 * time.Minute) }()
		if got := d.Verify(cred, "REGISTER", acct); got != Stale {
			t.Errorf("verdict %v, want Stale", got)
		}
	})
	t.Run("forged nonce is challenged, not counted", func(t *testing.T) {
		cred := answer(t, chals[0], "1001", "right-pass")
		cred.Nonce = strings.ToUpper(cred.Nonce)
		if got := d.Verify(cred, "REGISTER", acct); got != Challenge {
			t.Errorf("verdict %v, want Challenge", got)
		}
		other := NewDigest("pbx", []string{"MD5"}, time.Minute, clock)
		if got := other.Verify(answer(t, chals[0], "1001", "right-pass"), "REGISTER", acct); got != Challenge {
			t.Errorf("nonce of another key: verdict %v, want Challenge", got)
		}
	})
	t.Run("other realm is challenged", func(t *testing.T) {
		cred := answer(t, strings.Replace(chals[0], `realm="pbx"`, `realm="evil"`, 1), "1001", "right-pass")
		if got := d.Verify(cred, "REGISTER", acct); got != Challenge {
			t.Errorf("verdict %v, want Challenge", got)
		}
	})
	t.Run("algorithm not offered is challenged", func(t *testing.T) {
		md5only := NewDigest("pbx", []string{"MD5"}, time.Minute, clock)
		cred := answer(t, strings.Replace(md5only.Challenges(false)[0], "MD5", "SHA-256", 1), "1001", "right-pass")
		if got := md5only.Verify(cred, "REGISTER", acct); got != Challenge {
			t.Errorf("verdict %v, want Challenge", got)
		}
	})
	t.Run("no qop (RFC 2069 phones)", func(t *testing.T) {
		c, _ := digest.ParseChallenge(chals[0])
		c.QOP = nil
		cred, _ := digest.Digest(c, digest.Options{Method: "REGISTER", URI: "sip:pbx", Username: "1001", Password: "right-pass"})
		if got := d.Verify(cred, "REGISTER", acct); got != OK {
			t.Errorf("verdict %v, want OK", got)
		}
	})
}

func TestStaleChallengeSaysSo(t *testing.T) {
	d := NewDigest("pbx", []string{"MD5"}, time.Minute, time.Now)
	c, err := digest.ParseChallenge(d.Challenges(true)[0])
	if err != nil || !c.Stale {
		t.Fatalf("stale challenge parsed as %+v, %v", c, err)
	}
}

func BenchmarkDigestVerify(b *testing.B) {
	d := NewDigest("pbx", []string{"MD5"}, time.Minute, time.Now)
	acct := &Account{Username: "1001", HA1: map[string]string{"MD5": ha1("MD5", "1001", "pbx", "pw")}}
	c, _ := digest.ParseChallenge(d.Challenges(false)[0])
	cred, _ := digest.Digest(c, digest.Options{Method: "REGISTER", URI: "sip:pbx", Username: "1001", Password: "pw"})
	b.ReportAllocs()
	for b.Loop() {
		if d.Verify(cred, "REGISTER", acct) != OK {
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
