//go:build !linux

package audit

import (
	"os"
)

// openFile is os.OpenFile (see open_linux.go).
func openFile(name string, flag int, perm os.FileMode) (*os.File, error) {
	return os.OpenFile(name, flag, perm)
}

// openRegular opens a regular file (see open_linux.go). Here the type is
// checked before and after the open, which leaves a window that the
// Linux version does not have.
func openRegular(name string, flag int, perm os.FileMode, follow bool) (*os.File, error) {
	stat := os.Lstat
	if follow {
		stat = os.Stat
	}
	if fi, err := stat(name); err == nil && !fi.Mode().IsRegular() {
		return nil, &os.PathError{Op: "open", Path: name, Err: notRegular(modeKindOf(fi.Mode()))}
	}
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		if err != nil {
			return nil, err
		}
		return nil, &os.PathError{Op: "open", Path: name, Err: notRegular(modeKindOf(fi.Mode()))}
	}
	return f, nil
}

// openRegularID is openRegular that also returns the file's identity.
func openRegularID(name string, flag int, perm os.FileMode, follow bool) (*os.File, fileID, error) {
	f, err := openRegular(name, flag, perm, follow)
	if err != nil {
		return nil, fileID{}, err
	}
	id, err := fstatID(f)
	if err != nil {
		f.Close()
		return nil, fileID{}, err
	}
	return f, id, nil
}
