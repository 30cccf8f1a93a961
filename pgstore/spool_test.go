package pgstore

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/safeclaw/safeclaw/audit"
	"github.com/safeclaw/safeclaw/audit/audittest"
	"github.com/safeclaw/safeclaw/pgstore/pgtest"
)

// TestSpoolShipsAfterOutage: records appended while PostgreSQL is down go
// to the local spool and reach the stream, in order and exactly once, when
// it is back; the stream verifies.
func TestSpoolShipsAfterOutage(t *testing.T) {
	schema := newSchema(t)
	u, err := url.Parse(testURL(t))
	if err != nil {
		t.Fatal(err)
	}
	px := pgtest.StartProxy(t, u.Host)
	u.Host = px.Addr()
	ctx := context.Background()
	db, err := Open(ctx, u.String(), Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	pg := openAudit(t, db, "laptop/dev")
	dir := t.TempDir()
	if err := writeKey(dir+"/key", testKey()); err != nil {
		t.Fatal(err)
	}
	spool, err := audit.OpenFile(dir+"/spool", audit.FileOptions{KeyFile: dir + "/key"})
	if err != nil {
		t.Fatal(err)
	}
	s := NewSpooled(pg, spool, SpoolOptions{RetryAfter: 50 * time.Millisecond, Probe: 500 * time.Millisecond})
	defer s.Close()

	sessions := 0
	appendN := func(n int) {
		t.Helper()
		for i := 0; i < n; i++ {
			r := audittest.Record(i)
			r.Session = fmt.Sprintf("n%03d", sessions)
			sessions++
			if _, err := s.Append(ctx, r); err != nil {
				t.Fatalf("append %d: %v", sessions, err)
			}
		}
	}
	appendN(10)
	px.Down()
	start := time.Now()
	appendN(20) // the outage: every append must still be acknowledged
	t.Logf("20 appends during the outage took %v", time.Since(start))
	if n, _ := s.Backlog(ctx); n != 20 {
		t.Fatalf("backlog %d during the outage, want 20", n)
	}
	px.Up()
	time.Sleep(100 * time.Millisecond)
	appendN(5) // ships the backlog first, then appends
	if n, err := s.Backlog(ctx); n != 0 || err != nil {
		t.Fatalf("backlog %d after the outage, %v", n, err)
	}
	if n, err := s.Ship(ctx); n != 0 || err != nil {
		t.Fatalf("second ship sent %d, %v", n, err)
	}
	var got []string
	if err := s.Query(ctx, nil, func(r *audit.Record) error { got = append(got, r.Session); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 35 {
		t.Fatalf("%d records in PostgreSQL, want 35", len(got))
	}
	for i, sess := range got {
		if sess != fmt.Sprintf("n%03d", i) {
			t.Fatalf("record %d is %s: order lost", i, sess)
		}
	}
	rep, err := s.Verify(ctx)
	if err != nil || !rep.Intact || rep.Records != 35 {
		t.Fatalf("verify after shipping: %+v, %v", rep, err)
	}
}

// TestSpoolShippedOnce: two processes shipping the same spool at once
// ship each record once.
func TestSpoolShippedOnce(t *testing.T) {
	schema := newSchema(t)
	ctx := context.Background()
	dir := t.TempDir()
	if err := writeKey(dir+"/key", testKey()); err != nil {
		t.Fatal(err)
	}
	open := func() *Spooled {
		spool, err := audit.OpenFile(dir+"/spool", audit.FileOptions{KeyFile: dir + "/key"})
		if err != nil {
			t.Fatal(err)
		}
		return NewSpooled(openAudit(t, openDB(t, schema), "h"), spool, SpoolOptions{})
	}
	// Spool 300 records directly, as an outage would have.
	writer, err := audit.OpenFile(dir+"/spool", audit.FileOptions{KeyFile: dir + "/key"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 300; i++ {
		if _, err := writer.Append(ctx, audittest.Record(i)); err != nil {
			t.Fatal(err)
		}
	}
	writer.Close()
	a, b := open(), open()
	defer a.Close()
	defer b.Close()
	var wg sync.WaitGroup
	var na, nb int
	var ea, eb error
	wg.Add(2)
	go func() { defer wg.Done(); na, ea = a.Ship(ctx) }()
	go func() { defer wg.Done(); nb, eb = b.Ship(ctx) }()
	wg.Wait()
	if ea != nil || eb != nil {
		t.Fatal(ea, eb)
	}
	rep, err := a.Verify(ctx)
	if err != nil || !rep.Intact || rep.Records != 300 {
		t.Fatalf("after concurrent shipping (%d + %d): %+v, %v", na, nb, rep, err)
	}
}

// A record whose direct append committed although its caller gave up (the
// commit outran the deadline) and spooled it is not shipped a second time.
func TestSpoolSkipsRecordsAlreadyCommitted(t *testing.T) {
	schema := newSchema(t)
	ctx := context.Background()
	dir := t.TempDir()
	if err := writeKey(dir+"/key", testKey()); err != nil {
		t.Fatal(err)
	}
	pg := openAudit(t, openDB(t, schema), "h")
	spool, err := audit.OpenFile(dir+"/spool", audit.FileOptions{KeyFile: dir + "/key"})
	if err != nil {
		t.Fatal(err)
	}
	committed := audittest.Record(1)
	if _, err := pg.AppendBatch(ctx, []*audit.Record{committed}); err != nil {
		t.Fatal(err)
	}
	// The same record in the spool (as after an ambiguous timeout), then a
	// genuinely new one.
	if _, err := spool.Append(ctx, committed); err != nil {
		t.Fatal(err)
	}
	if _, err := spool.Append(ctx, audittest.Record(2)); err != nil {
		t.Fatal(err)
	}
	s := NewSpooled(pg, spool, SpoolOptions{})
	defer s.Close()
	if _, err := s.Ship(ctx); err != nil {
		t.Fatal(err)
	}
	rep, err := pg.Verify(ctx)
	if err != nil || !rep.Intact || rep.Records != 2 {
		t.Fatalf("stream after shipping: %+v, %v; want 2 records (the committed one once, the new one)", rep, err)
	}
	// Shipping again changes nothing.
	if _, err := s.Ship(ctx); err != nil {
		t.Fatal(err)
	}
	if rep, err := pg.Verify(ctx); err != nil || rep.Records != 2 {
		t.Fatalf("after shipping again: %+v, %v", rep, err)
	}
}
