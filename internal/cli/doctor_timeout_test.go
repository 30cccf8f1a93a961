package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// editHandlers rewrites the handlers of event in an agent's settings file
// with set (Cursor's lists hold handlers, the others' matcher groups).
func editHandlers(t *testing.T, path, event string, set func(h map[string]any)) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	for _, item := range doc["hooks"].(map[string]any)[event].([]any) {
		m := item.(map[string]any)
		hs, grouped := m["hooks"].([]any)
		if !grouped {
			set(m)
			continue
		}
		for _, h := range hs {
			set(h.(map[string]any))
		}
	}
	out, _ := json.MarshalIndent(doc, "", "  ")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestDoctorHookWaits: a deciding hook the agent stops waiting for before
// safeclaw answers (a timeout at or below safeclaw's own deadline: 20 s, 4
// minutes with --ask wait; Gemini's timeout is in milliseconds, so a
// "timeout": 300 written in seconds is 0.3 s), or one it does not wait for
// at all (async), lets Codex and Gemini run the call unchecked and makes
// Claude Code and Cursor block it without safeclaw's answer. Doctor said
// nothing of either.
func TestDoctorHookWaits(t *testing.T) {
	for _, tt := range []struct {
		name    string
		install []string
		file    string
		event   string
		set     func(h map[string]any)
		want    string // "" when doctor must find nothing
	}{
		{"gemini seconds as milliseconds", []string{"gemini"}, ".gemini/settings.json", "BeforeTool",
			func(h map[string]any) { h["timeout"] = 300 },
			`FAIL  gemini: HOME/.gemini/settings.json: the BeforeTool hook has "timeout": 300 (milliseconds), so the agent waits 300ms, too short for safeclaw's own deadline of 20s (its default): Gemini CLI stops waiting first and runs the tool call unchecked`},
		{"gemini default 60 s with --ask wait", []string{"gemini", "--ask", "wait"}, ".gemini/settings.json", "BeforeTool",
			func(h map[string]any) { delete(h, "timeout") },
			`FAIL  gemini: HOME/.gemini/settings.json: the BeforeTool hook has no timeout (the agent's default), so the agent waits 1m0s, too short for safeclaw's own deadline of 4m0s (--ask wait)`},
		{"gemini default 60 s", []string{"gemini"}, ".gemini/settings.json", "BeforeTool",
			func(h map[string]any) { delete(h, "timeout") }, ""},
		{"codex 60 s with --ask wait", []string{"codex", "--ask", "wait"}, ".codex/hooks.json", "PreToolUse",
			func(h map[string]any) { h["timeout"] = 60 },
			`FAIL  codex: HOME/.codex/hooks.json: the PreToolUse hook has "timeout": 60, so the agent waits 1m0s, too short for safeclaw's own deadline of 4m0s (--ask wait): Codex stops waiting first and runs the tool call unchecked`},
		{"codex async", []string{"codex"}, ".codex/hooks.json", "PreToolUse",
			func(h map[string]any) { h["async"] = true },
			`FAIL  codex: HOME/.codex/hooks.json: the PreToolUse hook is "async": true: the agent does not wait for its answer and runs every tool call unchecked`},
		{"claude async", []string{"claude"}, ".claude/settings.json", "PreToolUse",
			func(h map[string]any) { h["async"] = true },
			`FAIL  claude: HOME/.claude/settings.json: the PreToolUse hook is "async": true`},
		{"claude async PostToolUse (installs before redaction)", []string{"claude"}, ".claude/settings.json", "PostToolUse",
			func(h map[string]any) { h["async"] = true },
			`FAIL  claude: HOME/.claude/settings.json: the PostToolUse hook is "async": true: Claude Code does not wait for it, so secrets in tool outputs reach the model unredacted`},
		{"claude PostToolUse as installed", []string{"claude"}, ".claude/settings.json", "PostToolUse",
			func(map[string]any) {}, ""},
		{"claude --timeout above the agent's", []string{"claude"}, ".claude/settings.json", "PermissionRequest",
			func(h map[string]any) { h["args"] = []any{"hook", "claude", "--timeout", "10m"} },
			`FAIL  claude: HOME/.claude/settings.json: the PermissionRequest hook has "timeout": 300, so the agent waits 5m0s, too short for safeclaw's own deadline of 10m0s (its --timeout): Claude Code stops waiting first and blocks the call`},
		{"cursor 10 s", []string{"cursor"}, ".cursor/hooks.json", "beforeShellExecution",
			func(h map[string]any) { h["timeout"] = 10 },
			`FAIL  cursor: HOME/.cursor/hooks.json: the beforeShellExecution hook has "timeout": 10, so the agent waits 10s`},
		{"as installed", []string{"codex", "--ask", "wait"}, ".codex/hooks.json", "PreToolUse",
			func(map[string]any) {}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := testEnv(t)
			bin := fakeSafeclaw(t)
			mustInstall(t, e, append(tt.install, "--binary", bin)...)
			path := filepath.Join(e.Home, tt.file)
			editHandlers(t, path, tt.event, tt.set)
			if tt.want == "" {
				doctorSays(t, e, nil, []string{"FAIL  " + tt.install[0]})
				return
			}
			// (An edited Codex hook is also no longer trusted: reported too.)
			want := strings.ReplaceAll(tt.want, "HOME", e.Home)
			doctorSays(t, e, []string{want}, nil)
		})
	}
}
