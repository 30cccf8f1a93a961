//go:build linux && amd64

package sandbox

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/safeclaw/safeclaw/action"
)

// supervisor answers the notifications of one sandboxed tree.
type supervisor struct {
	fd      int // the seccomp listener
	spec    *Spec
	rootPID int // the stub, then the target
	lowPort int // net.ipv4.ip_unprivileged_port_start

	mu       sync.Mutex
	contexts map[int]execContext // tgid → the part of the exec that was allowed by a rule
	sends    sendCache           // UDP send decisions per socket and destination

	// fdMu guards fd against a late handler answering on a closed (and
	// possibly reused) descriptor number.
	fdMu   sync.RWMutex
	closed bool

	handlers sync.WaitGroup
}

// execContext is a process's tree context: the part of an exec a rule
// allowed (or a person approved), inherited by its descendants.
type execContext struct {
	start uint64  // the process's start time, against pid reuse
	pre   imageID // the image before the exec: equal afterwards means the exec failed
	part  action.Part
	rule  action.RuleRef // the rule that allowed the exec (or asked, and a person approved)
}

// imageID tells two program images of one process apart: an exec changes
// the executable or (with ASLR) the stack address.
type imageID struct {
	exe        exeID
	startStack uint64
}

func currentImage(pid int) (imageID, uint64, int, bool) {
	st, err := readProcStat(pid)
	if err != nil {
		return imageID{}, 0, 0, false
	}
	return imageID{exe: procExeID(pid), startStack: st.startStack}, st.startTime, st.ppid, true
}

// target describes the thread a notification came from.
type target struct {
	tid, tgid int
	comm      string
	pidfd     int // a pidfd for the thread (or its process), -1 if none
}

// openTarget identifies the calling thread. The pidfd it opens names that
// exact task once the notification is found still valid afterwards (see
// dupSocket); callers close it.
func (s *supervisor) openTarget(n *seccompNotif) target {
	t := target{tid: int(n.PID), tgid: int(n.PID), pidfd: -1}
	pfd, err := unix.PidfdOpen(t.tid, unix.PIDFD_THREAD)
	if err == nil {
		info := unix.PidfdInfo{Mask: unix.PIDFD_INFO_PID}
		if unix.IoctlPidfdInfo(pfd, &info) == nil && info.Tgid != 0 {
			t.tgid = int(info.Tgid) // one ioctl instead of parsing /proc/<tid>/status
		} else if g, err := tgidOf(t.tid); err == nil {
			t.tgid = g
		}
		t.pidfd = pfd
	} else {
		// Before Linux 6.9 only a thread group leader has a pidfd.
		if g, err := tgidOf(t.tid); err == nil {
			t.tgid = g
		}
		if pfd, err := unix.PidfdOpen(t.tgid, 0); err == nil {
			t.pidfd = pfd
		}
	}
	t.comm = procComm(t.tid)
	return t
}

func (t *target) close() {
	if t.pidfd >= 0 {
		unix.Close(t.pidfd)
		t.pidfd = -1
	}
}

// serve receives notifications until stop is closed or no process uses the
// filter any more. Each notification is handled on its own goroutine, so a
// held ask or a slow connect does not stall the others.
func (s *supervisor) serve(ctx context.Context, wake int) {
	pfds := []unix.PollFd{{Fd: int32(s.fd), Events: unix.POLLIN}, {Fd: int32(wake), Events: unix.POLLIN}}
	for {
		pfds[0].Revents, pfds[1].Revents = 0, 0
		if _, err := unix.Poll(pfds, -1); err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			return
		}
		if pfds[1].Revents != 0 {
			return
		}
		if pfds[0].Revents&unix.POLLIN == 0 {
			if pfds[0].Revents&(unix.POLLHUP|unix.POLLERR|unix.POLLNVAL) != 0 {
				return // every process of the tree is gone
			}
			continue
		}
		n := new(seccompNotif)
		if err := notifRecv(s.fd, n); err != nil {
			if errors.Is(err, unix.ENOENT) {
				continue // the caller was interrupted meanwhile
			}
			return
		}
		s.handlers.Add(1)
		go func() {
			defer s.handlers.Done()
			s.handle(ctx, n)
		}()
	}
}

