package media

import (
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"golang.org/x/sys/unix"

	"pbx/rawudp"
)

// MaxPacket is the largest datagram a Session reads: one Ethernet MTU.
const MaxPacket = 1500

// Session is one call leg's RTP endpoint: a UDP socket on a port pair from a
// PortPool, and the remote address media goes to.
//
// Strict source, as rtpengine's strict-source with learning: SetRemote
// names the leg's peer from its SDP and its signalling, and only packets
// from the peer's IP address are taken; every other source is dropped and
// counted (Foreign), so a host sweeping the port range neither hears the
// call nor speaks into it. The peer's address is the SDP's when it can be
// reached as it is written (a public address, or the one signalling comes
// from), else the signalling source's: a phone behind NAT writes its
// private address in SDP. Within that address the port is learnt, for
// symmetric RTP (RFC 4961) behind NAT: the first valid packet latches the
// Session to its source port, and during the pool's Learning time after
// SetRemote a packet from another port of the peer moves the latch there;
// after that the latched address is fixed for the rest of the call. A
// packet is valid when it parses as RTP version 2 and, once SetFormat was
// called, carries a negotiated payload type (or comfort noise), which
// keeps RTCP, STUN and stray datagrams from latching.
//
// The media engine reads the socket and hands each valid packet to the
// Session's consumer, a Relay or a Listener, one at a time; with none, the
// packet is dropped (after it latched). Write may be called from any
// goroutine, so something other than the relay (a prompt player) can send
// on the leg.
type Session struct {
	pool  *PortPool
	fd    int            // RTP
	rtcp  int            // bound to keep the odd port ours; RTCP is not relayed
	local netip.AddrPort // its address family is fd's

	mu      sync.Mutex
	sdp     netip.AddrPort // remote from SDP
	peer    netip.Addr     // the only source taken; invalid: none yet
	remote  netip.AddrPort // where Write sends
	latched bool
	learn   time.Time // the latched port may move until then
	closed  bool      // fd is closed; its number may already be another socket's

	format   atomic.Pointer[Format] // never nil once Open returns
	consumer atomic.Pointer[consumer]

	// Owned by the engine's loop.
	hdr rtp.Header

	rejected atomic.Uint64
	foreign  atomic.Uint64
	close    sync.Once
}

// consumer takes the packets a Session accepts, on the engine's thread: it
// must not block, and the packet is only valid during the call.
type consumer struct{ receive func(packet) }

// packet is an RTP datagram a Session accepted, parsed once for its
// consumer.
type packet struct {
	b       []byte      // the datagram; a Relay rewrites it in place
	hdr     *rtp.Header // b's header
	payload []byte      // b after the header, less padding; nil if the padding claims more than b holds
}

// parse reads b's header into h and finds its payload.
func parse(h *rtp.Header, b []byte) (packet, error) {
	hl, err := h.Unmarshal(b)
	if err != nil {
		return packet{}, err
	}
	p := packet{b: b, hdr: h}
	end := len(b)
	if h.Padding && end > hl {
		end -= int(b[end-1])
	}
	if end >= hl {
		p.payload = b[hl:end]
	}
	return p, nil
}

// Open binds a Session on the next free port pair of the pool.
func (p *PortPool) Open() (*Session, error) {
	fd, rtcp, local, err := p.listen()
	if err != nil {
		return nil, err
	}
	s := &Session{pool: p, fd: fd, rtcp: rtcp, local: local}
	s.format.Store(&Format{})
	if err := theEngine.add(s); err != nil {
		unix.Close(fd)
		unix.Close(rtcp)
		p.release(int(local.Port()))
		return nil, err
	}
	return s, nil
}

// attach makes receive the Session's consumer, in place of any other, and
// returns the handle that detaches it.
func (s *Session) attach(receive func(packet)) *consumer {
	c := &consumer{receive: receive}
	s.consumer.Store(c)
	return c
}

// detach removes c, if it is still the consumer; once it returns, c is not
// called again.
func (s *Session) detach(c *consumer) {
	s.consumer.CompareAndSwap(c, nil)
	theEngine.sync()
}

// LocalAddr returns the bound RTP address; its port goes into our SDP.
func (s *Session) LocalAddr() netip.AddrPort { return s.local }

// Port returns the bound RTP port.
func (s *Session) Port() int { return int(s.local.Port()) }

