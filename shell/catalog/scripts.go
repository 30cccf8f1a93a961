package catalog

import (
	"encoding/json"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/safeclaw/safeclaw/action"
)

// ---- package.json scripts ----

// npmNetworkSubs are npm/pnpm/yarn subcommands that download or upload.
const npmNetworkSubs = "install i in ins inst insta instal isnt isntall ci add update up upgrade udpate outdated publish unpublish view info show v audit login adduser logout whoami search s se dist-tag deprecate owner ping token doctor fetch create import dedupe rebuild:never link:never global"

func (f *finder) npm(v action.Argv, prog string, args []string, depth int) {
	if prog == "yarnpkg" {
		prog = "yarn"
	}
	dir := ""
	var rest []string
	for i := 0; i < len(args); i++ {
		w := args[i]
		switch {
		case w == "--prefix" || w == "-C" || w == "--dir" || w == "--cwd":
			if i+1 < len(args) {
				dir = args[i+1]
				i++
			}
		case strings.HasPrefix(w, "--prefix=") || strings.HasPrefix(w, "--dir=") || strings.HasPrefix(w, "--cwd="):
			_, dir, _ = strings.Cut(w, "=")
		case w == "-w" || w == "--workspace" || w == "--filter" || w == "-F" || w == "--loglevel" || w == "--registry" || w == "--userconfig":
			i++
		case strings.HasPrefix(w, "-") && (len(rest) == 0 || len(rest) == 1 && inList("run run-script rum urn", rest[0])):
			// npm run --silent dev: run's own options come before the name.
		default:
			rest = append(rest, w)
		}
	}
	if wantsHelp(args) {
		return
	}
	f.npmrc(prog, dir)
	if len(rest) == 0 {
		if prog == "yarn" {
			f.connect(prog, "", 0, "", "yarn installs dependencies")
			f.lifecycleScripts(prog, dir, depth)
		}
		return
	}
	sub := rest[0]
	switch sub {
	case "run", "run-script", "rum", "urn":
		if len(rest) > 1 {
			f.packageScriptIn(prog, dir, rest[1], rest[2:], depth, true)
		}
		return
	case "start", "test", "t", "tst", "restart", "stop":
		name := sub
		if name == "t" || name == "tst" {
			name = "test"
		}
		if name == "restart" {
			name = "start"
		}
		f.packageScriptIn(prog, dir, name, rest[1:], depth, true)
		return
	case "exec", "x", "dlx":
		f.runner("npx", rest[1:], depth)
		return
	case "init":
		if len(rest) > 1 {
			f.connect(prog, "", 0, "", prog+" init "+rest[1]+" downloads an initializer")
		}
		return
	}
	if inList(npmNetworkSubs, sub) {
		f.connect(prog, "registry.npmjs.org", 443, "", prog+" "+sub+" talks to the package registry")
		if inList(npmInstallSubs, sub) {
			f.lifecycleScripts(prog, dir, depth)
		}
		return
	}
	if sub == "rebuild" || sub == "rb" {
		f.lifecycleScripts(prog, dir, depth)
	}
	if prog == "yarn" || prog == "pnpm" {
		// yarn dev, pnpm dev: a script name used as a subcommand.
		f.packageScriptIn(prog, dir, sub, rest[1:], depth, false)
	}
}

// npmInstallSubs are the subcommands that install the project's own
// package, and so run its lifecycle scripts.
const npmInstallSubs = "install i in ins inst insta instal isnt isntall ci add update up upgrade udpate"

// npmLifecycle are the scripts of the project's own package.json that npm,
// pnpm and yarn run when they install it (npm install, npm ci, yarn).
var npmLifecycle = []string{"preinstall", "install", "postinstall", "prepublish", "preprepare", "prepare", "postprepare", "dependencies"}

