package shell

import (
	"encoding/base64"
	"encoding/hex"
	"os"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"

	"mvdan.cc/sh/v3/syntax"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/shell/catalog"
)

// call analyses one simple command from the syntax tree.
func (a *analyzer) call(ce *syntax.CallExpr, s *syntax.Stmt, own []redirect, sc scope) *stream {
	r := &resolver{src: sc.src, home: true, dir: a.env.Home, cwd: a.cwd, vars: a.vars, wordN: -1, noConst: a.printShadowed}
	var assigns []word
	for _, as := range ce.Assigns {
		assigns = append(assigns, r.assign(as))
	}
	words := r.words(ce.Args)
	if len(ce.Args) == 0 {
		// NAME=VALUE on its own sets a shell variable (before a command it
		// only sets that command's environment).
		for _, as := range ce.Assigns {
			a.setVar(as, r)
		}
	} else if len(words) > 1 && (words[0].s == "read" || words[0].s == "unset" || words[0].s == "mapfile" || words[0].s == "readarray") {
		for _, w := range words[1:] {
			if !strings.HasPrefix(w.s, "-") {
				a.forget(w.s)
			}
		}
	}
	a.substs(r.subs, words, sc)
	return a.simple(words, assigns, a.stmtText(s, sc.src), own, sc)
}

func opaqueFacet(text, why string) action.Action {
	return action.Action{Kind: action.ShellOpaque, Command: text, Detail: why}
}

func remoteFacet(prog string, e *endpoint, why string) action.Action {
	f := action.Action{Kind: action.ShellRemote, Program: prog, Detail: why}
	if e != nil {
		f.Host, f.Port = e.host, e.port
	}
	return f
}

// opaqueName says why a command name cannot be known statically, or "".
func opaqueName(w word, placeholders ...[]string) string {
	for _, list := range placeholders {
		for _, ph := range list {
			if hasPlaceholder(w.s, ph) {
				return "command name substituted at run time (" + ph + ")"
			}
		}
	}
	if w.dyn == 0 {
		return ""
	}
	// $HOME/bin/tool: only the directory is unknown; the program is known.
	if slash := strings.LastIndexByte(w.s, '/'); slash >= 0 && slash >= w.dynEnd && w.dyn&dynGlob == 0 {
		return ""
	}
	return "command name from " + w.dyn.why() + ": " + clip(w.raw)
}

