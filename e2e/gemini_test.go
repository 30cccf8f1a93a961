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

// TestGeminiCLI drives Gemini CLI 0.61.0 in -p mode with --yolo (every tool
// call approved by Gemini itself, so safeclaw's BeforeTool hook is the only
// gate), with the hook `safeclaw install gemini` adds to the settings.
func TestGeminiCLI(t *testing.T) {
	bundle := agentCLI(t, "Gemini CLI", envGemini)
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("Gemini CLI needs node on PATH: %v", err)
	}
	sc := newScenario(t)
	// Settings the run needs besides the hook; the installer must keep them.
	writeFile(t, filepath.Join(sc.home, ".gemini", "settings.json"),
		`{"security":{"auth":{"selectedType":"gemini-api-key"},"folderTrust":{"enabled":false}}}`+"\n")
	sc.install(t, "gemini")
	m := startMock(t, sc.steps(), geminiHandler)

	w := watchPort(t, sc.port)
	env := sc.baseEnv("GOOGLE_GEMINI_BASE_URL="+m.url, "GEMINI_API_KEY=dummy")
	res := runAgent(t, sc.project, env, node, bundle,
		"-p", "Run the commands you are given, one at a time.", "-m", "gemini-2.5-pro", "--yolo")
	m.logResults(t)
	sc.checkScenario(t, "gemini", m, w)
	if t.Failed() {
		res.log(t)
	}
}
