package policy

import (
	"path"
	"strings"
	"time"

	"github.com/safeclaw/safeclaw/action"
)

// rule is one parsed and checked rule. Parse builds it; Compile copies it
// and expands its path globs for the options at hand.
type rule struct {
	index  int    // position in the compiled policy
	file   string // file name
	line   int
	col    int
	name   string
	reason string
	desc   string

	kinds      []glob // action kinds or globs over kinds (any matches)
	kindsRaw   []string
	implied    bool // action was implied by a command matcher
	effect     action.Effect
	declared   action.Effect // the effect as written (before human_approval)
	approval   bool          // human_approval: required
	expires    time.Time
	hasExpires bool
	schedule   *schedule
	timeout    time.Duration
	needs      *action.ApprovalNeeds // quorum and approvers; nil: one approval from anyone

	// View matchers (test the part's argv views; all must hold on one view).
	patterns []*cmdPattern
	pidx     *patIndex // patterns by program, for rules with many
	regexes  []*lazyRegexp
	programs []glob
	args     []glob

	// Facet matchers (test the facet; each present one must hold).
	ports     []portRange
	hosts     []hostMatcher
	pathsRaw  []string
	pathGlobs []pathGlob // pathsRaw expanded and compiled on first use: read them through Policy.paths
	// pathPos and pathNeg: the rule has path globs, and globs written
	// !GLOB, which leave the paths they match out of the rule.
	pathPos, pathNeg bool
	urls             []glob
	urlsCanon        []glob // urls in canonical form (url.go)
	tools            []glob
	servers          []glob
	uris             []glob       // mcp.read resource URIs (the facet's URL)
	urisCanon        []glob       // uris in canonical form (url.go)
	argm             []argMatcher // args as a mapping: tool argument matchers
	// regexCost counts the compiled instructions of the rule's regexes
	// (command_regex and args regexes), bounded per file.
	regexCost int

	agents []glob // tests the request

	namesOpaque bool // action lists shell.opaque exactly
	namesRemote bool // action lists shell.remote exactly

	// keyPos remembers where each key was written, for lint findings.
	keyPos keyPositions

	ref   action.RuleRef // what decisions report
	canon ruleCanon
}

// keyPositions are where a rule's keys were written: line and column by
// key, the last entry for a key winning (a handful of keys: a slice is
// cheaper to build than a map, and hooks build one per rule).
type keyPositions []keyPosition

type keyPosition struct {
	key string
	pos [2]int
}

// get returns the position of key, and whether it was written.
func (k keyPositions) get(key string) ([2]int, bool) {
	for i := len(k) - 1; i >= 0; i-- {
		if k[i].key == key {
			return k[i].pos, true
		}
	}
	return [2]int{}, false
}

// set records key at pos.
func (k *keyPositions) set(key string, pos [2]int) {
	*k = append(*k, keyPosition{key, pos})
}

func (r *rule) hasViewMatchers() bool {
	return len(r.patterns) > 0 || len(r.regexes) > 0 || len(r.programs) > 0 || len(r.args) > 0
}

// label is the rule's name, else its reason, else its position.
func (r *rule) label() string {
	switch {
	case r.name != "":
		return r.name
	case r.reason != "":
		return r.reason
	}
	return "rule at " + r.source()
}

func (r *rule) source() string { return r.file + ":" + itoa(r.line) }

func (r *rule) sourceCol() string { return r.file + ":" + itoa(r.line) + ":" + itoa(r.col) }

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

func (r *rule) matchKind(k action.Kind) bool {
	for i := range r.kinds {
		if r.kinds[i].match(string(k)) {
			return true
		}
	}
	return false
}

// active reports whether the rule's time conditions hold at t. A zero t
// (time unknown) fails closed: time-limited allow rules are off, time-limited
// deny and ask rules are on.
func (r *rule) active(t time.Time) bool {
	if !r.hasExpires && r.schedule == nil {
		return true
	}
	if t.IsZero() {
		return r.effect != action.Allow
	}
	if r.hasExpires && !t.Before(r.expires) {
		return false
	}
	if r.schedule != nil && !r.schedule.active(t) {
		return false
	}
	return true
}

