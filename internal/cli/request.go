package cli

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/shell"
	"github.com/safeclaw/safeclaw/shell/catalog"
)

// input is one thing to decide: a shell command line or a bare action.
type input struct {
	Command string
	Action  *action.Action
	Agent   string
	Cwd     string
}

// label is how simulate names the input: shell.execute: "cmd" or kind: "fields".
func (in input) label() string {
	if in.Action == nil {
		return fmt.Sprintf("%s: %q", action.ShellExecute, in.Command)
	}
	return fmt.Sprintf("%s: %q", in.Action.Kind, describeFields(*in.Action))
}

// describeFields renders an action's fields compactly: "port 8080 host 0.0.0.0".
func describeFields(a action.Action) string {
	var parts []string
	add := func(k, v string) {
		if v != "" {
			parts = append(parts, k+" "+v)
		}
	}
	add("command", a.Command)
	add("program", a.Program)
	add("host", a.Host)
	if a.Port != 0 {
		add("port", strconv.Itoa(a.Port))
	}
	add("path", a.Path)
	add("url", a.URL)
	add("server", a.Server)
	add("tool", a.Tool)
	if len(parts) == 0 {
		return string(a.Kind)
	}
	return strings.Join(parts, " ")
}

// request turns an input into a Request ready for the policy.
func (e *Env) request(in input, surface string) *action.Request {
	cwd := in.Cwd
	if cwd == "" {
		cwd = e.Cwd
	}
	req := &action.Request{Surface: surface, Agent: in.Agent, Cwd: cwd, Time: e.Now()}
	if in.Action != nil {
		a := *in.Action
		if a.Path != "" {
			a.Path = catalog.CanonicalPath(a.Path, cwd, e.Home)
		}
		req.Input = describeFields(a)
		req.Parts = []action.Part{{Facets: []action.Action{a}}}
		return req
	}
	req.Input = in.Command
	req.Parts = shell.Analyze(in.Command, e.shellEnv(cwd))
	return req
}

// parseActionJSON reads an action object such as
// {"action":"network.listen","port":8080} strictly.
func parseActionJSON(data []byte) (*action.Action, string, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, "", err
	}
	allowed := map[string]bool{"action": true, "command": true, "program": true, "port": true, "host": true,
		"path": true, "url": true, "tool": true, "server": true, "args": true, "agent": true, "cwd": true}
	for k := range raw {
		if !allowed[k] {
			keys := make([]string, 0, len(allowed))
			for a := range allowed {
				keys = append(keys, a)
			}
			if s := closest(k, keys); s != "" {
				return nil, "", fmt.Errorf("unknown key %q (did you mean %q?)", k, s)
			}
			return nil, "", fmt.Errorf("unknown key %q", k)
		}
	}
	var obj struct {
		Action  string `json:"action"`
		Command string `json:"command"`
		Program string `json:"program"`
		Port    *int   `json:"port"`
		Host    string `json:"host"`
		Path    string `json:"path"`
		URL     string `json:"url"`
		Tool    string `json:"tool"`
		Server  string `json:"server"`
		Args    any    `json:"args"`
		Agent   string `json:"agent"`
		Cwd     string `json:"cwd"`
	}
	if err := json.Unmarshal(data, &obj); err != nil {
		return nil, "", err
	}
	if obj.Action == "" {
		return nil, "", fmt.Errorf(`missing "action" (or give {"command": "..."})`)
	}
	a := &action.Action{Kind: action.Kind(obj.Action), Command: obj.Command, Program: obj.Program, Host: obj.Host,
		Path: obj.Path, URL: obj.URL, Tool: obj.Tool, Server: obj.Server, Args: obj.Args}
	if err := checkKind(a.Kind); err != nil {
		return nil, "", err
	}
	if obj.Port != nil {
		if *obj.Port < 0 || *obj.Port > 65535 {
			return nil, "", fmt.Errorf("port %d out of range 0-65535", *obj.Port)
		}
		a.Port = *obj.Port
	}
	return a, obj.Agent, nil
}

// checkKind rejects kinds no classifier emits, with a suggestion.
func checkKind(k action.Kind) error {
	if k.Known() {
		return nil
	}
	names := make([]string, len(action.Kinds))
	for i, x := range action.Kinds {
		names[i] = string(x)
	}
	if s := closest(string(k), names); s != "" {
		return fmt.Errorf("unknown action kind %q (did you mean %q?)", k, s)
	}
	return fmt.Errorf("unknown action kind %q (known: %s, tool.<name>)", k, strings.Join(names, ", "))
}

// shellQuote joins argv into a command line the shell would split back into
// the same words.
func shellQuote(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a != "" && strings.IndexFunc(a, func(r rune) bool {
			return !(r == '-' || r == '_' || r == '.' || r == '/' || r == ':' || r == '=' || r == ',' || r == '@' || r == '+' || r == '%' ||
				(r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9'))
		}) < 0 {
			out[i] = a
			continue
		}
		out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(out, " ")
}

// jsonUnmarshalStrict decodes exactly one JSON value and rejects trailing data.
func jsonUnmarshalStrict(data []byte, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(data)))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("bad JSON: %v", err)
	}
	if dec.More() {
		return fmt.Errorf("bad JSON: trailing data after the object")
	}
	return nil
}
