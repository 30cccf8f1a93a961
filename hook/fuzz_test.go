package hook

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/safeclaw/safeclaw/action"
)

// The fuzz targets check, for any input to any agent's decoder:
//   - Run never panics (a recovered panic shows as "internal error" on
//     stderr, which fails the target too);
//   - the answer holds checkAnswer's invariants (exit 0 or 2, stdout empty
//     or one JSON object in the agent's vocabulary);
//   - input that is not one JSON object always gets the blocking answer.
//
// Run one with: go test ./hook -run=- -fuzz=FuzzClaude -fuzztime=30s

func FuzzClaude(f *testing.F) { fuzzAgent(f, "claude") }
func FuzzCodex(f *testing.F)  { fuzzAgent(f, "codex") }
func FuzzGemini(f *testing.F) { fuzzAgent(f, "gemini") }
func FuzzCursor(f *testing.F) { fuzzAgent(f, "cursor") }

func fuzzAgent(f *testing.F, agent string) {
	files, _ := filepath.Glob(filepath.Join("testdata", "payloads", agent+".*.json"))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(""))
	f.Add([]byte("{}"))
	f.Add([]byte(`{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"x"}`))
	// Every verdict is exercised: the input's length picks one.
	verdicts := []string{"allow", "deny", "ask", "default"}
	f.Fuzz(func(t *testing.T, data []byte) {
		g := &gate{dec: decision(verdicts[len(data)%len(verdicts)])}
		var out, errOut bytes.Buffer
		opts := Options{Now: func() time.Time { return fixed }, Home: "/home/dev", Cwd: "/nonexistent-fuzz",
			Pending: func(context.Context, *action.Request, action.Decision) (string, error) { return "id", nil }}
		code := Run(context.Background(), agent, bytes.NewReader(data), &out, &errOut, g.decide, opts)
		r := result{code, out.String(), errOut.String()}
		if strings.Contains(r.stderr, "internal error") {
			t.Fatalf("panic: %s", r.stderr)
		}
		checkAnswer(t, agent, data, r)
		if !isOneObject(data) && code != ExitBlock {
			t.Fatalf("input that is not one JSON object answered with exit %d: %q", code, r.stdout)
		}
	})
}

func isOneObject(data []byte) bool {
	d := json.NewDecoder(bytes.NewReader(data))
	var m map[string]json.RawMessage
	if d.Decode(&m) != nil || m == nil {
		return false
	}
	_, err := d.Token()
	return err != nil
}
