package mcpproxy

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/safeclaw/safeclaw/mcpproxy/mcptest"
)

// Clients that send their request bodies slowly, or never finish them,
// hold none of the slots of the in-flight limit: a request that arrives
// whole meanwhile is served, and the slow ones are cut off after the body
// timeout without anything being decided for them.
func TestHTTPSlowBodiesHoldNoSlot(t *testing.T) {
	fake := &mcptest.Fake{}
	up, _ := pipeUpstream(t, fake)
	g := newGate(t)
	p, err := New(context.Background(), up, Options{Name: "db", Decide: g.decide, Check: g.check})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	url, _ := listen(t, p.HTTPHandler(HTTPOptions{MaxInFlight: 2, BodyTimeout: 2 * time.Second}))
	addr := strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/")
	var slow []net.Conn
	for i := 0; i < 4; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: %d\r\n\r\n{\"jsonrpc\":", addr, len(rawAllowedCall))
		slow = append(slow, c)
	}
	time.Sleep(200 * time.Millisecond) // the slow requests are being read
	start := time.Now()
	if code, body := postMCP(t, url, rawAllowedCall, nil); code != http.StatusOK || !strings.Contains(body, "rows: 0 for select 1") {
		t.Fatalf("a whole request beside slow ones: %d %s", code, body)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("the whole request waited %v", d)
	}
	for i, c := range slow {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		buf := make([]byte, 512)
		n, _ := c.Read(buf)
		if !strings.Contains(string(buf[:n]), " 408 ") {
			t.Errorf("slow client %d got %q, want 408", i, buf[:n])
		}
	}
	if n := g.count(); n != 1 {
		t.Errorf("%d requests decided, want only the whole one", n)
	}
	// The body timeout bounds the body only: a call that runs longer than
	// it is answered.
	slowCall := `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"slow","arguments":{"ms":2500}}}`
	if code, body := postMCP(t, url, slowCall, nil); code != http.StatusOK || !strings.Contains(body, "slept") {
		t.Errorf("a call longer than the body timeout: %d %s", code, body)
	}
}

