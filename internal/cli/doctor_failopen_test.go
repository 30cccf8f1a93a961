package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Settings that make an agent skip safeclaw's hook without a word: doctor
// must report each as a failure (exit 1), and be quiet about it once the
// setting is gone or safeclaw's hook is where the setting allows.

// fakeSafeclaw is an executable named safeclaw, so that doctor's check of
// the hook's program passes.
func fakeSafeclaw(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "safeclaw")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return bin
}

func mustInstall(t *testing.T, e *Env, args ...string) {
	t.Helper()
	if code, out, errOut := run(t, e, "", append([]string{"install"}, args...)...); code != 0 {
		t.Fatalf("install %v: exit %d: %s %s", args, code, out, errOut)
	}
}

// doctorSays runs doctor and checks that its output holds each of want and
// none of dontWant; a FAIL line among want means exit 1.
func doctorSays(t *testing.T, e *Env, want, dontWant []string) {
	t.Helper()
	code, out, _ := run(t, e, "", "doctor")
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("doctor does not say\n  %s\nit says:\n%s", w, out)
		}
		if strings.HasPrefix(w, "FAIL") && code != exitFindings {
			t.Errorf("exit %d with a failure, want %d", code, exitFindings)
		}
	}
	for _, d := range dontWant {
		if strings.Contains(out, d) {
			t.Errorf("doctor says\n  %s\nit should not:\n%s", d, out)
		}
	}
}

// TestDoctorClaudeManagedHooksOnly: allowManagedHooksOnly in managed
// settings (the file or a drop-in) while safeclaw's hook is only in the
// user's settings: Claude Code runs no hook of safeclaw's.
func TestDoctorClaudeManagedHooksOnly(t *testing.T) {
	e := testEnv(t)
	bin := fakeSafeclaw(t)
	mustInstall(t, e, "claude", "--binary", bin)
	user := filepath.Join(e.Home, ".claude", "settings.json")
	managed := filepath.Join(e.SystemDir, "etc", "claude-code", "managed-settings.json")
	dropIn := filepath.Join(e.SystemDir, "etc", "claude-code", "managed-settings.d", "50-org.json")
	const gist = `sets "allowManagedHooksOnly": true: Claude Code ignores the hooks in`

	doctorSays(t, e, nil, []string{gist})
	writeFile(t, managed, `{"allowManagedHooksOnly": false, "permissions": {}}`, 0o644)
	doctorSays(t, e, nil, []string{gist})

	writeFile(t, managed, `{"allowManagedHooksOnly": true}`, 0o644)
	doctorSays(t, e, []string{
		`FAIL  claude: ` + managed + ` sets "allowManagedHooksOnly": true: Claude Code ignores the hooks in ` + user + `, safeclaw's included: no tool call is checked`,
		`fix: run 'safeclaw install claude --managed'`,
	}, nil)

	if err := os.Remove(managed); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dropIn, `{"allowManagedHooksOnly": true}`, 0o644)
	doctorSays(t, e, []string{`FAIL  claude: ` + dropIn + ` ` + gist + ` ` + user}, nil)

	// safeclaw's hook in the managed settings runs: nothing to report.
	mustInstall(t, e, "claude", "--managed", "--binary", bin)
	doctorSays(t, e, []string{"ok    claude: hook installed in " + managed}, []string{gist})
}

