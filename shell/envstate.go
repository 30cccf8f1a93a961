package shell

import (
	"path"
	"strconv"
	"strings"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/shell/catalog"
)

// declBuiltins are the builtins whose assignments last (and, but for
// local and readonly, export): export NAME=VALUE.
var declBuiltins = map[string]bool{"export": true, "declare": true, "typeset": true, "local": true, "readonly": true}

// envState carries a command's environment assignments past it when they
// last (NAME=VALUE alone, export, declare -x, and a sourced file's
// assignments under set -a): a later shell sources an exported BASH_ENV
// or ENV as if it were assigned before it. It also pairs git's
// configuration variables (GIT_CONFIG_KEY_n with GIT_CONFIG_VALUE_n,
// GIT_CONFIG_PARAMETERS) into the commands they make git run.
func (a *analyzer) envState(words []word, ch *chain) {
	persist := len(words) == 0 || words[0].dyn == 0 && declBuiltins[words[0].s]
	if len(words) > 0 && words[0].dyn == 0 && words[0].s == "unset" || len(words) > 1 && words[0].s == "export" && words[1].s == "-n" {
		for _, w := range words[1:] {
			delete(a.exported, w.s)
		}
	}
	if len(ch.env) == 0 {
		return
	}
	// Git's configuration from the environment, with what this text
	// exported before.
	lookup := func(name string) (word, bool) {
		if w, ok := ch.env[name]; ok {
			return w, true
		}
		w, ok := a.exported[name]
		return w, ok
	}
	value := func(w word) string {
		_, v, _ := strings.Cut(w.s, "=")
		return v
	}
	for name := range ch.env {
		var n string
		switch {
		case strings.HasPrefix(name, "GIT_CONFIG_KEY_"):
			n = strings.TrimPrefix(name, "GIT_CONFIG_KEY_")
		case strings.HasPrefix(name, "GIT_CONFIG_VALUE_"):
			n = strings.TrimPrefix(name, "GIT_CONFIG_VALUE_")
		case name == "GIT_CONFIG_PARAMETERS":
			for _, kv := range gitConfigParameters(value(ch.env[name])) {
				w := ch.env[name]
				w.s = kv
				a.gitConfig(w, ch)
			}
			continue
		default:
			continue
		}
		if _, err := strconv.Atoi(n); err != nil {
			continue
		}
		k, ok1 := lookup("GIT_CONFIG_KEY_" + n)
		v, ok2 := lookup("GIT_CONFIG_VALUE_" + n)
		if !ok1 || !ok2 {
			continue
		}
		// Each pair once: when its key is in this command's environment,
		// or only its value is.
		if _, here := ch.env["GIT_CONFIG_KEY_"+n]; here && strings.HasPrefix(name, "GIT_CONFIG_VALUE_") {
			continue
		}
		w := v
		w.s = value(k) + "=" + value(v)
		w.dyn |= k.dyn
		a.gitConfig(w, ch)
	}
	if !persist {
		return
	}
	if a.exported == nil {
		a.exported = map[string]word{}
	}
	for name, w := range ch.env {
		a.exported[name] = w
	}
}

// commandEnv is the environment this text gives a command, as the
// catalogue reads it: what it exported before, then its own assignments.
func (a *analyzer) commandEnv(ch *chain) map[string]catalog.EnvValue {
	if len(ch.env) == 0 && len(a.exported) == 0 {
		return nil
	}
	env := make(map[string]catalog.EnvValue, len(ch.env)+len(a.exported))
	for _, m := range []map[string]word{a.exported, ch.env} {
		for name, w := range m {
			_, v, _ := strings.Cut(w.s, "=")
			env[name] = catalog.EnvValue{Value: v, Known: w.dyn == 0}
		}
	}
	return env
}

// envWord is a variable's assignment this command runs with (its own, or
// one this text exported before).
func (a *analyzer) envWord(ch *chain, name string) (word, bool) {
	if w, ok := ch.env[name]; ok {
		return w, true
	}
	w, ok := a.exported[name]
	return w, ok
}