// A request body over the limit is refused (413) before anything is
// decided.
func TestHTTPOversizedBody(t *testing.T) {
	fake := &mcptest.Fake{}
	up, _ := pipeUpstream(t, fake)
	g := newGate(t)
	p, err := New(context.Background(), up, Options{Name: "db", Decide: g.decide, Check: g.check})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	url, _ := listen(t, p.Handler())
	big := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"run_query","arguments":{"sql":"select 1","pad":"` +
		strings.Repeat("a", maxRequestBody) + `"}}}`
	if code, body := postMCP(t, url, big, nil); code != http.StatusRequestEntityTooLarge {
		t.Errorf("status %d, want 413: %.200s", code, body)
	}
	if n := g.count(); n != 0 {
		t.Errorf("%d requests decided", n)
	}
}

// A file: URI is a file.read of its path however a server's URL parser may
// spell it (Node's and Python's are lenient where Go's is strict): other
// hosts, LOCALHOST, surrounding spaces and control characters, tabs and
// line breaks inside. One whose path cannot be told for sure (not a valid
// URL to Go, a backslash, a relative path) is refused. Resources, their
// subscriptions and completions alike, in both eras; nothing refused
// reaches the upstream.
func TestFileURISpellings(t *testing.T) {
	shadow := []string{
		"file:///etc/shadow", "FILE:///etc/shadow", "file:/etc/shadow", "file:////etc/shadow", "file:///etc/./shadow",
		"file:///etc/shado%77", "file://LOCALHOST/etc/shadow", "file://127.0.0.1/etc/shadow", "file://[::1]/etc/shadow",
		"file://host.example/etc/shadow", " file:///etc/shadow", "\x00file:///etc/shadow\x1f", "fi\tle:///etc/sha\ndow",
		"file:///etc/shadow?x", "file:///etc/shadow#frag",
	}
	unclear := []string{
		"file:///etc/shadow#%zz", "file:///etc/shadow%zz", "file://%6cocalhost/etc/shadow", "file:etc/shadow",
		"file:\\\\etc\\shadow", "file:/etc\\shadow", "file:", "file://localhost",
	}
	for _, era := range eras {
		t.Run(era.name, func(t *testing.T) {
			s := start(t, setupOpts{era: era.version})
			ctx := context.Background()
			for _, uri := range shadow {
				_, err := s.client.ReadResource(ctx, &mcp.ReadResourceParams{URI: uri})
				if rpcCode(err) != CodeDenied || !strings.Contains(err.Error(), "no shadow") {
					t.Errorf("read %q: %v, want the shadow rule's denial", uri, err)
				}
				ref := &mcp.CompleteReference{Type: "ref/resource", URI: uri}
				_, err = s.client.Complete(ctx, &mcp.CompleteParams{Ref: ref, Argument: mcp.CompleteParamsArgument{Name: "x", Value: "y"}})
				if rpcCode(err) != CodeDenied || !strings.Contains(err.Error(), "no shadow") {
					t.Errorf("complete %q: %v, want the shadow rule's denial", uri, err)
				}
			}
			for _, uri := range unclear {
				_, err := s.client.ReadResource(ctx, &mcp.ReadResourceParams{URI: uri})
				if rpcCode(err) != CodeDenied || !strings.Contains(err.Error(), "cannot tell") {
					t.Errorf("read %q: %v, want a refusal", uri, err)
				}
			}
			if era.version != "" {
				// subscriptions/listen answers (and fails) in the 2026-07-28
				// era; the legacy client's resources/subscribe likewise.
				for _, uri := range []string{"file://LOCALHOST/etc/shadow", "file:///etc/shadow#%zz"} {
					if err := s.client.Subscribe(ctx, &mcp.SubscribeParams{URI: uri}); rpcCode(err) != CodeDenied {
						t.Errorf("subscribe %q: %v", uri, err)
					}
				}
			}
			if _, err := s.client.ReadResource(ctx, &mcp.ReadResourceParams{URI: "docs://readme"}); err != nil {
				t.Errorf("readme: %v", err)
			}
			for _, r := range requests(t, s.fake) {
				switch r.Method {
				case "resources/read", "resources/subscribe", "completion/complete":
					if r.URI != "docs://readme" {
						t.Errorf("the upstream got %s %q", r.Method, r.URI)
					}
				case "subscriptions/listen":
					if r.URI != "" {
						t.Errorf("the upstream got %s %q", r.Method, r.URI)
					}
				}
			}
		})
	}
}

func TestFileURIPath(t *testing.T) {
	for _, tc := range []struct {
		uri, path string
		isFile    bool
		err       bool
	}{
		{"docs://readme", "", false, false},
		{"https://example.com/file:///etc/shadow", "", false, false},
		{"file:///home/u/proj/a%20b.txt", "/home/u/proj/a b.txt", true, false},
		{"file://localhost/home/u/../u/x", "/home/u/x", true, false},
		{"File://other/etc/passwd", "/etc/passwd", true, false},
		{"\tfile:///etc/passwd\r\n", "/etc/passwd", true, false},
		{"file:relative/x", "", true, true},
		{"file:///a\\b", "", true, true},
		{"file:///%zz", "", true, true},
	} {
		path, isFile, err := fileURIPath(tc.uri)
		if path != tc.path || isFile != tc.isFile || (err != nil) != tc.err {
			t.Errorf("fileURIPath(%q) = %q, %v, %v; want %q, %v, error %v", tc.uri, path, isFile, err, tc.path, tc.isFile, tc.err)
		}
	}
}

// Prompt arguments whose keys differ only in case are refused, as tool
// arguments are; the values a completion request gives as context are
// decided with the rest (a prompt's as its arguments, a template's as the
// URI they fill in).
func TestPromptAndCompletionArgumentsDecided(t *testing.T) {
	for _, era := range eras {
		t.Run(era.name, func(t *testing.T) {
			s := start(t, setupOpts{era: era.version})
			ctx := context.Background()
			_, err := s.client.GetPrompt(ctx, &mcp.GetPromptParams{Name: "summarise",
				Arguments: map[string]string{"table": "public.users", "TABLE": "secret.keys"}})
			if err == nil || !strings.Contains(err.Error(), "differ only in case") {
				t.Errorf("prompt with case variants: %v", err)
			}
			prompt := &mcp.CompleteReference{Type: "ref/prompt", Name: "summarise"}
			arg := mcp.CompleteParamsArgument{Name: "table", Value: "public.u"}
			_, err = s.client.Complete(ctx, &mcp.CompleteParams{Ref: prompt, Argument: arg,
				Context: &mcp.CompleteContext{Arguments: map[string]string{"table": "secret.keys"}}})
			if rpcCode(err) != CodeDenied {
				t.Errorf("completion with a denied context: %v", err)
			}
			_, err = s.client.Complete(ctx, &mcp.CompleteParams{Ref: prompt, Argument: arg,
				Context: &mcp.CompleteContext{Arguments: map[string]string{"Table": "public.x", "table": "public.y"}}})
			if err == nil || !strings.Contains(err.Error(), "differ only in case") {
				t.Errorf("completion context with case variants: %v", err)
			}
			_, err = s.client.Complete(ctx, &mcp.CompleteParams{Ref: &mcp.CompleteReference{Type: "ref/resource", URI: "file:///{dir}/{+name}"},
				Argument: mcp.CompleteParamsArgument{Name: "name", Value: "shadow"}, Context: &mcp.CompleteContext{Arguments: map[string]string{"dir": "etc"}}})
			if rpcCode(err) != CodeDenied || !strings.Contains(err.Error(), "no shadow") {
				t.Errorf("template completion filled to the shadow file: %v", err)
			}
			res, err := s.client.Complete(ctx, &mcp.CompleteParams{Ref: prompt, Argument: arg,
				Context: &mcp.CompleteContext{Arguments: map[string]string{"table": "public.v"}}})
			if err != nil || len(res.Completion.Values) != 1 {
				t.Errorf("allowed completion with context: %v %+v", err, res)
			}
			var got []string
			for _, r := range requests(t, s.fake) {
				if r.Method == "prompts/get" || r.Method == "completion/complete" {
					got = append(got, r.Method+" "+r.URI+string(r.Args))
				}
			}
			if want := []string{`completion/complete {"name":"table","value":"public.u"}`}; !slices.Equal(got, want) {
				t.Errorf("the upstream got %q, want %q", got, want)
			}
		})
	}
}

func TestExpandTemplate(t *testing.T) {
	ctx := map[string]string{"a": "x", "b": "y/z"}
	for _, tc := range []struct{ tmpl, want string }{
		{"file:///{a}/{+n}", "file:///x/V"},
		{"docs://{a,b}{?q}", "docs://x,y/z"},
		{"file:///{/a*}{b:3}", "file:///xy/z"},
		{"plain://no-vars", "plain://no-vars"},
		{"broken://{a", "broken://{a"},
	} {
		if got := expandTemplate(tc.tmpl, "n", "V", ctx); got != tc.want {
			t.Errorf("expandTemplate(%q) = %q, want %q", tc.tmpl, got, tc.want)
		}
	}
}

// An upstream answer the client could not read as one (no result, a null
// or non-object result, an error with a result beside it) becomes a plain
// JSON-RPC error on either path: a strict client (the TypeScript SDK's)
// drops a response without a result, or with both, and its call would
// wait for ever.
func TestUpstreamAnswerWithoutResult(t *testing.T) {
	for _, tc := range []struct {
		name, answer string // answer: the response after "id":N,
		wantErr      string
	}{
		{"no result", `}`, "without a result object"},
		{"null result", `,"result":null}`, "without a result object"},
		{"string result", `,"result":"x"}`, ""},
		{"null error, no result", `,"error":null}`, "without a result object"},
		{"error and result", `,"result":{"content":[{"type":"text","text":"r"}]},"error":{"code":-32000,"message":"boom"}}`, "boom"},
	} {
		for _, noFast := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/nofast=%v", tc.name, noFast), func(t *testing.T) {
				u := &rawUpstream{onCall: func(u *rawUpstream, id json.RawMessage, _ map[string]json.RawMessage) {
					u.write(`{"jsonrpc":"2.0","id":` + string(id) + tc.answer + "\n")
				}}
				w := wireProxy(t, u.start(t, true), noFast, nil)
				w.send(`{"jsonrpc":"2.0","id":"list","method":"tools/list"}`)
				w.await(`"list"`)
				w.send(`{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"run_query","arguments":{"sql":"select 1"}}}`)
				m, ok := w.tryAwait("5", 15*time.Second)
				if !ok {
					t.Fatal("no answer to the call")
				}
				_, hasResult := m["result"]
				var e struct {
					Code    int64
					Message string
				}
				if json.Unmarshal(m["error"], &e) != nil || hasResult || !strings.Contains(e.Message, tc.wantErr) {
					t.Errorf("answer %v, want only an error naming %q", m, tc.wantErr)
				}
				if !noFast && w.p.fast.next.Load() == 0 {
					t.Error("the fast path carried nothing")
				}
			})
		}
	}
}

// A client's progress token spelled like the proxy's own upstream tokens
// (safeclaw-N) is not forwarded as it is by the fast path, where progress
// for another call could be taken for its own: the ordinary path replaces
// it.
func TestFastPathLeavesProxyLikeTokens(t *testing.T) {
	w, fake := fakeWire(t, false)
	before := w.p.fast.next.Load()
	w.send(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"run_query","arguments":{"sql":"select 1"},"_meta":{"progressToken":"safeclaw-1"}}}`)
	if text, _, _ := callResult(w.await("1")); text != "rows: 0 for select 1" {
		t.Fatalf("answer %q", text)
	}
	if w.p.fast.next.Load() != before {
		t.Error("the fast path carried the call")
	}
	w.send(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"run_query","arguments":{"sql":"select 2"},"_meta":{"progressToken":"tok"}}}`)
	w.await("2")
	if w.p.fast.next.Load() == before {
		t.Error("the fast path carried no call")
	}
	if got := calledWith(t, fake, "run_query"); len(got) != 2 {
		t.Errorf("upstream got %v", got)
	}
}
