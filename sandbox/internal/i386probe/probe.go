// Package i386probe makes a 32-bit (int 0x80) system call from a 64-bit
// process, for the sandbox's evasion tests: the i386 ABI has its own system
// call numbers (and socketcall), so a filter that does not check the
// architecture first can be bypassed through it.
//
// It is only implemented on amd64; elsewhere [Available] is false.
package i386probe
