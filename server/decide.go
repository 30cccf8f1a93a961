package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/classify"
	"github.com/safeclaw/safeclaw/internal/jsonobj"
)

// decideBody is a POST /v1/decide body. The flat form names a raw tool call
// (tool + input), a command, an argv, an action, or several of them; the
// envelope of agent-protocols.md §8 ({"input": {"agent", "action",
// "context", "raw"}}) is unwrapped into the same fields.
type decideBody struct {
	Agent      json.RawMessage `json:"agent"` // a name, or §8's {"name", "session_id", ...}
	Session    string          `json:"session"`
	Cwd        string          `json:"cwd"`
	Tool       string          `json:"tool"`
	Input      json.RawMessage `json:"input"` // the tool's arguments: an object, or a string holding one
	MCPServer  *mcpServer      `json:"mcp_server"`
	Command    *string         `json:"command"`
	Argv       []string        `json:"argv"`
	Action     *actionSpec     `json:"action"`
	Raw        *rawCall        `json:"raw"`
	Context    *callContext    `json:"context"`
	ToolCallID string          `json:"tool_call_id"`
	// Wait, when set ("60s" or seconds), makes an ask block until a person
	// answers, at most that long.
	Wait json.RawMessage `json:"wait"`
}

type mcpServer struct {
	Name   string `json:"name"`
	Source string `json:"source"`
}

// agentInfo is §8's agent object.
type agentInfo struct {
	Name      string `json:"name"`
	Version   string `json:"version"`
	SessionID string `json:"session_id"`
	RunID     string `json:"run_id"`
	Subagent  any    `json:"subagent"`
}

type rawCall struct {
	Name      string          `json:"name"`
	Arguments json.RawMessage `json:"arguments"`
}

type callContext struct {
	ToolCallID string `json:"tool_call_id"`
	User       string `json:"user"`
}

// actionSpec is an action as a caller describes it: a kind and the fields
// of agent-protocols.md §8's kind table.
type actionSpec struct {
	Kind         string          `json:"kind"`
	Action       string          `json:"action"` // alias of kind, as in `safeclaw check` action objects
	Tool         string          `json:"tool"`
	Command      *string         `json:"command"`
	Argv         []string        `json:"argv"`
	Cwd          string          `json:"cwd"`
	Path         string          `json:"path"`
	URL          string          `json:"url"`
	Method       string          `json:"method"`
	Host         string          `json:"host"`
	Addr         string          `json:"addr"`
	Port         *int            `json:"port"`
	Proto        string          `json:"proto"`
	Program      string          `json:"program"`
	Server       string          `json:"server"`
	ServerSource string          `json:"server_source"`
	Arguments    json.RawMessage `json:"arguments"`
	Args         json.RawMessage `json:"args"`
	URI          string          `json:"uri"`
	Name         string          `json:"name"`
	Type         string          `json:"type"`
	Prompt       string          `json:"prompt"`
	Query        string          `json:"query"`
}

// envelopeKeys are the members of §8's "input" object.
var envelopeKeys = map[string]bool{"agent": true, "action": true, "context": true, "raw": true}

// parseDecideBody reads a decide body strictly: one JSON object, no unknown
// members, no trailing data.
func parseDecideBody(data []byte) (*decideBody, error) {
	if t := bytes.TrimSpace(data); len(t) == 0 || t[0] != '{' {
		return nil, errors.New("the body must be a JSON object")
	}
	// encoding/json would read invalid UTF-8 as U+FFFD: the decision would
	// be about other text than the bytes a client runs.
	if !utf8.Valid(data) {
		return nil, errors.New("the body is not valid UTF-8")
	}
	b, flat := parseFlatBody(data)
	if !flat {
		b = &decideBody{}
		if err := strictJSON(data, b); err != nil {
			return nil, err
		}
	}
	// A member twice (or in two cases) in any object, tool arguments
	// included, could be read one way here and another way where it runs.
	if err := checkMembers(data, ""); err != nil {
		return nil, err
	}
	if b.Tool != "" || len(b.Input) == 0 {
		return b, nil
	}
	// Maybe §8's envelope: {"input": {agent, action, context, raw}[, "wait"]}.
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, jsonError(err)
	}
	if !isEnvelope(top, b.Input) {
		return b, nil
	}
	var inner map[string]json.RawMessage
	if err := json.Unmarshal(b.Input, &inner); err != nil {
		return nil, fmt.Errorf("input: %v", err)
	}
	if w, ok := top["wait"]; ok {
		inner["wait"] = w
	}
	merged, err := json.Marshal(inner)
	if err != nil {
		return nil, err
	}
	var env decideBody
	if err := strictJSON(merged, &env); err != nil {
		return nil, fmt.Errorf("input: %w", err)
	}
	return &env, nil
}

