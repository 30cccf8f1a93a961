//go:build linux && amd64

package sandbox

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/safeclaw/safeclaw/action"
)

// Adversarial tests: each runs one escape attempt (escape_target_linux_test.go)
// under a run and checks that it is refused, and where it can be observed,
// that nothing arrived.

// captureTo records IP packets on lo addressed to dst that carry marker.
// It skips the observation (returns nil) when packet sockets are unavailable.
func captureTo(t *testing.T, dst netip.Addr, marker string) func() int {
	t.Helper()
	ethType, off := uint16(unix.ETH_P_IP), 16 // IPv4 destination address
	if dst.Is6() {
		ethType, off = unix.ETH_P_IPV6, 24
	}
	want := dst.AsSlice()
	proto := int(htons(ethType))
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, proto)
	if err != nil {
		t.Logf("no packet capture (%v): the test checks the errors only", err)
		return nil
	}
	lo, err := net.InterfaceByName("lo")
	if err == nil {
		err = unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(ethType), Ifindex: lo.Index})
	}
	if err == nil {
		err = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Usec: 50_000})
	}
	if err != nil {
		unix.Close(fd)
		t.Logf("no packet capture (%v): the test checks the errors only", err)
		return nil
	}
	var mu sync.Mutex
	seen := 0
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		buf := make([]byte, 65536)
		for {
			select {
			case <-done:
				return
			default:
			}
			n, _, err := unix.Recvfrom(fd, buf, 0)
			if err != nil || n < off+len(want) {
				continue
			}
			if bytes.Equal(buf[off:off+len(want)], want) && bytes.Contains(buf[:n], []byte(marker)) {
				mu.Lock()
				seen++
				mu.Unlock()
			}
		}
	}()
	var once sync.Once
	stop := func() int {
		once.Do(func() {
			time.Sleep(100 * time.Millisecond) // let the capture read what loopback delivered
			close(done)
			<-stopped
			unix.Close(fd)
		})
		mu.Lock()
		defer mu.Unlock()
		return seen
	}
	t.Cleanup(func() { stop() })
	return stop
}

func htons(v uint16) uint16 { return v>>8 | v<<8 }

// TestEscapeSourceRoute: an IPv4 source route sends a datagram "to" an
// allowed address by way of another host first: 127.0.0.2 here, which no
// rule allows. The kernel wants CAP_NET_RAW for it, which the target lacks
// (IP_OPTIONS fails by itself); as an IP_RETOPTS control message of a UDP
// sendmsg it reached the supervisor, which sent it with its own privileges.
func TestEscapeSourceRoute(t *testing.T) {
	requireKernel(t)
	allowed, _ := udpSink(t)
	rec := policy(0, allowed)
	for _, tc := range []struct{ op, want string }{
		{"srr-setsockopt", "setsockopt=EPERM connect=ok write=ok"},
		{"srr-cmsg", "sendmsg=EPERM"},
	} {
		t.Run(tc.op, func(t *testing.T) {
			seen := captureTo(t, netip.MustParseAddr("127.0.0.2"), srrMarker)
			o := sandboxed(t, rec, Require, tc.op, strconv.Itoa(allowed))
			if got := o.result(); got != tc.want {
				t.Errorf("got %q, want %q\n%s", got, tc.want, o.out)
			}
			if seen != nil {
				if n := seen(); n > 0 {
					t.Errorf("%d packets went to 127.0.0.2, a destination no rule allows", n)
				}
			}
		})
	}
	if ev := rec.sawEvent("sendmsg", LayerStatic); len(ev) != 1 || ev[0].Result != "EPERM" {
		t.Errorf("want one static-deny event for the IP_RETOPTS control message; events:\n%s", rec.dump())
	}
}

// TestEscapeIPv6RoutingHeader: an IPv6 routing header (segment routing,
// allowed without privileges) makes its first segment the first hop: a
// datagram "to" an allowed address goes to ::1, which no rule allows.
func TestEscapeIPv6RoutingHeader(t *testing.T) {
	requireKernel(t)
	port := freePort(t)
	rec := &recorder{rules: []testRule{
		{"allowed destination", action.Allow, func(p action.Part, a action.Action) bool {
			return a.Kind == action.NetworkConnect && a.Host == "2001:db8::1" && a.Port == port
		}},
		{"Block connections", action.Deny, func(p action.Part, a action.Action) bool { return a.Kind == action.NetworkConnect }},
	}}
	o := sandboxed(t, rec, Require, "rthdr6")
	if got, want := o.result(), "rthdr=EPERM pktoptions=EPERM"; got != want {
		t.Errorf("got %q, want %q\n%s", got, want, o.out)
	}
	seen := captureTo(t, netip.MustParseAddr("::1"), srrMarker)
	o = sandboxed(t, rec, Require, "rthdr6-send", strconv.Itoa(port))
	if got := o.result(); !strings.HasPrefix(got, "setsockopt=EPERM ") {
		t.Errorf("got %q, want setsockopt=EPERM\n%s", got, o.out)
	}
	if seen != nil {
		if n := seen(); n > 0 {
			t.Errorf("%d packets went to ::1, a destination no rule allows", n)
		}
	}
	if ev := rec.sawEvent("setsockopt", LayerStatic); len(ev) == 0 {
		t.Errorf("no static-deny event for IPV6_RTHDR; events:\n%s", rec.dump())
	}
}

