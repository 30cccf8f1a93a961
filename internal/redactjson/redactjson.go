// Package redactjson takes secrets out of a JSON document a tool produced
// (a hook's tool output, an MCP server's result) before an agent's model
// sees it, keeping the document's shape: only strings change.
package redactjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Mark is what a redacted secret reads as (audit.Redacted).
const Mark = "[REDACTED]"

// Redactor replaces the secrets it recognises in a text and reports whether
// it changed anything (audit.Redact).
type Redactor func(string) (string, bool)

// Value returns raw with every string in it (at any depth; object keys too)
// passed through redact, and how many strings changed; 0 leaves raw as it
// is. A string whose key names a secret ({"password": "a b c"}) is redacted
// whole. A document that is not JSON is left alone: a replacement must have
// the shape its reader expects.
func Value(raw json.RawMessage, redact Redactor) (json.RawMessage, int) {
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
	v = value(v, redact, &n)
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

// Quick is Value that first asks redact about the document's text (its
// escapes decoded, as a reader of its strings sees them) and decodes the
// document only when that finds something. Most documents hold no secret:
// they pass without being decoded.
func Quick(raw json.RawMessage, redact Redactor) (json.RawMessage, int) {
	if bytes.Contains(raw, []byte(`\"`)) || bytes.ContainsAny(raw, "`$") {
		// A quote inside a string: decoded into the text it reads as the
		// end of the string, and a password value holding one ("pAsswd":
		// "\"0") is missed there. A backtick or '$' reads as a command
		// substitution, which the text redactor keeps ("pwd":"0`" is
		// missed). Such documents are decoded.
		return Value(raw, redact)
	}
	text, ok := unescaped(raw)
	if !ok {
		return Value(raw, redact)
	}
	if _, changed := redact(text); !changed {
		return raw, 0
	}
	return Value(raw, redact)
}

// unescaped returns raw as text with its JSON escapes decoded (\n is a line
// break, \u0041 is A), so that a secret behind an escape, or one that
// starts a line, reads as it does in the decoded string. It reports false
// for an escape JSON does not have.
func unescaped(raw []byte) (string, bool) {
	i := bytes.IndexByte(raw, '\\')
	if i < 0 {
		return string(raw), true
	}
	b := make([]byte, 0, len(raw))
	for i >= 0 {
		b = append(b, raw[:i]...)
		if i+1 >= len(raw) {
			return "", false
		}
		n := 2
		switch c := raw[i+1]; c {
		case '"', '\\', '/':
			b = append(b, c)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, ok := hex4(raw[i+2:])
			if !ok {
				return "", false
			}
			n = 6
			if utf16.IsSurrogate(r) {
				r2, ok := rune(-1), false
				if len(raw) >= i+12 && raw[i+6] == '\\' && raw[i+7] == 'u' {
					r2, ok = hex4(raw[i+8:])
				}
				if dec := utf16.DecodeRune(r, r2); ok && dec != utf8.RuneError {
					r, n = dec, 12
				} else {
					r = utf8.RuneError
				}
			}
			b = utf8.AppendRune(b, r)
		default:
			return "", false
		}
		raw = raw[i+n:]
		i = bytes.IndexByte(raw, '\\')
	}
	return string(append(b, raw...)), true
}

// hex4 reads the four hex digits of a \u escape.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// Safe is Quick that turns a panic of the redactor into an error: the tool
// already ran, so a failure must neither crash nor block its answer, only be
// reported.
func Safe(raw json.RawMessage, redact Redactor) (out json.RawMessage, n int, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, n, err = raw, 0, fmt.Errorf("internal error: %v", p)
		}
	}()
	out, n = Quick(raw, redact)
	return out, n, nil
}

func value(v any, redact Redactor, n *int) any {
	switch t := v.(type) {
	case string:
		if out, changed := redact(t); changed {
			*n++
			return out
		}
	case []any:
		for i := range t {
			t[i] = value(t[i], redact, n)
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
					x = Mark
				}
			} else {
				x = value(x, redact, n)
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
func secretField(k, s string, redact Redactor) bool {
	if s == "" || s == Mark || k == "" || !isKeyLike(k) {
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
