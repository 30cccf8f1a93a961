package classify

import (
	"bytes"
	"encoding/json"
)

// args is a tool call's arguments, decoded lazily. Arguments that are not a
// JSON object (Codex's freeform apply_patch sends a bare string) keep only
// their raw form.
type args struct {
	raw json.RawMessage
	obj map[string]json.RawMessage
}

func parseInput(raw json.RawMessage) args {
	a := args{raw: raw}
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '{' {
		_ = json.Unmarshal(raw, &a.obj) // a bad object leaves obj nil: every lookup fails
	}
	return a
}

// str returns the string argument k; ok is false when it is absent or not a string.
func (a args) str(k string) (string, bool) {
	v, ok := a.obj[k]
	if !ok {
		return "", false
	}
	var s string
	if json.Unmarshal(v, &s) != nil {
		return "", false
	}
	return s, true
}

// strs returns the string-array argument k (a lone string counts as one).
func (a args) strs(k string) ([]string, bool) {
	v, ok := a.obj[k]
	if !ok {
		return nil, false
	}
	var list []string
	if json.Unmarshal(v, &list) == nil {
		return list, true
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return []string{s}, true
	}
	return nil, false
}

func (a args) boolean(k string) (bool, bool) {
	v, ok := a.obj[k]
	if !ok {
		return false, false
	}
	var b bool
	if json.Unmarshal(v, &b) != nil {
		return false, false
	}
	return b, true
}

// any returns the arguments decoded for the policy's argument matchers and
// the audit trail: numbers stay exact (json.Number); nil when there are none.
func (a args) any() any {
	raw := bytes.TrimSpace(a.raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if d.Decode(&v) != nil {
		return string(raw)
	}
	return v
}

// strings returns every string anywhere in the arguments, depth first, for
// tools whose payload may sit under any key (apply_patch).
func (a args) strings() []string {
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			out = append(out, x)
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(a.any())
	return out
}
