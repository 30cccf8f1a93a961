package pgstore

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/safeclaw/safeclaw/audit"
	"github.com/safeclaw/safeclaw/audit/audittest"
)

// proxy forwards 127.0.0.1:port to the test server; down() cuts every
// connection and stops listening, as a PostgreSQL outage would.
type proxy struct {
	t      *testing.T
	addr   string
	target string

	mu    sync.Mutex
	ln    net.Listener
	conns []net.Conn
}

func startProxy(t *testing.T, target string) *proxy {
	p := &proxy{t: t, target: target, addr: "127.0.0.1:0"}
	p.up()
	t.Cleanup(p.down)
	return p
}

func (p *proxy) up() {
	var ln net.Listener
	var err error
	for i := 0; i < 50; i++ { // the old port may linger for a moment
		if ln, err = net.Listen("tcp", p.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		p.t.Fatal(err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, s)
			p.mu.Unlock()
			go func() { io.Copy(s, c); s.Close() }()
			go func() { io.Copy(c, s); c.Close() }()
		}
	}()
}

func (p *proxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// TestSpoolShipsAfterOutage: records appended while PostgreSQL is down go
// to the local spool and reach the stream, in order and exactly once, when
// it is back; the stream verifies.
func TestSpoolShipsAfterOutage(t *testing.T) {
	schema := newSchema(t)
	u, err := url.Parse(testURL(t))
	if err != nil {
		t.Fatal(err)
	}
	px := startProxy(t, u.Host)
	u.Host = px.addr
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
	px.down()
	start := time.Now()
	appendN(20) // the outage: every append must still be acknowledged
	t.Logf("20 appends during the outage took %v", time.Since(start))
	if n, _ := s.Backlog(ctx); n != 20 {
		t.Fatalf("backlog %d during the outage, want 20", n)
	}
	px.up()
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