// matchFacet reports whether r matches facet f of part in req. It is the
// hot path: no allocation (command_regex uses a pooled buffer).
func (p *Policy) matchFacet(r *rule, req *action.Request, part *action.Part, f *action.Action) bool {
	if !r.matchKind(f.Kind) {
		return false
	}
	if len(r.ports) > 0 && !matchPorts(r.ports, f.Port) {
		return false
	}
	if len(r.hosts) > 0 && !matchHosts(r.hosts, f.Host) {
		return false
	}
	if len(r.pathsRaw) > 0 && !p.matchFacetPath(r, f, req.Cwd) {
		return false
	}
	if len(r.urls) > 0 && !r.matchURL(f.URL) {
		return false
	}
	if len(r.tools) > 0 && !matchGlobs(r.tools, f.Tool) {
		return false
	}
	if len(r.servers) > 0 && !matchGlobs(r.servers, f.Server) {
		return false
	}
	if len(r.uris) > 0 && !r.matchURI(f.URL) {
		return false
	}
	if len(r.agents) > 0 && !matchGlobs(r.agents, req.Agent) {
		return false
	}
	if !r.active(req.Time) {
		return false
	}
	if len(r.argm) > 0 && !r.matchArgs(f.Args) {
		return false
	}
	if r.hasViewMatchers() {
		views := part.Views
		if p.asWritten {
			if assignmentPrefixed(part.Text) {
				return false
			}
			views = views[:min(len(views), 1)]
		}
		for i := range views {
			if views[i].Guess && r.effect == action.Allow {
				continue // a guessed reading never allows (action.GuessValues)
			}
			if p.matchView(r, &views[i]) {
				return true
			}
		}
		return false
	}
	return true
}

