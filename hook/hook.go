// Package hook answers agents' command hooks: it reads the hook JSON an agent
// (Claude Code, Codex CLI, Gemini CLI, Cursor) writes on stdin, turns the
// tool call into a request (package classify), asks a [action.DecideFunc],
// and prints the agent's own answer with the exit code that agent expects.
//
// # Answers per agent
//
//   - Claude Code: PreToolUse gets hookSpecificOutput.permissionDecision
//     allow/deny/ask/defer with a reason; PermissionRequest gets
//     decision.behavior allow/deny (or no output, which leaves Claude's own
//     dialog to a person). An ask is only put to Claude Code's own prompt
//     in the permission modes where it reaches a person (default,
//     acceptEdits, plan, bypassPermissions): in auto mode Claude Code runs
//     a call answered ask, so there, in dontAsk and with no mode given, it
//     is denied with the approval's ID as [AskDeny] does. PostToolUse and
//     PostToolUseFailure are recorded through [Options.Record] and
//     answered with {}. With [Options.Fence]
//     an allowed Bash call is answered with updatedInput running it under
//     safeclaw run. An allowed AskUserQuestion or ExitPlanMode gets no
//     decision: their permission dialog is the question picker or the plan
//     approval itself, which an allow would skip.
//   - Codex CLI: PreToolUse allow prints nothing (or allow with
//     updatedInput under [Options.Fence]), deny prints a deny with a
//     non-empty reason without a final full stop (Codex appends
//     ". Command: ..."); Codex has no ask (an "ask" answer makes Codex run
//     the command), so ask becomes a deny that says how to approve, or waits
//     on safeclaw's own approval. PermissionRequest as for Claude.
//   - Gemini CLI: BeforeTool gets {"decision": allow|deny|ask, "reason"};
//     ask is only used when asked for explicitly ([AskNative]), because
//     Gemini's -p mode hangs on it. AfterTool is recorded.
//   - Cursor: beforeShellExecution, beforeMCPExecution and preToolUse get
//     {"permission": allow|deny|ask, "user_message", "agent_message"}
//     ("ask" only with [AskNative]; a preToolUse deny repeats itself as
//     "decision": "deny" with a "reason"); beforeReadFile gets the
//     permission only, and decides the file and every attached file.
//     after* events are recorded.
//
// # Failing closed
//
// Every failure inside safeclaw gives the agent's blocking answer: the deny
// form on stdout where the agent has one, a one-line reason on stderr, and
// exit code 2 (the only exit code every agent treats as "block"; exit 1 and
// timeouts let the tool run in Codex and Gemini, and in Claude Code without
// onFailure). Failures are: no input, input over [MaxInput], input that is
// not one JSON object, an object holding the same key twice (parsers
// disagree on which one counts), an unknown event, a missing tool name or a
// tool input not of the shape the agent documents, a working directory that
// is not absolute, a DecideFunc error, a panic anywhere below [Run], and
// running out of time. The exception are outcome events
// (PostToolUse, AfterTool, after*): the tool already ran, so a failure there
// is a one-line warning on stderr with the agent's usual answer, never a
// block (Gemini and Codex would put the blocking answer in place of the
// tool's result).
// safeclaw's own deadline ([DecideTimeout], or [WaitTimeout] when waiting for
// a person) is always shorter than the hook timeout that `safeclaw install`
// writes ([AgentTimeout]), so safeclaw answers deny before the agent gives up
// on it.
//
// # Current limitations
//
//   - Cursor's payloads follow its documentation; no Cursor build could be
//     run. beforeMCPExecution names the server by its URL or command, since
//     Cursor sends no server name (an "MCP:server:tool" tool name names it
//     only when neither is there: the tool name is the server's choice).
//   - The agents' subagent ids, Codex turn ids and Claude tool-use ids are
//     not part of [action.Request]; only PostToolUse outcomes carry the
//     tool-use id, so an outcome is not linked to its decision record.
//   - [Options.Fence] rewrites only Claude Code, Codex and Gemini shell
//     calls answered allow by safeclaw (or approved while it waited); a
//     call a person allows in the agent's own prompt runs unfenced. The
//     fenced script runs in a fresh non-interactive bash, so shell state
//     the agent keeps between calls (aliases, functions) is not there.
//   - Whether a person is present (Gemini -p, Claude -p) cannot be seen from
//     the payload; the ask mode is chosen by the caller.
package hook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/classify"
	"github.com/safeclaw/safeclaw/internal/redactjson"
)

