//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// mcpPolicy is the user policy of the MCP test: destructive SQL is denied,
// read-only queries are allowed (the example of docs/policy.md).
const mcpPolicy = `version: 1
default: deny
rules:
  - name: No destructive SQL
    action: mcp.call
    server: echodb
    tool: query
    args: {sql: {regex: "(?i)\\b(drop|truncate|delete|alter)\\b"}}
    effect: deny
    reason: "No destructive SQL through MCP"
  - name: Read-only queries
    action: mcp.call
    server: echodb
    tool: query
    args: {sql: {regex: "(?i)^\\s*select\\b[^;]*$"}}
    effect: allow
    reason: "Read-only query"
`

const (
	mcpDeniedSQL  = "DROP TABLE users"
	mcpAllowedSQL = "SELECT 1"
)

// mcpWorld is one MCP test's upstream server set-up.
type mcpWorld struct {
	sc      *scenario
	self    string // this test binary, which serves as the upstream
	logPath string // every request the upstream got, one per line
	marker  string // the upstream puts it in every tool result
}

func newMCPWorld(t *testing.T) *mcpWorld {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	sc := newScenario(t)
	return &mcpWorld{sc: sc, self: self, logPath: filepath.Join(filepath.Dir(sc.project), "upstream.log"),
		marker: "echodb-" + randomHex(t, 6)}
}

// writeConfig writes Claude Code's --mcp-config file with one stdio server
// "echodb" started as command args.
func (w *mcpWorld) writeConfig(t *testing.T, command string, args ...string) string {
	t.Helper()
	if args == nil {
		args = []string{} // Claude Code skips a server whose args is null
	}
	cfg := map[string]any{"mcpServers": map[string]any{"echodb": map[string]any{
		"type": "stdio", "command": command, "args": args,
		"env": map[string]string{envMCPUpstreamLog: w.logPath, envMCPUpstreamMarker: w.marker,
			"SAFECLAW_HOME": w.sc.safeclawHome},
	}}}
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(w.sc.home, "mcp.json")
	writeFile(t, path, string(b))
	return path
}

// calls returns the arguments of every tools/call the upstream received.
func (w *mcpWorld) calls(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(w.logPath)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var calls []string
	for _, line := range strings.Split(string(data), "\n") {
		var msg jsonrpcMessage
		if json.Unmarshal([]byte(line), &msg) == nil && msg.Method == "tools/call" {
			calls = append(calls, string(msg.Params))
		}
	}
	return calls
}

// mcpClaudeEnv turns off Claude Code's tool search, which otherwise hides
// MCP tools behind a ToolSearch tool and never offers them to the model
// directly (observed 2.1.332).
const mcpClaudeEnv = "ENABLE_TOOL_SEARCH=false"

func mcpSteps() []toolCall {
	tool := "mcp__echodb__" + mcpUpstreamTool
	return []toolCall{
		{Tool: tool, Args: map[string]any{"sql": mcpDeniedSQL}},
		{Tool: tool, Args: map[string]any{"sql": mcpAllowedSQL}},
	}
}

func anyContains(list []string, s string) bool {
	for _, e := range list {
		if strings.Contains(e, s) {
			return true
		}
	}
	return false
}

// checkGated checks a run through safeclaw mcp: the denied call never
// reached the upstream and the model got safeclaw's reason instead, the
// allowed one returned the upstream's result, and recs (the audit trail)
// hold both decisions, made by the proxy.
func (w *mcpWorld) checkGated(t *testing.T, m *mockModel, recs []auditRecord) {
	t.Helper()
	calls := w.calls(t)
	if anyContains(calls, mcpDeniedSQL) {
		t.Errorf("the denied call reached the upstream: %q", calls)
	}
	if !anyContains(calls, mcpAllowedSQL) {
		t.Errorf("the allowed call never reached the upstream: %q", calls)
	}
	results := m.toolResults()
	if r, ok := results[0]; !ok {
		t.Errorf("mock model never received the result of the denied call")
	} else if strings.Contains(r.Text, w.marker) || !strings.Contains(r.Text, "No destructive SQL through MCP") {
		t.Errorf("result of the denied call does not carry safeclaw's reason:\n%s", r.Text)
	}
	if r, ok := results[1]; !ok {
		t.Errorf("mock model never received the result of the allowed call")
	} else if !strings.Contains(r.Text, w.marker) {
		t.Errorf("result of the allowed call does not come from the upstream:\n%s", r.Text)
	}
	for sql, want := range map[string]string{mcpDeniedSQL: "deny", mcpAllowedSQL: "allow"} {
		found := false
		for _, r := range recs {
			if r.Type == "decision" && strings.Contains(r.Raw, sql) {
				found = true
				if r.Decision != want || r.Surface != "mcp" {
					t.Errorf("audit record for %q: decision %s by %s, want %s by mcp", sql, r.Decision, r.Surface, want)
				}
			}
		}
		if !found {
			t.Errorf("audit trail has no decision for the call with %q", sql)
		}
	}
}

