package shell

import (
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// Bash expands the array subscript of a variable name that a builtin takes
// as an operand, and evaluates it as arithmetic, when the builtin runs:
// test -v 'a[$(CMD)]', printf -v 'a[$(CMD)]' x, read, unset, wait -p,
// getopts, declare/typeset/local/export/readonly 'a[$(CMD)]=1' and
// let 'a[$(CMD)]' all run CMD, though the quotes hide it from the parser.
// A name with a command substitution in its subscript (quoted, or a real
// one whose output is expanded again) is opaque. So is a value assigned
// with such a literal subscript (x='a[$(CMD)]'; echo $((x)) runs CMD when
// the value is used as a number or a name), and ${x@P}, which expands the
// command substitutions in x's value.

// subscriptCode reports whether s has a command substitution ($( or `)
// after a [.
func subscriptCode(s string) bool {
	i := strings.IndexByte(s, '[')
	if i < 0 {
		return false
	}
	rest := s[i+1:]
	return strings.Contains(rest, "$(") || strings.ContainsRune(rest, '`')
}

// nameOperands are the builtins whose operands (or an option's value) are
// variable names, and how to find them.
func nameOperands(ws []word) []word {
	if len(ws) < 2 || ws[0].dyn != 0 {
		return nil
	}
	args := ws[1:]
	var out []word
	switch ws[0].s {
	case "test", "[":
		for i := 0; i+1 < len(args); i++ {
			if args[i].s == "-v" || args[i].s == "-R" {
				out = append(out, args[i+1])
			}
		}
	case "printf":
		for i := 0; i < len(args); i++ {
			s := args[i].s
			switch {
			case s == "--" || !strings.HasPrefix(s, "-"):
				return out
			case s == "-v" && i+1 < len(args):
				out = append(out, args[i+1])
				i++
			case strings.HasPrefix(s, "-v"):
				w := args[i]
				w.s = s[2:]
				out = append(out, w)
			}
		}
	case "read":
		for i := 0; i < len(args); i++ {
			s := args[i].s
			switch {
			case len(s) > 1 && s[0] == '-' && s != "--":
				// Options with a value: -a NAME is a name, the others
				// (-p PROMPT, -d DELIM, -i TEXT, -n, -N, -t, -u) are not.
				if last := s[len(s)-1]; strings.IndexByte("adinNptu", last) >= 0 && i+1 < len(args) {
					if last == 'a' {
						out = append(out, args[i+1])
					}
					i++
				}
			default:
				out = append(out, args[i])
			}
		}
	case "unset", "wait", "getopts", "mapfile", "readarray":
		// Every word: an option's value (wait -p NAME, mapfile -C CMD) is
		// checked too, which only errs on the side of opaque.
		out = args
	case "export", "declare", "typeset", "local", "readonly":
		// The name part only; values are checked as assignments.
		for _, w := range args {
			if name, _, ok := strings.Cut(w.s, "="); ok {
				w.s = name
			}
			out = append(out, w)
		}
	}
	return out
}

// subscriptOpaque says why the innermost command's words or assignments
// run code hidden in a subscript or a prompt expansion, or in the shell
// history (fc -s re-runs it), or "".
func subscriptOpaque(ws, assigns []word) string {
	if len(ws) > 0 && ws[0].dyn == 0 && ws[0].s == "fc" && fcReruns(ws[1:]) {
		return "fc runs commands from the shell history, which the text can fill (history -s CMD)"
	}
	for _, w := range nameOperands(ws) {
		if subscriptCode(w.s) {
			return "variable name with a command substitution in its subscript: " + clip(w.raw)
		}
	}
	values := assigns
	if len(ws) > 0 && ws[0].dyn == 0 && declBuiltins[ws[0].s] {
		values = append(append([]word(nil), values...), ws[1:]...)
	}
	for _, w := range values {
		_, val, ok := strings.Cut(w.s, "=")
		// A real substitution's output is not analysed here; a literal
		// one (only possible when the word has no real one) is code.
		if ok && w.dyn&(dynSubst|dynProc) == 0 && subscriptCode(val) {
			return "value with a command substitution in a subscript, run when used as a number or name: " + clip(w.raw)
		}
	}
	for _, w := range append(append([]word(nil), assigns...), ws...) {
		if w.prompt {
			return "prompt expansion (${x@P}) runs the command substitutions in a value: " + clip(w.raw)
		}
	}
	return ""
}

// letCode reports a let or (( )) whose text has a command substitution in
// a subscript, quoted (let 'a[$(CMD)]') or not (its output is evaluated
// again).
func letCode(c syntax.Command, text string) bool {
	if _, ok := c.(*syntax.LetClause); !ok {
		return false
	}
	return subscriptCode(text)
}

// fcReruns reports an fc that runs history entries without an editor:
// fc -s, and fc -e - (its POSIX spelling). fc -e EDITOR opens an editor.
func fcReruns(args []word) bool {
	for i, w := range args {
		if w.s == "--" || !strings.HasPrefix(w.s, "-") || len(w.s) < 2 || w.s[1] >= '0' && w.s[1] <= '9' {
			break
		}
		if strings.ContainsRune(w.s[1:], 's') || strings.HasSuffix(w.s, "e") && i+1 < len(args) && args[i+1].s == "-" {
			return true
		}
	}
	return false
}
