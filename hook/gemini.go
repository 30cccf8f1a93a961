package hook

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/safeclaw/safeclaw/action"
)

// gemini speaks Gemini CLI's hook protocol (agent-protocols.md §4). Its
// "ask" hangs a headless (-p) run until it is killed, so safeclaw only sends
// it when told to ([AskNative]); by default ask is a deny with an approval hint.
type gemini struct{}

type geminiInput struct {
	Event      string          `json:"hook_event_name"`
	Session    string          `json:"session_id"`
	Cwd        string          `json:"cwd"`
	Tool       string          `json:"tool_name"`
	Input      json.RawMessage `json:"tool_input"`
	Response   json.RawMessage `json:"tool_response"`
	MCPContext json.RawMessage `json:"mcp_context"`
}

func (gemini) decode(data []byte) (*event, error) {
	var in geminiInput
	if err := decodeObject(data, &in); err != nil {
		return nil, err
	}
	ev := &event{name: in.Event, session: in.Session}
	switch in.Event {
	case "BeforeTool":
		ev.kind = evPreTool
	case "AfterTool":
		ev.kind = evPostTool
		ev.response = in.Response
	case "":
		return nil, errors.New(`missing "hook_event_name"`)
	default:
		return nil, fmt.Errorf("unsupported event %q (safeclaw answers BeforeTool, AfterTool)", in.Event)
	}
	if err := toolCall(ev, in.Tool, in.Input, in.Cwd, false); err != nil {
		return ev, err
	}
	// Gemini may name the MCP server apart from the tool name (from the
	// user's settings), and the tool without the mcp__SERVER__ prefix: it
	// is an MCP call all the same (not an unknown tool.NAME a server rule
	// would miss). That server name is the one that counts: the tool's
	// own name is the server's choice, and a tool that calls itself
	// "mcp__github__create_issue" on server evil is evil's.
	if isObject(in.MCPContext) {
		var mc struct {
			Server string `json:"server_name"`
			Tool   string `json:"tool_name"`
		}
		if json.Unmarshal(in.MCPContext, &mc) == nil && mc.Server != "" {
			tool := mc.Tool
			if tool == "" {
				tool = ev.call.Tool
				if rest, ok := strings.CutPrefix(tool, "mcp__"+mc.Server+"__"); ok && rest != "" {
					tool = rest
				}
			}
			ev.call.MCPServer = mc.Server
			ev.call.Tool = "mcp__" + mc.Server + "__" + tool
		}
	}
	return ev, nil
}

type geminiOutput struct {
	Decision string `json:"decision"`
	Reason   string `json:"reason,omitempty"`
	// HookSpecificOutput.ToolInput is merged into the tool's arguments.
	HookSpecificOutput *geminiToolInput `json:"hookSpecificOutput,omitempty"`
}

type geminiToolInput struct {
	ToolInput json.RawMessage `json:"tool_input"`
}

func (gemini) answer(ev *event, v verdict) reply {
	switch {
	case v.abstain:
		// No decision: Gemini CLI's own confirmation flow goes on.
		return reply{stdout: []byte("{}\n")}
	case v.effect == action.Allow && !v.deferred && !v.abstain:
		o := geminiOutput{Decision: "allow"}
		if len(v.updated) > 0 {
			o.HookSpecificOutput = &geminiToolInput{ToolInput: v.updated}
		}
		return reply{stdout: encodeLine(o)}
	case v.effect == action.Ask && !v.deferred:
		return reply{stdout: encodeLine(geminiOutput{Decision: "ask", Reason: v.reason})}
	}
	return reply{stdout: encodeLine(geminiOutput{Decision: "deny", Reason: nonEmpty(v.reason)})}
}

func (gemini) block(ev *event, reason string) reply {
	msg := errorMessage(reason)
	return reply{stdout: encodeLine(geminiOutput{Decision: "deny", Reason: msg}), stderr: msg, code: ExitBlock}
}

func (gemini) recorded(*event) reply { return reply{stdout: []byte("{}\n")} }

func (gemini) outcomeEvent(name string) bool { return name == "AfterTool" }

func (gemini) canAsk(ev *event) bool { return ev.kind == evPreTool }
func (gemini) canDefer(*event) bool  { return false }

// canRewrite: BeforeTool's hookSpecificOutput.tool_input (observed 0.61.0).
func (gemini) canRewrite(ev *event) bool { return ev.kind == evPreTool }
func (gemini) defaultAsk() AskMode       { return AskDeny }