// isEnvelope reports whether top is §8's envelope: only "input" (and
// "wait"), and input an object whose members are §8's.
func isEnvelope(top map[string]json.RawMessage, in json.RawMessage) bool {
	for k := range top {
		if k != "input" && k != "wait" {
			return false
		}
	}
	var inner map[string]json.RawMessage
	if json.Unmarshal(in, &inner) != nil || len(inner) == 0 {
		return false
	}
	for k := range inner {
		if !envelopeKeys[k] {
			return false
		}
	}
	return true
}

// strictJSON decodes exactly one JSON value into v, refusing unknown members.
func strictJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err != nil {
		err = jsonError(err)
	} else if _, tail := dec.Token(); tail != io.EOF {
		err = errors.New("bad JSON: data after the object")
	}
	// encoding/json matches member names ignoring case: {"command": A,
	// "Command": B} would be decided on B while a client reading the exact
	// name runs A. A name that is not exactly a known member is refused,
	// and said before anything else wrong with data. It is checked after
	// decoding (v is then dropped), so that JSON the decoder has read whole
	// is not validated twice.
	if err == nil {
		return jsonobj.ExactMembersOfValid(data, v)
	}
	if exact := jsonobj.ExactMembers(data, v); exact != nil {
		return exact
	}
	return err
}

// jsonError makes a decoding error readable for the client, with its offset.
func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Errorf("bad JSON at byte %d: %v", syn.Offset, syn)
	case errors.As(err, &typ):
		if typ.Field != "" {
			return fmt.Errorf("bad JSON: %q must be %s, not %s", typ.Field, jsonTypeName(typ.Type.Kind().String()), typ.Value)
		}
		return fmt.Errorf("bad JSON: want an object, not %s", typ.Value)
	case errors.Is(err, io.EOF):
		return errors.New("empty body: want a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("bad JSON: the body ends early")
	}
	if msg, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return fmt.Errorf("unknown member %s", msg)
	}
	return fmt.Errorf("bad JSON: %v", err)
}

func jsonTypeName(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "int", "int64", "float64":
		return "a number"
	case "slice":
		return "an array"
	case "struct", "map", "ptr":
		return "an object"
	case "bool":
		return "true or false"
	}
	return kind
}

// built is a decide body turned into a request.
type built struct {
	req        *action.Request
	wait       time.Duration
	toolCallID string
}

// build classifies everything b names into one request. What the caller
// declares (an action's kind) never replaces what safeclaw finds: it is
// added as a part of its own when no classified facet has that kind, so it
// can only make the decision stricter.
func (h *Handler) build(b *decideBody) (*built, error) {
	out := &built{toolCallID: b.ToolCallID}
	agent, session, err := agentOf(b.Agent)
	if err != nil {
		return nil, err
	}
	if b.Session != "" {
		session = b.Session
	}
	if b.Context != nil && out.toolCallID == "" {
		out.toolCallID = b.Context.ToolCallID
	}
	if len(b.Wait) > 0 {
		if out.wait, err = waitOf(b.Wait); err != nil {
			return nil, err
		}
		out.wait = min(out.wait, h.c.MaxWait)
	}
	if err := checkCwd("cwd", b.Cwd); err != nil {
		return nil, err
	}
	if b.Action != nil {
		if err := checkCwd("action: cwd", b.Action.Cwd); err != nil {
			return nil, err
		}
	}
	if err := checkAllStringArgs(b); err != nil {
		return nil, err
	}
	cwd := b.Cwd
	if b.Action != nil && b.Action.Cwd != "" {
		if cwd != "" && path.Clean(cwd) != path.Clean(b.Action.Cwd) {
			// Deciding on one and ignoring the other could judge a
			// relative path in the wrong directory.
			return nil, fmt.Errorf("the request's cwd %q and its action's cwd %q differ: give one", cwd, b.Action.Cwd)
		}
		cwd = b.Action.Cwd
	}
	if cwd == "" {
		cwd = h.c.Cwd
	}
	c := &classifier{h: h, agent: agent, cwd: cwd}

	if b.Tool != "" {
		srv := mcpServer{}
		if b.MCPServer != nil {
			srv = *b.MCPServer
		}
		c.tool(b.Tool, b.Input, srv)
	} else if len(b.Input) > 0 {
		return nil, errors.New(`"input" (the tool's arguments) needs "tool" (its name)`)
	} else if b.MCPServer != nil {
		return nil, errors.New(`"mcp_server" (the MCP server of a raw tool call) needs "tool"`)
	}
	if b.Raw != nil {
		if b.Raw.Name == "" {
			return nil, errors.New(`raw: missing "name"`)
		}
		c.tool(b.Raw.Name, b.Raw.Arguments, mcpServer{})
	}
	if b.Command != nil {
		if err := c.command(*b.Command, "command"); err != nil {
			return nil, err
		}
	}
	if b.Argv != nil {
		if err := c.argv(b.Argv, "argv"); err != nil {
			return nil, err
		}
	}
	if b.Action != nil {
		if err := c.action(b.Action); err != nil {
			return nil, fmt.Errorf("action: %w", err)
		}
	}
	if len(c.parts) == 0 {
		return nil, errors.New(`nothing to decide: give "tool" and "input", "command", "argv" or "action"`)
	}
	out.req = &action.Request{Surface: "api", Agent: agent, Session: session, Cwd: cwd,
		Input: strings.Join(c.inputs, "\n"), Time: h.c.Now(), Parts: c.parts}
	if c.sources > 1 {
		out.req.Parts = dedupe(c.parts)
	}
	return out, nil
}

