package hook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/safeclaw/safeclaw/internal/jsonobj"
	"path/filepath"
	"strings"
)

// EditSettings returns an agent's hook settings file (data; empty for a file
// that does not exist yet) with safeclaw's hooks installed, or removed when
// remove is set. argv is the command that runs the hook: the absolute path
// of safeclaw, "hook", the agent, and any flags.
//
// Everything else in the file is kept, in its order: other keys, other
// hooks, other handlers in the same matcher group. safeclaw's own handlers
// (any handler whose command is a program named safeclaw, or argv[0]'s
// name, followed by "hook") are replaced, so installing twice gives the same
// file. changed is false when the result means the same as data.
//
// Files per agent (what goes where is the installer's business):
//   - claude: settings.json, hooks.PreToolUse/PermissionRequest/
//     PreSkillShellCommand (onFailure block) and PostToolUse (whose answer
//     may redact the tool's output), in exec form (command and args);
//   - codex: hooks.json, hooks.PreToolUse/PermissionRequest;
//   - gemini: settings.json, hooks.BeforeTool (timeout in milliseconds);
//   - cursor: hooks.json, version 1, beforeShellExecution,
//     beforeMCPExecution, beforeReadFile and preToolUse for Shell and the
//     file tools (Write, Edit, Delete), failClosed.
//
// Every deciding hook's timeout is [AgentTimeout], above safeclaw's own
// deadlines, so safeclaw's deny always comes before the agent gives up.
func EditSettings(agent string, data []byte, argv []string, remove bool) (out []byte, changed bool, err error) {
	return editSettings(agent, data, argv, remove, nil)
}

// Found is what an agent's settings file already had, before an install,
// of what the install adds besides safeclaw's handlers: the "hooks"
// object, the event lists safeclaw uses, and Cursor's "version". An
// uninstall told what the install found ([UninstallSettings]) removes only
// what the install added, so that installing and then uninstalling gives
// the file back as it was, a user's empty "hooks": {} or "PreToolUse": []
// included.
type Found struct {
	// Had lists "hooks" when the file had it empty, and "hooks.EVENT" for
	// each of safeclaw's events whose list the file had empty: what an
	// uninstall, emptying them, could not tell from what install added.
	// (A list or object with anything else in it is not emptied.)
	Had []string
	// AddedVersion: the install added Cursor's "version": 1 (the file had
	// no "version").
	AddedVersion bool
}

// FoundBeforeInstall is what [EditSettings] installing safeclaw's hooks
// for agent into data finds there already (see [Found]).
func FoundBeforeInstall(agent string, data []byte) (Found, error) {
	var f Found
	root, err := jsonobj.Parse(data)
	if err != nil {
		return f, err
	}
	want, order := desiredHooks(agent, []string{"/safeclaw", "hook", agent})
	if want == nil {
		return f, fmt.Errorf("unknown agent %q", agent)
	}
	if raw, ok := root.Get("hooks"); ok {
		hooks, err := jsonobj.Parse(raw)
		if err != nil {
			return f, fmt.Errorf(`"hooks": %w`, err)
		}
		if len(hooks.Members) == 0 {
			f.Had = append(f.Had, "hooks")
		}
		for _, ev := range order {
			var list []json.RawMessage
			if raw, ok := hooks.Get(ev); ok && json.Unmarshal(raw, &list) == nil && len(list) == 0 {
				f.Had = append(f.Had, "hooks."+ev)
			}
		}
	}
	if _, ok := root.Get("version"); agent == "cursor" && !ok {
		f.AddedVersion = true
	}
	return f, nil
}

// UninstallSettings is [EditSettings] removing safeclaw's hooks from data,
// knowing what the install found (see [Found]): an event list or "hooks"
// object the removal empties stays, empty, when the install found it, and
// goes when the install added it; Cursor's "version" goes when the install
// added it.
func UninstallSettings(agent string, data []byte, argv []string, found Found) (out []byte, changed bool, err error) {
	return editSettings(agent, data, argv, true, &found)
}

