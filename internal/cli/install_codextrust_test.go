package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// When Codex's trust cannot be recorded (config.toml it cannot read, or
// hooks set inline), hooks.json is left as it was: replacing it would put
// handlers Codex skips in place of ones it trusted.
func TestInstallCodexLeavesHooksWhenTrustCannotBeRecorded(t *testing.T) {
	for name, cfg := range map[string]string{
		"bad toml":     "model = \"o3\n",
		"inline hooks": "hooks = { state = {} }\n", // in place of the file
	} {
		t.Run(name, func(t *testing.T) {
			e := testEnv(t)
			hooksPath := filepath.Join(e.Home, ".codex", "hooks.json")
			if code, _, errOut := run(t, e, "", "install", "codex", "--binary", fakeBinary, "--ask", "deny"); code != 0 {
				t.Fatalf("first install: exit %d: %s", code, errOut)
			}
			before, _ := os.ReadFile(hooksPath)
			cfgPath := filepath.Join(e.Home, ".codex", "config.toml")
			trusted, _ := os.ReadFile(cfgPath)
			if name == "inline hooks" {
				trusted = nil
			}
			if err := os.WriteFile(cfgPath, append(trusted, cfg...), 0o600); err != nil {
				t.Fatal(err)
			}
			// Another ask mode: hooks.json would change.
			code, _, errOut := run(t, e, "", "install", "codex", "--binary", fakeBinary, "--ask", "wait")
			if code == 0 || !strings.Contains(errOut, "was not changed") {
				t.Errorf("exit %d, stderr %q", code, errOut)
			}
			if after, _ := os.ReadFile(hooksPath); string(after) != string(before) {
				t.Errorf("hooks.json changed:\n%s", after)
			}
		})
	}
}
