package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2"

	"github.com/safeclaw/safeclaw/hook"
)

// doctorReport is how doctor prints a finding: ok, a note, or a problem
// (FAIL) with its fix.
type doctorReport struct {
	ok   func(format string, a ...any)
	note func(format string, a ...any)
	bad  func(fix, format string, a ...any)
}

// claudeOnFailureSince is the first Claude Code release that honours
// onFailure: block; older ones let the call through when a hook fails.
var claudeOnFailureSince = [3]int{2, 1, 295}

// failedHookMeans says what an agent does with a tool call when safeclaw's
// hook cannot run at all, as installed (Claude Code with onFailure: block,
// Cursor with failClosed).
var failedHookMeans = map[string]string{
	"claude": "Claude Code blocks every tool call",
	"codex":  "Codex runs the tool call unchecked",
	"gemini": "Gemini CLI runs the tool call unchecked",
	"cursor": "Cursor blocks the call",
}

// checkAgentHooks reports where safeclaw's hooks for agent are installed
// (user, project and managed settings) and everything doctor can see that
// would stop them from deciding: a missing deciding event, a hook command
// that no longer exists, Claude Code too old for onFailure or a handler
// without it, disableAllHooks, Gemini's hooks switched off (in any layer,
// or safeclaw's by name), Codex not trusting the hooks or its hooks feature
// off, managed settings that only let managed hooks run while safeclaw's
// are elsewhere, and matchers that leave tools out.
func (e *Env) checkAgentHooks(ctx context.Context, agent string, r doctorReport) {
	version := agentVersion(ctx, agent)
	if version != "" {
		r.ok("%s: %s", agent, version)
	}
	exe, err := os.Executable()
	if err != nil {
		exe = "safeclaw"
	}
	binName := filepath.Base(exe)
	installed := false
	// Where safeclaw's handlers are, by scope, for the checks that weigh
	// one settings layer against another.
	found := map[string]hookPlace{}
	for i, scope := range []string{"user", "project", "managed"} {
		path, err := e.settingsPath(agent, scope == "project", scope == "managed")
		if err != nil {
			continue
		}
		if scope == "project" {
			if user, _ := e.settingsPath(agent, false, false); filepath.Clean(user) == filepath.Clean(path) {
				continue // the home directory is the project
			}
		}
		data, err := os.ReadFile(path)
		if err != nil {
			if i == 0 {
				if errors.Is(err, fs.ErrNotExist) {
					r.note("%s: no settings at %s ('safeclaw install %s' to protect it)", agent, path, agent)
				} else {
					r.bad("make it readable", "%s: %v", agent, err)
				}
			}
			continue
		}
		data = agentSettingsJSON(agent, data)
		var hs []hook.InstalledHandler
		if agent == "codex" && scope == "managed" {
			hs, err = codexManagedHandlers(data, binName)
		} else {
			for _, w := range hook.SettingsWarnings(agent, data) {
				r.bad("edit "+path, "%s: %s: %s", agent, path, w)
			}
			hs, err = hook.InstalledHandlers(agent, data, binName)
		}
		if err != nil {
			r.bad("correct the file (its agent cannot read it either)", "%s: %s: %v", agent, path, err)
			continue
		}
		if len(hs) == 0 {
			if i == 0 {
				r.note("%s: safeclaw's hook is not installed in %s ('safeclaw install %s')", agent, path, agent)
			}
			continue
		}
		installed = true
		found[scope] = hookPlace{path, hs}
		e.checkHandlers(agent, scope, path, data, hs, binName, r)
	}
	switch agent {
	case "claude":
		e.checkClaudeManagedOnly(found, binName, r)
	case "codex":
		if p := found["project"]; len(p.hs) > 0 {
			if w := e.codexProjectUntrusted(p.path); w != "" {
				r.bad("trust the project in Codex (it asks when it starts there), or run 'safeclaw install codex --user'", "%s", w)
			}
		}
		e.checkCodexManagedOnly(found, binName, r)
		e.checkCodexFeature(r)
		checkAgentVersion(agent, version, installed, r)
	case "gemini":
		e.checkGeminiLayers(found, binName, r)
	}
	if agent == "claude" {
		for _, path := range e.claudeExtraSettings() {
			if data, err := os.ReadFile(path); err == nil {
				for _, w := range hook.SettingsWarnings(agent, data) {
					r.bad("edit "+path, "%s: %s: %s", agent, path, w)
				}
			}
		}
		e.noteProjectHooks(binName, r)
		if v, ok := parseVersion(version); installed && ok && versionLess(v, claudeOnFailureSince) {
			r.bad("upgrade Claude Code (npm install -g @anthropic-ai/claude-code)",
				"claude: version %d.%d.%d ignores onFailure: block (added in %d.%d.%d): a hook that fails lets the tool call through",
				v[0], v[1], v[2], claudeOnFailureSince[0], claudeOnFailureSince[1], claudeOnFailureSince[2])
		}
	}
	if agent == "gemini" {
		e.noteGeminiCommandShell(r)
	}
}

