package catalog_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/shell/catalog"
)

// findTree builds a project holding agent hook settings (.claude), build
// output and a symlink named like a build product that points at a
// protected file; it returns the project's real path.
func findTree(t *testing.T) string {
	t.Helper()
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	proj := filepath.Join(dir, "proj")
	for _, d := range []string{".claude/hooks", "src/__pycache__", "build"} {
		if err := os.MkdirAll(filepath.Join(proj, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{".claude/settings.json", ".claude/hooks/h.sh", "src/__pycache__/a.pyc", "build/x.tmp", "build/y.o", "src/main.py"} {
		if err := os.WriteFile(filepath.Join(proj, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(".claude/settings.json", filepath.Join(proj, "link.pyc")); err != nil {
		t.Fatal(err)
	}
	return proj
}

// TestFindDeleteSelects checks that find -delete (and -exec rm {}) is a
// delete of the existing paths its filter may select when the expression
// can be bounded, and of its start directories otherwise.
func TestFindDeleteSelects(t *testing.T) {
	proj := findTree(t)
	all := []string{".", ".claude", ".claude/settings.json", ".claude/hooks", ".claude/hooks/h.sh", "src", "src/__pycache__",
		"src/__pycache__/a.pyc", "src/main.py", "build", "build/x.tmp", "build/y.o", "link.pyc"}
	start := []string{"."} // the fallback: a delete of the start directory
	cases := []struct {
		cmd    string
		want   []string // delete facets, relative to the project
		opaque bool
	}{
		// The everyday commands: only what matches.
		{cmd: "find . -name *.pyc -delete", want: []string{"src/__pycache__/a.pyc", "link.pyc"}},
		{cmd: "find . -type f -name *.o -delete", want: []string{"build/y.o"}},
		{cmd: "find build -name *.tmp -delete", want: []string{"build/x.tmp"}},
		{cmd: "find build -name *.tmp -print -delete", want: []string{"build/x.tmp"}},
		{cmd: "find . -type d -name __pycache__ -delete", want: []string{"src/__pycache__"}},
		{cmd: "find . -name *.pyc -exec rm -f {} +", want: []string{"src/__pycache__/a.pyc", "link.pyc"}},
		{cmd: "find . -name *.pyc -exec rm {} ;", want: []string{"src/__pycache__/a.pyc", "link.pyc"}},
		{cmd: "find . -maxdepth 1 -name *.json -delete", want: nil},
		{cmd: "find . -regex .*\\.pyc -delete", want: []string{"src/__pycache__/a.pyc", "link.pyc"}},
		{cmd: "find . -iregex .*\\.PYC -delete", want: []string{"src/__pycache__/a.pyc", "link.pyc"}},
		{cmd: "find . -path ./build/* -delete", want: []string{"build/x.tmp", "build/y.o"}},
		{cmd: "find . -name *.pyc -delete -print", want: []string{"src/__pycache__/a.pyc", "link.pyc"}},
		// Protected files that match are still in the facets.
		{cmd: "find . -name settings.json -delete", want: []string{".claude/settings.json"}},
		{cmd: "find . -iname SETTINGS.JSON -delete", want: []string{".claude/settings.json"}},
		{cmd: "find . -name [s]ettings.js?n -delete", want: []string{".claude/settings.json"}},
		{cmd: "find . -name settings.* -delete", want: []string{".claude/settings.json"}},
		{cmd: "find . -mindepth 2 -maxdepth 2 -name *.json -delete", want: []string{".claude/settings.json"}},
		{cmd: "find . -path *hooks* -delete", want: []string{".claude/hooks", ".claude/hooks/h.sh"}},
		{cmd: "find . -ipath ./.CLAUDE/* -type f -delete", want: []string{".claude/settings.json", ".claude/hooks/h.sh"}},
		{cmd: "find . -type d -name hooks -delete", want: []string{".claude/hooks"}},
		{cmd: "find .claude -maxdepth 0 -delete", want: []string{".claude"}},
		{cmd: "find build/../.claude -name *.sh -delete", want: []string{".claude/hooks/h.sh"}},
		{cmd: "find build . -name *.sh -delete", want: []string{".claude/hooks/h.sh"}},
		{cmd: "find -f . -name h.sh -delete", want: []string{".claude/hooks/h.sh"}},
		{cmd: "find . -name *.json -exec sudo rm {} ;", want: []string{".claude/settings.json"}},
		{cmd: "find . -name *.json -execdir rm {} ;", want: []string{".claude/settings.json"}},
		// GNU find spells ./ children ./x, BSD find .//x: both are tried.
		{cmd: "find ./ -path .//.claude/* -delete", want: []string{".claude/settings.json", ".claude/hooks", ".claude/hooks/h.sh"}},
		{cmd: "find .// -path .//.claude/*.json -delete", want: []string{".claude/settings.json"}},
		{cmd: "find .// -path ./.claude/*.json -delete", want: nil},
		// Tests not evaluated here match.
		{cmd: "find . -name *.pyc -newer x -delete", want: []string{"src/__pycache__/a.pyc", "link.pyc"}},
		{cmd: "find . -regex .*[.]json -delete", want: all},
		{cmd: "find . -name main.p[!a] -delete", want: []string{"src/main.py"}},
		// No filter before -delete: everything, the start included.
		{cmd: "find . -delete", want: all},
		{cmd: "find . -delete -name *.pyc", want: all},
		{cmd: "find . -exec rm -rf {} ; -name *.pyc", want: all},
		// Expressions not bounded here: the start directory.
		{cmd: "find . -name *.pyc -o -name x -delete", want: start},
		{cmd: "find . -name *.pyc -or -delete", want: start},
		{cmd: "find . ! -name *.pyc -delete", want: start},
		{cmd: "find . -not -name *.pyc -delete", want: start},
		{cmd: "find . ( -name *.pyc ) -delete", want: start},
		{cmd: "find . -name *.pyc -delete , -delete", want: start},
		{cmd: "find -L . -name *.pyc -delete", want: start},
		{cmd: "find . -follow -name *.pyc -delete", want: start},
		{cmd: "find . -name *.pyc -frobnicate -delete", want: start},
		{cmd: "find . -maxdepth x -name *.pyc -delete", want: start},
		{cmd: "find . -name settings -exec rm {}.json ;", want: start},
		{cmd: "find . -name h.sh -execdir rm settings.json ;", want: start},
		{cmd: "find . -name *.pyc -files0-from list -delete", want: []string{"src/__pycache__/a.pyc", "link.pyc"}, opaque: true},
		// A start that is not there is what it was.
		{cmd: "find missing -name x -delete", want: []string{"missing"}},
		{cmd: "find . -name *.json -exec timeout 5 rm {} ;", want: []string{".claude/settings.json"}},
		{cmd: "find . -name *.json -exec env rm {} ;", want: []string{".claude/settings.json"}},
		{cmd: "find . -name *.json -exec mv {} /tmp ;", want: []string{".claude/settings.json"}},
		{cmd: "find . -name *.pyc -exec rm {} ; -name *.o -delete", want: []string{"src/__pycache__/a.pyc", "link.pyc"}},
		// Code run on {}, and {} inside a word, may change anything.
		{cmd: "find . -name settings.json -exec sh -c 'rm {}' ;", want: start},
		{cmd: "find . -name *.json -exec mv {} {}.bak ;", want: start},
		// Without -delete or a deleting -exec, nothing is deleted.
		{cmd: "find . -type f -exec grep -l rm {} +", want: nil},
		{cmd: "find . -name *.json -exec cp {} /tmp ;", want: nil},
		{cmd: "find . -name h.sh -execdir ls settings.json ;", want: nil},
		{cmd: "find . -name *.pyc", want: nil},
		{cmd: "find . -name *.pyc -exec ls {} +", want: nil},
	}
	for _, tc := range cases {
		c := cmd(tc.cmd)
		c.Cwd = proj
		r := catalog.Detect(c)
		var got []string
		opaque := false
		for _, f := range r.Facets {
			switch f.Kind {
			case action.FileDelete:
				rel, err := filepath.Rel(proj, f.Path)
				if err != nil || strings.HasPrefix(rel, "..") {
					rel = f.Path
				}
				if !slices.Contains(got, rel) {
					got = append(got, rel)
				}
			case action.ShellOpaque:
				opaque = true
			}
		}
		want := slices.Clone(tc.want)
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s: deletes %q, want %q", tc.cmd, got, want)
		}
		if opaque != tc.opaque {
			t.Errorf("%s: opaque %v, want %v:%s", tc.cmd, opaque, tc.opaque, describe(r))
		}
	}
}

// TestDeleteSymlinkJudgedAtLink checks that deleting a symlink is judged
// at the link as well as its target: removing ~/.claude/settings.json that
// links into a dotfiles repository removes the protected name.
func TestDeleteSymlinkJudgedAtLink(t *testing.T) {
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{".claude", "dotfiles"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	target := filepath.Join(dir, "dotfiles", "settings.json")
	if err := os.WriteFile(target, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, ".claude", "settings.json")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"rm ~/.claude/settings.json", "rm .claude/settings.json", "unlink " + link, "mv .claude/settings.json /tmp/x"} {
		c := cmd(line)
		c.Cwd, c.Home = dir, dir
		r := catalog.Detect(c)
		var got []string
		for _, f := range r.Facets {
			if f.Kind == action.FileDelete {
				got = append(got, f.Path)
			}
		}
		if !slices.Contains(got, link) || !slices.Contains(got, target) {
			t.Errorf("%s: deletes %q, want both %s and %s", line, got, link, target)
		}
	}
	// A write goes through the link: only the target.
	c := cmd("touch .claude/settings.json")
	c.Cwd = dir
	for _, f := range catalog.Detect(c).Facets {
		if f.Kind == action.FileWrite && f.Path != target {
			t.Errorf("touch through a link writes %s, want %s", f.Path, target)
		}
	}
}

// TestFindExecWrites checks that a command find runs on what it finds is
// judged on those files: sed -i writes each, cat reads each.
func TestFindExecWrites(t *testing.T) {
	proj := findTree(t)
	cases := []struct {
		cmd  string
		kind action.Kind
		want []string
	}{
		{"find . -name settings.json -exec sed -i d {} ;", action.FileWrite, []string{".claude/settings.json"}},
		{"find . -name *.o -exec truncate -s 0 {} +", action.FileWrite, []string{"build/y.o"}},
		{"find . -name *.tmp -exec cat {} +", action.FileRead, []string{".", "build/x.tmp"}},
		{"find . ! -name *.tmp -exec chmod 000 {} +", action.FileWrite, []string{"."}},
	}
	for _, tc := range cases {
		c := cmd(tc.cmd)
		c.Cwd = proj
		var got []string
		for _, f := range catalog.Detect(c).Facets {
			if f.Kind == tc.kind {
				rel, _ := filepath.Rel(proj, f.Path)
				got = append(got, rel)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %s %q, want %q", tc.cmd, tc.kind, got, tc.want)
		}
	}
}
