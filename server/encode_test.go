package server

import (
	"net/http/httptest"
	"testing"
)

// TestWriteJSONHeaders: answers carry their type, no-store, nosniff and
// their length.
func TestWriteJSONHeaders(t *testing.T) {
	w := httptest.NewRecorder()
	writeJSON(w, 201, map[string]string{"status": "ok"})
	want := map[string]string{"Content-Type": "application/json", "Cache-Control": "no-store",
		"X-Content-Type-Options": "nosniff", "Content-Length": "16"}
	for k, v := range want {
		if got := w.Header().Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if w.Code != 201 || w.Body.String() != `{"status":"ok"}`+"\n" {
		t.Errorf("%d %q", w.Code, w.Body)
	}
}
