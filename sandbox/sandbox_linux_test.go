//go:build linux && amd64

package sandbox

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/safeclaw/safeclaw/action"
)

// requireKernel skips when the kernel lacks what run needs, except under
// CI=true, where the reference kernel must have it: CI must not go green
// having tested nothing.
func requireKernel(t testing.TB) {
	t.Helper()
	c := Probe()
	if c.SeccompNotify && c.PidfdGetfd && c.LandlockABI >= 4 {
		return
	}
	msg := fmt.Sprintf("kernel %s lacks what safeclaw run needs: notify=%v pidfd_getfd=%v landlock=%d", c.Kernel, c.SeccompNotify, c.PidfdGetfd, c.LandlockABI)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// greeter listens on 127.0.0.1 (a free port) and greets each connection.
func greeter(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("hello from the test"))
			c.Close()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port
}

// policy is the tests' rule list, in first-match order as in the brief's
// Step 6: a rule allowing a command comes before the listener guard.
func policy(allowListen, allowConnect int) *recorder {
	words := func(p action.Part) []string {
		var w []string
		for _, v := range p.Views {
			w = append(w, v.Words...)
		}
		return w
	}
	return &recorder{rules: []testRule{
		{"allowed tree", action.Allow, func(p action.Part, a action.Action) bool {
			return a.Kind == action.ShellExecute && slices.Contains(words(p), "allowed-tree")
		}},
		{"denied exec", action.Deny, func(p action.Part, a action.Action) bool {
			return a.Kind == action.ShellExecute && slices.Contains(words(p), "denied-exec")
		}},
		{"allowed listen port", action.Allow, func(p action.Part, a action.Action) bool {
			return a.Kind == action.NetworkListen && a.Port == allowListen
		}},
		{"Block listening sockets", action.Deny, func(p action.Part, a action.Action) bool { return a.Kind == action.NetworkListen }},
		{"Block port binding", action.Deny, func(p action.Part, a action.Action) bool { return a.Kind == action.NetworkBind }},
		{"allowed destination", action.Allow, func(p action.Part, a action.Action) bool {
			return a.Kind == action.NetworkConnect && a.Host == "127.0.0.1" && a.Port == allowConnect
		}},
		{"Block connections", action.Deny, func(p action.Part, a action.Action) bool { return a.Kind == action.NetworkConnect }},
	}}
}

type outcome struct {
	code int
	err  error
	out  string
}

// result returns the value of the target's RESULT line.
func (o outcome) result() string {
	for _, line := range strings.Split(o.out, "\n") {
		if v, ok := strings.CutPrefix(line, "RESULT "); ok {
			return v
		}
	}
	return ""
}

// sandboxed runs the test binary as a target under rec and returns what
// happened.
func sandboxed(t testing.TB, rec *recorder, mode Mode, args ...string) outcome {
	t.Helper()
	return sandboxedHosts(t, rec, mode, nil, args...)
}

// sandboxedHosts is sandboxed with a host table for connect rules.
func sandboxedHosts(t testing.TB, rec *recorder, mode Mode, hosts *HostTable, args ...string) outcome {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out bytes.Buffer
	code, err := Run(ctx, Spec{
		Argv:    append([]string{self}, args...),
		Env:     []string{envTarget + "=1"},
		Stdout:  &out,
		Stderr:  &out,
		Mode:    mode,
		Decide:  rec.decide,
		OnEvent: rec.event,
		Hosts:   hosts,
	})
	return outcome{code, err, out.String()}
}

