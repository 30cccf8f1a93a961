package shell

import (
	"reflect"
	"testing"
)

// The command that runs gets a guessed reading when its program has no
// option table and an option may take the next word; wrappers do not.
func TestGuessedView(t *testing.T) {
	for _, tc := range []struct {
		text string
		prog string
		pos  []string // the guess's positionals; nil: no guess
	}{
		{"tool2 --env prod deploy now", "tool2", []string{"deploy", "now"}},
		{"sudo tool2 -e prod deploy", "tool2", []string{"deploy"}},
		{"tool2 deploy", "tool2", nil},
		{"git -C /r push", "git", nil},
		{"aws --profile p s3 cp a b", "aws", nil},
	} {
		parts := analyze(tc.text)
		checkInvariants(t, tc.text, parts)
		p := partWith(t, parts, tc.prog)
		var got []string
		guesses := 0
		for i, v := range p.Views {
			if v.Guess {
				guesses++
				got = v.Positionals
				if i != len(p.Views)-1 || v.Program != p.Views[i-1].Program {
					t.Errorf("%q: the guess is not a reading of the last view", tc.text)
				}
			}
		}
		if guesses > 1 || !reflect.DeepEqual(got, tc.pos) {
			t.Errorf("%q: %d guesses, positionals %q, want %q", tc.text, guesses, got, tc.pos)
		}
	}
}