// lifecycleScripts scans the install lifecycle scripts of package.json in
// dir, which an install runs without naming them.
func (f *finder) lifecycleScripts(prog, dir string, depth int) {
	var pkg struct {
		Scripts map[string]string `json:"scripts"`
	}
	data := f.read(filepath.Join(dir, "package.json"))
	if data == nil || json.Unmarshal(data, &pkg) != nil {
		return
	}
	for _, name := range npmLifecycle {
		text, ok := pkg.Scripts[name]
		if !ok {
			continue
		}
		origin := "package.json scripts." + name
		f.scriptText(text, origin)
		f.scriptFacets(text, prog+" install → "+origin, depth, pkg.Scripts)
	}
}

func (f *finder) packageScript(prog, name string, extra []string, depth int, explicit bool) {
	f.packageScriptIn(prog, "", name, extra, depth, explicit)
}

// packageScriptIn reads package.json (in dir, relative to the working
// directory) and, when it has the script, returns its body as a script and
// its servers as facets.
func (f *finder) packageScriptIn(prog, dir, name string, extra []string, depth int, explicit bool) {
	var pkg struct {
		Scripts map[string]string `json:"scripts"`
	}
	if data := f.read(filepath.Join(dir, "package.json")); data != nil && json.Unmarshal(data, &pkg) != nil {
		return
	}
	body, ok := pkg.Scripts[name]
	if !ok {
		if strings.ContainsAny(name, "./") && !explicit {
			f.script(prog, name, extra, depth)
		}
		return
	}
	if len(extra) > 0 {
		if extra[0] == "--" {
			extra = extra[1:]
		}
		body += " " + shellJoin(extra)
	}
	for _, hook := range []string{"pre" + name, "", "post" + name} {
		text, origin := body, "package.json scripts."+name
		if hook != "" {
			var ok bool
			if text, ok = pkg.Scripts[hook]; !ok {
				continue
			}
			origin = "package.json scripts." + hook
		}
		f.scriptText(text, origin)
		f.scriptFacets(text, prog+" run "+name+" → "+origin, depth, pkg.Scripts)
	}
}

// scriptFacets reads a script body naively (split on shell operators and
// blanks) and keeps the facets that policy denies by default, so that a
// rule matching the part (npm run dev) sees that it starts a server. The
// shell package analyses the same text properly through Result.Scripts.
func (f *finder) scriptFacets(body, via string, depth int, scripts map[string]string) {
	if depth >= maxDepth {
		return
	}
	sub := finder{cmd: f.cmd}
	for _, words := range splitCommands(body) {
		sub.words(words, depth+1)
		if len(words) > 1 && (words[0] == "npm-run-all" || words[0] == "run-p" || words[0] == "run-s" || words[0] == "concurrently") {
			sub.runAll(words[0], words[1:], depth+1, scripts)
		}
	}
	for _, a := range sub.res.Facets {
		switch a.Kind {
		case action.NetworkListen, action.NetworkBind, action.NetworkTunnel, action.ShellRemote:
			a.Detail = via + ": " + a.Detail
			f.add(a)
		}
	}
}

