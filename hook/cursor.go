package hook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/safeclaw/safeclaw/action"
)

// cursor speaks Cursor's hook protocol (agent-protocols.md §5), as
// documented: no Cursor build was available to capture payloads from.
// Every blocking answer is the deny JSON with exit 2; Cursor treats both as
// a block.
type cursor struct{}

type cursorInput struct {
	Event        string          `json:"hook_event_name"`
	Conversation string          `json:"conversation_id"`
	Roots        []string        `json:"workspace_roots"`
	Command      *string         `json:"command"`
	Cwd          string          `json:"cwd"`
	FilePath     *string         `json:"file_path"`
	Tool         string          `json:"tool_name"`
	Input        json.RawMessage `json:"tool_input"`
	URL          string          `json:"url"`
	Output       json.RawMessage `json:"output"`
	Result       json.RawMessage `json:"result_json"`
	ToolOutput   json.RawMessage `json:"tool_output"`
	Duration     *float64        `json:"duration"` // milliseconds, on after* events
}

func (cursor) decode(data []byte) (*event, error) {
	var in cursorInput
	if err := decodeObject(data, &in); err != nil {
		return nil, err
	}
	cwd := in.Cwd
	if cwd == "" && len(in.Roots) > 0 {
		cwd = in.Roots[0]
	}
	ev := &event{name: in.Event, kind: evPreTool, session: in.Conversation}
	switch in.Event {
	case "beforeShellExecution":
		if in.Command == nil {
			return ev, errors.New(`missing "command"`)
		}
		ev.call.Tool, ev.call.Input = in.Event, encodeLine(map[string]string{"command": *in.Command})
	case "beforeReadFile":
		if in.FilePath == nil || *in.FilePath == "" {
			return ev, errors.New(`missing "file_path"`)
		}
		// The payload also carries the file's content; it is not kept.
		ev.call.Tool, ev.call.Input = in.Event, encodeLine(map[string]string{"file_path": *in.FilePath})
	case "beforeMCPExecution":
		if in.Tool == "" {
			return ev, errors.New(`missing "tool_name"`)
		}
		args, err := cursorToolInput(in.Input)
		if err != nil {
			return ev, err
		}
		server, tool := cursorMCPName(in)
		ev.call.Tool, ev.call.Input, ev.call.MCPServer = "mcp__"+server+"__"+tool, args, server
	case "preToolUse":
		if in.Tool == "" {
			return ev, errors.New(`missing "tool_name"`)
		}
		args, err := cursorToolInput(in.Input)
		if err != nil {
			return ev, err
		}
		ev.call.Tool, ev.call.Input = in.Tool, args
	case "afterShellExecution", "afterMCPExecution", "afterFileEdit", "postToolUse":
		ev.kind = evPostTool
		ev.call.Tool = in.Event
		if in.Tool != "" {
			ev.call.Tool = in.Tool
		}
		ev.call.Input = cursorArgs(in.Input)
		// afterShellExecution and afterFileEdit carry the call in their own
		// fields: keep it, so the outcome record says what ran.
		switch {
		case len(ev.call.Input) > 0:
		case in.Command != nil:
			ev.call.Input = encodeJSON(map[string]string{"command": *in.Command})
		case in.FilePath != nil:
			ev.call.Input = encodeJSON(map[string]string{"file_path": *in.FilePath})
		}
		if in.Duration != nil && *in.Duration >= 0 {
			ev.duration = time.Duration(*in.Duration * float64(time.Millisecond))
		}
		for _, r := range []json.RawMessage{in.Output, in.Result, in.ToolOutput} {
			if len(r) > 0 {
				ev.response = r
				break
			}
		}
	case "":
		return nil, errors.New(`missing "hook_event_name"`)
	default:
		return nil, fmt.Errorf("unsupported event %q (safeclaw answers beforeShellExecution, beforeMCPExecution, beforeReadFile, preToolUse and the after* events)", in.Event)
	}
	ev.call.Cwd = cwd
	return ev, nil
}

