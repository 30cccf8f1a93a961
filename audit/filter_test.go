package audit

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseFilter(t *testing.T) {
	now := t0
	tests := []struct {
		expr string
		want Filter
	}{
		{"", Filter{}},
		{"action:network", Filter{Actions: []string{"network"}}},
		{`action:network.* decision:deny since:1h rule:"Block Python HTTP server"`, Filter{Actions: []string{"network.*"},
			Decisions: []string{"deny"}, Since: now.Add(-time.Hour), Rules: []string{"Block Python HTTP server"}}},
		{"action:network action:file.write", Filter{Actions: []string{"network", "file.write"}}},
		{"agent:Claude session:abc-1 cwd:/home/dev surface:hook", Filter{Agents: []string{"claude"}, Sessions: []string{"abc-1"},
			Cwds: []string{"/home/dev"}, Surfaces: []string{"hook"}}},
		{`python "http.server 80" type:prune`, Filter{Text: []string{"python", "http.server 80"}, Types: []string{"prune"}}},
		{"decision:DENIED decision:approval", Filter{Decisions: []string{"deny", "ask"}}},
		{"since:2d until:2026-05-01", Filter{Since: now.Add(-48 * time.Hour), Until: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)}},
		{"since:1h30m since:1w", Filter{Since: now.Add(-7 * 24 * time.Hour)}},
		{`since:2026-05-06T10:00:00Z rule:"say \"hi\""`, Filter{Since: time.Date(2026, 5, 6, 10, 0, 0, 0, time.UTC), Rules: []string{`say "hi"`}}},
		{"  decision:allow\t", Filter{Decisions: []string{"allow"}}},
		// Unknown tools keep their names' case: tool.NotebookEdit.
		{"action:tool.NotebookEdit action:*Edit", Filter{Actions: []string{"tool.NotebookEdit", "*Edit"}}},
		{"Action:network", Filter{Actions: []string{"network"}}},
	}
	for _, tt := range tests {
		got, err := ParseFilter(tt.expr, now)
		if err != nil {
			t.Errorf("ParseFilter(%q): %v", tt.expr, err)
			continue
		}
		if !reflect.DeepEqual(*got, tt.want) {
			t.Errorf("ParseFilter(%q) = %+v, want %+v", tt.expr, *got, tt.want)
		}
	}
}

func TestParseFilterErrors(t *testing.T) {
	tests := []struct{ expr, want string }{
		{"actoin:network", `filter: column 1: unknown key "actoin" (did you mean "action"?); valid keys: action, agent, cwd, decision, rule, session, since, surface, type, until`},
		{"decision:deny desicion:allow", `column 15: unknown key "desicion" (did you mean "decision"?)`},
		{"foo:bar", `column 1: unknown key "foo"; valid keys`},
		{"http://x", `unknown key "http"`},
		{"decision:maybe", `column 10: decision "maybe": want allow, deny or ask`},
		{"action:", "column 8: empty value for action"},
		{`rule:"open`, "column 6: unterminated quote"},
		{`rule:"a"b`, "column 9: expected a space after the closing quote"},
		{"since:yesterday", `column 7: time "yesterday"`},
		{`ab"c`, "column 3: unexpected quote"},
		{`type:x`, `type "x": want decision, approval, outcome or prune`},
		// Filters that would otherwise match everything, or silently
		// nothing, are errors.
		{`""`, "column 1: empty quoted text"},
		{`action:network ""`, "column 16: empty quoted text"},
		{`action=network`, `column 1: "action=network": write action:network`},
		{`decision:deny Decision=allow`, `column 15: "Decision=allow": write Decision:allow`},
		{`action:network OR action:file`, `column 16: "OR" is not an operator here`},
		{`NOT decision:deny`, `column 1: "NOT" is not an operator here`},
		{`since:106000d106000d106000d`, `column 7: time "106000d106000d106000d"`},
		{`since:99999999999999999999d`, `column 7: time`},
		{`until:3000000h3000000h3000000h3000000h`, `column 7: time`},
		// The zero time is "no bound": until it would match everything.
		{`until:0001-01-01T00:00:00Z`, `column 7: time "0001-01-01T00:00:00Z": too early`},
		{`until:0000-06-01T00:00:00Z`, `column 7: time "0000-06-01T00:00:00Z": too early`},
		// Action kinds are lower case: a capital letter (outside a tool
		// name) matches nothing.
		{`action:NETWORK`, `column 8: action "NETWORK": action kinds are lower case (write action:network)`},
		{`decision:deny action:Network.*`, `column 22: action "Network.*"`},
		{`action:TOOL.x`, `column 8: action "TOOL.x"`},
		// Records hold absolute directories.
		{`cwd:~/proj`, `column 5: cwd "~/proj": write an absolute directory`},
		{`decision:deny cwd:.`, `column 19: cwd "."`},
		// Bytes that are not UTF-8 match inside a stored character or
		// nowhere.
		{"python \xe2\x80", "column 8: not valid UTF-8"},
		{"rule:\"a\xff\"", "column 8: not valid UTF-8"},
	}
	for _, tt := range tests {
		_, err := ParseFilter(tt.expr, t0)
		var fe *FilterError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseFilter(%q) error = %v, want it to contain %q", tt.expr, err, tt.want)
		}
	}
}