// runAll handles npm-run-all / run-p / run-s (script names, with globs) and
// concurrently (shell texts, or npm:NAME).
func (f *finder) runAll(prog string, args []string, depth int, scripts map[string]string) {
	for _, a := range positionals(args, "--names -n --prefix -p:never -c --prefix-colors --max-processes --restart-tries --kill-others-on-fail:never") {
		if prog == "concurrently" {
			if strings.HasPrefix(a, "npm:") {
				a = strings.TrimPrefix(a, "npm:")
			} else {
				f.scriptFacets(a, "concurrently", depth, scripts)
				continue
			}
		}
		for _, name := range sortedKeys(scripts) {
			if ok, _ := path.Match(a, name); ok || a == name {
				f.scriptFacets(scripts[name], prog+" "+name, depth, scripts)
			}
		}
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// denoTask reads deno.json tasks like package.json scripts.
func (f *finder) denoTask(name string, extra []string, depth int) {
	for _, file := range []string{"deno.json", "deno.jsonc"} {
		data := f.read(file)
		if data == nil {
			continue
		}
		var cfg struct {
			Tasks map[string]json.RawMessage `json:"tasks"`
		}
		if json.Unmarshal(data, &cfg) != nil {
			return
		}
		raw, ok := cfg.Tasks[name]
		if !ok {
			return
		}
		var body string
		if json.Unmarshal(raw, &body) != nil {
			var obj struct {
				Command string `json:"command"`
			}
			if json.Unmarshal(raw, &obj) != nil {
				return
			}
			body = obj.Command
		}
		if len(extra) > 0 {
			body += " " + shellJoin(extra)
		}
		f.scriptText(body, file+" tasks."+name)
		f.scriptFacets(body, "deno task "+name+" → "+file+" tasks."+name, depth, nil)
		return
	}
}

// ---- Makefile targets ----

func (f *finder) make(prog string, args []string, depth int) {
	dir, file := "", ""
	var files []string // every -f: make reads them all, in order
	var targets []string
	for i := 0; i < len(args); i++ {
		w := args[i]
		switch {
		case w == "-C" || w == "--directory":
			if i+1 < len(args) {
				dir = args[i+1]
				i++
			}
		case w == "-f" || w == "--file" || w == "--makefile":
			if i+1 < len(args) {
				file = args[i+1]
				files = append(files, file)
				i++
			}
		case strings.HasPrefix(w, "--file=") || strings.HasPrefix(w, "--makefile="):
			_, file, _ = strings.Cut(w, "=")
			files = append(files, file)
		case strings.HasPrefix(w, "--directory="):
			dir = strings.TrimPrefix(w, "--directory=")
		case strings.HasPrefix(w, "-C") && len(w) > 2:
			dir = w[2:]
		case strings.HasPrefix(w, "-f") && len(w) > 2:
			file = w[2:]
			files = append(files, file)
		case w == "-j" || w == "-l" || w == "-o" || w == "-W" || w == "-I":
			if i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
				i++
			}
		case strings.HasPrefix(w, "-"), strings.Contains(w, "="):
		default:
			targets = append(targets, w)
		}
	}
	// MAKEFILES names makefiles make reads before the others; their
	// targets never become the default goal.
	if v, ok := f.cmd.Env["MAKEFILES"]; ok {
		if !v.Known {
			f.opaque(prog, "MAKEFILES names makefiles not known statically")
		}
		for _, n := range strings.Fields(v.Value) {
			f.makefile(prog, dir, n, &targets, false, depth)
		}
	}
	if file == "-" || isStdinFile(file) {
		// make -f -: the makefile is stdin (Command.Stdin's business);
		// the other -f files are read too.
		for _, n := range files {
			if n != "-" && !isStdinFile(n) {
				f.makefile(prog, dir, n, &targets, true, depth)
			}
		}
		return
	}
	if len(files) > 0 {
		for _, n := range files {
			f.makefile(prog, dir, n, &targets, true, depth)
		}
		return
	}
	for _, n := range []string{"GNUmakefile", "makefile", "Makefile"} {
		if f.makefile(prog, dir, n, &targets, true, depth) {
			return
		}
	}
}

// makefile reads one makefile (in dir) as make does: what runs while it
// is read, and the recipes of the targets asked for. When goal is set and
// no target was asked for, its first target becomes the one. It reports
// whether the file was there.
func (f *finder) makefile(prog, dir, name string, targets *[]string, goal bool, depth int) bool {
	data := f.read(filepath.Join(dir, name))
	if data == nil {
		return false
	}
	recipes := makeRecipes(string(data))
	f.makeParseTime(prog, string(data), name, depth)
	if goal && len(*targets) == 0 && recipes.first != "" {
		*targets = []string{recipes.first}
	}
	for _, t := range *targets {
		body, ok := recipes.bodies[t]
		if !ok {
			continue
		}
		origin := name + " target " + t
		f.scriptText(body, origin)
		f.scriptFacets(body, prog+" "+t+" → "+origin, depth, nil)
	}
	return true
}

// makeParseTime scans what make runs while it reads a makefile, before
// any target: each $(shell TEXT) outside a recipe and VAR != TEXT.
func (f *finder) makeParseTime(prog, text, origin string, depth int) {
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "\t") {
			continue
		}
		for _, sh := range makeShellTexts(line) {
			f.scriptText(sh, origin+" $(shell)")
			f.scriptFacets(sh, prog+" → "+origin+" $(shell)", depth, nil)
		}
		if k := strings.Index(line, "!="); k > 0 && !strings.ContainsAny(line[:k], ":#;") {
			sh := strings.TrimSpace(line[k+2:])
			f.scriptText(sh, origin+" !=")
			f.scriptFacets(sh, prog+" → "+origin+" !=", depth, nil)
		}
	}
}