// reply answers a notification: an error, a return value, or continue.
func (s *supervisor) reply(n *seccompNotif, val int64, errno unix.Errno, cont bool) {
	r := seccompNotifResp{ID: n.ID, Val: val}
	if errno != 0 {
		r.Error = -int32(errno)
		r.Val = 0
	}
	if cont {
		r.Flags = notifFlagContinue
		r.Val, r.Error = 0, 0
	}
	s.fdMu.RLock()
	defer s.fdMu.RUnlock()
	if s.closed {
		return
	}
	_ = notifSend(s.fd, &r) // ENOENT: the caller is gone; nothing to tell
}

// valid reports whether notification id is still pending.
func (s *supervisor) valid(id uint64) bool {
	s.fdMu.RLock()
	defer s.fdMu.RUnlock()
	return !s.closed && notifValid(s.fd, id)
}

// close closes the listener: pending and future notifications of the tree
// fail with ENOSYS from then on.
func (s *supervisor) close() {
	s.fdMu.Lock()
	defer s.fdMu.Unlock()
	if !s.closed {
		s.closed = true
		unix.Close(s.fd)
	}
}

func (s *supervisor) emit(e Event) {
	if s.spec.OnEvent != nil {
		e.Time = time.Now()
		s.spec.OnEvent(e)
	}
}

func errnoName(e unix.Errno) string {
	if e == 0 {
		return "ok"
	}
	if n := unix.ErrnoName(e); n != "" {
		return n
	}
	return fmt.Sprintf("errno %d", int(e))
}

func (s *supervisor) handle(ctx context.Context, n *seccompNotif) {
	d := &n.Data
	if d.Arch != auditArchX8664 || uint32(d.Nr)&x32SyscallBit != 0 {
		s.handleStatic(n)
		return
	}
	switch d.Nr {
	case sysBind:
		s.handleBind(ctx, n)
	case sysListen:
		s.handleListen(ctx, n)
	case sysConnect:
		s.handleConnect(ctx, n)
	case sysExecve, sysExecveat:
		s.handleExec(ctx, n)
	case sysSendto, sysSendmsg, sysSendmmsg:
		if s.spec.Mode != Off && sendFlags(d.Nr, d.Args)&msgFastOpen != 0 {
			s.handleStatic(n)
			return
		}
		s.handleSend(ctx, n)
	default:
		s.handleStatic(n)
	}
}

// handleStatic refuses a call of the static deny set and reports it.
func (s *supervisor) handleStatic(n *seccompNotif) {
	t := s.openTarget(n)
	defer t.close()
	v, ok := classifyStatic(n.Data.Arch, n.Data.Nr, n.Data.Args)
	if !ok {
		// The filter only routes known calls here; anything else is a bug:
		// fail closed.
		v = staticVerdict{op: "syscall", detail: fmt.Sprintf("nr=%d", n.Data.Nr), reason: "unexpected notification", errno: unix.EPERM}
	}
	result := errnoName(v.errno)
	if v.kill && s.spec.Mode != Off {
		// Kill before answering, so the process never runs past the call.
		if pfd, err := unix.PidfdOpen(t.tgid, 0); err == nil {
			if unix.PidfdSendSignal(pfd, unix.SIGKILL, nil, 0) == nil {
				result = "killed"
			}
			unix.Close(pfd)
		}
	}
	s.reply(n, 0, v.errno, false)
	s.emit(Event{Op: v.op, PID: t.tgid, TID: t.tid, Comm: t.comm, Detail: v.detail, Effect: action.Deny,
		Layer: LayerStatic, Reason: v.reason, Result: result})
}

// dupSocket duplicates the target's descriptor fd into the supervisor. The
// duplicate shares the open file description: what the supervisor does to
// it happens to the target's socket, whatever another thread does to the
// descriptor number meanwhile.
func (s *supervisor) dupSocket(n *seccompNotif, t target, fd int) (int, unix.Errno) {
	if fd < 0 {
		return -1, unix.EBADF
	}
	if t.pidfd < 0 {
		return -1, unix.EACCES
	}
	if !s.valid(n.ID) {
		return -1, unix.EINTR
	}
	dup, err := unix.PidfdGetfd(t.pidfd, fd, 0)
	if err != nil {
		var e unix.Errno
		if errors.As(err, &e) && e == unix.EBADF {
			return -1, unix.EBADF
		}
		// EPERM: the target is not dumpable or otherwise not ours to
		// inspect. Fail closed.
		return -1, unix.EACCES
	}
	return dup, 0
}

