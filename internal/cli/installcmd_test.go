package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pelletier/go-toml/v2"
)

const fakeBinary = "/opt/safeclaw/bin/safeclaw"

func TestInstallClaudeUser(t *testing.T) {
	e := testEnv(t)
	settings := filepath.Join(e.Home, ".claude", "settings.json")
	if err := os.MkdirAll(filepath.Dir(settings), 0o755); err != nil {
		t.Fatal(err)
	}
	orig := `{"model":"opus","hooks":{"Stop":[{"hooks":[{"type":"command","command":"notify-send done"}]}]}}`
	if err := os.WriteFile(settings, []byte(orig), 0o640); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, e, "", "install", "claude", "--binary", fakeBinary)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "installed safeclaw hooks for claude in "+settings) || !strings.Contains(out, "backup: ") || !strings.Contains(out, "2.1.295") {
		t.Errorf("stdout %q", out)
	}
	data, err := os.ReadFile(settings)
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Model string
		Hooks map[string][]struct {
			Hooks []struct {
				Command   string
				Args      []string
				OnFailure string
			}
		}
	}
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	if s.Model != "opus" || len(s.Hooks["Stop"]) != 1 {
		t.Errorf("user settings lost:\n%s", data)
	}
	h := s.Hooks["PreToolUse"][0].Hooks[0]
	if h.Command != fakeBinary || strings.Join(h.Args, " ") != "hook claude" || h.OnFailure != "block" {
		t.Errorf("PreToolUse handler %+v", h)
	}
	if fi, _ := os.Stat(settings); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want the file's own 0640", fi.Mode().Perm())
	}
	backups, _ := filepath.Glob(settings + ".safeclaw-backup-*")
	if len(backups) != 1 {
		t.Fatalf("backups %v", backups)
	}
	if b, _ := os.ReadFile(backups[0]); string(b) != orig {
		t.Errorf("backup holds %q", b)
	}

	// Again: nothing changes, no new backup.
	code, out, _ = run(t, e, "", "install", "claude", "--binary", fakeBinary)
	if code != 0 || !strings.Contains(out, "already installed") {
		t.Errorf("second install: %d %q", code, out)
	}
	if again, _ := os.ReadFile(settings); string(again) != string(data) {
		t.Error("second install changed the file")
	}

	// Uninstall.
	prev := e.Now
	e.Now = func() time.Time { return prev().Add(time.Second) }
	var ob, eb bytes.Buffer
	e.Stdout, e.Stderr = &ob, &eb
	code, errOut = runUninstall(context.Background(), e, []string{"claude", "--binary", fakeBinary}), eb.String()
	if code != 0 {
		t.Fatalf("uninstall: %d %s", code, errOut)
	}
	left, _ := os.ReadFile(settings)
	if strings.Contains(string(left), "safeclaw") || !strings.Contains(string(left), "notify-send") {
		t.Errorf("after uninstall:\n%s", left)
	}
}

func TestInstallScopesAndAgents(t *testing.T) {
	e := testEnv(t)
	for _, tt := range []struct {
		args []string
		path string
	}{
		{[]string{"install", "codex"}, filepath.Join(e.Home, ".codex", "hooks.json")},
		{[]string{"install", "gemini"}, filepath.Join(e.Home, ".gemini", "settings.json")},
		{[]string{"install", "cursor"}, filepath.Join(e.Home, ".cursor", "hooks.json")},
		{[]string{"install", "claude", "--project"}, filepath.Join(e.Cwd, ".claude", "settings.json")},
		{[]string{"install", "--project", "gemini"}, filepath.Join(e.Cwd, ".gemini", "settings.json")},
		{[]string{"install", "claude", "--settings", "custom.json"}, filepath.Join(e.Cwd, "custom.json")},
	} {
		args := append(tt.args, "--binary", fakeBinary)
		if tt.args[len(tt.args)-1] == "custom.json" {
			// --settings is relative to the process's own directory.
			wd, _ := os.Getwd()
			tt.path = filepath.Join(wd, "custom.json")
			t.Cleanup(func() { os.Remove(tt.path) })
		}
		code, _, errOut := run(t, e, "", args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", tt.args, code, errOut)
		}
		data, err := os.ReadFile(tt.path)
		if err != nil || !json.Valid(data) || !strings.Contains(string(data), fakeBinary) {
			t.Errorf("%v: %v\n%s", tt.args, err, data)
		}
	}
}

