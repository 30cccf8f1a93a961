package cli

import "golang.org/x/sys/unix"

// keepMemoryPrivate marks the process non-dumpable: another process of the
// same user (an agent) can then neither ptrace it nor read its memory
// through /proc (the dashboard holds session secrets that answer
// approvals).
func keepMemoryPrivate() {
	_ = unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
}