// TestDoctorCodexManagedHooksOnly: allow_managed_hooks_only in
// requirements.toml while safeclaw's hooks are in the user's hooks.json or
// inline in config.toml: Codex loads neither.
func TestDoctorCodexManagedHooksOnly(t *testing.T) {
	e := testEnv(t)
	bin := fakeSafeclaw(t)
	mustInstall(t, e, "codex", "--binary", bin)
	hooksJSON := filepath.Join(e.Home, ".codex", "hooks.json")
	config := filepath.Join(e.Home, ".codex", "config.toml")
	req := filepath.Join(e.SystemDir, "etc", "codex", "requirements.toml")
	const gist = "sets allow_managed_hooks_only = true: Codex ignores the hooks in"

	writeFile(t, req, "allow_managed_hooks_only = false\n", 0o644)
	doctorSays(t, e, []string{"ok    codex: Codex trusts safeclaw's hooks"}, []string{gist})

	writeFile(t, req, "allow_managed_hooks_only = true\n", 0o644)
	doctorSays(t, e, []string{
		"FAIL  codex: " + req + " " + gist + " " + hooksJSON + ", safeclaw's included: no tool call is checked",
		"fix: run 'safeclaw install codex --managed'",
	}, nil)

	// The same hooks inline in config.toml are no better.
	if code, _, errOut := run(t, e, "", "uninstall", "codex", "--binary", bin); code != 0 {
		t.Fatalf("uninstall: %s", errOut)
	}
	block, err := codexManagedBlock([]string{bin, "hook", "codex"})
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, config, block, 0o644)
	doctorSays(t, e, []string{"FAIL  codex: " + req + " " + gist + " " + config + ","}, []string{gist + " " + hooksJSON})

	// Managed hooks are what Codex still runs.
	mustInstall(t, e, "codex", "--managed", "--binary", bin)
	doctorSays(t, e, []string{"holds managed hooks"}, []string{gist})
}

// TestDoctorCodexHooksFeature: Codex's hooks feature switched off, under
// its name or its older one, in the layer that decides it.
func TestDoctorCodexHooksFeature(t *testing.T) {
	const gist = "turns every Codex hook off, safeclaw's included: no tool call is checked"
	for _, tc := range []struct {
		name                      string
		system, user, project, rq string
		failIn                    string // "system", "user", "project", "requirements"; "" for none
		want                      string
	}{
		{name: "user off", user: "[features]\nhooks = false\n", failIn: "user", want: "[features] hooks = false " + gist},
		{name: "older name", user: "[features]\ncodex_hooks = false\n", failIn: "user", want: "[features] codex_hooks = false (the older name of hooks) " + gist},
		{name: "dotted key", user: "model = \"o3\"\nfeatures.hooks = false\n", failIn: "user", want: "[features] hooks = false"},
		{name: "on", user: "[features]\nhooks = true\n"},
		{name: "other features", user: "[features]\nweb_search_request = false\n"},
		{name: "project off", user: "[features]\nhooks = true\n", project: "[features]\nhooks = false\n", failIn: "project", want: "[features] hooks = false"},
		{name: "system off", system: "[features]\nhooks = false\n", failIn: "system", want: "[features] hooks = false"},
		{name: "system off, user on", system: "[features]\nhooks = false\n", user: "[features]\nhooks = true\n"},
		{name: "required off", user: "[features]\nhooks = true\n", rq: "[features]\nhooks = false\n", failIn: "requirements", want: "[features] hooks = false"},
		{name: "required on", user: "[features]\nhooks = false\n", rq: "[features]\nhooks = true\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := testEnv(t)
			paths := map[string]string{
				"system":       filepath.Join(e.SystemDir, "etc", "codex", "config.toml"),
				"user":         filepath.Join(e.Home, ".codex", "config.toml"),
				"project":      filepath.Join(e.Cwd, ".codex", "config.toml"),
				"requirements": filepath.Join(e.SystemDir, "etc", "codex", "requirements.toml"),
			}
			for where, content := range map[string]string{"system": tc.system, "user": tc.user, "project": tc.project, "requirements": tc.rq} {
				if content != "" {
					writeFile(t, paths[where], content, 0o644)
				}
			}
			if tc.failIn == "" {
				doctorSays(t, e, nil, []string{gist})
				return
			}
			doctorSays(t, e, []string{"FAIL  codex: " + paths[tc.failIn] + ": " + tc.want, "fix: remove it from " + paths[tc.failIn]}, nil)
		})
	}
}