// simple analyses one simple command: its words (and leading assignments),
// its text as written, and its redirections.
func (a *analyzer) simple(words, assigns []word, text string, own []redirect, sc scope) *stream {
	if a.full {
		return nil
	}
	redirs := own
	if len(sc.redirs) > 0 {
		redirs = append(append([]redirect(nil), sc.redirs...), own...)
	}
	execOnly := len(words) == 1 && words[0].s == "exec" && len(assigns) == 0
	wr := a.wire(redirs, execOnly)
	stdin := sc.stdin
	if wr.stdin != nil {
		stdin = wr.stdin
	}

	ch := &chain{stdin: stdin, bg: sc.bg}
	if len(words) > 0 && words[0].dyn == 0 && !strings.Contains(words[0].s, "/") {
		if p, ok := a.hashed[words[0].s]; ok {
			// hash -p PATH NAME: NAME runs PATH.
			words = append([]word{p}, words[1:]...)
		}
	}
	if len(words) > 0 && words[0].dyn == 0 {
		switch words[0].s {
		case "hash":
			a.defineHash(words[1:])
		case "alias":
			a.defineAliases(words[1:])
		case "unalias":
			for _, w := range words[1:] {
				if w.s == "-a" {
					a.aliases = nil
				}
				delete(a.aliases, w.s)
			}
		}
	}
	aliased := false
	if name, val, ok := a.aliasFor(words); ok {
		// An alias runs its value with the command's other words after it.
		// Bash does not expand an alias inside its own value.
		delete(a.aliases, name)
		defer func() {
			if a.aliases == nil {
				a.aliases = map[string]*word{}
			}
			a.aliases[name] = val
		}()
		all := append(append([]word(nil), assigns...), words...)
		ch.views = append(ch.views, action.ParseArgv(strs(all)))
		ch.last = all
		for _, as := range assigns {
			a.envCommand(as, ch)
		}
		if val == nil {
			ch.facets = append(ch.facets, opaqueFacet(text, "alias with a value not known statically: "+clip(name)))
		} else {
			t := *val
			rest := words[1:]
			if len(rest) > 0 && strings.HasSuffix(t.s, " ") {
				// A value ending in a blank makes the next word an alias too.
				if n, v, ok := a.aliasFor(rest); ok && n != name && v != nil {
					t.s += v.s
					rest = rest[1:]
				}
			}
			if len(rest) > 0 {
				t.s += " " + quoteWords(rest)
				for _, w := range rest {
					t.dyn |= w.dyn
				}
			}
			t.raw = t.s
			ch.run = runner{kind: runText, text: t, what: "alias " + name}
		}
		aliased = true
	}
	if len(assigns) > 0 && len(ch.views) == 0 {
		all := append(append([]word(nil), assigns...), words...)
		ch.views = append(ch.views, action.ParseArgv(strs(all)))
		ch.last = all
		for _, as := range assigns {
			a.envCommand(as, ch)
		}
	}
	for cur := words; !aliased && len(cur) > 0 && len(ch.views) < maxViews; {
		ch.views = append(ch.views, action.ParseArgv(strs(cur)))
		ch.last = cur
		if why := opaqueName(cur[0], sc.placeholders, ch.placeholders); why != "" {
			ch.facets = append(ch.facets, opaqueFacet(text, why))
			// while read c; do $c; done < /dev/tcp/h/p runs what the peer sends.
			if e := networkPeer(ch.stdin, wr); e != nil {
				ch.facets = append(ch.facets, remoteFacet("", e, "command name read from a network peer: "+e.path))
			}
			break
		}
		next := a.unwrap(cur, ch, sc)
		if next == nil {
			break
		}
		cur = next
	}
	if why := subscriptOpaque(ch.last, assigns); why != "" {
		ch.facets = append(ch.facets, opaqueFacet(text, why))
	}
	var last action.Argv
	if len(ch.views) > 0 {
		last = ch.views[len(ch.views)-1]
	}
	prog := last.Program
	views := ch.views
	var m partMeta
	var facets []action.Action
	a.envState(words, ch)
	if (len(words) == 0 || words[0].dyn == 0 && declBuiltins[words[0].s]) && len(ch.startup) > 0 {
		// export BASH_ENV=FILE: any shell started later sources FILE.
		facets = append(facets, a.startupFiles("bash", ch.startup, text, sc)...)
	}

	// An interpreter that takes its program from stdin, or from another
	// descriptor the redirections fill (python3 /dev/fd/3 3<<EOF).
	codeIn, readsCode := ch.stdin, false
	if ch.run.kind == runNone {
		if n := codeFd(last); n != "" {
			codeIn, readsCode = wr.fdIn[n], wr.fdIn[n] != nil
		} else {
			readsCode = readsCodeFromStdin(last)
		}
	}
	if readsCode {
		switch in := codeIn; {
		case in == nil:
			m.shellIn = true
		case in.kind == streamLiteral && in.known:
			// The catalogue scans it as code (Command.Stdin).
		case in.kind == streamFile:
			// python3 < x.py: the file is the program (scanned below).
			if from, ok := a.isFetched(a.fileKey(in.path)); ok && !a.fifos[a.fileKey(in.path)] {
				facets = append(facets, opaqueFacet(text, "interpreter reads code from a file downloaded earlier in this text: "+clip(from)))
			}
		case in.kind == streamNetwork:
			m.shellIn = true
			facets = append(facets, remoteFacet(prog, in.peer, "interpreter reads code from a network peer"))
		default:
			m.shellIn = true
			facets = append(facets, opaqueFacet(text, "interpreter reads code from "+in.describe()))
		}
	}
	// Interpreter code from an expansion (python3 -c "$(curl ...)", node -e
	// "$JS") or a script from a process substitution (python3 <(curl ...)):
	// what runs is not known statically.
	if isCodeRunner(prog) && ch.run.kind == runNone {
		if why := dynamicCode(prog, ch.last); why != "" {
			facets = append(facets, opaqueFacet(text, why))
		}
	}
	// Code or a module that xargs or find supplies at run time.
	if shells[prog] || isCodeRunner(prog) {
		missing := ch.codeMissing || !shells[prog] && missingValue(last)
		if ch.argsFromStdin && missing || codeFromPlaceholder(last, sc.placeholders, ch.placeholders) {
			facets = append(facets, opaqueFacet(text, "code or module substituted at run time"))
		}
	}

	if shells[prog] {
		startup := append(a.inheritedStartup(ch), ch.startup...)
		facets = append(facets, a.startupFiles(prog, startup, text, sc)...)
		facets = append(facets, a.rcFiles(prog, last, ch, text, sc)...)
		facets = append(facets, a.unreadStartup(prog, ch, text)...)
	}
	if prog == "git" && len(last.Positionals) > 0 {
		facets = append(facets, a.gitHooks(text, sc)...)
	} else if len(views) > 0 && ch.run.kind == runNone && len(ch.last) > 0 && ch.last[0].dyn == 0 && !strings.Contains(last.Words[0], "/") {
		// A name PATH finds in a directory this text put first in PATH.
		facets = append(facets, a.pathProgram(last.Words[0], ch, text, sc)...)
	}
	if from, ok := a.runsFetched(last, ch.run); ok {
		facets = append(facets, opaqueFacet(text, "runs a file downloaded earlier in this text: "+clip(from)))
	}

	stdinText := ""
	if in := ch.stdin; in != nil && in.kind == streamLiteral && in.known && ch.run.kind == runNone {
		stdinText = in.text
	}
	if readsCode && codeIn != ch.stdin {
		stdinText = ""
		if codeIn.kind == streamLiteral && codeIn.known {
			stdinText = codeIn.text
		}
	}
	if readsCode && codeIn != nil && codeIn.kind == streamFile && !a.fifos[a.fileKey(codeIn.path)] {
		if content, ok, why := a.readScriptWhy(codeIn.path); ok {
			stdinText = content
		} else if why != "" {
			facets = append(facets, opaqueFacet(text, "the code in "+clip(codeIn.path)+" "+why))
		}
	}
	detected := a.detect(views, stdinText, sc, ch)
	m.rawNet = rawSocketUse(last, detected) || len(wr.net) > 0
	m.download = downloaders[prog] || hasKind(detected, action.NetworkConnect)

	// The catalogue's facets come right after shell.execute, then what the
	// shell constructs imply.
	facets = append(append(detected[:len(detected):len(detected)], facets...), ch.facets...)
	if ch.run.kind == runNone {
		// What a downloader writes (curl -o ~/.ssh/authorized_keys) is a
		// write as a redirection's is.
		for _, f := range downloadTargets(last) {
			if f != "-" && f != "/dev/null" && f != "/dev/stdout" && !isStdinPath(f) {
				facets = append(facets, action.Action{Kind: action.FileWrite, Path: catalog.CanonicalPath(f, a.cwd, a.env.Home), Detail: prog + " downloads to " + f})
			}
		}
	}
	if len(wr.facets) > 0 {
		// The shell, not the program, opens redirections: they are a part of
		// their own, so a rule that allows the command (ls *) does not also
		// allow writing ~/.bashrc or connecting to /dev/tcp/h/p. No views: no
		// command rule can match it, only rules about files and the network.
		rp := action.Part{Text: text, Facets: make([]action.Action, 0, len(wr.facets))}
		for _, f := range wr.facets {
			f.Remote = f.Remote || sc.remote
			if f.Detail == "" {
				f.Detail = "redirection"
			}
			key := string(f.Kind) + "\x00" + f.Path + "\x00" + f.Host + "\x00" + strconv.Itoa(f.Port) + "\x00" + f.Detail
			if a.redirSeen[key] {
				continue
			}
			if a.redirSeen == nil {
				a.redirSeen = map[string]bool{}
			}
			a.redirSeen[key] = true
			rp.Facets = append(rp.Facets, f)
		}
		if len(rp.Facets) > 0 {
			a.add(rp, partMeta{})
		}
		if len(words) == 0 && len(assigns) == 0 {
			// "> out.txt" alone runs no command: the redirection is all it does.
			return nil
		}
	}
	if len(wr.net) > 0 && (shells[prog] || interpreters[prog]) {
		facets = append(facets, remoteFacet(prog, wr.net[0], "shell or interpreter with its input or output on "+wr.net[0].path))
	}
	if execOnly && wr.std[0] != nil {
		facets = append(facets, remoteFacet("", wr.std[0], "the shell reads its commands from "+wr.std[0].path))
	}

	// What the innermost command runs.
	run := ch.run
	if run.interactive {
		m.shellIn = true
	}
	var textRun *word
	innerStdin := ch.stdin
	switch run.kind {
	case runText:
		t := run.text
		textRun = &t
		if run.interactive {
			m.shellIn = true
		}
	case runStdin:
		t, fs, shellIn := a.stdinShell(prog, ch.stdin, text, sc)
		facets = append(facets, fs...)
		m.shellIn = m.shellIn || shellIn
		if t != nil {
			textRun, innerStdin = t, nil
		}
	case runScript:
		s := run.script
		switch {
		case s.net:
			facets = append(facets, opaqueFacet(text, "script downloaded from the network: "+clip(s.raw)))
		case s.dyn&dynProc != 0:
			// The substitution's commands are parts of their own; what it
			// writes is the script (bash <(echo CMD), source <(nc h p)).
			if ps := a.procStream(s); ps != nil {
				t, fs, shellIn := a.stdinShell(prog, ps, text, sc)
				facets = append(facets, fs...)
				m.shellIn = m.shellIn || shellIn
				if t != nil {
					textRun, innerStdin = t, nil
				}
			}
		case isStdinPath(s.s) || s.s == "-":
			t, fs, shellIn := a.stdinShell(prog, ch.stdin, text, sc)
			facets = append(facets, fs...)
			m.shellIn = m.shellIn || shellIn
			if t != nil {
				textRun, innerStdin = t, nil
			}
		case fdPath(s.s) != "" && wr.fdIn[fdPath(s.s)] != nil:
			// bash /dev/fd/3 3<<EOF: the script is what descriptor 3 carries.
			t, fs, shellIn := a.stdinShell(prog, wr.fdIn[fdPath(s.s)], text, sc)
			facets = append(facets, fs...)
			m.shellIn = m.shellIn || shellIn
			if t != nil {
				textRun = t
			}
		case s.dyn == 0:
			facets = append(facets, a.scriptFacets(s.s, text, sc)...)
		}
	}
	if textRun == nil && len(views) > 0 && strings.Contains(last.Words[0], "/") && len(ch.last) > 0 && ch.last[0].dyn == 0 {
		// ./script.sh written earlier in this text (or a shell script on disk).
		if content, ok, why := a.scriptProgram(last.Words[0]); ok {
			facets = append(facets, a.fold(content, last.Words[0], sc)...)
		} else if why != "" {
			facets = append(facets, opaqueFacet(text, "the script "+clip(last.Words[0])+" "+why))
		}
	}

	out := a.output(last, ch.last, ch.stdin, m, text)
	if wr.outPath != "" && out != nil {
		key := a.fileKey(wr.outPath)
		switch {
		case out.kind == streamDownload || out.kind == streamNetwork || out.kind == streamDecoded && !out.known:
			a.markFetched(key, text)
		case !wr.outAppend:
			delete(a.fetched, key)
		}
	}
	for _, f := range downloadTargets(last) {
		a.markFetched(a.fileKey(f), text)
	}
	if wr.outPath != "" && out != nil && len(out.files) > 0 && out.kind == streamPipe {
		// cat a.sh > b.sh: b.sh is a copy.
		a.copyFiles(out.files, a.fileKey(wr.outPath), wr.outAppend, text)
	} else if wr.outPath != "" && out != nil && out.kind == streamFile && out.path != "" {
		// cat < a.sh > b.sh
		a.copyFiles([]string{out.path}, a.fileKey(wr.outPath), wr.outAppend, text)
	}
	if ch.run.kind == runNone {
		a.transfers(last, ch.stdin, text)
	}
	if wr.outPath != "" && out != nil && out.kind == streamLiteral && out.known && out.dyn == 0 {
		a.setFile(a.fileKey(wr.outPath), out.text, wr.outAppend)
	}
	if last.Program == "tee" && ch.run.kind == runNone && ch.stdin != nil {
		// tee FILE... <<EOF: the files hold the input too (literal text,
		// the files cat copied, or a download).
		in := ch.stdin
		_, appendMode := last.Option("-a")
		if _, ok := last.Option("--append"); ok {
			appendMode = true
		}
		content, fetchedFrom, known := "", "", false
		switch {
		case in.kind == streamLiteral && in.known && in.dyn == 0:
			content, known = in.text, true
		case in.kind == streamDownload || in.kind == streamNetwork || in.kind == streamDecoded && !in.known:
			fetchedFrom = in.from
		}
		for _, p := range last.Positionals {
			if p == "" || p == "-" {
				continue
			}
			key := a.fileKey(p)
			switch {
			case len(in.files) > 0 && in.kind == streamPipe:
				a.copyFiles(in.files, key, appendMode, text)
			case in.kind == streamFile && in.path != "":
				a.copyFiles([]string{in.path}, key, appendMode, text)
			case fetchedFrom != "":
				a.markFetched(key, fetchedFrom)
			case known:
				a.setFile(key, content, appendMode)
			case !appendMode:
				a.forgetFile(key)
			}
		}
	}
	if wr.stdout {
		out = nil
	}

	if textRun != nil {
		a.runInner(*textRun, run.remote, run.what == "eval", views, facets, text, prog, ch, innerStdin, sc, m)
	} else {
		a.emit(text, views, prog, ch.bg, facets, sc, m)
	}
	a.runExtras(ch.extras, sc)
	a.track(prog, ch.last)
	return out
}

