//go:build e2e

package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// envClaude is the native Claude Code binary
// (node_modules/@anthropic-ai/claude-code-linux-x64/claude).
const envClaude = "SAFECLAW_E2E_CLAUDE"

// claudeOutput is the part of `claude -p --output-format json` the tests
// read.
type claudeOutput struct {
	Result            string `json:"result"`
	IsError           bool   `json:"is_error"`
	NumTurns          int    `json:"num_turns"`
	SessionID         string `json:"session_id"`
	PermissionDenials []struct {
		ToolName  string          `json:"tool_name"`
		ToolInput json.RawMessage `json:"tool_input"`
	} `json:"permission_denials"`
}

// skipPermissions runs Claude Code with --dangerously-skip-permissions, so
// that its own permission flow allows every call and safeclaw's hook is the
// only gate (as root that flag needs IS_SANDBOX=1).
const skipPermissions = "--dangerously-skip-permissions"

func runClaude(t *testing.T, bin string, sc *scenario, m *mockModel, extraEnv []string, extraArgs ...string) (agentResult, claudeOutput) {
	t.Helper()
	return runClaudePrompt(t, bin, sc, m, "Run the commands you are given, one at a time.", extraEnv, extraArgs...)
}

// runClaudePrompt is runClaude with the prompt given.
func runClaudePrompt(t *testing.T, bin string, sc *scenario, m *mockModel, prompt string, extraEnv []string, extraArgs ...string) (agentResult, claudeOutput) {
	t.Helper()
	env := sc.baseEnv(append([]string{
		"IS_SANDBOX=1",
		"ANTHROPIC_BASE_URL=" + m.url,
		"ANTHROPIC_API_KEY=sk-ant-dummy",
		"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1",
		"DISABLE_TELEMETRY=1",
		"DISABLE_AUTOUPDATER=1",
		"DISABLE_ERROR_REPORTING=1",
	}, extraEnv...)...)
	args := append([]string{"-p", prompt,
		"--output-format", "json", "--model", "claude-sonnet-4-5"}, extraArgs...)
	res := runAgent(t, sc.project, env, bin, args...)
	var out claudeOutput
	if err := json.Unmarshal([]byte(strings.TrimSpace(res.stdout)), &out); err != nil {
		res.log(t)
		t.Fatalf("claude -p output is not one JSON object: %v", err)
	}
	return res, out
}

