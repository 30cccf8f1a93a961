package approval_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/approval"
)

func quorumDecision(n int, approvers ...string) action.Decision {
	d := askDecision
	d.Approval = &action.ApprovalNeeds{Quorum: n, Approvers: approvers}
	return d
}

func answerAs(principal string, scope approval.Scope) approval.Answer {
	return approval.Answer{Approve: true, Scope: scope, Approver: principal + " (/dev/pts/3)", Principal: principal, Channel: "cli"}
}

// TestQuorumLifeCycle: a request that needs two people waits through the
// first approval, counts one person once (I12), and runs after the second.
func TestQuorumLifeCycle(t *testing.T) {
	ctx := context.Background()
	ev := &events{}
	m := newManager(t, openSQLite(t), ev, nil)
	req := shellRequest("s1", "kubectl", "apply", "-f", "prod.yaml")
	ch := make(chan askResult, 1)
	go func() {
		out, err := m.Ask(ctx, req, quorumDecision(2), approval.AskOptions{Timeout: 30 * time.Second})
		ch <- askResult{out, err}
	}()
	r := pendingFor(t, m, req.Input)
	if r.Needs == nil || r.Needs.Quorum != 2 {
		t.Fatalf("record needs %+v", r.Needs)
	}
	if !strings.Contains(approval.Render(r, time.Now()), "Needs:     approvals from 2 different people (0 so far)") {
		t.Errorf("render does not say what is needed:\n%s", approval.Render(r, time.Now()))
	}
	got, err := m.Answer(ctx, r.ID, answerAs("alice", approval.Session))
	if err != nil || got.Status != approval.Pending || len(got.Votes) != 1 {
		t.Fatalf("first approval: %+v, %v", got, err)
	}
	// The same person again, under another name: still one approval.
	again := answerAs("alice", approval.Once)
	again.Approver = "root"
	if _, err := m.Answer(ctx, r.ID, again); !errors.Is(err, approval.ErrVoted) {
		t.Fatalf("second approval by alice: %v, want ErrVoted", err)
	}
	select {
	case res := <-ch:
		t.Fatalf("the request ran after one approval of two: %+v", res.out)
	case <-time.After(100 * time.Millisecond):
	}
	if _, err := m.Answer(ctx, r.ID, answerAs("bob", approval.Session)); err != nil {
		t.Fatal(err)
	}
	res := <-ch
	if res.err != nil || res.out.Effect != action.Allow || res.out.Approver() != "alice (/dev/pts/3) + bob (/dev/pts/3)" {
		t.Fatalf("Ask = %+v (%v), want allow by alice and bob", res.out, res.err)
	}
	types := ev.types(r.ID)
	if !slices.Contains(types, "voted") || !slices.Contains(types, "approved") || !slices.Contains(types, "used") {
		t.Errorf("events %v, want voted, approved and used", types)
	}
	// Both approved for the session: the grant covers the same request.
	if out, ok, err := m.Redeem(ctx, req, quorumDecision(2)); err != nil || !ok || out.Via != approval.ViaSession {
		t.Errorf("session grant after a session quorum: %+v %v %v", out, ok, err)
	}
}

func TestQuorumNarrowestScope(t *testing.T) {
	ctx := context.Background()
	m := newManager(t, openSQLite(t), &events{}, nil)
	req := shellRequest("s1", "terraform", "apply")
	r, err := m.Submit(ctx, req, quorumDecision(2))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Answer(ctx, r.ID, answerAs("alice", approval.Session)); err != nil {
		t.Fatal(err)
	}
	got, err := m.Answer(ctx, r.ID, answerAs("bob", approval.Once))
	if err != nil || got.Status != approval.Approved || got.Answer.Scope != approval.Once {
		t.Fatalf("after alice (session) and bob (once): %+v %v", got.Answer, err)
	}
	if _, ok, _ := m.Redeem(ctx, req, quorumDecision(2)); !ok {
		t.Fatal("the approval was not usable once")
	}
	if _, ok, _ := m.Redeem(ctx, req, quorumDecision(2)); ok {
		t.Fatal("a once-approval became a session grant")
	}
}

