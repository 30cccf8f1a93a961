package catalog

import (
	"path/filepath"
	"strings"
)

// A repository's own .git/config can make any git command run a program:
// core.fsmonitor (status, diff), core.pager, core.editor, core.sshCommand,
// shell aliases (alias.x = !cmd), filter drivers (checkout, add), diff and
// merge drivers. An agent may write that file where the policy lets it edit
// (a scratch repository under /tmp) and then run an everyday git command
// there, so the configuration git will read is read too, and what it runs
// is analysed like git -c.

// gitLocation is where a git command's options put its repository: the
// directories of -C, in order, and --git-dir (or --bare).
type gitLocation struct {
	chdirs      []string
	gitDir      string
	gitDirGiven bool
	workTree    string // --work-tree, "" when not given
}

// gitRepo is the repository a git command runs in, as gitConfigs found it:
// its git directory, the common directory (a worktree's main repository,
// where hooks live) and the top of its work tree ("" when bare or not
// known). hooksPath is core.hooksPath as the configuration read sets it
// (the last value wins, as in git).
type gitRepo struct {
	gitDir, common, top string
	hooksPath           string
	hooksPathFrom       string
	base                string            // where git runs, after -C
	remotes             map[string]string // "url NAME" and "pushurl NAME": remote.NAME.url, .pushurl
}

// maxGitIncludes is how deep git follows include.path (git's own bound).
const maxGitIncludes = 10

// gitConfigs judges the configuration files a git command reads besides
// the user's own: a system or global file the text names
// (GIT_CONFIG_SYSTEM, GIT_CONFIG_GLOBAL, or HOME and XDG_CONFIG_HOME moved
// elsewhere), and, when repo is set, the configuration of the repository
// it runs in (GIT_DIR, --git-dir, or the one found from the working
// directory or -C as git finds it, through a .git file and a worktree's
// commondir). A file that is not there is what git ignores; a value only
// known at run time, or a file that cannot be read, leaves what git runs
// unknown.
func (f *finder) gitConfigs(loc gitLocation, repo bool) gitRepo {
	f.repo = gitRepo{}
	if f.cmd.ReadFile == nil {
		return gitRepo{}
	}
	base := f.gitBase(loc.chdirs)
	if v, ok := f.cmd.Env["GIT_CONFIG_SYSTEM"]; ok && !gitEnvTrue(f.cmd.Env["GIT_CONFIG_NOSYSTEM"]) {
		f.gitConfigVar("GIT_CONFIG_SYSTEM", v, base, "")
	}
	if v, ok := f.cmd.Env["GIT_CONFIG_GLOBAL"]; ok {
		f.gitConfigVar("GIT_CONFIG_GLOBAL", v, base, "")
	} else {
		home, homeSet := f.cmd.Env["HOME"]
		if xdg, ok := f.cmd.Env["XDG_CONFIG_HOME"]; ok && (!xdg.Known || xdg.Value != "") {
			f.gitConfigVar("XDG_CONFIG_HOME", xdg, base, "git/config")
		} else if homeSet {
			f.gitConfigVar("HOME", home, base, ".config/git/config")
		}
		if homeSet {
			f.gitConfigVar("HOME", home, base, ".gitconfig")
		}
	}
	if !repo {
		return gitRepo{}
	}
	gitDir, top := "", ""
	if !loc.gitDirGiven {
		if v, ok := f.cmd.Env["GIT_DIR"]; ok {
			if !v.Known {
				f.opaque("git", "GIT_DIR is only known at run time: the configuration git reads there can make it run programs")
				return gitRepo{}
			}
			loc.gitDir, loc.gitDirGiven = v.Value, true
		}
	}
	if loc.gitDirGiven {
		if f.runTimeValue(loc.gitDir) || strings.ContainsAny(loc.gitDir, "$`") {
			f.opaque("git", "git --git-dir "+loc.gitDir+": the repository, whose configuration can make git run programs, is only known at run time")
			return gitRepo{}
		}
		if gitDir = gitJoin(base, loc.gitDir); gitDir != "" {
			gitDir = f.gitFile(gitDir)
		}
		// With GIT_DIR and no work tree named, git works in the current
		// directory.
		top = base
	} else if base != "" {
		gitDir, top = f.gitDiscover(base)
	}
	if gitDir == "" {
		return gitRepo{}
	}
	if v, ok := f.cmd.Env["GIT_WORK_TREE"]; ok && v.Known {
		top = gitJoin(base, v.Value)
	}
	if loc.workTree != "" {
		top = gitJoin(base, loc.workTree)
	}
	common := gitDir
	if v, ok := f.cmd.Env["GIT_COMMON_DIR"]; ok {
		if !v.Known {
			f.opaque("git", "GIT_COMMON_DIR is only known at run time: the configuration git reads there can make it run programs")
			return gitRepo{}
		}
		common = gitJoin(base, v.Value)
	} else if data, err := f.cmd.ReadFile(filepath.Join(gitDir, "commondir")); err == nil && len(data) <= MaxFileBytes {
		// A worktree's git directory names the repository's own.
		common = gitJoin(gitDir, strings.TrimSpace(string(data)))
	}
	if common != "" {
		f.gitConfigPath(filepath.Join(common, "config"), 0)
	}
	f.gitConfigPath(filepath.Join(gitDir, "config.worktree"), 0)
	r := f.repo
	r.gitDir, r.common, r.top, r.base = gitDir, common, top, base
	if r.common == "" {
		r.common = gitDir
	}
	return r
}

