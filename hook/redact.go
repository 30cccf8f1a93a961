package hook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
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

// safeRedactOutput is redactOutput that turns a panic of the redactor into
// an error: the tool already ran, so a failure must neither crash nor block
// the hook, only be reported.
func safeRedactOutput(raw json.RawMessage, redact func(string) (string, bool)) (out json.RawMessage, n int, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, n, err = raw, 0, fmt.Errorf("internal error: %v", p)
		}
	}()
	out, n = redactOutput(raw, redact)
	return out, n, nil
}

// joinWarnings puts two warnings on the one stderr line an answer has.
func joinWarnings(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
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
			rk, changed := redact(k)
			if changed {
				*n++
			}
			if s, ok := x.(string); ok {
				if rs, changed := redact(s); changed {
					*n++
					x = rs
				} else if secretField(k, s, redact) {
					// {"password": "a b c"}, {"apiKey": "..."}: the key says
					// what the value is, as password=... would in text.
					*n++
					x = redactedMark
				}
			} else {
				x = redactValue(x, redact, n)
			}
			if _, taken := out[rk]; taken && changed {
				// Two keys redacted alike: neither value is lost.
				for i := 2; ; i++ {
					if _, taken := out[rk+" "+strconv.Itoa(i)]; !taken {
						rk += " " + strconv.Itoa(i)
						break
					}
				}
			}
			out[rk] = x
		}
		return out
	}
	return v
}

// secretField reports whether the string value s of key k holds a secret
// because of its key: redact, which judges key=value assignments in text,
// takes something out of k=s. A value it would only shorten (a password
// with spaces) is a secret whole.
func secretField(k, s string, redact func(string) (string, bool)) bool {
	if s == "" || s == redactedMark || k == "" || !isKeyLike(k) {
		return false
	}
	out, changed := redact(k + "=" + s)
	// Only a change in the value counts, not one inside the key.
	return changed && len(out) > len(k) && out[:len(k)+1] == k+"="
}

// isKeyLike reports whether k reads as a field name (letters, digits, _ - .),
// so that k=value is an assignment to it and nothing else.
func isKeyLike(k string) bool {
	if len(k) > 128 {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}
