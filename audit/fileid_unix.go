//go:build unix

package audit

import (
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// fileID identifies a file (device and inode) to tell whether a path
// still names the file a handle has open.
type fileID struct{ dev, ino uint64 }

func (id fileID) known() bool { return id != fileID{} }

// statID returns the file name names and its size.
func statID(name string) (fileID, int64, error) {
	var st syscall.Stat_t
	for {
		err := syscall.Stat(name, &st)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return fileID{}, 0, &os.PathError{Op: "stat", Path: name, Err: err}
		}
		return fileID{uint64(st.Dev), uint64(st.Ino)}, st.Size, nil
	}
}

// dirStamp is when a directory's entries last changed, its ctime: while
// it stays the same nothing was added to, removed from or renamed in the
// directory (setting its times changes it too).
type dirStamp struct{ sec, nsec int64 }

func (s dirStamp) time() time.Time { return time.Unix(s.sec, s.nsec) }

// coarse reports a stamp in whole seconds.
func (s dirStamp) coarse() bool { return s.nsec == 0 }

// statStamp returns the directory name names and its stamp.
func statStamp(name string) (fileID, dirStamp, error) {
	var st unix.Stat_t
	for {
		err := unix.Stat(name, &st)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fileID{}, dirStamp{}, &os.PathError{Op: "stat", Path: name, Err: err}
		}
		return fileID{uint64(st.Dev), uint64(st.Ino)}, dirStamp{int64(st.Ctim.Sec), int64(st.Ctim.Nsec)}, nil
	}
}

// preadOnce reads from f at off with one system call: for a regular file
// that is all of b that the file holds there.
func preadOnce(f *os.File, b []byte, off int64) (int, error) {
	fd := int(f.Fd())
	for {
		n, err := syscall.Pread(fd, b, off)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return 0, &os.PathError{Op: "pread", Path: f.Name(), Err: err}
		}
		return n, nil
	}
}

// fileSize returns the size of the file f has open.
func fileSize(f *os.File) (int64, error) {
	var st syscall.Stat_t
	for {
		err := syscall.Fstat(int(f.Fd()), &st)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return 0, &os.PathError{Op: "fstat", Path: f.Name(), Err: err}
		}
		return st.Size, nil
	}
}

func fstatID(f *os.File) (fileID, error) {
	fi, err := f.Stat()
	if err != nil {
		return fileID{}, err
	}
	return infoID(fi), nil
}

// infoID is the fileID of what os.Stat returned.
func infoID(fi os.FileInfo) fileID {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return fileID{uint64(st.Dev), uint64(st.Ino)}
	}
	return fileID{}
}
