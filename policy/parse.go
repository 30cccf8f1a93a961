package policy

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/internal/strictyaml"
)

// Error is a policy (or cases file) load error: file, 1-based line and
// column, what is wrong and a hint. Error() renders "file:line:col: msg (hint)".
type Error = strictyaml.Error

// File is one parsed, checked policy file. Compile one or more into a
// [Policy].
type File struct {
	// Name is the name given to Parse (a path, or [DefaultName]).
	Name string
	// Title is the file's top-level name:, if any.
	Title       string
	Description string
	// Version is the file's version: (1), or 0 when absent.
	Version int

	def     *action.Effect
	defLine int
	defCol  int
	rules   []*rule
	tests   []TestCase
	// builtin: parsed from the unmodified built-in default, whose hash
	// is known in advance (defaultHash).
	builtin bool
}

// Default returns the file's default effect and whether it sets one.
func (f *File) Default() (action.Effect, bool) {
	if f.def == nil {
		return action.Deny, false
	}
	return *f.def, true
}

// RuleCount is the number of rules in the file.
func (f *File) RuleCount() int { return len(f.rules) }

var (
	topKeys  = []string{"version", "name", "description", "default", "rules", "tests"}
	ruleKeys = []string{"name", "id", "description", "action", "command_pattern", "command_regex", "program", "args",
		"port", "host", "path", "url", "uri", "tool", "server", "agent", "effect", "reason", "conditions", "timeout",
		"quorum", "approvers"}
	conditionKeys = []string{"human_approval", "expires", "schedule"}
	scheduleKeys  = []string{"days", "hours", "timezone"}
	effectNames   = []string{"allow", "deny", "ask", "require_approval", "prompt"}
)

func closestKey(s string, keys []string) string { return strictyaml.Closest(s, keys) }

// Where a key belongs, when it is written in the wrong place: a key that is
// valid one level up or down is a misplaced key, not a typo, and the hint
// says where it goes. Each returns "" for keys it knows nothing about.
type misplacedFunc func(key string) string

func misplacedTop(key string) string {
	if key != "name" && key != "description" && contains(ruleKeys, key) {
		return fmt.Sprintf("%q is a rule key: indent it under a '- ' item of rules:", key)
	}
	return ""
}

func misplacedInRule(key string) string {
	switch key {
	case "human_approval", "expires", "schedule":
		return fmt.Sprintf("did you mean conditions: {%s: ...}? conditions go under the rule's conditions: key", key)
	case "expires_at", "expiry", "expiration":
		return "did you mean conditions: {expires: ...}?"
	case "require_approval", "requires_approval", "needs_approval", "approval", "approval_required", "human_approval_required", "confirm":
		return "did you mean conditions: [{human_approval: required}], or effect: ask?"
	case "days", "hours", "timezone":
		return fmt.Sprintf("did you mean conditions: {schedule: {%s: ...}}?", key)
	case "rules":
		return "rules do not nest: list every rule under the top-level rules:"
	case "default", "tests", "version":
		return key + " is a top-level key, for the whole policy"
	case "priority", "order", "weight":
		return "there are no priorities: rules are tried in file order and the first match decides, so move the rule up"
	case "rate_limit", "ratelimit", "rate", "limit", "budget":
		return "rate limits and budgets are not supported; a rule that claims to limit must not silently allow"
	case "condition", "when", "if":
		return "did you mean conditions:?"
	case "decision", "verdict", "result":
		return "did you mean effect:?"
	case "pattern", "command", "cmd":
		return "did you mean command_pattern:?"
	case "regex":
		return "did you mean command_regex:?"
	case "message", "msg":
		return "did you mean reason:?"
	}
	return ""
}

func misplacedInConditions(key string) string {
	switch key {
	case "days", "hours", "timezone":
		return fmt.Sprintf("did you mean schedule: {%s: ...}? days, hours and timezone go under schedule:", key)
	case "expires_at", "expiry", "expiration":
		return "did you mean expires?"
	case "require_approval", "requires_approval", "needs_approval", "approval", "approval_required", "human_approval_required", "confirm":
		return "did you mean human_approval: required?"
	case "name":
		return ""
	}
	if contains(ruleKeys, key) {
		return fmt.Sprintf("%q is a rule key, not a condition: move it out of conditions:", key)
	}
	return ""
}

