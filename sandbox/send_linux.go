//go:build linux && amd64

package sandbox

import (
	"context"
	"encoding/binary"
	"fmt"
	"net/netip"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/safeclaw/safeclaw/action"
)

// Limits of an emulated UDP send. A datagram (also a GSO batch with
// UDP_SEGMENT) carries at most 64 KiB; the kernel caps iovecs and mmsghdr
// vectors at UIO_MAXIOV.
const (
	maxDatagram = 65536
	maxIovecs   = 1024
	maxControl  = 16 << 10
	msghdrSize  = 56 // struct msghdr on x86-64
	mmsghdrSize = 64 // struct mmsghdr: msghdr, msg_len, padding
	sendTTL     = time.Minute
	sendEntries = 4096
)

// sendKey identifies a UDP destination of one socket in one process: the
// decision of its first datagram covers the following ones.
type sendKey struct {
	ino  uint64 // the socket's inode
	tgid int    // the tree context is per process
	dest netip.AddrPort
}

type sendEntry struct {
	done  chan struct{} // closed when allow is known
	allow bool
	until time.Time
}

// sendCache remembers UDP send decisions per socket and destination for
// sendTTL, so a DNS client or QUIC is not decided (and audited) per packet;
// a second datagram arriving while the first is decided (or asked) waits for
// that decision.
type sendCache struct {
	mu      sync.Mutex
	entries map[sendKey]*sendEntry
}

// decideOnce returns the cached verdict for k, or runs decide and caches
// its verdict.
func (c *sendCache) decideOnce(ctx context.Context, k sendKey, decide func() bool) bool {
	now := time.Now()
	c.mu.Lock()
	if e, ok := c.entries[k]; ok && (e.until.IsZero() || now.Before(e.until)) {
		c.mu.Unlock()
		select {
		case <-e.done:
			return e.allow
		case <-ctx.Done():
			return false
		}
	}
	if c.entries == nil || len(c.entries) >= sendEntries {
		old := c.entries
		c.entries = map[sendKey]*sendEntry{}
		for key, e := range old {
			if !e.until.IsZero() && now.Before(e.until) {
				c.entries[key] = e
			}
		}
		if len(c.entries) >= sendEntries {
			c.entries = map[sendKey]*sendEntry{}
		}
	}
	e := &sendEntry{done: make(chan struct{})}
	c.entries[k] = e
	c.mu.Unlock()

	allow := decide()
	c.mu.Lock()
	e.allow, e.until = allow, time.Now().Add(sendTTL)
	c.mu.Unlock()
	close(e.done)
	return allow
}

// sendFlags returns the flags argument of a send call.
func sendFlags(nr int32, args [6]uint64) uint32 {
	if nr == sysSendmsg {
		return uint32(args[2])
	}
	return uint32(args[3])
}

// handleSend decides sendto, sendmsg and sendmmsg on UDP sockets: a
// datagram to an address is a connect to it. The supervisor performs an
// allowed send itself on a duplicate of the socket with its own copies of
// the address, payload and control data, so nothing changes after the
// check. Other sockets continue in the target: TCP ignores the address (and
// TCP Fast Open is in the static deny set), unix addresses resolve in the
// target's own context.
func (s *supervisor) handleSend(ctx context.Context, n *seccompNotif) {
	ns, ok := s.openSocket(n)
	if !ok {
		return
	}
	defer ns.close()
	t, dup, domain, typ, args := ns.t, ns.fd, ns.domain, ns.typ, n.Data.Args
	if !isIP(domain) || typ != unix.SOCK_DGRAM {
		s.reply(n, 0, 0, true)
		return
	}
	var st unix.Stat_t
	if unix.Fstat(dup, &st) != nil {
		s.reply(n, 0, unix.EBADF, false)
		return
	}
	u := udpSend{s: s, n: n, t: t, dup: dup, domain: domain, ino: st.Ino}
	switch n.Data.Nr {
	case sysSendto:
		u.sendto(ctx, args)
	case sysSendmsg:
		u.sendmsg(ctx, args)
	default:
		u.sendmmsg(ctx, args)
	}
}

// udpSend is one notified send on a UDP socket.
type udpSend struct {
	s      *supervisor
	n      *seccompNotif
	t      target
	dup    int
	domain int
	ino    uint64
}

func (u *udpSend) op() string {
	switch u.n.Data.Nr {
	case sysSendto:
		return "sendto"
	case sysSendmsg:
		return "sendmsg"
	}
	return "sendmmsg"
}

