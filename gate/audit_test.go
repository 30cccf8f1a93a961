package gate

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/audit"
)

// fileRecorder records into the real audit trail, as the CLI does.
type fileRecorder struct{ s *audit.FileStore }

func (r fileRecorder) Record(ctx context.Context, e *Entry) error {
	_, err := r.s.Append(ctx, &audit.Record{Type: audit.TypeDecision, Time: e.Request.Time, Request: e.Request.Input,
		Decision: e.Decision.Effect.String(), Reason: e.Decision.Reason})
	return err
}

// TestAuditTrailFailures runs the gate against the real audit trail.
func TestAuditTrailFailures(t *testing.T) {
	t.Run("a request cancelled while a person was asked is recorded as denied", func(t *testing.T) {
		dir := t.TempDir()
		s, err := audit.OpenFile(filepath.Join(dir, "audit"), audit.FileOptions{KeyFile: filepath.Join(dir, "audit.key"), Durable: true})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		ctx, cancel := context.WithCancel(context.Background())
		g := New(Config{Policy: fixed(action.Ask), Recorder: fileRecorder{s},
			Approve: func(ctx context.Context, _ *action.Request, _ action.Decision) (action.Effect, *Approval, error) {
				cancel() // Ctrl-C while waiting
				<-ctx.Done()
				return action.Deny, &Approval{Outcome: "expired"}, ctx.Err()
			}})
		d, err := g.Decide(ctx, &action.Request{Input: "npm run dev"})
		if d.Effect != action.Deny || !errors.Is(err, context.Canceled) {
			t.Fatalf("%v %v", d.Effect, err)
		}
		var got []*audit.Record
		if err := s.Query(context.Background(), nil, func(r *audit.Record) error { got = append(got, r); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Decision != "deny" || got[0].Request != "npm run dev" || !strings.Contains(got[0].Reason, "approval failed (context canceled)") {
			t.Fatalf("trail = %+v", got)
		}
	})
	t.Run("an audit trail that cannot be written denies with the reason", func(t *testing.T) {
		dir := t.TempDir()
		blocked := filepath.Join(dir, "audit")
		if err := os.WriteFile(blocked, nil, 0o600); err != nil { // a file where the directory goes
			t.Fatal(err)
		}
		s, err := audit.OpenFile(blocked, audit.FileOptions{KeyFile: filepath.Join(dir, "audit.key"), Durable: true})
		if err != nil {
			t.Skipf("the trail refuses to open: %v", err)
		}
		defer s.Close()
		for _, shadow := range []bool{false, true} {
			d, err := New(Config{Policy: fixed(action.Allow), Recorder: fileRecorder{s}, Shadow: shadow}).Decide(context.Background(), &action.Request{Input: "ls"})
			if d.Effect != action.Deny || !errors.Is(err, ErrNoRecord) || !strings.Contains(d.Reason, blocked) || !strings.Contains(d.Reason, "denied (fail closed)") {
				t.Errorf("shadow %v: %v %q %v", shadow, d.Effect, d.Reason, err)
			}
		}
	})
}