// socketInfo reads the domain and type of a duplicated socket.
// notifiedSocket is the socket a notified call names in its first
// argument: the calling target, the supervisor's duplicate of the
// descriptor, and the socket's domain and type.
type notifiedSocket struct {
	t           target
	fd          int
	domain, typ int
}

// openSocket duplicates the socket a notified call names. On failure it
// has already answered the call with the error and returns false.
func (s *supervisor) openSocket(n *seccompNotif) (*notifiedSocket, bool) {
	ns := &notifiedSocket{t: s.openTarget(n), fd: -1}
	fd, errno := s.dupSocket(n, ns.t, int(int32(n.Data.Args[0])))
	if errno == 0 {
		ns.fd = fd
		ns.domain, ns.typ, errno = socketInfo(fd)
	}
	if errno != 0 {
		s.reply(n, 0, errno, false)
		ns.close()
		return nil, false
	}
	return ns, true
}

// close releases the duplicate and the target's handles.
func (ns *notifiedSocket) close() {
	if ns.fd >= 0 {
		unix.Close(ns.fd)
	}
	ns.t.close()
}

func socketInfo(dup int) (domain, typ int, errno unix.Errno) {
	domain, err := unix.GetsockoptInt(dup, unix.SOL_SOCKET, unix.SO_DOMAIN)
	if err != nil {
		return 0, 0, unix.ENOTSOCK
	}
	typ, err = unix.GetsockoptInt(dup, unix.SOL_SOCKET, unix.SO_TYPE)
	if err != nil {
		return 0, 0, unix.ENOTSOCK
	}
	return domain, typ, 0
}

func isIP(domain int) bool { return domain == unix.AF_INET || domain == unix.AF_INET6 }

func protoName(typ int) string {
	switch typ {
	case unix.SOCK_STREAM:
		return "tcp"
	case unix.SOCK_DGRAM:
		return "udp"
	}
	return fmt.Sprintf("type%d", typ)
}

// readSockaddr copies the address argument into the supervisor.
func (s *supervisor) readSockaddr(n *seccompNotif, t target, addr uint64, length uint64) ([]byte, unix.Errno) {
	if length > maxSockaddr {
		return nil, unix.EINVAL
	}
	buf := make([]byte, length)
	if length > 0 {
		if m, err := readMem(t.tid, addr, buf); err != nil || m != len(buf) {
			return nil, unix.EFAULT
		}
	}
	if !s.valid(n.ID) {
		return nil, unix.EINTR
	}
	return buf, 0
}

func rawBind(fd int, sa []byte) unix.Errno {
	var p unsafe.Pointer
	if len(sa) > 0 {
		p = unsafe.Pointer(&sa[0])
	}
	_, _, e := unix.Syscall(unix.SYS_BIND, uintptr(fd), uintptr(p), uintptr(len(sa)))
	return e
}

func rawConnect(fd int, sa []byte) unix.Errno {
	var p unsafe.Pointer
	if len(sa) > 0 {
		p = unsafe.Pointer(&sa[0])
	}
	_, _, e := unix.Syscall(unix.SYS_CONNECT, uintptr(fd), uintptr(p), uintptr(len(sa)))
	return e
}

func rawListen(fd, backlog int) unix.Errno {
	_, _, e := unix.Syscall(unix.SYS_LISTEN, uintptr(fd), uintptr(backlog), 0)
	return e
}