// checkCwd refuses a working directory that is not absolute: relative
// paths in the call would be resolved against a directory safeclaw does
// not know ("proj" and ".ssh/id_rsa" would be judged as the relative path
// ".ssh/id_rsa", which no rule about ~/.ssh names). Clients send their
// process's working directory, which is absolute.
func checkCwd(field, cwd string) error {
	switch {
	case cwd == "":
		return nil
	case strings.IndexByte(cwd, 0) >= 0:
		return fmt.Errorf("%s %q contains a NUL byte", field, cwd)
	case !filepath.IsAbs(cwd):
		return fmt.Errorf("%s %q is not an absolute path: send the agent's working directory as an absolute path", field, cwd)
	}
	return nil
}

// checkAllStringArgs runs [checkStringArgs] on every member that holds a
// tool's arguments.
func checkAllStringArgs(b *decideBody) error {
	if b.Tool != "" {
		if err := checkStringArgs("input", b.Input); err != nil {
			return err
		}
	}
	if b.Raw != nil {
		if err := checkStringArgs("raw.arguments", b.Raw.Arguments); err != nil {
			return err
		}
	}
	if a := b.Action; a != nil {
		if err := checkStringArgs("action.arguments", a.Arguments); err != nil {
			return err
		}
		if err := checkStringArgs("action.args", a.Args); err != nil {
			return err
		}
	}
	return nil
}

// agentOf reads "agent": a name, or §8's object (name and session_id).
func agentOf(raw json.RawMessage) (name, session string, err error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", "", nil
	}
	if raw[0] == '"' {
		if s, ok := stringValue(raw); ok {
			return s, "", nil
		}
		err = json.Unmarshal(raw, &name)
		return name, "", err
	}
	var a agentInfo
	if err := strictJSON(raw, &a); err != nil {
		return "", "", fmt.Errorf("agent: %w", err)
	}
	return a.Name, a.SessionID, nil
}

// waitOf reads "wait": "60s" or a number of seconds.
func waitOf(raw json.RawMessage) (time.Duration, error) {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		var n float64
		if err := json.Unmarshal(raw, &n); err != nil {
			return 0, errors.New(`wait: want a duration such as "60s" or a number of seconds`)
		}
		if n < 0 {
			return 0, errors.New("wait: must not be negative")
		}
		if n >= maxWaitSpec.Seconds() {
			return maxWaitSpec, nil // capped later; never converted past what a Duration holds
		}
		return time.Duration(n * float64(time.Second)), nil
	}
	d, err := parseWait(s)
	if err != nil {
		return 0, fmt.Errorf("wait: %w", err)
	}
	return d, nil
}

// classifier collects the parts of one request.
type classifier struct {
	h      *Handler
	agent  string
	cwd    string
	parts  []action.Part
	inputs []string
	// sources counts what contributed parts (a tool call, a command, ...);
	// only parts from different sources can repeat each other.
	sources int
}

func (c *classifier) call(tool string, input json.RawMessage, srv mcpServer) classify.Call {
	return classify.Call{Agent: c.agent, Tool: tool, Input: toolArgs(input), Cwd: c.cwd, Home: c.h.c.Home,
		MCPServer: srv.Name, MCPSource: srv.Source, ReadFile: c.h.c.ReadFile}
}

// tool classifies a raw tool call.
func (c *classifier) tool(name string, input json.RawMessage, srv mcpServer) {
	res := classify.ToolCall(c.call(name, input, srv))
	c.add(res.Parts, res.Input)
}

func (c *classifier) add(parts []action.Part, input string) {
	c.sources++
	c.parts = append(c.parts, parts...)
	if input != "" {
		for _, s := range c.inputs {
			if s == input {
				return
			}
		}
		c.inputs = append(c.inputs, input)
	}
}

// command analyses a shell command line.
func (c *classifier) command(cmd, field string) error {
	if strings.TrimSpace(cmd) == "" {
		return fmt.Errorf("%q is empty", field)
	}
	input, err := json.Marshal(map[string]string{"command": cmd})
	if err != nil {
		return err
	}
	c.tool("Bash", input, mcpServer{})
	return nil
}

// argv analyses a command given as words.
func (c *classifier) argv(argv []string, field string) error {
	if len(argv) == 0 || argv[0] == "" {
		return fmt.Errorf("%q is empty", field)
	}
	input, err := json.Marshal(map[string][]string{"command": argv})
	if err != nil {
		return err
	}
	c.tool("shell", input, mcpServer{})
	return nil
}

