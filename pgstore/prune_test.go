package pgstore

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/safeclaw/safeclaw/audit"
)

// TestPrune: retention drops whole monthly partitions, seals a prune record
// per stream and verify accepts each stream's new start; a record of the
// pruned range in a kept partition (a skewed clock) goes too, and removing
// more than a prune record vouches for is reported.
func TestPrune(t *testing.T) {
	schema := newSchema(t)
	db := openDB(t, schema)
	ctx := context.Background()
	now := time.Now().UTC()
	old5, old4 := now.AddDate(0, -5, 0), now.AddDate(0, -4, 0)
	if _, err := db.pool.Exec(ctx, `SELECT audit_ensure_partitions($1, 1)`, old5); err != nil {
		t.Fatal(err)
	}
	names, _, err := db.Partitions(ctx)
	if err != nil || len(names) < 7 {
		t.Fatalf("partitions %v, %v", names, err)
	}
	appendAt := func(a *Audit, at ...time.Time) {
		t.Helper()
		for _, ts := range at {
			r := approvaltestAuditRecord()
			r.Time = ts
			if _, err := a.Append(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
	}
	a, b, c := openAudit(t, db, "host-a/dev"), openAudit(t, db, "host-b/dev"), openAudit(t, db, "host-c/dev")
	defer a.Close()
	defer b.Close()
	defer c.Close()
	appendAt(a, old5, old5, old5, old4, old4, now, now)
	appendAt(b, now, now)
	appendAt(c, old5, now, old5, now)

	before := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -3, 0)
	res, err := db.Prune(ctx, testKey(), before)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Partitions) < 2 || len(res.Streams) != 2 {
		t.Fatalf("prune: %+v", res)
	}
	want := map[string]PrunedStream{
		"host-a/dev": {Stream: "host-a/dev", FirstSeq: 1, LastSeq: 5, Records: 5, PruneSeq: 8},
		"host-c/dev": {Stream: "host-c/dev", FirstSeq: 1, LastSeq: 3, Records: 3, PruneSeq: 5},
	}
	for _, s := range res.Streams {
		if want[s.Stream] != s {
			t.Errorf("pruned %+v, want %+v", s, want[s.Stream])
		}
	}
	reps, err := a.VerifyStreams(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantPruned := map[string]uint64{"host-a/dev": 5, "host-b/dev": 0, "host-c/dev": 3}
	for _, r := range reps {
		if !r.Intact || r.Pruned != wantPruned[r.Stream] {
			t.Errorf("%s after prune: intact %v pruned %d problems %+v", r.Stream, r.Intact, r.Pruned, r.Problems)
		}
	}
	// Appends go on; a second prune finds nothing more to drop.
	appendAt(a, now)
	appendAt(c, now)
	if res, err := db.Prune(ctx, testKey(), before); err != nil || len(res.Partitions) != 0 {
		t.Fatalf("second prune: %+v %v", res, err)
	}
	if rep, err := a.Verify(ctx); err != nil || !rep.Intact || rep.Records != 4+2+3 {
		t.Fatalf("verify: %+v %v", rep, err)
	}
	// Deleting the first remaining record is a gap no prune record covers.
	if _, err := db.pool.Exec(ctx, `DELETE FROM audit_records WHERE stream = 'host-a/dev' AND seq = 6`); err != nil {
		t.Fatal(err)
	}
	reps, err = a.VerifyStreams(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reps {
		if r.Stream == "host-a/dev" && (r.Intact || len(r.Problems) == 0 || r.Problems[0].Kind != audit.ProblemUnprovenGap) {
			t.Errorf("after deleting seq 6: %+v", r.Report)
		}
	}
}

// TestPruneOtherKey: a stream sealed with another key stops the run; nothing
// is dropped.
func TestPruneOtherKey(t *testing.T) {
	schema := newSchema(t)
	db := openDB(t, schema)
	ctx := context.Background()
	old := time.Now().UTC().AddDate(0, -6, 0)
	if _, err := db.pool.Exec(ctx, `SELECT audit_ensure_partitions($1, 1)`, old); err != nil {
		t.Fatal(err)
	}
	a := openAudit(t, db, "x")
	defer a.Close()
	r := approvaltestAuditRecord()
	r.Time = old
	if _, err := a.Append(ctx, r); err != nil {
		t.Fatal(err)
	}
	other := *testKey()
	other[0] ^= 1
	if _, err := db.Prune(ctx, &other, time.Now().AddDate(0, -2, 0)); err == nil {
		t.Fatal("prune with another key succeeded")
	}
	if rep, err := a.Verify(ctx); err != nil || !rep.Intact || rep.Records != 1 {
		t.Fatalf("verify: %+v %v", rep, err)
	}
}

// TestMigrateV1Data: migration 0002 moves a version-1 trail into the
// partitioned table intact.
func TestMigrateV1Data(t *testing.T) {
	url := testURL(t)
	ctx := context.Background()
	name := fmt.Sprintf("v1_%d", os.Getpid())
	db, err := Open(ctx, url, Options{Schema: name, MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	t.Cleanup(func() { db.pool.Exec(context.Background(), `DROP SCHEMA `+name+` CASCADE`) })
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`CREATE SCHEMA ` + name, versionTable, ms[0].SQL, `INSERT INTO schema_migrations (version, name) VALUES (1, 'init')`} {
		if _, err := db.pool.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	v1 := &Audit{db: db, o: AuditOptions{Stream: "old/host", Key: testKey()}, keyID: keyID(testKey())}
	for range 5 {
		if _, err := v1.appendBatch(ctx, []*audit.Record{approvaltestAuditRecord()}, "", nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	a := openAudit(t, db, "old/host")
	defer a.Close()
	if _, err := a.Append(ctx, approvaltestAuditRecord()); err != nil {
		t.Fatal(err)
	}
	if rep, err := a.Verify(ctx); err != nil || !rep.Intact || rep.Records != 6 {
		t.Fatalf("verify after migrating: %+v %v", rep, err)
	}
}