// checkHandlers checks safeclaw's handlers hs in one settings file.
func (e *Env) checkHandlers(agent, scope, path string, data []byte, hs []hook.InstalledHandler, binName string, r doctorReport) {
	reinstall := "run 'safeclaw install " + agent + "'"
	if scope != "user" {
		reinstall = "run 'safeclaw install " + agent + " --" + scope + "'"
	}
	events := map[string]bool{}
	var names []string
	checked := map[string]bool{}
	for _, h := range hs {
		if !events[h.Event] {
			names = append(names, h.Event)
		}
		events[h.Event] = true
		if len(h.Command) > 0 && !checked[h.Command[0]] {
			checked[h.Command[0]] = true
			if problem := runnable(h.Command[0]); problem != "" {
				r.bad(reinstall+" with the safeclaw you use",
					"%s: %s runs %s, which %s: %s", agent, path, h.Command[0], problem, failedHookMeans[agent])
			}
		}
	}
	r.ok("%s: hook installed in %s (%s)", agent, path, strings.Join(names, ", "))
	for _, ev := range hook.DecidingEvents(agent) {
		if !events[ev] {
			r.bad(reinstall, "%s: %s has no safeclaw hook for %s: those tool calls are not checked", agent, path, ev)
		}
	}
	deciding := map[string]bool{}
	for _, ev := range hook.DecidingEvents(agent) {
		deciding[ev] = true
	}
	for _, h := range hs {
		if agent == "claude" && h.Event == "PostToolUse" {
			e.checkRedactingHook(path, reinstall, h, r)
		}
		if !deciding[h.Event] {
			continue
		}
		var f struct {
			OnFailure  string `json:"onFailure"`
			FailClosed bool   `json:"failClosed"`
		}
		_ = json.Unmarshal(h.Raw, &f)
		e.checkHookWaits(agent, path, reinstall, h, r)
		switch {
		case agent == "claude" && f.OnFailure != "block":
			r.bad(reinstall, "claude: %s: the %s hook has no onFailure: block: if it fails, Claude Code lets the call through", path, h.Event)
		case agent == "cursor" && !f.FailClosed:
			r.bad(reinstall, "cursor: %s: the %s hook has no failClosed: true: if it fails, Cursor lets the call through", path, h.Event)
		}
	}
	e.checkMatchers(agent, path, reinstall, hs, r)
	switch {
	case agent == "codex" && scope == "managed":
		r.ok("codex: %s holds managed hooks, which Codex runs without asking for trust", path)
	case agent == "codex":
		e.checkCodexTrust(path, data, binName, reinstall, r)
	}
}

// checkRedactingHook fails a Claude Code PostToolUse handler marked async
// (as installs before redaction wrote it) while hooks.redact_output is on:
// Claude Code does not wait for its answer, so secrets in tool outputs
// reach the model unredacted.
func (e *Env) checkRedactingHook(path, reinstall string, h hook.InstalledHandler, r doctorReport) {
	var f struct {
		Async bool `json:"async"`
	}
	if json.Unmarshal(h.Raw, &f) != nil || !f.Async {
		return
	}
	if cfg, err := e.loadConfig(); err != nil || !cfg.Hooks.RedactOutput {
		return
	}
	r.bad(reinstall+" (or set hooks.redact_output: false in config.yaml)",
		`claude: %s: the PostToolUse hook is "async": true: Claude Code does not wait for it, so secrets in tool outputs reach the model unredacted`, path)
}