// inheritedStartup are the startup files a shell gets from what this text
// exported (BASH_ENV, ENV), unless its own environment sets them.
func (a *analyzer) inheritedStartup(ch *chain) []word {
	var out []word
	for _, name := range []string{"BASH_ENV", "ENV"} {
		if _, own := ch.env[name]; own {
			continue
		}
		w, ok := a.exported[name]
		if !ok {
			continue
		}
		v := w
		_, v.s, _ = strings.Cut(w.s, "=")
		v.raw = strings.TrimPrefix(w.raw, name+"=")
		out = append(out, v)
	}
	return out
}

// gitConfigParameters splits GIT_CONFIG_PARAMETERS ('key'='value' 'k2'='v2')
// into key=value settings.
func gitConfigParameters(s string) []string {
	var out []string
	var b strings.Builder
	inQuote := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'':
			inQuote = !inQuote
		case c == '\\' && !inQuote && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		case (c == ' ' || c == '\t' || c == '\n') && !inQuote:
			if b.Len() > 0 {
				out = append(out, b.String())
				b.Reset()
			}
		default:
			b.WriteByte(c)
		}
	}
	if b.Len() > 0 {
		out = append(out, b.String())
	}
	return out
}

// rcFiles are the facets of the startup files in the home directory a
// shell reads (~/.bashrc for an interactive bash, ~/.profile and friends
// for a login shell, ~/.zshenv for every zsh) when this text wrote or
// fetched them: echo CMD >> ~/.bashrc; bash -i runs CMD. Files it did not
// touch are the user's own and not read.
func (a *analyzer) rcFiles(prog string, v action.Argv, ch *chain, text string, sc scope) []action.Action {
	if len(a.files) == 0 && len(a.fetched) == 0 && len(a.fetchedTrees) == 0 || a.env.Home == "" {
		return nil
	}
	interactive := ch.run.interactive || ch.run.kind == runStdin && ch.stdin == nil
	login := v.Has("-l", "--login") || len(v.Words) > 0 && strings.HasPrefix(v.Words[0], "-")
	var names []string
	switch prog {
	case "bash":
		if login {
			names = append(names, ".bash_profile", ".bash_login", ".profile")
		}
		if interactive && !login {
			names = append(names, ".bashrc")
		}
	case "zsh":
		names = append(names, ".zshenv")
		if login {
			names = append(names, ".zprofile", ".zlogin")
		}
		if interactive {
			names = append(names, ".zshrc")
		}
	case "sh", "dash", "ksh", "mksh", "ash", "yash":
		if login {
			names = append(names, ".profile")
		}
	case "fish":
		names = append(names, ".config/fish/config.fish")
	case "csh", "tcsh":
		names = append(names, ".cshrc", ".tcshrc")
		if login {
			names = append(names, ".login")
		}
	}
	var out []action.Action
	for _, n := range names {
		key := a.fileKey(path.Join(a.env.Home, n))
		if from, ok := a.isFetched(key); ok {
			out = append(out, opaqueFacet(text, "shell startup file downloaded earlier in this text: "+clip(from)))
			continue
		}
		if content, ok := a.files[a.resolve(key)]; ok && prog != "fish" && prog != "csh" && prog != "tcsh" {
			out = append(out, a.fold(content, "~/"+n, sc)...)
		}
	}
	return out
}

// unreadStartup makes a shell opaque when the startup file it sources
// cannot be read: BASH_ENV for bash, ENV for an interactive POSIX shell,
// given before it or exported earlier in this text, naming a file neither
// written by this text nor readable through Env.ReadFile.
func (a *analyzer) unreadStartup(prog string, ch *chain, text string) []action.Action {
	name := ""
	switch {
	case prog == "bash":
		name = "BASH_ENV"
	case (ch.run.interactive || ch.run.kind == runStdin && ch.stdin == nil) && shells[prog] && prog != "zsh" && prog != "fish" && prog != "csh" && prog != "tcsh":
		name = "ENV"
	default:
		return nil
	}
	w, ok := ch.env[name]
	if !ok {
		if w, ok = a.exported[name]; !ok {
			return nil
		}
	}
	_, val, _ := strings.Cut(w.s, "=")
	if val == "" || w.dyn != 0 || strings.HasPrefix(val, "<(") {
		return nil // empty, or judged by startupFiles
	}
	key := a.fileKey(val)
	if _, ok := a.isFetched(key); ok {
		return nil // startupFiles says so
	}
	if _, ok := a.readScript(val); ok {
		return nil
	}
	return []action.Action{opaqueFacet(text, name+" names a startup file safeclaw cannot read: "+clip(val))}
}