const (
	// MaxInput bounds the hook JSON read from stdin.
	MaxInput = 4 << 20
	// DecideTimeout is safeclaw's own budget for one answer when no person
	// is waited for.
	DecideTimeout = 20 * time.Second
	// WaitTimeout is safeclaw's own budget when it waits for a person's
	// approval ([AskWait]). An approval rule's longer timeout is cut to this.
	WaitTimeout = 240 * time.Second
	// AgentTimeout is the hook timeout installers write into the agents'
	// settings: above [WaitTimeout], so safeclaw's own deny always comes first.
	AgentTimeout = 300 * time.Second
	// ExitBlock is the exit code that blocks a tool call in every agent.
	ExitBlock = 2
)

// Agents lists the agents [Run] speaks to.
func Agents() []string { return []string{"claude", "codex", "gemini", "cursor"} }

// AskMode says how an ask decision reaches a person.
type AskMode string

const (
	// AskDefault picks the agent's best form: Claude Code's own prompt; for
	// Codex, Gemini and Cursor (whose "ask" is reported to be ignored in its
	// Auto-review mode, where the call then runs), [AskDeny].
	AskDefault AskMode = ""
	// AskNative hands the question to the agent's own prompt where the agent
	// has one (Claude Code, Cursor, Gemini interactive, and Codex's
	// PermissionRequest); elsewhere it behaves as [AskDeny].
	AskNative AskMode = "native"
	// AskDefer answers Claude Code's PreToolUse with "defer", ending a
	// headless (claude -p) run so it can be resumed once a person approved.
	// Elsewhere it behaves as [AskDeny].
	AskDefer AskMode = "defer"
	// AskWait blocks on safeclaw's own approval ([Options.Wait]) and answers
	// allow or deny.
	AskWait AskMode = "wait"
	// AskDeny denies, telling the agent how a person can approve the call.
	AskDeny AskMode = "deny"
)

// ParseAskMode reads an --ask flag value.
func ParseAskMode(s string) (AskMode, error) {
	switch m := AskMode(s); m {
	case AskDefault, AskNative, AskDefer, AskWait, AskDeny:
		return m, nil
	}
	return "", fmt.Errorf("unknown ask mode %q (want native, defer, wait or deny)", s)
}

// Options configure [Run]. The zero value works: default ask mode, default
// deadlines, no approvals and no outcome records.
type Options struct {
	Ask AskMode
	// Timeout is safeclaw's own deadline for the whole answer; 0 means
	// [DecideTimeout], or [WaitTimeout] with [AskWait].
	Timeout time.Duration
	// MaxInput bounds stdin; 0 means [MaxInput].
	MaxInput int64
	// Cwd is used when the payload names no working directory; Home expands ~.
	Cwd, Home string
	// Now stamps requests; nil means time.Now.
	Now func() time.Time
	// ReadFile lets the shell analyser read files a command leads to; nil
	// reads nothing.
	ReadFile func(name string) ([]byte, error)
	// Pending files a pending approval for an ask that the agent cannot put
	// to a person, and returns its id for the message the agent sees. Nil:
	// the message gives no id.
	Pending func(ctx context.Context, req *action.Request, dec action.Decision) (id string, err error)
	// Wait files an approval and blocks until a person answers or its
	// timeout passes, returning Allow or Deny. Nil: [AskWait] denies.
	Wait func(ctx context.Context, req *action.Request, dec action.Decision) (action.Decision, error)
	// Record receives what happened after a tool ran (PostToolUse and its
	// kin), for the audit trail. Nil: outcomes are not recorded. A failed
	// record is a warning on stderr, never a block: the tool already ran.
	Record func(ctx context.Context, o Outcome) error
	// Redact, when set, scans a tool's output after it ran for secrets:
	// it returns the text with the ones it knows replaced, and whether it
	// replaced any. Where the agent lets a hook replace the output its
	// model sees (Claude Code's PostToolUse updatedToolOutput), the answer
	// carries the output with every string in it redacted, so that a key a
	// command printed does not reach the model. Nil: outputs pass as they
	// are.
	Redact func(text string) (string, bool)
	// Fence, when set, is the argv prefix an allowed shell command is
	// rewritten to run under, e.g. {"/usr/local/bin/safeclaw", "run",
	// "--agent", "claude", "--"}: the allow answer then carries the agent's
	// updatedInput with the script replaced by `FENCE... bash -c 'SCRIPT'`,
	// so the kernel fences what the parser let through. Only Claude Code's
	// and Codex's PreToolUse and Gemini's BeforeTool can rewrite a call;
	// other events and agents answer as without Fence.
	Fence []string
	// Prompted is told of a call the agent is about to put to a person in
	// its own permission dialog (Claude Code in a mode that prompts): if the
	// call then runs, a person allowed it. Nil: nobody is told.
	Prompted func(ctx context.Context, req *action.Request, toolUseID string)
}

