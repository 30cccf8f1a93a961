//go:build !(linux && amd64)

package sandbox

import (
	"context"
	"runtime"
)

// Probe reports that this platform has no kernel enforcement.
func Probe() Capabilities {
	return Capabilities{OS: runtime.GOOS, Arch: runtime.GOARCH,
		Notes: []string{"safeclaw run enforces the policy with Linux Landlock and seccomp; it is not implemented on " + runtime.GOOS + "/" + runtime.GOARCH}}
}

// Run always fails here: see [ErrUnsupported].
func Run(ctx context.Context, s Spec) (int, error) { return ExitSandboxFailed, ErrUnsupported }

// RunShim is never reached on this platform; it fails if it is.
func RunShim() int { return ExitSandboxFailed }

// Supervised is always false here.
func Supervised() bool { return false }
