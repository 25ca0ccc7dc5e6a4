package rawudp

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Conn is a net.PacketConn for a busy listener read by one goroutine, as
// the SIP server's UDP socket is. The reader blocks in the kernel
// (recvmmsg), as a C server's worker does, instead of parking on the Go
// runtime's poller.
//
// Through the poller, each datagram that found the process idle cost a
// poller wake-up, the reading goroutine's hand-over to a runtime processor,
// a second runtime thread woken to look for more work and put back to
// sleep, and a read that found nothing: at 8,000 REGISTERs/s, a third of
// the server's CPU was spent in the scheduler. Here the kernel wakes the
// blocked thread, which keeps its processor, and one system call takes
// every datagram queued by then (up to batchSize).
//
// Writes may come from any goroutine; they never wait on the reader.
type Conn struct {
	fd    int
	v6    bool // the socket is AF_INET6 (dual-stack when unspecified)
	laddr *net.UDPAddr

	// mu is held shared across each system call on fd and exclusively by
	// Close, so that fd is not closed (and its number reused) under one.
	mu     sync.RWMutex
	closed atomic.Bool

	rmu sync.Mutex // the reader's batch below
	batch
}

const (
	batchSize = 16
	slotSize  = 65535 // the largest UDP payload
)

// batch holds the datagrams one recvmmsg took, handed out one per ReadFrom.
type batch struct {
	hdrs  [batchSize]mmsghdr
	iovs  [batchSize]unix.Iovec
	names [batchSize]unix.RawSockaddrAny
	bufs  []byte // batchSize slots of slotSize
	n     int    // datagrams taken
	next  int    // the next one to hand out
}

// mmsghdr is the kernel's struct mmsghdr (golang.org/x/sys has none).
type mmsghdr struct {
	hdr unix.Msghdr
	len uint32
	_   [4]byte
}

// Listen opens a UDP listener on addr ("host:port"; an empty host listens on
// every address, IPv6 and IPv4 where the machine has IPv6).
func Listen(addr string) (*Conn, error) {
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, err
	}
	var fd int
	if ua.IP == nil {
		fd, err = Socket(netip.AddrPortFrom(netip.IPv6Unspecified(), uint16(ua.Port)), true)
		if errors.Is(err, unix.EAFNOSUPPORT) {
			fd, err = Socket(netip.AddrPortFrom(netip.IPv4Unspecified(), uint16(ua.Port)), true)
		}
	} else {
		fd, err = Socket(ua.AddrPort(), true)
	}
	if err != nil {
		return nil, &net.OpError{Op: "listen", Net: "udp", Addr: ua, Err: os.NewSyscallError("bind", err)}
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		unix.Close(fd)
		return nil, os.NewSyscallError("getsockname", err)
	}
	c := &Conn{fd: fd}
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		c.laddr = &net.UDPAddr{IP: net.IP(sa.Addr[:]).To16(), Port: sa.Port}
	case *unix.SockaddrInet6:
		c.v6 = true
		c.laddr = &net.UDPAddr{IP: net.IP(sa.Addr[:]), Port: sa.Port}
	}
	c.bufs = make([]byte, batchSize*slotSize)
	for i := range batchSize {
		c.iovs[i].Base = &c.bufs[i*slotSize]
		c.hdrs[i].hdr.Name = (*byte)(unsafe.Pointer(&c.names[i]))
		c.hdrs[i].hdr.Iov = &c.iovs[i]
		c.hdrs[i].hdr.SetIovlen(1)
	}
	return c, nil
}

// ReadFrom returns the next datagram, waiting for one if none is queued.
// After Close it returns an error that is net.ErrClosed.
func (c *Conn) ReadFrom(p []byte) (int, net.Addr, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	for c.next >= c.n {
		if err := c.fill(); err != nil {
			return 0, nil, err
		}
	}
	i := c.next
	c.next++
	n := copy(p, c.bufs[i*slotSize:i*slotSize+int(c.hdrs[i].len)])
	return n, net.UDPAddrFromAddrPort(addrPort(&c.names[i])), nil
}

