package catalog

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/safeclaw/safeclaw/action"
)

// find -delete, and find -exec rm {} (or unlink, rmdir, shred, mv), delete
// what find's expression selects under its start directories.
//
// Saying "deletes under the start directory" is sound but pessimistic:
// find . -name '*.pyc' -delete in a project holding .claude/settings.json
// is a delete of an ancestor of a protected file, which self-protection
// refuses. So when the expression is one the catalogue can bound, it reads
// the tree under each start directory and records a file.delete of each
// existing path the expression may select, and the policy decides those
// real paths (a protected file, or a directory holding one, that matches is
// still refused).
//
// The bound is an over-approximation, never an under-approximation: a path
// is recorded unless a test before the delete proves it is not selected.
// That holds when the expression is a plain conjunction (no -o, !, -not,
// parentheses or commas anywhere: under them a test no longer restricts),
// when only the tests to the left of the first delete count (find
// evaluates left to right, so find . -delete -name x deletes everything),
// when each test the catalogue cannot evaluate exactly counts as matching
// (-regex beyond a small literal subset, -size, -newer, -exec used as a
// test), when no symlink is followed (-L, -follow: the tree find walks is
// not the one read here), when every start directory resolves to an
// existing directory or file, and when the whole tree can be read within
// limits (entries, matches, time). In every other case it falls back to a
// delete of each start directory, as before.
//
// What is accepted: the decision reads the tree as it is when the command
// is checked. A file that appears (or is renamed into a match) between the
// decision and the run is not in it. Making a protected file match needs a
// write, rename or delete of it, which is refused on its own.

// Limits on the tree read for one find; over any of them, the start
// directories stand for what is deleted.
// (Variables for the tests.)
var (
	maxFindVisit   = 20000
	maxFindMatches = 1000
	maxFindTime    = 400 * time.Millisecond
)

// findTest is one primary of find's expression that may restrict what is
// selected.
type findTest struct {
	op, arg string
}

// findExec is one -exec/-execdir/-ok/-okdir with the tests before it.
type findExec struct {
	action string // -exec, -execdir, -ok, -okdir
	dir    bool   // run in the found file's directory
	words  []string
	tests  []findTest
}

// findExpr is what the catalogue understands of a find command line.
type findExpr struct {
	starts    []string
	follow    bool // -L or -follow: symlinks are walked
	fromFile  string
	plain     bool // a conjunction of primaries all known here
	deletes   bool
	delTests  []findTest // the tests before the first -delete
	execs     []findExec
	minDepth  int
	maxDepth  int // -1: none
	regexType string
}

// findOneArg are the primaries taking one argument; findNoArg those taking
// none. A primary in neither makes the expression one not understood.
var (
	findOneArg = wordSet("-name -iname -path -ipath -wholename -iwholename -regex -iregex -type -xtype -lname -ilname " +
		"-size -mtime -mmin -atime -amin -ctime -cmin -newer -anewer -cnewer -perm -user -group -uid -gid -links -inum " +
		"-samefile -used -fstype -context -Bmin -Bnewer -Btime -mnewer -flags -printf")
	findNoArg = wordSet("-empty -readable -writable -executable -nouser -nogroup -true -false -prune -quit -print -print0 " +
		"-ls -acl -a -and -depth -d -mount -xdev -noleaf -ignore_readdir_race -noignore_readdir_race -daystart " +
		"-warn -nowarn -nogroup -nouser")
)