// TestEscapeFlowLabelOptions: a flow label created with options attaches
// them to every packet sent with the label; a routing header among them
// (type 2, on kernels with Mobile IPv6) makes its address the first hop,
// as IPV6_RTHDR would. Creating one with options is refused; a plain flow
// label still works.
func TestEscapeFlowLabelOptions(t *testing.T) {
	requireKernel(t)
	rec := policy(0, 0)
	o := sandboxed(t, rec, Require, "flowlabel-opts")
	if got, want := o.result(), "options=EPERM plain=ok"; got != want {
		t.Errorf("got %q, want %q\n%s", got, want, o.out)
	}
	if ev := rec.sawEvent("setsockopt", LayerStatic); len(ev) != 1 || !strings.Contains(ev[0].Detail, "flow label") {
		t.Errorf("want one static-deny event for the flow label; events:\n%s", rec.dump())
	}
}

// TestEscapeNetlinkGroupPrivilege: the supervisor binds netlink sockets
// itself, and joining some multicast groups is checked against the
// caller's capabilities: the audit log's group (CAP_AUDIT_READ) must stay
// closed to a target that lacks them, although a root supervisor has them.
func TestEscapeNetlinkGroupPrivilege(t *testing.T) {
	requireKernel(t)
	if os.Geteuid() != 0 {
		t.Skip("needs root: an unprivileged supervisor has no capability to lend")
	}
	o := sandboxed(t, policy(0, 0), Require, "nlgroups")
	if got, want := o.result(), "audit=EPERM route=ok plain=ok"; got != want {
		t.Errorf("got %q, want %q (exit %d, %v)\n%s", got, want, o.code, o.err, o.out)
	}
}

// TestBindThenReuseIsNoSwap: a bind decided in the target, then the
// socket closed and another (unbound) opened on the same number at once,
// is ordinary: the process is not taken for one that swapped descriptors.
func TestBindThenReuseIsNoSwap(t *testing.T) {
	requireKernel(t)
	o := sandboxed(t, policy(0, 0), Require, "nlgroups-loop")
	if got, want := o.result(), "loop=ok"; got != want {
		t.Errorf("got %q, want %q (exit %d, %v)\n%s", got, want, o.code, o.err, o.out)
	}
}

// TestEscapeControlMessagePrivilege: the supervisor sends allowed UDP
// datagrams itself, with its own privileges; a control message needing a
// capability the target lacks (SO_MARK) must not borrow them.
func TestEscapeControlMessagePrivilege(t *testing.T) {
	requireKernel(t)
	allowed, _ := udpSink(t)
	o := sandboxed(t, policy(0, allowed), Require, "somark", strconv.Itoa(allowed))
	if got, want := o.result(), "setsockopt=EPERM sendmsg=EPERM"; got != want {
		t.Errorf("got %q, want %q\n%s", got, want, o.out)
	}
}

// TestEscapeUnspecifiedDestination: a connect or datagram to 0.0.0.0 (or
// the v4-mapped ::ffff:0.0.0.0) reaches loopback; a policy denying
// loopback must see it as loopback.
func TestEscapeUnspecifiedDestination(t *testing.T) {
	requireKernel(t)
	isLoopback := func(h string) bool {
		a, err := netip.ParseAddr(h)
		return err == nil && a.IsLoopback()
	}
	rec := &recorder{rules: []testRule{
		{"Block local services", action.Deny, func(p action.Part, a action.Action) bool {
			return a.Kind == action.NetworkConnect && isLoopback(a.Host)
		}},
		{"The internet", action.Allow, func(p action.Part, a action.Action) bool { return a.Kind == action.NetworkConnect }},
	}}
	port := greeter(t)
	for _, op := range []string{"connect-any", "connect-any6"} {
		o := sandboxed(t, rec, Require, op, strconv.Itoa(port))
		if got := o.result(); got != "connect=EACCES" {
			t.Errorf("%s: got %q, want connect=EACCES\n%s", op, got, o.out)
		}
	}
	sink, received := udpSink(t)
	o := sandboxed(t, rec, Require, "sendto-any", strconv.Itoa(sink))
	if got := o.result(); got != "sendto=EACCES" {
		t.Errorf("sendto-any: got %q, want sendto=EACCES\n%s", got, o.out)
	}
	time.Sleep(50 * time.Millisecond)
	if n := received(); n != 0 {
		t.Errorf("the loopback sink received %d datagrams", n)
	}
	for _, r := range rec.sawFacet(action.NetworkConnect, 0) {
		if f := r.req.Parts[0].Facets[0]; f.Host != "127.0.0.1" {
			t.Errorf("decided on %s, want the loopback address the kernel uses", f.Host)
		}
	}
}

// privilegedFreePort returns a free port below 1024 on 127.0.0.1 (needs root).
func privilegedFreePort(t *testing.T) int {
	t.Helper()
	for p := 1023; p > 900; p-- {
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err == nil {
			l.Close()
			return p
		}
	}
	t.Skip("no free port below 1024 (not root?)")
	return 0
}

