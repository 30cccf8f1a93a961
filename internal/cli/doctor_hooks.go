package cli

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

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
// without it, disableAllHooks, Gemini's hooks switched off, Codex not
// trusting the hooks.
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
		e.checkHandlers(agent, scope, path, data, hs, binName, r)
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
		if !deciding[h.Event] {
			continue
		}
		var f struct {
			OnFailure  string `json:"onFailure"`
			FailClosed bool   `json:"failClosed"`
		}
		_ = json.Unmarshal(h.Raw, &f)
		switch {
		case agent == "claude" && f.OnFailure != "block":
			r.bad(reinstall, "claude: %s: the %s hook has no onFailure: block: if it fails, Claude Code lets the call through", path, h.Event)
		case agent == "cursor" && !f.FailClosed:
			r.bad(reinstall, "cursor: %s: the %s hook has no failClosed: true: if it fails, Cursor lets the call through", path, h.Event)
		}
	}
	switch {
	case agent == "codex" && scope == "managed":
		r.ok("codex: %s holds managed hooks, which Codex runs without asking for trust", path)
	case agent == "codex":
		e.checkCodexTrust(path, data, binName, reinstall, r)
	}
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
// writes where disableAllHooks would also switch safeclaw's hooks off.
func (e *Env) claudeExtraSettings() []string {
	var paths []string
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
