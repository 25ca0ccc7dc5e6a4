package sip

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash"
	"hash/maphash"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// Account is what digest authentication needs of a phone user.
type Account struct {
	UserID   uint
	Username string
	// HA1MD5 and HA1SHA256 are H(username:realm:password) with each digest
	// algorithm (RFC 7616); "" where the account has none.
	HA1MD5, HA1SHA256 string
}

// ha1 returns the account's stored hash for the digest algorithm alg.
func (a *Account) ha1(alg string) (string, bool) {
	var h string
	switch alg {
	case "MD5":
		h = a.HA1MD5
	case "SHA-256":
		h = a.HA1SHA256
	}
	return h, h != ""
}

// Digest issues digest challenges (RFC 7616, RFC 8760) and verifies answers.
//
// Nonces are stateless to issue: a timestamp, a counter and an HMAC over
// both and the address challenged, so an expired nonce is recognised as
// stale and a nonce sniffed on the wire is no use from another address.
// Using one is not stateless: a fixed table, indexed by the nonce's counter
// as Kamailio's auth module does, keeps the highest nonce-count (nc) each
// recent nonce was used with, so a credential proves one request only. The
// table's size bounds the memory whatever a peer sends; a nonce older than
// the table's span is stale and the phone simply answers a new challenge.
type Digest struct {
	realm      string
	algorithms []string
	ttl        time.Duration
	bindSource bool
	now        func() time.Time
	key        []byte
	macs       sync.Pool // of hash.Hash: HMAC-SHA256 under key, reused
	counter    atomic.Uint64
	// used holds, per nonce counter modulo its length, the highest nc
	// accepted with that nonce (0: issued, not used yet).
	used []atomic.Uint32
	// copies holds, beside used, which request spent that count and when:
	// its Request.Copy (high half) and the Unix second (low half), so a
	// retransmission of that very request is known from a replay.
	copies []atomic.Uint64
	// challengeHead is every challenge's start, up to its nonce.
	challengeHead string
	copySeed      maphash.Seed // keys requestCopy
}

// nonceSlots is how many nonces can be in use at once: 4 MiB of table,
// ample for thousands of challenges a second within a nonce's lifetime.
const nonceSlots = 1 << 20

// NewDigest returns a Digest for realm offering algorithms, most preferred
// first. Nonces older than ttl are stale. With bindSource a nonce answers
// only from the IP address it was issued to.
func NewDigest(realm string, algorithms []string, ttl time.Duration, bindSource bool, now func() time.Time) *Digest {
	key := make([]byte, 32)
	_, _ = rand.Read(key) // crypto/rand never fails on Linux
	return NewDigestWithKey(realm, algorithms, ttl, bindSource, now, key)
}

// NewDigestWithKey is NewDigest signing nonces with key: the nodes of a
// cluster share one, so a phone challenged by one node is accepted by
// another.
func NewDigestWithKey(realm string, algorithms []string, ttl time.Duration, bindSource bool, now func() time.Time, key []byte) *Digest {
	d := &Digest{realm: realm, algorithms: algorithms, ttl: ttl, bindSource: bindSource, now: now, key: key,
		used: make([]atomic.Uint32, nonceSlots), copies: make([]atomic.Uint64, nonceSlots), challengeHead: digest.Prefix + "realm=" + strconv.Quote(realm) + `, nonce="`,
		copySeed: maphash.MakeSeed()}
	d.macs.New = func() any { return hmac.New(sha256.New, key) }
	return d
}

const nonceLen = 8 + 8 + 16 // time, counter, mac