// deniedCommands lists the Bash commands Claude Code reports as denied.
func (o claudeOutput) deniedCommands() []string {
	var cmds []string
	for _, d := range o.PermissionDenials {
		var in struct {
			Command string `json:"command"`
		}
		if json.Unmarshal(d.ToolInput, &in) == nil && in.Command != "" {
			cmds = append(cmds, in.Command)
		}
	}
	return cmds
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// TestClaudeCode drives Claude Code 2.1.332 in -p mode with the hooks
// `safeclaw install claude` writes and the built-in policy, once with
// Claude's default permissions and once with them all skipped.
func TestClaudeCode(t *testing.T) {
	bin := agentCLI(t, "Claude Code", envClaude)
	t.Run("default permissions", func(t *testing.T) { testClaudeScenario(t, bin) })
	t.Run("skip permissions", func(t *testing.T) { testClaudeScenario(t, bin, skipPermissions) })
}

func testClaudeScenario(t *testing.T, bin string, extraArgs ...string) {
	sc := newScenario(t)
	sc.install(t, "claude")
	m := startMock(t, shellCalls(sc.steps()...), anthropicHandler)
	w := watchPort(t, sc.port)
	res, out := runClaude(t, bin, sc, m, nil, extraArgs...)
	m.logResults(t)
	sc.checkScenario(t, "claude", m, w)

	denied := out.deniedCommands()
	for _, cmd := range []string{sc.listenCmd, sc.askCmd} {
		if !contains(denied, cmd) {
			t.Errorf("claude -p permission_denials lacks %q: %q", cmd, denied)
		}
	}
	if contains(denied, sc.allowedCmd) {
		t.Errorf("claude -p permission_denials holds the allowed command %q", sc.allowedCmd)
	}
	if t.Failed() {
		res.log(t)
	}
}

// TestClaudeCodeFailsClosed shows that a hook that cannot decide blocks the
// tool call instead of letting it run. Claude Code's own permissions are
// skipped, so nothing but the hook stands in the way; the control case
// shows the command does run there without safeclaw.
func TestClaudeCodeFailsClosed(t *testing.T) {
	bin := agentCLI(t, "Claude Code", envClaude)

	t.Run("control: no hook", func(t *testing.T) {
		sc := newScenario(t)
		m := startMock(t, shellCalls(sc.allowedCmd), anthropicHandler)
		res, _ := runClaude(t, bin, sc, m, nil, skipPermissions)
		if r := m.toolResults()[0]; !strings.Contains(r.Text, sc.allowedOut) {
			res.log(t)
			t.Fatalf("without safeclaw, %q did not run under --dangerously-skip-permissions, so the fail-closed cases prove nothing:\n%s", sc.allowedCmd, r.Text)
		}
	})

	t.Run("broken policy", func(t *testing.T) {
		sc := newScenario(t)
		sc.breakPolicy(t)
		sc.install(t, "claude")
		assertClaudeBlocks(t, bin, sc, brokenPolicyCause)
	})

	t.Run("hook binary missing", func(t *testing.T) {
		// The hook command itself fails to start: only Claude Code's
		// onFailure: block (which safeclaw install writes) stops the call.
		sc := newScenario(t)
		gone := filepath.Join(t.TempDir(), "safeclaw-removed")
		out, code := sc.safeclaw(t, "install", "claude", "--binary", gone)
		if code != 0 {
			t.Fatalf("safeclaw install claude --binary: exit %d\n%s", code, out)
		}
		if _, err := os.Stat(gone); err == nil {
			t.Fatalf("%s exists", gone)
		}
		assertClaudeBlocks(t, bin, sc, "")
	})
}

// assertClaudeBlocks runs Claude Code with a script of one allowed command
// and checks that it did not run; reasonPart, when set, must reach the
// model.
func assertClaudeBlocks(t *testing.T, bin string, sc *scenario, reasonPart string) {
	t.Helper()
	m := startMock(t, shellCalls(sc.allowedCmd), anthropicHandler)
	res, out := runClaude(t, bin, sc, m, nil, skipPermissions)
	m.logResults(t)
	sc.checkBlocked(t, m, reasonPart)
	if r := m.toolResults()[0]; !strings.HasPrefix(r.Text, "[is_error]") {
		t.Errorf("result of %q is not an error:\n%s", sc.allowedCmd, r.Text)
	}
	if !contains(out.deniedCommands(), sc.allowedCmd) {
		t.Errorf("claude -p permission_denials lacks %q", sc.allowedCmd)
	}
	if t.Failed() {
		res.log(t)
	}
}

// TestClaudeCodeSkillShell: a shell command written into a project's slash
// command or skill (a !`cmd` line) runs while the command loads, not as a
// tool call, so a PreToolUse hook never sees it. safeclaw's
// PreSkillShellCommand hook decides it like a Bash command. Claude Code's
// own permissions are skipped; the control case shows that the command
// then runs without safeclaw.
func TestClaudeCodeSkillShell(t *testing.T) {
	bin := agentCLI(t, "Claude Code", envClaude)
	const cmd = `python3 -c 'open("skill-ran.txt","w").write("x")'`
	for _, withSafeclaw := range []bool{false, true} {
		name := "control: no hook"
		if withSafeclaw {
			name = "through safeclaw"
		}
		t.Run(name, func(t *testing.T) {
			sc := newScenario(t)
			writeFile(t, filepath.Join(sc.project, ".claude", "commands", "prep.md"),
				"---\ndescription: prepares the workspace\n---\nWorkspace: !`"+cmd+"`\nSay done.\n")
			if withSafeclaw {
				sc.install(t, "claude")
			}
			m := startMock(t, nil, anthropicHandler)
			res, _ := runClaudePrompt(t, bin, sc, m, "/prep", nil, skipPermissions)
			_, err := os.Stat(filepath.Join(sc.project, "skill-ran.txt"))
			switch {
			case !withSafeclaw && err != nil:
				res.log(t)
				t.Fatalf("without safeclaw the command's shell line did not run, so the case with safeclaw proves nothing: %v", err)
			case withSafeclaw && err == nil:
				res.log(t)
				t.Fatal("the command's shell line ran through safeclaw's hooks")
			case withSafeclaw:
				rec := decisionFor(t, sc.audit(t), "claude", cmd, "deny")
				if rec.Rule.Name != "Commands not on the allow list" {
					t.Errorf("decided by rule %q", rec.Rule.Name)
				}
				sc.verifyAudit(t)
			}
		})
	}
}

// TestClaudeCodeRedactsOutput shows a secret a command printed never
// reaching the model: safeclaw's PostToolUse answer replaces the output
// with a redacted copy, and says why. The control case shows the same
// command's output reaching the model whole without safeclaw.
func TestClaudeCodeRedactsOutput(t *testing.T) {
	bin := agentCLI(t, "Claude Code", envClaude)
	// The key is printed in two halves, so that it appears only in the
	// output, never in the command the model sent.
	const key = "AKIAQ3EGUV6XPT2ZLW7M"
	const cmd = `printf 'AWS_ACCESS_KEY_ID=%s%s\n' AKIAQ3EGUV6X PT2ZLW7M`
	for _, withSafeclaw := range []bool{false, true} {
		name := "control: no hook"
		if withSafeclaw {
			name = "through safeclaw"
		}
		t.Run(name, func(t *testing.T) {
			sc := newScenario(t)
			if withSafeclaw {
				sc.install(t, "claude")
			}
			m := startMock(t, shellCalls(cmd), anthropicHandler)
			res, _ := runClaude(t, bin, sc, m, nil, skipPermissions)
			r := m.toolResults()[0]
			switch {
			case !withSafeclaw && !strings.Contains(r.Text, key):
				res.log(t)
				t.Fatalf("without safeclaw the model did not get the key, so the case with safeclaw proves nothing:\n%s", r.Text)
			case withSafeclaw && strings.Contains(r.Text, key):
				res.log(t)
				t.Fatalf("the key reached the model through safeclaw's hooks:\n%s", r.Text)
			case withSafeclaw && !strings.Contains(r.Text, "AWS_ACCESS_KEY_ID=AKIA[REDACTED]"):
				res.log(t)
				t.Fatalf("the model did not get the redacted output:\n%s", r.Text)
			case withSafeclaw:
				decisionFor(t, sc.audit(t), "claude", cmd, "allow")
				sc.verifyAudit(t)
			}
		})
	}
}
