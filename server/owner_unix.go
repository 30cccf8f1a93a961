//go:build unix

package server

import (
	"io/fs"
	"syscall"
)

// fileOwner returns the uid that owns the file st describes.
func fileOwner(st fs.FileInfo) (int, bool) {
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		return int(sys.Uid), true
	}
	return 0, false
}
