package action

import "strings"

// GuessValues reads a's words again for a program safeclaw has no option
// table for, guessing that every option written without '=' takes the next
// word as its value: in `aws2 --profile prod s3 cp` the subcommand is then
// `s3 cp`, where the plain reading makes it `prod s3 cp`. Neither reading is
// certain, so the policy lets only deny and ask rules match the guess: a
// deny for "aws2 s3 cp" is not dodged by a global option, and no allow rule
// matches more than it did. It reports false for programs with a table and
// when the guess reads the words as a does.
func GuessValues(a *Argv) (Argv, bool) {
	if len(a.Words) < 3 || a.Guess {
		return Argv{}, false
	}
	if _, known := optionSpecs[a.Program]; known {
		return Argv{}, false
	}
	g := Argv{Words: a.Words, Program: a.Program, Guess: true}
	rest := a.Words[1:]
	changed := false
	for i := 0; i < len(rest); i++ {
		w := rest[i]
		switch {
		case w == "--":
			g.Positionals = append(g.Positionals, rest[i+1:]...)
			i = len(rest)
		case len(w) < 2 || w[0] != '-':
			g.Positionals = append(g.Positionals, w)
		default:
			name, val, has := strings.Cut(w, "=")
			if !has && i+1 < len(rest) && !isOption(rest[i+1]) {
				val, has = rest[i+1], true
				i++
				changed = true
			}
			g.Options = append(g.Options, Option{Name: name, Value: val, HasValue: has})
		}
	}
	return g, changed
}

func isOption(w string) bool { return len(w) > 1 && w[0] == '-' }
