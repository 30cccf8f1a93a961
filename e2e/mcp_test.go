//go:build e2e

package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
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

		recs := w.sc.audit(t)
		for sql, want := range map[string]string{mcpDeniedSQL: "deny", mcpAllowedSQL: "allow"} {
			found := false
			for _, r := range recs {
				if r.Type == "decision" && strings.Contains(r.Raw, sql) {
					found = true
					if r.Decision != want {
						t.Errorf("audit decision for %q = %s, want %s", sql, r.Decision, want)
					}
				}
			}
			if !found {
				t.Errorf("audit trail has no decision for the call with %q", sql)
			}
		}
		w.sc.verifyAudit(t)
		if t.Failed() {
			res.log(t)
		}
	})
}
