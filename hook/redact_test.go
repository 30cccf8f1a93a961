package hook

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
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
		out, n := redactOutput(json.RawMessage(raw), fakeRedact)
		if n != 0 || string(out) != raw {
			t.Errorf("%q: %q, %d", raw, out, n)
		}
	}
}
