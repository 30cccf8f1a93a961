//go:build linux && amd64

package sandbox

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// runSeccompBPF interprets a seccomp program over one seccomp_data (x/net/bpf's
// VM is packet-oriented and big-endian; seccomp loads native 32-bit words).
func runSeccompBPF(t *testing.T, prog []bpf.RawInstruction, d seccompData) uint32 {
	t.Helper()
	buf := make([]byte, 64)
	binary.NativeEndian.PutUint32(buf[0:], uint32(d.Nr))
	binary.NativeEndian.PutUint32(buf[4:], d.Arch)
	binary.NativeEndian.PutUint64(buf[8:], d.IP)
	for i, a := range d.Args {
		binary.NativeEndian.PutUint64(buf[16+8*i:], a)
	}
	var acc uint32
	for pc := 0; pc < len(prog); pc++ {
		in := prog[pc]
		switch in.Op {
		case unix.BPF_LD | unix.BPF_W | unix.BPF_ABS:
			acc = binary.NativeEndian.Uint32(buf[in.K:])
		case unix.BPF_ALU | unix.BPF_AND | unix.BPF_K:
			acc &= in.K
		case unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K:
			pc += int(pick(acc == in.K, in.Jt, in.Jf))
		case unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K:
			pc += int(pick(acc >= in.K, in.Jt, in.Jf))
		case unix.BPF_JMP | unix.BPF_JGT | unix.BPF_K:
			pc += int(pick(acc > in.K, in.Jt, in.Jf))
		case unix.BPF_JMP | unix.BPF_JSET | unix.BPF_K:
			pc += int(pick(acc&in.K != 0, in.Jt, in.Jf))
		case unix.BPF_JMP | unix.BPF_JA:
			pc += int(in.K)
		case unix.BPF_RET | unix.BPF_K:
			return in.K
		default:
			t.Fatalf("unsupported instruction %#x at %d", in.Op, pc)
		}
	}
	t.Fatal("program fell off the end")
	return 0
}

func pick(c bool, a, b uint8) uint8 {
	if c {
		return a
	}
	return b
}

