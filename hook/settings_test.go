package hook

import (
	"encoding/json"
	"strings"
	"testing"
)

const bin = "/opt/safe claw/bin/safeclaw"

func argvFor(agent string) []string { return []string{bin, "hook", agent} }

// userClaudeSettings has other keys, another PreToolUse hook in a group of
// its own and one sharing a group with an old safeclaw entry.
const userClaudeSettings = `{
  "model": "opus",
  "permissions": {"allow": ["Bash(git status)"], "deny": []},
  "hooks": {
    "PreToolUse": [
      {"matcher": "Bash", "hooks": [{"type": "command", "command": "/usr/local/bin/lint-bash"}]},
      {"matcher": "*", "hooks": [
        {"type": "command", "command": "safeclaw hook claude", "timeout": 30},
        {"type": "command", "command": "/usr/bin/logger -t claude"}
      ]}
    ],
    "Stop": [{"hooks": [{"type": "command", "command": "notify-send done"}]}]
  },
  "statusLine": {"type": "command", "command": "echo hi"}
}`

func TestEditSettingsClaude(t *testing.T) {
	out, changed, err := EditSettings("claude", []byte(userClaudeSettings), argvFor("claude"), false)
	if err != nil || !changed {
		t.Fatalf("changed %v err %v", changed, err)
	}
	var s struct {
		Model       string
		Permissions map[string]any
		StatusLine  map[string]any
		Hooks       map[string][]struct {
			Matcher string
			Hooks   []map[string]any
		}
	}
	if err := json.Unmarshal(out, &s); err != nil {
		t.Fatalf("invalid JSON out: %v\n%s", err, out)
	}
	if s.Model != "opus" || s.Permissions == nil || s.StatusLine == nil || len(s.Hooks["Stop"]) != 1 {
		t.Errorf("other settings lost:\n%s", out)
	}
	pre := s.Hooks["PreToolUse"]
	if len(pre) != 3 {
		t.Fatalf("PreToolUse groups %d, want 3 (user, user's remaining, safeclaw):\n%s", len(pre), out)
	}
	if pre[0].Hooks[0]["command"] != "/usr/local/bin/lint-bash" || len(pre[1].Hooks) != 1 || pre[1].Hooks[0]["command"] != "/usr/bin/logger -t claude" {
		t.Errorf("user hooks changed:\n%s", out)
	}
	ours := pre[2]
	h := ours.Hooks[0]
	if ours.Matcher != "*" || h["command"] != bin || h["onFailure"] != "block" || h["timeout"] != float64(300) || h["type"] != "command" {
		t.Errorf("safeclaw PreToolUse handler %v", h)
	}
	if args, _ := h["args"].([]any); len(args) != 2 || args[0] != "hook" || args[1] != "claude" {
		t.Errorf("args %v", h["args"])
	}
	if len(s.Hooks["PermissionRequest"]) != 1 || s.Hooks["PermissionRequest"][0].Hooks[0]["onFailure"] != "block" {
		t.Errorf("PermissionRequest %v", s.Hooks["PermissionRequest"])
	}
	// PostToolUse is waited for: its answer may redact the tool's output.
	if post := s.Hooks["PostToolUse"]; len(post) != 1 || post[0].Hooks[0]["async"] != nil || post[0].Hooks[0]["timeout"] != float64(10) {
		t.Errorf("PostToolUse %v", post)
	}
	// Key order is kept: model first, statusLine last.
	if !(strings.Index(string(out), `"model"`) < strings.Index(string(out), `"permissions"`) &&
		strings.Index(string(out), `"hooks"`) < strings.Index(string(out), `"statusLine"`)) {
		t.Errorf("key order changed:\n%s", out)
	}

	// Idempotent.
	again, changed, err := EditSettings("claude", out, argvFor("claude"), false)
	if err != nil || changed || string(again) != string(out) {
		t.Errorf("second install changed the file (changed=%v err=%v):\n%s", changed, err, again)
	}

	// Uninstall leaves exactly the user's hooks.
	un, changed, err := EditSettings("claude", out, argvFor("claude"), true)
	if err != nil || !changed {
		t.Fatalf("uninstall: changed %v err %v", changed, err)
	}
	if strings.Contains(string(un), "safeclaw") || strings.Contains(string(un), "PermissionRequest") {
		t.Errorf("uninstall left safeclaw behind:\n%s", un)
	}
	if !strings.Contains(string(un), "lint-bash") || !strings.Contains(string(un), "logger") || !strings.Contains(string(un), "notify-send") {
		t.Errorf("uninstall removed user hooks:\n%s", un)
	}
	un2, changed, _ := EditSettings("claude", un, argvFor("claude"), true)
	if changed || string(un2) != string(un) {
		t.Error("second uninstall changed the file")
	}
}

