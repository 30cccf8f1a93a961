//go:build e2e

package e2e

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// envGemini is Gemini CLI's bundle
// (node_modules/@google/gemini-cli/bundle/gemini.js), run with node.
const envGemini = "SAFECLAW_E2E_GEMINI"

// runGemini writes Gemini CLI's settings, adds safeclaw's hook with
// `safeclaw install gemini` (which must keep those settings) and runs it in
// -p mode with --yolo: Gemini approves every tool call itself, so
// safeclaw's BeforeTool hook is the only gate.
func runGemini(t *testing.T, bundle string, sc *scenario, m *mockModel) agentResult {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("Gemini CLI needs node on PATH: %v", err)
	}
	writeFile(t, filepath.Join(sc.home, ".gemini", "settings.json"),
		`{"security":{"auth":{"selectedType":"gemini-api-key"},"folderTrust":{"enabled":false}}}`+"\n")
	sc.install(t, "gemini")
	env := sc.baseEnv("GOOGLE_GEMINI_BASE_URL="+m.url, "GEMINI_API_KEY=dummy")
	return runAgent(t, sc.project, env, node, bundle,
		"-p", "Run the commands you are given, one at a time.", "-m", "gemini-2.5-pro", "--yolo")
}

// TestGeminiCLI drives Gemini CLI 0.61.0 with safeclaw's hook and the
// built-in policy.
func TestGeminiCLI(t *testing.T) {
	bundle := agentCLI(t, "Gemini CLI", envGemini)
	sc := newScenario(t)
	m := startMock(t, shellCalls(sc.steps()...), geminiHandler)
	w := watchPort(t, sc.port)
	res := runGemini(t, bundle, sc, m)
	m.logResults(t)
	sc.checkScenario(t, "gemini", m, w)
	if t.Failed() {
		res.log(t)
	}
}

// TestGeminiCLIFailsClosed: Gemini runs the tool after any hook exit but
// 2, so safeclaw's own failure path must block a broken policy.
func TestGeminiCLIFailsClosed(t *testing.T) {
	bundle := agentCLI(t, "Gemini CLI", envGemini)
	sc := newScenario(t)
	sc.breakPolicy(t)
	m := startMock(t, shellCalls(sc.allowedCmd), geminiHandler)
	res := runGemini(t, bundle, sc, m)
	m.logResults(t)
	sc.checkBlocked(t, m, brokenPolicyCause)
	if t.Failed() {
		res.log(t)
	}
}
