package audit

import (
	"os"
	"syscall"
)

// openFile is os.OpenFile without the poller: os.OpenFile tries to register
// every file with the runtime's poller (four more system calls, which fail
// for regular files and directories), and an append opens three files.
// The descriptor is blocking, as os.OpenFile leaves a regular file.
func openFile(name string, flag int, perm os.FileMode) (*os.File, error) {
	for {
		fd, err := syscall.Open(name, flag|syscall.O_CLOEXEC, uint32(perm.Perm()))
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "open", Path: name, Err: err}
		}
		return os.NewFile(uintptr(fd), name), nil
	}
}
