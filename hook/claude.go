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
	"github.com/safeclaw/safeclaw/internal/redactjson"
)

// claude speaks Claude Code's hook protocol (agent-protocols.md §1): the same
// JSON serves Claude Agent SDK hook callbacks and the http hook type.
type claude struct{}

// claudeInput is the part of Claude Code's hook input safeclaw reads.
type claudeInput struct {
	Event     string          `json:"hook_event_name"`
	Session   string          `json:"session_id"`
	Cwd       string          `json:"cwd"`
	Tool      string          `json:"tool_name"`
	Input     json.RawMessage `json:"tool_input"`
	ToolUseID string          `json:"tool_use_id"`
	MCPServer *struct {
		Name   string `json:"name"`
		Source string `json:"source"`
	} `json:"mcp_server"`
	Response json.RawMessage `json:"tool_response"`
	Error    json.RawMessage `json:"error"`
	Duration *float64        `json:"duration_ms"`
	// PermissionMode says whether Claude Code puts an ask to a person.
	PermissionMode string `json:"permission_mode"`
}

// claudePrompts are the permission modes in which Claude Code shows a person
// its permission dialog for a hook's ask. Other modes (bypassPermissions,
// dontAsk, auto, or none given) may settle it without one.
var claudePrompts = map[string]bool{"default": true, "acceptEdits": true, "plan": true}

// claudeAsks are the permission modes in which a hook's ask is known to
// reach a person (or, in -p, to be denied): the prompting modes, and
// bypassPermissions, where Claude Code ≥ 2.1.233 still prompts for it
// (anthropics/claude-code #77212; safeclaw doctor requires 2.1.295). In
// auto mode an ask lets the call run as if allowed (#89561, #79356, open);
// dontAsk and a missing mode are not known to hold it either. There an ask
// is answered as [AskDeny] would answer it: denied, with the approval's ID.
var claudeAsks = map[string]bool{"default": true, "acceptEdits": true, "plan": true, "bypassPermissions": true}

// claudeInteractions are Claude Code's tools whose permission dialog is the
// person's part of the call itself: AskUserQuestion's question picker and
// ExitPlanMode's plan approval. A hook "allow" skips that dialog (the question
// returns no answers; the plan is approved unread), so safeclaw gives no
// decision when it allows them and Claude Code shows its dialog.
var claudeInteractions = map[string]bool{"AskUserQuestion": true, "ExitPlanMode": true}

// claudeBlockable is the event of input safeclaw refuses to read (a key
// twice, keys differing in case) when its event name can still be read
// leniently and names a deciding event: its block is then the deny JSON,
// which Claude Code's http hook acts on (it reads only 2xx bodies, and
// lets the call run on any other answer unless installed with onFailure:
// block). nil otherwise.
//
// Every top-level member whose name is hook_event_name in any case counts
// (the input was refused because names repeat or differ in case, so which
// one the agent meant is not known): the first naming a deciding event
// gives the shape.
func claudeBlockable(data []byte) *event {
	for _, name := range eventNames(data) {
		switch name {
		case "PreToolUse", skillShellEvent:
			return &event{name: name, kind: evPreTool}
		case "PermissionRequest":
			return &event{name: name, kind: evPermission}
		}
	}
	return nil
}

// eventNames returns the string values of the top-level members of the
// JSON object data whose name is hook_event_name ignoring case, in order,
// repeats included; nil when data is not an object it can read.
func eventNames(data []byte) []string {
	d := json.NewDecoder(bytes.NewReader(data))
	if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	var names []string
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return names
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if d.Decode(&v) != nil {
			return names
		}
		var s string
		if strings.EqualFold(key, "hook_event_name") && json.Unmarshal(v, &s) == nil {
			names = append(names, s)
		}
	}
	return names
}

