//go:build !linux

package approval_test

// helperInject is Linux only (see inject_linux_test.go).
func helperInject() int { return 2 }
