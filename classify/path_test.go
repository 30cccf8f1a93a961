package classify

import (
	"io/fs"
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

// ciFS is a fake case-insensitive, case-preserving file system (macOS's
// default): entries are keyed by their lower-cased absolute path and keep
// the name they were created with.
type ciFS map[string]ciEntry

type ciEntry struct {
	name string // as created
	link string // symlink target, "" for a directory or file
}

type ciInfo struct {
	fs.FileInfo
	name, id string
	link     bool
}

func (i ciInfo) Name() string { return i.name }
func (i ciInfo) Mode() fs.FileMode {
	if i.link {
		return fs.ModeSymlink | 0o777
	}
	return fs.ModeDir | 0o755
}
func (i ciInfo) IsDir() bool { return !i.link }
func (i ciInfo) Sys() any    { return nil }

func (f ciFS) add(path, link string) {
	for p := path; p != "/"; p = filepath.Dir(p) {
		if _, ok := f[strings.ToLower(p)]; !ok {
			f[strings.ToLower(p)] = ciEntry{name: filepath.Base(p)}
		}
	}
	f[strings.ToLower(path)] = ciEntry{name: filepath.Base(path), link: link}
}

func (f ciFS) Lstat(name string) (fs.FileInfo, error) {
	e, ok := f[strings.ToLower(filepath.Clean(name))]
	if !ok {
		return nil, fs.ErrNotExist
	}
	return ciInfo{name: e.name, id: strings.ToLower(filepath.Clean(name)), link: e.link != ""}, nil
}

func (f ciFS) Readlink(name string) (string, error) {
	e, ok := f[strings.ToLower(filepath.Clean(name))]
	if !ok || e.link == "" {
		return "", fs.ErrInvalid
	}
	return e.link, nil
}

func (f ciFS) ReadDir(dir string) ([]fs.DirEntry, error) {
	var out []fs.DirEntry
	for k, e := range f {
		if filepath.Dir(k) == strings.ToLower(filepath.Clean(dir)) && k != "/" {
			out = append(out, fs.FileInfoToDirEntry(ciInfo{name: e.name, id: k, link: e.link != ""}))
		}
	}
	return out, nil
}

func (f ciFS) SameFile(a, b fs.FileInfo) bool {
	x, ok1 := a.(ciInfo)
	y, ok2 := b.(ciInfo)
	return ok1 && ok2 && x.id == y.id
}

// On a case-insensitive volume a path in another letter case reaches the
// same file; the canonical path is spelled as the directory stores it, so
// that rules on the agents' hook settings or on ~/.ssh see it (audit:
// Write .claude/Settings.json was allowed as a new file in the workspace).
func TestCanonicalPathCaseInsensitive(t *testing.T) {
	f := ciFS{}
	f.add("/Users/dev/.claude/settings.json", "")
	f.add("/Users/dev/.ssh/id_rsa", "")
	f.add("/Users/dev/proj/.claude", "")
	f.add("/Users/dev/proj/L", "/USERS/DEV/.CLAUDE")
	for _, tt := range []struct{ in, want string }{
		{"/users/DEV/.Claude/SETTINGS.JSON", "/Users/dev/.claude/settings.json"},
		{"/Users/dev/.SSH/ID_RSA", "/Users/dev/.ssh/id_rsa"},
		{"/Users/dev/proj/l/Settings.Json", "/Users/dev/.claude/settings.json"},
		{"/Users/dev/PROJ/.CLAUDE/settings.local.json", "/Users/dev/proj/.claude/settings.local.json"}, // a new file keeps its name
		{"/Users/dev/proj/New/File.txt", "/Users/dev/proj/New/File.txt"},
	} {
		got, ok := resolve(f, tt.in)
		if !ok || got != tt.want {
			t.Errorf("resolve(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
}

// On a case-sensitive file system (Linux) a name in another case is
// another file, and stays as written.
func TestCanonicalPathCaseSensitive(t *testing.T) {
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"Dir/sub", "dir"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Lstat(filepath.Join(root, "DIR")); err == nil {
		t.Skip("the temporary directory ignores letter case")
	}
	for _, in := range []string{"Dir/sub/x", "dir/x", "DIR/x", "dIR/Sub"} {
		if got := CanonicalPath(in, root, ""); got != filepath.Join(root, in) {
			t.Errorf("CanonicalPath(%q) = %q", in, got)
		}
	}
}