// geminiSettings is a Gemini settings file with safeclaw's hook (named
// name, "" for none) and extra top-level members.
func geminiSettings(bin, name, extra string) string {
	h := `{"type":"command","command":"` + bin + ` hook gemini","timeout":30000`
	if name != "" {
		h += `,"name":"` + name + `"`
	}
	s := `{"hooks":{"BeforeTool":[{"matcher":".*","hooks":[` + h + `}]}]}`
	if extra != "" {
		s += "," + extra
	}
	return s + "}"
}

// TestDoctorGeminiDisabledByName: hooksConfig.disabled naming safeclaw's
// hook, in any settings layer (Gemini adds the lists up).
func TestDoctorGeminiDisabledByName(t *testing.T) {
	const gist = `"hooksConfig.disabled" lists`
	for _, tc := range []struct {
		name, hookName, userExtra, projectExtra, systemExtra string
		hookIn                                               string // where safeclaw's hook is: "user" (""), "system", "none"
		failIn, listed                                       string
	}{
		{name: "user", hookName: "safeclaw", userExtra: `"hooksConfig":{"disabled":["safeclaw"]}`, failIn: "user", listed: "safeclaw"},
		{name: "project", hookName: "safeclaw", projectExtra: `"hooksConfig":{"disabled":["lint","safeclaw"]}`, failIn: "project", listed: "safeclaw"},
		{name: "system", hookName: "safeclaw", systemExtra: `"hooksConfig":{"disabled":["safeclaw"]}`, failIn: "system", listed: "safeclaw"},
		{name: "renamed hook", hookName: "gate", userExtra: `"hooksConfig":{"disabled":["gate"]}`, failIn: "user", listed: "gate"},
		{name: "unnamed hook by command", userExtra: `"hooksConfig":{"disabled":["BIN hook gemini"]}`, failIn: "user", listed: "BIN hook gemini"},
		{name: "another hook", hookName: "safeclaw", userExtra: `"hooksConfig":{"disabled":["lint"],"enabled":true}`},
		{name: "none", hookName: "safeclaw"},
		{name: "hook in system settings", hookIn: "system", hookName: "safeclaw", userExtra: `"hooksConfig":{"disabled":["safeclaw"]}`, failIn: "user", listed: "safeclaw"},
		{name: "no hook anywhere", hookIn: "none", userExtra: `"hooksConfig":{"disabled":["safeclaw"]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := testEnv(t)
			bin := fakeSafeclaw(t)
			paths := map[string]string{
				"user":    filepath.Join(e.Home, ".gemini", "settings.json"),
				"project": filepath.Join(e.Cwd, ".gemini", "settings.json"),
				"system":  filepath.Join(e.SystemDir, "etc", "gemini-cli", "settings.json"),
			}
			fill := func(s string) string { return strings.ReplaceAll(s, "BIN", bin) }
			switch tc.hookIn {
			case "":
				writeFile(t, paths["user"], geminiSettings(bin, tc.hookName, fill(tc.userExtra)), 0o644)
			case "system":
				writeFile(t, paths["system"], geminiSettings(bin, tc.hookName, ""), 0o644)
				fallthrough
			default:
				writeFile(t, paths["user"], "{"+tc.userExtra+"}", 0o644)
			}
			if tc.projectExtra != "" {
				writeFile(t, paths["project"], "{"+tc.projectExtra+"}", 0o644)
			}
			if tc.systemExtra != "" {
				writeFile(t, paths["system"], "{"+tc.systemExtra+"}", 0o644)
			}
			if tc.failIn == "" {
				doctorSays(t, e, nil, []string{gist})
				return
			}
			listed := fill(tc.listed)
			doctorSays(t, e, []string{
				"FAIL  gemini: " + paths[tc.failIn] + `: "hooksConfig.disabled" lists "` + listed + `": Gemini CLI skips safeclaw's hook: no tool call is checked`,
				`fix: remove "` + listed + `" from "hooksConfig.disabled" in ` + paths[tc.failIn],
			}, nil)
		})
	}
}

