package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/approval"
	"github.com/safeclaw/safeclaw/audit"
	"github.com/safeclaw/safeclaw/gate"
	"github.com/safeclaw/safeclaw/internal/ptytest"
	"github.com/safeclaw/safeclaw/policy"
)

// approvalEnv is a test Env on the real clock (approvals wait in real time)
// that never prompts on the developer's terminal.
func approvalEnv(t *testing.T) *Env {
	t.Helper()
	old := testOnlyTTYPath
	testOnlyTTYPath = "-"
	t.Cleanup(func() { testOnlyTTYPath = old })
	e := testEnv(t)
	e.Now = time.Now
	return e
}

// clone is another "process" on the same machine: same directories, its
// own standard streams.
func clone(e *Env) *Env {
	c := *e
	c.Stdin, c.Stdout, c.Stderr = strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{}
	return &c
}

// pty opens a pseudo-terminal and returns its master and its slave (the
// terminal a person types at).
func pty(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, s := ptytest.Pair(t)
	// Drain the terminal's echo so that it never fills up.
	go func() {
		buf := make([]byte, 1024)
		for {
			if _, err := m.Read(buf); err != nil {
				return
			}
		}
	}()
	return m, s
}

// askRequest decides command under the brief's policy and returns the
// request and its (ask) decision.
func askRequest(t *testing.T, e *Env, surface, command string) (*action.Request, action.Decision) {
	t.Helper()
	var files []string
	for _, n := range []string{"step6", "step2", "step3", "step4", "step5"} {
		files = append(files, filepath.Join("testdata", "brief-"+n+".yaml"))
	}
	ps, err := e.loadPolicies(files)
	if err != nil {
		t.Fatal(err)
	}
	req := e.request(input{Command: command}, surface)
	d := ps.decide(req)
	if d.Effect != action.Ask {
		t.Fatalf("%q decides %s, want ask", command, d.Effect)
	}
	return req, d
}

type waitResult struct {
	eff action.Effect
	ap  *gate.Approval
	err error
}

// startWait runs `check --wait`'s waiting in another goroutine ("process").
func startWait(e *Env, req *action.Request, d action.Decision, timeout time.Duration) chan waitResult {
	ch := make(chan waitResult, 1)
	go func() {
		eff, ap, err := clone(e).waitApproval(context.Background(), req, d, timeout)
		ch <- waitResult{eff, ap, err}
	}()
	return ch
}

// pendingID waits for a pending request to appear in `approvals list --json`.
func pendingID(t *testing.T, e *Env) string {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		c := clone(e)
		if code := runApprovals(context.Background(), c, []string{"list", "--json"}); code != 0 {
			t.Fatalf("approvals list --json: exit %d: %s", code, c.Stderr)
		}
		var recs []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
			Input  string `json:"input"`
		}
		if err := json.Unmarshal(c.Stdout.(*bytes.Buffer).Bytes(), &recs); err != nil {
			t.Fatalf("approvals list --json: %v: %s", err, c.Stdout)
		}
		if len(recs) > 0 {
			if recs[0].Status != "pending" {
				t.Fatalf("list shows %+v", recs[0])
			}
			return recs[0].ID
		}
	}
	t.Fatal("no pending approval request appeared")
	return ""
}

// approveAtTerminal runs `safeclaw approvals approve ID args...` with its
// standard input on a pseudo-terminal where the person types typed.
func approveAtTerminal(t *testing.T, e *Env, typed string, args ...string) (int, string, string) {
	t.Helper()
	master, slave := pty(t)
	if typed != "" {
		if _, err := master.Write([]byte(typed)); err != nil {
			t.Fatal(err)
		}
	}
	c := clone(e)
	c.Stdin = slave
	code := runApprovals(context.Background(), c, append([]string{"approve"}, args...))
	return code, c.Stdout.(*bytes.Buffer).String(), c.Stderr.(*bytes.Buffer).String()
}