// makeShellTexts returns the TEXT of each $(shell TEXT) or ${shell TEXT}
// in a makefile line, up to its balanced closing bracket.
func makeShellTexts(line string) []string {
	var out []string
	for i := 0; i+8 <= len(line); i++ {
		if line[i] != '$' || line[i+1] != '(' && line[i+1] != '{' || line[i+2:i+7] != "shell" || line[i+7] != ' ' && line[i+7] != '\t' {
			continue
		}
		open, closer := line[i+1], byte(')')
		if open == '{' {
			closer = '}'
		}
		depth, j := 1, i+8
		for ; j < len(line) && depth > 0; j++ {
			switch line[j] {
			case open:
				depth++
			case closer:
				depth--
			}
		}
		end := j
		if depth == 0 {
			end = j - 1
		}
		out = append(out, strings.ReplaceAll(line[i+8:end], "$$", "$"))
	}
	return out
}

// makeStdin scans a makefile make reads from stdin (make -f -): every
// recipe, since which target runs is make's choice, and what runs while
// it is read.
func (f *finder) makeStdin(prog, text string) {
	rs := makeRecipes(text)
	f.makeParseTime(prog, text, "stdin makefile", 0)
	for _, t := range sortedKeys(rs.bodies) {
		origin := "stdin makefile target " + t
		f.scriptText(rs.bodies[t], origin)
		f.scriptFacets(rs.bodies[t], prog+" "+t+" → "+origin, 0, nil)
	}
}

type recipeSet struct {
	first  string
	bodies map[string]string
}

// makeRecipes reads a Makefile's explicit rules: "target: deps" followed by
// tab-indented recipe lines. Variables are left as written.
func makeRecipes(text string) recipeSet {
	rs := recipeSet{bodies: map[string]string{}}
	var current []string
	var body strings.Builder
	flush := func() {
		for _, t := range current {
			if _, seen := rs.bodies[t]; !seen {
				rs.bodies[t] = body.String()
			}
		}
		current = nil
		body.Reset()
	}
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "\t") {
			if current != nil {
				cmd := strings.TrimLeft(strings.TrimSpace(line), "@-+")
				body.WriteString(cmd + "\n")
			}
			continue
		}
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		flush()
		head, after, ok := strings.Cut(t, ":")
		if !ok || strings.HasPrefix(strings.TrimPrefix(t, head), ":=") || strings.Contains(head, "=") || strings.HasPrefix(head, ".") && !strings.Contains(head, "/") {
			continue
		}
		if _, recipe, inline := strings.Cut(after, ";"); inline {
			// target: deps ; recipe — the recipe's first line.
			body.WriteString(strings.TrimLeft(strings.TrimSpace(recipe), "@-+") + "\n")
		}
		for _, name := range strings.Fields(head) {
			if rs.first == "" && !strings.ContainsAny(name, "%$") {
				rs.first = name
			}
			current = append(current, name)
		}
	}
	flush()
	return rs
}

// ---- naive command splitting for script bodies ----

