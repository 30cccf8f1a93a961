package shell

import (
	"sort"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// withPositional returns shell text with its positional parameters ($0,
// $1..$9, ${N}, $@, $*, "$@", "$*") replaced by the literal arguments a
// shell was given after -c TEXT (sh -c 'nc "$@"' _ -l 4444 runs nc -l
// 4444), so that what the text runs is seen. It reports false, changing
// nothing, when an argument is not literal or the text does not parse.
// Unquoted expansions are split on blanks as the shell splits them;
// expansions with operators (${1:-x}, ${#1}) are left as they are.
func withPositional(text string, args []word) (string, bool) {
	if len(args) == 0 || !strings.Contains(text, "$") {
		return text, false
	}
	vals := make([]string, len(args))
	for i, w := range args {
		if w.dyn != 0 || strings.Contains(w.s, "{}") {
			return text, false
		}
		vals[i] = w.s
	}
	p := parsers.Get().(*syntax.Parser)
	defer parsers.Put(p)
	f, err := p.Parse(strings.NewReader(text), "")
	if err != nil {
		return text, false
	}
	type edit struct {
		start, end int
		with       string
	}
	var edits []edit
	value := func(pe *syntax.ParamExp) (string, []string, bool) {
		if pe.Excl || pe.Length || pe.Width || pe.Index != nil || pe.Slice != nil || pe.Repl != nil || pe.Names != 0 || pe.Exp != nil || pe.Param == nil {
			return "", nil, false
		}
		switch name := pe.Param.Value; {
		case name == "@" || name == "*":
			if len(vals) < 2 {
				return "", nil, true
			}
			return strings.Join(vals[1:], " "), vals[1:], true
		case len(name) == 1 && name[0] >= '0' && name[0] <= '9':
			n := int(name[0] - '0')
			if n < len(vals) {
				return vals[n], []string{vals[n]}, true
			}
			return "", nil, true
		}
		return "", nil, false
	}
	quote := func(s string) string {
		q, err := syntax.Quote(s, syntax.LangBash)
		if err != nil {
			return "''"
		}
		return q
	}
	var visit func(n syntax.Node) bool
	visit = func(n syntax.Node) bool {
		switch x := n.(type) {
		case *syntax.DblQuoted:
			if len(x.Parts) == 1 {
				if pe, isPE := x.Parts[0].(*syntax.ParamExp); isPE && pe.Param != nil && pe.Param.Value == "@" {
					if _, list, good := value(pe); good {
						// "$@": one word per argument.
						q := make([]string, len(list))
						for i, s := range list {
							q[i] = quote(s)
						}
						with := strings.Join(q, " ")
						if len(list) == 0 {
							with = ""
						}
						edits = append(edits, edit{int(x.Pos().Offset()), int(x.End().Offset()), with})
						return false
					}
				}
			}
			for _, part := range x.Parts {
				pe, isPE := part.(*syntax.ParamExp)
				if !isPE {
					syntax.Walk(part, visit)
					continue
				}
				if s, _, good := value(pe); good {
					// Inside double quotes: escape what double quotes interpret.
					r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "$", `\$`, "`", "\\`").Replace(s)
					edits = append(edits, edit{int(pe.Pos().Offset()), int(pe.End().Offset()), r})
				}
			}
			return false
		case *syntax.SglQuoted:
			return false
		case *syntax.ParamExp:
			if _, list, good := value(x); good {
				// Unquoted: split into fields on blanks.
				var q []string
				for _, s := range list {
					for _, field := range strings.Fields(s) {
						q = append(q, quote(field))
					}
				}
				edits = append(edits, edit{int(x.Pos().Offset()), int(x.End().Offset()), strings.Join(q, " ")})
				return false
			}
		}
		return true
	}
	syntax.Walk(f, visit)
	if len(edits) == 0 {
		return text, false
	}
	sort.Slice(edits, func(i, j int) bool { return edits[i].start < edits[j].start })
	var b strings.Builder
	last := 0
	for _, e := range edits {
		if e.start < last || e.end > len(text) {
			return text, false
		}
		b.WriteString(text[last:e.start])
		b.WriteString(e.with)
		last = e.end
	}
	b.WriteString(text[last:])
	return b.String(), true
}