// gitBase is the directory git runs in after its -C options: "" when it
// is not known statically.
func (f *finder) gitBase(chdirs []string) string {
	dir := f.cmd.Cwd
	for _, c := range chdirs {
		if c == "" {
			continue
		}
		if strings.ContainsAny(c, "$`") || f.runTimeValue(c) {
			// As cd "$DIR" is: the directory is not known, and neither
			// is a repository found from it.
			return ""
		}
		dir = gitJoin(dir, c)
	}
	if dir == "" || !filepath.IsAbs(dir) {
		return ""
	}
	return filepath.Clean(dir)
}

// gitJoin resolves a path against a directory: "" when it is relative and
// the directory unknown.
func gitJoin(dir, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	if dir == "" {
		return ""
	}
	return filepath.Join(dir, p)
}

// gitEnvTrue reports whether a boolean variable git reads is set true.
func gitEnvTrue(v EnvValue) bool {
	return v.Known && inList("1 true yes on", strings.ToLower(strings.TrimSpace(v.Value)))
}

// gitConfigVar judges the configuration file a variable names (with
// suffix, the file under the directory it names).
func (f *finder) gitConfigVar(name string, v EnvValue, base, suffix string) {
	switch {
	case !v.Known || f.runTimeValue(v.Value):
		f.opaque("git", name+" is only known at run time: the configuration git reads from it can make git run programs")
	case v.Value == "":
	default:
		p := v.Value
		if suffix != "" {
			p = filepath.Join(p, suffix)
		}
		if p = gitJoin(base, p); p == "" {
			f.opaque("git", name+"="+v.Value+": a configuration file relative to a directory not known statically")
			return
		}
		f.gitConfigPath(p, 0)
	}
}

// gitConfigPath reads a configuration file git reads and judges it; one
// that is not there is ignored, as git ignores it.
func (f *finder) gitConfigPath(name string, depth int) {
	if name == "/dev/null" {
		return
	}
	if data := f.read(name); data != nil {
		f.gitConfigFile(string(data), name, depth)
	}
}

// gitFile follows a git directory given as a .git file (gitdir: PATH, as
// a worktree or a submodule has) to the directory it names.
func (f *finder) gitFile(p string) string {
	data, err := f.cmd.ReadFile(p)
	if err != nil || len(data) > MaxFileBytes {
		return p
	}
	line, _, _ := strings.Cut(string(data), "\n")
	if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "gitdir:"); ok {
		return gitJoin(filepath.Dir(p), strings.TrimSpace(rest))
	}
	return p
}

// gitDiscover finds the git directory of the repository dir is in, as git
// does: DIR/.git (a directory, or a file naming one), or DIR itself when
// it is a git directory (a bare repository, or inside .git), from dir up.
// top is the work tree's top (DIR), "" for a git directory itself.
func (f *finder) gitDiscover(dir string) (gitDir, top string) {
	for range 64 {
		dotgit := filepath.Join(dir, ".git")
		_, err := f.cmd.ReadFile(filepath.Join(dotgit, "config"))
		if err == nil || !Missing(err) {
			return dotgit, dir
		}
		switch data, err := f.cmd.ReadFile(dotgit); {
		case err == nil && len(data) <= MaxFileBytes:
			if g := f.gitFile(dotgit); g != dotgit {
				return g, dir
			}
		case err == nil || !Missing(err):
			f.read(dotgit) // says why it cannot be read
			return "", ""
		}
		if f.gitBare(dir) {
			return dir, ""
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", ""
		}
		dir = parent
	}
	return "", ""
}

