//go:build unix

package audit

import (
	"os"
	"syscall"
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