// TestEvasion is the evasion suite: with a policy that denies
// network.listen except one port, every way of listening fails in the
// target and leaves a record (a decision, or a static-deny event).
func TestEvasion(t *testing.T) {
	requireKernel(t)
	allowed, denied := freePort(t), freePort(t)
	type want struct {
		result string
		facet  bool   // the DecideFunc saw a network.listen for the port and denied it
		event  string // op of a static-deny event
		code   int
	}
	tests := []struct {
		name string
		args []string
		want want
	}{
		{"plain listen", []string{"listen", strconv.Itoa(denied)}, want{result: "listen=EACCES", facet: true}},
		{"IPv6 wildcard listen", []string{"listen6", strconv.Itoa(denied)}, want{result: "listen=EACCES", facet: true}},
		{"MPTCP socket", []string{"mptcp", strconv.Itoa(denied)}, want{result: "socket=EPROTONOSUPPORT", event: "socket"}},
		{"Go net.Listen (MPTCP first, then TCP)", []string{"golisten", strconv.Itoa(denied)}, want{result: "listen=EACCES", facet: true, event: "socket"}},
		{"UDP bind", []string{"udpbind", strconv.Itoa(denied)}, want{result: "bind=EACCES", facet: true}},
		{"32-bit int 0x80", []string{"i386"}, want{event: "syscall", code: 128 + int(syscall.SIGKILL)}},
		{"io_uring", []string{"io_uring"}, want{result: "io_uring_setup=ENOSYS", event: "io_uring"}},
		{"raw and packet sockets", []string{"raw"}, want{result: "raw=EPERM packet=EAFNOSUPPORT", event: "socket"}},
		{"ptrace", []string{"ptrace"}, want{result: "ptrace=EPERM", event: "ptrace"}},
		{"child of a child", []string{"spawn", "spawn", "listen", strconv.Itoa(denied)}, want{result: "listen=EACCES", facet: true}},
		{"multithreaded target", []string{"threads", strconv.Itoa(denied)}, want{result: "thread=worker listen=EACCES", facet: true}},
		{"TCP Fast Open", []string{"tfo", strconv.Itoa(greeter(t))}, want{result: "sendto=ENOTSUP setsockopt=ENOTSUP", event: "sendto"}},
		{"allowed port", []string{"listen", strconv.Itoa(allowed)}, want{result: "listen=ok"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := policy(allowed, 0)
			o := sandboxed(t, rec, Require, tt.args...)
			if o.err != nil {
				t.Fatalf("Run: %v\n%s", o.err, o.out)
			}
			if o.code != tt.want.code {
				t.Errorf("exit status %d, want %d\n%s", o.code, tt.want.code, o.out)
			}
			if got := o.result(); got != tt.want.result {
				t.Errorf("target: %q, want %q\noutput:\n%s\nevents:\n%s", got, tt.want.result, o.out, rec.dump())
			}
			if tt.want.facet {
				saw := rec.sawFacet(action.NetworkListen, denied)
				if len(saw) == 0 || saw[len(saw)-1].d.Effect != action.Deny {
					t.Errorf("the policy did not see (and deny) network.listen on port %d; events:\n%s", denied, rec.dump())
				}
			}
			if tt.want.event != "" && len(rec.sawEvent(tt.want.event, LayerStatic)) == 0 {
				t.Errorf("no %s event from the static deny set; events:\n%s", tt.want.event, rec.dump())
			}
		})
	}
}

func TestAutobindListenIsDecidedOnItsPort(t *testing.T) {
	requireKernel(t)
	rec := policy(freePort(t), 0)
	o := sandboxed(t, rec, Require, "autobind")
	v := o.result()
	if !strings.HasPrefix(v, "listen=EACCES port=") {
		t.Fatalf("target: %q, want listen=EACCES on an autobound port\n%s", v, o.out)
	}
	port, _ := strconv.Atoi(strings.TrimPrefix(v, "listen=EACCES port="))
	if port == 0 {
		t.Fatalf("the socket was not bound before the decision: %q", v)
	}
	saw := rec.sawFacet(action.NetworkListen, port)
	if len(saw) != 1 || saw[0].d.Effect != action.Deny {
		t.Fatalf("want one denied network.listen on the autobound port %d, got %d; events:\n%s", port, len(saw), rec.dump())
	}
	if e := rec.sawEvent("listen", LayerEmulate); len(e) != 1 || !strings.Contains(e[0].Detail, "autobound") {
		t.Errorf("the event should say the port was autobound: %+v", e)
	}
}