// SetRemote names the leg's peer: sdp is the address its SDP gave, from
// the address its signalling came from. Media goes to sdp until the leg is
// heard from; packets are taken only from the peer's IP (see Session), and
// the pool's Learning time starts. When sdp differs from the previous SDP
// address the latch is dropped, so media follows a re-INVITE to a new
// device; an unchanged address (a NATed phone putting the call on hold and
// back) keeps the latched source. An unspecified address (0.0.0.0, hold)
// sends nothing until the leg is heard from.
func (s *Session) SetRemote(sdp netip.AddrPort, from netip.Addr) {
	sdp = netip.AddrPortFrom(sdp.Addr().Unmap(), sdp.Port())
	peer := Peer(sdp.Addr(), from)
	s.mu.Lock()
	defer s.mu.Unlock()
	if sdp == s.sdp && peer == s.peer && s.latched {
		return
	}
	s.sdp, s.peer, s.remote, s.latched = sdp, peer, sdp, false
	s.learn = time.Now().Add(s.pool.Learning)
}

// Peer returns the address a leg's media must come from: the one its SDP
// gives when that can be reached as it is written, else the one its
// signalling comes from (from). An SDP address that is private, loopback,
// link-local, shared (RFC 6598) or unspecified, and differs from the
// signalling's, is a device behind NAT describing itself.
func Peer(sdp, from netip.Addr) netip.Addr {
	sdp, from = sdp.Unmap(), from.Unmap()
	switch {
	case !sdp.IsValid() || sdp.IsUnspecified():
		return from
	case sdp == from || !from.IsValid():
		return sdp
	case sdp.IsPrivate() || sdp.IsLoopback() || sdp.IsLinkLocalUnicast() || cgnat.Contains(sdp):
		return from
	}
	return sdp
}

// cgnat is the carrier-grade NAT range (RFC 6598).
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// Remote returns where Write sends, and whether that address was learnt from
// received packets rather than taken from SDP.
func (s *Session) Remote() (netip.AddrPort, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.remote, s.latched
}

// SetFormat records what the leg negotiated; the Session then latches only
// on packets of those payload types, and a Relay maps payload types with it.
func (s *Session) SetFormat(f Format) { s.format.Store(&f) }

// Format returns what SetFormat recorded.
func (s *Session) Format() Format { return *s.format.Load() }

// Rejected returns how many datagrams the Session dropped: not RTP, a payload type
// not negotiated, or from a source other than the peer.
func (s *Session) Rejected() uint64 { return s.rejected.Load() }

// Foreign returns how many RTP packets the Session dropped because they
// came from a source other than its peer: another address, or another port
// of the peer once the learning time was over.
func (s *Session) Foreign() uint64 { return s.foreign.Load() }

// readOne reads one datagram, if one is queued, and hands it to the
// consumer if it is accepted. The engine's loop calls it when the socket is
// readable.
func (s *Session) readOne(buf []byte) {
	n, src, err := rawudp.RecvFrom(s.fd, buf)
	if err != nil {
		return // EAGAIN: a socket whose number was reused; nothing else fails on a bound UDP socket
	}
	p, ok := s.accept(buf[:n], src)
	if !ok {
		s.rejected.Add(1)
		return
	}
	if c := s.consumer.Load(); c != nil {
		c.receive(p)
	}
}

// accept parses b, from src, and latches: it returns the packet and whether
// the Session takes it.
func (s *Session) accept(b []byte, src netip.AddrPort) (packet, bool) {
	// Cheap checks first: a malformed header costs Unmarshal an error value.
	if len(b) < 12 || b[0]>>6 != 2 || (b[1]&0x7f >= 72 && b[1]&0x7f <= 76) {
		return packet{}, false // not RTP version 2, or RTCP (RFC 5761 section 4)
	}
	p, err := parse(&s.hdr, b)
	if err != nil {
		return packet{}, false
	}
	pt := s.hdr.PayloadType
	if f := s.format.Load(); f.Audio.Name != "" && pt != f.Audio.PT && pt != 13 && !(f.HasEvent() && pt == f.Event.PT) {
		return packet{}, false
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.latched && src == s.remote:
		return p, true
	case src.Addr() != s.peer:
	case !s.latched || time.Now().Before(s.learn):
		s.remote, s.latched = src, true
		return p, true
	}
	s.foreign.Add(1)
	s.pool.foreign.Add(1)
	return packet{}, false
}

// Write sends one RTP packet to the leg's remote. With no remote known yet
// the packet is discarded, as the network would lose it.
func (s *Session) Write(p []byte) (int, error) {
	// The lock is held across the send, so that Close cannot close the
	// socket (and the number go to a new one) in between.
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, net.ErrClosed
	}
	to := s.remote
	if !to.IsValid() || to.Addr().IsUnspecified() || to.Port() == 0 {
		return len(p), nil
	}
	if err := rawudp.SendTo(s.fd, s.local.Addr().Is6(), p, to); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Close closes both sockets and returns the port pair to the pool. A
// consumer still attached is not called again.
func (s *Session) Close() error {
	s.close.Do(func() {
		theEngine.remove(s)
		s.mu.Lock()
		s.closed = true
		unix.Close(s.fd)
		unix.Close(s.rtcp)
		s.mu.Unlock()
		s.pool.release(s.Port())
	})
	return nil
}