// checkCodexTrust reports whether Codex's user config records trust in
// each of safeclaw's handlers of the hooks file at path, with its current
// hash: Codex skips, without a word, a hook it does not trust.
func (e *Env) checkCodexTrust(path string, data []byte, binName, reinstall string, r doctorReport) {
	ts, err := codexTrusts(path, data, binName)
	if err != nil {
		r.bad(reinstall, "codex: %s: %v", path, err)
		return
	}
	cfg, err := e.codexUserConfig()
	if err != nil {
		r.bad("set HOME or CODEX_HOME", "codex: cannot find Codex's config.toml: %v", err)
		return
	}
	var states map[string]codexHookState
	switch cfgData, err := os.ReadFile(cfg); {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		r.bad("make it readable", "codex: %v", err)
		return
	default:
		if states, err = readCodexHookStates(cfgData); err != nil {
			r.bad("correct "+cfg, "codex: %s: %v", cfg, err)
			return
		}
	}
	fix := reinstall + " (or trust the hooks in Codex's /hooks view)"
	trusted := 0
	for _, t := range ts {
		st, ok := states[t.key]
		switch {
		case st.disabled:
			r.bad("enable it in Codex's /hooks view", "codex: the %s hook of %s is disabled in Codex: those tool calls are not checked", t.event, path)
		case !ok || st.trustedHash == "":
			r.bad(fix, "codex: Codex does not trust the %s hook of %s: it skips it without a word and runs the tool call", t.event, path)
		case st.trustedHash != t.hash:
			r.bad(fix, "codex: the %s hook of %s changed after Codex trusted it: Codex skips it without a word and runs the tool call", t.event, path)
		default:
			trusted++
		}
	}
	if trusted == len(ts) {
		r.ok("codex: Codex trusts safeclaw's hooks (%s)", cfg)
	}
}

// claudeExtraSettings are Claude Code settings files besides those install
// writes where disableAllHooks would also switch safeclaw's hooks off
// (the local settings and the managed drop-ins).
func (e *Env) claudeExtraSettings() []string {
	paths := e.claudeManagedDropIns()
	if e.Cwd != "" {
		paths = append(paths, filepath.Join(e.Cwd, ".claude", "settings.local.json"))
	}
	if e.Home != "" && e.Getenv("CLAUDE_CONFIG_DIR") == "" {
		paths = append(paths, filepath.Join(e.Home, ".claude", "settings.local.json"))
	}
	return paths
}

// runnable says what is wrong with path as a hook's program, "" if nothing.
func runnable(path string) string {
	if !filepath.IsAbs(path) {
		return "is not an absolute path (the agent's PATH decides what runs)"
	}
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "does not exist"
	case err != nil:
		return "cannot be checked (" + err.Error() + ")"
	case !fi.Mode().IsRegular():
		return "is not a file"
	case fi.Mode().Perm()&0o111 == 0:
		return "is not executable"
	}
	return ""
}

// parseVersion reads the first dotted version in an agent's --version
// line ("/usr/bin/claude 2.1.332 (Claude Code)").
func parseVersion(s string) ([3]int, bool) {
	for _, word := range strings.Fields(s) {
		parts := strings.SplitN(strings.TrimPrefix(word, "v"), ".", 3)
		if len(parts) != 3 {
			continue
		}
		var v [3]int
		ok := true
		for i, p := range parts {
			end := 0
			for end < len(p) && p[end] >= '0' && p[end] <= '9' {
				end++
			}
			n, err := strconv.Atoi(p[:end])
			if err != nil || (i < 2 && end != len(p)) {
				ok = false
				break
			}
			v[i] = n
		}
		if ok {
			return v, true
		}
	}
	return [3]int{}, false
}