// TestDoctorGeminiSystemSettings: hooks switched off in Gemini's system
// settings (which override the user's), at the default path or where
// GEMINI_CLI_SYSTEM_SETTINGS_PATH points, and in the system defaults
// unless a user or project file turns them back on.
func TestDoctorGeminiSystemSettings(t *testing.T) {
	const off = `{"hooksConfig":{"enabled":false}}`
	const gist = `"hooksConfig.enabled": false`
	setup := func(t *testing.T, envPath, defaultsPath string) *Env {
		e := testEnv(t)
		writeFile(t, filepath.Join(e.Home, ".gemini", "settings.json"), geminiSettings(fakeSafeclaw(t), "safeclaw", ""), 0o644)
		getenv := e.Getenv
		e.Getenv = func(k string) string {
			switch {
			case k == "GEMINI_CLI_SYSTEM_SETTINGS_PATH" && envPath != "":
				return envPath
			case k == "GEMINI_CLI_SYSTEM_DEFAULTS_PATH" && defaultsPath != "":
				return defaultsPath
			}
			return getenv(k)
		}
		return e
	}

	t.Run("default path", func(t *testing.T) {
		e := setup(t, "", "")
		doctorSays(t, e, nil, []string{gist})
		system := filepath.Join(e.SystemDir, "etc", "gemini-cli", "settings.json")
		writeFile(t, system, off, 0o644)
		doctorSays(t, e, []string{
			"FAIL  gemini: " + system + `: "hooksConfig.enabled": false turns Gemini's hooks off; remove it`,
			"fix: edit " + system + " (system settings override the user's and the project's)",
		}, nil)
	})

	t.Run("GEMINI_CLI_SYSTEM_SETTINGS_PATH", func(t *testing.T) {
		elsewhere := filepath.Join(t.TempDir(), "gemini-system.json")
		e := setup(t, elsewhere, "")
		writeFile(t, filepath.Join(e.SystemDir, "etc", "gemini-cli", "settings.json"), off, 0o644) // not read: the variable wins
		doctorSays(t, e, nil, []string{gist})
		writeFile(t, elsewhere, off, 0o644)
		doctorSays(t, e, []string{"FAIL  gemini: " + elsewhere + `: "hooksConfig.enabled": false turns Gemini's hooks off`}, nil)
	})

	t.Run("system defaults", func(t *testing.T) {
		e := setup(t, "", "")
		defaults := filepath.Join(e.SystemDir, "etc", "gemini-cli", "system-defaults.json")
		writeFile(t, defaults, off, 0o644)
		doctorSays(t, e, []string{
			"FAIL  gemini: " + defaults + `: "hooksConfig.enabled": false in Gemini's system defaults turns its hooks off, and no user or project settings turn them back on`,
		}, nil)
		writeFile(t, filepath.Join(e.Cwd, ".gemini", "settings.json"), `{"hooksConfig":{"enabled":true}}`, 0o644)
		doctorSays(t, e, nil, []string{gist})
	})

	t.Run("GEMINI_CLI_SYSTEM_DEFAULTS_PATH", func(t *testing.T) {
		defaults := filepath.Join(t.TempDir(), "defaults.json")
		e := setup(t, "", defaults)
		writeFile(t, defaults, off, 0o644)
		doctorSays(t, e, []string{"FAIL  gemini: " + defaults + `: "hooksConfig.enabled": false in Gemini's system defaults`}, nil)
	})
}

