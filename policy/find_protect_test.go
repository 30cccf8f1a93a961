package policy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/shell/catalog"
)

// TestProtectFindDelete decides find -delete and find -exec rm {} with the
// catalogue's facets over a real project tree: a filter that selects no
// protected file is the default policy's to decide (it asks), one that
// selects a protected file, or an expression the catalogue cannot bound,
// is refused by self-protection.
func TestProtectFindDelete(t *testing.T) {
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	home, proj := filepath.Join(dir, "home"), filepath.Join(dir, "home", "proj")
	for _, d := range []string{"proj/.claude/hooks", "proj/src/__pycache__", "proj/build", ".config/safeclaw"} {
		if err := os.MkdirAll(filepath.Join(home, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"proj/.claude/settings.json", "proj/.claude/hooks/pre.sh", "proj/src/__pycache__/m.pyc",
		"proj/build/a.o", "proj/build/t.tmp", "proj/package.json", ".config/safeclaw/config.json"} {
		if err := os.WriteFile(filepath.Join(home, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := mustCompile(t, Options{Home: home, Workspace: proj, ProtectWrite: []string{
		home + "/.config/safeclaw/**", proj + "/.claude/settings.json", proj + "/.claude/hooks/**"}}, string(Default()))
	const prot = "Protect safeclaw's own files"
	part := func(line string) action.Part {
		v := action.ParseArgv(strings.Fields(line))
		facets := []action.Action{{Kind: action.ShellExecute, Command: line, Program: v.Program}}
		facets = append(facets, catalog.Detect(catalog.Command{Views: []action.Argv{v}, Cwd: proj, Home: home}).Facets...)
		return action.Part{Text: line, Views: []action.Argv{v}, Facets: facets}
	}
	var cases []decideCase
	for _, c := range []struct {
		line   string
		denied bool
	}{
		{"find . -name *.pyc -delete", false},
		{"find . -type f -name *.o -delete", false},
		{"find build -name *.tmp -delete", false},
		{"find . -name *.tmp -exec rm -f {} +", false},
		{"find . -delete", true},
		{"find . -name settings.json -delete", true},
		{"find . -name *.json -delete", true},
		{"find . -path */hooks/* -delete", true},
		{"find . -name hooks -delete", true},
		{"find . -name *.sh -exec rm {} ;", true},
		{"find " + home + " -name *.json -delete", true},
		{"find . -name *.pyc -o -name x -delete", true},
		{"find . -delete -name *.pyc", true},
		{"find . ! -name *.pyc -delete", true},
		{"find -L . -name *.pyc -delete", true},
	} {
		want, rule := action.Ask, "Ask before deleting with find"
		if c.denied {
			want, rule = action.Deny, prot
		}
		if strings.Contains(c.line, "-exec") && !c.denied {
			// find's own part; the rm it runs is a part of its own (the
			// shell package's), not built here.
			want, rule = action.Allow, "Read-only commands"
		}
		req := request(part(c.line))
		req.Cwd = proj
		cases = append(cases, decideCase{c.line, req, want, rule, -1})
	}
	runDecideCases(t, p, cases)
}