func wordSet(s string) map[string]bool {
	m := make(map[string]bool)
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// parseFind reads find's leading options, start directories and expression.
func parseFind(args []string) findExpr {
	e := findExpr{plain: true, maxDepth: -1}
	i := 0
	for i < len(args) {
		a := args[i]
		switch {
		case a == "-L":
			e.follow = true
		case a == "-H" || a == "-P" || a == "-E" || a == "-X" || a == "-s" || a == "-x" || strings.HasPrefix(a, "-O"):
		case a == "-D":
			i++
		case a == "-f" && i+1 < len(args):
			// BSD find: -f names a start directory.
			e.starts = append(e.starts, args[i+1])
			i++
		default:
			goto starts
		}
		i++
	}
starts:
	for ; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") || a == "(" || a == "!" || a == `\(` {
			break
		}
		e.starts = append(e.starts, a)
	}
	if len(e.starts) == 0 {
		e.starts = []string{"."}
	}
	var tests []findTest
	for ; i < len(args); i++ {
		a := args[i]
		arg := ""
		if i+1 < len(args) {
			arg = args[i+1]
		}
		switch {
		case a == "(" || a == ")" || a == `\(` || a == `\)` || a == "!" || a == "-not" || a == "-o" || a == "-or" || a == ",":
			e.plain = false
		case a == "-delete":
			if !e.deletes {
				e.deletes = true
				e.delTests = append([]findTest(nil), tests...)
			}
		case a == "-follow":
			e.follow = true
		case a == "-exec" || a == "-execdir" || a == "-ok" || a == "-okdir":
			j := i + 1
			for j < len(args) && args[j] != ";" && !(args[j] == "+" && j > i+1 && args[j-1] == "{}") {
				j++
			}
			e.execs = append(e.execs, findExec{action: a, dir: strings.HasSuffix(a, "dir"), words: args[i+1 : j], tests: append([]findTest(nil), tests...)})
			i = j
		case a == "-maxdepth" || a == "-mindepth":
			n, err := strconv.Atoi(arg)
			if err != nil || n < 0 {
				e.plain = false
			} else if a == "-maxdepth" {
				e.maxDepth = n
			} else {
				e.minDepth = n
			}
			i++
		case a == "-regextype":
			e.regexType = arg
			i++
		case a == "-files0-from":
			e.fromFile = arg
			i++
		case a == "-fprint" || a == "-fprint0" || a == "-fls" || a == "-fprintf":
			// The file written is the shell package's facet (peel.go).
			if a == "-fprintf" {
				i++
			}
			i++
		case findOneArg[a] || (strings.HasPrefix(a, "-newer") && len(a) == len("-newerXY")):
			tests = append(tests, findTest{a, arg})
			i++
		case findNoArg[a]:
		default:
			e.plain = false
		}
	}
	return e
}

// find records what find reads (with -exec) and deletes.
func (f *finder) find(prog string, args []string) {
	e := parseFind(args)
	if e.fromFile != "" {
		f.opaque(prog, "find reads its start directories from "+e.fromFile)
	}
	// A program run on what find finds may read any file under its starts.
	if len(e.execs) > 0 {
		for _, s := range e.starts {
			f.fileAll(prog, s, "find -exec may read anything under "+s)
		}
	}
	if e.deletes {
		f.findDeletes(prog, &e, e.delTests, "find -delete")
	}
	for _, x := range e.execs {
		f.findExec(prog, &e, x)
	}
}

// findPlaceholder stands for {} while an -exec command is read: what the
// command does to it (rm deletes it, sed -i writes it, cat reads it), it
// does to each file find selects.
const findPlaceholder = "/\x01find-selected"

// maxFindNest bounds find -exec find -exec ...
const maxFindNest = 3

