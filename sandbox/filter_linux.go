//go:build linux && amd64

package sandbox

import (
	"fmt"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// System call numbers (x86-64) and constants the filter matches on.
const (
	auditArchX8664 = unix.AUDIT_ARCH_X86_64
	x32SyscallBit  = 0x40000000

	sysSocket          = unix.SYS_SOCKET
	sysConnect         = unix.SYS_CONNECT
	sysSendto          = unix.SYS_SENDTO
	sysSendmsg         = unix.SYS_SENDMSG
	sysSendmmsg        = unix.SYS_SENDMMSG
	sysBind            = unix.SYS_BIND
	sysListen          = unix.SYS_LISTEN
	sysSetsockopt      = unix.SYS_SETSOCKOPT
	sysIoctl           = unix.SYS_IOCTL
	sysExecve          = unix.SYS_EXECVE
	sysExecveat        = unix.SYS_EXECVEAT
	sysPtrace          = unix.SYS_PTRACE
	sysProcessVMWritev = unix.SYS_PROCESS_VM_WRITEV
	sysIOUringSetup    = unix.SYS_IO_URING_SETUP
	sysIOUringEnter    = unix.SYS_IO_URING_ENTER
	sysIOUringRegister = unix.SYS_IO_URING_REGISTER

	retAllow  = unix.SECCOMP_RET_ALLOW
	retNotify = unix.SECCOMP_RET_USER_NOTIF

	msgFastOpen        = unix.MSG_FASTOPEN
	tcpFastOpenConnect = unix.TCP_FASTOPEN_CONNECT
	tiocsti            = unix.TIOCSTI
	tioclinux          = unix.TIOCLINUX
	ipprotoMPTCP       = 262

	// IPV6_FLOWLABEL_MGR (linux/in6.h) and sizeof(struct in6_flowlabel_req):
	// a request longer than the struct carries control messages (extension
	// headers) that the label then attaches to every packet sent with it.
	ipv6FlowlabelMgr = 32
	flowlabelReqSize = 32

	offNr   = 0
	offArch = 4
)

// offArg is the offset of the low 32 bits of argument i in struct
// seccomp_data (little-endian). Only the low half is compared: the kernel
// reads these arguments as int, so a caller setting high bits must not slip
// past a 64-bit compare.
func offArg(i int) uint32 { return uint32(16 + 8*i) }

// notifiedSyscalls are decided by the supervisor (and sendto with an
// address, sendmsg, sendmmsg: see buildFilter).
var notifiedSyscalls = []uint32{sysBind, sysListen, sysConnect, sysExecve, sysExecveat}

// buildFilter returns the seccomp program. With static set, the bypass deny
// set is routed to the supervisor too (which refuses and reports it); the
// supervisor never lets those calls through, and with the supervisor gone
// they fail with ENOSYS. Without it (mode off) only the decided calls are
// notified.
func buildFilter(static bool) ([]bpf.RawInstruction, error) {
	var p bpfProg
	p.load(offArch)
	if static {
		p.jeq(auditArchX8664, "", "notify")
	} else {
		p.jeq(auditArchX8664, "", "allow")
	}
	p.load(offNr)
	if static {
		p.jge(x32SyscallBit, "notify", "")
	} else {
		p.jge(x32SyscallBit, "allow", "")
	}
	for _, nr := range notifiedSyscalls {
		p.jeq(nr, "notify", "")
	}
	// A datagram to an address is a connect: sendto with an address, and
	// every sendmsg and sendmmsg (the address is behind a pointer the
	// filter cannot follow), go to the supervisor, which continues them on
	// non-UDP sockets.
	p.jeq(sysSendto, "sendto", "")
	p.jeq(sysSendmsg, "notify", "")
	p.jeq(sysSendmmsg, "notify", "")
	if static {
		for _, nr := range []uint32{sysIOUringSetup, sysIOUringEnter, sysIOUringRegister, sysPtrace, sysProcessVMWritev} {
			p.jeq(nr, "notify", "")
		}
		p.jeq(sysSocket, "socket", "")
		p.jeq(sysSetsockopt, "setsockopt", "")
		p.jeq(sysIoctl, "ioctl", "")
	}
	p.ret(retAllow)

	p.label("sendto")
	if static {
		p.load(offArg(3))
		p.jset(msgFastOpen, "notify", "")
	}
	// The address is a pointer: both halves must be zero for "none".
	p.load(offArg(4))
	p.jeq(0, "", "notify")
	p.load(offArg(4) + 4)
	p.jeq(0, "allow", "notify")

	if static {
		p.label("socket")
		p.load(offArg(0))
		p.jeq(unix.AF_UNIX, "allow", "")
		p.jeq(unix.AF_NETLINK, "allow", "")
		p.jeq(unix.AF_ALG, "allow", "")
		p.jeq(unix.AF_INET, "inet", "")
		p.jeq(unix.AF_INET6, "inet", "notify")
		p.label("inet")
		p.load(offArg(1))
		p.and(0xf) // the type without SOCK_NONBLOCK / SOCK_CLOEXEC
		p.jeq(unix.SOCK_STREAM, "stream", "")
		p.jeq(unix.SOCK_DGRAM, "dgram", "notify")
		p.label("stream")
		p.load(offArg(2))
		p.jeq(0, "allow", "")
		p.jeq(unix.IPPROTO_TCP, "allow", "notify")
		p.label("dgram")
		p.load(offArg(2))
		p.jeq(0, "allow", "")
		p.jeq(unix.IPPROTO_UDP, "allow", "notify")

		p.label("setsockopt")
		p.load(offArg(1))
		p.jeq(unix.IPPROTO_TCP, "", "setsockopt6")
		p.load(offArg(2))
		p.jeq(tcpFastOpenConnect, "notify", "allow")
		// An IPv6 routing header makes its first segment the first hop:
		// the packets of a socket connected to an allowed address go
		// elsewhere. The kernel allows it without privileges. (IPv4 source
		// routes in IP_OPTIONS need CAP_NET_RAW, which the target lacks.)
		p.label("setsockopt6")
		p.jeq(unix.IPPROTO_IPV6, "", "allow")
		p.load(offArg(2))
		p.jeq(unix.IPV6_RTHDR, "notify", "")
		p.jeq(unix.IPV6_2292RTHDR, "notify", "")
		p.jeq(unix.IPV6_2292PKTOPTIONS, "notify", "")
		p.jeq(ipv6FlowlabelMgr, "", "allow")
		// A flow label created with options carries them to every packet
		// sent with the label: on kernels with Mobile IPv6 a type 2 routing
		// header, whose address becomes the first hop. A plain request (no
		// options) is the struct alone. optlen is a register: no TOCTOU.
		p.load(offArg(4))
		p.jgt(flowlabelReqSize, "notify", "allow")

		// TIOCSTI types into the terminal: what the target pushes there runs
		// in the user's shell, outside the run. TIOCLINUX can paste the
		// console selection.
		p.label("ioctl")
		p.load(offArg(1))
		p.jeq(tiocsti, "notify", "")
		p.jeq(tioclinux, "notify", "allow")
	}
	p.label("allow")
	p.ret(retAllow)
	p.label("notify")
	p.ret(retNotify)
	return p.assemble()
}

// staticDeny says whether a notified call belongs to the static deny set,
// and if so how it is refused. It mirrors buildFilter: the filter routes
// exactly these calls to the supervisor.
type staticVerdict struct {
	op, detail, reason string
	errno              unix.Errno
	kill               bool
}

func classifyStatic(arch uint32, nr int32, args [6]uint64) (staticVerdict, bool) {
	a := func(i int) uint32 { return uint32(args[i]) }
	if arch != auditArchX8664 {
		return staticVerdict{op: "syscall", detail: fmt.Sprintf("foreign ABI arch=%#x nr=%d", arch, nr),
			reason: "32-bit system calls (int 0x80) evade per-call rules; the process is killed", errno: unix.ENOSYS, kill: true}, true
	}
	if uint32(nr)&x32SyscallBit != 0 {
		return staticVerdict{op: "syscall", detail: fmt.Sprintf("x32 ABI nr=%#x", uint32(nr)),
			reason: "x32 system calls evade per-call rules; the process is killed", errno: unix.ENOSYS, kill: true}, true
	}
	switch nr {
	case sysIOUringSetup, sysIOUringEnter, sysIOUringRegister:
		return staticVerdict{op: "io_uring", detail: "io_uring", reason: "io_uring performs socket operations without system calls", errno: unix.ENOSYS}, true
	case sysPtrace:
		return staticVerdict{op: "ptrace", detail: fmt.Sprintf("request %d pid %d", a(0), a(1)), reason: "ptrace could rewrite another process's system calls", errno: unix.EPERM}, true
	case sysProcessVMWritev:
		return staticVerdict{op: "process_vm_writev", detail: fmt.Sprintf("pid %d", a(0)), reason: "writing another process's memory", errno: unix.EPERM}, true
	case sysSocket:
		dom, typ, proto := a(0), a(1)&0xf, a(2)
		detail := fmt.Sprintf("%s %s protocol %d", familyName(dom), sockTypeName(typ), proto)
		switch {
		case dom != unix.AF_INET && dom != unix.AF_INET6:
			return staticVerdict{op: "socket", detail: detail, reason: "only unix, netlink, IPv4 and IPv6 sockets are allowed", errno: unix.EAFNOSUPPORT}, true
		case typ != unix.SOCK_STREAM && typ != unix.SOCK_DGRAM:
			return staticVerdict{op: "socket", detail: detail, reason: "raw and other non-TCP/UDP sockets have no port rules", errno: unix.EPERM}, true
		case proto == ipprotoMPTCP:
			return staticVerdict{op: "socket", detail: detail + " (MPTCP)", reason: "MPTCP bypasses Landlock port rules", errno: unix.EPROTONOSUPPORT}, true
		default:
			return staticVerdict{op: "socket", detail: detail, reason: "only TCP and UDP are allowed on IP sockets", errno: unix.EPROTONOSUPPORT}, true
		}
	case sysSendto, sysSendmsg, sysSendmmsg:
		name := map[int32]string{sysSendto: "sendto", sysSendmsg: "sendmsg", sysSendmmsg: "sendmmsg"}[nr]
		return staticVerdict{op: name, detail: "MSG_FASTOPEN", reason: "TCP Fast Open connects without connect()", errno: unix.EOPNOTSUPP}, true
	case sysSetsockopt:
		if a(1) == unix.IPPROTO_IPV6 && a(2) == ipv6FlowlabelMgr {
			return staticVerdict{op: "setsockopt", detail: fmt.Sprintf("IPv6 flow label with options (%d bytes)", a(4)),
				reason: "a flow label's options (a routing header) go with every packet sent with it and can send them to another host first", errno: unix.EPERM}, true
		}
		if a(1) == unix.IPPROTO_IPV6 {
			return staticVerdict{op: "setsockopt", detail: fmt.Sprintf("IPv6 routing header (option %d)", a(2)),
				reason: "a routing header sends the socket's packets to another host first", errno: unix.EPERM}, true
		}
		return staticVerdict{op: "setsockopt", detail: "TCP_FASTOPEN_CONNECT", reason: "TCP Fast Open connects without a checked connect()", errno: unix.EOPNOTSUPP}, true
	case sysIoctl:
		name := "TIOCSTI"
		if a(1) == tioclinux {
			name = "TIOCLINUX"
		}
		return staticVerdict{op: "ioctl", detail: fmt.Sprintf("%s on fd %d", name, a(0)),
			reason: "input typed into the terminal would run outside the sandbox", errno: unix.EPERM}, true
	}
	return staticVerdict{}, false
}

func familyName(f uint32) string {
	switch f {
	case unix.AF_UNIX:
		return "unix"
	case unix.AF_INET:
		return "inet"
	case unix.AF_INET6:
		return "inet6"
	case unix.AF_NETLINK:
		return "netlink"
	case unix.AF_PACKET:
		return "packet"
	case unix.AF_VSOCK:
		return "vsock"
	}
	return fmt.Sprintf("family(%d)", f)
}

func sockTypeName(t uint32) string {
	switch t {
	case unix.SOCK_STREAM:
		return "stream"
	case unix.SOCK_DGRAM:
		return "dgram"
	case unix.SOCK_RAW:
		return "raw"
	case unix.SOCK_SEQPACKET:
		return "seqpacket"
	}
	return fmt.Sprintf("type(%d)", t)
}

// bpfProg is a tiny assembler with named jump targets ("" = next instruction).
type bpfProg struct {
	ins    []bpfIns
	labels map[string]int
}

type bpfIns struct {
	op     bpf.Instruction
	jt, jf string
}

func (p *bpfProg) label(name string) {
	if p.labels == nil {
		p.labels = map[string]int{}
	}
	p.labels[name] = len(p.ins)
}

func (p *bpfProg) load(off uint32) {
	p.ins = append(p.ins, bpfIns{op: bpf.LoadAbsolute{Off: off, Size: 4}})
}

func (p *bpfProg) and(mask uint32) {
	p.ins = append(p.ins, bpfIns{op: bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: mask}})
}

