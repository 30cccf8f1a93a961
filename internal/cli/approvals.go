package cli

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"os/signal"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/approval"
	"github.com/safeclaw/safeclaw/approval/notify"
	"github.com/safeclaw/safeclaw/audit"
	"github.com/safeclaw/safeclaw/config"
	"github.com/safeclaw/safeclaw/gate"
	"github.com/safeclaw/safeclaw/policy"
)

const approvalsUsage = `Usage:
  safeclaw approvals list [--all] [--json]
  safeclaw approvals show ID [--json]
  safeclaw approvals approve ID [--reason R] [--session | --always] [--yes] [--token-file F]
  safeclaw approvals deny ID [--reason R]
  safeclaw approvals watch [--json]
  safeclaw approvals notify
  safeclaw approvals token [--rotate]

Requests that a rule sends to a person ("ask", human_approval: required)
wait here until someone answers, or until their timeout passes (then they
are denied and marked expired). Each request is bound to the exact command
(or action), working directory, agent, session and policy: an approval
allows that one request, once.

  list      pending requests (--all: recent ones of any status)
  show      one request in full: the whole input (only secrets redacted),
            each part and action, the rule that asked, who is waiting
  approve   allow it: once (default), for the agent's session (--session:
            the same exact request passes again in that session), or always
            (--always: appends an exact-command allow rule to always.yaml
            in the config directory, with who approved it and when)
  deny      refuse it
  watch     print requests as they arrive and are answered, and deliver
            queued webhook notifications, until interrupted
  notify    deliver queued webhook notifications once, then exit
  token     create (or --rotate) the approver token, keys/approver.token
            in the state directory, readable by you only

approve shows the request and asks for confirmation (--yes skips it). It
refuses to run unless its standard input is a terminal, so that an agent
cannot approve its own requests from a script; automation that must approve
gives --token-file with a copy of the approver token (mode 0600, owned by
you). An answer to a request that is no longer pending has no effect and
says why.

Exit codes: 0 done, 1 the answer had no effect (already answered or
expired), 2 error or refused.

Examples:
  safeclaw approvals list
  safeclaw approvals show k7f3q2xm9a
  safeclaw approvals approve k7f3q2xm9a --session
  safeclaw approvals deny k7f3q2xm9a --reason "no tunnels from this repo"
`

// testOnlyTTYPath replaces /dev/tty for the terminal prompt in tests; "-"
// disables the prompt. Never set outside tests.
var testOnlyTTYPath string

// runApprovals implements `safeclaw approvals`.
func runApprovals(ctx context.Context, e *Env, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(e.Stderr, approvalsUsage)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(e.Stdout, approvalsUsage)
		return exitOK
	case "list", "ls":
		return runApprovalsList(ctx, e, args[1:])
	case "show":
		return runApprovalsShow(ctx, e, args[1:])
	case "approve":
		return runApprovalsAnswer(ctx, e, args[1:], true)
	case "deny":
		return runApprovalsAnswer(ctx, e, args[1:], false)
	case "watch":
		return runApprovalsWatch(ctx, e, args[1:])
	case "notify":
		return runApprovalsNotify(ctx, e, args[1:])
	case "token":
		return runApprovalsToken(ctx, e, args[1:])
	}
	msg := fmt.Sprintf("unknown approvals command %q", args[0])
	if s := closest(args[0], []string{"list", "show", "approve", "deny", "watch", "notify", "token"}); s != "" {
		return hintf(e, fmt.Sprintf("did you mean %q?", s), "%s", msg)
	}
	return hintf(e, "run 'safeclaw approvals --help'", "%s", msg)
}

// approvals is this process's handle on the approval store: the manager,
// the store, and the audit trail its events go to. It opens the store on
// first use, so that deciding surfaces pay nothing until a rule asks.
type approvals struct {
	e      *Env
	trail  audit.Store
	once   sync.Once
	err    error
	m      *approval.Manager
	store  approvalStore
	closeT func() error // closes the trail when this handle opened it
}

// openPGApprovals opens the approval store of the PostgreSQL store at u.
func (e *Env) openPGApprovals(ctx context.Context, u string) (approvalStore, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	db, err := e.openPGDB(ctx, u)
	if err != nil {
		return nil, err
	}
	defer db.Close() // the store keeps its own reference
	st, err := db.Approvals(ctx)
	if err != nil {
		return nil, err // a nil interface, not a typed nil *pgstore.Approvals
	}
	return st, nil
}

