package gate

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/safeclaw/safeclaw/action"
)

type memRecorder struct {
	entries []*Entry
	err     error
}

func (m *memRecorder) Record(_ context.Context, e *Entry) error {
	if m.err != nil {
		return m.err
	}
	m.entries = append(m.entries, e)
	return nil
}

func fixed(eff action.Effect) func(*action.Request) action.Decision {
	return func(*action.Request) action.Decision {
		return action.Decision{Effect: eff, Reason: "fixed " + eff.String(), Part: 0}
	}
}

func TestDecide(t *testing.T) {
	req := func() *action.Request { return &action.Request{Input: "x"} }
	tests := []struct {
		name    string
		cfg     Config
		want    action.Effect
		wantErr bool
		records int
	}{
		{"allow is recorded", Config{Policy: fixed(action.Allow), Recorder: &memRecorder{}}, action.Allow, false, 1},
		{"deny is recorded", Config{Policy: fixed(action.Deny), Recorder: &memRecorder{}}, action.Deny, false, 1},
		{"no policy denies, and the deny is recorded", Config{Recorder: &memRecorder{}}, action.Deny, true, 1},
		{"no recorder denies", Config{Policy: fixed(action.Allow)}, action.Deny, true, 0},
		{"record failure denies", Config{Policy: fixed(action.Allow), Recorder: &memRecorder{err: errors.New("disk full")}}, action.Deny, true, 0},
		{"record failure with allow_warn answers", Config{Policy: fixed(action.Allow), Recorder: &memRecorder{err: errors.New("disk full")}, AllowUnrecorded: true}, action.Allow, false, 0},
		{"ask without approver stays ask", Config{Policy: fixed(action.Ask), Recorder: &memRecorder{}}, action.Ask, false, 1},
		{"approved ask allows", Config{Policy: fixed(action.Ask), Recorder: &memRecorder{}, Approve: func(context.Context, *action.Request, action.Decision) (action.Effect, *Approval, error) {
			return action.Allow, &Approval{Outcome: "approved"}, nil
		}}, action.Allow, false, 1},
		{"expired ask denies", Config{Policy: fixed(action.Ask), Recorder: &memRecorder{}, Approve: func(context.Context, *action.Request, action.Decision) (action.Effect, *Approval, error) {
			return action.Deny, &Approval{Outcome: "expired"}, nil
		}}, action.Deny, false, 1},
		{"unanswered ask stays ask", Config{Policy: fixed(action.Ask), Recorder: &memRecorder{}, Approve: func(context.Context, *action.Request, action.Decision) (action.Effect, *Approval, error) {
			return action.Ask, nil, nil
		}}, action.Ask, false, 1},
		{"approval error denies", Config{Policy: fixed(action.Ask), Recorder: &memRecorder{}, Approve: func(context.Context, *action.Request, action.Decision) (action.Effect, *Approval, error) {
			return action.Allow, nil, errors.New("store down")
		}}, action.Deny, false, 1},
		{"panicking policy denies, and the deny is recorded", Config{Policy: func(*action.Request) action.Decision { panic("boom") }, Recorder: &memRecorder{}}, action.Deny, true, 1},
		{"shadow answers allow", Config{Policy: fixed(action.Deny), Recorder: &memRecorder{}, Shadow: true}, action.Allow, false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Now = func() time.Time { return time.Unix(0, 0) }
			tt.cfg.Warn = func(string) {}
			d, err := New(tt.cfg).Decide(context.Background(), req())
			if d.Effect != tt.want || (err != nil) != tt.wantErr {
				t.Fatalf("got %v, %v; want %v, error %v", d.Effect, err, tt.want, tt.wantErr)
			}
			if r, ok := tt.cfg.Recorder.(*memRecorder); ok && len(r.entries) != tt.records {
				t.Errorf("%d records, want %d", len(r.entries), tt.records)
			}
		})
	}
}

func TestShadowRecordsTheRealDecision(t *testing.T) {
	rec := &memRecorder{}
	_, err := New(Config{Policy: fixed(action.Deny), Recorder: rec, Shadow: true}).Decide(context.Background(), &action.Request{})
	if err != nil || len(rec.entries) != 1 || rec.entries[0].Decision.Effect != action.Deny || !rec.entries[0].Shadow {
		t.Fatalf("shadow record = %+v, %v", rec.entries, err)
	}
}

// DecideIfAllowed asks the policy once: an allow is decided and recorded as
// Decide would (a failed record still denies); anything else, a policy
// that fails included, comes back undecided, with nothing recorded and no
// person asked, for the caller's own path.
func TestDecideIfAllowed(t *testing.T) {
	asked := 0
	approve := func(context.Context, *action.Request, action.Decision) (action.Effect, *Approval, error) {
		asked++
		return action.Allow, nil, nil
	}
	for _, tt := range []struct {
		name        string
		c           Config
		wantEffect  action.Effect
		wantDecided bool
		wantErr     bool
		records     int
	}{
		{"allow is decided and recorded", Config{Policy: fixed(action.Allow)}, action.Allow, true, false, 1},
		{"deny is not", Config{Policy: fixed(action.Deny)}, action.Deny, false, false, 0},
		{"ask is not, and nobody is asked", Config{Policy: fixed(action.Ask), Approve: approve}, action.Ask, false, false, 0},
		{"shadow deny is not", Config{Policy: fixed(action.Deny), Shadow: true}, action.Deny, false, false, 0},
		{"a panicking policy is not", Config{Policy: func(*action.Request) action.Decision { panic("boom") }}, action.Deny, false, true, 0},
		{"no policy is not", Config{}, action.Deny, false, true, 0},
		{"an allow whose record fails is a decided deny", Config{Policy: fixed(action.Allow)}, action.Deny, true, true, -1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := &memRecorder{}
			if tt.records < 0 {
				rec.err = errors.New("disk full")
			}
			tt.c.Recorder = rec
			policyCalls := 0
			if p := tt.c.Policy; p != nil {
				tt.c.Policy = func(r *action.Request) action.Decision { policyCalls++; return p(r) }
			}
			d, decided, err := New(tt.c).DecideIfAllowed(context.Background(), &action.Request{})
			if d.Effect != tt.wantEffect || decided != tt.wantDecided || (err != nil) != tt.wantErr {
				t.Errorf("got %v decided %v err %v", d.Effect, decided, err)
			}
			if want := max(tt.records, 0); len(rec.entries) != want {
				t.Errorf("%d records, want %d", len(rec.entries), want)
			}
			if tt.c.Policy != nil && policyCalls != 1 {
				t.Errorf("policy asked %d times", policyCalls)
			}
		})
	}
	if asked != 0 {
		t.Errorf("a person was asked %d times", asked)
	}
}
