package hook

import (
	"bytes"
	"encoding/json"
)

// outputRewriter is an adapter whose agent lets an outcome hook replace
// the tool output its model sees.
type outputRewriter interface {
	// rewriteOutput answers ev with out in place of the tool's output; n
	// secrets were taken out of it.
	rewriteOutput(ev *event, out json.RawMessage, n int) reply
}

// redactOutput returns the tool output raw with every string in it (at any
// depth; object keys too) passed through redact, and how many strings
// changed; 0 leaves raw as it is. Output that is not JSON is left alone: a
// replacement must have the shape the agent expects.
func redactOutput(raw json.RawMessage, redact func(string) (string, bool)) (json.RawMessage, int) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return raw, 0
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // numbers come back as written
	var v any
	if dec.Decode(&v) != nil || dec.InputOffset() != int64(len(bytes.TrimRight(raw, " \t\r\n"))) {
		return raw, 0
	}
	n := 0
	v = redactValue(v, redact, &n)
	if n == 0 {
		return raw, 0
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if enc.Encode(v) != nil {
		return raw, 0
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), n
}

func redactValue(v any, redact func(string) (string, bool), n *int) any {
	switch t := v.(type) {
	case string:
		if out, changed := redact(t); changed {
			*n++
			return out
		}
	case []any:
		for i := range t {
			t[i] = redactValue(t[i], redact, n)
		}
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			if rk, changed := redact(k); changed {
				*n++
				k = rk
			}
			out[k] = redactValue(x, redact, n)
		}
		return out
	}
	return v
}
