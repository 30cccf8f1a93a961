package catalog

import (
	"os"
	"path"
	"path/filepath"
	"strings"
)

// npmrc reads the npm configuration, kept in .npmrc files, that makes npm,
// pnpm and yarn (v1) run a program: script-shell (every package script runs
// as PROG -c SCRIPT), shell (npm exec's), git (the program npm runs for git
// dependencies) and node-options (the NODE_OPTIONS of every script). An
// agent can write a project's .npmrc, and npm test then runs what it says.
// Files: the project's (.npmrc beside the nearest package.json at or above
// dir), and the user and global files that npm_config_userconfig and
// npm_config_globalconfig name. The user's own ~/.npmrc is the user's, as
// ~/.gitconfig is.
func (f *finder) npmrc(prog, dir string) {
	root, _ := f.findUp(dir, "package.json")
	if root == "" {
		root = f.absDir(dir)
	}
	var files []string
	if root != "" {
		files = append(files, filepath.Join(root, ".npmrc"))
		if prog == "yarn" {
			// yarn 1 also reads .yarnrc (key "value" lines).
			files = append(files, filepath.Join(root, ".yarnrc"))
		}
	}
	for _, names := range [][2]string{{"npm_config_userconfig", "NPM_CONFIG_USERCONFIG"}, {"npm_config_globalconfig", "NPM_CONFIG_GLOBALCONFIG"}} {
		for _, name := range names {
			v, ok := f.cmd.Env[name]
			switch {
			case !ok:
				continue
			case !v.Known:
				f.opaque(prog, name+" names an npm configuration file not known statically")
			case v.Value != "":
				files = append(files, v.Value)
			}
			break
		}
	}
	for _, file := range files {
		f.npmrcFile(prog, file)
	}
	switch prog {
	case "yarn":
		f.yarnPath(prog, root)
	case "pnpm":
		f.pnpmWorkspace(prog, dir, root)
	}
}

// absDir is dir (relative to the working directory) made absolute and
// clean, "" when the working directory is unknown.
func (f *finder) absDir(dir string) string {
	if filepath.IsAbs(dir) {
		return filepath.Clean(dir)
	}
	if f.cmd.Cwd == "" {
		return ""
	}
	return filepath.Join(f.cmd.Cwd, dir)
}

// findUp returns the nearest directory at or above dir (relative to the
// working directory) that holds the file name, and the file; "" when none
// does.
func (f *finder) findUp(dir, name string) (string, []byte) {
	d := f.absDir(dir)
	for i := 0; d != "" && i < 64; i++ {
		if data := f.read(filepath.Join(d, name)); data != nil {
			return d, data
		}
		parent := filepath.Dir(d)
		if parent == d {
			break
		}
		d = parent
	}
	return "", nil
}

// topLevelYAML calls fn with each top-level "key: value" line of a YAML
// file (pnpm-workspace.yaml, .yarnrc.yml), the value's quotes removed.
func topLevelYAML(data []byte, fn func(key, val string)) {
	for _, line := range strings.Split(string(data), "\n") {
		key, val, ok := strings.Cut(line, ":")
		if !ok || key != strings.TrimLeft(key, " \t") {
			continue // not a top-level setting
		}
		fn(strings.TrimSpace(key), strings.Trim(strings.TrimSpace(val), `"'`))
	}
}

// npmSetting records what one npm setting (key as .npmrc spells it) makes
// npm, pnpm or yarn run. origin names where it was read.
func (f *finder) npmSetting(prog, origin, key, val string) {
	switch key {
	case "script-shell", "shell", "git":
		if strings.Contains(val, "${") {
			f.opaque(prog, origin+key+" is built from environment variables: "+val)
		} else if !plainNpmProgram(key, val) {
			f.scriptText(val, origin+key)
		}
	case "node-options":
		if CodeLoadingEnv("NODE_OPTIONS", val) != "" || strings.Contains(val, "${") {
			f.opaque(prog, origin+"node-options makes every script load code from files safeclaw does not read: "+val)
		}
	}
}

// pnpmWorkspace reads what pnpm takes from the workspace root (the nearest
// directory at or above dir with a pnpm-workspace.yaml, else the project
// root): the settings there that name programs or load code (scriptShell,
// nodeOptions; newer pnpm reads its settings only there), and the pnpmfile
// (.pnpmfile.cjs, or the file pnpmfile names), whose hooks pnpm runs.
func (f *finder) pnpmWorkspace(prog, dir, projectRoot string) {
	root, data := f.findUp(dir, "pnpm-workspace.yaml")
	if root == "" {
		root = projectRoot
	}
	if root == "" {
		return
	}
	origin := filepath.Join(root, "pnpm-workspace.yaml") + " "
	pnpmfile := ".pnpmfile.cjs"
	topLevelYAML(data, func(key, val string) {
		switch key {
		case "scriptShell":
			f.npmSetting(prog, origin, "script-shell", val)
		case "nodeOptions":
			f.npmSetting(prog, origin, "node-options", val)
		case "pnpmfile":
			if val != "" {
				pnpmfile = val
			}
		}
	})
	if !filepath.IsAbs(pnpmfile) {
		pnpmfile = filepath.Join(root, pnpmfile)
	}
	f.fileCode(langJS, prog, pnpmfile)
}

