package shell

import (
	"strings"

	"github.com/safeclaw/safeclaw/shell/catalog"
)

// Programs that run a command named in one of their options or arguments
// (GTFOBins' shell escapes: tar --to-command, zip -TT, sqlite3 .shell,
// man -P, psql \!, ...). The command becomes a part of its own, as find
// -exec's does, so the policy sees what really runs however it is hidden.

// commandEscapes records in ch the commands prog runs from ws's options;
// it reports whether prog is one it knows.
func (a *analyzer) commandEscapes(prog string, ws []word, ch *chain) bool {
	switch prog {
	case "tar", "gtar", "bsdtar":
		tarEscapes(ws, ch)
	case "zip":
		optionTexts(ws, ch, prog, []string{"-TT", "--unzip-command"}, nil)
	case "sqlite3", "sqlite":
		sqliteEscapes(ws, ch)
	case "less":
		for _, w := range ws[1:] {
			if w.s == "--" {
				break
			}
			if rest, ok := strings.CutPrefix(strings.TrimLeft(w.s, "+"), "!"); ok && strings.HasPrefix(w.s, "+") {
				addText(ch, w, rest, "less +!")
			}
		}
	case "rg", "ripgrep":
		// --pre COMMAND runs COMMAND FILE for each file searched (no shell).
		for i := 1; i < len(ws); i++ {
			s := ws[i].s
			switch {
			case s == "--":
				i = len(ws)
			case rgValued[s]:
				i++
			case s == "--pre" && i+1 < len(ws):
				ch.extras = append(ch.extras, extra{words: []word{ws[i+1]}, origin: "rg --pre"})
				i++
			case strings.HasPrefix(s, "--pre="):
				w := ws[i]
				w.s = strings.TrimPrefix(s, "--pre=")
				ch.extras = append(ch.extras, extra{words: []word{w}, origin: "rg --pre"})
			}
		}
	case "wget":
		// --use-askpass=PROG (or -e use_askpass=PROG, a wgetrc command)
		// runs PROG for the credentials (no shell).
		for i := 1; i < len(ws); i++ {
			if ws[i].s == "--" {
				break
			}
			if val, w, ok := optionValue(ws, &i, []string{"--use-askpass"}, nil); ok {
				w.s = val
				ch.extras = append(ch.extras, extra{words: []word{w}, origin: "wget --use-askpass"})
			} else if val, w, ok := optionValue(ws, &i, []string{"-e", "--execute"}, nil); ok {
				name, v, _ := strings.Cut(val, "=")
				if n := strings.ToLower(strings.NewReplacer("_", "", "-", "").Replace(strings.TrimSpace(name))); n == "useaskpass" && strings.TrimSpace(v) != "" {
					w.s = strings.TrimSpace(v)
					ch.extras = append(ch.extras, extra{words: []word{w}, origin: "wget -e use_askpass"})
				}
			}
		}
		return false
	case "man":
		optionTexts(ws, ch, prog, []string{"-P", "--pager"}, []string{"-H", "--html"})
	case "tcpdump":
		// -z CMD runs CMD FILE for each saved file (exec, no shell).
		for i := 1; i < len(ws); i++ {
			s := ws[i].s
			switch {
			case s == "-z" && i+1 < len(ws):
				ch.extras = append(ch.extras, extra{words: []word{ws[i+1]}, origin: "tcpdump -z"})
				i++
			case strings.HasPrefix(s, "-z") && len(s) > 2:
				w := ws[i]
				w.s = s[2:]
				ch.extras = append(ch.extras, extra{words: []word{w}, origin: "tcpdump -z"})
			}
		}
	case "strace":
		// -o '|CMD' (or '!CMD') pipes the trace into CMD through a shell.
		for i := 1; i < len(ws); i++ {
			val, w, ok := optionValue(ws, &i, []string{"-o", "--output"}, nil)
			if !ok {
				continue
			}
			if rest, cut := strings.CutPrefix(val, "|"); cut {
				addText(ch, w, rest, "strace -o |")
			} else if rest, cut := strings.CutPrefix(val, "!"); cut {
				addText(ch, w, rest, "strace -o !")
			}
		}
		return false // strace also runs the command it traces
	case "mysql", "mariadb":
		clientEscapes(ws, ch, prog, []string{"-e", "--execute"})
	case "psql":
		clientEscapes(ws, ch, prog, []string{"-c", "--command"})
	case "apt-get", "apt", "aptitude":
		for i := 1; i < len(ws); i++ {
			val, w, ok := optionValue(ws, &i, []string{"-o", "--option"}, nil)
			if !ok {
				continue
			}
			key, cmd, _ := strings.Cut(val, "=")
			key = strings.ToLower(key)
			if strings.Contains(key, "pre-invoke") || strings.Contains(key, "post-invoke") || strings.Contains(key, "pre-install-pkgs") {
				addText(ch, w, cmd, prog+" -o "+key)
			}
		}
	case "gdb", "gdb-multiarch", "cgdb":
		gdbEscapes(ws, ch)
	case "make", "gmake":
		a.makeEscapes(prog, ws, ch)
	case "cargo":
		cargoEscapes(ws, ch)
		a.cargoConfigFiles(ch)
		return false
	case "configure":
		configureEscapes(ws, ch)
		return false
	case "sort", "gsort":
		// --compress-program=PROG runs PROG (and PROG -d) for temporary
		// files (no shell).
		for i := 1; i < len(ws); i++ {
			if ws[i].s == "--" {
				break
			}
			if _, w, ok := optionValue(ws, &i, []string{"--compress-program"}, nil); ok {
				ch.extras = append(ch.extras, extra{words: []word{w}, origin: prog + " --compress-program"})
			}
		}
	case "go":
		goEscapes(ws, ch)
		return false
	case "npm", "pnpm", "yarn", "bun":
		// --script-shell=PROG runs the package's scripts with PROG -c.
		for i := 1; i < len(ws); i++ {
			if ws[i].s == "--" {
				break
			}
			opt := ws[i].s
			if val, w, ok := optionValue(ws, &i, []string{"--script-shell", "--config.script-shell"}, nil); ok {
				// pnpm takes any setting as --config.NAME=VALUE.
				addText(ch, w, val, prog+" "+optionName(opt, []string{"--script-shell", "--config.script-shell"}))
			} else if val, w, ok := optionValue(ws, &i, []string{"--node-options", "--config.node-options"}, nil); ok {
				// The NODE_OPTIONS of every script it runs.
				if why := catalog.CodeLoadingEnv("NODE_OPTIONS", val); why != "" {
					ch.facets = append(ch.facets, opaqueFacet(w.s, prog+" --node-options: "+why))
				}
			}
		}
		return false
	default:
		return false
	}
	return true
}