// action classifies a declared action from its fields, then adds the
// declared kind when what was found lacks it. The agent's tool, when the
// action names it, is classified too (with its arguments, else with the
// action's fields): the kind is the caller's claim, the tool call is what
// runs, so {"kind": "file.read", "tool": "Bash", "arguments": {"command":
// "rm -rf /"}} is decided on rm as well.
func (c *classifier) action(a *actionSpec) error {
	kind := action.Kind(a.Kind)
	if a.Action != "" {
		if a.Kind != "" && a.Kind != a.Action {
			return fmt.Errorf(`"kind" %q and "action" %q disagree`, a.Kind, a.Action)
		}
		kind = action.Kind(a.Action)
	}
	if kind == "" {
		return errors.New(`missing "kind"`)
	}
	if !kind.Known() {
		return unknownKind(kind)
	}
	if err := checkFields(a, kind); err != nil {
		return err
	}
	args := a.Arguments
	if len(args) == 0 {
		args = a.Args
	} else if len(a.Args) > 0 {
		return errors.New(`give "arguments" or "args", not both`)
	}
	port := 0
	if a.Port != nil {
		if *a.Port < 0 || *a.Port > 65535 {
			return fmt.Errorf("port %d out of range 0-65535", *a.Port)
		}
		port = *a.Port
	}
	start := len(c.parts)

	// Whatever the kind, a command or argv the caller sends is analysed.
	if a.Command != nil {
		if err := c.command(*a.Command, "command"); err != nil {
			return err
		}
	}
	if a.Argv != nil {
		if err := c.argv(a.Argv, "argv"); err != nil {
			return err
		}
	}
	obj := func(kv ...any) json.RawMessage {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			if v := kv[i+1]; v != "" && v != nil && v != 0 {
				m[kv[i].(string)] = v
			}
		}
		data, _ := json.Marshal(m)
		return data
	}
	// fields is the action's own description as a tool's arguments, for an
	// agent tool the action names without "arguments".
	var fields json.RawMessage
	switch {
	case a.Command != nil:
		fields = obj("command", *a.Command)
	case a.Argv != nil:
		fields = obj("command", a.Argv)
	}
	declared := true  // whether the kind says something the classifier must not lose
	namesTool := true // whether "tool" is the agent's tool (not an MCP tool)
	switch {
	case kind == action.ShellExecute || kind == action.ShellOpaque || kind == action.ShellRemote:
		if a.Command == nil && a.Argv == nil {
			return fmt.Errorf(`%s needs "command" or "argv"`, kind)
		}
	case kind == action.FileRead || kind == action.FileWrite || kind == action.FileDelete:
		if a.Path == "" {
			return fmt.Errorf(`%s needs "path"`, kind)
		}
		tool := map[action.Kind]string{action.FileRead: "Read", action.FileWrite: "Write", action.FileDelete: "Delete"}[kind]
		fields = obj("file_path", a.Path)
		c.tool(tool, fields, mcpServer{})
	case kind == action.HTTPRequest:
		if a.URL == "" {
			return fmt.Errorf(`%s needs "url"`, kind)
		}
		fields = obj("url", a.URL)
		c.tool("WebFetch", fields, mcpServer{})
	case kind == action.WebSearch:
		fields = obj("query", a.Query)
		c.tool("WebSearch", fields, mcpServer{})
	case strings.HasPrefix(string(kind), "network."):
		host, pp, err := netTarget(a.Host, a.Addr, port)
		if err != nil {
			return err
		}
		port = pp
		if host == "" && port == 0 && a.Command == nil && a.Argv == nil {
			return fmt.Errorf(`%s needs "host", "addr" or "port"`, kind)
		}
		if fields == nil {
			fields = obj("host", host, "port", port)
		}
		norm, note := classify.NormalizeHost(host)
		detail := "declared by the caller"
		if note != "" {
			detail += "; " + note
		}
		c.add([]action.Part{{Facets: []action.Action{{Kind: kind, Host: norm, Port: port, Program: a.Program, Detail: detail}}}},
			fmt.Sprintf("%s %s", kind, strings.TrimSpace(hostPort(norm, port))))
	case kind == action.MCPCall:
		if a.Server == "" || a.Tool == "" {
			return fmt.Errorf(`%s needs "server" and "tool"`, kind)
		}
		namesTool = false // the MCP server's tool, classified here
		c.tool("mcp__"+a.Server+"__"+a.Tool, args, mcpServer{Name: a.Server, Source: a.ServerSource})
	case kind == action.MCPRead:
		if a.Server == "" {
			return fmt.Errorf(`%s needs "server"`, kind)
		}
		fields = obj("server", a.Server, "uri", a.URI)
		c.tool("ReadMcpResourceTool", fields, mcpServer{})
	case kind == action.MCPPrompt:
		if a.Server == "" || a.Name == "" {
			return fmt.Errorf(`%s needs "server" and "name"`, kind)
		}
		c.add([]action.Part{{Facets: []action.Action{{Kind: kind, Server: a.Server, Tool: a.Name, Args: anyOf(args), Detail: "declared by the caller"}}}},
			fmt.Sprintf("%s %s %s", kind, a.Server, a.Name))
	case kind == action.AgentSpawn:
		fields = obj("subagent_type", a.Type, "prompt", a.Prompt)
		c.tool("Task", fields, mcpServer{})
	default:
		// agent.internal, tool.call and tool.<name> claim nothing about what
		// the tool does: the tool is classified by its name, and the
		// declared kind adds nothing (agent.internal would only loosen).
		declared, namesTool = false, false
		name := a.Tool
		if rest, ok := strings.CutPrefix(string(kind), "tool."); ok && rest != "call" {
			if name != "" && name != rest {
				return fmt.Errorf(`kind %q and "tool" %q disagree`, kind, name)
			}
			name = rest
		}
		if name == "" {
			if len(args) > 0 {
				return fmt.Errorf(`%s: "arguments" need "tool" (the tool they are for)`, kind)
			}
			if len(c.parts) > start {
				return nil // a command or argv said what runs
			}
			return fmt.Errorf(`%s needs "tool"`, kind)
		}
		c.tool(name, args, mcpServer{Name: a.Server, Source: a.ServerSource})
	}
	if namesTool {
		switch {
		case a.Tool != "" && len(args) > 0:
			c.tool(a.Tool, args, mcpServer{})
		case a.Tool != "":
			c.tool(a.Tool, fields, mcpServer{})
		case len(args) > 0 && kind != action.MCPPrompt:
			return fmt.Errorf(`%s: "arguments" need "tool" (the tool they are for)`, kind)
		}
	}
	if declared && !hasKind(c.parts, kind) {
		path := a.Path
		if path != "" {
			path = classify.CanonicalPath(path, c.cwd, c.h.c.Home)
		}
		host, _ := classify.NormalizeHost(a.Host)
		cmd := ""
		if a.Command != nil {
			cmd = *a.Command
		}
		c.add([]action.Part{{Facets: []action.Action{{Kind: kind, Command: cmd, Host: host, Port: port, Path: path,
			URL: a.URL, Tool: a.Tool, Server: a.Server, Args: anyOf(args), Detail: "declared by the caller"}}}}, "")
	}
	return nil
}