// TestDoctorMatchers: safeclaw's deciding hooks must see every tool; a
// matcher that leaves tools out lets those calls through unchecked.
func TestDoctorMatchers(t *testing.T) {
	claude := func(pre, perm string) string {
		return `{"hooks":{"PreToolUse":[` + pre + `],"PermissionRequest":[` + perm + `]}}`
	}
	const claudeHandler = `{"type":"command","command":"BIN","args":["hook","claude"],"timeout":30,"onFailure":"block"}`
	group := func(matcher, handler string) string {
		if matcher == "-" {
			return `{"hooks":[` + handler + `]}`
		}
		return `{"matcher":` + matcher + `,"hooks":[` + handler + `]}`
	}
	cg := func(matcher string) string { return group(matcher, claudeHandler) }
	const codexHandler = `{"type":"command","command":"BIN hook codex","timeout":30}`
	codex := func(pre string) string {
		return `{"hooks":{"PreToolUse":[` + group(pre, codexHandler) + `],"PermissionRequest":[` + group(`"*"`, codexHandler) + `]}}`
	}
	const geminiHandler = `{"type":"command","command":"BIN hook gemini","name":"safeclaw","timeout":30000}`
	gemini := func(m string) string { return `{"hooks":{"BeforeTool":[` + group(m, geminiHandler) + `]}}` }

	const gist = "hook only runs for tools matching"
	for _, tc := range []struct {
		name, agent, settings string
		want                  []string // "" for none
	}{
		{"claude Bash only", "claude", claude(cg(`"Bash"`), cg(`"*"`)), []string{
			`: the PreToolUse hook only runs for tools matching "Bash": Write, Edit, MultiEdit, NotebookEdit, Read, Glob, Grep, WebFetch, WebSearch, Task, Agent, MCP tools (mcp__*) and any tool it does not name go through unchecked`}},
		{"claude PermissionRequest", "claude", claude(cg(`"*"`), cg(`"Bash|Write"`)), []string{
			`: the PermissionRequest hook only runs for tools matching "Bash|Write": Edit, `}},
		{"claude star", "claude", claude(cg(`"*"`), cg(`"*"`)), nil},
		{"claude empty", "claude", claude(cg(`""`), cg(`""`)), nil},
		{"claude absent", "claude", claude(cg("-"), cg("-")), nil},
		{"claude regex all", "claude", claude(cg(`".*"`), cg(`"^.*$"`)), nil},
		{"claude two groups", "claude", claude(cg(`"Bash"`)+","+cg(`"*"`), cg(`"*"`)), nil},
		{"claude every name listed", "claude", claude(cg(`"Bash|Write|Edit|MultiEdit|NotebookEdit|Read|Glob|Grep|WebFetch|WebSearch|Task|Agent|mcp__.*"`), cg(`"*"`)), []string{
			`: the PreToolUse hook only runs for tools matching "Bash|Write|Edit|MultiEdit|NotebookEdit|Read|Glob|Grep|WebFetch|WebSearch|Task|Agent|mcp__.*": any tool it does not name go through unchecked`}},
		{"claude mcp only", "claude", claude(cg(`"mcp__.*"`), cg(`"*"`)), []string{`: the PreToolUse hook only runs for tools matching "mcp__.*": Bash, Write,`, `Agent and any tool it does not name`}},
		{"claude if", "claude", claude(group(`"*"`, `{"type":"command","command":"BIN","args":["hook","claude"],"timeout":30,"onFailure":"block","if":"Bash(git *)"}`), cg(`"*"`)), []string{
			`: the PreToolUse hook has "if": "Bash(git *)": Claude Code runs it only for the calls that match, every other call goes through unchecked`}},
		{"codex Bash only", "codex", codex(`"Bash"`), []string{
			`: the PreToolUse hook only runs for tools matching "Bash": apply_patch, web_search, view_image, MCP tools (mcp__*) and any tool it does not name go through unchecked`}},
		{"codex alias", "codex", codex(`"Bash|Edit"`), []string{`: the PreToolUse hook only runs for tools matching "Bash|Edit": web_search, view_image,`}},
		{"codex invalid regex", "codex", codex(`"["`), []string{`: the PreToolUse hook only runs for tools matching "[": Bash, apply_patch,`}},
		{"codex star", "codex", codex(`"*"`), nil},
		{"codex regex all", "codex", codex(`".*"`), nil},
		{"gemini shell only", "gemini", gemini(`"run_shell_command"`), []string{
			`: the BeforeTool hook only runs for tools matching "run_shell_command": write_file, replace, read_file, read_many_files, glob, grep_search, list_directory, web_fetch, google_web_search, save_memory, invoke_agent, MCP tools (mcp__*) and any tool it does not name go through unchecked`}},
		{"gemini regex all", "gemini", gemini(`".*"`), nil},
		{"gemini star padded", "gemini", gemini(`" * "`), nil},
		{"gemini absent", "gemini", gemini("-"), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := testEnv(t)
			bin := fakeSafeclaw(t)
			dir := map[string]string{"claude": ".claude", "codex": ".codex", "gemini": ".gemini"}[tc.agent]
			file := map[string]string{"claude": "settings.json", "codex": "hooks.json", "gemini": "settings.json"}[tc.agent]
			path := filepath.Join(e.Home, dir, file)
			writeFile(t, path, strings.ReplaceAll(tc.settings, "BIN", bin), 0o644)
			if tc.want == nil {
				doctorSays(t, e, []string{"ok    " + tc.agent + ": hook installed in " + path}, []string{gist, `"if":`, "cannot tell"})
				return
			}
			want := []string{"fix: run 'safeclaw install " + tc.agent + "'"}
			for i, w := range tc.want {
				if i == 0 {
					w = "FAIL  " + tc.agent + ": " + path + w
				}
				want = append(want, w)
			}
			doctorSays(t, e, want, nil)
		})
	}
}