func (s *supervisor) handleBind(ctx context.Context, n *seccompNotif) {
	ns, ok := s.openSocket(n)
	if !ok {
		return
	}
	defer ns.close()
	t, dup, domain, typ, args := ns.t, ns.fd, ns.domain, ns.typ, n.Data.Args
	if !isIP(domain) {
		s.bindLocal(n, t, dup, domain, args)
		return
	}
	sa, errno := s.readSockaddr(n, t, args[1], uint64(uint32(args[2])))
	if errno != 0 {
		s.reply(n, 0, errno, false)
		return
	}
	ap, kind := parseIPSockaddr(sa, domain, true)
	switch kind {
	case addrShort:
		s.reply(n, 0, unix.EINVAL, false)
		return
	case addrUnsupported, addrUnspec:
		s.reply(n, 0, unix.EAFNOSUPPORT, false)
		return
	}
	if ap.Port() != 0 && int(ap.Port()) < s.lowPort && !mayBindPrivileged(t.tid, dup) {
		// The supervisor may hold privileges the target does not: answer
		// what the kernel would have answered the target.
		s.reply(n, 0, unix.EACCES, false)
		return
	}
	detail := fmt.Sprintf("%s %s", protoName(typ), ap)
	// A TCP bind is decided when the socket listens (a server) or connects
	// (a client with a chosen source port); a UDP bind to a port is a server.
	if typ == unix.SOCK_DGRAM && ap.Port() != 0 {
		facets := []action.Action{
			{Kind: action.NetworkBind, Port: int(ap.Port()), Host: ap.Addr().String(), Detail: "udp bind"},
			{Kind: action.NetworkListen, Port: int(ap.Port()), Host: ap.Addr().String(), Detail: "udp server (bind)"},
		}
		if !s.decide(ctx, n, t, "bind", detail, facets) {
			return
		}
	}
	e := rawBind(dup, sa)
	s.reply(n, 0, e, false)
}

// bindLocal answers a bind on a socket that is not IP (unix, netlink). An
// address that resolves in no file system and needs no privilege (netlink
// without multicast groups, an abstract or unnamed unix address) is bound
// here, on the duplicate, with the address read once: a descriptor or an
// address another thread swaps meanwhile changes nothing. A unix path
// resolves in the target's own context (its cwd, its mounts, its Landlock
// domain), and joining netlink multicast groups is checked against the
// caller's capabilities, so the kernel binds those in the target
// (CONTINUE), where it looks the descriptor number up again: a thread that
// swapped an IP socket onto that number could have a UDP port bound
// unchecked (a TCP one is stopped by Landlock). A program does that only
// to get round the fence, so a descriptor found swapped around such a bind
// ends the process.
func (s *supervisor) bindLocal(n *seccompNotif, t target, dup, domain int, args [6]uint64) {
	sa, errno := s.readSockaddr(n, t, args[1], uint64(uint32(args[2])))
	if errno != 0 {
		s.reply(n, 0, errno, false)
		return
	}
	if len(sa) >= 2 && int(binary.NativeEndian.Uint16(sa)) != domain {
		// An address of another family than the socket's: the kernel
		// refuses it, and a swap could make it fit another socket.
		s.reply(n, 0, unix.EINVAL, false)
		return
	}
	// Two binds happen in the target: a unix path, and a netlink bind that
	// joins multicast groups. For some groups (the audit log with
	// CAP_AUDIT_READ, generic netlink admin groups, any group of a family
	// without NL_CFG_F_NONROOT_RECV) the kernel checks the privileges of
	// the caller, which would be the supervisor's: the target's own must
	// decide.
	path := domain == unix.AF_UNIX && len(sa) > 2 && sa[2] != 0 // not abstract or unnamed
	groups := domain == unix.AF_NETLINK && len(sa) >= 12 && binary.NativeEndian.Uint32(sa[8:12]) != 0
	if !path && !groups {
		s.reply(n, 0, rawBind(dup, sa), false)
		return
	}
	fd := int(int32(args[0]))
	if s.swapped(t, fd, dup) {
		s.killSwap(n, t, fd)
		return
	}
	s.reply(n, 0, 0, true)
	// After CONTINUE the target runs on: closing the socket and opening
	// another on the same number is ordinary (a loop of socket, bind,
	// close), so only what the race could have made counts: an IP datagram
	// socket bound to a port where the checked socket was.
	for range 3 {
		if s.swappedToBoundUDP(t, fd, dup) {
			s.killSwap(nil, t, fd)
			return
		}
	}
}

// swappedToBoundUDP reports whether the target's descriptor fd now refers,
// instead of the socket dup duplicated, to an IP datagram socket bound to
// a port.
func (s *supervisor) swappedToBoundUDP(t target, fd, dup int) bool {
	if t.pidfd < 0 {
		return false
	}
	now, err := unix.PidfdGetfd(t.pidfd, fd, 0)
	if err != nil {
		return false // closed, or the process ended: nothing bound through it
	}
	defer unix.Close(now)
	var a, b unix.Stat_t
	if unix.Fstat(dup, &a) != nil || unix.Fstat(now, &b) != nil {
		return true
	}
	if a.Dev == b.Dev && a.Ino == b.Ino {
		return false
	}
	domain, typ, errno := socketInfo(now)
	if errno != 0 || !isIP(domain) || typ != unix.SOCK_DGRAM {
		return false
	}
	ap, ok := boundAddr(now)
	return !ok || ap.Port() != 0
}