// TestApprovalScenarioAllow: one process asks and blocks, another approves
// from a terminal, the first gets allow.
func TestApprovalScenarioAllow(t *testing.T) {
	e := approvalEnv(t)
	req, d := askRequest(t, e, "check", "npm run dev")
	ch := startWait(e, req, d, 30*time.Second)
	id := pendingID(t, e)

	// show prints the whole request.
	c := clone(e)
	if code := runApprovals(context.Background(), c, []string{"show", id}); code != 0 {
		t.Fatalf("show: exit %d: %s", code, c.Stderr)
	}
	for _, want := range []string{"npm run dev", "Allow starting dev server with human approval", "pending"} {
		if !strings.Contains(c.Stdout.(*bytes.Buffer).String(), want) {
			t.Errorf("show lacks %q:\n%s", want, c.Stdout)
		}
	}

	code, out, errOut := approveAtTerminal(t, e, "y\n", id)
	if code != 0 || !strings.Contains(out, "Approved request "+id+" (once)") {
		t.Fatalf("approve: exit %d\n%s%s", code, out, errOut)
	}
	res := <-ch
	if res.err != nil || res.eff != action.Allow || res.ap == nil || res.ap.Outcome != "approved" || !strings.Contains(res.ap.Approver, "/dev/pts/") {
		t.Fatalf("waiter got %+v %+v %v; want allow, approved at a terminal", res.eff, res.ap, res.err)
	}
	// The approval was used; approving again has no effect and says so.
	code, _, errOut = approveAtTerminal(t, e, "", id, "--yes")
	if code != exitFindings || !strings.Contains(errOut, "already approved") || !strings.Contains(errOut, "no effect") {
		t.Fatalf("second approve: exit %d: %s", code, errOut)
	}
	assertAuditEvents(t, e, id, "requested", "approved", "used", "late_answer")
}

// TestApprovalScenarioDeny: another process denies; the waiter gets deny.
func TestApprovalScenarioDeny(t *testing.T) {
	e := approvalEnv(t)
	req, d := askRequest(t, e, "check", "npm start")
	ch := startWait(e, req, d, 30*time.Second)
	id := pendingID(t, e)
	code, out, errOut := runA(t, clone(e), "", "deny", id, "--reason", "not now")
	if code != 0 || !strings.Contains(out, "Denied request "+id) {
		t.Fatalf("deny: exit %d: %s%s", code, out, errOut)
	}
	res := <-ch
	if res.err != nil || res.eff != action.Deny || res.ap.Outcome != "denied" || res.ap.Reason != "not now" {
		t.Fatalf("waiter got %+v %+v %v; want denied", res.eff, res.ap, res.err)
	}
	assertAuditEvents(t, e, id, "requested", "denied")
}

// TestApprovalScenarioTimeout: nobody answers; the waiter gets deny at the
// timeout, and a late approval has no effect and says so.
func TestApprovalScenarioTimeout(t *testing.T) {
	e := approvalEnv(t)
	req, d := askRequest(t, e, "check", "npm run dev")
	res := <-startWait(e, req, d, 300*time.Millisecond)
	if res.err != nil || res.eff != action.Deny || res.ap.Outcome != "expired" {
		t.Fatalf("waiter got %+v %+v %v; want expired", res.eff, res.ap, res.err)
	}
	code, _, errOut := approveAtTerminal(t, e, "", res.ap.ID, "--yes")
	if code != exitFindings || !strings.Contains(errOut, "expired") || !strings.Contains(errOut, "no effect") {
		t.Fatalf("late approve: exit %d: %s", code, errOut)
	}
	c := clone(e)
	runApprovals(context.Background(), c, []string{"show", res.ap.ID})
	if !strings.Contains(c.Stdout.(*bytes.Buffer).String(), "expired") {
		t.Fatalf("show after a late answer:\n%s", c.Stdout)
	}
	assertAuditEvents(t, e, res.ap.ID, "requested", "expired", "late_answer")
}

