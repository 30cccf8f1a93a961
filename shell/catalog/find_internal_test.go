package catalog

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/safeclaw/safeclaw/action"
)

// TestFindLimits checks that a tree over the limits of what is read falls
// back to a delete of the start directory.
func TestFindLimits(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"a.pyc", "b.pyc", "c.txt", "d.txt"} {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	deletes := func() []string {
		var out []string
		v := action.ParseArgv([]string{"find", ".", "-name", "*.pyc", "-delete"})
		for _, f := range Detect(Command{Views: []action.Argv{v}, Cwd: dir}).Facets {
			if f.Kind == action.FileDelete {
				out = append(out, f.Path)
			}
		}
		return out
	}
	if got := deletes(); len(got) != 2 {
		t.Fatalf("within limits: %q, want the two .pyc files", got)
	}
	defer func(v, m int, d time.Duration) { maxFindVisit, maxFindMatches, maxFindTime = v, m, d }(maxFindVisit, maxFindMatches, maxFindTime)
	for name, set := range map[string]func(){
		"visits":  func() { maxFindVisit = 3 },
		"matches": func() { maxFindMatches = 1 },
		"time":    func() { maxFindTime = -time.Second },
	} {
		set()
		if got := deletes(); len(got) != 1 || got[0] != real {
			t.Errorf("over the %s limit: %q, want the start %s", name, got, real)
		}
		maxFindVisit, maxFindMatches, maxFindTime = 20000, 1000, 400*time.Millisecond
	}
	// An unreadable directory cannot be bounded either.
	if os.Geteuid() != 0 {
		sub := filepath.Join(dir, "locked")
		if err := os.Mkdir(sub, 0o000); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(sub, 0o755)
		if got := deletes(); len(got) != 1 || got[0] != real {
			t.Errorf("unreadable directory: %q, want the start %s", got, real)
		}
	}
}

func TestFnmatch(t *testing.T) {
	tests := []struct {
		pattern, name string
		fold          bool
		match, ok     bool
	}{
		{"*.pyc", "a.pyc", false, true, true},
		{"*.pyc", ".pyc", false, true, true}, // no FNM_PERIOD
		{"*.pyc", "a.pyc.bak", false, false, true},
		{"./*", "./a/b/c", false, true, true}, // no FNM_PATHNAME
		{"*/.claude/*", "./.claude/settings.json", false, true, true},
		{"?.o", "a.o", false, true, true},
		{"?.o", "ab.o", false, false, true},
		{"[ab].o", "b.o", false, true, true},
		{"[!ab].o", "b.o", false, false, true},
		{"[^ab].o", "c.o", false, true, true},
		{"[a-c]x", "bx", false, true, true},
		{"[]]x", "]x", false, true, true},
		{"[x", "[x", false, true, true},
		{`\*`, "*", false, true, true},
		{`\*`, "a", false, false, true},
		{"SETTINGS.json", "settings.JSON", true, true, true},
		{"SETTINGS.json", "settings.JSON", false, false, true},
		{"[[:alpha:]]", "a", false, false, false},
		{"?", "é", false, false, false},
		{"*", "é", false, true, true},
		{"É*", "é", true, false, false},
	}
	for _, tt := range tests {
		m, ok := fnmatch(tt.pattern, tt.name, tt.fold)
		if m != tt.match || ok != tt.ok {
			t.Errorf("fnmatch(%q, %q, %v) = %v, %v; want %v, %v", tt.pattern, tt.name, tt.fold, m, ok, tt.match, tt.ok)
		}
	}
}