func editSettings(agent string, data []byte, argv []string, remove bool, found *Found) (out []byte, changed bool, err error) {
	had := func(key string) bool {
		if found == nil {
			return false
		}
		for _, k := range found.Had {
			if k == key {
				return true
			}
		}
		return false
	}
	if len(argv) < 2 || !filepath.IsAbs(argv[0]) {
		return nil, false, errors.New("the hook command must start with safeclaw's absolute path")
	}
	root, err := jsonobj.Parse(data)
	if err != nil {
		return nil, false, err
	}
	hooks := &jsonobj.Object{}
	_, hadHooks := root.Get("hooks")
	emptied := false // an event list this edit emptied and removed
	if raw, ok := root.Get("hooks"); ok {
		if hooks, err = jsonobj.Parse(raw); err != nil {
			return nil, false, fmt.Errorf(`"hooks": %w`, err)
		}
	}
	ours := ownHandler(filepath.Base(argv[0]))
	want := map[string][]json.RawMessage{}
	order := []string{}
	if !remove {
		want, order = desiredHooks(agent, argv)
		if want == nil {
			return nil, false, fmt.Errorf("unknown agent %q", agent)
		}
	}
	flat := agent == "cursor"

	// Remove safeclaw's handlers from every event, then add the desired ones.
	for _, ev := range hooks.Keys() {
		raw, _ := hooks.Get(ev)
		kept, err := removeOwn(raw, flat, ours)
		if err != nil {
			return nil, false, fmt.Errorf(`"hooks.%s": %w`, ev, err)
		}
		if len(kept) == 0 && len(want[ev]) == 0 {
			var before []json.RawMessage
			if json.Unmarshal(raw, &before) == nil && len(before) == 0 {
				continue // the user's own empty list: left as it is
			}
			if had("hooks." + ev) {
				hooks.Set(ev, json.RawMessage("[]")) // emptied, but the install found it
				continue
			}
			hooks.Del(ev)
			emptied = true
			continue
		}
		hooks.Set(ev, marshalArray(append(kept, want[ev]...)))
	}
	for _, ev := range order {
		if _, ok := hooks.Get(ev); !ok {
			hooks.Set(ev, marshalArray(want[ev]))
		}
	}
	if len(hooks.Members) == 0 && (emptied || !hadHooks) && !had("hooks") {
		// Only a "hooks" this edit emptied goes; the user's own empty
		// object stays.
		root.Del("hooks")
	} else {
		root.Set("hooks", hooks.Marshal())
	}
	if flat && !remove {
		if _, ok := root.Get("version"); !ok {
			root.Members = append([]jsonobj.Member{{Key: "version", Val: json.RawMessage("1")}}, root.Members...)
		}
	}
	if flat && remove && found != nil && found.AddedVersion {
		root.Del("version")
	}
	if out, err = root.MarshalIndent(); err != nil {
		return nil, false, fmt.Errorf("bug: settings do not render: %v", err)
	}
	return out, !sameJSON(data, out), nil
}

// SettingsWarnings lists what in an agent's settings file would stop
// safeclaw's hooks from running.
func SettingsWarnings(agent string, data []byte) []string {
	root, err := jsonobj.Parse(data)
	if err != nil {
		return nil
	}
	var warn []string
	if agent == "claude" {
		if raw, ok := root.Get("disableAllHooks"); ok && bytes.Equal(bytes.TrimSpace(raw), []byte("true")) {
			warn = append(warn, `"disableAllHooks": true turns every hook off, safeclaw's included; remove it`)
		}
	}
	if agent == "gemini" {
		if raw, ok := root.Get("hooksConfig"); ok {
			var hc struct {
				Enabled *bool `json:"enabled"`
			}
			if json.Unmarshal(raw, &hc) == nil && hc.Enabled != nil && !*hc.Enabled {
				warn = append(warn, `"hooksConfig.enabled": false turns Gemini's hooks off; remove it`)
			}
		}
	}
	return warn
}

// desiredHooks is safeclaw's hook configuration for agent: event → entries
// (matcher groups, or handlers for Cursor), and the events in install order.
func desiredHooks(agent string, argv []string) (map[string][]json.RawMessage, []string) {
	deciding := int(AgentTimeout.Seconds())
	line := shellJoin(argv)
	type group struct {
		Matcher string `json:"matcher"`
		Hooks   []any  `json:"hooks"`
	}
	enc := func(v any) json.RawMessage { return bytes.TrimSpace(encodeLine(v)) }
	switch agent {
	case "claude":
		type handler struct {
			Type      string   `json:"type"`
			Command   string   `json:"command"`
			Args      []string `json:"args"`
			Timeout   int      `json:"timeout"`
			OnFailure string   `json:"onFailure,omitempty"`
			Async     bool     `json:"async,omitempty"`
		}
		gate := enc(group{"*", []any{handler{Type: "command", Command: argv[0], Args: argv[1:], Timeout: deciding, OnFailure: "block"}}})
		// PostToolUse waits for safeclaw: its answer may replace the output
		// the model sees (secrets redacted), which an async hook's cannot.
		post := enc(group{"*", []any{handler{Type: "command", Command: argv[0], Args: argv[1:], Timeout: 10}}})
		return map[string][]json.RawMessage{
			"PreToolUse": {gate}, "PermissionRequest": {gate}, skillShellEvent: {gate}, "PostToolUse": {post},
		}, []string{"PreToolUse", "PermissionRequest", skillShellEvent, "PostToolUse"}
	case "codex":
		type handler struct {
			Type          string `json:"type"`
			Command       string `json:"command"`
			Timeout       int    `json:"timeout"`
			StatusMessage string `json:"statusMessage"`
		}
		g := enc(group{"*", []any{handler{"command", line, deciding, "safeclaw"}}})
		return map[string][]json.RawMessage{"PreToolUse": {g}, "PermissionRequest": {g}}, []string{"PreToolUse", "PermissionRequest"}
	case "gemini":
		type handler struct {
			Type        string `json:"type"`
			Command     string `json:"command"`
			Name        string `json:"name"`
			Timeout     int    `json:"timeout"` // milliseconds
			Description string `json:"description"`
		}
		g := enc(group{".*", []any{handler{"command", line, "safeclaw", deciding * 1000, "safeclaw policy gate"}}})
		return map[string][]json.RawMessage{"BeforeTool": {g}}, []string{"BeforeTool"}
	case "cursor":
		type handler struct {
			Command    string `json:"command"`
			Matcher    string `json:"matcher,omitempty"`
			Timeout    int    `json:"timeout"`
			FailClosed bool   `json:"failClosed"`
		}
		h := enc(handler{Command: line, Timeout: deciding, FailClosed: true})
		// preToolUse is the only event before Cursor's own file tools
		// write or delete (afterFileEdit comes too late), so those go
		// through it besides Shell: without them an agent could rewrite
		// ~/.cursor/hooks.json or ~/.bashrc unchecked. One handler per
		// tool, so that the matcher means the same read as a name or as a
		// pattern; Read, Grep and MCP tools have their own before* events.
		var pre []json.RawMessage
		for _, tool := range cursorPreToolUse {
			pre = append(pre, enc(handler{Command: line, Matcher: tool, Timeout: deciding, FailClosed: true}))
		}
		return map[string][]json.RawMessage{
				"beforeShellExecution": {h}, "beforeMCPExecution": {h}, "beforeReadFile": {h}, "preToolUse": pre,
			}, []string{
				"beforeShellExecution", "beforeMCPExecution", "beforeReadFile", "preToolUse",
			}
	}
	return nil, nil
}