// approvalStore is what the manager needs of a store: SQLite on one
// machine, PostgreSQL for a fleet.
type approvalStore interface {
	approval.Store
	approval.Outbox
}

// openApprovals opens the approval store named by config.yaml (default
// approvals.db in the state directory). Approval events go to trail; nil
// opens the audit trail here (and Close closes it).
func (e *Env) openApprovals(trail audit.Store) (*approvals, error) {
	h := e.lazyApprovals(trail)
	if err := h.open(); err != nil {
		h.Close()
		return nil, err
	}
	return h, nil
}

// lazyApprovals returns a handle that opens the store on first use.
func (e *Env) lazyApprovals(trail audit.Store) *approvals {
	return &approvals{e: e, trail: trail}
}

func (h *approvals) open() error {
	h.once.Do(func() { h.err = h.doOpen() })
	return h.err
}

func (h *approvals) doOpen() error {
	e := h.e
	cfg, err := e.loadConfig()
	if err != nil {
		return err
	}
	if h.trail == nil {
		fs, err := e.openAudit(cfg)
		if err != nil {
			return fmt.Errorf("open audit trail: %w", err)
		}
		h.trail, h.closeT = fs, fs.Close
	}
	if u := e.storeURL(cfg.Store); isPostgresURL(u) {
		ctx := context.Background()
		h.store, err = e.openPGApprovals(ctx, u)
		if err != nil && cfg.Approvals.OnStoreDown == config.StoreDownLocal {
			// The shared store is down and the config allows local
			// approvals: this machine's store and channels decide.
			fmt.Fprintf(e.Stderr, "safeclaw: warning: shared approval store unreachable (%v); using this machine's approvals (approvals.on_store_down: local)\n", err)
			path, perr := e.approvalsPath(&config.Config{})
			if perr != nil {
				return perr
			}
			var st *approval.SQLite
			if st, err = approval.OpenSQLite(path); err == nil {
				h.store = st // never a typed nil: Close would call through it
			}
		}
		if err != nil {
			h.store = nil
			return err
		}
	} else {
		path, err := e.approvalsPath(cfg)
		if err != nil {
			return err
		}
		st, err := approval.OpenSQLite(path)
		if err != nil {
			return err // h.store stays a nil interface, not a typed nil
		}
		h.store = st
	}
	targets, err := e.webhookTargets(cfg)
	if err != nil {
		return err
	}
	var names []string
	for _, t := range targets {
		names = append(names, t.Name)
	}
	sender := &notify.Sender{Targets: targets, Now: e.Now}
	h.m, err = approval.New(approval.Config{
		Store: h.store, Outbox: h.store, Targets: names, Deliver: sender.Deliver,
		Events:    approvalAuditSink(h.trail),
		Warn:      func(msg string) { fmt.Fprintln(e.Stderr, msg) },
		Redact:    redactSecrets,
		Always:    e.writeAlways,
		Now:       e.Now,
		Timeout:   cfg.Approvals.Timeout,
		Requester: e.requester(),
	})
	return err
}

// Close closes the store and, when this handle opened it, the audit trail.
func (h *approvals) Close() error {
	var errs []error
	if h.store != nil {
		errs = append(errs, h.store.Close())
	}
	if h.closeT != nil {
		errs = append(errs, h.closeT())
	}
	return errors.Join(errs...)
}

// approvalsPath is the SQLite file for approvals: config.yaml's store when it
// names one (sqlite:///path), else approvals.db in the state directory.
func (e *Env) approvalsPath(cfg *config.Config) (string, error) {
	if cfg.Store == "" {
		return filepath.Join(e.StateDir, "approvals.db"), nil
	}
	u, err := url.Parse(cfg.Store)
	if err != nil {
		return "", fmt.Errorf("store %q: %w", cfg.Store, err)
	}
	switch u.Scheme {
	case "sqlite", "file":
		p := u.Path
		if u.Host != "" || p == "" {
			return "", fmt.Errorf("store %q: write sqlite:///absolute/path", cfg.Store)
		}
		return p, nil
	}
	return "", fmt.Errorf("store %q: approvals support only SQLite so far (sqlite:///path)", cfg.Store)
}

