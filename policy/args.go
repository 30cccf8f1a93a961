package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/internal/strictyaml"
)

// Tool argument matchers: args written as a mapping,
//
//	args: {sql: "SELECT *", "options.mode": [read, "dry-*"], query: {regex: "(?i)^\\s*select\\b"}}
//
// Each key names an argument (or a dotted path into nested objects); each
// value is a word glob, a list of globs (any matches) or {regex: RE}. All
// keys must hold. Where a key leads to several values (arrays, nested
// objects), a deny or ask rule matches when any of them matches and an
// allow rule only when every one does, so extra values can neither slip past
// a deny nor ride along with an allow.

// maxArgDepth bounds how deep argument values are searched. Deeper values
// count as matching for deny and ask rules and as not matching for allow
// rules (fail closed).
const maxArgDepth = 64

// argMatcher is one key of an args mapping.
type argMatcher struct {
	key   string
	path  []string // key split at dots; nil when the key has no dot
	globs []glob
	re    *regexp.Regexp
	cost  int // compiled regex instructions
	canon argCanon
}

// argCanon is an argument matcher in canonical form.
type argCanon struct {
	Key   string   `json:"key"`
	Glob  []string `json:"glob,omitempty"`
	Regex string   `json:"regex,omitempty"`
}

// argKinds are the kinds whose facets carry tool arguments.
var argKinds = kindSet{action.MCPCall, action.MCPPrompt, toolKinds}

const argsMapHint = `args as a mapping matches tool arguments: {name: "glob"}, {name: [glob, ...]} or {name: {regex: "RE"}}`

// parseArgMap reads args written as a mapping.
func parseArgMap(v *strictyaml.Node) ([]argMatcher, error) {
	if len(v.Keys) == 0 {
		return nil, v.Errorf("remove the key or name at least one argument", "args is an empty mapping")
	}
	out := make([]argMatcher, 0, len(v.Keys))
	for i, k := range v.Keys {
		key := k.Value
		if strings.TrimSpace(key) == "" {
			return nil, k.Errorf(argsMapHint, "empty argument name in args")
		}
		if hint, err := checkMatcherText("args key", key, true); err != nil {
			return nil, k.Errorf(hint, "%v", err)
		}
		m := argMatcher{key: key, canon: argCanon{Key: key}}
		if strings.Contains(key, ".") {
			m.path = strings.Split(key, ".")
			for _, seg := range m.path {
				if seg == "" {
					return nil, k.Errorf("a dotted key names a path into nested objects: options.mode", "args key %q has an empty path segment", key)
				}
			}
		}
		val := v.Vals[i]
		switch val.Kind {
		case strictyaml.Map:
			if err := val.CheckMap("args value", []string{"regex"}); err != nil {
				return nil, err
			}
			rv := val.Get("regex")
			if rv == nil {
				return nil, val.Errorf(argsMapHint, "args value for %q is an empty mapping", key)
			}
			s, err := rv.NonEmptyString("regex")
			if err != nil {
				return nil, err
			}
			re, cost, hint, err := compileRegex("regex", s)
			if err != nil {
				return nil, rv.Errorf(hint, "bad regex for argument %q: %v", key, err)
			}
			m.re, m.canon.Regex, m.cost = re, s, cost
		default:
			_, vals, err := val.StringOrList("args value")
			if err != nil {
				var e *Error
				if errors.As(err, &e) && e.Hint == "" {
					e.Hint = argsMapHint
				}
				return nil, err
			}
			for _, s := range vals {
				m.globs = append(m.globs, newGlob(s, false))
			}
			m.canon.Glob = vals
		}
		out = append(out, m)
	}
	return out, nil
}

