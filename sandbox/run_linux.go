//go:build linux && amd64

package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/safeclaw/safeclaw/action"
)

// Probe reports what the running kernel offers. It changes nothing.
func Probe() Capabilities {
	c := Capabilities{OS: runtime.GOOS, Arch: runtime.GOARCH, Implemented: true, Root: os.Geteuid() == 0}
	var u unix.Utsname
	if unix.Uname(&u) == nil {
		c.Kernel = unix.ByteSliceToString(u.Release[:])
	}
	c.LandlockABI = landlockABI()
	if c.LandlockABI == 0 {
		c.Notes = append(c.Notes, "Landlock is unavailable (kernel without it, not in the lsm= list, or blocked by a container)")
	}
	act := uint32(retNotify)
	if _, _, e := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_GET_ACTION_AVAIL, 0, uintptr(unsafe.Pointer(&act))); e == 0 {
		c.SeccompNotify = true
	} else {
		c.Notes = append(c.Notes, fmt.Sprintf("seccomp user notification is unavailable: %v", e))
	}
	if pfd, err := unix.PidfdOpen(os.Getpid(), 0); err == nil {
		if dup, err := unix.PidfdGetfd(pfd, pfd, 0); err == nil {
			c.PidfdGetfd = true
			unix.Close(dup)
		} else {
			c.Notes = append(c.Notes, fmt.Sprintf("pidfd_getfd is unavailable: %v", err))
		}
		unix.Close(pfd)
	} else {
		c.Notes = append(c.Notes, fmt.Sprintf("pidfd_open is unavailable: %v", err))
	}
	runtime.LockOSThread()
	if pfd, err := unix.PidfdOpen(unix.Gettid(), unix.PIDFD_THREAD); err == nil {
		c.PidfdThread = true
		unix.Close(pfd)
	}
	runtime.UnlockOSThread()
	c.WaitKillable = kernelAtLeast(c.Kernel, 5, 19)
	c.MountNamespace = c.Root || userNamespacesAllowed()
	return c
}

func kernelAtLeast(release string, major, minor int) bool {
	f := strings.FieldsFunc(release, func(r rune) bool { return r < '0' || r > '9' })
	if len(f) < 2 {
		return false
	}
	ma, _ := strconv.Atoi(f[0])
	mi, _ := strconv.Atoi(f[1])
	return ma > major || ma == major && mi >= minor
}

// userNamespacesAllowed is a conservative reading of the sysctls that
// disable unprivileged user namespaces (Debian, Ubuntu's AppArmor switch).
func userNamespacesAllowed() bool {
	read := func(p string) string {
		b, err := os.ReadFile(p)
		if err != nil {
			return ""
		}
		return strings.TrimSpace(string(b))
	}
	if v := read("/proc/sys/user/max_user_namespaces"); v == "" || v == "0" {
		return false
	}
	if read("/proc/sys/kernel/unprivileged_userns_clone") == "0" {
		return false
	}
	if read("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == "1" {
		return false
	}
	return true
}

