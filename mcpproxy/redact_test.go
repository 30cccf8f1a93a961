package mcpproxy

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/safeclaw/safeclaw/audit"
	"github.com/safeclaw/safeclaw/mcpproxy/mcptest"
)

// With Options.Redact, what the upstream returns reaches the client with
// the secrets taken out, on the fast path and the SDK's alike: a tool's
// text, a resource (a .env file) and a prompt. Without it, as it came.
// Either way the upstream got the call as the client sent it.
func TestResultsAreRedacted(t *testing.T) {
	const key = "AKIAIOSFODNN7EXAMPLE"
	for _, tc := range []struct {
		name           string
		noFast, redact bool
	}{{"fast path", false, true}, {"SDK path", true, true}, {"off", false, false}} {
		t.Run(tc.name, func(t *testing.T) {
			var configure func(*Options)
			if tc.redact {
				configure = func(o *Options) { o.Redact = audit.Redact }
			} else {
				configure = func(*Options) {}
			}
			cs, _, p, fake := fastProxyWith(t, tc.noFast, false, "2025-11-25", nil, configure)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			toolNames(t, cs)
			tool := resultText(call(t, cs, "echo", map[string]any{"text": "line one\nexport AWS_ACCESS_KEY_ID=" + key}))
			res, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "docs://env"})
			if err != nil {
				t.Fatal(err)
			}
			resource := res.Contents[0].Text
			pr, err := cs.GetPrompt(ctx, &mcp.GetPromptParams{Name: "summarise", Arguments: map[string]string{"table": "public.t at postgres://app:hunter22@db/x"}})
			if err != nil {
				t.Fatal(err)
			}
			prompt := pr.Messages[0].Content.(*mcp.TextContent).Text
			if !tc.redact {
				if !strings.Contains(tool, key) || resource != mcptest.SecretEnv || !strings.Contains(prompt, "hunter22") {
					t.Fatalf("without Redact the results changed:\n%q\n%q\n%q", tool, resource, prompt)
				}
				return
			}
			if tool != "echo: line one\nexport AWS_ACCESS_KEY_ID=AKIA[REDACTED]" {
				t.Errorf("tool result %q", tool)
			}
			if strings.Contains(resource, "s3cr3t-pw") || strings.Contains(resource, key) || strings.Contains(resource, "wJalrXUtnFEMI") ||
				!strings.Contains(resource, "DATABASE_URL=postgres://app:[REDACTED]@db/app\n") {
				t.Errorf("resource %q", resource)
			}
			if prompt != "Summarise public.t at postgres://app:[REDACTED]@db/x" {
				t.Errorf("prompt %q", prompt)
			}
			if n := p.Redacted(); n < 3 {
				t.Errorf("Redacted() = %d", n)
			}
			if !tc.noFast && p.fast.next.Load() < 1 {
				t.Error("the tool call did not take the fast path")
			}
			// The upstream got the arguments as sent: only its answer is
			// redacted.
			reqs, err := fake.Requests()
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, r := range reqs {
				found = found || (r.Name == "echo" && strings.Contains(string(r.Args), key))
			}
			if !found {
				t.Errorf("the upstream did not get the call as sent: %+v", reqs)
			}
		})
	}
}
