package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/safeclaw/safeclaw/sandbox"
)

// TestHookOutcomeRecorded: a PostToolUse payload through `safeclaw hook
// claude` leaves an "outcome" record that `safeclaw audit --json` finds,
// with the tool call redacted, a response summary without the output, the
// tool-use id and the run time; the answer is {} and exit 0.
func TestHookOutcomeRecorded(t *testing.T) {
	e := testEnv(t)
	payload := `{"session_id":"s-out","cwd":"` + e.Cwd + `","hook_event_name":"PostToolUse","tool_name":"Bash",` +
		`"tool_input":{"command":"curl -H 'Authorization: Bearer ghp_abcdefghijklmnopqrstuvwxyz0123456789' https://api.github.com/user","description":"who am i"},` +
		`"tool_response":{"stdout":"{\"login\":\"octocat\"}\n","stderr":"","interrupted":false,"isImage":false},"tool_use_id":"toolu_77","duration_ms":21}`
	code, out, errOut := run(t, e, payload, "hook", "claude")
	if code != 0 || strings.TrimSpace(out) != "{}" || errOut != "" {
		t.Fatalf("hook: exit %d stdout %q stderr %q", code, out, errOut)
	}

	code, out, errOut = run(t, e, "", "audit", "--filter", "type:outcome", "--json")
	if code != 0 {
		t.Fatalf("audit: exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 1 {
		t.Fatalf("want 1 outcome record, got %q", out)
	}
	var rec struct {
		Type, Surface, Agent, Session, Cwd, Request, Decision string
		Redacted                                              bool
		Notes                                                 []string
	}
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Type != "outcome" || rec.Surface != "hook" || rec.Agent != "claude" || rec.Session != "s-out" || rec.Cwd != e.Cwd || rec.Decision != "" {
		t.Errorf("record %+v", rec)
	}
	if !strings.HasPrefix(rec.Request, `Bash {"command":"curl`) || strings.Contains(rec.Request, "ghp_abcdef") || !rec.Redacted {
		t.Errorf("request not as received and redacted: %q (redacted %v)", rec.Request, rec.Redacted)
	}
	notes := strings.Join(rec.Notes, "|")
	for _, want := range []string{"event PostToolUse", "tool_use_id toolu_77", "response: interrupted=false, isImage=false, stderr 0 bytes, stdout 20 bytes", "duration 21ms"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes %q lack %q", notes, want)
		}
	}
	if strings.Contains(lines[0], "octocat") {
		t.Error("the tool's output reached the audit trail")
	}

	// The human-readable listing names it as an outcome, not a decision.
	if code, out, _ := run(t, e, "", "audit"); code != 0 || !strings.Contains(out, "[OUTCOME] claude") || strings.Contains(out, "[DENIED]") {
		t.Errorf("audit listing: %q", out)
	}
	// The trail still verifies.
	if code, out, errOut := run(t, e, "", "audit", "verify"); code != 0 {
		t.Errorf("verify: %d %s %s", code, out, errOut)
	}
}

// TestHookOutcomeNeverBlocks: when the outcome cannot be recorded (here: a
// policy that does not load, so no audit trail is opened) the agent still
// gets its normal answer, with a warning on stderr.
func TestHookOutcomeNeverBlocks(t *testing.T) {
	e := testEnv(t)
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("rules: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	payloads := map[string]string{
		"claude": `{"session_id":"s","cwd":"/p","hook_event_name":"PostToolUse","tool_name":"Bash","tool_input":{"command":"ls"},"tool_response":{"stdout":"a"},"tool_use_id":"t"}`,
		"codex":  `{"session_id":"s","cwd":"/p","hook_event_name":"PostToolUse","tool_name":"Bash","tool_input":{"command":"ls"},"tool_response":"a","tool_use_id":"c"}`,
		"gemini": `{"session_id":"s","cwd":"/p","hook_event_name":"AfterTool","tool_name":"run_shell_command","tool_input":{"command":"ls"},"tool_response":{"llmContent":"a"}}`,
	}
	for agent, p := range payloads {
		code, out, errOut := run(t, e, p, "hook", agent, "--policy", bad)
		if code != 0 || strings.Contains(out, "deny") || !strings.Contains(errOut, "warning") {
			t.Errorf("%s: exit %d stdout %q stderr %q", agent, code, out, errOut)
		}
	}
}

// TestHookRunRewrite: with --run an allowed Bash command comes back as
// updatedInput running under this binary's `run`; a denied one does not.
func TestHookRunRewrite(t *testing.T) {
	if sandbox.Supervised() {
		t.Skip("under safeclaw run, --run rewrites nothing by design")
	}
	e := testEnv(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	payload := `{"session_id":"s","cwd":"` + e.Cwd + `","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"git status","description":"status"},"tool_use_id":"t"}`
	code, out, errOut := run(t, e, payload, "hook", "claude", "--run")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var ans struct {
		HookSpecificOutput struct {
			PermissionDecision string
			UpdatedInput       map[string]any
		}
	}
	if err := json.Unmarshal([]byte(out), &ans); err != nil {
		t.Fatalf("%v: %q", err, out)
	}
	if ans.HookSpecificOutput.PermissionDecision != "allow" {
		t.Skipf("git status not allowed by the built-in policy here: %s", out)
	}
	cmd, _ := ans.HookSpecificOutput.UpdatedInput["command"].(string)
	if resolved, err := filepath.EvalSymlinks(exe); err == nil {
		exe = resolved
	}
	if want := shellWord(exe) + " run --agent claude -- bash -c 'git status'"; cmd != want || ans.HookSpecificOutput.UpdatedInput["description"] != "status" {
		t.Errorf("updatedInput %v, want command %q", ans.HookSpecificOutput.UpdatedInput, want)
	}

	deny := strings.Replace(payload, "git status", "python3 -m http.server 8080", 1)
	if _, out, _ := run(t, e, deny, "hook", "claude", "--run"); strings.Contains(out, "updatedInput") {
		t.Errorf("denied call rewritten: %q", out)
	}
}

// shellWord quotes a path as the hook does, for the expected text.
func shellWord(s string) string {
	if strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=,@+%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