// gdbValued are gdb's options that take the next word.
var gdbValued = map[string]bool{"-p": true, "--pid": true, "-pid": true, "-cd": true, "--cd": true, "-d": true,
	"--directory": true, "-directory": true, "-s": true, "--symbols": true, "-symbols": true, "-e": true, "--exec": true,
	"-exec": true, "-se": true, "-c": true, "--core": true, "-core": true, "-b": true, "-l": true, "-D": true,
	"--data-directory": true, "-data-directory": true, "-tty": true, "--tty": true}

// gdbEscapes: gdb runs commands given with -ex/-iex (--eval-command,
// --init-eval-command): "shell CMD" and "!CMD" run CMD through a shell,
// "pipe ...| CMD" pipes into one, "python CODE" runs Python, and "run"
// (r, start, starti) starts the program being debugged, through a shell,
// with the arguments --args or the run command gives. Commands from a file
// (-x, -ix, --command) cannot be read: opaque.
func gdbEscapes(ws []word, ch *chain) {
	var cmds []word
	var prog []word // the program, and with --args its arguments
	for i := 1; i < len(ws); i++ {
		s := ws[i].s
		switch {
		case s == "--args" || s == "-args":
			prog = ws[i+1:]
			i = len(ws)
		case s == "-ex" || s == "--ex" || s == "-eval-command" || s == "--eval-command" ||
			s == "-iex" || s == "--iex" || s == "-init-eval-command" || s == "--init-eval-command":
			if i+1 < len(ws) {
				cmds = append(cmds, ws[i+1])
				i++
			}
		case strings.HasPrefix(s, "--eval-command=") || strings.HasPrefix(s, "-eval-command=") ||
			strings.HasPrefix(s, "--init-eval-command=") || strings.HasPrefix(s, "-init-eval-command="):
			w := ws[i]
			_, w.s, _ = strings.Cut(s, "=")
			cmds = append(cmds, w)
		case s == "-x" || s == "--command" || s == "-command" || s == "-ix" || s == "--init-command" || s == "-init-command" ||
			strings.HasPrefix(s, "--command=") || strings.HasPrefix(s, "-command=") || strings.HasPrefix(s, "--init-command="):
			ch.facets = append(ch.facets, opaqueFacet(ws[i].raw, "gdb runs commands from a file, which may start any program"))
			if !strings.Contains(s, "=") {
				i++
			}
		case gdbValued[s]:
			i++
		case !strings.HasPrefix(s, "-") && prog == nil:
			prog = ws[i : i+1]
		}
	}
	for _, c := range cmds {
		text := strings.TrimSpace(c.s)
		verb, rest, _ := strings.Cut(text, " ")
		switch {
		case strings.HasPrefix(text, "!"):
			addText(ch, c, text[1:], "gdb -ex !")
		case verb == "shell" || verb == "she" || verb == "shel":
			addText(ch, c, rest, "gdb -ex shell")
		case verb == "pipe" || strings.HasPrefix(text, "|"):
			if i := strings.LastIndexByte(text, '|'); i >= 0 {
				addText(ch, c, text[i+1:], "gdb -ex pipe")
			}
		case verb == "python" || verb == "py" || verb == "python-interactive" || verb == "pi":
			x := c
			x.s = "python3 -c " + shellQuote(rest)
			ch.extras = append(ch.extras, extra{text: &x, origin: "gdb -ex python"})
		case verb == "run" || verb == "r" || verb == "start" || verb == "starti":
			if len(prog) == 0 {
				continue
			}
			line := quoteWords(prog)
			if rest != "" {
				line = quoteWords(prog[:1]) + " " + rest
			}
			addText(ch, c, line, "gdb -ex run")
		}
	}
}