// findExec records what an -exec, -execdir, -ok or -okdir command does to
// the files find hands it. The command is read with {} standing for a
// placeholder path; each file facet on the placeholder becomes one on each
// path the tests before the -exec may select (or on the start directories,
// as a whole tree, when those cannot be bounded). Not exact, so a delete
// of the start directories: {} inside a longer word ({}.bak, sh -c 'rm
// {}'), which names other files or is code; and -execdir with another
// relative operand that is changed, since -execdir runs in each found
// file's directory. Without {}, the command acts on what its own words
// name, which its own view (the shell package's) decides.
func (f *finder) findExec(prog string, e *findExpr, x findExec) {
	what := "find " + x.action + " " + strings.Join(x.words, " ")
	ws := make([]string, len(x.words))
	used, embedded, relative := false, false, false
	for i, w := range x.words {
		switch {
		case w == "{}":
			ws[i] = findPlaceholder
			used = true
		case strings.Contains(w, "{}"):
			ws[i] = strings.ReplaceAll(w, "{}", findPlaceholder)
			used, embedded = true, true
		default:
			ws[i] = w
			relative = relative || (i > 0 && !strings.HasPrefix(w, "-") && !strings.HasPrefix(w, "/"))
		}
	}
	if len(ws) == 0 {
		return
	}
	fallback := func(detail string) {
		for _, s := range e.starts {
			f.file(action.FileDelete, prog, s, what+" "+detail+" "+s)
		}
	}
	if embedded || f.nest >= maxFindNest {
		if used {
			fallback("may change anything under")
		}
		return
	}
	sub := finder{cmd: Command{Cwd: f.cmd.Cwd, Home: f.cmd.Home, ReadFile: f.cmd.ReadFile}, paths: f.paths, nest: f.nest + 1}
	sub.argv(action.ParseArgv(ws), 0)
	type use struct {
		kind      action.Kind
		recursive bool
	}
	var uses []use
	changes := false
	for _, a := range sub.res.Facets {
		switch a.Kind {
		case action.FileRead, action.FileWrite, action.FileDelete:
		default:
			continue
		}
		changes = changes || a.Kind != action.FileRead
		if a.Path == findPlaceholder || strings.HasPrefix(a.Path, findPlaceholder+"/") {
			u := use{a.Kind, a.Recursive || a.Path != findPlaceholder}
			if !slices.Contains(uses, u) {
				uses = append(uses, u)
			}
		}
	}
	if x.dir && relative && changes {
		fallback("may change anything under")
		return
	}
	if len(uses) == 0 {
		return
	}
	var found []foundPath
	bounded := false
	if e.plain && !e.follow {
		found, bounded = f.findSelect(e, x.tests)
	}
	for _, u := range uses {
		verb := kindVerb(u.kind)
		if !bounded {
			for _, s := range e.starts {
				// The start directory as a whole tree: a write or delete
				// of it reaches everything under it.
				f.fileFacet(u.kind, prog, s, what+" "+verb+" files under "+s, u.kind != action.FileDelete)
			}
			continue
		}
		for _, p := range found {
			f.add(action.Action{Kind: u.kind, Program: prog, Path: p.real, Detail: what + " " + verb + " " + p.spelled, Recursive: u.recursive})
		}
	}
}

// findDeletes records the deletes of one -delete or deleting -exec.
func (f *finder) findDeletes(prog string, e *findExpr, tests []findTest, what string) {
	if e.plain && !e.follow {
		if paths, ok := f.findSelect(e, tests); ok {
			for _, p := range paths {
				f.add(action.Action{Kind: action.FileDelete, Program: prog, Path: p.real, Detail: what + " deletes " + p.spelled})
			}
			return
		}
	}
	for _, s := range e.starts {
		f.file(action.FileDelete, prog, s, what+" deletes under "+s)
	}
}

type foundPath struct{ real, spelled string }

// findSelect reads the trees under e's start directories and returns the
// paths the tests may select; false when that cannot be bounded.
func (f *finder) findSelect(e *findExpr, tests []findTest) ([]foundPath, bool) {
	if f.paths == nil {
		f.paths = make(map[string]string)
	}
	w := findWalk{e: e, tests: tests, deadline: time.Now().Add(maxFindTime)}
	for _, s := range e.starts {
		if s == "" || strings.ContainsAny(s, "$`*?[") {
			return nil, false
		}
		real := canonicalPath(s, f.cmd.Cwd, f.cmd.Home, f.paths)
		if !filepath.IsAbs(real) {
			return nil, false
		}
		fi, err := os.Stat(real)
		if err != nil {
			return nil, false
		}
		// The start itself: under -P find looks at the name as given (a
		// symlink is not followed), so it is tested as both.
		if e.minDepth == 0 {
			mode := []os.FileMode{fi.Mode()}
			unresolved := s
			if !filepath.IsAbs(unresolved) && f.cmd.Cwd != "" && !strings.HasPrefix(s, "~") {
				unresolved = f.cmd.Cwd + "/" + s
			}
			if li, err := os.Lstat(unresolved); err == nil {
				mode = append(mode, li.Mode())
			}
			names := []string{findBase(s), filepath.Base(real)}
			if w.match(names, []string{s, real}, mode) {
				w.found = append(w.found, foundPath{real, s})
				// A link given as the start is what is removed.
				if u := filepath.Clean(unresolved); filepath.IsAbs(u) && u != real {
					w.found = append(w.found, foundPath{u, s})
				}
			}
		}
		if fi.IsDir() && e.maxDepth != 0 {
			if !w.walk(real, []string{s}, 1) {
				return nil, false
			}
		}
	}
	return w.found, true
}

