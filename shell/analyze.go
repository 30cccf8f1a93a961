package shell

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"sync"

	"mvdan.cc/sh/v3/syntax"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/shell/catalog"
)

// Env is what the analyser may know about where a command runs.
type Env struct {
	Cwd  string // absolute working directory; "" when unknown
	Home string // the user's home directory; "" when unknown
	// ReadFile reads a file a command leads to (package.json, a sourced
	// script). nil means read nothing. It is passed on to the catalogue.
	ReadFile func(name string) ([]byte, error)
	// Stat describes a file on disk; nil means os.Stat. The catalogue asks
	// it whether a git hook is an executable file (git runs no other).
	Stat func(name string) (fs.FileInfo, error)
}

// Limits. Inputs beyond them are not analysed but reported as shell.opaque.
const (
	// MaxTextBytes is the largest shell text analysed.
	MaxTextBytes = 64 << 10
	// MaxDepth bounds how deeply shell text may run shell text
	// (bash -c, eval, $(...), ssh host CMD, scripts).
	MaxDepth = 16
	// maxNesting bounds bracket nesting inside one text, checked before
	// parsing so the parser never recurses deeply.
	maxNesting = 256
	// maxWork bounds the bytes parsed for one Analyze call, across all
	// nested texts and scripts.
	maxWork = 1 << 20
	// maxParts bounds the parts of one Analyze call.
	maxParts = 4096
	// maxViews bounds the wrappers peeled off one command.
	maxViews = 32
)

// Analyze splits shell text into parts, one per simple command the shell
// would run, each with its views and facets. It never fails: what cannot be
// parsed or resolved becomes a part with a shell.opaque facet saying why.
// A text that runs nothing (empty, comments, [[ ]], (( ))) has no parts.
func Analyze(text string, env Env) (parts []action.Part) {
	p := parsers.Get().(*syntax.Parser)
	defer parsers.Put(p)
	a := &analyzer{env: env, cwd: env.Cwd, parser: p}
	defer func() {
		// A bug must not turn into an allow: fail closed with one opaque part.
		if r := recover(); r != nil {
			parts = []action.Part{opaquePart(text, nil, nil, fmt.Sprintf("internal error: %v", r))}
		}
	}()
	a.text(text, scope{})
	return a.parts
}

// parsers caches bash parsers: making one allocates more than parsing a
// typical command does. A parser resets itself on every Parse, so the pool
// carries no state from one call to the next.
var parsers = sync.Pool{New: func() any { return syntax.NewParser(syntax.Variant(syntax.LangBash)) }}