// shellQuote quotes s as one shell word.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// addText records text (taken from w) as shell text that ch's program runs.
func addText(ch *chain, w word, text, origin string) {
	if strings.TrimSpace(text) == "" {
		return
	}
	x := w
	x.s = text
	ch.extras = append(ch.extras, extra{text: &x, origin: origin})
}

// optionTexts records the values of the named options, each a shell text.
// optional lists options whose value may only be attached (-HVALUE,
// --html=VALUE).
func optionTexts(ws []word, ch *chain, prog string, names, optional []string) {
	for i := 1; i < len(ws); i++ {
		if ws[i].s == "--" {
			return
		}
		opt := ws[i].s
		if val, w, ok := optionValue(ws, &i, names, optional); ok {
			addText(ch, w, val, prog+" "+optionName(opt, names, optional))
		}
	}
}

// optionName is the full name of the option word s spells (perhaps
// abbreviated, or with its value attached), for an origin.
func optionName(s string, lists ...[]string) string {
	name, _, _ := strings.Cut(s, "=")
	for _, names := range lists {
		for _, n := range names {
			if strings.HasPrefix(n, "--") && abbreviates(name, n) || !strings.HasPrefix(n, "--") && strings.HasPrefix(s, n) {
				return n
			}
		}
	}
	return s
}

