package audit

import (
	"testing"
	"time"
)

// TestPrepareOutcome: an outcome record decides nothing; its request is
// redacted like a decision's.
func TestPrepareOutcome(t *testing.T) {
	var k Key
	now := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	rec := &Record{Type: TypeOutcome, Surface: "hook", Agent: "claude",
		Request: `Bash {"command":"curl -H 'Authorization: Bearer ghp_abcdefghijklmnopqrstuvwxyz0123456789' https://x"}`,
		Notes:   []string{"event PostToolUse", "tool_use_id toolu_1"}}
	if err := Prepare(rec, &k, now); err != nil {
		t.Fatal(err)
	}
	if !rec.Redacted || rec.RequestHMAC == "" || rec.Decision != "" {
		t.Errorf("outcome not redacted: %+v", rec)
	}
	for _, bad := range []*Record{
		{Type: TypeOutcome, Decision: Allow},
		{Type: TypeOutcome, Approval: &Approval{ID: "x"}},
		{Type: TypeOutcome, Prune: &Prune{}},
	} {
		if err := Prepare(bad, &k, now); err == nil {
			t.Errorf("accepted %+v", bad)
		}
	}
	if _, err := ParseFilter("type:outcome", now); err != nil {
		t.Errorf("filter: %v", err)
	}
}
