package audit

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// benchAppend appends one record per op, lock included, and reports the
// median latency.
func benchAppend(b *testing.B, durable bool) {
	s := newTestStore(b, FileOptions{Durable: durable})
	ctx := context.Background()
	recs := make([]*Record, 64)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if recs[i%64] == nil || recs[i%64].Seq != 0 {
			b.StopTimer()
			for j := range recs {
				recs[j] = sampleRecord(j)
			}
			b.StartTimer()
		}
		start := time.Now()
		if _, err := s.Append(ctx, recs[i%64]); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

func BenchmarkAppend(b *testing.B)        { benchAppend(b, false) }
func BenchmarkAppendDurable(b *testing.B) { benchAppend(b, true) }

func benchBatch(b *testing.B, durable bool) {
	const batch = 1000
	s := newTestStore(b, FileOptions{Durable: durable})
	ctx := context.Background()
	recs := make([]*Record, batch)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		for j := range recs {
			recs[j] = sampleRecord(i*batch + j)
		}
		b.StartTimer()
		if _, err := s.AppendBatch(ctx, recs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "records/s")
}

func BenchmarkAppendBatch(b *testing.B)        { benchBatch(b, false) }
func BenchmarkAppendBatchDurable(b *testing.B) { benchBatch(b, true) }

func BenchmarkVerify(b *testing.B) {
	const n = 100_000
	s := newTestStore(b, FileOptions{})
	ctx := context.Background()
	for i := 0; i < n; i += 1000 {
		recs := make([]*Record, 1000)
		for j := range recs {
			recs[j] = sampleRecord(i + j)
		}
		if _, err := s.AppendBatch(ctx, recs); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rep, err := s.Verify(ctx)
		if err != nil || !rep.Intact || rep.Records != n {
			b.Fatalf("%v %+v", err, rep)
		}
	}
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "records/s")
}

// millionTrail writes one million canonical records (10% with a network
// facet) straight into segments: a query does not check seals, and going
// through Append would make the setup the slow part.
func millionTrail(b *testing.B) *FileStore {
	dir := filepath.Join(b.TempDir(), "audit")
	os.MkdirAll(dir, 0o700)
	s, err := OpenFile(dir, FileOptions{})
	if err != nil {
		b.Fatal(err)
	}
	const total, perSeg = 1_000_000, 100_000
	var buf []byte
	for seg := 0; seg < total/perSeg; seg++ {
		buf = buf[:0]
		for i := seg * perSeg; i < (seg+1)*perSeg; i++ {
			r := &Record{Seq: uint64(i + 1), Time: t0.Add(time.Duration(i) * time.Second), Type: TypeDecision,
				Surface: "hook", Agent: []string{"claude", "codex", "gemini"}[i%3], Session: fmt.Sprintf("s%d", i/500), Cwd: "/home/dev/proj",
				Decision: Allow, Reason: "read-only", Rule: &Rule{Name: "everyday commands", Source: "builtin"},
				Request: fmt.Sprintf("git log -n %d --oneline", i%50), LatencyUS: 35,
				Actions: []Facet{{Kind: "shell.execute", Command: fmt.Sprintf("git log -n %d --oneline", i%50), Program: "git"}},
				Prev:    "7d2d6bd2b1fd8d7a6bd3e7c0c6e3c2b1a09f8e7d6c5b4a3928171615141312aa", Hash: "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0",
				MAC: "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"}
			if i%10 == 0 {
				r.Decision, r.Rule, r.Request = Deny, &Rule{Name: "Block Python HTTP server", Source: "safeclaw.policy.yaml:3"}, "python -m http.server 8080"
				r.Actions = []Facet{{Kind: "shell.execute", Command: r.Request, Program: "python"}, {Kind: "network.listen", Port: 8080}}
			}
			buf, _ = appendRecord(buf, r, true)
			buf = append(buf, '\n')
		}
		if err := os.WriteFile(filepath.Join(dir, segmentName(uint64(seg*perSeg+1))), buf, 0o600); err != nil {
			b.Fatal(err)
		}
	}
	return s
}

func BenchmarkQuery1M(b *testing.B) {
	s := millionTrail(b)
	ctx := context.Background()
	for _, expr := range []string{"action:network", `decision:deny rule:"Block Python HTTP server" agent:claude`, "http.server", "since:2026-05-16"} {
		b.Run(expr, func(b *testing.B) {
			f, err := ParseFilter(expr, t0)
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; i < b.N; i++ {
				n := 0
				if err := s.Query(ctx, f, func(*Record) error { n++; return nil }); err != nil {
					b.Fatal(err)
				}
				if n == 0 {
					b.Fatal("no match")
				}
			}
		})
	}
}

func BenchmarkRedact(b *testing.B) {
	// A file write's content: long text with no secret, and with one.
	code := `{"file_path":"/home/dev/proj/server.go","content":"` + strings.Repeat(`func (s *Server) handle(w http.ResponseWriter, r *http.Request) {\n\tif err := s.db.QueryRow(ctx, \"SELECT name FROM users WHERE id = $1\", id).Scan(&name); err != nil {\n\t\treturn fmt.Errorf(\"lookup %d: %w\", id, err)\n\t}\n}\n`, 50) + `"}`
	for _, c := range []struct{ name, text string }{
		{"python", "python -m http.server 8080"},
		{"curl", "curl -s https://example.com/x"},
		{"write", `{"file_path":"/home/dev/proj/main.go","content":"package main\nfunc main() {}"}`},
		{"curl-u", "curl -u admin:hunter2 https://x"},
		{"code-10KB", code},
		{"code-10KB-secret", strings.Replace(code, "SELECT", "password=hunter2 SELECT", 1)},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.text)))
			for i := 0; i < b.N; i++ {
				Redact(c.text)
			}
		})
	}
}