// abbreviates reports whether the long option word name (without a value)
// spells the long option full, whole or abbreviated. getopt_long and git's
// parse-options take any unambiguous prefix, down to one letter (git clone
// --u=CMD is --upload-pack=CMD, git grep --op=CMD is --open-files-in-pager),
// so every prefix counts: one that is ambiguous makes the program refuse.
func abbreviates(name, full string) bool {
	return len(name) > 2 && strings.HasPrefix(name, "--") && strings.HasPrefix(full, name)
}

// optionValue reads, at ws[*i], one of the options names (its value in the
// next word, attached, or after '=' for a long option) or optional (value
// attached only). It advances *i past a value in the next word. Long
// options may be abbreviated, as getopt allows.
func optionValue(ws []word, i *int, names, optional []string) (string, word, bool) {
	w := ws[*i]
	s := w.s
	for _, n := range names {
		long := strings.HasPrefix(n, "--")
		name, val, hasVal := s, "", false
		if long {
			name, val, hasVal = strings.Cut(s, "=")
		}
		switch {
		case name == n || long && abbreviates(name, n):
			if hasVal {
				x := w
				x.s = val
				return val, x, true
			}
			if *i+1 < len(ws) {
				*i++
				return ws[*i].s, ws[*i], true
			}
		case !long && strings.HasPrefix(s, n) && len(s) > len(n):
			x := w
			x.s = strings.TrimPrefix(s[len(n):], "=")
			return x.s, x, true
		}
	}
	for _, n := range optional {
		var val string
		var ok bool
		if strings.HasPrefix(n, "--") {
			var name string
			name, val, ok = strings.Cut(s, "=")
			ok = ok && abbreviates(name, n)
		} else if strings.HasPrefix(s, n) && len(s) > len(n) {
			val, ok = s[len(n):], true
		}
		if ok {
			x := w
			x.s = val
			return val, x, true
		}
	}
	return "", word{}, false
}

// tarEscapes: --checkpoint-action=exec=CMD, --to-command=CMD,
// --use-compress-program=CMD (-I CMD) and --rsh-command=CMD run CMD
// through a shell; --info-script and --new-volume-script (-F) run a file.
func tarEscapes(ws []word, ch *chain) {
	for i := 1; i < len(ws); i++ {
		if ws[i].s == "--" {
			return
		}
		j := i
		if val, w, ok := optionValue(ws, &j, []string{"--checkpoint-action"}, nil); ok {
			if cmd, cut := strings.CutPrefix(val, "exec="); cut {
				addText(ch, w, cmd, "tar --checkpoint-action=exec")
			}
			i = j
			continue
		}
		j = i
		if val, w, ok := optionValue(ws, &j, []string{"--to-command", "--use-compress-program", "-I", "--rsh-command"}, nil); ok {
			addText(ch, w, val, "tar "+optionName(ws[i].s, []string{"--to-command", "--use-compress-program", "-I", "--rsh-command"}))
			i = j
			continue
		}
		j = i
		if _, w, ok := optionValue(ws, &j, []string{"--info-script", "--new-volume-script", "-F"}, nil); ok {
			ch.extras = append(ch.extras, extra{words: []word{w}, origin: "tar " + optionName(ws[i].s, []string{"--info-script", "--new-volume-script", "-F"})})
			i = j
		}
	}
}

// sqliteEscapes: the dot-commands .shell and .system run their argument,
// and .output, .once, .read and .import with a "|CMD" file pipe through
// CMD, in any argument (SQL and dot-commands alike) or -cmd value.
func sqliteEscapes(ws []word, ch *chain) {
	for _, w := range ws[1:] {
		for line := range strings.Lines(w.s) {
			line = strings.TrimSpace(line)
			name, rest, _ := strings.Cut(line, " ")
			rest = strings.TrimSpace(rest)
			switch strings.ToLower(name) {
			case ".shell", ".system":
				addText(ch, w, rest, "sqlite3 "+name)
			case ".output", ".once", ".read", ".import":
				for _, opt := range []string{"-x", "-e", "--bom", "--csv", "--ascii", "--skip", "--schema", "-v"} {
					rest = strings.TrimSpace(strings.TrimPrefix(rest, opt))
				}
				rest = strings.Trim(rest, `"'`)
				if cmd, ok := strings.CutPrefix(rest, "|"); ok {
					addText(ch, w, cmd, "sqlite3 "+name+" |")
				}
			}
		}
	}
}