// webhookTargets are the notification webhooks from config.yaml; the files
// holding their URLs and secrets must be private (approval.CheckPrivateFile).
func (e *Env) webhookTargets(cfg *config.Config) ([]notify.Target, error) {
	if cfg == nil {
		return nil, nil
	}
	var out []notify.Target
	for _, w := range cfg.Approvals.Webhooks {
		t := notify.Target{Name: w.Name, URL: w.URL, Format: notify.Format(w.Format), Headers: w.Headers}
		if w.URLFile != "" {
			data, err := e.readPrivate(w.URLFile)
			if err != nil {
				return nil, fmt.Errorf("webhook %q: url_file: %w", w.Name, err)
			}
			t.URL = strings.TrimSpace(string(data))
		}
		if w.SecretFile != "" {
			data, err := e.readPrivate(w.SecretFile)
			if err != nil {
				return nil, fmt.Errorf("webhook %q: secret_file: %w", w.Name, err)
			}
			t.Secret = []byte(strings.TrimSpace(string(data)))
		}
		out = append(out, t)
	}
	return out, nil
}

// readPrivate reads a file that must be private to this user (a secret).
func (e *Env) readPrivate(path string) ([]byte, error) {
	if strings.HasPrefix(path, "~/") {
		path = filepath.Join(e.Home, path[2:])
	}
	if err := approval.CheckPrivateFile(path); err != nil {
		return nil, err
	}
	return os.ReadFile(path)
}

// redactSecrets is what approvers and notifications see of an input.
func redactSecrets(s string) string {
	out, _ := audit.Redact(s)
	return out
}

// requester describes this process for approvers.
func (e *Env) requester() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("safeclaw pid %d, %s on %s", os.Getpid(), e.whoami(), host)
}

// whoami names the user running this process.
func (e *Env) whoami() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if u := e.Getenv("USER"); u != "" {
		return u
	}
	return fmt.Sprintf("uid %d", os.Getuid())
}

// principal is who runs this process as the system knows them: the login
// of its real uid (never an environment variable, which anyone can set),
// else "uid N". Quorums count principals, and approver lists name them.
func principal() string {
	uid := strconv.Itoa(os.Getuid())
	if u, err := user.LookupId(uid); err == nil && u.Username != "" {
		return u.Username
	}
	return "uid " + uid
}

// alwaysPolicyPath is the "always" policy layer's file.
func (e *Env) alwaysPolicyPath() string { return filepath.Join(e.ConfigDir, "always.yaml") }

// checkAlways builds the always rules for r and checks, without writing,
// that the always file would still be a valid policy that allows r.
func (e *Env) checkAlways(r *approval.Record, a approval.Answer) error {
	rules, err := approval.AlwaysRules(r, a)
	if err != nil {
		return err
	}
	old, err := os.ReadFile(e.alwaysPolicyPath())
	switch {
	case errors.Is(err, fs.ErrNotExist):
		old = []byte(approval.AlwaysHeader)
	case err != nil:
		return err
	}
	return e.validateAlways(r)(append(append(old, '\n'), rules...))
}

// writeAlways appends r's always rules to the always file (config
// approval.Config.Always).
func (e *Env) writeAlways(_ context.Context, r *approval.Record, a approval.Answer) error {
	rules, err := approval.AlwaysRules(r, a)
	if err != nil {
		return err
	}
	return approval.AppendAlways(e.alwaysPolicyPath(), rules, e.validateAlways(r))
}

// validateAlways returns a check that data is a valid policy which allows
// r's request: the rules must match what was approved.
func (e *Env) validateAlways(r *approval.Record) func([]byte) error {
	return func(data []byte) error {
		f, err := policy.Parse(e.alwaysPolicyPath(), data)
		if err != nil {
			return err
		}
		p, err := policy.Compile([]*policy.File{f}, e.policyOptions())
		if err != nil {
			return err
		}
		if d := p.Decide(r.Request); d.Effect != action.Allow {
			return fmt.Errorf("the always rule would not allow the approved request (%s)", d.Reason)
		}
		return nil
	}
}

// approvalAuditSink appends approval events to the audit trail.
func approvalAuditSink(trail audit.Store) func(context.Context, approval.Event) error {
	return func(ctx context.Context, ev approval.Event) error {
		_, err := trail.Append(ctx, approvalAuditRecord(ev))
		return err
	}
}