// Nonce returns a fresh nonce for a challenge sent to src.
func (d *Digest) Nonce(src netip.Addr) string {
	var b [nonceLen]byte
	n := d.counter.Add(1)
	d.used[n%nonceSlots].Store(0)
	binary.BigEndian.PutUint64(b[0:8], uint64(d.now().UnixMilli()))
	binary.BigEndian.PutUint64(b[8:16], n)
	var mac [16]byte
	d.mac(&mac, b[:16], src)
	copy(b[16:], mac[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// mac writes into out the HMAC of a nonce's time and counter, and of the
// address it was issued to when nonces are bound to it.
func (d *Digest) mac(out *[16]byte, timeCounter []byte, src netip.Addr) {
	m := d.macs.Get().(hash.Hash)
	m.Reset()
	m.Write(timeCounter)
	if d.bindSource {
		ip := src.Unmap().As16()
		m.Write(ip[:])
	}
	var sum [sha256.Size]byte
	copy(out[:], m.Sum(sum[:0]))
	d.macs.Put(m)
}

// nonceState tells whether a nonce is ours and still fresh.
type nonceState int

const (
	nonceBad nonceState = iota
	nonceStale
	nonceFresh
)

// openNonce checks a nonce answered from src: its HMAC (the one computed
// in a verification), its age and whether its slot in the table is still
// its own. It returns the nonce's counter.
func (d *Digest) openNonce(nonce string, src netip.Addr) (uint64, nonceState) {
	var b [nonceLen]byte
	if base64.RawURLEncoding.DecodedLen(len(nonce)) != nonceLen {
		return 0, nonceBad
	}
	if _, err := base64.RawURLEncoding.Decode(b[:], []byte(nonce)); err != nil {
		return 0, nonceBad
	}
	var mac [16]byte
	d.mac(&mac, b[:16], src)
	if !hmac.Equal(mac[:], b[16:]) {
		return 0, nonceBad
	}
	n := binary.BigEndian.Uint64(b[8:16])
	issued := time.UnixMilli(int64(binary.BigEndian.Uint64(b[0:8])))
	if age := d.now().Sub(issued); age > d.ttl || age < -time.Minute {
		return n, nonceStale
	}
	for c := d.counter.Load(); n > c; c = d.counter.Load() {
		// Another node issued it (they share the key, not the counter):
		// from now on its slot is this nonce's here too.
		if d.counter.CompareAndSwap(c, n) {
			d.used[n%nonceSlots].Store(0)
			break
		}
	}
	if d.counter.Load()-n >= nonceSlots {
		return n, nonceStale // its slot has been given to a newer nonce
	}
	return n, nonceFresh
}

// retransmitFor is how long after a credential's first use a copy of the
// same request counts as its retransmission: a UDP server transaction's
// life (Timer J, 64*T1, RFC 3261 17.2.2).
const retransmitFor = 32 * time.Second

// use records that nonce n was used with count nc by the request whose
// copies are known by cp (Request.Copy), and reports false when it was
// already used with nc or a higher count: a replay. A copy of the request
// that spent the count, within retransmitFor, is its retransmission and is
// accepted again: a registrar answers REGISTERs without a transaction, so
// nothing else absorbs it, and it must get the answer the first copy got
// (RFC 3261 17.2.2), not a challenge.
func (d *Digest) use(n uint64, nc uint32, cp uint32) bool {
	slot := &d.used[n%nonceSlots]
	now := d.now().Unix()
	for {
		seen := slot.Load()
		if nc < seen || nc == 0 {
			return false
		}
		if nc == seen {
			c := d.copies[n%nonceSlots].Load()
			return cp != 0 && uint32(c>>32) == cp && now-int64(uint32(c)) < int64(retransmitFor/time.Second) && now >= int64(uint32(c))
		}
		if slot.CompareAndSwap(seen, nc) {
			d.copies[n%nonceSlots].Store(uint64(cp)<<32 | uint64(uint32(now)))
			return true
		}
	}
}

// Challenges returns one WWW-Authenticate (or Proxy-Authenticate) value per
// offered algorithm, sharing one nonce issued to src.
func (d *Digest) Challenges(stale bool, src netip.Addr) []string {
	nonce := d.Nonce(src)
	out := make([]string, len(d.algorithms))
	for i, alg := range d.algorithms {
		// What digest.Challenge.String writes, from parts made once: a
		// challenge is a third of the messages a registrar sends.
		tail := `", algorithm=` + alg + `, qop="auth"`
		if stale {
			tail = `", stale=true, algorithm=` + alg + `, qop="auth"`
		}
		out[i] = d.challengeHead + nonce + tail
	}
	return out
}

// Verdict is the outcome of checking an Authorization header.
type Verdict int

const (
	// Challenge: no usable credentials (none, another realm, a nonce not ours);
	// answer with a fresh challenge. Not a failed attempt.
	Challenge Verdict = iota
	// Stale: an expired nonce, or one already used with this nonce-count
	// (a replay); challenge with stale=true, as Kamailio does, so a phone
	// answers again without asking its user.
	Stale
	// Malformed: the header cannot be parsed.
	Malformed
	// WrongURI: the credentials were made for another Request-URI
	// (RFC 2617 3.2.2.5 says 400 Bad Request).
	WrongURI
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

// Request is what a credential must have been made for: the request's
// method and Request-URI, and the address it came from.
type Request struct {
	Method string
	URI    sip.Uri
	Source netip.Addr
	// Copy is the same for every copy of one request, retransmissions
	// included, and differs for any other (requestCopy); 0 when unknown.
	Copy uint32
}

// Verify checks cred, sent with r, against the account's stored hash.
// acct is nil when no such user exists; the work done is the same, so the
// answer and its timing do not tell whether the user exists.
func (d *Digest) Verify(cred *digest.Credentials, r Request, acct *Account) Verdict {
	n, st := d.openNonce(cred.Nonce, r.Source)
	return d.verify(cred, r, n, st, acct)
}

// verify is Verify on a nonce already opened, so that Authenticate can
// look the account up only for a fresh nonce without a second HMAC.
func (d *Digest) verify(cred *digest.Credentials, r Request, n uint64, st nonceState, acct *Account) Verdict {
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
	switch st {
	case nonceBad:
		return Challenge
	case nonceStale:
		return Stale
	}
	var uri sip.Uri
	if err := sip.ParseUri(cred.URI, &uri); err != nil || !equalURI(uri, r.URI) {
		return WrongURI
	}
	ha1 := unknownHA1 // stands in for an unknown user
	if acct != nil {
		if h, ok := acct.ha1(alg); ok {
			ha1 = h
		}
	}
	if cred.QOP != "" && cred.Cnonce == "" {
		return Failed // digest.Digest made one up, so no answer matched
	}
	var wantBuf, gotBuf [2 * sha256.Size]byte
	want := response(wantBuf[:0], alg, ha1, r.Method, cred)
	got := gotBuf[:0]
	if len(cred.Response) == len(want) {
		for i := 0; i < len(cred.Response); i++ {
			c := cred.Response[i]
			if 'A' <= c && c <= 'F' {
				c += 'a' - 'A'
			}
			got = append(got, c)
		}
	}
	if acct == nil || subtle.ConstantTimeCompare(want, got) != 1 {
		return Failed
	}
	// Only a proven answer moves the count, so nobody without the password
	// can spoil a phone's nonce. With qop the phone counts its uses of a
	// nonce and each count is good once (a phone may reuse a nonce for its
	// next call, RFC 7616 3.4); without qop there is no count, so the
	// nonce is good for one request.
	nc := uint32(1)
	if cred.QOP != "" {
		nc = uint32(cred.Nc)
	}
	if !d.use(n, nc, r.Copy) {
		return Stale
	}
	return OK
}

// unknownHA1 is the stored hash checked for a user that does not exist.
var unknownHA1 = strings.Repeat("0", 64)

// response appends to dst the lower-case hex response a phone holding ha1
// should have sent with cred (RFC 7616 3.4.1; RFC 2617 3.2.2.1 without
// qop), for alg MD5 or SHA-256. It is what digest.Digest computes, without
// its dozen allocations: the parts are joined on the stack.
func response(dst []byte, alg, ha1, method string, cred *digest.Credentials) []byte {
	sum := func(dst, data []byte) []byte {
		if alg == "SHA-256" {
			h := sha256.Sum256(data)
			return hex.AppendEncode(dst, h[:])
		}
		h := md5.Sum(data)
		return hex.AppendEncode(dst, h[:])
	}
	var a2Buf, kdBuf [512]byte
	a2 := append(append(append(a2Buf[:0], method...), ':'), cred.URI...)
	var ha2Buf [2 * sha256.Size]byte
	ha2 := sum(ha2Buf[:0], a2)
	kd := append(append(append(kdBuf[:0], ha1...), ':'), cred.Nonce...)
	if cred.QOP != "" {
		kd = append(kd, ':')
		kd = appendHex8(kd, uint32(max(cred.Nc, 1))) // digest.Digest's default
		kd = append(append(append(kd, ':'), cred.Cnonce...), ':')
		kd = append(kd, cred.QOP...)
	}
	kd = append(append(kd, ':'), ha2...)
	return sum(dst, kd)
}

// appendHex8 appends n as eight lower-case hex digits, as nc is written.
func appendHex8(dst []byte, n uint32) []byte {
	const digits = "0123456789abcdef"
	for shift := 28; shift >= 0; shift -= 4 {
		dst = append(dst, digits[(n>>uint(shift))&0xf])
	}
	return dst
}

// requestCopy returns req's Request.Copy: a keyed hash of what tells one
// request from another and of everything a registrar applies from it (its
// source, Call-ID, CSeq, top Via branch, Contacts, Expires, User-Agent),
// so a request altered in any of these is no retransmission of the one
// that spent a nonce-count, and nobody without the key can make one that
// passes for it. Never 0.
func (d *Digest) requestCopy(req *sip.Request) uint32 {
	var h maphash.Hash
	h.SetSeed(d.copySeed)
	h.WriteString(req.Source())
	h.WriteByte(0)
	if c := req.CallID(); c != nil {
		h.WriteString(c.Value())
	}
	h.WriteByte(0)
	if c := req.CSeq(); c != nil {
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], c.SeqNo)
		h.Write(b[:])
		h.WriteString(string(c.MethodName))
	}
	if v := req.Via(); v != nil {
		b, _ := v.Params.Get("branch")
		h.WriteString(b)
	}
	for _, hd := range req.Headers() {
		switch name := hd.Name(); {
		case strings.EqualFold(name, "Contact"), strings.EqualFold(name, "Expires"), strings.EqualFold(name, "User-Agent"):
			h.WriteByte(0)
			h.WriteString(name)
			h.WriteByte(0)
			h.WriteString(hd.Value())
		}
	}
	return uint32(h.Sum64()) | 1
}

func (d *Digest) offers(alg string) bool {
	for _, a := range d.algorithms {
		if strings.EqualFold(a, alg) {
			return true
		}
	}
	return false
}
