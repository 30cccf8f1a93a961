package shell

import (
	"sort"
	"strings"
)

// commandArgNames are the argument names whose value is shell text, in a
// tool call's arguments (compared ignoring case, "_" and "-", so
// shell_command and shellCommand count).
var commandArgNames = map[string]bool{"command": true, "cmd": true, "script": true, "shellcommand": true,
	"commandline": true, "cmdline": true, "bash": true, "sh": true, "shell": true, "shellscript": true}

// maxCommandArgDepth bounds how deep in the arguments they are looked for
// ({"options": {"command": ...}}).
const maxCommandArgDepth = 4

// CommandArgs returns the shell text held by a tool call's arguments (an
// MCP tool's, an unknown agent tool's): every string, or argv list of
// strings (quoted into shell text), under a command-like name, at any
// depth up to a bound, in a stable order. Shell rules then apply to what
// the tool would run.
func CommandArgs(args map[string]any) []string {
	var out []string
	commandArgsIn(args, 0, &out)
	return out
}

func commandArgsIn(obj map[string]any, depth int, out *[]string) {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := obj[k]
		if commandArgNames[strings.NewReplacer("_", "", "-", "").Replace(strings.ToLower(k))] {
			if text, ok := argText(v); ok {
				*out = append(*out, text)
				continue
			}
		}
		if depth+1 >= maxCommandArgDepth {
			continue
		}
		switch x := v.(type) {
		case map[string]any:
			commandArgsIn(x, depth+1, out)
		case []any:
			for _, it := range x {
				if m, ok := it.(map[string]any); ok {
					commandArgsIn(m, depth+1, out)
				}
			}
		}
	}
}

// argText is a string argument, or an argv list of strings quoted into
// shell text (so that it is not split again).
func argText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, strings.TrimSpace(x) != ""
	case []any:
		if len(x) == 0 {
			return "", false
		}
		words := make([]string, 0, len(x))
		for _, w := range x {
			s, ok := w.(string)
			if !ok {
				return "", false
			}
			words = append(words, "'"+strings.ReplaceAll(s, "'", `'\''`)+"'")
		}
		return strings.Join(words, " "), true
	}
	return "", false
}