// shutBoundUDP shuts down the IP datagram sockets bound to a port among
// the descriptors of process pid (pidfd pfd).
func shutBoundUDP(pfd, pid int) {
	entries, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return
	}
	for _, e := range entries {
		num, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		dup, err := unix.PidfdGetfd(pfd, num, 0)
		if err != nil {
			continue
		}
		if domain, typ, errno := socketInfo(dup); errno == 0 && isIP(domain) && typ == unix.SOCK_DGRAM {
			if ap, ok := boundAddr(dup); ok && ap.Port() != 0 {
				unix.Shutdown(dup, unix.SHUT_RDWR)
			}
		}
		unix.Close(dup)
	}
}

// swapped reports whether the target's descriptor fd no longer refers to
// the socket dup duplicated (closed, or another file put on the number).
func (s *supervisor) swapped(t target, fd, dup int) bool {
	if t.pidfd < 0 {
		return false
	}
	now, err := unix.PidfdGetfd(t.pidfd, fd, 0)
	if err != nil {
		return false // gone (the process ended, or closed it): nothing bound through it
	}
	defer unix.Close(now)
	var a, b unix.Stat_t
	if unix.Fstat(dup, &a) != nil || unix.Fstat(now, &b) != nil {
		return true
	}
	return a.Dev != b.Dev || a.Ino != b.Ino
}

// killSwap ends the target process whose descriptor was swapped around a
// bind, answering n (when not answered yet) with EPERM, and reports it.
func (s *supervisor) killSwap(n *seccompNotif, t target, fd int) {
	result := "refused"
	if s.spec.Mode != Off {
		if pfd, err := unix.PidfdOpen(t.tgid, 0); err == nil {
			// A UDP socket the race bound may already be shared with a
			// child: shut every bound one down (for all its holders) before
			// the process ends, so that none serves.
			shutBoundUDP(pfd, t.tgid)
			if unix.PidfdSendSignal(pfd, unix.SIGKILL, nil, 0) == nil {
				result = "killed"
			}
			unix.Close(pfd)
		}
	}
	if n != nil {
		s.reply(n, 0, unix.EPERM, false)
	}
	s.emit(Event{Op: "bind", PID: t.tgid, TID: t.tid, Comm: t.comm, Effect: action.Deny, Layer: LayerContinue,
		Detail: fmt.Sprintf("descriptor %d swapped while a unix or netlink bind was decided", fd),
		Reason: "a descriptor swapped around a bind could bind an IP port unchecked", Result: result})
}

func (s *supervisor) handleListen(ctx context.Context, n *seccompNotif) {
	ns, ok := s.openSocket(n)
	if !ok {
		return
	}
	defer ns.close()
	t, dup, domain, typ, args := ns.t, ns.fd, ns.domain, ns.typ, n.Data.Args
	backlog := int(int32(args[1]))
	// listen has no pointer argument, so it is always performed here on the
	// duplicate: a descriptor swapped meanwhile cannot change what listens.
	if !isIP(domain) || typ != unix.SOCK_STREAM {
		s.reply(n, 0, rawListen(dup, backlog), false)
		return
	}
	ap, ok := boundAddr(dup)
	if !ok {
		s.reply(n, 0, unix.EINVAL, false)
		return
	}
	explicit := ap.Port() != 0
	note := ""
	if !explicit {
		// listen on an unbound socket binds an ephemeral port (autobind).
		// Bind it here first so the decision is about the real port and no
		// concurrent bind can change it.
		if e := rawBind(dup, anyAddr(domain)); e != 0 && e != unix.EINVAL {
			s.reply(n, 0, e, false)
			return
		}
		if ap, ok = boundAddr(dup); !ok {
			s.reply(n, 0, unix.EINVAL, false)
			return
		}
		note = fmt.Sprintf(" (was unbound: autobound ephemeral port %d)", ap.Port())
	}
	facets := []action.Action{{Kind: action.NetworkListen, Port: int(ap.Port()), Host: ap.Addr().String(), Detail: "listen" + note}}
	if explicit {
		facets = append(facets, action.Action{Kind: action.NetworkBind, Port: int(ap.Port()), Host: ap.Addr().String(), Detail: "bound before listen"})
	}
	if !s.decide(ctx, n, t, "listen", fmt.Sprintf("tcp %s%s", ap, note), facets) {
		return
	}
	s.reply(n, 0, rawListen(dup, backlog), false)
}

