package media

import (
	"bytes"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/zaf/g711"
	"go.uber.org/goleak"
)

// phone is a peer on loopback sending and receiving RTP.
type phone struct {
	t    testing.TB
	conn *net.UDPConn
	seq  uint16
	ssrc uint32
}

func newPhone(t testing.TB) *phone {
	t.Helper()
	return newPhoneAt(t, net.IPv4(127, 0, 0, 1))
}

func newPhoneAt(t testing.TB, ip net.IP) *phone {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: ip})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &phone{t: t, conn: c, ssrc: uint32(c.LocalAddr().(*net.UDPAddr).Port)}
}

// engineRuns lets goleak pass the media engine's loop, which runs while any
// Session is open.
var engineRuns = goleak.IgnoreAnyFunction("pbx/media.(*engine).run")

func (p *phone) addr() netip.AddrPort { return p.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

func (p *phone) packet(pt uint8, payload []byte) []byte {
	p.t.Helper()
	p.seq++
	b, err := (&rtp.Packet{
		Header:  rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: p.seq, Timestamp: uint32(p.seq) * 160, SSRC: p.ssrc},
		Payload: payload,
	}).Marshal()
	if err != nil {
		p.t.Fatal(err)
	}
	return b
}

func (p *phone) send(to *Session, pkt []byte) {
	p.t.Helper()
	if _, err := p.conn.WriteToUDPAddrPort(pkt, to.LocalAddr()); err != nil {
		p.t.Fatal(err)
	}
}

// recv returns the next packet, or nil after wait.
func (p *phone) recv(wait time.Duration) *rtp.Packet {
	p.t.Helper()
	buf := make([]byte, MaxPacket)
	p.conn.SetReadDeadline(time.Now().Add(wait))
	n, err := p.conn.Read(buf)
	if err != nil {
		return nil
	}
	var pkt rtp.Packet
	if err := pkt.Unmarshal(buf[:n]); err != nil {
		p.t.Fatalf("received something that is not RTP: %v", err)
	}
	return &pkt
}

func (p *phone) mustRecv() *rtp.Packet {
	p.t.Helper()
	pkt := p.recv(2 * time.Second)
	if pkt == nil {
		p.t.Fatal("no packet arrived")
	}
	return pkt
}

func (p *phone) nothing() {
	p.t.Helper()
	if pkt := p.recv(100 * time.Millisecond); pkt != nil {
		p.t.Fatalf("unexpected packet PT %d seq %d", pkt.PayloadType, pkt.SequenceNumber)
	}
}

func openPair(t testing.TB, pool *PortPool) (a, b *Session) {
	t.Helper()
	a, err := pool.Open()
	if err != nil {
		t.Fatal(err)
	}
	b, err = pool.Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

var (
	pcmu = Format{Audio: Codec{PT: 0, Name: PCMU, Rate: 8000}, Event: Codec{PT: 101, Name: TelephoneEvent, Rate: 8000}}
	pcma = Format{Audio: Codec{PT: 8, Name: PCMA, Rate: 8000}, Event: Codec{PT: 96, Name: TelephoneEvent, Rate: 8000}}
)

func voice(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + 3)
	}
	return b
}

// A phone behind NAT: its SDP says 192.168.1.50:4000, its packets come from
// 127.0.0.1:x, and the other leg's audio must reach 127.0.0.1:x. The same
// on IPv6.
func TestRelayLatchesBehindNAT(t *testing.T) {
	for _, tc := range []struct {
		name      string
		pool      netip.Addr
		phones    net.IP
		sdp       string // where alice's SDP says she is
		low, high int
	}{
		{"IPv4", loopback, net.IPv4(127, 0, 0, 1), "192.168.1.50:4000", 31000, 31099},
		{"IPv6", netip.IPv6Loopback(), net.IPv6loopback, "[fd00::50]:4000", 32800, 32899},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pool, err := NewPortPool(tc.pool, tc.low, tc.high)
			if err != nil {
				t.Fatal(err)
			}
			testRelayLatches(t, pool, newPhoneAt(t, tc.phones), newPhoneAt(t, tc.phones), netip.MustParseAddrPort(tc.sdp))
		})
	}
}