// Run runs s.Argv in the sandbox and returns its exit status (128+signal
// when a signal ended it). A non-nil error means the target did not run:
// the status is then [ExitSandboxFailed], [ExitCannotExec] or
// [ExitNotFound]. Cancelling ctx kills the target.
func Run(ctx context.Context, s Spec) (int, error) {
	if len(s.Argv) == 0 {
		return ExitSandboxFailed, errors.New("no command to run")
	}
	if s.Decide == nil {
		return ExitSandboxFailed, errors.New("no decision function")
	}
	caps := Probe()
	rep := Explain(caps, s.Mode, s.Ask != nil)
	if s.Mode == Require {
		if miss := rep.Missing(); len(miss) > 0 {
			var why []string
			for _, m := range miss {
				why = append(why, m.Subject+": "+m.Gap)
			}
			return ExitSandboxFailed, fmt.Errorf("cannot enforce the policy on this kernel (%s); use --enforce best-effort to run anyway", strings.Join(why, "; "))
		}
	}
	useFilter := caps.SeccompNotify && (caps.PidfdGetfd || s.Mode == Off)
	plan := shimPlan{
		Argv:     s.Argv,
		Static:   s.Mode != Off,
		Landlock: s.Mode != Off && useFilter,
		Hide:     s.Hide,
		ReadOnly: s.ReadOnly,
	}
	if s.Mode != Off {
		// safeclaw's own program: the agents' hooks run it by this path
		// after the run, and uid 0 (or the user owning a ~/.local/bin
		// install) could otherwise rename another program over it.
		if exe := selfExecutable(); exe != "" {
			plan.ReadOnly = append(append([]string(nil), plan.ReadOnly...), exe)
		}
	}
	if caps.Root && s.Mode != Off {
		// uid 0 without capabilities may still write kernel settings that
		// only check file permissions: kernel.core_pattern names a program
		// the kernel runs as root, outside the run, at the next crash.
		plan.Knobs = kernelKnobs
		// uid 0 also passes the permission check of /dev/sda: the disk's
		// blocks hold every hidden file.
		plan.Devices = true
	}
	if !useFilter {
		return ExitSandboxFailed, errors.New("seccomp user notification with pidfd_getfd is required, even in best-effort mode")
	}

	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return ExitSandboxFailed, fmt.Errorf("control socket: %w", err)
	}
	parent := os.NewFile(uintptr(pair[0]), "safeclaw-control")
	child := os.NewFile(uintptr(pair[1]), "safeclaw-control-child")
	defer parent.Close()

	shimArgs := s.ShimArgs
	if len(shimArgs) == 0 {
		shimArgs = []string{"safeclaw-sandbox", ShimArg}
	}
	newCmd := func(mountNS bool) *exec.Cmd {
		cmd := &exec.Cmd{
			Path:       "/proc/self/exe",
			Args:       shimArgs,
			Env:        s.Env,
			Dir:        s.Dir,
			Stdin:      s.Stdin,
			Stdout:     s.Stdout,
			Stderr:     s.Stderr,
			ExtraFiles: []*os.File{child},
			// The target dies with the supervisor (see also: a dead
			// supervisor's notifications fail with ENOSYS).
			SysProcAttr: &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL},
		}
		if cmd.Env == nil {
			cmd.Env = []string{}
		}
		if mountNS {
			cmd.SysProcAttr.Cloneflags = syscall.CLONE_NEWNS
			if !caps.Root {
				uid, gid := os.Getuid(), os.Getgid()
				cmd.SysProcAttr.Cloneflags |= syscall.CLONE_NEWUSER
				cmd.SysProcAttr.UidMappings = []syscall.SysProcIDMap{{ContainerID: uid, HostID: uid, Size: 1}}
				cmd.SysProcAttr.GidMappings = []syscall.SysProcIDMap{{ContainerID: gid, HostID: gid, Size: 1}}
				cmd.SysProcAttr.GidMappingsEnableSetgroups = false
				// The stub is not root inside the namespace, so it would lose
				// the namespace's capabilities at exec: keep the two it needs
				// to mount and to drop everything afterwards.
				cmd.SysProcAttr.AmbientCaps = []uintptr{unix.CAP_SYS_ADMIN, unix.CAP_SETPCAP}
			}
		}
		return cmd
	}

	// Pdeathsig fires when the thread that forked the child exits: keep
	// this goroutine on its thread until the child is gone.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	wantMount := caps.MountNamespace && len(s.Hide)+len(plan.ReadOnly)+len(plan.Knobs) > 0 && s.Mode != Off
	cmd := newCmd(wantMount)
	err = cmd.Start()
	if err != nil && wantMount {
		// User namespaces can be refused at clone time even where the
		// sysctls allow them (LSM policies, seccomp profiles, nested limits).
		s.warn(fmt.Sprintf("self-protection NOT ENFORCED: no private mount namespace (%v)", err))
		wantMount = false
		cmd = newCmd(false)
		err = cmd.Start()
	}
	child.Close()
	if err != nil {
		return ExitSandboxFailed, fmt.Errorf("start the sandbox stub: %w", err)
	}
	if !wantMount && len(s.Hide)+len(plan.ReadOnly) > 0 && s.Mode != Off && !caps.MountNamespace {
		s.warn("self-protection NOT ENFORCED: no private mount namespace on this system")
	}
	plan.MountNS = wantMount
	if !wantMount && len(plan.Knobs) > 0 && s.Mode != Off {
		s.warn("kernel settings NOT protected: a root target could write /proc/sys (kernel.core_pattern runs a program as root outside the run) and /sys (cgroups: move, freeze or kill any process)")
	}
	abort := func(code int, err error) (int, error) {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return code, err
	}

	b, _ := json.Marshal(plan)
	if err := unix.Sendmsg(pair[0], b, nil, nil, 0); err != nil {
		return abort(ExitSandboxFailed, fmt.Errorf("send the plan: %w", err))
	}
	buf := make([]byte, 64<<10)
	n, _, _, _, err := unix.Recvmsg(pair[0], buf, nil, 0)
	if err != nil || n == 0 {
		return abort(ExitSandboxFailed, fmt.Errorf("the sandbox stub did not answer: %v", err))
	}
	var reply shimReply
	if err := json.Unmarshal(buf[:n], &reply); err != nil {
		return abort(ExitSandboxFailed, fmt.Errorf("the sandbox stub's answer: %w", err))
	}
	if reply.Err != "" {
		_ = cmd.Wait()
		code := reply.Code
		if code == 0 {
			code = ExitSandboxFailed
		}
		return code, errors.New(reply.Err)
	}
	listener, err := stubListener(cmd.Process.Pid, reply.Listener)
	if err != nil {
		return abort(ExitSandboxFailed, err)
	}
	for _, m := range reply.Mounted {
		s.note("self-protection: " + m)
	}
	for _, m := range reply.Notes {
		s.note("self-protection: " + m)
	}
	for _, fd := range reply.Closed {
		s.warn(fmt.Sprintf("closed inherited descriptor %d (a network socket, io_uring or TUN device): safeclaw's own parent left it open, and what the target did with it would not be decided", fd))
	}
	if !reply.Killable {
		s.note("held system calls restart on signals on this kernel (no WAIT_KILLABLE_RECV)")
	}

	sup := &supervisor{fd: listener, spec: &s, rootPID: cmd.Process.Pid, lowPort: unprivilegedPortStart()}
	var wake [2]int
	if err := unix.Pipe2(wake[:], unix.O_CLOEXEC); err != nil {
		unix.Close(listener)
		return abort(ExitSandboxFailed, fmt.Errorf("pipe: %w", err))
	}
	hctx, cancel := context.WithCancel(ctx)
	served := make(chan struct{})
	go func() {
		defer close(served)
		sup.serve(hctx, wake[0])
	}()
	stop := func() {
		unix.Write(wake[1], []byte{1})
		<-served
		cancel()
		// Pending and future notifications of leftover processes now fail
		// with ENOSYS.
		sup.close()
		unix.Close(wake[0])
		unix.Close(wake[1])
		done := make(chan struct{})
		go func() { sup.handlers.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(2 * time.Second):
		}
	}
	if err := unix.Sendmsg(pair[0], []byte("go"), nil, nil, 0); err != nil {
		stop()
		return abort(ExitSandboxFailed, fmt.Errorf("start the target: %w", err))
	}

	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	var werr error