func boundAddr(fd int) (netip.AddrPort, bool) {
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return netip.AddrPort{}, false
	}
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(a.Addr), uint16(a.Port)), true
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(a.Addr).Unmap(), uint16(a.Port)), true
	}
	return netip.AddrPort{}, false
}

func (s *supervisor) handleConnect(ctx context.Context, n *seccompNotif) {
	ns, ok := s.openSocket(n)
	if !ok {
		return
	}
	defer ns.close()
	t, dup, domain, typ, args := ns.t, ns.fd, ns.domain, ns.typ, n.Data.Args
	if !isIP(domain) {
		s.reply(n, 0, 0, true) // see handleBind
		return
	}
	sa, errno := s.readSockaddr(n, t, args[1], uint64(uint32(args[2])))
	if errno != 0 {
		s.reply(n, 0, errno, false)
		return
	}
	ap, kind := parseIPSockaddr(sa, domain, false)
	switch kind {
	case addrShort:
		s.reply(n, 0, unix.EINVAL, false)
		return
	case addrUnsupported:
		s.reply(n, 0, unix.EAFNOSUPPORT, false)
		return
	case addrUnspec:
		s.reply(n, 0, rawConnect(dup, sa), false) // dissolves an association
		return
	}
	ap, sa = pinUnspecified(ap, sa, dup)
	facets, names := s.connectFacets(ctx, ap, protoName(typ)+" connect")
	if !s.decide(ctx, n, t, "connect", fmt.Sprintf("%s %s%s", protoName(typ), ap, names), facets) {
		return
	}
	s.reply(n, 0, rawConnect(dup, sa), false)
}

// connectFacets are the network.connect facets of a connect to ap: one for
// the address and one per host name of the policy's connect rules that
// recently resolved to it (the kernel sees no names). names is a note for
// the event's detail (" (api.example.com)"), empty without names.
func (s *supervisor) connectFacets(ctx context.Context, ap netip.AddrPort, detail string) ([]action.Action, string) {
	facets := []action.Action{{Kind: action.NetworkConnect, Port: int(ap.Port()), Host: ap.Addr().String(), Detail: detail}}
	hostNames := s.spec.Hosts.Names(ctx, ap.Addr())
	if v4, ok := nat64Embedded(ap.Addr()); ok {
		// A NAT64 gateway forwards this to the IPv4 address: rules about
		// that address (a denied CIDR) must see it.
		facets = append(facets, action.Action{Kind: action.NetworkConnect, Port: int(ap.Port()), Host: v4.String(),
			Detail: detail + " (" + ap.Addr().String() + " is NAT64 for " + v4.String() + ")"})
		hostNames = append(hostNames, s.spec.Hosts.Names(ctx, v4)...)
	}
	for _, name := range hostNames {
		facets = append(facets, action.Action{Kind: action.NetworkConnect, Port: int(ap.Port()), Host: name,
			Detail: detail + " (" + ap.Addr().String() + " resolved from " + name + ")"})
	}
	if len(hostNames) == 0 {
		return facets, ""
	}
	return facets, " (" + strings.Join(hostNames, ", ") + ")"
}

// nat64Prefix is the well-known NAT64 prefix (RFC 6052): 64:ff9b::/96
// followed by the IPv4 address.
var nat64Prefix = netip.MustParsePrefix("64:ff9b::/96")

// nat64Embedded returns the IPv4 address a NAT64 address stands for.
func nat64Embedded(a netip.Addr) (netip.Addr, bool) {
	if !a.Is6() || a.Is4In6() || !nat64Prefix.Contains(a.WithZone("")) {
		return netip.Addr{}, false
	}
	b := a.As16()
	return netip.AddrFrom4([4]byte(b[12:16])), true
}

