//go:build unix

package server

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestUnixSocketNeverOpenToOthers: the socket is 0600 from the moment its
// name exists, whatever the umask (it is bound under a temporary name and
// renamed into place), and its name goes when the server closes.
func TestUnixSocketNeverOpenToOthers(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := shortTempDir(t)
	path := filepath.Join(dir, "s.sock")
	ln, err := ListenUnix(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Lstat(path)
	if err != nil || st.Mode().Perm() != 0o600 || st.Mode()&os.ModeSocket == 0 {
		t.Fatalf("socket %v, %v; want a 0600 socket", st, err)
	}
	if names, _ := os.ReadDir(dir); len(names) != 1 {
		t.Errorf("left behind: %v", names)
	}
	ln.Close()
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Errorf("the socket outlived its server: %v", err)
	}
}

// TestUnixSocketDirectoryOfAnotherUser: a directory someone else owns is
// theirs to swap the socket in.
func TestUnixSocketDirectoryOfAnotherUser(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to give a directory away")
	}
	dir := filepath.Join(shortTempDir(t), "theirs")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if ln, err := ListenUnix(filepath.Join(dir, "s.sock"), nil); err == nil {
		ln.Close()
		t.Fatal("listened in another user's directory")
	} else if !strings.Contains(err.Error(), "belongs to uid 65534") {
		t.Errorf("error %v", err)
	}
}