// analyzer holds the state of one Analyze call.
type analyzer struct {
	env    Env
	parser *syntax.Parser
	zsh    *syntax.Parser // made on the first text bash cannot parse
	parts  []action.Part
	meta   []partMeta // parallel to parts
	work   int        // bytes parsed so far
	full   bool       // maxParts reached: stop adding parts

	cwd string // working directory as tracked through cd; "" when unknown
	// vars holds the shell variables this text assigned, in order: a
	// literal value is known and expands as the shell expands it; any other
	// (a command substitution, an assignment that may not run: in a branch,
	// a loop, a subshell, after || or &&) makes the name unknown.
	vars map[string]varVal
	// uncertain counts the enclosing constructs whose assignments may not
	// run, or do not last (see vars).
	uncertain int
	// cdpathSeen: the text assigns CDPATH somewhere (CDPATH=~ cd x too).
	cdpathSeen bool
	// printShadowed: a text may define a function or alias, or turn off a
	// builtin, so echo and printf may not be the builtins: no command
	// substitution's output is worked out (see resolver.constOutput).
	printShadowed bool
	// fds maps file descriptors opened by exec onto network endpoints.
	fds map[string]endpoint
	// fdIn holds what input descriptors exec opened carry (exec 3<FILE).
	fdIn map[string]*stream
	// files holds literal contents this text wrote to files (echo ... > s.sh),
	// keyed by lexical absolute path, so later commands that run them are seen.
	files map[string]string
	// fifos are named pipes this text created (mkfifo).
	fifos map[string]bool
	// procOut holds what each input process substitution writes, by its
	// source text (equal texts write alike).
	procOut map[string]*stream
	// redirSeen holds the redirection facets already given a part of their
	// own: a loop's redirection applies to every command in its body but is
	// one action.
	redirSeen map[string]bool
	// aliases holds the aliases this text defined (alias NAME=VALUE): a
	// later command whose first word is NAME, unquoted, runs VALUE. A
	// value that is not literal is kept as nil: using it is opaque.
	aliases map[string]*word
	// hashed holds the programs hash -p assigned to names: a later command
	// whose first word is NAME runs PATH.
	hashed map[string]word
	// fetched holds the files this text wrote with content from the
	// network (curl -o, wget, a download redirected to a file), keyed as
	// files is, with what fetched them: running one is opaque, as curl | sh is.
	fetched map[string]string
	// fetchedTrees holds the directories whose every file came from the
	// network (git clone, scp -r host:dir), keyed and valued as fetched.
	fetchedTrees map[string]string
	// links maps a file this text copied (or linked) from one on disk to
	// that file, keyed as files: reading it reads the original.
	links map[string]string
	// exported holds the environment assignments that last past their
	// command (NAME=VALUE alone, export, declare), by name, as NAME=VALUE
	// words: a later shell sources an exported BASH_ENV.
	exported map[string]word
	// hookDirs are git hook directories this text set (core.hooksPath).
	hookDirs []string
	// hooksSeen are the hooks on disk (and the texts they run) analysed
	// already (see hookFold).
	hooksSeen map[string]bool
}

// partMeta is what pipeline and script-level checks need to know about a part.
type partMeta struct {
	// shellIn: a shell or interpreter that reads commands from stdin, or an
	// interactive shell.
	shellIn bool
	// rawNet: a raw socket tool talking to a peer, or a command whose stdio
	// is wired to a network endpoint by redirection.
	rawNet bool
	// download: a part that fetches from the network.
	download bool
}

// scope is what a statement inherits from where it appears.
type scope struct {
	src    string // the text positions refer to
	depth  int    // shell texts nested around this one
	prefix []action.Argv
	// prefixFacets are the facets of the wrappers around this text
	// (ssh's network.connect, an opaque facet for dynamic text).
	prefixFacets []action.Action
	remote       bool   // runs on another machine (ssh host CMD)
	bg           bool   // started in the background
	origin       string // why this text runs, e.g. "git -c core.pager"
	// placeholders are words a wrapper substitutes at run time
	// (xargs -I{}, find -exec {}); as a command name they are opaque.
	placeholders []string
	// unknownArgs are the placeholders among them whose values nothing
	// resolves statically (xargs -I, parallel, fd -x; not find -exec, whose
	// paths the catalogue works out itself).
	unknownArgs []string
	redirs      []redirect // redirections of enclosing compound commands
	stdin       *stream    // what stdin carries, nil for the terminal
}

// crStandIn replaces a carriage return in shell text (see text): a
// private-use character, a word character to the parser as to bash.
const crStandIn = "\uE00D"