// cursorMCPName finds the server and tool of a beforeMCPExecution call:
// "MCP:server:tool" when Cursor names both, else the tool name with the
// server's URL or command standing for its name.
func cursorMCPName(in cursorInput) (server, tool string) {
	if rest, ok := strings.CutPrefix(in.Tool, "MCP:"); ok {
		if s, t, ok := strings.Cut(rest, ":"); ok && s != "" && t != "" {
			return s, t
		}
	}
	server = in.URL
	if server == "" && in.Command != nil {
		server = *in.Command
	}
	if server == "" {
		server = "unknown"
	}
	return server, in.Tool
}

// cursorToolInput reads the tool_input of a call about to run: an object,
// or a string holding one (the documentation shows both). Anything else is
// input safeclaw cannot read, so the call is blocked.
func cursorToolInput(raw json.RawMessage) (json.RawMessage, error) {
	s := bytes.TrimSpace(raw)
	if len(s) == 0 || bytes.Equal(s, []byte("null")) {
		return nil, errors.New(`missing "tool_input"`)
	}
	if args := cursorArgs(raw); isObject(args) && json.Valid(args) {
		// A string holding the arguments was not checked with the rest
		// of the input.
		if err := noDuplicateKeys(args); err != nil {
			return nil, fmt.Errorf(`"tool_input": %v`, err)
		}
		return args, nil
	}
	return nil, errors.New(`"tool_input" is neither an object nor a string holding one`)
}

// cursorArgs accepts tool_input as an object or as a string holding one
// (the documentation shows both), and returns anything else as it came.
func cursorArgs(raw json.RawMessage) json.RawMessage {
	if isObject(raw) {
		return raw
	}
	var s string
	if json.Unmarshal(raw, &s) == nil && isObject(json.RawMessage(s)) && json.Valid([]byte(s)) {
		return json.RawMessage(s)
	}
	return raw
}

type cursorOutput struct {
	Permission   string `json:"permission"`
	UserMessage  string `json:"user_message,omitempty"`
	AgentMessage string `json:"agent_message,omitempty"`
}

func (c cursor) answer(ev *event, v verdict) reply {
	o := cursorOutput{Permission: "deny"}
	switch {
	case v.effect == action.Allow && !v.deferred:
		// Cursor has no "no decision" answer: an abstaining allow is an allow.
		o.Permission = "allow"
	case v.effect == action.Ask && !v.deferred && c.canAsk(ev):
		o.Permission = "ask"
	}
	if o.Permission != "allow" && ev.name != "beforeReadFile" {
		o.UserMessage, o.AgentMessage = v.reason, nonEmpty(v.reason)
	}
	return reply{stdout: encodeLine(o)}
}

func (cursor) block(ev *event, reason string) reply {
	msg := errorMessage(reason)
	o := cursorOutput{Permission: "deny"}
	if ev == nil || ev.name != "beforeReadFile" {
		o.UserMessage, o.AgentMessage = msg, msg
	}
	return reply{stdout: encodeLine(o), stderr: msg, code: ExitBlock}
}

func (cursor) recorded(*event) reply { return reply{stdout: []byte("{}\n")} }

func (cursor) outcomeEvent(name string) bool {
	switch name {
	case "afterShellExecution", "afterMCPExecution", "afterFileEdit", "postToolUse":
		return true
	}
	return false
}

func (cursor) canAsk(ev *event) bool { return ev.kind == evPreTool && ev.name != "beforeReadFile" }
func (cursor) canDefer(*event) bool  { return false }

// canRewrite: Cursor's preToolUse documents updated_input, but no Cursor
// build could be run to confirm how it is applied, so nothing is rewritten.
func (cursor) canRewrite(*event) bool { return false }
func (cursor) defaultAsk() AskMode    { return AskDeny }