// destination reads and decides the address of a datagram. It returns the
// address bytes to send to (nil: the socket's connected peer, not decided
// again), or an errno (EACCES when the policy denies).
func (u *udpSend) destination(ctx context.Context, addr uint64, length uint32) ([]byte, unix.Errno) {
	if addr == 0 || length == 0 {
		return nil, 0
	}
	sa, errno := u.s.readSockaddr(u.n, u.t, addr, uint64(length))
	if errno != 0 {
		return nil, errno
	}
	// udp_sendmsg reads AF_UNSPEC as AF_INET; udpv6_sendmsg ignores it.
	ap, kind := parseIPSockaddr(sa, u.domain, u.domain == unix.AF_INET)
	switch kind {
	case addrShort:
		return nil, unix.EINVAL
	case addrUnsupported:
		return nil, unix.EAFNOSUPPORT
	case addrUnspec:
		return nil, 0
	}
	ap, sa = pinUnspecified(ap, sa, u.dup)
	k := sendKey{ino: u.ino, tgid: u.t.tgid, dest: ap}
	allow := u.s.sends.decideOnce(ctx, k, func() bool {
		facets, names := u.s.connectFacets(ctx, ap, "udp send")
		// nil: the caller answers, since sendmmsg may have sent before.
		return u.s.decide(ctx, nil, u.t, u.op(), fmt.Sprintf("udp %s%s", ap, names), facets)
	})
	if !allow {
		return nil, unix.EACCES
	}
	return sa, 0
}

// errAnswered is a sentinel: the notification is no longer pending (the
// caller is gone), nothing to answer.
const errAnswered = unix.Errno(^uintptr(0))

func (u *udpSend) fail(errno unix.Errno) {
	if errno != errAnswered {
		u.s.reply(u.n, 0, errno, false)
	}
}

func (u *udpSend) sendto(ctx context.Context, args [6]uint64) {
	length := args[2]
	if length > maxDatagram {
		u.s.reply(u.n, 0, unix.EMSGSIZE, false)
		return
	}
	buf := make([]byte, length)
	if m, err := readMem(u.t.tid, args[1], buf); length > 0 && (err != nil || m != len(buf)) {
		u.s.reply(u.n, 0, unix.EFAULT, false)
		return
	}
	sa, errno := u.destination(ctx, args[4], uint32(args[5]))
	if errno != 0 {
		u.fail(errno)
		return
	}
	if !u.s.valid(u.n.ID) {
		return
	}
	var p, a unsafe.Pointer
	if len(buf) > 0 {
		p = unsafe.Pointer(&buf[0])
	}
	if len(sa) > 0 {
		a = unsafe.Pointer(&sa[0])
	}
	r, _, e := unix.Syscall6(unix.SYS_SENDTO, uintptr(u.dup), uintptr(p), uintptr(len(buf)), uintptr(uint32(args[3])), uintptr(a), uintptr(len(sa)))
	u.s.reply(u.n, int64(r), e, false)
}

func (u *udpSend) sendmsg(ctx context.Context, args [6]uint64) {
	r, errno := u.oneMsg(ctx, args[1], uint32(args[2]))
	if errno != 0 {
		u.fail(errno)
		return
	}
	u.s.reply(u.n, int64(r), 0, false)
}

// sendmmsg sends the vector one message at a time, as the kernel does,
// and stops at the first error (reported only when nothing was sent).
func (u *udpSend) sendmmsg(ctx context.Context, args [6]uint64) {
	vec, vlen, flags := args[1], uint32(args[2]), uint32(args[3])
	if vlen > maxIovecs {
		vlen = maxIovecs
	}
	sent := 0
	for i := uint32(0); i < vlen; i++ {
		hdr := vec + uint64(i)*mmsghdrSize
		r, errno := u.oneMsg(ctx, hdr, flags)
		if errno != 0 {
			if sent == 0 || errno == errAnswered {
				u.fail(errno)
				return
			}
			break
		}
		var l [4]byte
		binary.NativeEndian.PutUint32(l[:], uint32(r))
		writeMem(u.t.tid, hdr+msghdrSize, l[:])
		sent++
	}
	u.s.reply(u.n, int64(sent), 0, false)
}