// splitCommands splits a shell text into simple commands' words, resolving
// quotes and backslashes, splitting on ; & | && || newlines and parentheses,
// and dropping leading VAR=value assignments. It is deliberately simple:
// the shell package parses the same text properly.
func splitCommands(text string) [][]string {
	var cmds [][]string
	var words []string
	var cur strings.Builder
	inWord := false
	endWord := func() {
		if inWord {
			words = append(words, cur.String())
			cur.Reset()
			inWord = false
		}
	}
	endCmd := func() {
		endWord()
		for len(words) > 0 && isAssignment(words[0]) {
			words = words[1:]
		}
		if len(words) > 0 {
			cmds = append(cmds, words)
		}
		words = nil
	}
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch c {
		case ' ', '\t':
			endWord()
		case '\n', ';', '&', '|', '(', ')':
			endCmd()
		case '\\':
			if i+1 < len(text) {
				i++
				if text[i] != '\n' {
					cur.WriteByte(text[i])
					inWord = true
				}
			}
		case '\'', '"':
			end := strings.IndexByte(text[i+1:], c)
			if end < 0 {
				end = len(text) - i - 1
			}
			cur.WriteString(text[i+1 : i+1+end])
			inWord = true
			i += end + 1
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	endCmd()
	return cmds
}

// shellJoin quotes words for appending to a script body.
func shellJoin(words []string) string {
	var b strings.Builder
	for i, w := range words {
		if i > 0 {
			b.WriteByte(' ')
		}
		if w != "" && !strings.ContainsAny(w, " \t\n'\"\\$`;&|<>()*?[]{}!#~") {
			b.WriteString(w)
			continue
		}
		b.WriteString("'" + strings.ReplaceAll(w, "'", `'\''`) + "'")
	}
	return b.String()
}

// ---- stdin ----

// stdin scans text fed to an interpreter's standard input as its program.
func (f *finder) stdin(v action.Argv, text string) {
	if len(text) > maxCode {
		text = text[:maxCode]
	}
	// The script may name stdin: python3 /dev/stdin <<EOF.
	fromStdin := func(pos []string) bool { return len(pos) == 0 || pos[0] == "-" || isStdinFile(pos[0]) }
	switch v.Program {
	case "python", "pypy", "python2", "py":
		if _, ok := v.Option("-c"); ok {
			return
		}
		if _, ok := v.Option("-m"); ok {
			return
		}
		if !fromStdin(v.Positionals) {
			return
		}
		f.code(langPython, v.Program, text)
	case "node", "nodejs", "deno", "bun", "jjs", "rhino", "jrunscript":
		pos := v.Positionals
		if (v.Program == "deno" || v.Program == "bun") && len(pos) > 0 && pos[0] == "run" {
			pos = pos[1:] // deno run -, bun run -
		}
		if !fromStdin(pos) {
			return
		}
		f.code(langJS, v.Program, text)
	case "perl":
		if !fromStdin(v.Positionals) {
			return
		}
		f.code(langPerl, v.Program, text)
	case "ruby", "irb", "jruby":
		f.code(langRuby, v.Program, text)
	case "awk", "gawk", "nawk", "mawk", "goawk":
		// awk -f - / -f /dev/stdin: the program is stdin.
		if ProgramFromStdin(v) {
			f.code(langAwk, v.Program, text)
		}
	case "sed", "gsed":
		if ProgramFromStdin(v) {
			f.sedScript(v.Program, text)
		}
	case "make", "gmake":
		if ProgramFromStdin(v) {
			f.makeStdin(v.Program, text)
		}
	case "php":
		f.code(langPHP, v.Program, text)
	case "lua", "luajit":
		f.code(langLua, v.Program, text)
	case "tclsh", "wish", "expect":
		f.code(langTcl, v.Program, text)
	case "julia":
		f.code(langJulia, v.Program, text)
	case "R", "Rscript":
		f.code(langR, v.Program, text)
	case "pwsh", "powershell":
		f.code(langPowerShell, v.Program, text)
	case "cpan":
		f.code(langPerl, v.Program, strings.ReplaceAll(text, "\n! ", "\n"))
	case "ed", "ex", "vim", "vi", "nvim":
		// ed and ex (vim -e/-es) read editor commands: !CMD runs CMD
		// through the shell. Vim without -e/-es reads keys, not commands.
		if v.Program != "ed" && v.Program != "ex" {
			if _, e := v.Option("-e"); !e {
				if _, es := v.Option("-es"); !es {
					return
				}
			}
		}
		for line := range strings.Lines(text) {
			if v.Program == "ed" {
				line = strings.TrimSpace(line)
				if cmd, ok := strings.CutPrefix(line, "!"); ok {
					f.scriptText(cmd, v.Program+" !")
				}
				continue
			}
			f.exCommand(v.Program, line, 0)
		}
	}
}

// ---- Procfile runners ----

// procfile reads the Procfile that foreman, honcho, overmind, hivemind,
// forego, goreman, node-foreman (nf) and heroku local start: each process
// line is a command they run (web: python3 -m http.server $PORT).
func (f *finder) procfile(prog string, args []string, depth int) {
	if wantsHelp(args) {
		return
	}
	file, dir := "Procfile", ""
	var pos []string
	for i := 0; i < len(args); i++ {
		w := args[i]
		name, val, has := strings.Cut(w, "=")
		switch name {
		case "-f", "--procfile":
			if !has && i+1 < len(args) {
				val = args[i+1]
				i++
			}
			file = val
		case "-d", "--root", "--directory":
			if !has && i+1 < len(args) {
				val = args[i+1]
				i++
			}
			dir = val
		case "-e", "--env", "--env-file", "-p", "--port", "-c", "--concurrency", "-m", "--formation", "-l", "-s", "--socket", "-t", "--timeout":
			if !has && i+1 < len(args) {
				i++
			}
		default:
			if !strings.HasPrefix(w, "-") {
				pos = append(pos, w)
			}
		}
	}
	start := 0
	switch prog {
	case "hivemind":
		// hivemind [OPTIONS] [PROCFILE]
		if len(pos) > 0 {
			file = pos[0]
		}
		pos = nil
	case "heroku":
		if len(pos) == 0 || pos[0] != "local" && pos[0] != "local:start" {
			return
		}
		start = 1
	default:
		if len(pos) == 0 || pos[0] != "start" && pos[0] != "s" {
			return
		}
		start = 1
	}
	only := map[string]bool{}
	for _, p := range pos[start:] {
		for _, n := range strings.Split(p, ",") {
			only[n] = true
		}
	}
	if dir != "" && !filepath.IsAbs(file) {
		file = filepath.Join(dir, file)
	}
	data := f.read(file)
	if data == nil {
		return
	}
	for line := range strings.Lines(string(data)) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, cmd, ok := strings.Cut(line, ":")
		if !ok || strings.ContainsAny(name, " \t") {
			continue
		}
		if len(only) > 0 && !only[name] {
			continue
		}
		origin := "Procfile " + name
		f.scriptText(cmd, origin)
		f.scriptFacets(cmd, prog+" → "+origin, depth, nil)
	}
}