// kindFields are the fields each kind reads besides kind, action, tool,
// arguments, command, argv and cwd, which every kind takes. A field the
// declared kind does not read is refused: it would be ignored, and the
// decision would not cover what the caller described (a network.connect
// that also names /etc/shadow as its "path").
func kindFields(k action.Kind) []string {
	switch {
	case k == action.FileRead || k == action.FileWrite || k == action.FileDelete:
		return []string{"path"}
	case k == action.HTTPRequest:
		return []string{"url", "method"}
	case k == action.WebSearch:
		return []string{"query"}
	case strings.HasPrefix(string(k), "network."):
		return []string{"host", "addr", "port", "proto", "program"}
	case k == action.MCPCall:
		return []string{"server", "server_source"}
	case k == action.MCPRead:
		return []string{"server", "uri"}
	case k == action.MCPPrompt:
		return []string{"server", "name"}
	case k == action.AgentSpawn:
		return []string{"type", "prompt"}
	case strings.HasPrefix(string(k), "shell."):
		return nil
	}
	// agent.internal, tool.call, tool.<name>: the server of an mcp__ tool.
	return []string{"server", "server_source"}
}

// checkFields refuses the fields of a that kind does not read.
func checkFields(a *actionSpec, kind action.Kind) error {
	present := []struct {
		name string
		set  bool
	}{
		{"path", a.Path != ""}, {"url", a.URL != ""}, {"method", a.Method != ""}, {"query", a.Query != ""},
		{"host", a.Host != ""}, {"addr", a.Addr != ""}, {"port", a.Port != nil}, {"proto", a.Proto != ""},
		{"program", a.Program != ""}, {"server", a.Server != ""}, {"server_source", a.ServerSource != ""},
		{"uri", a.URI != ""}, {"name", a.Name != ""}, {"type", a.Type != ""}, {"prompt", a.Prompt != ""},
	}
	allowed := kindFields(kind)
	for _, f := range present {
		if f.set && !slices.Contains(allowed, f.name) {
			if len(allowed) == 0 {
				return fmt.Errorf(`%q is not a field of %s (it takes "command" or "argv")`, f.name, kind)
			}
			return fmt.Errorf(`%q is not a field of %s (its fields: %s)`, f.name, kind, strings.Join(allowed, ", "))
		}
	}
	return nil
}

func unknownKind(k action.Kind) error {
	names := make([]string, len(action.Kinds))
	for i, x := range action.Kinds {
		names[i] = string(x)
	}
	return fmt.Errorf("unknown action kind %q (known: %s, tool.<name>)", k, strings.Join(names, ", "))
}

