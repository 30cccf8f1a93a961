package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/audit"
	"github.com/safeclaw/safeclaw/sandbox"
)

const runUsage = `Usage: safeclaw run [--policy FILE]... [--enforce require|best-effort|off] [--explain] [--agent NAME] -- COMMAND [ARGS]...

Runs COMMAND (an agent CLI, a shell, a build) so that the kernel enforces the
policy on every process it starts: listening sockets, binds and outbound
connections are intercepted (seccomp user notification) and decided by the
policy, the known bypasses (32-bit system calls, io_uring, MPTCP, TCP Fast
Open, raw sockets, ptrace) are refused, and Landlock keeps the processes from
using TCP on their own or signalling safeclaw. shell.execute rules that match
are applied at each exec, advisory only. Every decision is recorded in the
audit trail. safeclaw's own config and state are hidden from COMMAND and the
agents' hook settings and policy files are read-only.

The strongest setup for an agent is: safeclaw run -- claude

--enforce require (the default) refuses to start when a network rule cannot
be enforced on this kernel; best-effort starts anyway with a warning; off
only records. --explain prints which layer enforces each kind of rule.

A rule that asks for a person's approval holds the system call until a
person answers (safeclaw approvals, or the configured channels) or the rule's
timeout denies it.

Exit status: COMMAND's (128+N when signal N ended it); 125 when safeclaw fails
before starting it, 126 when COMMAND cannot be executed or its exec is denied,
127 when it is not found. Linux on x86-64 only.
`

// envRunSocket names the decision socket of the run a process is under.
// safeclaw's hooks inside the run ask the supervisor through it, since the
// sandbox hides safeclaw's config and state from them.
const envRunSocket = "SAFECLAW_RUN_SOCKET"

