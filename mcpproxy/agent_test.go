package mcpproxy

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/safeclaw/safeclaw/mcpproxy/mcptest"
)

// A client's own name becomes an agent name that cannot carry glob
// characters, line breaks or escapes into rules, records and terminals.
func TestAgentName(t *testing.T) {
	for in, want := range map[string]string{
		"claude-code":                  "claude",
		" Claude Desktop":              "claude",
		"claude\nagent: codex":         "claude",
		"Zed":                          "zed",
		"my agent":                     "my-agent",
		"*":                            "",
		"cl*ude":                       "cl-ude",
		"evil\n\x1b[31mred":            "evil-31mred",
		"x" + strings.Repeat("y", 100): "x" + strings.Repeat("y", 63),
		"agent.v2_beta":                "agent.v2_beta",
		"\u202eedoc-edualc":            "edoc-edualc",
		"":                             "",
	} {
		if got := agentName(in); got != want {
			t.Errorf("agentName(%q) = %q, want %q", in, got, want)
		}
	}
	if got := clientLabel("evil\n\x1b[31mapproved by admin"); strings.ContainsAny(got, "\n\x1b") {
		t.Errorf("clientLabel: %q", got)
	}
}

// Over stdio the client's name is the session's (initialize, or the first
// request of the 2026-07-28 era): a later request naming another client
// in its _meta does not change the agent its rules are matched for.
func TestAgentFixedForStdioSession(t *testing.T) {
	w, _ := fakeWire(t, false)
	w.send(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"run_query","arguments":{"sql":"select 2"},` +
		`"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"claude-code","version":"1"},"io.modelcontextprotocol/clientCapabilities":{}}}}`)
	w.await("2")
	w.g.mu.Lock()
	defer w.g.mu.Unlock()
	if n := len(w.g.reqs); n == 0 || w.g.reqs[n-1].Agent != "wire" {
		t.Errorf("agent %q", w.g.reqs[len(w.g.reqs)-1].Agent)
	}
}

// Over HTTP any client of the listener names itself as it likes, in the
// 2026-07-28 era in every request: no agent is taken from it.
func TestAgentNotTakenOverHTTP(t *testing.T) {
	fake := &mcptest.Fake{}
	up, _ := pipeUpstream(t, fake)
	g := newGate(t)
	p, err := New(context.Background(), up, Options{Name: "db", Decide: g.decide, Check: g.check, Agent: ""})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	url, _ := listen(t, p.Handler())
	body := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"run_query","arguments":{"sql":"select 1"},` +
		`"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"claude-code","version":"1"},"io.modelcontextprotocol/clientCapabilities":{}}}}`
	if code, out := postMCP(t, url, body, map[string]string{"Mcp-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call", "Mcp-Name": "run_query"}); code != http.StatusOK || !strings.Contains(out, "select 1") {
		t.Fatalf("%d %s", code, out)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.reqs) == 0 || g.reqs[len(g.reqs)-1].Agent != "" {
		t.Errorf("agent taken from the request: %+v", g.reqs)
	}
}