func approvalAuditRecord(ev approval.Event) *audit.Record {
	decision := audit.Ask
	switch ev.Type {
	case approval.EventApproved, approval.EventUsed:
		decision = audit.Allow
	case approval.EventDenied, approval.EventExpired, approval.EventLateAnswer:
		decision = audit.Deny
	}
	rec := &audit.Record{
		Type: audit.TypeApproval, Time: ev.Time, Surface: ev.Surface, Agent: ev.Agent, Session: ev.Session, Cwd: ev.Cwd,
		Request: ev.Input, Decision: decision, Reason: ev.Reason, PolicyHash: ev.PolicyHash, Error: ev.Error,
		Notes: []string{"approval " + string(ev.Type) + " (request " + ev.ID + ")"},
		Approval: &audit.Approval{ID: ev.ID, Outcome: string(ev.Type), Approver: ev.Approver, Channel: ev.Channel,
			Scope: string(ev.Scope), Note: ev.Note, WaitUS: ev.Waited.Microseconds()},
	}
	if ev.Target != "" {
		rec.Notes = append(rec.Notes, "notification target "+ev.Target)
	}
	if ev.Request != nil {
		// What the request does, so that action: filters find its
		// approval records too.
		rec.Actions = auditFacets(ev.Request)
	}
	if ev.Rule != nil {
		rec.Rule = &audit.Rule{Name: ev.Rule.Name, Reason: ev.Rule.Reason, Source: ev.Rule.Source, Layer: ev.Rule.Layer, Builtin: ev.Rule.Builtin}
	}
	return rec
}

// gateApproval describes an outcome for the gate's audit record.
func gateApproval(out approval.Outcome) *gate.Approval {
	ap := &gate.Approval{Outcome: string(out.Status), Waited: out.Waited}
	if out.Status == "" {
		ap.Outcome = string(approval.Expired)
	}
	switch {
	case out.Grant != nil:
		ap.ID = out.Grant.RequestID
	case out.Record != nil:
		ap.ID = out.Record.ID
		if out.Record.Answer != nil {
			ap.Reason = out.Record.Answer.Reason
		}
	}
	ap.Approver, ap.Channel = out.Approver(), out.Channel()
	if out.Grant != nil {
		ap.Scope = "session"
	}
	return ap
}

// ttyPrompter returns the terminal prompt for a waiting requester, or nil
// when this process has no controlling terminal.
func (e *Env) ttyPrompter() approval.Prompter {
	path := testOnlyTTYPath
	if path == "-" || !approval.TTYAvailable(path) {
		return nil
	}
	return &approval.TTYPrompter{Path: path, Approver: e.whoami(), Principal: principal(), AllowAlways: true, Now: e.Now}
}

// Approve implements gate.ApproveFunc. A surface that can wait (check,
// run) files a request and waits, prompting on the controlling terminal
// when there is one. For the others (hook, mcp, api) it never blocks: an
// earlier approval or a session grant for the same exact request allows it,
// and otherwise it answers Ask, which leaves the ask to the surface (the
// hook adapter's native prompt, defer, wait or deny-with-instructions).
func (h *approvals) Approve(ctx context.Context, req *action.Request, d action.Decision) (action.Effect, *gate.Approval, error) {
	if err := h.open(); err != nil {
		return action.Deny, nil, err
	}
	switch req.Surface {
	case "check", "run":
		out, err := h.m.Ask(ctx, req, d, approval.AskOptions{Prompt: h.e.ttyPrompter(), Filed: h.announce})
		return out.Effect, gateApproval(out), err
	}
	out, ok, err := h.m.Redeem(ctx, req, d)
	if err != nil {
		return action.Deny, nil, err
	}
	if ok {
		return action.Allow, gateApproval(out), nil
	}
	return action.Ask, nil, nil
}

// Pending files a request that nobody waits for and returns its id
// (hook.Options.Pending): the agent is told to have a person approve it and
// to retry the same call, which [approvals.Approve] then redeems.
func (h *approvals) Pending(ctx context.Context, req *action.Request, d action.Decision) (string, error) {
	if err := h.open(); err != nil {
		return "", err
	}
	r, err := h.m.Submit(ctx, req, d)
	if err != nil {
		return "", err
	}
	return r.ID, nil
}

// Wait files a request and blocks until a person answers through any
// channel but a terminal prompt (hook processes must not take over the
// agent's terminal), or until the timeout or ctx's deadline
// (hook.Options.Wait).
func (h *approvals) Wait(ctx context.Context, req *action.Request, d action.Decision) (action.Decision, error) {
	if err := h.open(); err != nil {
		d.Effect, d.Reason = action.Deny, "approval unavailable ("+err.Error()+"): "+d.Reason
		return d, err
	}
	// Stopped (Ctrl-C, kill), the waiter expires its request before it
	// exits, so that a late approval cannot record an "approved" for a
	// call that never ran.
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	out, err := h.m.Ask(ctx, req, d, approval.AskOptions{})
	return approvedDecision(d, out), err
}