// clientEscapes: database clients run \! CMD (and mysql's "system CMD")
// through a shell, and psql pipes \o, \g and \w output into "|CMD", in
// the commands given with opts.
func clientEscapes(ws []word, ch *chain, prog string, opts []string) {
	for i := 1; i < len(ws); i++ {
		val, w, ok := optionValue(ws, &i, opts, nil)
		if !ok {
			continue
		}
		for line := range strings.Lines(val) {
			line = strings.TrimRight(line, "\r\n")
			head := line
			if k := strings.Index(line, `\!`); k >= 0 {
				// \! takes the rest of the line, semicolons included.
				addText(ch, w, line[k+2:], prog+` \!`)
				head = line[:k]
			}
			for _, stmt := range strings.Split(head, ";") {
				stmt = strings.TrimSpace(stmt)
				if prog != "psql" && len(stmt) > 7 && strings.EqualFold(stmt[:7], "system ") {
					addText(ch, w, stmt[7:], prog+" system")
					continue
				}
				name, rest, _ := strings.Cut(stmt, " ")
				switch name {
				case `\o`, `\out`, `\g`, `\gx`, `\w`, `\write`:
					if cmd, ok := strings.CutPrefix(strings.TrimSpace(rest), "|"); ok {
						addText(ch, w, cmd, prog+" "+name+" |")
					}
				}
			}
		}
	}
}

// makeRecipes returns the recipe lines of makefile text: lines that start
// with a tab, and the text after ';' on a rule line (target: deps; recipe).
func makeRecipes(text string) []string {
	var out []string
	for line := range strings.Lines(text) {
		line = strings.TrimRight(line, "\r\n")
		if r, ok := strings.CutPrefix(line, "\t"); ok {
			out = append(out, strings.TrimLeft(r, "@+- \t"))
			continue
		}
		head, recipe, ok := strings.Cut(line, ";")
		if ok && strings.Contains(head, ":") && !strings.Contains(head[:strings.Index(head, ":")], "=") {
			out = append(out, strings.TrimLeft(recipe, "@+- \t"))
		}
	}
	return out
}

// gitCommandOptions are the options of git subcommands whose value is a
// command git runs through a shell.
var gitCommandOptions = map[string][]string{
	"rebase":   {"--exec", "-x"},
	"difftool": {"--extcmd", "-x"},
	"filter-branch": {"--tree-filter", "--index-filter", "--msg-filter", "--env-filter", "--commit-filter",
		"--parent-filter", "--tag-name-filter"},
	"send-email": {"--sendmail-cmd"},
	"clone":      {"--upload-pack", "-u"},
	"fetch":      {"--upload-pack"},
	"pull":       {"--upload-pack"},
	"ls-remote":  {"--upload-pack"},
	"push":       {"--receive-pack", "--exec"},
	"archive":    {"--exec"},
}

