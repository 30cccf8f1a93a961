//go:build unix

// Package filelock takes exclusive advisory locks on lock files, which
// safeclaw's processes use to change a shared file one at a time.
package filelock

import (
	"os"
	"syscall"
)

// Lock takes an exclusive advisory lock on path (created 0600) and returns
// its release. The kernel drops the lock if the process dies.
func Lock(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	return lock(f)
}

// LockDir takes an exclusive advisory lock on the directory dir itself, so
// no lock file is left behind, and returns its release.
func LockDir(dir string) (func(), error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	return lock(f)
}

func lock(f *os.File) (func(), error) {
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
