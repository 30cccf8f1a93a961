package cli

import (
	"context"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/policy"
	"github.com/safeclaw/safeclaw/sandbox"
)

func TestRunUsageErrorsAre125(t *testing.T) {
	e := testEnv(t)
	for _, args := range [][]string{
		{"run"},
		{"run", "--enforce", "sometimes", "--", "true"},
		{"run", "--no-such-flag", "--", "true"},
	} {
		if code, _, stderr := run(t, e, "", args...); code != sandbox.ExitSandboxFailed {
			t.Errorf("%q: exit %d, want %d\n%s", args, code, sandbox.ExitSandboxFailed, stderr)
		}
	}
	if code, out, _ := run(t, e, "", "run", "--help"); code != exitOK || !strings.Contains(out, "safeclaw run -- claude") {
		t.Errorf("run --help: exit %d\n%s", code, out)
	}
}

// TestRunDecisionSocket: a hook inside a run decides through the
// supervisor, which answers with its own DecideFunc.
func TestRunDecisionSocket(t *testing.T) {
	var seen *action.Request
	decide := func(ctx context.Context, req *action.Request) (action.Decision, error) {
		seen = req
		return action.Decision{Effect: action.Ask, Reason: "needs a person", Part: 0, Timeout: time.Minute,
			Rule: &action.RuleRef{Name: "ask rule", Source: "p.yaml:3"}}, nil
	}
	path, stop, err := serveRunDecisions(context.Background(), decide)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	e := testEnv(t)
	env := map[string]string{envRunSocket: path}
	e.Getenv = func(k string) string { return env[k] }
	d, ok := e.runSocketDecider("hook", "claude")
	if !ok {
		t.Fatal("no socket decider although SAFECLAW_RUN_SOCKET is set")
	}
	req := &action.Request{Input: "rm -rf /", Parts: []action.Part{{Text: "rm -rf /", Facets: []action.Action{{Kind: action.ShellExecute, Command: "rm -rf /"}}}}}
	got, err := d(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if got.Effect != action.Ask || got.Rule == nil || got.Rule.Name != "ask rule" || got.Timeout != time.Minute {
		t.Errorf("decision %+v", got)
	}
	if seen == nil || seen.Surface != "hook" || seen.Agent != "claude" || seen.Input != "rm -rf /" {
		t.Errorf("the supervisor saw %+v", seen)
	}
	// A process inside the run cannot pass its question off as one the
	// kernel asked (surface "run"), nor invent a surface.
	for _, surface := range []string{"run", "ui", "x"} {
		seen = nil
		d, _ := e.runSocketDecider(surface, "claude")
		r := *req
		r.Surface = ""
		if got, err := d(context.Background(), &r); err == nil || got.Effect != action.Deny || seen != nil {
			t.Errorf("surface %q: %+v %v (decided: %v)", surface, got, err, seen != nil)
		}
	}
	env[envRunSocket] = filepath.Join(t.TempDir(), "gone.sock")
	d, _ = e.runSocketDecider("hook", "claude")
	if _, err := d(context.Background(), req); err == nil {
		t.Error("an unreachable supervisor must be an error (the hook then blocks)")
	}
	env[envRunSocket] = ""
	if _, ok := e.runSocketDecider("hook", "claude"); ok {
		t.Error("no socket decider outside a run")
	}
}

// TestExecUndecided: with the built-in policy, the catch-all "Commands not
// on the allow list" does not decide an exec; a rule about the command does,
// and only those reach the gate.
func TestExecUndecided(t *testing.T) {
	e := testEnv(t)
	ps, err := e.loadPolicies(nil)
	if err != nil {
		t.Fatal(err)
	}
	undecided := e.execUndecided(func() *policySet { return ps })
	execReq := func(words ...string) *action.Request {
		text := strings.Join(words, " ")
		return &action.Request{Surface: "run", Parts: []action.Part{{Text: text,
			Views:  []action.Argv{action.ParseArgv(words)},
			Facets: []action.Action{{Kind: action.ShellExecute, Command: text, Program: action.ProgramName(words[0])}}}}}
	}
	if !undecided(execReq("claude", "--resume")) {
		t.Error("claude is only matched by the catch-all: it must not be decided at execve")
	}
	if undecided(execReq("python3", "-m", "http.server", "8080")) {
		t.Error("python3 -m http.server has a rule: it must be decided at execve")
	}
	var gated []string
	gate := func(ctx context.Context, req *action.Request) (action.Decision, error) {
		gated = append(gated, req.Parts[0].Text)
		return action.Decision{Effect: action.Deny, Rule: &action.RuleRef{Name: "r"}}, nil
	}
	d := execDecider(gate, undecided)
	if got, _ := d(context.Background(), execReq("claude")); got.Effect != action.Allow || got.Rule != nil {
		t.Errorf("claude at execve: %+v", got)
	}
	d(context.Background(), execReq("python3", "-m", "http.server"))
	listen := &action.Request{Surface: "run", Parts: []action.Part{{Facets: []action.Action{{Kind: action.NetworkListen, Port: 80}}}}}
	d(context.Background(), listen)
	if len(gated) != 2 {
		t.Errorf("reached the gate: %q, want the python exec and the listen", gated)
	}
}

// TestRunHostTable: the literal host names of every layer's connect rules
// are resolved for the sandbox, through the lookup given.
func TestRunHostTable(t *testing.T) {
	layer := func(name, src string) policy.Layer {
		f, err := policy.Parse(name+".yaml", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		p, err := policy.Compile([]*policy.File{f}, policy.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return policy.Layer{Name: name, Policy: p}
	}
	ps := &policySet{layers: []policy.Layer{
		layer("user", "rules:\n  - {action: network.connect, host: [api.example.com, 10.0.0.0/8, \"*.cdn.example\"], effect: allow}\ndefault: deny\n"),
		layer("project", "rules:\n  - {action: network.connect, host: [evil.example, api.example.com], effect: deny}\ndefault: deny\n"),
	}}
	var asked []string
	lookup := func(_ context.Context, host string) ([]netip.Addr, error) {
		asked = append(asked, host)
		return []netip.Addr{netip.MustParseAddr("192.0.2.1")}, nil
	}
	h := sandbox.NewHostTable(hostNames(ps), lookup, time.Now)
	if err := h.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if want := []string{"api.example.com", "evil.example"}; !slices.Equal(asked, want) {
		t.Errorf("resolved %q, want %q", asked, want)
	}
	if got := h.Names(context.Background(), netip.MustParseAddr("192.0.2.1")); !slices.Equal(got, []string{"api.example.com", "evil.example"}) {
		t.Errorf("names of 192.0.2.1: %q", got)
	}
	none := &policySet{layers: []policy.Layer{layer("user", "rules:\n  - {action: network.connect, host: 10.0.0.1, effect: allow}\ndefault: deny\n")}}
	if names := hostNames(none); len(names) != 0 {
		t.Errorf("names of a policy with addresses only: %q", names)
	}
	// A reloaded policy with other names: the new ones are resolved, the
	// dropped ones forgotten.
	if !h.SetNames([]string{"new.example"}) || h.SetNames([]string{"new.example"}) {
		t.Error("SetNames does not report changes")
	}
	if got := h.Names(context.Background(), netip.MustParseAddr("192.0.2.1")); len(got) != 0 {
		t.Errorf("dropped names still attached: %q", got)
	}
	asked = nil
	if err := h.Refresh(context.Background()); err != nil || !slices.Equal(asked, []string{"new.example"}) {
		t.Errorf("after SetNames resolved %q (%v)", asked, err)
	}
}