// gitSubcommandExtras records the commands a git subcommand runs:
// rebase --exec, bisect run, submodule foreach, difftool -x, the
// filter-branch filters, and the --upload-pack style programs (which git
// runs locally for a path or file:// remote).
func gitSubcommandExtras(sub string, args []word, ch *chain) {
	switch sub {
	case "bisect":
		if len(args) > 1 && args[0].s == "run" {
			ch.extras = append(ch.extras, extra{words: args[1:], origin: "git bisect run"})
		}
		return
	case "submodule":
		for k, w := range args {
			if w.s != "foreach" {
				continue
			}
			rest := args[k+1:]
			for len(rest) > 0 && (rest[0].s == "--recursive" || rest[0].s == "-q" || rest[0].s == "--quiet") {
				rest = rest[1:]
			}
			if len(rest) > 0 {
				x := joinWords(rest)
				ch.extras = append(ch.extras, extra{text: &x, origin: "git submodule foreach"})
			}
			return
		}
		return
	}
	names, optional := gitCommandOptions[sub], []string(nil)
	if sub == "grep" {
		// -O[PAGER], --open-files-in-pager[=PAGER]: the pager only attached.
		optional = []string{"--open-files-in-pager", "-O"}
	} else if names == nil {
		return
	}
	for i := 0; i < len(args); i++ {
		if args[i].s == "--" {
			return
		}
		opt := args[i].s
		if val, w, ok := optionValue(args, &i, names, optional); ok {
			addText(ch, w, val, "git "+sub+" "+optionName(opt, names, optional))
		}
	}
}

// rgValued are ripgrep options whose value is the next word.
var rgValued = map[string]bool{
	"-e": true, "--regexp": true, "-f": true, "--file": true, "-g": true, "--glob": true, "--iglob": true,
	"-t": true, "--type": true, "-T": true, "--type-not": true, "--type-add": true, "--type-clear": true,
	"-m": true, "--max-count": true, "-A": true, "--after-context": true, "-B": true, "--before-context": true,
	"-C": true, "--context": true, "-j": true, "--threads": true, "-M": true, "--max-columns": true,
	"-r": true, "--replace": true, "-d": true, "--max-depth": true, "-E": true, "--encoding": true,
	"--pre-glob": true, "--ignore-file": true, "--sort": true, "--sortr": true, "--color": true, "--colors": true,
	"--engine": true, "--path-separator": true, "--max-filesize": true, "--context-separator": true,
	"--field-context-separator": true, "--field-match-separator": true, "--hyperlink-format": true,
	"--hostname-bin": true, "--dfa-size-limit": true, "--regex-size-limit": true,
}

// goValued are the go command's flags that name a program it runs: go test
// and go run -exec PROG ARGS (the binary is run through it), -toolexec
// PROG ARGS (every compiler and linker run through it) and go vet/test
// -vettool PROG.
var goValued = []string{"-exec", "--exec", "-toolexec", "--toolexec", "-vettool", "--vettool"}

// goEscapes records the programs go runs from its flags, from GOFLAGS set
// by go env -w (persisted, so later go commands run them too), and the
// compilers go env -w CC=... makes cgo builds run.
func goEscapes(ws []word, ch *chain) {
	envW := len(ws) > 2 && ws[1].s == "env"
	for i := 1; i < len(ws); i++ {
		s := ws[i].s
		if s == "--" {
			break
		}
		if envW {
			name, val, ok := strings.Cut(s, "=")
			if !ok {
				continue
			}
			switch name {
			case "GOFLAGS":
				goFlagsEscapes(ws[i], val, ch, "go env -w GOFLAGS")
			case "CC", "CXX", "FC", "PKG_CONFIG", "AR":
				addText(ch, ws[i], val, "go env -w "+name)
			}
			continue
		}
		opt := s
		if val, w, ok := optionValue(ws, &i, goValued, nil); ok {
			if strings.HasPrefix(val, "=") || !strings.HasPrefix(opt, "-") {
				continue
			}
			addText(ch, w, val, "go "+strings.TrimLeft(strings.SplitN(opt, "=", 2)[0], "-"))
		}
	}
}

// goFlagsEscapes records the programs a GOFLAGS value's -exec, -toolexec
// and -vettool name (GOFLAGS is split on spaces).
func goFlagsEscapes(w word, val string, ch *chain, origin string) {
	for _, f := range strings.Fields(val) {
		name, v, ok := strings.Cut(strings.TrimLeft(f, "-"), "=")
		if ok && (name == "exec" || name == "toolexec" || name == "vettool") && v != "" {
			addText(ch, w, v, origin)
		}
	}
}