// cursorPreToolUse are the Cursor tools whose preToolUse safeclaw decides:
// its shell, and its file tools that write or delete.
var cursorPreToolUse = []string{"Shell", "Write", "Edit", "Delete"}

// ownHandler reports whether a handler object runs safeclaw's hook.
func ownHandler(binName string) func(json.RawMessage) bool {
	return func(raw json.RawMessage) bool {
		words := handlerWords(raw)
		if len(words) < 2 || words[1] != "hook" {
			return false
		}
		name := filepath.Base(words[0])
		return name == "safeclaw" || name == binName
	}
}

// removeOwn drops safeclaw's handlers from an event's list. With flat (Cursor)
// the list holds handlers; otherwise matcher groups, and a group left empty
// by the removal is dropped.
func removeOwn(raw json.RawMessage, flat bool, ours func(json.RawMessage) bool) ([]json.RawMessage, error) {
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, errors.New("not a list")
	}
	var kept []json.RawMessage
	for _, item := range list {
		if flat {
			if !ours(item) {
				kept = append(kept, item)
			}
			continue
		}
		g, err := jsonobj.Parse(item)
		if err != nil {
			kept = append(kept, item) // not ours to judge
			continue
		}
		hraw, ok := g.Get("hooks")
		var handlers []json.RawMessage
		if !ok || json.Unmarshal(hraw, &handlers) != nil {
			kept = append(kept, item)
			continue
		}
		var rest []json.RawMessage
		for _, h := range handlers {
			if !ours(h) {
				rest = append(rest, h)
			}
		}
		switch {
		case len(rest) == len(handlers):
			kept = append(kept, item)
		case len(rest) > 0:
			g.Set("hooks", marshalArray(rest))
			kept = append(kept, g.Marshal())
		}
	}
	return kept, nil
}

func marshalArray(items []json.RawMessage) json.RawMessage {
	if len(items) == 0 {
		return json.RawMessage("[]")
	}
	var b bytes.Buffer
	b.WriteByte('[')
	for i, it := range items {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(bytes.TrimSpace(it))
	}
	b.WriteByte(']')
	return b.Bytes()
}

// sameJSON reports whether a and b are the same JSON once whitespace is
// dropped (an empty a is the empty object).
func sameJSON(a, b []byte) bool {
	if len(bytes.TrimSpace(a)) == 0 {
		a = []byte("{}")
	}
	var ca, cb bytes.Buffer
	if json.Compact(&ca, a) != nil || json.Compact(&cb, b) != nil {
		return false
	}
	return bytes.Equal(ca.Bytes(), cb.Bytes())
}

// shellJoin quotes argv for agents that run the hook command through a shell.
func shellJoin(argv []string) string {
	out := make([]string, len(argv))
	for i, a := range argv {
		if a != "" && strings.IndexFunc(a, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=,@+%", r))
		}) < 0 {
			out[i] = a
			continue
		}
		out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(out, " ")
}

// shellSplit splits a command line into words, honouring single and double
// quotes and backslashes; enough to recognise a hook command.
func shellSplit(s string) []string {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	for i := 0; i < len(s); i++ {
		c := rune(s[i])
		switch {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			} else {
				cur.WriteByte(s[i])
			}
		case quote == '"':
			switch {
			case c == '"':
				quote = 0
			case c == '\\' && i+1 < len(s) && strings.ContainsRune(`"\$`+"`", rune(s[i+1])):
				i++
				cur.WriteByte(s[i])
			default:
				cur.WriteByte(s[i])
			}
		case c == '\'' || c == '"':
			quote, inWord = c, true
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			inWord = true
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(s[i])
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}