// decide asks the policy about a network operation and, unless it is
// allowed, answers the notification with EACCES (n nil: the caller
// answers). It reports whether the caller should perform the operation.
func (s *supervisor) decide(ctx context.Context, n *seccompNotif, t target, op, detail string, facets []action.Action) bool {
	exe := procLink(t.tgid, "exe")
	prog := action.ProgramName(exe)
	if prog == "" {
		prog = t.comm
	}
	for i := range facets {
		facets[i].Program = prog
	}
	part := action.Part{Text: fmt.Sprintf("%s %s", op, detail), Facets: facets}
	if c, ok := s.contextOf(t.tgid); ok {
		// Decided as a facet of the exec that started this subtree, so a rule
		// allowing that command (e.g. npm run dev) covers its listener; and
		// if that rule asked and a person approved the command, the approval
		// covers it too.
		part.Text, part.Views = c.part.Text, c.part.Views
		part.Facets = append(append([]action.Action{}, c.part.Facets...), facets...)
		ctx = action.WithApprovedRule(ctx, c.rule)
	}
	req := &action.Request{
		Surface: "run",
		Cwd:     procLink(t.tgid, "cwd"),
		Input:   fmt.Sprintf("%s(2) %s by pid %d (%s) [%s]", op, detail, t.tgid, t.comm, LayerEmulate),
		Parts:   []action.Part{part},
	}
	eff, d, reason := s.ask(ctx, req)
	ev := Event{Op: op, PID: t.tgid, TID: t.tid, Comm: t.comm, Detail: detail, Effect: eff, Layer: LayerEmulate,
		Reason: reason, Request: req, Decision: d}
	if s.spec.Mode == Off {
		ev.Layer = LayerAudit
		ev.Result = "ok (audit only)"
		s.emit(ev)
		return true
	}
	if eff != action.Allow {
		if n != nil {
			s.reply(n, 0, unix.EACCES, false)
		}
		ev.Result = "EACCES"
		s.emit(ev)
		return false
	}
	ev.Result = "performed by the supervisor"
	s.emit(ev)
	return true
}

// ask runs the DecideFunc and resolves an ask. Any error denies.
func (s *supervisor) ask(ctx context.Context, req *action.Request) (action.Effect, *action.Decision, string) {
	d, err := s.spec.Decide(ctx, req)
	if err != nil {
		return action.Deny, &d, fmt.Sprintf("no decision (%v): %s", err, d.Reason)
	}
	eff, reason := s.resolve(ctx, req, d)
	return eff, &d, reason
}

// resolve turns a decision into allow or deny, holding the call while a
// person decides an ask.
func (s *supervisor) resolve(ctx context.Context, req *action.Request, d action.Decision) (action.Effect, string) {
	reason := d.Reason
	switch d.Effect {
	case action.Allow:
		return action.Allow, reason
	case action.Ask:
		if s.spec.Ask == nil {
			return action.Deny, "needs a person's approval and nobody could be asked, so it is denied: " + reason
		}
		timeout := d.Timeout
		if timeout <= 0 {
			timeout = s.spec.AskTimeout
		}
		if timeout <= 0 {
			timeout = 5 * time.Minute
		}
		actx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		eff, err := s.spec.Ask(actx, req, d)
		if err != nil {
			return action.Deny, fmt.Sprintf("approval failed (%v): %s", err, reason)
		}
		if eff == action.Allow {
			return action.Allow, "approved: " + reason
		}
		return action.Deny, "not approved: " + reason
	}
	return action.Deny, reason
}

// contextOf returns the tree context of process tgid: the nearest
// ancestor exec (itself included) that a rule allowed, or that a person
// approved.
func (s *supervisor) contextOf(tgid int) (execContext, bool) {
	s.mu.Lock()
	empty := len(s.contexts) == 0
	s.mu.Unlock()
	if empty {
		return execContext{}, false
	}
	pid := tgid
	for depth := 0; depth < 128 && pid > 1; depth++ {
		img, start, ppid, ok := currentImage(pid)
		if !ok {
			return execContext{}, false
		}
		s.mu.Lock()
		c, found := s.contexts[pid]
		s.mu.Unlock()
		if found && c.start == start && c.pre != img {
			return c, true
		}
		if pid == s.rootPID {
			break
		}
		pid = ppid
	}
	return execContext{}, false
}

