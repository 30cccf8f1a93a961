//go:build unix

package approval

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// CheckPrivateFile verifies that path is a regular file (not a symbolic
// link) owned by this process's user and readable by nobody else (no group
// or other permission bits), as an approver token or a webhook secret must be.
func CheckPrivateFile(path string) error {
	st, err := os.Lstat(path)
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", path)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("%s has mode %04o; it must be readable by its owner only (chmod 600)", path, st.Mode().Perm())
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok || int(sys.Uid) != os.Geteuid() {
		return fmt.Errorf("%s is not owned by the current user", path)
	}
	return nil
}

// checkStoreFiles checks the approval store at abs before it is opened:
// whoever can write the store, its -wal or -shm file, or create files in
// its directory can approve any request, and the store holds every request
// unredacted. So the directory must be writable by its owner only and be
// owned by this user (or root), and the files must be regular files (not
// symbolic links) that only their owner may write; files others may read
// are made private.
func checkStoreFiles(abs string) error {
	dir := filepath.Dir(abs)
	st, err := os.Stat(dir)
	if err != nil {
		return err
	}
	euid := os.Geteuid()
	if st.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("directory %s has mode %04o: others may write it, and so plant or replace the store's files (chmod 700 %s)", dir, st.Mode().Perm(), dir)
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok && euid != 0 && int(sys.Uid) != euid && sys.Uid != 0 {
		return fmt.Errorf("directory %s belongs to user %d, who may replace the store's files", dir, sys.Uid)
	}
	for _, name := range []string{abs, abs + "-wal", abs + "-shm", abs + "-journal"} {
		st, err := os.Lstat(name)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if !st.Mode().IsRegular() {
			return fmt.Errorf("%s is not a regular file", name)
		}
		perm := st.Mode().Perm()
		if perm&0o022 != 0 {
			return fmt.Errorf("%s has mode %04o: others may have written it; check it and make it private (chmod 600 %s)", name, perm, name)
		}
		if perm&0o044 != 0 {
			if err := os.Chmod(name, perm&0o700); err != nil {
				return fmt.Errorf("%s has mode %04o (readable by others): %w", name, perm, err)
			}
		}
	}
	return nil
}