func TestFilterMatch(t *testing.T) {
	r := sampleRecord(0) // deny, claude, shell.execute + network.listen
	r.Seq, r.Time, r.Type = 5, t0, TypeDecision
	tests := []struct {
		expr string
		want bool
	}{
		{"", true},
		{"action:network", true},
		{"action:network.listen", true},
		{"action:net", true},
		{"action:network.*", true},
		{"action:*.listen", true},
		{"action:file", false},
		{"action:network.connect", false},
		{"action:file action:network", true},
		{"decision:deny", true},
		{"decision:allow", false},
		{"decision:allow decision:deny", true},
		{`rule:"Block Python HTTP server"`, true},
		{`rule:"Block Python*"`, true},
		{"rule:safeclaw.policy.yaml:3", true},
		{`rule:"Block Python"`, false},
		// Rule names are prose people retype: ASCII case is ignored, as in
		// free text and decision:, for the name, the reason and the source.
		{`rule:"block python http server"`, true},
		{`rule:"BLOCK PYTHON HTTP SERVER"`, true},
		{`rule:"block PYTHON*"`, true},
		{`rule:"*http SERVER"`, true},
		{"rule:SAFECLAW.policy.yaml:3", true},
		{`rule:"block python"`, false},
		{`rule:"block python http server!"`, false},
		{"agent:claude", true},
		{"agent:codex", false},
		{"session:sess-0", true},
		{"cwd:/home/dev", true},
		{"cwd:/home/dev/", true},
		{"cwd:/home/de", false},
		{"cwd:/", true},
		{"surface:hook", true},
		{"surface:mcp", false},
		{"type:decision", true},
		{"HTTP.SERVER", true},
		{"http.server python", true},
		{"http.server ruby", false},
		{`"server 8000"`, true},
		{"since:2026-05-06T14:00:00Z", true},
		{"since:2026-05-06T15:00:00Z", false},
		{"until:2026-05-06T15:00:00Z", true},
		{"until:2026-05-06T14:03:22Z", false},
		{"action:network decision:deny agent:claude", true},
		{"action:network decision:allow", false},
	}
	line, _ := appendRecord(nil, r, true)
	for _, tt := range tests {
		f, err := ParseFilter(tt.expr, t0.Add(time.Hour))
		if err != nil {
			t.Fatalf("%q: %v", tt.expr, err)
		}
		if got := f.Match(r); got != tt.want {
			t.Errorf("%q matches = %v, want %v", tt.expr, got, tt.want)
		}
		// The line filter must never reject a record that matches.
		if tt.want && !f.lineFilter().pass(line) {
			t.Errorf("%q: line filter rejects a matching record", tt.expr)
		}
	}
}

func TestQuery(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, FileOptions{MaxSegmentBytes: 8192})
	appendN(t, s, 200)
	count := func(expr string, mod func(*Filter)) []uint64 {
		f, err := ParseFilter(expr, t0.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if mod != nil {
			mod(f)
		}
		var seqs []uint64
		if err := s.Query(ctx, f, func(r *Record) error { seqs = append(seqs, r.Seq); return nil }); err != nil {
			t.Fatal(err)
		}
		return seqs
	}
	if n := len(count("action:network", nil)); n != 100 { // cases 0 and 3
		t.Errorf("action:network: %d records", n)
	}
	if n := len(count("action:network.listen decision:deny", nil)); n != 50 {
		t.Errorf("listen+deny: %d", n)
	}
	if n := len(count("agent:codex", nil)); n != 50 {
		t.Errorf("agent:codex: %d", n)
	}
	if n := len(count("decision:ask", nil)); n != 50 {
		t.Errorf("decision:ask: %d", n)
	}
	// AfterSeq seeks; Newest reads backwards; both deliver oldest first.
	got := count("", func(f *Filter) { f.AfterSeq = 150 })
	if len(got) != 50 || got[0] != 151 || got[49] != 200 {
		t.Errorf("after 150: %v", got)
	}
	got = count("agent:codex", func(f *Filter) { f.Newest = 3 })
	if !reflect.DeepEqual(got, []uint64{192, 196, 200}) {
		t.Errorf("newest 3 codex: %v", got)
	}
	got = count("", func(f *Filter) { f.Newest = 5; f.AfterSeq = 197 })
	if !reflect.DeepEqual(got, []uint64{198, 199, 200}) {
		t.Errorf("newest 5 after 197: %v", got)
	}
	got = count("", func(f *Filter) { f.Newest = 1000 })
	if len(got) != 200 || got[0] != 1 {
		t.Errorf("newest 1000: %d records from %v", len(got), got[:1])
	}
	// Stop ends a query without error.
	n := 0
	if err := s.Query(ctx, nil, func(*Record) error { n++; return ErrStop }); err != nil || n != 1 {
		t.Errorf("stop: %d, %v", n, err)
	}
}

