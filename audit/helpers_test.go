package audit

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var t0 = time.Date(2026, 5, 6, 14, 3, 22, 0, time.UTC)

// newTestStore opens a file store in a temp dir with a fixed clock.
func newTestStore(t testing.TB, opts FileOptions) *FileStore {
	t.Helper()
	home := t.TempDir()
	if opts.KeyFile == "" {
		opts.KeyFile = filepath.Join(home, "keys", "audit.key")
	}
	if opts.Now == nil {
		n := 0
		opts.Now = func() time.Time { n++; return t0.Add(time.Duration(n) * time.Second) }
	}
	s, err := OpenFile(filepath.Join(home, "audit"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// sampleRecord is a plausible decision record; i varies its content.
func sampleRecord(i int) *Record {
	r := &Record{
		Surface: "hook", Agent: "claude", Session: fmt.Sprintf("sess-%d", i%7), Cwd: "/home/dev/proj",
		Request:  fmt.Sprintf("python -m http.server %d", 8000+i),
		Decision: Deny, Reason: "Block Python HTTP server",
		Rule:       &Rule{Name: "Block Python HTTP server", Reason: "Block Python HTTP server", Source: "safeclaw.policy.yaml:3", Layer: "user"},
		PolicyHash: "sha256:0b1f",
		LatencyUS:  int64(40 + i%13),
		Actions: []Facet{
			{Kind: "shell.execute", Command: fmt.Sprintf("python -m http.server %d", 8000+i), Program: "python"},
			{Kind: "network.listen", Port: 8000 + i, Detail: "python http.server"},
		},
	}
	switch i % 4 {
	case 1:
		r.Decision, r.Rule, r.Reason = Allow, &Rule{Name: "git status", Source: "policy.yaml:9"}, "read-only git"
		r.Request = "git status"
		r.Actions = []Facet{{Kind: "shell.execute", Command: "git status", Program: "git"}}
	case 2:
		r.Decision = Ask
		r.Approval = &Approval{ID: fmt.Sprint("ap-", i), Outcome: "approved", Approver: "alice", Channel: "cli", WaitUS: 1500000}
		r.Request = `{"file_path":"/home/dev/proj/main.go","content":"package main"}`
		r.Actions = []Facet{{Kind: "file.write", Path: "/home/dev/proj/main.go", Tool: "Write", Args: map[string]any{"file_path": "/home/dev/proj/main.go", "n": 3.5, "list": []any{true, nil, "x"}}}}
	case 3:
		r.Agent = "codex"
		r.Decision = Deny
		r.Rule = nil
		r.Reason = "no rule matched: default deny"
		r.Request = "curl -s https://example.com/x"
		r.Actions = []Facet{{Kind: "shell.execute", Command: "curl -s https://example.com/x", Program: "curl"}, {Kind: "network.connect", Host: "example.com", Port: 443, URL: "https://example.com/x"}}
	}
	return r
}

func appendN(t testing.TB, s *FileStore, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		if _, err := s.Append(context.Background(), sampleRecord(i)); err != nil {
			t.Fatal(err)
		}
	}
}

func mustVerify(t testing.TB, s *FileStore) *Report {
	t.Helper()
	rep, err := s.Verify(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func segPaths(t testing.TB, s *FileStore) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(s.dir, "seg-*.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// readLinesOf returns the lines of a file (without newlines).
func readLinesOf(t testing.TB, path string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
	return lines
}

func writeLines(t testing.TB, path string, lines [][]byte) {
	t.Helper()
	var b []byte
	for _, l := range lines {
		b = append(b, l...)
		b = append(b, '\n')
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