// approvedDecision is d after a person's answer.
func approvedDecision(d action.Decision, out approval.Outcome) action.Decision {
	d.Effect = out.Effect
	switch {
	case out.Effect == action.Allow:
		d.Reason = fmt.Sprintf("approved by %s via %s: %s", out.Approver(), out.Channel(), d.Reason)
	case out.Status == approval.Denied:
		d.Reason = fmt.Sprintf("denied by %s via %s: %s", out.Approver(), out.Channel(), d.Reason)
	default:
		d.Reason = "nobody approved it in time: " + d.Reason
	}
	return d
}

// announce tells the person at stderr how to answer a filed request.
func (h *approvals) announce(r *approval.Record) {
	fmt.Fprintf(h.e.Stderr, "safeclaw: waiting until %s for a person to approve request %s:\n  safeclaw approvals show %s\n  safeclaw approvals approve %s   (or: deny %s)\n",
		r.Deadline.Local().Format("15:04:05"), r.ID, r.ID, r.ID, r.ID)
}

// waitApproval is `check --wait`: it files a request for the ask decision d
// and blocks until a person answers (any channel, including a prompt on this
// process's terminal), the timeout passes (0: the rule's timeout, else
// config.yaml's approvals.timeout) or ctx ends. Events go to the audit
// trail. The effect is Allow or Deny; an error means deny.
func (e *Env) waitApproval(ctx context.Context, req *action.Request, d action.Decision, timeout time.Duration) (action.Effect, *gate.Approval, error) {
	h, err := e.openApprovals(nil)
	if err != nil {
		return action.Deny, nil, err
	}
	defer h.Close()
	// Stopped (Ctrl-C, kill), expire the request before exiting (see
	// approvals.Wait).
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	out, err := h.m.Ask(ctx, req, d, approval.AskOptions{Timeout: timeout, Prompt: e.ttyPrompter(), Filed: h.announce})
	if err != nil {
		return action.Deny, gateApproval(out), err
	}
	switch {
	case out.Effect == action.Allow:
		fmt.Fprintf(e.Stderr, "safeclaw: approved by %s via %s\n", out.Approver(), out.Channel())
	case out.Status == approval.Denied:
		fmt.Fprintf(e.Stderr, "safeclaw: denied by %s via %s\n", out.Approver(), out.Channel())
	default:
		fmt.Fprintln(e.Stderr, "safeclaw: nobody approved it in time; denied")
	}
	return out.Effect, gateApproval(out), nil
}