func TestEditSettingsEmptyAndAbsent(t *testing.T) {
	for _, agent := range Agents() {
		out, changed, err := EditSettings(agent, nil, argvFor(agent), false)
		if err != nil || !changed || !json.Valid(out) {
			t.Fatalf("%s: changed %v err %v\n%s", agent, changed, err, out)
		}
		if !strings.Contains(string(out), "hook") {
			t.Errorf("%s: no hook written:\n%s", agent, out)
		}
		un, _, err := EditSettings(agent, out, argvFor(agent), true)
		if err != nil || strings.TrimSpace(string(un)) != "{}" && agent != "cursor" {
			t.Errorf("%s: uninstall of a fresh install: %v\n%s", agent, err, un)
		}
	}
}

func TestEditSettingsPerAgent(t *testing.T) {
	out, _, err := EditSettings("codex", nil, argvFor("codex"), false)
	if err != nil {
		t.Fatal(err)
	}
	var codex struct {
		Hooks map[string][]struct {
			Matcher string
			Hooks   []struct {
				Type, Command string
				Timeout       int
			}
		}
	}
	if err := json.Unmarshal(out, &codex); err != nil {
		t.Fatal(err)
	}
	h := codex.Hooks["PreToolUse"][0].Hooks[0]
	if h.Command != `'/opt/safe claw/bin/safeclaw' hook codex` || h.Timeout != 300 || len(codex.Hooks["PermissionRequest"]) != 1 {
		t.Errorf("codex hooks.json:\n%s", out)
	}
	if strings.Contains(string(out), "ask") {
		t.Error("codex config mentions ask")
	}

	out, _, err = EditSettings("gemini", []byte(`{"security":{"auth":{"selectedType":"gemini-api-key"}}}`), argvFor("gemini"), false)
	if err != nil {
		t.Fatal(err)
	}
	var gem struct {
		Security map[string]any
		Hooks    map[string][]struct {
			Matcher string
			Hooks   []struct {
				Command string
				Timeout int
			}
		}
	}
	if err := json.Unmarshal(out, &gem); err != nil || gem.Security == nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if g := gem.Hooks["BeforeTool"]; len(g) != 1 || g[0].Matcher != ".*" || g[0].Hooks[0].Timeout != 300000 {
		t.Errorf("gemini settings:\n%s", out)
	}

	out, _, err = EditSettings("cursor", []byte(`{"version":1,"hooks":{"afterFileEdit":[{"command":"./format.sh"}],"beforeShellExecution":[{"command":"'/old/path/safeclaw' hook cursor"}]}}`), argvFor("cursor"), false)
	if err != nil {
		t.Fatal(err)
	}
	var cur struct {
		Version int
		Hooks   map[string][]map[string]any
	}
	if err := json.Unmarshal(out, &cur); err != nil {
		t.Fatal(err)
	}
	if cur.Version != 1 || len(cur.Hooks["afterFileEdit"]) != 1 || len(cur.Hooks["beforeShellExecution"]) != 1 ||
		cur.Hooks["beforeShellExecution"][0]["failClosed"] != true || cur.Hooks["preToolUse"][0]["matcher"] != "Shell" || len(cur.Hooks["beforeReadFile"]) != 1 {
		t.Errorf("cursor hooks.json:\n%s", out)
	}
}