// hasPlaceholder reports whether s holds the placeholder ph. A one-letter
// placeholder (xargs -Ix) must be the whole word: matching every x inside
// "exec" would be exact but useless.
func hasPlaceholder(s, ph string) bool {
	if ph == "" {
		return false
	}
	if len(ph) == 1 && (ph[0] >= 'a' && ph[0] <= 'z' || ph[0] >= 'A' && ph[0] <= 'Z' || ph[0] >= '0' && ph[0] <= '9') {
		return s == ph
	}
	return strings.Contains(s, ph)
}

// networkPeer returns the network endpoint on a command's stdio, if any.
func networkPeer(in *stream, wr wiring) *endpoint {
	if in != nil && in.kind == streamNetwork {
		if in.peer != nil {
			return in.peer
		}
		return &endpoint{path: in.from}
	}
	for _, e := range wr.std {
		if e != nil {
			return e
		}
	}
	return nil
}

// missingValue reports whether a code or module option lacks its value
// (python -m with the module appended by xargs at run time).
func missingValue(v action.Argv) bool {
	for _, o := range v.Options {
		if !o.HasValue {
			switch o.Name {
			case "-c", "-m", "-e", "-E", "-r":
				return true
			}
		}
	}
	return false
}

// codeFromPlaceholder reports whether a code or module option's value
// holds a run-time placeholder (xargs -I{} python3 -m {}).
func codeFromPlaceholder(v action.Argv, lists ...[]string) bool {
	for _, o := range v.Options {
		switch o.Name {
		case "-c", "-m", "-e", "-E", "-r":
		default:
			continue
		}
		for _, l := range lists {
			for _, ph := range l {
				if hasPlaceholder(o.Value, ph) {
					return true
				}
			}
		}
	}
	return false
}