func TestApproveRefusesWithoutTerminal(t *testing.T) {
	e := approvalEnv(t)
	s := e.openApprovalsT(t)
	req, d := askRequest(t, e, "hook", "npm run dev")
	r, err := s.m.Submit(context.Background(), req, d)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	code, _, errOut := runA(t, clone(e), "y\n", "approve", r.ID)
	if code != exitUsage || !strings.Contains(errOut, "refuses to run without a terminal") {
		t.Fatalf("approve from a pipe: exit %d: %s", code, errOut)
	}
	// A token copy that others can read is refused; a private one works.
	master, slave := pty(t)
	_ = master
	tc := clone(e)
	tc.Stdin = slave
	if code := runApprovals(context.Background(), tc, []string{"token"}); code != 0 {
		t.Fatalf("approvals token: exit %d: %s", code, tc.Stderr)
	}
	token, err := os.ReadFile(e.approverTokenPath())
	if err != nil {
		t.Fatal(err)
	}
	loose := filepath.Join(t.TempDir(), "loose")
	os.WriteFile(loose, token, 0o644)
	code, _, errOut = runA(t, clone(e), "", "approve", r.ID, "--token-file", loose)
	if code != exitUsage || !strings.Contains(errOut, "owner only") {
		t.Fatalf("approve with a readable token copy: exit %d: %s", code, errOut)
	}
	wrong := filepath.Join(t.TempDir(), "wrong")
	os.WriteFile(wrong, []byte(strings.Repeat("0", 64)), 0o600)
	if code, _, _ := runA(t, clone(e), "", "approve", r.ID, "--token-file", wrong); code != exitUsage {
		t.Fatalf("approve with a wrong token: exit %d", code)
	}
	good := filepath.Join(t.TempDir(), "good")
	os.WriteFile(good, token, 0o600)
	code, out, errOut := runA(t, clone(e), "", "approve", r.ID, "--token-file", good)
	if code != 0 || !strings.Contains(out, "Approved") {
		t.Fatalf("approve with the token: exit %d: %s%s", code, out, errOut)
	}
}

// runA runs `safeclaw approvals ARGS` in-process (the command table entry
// is the lead's to enable, so this calls the subcommand directly).
func runA(t *testing.T, e *Env, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	e.Stdin, e.Stdout, e.Stderr = strings.NewReader(stdin), &out, &errb
	code := runApprovals(context.Background(), e, args)
	return code, out.String(), errb.String()
}

// openApprovalsT opens the approval store for a test.
func (e *Env) openApprovalsT(t *testing.T) *approvals {
	t.Helper()
	h, err := e.openApprovals(nil)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestHookRetryRedeemsOnce: a hook surface files a request without
// waiting, a person approves it, and the agent's retry of the same exact
// call is allowed once; a different argument list is not.
func TestHookRetryRedeemsOnce(t *testing.T) {
	e := approvalEnv(t)
	h := e.openApprovalsT(t)
	defer h.Close()
	ctx := context.Background()
	req, d := askRequest(t, e, "hook", "npm run dev")
	if eff, _, err := h.Approve(ctx, req, d); eff != action.Ask || err != nil {
		t.Fatalf("Approve before any approval = %s, %v; want ask (left to the surface)", eff, err)
	}
	id, err := h.Pending(ctx, req, d)
	if err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := approveAtTerminal(t, e, "", id, "--yes"); code != 0 {
		t.Fatalf("approve: exit %d: %s%s", code, out, errOut)
	}
	other, od := askRequest(t, e, "hook", "npm run dev -- --host 0.0.0.0")
	if eff, _, _ := h.Approve(ctx, other, od); eff != action.Ask {
		t.Fatalf("an approval for 'npm run dev' allowed %q (%s)", other.Input, eff)
	}
	retry, rd := askRequest(t, e, "hook", "npm run dev")
	eff, ap, err := h.Approve(ctx, retry, rd)
	if eff != action.Allow || err != nil || ap.ID != id {
		t.Fatalf("retry = %s %+v %v; want allow by %s", eff, ap, err, id)
	}
	if eff, _, _ := h.Approve(ctx, retry, rd); eff != action.Ask {
		t.Fatal("an approval was used twice")
	}
}

// TestApproveAlways: --always appends an exact-command rule to always.yaml
// which, as the "always" layer, turns that command's ask into allow and
// nothing else.
func TestApproveAlways(t *testing.T) {
	e := approvalEnv(t)
	h := e.openApprovalsT(t)
	req, d := askRequest(t, e, "hook", "npm run dev")
	id, err := h.Pending(context.Background(), req, d)
	h.Close()
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := approveAtTerminal(t, e, "y\n", id, "--always", "--reason", "daily")
	if code != 0 || !strings.Contains(out, "always.yaml") {
		t.Fatalf("approve --always: exit %d: %s%s", code, out, errOut)
	}
	data, err := os.ReadFile(e.alwaysPolicyPath())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "# Approved always by") || !strings.Contains(string(data), `command_regex: "^npm run dev$"`) {
		t.Fatalf("always.yaml:\n%s", data)
	}
	f, err := policy.Parse(e.alwaysPolicyPath(), data)
	if err != nil {
		t.Fatal(err)
	}
	always, err := policy.Compile([]*policy.File{f}, e.policyOptions())
	if err != nil {
		t.Fatal(err)
	}
	ps, _ := e.loadPolicies([]string{filepath.Join("testdata", "brief-step6.yaml")})
	layers := append(ps.layers, policy.Layer{Name: "always", Policy: always})
	for command, want := range map[string]action.Effect{
		"npm run dev":                   action.Allow,
		"npm run dev -- --host 0.0.0.0": action.Ask,
		"npm start":                     action.Ask,
	} {
		q := e.request(input{Command: command, Agent: req.Agent}, "hook")
		if got := policy.DecideLayers(layers, q).Effect; got != want {
			t.Errorf("with the always layer, %q decides %s, want %s", command, got, want)
		}
	}
}

