package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/safeclaw/safeclaw/audit"
)

func runStoreCmd(e *Env, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	e.Stdout, e.Stderr = &out, &errb
	code := runStore(context.Background(), e, args)
	return code, out.String(), errb.String()
}

func TestStoreWithoutPostgres(t *testing.T) {
	e := testEnv(t)
	for _, tt := range []struct {
		args []string
		code int
		err  string
	}{
		{nil, exitUsage, "Usage:"},
		{[]string{"migrat"}, exitUsage, "did you mean 'safeclaw store migrate'"},
		{[]string{"status"}, exitUsage, "no store configured"},
		{[]string{"status", "--url", "sqlite:///tmp/x.db"}, exitUsage, "embedded store"},
		{[]string{"status", "--url", "postgres://u:secret@127.0.0.1:1/db?connect_timeout=1"}, exitUsage, ""},
	} {
		code, _, stderr := runStoreCmd(e, tt.args...)
		if code != tt.code || !strings.Contains(stderr, tt.err) {
			t.Errorf("store %q: exit %d, stderr %q; want %d, %q", tt.args, code, stderr, tt.code, tt.err)
		}
		if strings.Contains(stderr, "secret") {
			t.Errorf("store %q: password in the message: %s", tt.args, stderr)
		}
	}
	if code, out, _ := runStoreCmd(e, "--help"); code != exitOK || !strings.Contains(out, "safeclaw store migrate") {
		t.Errorf("--help: %d %q", code, out)
	}
}

