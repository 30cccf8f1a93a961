//go:build linux && amd64

package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// shimFD is the descriptor number of the control socket in the child stub.
const shimFD = 3

// shimPlan is what the supervisor sends the child stub over the control
// socket (never argv or the environment, which the target can read).
type shimPlan struct {
	Argv     []string `json:"argv"`
	Static   bool     `json:"static"`   // install the bypass deny set
	Landlock bool     `json:"landlock"` // apply the Landlock backstop and scopes
	MountNS  bool     `json:"mount_ns"` // the stub runs in a private mount namespace
	Hide     []string `json:"hide,omitempty"`
	ReadOnly []string `json:"read_only,omitempty"`
	Knobs    []string `json:"knobs,omitempty"`   // kernel settings made read-only where they exist (root targets)
	Devices  bool     `json:"devices,omitempty"` // storage device nodes made unopenable (root targets)
}

// kernelKnobs are the kernel settings a root target (uid 0, no
// capabilities) could otherwise write: most of /proc/sys checks only file
// permissions, and /proc/sysrq-trigger can reboot the machine. So do most
// files of /sys and the file systems mounted below it: /sys/power/state
// suspends the machine, a cgroup's cgroup.procs, cgroup.kill or
// cgroup.freeze moves, kills or freezes any process (the supervisor
// included), tracefs traces every process.
var kernelKnobs = []string{"/proc/sys", "/proc/sysrq-trigger", "/sys"}

// recursiveKnobs are made read-only with everything mounted below them, as
// they are seen (a plain bind would hide the cgroup file systems that
// runtimes read their limits from).
var recursiveKnobs = map[string]bool{"/sys": true}

// shimReply is the stub's answer; the supervisor copies the listener
// descriptor it names out of the stub.
type shimReply struct {
	Err         string   `json:"err,omitempty"`
	Code        int      `json:"code,omitempty"` // exit code the supervisor should report on Err
	Killable    bool     `json:"killable"`
	Listener    int      `json:"listener"` // the listener's descriptor number in the stub
	LandlockABI int      `json:"landlock_abi"`
	Mounted     []string `json:"mounted,omitempty"` // what the mount namespace protects
	Notes       []string `json:"notes,omitempty"`
	Closed      []int    `json:"closed,omitempty"` // inherited network descriptors (sockets, io_uring, TUN) the stub closed
}