// text parses and walks one shell text.
func (a *analyzer) text(src string, sc scope) {
	if a.full {
		return
	}
	// Bash reads a carriage return as an ordinary character of a word
	// ("ls\r#" is one word, so # starts no comment there), while the parser
	// would take it for a blank: it stands in as a character no shell
	// treats specially, so words and comments split where bash splits them.
	if strings.IndexByte(src, '\r') >= 0 {
		src = strings.ReplaceAll(src, "\r", crStandIn)
	}
	if strings.Contains(src, "CDPATH") {
		a.cdpathSeen = true
	}
	if !a.printShadowed && mayShadowPrint(src) {
		a.printShadowed = true
	}
	if sc.depth > MaxDepth {
		a.addOpaque(src, sc, fmt.Sprintf("nesting deeper than %d levels", MaxDepth))
		return
	}
	if len(src) > MaxTextBytes {
		a.addOpaque(src, sc, fmt.Sprintf("text longer than %d bytes", MaxTextBytes))
		return
	}
	a.work += len(src)
	if a.work > maxWork {
		a.addOpaque(src, sc, "analysis budget exceeded")
		return
	}
	if n := nesting(src); n > maxNesting {
		a.addOpaque(src, sc, fmt.Sprintf("nesting deeper than %d brackets", maxNesting))
		return
	}
	f, err := a.parser.Parse(strings.NewReader(src), "")
	if err != nil {
		// Text bash rejects runs nowhere under bash; under zsh it may run.
		if a.zsh == nil {
			a.zsh = syntax.NewParser(syntax.Variant(syntax.LangZsh))
		}
		if zf, zerr := a.zsh.Parse(strings.NewReader(src), ""); zerr == nil {
			f, err = zf, nil
		}
	}
	if err != nil {
		msg := err.Error()
		var pe syntax.ParseError
		if errors.As(err, &pe) {
			msg = pe.Error()
		}
		a.addOpaque(src, sc, "cannot parse: "+msg)
		return
	}
	sc.src = src
	a.stmts(f.Stmts, sc)
}

// nesting is a cheap upper bound of bracket nesting in src.
func nesting(src string) int {
	depth, max := 0, 0
	for i := 0; i < len(src); i++ {
		switch src[i] {
		case '(', '{':
			depth++
			if depth > max {
				max = depth
			}
		case ')', '}':
			if depth > 0 {
				depth--
			}
		}
	}
	return max
}

func (a *analyzer) stmts(list []*syntax.Stmt, sc scope) {
	for _, s := range list {
		a.stmt(s, sc)
	}
}

// stmt walks one statement and returns what it writes to stdout.
func (a *analyzer) stmt(s *syntax.Stmt, sc scope) *stream {
	if a.full || s == nil {
		return nil
	}
	sc.bg = sc.bg || s.Background || s.Coprocess || s.Disown
	r := &resolver{src: sc.src, home: true, dir: a.env.Home, cwd: a.cwd, vars: a.vars, noConst: a.printShadowed}
	own := a.redirects(s.Redirs, r)
	a.substs(r.subs, nil, sc)
	switch c := s.Cmd.(type) {
	case *syntax.CallExpr:
		return a.call(c, s, own, sc)
	case nil:
		// Only redirections: "> file" truncates a file.
		a.simple(nil, nil, a.stmtText(s, sc.src), own, sc)
		return nil
	}
	start := len(a.parts)
	if len(own) > 0 {
		sc.redirs = append(append([]redirect(nil), sc.redirs...), own...)
	}
	last := a.compound(s.Cmd, sc)
	if last != nil && len(own) == 0 && (last.kind == streamLiteral || last.kind == streamDecoded) {
		// echo B64 | base64 -d: the pipeline's text is known.
		return last
	}
	return a.rangeOutput(start, len(a.parts))
}