func hasKind(parts []action.Part, k action.Kind) bool {
	for _, p := range parts {
		for _, f := range p.Facets {
			if f.Kind == k {
				return true
			}
		}
	}
	return false
}

// toolArgs normalises a tool's arguments: OpenAI clients send them as a JSON
// string holding an object; that string is unwrapped.
func toolArgs(raw json.RawMessage) json.RawMessage {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || t[0] != '"' {
		return raw
	}
	var s string
	if json.Unmarshal(t, &s) != nil {
		return raw
	}
	inner := bytes.TrimSpace([]byte(s))
	if len(inner) > 0 && inner[0] == '{' && json.Valid(inner) {
		return inner
	}
	return raw
}

func anyOf(raw json.RawMessage) any {
	if len(raw) == 0 {
		return nil
	}
	var v any
	if json.Unmarshal(toolArgs(raw), &v) != nil {
		return string(raw)
	}
	return v
}

// netTarget reads where a network action goes from its "host", "addr"
// and "port" (0: not given), each of which may name part of it; a host or
// addr with a port ("evil.example:22", "[::1]:22") is split. Fields that
// name different hosts or ports are refused: deciding on one and ignoring
// the other would judge another connection than the one described
// ({"host": "github.com", "addr": "evil.example:22"}).
func netTarget(hostField, addrField string, port int) (string, int, error) {
	host, hostSet := "", false
	for _, f := range []struct{ name, val string }{{"host", hostField}, {"addr", addrField}} {
		if f.val == "" {
			continue
		}
		h, p, err := splitHostPort(f.val)
		if err != nil {
			return "", 0, fmt.Errorf("%q %q: %v", f.name, f.val, err)
		}
		if hostSet {
			a, _ := classify.NormalizeHost(host)
			b, _ := classify.NormalizeHost(h)
			if a != b {
				return "", 0, fmt.Errorf(`"host" %q and "addr" %q name different hosts: give one`, hostField, addrField)
			}
		}
		host, hostSet = h, true
		if p != 0 {
			if port != 0 && port != p {
				return "", 0, fmt.Errorf("%q %q and the port %d disagree: give one port", f.name, f.val, port)
			}
			port = p
		}
	}
	return host, port, nil
}

