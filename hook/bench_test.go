package hook

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/safeclaw/safeclaw/action"
)

// BenchmarkRun measures one whole hook answer (read, decode, classify,
// decide with a trivial DecideFunc, encode) for a Claude Bash call: the part
// of `safeclaw hook claude` that is not process start-up or policy.
func BenchmarkRun(b *testing.B) {
	for _, bc := range []struct{ name, agent, payload string }{
		{"claude-bash", "claude", "claude.pretooluse.bash.json"},
		{"claude-write", "claude", "claude.pretooluse.write.json"},
		{"codex-bash", "codex", "codex.pretooluse.bash.json"},
		{"gemini-shell", "gemini", "gemini.beforetool.shell.json"},
		{"cursor-shell", "cursor", "cursor.beforeshellexecution.json"},
	} {
		data := readPayload(b, bc.payload)
		deny := func(context.Context, *action.Request) (action.Decision, error) { return decision("deny"), nil }
		opts := Options{Now: func() time.Time { return fixed }, Home: "/home/dev"}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if code := Run(context.Background(), bc.agent, bytes.NewReader(data), io.Discard, io.Discard, deny, opts); code != 0 {
					b.Fatalf("exit %d", code)
				}
			}
		})
	}
}
