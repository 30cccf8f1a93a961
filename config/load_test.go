package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestLoad: config.yaml that is anything but a small readable regular file
// (or absent) fails closed with a message naming it, and never blocks.
func TestLoad(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	link := func(name, target string) string {
		p := filepath.Join(dir, name)
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	shadow := write("shadow.yaml", "mode: shadow\n")
	fifo := filepath.Join(dir, "fifo.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "dir.yaml")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	unreadable := write("unreadable.yaml", "mode: shadow\n")
	if err := os.Chmod(unreadable, 0); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string
		mode       Mode   // when it loads
		wantErr    string // else a substring of the error
	}{
		{name: "missing means defaults", path: filepath.Join(dir, "absent.yaml"), mode: Enforce},
		{name: "a regular file", path: shadow, mode: Shadow},
		{name: "a symbolic link to a regular file", path: link("link.yaml", shadow), mode: Shadow},
		{name: "a symbolic link leading nowhere", path: link("dangling.yaml", filepath.Join(dir, "gone.yaml")),
			wantErr: "dangling.yaml: cannot read the config: it is a symbolic link to \"" + filepath.Join(dir, "gone.yaml") + "\", which does not exist"},
		{name: "a symbolic link loop", path: link("loop.yaml", "loop.yaml"), wantErr: "loop.yaml: cannot read the config: too many levels of symbolic links"},
		{name: "a FIFO", path: fifo, wantErr: "fifo.yaml: cannot read the config: it is a FIFO, not a regular file"},
		{name: "a symbolic link to a FIFO", path: link("tofifo.yaml", fifo), wantErr: "tofifo.yaml: cannot read the config: it is a FIFO, not a regular file"},
		{name: "a directory", path: sub, wantErr: "dir.yaml: cannot read the config: it is a directory, not a regular file"},
		{name: "a device", path: link("null.yaml", "/dev/null"), wantErr: "null.yaml: cannot read the config: it is a device, not a regular file"},
		{name: "a huge file", path: write("huge.yaml", "# "+strings.Repeat("x", MaxFileBytes)+"\n"), wantErr: "huge.yaml: cannot read the config: it is larger than 1048576 bytes"},
		{name: "bad contents name the file and position", path: write("typo.yaml", "mode: shadw\n"), wantErr: "typo.yaml:1:7: unknown mode \"shadw\" (did you mean \"shadow\"?)"},
		{name: "an unreadable file", path: unreadable, wantErr: "unreadable.yaml: cannot read the config: permission denied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.path == unreadable && os.Geteuid() == 0 {
				t.Skip("root reads any file")
			}
			type result struct {
				c   *Config
				err error
			}
			done := make(chan result, 1)
			go func() { c, err := Load(tt.path); done <- result{c, err} }()
			var r result
			select {
			case r = <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("Load blocked")
			}
			if tt.wantErr != "" {
				if r.err == nil || !strings.Contains(r.err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", r.err, tt.wantErr)
				}
				if r.c != nil {
					t.Fatalf("a config with the error: %+v", r.c)
				}
				return
			}
			if r.err != nil || r.c.Mode != tt.mode {
				t.Fatalf("%+v, %v; want mode %s", r.c, r.err, tt.mode)
			}
		})
	}
	if c, err := Load(filepath.Join(dir, "absent.yaml")); err != nil || !reflect.DeepEqual(c, Default()) {
		t.Errorf("absent: %+v, %v", c, err)
	}
}
