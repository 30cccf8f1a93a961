package cli

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/safeclaw/safeclaw/action"
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

// TestExecRuleFilter: with the built-in policy, the catch-all "Commands not
// on the allow list" does not count at execve; a rule about the command does.
func TestExecRuleFilter(t *testing.T) {
	e := testEnv(t)
	applies, err := e.execRuleFilter(nil)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := e.loadPolicies(nil)
	if err != nil {
		t.Fatal(err)
	}
	decideExec := func(words ...string) action.Decision {
		text := strings.Join(words, " ")
		return ps.decide(&action.Request{Surface: "run", Time: e.Now(), Parts: []action.Part{{Text: text,
			Views:  []action.Argv{action.ParseArgv(words)},
			Facets: []action.Action{{Kind: action.ShellExecute, Command: text, Program: action.ProgramName(words[0])}}}}})
	}
	if d := decideExec("claude", "--resume"); d.Rule == nil || applies == nil || applies(d) {
		t.Errorf("claude: %+v is the policy's catch-all and must not count at execve", d.Rule)
	}
	if d := decideExec("python3", "-m", "http.server", "8080"); d.Rule == nil || applies == nil || !applies(d) {
		t.Errorf("python3 -m http.server: %+v must count at execve", d.Rule)
	}
}
