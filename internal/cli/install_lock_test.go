package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Concurrent installs with different flags end with the hooks file and
// Codex's trust from the same run: else Codex skips the hooks unchecked.
func TestInstallCodexConcurrentRunsAgree(t *testing.T) {
	e := testEnv(t)
	hooksPath := filepath.Join(e.Home, ".codex", "hooks.json")
	cfgPath := filepath.Join(e.Home, ".codex", "config.toml")
	for round := 0; round < 8; round++ {
		var wg sync.WaitGroup
		for i := 0; i < 6; i++ {
			mode := []string{"deny", "wait"}[i%2]
			wg.Add(1)
			go func() {
				defer wg.Done()
				ee := *e
				var out, errb bytes.Buffer
				ee.Stdout, ee.Stderr = &out, &errb
				if code := Main(context.Background(), []string{"install", "codex", "--binary", fakeBinary, "--ask", mode}, &ee); code != 0 {
					t.Errorf("exit %d: %s", code, errb.String())
				}
			}()
		}
		wg.Wait()
		data, _ := os.ReadFile(hooksPath)
		ts, err := codexTrusts(hooksPath, data, "safeclaw")
		if err != nil || len(ts) != 2 {
			t.Fatalf("trusts %v %v", ts, err)
		}
		cfg, _ := os.ReadFile(cfgPath)
		states, err := readCodexHookStates(cfg)
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range ts {
			if states[tr.key].trustedHash != tr.hash {
				t.Fatalf("round %d: %s trusted as %q, hooks.json needs %q", round, tr.key, states[tr.key].trustedHash, tr.hash)
			}
		}
		if strings.Count(string(cfg), "trusted_hash") != 2 {
			t.Fatalf("config.toml:\n%s", cfg)
		}
	}
}
