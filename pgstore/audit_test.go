package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/safeclaw/safeclaw/audit"
	"github.com/safeclaw/safeclaw/audit/audittest"
)

func TestAuditContract(t *testing.T) {
	testURL(t)
	audittest.Run(t, func(t *testing.T) audit.Store {
		return openAudit(t, openDB(t, newSchema(t)), "host1/claude")
	})
}

// The chain is the file trail's: same hashes and seals for the same records.
func TestAuditSameChainAsFileStore(t *testing.T) {
	a := openAudit(t, openDB(t, newSchema(t)), "h")
	defer a.Close()
	dir := t.TempDir()
	keyFile := dir + "/key"
	k := testKey()
	if err := writeKey(keyFile, k); err != nil {
		t.Fatal(err)
	}
	fs, err := audit.OpenFile(dir+"/trail", audit.FileOptions{KeyFile: keyFile})
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	for i := 0; i < 6; i++ {
		r1, r2 := audittest.Record(i), audittest.Record(i)
		if i == 3 {
			r1.Request, r2.Request = "curl -u admin:hunter2 x", "curl -u admin:hunter2 x"
			args := map[string]any{"hash": "", "mac": "", "n": 1.5}
			r1.Actions[0].Args, r2.Actions[0].Args = args, args
		}
		if _, err := a.Append(context.Background(), r1); err != nil {
			t.Fatal(err)
		}
		if _, err := fs.Append(context.Background(), r2); err != nil {
			t.Fatal(err)
		}
		b1, _ := json.Marshal(r1)
		b2, _ := json.Marshal(r2)
		if string(b1) != string(b2) {
			t.Fatalf("record %d differs:\npg   %s\nfile %s", i, b1, b2)
		}
	}
}

func writeKey(path string, k *audit.Key) error {
	return writeFile(path, fmt.Sprintf("%x\n", k[:]))
}

func TestAuditStreamsAreIndependent(t *testing.T) {
	schema := newSchema(t)
	db := openDB(t, schema)
	ctx := context.Background()
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := openAudit(t, db, fmt.Sprintf("host%d/claude", w))
			defer s.Close()
			for i := 0; i < 20; i++ {
				if _, err := s.Append(ctx, audittest.Record(i)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	r := openAudit(t, db, "")
	defer r.Close()
	reps, err := r.VerifyStreams(ctx)
	if err != nil || len(reps) != 4 {
		t.Fatalf("%d streams, %v", len(reps), err)
	}
	for _, rep := range reps {
		if !rep.Intact || rep.Records != 20 || rep.LastSeq != 20 || rep.HeadSeq != 20 {
			t.Fatalf("stream %s: %+v", rep.Stream, rep.Report)
		}
	}
	n := 0
	f, _ := audit.ParseFilter("decision:deny", time.Now())
	if err := r.Query(ctx, f, func(*audit.Record) error { n++; return nil }); err != nil || n != 40 {
		t.Fatalf("all-stream query: %d records, %v", n, err)
	}
	if _, err := r.Append(ctx, audittest.Record(0)); err == nil {
		t.Fatal("append without a stream succeeded")
	}
}

func TestAuditTamperDetected(t *testing.T) {
	schema := newSchema(t)
	db := openDB(t, schema)
	ctx := context.Background()
	exec := func(sql string) {
		t.Helper()
		if _, err := db.pool.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name, sql, kind string
	}{
		{"edited", `UPDATE audit_records SET line = replace(line, 'python', 'pythoN') WHERE seq = 3`, audit.ProblemEdited},
		{"deleted", `DELETE FROM audit_records WHERE seq = 4`, audit.ProblemMissing},
		{"truncated", `DELETE FROM audit_records WHERE seq = 6`, audit.ProblemTruncated},
		{"forged-checkpoint", `UPDATE audit_checkpoints SET mac = repeat('0', 64) WHERE seq = 6`, audit.ProblemHeadInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stream := "s-" + tt.name
			a := openAudit(t, db, stream)
			defer a.Close()
			for i := 0; i < 6; i++ {
				if _, err := a.Append(ctx, audittest.Record(i)); err != nil {
					t.Fatal(err)
				}
			}
			exec(fmt.Sprintf(`WITH x AS (SELECT 1) %s AND stream = '%s'`, tt.sql, stream))
			reps, err := a.VerifyStreams(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, rep := range reps {
				if rep.Stream != stream {
					continue
				}
				if rep.Intact {
					t.Fatalf("tampering not detected: %+v", rep.Report)
				}
				if p, _ := rep.FirstBad(); p.Kind != tt.kind {
					t.Fatalf("first problem %v, want %s", rep.Problems, tt.kind)
				}
			}
			if tt.name == "truncated" {
				if _, err := a.Append(ctx, audittest.Record(7)); !errors.Is(err, audit.ErrTampered) {
					t.Fatalf("append after truncation: %v, want ErrTampered", err)
				}
			}
		})
	}
}

func TestAuditRefusesOtherKey(t *testing.T) {
	db := openDB(t, newSchema(t))
	a := openAudit(t, db, "h")
	defer a.Close()
	if _, err := a.Append(context.Background(), audittest.Record(0)); err != nil {
		t.Fatal(err)
	}
	var other audit.Key
	b, err := db.Audit(context.Background(), AuditOptions{Stream: "h", Key: &other})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := b.Append(context.Background(), audittest.Record(1)); err == nil {
		t.Fatal("append with another key succeeded")
	}
}

func BenchmarkAuditAppend(b *testing.B) {
	db := openDB(b, newSchema(b))
	a := openAudit(b, db, "bench")
	defer a.Close()
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := a.Append(ctx, audittest.Record(i)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuditAppendStreams appends from 8 writers on 8 streams at once,
// as 8 machines would.
func BenchmarkAuditAppendStreams(b *testing.B) {
	db := openDB(b, newSchema(b))
	ctx := context.Background()
	var n int64
	var mu sync.Mutex
	b.SetParallelism(4) // 4 x GOMAXPROCS writers
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		mu.Lock()
		n++
		stream := fmt.Sprintf("host%d", n)
		mu.Unlock()
		a := openAudit(b, db, stream)
		defer a.Close()
		i := 0
		for pb.Next() {
			if _, err := a.Append(ctx, audittest.Record(i)); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}

// BenchmarkAuditAppendBatch64 appends 64 records per transaction (per op).
func BenchmarkAuditAppendBatch64(b *testing.B) {
	db := openDB(b, newSchema(b))
	a := openAudit(b, db, "bench")
	defer a.Close()
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		recs := make([]*audit.Record, 64)
		for j := range recs {
			recs[j] = audittest.Record(j)
		}
		if _, err := a.AppendBatch(ctx, recs); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuditAppendGroup appends from 8 goroutines on one handle (one
// stream), as a busy serve instance does: group commit applies.
func BenchmarkAuditAppendGroup(b *testing.B) {
	db := openDB(b, newSchema(b))
	a := openAudit(b, db, "bench")
	defer a.Close()
	ctx := context.Background()
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := a.Append(ctx, audittest.Record(i)); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}
