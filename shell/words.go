package shell

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"mvdan.cc/sh/v3/syntax"
)

// dynKind records what made a word's value unknowable before run time.
type dynKind uint8

const (
	dynParam dynKind = 1 << iota // $x, ${x:-y}
	dynSubst                     // $(cmd), `cmd`
	dynProc                      // <(cmd), >(cmd)
	dynGlob                      // *, ?, [..], extglob
	dynArith                     // $((1+2))
)

// why names the strongest reason a word is dynamic, for opaque details.
func (d dynKind) why() string {
	switch {
	case d&dynSubst != 0:
		return "a command substitution"
	case d&dynProc != 0:
		return "a process substitution"
	case d&dynParam != 0:
		return "a variable"
	case d&dynGlob != 0:
		return "a glob pattern"
	case d&dynArith != 0:
		return "an arithmetic expansion"
	}
	return "an expansion"
}

// word is one shell word after static resolution: quotes and escapes
// removed, brace expansion done, $HOME and ~ normalised to "~" and $PWD to
// the known working directory. What cannot be resolved keeps its source
// text (so "$p" stays "$p") and sets dyn.
type word struct {
	s   string  // resolved value
	raw string  // source text as written
	dyn dynKind // zero when s is exactly what the shell would pass
	// dynEnd is the offset in s just past the last dynamic piece; a word
	// whose dynamic pieces all sit in its directory part (before the last
	// '/') still names a known program.
	dynEnd int
	// net is set when a process or command substitution inside the word
	// fetches from the network (source <(curl ...)).
	net bool
	// prompt is set when the word has a ${x@P} expansion, which runs the
	// command substitutions in x's value.
	prompt bool
}

func lit(s string) word { return word{s: s, raw: s} }

func strs(ws []word) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.s
	}
	return out
}

// subst is a command or process substitution found inside a word; its
// statements become parts of their own.
type subst struct {
	stmts []*syntax.Stmt
	word  int // index of the word it came from, -1 when not an argument
	// proc is the source text of an input process substitution <(...),
	// "" otherwise: what it writes is what a reader of the word reads.
	proc string
}

// resolver turns syntax words into [word]s for one source text.
type resolver struct {
	src   string
	home  bool   // normalise $HOME to ~ at the start of a word
	dir   string // value of $HOME elsewhere, "" when unknown
	cwd   string // value of $PWD, "" when unknown
	vars  map[string]varVal
	subs  []subst
	wordN int
	// noConst: never work out a command substitution's output (see
	// analyzer.printShadowed).
	noConst bool
}

func (r *resolver) text(n syntax.Node) string {
	start, end := int(n.Pos().Offset()), int(n.End().Offset())
	if start < 0 || end > len(r.src) || start > end {
		return ""
	}
	return r.src[start:end]
}

// maxBraceWords bounds brace expansion; beyond it the word stays as written.
const maxBraceWords = 64

// words resolves a list of argument words, expanding braces.
func (r *resolver) words(ws []*syntax.Word) []word {
	out := make([]word, 0, len(ws))
	for _, w := range ws {
		r.wordN = len(out)
		if hasBraceCandidate(w) {
			raw := r.text(w)
			if !syntax.SplitBraces(w) {
				out = append(out, r.parts(w.Parts, raw))
				continue
			}
			if alts, ok := expandBraces(w.Parts, maxBraceWords); ok && len(alts) > 0 {
				subsBefore := len(r.subs)
				for i, parts := range alts {
					if i > 0 {
						// Substitutions appear once in the source; count them once.
						r.subs = r.subs[:subsBefore]
					}
					x := r.parts(parts, raw)
					out = append(out, x)
					r.wordN = len(out)
				}
				continue
			}
			out = append(out, word{s: raw, raw: raw, dyn: dynGlob, dynEnd: len(raw)})
			continue
		}
		out = append(out, r.word(w))
	}
	return out
}

