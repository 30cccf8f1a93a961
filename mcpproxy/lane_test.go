package mcpproxy

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// The SDK sees exactly the bytes the fast path declines, in order,
// whatever their shape: batches, values spread over lines, lines longer
// than the lane's buffer, a last line without a newline.
func TestSplitLinesPassesWhatItDoesNotTake(t *testing.T) {
	long := `{"jsonrpc":"2.0","method":"notifications/message","params":{"data":"` + strings.Repeat("x", 200<<10) + `"}}` + "\n"
	longTaken := `{"jsonrpc":"2.0","id":9,"method":"take","params":{"data":"` + strings.Repeat("y", 100<<10) + `"}}` + "\n"
	input := strings.Join([]string{
		`{"jsonrpc":"2.0","id":1,"method":"take"}` + "\n",
		`[{"jsonrpc":"2.0","id":2,"method":"take"}]` + "\n",
		"{\n",
		`  "jsonrpc": "2.0", "id": 3, "method": "keep"` + "\n",
		"}\n",
		long,
		longTaken,
		"\r\n",
		`{"jsonrpc":"2.0","id":4,"method":"take"}` + "\r\n",
		`{"jsonrpc":"2.0","id":5,"method":"keep"}`,
	}, "")
	var taken []string
	take := func(line []byte) bool {
		msg, ok := decodeLine(line)
		if !ok {
			return false
		}
		if req, isReq := msg.(*jsonrpc.Request); isReq && req.Method == "take" {
			taken = append(taken, strings.TrimSpace(string(line[:min(len(line), 40)])))
			return true
		}
		return false
	}
	var endedWith error
	r := splitLines(io.NopCloser(strings.NewReader(input)), take, func(err error) { endedWith = err })
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		`[{"jsonrpc":"2.0","id":2,"method":"take"}]` + "\n",
		"{\n",
		`  "jsonrpc": "2.0", "id": 3, "method": "keep"` + "\n",
		"}\n",
		long,
		"\r\n",
		`{"jsonrpc":"2.0","id":5,"method":"keep"}`,
	}, "")
	if string(got) != want {
		t.Errorf("the SDK got %d bytes, want %d:\n%.300q", len(got), len(want), got)
	}
	if len(taken) != 3 {
		t.Errorf("taken %q, want ids 1, 9 and 4", taken)
	}
	if !errors.Is(endedWith, io.EOF) {
		t.Errorf("ended with %v, want EOF", endedWith)
	}
}

// A read error reaches the SDK as that error, after ended has seen it.
func TestSplitLinesReadError(t *testing.T) {
	boom := errors.New("boom")
	src := io.MultiReader(strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"keep"}`+"\n"), &failReader{boom})
	var order []string
	r := splitLines(io.NopCloser(src), func([]byte) bool { return false }, func(err error) { order = append(order, "ended: "+err.Error()) })
	got, err := io.ReadAll(r)
	order = append(order, "sdk")
	if !errors.Is(err, boom) || !strings.HasPrefix(string(got), `{"jsonrpc"`) {
		t.Fatalf("read %q, %v; want the line, then boom", got, err)
	}
	if strings.Join(order, ", ") != "ended: boom, sdk" {
		t.Errorf("order %v", order)
	}
}

type failReader struct{ err error }

func (f *failReader) Read([]byte) (int, error) { return 0, f.err }

func TestDecodeLine(t *testing.T) {
	for _, tc := range []struct {
		line string
		want string // "" = declined
	}{
		{`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"x"}}`, `request 7 tools/call {"name":"x"}`},
		{`  {"jsonrpc":"2.0","id":"a","method":"tools/call"}`, `request a tools/call `},
		{`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{}}`, `notification notifications/cancelled {}`},
		{`{"jsonrpc":"2.0","id":"safeclaw-1","result":{"content":[]}}`, `response safeclaw-1 {"content":[]} <nil>`},
		{`{"jsonrpc":"2.0","id":3,"error":{"code":-32601,"message":"no"}}`, `response 3  no`},
		{`{"jsonrpc":"1.0","id":7,"method":"tools/call"}`, ""},
		{`{"id":7,"method":"tools/call"}`, ""},
		{`{"jsonrpc":"2.0","id":{},"method":"tools/call"}`, ""},
		{`{"jsonrpc":"2.0","result":{}}`, ""},
		{`[{"jsonrpc":"2.0","id":1,"method":"tools/call"}]`, ""},
		{`{"jsonrpc":"2.0","id":1,"method":"tools/call"} trailing`, ""},
		{`{`, ""},
		{``, ""},
	} {
		msg, ok := decodeLine([]byte(tc.line + "\n"))
		got := ""
		if ok {
			switch m := msg.(type) {
			case *jsonrpc.Request:
				kind := "request"
				if !m.IsCall() {
					kind = "notification"
				}
				id := ""
				if m.IsCall() {
					id = strings.TrimPrefix(strings.TrimPrefix(idKey(m.ID), "string:"), "int64:")
				}
				got = strings.TrimSpace(kind+" "+id) + " " + m.Method + " " + string(m.Params)
			case *jsonrpc.Response:
				id := strings.TrimPrefix(strings.TrimPrefix(idKey(m.ID), "string:"), "int64:")
				errText := "<nil>"
				if m.Error != nil {
					errText = m.Error.(*jsonrpc.Error).Message
				}
				got = "response " + id + " " + string(m.Result) + " " + errText
			}
		}
		if got != tc.want {
			t.Errorf("decodeLine(%q) = %q, want %q", tc.line, got, tc.want)
		}
	}
}

// The fast path forwards the arguments it decided, re-encoded: an
// upstream whose parser keeps the first of two duplicate keys cannot run
// something other than what the policy saw.
func TestFastPathForwardsDecidedArguments(t *testing.T) {
	// The client's bytes are edited on the way: its marker becomes two
	// "sql" keys, the later one what the policy decides.
	cs, _, p, fake := fastProxyEditing(t, false, "2025-11-25", func(w io.WriteCloser) io.WriteCloser {
		return &rewriter{w: w, old: `"sql":"MARK"`, new: `"sql":"drop table users","sql":"select 1"`}
	})
	toolNames(t, cs)
	res := call(t, cs, "run_query", map[string]any{"sql": "MARK"})
	if res.IsError {
		t.Fatalf("call failed: %s", resultText(res))
	}
	if p.fast.next.Load() != 1 {
		t.Fatalf("the fast path carried %d calls, want 1", p.fast.next.Load())
	}
	var got []string
	for _, r := range requests(t, fake) {
		if r.Method == "tools/call" {
			got = append(got, string(r.Args))
		}
	}
	if len(got) != 1 || got[0] != `{"sql":"select 1"}` {
		t.Errorf("the upstream got arguments %q, want exactly the decided {\"sql\":\"select 1\"}", got)
	}
}

type rewriter struct {
	w        io.WriteCloser
	old, new string
}

func (r *rewriter) Write(p []byte) (int, error) {
	if _, err := r.w.Write(bytes.ReplaceAll(p, []byte(r.old), []byte(r.new))); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (r *rewriter) Close() error { return r.w.Close() }
