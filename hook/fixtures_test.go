package hook

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sharedFixtures is where the captured real payloads live in the workspace
// (agent-protocols.md, fixtures/README.md). The tests skip when it is absent;
// the hand-written payloads in testdata/payloads cover the same shapes.
const sharedFixtures = "../../shared/fixtures"

func sharedFixtureFiles(t *testing.T) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(sharedFixtures, "*.json"))
	if len(files) == 0 {
		t.Skipf("no captured fixtures in %s", sharedFixtures)
	}
	return files
}

// TestSharedFixtures runs every captured payload through every verdict and
// compares with testdata/golden/fixture.*.golden.
func TestSharedFixtures(t *testing.T) {
	for _, f := range sharedFixtureFiles(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		base := strings.TrimSuffix(filepath.Base(f), ".json")
		agent := agentOf(f)
		for _, v := range []string{"allow", "deny", "ask"} {
			t.Run(base+"/"+v, func(t *testing.T) {
				g := &gate{dec: decision(v)}
				r := run(t, agent, data, g.decide, Options{})
				golden(t, "fixture."+base+"."+v, r)
			})
		}
	}
}

// TestContractClaudePreToolUse is the contract check the lead runs against
// the binary: every captured Claude PreToolUse payload answers exit 0 or 2
// with stdout empty or valid JSON, and a truncated payload exits 2.
func TestContractClaudePreToolUse(t *testing.T) {
	for _, f := range sharedFixtureFiles(t) {
		if !strings.HasPrefix(filepath.Base(f), "claude.pretooluse.") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []string{"allow", "deny", "ask"} {
			g := &gate{dec: decision(v)}
			r := run(t, "claude", data, g.decide, Options{})
			if r.code != 0 && r.code != ExitBlock {
				t.Errorf("%s %s: exit %d", f, v, r.code)
			}
			if r.stdout != "" && !json.Valid([]byte(r.stdout)) {
				t.Errorf("%s %s: stdout not JSON: %q", f, v, r.stdout)
			}
		}
		for _, cut := range []int{1, len(data) / 3, len(data) / 2, len(data) - 3} {
			g := &gate{dec: decision("allow")}
			if r := run(t, "claude", data[:cut], g.decide, Options{}); r.code != ExitBlock {
				t.Errorf("%s cut at %d: exit %d", f, cut, r.code)
			}
		}
	}
}