func hasBraceCandidate(w *syntax.Word) bool {
	for _, p := range w.Parts {
		if l, ok := p.(*syntax.Lit); ok && strings.IndexByte(l.Value, '{') >= 0 {
			return true
		}
	}
	return false
}

// word resolves one word without brace expansion.
func (r *resolver) word(w *syntax.Word) word {
	if w == nil || len(w.Parts) == 0 {
		return word{}
	}
	return r.parts(w.Parts, r.text(w))
}

func (r *resolver) parts(parts []syntax.WordPart, raw string) word {
	// The common case: one plain literal without escapes or globs.
	if len(parts) == 1 {
		if l, ok := parts[0].(*syntax.Lit); ok && plainLit(l.Value) {
			return word{s: l.Value, raw: raw}
		}
	}
	var b strings.Builder
	var w word
	for i, p := range parts {
		r.part(&b, &w, p, false, i == 0)
	}
	w.s = b.String()
	w.raw = raw
	return w
}

// plainLit reports whether an unquoted literal means exactly itself.
func plainLit(s string) bool {
	if s == "" || s[0] == '~' {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\', '*', '?', '[':
			return false
		}
	}
	return true
}

func (r *resolver) dynamic(b *strings.Builder, w *word, k dynKind, text string) {
	b.WriteString(text)
	w.dyn |= k
	w.dynEnd = b.Len()
}

func (r *resolver) part(b *strings.Builder, w *word, p syntax.WordPart, quoted, first bool) {
	switch p := p.(type) {
	case *syntax.Lit:
		v := p.Value
		if quoted {
			b.WriteString(unescapeDouble(v))
			return
		}
		if first && b.Len() == 0 && strings.HasPrefix(v, "~") {
			// ~ and ~/x are kept as written: "~" is how users write home
			// in patterns, and path canonicalisation expands it.
			end := strings.IndexByte(v, '/')
			if end < 0 {
				end = len(v)
			}
			if end > 1 {
				// ~user: another user's home, unknown here.
				r.dynamic(b, w, dynParam, v[:end])
				v = v[end:]
			}
		}
		if isGlob(v) {
			w.dyn |= dynGlob
			b.WriteString(unescapeUnquoted(v))
			w.dynEnd = b.Len()
			return
		}
		b.WriteString(unescapeUnquoted(v))
	case *syntax.SglQuoted:
		if p.Dollar {
			b.WriteString(decodeEscapes(p.Value, escANSIC))
		} else {
			b.WriteString(p.Value)
		}
	case *syntax.DblQuoted:
		for _, q := range p.Parts {
			r.part(b, w, q, true, false)
		}
	case *syntax.ParamExp:
		r.collect(p)
		if p.Exp != nil && p.Exp.Op == syntax.OtherParamOps && p.Exp.Word != nil && strings.Contains(p.Exp.Word.Lit(), "P") {
			w.prompt = true
		}
		if p.Param != nil && simpleParam(p) {
			if v, ok := r.vars[p.Param.Value]; ok {
				// A value this text assigned. Unquoted, a value the shell
				// would split or glob stays dynamic.
				splits := " \t\n*?["
				if ifs, set := r.vars["IFS"]; set {
					// IFS=,; x=nc,-l,4444; $x splits on the commas.
					if !ifs.known {
						splits = ""
					} else {
						splits += ifs.val
					}
				}
				if v.known && (quoted || splits != "" && !strings.ContainsAny(v.val, splits)) {
					b.WriteString(v.val)
					return
				}
				r.dynamic(b, w, dynParam, r.text(p))
				return
			}
			switch p.Param.Value {
			case "HOME":
				if b.Len() == 0 && r.home {
					b.WriteString("~")
					return
				}
				if r.dir != "" {
					b.WriteString(r.dir)
					return
				}
			case "PWD":
				if r.cwd != "" {
					b.WriteString(r.cwd)
					return
				}
			}
		}
		r.dynamic(b, w, dynParam, r.text(p))
	case *syntax.CmdSubst:
		r.subs = append(r.subs, subst{stmts: p.Stmts, word: r.wordN})
		if out, ok := r.constOutput(p); ok && r.place(b, out, quoted) {
			return
		}
		r.dynamic(b, w, dynSubst, r.text(p))
	case *syntax.ProcSubst:
		sub := subst{stmts: p.Stmts, word: r.wordN}
		if p.Op == syntax.CmdIn {
			sub.proc = r.text(p)
		}
		r.subs = append(r.subs, sub)
		r.dynamic(b, w, dynProc, r.text(p))
	case *syntax.ArithmExp:
		r.collect(p)
		r.dynamic(b, w, dynArith, r.text(p))
	case *syntax.ExtGlob:
		r.dynamic(b, w, dynGlob, r.text(p))
	default:
		r.dynamic(b, w, dynParam, r.text(p))
	}
}