// usernsBindC unshares a user namespace (which gives the caller every
// capability over it, with no id mapping needed) and binds a TCP port in
// the network namespace it came from. It must be single-threaded, hence C.
const usernsBindC = `#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

static const char *name(int e) {
	switch (e) {
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case EADDRINUSE: return "EADDRINUSE";
	}
	return "other";
}

int main(int argc, char **argv) {
	if (argc < 2) return 2;
	if (unshare(CLONE_NEWUSER) != 0) {
		printf("RESULT unshare=%s\n", name(errno));
		return 0;
	}
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {0};
	sa.sin_family = AF_INET;
	sa.sin_port = htons(atoi(argv[1]));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int r = bind(fd, (struct sockaddr *)&sa, sizeof sa);
	printf("RESULT bind=%s\n", r == 0 ? "ok" : name(errno));
	return 0;
}
`

// compileC builds a C program into a temporary directory, or skips.
func compileC(t *testing.T, src string) string {
	t.Helper()
	cc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("no gcc to build the C helper")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "helper.c"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "helper")
	if out, err := exec.Command(cc, "-O1", "-o", bin, filepath.Join(dir, "helper.c")).CombinedOutput(); err != nil {
		t.Skipf("gcc failed: %v\n%s", err, out)
	}
	return bin
}

// TestEscapeUserNamespacePrivilegedPort: in a new user namespace a process
// holds every capability, but only over that namespace; binding a port
// below 1024 in the run's network namespace must still fail, although the
// supervisor performing the bind could do it.
func TestEscapeUserNamespacePrivilegedPort(t *testing.T) {
	requireKernel(t)
	if os.Geteuid() != 0 {
		t.Skip("needs root: an unprivileged supervisor cannot bind the port either")
	}
	bin := compileC(t, usernsBindC)
	port := privilegedFreePort(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rec := policy(0, 0)
	var out bytes.Buffer
	code, err := Run(ctx, Spec{Argv: []string{bin, strconv.Itoa(port)}, Stdout: &out, Stderr: &out, Mode: Require,
		Decide: rec.decide, OnEvent: rec.event})
	o := outcome{code, err, out.String()}
	got := o.result()
	if strings.HasPrefix(got, "unshare=") {
		t.Skipf("no user namespace in the run: %s", got)
	}
	if got != "bind=EACCES" {
		t.Errorf("got %q, want bind=EACCES\n%s", got, o.out)
	}
}

// TestEscapeTIOCSTI: TIOCSTI pushes input into the terminal; whatever the
// target types there runs in the user's shell after the run, outside it.
func TestEscapeTIOCSTI(t *testing.T) {
	requireKernel(t)
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer master.Close()
	if err := unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Skipf("unlock pty: %v", err)
	}
	n, err := unix.IoctlGetInt(int(master.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Skipf("pty number: %v", err)
	}
	rec := policy(0, 0)
	o := sandboxed(t, rec, Require, "tiocsti", fmt.Sprintf("/dev/pts/%d", n))
	if got := o.result(); got != "tiocsti=EPERM" && got != "tiocsti=EIO" {
		t.Errorf("got %q, want tiocsti=EPERM (EIO: the kernel refuses TIOCSTI itself)\n%s", got, o.out)
	}
	if ev := rec.sawEvent("ioctl", LayerStatic); len(ev) != 1 || ev[0].Result != "EPERM" {
		t.Errorf("want one static-deny event for TIOCSTI; events:\n%s", rec.dump())
	}
}

// TestEscapeInheritedSocket: an IP socket safeclaw inherited from its own
// parent (a listener here) must not reach the target, whose accept() is
// not decided.
func TestEscapeInheritedSocket(t *testing.T) {
	requireKernel(t)
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0) // no CLOEXEC: inherited by children
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, loopback(0)); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(fd, 1); err != nil {
		t.Fatal(err)
	}
	rec := policy(0, 0)
	o := sandboxed(t, rec, Require, "inherited", strconv.Itoa(fd))
	if got := o.result(); got != "inherited=EBADF" {
		t.Errorf("got %q, want inherited=EBADF\n%s", got, o.out)
	}
	warned := false
	for _, e := range rec.sawEvent("sandbox", "") {
		warned = warned || strings.Contains(e.Detail, fmt.Sprintf("closed inherited descriptor %d ", fd))
	}
	if !warned {
		t.Errorf("no warning about the closed descriptor; events:\n%s", rec.dump())
	}
}

// TestEscapeInheritedRawDescriptors: other network descriptors safeclaw
// inherited go too: a packet socket (raw frames to any host), a vsock
// socket, a TUN device (its write() puts IP packets on the host's
// network). A unix socket stays.
func TestEscapeInheritedRawDescriptors(t *testing.T) {
	requireKernel(t)
	noCloexec := func(fd int, err error) (int, error) {
		if err == nil {
			_, err = unix.FcntlInt(uintptr(fd), unix.F_SETFD, 0)
		}
		return fd, err
	}
	tests := []struct {
		name string
		open func() (int, error)
		want string
	}{
		{"packet socket", func() (int, error) {
			return noCloexec(unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM, int(htons(unix.ETH_P_IP))))
		}, "inherited=EBADF"},
		{"vsock socket", func() (int, error) { return noCloexec(unix.Socket(unix.AF_VSOCK, unix.SOCK_STREAM, 0)) }, "inherited=EBADF"},
		{"TUN device", func() (int, error) { return noCloexec(unix.Open("/dev/net/tun", unix.O_RDWR, 0)) }, "inherited=EBADF"},
		{"unix socket", func() (int, error) { return noCloexec(unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)) }, "inherited=domain1 listening=0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fd, err := tt.open()
			if err != nil {
				t.Skipf("cannot open one here: %v", err)
			}
			defer unix.Close(fd)
			o := sandboxed(t, policy(0, 0), Require, "inherited", strconv.Itoa(fd))
			if got := o.result(); got != tt.want {
				t.Errorf("got %q, want %q\n%s", got, tt.want, o.out)
			}
		})
	}
}