// stdinShell decides what a shell reading commands from stdin runs: the
// text itself when it is known, otherwise facets saying why it is not.
func (a *analyzer) stdinShell(prog string, in *stream, text string, sc scope) (*word, []action.Action, bool) {
	switch {
	case in == nil:
		return nil, nil, true
	case (in.kind == streamLiteral || in.kind == streamDecoded) && in.known:
		t := word{s: in.text, raw: in.text, dyn: in.dyn}
		var fs []action.Action
		if in.decoded {
			fs = append(fs, opaqueFacet(text, "decoded text piped into a shell: "+clip(in.from)))
		}
		return &t, fs, false
	case in.kind == streamFile:
		if a.fifos[a.fileKey(in.path)] || in.dyn != 0 {
			// A fifo: whatever another command writes into it.
			return nil, nil, true
		}
		return nil, a.scriptFacets(in.path, text, sc), false
	case in.kind == streamNetwork:
		return nil, []action.Action{remoteFacet(prog, in.peer, "shell reads commands from a network peer: "+clip(in.from))}, true
	}
	return nil, []action.Action{opaqueFacet(text, "shell reads commands from "+in.describe())}, true
}

// clip shortens text quoted in a detail.
func clip(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// describe names what a stream carries, for details.
func (s *stream) describe() string {
	from := clip(s.from)
	switch s.kind {
	case streamDownload:
		return "a download: " + from
	case streamDecoded:
		return "decoded text: " + from
	case streamNetwork:
		return "a network peer: " + from
	case streamFile:
		return "a file: " + from
	case streamLiteral:
		return "literal text"
	}
	if from == "" {
		return "a pipe"
	}
	return "a pipe: " + from
}

// emit adds one part.
func (a *analyzer) emit(text string, views []action.Argv, prog string, bg bool, facets []action.Action, sc scope, m partMeta) {
	p := action.Part{Text: text, Views: append(clipViews(sc.prefix), views...)}
	// The command that runs (the last view, past any wrappers) is also read
	// guessing which of its options take a value, for deny and ask rules
	// only (action.GuessValues).
	if n := len(p.Views); n > 0 {
		if g, ok := action.GuessValues(&p.Views[n-1]); ok {
			p.Views = append(p.Views, g)
		}
	}
	p.Facets = make([]action.Action, 0, 1+len(sc.prefixFacets)+len(facets))
	p.Facets = append(p.Facets, action.Action{
		Kind: action.ShellExecute, Command: text, Program: prog,
		Background: bg, Remote: sc.remote, Detail: sc.origin,
	})
	p.Facets = append(p.Facets, sc.prefixFacets...)
	remote := false
	for _, f := range facets {
		if sc.remote {
			f.Remote = true
		}
		if f.Kind == action.ShellRemote {
			// One remote-shell facet per part says it; more repeat it.
			if remote {
				continue
			}
			remote = true
		}
		p.Facets = append(p.Facets, f)
	}
	a.add(p, m)
}

// runInner analyses shell text a command runs: its parts carry the
// command's views first and its facets (outer). When the text runs
// nothing, the command is a part by itself.
func (a *analyzer) runInner(t word, remote, strict bool, views []action.Argv, outer []action.Action, text, prog string, ch *chain, stdin *stream, sc scope, m partMeta) {
	if t.dyn != 0 && strict {
		outer = append(outer, opaqueFacet(text, "shell text built from "+t.dyn.why()+": "+clip(t.raw)))
	}
	inner := sc
	inner.depth++
	inner.prefix = append(clipViews(sc.prefix), views...)
	inner.prefixFacets = append([]action.Action(nil), sc.prefixFacets...)
	for _, f := range outer {
		if sc.remote {
			f.Remote = true
		}
		inner.prefixFacets = append(inner.prefixFacets, f)
	}
	inner.remote = sc.remote || remote
	inner.bg = ch.bg
	if len(ch.placeholders) > 0 {
		inner.placeholders = append(append([]string(nil), sc.placeholders...), ch.placeholders...)
		inner.unknownArgs = append(append([]string(nil), sc.unknownArgs...), ch.placeholders...)
	}
	inner.redirs = nil
	inner.stdin = stdin
	start := len(a.parts)
	a.text(t.s, inner)
	if len(a.parts) == start && !a.full {
		a.emit(text, views, prog, ch.bg, outer, sc, m)
	}
}

// runExtras analyses the commands a part starts besides itself.
func (a *analyzer) runExtras(extras []extra, sc scope) {
	for _, x := range extras {
		esc := sc
		esc.depth++
		esc.origin = "via " + x.origin
		esc.stdin, esc.redirs, esc.bg = nil, nil, false
		if x.placeholder != "" {
			esc.placeholders = append(append([]string(nil), sc.placeholders...), x.placeholder)
			if !x.resolved {
				esc.unknownArgs = append(append([]string(nil), sc.unknownArgs...), x.placeholder)
			}
		}
		if esc.depth > MaxDepth {
			a.addOpaque(x.origin, esc, "nesting too deep")
			continue
		}
		if x.words != nil {
			raws := make([]string, len(x.words))
			for i, w := range x.words {
				raws[i] = w.raw
				if raws[i] == "" {
					raws[i] = w.s
				}
			}
			a.simple(x.words, nil, strings.Join(raws, " "), nil, esc)
			continue
		}
		if x.text.dyn != 0 {
			esc.prefixFacets = append(append([]action.Action(nil), sc.prefixFacets...),
				opaqueFacet(x.text.raw, "command built from "+x.text.dyn.why()+": "+clip(x.text.raw)))
		}
		a.text(x.text.s, esc)
	}
}

// track follows cd through the text so later commands see their directory.
func (a *analyzer) track(prog string, ws []word) {
	switch prog {
	case "mkfifo", "mknod":
		for i, w := range ws[1:] {
			if strings.HasPrefix(w.s, "-") || prog == "mknod" && i > 0 {
				continue
			}
			if prog == "mknod" && !(len(ws) > i+2 && ws[i+2].s == "p") {
				continue
			}
			if a.fifos == nil {
				a.fifos = map[string]bool{}
			}
			a.fifos[a.fileKey(w.s)] = true
		}
		return
	case "ztcp":
		// zsh's ztcp HOST PORT opens a connection on the descriptor in $REPLY.
		if len(ws) == 3 && !strings.HasPrefix(ws[1].s, "-") {
			e := endpoint{host: ws[1].s, proto: "tcp", path: "ztcp " + ws[1].s + " " + ws[2].s}
			e.port, _ = strconv.Atoi(ws[2].s)
			fds := make(map[string]endpoint, len(a.fds)+1)
			for k, v := range a.fds {
				fds[k] = v
			}
			fds["$REPLY"] = e
			a.fds = fds
		}
		return
	case "cd", "pushd", "popd":
	default:
		return
	}
	args := ws
	physical := false
	for len(args) > 1 && strings.HasPrefix(args[1].s, "-") && args[1].s != "-" {
		physical = physical || strings.Contains(args[1].s, "P") && args[1].s != "--"
		args = args[1:]
	}
	switch {
	case prog == "popd":
		a.cwd = ""
	case len(args) < 2:
		a.cwd = a.env.Home
	case args[1].dyn != 0 || args[1].s == "-":
		a.cwd = ""
	case a.cdpath() && !path.IsAbs(args[1].s) && !strings.HasPrefix(args[1].s, "~") &&
		!strings.HasPrefix(args[1].s, "./") && !strings.HasPrefix(args[1].s, "../") && args[1].s != "." && args[1].s != "..":
		// CDPATH may send a relative cd anywhere.
		a.cwd = ""
	default:
		dir := args[1].s
		if !physical && a.cwd != "" && !path.IsAbs(dir) && dir != "~" && !strings.HasPrefix(dir, "~/") {
			// cd is logical by default: "link/.." is the directory that
			// holds link, a text operation; cd -P walks the link.
			dir = path.Join(a.cwd, dir)
		} else if !physical {
			dir = path.Clean(dir)
		}
		p := catalog.CanonicalPath(dir, a.cwd, a.env.Home)
		if !path.IsAbs(p) {
			if a.cwd == "" {
				p = ""
			} else {
				p = path.Join(a.cwd, p)
			}
		}
		a.cwd = p
	}
}

// cdpath reports that CDPATH may be in effect: set in the environment
// safeclaw runs in (the agent's), or assigned anywhere in this text.
func (a *analyzer) cdpath() bool {
	if _, ok := a.vars["CDPATH"]; ok || a.cdpathSeen {
		return true
	}
	return os.Getenv("CDPATH") != ""
}

// scriptProgram returns the content of a program run by path when it is a
// shell script this text wrote, or a *.sh file the caller lets us read.
func (a *analyzer) scriptProgram(name string) (content string, ok bool, why string) {
	key := a.resolve(a.fileKey(name))
	if s, ok := a.files[key]; ok {
		return s, true, ""
	}
	for _, n := range []string{name, key} {
		if strings.HasSuffix(n, ".sh") || strings.HasSuffix(n, ".bash") {
			return a.readScriptWhy(name)
		}
	}
	return "", false, ""
}

// output describes what a simple command writes to stdout.
func (a *analyzer) output(v action.Argv, ws []word, in *stream, m partMeta, text string) *stream {
	if m.rawNet {
		return &stream{kind: streamNetwork, from: text}
	}
	switch v.Program {
	case "echo":
		return echoOutput(ws)
	case "printf":
		return printfOutput(ws)
	case "cat", "tee", "tac", "dd":
		passes := v.Program == "tee" || v.Program == "dd"
		if v.Program != "tee" && v.Program != "dd" {
			passes = len(v.Positionals) == 0 || (len(v.Positionals) == 1 && v.Positionals[0] == "-")
		}
		var files []string
		switch {
		case v.Program == "cat" && !passes && len(v.Options) == 0:
			files = v.Positionals
		case v.Program == "dd":
			for _, w := range v.Words[1:] {
				if f, ok := strings.CutPrefix(w, "if="); ok {
					files, passes = []string{f}, false
				} else if strings.HasPrefix(w, "of=") {
					return &stream{kind: streamPipe, from: text}
				}
			}
		}
		if len(files) > 0 {
			// The files' content: fetched when one of them was.
			if _, from, _ := a.filesContent(files); from != "" {
				return &stream{kind: streamDownload, from: from, files: files}
			}
			return &stream{kind: streamPipe, from: text, files: files}
		}
		if passes && in != nil {
			c := *in
			return &c
		}
	}
	if isDecoder(v) {
		out := &stream{kind: streamDecoded, decoded: true, from: text}
		if in != nil && in.known && in.dyn == 0 && len(v.Positionals) == 0 {
			if s, ok := decode(v, in.text); ok {
				out.text, out.known = s, true
			}
		}
		return out
	}
	if m.download {
		return &stream{kind: streamDownload, from: text}
	}
	return &stream{kind: streamPipe, from: text}
}

// echoOutput is what echo prints, when its words are known.
func echoOutput(ws []word) *stream {
	args := ws[1:]
	newline, escapes := true, false
	for len(args) > 0 && len(args[0].s) > 1 && args[0].s[0] == '-' && strings.Trim(args[0].s[1:], "neE") == "" {
		for _, c := range args[0].s[1:] {
			switch c {
			case 'n':
				newline = false
			case 'e':
				escapes = true
			case 'E':
				escapes = false
			}
		}
		args = args[1:]
	}
	j := joinWords(args)
	s := j.s
	if escapes {
		s = decodeEscapes(s, escEcho)
	}
	if newline {
		s += "\n"
	}
	return &stream{kind: streamLiteral, text: s, known: true, dyn: j.dyn, from: "echo"}
}

// printfOutput is what printf prints, when its format and arguments are known.
func printfOutput(ws []word) *stream {
	args := ws[1:]
	if len(args) > 0 && args[0].s == "--" {
		args = args[1:]
	}
	if len(args) == 0 || strings.HasPrefix(args[0].s, "-v") {
		return &stream{kind: streamPipe, from: "printf"}
	}
	var dyn dynKind
	for _, w := range args {
		dyn |= w.dyn
	}
	format := args[0].s
	rest := strs(args[1:])
	var b strings.Builder
	for iter := 0; iter < 64; iter++ {
		used := 0
		for i := 0; i < len(format); i++ {
			c := format[i]
			if c == '\\' {
				j := i + 1
				for j < len(format) && j < i+4 && format[j] >= '0' && format[j] <= '7' {
					j++
				}
				if j == i+1 && j < len(format) {
					j++
				}
				if j > len(format) {
					j = len(format)
				}
				b.WriteString(decodeEscapes(format[i:j], escPrintf))
				i = j - 1
				continue
			}
			if c != '%' || i+1 >= len(format) {
				b.WriteByte(c)
				continue
			}
			if format[i+1] == '%' {
				b.WriteByte('%')
				i++
				continue
			}
			j := i + 1
			for j < len(format) && strings.IndexByte("-+ #0123456789.*", format[j]) >= 0 {
				j++
			}
			if j >= len(format) {
				b.WriteString(format[i:])
				break
			}
			arg := ""
			if used < len(rest) {
				arg = rest[used]
			}
			used++
			if format[j] == 'b' {
				arg = decodeEscapes(arg, escEcho)
			}
			b.WriteString(arg)
			i = j
		}
		if used == 0 || used >= len(rest) {
			break
		}
		rest = rest[used:]
	}
	return &stream{kind: streamLiteral, text: b.String(), known: true, dyn: dyn, from: "printf"}
}

// decode runs a decoder on known text, for the decoders simple enough to
// run statically.
func decode(v action.Argv, s string) (string, bool) {
	switch v.Program {
	case "base64":
		clean := strings.Join(strings.Fields(s), "")
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if b, err := enc.DecodeString(clean); err == nil {
				return string(b), true
			}
		}
	case "xxd":
		if v.Has("-p", "-plain", "-ps", "-postscript") {
			if b, err := hex.DecodeString(strings.Join(strings.Fields(s), "")); err == nil {
				return string(b), true
			}
		}
	case "rev":
		lines := strings.Split(s, "\n")
		for i, l := range lines {
			r := []rune(l)
			for x, y := 0, len(r)-1; x < y; x, y = x+1, y-1 {
				r[x], r[y] = r[y], r[x]
			}
			lines[i] = string(r)
		}
		return strings.Join(lines, "\n"), true
	}
	return "", false
}