// argsCanon lists the matchers sorted by key: their order does not matter.
func argsCanon(ms []argMatcher) []argCanon {
	out := make([]argCanon, 0, len(ms))
	for i := range ms {
		out = append(out, ms[i].canon)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// matchArgs reports whether every argument matcher of r holds for args.
// [action.AnyArgs] matches allow and ask rules and not deny rules (see its
// doc). It does not allocate for string, json.Number, bool and null values.
func (r *rule) matchArgs(args any) bool {
	if _, ok := args.(action.AnyArgs); ok {
		return r.effect != action.Deny
	}
	all := r.effect == action.Allow
	for i := range r.argm {
		if !r.argm[i].holds(args, all) {
			return false
		}
	}
	return true
}

// holds applies one matcher to the arguments object. The key is looked up
// whole and, when it has dots, as a path; both count when both exist, so an
// extra literal "a.b" key cannot hide a nested a.b from a deny. For a deny
// or ask rule (not all) a key spelt in another case counts too ("SQL",
// "ſql" for sql): a tool that decodes its arguments ignoring case, as
// encoding/json does, reads it as the key the rule names.
func (m *argMatcher) holds(args any, all bool) bool {
	obj, ok := args.(map[string]any)
	if !ok {
		return false
	}
	seen, verdict := false, all
	if v, found := obj[m.key]; found {
		seen, verdict = m.leaves(v, all, 1)
		if seen && verdict != all {
			return verdict
		}
	}
	if !all {
		for k, v := range obj {
			if k != m.key && strings.EqualFold(k, m.key) {
				if s, o := m.leaves(v, all, 1); s && o {
					return true
				}
			}
		}
	}
	if len(m.path) > 1 {
		s, o := m.walk(obj, m.path, all, 1)
		if s {
			seen = true
			if o != all {
				return o
			}
		}
	}
	return seen && verdict
}

// walk follows path through objects; arrays on the way are searched element
// by element. It returns whether any value was reached and the verdict:
// for all (allow rules), false when some reached value fails; otherwise
// true when some reached value matches.
func (m *argMatcher) walk(cur any, path []string, all bool, depth int) (seen, verdict bool) {
	if len(path) == 0 {
		return m.leaves(cur, all, depth)
	}
	if depth > maxArgDepth {
		return true, !all
	}
	switch x := cur.(type) {
	case map[string]any:
		v, found := x[path[0]]
		if !all {
			// Keys in another case count for deny and ask rules (see holds).
			for k, o := range x {
				if k != path[0] && strings.EqualFold(k, path[0]) {
					if s, hit := m.walk(o, path[1:], all, depth+1); s && hit {
						return true, true
					}
				}
			}
		}
		if !found {
			return false, all
		}
		return m.walk(v, path[1:], all, depth+1)
	case []any:
		verdict = all
		for _, e := range x {
			s, o := m.walk(e, path, all, depth+1)
			if s {
				seen = true
				if o != all {
					return true, o
				}
			}
		}
		return seen, verdict
	}
	return false, all
}

// leaves applies the matcher to every scalar under v (v itself when it is
// a scalar); see walk for the result.
func (m *argMatcher) leaves(v any, all bool, depth int) (seen, verdict bool) {
	if depth > maxArgDepth {
		return true, !all
	}
	switch x := v.(type) {
	case map[string]any:
		verdict = all
		for _, e := range x {
			s, o := m.leaves(e, all, depth+1)
			if s {
				seen = true
				if o != all {
					return true, o
				}
			}
		}
		return seen, verdict
	case []any:
		verdict = all
		for _, e := range x {
			s, o := m.leaves(e, all, depth+1)
			if s {
				seen = true
				if o != all {
					return true, o
				}
			}
		}
		return seen, verdict
	}
	return true, m.matchScalar(v)
}

func (m *argMatcher) matchScalar(v any) bool {
	s := scalarText(v)
	if m.re != nil {
		return m.re.MatchString(s)
	}
	return matchGlobs(m.globs, s)
}

// scalarText is a scalar argument as text: strings as they are, numbers as
// written in JSON (json.Number) or in shortest form, true, false, null.
func scalarText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return string(x)
	case bool:
		if x {
			return "true"
		}
		return "false"
	case nil:
		return "null"
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	}
	return fmt.Sprint(v)
}

// describeArgMatcher renders a matcher for explanations: sql "SELECT *".
func (m *argMatcher) describe() string {
	if m.re != nil {
		return fmt.Sprintf("%s regex %q", m.key, m.canon.Regex)
	}
	if len(m.canon.Glob) == 1 {
		return fmt.Sprintf("%s %q", m.key, m.canon.Glob[0])
	}
	return fmt.Sprintf("%s %q", m.key, m.canon.Glob)
}

// argsCover reports whether a's argument matchers hold wherever b's do: each
// of a's keys appears in b with the same matcher (or a narrower glob list).
// An allow needs every value to match where a deny or ask needs one, so an
// allow's matchers never cover a deny's or ask's. It errs towards false.
func argsCover(a, b *rule) bool {
	if len(a.argm) > 0 && a.effect == action.Allow && b.effect != action.Allow {
		return false
	}
	for i := range a.argm {
		ok := false
		for j := range b.argm {
			ac, bc := a.argm[i].canon, b.argm[j].canon
			if ac.Key == bc.Key && ac.Regex == bc.Regex && (ac.Regex != "" || globsCover(a.argm[i].globs, b.argm[j].globs)) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// argsWhyNot says which argument matcher failed, for explanations.
func (r *rule) argsWhyNot(args any) string {
	if _, ok := args.(action.AnyArgs); ok {
		return "any arguments: a deny with argument matchers does not deny every call"
	}
	if _, ok := args.(map[string]any); !ok {
		return "the action has no arguments object for args to match"
	}
	all := r.effect == action.Allow
	for i := range r.argm {
		m := &r.argm[i]
		if m.holds(args, all) {
			continue
		}
		if all {
			return "argument " + m.describe() + ": missing, or not every value matches (an allow needs all of them to)"
		}
		return "argument " + m.describe() + ": missing, or no value matches"
	}
	return "matched"
}