// TestEscapeReplaceSafeclaw: the agents' hooks run safeclaw's program by
// its path after the run. The target owns it when safeclaw runs as root
// (or from the user's own ~/.local/bin), so without protection it could
// rename another program over it and disable every later check. The test
// renames an identical copy, so a failure changes nothing.
func TestEscapeReplaceSafeclaw(t *testing.T) {
	requireKernel(t)
	o := sandboxed(t, policy(0, 0), Require, "replace-exe")
	got := o.result()
	if strings.HasPrefix(got, "copy=") || strings.Contains(got, "copy=") {
		t.Skipf("cannot copy the test binary next to itself: %s", got)
	}
	if got != "chmod=EROFS rename=EBUSY" {
		t.Errorf("got %q, want chmod=EROFS rename=EBUSY\n%s", got, o.out)
	}
}

// TestEscapeRawDisk: uid 0 without capabilities still passes the
// permission check of /dev/sda and its kin, and the disk's blocks hold the
// files the mount namespace hides (the audit trail, its keys). Outside the
// run the test process opens some; inside, none may open.
func TestEscapeRawDisk(t *testing.T) {
	requireKernel(t)
	if os.Geteuid() != 0 {
		t.Skip("only a root target passes the permission check of disks")
	}
	openable := false
	ents, _ := os.ReadDir("/dev")
	for _, e := range ents {
		if e.Type()&os.ModeDevice != 0 && e.Type()&os.ModeCharDevice == 0 {
			if fd, err := unix.Open("/dev/"+e.Name(), unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0); err == nil {
				unix.Close(fd)
				openable = true
				break
			}
		}
	}
	if !openable {
		t.Skip("no block device opens here, even outside a run")
	}
	o := sandboxed(t, policy(0, 0), Require, "raw-disk")
	got := o.result()
	if !strings.HasPrefix(got, "block=") || !strings.HasSuffix(got, "opened=[]") {
		t.Errorf("a block device opened in the run: %q\n%s", got, o.out)
	}
}

// TestEscapeKernelSettings: a target running as root keeps uid 0 without
// capabilities, which is enough to write kernel.core_pattern (a program
// the kernel runs as root, outside the run, at the next crash) and
// /proc/sysrq-trigger. The test only opens them for writing.
func TestEscapeKernelSettings(t *testing.T) {
	requireKernel(t)
	if os.Geteuid() != 0 {
		t.Skip("only a root target can write kernel settings")
	}
	o := sandboxed(t, policy(0, 0), Require, "knobs")
	// ENOENT: a kernel without magic SysRq.
	if got := o.result(); got != "core_pattern=EROFS sysrq=EROFS" && got != "core_pattern=EROFS sysrq=ENOENT" {
		t.Errorf("got %q, want core_pattern=EROFS sysrq=EROFS\n%s", got, o.out)
	}
}

// TestEscapeSysfs: a root target passes the permission checks of most of
// /sys and of the file systems below it: /sys/power/state suspends the
// machine, a cgroup's cgroup.procs moves any process (the supervisor into
// a cgroup that is then frozen or killed). They stay readable.
func TestEscapeSysfs(t *testing.T) {
	requireKernel(t)
	if os.Geteuid() != 0 {
		t.Skip("only a root target can write /sys")
	}
	o := sandboxed(t, policy(0, 0), Require, "sysfs")
	got := o.result()
	if got == "cgroup=none" {
		t.Skip("no cgroup file system under /sys/fs/cgroup")
	}
	// ENOENT: a kernel without suspend support.
	if got != "power=EROFS cgroup=EROFS read=ok" && got != "power=ENOENT cgroup=EROFS read=ok" {
		t.Errorf("got %q, want power=EROFS cgroup=EROFS read=ok\n%s", got, o.out)
	}
}

// sysfsRemountC tries to undo the read-only /sys from a new user, mount
// and network namespace (owning a network namespace allows a sysfs
// mount): remount it writable, unmount the cgroup file systems, mount a
// fresh sysfs.
const sysfsRemountC = `#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/mount.h>

/* argv[1]: an empty directory; argv[2]: a file under /sys to open for writing (never written). */

static const char *res(int r) {
	if (r >= 0) return "ok";
	switch (errno) {
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case EINVAL: return "EINVAL";
	case EROFS: return "EROFS";
	case ENOENT: return "ENOENT";
	case EBUSY: return "EBUSY";
	}
	return "other";
}

static int openw(const char *p) {
	int fd = open(p, O_WRONLY);
	if (fd >= 0) close(fd);
	return fd;
}

int main(int argc, char **argv) {
	if (argc < 3) return 2;
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET) != 0) {
		printf("RESULT unshare=%s\n", res(-1));
		return 0;
	}
	const char *rw = res(mount("", "/sys", NULL, MS_REMOUNT | MS_BIND, NULL));
	const char *um = res(umount2("/sys/fs/cgroup", MNT_DETACH));
	const char *fresh = res(mount("sysfs", argv[1], "sysfs", 0, NULL));
	char knob[600];
	snprintf(knob, sizeof knob, "%s/power/state", argv[1]);
	printf("RESULT remount=%s umount=%s sysmount=%s open=%s", rw, um, fresh, res(openw(argv[2])));
	printf(" fresh=%s\n", strcmp(fresh, "ok") ? "none" : res(openw(knob)));
	return 0;
}
`

