package hook

import (
	"errors"
	"fmt"
	"strings"

	"github.com/safeclaw/safeclaw/action"
)

// codex speaks Codex CLI's hook protocol (agent-protocols.md §3). Codex reads
// only deny from PreToolUse: an "ask", an "allow" without updatedInput or a
// deny without a reason makes the hook count as failed, and a failed hook
// lets the command run. So allow prints nothing, and deny always has a reason.
type codex struct{}

func (codex) decode(data []byte) (*event, error) {
	var in claudeInput // Codex's input has Claude Code's shape, plus turn_id and model
	if err := decodeObject(data, &in); err != nil {
		// Refused input (a key twice, keys differing in case) whose event
		// still reads as a deciding one gets that event's deny JSON beside
		// exit 2: PermissionRequest documents no exit-code block.
		ev := claudeBlockable(data)
		if ev != nil && ev.name == skillShellEvent {
			ev = nil
		}
		return ev, err
	}
	ev := &event{name: in.Event, session: in.Session, toolUseID: in.ToolUseID}
	switch in.Event {
	case "PreToolUse":
		ev.kind = evPreTool
	case "PermissionRequest":
		ev.kind = evPermission
	case "PostToolUse":
		ev.kind = evPostTool
		ev.response = in.Response
	case "":
		return nil, errors.New(`missing "hook_event_name"`)
	default:
		return nil, fmt.Errorf("unsupported event %q (safeclaw answers PreToolUse, PermissionRequest, PostToolUse)", in.Event)
	}
	// Only apply_patch's freeform patch may arrive as a bare string; Codex
	// passes every other tool's arguments as an object.
	return ev, toolCall(ev, in.Tool, in.Input, in.Cwd, in.Tool == "apply_patch")
}

func (codex) answer(ev *event, v verdict) reply {
	if ev.kind == evPermission {
		switch {
		case v.abstain:
			return reply{}
		case v.effect == action.Allow:
			return reply{stdout: permissionJSON("allow", "")}
		}
		return reply{stdout: permissionJSON("deny", codexReason(v.reason))}
	}
	if v.effect == action.Allow && !v.deferred {
		if len(v.updated) > 0 {
			// The one allow Codex accepts: with updatedInput.
			return reply{stdout: preToolJSON("allow", v.reason, v.updated)}
		}
		return reply{}
	}
	// Codex cannot ask or defer: anything but allow is a deny.
	return reply{stdout: preToolJSON("deny", codexReason(v.reason), nil)}
}

// block: exit 2 with a non-empty stderr blocks in Codex whatever stdout says;
// the deny JSON is there as well for the event when it is known.
func (codex) block(ev *event, reason string) reply {
	msg := codexReason(errorMessage(reason))
	r := reply{stderr: msg, code: ExitBlock}
	if ev != nil {
		switch ev.kind {
		case evPreTool:
			r.stdout = preToolJSON("deny", msg, nil)
		case evPermission:
			r.stdout = permissionJSON("deny", msg)
		}
	}
	return r
}

func (codex) recorded(*event) reply { return reply{} }

func (codex) outcomeEvent(name string) bool { return name == "PostToolUse" }

func (codex) canAsk(*event) bool   { return false }
func (codex) canDefer(*event) bool { return false }

// canRewrite: PreToolUse allow with updatedInput (not PermissionRequest,
// where updatedInput makes the hook fail closed).
func (codex) canRewrite(ev *event) bool { return ev.kind == evPreTool }
func (codex) defaultAsk() AskMode       { return AskDeny }

// codexReason is a deny reason for Codex: never blank, and without a final
// full stop, since Codex appends ". Command: ..." to it. Codex trims the
// reason and reads a blank one as an invalid answer that lets the command
// run, so the trimming comes before the blank check.
func codexReason(reason string) string {
	return strings.TrimRight(nonEmpty(strings.TrimRight(reason, ". \t\r\n")), ". ")
}

// nonEmpty guards the agents' rule that a deny needs a reason: Codex does
// not block on a blank one, Gemini requires one.
func nonEmpty(reason string) string {
	if strings.TrimSpace(reason) == "" {
		return "safeclaw denied this tool call."
	}
	return reason
}
