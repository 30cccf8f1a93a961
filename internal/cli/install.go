package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/safeclaw/safeclaw/hook"
	"github.com/safeclaw/safeclaw/internal/filelock"
)

const installUsage = `Usage: safeclaw install claude|codex|gemini|cursor [--user|--project|--managed] [--settings FILE]
                        [--ask MODE|default] [--dry-run] [--uninstall] [--mcp]
       safeclaw uninstall AGENT [flags]

Adds safeclaw's hooks to an agent's settings, where the agent loads them:
  claude   ~/.claude/settings.json (or $CLAUDE_CONFIG_DIR/settings.json)
           PreToolUse, PermissionRequest and PreSkillShellCommand with
           onFailure: block, PostToolUse async
  codex    ~/.codex/hooks.json (or $CODEX_HOME/hooks.json): PreToolUse, PermissionRequest
  gemini   ~/.gemini/settings.json: BeforeTool
  cursor   ~/.cursor/hooks.json: beforeShellExecution, beforeMCPExecution,
           beforeReadFile, preToolUse (Shell, Write, Edit, Delete), failClosed

Everything else in the file is kept as it is written (indentation, line ends,
key order); safeclaw's own entries are replaced, so running it twice changes
nothing, and uninstall gives the file back as it was. The old file is kept as FILE.safeclaw-backup-TIME,
and the new one is written atomically, with the old one's mode and owner; a
file that changes meanwhile (another install, the agent) is left as it is.
A file that is not valid JSON (or TOML), has comments or a key twice in one
object, or begins with a BOM is refused, unchanged. --uninstall removes
safeclaw's entries only. Exit 1 when the file, or another settings layer,
keeps the agent from running the hooks (disableAllHooks, allowManagedHooksOnly,
hooksConfig.enabled: false, Codex's [features] hooks = false).

Installing again keeps the installed hook's --ask and --run unless the
command line gives others (--ask default: the agent's default); a --policy
or --timeout found in the settings is not carried over (settings can come
from a cloned project).
A settings file without write permission (chmod a-w) is refused, unchanged.

Each hook's timeout is 300 s, above safeclaw's own deadlines (20 s, or 4 min
when waiting for an approval), so safeclaw always answers first.

--mcp instead rewrites the agent's MCP servers to run through safeclaw
mcp: stdio servers as 'safeclaw mcp --name NAME -- COMMAND ARGS...', remote
streamable-HTTP servers as 'safeclaw mcp --name NAME --upstream URL
[--header ...]' (claude: ~/.claude.json, or .mcp.json with --project;
gemini: ~/.gemini/settings.json; cursor: ~/.cursor/mcp.json; codex:
~/.codex/config.toml [mcp_servers.NAME], edited in place); uninstall --mcp
restores them. SSE servers and servers the agent signs in to itself (OAuth)
are listed, not changed.

Scopes: --user (default) for your account; --project for this directory's
settings (a cloned repository can change those: prefer --user); --managed for
the machine-wide managed settings (needs root): Claude Code's
/etc/claude-code/managed-settings.json, where it also sets
allowManagedHooksOnly, or Codex's /etc/codex/requirements.toml (managed hooks
need no trust), where it also sets allow_managed_hooks_only; then no user or
project settings can add hooks that run outside safeclaw's checks
(--keep-other-hooks leaves them on).
--settings FILE writes exactly FILE.
`

func runUninstall(ctx context.Context, e *Env, args []string) int {
	return runInstall(ctx, e, append([]string{"--uninstall"}, args...))
}

