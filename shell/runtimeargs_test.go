package shell

import (
	"strings"
	"testing"

	"github.com/safeclaw/safeclaw/action"
)

// Paths that only exist at run time (what xargs reads, what xargs -I,
// parallel and fd -x substitute) are not known statically: writing or
// deleting them is opaque, so that no policy that allows rm lets
// find . -name settings.json | xargs rm delete an agent's hook settings.
// find -exec is different: the catalogue works out the paths find selects.
func TestRunTimeArgs(t *testing.T) {
	tests := []struct {
		text   string
		opaque string // a shell.opaque facet's Detail holds this; "" for none
		path   string // a file.delete or file.write facet at this path
	}{
		{"find . -name settings.json | xargs rm", "rm deletes a path not known statically: <xargs's input>", ""},
		{"cat list.txt | xargs rm -f", "rm deletes a path not known statically", ""},
		{"find . -print0 | xargs -0 -n 10 rm", "rm deletes a path not known statically", ""},
		{"xargs -a list.txt rm", "rm deletes a path not known statically", ""},
		{"git ls-files | xargs sed -i s/a/b/", "sed writes a path not known statically", ""},
		{"ls | xargs mv -t /srv/x", "mv deletes a path not known statically", "/srv/x"},
		{"ls | xargs sudo rm", "rm deletes a path not known statically", ""},
		{"ls | xargs -I{} mv {} {}.bak", "mv deletes a path not known statically: {}", ""},
		{"ls | xargs -I % cp /dev/null %", "cp writes a path not known statically: %", ""},
		{"ls | parallel rm {}", "rm deletes a path not known statically: {}", ""},
		{"fd settings.json -x rm {}", "rm deletes a path not known statically: {}", ""},
		{"fd -e pyc -x rm", "rm deletes a path not known statically: {}", ""},
		{"fd -e json -X rm -f", "rm deletes a path not known statically: {}", ""},
		{"fd -e txt -x mv {} {.}.bak", "mv deletes a path not known statically: {}", ""},
		{"fd -e go -x gofmt -l", "", ""},
		{"ls | xargs -I{} sh -c 'rm {}'", "rm deletes a path not known statically: {}", ""},
		// Known input, or reads only: nothing opaque.
		{"echo a.pyc | xargs rm", "", "/w/a.pyc"},
		{"find . -name '*.go' | xargs grep TODO", "", ""},
		{"git ls-files | xargs wc -l", "", ""},
		{"ls | xargs -I{} cp {} /srv/out/", "", "/srv/out"},
	}
	for _, tt := range tests {
		parts := Analyze(tt.text, Env{Cwd: "/w", Home: "/home/u"})
		checkInvariants(t, tt.text, parts)
		var opaque []string
		paths := map[string]bool{}
		for _, p := range parts {
			for _, f := range p.Facets {
				switch f.Kind {
				case action.ShellOpaque:
					opaque = append(opaque, f.Detail)
				case action.FileDelete, action.FileWrite:
					paths[f.Path] = true
				}
			}
		}
		if tt.opaque == "" && len(opaque) > 0 {
			t.Errorf("%q: unexpected opaque %q", tt.text, opaque)
		}
		if tt.opaque != "" && !strings.Contains(strings.Join(opaque, "\n"), tt.opaque) {
			t.Errorf("%q: opaque %q, want one holding %q", tt.text, opaque, tt.opaque)
		}
		if tt.path != "" && !paths[tt.path] {
			t.Errorf("%q: no write or delete of %s: %v", tt.text, tt.path, paths)
		}
	}
}

// find -exec's {} stands for the paths the catalogue selects: a find whose
// start does not exist falls back to its start directory, never to opaque.
func TestFindExecPlaceholderResolved(t *testing.T) {
	parts := Analyze("find /nonexistent-dir -name '*.pyc' -exec rm {} +", Env{Cwd: "/w", Home: "/home/u"})
	for _, p := range parts {
		for _, f := range p.Facets {
			if f.Kind == action.ShellOpaque {
				t.Errorf("find -exec rm {}: unexpected opaque %q", f.Detail)
			}
		}
	}
}