// splitHostPort reads a host with an optional port: "example.com",
// "example.com:22", "10.0.0.1:22", "::1", "[::1]", "[::1]:22" or ":8080"
// (every interface, for a listener); port is 0 when none is given.
// Anything else is an error ("example.com:https", "a:b:c"), rather than a
// host name no rule would recognise.
func splitHostPort(s string) (host string, port int, err error) {
	h, p, err := net.SplitHostPort(s)
	if err != nil {
		// No port: a name, or an IP address (IPv6 bracketed or not).
		bare := strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
		if _, perr := netip.ParseAddr(bare); perr == nil {
			return bare, 0, nil
		}
		if strings.ContainsAny(s, ":[]") {
			return "", 0, errors.New(`want a host, or host:port with a numeric port ("example.com:443", "[::1]:8080")`)
		}
		return s, 0, nil
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 0 || n > 65535 {
		return "", 0, errors.New(`want a host, or host:port with a numeric port ("example.com:443", "[::1]:8080")`)
	}
	return h, n, nil
}

func hostPort(host string, port int) string {
	if port == 0 {
		return host
	}
	return host + ":" + strconv.Itoa(port)
}

// dedupe drops parts identical to an earlier one (a raw tool call and the
// same command sent beside it).
func dedupe(parts []action.Part) []action.Part {
	if len(parts) < 2 {
		return parts
	}
	seen := make(map[string]bool, len(parts))
	out := parts[:0:0]
	for _, p := range parts {
		key, err := json.Marshal(p)
		if err == nil {
			if seen[string(key)] {
				continue
			}
			seen[string(key)] = true
		}
		out = append(out, p)
	}
	return out
}

// decideResult is the "result" of a decide answer (agent-protocols.md §8).
type decideResult struct {
	Decision   string          `json:"decision"`
	Reason     string          `json:"reason"`
	Rule       *string         `json:"rule"` // the rule's name, else its reason; null when the default decided
	RuleSource string          `json:"rule_source,omitempty"`
	Policy     *policyRef      `json:"policy,omitempty"`
	Ask        *askInfo        `json:"ask"`
	Input      string          `json:"input"`
	Actions    []action.Action `json:"actions"`
	Notes      []string        `json:"notes,omitempty"`
}

type policyRef struct {
	SHA256 string `json:"sha256"`
}

type askInfo struct {
	ApprovalID  string    `json:"approval_id,omitempty"`
	ApprovalURL string    `json:"approval_url,omitempty"`
	Status      string    `json:"status,omitempty"`
	ExpiresAt   time.Time `json:"expires_at,omitzero"`
	// Needs says what approving takes beyond one approval from anyone.
	Needs *action.ApprovalNeeds `json:"needs,omitempty"`
}

type decideAnswer struct {
	Result decideResult `json:"result"`
	// Message is what to hand the model as the tool's result when the call
	// does not run.
	Message    string `json:"message,omitempty"`
	ToolCallID string `json:"tool_call_id,omitempty"`
}

func (h *Handler) serveDecide(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	data, aerr := h.readBody(w, r)
	if aerr != nil {
		h.metrics.failure(routeDecide, time.Since(start))
		h.fail(w, r, aerr)
		return
	}
	b, err := parseDecideBody(data)
	if err != nil {
		h.metrics.failure(routeDecide, time.Since(start))
		h.fail(w, r, badRequest("%v", err))
		return
	}
	bt, err := h.build(b)
	if err != nil {
		h.metrics.failure(routeDecide, time.Since(start))
		h.fail(w, r, badRequest("%v", err))
		return
	}
	ans, aerr := h.decide(r.Context(), bt)
	if aerr != nil {
		h.metrics.failure(routeDecide, time.Since(start))
		h.fail(w, r, aerr)
		return
	}
	h.metrics.decided(routeDecide, effectOf(ans.Result.Decision), time.Since(start))
	writeJSON(w, http.StatusOK, ans)
}

func effectOf(s string) action.Effect {
	e, _ := action.ParseEffect(s)
	return e
}

// readBody reads a JSON request body, bounded.
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, *apiError) {
	// A body without a type is refused too: the routes take JSON only, and
	// a client that cannot say so is not one of ours.
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		mt, _, err := mime.ParseMediaType(ct)
		if ct == "" || err != nil || !(mt == "application/json" || strings.HasSuffix(mt, "+json")) {
			return nil, &apiError{status: http.StatusUnsupportedMediaType, public: "Content-Type must be application/json"}
		}
	}
	// The body must arrive within BodyTimeout (the server's own timeouts
	// cover only the headers). The deadline is lifted once the body is
	// read, as it does not bound what follows (a wait for a person). After
	// a failed read it stays: the connection is closed after the answer,
	// and net/http would otherwise wait (forever) for the rest of the body
	// before answering.
	rc := http.NewResponseController(w)
	timed := rc.SetReadDeadline(time.Now().Add(h.c.BodyTimeout)) == nil
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.c.MaxBody))
	if err == nil && timed {
		_ = rc.SetReadDeadline(time.Time{})
	}
	if err != nil {
		w.Header().Set("Connection", "close")
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			return nil, &apiError{status: http.StatusRequestEntityTooLarge, public: fmt.Sprintf("body larger than %d bytes", h.c.MaxBody)}
		case errors.Is(err, os.ErrDeadlineExceeded):
			return nil, &apiError{status: http.StatusRequestTimeout, public: fmt.Sprintf("the body did not arrive within %s", h.c.BodyTimeout)}
		case errors.Is(err, io.ErrUnexpectedEOF):
			return nil, badRequest("the body ends before its declared length")
		}
		return nil, badRequest("reading the body failed")
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, badRequest("empty body: want a JSON object")
	}
	return data, nil
}

// decide runs the DecideFunc and, for an ask, files or waits for an
// approval. Any failure is an error: the client denies.
func (h *Handler) decide(ctx context.Context, bt *built) (*decideAnswer, *apiError) {
	if h.c.Decide == nil {
		return nil, internalError("safeclaw is not configured to decide; denied", errNoDecide)
	}
	ctx, cancel := h.decideCtx(ctx, bt.wait)
	defer cancel()
	req := bt.req
	d, err := h.boundedDecide(ctx, req)
	if err != nil {
		return nil, internalError("no decision was reached (internal error, see safeclaw's log); denied", err)
	}
	var ask *askInfo
	full := "" // why no approval request was filed for this ask
	if d.Effect == action.Ask {
		ap := h.c.Approvals
		switch {
		case bt.wait > 0 && ap != nil && ap.Ask != nil:
			wctx, wcancel := context.WithTimeout(ctx, bt.wait)
			got, err := ap.ask(wctx, h.c.Now(), req, d)
			wcancel()
			if errors.Is(err, errTooManyPending) {
				// The ask stands, with nothing filed to wait on.
				full = tooManyPendingNote(ap.maxPending())
				ask = &askInfo{}
				break
			}
			if err != nil {
				return nil, internalError("waiting for approval failed; denied", err)
			}
			if got.Effect != action.Allow {
				got.Effect = action.Deny
			}
			d = got
		case ap != nil && ap.Submit != nil:
			got, err := ap.submit(ctx, h.c.Now(), req, d)
			if errors.Is(err, errTooManyPending) {
				full = tooManyPendingNote(ap.maxPending())
				ask = &askInfo{}
				break
			}
			if err != nil {
				// The ask stands; it only carries no id to wait on.
				h.c.Logf("safeclaw: serve: filing an approval request failed: %v", err)
				ask = &askInfo{}
				break
			}
			ask = &askInfo{ApprovalID: got.ID, ApprovalURL: approvalURL(got.ID), Status: got.Status, ExpiresAt: got.Deadline}
		default:
			ask = &askInfo{}
		}
	}
	if ask != nil && d.Effect == action.Ask {
		ask.Needs = d.Approval
	}
	if full != "" {
		d.Notes = append(slices.Clip(d.Notes), full)
	}
	res := decideResult{Decision: d.Effect.String(), Reason: d.Reason, Ask: ask, Input: req.Input,
		Actions: actionsOf(req), Notes: d.Notes}
	if d.Rule != nil {
		label := d.Rule.Name
		if label == "" {
			label = d.Rule.Reason
		}
		res.Rule, res.RuleSource = &label, d.Rule.Source
	}
	if d.PolicyHash != "" {
		res.Policy = &policyRef{SHA256: strings.TrimPrefix(d.PolicyHash, "sha256:")}
	}
	msg := modelMessage(d, ask)
	if full != "" {
		msg += " " + strings.ToUpper(full[:1]) + full[1:] + "."
	}
	return &decideAnswer{Result: res, Message: msg, ToolCallID: bt.toolCallID}, nil
}