// ---- composer.json scripts ----

// composerScript reads composer run-script NAME, composer run NAME and
// composer NAME (a script used as a command) from composer.json: each
// script is a command line, a list of them, @php/@composer lines, or
// @OTHER naming another script. It reports whether it found the script.
func (f *finder) composerScript(prog string, args []string, depth int) bool {
	dir := ""
	var pos []string
	for i := 0; i < len(args); i++ {
		w := args[i]
		name, val, has := strings.Cut(w, "=")
		switch name {
		case "-d", "--working-dir":
			if !has && i+1 < len(args) {
				val = args[i+1]
				i++
			}
			dir = val
		default:
			if !strings.HasPrefix(w, "-") {
				pos = append(pos, w)
			}
		}
	}
	if len(pos) == 0 {
		return false
	}
	name := pos[0]
	if name == "run-script" || name == "run" {
		if len(pos) < 2 {
			return false
		}
		name = pos[1]
	}
	data := f.read(filepath.Join(dir, "composer.json"))
	if data == nil {
		return false
	}
	var doc struct {
		Scripts map[string]json.RawMessage `json:"scripts"`
	}
	if json.Unmarshal(data, &doc) != nil || doc.Scripts == nil {
		return false
	}
	lines := func(name string) []string {
		raw, ok := doc.Scripts[name]
		if !ok {
			return nil
		}
		var one string
		if json.Unmarshal(raw, &one) == nil {
			return []string{one}
		}
		var many []string
		_ = json.Unmarshal(raw, &many)
		return many
	}
	if _, ok := doc.Scripts[name]; !ok {
		return false
	}
	seen := map[string]bool{}
	var walk func(name string, d int)
	walk = func(name string, d int) {
		if seen[name] || d > maxDepth {
			return
		}
		seen[name] = true
		for _, l := range lines(name) {
			l = strings.TrimSpace(l)
			switch {
			case strings.HasPrefix(l, "@php "):
				l = "php " + l[len("@php "):]
			case strings.HasPrefix(l, "@composer "):
				l = "composer " + l[len("@composer "):]
			case strings.HasPrefix(l, "@putenv "):
				continue
			case strings.HasPrefix(l, "@"):
				other, _, _ := strings.Cut(l[1:], " ")
				walk(other, d+1)
				continue
			}
			if l == "" || !strings.ContainsAny(l, " ./") && strings.Contains(l, "::") {
				continue // a PHP callback (Class::method)
			}
			origin := "composer.json scripts." + name
			f.scriptText(l, origin)
			f.scriptFacets(l, prog+" "+name+" → "+origin, depth+d, nil)
		}
	}
	walk(name, 0)
	return true
}