// assertAuditEvents checks that the audit trail holds the approval events
// of id, in any order.
func assertAuditEvents(t *testing.T, e *Env, id string, want ...string) {
	t.Helper()
	cfg, err := e.loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	trail, err := e.openAudit(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer trail.Close()
	got := map[string]bool{}
	err = trail.Query(context.Background(), nil, func(r *audit.Record) error {
		if r.Approval != nil && r.Approval.ID == id {
			got[r.Approval.Outcome] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range want {
		if !got[w] {
			t.Errorf("audit trail lacks the %s event of %s (has %v)", w, id, got)
		}
	}
}

var _ = approval.Pending // the CLI tests use the approval package's vocabulary

// FuzzAlwaysRules: the rule written for an approved command is a valid
// policy that allows exactly that argv, and not the same text split into
// other words.
func FuzzAlwaysRules(f *testing.F) {
	for _, s := range []string{"npm\x00run\x00dev", "rm\x00-rf\x00dist dir", "echo\x00it's\x00\"q\"", "x\x00*\x00b", "sh\x00-c\x00a; b | c", "/usr/bin/python3.12\x00-m\x00http.server", "a\x00$HOME\x00\\n"} {
		f.Add(s)
	}
	opts := policy.Options{Workspace: "/w", Home: "/h"}
	f.Fuzz(func(t *testing.T, s string) {
		words := strings.Split(s, "\x00")
		if len(words) > 12 || len(s) > 400 || words[0] == "" || !utf8Valid(s) {
			return
		}
		req := fuzzRequest(words)
		rules, err := approval.AlwaysRules(&approval.Record{ID: "f", Input: req.Input, Request: req}, approval.Answer{Approver: "a", Channel: "cli"})
		if err != nil {
			return // refusing is always safe
		}
		file, err := policy.Parse("always.yaml", []byte(approval.AlwaysHeader+rules))
		if err != nil {
			t.Fatalf("always rules for %q do not parse: %v\n%s", words, err, rules)
		}
		p, err := policy.Compile([]*policy.File{file}, opts)
		if err != nil {
			t.Fatalf("always rules for %q do not compile: %v\n%s", words, err, rules)
		}
		if d := p.Decide(req); d.Effect != action.Allow {
			t.Fatalf("always rule for %q does not allow it (%s)\n%s", words, d.Reason, rules)
		}
		if !strings.Contains(rules, "command_pattern:") {
			return // regex only: word boundaries are not pinned (documented)
		}
		for i := 1; i+1 < len(words); i++ {
			merged := append(append(append([]string{}, words[:i]...), words[i]+" "+words[i+1]), words[i+2:]...)
			if d := p.Decide(fuzzRequest(merged)); d.Effect == action.Allow {
				t.Fatalf("always rule for %q also allows %q\n%s", words, merged, rules)
			}
		}
	})
}

func fuzzRequest(words []string) *action.Request {
	argv := action.ParseArgv(words)
	text := strings.Join(words, " ")
	return &action.Request{Input: text, Cwd: "/w", Parts: []action.Part{{Text: text, Views: []action.Argv{argv},
		Facets: []action.Action{{Kind: action.ShellExecute, Command: text, Program: argv.Program}}}}}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }
