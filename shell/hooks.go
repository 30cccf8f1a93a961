package shell

import (
	"path"
	"sort"
	"strings"

	"github.com/safeclaw/safeclaw/action"
)

// gitHooks are the facets of the git hooks this text wrote (a file under
// a .git/hooks directory, or under a core.hooksPath it set): git runs them
// when a command updates the repository, so they are folded into any git
// command that follows. A hook fetched from the network is opaque.
func (a *analyzer) gitHooks(text string, sc scope) []action.Action {
	isHook := func(key string) bool {
		if strings.Contains(key, "/.git/hooks/") {
			return true
		}
		for _, d := range a.hookDirs {
			if path.Dir(key) == d {
				return true
			}
		}
		return false
	}
	var out []action.Action
	keys := make([]string, 0, len(a.files))
	for k := range a.files {
		if isHook(k) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		out = append(out, a.fold(a.files[k], "git hook "+k, sc)...)
	}
	fetched := make([]string, 0, len(a.fetched))
	for k := range a.fetched {
		if isHook(k) {
			fetched = append(fetched, k)
		}
	}
	sort.Strings(fetched)
	for _, k := range fetched {
		out = append(out, opaqueFacet(text, "git runs a hook downloaded earlier in this text: "+clip(k)))
	}
	return out
}

// pathProgram is what running name does when PATH (as this text set it,
// in the command's environment or before) puts first a directory where
// this text wrote, or fetched, a file of that name.
func (a *analyzer) pathProgram(name string, ch *chain, text string, sc scope) []action.Action {
	w, ok := ch.env["PATH"]
	if !ok {
		if w, ok = a.exported["PATH"]; !ok {
			return nil
		}
	}
	if len(a.files) == 0 && len(a.fetched) == 0 && len(a.fetchedTrees) == 0 {
		return nil
	}
	_, val, _ := strings.Cut(w.s, "=")
	for _, dir := range strings.Split(val, ":") {
		if strings.ContainsAny(dir, "$`") {
			// Directories from outside the text ($PATH): not ours to know.
			continue
		}
		if dir == "" {
			dir = "."
		}
		key := a.fileKey(path.Join(dir, name))
		if from, ok := a.isFetched(key); ok {
			return []action.Action{opaqueFacet(text, "runs a file downloaded earlier in this text: "+clip(from))}
		}
		if content, ok := a.files[key]; ok {
			return a.fold(content, key, sc)
		}
	}
	return nil
}