// isStdinFile reports a path that names the process's standard input, or
// another descriptor the shell gave it (/dev/fd/3 with 3<<EOF): what the
// program reads there is what Command.Stdin holds.
func isStdinFile(p string) bool {
	switch p {
	case "/dev/stdin", "/proc/thread-self/fd/0":
		return true
	}
	for _, pre := range []string{"/dev/fd/", "/proc/self/fd/"} {
		if n, ok := strings.CutPrefix(p, pre); ok && n != "" && strings.Trim(n, "0123456789") == "" {
			return true
		}
	}
	return false
}

// ProgramFromStdin reports an awk or sed that reads its program (script),
// or a make that reads its makefile, from standard input: -f - or
// -f /dev/stdin (--file= and make's --makefile= too).
func ProgramFromStdin(v action.Argv) bool {
	switch v.Program {
	case "awk", "gawk", "nawk", "mawk", "goawk", "sed", "gsed", "make", "gmake":
	default:
		return false
	}
	ws := v.Words[1:]
	for i := 0; i < len(ws); i++ {
		w := ws[i]
		if w == "--" {
			return false
		}
		name, ok := strings.CutPrefix(w, "--file=")
		if !ok {
			name, ok = strings.CutPrefix(w, "--makefile=")
		}
		if !ok && (w == "-f" || w == "--file" || w == "--makefile") && i+1 < len(ws) {
			name, ok = ws[i+1], true
			i++
		}
		if !ok && len(w) > 2 && strings.HasPrefix(w, "-f") {
			name, ok = w[2:], true // -f- / -f/dev/stdin
		}
		if !ok && len(w) > 2 && w[0] == '-' && w[1] != '-' && strings.HasSuffix(w, "f") && i+1 < len(ws) {
			name, ok = ws[i+1], true // a cluster ending in f: awk -bf -
			i++
		}
		if ok && (name == "-" || isStdinFile(name)) {
			return true
		}
	}
	return false
}