func TestEditSettingsRejectsBadFiles(t *testing.T) {
	for _, bad := range []string{`[]`, `{"hooks": 3}`, `{"hooks": {"PreToolUse": {}}}`, `{"a":1}{"b":2}`, `{"a":1`, `// comment
{}`} {
		if _, _, err := EditSettings("claude", []byte(bad), argvFor("claude"), false); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
	if _, _, err := EditSettings("claude", nil, []string{"safeclaw", "hook", "claude"}, false); err == nil {
		t.Error("accepted a relative command")
	}
	if _, _, err := EditSettings("copilot", nil, argvFor("copilot"), false); err == nil {
		t.Error("accepted an unknown agent")
	}
}

func TestSettingsWarnings(t *testing.T) {
	if w := SettingsWarnings("claude", []byte(`{"disableAllHooks": true}`)); len(w) != 1 {
		t.Errorf("warnings %v", w)
	}
	if w := SettingsWarnings("claude", []byte(`{"disableAllHooks": false}`)); len(w) != 0 {
		t.Errorf("warnings %v", w)
	}
}

func TestShellSplit(t *testing.T) {
	for in, want := range map[string][]string{
		`safeclaw hook claude`:                    {"safeclaw", "hook", "claude"},
		`'/opt/safe claw/safeclaw' hook codex`:    {"/opt/safe claw/safeclaw", "hook", "codex"},
		`"/a b/safeclaw" hook  gemini --ask=deny`: {"/a b/safeclaw", "hook", "gemini", "--ask=deny"},
		`/a\ b/safeclaw hook`:                     {"/a b/safeclaw", "hook"},
		`/home/jürgen/bin/safeclaw hook claude`:   {"/home/jürgen/bin/safeclaw", "hook", "claude"},
		`'/srv/ü dir/safeclaw' hook "ß"`:          {"/srv/ü dir/safeclaw", "hook", "ß"},
	} {
		got := shellSplit(in)
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("shellSplit(%q) = %q, want %q", in, got, want)
		}
	}
	if got := shellSplit(shellJoin([]string{"/x/it's here", "hook"})); got[0] != "/x/it's here" {
		t.Errorf("round trip %q", got)
	}
}

// FuzzEditSettings: any settings file either is refused or yields valid
// JSON that installing again leaves unchanged and uninstalling cleans.
//
// Run with: go test ./hook -run=- -fuzz=FuzzEditSettings -fuzztime=30s
func FuzzEditSettings(f *testing.F) {
	f.Add([]byte(userClaudeSettings), uint8(0))
	f.Add([]byte(`{"hooks":{"beforeShellExecution":[{"command":"safeclaw hook cursor"}]}}`), uint8(3))
	f.Add([]byte(`{}`), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, which uint8) {
		agent := Agents()[int(which)%len(Agents())]
		out, _, err := EditSettings(agent, data, argvFor(agent), false)
		if err != nil {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("invalid JSON out:\n%s", out)
		}
		again, changed, err := EditSettings(agent, out, argvFor(agent), false)
		if err != nil || changed || string(again) != string(out) {
			t.Fatalf("not idempotent (changed=%v err=%v):\n%s\n---\n%s", changed, err, out, again)
		}
		un, _, err := EditSettings(agent, out, argvFor(agent), true)
		if err != nil || !json.Valid(un) || strings.Contains(string(un), bin) {
			t.Fatalf("uninstall: %v\n%s", err, un)
		}
	})
}

// The user's own empty lists and empty "hooks" stay: install and uninstall
// keep everything else in the file.
func TestEditSettingsKeepsTheUsersEmptyLists(t *testing.T) {
	for _, agent := range []string{"claude", "gemini", "codex"} {
		in := []byte(`{"theme":"dark","hooks":{"SessionEnd":[]}}`)
		out, _, err := EditSettings(agent, in, argvFor(agent), false)
		if err != nil || !strings.Contains(string(out), `"SessionEnd": []`) {
			t.Errorf("%s install: %v\n%s", agent, err, out)
		}
		un, _, err := EditSettings(agent, out, argvFor(agent), true)
		if err != nil || !strings.Contains(string(un), `"SessionEnd": []`) || !strings.Contains(string(un), `"theme": "dark"`) {
			t.Errorf("%s uninstall: %v\n%s", agent, err, un)
		}
		empty := []byte(`{"hooks":{}}`)
		un, _, err = EditSettings(agent, empty, argvFor(agent), true)
		if err != nil || !strings.Contains(string(un), `"hooks": {}`) {
			t.Errorf("%s uninstall with an empty hooks object: %v\n%s", agent, err, un)
		}
	}
}

