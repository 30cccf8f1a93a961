//go:build !unix

package cli

import "os"

// pollable returns f: only Unix pipes and sockets are switched to the
// poller (see pollable_unix.go).
func pollable(f *os.File) *os.File { return f }
