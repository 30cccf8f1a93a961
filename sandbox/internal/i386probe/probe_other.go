//go:build !amd64

package i386probe

// Available reports whether [Socket] is implemented on this architecture.
const Available = false

// Socket is not implemented here; it returns -38 (ENOSYS).
func Socket() int64 { return -38 }
