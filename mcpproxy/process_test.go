package mcpproxy

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/safeclaw/safeclaw/mcpproxy/mcptest"
)

// childUpstream is the fake upstream as a real process: this test binary
// re-executed (TestMain serves it), logging every request to a file.
func childUpstream(t testing.TB) (Upstream, *mcptest.Fake) {
	log := filepath.Join(t.TempDir(), "upstream.log")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), mcptest.ChildEnv+"="+log)
	cmd.Stderr = io.Discard
	return Command(cmd), &mcptest.Fake{Log: log}
}

// stdioProxy serves a proxy for up on pipes, as `safeclaw mcp` does on its
// stdin and stdout, and connects a client to it over those pipes.
func stdioProxy(t testing.TB, up Upstream, era string) (*mcp.ClientSession, chan error) {
	t.Helper()
	cs, _, served := sdkOverStdio(t, up, false, era, nil, nil)
	return cs, served
}

func TestStdioProcess(t *testing.T) {
	for _, era := range eras {
		t.Run(era.name, func(t *testing.T) {
			up, fake := childUpstream(t)
			cs, served := stdioProxy(t, up, era.version)
			if res := call(t, cs, "run_query", map[string]any{"sql": "select 1"}); res.IsError || resultText(res) != "rows: 0 for select 1" {
				t.Fatalf("allowed: %q", resultText(res))
			}
			if res := call(t, cs, "run_query", map[string]any{"sql": "drop table users"}); !res.IsError || !strings.Contains(resultText(res), "No DROP") {
				t.Fatalf("denied: %q", resultText(res))
			}
			if _, err := cs.ReadResource(context.Background(), &mcp.ReadResourceParams{URI: "file:///etc/shadow"}); rpcCode(err) != CodeDenied {
				t.Fatalf("shadow: %v", err)
			}
			if got := calledWith(t, fake, "run_query"); !reflect.DeepEqual(got, []map[string]any{{"sql": "select 1"}}) {
				t.Errorf("upstream got %v", got)
			}
			for _, r := range requests(t, fake) {
				if r.Method == "resources/read" {
					t.Errorf("upstream got %+v", r)
				}
			}
			// The upstream process dies mid-call: the client gets an error
			// and the proxy ends.
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if _, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "die", Arguments: map[string]any{}}); err == nil || ctx.Err() != nil {
				t.Fatalf("die: %v (ctx %v)", err, ctx.Err())
			}
			select {
			case err := <-served:
				if err == nil || !strings.Contains(err.Error(), "upstream") {
					t.Errorf("ServeStdio: %v", err)
				}
			case <-ctx.Done():
				t.Fatal("proxy still serving after the upstream died")
			}
		})
	}
}

// listen serves h on 127.0.0.1 with a free port until the test ends.
func listen(t testing.TB, h http.Handler) (url string, stop func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	stop = func() { srv.Close() }
	t.Cleanup(stop)
	return "http://" + ln.Addr().String() + "/", stop
}

// Streamable HTTP on both sides: an HTTP upstream behind the proxy's own
// HTTP handler, both eras.
func TestHTTP(t *testing.T) {
	for _, era := range eras {
		t.Run(era.name, func(t *testing.T) {
			fake := &mcptest.Fake{}
			upURL, stopUp := listen(t, fake.Handler())
			g := newGate(t)
			ctx := context.Background()
			p, err := New(ctx, HTTP(upURL, nil), Options{Name: "db", Decide: g.decide, Check: g.check})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { p.Close() })
			proxyURL, _ := listen(t, p.Handler())
			client := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil)
			cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: proxyURL, MaxRetries: 1}, &mcp.ClientSessionOptions{ProtocolVersion: era.version})
			if err != nil {
				t.Fatal(err)
			}
			defer cs.Close()
			if want := map[string]string{"": "2026-07-28", "2025-11-25": "2025-11-25"}[era.version]; cs.InitializeResult().ProtocolVersion != want {
				t.Errorf("protocol %s, want %s", cs.InitializeResult().ProtocolVersion, want)
			}
			if res := call(t, cs, "run_query", map[string]any{"sql": "select 1"}); res.IsError || resultText(res) != "rows: 0 for select 1" {
				t.Fatalf("allowed: %q", resultText(res))
			}
			if res := call(t, cs, "run_query", map[string]any{"sql": "drop table users"}); !res.IsError {
				t.Fatalf("denied: %q", resultText(res))
			}
			if names := toolNames(t, cs); len(names) != 5 {
				t.Errorf("tools %v", names)
			}
			if got := calledWith(t, fake, "run_query"); !reflect.DeepEqual(got, []map[string]any{{"sql": "select 1"}}) {
				t.Errorf("upstream got %v", got)
			}
			// The upstream goes away: an error, not silence.
			stopUp()
			ctx2, cancel := context.WithTimeout(ctx, 20*time.Second)
			defer cancel()
			if _, err := cs.CallTool(ctx2, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "x"}}); err == nil || ctx2.Err() != nil {
				t.Fatalf("upstream down: %v (ctx %v)", err, ctx2.Err())
			}
		})
	}
}

// Raw JSON-RPC over stdio: unknown methods are refused; a deny reads as
// the wire shape agent-protocols.md §7.3 gives.
func TestStdioWire(t *testing.T) {
	up, _ := pipeUpstream(t, &mcptest.Fake{})
	g := newGate(t)
	p, err := New(context.Background(), up, Options{Name: "db", Decide: g.decide, Check: g.check})
	if err != nil {
		t.Fatal(err)
	}
	in := strings.Join([]string{
		`{"jsonrpc":"2.0","id":"probe","method":"server/discover","params":{}}`,
		`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"claude-code","version":"2.1.332"}}}`,
		`{"jsonrpc":"2.0","method":"notifications/initialized"}`,
		`{"jsonrpc":"2.0","id":1,"method":"frobnicate/now","params":{}}`,
		`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"run_query","arguments":{"sql":"DROP TABLE users"},"_meta":{"claudecode/toolUseId":"toolu_1","progressToken":2}}}`,
		`{"jsonrpc":"2.0","id":3,"method":"sampling/createMessage","params":{"messages":[],"maxTokens":1}}`,
	}, "\n") + "\n"
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	go func() { _ = p.ServeStdio(ctx, inR, outW); outW.Close() }()
	go func() { io.WriteString(inW, in) }()
	// Read until the last request's answer (answers may come out of order).
	var out bytes.Buffer
	sc := bufio.NewScanner(outR)
	for seen := 0; seen < 5 && sc.Scan(); {
		out.Write(sc.Bytes())
		out.WriteByte('\n')
		if bytes.Contains(sc.Bytes(), []byte(`"id":`)) {
			seen++
		}
	}
	inW.Close()
	got := out.String()
	for _, want := range []string{
		`"id":"probe","error":{"code":-32601`,
		`"id":1,"error":{"code":-32601`,
		`"id":3,"error":{"code":-32601`,
		`{"jsonrpc":"2.0","id":2,"result":{"content":[{"type":"text","text":"Denied by safeclaw: tools/call run_query {\"sql\":\"DROP TABLE users\"}: rule \"no drop\" (test.yaml:3): No DROP statements.`,
		`"isError":true`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %s:\n%s", want, got)
		}
	}
}