// oneMsg copies the msghdr at addr and everything it points to, decides its
// destination and sends it on the duplicate. It returns the bytes sent.
func (u *udpSend) oneMsg(ctx context.Context, addr uint64, flags uint32) (uintptr, unix.Errno) {
	var raw [msghdrSize]byte
	if m, err := readMem(u.t.tid, addr, raw[:]); err != nil || m != len(raw) {
		return 0, unix.EFAULT
	}
	le := binary.NativeEndian
	name, namelen := le.Uint64(raw[0:]), le.Uint32(raw[8:])
	iov, iovlen := le.Uint64(raw[16:]), le.Uint64(raw[24:])
	ctl, ctllen := le.Uint64(raw[32:]), le.Uint64(raw[40:])
	if iovlen > maxIovecs {
		return 0, unix.EMSGSIZE
	}
	if ctllen > maxControl {
		return 0, unix.ENOBUFS
	}
	var payload []byte
	if iovlen > 0 {
		vecs := make([]byte, 16*iovlen)
		if m, err := readMem(u.t.tid, iov, vecs); err != nil || m != len(vecs) {
			return 0, unix.EFAULT
		}
		total := uint64(0)
		for i := uint64(0); i < iovlen; i++ {
			total += le.Uint64(vecs[16*i+8:])
			if total > maxDatagram {
				return 0, unix.EMSGSIZE
			}
		}
		payload = make([]byte, 0, total)
		for i := uint64(0); i < iovlen; i++ {
			base, l := le.Uint64(vecs[16*i:]), le.Uint64(vecs[16*i+8:])
			if l == 0 {
				continue
			}
			chunk := make([]byte, l)
			if m, err := readMem(u.t.tid, base, chunk); err != nil || m != len(chunk) {
				return 0, unix.EFAULT
			}
			payload = append(payload, chunk...)
		}
	}
	var control []byte
	if ctllen > 0 && ctl != 0 {
		control = make([]byte, ctllen)
		if m, err := readMem(u.t.tid, ctl, control); err != nil || m != len(control) {
			return 0, unix.EFAULT
		}
	}
	if errno := u.checkControl(control); errno != 0 {
		return 0, errno
	}
	sa, errno := u.destination(ctx, name, namelen)
	if errno != 0 {
		return 0, errno
	}
	if !u.s.valid(u.n.ID) {
		return 0, errAnswered
	}
	var hdr unix.Msghdr
	var vec unix.Iovec
	if len(payload) > 0 {
		vec.Base, vec.Len = &payload[0], uint64(len(payload))
		hdr.Iov, hdr.Iovlen = &vec, 1
	}
	if len(sa) > 0 {
		hdr.Name, hdr.Namelen = &sa[0], uint32(len(sa))
	}
	if len(control) > 0 {
		hdr.Control, hdr.Controllen = &control[0], uint64(len(control))
	}
	r, _, e := unix.Syscall(unix.SYS_SENDMSG, uintptr(u.dup), uintptr(unsafe.Pointer(&hdr)), uintptr(flags))
	if e != 0 {
		return 0, e
	}
	return r, 0
}

// writeMem copies buf to addr in process pid (a thread id works).
func writeMem(pid int, addr uint64, buf []byte) (int, error) {
	if len(buf) == 0 {
		return 0, nil
	}
	local := []unix.Iovec{{Base: &buf[0], Len: uint64(len(buf))}}
	remote := []unix.RemoteIovec{{Base: uintptr(addr), Len: len(buf)}}
	return unix.ProcessVMWritev(pid, local, remote, 0)
}

// sendControl are the control messages an emulated send passes on: the
// ones UDP clients (DNS, QUIC) use, which change neither the destination
// nor need a privilege. The supervisor sends with its own credentials, so
// anything else could borrow them (SO_MARK, IPv6 hop-by-hop options need
// CAP_NET_ADMIN or CAP_NET_RAW) or route the datagram elsewhere (an
// IP_RETOPTS source route sends it to its first hop, a host no rule
// allowed).
var sendControl = map[[2]int32]bool{
	{unix.SOL_SOCKET, unix.SO_TIMESTAMPING_OLD}: true,
	{unix.SOL_SOCKET, unix.SCM_TXTIME}:          true,
	{unix.IPPROTO_IP, unix.IP_PKTINFO}:          true,
	{unix.IPPROTO_IP, unix.IP_TTL}:              true,
	{unix.IPPROTO_IP, unix.IP_TOS}:              true,
	{unix.IPPROTO_IPV6, unix.IPV6_PKTINFO}:      true,
	{unix.IPPROTO_IPV6, unix.IPV6_2292PKTINFO}:  true,
	{unix.IPPROTO_IPV6, unix.IPV6_HOPLIMIT}:     true,
	{unix.IPPROTO_IPV6, unix.IPV6_2292HOPLIMIT}: true,
	{unix.IPPROTO_IPV6, unix.IPV6_TCLASS}:       true,
	{unix.IPPROTO_IPV6, unix.IPV6_DONTFRAG}:     true,
	{unix.IPPROTO_UDP, unix.UDP_SEGMENT}:        true,
}

// checkControl refuses a datagram whose control data holds a message
// outside sendControl (EPERM, reported as a static deny), or that does not
// parse (EINVAL, as the kernel).
func (u *udpSend) checkControl(control []byte) unix.Errno {
	if len(control) == 0 {
		return 0
	}
	msgs, err := unix.ParseSocketControlMessage(control)
	if err != nil {
		return unix.EINVAL
	}
	for _, m := range msgs {
		if sendControl[[2]int32{m.Header.Level, m.Header.Type}] {
			continue
		}
		u.s.emit(Event{Op: u.op(), PID: u.t.tgid, TID: u.t.tid, Comm: u.t.comm, Effect: action.Deny, Layer: LayerStatic,
			Detail: fmt.Sprintf("control message level %d type %d", m.Header.Level, m.Header.Type),
			Reason: "the supervisor sends datagrams with its own privileges: only control messages that neither need one nor change the route pass",
			Result: "EPERM"})
		return unix.EPERM
	}
	return 0
}
