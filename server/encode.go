package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
)

// Answers are encoded into pooled buffers: /v1/decide answers thousands of
// requests a second, and a fresh buffer per answer was a visible share of
// its CPU time.
var answerBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBuf keeps one unusually large answer from pinning its buffer.
const maxPooledBuf = 64 << 10

// The response headers every JSON answer carries, shared between responses
// (net/http only reads them; len == cap, so an append elsewhere copies).
var (
	hdrJSON    = []string{"application/json"}
	hdrNoStore = []string{"no-store"}
	hdrNoSniff = []string{"nosniff"}
)

// writeJSON writes v as the response body.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b := answerBufs.Get().(*bytes.Buffer)
	b.Reset()
	defer func() {
		if b.Cap() <= maxPooledBuf {
			answerBufs.Put(b)
		}
	}()
	var err error
	if a, ok := v.(*decideAnswer); ok {
		if out, done := appendDecideAnswer(b.AvailableBuffer(), a); done {
			b.Write(out)
		} else {
			err = encodeJSON(b, v)
		}
	} else {
		err = encodeJSON(b, v)
	}
	if err != nil {
		status = http.StatusInternalServerError
		b.Reset()
		b.WriteString(`{"status":500,"message":"encoding the answer failed","result":{"decision":"deny","reason":"safeclaw: encoding the answer failed"}}` + "\n")
	}
	hdr := w.Header()
	hdr["Content-Type"] = hdrJSON
	hdr["Cache-Control"] = hdrNoStore
	hdr["X-Content-Type-Options"] = hdrNoSniff
	hdr["Content-Length"] = []string{strconv.Itoa(b.Len())}
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// encodeJSON appends v to b as encoding/json's Encoder (without HTML
// escaping) writes it, newline included.
func encodeJSON(b *bytes.Buffer, v any) error {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