// sweepContexts forgets the contexts of processes that are gone. The
// caller holds s.mu.
func (s *supervisor) sweepContexts() {
	for pid, c := range s.contexts {
		if st, err := readProcStat(pid); err != nil || st.startTime != c.start {
			delete(s.contexts, pid)
		}
	}
}

const noRuleAtExec = "no rule about this command; the default does not apply at execve"

func (s *supervisor) handleExec(ctx context.Context, n *seccompNotif) {
	t := s.openTarget(n)
	defer t.close()
	args := n.Data.Args
	pathArg, argvArg := args[0], args[1]
	op := "execve"
	if n.Data.Nr == sysExecveat {
		pathArg, argvArg, op = args[1], args[2], "execveat"
	}
	path, err := readString(t.tid, pathArg, 4096)
	if err != nil {
		s.reply(n, 0, unix.EFAULT, false)
		return
	}
	argv, truncated, _ := readArgv(t.tid, argvArg, 64, 4096)
	if !s.valid(n.ID) {
		return
	}
	img, start, _, imgOK := currentImage(t.tgid)
	s.mu.Lock()
	if c, ok := s.contexts[t.tgid]; ok && imgOK && c.start == start && c.pre == img {
		// The exec that set this context failed; the process is still the old image.
		delete(s.contexts, t.tgid)
	}
	s.mu.Unlock()

	words := argv
	if len(words) == 0 {
		words = []string{path}
	}
	text := quoteWords(words)
	if truncated {
		text += " ..."
	}
	detail := path
	if len(words) > 0 {
		detail = fmt.Sprintf("%s [%s]", path, text)
	}
	part := action.Part{
		Text:   text,
		Views:  []action.Argv{action.ParseArgv(words)},
		Facets: []action.Action{{Kind: action.ShellExecute, Command: text, Program: action.ProgramName(words[0]), Detail: "execve " + path}},
	}
	req := &action.Request{
		Surface: "run",
		Cwd:     procLink(t.tgid, "cwd"),
		Input:   fmt.Sprintf("%s %s by pid %d (%s) [%s]", op, text, t.tgid, t.comm, LayerAdvisory),
		Parts:   []action.Part{part},
	}
	ev := Event{Op: op, PID: t.tgid, TID: t.tid, Comm: t.comm, Detail: detail, Layer: LayerAdvisory, Request: req}
	if c, ok := s.contextOf(t.tgid); ok {
		// A command a person approved may exec what the same rule asks
		// about (a version manager's shim running the real python3).
		ctx = action.WithApprovedRule(ctx, c.rule)
	}
	d, err := s.spec.Decide(ctx, req)
	ev.Decision = &d
	eff, reason := action.Deny, ""
	switch {
	case err != nil:
		reason = fmt.Sprintf("no decision (%v): %s", err, d.Reason)
	case d.Rule == nil:
		// The policy default does not apply at execve, or no agent could
		// start node or git: only a rule about this command decides an exec.
		eff, reason = action.Allow, noRuleAtExec
	default:
		eff, reason = s.resolve(ctx, req, d)
	}
	ev.Reason = reason
	switch {
	case s.spec.Mode == Off:
		ev.Effect, ev.Layer, ev.Result = action.Allow, LayerAudit, "ok (audit only)"
	case eff == action.Allow:
		ev.Effect, ev.Result = action.Allow, "ok"
		if err == nil && d.Rule != nil && imgOK {
			s.mu.Lock()
			if s.contexts == nil {
				s.contexts = map[int]execContext{}
			}
			if len(s.contexts) >= 1024 {
				s.sweepContexts()
			}
			s.contexts[t.tgid] = execContext{start: start, pre: img, part: part, rule: *d.Rule}
			s.mu.Unlock()
		}
	default:
		ev.Effect, ev.Result = action.Deny, "EACCES"
		s.reply(n, 0, unix.EACCES, false)
		s.emit(ev)
		return
	}
	// CONTINUE: the kernel re-reads path and argv; the decision is advisory.
	s.reply(n, 0, 0, true)
	s.emit(ev)
}

// quoteWords joins words into a shell-like command line for display and
// rule matching of the part's text.
func quoteWords(words []string) string {
	out := make([]string, len(words))
	for i, w := range words {
		if w != "" && !strings.ContainsAny(w, " \t\n'\"\\$`;&|<>()*?[]{}!#~") {
			out[i] = w
			continue
		}
		out[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
	}
	return strings.Join(out, " ")
}