// compound walks the statements inside a compound command. It returns the
// output of a pipeline's last stage, nil for other commands.
func (a *analyzer) compound(cmd syntax.Command, sc scope) *stream {
	switch c := cmd.(type) {
	case *syntax.BinaryCmd:
		if c.Op == syntax.Pipe || c.Op == syntax.PipeAll {
			// Each stage runs in a subshell of its own.
			a.uncertain++
			defer func() { a.uncertain-- }()
			return a.pipeline(c, sc)
		}
		a.stmt(c.X, sc)
		// The right side of && and || may not run.
		a.uncertain++
		a.stmt(c.Y, sc)
		a.uncertain--
		return nil
	}
	// What runs in a branch, a loop, a subshell or a function may not run
	// (or not last): its assignments leave their names unknown.
	a.uncertain++
	defer func() { a.uncertain-- }()
	switch c := cmd.(type) {
	case *syntax.Subshell:
		a.stmts(c.Stmts, sc)
	case *syntax.Block:
		a.stmts(c.Stmts, sc)
	case *syntax.IfClause:
		for ic := c; ic != nil; ic = ic.Else {
			a.stmts(ic.Cond, sc)
			a.stmts(ic.Then, sc)
		}
	case *syntax.WhileClause:
		a.stmts(c.Cond, sc)
		a.stmts(c.Do, sc)
	case *syntax.ForClause:
		a.walkNode(c.Loop, sc)
		if wi, ok := c.Loop.(*syntax.WordIter); ok && wi.Name != nil {
			a.forget(wi.Name.Value)
		}
		a.stmts(c.Do, sc)
	case *syntax.CaseClause:
		a.walkNode(c.Word, sc)
		for _, it := range c.Items {
			for _, p := range it.Patterns {
				a.walkNode(p, sc)
			}
			a.stmts(it.Stmts, sc)
		}
	case *syntax.FuncDecl:
		// The body runs when the function is called; analyse it once here.
		sc.stdin = nil
		a.stmt(c.Body, sc)
	case *syntax.TestDecl:
		a.stmt(c.Body, sc)
	case *syntax.TimeClause:
		a.stmt(c.Stmt, sc)
	case *syntax.CoprocClause:
		sc.bg = true
		a.stmt(c.Stmt, sc)
	case *syntax.ArithmCmd, *syntax.TestClause, *syntax.LetClause:
		// Harmless in themselves (a part with only its shell.execute facet,
		// so a policy can allow it); substitutions inside still run.
		a.walkNode(c, sc)
		name := "[["
		switch c.(type) {
		case *syntax.ArithmCmd:
			name = "(("
		case *syntax.LetClause:
			name = "let"
		}
		r := &resolver{src: sc.src}
		if text := r.text(c); letCode(c, text) {
			a.addOpaque(text, sc, "let with a command substitution in a subscript")
		} else {
			a.simple([]word{lit(name)}, nil, text, nil, sc)
		}
	case *syntax.DeclClause:
		a.decl(c, sc)
	}
	return nil
}

// forget makes a variable unknown (a loop variable, read, unset).
func (a *analyzer) forget(name string) {
	if a.vars == nil {
		a.vars = map[string]varVal{}
	}
	a.vars[name] = varVal{}
}

// walkNode analyses the command and process substitutions inside n.
func (a *analyzer) walkNode(n syntax.Node, sc scope) {
	if n == nil {
		return
	}
	r := &resolver{src: sc.src, wordN: -1}
	r.collect(n)
	a.substs(r.subs, nil, sc)
}

// substs analyses substitutions as parts of their own; words, when given,
// learn which of them fetch from the network.
func (a *analyzer) substs(subs []subst, words []word, sc scope) {
	if len(subs) == 0 {
		return
	}
	sc.depth++
	sc.stdin = nil
	sc.redirs = nil
	sc.bg = false
	// A substitution runs in a subshell: its assignments do not last.
	a.uncertain++
	defer func() { a.uncertain-- }()
	for _, s := range subs {
		if sc.depth > MaxDepth {
			a.addOpaque(sc.src, sc, fmt.Sprintf("substitutions nested deeper than %d levels", MaxDepth))
			return
		}
		start := len(a.parts)
		if s.proc != "" && len(s.stmts) > 0 {
			// <(...): keep what it writes for the command reading it
			// (bash <(echo CMD), sh < <(nc HOST PORT)).
			a.stmts(s.stmts[:len(s.stmts)-1], sc)
			out := a.stmt(s.stmts[len(s.stmts)-1], sc)
			if out == nil || start == len(a.parts) {
				out = &stream{kind: streamPipe, from: s.proc}
			}
			if a.procOut == nil {
				a.procOut = map[string]*stream{}
			}
			a.procOut[s.proc] = out
		} else {
			a.stmts(s.stmts, sc)
		}
		if s.word >= 0 && s.word < len(words) && a.rangeDownloads(start, len(a.parts)) {
			words[s.word].net = true
		}
	}
}

