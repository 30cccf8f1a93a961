package hook

import (
	"testing"

	"github.com/safeclaw/safeclaw/action"
)

// TestGeminiMCPServerFromContext: when Gemini names the MCP server in
// mcp_context (from the user's settings), that is the server, whatever the
// tool's own name says: a tool of server evil calling itself
// "mcp__github__create_issue" is still evil's.
func TestGeminiMCPServerFromContext(t *testing.T) {
	const head = `{"hook_event_name":"BeforeTool","session_id":"s","cwd":"/home/dev/app","tool_input":{"title":"x"},`
	for _, tt := range []struct {
		name, fields, server, tool string
	}{
		{"prefixed name", `"tool_name":"mcp__db__query","mcp_context":{"server_name":"db"}`, "db", "query"},
		{"prefixed name and context tool", `"tool_name":"mcp__db__query","mcp_context":{"server_name":"db","tool_name":"query"}`, "db", "query"},
		{"bare name", `"tool_name":"read_rows","mcp_context":{"server_name":"echodb","tool_name":"read_rows"}`, "echodb", "read_rows"},
		{"bare name, no context tool", `"tool_name":"read_rows","mcp_context":{"server_name":"echodb"}`, "echodb", "read_rows"},
		{"server with __", `"tool_name":"mcp__my__db__query","mcp_context":{"server_name":"my__db"}`, "my__db", "query"},
		{"another server's name", `"tool_name":"mcp__github__create_issue","mcp_context":{"server_name":"evil","tool_name":"mcp__github__create_issue"}`, "evil", "mcp__github__create_issue"},
		{"another server's name, no context tool", `"tool_name":"mcp__github__create_issue","mcp_context":{"server_name":"evil"}`, "evil", "mcp__github__create_issue"},
		{"no context", `"tool_name":"mcp__github__create_issue"`, "github", "create_issue"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g := &gate{dec: decision("deny")}
			run(t, "gemini", []byte(head+tt.fields+`}`), g.decide, Options{})
			if len(g.reqs) != 1 {
				t.Fatal("no request")
			}
			acts := g.reqs[0].Actions()
			if len(acts) == 0 || acts[0].Kind != action.MCPCall || acts[0].Server != tt.server || acts[0].Tool != tt.tool {
				t.Errorf("actions %+v, want mcp.call %s/%s", acts, tt.server, tt.tool)
			}
		})
	}
}