func TestStoreMigrateStatusPostgres(t *testing.T) {
	base := os.Getenv("SAFECLAW_TEST_POSTGRES")
	if base == "" {
		t.Skip("SAFECLAW_TEST_POSTGRES not set; run scripts/postgres-test.sh")
	}
	schema := fmt.Sprintf("cli%d", os.Getpid())
	t.Cleanup(func() {
		if c, err := pgx.Connect(context.Background(), base); err == nil {
			c.Exec(context.Background(), `DROP SCHEMA IF EXISTS `+schema+` CASCADE`)
			c.Close(context.Background())
		}
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	u := base + sep + "schema=" + schema
	e := testEnv(t)
	env := map[string]string{"SAFECLAW_STORE": u, "SAFECLAW_HOME": e.ConfigDir, "SAFECLAW_STREAM": "laptop/dev"}
	e.Getenv = func(k string) string { return env[k] }
	if code, out, stderr := runStoreCmd(e, "status"); code != exitFindings || !strings.Contains(out, "pending: 0001_init") {
		t.Fatalf("status before migrate: %d %q %q", code, out, stderr)
	}
	if code, out, stderr := runStoreCmd(e, "migrate"); code != exitOK || !strings.Contains(out, "applied: migration 0001") {
		t.Fatalf("migrate: %d %q %q", code, out, stderr)
	}
	if code, out, _ := runStoreCmd(e, "status", "--json"); code != exitOK || !strings.Contains(out, `"version": 1`) {
		t.Fatalf("status after migrate: %d %q", code, out)
	}
	trail, appr, err := e.openPGStores(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer appr.Close()
	defer trail.Close()
	if trail.Stream() != "laptop/dev" {
		t.Fatalf("stream %q", trail.Stream())
	}
	if n, err := trail.Backlog(context.Background()); n != 0 || err != nil {
		t.Fatalf("backlog %d, %v", n, err)
	}
	if _, err := trail.Append(context.Background(), &audit.Record{Decision: audit.Deny, Request: "rm -rf /"}); err != nil {
		t.Fatal(err)
	}
	if rep, err := trail.Verify(context.Background()); err != nil || !rep.Intact || rep.Records != 1 {
		t.Fatalf("verify: %+v %v", rep, err)
	}
	reader, err := e.openPGAuditReader(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	n := 0
	if err := reader.Query(context.Background(), nil, func(*audit.Record) error { n++; return nil }); err != nil || n != 1 {
		t.Fatalf("reader: %d records, %v", n, err)
	}
}

// TestStorePostgresEndToEnd: with SAFECLAW_STORE naming PostgreSQL, a hook's
// decision lands in this machine's stream, `safeclaw audit` reads it back
// with the brief's filter, and verify checks the chain.
func TestStorePostgresEndToEnd(t *testing.T) {
	base := os.Getenv("SAFECLAW_TEST_POSTGRES")
	if base == "" {
		t.Skip("SAFECLAW_TEST_POSTGRES not set; run scripts/postgres-test.sh")
	}
	schema := fmt.Sprintf("e2e%d", os.Getpid())
	t.Cleanup(func() {
		if c, err := pgx.Connect(context.Background(), base); err == nil {
			c.Exec(context.Background(), `DROP SCHEMA IF EXISTS `+schema+` CASCADE`)
			c.Close(context.Background())
		}
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	e := testEnv(t)
	env := map[string]string{"SAFECLAW_STORE": base + sep + "schema=" + schema, "SAFECLAW_HOME": e.ConfigDir, "SAFECLAW_STREAM": "ci/root"}
	e.Getenv = func(k string) string { return env[k] }
	if code, out, stderr := runStoreCmd(e, "migrate"); code != exitOK {
		t.Fatalf("migrate: %d %q %q", code, out, stderr)
	}
	payload := `{"session_id":"s","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"python3 -m http.server 8080"},"cwd":"/tmp"}`
	if code, out, stderr := run(t, e, payload, "hook", "claude"); code != 0 || !strings.Contains(out, `"permissionDecision":"deny"`) {
		t.Fatalf("hook: %d %q %q", code, out, stderr)
	}
	if code, out, stderr := run(t, e, "", "audit", "--filter", "action:network"); code != 0 || !strings.Contains(out, "http.server") {
		t.Fatalf("audit: %d %q %q", code, out, stderr)
	}
	if code, out, stderr := run(t, e, "", "audit", "verify"); code != 0 {
		t.Fatalf("audit verify: %d %q %q", code, out, stderr)
	}
}

func TestParseAge(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"90d", 90 * 24 * time.Hour, true},
		{"12w", 12 * 7 * 24 * time.Hour, true},
		{"2160h", 2160 * time.Hour, true},
		{"", 0, false},
		{"0d", 0, false},
		{"-5d", 0, false},
		{"d", 0, false},
		{"90x", 0, false},
		{"-1h", 0, false},
	} {
		got, err := parseAge(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseAge(%q) = %v, %v; want %v, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
	e := testEnv(t)
	if code, _, stderr := runStoreCmd(e, "prune"); code != exitUsage || !strings.Contains(stderr, "--older-than") {
		t.Errorf("prune without --older-than: %d %q", code, stderr)
	}
	if code, _, stderr := runStoreCmd(e, "status", "--older-than", "5d"); code != exitUsage || !strings.Contains(stderr, "store prune") {
		t.Errorf("status --older-than: %d %q", code, stderr)
	}
}

// TestStorePrunePostgres: `safeclaw store prune --older-than` drops the old
// months and `safeclaw audit verify` still passes.
func TestStorePrunePostgres(t *testing.T) {
	base := os.Getenv("SAFECLAW_TEST_POSTGRES")
	if base == "" {
		t.Skip("SAFECLAW_TEST_POSTGRES not set; run scripts/postgres-test.sh")
	}
	schema := fmt.Sprintf("prune%d", os.Getpid())
	ctx := context.Background()
	t.Cleanup(func() {
		if c, err := pgx.Connect(context.Background(), base); err == nil {
			c.Exec(context.Background(), `DROP SCHEMA IF EXISTS `+schema+` CASCADE`)
			c.Close(context.Background())
		}
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	u := base + sep + "schema=" + schema
	e := testEnv(t)
	env := map[string]string{"SAFECLAW_STORE": u, "SAFECLAW_HOME": e.ConfigDir, "SAFECLAW_STREAM": "ci/prune"}
	e.Getenv = func(k string) string { return env[k] }
	if code, out, stderr := runStoreCmd(e, "migrate"); code != exitOK {
		t.Fatalf("migrate: %d %q %q", code, out, stderr)
	}
	old := time.Now().UTC().AddDate(0, -6, 0)
	c, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, `SET search_path TO `+schema); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, `SELECT audit_ensure_partitions($1, 1)`, old); err != nil {
		t.Fatal(err)
	}
	trail, appr, err := e.openPGStores(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	for i, ts := range []time.Time{old, old, {}} {
		if _, err := trail.Append(ctx, &audit.Record{Decision: audit.Deny, Request: fmt.Sprintf("rm -rf /%d", i), Time: ts}); err != nil {
			t.Fatal(err)
		}
	}
	appr.Close()
	trail.Close()
	code, out, stderr := runStoreCmd(e, "prune", "--older-than", "90d")
	if code != exitOK || !strings.Contains(out, "ci/prune: 2 record(s) through seq 2 removed, prune record seq 4") {
		t.Fatalf("prune: %d %q %q", code, out, stderr)
	}
	if code, out, stderr := run(t, e, "", "audit", "verify"); code != 0 {
		t.Fatalf("audit verify after prune: %d %q %q", code, out, stderr)
	}
	if code, out, _ := runStoreCmd(e, "prune", "--older-than", "90d"); code != exitOK || !strings.Contains(out, "nothing to prune") {
		t.Fatalf("second prune: %d %q", code, out)
	}
}
