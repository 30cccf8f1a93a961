//go:build unix

package classify

import (
	"io/fs"
	"syscall"
)

// dirKey identifies the directory fi describes, when the system says.
func dirKey(fi fs.FileInfo) (fileKey, bool) {
	if fi == nil || !fi.IsDir() {
		return fileKey{}, false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileKey{}, false
	}
	return fileKey{dev: uint64(st.Dev), ino: uint64(st.Ino)}, true
}