// pipeline walks a pipeline stage by stage, feeding each stage's output to
// the next, then wires shells to network peers in the same pipeline.
func (a *analyzer) pipeline(c *syntax.BinaryCmd, sc scope) *stream {
	var stages []*syntax.Stmt
	var flatten func(s *syntax.Stmt)
	flatten = func(s *syntax.Stmt) {
		if b, ok := s.Cmd.(*syntax.BinaryCmd); ok && (b.Op == syntax.Pipe || b.Op == syntax.PipeAll) && len(s.Redirs) == 0 && !s.Negated && !s.Background {
			flatten(b.X)
			flatten(b.Y)
			return
		}
		stages = append(stages, s)
	}
	flatten(c.X)
	flatten(c.Y)
	start := len(a.parts)
	in := sc.stdin
	for _, st := range stages {
		s := sc
		s.stdin = in
		in = a.stmt(st, s)
		if in == nil {
			in = &stream{kind: streamPipe}
		}
	}
	a.wirePipeline(start, len(a.parts), "a pipeline")
	return in
}

// wirePipeline marks shells that share a pipeline with a network peer as
// remote shells (nc h p | sh, sh -i 2>&1 | nc h p).
func (a *analyzer) wirePipeline(start, end int, how string) {
	var peer string
	for i := start; i < end && i < len(a.meta); i++ {
		if a.meta[i].rawNet {
			peer = a.parts[i].Text
			break
		}
	}
	if peer == "" {
		return
	}
	found := false
	for i := start; i < end && i < len(a.meta); i++ {
		if !a.meta[i].shellIn {
			continue
		}
		found = true
		p := &a.parts[i]
		f := remoteFacet(programOf(p), nil, "shell in "+how+" with a network peer: "+clip(peer))
		p.Facets = dedupe(append(p.Facets, f))
	}
	if !found {
		return
	}
	for i := start; i < end && i < len(a.meta); i++ {
		if a.meta[i].rawNet && !hasKind(a.parts[i].Facets, action.ShellRemote) {
			p := &a.parts[i]
			p.Facets = append(p.Facets, remoteFacet(programOf(p), nil, "network peer wired to a shell in "+how))
		}
	}
}