// actionsOf is req.Actions(), never nil, in one allocation.
func actionsOf(req *action.Request) []action.Action {
	n := 0
	for _, p := range req.Parts {
		n += len(p.Facets)
	}
	out := make([]action.Action, 0, n)
	for _, p := range req.Parts {
		out = append(out, p.Facets...)
	}
	return out
}

// boundedDecide calls the DecideFunc and gives up when ctx ends, whether
// or not the DecideFunc heeds it (a stalled audit write, a lock held
// elsewhere): the client then gets an error, which denies, instead of an
// answer that never comes. A decision reached later is dropped.
func (h *Handler) boundedDecide(ctx context.Context, req *action.Request) (action.Decision, error) {
	job := decideJob{ctx: ctx, req: req, done: make(chan decided, 1)}
	select {
	case h.deciders <- job: // an idle decider took it
	default:
		// None is idle: one more, so that a decision never queues behind
		// another (which could be stuck).
		go h.decider(job)
	}
	select {
	case r := <-job.done:
		return r.d, r.err
	case <-ctx.Done():
		return action.Decision{}, fmt.Errorf("no decision before the deadline: %w", context.Cause(ctx))
	}
}

// decideJob is one decision handed to a decider; done has room for the
// result, so a decider never waits for a requester that gave up.
type decideJob struct {
	ctx  context.Context
	req  *action.Request
	done chan decided
}

// decided is what a DecideFunc returned.
type decided struct {
	d   action.Decision
	err error
}

// deciderIdle is how long a decider waits for more work before it exits
// (it exits after one to two of these).
const deciderIdle = 2 * time.Second

// decider runs job, then the decisions handed to it while it is idle, and
// exits once it has been idle for a while. Deciders are reused because a
// decision (the policy's evaluation) grows a goroutine's stack well past
// its initial size: a fresh goroutine per decision paid for that growth
// every time. A decider whose DecideFunc never returns stays with it, as a
// goroutine per decision did; a panic is an error (safeDecide).
func (h *Handler) decider(job decideJob) {
	idle := time.NewTicker(h.deciderIdle)
	defer idle.Stop()
	for {
		d, err := h.safeDecide(job.ctx, job.req)
		job.done <- decided{d, err}
		job = decideJob{} // keep nothing of a finished request while idle
		worked := true
	wait:
		for {
			select {
			case job = <-h.deciders:
				break wait
			case <-idle.C:
				if !worked {
					return
				}
				worked = false
			}
		}
	}
}

// safeDecide calls the DecideFunc, turning a panic into an error.
func (h *Handler) safeDecide(ctx context.Context, req *action.Request) (d action.Decision, err error) {
	defer func() {
		if p := recover(); p != nil {
			d, err = action.Decision{}, fmt.Errorf("panic: %v", p)
		}
	}()
	return h.c.Decide(ctx, req)
}

// modelMessage is the tool result a client hands the model when the call
// does not run.
func modelMessage(d action.Decision, ask *askInfo) string {
	rule := ""
	if d.Rule != nil {
		label := d.Rule.Name
		if label == "" {
			label = d.Rule.Reason
		}
		if label != "" {
			rule = " (rule " + strconv.Quote(label) + ")"
		}
	}
	switch d.Effect {
	case action.Allow:
		return ""
	case action.Ask:
		msg := "Needs a person's approval: " + d.Reason + rule + "."
		if ask != nil && ask.ApprovalID != "" {
			msg += fmt.Sprintf(" Approval request %s: a person can run 'safeclaw approvals approve %s', then the same call may be retried.", ask.ApprovalID, ask.ApprovalID)
		}
		return msg
	}
	return "Denied by safeclaw policy: " + d.Reason + rule + "."
}
