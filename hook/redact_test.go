package hook

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/safeclaw/safeclaw/internal/redactjson"
)

// fakeRedact stands in for the audit trail's redactor: it knows one secret.
func fakeRedact(s string) (string, bool) {
	if !strings.Contains(s, "sk-live-123") {
		return s, false
	}
	return strings.ReplaceAll(s, "sk-live-123", "[REDACTED]"), true
}

// Claude Code's PostToolUse lets safeclaw replace the output the model sees:
// a secret in it is redacted wherever it is (any string at any depth, keys
// too), everything else is kept as it was (numbers as written), and the
// model is told not to write the placeholder back. Output without secrets,
// failure events, other agents and a nil Redact answer as before. The
// outcome is recorded with the original output either way.
func TestRedactOutput(t *testing.T) {
	post := func(event, response string) []byte {
		return []byte(`{"session_id":"s","cwd":"/p","hook_event_name":"` + event + `","tool_name":"Bash","tool_use_id":"t1",` +
			`"tool_input":{"command":"cat .env"},"tool_response":` + response + `,"duration_ms":3}`)
	}
	var recorded []Outcome
	rec := func(_ context.Context, o Outcome) error { recorded = append(recorded, o); return nil }
	secret := `{"stdout":"KEY=sk-live-123\nok","stderr":"","interrupted":false,"n":1.50,"list":[{"sk-live-123":"x"}]}`

	r := run(t, "claude", post("PostToolUse", secret), nil, Options{Record: rec, Redact: fakeRedact})
	var got struct {
		HookSpecificOutput struct {
			HookEventName     string         `json:"hookEventName"`
			UpdatedToolOutput map[string]any `json:"updatedToolOutput"`
			AdditionalContext string         `json:"additionalContext"`
		} `json:"hookSpecificOutput"`
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &got) != nil {
		t.Fatalf("answer %+v", r)
	}
	h := got.HookSpecificOutput
	if h.HookEventName != "PostToolUse" || strings.Contains(r.stdout, "sk-live-123") ||
		!strings.Contains(r.stdout, `"updatedToolOutput":{"interrupted":false,"list":[{"[REDACTED]":"x"}],"n":1.50,"stderr":"","stdout":"KEY=[REDACTED]\nok"}`) {
		t.Errorf("answer %s", r.stdout)
	}
	if !strings.Contains(h.AdditionalContext, "secrets") || !strings.Contains(h.AdditionalContext, "never write [REDACTED]") {
		t.Errorf("context %q", h.AdditionalContext)
	}
	if len(recorded) != 1 || !strings.Contains(string(recorded[0].Response), "sk-live-123") {
		t.Errorf("recorded %+v", recorded)
	}

	for _, tc := range []struct {
		name, agent string
		input       []byte
		opts        Options
		want        string
	}{
		{"no secret", "claude", post("PostToolUse", `{"stdout":"ok"}`), Options{Redact: fakeRedact}, "{}\n"},
		{"string output", "claude", post("PostToolUse", `"sk-live-123"`), Options{Redact: fakeRedact}, ""},
		{"failure event", "claude", post("PostToolUseFailure", secret), Options{Redact: fakeRedact}, "{}\n"},
		{"redaction off", "claude", post("PostToolUse", secret), Options{}, "{}\n"},
		{"codex", "codex", post("PostToolUse", secret), Options{Redact: fakeRedact}, ""},
	} {
		r := run(t, tc.agent, tc.input, nil, tc.opts)
		switch tc.want {
		case "":
			if tc.name == "string output" {
				// A bare string is redacted too, keeping its type.
				if !strings.Contains(r.stdout, `"updatedToolOutput":"[REDACTED]"`) {
					t.Errorf("%s: %+v", tc.name, r)
				}
			} else if r.stdout != "" || r.code != 0 {
				t.Errorf("%s: %+v", tc.name, r)
			}
		default:
			if r.stdout != tc.want || r.code != 0 {
				t.Errorf("%s: %+v", tc.name, r)
			}
		}
	}
}

// Output that does not decode is left as it is (no replacement of another
// shape); so is output without strings.
func TestRedactOutputLeavesOddOutput(t *testing.T) {
	for _, raw := range []string{``, `  `, `{"a":`, `[1,2,3]`, `null`, `{"stdout":"sk-live-123"} trailing`} {
		out, n := redactjson.Value(json.RawMessage(raw), fakeRedact)
		if n != 0 || string(out) != raw {
			t.Errorf("%q: %q, %d", raw, out, n)
		}
	}
}

