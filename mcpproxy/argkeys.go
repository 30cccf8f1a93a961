package mcpproxy

import (
	"encoding/json"

	"github.com/safeclaw/safeclaw/action"
)

// A server that decodes a tool's arguments ignoring the case of their keys
// (Go's encoding/json into a struct does, matching "SQL" and "ſql" to the
// field tagged sql) reads an argument spelt in another case than its input
// schema's as that argument; rules name arguments as the schema spells
// them, and match keys exactly. So a call whose argument keys differ from
// the listed tool's schema only in case is decided with the keys as the
// schema spells them too (an extra part, see callParts), and a rule for
// sql holds for a call that says SQL.

// schemaKeys are the property names an input schema gives, each with the
// names nested under it (its own properties, its array items', and those
// of the schemas it combines: allOf, anyOf, oneOf).
type schemaKeys map[string]schemaKeys

// inputKeys are the property names of a tool's input schema (any decoded
// form of it); nil when it names none.
func inputKeys(schema any) schemaKeys {
	if schema == nil {
		return nil
	}
	b, err := json.Marshal(schema)
	if err != nil {
		return nil
	}
	var v any
	if json.Unmarshal(b, &v) != nil {
		return nil
	}
	return keysOf(v, 0)
}

// keysOf collects the property names of a decoded JSON schema.
func keysOf(schema any, depth int) schemaKeys {
	m, ok := schema.(map[string]any)
	if !ok || depth > maxArgsDepth {
		return nil
	}
	var out schemaKeys
	if props, ok := m["properties"].(map[string]any); ok {
		for k, sub := range props {
			if out == nil {
				out = schemaKeys{}
			}
			out[k] = mergeKeys(out[k], keysOf(sub, depth+1))
		}
	}
	out = mergeKeys(out, keysOf(m["items"], depth+1))
	for _, k := range []string{"allOf", "anyOf", "oneOf", "prefixItems"} {
		if list, ok := m[k].([]any); ok {
			for _, sub := range list {
				out = mergeKeys(out, keysOf(sub, depth+1))
			}
		}
	}
	return out
}

func mergeKeys(a, b schemaKeys) schemaKeys {
	if a == nil {
		return b
	}
	for k, sub := range b {
		a[k] = mergeKeys(a[k], sub)
	}
	return a
}

// schemaSpelling returns v with every object key that is not among the
// schema's names at its place, but folds alike (action.FoldKey) to exactly
// one of them, spelt as the schema spells it; and whether any key changed.
// Unchanged parts of v are shared.
func schemaSpelling(v any, keys schemaKeys, depth int) (any, bool) {
	if len(keys) == 0 || depth > maxArgsDepth {
		return v, false
	}
	switch x := v.(type) {
	case map[string]any:
		var folded map[string][]string
		changed := false
		out := make(map[string]any, len(x))
		for k, e := range x {
			name := k
			if _, ok := keys[k]; !ok {
				if folded == nil {
					folded = make(map[string][]string, len(keys))
					for sk := range keys {
						f := action.FoldKey(sk)
						folded[f] = append(folded[f], sk)
					}
				}
				if c := folded[action.FoldKey(k)]; len(c) == 1 {
					name = c[0]
				}
			}
			sub, subChanged := schemaSpelling(e, keys[name], depth+1)
			_, taken := out[name]
			if _, exists := x[name]; taken || name != k && exists {
				name = k // never drop an argument (keys folding alike are refused before)
			}
			out[name] = sub
			changed = changed || name != k || subChanged
		}
		if !changed {
			return v, false
		}
		return out, true
	case []any:
		return rewriteElems(x, func(e any) (any, bool) { return schemaSpelling(e, keys, depth+1) })
	}
	return v, false
}
