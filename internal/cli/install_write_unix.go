//go:build unix

package cli

import (
	"io/fs"
	"syscall"
)

// ownerOf is who owns the file fi describes.
func ownerOf(fi fs.FileInfo) fileOwner {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return fileOwner{int(st.Uid), int(st.Gid), true}
	}
	return fileOwner{}
}