// findBase is the name -name tests for a start directory: its last
// component, trailing slashes removed.
func findBase(s string) string {
	t := strings.TrimRight(s, "/")
	if t == "" {
		return "/"
	}
	return filepath.Base(t)
}

type findWalk struct {
	e        *findExpr
	tests    []findTest
	visited  int
	deadline time.Time
	found    []foundPath
	regexps  map[string]*regexp.Regexp
}

// walk visits the entries of the directory real (spelled the ways find may
// spell it), at depth; false when over a limit or a directory cannot be
// read.
func (w *findWalk) walk(real string, spelled []string, depth int) bool {
	ents, err := os.ReadDir(real)
	if err != nil {
		return false
	}
	for _, d := range ents {
		if w.visited++; w.visited > maxFindVisit || time.Now().After(w.deadline) {
			return false
		}
		name := d.Name()
		r := real + "/" + name
		if real == "/" {
			r = "/" + name
		}
		// find joins the start as given and the names below it: GNU find
		// adds no slash after a start ending in one ("./" gives "./a",
		// ".//" gives ".//a"), BSD find does ("./" gives ".//a"). Every
		// spelling is tried.
		var spellings []string
		for _, sp := range spelled {
			spellings = append(spellings, sp+"/"+name)
			if strings.HasSuffix(sp, "/") {
				spellings = append(spellings, sp+name)
			}
		}
		if depth >= w.e.minDepth && w.match([]string{name}, spellings, []os.FileMode{d.Type()}) {
			w.found = append(w.found, foundPath{r, spellings[len(spellings)-1]})
			if len(w.found) > maxFindMatches {
				return false
			}
		}
		if d.IsDir() && (w.e.maxDepth < 0 || depth < w.e.maxDepth) {
			if !w.walk(r, spellings, depth+1) {
				return false
			}
		}
	}
	return true
}

// match reports whether the tests may select an entry with one of these
// names, paths and types: a test not evaluated exactly matches.
func (w *findWalk) match(names, paths []string, modes []os.FileMode) bool {
	for _, t := range w.tests {
		if !w.test(t, names, paths, modes) {
			return false
		}
	}
	return true
}

func (w *findWalk) test(t findTest, names, paths []string, modes []os.FileMode) bool {
	switch t.op {
	case "-name", "-iname":
		for _, n := range names {
			if m, ok := fnmatch(t.arg, n, t.op == "-iname"); !ok || m {
				return true
			}
		}
		return false
	case "-path", "-ipath", "-wholename", "-iwholename":
		fold := t.op == "-ipath" || t.op == "-iwholename"
		for _, p := range paths {
			if m, ok := fnmatch(t.arg, p, fold); !ok || m {
				return true
			}
		}
		return false
	case "-regex", "-iregex":
		re, ok := w.regex(t)
		if !ok {
			return true
		}
		for _, p := range paths {
			if re.MatchString(p) {
				return true
			}
		}
		return false
	case "-type":
		for _, m := range modes {
			if m&os.ModeIrregular != 0 {
				return true
			}
			c := typeLetter(m)
			for _, want := range strings.Split(t.arg, ",") {
				if len(want) != 1 || !strings.Contains("fdlpscbD", want) || want == "D" || want == c {
					return true
				}
			}
		}
		return false
	}
	return true
}

func typeLetter(m os.FileMode) string {
	switch {
	case m&os.ModeSymlink != 0:
		return "l"
	case m.IsDir():
		return "d"
	case m&os.ModeNamedPipe != 0:
		return "p"
	case m&os.ModeSocket != 0:
		return "s"
	case m&os.ModeCharDevice != 0:
		return "c"
	case m&os.ModeDevice != 0:
		return "b"
	}
	return "f"
}