// RunShim is the child stub: the supervisor re-executes its own binary with
// [ShimArg], and the binary's entry point calls RunShim before anything else.
// It applies Landlock and the seccomp filter to itself, hands the
// notification listener to the supervisor and execs the target. It returns
// only on failure, with the exit code to use.
func RunShim() int {
	ctl := os.NewFile(shimFD, "safeclaw-control")
	if ctl == nil {
		fmt.Fprintln(os.Stderr, "safeclaw: error: sandbox stub started without its control socket")
		return ExitSandboxFailed
	}
	buf := make([]byte, 1<<20)
	n, _, _, _, err := unix.Recvmsg(shimFD, buf, nil, 0)
	if err != nil {
		fmt.Fprintf(os.Stderr, "safeclaw: error: sandbox stub: read plan: %v\n", err)
		return ExitSandboxFailed
	}
	var plan shimPlan
	if err := json.Unmarshal(buf[:n], &plan); err != nil || len(plan.Argv) == 0 {
		fmt.Fprintf(os.Stderr, "safeclaw: error: sandbox stub: bad plan: %v\n", err)
		return ExitSandboxFailed
	}
	fail := func(code int, format string, args ...any) int {
		msg := fmt.Sprintf(format, args...)
		b, _ := json.Marshal(shimReply{Err: msg, Code: code})
		_ = unix.Sendmsg(shimFD, b, nil, nil, 0)
		return code
	}

	path, err := exec.LookPath(plan.Argv[0])
	if err != nil {
		code := ExitNotFound
		if errors.Is(err, os.ErrPermission) {
			code = ExitCannotExec
		}
		return fail(code, "%v", err)
	}
	if !filepath.IsAbs(path) {
		if path, err = filepath.Abs(path); err != nil {
			return fail(ExitSandboxFailed, "resolve %s: %v", plan.Argv[0], err)
		}
	}

	var reply shimReply
	if plan.Static {
		reply.Closed = closeInheritedNetwork()
	}
	if plan.MountNS {
		wd, err := os.Getwd()
		if err != nil {
			return fail(ExitSandboxFailed, "working directory: %v", err)
		}
		mounted, notes, err := protectPaths(plan.Hide, plan.ReadOnly)
		if err != nil {
			return fail(ExitSandboxFailed, "protect safeclaw's files: %v", err)
		}
		// The working directory was entered before the mounts: enter it
		// again, through them, or relative paths would reach what they
		// cover (a working directory inside a hidden one fails here).
		if err := os.Chdir(wd); err != nil {
			return fail(ExitSandboxFailed, "enter the working directory %s again after protecting safeclaw's files: %v", wd, err)
		}
		for _, k := range plan.Knobs {
			if _, err := os.Stat(k); err != nil {
				continue
			}
			ro := bindReadOnly
			if recursiveKnobs[k] {
				ro = bindReadOnlyRecursive
			}
			if err := ro(k); err != nil {
				// Not fatal: containers often mount /proc/sys read-only already.
				notes = append(notes, fmt.Sprintf("%s not made read-only: %v", k, err))
				continue
			}
			mounted = append(mounted, "read-only "+k)
		}
		if plan.Devices {
			m, err := fenceDevices("/dev")
			if err != nil {
				return fail(ExitSandboxFailed, "fence storage devices: %v", err)
			}
			mounted = append(mounted, m...)
		}
		reply.Mounted, reply.Notes = mounted, notes
	}

	// Everything from here on applies to this thread, which execs the target.
	runtime.LockOSThread()
	if err := dropCapabilities(); err != nil {
		return fail(ExitSandboxFailed, "drop capabilities: %v", err)
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fail(ExitSandboxFailed, "set no_new_privs: %v", err)
	}
	if plan.Landlock {
		abi, err := restrictLandlock()
		if err != nil {
			return fail(ExitSandboxFailed, "landlock: %v", err)
		}
		reply.LandlockABI = abi
	}
	prog, err := buildFilter(plan.Static)
	if err != nil {
		return fail(ExitSandboxFailed, "build seccomp filter: %v", err)
	}
	listener, killable, err := installFilter(prog)
	if err != nil {
		return fail(ExitSandboxFailed, "install seccomp filter: %v", err)
	}
	reply.Killable = killable
	reply.Listener = listener
	b, _ := json.Marshal(reply)
	// write, not sendmsg: sendmsg is now notified, and nobody listens yet.
	// The supervisor copies the listener out of this process (pidfd_getfd)
	// before it answers "go".
	if _, err := unix.Write(shimFD, b); err != nil {
		return ExitSandboxFailed
	}
	ack := make([]byte, 16)
	n, _, _, _, err = unix.Recvmsg(shimFD, ack, nil, 0)
	// The target must never hold the listener: it could answer its own
	// notifications.
	unix.Close(listener)
	if err != nil || string(ack[:n]) != "go" {
		return ExitSandboxFailed
	}
	ctl.Close()
	err = syscall.Exec(path, plan.Argv, os.Environ())
	// This execve was decided by the supervisor; EACCES is a denial.
	fmt.Fprintf(os.Stderr, "safeclaw: %s: %v\n", plan.Argv[0], err)
	if errors.Is(err, syscall.ENOENT) {
		return ExitNotFound
	}
	return ExitCannotExec
}

// closeInheritedNetwork closes the network descriptors this process
// inherited above the standard descriptors (left open by whoever started
// safeclaw): IPv4 and IPv6 sockets, whose accept() and send() are never
// decided when they already listen or are connected, and sockets of every
// family the target may not create itself (a packet socket sends raw
// frames to any host; vsock, SCTP, ...): only unix, netlink and AF_ALG
// sockets stay. io_uring instances go too: a ring with a kernel polling
// thread runs what is written into its (mmap'ed) queue without any system
// call; and so do TUN/TAP devices, whose write() puts an IP packet on the
// host's network. Standard input, output and error stay, whatever they
// are. It returns the descriptors closed.
func closeInheritedNetwork() []int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return nil
	}
	var closed []int
	for _, e := range entries {
		fd, err := strconv.Atoi(e.Name())
		if err != nil || fd <= 2 || fd == shimFD {
			continue
		}
		if inheritedNetwork(fd) {
			unix.Close(fd)
			closed = append(closed, fd)
		}
	}
	return closed
}

