package cli

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/safeclaw/safeclaw/hook"
)

// hookTimeoutUnit is the unit of a handler's "timeout" in each agent's
// settings, and agentHookTimeout the timeout an agent applies when the
// handler sets none (0: not documented, not checked).
var (
	hookTimeoutUnit  = map[string]time.Duration{"claude": time.Second, "codex": time.Second, "gemini": time.Millisecond, "cursor": time.Second}
	agentHookTimeout = map[string]time.Duration{"claude": 600 * time.Second, "codex": 600 * time.Second, "gemini": 60 * time.Second}
)

// timedOutMeans says what an agent does with the tool call when it stops
// waiting for a hook.
var timedOutMeans = map[string]string{
	"claude": "Claude Code stops waiting first and blocks the call, without safeclaw's reason or approval",
	"codex":  "Codex stops waiting first and runs the tool call unchecked",
	"gemini": "Gemini CLI stops waiting first and runs the tool call unchecked",
	"cursor": "Cursor stops waiting first and blocks the call, without safeclaw's reason or approval",
}

// hookTimeoutMargin is how much longer than safeclaw's own deadline an
// agent must wait for the hook: safeclaw starts, reads the policy and
// answers after its deadline passes.
const hookTimeoutMargin = 5 * time.Second

// hookDeadline is how long safeclaw's hook, run with the command line
// words (the program, "hook", the agent, flags), may take before it
// answers: --timeout, else 4 minutes when it waits for approvals (--ask
// wait, or for Claude Code config.yaml's approvals.claude_ask), else 20 s.
func (e *Env) hookDeadline(agent string, words []string) (time.Duration, string) {
	ask, timeout := "", ""
	for i := 2; i < len(words); i++ {
		w := words[i]
		if w == "--" {
			break
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(w, "-"), "=")
		if !strings.HasPrefix(w, "-") || (name != "ask" && name != "timeout") {
			continue
		}
		if !hasVal && i+1 < len(words) {
			i++
			val = words[i]
		}
		if name == "ask" {
			ask = val
		} else {
			timeout = val
		}
	}
	if d, err := time.ParseDuration(timeout); err == nil && d > 0 {
		return d, "its --timeout"
	}
	if ask == "" && agent == "claude" {
		if cfg, err := e.loadConfig(); err == nil {
			if cfg.Approvals.ClaudeAsk == string(hook.AskWait) {
				return hook.WaitTimeout, "approvals.claude_ask: wait in config.yaml"
			}
		}
	}
	if ask == string(hook.AskWait) {
		return hook.WaitTimeout, "--ask wait"
	}
	return hook.DecideTimeout, "its default"
}

// checkHookWaits fails a deciding handler the agent does not wait for long
// enough: one marked async (its answer comes after the call ran), or one
// whose timeout is not above safeclaw's own deadline.
func (e *Env) checkHookWaits(agent, path, reinstall string, h hook.InstalledHandler, r doctorReport) {
	var f struct {
		Timeout    *float64 `json:"timeout"`
		TimeoutSec *float64 `json:"timeoutSec"`
		Async      bool     `json:"async"`
	}
	if json.Unmarshal(h.Raw, &f) != nil {
		return
	}
	if f.Async && (agent == "claude" || agent == "codex") {
		r.bad(reinstall, `%s: %s: the %s hook is "async": true: the agent does not wait for its answer and runs every tool call unchecked`, agent, path, h.Event)
		return
	}
	t := f.Timeout
	if t == nil && agent == "codex" {
		t = f.TimeoutSec
	}
	var wait time.Duration
	var given string
	switch {
	case t != nil:
		wait = time.Duration(*t * float64(hookTimeoutUnit[agent]))
		given = fmt.Sprintf("%q: %v", "timeout", *t)
		if agent == "gemini" {
			given += " (milliseconds)"
		}
	case agentHookTimeout[agent] > 0:
		wait = agentHookTimeout[agent]
		given = "no timeout (the agent's default)"
	default:
		return
	}
	deadline, why := e.hookDeadline(agent, h.Command)
	if wait >= deadline+hookTimeoutMargin {
		return
	}
	r.bad(fmt.Sprintf("%s, or set the hook's timeout above %v", reinstall, deadline+hookTimeoutMargin),
		"%s: %s: the %s hook has %s, so the agent waits %v, too short for safeclaw's own deadline of %v (%s): %s",
		agent, path, h.Event, given, wait, deadline, why, timedOutMeans[agent])
}