// gitBare reports whether dir is itself a git directory: a HEAD naming a
// branch or a commit, next to a config.
func (f *finder) gitBare(dir string) bool {
	head, err := f.cmd.ReadFile(filepath.Join(dir, "HEAD"))
	if err != nil || len(head) > 4096 {
		return false
	}
	h := strings.TrimSpace(string(head))
	if !strings.HasPrefix(h, "ref: refs/") && !isHex(h) {
		return false
	}
	_, err = f.cmd.ReadFile(filepath.Join(dir, "config"))
	return err == nil || !Missing(err)
}

// isHex reports whether s is an object name (40 or 64 hex digits).
func isHex(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return false
		}
	}
	return true
}

// gitConfigFile judges the keys of a git configuration file that make git
// run a program: their values are analysed as commands. Included files
// (include.path, includeIf.*.path, whatever the condition) are read too,
// a relative path from the including file's directory as git resolves it.
func (f *finder) gitConfigFile(text, name string, depth int) {
	section := ""
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if line[0] == '[' {
			end := strings.IndexByte(line, ']')
			if end < 0 {
				continue
			}
			head := strings.TrimSpace(line[1:end])
			sec, sub, hasSub := strings.Cut(head, " ")
			section = strings.ToLower(sec)
			if hasSub {
				section += "." + strings.Trim(strings.TrimSpace(sub), `"`)
			}
			line = strings.TrimSpace(line[end+1:])
			if line == "" {
				continue
			}
		}
		k, v, _ := strings.Cut(line, "=")
		k = strings.ToLower(strings.TrimSpace(k))
		v = gitConfigValue(v)
		if k == "" || section == "" {
			continue
		}
		full := section + "." + k
		origin := name + " " + full
		sec, _, _ := strings.Cut(section, ".")
		switch {
		case inList(gitScriptConfig, full):
			f.scriptText(strings.TrimPrefix(v, "!"), origin)
		case sec == "alias" && strings.HasPrefix(v, "!"):
			f.scriptText(v[1:], origin)
		case sec == "filter" && inList("clean smudge process", k),
			sec == "diff" && inList("textconv command", k),
			sec == "merge" && k == "driver":
			f.scriptText(v, origin)
		case full == "core.hookspath":
			f.repo.hooksPath, f.repo.hooksPathFrom = v, name
		case sec == "remote" && (k == "url" || k == "pushurl") && section != "remote":
			if f.repo.remotes == nil {
				f.repo.remotes = make(map[string]string)
			}
			// A push goes to pushurl when there is one.
			f.repo.remotes[k+" "+strings.TrimPrefix(section, "remote.")] = v
		case (sec == "include" || sec == "includeif") && k == "path" && v != "":
			f.gitInclude(v, name, origin, depth)
		}
	}
}

// gitInclude reads a configuration file another includes.
func (f *finder) gitInclude(p, from, origin string, depth int) {
	if depth+1 >= maxGitIncludes {
		f.opaque("git", origin+": includes nested too deep to follow")
		return
	}
	switch {
	case strings.HasPrefix(p, "~/"):
		home := f.cmd.Home
		if v, ok := f.cmd.Env["HOME"]; ok {
			if !v.Known {
				f.opaque("git", origin+": "+p+" is under a HOME only known at run time")
				return
			}
			home = v.Value
		}
		if home == "" {
			f.opaque("git", origin+": "+p+" is under a home directory not known")
			return
		}
		p = filepath.Join(home, p[2:])
	case strings.HasPrefix(p, "%(prefix)/") || strings.HasPrefix(p, "~"):
		f.opaque("git", origin+": "+p+": an included configuration safeclaw cannot locate")
		return
	case !filepath.IsAbs(p):
		p = filepath.Join(filepath.Dir(from), p)
	}
	f.gitConfigPath(filepath.Clean(p), depth+1)
}

// gitConfigValue is a configuration value without its comment and quotes.
func gitConfigValue(v string) string {
	var b strings.Builder
	quoted := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '"':
			quoted = !quoted
		case c == '\\' && i+1 < len(v):
			i++
			switch v[i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			default:
				b.WriteByte(v[i])
			}
		case (c == '#' || c == ';') && !quoted:
			return strings.TrimSpace(b.String())
		default:
			b.WriteByte(c)
		}
	}
	return strings.TrimSpace(b.String())
}
