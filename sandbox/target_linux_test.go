//go:build linux && amd64

package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/sandbox/internal/i386probe"
)

// The test binary is its own target program: TestMain hands control to
// runTarget when envTarget is set, to RunShim for ShimArg, and to
// runSupervisorProcess for envSupervisor.
const (
	envTarget     = "SAFECLAW_SANDBOX_TEST_TARGET"
	envSupervisor = "SAFECLAW_SANDBOX_TEST_SUPERVISOR"
)

func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == ShimArg {
		os.Exit(RunShim())
	}
	if os.Getenv(envTarget) != "" {
		os.Exit(runTarget(os.Args[1:]))
	}
	if os.Getenv(envSupervisor) != "" {
		os.Exit(runSupervisorProcess(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// sendmmsgTwo sends two datagrams to 127.0.0.1:port with one sendmmsg and
// returns how many went, or the error's name.
func sendmmsgTwo(fd, port int) string {
	sa := unix.RawSockaddrInet4{Family: unix.AF_INET, Port: uint16(port>>8 | port<<8&0xff00), Addr: [4]byte{127, 0, 0, 1}}
	payload := []byte("sendmmsg")
	iov := unix.Iovec{Base: &payload[0], Len: uint64(len(payload))}
	type mmsghdr struct {
		hdr unix.Msghdr
		n   uint32
		_   [4]byte
	}
	var msgs [2]mmsghdr
	for i := range msgs {
		msgs[i].hdr.Name = (*byte)(unsafe.Pointer(&sa))
		msgs[i].hdr.Namelen = unix.SizeofSockaddrInet4
		msgs[i].hdr.Iov, msgs[i].hdr.Iovlen = &iov, 1
	}
	r, _, e := unix.Syscall6(unix.SYS_SENDMMSG, uintptr(fd), uintptr(unsafe.Pointer(&msgs[0])), 2, 0, 0, 0)
	if e != 0 {
		return unix.ErrnoName(e)
	}
	return fmt.Sprintf("%d(len %d,%d)", r, msgs[0].n, msgs[1].n)
}

// result prints the line the tests parse.
func result(format string, args ...any) int {
	fmt.Printf("RESULT "+format+"\n", args...)
	return 0
}

func errName(err error) string {
	if err == nil {
		return "ok"
	}
	var e syscall.Errno
	if errors.As(err, &e) {
		return unix.ErrnoName(e)
	}
	return err.Error()
}

func loopback(port int) *unix.SockaddrInet4 {
	return &unix.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}
}

// runTarget attempts one operation and prints its result.
func runTarget(args []string) int {
	if len(args) < 1 {
		return 2
	}
	op, rest := args[0], args[1:]
	arg := func(i int) string {
		if i < len(rest) {
			return rest[i]
		}
		return ""
	}
	port, _ := strconv.Atoi(arg(0))
	switch op {
	case "listen": // socket, bind 127.0.0.1:port, listen
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
		if err != nil {
			return result("socket=%s", errName(err))
		}
		if err := unix.Bind(fd, loopback(port)); err != nil {
			return result("bind=%s", errName(err))
		}
		return result("listen=%s", errName(unix.Listen(fd, 8)))
	case "autobind": // listen on an unbound socket
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
		if err != nil {
			return result("socket=%s", errName(err))
		}
		err = unix.Listen(fd, 8)
		sa, _ := unix.Getsockname(fd)
		p := 0
		if a, ok := sa.(*unix.SockaddrInet4); ok {
			p = a.Port
		}
		return result("listen=%s port=%d", errName(err), p)
	case "listen6": // IPv6 wildcard
		fd, err := unix.Socket(unix.AF_INET6, unix.SOCK_STREAM, 0)
		if err != nil {
			return result("socket=%s", errName(err))
		}
		if err := unix.Bind(fd, &unix.SockaddrInet6{Port: port}); err != nil {
			return result("bind=%s", errName(err))
		}
		return result("listen=%s", errName(unix.Listen(fd, 8)))
	case "mptcp":
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 262)
		if err != nil {
			return result("socket=%s", errName(err))
		}
		if err := unix.Bind(fd, loopback(port)); err != nil {
			return result("bind=%s", errName(err))
		}
		return result("listen=%s", errName(unix.Listen(fd, 8)))
	case "golisten": // Go's default net.Listen (MPTCP first since Go 1.24)
		l, err := net.Listen("tcp", "127.0.0.1:"+arg(0))
		if err != nil {
			if errors.Is(err, syscall.EACCES) {
				return result("listen=EACCES")
			}
			return result("listen=%v", err)
		}
		l.Close()
		return result("listen=ok")
	case "udpbind":
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
		if err != nil {
			return result("socket=%s", errName(err))
		}
		return result("bind=%s", errName(unix.Bind(fd, loopback(port))))
	case "i386":
		r := i386probe.Socket()
		if r < 0 {
			return result("socket=%s", unix.ErrnoName(syscall.Errno(-r)))
		}
		return result("socket=ok fd=%d", r)
	case "io_uring":
		var params [120]byte
		_, _, e := unix.Syscall(unix.SYS_IO_URING_SETUP, 4, uintptr(unsafe.Pointer(&params[0])), 0)
		return result("io_uring_setup=%s", errName(errnoErr(e)))
	case "raw":
		_, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW, unix.IPPROTO_ICMP)
		_, err2 := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM, 0)
		return result("raw=%s packet=%s", errName(err), errName(err2))
	case "ptrace":
		_, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_ATTACH, uintptr(os.Getppid()), 0, 0, 0, 0)
		return result("ptrace=%s", errName(errnoErr(e)))
	case "spawn": // run another target as a child and relay its output
		cmd := exec.Command("/proc/self/exe", rest...)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				return result("spawn=%s", errName(err))
			}
		}
		return 0
	case "threads": // the operation runs on a thread other than the leader
		runtime.LockOSThread() // keeps the leader away from the worker goroutine
		done := make(chan int)
		for i := 0; i < 4; i++ {
			go func() { runtime.LockOSThread(); time.Sleep(time.Second) }()
		}
		go func() {
			runtime.LockOSThread()
			if unix.Gettid() == os.Getpid() {
				result("thread=leader")
				done <- 1
				return
			}
			fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
			if err == nil {
				err = unix.Bind(fd, loopback(port))
			}
			if err == nil {
				err = unix.Listen(fd, 8)
			}
			result("thread=worker listen=%s", errName(err))
			done <- 0
		}()
		return <-done
	case "connect": // TCP connect to 127.0.0.1:port
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
		if err != nil {
			return result("socket=%s", errName(err))
		}
		return result("connect=%s", errName(unix.Connect(fd, loopback(port))))
	case "udpsend": // datagrams to 127.0.0.1:port without connect: sendto x3, sendmsg, sendmmsg of 2
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
		if err != nil {
			return result("socket=%s", errName(err))
		}
		var to []string
		for i := 0; i < 3; i++ {
			to = append(to, errName(unix.Sendto(fd, []byte("sendto"), 0, loopback(port))))
		}
		_, err = unix.SendmsgN(fd, []byte("sendmsg"), nil, loopback(port), 0)
		return result("sendto=%s sendmsg=%s sendmmsg=%s", strings.Join(to, ","), errName(err), sendmmsgTwo(fd, port))
	case "dial": // Go's net.Dial and a read of the greeting
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+arg(0), 5*time.Second)
		if err != nil {
			if errors.Is(err, syscall.EACCES) {
				return result("dial=EACCES")
			}
			return result("dial=%v", err)
		}
		b, _ := io.ReadAll(c)
		return result("dial=ok read=%q", string(b))
	case "tfo": // TCP Fast Open: connect without connect()
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
		if err != nil {
			return result("socket=%s", errName(err))
		}
		err = unix.Sendto(fd, []byte("x"), unix.MSG_FASTOPEN, loopback(port))
		fd2, _ := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
		err2 := unix.SetsockoptInt(fd2, unix.IPPROTO_TCP, unix.TCP_FASTOPEN_CONNECT, 1)
		return result("sendto=%s setsockopt=%s", errName(err), errName(err2))
	case "serve": // listen on port, accept one connection, greet it
		l, err := net.Listen("tcp", "127.0.0.1:"+arg(0))
		if err != nil {
			return result("listen=%v", err)
		}
		fmt.Println("READY")
		c, err := l.Accept()
		if err != nil {
			return result("accept=%v", err)
		}
		c.Write([]byte("hello from the sandbox"))
		c.Close()
		return result("served=ok")
	case "wait-listen": // for the supervisor-death test; reports through files
		file := arg(1)
		os.WriteFile(file+".ready", []byte(strconv.Itoa(os.Getpid())), 0o644)
		for i := 0; i < 1000; i++ {
			if _, err := os.Stat(file); err == nil {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		fd, _ := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
		lerr := unix.Listen(fd, 8)
		fd2, _ := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
		berr := unix.Bind(fd2, loopback(port))
		fd3, _ := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
		cerr := unix.Connect(fd3, loopback(port))
		os.WriteFile(file+".result", []byte(fmt.Sprintf("listen=%s bind=%s connect=%s", errName(lerr), errName(berr), errName(cerr))), 0o644)
		return 0
	case "spawn-detached": // start a child that outlives us, then wait to be killed
		cmd := exec.Command("/proc/self/exe", rest...)
		if err := cmd.Start(); err != nil {
			return 1
		}
		time.Sleep(time.Minute)
		return 0
	case "connect-loop": // n UDP connects to 127.0.0.1:port; prints ns per call
		n, _ := strconv.Atoi(arg(1))
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
		if err != nil {
			return result("socket=%s", errName(err))
		}
		sa := loopback(port)
		start := time.Now()
		for i := 0; i < n; i++ {
			if err := unix.Connect(fd, sa); err != nil {
				return result("connect=%s", errName(err))
			}
		}
		return result("ns=%d", time.Since(start).Nanoseconds()/int64(max(n, 1)))
	case "sendto-loop": // n UDP datagrams to 127.0.0.1:port without connect; prints ns per call
		n, _ := strconv.Atoi(arg(1))
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
		if err != nil {
			return result("socket=%s", errName(err))
		}
		sa := loopback(port)
		start := time.Now()
		for i := 0; i < n; i++ {
			if err := unix.Sendto(fd, []byte("x"), 0, sa); err != nil {
				return result("sendto=%s", errName(err))
			}
		}
		return result("ns=%d", time.Since(start).Nanoseconds()/int64(max(n, 1)))
	case "landlock": // restrict this thread as the stub does, then exec the rest
		runtime.LockOSThread()
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return result("nnp=%s", errName(err))
		}
		if _, err := restrictLandlock(); err != nil {
			return result("landlock=%s", errName(err))
		}
		err := syscall.Exec("/proc/self/exe", append([]string{"target"}, rest...), os.Environ())
		return result("exec=%s", errName(err))
	case "read":
		b, err := os.ReadFile(arg(0))
		return result("read=%s %q", errName(err), b)
	case "write":
		return result("write=%s", errName(os.WriteFile(arg(0), []byte("forged"), 0o644)))
	case "caps":
		st, _ := procStatus(os.Getpid(), "CapEff", "CapPrm", "CapBnd", "CapAmb", "NoNewPrivs")
		return result("eff=%s prm=%s bnd=%s amb=%s nnp=%s", st["CapEff"], st["CapPrm"], st["CapBnd"], st["CapAmb"], st["NoNewPrivs"])
	case "supervised":
		return result("supervised=%v", Supervised())
	case "signal-parent":
		return result("kill=%s", errName(unix.Kill(os.Getppid(), 0)))
	case "exec-loop": // n fork+exec of /bin/true; prints ns per run
		n, _ := strconv.Atoi(arg(0))
		start := time.Now()
		for i := 0; i < n; i++ {
			if err := exec.Command("/bin/true").Run(); err != nil {
				return result("exec=%v", err)
			}
		}
		return result("ns=%d", time.Since(start).Nanoseconds()/int64(max(n, 1)))
	case "exit":
		code, _ := strconv.Atoi(arg(0))
		return code
	}
	if code, ok := runEscapeTarget(op, rest); ok {
		return code
	}
	fmt.Fprintf(os.Stderr, "unknown target op %q\n", op)
	return 2
}