func programOf(p *action.Part) string {
	for _, f := range p.Facets {
		if f.Kind == action.ShellExecute {
			return f.Program
		}
	}
	return ""
}

// startupFiles are the facets of the files a shell sources before it runs
// anything: bash's BASH_ENV (a non-interactive bash) and ENV (sh, dash,
// ksh, and bash as sh or interactive). A file written earlier in this text
// or readable is analysed; one from a process substitution is what the
// substitution prints; one that cannot be known is opaque.
func (a *analyzer) startupFiles(prog string, startup []word, text string, sc scope) []action.Action {
	var out []action.Action
	for _, w := range startup {
		if w.s == "" {
			continue
		}
		origin := "startup file " + clip(w.raw)
		switch {
		case w.dyn&dynProc != 0 && strings.HasPrefix(w.s, "<("):
			ps := a.procStream(w)
			if ps == nil {
				// Neither literal nor from the network: its commands are
				// parts of their own, as for source <(CMD).
				continue
			}
			t, fs, shellIn := a.stdinShell(prog, ps, text, sc)
			out = append(out, fs...)
			if t != nil {
				if t.dyn != 0 {
					out = append(out, opaqueFacet(text, "shell startup file built at run time: "+clip(w.raw)))
				}
				out = append(out, a.fold(t.s, origin, sc)...)
			} else if shellIn && len(fs) == 0 {
				out = append(out, opaqueFacet(text, "shell startup file from a process substitution: "+clip(w.raw)))
			}
		case w.dyn != 0:
			out = append(out, opaqueFacet(text, "shell startup file from "+w.dyn.why()+": "+clip(w.raw)))
		default:
			if from, ok := a.isFetched(a.fileKey(w.s)); ok {
				out = append(out, opaqueFacet(text, "shell startup file downloaded earlier in this text: "+clip(from)))
			} else {
				out = append(out, a.scriptFacets(w.s, text, sc)...)
			}
		}
	}
	return out
}

