package shell

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/shell/catalog"
)

var testEnv = Env{Cwd: "/work/proj", Home: "/home/dev"}

func analyze(text string) []action.Part { return Analyze(text, testEnv) }

// texts lists the parts' texts.
func texts(parts []action.Part) []string {
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = p.Text
	}
	return out
}

// views renders a part's views, one string per view, words joined by "|";
// guessed readings (action.GuessValues) are left out.
func views(p action.Part) []string {
	out := make([]string, 0, len(p.Views))
	for _, v := range p.Views {
		if !v.Guess {
			out = append(out, strings.Join(v.Words, "|"))
		}
	}
	return out
}

// facets returns every facet of kind k across parts.
func facets(parts []action.Part, k action.Kind) []action.Action {
	var out []action.Action
	for _, p := range parts {
		for _, f := range p.Facets {
			if f.Kind == k {
				out = append(out, f)
			}
		}
	}
	return out
}

// partWith returns the first part whose shell.execute program is prog.
func partWith(t *testing.T, parts []action.Part, prog string) action.Part {
	t.Helper()
	for _, p := range parts {
		for _, f := range p.Facets {
			if f.Kind == action.ShellExecute && f.Program == prog {
				return p
			}
		}
	}
	t.Fatalf("no part runs %q in %s", prog, dump(parts))
	return action.Part{}
}

// judgedKinds are what a table of evasions judges a text by.
var judgedKinds = []action.Kind{action.NetworkListen, action.NetworkTunnel, action.ShellRemote, action.ShellOpaque}

// checkJudged checks text's analysis (parts): its invariants, then a facet
// of kind want, or, when want is "", no facet of any judged kind.
func checkJudged(t *testing.T, text string, parts []action.Part, want action.Kind, judged []action.Kind) {
	t.Helper()
	checkInvariants(t, text, parts)
	if want != "" {
		if len(facets(parts, want)) == 0 {
			t.Errorf("%q: no %s facet: %s", text, want, dump(parts))
		}
		return
	}
	for _, k := range judged {
		if fs := facets(parts, k); len(fs) > 0 {
			t.Errorf("%q: unexpected %s: %s", text, k, dump(parts))
		}
	}
}

func dump(parts []action.Part) string {
	b, _ := json.MarshalIndent(parts, "", " ")
	return string(b)
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// checkInvariants holds for every analysis: every part has facets, every
// facet has a known kind, and a part with views has a shell.execute facet
// first or is opaque.
func checkInvariants(t testing.TB, text string, parts []action.Part) {
	t.Helper()
	for _, p := range parts {
		if len(p.Facets) == 0 {
			t.Fatalf("%q: part %q without facets", text, p.Text)
		}
		for _, f := range p.Facets {
			if !f.Kind.Known() {
				t.Fatalf("%q: unknown kind %q", text, f.Kind)
			}
		}
		if p.Facets[0].Kind != action.ShellExecute && !hasKind(p.Facets, action.ShellOpaque) && !redirectionPart(p) {
			t.Fatalf("%q: part %q neither starts with shell.execute nor is opaque nor is a redirection", text, p.Text)
		}
	}
}

func catalogCanonical(p, cwd, home string) string { return catalog.CanonicalPath(p, cwd, home) }

// redirectionPart reports whether p is the part a command's redirections
// make: no views (no command rule can match it), only file and network facets.
func redirectionPart(p action.Part) bool {
	if len(p.Views) != 0 {
		return false
	}
	for _, f := range p.Facets {
		switch f.Kind {
		case action.FileRead, action.FileWrite, action.NetworkConnect:
		default:
			return false
		}
	}
	return true
}
