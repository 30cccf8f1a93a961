//go:build darwin || freebsd || netbsd || openbsd || dragonfly

package approval

import (
	"syscall"
	"unsafe"
)

// IsTerminal reports whether fd is a terminal.
func IsTerminal(fd uintptr) bool {
	var t syscall.Termios
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCGETA, uintptr(unsafe.Pointer(&t)))
	return errno == 0
}

// flushInput discards what is waiting in the terminal's input queue:
// type-ahead, or keystrokes pushed in by another process (TIOCSTI).
func flushInput(fd uintptr) {
	which := int32(1) // FREAD: the input queue
	_, _, _ = syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCFLUSH, uintptr(unsafe.Pointer(&which)))
}
