//go:build e2e

package e2e

import (
	"fmt"
	"path/filepath"
	"testing"
)

// envCodex is the native Codex binary
// (node_modules/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex).
const envCodex = "SAFECLAW_E2E_CODEX"

// runCodex configures Codex for the mock provider, installs safeclaw's
// hooks with `safeclaw install codex` and runs `codex exec`. Codex's
// sandbox and approvals are off (danger-full-access, approval_policy
// never), so safeclaw's hook is the only gate. Hook trust is not bypassed:
// Codex skips, without a word, a hook whose trust record in config.toml
// does not match, so these tests also prove that the trust `install`
// records is the one Codex checks.
func runCodex(t *testing.T, bin string, sc *scenario, m *mockModel) agentResult {
	t.Helper()
	codexHome := filepath.Join(sc.home, ".codex")
	writeFile(t, filepath.Join(codexHome, "config.toml"), codexConfig(m))
	sc.install(t, "codex", "CODEX_HOME="+codexHome)
	env := sc.baseEnv("CODEX_HOME="+codexHome, "MOCK_API_KEY=dummy")
	return runAgent(t, sc.project, env, bin, "exec",
		"--skip-git-repo-check",
		"-s", "danger-full-access", "-c", `approval_policy="never"`,
		"Run the commands you are given, one at a time.")
}

// TestCodex drives Codex CLI 0.169.0 (`codex exec`) with safeclaw's hooks
// and the built-in policy.
func TestCodex(t *testing.T) {
	bin := agentCLI(t, "Codex CLI", envCodex)
	sc := newScenario(t)
	m := startMock(t, shellCalls(sc.steps()...), openaiHandler)
	w := watchPort(t, sc.port)
	res := runCodex(t, bin, sc, m)
	m.logResults(t)
	sc.checkScenario(t, "codex", m, w)
	if t.Failed() {
		res.log(t)
	}
}

// TestCodexFailsClosed: Codex has no onFailure setting and runs the
// command after any hook exit but 2, so safeclaw's own failure path is all
// that stands in the way of a broken policy.
func TestCodexFailsClosed(t *testing.T) {
	bin := agentCLI(t, "Codex CLI", envCodex)
	sc := newScenario(t)
	sc.breakPolicy(t)
	m := startMock(t, shellCalls(sc.allowedCmd), openaiHandler)
	res := runCodex(t, bin, sc, m)
	m.logResults(t)
	sc.checkBlocked(t, m, brokenPolicyCause)
	if t.Failed() {
		res.log(t)
	}
}

// codexConfig is a config.toml that points Codex at the mock model (a
// provider with wire_api "responses"); callers may append tables.
func codexConfig(m *mockModel) string {
	return fmt.Sprintf(`model = "gpt-mock"
model_provider = "mock"

[model_providers.mock]
name = "mock"
base_url = "%s/v1"
wire_api = "responses"
env_key = "MOCK_API_KEY"
`, m.url)
}