func versionLess(a, b [3]int) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

// noteProjectHooks lists the hook commands a project's Claude Code
// settings add: Claude Code runs them on its events (even in a folder never
// trusted, under -p) and they are not tool calls, so safeclaw does not see
// them. Only managed settings with allowManagedHooksOnly turn them off.
func (e *Env) noteProjectHooks(binName string, r doctorReport) {
	if e.Cwd == "" {
		return
	}
	for _, name := range []string{"settings.json", "settings.local.json"} {
		path := filepath.Join(e.Cwd, ".claude", name)
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		for key, cmd := range claudeHelperCommands(data) {
			r.note("claude: %s runs %q as its %s, outside safeclaw's checks", path, cmd, key)
		}
		hs, err := hook.OtherHandlers("claude", data, binName)
		if err != nil {
			continue // reported with the settings checks
		}
		for _, h := range hs {
			cmd := strings.Join(h.Command, " ")
			if cmd == "" {
				cmd = string(h.Raw)
			}
			r.note("claude: %s runs %q on %s, outside safeclaw's checks (allowManagedHooksOnly in Claude Code's managed settings turns project hooks off)", path, cmd, h.Event)
		}
	}
}

// noteGeminiCommandShell lists Gemini CLI custom commands (user and
// project) whose prompt injects a shell command's output (!{cmd}). Gemini
// runs those commands when the custom command is used, checking only its
// own policy engine (which --yolo opens): they never reach a hook, so
// safeclaw cannot decide them.
func (e *Env) noteGeminiCommandShell(r doctorReport) {
	var dirs []string
	if e.Home != "" {
		dirs = append(dirs, filepath.Join(e.Home, ".gemini", "commands"))
	}
	if e.Cwd != "" && e.Cwd != e.Home {
		dirs = append(dirs, filepath.Join(e.Cwd, ".gemini", "commands"))
	}
	for _, dir := range dirs {
		_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".toml") {
				return nil
			}
			if data, err := os.ReadFile(path); err == nil && strings.Contains(string(data), "!{") {
				r.note("gemini: %s runs shell commands (!{...}) when used; Gemini CLI does not pass them to hooks, so safeclaw cannot decide them ('safeclaw run -- gemini' still fences them in the kernel)", path)
			}
			return nil
		})
	}
}

// claudeHelperCommands are the commands a Claude Code settings file names
// outside its hooks, which Claude Code runs itself: the status line and
// the credential and header helpers.
func claudeHelperCommands(data []byte) map[string]string {
	var settings map[string]json.RawMessage
	if json.Unmarshal(data, &settings) != nil {
		return nil
	}
	out := map[string]string{}
	for _, key := range []string{"apiKeyHelper", "awsAuthRefresh", "awsCredentialExport", "otelHeadersHelper"} {
		var cmd string
		if json.Unmarshal(settings[key], &cmd) == nil && cmd != "" {
			out[key] = cmd
		}
	}
	var line struct {
		Command string `json:"command"`
	}
	if json.Unmarshal(settings["statusLine"], &line) == nil && line.Command != "" {
		out["statusLine"] = line.Command
	}
	return out
}

// legacyTIOCSTI is the Linux setting that lets a process push keystrokes
// into its terminal's input (TIOCSTI), 1 where still allowed.
var legacyTIOCSTI = "/proc/sys/dev/tty/legacy_tiocsti"

// noteTIOCSTI notes when any process sharing a terminal may type into it:
// an agent outside safeclaw run (which refuses the call) could then type a
// command into the person's shell, or an answer into a prompt.
func noteTIOCSTI(r doctorReport) {
	data, err := os.ReadFile(legacyTIOCSTI)
	if err != nil || strings.TrimSpace(string(data)) != "1" {
		return
	}
	r.note("this kernel lets a process type into its terminal (dev.tty.legacy_tiocsti=1): an agent sharing your terminal outside 'safeclaw run' could type commands into your shell; 'sysctl -w dev.tty.legacy_tiocsti=0' turns it off")
}