func runRun(ctx context.Context, e *Env, args []string) int {
	// The sandbox's child stub re-executes this binary as
	// "safeclaw run __safeclaw-sandbox-init": nothing may run before it.
	if len(args) > 0 && args[0] == sandbox.ShimArg {
		return sandbox.RunShim()
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(e.Stderr, "safeclaw: error: run: "+format+"\n", a...)
		return sandbox.ExitSandboxFailed
	}
	flags := newFlags(e, "run", runUsage)
	var policies stringList
	flags.Var(&policies, "policy", "policy file or directory (repeatable); replaces the user policy")
	enforce := flags.String("enforce", "require", "require, best-effort or off")
	explain := flags.Bool("explain", false, "print which kernel layer enforces each kind of rule")
	agent := flags.String("agent", "", "agent name recorded in the audit trail (default: the command's name)")
	if code, ok := parseFlags(e, flags, args); !ok {
		if code == exitOK {
			return exitOK
		}
		return sandbox.ExitSandboxFailed
	}
	argv := flags.Args()
	mode, err := sandbox.ParseMode(*enforce)
	if err != nil {
		return fail("%v", err)
	}
	if len(argv) == 0 && !*explain {
		fmt.Fprint(e.Stderr, runUsage)
		return fail("no command to run")
	}

	// Already inside a run (e.g. a hook rewrote a command to run under
	// safeclaw run): the outer sandbox enforces; a second seccomp listener
	// is refused by the kernel. Run the command directly.
	if len(argv) > 0 && e.Getenv(envRunSocket) != "" && sandbox.Supervised() {
		path, err := exec.LookPath(argv[0])
		if err != nil {
			fmt.Fprintf(e.Stderr, "safeclaw: run: %v\n", err)
			return sandbox.ExitNotFound
		}
		err = syscall.Exec(path, argv, os.Environ())
		fmt.Fprintf(e.Stderr, "safeclaw: run: %s: %v\n", argv[0], err)
		return sandbox.ExitCannotExec
	}

	// Asks on the run surface reach a person through the gate's approvals.
	report := sandbox.Explain(sandbox.Probe(), mode, true)
	if *explain {
		report.Write(e.Stderr)
		if len(argv) == 0 {
			return exitOK
		}
	}
	if missing := report.Missing(); len(missing) > 0 {
		switch mode {
		case sandbox.Require:
			if !*explain {
				report.Write(e.Stderr)
			}
			fmt.Fprintln(e.Stderr, "safeclaw: error: run: the kernel cannot enforce the policy's network rules here; refusing to start")
			fmt.Fprintln(e.Stderr, "safeclaw: hint: --enforce best-effort runs anyway with what the kernel offers")
			return sandbox.ExitSandboxFailed
		case sandbox.BestEffort:
			fmt.Fprintln(e.Stderr, "safeclaw: WARNING: run is NOT fully enforced on this system (--enforce best-effort):")
			for _, m := range missing {
				fmt.Fprintf(e.Stderr, "safeclaw: WARNING:   %s NOT ENFORCED: %s\n", m.Subject, m.Gap)
			}
		}
	}

	if *agent == "" {
		*agent = action.ProgramName(argv[0])
	}
	// The gate follows the policy files: a change (or SIGHUP) reloads it;
	// a policy that does not load keeps the previous one, and says so.
	var logMu sync.Mutex
	logf := func(format string, args ...any) {
		logMu.Lock()
		defer logMu.Unlock()
		fmt.Fprintf(e.Stderr, "[safeclaw] %s\n", strings.TrimPrefix(fmt.Sprintf(format, args...), "safeclaw: "))
	}
	live, err := e.newLiveGate(ctx, "run", *agent, "run", policies, logf)
	if err != nil {
		return fail("%v", err)
	}
	decide := live.Decide
	runDecide := execDecider(decide, e.execUndecided(live.policy))

	hosts := sandbox.NewHostTable(hostNames(live.policy()), func(ctx context.Context, host string) ([]netip.Addr, error) {
		return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	}, e.Now)
	live.reloaded = func(h *gateHandle) {
		// New connect rules may name new hosts: resolve them now.
		if hosts.SetNames(hostNames(h.ps)) {
			go func() {
				if err := hosts.Refresh(context.WithoutCancel(ctx)); err != nil {
					logf("safeclaw: WARNING: %v", err)
				}
			}()
		}
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	watchCtx, stopWatch := context.WithCancel(ctx)
	watched := make(chan struct{})
	go func() { defer close(watched); live.watch(watchCtx, hup, nil) }()
	defer func() {
		// No reload may start once the gate is being closed.
		signal.Stop(hup)
		stopWatch()
		<-watched
		live.close()
	}()
	if err := hosts.Refresh(ctx); err != nil {
		fmt.Fprintf(e.Stderr, "[safeclaw] WARNING: %v; connects to them are decided on their address alone until they resolve\n", err)
	}
	hostCtx, stopHosts := context.WithCancel(ctx)
	defer stopHosts()
	go hosts.Run(hostCtx, sandbox.HostRefresh, nil)

	sock, stopSock, err := serveRunDecisions(ctx, decide)
	if err != nil {
		return fail("decision socket: %v", err)
	}
	defer stopSock()

	// Create safeclaw's directories now, so they exist to be hidden.
	for _, d := range []string{e.ConfigDir, e.StateDir} {
		if d != "" {
			if err := os.MkdirAll(d, 0o700); err != nil {
				return fail("%v", err)
			}
		}
	}

	onEvent := func(ev sandbox.Event) {
		// Allowed operations are in the audit trail; the terminal gets what
		// was refused and what the sandbox itself has to say.
		if ev.Effect == action.Allow && !ev.Note() {
			return
		}
		logMu.Lock()
		defer logMu.Unlock()
		g := live.acquire()
		defer g.release()
		if ev.Request == nil && !ev.Note() && g.h.store != nil {
			// A static in-kernel deny (io_uring, MPTCP, a foreign ABI, ...):
			// no policy was asked, but the trail must still say it happened.
			rec := &audit.Record{Type: audit.TypeDecision, Time: ev.Time, Surface: "run", Agent: *agent,
				Cwd: e.Cwd, Request: fmt.Sprintf("%s pid=%d comm=%s %s", ev.Op, ev.PID, ev.Comm, ev.Detail),
				Actions:  []audit.Facet{{Kind: "sandbox." + ev.Op, Detail: ev.Detail}},
				Decision: audit.Deny, Reason: ev.Reason,
				Rule:  &audit.Rule{Name: "safeclaw run static deny", Reason: ev.Reason, Source: "builtin", Builtin: true},
				Notes: []string{"enforced by " + string(ev.Layer) + "; result " + ev.Result}}
			if _, err := g.h.store.Append(ctx, rec); err != nil {
				fmt.Fprintf(e.Stderr, "[safeclaw] WARNING: could not record a static deny: %v\n", err)
			}
		}
		if ev.Note() {
			if ev.Result == "warning" {
				fmt.Fprintf(e.Stderr, "[safeclaw] WARNING: %s\n", ev.Detail)
			} else if *explain {
				fmt.Fprintf(e.Stderr, "[safeclaw] %s\n", ev.Detail)
			}
			return
		}
		fmt.Fprintln(e.Stderr, ev.String())
	}

	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT)
	defer func() { signal.Stop(sigs); close(sigs) }()
	// SIGINT and SIGQUIT come from the terminal to the whole process group,
	// the target included: safeclaw only stays alive. SIGTERM may be meant
	// for safeclaw alone: pass it on. SIGHUP reloads the policy (above); a
	// terminal's hangup reaches the target through its process group.
	forward := make(chan os.Signal, 4)
	go func() {
		for s := range sigs {
			if s == syscall.SIGTERM {
				select {
				case forward <- s:
				default:
				}
			}
		}
	}()

	env := append(withoutEnv(os.Environ(), envRunSocket), envRunSocket+"="+sock)
	code, err := sandbox.Run(ctx, sandbox.Spec{
		Argv:     argv,
		Env:      env,
		Dir:      e.Cwd,
		Stdin:    e.Stdin,
		Stdout:   e.Stdout,
		Stderr:   e.Stderr,
		Mode:     mode,
		Decide:   runDecide,
		Hosts:    hosts,
		OnEvent:  onEvent,
		Hide:     []string{e.ConfigDir, e.StateDir},
		ReadOnly: e.protectedFiles(policies),
		Signals:  forward,
		ShimArgs: []string{"safeclaw", "run", sandbox.ShimArg},
	})
	if err != nil {
		fmt.Fprintf(e.Stderr, "safeclaw: error: run: %v\n", err)
	}
	return code
}