// decl handles export/local/declare/readonly/typeset as a part.
func (a *analyzer) decl(d *syntax.DeclClause, sc scope) {
	r := &resolver{src: sc.src, home: true, dir: a.env.Home, cwd: a.cwd, vars: a.vars, wordN: -1, noConst: a.printShadowed}
	words := []word{lit(d.Variant.Value)}
	for _, as := range d.Args {
		words = append(words, r.assign(as))
		a.setVar(as, r)
	}
	a.substs(r.subs, nil, sc)
	a.simple(words, nil, r.text(d), nil, sc)
}

// varVal is what a variable is known to hold.
type varVal struct {
	val   string
	known bool
}

// setVar records the assignment as (of a statement of assignments only, or
// of export/declare/local/readonly): see analyzer.vars.
func (a *analyzer) setVar(as *syntax.Assign, r *resolver) {
	if as.Name == nil {
		return
	}
	if a.vars == nil {
		a.vars = map[string]varVal{}
	}
	name := as.Name.Value
	v := varVal{}
	switch {
	case a.uncertain > 0 || as.Append || as.Array != nil || as.Index != nil:
	case as.Naked:
		if old, ok := a.vars[name]; ok {
			v = old // export NAME keeps the value
		}
	case as.Value == nil:
		v = varVal{known: true} // NAME=
	default:
		w := r.word(as.Value)
		switch {
		case w.dyn == 0:
			v = varVal{val: w.s, known: true}
		case isMktemp(as.Value):
			// A fresh file or directory of its own under /tmp.
			v = varVal{val: "/tmp/tmp.mktemp", known: true}
		}
	}
	a.vars[name] = v
}

// isMktemp reports a word that is exactly $(mktemp [-d] [-q] [-t]): a new
// temporary path under the default directory.
func isMktemp(w *syntax.Word) bool {
	if len(w.Parts) != 1 {
		return false
	}
	cs, ok := w.Parts[0].(*syntax.CmdSubst)
	if !ok || len(cs.Stmts) != 1 {
		return false
	}
	ce, ok := cs.Stmts[0].Cmd.(*syntax.CallExpr)
	if !ok || len(ce.Assigns) > 0 || len(cs.Stmts[0].Redirs) > 0 || len(ce.Args) == 0 || ce.Args[0].Lit() != "mktemp" {
		return false
	}
	for _, arg := range ce.Args[1:] {
		switch arg.Lit() {
		case "-d", "-q", "-t", "-u", "--directory", "--quiet", "--dry-run":
		default:
			return false // a template or another directory
		}
	}
	return true
}

// assign resolves NAME=VALUE (or a naked word of a declare clause).
func (r *resolver) assign(as *syntax.Assign) word {
	switch {
	case as.Name == nil && as.Value != nil:
		return r.word(as.Value)
	case as.Name == nil:
		return word{}
	}
	if as.Index != nil {
		// arr[$(cmd)]=v: the index is evaluated too.
		r.collect(as.Index)
	}
	var w word
	if as.Value != nil {
		w = r.word(as.Value)
	} else if as.Array != nil {
		r.collect(as.Array)
		w = word{s: r.text(as.Array), dyn: dynParam}
	}
	op := "="
	if as.Append {
		op = "+="
	}
	if as.Naked {
		op = ""
	}
	w.s = as.Name.Value + op + w.s
	w.raw = r.text(as)
	if w.dyn != 0 {
		w.dynEnd += len(as.Name.Value) + len(op)
	}
	return w
}

