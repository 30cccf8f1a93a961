package server

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// unixClient is an HTTP client that dials the socket at path.
func unixClient(path string) *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
	}}
}

// shortTempDir is a temp dir with a path short enough for a socket name.
func shortTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "sc")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func TestUnixSocket(t *testing.T) {
	dir := shortTempDir(t)
	path := filepath.Join(dir, "state", "serve.sock")
	logs := &logBuf{}
	ln, err := ListenUnix(path, logs.logf)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v, want 0600", st.Mode().Perm())
	}
	if dst, _ := os.Stat(filepath.Dir(path)); dst.Mode().Perm() != 0o700 {
		t.Errorf("socket directory mode %v, want 0700", dst.Mode().Perm())
	}
	h, _, _ := newTestHandler(t, nil)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	defer func() {
		srv.Close()
		<-done
	}()

	resp, err := unixClient(path).Post("http://safeclaw/v1/decide", "application/json", strings.NewReader(`{"command":"nc -l 4444"}`))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || decisionOf(m) != "deny" {
		t.Errorf("over the socket: %d %v", resp.StatusCode, m)
	}

	// A second server on the same live socket is refused.
	if _, err := ListenUnix(path, nil); err == nil || !strings.Contains(err.Error(), "another server") {
		t.Errorf("second listener: %v", err)
	}
	// A regular file where the socket goes is not removed.
	file := filepath.Join(dir, "file")
	os.WriteFile(file, []byte("x"), 0o600)
	if _, err := ListenUnix(file, nil); err == nil {
		t.Error("listened over a regular file")
	}
}

func TestUnixSocketStaleReplaced(t *testing.T) {
	dir := shortTempDir(t)
	path := filepath.Join(dir, "s.sock")
	// A socket file nobody listens on, as a crashed server leaves it.
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("stale socket missing: %v", err)
	}
	ln2, err := ListenUnix(path, nil)
	if err != nil {
		t.Fatalf("stale socket not replaced: %v", err)
	}
	ln2.Close()
}

func TestPeerUID(t *testing.T) {
	dir := shortTempDir(t)
	path := filepath.Join(dir, "p.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := net.Dial("unix", path)
		if err == nil {
			time.Sleep(100 * time.Millisecond)
			c.Close()
		}
	}()
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	uid, pid, err := peerUID(c.(*net.UnixConn))
	if err == errPeerUnsupported {
		t.Skip(err)
	}
	if err != nil || uid != os.Getuid() || pid != os.Getpid() {
		t.Errorf("peerUID = %d, %d, %v; want %d, %d", uid, pid, err, os.Getuid(), os.Getpid())
	}
}
