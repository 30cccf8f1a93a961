package catalog

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"

	"github.com/safeclaw/safeclaw/action"
)

// ---- git hooks on disk ----
//
// git runs the hooks of the repository a command updates: $GIT_DIR/hooks/NAME
// (the common directory's, for a worktree), or NAME under core.hooksPath.
// An agent may write a hook where the policy lets it write (a scratch
// repository under /tmp) and run an everyday git command there in a later,
// separate command, so the hooks the subcommand can run are read from disk.
//
// Real projects have hooks (husky, the pre-commit framework, lefthook,
// git-lfs), so, as with an install's lifecycle scripts, only a hook's
// dangerous facets are kept (see GitHookFacet): a listener, a bound port, a
// tunnel, a remote shell. A hook that lies under a temporary, world-writable
// directory (/tmp, /var/tmp, /dev/shm, a TMPDIR the text sets), where no
// project keeps its hooks but anyone, an agent included, may write one, is
// held to more: what in it cannot be resolved (shell.opaque) is kept too,
// and a hook that cannot be analysed at all (a binary, an interpreter the
// catalogue does not read, a file that cannot be read or is too long) is
// opaque. Elsewhere such a hook is unknown and adds nothing.

// gitSubHooks are the hooks each subcommand can run (client side).
var gitSubHooks = map[string]string{
	"commit":       "pre-commit prepare-commit-msg commit-msg post-commit post-rewrite reference-transaction post-index-change pre-auto-gc",
	"merge":        "pre-merge-commit prepare-commit-msg commit-msg post-merge reference-transaction post-index-change pre-auto-gc",
	"pull":         "pre-merge-commit prepare-commit-msg commit-msg post-merge pre-rebase post-rewrite post-checkout reference-transaction post-index-change pre-auto-gc",
	"checkout":     "post-checkout reference-transaction post-index-change",
	"switch":       "post-checkout reference-transaction post-index-change",
	"worktree":     "post-checkout reference-transaction",
	"rebase":       "pre-rebase post-rewrite post-checkout prepare-commit-msg commit-msg reference-transaction post-index-change pre-auto-gc",
	"cherry-pick":  "pre-commit prepare-commit-msg commit-msg post-commit reference-transaction post-index-change",
	"revert":       "pre-commit prepare-commit-msg commit-msg post-commit reference-transaction post-index-change",
	"am":           "applypatch-msg pre-applypatch post-applypatch post-rewrite reference-transaction post-index-change pre-auto-gc",
	"push":         "pre-push reference-transaction",
	"fetch":        "reference-transaction pre-auto-gc",
	"gc":           "pre-auto-gc",
	"reset":        "reference-transaction post-index-change",
	"stash":        "reference-transaction post-index-change",
	"branch":       "reference-transaction",
	"tag":          "reference-transaction",
	"update-ref":   "reference-transaction",
	"symbolic-ref": "reference-transaction",
	"status":       "post-index-change",
	"add":          "post-index-change",
	"rm":           "post-index-change",
	"mv":           "post-index-change",
	"restore":      "post-index-change",
	"update-index": "post-index-change",
	"read-tree":    "post-index-change",
	"send-email":   "sendemail-validate",
}

// maxHookBytes bounds a hook's text: longer hooks are unknown (the shell
// package analyses no longer text).
const maxHookBytes = 64 << 10

// gitRunHooks reads the hooks sub can run in repo.
func (f *finder) gitRunHooks(sub string, rest []string, repo gitRepo) {
	names, ok := gitSubHooks[sub]
	if !ok || repo.common == "" || f.cmd.ReadFile == nil || wantsHelp(rest) {
		return
	}
	dir := filepath.Join(repo.common, "hooks")
	if p := repo.hooksPath; p != "" {
		// A relative core.hooksPath is relative to where hooks run: the
		// top of the work tree, or the git directory of a bare one.
		switch {
		case p == "~" || strings.HasPrefix(p, "~/"):
			if f.cmd.Home == "" {
				return
			}
			p = filepath.Join(f.cmd.Home, strings.TrimPrefix(p, "~"))
		case !filepath.IsAbs(p):
			base := repo.top
			if base == "" {
				base = repo.gitDir
			}
			p = filepath.Join(base, p)
		}
		dir = filepath.Clean(p)
	}
	for _, name := range strings.Fields(names) {
		f.gitHook(filepath.Join(dir, name))
	}
	if sub == "push" {
		f.gitPushHooks(rest, repo)
	}
}

