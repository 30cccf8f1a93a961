package gate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/policy"
)

// ctxRecorder records like the audit trail does: not once the context has
// ended. It is safe for concurrent use.
type ctxRecorder struct {
	mu      sync.Mutex
	entries []*Entry
	err     error
	panics  bool
}

func (r *ctxRecorder) Record(ctx context.Context, e *Entry) error {
	if r.panics {
		panic("encoder exploded")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if r.err != nil {
		return r.err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entries = append(r.entries, e)
	return nil
}

func approveWith(eff action.Effect, err error) ApproveFunc {
	return func(context.Context, *action.Request, action.Decision) (action.Effect, *Approval, error) {
		return eff, &Approval{Outcome: "test"}, err
	}
}

// TestDecideFailures: every failure of a step ends in deny with a message
// saying what failed, and the deny is recorded whenever the trail works.
func TestDecideFailures(t *testing.T) {
	cancelled := func() (context.Context, context.CancelFunc) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		return ctx, func() {}
	}
	shortDeadline := func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.Background(), 20*time.Millisecond)
	}
	waitForDeadline := func(ctx context.Context, _ *action.Request, _ action.Decision) (action.Effect, *Approval, error) {
		<-ctx.Done()
		return action.Deny, &Approval{Outcome: "expired"}, ctx.Err()
	}
	tests := []struct {
		name       string
		cfg        Config
		ctx        func() (context.Context, context.CancelFunc)
		want       action.Effect
		wantErr    string // "" for no error; else a substring of it
		wantReason string // a substring of the answer's reason
		recorded   string // the recorded effect, "" for no record
		wantNote   string // a substring of one of the answer's notes
	}{
		{name: "panicking policy is recorded as deny",
			cfg:  Config{Policy: func(*action.Request) action.Decision { panic("boom") }},
			want: action.Deny, wantErr: "panic in the policy: boom", wantReason: "internal error in the policy: boom", recorded: "deny"},
		{name: "no policy is recorded as deny",
			cfg:  Config{},
			want: action.Deny, wantErr: "no policy", wantReason: "no policy loaded", recorded: "deny"},
		{name: "unknown effect from the policy denies",
			cfg:  Config{Policy: fixed(action.Effect(7))},
			want: action.Deny, wantReason: "unknown effect (7)", recorded: "deny"},
		{name: "unknown effect from the policy in shadow mode is recorded as deny",
			cfg:  Config{Policy: fixed(action.Effect(7)), Shadow: true},
			want: action.Allow, recorded: "deny", wantNote: action.ShadowNote + "deny"},
		{name: "panicking approval denies and is recorded",
			cfg: Config{Policy: fixed(action.Ask), Approve: func(context.Context, *action.Request, action.Decision) (action.Effect, *Approval, error) {
				panic("store exploded")
			}},
			want: action.Deny, wantErr: "panic in the approval", wantReason: "approval failed (internal error: store exploded)", recorded: "deny"},
		{name: "approval answering an unknown effect denies",
			cfg:  Config{Policy: fixed(action.Ask), Approve: approveWith(action.Effect(9), nil)},
			want: action.Deny, wantReason: "not approved", recorded: "deny"},
		{name: "approval store down denies",
			cfg:  Config{Policy: fixed(action.Ask), Approve: approveWith(action.Allow, errors.New("store down"))},
			want: action.Deny, wantReason: "approval failed (store down)", recorded: "deny"},
		{name: "approval wait past the deadline is recorded",
			cfg: Config{Policy: fixed(action.Ask), Approve: waitForDeadline}, ctx: shortDeadline,
			want: action.Deny, wantErr: "deadline exceeded", wantReason: "approval failed (context deadline exceeded)", recorded: "deny"},
		{name: "approval answering allow after the deadline denies",
			cfg: Config{Policy: fixed(action.Ask), Approve: func(ctx context.Context, _ *action.Request, _ action.Decision) (action.Effect, *Approval, error) {
				<-ctx.Done()
				return action.Allow, &Approval{Outcome: "approved"}, nil
			}}, ctx: shortDeadline,
			want: action.Deny, wantErr: "deadline exceeded", wantReason: "no answer before the request ended", recorded: "deny"},
		{name: "cancelled request is denied and recorded",
			cfg: Config{Policy: fixed(action.Allow)}, ctx: cancelled,
			want: action.Deny, wantErr: "context canceled", wantReason: "no answer before the request ended (context canceled)", recorded: "deny"},
		{name: "cancelled request in shadow mode is not let through",
			cfg: Config{Policy: fixed(action.Allow), Shadow: true}, ctx: cancelled,
			want: action.Deny, wantErr: "context canceled", recorded: "deny"},
		{name: "recorder panic denies",
			cfg:  Config{Policy: fixed(action.Allow), Recorder: &ctxRecorder{panics: true}},
			want: action.Deny, wantErr: "internal error in the recorder: encoder exploded", wantReason: "denied (fail closed)"},
		{name: "recorder panic with allow_warn answers with a note",
			cfg:  Config{Policy: fixed(action.Allow), Recorder: &ctxRecorder{panics: true}, AllowUnrecorded: true},
			want: action.Allow, wantNote: "not recorded in the audit trail"},
		{name: "disk full denies",
			cfg:  Config{Policy: fixed(action.Allow), Recorder: &ctxRecorder{err: fmt.Errorf("audit: sync: %w", syscall.ENOSPC)}},
			want: action.Deny, wantErr: "no space left on device", wantReason: "could not be recorded in the audit trail: audit: sync: no space left on device; denied (fail closed)"},
		{name: "record failure in shadow mode denies and says why",
			cfg:  Config{Policy: fixed(action.Deny), Recorder: &ctxRecorder{err: errors.New("disk full")}, Shadow: true},
			want: action.Deny, wantErr: "disk full", wantReason: "shadow mode lets decisions through, not unrecorded ones"},
		{name: "record failure in shadow mode with allow_warn answers with both notes",
			cfg:  Config{Policy: fixed(action.Deny), Recorder: &ctxRecorder{err: errors.New("disk full")}, Shadow: true, AllowUnrecorded: true},
			want: action.Allow, wantNote: "not recorded in the audit trail (the decision could not be recorded in the audit trail: disk full)"},
		{name: "panicking policy in shadow mode is not hidden",
			cfg:  Config{Policy: func(*action.Request) action.Decision { panic("boom") }, Shadow: true},
			want: action.Deny, wantErr: "panic in the policy", recorded: "deny"},
		{name: "policy panic and record failure report both",
			cfg:  Config{Policy: func(*action.Request) action.Decision { panic("boom") }, Recorder: &ctxRecorder{err: errors.New("disk full")}},
			want: action.Deny, wantErr: "panic in the policy: boom; the decision could not be recorded in the audit trail: disk full"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.Background(), func() {}
			if tt.ctx != nil {
				ctx, cancel = tt.ctx()
			}
			defer cancel()
			rec, _ := tt.cfg.Recorder.(*ctxRecorder)
			if tt.cfg.Recorder == nil {
				rec = &ctxRecorder{}
				tt.cfg.Recorder = rec
			}
			var warned []string
			tt.cfg.Warn = func(m string) { warned = append(warned, m) }
			d, err := New(tt.cfg).Decide(ctx, &action.Request{Input: "x"})
			if d.Effect != tt.want {
				t.Errorf("effect %v (%s), want %v", d.Effect, d.Reason, tt.want)
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("error %v, want none", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("error %v, want one containing %q", err, tt.wantErr)
			}
			if !strings.Contains(d.Reason, tt.wantReason) {
				t.Errorf("reason %q, want it to contain %q", d.Reason, tt.wantReason)
			}
			if d.Effect == action.Deny && d.Reason == "" {
				t.Error("a deny without a reason")
			}
			if tt.wantNote != "" && !strings.Contains(strings.Join(d.Notes, "\n"), tt.wantNote) {
				t.Errorf("notes %q, want one containing %q", d.Notes, tt.wantNote)
			}
			if tt.cfg.AllowUnrecorded && len(warned) == 0 && err == nil && !rec.panics && rec.err == nil {
				t.Error("allow_warn answered without a warning")
			}
			switch {
			case tt.recorded == "" && len(rec.entries) != 0:
				t.Errorf("recorded %v, want no record", rec.entries[0].Decision.Effect)
			case tt.recorded != "" && len(rec.entries) != 1:
				t.Fatalf("%d records, want 1", len(rec.entries))
			case tt.recorded != "" && rec.entries[0].Decision.Effect.String() != tt.recorded:
				t.Errorf("recorded %v, want %s", rec.entries[0].Decision.Effect, tt.recorded)
			}
		})
	}
}

