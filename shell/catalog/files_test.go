package catalog_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/shell/catalog"
)

func TestFiles(t *testing.T) {
	const cwd, home = "/home/dev/project", "/home/dev"
	type want struct {
		kind action.Kind
		path string
	}
	cases := []struct {
		views string
		want  []want
		none  bool // no file facet at all
	}{
		{views: "tee -a out.log", want: []want{{action.FileWrite, cwd + "/out.log"}}},
		{views: "cp a.txt ~/b.txt", want: []want{{action.FileRead, cwd + "/a.txt"}, {action.FileWrite, home + "/b.txt"}}},
		{views: "cp -r src/ -t /tmp/dst", want: []want{{action.FileRead, cwd + "/src"}, {action.FileWrite, "/tmp/dst"}}},
		{views: "mv old.txt ../new.txt", want: []want{{action.FileRead, cwd + "/old.txt"}, {action.FileDelete, cwd + "/old.txt"}, {action.FileWrite, home + "/new.txt"}}},
		{views: "install -m 0755 bin/tool /usr/local/bin/tool", want: []want{{action.FileWrite, "/usr/local/bin/tool"}}},
		{views: "rsync -a src/ backup/", want: []want{{action.FileRead, cwd + "/src"}, {action.FileWrite, cwd + "/backup"}}},
		{views: "rm -rf ~", want: []want{{action.FileDelete, home}}},
		{views: "rm -fr /", want: []want{{action.FileDelete, "/"}}},
		{views: "rm -r -f build//cache/../out", want: []want{{action.FileDelete, cwd + "/build/out"}}},
		{views: "rm --recursive --force /etc", want: []want{{action.FileDelete, "/etc"}}},
		{views: "rmdir empty", want: []want{{action.FileDelete, cwd + "/empty"}}},
		{views: "shred -u /var/log/auth.log", want: []want{{action.FileDelete, "/var/log/auth.log"}}},
		{views: "shred secret.key", want: []want{{action.FileWrite, cwd + "/secret.key"}}},
		{views: "unlink link", want: []want{{action.FileDelete, cwd + "/link"}}},
		{views: "ln -s /etc/passwd ~/.ssh/authorized_keys", want: []want{{action.FileWrite, home + "/.ssh/authorized_keys"}}},
		{views: "dd if=/dev/zero of=disk.img bs=1M count=1", want: []want{{action.FileRead, "/dev/zero"}, {action.FileWrite, cwd + "/disk.img"}}},
		{views: "sed -i 's/a/b/' config.yaml", want: []want{{action.FileWrite, cwd + "/config.yaml"}}},
		{views: "sed -i.bak -e 's/a/b/' x.conf", want: []want{{action.FileWrite, cwd + "/x.conf"}}},
		{views: "sed 's/a/b/' in.txt", want: []want{{action.FileRead, cwd + "/in.txt"}}},
		{views: "truncate -s 0 app.log", want: []want{{action.FileWrite, cwd + "/app.log"}}},
		{views: "chmod 600 ~/.ssh/id_ed25519", want: []want{{action.FileWrite, home + "/.ssh/id_ed25519"}}},
		{views: "chown -R www:www /srv/www", want: []want{{action.FileWrite, "/srv/www"}}},
		{views: "touch a b", want: []want{{action.FileWrite, cwd + "/a"}, {action.FileWrite, cwd + "/b"}}},
		{views: "mkdir -p -m 700 ~/.config/app", want: []want{{action.FileWrite, home + "/.config/app"}}},
		{views: "cat ~/.aws/credentials", want: []want{{action.FileRead, home + "/.aws/credentials"}}},
		{views: "head -n 5 /etc/passwd", want: []want{{action.FileRead, "/etc/passwd"}}},
		{views: "grep -r TODO src", want: []want{{action.FileRead, cwd + "/src"}}},
		{views: "grep -e PRIVATE -e KEY id_rsa", want: []want{{action.FileRead, cwd + "/id_rsa"}}},
		{views: "rg -n secret .env", want: []want{{action.FileRead, cwd + "/.env"}}},
		{views: "base64 key.pem", want: []want{{action.FileRead, cwd + "/key.pem"}}},
		{views: "find . -name '*.log' -delete", want: []want{{action.FileDelete, cwd}}},
		{views: "find /nonexistent/log -name v7 -delete", want: []want{{action.FileDelete, "/nonexistent/log"}}},
		{views: "tar -xzf pkg.tgz -C /opt", want: []want{{action.FileRead, cwd + "/pkg.tgz"}, {action.FileWrite, "/opt"}}},
		{views: "tar czf out.tgz docs", want: []want{{action.FileWrite, cwd + "/out.tgz"}, {action.FileRead, cwd + "/docs"}}},
		{views: "find . -name x", none: true},
		{views: "ls -la", none: true},
		{views: "echo rm -rf /", none: true},
		{views: "rm -f $TMPFILE", none: true},
	}
	for _, tc := range cases {
		r := detect(cmd(tc.views))
		var files []action.Action
		for _, f := range r.Facets {
			switch f.Kind {
			case action.FileRead, action.FileWrite, action.FileDelete:
				files = append(files, f)
			}
		}
		if tc.none {
			if len(files) > 0 {
				t.Errorf("%s: unexpected file facets:%s", tc.views, describe(r))
			}
			continue
		}
		for _, w := range tc.want {
			found := false
			for _, f := range files {
				found = found || (f.Kind == w.kind && f.Path == w.path)
			}
			if !found {
				t.Errorf("%s: want %s %s:%s", tc.views, w.kind, w.path, describe(r))
			}
		}
	}
}