// TestEscapeSysfsStaysReadOnly: the read-only /sys cannot be undone from a
// user namespace, nor bypassed with a fresh sysfs mount.
func TestEscapeSysfsStaysReadOnly(t *testing.T) {
	requireKernel(t)
	if os.Geteuid() != 0 {
		t.Skip("only a root target can write /sys")
	}
	procs, _ := filepath.Glob("/sys/fs/cgroup/*/cgroup.procs")
	if top, _ := filepath.Glob("/sys/fs/cgroup/cgroup.procs"); len(top) > 0 {
		procs = top
	}
	if len(procs) == 0 {
		t.Skip("no cgroup file system under /sys/fs/cgroup")
	}
	bin := compileC(t, sysfsRemountC)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rec := policy(0, 0)
	var out bytes.Buffer
	code, err := Run(ctx, Spec{Argv: []string{bin, t.TempDir(), procs[0]}, Stdout: &out, Stderr: &out, Mode: Require,
		Decide: rec.decide, OnEvent: rec.event})
	o := outcome{code, err, out.String()}
	got := o.result()
	t.Log(got)
	if strings.HasPrefix(got, "unshare=") {
		t.Skipf("no namespaces in the run: %s", got)
	}
	if strings.Contains(got, "remount=ok") || !strings.Contains(got, " open=EROFS ") || !strings.HasSuffix(got, " fresh=none") && !strings.HasSuffix(got, " fresh=EROFS") {
		t.Errorf("/sys writable again: %q\n%s", got, o.out)
	}
}

// aroundMountsC tries to reach the protected files around their mounts
// from a new user and mount namespace: a plain bind of the directory above
// them (which would not carry the mounts over them), unmounting them in a
// recursive bind, remounting the read-only file writable.
const aroundMountsC = `#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/mount.h>

/* argv[1]: the protected directory (holding settings.json, read-only, and
 * state/, hidden); argv[2], argv[3]: empty directories. Opens for writing,
 * never writes. */
static const char *res(int r) {
	if (r >= 0) return "ok";
	switch (errno) {
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case EINVAL: return "EINVAL";
	case EROFS: return "EROFS";
	case ENOENT: return "ENOENT";
	case EBUSY: return "EBUSY";
	}
	return "other";
}

static int openw(const char *dir, const char *name) {
	char p[1024];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	int fd = open(p, O_WRONLY);
	if (fd >= 0) close(fd);
	return fd;
}

static int readable(const char *dir) {
	char p[1024];
	snprintf(p, sizeof p, "%s/state/key", dir);
	int fd = open(p, O_RDONLY);
	if (fd >= 0) close(fd);
	return fd;
}

int main(int argc, char **argv) {
	if (argc < 4) return 2;
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) {
		printf("RESULT unshare=%s\n", res(-1));
		return 0;
	}
	char p[1024];
	const char *flat = res(mount(argv[1], argv[2], NULL, MS_BIND, NULL));
	const char *flatw = strcmp(flat, "ok") ? "none" : res(openw(argv[2], "settings.json"));
	const char *flatr = strcmp(flat, "ok") ? "none" : res(readable(argv[2]));
	const char *rec = res(mount(argv[1], argv[3], NULL, MS_BIND | MS_REC, NULL));
	snprintf(p, sizeof p, "%s/settings.json", argv[3]);
	const char *um = res(umount2(p, MNT_DETACH));
	snprintf(p, sizeof p, "%s/state", argv[3]);
	const char *umh = res(umount2(p, MNT_DETACH));
	snprintf(p, sizeof p, "%s/settings.json", argv[1]);
	const char *rw = res(mount("", p, NULL, MS_REMOUNT | MS_BIND, NULL));
	printf("RESULT flat=%s flatwrite=%s flatread=%s rec=%s umount=%s umounthidden=%s remount=%s write=%s read=%s\n",
		flat, flatw, flatr, rec, um, umh, rw, res(openw(argv[1], "settings.json")), res(readable(argv[3])));
	return 0;
}
`

// TestEscapeAroundProtectedMounts: the hidden directory and the read-only
// file stay so from a user namespace: their mounts are locked there.
func TestEscapeAroundProtectedMounts(t *testing.T) {
	requireKernel(t)
	if !Probe().MountNamespace {
		t.Skip("no private mount namespace here")
	}
	bin := compileC(t, aroundMountsC)
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	state := filepath.Join(dir, "state")
	os.MkdirAll(state, 0o700)
	os.WriteFile(filepath.Join(state, "key"), []byte("secret"), 0o600)
	settings := filepath.Join(dir, "settings.json")
	os.WriteFile(settings, []byte("{}"), 0o644)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rec := policy(0, 0)
	var out bytes.Buffer
	code, err := Run(ctx, Spec{Argv: []string{bin, dir, t.TempDir(), t.TempDir()}, Stdout: &out, Stderr: &out, Mode: Require,
		Decide: rec.decide, OnEvent: rec.event, Hide: []string{state}, ReadOnly: []string{settings}})
	o := outcome{code, err, out.String()}
	got := o.result()
	t.Log(got)
	if strings.HasPrefix(got, "unshare=") {
		t.Skipf("no user namespace in the run: %s", got)
	}
	for _, bad := range []string{"flatwrite=ok", "flatread=ok", "umount=ok", "umounthidden=ok", "remount=ok", "write=ok", "read=ok"} {
		if strings.Contains(got, bad) {
			t.Errorf("protected files reached (%s): %q\n%s", bad, got, o.out)
		}
	}
	if !strings.Contains(got, "write=EROFS") {
		t.Errorf("got %q, want write=EROFS\n%s", got, o.out)
	}
}