func misplacedInSchedule(key string) string {
	switch key {
	case "expires", "human_approval":
		return fmt.Sprintf("%s is a condition of its own, next to schedule: under conditions:", key)
	case "tz", "time_zone", "zone", "location":
		return "did you mean timezone?"
	case "weekdays", "day":
		return "did you mean days?"
	case "time", "hour", "window":
		return "did you mean hours?"
	}
	return ""
}

// checkKeys is CheckMap with a hint for keys written in the wrong place;
// a close spelling of a known key still wins ("did you mean").
func checkKeys(n *strictyaml.Node, what string, known []string, misplaced misplacedFunc) error {
	if n.Kind == strictyaml.Map {
		for _, k := range n.Keys {
			if contains(known, k.Value) {
				continue
			}
			if strictyaml.Closest(k.Value, known) == "" {
				if h := misplaced(k.Value); h != "" {
					return k.Errorf(h, "unknown key %q in %s", k.Value, what)
				}
			}
			break // the first unknown key: CheckMap reports it
		}
	}
	return n.CheckMap(what, known)
}

// Parse strictly loads one policy file: YAML, or JSON when the name ends in
// .json or the text starts with '{'. name is used in errors and rule sources.
// Every error is an [*Error].
func Parse(name string, data []byte) (*File, error) {
	var root *strictyaml.Node
	var err error
	if name == DefaultName && bytes.Equal(data, defaultPolicy) {
		// The built-in default, pre-parsed (default_tree.go): hooks load it
		// on every call, and YAML parsing would be most of their time.
		root = defaultTree
	} else {
		if root, err = strictyaml.Parse(name, data); err != nil {
			return nil, pasteHint(data, err)
		}
	}
	if root == nil {
		return nil, &Error{File: name, Line: 1, Col: 1, Msg: "empty policy: no rules and no default",
			Hint: "add rules:, or write 'default: allow' (or deny) to decide everything by default"}
	}
	if err := checkKeys(root, "the policy", topKeys, misplacedTop); err != nil {
		if root.Kind != strictyaml.Map && root.Kind == strictyaml.Seq {
			return nil, root.Errorf("put the list under a top-level 'rules:' key", "the policy must be a mapping with rules:, not a list")
		}
		return nil, err
	}
	f := &File{Name: name, builtin: root == defaultTree}
	if v := root.Get("version"); v != nil {
		n, err := v.Int("version")
		if err != nil {
			return nil, err
		}
		if n != 1 {
			return nil, v.Errorf("this safeclaw reads version 1 policies", "unsupported policy version %d", n)
		}
		f.Version = 1
	}
	if v := root.Get("name"); v != nil {
		if f.Title, err = v.String("name"); err != nil {
			return nil, err
		}
	}
	if v := root.Get("description"); v != nil {
		if f.Description, err = v.String("description"); err != nil {
			return nil, err
		}
	}
	if v := root.Get("default"); v != nil {
		e, err := parseEffect(v, "default")
		if err != nil {
			return nil, err
		}
		f.def, f.defLine, f.defCol = &e, v.Line, v.Col
	}
	if v := root.Get("rules"); v != nil {
		items, err := v.List("rules")
		if err != nil {
			return nil, err
		}
		names := map[string]*rule{}
		regexCost := 0
		var arena patArena
		slab := make([]rule, len(items)) // one allocation for the file's rules
		if len(items) > 0 {
			f.rules = make([]*rule, 0, len(items))
		}
		for i, it := range items {
			r, err := parseRule(it, name, i, &arena, &slab[i])
			if err != nil {
				return nil, err
			}
			if regexCost += r.regexCost; regexCost > maxFileRegexInsts {
				return nil, it.Errorf("use fewer or simpler regular expressions; command_pattern and globs cost little",
					"the regular expressions of this file are too complex together (%d compiled instructions; at most %d)", regexCost, maxFileRegexInsts)
			}
			if r.name != "" {
				if prev, dup := names[r.name]; dup {
					pos, _ := r.keyPos.get("name")
					return nil, &Error{File: name, Line: pos[0], Col: pos[1],
						Msg: fmt.Sprintf("duplicate rule name %q", r.name), Hint: "first used at " + prev.source() + "; names identify rules in decisions and tests"}
				}
				names[r.name] = r
			}
			f.rules = append(f.rules, r)
		}
	}
	if v := root.Get("tests"); v != nil {
		if f.tests, err = parseTests(v); err != nil {
			return nil, err
		}
	}
	if len(f.rules) == 0 && f.def == nil {
		at := root
		if k := root.Key("rules"); k != nil {
			at = k
		}
		return nil, at.Errorf("add rules:, or write 'default: allow' (or deny) to decide everything by default", "empty policy: no rules and no default")
	}
	return f, nil
}

