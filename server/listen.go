package server

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ListenUnix listens on a Unix socket at path, readable and writable by
// this user only (0600, in a directory created 0700 when missing; a
// directory others may write to without the sticky bit is refused), and
// accepts only peers running as this process's uid (checked with
// SO_PEERCRED on Linux). A stale socket left by a crashed server is
// replaced; a live one is an error. Refused peers are reported to logf.
func ListenUnix(path string, logf func(format string, args ...any)) (net.Listener, error) {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	// Where others may write (and the sticky bit does not stop them), they
	// could remove the socket and put their own in its place, which would
	// answer the agents' questions.
	if st, err := os.Stat(dir); err != nil {
		return nil, err
	} else if st.Mode().Perm()&0o022 != 0 && st.Mode()&fs.ModeSticky == 0 {
		return nil, fmt.Errorf("%s: the socket's directory is writable by others (mode %04o); use a private directory", path, st.Mode().Perm())
	}
	if st, err := os.Lstat(path); err == nil {
		if st.Mode()&fs.ModeSocket == 0 {
			return nil, fmt.Errorf("%s exists and is not a socket", path)
		}
		if c, err := net.DialTimeout("unix", path, 200*time.Millisecond); err == nil {
			c.Close()
			return nil, fmt.Errorf("%s: another server is listening there", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("removing the stale socket: %w", err)
		}
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	// The directory is private already; the mode is the second fence.
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	return &peerListener{Listener: ln, uid: os.Getuid(), logf: logf}, nil
}

// peerListener drops connections from other users.
type peerListener struct {
	net.Listener
	uid  int
	logf func(format string, args ...any)
}

// Accept returns the next connection from a peer with the same uid.
func (l *peerListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		uc, ok := c.(*net.UnixConn)
		if !ok {
			return c, nil
		}
		uid, pid, err := peerUID(uc)
		switch {
		case errors.Is(err, errPeerUnsupported):
			return c, nil // the socket's mode is the check here
		case err != nil:
			l.logf("safeclaw: serve: refused a connection: reading its peer credentials: %v", err)
		case uid != l.uid:
			l.logf("safeclaw: serve: refused a connection from uid %d (pid %d): only uid %d may connect", uid, pid, l.uid)
		default:
			return c, nil
		}
		c.Close()
	}
}

// errPeerUnsupported is returned by peerUID where the system cannot say.
var errPeerUnsupported = errors.New("peer credentials are not supported on this system")

// CheckListenAddr validates a TCP listen address: a loopback IP (or
// "localhost", taken as 127.0.0.1) and a port. Any other address is refused
// unless allowPublic. It returns the address to listen on.
func CheckListenAddr(addr string, allowPublic bool) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("listen address %q: want HOST:PORT such as 127.0.0.1:7878", addr)
	}
	if port == "" {
		return "", fmt.Errorf("listen address %q: missing port", addr)
	}
	if strings.EqualFold(host, "localhost") {
		// Not resolved: a hosts file must not move the server off loopback.
		host = "127.0.0.1"
	}
	ip, err := netip.ParseAddr(host)
	switch {
	case host == "" || (err == nil && ip.IsUnspecified()):
		if !allowPublic {
			return "", fmt.Errorf("listen address %q listens on every interface; use 127.0.0.1 (or pass --allow-public)", addr)
		}
	case err != nil:
		return "", fmt.Errorf("listen address %q: the host must be an IP address or localhost", addr)
	case !ip.IsLoopback() && !allowPublic:
		return "", fmt.Errorf("listen address %q is not a loopback address; use 127.0.0.1 (or pass --allow-public)", addr)
	}
	return net.JoinHostPort(host, port), nil
}