// TestEscapeThroughAnotherMount: the same directory is often reachable
// through a second mount of its file system (a bind mount of / at
// /mnt/host, a container's second view of the disk). The hidden directory
// and the read-only file must be protected there too. The test makes the
// second mount in a mount namespace of its own, which the run inherits.
func TestEscapeThroughAnotherMount(t *testing.T) {
	requireKernel(t)
	if os.Geteuid() != 0 || !Probe().MountNamespace {
		t.Skip("needs root for the test's own mount")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir, alias := t.TempDir(), t.TempDir()
	state := filepath.Join(dir, "state")
	os.MkdirAll(state, 0o700)
	os.WriteFile(filepath.Join(state, "key"), []byte("secret"), 0o600)
	settings := filepath.Join(dir, "settings.json")
	os.WriteFile(settings, []byte("{}"), 0o644)
	type res struct {
		read, write string
		err         error
	}
	done := make(chan res, 1)
	go func() {
		// The thread keeps the namespace and ends with the goroutine.
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
			done <- res{err: err}
			return
		}
		if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
			done <- res{err: err}
			return
		}
		if err := unix.Mount(dir, alias, "", unix.MS_BIND, ""); err != nil {
			done <- res{err: err}
			return
		}
		run := func(args ...string) string {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			rec := policy(0, 0)
			var out bytes.Buffer
			code, err := Run(ctx, Spec{Argv: append([]string{self}, args...), Env: []string{envTarget + "=1"}, Stdout: &out, Stderr: &out,
				Mode: Require, Decide: rec.decide, OnEvent: rec.event, Hide: []string{state}, ReadOnly: []string{settings}})
			return outcome{code, err, out.String()}.result()
		}
		done <- res{read: run("read", filepath.Join(alias, "state", "key")), write: run("write", filepath.Join(alias, "settings.json"))}
	}()
	r := <-done
	if r.err != nil {
		t.Skipf("no second mount: %v", r.err)
	}
	if strings.HasPrefix(r.read, "read=ok") {
		t.Errorf("the hidden key was read through the second mount: %q", r.read)
	}
	if r.write != "write=EROFS" {
		t.Errorf("writing the read-only file through the second mount: got %q, want write=EROFS", r.write)
	}
	if b, _ := os.ReadFile(settings); string(b) != "{}" {
		t.Errorf("the read-only file changed: %q", b)
	}
}

// remountC tries to undo the read-only kernel settings from a new user,
// mount and pid namespace: unmount them, remount them writable, mount a
// fresh proc. It opens core_pattern for writing, never writes.
const remountC = `#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

static const char *res(int r) {
	if (r >= 0) return "ok";
	switch (errno) {
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case EINVAL: return "EINVAL";
	case EROFS: return "EROFS";
	case ENOENT: return "ENOENT";
	case EBUSY: return "EBUSY";
	}
	return "other";
}

static int openw(const char *p) {
	int fd = open(p, O_WRONLY);
	if (fd >= 0) close(fd);
	return fd;
}

int main(int argc, char **argv) {
	if (argc < 2) return 2;
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID) != 0) {
		printf("RESULT unshare=%s\n", res(-1));
		return 0;
	}
	pid_t pid = fork();
	if (pid == 0) {
		int um = umount2("/proc/sys", MNT_DETACH);
		const char *ums = res(um);
		int rw = mount("", "/proc/sys", NULL, MS_REMOUNT | MS_BIND, NULL);
		const char *rws = res(rw);
		char fresh[512], knob[600];
		snprintf(fresh, sizeof fresh, "%s", argv[1]);
		int pm = mount("proc", fresh, "proc", 0, NULL);
		const char *pms = res(pm);
		snprintf(knob, sizeof knob, "%s/sys/kernel/core_pattern", fresh);
		const char *fs = pm == 0 ? res(openw(knob)) : "none";
		printf("RESULT umount=%s remount=%s procmount=%s open=%s fresh=%s\n", ums, rws, pms,
			res(openw("/proc/sys/kernel/core_pattern")), fs);
		fflush(stdout);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	return 0;
}
`

// TestEscapeKernelSettingsStayReadOnly: the read-only mounts cannot be
// undone from a user namespace (they are locked there), nor bypassed with
// a fresh proc mount.
func TestEscapeKernelSettingsStayReadOnly(t *testing.T) {
	requireKernel(t)
	if os.Geteuid() != 0 {
		t.Skip("only a root target can write kernel settings")
	}
	bin := compileC(t, remountC)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rec := policy(0, 0)
	var out bytes.Buffer
	code, err := Run(ctx, Spec{Argv: []string{bin, t.TempDir()}, Stdout: &out, Stderr: &out, Mode: Require,
		Decide: rec.decide, OnEvent: rec.event})
	o := outcome{code, err, out.String()}
	got := o.result()
	t.Log(got)
	if strings.HasPrefix(got, "unshare=") {
		t.Skipf("no namespaces in the run: %s", got)
	}
	if !strings.Contains(got, " open=EROFS ") || !strings.HasSuffix(got, " fresh=none") && !strings.HasSuffix(got, " fresh=EROFS") {
		t.Errorf("kernel settings writable again: %q\n%s", got, o.out)
	}
}