// tunMajor and tunMinor name /dev/net/tun (the misc device 10:200).
const tunMajor, tunMinor = 10, 200

// inheritedNetwork reports whether descriptor fd reaches the network
// without a decided system call (see closeInheritedNetwork).
func inheritedNetwork(fd int) bool {
	if dom, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_DOMAIN); err == nil {
		return dom != unix.AF_UNIX && dom != unix.AF_NETLINK && dom != unix.AF_ALG
	}
	if link, _ := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd)); link == "anon_inode:[io_uring]" {
		return true
	}
	var st unix.Stat_t
	return unix.Fstat(fd, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFCHR &&
		unix.Major(st.Rdev) == tunMajor && unix.Minor(st.Rdev) == tunMinor
}

// dropCapabilities clears every capability of this thread and its bounding
// and ambient sets, so a target started as root (or as root of a user
// namespace) cannot open raw sockets, ptrace or undo the mounts.
func dropCapabilities() error {
	var hdr = unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return err
	}
	if data[0].Permitted == 0 && data[1].Permitted == 0 && data[0].Inheritable == 0 && data[1].Inheritable == 0 {
		return nil
	}
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil && !errors.Is(err, unix.EINVAL) {
		return fmt.Errorf("clear ambient: %w", err)
	}
	for c := 0; c < 64; c++ {
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil {
			if errors.Is(err, unix.EINVAL) {
				break // past the last capability
			}
			return fmt.Errorf("drop bounding capability %d: %w", c, err)
		}
	}
	data = [2]unix.CapUserData{}
	return unix.Capset(&hdr, &data[0])
}

// protectPaths runs in the stub's private mount namespace: each existing
// directory in hide is covered by an empty read-only tmpfs, each existing
// path in readOnly is bind-mounted read-only over itself. First, every
// directory above them is bind-mounted over itself: a mount point cannot be
// renamed or removed (EBUSY), so the target cannot move ~/.config (or
// ~/.claude, or the project) aside, protected files and all, and put a
// directory of its own in its place.
func protectPaths(hide, readOnly []string) (mounted, notes []string, err error) {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return nil, nil, fmt.Errorf("make mounts private: %w", err)
	}
	// The same directory can be reached through another mount of its file
	// system (a bind mount of / at /mnt/host, a container's second view):
	// protect it there too.
	mounts := readMountInfo()
	hide = withAliases(cleanPaths(hide), mounts)
	readOnly = withAliases(cleanPaths(readOnly), mounts)
	for _, dir := range ancestorsOf(append(append([]string(nil), hide...), readOnly...)) {
		if err := unix.Mount(dir, dir, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return nil, nil, fmt.Errorf("pin %s: %w", dir, err)
		}
		mounted = append(mounted, "pinned "+dir)
	}
	for _, dir := range hide {
		fi, err := os.Stat(dir)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				notes = append(notes, dir+" does not exist yet: not hidden (created later by the target it would be visible)")
				continue
			}
			return nil, nil, err
		}
		if !fi.IsDir() {
			notes = append(notes, dir+" is not a directory: not hidden")
			continue
		}
		if err := unix.Mount("safeclaw-hidden", dir, "tmpfs", unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "mode=0"); err != nil {
			return nil, nil, fmt.Errorf("hide %s: %w", dir, err)
		}
		mounted = append(mounted, "hidden "+dir)
	}
	for _, p := range cleanPaths(readOnly) {
		if underAny(p, hide) {
			continue
		}
		if _, err := os.Stat(p); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			return nil, nil, err
		}
		if err := bindReadOnly(p); err != nil {
			return nil, nil, err
		}
		mounted = append(mounted, "read-only "+p)
	}
	return mounted, notes, nil
}