func errnoErr(e syscall.Errno) error {
	if e == 0 {
		return nil
	}
	return e
}

// runSupervisorProcess runs a sandbox in this process, so a test can kill
// the supervisor or run it as another user. envSupervisor=test uses the
// tests' policy (and shows the target's output); anything else allows all.
func runSupervisorProcess(args []string) int {
	decide := func(ctx context.Context, req *action.Request) (action.Decision, error) {
		return action.Decision{Effect: action.Allow, Rule: &action.RuleRef{Name: "allow all"}}, nil
	}
	var stdout io.Writer
	if os.Getenv(envSupervisor) == "test" {
		decide = policy(0, 0).decide
		stdout = os.Stdout
	}
	var hide []string
	if h := os.Getenv("SAFECLAW_TEST_HIDE"); h != "" {
		hide = []string{h}
	}
	self, _ := os.Executable()
	code, err := Run(context.Background(), Spec{
		Argv:   append([]string{self}, args...),
		Env:    []string{envTarget + "=1"},
		Stdout: stdout,
		Stderr: stdout,
		Decide: decide,
		Hide:   hide,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	return code
}

// recorder is the tests' policy and audit trail: a tiny first-match rule
// list over the request's facets, recording every request it decides.
type recorder struct {
	rules []testRule

	mu       sync.Mutex
	requests []recorded
	events   []Event
}

type recorded struct {
	req action.Request
	d   action.Decision
}

type testRule struct {
	name   string
	effect action.Effect
	match  func(p action.Part, a action.Action) bool
}

func (r *recorder) decide(ctx context.Context, req *action.Request) (action.Decision, error) {
	d := action.Decision{Effect: action.Deny, Part: -1, Reason: "default deny"}
	for i, p := range req.Parts {
		pd := action.Decision{Effect: action.Deny, Reason: "default deny"}
	rules:
		for _, rule := range r.rules {
			for _, f := range p.Facets {
				if rule.match(p, f) {
					pd = action.Decision{Effect: rule.effect, Reason: rule.name, Rule: &action.RuleRef{Name: rule.name, Reason: rule.name}}
					break rules
				}
			}
		}
		if d.Part < 0 || pd.Effect.Rank() > d.Effect.Rank() {
			d = pd
			d.Part = i
		}
	}
	r.mu.Lock()
	r.requests = append(r.requests, recorded{*req, d})
	r.mu.Unlock()
	return d, nil
}

func (r *recorder) event(e Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

// sawFacet returns the recorded decisions whose request has a facet of kind
// (and port, when port > 0).
func (r *recorder) sawFacet(kind action.Kind, port int) []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []recorded
	for _, rec := range r.requests {
		for _, p := range rec.req.Parts {
			for _, f := range p.Facets {
				if f.Kind == kind && (port == 0 || f.Port == port) {
					out = append(out, rec)
				}
			}
		}
	}
	return out
}

func (r *recorder) sawEvent(op string, layer Layer) []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Event
	for _, e := range r.events {
		if e.Op == op && (layer == "" || e.Layer == layer) {
			out = append(out, e)
		}
	}
	return out
}

func (r *recorder) dump() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	for _, e := range r.events {
		b.WriteString(e.String() + "\n")
	}
	return b.String()
}
