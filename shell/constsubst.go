package shell

import (
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// mayShadowPrint reports whether src may define a function or alias, or
// turn a builtin off or load one (enable), in which case echo and printf
// may not be the builtins. A word check, generous on purpose: it only
// stops command substitutions' output from being worked out.
func mayShadowPrint(src string) bool {
	return strings.Contains(src, "()") || strings.Contains(src, "function") ||
		strings.Contains(src, "alias") || strings.Contains(src, "enable") ||
		strings.Contains(src, "BASH_FUNC") || strings.Contains(src, "BASH_ENV") ||
		strings.Contains(src, "ENV=")
}

// constOutput is what a command substitution prints when it is a single
// echo or printf %s of words known statically: cat $(echo ~)/.aws/x,
// cat "$(printf %s /etc/shadow)", $(echo nc) -l 4444. Such a word names
// what the shell will pass, and is judged as if written out. Anything
// else (another program, a redirection, a nested substitution, a
// backslash, which echo treats differently in bash, dash and zsh) is
// not worked out.
func (r *resolver) constOutput(p *syntax.CmdSubst) (string, bool) {
	if r.noConst || len(p.Stmts) != 1 || len(p.Last) > 0 {
		return "", false
	}
	st := p.Stmts[0]
	ce, ok := st.Cmd.(*syntax.CallExpr)
	if !ok || st.Negated || st.Background || st.Coprocess || st.Disown || len(st.Redirs) > 0 ||
		len(ce.Assigns) > 0 || len(ce.Args) == 0 {
		return "", false
	}
	inner := &resolver{src: r.src, home: r.home, dir: r.dir, cwd: r.cwd, vars: r.vars, wordN: -1, noConst: true}
	ws := inner.words(ce.Args)
	if len(inner.subs) > 0 {
		return "", false
	}
	args := make([]string, len(ws))
	for i, w := range ws {
		if w.dyn != 0 || w.prompt || strings.IndexByte(w.s, '\\') >= 0 {
			return "", false
		}
		s := w.s
		if (s == "~" || strings.HasPrefix(s, "~/")) && (strings.HasPrefix(w.raw, "~") || strings.HasPrefix(w.raw, "$HOME") || strings.HasPrefix(w.raw, "${HOME}")) {
			// The inner shell expanded ~ or $HOME (words spell both ~).
			// A quoted '~' stays a literal ~, which place refuses at the
			// start of a word.
			if r.dir == "" {
				return "", false
			}
			s = r.dir + s[1:]
		}
		args[i] = s
	}
	var out string
	switch args[0] {
	case "echo":
		out, ok = echoText(args[1:])
	case "printf":
		out, ok = printfText(args[1:])
	default:
		return "", false
	}
	if !ok {
		return "", false
	}
	// A command substitution drops the output's trailing newlines.
	return strings.TrimRight(out, "\n"), true
}

// echoText is what bash's echo builtin prints for args (no backslash in
// them): leading options made only of n, e and E, then the rest joined by
// spaces.
func echoText(args []string) (string, bool) {
	newline := true
	for len(args) > 0 {
		o := args[0]
		if len(o) < 2 || o[0] != '-' || strings.Trim(o[1:], "neE") != "" {
			break
		}
		if strings.IndexByte(o, 'n') >= 0 {
			newline = false
		}
		args = args[1:]
	}
	out := strings.Join(args, " ")
	if newline {
		out += "\n"
	}
	return out, true
}

// printfText is what printf prints for a format of plain text (no % and
// no backslash) with no arguments, or for %s, which it repeats for each
// argument.
func printfText(args []string) (string, bool) {
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return "", false // printf -v NAME assigns instead of printing
	}
	format, rest := args[0], args[1:]
	switch {
	case format == "%s":
		return strings.Join(rest, ""), true
	case len(rest) == 0 && strings.IndexByte(format, '%') < 0:
		return format, true
	}
	return "", false
}

// place writes a command substitution's known output into the word being
// built. Unquoted, output the shell would split into several words or
// expand as a glob stays dynamic, as does output starting with ~ (the
// shell does not expand a tilde it substituted, the analyser would) and
// empty output (unquoted, it may remove the word).
func (r *resolver) place(b *strings.Builder, out string, quoted bool) bool {
	if !quoted {
		if out == "" || strings.ContainsAny(out, " \t\n*?[") {
			return false
		}
		if _, set := r.vars["IFS"]; set {
			return false
		}
	}
	if b.Len() == 0 && strings.HasPrefix(out, "~") {
		return false
	}
	b.WriteString(out)
	return true
}
