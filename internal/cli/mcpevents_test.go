package cli

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/mcpproxy"
)

// The proxy's elicitation answers and pin denials land in the audit trail.
func TestMCPEventsAudited(t *testing.T) {
	e := testEnv(t)
	h, err := e.openGate(context.Background(), "mcp", "")
	if err != nil {
		t.Fatal(err)
	}
	req := func() *action.Request {
		return &action.Request{Surface: "mcp", Agent: "claude", Time: e.Now(), Input: `tools/call echo {"text":"hi"}`,
			Parts: []action.Part{{Facets: []action.Action{{Kind: action.MCPCall, Server: "db", Tool: "echo", Args: map[string]any{"text": "hi"}}}}}}
	}
	ctx := context.Background()
	if err := h.recordMCPEvent(ctx, mcpproxy.Event{Kind: mcpproxy.EventElicitation, Request: req(), Outcome: "approved",
		Approver: "user of claude-code", Waited: 3 * time.Second,
		Decision: action.Decision{Effect: action.Allow, Rule: &action.RuleRef{Name: "Ask before MCP tools"}, Part: -1}}); err != nil {
		t.Fatal(err)
	}
	if err := h.recordMCPEvent(ctx, mcpproxy.Event{Kind: mcpproxy.EventPinDenied, Request: req(),
		Decision: action.Decision{Effect: action.Deny, Reason: "the definition of tool \"echo\" changed since it was pinned", Part: -1}}); err != nil {
		t.Fatal(err)
	}
	if err := h.close(); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, e, "", "audit", "--json")
	if code != 0 {
		t.Fatalf("audit: %d %s", code, errOut)
	}
	for _, want := range []string{`"type":"approval"`, `"decision":"allow"`, `"outcome":"approved"`, `"approver":"user of claude-code"`,
		`"channel":"mcp-elicitation"`, `"wait_us":3000000`, `"decision":"deny"`, `changed since it was pinned`, `"server":"db"`} {
		if !strings.Contains(out, want) {
			t.Errorf("audit lacks %s:\n%s", want, out)
		}
	}
}

// A hook's note that a person approved an MCP call spares the proxy's
// question for exactly that call, once, within the TTL.
func TestMCPApprovalNote(t *testing.T) {
	e := testEnv(t)
	call := func(server, tool string, args map[string]any) *action.Request {
		return &action.Request{Parts: []action.Part{{Facets: []action.Action{{Kind: action.MCPCall, Server: server, Tool: tool, Args: args}}}}}
	}
	a := call("db", "query", map[string]any{"sql": "delete from t", "n": 1.0})
	if err := e.noteMCPApproval(a, "alice"); err != nil {
		t.Fatal(err)
	}
	for _, other := range []*action.Request{
		call("db", "query", map[string]any{"sql": "drop table t", "n": 1.0}),
		call("db2", "query", map[string]any{"sql": "delete from t", "n": 1.0}),
		call("db", "exec", map[string]any{"sql": "delete from t", "n": 1.0}),
	} {
		if _, ok := e.takeMCPApproval(other, ""); ok {
			t.Errorf("another call took the approval: %+v", other.Actions()[0])
		}
	}
	// Same call, arguments in another order.
	if who, ok := e.takeMCPApproval(call("db", "query", map[string]any{"n": 1.0, "sql": "delete from t"}), ""); !ok || who != "alice" {
		t.Fatalf("take: %q %v", who, ok)
	}
	if _, ok := e.takeMCPApproval(a, ""); ok {
		t.Error("an approval was used twice")
	}
	// Expired.
	if err := e.noteMCPApproval(a, "alice"); err != nil {
		t.Fatal(err)
	}
	now := e.Now()
	e.Now = func() time.Time { return now.Add(mcpNoteTTL[mcpNoteApproved] + time.Second) }
	if _, ok := e.takeMCPApproval(a, ""); ok {
		t.Error("an expired approval was used")
	}
	// Not an MCP call: nothing noted.
	if err := e.noteMCPApproval(&action.Request{Parts: []action.Part{{Facets: []action.Action{{Kind: action.ShellExecute, Command: "ls"}}}}}, "x"); err != nil {
		t.Error(err)
	}
}

// A call Claude Code put to a person in its own dialog spares the proxy's
// question once, for that very tool call (its id); safeclaw's own approval
// of the same call is used first.
func TestMCPPromptedNote(t *testing.T) {
	e := testEnv(t)
	req := &action.Request{Parts: []action.Part{{Facets: []action.Action{{Kind: action.MCPCall, Server: "db", Tool: "query", Args: map[string]any{"sql": "x"}}}}}}
	if err := e.noteMCPPrompted(req, "claude", "toolu_1"); err != nil {
		t.Fatal(err)
	}
	if err := e.noteMCPApproval(req, "alice"); err != nil {
		t.Fatal(err)
	}
	if who, ok := e.takeMCPApproval(req, "toolu_1"); !ok || who != "alice" {
		t.Fatalf("first take: %q %v", who, ok)
	}
	// Another client (no tool call id, or another one) may not use the
	// note: the person may have declined the agent's dialog.
	for _, id := range []string{"", "toolu_2"} {
		if _, ok := e.takeMCPApproval(req, id); ok {
			t.Fatalf("a call with tool use id %q took Claude Code's prompted note", id)
		}
	}
	if who, ok := e.takeMCPApproval(req, "toolu_1"); !ok || !strings.Contains(who, "Claude Code's own permission dialog") {
		t.Fatalf("the agent's own call: %q %v", who, ok)
	}
	if _, ok := e.takeMCPApproval(req, "toolu_1"); ok {
		t.Fatal("a note was used twice")
	}
	// A hook call without an id leaves no note.
	if err := e.noteMCPPrompted(req, "claude", ""); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.takeMCPApproval(req, ""); ok {
		t.Fatal("a note without a tool call id was used")
	}
	if err := e.noteMCPPrompted(req, "claude", "toolu_3"); err != nil {
		t.Fatal(err)
	}
	now := e.Now()
	e.Now = func() time.Time { return now.Add(mcpNoteTTL[mcpNotePrompted] + time.Second) }
	if _, ok := e.takeMCPApproval(req, "toolu_3"); ok {
		t.Error("an expired note was used")
	}
}

func TestMCPNotesPruned(t *testing.T) {
	e := testEnv(t)
	stale := &action.Request{Parts: []action.Part{{Facets: []action.Action{{Kind: action.MCPCall, Server: "db", Tool: "q", Args: map[string]any{"n": 1.0}}}}}}
	if err := e.noteMCPPrompted(stale, "claude", "toolu_1"); err != nil {
		t.Fatal(err)
	}
	key, _ := mcpCallKey(stale)
	path := e.mcpNoteFile(mcpNotePrompted, key)
	now := e.Now()
	e.Now = func() time.Time { return now.Add(mcpNoteTTL[mcpNotePrompted] + time.Second) }
	fresh := &action.Request{Parts: []action.Part{{Facets: []action.Action{{Kind: action.MCPCall, Server: "db", Tool: "q", Args: map[string]any{"n": 2.0}}}}}}
	if err := e.noteMCPPrompted(fresh, "claude", "toolu_2"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the expired note is still there: %v", err)
	}
	if _, ok := e.takeMCPApproval(fresh, "toolu_2"); !ok {
		t.Error("the fresh note was removed too")
	}
}
