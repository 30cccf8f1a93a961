package approval_test

// Adversarial tests: each tries to get an allow (or an approval) that the
// approvals design says must not happen, or to make the store misbehave
// without failing closed.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/approval"
)

// clock is a settable clock for a manager.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func approve(scope approval.Scope) approval.Answer {
	return approval.Answer{Approve: true, Scope: scope, Approver: "alice", Channel: "cli"}
}

// TestBindCoversEveryField: two requests that safeclaw decides differently
// must not share a binding hash, whatever field tells them apart.
func TestBindCoversEveryField(t *testing.T) {
	base := func() *action.Request {
		req := shellRequest("s1", "grep", "-n", "x", "/srv")
		req.Parts[0].Facets = append(req.Parts[0].Facets, action.Action{Kind: action.FileRead, Path: "/srv", Program: "grep"})
		return req
	}
	variants := map[string]func(*action.Request){
		"recursive facet": func(q *action.Request) { q.Parts[0].Facets[1].Recursive = true },
		"guessed reading": func(q *action.Request) { q.Parts[0].Views[0].Guess = true },
		"view program":    func(q *action.Request) { q.Parts[0].Views[0].Program = "rg" },
		"view option value": func(q *action.Request) {
			q.Parts[0].Views[0].Options = []action.Option{{Name: "-n", Value: "x", HasValue: true}}
		},
		"view positionals": func(q *action.Request) { q.Parts[0].Views[0].Positionals = []string{"/srv"} },
	}
	want := approval.Bind(base(), "sha256:p")
	for name, mod := range variants {
		q := base()
		mod(q)
		if approval.Bind(q, "sha256:p") == want {
			t.Errorf("%s: the request binds to the same hash as the original", name)
		}
	}
}

// TestBindKnowsEveryField fails when a field is added to the request types:
// bind it in Bind (and change bindVersion), or list it here with why not.
func TestBindKnowsEveryField(t *testing.T) {
	for _, tt := range []struct {
		v    any
		want string
	}{
		// Time is not bound: the same request asked later is the same request.
		{action.Request{}, "Surface Agent Session Cwd Input Time Parts"},
		{action.Part{}, "Text Views Facets"},
		{action.Argv{}, "Words Program Options Positionals Guess"},
		{action.Option{}, "Name Value HasValue"},
		{action.Action{}, "Kind Command Program Port Host Path URL Tool Server Args Remote Background Detail Recursive"},
	} {
		typ := reflect.TypeOf(tt.v)
		var names []string
		for i := range typ.NumField() {
			names = append(names, typ.Field(i).Name)
		}
		if got := strings.Join(names, " "); got != tt.want {
			t.Errorf("%s has fields %q; Bind knows %q", typ, got, tt.want)
		}
	}
}

