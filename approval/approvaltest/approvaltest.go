// Package approvaltest is the contract every approval.Store and
// approval.Outbox implementation must meet (the SQLite store runs it; a
// PostgreSQL store must too): life cycle, exactly-once transitions under
// concurrency, single use, expiry, grants and the outbox's leases.
package approvaltest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/approval"
)

// Open returns a fresh, empty store; it is called once per subtest.
// The outbox may be nil when the store has none.
type Open func(t *testing.T) (approval.Store, approval.Outbox)

// Run runs the contract against stores made by open.
func Run(t *testing.T, open Open) {
	tests := []struct {
		name string
		fn   func(*testing.T, approval.Store, approval.Outbox)
	}{
		{"CreateGet", testCreateGet},
		{"AnswerOnce", testAnswerOnce},
		{"AnswerAfterDeadline", testAnswerAfterDeadline},
		{"ExpireThenAnswer", testExpireThenAnswer},
		{"ExpireDue", testExpireDue},
		{"UseOnce", testUseOnce},
		{"List", testList},
		{"Grants", testGrants},
		{"Purge", testPurge},
		{"ConcurrentAnswers", testConcurrentAnswers},
		{"ConcurrentUse", testConcurrentUse},
		{"Outbox", testOutbox},
		{"Quorum", testQuorum},
		{"QuorumOnePrincipal", testQuorumOnePrincipal},
		{"QuorumLate", testQuorumLate},
		{"QuorumNotByAnswer", testQuorumNotByAnswer},
		{"ConcurrentVotes", testConcurrentVotes},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, o := open(t)
			t.Cleanup(func() { s.Close() })
			tt.fn(t, s, o)
		})
	}
}

// base is a fixed time far from any real clock, so that stores must use the
// times they are given.
var base = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

var idSeq atomic.Int64

// Record returns a pending record for command, created at created with the
// given time to live.
func Record(command string, created time.Time, ttl time.Duration) *approval.Record {
	req := &action.Request{Surface: "hook", Agent: "claude", Session: "s1", Cwd: "/work", Input: command, Time: created,
		Parts: []action.Part{{Text: command, Views: []action.Argv{action.ParseArgv([]string{"sh", "-c", command})},
			Facets: []action.Action{{Kind: action.ShellExecute, Command: command, Program: "sh"}}}}}
	return &approval.Record{
		ID: fmt.Sprintf("t%09d", idSeq.Add(1)), Hash: approval.Bind(req, "sha256:p"), Created: created,
		Deadline: created.Add(ttl), Surface: req.Surface, Agent: req.Agent, Session: req.Session, Cwd: req.Cwd,
		Input: command, Parts: []approval.PartSummary{{Text: command, Actions: []string{"shell.execute"}}},
		Rule: &action.RuleRef{Name: "ask rule", Source: "p.yaml:3"}, Reason: "needs a person", PolicyHash: "sha256:p",
		Requester: "test", Request: req,
	}
}

func create(t *testing.T, s approval.Store, command string, created time.Time, ttl time.Duration) *approval.Record {
	t.Helper()
	r := Record(command, created, ttl)
	if err := s.Create(context.Background(), r); err != nil {
		t.Fatalf("Create: %v", err)
	}
	return r
}

func answer(ok bool, at time.Time) approval.Answer {
	a := approval.Answer{Approve: ok, Approver: "alice", Channel: "cli", Time: at, Reason: "test"}
	if ok {
		a.Scope = approval.Once
	}
	return a
}

func notPending(t *testing.T, err error, want approval.Status, expiredNow bool) {
	t.Helper()
	var np *approval.NotPendingError
	if !errors.As(err, &np) {
		t.Fatalf("error %v, want a NotPendingError", err)
	}
	if np.Status != want || np.Expired != expiredNow {
		t.Fatalf("NotPendingError{Status: %s, Expired: %v}, want {%s, %v}", np.Status, np.Expired, want, expiredNow)
	}
}