func testRelayLatches(t *testing.T, pool *PortPool, alice, bob *phone, sdp netip.AddrPort) {
	a, b := openPair(t, pool)
	if a.LocalAddr().Addr().Is6() != sdp.Addr().Is6() {
		t.Fatalf("session bound to %s", a.LocalAddr())
	}
	a.SetRemote(sdp, alice.addr().Addr())
	b.SetRemote(bob.addr(), bob.addr().Addr())
	a.SetFormat(pcmu)
	b.SetFormat(pcmu)
	r := NewRelay(a, b, 0)

	// Alice speaks first; bob must never answer before that, so nothing is
	// sent to the private address.
	hello := voice(160)
	alice.send(a, alice.packet(0, hello))
	got := bob.mustRecv()
	if !bytes.Equal(got.Payload, hello) || got.PayloadType != 0 || got.SSRC != alice.ssrc {
		t.Fatalf("bob got PT %d SSRC %d %d bytes", got.PayloadType, got.SSRC, len(got.Payload))
	}
	if remote, latched := a.Remote(); !latched || remote != alice.addr() {
		t.Fatalf("leg A remote %s latched %v, want %s", remote, latched, alice.addr())
	}

	reply := voice(160)[:80]
	bob.send(b, bob.packet(0, reply))
	if got := alice.mustRecv(); !bytes.Equal(got.Payload, reply) {
		t.Fatal("alice got the wrong payload")
	}

	// DTMF passes as it is.
	digit := []byte{5, 0x80, 0x03, 0x20}
	alice.send(a, alice.packet(101, digit))
	if got := bob.mustRecv(); got.PayloadType != 101 || !bytes.Equal(got.Payload, digit) {
		t.Fatalf("event arrived as PT %d %x", got.PayloadType, got.Payload)
	}

	r.Close()
	ab, ba := r.Stats()
	if ab.Packets != 2 || ba.Packets != 1 || ab.Bytes != 12+160+12+4 || ab.Last.IsZero() || ab.Lost != 0 {
		t.Errorf("stats a->b %+v b->a %+v", ab, ba)
	}
	goleak.VerifyNone(t, engineRuns)
}

// Strict source (RTP Bleed): a host other than the peer, sweeping with
// bursts of consecutive packets as an attacker does, is never relayed, never
// latched and never answered; the call's audio keeps flowing both ways.
func TestRelayIgnoresAnotherSource(t *testing.T) {
	pool := newPool(t, 31100, 31199)
	a, b := openPair(t, pool)
	alice, bob := newPhone(t), newPhone(t)
	sweeper := newPhoneAt(t, net.IPv4(127, 0, 0, 2))
	a.SetRemote(alice.addr(), alice.addr().Addr())
	b.SetRemote(bob.addr(), bob.addr().Addr())
	a.SetFormat(pcmu)
	b.SetFormat(pcmu)
	r := NewRelay(a, b, 0)
	defer r.Close()

	alice.send(a, alice.packet(0, voice(160)))
	bob.mustRecv()

	sweeper.ssrc = 77
	for range 3 {
		for range 4 {
			sweeper.send(a, sweeper.packet(0, voice(160)))
			sweeper.send(b, sweeper.packet(0, voice(160)))
		}
	}
	// What each leg received after the sweep tells whether it was taken:
	// packets are handled in order per socket.
	alice.send(a, alice.packet(0, voice(160)))
	if got := bob.mustRecv(); got.SSRC != alice.ssrc {
		t.Fatalf("bob got SSRC %d, not alice's: the sweeper's audio was relayed", got.SSRC)
	}
	bob.send(b, bob.packet(0, voice(160)))
	if got := alice.mustRecv(); got.SSRC != bob.ssrc {
		t.Fatalf("alice got SSRC %d, not bob's", got.SSRC)
	}
	if pkt := sweeper.recv(100 * time.Millisecond); pkt != nil {
		t.Fatalf("the sweeper received a packet (SSRC %d)", pkt.SSRC)
	}
	if remote, _ := a.Remote(); remote != alice.addr() {
		t.Fatalf("leg A latched to %s", remote)
	}
	if remote, _ := b.Remote(); remote != bob.addr() {
		t.Fatalf("leg B latched to %s", remote)
	}
	if a.Foreign() != 12 || b.Foreign() != 12 || pool.Foreign() != 24 {
		t.Errorf("Foreign = %d, %d, pool %d; want 12, 12, 24", a.Foreign(), b.Foreign(), pool.Foreign())
	}
}