loop:
	for {
		select {
		case werr = <-waited:
			break loop
		case <-ctx.Done():
			_ = cmd.Process.Kill()
		case sig, ok := <-s.Signals:
			if ok {
				_ = cmd.Process.Signal(sig)
			}
		}
	}
	stop()
	st := cmd.ProcessState
	if st == nil {
		return ExitSandboxFailed, werr
	}
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal()), nil
	}
	return st.ExitCode(), nil
}

// note reports something about the sandbox itself as an event.
func (s *Spec) note(msg string) {
	if s.OnEvent != nil {
		s.OnEvent(Event{Time: time.Now(), Op: "sandbox", Detail: msg, Effect: action.Allow, Result: "note"})
	}
}

// warn reports a gap in the sandbox as an event.
func (s *Spec) warn(msg string) {
	if s.OnEvent != nil {
		s.OnEvent(Event{Time: time.Now(), Op: "sandbox", Detail: msg, Effect: action.Allow, Result: "warning"})
	}
}

// Supervised reports whether this process already runs under a seccomp
// user-notification listener (a safeclaw run, or another supervisor): the
// kernel allows one listener per filter tree, so no new sandbox can be
// installed here. It checks by installing an allow-all filter with a
// listener on a throwaway thread, which the kernel refuses with EBUSY.
func Supervised() bool {
	busy := make(chan bool)
	go func() {
		// The thread is never unlocked: Go discards it when this goroutine
		// returns, filter and all.
		runtime.LockOSThread()
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			busy <- false
			return
		}
		prog := []unix.SockFilter{{Code: unix.BPF_RET | unix.BPF_K, K: retAllow}}
		fprog := unix.SockFprog{Len: 1, Filter: &prog[0]}
		fd, _, errno := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, unix.SECCOMP_FILTER_FLAG_NEW_LISTENER, uintptr(unsafe.Pointer(&fprog)))
		if errno == 0 {
			unix.Close(int(fd))
		}
		busy <- errno == unix.EBUSY
	}()
	return <-busy
}

// stubListener copies the seccomp listener out of the stub: the stub cannot
// send it with SCM_RIGHTS, since its own sendmsg is already notified.
func stubListener(pid, fd int) (int, error) {
	pfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return -1, fmt.Errorf("open the sandbox stub: %w", err)
	}
	defer unix.Close(pfd)
	l, err := unix.PidfdGetfd(pfd, fd, 0)
	if err != nil {
		return -1, fmt.Errorf("copy the seccomp listener from the sandbox stub: %w", err)
	}
	return l, nil
}

// selfExecutable is the resolved path of the running program ("" when the
// kernel cannot say, or the file is gone).
func selfExecutable() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	if r, err := filepath.EvalSymlinks(exe); err == nil {
		exe = r
	}
	if _, err := os.Stat(exe); err != nil {
		return ""
	}
	return exe
}