// TestAllowedPortServes: an allowed listen is performed by the supervisor
// and serves a real connection from the test.
func TestAllowedPortServes(t *testing.T) {
	requireKernel(t)
	port := freePort(t)
	rec := policy(port, 0)
	self, _ := os.Executable()
	pr, pw := io.Pipe()
	ready := make(chan struct{})
	var mu sync.Mutex
	var lines []string
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			mu.Lock()
			lines = append(lines, sc.Text())
			mu.Unlock()
			if sc.Text() == "READY" {
				close(ready)
			}
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	done := make(chan int, 1)
	go func() {
		code, err := Run(ctx, Spec{Argv: []string{self, "serve", strconv.Itoa(port)}, Env: []string{envTarget + "=1"},
			Stdout: pw, Stderr: pw, Decide: rec.decide, OnEvent: rec.event})
		if err != nil {
			t.Error(err)
		}
		pw.Close()
		done <- code
	}()
	select {
	case <-ready:
	case <-time.After(15 * time.Second):
		t.Fatalf("the target did not start listening; events:\n%s", rec.dump())
	}
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(c)
	c.Close()
	if string(got) != "hello from the sandbox" {
		t.Errorf("read %q", got)
	}
	if code := <-done; code != 0 {
		t.Errorf("exit status %d", code)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Contains(lines, "RESULT served=ok") {
		t.Errorf("target output: %q", lines)
	}
	if saw := rec.sawFacet(action.NetworkListen, port); len(saw) == 0 || saw[0].d.Effect != action.Allow {
		t.Errorf("the allowed listen was not decided; events:\n%s", rec.dump())
	}
}

func TestConnectRules(t *testing.T) {
	requireKernel(t)
	allowed, other := greeter(t), greeter(t)
	rec := policy(0, allowed)
	o := sandboxed(t, rec, Require, "dial", strconv.Itoa(allowed))
	if got := o.result(); got != `dial=ok read="hello from the test"` {
		t.Errorf("allowed destination: %q (%d %v)\n%s", got, o.code, o.err, o.out)
	}
	o = sandboxed(t, rec, Require, "connect", strconv.Itoa(other))
	if got := o.result(); got != "connect=EACCES" {
		t.Errorf("reverse-shell style connect: %q (%d %v)\n%s", got, o.code, o.err, o.out)
	}
	saw := rec.sawFacet(action.NetworkConnect, other)
	if len(saw) != 1 || saw[0].d.Effect != action.Deny || saw[0].req.Parts[0].Facets[0].Host != "127.0.0.1" {
		t.Errorf("the denied connect was not decided on its address; events:\n%s", rec.dump())
	}
}

// udpSink counts the datagrams that reach a UDP socket on 127.0.0.1.
func udpSink(t testing.TB) (int, func() int) {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	var mu sync.Mutex
	n := 0
	go func() {
		buf := make([]byte, 2048)
		for {
			if _, _, err := c.ReadFrom(buf); err != nil {
				return
			}
			mu.Lock()
			n++
			mu.Unlock()
		}
	}()
	return c.LocalAddr().(*net.UDPAddr).Port, func() int {
		// Loopback delivery is synchronous with the send; allow the reader
		// goroutine to catch up.
		for i := 0; i < 100; i++ {
			mu.Lock()
			got := n
			mu.Unlock()
			if got >= 6 {
				return got
			}
			time.Sleep(10 * time.Millisecond)
		}
		mu.Lock()
		defer mu.Unlock()
		return n
	}
}

// TestUDPSendIsAConnect: datagrams to an address without connect() are
// decided as network.connect, once per socket and destination, and
// performed by the supervisor; a denied destination gets EACCES.
func TestUDPSendIsAConnect(t *testing.T) {
	requireKernel(t)
	allowed, received := udpSink(t)
	denied, receivedDenied := udpSink(t)
	rec := policy(0, allowed)
	o := sandboxed(t, rec, Require, "udpsend", strconv.Itoa(allowed))
	if got, want := o.result(), "sendto=ok,ok,ok sendmsg=ok sendmmsg=2(len 8,8)"; got != want {
		t.Errorf("allowed destination: %q, want %q\n%s", got, want, o.out)
	}
	if n := received(); n != 6 {
		t.Errorf("the allowed destination received %d datagrams, want 6", n)
	}
	if saw := rec.sawFacet(action.NetworkConnect, allowed); len(saw) != 1 || saw[0].d.Effect != action.Allow {
		t.Errorf("want one allowed decision for the socket and destination, got %d; events:\n%s", len(saw), rec.dump())
	}
	o = sandboxed(t, rec, Require, "udpsend", strconv.Itoa(denied))
	if got, want := o.result(), "sendto=EACCES,EACCES,EACCES sendmsg=EACCES sendmmsg=EACCES"; got != want {
		t.Errorf("denied destination: %q, want %q\n%s", got, want, o.out)
	}
	if saw := rec.sawFacet(action.NetworkConnect, denied); len(saw) != 1 || saw[0].d.Effect != action.Deny ||
		saw[0].req.Parts[0].Facets[0].Host != "127.0.0.1" {
		t.Errorf("want one denied decision on the address, got %d; events:\n%s", len(saw), rec.dump())
	}
	time.Sleep(50 * time.Millisecond)
	if n := receivedDenied(); n != 0 {
		t.Errorf("the denied destination received %d datagrams", n)
	}
}

// TestConnectRuleByHostName: a rule naming a host matches a connect to an
// address the name resolved to (through a fake resolver), and not another.
func TestConnectRuleByHostName(t *testing.T) {
	requireKernel(t)
	port := greeter(t)
	rec := &recorder{rules: []testRule{
		{"api by name", action.Allow, func(p action.Part, a action.Action) bool {
			return a.Kind == action.NetworkConnect && a.Host == "api.example.com"
		}},
		{"Block connections", action.Deny, func(p action.Part, a action.Action) bool { return a.Kind == action.NetworkConnect }},
	}}
	dns := &fakeDNS{answers: map[string][]string{"api.example.com": {"127.0.0.1"}}}
	hosts := NewHostTable([]string{"api.example.com"}, dns.lookup, nil)
	if err := hosts.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	o := sandboxedHosts(t, rec, Require, hosts, "dial", strconv.Itoa(port))
	if got := o.result(); got != `dial=ok read="hello from the test"` {
		t.Errorf("connect to the name's address: %q\n%s", got, o.out)
	}
	dns.set("api.example.com", "192.0.2.1")
	other := NewHostTable([]string{"api.example.com"}, dns.lookup, nil)
	o = sandboxedHosts(t, rec, Require, other, "connect", strconv.Itoa(port))
	if got := o.result(); got != "connect=EACCES" {
		t.Errorf("connect to an address the name does not resolve to: %q\n%s", got, o.out)
	}
}

// TestTreeContext: a listen in the subtree of an exec a rule allowed is
// decided as a facet of that exec's part (the brief's Step 6).
func TestTreeContext(t *testing.T) {
	requireKernel(t)
	port := freePort(t)
	rec := policy(0, 0)
	o := sandboxed(t, rec, Require, "spawn", "listen", strconv.Itoa(port), "allowed-tree")
	if got := o.result(); got != "listen=ok" {
		t.Fatalf("listen under an allowed command: %q\n%s\n%s", got, o.out, rec.dump())
	}
	saw := rec.sawFacet(action.NetworkListen, port)
	if len(saw) != 1 || saw[0].d.Rule == nil || saw[0].d.Rule.Name != "allowed tree" {
		t.Fatalf("want the listen decided by the command's rule; got %+v", saw)
	}
	if f := saw[0].req.Parts[0].Facets[0]; f.Kind != action.ShellExecute {
		t.Errorf("first facet %+v, want the exec's shell.execute", f)
	}
	o = sandboxed(t, rec, Require, "spawn", "listen", strconv.Itoa(port))
	if got := o.result(); got != "listen=EACCES" {
		t.Errorf("the same listen without the allowed command: %q", got)
	}
}

func TestExecDenyIsAppliedAndAdvisory(t *testing.T) {
	requireKernel(t)
	rec := policy(0, 0)
	o := sandboxed(t, rec, Require, "exit", "0", "denied-exec")
	if o.code != ExitCannotExec {
		t.Errorf("exit status %d, want %d\n%s", o.code, ExitCannotExec, o.out)
	}
	ev := rec.sawEvent("execve", LayerAdvisory)
	if len(ev) != 1 || ev[0].Effect != action.Deny || ev[0].Result != "EACCES" {
		t.Errorf("want one advisory exec denial; events:\n%s", rec.dump())
	}
	// No rule: the default does not apply at execve.
	o = sandboxed(t, rec, Require, "exit", "3")
	if o.code != 3 || o.err != nil {
		t.Errorf("exit status %d (%v), want the target's 3", o.code, o.err)
	}
}

func TestExitStatus(t *testing.T) {
	requireKernel(t)
	rec := policy(0, 0)
	ctx := context.Background()
	code, err := Run(ctx, Spec{Argv: []string{"/nonexistent/safeclaw-no-such-command"}, Decide: rec.decide})
	if code != ExitNotFound || err == nil {
		t.Errorf("missing command: %d, %v; want %d and an error", code, err, ExitNotFound)
	}
	if o := sandboxed(t, rec, Require, "exit", "42"); o.code != 42 || o.err != nil {
		t.Errorf("exit 42: %d, %v", o.code, o.err)
	}
}

func TestModeOffOnlyAudits(t *testing.T) {
	requireKernel(t)
	port := freePort(t)
	rec := policy(0, 0)
	o := sandboxed(t, rec, Off, "listen", strconv.Itoa(port))
	if got := o.result(); got != "listen=ok" {
		t.Errorf("mode off: %q\n%s", got, o.out)
	}
	if saw := rec.sawFacet(action.NetworkListen, port); len(saw) != 1 || saw[0].d.Effect != action.Deny {
		t.Errorf("mode off must still record the (deny) decision: %+v", saw)
	}
}

// TestSupervisorDeath: with the supervisor killed, the target tree can no
// longer listen, bind or connect (the kernel answers ENOSYS).
func TestSupervisorDeath(t *testing.T) {
	requireKernel(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "go")
	port := greeter(t)
	self, _ := os.Executable()
	sup := exec.Command(self, "spawn-detached", "wait-listen", strconv.Itoa(port), file)
	sup.Env = append(os.Environ(), envSupervisor+"=1")
	var out bytes.Buffer
	sup.Stdout, sup.Stderr = &out, &out
	if err := sup.Start(); err != nil {
		t.Fatal(err)
	}
	defer sup.Process.Kill()
	var pid int
	for i := 0; i < 1000 && pid == 0; i++ {
		if b, err := os.ReadFile(file + ".ready"); err == nil {
			pid, _ = strconv.Atoi(string(b))
		} else {
			time.Sleep(10 * time.Millisecond)
		}
	}
	if pid == 0 {
		t.Fatalf("the target did not start\n%s", out.String())
	}
	defer syscall.Kill(pid, syscall.SIGKILL)
	sup.Process.Kill()
	sup.Wait()
	os.WriteFile(file, nil, 0o644)
	var res []byte
	for i := 0; i < 1000; i++ {
		if b, err := os.ReadFile(file + ".result"); err == nil && len(b) > 0 {
			res = b
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if want := "listen=ENOSYS bind=ENOSYS connect=ENOSYS"; string(res) != want {
		t.Errorf("after the supervisor died: %q, want %q", res, want)
	}
}

// TestLandlockBackstop: the Landlock domain the stub applies denies every
// TCP bind and connect by the target itself (what is allowed is performed
// by the supervisor), and keeps signals inside the tree.
func TestLandlockBackstop(t *testing.T) {
	requireKernel(t)
	self, _ := os.Executable()
	port := greeter(t)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"listen", strconv.Itoa(freePort(t))}, "bind=EACCES"},
		{[]string{"connect", strconv.Itoa(port)}, "connect=EACCES"},
		{[]string{"mptcp", strconv.Itoa(freePort(t))}, "listen=ok"}, // why the static set denies MPTCP
	}
	if Probe().LandlockABI >= 6 {
		tests = append(tests, struct {
			args []string
			want string
		}{[]string{"signal-parent"}, "kill=EPERM"})
	}
	for _, tt := range tests {
		cmd := exec.Command(self, append([]string{"landlock"}, tt.args...)...)
		cmd.Env = []string{envTarget + "=1"}
		out, _ := cmd.CombinedOutput()
		if got := (outcome{out: string(out)}).result(); got != tt.want {
			t.Errorf("%v under Landlock alone: %q, want %q", tt.args, got, tt.want)
		}
	}
}