// defineHash records hash -p PATH NAME (NAME now runs PATH), hash -d
// NAME and hash -r.
func (a *analyzer) defineHash(args []word) {
	for k := 0; k < len(args); k++ {
		switch s := args[k].s; {
		case s == "-r":
			a.hashed = nil
		case s == "-d":
			for _, w := range args[k+1:] {
				delete(a.hashed, w.s)
			}
			return
		case s == "-p" && k+2 < len(args):
			if a.hashed == nil {
				a.hashed = map[string]word{}
			}
			p := args[k+1]
			for _, n := range args[k+2:] {
				a.hashed[n.s] = p
			}
			return
		}
	}
}

// defineAliases records alias NAME=VALUE definitions.
func (a *analyzer) defineAliases(args []word) {
	for _, w := range args {
		name, val, ok := strings.Cut(w.s, "=")
		if !ok || name == "" || strings.HasPrefix(name, "-") {
			continue
		}
		if a.aliases == nil {
			a.aliases = map[string]*word{}
		}
		if w.dyn != 0 {
			a.aliases[name] = nil
			continue
		}
		v := lit(val)
		a.aliases[name] = &v
	}
}

// aliasFor returns the alias a command's first word names, when it is
// written plainly (quoting or a backslash suppresses an alias).
func (a *analyzer) aliasFor(words []word) (string, *word, bool) {
	if len(words) == 0 || len(a.aliases) == 0 {
		return "", nil, false
	}
	w := words[0]
	if w.dyn != 0 || w.raw != w.s {
		return "", nil, false
	}
	val, ok := a.aliases[w.s]
	return w.s, val, ok
}