// bindReadOnly bind-mounts p read-only over itself.
func bindReadOnly(p string) error {
	if err := unix.Mount(p, p, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind %s: %w", p, err)
	}
	var st unix.Statfs_t
	flags := uintptr(0)
	if unix.Statfs(p, &st) == nil {
		flags = mountFlagsOf(st.Flags)
	}
	if err := unix.Mount("", p, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY|flags, ""); err != nil {
		return fmt.Errorf("make %s read-only: %w", p, err)
	}
	return nil
}

// bindReadOnlyRecursive bind-mounts p over itself with every mount below
// it, and makes all of them read-only. In a user namespace the target
// creates, these read-only mounts are locked like those of bindReadOnly.
func bindReadOnlyRecursive(p string) error {
	if err := unix.Mount(p, p, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind %s: %w", p, err)
	}
	attr := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY}
	if err := unix.MountSetattr(unix.AT_FDCWD, p, unix.AT_RECURSIVE, &attr); err != nil {
		// Before Linux 5.12: the bind stays writable, as p was.
		return fmt.Errorf("make %s and the mounts below it read-only: %w", p, err)
	}
	return nil
}

// mountFlagsOf keeps the locked flags of the mount a path lives on: a
// remount in a user namespace may not clear them.
func mountFlagsOf(f int64) uintptr {
	var out uintptr
	for st, ms := range map[int64]uintptr{unix.ST_NOSUID: unix.MS_NOSUID, unix.ST_NODEV: unix.MS_NODEV, unix.ST_NOEXEC: unix.MS_NOEXEC,
		unix.ST_NOATIME: unix.MS_NOATIME, unix.ST_NODIRATIME: unix.MS_NODIRATIME, unix.ST_RELATIME: unix.MS_RELATIME} {
		if f&st != 0 {
			out |= ms
		}
	}
	return out
}

func cleanPaths(ps []string) []string {
	var out []string
	for _, p := range ps {
		if p == "" || !filepath.IsAbs(p) {
			continue
		}
		if r, err := filepath.EvalSymlinks(p); err == nil {
			p = r
		}
		out = append(out, filepath.Clean(p))
	}
	sort.Strings(out)
	// Drop paths inside an earlier one: the outer mount already covers them.
	var kept []string
	for _, p := range out {
		if !underAny(p, kept) {
			kept = append(kept, p)
		}
	}
	return kept
}

func underAny(p string, dirs []string) bool {
	for _, d := range dirs {
		if p == d || strings.HasPrefix(p, d+"/") || d == "/" {
			return true
		}
	}
	return false
}

// ancestorsOf returns the existing directories above the existing paths
// ps, below the root, shallowest first (an outer one is pinned before the
// ones inside it).
func ancestorsOf(ps []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range ps {
		if _, err := os.Lstat(p); err != nil {
			continue
		}
		for d := filepath.Dir(p); d != "/" && d != "." && !seen[d]; d = filepath.Dir(d) {
			seen[d] = true
			if fi, err := os.Stat(d); err == nil && fi.IsDir() {
				out = append(out, d)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if a, b := strings.Count(out[i], "/"), strings.Count(out[j], "/"); a != b {
			return a < b
		}
		return out[i] < out[j]
	})
	return out
}

// storageCharDevices match the character devices that reach a disk's
// blocks, like block devices do: SCSI generic (sg0), block SCSI generic
// (bsg/...), NVMe controllers and their generic namespaces (nvme0, ng0n1)
// and raw flash (mtd0).
func storageCharDevice(rel string) bool {
	name := filepath.Base(rel)
	trim := func(prefix string) string { return strings.TrimLeft(strings.TrimPrefix(name, prefix), "0123456789") }
	switch {
	case strings.HasPrefix(rel, "bsg/"):
		return true
	case strings.HasPrefix(name, "sg") && trim("sg") == "" && len(name) > 2,
		strings.HasPrefix(name, "nvme") && trim("nvme") == "" && len(name) > 4,
		strings.HasPrefix(name, "mtd") && len(name) > 3:
		return true
	case strings.HasPrefix(name, "ng") && len(name) > 2:
		rest := trim("ng")
		return strings.HasPrefix(rest, "n")
	}
	return false
}

// fenceDevices makes the storage device nodes below dir unopenable in the
// mount namespace: each is bind-mounted over itself with nodev. A root
// target (uid 0 without capabilities) passes the permission check of
// /dev/sda and its kin, and reading a disk's blocks reads safeclaw's
// hidden state (keys, audit trail) past the mounts that hide it; writing
// them changes any file. Nothing in the run can lift the flag: the target
// has no capabilities, a user namespace it creates cannot unmount or
// remount a locked mount, and it cannot make device nodes of its own.
// Failing to fence one is fatal: the hiding would be a pretence.
func fenceDevices(dir string) (mounted []string, err error) {
	var failed []string
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() {
			switch p {
			case dir + "/pts", dir + "/shm", dir + "/mqueue", dir + "/hugepages":
				return fs.SkipDir
			}
			return nil
		}
		t := d.Type()
		rel, _ := filepath.Rel(dir, p)
		if t&fs.ModeDevice == 0 || (t&fs.ModeCharDevice != 0 && !storageCharDevice(rel)) {
			return nil
		}
		if err := fenceNode(p); err != nil {
			failed = append(failed, fmt.Sprintf("%s: %v", p, err))
			return nil
		}
		mounted = append(mounted, "no device "+p)
		return nil
	})
	if len(failed) > 0 {
		return nil, errors.New(strings.Join(failed, "; "))
	}
	return mounted, nil
}

