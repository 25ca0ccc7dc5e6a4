// Package rawudp is UDP on plain file descriptors, outside the Go runtime's
// poller, for the two places where a datagram's cost is the product's
// speed: the RTP sockets (read by media's epoll loop) and the SIP listener
// (read by a thread that blocks in the kernel, see Conn).
//
// recvfrom and sendto on a non-blocking socket never block, so they are made
// as raw system calls with the addresses in stack buffers: no allocation and
// no hand-over of the runtime's processor per packet.
package rawudp

import (
	"encoding/binary"
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Socket returns a UDP socket bound to ap, non-blocking unless blocking is
// set. On an IPv6 address it also takes IPv4 (as net.ListenUDP does on "::").
func Socket(ap netip.AddrPort, blocking bool) (int, error) {
	family := unix.AF_INET
	if ap.Addr().Is6() {
		family = unix.AF_INET6
	}
	typ := unix.SOCK_DGRAM | unix.SOCK_CLOEXEC
	if !blocking {
		typ |= unix.SOCK_NONBLOCK
	}
	fd, err := unix.Socket(family, typ, unix.IPPROTO_UDP)
	if err != nil {
		return -1, err
	}
	var sa unix.Sockaddr
	if family == unix.AF_INET6 {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 0); err != nil {
			unix.Close(fd)
			return -1, err
		}
		sa = &unix.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16()}
	} else {
		sa = &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}
	}
	if err := unix.Bind(fd, sa); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// RecvFrom reads one datagram into p from a non-blocking socket. It returns
// unix.EAGAIN when none is queued.
func RecvFrom(fd int, p []byte) (int, netip.AddrPort, error) {
	var rsa unix.RawSockaddrAny
	size := uint32(unix.SizeofSockaddrAny)
	n, _, errno := unix.RawSyscall6(unix.SYS_RECVFROM, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)), 0,
		uintptr(unsafe.Pointer(&rsa)), uintptr(unsafe.Pointer(&size)))
	if errno != 0 {
		return 0, netip.AddrPort{}, errno
	}
	return int(n), addrPort(&rsa), nil
}

// SendTo sends p to the address to from fd, whose family is IPv6 when v6 is
// set, without waiting: a full send buffer is unix.EAGAIN.
func SendTo(fd int, v6 bool, p []byte, to netip.AddrPort) error {
	var (
		sa4  unix.RawSockaddrInet4
		sa6  unix.RawSockaddrInet6
		sa   unsafe.Pointer
		size uintptr
	)
	if v6 {
		sa6.Family = unix.AF_INET6
		sa6.Addr = to.Addr().As16()
		binary.BigEndian.PutUint16((*[2]byte)(unsafe.Pointer(&sa6.Port))[:], to.Port())
		sa, size = unsafe.Pointer(&sa6), unix.SizeofSockaddrInet6
	} else {
		if !to.Addr().Is4() {
			return unix.EAFNOSUPPORT
		}
		sa4.Family = unix.AF_INET
		sa4.Addr = to.Addr().As4()
		binary.BigEndian.PutUint16((*[2]byte)(unsafe.Pointer(&sa4.Port))[:], to.Port())
		sa, size = unsafe.Pointer(&sa4), unix.SizeofSockaddrInet4
	}
	var b unsafe.Pointer
	if len(p) > 0 {
		b = unsafe.Pointer(&p[0])
	}
	_, _, errno := unix.RawSyscall6(unix.SYS_SENDTO, uintptr(fd), uintptr(b), uintptr(len(p)), unix.MSG_DONTWAIT, uintptr(sa), size)
	if errno != 0 {
		return errno
	}
	return nil
}

// addrPort reads an IPv4 or IPv6 socket address (IPv4-mapped addresses
// unmapped); any other family is the zero AddrPort.
func addrPort(rsa *unix.RawSockaddrAny) netip.AddrPort {
	switch rsa.Addr.Family {
	case unix.AF_INET:
		sa := (*unix.RawSockaddrInet4)(unsafe.Pointer(rsa))
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), port(sa.Port))
	case unix.AF_INET6:
		sa := (*unix.RawSockaddrInet6)(unsafe.Pointer(rsa))
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), port(sa.Port))
	}
	return netip.AddrPort{}
}

// port reads a sockaddr's port, which is in network byte order.
func port(p uint16) uint16 {
	b := (*[2]byte)(unsafe.Pointer(&p))
	return binary.BigEndian.Uint16(b[:])
}