// yarnPath reads yarnPath from the project's .yarnrc.yml: the yarn command
// runs that JavaScript file as yarn itself. A release yarn vendors there
// (.yarn/releases/yarn-4.x.cjs, megabytes of it) is taken as yarn; any
// other file is read as code.
func (f *finder) yarnPath(prog, root string) {
	if root == "" {
		return
	}
	topLevelYAML(f.read(filepath.Join(root, ".yarnrc.yml")), func(key, file string) {
		if key != "yarnPath" || file == "" {
			return
		}
		if !filepath.IsAbs(file) {
			file = filepath.Join(root, file)
		}
		if rel, err := filepath.Rel(filepath.Join(root, ".yarn", "releases"), file); err == nil && !strings.HasPrefix(rel, "..") {
			stat := f.cmd.Stat
			if stat == nil {
				stat = os.Stat
			}
			if fi, err := stat(file); err == nil && fi.Mode().IsRegular() && fi.Size() > MaxFileBytes {
				return // a vendored yarn release
			}
		}
		f.fileCode(langJS, prog, file)
	})
}

// npmrcFile reads one .npmrc (ini: key = value, ; and # comments, [section]
// headers whose keys are not settings).
func (f *finder) npmrcFile(prog, file string) {
	data := f.read(file)
	if data == nil {
		return
	}
	origin := file + " "
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == ';' || line[0] == '#' {
			continue
		}
		if line[0] == '[' {
			// npm reads sections as nested objects, not as settings; what
			// follows the first one is not read as top-level keys.
			return
		}
		key, val, ok := strings.Cut(line, "=")
		if strings.HasSuffix(file, ".yarnrc") {
			key, val, ok = strings.Cut(line, " ")
		}
		if !ok {
			continue
		}
		key = strings.ReplaceAll(strings.ToLower(strings.TrimSpace(key)), "_", "-")
		val = strings.TrimSpace(val)
		if len(val) >= 2 && (val[0] == '"' && val[len(val)-1] == '"' || val[0] == '\'' && val[len(val)-1] == '\'') {
			val = val[1 : len(val)-1]
		}
		f.npmSetting(prog, origin, key, val)
	}
}

// plainNpmProgram reports whether an npm program setting names the usual
// program (a shell for script-shell and shell, git for git), which runs
// nothing of its own.
func plainNpmProgram(key, val string) bool {
	if val == "" {
		return true
	}
	base := path.Base(strings.ReplaceAll(val, `\`, "/"))
	base = strings.TrimSuffix(strings.ToLower(base), ".exe")
	if key == "git" {
		return base == "git"
	}
	switch base {
	case "sh", "bash", "zsh", "dash", "ksh", "mksh", "ash", "cmd", "pwsh", "powershell":
		return !strings.ContainsAny(strings.TrimPrefix(val, `C:\Program Files`), " \t")
	}
	return false
}

// CodeLoadingEnv says why an assignment makes the command load code from
// files safeclaw does not read ("" when it does not): the dynamic loader's
// preload, audit and library path, glibc's iconv modules, and the options
// variables of Node, Perl, Ruby and the JVM when they load a module or an
// agent. Whatever the command is, that code runs in it.
func CodeLoadingEnv(name, val string) string {
	if strings.TrimSpace(val) == "" {
		return ""
	}
	loads := false
	switch name {
	case "LD_PRELOAD", "LD_AUDIT", "LD_LIBRARY_PATH", "GCONV_PATH":
		loads = true
	case "NODE_OPTIONS", "npm_config_node_options", "NPM_CONFIG_NODE_OPTIONS":
		loads = hasAnyOption(val, "-r", "--require", "--import", "--loader", "--experimental-loader")
	case "PERL5OPT":
		loads = hasAnyOption(val, "-M", "-m", "-d")
	case "RUBYOPT":
		loads = hasAnyOption(val, "-r")
	case "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS":
		loads = hasAnyOption(val, "-javaagent", "-agentpath", "-agentlib")
	}
	if !loads {
		return ""
	}
	return name + " makes the command load code from files safeclaw does not read"
}

// hasAnyOption reports whether a space-separated option string holds one
// of the options, alone, with "=VALUE" or ":VALUE", or (for a single-dash
// letter) with its value attached.
func hasAnyOption(val string, opts ...string) bool {
	for _, f := range strings.Fields(val) {
		for _, o := range opts {
			if f == o || strings.HasPrefix(f, o+"=") || strings.HasPrefix(f, o+":") ||
				len(o) == 2 && o[0] == '-' && o[1] != '-' && strings.HasPrefix(f, o) {
				return true
			}
		}
	}
	return false
}