func (claude) decode(data []byte) (*event, error) {
	var in claudeInput
	if err := decodeObject(data, &in); err != nil {
		return claudeBlockable(data), err
	}
	ev := &event{name: in.Event, session: in.Session, toolUseID: in.ToolUseID, interaction: claudeInteractions[in.Tool]}
	switch in.Event {
	case "PreToolUse":
		ev.kind = evPreTool
		ev.promptsPerson = claudePrompts[in.PermissionMode]
		ev.askIgnored = !claudeAsks[in.PermissionMode]
	case skillShellEvent:
		// A shell command written into a skill or slash command (!`cmd`),
		// run while it loads: not a tool call, so PreToolUse never sees it.
		ev.kind = evPreTool
	case "PermissionRequest":
		ev.kind = evPermission
		ev.askIgnored = !claudeAsks[in.PermissionMode]
	case "PostToolUse", "PostToolUseFailure":
		ev.kind = evPostTool
		ev.response = in.Response
		ev.errText = errorText(in.Error)
		if in.Duration != nil && *in.Duration >= 0 {
			ev.duration = time.Duration(*in.Duration * float64(time.Millisecond))
		}
	case "":
		return nil, errors.New(`missing "hook_event_name"`)
	default:
		return nil, fmt.Errorf("unsupported event %q (safeclaw answers PreToolUse, PermissionRequest, PreSkillShellCommand, PostToolUse, PostToolUseFailure)", in.Event)
	}
	if err := toolCall(ev, in.Tool, in.Input, in.Cwd, false); err != nil {
		return ev, err
	}
	if in.MCPServer != nil {
		ev.call.MCPServer, ev.call.MCPSource = in.MCPServer.Name, in.MCPServer.Source
	}
	return ev, nil
}

// toolCall fills ev.call, requiring a tool name and (unless the tool ran
// already) a tool input that is an object, or a string when allowString.
func toolCall(ev *event, tool string, input json.RawMessage, cwd string, allowString bool) error {
	ev.call = classify.Call{Tool: tool, Input: input, Cwd: cwd}
	if tool == "" {
		return errors.New(`missing "tool_name"`)
	}
	if ev.kind == evPostTool {
		return nil
	}
	if isObject(input) {
		// {"command": "ls", "COMMAND": "rm -rf ~"}: a tool that reads its
		// input ignoring case may run either; refused, as /v1/decide does.
		var v any
		if err := json.Unmarshal(input, &v); err != nil {
			return fmt.Errorf(`"tool_input": %v`, err)
		}
		if a, b, clash := action.KeysDifferingInCase(v); clash {
			return fmt.Errorf(`"tool_input" holds keys that differ only in case (%q and %q): a tool may read either`, a, b)
		}
		return nil
	}
	if allowString {
		var s string
		if json.Unmarshal(input, &s) == nil {
			return nil
		}
	}
	if len(input) == 0 {
		return errors.New(`missing "tool_input"`)
	}
	return errors.New(`"tool_input" is not an object`)
}

