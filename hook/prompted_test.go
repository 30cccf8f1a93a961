package hook

import (
	"context"
	"strings"
	"testing"

	"github.com/safeclaw/safeclaw/action"
)

// Prompted hears of exactly the asks Claude Code puts to a person in its own
// dialog: a PreToolUse ask answered natively in a mode that prompts.
func TestPromptedOnlyWhenAPersonIsAsked(t *testing.T) {
	asks := func(context.Context, *action.Request) (action.Decision, error) {
		return action.Decision{Effect: action.Ask, Reason: "ask first"}, nil
	}
	allows := func(context.Context, *action.Request) (action.Decision, error) {
		return action.Decision{Effect: action.Allow}, nil
	}
	// As Claude Code 2.1.332 sends it (../shared/fixtures/claude.pretooluse.mcp.json).
	base := `{"session_id":"s1","cwd":"/home/dev/project","permission_mode": "default",` +
		`"hook_event_name":"PreToolUse","tool_name":"mcp__echodb__run_query","tool_input":{"sql":"DROP TABLE users"},` +
		`"tool_use_id":"toolu_mock_3","mcp_server":{"name":"echodb","source":"dynamic"}}`
	mode := func(m string) []byte {
		return []byte(strings.Replace(base, `"permission_mode": "default"`, `"permission_mode": "`+m+`"`, 1))
	}
	for _, tc := range []struct {
		name   string
		input  []byte
		decide action.DecideFunc
		ask    AskMode
		want   bool
	}{
		{"default mode, native ask", mode("default"), asks, AskDefault, true},
		{"acceptEdits", mode("acceptEdits"), asks, AskNative, true},
		{"plan", mode("plan"), asks, AskNative, true},
		{"bypassPermissions", mode("bypassPermissions"), asks, AskNative, false},
		{"dontAsk", mode("dontAsk"), asks, AskNative, false},
		{"auto", mode("auto"), asks, AskNative, false},
		{"no mode", []byte(strings.Replace(base, `"permission_mode": "default",`, ``, 1)), asks, AskNative, false},
		{"deny mode", mode("default"), asks, AskDeny, false},
		{"allowed", mode("default"), allows, AskNative, false},
		{"permission request", []byte(strings.Replace(base, `"PreToolUse"`, `"PermissionRequest"`, 1)), asks, AskNative, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []*action.Request
			opts := Options{Ask: tc.ask, Prompted: func(_ context.Context, req *action.Request, _ string) { got = append(got, req) }}
			run(t, "claude", tc.input, tc.decide, opts)
			if (len(got) == 1) != tc.want || len(got) > 1 {
				t.Fatalf("Prompted called %d times, want %v", len(got), tc.want)
			}
			if tc.want {
				acts := got[0].Actions()
				if len(acts) == 0 || acts[0].Kind != action.MCPCall || acts[0].Server != "echodb" || acts[0].Tool != "run_query" {
					t.Fatalf("request: %+v", acts)
				}
			}
		})
	}
}

// In shadow mode the call is let through without approving it: the agent's
// own permission flow goes on (no decision); the audit trail and
// --simulate say what enforcing would have done.
func TestShadowAllowMessage(t *testing.T) {
	shadow := func(context.Context, *action.Request) (action.Decision, error) {
		return action.Decision{Effect: action.Allow, Reason: "Block Python HTTP server",
			Rule:  &action.RuleRef{Name: "Block Python HTTP server", Source: "builtin:default.yaml:42"},
			Notes: []string{"shadow mode: would have been deny"}}, nil
	}
	in := []byte(`{"session_id":"s","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"python3 -m http.server"},"cwd":"/tmp"}`)
	r := run(t, "claude", in, shadow, Options{})
	if r.stdout != "" || r.code != 0 {
		t.Fatalf("claude: %d %q, want no decision", r.code, r.stdout)
	}
	if r := run(t, "codex", in, shadow, Options{}); r.stdout != "" || r.code != 0 {
		t.Errorf("codex: %d %q, want no decision", r.code, r.stdout)
	}
	gin := []byte(`{"session_id":"s","hook_event_name":"BeforeTool","tool_name":"run_shell_command","tool_input":{"command":"python3 -m http.server"},"cwd":"/tmp"}`)
	if r := run(t, "gemini", gin, shadow, Options{}); r.stdout != "{}\n" || r.code != 0 {
		t.Errorf("gemini: %d %q, want no decision", r.code, r.stdout)
	}
	cin := []byte(`{"hook_event_name":"beforeShellExecution","command":"python3 -m http.server","cwd":"/tmp"}`)
	if r := run(t, "cursor", cin, shadow, Options{}); !strings.Contains(r.stdout, `"permission":"allow"`) {
		t.Errorf("cursor (no way to abstain): %q", r.stdout)
	}
}
