package cli

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/safeclaw/safeclaw/mcpproxy/mcptest"
)

// mcpHTTPAskPolicy asks before echo and allows run_query.
const mcpHTTPAskPolicy = `
rules:
  - {name: queries, action: mcp.call, server: db, tool: run_query, effect: allow}
  - {name: echo asks, action: mcp.call, server: db, tool: echo, effect: ask}
default: deny
`

// serveTestUpstream serves the fake MCP server over HTTP on a loopback
// port until the test ends.
func serveTestUpstream(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String() + "/"
}

// startMCPListen runs `safeclaw mcp --listen ADDR args...` until the test
// ends and returns its address and stderr.
func startMCPListen(t *testing.T, e *Env, args ...string) (string, *syncBuffer) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	errb := &syncBuffer{}
	e.Stderr = errb
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- runMCP(ctx, e, append([]string{"--listen", addr}, args...)) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Error("safeclaw mcp --listen did not stop")
		}
	})
	// Wait until it serves.
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(errb.String(), "serving") {
		select {
		case code := <-done:
			done <- code // for the cleanup
			t.Fatalf("safeclaw mcp exited %d: %s", code, errb.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("not serving: %s", errb.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	return addr, errb
}

// bearerTransport adds a bearer token to every request.
type bearerTransport struct{ token string }

func (b bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

func writeMCPPolicy(t *testing.T, text string) string {
	t.Helper()
	pol := filepath.Join(t.TempDir(), "mcp.yaml")
	if err := os.WriteFile(pol, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return pol
}

// connectMCP connects a 2026-07-28 client (which answers every
// elicitation with yes, counting them) to url.
func connectMCP(t *testing.T, url string, hc *http.Client, elicited *atomic.Int64) (*mcp.ClientSession, error) {
	t.Helper()
	client := mcp.NewClient(&mcp.Implementation{Name: "claude-code", Version: "1"}, &mcp.ClientOptions{
		ElicitationHandler: func(context.Context, *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
			elicited.Add(1)
			return &mcp.ElicitResult{Action: "accept", Content: map[string]any{"approve": true}}, nil
		}})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: url, HTTPClient: hc, MaxRetries: 1}, nil)
	if err == nil {
		t.Cleanup(func() { cs.Close() })
	}
	return cs, err
}

// Without --token-env, any local process (another user's, or the agent's
// own shell) can reach the listener: it must not be able to approve its own
// asks by answering the elicitation. The ask goes to safeclaw's queue.
func TestMCPListenWithoutTokenDoesNotElicit(t *testing.T) {
	e := testEnv(t)
	if err := os.MkdirAll(e.ConfigDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(e.ConfigDir, "config.yaml"), []byte("approvals:\n  timeout: 1s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fake := &mcptest.Fake{}
	up := serveTestUpstream(t, fake.Handler())
	addr, errb := startMCPListen(t, e, "--policy", writeMCPPolicy(t, mcpHTTPAskPolicy), "--name", "db", "--upstream", up)
	var elicited atomic.Int64
	cs, err := connectMCP(t, "http://"+addr+"/", nil, &elicited)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "hi"}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.IsError || elicited.Load() != 0 {
		t.Errorf("elicited %d times; result %+v", elicited.Load(), res)
	}
	reqs, _ := fake.Requests()
	if calls := mcptest.Calls(reqs); len(calls) != 0 {
		t.Errorf("upstream got %v", calls)
	}
	if !strings.Contains(errb.String(), "--token-env") {
		t.Errorf("no warning about the missing token: %s", errb.String())
	}
}

// With --token-env, the listener refuses clients without the token, and
// elicitation is used again for the one that has it.
func TestMCPListenToken(t *testing.T) {
	e := testEnv(t)
	env := map[string]string{"MCP_TOKEN": "0123456789abcdef0123"}
	e.Getenv = func(k string) string { return env[k] }
	fake := &mcptest.Fake{}
	up := serveTestUpstream(t, fake.Handler())
	addr, _ := startMCPListen(t, e, "--policy", writeMCPPolicy(t, mcpHTTPAskPolicy), "--name", "db", "--upstream", up, "--token-env", "MCP_TOKEN")
	var elicited atomic.Int64
	if _, err := connectMCP(t, "http://"+addr+"/", nil, &elicited); err == nil {
		t.Fatal("connected without the token")
	}
	if _, err := connectMCP(t, "http://"+addr+"/", &http.Client{Transport: bearerTransport{"wrong-token-0123456789"}}, &elicited); err == nil {
		t.Fatal("connected with a wrong token")
	}
	cs, err := connectMCP(t, "http://"+addr+"/", &http.Client{Transport: bearerTransport{env["MCP_TOKEN"]}}, &elicited)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "hi"}})
	if err != nil || res.IsError || elicited.Load() != 1 {
		t.Fatalf("elicited %d: %v %+v", elicited.Load(), err, res)
	}
}

func TestMCPTokenEnvChecks(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  string
		want string
	}{
		{[]string{"--token-env", "MCP_TOKEN", "--", "true"}, "0123456789abcdef", "--token-env is for --listen"},
		{[]string{"--listen", "127.0.0.1:0", "--token-env", "MCP_TOKEN", "--", "true"}, "", "MCP_TOKEN is not set"},
		{[]string{"--listen", "127.0.0.1:0", "--token-env", "MCP_TOKEN", "--", "true"}, "short", "at least 16"},
		{[]string{"--listen", "0.0.0.0:0", "--", "true"}, "", "not a loopback address"},
	} {
		e := testEnv(t)
		e.Getenv = func(k string) string {
			if k == "MCP_TOKEN" {
				return tc.env
			}
			return ""
		}
		code, _, stderr := run(t, e, "", append([]string{"mcp"}, tc.args...)...)
		if code == 0 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%q: exit %d, stderr %s; want %q", tc.args, code, stderr, tc.want)
		}
	}
}

// A redirect from the --upstream server to another origin is not
// followed: the --header credentials never reach that server.
func TestMCPUpstreamRedirectKeepsHeaders(t *testing.T) {
	var leaked atomic.Int64
	other := serveTestUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			leaked.Add(1)
		}
		(&mcptest.Fake{}).Handler().ServeHTTP(w, r)
	}))
	// "localhost" is another origin than "127.0.0.1", as a browser or Go's
	// client (which drops Authorization on such a redirect) sees it.
	other = strings.Replace(other, "127.0.0.1", "localhost", 1)
	up := serveTestUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other, http.StatusTemporaryRedirect)
	}))
	e := testEnv(t)
	e.Getenv = func(k string) string { return map[string]string{"API_TOKEN": "s3cret"}[k] }
	code, _, stderr := run(t, e, "", "mcp", "scan", "--name", "db", "--upstream", up, "--header", "Authorization: Bearer ${API_TOKEN}")
	if code == 0 || !strings.Contains(stderr, "redirect") {
		t.Errorf("exit %d: %s", code, stderr)
	}
	if n := leaked.Load(); n != 0 {
		t.Errorf("the other server got the Authorization header %d times", n)
	}
}