func TestReportRequireRefusesWithoutNotify(t *testing.T) {
	c := Capabilities{OS: "linux", Arch: "amd64", Implemented: true, LandlockABI: 7}
	r := Explain(c, Require, false)
	if len(r.Missing()) == 0 {
		t.Fatal("a kernel without seccomp notify must be refused under require")
	}
	var b strings.Builder
	r.Write(&b)
	if !strings.Contains(b.String(), "NOT ENFORCED: seccomp user notification is unavailable") {
		t.Errorf("report:\n%s", b.String())
	}
	c.SeccompNotify, c.PidfdGetfd = true, true
	if m := Explain(c, Require, false).Missing(); len(m) != 0 {
		t.Errorf("full kernel: missing %+v", m)
	}
	if m := Explain(Capabilities{OS: "darwin", Arch: "arm64"}, BestEffort, false).Missing(); len(m) == 0 {
		t.Error("an unimplemented platform must report the network rules as not enforced")
	}
}

// TestRealPrograms runs real servers and clients under the sandbox: all
// blocked. A program that is absent is skipped, except under CI=true.
func TestRealPrograms(t *testing.T) {
	requireKernel(t)
	listenPort, connectPort := freePort(t), greeter(t)
	lp, cp := strconv.Itoa(listenPort), strconv.Itoa(connectPort)
	tests := []struct {
		name string
		argv []string
		kind action.Kind
		port int
		want string // in the program's output
	}{
		{"python3 -m http.server", []string{"python3", "-m", "http.server", "--bind", "127.0.0.1", lp}, action.NetworkListen, listenPort, "Permission denied"},
		{"python3 -c listen", []string{"python3", "-c", "import socket; s = socket.socket(); s.bind(('127.0.0.1', " + lp + ")); s.listen()"}, action.NetworkListen, listenPort, "PermissionError"},
		{"python3 -c connect", []string{"python3", "-c", "import socket; socket.create_connection(('127.0.0.1', " + cp + "))"}, action.NetworkConnect, connectPort, "PermissionError"},
		{"python3 -c udp sendto", []string{"python3", "-c", "import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', ('127.0.0.1', " + cp + "))"}, action.NetworkConnect, connectPort, "PermissionError"},
		{"bash /dev/udp", []string{"bash", "-c", "echo x > /dev/udp/127.0.0.1/" + cp + " && echo sent"}, action.NetworkConnect, connectPort, "Permission denied"},
		{"bash /dev/tcp", []string{"bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/" + cp + " && echo connected"}, action.NetworkConnect, connectPort, "Permission denied"},
		{"node -e listen", []string{"node", "-e", "require('net').createServer().listen(" + lp + ", '127.0.0.1', () => console.log('listening'))"}, action.NetworkListen, listenPort, "EACCES"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := exec.LookPath(tt.argv[0]); err != nil {
				if os.Getenv("CI") == "true" {
					t.Fatalf("%s is required under CI=true: %v", tt.argv[0], err)
				}
				t.Skipf("%s not installed", tt.argv[0])
			}
			rec := policy(0, 0)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			var out bytes.Buffer
			code, err := Run(ctx, Spec{Argv: tt.argv, Env: os.Environ(), Dir: t.TempDir(), Stdout: &out, Stderr: &out,
				Decide: rec.decide, OnEvent: rec.event})
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if code == 0 || !strings.Contains(out.String(), tt.want) {
				t.Errorf("exit status %d, output:\n%s\nwant a failure mentioning %q; events:\n%s", code, out.String(), tt.want, rec.dump())
			}
			if saw := rec.sawFacet(tt.kind, tt.port); len(saw) == 0 || saw[0].d.Effect != action.Deny {
				t.Errorf("no denied %s on port %d was recorded; events:\n%s", tt.kind, tt.port, rec.dump())
			}
		})
	}
}