// TestClaudeCodeMCP runs Claude Code with a stdio MCP server wrapped by
// `safeclaw mcp`: the denied call never reaches the server and the model
// gets the reason; the allowed one does and returns the server's result.
// Claude's own permissions are skipped and no safeclaw hook is installed,
// so the proxy is the only gate.
func TestClaudeCodeMCP(t *testing.T) {
	bin := agentCLI(t, "Claude Code", envClaude)

	t.Run("control: no proxy", func(t *testing.T) {
		w := newMCPWorld(t)
		cfg := w.writeConfig(t, w.self)
		m := startMock(t, mcpSteps(), anthropicHandler)
		res, _ := runClaude(t, bin, w.sc, m, []string{mcpClaudeEnv}, "--mcp-config", cfg, "--strict-mcp-config", skipPermissions)
		m.logResults(t)
		calls := w.calls(t)
		if !anyContains(calls, mcpDeniedSQL) || !anyContains(calls, mcpAllowedSQL) {
			res.log(t)
			log, _ := os.ReadFile(w.logPath)
			t.Logf("upstream log:\n%s", log)
			t.Fatalf("without safeclaw both calls must reach the upstream, or the gated case proves nothing; it got %q", calls)
		}
		if r := m.toolResults()[0]; !strings.Contains(r.Text, w.marker) {
			t.Fatalf("the upstream's result did not reach the model: %q", r.Text)
		}
	})

	t.Run("through safeclaw mcp", func(t *testing.T) {
		w := newMCPWorld(t)
		if out, code := w.sc.safeclawEnv(t, nil, "mcp", "--help"); code != 0 && strings.Contains(out, `unknown command "mcp"`) {
			skipLoud(t, "Claude Code through safeclaw mcp", "this safeclaw has no 'mcp' command yet")
		}
		writeFile(t, filepath.Join(w.sc.safeclawHome, "policy.yaml"), mcpPolicy)
		if out, code := w.sc.safeclaw(t, "policy", "validate"); code != 0 {
			t.Fatalf("safeclaw policy validate: exit %d\n%s", code, out)
		}
		cfg := w.writeConfig(t, safeclawBin, "mcp", "--name", "echodb", "--", w.self)
		m := startMock(t, mcpSteps(), anthropicHandler)
		res, _ := runClaude(t, bin, w.sc, m, []string{mcpClaudeEnv}, "--mcp-config", cfg, "--strict-mcp-config", skipPermissions)
		m.logResults(t)

		w.checkGated(t, m, w.sc.audit(t))
		w.sc.verifyAudit(t)
		if t.Failed() {
			res.log(t)
		}
	})
}