// simpleParam reports whether p is $name or ${name} with nothing else.
func simpleParam(p *syntax.ParamExp) bool {
	return p.Flags == nil && !p.Excl && !p.Length && !p.Width && !p.IsSet &&
		p.NestedParam == nil && p.Index == nil && len(p.Modifiers) == 0 &&
		p.Slice == nil && p.Repl == nil && p.Names == 0 && p.Exp == nil
}

// collect records the substitutions nested inside n (${x:-$(cmd)}, $(( $(cmd) ))).
func (r *resolver) collect(n syntax.Node) {
	syntax.Walk(n, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.CmdSubst:
			r.subs = append(r.subs, subst{stmts: n.Stmts, word: r.wordN})
			return false
		case *syntax.ProcSubst:
			r.subs = append(r.subs, subst{stmts: n.Stmts, word: r.wordN})
			return false
		}
		return true
	})
}

// isGlob reports whether an unquoted literal contains pattern characters.
func isGlob(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '*', '?':
			return true
		case '[':
			if strings.IndexByte(s[i+1:], ']') >= 0 {
				return true
			}
		}
	}
	return false
}

// unescapeUnquoted removes the backslashes of an unquoted literal.
func unescapeUnquoted(s string) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			i++
			if s[i] == '\n' {
				continue
			}
			b.WriteByte(s[i])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// unescapeDouble removes the backslashes that are special inside double quotes.
func unescapeDouble(s string) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			switch s[i+1] {
			case '$', '`', '"', '\\':
				b.WriteByte(s[i+1])
				i++
				continue
			case '\n':
				i++
				continue
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

// unescapeHeredoc removes the backslashes that are special in an unquoted
// here-document body.
func unescapeHeredoc(s string) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			switch s[i+1] {
			case '$', '`', '\\':
				b.WriteByte(s[i+1])
				i++
				continue
			case '\n':
				i++
				continue
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

// escape dialects for decodeEscapes.
const (
	escANSIC  = iota // $'...'
	escEcho          // echo -e, printf %b: \0nnn octal, \c stops
	escPrintf        // printf format: \nnn octal
)

// decodeEscapes interprets backslash escapes the way $'...', echo -e and
// printf do.
func decodeEscapes(s string, dialect int) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch e := s[i]; e {
		case 'a':
			b.WriteByte(7)
		case 'b':
			b.WriteByte(8)
		case 'e', 'E':
			b.WriteByte(27)
		case 'f':
			b.WriteByte(12)
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'v':
			b.WriteByte(11)
		case '\\', '\'', '"', '?':
			b.WriteByte(e)
		case 'c':
			if dialect == escEcho {
				return b.String()
			}
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i] & 0x1f)
			}
		case 'x':
			v, n := parseBase(s[i+1:], 16, 2)
			if n == 0 {
				b.WriteString(`\x`)
				continue
			}
			b.WriteByte(byte(v))
			i += n
		case 'u', 'U':
			max := 4
			if e == 'U' {
				max = 8
			}
			v, n := parseBase(s[i+1:], 16, max)
			if n == 0 {
				b.WriteByte('\\')
				b.WriteByte(e)
				continue
			}
			if v > utf8.MaxRune {
				v = utf8.RuneError
			}
			b.WriteRune(rune(v))
			i += n
		case '0', '1', '2', '3', '4', '5', '6', '7':
			digits := s[i:]
			max := 3
			if dialect == escEcho {
				if e != '0' {
					b.WriteByte('\\')
					b.WriteByte(e)
					continue
				}
				digits = s[i+1:] // \0nnn
			}
			v, n := parseBase(digits, 8, max)
			b.WriteByte(byte(v))
			if dialect == escEcho {
				i += n
			} else {
				i += n - 1
			}
		default:
			b.WriteByte('\\')
			b.WriteByte(e)
		}
	}
	return b.String()
}

