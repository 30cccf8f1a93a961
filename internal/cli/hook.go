package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/audit"
	"github.com/safeclaw/safeclaw/hook"
	"github.com/safeclaw/safeclaw/sandbox"
)

const hookUsage = `Usage: safeclaw hook claude|codex|gemini|cursor [--ask MODE] [--run] [--policy FILE]...

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
The default is native for claude, deny for codex, gemini and cursor (Codex
runs a command whose hook answers "ask"; Gemini -p hangs on it; Cursor is
reported to run it in Auto-review mode).

--run rewrites an allowed shell command (Claude Code Bash, Codex, Gemini
run_shell_command) to run as 'safeclaw run -- bash -c COMMAND', through the
agent's updatedInput, so the kernel still fences what passed the parser.
Nothing is rewritten for Cursor (no confirmed rewrite), for calls a person
allows in the agent's own prompt, or when the agent already runs under
'safeclaw run'.

Outcome events (Claude Code and Codex PostToolUse, PostToolUseFailure,
Gemini AfterTool, Cursor after*) are recorded in the audit trail as
"outcome" records; a failed record only warns on stderr.
`

func runHook(ctx context.Context, e *Env, args []string) int {
	flags := newFlags(e, "hook", hookUsage)
	ask := flags.String("ask", "", "how an approval is asked for: native, defer, wait or deny")
	var policies stringList
	flags.Var(&policies, "policy", "policy file or directory (repeatable); replaces the user policy")
	fenced := flags.Bool("run", false, "rewrite allowed shell commands to run under safeclaw run (claude, codex, gemini)")
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
	var configErr error
	redact := true
	if agent == "claude" {
		// config.yaml's approvals.claude_ask, unless --ask says otherwise,
		// and hooks.redact_output. A config that does not load blocks the
		// call below, in Claude Code's own deny form, as a policy that does
		// not load does.
		if cfg, err := e.loadConfig(); err != nil {
			configErr = err
		} else {
			if *ask == "" {
				*ask = cfg.Approvals.ClaudeAsk
			}
			redact = cfg.Hooks.RedactOutput
		}
	}
	mode, err := hook.ParseAskMode(*ask)
	if err != nil {
		fmt.Fprintf(e.Stderr, "safeclaw: blocked: hook: %v\n", err)
		return hook.ExitBlock
	}
	opts := hook.Options{Ask: mode, Timeout: *timeout, Cwd: e.Cwd, Home: e.Home, Now: e.Now, ReadFile: readSmallFile}
	if redact {
		opts.Redact = audit.Redact
	}
	if *fenced {
		fence, err := runFence(agent, policies)
		if err != nil {
			fmt.Fprintf(e.Stderr, "safeclaw: blocked: hook: --run: %v\n", err)
			return hook.ExitBlock
		}
		opts.Fence = fence
	}

	var decide action.DecideFunc
	var closeGate func() error
	h, err := (*gateHandle)(nil), configErr
	if err == nil {
		h, err = e.inProject(agent).openGate(ctx, "hook", agent, policies...)
	}
	if err != nil {
		// Still answer in the agent's own words: read its input and block.
		why := err
		decide = func(context.Context, *action.Request) (action.Decision, error) { return action.Decision{}, why }
		opts.Record = func(context.Context, hook.Outcome) error { return why }
	} else {
		decide, closeGate = h.decide, h.close
		if h.approvals != nil {
			opts.Pending = h.approvals.Pending
			wait := h.approvals.Wait
			opts.Wait = func(ctx context.Context, req *action.Request, d action.Decision) (action.Decision, error) {
				out, err := wait(ctx, req, d)
				if err == nil && out.Effect == action.Allow {
					// A person approved this MCP call here: safeclaw mcp, which
					// sees the same call moments later, must not ask again.
					if nerr := e.noteMCPApproval(req, "approved through the "+agent+" hook"); nerr != nil {
						fmt.Fprintf(e.Stderr, "safeclaw: warning: could not note the approval for safeclaw mcp: %v\n", nerr)
					}
				}
				return out, err
			}
		}
		// A call Claude Code puts to a person in its own dialog reaches the
		// MCP proxy only if the person allowed it: the proxy must not ask
		// again.
		opts.Prompted = func(_ context.Context, req *action.Request, toolUseID string) {
			if err := e.noteMCPPrompted(req, agent, toolUseID); err != nil {
				fmt.Fprintf(e.Stderr, "safeclaw: warning: could not note the prompt for safeclaw mcp: %v\n", err)
			}
		}
		// Under safeclaw run the trail belongs to the supervisor and is
		// hidden from this process (h.store is nil): outcomes go unrecorded.
		if store := h.store; store != nil {
			opts.Record = func(ctx context.Context, o hook.Outcome) error {
				_, err := store.Append(ctx, outcomeRecord(o))
				return err
			}
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

// runFence is the argv prefix --run rewrites shell commands under: this
// binary's absolute path, "run", the agent, the hook's own policy files, and
// "--". Nil when this process already runs under safeclaw run (the outer
// supervisor fences the command; a second one cannot start) or for an agent
// whose calls cannot be rewritten.
func runFence(agent string, policies []string) ([]string, error) {
	if agent == "cursor" || sandbox.Supervised() {
		return nil, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("cannot find the safeclaw binary: %w", err)
	}
	if resolved, err := filepath.EvalSymlinks(exe); err == nil {
		exe = resolved
	}
	fence := []string{exe, "run", "--agent", agent}
	for _, p := range policies {
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, fmt.Errorf("policy %s: %w", p, err)
		}
		fence = append(fence, "--policy", abs)
	}
	return append(fence, "--"), nil
}

// outcomeRecord is the audit record of what an agent reported after a tool
// ran: the tool call as received (Prepare redacts it), a summary of the
// response (never the output itself), the failure, the run time and the
// agent's tool-use id. Decision records carry no tool-use id, so the link to
// the decision is the session, the time and this id.
func outcomeRecord(o hook.Outcome) *audit.Record {
	rec := &audit.Record{
		Type:    audit.TypeOutcome,
		Time:    o.Time,
		Surface: "hook",
		Agent:   o.Agent,
		Session: o.Session,
		Cwd:     o.Cwd,
		Request: o.Tool,
		Error:   o.Error,
		Notes:   []string{"event " + o.Event},
	}
	var in bytes.Buffer
	if len(o.Input) > 0 && json.Compact(&in, o.Input) == nil && in.String() != "null" {
		rec.Request += " " + in.String()
	}
	if o.ToolUseID != "" {
		rec.Notes = append(rec.Notes, "tool_use_id "+o.ToolUseID)
	}
	if s := hook.SummarizeResponse(o.Response); s != "" {
		rec.Notes = append(rec.Notes, "response: "+s)
	}
	if d := o.Duration; d > 0 {
		if d >= time.Millisecond {
			d = d.Round(time.Millisecond)
		}
		rec.Notes = append(rec.Notes, "duration "+d.String())
	}
	return rec
}

// inProject returns e with its working directory moved to the project the
// agent was started in, when the agent names it (Claude Code's
// CLAUDE_PROJECT_DIR, Gemini CLI's GEMINI_PROJECT_DIR): the workspace and
// the project policy follow the project, not the directory a command has
// cd'd into since, which the model chooses.
func (e *Env) inProject(agent string) *Env {
	var names []string
	switch agent {
	case "claude":
		names = []string{"CLAUDE_PROJECT_DIR"}
	case "gemini":
		names = []string{"GEMINI_PROJECT_DIR", "CLAUDE_PROJECT_DIR"}
	}
	for _, name := range names {
		dir := e.Getenv(name)
		if dir == "" || !filepath.IsAbs(dir) {
			continue
		}
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			continue
		}
		local := *e
		local.Cwd = filepath.Clean(dir)
		return &local
	}
	return e
}
