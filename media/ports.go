package media

import (
	"fmt"
	"net/netip"
	"sync"

	"golang.org/x/sys/unix"
)

// PortPool hands out RTP/RTCP port pairs from a range on one bind address:
// RTP on an even port, RTCP on the odd port after it (RFC 3550 section 11).
// Both sockets are bound, so a pair another process holds is skipped rather
// than handed out. It is safe for concurrent use.
type PortPool struct {
	ip   netip.Addr
	low  int // first even port
	mu   sync.Mutex
	used []bool // by pair index: port = low + 2*i
	next int    // where the next search starts
}

// NewPortPool returns a pool of the pairs that fit in low-high inclusive on ip,
// for example 0.0.0.0 and 10000-20000.
func NewPortPool(ip netip.Addr, low, high int) (*PortPool, error) {
	if low < 1 || high > 65535 || low > high {
		return nil, fmt.Errorf("rtp port range %d-%d is not within 1-65535, low before high", low, high)
	}
	low += low % 2
	n := (high - low + 1) / 2
	if n < 1 {
		return nil, fmt.Errorf("rtp port range %d-%d holds no even/odd pair", low, high)
	}
	return &PortPool{ip: ip.Unmap(), low: low, used: make([]bool, n)}, nil
}

// Size returns how many pairs the pool holds.
func (p *PortPool) Size() int { return len(p.used) }

// InUse returns how many pairs are handed out.
func (p *PortPool) InUse() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, u := range p.used {
		if u {
			n++
		}
	}
	return n
}

// listen binds the next free pair. Searching on from the last pair handed out
// rather than from the bottom keeps a just-released port idle for a while, so
// late packets of an ended call do not reach the next one.
func (p *PortPool) listen() (rtp, rtcp int, local netip.AddrPort, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var last error
	for range len(p.used) {
		i := p.next
		p.next = (p.next + 1) % len(p.used)
		if p.used[i] {
			continue
		}
		port := p.low + 2*i
		local = netip.AddrPortFrom(p.ip, uint16(port))
		rtp, err = udpSocket(local)
		if err != nil {
			last = err
			continue
		}
		rtcp, err = udpSocket(netip.AddrPortFrom(p.ip, uint16(port+1)))
		if err != nil {
			last = err
			unix.Close(rtp)
			continue
		}
		p.used[i] = true
		return rtp, rtcp, local, nil
	}
	if last != nil {
		return -1, -1, netip.AddrPort{}, fmt.Errorf("%w in %d-%d on %s (last: %v)", ErrNoPorts, p.low, p.low+2*len(p.used)-1, p.ip, last)
	}
	return -1, -1, netip.AddrPort{}, fmt.Errorf("%w in %d-%d on %s", ErrNoPorts, p.low, p.low+2*len(p.used)-1, p.ip)
}

// release returns the pair whose RTP port is port.
func (p *PortPool) release(port int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if i := (port - p.low) / 2; port >= p.low && i < len(p.used) {
		p.used[i] = false
	}
}
