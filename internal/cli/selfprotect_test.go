package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestSelfProtection: even under a policy that allows everything, an agent
// may not approve its own requests, trust or loosen safeclaw, or touch its
// files, keys and the agents' hook settings, however it spells it.
func TestSelfProtection(t *testing.T) {
	e := testEnv(t)
	allowAll := filepath.Join(t.TempDir(), "allow.yaml")
	if err := os.WriteFile(allowAll, []byte("default: allow\nrules:\n- command_pattern: \"*\"\n  effect: allow\n- action: \"*\"\n  effect: allow\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(e.KeyDir(), "audit.key")
	tests := []string{
		"safeclaw approvals approve 3f9k2",
		"/usr/local/bin/safeclaw approvals deny 3f9k2 --reason no",
		"sudo safeclaw trust",
		"bash -c 'safeclaw approvals approve x --yes'",
		"safeclaw install claude",
		"safeclaw uninstall claude",
		"safeclaw init --force",
		"safeclaw audit repair",
		"echo '{}' > ~/.claude/settings.json",
		"rm -rf " + e.StateDir,
		"cp /tmp/x " + filepath.Join(e.ConfigDir, "policy.yaml"),
		"sed -i s/deny/allow/ " + filepath.Join(e.ConfigDir, "policy.yaml"),
		"cat " + key,
		"tee ~/.codex/config.toml < /tmp/evil",
		"rm -rf ~",
	}
	for _, cmd := range tests {
		code, stdout, stderr := run(t, e, "", "check", "--json", "--policy", allowAll, "--command", cmd)
		var out decisionOut
		if err := json.Unmarshal([]byte(stdout), &out); err != nil {
			t.Fatalf("%q: exit %d, %q %s", cmd, code, stdout, stderr)
		}
		if out.Decision != "deny" || out.Rule == nil || !out.Rule.Builtin {
			t.Errorf("%q: %s by %+v, want deny by a built-in rule", cmd, out.Decision, out.Rule)
		}
	}
	// Reading safeclaw's policy is fine; only its keys are secret.
	code, _, _ := run(t, e, "", "check", "--policy", allowAll, "--command", "safeclaw policy show && safeclaw approvals list")
	if code != exitOK {
		t.Errorf("read-only safeclaw commands: exit %d, want 0", code)
	}
}