func TestFilter(t *testing.T) {
	full, err := buildFilter(true)
	if err != nil {
		t.Fatal(err)
	}
	auditOnly, err := buildFilter(false)
	if err != nil {
		t.Fatal(err)
	}
	const hi = 0xffffffff00000000 // high bits a caller may set to dodge a 64-bit compare
	x86 := func(nr int32, args ...uint64) seccompData {
		d := seccompData{Nr: nr, Arch: auditArchX8664}
		copy(d.Args[:], args)
		return d
	}
	tests := []struct {
		name      string
		d         seccompData
		full, off uint32
	}{
		{"i386 socket", seccompData{Nr: 359, Arch: unix.AUDIT_ARCH_I386}, retNotify, retAllow},
		{"i386 socketcall", seccompData{Nr: 102, Arch: unix.AUDIT_ARCH_I386}, retNotify, retAllow},
		{"x32 socket", x86(x32SyscallBit | sysSocket), retNotify, retAllow},
		{"bind", x86(sysBind), retNotify, retNotify},
		{"listen", x86(sysListen), retNotify, retNotify},
		{"connect", x86(sysConnect), retNotify, retNotify},
		{"execve", x86(sysExecve), retNotify, retNotify},
		{"execveat", x86(sysExecveat), retNotify, retNotify},
		{"getppid", x86(unix.SYS_GETPPID), retAllow, retAllow},
		{"io_uring_setup", x86(sysIOUringSetup), retNotify, retAllow},
		{"io_uring_enter", x86(sysIOUringEnter), retNotify, retAllow},
		{"ptrace", x86(sysPtrace), retNotify, retAllow},
		{"tcp socket", x86(sysSocket, unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0), retAllow, retAllow},
		{"tcp6 socket proto 6", x86(sysSocket, unix.AF_INET6, unix.SOCK_STREAM, unix.IPPROTO_TCP), retAllow, retAllow},
		{"udp socket", x86(sysSocket, unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK, 0), retAllow, retAllow},
		{"unix socket", x86(sysSocket, unix.AF_UNIX, unix.SOCK_STREAM, 0), retAllow, retAllow},
		{"MPTCP socket", x86(sysSocket, unix.AF_INET, unix.SOCK_STREAM, ipprotoMPTCP), retNotify, retAllow},
		{"MPTCP socket, high bits set", x86(sysSocket, hi|unix.AF_INET, hi|unix.SOCK_STREAM, hi|ipprotoMPTCP), retNotify, retAllow},
		{"tcp socket, high bits set", x86(sysSocket, hi|unix.AF_INET, hi|unix.SOCK_STREAM, hi), retAllow, retAllow},
		{"SCTP socket", x86(sysSocket, unix.AF_INET, unix.SOCK_STREAM, unix.IPPROTO_SCTP), retNotify, retAllow},
		{"raw socket", x86(sysSocket, unix.AF_INET, unix.SOCK_RAW, unix.IPPROTO_ICMP), retNotify, retAllow},
		{"ping socket", x86(sysSocket, unix.AF_INET, unix.SOCK_DGRAM, unix.IPPROTO_ICMP), retNotify, retAllow},
		{"packet socket", x86(sysSocket, unix.AF_PACKET, unix.SOCK_DGRAM, 0), retNotify, retAllow},
		{"vsock socket", x86(sysSocket, unix.AF_VSOCK, unix.SOCK_STREAM, 0), retNotify, retAllow},
		{"sendto plain", x86(sysSendto, 3, 0, 1, unix.MSG_DONTWAIT), retAllow, retAllow},
		{"sendto to an address", x86(sysSendto, 3, 0, 1, 0, 0x7ffc1000, 16), retNotify, retNotify},
		{"sendto to an address above 4 GiB", x86(sysSendto, 3, 0, 1, 0, 0x7ffc00000000, 16), retNotify, retNotify},
		{"sendto MSG_FASTOPEN", x86(sysSendto, 3, 0, 1, unix.MSG_FASTOPEN|unix.MSG_DONTWAIT), retNotify, retAllow},
		{"sendmsg", x86(sysSendmsg, 3, 0x7ffc1000, 0), retNotify, retNotify},
		{"sendmsg MSG_FASTOPEN", x86(sysSendmsg, 3, 0, unix.MSG_FASTOPEN), retNotify, retNotify},
		{"sendmmsg MSG_FASTOPEN", x86(sysSendmmsg, 3, 0, 1, unix.MSG_FASTOPEN), retNotify, retNotify},
		{"setsockopt TCP_FASTOPEN_CONNECT", x86(sysSetsockopt, 3, unix.IPPROTO_TCP, unix.TCP_FASTOPEN_CONNECT), retNotify, retAllow},
		{"setsockopt TCP_NODELAY", x86(sysSetsockopt, 3, unix.IPPROTO_TCP, unix.TCP_NODELAY), retAllow, retAllow},
		{"setsockopt SOL_SOCKET 30", x86(sysSetsockopt, 3, unix.SOL_SOCKET, 30), retAllow, retAllow},
		{"setsockopt IPV6_RTHDR", x86(sysSetsockopt, 3, unix.IPPROTO_IPV6, unix.IPV6_RTHDR), retNotify, retAllow},
		{"setsockopt IPV6_RTHDR, high bits set", x86(sysSetsockopt, 3, hi|unix.IPPROTO_IPV6, hi|unix.IPV6_RTHDR), retNotify, retAllow},
		{"setsockopt IPV6_2292RTHDR", x86(sysSetsockopt, 3, unix.IPPROTO_IPV6, unix.IPV6_2292RTHDR), retNotify, retAllow},
		{"setsockopt IPV6_2292PKTOPTIONS", x86(sysSetsockopt, 3, unix.IPPROTO_IPV6, unix.IPV6_2292PKTOPTIONS), retNotify, retAllow},
		{"setsockopt IPV6_FLOWLABEL_MGR with options", x86(sysSetsockopt, 3, unix.IPPROTO_IPV6, ipv6FlowlabelMgr, 0x7ffc1000, flowlabelReqSize+48), retNotify, retAllow},
		{"setsockopt IPV6_FLOWLABEL_MGR with options, high bits set", x86(sysSetsockopt, 3, hi|unix.IPPROTO_IPV6, hi|ipv6FlowlabelMgr, 0x7ffc1000, flowlabelReqSize+48), retNotify, retAllow},
		{"setsockopt IPV6_FLOWLABEL_MGR, negative length", x86(sysSetsockopt, 3, unix.IPPROTO_IPV6, ipv6FlowlabelMgr, 0x7ffc1000, 0xffffffff), retNotify, retAllow},
		{"setsockopt IPV6_FLOWLABEL_MGR plain", x86(sysSetsockopt, 3, unix.IPPROTO_IPV6, ipv6FlowlabelMgr, 0x7ffc1000, flowlabelReqSize), retAllow, retAllow},
		{"setsockopt IPV6_FLOWLABEL_MGR plain, high length bits", x86(sysSetsockopt, 3, unix.IPPROTO_IPV6, ipv6FlowlabelMgr, 0x7ffc1000, hi|flowlabelReqSize), retAllow, retAllow},
		{"setsockopt IPV6_V6ONLY", x86(sysSetsockopt, 3, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY), retAllow, retAllow},
		{"setsockopt IP_TOS", x86(sysSetsockopt, 3, unix.IPPROTO_IP, unix.IP_TOS), retAllow, retAllow},
		{"ioctl TIOCSTI", x86(sysIoctl, 0, unix.TIOCSTI, 0x7ffc1000), retNotify, retAllow},
		{"ioctl TIOCSTI, high bits set", x86(sysIoctl, 0, hi|unix.TIOCSTI, 0x7ffc1000), retNotify, retAllow},
		{"ioctl TIOCLINUX", x86(sysIoctl, 0, unix.TIOCLINUX, 0x7ffc1000), retNotify, retAllow},
		{"ioctl TIOCGWINSZ", x86(sysIoctl, 1, unix.TIOCGWINSZ, 0x7ffc1000), retAllow, retAllow},
		{"ioctl FIONBIO", x86(sysIoctl, 3, 0x5421 /* FIONBIO */, 0x7ffc1000), retAllow, retAllow},
	}
	for _, tt := range tests {
		if got := runSeccompBPF(t, full, tt.d); got != tt.full {
			t.Errorf("%s: full filter %#x, want %#x", tt.name, got, tt.full)
		}
		if got := runSeccompBPF(t, auditOnly, tt.d); got != tt.off {
			t.Errorf("%s: audit-only filter %#x, want %#x", tt.name, got, tt.off)
		}
		// Everything the full filter routes to the supervisor that is not a
		// decided call must be classified as a static deny.
		decided := tt.d.Arch == auditArchX8664 && uint32(tt.d.Nr)&x32SyscallBit == 0
		switch tt.d.Nr {
		case sysBind, sysListen, sysConnect, sysExecve, sysExecveat:
		default:
			decided = false
		}
		_, static := classifyStatic(tt.d.Arch, tt.d.Nr, tt.d.Args)
		if tt.full == retNotify && !decided && !static {
			t.Errorf("%s: notified but not classified as a static deny", tt.name)
		}
	}
}