// markFetched records that key now holds content fetched by text.
func (a *analyzer) markFetched(key, text string) {
	if a.fetched == nil {
		a.fetched = map[string]string{}
	}
	a.fetched[key] = text
	delete(a.files, key)
	delete(a.links, key)
}

// runsFetched reports whether v runs, as a program, a script or a source
// file, a file this text fetched from the network.
func (a *analyzer) runsFetched(v action.Argv, run runner) (string, bool) {
	if len(a.fetched) == 0 && len(a.fetchedTrees) == 0 || len(v.Words) == 0 {
		return "", false
	}
	// A candidate runs as code; tree says whether a file under a fetched
	// tree (git clone, an unpacked download) counts, not only one fetched
	// by name: a program run by path, a shell's script, an interpreter's.
	type cand struct {
		name string
		tree bool
	}
	cands := []cand{{v.Words[0], strings.Contains(v.Words[0], "/")}}
	if run.kind == runScript && run.script.dyn == 0 {
		cands = append(cands, cand{run.script.s, true})
	}
	if (interpreters[v.Program] || isCodeRunner(v.Program)) && len(v.Positionals) > 0 {
		cands = append(cands, cand{v.Positionals[0], isCodeRunner(v.Program)})
	}
	for _, c := range cands {
		if c.name == "" || c.name == "-" {
			continue
		}
		key := a.fileKey(c.name)
		if from, ok := a.fetched[key]; ok {
			return from, true
		}
		if from, ok := a.isFetched(key); ok && c.tree {
			return from, true
		}
	}
	return "", false
}

// downloadTargets are the files a downloader writes: curl -o FILE and -O
// (the URL's last path segment), wget -O FILE or, without one, the URL's
// last segment (under -P DIR), aria2c -o FILE.
func downloadTargets(v action.Argv) []string {
	if len(v.Words) < 2 {
		return nil
	}
	var out []string
	base := func(u string) string {
		if i := strings.IndexAny(u, "?#"); i >= 0 {
			u = u[:i]
		}
		if _, rest, ok := strings.Cut(u, "://"); ok {
			u = rest
		}
		_, p, ok := strings.Cut(u, "/")
		if !ok {
			return ""
		}
		b := path.Base("/" + p)
		if b == "/" || b == "." {
			return ""
		}
		return b
	}
	var urls []string
	for _, p := range v.Words[1:] {
		if strings.Contains(p, "://") && !strings.HasPrefix(p, "-") {
			urls = append(urls, p)
		}
	}
	ws := v.Words
	switch v.Program {
	case "curl":
		remote := false
		for i := 1; i < len(ws); i++ {
			w := ws[i]
			switch {
			case w == "-o" || w == "--output":
				if i+1 < len(ws) {
					out = append(out, ws[i+1])
					i++
				}
			case strings.HasPrefix(w, "--output="):
				out = append(out, strings.TrimPrefix(w, "--output="))
			case w == "--remote-name" || w == "--remote-name-all":
				remote = true
			case len(w) > 1 && w[0] == '-' && w[1] != '-':
				// A cluster: -sSLo FILE, -oFILE, -O, -sSLO.
				if k := strings.IndexByte(w, 'o'); k > 0 {
					if k+1 < len(w) {
						out = append(out, w[k+1:])
					} else if i+1 < len(ws) {
						out = append(out, ws[i+1])
						i++
					}
				} else if strings.Contains(w, "O") {
					remote = true
				}
			}
		}
		if remote {
			for _, u := range urls {
				if b := base(u); b != "" {
					out = append(out, b)
				}
			}
		}
	case "wget", "wget2":
		named, dir := false, ""
		for i := 1; i < len(ws); i++ {
			w := ws[i]
			switch {
			case w == "-O" || w == "--output-document":
				if i+1 < len(ws) {
					out = append(out, ws[i+1])
					i++
				}
				named = true
			case strings.HasPrefix(w, "--output-document="):
				out = append(out, strings.TrimPrefix(w, "--output-document="))
				named = true
			case w == "-P" || w == "--directory-prefix":
				if i+1 < len(ws) {
					dir = ws[i+1]
					i++
				}
			case strings.HasPrefix(w, "--directory-prefix="):
				dir = strings.TrimPrefix(w, "--directory-prefix=")
			case len(w) > 1 && w[0] == '-' && w[1] != '-' && strings.Contains(w, "O"):
				// -qO FILE, -qO- (stdout), -OFILE.
				k := strings.IndexByte(w, 'O')
				if k+1 < len(w) {
					out = append(out, w[k+1:])
				} else if i+1 < len(ws) {
					out = append(out, ws[i+1])
					i++
				}
				named = true
			}
		}
		if !named {
			for _, u := range urls {
				if b := base(u); b != "" {
					out = append(out, path.Join(dir, b))
				}
			}
		}
	case "aria2c":
		for i := 1; i < len(ws); i++ {
			if (ws[i] == "-o" || ws[i] == "--out") && i+1 < len(ws) {
				out = append(out, ws[i+1])
				i++
			}
		}
	}
	kept := out[:0]
	for _, f := range out {
		if f != "" && f != "-" && f != "/dev/null" && !strings.HasPrefix(f, "/dev/") {
			kept = append(kept, f)
		}
	}
	return kept
}