func runInstall(_ context.Context, e *Env, args []string) int {
	flags := newFlags(e, "install", installUsage)
	user := flags.Bool("user", false, "install for your user account (default)")
	project := flags.Bool("project", false, "install into this directory's agent settings")
	managed := flags.Bool("managed", false, "install into Claude Code's managed settings (/etc/claude-code)")
	settings := flags.String("settings", "", "write this settings file instead of the agent's default")
	ask := flags.String("ask", "", "ask mode the hook uses: native, defer, wait or deny (default: per agent)")
	binary := flags.String("binary", "", "path of the safeclaw binary the hook runs (default: this one)")
	dryRun := flags.Bool("dry-run", false, "print the new settings file instead of writing it")
	uninstall := flags.Bool("uninstall", false, "remove safeclaw's hooks")
	wrapMCP := flags.Bool("mcp", false, "wrap the agent's stdio MCP servers in 'safeclaw mcp' instead of installing hooks (see docs/mcp.md)")
	keepOthers := flags.Bool("keep-other-hooks", false, "with --managed: leave user and project hooks on (no allowManagedHooksOnly)")
	agent, rest, code, ok := agentAndFlags(e, flags, args)
	if !ok {
		return code
	}
	switch {
	case len(rest) > 0:
		return errorf(e, "install: unexpected argument %q", rest[0])
	case agent == "":
		return hintf(e, "safeclaw install claude", "install: which agent? (%s)", strings.Join(hook.Agents(), ", "))
	}
	if !isAgent(agent) {
		if s := closest(agent, hook.Agents()); s != "" {
			return hintf(e, fmt.Sprintf("did you mean %q?", s), "install: unknown agent %q", agent)
		}
		return errorf(e, "install: unknown agent %q (known: %s)", agent, strings.Join(hook.Agents(), ", "))
	}
	scopes := 0
	for _, b := range []bool{*user, *project, *managed, *settings != ""} {
		if b {
			scopes++
		}
	}
	if scopes > 1 {
		return errorf(e, "install: give at most one of --user, --project, --managed, --settings")
	}
	askGiven := false
	flags.Visit(func(f *flag.Flag) { askGiven = askGiven || f.Name == "ask" })
	if *ask == "default" {
		*ask = string(hook.AskDefault)
	}
	mode, err := hook.ParseAskMode(*ask)
	if err != nil {
		return errorf(e, "install: %v", err)
	}

	path := *settings
	if path == "" {
		if path, err = e.settingsPath(agent, *project, *managed); err != nil {
			return errorf(e, "install: %v", err)
		}
	} else if path, err = filepath.Abs(path); err != nil {
		return errorf(e, "install: %v", err)
	}

	exe := *binary
	if exe == "" {
		if exe, err = os.Executable(); err != nil {
			return errorf(e, "install: cannot find safeclaw's own path (%v); give --binary", err)
		}
	}
	if exe, err = filepath.Abs(exe); err != nil {
		return errorf(e, "install: %v", err)
	}
	if *wrapMCP {
		return e.installMCP(agent, *project, *managed, *settings, exe, *dryRun, *uninstall)
	}
	argv := []string{exe, "hook", agent}
	if mode != hook.AskDefault {
		argv = append(argv, "--ask", string(mode))
	}

	if !*dryRun {
		// One install or uninstall at a time per settings directory.
		dir := filepath.Dir(path)
		if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) && !*uninstall {
			if err := mkdirOwned(dir); err != nil {
				return errorf(e, "install: %v", err)
			}
		}
		// Off Unix there is no lock; the edit's own check that the file
		// did not change meanwhile still stands.
		if unlock, err := filelock.LockDir(dir); err == nil {
			defer unlock()
		}
	}
	old, err := os.ReadFile(path)
	existed := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return errorf(e, "install: %v", err)
	}
	if bytes.HasPrefix(old, []byte("\xef\xbb\xbf")) {
		return hintf(e, "save it as UTF-8 without a byte order mark, then run the command again",
			"install: %s begins with a byte order mark (BOM), which safeclaw does not edit: it was not changed", path)
	}
	codexManaged := *managed && agent == "codex"
	if k, _ := hook.DuplicateKey(old); k != "" && !codexManaged {
		// The agent reads the last of the two; an edit would silently
		// drop one, which may hold another tool's hooks.
		return hintf(e, "keep one of them, then run the command again",
			"install: %s has the key %q twice in one object, which safeclaw does not edit: it was not changed", path, k)
	}
	if !*uninstall && !codexManaged {
		// Installing again keeps the options the installed hook runs
		// with (--ask wait, ...), unless this command line says otherwise.
		kept, dropped := keptHookOptions(agent, old, filepath.Base(exe), askGiven)
		argv = append(argv, kept...)
		if len(kept) > 0 {
			fmt.Fprintf(e.Stdout, "note: kept the installed hook's options: %s (give --ask MODE to change the ask mode, --ask default for %s's default)\n", strings.Join(kept, " "), agent)
		}
		if len(dropped) > 0 {
			fmt.Fprintf(e.Stderr, "safeclaw: warning: %s: the installed hook's %q is not kept (only --ask and --run carry over)\n", path, strings.Join(dropped, " "))
		}
	}
	// What the install finds already there of what it adds (a user's
	// empty "hooks": {}), kept beside the file, lets uninstall take away
	// only what install added.
	var found hook.Found
	useFound, recordFound := false, false
	if !codexManaged {
		if *uninstall {
			found, useFound = readFound(path)
		} else if prior, err := hook.InstalledHandlers(agent, old, filepath.Base(exe)); err == nil && len(prior) == 0 {
			if found, err = hook.FoundBeforeInstall(agent, old); err == nil {
				recordFound = true
			}
		}
	}
	var out []byte
	var changed bool
	if codexManaged {
		block, err := codexManagedBlock(argv)
		if err == nil {
			out, changed, err = editCodexRequirements(old, block, filepath.Base(exe), !*keepOthers, *uninstall)
		}
		if err != nil {
			return hintf(e, "fix the file by hand (it was not changed)", "install: %s: %v", path, err)
		}
	} else if out, changed, err = editHookSettings(agent, old, argv, *uninstall, found, useFound); err != nil {
		if _, _, cerr := hook.EditSettings(agent, agentSettingsJSON(agent, old), argv, *uninstall); agent == "gemini" && cerr == nil {
			// Gemini reads comments; safeclaw's edit would drop them.
			return hintf(e, "remove the comments (safeclaw cannot edit the file and keep them), then run the command again",
				"install: %s has comments, which Gemini CLI reads but safeclaw cannot keep: it was not changed", path)
		}
		return hintf(e, "fix the file by hand (it was not changed), or give --settings FILE",
			"install: %s: %v", path, err)
	}
	onlyManaged := *managed && !*uninstall && !*keepOthers
	// A marker beside Claude Code's managed settings records that safeclaw
	// (not an administrator) set allowManagedHooksOnly, so that uninstall
	// takes back only its own change.
	marker := path + ".safeclaw-set-managed-only"
	setManagedOnly, releasedManagedOnly := false, false
	if onlyManaged && agent == "claude" {
		var adminOff bool
		if out, setManagedOnly, adminOff, err = hook.RequireManagedHooks(out); err != nil {
			return errorf(e, "install: %s: %v", path, err)
		}
		changed = changed || setManagedOnly
		if adminOff {
			onlyManaged = false
			fmt.Fprintf(e.Stdout, "note: %s sets \"allowManagedHooksOnly\": false, an administrator's choice: kept, so user and project hooks stay on (set it to true yourself to turn them off)\n", path)
		}
	}
	if *managed && *uninstall && agent == "claude" {
		if _, err := os.Stat(marker); err == nil {
			if out, releasedManagedOnly, err = hook.ReleaseManagedHooks(out); err != nil {
				return errorf(e, "install: %s: %v", path, err)
			}
			changed = changed || releasedManagedOnly
		}
	}
	if !codexManaged {
		out = keepLayout(old, out)
		if t, err := settingsTarget(path); err == nil && *uninstall && changed {
			out = layoutFromBackup(t, out)
		}
	}
	offWarnings := hook.SettingsWarnings(agent, out)
	for _, w := range offWarnings {
		fmt.Fprintf(e.Stderr, "safeclaw: warning: %s: %s\n", path, w)
	}
	// Hooks written into a file that switches hooks off do not run: the
	// install has not protected anything, and must not exit as if it had.
	hooksOff := func(code int) int {
		if code != exitOK || *uninstall {
			return code
		}
		if len(offWarnings) == 0 {
			// Or another layer does: managed settings that only run
			// managed hooks, disableAllHooks elsewhere, ...
			blockers := e.installBlockers(agent, path, *managed, out, filepath.Base(exe))
			if len(blockers) == 0 {
				return code
			}
			for _, w := range blockers {
				fmt.Fprintf(e.Stderr, "safeclaw: warning: %s\n", w)
			}
		}
		fmt.Fprintf(e.Stderr, "safeclaw: error: install: %s has safeclaw's hooks, but %s does not run them while the setting above is there: every tool call runs unchecked; change it, then run 'safeclaw doctor'\n", path, agent)
		return exitFindings
	}
	verb := "installed"
	if *uninstall {
		verb = "removed"
	}
	if *dryRun {
		fmt.Fprintf(e.Stderr, "safeclaw: dry run: would write %s (changed: %v)\n", path, changed)
		_, _ = e.Stdout.Write(out)
		return exitOK
	}
	if !changed {
		state := "already installed"
		if *uninstall {
			state = "not installed"
		}
		fmt.Fprintf(e.Stdout, "safeclaw hooks for %s %s in %s; nothing changed\n", agent, state, path)
		if codexManaged {
			return hooksOff(exitOK)
		}
		return hooksOff(e.codexTrustStep(agent, path, out, exe, false))
	}
	if *uninstall && !existed {
		return exitOK
	}
	if code, refused := refuseReadOnly(e, "install", path); refused {
		return code
	}
	if agent == "codex" && !codexManaged && !*uninstall {
		if err := e.codexTrustWritable(path, out, filepath.Base(exe)); err != nil {
			return hintf(e, "fix config.toml (Codex cannot read it either), then run 'safeclaw install codex' again",
				"install: Codex's trust in safeclaw's hooks could not be recorded, so %s was not changed: %v", path, err)
		}
	}
	if *uninstall && !codexManaged {
		// Trust is taken back while the handlers it names are still known.
		if code := e.codexTrustStep(agent, path, old, exe, true); code != exitOK {
			return code
		}
	}

	target, err := settingsTarget(path)
	if err != nil {
		return errorf(e, "install: %v", err)
	}
	backup, err := settingsEdit{target: target, old: old, existed: existed, out: out, perm: 0o644, stamp: e.backupStamp()}.commit()
	if backup != "" {
		fmt.Fprintf(e.Stdout, "backup: %s\n", backup)
	}
	if err != nil {
		return errorf(e, "install: write %s: %v", target, err)
	}
	fmt.Fprintf(e.Stdout, "%s safeclaw hooks for %s in %s\n", verb, agent, path)
	if recordFound {
		if err := writeFound(path, found); err != nil {
			fmt.Fprintf(e.Stderr, "safeclaw: warning: %s: %v (uninstall may remove an empty \"hooks\" or \"version\" that was there before)\n", foundPath(path), err)
		}
	}
	if *uninstall && !codexManaged {
		os.Remove(foundPath(path))
	}
	if setManagedOnly {
		if err := writeFileAtomic(marker, []byte("safeclaw install set allowManagedHooksOnly in "+path+"; safeclaw uninstall --managed takes it back\n"), 0o644); err != nil {
			fmt.Fprintf(e.Stderr, "safeclaw: warning: %s: %v (uninstall will leave allowManagedHooksOnly set)\n", marker, err)
		}
	}
	if *uninstall {
		if releasedManagedOnly {
			fmt.Fprintf(e.Stdout, "note: allowManagedHooksOnly removed (safeclaw's install had set it): user and project hooks run again\n")
		}
		if *managed && agent == "claude" {
			os.Remove(marker)
		}
		return exitOK
	}
	if codexManaged {
		fmt.Fprintf(e.Stdout, "note: managed hooks need no trust: Codex runs them as they are\n")
	} else {
		code = e.codexTrustStep(agent, path, out, exe, false)
		for _, n := range installNotes(agent, *project) {
			fmt.Fprintf(e.Stdout, "note: %s\n", n)
		}
	}
	switch {
	case onlyManaged && agent == "claude":
		fmt.Fprintf(e.Stdout, "note: allowManagedHooksOnly is set: Claude Code now runs only managed hooks, none from user or project settings (--keep-other-hooks leaves them on)\n")
	case onlyManaged:
		fmt.Fprintf(e.Stdout, "note: allow_managed_hooks_only is set: Codex now runs only managed hooks, none from user or project settings (--keep-other-hooks leaves them on)\n")
	}
	return hooksOff(code)
}