// TestClockMovingBackwards: a wall clock that jumps back must not stretch
// how long an approval, a session grant or a pending request stays usable.
func TestClockMovingBackwards(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

	t.Run("earlier approval", func(t *testing.T) {
		c := &clock{t: t0}
		m := newManager(t, openSQLite(t), &events{}, func(cf *approval.Config) { cf.Now = c.Now })
		req := shellRequest("s1", "npm", "run", "dev")
		r, err := m.Submit(ctx, req, askDecision)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Answer(ctx, r.ID, approve(approval.Once)); err != nil {
			t.Fatal(err)
		}
		// The clock is set back two days: "now - answer time" is negative,
		// which is not "within the redeem window".
		c.Set(t0.Add(-48 * time.Hour))
		if out, ok, err := m.Redeem(ctx, req, askDecision); ok || err != nil {
			t.Fatalf("Redeem with the clock two days behind the answer = %+v, %v, %v; want no approval", out, ok, err)
		}
	})

	t.Run("session grant", func(t *testing.T) {
		c := &clock{t: t0}
		m := newManager(t, openSQLite(t), &events{}, func(cf *approval.Config) { cf.Now = c.Now })
		req := shellRequest("s1", "npm", "run", "dev")
		r, _ := m.Submit(ctx, req, askDecision)
		if _, err := m.Answer(ctx, r.ID, approve(approval.Session)); err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := m.Redeem(ctx, req, askDecision); !ok { // uses the approval itself
			t.Fatal("the approved request was not allowed")
		}
		if _, ok, _ := m.Redeem(ctx, req, askDecision); !ok { // the grant
			t.Fatal("the session grant did not allow the same request")
		}
		c.Set(t0.Add(-30 * 24 * time.Hour))
		if out, ok, err := m.Redeem(ctx, req, askDecision); ok || err != nil {
			t.Fatalf("Redeem with the clock a month behind the grant = %+v, %v, %v; want no grant", out, ok, err)
		}
	})

	t.Run("answer dated before the request", func(t *testing.T) {
		c := &clock{t: t0}
		m := newManager(t, openSQLite(t), &events{}, func(cf *approval.Config) { cf.Now = c.Now })
		r, _ := m.Submit(ctx, shellRequest("", "npm", "run", "dev"), askDecision)
		// The clock goes back a day: the request looks fresh (its deadline
		// is a day away) though its requester is long gone.
		c.Set(t0.Add(-24 * time.Hour))
		if _, err := m.Answer(ctx, r.ID, approve(approval.Once)); err == nil {
			t.Fatal("an approval dated a day before the request was accepted")
		}
		if got, _ := m.Store().Get(ctx, r.ID); got.Status == approval.Approved {
			t.Fatal("the record was approved")
		}
		// A denial is always safe.
		if _, err := m.Answer(ctx, r.ID, approval.Answer{Approver: "alice", Channel: "cli"}); err != nil {
			t.Fatalf("deny with the clock behind: %v", err)
		}
	})
}

// TestBackdatedAnswer: an answer dated before the deadline, given after it,
// must not approve a request whose requester has stopped waiting.
func TestBackdatedAnswer(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	c := &clock{t: t0}
	m := newManager(t, openSQLite(t), &events{}, func(cf *approval.Config) { cf.Now = c.Now })
	req := shellRequest("", "npm", "run", "dev")
	r, _ := m.Submit(ctx, req, askDecision)
	c.Set(r.Deadline.Add(time.Hour))
	a := approve(approval.Once)
	a.Time = t0.Add(time.Minute) // claims to have been given in time
	if _, err := m.Answer(ctx, r.ID, a); err == nil {
		t.Fatal("a backdated answer approved an expired request")
	}
	if _, ok, _ := m.Redeem(ctx, req, askDecision); ok {
		t.Fatal("a backdated answer left a usable approval")
	}
}

// TestReplayAndStaleAnswers: an approval is used once; a denied or expired
// request cannot be approved afterwards; a second approval of an answered
// request (even by another approver name: there is no quorum to game)
// changes nothing.
func TestReplayAndStaleAnswers(t *testing.T) {
	ctx := context.Background()
	ev := &events{}
	m := newManager(t, openSQLite(t), ev, nil)
	req := shellRequest("", "terraform", "apply")

	denied, _ := m.Submit(ctx, req, askDecision)
	if _, err := m.Answer(ctx, denied.ID, approval.Answer{Approver: "bob", Channel: "cli", Reason: "no"}); err != nil {
		t.Fatal(err)
	}
	var np *approval.NotPendingError
	if _, err := m.Answer(ctx, denied.ID, approve(approval.Once)); !errors.As(err, &np) || np.Status != approval.Denied {
		t.Fatalf("approving a denied request = %v, want NotPendingError(denied)", err)
	}
	if _, ok, _ := m.Redeem(ctx, req, askDecision); ok {
		t.Fatal("a denied request was allowed")
	}

	r, _ := m.Submit(ctx, req, askDecision)
	if r.ID == denied.ID {
		t.Fatal("Submit returned the denied record")
	}
	if _, err := m.Answer(ctx, r.ID, approval.Answer{Approve: true, Approver: "alice", Channel: "cli"}); err != nil {
		t.Fatal(err)
	}
	// The same person again under another name: no effect, and recorded.
	if _, err := m.Answer(ctx, r.ID, approval.Answer{Approve: true, Approver: "alice-2", Channel: "webhook"}); !errors.As(err, &np) {
		t.Fatalf("second approval = %v, want NotPendingError", err)
	}
	if types := ev.types(r.ID); fmt.Sprint(types) != "[requested approved late_answer]" {
		t.Fatalf("events %v", types)
	}
	if _, ok, _ := m.Redeem(ctx, req, askDecision); !ok {
		t.Fatal("the approval was not usable")
	}
	if _, ok, _ := m.Redeem(ctx, req, askDecision); ok {
		t.Fatal("the approval was replayed")
	}
	if err := m.Store().Use(ctx, r.ID, r.Hash, time.Now()); !errors.Is(err, approval.ErrUsed) {
		t.Fatalf("Use after use = %v, want ErrUsed", err)
	}
}

