package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHookCommand runs `safeclaw hook AGENT` in-process with the built-in
// policy and a real audit trail under SAFECLAW_HOME.
func TestHookCommand(t *testing.T) {
	e := testEnv(t)
	payload := `{"session_id":"s1","cwd":"` + e.Cwd + `","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"python3 -m http.server 8080"},"tool_use_id":"t1"}`
	code, out, errOut := run(t, e, payload, "hook", "claude")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var ans struct {
		HookSpecificOutput struct{ HookEventName, PermissionDecision, PermissionDecisionReason string }
	}
	if err := json.Unmarshal([]byte(out), &ans); err != nil {
		t.Fatalf("%v: %q", err, out)
	}
	if ans.HookSpecificOutput.HookEventName != "PreToolUse" || ans.HookSpecificOutput.PermissionDecision != "deny" ||
		!strings.Contains(ans.HookSpecificOutput.PermissionDecisionReason, "rule") {
		t.Errorf("answer %+v", ans)
	}
	// The decision is in the audit trail.
	if entries, _ := filepath.Glob(filepath.Join(e.AuditDir(), "*")); len(entries) == 0 {
		t.Error("no audit trail written")
	}

	// Codex gets silence for an allow and a deny with a reason otherwise.
	code, out, _ = run(t, e, `{"session_id":"s2","cwd":"`+e.Cwd+`","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"nc -lvnp 4444"},"tool_use_id":"c1"}`, "hook", "codex")
	if code != 0 || !strings.Contains(out, `"deny"`) {
		t.Errorf("codex: %d %q", code, out)
	}
}

