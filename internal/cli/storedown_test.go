package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/safeclaw/safeclaw/audit"
)

// TestStoreUnreachable: with the shared PostgreSQL store down when a process
// starts, decisions still happen locally and are recorded in the spool, and
// an ask is denied unless approvals.on_store_down says local.
func TestStoreUnreachable(t *testing.T) {
	e := testEnv(t)
	env := map[string]string{"SAFECLAW_HOME": e.ConfigDir, "SAFECLAW_STORE": "postgres://postgres@127.0.0.1:1/none?connect_timeout=1"}
	e.Getenv = func(k string) string { return env[k] }
	payload := `{"session_id":"s","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"git status"},"cwd":"/tmp"}`
	code, out, stderr := run(t, e, payload, "hook", "claude")
	if code != 0 || !strings.Contains(out, `"permissionDecision":"allow"`) || !strings.Contains(stderr, "local spool") {
		t.Fatalf("hook with the store down: exit %d %q %q", code, out, stderr)
	}
	spool, err := audit.OpenFile(e.auditSpoolDir(), audit.FileOptions{KeyFile: e.auditKeyFile()})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := spool.Query(context.Background(), nil, func(r *audit.Record) error { n++; return nil }); err != nil || n != 1 {
		t.Fatalf("spool holds %d records (%v), want 1", n, err)
	}
	spool.Close()

	policy := filepath.Join(t.TempDir(), "p.yaml")
	if err := os.WriteFile(policy, []byte("rules:\n- command_pattern: \"npm run dev\"\n  effect: ask\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Default: no approval without the shared store.
	if code, out, stderr := run(t, e, "", "check", "--wait", "--timeout", "1s", "--policy", policy, "--command", "npm run dev"); code != exitDeny {
		t.Fatalf("ask with the store down: exit %d %q %q", code, out, stderr)
	}
	// on_store_down: local files the request in this machine's store.
	if err := os.WriteFile(filepath.Join(e.ConfigDir, "config.yaml"), []byte("approvals:\n  on_store_down: local\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = run(t, e, "", "check", "--wait", "--timeout", "1s", "--policy", policy, "--command", "npm run dev")
	if code != exitDeny || !strings.Contains(stderr, "using this machine's approvals") || !strings.Contains(stderr, "approve") {
		t.Fatalf("ask with on_store_down local: exit %d %q", code, stderr)
	}
}