func parseEffect(v *strictyaml.Node, what string) (action.Effect, error) {
	s, err := v.String(what)
	if err != nil {
		return action.Deny, err
	}
	e, ok := action.ParseEffect(s)
	if !ok {
		hint := strictyaml.DidYouMean(s, effectNames)
		if hint == "" {
			hint = "use allow, deny or ask (aliases: require_approval, prompt)"
		}
		return action.Deny, v.Errorf(hint, "unknown %s %q", what, s)
	}
	return e, nil
}

// kindNames lists every kind, for did-you-mean hints.
func kindNames() []string {
	out := make([]string, 0, len(action.Kinds)+1)
	for _, k := range action.Kinds {
		out = append(out, string(k))
	}
	return out
}

// kindGlobMatchesSomething reports whether a kind glob can match a kind a
// classifier emits (a listed kind, or an open-ended tool.<name> kind).
func kindGlobMatchesSomething(g glob) bool {
	for _, k := range action.Kinds {
		if g.match(string(k)) {
			return true
		}
	}
	lit := g.pat
	if i := strings.IndexByte(lit, '*'); i >= 0 {
		lit = lit[:i]
	}
	return strings.HasPrefix("tool.", lit) || (strings.HasPrefix(lit, "tool.") && strings.Contains(g.pat, "*"))
}

