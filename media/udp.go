package media

import (
	"encoding/binary"
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"
)

// A Session's sockets are plain non-blocking file descriptors, read by the
// engine's epoll loop and written from any goroutine, outside the Go
// runtime's poller. recvfrom and sendto on them never block, so they are
// made as raw system calls, with the addresses in stack buffers: no
// allocation, and no hand-over of the runtime's processor per packet.

// udpSocket returns a non-blocking UDP socket bound to ap. On an IPv6
// address it also takes IPv4 (as net.ListenUDP does on "::").
func udpSocket(ap netip.AddrPort) (int, error) {
	family := unix.AF_INET
	if ap.Addr().Is6() {
		family = unix.AF_INET6
	}
	fd, err := unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_UDP)
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

// recvFrom reads one datagram into p. It returns unix.EAGAIN when none is
// queued.
func recvFrom(fd int, p []byte) (int, netip.AddrPort, error) {
	var rsa unix.RawSockaddrAny
	size := uint32(unix.SizeofSockaddrAny)
	n, _, errno := unix.RawSyscall6(unix.SYS_RECVFROM, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)), 0,
		uintptr(unsafe.Pointer(&rsa)), uintptr(unsafe.Pointer(&size)))
	if errno != 0 {
		return 0, netip.AddrPort{}, errno
	}
	var from netip.AddrPort
	switch rsa.Addr.Family {
	case unix.AF_INET:
		sa := (*unix.RawSockaddrInet4)(unsafe.Pointer(&rsa))
		from = netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), port(sa.Port))
	case unix.AF_INET6:
		sa := (*unix.RawSockaddrInet6)(unsafe.Pointer(&rsa))
		from = netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), port(sa.Port))
	}
	return int(n), from, nil
}

// sendTo sends p to the address to from fd, whose family is v6 or IPv4.
func sendTo(fd int, v6 bool, p []byte, to netip.AddrPort) error {
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
	_, _, errno := unix.RawSyscall6(unix.SYS_SENDTO, uintptr(fd), uintptr(b), uintptr(len(p)), 0, uintptr(sa), size)
	if errno != 0 {
		return errno
	}
	return nil
}

// port reads a sockaddr's port, which is in network byte order.
func port(p uint16) uint16 {
	b := (*[2]byte)(unsafe.Pointer(&p))
	return binary.BigEndian.Uint16(b[:])
}