// parseBase reads up to max digits of base from the start of s.
func parseBase(s string, base, max int) (uint64, int) {
	n := 0
	for n < len(s) && n < max {
		if _, err := strconv.ParseUint(s[n:n+1], base, 8); err != nil {
			break
		}
		n++
	}
	if n == 0 {
		return 0, 0
	}
	v, _ := strconv.ParseUint(s[:n], base, 64)
	return v, n
}

// expandBraces expands the BraceExp nodes SplitBraces left in parts into
// alternative part lists, at most limit of them.
func expandBraces(parts []syntax.WordPart, limit int) ([][]syntax.WordPart, bool) {
	alts := [][]syntax.WordPart{nil}
	for _, p := range parts {
		be, ok := p.(*syntax.BraceExp)
		if !ok {
			for i := range alts {
				alts[i] = append(alts[i], p)
			}
			continue
		}
		var choices [][]syntax.WordPart
		if be.Sequence {
			seq, ok := braceSequence(be, limit)
			if !ok {
				return nil, false
			}
			for _, s := range seq {
				choices = append(choices, []syntax.WordPart{&syntax.Lit{Value: s}})
			}
		} else {
			for _, e := range be.Elems {
				sub, ok := expandBraces(e.Parts, limit)
				if !ok {
					return nil, false
				}
				choices = append(choices, sub...)
			}
		}
		if len(alts)*len(choices) > limit {
			return nil, false
		}
		next := make([][]syntax.WordPart, 0, len(alts)*len(choices))
		for _, a := range alts {
			for _, c := range choices {
				x := make([]syntax.WordPart, 0, len(a)+len(c))
				x = append(x, a...)
				x = append(x, c...)
				next = append(next, x)
			}
		}
		alts = next
	}
	return alts, true
}

// braceSequence expands {a..b[..step]} for integers and single letters.
func braceSequence(be *syntax.BraceExp, limit int) ([]string, bool) {
	if len(be.Elems) < 2 {
		return nil, false
	}
	vals := make([]string, len(be.Elems))
	for i, e := range be.Elems {
		vals[i] = e.Lit()
	}
	step := 1
	if len(vals) > 2 {
		n, err := strconv.Atoi(vals[2])
		if err != nil || n == 0 {
			return nil, false
		}
		if n < 0 {
			n = -n
		}
		step = n
	}
	from, err1 := strconv.Atoi(vals[0])
	to, err2 := strconv.Atoi(vals[1])
	letters := false
	if err1 != nil || err2 != nil {
		if len(vals[0]) != 1 || len(vals[1]) != 1 {
			return nil, false
		}
		from, to, letters = int(vals[0][0]), int(vals[1][0]), true
	}
	count := (to-from)/step + 1
	if to < from {
		count = (from-to)/step + 1
	}
	if count > limit || count < 1 {
		return nil, false
	}
	out := make([]string, 0, count)
	for i := 0; i < count; i++ {
		v := from + i*step
		if to < from {
			v = from - i*step
		}
		if letters {
			out = append(out, string(rune(v)))
		} else {
			out = append(out, strconv.Itoa(v))
		}
	}
	return out, true
}