// TestNaiveFilterNegativeControl shows what the arch check is for: a filter
// matching only x86-64 numbers lets the i386 listen (363) through.
func TestNaiveFilterNegativeControl(t *testing.T) {
	var p bpfProg
	p.load(offNr)
	p.jeq(sysListen, "notify", "allow")
	p.label("allow")
	p.ret(retAllow)
	p.label("notify")
	p.ret(retNotify)
	prog, err := p.assemble()
	if err != nil {
		t.Fatal(err)
	}
	if got := runSeccompBPF(t, prog, seccompData{Nr: 363, Arch: unix.AUDIT_ARCH_I386}); got != retAllow {
		t.Fatalf("the naive filter should allow the i386 listen, got %#x", got)
	}
}

func sockaddr4(family uint16, ip [4]byte, port uint16) []byte {
	b := make([]byte, 16)
	binary.NativeEndian.PutUint16(b, family)
	binary.BigEndian.PutUint16(b[2:], port)
	copy(b[4:], ip[:])
	return b
}

func sockaddr6(ip netip.Addr, port uint16) []byte {
	b := make([]byte, 28)
	binary.NativeEndian.PutUint16(b, unix.AF_INET6)
	binary.BigEndian.PutUint16(b[2:], port)
	a := ip.As16()
	copy(b[8:], a[:])
	return b
}

