package mcpproxy

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/mcpproxy/mcptest"
	"github.com/safeclaw/safeclaw/policy"
)

func TestMain(m *testing.M) {
	mcptest.ServeChildIfAsked()
	os.Exit(m.Run())
}

const testPolicy = `
rules:
  - {name: no drop, action: mcp.call, server: db, tool: run_query, args: {sql: {regex: "(?i)\\bdrop\\b"}}, effect: deny, reason: "No DROP statements"}
  - {name: queries, action: mcp.call, server: db, tool: run_query, effect: allow}
  - {name: secrets ask, action: mcp.call, server: db, tool: echo, args: {text: "secret*"}, effect: ask}
  - {name: two for wipes, action: mcp.call, server: db, tool: echo, args: {text: "wipe*"}, effect: ask, quorum: 2}
  - {name: echo, action: mcp.call, server: db, tool: [echo, slow, die, ask_client], effect: allow}
  - {name: commands, action: mcp.call, server: db, tool: run_command, effect: allow}
  - {name: no rm, command_pattern: "rm *", effect: deny, reason: "no rm"}
  - {name: ls, command_pattern: ls, effect: allow}
  - {name: shadow, action: file.read, path: /etc/shadow, effect: deny, reason: "no shadow"}
  - {name: resources, action: mcp.read, server: db, effect: allow}
  - {name: prompts, action: mcp.prompt, server: db, args: {table: "public.*"}, effect: allow}
default: deny
`

// gateRec is a policy-backed gate that remembers what it decided.
type gateRec struct {
	p    *policy.Policy
	mu   sync.Mutex
	reqs []*action.Request
	effs []action.Effect
}

func newGate(t testing.TB) *gateRec { return gateWith(t, testPolicy) }

func (g *gateRec) decide(_ context.Context, req *action.Request) (action.Decision, error) {
	d := g.p.Decide(req)
	g.mu.Lock()
	g.reqs = append(g.reqs, req)
	g.effs = append(g.effs, d.Effect)
	g.mu.Unlock()
	return d, nil
}

// decideIfAllowed decides (and remembers) only what the policy allows.
func (g *gateRec) decideIfAllowed(ctx context.Context, req *action.Request) (action.Decision, bool, error) {
	if d := g.p.Decide(req); d.Effect != action.Allow {
		return d, false, nil
	}
	d, err := g.decide(ctx, req)
	return d, true, err
}

func (g *gateRec) check(_ context.Context, req *action.Request) (action.Decision, error) {
	return g.p.Decide(req), nil
}

func (g *gateRec) count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.reqs)
}

// pipeUpstream serves fake in-process and returns the upstream end, over
// two pipes; kill closes them (the upstream "dies").
func pipeUpstream(t testing.TB, fake *mcptest.Fake) (up Upstream, kill func()) {
	upR, fakeW := io.Pipe()
	fakeR, upW := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = fake.ServeStdio(ctx, fakeR, fakeW)
	}()
	kill = func() {
		fakeW.CloseWithError(io.ErrUnexpectedEOF)
		fakeR.CloseWithError(io.ErrUnexpectedEOF)
		upW.Close()
		upR.Close()
	}
	t.Cleanup(func() { kill(); cancel(); <-done })
	return Upstream{open: func() (io.ReadCloser, io.WriteCloser, error) { return upR, upW, nil }, desc: "fake (pipes)"}, kill
}

type setup struct {
	fake    *mcptest.Fake
	gate    *gateRec
	proxy   *Proxy
	client  *mcp.ClientSession
	kill    func()
	warns   *[]string
	pinPath string
}

type setupOpts struct {
	era       string // "" = newest (2026-07-28, via server/discover); else e.g. 2025-11-25
	client    *mcp.ClientOptions
	configure func(*Options)
	fake      *mcptest.Fake
}

// start connects a test client to a proxy in front of a fake upstream, the
// client over the SDK's in-memory transport.
func start(t *testing.T, so setupOpts) *setup {
	t.Helper()
	ctx := context.Background()
	s := &setup{fake: so.fake, gate: newGate(t), warns: &[]string{}}
	if s.fake == nil {
		s.fake = &mcptest.Fake{}
	}
	up, kill := pipeUpstream(t, s.fake)
	s.kill = kill
	s.pinPath = filepath.Join(t.TempDir(), "mcp", "db.json")
	var mu sync.Mutex
	opts := Options{Name: "db", Decide: s.gate.decide, Check: s.gate.check, Elicit: true, Pins: OpenPins(s.pinPath),
		Cwd: "/home/u/proj", Home: "/home/u", Now: time.Now,
		Warn: func(m string) { mu.Lock(); *s.warns = append(*s.warns, m); mu.Unlock() }}
	if so.configure != nil {
		so.configure(&opts)
	}
	p, err := New(ctx, up, opts)
	if err != nil {
		t.Fatal(err)
	}
	s.proxy = p
	t.Cleanup(func() { p.Close() })
	ct, st := mcp.NewInMemoryTransports()
	ss, err := p.server.Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ss.Close() })
	copts := so.client
	if copts == nil {
		copts = &mcp.ClientOptions{}
	}
	client := mcp.NewClient(&mcp.Implementation{Name: "claude-code", Version: "test"}, copts)
	cs, err := client.Connect(ctx, ct, &mcp.ClientSessionOptions{ProtocolVersion: so.era})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	s.client = cs
	return s
}

var eras = []struct{ name, version string }{{"legacy", "2025-11-25"}, {"stateless", ""}}

func call(t *testing.T, cs *mcp.ClientSession, name string, args any) *mcp.CallToolResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("CallTool %s: %v", name, err)
	}
	return res
}

func resultText(r *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range r.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

func toolNames(t *testing.T, cs *mcp.ClientSession) []string {
	t.Helper()
	res, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, tl := range res.Tools {
		out = append(out, tl.Name)
	}
	return out
}

func requests(t testing.TB, f *mcptest.Fake) []mcptest.Request {
	t.Helper()
	reqs, err := f.Requests()
	if err != nil {
		t.Fatal(err)
	}
	return reqs
}

// calledWith returns the argument objects the upstream got for tool.
func calledWith(t testing.TB, f *mcptest.Fake, tool string) []map[string]any {
	var out []map[string]any
	for _, r := range requests(t, f) {
		if r.Method == "tools/call" && r.Name == tool {
			var m map[string]any
			if err := json.Unmarshal(r.Args, &m); err != nil {
				t.Fatalf("upstream args %s: %v", r.Args, err)
			}
			out = append(out, m)
		}
	}
	return out
}

func rpcCode(err error) int64 {
	var we *jsonrpc.Error
	if errors.As(err, &we) {
		return we.Code
	}
	return 0
}
