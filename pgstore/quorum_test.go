package pgstore

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/approval"
	"github.com/safeclaw/safeclaw/approval/approvaltest"
)

// loginRole creates a role that may use the store's approval tables,
// optionally a member of safeclaw_reviewer, and returns its approval store.
func loginRole(t *testing.T, db *DB, schema, name string, reviewer bool) *Approvals {
	t.Helper()
	ctx := context.Background()
	qs := []string{
		`DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'safeclaw_reviewer') THEN CREATE ROLE safeclaw_reviewer NOLOGIN; END IF; END $$`,
		`CREATE ROLE ` + name + ` LOGIN`,
		`GRANT USAGE ON SCHEMA ` + schema + ` TO ` + name,
		`GRANT SELECT ON ALL TABLES IN SCHEMA ` + schema + ` TO ` + name,
		`GRANT INSERT, UPDATE ON approval_requests, approval_grants, approval_outbox TO ` + name,
		`GRANT USAGE ON SEQUENCE approval_outbox_id_seq TO ` + name,
	}
	if reviewer {
		qs = append(qs, `GRANT safeclaw_reviewer TO `+name)
	}
	for _, q := range qs {
		if _, err := db.pool.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	t.Cleanup(func() {
		db.pool.Exec(context.Background(), `DROP OWNED BY `+name)
		db.pool.Exec(context.Background(), `DROP ROLE `+name)
	})
	cfg, _ := pgxParse(testURL(t))
	url := fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", name, cfg.Host, cfg.Port, cfg.Database)
	rdb, err := Open(ctx, url, Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	a := openApprovals(t, rdb)
	t.Cleanup(func() { a.Close() })
	return a
}

// TestQuorumCountsDatabaseRoles: in the fleet store the database says who
// approved. A vote names the role that cast it whatever the client claims,
// a role votes once (I12), approver lists name roles, agents cannot vote,
// and no client can write its way past the quorum.
func TestQuorumCountsDatabaseRoles(t *testing.T) {
	schema := newSchema(t)
	db := openDB(t, schema)
	ctx := context.Background()
	rev1, rev2 := "safeclaw_rev1_"+schema, "safeclaw_rev2_"+schema
	s1 := loginRole(t, db, schema, rev1, true)
	s2 := loginRole(t, db, schema, rev2, true)
	agent := loginRole(t, db, schema, "safeclaw_agent_"+schema, false)

	now := time.Now()
	r := approvaltest.Record("kubectl apply -f prod.yaml", now, time.Hour)
	r.Needs = &action.ApprovalNeeds{Quorum: 2, Approvers: []string{rev1, rev2}}
	if err := agent.Create(ctx, r); err != nil {
		t.Fatal(err)
	}
	vote := func(s *Approvals, claimed string) (*approval.Record, error) {
		return s.Vote(ctx, r.ID, approval.Answer{Approve: true, Scope: approval.Once, Approver: claimed, Principal: claimed,
			Channel: "cli", Time: time.Now()})
	}
	if _, err := vote(agent, rev1); err == nil {
		t.Fatal("an agent role voted")
	}
	got, err := vote(s1, rev2) // claims to be the other reviewer
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != approval.Pending || len(got.Votes) != 1 || got.Votes[0].Principal != rev1 {
		t.Fatalf("after rev1's vote: status %s votes %+v", got.Status, got.Votes)
	}
	if _, err := vote(s1, "someone-else"); !errors.Is(err, approval.ErrVoted) {
		t.Fatalf("rev1's second vote: %v, want ErrVoted", err)
	}
	// Writing past the store: neither approving outright nor adding
	// another role's vote gets through the schema's guard.
	if _, err := s1.db.pool.Exec(ctx, `UPDATE approval_requests SET status = 'approved', answer_json = '{"approve":true,"approver":"x"}' WHERE id = $1`, r.ID); err == nil {
		t.Fatal("rev1 approved a quorum request alone")
	}
	forged := fmt.Sprintf(`[{"approve":true,"principal":%q},{"approve":true,"principal":%q}]`, rev1, rev2)
	if _, err := s1.db.pool.Exec(ctx, `UPDATE approval_requests SET votes_json = $1 WHERE id = $2`, forged, r.ID); err == nil {
		t.Fatal("rev1 wrote rev2's vote")
	}
	if _, err := s1.db.pool.Exec(ctx, `UPDATE approval_requests SET needs_json = '' WHERE id = $1`, r.ID); err == nil {
		t.Fatal("rev1 removed the request's needs")
	}
	got, err = vote(s2, rev2)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != approval.Approved || got.Answer == nil || got.Answer.Principal != rev1+", "+rev2 {
		t.Fatalf("after both: %s %+v", got.Status, got.Answer)
	}

	// Named approvers: a reviewer the rule does not name cannot approve,
	// even through a plain answer.
	r2 := approvaltest.Record("git push --force", now, time.Hour)
	r2.Needs = &action.ApprovalNeeds{Quorum: 1, Approvers: []string{rev2}}
	if err := agent.Create(ctx, r2); err != nil {
		t.Fatal(err)
	}
	if _, err := s1.Answer(ctx, r2.ID, approval.Answer{Approve: true, Approver: rev2, Principal: rev2, Channel: "cli", Time: time.Now()}); err == nil {
		t.Fatal("a reviewer the rule does not name approved")
	}
	if p, err := s2.Principal(ctx); err != nil || p != rev2 {
		t.Fatalf("Principal = %q, %v", p, err)
	}
	if got, err := s2.Answer(ctx, r2.ID, approval.Answer{Approve: true, Approver: rev2, Principal: rev2, Channel: "cli", Time: time.Now()}); err != nil || got.Status != approval.Approved {
		t.Fatalf("the named approver: %+v, %v", got, err)
	}
}