// hostNames returns the literal host names of the connect rules of every
// layer: the kernel sees only addresses, so the run resolves them.
func hostNames(ps *policySet) []string {
	seen := map[string]bool{}
	var names []string
	for _, l := range ps.layers {
		for _, n := range l.Policy.HostNames(action.NetworkConnect) {
			if !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
	}
	return names
}

// execUndecided tells whether no rule about the command decides an exec:
// no rule matches, or the one that does is a catch-all (a shell.execute rule
// that also decides a command no one has, like the built-in policy's
// "Commands not on the allow list": the policy's default spelled as a rule).
// The default does not apply at execve, or no agent could start node or git
// under run. It evaluates the policy alone: nothing is recorded or asked.
func (e *Env) execUndecided(current func() *policySet) func(req *action.Request) bool {
	const probe = "safeclaw-no-such-command-probe"
	// The catch-all of each policy generation, found once per generation.
	var mu sync.Mutex
	var probed *policySet
	var catchAll *action.RuleRef
	catchAllOf := func(ps *policySet) *action.RuleRef {
		mu.Lock()
		defer mu.Unlock()
		if ps != probed {
			pd := ps.decide(&action.Request{Surface: "run", Time: e.Now(), Parts: []action.Part{{
				Text:   probe,
				Views:  []action.Argv{action.ParseArgv([]string{probe})},
				Facets: []action.Action{{Kind: action.ShellExecute, Command: probe, Program: probe}},
			}}})
			probed, catchAll = ps, pd.Rule
		}
		return catchAll
	}
	return func(req *action.Request) bool {
		ps := current()
		catchAll := catchAllOf(ps)
		r := *req
		if r.Time.IsZero() {
			r.Time = e.Now()
		}
		d := ps.decide(&r)
		return d.Rule == nil || catchAll != nil && d.Rule.Source == catchAll.Source && d.Rule.Name == catchAll.Name
	}
}

// execDecider keeps execs that no rule about the command decides away from
// the gate: they proceed without a record or a prompt (the sandbox reports
// them as events). Everything else goes to decide.
func execDecider(decide action.DecideFunc, undecided func(*action.Request) bool) action.DecideFunc {
	return func(ctx context.Context, req *action.Request) (action.Decision, error) {
		if sandbox.ExecRequest(req) && undecided(req) {
			return action.Decision{Effect: action.Allow, Part: -1, Reason: "no rule about this command; the default does not apply at execve"}, nil
		}
		return decide(ctx, req)
	}
}

// protectedFiles are made read-only for the target tree: the agents' hook
// settings (user and project) and the policy files in force.
func (e *Env) protectedFiles(policies []string) []string {
	var out []string
	for _, agent := range []string{"claude", "codex", "gemini", "cursor"} {
		for _, project := range []bool{false, true} {
			if p, err := e.settingsPath(agent, project, false); err == nil {
				out = append(out, p)
			}
		}
	}
	if e.Cwd != "" {
		out = append(out, filepath.Join(e.Cwd, ".claude", "settings.local.json"))
	}
	if e.Home != "" {
		out = append(out, filepath.Join(e.Home, ".codex", "config.toml"))
	}
	if p := findProjectPolicy(e.Cwd); p != "" {
		out = append(out, p)
	}
	if m := e.Getenv("SAFECLAW_MANAGED_POLICY"); m != "" {
		out = append(out, m)
	}
	for _, p := range policies {
		if abs, err := filepath.Abs(p); err == nil {
			out = append(out, abs)
		}
	}
	return out
}

func withoutEnv(env []string, name string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return out
}

// runDecision is one exchange on the decision socket: the client sends
// {"request": ...}, the supervisor answers {"effect", "decision", "error"}.
type runDecision struct {
	Request  *action.Request  `json:"request,omitempty"`
	Effect   string           `json:"effect,omitempty"`
	Decision *action.Decision `json:"decision,omitempty"`
	Error    string           `json:"error,omitempty"`
}

// serveRunDecisions listens on a unix socket in a private directory and
// answers decision requests from safeclaw processes inside the run (agent
// hooks) with decide, so they need none of safeclaw's hidden files.
func serveRunDecisions(ctx context.Context, decide action.DecideFunc) (string, func(), error) {
	dir, err := os.MkdirTemp("", "safeclaw-run-")
	if err != nil {
		return "", nil, err
	}
	path := filepath.Join(dir, "decide.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer func() { <-sem; wg.Done() }()
				answerRunDecision(ctx, c, decide)
			}()
		}
	}()
	stop := func() {
		l.Close()
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(2 * time.Second):
		}
		os.RemoveAll(dir)
	}
	return path, stop, nil
}