// The peer's port is learnt: during the learning time another port of the
// peer's address takes over (a NAT mapping that changed at the start of the
// call); after it, that address is refused like any other.
func TestSessionLearnsThePortOnlyWhileLearning(t *testing.T) {
	for _, tc := range []struct {
		name     string
		learning time.Duration
		moves    bool
	}{
		{"while learning", time.Hour, true},
		{"after learning", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pool := newPool(t, 31700, 31799)
			pool.Learning = tc.learning
			a, b := openPair(t, pool)
			first, moved, bob := newPhone(t), newPhone(t), newPhone(t)
			moved.ssrc = first.ssrc
			a.SetRemote(first.addr(), first.addr().Addr())
			b.SetRemote(bob.addr(), bob.addr().Addr())
			r := NewRelay(a, b, 0)
			defer r.Close()

			first.send(a, first.packet(0, voice(160)))
			bob.mustRecv()
			moved.seq = first.seq
			moved.send(a, moved.packet(0, voice(160)))
			bob.send(b, bob.packet(0, voice(160)))
			want, other := first, moved
			if tc.moves {
				want, other = moved, first
				bob.mustRecv()
			} else {
				bob.nothing()
			}
			want.mustRecv()
			other.nothing()
			if remote, _ := a.Remote(); remote != want.addr() {
				t.Fatalf("latched to %s, want %s", remote, want.addr())
			}
		})
	}
}

func TestPeer(t *testing.T) {
	for _, tc := range []struct{ sdp, from, want string }{
		{"203.0.113.5", "203.0.113.5", "203.0.113.5"},    // a phone on a public address
		{"192.168.1.50", "198.51.100.7", "198.51.100.7"}, // behind NAT: where signalling comes from
		{"10.0.0.8", "10.0.0.8", "10.0.0.8"},             // on the LAN
		{"100.64.3.4", "198.51.100.7", "198.51.100.7"},   // carrier-grade NAT
		{"169.254.1.1", "198.51.100.7", "198.51.100.7"},  // link-local
		{"127.0.0.1", "127.0.0.9", "127.0.0.9"},          // loopback
		{"0.0.0.0", "198.51.100.7", "198.51.100.7"},      // on hold
		{"203.0.113.80", "198.51.100.7", "203.0.113.80"}, // a carrier's media gateway apart from its proxy
		{"fd00::50", "2001:db8::7", "2001:db8::7"},       // IPv6 unique local behind NAT
		{"::ffff:203.0.113.5", "203.0.113.5", "203.0.113.5"},
	} {
		sdp, from := netip.MustParseAddr(tc.sdp), netip.MustParseAddr(tc.from)
		if got := Peer(sdp, from); got.String() != tc.want {
			t.Errorf("Peer(%s, %s) = %s, want %s", tc.sdp, tc.from, got, tc.want)
		}
	}
}