// parseRule reads one rule into r (zero); arena holds the storage its
// command patterns take (shared by the rules of a file).
func parseRule(n *strictyaml.Node, file string, idx int, arena *patArena, r *rule) (*rule, error) {
	if err := checkKeys(n, "rule", ruleKeys, misplacedInRule); err != nil {
		return nil, err
	}
	r.file, r.line, r.col, r.keyPos = file, n.Line, n.Col, make(keyPositions, 0, len(n.Keys)+1)
	for _, k := range n.Keys {
		r.keyPos.set(k.Value, [2]int{k.Line, k.Col})
	}
	var err error
	str := func(key string) (string, error) {
		if v := n.Get(key); v != nil {
			return v.String(key)
		}
		return "", nil
	}
	if n.Get("name") != nil && n.Get("id") != nil {
		return nil, n.Key("id").Errorf("id is another spelling of name; keep one", "rule has both name and id")
	}
	if r.name, err = str("name"); err != nil {
		return nil, err
	}
	if r.name == "" {
		if r.name, err = str("id"); err != nil {
			return nil, err
		}
		if n.Get("id") != nil {
			pos, _ := r.keyPos.get("id")
			r.keyPos.set("name", pos)
		}
	}
	if (n.Get("name") != nil || n.Get("id") != nil) && strings.TrimSpace(r.name) == "" {
		return nil, n.Key(firstKey(n, "name", "id")).Errorf("remove it or give the rule a name", "empty rule name")
	}
	if r.desc, err = str("description"); err != nil {
		return nil, err
	}
	if r.reason, err = str("reason"); err != nil {
		return nil, err
	}
	r.canon.Name, r.canon.Description, r.canon.Reason = r.name, r.desc, r.reason

	// effect (required)
	ev := n.Get("effect")
	if ev == nil {
		return nil, n.Errorf("add effect: allow, deny or ask", "rule has no effect")
	}
	if r.declared, err = parseEffect(ev, "effect"); err != nil {
		return nil, err
	}
	r.effect = r.declared

	// View matchers.
	if v := n.Get("command_pattern"); v != nil {
		items, vals, err := v.StringOrList("command_pattern")
		if err != nil {
			return nil, err
		}
		r.patterns = make([]*cmdPattern, 0, len(vals))
		pats := make([]cmdPattern, len(vals)) // one allocation for the rule's patterns
		for i, s := range vals {
			p := &pats[i]
			if err := compilePatternInto(p, s, arena); err != nil {
				pe := err.(*patternError)
				e := items[i].Errorf(pe.hint, "%s", pe.msg)
				if items[i].Plain && pe.off > 0 {
					// Point inside the pattern when the text maps 1:1 to the
					// file (columns count characters, offsets bytes).
					e.Col += utf8.RuneCountInString(s[:pe.off])
					if items[i].Quoted {
						e.Col++
					}
				}
				return nil, e
			}
			r.patterns = append(r.patterns, p)
		}
		r.canon.CommandPattern = vals
	}
	if v := n.Get("command_regex"); v != nil {
		items, vals, err := v.StringOrList("command_regex")
		if err != nil {
			return nil, err
		}
		for i, s := range vals {
			if j, r := invisibleAt(s); j >= 0 {
				return nil, items[i].Errorf(fmt.Sprintf("write it as an escape (\\x{%x}) if it is meant, else delete it", r),
					"command_regex %q contains the invisible character %U at byte %d", s, r, j)
			}
			if j, r := controlAt(s, true); j >= 0 {
				hint := controlHint
				if r == '\n' || r == '\r' {
					// A | or > block adds a line break at the end, which
					// the regex then requires: it would match nothing.
					hint = "write the regex on one line as a quoted string; write \\n if a line break is meant"
				}
				return nil, items[i].Errorf(hint, "command_regex %q contains the control character %U at byte %d", s, r, j)
			}
			cost, hint, err := checkRegex("command_regex", s)
			if err != nil {
				return nil, items[i].Errorf(hint, "bad command_regex: %v", err)
			}
			r.regexCost += cost
			r.regexes = append(r.regexes, &lazyRegexp{src: s})
			r.canon.CommandRegex = append(r.canon.CommandRegex, s)
		}
	}
	if v := n.Get("program"); v != nil {
		items, vals, err := v.StringOrList("program")
		if err != nil {
			return nil, err
		}
		for i, s := range vals {
			if hint, err := checkMatcherText("program", s, true); err != nil {
				return nil, items[i].Errorf(hint, "%v", err)
			}
			if strings.ContainsFunc(s, unicode.IsSpace) {
				return nil, items[i].Errorf("program matches the program name only; use command_pattern for arguments", "program %q contains a space", s)
			}
			name := action.ProgramName(s)
			if name == "" {
				return nil, items[i].Errorf("", "empty program name in %q", s)
			}
			r.programs = append(r.programs, newGlob(name, false))
			r.canon.Program = append(r.canon.Program, name)
		}
	}
	if v := n.Get("args"); v != nil && v.Kind == strictyaml.Map {
		if r.argm, err = parseArgMap(v); err != nil {
			return nil, err
		}
		for i := range r.argm {
			r.regexCost += r.argm[i].cost
		}
		r.canon.ArgValues = argsCanon(r.argm)
	} else if v != nil {
		items, err := v.List("args")
		if err != nil {
			return nil, n.Get("args").Errorf("args is a list of command words, e.g. [\"--force\"], or a mapping of tool arguments to globs, e.g. {sql: \"SELECT *\"}", "args must be a list or a mapping, not %s", v.Describe())
		}
		if len(items) == 0 {
			return nil, v.Errorf("remove the key or give at least one word", "args is an empty list")
		}
		for _, it := range items {
			s, err := it.NonEmptyString("args item")
			if err != nil {
				return nil, err
			}
			if hint, err := checkMatcherText("args item", s, true); err != nil {
				return nil, it.Errorf(hint, "%v", err)
			}
			r.args = append(r.args, newGlob(s, false))
			r.canon.Args = append(r.canon.Args, s)
		}
	}

	// action (kinds)
	if v := n.Get("action"); v != nil {
		items, vals, err := v.StringOrList("action")
		if err != nil {
			return nil, err
		}
		for i, s := range vals {
			g := newGlob(s, false)
			if g.lit {
				if !action.Kind(s).Known() {
					hint := strictyaml.DidYouMean(s, kindNames())
					if hint == "" {
						hint = "known actions: " + strings.Join(kindNames(), ", ") + ", tool.<name>"
					}
					return nil, items[i].Errorf(hint, "unknown action %q", s)
				}
			} else if !kindGlobMatchesSomething(g) {
				return nil, items[i].Errorf("known actions: "+strings.Join(kindNames(), ", ")+", tool.<name>", "action glob %q matches no action", s)
			}
			r.kinds = append(r.kinds, g)
			r.kindsRaw = append(r.kindsRaw, s)
			switch action.Kind(s) {
			case action.ShellOpaque:
				r.namesOpaque = true
			case action.ShellRemote:
				r.namesRemote = true
			}
		}
	} else if r.hasViewMatchers() {
		r.implied = true
		r.kinds = []glob{newGlob(string(action.ShellExecute), false)}
		r.kindsRaw = []string{string(action.ShellExecute)}
	} else if len(r.argm) > 0 {
		return nil, n.Errorf("args as a mapping matches tool arguments: add action: mcp.call (or mcp.prompt, tool.NAME)", "rule has no action")
	} else {
		return nil, n.Errorf("add action: KIND (e.g. network.listen), or action: \"*\" for every action", "rule has no action and no command matcher")
	}
	r.canon.Action = r.kindsRaw

	// Facet matchers.
	if v := n.Get("port"); v != nil {
		if r.ports, err = parsePorts(v); err != nil {
			return nil, err
		}
		for _, p := range r.ports {
			r.canon.Port = append(r.canon.Port, p.String())
		}
	}
	if v := n.Get("host"); v != nil {
		items, vals, err := v.StringOrList("host")
		if err != nil {
			return nil, err
		}
		for i, s := range vals {
			if hint, err := checkMatcherText("host", s, true); err != nil {
				return nil, items[i].Errorf(hint, "%v", err)
			}
			h, hint, err := parseHost(s)
			if err != nil {
				return nil, items[i].Errorf(hint, "%v", err)
			}
			r.hosts = append(r.hosts, h)
			r.canon.Host = append(r.canon.Host, s)
		}
	}
	if v := n.Get("path"); v != nil {
		items, vals, err := v.StringOrList("path")
		if err != nil {
			return nil, err
		}
		for i, s := range vals {
			if hint, err := checkMatcherText("path", s, true); err != nil {
				return nil, items[i].Errorf(hint, "%v", err)
			}
			glob, neg := strings.CutPrefix(s, "!")
			if neg && glob == "" {
				return nil, items[i].Errorf("write !GLOB to leave the paths GLOB matches out of the rule, as in !${workspace}/**", "empty path glob after '!'")
			}
			if hint, err := checkPathGlob(glob); err != nil {
				return nil, items[i].Errorf(hint, "%v", err)
			}
			if neg {
				r.pathNeg = true
			} else {
				r.pathPos = true
			}
			r.pathsRaw = append(r.pathsRaw, s)
		}
		r.canon.Path = r.pathsRaw
	}
	globList := func(key string, fold bool, dst *[]glob, canon *[]string) error {
		v := n.Get(key)
		if v == nil {
			return nil
		}
		items, vals, err := v.StringOrList(key)
		if err != nil {
			return err
		}
		for i, s := range vals {
			if hint, err := checkMatcherText(key, s, true); err != nil {
				return items[i].Errorf(hint, "%v", err)
			}
			*dst = append(*dst, newGlob(s, fold))
		}
		*canon = vals
		return nil
	}
	if err := globList("url", false, &r.urls, &r.canon.URL); err != nil {
		return nil, err
	}
	for _, s := range r.canon.URL {
		r.urlsCanon = append(r.urlsCanon, newGlob(canonicalURLGlob(s), false))
	}
	if err := globList("tool", false, &r.tools, &r.canon.Tool); err != nil {
		return nil, err
	}
	if err := globList("server", false, &r.servers, &r.canon.Server); err != nil {
		return nil, err
	}
	if err := globList("uri", false, &r.uris, &r.canon.URI); err != nil {
		return nil, err
	}
	for _, s := range r.canon.URI {
		r.urisCanon = append(r.urisCanon, newGlob(canonicalURLGlob(s), false))
	}
	if err := globList("agent", false, &r.agents, &r.canon.Agent); err != nil {
		return nil, err
	}

	if v := n.Get("conditions"); v != nil {
		if err := r.parseConditions(v); err != nil {
			return nil, err
		}
	}
	if v := n.Get("timeout"); v != nil {
		s, err := v.String("timeout")
		if err != nil {
			return nil, err
		}
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return nil, v.Errorf("write a Go duration such as 90s, 5m or 1h", "bad timeout %q", s)
		}
		if r.effect != action.Ask {
			return nil, v.Errorf("timeout is how long an ask waits for a human; use it with effect: ask or human_approval", "timeout on a rule that never asks")
		}
		r.timeout = d
		r.canon.Timeout = d.String()
	}
	if err := r.parseApprovalNeeds(n); err != nil {
		return nil, err
	}
	r.canon.Effect = r.effect.String()
	r.canon.HumanApproval = r.approval

	if err := r.checkSatisfiable(n); err != nil {
		return nil, err
	}
	r.pidx = newPatIndex(r.patterns)
	return r, nil
}

