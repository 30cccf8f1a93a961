package policy

import (
	"testing"

	"github.com/safeclaw/safeclaw/action"
)

// A guessed reading (options taking the next word, for a program without an
// option table) is matched by deny and ask rules, never by allow rules.
func TestGuessedViews(t *testing.T) {
	p := mustCompile(t, Options{}, `
version: 1
default: deny
rules:
  - name: no deploy
    command_pattern: "tool2 deploy"
    effect: deny
  - name: ask release
    command_pattern: "tool2 release"
    effect: ask
  - name: status is fine
    command_pattern: "tool2 status"
    effect: allow
`)
	part := func(words ...string) action.Part {
		v := action.ParseArgv(words)
		pt := action.Part{Text: words[0], Views: []action.Argv{v},
			Facets: []action.Action{{Kind: action.ShellExecute, Command: words[0], Program: v.Program}}}
		if g, ok := action.GuessValues(&v); ok {
			pt.Views = append(pt.Views, g)
		}
		return pt
	}
	for _, tc := range []struct {
		words []string
		want  action.Effect
	}{
		{[]string{"tool2", "--env", "prod", "deploy"}, action.Deny},
		{[]string{"tool2", "--env", "prod", "release"}, action.Ask},
		{[]string{"tool2", "status"}, action.Allow},
		// Only the guess reads this as "status": not allowed by it.
		{[]string{"tool2", "--env", "prod", "status"}, action.Deny},
	} {
		d := p.Decide(&action.Request{Parts: []action.Part{part(tc.words...)}})
		if d.Effect != tc.want {
			t.Errorf("%q: %v (%s), want %v", tc.words, d.Effect, d.Reason, tc.want)
		}
	}
}