// stmtText is the text of a statement from its source positions, without
// here-document bodies and the trailing ; or &.
func (a *analyzer) stmtText(s *syntax.Stmt, src string) string {
	start, end := -1, -1
	if s.Cmd != nil {
		start, end = int(s.Cmd.Pos().Offset()), int(s.Cmd.End().Offset())
	}
	for _, r := range s.Redirs {
		rs := int(r.Pos().Offset())
		re := rs
		if r.Word != nil {
			re = int(r.Word.End().Offset())
		}
		if start < 0 || rs < start {
			start = rs
		}
		if re > end {
			end = re
		}
	}
	if start < 0 || end > len(src) || start > end {
		return ""
	}
	return src[start:end]
}

// addOpaque adds one part for text that could not be analysed. It carries
// no shell.execute facet and no views of its own, so no command rule can
// allow it by accident.
func (a *analyzer) addOpaque(text string, sc scope, why string) {
	a.add(opaquePart(text, sc.prefix, sc.prefixFacets, why), partMeta{})
}

func opaquePart(text string, prefix []action.Argv, prefixFacets []action.Action, why string) action.Part {
	p := action.Part{Text: text, Views: clipViews(prefix)}
	p.Facets = append(p.Facets, prefixFacets...)
	p.Facets = append(p.Facets, action.Action{Kind: action.ShellOpaque, Command: text, Detail: why})
	return p
}

func clipViews(v []action.Argv) []action.Argv {
	if len(v) == 0 {
		return nil
	}
	return append([]action.Argv(nil), v...)
}

// add appends a part, respecting maxParts.
func (a *analyzer) add(p action.Part, m partMeta) int {
	if a.full {
		return -1
	}
	if len(a.parts) >= maxParts {
		a.full = true
		a.parts = append(a.parts, opaquePart("", nil, nil, fmt.Sprintf("more than %d commands", maxParts)))
		a.meta = append(a.meta, partMeta{})
		return -1
	}
	p.Facets = dedupe(p.Facets)
	a.parts = append(a.parts, p)
	a.meta = append(a.meta, m)
	return len(a.parts) - 1
}

// dedupe removes repeated facets, keeping the first.
func dedupe(fs []action.Action) []action.Action {
	if len(fs) < 2 {
		return fs
	}
	out := fs[:0:0]
	for _, f := range fs {
		dup := false
		for _, g := range out {
			if sameFacet(f, g) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, f)
		}
	}
	return out
}

func sameFacet(x, y action.Action) bool {
	switch x.Kind {
	case action.FileRead, action.FileWrite, action.FileDelete:
		// One facet per file is enough; a second detector's wording adds nothing.
		return x.Kind == y.Kind && x.Path == y.Path && x.Remote == y.Remote
	}
	return x.Args == nil && y.Args == nil &&
		x.Kind == y.Kind && x.Command == y.Command && x.Program == y.Program &&
		x.Port == y.Port && x.Host == y.Host && x.Path == y.Path && x.URL == y.URL &&
		x.Tool == y.Tool && x.Server == y.Server && x.Remote == y.Remote &&
		x.Background == y.Background && x.Detail == y.Detail
}

// hasKind reports whether facets contain one of kind k.
func hasKind(fs []action.Action, k action.Kind) bool {
	for _, f := range fs {
		if f.Kind == k {
			return true
		}
	}
	return false
}

// rangeDownloads reports whether parts [start, end) fetch from the network.
func (a *analyzer) rangeDownloads(start, end int) bool {
	for i := start; i < end && i < len(a.parts); i++ {
		if a.meta[i].download || a.meta[i].rawNet || hasKind(a.parts[i].Facets, action.NetworkConnect) {
			return true
		}
	}
	return false
}