// TestConcurrentRedeemAcrossHandles: hook processes and serve each hold
// their own handle on one store; an approval lets exactly one of them through.
func TestConcurrentRedeemAcrossHandles(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "approvals.db")
	const handles = 6
	var ms []*approval.Manager
	for range handles {
		s, err := approval.OpenSQLite(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		ms = append(ms, newManager(t, s, &events{}, nil))
	}
	req := shellRequest("s1", "npm", "publish")
	r, err := ms[0].Submit(ctx, req, askDecision)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := ms[1].Submit(ctx, req, askDecision); again.ID != r.ID {
		t.Fatal("two handles filed two records for the same pending request")
	}
	if _, err := ms[2].Answer(ctx, r.ID, approve(approval.Once)); err != nil {
		t.Fatal(err)
	}
	var allowed atomic.Int32
	var wg sync.WaitGroup
	for _, m := range ms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 3 {
				out, ok, err := m.Redeem(ctx, req, askDecision)
				if err != nil {
					t.Error(err)
				}
				if ok && out.Effect == action.Allow {
					allowed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if allowed.Load() != 1 {
		t.Fatalf("one approval allowed %d requests", allowed.Load())
	}
}

// TestMalformedIDs: ids are data, never SQL; odd ids find nothing, change
// nothing, and give a short error.
func TestMalformedIDs(t *testing.T) {
	ctx := context.Background()
	m := newManager(t, openSQLite(t), &events{}, nil)
	r, _ := m.Submit(ctx, shellRequest("", "ls"), askDecision)
	ids := []string{
		"' OR '1'='1", "x'; UPDATE requests SET status='approved'; --", `" OR 1=1 --`, "%", "_", "*",
		r.ID + "' --", r.ID + "\x00", " " + r.ID, strings.ToUpper(r.ID), "\u202e" + r.ID, "ｋ７ｆ３", "",
		"\x1b[2J", strings.Repeat("a", 1<<20), r.ID + strings.Repeat("\u0301", 10),
	}
	for _, id := range ids {
		short := id
		if len(short) > 20 {
			short = short[:20]
		}
		if _, err := m.Get(ctx, id); !errors.Is(err, approval.ErrNotFound) {
			t.Errorf("Get(%q) = %v, want ErrNotFound", short, err)
		}
		_, err := m.Answer(ctx, id, approve(approval.Once))
		if !errors.Is(err, approval.ErrNotFound) {
			t.Errorf("Answer(%q) = %v, want ErrNotFound", short, err)
		}
		if err != nil && (len(err.Error()) > 200 || strings.ContainsAny(err.Error(), "\x00\x1b\u202e")) {
			t.Errorf("Answer(%q): error is %d bytes or carries control characters", short, len(err.Error()))
		}
	}
	recs, err := m.List(ctx, approval.Filter{})
	if err != nil || len(recs) != 1 || recs[0].Status != approval.Pending {
		t.Fatalf("after the odd ids the store holds %+v, %v; want the one pending record", recs, err)
	}
}

// rawDB opens the store's file directly, as someone tampering with it would.
func rawDB(t *testing.T, s *approval.SQLite) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+s.Path()+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestInconsistentRecordFailsClosed: a record whose status says approved
// but whose answer does not (a corrupted or hand-edited row) never allows.
func TestInconsistentRecordFailsClosed(t *testing.T) {
	ctx := context.Background()
	for name, answerJSON := range map[string]string{
		"no answer":         ``,
		"a denial":          `{"approve":false,"approver":"bob","channel":"cli","time":"2026-11-26T12:00:00Z"}`,
		"an expiry":         `{"approve":false,"approver":"timeout","channel":"timeout","time":"2026-11-26T12:00:00Z"}`,
		"not an answer obj": `{}`,
	} {
		t.Run(name, func(t *testing.T) {
			s := openSQLite(t)
			m := newManager(t, s, &events{}, nil)
			req := shellRequest("", "npm", "run", "dev")
			ch := askAsync(m, req, approval.AskOptions{Timeout: 2 * time.Second})
			r := pendingFor(t, m, req.Input)
			if _, err := rawDB(t, s).ExecContext(ctx, `UPDATE requests SET status = 'approved', answer_json = ? WHERE id = ?`, answerJSON, r.ID); err != nil {
				t.Fatal(err)
			}
			res := <-ch
			if res.out.Effect != action.Deny {
				t.Fatalf("Ask = %+v, %v; want deny", res.out, res.err)
			}
			// Nor can a later retry redeem it.
			if out, ok, _ := m.Redeem(ctx, req, askDecision); ok || out.Effect == action.Allow {
				t.Fatal("an inconsistent record was redeemed")
			}
		})
	}
}

// TestCorruptStoreFailsClosed: a store file that is not a database, or
// whose rows do not decode, denies with an error that names the problem.
func TestCorruptStoreFailsClosed(t *testing.T) {
	ctx := context.Background()
	t.Run("not a database", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "approvals.db")
		if err := os.WriteFile(path, []byte(strings.Repeat("this is not SQLite\n", 512)), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := approval.OpenSQLite(path)
		if err == nil || !strings.Contains(err.Error(), path) {
			t.Fatalf("OpenSQLite(garbage) = %v, want an error naming the file", err)
		}
	})
	t.Run("symlink", func(t *testing.T) {
		dir := t.TempDir()
		real := filepath.Join(dir, "elsewhere.db")
		s, err := approval.OpenSQLite(real)
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		link := filepath.Join(dir, "approvals.db")
		if err := os.Symlink(real, link); err != nil {
			t.Skip(err)
		}
		if _, err := approval.OpenSQLite(link); err == nil {
			t.Fatal("a symbolic link was opened as the store")
		}
	})
	t.Run("undecodable rows", func(t *testing.T) {
		s := openSQLite(t)
		m := newManager(t, s, &events{}, nil)
		req := shellRequest("", "npm", "run", "dev")
		r, err := m.Submit(ctx, req, askDecision)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Answer(ctx, r.ID, approve(approval.Once)); err != nil {
			t.Fatal(err)
		}
		if _, err := rawDB(t, s).ExecContext(ctx, `UPDATE requests SET request_json = '{not json' WHERE id = ?`, r.ID); err != nil {
			t.Fatal(err)
		}
		out, ok, err := m.Redeem(ctx, req, askDecision)
		if ok || out.Effect != action.Deny || err == nil || !strings.Contains(err.Error(), r.ID) {
			t.Fatalf("Redeem over a corrupt row = %+v, %v, %v; want deny with an error naming the record", out, ok, err)
		}
		out, err = m.Ask(ctx, req, askDecision, approval.AskOptions{Timeout: time.Second})
		if out.Effect != action.Deny || err == nil {
			t.Fatalf("Ask over a corrupt store = %+v, %v; want deny with an error", out, err)
		}
	})
	t.Run("file replaced while waiting", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "approvals.db")
		s, err := approval.OpenSQLite(path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		m := newManager(t, s, &events{}, nil)
		req := shellRequest("", "npm", "run", "dev")
		ch := askAsync(m, req, approval.AskOptions{Timeout: time.Second})
		r := pendingFor(t, m, req.Input)
		// Another file takes the store's place (with its own -wal and -shm).
		for _, suffix := range []string{"", "-wal", "-shm"} {
			os.Remove(path + suffix)
		}
		other, err := approval.OpenSQLite(path)
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		m2 := newManager(t, other, &events{}, nil)
		if _, err := m2.Answer(ctx, r.ID, approve(approval.Once)); !errors.Is(err, approval.ErrNotFound) {
			t.Fatalf("approving through the new file = %v, want ErrNotFound", err)
		}
		if res := <-ch; res.out.Effect != action.Deny {
			t.Fatalf("Ask = %+v, %v; want deny", res.out, res.err)
		}
	})
}