func TestApproversEnforced(t *testing.T) {
	ctx := context.Background()
	m := newManager(t, openSQLite(t), &events{}, func(c *approval.Config) {
		c.Always = func(context.Context, *approval.Record, approval.Answer) error { return nil }
	})
	r, err := m.Submit(ctx, shellRequest("s1", "git", "push", "--force"), quorumDecision(1, "ops", "lead"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		a    approval.Answer
		want string
	}{
		{"not an approver", answerAs("dev", approval.Once), "dev may not approve"},
		{"no principal", approval.Answer{Approve: true, Approver: "ops", Channel: "webhook"}, "does not say who you are"},
		{"always", answerAs("ops", approval.Always), "cannot be approved always"},
	}
	for _, tt := range tests {
		if _, err := m.Answer(ctx, r.ID, tt.a); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
	if got, _ := m.Get(ctx, r.ID); got.Status != approval.Pending {
		t.Fatalf("refused answers changed the record: %s", got.Status)
	}
	// Anyone may deny: refusing is always safe.
	got, err := m.Answer(ctx, r.ID, approval.Answer{Approve: false, Approver: "dev", Principal: "dev", Channel: "cli"})
	if err != nil || got.Status != approval.Denied {
		t.Fatalf("deny by a non-approver: %+v %v", got, err)
	}
	r2, _ := m.Submit(ctx, shellRequest("s1", "git", "push", "origin"), quorumDecision(1, "ops", "lead"))
	got, err = m.Answer(ctx, r2.ID, answerAs("lead", approval.Once))
	if err != nil || got.Status != approval.Approved {
		t.Fatalf("approval by a listed approver: %+v %v", got, err)
	}
}

func TestImpossibleNeedsAreNotFiled(t *testing.T) {
	m := newManager(t, openSQLite(t), &events{}, nil)
	d := askDecision
	d.Approval = &action.ApprovalNeeds{Quorum: 1, None: true}
	if _, err := m.Submit(context.Background(), shellRequest("", "ls"), d); err == nil {
		t.Fatal("a request nobody can approve was filed")
	}
}

func TestDescribeNeeds(t *testing.T) {
	tests := []struct {
		n    *action.ApprovalNeeds
		want string
	}{
		{nil, "one approval"},
		{&action.ApprovalNeeds{Quorum: 2}, "approvals from 2 different people"},
		{&action.ApprovalNeeds{Quorum: 1, Approvers: []string{"ops"}}, "an approval by ops"},
		{&action.ApprovalNeeds{Quorum: 2, Approvers: []string{"a", "b", "c"}}, "approvals from 2 different people among a, b and c"},
	}
	for _, tt := range tests {
		if got := approval.DescribeNeeds(tt.n); got != tt.want {
			t.Errorf("DescribeNeeds(%+v) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

// TestEarlierApprovalMustMeetTheNeeds: an approval, session grant or
// pending request filed under weaker needs (a layer that named no quorum
// when it was given, or a row an agent wrote into the store) never stands
// in for a request whose rules now need a quorum or named approvers,
// though the request and the deciding layer's hash are the same.
func TestEarlierApprovalMustMeetTheNeeds(t *testing.T) {
	ctx := context.Background()
	m := newManager(t, openSQLite(t), &events{}, nil)

	once := shellRequest("s1", "kubectl", "apply", "-f", "prod.yaml")
	r, err := m.Submit(ctx, once, askDecision)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Answer(ctx, r.ID, answerAs("alice", approval.Once)); err != nil {
		t.Fatal(err)
	}
	if out, ok, err := m.Redeem(ctx, once, quorumDecision(2)); ok || out.Effect == action.Allow {
		t.Errorf("one person's earlier approval allowed a request that needs two: %+v %v", out, err)
	}
	if out, ok, err := m.Redeem(ctx, once, quorumDecision(1, "ops")); ok || out.Effect == action.Allow {
		t.Errorf("anyone's earlier approval allowed a request only ops may approve: %+v %v", out, err)
	}

	session := shellRequest("s1", "helm", "install", "prod")
	r, err = m.Submit(ctx, session, askDecision)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Answer(ctx, r.ID, answerAs("alice", approval.Session)); err != nil {
		t.Fatal(err)
	}
	if out, ok, err := m.Redeem(ctx, session, quorumDecision(2)); ok || out.Effect == action.Allow {
		t.Errorf("one person's session grant allowed a request that needs two: %+v %v", out, err)
	}

	// A pending request filed without the needs is not the one to approve.
	pending := shellRequest("s1", "terraform", "destroy")
	weak, err := m.Submit(ctx, pending, askDecision)
	if err != nil {
		t.Fatal(err)
	}
	strict, err := m.Submit(ctx, pending, quorumDecision(2))
	if err != nil {
		t.Fatal(err)
	}
	if strict.ID == weak.ID || strict.Needs == nil || strict.Needs.Quorum != 2 {
		t.Errorf("Submit under a quorum returned the request filed without it: %s needs %+v", strict.ID, strict.Needs)
	}

	// Stricter earlier needs still cover a laxer ask: a larger quorum, from
	// fewer of the approvers.
	strong := shellRequest("s1", "make", "release")
	r, err = m.Submit(ctx, strong, quorumDecision(3, "alice", "bob", "carol"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"alice", "bob", "carol"} {
		if _, err := m.Answer(ctx, r.ID, answerAs(p, approval.Once)); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok, err := m.Redeem(ctx, strong, quorumDecision(2, "alice", "bob", "carol", "dave")); !ok || err != nil {
		t.Errorf("three approvals among alice, bob and carol did not cover two among them and dave: %v %v", ok, err)
	}
}

// TestQuorumEventsNamePrincipals: the audit trail says who counted toward
// a quorum as the channel authenticated them, not only the names answers
// gave themselves.
func TestQuorumEventsNamePrincipals(t *testing.T) {
	ctx := context.Background()
	ev := &events{}
	m := newManager(t, openSQLite(t), ev, nil)
	r, err := m.Submit(ctx, shellRequest("s1", "terraform", "apply"), quorumDecision(2))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"alice", "bob"} {
		a := answerAs(p, approval.Once)
		a.Approver = "someone"
		if _, err := m.Answer(ctx, r.ID, a); err != nil {
			t.Fatal(err)
		}
	}
	notes := map[approval.EventType]string{}
	ev.mu.Lock()
	for _, e := range ev.evs {
		if e.ID == r.ID {
			notes[e.Type] = e.Note
		}
	}
	ev.mu.Unlock()
	if !strings.Contains(notes[approval.EventVoted], "alice") {
		t.Errorf("voted event note %q does not name the principal alice", notes[approval.EventVoted])
	}
	if !strings.Contains(notes[approval.EventApproved], "alice, bob") {
		t.Errorf("approved event note %q does not name the principals alice, bob", notes[approval.EventApproved])
	}
}

// TestVoteWithInvalidUTF8: a vote whose reason is not valid UTF-8 must not
// stop the votes after it (stores compare the votes they read with the
// stored ones before adding another).
func TestVoteWithInvalidUTF8(t *testing.T) {
	ctx := context.Background()
	m := newManager(t, openSQLite(t), &events{}, nil)
	r, err := m.Submit(ctx, shellRequest("s1", "terraform", "apply"), quorumDecision(2))
	if err != nil {
		t.Fatal(err)
	}
	a := answerAs("alice", approval.Once)
	a.Reason = "ok \xff"
	if _, err := m.Answer(ctx, r.ID, a); err != nil {
		t.Fatal(err)
	}
	got, err := m.Answer(ctx, r.ID, answerAs("bob", approval.Once))
	if err != nil || got.Status != approval.Approved {
		t.Fatalf("the second vote: %+v, %v", got, err)
	}
}

// TestGrantStandsOnItsApproval: a session grant row allows a request only
// while the approval it came from says so: a grant whose request was not
// approved for the session, or one stretched past the session's length by
// whoever can write the store, allows nothing.
func TestGrantStandsOnItsApproval(t *testing.T) {
	ctx := context.Background()
	start := time.Now()
	c := &clock{t: start}
	s := openSQLite(t)
	m := newManager(t, s, &events{}, func(cfg *approval.Config) { cfg.Now = c.Now; cfg.SessionTTL = time.Hour })
	req := shellRequest("s1", "npm", "run", "dev")
	hash := approval.Bind(req, askDecision.PolicyHash)

	// A grant nobody gave: its request was approved once.
	r, err := m.Submit(ctx, req, askDecision)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Answer(ctx, r.ID, approval.Answer{Approve: true, Scope: approval.Once, Approver: "alice", Channel: "cli"}); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := m.Redeem(ctx, req, askDecision); !ok { // uses the once-approval
		t.Fatal("the once-approval was not usable")
	}
	forged := approval.Grant{Hash: hash, RequestID: r.ID, Approver: "alice", Channel: "cli", Created: start, Expires: start.Add(time.Hour)}
	if err := s.PutGrant(ctx, forged); err != nil {
		t.Fatal(err)
	}
	if out, ok, err := m.Redeem(ctx, req, askDecision); ok || out.Effect == action.Allow {
		t.Errorf("a grant on a once-approval allowed the request again: %+v %v", out, err)
	}

	// A real session grant, stretched to a year.
	r2, err := m.Submit(ctx, req, askDecision)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Answer(ctx, r2.ID, approval.Answer{Approve: true, Scope: approval.Session, Approver: "alice", Channel: "cli"}); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := m.Redeem(ctx, req, askDecision); !ok {
		t.Fatalf("the session grant did not allow the request: %v", err)
	}
	stretched := approval.Grant{Hash: hash, RequestID: r2.ID, Approver: "alice", Channel: "cli", Created: start, Expires: start.Add(365 * 24 * time.Hour)}
	if err := s.PutGrant(ctx, stretched); err != nil {
		t.Fatal(err)
	}
	c.Set(start.Add(2 * time.Hour))
	if out, ok, err := m.Redeem(ctx, req, askDecision); ok || out.Effect == action.Allow {
		t.Errorf("a grant stretched past the session length allowed the request: %+v %v", out, err)
	}
}

// TestSQLiteAnswerRefusesQuorumApproval: the store itself will not let one
// answer settle a request that needs a quorum; only votes do.
func TestSQLiteAnswerRefusesQuorumApproval(t *testing.T) {
	ctx := context.Background()
	s := openSQLite(t)
	m := newManager(t, s, &events{}, nil)
	r, err := m.Submit(ctx, shellRequest("", "make", "deploy"), quorumDecision(2))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Answer(ctx, r.ID, answerAs("alice", approval.Once)); err == nil || !strings.Contains(err.Error(), "is a vote") {
		t.Fatalf("a plain approve of a quorum request: %v", err)
	}
	if got, _ := s.Get(ctx, r.ID); got.Status != approval.Pending {
		t.Fatalf("status %s", got.Status)
	}
	deny := approval.Answer{Approve: false, Approver: "bob", Principal: "bob", Channel: "cli", Time: time.Now()}
	if got, err := s.Answer(ctx, r.ID, deny); err != nil || got.Status != approval.Denied {
		t.Fatalf("a deny: %+v %v", got, err)
	}
}

// A late approval says the request is no longer pending, even from
// someone who could not have approved it.
func TestLateAnswerFromNonApprover(t *testing.T) {
	ctx := context.Background()
	m := newManager(t, openSQLite(t), &events{}, nil)
	r, err := m.Submit(ctx, shellRequest("", "git", "push"), quorumDecision(1, "ops"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Answer(ctx, r.ID, approval.Answer{Approve: false, Approver: "ops", Principal: "ops", Channel: "cli"}); err != nil {
		t.Fatal(err)
	}
	_, err = m.Answer(ctx, r.ID, answerAs("dev", approval.Once))
	var np *approval.NotPendingError
	if !errors.As(err, &np) || np.Status != approval.Denied {
		t.Fatalf("late approval by a non-approver: %v, want not pending (denied)", err)
	}
}

// flakyStore fails Get while down is set: a store briefly out of reach.
type flakyStore struct {
	approval.Store
	mu   sync.Mutex
	down bool
}

func (f *flakyStore) setDown(v bool) { f.mu.Lock(); f.down = v; f.mu.Unlock() }

func (f *flakyStore) Get(ctx context.Context, id string) (*approval.Record, error) {
	f.mu.Lock()
	down := f.down
	f.mu.Unlock()
	if down {
		return nil, errors.New("connection refused")
	}
	return f.Store.Get(ctx, id)
}

// A waiter rides out a store outage: it keeps waiting, and an answer given
// once the store is back still reaches it.
func TestWaitRidesOutStoreOutage(t *testing.T) {
	ctx := context.Background()
	base := openSQLite(t)
	fs := &flakyStore{Store: base}
	m := newManager(t, fs, &events{}, func(c *approval.Config) { c.Warn = func(string) {} })
	req := shellRequest("", "npm", "run", "dev")
	ch := make(chan askResult, 1)
	go func() {
		out, err := m.Ask(ctx, req, askDecision, approval.AskOptions{Timeout: 30 * time.Second})
		ch <- askResult{out, err}
	}()
	r := pendingFor(t, m, req.Input)
	fs.setDown(true)
	time.Sleep(100 * time.Millisecond)
	select {
	case res := <-ch:
		t.Fatalf("the waiter gave up during the outage: %+v %v", res.out, res.err)
	default:
	}
	fs.setDown(false)
	if _, err := m.Answer(ctx, r.ID, approval.Answer{Approve: true, Approver: "alice", Channel: "cli"}); err != nil {
		t.Fatal(err)
	}
	if res := <-ch; res.err != nil || res.out.Effect != action.Allow {
		t.Fatalf("after the outage: %+v %v", res.out, res.err)
	}
}

// closedWatchStore is a store whose change notifications end at once (a
// listener that lost its connection and closed its channel), counting
// reads.
type closedWatchStore struct {
	approval.Store
	gets atomic.Int64
}

func (c *closedWatchStore) Get(ctx context.Context, id string) (*approval.Record, error) {
	c.gets.Add(1)
	return c.Store.Get(ctx, id)
}

func (c *closedWatchStore) Watch(context.Context, string) (<-chan struct{}, func()) {
	ch := make(chan struct{})
	close(ch)
	return ch, func() {}
}

// A waiter whose change notifications stop falls back to polling: it
// neither spins on the closed channel (reading the store without pause)
// nor stops waiting, and still ends in deny at its deadline.
func TestWaitSurvivesClosedWatch(t *testing.T) {
	s := &closedWatchStore{Store: openSQLite(t)}
	m := newManager(t, s, &events{}, func(c *approval.Config) { c.Poll = 50 * time.Millisecond })
	out, err := m.Ask(context.Background(), shellRequest("", "npm", "run", "dev"), askDecision, approval.AskOptions{Timeout: 500 * time.Millisecond})
	if err != nil || out.Effect != action.Deny || out.Status != approval.Expired {
		t.Fatalf("Ask = %+v, %v; want deny (expired)", out, err)
	}
	if n := s.gets.Load(); n > 100 {
		t.Fatalf("the waiter read the store %d times in half a second (polling every 50ms)", n)
	}
}