// detect asks the catalogue about one command and folds the scripts it
// runs indirectly into the returned facets.
func (a *analyzer) detect(views []action.Argv, stdin string, sc scope, ch *chain) []action.Action {
	c := catalog.Command{Views: views, Cwd: a.cwd, Home: a.env.Home, ReadFile: a.readFunc(), Stat: a.env.Stat, Stdin: stdin}
	if ch.argsFromStdin {
		c.RunTimeArgs = "xargs's input"
	}
	c.Env = a.commandEnv(ch)
	if len(sc.unknownArgs) > 0 || len(ch.placeholders) > 0 {
		c.Placeholders = append(append([]string(nil), sc.unknownArgs...), ch.placeholders...)
	}
	res := catalog.Detect(c)
	fs := res.Facets
	for _, s := range res.Scripts {
		if s.Hook != "" {
			fs = append(fs, a.hookFold(s, sc)...)
			continue
		}
		fs = append(fs, a.fold(s.Text, s.Origin, sc)...)
	}
	return fs
}

// hookFold analyses a git hook read from disk (catalog.Script.Hook) and
// keeps only its dangerous facets (catalog.GitHookFacet): everyday
// projects have hooks, and what they lint or fetch is not the git
// command's. A hook this text wrote is judged in full by gitHooks; each
// hook is analysed once per text, which also ends hooks that run git.
func (a *analyzer) hookFold(s catalog.Script, sc scope) []action.Action {
	key := a.fileKey(s.Hook)
	if _, ok := a.files[key]; ok {
		return nil
	}
	if a.hooksSeen == nil {
		a.hooksSeen = make(map[string]bool)
	}
	if a.hooksSeen[key+"\x00"+s.Text] {
		return nil
	}
	a.hooksSeen[key+"\x00"+s.Text] = true
	var out []action.Action
	for _, f := range a.fold(s.Text, s.Origin, sc) {
		if catalog.GitHookFacet(f.Kind) || s.Scratch && f.Kind == action.ShellOpaque {
			out = append(out, f)
		}
	}
	return out
}

// fold analyses a script a command runs indirectly and returns its parts'
// facets (shell.execute excepted), marked as coming via origin.
func (a *analyzer) fold(text, origin string, sc scope) []action.Action {
	if a.full {
		return nil
	}
	saveParts, saveCwd, saveFds := len(a.parts), a.cwd, a.fds
	inner := scope{depth: sc.depth + 1, remote: sc.remote}
	a.text(text, inner)
	var out []action.Action
	for _, p := range a.parts[saveParts:] {
		for _, f := range p.Facets {
			if f.Kind == action.ShellExecute {
				continue
			}
			if f.Detail == "" {
				f.Detail = "via " + origin
			} else if !strings.Contains(f.Detail, "via ") {
				f.Detail = "via " + origin + ": " + f.Detail
			}
			out = append(out, f)
		}
	}
	a.parts, a.meta = a.parts[:saveParts], a.meta[:saveParts]
	a.full = len(a.parts) >= maxParts
	a.cwd, a.fds = saveCwd, saveFds
	return out
}

// readFunc is the ReadFile handed to the catalogue: files this text wrote
// with literal content first, then the caller's ReadFile.
func (a *analyzer) readFunc() func(string) ([]byte, error) {
	if len(a.files) == 0 && len(a.links) == 0 && len(a.fetched) == 0 {
		return a.env.ReadFile
	}
	return func(name string) ([]byte, error) {
		key := a.fileKey(name)
		if r := a.resolve(key); r != key {
			key, name = r, r
		}
		if s, ok := a.files[key]; ok {
			return []byte(s), nil
		}
		if from, ok := a.fetched[key]; ok {
			// A Makefile, package.json or go file downloaded earlier in
			// this text (curl -o, wget): what it makes the command run is
			// not known, as with curl | sh. (A cloned tree is left to the
			// files on disk: git clone && make is everyday use.)
			return nil, fmt.Errorf("downloaded earlier in this text by %s", clip(from))
		}
		if a.env.ReadFile == nil {
			return nil, errNoRead
		}
		return a.env.ReadFile(name)
	}
}

