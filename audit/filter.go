package audit

import (
	"bytes"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Filter selects records. Within a field the values are alternatives (OR);
// fields combine with AND; every Text entry must match. Zero fields match
// everything. Stores may translate a Filter into their own query language;
// [Filter.Match] is the reference semantics.
type Filter struct {
	// Actions are action-kind prefixes ("network" matches network.listen) or
	// globs with * ("network.*", "*.listen"), matched against every facet.
	Actions   []string
	Decisions []string // allow, deny, ask
	// Rules match the deciding rule's name, reason or source (file:line)
	// exactly, or as a glob with *, ignoring the case of ASCII letters as
	// free text does: rule names are prose people write and retype
	// ("Block Python HTTP server", rule:"block python http server").
	Rules []string
	// Agents and Surfaces match exactly, ignoring the case of ASCII letters.
	Agents   []string
	Sessions []string
	Cwds     []string // the directory or anything under it
	Surfaces []string
	Types    []string // decision, approval, outcome, prune
	// Text entries are substrings of the request, the reason, the rule's
	// name and reason, the error or a note, ignoring the case of ASCII letters.
	Text     []string
	Since    time.Time // records at or after Since
	Until    time.Time // records before Until
	AfterSeq uint64    // records with a greater sequence number
	// Newest keeps only the newest N matching records (0: all); they are
	// still delivered oldest first.
	Newest int
}

// filterKeys are the keys a filter expression accepts.
var filterKeys = []string{"action", "agent", "cwd", "decision", "rule", "session", "since", "surface", "type", "until"}

// FilterError is a syntax error in a filter expression.
type FilterError struct {
	Col int // 1-based byte column
	Msg string
}

func (e *FilterError) Error() string { return fmt.Sprintf("filter: column %d: %s", e.Col, e.Msg) }

// ParseFilter reads a filter expression: space-separated terms, each either
// key:value or free text. Values and free text may be double-quoted (with \"
// and \\ escapes) to hold spaces. Different keys combine with AND, a repeated
// key is an OR, free-text terms combine with AND. Keys: action, agent, cwd,
// decision, rule, session, since, surface, type, until. since and until take
// a duration back from now (90s, 15m, 1h, 2d, 1w) or a time (RFC 3339, or
// 2006-01-02[T15:04[:05]] in now's location). Free text that contains a colon
// must be quoted. Free text and the values of decision, rule, agent, surface
// and type ignore the case of ASCII letters. Action kinds are lower case (only the tool name of
// tool.<name> keeps its case), and the expression must be UTF-8: anything
// else would silently match nothing, and is an error with its column.
//
//	action:network decision:deny since:1h rule:"Block Python HTTP server"
func ParseFilter(expr string, now time.Time) (*Filter, error) {
	f := new(Filter)
	if !utf8.ValidString(expr) {
		// Records hold UTF-8 only: bytes that are not would match inside
		// a character or nowhere, never what was meant.
		at := 0
		for at < len(expr) {
			r, size := utf8.DecodeRuneInString(expr[at:])
			if r == utf8.RuneError && size == 1 {
				break
			}
			at += size
		}
		return nil, &FilterError{at + 1, "not valid UTF-8"}
	}
	i := 0
	for {
		for i < len(expr) && isSpace(expr[i]) {
			i++
		}
		if i >= len(expr) {
			break
		}
		start := i
		if expr[i] == '"' {
			text, next, err := readQuoted(expr, i)
			if err != nil {
				return nil, err
			}
			i = next
			if err := endOfTerm(expr, i); err != nil {
				return nil, err
			}
			if text == "" {
				// It would match everything: surely not what was meant.
				return nil, &FilterError{start + 1, "empty quoted text"}
			}
			f.Text = append(f.Text, text)
			continue
		}
		j := i
		for j < len(expr) && !isSpace(expr[j]) && expr[j] != ':' && expr[j] != '"' {
			j++
		}
		if j >= len(expr) || expr[j] != ':' {
			if j < len(expr) && expr[j] == '"' {
				return nil, &FilterError{j + 1, "unexpected quote inside a word (quote the whole term)"}
			}
			if err := checkWord(expr[i:j], i); err != nil {
				return nil, err
			}
			f.Text = append(f.Text, expr[i:j])
			i = j
			continue
		}
		key := strings.ToLower(expr[i:j])
		if !slices.Contains(filterKeys, key) {
			msg := fmt.Sprintf("unknown key %q", expr[i:j])
			if s := suggest(key); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			msg += "; valid keys: " + strings.Join(filterKeys, ", ") + `; quote free text that contains a colon`
			return nil, &FilterError{start + 1, msg}
		}
		i = j + 1
		valueCol := i + 1
		var value string
		if i < len(expr) && expr[i] == '"' {
			v, next, err := readQuoted(expr, i)
			if err != nil {
				return nil, err
			}
			value, i = v, next
			if err := endOfTerm(expr, i); err != nil {
				return nil, err
			}
		} else {
			if i < len(expr) && expr[i] == '\'' {
				// Single quotes do not group here: rule:'a b' would silently
				// look for "'a" and the free words b'.
				return nil, &FilterError{i + 1, fmt.Sprintf(`single quotes do not group words; write %s:"..." with double quotes`, key)}
			}
			k := i
			for k < len(expr) && !isSpace(expr[k]) {
				if expr[k] == '"' {
					return nil, &FilterError{k + 1, "unexpected quote inside a value (quote the whole value)"}
				}
				k++
			}
			value, i = expr[i:k], k
		}
		if value == "" {
			return nil, &FilterError{valueCol, fmt.Sprintf("empty value for %s", key)}
		}
		if err := f.add(key, value, valueCol, now); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// checkWord refuses free text that is surely a mistyped term: key=value for
// a filter key, and the operators OR, AND and NOT, which the
// language does not have (so they would be searched for as text, and match
// almost nothing). Quoted, any text is free text.
func checkWord(w string, at int) error {
	switch w {
	case "OR", "AND", "NOT", "||", "&&", "!":
		return &FilterError{at + 1, fmt.Sprintf("%q is not an operator here: terms with different keys must all match, repeat a key for alternatives (action:network action:file); quote it to search for the text", w)}
	}
	if k := strings.IndexByte(w, '='); k > 0 && slices.Contains(filterKeys, strings.ToLower(w[:k])) {
		return &FilterError{at + 1, fmt.Sprintf("%q: write %s:%s (quote it to search for the text)", w, w[:k], w[k+1:])}
	}
	return nil
}

func (f *Filter) add(key, value string, col int, now time.Time) error {
	switch key {
	case "action":
		// Kinds are lower case (network.listen); only the tool names of
		// tool.<name> keep theirs (tool.NotebookEdit). A capital letter
		// anywhere else would silently match nothing.
		if !strings.HasPrefix(value, "tool.") && !strings.HasPrefix(value, "*") && value != lowerASCII(value) {
			return &FilterError{col, fmt.Sprintf("action %q: action kinds are lower case (write action:%s); only the tool name in tool.<name> keeps its case", value, lowerASCII(value))}
		}
		f.Actions = append(f.Actions, value)
	case "agent":
		f.Agents = append(f.Agents, lowerASCII(value))
	case "cwd":
		// Records hold absolute directories: a relative one (., ~/proj)
		// would silently match nothing.
		if !strings.HasPrefix(value, "/") && !filepath.IsAbs(value) {
			return &FilterError{col, fmt.Sprintf("cwd %q: write an absolute directory (records hold absolute ones; ~ and . are not expanded)", value)}
		}
		f.Cwds = append(f.Cwds, value)
	case "decision":
		d := strings.ToLower(value)
		switch d {
		case "denied":
			d = Deny
		case "allowed":
			d = Allow
		case "approval", "require_approval", "prompt":
			d = Ask
		}
		if d != Allow && d != Deny && d != Ask {
			return &FilterError{col, fmt.Sprintf("decision %q: want allow, deny or ask", value)}
		}
		f.Decisions = append(f.Decisions, d)
	case "rule":
		f.Rules = append(f.Rules, value)
	case "session":
		f.Sessions = append(f.Sessions, value)
	case "surface":
		f.Surfaces = append(f.Surfaces, lowerASCII(value))
	case "type":
		t := strings.ToLower(value)
		if t != TypeDecision && t != TypePrune && t != TypeApproval && t != TypeOutcome {
			return &FilterError{col, fmt.Sprintf("type %q: want decision, approval, outcome or prune", value)}
		}
		f.Types = append(f.Types, t)
	case "since", "until":
		t, err := ParseTime(value, now)
		if err != nil {
			return &FilterError{col, err.Error()}
		}
		if key == "since" {
			// Repeated since is an OR: the earliest bound admits the most.
			if f.Since.IsZero() || t.Before(f.Since) {
				f.Since = t
			}
		} else if f.Until.IsZero() || t.After(f.Until) {
			f.Until = t
		}
	}
	return nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// readQuoted reads a double-quoted string starting at expr[i] == '"'.
func readQuoted(expr string, i int) (string, int, error) {
	var b strings.Builder
	for j := i + 1; j < len(expr); j++ {
		switch expr[j] {
		case '\\':
			if j+1 < len(expr) && (expr[j+1] == '"' || expr[j+1] == '\\') {
				b.WriteByte(expr[j+1])
				j++
				continue
			}
			b.WriteByte('\\')
		case '"':
			return b.String(), j + 1, nil
		default:
			b.WriteByte(expr[j])
		}
	}
	return "", 0, &FilterError{i + 1, "unterminated quote"}
}

func endOfTerm(expr string, i int) error {
	if i < len(expr) && !isSpace(expr[i]) {
		return &FilterError{i + 1, "expected a space after the closing quote"}
	}
	return nil
}

// suggest returns the filter key closest to k, if any is close.
func suggest(k string) string {
	best, bestD := "", 3
	for _, c := range filterKeys {
		if strings.HasPrefix(c, k) || strings.HasPrefix(k, c) {
			return c
		}
		if d := editDistance(k, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the optimal-string-alignment distance: insertions,
// deletions, substitutions and transpositions of adjacent letters (actoin).
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// ParseTime reads a --since/--until value: a duration back from now (90s,
// 15m, 1h, 2d, 1w, 1h30m) or a time (RFC 3339, or 2006-01-02[T15:04[:05]] in
// now's location).
func ParseTime(s string, now time.Time) (time.Time, error) {
	if d, ok := parseAgo(s); ok {
		return now.Add(-d), nil
	}
	t, err := parseClock(s, now)
	if err != nil {
		return time.Time{}, err
	}
	if !t.After(time.Time{}) {
		// The zero time means "no bound" in a Filter: until:0001-01-01
		// would match every record instead of none.
		return time.Time{}, fmt.Errorf("time %q: too early, before any record", s)
	}
	return t, nil
}

func parseClock(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, now.Location()); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("time %q: want a duration (30m, 1h, 2d) or a time (2006-01-02, RFC 3339)", s)
}

// parseAgo reads a duration with the extra units d (24h) and w (7d).
func parseAgo(s string) (time.Duration, bool) {
	if s == "" {
		return 0, false
	}
	var total time.Duration
	rest := s
	for rest != "" {
		k := 0
		for k < len(rest) && (rest[k] >= '0' && rest[k] <= '9' || rest[k] == '.') {
			k++
		}
		if k == 0 {
			return 0, false
		}
		num, unitStart := rest[:k], k
		for k < len(rest) && (rest[k] < '0' || rest[k] > '9') && rest[k] != '.' {
			k++
		}
		unit := rest[unitStart:k]
		var mult time.Duration
		switch unit {
		case "d":
			mult = 24 * time.Hour
		case "w":
			mult = 7 * 24 * time.Hour
		case "h", "m", "s", "ms":
			d, err := time.ParseDuration(num + unit)
			if err != nil || d > math.MaxInt64-total {
				return 0, false
			}
			total += d
			rest = rest[k:]
			continue
		default:
			return 0, false
		}
		n, err := strconv.ParseFloat(num, 64)
		if err != nil || n*float64(mult) >= float64(math.MaxInt64-total) {
			return 0, false // out of range: not a duration
		}
		total += time.Duration(n * float64(mult))
		rest = rest[k:]
	}
	return total, total >= 0
}

// Match reports whether r satisfies f. A nil filter matches everything.
func (f *Filter) Match(r *Record) bool {
	if f == nil {
		return true
	}
	if r.Seq <= f.AfterSeq && f.AfterSeq > 0 {
		return false
	}
	if !f.Since.IsZero() && r.Time.Before(f.Since) {
		return false
	}
	if !f.Until.IsZero() && !r.Time.Before(f.Until) {
		return false
	}
	if len(f.Actions) > 0 {
		ok := false
		for _, a := range r.Actions {
			for _, p := range f.Actions {
				if matchKind(p, a.Kind) {
					ok = true
					break
				}
			}
			if ok {
				break
			}
		}
		if !ok {
			return false
		}
	}
	if !oneOf(f.Decisions, r.Decision) || !oneOfFold(f.Agents, r.Agent) || !oneOf(f.Sessions, r.Session) ||
		!oneOfFold(f.Surfaces, r.Surface) || !oneOf(f.Types, r.Type) {
		return false
	}
	if len(f.Rules) > 0 {
		if r.Rule == nil {
			return false
		}
		ok := false
		for _, p := range f.Rules {
			p = lowerASCII(p)
			if matchValue(p, r.Rule.Name) || matchValue(p, r.Rule.Reason) || matchValue(p, r.Rule.Source) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if len(f.Cwds) > 0 {
		ok := false
		for _, c := range f.Cwds {
			if underDir(r.Cwd, c) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	for _, t := range f.Text {
		if !textMatch(r, lowerASCII(t)) {
			return false
		}
	}
	return true
}

func oneOf(set []string, v string) bool {
	return len(set) == 0 || slices.Contains(set, v)
}

// oneOfFold is oneOf ignoring the case of ASCII letters: agent names come
// as a client sends them (an API client's "Cursor-IDE"), and agent: and
// surface: values are read in lower case.
func oneOfFold(set []string, v string) bool {
	if len(set) == 0 {
		return true
	}
	v = lowerASCII(v)
	for _, s := range set {
		if lowerASCII(s) == v {
			return true
		}
	}
	return false
}

// matchKind applies an action pattern: a glob when it has a *, else a prefix.
func matchKind(p, kind string) bool {
	if strings.Contains(p, "*") {
		return globMatch(p, kind)
	}
	return strings.HasPrefix(kind, p)
}

// matchValue applies a lower-case rule pattern (see lowerASCII): a glob
// when it has a *, else equality, ignoring the case of ASCII letters in v.
func matchValue(lowerP, v string) bool {
	if v == "" {
		return false
	}
	v = lowerASCII(v)
	if strings.Contains(lowerP, "*") {
		return globMatch(lowerP, v)
	}
	return lowerP == v
}

// globMatch matches s against p, where * stands for any run of characters.
func globMatch(p, s string) bool {
	parts := strings.Split(p, "*")
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, mid := range parts[1 : len(parts)-1] {
		i := strings.Index(s, mid)
		if i < 0 {
			return false
		}
		s = s[i+len(mid):]
	}
	return len(parts) == 1 && s == "" || len(parts) > 1 && strings.HasSuffix(s, last)
}

func underDir(cwd, dir string) bool {
	if cwd == dir {
		return true
	}
	d := strings.TrimSuffix(dir, "/")
	return strings.HasPrefix(cwd, d+"/")
}

func textMatch(r *Record, lowerText string) bool {
	fields := []string{r.Request, r.Reason, r.Error}
	if r.Rule != nil {
		fields = append(fields, r.Rule.Name, r.Rule.Reason)
	}
	fields = append(fields, r.Notes...)
	for _, s := range fields {
		if containsFold([]byte(s), []byte(lowerText)) {
			return true
		}
	}
	return false
}

// lineFilter rejects stored lines that cannot match before they are decoded.
// It only ever rejects lines Match would reject: each needle is something
// the canonical encoding of a matching record must contain.
type lineFilter struct {
	groups       [][][]byte // AND of (OR of needles)
	foldGroups   [][][]byte // the same, of lower-case ASCII needles matched case-insensitively
	fold         [][]byte   // AND of lower-case ASCII needles, matched case-insensitively
	since, until []byte
}

func (f *Filter) lineFilter() *lineFilter {
	lf := new(lineFilter)
	if f == nil {
		return lf
	}
	group := func(key string, values []string, exact bool) {
		if len(values) == 0 || !allUTF8(values) {
			return
		}
		var g [][]byte
		for _, v := range values {
			n := append([]byte(`"`+key+`":`), appendString(nil, v)...)
			if !exact {
				n = n[:len(n)-1] // a prefix: drop the closing quote
			}
			g = append(g, n)
		}
		lf.groups = append(lf.groups, g)
	}
	// foldGroup is group for a key matched ignoring ASCII case.
	foldGroup := func(key string, values []string) {
		if len(values) == 0 || !allUTF8(values) {
			return
		}
		var g [][]byte
		for _, v := range values {
			g = append(g, []byte(lowerASCII(string(append([]byte(`"`+key+`":`), appendString(nil, v)...)))))
		}
		lf.foldGroups = append(lf.foldGroups, g)
	}
	var actions [][]byte
	for _, p := range f.Actions {
		lit := p
		if i := strings.IndexByte(p, '*'); i >= 0 {
			lit = p[:i]
		}
		n := append([]byte(`"action":`), appendString(nil, lit)...)
		actions = append(actions, n[:len(n)-1])
	}
	if len(actions) > 0 && allUTF8(f.Actions) {
		lf.groups = append(lf.groups, actions)
	}
	group("decision", f.Decisions, true)
	foldGroup("agent", f.Agents)
	group("session", f.Sessions, true)
	foldGroup("surface", f.Surfaces)
	group("type", f.Types, true)
	var cwds []string
	for _, c := range f.Cwds {
		cwds = append(cwds, strings.TrimSuffix(c, "/"))
	}
	group("cwd", cwds, false)
	if len(f.Rules) > 0 && allUTF8(f.Rules) {
		// Rules match ignoring the case of ASCII letters: their needles are
		// lower case and found the same way (an escape's hex digits too).
		var g [][]byte
		for _, p := range f.Rules {
			p = lowerASCII(p)
			if strings.Contains(p, "*") {
				// The longest literal piece must appear somewhere.
				piece := ""
				for _, s := range strings.Split(p, "*") {
					if len(s) > len(piece) {
						piece = s
					}
				}
				esc := appendString(nil, piece)
				g = append(g, esc[1:len(esc)-1])
			} else {
				g = append(g, append([]byte(`:`), appendString(nil, p)...))
			}
		}
		for i := range g {
			g[i] = []byte(lowerASCII(string(g[i])))
		}
		lf.foldGroups = append(lf.foldGroups, g)
	}
	for _, t := range f.Text {
		if t == "" || !utf8.ValidString(t) {
			continue
		}
		esc := appendString(nil, lowerASCII(t))
		lf.fold = append(lf.fold, esc[1:len(esc)-1])
	}
	if !f.Since.IsZero() {
		lf.since = []byte(formatTime(f.Since))
	}
	if !f.Until.IsZero() {
		lf.until = []byte(formatTime(f.Until))
	}
	return lf
}

var timeKey = []byte(`"time":"`)

// allUTF8 reports whether every value is valid UTF-8. A needle is only
// made of values that are: the canonical form replaces invalid bytes, so
// the needle of such a value would not be in a line that Match, comparing
// bytes, accepts (a lone continuation byte inside a stored character).
func allUTF8(values []string) bool {
	for _, v := range values {
		if !utf8.ValidString(v) {
			return false
		}
	}
	return true
}

// pass reports whether line may match.
func (lf *lineFilter) pass(line []byte) bool {
	for _, g := range lf.groups {
		ok := false
		for _, n := range g {
			if bytes.Contains(line, n) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	for _, g := range lf.foldGroups {
		ok := false
		for _, n := range g {
			if containsFold(line, n) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if lf.since != nil || lf.until != nil {
		// The top-level time is the last "time" key: only type follows it in
		// canonical order, and a quote inside a string is always escaped.
		if i := bytes.LastIndex(line, timeKey); i >= 0 && i+len(timeKey)+len(timeLayout) <= len(line) {
			t := line[i+len(timeKey) : i+len(timeKey)+len(timeLayout)]
			if lf.since != nil && bytes.Compare(t, lf.since) < 0 {
				return false
			}
			if lf.until != nil && bytes.Compare(t, lf.until) >= 0 {
				return false
			}
		}
	}
	for _, n := range lf.fold {
		if !containsFold(line, n) {
			return false
		}
	}
	return true
}

// lowerASCII lowers ASCII letters only: free text is matched ignoring the
// case of ASCII letters, so the line filter and Match agree byte for byte.
func lowerASCII(s string) string {
	i := 0
	for i < len(s) && !(s[i] >= 'A' && s[i] <= 'Z') {
		i++
	}
	if i == len(s) {
		return s // nothing to lower: no copy
	}
	// One allocation; the runs without capitals are copied whole.
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for i < len(s) {
		for ; i < len(s) && s[i] >= 'A' && s[i] <= 'Z'; i++ {
			b.WriteByte(s[i] + 'a' - 'A')
		}
		j := i
		for j < len(s) && !(s[j] >= 'A' && s[j] <= 'Z') {
			j++
		}
		b.WriteString(s[i:j])
		i = j
	}
	return b.String()
}

// containsFold reports whether s contains the lower-case ASCII needle,
// ignoring the case of ASCII letters in s.
func containsFold(s, needle []byte) bool {
	if len(needle) == 0 {
		return true
	}
	lo := needle[0]
	up := lo
	if lo >= 'a' && lo <= 'z' {
		up = lo - 'a' + 'A'
	}
	limit := len(s) - len(needle)
	nextLo, nextUp := -1, -1 // cached next positions of each case; -1: search again
	for i := 0; i <= limit; {
		if nextLo != -2 && nextLo < i {
			if k := bytes.IndexByte(s[i:limit+1], lo); k >= 0 {
				nextLo = i + k
			} else {
				nextLo = -2 // none left
			}
		}
		if up != lo && nextUp != -2 && nextUp < i {
			if k := bytes.IndexByte(s[i:limit+1], up); k >= 0 {
				nextUp = i + k
			} else {
				nextUp = -2
			}
		}
		j := nextLo
		if up != lo && nextUp >= 0 && (j < 0 || nextUp < j) {
			j = nextUp
		}
		if j < 0 {
			return false
		}
		if equalFoldASCII(s[j:j+len(needle)], needle) {
			return true
		}
		i = j + 1
	}
	return false
}

func equalFoldASCII(s, lowerNeedle []byte) bool {
	for k := range s {
		c := s[k]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lowerNeedle[k] {
			return false
		}
	}
	return true
}
