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

// TestFleetGuardRefusesForgery: the roles of docs/fleet.md may insert and
// update approval rows, so the guard must hold every way around the vote:
// an agent host inserting a request that is approved already (or carries
// votes), a reviewer replaying or rebinding a quorum's approval, an agent
// host making a used approval usable again, and a grant that no approved
// session request stands behind.
func TestFleetGuardRefusesForgery(t *testing.T) {
	schema := newSchema(t)
	db := openDB(t, schema)
	ctx := context.Background()
	rev1, rev2 := "safeclaw_rev1_"+schema, "safeclaw_rev2_"+schema
	s1 := loginRole(t, db, schema, rev1, true)
	s2 := loginRole(t, db, schema, rev2, true)
	agent := loginRole(t, db, schema, "safeclaw_agent_"+schema, false)
	now := time.Now()
	far := now.Add(time.Hour).UnixNano()

	refused := func(who *Approvals, what, sql string, args ...any) {
		t.Helper()
		_, err := who.db.pool.Exec(ctx, sql, args...)
		if err == nil {
			t.Errorf("%s: the guard let it through", what)
			return
		}
		t.Logf("%s: refused: %v", what, err)
	}
	insert := `INSERT INTO approval_requests (id, hash, status, created_ns, deadline_ns, input, parts_json, request_json,
		answer_json, used_ns, needs_json, votes_json) VALUES ($1, 'sha256:forged', $2, $3, $4, 'x', '[]', '{}', $5, 0, $6, $7)`
	refused(agent, "an agent host inserted an approved request", insert, "forged1", "approved", now.UnixNano(), far,
		`{"approve":true,"scope":"session","approver":"x","channel":"cli"}`, "", "")
	refused(agent, "an agent host inserted a request with another role's vote", insert, "forged2", "pending", now.UnixNano(), far,
		"", `{"quorum":2}`, fmt.Sprintf(`[{"approve":true,"principal":%q}]`, rev1))

	// Needs that do not read as needs would fail every later answer, even
	// the expiry.
	for i, needs := range []string{"garbage", `{"quorum":"2"}`, `{"quorum":0}`, `{"quorum":1.5}`, `[2]`, `{"quorum":2,"approvers":"alice"}`} {
		refused(agent, "an agent host filed needs "+needs, insert, fmt.Sprint("bad", i), "pending", now.UnixNano(), far, "", needs, "")
	}

	// A quorum both reviewers approved for the session.
	r := approvaltest.Record("kubectl apply -f prod.yaml", now, time.Hour)
	r.Needs = &action.ApprovalNeeds{Quorum: 2, Approvers: []string{rev1, rev2}}
	if err := agent.Create(ctx, r); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Approvals{s1, s2} {
		if _, err := s.Vote(ctx, r.ID, approval.Answer{Approve: true, Scope: approval.Session, Approver: "me", Channel: "cli", Time: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	if err := agent.Use(ctx, r.ID, r.Hash, time.Now()); err != nil {
		t.Fatal(err)
	}
	refused(agent, "an agent host made a used approval usable again", `UPDATE approval_requests SET used_ns = 0 WHERE id = $1`, r.ID)
	refused(s1, "one reviewer reopened an approved quorum", `UPDATE approval_requests SET status = 'pending' WHERE id = $1`, r.ID)
	refused(s1, "one reviewer rebound an approved quorum to another request", `UPDATE approval_requests SET hash = 'sha256:other' WHERE id = $1`, r.ID)
	refused(s1, "one reviewer rewrote an approved quorum's request", `UPDATE approval_requests SET request_json = '{}' WHERE id = $1`, r.ID)
	refused(agent, "an agent host rewrote an answer", `UPDATE approval_requests SET answer_json = $1 WHERE id = $2`,
		`{"approve":true,"scope":"session","approver":"x","channel":"cli","time":"2030-01-01T00:00:00Z"}`, r.ID)

	grant := func(s *Approvals, hash, id string) error {
		return s.PutGrant(ctx, approval.Grant{Hash: hash, RequestID: id, Approver: "x", Channel: "cli", Created: now, Expires: now.Add(time.Hour)})
	}
	if err := grant(agent, r.Hash, r.ID); err == nil {
		t.Error("an agent host wrote a session grant")
	} else {
		t.Logf("an agent host's grant: refused: %v", err)
	}
	// One reviewer, alone: a grant for a request still waiting for the
	// second approval, or for another request than the approved one.
	p := approvaltest.Record("kubectl delete ns prod", now, time.Hour)
	p.Needs = &action.ApprovalNeeds{Quorum: 2}
	if err := agent.Create(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := grant(s1, p.Hash, p.ID); err == nil {
		t.Error("one reviewer granted a pending quorum request for the session")
	}
	if err := grant(s1, p.Hash, r.ID); err == nil {
		t.Error("one reviewer granted a request under another request's approval")
	}
	if err := grant(s1, r.Hash, r.ID); err != nil {
		t.Errorf("the grant of the approved session quorum: %v", err)
	}
}
