// Package audittest holds the contract every [audit.Store] must meet, as
// tests a store implementation runs against itself:
//
//	func TestContract(t *testing.T) {
//		audittest.Run(t, func(t *testing.T) audit.Store { return newEmptyStore(t) })
//	}
//
// Tampering cannot be tested generically (each store is attacked through its
// own medium), so each store adds its own tamper tests.
package audittest

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/safeclaw/safeclaw/audit"
)

// Run runs the contract tests. newStore must return a new, empty store
// each time; Run closes it.
func Run(t *testing.T, newStore func(t *testing.T) audit.Store) {
	open := func(t *testing.T) audit.Store {
		s := newStore(t)
		t.Cleanup(func() { s.Close() })
		return s
	}
	tests := []struct {
		name string
		fn   func(t *testing.T, s audit.Store)
	}{
		{"EmptyTrailVerifies", testEmpty},
		{"AppendChains", testAppendChains},
		{"QueryReturnsWhatWasStored", testQuery},
		{"FilterSemantics", testFilters},
		{"SecretsRedacted", testRedaction},
		{"VerifyIntact", testVerify},
		{"ConcurrentAppends", testConcurrent},
		{"InvalidRecordRejected", testInvalid},
		{"CanceledContext", testCanceled},
		{"Export", testExport},
		{"Batch", testBatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
}

var base = time.Date(2026, 5, 6, 12, 0, 0, 0, time.UTC)

// Record returns a plausible decision record; i varies it: even i are
// denied network listeners from claude, odd i allowed git commands from
// codex.
func Record(i int) *audit.Record {
	r := &audit.Record{
		Time: base.Add(time.Duration(i) * time.Minute), Surface: "hook", Session: fmt.Sprintf("s%d", i%3), Cwd: "/home/dev/proj",
		PolicyHash: "sha256:abc", LatencyUS: 42,
	}
	if i%2 == 0 {
		r.Agent, r.Decision, r.Reason = "claude", audit.Deny, "Block Python HTTP server"
		r.Request = fmt.Sprintf("python -m http.server %d", 8000+i)
		r.Rule = &audit.Rule{Name: "Block Python HTTP server", Reason: "Block Python HTTP server", Source: "safeclaw.policy.yaml:3"}
		r.Actions = []audit.Facet{{Kind: "shell.execute", Command: r.Request, Program: "python"}, {Kind: "network.listen", Port: 8000 + i}}
	} else {
		r.Agent, r.Decision, r.Reason = "codex", audit.Allow, "read-only git"
		r.Request = "git status"
		r.Rule = &audit.Rule{Name: "git read-only", Source: "builtin", Builtin: true}
		r.Actions = []audit.Facet{{Kind: "shell.execute", Command: "git status", Program: "git", Args: map[string]any{"n": 1.0}}}
	}
	return r
}

func appendN(t *testing.T, s audit.Store, n int) []*audit.Record {
	t.Helper()
	var out []*audit.Record
	for i := 0; i < n; i++ {
		r := Record(i)
		seq, err := s.Append(context.Background(), r)
		if err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
		if seq != r.Seq {
			t.Fatalf("append returned seq %d, record has %d", seq, r.Seq)
		}
		out = append(out, r)
	}
	return out
}

func all(t *testing.T, s audit.Store, f *audit.Filter) []*audit.Record {
	t.Helper()
	var out []*audit.Record
	if err := s.Query(context.Background(), f, func(r *audit.Record) error { out = append(out, r); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func verify(t *testing.T, s audit.Store) *audit.Report {
	t.Helper()
	rep, err := s.Verify(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func testEmpty(t *testing.T, s audit.Store) {
	if rep := verify(t, s); !rep.Intact || rep.Records != 0 || len(rep.Problems) != 0 {
		t.Fatalf("empty trail: %+v", rep)
	}
	if got := all(t, s, nil); len(got) != 0 {
		t.Fatalf("empty trail returned %d records", len(got))
	}
}

func testAppendChains(t *testing.T, s audit.Store) {
	recs := appendN(t, s, 3)
	for i, r := range recs {
		if r.Seq != uint64(i+1) {
			t.Fatalf("record %d has seq %d", i, r.Seq)
		}
		if len(r.Hash) != 64 || len(r.MAC) != 64 || len(r.Prev) != 64 {
			t.Fatalf("record %d not sealed: %+v", i, r)
		}
		if r.Type != audit.TypeDecision {
			t.Fatalf("record %d type %q", i, r.Type)
		}
	}
	if recs[0].Prev != strings.Repeat("0", 64) || recs[1].Prev != recs[0].Hash || recs[2].Prev != recs[1].Hash {
		t.Fatal("records are not chained")
	}
}

func testQuery(t *testing.T, s audit.Store) {
	want := appendN(t, s, 6)
	got := all(t, s, nil)
	if len(got) != len(want) {
		t.Fatalf("%d records, want %d", len(got), len(want))
	}
	for i := range want {
		a, _ := json.Marshal(want[i])
		b, _ := json.Marshal(got[i])
		if !bytes.Equal(a, b) {
			t.Errorf("record %d stored as\n%s\nwant\n%s", i, b, a)
		}
	}
}

func testFilters(t *testing.T, s audit.Store) {
	appendN(t, s, 10)
	seqs := func(expr string, mod func(*audit.Filter)) string {
		f, err := audit.ParseFilter(expr, base.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if mod != nil {
			mod(f)
		}
		var out []string
		for _, r := range all(t, s, f) {
			out = append(out, fmt.Sprint(r.Seq))
		}
		return strings.Join(out, ",")
	}
	for _, tt := range []struct {
		expr string
		mod  func(*audit.Filter)
		want string
	}{
		{"action:network", nil, "1,3,5,7,9"},
		{"action:network.*", nil, "1,3,5,7,9"},
		{"decision:allow", nil, "2,4,6,8,10"},
		{`rule:"Block Python HTTP server" agent:claude`, nil, "1,3,5,7,9"},
		{"agent:codex session:s0", nil, "4,10"},
		{"agent:codex agent:claude session:s1", nil, "2,5,8"},
		{"8004", nil, "5"},
		{"since:2026-05-06T12:05:00Z until:2026-05-06T12:08:00Z", nil, "6,7,8"},
		{"cwd:/home/dev", nil, "1,2,3,4,5,6,7,8,9,10"},
		{"cwd:/home/de", nil, ""},
		{"", func(f *audit.Filter) { f.AfterSeq = 7 }, "8,9,10"},
		{"decision:deny", func(f *audit.Filter) { f.Newest = 2 }, "7,9"},
	} {
		if got := seqs(tt.expr, tt.mod); got != tt.want {
			t.Errorf("%q: got %s, want %s", tt.expr, got, tt.want)
		}
	}
	n := 0
	if err := s.Query(context.Background(), nil, func(*audit.Record) error { n++; return audit.ErrStop }); err != nil || n != 1 {
		t.Errorf("ErrStop: %d records, %v", n, err)
	}
	boom := errors.New("boom")
	if err := s.Query(context.Background(), nil, func(*audit.Record) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("callback error not returned: %v", err)
	}
}

func testRedaction(t *testing.T, s audit.Store) {
	orig := "curl -u admin:hunter2 https://example.com"
	r1 := &audit.Record{Decision: audit.Deny, Request: orig, Actions: []audit.Facet{{Kind: "shell.execute", Command: orig}}}
	r2 := &audit.Record{Decision: audit.Deny, Request: orig}
	r3 := &audit.Record{Decision: audit.Deny, Request: "curl -u admin:other https://example.com"}
	for _, r := range []*audit.Record{r1, r2, r3} {
		if _, err := s.Append(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	got := all(t, s, nil)
	for _, r := range got {
		b, _ := json.Marshal(r)
		if strings.Contains(string(b), "hunter2") || strings.Contains(string(b), "other https") {
			t.Fatalf("secret stored: %s", b)
		}
		if !r.Redacted || r.RequestHMAC == "" {
			t.Fatalf("redaction not recorded: %s", b)
		}
	}
	if got[0].RequestHMAC != got[1].RequestHMAC || got[0].RequestHMAC == got[2].RequestHMAC {
		t.Fatal("keyed hashes of the originals do not compare")
	}
}

func testVerify(t *testing.T, s audit.Store) {
	recs := appendN(t, s, 25)
	rep := verify(t, s)
	last := recs[len(recs)-1]
	if !rep.Intact || rep.Records != 25 || rep.FirstSeq != 1 || rep.LastSeq != 25 || rep.LastHash != last.Hash || rep.HeadSeq != 25 {
		t.Fatalf("report %+v", rep)
	}
}

func testConcurrent(t *testing.T, s audit.Store) {
	const workers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				r := Record(i)
				r.Session = fmt.Sprintf("w%d-%d", w, i)
				if _, err := s.Append(context.Background(), r); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got := all(t, s, nil)
	seen := map[string]bool{}
	for i, r := range got {
		if r.Seq != uint64(i+1) {
			t.Fatalf("record %d has seq %d", i, r.Seq)
		}
		seen[r.Session] = true
	}
	if len(got) != workers*each || len(seen) != workers*each {
		t.Fatalf("%d records, %d distinct, want %d", len(got), len(seen), workers*each)
	}
	if rep := verify(t, s); !rep.Intact {
		t.Fatalf("after concurrent appends: %v", rep.Problems)
	}
}

func testInvalid(t *testing.T, s audit.Store) {
	for _, r := range []*audit.Record{{Decision: "maybe"}, {Type: "other", Decision: audit.Deny}, {Decision: audit.Allow, Actions: []audit.Facet{{}}}} {
		if _, err := s.Append(context.Background(), r); err == nil {
			t.Errorf("accepted invalid record %+v", r)
		}
	}
	if got := all(t, s, nil); len(got) != 0 {
		t.Fatalf("invalid records stored: %d", len(got))
	}
}

func testCanceled(t *testing.T, s audit.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Append(ctx, Record(0)); err == nil {
		t.Fatal("append with a canceled context succeeded")
	}
}

func testExport(t *testing.T, s audit.Store) {
	recs := appendN(t, s, 4)
	var jl bytes.Buffer
	if err := audit.Export(context.Background(), s, nil, &jl, audit.FormatJSONL); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(jl.String(), "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("jsonl: %d lines", len(lines))
	}
	for i, l := range lines {
		var r audit.Record
		if err := json.Unmarshal([]byte(l), &r); err != nil || r.Hash != recs[i].Hash {
			t.Fatalf("jsonl line %d: %v %s", i, err, l)
		}
	}
	var c bytes.Buffer
	f, _ := audit.ParseFilter("decision:deny", base)
	if err := audit.Export(context.Background(), s, f, &c, audit.FormatCSV); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&c).ReadAll()
	if err != nil || len(rows) != 3 || rows[0][0] != "seq" || rows[1][0] != "1" {
		t.Fatalf("csv: %v %q", err, rows)
	}
	if err := audit.Export(context.Background(), s, nil, &c, "xml"); err == nil {
		t.Fatal("unknown format accepted")
	}
}

func testBatch(t *testing.T, s audit.Store) {
	b, ok := s.(audit.BatchAppender)
	if !ok {
		t.Skip("store does not batch")
	}
	var recs []*audit.Record
	for i := 0; i < 10; i++ {
		recs = append(recs, Record(i))
	}
	last, err := b.AppendBatch(context.Background(), recs)
	if err != nil || last != 10 || recs[9].Seq != 10 || recs[1].Prev != recs[0].Hash {
		t.Fatalf("batch: last %d, %v", last, err)
	}
	if rep := verify(t, s); !rep.Intact || rep.Records != 10 {
		t.Fatalf("after batch: %+v", rep)
	}
}
