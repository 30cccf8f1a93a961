//go:build linux && amd64

package sandbox

import (
	"github.com/landlock-lsm/go-landlock/landlock"
	llsyscall "github.com/landlock-lsm/go-landlock/landlock/syscall"
	"golang.org/x/sys/unix"
)

// landlockABI returns the running kernel's Landlock ABI version, 0 when
// Landlock is unavailable (not built in, not enabled, or blocked).
func landlockABI() int {
	v, err := llsyscall.LandlockGetABIVersion()
	if err != nil {
		return 0
	}
	return v
}

// targetLandlock is what the target is denied: with ABI 4+ any TCP bind or
// connect of its own, so every network operation goes through the
// supervisor, which performs allowed ones itself; with ABI 6+ signals and
// abstract unix sockets reaching outside the target's own domain.
// Filesystem access is not handled here (see the mount namespace). Best
// effort: each part applies where the kernel's ABI has it.
var targetLandlock = landlock.Config{
	HandledAccessNet: llsyscall.AccessNetBindTCP | llsyscall.AccessNetConnectTCP,
	Scoped:           llsyscall.ScopeSignal | llsyscall.ScopeAbstractUnixSocket,
}.BestEffort()

// restrictLandlock restricts the calling thread, which must be locked to
// its goroutine, have no_new_privs set and exec the target next: a
// single-thread restriction is enough because nothing else runs in this
// process after the exec. No rules are added: no TCP port may be bound or
// connected by the target itself. It returns the ABI; 0, or an ABI below 4,
// means nothing was restricted.
func restrictLandlock() (int, error) {
	abi := landlockABI()
	if abi < 4 {
		return abi, nil
	}
	fd, flags, err := targetLandlock.NewRulesetFD()
	if err != nil || fd < 0 {
		return abi, err
	}
	defer unix.Close(fd)
	return abi, llsyscall.LandlockRestrictSelf(fd, flags)
}
