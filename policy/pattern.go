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
func splitPattern(s string, a *patArena) ([]string, error) {
	if words, ok := splitPlainPattern(s, a); ok {
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
func splitPlainPattern(s string, a *patArena) (words []string, ok bool) {
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
	words = take(a.wordBuf(), n)
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

// patArena hands out the storage of many patterns' words, options and
// positionals from shared blocks, and remembers the last program name:
// the built-in default alone has 160 patterns, compiled by every hook. A
// nil arena allocates each pattern on its own.
type patArena struct {
	words []string
	opts  []patOpt
	pos   []patWord
	// prevWord and prevProg memoise action.ProgramName (patterns of a rule
	// mostly share their program).
	prevWord, prevProg string
}

// arenaBlock is how many elements an arena block holds.
const arenaBlock = 64

func (a *patArena) wordBuf() *[]string {
	if a == nil {
		return nil
	}
	return &a.words
}

// take returns an empty slice with room for n elements, cut from *buf (a
// new block when it has too little room) or, for a nil buf, allocated. The
// capacity is exactly n, so appending past it cannot reach a neighbour.
func take[T any](buf *[]T, n int) []T {
	if buf == nil {
		return make([]T, 0, n)
	}
	if cap(*buf)-len(*buf) < n {
		*buf = make([]T, 0, max(n, arenaBlock))
	}
	l := len(*buf)
	*buf = (*buf)[:l+n]
	return (*buf)[l : l : l+n]
}

// programName is action.ProgramName(word), remembering the last answer.
func (a *patArena) programName(word string) string {
	if a == nil {
		return action.ProgramName(word)
	}
	if word != a.prevWord || a.prevProg == "" {
		a.prevWord, a.prevProg = word, action.ProgramName(word)
	}
	return a.prevProg
}

// parsePatternArgv is action.ParseArgv(words) for what compilePattern
// reads of it (program, options, positionals). Words without an option
// (no word after the program starts with '-' and is longer than "-") are
// all positionals whatever the program's option spec, and are not parsed
// again.
func parsePatternArgv(words []string, a *patArena) (prog string, opts []action.Option, pos []string) {
	for _, w := range words[1:] {
		if len(w) >= 2 && w[0] == '-' {
			argv := action.ParseArgv(words)
			return argv.Program, argv.Options, argv.Positionals
		}
	}
	if len(words) > 1 {
		pos = words[1:]
	}
	return a.programName(words[0]), nil, pos
}

func compilePattern(s string) (*cmdPattern, error) {
	p := new(cmdPattern)
	if err := compilePatternInto(p, s, nil); err != nil {
		return nil, err
	}
	return p, nil
}

// compilePatternInto compiles s into p, taking storage from a (which may
// be nil).
func compilePatternInto(p *cmdPattern, s string, a *patArena) error {
	if i, r := invisibleAt(s); i >= 0 {
		return &patternError{off: i, msg: fmt.Sprintf("command_pattern %q contains the invisible character %U", s, r), hint: invisibleHint(r)}
	}
	if i, r := controlAt(s, false); i >= 0 {
		return &patternError{off: i, msg: fmt.Sprintf("command_pattern %q contains the control character %U", s, r), hint: controlHint}
	}
	words, err := splitPattern(s, a)
	if err != nil {
		return err
	}
	if len(words) == 0 {
		return &patternError{msg: "empty command_pattern", hint: "write the program and its arguments, e.g. \"npm run dev\""}
	}
	if words[0] == "" {
		return &patternError{msg: "command_pattern starts with an empty word", hint: "the first word is the program"}
	}
	if strings.HasPrefix(words[0], "-") {
		return &patternError{msg: fmt.Sprintf("command_pattern starts with the option %q", words[0]), hint: "the first word is the program, e.g. \"nc -l *\""}
	}
	if strings.HasSuffix(words[0], "/") {
		return &patternError{msg: fmt.Sprintf("command_pattern program %q ends with '/'", words[0]), hint: "name the program, e.g. \"/bash -i\" for bash with or without a path"}
	}
	prog, opts, pos := parsePatternArgv(words, a)
	*p = cmdPattern{raw: s, words: words, prog: newGlob(prog, false)}
	if len(opts) > 0 {
		var buf *[]patOpt
		if a != nil {
			buf = &a.opts
		}
		p.opts = take(buf, len(opts))
	}
	if len(pos) > 0 {
		var buf *[]patWord
		if a != nil {
			buf = &a.pos
		}
		p.pos = take(buf, len(pos))
	}
	for _, o := range opts {
		po := patOpt{name: newGlob(o.Name, false), hasValue: o.HasValue}
		if o.HasValue {
			po.value = newGlob(o.Value, false)
		}
		p.opts = append(p.opts, po)
	}
	for _, w := range pos {
		p.pos = append(p.pos, patWord{any: w == "*", g: newGlob(w, false)})
	}
	return nil
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