const noCaps = "eff=0000000000000000 prm=0000000000000000 bnd=0000000000000000 amb=0000000000000000 nnp=1"

// TestCapabilitiesDropped: a target started by root keeps no capability.
func TestCapabilitiesDropped(t *testing.T) {
	requireKernel(t)
	if o := sandboxed(t, policy(0, 0), Require, "caps"); o.result() != noCaps {
		t.Errorf("target capabilities: %q, want %q", o.result(), noCaps)
	}
}

func TestSupervised(t *testing.T) {
	requireKernel(t)
	if Supervised() {
		t.Fatal("the test process is not under a listener")
	}
	rec := policy(0, 0)
	if o := sandboxed(t, rec, Require, "supervised"); o.result() != "supervised=true" {
		t.Errorf("inside a run: %q", o.out)
	}
}

// TestSelfProtection: hidden directories are empty and read-only for the
// target, read-only files cannot be changed, the rest is untouched.
func TestSelfProtection(t *testing.T) {
	requireKernel(t)
	if !Probe().MountNamespace {
		if os.Getenv("CI") == "true" {
			t.Fatal("no private mount namespace under CI=true")
		}
		t.Skip("no private mount namespace here")
	}
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	os.MkdirAll(state, 0o700)
	secret := filepath.Join(state, "key")
	os.WriteFile(secret, []byte("secret"), 0o600)
	settings := filepath.Join(dir, "settings.json")
	os.WriteFile(settings, []byte("{}"), 0o644)
	free := filepath.Join(dir, "scratch")
	self, _ := os.Executable()
	rec := policy(0, 0)
	run := func(args ...string) string {
		var out bytes.Buffer
		_, err := Run(context.Background(), Spec{Argv: append([]string{self}, args...), Env: []string{envTarget + "=1"},
			Stdout: &out, Stderr: &out, Decide: rec.decide, OnEvent: rec.event, Hide: []string{state}, ReadOnly: []string{settings}})
		if err != nil {
			t.Fatal(err)
		}
		return (outcome{out: out.String()}).result()
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"read", secret}, `read=EACCES ""`},
		{[]string{"write", filepath.Join(state, "forged")}, "write=EACCES"},
		{[]string{"read", settings}, `read=ok "{}"`},
		{[]string{"write", settings}, "write=EROFS"},
		{[]string{"write", free}, "write=ok"},
	} {
		if got := run(tt.args...); got != tt.want {
			t.Errorf("%v: %q, want %q", tt.args, got, tt.want)
		}
	}
	if b, _ := os.ReadFile(secret); string(b) != "secret" {
		t.Error("the hidden file changed outside")
	}
}