// hookPlace is a settings file holding safeclaw's handlers.
type hookPlace struct {
	path string
	hs   []hook.InstalledHandler
}

// claudeManagedDir holds Claude Code's managed settings drop-ins, read
// beside managed-settings.json.
const claudeManagedDir = "/etc/claude-code/managed-settings.d"

// claudeManagedDropIns lists the *.json files in Claude Code's managed
// settings drop-in folder, in name order.
func (e *Env) claudeManagedDropIns() []string {
	paths, _ := filepath.Glob(filepath.Join(e.systemPath(claudeManagedDir), "*.json"))
	return paths
}

// checkClaudeManagedOnly fails when managed settings set
// allowManagedHooksOnly while safeclaw's hooks are only in user or project
// settings: Claude Code then runs none of them.
func (e *Env) checkClaudeManagedOnly(found map[string]hookPlace, binName string, r doctorReport) {
	if len(found["managed"].hs) > 0 {
		return
	}
	managed, err := e.settingsPath("claude", false, true)
	if err != nil {
		return
	}
	setBy := ""
	for _, path := range append([]string{managed}, e.claudeManagedDropIns()...) {
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		if hs, err := hook.InstalledHandlers("claude", data, binName); err == nil && len(hs) > 0 {
			return // safeclaw's hook is managed too (a drop-in)
		}
		var s struct {
			OnlyManaged bool `json:"allowManagedHooksOnly"`
		}
		if json.Unmarshal(data, &s) == nil && s.OnlyManaged && setBy == "" {
			setBy = path
		}
	}
	if setBy == "" {
		return
	}
	for _, scope := range []string{"user", "project"} {
		if p := found[scope]; len(p.hs) > 0 {
			r.bad("run 'safeclaw install claude --managed'",
				`claude: %s sets "allowManagedHooksOnly": true: Claude Code ignores the hooks in %s, safeclaw's included: no tool call is checked`, setBy, p.path)
		}
	}
}

// codexSystemDir is where Codex reads its machine-wide config.toml and
// hooks.json; hooks there count as managed, like those in requirements.toml.
const codexSystemDir = "/etc/codex"

// codexConfigLayers are Codex's config.toml files from lowest to highest
// precedence: system, user, project.
func (e *Env) codexConfigLayers() []string {
	layers := []string{e.systemPath(filepath.Join(codexSystemDir, "config.toml"))}
	user, err := e.codexUserConfig()
	if err == nil {
		layers = append(layers, user)
	}
	if e.Cwd != "" {
		if p := filepath.Join(e.Cwd, ".codex", "config.toml"); filepath.Clean(p) != filepath.Clean(user) {
			layers = append(layers, p)
		}
	}
	return layers
}

// codexFileHandlers returns safeclaw's handlers in a Codex hooks.json or
// config.toml (inline [hooks]), nil when there are none or the file cannot
// be read.
func codexFileHandlers(path, binName string) []hook.InstalledHandler {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var hs []hook.InstalledHandler
	if strings.HasSuffix(path, ".toml") {
		hs, _ = codexManagedHandlers(data, binName)
	} else {
		hs, _ = hook.InstalledHandlers("codex", data, binName)
	}
	return hs
}

// checkCodexManagedOnly fails when requirements.toml sets
// allow_managed_hooks_only while safeclaw's hooks are only in user or
// project files: Codex then loads none of them.
func (e *Env) checkCodexManagedOnly(found map[string]hookPlace, binName string, r doctorReport) {
	req := e.systemPath(codexManagedPath)
	data, err := os.ReadFile(req)
	if err != nil {
		return
	}
	var doc struct {
		OnlyManaged bool `toml:"allow_managed_hooks_only"`
	}
	if toml.Unmarshal(data, &doc) != nil || !doc.OnlyManaged || len(found["managed"].hs) > 0 {
		return
	}
	for _, name := range []string{"hooks.json", "config.toml"} {
		if len(codexFileHandlers(e.systemPath(filepath.Join(codexSystemDir, name)), binName)) > 0 {
			return // the system layer is managed
		}
	}
	var places []string
	for _, scope := range []string{"user", "project"} {
		if p := found[scope]; len(p.hs) > 0 {
			places = append(places, p.path)
		}
	}
	for _, cfg := range e.codexConfigLayers()[1:] {
		if len(codexFileHandlers(cfg, binName)) > 0 {
			places = append(places, cfg)
		}
	}
	for _, p := range places {
		r.bad("run 'safeclaw install codex --managed'",
			"codex: %s sets allow_managed_hooks_only = true: Codex ignores the hooks in %s, safeclaw's included: no tool call is checked", req, p)
	}
}

