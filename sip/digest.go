package sip

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/icholy/digest"
)

// Account is what digest authentication needs of a phone user.
type Account struct {
	UserID   uint
	Username string
	// HA1 maps a digest algorithm ("MD5", "SHA-256") to H(username:realm:password).
	HA1 map[string]string
}

// Digest issues digest challenges (RFC 7616, RFC 8760) and verifies answers.
// Nonces are stateless: a timestamp, a counter and an HMAC over both, so they
// cost no memory, and an expired one is recognised as stale.
type Digest struct {
	realm      string
	algorithms []string
	ttl        time.Duration
	now        func() time.Time
	key        []byte
	counter    atomic.Uint64
}

// NewDigest returns a Digest for realm offering algorithms, most preferred
// first. Nonces older than ttl are stale.
func NewDigest(realm string, algorithms []string, ttl time.Duration, now func() time.Time) *Digest {
	key := make([]byte, 32)
	_, _ = rand.Read(key) // crypto/rand never fails on Linux
	return &Digest{realm: realm, algorithms: algorithms, ttl: ttl, now: now, key: key}
}

const nonceLen = 8 + 8 + 16 // time, counter, mac

// Nonce returns a fresh nonce.
func (d *Digest) Nonce() string {
	var b [nonceLen]byte
	binary.BigEndian.PutUint64(b[0:8], uint64(d.now().UnixMilli()))
	binary.BigEndian.PutUint64(b[8:16], d.counter.Add(1))
	mac := hmac.New(sha256.New, d.key)
	mac.Write(b[:16])
	copy(b[16:], mac.Sum(nil))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// nonceState tells whether a nonce is ours and still fresh.
type nonceState int

const (
	nonceBad nonceState = iota
	nonceStale
	nonceFresh
)

func (d *Digest) checkNonce(nonce string) nonceState {
	var b [nonceLen]byte
	if base64.RawURLEncoding.DecodedLen(len(nonce)) != nonceLen {
		return nonceBad
	}
	if _, err := base64.RawURLEncoding.Decode(b[:], []byte(nonce)); err != nil {
		return nonceBad
	}
	mac := hmac.New(sha256.New, d.key)
	mac.Write(b[:16])
	if !hmac.Equal(mac.Sum(nil)[:16], b[16:]) {
		return nonceBad
	}
	issued := time.UnixMilli(int64(binary.BigEndian.Uint64(b[0:8])))
	if age := d.now().Sub(issued); age > d.ttl || age < -time.Minute {
		return nonceStale
	}
	return nonceFresh
}

// Challenges returns one WWW-Authenticate (or Proxy-Authenticate) value per
// offered algorithm, sharing one nonce.
func (d *Digest) Challenges(stale bool) []string {
	nonce := d.Nonce()
	out := make([]string, len(d.algorithms))
	for i, alg := range d.algorithms {
		c := digest.Challenge{Realm: d.realm, Nonce: nonce, Algorithm: alg, QOP: []string{"auth"}, Stale: stale}
		out[i] = c.String()
	}
	return out
}

// Verdict is the outcome of checking an Authorization header.
type Verdict int

const (
	// Challenge: no usable credentials (none, another realm, a nonce not ours);
	// answer with a fresh challenge. Not a failed attempt.
	Challenge Verdict = iota
	// Stale: right password shape but an expired nonce; challenge with stale=true.
	Stale
	// Malformed: the header cannot be parsed.
	Malformed
	// Failed: an unknown user or a wrong password. The two are never told apart.
	Failed
	// OK: the credentials prove the account.
	OK
)

var errNoHeader = errors.New("no credentials")

var errBadCredentials = errors.New("malformed digest credentials")

// Credentials parses a Digest Authorization header value (RFC 7616 3.4):
// comma-separated name=value pairs, values quoted or bare. It is written
// for the REGISTER hot path: one pass, no allocation beyond the result.
func Credentials(header string) (*digest.Credentials, error) {
	if header == "" {
		return nil, errNoHeader
	}
	rest, ok := digest.CutPrefix(header)
	if !ok {
		return nil, errBadCredentials
	}
	c := &digest.Credentials{}
	for {
		rest = strings.TrimLeft(rest, " \t,")
		if rest == "" {
			break
		}
		eq := strings.IndexByte(rest, '=')
		if eq <= 0 {
			return nil, errBadCredentials
		}
		name := strings.TrimSpace(rest[:eq])
		rest = strings.TrimLeft(rest[eq+1:], " \t")
		var value string
		if strings.HasPrefix(rest, `"`) {
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				return nil, errBadCredentials
			}
			value, rest = rest[1:end+1], rest[end+2:]
		} else {
			end := strings.IndexByte(rest, ',')
			if end < 0 {
				end = len(rest)
			}
			value, rest = strings.TrimSpace(rest[:end]), rest[end:]
		}
		switch strings.ToLower(name) {
		case "username":
			c.Username = value
		case "realm":
			c.Realm = value
		case "nonce":
			c.Nonce = value
		case "uri":
			c.URI = value
		case "response":
			c.Response = value
		case "algorithm":
			c.Algorithm = value
		case "cnonce":
			c.Cnonce = value
		case "opaque":
			c.Opaque = value
		case "qop":
			c.QOP = value
		case "nc":
			n, err := strconv.ParseUint(value, 16, 32)
			if err != nil {
				return nil, errBadCredentials
			}
			c.Nc = int(n)
		case "userhash":
			c.Userhash = strings.EqualFold(value, "true")
		}
	}
	if c.Username == "" || c.Nonce == "" || c.Response == "" {
		return nil, errBadCredentials
	}
	return c, nil
}

// Verify checks cred, sent with method, against the account's stored hash.
// acct is nil when no such user exists; the work done is the same, so the
// answer and its timing do not tell whether the user exists.
func (d *Digest) Verify(cred *digest.Credentials, method string, acct *Account) Verdict {
	if cred.Realm != d.realm || cred.Userhash {
		return Challenge
	}
	alg := strings.ToUpper(cred.Algorithm)
	if alg == "" {
		alg = "MD5"
	}
	if !d.offers(alg) || (cred.QOP != "" && cred.QOP != "auth") {
		return Challenge
	}
	switch d.checkNonce(cred.Nonce) {
	case nonceBad:
		return Challenge
	case nonceStale:
		return Stale
	}
	ha1 := strings.Repeat("0", 64) // stands in for an unknown user
	if acct != nil {
		if h, ok := acct.HA1[alg]; ok {
			ha1 = h
		}
	}
	chal := &digest.Challenge{Realm: d.realm, Nonce: cred.Nonce, Algorithm: cred.Algorithm}
	if cred.QOP != "" {
		chal.QOP = []string{cred.QOP}
	}
	want, err := digest.Digest(chal, digest.Options{
		Method: method, URI: cred.URI, Username: cred.Username,
		A1: ha1, Cnonce: cred.Cnonce, Count: cred.Nc,
	})
	if err != nil {
		return Malformed
	}
	if acct == nil || subtle.ConstantTimeCompare([]byte(want.Response), []byte(strings.ToLower(cred.Response))) != 1 {
		return Failed
	}
	return OK
}

func (d *Digest) offers(alg string) bool {
	for _, a := range d.algorithms {
		if strings.EqualFold(a, alg) {
			return true
		}
	}
	return false
}