// gitReceiveHooks are the hooks of the repository a push updates.
const gitReceiveHooks = "pre-receive update proc-receive post-receive post-update push-to-checkout reference-transaction"

// gitPushHooks reads the hooks a push to a repository on this machine
// runs there (git receive-pack runs them, here): the destination given as
// a path or a file:// URL, or a remote whose URL is one.
func (f *finder) gitPushHooks(rest []string, repo gitRepo) {
	pos := positionals(rest, "--repo -o --push-option --receive-pack --exec")
	dest := "origin"
	if v, ok := optValue(rest, "--repo"); ok {
		dest = v
	}
	if len(pos) > 0 {
		dest = pos[0]
	}
	if u, ok := repo.remotes["pushurl "+dest]; ok {
		dest = u
	} else if u, ok := repo.remotes["url "+dest]; ok {
		dest = u
	}
	if isRemoteURL(dest) || strings.ContainsAny(dest, "$`") || f.runTimeValue(dest) {
		return
	}
	dest = strings.TrimPrefix(dest, "file://")
	if !filepath.IsAbs(dest) && !strings.HasPrefix(dest, ".") && !strings.Contains(dest, "/") {
		// A remote's name with no URL git can use: nothing to read.
		return
	}
	if dest = gitJoin(repo.base, dest); dest == "" {
		return
	}
	gitDir := ""
	switch {
	case f.gitBare(dest):
		gitDir = dest
	case f.gitBare(filepath.Join(dest, ".git")):
		gitDir = filepath.Join(dest, ".git")
	default:
		return
	}
	// Only the destination's core.hooksPath matters here; what else its
	// configuration says is read by a finder whose findings are dropped.
	sub := finder{cmd: f.cmd}
	sub.gitConfigPath(filepath.Join(gitDir, "config"), 0)
	dir := filepath.Join(gitDir, "hooks")
	if p := sub.repo.hooksPath; p != "" && !strings.HasPrefix(p, "~") {
		if !filepath.IsAbs(p) {
			top := gitDir
			if filepath.Base(gitDir) == ".git" {
				top = filepath.Dir(gitDir)
			}
			p = filepath.Join(top, p)
		}
		dir = filepath.Clean(p)
	}
	for _, name := range strings.Fields(gitReceiveHooks) {
		f.gitHook(filepath.Join(dir, name))
	}
}

// gitHook reads one hook git would run, if it is there.
func (f *finder) gitHook(p string) {
	stat := f.cmd.Stat
	if stat == nil {
		stat = os.Stat
	}
	fi, err := stat(p)
	switch {
	case err != nil && Missing(err):
		return
	case err != nil:
		f.unknownHook(p, "cannot be examined ("+err.Error()+")")
		return
	case !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0:
		// git ignores a hook that is not an executable file.
		return
	case fi.Size() > maxHookBytes:
		f.unknownHook(p, "is too long to analyse")
		return
	}
	data, err := f.cmd.ReadFile(p)
	switch {
	case err != nil && Missing(err):
		return
	case err != nil:
		f.unknownHook(p, "cannot be read ("+err.Error()+")")
		return
	case len(data) > maxHookBytes:
		f.unknownHook(p, "is too long to analyse")
		return
	}
	head := data[:min(len(data), 1024)]
	if bytes.IndexByte(head, 0) >= 0 || bytes.HasPrefix(head, []byte("\x7fELF")) {
		f.unknownHook(p, "is a binary program")
		return
	}
	text := string(data)
	interp := shebang(text)
	origin := "git hook " + p
	switch interp {
	case "", "sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "busybox":
		// Without a #! line git runs the hook with sh.
		f.hookScript(text, origin, p)
		return
	}
	l, ok := hookLangs[interp]
	if !ok {
		f.unknownHook(p, "runs with "+interp+", which safeclaw does not read")
		return
	}
	sub := finder{cmd: f.cmd}
	sub.code(l, "git", text)
	scratch := f.scratchPath(p)
	for _, a := range sub.res.Facets {
		if GitHookFacet(a.Kind) || scratch && a.Kind == action.ShellOpaque {
			a.Detail = "via " + origin + ": " + a.Detail
			f.add(a)
		}
	}
	for _, s := range sub.res.Scripts {
		f.hookScript(s.Text, origin+": "+s.Origin, p)
	}
}

