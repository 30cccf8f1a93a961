package mcpproxy

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/safeclaw/safeclaw/mcpproxy/mcptest"
)

// postMCP sends one raw JSON-RPC message to an MCP endpoint, as a
// 2025-11-25 client of a stateless server would, with extra headers.
func postMCP(t *testing.T, url, body string, header map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
	for k, v := range header {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

const rawAllowedCall = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"run_query","arguments":{"sql":"select 1"}}}`

// A browser page (cross-site, or a DNS-rebinding name for the loopback
// address) cannot use the proxy's HTTP listener; nothing is decided or
// relayed for it. The same request without those marks goes through.
func TestHTTPRefusesBrowsersAndRebinding(t *testing.T) {
	fake := &mcptest.Fake{}
	up, _ := pipeUpstream(t, fake)
	g := newGate(t)
	p, err := New(context.Background(), up, Options{Name: "db", Decide: g.decide, Check: g.check})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	url, _ := listen(t, p.Handler())
	host := strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/")
	_, port, _ := net.SplitHostPort(host)
	for _, tc := range []struct {
		name   string
		header map[string]string
	}{
		{"cross-site fetch", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}},
		{"same-site other port", map[string]string{"Sec-Fetch-Site": "same-site", "Origin": "http://127.0.0.1:1"}},
		{"origin only", map[string]string{"Origin": "https://evil.example"}},
		{"null origin", map[string]string{"Origin": "null"}},
		{"rebinding host", map[string]string{"Host": "rebind.evil.example:" + port}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := postMCP(t, url, rawAllowedCall, tc.header)
			if code != http.StatusForbidden {
				t.Errorf("status %d, want 403: %s", code, body)
			}
		})
	}
	if n := g.count(); n != 0 {
		t.Errorf("%d requests decided for refused callers", n)
	}
	if got := calledWith(t, fake, "run_query"); len(got) != 0 {
		t.Errorf("upstream got %v", got)
	}
	// No event stream or session to open or end: only POST is served.
	for _, m := range []string{http.MethodGet, http.MethodDelete, http.MethodOptions, http.MethodPut} {
		req, _ := http.NewRequest(m, url, nil)
		req.Header.Set("Accept", "text/event-stream")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("%s: status %d", m, resp.StatusCode)
		}
	}
	// A non-browser client (no Origin, no Sec-Fetch-Site) on the loopback
	// host is served.
	if code, body := postMCP(t, url, rawAllowedCall, map[string]string{"Host": "localhost:" + port}); code != http.StatusOK || !strings.Contains(body, "rows: 0 for select 1") {
		t.Errorf("plain client: %d %s", code, body)
	}
}

// startHTTPProxy starts a proxy in front of the HTTP upstream at upURL and
// serves it over HTTP; it returns a connected client of the given era.
func startHTTPProxy(t *testing.T, upURL string, client *http.Client, era string) (*gateRec, *Proxy, *mcp.ClientSession) {
	t.Helper()
	g := newGate(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p, err := New(ctx, HTTP(upURL, client), Options{Name: "db", Decide: g.decide, Check: g.check})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	proxyURL, _ := listen(t, p.Handler())
	c := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil)
	cs, err := c.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: proxyURL, MaxRetries: 1}, &mcp.ClientSessionOptions{ProtocolVersion: era})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	return g, p, cs
}

// isToolsCall peeks at a request body (restoring it) for a tools/call.
func isToolsCall(r *http.Request) bool {
	b, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(b))
	var m struct{ Method string }
	return json.Unmarshal(b, &m) == nil && m.Method == "tools/call"
}

// An upstream that dies in the middle of a call (its connection cut before
// it answers) gives the client an error, not silence, in both eras.
func TestHTTPUpstreamDiesMidCall(t *testing.T) {
	for _, era := range eras {
		t.Run(era.name, func(t *testing.T) {
			fake := &mcptest.Fake{}
			inner := fake.Handler()
			cut := make(chan struct{}, 1)
			upURL, _ := listen(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodPost && isToolsCall(r) {
					cut <- struct{}{}
					conn, _, err := http.NewResponseController(w).Hijack()
					if err == nil {
						conn.Close()
					}
					return
				}
				inner.ServeHTTP(w, r)
			}))
			_, _, cs := startHTTPProxy(t, upURL, nil, era.version)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "x"}})
			if ctx.Err() != nil {
				t.Fatal("no answer: the client waited on silence")
			}
			if err == nil && !res.IsError {
				t.Fatalf("got a result from a dead upstream: %+v", res)
			}
			select {
			case <-cut:
			default:
				t.Error("the call never reached the upstream")
			}
		})
	}
}

// An upstream that answers with an endless body is cut off: the proxy
// does not read (and hold) more than maxUpstreamBody, and the client gets
// an error.
func TestHTTPUpstreamHugeBody(t *testing.T) {
	fake := &mcptest.Fake{}
	inner := fake.Handler()
	var sent atomic.Int64
	upURL, _ := listen(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && isToolsCall(r) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			chunk := bytes.Repeat([]byte(" "), 1<<20)
			w.Write([]byte(`{"jsonrpc":"2.0","id":`))
			// Whitespace forever (bounded for the test at 4x the limit).
			for sent.Load() < 4*maxUpstreamBody {
				n, err := w.Write(chunk)
				sent.Add(int64(n))
				if err != nil {
					return
				}
			}
			return
		}
		inner.ServeHTTP(w, r)
	}))
	_, _, cs := startHTTPProxy(t, upURL, nil, "")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "x"}})
	if err == nil && !res.IsError {
		t.Fatalf("got a result: %+v", res)
	}
	if ctx.Err() != nil {
		t.Fatal("no answer")
	}
	if n := sent.Load(); n >= 4*maxUpstreamBody {
		t.Errorf("the proxy read the whole %d-byte body", n)
	}
}

// A redirect to another origin is not followed (the request, with
// whatever credentials the client adds, would go to a server nobody
// configured); a redirect within the origin is.
func TestHTTPUpstreamRedirects(t *testing.T) {
	fake := &mcptest.Fake{}
	other := &mcptest.Fake{}
	var otherHits atomic.Int64
	otherURL, _ := listen(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		otherHits.Add(1)
		other.Handler().ServeHTTP(w, r)
	}))
	inner := fake.Handler()
	var upURL string
	upURL, _ = listen(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away":
			http.Redirect(w, r, otherURL, http.StatusTemporaryRedirect)
		case "/moved":
			http.Redirect(w, r, upURL+"mcp", http.StatusPermanentRedirect)
		default:
			inner.ServeHTTP(w, r)
		}
	}))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	g := newGate(t)
	if p, err := New(ctx, HTTP(upURL+"away", nil), Options{Name: "db", Decide: g.decide, Check: g.check}); err == nil {
		p.Close()
		t.Error("connected through a redirect to another origin")
	} else if !strings.Contains(err.Error(), "redirect") {
		t.Errorf("error does not say why: %v", err)
	}
	if n := otherHits.Load(); n != 0 {
		t.Errorf("the other origin got %d requests", n)
	}
	p, err := New(ctx, HTTP(upURL+"moved", nil), Options{Name: "db", Decide: g.decide, Check: g.check})
	if err != nil {
		t.Fatalf("same-origin redirect: %v", err)
	}
	p.Close()
}

// With a token, a request without it (or with another) is refused before
// anything is decided or relayed.
func TestHTTPToken(t *testing.T) {
	fake := &mcptest.Fake{}
	up, _ := pipeUpstream(t, fake)
	g := newGate(t)
	p, err := New(context.Background(), up, Options{Name: "db", Decide: g.decide, Check: g.check})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	url, _ := listen(t, p.HTTPHandler(HTTPOptions{Token: "s3cret-token"}))
	for _, auth := range []string{"", "Bearer", "Bearer s3cret", "Bearer s3cret-token2", "Basic s3cret-token", "s3cret-token"} {
		if code, body := postMCP(t, url, rawAllowedCall, map[string]string{"Authorization": auth}); code != http.StatusUnauthorized {
			t.Errorf("Authorization %q: status %d: %s", auth, code, body)
		}
	}
	if n := g.count(); n != 0 {
		t.Errorf("%d requests decided without the token", n)
	}
	if code, body := postMCP(t, url, rawAllowedCall, map[string]string{"Authorization": "Bearer s3cret-token"}); code != http.StatusOK || !strings.Contains(body, "rows: 0 for select 1") {
		t.Errorf("with the token: %d %s", code, body)
	}
}

// Over HTTP on both sides, the upstream's requests to the client are not
// relayed either: neither the 2026-07-28 era's input_required results, nor
// a legacy upstream's sampling, elicitation or roots requests sent on the
// call's event stream (a stateful upstream, which can send them).
func TestHTTPUpstreamRequestsToClientNotRelayed(t *testing.T) {
	legacy := mcp.NewServer(&mcp.Implementation{Name: "legacy", Version: "1"}, nil)
	var upErrs atomic.Int64
	legacy.AddTool(&mcp.Tool{Name: "ask_client", InputSchema: map[string]any{"type": "object"}},
		func(ctx context.Context, r *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			if _, err := r.Session.CreateMessage(ctx, &mcp.CreateMessageParams{MaxTokens: 5,
				Messages: []*mcp.SamplingMessage{{Role: "user", Content: &mcp.TextContent{Text: "hi"}}}}); err != nil {
				upErrs.Add(1)
			}
			if _, err := r.Session.Elicit(ctx, &mcp.ElicitParams{Message: "password?", RequestedSchema: map[string]any{"type": "object"}}); err != nil {
				upErrs.Add(1)
			}
			// The proxy's own client has no roots to give.
			if roots, err := r.Session.ListRoots(ctx, nil); err != nil || len(roots.Roots) != 0 {
				upErrs.Add(1)
			} else {
				upErrs.Add(100)
			}
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "done"}}}, nil
		})
	stateful := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return legacy }, nil)
	for _, up := range []struct {
		name string
		h    http.Handler
		want string // in the call's error, or its result
	}{
		{"input_required", (&mcptest.Fake{AskClient: true}).Handler(), "does not relay"},
		{"legacy stateful", stateful, "done"},
	} {
		for _, era := range eras {
			t.Run(up.name+"/"+era.name, func(t *testing.T) {
				upURL, _ := listen(t, up.h)
				g := newGate(t)
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				p, err := New(ctx, HTTP(upURL, nil), Options{Name: "db", Decide: g.decide, Check: g.check})
				if err != nil {
					t.Fatal(err)
				}
				defer p.Close()
				proxyURL, _ := listen(t, p.Handler())
				var asked atomic.Int32
				client := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, &mcp.ClientOptions{
					ElicitationHandler: func(context.Context, *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
						asked.Add(1)
						return &mcp.ElicitResult{Action: "accept", Content: map[string]any{"password": "hunter2"}}, nil
					},
					CreateMessageHandler: func(context.Context, *mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error) {
						asked.Add(1)
						return &mcp.CreateMessageResult{Model: "m", Role: "assistant", Content: &mcp.TextContent{Text: "ok"}}, nil
					},
				})
				client.AddRoots(&mcp.Root{URI: "file:///home/u"})
				cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: proxyURL, MaxRetries: 1}, &mcp.ClientSessionOptions{ProtocolVersion: era.version})
				if err != nil {
					t.Fatal(err)
				}
				defer cs.Close()
				res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "ask_client", Arguments: map[string]any{}})
				if ctx.Err() != nil {
					t.Fatal("no answer")
				}
				got := ""
				if err != nil {
					got = err.Error()
				} else {
					got = resultText(res)
				}
				if !strings.Contains(got, up.want) {
					t.Errorf("the call: %s", got)
				}
				if n := asked.Load(); n != 0 {
					t.Errorf("the client was asked %d times", n)
				}
			})
		}
	}
	if n := upErrs.Load(); n != 2*(2+100) {
		t.Errorf("the legacy upstream's requests to the client: %d, want 2x (2 failed + empty roots)", n)
	}
}

// Over HTTP, resources and prompts are gated as over stdio, and a raw
// request with a duplicate argument key is decided and forwarded as the
// one value the policy saw; what is denied never reaches the upstream.
func TestHTTPGatesLikeStdio(t *testing.T) {
	fake := &mcptest.Fake{}
	upURL, _ := listen(t, fake.Handler())
	_, p, cs := startHTTPProxy(t, upURL, nil, "2025-11-25")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "file:///etc/shadow"}); rpcCode(err) != CodeDenied {
		t.Errorf("read of /etc/shadow: %v", err)
	}
	if _, err := cs.GetPrompt(ctx, &mcp.GetPromptParams{Name: "summarise", Arguments: map[string]string{"table": "secret.users"}}); rpcCode(err) != CodeDenied {
		t.Errorf("prompt: %v", err)
	}
	if _, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "docs://readme"}); err != nil {
		t.Errorf("allowed read: %v", err)
	}
	proxyURL, _ := listen(t, p.Handler())
	dup := `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"run_query","arguments":{"sql":"select 1","sql":"DROP TABLE users"}}}`
	if code, body := postMCP(t, proxyURL, dup, nil); code != http.StatusOK || !strings.Contains(body, `"isError":true`) || !strings.Contains(body, "No DROP") {
		t.Errorf("duplicate key: %d %s", code, body)
	}
	for _, r := range requests(t, fake) {
		switch {
		case r.Method == "resources/read" && r.URI != "docs://readme",
			r.Method == "prompts/get",
			r.Method == "tools/call":
			t.Errorf("the upstream got %+v", r)
		}
	}
}

// TestHTTPClientGoneCancelsUpstreamCall: when an HTTP client goes away in
// the middle of a call, the upstream is told to stop (notifications/
// cancelled), as the stdio side does, instead of working on for nobody.
func TestHTTPClientGoneCancelsUpstreamCall(t *testing.T) {
	ended := make(chan bool, 1)
	fake := &mcptest.Fake{OnSlowEnd: func(cancelled bool) { ended <- cancelled }}
	up, _ := pipeUpstream(t, fake)
	g := newGate(t)
	p, err := New(context.Background(), up, Options{Name: "db", Decide: g.decide, Check: g.check})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	url, _ := listen(t, p.Handler())
	req, _ := http.NewRequest("POST", url, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"slow","arguments":{"ms":20000}}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if resp, err := http.DefaultClient.Do(req.WithContext(ctx)); err == nil {
		io.ReadAll(resp.Body) // until the client's deadline cuts it
		resp.Body.Close()
	}
	select {
	case cancelled := <-ended:
		if !cancelled {
			t.Fatal("the slow call ran to its end")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the upstream call went on after the client had gone")
	}
}

// TestHTTPLimitsRequestsInFlight: past the bound, a request is refused
// (503) before anything is decided or relayed.
func TestHTTPLimitsRequestsInFlight(t *testing.T) {
	ended := make(chan bool, 1)
	fake := &mcptest.Fake{OnSlowEnd: func(c bool) { ended <- c }}
	up, _ := pipeUpstream(t, fake)
	g := newGate(t)
	p, err := New(context.Background(), up, Options{Name: "db", Decide: g.decide, Check: g.check})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	url, _ := listen(t, p.HTTPHandler(HTTPOptions{MaxInFlight: 1}))
	slow := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"slow","arguments":{"ms":1500}}}`
	done := make(chan int, 1)
	go func() {
		code, _ := postMCP(t, url, slow, nil)
		done <- code
	}()
	// Wait until the slow call holds the one slot (it reached the upstream).
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		reqs, _ := fake.Requests()
		if len(reqs) > 0 && reqs[len(reqs)-1].Name == "slow" {
			break
		}
		if time.Now().After(end) {
			t.Fatal("the slow call did not reach the upstream")
		}
	}
	decided := g.count()
	if code, body := postMCP(t, url, rawAllowedCall, nil); code != http.StatusServiceUnavailable {
		t.Fatalf("second request in flight: status %d, want 503: %s", code, body)
	}
	if g.count() != decided {
		t.Error("the refused request was decided")
	}
	if code := <-done; code != http.StatusOK {
		t.Errorf("slow call: status %d", code)
	}
	<-ended
	if code, body := postMCP(t, url, rawAllowedCall, nil); code != http.StatusOK {
		t.Errorf("after the slot freed: status %d: %s", code, body)
	}
}