func firstKey(n *strictyaml.Node, keys ...string) string {
	for _, k := range keys {
		if n.Get(k) != nil {
			return k
		}
	}
	return keys[0]
}

// portRangeRE is compiled on first use: package init is on every hook's path.
var portRangeRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(\d{1,5})\s*-\s*(\d{1,5})$`) })

func parsePorts(v *strictyaml.Node) ([]portRange, error) {
	items := []*strictyaml.Node{v}
	if v.Kind == strictyaml.Seq {
		if len(v.Items) == 0 {
			return nil, v.Errorf("remove the key or list ports", "port is an empty list")
		}
		items = v.Items
	}
	var out []portRange
	for _, it := range items {
		if it.Kind != strictyaml.Scalar || (it.Tag != strictyaml.TagInt && it.Tag != strictyaml.TagStr) {
			return nil, it.Errorf("write \"*\", 8080, \"8000-8999\" or a list of these", "port must be a number, a range or \"*\", not %s", it.Describe())
		}
		s := strings.TrimSpace(it.Value)
		if s == "*" {
			out = append(out, portRange{any: true})
			continue
		}
		if m := portRangeRE().FindStringSubmatch(s); m != nil {
			lo, _ := strconv.Atoi(m[1])
			hi, _ := strconv.Atoi(m[2])
			if lo < 1 || hi > 65535 || lo > hi {
				return nil, it.Errorf("ports run from 1 to 65535, low-high", "bad port range %q", s)
			}
			out = append(out, portRange{lo: lo, hi: hi})
			continue
		}
		p, err := strconv.Atoi(s)
		if err == nil && !allDigits(s) {
			err = strconv.ErrSyntax // +80, -1: write the port as it is
		}
		if err != nil || p < 1 || p > 65535 {
			hint := "ports run from 1 to 65535; \"*\" means any port"
			if err == nil && p == 0 {
				hint = "port 0 means \"unknown\"; write \"*\" for any port"
			}
			return nil, it.Errorf(hint, "bad port %q", s)
		}
		out = append(out, portRange{lo: p, hi: p})
	}
	return out, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func (r *rule) parseConditions(v *strictyaml.Node) error {
	// Two spellings: the brief's list of one-key mappings, or one mapping.
	var pairs [][2]*strictyaml.Node
	switch v.Kind {
	case strictyaml.Seq:
		if len(v.Items) == 0 {
			return v.Errorf("remove the key or list conditions", "conditions is an empty list")
		}
		for _, it := range v.Items {
			if err := checkKeys(it, "condition", conditionKeys, misplacedInConditions); err != nil {
				return err
			}
			if len(it.Keys) == 0 {
				return it.Errorf("write e.g. - human_approval: required", "empty condition")
			}
			for i := range it.Keys {
				pairs = append(pairs, [2]*strictyaml.Node{it.Keys[i], it.Vals[i]})
			}
		}
	case strictyaml.Map:
		if err := checkKeys(v, "conditions", conditionKeys, misplacedInConditions); err != nil {
			return err
		}
		if len(v.Keys) == 0 {
			return v.Errorf("remove the key or give a condition, e.g. {human_approval: required}", "conditions is an empty mapping")
		}
		for i := range v.Keys {
			pairs = append(pairs, [2]*strictyaml.Node{v.Keys[i], v.Vals[i]})
		}
	default:
		return v.Errorf("write a list such as [ {human_approval: required} ]", "conditions must be a list or a mapping, not %s", v.Describe())
	}
	seen := map[string]bool{}
	for _, p := range pairs {
		k, val := p[0], p[1]
		if seen[k.Value] {
			return k.Errorf("give each condition once", "duplicate condition %q", k.Value)
		}
		seen[k.Value] = true
		switch k.Value {
		case "human_approval":
			ok := false
			if val.Kind == strictyaml.Scalar {
				switch {
				case val.Tag == strictyaml.TagStr && val.Value == "required":
					ok = true
				case val.Tag == strictyaml.TagBool && strings.EqualFold(val.Value, "true"):
					ok = true
				}
			}
			if !ok {
				return val.Errorf("the only value is required", "bad human_approval %q", val.Value)
			}
			switch r.declared {
			case action.Deny:
				return k.Errorf("a deny never asks; use effect: ask or effect: allow with human_approval", "human_approval on a deny rule")
			case action.Allow:
				r.effect = action.Ask
			}
			r.approval = true
		case "expires":
			if val.Kind != strictyaml.Scalar || (val.Tag != strictyaml.TagStr && val.Tag != strictyaml.TagTimestamp) {
				return val.Errorf("write 2026-01-31 or 2026-01-31T18:00:00Z", "expires must be a date or time, not %s", val.Describe())
			}
			t, err := parseExpiry(val.Value)
			if err != nil {
				return val.Errorf("write a date such as 2026-01-31, meaning 00:00 UTC that day, or an RFC 3339 time such as 2026-01-31T18:00:00+01:00", "bad expires %q", val.Value)
			}
			r.expires, r.hasExpires = t, true
			r.canon.Expires = t.UTC().Format(time.RFC3339)
		case "schedule":
			s, err := parseSchedule(val)
			if err != nil {
				return err
			}
			r.schedule = s
			r.canon.Schedule = &scheduleCanon{Days: s.daysRaw, Hours: s.hoursRaw, Timezone: s.tzName}
		}
	}
	return nil
}

func parseExpiry(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Parse("2006-01-02", s)
}

func parseSchedule(v *strictyaml.Node) (*schedule, error) {
	if err := checkKeys(v, "schedule", scheduleKeys, misplacedInSchedule); err != nil {
		return nil, err
	}
	s := &schedule{from: -1, to: -1, allDays: true, loc: time.UTC, tzName: "UTC"}
	if d := v.Get("days"); d != nil {
		items, vals, err := d.StringOrList("days")
		if err != nil {
			return nil, err
		}
		s.allDays = false
		for i, it := range vals {
			if hint, err := s.addDays(it); err != nil {
				return nil, items[i].Errorf(hint, "%v", err)
			}
		}
		s.daysRaw = vals
	}
	if h := v.Get("hours"); h != nil {
		str, err := h.String("hours")
		if err != nil {
			return nil, err
		}
		if s.from, s.to, err = parseHours(str); err != nil {
			return nil, h.Errorf("write a window such as \"09:00-17:00\"; 22:00-06:00 wraps past midnight", "%v", err)
		}
		s.hoursRaw = strings.TrimSpace(str)
	}
	if tz := v.Get("timezone"); tz != nil {
		name, err := tz.NonEmptyString("timezone")
		if err != nil {
			return nil, err
		}
		if name == "Local" {
			return nil, tz.Errorf("name the zone, e.g. Europe/Berlin, so the policy means the same on every machine", "timezone Local is not allowed")
		}
		loc, err := time.LoadLocation(name)
		if err != nil {
			return nil, tz.Errorf("use an IANA name such as Europe/Berlin, America/New_York or UTC", "unknown timezone %q", name)
		}
		s.loc, s.tzName = loc, name
	}
	if v.Get("days") == nil && v.Get("hours") == nil {
		return nil, v.Errorf("give days:, hours: or both", "schedule has neither days nor hours")
	}
	return s, nil
}

// maxQuorum bounds quorum: a larger one is a typo, not a committee.
const maxQuorum = 16

// parseApprovalNeeds reads quorum (how many distinct people must approve)
// and approvers (who may), which only a rule that asks can have.
func (r *rule) parseApprovalNeeds(n *strictyaml.Node) error {
	qv, av := n.Get("quorum"), n.Get("approvers")
	if qv == nil && av == nil {
		return nil
	}
	if r.effect != action.Ask {
		v := qv
		if v == nil {
			v = av
		}
		return v.Errorf("quorum and approvers say who must approve an ask; use them with effect: ask or human_approval", "%s on a rule that never asks", firstKey(n, "quorum", "approvers"))
	}
	needs := &action.ApprovalNeeds{Quorum: 1}
	if qv != nil {
		q, err := qv.Int("quorum")
		if err != nil {
			return err
		}
		if q < 1 || q > maxQuorum {
			return qv.Errorf(fmt.Sprintf("write a number of people from 1 to %d", maxQuorum), "bad quorum %d", q)
		}
		needs.Quorum = int(q)
		r.canon.Quorum = needs.Quorum
	}
	if av != nil {
		items, names, err := av.StringOrList("approvers")
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for i, name := range names {
			at := av
			if i < len(items) {
				at = items[i]
			}
			switch {
			case strings.TrimSpace(name) == "" || name != strings.TrimSpace(name) || strings.ContainsFunc(name, unicode.IsControl) ||
				strings.ContainsFunc(name, func(r rune) bool { return unicode.Is(unicode.Cf, r) }):
				return at.Errorf("write login names such as alice", "bad approver %q", name)
			case strings.ContainsFunc(name, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }):
				// No login or role is named so: this is a list written as
				// one name, which nobody could ever match.
				return at.Errorf("write a list: approvers: [alice, bob]", "approver %q is not one name", name)
			case strings.ContainsAny(name, "*?["):
				return at.Errorf("list each approver by name", "approver %q is a pattern; approvers are exact names", name)
			case seen[name]:
				return at.Errorf("list each approver once", "approver %q is listed twice", name)
			}
			seen[name] = true
		}
		if len(names) == 0 {
			return av.Errorf("name who may approve, or remove the key", "approvers is empty, so nobody could approve")
		}
		if len(names) < needs.Quorum {
			return av.Errorf("name at least as many approvers as the quorum", "quorum %d but only %d approver(s): nobody could approve", needs.Quorum, len(names))
		}
		needs.Approvers = names
		r.canon.Approvers = names
	}
	if needs.Restricted() {
		r.needs = needs
	}
	return nil
}