// TestUnprivileged runs the supervisor as an unprivileged user (uid 65534):
// the sandbox, Landlock and the mount namespace (in a user namespace) work
// without root.
func TestUnprivileged(t *testing.T) {
	requireKernel(t)
	if os.Geteuid() != 0 {
		t.Skip("needs root to switch to an unprivileged user")
	}
	dir := t.TempDir()
	os.Chmod(filepath.Dir(dir), 0o755)
	os.Chmod(dir, 0o755)
	self, _ := os.Executable()
	bin := filepath.Join(dir, "sandbox.test")
	data, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	hidden := filepath.Join(dir, "hidden")
	os.Mkdir(hidden, 0o777)
	os.WriteFile(filepath.Join(hidden, "key"), []byte("k"), 0o644)
	port := freePort(t)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"listen", strconv.Itoa(port)}, "listen=EACCES"},
		{[]string{"threads", strconv.Itoa(port)}, "thread=worker listen=EACCES"},
		{[]string{"read", filepath.Join(hidden, "key")}, `read=EACCES ""`},
		{[]string{"caps"}, noCaps},
	} {
		cmd := exec.Command(bin, tt.args...)
		cmd.Env = []string{envSupervisor + "=test", "SAFECLAW_TEST_HIDE=" + hidden}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		out, err := cmd.CombinedOutput()
		if got := (outcome{out: string(out)}).result(); got != tt.want {
			t.Errorf("%v as uid 65534: %q, want %q (%v)\n%s", tt.args, got, tt.want, err, out)
		}
	}
}

