//go:build linux && amd64

package sandbox

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// landlockABI returns the running kernel's Landlock ABI version, 0 when
// Landlock is unavailable (not built in, not enabled, or blocked).
func landlockABI() int {
	v, _, errno := unix.Syscall(unix.SYS_LANDLOCK_CREATE_RULESET, 0, 0, unix.LANDLOCK_CREATE_RULESET_VERSION)
	if errno != 0 {
		return 0
	}
	return int(v)
}

// landlockAttr is struct landlock_ruleset_attr up to the field the ABI knows
// (scoped arrived in ABI 6); its size is passed explicitly.
type landlockAttr struct {
	handledFS  uint64
	handledNet uint64
	scoped     uint64
}

// restrictLandlock restricts the calling thread (which then execs the
// target): with ABI 4+ no TCP bind or connect is allowed at all, so every
// network operation must go through the supervisor, which performs allowed
// ones itself; with ABI 6+ signals and abstract unix sockets are scoped to
// the target's own domain. Filesystem access is not handled here (see the
// mount namespace). It returns the ABI used; 0 means nothing was restricted.
func restrictLandlock() (int, error) {
	abi := landlockABI()
	if abi < 4 {
		return abi, nil
	}
	attr := landlockAttr{handledNet: unix.LANDLOCK_ACCESS_NET_BIND_TCP | unix.LANDLOCK_ACCESS_NET_CONNECT_TCP}
	size := unsafe.Sizeof(attr.handledFS) + unsafe.Sizeof(attr.handledNet)
	if abi >= 6 {
		attr.scoped = unix.LANDLOCK_SCOPE_SIGNAL | unix.LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
		size = unsafe.Sizeof(attr)
	}
	fd, _, errno := unix.Syscall(unix.SYS_LANDLOCK_CREATE_RULESET, uintptr(unsafe.Pointer(&attr)), size, 0)
	if errno != 0 {
		return abi, errno
	}
	defer unix.Close(int(fd))
	// No rules: no TCP port may be bound or connected by the target itself.
	if _, _, errno := unix.Syscall(unix.SYS_LANDLOCK_RESTRICT_SELF, fd, 0, 0); errno != 0 {
		return abi, errno
	}
	return abi, nil
}