func testCreateGet(t *testing.T, s approval.Store, _ approval.Outbox) {
	ctx := context.Background()
	r := create(t, s, "npm run dev 'a b' \u202e", base, time.Minute)
	got, err := s.Get(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != approval.Pending || got.Hash != r.Hash || got.Input != r.Input || !got.Deadline.Equal(r.Deadline) ||
		!got.Created.Equal(r.Created) || got.Rule == nil || got.Rule.Name != "ask rule" || got.Answer != nil || !got.Used.IsZero() {
		t.Fatalf("Get = %+v, want the created record", got)
	}
	if got.Request == nil || approval.Bind(got.Request, got.PolicyHash) != r.Hash {
		t.Fatal("the stored request does not bind to the record's hash")
	}
	if _, err := s.Get(ctx, "nope"); !errors.Is(err, approval.ErrNotFound) {
		t.Fatalf("Get(unknown) error = %v, want ErrNotFound", err)
	}
	if err := s.Create(ctx, r); err == nil {
		t.Fatal("Create with a duplicate id succeeded")
	}
}

func testAnswerOnce(t *testing.T, s approval.Store, _ approval.Outbox) {
	ctx := context.Background()
	r := create(t, s, "ls", base, time.Minute)
	got, err := s.Answer(ctx, r.ID, answer(true, base.Add(time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != approval.Approved || got.Answer == nil || got.Answer.Approver != "alice" || got.Answer.Scope != approval.Once {
		t.Fatalf("after Answer: %+v", got)
	}
	_, err = s.Answer(ctx, r.ID, answer(false, base.Add(2*time.Second)))
	notPending(t, err, approval.Approved, false)
	if _, did, err := s.Expire(ctx, r.ID, answer(false, base.Add(3*time.Second))); err != nil || did {
		t.Fatalf("Expire of an approved record: did=%v err=%v", did, err)
	}
	if got, _ := s.Get(ctx, r.ID); got.Status != approval.Approved {
		t.Fatalf("status %s after a late expiry, want approved", got.Status)
	}
	if _, err := s.Answer(ctx, "nope", answer(true, base)); !errors.Is(err, approval.ErrNotFound) {
		t.Fatalf("Answer(unknown) = %v, want ErrNotFound", err)
	}
}

func testAnswerAfterDeadline(t *testing.T, s approval.Store, _ approval.Outbox) {
	ctx := context.Background()
	r := create(t, s, "ls", base, time.Minute)
	_, err := s.Answer(ctx, r.ID, answer(true, base.Add(time.Minute)))
	notPending(t, err, approval.Expired, true)
	got, _ := s.Get(ctx, r.ID)
	if got.Status != approval.Expired || got.Answer == nil || got.Answer.Approve {
		t.Fatalf("after a late answer: %+v", got)
	}
	// The next late answer reports the expiry without having caused it.
	_, err = s.Answer(ctx, r.ID, answer(true, base.Add(2*time.Minute)))
	notPending(t, err, approval.Expired, false)
	if err := s.Use(ctx, r.ID, r.Hash, base.Add(3*time.Minute)); !errors.Is(err, approval.ErrUsed) {
		t.Fatalf("Use of an expired record = %v, want ErrUsed", err)
	}
}

func testExpireThenAnswer(t *testing.T, s approval.Store, _ approval.Outbox) {
	ctx := context.Background()
	r := create(t, s, "ls", base, time.Hour)
	got, did, err := s.Expire(ctx, r.ID, approval.Answer{Approver: "timeout", Channel: "cancel", Time: base.Add(time.Second)})
	if err != nil || !did || got.Status != approval.Expired {
		t.Fatalf("Expire: %+v did=%v err=%v", got, did, err)
	}
	if _, did, _ := s.Expire(ctx, r.ID, approval.Answer{Approver: "timeout", Channel: "cancel", Time: base.Add(time.Second)}); did {
		t.Fatal("a second Expire reported that it expired the record")
	}
	_, err = s.Answer(ctx, r.ID, answer(true, base.Add(2*time.Second)))
	notPending(t, err, approval.Expired, false)
}

func testExpireDue(t *testing.T, s approval.Store, _ approval.Outbox) {
	ctx := context.Background()
	due := create(t, s, "a", base, time.Minute)
	later := create(t, s, "b", base, time.Hour)
	done := create(t, s, "c", base, time.Minute)
	if _, err := s.Answer(ctx, done.ID, answer(false, base.Add(time.Second))); err != nil {
		t.Fatal(err)
	}
	got, err := s.ExpireDue(ctx, base.Add(time.Minute), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != due.ID || got[0].Status != approval.Expired {
		t.Fatalf("ExpireDue = %+v, want only %s", got, due.ID)
	}
	if again, _ := s.ExpireDue(ctx, base.Add(time.Minute), 0); len(again) != 0 {
		t.Fatalf("second ExpireDue = %d records, want none", len(again))
	}
	if r, _ := s.Get(ctx, later.ID); r.Status != approval.Pending {
		t.Fatalf("record before its deadline is %s", r.Status)
	}
	if r, _ := s.Get(ctx, done.ID); r.Status != approval.Denied {
		t.Fatalf("answered record is %s after ExpireDue", r.Status)
	}

	// A bound: the most overdue first, no more than asked.
	var overdue []*approval.Record
	for i := range 5 {
		overdue = append(overdue, create(t, s, fmt.Sprintf("d%d", i), base.Add(time.Duration(5-i)*time.Second), time.Minute))
	}
	got, err = s.ExpireDue(ctx, base.Add(time.Hour), 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != overdue[4].ID || got[1].ID != overdue[3].ID {
		t.Fatalf("ExpireDue(max 2) = %d records, want the two most overdue", len(got))
	}
	if rest, _ := s.ExpireDue(ctx, base.Add(time.Hour), 0); len(rest) != 4 {
		t.Fatalf("the rest: %d records, want 4 (3 of these and %s)", len(rest), later.ID)
	}
}

func testUseOnce(t *testing.T, s approval.Store, _ approval.Outbox) {
	ctx := context.Background()
	r := create(t, s, "ls", base, time.Minute)
	if err := s.Use(ctx, r.ID, r.Hash, base); !errors.Is(err, approval.ErrUsed) {
		t.Fatalf("Use of a pending record = %v, want ErrUsed", err)
	}
	if _, err := s.Answer(ctx, r.ID, answer(true, base.Add(time.Second))); err != nil {
		t.Fatal(err)
	}
	other := Record("rm -rf ~", base, time.Minute)
	if err := s.Use(ctx, r.ID, other.Hash, base); !errors.Is(err, approval.ErrUsed) {
		t.Fatalf("Use with another request's hash = %v, want ErrUsed", err)
	}
	if err := s.Use(ctx, r.ID, r.Hash, base.Add(2*time.Second)); err != nil {
		t.Fatalf("Use: %v", err)
	}
	if err := s.Use(ctx, r.ID, r.Hash, base.Add(3*time.Second)); !errors.Is(err, approval.ErrUsed) {
		t.Fatalf("second Use = %v, want ErrUsed", err)
	}
	if got, _ := s.Get(ctx, r.ID); !got.Used.Equal(base.Add(2 * time.Second)) {
		t.Fatalf("Used = %v", got.Used)
	}
	d := create(t, s, "ls", base, time.Minute)
	if _, err := s.Answer(ctx, d.ID, answer(false, base.Add(time.Second))); err != nil {
		t.Fatal(err)
	}
	if err := s.Use(ctx, d.ID, d.Hash, base); !errors.Is(err, approval.ErrUsed) {
		t.Fatalf("Use of a denied record = %v, want ErrUsed", err)
	}
}

func testList(t *testing.T, s approval.Store, _ approval.Outbox) {
	ctx := context.Background()
	a := create(t, s, "a", base, time.Hour)
	b := create(t, s, "b", base.Add(time.Second), time.Hour)
	c := create(t, s, "a", base.Add(2*time.Second), time.Hour)
	if _, err := s.Answer(ctx, b.ID, answer(false, base.Add(3*time.Second))); err != nil {
		t.Fatal(err)
	}
	ids := func(rs []*approval.Record) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}
	check := func(f approval.Filter, want ...string) {
		t.Helper()
		got, err := s.List(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(ids(got)) != fmt.Sprint(want) {
			t.Errorf("List(%+v) = %v, want %v", f, ids(got), want)
		}
	}
	check(approval.Filter{}, c.ID, b.ID, a.ID)
	check(approval.Filter{Status: []approval.Status{approval.Pending}}, c.ID, a.ID)
	check(approval.Filter{Status: []approval.Status{approval.Denied, approval.Approved}}, b.ID)
	check(approval.Filter{Hash: a.Hash}, c.ID, a.ID)
	check(approval.Filter{Since: base.Add(time.Second)}, c.ID, b.ID)
	check(approval.Filter{Limit: 1}, c.ID)
}

// sessionApproved files a request for command and approves it for the
// session: what a grant stands on (a store may check that it does).
func sessionApproved(t *testing.T, s approval.Store, command string) *approval.Record {
	t.Helper()
	r := Record(command, base, time.Hour)
	if err := s.Create(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	a := answer(true, base.Add(time.Second))
	a.Scope = approval.Session
	got, err := s.Answer(context.Background(), r.ID, a)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func testGrants(t *testing.T, s approval.Store, _ approval.Outbox) {
	ctx := context.Background()
	r1 := sessionApproved(t, s, "npm run dev")
	g := approval.Grant{Hash: r1.Hash, RequestID: r1.ID, Approver: "alice", Channel: "cli", Created: base, Expires: base.Add(time.Hour)}
	if _, err := s.FindGrant(ctx, g.Hash, base); !errors.Is(err, approval.ErrNotFound) {
		t.Fatalf("FindGrant before PutGrant = %v, want ErrNotFound", err)
	}
	if err := s.PutGrant(ctx, g); err != nil {
		t.Fatal(err)
	}
	got, err := s.FindGrant(ctx, g.Hash, base.Add(time.Minute))
	if err != nil || got.RequestID != r1.ID || got.Approver != "alice" {
		t.Fatalf("FindGrant = %+v, %v", got, err)
	}
	if _, err := s.FindGrant(ctx, g.Hash, base.Add(time.Hour)); !errors.Is(err, approval.ErrNotFound) {
		t.Fatalf("FindGrant after expiry = %v, want ErrNotFound", err)
	}
	if _, err := s.FindGrant(ctx, "sha256:other", base); !errors.Is(err, approval.ErrNotFound) {
		t.Fatalf("FindGrant(other hash) = %v, want ErrNotFound", err)
	}
	r2 := sessionApproved(t, s, "npm run dev") // the same request, approved again
	g.RequestID, g.Expires = r2.ID, base.Add(2*time.Hour)
	if err := s.PutGrant(ctx, g); err != nil {
		t.Fatal(err)
	}
	if got, err := s.FindGrant(ctx, g.Hash, base.Add(90*time.Minute)); err != nil || got.RequestID != r2.ID {
		t.Fatalf("replaced grant = %+v, %v", got, err)
	}
}

func testPurge(t *testing.T, s approval.Store, _ approval.Outbox) {
	ctx := context.Background()
	old := create(t, s, "a", base, time.Minute)
	pending := create(t, s, "b", base, 48*time.Hour)
	recent := create(t, s, "c", base.Add(24*time.Hour), time.Minute)
	for _, r := range []*approval.Record{old, recent} {
		if _, err := s.Answer(ctx, r.ID, answer(false, r.Created.Add(time.Second))); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.Purge(ctx, base.Add(time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("Purge = %d, %v; want 1", n, err)
	}
	if _, err := s.Get(ctx, old.ID); !errors.Is(err, approval.ErrNotFound) {
		t.Fatal("purged record still there")
	}
	for _, r := range []*approval.Record{pending, recent} {
		if _, err := s.Get(ctx, r.ID); err != nil {
			t.Fatalf("Purge removed %s: %v", r.ID, err)
		}
	}
}

func testConcurrentAnswers(t *testing.T, s approval.Store, _ approval.Outbox) {
	ctx := context.Background()
	r := create(t, s, "ls", base, time.Hour)
	const n = 12
	var wins atomic.Int32
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Answer(ctx, r.ID, answer(i%2 == 0, base.Add(time.Second)))
			var np *approval.NotPendingError
			switch {
			case err == nil:
				wins.Add(1)
			case !errors.As(err, &np):
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent Answer: %v", err)
	}
	if wins.Load() != 1 {
		t.Fatalf("%d answers took effect, want exactly 1", wins.Load())
	}
}

func testConcurrentUse(t *testing.T, s approval.Store, _ approval.Outbox) {
	ctx := context.Background()
	r := create(t, s, "ls", base, time.Hour)
	if _, err := s.Answer(ctx, r.ID, answer(true, base.Add(time.Second))); err != nil {
		t.Fatal(err)
	}
	const n = 12
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.Use(ctx, r.ID, r.Hash, base.Add(2*time.Second))
			if err == nil {
				wins.Add(1)
			} else if !errors.Is(err, approval.ErrUsed) {
				t.Errorf("concurrent Use: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("approval used %d times, want exactly once", wins.Load())
	}
}

func testOutbox(t *testing.T, _ approval.Store, o approval.Outbox) {
	if o == nil {
		t.Skip("store has no outbox")
	}
	ctx := context.Background()
	ev := approval.Event{Type: approval.EventRequested, ID: "r1", Input: "npm run dev", Time: base}
	var ns []approval.Notification
	for _, target := range []string{"a", "b", "c"} {
		ns = append(ns, approval.Notification{Target: target, Event: ev, Created: base})
	}
	if err := o.Enqueue(ctx, ns); err != nil {
		t.Fatal(err)
	}
	if q, _ := o.Queued(ctx); q != 3 {
		t.Fatalf("Queued = %d, want 3", q)
	}
	first, err := o.Claim(ctx, base, time.Minute, 2)
	if err != nil || len(first) != 2 {
		t.Fatalf("Claim = %d, %v; want 2", len(first), err)
	}
	if first[0].Target != "a" || first[0].Attempts != 1 || first[0].Event.Input != "npm run dev" || first[0].Event.Type != approval.EventRequested {
		t.Fatalf("claimed %+v", first[0])
	}
	second, _ := o.Claim(ctx, base, time.Minute, 10)
	if len(second) != 1 || second[0].Target != "c" {
		t.Fatalf("second Claim = %+v, want only c (a and b are leased)", second)
	}
	if none, _ := o.Claim(ctx, base.Add(time.Second), time.Minute, 10); len(none) != 0 {
		t.Fatalf("Claim while everything is leased = %d", len(none))
	}
	// a is sent, b fails and retries later, c's process dies (lease runs out).
	if err := o.Finish(ctx, first[0].ID, approval.Delivery{Time: base, Sent: true}); err != nil {
		t.Fatal(err)
	}
	if err := o.Finish(ctx, first[1].ID, approval.Delivery{Time: base, Next: base.Add(10 * time.Minute), Error: "503"}); err != nil {
		t.Fatal(err)
	}
	got, _ := o.Claim(ctx, base.Add(2*time.Minute), time.Minute, 10)
	if len(got) != 1 || got[0].Target != "c" || got[0].Attempts != 2 {
		t.Fatalf("Claim after the lease ran out = %+v, want c on attempt 2", got)
	}
	if err := o.Finish(ctx, got[0].ID, approval.Delivery{Time: base, GiveUp: true, Error: "404"}); err != nil {
		t.Fatal(err)
	}
	got, _ = o.Claim(ctx, base.Add(10*time.Minute), time.Minute, 10)
	if len(got) != 1 || got[0].Target != "b" || got[0].Attempts != 2 {
		t.Fatalf("Claim after the retry time = %+v, want b on attempt 2", got)
	}
	if err := o.Finish(ctx, got[0].ID, approval.Delivery{Time: base, Sent: true}); err != nil {
		t.Fatal(err)
	}
	if q, _ := o.Queued(ctx); q != 0 {
		t.Fatalf("Queued = %d after every delivery finished, want 0", q)
	}
}

// quorumRecord is a pending record that needs n distinct approvers.
func quorumRecord(t *testing.T, s approval.Store, command string, n int) *approval.Record {
	t.Helper()
	r := Record(command, base, time.Minute)
	r.Needs = &action.ApprovalNeeds{Quorum: n}
	if err := s.Create(context.Background(), r); err != nil {
		t.Fatalf("Create: %v", err)
	}
	return r
}

func vote(principal string, scope approval.Scope, at time.Time) approval.Answer {
	return approval.Answer{Approve: true, Scope: scope, Approver: principal + " (tty)", Principal: principal, Channel: "cli", Time: at}
}

// authenticated reports whether s names principals itself (a database
// role): every vote from this test's connection is then one principal's.
func authenticated(s approval.Store) bool {
	_, ok := s.(approval.Authenticator)
	return ok
}

func testQuorum(t *testing.T, s approval.Store, _ approval.Outbox) {
	if authenticated(s) {
		t.Skip("the store names the principal itself: one connection is one approver (see QuorumOnePrincipal)")
	}
	ctx := context.Background()
	r := quorumRecord(t, s, "kubectl apply -f prod.yaml", 2)
	got, err := s.Vote(ctx, r.ID, vote("alice", approval.Session, base.Add(time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != approval.Pending || len(got.Votes) != 1 || got.Votes[0].Principal != "alice" || got.Answer != nil {
		t.Fatalf("after one vote of two: %+v", got)
	}
	if got.Needs == nil || got.Needs.Quorum != 2 {
		t.Fatalf("needs not kept: %+v", got.Needs)
	}
	// The same principal under another display name counts once.
	a := vote("alice", approval.Once, base.Add(2*time.Second))
	a.Approver = "someone else"
	if _, err := s.Vote(ctx, r.ID, a); !errors.Is(err, approval.ErrVoted) {
		t.Fatalf("second vote by alice: %v, want ErrVoted", err)
	}
	got, err = s.Vote(ctx, r.ID, vote("bob", approval.Once, base.Add(3*time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != approval.Approved || got.Answer == nil || !got.Answer.Approve || got.Answer.Scope != approval.Once ||
		len(got.Votes) != 2 || got.Answer.Principal != "alice, bob" {
		t.Fatalf("after the quorum: %+v answer %+v", got, got.Answer)
	}
	if _, err := s.Vote(ctx, r.ID, vote("carol", approval.Once, base.Add(4*time.Second))); err == nil {
		t.Fatal("a vote on an approved record succeeded")
	}
	if err := s.Use(ctx, r.ID, r.Hash, base.Add(5*time.Second)); err != nil {
		t.Fatalf("Use after the quorum: %v", err)
	}

	// A deny from anyone ends it at once.
	r2 := quorumRecord(t, s, "kubectl delete ns prod", 2)
	if _, err := s.Vote(ctx, r2.ID, vote("alice", approval.Once, base.Add(time.Second))); err != nil {
		t.Fatal(err)
	}
	got, err = s.Answer(ctx, r2.ID, answer(false, base.Add(2*time.Second)))
	if err != nil || got.Status != approval.Denied {
		t.Fatalf("deny after one vote: %+v %v", got, err)
	}
	if err := s.Use(ctx, r2.ID, r2.Hash, base.Add(3*time.Second)); !errors.Is(err, approval.ErrUsed) {
		t.Fatalf("Use of a denied record: %v", err)
	}
}

// testQuorumOnePrincipal is invariant I12: one approver sending two
// approvals under different names does not make a quorum of two.
func testQuorumOnePrincipal(t *testing.T, s approval.Store, _ approval.Outbox) {
	ctx := context.Background()
	r := quorumRecord(t, s, "terraform apply", 2)
	first, second := vote("alice", approval.Once, base.Add(time.Second)), vote("alice", approval.Once, base.Add(2*time.Second))
	second.Approver = "mallory"
	if authenticated(s) {
		second.Principal = "mallory" // a name the client chose: the store must not count it
	}
	if _, err := s.Vote(ctx, r.ID, first); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Vote(ctx, r.ID, second); !errors.Is(err, approval.ErrVoted) {
		t.Fatalf("second vote from the same approver: %v, want ErrVoted", err)
	}
	if got, _ := s.Get(ctx, r.ID); got.Status != approval.Pending || len(got.Votes) != 1 {
		t.Fatalf("one approver made a quorum of two: %+v", got)
	}
}

// testQuorumNotByAnswer: a request that needs a quorum is approved only by
// votes. A plain approving answer (one approver settling it, as an older
// or a careless client would send) fails and leaves it pending, before any
// vote and after one; a denial still ends it.
func testQuorumNotByAnswer(t *testing.T, s approval.Store, _ approval.Outbox) {
	ctx := context.Background()
	r := quorumRecord(t, s, "helm upgrade prod", 2)
	a := answer(true, base.Add(time.Second))
	a.Principal = "alice"
	if got, err := s.Answer(ctx, r.ID, a); err == nil {
		t.Fatalf("a plain approval settled a request that needs 2 approvers: %+v", got)
	}
	if _, err := s.Vote(ctx, r.ID, vote("alice", approval.Once, base.Add(2*time.Second))); err != nil {
		t.Fatal(err)
	}
	a.Time = base.Add(3 * time.Second)
	if got, err := s.Answer(ctx, r.ID, a); err == nil {
		t.Fatalf("a plain approval after one vote of 2 settled the request: %+v", got)
	}
	got, err := s.Get(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != approval.Pending || got.Answer != nil || len(got.Votes) != 1 {
		t.Fatalf("after refused approvals: status %s, answer %+v, %d votes", got.Status, got.Answer, len(got.Votes))
	}
	if err := s.Use(ctx, r.ID, r.Hash, base.Add(4*time.Second)); !errors.Is(err, approval.ErrUsed) {
		t.Fatalf("Use of a request short of its quorum: %v, want ErrUsed", err)
	}
	if got, err := s.Answer(ctx, r.ID, answer(false, base.Add(5*time.Second))); err != nil || got.Status != approval.Denied {
		t.Fatalf("a denial: %+v, %v", got, err)
	}
}

func testQuorumLate(t *testing.T, s approval.Store, _ approval.Outbox) {
	ctx := context.Background()
	r := quorumRecord(t, s, "rm -rf build", 2)
	_, err := s.Vote(ctx, r.ID, vote("alice", approval.Once, base.Add(2*time.Minute)))
	notPending(t, err, approval.Expired, true)
}

func testConcurrentVotes(t *testing.T, s approval.Store, _ approval.Outbox) {
	if authenticated(s) {
		t.Skip("one connection is one approver")
	}
	ctx := context.Background()
	r := quorumRecord(t, s, "make release", 3)
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.Vote(ctx, r.ID, vote(fmt.Sprintf("p%d", i%4), approval.Once, base.Add(time.Second)))
		}()
	}
	wg.Wait()
	got, err := s.Get(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, v := range got.Votes {
		if seen[v.Principal] {
			t.Fatalf("principal %s counted twice: %+v", v.Principal, got.Votes)
		}
		seen[v.Principal] = true
	}
	if got.Status != approval.Approved || len(got.Votes) != 3 {
		t.Fatalf("after concurrent votes of 4 principals: status %s, %d votes (errors %v)", got.Status, len(got.Votes), errs)
	}
}