func TestHookCommandFailsClosed(t *testing.T) {
	e := testEnv(t)
	payload := `{"session_id":"s1","cwd":"/p","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"ls"},"tool_use_id":"t1"}`

	// A policy that does not load: the agent's blocking answer.
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("rules:\n  - action: shell.execute\n    efect: allow\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, agent := range []string{"claude", "codex", "gemini", "cursor"} {
		code, out, errOut := run(t, e, payload, "hook", agent, "--policy", bad)
		if code != 2 || strings.TrimSpace(errOut) == "" {
			t.Errorf("%s with a broken policy: exit %d stdout %q stderr %q", agent, code, out, errOut)
		}
		if strings.Contains(out, `"allow"`) {
			t.Errorf("%s: allow printed on failure: %q", agent, out)
		}
	}
	// A config.yaml that does not load: the same deny form from Claude's
	// hook (which reads its ask mode from it first) as from Codex's.
	if err := os.MkdirAll(e.ConfigDir, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(e.ConfigDir, "config.yaml")
	if err := os.WriteFile(cfg, []byte("mode: [bad\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, agent := range []string{"claude", "codex"} {
		code, out, errOut := run(t, e, payload, "hook", agent)
		if code != 2 || !strings.Contains(out, "deny") || !strings.Contains(errOut, "config.yaml") {
			t.Errorf("%s with a broken config.yaml: exit %d stdout %q stderr %q", agent, code, out, errOut)
		}
	}
	os.Remove(cfg)
	// A missing policy file is not a silent fallback to the built-in one.
	if code, _, _ := run(t, e, payload, "hook", "claude", "--policy", filepath.Join(t.TempDir(), "missing.yaml")); code != 2 {
		t.Errorf("missing policy: exit %d", code)
	}
	for _, args := range [][]string{
		{"hook"},
		{"hook", "copilot"},
		{"hook", "claude", "--ask", "maybe"},
		{"hook", "claude", "--no-such-flag"},
		{"hook", "claude", "extra"},
	} {
		if code, _, errOut := run(t, e, payload, args...); code != 2 || errOut == "" {
			t.Errorf("%v: exit %d stderr %q", args, code, errOut)
		}
	}
	for _, in := range []string{"", "{", `{"hook_event_name":"PreToolUse"}`} {
		if code, _, _ := run(t, e, in, "hook", "claude"); code != 2 {
			t.Errorf("input %q: exit %d", in, code)
		}
	}
	if code, out, _ := run(t, e, "", "hook", "--help"); code != 0 || !strings.Contains(out, "Usage: safeclaw hook") {
		t.Errorf("--help: %d %q", code, out)
	}
}

// TestToolArgumentsNamingSafeclawFiles: an MCP tool the user's policy
// allows still may not be pointed at safeclaw's keys or policy (a
// filesystem server's read_file or write_file), through the hook as
// through the proxy; other paths pass.
func TestToolArgumentsNamingSafeclawFiles(t *testing.T) {
	e := testEnv(t)
	pol := filepath.Join(t.TempDir(), "p.yaml")
	if err := os.WriteFile(pol, []byte("rules:\n  - action: mcp.call\n    server: fs\n    effect: allow\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(e.KeyDir(), "audit.key")
	for path, want := range map[string]string{
		key: "deny",
		filepath.Join(e.ConfigDir, "policy.yaml"):         "deny",
		filepath.Join(e.Home, ".claude", "settings.json"): "deny",
		filepath.Join(e.Cwd, "README.md"):                 "allow",
		// Every spelling of a file: URL a URL parser reads as that file.
		"file://" + key:          "deny",
		"file://localhost" + key: "deny",
		"FILE://LOCALHOST" + key: "deny",
		"file:" + key:            "deny",
		"File:///" + strings.TrimPrefix(strings.ReplaceAll(key, "audit.key", "%61udit.key"), "/"): "deny",
		"file://otherhost" + key: "deny", // many servers ignore the host
	} {
		payload := fmt.Sprintf(`{"session_id":"s","cwd":%q,"hook_event_name":"PreToolUse","tool_name":"mcp__fs__read_file","tool_input":{"path":%q},"tool_use_id":"t"}`, e.Cwd, path)
		code, out, errOut := run(t, e, payload, "hook", "claude", "--policy", pol)
		if code != 0 || !strings.Contains(out, `"permissionDecision":"`+want+`"`) {
			t.Errorf("%s: exit %d, %s %s", path, code, out, errOut)
		}
		if want == "deny" && !strings.Contains(out, "Protect safeclaw's own files") {
			t.Errorf("%s: denied by another rule: %s", path, out)
		}
	}
}

// TestHookWorkspaceIsTheAgentsProject: the workspace follows the project
// Claude Code was started in (CLAUDE_PROJECT_DIR), not the directory a
// command cd'd into since; a hook run from / edits nothing as "its
// workspace".
func TestHookWorkspaceIsTheAgentsProject(t *testing.T) {
	// Outside /tmp, which the built-in policy lets agents write anyway.
	root, err := os.MkdirTemp("/var/tmp", "schp")
	if err != nil {
		t.Skip(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	proj := filepath.Join(root, "proj")
	elsewhere := filepath.Join(root, "elsewhere")
	for _, d := range []string{filepath.Join(proj, ".git"), elsewhere} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(cwd, projectDir, path string) string {
		e := testEnv(t)
		e.Cwd = cwd
		get := e.Getenv
		e.Getenv = func(k string) string {
			if k == "CLAUDE_PROJECT_DIR" {
				return projectDir
			}
			return get(k)
		}
		payload := fmt.Sprintf(`{"session_id":"s","cwd":%q,"hook_event_name":"PreToolUse","tool_name":"Write","tool_input":{"file_path":%q,"content":"x"}}`, cwd, path)
		code, out, errOut := run(t, e, payload, "hook", "claude")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		var ans struct {
			HookSpecificOutput struct{ PermissionDecision string }
		}
		if err := json.Unmarshal([]byte(out), &ans); err != nil {
			t.Fatalf("%v: %q", err, out)
		}
		return ans.HookSpecificOutput.PermissionDecision
	}
	tests := []struct {
		name, cwd, projectDir, path, want string
	}{
		{"in the project", proj, proj, filepath.Join(proj, "main.go"), "allow"},
		{"cd'd elsewhere: the project still", elsewhere, proj, filepath.Join(proj, "main.go"), "allow"},
		{"cd'd elsewhere: not a workspace", elsewhere, proj, filepath.Join(elsewhere, "x.go"), "deny"},
		{"run from / without a project", "/", "", "/usr/local/bin/evil", "deny"},
		{"a relative project dir is ignored", proj, "rel/dir", filepath.Join(proj, "main.go"), "allow"},
	}
	for _, tt := range tests {
		if got := write(tt.cwd, tt.projectDir, tt.path); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
}

// config.yaml's approvals.claude_ask chooses how Claude Code's asks are
// answered when the hook's command line does not say (--ask).
func TestHookClaudeAskFromConfig(t *testing.T) {
	e := testEnv(t)
	if err := os.MkdirAll(e.ConfigDir, 0o700); err != nil {
		t.Fatal(err)
	}
	pol := filepath.Join(t.TempDir(), "p.yaml")
	if err := os.WriteFile(pol, []byte("rules:\n  - {command_pattern: \"npm run dev\", effect: ask}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	payload := `{"session_id":"s","cwd":"` + e.Cwd + `","permission_mode":"default","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"npm run dev"},"tool_use_id":"t1"}`
	decision := func() string {
		code, out, errOut := run(t, e, payload, "hook", "claude", "--policy", pol)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		var ans struct {
			HookSpecificOutput struct{ PermissionDecision string }
		}
		json.Unmarshal([]byte(out), &ans)
		return ans.HookSpecificOutput.PermissionDecision
	}
	if got := decision(); got != "ask" {
		t.Errorf("default (native): %q", got)
	}
	if err := os.WriteFile(filepath.Join(e.ConfigDir, "config.yaml"), []byte("approvals:\n  claude_ask: deny\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := decision(); got != "deny" {
		t.Errorf("claude_ask: deny: %q", got)
	}
	if code, out, _ := run(t, e, payload, "hook", "claude", "--policy", pol, "--ask", "native"); code != 0 || !strings.Contains(out, `"ask"`) {
		t.Errorf("--ask native over the config: %d %s", code, out)
	}
}
