//go:build !linux

package audit

import "os"

// openFile is os.OpenFile (see open_linux.go).
func openFile(name string, flag int, perm os.FileMode) (*os.File, error) {
	return os.OpenFile(name, flag, perm)
}
