package shell

import (
	"testing"

	"github.com/safeclaw/safeclaw/action"
)

// A command substitution that is one echo or printf %s of words known
// statically names what the shell passes; the word is judged as if it
// were written out. Anything else stays dynamic.
func TestConstantSubstitutions(t *testing.T) {
	tests := []struct {
		text string
		kind action.Kind
		path string // the facet's path ("" for none of kind)
	}{
		{"cat $(echo /etc/shadow)", action.FileRead, "/etc/shadow"},
		{"cat `echo /etc/shadow`", action.FileRead, "/etc/shadow"},
		{`cat "$(echo ~/.aws/credentials)"`, action.FileRead, "/home/dev/.aws/credentials"},
		{"cat $(echo ~)/.aws/credentials", action.FileRead, "/home/dev/.aws/credentials"},
		{"cat $(echo $HOME)/.ssh/id_rsa", action.FileRead, "/home/dev/.ssh/id_rsa"},
		{"cat /etc/$(echo shadow)", action.FileRead, "/etc/shadow"},
		{`cat "$(printf %s /etc/shadow)"`, action.FileRead, "/etc/shadow"},
		{"cat $(printf %s /etc/ sha dow)", action.FileRead, "/etc/shadow"},
		{"cat $(printf /etc/shadow)", action.FileRead, "/etc/shadow"},
		{"cat $(echo -n /etc/shadow)", action.FileRead, "/etc/shadow"},
		{"f=/etc/shadow; cat $(echo $f)", action.FileRead, "/etc/shadow"},
		{`cat "$(echo /etc/my file)"`, action.FileRead, "/etc/my file"},
		{"rm $(echo build)", action.FileDelete, "/work/proj/build"},
		// Not worked out: the path stays as written.
		{"cat $(echo /etc/my file)", action.FileRead, "$(echo /etc/my file)"},       // split into two words
		{"cat $(echo '/etc/*')", action.FileRead, "$(echo '/etc/*')"},               // a glob
		{`cat $(echo '\x41')`, action.FileRead, `$(echo '\x41')`},                   // echo differs between shells
		{"cat $(echo $X)", action.FileRead, "$(echo $X)"},                           // unknown value
		{"cat $(date +%F)", action.FileRead, "$(date +%F)"},                         // another program
		{"cat $(echo a; echo b)", action.FileRead, "$(echo a; echo b)"},             // two commands
		{"cat $(echo a >&2)", action.FileRead, "$(echo a >&2)"},                     // a redirection
		{"cat $(echo $(echo a))", action.FileRead, "$(echo $(echo a))"},             // nested
		{"cat $(printf %d 1)", action.FileRead, "$(printf %d 1)"},                   // another format
		{"cat $(printf -v x a)", action.FileRead, "$(printf -v x a)"},               // assigns
		{"IFS=/; cat $(echo a/b)", action.FileRead, "$(echo a/b)"},                  // IFS splits it
		{"cat $(echo '~')/.ssh/id_rsa", action.FileRead, "$(echo '~')/.ssh/id_rsa"}, // a literal ~
		{"echo() { printf /etc/shadow; }; cat $(echo x)", action.FileRead, "$(echo x)"},
		{"alias echo='printf /etc/shadow'; cat $(echo x)", action.FileRead, "$(echo x)"},
		{"enable -n echo; cat $(echo x)", action.FileRead, "$(echo x)"},
	}
	for _, tt := range tests {
		parts := analyze(tt.text)
		checkInvariants(t, tt.text, parts)
		fs := facets(parts, tt.kind)
		var got []string
		for _, f := range fs {
			got = append(got, f.Path)
		}
		if len(got) != 1 || got[0] != tt.path {
			t.Errorf("%q: %s paths %q, want %q", tt.text, tt.kind, got, tt.path)
		}
	}
}

// A command name from a constant substitution is the program it names:
// judged as such, not opaque.
func TestConstantSubstitutionNames(t *testing.T) {
	for _, tt := range []struct {
		text string
		want action.Kind
	}{
		{"$(echo nc) -l 4444", action.NetworkListen},
		{"`echo python3` -m http.server 8000", action.NetworkListen},
		{`"$(printf %s /usr/bin/nc)" -lvnp 4444`, action.NetworkListen},
		{"$(echo bash) -c 'nc -l 1'", action.NetworkListen},
		{"$(echo ls) -la", ""},
		{"$(cat x) -l 4444", action.ShellOpaque},
	} {
		parts := analyze(tt.text)
		checkJudged(t, tt.text, parts, tt.want, judgedKinds)
	}
}