// hookLangs are the interpreters of hooks whose code the catalogue scans.
var hookLangs = map[string]lang{
	"python": langPython, "pypy": langPython, "node": langJS, "nodejs": langJS, "bun": langJS, "deno": langJS,
	"ruby": langRuby, "perl": langPerl, "php": langPHP, "lua": langLua, "pwsh": langPowerShell,
}

// hookScript returns a hook's shell text to the shell package, which keeps
// only its dangerous facets (Script.Hook).
func (f *finder) hookScript(text, origin, p string) {
	text = strings.TrimSpace(text)
	if text == "" {
		return
	}
	for _, s := range f.res.Scripts {
		if s.Text == text && s.Hook != "" {
			return
		}
	}
	f.res.Scripts = append(f.res.Scripts, Script{Text: text, Origin: origin, Hook: p, Scratch: f.scratchPath(p)})
}

// unknownHook is a hook git runs that cannot be analysed.
func (f *finder) unknownHook(p, why string) {
	if f.scratchPath(p) {
		f.opaque("git", "git runs the hook "+p+", which "+why+" and lies in a directory anyone may write")
	}
}

// scratchPath reports whether p lies under a temporary, world-writable
// directory.
func (f *finder) scratchPath(p string) bool {
	dirs := []string{"/tmp", "/var/tmp", "/dev/shm", "/private/tmp", "/private/var/tmp"}
	if v, ok := f.cmd.Env["TMPDIR"]; ok && v.Known && filepath.IsAbs(v.Value) {
		dirs = append(dirs, filepath.Clean(v.Value))
	}
	for _, d := range dirs {
		if d != "/" && (p == d || strings.HasPrefix(p, d+"/")) {
			return true
		}
	}
	return false
}

// shebang is the interpreter a script's #! line names, without its
// directory and version (python3.12 → python), through env; "" when there
// is no #! line.
func shebang(text string) string {
	line, ok := strings.CutPrefix(text, "#!")
	if !ok {
		return ""
	}
	line, _, _ = strings.Cut(line, "\n")
	fields := strings.Fields(line)
	if len(fields) > 0 && filepath.Base(fields[0]) == "env" {
		fields = fields[1:]
		for len(fields) > 0 && (strings.HasPrefix(fields[0], "-") || strings.Contains(fields[0], "=")) {
			fields = fields[1:]
		}
	}
	if len(fields) == 0 {
		return "?"
	}
	name := filepath.Base(fields[0])
	return strings.TrimRight(name, "0123456789.")
}

// GitHookFacet reports whether a hook's facet of kind k is kept: those the
// built-in policy denies whatever the command (listeners, bound ports,
// tunnels, remote shells). Other facets of an everyday project's hooks
// (linters, formatters, git lfs) are left out, so a git command keeps its
// decision.
func GitHookFacet(k action.Kind) bool {
	switch k {
	case action.NetworkListen, action.NetworkBind, action.NetworkTunnel, action.ShellRemote:
		return true
	}
	return false
}