// Outcome is what an agent reported after a tool ran.
type Outcome struct {
	Agent     string          `json:"agent"`
	Event     string          `json:"event"` // the agent's event name, e.g. PostToolUse
	Session   string          `json:"session,omitempty"`
	ToolUseID string          `json:"tool_use_id,omitempty"`
	Tool      string          `json:"tool"`
	Cwd       string          `json:"cwd,omitempty"`
	Input     json.RawMessage `json:"input,omitempty"`    // tool input as the agent sent it
	Response  json.RawMessage `json:"response,omitempty"` // tool output as the agent sent it
	Error     string          `json:"error,omitempty"`    // the failure, for failure events
	Duration  time.Duration   `json:"duration,omitempty"`
	Time      time.Time       `json:"time"`
}

// Run answers one hook call of agent ("claude", "codex", "gemini",
// "cursor"): it reads in, decides through decide and writes the agent's
// answer to out (stdout) and errOut (stderr). It returns the process exit
// code: 0, or [ExitBlock] whenever the call must be blocked because
// something failed.
func Run(ctx context.Context, agent string, in io.Reader, out, errOut io.Writer, decide action.DecideFunc, opts Options) (code int) {
	a, ok := adapterFor(agent)
	if !ok {
		fmt.Fprintf(errOut, "safeclaw: blocked: unknown agent %q (known: %s)\n", agent, strings.Join(Agents(), ", "))
		return ExitBlock
	}
	opts = opts.withDefaults()
	var ev *event
	defer func() {
		if p := recover(); p != nil {
			code = emit(out, errOut, fail(a, ev, fmt.Sprintf("internal error: %v", p)))
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()

	data, err := readInput(ctx, in, opts.MaxInput)
	if err != nil {
		return emit(out, errOut, a.block(nil, err.Error()))
	}
	ev, err = a.decode(data)
	if err != nil {
		if ev == nil {
			if name := peekEvent(data); a.outcomeEvent(name) {
				ev = &event{name: name, kind: evPostTool}
			}
		}
		return emit(out, errOut, fail(a, ev, "unreadable hook input: "+err.Error()))
	}
	ev.call.Agent = agent
	if ev.call.Cwd != "" && !filepath.IsAbs(ev.call.Cwd) {
		// Relative paths in the call would be resolved against a
		// directory safeclaw does not know; agents send an absolute one.
		return emit(out, errOut, fail(a, ev, fmt.Sprintf("unreadable hook input: the working directory %q is not an absolute path", ev.call.Cwd)))
	}
	if ev.call.Cwd == "" {
		ev.call.Cwd = opts.Cwd
	}
	ev.call.Home, ev.call.ReadFile = opts.Home, opts.ReadFile

	// Classification, the decision and any wait run under the deadline; a
	// DecideFunc that ignores its context still cannot hold the agent.
	done := make(chan reply, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- fail(a, ev, fmt.Sprintf("internal error: %v", p))
			}
		}()
		h := handler{a: a, agent: agent, decide: decide, opts: opts}
		done <- h.handle(ctx, ev)
	}()
	select {
	case r := <-done:
		return emit(out, errOut, r)
	case <-ctx.Done():
		return emit(out, errOut, fail(a, ev, fmt.Sprintf("no decision within %s (%v)", opts.Timeout, context.Cause(ctx))))
	}
}