func TestRequireManagedHooks(t *testing.T) {
	out, changed, off, err := RequireManagedHooks([]byte(`{"env":{"X":"1"}}`))
	if err != nil || !changed || off || !strings.Contains(string(out), `"allowManagedHooksOnly": true`) {
		t.Errorf("absent: %v %v %v\n%s", changed, off, err, out)
	}
	if _, changed, off, err := RequireManagedHooks([]byte(`{"allowManagedHooksOnly":true}`)); err != nil || changed || off {
		t.Errorf("set already: %v %v %v", changed, off, err)
	}
	// An administrator's false stays: uninstall could not tell it apart.
	in := []byte(`{"allowManagedHooksOnly":false,"env":{"X":"1"}}`)
	out, changed, off, err = RequireManagedHooks(in)
	if err != nil || changed || !off || string(out) != string(in) {
		t.Errorf("administrator's false: %v %v %v\n%s", changed, off, err, out)
	}
}

// TestUninstallSettingsRemovesOnlyWhatInstallAdded: EditSettings removing
// safeclaw's hooks from an install into {"hooks": {}} gave {}, counting the
// user's empty object as one it emptied, and kept Cursor's "version" that
// install had added. Told what the install found, the uninstall gives the
// file back.
func TestUninstallSettingsRemovesOnlyWhatInstallAdded(t *testing.T) {
	for _, c := range []struct {
		agent, orig string
		had         string
		added       bool
	}{
		{"claude", `{"hooks":{}}`, "hooks", false},
		{"claude", `{"a":1,"hooks":{"PreToolUse":[],"Stop":[]}}`, "hooks.PreToolUse", false},
		{"claude", `{"hooks":{"Stop":[{"hooks":[]}]}}`, "", false},
		{"claude", `{}`, "", false},
		{"gemini", `{"hooks":{"BeforeTool":[]}}`, "hooks.BeforeTool", false},
		{"cursor", `{"hooks":{}}`, "hooks", true},
		{"cursor", `{"version":1,"hooks":{"stop":[{"command":"x"}]}}`, "", false},
		{"cursor", `{"hooks":{"stop":[{"command":"x"}]}}`, "", true},
		{"cursor", `{}`, "", true},
	} {
		found, err := FoundBeforeInstall(c.agent, []byte(c.orig))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(found.Had, " ") != c.had || found.AddedVersion != c.added {
			t.Errorf("%s %s: found %+v, want had %q added version %v", c.agent, c.orig, found, c.had, c.added)
		}
		installed, _, err := EditSettings(c.agent, []byte(c.orig), argvFor(c.agent), false)
		if err != nil {
			t.Fatal(err)
		}
		out, changed, err := UninstallSettings(c.agent, installed, argvFor(c.agent), found)
		if err != nil || !changed {
			t.Fatalf("%s %s: uninstall: %v %v", c.agent, c.orig, changed, err)
		}
		if !sameJSON([]byte(c.orig), out) {
			t.Errorf("%s: install then uninstall of %s gave %s", c.agent, c.orig, out)
		}
	}
	// Without the record (an install by an older safeclaw): as before.
	installed, _, _ := EditSettings("cursor", []byte(`{"hooks":{}}`), argvFor("cursor"), false)
	if out, _, _ := EditSettings("cursor", installed, argvFor("cursor"), true); !sameJSON([]byte(`{"version":1}`), out) {
		t.Errorf("legacy uninstall gave %s", out)
	}
}
