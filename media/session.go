package media

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
)

// RelatchAfter is how many consecutive RTP packets a new source must send,
// with one SSRC and consecutive sequence numbers, before a latched Session
// moves to it. One stray or forged packet cannot steal the stream, while a
// phone whose NAT mapping changed is followed after 80 ms of 20 ms packets.
const RelatchAfter = 4

// MaxPacket is the buffer size a Session reader should use: one Ethernet MTU.
const MaxPacket = 1500

// Session is one call leg's RTP endpoint: a UDP socket on a port pair from a
// PortPool, and the remote address media goes to.
//
// Symmetric RTP (RFC 4961) with latching: a phone behind NAT puts its
// private address in SDP, so the address the SDP gave is only where media
// goes until the leg is heard from. The first valid RTP packet latches the
// Session to its actual source; packets from any other source are then
// dropped, until that source sends RelatchAfter consecutive packets, when it
// becomes the remote. A packet is valid when it parses as RTP version 2 and,
// once SetFormat was called, carries a negotiated payload type (or comfort
// noise), which keeps RTCP, STUN and stray datagrams from latching.
//
// Read is for one goroutine at a time; Write may be called from any
// goroutine, concurrently with Read, so something other than the relay (a
// prompt player) can send on the leg.
type Session struct {
	pool  *PortPool
	conn  *net.UDPConn
	rtcp  *net.UDPConn // bound to keep the odd port ours; RTCP is not relayed
	local netip.AddrPort

	mu      sync.Mutex
	sdp     netip.AddrPort // remote from SDP
	remote  netip.AddrPort // where Write sends
	latched bool
	format  Format

	// Owned by the reader.
	hdr      rtp.Header
	cand     netip.AddrPort
	candSSRC uint32
	candSeq  uint16
	candN    int

	rejected atomic.Uint64
	close    sync.Once
	closeErr error
}

// Open binds a Session on the next free port pair of the pool.
func (p *PortPool) Open() (*Session, error) {
	conn, rtcp, err := p.listen()
	if err != nil {
		return nil, err
	}
	la := conn.LocalAddr().(*net.UDPAddr).AddrPort()
	return &Session{pool: p, conn: conn, rtcp: rtcp, local: netip.AddrPortFrom(la.Addr().Unmap(), la.Port())}, nil
}

// LocalAddr returns the bound RTP address; its port goes into our SDP.
func (s *Session) LocalAddr() netip.AddrPort { return s.local }

// Port returns the bound RTP port.
func (s *Session) Port() int { return int(s.local.Port()) }

// SetRemote sets the address the leg's SDP gave. When it differs from the
// previous SDP address the latch is dropped, so media follows a re-INVITE to
// a new device; an unchanged address (a NATed phone putting the call on hold
// and back) keeps the latched source. An unspecified address (0.0.0.0, hold)
// sends nothing until the leg is heard from.
func (s *Session) SetRemote(ap netip.AddrPort) {
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	s.mu.Lock()
	defer s.mu.Unlock()
	if ap == s.sdp && s.latched {
		return
	}
	s.sdp, s.remote, s.latched = ap, ap, false
}

// Remote returns where Write sends, and whether that address was learnt from
// received packets rather than taken from SDP.
func (s *Session) Remote() (netip.AddrPort, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.remote, s.latched
}

// SetFormat records what the leg negotiated; Read then latches only on
// packets of those payload types, and a Relay maps payload types with it.
func (s *Session) SetFormat(f Format) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.format = f
}

// Format returns what SetFormat recorded.
func (s *Session) Format() Format {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.format
}

// Rejected returns how many datagrams Read dropped: not RTP, a payload type
// not negotiated, or from a source other than the latched one.
func (s *Session) Rejected() uint64 { return s.rejected.Load() }

// SetReadDeadline bounds the Read in progress and future ones, as on net.Conn.
func (s *Session) SetReadDeadline(t time.Time) error { return s.conn.SetReadDeadline(t) }

// Read reads the next RTP packet from the leg into p, latching as described
// on Session, and returns its length. p should hold MaxPacket bytes. It
// returns net.ErrClosed once the Session is closed.
func (s *Session) Read(p []byte) (int, error) {
	for {
		n, src, err := s.conn.ReadFromUDPAddrPort(p)
		if err != nil {
			return 0, err
		}
		if s.accept(p[:n], netip.AddrPortFrom(src.Addr().Unmap(), src.Port())) {
			return n, nil
		}
		s.rejected.Add(1)
	}
}

func (s *Session) accept(b []byte, src netip.AddrPort) bool {
	// Cheap checks first: a malformed header costs Unmarshal an error value.
	if len(b) < 12 || b[0]>>6 != 2 || (b[1]&0x7f >= 72 && b[1]&0x7f <= 76) {
		return false // not RTP version 2, or RTCP (RFC 5761 section 4)
	}
	if _, err := s.hdr.Unmarshal(b); err != nil {
		return false
	}
	pt, ssrc, seq := s.hdr.PayloadType, s.hdr.SSRC, s.hdr.SequenceNumber

	s.mu.Lock()
	defer s.mu.Unlock()
	if f := s.format; f.Audio.Name != "" && pt != f.Audio.PT && pt != 13 && !(f.HasEvent() && pt == f.Event.PT) {
		return false
	}
	if !s.latched || src == s.remote {
		s.remote, s.latched, s.candN = src, true, 0
		return true
	}
	if src == s.cand && ssrc == s.candSSRC && seq == s.candSeq+1 {
		s.candN++
	} else {
		s.cand, s.candSSRC, s.candN = src, ssrc, 1
	}
	s.candSeq = seq
	if s.candN >= RelatchAfter {
		s.remote, s.candN = src, 0
		return true
	}
	return false
}

// Write sends one RTP packet to the leg's remote. With no remote known yet
// the packet is discarded, as the network would lose it.
func (s *Session) Write(p []byte) (int, error) {
	s.mu.Lock()
	to := s.remote
	s.mu.Unlock()
	if !to.IsValid() || to.Addr().IsUnspecified() || to.Port() == 0 {
		return len(p), nil
	}
	return s.conn.WriteToUDPAddrPort(p, to)
}

// Close closes both sockets and returns the port pair to the pool.
func (s *Session) Close() error {
	s.close.Do(func() {
		s.closeErr = errors.Join(s.conn.Close(), s.rtcp.Close())
		s.pool.release(s.Port())
	})
	return s.closeErr
}
