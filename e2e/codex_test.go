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

// TestCodex drives Codex CLI 0.169.0 (`codex exec`) with the hooks
// `safeclaw install codex` writes and the built-in policy. Codex's sandbox
// and approvals are off (danger-full-access, approval_policy never), so
// safeclaw's hook is the only gate. Hook trust is bypassed for the run, as
// a CI run without the TUI must.
func TestCodex(t *testing.T) {
	bin := agentCLI(t, "Codex CLI", envCodex)
	sc := newScenario(t)
	codexHome := filepath.Join(sc.home, ".codex")
	m := startMock(t, sc.steps(), openaiHandler)
	writeFile(t, filepath.Join(codexHome, "config.toml"), fmt.Sprintf(`model = "gpt-mock"
model_provider = "mock"

[model_providers.mock]
name = "mock"
base_url = "%s/v1"
wire_api = "responses"
env_key = "MOCK_API_KEY"
`, m.url))
	sc.install(t, "codex", "CODEX_HOME="+codexHome)

	w := watchPort(t, sc.port)
	env := sc.baseEnv("CODEX_HOME="+codexHome, "MOCK_API_KEY=dummy")
	res := runAgent(t, sc.project, env, bin, "exec",
		"--skip-git-repo-check", "--dangerously-bypass-hook-trust",
		"-s", "danger-full-access", "-c", `approval_policy="never"`,
		"Run the commands you are given, one at a time.")
	m.logResults(t)
	sc.checkScenario(t, "codex", m, w)
	if t.Failed() {
		res.log(t)
	}
}
