//go:build !linux

package cli

// keepMemoryPrivate has no portable equivalent outside Linux.
func keepMemoryPrivate() {}
