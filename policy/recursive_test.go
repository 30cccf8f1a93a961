package policy

import (
	"testing"

	"github.com/safeclaw/safeclaw/action"
)

// A deny or ask rule for paths inside a tree applies to a read of the whole
// tree and to deleting it; an allow rule matches only what it names.
func TestRulesCoverTrees(t *testing.T) {
	p := mustCompile(t, Options{Home: "/home/u", Workspace: "/home/u/proj"}, `
version: 1
default: deny
rules:
  - name: keys ask
    action: file.read
    path: ["~/.ssh/**", ".env"]
    effect: ask
  - name: keep keys
    action: file.delete
    path: "~/.ssh/**"
    effect: deny
  - name: project reads
    action: file.read
    path: "${workspace}/**"
    effect: allow
  - name: reads
    action: file.read
    effect: allow
  - name: deletes in the project
    action: file.delete
    path: "${workspace}/**"
    effect: allow
`)
	read := func(path string, recursive bool) *action.Request {
		return &action.Request{Parts: []action.Part{{Facets: []action.Action{{Kind: action.FileRead, Path: path, Recursive: recursive}}}}}
	}
	del := func(path string) *action.Request {
		return &action.Request{Parts: []action.Part{{Facets: []action.Action{{Kind: action.FileDelete, Path: path}}}}}
	}
	for _, tc := range []struct {
		name string
		req  *action.Request
		want action.Effect
		rule string
	}{
		{"grep -r over home", read("/home/u", true), action.Ask, "keys ask"},
		{"grep -r over /", read("/", true), action.Ask, "keys ask"},
		{"ls-like read of home", read("/home/u", false), action.Allow, "reads"},
		{"recursive read of the project", read("/home/u/proj", true), action.Allow, "project reads"},
		{"recursive read beside .ssh", read("/home/u/docs", true), action.Allow, "reads"},
		{"a key itself", read("/home/u/.ssh/id_ed25519", false), action.Ask, "keys ask"},
		{"rm -rf home", del("/home/u"), action.Deny, "keep keys"},
		{"rm in the project", del("/home/u/proj/build"), action.Allow, "deletes in the project"},
		// The unanchored .env has no tree: a recursive read of the project
		// is not asked about for it (it would be for every grep -r).
	} {
		d := p.Decide(tc.req)
		if d.Effect != tc.want || d.Rule == nil || d.Rule.Name != tc.rule {
			t.Errorf("%s: %v by %+v, want %v by %q", tc.name, d.Effect, d.Rule, tc.want, tc.rule)
		}
	}
}

// A path a command names but whose start is not known statically (see
// action.Action.Path) is tried, for deny and ask rules only, below the
// places such a start most often stands for: home, the workspace, the
// working directory and /.
func TestUnknownPathStarts(t *testing.T) {
	p := mustCompile(t, Options{Home: "/home/u", Workspace: "/home/u/proj"}, `
version: 1
default: deny
rules:
  - name: keys ask
    action: file.read
    path: ["~/.ssh/**", "~/.aws/**", "/etc/shadow"]
    effect: ask
  - name: outside the project
    action: file.read
    path: "/srv/**"
    effect: allow
  - name: reads
    action: file.read
    effect: allow
`)
	read := func(path string) *action.Request {
		// As the shell analyser gives them (action.Action.Path).
		f := action.Action{Kind: action.FileRead, Path: path, Detail: "path not known statically: " + path}
		return &action.Request{Cwd: "/home/u/proj", Parts: []action.Part{{Facets: []action.Action{f}}}}
	}
	for _, tc := range []struct {
		path string
		want action.Effect
		rule string
	}{
		{"$(echo ~)/.aws/credentials", action.Ask, "keys ask"},
		{"$H/.ssh/id_rsa", action.Ask, "keys ask"},
		{"/home/$U/.ssh/config", action.Ask, "keys ask"},
		{"~$U/.aws/config", action.Ask, "keys ask"},
		{"`echo ~`/.ssh/id_ed25519", action.Ask, "keys ask"},
		{"~/.ssh/$K", action.Ask, "keys ask"},
		{".ssh/id_rsa", action.Ask, "keys ask"}, // after cd $X
		{"$R/etc/shadow", action.Ask, "keys ask"},
		{"$D/README.md", action.Allow, "reads"},
		{"$f", action.Allow, "reads"},
		{"~/notes/$F", action.Allow, "reads"},
		// An allow rule does not guess: /srv/** does not allow $X/srv/a.
		{"$X/srv/a", action.Allow, "reads"},
	} {
		d := p.Decide(read(tc.path))
		if d.Effect != tc.want || d.Rule == nil || d.Rule.Name != tc.rule {
			t.Errorf("%s: %v by %+v, want %v by %q", tc.path, d.Effect, d.Rule, tc.want, tc.rule)
		}
	}
}
