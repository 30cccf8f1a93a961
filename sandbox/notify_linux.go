//go:build linux && amd64

package sandbox

import (
	"runtime"
	"unsafe"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// The kernel's seccomp user-notification structures (include/uapi/linux/seccomp.h).
type seccompData struct {
	Nr   int32
	Arch uint32
	IP   uint64
	Args [6]uint64
}

type seccompNotif struct {
	ID    uint64
	PID   uint32
	Flags uint32
	Data  seccompData
}

type seccompNotifResp struct {
	ID    uint64
	Val   int64
	Error int32
	Flags uint32
}

const (
	ioctlNotifRecv    = unix.SECCOMP_IOCTL_NOTIF_RECV
	ioctlNotifSend    = unix.SECCOMP_IOCTL_NOTIF_SEND
	ioctlNotifIDValid = unix.SECCOMP_IOCTL_NOTIF_ID_VALID
	notifFlagContinue = unix.SECCOMP_USER_NOTIF_FLAG_CONTINUE
)

// installFilter installs prog on every thread of the calling process and
// returns the notification listener. The caller must already have
// no_new_privs set (or CAP_SYS_ADMIN). It first asks for
// WAIT_KILLABLE_RECV (5.19+) and retries without it on older kernels; the
// second result says whether the flag was accepted.
func installFilter(prog []bpf.RawInstruction) (int, bool, error) {
	filter := make([]unix.SockFilter, len(prog))
	for i, in := range prog {
		filter[i] = unix.SockFilter{Code: in.Op, Jt: in.Jt, Jf: in.Jf, K: in.K}
	}
	fprog := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}
	base := uintptr(unix.SECCOMP_FILTER_FLAG_NEW_LISTENER | unix.SECCOMP_FILTER_FLAG_TSYNC | unix.SECCOMP_FILTER_FLAG_TSYNC_ESRCH)
	killable := true
	fd, _, errno := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, base|unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, uintptr(unsafe.Pointer(&fprog)))
	if errno == unix.EINVAL {
		killable = false
		fd, _, errno = unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, base, uintptr(unsafe.Pointer(&fprog)))
	}
	runtime.KeepAlive(filter)
	if errno != 0 {
		return -1, false, errno
	}
	return int(fd), killable, nil
}

// notifRecv blocks until a notification arrives.
func notifRecv(fd int, n *seccompNotif) error {
	*n = seccompNotif{}
	for {
		_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), ioctlNotifRecv, uintptr(unsafe.Pointer(n)))
		if errno == unix.EINTR {
			continue
		}
		if errno != 0 {
			return errno
		}
		return nil
	}
}

// notifSend answers a notification. ENOENT means the target was
// interrupted or died meanwhile; there is nobody left to answer.
func notifSend(fd int, r *seccompNotifResp) error {
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), ioctlNotifSend, uintptr(unsafe.Pointer(r)))
	if errno != 0 {
		return errno
	}
	return nil
}

// notifValid reports whether notification id is still pending: the target
// thread has not died or been interrupted, so the pid it names is still
// that thread and memory read on its behalf belongs to it.
func notifValid(fd int, id uint64) bool {
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), ioctlNotifIDValid, uintptr(unsafe.Pointer(&id)))
	return errno == 0
}
