package hook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/classify"
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
	// Attachments of beforeReadFile: files whose content goes to the model
	// with the read (documented as {"type", "file_path"}, also seen spelled
	// "filePath").
	Attachments json.RawMessage `json:"attachments"`
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
		// Every attached file is read as well: each is its own read, so
		// that an allowed file_path cannot carry ~/.ssh/id_rsa along.
		paths, err := cursorAttachments(in.Attachments)
		if err != nil {
			return ev, err
		}
		for _, p := range paths {
			ev.also = append(ev.also, classify.Call{Tool: in.Event, Input: encodeLine(map[string]string{"file_path": p})})
		}
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

// cursorAttachmentKeys are the keys under which an attachment of
// beforeReadFile names its file.
var cursorAttachmentKeys = []string{"file_path", "filePath", "path"}

// cursorAttachments returns the paths of beforeReadFile's attachments:
// none when the field is absent or null; an error when it is not a list, or
// an entry is neither a path string nor an object whose path keys hold
// strings, since a file safeclaw cannot name would be read unchecked. An
// object naming no file (no path key, or empty ones) is skipped.
func cursorAttachments(raw json.RawMessage) ([]string, error) {
	s := bytes.TrimSpace(raw)
	if len(s) == 0 || bytes.Equal(s, []byte("null")) {
		return nil, nil
	}
	var list []json.RawMessage
	if json.Unmarshal(s, &list) != nil {
		return nil, errors.New(`"attachments" is not a list`)
	}
	var paths []string
	for i, item := range list {
		var p string
		if json.Unmarshal(item, &p) == nil {
			if p != "" {
				paths = append(paths, p)
			}
			continue
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal(item, &obj) != nil || obj == nil {
			return nil, fmt.Errorf(`"attachments" entry %d is neither an object nor a path`, i)
		}
		for _, k := range cursorAttachmentKeys {
			v, ok := obj[k]
			if !ok || bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
				continue
			}
			if json.Unmarshal(v, &p) != nil {
				return nil, fmt.Errorf(`"attachments" entry %d: %q is not a string`, i, k)
			}
			if p != "" {
				paths = append(paths, p)
			}
		}
	}
	return paths, nil
}

// cursorMCPName finds the server and tool of a beforeMCPExecution call.
// The server is the URL or command Cursor reports for it (from the user's
// MCP configuration). The tool name is the server's own choice, so it never
// names the server when those are there: a server whose tool is called
// "MCP:github:create_issue" is not the github server. Only when Cursor
// reports neither does an "MCP:server:tool" name give the server.
func cursorMCPName(in cursorInput) (server, tool string) {
	tool = in.Tool
	named, namedTool := "", ""
	if rest, ok := strings.CutPrefix(in.Tool, "MCP:"); ok {
		if s, t, ok := strings.Cut(rest, ":"); ok && s != "" && t != "" {
			named, namedTool = s, t
		}
	}
	server = in.URL
	if server == "" && in.Command != nil {
		server = *in.Command
	}
	switch {
	case server != "":
		if namedTool != "" {
			tool = namedTool
		}
	case named != "":
		server, tool = named, namedTool
	default:
		server = "unknown"
	}
	return server, tool
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
	// Decision and Reason repeat a preToolUse deny in the decision/reason
	// words that some accounts of Cursor's preToolUse give its answer (the
	// before* events' permission words are documented): whichever of the
	// two Cursor reads, the deny holds.
	Decision string `json:"decision,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

// mirrorDeny adds the decision/reason words to a preToolUse deny.
func (o *cursorOutput) mirrorDeny(ev *event) {
	if o.Permission == "deny" && ev != nil && ev.name == "preToolUse" {
		o.Decision, o.Reason = "deny", o.AgentMessage
	}
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
	o.mirrorDeny(ev)
	return reply{stdout: encodeLine(o)}
}

func (cursor) block(ev *event, reason string) reply {
	msg := errorMessage(reason)
	o := cursorOutput{Permission: "deny"}
	if ev == nil || ev.name != "beforeReadFile" {
		o.UserMessage, o.AgentMessage = msg, msg
	}
	o.mirrorDeny(ev)
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