// TestRecordErrorKeepsTheCause: a surface can tell a full disk from other
// failures.
func TestRecordErrorKeepsTheCause(t *testing.T) {
	_, err := New(Config{Policy: fixed(action.Allow), Recorder: &ctxRecorder{err: fmt.Errorf("audit: %w", syscall.ENOSPC)}}).
		Decide(context.Background(), &action.Request{})
	if !errors.Is(err, ErrNoRecord) || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("error %v: want both ErrNoRecord and ENOSPC", err)
	}
}

func TestAllowWarnWarns(t *testing.T) {
	var warned []string
	g := New(Config{Policy: fixed(action.Allow), Recorder: &ctxRecorder{err: errors.New("disk full")}, AllowUnrecorded: true,
		Warn: func(m string) { warned = append(warned, m) }})
	d, err := g.Decide(context.Background(), &action.Request{})
	if err != nil || d.Effect != action.Allow || len(warned) != 1 || !strings.Contains(warned[0], "audit.on_failure: allow_warn") {
		t.Fatalf("%v %v, warned %q", d.Effect, err, warned)
	}
	// Without a Warn, New still warns (on stderr): it does not drop it.
	if New(Config{AllowUnrecorded: true}).c.Warn == nil {
		t.Fatal("no default Warn")
	}
}