// errorText reads a failure event's error, a string or any JSON value.
func errorText(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

type claudePreToolOutput struct {
	HookSpecificOutput struct {
		HookEventName            string          `json:"hookEventName"`
		PermissionDecision       string          `json:"permissionDecision"`
		PermissionDecisionReason string          `json:"permissionDecisionReason"`
		UpdatedInput             json.RawMessage `json:"updatedInput,omitempty"`
	} `json:"hookSpecificOutput"`
}

// permissionOutput is the PermissionRequest answer of Claude Code and
// Codex. It never carries updatedInput, updatedPermissions or interrupt:
// safeclaw does not persist agent rules, and Codex fails a PermissionRequest
// answer with updatedInput closed.
type permissionOutput struct {
	HookSpecificOutput struct {
		HookEventName string `json:"hookEventName"`
		Decision      struct {
			Behavior string `json:"behavior"`
			Message  string `json:"message,omitempty"`
		} `json:"decision"`
	} `json:"hookSpecificOutput"`
}

// skillShellEvent is Claude Code's event for a shell command in a skill or
// slash command (!`cmd` lines), run as the skill or command loads, whoever
// invoked it (the person typing /name, or the model's Skill tool). Its
// answer has PreToolUse's shape; only deny keeps the command from running
// (ask and defer block too, without asking anyone), and updatedInput is
// never applied.
const skillShellEvent = "PreSkillShellCommand"

// preToolJSON is the PreToolUse answer of Claude Code and Codex; updated,
// when set, replaces the tool input (allow only).
func preToolJSON(decision, reason string, updated json.RawMessage) []byte {
	return preToolEventJSON("PreToolUse", decision, reason, updated)
}

// preToolEventJSON is preToolJSON for an event of the same answer shape.
func preToolEventJSON(event, decision, reason string, updated json.RawMessage) []byte {
	var o claudePreToolOutput
	o.HookSpecificOutput.HookEventName = event
	o.HookSpecificOutput.PermissionDecision = decision
	o.HookSpecificOutput.PermissionDecisionReason = reason
	if decision == "allow" {
		o.HookSpecificOutput.UpdatedInput = updated
	}
	return encodeLine(o)
}

func permissionJSON(behavior, message string) []byte {
	var o permissionOutput
	o.HookSpecificOutput.HookEventName = "PermissionRequest"
	o.HookSpecificOutput.Decision.Behavior = behavior
	if behavior == "deny" {
		o.HookSpecificOutput.Decision.Message = message
	}
	return encodeLine(o)
}

func (claude) answer(ev *event, v verdict) reply {
	if v.abstain {
		// No decision: Claude Code's own permission flow goes on.
		return reply{}
	}
	if ev.kind == evPermission {
		switch {
		case v.effect == action.Allow:
			return reply{stdout: permissionJSON("allow", "")}
		}
		return reply{stdout: permissionJSON("deny", v.reason)}
	}
	name := claudePreToolName(ev)
	switch {
	case v.deferred:
		return reply{stdout: preToolEventJSON(name, "defer", v.reason, nil)}
	case v.effect == action.Allow:
		return reply{stdout: preToolEventJSON(name, "allow", v.reason, v.updated)}
	case v.effect == action.Ask:
		return reply{stdout: preToolEventJSON(name, "ask", v.reason, nil)}
	}
	return reply{stdout: preToolEventJSON(name, "deny", v.reason, nil)}
}

// claudePreToolName is the hookEventName of a pre-tool answer.
func claudePreToolName(ev *event) string {
	if ev != nil && ev.name == skillShellEvent {
		return skillShellEvent
	}
	return "PreToolUse"
}

// block answers with the deny JSON for the event when it is known, the
// reason on stderr and exit 2, which blocks even if the JSON is not read.
func (claude) block(ev *event, reason string) reply {
	msg := errorMessage(reason)
	r := reply{stderr: msg, code: ExitBlock}
	if ev != nil {
		switch ev.kind {
		case evPreTool:
			r.stdout = preToolEventJSON(claudePreToolName(ev), "deny", msg, nil)
		case evPermission:
			r.stdout = permissionJSON("deny", msg)
		}
	}
	return r
}

func (claude) recorded(*event) reply { return reply{stdout: []byte("{}\n")} }

// rewriteOutput: PostToolUse's updatedToolOutput replaces the output the
// model sees, for every tool (observed in 2.1.332); additionalContext tells
// the model why, so that it does not write the placeholders back.
func (claude) rewriteOutput(ev *event, out json.RawMessage, n int) reply {
	what := "a secret"
	if n > 1 {
		what = "secrets"
	}
	var o claudePostToolOutput
	o.HookSpecificOutput.HookEventName = ev.name
	o.HookSpecificOutput.UpdatedToolOutput = out
	o.HookSpecificOutput.AdditionalContext = "safeclaw replaced " + what + " in this tool's output with " + redactedMark +
		" before it reached you. The originals are unchanged where they are: never write " + redactedMark +
		" into a file or command in place of a value; ask the user if you need it."
	return reply{stdout: encodeLine(o)}
}

// redactedMark is what a redacted secret reads as (audit.Redacted).
const redactedMark = redactjson.Mark

type claudePostToolOutput struct {
	HookSpecificOutput struct {
		HookEventName     string          `json:"hookEventName"`
		UpdatedToolOutput json.RawMessage `json:"updatedToolOutput"`
		AdditionalContext string          `json:"additionalContext"`
	} `json:"hookSpecificOutput"`
}

func (claude) outcomeEvent(name string) bool {
	return name == "PostToolUse" || name == "PostToolUseFailure"
}

// A skill's shell command cannot be asked about, deferred or rewritten:
// ask and defer only block it, and any updatedInput blocks it too.
func (claude) canAsk(ev *event) bool   { return ev.kind == evPreTool && ev.name != skillShellEvent }
func (claude) canDefer(ev *event) bool { return ev.kind == evPreTool && ev.name != skillShellEvent }

// canRewrite: PreToolUse's updatedInput (observed working in 2.1.332).
func (claude) canRewrite(ev *event) bool { return ev.kind == evPreTool && ev.name != skillShellEvent }
func (claude) defaultAsk() AskMode       { return AskNative }