func TestSeekSeqLargeSegment(t *testing.T) {
	s := newTestStore(t, FileOptions{})
	appendN(t, s, 3000)
	for _, after := range []uint64{1, 2, 999, 2998, 2999, 3000, 5000} {
		f := &Filter{AfterSeq: after}
		var first uint64
		var n int
		s.Query(context.Background(), f, func(r *Record) error {
			if n == 0 {
				first = r.Seq
			}
			n++
			return nil
		})
		wantN := max(0, 3000-int(after))
		if n != wantN || (n > 0 && first != after+1) {
			t.Errorf("after %d: %d records from %d", after, n, first)
		}
	}
}

func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{`action:network decision:deny since:1h rule:"Block Python HTTP server"`, `"x y" z`, "cwd:/a agent:b", `rule:"\"`,
		"action:tool.NotebookEdit", "action:NETWORK", "\u2028", "\xe2\x80", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		flt, err := ParseFilter(expr, t0)
		if err != nil {
			var fe *FilterError
			if !errors.As(err, &fe) || fe.Col < 1 || fe.Col > len(expr)+2 {
				t.Fatalf("bad error %v for %q", err, expr)
			}
			return
		}
		// The line filter agrees with Match on every sample record.
		for i := 0; i < 5; i++ {
			r := sampleRecord(i)
			if i == 4 {
				r = nonASCIIRecord()
			}
			r.Seq, r.Time, r.Type = uint64(i+1), t0, TypeDecision
			line, _ := appendRecord(nil, r, true)
			if flt.Match(r) && !flt.lineFilter().pass(line) {
				t.Fatalf("%q: line filter rejects a matching record", expr)
			}
		}
	})
}

func TestFilterSingleQuotesRefused(t *testing.T) {
	_, err := ParseFilter(`rule:'Block Python HTTP server'`, time.Now())
	var fe *FilterError
	if !errors.As(err, &fe) || fe.Col != 6 || !strings.Contains(err.Error(), "double quotes") {
		t.Fatalf("single-quoted value: %v", err)
	}
	if _, err := ParseFilter(`rule:"Block Python HTTP server"`, time.Now()); err != nil {
		t.Fatal(err)
	}
}

// nonASCIIRecord has characters of two, three and four bytes, U+2028 and a
// tool kind with capitals in the fields filters look at.
func nonASCIIRecord() *Record {
	return &Record{
		Surface: "hook", Agent: "claude", Cwd: "/home/dév/\u2028", Request: "echo héllo \u2028 😀 Ünïcode",
		Decision: Deny, Reason: "façade", Notes: []string{"naïve"},
		Rule:    &Rule{Name: "Bloc d’écoute", Source: "policy.yaml:1"},
		Actions: []Facet{{Kind: "tool.NotebookÉdit", Tool: "NotebookÉdit"}, {Kind: "shell.execute", Command: "echo héllo"}},
	}
}

// TestLineFilterNeverDropsAMatch: the prefilter only rejects lines Match
// rejects, also for filters built in code with bytes that are not UTF-8
// (which the canonical form replaces, so their needles would not be in the
// line), a lone continuation byte matching inside a stored character.
func TestLineFilterNeverDropsAMatch(t *testing.T) {
	r := nonASCIIRecord()
	r.Seq, r.Time, r.Type = 1, t0, TypeDecision
	line, err := appendRecord(nil, r, true)
	if err != nil {
		t.Fatal(err)
	}
	tests := []Filter{
		{Text: []string{"\x80"}},                 // inside U+2028 (e2 80 a8)
		{Text: []string{"h\xc3"}},                // the start of é
		{Actions: []string{"tool.Notebook\xc3"}}, // a prefix ending inside É
		{Cwds: []string{"/home/d\xc3"}},          // not a directory, but a prefix Match compares
		{Rules: []string{"Bloc d\xe2*"}},         // a glob piece ending inside ’
		{Text: []string{"HÉLLO"}},                // É is not ASCII: no case folding, no match
		{Actions: []string{"tool.NotebookÉdit"}},
		{Text: []string{"NAÏVE"}},
		{Rules: []string{"BLOC D’écoute"}}, // ASCII letters fold
		{Rules: []string{"bloc d’ÉCOUTE"}}, // É does not: no match
		{Rules: []string{"BLOC d’*"}},      // a glob, folded
		{Rules: []string{"POLICY.YAML:1"}}, // the source, folded
		{Rules: []string{"bloc d\xe2*"}},   // a folded glob piece ending inside ’
	}
	for _, f := range tests {
		if f.Match(r) && !f.lineFilter().pass(line) {
			t.Errorf("%+v: line filter rejects a matching record", f)
		}
	}
	// And via the store.
	s := newTestStore(t, FileOptions{})
	if _, err := s.Append(context.Background(), nonASCIIRecord()); err != nil {
		t.Fatal(err)
	}
	for _, f := range tests {
		var n int
		if err := s.Query(context.Background(), &f, func(*Record) error { n++; return nil }); err != nil {
			t.Fatal(err)
		}
		stored := nonASCIIRecord()
		stored.Seq, stored.Time, stored.Type = 1, t0, TypeDecision
		if want := f.Match(stored); (n == 1) != want {
			t.Errorf("%+v: query found %d, Match says %v", f, n, want)
		}
	}
}

