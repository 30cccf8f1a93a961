//go:build !linux && !darwin && !freebsd && !netbsd && !openbsd && !dragonfly

package approval

// IsTerminal reports whether fd is a terminal; without a way to ask, it
// says no, so commands that need a terminal refuse.
func IsTerminal(fd uintptr) bool { return false }

// flushInput does nothing where terminals are not known.
func flushInput(uintptr) {}
