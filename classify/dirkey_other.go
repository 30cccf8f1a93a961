//go:build !unix

package classify

import "io/fs"

// dirKey has no portable device and inode outside Unix.
func dirKey(fs.FileInfo) (fileKey, bool) { return fileKey{}, false }
