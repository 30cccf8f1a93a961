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

// openRegular opens a file of the trail (a segment or the head) or the key
// (follow set): it must be a regular file, so that a FIFO put in its place
// cannot block the open or the reads (a hook held until its deadline, a
// verify or query held for ever), and, unless follow is set, not a
// symbolic link, so that appends never write through one to a file
// outside the log directory. Anything else is an *os.PathError wrapping
// errNotRegular.
func openRegular(name string, flag int, perm os.FileMode, follow bool) (*os.File, error) {
	f, _, err := openRegularID(name, flag, perm, follow)
	return f, err
}

// openRegularID is openRegular that also returns the file's identity, from
// the fstat that checked its type.
func openRegularID(name string, flag int, perm os.FileMode, follow bool) (*os.File, fileID, error) {
	extra := syscall.O_CLOEXEC | syscall.O_NONBLOCK
	if !follow {
		extra |= syscall.O_NOFOLLOW
	}
	for {
		fd, err := syscall.Open(name, flag|extra, uint32(perm.Perm()))
		if err == syscall.EINTR {
			continue
		}
		if err == syscall.ELOOP && !follow {
			// O_NOFOLLOW on a symbolic link (or a chain too long to
			// follow, which is not a file safeclaw wrote either).
			return nil, fileID{}, &os.PathError{Op: "open", Path: name, Err: notRegular("a symbolic link")}
		}
		if err != nil {
			return nil, fileID{}, &os.PathError{Op: "open", Path: name, Err: err}
		}
		var st syscall.Stat_t
		if err := syscall.Fstat(fd, &st); err != nil {
			syscall.Close(fd)
			return nil, fileID{}, &os.PathError{Op: "stat", Path: name, Err: err}
		}
		if st.Mode&syscall.S_IFMT != syscall.S_IFREG {
			syscall.Close(fd)
			return nil, fileID{}, &os.PathError{Op: "open", Path: name, Err: notRegular(fileKind(uint32(st.Mode)))}
		}
		// O_NONBLOCK only kept the open from waiting; reads and writes of a
		// regular file ignore it, but clear it so the descriptor is what
		// os.OpenFile would give. F_SETFL changes only the status flags
		// (O_APPEND, O_NONBLOCK and kin) and ignores the others, so the
		// open's own flags without O_NONBLOCK are the flags to set: one
		// call, where syscall.SetNonblock reads them back first.
		if err := setfl(fd, (flag|extra)&^syscall.O_NONBLOCK); err != nil {
			syscall.Close(fd)
			return nil, fileID{}, &os.PathError{Op: "open", Path: name, Err: err}
		}
		return os.NewFile(uintptr(fd), name), fileID{uint64(st.Dev), uint64(st.Ino)}, nil
	}
}

func setfl(fd, flags int) error {
	for {
		_, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_SETFL, uintptr(flags))
		if e == syscall.EINTR {
			continue
		}
		if e != 0 {
			return e
		}
		return nil
	}
}

func fileKind(mode uint32) string {
	switch mode & syscall.S_IFMT {
	case syscall.S_IFDIR:
		return "a directory"
	case syscall.S_IFIFO:
		return "a FIFO"
	case syscall.S_IFSOCK:
		return "a socket"
	case syscall.S_IFCHR, syscall.S_IFBLK:
		return "a device"
	case syscall.S_IFLNK:
		return "a symbolic link"
	}
	return "not a regular file"
}