func (p *bpfProg) ret(v uint32) { p.ins = append(p.ins, bpfIns{op: bpf.RetConstant{Val: v}}) }

func (p *bpfProg) jump(c bpf.JumpTest, v uint32, t, f string) {
	p.ins = append(p.ins, bpfIns{op: bpf.JumpIf{Cond: c, Val: v}, jt: t, jf: f})
}

func (p *bpfProg) jeq(v uint32, t, f string)  { p.jump(bpf.JumpEqual, v, t, f) }
func (p *bpfProg) jge(v uint32, t, f string)  { p.jump(bpf.JumpGreaterOrEqual, v, t, f) }
func (p *bpfProg) jgt(v uint32, t, f string)  { p.jump(bpf.JumpGreaterThan, v, t, f) }
func (p *bpfProg) jset(v uint32, t, f string) { p.jump(bpf.JumpBitsSet, v, t, f) }

func (p *bpfProg) assemble() ([]bpf.RawInstruction, error) {
	ins := make([]bpf.Instruction, len(p.ins))
	for i, in := range p.ins {
		j, ok := in.op.(bpf.JumpIf)
		if !ok {
			ins[i] = in.op
			continue
		}
		skip := func(label string) (uint8, error) {
			if label == "" {
				return 0, nil
			}
			at, ok := p.labels[label]
			if !ok {
				return 0, fmt.Errorf("bpf: undefined label %q", label)
			}
			d := at - i - 1
			if d < 0 || d > 255 {
				return 0, fmt.Errorf("bpf: jump to %q out of range (%d)", label, d)
			}
			return uint8(d), nil
		}
		var err error
		if j.SkipTrue, err = skip(in.jt); err != nil {
			return nil, err
		}
		if j.SkipFalse, err = skip(in.jf); err != nil {
			return nil, err
		}
		ins[i] = j
	}
	return bpf.Assemble(ins)
}