// checkCodexFeature fails when Codex's hooks feature is off: pinned off in
// requirements.toml, or off in the config.toml layer that decides it (the
// highest that sets it). codex_hooks is the feature's older name.
func (e *Env) checkCodexFeature(r doctorReport) {
	setting := func(path string) (key string, on, set bool) {
		data, err := os.ReadFile(path)
		if err != nil {
			return "", false, false
		}
		var doc struct {
			Features map[string]any `toml:"features"`
		}
		if toml.Unmarshal(data, &doc) != nil {
			return "", false, false // reported with the trust check when it matters
		}
		for _, k := range []string{"hooks", "codex_hooks"} {
			if v, ok := doc.Features[k].(bool); ok {
				return k, v, true
			}
		}
		return "", false, false
	}
	fail := func(path, key string) {
		what := "[features] hooks = false"
		if key == "codex_hooks" {
			what = "[features] codex_hooks = false (the older name of hooks)"
		}
		r.bad("remove it from "+path+" (Codex's hooks are on by default)",
			"codex: %s: %s turns every Codex hook off, safeclaw's included: no tool call is checked", path, what)
	}
	req := e.systemPath(codexManagedPath)
	if key, on, set := setting(req); set {
		if !on {
			fail(req, key)
		}
		return // a requirement overrules the config layers
	}
	decidedBy, decidingKey, enabled := "", "", true
	for _, path := range e.codexConfigLayers() {
		if key, on, set := setting(path); set {
			decidedBy, decidingKey, enabled = path, key, on
		}
	}
	if !enabled {
		fail(decidedBy, decidingKey)
	}
}

// geminiSystemPaths are Gemini CLI's system settings (highest precedence)
// and system defaults (lowest), where Gemini CLI reads them.
func (e *Env) geminiSystemPaths() (settings, defaults string) {
	settings = e.Getenv("GEMINI_CLI_SYSTEM_SETTINGS_PATH")
	if settings == "" {
		settings = e.systemPath("/etc/gemini-cli/settings.json")
	}
	defaults = e.Getenv("GEMINI_CLI_SYSTEM_DEFAULTS_PATH")
	if defaults == "" {
		defaults = filepath.Join(filepath.Dir(settings), "system-defaults.json")
	}
	return settings, defaults
}

// geminiHooksConfig is a Gemini settings file's hooksConfig.
type geminiHooksConfig struct {
	Enabled  *bool    `json:"enabled"`
	Disabled []string `json:"disabled"`
}