func TestInstallDryRunWritesNothing(t *testing.T) {
	e := testEnv(t)
	code, out, errOut := run(t, e, "", "install", "codex", "--dry-run", "--binary", fakeBinary, "--ask", "wait")
	if code != 0 || !json.Valid([]byte(out)) || !strings.Contains(out, "hook codex --ask wait") || !strings.Contains(errOut, "would write") {
		t.Fatalf("exit %d stdout %q stderr %q", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(e.Home, ".codex")); !os.IsNotExist(err) {
		t.Error("dry run created files")
	}
}

func TestInstallHonoursAgentHomes(t *testing.T) {
	e := testEnv(t)
	codexHome := filepath.Join(t.TempDir(), "codex")
	claudeDir := filepath.Join(t.TempDir(), "claude")
	e.Getenv = func(k string) string {
		return map[string]string{"CODEX_HOME": codexHome, "CLAUDE_CONFIG_DIR": claudeDir, "SAFECLAW_HOME": e.ConfigDir}[k]
	}
	for agent, path := range map[string]string{"codex": filepath.Join(codexHome, "hooks.json"), "claude": filepath.Join(claudeDir, "settings.json")} {
		if code, _, errOut := run(t, e, "", "install", agent, "--binary", fakeBinary); code != 0 {
			t.Fatalf("%s: %s", agent, errOut)
		}
		if _, err := os.Stat(path); err != nil {
			t.Errorf("%s: %v", agent, err)
		}
	}
}

func TestInstallErrors(t *testing.T) {
	e := testEnv(t)
	bad := filepath.Join(e.Home, ".claude", "settings.json")
	if err := os.MkdirAll(filepath.Dir(bad), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte(`{"hooks": [}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"install"},
		{"install", "copilot"},
		{"install", "claud"},
		{"install", "claude", "--project", "--managed"},
		{"install", "gemini", "--managed"},
		{"install", "claude", "--ask", "sometimes"},
		{"install", "claude", "extra"},
		{"install", "claude", "--binary", fakeBinary}, // the settings file is broken
	} {
		code, _, errOut := run(t, e, "", args...)
		if code != exitUsage || !strings.Contains(errOut, "safeclaw: error:") {
			t.Errorf("%v: exit %d stderr %q", args, code, errOut)
		}
	}
	if b, _ := os.ReadFile(bad); string(b) != `{"hooks": [}` {
		t.Error("a broken settings file was changed")
	}
	if code, out, _ := run(t, e, "", "install", "--help"); code != 0 || !strings.Contains(out, "Usage: safeclaw install") {
		t.Errorf("--help: %d %q", code, out)
	}
}

// TestInstallClaudeManaged: --managed writes Claude Code's machine-wide
// settings with allowManagedHooksOnly, unless --keep-other-hooks; another
// install keeps what the administrator had there.
func TestInstallClaudeManaged(t *testing.T) {
	e := testEnv(t)
	path := filepath.Join(e.SystemDir, "etc", "claude-code", "managed-settings.json")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(`{"permissions":{"deny":["Bash(curl:*)"]}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	read := func() map[string]any {
		t.Helper()
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	code, out, errOut := run(t, e, "", "install", "claude", "--managed", "--binary", fakeBinary)
	if code != 0 || !strings.Contains(out, "allowManagedHooksOnly is set") {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	m := read()
	if m["allowManagedHooksOnly"] != true || m["permissions"] == nil || m["hooks"] == nil {
		t.Errorf("managed settings %v", m)
	}
	if code, out, _ := run(t, e, "", "install", "claude", "--managed", "--binary", fakeBinary); code != 0 || !strings.Contains(out, "nothing changed") {
		t.Errorf("second install: exit %d: %s", code, out)
	}
	// Uninstall takes back what the install set, and only that.
	if code, out, errOut := run(t, e, "", "uninstall", "claude", "--managed", "--binary", fakeBinary); code != 0 || !strings.Contains(out, "allowManagedHooksOnly removed") {
		t.Fatalf("uninstall: exit %d: %s %s", code, out, errOut)
	}
	if m := read(); m["allowManagedHooksOnly"] != nil || m["hooks"] != nil || m["permissions"] == nil {
		t.Errorf("after uninstall: %v", m)
	}
	// An administrator's own true stays through install and uninstall.
	if err := os.WriteFile(path, []byte(`{"allowManagedHooksOnly":true}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, verb := range []string{"install", "uninstall"} {
		if code, _, errOut := run(t, e, "", verb, "claude", "--managed", "--binary", fakeBinary); code != 0 {
			t.Fatalf("%s: exit %d: %s", verb, code, errOut)
		}
	}
	if m := read(); m["allowManagedHooksOnly"] != true || m["hooks"] != nil {
		t.Errorf("administrator's setting after install and uninstall: %v", m)
	}

	if err := os.WriteFile(path, []byte(`{}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := run(t, e, "", "install", "claude", "--managed", "--keep-other-hooks", "--binary", fakeBinary); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if m := read(); m["allowManagedHooksOnly"] != nil || m["hooks"] == nil {
		t.Errorf("--keep-other-hooks: %v", m)
	}
}

// TestInstallCodexManaged: --managed writes safeclaw's hooks into Codex's
// requirements.toml between markers (with allow_managed_hooks_only before
// the first table), keeps the administrator's own requirements, changes
// nothing the second time and takes exactly its part back on uninstall.
func TestInstallCodexManaged(t *testing.T) {
	e := testEnv(t)
	path := filepath.Join(e.SystemDir, "etc", "codex", "requirements.toml")
	bin := filepath.Join(t.TempDir(), "safeclaw") // doctor checks that the hook's program exists
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	const admin = "# company requirements\nallowed_sandbox_modes = [\"read-only\", \"workspace-write\"]\n\n[features]\nhooks = true\n"
	if err := os.WriteFile(path, []byte(admin), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, e, "", "install", "codex", "--managed", "--binary", bin)
	if code != 0 || !strings.Contains(out, "allow_managed_hooks_only is set") || strings.Contains(out, "trust") && !strings.Contains(out, "need no trust") {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	data, _ := os.ReadFile(path)
	var doc struct {
		OnlyManaged bool     `toml:"allow_managed_hooks_only"`
		Sandbox     []string `toml:"allowed_sandbox_modes"`
		Features    struct{ Hooks bool }
	}
	if err := toml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	if !doc.OnlyManaged || len(doc.Sandbox) != 2 || !doc.Features.Hooks {
		t.Errorf("requirements %+v:\n%s", doc, data)
	}
	hs, err := codexManagedHandlers(data, "safeclaw")
	if err != nil || len(hs) != 2 || hs[0].Event == hs[1].Event || strings.Join(hs[0].Command, " ") != bin+" hook codex" {
		t.Errorf("managed handlers %+v, %v\n%s", hs, err, data)
	}
	if _, err := os.Stat(filepath.Join(e.Home, ".codex", "config.toml")); err == nil {
		t.Error("a managed install wrote trust records into the user's config.toml")
	}
	if code, out, _ := run(t, e, "", "install", "codex", "--managed", "--binary", bin); code != 0 || !strings.Contains(out, "nothing changed") {
		t.Errorf("second install: exit %d: %s", code, out)
	}
	if _, out, _ := run(t, e, "", "doctor"); !strings.Contains(out, "ok    codex: hook installed in "+path+" (PermissionRequest, PreToolUse)") ||
		!strings.Contains(out, "holds managed hooks, which Codex runs without asking for trust") || strings.Contains(out, "FAIL  codex") {
		t.Errorf("doctor:\n%s", out)
	}
	if code, _, errOut := run(t, e, "", "uninstall", "codex", "--managed", "--binary", bin); code != 0 {
		t.Fatalf("uninstall: exit %d: %s", code, errOut)
	}
	if data, _ := os.ReadFile(path); string(data) != admin {
		t.Errorf("uninstall left:\n%s\nwant:\n%s", data, admin)
	}

	// The administrator's own allow_managed_hooks_only = false is not overruled.
	if err := os.WriteFile(path, []byte("allow_managed_hooks_only = false\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := run(t, e, "", "install", "codex", "--managed", "--binary", bin); code == 0 || !strings.Contains(errOut, "--keep-other-hooks") {
		t.Errorf("exit %d: %s", code, errOut)
	}
	if code, _, errOut := run(t, e, "", "install", "codex", "--managed", "--keep-other-hooks", "--binary", bin); code != 0 {
		t.Errorf("--keep-other-hooks: exit %d: %s", code, errOut)
	}
}

// TestDoctorNotesTIOCSTI: doctor says when the kernel lets a process type
// into its terminal, and is quiet otherwise.
func TestDoctorNotesTIOCSTI(t *testing.T) {
	setting := filepath.Join(t.TempDir(), "legacy_tiocsti")
	defer func(old string) { legacyTIOCSTI = old }(legacyTIOCSTI)
	legacyTIOCSTI = setting
	for value, want := range map[string]bool{"1\n": true, "0\n": false} {
		if err := os.WriteFile(setting, []byte(value), 0o600); err != nil {
			t.Fatal(err)
		}
		_, out, _ := run(t, testEnv(t), "", "doctor")
		if got := strings.Contains(out, "dev.tty.legacy_tiocsti=1"); got != want {
			t.Errorf("legacy_tiocsti %q: note %v, want %v\n%s", value, got, want, out)
		}
	}
}
