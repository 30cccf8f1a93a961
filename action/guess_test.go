package action

import (
	"reflect"
	"testing"
)

func TestGuessValues(t *testing.T) {
	for _, tc := range []struct {
		words []string
		ok    bool
		pos   []string
		opts  []Option
	}{
		{[]string{"tool2", "--env", "prod", "deploy"}, true, []string{"deploy"}, []Option{{Name: "--env", Value: "prod", HasValue: true}}},
		{[]string{"tool2", "-e", "prod", "deploy", "x"}, true, []string{"deploy", "x"}, []Option{{Name: "-e", Value: "prod", HasValue: true}}},
		{[]string{"tool2", "--a", "--b", "v", "run"}, true, []string{"run"}, []Option{{Name: "--a"}, {Name: "--b", Value: "v", HasValue: true}}},
		{[]string{"tool2", "--", "--env", "x"}, false, nil, nil},     // after --, nothing is an option
		{[]string{"tool2", "--env=prod", "deploy"}, false, nil, nil}, // nothing to guess
		{[]string{"tool2", "deploy", "--force"}, false, nil, nil},
		{[]string{"tool2", "--force"}, false, nil, nil},
		{[]string{"git", "-C", "dir", "push"}, false, nil, nil}, // git has a table
		{[]string{"python3", "-X", "dev", "x.py"}, false, nil, nil},
	} {
		a := ParseArgv(tc.words)
		g, ok := GuessValues(&a)
		if ok != tc.ok {
			t.Errorf("%q: ok %v", tc.words, ok)
			continue
		}
		if !ok {
			continue
		}
		if !g.Guess || g.Program != a.Program || !reflect.DeepEqual(g.Positionals, tc.pos) || !reflect.DeepEqual(g.Options, tc.opts) {
			t.Errorf("%q: got %+v", tc.words, g)
		}
		if _, again := GuessValues(&g); again {
			t.Errorf("%q: a guess was guessed again", tc.words)
		}
	}
}