// fail answers a failure inside safeclaw. Before a tool runs that is the
// agent's blocking answer. After it ran (an outcome event) there is nothing
// left to block, and the blocking answer would do harm (Gemini's AfterTool
// and Codex's PostToolUse put it in place of the tool's result, telling the
// model nothing ran): it is a warning with the agent's usual answer.
func fail(a adapter, ev *event, reason string) reply {
	if ev != nil && ev.kind == evPostTool {
		return unrecorded(a, ev, reason)
	}
	return a.block(ev, reason)
}

// unrecorded is the answer to an outcome event whose record was not written.
func unrecorded(a adapter, ev *event, why string) reply {
	what := "a tool call"
	if ev.call.Tool != "" {
		what = ev.call.Tool
	}
	r := a.recorded(ev)
	r.stderr = "safeclaw: warning: the outcome of " + what + " was not recorded in the audit trail: " + why
	return r
}

// peekEvent reads only the event name of a hook input that is one JSON
// object, for input whose other fields safeclaw could not read; "" if none.
func peekEvent(data []byte) string {
	var head struct {
		Event string `json:"hook_event_name"`
	}
	if decodeObject(data, &head) != nil {
		return ""
	}
	return head.Event
}

func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = DecideTimeout
		if o.Ask == AskWait {
			o.Timeout = WaitTimeout
		}
	}
	if o.MaxInput <= 0 {
		o.MaxInput = MaxInput
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// readInput reads all of in, at most max bytes, before ctx ends.
func readInput(ctx context.Context, in io.Reader, max int64) ([]byte, error) {
	if in == nil {
		return nil, errors.New("no hook input")
	}
	type result struct {
		data []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		data, err := io.ReadAll(io.LimitReader(in, max+1))
		done <- result{data, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		return nil, fmt.Errorf("hook input not complete before the deadline (%v)", context.Cause(ctx))
	}
	switch {
	case r.err != nil:
		return nil, fmt.Errorf("read hook input: %w", r.err)
	case int64(len(r.data)) > max:
		return nil, fmt.Errorf("hook input larger than %d bytes", max)
	case len(bytes.TrimSpace(r.data)) == 0:
		return nil, errors.New("empty hook input")
	}
	return r.data, nil
}

// handler answers one decoded event.
type handler struct {
	a      adapter
	agent  string
	decide action.DecideFunc
	opts   Options
}

func (h handler) handle(ctx context.Context, ev *event) reply {
	if ev.kind == evPostTool {
		var unrec error
		if h.opts.Record != nil {
			o := Outcome{Agent: h.agent, Event: ev.name, Session: ev.session, ToolUseID: ev.toolUseID, Tool: ev.call.Tool,
				Cwd: ev.call.Cwd, Input: ev.call.Input, Response: ev.response, Error: ev.errText, Duration: ev.duration, Time: h.opts.Now()}
			// The tool already ran: blocking would only tell the agent it
			// failed. The person watching stderr learns the trail has a gap;
			// the output is still redacted below (a trail that cannot be
			// written must not let a secret through to the model).
			unrec = h.opts.Record(ctx, o)
		}
		r := h.a.recorded(ev)
		if unrec != nil {
			r = unrecorded(h.a, ev, unrec.Error())
		}
		if h.opts.Redact != nil && ev.name == "PostToolUse" {
			if rw, ok := h.a.(outputRewriter); ok {
				out, n, err := redactjson.Safe(ev.response, h.opts.Redact)
				switch {
				case err != nil:
					r.stderr = joinWarnings(r.stderr, "safeclaw: warning: the output of "+ev.call.Tool+" was not checked for secrets: "+err.Error())
				case n > 0:
					stderr := r.stderr
					r = rw.rewriteOutput(ev, out, n)
					r.stderr = stderr
				}
			}
		}
		return r
	}
	if h.decide == nil {
		return h.a.block(ev, "no decision function (safeclaw is not configured)")
	}
	res := classify.ToolCall(ev.call)
	for _, c := range ev.also {
		c.Agent, c.Cwd, c.Home, c.ReadFile = ev.call.Agent, ev.call.Cwd, ev.call.Home, ev.call.ReadFile
		more := classify.ToolCall(c)
		res.Parts = append(res.Parts, more.Parts...)
		res.Input += "; " + more.Input
	}
	req := &action.Request{Surface: "hook", Agent: h.agent, Session: ev.session, Cwd: ev.call.Cwd,
		Input: res.Input, Time: h.opts.Now(), Parts: res.Parts}
	dec, err := h.decide(ctx, req)
	if err != nil {
		return h.a.block(ev, "no decision: "+err.Error())
	}
	switch dec.Effect {
	case action.Allow:
		if ev.interaction {
			return h.a.answer(ev, verdict{effect: action.Allow, abstain: true})
		}
		if shadowed(dec) {
			// Shadow mode lets it run, but does not approve it either: no
			// answer, so the agent's own permission flow goes on as if
			// safeclaw were not there (Cursor, which has no such answer,
			// gets allow).
			return h.a.answer(ev, verdict{effect: action.Allow, abstain: true, reason: allowMessage(req, dec)})
		}
		return h.a.answer(ev, h.fence(ev, verdict{effect: action.Allow, reason: allowMessage(req, dec)}))
	case action.Ask:
		return h.ask(ctx, ev, req, dec)
	}
	return h.a.answer(ev, verdict{effect: action.Deny, reason: denyMessage(req, dec)})
}

// ask answers an ask decision according to the ask mode and what the agent
// and event support. Whatever cannot be asked is denied with a message
// saying how a person can approve it.
func (h handler) ask(ctx context.Context, ev *event, req *action.Request, dec action.Decision) reply {
	mode := h.opts.Ask
	if mode == AskDefault {
		mode = h.a.defaultAsk()
	}
	switch mode {
	case AskNative:
		if dec.Approval.Restricted() {
			// Whoever sits at the agent answers its prompt, once: not a
			// quorum, nor a named approver. safeclaw's own approval it is.
			break
		}
		if ev.askIgnored {
			// Nobody would be asked: the agent's mode settles (or skips)
			// its own prompt. safeclaw's own approval it is.
			break
		}
		if ev.kind == evPermission {
			// No answer leaves the agent's own permission dialog to a person.
			return h.a.answer(ev, verdict{abstain: true})
		}
		if h.a.canAsk(ev) {
			if ev.promptsPerson && h.opts.Prompted != nil {
				h.opts.Prompted(ctx, req, ev.toolUseID)
			}
			return h.a.answer(ev, verdict{effect: action.Ask, reason: askMessage(req, dec)})
		}
	case AskDefer:
		if h.a.canDefer(ev) {
			id := h.pending(ctx, req, dec)
			return h.a.answer(ev, verdict{effect: action.Ask, deferred: true, reason: deferMessage(req, dec, id)})
		}
	case AskWait:
		if h.opts.Wait != nil {
			got, err := h.opts.Wait(ctx, req, dec)
			if err != nil {
				return h.a.block(ev, "waiting for approval failed: "+err.Error())
			}
			if got.Effect == action.Allow {
				return h.a.answer(ev, h.fence(ev, verdict{effect: action.Allow, reason: approvedMessage(req, dec)}))
			}
			return h.a.answer(ev, verdict{effect: action.Deny, reason: notApprovedMessage(req, dec, got)})
		}
	}
	msg := askDeniedMessage(req, dec, h.pending(ctx, req, dec))
	if ev.name == skillShellEvent {
		// Not a tool call the agent can retry: the line runs again when
		// the skill or command is loaded again.
		msg = strings.Replace(msg, "retry the same call unchanged.", "load the same skill or command again.", 1)
	}
	return h.a.answer(ev, verdict{effect: action.Deny, reason: msg})
}

// fence rewrites an allowed shell call to run under [Options.Fence] where
// the agent can take a rewritten input for this event.
func (h handler) fence(ev *event, v verdict) verdict {
	if len(h.opts.Fence) == 0 || !h.a.canRewrite(ev) {
		return v
	}
	if in, ok := fenceInput(ev.call.Tool, ev.call.Input, h.opts.Fence); ok {
		v.updated = in
		v.reason += "; it runs under safeclaw run, so the kernel enforces the network rules too"
	}
	return v
}

// pending files a pending approval when the caller keeps them; "" otherwise.
func (h handler) pending(ctx context.Context, req *action.Request, dec action.Decision) string {
	if h.opts.Pending == nil {
		return ""
	}
	id, err := h.opts.Pending(ctx, req, dec)
	if err != nil {
		return ""
	}
	return id
}

// eventKind is what an event asks of safeclaw.
type eventKind int

const (
	evPreTool    eventKind = iota // decide before a tool runs
	evPermission                  // the agent would ask a person (PermissionRequest)
	evPostTool                    // record what happened
)

// event is one decoded hook call.
type event struct {
	name string // the agent's event name as sent
	kind eventKind
	call classify.Call
	// also are further calls the same event makes, decided together with
	// call (Cursor's beforeReadFile attachments): each adds its parts to
	// the one request. Cwd, Home and ReadFile are call's.
	also      []classify.Call
	session   string
	toolUseID string
	response  json.RawMessage
	errText   string
	duration  time.Duration
	// promptsPerson: the agent shows a person its own permission dialog
	// when this event is answered with ask.
	promptsPerson bool
	// askIgnored: in the agent's current mode its own prompt is not known
	// to reach a person (Claude Code's auto mode runs a call its hook
	// answered ask): [AskNative] then answers as [AskDeny].
	askIgnored bool
	// interaction: the tool's permission dialog is the person's part of the
	// call (a question picker, a plan approval), so an allow must not skip
	// it: safeclaw then gives no decision.
	interaction bool
}

// verdict is what safeclaw answers, before it is put in the agent's words.
type verdict struct {
	effect   action.Effect
	deferred bool // Claude Code's defer
	abstain  bool // no answer: the agent's own permission flow decides
	reason   string
	updated  json.RawMessage // allow only: the tool input to run instead ([Options.Fence])
}

// reply is what the process prints and returns.
type reply struct {
	stdout []byte
	stderr string
	code   int
}

// adapter is one agent's wire format.
type adapter interface {
	// decode reads one hook call. On error the event may still be returned
	// with its name and kind, so the blocking answer has the right shape.
	decode(data []byte) (*event, error)
	answer(ev *event, v verdict) reply
	// block is the blocking answer; ev is nil when the input was unreadable.
	block(ev *event, reason string) reply
	// recorded answers an event after its outcome was recorded.
	recorded(ev *event) reply
	// outcomeEvent reports whether the event named so only reports what
	// already ran.
	outcomeEvent(name string) bool
	canAsk(ev *event) bool
	canDefer(ev *event) bool
	// canRewrite reports whether an allow answer to ev can carry a
	// rewritten tool input.
	canRewrite(ev *event) bool
	defaultAsk() AskMode
}

func adapterFor(agent string) (adapter, bool) {
	switch agent {
	case "claude":
		return claude{}, true
	case "codex":
		return codex{}, true
	case "gemini":
		return gemini{}, true
	case "cursor":
		return cursor{}, true
	}
	return nil, false
}

// emit writes a reply and returns its exit code. A failed write of an answer
// turns into a block: the agent must not read half an allow.
func emit(out, errOut io.Writer, r reply) int {
	if r.stderr != "" {
		fmt.Fprintln(errOut, oneLine(r.stderr))
	}
	if len(r.stdout) > 0 {
		if _, err := out.Write(r.stdout); err != nil {
			fmt.Fprintf(errOut, "safeclaw: blocked: writing the answer failed: %v\n", err)
			return ExitBlock
		}
	}
	return r.code
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// shadowed reports whether shadow mode let dec through where enforcing
// would have denied or asked.
func shadowed(dec action.Decision) bool {
	for _, n := range dec.Notes {
		if strings.HasPrefix(n, action.ShadowNote) {
			return true
		}
	}
	return false
}