func answerRunDecision(ctx context.Context, c net.Conn, decide action.DecideFunc) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Minute))
	var in runDecision
	if err := json.NewDecoder(io.LimitReader(c, maxPolicyBytes)).Decode(&in); err != nil || in.Request == nil {
		json.NewEncoder(c).Encode(runDecision{Error: "bad request"})
		return
	}
	switch in.Request.Surface {
	case "":
		in.Request.Surface = "hook"
	case "hook", "mcp", "api", "check":
	default:
		// "run" records are the supervisor's own (what the kernel asked):
		// a process inside the run may not write one, nor invent surfaces.
		json.NewEncoder(c).Encode(runDecision{Effect: action.Deny.String(), Error: fmt.Sprintf("surface %q may not ask over the run socket", in.Request.Surface)})
		return
	}
	d, err := decide(ctx, in.Request)
	out := runDecision{Effect: d.Effect.String(), Decision: &d}
	if err != nil {
		out.Effect, out.Error = action.Deny.String(), err.Error()
	}
	json.NewEncoder(c).Encode(out)
}

// runSocketDecider returns a DecideFunc that asks the supervisor of the
// safeclaw run this process is inside, when there is one: the run hides
// safeclaw's policy, config and audit trail from its processes, so a hook
// called by an agent under run must decide through the supervisor.
// decider should call it first.
func (e *Env) runSocketDecider(surface, agent string) (action.DecideFunc, bool) {
	path := e.Getenv(envRunSocket)
	if path == "" || !filepath.IsAbs(path) {
		return nil, false
	}
	return func(ctx context.Context, req *action.Request) (action.Decision, error) {
		if req.Surface == "" {
			req.Surface = surface
		}
		if req.Agent == "" {
			req.Agent = agent
		}
		var dialer net.Dialer
		c, err := dialer.DialContext(ctx, "unix", path)
		if err != nil {
			return action.Decision{}, fmt.Errorf("ask the safeclaw run supervisor: %w", err)
		}
		defer c.Close()
		if dl, ok := ctx.Deadline(); ok {
			c.SetDeadline(dl)
		}
		if err := json.NewEncoder(c).Encode(runDecision{Request: req}); err != nil {
			return action.Decision{}, fmt.Errorf("ask the safeclaw run supervisor: %w", err)
		}
		var out runDecision
		if err := json.NewDecoder(bufio.NewReader(io.LimitReader(c, maxPolicyBytes))).Decode(&out); err != nil {
			return action.Decision{}, fmt.Errorf("the safeclaw run supervisor's answer: %w", err)
		}
		if out.Error != "" || out.Decision == nil {
			return action.Decision{}, errors.New("the safeclaw run supervisor: " + out.Error)
		}
		d := *out.Decision
		eff, ok := action.ParseEffect(out.Effect)
		if !ok {
			return action.Decision{}, fmt.Errorf("the safeclaw run supervisor answered %q", out.Effect)
		}
		d.Effect = eff
		return d, nil
	}, true
}
