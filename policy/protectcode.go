package policy

import (
	"strings"

	"github.com/safeclaw/safeclaw/action"
)

// Code an interpreter runs from its command line (python3 -c, node -e,
// perl -e, ...) does whatever it says, and the shell analyser does not read
// other languages. When it names one of safeclaw's protected files, in any
// spelling a program builds a path from (a literal path, ~/..., the home
// directory joined with '.claude' and 'settings.json'), self-protection
// refuses it, under every policy: what the code does with the file is
// unknown, as with an MCP tool's arguments (argsNameProtected). A script
// given such a path as an argument is refused alike.

// codeInterpreters are the programs (action.ProgramName) whose arguments
// are code or may be handed to code.
var codeInterpreters = map[string]bool{
	"python": true, "pypy": true, "node": true, "deno": true, "bun": true, "perl": true, "ruby": true, "jruby": true,
	"irb": true, "php": true, "lua": true, "luajit": true, "tclsh": true, "wish": true, "julia": true, "Rscript": true,
	"R": true, "osascript": true, "pwsh": true, "powershell": true, "awk": true, "gawk": true, "mawk": true,
	"nawk": true, "busybox": true, "groovy": true, "scala": true, "kotlin": true, "swift": true, "java": true,
	"jshell": true, "elixir": true, "erl": true, "escript": true, "guile": true, "racket": true, "sbcl": true,
	"clojure": true, "ghci": true, "runghc": true, "dotnet": true, "gdb": true, "vim": true, "nvim": true,
	"vi": true, "ex": true, "emacs": true, "sqlite3": true, "uv": true, "uvx": true, "npx": true, "tsx": true,
	"ts-node": true, "zx": true,
}

// protectedNames returns, for each protected path, what code must name to
// reach it. Below the home directory or the workspace, the literal names of
// its components, which a program may join in any way:
// ~/.claude/settings.json is [.claude settings.json], the workspace's
// **/.safeclaw/** is [.safeclaw]. Elsewhere, the literal path up to its
// first wildcard, as one name: /etc/safeclaw/** is [/etc/safeclaw].
func (p *Policy) protectedNames() [][]string {
	p.protectNamesOnce.Do(func() {
		for _, raw := range p.protectRaw {
			rel, anchored := raw, false
			switch {
			case strings.HasPrefix(rel, "~/"):
				rel = rel[2:]
			case p.home != "" && strings.HasPrefix(rel, p.home+"/"):
				rel = rel[len(p.home)+1:]
			case p.workspace != "" && strings.HasPrefix(rel, p.workspace+"/"):
				rel = rel[len(p.workspace)+1:]
			default:
				anchored = true
			}
			var names []string
			for _, seg := range strings.Split(rel, "/") {
				if strings.ContainsAny(seg, "*?[{") {
					if anchored {
						break
					}
					continue
				}
				if seg != "" {
					names = append(names, seg)
				}
			}
			if anchored && len(names) > 0 {
				names = []string{"/" + strings.Join(names, "/")}
			}
			if len(names) > 0 {
				p.protectNames = append(p.protectNames, names)
			}
		}
	})
	return p.protectNames
}

// codeNamesProtected reports whether a view runs an interpreter whose
// arguments name a protected path: every literal component of one appears
// among the names in them (runs of letters, digits, '.', '_' and '-').
func (p *Policy) codeNamesProtected(v *action.Argv) bool {
	if len(v.Words) < 2 || !codeInterpreters[v.Program] {
		return false
	}
	protected := p.protectedNames()
	if len(protected) == 0 {
		return false
	}
	for _, names := range protected {
		all := true
		for _, n := range names {
			if !mentionsName(v.Words[1:], n) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

// mentionsName reports whether name occurs in one of words as a whole name:
// not inside a longer run of name characters.
func mentionsName(words []string, name string) bool {
	for _, w := range words {
		for i := 0; ; {
			j := strings.Index(w[i:], name)
			if j < 0 {
				break
			}
			start, end := i+j, i+j+len(name)
			if (start == 0 || !isNameByte(w[start-1])) && (end == len(w) || !isNameByte(w[end])) {
				return true
			}
			i = start + 1
		}
	}
	return false
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
}
