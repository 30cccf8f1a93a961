//go:build !linux

package server

import "net"

// peerUID is not implemented here: the socket's file mode is the check.
func peerUID(*net.UnixConn) (uid, pid int, err error) { return 0, 0, errPeerUnsupported }