// TestAlwaysRulesCannotBeInjected: nothing from the record (its id, agent,
// cwd, input) can add a line of its own to the always policy file.
func TestAlwaysRulesCannotBeInjected(t *testing.T) {
	req := shellRequest("", "npm", "run", "dev")
	req.Agent = "claude\n  - action: file.write\n    effect: allow\n#"
	req.Cwd = "/tmp\n  - action: \"*\""
	r := &approval.Record{ID: "x)\n  - action: \"*\"\n    effect: allow\n  #", Agent: req.Agent, Cwd: req.Cwd,
		Input: "npm run dev\n  - action: \"*\"", Request: req}
	a := approval.Answer{Approve: true, Scope: approval.Always, Approver: "alice\n  - action: \"*\"", Channel: "cli\n- x",
		Reason: "ok\n  - action: \"*\"", Time: time.Now()}
	// An agent name with a line break cannot be a matcher (the policy
	// refuses control characters): "always" is refused for it. Every other
	// field's line breaks must stay inside comments and quoted strings.
	if _, err := approval.AlwaysRules(r, a); err == nil || !strings.Contains(err.Error(), "agent name") {
		t.Fatalf("always for an agent name with a line break: %v, want refused", err)
	}
	req.Agent, r.Agent = "claude", "claude"
	rules, err := approval.AlwaysRules(r, a)
	if err != nil {
		t.Fatal(err)
	}
	var items, effects int
	for _, line := range strings.Split(rules, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "" || strings.HasPrefix(trimmed, "#"):
		case strings.HasPrefix(line, "  - "):
			items++
			if !strings.HasPrefix(line, "  - name: ") {
				t.Errorf("unexpected rule start %q", line)
			}
		case !strings.HasPrefix(line, "    "):
			t.Errorf("line outside a rule: %q", line)
		case strings.HasPrefix(trimmed, "effect:"):
			effects++
			if trimmed != "effect: allow" {
				t.Errorf("effect line %q", line)
			}
		case strings.HasPrefix(trimmed, "action:") && trimmed != "action: shell.execute":
			t.Errorf("action line %q", line)
		}
	}
	if items != 1 || effects != 1 {
		t.Fatalf("%d rules, %d effects in:\n%s", items, effects, rules)
	}
}