// checkGeminiLayers checks what the user and project checks do not see:
// hooks switched off in the system settings (which override the user's) or
// in the system defaults (unless a user or project file turns them back
// on), and hooksConfig.disabled naming safeclaw's hook in any layer (the
// lists add up).
func (e *Env) checkGeminiLayers(found map[string]hookPlace, binName string, r doctorReport) {
	system, defaults := e.geminiSystemPaths()
	type layer struct {
		path string
		data []byte
		cfg  geminiHooksConfig
	}
	var layers []layer
	paths := []string{defaults}
	for _, scope := range []string{"user", "project"} {
		if p, err := e.settingsPath("gemini", scope == "project", false); err == nil {
			paths = append(paths, p)
		}
	}
	paths = append(paths, system)
	seen := map[string]bool{}
	for _, path := range paths {
		if seen[filepath.Clean(path)] {
			continue // the home directory is the project
		}
		seen[filepath.Clean(path)] = true
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		data = stripJSONComments(data) // Gemini reads settings with comments
		var s struct {
			HooksConfig geminiHooksConfig `json:"hooksConfig"`
		}
		_ = json.Unmarshal(data, &s) // an unreadable file is reported where it matters
		layers = append(layers, layer{path, data, s.HooksConfig})
	}
	onAgain := false
	for _, l := range layers {
		if l.path == system {
			for _, w := range hook.SettingsWarnings("gemini", l.data) {
				r.bad("edit "+l.path+" (system settings override the user's and the project's)", "gemini: %s: %s", l.path, w)
			}
		}
		if l.path != defaults && l.cfg.Enabled != nil && *l.cfg.Enabled {
			onAgain = true
		}
	}
	for _, l := range layers {
		if l.path == defaults && l.path != system && l.cfg.Enabled != nil && !*l.cfg.Enabled && !onAgain {
			r.bad(`edit `+l.path+`, or set "hooksConfig": {"enabled": true} in ~/.gemini/settings.json`,
				`gemini: %s: "hooksConfig.enabled": false in Gemini's system defaults turns its hooks off, and no user or project settings turn them back on`, l.path)
		}
	}
	// Gemini names a hook by its name, else by its command line.
	var hs []hook.InstalledHandler
	for _, p := range found {
		hs = append(hs, p.hs...)
	}
	for _, l := range layers {
		if l.path == system || l.path == defaults {
			more, _ := hook.InstalledHandlers("gemini", l.data, binName)
			hs = append(hs, more...)
		}
	}
	names := map[string]bool{}
	for _, h := range hs {
		var hc struct {
			Name    string `json:"name"`
			Command string `json:"command"`
		}
		switch {
		case json.Unmarshal(h.Raw, &hc) != nil:
		case hc.Name != "":
			names[hc.Name] = true
		case hc.Command != "":
			names[hc.Command] = true
		}
	}
	for _, l := range layers {
		for _, d := range l.cfg.Disabled {
			if names[d] {
				r.bad(fmt.Sprintf(`remove %q from "hooksConfig.disabled" in %s`, d, l.path),
					`gemini: %s: "hooksConfig.disabled" lists %q: Gemini CLI skips safeclaw's hook: no tool call is checked`, l.path, d)
			}
		}
	}
}

// matcherEvents are the deciding events whose matcher selects tools.
var matcherEvents = map[string][]string{
	"claude": {"PreToolUse", "PermissionRequest"},
	"codex":  {"PreToolUse", "PermissionRequest"},
	"gemini": {"BeforeTool"},
}

// toolProbe is a tool doctor tries a matcher on: its label in the report
// and the names the agent tests the matcher against (aliases after the
// first).
type toolProbe struct {
	label string
	names []string
}

// toolProbes are each agent's tools that safeclaw gates, as named to hooks.
var toolProbes = map[string][]toolProbe{
	"claude": probes("Bash", "Write", "Edit", "MultiEdit", "NotebookEdit", "Read", "Glob", "Grep", "WebFetch", "WebSearch", "Task", "Agent"),
	"codex": append(probes("Bash"),
		toolProbe{"apply_patch", []string{"apply_patch", "Edit", "Write"}}, // Codex also tests its aliases
		toolProbe{"web_search", []string{"web_search"}}, toolProbe{"view_image", []string{"view_image"}}),
	"gemini": probes("run_shell_command", "write_file", "replace", "read_file", "read_many_files", "glob", "grep_search",
		"list_directory", "web_fetch", "google_web_search", "save_memory", "invoke_agent"),
}

// mcpProbe stands for every agent's MCP tools; unnamedProbes for tools the
// agent adds later, which a list of names leaves out.
var (
	mcpProbe      = toolProbe{"MCP tools (mcp__*)", []string{"mcp__server__tool"}}
	unnamedProbes = []string{"SomeFutureTool", "x"}
)

func probes(names ...string) []toolProbe {
	out := make([]toolProbe, len(names))
	for i, n := range names {
		out[i] = toolProbe{n, []string{n}}
	}
	return out
}