// Legs that numbered telephone-event differently and chose different G.711
// laws: the relay maps payload types and transcodes.
func TestRelayMapsAndTranscodes(t *testing.T) {
	pool := newPool(t, 31200, 31299)
	a, b := openPair(t, pool)
	alice, bob := newPhone(t), newPhone(t)
	a.SetRemote(alice.addr(), alice.addr().Addr())
	b.SetRemote(bob.addr(), bob.addr().Addr())
	a.SetFormat(pcmu)
	b.SetFormat(pcma)
	r := NewRelay(a, b, 0)
	defer r.Close()

	ulaw := voice(160)
	alice.send(a, alice.packet(0, ulaw))
	got := bob.mustRecv()
	if got.PayloadType != 8 || !bytes.Equal(got.Payload, g711.Ulaw2Alaw(ulaw)) {
		t.Fatalf("bob got PT %d, payload transcoded: %v", got.PayloadType, bytes.Equal(got.Payload, g711.Ulaw2Alaw(ulaw)))
	}
	digit := []byte{1, 0x0a, 0x01, 0x40}
	alice.send(a, alice.packet(101, digit))
	if got := bob.mustRecv(); got.PayloadType != 96 || !bytes.Equal(got.Payload, digit) {
		t.Fatalf("event arrived as PT %d %x, want 96 unchanged", got.PayloadType, got.Payload)
	}
	alaw := voice(160)
	bob.send(b, bob.packet(8, alaw))
	if got := alice.mustRecv(); got.PayloadType != 0 || !bytes.Equal(got.Payload, g711.Alaw2Ulaw(alaw)) {
		t.Fatalf("alice got PT %d", got.PayloadType)
	}

	// Comfort noise was not negotiated on B: dropped by the relay. G.729 was
	// not negotiated on A: rejected by the session and never latched on.
	alice.send(a, alice.packet(13, []byte{40}))
	alice.send(a, alice.packet(18, voice(20)))
	// A gap of two sequence numbers.
	alice.seq += 2
	alice.send(a, alice.packet(0, ulaw))
	if got := bob.mustRecv(); got.PayloadType != 8 {
		t.Fatalf("bob got PT %d, want only the PCMA packet", got.PayloadType)
	}
	ab, _ := r.Stats()
	if ab.Dropped != 1 || a.Rejected() != 1 || ab.Lost != 2+1 || ab.Packets != 3 {
		// the G.729 packet's sequence number is missing too: the session dropped it
		t.Errorf("a->b %+v, session rejected %d", ab, a.Rejected())
	}
}