// TestEscapeSignalThroughFileOwner: F_SETOWN and F_SETSIG make the kernel
// signal a process on I/O; aimed at the supervisor with SIGKILL, that
// would be a signal the Landlock scope must stop too.
func TestEscapeSignalThroughFileOwner(t *testing.T) {
	requireKernel(t)
	if Probe().LandlockABI < 6 {
		t.Skip("signal scoping needs Landlock ABI 6")
	}
	self, _ := os.Executable()
	sup := exec.Command(self, "sigio")
	sup.Env = append(os.Environ(), envSupervisor+"=test")
	out, err := sup.CombinedOutput()
	if err != nil {
		t.Fatalf("the supervisor did not survive: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "RESULT setown=ok setsig=ok async=ok alive") {
		t.Errorf("unexpected output:\n%s", out)
	}
}

// TestEscapeInheritedRing: an io_uring instance inherited from safeclaw's
// parent is closed (a polling ring needs no system call to submit work).
func TestEscapeInheritedRing(t *testing.T) {
	requireKernel(t)
	var params [120]byte
	r, _, e := unix.Syscall(unix.SYS_IO_URING_SETUP, 4, uintptr(unsafe.Pointer(&params[0])), 0)
	if e != 0 {
		t.Skipf("io_uring_setup: %v", e)
	}
	fd := int(r)
	defer unix.Close(fd)
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, 0); err != nil { // inherited across exec
		t.Fatal(err)
	}
	o := sandboxed(t, policy(0, 0), Require, "inherited", strconv.Itoa(fd))
	if got := o.result(); got != "inherited=EBADF" {
		t.Errorf("got %q, want inherited=EBADF (closed)\n%s", got, o.out)
	}
}

// countingListener counts the connections that reach 127.0.0.1:port.
func countingListener(t *testing.T) (int, func() int) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	var mu sync.Mutex
	n := 0
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			n++
			mu.Unlock()
			c.Close()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port, func() int {
		time.Sleep(50 * time.Millisecond)
		mu.Lock()
		defer mu.Unlock()
		return n
	}
}

// TestEscapeAttemptsBlocked are attempts the design already stops; they
// stay as regression tests.
func TestEscapeAttemptsBlocked(t *testing.T) {
	requireKernel(t)
	t.Run("families", func(t *testing.T) {
		o := sandboxed(t, policy(0, 0), Require, "families")
		got := o.result()
		t.Log(got)
		if got == "" || strings.Contains(got, "=ok") {
			t.Errorf("a socket without port rules was created: %q\n%s", got, o.out)
		}
	})
	t.Run("supervisor memory and descriptors", func(t *testing.T) {
		o := sandboxed(t, policy(0, 0), Require, "peek-supervisor")
		got := o.result()
		t.Log(got)
		if got == "" || strings.Contains(got, "=ok") {
			t.Errorf("the target reached into the supervisor: %q\n%s", got, o.out)
		}
	})
	t.Run("listen in a new network namespace", func(t *testing.T) {
		port := freePort(t)
		o := sandboxed(t, policy(0, 0), Require, "netns-listen", strconv.Itoa(port))
		got := o.result()
		if strings.HasPrefix(got, "netns=") {
			t.Skipf("no namespaces in the run: %s", got)
		}
		if got != "listen=EACCES" {
			t.Errorf("got %q, want listen=EACCES\n%s", got, o.out)
		}
	})
	t.Run("a stacked allow-all filter", func(t *testing.T) {
		denied, accepted := countingListener(t)
		o := sandboxed(t, policy(0, 0), Require, "stack-filter", strconv.Itoa(denied))
		if got, want := o.result(), "seccomp=ok connect=EACCES"; got != want {
			t.Errorf("got %q, want %q\n%s", got, want, o.out)
		}
		if n := accepted(); n != 0 {
			t.Errorf("%d connections reached the denied port", n)
		}
	})
	t.Run("address flipped by another thread", func(t *testing.T) {
		allowed := greeter(t)
		denied, accepted := countingListener(t)
		o := sandboxed(t, policy(0, allowed), Require, "flip", strconv.Itoa(allowed), strconv.Itoa(denied), "200")
		got := o.result()
		for _, part := range strings.Split(strings.TrimPrefix(got, "flip="), ",") {
			if k, _, _ := strings.Cut(part, ":"); k != "ok" && k != "EACCES" {
				t.Errorf("unexpected outcome %q in %q", k, got)
			}
		}
		if n := accepted(); n != 0 {
			t.Errorf("%d connections reached the denied port (%s)", n, got)
		}
	})
	t.Run("descriptor swapped under a unix bind", func(t *testing.T) {
		// A UDP socket swapped onto the number of a unix socket being bound
		// must not end up bound to a denied port.
		port := freePort(t)
		o := sandboxed(t, policy(0, 0), Require, "bind-swap", strconv.Itoa(port), "2000")
		got := o.result()
		t.Log(got)
		if strings.Contains(got, "bound") {
			t.Errorf("the UDP socket was bound to port %d: %q\n%s", port, got, o.out)
		}
		// Nothing holds the port now.
		c, err := net.ListenPacket("udp4", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			t.Fatalf("port %d still taken after the run: %v", port, err)
		}
		c.Close()
	})
	t.Run("many threads at once", func(t *testing.T) {
		denied, accepted := countingListener(t)
		o := sandboxed(t, policy(0, 0), Require, "storm", strconv.Itoa(denied), "32", "10")
		if got, want := o.result(), "storm=EACCES:320"; got != want {
			t.Errorf("got %q, want %q\n%s", got, want, o.out)
		}
		if n := accepted(); n != 0 {
			t.Errorf("%d connections reached the denied port", n)
		}
	})
}

