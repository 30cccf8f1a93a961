//go:build e2e

package e2e

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// toolCall is one scripted step: a shell command (through whichever shell
// tool the agent offers) or, with Tool set, a call of that named tool.
type toolCall struct {
	Command string
	Tool    string
	Args    map[string]any
}

func shellCalls(commands ...string) []toolCall {
	calls := make([]toolCall, len(commands))
	for i, c := range commands {
		calls[i] = toolCall{Command: c}
	}
	return calls
}

func (c toolCall) String() string {
	if c.Tool == "" {
		return c.Command
	}
	return fmt.Sprintf("%s %v", c.Tool, c.Args)
}

// toolResult is what the agent sent back to the model for one scripted call.
type toolResult struct {
	Step int
	Text string // every string in the result, joined by newlines
}

// mockModel is a scripted model API on 127.0.0.1. Whenever a request offers
// the shell tool, it asks for the next command of its script, chosen by how
// many tool results the conversation already holds; after the last one it
// answers with text. Vendor handlers (Anthropic, OpenAI, Gemini) decode
// and encode the wire format; this type keeps the script and what was seen.
type mockModel struct {
	t     *testing.T
	steps []toolCall
	url   string

	mu        sync.Mutex
	log       []string           // one line per request, for failure output
	results   map[int]toolResult // by step index
	finalSent bool               // a text answer after the last step went out
}

// vendorHandler serves one request; it reports tool results through
// m.noteResult and picks the answer with m.nextStep.
type vendorHandler func(m *mockModel, w http.ResponseWriter, r *http.Request, body []byte)

func startMock(t *testing.T, steps []toolCall, h vendorHandler) *mockModel {
	t.Helper()
	m := &mockModel{t: t, steps: steps, results: map[int]toolResult{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m.url = "http://" + ln.Addr().String()
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, err := readBody(r)
			if err != nil {
				m.logf("%s %s: unreadable body: %v", r.Method, r.URL, err)
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			h(m, w, r, body)
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		_ = srv.Close()
		t.Logf("mock model requests:\n%s", strings.Join(m.requests(), "\n"))
	})
	return m
}

func readBody(r *http.Request) ([]byte, error) {
	var rd io.Reader = io.LimitReader(r.Body, 64<<20)
	switch enc := r.Header.Get("Content-Encoding"); enc {
	case "", "identity":
	case "gzip":
		gz, err := gzip.NewReader(rd)
		if err != nil {
			return nil, err
		}
		defer gz.Close()
		rd = gz
	default:
		return nil, fmt.Errorf("content-encoding %q not supported by the mock", enc)
	}
	return io.ReadAll(rd)
}

func (m *mockModel) logf(format string, args ...any) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.log = append(m.log, fmt.Sprintf(format, args...))
}

func (m *mockModel) requests() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.log...)
}

// noteResult records the agent's result for scripted step.
func (m *mockModel) noteResult(step int, text string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.results[step] = toolResult{Step: step, Text: text}
}

// nextStep says which scripted call to ask for given the number of tool
// results already in the conversation; ok is false when the script is done
// (the caller then answers with text, see [mockModel.sentFinal]).
func (m *mockModel) nextStep(resultsSoFar int) (step int, call toolCall, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if resultsSoFar < len(m.steps) {
		return resultsSoFar, m.steps[resultsSoFar], true
	}
	return 0, toolCall{}, false
}

// sentFinal notes that the text answer after the last step went out.
func (m *mockModel) sentFinal() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.finalSent = true
}

func (m *mockModel) toolResults() map[int]toolResult {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[int]toolResult, len(m.results))
	for k, v := range m.results {
		out[k] = v
	}
	return out
}

func (m *mockModel) finished() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.finalSent
}

// logResults writes the tool results into the test log.
func (m *mockModel) logResults(t *testing.T) {
	t.Helper()
	res := m.toolResults()
	keys := make([]int, 0, len(res))
	for k := range res {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	for _, k := range keys {
		t.Logf("tool result %d (%s):\n%s", k, m.steps[k], tail(res[k].Text, 2000))
	}
}

// writeFull answers with a fixed-length body: Gemini CLI's HTTP client
// fails on close-delimited bodies, so every answer, event streams
// included, carries Content-Length.
func writeFull(w http.ResponseWriter, status int, contentType string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeFull(w, status, "application/json", b)
}

// sse builds an event stream; an empty event name writes data lines only.
type sse struct{ buf bytes.Buffer }

func (s *sse) event(name string, data any) {
	b, err := json.Marshal(data)
	if err != nil {
		panic(err) // test-only: the mock's own values always marshal
	}
	if name != "" {
		fmt.Fprintf(&s.buf, "event: %s\n", name)
	}
	fmt.Fprintf(&s.buf, "data: %s\n\n", b)
}

func (s *sse) write(w http.ResponseWriter) {
	writeFull(w, http.StatusOK, "text/event-stream", s.buf.Bytes())
}

// flattenStrings joins every string value inside a JSON document, so a
// tool result can be searched whatever shape the agent gave it (plain
// string, content blocks, {"output": ...}, {"error": ...}).
func flattenStrings(raw json.RawMessage) string {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return string(raw)
	}
	var parts []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			parts = append(parts, x)
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				walk(x[k])
			}
		}
	}
	walk(v)
	return strings.Join(parts, "\n")
}

// stepFromID reads the step index back from a call id the mock made
// (prefix + index).
func stepFromID(id, prefix string) (int, bool) {
	if !strings.HasPrefix(id, prefix) {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimPrefix(id, prefix))
	return n, err == nil && n >= 0
}

func summarize(body []byte, n int) string {
	s := strings.Join(strings.Fields(string(body)), " ")
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