// resolve follows the copies and links this text made (see links) from a
// files key to the file whose content it has.
func (a *analyzer) resolve(key string) string {
	for i := 0; i < 8 && len(a.links) > 0; i++ {
		src, ok := a.links[key]
		if !ok {
			// A file under a copied directory (cp -r d e: e/x is d/x),
			// the innermost copy first.
			best := ""
			for dst, s := range a.links {
				if rest, under := strings.CutPrefix(key, dst+"/"); under && len(dst) > len(best) {
					best, src, ok = dst, s+"/"+rest, true
				}
			}
		}
		if !ok {
			break
		}
		key = src
	}
	return key
}

// errNoRead reads as no file (catalog.Missing): without ReadFile nothing is
// known to be there.
var errNoRead = fmt.Errorf("shell: file reading disabled: %w", fs.ErrNotExist)

// readScript returns the content of a script file a command runs, from
// this text's own writes or the caller's ReadFile.
func (a *analyzer) readScript(name string) (string, bool) {
	content, ok, _ := a.readScriptWhy(name)
	return content, ok
}

// readScriptWhy is readScript that also says, when a file is there but
// cannot be analysed (unreadable, not a regular file, longer than
// MaxTextBytes), why: what it runs is then unknown. No file (the command
// fails) and no ReadFile give no reason.
func (a *analyzer) readScriptWhy(name string) (content string, ok bool, why string) {
	key := a.fileKey(name)
	if r := a.resolve(key); r != key {
		key, name = r, r
	}
	if s, ok := a.files[key]; ok {
		return s, true, ""
	}
	if a.env.ReadFile == nil || name == "" {
		return "", false, ""
	}
	p := catalog.CanonicalPath(name, a.cwd, a.env.Home)
	if !path.IsAbs(p) {
		p = a.fileKey(name)
	}
	if !path.IsAbs(p) {
		return "", false, ""
	}
	b, err := a.env.ReadFile(p)
	switch {
	case catalog.Missing(err):
		return "", false, ""
	case err != nil:
		return "", false, "cannot be read (" + clip(err.Error()) + ")"
	case len(b) > MaxTextBytes:
		return "", false, fmt.Sprintf("is too long to analyse (over %d KiB)", MaxTextBytes>>10)
	}
	return string(b), true, ""
}

// scriptFacets are the facets of the script file name that the part text
// runs: the script's own, or a shell.opaque facet when the file is there
// but cannot be analysed; none when there is no such file.
func (a *analyzer) scriptFacets(name, text string, sc scope) []action.Action {
	content, ok, why := a.readScriptWhy(name)
	if ok {
		return a.fold(content, name, sc)
	}
	if why != "" {
		return []action.Action{opaqueFacet(text, "the script "+clip(name)+" "+why)}
	}
	return nil
}

// fileKey is the lexical absolute form of a path, for the files overlay.
func (a *analyzer) fileKey(name string) string {
	if strings.HasPrefix(name, "~/") && a.env.Home != "" {
		name = path.Join(a.env.Home, name[2:])
	}
	if !path.IsAbs(name) {
		name = path.Join(a.cwd, name)
	}
	return path.Clean(name)
}

// rangeOutput describes what parts [start, end) of a compound stage write.
func (a *analyzer) rangeOutput(start, end int) *stream {
	out := &stream{kind: streamPipe}
	for i := start; i < end && i < len(a.meta); i++ {
		switch {
		case a.meta[i].rawNet:
			out.kind = streamNetwork
			out.from = a.parts[i].Text
			return out
		case a.meta[i].download || hasKind(a.parts[i].Facets, action.NetworkConnect):
			out.kind = streamDownload
			out.from = a.parts[i].Text
		}
	}
	return out
}