// Matchers of names only, compared whole: Claude Code's for tool events
// (split at | and ,) and Codex's (split at |). Anything else is a regex.
var (
	claudeNameList = regexp.MustCompile(`^[a-zA-Z0-9_|, -]+$`)
	codexNameList  = regexp.MustCompile(`^[a-zA-Z0-9_|]+$`)
)

// toolMatcher reads a hook matcher the way agent does: all when it
// matches every tool, else the test it applies to a tool name. An error
// means doctor cannot tell (a JavaScript regex Go does not read).
func toolMatcher(agent string, matcher *string) (match func(string) bool, all bool, err error) {
	if matcher == nil {
		return nil, true, nil
	}
	m := *matcher
	if agent == "gemini" {
		m = strings.TrimSpace(m)
	}
	if m == "" || m == "*" {
		return nil, true, nil
	}
	nameSet := func(sep func(rune) bool) func(string) bool {
		names := map[string]bool{}
		for _, n := range strings.FieldsFunc(m, sep) {
			names[strings.TrimSpace(n)] = true
		}
		return func(tool string) bool { return names[tool] }
	}
	switch {
	case agent == "claude" && claudeNameList.MatchString(m):
		return nameSet(func(r rune) bool { return r == '|' || r == ',' }), false, nil
	case agent == "codex" && codexNameList.MatchString(m):
		return nameSet(func(r rune) bool { return r == '|' }), false, nil
	}
	re, err := regexp.Compile(m)
	switch {
	case err == nil:
		return re.MatchString, false, nil
	case agent == "codex":
		// Codex's regexes are Go's, near enough; it skips a group whose
		// matcher does not compile.
		return func(string) bool { return false }, false, nil
	}
	return nil, false, err
}

// checkMatchers fails when the matchers of safeclaw's handlers for a
// deciding event leave tools out: the agent runs those tool calls without
// asking safeclaw. It also fails on a Claude Code handler narrowed by "if".
func (e *Env) checkMatchers(agent, path, reinstall string, hs []hook.InstalledHandler, r doctorReport) {
	for _, ev := range matcherEvents[agent] {
		var tests []func(string) bool
		var quoted []string
		seen, all := false, false
		for _, h := range hs {
			if h.Event != ev {
				continue
			}
			seen = true
			if agent == "claude" {
				var f struct {
					If string `json:"if"`
				}
				if json.Unmarshal(h.Raw, &f) == nil && f.If != "" {
					r.bad(reinstall, `claude: %s: the %s hook has "if": %q: Claude Code runs it only for the calls that match, every other call goes through unchecked`, path, ev, f.If)
				}
			}
			match, matchesAll, err := toolMatcher(agent, h.Matcher)
			switch {
			case err != nil:
				r.note(`%s: %s: cannot tell which tools the %s hook's matcher %q covers (%v); "*" covers every tool`, agent, path, ev, *h.Matcher, err)
				all = true // not reported twice
			case matchesAll:
				all = true
			default:
				tests = append(tests, match)
				quoted = append(quoted, strconv.Quote(*h.Matcher))
			}
		}
		if !seen || all {
			continue
		}
		matched := func(names ...string) bool {
			for _, test := range tests {
				for _, n := range names {
					if test(n) {
						return true
					}
				}
			}
			return false
		}
		var missed []string
		for _, p := range append(toolProbes[agent], mcpProbe) {
			if !matched(p.names...) {
				missed = append(missed, p.label)
			}
		}
		for _, n := range unnamedProbes {
			if !matched(n) {
				missed = append(missed, "any tool it does not name")
				break
			}
		}
		if len(missed) == 0 {
			continue
		}
		list := strings.Join(missed, ", ")
		if len(missed) > 1 {
			list = strings.Join(missed[:len(missed)-1], ", ") + " and " + missed[len(missed)-1]
		}
		r.bad(reinstall, "%s: %s: the %s hook only runs for tools matching %s: %s go through unchecked",
			agent, path, ev, strings.Join(quoted, " or "), list)
	}
}
