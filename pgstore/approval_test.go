package pgstore

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/safeclaw/safeclaw/approval"
	"github.com/safeclaw/safeclaw/approval/approvaltest"
)

func openApprovals(t testing.TB, db *DB) *Approvals {
	t.Helper()
	s, err := db.Approvals(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestApprovalContract(t *testing.T) {
	testURL(t)
	approvaltest.Run(t, func(t *testing.T) (approval.Store, approval.Outbox) {
		s := openApprovals(t, openDB(t, newSchema(t)))
		return s, s
	})
}

// TestApprovalReleaseLatency answers on one handle ("machine B") requests
// a waiter on another ("machine A") watches, and reports how long the
// waiter took to see the answer. It asserts no timing; it logs the figures.
func TestApprovalReleaseLatency(t *testing.T) {
	schema := newSchema(t)
	a := openApprovals(t, openDB(t, schema))
	defer a.Close()
	b := openApprovals(t, openDB(t, schema))
	defer b.Close()
	ctx := context.Background()
	const n = 50
	var lat []time.Duration
	now := time.Now()
	for i := 0; i < n; i++ {
		r := approvaltest.Record(fmt.Sprintf("npm run dev %d", i), now, time.Hour)
		if err := a.Create(ctx, r); err != nil {
			t.Fatal(err)
		}
		ch, stop := a.Watch(ctx, r.ID)
		start := time.Now()
		go b.Answer(ctx, r.ID, approval.Answer{Approve: true, Approver: "alice", Channel: "cli", Time: time.Now()})
		// As a waiter does: every wake-up is a hint to read the store.
		var got *approval.Record
		for got == nil || got.Status == approval.Pending {
			select {
			case <-ch:
			case <-time.After(10 * time.Second):
				t.Fatalf("request %d: no notification within 10 s", i)
			}
			var err error
			if got, err = a.Get(ctx, r.ID); err != nil {
				t.Fatal(err)
			}
		}
		lat = append(lat, time.Since(start))
		stop()
		if got.Status != approval.Approved || got.Answer.Approver != "alice" {
			t.Fatalf("after the notification: %+v", got)
		}
		if err := a.Use(ctx, r.ID, r.Hash, time.Now()); err != nil {
			t.Fatal(err)
		}
		if err := b.Use(ctx, r.ID, r.Hash, time.Now()); err == nil {
			t.Fatal("approval used twice")
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	t.Logf("approval release via LISTEN/NOTIFY over %d requests: p50 %v, p99 %v, max %v",
		n, lat[n/2], lat[n*99/100], lat[n-1])
	if !a.Listening() {
		t.Fatal("watcher not listening")
	}
}

func TestSchemaNewerRefused(t *testing.T) {
	schema := newSchema(t)
	db := openDB(t, schema)
	ctx := context.Background()
	if _, err := db.pool.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, 'future')`, KnownVersion()+1); err != nil {
		t.Fatal(err)
	}
	st, err := db.Status(ctx)
	if err != nil || !st.Newer() {
		t.Fatalf("status %+v, %v", st, err)
	}
	if _, err := db.Approvals(ctx); err == nil {
		t.Fatal("approvals opened on a newer schema")
	}
	if _, err := db.Audit(ctx, AuditOptions{Stream: "h", Key: testKey()}); err == nil {
		t.Fatal("audit opened on a newer schema")
	}
	if _, err := db.Migrate(ctx); err == nil {
		t.Fatal("migrate accepted a newer schema")
	}
}

func TestMigrateStatus(t *testing.T) {
	url := testURL(t)
	ctx := context.Background()
	schema := newSchema(t) + "_fresh"
	db, err := Open(ctx, url, Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	defer db.pool.Exec(ctx, `DROP SCHEMA IF EXISTS `+schema+` CASCADE`)
	st, err := db.Status(ctx)
	if err != nil || st.Version != 0 || len(st.Pending) != KnownVersion() {
		t.Fatalf("fresh status %+v, %v", st, err)
	}
	if _, err := db.Approvals(ctx); err == nil {
		t.Fatal("approvals opened before migrating")
	}
	got, err := db.Migrate(ctx)
	if err != nil || len(got) != KnownVersion() {
		t.Fatalf("migrate applied %v, %v", got, err)
	}
	if again, err := db.Migrate(ctx); err != nil || len(again) != 0 {
		t.Fatalf("second migrate applied %v, %v", again, err)
	}
	if st, err := db.Status(ctx); err != nil || st.Version != KnownVersion() || len(st.Pending) != 0 || len(st.Applied) != KnownVersion() {
		t.Fatalf("status after migrate %+v, %v", st, err)
	}
}

func TestOpenRejectsBadSchemaName(t *testing.T) {
	if _, err := Open(context.Background(), "postgres://u@127.0.0.1:1/db", Options{Schema: "x; DROP"}); err == nil {
		t.Fatal("accepted a schema name that is not an identifier")
	}
}

// TestAgentRoleCannotApprove sets up the documented roles: an agent host
// role may file, expire and use requests but not approve them, and may
// only insert and read audit records.
func TestAgentRoleCannotApprove(t *testing.T) {
	schema := newSchema(t)
	db := openDB(t, schema)
	ctx := context.Background()
	agentRole := "safeclaw_agent_" + schema
	for _, q := range []string{
		`DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'safeclaw_reviewer') THEN CREATE ROLE safeclaw_reviewer NOLOGIN; END IF; END $$`,
		`CREATE ROLE ` + agentRole + ` LOGIN`,
		`GRANT USAGE ON SCHEMA ` + schema + ` TO ` + agentRole,
		`GRANT SELECT ON ALL TABLES IN SCHEMA ` + schema + ` TO ` + agentRole,
		`GRANT INSERT ON audit_streams, audit_records, audit_checkpoints TO ` + agentRole,
		`GRANT INSERT, UPDATE ON approval_requests, approval_grants, approval_outbox TO ` + agentRole,
		`GRANT USAGE ON SEQUENCE approval_outbox_id_seq TO ` + agentRole,
	} {
		if _, err := db.pool.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	t.Cleanup(func() {
		db.pool.Exec(context.Background(), `DROP OWNED BY `+agentRole)
		db.pool.Exec(context.Background(), `DROP ROLE `+agentRole)
	})
	if on, err := db.ApproveGuardOn(ctx); err != nil || !on {
		t.Fatalf("ApproveGuardOn with the reviewer role: %v %v", on, err)
	}
	url := testURL(t)
	cfg, _ := pgxParse(url)
	agentURL := fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", agentRole, cfg.Host, cfg.Port, cfg.Database)
	adb, err := Open(ctx, agentURL, Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	defer adb.Close()
	appr := openApprovals(t, adb)
	defer appr.Close()
	r := approvaltest.Record("npm run dev", time.Now(), time.Hour)
	if err := appr.Create(ctx, r); err != nil {
		t.Fatal(err)
	}
	if _, err := appr.Answer(ctx, r.ID, approval.Answer{Approve: true, Approver: "mallory", Time: time.Now()}); err == nil {
		t.Fatal("agent role approved its own request")
	}
	if _, err := appr.Answer(ctx, r.ID, approval.Answer{Approve: false, Approver: "agent", Time: time.Now()}); err != nil {
		t.Fatalf("agent role could not deny: %v", err)
	}
	trail := openAudit(t, adb, "agent-host")
	defer trail.Close()
	if _, err := trail.Append(ctx, approvaltestAuditRecord()); err != nil {
		t.Fatalf("agent role could not append: %v", err)
	}
	if _, err := adb.pool.Exec(ctx, `UPDATE audit_records SET line = '' WHERE stream = 'agent-host'`); err == nil {
		t.Fatal("agent role could rewrite the audit trail")
	}
	if _, err := adb.pool.Exec(ctx, `DELETE FROM audit_records WHERE stream = 'agent-host'`); err == nil {
		t.Fatal("agent role could delete audit records")
	}
}