// codexTrustStep records (remove: takes back) Codex's trust in the
// safeclaw handlers of the hooks file at path (content data); a no-op for
// the other agents. Failing to record it fails the install: Codex would
// skip the hooks without a word.
func (e *Env) codexTrustStep(agent, path string, data []byte, exe string, remove bool) int {
	if agent != "codex" {
		return exitOK
	}
	msg, err := e.trustCodexHooks(path, data, filepath.Base(exe), remove)
	if err != nil {
		if remove {
			fmt.Fprintf(e.Stderr, "safeclaw: warning: Codex's trust in safeclaw's hooks was not removed: %v\n", err)
			return exitOK
		}
		return hintf(e, "trust safeclaw's hooks in Codex's /hooks view, or fix config.toml and run 'safeclaw install codex' again",
			"install: Codex's trust in safeclaw's hooks was not recorded, so Codex skips them: %v", err)
	}
	if msg != "" {
		fmt.Fprintf(e.Stdout, "%s\n", msg)
	}
	return exitOK
}

// settingsTarget is the file to write for settings at path: the link's
// target when path is a symbolic link, so that settings kept in a dotfiles
// repository stay linked (a rename over the link would cut it), else path.
// A dangling link is an error rather than a file created somewhere else.
//
// Run as root, a link is followed only to a file of the link's own owner:
// `sudo safeclaw install` with a person's HOME must not write, as root,
// whatever file that person's link names (/etc/..., another user's).
func settingsTarget(path string) (string, error) {
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		return path, nil
	}
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", fmt.Errorf("%s is a symbolic link that cannot be followed: %v", path, err)
	}
	if os.Geteuid() == 0 {
		link := ownerOf(fi)
		if tfi, err := os.Stat(target); err == nil {
			if to := ownerOf(tfi); link.known && to.known && link.uid != to.uid {
				return "", fmt.Errorf("%s is a symbolic link owned by uid %d to %s, a file of uid %d: not followed as root; edit %s as its owner, or give --settings %s",
					path, link.uid, target, to.uid, target, target)
			}
		}
	}
	return target, nil
}