// fenceNode bind-mounts the device node p over itself with nodev (and
// read-only): an open through the mount fails with EACCES.
func fenceNode(p string) error {
	if err := unix.Mount(p, p, "", unix.MS_BIND, ""); err != nil {
		return err
	}
	return unix.Mount("", p, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY|unix.MS_NODEV|unix.MS_NOSUID|unix.MS_NOEXEC, "")
}

// mountEntry is one line of /proc/self/mountinfo: the file system's
// device, the directory of it mounted (root) and where (point).
type mountEntry struct {
	dev, root, point string
}

// readMountInfo reads the stub's mount table (nil when it cannot).
func readMountInfo() []mountEntry {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	var out []mountEntry
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		out = append(out, mountEntry{dev: f[2], root: unescapeMount(f[3]), point: unescapeMount(f[4])})
	}
	return out
}

// unescapeMount decodes the octal escapes (\040) of mountinfo paths.
func unescapeMount(s string) string {
	if !strings.Contains(s, "\\") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// withAliases adds to ps (clean absolute paths) every other path that
// reaches the same file through another mount of its file system. An
// alias counts only when it is the very same file (device and inode), so
// a path shadowed there by another mount is left alone.
func withAliases(ps []string, mounts []mountEntry) []string {
	out := append([]string(nil), ps...)
	seen := map[string]bool{}
	for _, p := range ps {
		seen[p] = true
	}
	for _, p := range ps {
		var st unix.Stat_t
		if unix.Stat(p, &st) != nil {
			continue
		}
		// The mount p lives on: the longest mount point above it (the last
		// one listed wins among equals: it is on top).
		on := -1
		for i, m := range mounts {
			if underAny(p, []string{m.point}) && (on < 0 || len(m.point) >= len(mounts[on].point)) {
				on = i
			}
		}
		if on < 0 {
			continue
		}
		rel, err := filepath.Rel(mounts[on].point, p)
		if err != nil {
			continue
		}
		inFS := filepath.Join(mounts[on].root, rel) // p's path inside its file system
		for i, m := range mounts {
			if i == on || m.dev != mounts[on].dev || !underAny(inFS, []string{m.root}) {
				continue
			}
			r, err := filepath.Rel(m.root, inFS)
			if err != nil {
				continue
			}
			alias := filepath.Join(m.point, r)
			var ast unix.Stat_t
			if seen[alias] || unix.Stat(alias, &ast) != nil || ast.Dev != st.Dev || ast.Ino != st.Ino {
				continue
			}
			seen[alias] = true
			out = append(out, alias)
		}
	}
	return cleanPaths(out)
}
