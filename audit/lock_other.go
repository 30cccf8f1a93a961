//go:build !unix

package audit

import (
	"context"
	"errors"
	"os"
)

// flock is not implemented outside Unix: appends fail (and so deny) rather
// than risk a forked chain.
func flock(ctx context.Context, f *os.File, exclusive bool) error {
	return errors.New("audit: file locking is not supported on this system")
}

func funlock(f *os.File) error { return nil }