// regex compiles the small subset of find's regular expressions whose
// meaning is the same in every -regextype (emacs, posix-basic, extended,
// BSD's basic and -E): letters, digits, a few punctuation marks, "." (any
// character), "*" after something, and "\." (a dot). Anything else is not
// evaluated (the test matches).
func (w *findWalk) regex(t findTest) (*regexp.Regexp, bool) {
	if re, ok := w.regexps[t.op+"\x00"+t.arg]; ok {
		return re, re != nil
	}
	var b strings.Builder
	ok := t.arg != ""
	prev := false // something "*" may repeat
	for i := 0; ok && i < len(t.arg); i++ {
		c := t.arg[i]
		switch {
		case c == '\\' && i+1 < len(t.arg) && t.arg[i+1] == '.':
			b.WriteString(`\.`)
			i++
			prev = true
		case c == '.':
			b.WriteByte('.')
			prev = true
		case c == '*':
			if !prev || (i > 0 && t.arg[i-1] == '*') {
				ok = false
			}
			b.WriteByte('*')
			prev = false
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("/_-,=@%:~", c) >= 0:
			b.WriteByte(c)
			prev = true
		default:
			ok = false
		}
	}
	var re *regexp.Regexp
	if ok {
		flags := "(?s)"
		if t.op == "-iregex" {
			flags = "(?is)"
		}
		var err error
		if re, err = regexp.Compile(flags + "^(?:" + b.String() + ")$"); err != nil {
			re = nil
		}
	}
	if w.regexps == nil {
		w.regexps = make(map[string]*regexp.Regexp)
	}
	w.regexps[t.op+"\x00"+t.arg] = re
	return re, re != nil
}

// fnmatch matches a find pattern against a name or path the way find does
// (fnmatch without FNM_PATHNAME or FNM_PERIOD: "*" matches "/" and a
// leading dot). ok is false for what is not evaluated here: bracket
// classes ([:alpha:]), case folding beyond ASCII, and "?" or brackets
// against non-ASCII text (a character is not a byte there).
func fnmatch(pattern, name string, fold bool) (match, ok bool) {
	nonASCII := func(s string) bool {
		for i := 0; i < len(s); i++ {
			if s[i] >= 0x80 {
				return true
			}
		}
		return false
	}
	if nonASCII(name) || nonASCII(pattern) {
		if fold || strings.ContainsAny(pattern, "?[") {
			return false, false
		}
	}
	if strings.Contains(pattern, "[:") || strings.Contains(pattern, "[=") || strings.Contains(pattern, "[.") {
		return false, false
	}
	if fold {
		pattern, name = asciiLower(pattern), asciiLower(name)
	}
	m, ok := globMatch(pattern, name)
	return m, ok
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// globMatch is fnmatch's matching of "*", "?", "[...]" (with "!" or "^"
// negation and ranges) and "\" escapes, byte by byte.
func globMatch(p, s string) (bool, bool) {
	px, sx := 0, 0
	starP, starS := -1, 0
	for sx < len(s) || px < len(p) {
		if px < len(p) {
			switch c := p[px]; c {
			case '*':
				starP, starS = px, sx
				px++
				continue
			case '?':
				if sx < len(s) {
					px++
					sx++
					continue
				}
			case '[':
				if sx < len(s) {
					m, n, ok := bracket(p[px:], s[sx])
					if !ok {
						return false, false
					}
					if n == 0 {
						// An unclosed "[" is a literal.
						if s[sx] == '[' {
							px++
							sx++
							continue
						}
					} else if m {
						px += n
						sx++
						continue
					}
				}
			case '\\':
				if px+1 < len(p) {
					if sx < len(s) && s[sx] == p[px+1] {
						px += 2
						sx++
						continue
					}
					break
				}
				fallthrough
			default:
				if sx < len(s) && s[sx] == c {
					px++
					sx++
					continue
				}
			}
		}
		if starP >= 0 && starS < len(s) {
			starS++
			px, sx = starP+1, starS
			continue
		}
		return false, true
	}
	return true, true
}

// bracket matches c against the bracket expression at the start of p; n
// is its length (0: not closed, a literal "["); ok is false when it holds
// something not evaluated here.
func bracket(p string, c byte) (match bool, n int, ok bool) {
	i := 1
	neg := false
	if i < len(p) && (p[i] == '!' || p[i] == '^') {
		neg = true
		i++
	}
	first := true
	for i < len(p) {
		lo := p[i]
		if lo == ']' && !first {
			return match != neg, i + 1, true
		}
		first = false
		if lo == '\\' && i+1 < len(p) {
			i++
			lo = p[i]
		}
		hi := lo
		if i+2 < len(p) && p[i+1] == '-' && p[i+2] != ']' {
			hi = p[i+2]
			if hi == '\\' {
				return false, 0, false
			}
			i += 2
		}
		if lo <= c && c <= hi {
			match = true
		}
		i++
	}
	return false, 0, true
}