// assignmentPrefixed reports a simple command written after an
// environment assignment (PATH=/x make): the assignment changes what runs.
func assignmentPrefixed(text string) bool {
	text = strings.TrimLeft(text, " \t")
	end := strings.IndexAny(text, " \t\n")
	if end < 0 {
		end = len(text)
	}
	eq := strings.IndexByte(text[:end], '=')
	if eq <= 0 {
		return false
	}
	for i := 0; i < eq; i++ {
		c := text[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func (p *Policy) matchView(r *rule, v *action.Argv) bool {
	if len(r.programs) > 0 && !matchGlobs(r.programs, v.Program) {
		return false
	}
	if len(r.patterns) > 0 && !r.matchPatterns(v) {
		return false
	}
	for i := range r.args {
		found := false
		for j := 1; j < len(v.Words); j++ {
			if r.args[i].match(v.Words[j]) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	if len(r.regexes) > 0 {
		return p.matchRegexes(r.regexes, v)
	}
	return true
}

// matchRegexes matches the view's words joined by single spaces, with the
// program word replaced by the program name.
func (p *Policy) matchRegexes(res []*lazyRegexp, v *action.Argv) bool {
	bp := p.bufs.Get().(*[]byte)
	b := appendCommandLine((*bp)[:0], v)
	ok := false
	for _, re := range res {
		if re.get().Match(b) {
			ok = true
			break
		}
	}
	*bp = b
	p.bufs.Put(bp)
	return ok
}

func appendCommandLine(b []byte, v *action.Argv) []byte {
	b = append(b, v.Program...)
	for i := 1; i < len(v.Words); i++ {
		b = append(b, ' ')
		b = append(b, v.Words[i]...)
	}
	return b
}

func commandLine(v *action.Argv) string { return string(appendCommandLine(nil, v)) }

func matchGlobs(gs []glob, s string) bool {
	for i := range gs {
		if gs[i].match(s) {
			return true
		}
	}
	return false
}

func matchPorts(rs []portRange, port int) bool {
	for _, r := range rs {
		if r.match(port) {
			return true
		}
	}
	return false
}

func matchHosts(hs []hostMatcher, host string) bool {
	for i := range hs {
		if hs[i].match(host) {
			return true
		}
	}
	return false
}

// matchPath reports whether facet f's path (p, from canonicalPath) meets
// the rule's path globs (paths, from Policy.paths). A deny or ask rule also
// matches a read of a whole tree (f.Recursive) or a delete of a directory
// that contains paths it names: a rule for ~/.ssh/** applies to grep -r x ~
// and rm -rf ~. Allow rules match only what they name.
//
// A relative path (the request has no working directory) is somewhere
// unknown: an allow rule's absolute glob never matches it (/tmp/** must not
// allow tmp/x wherever that is), while deny and ask rules still test it.
//
// A !GLOB leaves the paths it matches out: the rule matches a path one of
// its other globs matches (every absolute path, when all are !GLOBs) and
// no !GLOB matches.
func (r *rule) matchPath(f *action.Action, p string, paths []pathGlob) bool {
	var arr [48][2]int32
	segs := segments(p, arr[:0])
	if r.pathNeg {
		if p == "" {
			return false
		}
		for i := range paths {
			if paths[i].neg && paths[i].matchCanonical(p, segs) {
				return false
			}
		}
		if !r.pathPos {
			// Every path but those left out; an allow rule does not
			// reach a path whose place is unknown.
			return r.effect != action.Allow || p[0] == '/'
		}
	}
	if r.effect == action.Allow && p != "" && p[0] != '/' {
		for i := range paths {
			if !paths[i].neg && !paths[i].abs && paths[i].matchCanonical(p, segs) {
				return true
			}
		}
		return false
	}
	if matchPaths(paths, p, segs) {
		return true
	}
	if r.effect == action.Allow || p == "" || !(f.Recursive || f.Kind == action.FileDelete) {
		return false
	}
	for i := range paths {
		if !paths[i].neg && paths[i].ancestorOf(p) {
			return true
		}
	}
	return false
}

// matchFacetPath reports whether facet f's path, anchored at cwd, meets
// r's path globs. For a deny or ask rule, a path whose start is not known
// statically ($X/.aws/credentials, /home/$U/.ssh/id_rsa, .env after
// cd $X: see action.Action.Path) is also tried below the places such a
// prefix most often stands for (the home directory, the workspace, the
// working directory, /): cat $(echo ~)/.aws/credentials asks as
// cat ~/.aws/credentials does. It allocates only for such paths.
func (p *Policy) matchFacetPath(r *rule, f *action.Action, cwd string) bool {
	paths := p.paths(r)
	if r.matchPath(f, canonicalPath(f.Path, cwd), paths) {
		return true
	}
	if r.effect == action.Allow || f.Path == "" || (f.Path[0] == '/' && strings.IndexByte(f.Path, '$') < 0 && strings.IndexByte(f.Path, '`') < 0) {
		return false
	}
	if (f.Path == "~" || strings.HasPrefix(f.Path, "~/")) && p.home != "" &&
		r.matchPath(f, canonicalPath(p.home+f.Path[1:], cwd), paths) {
		return true // ~/.ssh/$K: the shell did not expand ~, the rest being unknown
	}
	rest, ok := unknownStart(f.Path)
	if !ok || (rest == f.Path && !strings.Contains(f.Detail, "not known statically")) {
		// A relative path is placed only when the analyser says it lost
		// the directory (cd $X); an API caller's is relative to its cwd.
		return false
	}
	for _, base := range [...]string{p.home, p.workspace, cwd, "/"} {
		if base != "" && base[0] == '/' && r.matchPath(f, canonicalPath(rest, base), paths) {
			return true
		}
	}
	return false
}

// unknownStart returns what follows the last part of path that is not
// known statically (a segment holding $ or a backquote, a leading ~user),
// or all of a relative path; false when nothing is left to place.
func unknownStart(path string) (string, bool) {
	if path == "" {
		return "", false
	}
	rest, dynamic := path, path[0] != '/'
	for i := 0; i < len(path); {
		j := strings.IndexByte(path[i:], '/')
		if j < 0 {
			j = len(path)
		} else {
			j += i
		}
		seg := path[i:j]
		if strings.ContainsAny(seg, "$`") || (i == 0 && strings.HasPrefix(seg, "~") && seg != "~") {
			rest, dynamic = path[min(j+1, len(path)):], true
		}
		i = j + 1
	}
	return rest, dynamic && rest != ""
}

// matchPaths reports whether one of ps matches the canonical path p, split
// into segs.
func matchPaths(ps []pathGlob, p string, segs [][2]int32) bool {
	if p == "" {
		return false
	}
	for i := range ps {
		if !ps[i].neg && ps[i].matchCanonical(p, segs) {
			return true
		}
	}
	return false
}

// canonicalPath cleans p and anchors a relative path at cwd. It allocates
// only when p is not already clean and absolute.
func canonicalPath(p, cwd string) string {
	if p == "" {
		return ""
	}
	if p[0] != '/' && cwd != "" && cwd[0] == '/' {
		p = cwd + "/" + p
	}
	if isClean(p) {
		return p
	}
	return path.Clean(p)
}

func isClean(p string) bool {
	if len(p) > 1 && p[len(p)-1] == '/' {
		return false
	}
	for i := 0; i < len(p); i++ {
		if p[i] != '/' {
			continue
		}
		rest := p[i+1:]
		if strings.HasPrefix(rest, "/") || rest == "." || rest == ".." ||
			strings.HasPrefix(rest, "./") || strings.HasPrefix(rest, "../") {
			return false
		}
	}
	return !(p == "." || p == ".." || strings.HasPrefix(p, "./") || strings.HasPrefix(p, "../"))
}