func TestRelayDeadMedia(t *testing.T) {
	pool := newPool(t, 31300, 31399)
	a, b := openPair(t, pool)
	alice, bob := newPhone(t), newPhone(t)
	a.SetRemote(alice.addr(), alice.addr().Addr())
	b.SetRemote(bob.addr(), bob.addr().Addr())
	const timeout = 150 * time.Millisecond
	r := NewRelay(a, b, timeout)
	defer r.Close()

	// Talking keeps the call alive well past the timeout.
	var last time.Time // the last packet: silence starts there
	for range 20 {
		alice.send(a, alice.packet(0, voice(160)))
		last = time.Now()
		time.Sleep(20 * time.Millisecond)
	}
	select {
	case <-r.Dead():
		t.Fatal("dead media reported while RTP was flowing")
	default:
	}
	select {
	case <-r.Dead():
		if d := time.Since(last); d < timeout-5*time.Millisecond {
			t.Fatalf("dead media after %v of silence, timeout %v", d, timeout)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("dead media not reported after silence")
	}
}

func TestRelayHoldPausesDeadMedia(t *testing.T) {
	pool := newPool(t, 31400, 31499)
	a, b := openPair(t, pool)
	const timeout = 100 * time.Millisecond
	r := NewRelay(a, b, timeout)
	defer r.Close()
	r.SetHold(true)
	select {
	case <-r.Dead():
		t.Fatal("dead media reported on hold")
	case <-time.After(4 * timeout):
	}
	r.SetHold(false)
	select {
	case <-r.Dead():
	case <-time.After(2 * time.Second):
		t.Fatal("dead media not reported after hold ended")
	}
}

// Close stops the goroutines but leaves the sessions usable; closing them
// gives the ports back.
func TestRelayCloseLeavesSessionsAndReleasesPorts(t *testing.T) {
	pool := newPool(t, 31500, 31599)
	a, err := pool.Open()
	if err != nil {
		t.Fatal(err)
	}
	b, err := pool.Open()
	if err != nil {
		t.Fatal(err)
	}
	alice := newPhone(t)
	a.SetRemote(alice.addr(), alice.addr().Addr())
	r := NewRelay(a, b, time.Second)
	r.Close()
	r.Close()
	goleak.VerifyNone(t, engineRuns)

	// The Sessions go on: a second Relay between them relays.
	bob := newPhone(t)
	b.SetRemote(bob.addr(), bob.addr().Addr())
	r2 := NewRelay(a, b, 0)
	alice.send(a, alice.packet(0, voice(160)))
	bob.mustRecv()
	r2.Close()
	a.Close()
	b.Close()
	if pool.InUse() != 0 {
		t.Fatalf("InUse = %d after closing both sessions", pool.InUse())
	}
}

// BenchmarkRelayPacket measures the per-packet work of a direction without
// the sockets: the header parse (done once, by the Session), counters,
// payload type map.
func BenchmarkRelayPacket(b *testing.B) {
	for _, tc := range []struct {
		name string
		to   Format
	}{{"same-codec", pcmu}, {"transcode", pcma}} {
		b.Run(tc.name, func(b *testing.B) {
			r := &Relay{start: time.Now()}
			d := newDirection(r, nil, nil, pcmu, tc.to)
			p := &phone{t: b, ssrc: 1}
			pkt := p.packet(0, voice(160))
			var h rtp.Header
			b.ReportAllocs()
			b.SetBytes(int64(len(pkt)))
			for b.Loop() {
				pkt[1] = 0 // back to PCMU; the unchanged seq counts as a duplicate
				parsed, err := parse(&h, pkt)
				if err != nil {
					b.Fatal(err)
				}
				if _, ok := d.process(parsed); !ok {
					b.Fatal("dropped")
				}
			}
		})
	}
}

// BenchmarkRelayLoopback sends each packet through the relay over loopback
// UDP and waits for it on the far side: one op is one relayed packet plus
// the sender's and receiver's system calls.
func BenchmarkRelayLoopback(b *testing.B) {
	pool, err := NewPortPool(loopback, 31900, 31999)
	if err != nil {
		b.Fatal(err)
	}
	a, bs := openPair(b, pool)
	alice, bob := newPhone(b), newPhone(b)
	a.SetRemote(alice.addr(), alice.addr().Addr())
	bs.SetRemote(bob.addr(), bob.addr().Addr())
	a.SetFormat(pcmu)
	bs.SetFormat(pcmu)
	r := NewRelay(a, bs, 0)
	defer r.Close()
	pkt := alice.packet(0, voice(160))
	buf := make([]byte, MaxPacket)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := alice.conn.WriteToUDPAddrPort(pkt, a.LocalAddr()); err != nil {
			b.Fatal(err)
		}
		if _, err := bob.conn.Read(buf); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSessionAccept measures the source check of every received
// packet, from the latched peer (the packet path) and from another host (a
// sweep).
func BenchmarkSessionAccept(b *testing.B) {
	pool, err := NewPortPool(loopback, 31800, 31899)
	if err != nil {
		b.Fatal(err)
	}
	s, err := pool.Open()
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	peer := netip.MustParseAddrPort("127.0.0.1:4000")
	s.SetRemote(peer, peer.Addr())
	s.SetFormat(pcmu)
	pkt := (&phone{t: b, ssrc: 1}).packet(0, voice(160))
	for _, tc := range []struct {
		name string
		src  netip.AddrPort
	}{{"peer", peer}, {"stranger", netip.MustParseAddrPort("127.0.0.2:4000")}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s.accept(pkt, tc.src)
			}
		})
	}
}