func TestParseIPSockaddr(t *testing.T) {
	tests := []struct {
		name   string
		b      []byte
		domain int
		bind   bool
		want   string
		kind   sockaddrKind
	}{
		{"ipv4", sockaddr4(unix.AF_INET, [4]byte{127, 0, 0, 1}, 8080), unix.AF_INET, true, "127.0.0.1:8080", addrIP},
		{"AF_UNSPEC bind on ipv4 is AF_INET", sockaddr4(unix.AF_UNSPEC, [4]byte{}, 8080), unix.AF_INET, true, "0.0.0.0:8080", addrIP},
		{"AF_UNSPEC connect dissolves", sockaddr4(unix.AF_UNSPEC, [4]byte{}, 0), unix.AF_INET, false, "invalid AddrPort", addrUnspec},
		{"AF_UNSPEC bind on ipv6", sockaddr4(unix.AF_UNSPEC, [4]byte{}, 80), unix.AF_INET6, true, "invalid AddrPort", addrUnsupported},
		{"ipv6", sockaddr6(netip.MustParseAddr("::1"), 443), unix.AF_INET6, false, "[::1]:443", addrIP},
		{"v4-mapped is unmapped", sockaddr6(netip.MustParseAddr("::ffff:10.0.0.1"), 22), unix.AF_INET6, false, "10.0.0.1:22", addrIP},
		{"ipv4 address on a udp6 socket", sockaddr4(unix.AF_INET, [4]byte{1, 2, 3, 4}, 53), unix.AF_INET6, false, "1.2.3.4:53", addrIP},
		{"short ipv4", sockaddr4(unix.AF_INET, [4]byte{}, 1)[:6], unix.AF_INET, true, "invalid AddrPort", addrShort},
		{"short ipv6", sockaddr6(netip.IPv6Loopback(), 1)[:20], unix.AF_INET6, true, "invalid AddrPort", addrShort},
		{"unix family", sockaddr4(unix.AF_UNIX, [4]byte{}, 0), unix.AF_INET, false, "invalid AddrPort", addrUnsupported},
		{"empty", nil, unix.AF_INET, false, "invalid AddrPort", addrShort},
	}
	for _, tt := range tests {
		ap, kind := parseIPSockaddr(tt.b, tt.domain, tt.bind)
		if kind != tt.kind || ap.String() != tt.want {
			t.Errorf("%s: %v %v, want %v %v", tt.name, ap, kind, tt.want, tt.kind)
		}
	}
}

// FuzzParseIPSockaddr: never panics, and an IP result always comes from at
// least the bytes its family needs.
func FuzzParseIPSockaddr(f *testing.F) {
	f.Add(sockaddr4(unix.AF_INET, [4]byte{127, 0, 0, 1}, 8080), true)
	f.Add(sockaddr6(netip.MustParseAddr("::ffff:1.2.3.4"), 443), false)
	f.Add([]byte{0, 0}, false)
	f.Fuzz(func(t *testing.T, b []byte, bind bool) {
		for _, dom := range []int{unix.AF_INET, unix.AF_INET6} {
			ap, kind := parseIPSockaddr(b, dom, bind)
			if kind == addrIP && (!ap.IsValid() || len(b) < 8) {
				t.Fatalf("%x: %v from too few bytes", b, ap)
			}
		}
	})
}
