package policy

import (
	"fmt"
	"strings"

	"github.com/safeclaw/safeclaw/action"
)

// cmdPattern is a compiled command_pattern. See docs/policy.md, "How
// command_pattern matches", for the grammar.
type cmdPattern struct {
	raw   string
	words []string // the pattern's words, quotes resolved
	prog  glob     // the program, reduced with action.ProgramName
	opts  []patOpt
	pos   []patWord // positionals, matched as a prefix
}

type patOpt struct {
	name     glob
	hasValue bool
	value    glob
}

type patWord struct {
	any bool // a lone '*': any number of words
	g   glob
}

// patternError is a pattern problem with the offset (in bytes) of the
// offending spot inside the pattern.
type patternError struct {
	off  int
	msg  string
	hint string
}

func (e *patternError) Error() string { return e.msg }

// splitPattern splits a pattern into words on whitespace; "..." and '...'
// group a word with spaces (the quotes are removed). Unquoted shell
// operators are refused: a pattern matches one simple command.
func splitPattern(s string) ([]string, error) {
	if words, ok := splitPlainPattern(s); ok {
		return words, nil
	}
	var words []string
	var cur strings.Builder
	inWord := false
	var quote byte
	quoteAt := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if quote != 0 {
			if c == quote {
				quote = 0
				continue
			}
			cur.WriteByte(c)
			continue
		}
		switch c {
		case ' ', '\t', '\n', '\r':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
			continue
		case '"', '\'':
			quote, quoteAt, inWord = c, i, true
			continue
		case '|', '&', ';', '<', '>', '(', ')', '`':
			op := string(c)
			if i+1 < len(s) && (s[i+1] == c || (c == '>' && s[i+1] == '&') || (c == '&' && s[i+1] == '>')) {
				op += string(s[i+1])
			}
			hint := "a pattern matches one simple command and each command of a pipeline or list is checked on its own: write one rule per command"
			if c == '<' || c == '>' {
				hint = "redirections are not words of a command, so a pattern with one never matches: match redirection targets with a file.write path rule"
			}
			return nil, &patternError{off: i, msg: fmt.Sprintf("command_pattern contains the shell operator %q", op), hint: hint + ", or quote the character to match it literally"}
		case '$':
			return nil, &patternError{off: i, msg: "command_pattern contains '$'", hint: "commands are matched after expansion, so a variable never matches; quote it ('$') to match a literal dollar sign"}
		case '\\':
			return nil, &patternError{off: i, msg: "command_pattern contains a backslash", hint: "use quotes to group or protect characters"}
		}
		cur.WriteByte(c)
		inWord = true
	}
	if quote != 0 {
		return nil, &patternError{off: quoteAt, msg: "unterminated quote in command_pattern", hint: "close the quote"}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// splitPlainPattern splits a pattern without quotes or special characters
// (most patterns) into substrings of s without copying; ok is false when
// splitPattern must do the full job.
func splitPlainPattern(s string) (words []string, ok bool) {
	n := 0
	inWord := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '\r':
			inWord = false
		case '"', '\'', '|', '&', ';', '<', '>', '(', ')', '`', '$', '\\':
			return nil, false
		default:
			if !inWord {
				n++
				inWord = true
			}
		}
	}
	words = make([]string, 0, n)
	start := -1
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' {
			if start >= 0 {
				words = append(words, s[start:i])
				start = -1
			}
			continue
		}
		if start < 0 {
			start = i
		}
	}
	return words, true
}

func compilePattern(s string) (*cmdPattern, error) {
	if i, r := invisibleAt(s); i >= 0 {
		return nil, &patternError{off: i, msg: fmt.Sprintf("command_pattern %q contains the invisible character %U", s, r), hint: invisibleHint(r)}
	}
	words, err := splitPattern(s)
	if err != nil {
		return nil, err
	}
	if len(words) == 0 {
		return nil, &patternError{msg: "empty command_pattern", hint: "write the program and its arguments, e.g. \"npm run dev\""}
	}
	if words[0] == "" {
		return nil, &patternError{msg: "command_pattern starts with an empty word", hint: "the first word is the program"}
	}
	if strings.HasPrefix(words[0], "-") {
		return nil, &patternError{msg: fmt.Sprintf("command_pattern starts with the option %q", words[0]), hint: "the first word is the program, e.g. \"nc -l *\""}
	}
	if strings.HasSuffix(words[0], "/") {
		return nil, &patternError{msg: fmt.Sprintf("command_pattern program %q ends with '/'", words[0]), hint: "name the program, e.g. \"/bash -i\" for bash with or without a path"}
	}
	argv := action.ParseArgv(words)
	p := &cmdPattern{raw: s, words: words, prog: newGlob(argv.Program, false)}
	if len(argv.Options) > 0 {
		p.opts = make([]patOpt, 0, len(argv.Options))
	}
	if len(argv.Positionals) > 0 {
		p.pos = make([]patWord, 0, len(argv.Positionals))
	}
	for _, o := range argv.Options {
		po := patOpt{name: newGlob(o.Name, false), hasValue: o.HasValue}
		if o.HasValue {
			po.value = newGlob(o.Value, false)
		}
		p.opts = append(p.opts, po)
	}
	for _, w := range argv.Positionals {
		p.pos = append(p.pos, patWord{any: w == "*", g: newGlob(w, false)})
	}
	return p, nil
}

// matchView reports whether the pattern matches one view of a part.
func (p *cmdPattern) matchView(v *action.Argv) bool {
	if !p.prog.match(v.Program) {
		return false
	}
	for i := range p.opts {
		if !p.opts[i].matchAny(v.Options) {
			return false
		}
	}
	return matchPrefix(p.pos, v.Positionals)
}

func (o *patOpt) matchAny(opts []action.Option) bool {
	for i := range opts {
		vo := &opts[i]
		if !o.name.match(vo.Name) {
			continue
		}
		if !o.hasValue || o.value.any || (vo.HasValue && o.value.match(vo.Value)) {
			return true
		}
	}
	return false
}

// matchPrefix matches pattern words against a prefix of words; a lone '*'
// matches any number of words. It backtracks only to the latest lone '*'.
func matchPrefix(pat []patWord, words []string) bool {
	pi, wi := 0, 0
	starPi, starWi := -1, 0
	for pi < len(pat) {
		if pat[pi].any {
			starPi, starWi = pi, wi
			pi++
			continue
		}
		if wi < len(words) && pat[pi].g.match(words[wi]) {
			pi++
			wi++
			continue
		}
		if starPi >= 0 && starWi < len(words) {
			starWi++
			pi, wi = starPi+1, starWi
			continue
		}
		return false
	}
	return true
}

// whyNot explains, for Explain, why the pattern does not match view v.
func (p *cmdPattern) whyNot(v *action.Argv) string {
	if !p.prog.match(v.Program) {
		return fmt.Sprintf("program %q is not %q", v.Program, p.prog.pat)
	}
	for i := range p.opts {
		o := &p.opts[i]
		if !o.matchAny(v.Options) {
			if o.hasValue && !o.value.any {
				return fmt.Sprintf("no option %s with a value matching %q", o.name.pat, o.value.pat)
			}
			return fmt.Sprintf("no option %s", o.name.pat)
		}
	}
	if !matchPrefix(p.pos, v.Positionals) {
		var want []string
		for _, w := range p.pos {
			want = append(want, w.g.pat)
		}
		return fmt.Sprintf("arguments %q do not start with %q", v.Positionals, want)
	}
	return ""
}
