//go:build unix

package cli

import (
	"os"
	"syscall"
)

// lockSettingsDir takes an exclusive advisory lock on the directory dir
// (no lock file is left behind) and returns its release, so that installs
// and uninstalls that edit the same agent's settings run one at a time: a
// Codex hooks file and the trust recorded for it must not come from two
// different runs.
func lockSettingsDir(dir string) (func(), error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