// TestManyPendingRequests: an agent that files thousands of requests does
// not hide the one a person approves, nor break expiry.
func TestManyPendingRequests(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	ctx := context.Background()
	t0 := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	c := &clock{t: t0}
	s := openSQLite(t)
	m := newManager(t, s, &events{}, func(cf *approval.Config) { cf.Now = c.Now })
	const n = 2000
	for i := range n {
		if _, err := m.Submit(ctx, shellRequest("", "job", fmt.Sprint(i)), askDecision); err != nil {
			t.Fatal(err)
		}
	}
	target := shellRequest("", "job", "1234")
	r, err := m.Submit(ctx, target, askDecision)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Answer(ctx, r.ID, approve(approval.Once)); err != nil {
		t.Fatal(err)
	}
	if out, ok, err := m.Redeem(ctx, target, askDecision); !ok || err != nil || out.Record.ID != r.ID {
		t.Fatalf("Redeem among %d pending = %+v, %v, %v", n, out, ok, err)
	}
	c.Set(t0.Add(approval.DefaultPendingTimeout + time.Minute))
	expired, err := m.Sweep(ctx)
	if err != nil || len(expired) != n-1 {
		t.Fatalf("Sweep expired %d, %v; want %d", len(expired), err, n-1)
	}
	if left, _ := m.List(ctx, approval.Filter{Status: []approval.Status{approval.Pending}}); len(left) != 0 {
		t.Fatalf("%d requests still pending after their deadline", len(left))
	}
}