// TestPinUnspecified: the unspecified destination is decided (and then
// used) as the address the kernel substitutes for it.
func TestPinUnspecified(t *testing.T) {
	raw4 := func(a [4]byte, port int) []byte {
		b := make([]byte, 16)
		binary.NativeEndian.PutUint16(b, unix.AF_INET)
		binary.BigEndian.PutUint16(b[2:], uint16(port))
		copy(b[4:], a[:])
		return b
	}
	raw6 := func(a netip.Addr, port int) []byte {
		b := make([]byte, 28)
		binary.NativeEndian.PutUint16(b, unix.AF_INET6)
		binary.BigEndian.PutUint16(b[2:], uint16(port))
		a16 := a.As16()
		copy(b[8:], a16[:])
		return b
	}
	sock := func(domain int, bind unix.Sockaddr) int {
		fd, err := unix.Socket(domain, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Skipf("socket: %v", err)
		}
		t.Cleanup(func() { unix.Close(fd) })
		if bind != nil {
			if err := unix.Bind(fd, bind); err != nil {
				t.Skipf("bind: %v", err)
			}
		}
		return fd
	}
	v4 := sock(unix.AF_INET, nil)
	v4bound := sock(unix.AF_INET, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 5}})
	v6 := sock(unix.AF_INET6, nil)
	v6mapped := sock(unix.AF_INET6, &unix.SockaddrInet6{Addr: netip.MustParseAddr("::ffff:127.0.0.1").As16()})
	tests := []struct {
		name   string
		sa     []byte
		sock   int
		want   string
		wantSA []byte
	}{
		{"0.0.0.0, unbound", raw4([4]byte{}, 80), v4, "127.0.0.1:80", raw4([4]byte{127, 0, 0, 1}, 80)},
		{"0.0.0.0, bound to 127.0.0.5", raw4([4]byte{}, 80), v4bound, "127.0.0.5:80", raw4([4]byte{127, 0, 0, 5}, 80)},
		{"::ffff:0.0.0.0 on IPv6", raw6(netip.MustParseAddr("::ffff:0.0.0.0"), 80), v6, "127.0.0.1:80", raw6(netip.MustParseAddr("::ffff:127.0.0.1"), 80)},
		{":: on IPv6", raw6(netip.IPv6Unspecified(), 80), v6, "[::1]:80", raw6(netip.IPv6Loopback(), 80)},
		{":: on a v4-mapped socket", raw6(netip.IPv6Unspecified(), 80), v6mapped, "127.0.0.1:80", raw6(netip.MustParseAddr("::ffff:127.0.0.1"), 80)},
		{"a real address stays", raw4([4]byte{192, 0, 2, 1}, 80), v4, "192.0.2.1:80", raw4([4]byte{192, 0, 2, 1}, 80)},
	}
	for _, tt := range tests {
		domain := unix.AF_INET
		if len(tt.sa) == 28 {
			domain = unix.AF_INET6
		}
		ap, kind := parseIPSockaddr(tt.sa, domain, false)
		if kind != addrIP {
			t.Fatalf("%s: parse: %v", tt.name, kind)
		}
		got, sa := pinUnspecified(ap, tt.sa, tt.sock)
		if got.String() != tt.want || !bytes.Equal(sa, tt.wantSA) {
			t.Errorf("%s: got %s % x, want %s % x", tt.name, got, sa, tt.want, tt.wantSA)
		}
	}
}

// TestNAT64FacetNamesTheIPv4Address: a connect to 64:ff9b::a.b.c.d is also
// decided as a connect to a.b.c.d, where a NAT64 gateway sends it.
func TestNAT64FacetNamesTheIPv4Address(t *testing.T) {
	s := &supervisor{spec: &Spec{}}
	facets, _ := s.connectFacets(context.Background(), netip.MustParseAddrPort("[64:ff9b::c000:201]:443"), "tcp connect")
	if len(facets) != 2 || facets[0].Host != "64:ff9b::c000:201" || facets[1].Host != "192.0.2.1" || facets[1].Port != 443 {
		t.Errorf("facets: %+v", facets)
	}
	for _, a := range []string{"[2001:db8::c000:201]:443", "[::ffff:192.0.2.1]:443", "192.0.2.1:443", "[64:ff9b:1::c000:201]:443"} {
		if facets, _ := s.connectFacets(context.Background(), netip.MustParseAddrPort(a), "tcp connect"); len(facets) != 1 {
			t.Errorf("%s: %d facets, want 1", a, len(facets))
		}
	}
}
