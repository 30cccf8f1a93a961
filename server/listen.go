package server

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
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
	// answer the agents' questions; a directory another user owns is theirs
	// to do that in.
	if st, err := os.Stat(dir); err != nil {
		return nil, err
	} else if st.Mode().Perm()&0o022 != 0 && st.Mode()&fs.ModeSticky == 0 {
		return nil, fmt.Errorf("%s: the socket's directory is writable by others (mode %04o); use a private directory", path, st.Mode().Perm())
	} else if owner, ok := fileOwner(st); ok && owner != os.Getuid() && owner != 0 {
		return nil, fmt.Errorf("%s: the socket's directory belongs to uid %d, not to you (uid %d); use a directory of your own", path, owner, os.Getuid())
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
	ln, err := listenPrivate(path)
	if err != nil {
		return nil, err
	}
	return &peerListener{Listener: ln, uid: os.Getuid(), logf: logf}, nil
}

// listenPrivate listens on a Unix socket at path that is 0600 from the
// moment it is reachable: it is bound under a temporary name, given its
// mode, and only then renamed into place, so there is no moment when the
// umask's mode lets others connect.
func listenPrivate(path string) (net.Listener, error) {
	var suffix [6]byte
	if _, err := rand.Read(suffix[:]); err != nil {
		return nil, err
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+"."+hex.EncodeToString(suffix[:]))
	l, err := net.Listen("unix", tmp)
	if err != nil {
		return nil, err
	}
	ul := l.(*net.UnixListener)
	// Close must not remove the temporary name: it will not exist.
	ul.SetUnlinkOnClose(false)
	if err := os.Chmod(tmp, 0o600); err != nil {
		ul.Close()
		os.Remove(tmp)
		return nil, err
	}
	if err := os.Rename(tmp, path); err != nil {
		ul.Close()
		os.Remove(tmp)
		return nil, err
	}
	return &unlinkOnClose{UnixListener: ul, path: path}, nil
}

// unlinkOnClose removes the socket's final name when the listener closes.
type unlinkOnClose struct {
	*net.UnixListener
	path string
	once sync.Once
}

func (l *unlinkOnClose) Close() error {
	err := l.UnixListener.Close()
	l.once.Do(func() { os.Remove(l.path) })
	return err
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
