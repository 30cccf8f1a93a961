package classify

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCanonicalPathLexical(t *testing.T) {
	const c, h = "/nonexistent-safeclaw-test/proj", "/nonexistent-safeclaw-test/home/dev"
	tests := []struct{ in, want string }{
		{"", c},
		{".", c},
		{"a.txt", c + "/a.txt"},
		{"./a/../b", c + "/b"},
		{"~", h},
		{"~/.ssh/id_rsa", h + "/.ssh/id_rsa"},
		{"~other/x", c + "/~other/x"}, // only the user's own ~ is expanded
		{"//etc///passwd", "/etc/passwd"},
		{"/a/b/../../../../etc", "/etc"},
		// H19: a long workspace prefix walked back out with "..".
		{"/proj/" + strings.Repeat("a", 190) + "/../../../../etc/cron.d/x", "/etc/cron.d/x"},
		// H20.
		{"/proj/../home/dev/.bashrc", "/home/dev/.bashrc"},
	}
	for _, tt := range tests {
		if got := CanonicalPath(tt.in, c, h); got != tt.want {
			t.Errorf("CanonicalPath(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := CanonicalPath("a/../b", "", h); got != "b" {
		t.Errorf("relative without cwd: %q", got)
	}
}

func TestCanonicalPathSymlinks(t *testing.T) {
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	mk := func(p string) {
		if err := os.MkdirAll(filepath.Join(root, p), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ln := func(target, name string) {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	mk("proj")
	mk("home/.ssh")
	mk("a/b")
	ln(root+"/home/.ssh", "proj/link")     // absolute target
	ln("../a/b", "proj/rel")               // relative target
	ln("loop2", "proj/loop1")              // a loop
	ln("loop1", "proj/loop2")              //
	ln(root+"/proj/link", "proj/linklink") // a chain

	tests := []struct{ in, want string }{
		{"proj/link/authorized_keys", root + "/home/.ssh/authorized_keys"}, // H21
		{"proj/linklink/config", root + "/home/.ssh/config"},
		{"proj/rel/x", root + "/a/b/x"},
		// The kernel resolves the link before "..": /proj/link/.. is /home.
		{"proj/link/../.bashrc", root + "/home/.bashrc"},
		// Missing parents are plain directories; ".." after them comes back.
		{"proj/new/../link/k", root + "/home/.ssh/k"},
		{"proj/missing/file", root + "/proj/missing/file"},
		// A loop falls back to the lexical path.
		{"proj/loop1/x", root + "/proj/loop1/x"},
	}
	for _, tt := range tests {
		if got := CanonicalPath(tt.in, root, ""); got != tt.want {
			t.Errorf("CanonicalPath(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNormalizeHost(t *testing.T) {
	tests := []struct{ in, host, note string }{
		{"Example.COM.", "example.com", ""},
		{"169.254.169.254", "169.254.169.254", "link-local address (cloud metadata service)"},
		{"2852039166", "169.254.169.254", "link-local address (cloud metadata service)"},
		{"0xa9fea9fe", "169.254.169.254", "link-local address (cloud metadata service)"},
		{"0251.0376.0251.0376", "169.254.169.254", "link-local address (cloud metadata service)"},
		{"169.254.43518", "169.254.169.254", "link-local address (cloud metadata service)"},
		{"[::ffff:169.254.169.254]", "169.254.169.254", "link-local address (cloud metadata service)"},
		{"fd00:ec2::254", "fd00:ec2::254", "link-local address (cloud metadata service)"},
		{"127.1", "127.0.0.1", "loopback address"},
		{"localhost", "localhost", "loopback address"},
		{"[::1]", "::1", "loopback address"},
		{"10.0.0.1", "10.0.0.1", "private network address"},
		{"0", "0.0.0.0", "unspecified address"},
		{"1e100.net", "1e100.net", ""},
		{"256.1.1.1", "256.1.1.1", ""}, // not an address: a (bad) host name
	}
	for _, tt := range tests {
		host, note := NormalizeHost(tt.in)
		if host != tt.host || note != tt.note {
			t.Errorf("NormalizeHost(%q) = %q, %q; want %q, %q", tt.in, host, note, tt.host, tt.note)
		}
	}
}

func TestURLsInText(t *testing.T) {
	got := urlsInText(`Summarize https://example.org/a, and "http://2852039166/x" (see HTTPS://Docs.example/b). Not xhttp://no or http:// alone.`)
	want := []string{"https://example.org/a", "http://2852039166/x", "HTTPS://Docs.example/b"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("urlsInText = %q, want %q", got, want)
	}
}
