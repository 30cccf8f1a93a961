package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Install exits 1, saying why, when another settings layer keeps the agent
// from running the hooks it just wrote; doctor flags the same.
func TestInstallReportsOtherLayersThatTurnHooksOff(t *testing.T) {
	cases := []struct {
		name, agent string
		file        func(e *Env) string
		content     string
		args        []string
		want        string // in stderr; "" for exit 0
	}{
		{"claude managed only", "claude", func(e *Env) string { return e.systemPath("/etc/claude-code/managed-settings.json") },
			`{"allowManagedHooksOnly": true}`, nil, `sets "allowManagedHooksOnly": true`},
		{"claude managed drop-in only", "claude", func(e *Env) string { return e.systemPath("/etc/claude-code/managed-settings.d/10-corp.json") },
			`{"allowManagedHooksOnly": true}`, []string{"--project"}, `10-corp.json sets "allowManagedHooksOnly": true`},
		{"claude local disableAllHooks", "claude", func(e *Env) string { return filepath.Join(e.Cwd, ".claude", "settings.local.json") },
			`{"disableAllHooks": true}`, nil, `settings.local.json: "disableAllHooks": true`},
		{"claude project disableAllHooks", "claude", func(e *Env) string { return filepath.Join(e.Cwd, ".claude", "settings.json") },
			`{"disableAllHooks": true}`, nil, `project/.claude/settings.json: "disableAllHooks": true`},
		{"claude managed install ignores allowManagedHooksOnly", "claude", func(e *Env) string { return e.systemPath("/etc/claude-code/managed-settings.d/10-corp.json") },
			`{"allowManagedHooksOnly": true}`, []string{"--managed"}, ""},
		{"codex managed only", "codex", func(e *Env) string { return e.systemPath("/etc/codex/requirements.toml") },
			"allow_managed_hooks_only = true\n", nil, "sets allow_managed_hooks_only = true"},
		{"codex feature off", "codex", func(e *Env) string { return filepath.Join(e.Home, ".codex", "config.toml") },
			"[features]\nhooks = false\n", nil, "[features] hooks = false"},
		{"gemini system off", "gemini", func(e *Env) string { return e.systemPath("/etc/gemini-cli/settings.json") },
			`{"hooksConfig": {"enabled": false}}`, nil, `"hooksConfig.enabled": false`},
		{"gemini project off", "gemini", func(e *Env) string { return filepath.Join(e.Cwd, ".gemini", "settings.json") },
			`{"hooksConfig": {"enabled": false}}`, nil, `"hooksConfig.enabled": false`},
		{"nothing", "claude", func(e *Env) string { return filepath.Join(e.Cwd, "unrelated.json") },
			`{"disableAllHooks": true}`, nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := testEnv(t)
			p := c.file(e)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(c.content), 0o644); err != nil {
				t.Fatal(err)
			}
			args := append([]string{"install", c.agent, "--binary", fakeBinary}, c.args...)
			for round := 0; round < 2; round++ { // written, then already there
				code, _, errOut := run(t, e, "", args...)
				if c.want == "" {
					if code != 0 {
						t.Fatalf("round %d: exit %d: %s", round, code, errOut)
					}
					continue
				}
				if code != exitFindings || !strings.Contains(errOut, c.want) || !strings.Contains(errOut, "does not run them") {
					t.Errorf("round %d: exit %d, stderr:\n%s", round, code, errOut)
				}
			}
			if c.want == "" {
				return
			}
			if code, _, errOut := run(t, e, "", "uninstall", c.agent, "--binary", fakeBinary); code != 0 {
				t.Errorf("uninstall: exit %d: %s", code, errOut)
			}
		})
	}
}

// Codex reads a project's .codex/hooks.json only in a project its
// config.toml trusts: install --project and doctor say so otherwise.
func TestInstallCodexProjectNeedsProjectTrust(t *testing.T) {
	for _, c := range []struct {
		name, cfg string
		want      string // "" for exit 0
	}{
		{"no entry", "", "does not mark"},
		{"untrusted", "[projects.%q]\ntrust_level = \"untrusted\"\n", `"untrusted"`},
		{"trusted", "[projects.%q]\ntrust_level = \"trusted\"\n", ""},
		{"parent trusted", "[projects.%q]\ntrust_level = \"trusted\"\n", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := testEnv(t)
			dir := e.Cwd
			if c.name == "parent trusted" {
				dir = filepath.Dir(e.Cwd)
			}
			cfg := filepath.Join(e.Home, ".codex", "config.toml")
			if err := os.MkdirAll(filepath.Dir(cfg), 0o700); err != nil {
				t.Fatal(err)
			}
			if c.cfg != "" {
				if err := os.WriteFile(cfg, []byte(fmt.Sprintf(c.cfg, dir)), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			code, _, errOut := run(t, e, "", "install", "codex", "--project", "--binary", fakeBinary)
			if c.want == "" {
				if code != 0 {
					t.Fatalf("exit %d: %s", code, errOut)
				}
			} else if code != exitFindings || !strings.Contains(errOut, c.want) {
				t.Fatalf("exit %d, stderr:\n%s", code, errOut)
			}
			code, out, _ := run(t, e, "", "doctor")
			if got := strings.Contains(out, "Codex loads") || strings.Contains(out, "Codex does not load"); got != (c.want != "") {
				t.Errorf("doctor (exit %d) flags project trust: %v, want %v:\n%s", code, got, c.want != "", out)
			}
		})
	}
}
