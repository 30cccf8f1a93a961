//go:build linux && amd64

package sandbox

import (
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
