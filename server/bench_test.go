package server

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"
)

// benchBody is what an SDK-based agent sends before running a Bash command.
const benchBody = `{"agent":"bench","session":"s-1","cwd":"/home/dev/project","tool":"Bash","input":{"command":"python3 -m http.server 8080"}}`

// discardWriter is a ResponseWriter that keeps nothing.
type discardWriter struct {
	h    http.Header
	code int
	n    int
}

func (w *discardWriter) Header() http.Header  { return w.h }
func (w *discardWriter) WriteHeader(code int) { w.code = code }
func (w *discardWriter) Write(p []byte) (int, error) {
	w.n += len(p)
	return len(p), nil
}

// BenchmarkDecideHandler is the handler's own cost per decision (parse,
// classify, answer), with a trivial gate and no network.
func BenchmarkDecideHandler(b *testing.B) {
	h := New(Config{Decide: (&fakeGate{}).decide, Cwd: "/w", Home: "/h"})
	body := []byte(benchBody)
	r, err := http.NewRequest("POST", "/v1/decide", nil)
	if err != nil {
		b.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/json")
	rd := bytes.NewReader(body)
	b.ReportAllocs()
	for b.Loop() {
		rd.Reset(body)
		r.Body = io.NopCloser(rd)
		r.ContentLength = int64(len(body))
		w := &discardWriter{h: http.Header{}}
		h.ServeHTTP(w, r)
		if w.code != http.StatusOK {
			b.Fatalf("status %d", w.code)
		}
	}
}

// BenchmarkParseDecideBody is the body's decoding.
func BenchmarkParseDecideBody(b *testing.B) {
	body := []byte(benchBody)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseDecideBody(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecideAnswer is the answer's encoding and headers.
func BenchmarkDecideAnswer(b *testing.B) {
	h := New(Config{Decide: (&fakeGate{}).decide, Cwd: "/w", Home: "/h"})
	db, err := parseDecideBody([]byte(benchBody))
	if err != nil {
		b.Fatal(err)
	}
	bt, err := h.build(db)
	if err != nil {
		b.Fatal(err)
	}
	ans, aerr := h.decide(context.Background(), bt)
	if aerr != nil {
		b.Fatal(aerr)
	}
	b.ReportAllocs()
	for b.Loop() {
		w := &discardWriter{h: http.Header{}}
		writeJSON(w, http.StatusOK, ans)
	}
}
