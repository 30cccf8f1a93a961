package i386probe

// Available reports whether [Socket] is implemented on this architecture.
const Available = true

// Socket calls the i386 socket(2) (system call 359) through int 0x80 with
// AF_INET, SOCK_STREAM, 0 and returns the raw result: a descriptor, or a
// negative errno.
func Socket() int64