// keyRedact stands in for the audit trail's redactor on assignments: it
// knows sk-live-123 anywhere and redacts the first word after password= or
// apiKey= (as the real one does for key=value text).
func keyRedact(s string) (string, bool) {
	out, changed := fakeRedact(s)
	for _, k := range []string{"password=", "apiKey="} {
		if i := strings.Index(out, k); i >= 0 {
			v := out[i+len(k):]
			end := strings.IndexAny(v, " \n")
			if end < 0 {
				end = len(v)
			}
			if end > 0 && v[:end] != "[REDACTED]" {
				out, changed = out[:i+len(k)]+"[REDACTED]"+v[end:], true
			}
		}
	}
	return out, changed
}

// A secret named by its key in a structured output (an MCP tool's
// {"password": ...}) is redacted whole, even when its text alone looks
// harmless or holds spaces; other fields of the same object are kept.
// Two keys that redact alike keep both values.
func TestRedactOutputSecretKeys(t *testing.T) {
	raw := `{"user":"app","password":"correct horse battery","apiKey":"Zx9","note":"password rotation is monthly","n":3,"nested":[{"password":"pw"}],` +
		`"sk-live-123":"a","x sk-live-123":"b"}`
	out, n := redactjson.Value(json.RawMessage(raw), keyRedact)
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	if got["password"] != "[REDACTED]" || got["apiKey"] != "[REDACTED]" || got["user"] != "app" ||
		got["note"] != "password rotation is monthly" || got["n"] != float64(3) {
		t.Errorf("%s", out)
	}
	if nested := got["nested"].([]any)[0].(map[string]any); nested["password"] != "[REDACTED]" {
		t.Errorf("nested %s", out)
	}
	if got["[REDACTED]"] != "a" || got["x [REDACTED]"] != "b" || strings.Contains(string(out), "sk-live-123") || n != 5 {
		t.Errorf("%d: %s", n, out)
	}
	// Two keys redacting to the same text: both values stay.
	out, _ = redactjson.Value(json.RawMessage(`{"sk-live-123":"a","[REDACTED]x":"c"}`), func(s string) (string, bool) {
		if s == "sk-live-123" || s == "[REDACTED]x" {
			return "[REDACTED]", true
		}
		return s, false
	})
	if !strings.Contains(string(out), `"a"`) || !strings.Contains(string(out), `"c"`) {
		t.Errorf("collision lost a value: %s", out)
	}
}

// A trail that cannot be written, or a redactor that panics, never blocks
// the hook nor crashes it (the tool already ran): the first still redacts
// the output, the second answers as if nothing were found; both warn on
// stderr.
func TestRedactOutputFailures(t *testing.T) {
	in := []byte(`{"session_id":"s","cwd":"/p","hook_event_name":"PostToolUse","tool_name":"Bash","tool_use_id":"t1",` +
		`"tool_input":{"command":"cat .env"},"tool_response":{"stdout":"KEY=sk-live-123"},"duration_ms":3}`)
	failing := func(context.Context, Outcome) error { return errors.New("disk full") }
	r := run(t, "claude", in, nil, Options{Record: failing, Redact: fakeRedact})
	if r.code != 0 || strings.Contains(r.stdout, "sk-live-123") || !strings.Contains(r.stdout, `"stdout":"KEY=[REDACTED]"`) ||
		!strings.Contains(r.stderr, "not recorded") || !strings.Contains(r.stderr, "disk full") {
		t.Errorf("record failure: %+v", r)
	}
	panics := func(string) (string, bool) { panic("boom") }
	r = run(t, "claude", in, nil, Options{Redact: panics})
	if r.code != 0 || r.stdout != "{}\n" || !strings.Contains(r.stderr, "not checked for secrets") || !strings.Contains(r.stderr, "boom") {
		t.Errorf("redactor panic: %+v", r)
	}
	var recorded int
	rec := func(context.Context, Outcome) error { recorded++; return nil }
	r = run(t, "claude", in, nil, Options{Record: rec, Redact: panics})
	if r.code != 0 || r.stdout != "{}\n" || recorded != 1 || strings.Contains(r.stderr, "not recorded") {
		t.Errorf("redactor panic after a record: %+v (%d recorded)", r, recorded)
	}
}
