package audit

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// approvalRecords are the non-decision records of one network request: the
// approval events (requested, expired) and the tool's outcome, each
// carrying the facets of the request it concerns, then the same events as
// recorded without them.
func approvalRecords() []*Record {
	facets := []Facet{
		{Kind: "shell.execute", Command: "curl https://example.com", Program: "curl"},
		{Kind: "network.connect", Host: "example.com", URL: "https://example.com", Program: "curl", Detail: "curl connects"},
	}
	rule := &Rule{Name: "Ask before fetching with curl or wget", Source: "builtin:default.yaml:304"}
	return []*Record{
		{Type: TypeApproval, Agent: "claude", Request: "curl https://example.com", Actions: facets, Decision: Ask, Rule: rule,
			Approval: &Approval{ID: "ap1", Outcome: "requested"}},
		{Type: TypeApproval, Agent: "claude", Request: "curl https://example.com", Actions: facets, Decision: Deny, Rule: rule,
			Approval: &Approval{ID: "ap1", Outcome: "expired", Approver: "timeout"}},
		{Type: TypeOutcome, Agent: "claude", Request: "Bash", Actions: facets},
		{Type: TypeApproval, Agent: "claude", Request: "curl https://example.com", Decision: Ask, Rule: rule,
			Approval: &Approval{ID: "ap2", Outcome: "requested"}},
		{Type: TypeDecision, Agent: "claude", Request: "git status", Decision: Allow,
			Actions: []Facet{{Kind: "shell.execute", Command: "git status", Program: "git"}}},
	}
}

// TestFormatLineNonDecisionKinds: an approval or outcome record shows the
// kinds of the request it concerns when it carries them, as a decision
// does, and "-" only when it carries none.
func TestFormatLineNonDecisionKinds(t *testing.T) {
	want := []string{
		`2026-05-06T14:03:22Z #1 [APPROVAL] claude shell.execute,network.connect: "curl https://example.com"  Rule: "Ask before fetching with curl or wget" (builtin:default.yaml:304)  Approval: requested`,
		`2026-05-06T14:03:22Z #2 [DENIED] claude shell.execute,network.connect: "curl https://example.com"  Rule: "Ask before fetching with curl or wget" (builtin:default.yaml:304)  Approval: expired by timeout`,
		`2026-05-06T14:03:22Z #3 [OUTCOME] claude shell.execute,network.connect: "Bash"`,
		`2026-05-06T14:03:22Z #4 [APPROVAL] claude -: "curl https://example.com"  Rule: "Ask before fetching with curl or wget" (builtin:default.yaml:304)  Approval: requested`,
		`2026-05-06T14:03:22Z #5 [ALLOWED] claude shell.execute: "git status"`,
	}
	for i, r := range approvalRecords() {
		r.Seq, r.Time = uint64(i+1), t0
		if got := FormatLine(r); got != want[i] {
			t.Errorf("record %d:\n got %s\nwant %s", i+1, got, want[i])
		}
	}
}

// TestFilterSelectsNonDecisionKinds: action: selects approval and outcome
// records by the kinds they carry, through Match, the line prefilter and
// the store, together with the other keys.
func TestFilterSelectsNonDecisionKinds(t *testing.T) {
	s := newTestStore(t, FileOptions{})
	ctx := context.Background()
	for _, r := range approvalRecords() {
		r.Time = t0
		if _, err := s.Append(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct{ expr, want string }{
		{"action:network", "1,2,3"},
		{"action:network.connect type:approval", "1,2"},
		{"action:network decision:ask", "1"},
		{"action:network decision:deny", "2"},
		{"action:*.connect type:outcome", "3"},
		{"action:shell", "1,2,3,5"},
		{"type:approval", "1,2,4"},
		{"action:file", ""},
	} {
		f, err := ParseFilter(tt.expr, t0)
		if err != nil {
			t.Fatalf("%q: %v", tt.expr, err)
		}
		var got []string
		err = s.Query(ctx, f, func(r *Record) error {
			line, err := appendRecord(nil, r, true)
			if err != nil {
				return err
			}
			if !f.lineFilter().pass(line) {
				t.Errorf("%s: line filter rejects record %d, which matches", tt.expr, r.Seq)
			}
			got = append(got, fmt.Sprint(r.Seq))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if g := strings.Join(got, ","); g != tt.want {
			t.Errorf("%s: got records %q, want %q", tt.expr, g, tt.want)
		}
	}
}