func TestNilRequestDenies(t *testing.T) {
	d, err := New(Config{Policy: fixed(action.Allow), Recorder: &ctxRecorder{}}).Decide(context.Background(), nil)
	if d.Effect != action.Deny || err == nil || d.Reason != "no request to decide" {
		t.Fatalf("%v %q %v", d.Effect, d.Reason, err)
	}
}

// TestClockBackwards: a clock stepped back during a decision does not
// record a negative latency.
func TestClockBackwards(t *testing.T) {
	times := []time.Time{time.Unix(100, 0), time.Unix(50, 0)}
	now := func() time.Time { t := times[0]; times = times[1:]; return t }
	rec := &ctxRecorder{}
	d, err := New(Config{Policy: fixed(action.Allow), Recorder: rec, Now: now}).Decide(context.Background(), &action.Request{})
	if err != nil || d.Effect != action.Allow || len(rec.entries) != 1 || rec.entries[0].Latency != 0 {
		t.Fatalf("%v %v %+v", d.Effect, err, rec.entries)
	}
}

// TestZeroPartsDeny: a request with nothing in it is denied by the real
// policy, even one whose default is allow.
func TestZeroPartsDeny(t *testing.T) {
	f, err := policy.Parse("p.yaml", []byte("version: 1\ndefault: allow\nrules: []\n"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy.Compile([]*policy.File{f}, policy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, parts := range [][]action.Part{nil, {}} {
		d, err := New(Config{Policy: p.Decide, Recorder: &ctxRecorder{}}).Decide(context.Background(), &action.Request{Input: "", Parts: parts})
		if err != nil || d.Effect != action.Deny || d.Reason == "" {
			t.Errorf("parts %#v: %v %q %v", parts, d.Effect, d.Reason, err)
		}
	}
}

// TestConcurrentDecide runs decisions in parallel while the policy is
// swapped (as a reload does) and hands out shared notes: each answer is the
// decision of one policy generation, recorded as answered, and no decision
// writes into another's notes. Run with -race.
func TestConcurrentDecide(t *testing.T) {
	shared := make([]string, 1, 8) // spare capacity: an append would write into it
	shared[0] = "shared note"
	gens := []func(*action.Request) action.Decision{
		func(*action.Request) action.Decision {
			return action.Decision{Effect: action.Deny, Reason: "gen deny", Part: 0, Notes: shared}
		},
		func(*action.Request) action.Decision {
			return action.Decision{Effect: action.Ask, Reason: "gen ask", Part: 0, Notes: shared}
		},
	}
	var cur atomic.Pointer[func(*action.Request) action.Decision]
	cur.Store(&gens[0])
	for _, shadow := range []bool{false, true} {
		rec := &ctxRecorder{}
		g := New(Config{Policy: func(r *action.Request) action.Decision { return (*cur.Load())(r) }, Recorder: rec, Shadow: shadow})
		var wg sync.WaitGroup
		stop := make(chan struct{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
					cur.Store(&gens[i%2])
				}
			}
		}()
		var bad atomic.Int32
		var workers sync.WaitGroup
		for w := 0; w < 8; w++ {
			workers.Add(1)
			go func() {
				defer workers.Done()
				for i := 0; i < 200; i++ {
					req := &action.Request{Input: fmt.Sprint(i)}
					d, err := g.Decide(context.Background(), req)
					if err != nil || (!shadow && d.Effect == action.Allow) || (shadow && d.Effect != action.Allow) {
						bad.Add(1)
					}
					if shadow && (len(d.Notes) != 2 || !strings.HasPrefix(d.Notes[1], action.ShadowNote)) {
						bad.Add(1)
					}
				}
			}()
		}
		workers.Wait()
		close(stop)
		wg.Wait()
		if bad.Load() != 0 {
			t.Errorf("shadow %v: %d bad answers", shadow, bad.Load())
		}
		if len(rec.entries) != 8*200 {
			t.Errorf("shadow %v: %d records, want %d", shadow, len(rec.entries), 8*200)
		}
		for _, e := range rec.entries {
			if e.Decision.Effect == action.Allow || e.Shadow != shadow {
				t.Fatalf("recorded %+v", e)
			}
		}
		if shared[:cap(shared)][1] != "" {
			t.Fatalf("a decision wrote into the policy's shared notes: %q", shared[:cap(shared)])
		}
	}
}