// TestDoctorMatcherUnreadable: a JavaScript regex Go cannot read is noted,
// not failed.
func TestDoctorMatcherUnreadable(t *testing.T) {
	e := testEnv(t)
	path := filepath.Join(e.Home, ".gemini", "settings.json")
	writeFile(t, path, `{"hooks":{"BeforeTool":[{"matcher":"^(?!x)","hooks":[{"type":"command","command":"`+fakeSafeclaw(t)+` hook gemini","name":"safeclaw"}]}]}}`, 0o644)
	doctorSays(t, e, []string{`note  gemini: ` + path + `: cannot tell which tools the BeforeTool hook's matcher "^(?!x)" covers`}, []string{"only runs for tools matching"})
}

// TestToolMatcher pins the matcher readings the checks rely on.
func TestToolMatcher(t *testing.T) {
	str := func(s string) *string { return &s }
	for _, tc := range []struct {
		agent   string
		matcher *string
		all     bool
		yes, no []string
	}{
		{"claude", nil, true, nil, nil},
		{"claude", str("Bash"), false, []string{"Bash"}, []string{"BashOutput", "Write"}},
		{"claude", str("Bash, Write"), false, []string{"Bash", "Write"}, []string{"Edit"}},
		{"claude", str("Notebook.*"), false, []string{"NotebookEdit"}, []string{"Bash"}},
		{"claude", str(" * "), false, nil, []string{"Bash"}}, // not trimmed: a regex that wants a space
		{"codex", str("Edit|Write"), false, []string{"Edit"}, []string{"Bash"}},
		{"codex", str("^Bash"), false, []string{"BashOutput"}, []string{"Write"}},
		{"gemini", str(" * "), true, nil, nil},
		{"gemini", str("read"), false, []string{"read_file", "read_many_files"}, []string{"glob"}},
	} {
		match, all, err := toolMatcher(tc.agent, tc.matcher)
		if err != nil || all != tc.all {
			t.Errorf("%s %v: all %v, err %v", tc.agent, tc.matcher, all, err)
			continue
		}
		for _, y := range tc.yes {
			if !match(y) {
				t.Errorf("%s %q does not match %s", tc.agent, *tc.matcher, y)
			}
		}
		for _, n := range tc.no {
			if match(n) {
				t.Errorf("%s %q matches %s", tc.agent, *tc.matcher, n)
			}
		}
	}
}