func TestCanonicalPath(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	if err := os.MkdirAll(filepath.Join(real, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	// A link into another tree, a dangling link and a loop.
	other := filepath.Join(dir, "other", "deep")
	if err := os.MkdirAll(other, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, target := range map[string]string{"far": other, "dangle": filepath.Join(dir, "other", "created-by-write"), "loop": "loop"} {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	// The temp dir itself may sit under a symlink (macOS /var → /private/var).
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ in, cwd, home, want string }{
		{"~/.bashrc", "/x", "/home/dev", "/home/dev/.bashrc"},
		{"~", "/x", "/home/dev", "/home/dev"},
		{"a/../b//c", "/srv/app", "", "/srv/app/b/c"},
		{"/proj/../home/dev/.bashrc", "/", "", "/home/dev/.bashrc"},
		{"/proj/" + strings.Repeat("a", 190) + "/../../../../etc/cron.d/x", "/", "", "/etc/cron.d/x"},
		{"relative/file", "", "", "relative/file"},
		{"~other/x", "/w", "/home/dev", "/w/~other/x"},
		{filepath.Join(dir, "link", "sub", "new.txt"), "/", "", filepath.Join(realDir, "real", "sub", "new.txt")},
		{filepath.Join(dir, "link", "missing", "deeper"), "/", "", filepath.Join(realDir, "real", "missing", "deeper")},
		{"link/authorized_keys", dir, "", filepath.Join(realDir, "real", "authorized_keys")},
		{"", "/x", "/h", ""},
		// ".." after a symlink goes where the kernel goes: up from the
		// link's target, not back to the directory holding the link.
		{"far/../x", dir, "", filepath.Join(realDir, "other", "x")},
		{filepath.Join(dir, "far") + "/../../y", "/", "", filepath.Join(realDir, "y")},
		{"./far/../../other/../far/z", dir, "", filepath.Join(realDir, "other", "deep", "z")},
		// A write through a dangling link creates its target.
		{"dangle", dir, "", filepath.Join(realDir, "other", "created-by-write")},
		// A loop cannot be opened; the path comes back cleaned.
		{"loop/x", dir, "", filepath.Join(dir, "loop", "x")},
	}
	for _, tt := range tests {
		got := catalog.CanonicalPath(tt.in, tt.cwd, tt.home)
		if tt.in == "~other/x" {
			// ~user is not expanded; it stays a relative name.
			if got == "" {
				t.Errorf("CanonicalPath(%q) empty", tt.in)
			}
			continue
		}
		if got != tt.want {
			t.Errorf("CanonicalPath(%q, %q, %q) = %q, want %q", tt.in, tt.cwd, tt.home, got, tt.want)
		}
	}
}

// TestGitWrites: the files git writes outside .git are file.write facets:
// the directory clone, init and worktree add create (a whole tree), the
// --output of diff and log, and what a checkout with --work-tree writes.
func TestGitWrites(t *testing.T) {
	for _, tt := range []struct {
		views, path string
		tree        bool
	}{
		{"git clone https://example.com/x/y ~/.config/safeclaw", "/home/dev/.config/safeclaw", true},
		{"git clone --depth 1 git@example.com:x/tools.git", "/home/dev/project/tools", true},
		{"git clone https://example.com/x/y.git dest", "/home/dev/project/dest", true},
		{"git -C /srv clone https://example.com/x/y", "/srv/y", true},
		{"git init ~/.ssh", "/home/dev/.ssh", true},
		{"git worktree add ../other main", "/home/dev/other", true},
		{"git diff --output=/home/dev/.bashrc", "/home/dev/.bashrc", false},
		{"git log -p --output ~/.profile", "/home/dev/.profile", false},
		{"git -C sub show --output=o.txt HEAD", "/home/dev/project/sub/o.txt", false},
		{"git --work-tree=/home/dev checkout HEAD -- .bashrc", "/home/dev/.bashrc", false},
		{"git --work-tree /home/dev restore --source HEAD -- .ssh/config", "/home/dev/.ssh/config", false},
		{"git --work-tree=/home/dev checkout HEAD", "/home/dev", true},
	} {
		r := detect(cmd(tt.views))
		found := false
		for _, f := range ofKind(r, action.FileWrite) {
			if f.Path == tt.path && f.Recursive == tt.tree {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: no file.write of %s (tree %v): %s", tt.views, tt.path, tt.tree, describe(r))
		}
	}
	for _, benign := range []string{"git status", "git diff", "git log --oneline", "git checkout main", "git show HEAD"} {
		if got := ofKind(detect(cmd(benign)), action.FileWrite); len(got) != 0 {
			t.Errorf("%s: unexpected writes %+v", benign, got)
		}
	}
}

// TestHiddenFileEffects: file effects of read-only-looking commands: a sed
// script's w, r and e commands, the output file of uniq and xxd, tree -o,
// and the files jq, comm and git read into their output.
func TestHiddenFileEffects(t *testing.T) {
	cases := []struct {
		argv []string
		kind action.Kind
		path string
	}{
		{[]string{"sed", "-n", "w /home/dev/.bashrc", "f"}, action.FileWrite, "/home/dev/.bashrc"},
		{[]string{"sed", "-n", "/x/,$W /home/dev/.profile", "f"}, action.FileWrite, "/home/dev/.profile"},
		{[]string{"sed", "-n", "s/a/b/gw /home/dev/.bashrc", "f"}, action.FileWrite, "/home/dev/.bashrc"},
		{[]string{"sed", "-e", "1p", "-e", "$r /home/dev/.ssh/id_rsa", "f"}, action.FileRead, "/home/dev/.ssh/id_rsa"},
		{[]string{"sed", "1e", "f"}, action.ShellOpaque, ""},
		{[]string{"sed", "s/.*/id/e", "f"}, action.ShellOpaque, ""},
		// Options as getopt reads them: clusters, attached values, long
		// abbreviations.
		{[]string{"sed", "-ne", "1e", "f"}, action.ShellOpaque, ""},
		{[]string{"sed", "-nEe", "s/.*/id/e", "f"}, action.ShellOpaque, ""},
		{[]string{"sed", "-n", "-e1e", "f"}, action.ShellOpaque, ""},
		{[]string{"sed", "-n", "--expr=s/x/y/e", "f"}, action.ShellOpaque, ""},
		{[]string{"sed", "-n", "--e", "1e", "f"}, action.ShellOpaque, ""},
		{[]string{"sed", "-sn", "s/x/y/e", "f"}, action.ShellOpaque, ""},
		{[]string{"sed", "-ne", "w /home/dev/.bashrc", "f"}, action.FileWrite, "/home/dev/.bashrc"},
		{[]string{"sed", "-ni", "s/a/b/", "f"}, action.FileWrite, "/home/dev/project/f"},
		{[]string{"sed", "-ne", "1p", "/home/dev/.ssh/id_rsa"}, action.FileRead, "/home/dev/.ssh/id_rsa"},
		{[]string{"uniq", "in", "/home/dev/.bashrc"}, action.FileWrite, "/home/dev/.bashrc"},
		{[]string{"xxd", "-c", "16", "in", "/home/dev/.bashrc"}, action.FileWrite, "/home/dev/.bashrc"},
		{[]string{"tree", "-o", "/home/dev/.bashrc", "."}, action.FileWrite, "/home/dev/.bashrc"},
		{[]string{"jq", "-rn", "--rawfile", "a", "/home/dev/.ssh/id_rsa", "$a"}, action.FileRead, "/home/dev/.ssh/id_rsa"},
		{[]string{"comm", "/home/dev/.ssh/id_rsa", "/dev/null"}, action.FileRead, "/home/dev/.ssh/id_rsa"},
		{[]string{"jq", ".", "/home/dev/.docker/config.json"}, action.FileRead, "/home/dev/.docker/config.json"},
		{[]string{"jq", "-R", ".", "/home/dev/.ssh/id_rsa"}, action.FileRead, "/home/dev/.ssh/id_rsa"},
		{[]string{"jq", "-n", "input", "/home/dev/.ssh/id_rsa"}, action.FileRead, "/home/dev/.ssh/id_rsa"},
		{[]string{"jq", "--arg", "a", "b", ".a", "/home/dev/.env"}, action.FileRead, "/home/dev/.env"},
		{[]string{"jq", "-f", "f.jq", "/home/dev/.env"}, action.FileRead, "/home/dev/.env"},
		{[]string{"date", "-f", "/home/dev/.ssh/id_rsa"}, action.FileRead, "/home/dev/.ssh/id_rsa"},
		{[]string{"date", "--file=/home/dev/.ssh/id_rsa"}, action.FileRead, "/home/dev/.ssh/id_rsa"},
		{[]string{"column", "-t", "/home/dev/.ssh/id_rsa"}, action.FileRead, "/home/dev/.ssh/id_rsa"},
		{[]string{"grep", "-o", "-f", "/home/dev/.ssh/id_rsa", "x"}, action.FileRead, "/home/dev/.ssh/id_rsa"},
		{[]string{"rg", "--file=/home/dev/.ssh/id_rsa", "x"}, action.FileRead, "/home/dev/.ssh/id_rsa"},
		{[]string{"git", "diff", "--no-index", "/home/dev/.ssh/id_rsa", "/dev/null"}, action.FileRead, "/home/dev/.ssh/id_rsa"},
		{[]string{"git", "commit", "-F", "/home/dev/.ssh/id_rsa"}, action.FileRead, "/home/dev/.ssh/id_rsa"},
		{[]string{"go", "build", "-o", ".git/hooks/post-checkout", "./cmd/h"}, action.FileWrite, "/home/dev/project/.git/hooks/post-checkout"},
		{[]string{"pip", "install", "--target=/home/dev/.config/safeclaw", "x"}, action.FileWrite, "/home/dev/.config/safeclaw"},
		{[]string{"gcc", "-o/home/dev/.bashrc", "x.c"}, action.FileWrite, "/home/dev/.bashrc"},
	}
	for _, tt := range cases {
		c := catalog.Command{Cwd: "/home/dev/project", Home: "/home/dev", Views: []action.Argv{action.ParseArgv(tt.argv)}}
		r := detect(c)
		got := ofKind(r, tt.kind)
		found := false
		for _, f := range got {
			if tt.path == "" || f.Path == tt.path {
				found = true
			}
		}
		if !found {
			t.Errorf("%q: no %s %s: %s", tt.argv, tt.kind, tt.path, describe(r))
		}
	}
	// sed's ordinary scripts do nothing of the kind.
	for _, argv := range [][]string{{"sed", "-n", "1p;2p", "f"}, {"sed", "s/a;b/c/g", "f"}, {"sed", "-n", "/w x/p", "f"}, {"sed", "-ne", "1p", "f"}, {"sed", "-nE", "-e", "s/(a)/\\1/p", "f"}, {"uniq", "f"}, {"xxd", "f"}} {
		r := detect(catalog.Command{Cwd: "/home/dev/project", Home: "/home/dev", Views: []action.Argv{action.ParseArgv(argv)}})
		if w := ofKind(r, action.FileWrite); len(w) > 0 || len(ofKind(r, action.ShellOpaque)) > 0 {
			t.Errorf("%q: unexpected %s", argv, describe(r))
		}
	}
}

// TestGitTreeWrites: git commands that rewrite the work tree write the
// paths they name, and, when they rewrite it whole, the project files that
// decide what agents may do there (safeclaw's project policy) when those
// exist; a new branch at HEAD writes nothing.
func TestGitTreeWrites(t *testing.T) {
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dir, ".git"), 0o755)
	os.WriteFile(filepath.Join(dir, "safeclaw.policy.yaml"), []byte("rules: []\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "main.go"), nil, 0o644)
	pol := filepath.Join(dir, "safeclaw.policy.yaml")
	run := func(argv ...string) []action.Action {
		c := catalog.Command{Cwd: dir, Home: "/home/dev", Views: []action.Argv{action.ParseArgv(argv)}}
		return append(ofKind(detect(c), action.FileWrite), ofKind(detect(c), action.FileDelete)...)
	}
	has := func(fs []action.Action, p string) bool {
		for _, f := range fs {
			if f.Path == p {
				return true
			}
		}
		return false
	}
	for _, argv := range [][]string{
		{"git", "checkout", "--", "safeclaw.policy.yaml"},
		{"git", "restore", "safeclaw.policy.yaml"},
		{"git", "checkout", "HEAD", "safeclaw.policy.yaml"},
		{"git", "stash"},
		{"git", "stash", "-u"},
		{"git", "stash", "pop"},
		{"git", "checkout", "main"},
		{"git", "switch", "main"},
		{"git", "reset", "--hard"},
		{"git", "clean", "-fdx"},
		{"git", "merge", "feature"},
	} {
		if !has(run(argv...), pol) {
			t.Errorf("%q: no write of the project policy: %+v", argv, run(argv...))
		}
	}
	if !has(run("git", "restore", "main.go"), filepath.Join(dir, "main.go")) {
		t.Error("git restore main.go: no write of main.go")
	}
	for _, argv := range [][]string{{"git", "checkout", "-b", "feat"}, {"git", "switch", "-c", "feat"}, {"git", "stash", "list"}, {"git", "reset", "HEAD~1"}, {"git", "status"}} {
		if fs := run(argv...); len(fs) != 0 {
			t.Errorf("%q: unexpected writes %+v", argv, fs)
		}
	}
}