// TestAskHoldsTheCall: an ask holds the listen while the AskFunc decides;
// approval performs it, refusal and timeout deny it.
func TestAskHoldsTheCall(t *testing.T) {
	requireKernel(t)
	self, _ := os.Executable()
	port := freePort(t)
	askAll := func(ctx context.Context, req *action.Request) (action.Decision, error) {
		if len(req.Parts) > 0 && req.Parts[0].Facets[0].Kind == action.ShellExecute {
			return action.Decision{Effect: action.Allow}, nil // no rule: exec proceeds
		}
		return action.Decision{Effect: action.Ask, Reason: "a person decides", Timeout: 300 * time.Millisecond,
			Rule: &action.RuleRef{Name: "ask"}}, nil
	}
	for _, tt := range []struct {
		name string
		ask  AskFunc
		want string
	}{
		{"approved after a wait", func(ctx context.Context, req *action.Request, d action.Decision) (action.Effect, error) {
			time.Sleep(100 * time.Millisecond)
			return action.Allow, nil
		}, "listen=ok"},
		{"refused", func(ctx context.Context, req *action.Request, d action.Decision) (action.Effect, error) {
			return action.Deny, nil
		}, "listen=EACCES"},
		{"timed out", func(ctx context.Context, req *action.Request, d action.Decision) (action.Effect, error) {
			<-ctx.Done()
			return action.Deny, ctx.Err()
		}, "listen=EACCES"},
		{"no approval channel", nil, "listen=EACCES"},
	} {
		var out bytes.Buffer
		start := time.Now()
		_, err := Run(context.Background(), Spec{Argv: []string{self, "listen", strconv.Itoa(port)}, Env: []string{envTarget + "=1"},
			Stdout: &out, Stderr: &out, Decide: askAll, Ask: tt.ask})
		if err != nil {
			t.Fatal(err)
		}
		if got := (outcome{out: out.String()}).result(); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
		t.Logf("%s: %v", tt.name, time.Since(start))
	}
}