// TestRuleFilterIgnoresASCIICase: rule: matches the deciding rule's name,
// reason or source whatever the case of its ASCII letters, in Match, in the
// line prefilter and through a store, and a different rule stays out.
func TestRuleFilterIgnoresASCIICase(t *testing.T) {
	s := newTestStore(t, FileOptions{})
	ctx := context.Background()
	for _, r := range []*Record{
		{Decision: Deny, Request: "python -m http.server", Rule: &Rule{Name: "Block Python HTTP server", Source: "Policy.yaml:3"}},
		{Decision: Deny, Request: "nc -l 80", Rule: &Rule{Reason: "Block NETCAT listeners", Source: "policy.yaml:9"}},
		{Decision: Deny, Request: "ls"},
	} {
		if _, err := s.Append(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct{ expr, want string }{
		{`rule:"block python http server"`, "1"},
		{`rule:"BLOCK PYTHON HTTP SERVER"`, "1"},
		{`rule:"Block Python HTTP server"`, "1"},
		{`rule:"block netcat listeners"`, "2"},
		{`rule:"block *"`, "1,2"},
		{`rule:"*LISTENERS"`, "2"},
		{"rule:policy.yaml:3", "1"},
		{"rule:POLICY.YAML:9", "2"},
		{`rule:"block python http server" rule:"block netcat listeners"`, "1,2"},
		{`rule:"block python"`, ""},
	} {
		f, err := ParseFilter(tt.expr, t0)
		if err != nil {
			t.Fatalf("%q: %v", tt.expr, err)
		}
		var got []string
		if err := s.Query(ctx, f, func(r *Record) error { got = append(got, fmt.Sprint(r.Seq)); return nil }); err != nil {
			t.Fatal(err)
		}
		if g := strings.Join(got, ","); g != tt.want {
			t.Errorf("%s: got records %q, want %q", tt.expr, g, tt.want)
		}
	}
}

// TestAgentFilterIgnoresASCIICase: agent names are recorded as the client
// sends them (an API client's "Cursor-IDE", an MCP proxy's --agent), and
// agent: reads its value in lower case: the two must still meet.
func TestAgentFilterIgnoresASCIICase(t *testing.T) {
	s := newTestStore(t, FileOptions{})
	ctx := context.Background()
	for _, a := range []string{"Cursor-IDE", "claude", "Ünï"} {
		if _, err := s.Append(ctx, &Record{Decision: Deny, Surface: "api", Agent: a, Request: "ls"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct{ expr, want string }{
		{"agent:Cursor-IDE", "1"},
		{"agent:cursor-ide", "1"},
		{"agent:CLAUDE", "2"},
		{"agent:cursor-ide agent:claude", "1,2"},
		{"agent:Ünï", "3"},
		{"agent:ünï", ""}, // Ü is not ASCII: not folded
		{"surface:API agent:CURSOR-ide", "1"},
		{"agent:cursor", ""},
	} {
		f, err := ParseFilter(tt.expr, t0)
		if err != nil {
			t.Fatalf("%q: %v", tt.expr, err)
		}
		var got []string
		if err := s.Query(ctx, f, func(r *Record) error { got = append(got, fmt.Sprint(r.Seq)); return nil }); err != nil {
			t.Fatal(err)
		}
		if g := strings.Join(got, ","); g != tt.want {
			t.Errorf("%s: got records %q, want %q", tt.expr, g, tt.want)
		}
	}
	// A Filter built in code, in any case, matches the same way.
	if !(&Filter{Agents: []string{"CURSOR-IDE"}}).Match(&Record{Agent: "Cursor-IDE"}) {
		t.Error("Filter{Agents: CURSOR-IDE} does not match agent Cursor-IDE")
	}
}
