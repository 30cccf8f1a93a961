//go:build unix

package approval

import (
	"fmt"
	"os"
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