// fill waits for datagrams and takes every one queued, up to batchSize.
func (c *Conn) fill() error {
	for i := range batchSize {
		c.iovs[i].SetLen(slotSize)
		c.hdrs[i].hdr.Namelen = unix.SizeofSockaddrAny
		c.hdrs[i].len = 0
	}
	c.mu.RLock()
	if c.closed.Load() {
		c.mu.RUnlock()
		return c.opError("read", nil, net.ErrClosed)
	}
	// A blocking system call: the runtime lets this thread sleep in the
	// kernel and, while the rest of the process has work, hands its
	// processor to another thread.
	r, _, errno := unix.Syscall6(unix.SYS_RECVMMSG, uintptr(c.fd), uintptr(unsafe.Pointer(&c.hdrs[0])), batchSize,
		unix.MSG_WAITFORONE, 0, 0)
	c.mu.RUnlock()
	if c.closed.Load() {
		return c.opError("read", nil, net.ErrClosed)
	}
	switch errno {
	case 0:
		c.n, c.next = int(r), 0
		return nil
	case unix.EINTR, unix.EAGAIN:
		c.n, c.next = 0, 0
		return nil
	}
	return c.opError("read", nil, os.NewSyscallError("recvmmsg", errno))
}

// WriteTo sends p to addr, a *net.UDPAddr (or any address whose String is
// "ip:port"). A full send buffer is waited for, up to a second.
func (c *Conn) WriteTo(p []byte, addr net.Addr) (int, error) {
	var ap netip.AddrPort
	if ua, ok := addr.(*net.UDPAddr); ok {
		ap = ua.AddrPort()
	} else if addr != nil {
		ap, _ = netip.ParseAddrPort(addr.String())
	}
	if !ap.IsValid() {
		return 0, c.opError("write", addr, errors.New("not an IP address and port"))
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.closed.Load() {
		return 0, c.opError("write", addr, net.ErrClosed)
	}
	deadline := time.Now().Add(time.Second)
	for {
		err := SendTo(c.fd, c.v6, p, ap)
		if err == nil {
			return len(p), nil
		}
		if err != unix.EAGAIN || time.Now().After(deadline) {
			return 0, c.opError("write", addr, os.NewSyscallError("sendto", err))
		}
		fds := []unix.PollFd{{Fd: int32(c.fd), Events: unix.POLLOUT}}
		_, _ = unix.Poll(fds, 100)
	}
}

// Close stops the listener: a ReadFrom waiting returns net.ErrClosed, and
// so does every call after.
func (c *Conn) Close() error {
	if c.closed.Swap(true) {
		return c.opError("close", nil, net.ErrClosed)
	}
	// Shutting down even an unconnected UDP socket wakes a reader blocked
	// in it (it returns ENOTCONN, but marks the socket and wakes it).
	_ = unix.Shutdown(c.fd, unix.SHUT_RDWR)
	c.mu.Lock()
	defer c.mu.Unlock()
	return unix.Close(c.fd)
}

// LocalAddr is the address the socket is bound to.
func (c *Conn) LocalAddr() net.Addr { return c.laddr }

// SetReadBuffer sets the socket's receive buffer size (SO_RCVBUF; the kernel
// caps it at net.core.rmem_max).
func (c *Conn) SetReadBuffer(bytes int) error {
	return os.NewSyscallError("setsockopt", unix.SetsockoptInt(c.fd, unix.SOL_SOCKET, unix.SO_RCVBUF, bytes))
}

// Deadlines are not supported: the listener is read until it is closed.
func (c *Conn) SetDeadline(time.Time) error      { return errors.ErrUnsupported }
func (c *Conn) SetReadDeadline(time.Time) error  { return errors.ErrUnsupported }
func (c *Conn) SetWriteDeadline(time.Time) error { return errors.ErrUnsupported }

func (c *Conn) opError(op string, addr net.Addr, err error) error {
	return &net.OpError{Op: op, Net: "udp", Source: c.laddr, Addr: addr, Err: err}
}
