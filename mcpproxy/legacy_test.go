package mcpproxy

import (
	"context"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/safeclaw/safeclaw/mcpproxy/mcptest"
)

// An upstream that speaks only the initialize handshake: the proxy refuses
// server/discover (method not found), so a client that probes it falls back
// to initialize and negotiates the upstream's era; with a current upstream
// the same client gets 2026-07-28.
func TestDiscoverRefusedForLegacyUpstream(t *testing.T) {
	for _, tc := range []struct {
		name   string
		legacy bool
		want   string
	}{
		{"legacy upstream", true, "2025-11-25"},
		{"current upstream", false, "2026-07-28"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := start(t, setupOpts{fake: &mcptest.Fake{Legacy: tc.legacy}})
			if s.proxy.legacyUpstream != tc.legacy {
				t.Fatalf("legacyUpstream = %v, want %v", s.proxy.legacyUpstream, tc.legacy)
			}
			if got := s.client.InitializeResult().ProtocolVersion; got != tc.want {
				t.Errorf("negotiated %q, want %q", got, tc.want)
			}
			// The client still works in the era it fell back to.
			if res := call(t, s.client, "echo", map[string]any{"text": "hi"}); res.IsError {
				t.Errorf("echo: %s", resultText(res))
			}
			// The probe itself, sent directly, is refused for a legacy upstream.
			_, err := s.proxy.middleware(func(context.Context, string, mcp.Request) (mcp.Result, error) {
				return &mcp.DiscoverResult{}, nil
			})(context.Background(), "server/discover", nil)
			if tc.legacy && rpcCode(err) != -32601 {
				t.Errorf("server/discover: %v, want -32601", err)
			}
			if !tc.legacy && err != nil {
				t.Errorf("server/discover: %v", err)
			}
		})
	}
}