// backupStamp is the time part of a backup's name.
func (e *Env) backupStamp() string { return e.Now().UTC().Format("20060102T150405Z") }

// agentAndFlags parses a command line of one agent name and flags, in any
// order; it returns the agent, any further arguments, and (code, false) when
// the caller must stop (after --help or a bad flag).
func agentAndFlags(e *Env, flags *flag.FlagSet, args []string) (agent string, rest []string, code int, ok bool) {
	for {
		if code, ok := parseFlags(e, flags, args); !ok {
			return "", nil, code, false
		}
		args = flags.Args()
		if agent != "" || len(args) == 0 || args[0] == "--" {
			return agent, args, 0, true
		}
		agent, args = args[0], args[1:]
	}
}

func isAgent(name string) bool {
	for _, a := range hook.Agents() {
		if a == name {
			return true
		}
	}
	return false
}

// settingsPath is where agent loads hooks from, for the chosen scope.
func (e *Env) settingsPath(agent string, project, managed bool) (string, error) {
	if managed {
		switch agent {
		case "claude":
			return e.systemPath("/etc/claude-code/managed-settings.json"), nil
		case "codex":
			return e.systemPath(codexManagedPath), nil
		}
		return "", fmt.Errorf("--managed is only known for claude and codex; give --settings FILE for %s's managed settings", agent)
	}
	base := e.Home
	if project {
		base = e.Cwd
	}
	if base == "" {
		return "", errors.New("no home directory; give --settings FILE")
	}
	switch agent {
	case "claude":
		if d := e.Getenv("CLAUDE_CONFIG_DIR"); d != "" && !project {
			return filepath.Join(d, "settings.json"), nil
		}
		return filepath.Join(base, ".claude", "settings.json"), nil
	case "codex":
		if d := e.codexHomeEnv(); d != "" && !project {
			return filepath.Join(d, "hooks.json"), nil
		}
		return filepath.Join(base, ".codex", "hooks.json"), nil
	case "gemini":
		return filepath.Join(base, ".gemini", "settings.json"), nil
	case "cursor":
		return filepath.Join(base, ".cursor", "hooks.json"), nil
	}
	return "", fmt.Errorf("unknown agent %q", agent)
}

// installNotes are what a person must still know or do after installing.
func installNotes(agent string, project bool) []string {
	var notes []string
	switch agent {
	case "claude":
		notes = append(notes, "onFailure: block needs Claude Code 2.1.295 or later (older versions let a failed hook through); 'safeclaw doctor' checks it")
	case "codex":
		notes = append(notes,
			"Codex trusts a hook by its exact content: after editing safeclaw's entries in hooks.json, run 'safeclaw install codex' again (or trust them in Codex's /hooks view); 'safeclaw doctor' checks the trust")
	case "gemini":
		notes = append(notes, "Gemini's -p mode hangs on an 'ask' answer, so safeclaw denies with an approval hint instead; use --ask native for interactive sessions only")
	case "cursor":
		notes = append(notes, "Cursor's hook format is taken from its documentation and has not been run against a Cursor build")
	}
	if project {
		notes = append(notes, "project settings only guard this directory, and the agent or a cloned repository can change them; prefer the user scope")
	}
	return notes
}