// parseInterspersed parses flags that may come before or after positional
// arguments (approve ID --session).
func parseInterspersed(e *Env, fs *flag.FlagSet, args []string) ([]string, int, bool) {
	var pos []string
	for {
		if code, ok := parseFlags(e, fs, args); !ok {
			return nil, code, false
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, 0, true
		}
		if rest[0] == "--" {
			return append(pos, rest[1:]...), 0, true
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func runApprovalsList(ctx context.Context, e *Env, args []string) int {
	fs := newFlags(e, "approvals list", "Usage: safeclaw approvals list [--all] [--json]\n\nLists pending approval requests, newest first, with their full input.\n")
	all := fs.Bool("all", false, "include recent answered and expired requests")
	jsonOut := fs.Bool("json", false, "print a JSON array")
	pos, code, ok := parseInterspersed(e, fs, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return errorf(e, "approvals list takes no arguments")
	}
	h, err := e.openApprovals(nil)
	if err != nil {
		return errorf(e, "%v", err)
	}
	defer h.Close()
	f := approval.Filter{Status: []approval.Status{approval.Pending}}
	if *all {
		f = approval.Filter{Limit: 100}
	}
	recs, err := h.m.List(ctx, f)
	if err != nil {
		return errorf(e, "list approvals: %v", err)
	}
	if *jsonOut {
		if recs == nil {
			recs = []*approval.Record{}
		}
		if err := writeJSON(e.Stdout, recs); err != nil {
			return errorf(e, "write output: %v", err)
		}
		return exitOK
	}
	if len(recs) == 0 {
		if *all {
			fmt.Fprintln(e.Stdout, "No approval requests.")
		} else {
			fmt.Fprintln(e.Stdout, "No pending approval requests.")
		}
		return exitOK
	}
	now := e.Now()
	fmt.Fprintf(e.Stdout, "%-10s  %-8s  %-9s  %-8s  %s\n", "ID", "STATUS", "EXPIRES", "AGENT", "INPUT")
	for _, r := range recs {
		expires := "-"
		if r.Status == approval.Pending {
			expires = max(r.Deadline.Sub(now), 0).Round(time.Second).String()
		}
		agent := r.Agent
		if agent == "" {
			agent = "-"
		}
		fmt.Fprintf(e.Stdout, "%-10s  %-8s  %-9s  %-8s  %s\n", r.ID, r.Status, expires, approval.Printable(agent), approval.Printable(r.Input))
	}
	return exitOK
}

func runApprovalsShow(ctx context.Context, e *Env, args []string) int {
	fs := newFlags(e, "approvals show", "Usage: safeclaw approvals show ID [--json]\n\nShows one approval request in full.\n")
	jsonOut := fs.Bool("json", false, "print a JSON object")
	pos, code, ok := parseInterspersed(e, fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return errorf(e, "approvals show takes one request ID")
	}
	h, err := e.openApprovals(nil)
	if err != nil {
		return errorf(e, "%v", err)
	}
	defer h.Close()
	r, err := h.m.Get(ctx, pos[0])
	if err != nil {
		return hintf(e, "run 'safeclaw approvals list --all' for the known requests", "%v", err)
	}
	if *jsonOut {
		if err := writeJSON(e.Stdout, r); err != nil {
			return errorf(e, "write output: %v", err)
		}
		return exitOK
	}
	fmt.Fprint(e.Stdout, approval.Render(r, e.Now()))
	if err := h.m.CheckBinding(r); err != nil {
		fmt.Fprintf(e.Stdout, "  WARNING:   %v\n", err)
	}
	return exitOK
}

// stdinTerminal reports whether e's standard input is a terminal, and its name.
func (e *Env) stdinTerminal() (bool, string) {
	f, ok := e.Stdin.(interface {
		Fd() uintptr
		Name() string
	})
	if !ok || !approval.IsTerminal(f.Fd()) {
		return false, ""
	}
	return true, f.Name()
}

func runApprovalsAnswer(ctx context.Context, e *Env, args []string, approve bool) int {
	name := "deny"
	if approve {
		name = "approve"
	}
	fs := newFlags(e, "approvals "+name, "Usage: safeclaw approvals "+name+" ID [flags]\n\nAnswers one approval request (see safeclaw approvals --help).\n")
	reason := fs.String("reason", "", "why (recorded in the audit trail)")
	var session, always, yes *bool
	var tokenFile *string
	if approve {
		session = fs.Bool("session", false, "also allow the same exact request again in the agent's session")
		always = fs.Bool("always", false, "append an exact-command allow rule to always.yaml")
		yes = fs.Bool("yes", false, "do not ask for confirmation")
		tokenFile = fs.String("token-file", "", "approve without a terminal, proving it with a copy of the approver token")
	}
	pos, code, ok := parseInterspersed(e, fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return errorf(e, "approvals %s takes one request ID", name)
	}
	id := pos[0]
	a := approval.Answer{Approve: approve, Reason: *reason, Approver: e.whoami(), Principal: principal(), Channel: "cli"}
	interactive, tty := e.stdinTerminal()
	if approve {
		switch {
		case *session && *always:
			return errorf(e, "give --session or --always, not both")
		case *session:
			a.Scope = approval.Session
		case *always:
			a.Scope = approval.Always
		default:
			a.Scope = approval.Once
		}
		switch {
		case *tokenFile != "":
			if err := e.checkApproverToken(*tokenFile); err != nil {
				return errorf(e, "approver token refused: %v", err)
			}
			a.Channel, a.Approver = "cli (approver token)", a.Approver+" (token "+*tokenFile+")"
		case interactive:
			a.Approver += " (" + tty + ")"
		default:
			return hintf(e, "run it yourself in a terminal, or give --token-file (see 'safeclaw approvals token')",
				"approvals approve refuses to run without a terminal on standard input, so that an agent cannot approve its own request")
		}
	}
	h, err := e.openApprovals(nil)
	if err != nil {
		return errorf(e, "%v", err)
	}
	defer h.Close()
	r, err := h.m.Get(ctx, id)
	if err != nil {
		return hintf(e, "run 'safeclaw approvals list' for the pending requests", "%v", err)
	}
	if approve {
		if err := h.m.CheckBinding(r); err != nil {
			return errorf(e, "%v; refusing to approve", err)
		}
		if a.Scope == approval.Always && r.Status == approval.Pending {
			if err := e.checkAlways(r, a); err != nil {
				return hintf(e, "approve it once or for the session instead", "cannot approve always: %v", err)
			}
		}
		if r.Status == approval.Pending && interactive && *tokenFile == "" && !*yes {
			fmt.Fprint(e.Stdout, approval.Render(r, e.Now()))
			fmt.Fprintf(e.Stdout, "Approve this request (%s)? [y/N]: ", a.Scope)
			if !confirmed(e.Stdin) {
				fmt.Fprintln(e.Stdout, "Not approved; the request is still pending.")
				return exitOK
			}
		}
	}
	a.Time = e.Now()
	got, err := h.m.Answer(ctx, id, a)
	var np *approval.NotPendingError
	switch {
	case errors.As(err, &np):
		fmt.Fprintf(e.Stderr, "safeclaw: %v\n", err)
		return exitFindings
	case got == nil && err != nil:
		return errorf(e, "%v", err)
	}
	verb := "Denied"
	if approve {
		verb = "Approved"
	}
	if approve && got.Status == approval.Pending {
		// One approval of the several the request needs, counted for the
		// principal the store recorded (a database role names its own).
		as := a.Principal
		if n := len(got.Votes); n > 0 && !slices.ContainsFunc(got.Votes, func(v approval.Answer) bool { return v.Principal == as }) {
			as = got.Votes[n-1].Principal
		}
		fmt.Fprintf(e.Stdout, "Approved request %s as %s: %s\n", got.ID, approval.Printable(as), approval.Printable(got.Input))
		fmt.Fprintf(e.Stdout, "It needs %s: %d so far; it stays pending until the others approve.\n",
			approval.DescribeNeeds(got.Needs), len(got.Votes))
		if err != nil {
			fmt.Fprintf(e.Stderr, "safeclaw: warning: %v\n", err)
		}
		return exitOK
	}
	fmt.Fprintf(e.Stdout, "%s request %s", verb, got.ID)
	if approve {
		fmt.Fprintf(e.Stdout, " (%s)", got.Answer.Scope)
	}
	fmt.Fprintf(e.Stdout, ": %s\n", approval.Printable(got.Input))
	if a.Scope == approval.Always && err == nil {
		fmt.Fprintf(e.Stdout, "Added an allow rule for it to %s.\n", e.alwaysPolicyPath())
	}
	if err != nil {
		// The answer stands; what followed it (audit event, grant, always
		// rule) failed.
		fmt.Fprintf(e.Stderr, "safeclaw: warning: %v\n", err)
	}
	return exitOK
}

// confirmed reads one line and reports whether it says yes.
func confirmed(in io.Reader) bool {
	var line []byte
	b := make([]byte, 1)
	for len(line) < 64 {
		n, err := in.Read(b)
		if n == 1 {
			if b[0] == '\n' {
				break
			}
			line = append(line, b[0])
		}
		if err != nil {
			break
		}
	}
	s := strings.ToLower(strings.TrimSpace(string(line)))
	return s == "y" || s == "yes"
}

// approverTokenPath is where the approver token lives: in the key directory,
// which the built-in policy keeps agents from reading.
func (e *Env) approverTokenPath() string { return filepath.Join(e.KeyDir(), "approver.token") }

// checkApproverToken accepts path when it is private to this user and holds
// the approver token.
func (e *Env) checkApproverToken(path string) error {
	canon := e.approverTokenPath()
	if err := approval.CheckPrivateFile(canon); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return errors.New("no approver token exists (create one with 'safeclaw approvals token' at a terminal)")
		}
		return err
	}
	if err := approval.CheckPrivateFile(path); err != nil {
		return err
	}
	want, err := os.ReadFile(canon)
	if err != nil {
		return err
	}
	got, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	w, g := strings.TrimSpace(string(want)), strings.TrimSpace(string(got))
	if len(w) < 32 || subtle.ConstantTimeCompare([]byte(w), []byte(g)) != 1 {
		return errors.New("the file does not hold the approver token")
	}
	return nil
}

func runApprovalsToken(_ context.Context, e *Env, args []string) int {
	fs := newFlags(e, "approvals token", "Usage: safeclaw approvals token [--rotate]\n\nCreates the approver token (keys/approver.token in the state directory, mode 0600)\nthat lets 'approvals approve --token-file' approve without a terminal.\n")
	rotate := fs.Bool("rotate", false, "replace an existing token (copies of the old one stop working)")
	if code, ok := parseFlags(e, fs, args); !ok {
		return code
	}
	if ok, _ := e.stdinTerminal(); !ok {
		return errorf(e, "approvals token must be run at a terminal")
	}
	path := e.approverTokenPath()
	if _, err := os.Lstat(path); err == nil && !*rotate {
		if err := approval.CheckPrivateFile(path); err != nil {
			return errorf(e, "%v", err)
		}
		fmt.Fprintf(e.Stdout, "The approver token exists: %s (use --rotate to replace it)\n", path)
		return exitOK
	}
	if err := os.MkdirAll(e.KeyDir(), 0o700); err != nil {
		return errorf(e, "%v", err)
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return errorf(e, "%v", err)
	}
	tmp := path + ".new"
	if err := os.WriteFile(tmp, []byte(hex.EncodeToString(b[:])+"\n"), 0o600); err != nil {
		return errorf(e, "%v", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return errorf(e, "%v", err)
	}
	fmt.Fprintf(e.Stdout, "Wrote the approver token to %s (mode 0600).\nKeep copies readable by you only; never put it where an agent can read it.\n", path)
	return exitOK
}

func runApprovalsNotify(ctx context.Context, e *Env, args []string) int {
	fs := newFlags(e, "approvals notify", "Usage: safeclaw approvals notify\n\nDelivers the queued webhook notifications that are due, once, and exits.\n")
	if code, ok := parseFlags(e, fs, args); !ok {
		return code
	}
	h, err := e.openApprovals(nil)
	if err != nil {
		return errorf(e, "%v", err)
	}
	defer h.Close()
	n, err := h.m.Drain(ctx)
	if err != nil {
		return errorf(e, "deliver notifications: %v", err)
	}
	left, _ := h.store.Queued(ctx)
	fmt.Fprintf(e.Stdout, "Delivered %d notification(s); %d queued for retry.\n", n, left)
	return exitOK
}

func runApprovalsWatch(ctx context.Context, e *Env, args []string) int {
	fs := newFlags(e, "approvals watch", "Usage: safeclaw approvals watch [--json]\n\nPrints approval requests as they arrive and are answered, and delivers\nqueued webhook notifications, until interrupted.\n")
	jsonOut := fs.Bool("json", false, "print one JSON object per line per change")
	if code, ok := parseFlags(e, fs, args); !ok {
		return code
	}
	h, err := e.openApprovals(nil)
	if err != nil {
		return errorf(e, "%v", err)
	}
	defer h.Close()
	go h.m.Run(ctx)
	seen := map[string]approval.Status{}
	start := e.Now().Add(-time.Hour)
	if !*jsonOut {
		fmt.Fprintln(e.Stderr, "safeclaw: watching approval requests (Ctrl-C to stop)")
	}
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		recs, err := h.m.List(ctx, approval.Filter{Since: start, Limit: 200})
		if err != nil && ctx.Err() == nil {
			return errorf(e, "list approvals: %v", err)
		}
		for i := len(recs) - 1; i >= 0; i-- {
			r := recs[i]
			prev, known := seen[r.ID]
			if known && prev == r.Status {
				continue
			}
			if !known && r.Status != approval.Pending {
				seen[r.ID] = r.Status // answered before we looked
				continue
			}
			seen[r.ID] = r.Status
			if *jsonOut {
				if err := writeJSON(e.Stdout, r); err != nil {
					return errorf(e, "write output: %v", err)
				}
				continue
			}
			if r.Status == approval.Pending {
				fmt.Fprintf(e.Stdout, "\n%s  safeclaw approvals approve %s   (or: deny %s)\n", approval.Render(r, e.Now()), r.ID, r.ID)
				continue
			}
			line := fmt.Sprintf("%s %s", r.ID, r.Status)
			if a := r.Answer; a != nil {
				line += fmt.Sprintf(" by %s via %s", approval.Printable(a.Approver), approval.Printable(a.Channel))
			}
			fmt.Fprintln(e.Stdout, line)
		}
		select {
		case <-ctx.Done():
			return exitOK
		case <-t.C:
		}
	}
}
