package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/hook"
)

const hookUsage = `Usage: safeclaw hook claude|codex|gemini|cursor [--ask MODE] [--policy FILE]...

Answers one hook call of an AI agent: reads the agent's hook JSON on stdin,
decides the tool call with the policy (recording the decision in the audit
trail) and prints the agent's own answer. 'safeclaw install AGENT' sets the
agent up to run this; you do not run it by hand.

Any failure (unreadable input, a bad policy, an audit trail that cannot be
written, running out of time) blocks the tool call: the agent's deny answer,
a one-line reason on stderr, exit code 2.

--ask says what happens when a rule asks for a person's approval:
  native  the agent's own prompt (Claude Code, Cursor; Gemini interactive only)
  defer   Claude Code -p: end the run with the call deferred, resume after approval
  wait    wait for an approval through safeclaw (safeclaw approvals approve ID)
  deny    deny, telling the agent how a person can approve it
The default is native for claude and cursor, deny for codex and gemini
(Codex runs a command whose hook answers "ask"; Gemini -p hangs on it).
`

func runHook(ctx context.Context, e *Env, args []string) int {
	flags := newFlags(e, "hook", hookUsage)
	ask := flags.String("ask", "", "how an approval is asked for: native, defer, wait or deny")
	var policies stringList
	flags.Var(&policies, "policy", "policy file or directory (repeatable); replaces the user policy")
	timeout := flags.Duration("timeout", 0, "safeclaw's own deadline (default 20s, 4m with --ask wait); keep it below the agent's hook timeout")
	agent, rest, code, ok := agentAndFlags(e, flags, args)
	if !ok {
		if code == exitOK {
			return exitOK
		}
		// A bad command line in an agent's hook settings must still block.
		return hook.ExitBlock
	}
	if len(rest) > 0 {
		fmt.Fprintf(e.Stderr, "safeclaw: blocked: hook: unexpected argument %q\n", rest[0])
		return hook.ExitBlock
	}
	if agent == "" {
		fmt.Fprintf(e.Stderr, "safeclaw: blocked: hook: which agent? (%s)\n", strings.Join(hook.Agents(), ", "))
		return hook.ExitBlock
	}
	mode, err := hook.ParseAskMode(*ask)
	if err != nil {
		fmt.Fprintf(e.Stderr, "safeclaw: blocked: hook: %v\n", err)
		return hook.ExitBlock
	}
	opts := hook.Options{Ask: mode, Timeout: *timeout, Cwd: e.Cwd, Home: e.Home, Now: e.Now, ReadFile: readSmallFile}
	// PostToolUse outcome records (Options.Record) are acknowledged without
	// a record until the audit trail has an outcome record type.

	var decide action.DecideFunc
	var closeGate func() error
	if h, err := e.openGate(ctx, "hook", agent, policies...); err != nil {
		// Still answer in the agent's own words: read its input and block.
		why := err
		decide = func(context.Context, *action.Request) (action.Decision, error) { return action.Decision{}, why }
	} else {
		decide, closeGate = h.decide, h.close
		if h.approvals != nil {
			opts.Pending, opts.Wait = h.approvals.Pending, h.approvals.Wait
		}
	}
	code = hook.Run(ctx, agent, e.Stdin, e.Stdout, e.Stderr, decide, opts)
	if closeGate != nil {
		done := make(chan error, 1)
		go func() { done <- closeGate() }()
		select {
		case cerr := <-done:
			if cerr != nil {
				// The answer is already out; the decision itself was recorded
				// before it was given (the gate fails closed otherwise).
				fmt.Fprintf(e.Stderr, "safeclaw: warning: closing the audit trail: %v\n", cerr)
			}
		case <-time.After(2 * time.Second):
			fmt.Fprintln(e.Stderr, "safeclaw: warning: closing the audit trail timed out")
		}
	}
	return code
}