// TestCodexMCP runs Codex CLI with the MCP server in its config.toml
// wrapped by `safeclaw install codex --mcp`: a stdio server, and a remote
// streamable-HTTP one (which install turns into `safeclaw mcp --upstream
// URL`). The denied call never reaches the server and Codex hands the
// model the reason; the allowed one returns the server's result; both are
// decided by the proxy (surface mcp) and recorded. No safeclaw hook is
// installed, and Codex's approvals are off, so the proxy is the only gate.
func TestCodexMCP(t *testing.T) {
	bin := agentCLI(t, "Codex CLI", envCodex)
	for _, remote := range []bool{false, true} {
		name := "stdio server"
		if remote {
			name = "remote server"
		}
		t.Run(name, func(t *testing.T) {
			w := newMCPWorld(t)
			m := startMock(t, []toolCall{
				{Tool: "echodb/" + mcpUpstreamTool, Args: map[string]any{"sql": mcpDeniedSQL}},
				{Tool: "echodb/" + mcpUpstreamTool, Args: map[string]any{"sql": mcpAllowedSQL}},
			}, openaiHandler)
			entry := fmt.Sprintf("[mcp_servers.echodb]\ncommand = %q\nargs = []\nenv = { %s = %q, %s = %q, SAFECLAW_HOME = %q }\n",
				w.self, envMCPUpstreamLog, w.logPath, envMCPUpstreamMarker, w.marker, w.sc.safeclawHome)
			// Codex starts MCP servers with a short list of variables (HOME,
			// PATH, ...) and an entry's own env; a wrapped remote entry has
			// none, so its proxy finds safeclaw's files under HOME.
			var auditEnv []string
			writeFile(t, filepath.Join(w.sc.safeclawHome, "policy.yaml"), mcpPolicy)
			if remote {
				srv := &http.Server{Handler: mcpUpstreamHandler(w.logPath, w.marker), ReadHeaderTimeout: 10 * time.Second}
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				go srv.Serve(ln)
				t.Cleanup(func() { srv.Close() })
				entry = fmt.Sprintf("[mcp_servers.echodb]\nurl = %q\n", "http://"+ln.Addr().String()+"/mcp")
				writeFile(t, filepath.Join(w.sc.home, ".config", "safeclaw", "policy.yaml"), mcpPolicy)
				auditEnv = []string{"SAFECLAW_HOME="}
			}
			codexHome := filepath.Join(w.sc.home, ".codex")
			config := filepath.Join(codexHome, "config.toml")
			writeFile(t, config, codexConfig(m)+"\n"+entry)
			original, err := os.ReadFile(config)
			if err != nil {
				t.Fatal(err)
			}
			if out, code := w.sc.safeclawEnv(t, []string{"CODEX_HOME=" + codexHome}, "install", "codex", "--mcp"); code != 0 {
				t.Fatalf("safeclaw install codex --mcp: exit %d\n%s", code, out)
			}
			if data, _ := os.ReadFile(config); !strings.Contains(string(data), safeclawBin) {
				t.Fatalf("install --mcp did not wrap the server:\n%s", data)
			}
			env := w.sc.baseEnv("CODEX_HOME="+codexHome, "MOCK_API_KEY=dummy")
			res := runAgent(t, w.sc.project, env, bin, "exec", "--skip-git-repo-check",
				"-s", "danger-full-access", "-c", `approval_policy="never"`,
				"Call the tools you are given, one at a time.")
			m.logResults(t)

			out, code := w.sc.safeclawEnv(t, auditEnv, "audit", "--json")
			if code != 0 {
				t.Fatalf("safeclaw audit --json: exit %d\n%s", code, out)
			}
			w.checkGated(t, m, parseAudit(t, out))
			if out, code := w.sc.safeclawEnv(t, auditEnv, "audit", "verify"); code != 0 {
				t.Errorf("safeclaw audit verify: exit %d\n%s", code, out)
			}
			if out, code := w.sc.safeclawEnv(t, []string{"CODEX_HOME=" + codexHome}, "uninstall", "codex", "--mcp"); code != 0 {
				t.Errorf("safeclaw uninstall codex --mcp: exit %d\n%s", code, out)
			} else if restored, _ := os.ReadFile(config); string(restored) != string(original) {
				t.Errorf("uninstall --mcp did not restore config.toml:\n%s\nwant:\n%s", restored, original)
			}
			if t.Failed() {
				res.log(t)
				log, _ := os.ReadFile(w.logPath)
				t.Logf("upstream log:\n%s", log)
			}
		})
	}
}

// TestGeminiCLIMCP runs Gemini CLI with the stdio MCP server in its
// settings.json wrapped by `safeclaw install gemini --mcp`, with the same
// calls and checks as TestCodexMCP. --yolo approves every call on Gemini's
// side and no safeclaw hook is installed, so the proxy is the only gate.
func TestGeminiCLIMCP(t *testing.T) {
	bundle := agentCLI(t, "Gemini CLI", envGemini)
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("Gemini CLI needs node on PATH: %v", err)
	}
	w := newMCPWorld(t)
	writeFile(t, filepath.Join(w.sc.safeclawHome, "policy.yaml"), mcpPolicy)
	m := startMock(t, []toolCall{
		{Tool: "echodb/" + mcpUpstreamTool, Args: map[string]any{"sql": mcpDeniedSQL}},
		{Tool: "echodb/" + mcpUpstreamTool, Args: map[string]any{"sql": mcpAllowedSQL}},
	}, geminiHandler)
	settings := filepath.Join(w.sc.home, ".gemini", "settings.json")
	cfg, err := json.MarshalIndent(map[string]any{
		"security": map[string]any{"auth": map[string]any{"selectedType": "gemini-api-key"}, "folderTrust": map[string]any{"enabled": false}},
		"mcpServers": map[string]any{"echodb": map[string]any{"command": w.self, "args": []string{},
			"env": map[string]string{envMCPUpstreamLog: w.logPath, envMCPUpstreamMarker: w.marker, "SAFECLAW_HOME": w.sc.safeclawHome}}},
	}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, settings, string(cfg)+"\n")
	if out, code := w.sc.safeclawEnv(t, nil, "install", "gemini", "--mcp"); code != 0 {
		t.Fatalf("safeclaw install gemini --mcp: exit %d\n%s", code, out)
	}
	if data, _ := os.ReadFile(settings); !strings.Contains(string(data), safeclawBin) {
		t.Fatalf("install --mcp did not wrap the server:\n%s", data)
	}
	env := w.sc.baseEnv("GOOGLE_GEMINI_BASE_URL="+m.url, "GEMINI_API_KEY=dummy")
	res := runAgent(t, w.sc.project, env, node, bundle,
		"-p", "Call the tools you are given, one at a time.", "-m", "gemini-2.5-pro", "--yolo")
	m.logResults(t)

	w.checkGated(t, m, w.sc.audit(t))
	w.sc.verifyAudit(t)
	if t.Failed() {
		res.log(t)
		log, _ := os.ReadFile(w.logPath)
		t.Logf("upstream log:\n%s", log)
	}
}
