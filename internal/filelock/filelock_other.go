//go:build !unix

// Package filelock takes exclusive advisory locks on lock files, which
// safeclaw's processes use to change a shared file one at a time.
package filelock

import "errors"

// Lock is unavailable off Unix: it returns errors.ErrUnsupported.
func Lock(string) (func(), error) {
	return nil, errors.ErrUnsupported
}

// LockDir is unavailable off Unix: it returns errors.ErrUnsupported.
func LockDir(string) (func(), error) {
	return nil, errors.ErrUnsupported
}
