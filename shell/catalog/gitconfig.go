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

// gitRepoConfig reads the .git/config of the repository git runs in (the
// working directory, or -C DIR, searched upward as git searches) and
// returns the commands it would run as scripts.
func (f *finder) gitRepoConfig(chdir string) {
	if f.cmd.ReadFile == nil {
		return
	}
	dir := f.cmd.Cwd
	if chdir != "" {
		if strings.ContainsAny(chdir, "$`") {
			return
		}
		if filepath.IsAbs(chdir) {
			dir = chdir
		} else if dir != "" {
			dir = filepath.Join(dir, chdir)
		}
	}
	if dir == "" || !filepath.IsAbs(dir) {
		return
	}
	dir = filepath.Clean(dir)
	for range 64 {
		name := filepath.Join(dir, ".git", "config")
		data, err := f.cmd.ReadFile(name)
		switch {
		case err == nil && len(data) <= MaxFileBytes:
			f.gitConfigFile(string(data), name)
			return
		case err == nil || !Missing(err):
			// There, but too long or unreadable: read says so.
			f.read(name)
			return
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return
		}
		dir = parent
	}
}

// gitConfigFile judges the keys of a git configuration file that make git
// run a program: their values are analysed as commands; an include, whose
// file is not followed, leaves what runs unknown.
func (f *finder) gitConfigFile(text, name string) {
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
		case sec == "include" || sec == "includeif":
			f.opaque("git", origin+": an included configuration, not read, can make git run programs")
		}
	}
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
