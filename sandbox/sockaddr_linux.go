//go:build linux && amd64

package sandbox

import (
	"bytes"
	"encoding/binary"
	"net/netip"

	"golang.org/x/sys/unix"
)

// maxSockaddr is sizeof(struct sockaddr_storage): the kernel rejects longer
// addresses with EINVAL.
const maxSockaddr = 128

// sockaddrKind says how the supervisor treats an address given to bind or
// connect on an IP socket.
type sockaddrKind int

const (
	addrIP          sockaddrKind = iota // an IPv4 or IPv6 address and port: decided
	addrUnspec                          // AF_UNSPEC on connect: dissolves the association, not decided
	addrUnsupported                     // anything else: refused with EAFNOSUPPORT (fail closed)
	addrShort                           // too short to hold its family's fields: the kernel's EINVAL
)

// parseIPSockaddr reads the address a target passed to bind or connect on a
// socket of domain (AF_INET or AF_INET6). It follows the kernel: an IPv6
// UDP socket may connect to an AF_INET address, and bind on an IPv4 socket
// accepts AF_UNSPEC with INADDR_ANY as AF_INET. v4-mapped IPv6 addresses are
// unmapped, so IPv4 rules match them.
func parseIPSockaddr(b []byte, domain int, isBind bool) (netip.AddrPort, sockaddrKind) {
	if len(b) < 2 {
		return netip.AddrPort{}, addrShort
	}
	family := binary.NativeEndian.Uint16(b)
	switch {
	case family == unix.AF_INET, family == unix.AF_UNSPEC && isBind && domain == unix.AF_INET:
		if len(b) < 8 {
			return netip.AddrPort{}, addrShort
		}
		port := binary.BigEndian.Uint16(b[2:4])
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[4:8])), port), addrIP
	case family == unix.AF_INET6:
		if len(b) < 24 {
			return netip.AddrPort{}, addrShort
		}
		port := binary.BigEndian.Uint16(b[2:4])
		a := netip.AddrFrom16([16]byte(b[8:24])).Unmap()
		return netip.AddrPortFrom(a, port), addrIP
	case family == unix.AF_UNSPEC && !isBind:
		return netip.AddrPort{}, addrUnspec
	}
	return netip.AddrPort{}, addrUnsupported
}

// anyAddr returns the wildcard address with port 0 for domain, as raw
// sockaddr bytes (what listen's autobind uses).
func anyAddr(domain int) []byte {
	if domain == unix.AF_INET6 {
		b := make([]byte, 28)
		binary.NativeEndian.PutUint16(b, unix.AF_INET6)
		return b
	}
	b := make([]byte, 16)
	binary.NativeEndian.PutUint16(b, unix.AF_INET)
	return b
}

// pinUnspecified resolves a destination the kernel does not take
// literally: a connect or datagram to 0.0.0.0 goes to the socket's bound
// IPv4 address or else to 127.0.0.1, and to :: goes to ::1 (to
// ::ffff:127.0.0.1 on a socket bound to a v4-mapped address). A policy
// denying loopback must see loopback. It returns the real destination and
// a copy of sa naming it, which the supervisor then uses, so what is
// decided is what happens even if the socket is bound meanwhile.
func pinUnspecified(ap netip.AddrPort, sa []byte, sock int) (netip.AddrPort, []byte) {
	if !ap.Addr().IsUnspecified() || len(sa) < 2 {
		return ap, sa
	}
	var bound netip.Addr
	if b, err := unix.Getsockname(sock); err == nil {
		switch b := b.(type) {
		case *unix.SockaddrInet4:
			bound = netip.AddrFrom4(b.Addr)
		case *unix.SockaddrInet6:
			bound = netip.AddrFrom16(b.Addr)
		}
	}
	out := bytes.Clone(sa)
	loop4 := netip.AddrFrom4([4]byte{127, 0, 0, 1})
	inet6 := binary.NativeEndian.Uint16(sa) == unix.AF_INET6
	if ap.Addr().Is4() { // 0.0.0.0, or ::ffff:0.0.0.0 on an IPv6 socket
		dst := loop4
		if u := bound.Unmap(); u.Is4() && !u.IsUnspecified() {
			dst = u
		}
		a := dst.As4()
		if inet6 {
			copy(out[20:24], a[:])
		} else {
			copy(out[4:8], a[:])
		}
		return netip.AddrPortFrom(dst, ap.Port()), out
	}
	dst, wire := netip.IPv6Loopback(), netip.IPv6Loopback()
	if bound.Is4In6() {
		dst, wire = loop4, netip.AddrFrom16(loop4.As16())
	}
	a := wire.As16()
	copy(out[8:24], a[:])
	return netip.AddrPortFrom(dst, ap.Port()), out
}
