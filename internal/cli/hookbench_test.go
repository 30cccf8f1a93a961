package cli

import (
	"os"
	"testing"
)

// BenchmarkHookClaude is the in-process cost of one `safeclaw hook claude`
// on a Bash payload with the built-in policy and a durable audit trail:
// everything but process start-up. The whole-process figure is measured
// with hyperfine (see the README's performance notes).
func BenchmarkHookClaude(b *testing.B) {
	payload := `{"session_id":"s","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"python -m http.server 8080"},"cwd":"/srv/project"}`
	for _, durable := range []bool{true, false} {
		name := "durable"
		if !durable {
			name = "buffered"
		}
		b.Run(name, func(b *testing.B) {
			e := testEnv(b)
			if !durable {
				if err := os.MkdirAll(e.ConfigDir, 0o755); err != nil {
					b.Fatal(err)
				}
				if err := os.WriteFile(e.ConfigDir+"/config.yaml", []byte("audit:\n  durability: none\n"), 0o644); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			for b.Loop() {
				if code, out, errs := run(b, e, payload, "hook", "claude"); code != 0 || out == "" {
					b.Fatalf("exit %d: %s %s", code, out, errs)
				}
			}
		})
	}
}
