package policy

import (
	"encoding/json"
	"strings"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/internal/strictyaml"
)

// TestCase is one expectation from a policy's tests: list or a cases file:
// an input (a command, or an action with its fields) and the expected
// decision. The caller turns Command into a request with the shell analyser.
type TestCase struct {
	Source  string         `json:"source"` // file:line
	Name    string         `json:"name,omitempty"`
	Command string         `json:"command,omitempty"`
	Action  *action.Action `json:"action,omitempty"`
	Agent   string         `json:"agent,omitempty"`
	Cwd     string         `json:"cwd,omitempty"`
	Expect  action.Effect  `json:"-"`
	// Rule is the expected rule's name or reason; "" = do not check,
	// "default" = the default decided.
	Rule string `json:"rule,omitempty"`
}

var caseKeys = []string{"name", "command", "action", "port", "host", "path", "url", "uri", "tool", "server", "args", "agent", "cwd", "expect", "rule"}

// ParseCases loads a cases file: a mapping whose only key is tests:, a list
// of cases shaped like a policy's inline tests.
func ParseCases(name string, data []byte) ([]TestCase, error) {
	root, err := strictyaml.Parse(name, data)
	if err != nil {
		return nil, err
	}
	if root == nil {
		return nil, &Error{File: name, Line: 1, Col: 1, Msg: "empty cases file", Hint: "write a top-level tests: list"}
	}
	if err := root.CheckMap("the cases file", []string{"tests"}); err != nil {
		return nil, err
	}
	v := root.Get("tests")
	if v == nil {
		return nil, root.Errorf("write a top-level tests: list", "cases file has no tests")
	}
	return parseTests(v)
}

func parseTests(v *strictyaml.Node) ([]TestCase, error) {
	items, err := v.List("tests")
	if err != nil {
		return nil, err
	}
	var out []TestCase
	for _, it := range items {
		if err := it.CheckMap("test", caseKeys); err != nil {
			return nil, err
		}
		tc := TestCase{Source: it.File + ":" + itoa(it.Line)}
		str := func(key string, dst *string) error {
			if n := it.Get(key); n != nil {
				s, err := n.String(key)
				*dst = s
				return err
			}
			return nil
		}
		for _, f := range []struct {
			key string
			dst *string
		}{{"name", &tc.Name}, {"command", &tc.Command}, {"agent", &tc.Agent}, {"cwd", &tc.Cwd}, {"rule", &tc.Rule}} {
			if err := str(f.key, f.dst); err != nil {
				return nil, err
			}
		}
		cmd, act := it.Get("command"), it.Get("action")
		switch {
		case cmd != nil && act != nil:
			return nil, it.Key("action").Errorf("a test gives a command or an action, not both", "test has both command and action")
		case cmd == nil && act == nil:
			return nil, it.Errorf("add command: \"...\" or action: KIND", "test has neither command nor action")
		case cmd != nil && tc.Command == "":
			return nil, cmd.Errorf("", "empty command")
		}
		if act != nil {
			kind, err := act.NonEmptyString("action")
			if err != nil {
				return nil, err
			}
			if !action.Kind(kind).Known() {
				hint := strictyaml.DidYouMean(kind, kindNames())
				return nil, act.Errorf(hint, "unknown action %q", kind)
			}
			a := &action.Action{Kind: action.Kind(kind)}
			if n := it.Get("port"); n != nil {
				p, err := n.Int("port")
				if err != nil {
					return nil, err
				}
				if p < 1 || p > 65535 {
					return nil, n.Errorf("ports run from 1 to 65535", "bad port %d", p)
				}
				a.Port = int(p)
			}
			for _, f := range []struct {
				key string
				dst *string
			}{{"host", &a.Host}, {"path", &a.Path}, {"url", &a.URL}, {"tool", &a.Tool}, {"server", &a.Server}} {
				if err := str(f.key, f.dst); err != nil {
					return nil, err
				}
			}
			if n := it.Get("uri"); n != nil {
				if it.Get("url") != nil {
					return nil, it.Key("uri").Errorf("uri is the resource URI of mcp.read; give url or uri", "test has both url and uri")
				}
				if err := str("uri", &a.URL); err != nil {
					return nil, err
				}
			}
			if n := it.Get("args"); n != nil {
				if n.Kind != strictyaml.Map {
					return nil, n.Errorf("write the tool arguments as a mapping: {sql: \"select 1\"}", "test args must be a mapping, not %s", n.Describe())
				}
				a.Args = nodeValue(n)
			}
			tc.Action = a
		} else {
			for _, key := range []string{"port", "host", "path", "url", "uri", "tool", "server", "args"} {
				if k := it.Key(key); k != nil {
					return nil, k.Errorf("action fields go with action: KIND; a command's facets come from the command", "%s given with a command", key)
				}
			}
		}
		ev := it.Get("expect")
		if ev == nil {
			return nil, it.Errorf("add expect: allow, deny or ask", "test has no expect")
		}
		if tc.Expect, err = parseEffect(ev, "expect"); err != nil {
			return nil, err
		}
		out = append(out, tc)
	}
	return out, nil
}

// nodeValue converts a YAML/JSON node to the value decoding the same JSON
// would give (numbers as json.Number), for test arguments.
func nodeValue(n *strictyaml.Node) any {
	switch n.Kind {
	case strictyaml.Map:
		m := make(map[string]any, len(n.Keys))
		for i, k := range n.Keys {
			m[k.Value] = nodeValue(n.Vals[i])
		}
		return m
	case strictyaml.Seq:
		out := make([]any, 0, len(n.Items))
		for _, it := range n.Items {
			out = append(out, nodeValue(it))
		}
		return out
	}
	switch n.Tag {
	case strictyaml.TagInt, strictyaml.TagFloat:
		return json.Number(n.Value)
	case strictyaml.TagBool:
		return strings.EqualFold(n.Value, "true")
	case strictyaml.TagNull:
		return nil
	}
	return n.Value
}

// LooksLikePolicy reports whether data is a policy document rather than a
// cases file: a YAML mapping with rules: or default: at the top.
func LooksLikePolicy(data []byte) bool {
	root, err := strictyaml.Parse("", data)
	if err != nil || root == nil {
		return false
	}
	return root.Get("rules") != nil || root.Get("default") != nil
}
