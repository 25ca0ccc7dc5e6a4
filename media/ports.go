package media

import (
	crand "crypto/rand"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"pbx/rawudp"
)

// Defaults of a PortPool's settings.
const (
	// DefaultLearning is how long after the signalling names a leg's peer
	// its port may still change (rtpengine's learning time is 3 s too).
	DefaultLearning = 3 * time.Second
	// DefaultQuarantine is how long a released pair rests before it is
	// handed out again, unless no other pair is free.
	DefaultQuarantine = 10 * time.Second
)

// PortPool hands out RTP/RTCP port pairs from a range on one bind address:
// RTP on an even port, RTCP on the odd port after it (RFC 3550 section 11).
// Both sockets are bound, so a pair another process holds is skipped rather
// than handed out. It is safe for concurrent use.
//
// Pairs are picked at random from those free, so the port of one call says
// nothing of the next one's, and a pair just released rests for Quarantine
// before it is handed out again (sooner only when no rested pair is left):
// late packets of an ended call do not reach the next one, and a sweep that
// found an ended call's port does not find a new call there.
type PortPool struct {
	// Learning is how long, after SetRemote names a leg's peer, a Session
	// of this pool still follows the peer to another port of its address
	// (symmetric RTP behind NAT); after it the latched address is fixed.
	// Set it before the first Open.
	Learning time.Duration
	// Quarantine is how long a released pair rests. Set it before the
	// first Open.
	Quarantine time.Duration

	ip   netip.Addr
	low  int // first even port
	size int
	now  func() time.Time

	mu    sync.Mutex
	rnd   *rand.Rand
	free  []int      // pair indexes (port = low + 2*i) free and rested
	held  []released // released pairs still resting, oldest first
	inUse int

	foreign atomic.Uint64
}

// released is a pair in quarantine.
type released struct {
	i  int
	at time.Time
}

// NewPortPool returns a pool of the pairs that fit in low-high inclusive on ip,
// for example 0.0.0.0 and 10000-20000, with the default Learning and
// Quarantine.
func NewPortPool(ip netip.Addr, low, high int) (*PortPool, error) {
	if low < 1 || high > 65535 || low > high {
		return nil, fmt.Errorf("rtp port range %d-%d is not within 1-65535, low before high", low, high)
	}
	low += low % 2
	n := (high - low + 1) / 2
	if n < 1 {
		return nil, fmt.Errorf("rtp port range %d-%d holds no even/odd pair", low, high)
	}
	var seed [32]byte
	crand.Read(seed[:]) // never fails (Go 1.24)
	p := &PortPool{Learning: DefaultLearning, Quarantine: DefaultQuarantine,
		ip: ip.Unmap(), low: low, size: n, now: time.Now, rnd: rand.New(rand.NewChaCha8(seed)), free: make([]int, n)}
	for i := range p.free {
		p.free[i] = i
	}
	return p, nil
}

// Size returns how many pairs the pool holds.
func (p *PortPool) Size() int { return p.size }

// InUse returns how many pairs are handed out.
func (p *PortPool) InUse() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.inUse
}

// Foreign returns how many RTP packets the pool's Sessions dropped because
// they came from an address other than the leg's peer.
func (p *PortPool) Foreign() uint64 { return p.foreign.Load() }

// listen binds a free pair picked at random among the rested ones, or the
// pair that rested longest when none is.
func (p *PortPool) listen() (rtp, rtcp int, local netip.AddrPort, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	n := 0
	for _, r := range p.held {
		if now.Sub(r.at) < p.Quarantine {
			break
		}
		p.free = append(p.free, r.i)
		n++
	}
	p.held = p.held[n:]

	var last error
	// Tried pairs collect at the end of free, untried ones before them.
	for n := len(p.free); n > 0; n-- {
		k := p.rnd.IntN(n)
		p.free[k], p.free[n-1] = p.free[n-1], p.free[k]
		if rtp, rtcp, local, last = p.bind(p.free[n-1]); last == nil {
			p.free[n-1] = p.free[len(p.free)-1]
			p.free = p.free[:len(p.free)-1]
			p.inUse++
			return rtp, rtcp, local, nil
		}
	}
	for j, r := range p.held {
		if rtp, rtcp, local, err = p.bind(r.i); err == nil {
			p.held = slices.Delete(p.held, j, j+1)
			p.inUse++
			return rtp, rtcp, local, nil
		}
		last = err
	}
	high := p.low + 2*p.size - 1
	if last != nil {
		return -1, -1, netip.AddrPort{}, fmt.Errorf("%w in %d-%d on %s (last: %v)", ErrNoPorts, p.low, high, p.ip, last)
	}
	return -1, -1, netip.AddrPort{}, fmt.Errorf("%w in %d-%d on %s", ErrNoPorts, p.low, high, p.ip)
}

// bind binds both sockets of pair i.
func (p *PortPool) bind(i int) (rtp, rtcp int, local netip.AddrPort, err error) {
	port := p.low + 2*i
	local = netip.AddrPortFrom(p.ip, uint16(port))
	rtp, err = rawudp.Socket(local, false)
	if err != nil {
		return -1, -1, local, err
	}
	rtcp, err = rawudp.Socket(netip.AddrPortFrom(p.ip, uint16(port+1)), false)
	if err != nil {
		unix.Close(rtp)
		return -1, -1, local, err
	}
	return rtp, rtcp, local, nil
}

// release puts the pair whose RTP port is port in quarantine.
func (p *PortPool) release(port int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if i := (port - p.low) / 2; port >= p.low && i < p.size {
		p.held = append(p.held, released{i: i, at: p.now()})
		p.inUse--
	}
}
