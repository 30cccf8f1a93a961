//go:build unix

package cli

import (
	"os"
	"syscall"
)

// pollable returns f switched to non-blocking mode and read through the Go
// runtime's poller, when f is a pipe or a socket: a goroutine waiting for
// the client's next message then parks instead of holding a thread in a
// blocking read (about 7 % off a relayed MCP call here), and closing the
// file ends the wait. Terminals and files are left as they are: their
// blocking mode is shared with the processes around us.
func pollable(f *os.File) *os.File {
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		return f
	}
	if m := st.Mode & syscall.S_IFMT; m != syscall.S_IFIFO && m != syscall.S_IFSOCK {
		return f
	}
	if err := syscall.SetNonblock(int(f.Fd()), true); err != nil {
		return f
	}
	return os.NewFile(f.Fd(), f.Name())
}
