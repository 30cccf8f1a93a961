//go:build linux && amd64

package sandbox

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// readMem copies len(buf) bytes at addr from process pid (a thread id works)
// and returns how many were read.
func readMem(pid int, addr uint64, buf []byte) (int, error) {
	if len(buf) == 0 {
		return 0, nil
	}
	local := []unix.Iovec{{Base: &buf[0], Len: uint64(len(buf))}}
	remote := []unix.RemoteIovec{{Base: uintptr(addr), Len: len(buf)}}
	n, err := unix.ProcessVMReadv(pid, local, remote, 0)
	if err != nil {
		return 0, err
	}
	return n, nil
}

// readString reads a NUL-terminated string of at most max bytes, page by
// page so that a string ending just before an unmapped page is still read.
func readString(pid int, addr uint64, max int) (string, error) {
	if addr == 0 {
		return "", unix.EFAULT
	}
	var out []byte
	for len(out) < max {
		chunk := 4096 - int(addr%4096)
		if chunk > max-len(out) {
			chunk = max - len(out)
		}
		buf := make([]byte, chunk)
		n, err := readMem(pid, addr, buf)
		if err != nil {
			return "", err
		}
		if i := bytes.IndexByte(buf[:n], 0); i >= 0 {
			return string(append(out, buf[:i]...)), nil
		}
		out = append(out, buf[:n]...)
		addr += uint64(n)
		if n < chunk {
			return "", unix.EFAULT
		}
	}
	return string(out), errors.New("string too long")
}

// readArgv reads up to maxArgs strings of a NULL-terminated pointer array.
// The second result reports truncation.
func readArgv(pid int, addr uint64, maxArgs, maxLen int) ([]string, bool, error) {
	if addr == 0 {
		return nil, false, nil
	}
	var out []string
	for i := 0; i < maxArgs; i++ {
		var p [8]byte
		if _, err := readMem(pid, addr+uint64(8*i), p[:]); err != nil {
			return out, false, err
		}
		ptr := *(*uint64)(unsafe.Pointer(&p[0]))
		if ptr == 0 {
			return out, false, nil
		}
		s, err := readString(pid, ptr, maxLen)
		if err != nil && s == "" {
			return out, false, err
		}
		out = append(out, s)
	}
	return out, true, nil
}

// procStatus returns the named fields of /proc/<pid>/status.
func procStatus(pid int, names ...string) (map[string]string, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(names))
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		for _, n := range names {
			if k == n {
				out[n] = strings.TrimSpace(v)
			}
		}
	}
	return out, nil
}

// tgidOf returns the thread group (process) id of thread tid.
func tgidOf(tid int) (int, error) {
	st, err := procStatus(tid, "Tgid")
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(st["Tgid"])
}

// procStat is the part of /proc/<pid>/stat the supervisor uses.
type procStat struct {
	ppid       int
	startTime  uint64 // clock ticks since boot; with the pid it names a process uniquely
	startStack uint64 // address of the stack's start: a new image (with ASLR) gets a new one
}

func readProcStat(pid int) (procStat, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, err
	}
	// comm may contain spaces and parentheses: fields start after the last ')'.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	f := strings.Fields(string(data[i+1:]))
	// f[0] is state (field 3); ppid is field 4, starttime field 22,
	// startstack field 28.
	if len(f) < 26 {
		return procStat{}, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	ppid, err := strconv.Atoi(f[1])
	if err != nil {
		return procStat{}, err
	}
	start, err := strconv.ParseUint(f[19], 10, 64)
	if err != nil {
		return procStat{}, err
	}
	stack, _ := strconv.ParseUint(f[25], 10, 64)
	return procStat{ppid: ppid, startTime: start, startStack: stack}, nil
}

func procComm(tid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", tid))
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(b))
}

func procLink(pid int, name string) string {
	s, err := os.Readlink(fmt.Sprintf("/proc/%d/%s", pid, name))
	if err != nil {
		return ""
	}
	return s
}

// exeID identifies a process's executable file, to notice whether an exec
// really happened.
type exeID struct{ dev, ino uint64 }

func procExeID(pid int) exeID {
	var st unix.Stat_t
	if err := unix.Stat(fmt.Sprintf("/proc/%d/exe", pid), &st); err != nil {
		return exeID{}
	}
	return exeID{dev: st.Dev, ino: st.Ino}
}

// hasCap reports whether thread tid has capability c in its effective set.
func hasCap(tid int, c uint) bool {
	st, err := procStatus(tid, "CapEff")
	if err != nil {
		return false
	}
	v, err := strconv.ParseUint(st["CapEff"], 16, 64)
	if err != nil {
		return false
	}
	return v&(1<<c) != 0
}

// mayBindPrivileged reports whether thread tid could bind a port below
// net.ipv4.ip_unprivileged_port_start on socket sock itself: it needs
// CAP_NET_BIND_SERVICE over the user namespace owning the socket's network
// namespace. /proc shows capabilities relative to the thread's own user
// namespace, and any process can create one and hold every capability
// there, so the bit counts only when the thread's user namespace is the
// socket's. (A thread in an ancestor namespace is refused too: fail
// closed.)
func mayBindPrivileged(tid, sock int) bool {
	if !hasCap(tid, unix.CAP_NET_BIND_SERVICE) {
		return false
	}
	netns, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(sock), unix.SIOCGSKNS, 0)
	if e != 0 {
		return false
	}
	defer unix.Close(int(netns))
	owner, _, e := unix.Syscall(unix.SYS_IOCTL, netns, unix.NS_GET_USERNS, 0)
	if e != 0 {
		return false
	}
	defer unix.Close(int(owner))
	var own, theirs unix.Stat_t
	if unix.Fstat(int(owner), &own) != nil || unix.Stat(fmt.Sprintf("/proc/%d/ns/user", tid), &theirs) != nil {
		return false
	}
	return own.Dev == theirs.Dev && own.Ino == theirs.Ino
}

// unprivilegedPortStart is net.ipv4.ip_unprivileged_port_start (1024 when unreadable).
func unprivilegedPortStart() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_unprivileged_port_start")
	if err != nil {
		return 1024
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 1024
	}
	return n
}
