package mcpproxy

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/safeclaw/safeclaw/mcpproxy/mcptest"
)

// This file holds the harness for tests that speak raw bytes to the proxy
// on one side or both: a client writing JSON-RPC lines the SDK's client
// never would, and a scripted upstream answering with whatever a test
// wants (garbage, a response spread over lines, a batch, requests to the
// client).

// rawUpstream is a scripted MCP server of the 2025-11-25 era on pipes. It
// records every message it receives; onCall writes the answer to a
// tools/call (any bytes).
type rawUpstream struct {
	onCall func(u *rawUpstream, id json.RawMessage, params map[string]json.RawMessage)
	// tools is the tools/list result's tools (JSON); "" for run_query and
	// echo. instructions, the server's instructions.
	tools, instructions string
	// list, if set, answers tools/list for a cursor ("" for the first
	// page) with the whole result (JSON); it overrides tools.
	list func(cursor string) string
	// prompts, resources and templates are the listings' items (JSON
	// arrays); set, the server declares prompts and resources.
	prompts, resources, templates string

	mu   sync.Mutex
	out  io.Writer
	got  []map[string]json.RawMessage
	seen chan map[string]json.RawMessage // every message, as it comes
}

// start serves u on pipes and returns the upstream end. hang: the
// upstream's output stays open when the proxy closes its input, as a
// process that ignores its stdin would (the proxy's end cannot be
// unblocked by closing it either, as with a real child's stdout).
func (u *rawUpstream) start(t testing.TB, hang bool) Upstream {
	upR, srvW := io.Pipe()
	srvR, upW := io.Pipe()
	u.out = srvW
	u.seen = make(chan map[string]json.RawMessage, 100)
	go func() {
		sc := bufio.NewScanner(srvR)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var m map[string]json.RawMessage
			if json.Unmarshal(sc.Bytes(), &m) != nil {
				continue
			}
			u.mu.Lock()
			u.got = append(u.got, m)
			u.mu.Unlock()
			select {
			case u.seen <- m:
			default:
			}
			u.answer(m)
		}
		if !hang {
			srvW.Close()
		}
	}()
	t.Cleanup(func() { srvW.Close(); srvR.Close() })
	var r io.ReadCloser = upR
	if hang {
		r = io.NopCloser(upR)
	}
	return Upstream{open: func() (io.ReadCloser, io.WriteCloser, error) { return r, upW, nil }, desc: "raw (pipes)"}
}

// get reads one of u's listings; set changes it, as the server runs.
func (u *rawUpstream) get(field *string) string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return *field
}

func (u *rawUpstream) set(field *string, v string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	*field = v
}

func orEmpty(s string) string {
	if s == "" {
		return "[]"
	}
	return s
}

func (u *rawUpstream) write(s string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	io.WriteString(u.out, s)
}

func (u *rawUpstream) answer(m map[string]json.RawMessage) {
	var method string
	json.Unmarshal(m["method"], &method)
	id := m["id"]
	reply := func(result string) {
		u.write(fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"result":%s}`+"\n", id, result))
	}
	switch method {
	case "":
		// A response to a request of ours.
	case "server/discover":
		u.write(fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"error":{"code":-32601,"message":"Method not found"}}`+"\n", id))
	case "initialize":
		instructions, _ := json.Marshal(u.instructions)
		caps := `{"tools":{}}`
		if u.get(&u.prompts) != "" || u.get(&u.resources) != "" || u.get(&u.templates) != "" {
			caps = `{"tools":{},"prompts":{},"resources":{"subscribe":true},"completions":{}}`
		}
		reply(`{"protocolVersion":"2025-11-25","capabilities":` + caps + `,"serverInfo":{"name":"raw","version":"0"},"instructions":` + string(instructions) + `}`)
	case "tools/list":
		if u.list != nil {
			var params struct{ Cursor string }
			json.Unmarshal(m["params"], &params)
			reply(u.list(params.Cursor))
			break
		}
		tools := u.get(&u.tools)
		if tools == "" {
			tools = `[{"name":"run_query","inputSchema":{"type":"object","properties":{"sql":{"type":"string"}}}},{"name":"echo","inputSchema":{"type":"object"}}]`
		}
		reply(`{"tools":` + tools + `}`)
	case "prompts/list":
		reply(`{"prompts":` + orEmpty(u.get(&u.prompts)) + `}`)
	case "resources/list":
		reply(`{"resources":` + orEmpty(u.get(&u.resources)) + `}`)
	case "resources/templates/list":
		reply(`{"resourceTemplates":` + orEmpty(u.get(&u.templates)) + `}`)
	case "prompts/get":
		reply(`{"messages":[{"role":"user","content":{"type":"text","text":"hi"}}]}`)
	case "resources/read":
		reply(`{"contents":[{"uri":"x:/","text":"hi"}]}`)
	case "resources/subscribe", "resources/unsubscribe":
		reply(`{}`)
	case "completion/complete":
		reply(`{"completion":{"values":[]}}`)
	case "tools/call":
		var params map[string]json.RawMessage
		json.Unmarshal(m["params"], &params)
		if u.onCall != nil {
			u.onCall(u, id, params)
		} else {
			reply(`{"content":[{"type":"text","text":"ok"}]}`)
		}
	case "ping":
		reply(`{}`)
	default:
		if id != nil {
			u.write(fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"error":{"code":-32601,"message":"Method not found"}}`+"\n", id))
		}
	}
}

// methods returns the methods of the requests received, in order.
func (u *rawUpstream) methods() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	var out []string
	for _, m := range u.got {
		var method string
		json.Unmarshal(m["method"], &method)
		if method != "" {
			out = append(out, method)
		}
	}
	return out
}

// wireClient speaks raw lines to a proxy served on stdio pipes.
type wireClient struct {
	t      testing.TB
	p      *Proxy
	g      *gateRec
	in     io.WriteCloser
	lines  chan string
	served chan error
}

// wireProxy serves a proxy for up on pipes (fast path unless noFast) and
// initializes a raw client of the 2025-11-25 era.
func wireProxy(t testing.TB, up Upstream, noFast bool, configure func(*Options)) *wireClient {
	t.Helper()
	w := wireServe(t, up, noFast, configure)
	w.send(`{"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"wire","version":"1"}}}`)
	w.await(`"init"`)
	w.send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	return w
}

// wireServe is wireProxy without the initialize handshake.
func wireServe(t testing.TB, up Upstream, noFast bool, configure func(*Options)) *wireClient {
	t.Helper()
	g := newGate(t)
	opts := Options{Name: "db", Decide: g.decide, Check: g.check, NoFastPath: noFast,
		Pins: OpenPins(filepath.Join(t.TempDir(), "db.json"))}
	if configure != nil {
		configure(&opts)
	}
	ctx := context.Background()
	cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	p, err := New(cctx, up, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	w := &wireClient{t: t, p: p, g: g, in: inW, lines: make(chan string, 1000), served: make(chan error, 1)}
	go func() {
		err := p.ServeStdio(ctx, inR, outW)
		outW.Close()
		w.served <- err
	}()
	go func() {
		sc := bufio.NewScanner(outR)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			w.lines <- sc.Text()
		}
		close(w.lines)
	}()
	t.Cleanup(func() { inW.Close() })
	return w
}

func (w *wireClient) send(line string) {
	w.t.Helper()
	if _, err := io.WriteString(w.in, line+"\n"); err != nil {
		w.t.Fatalf("send: %v", err)
	}
}

// await returns the response with the given id (JSON text), skipping
// other messages; it fails after 10 s.
func (w *wireClient) await(id string) map[string]json.RawMessage {
	w.t.Helper()
	m, ok := w.tryAwait(id, 10*time.Second)
	if !ok {
		w.t.Fatalf("no response with id %s", id)
	}
	return m
}

func (w *wireClient) tryAwait(id string, d time.Duration) (map[string]json.RawMessage, bool) {
	timeout := time.After(d)
	for {
		select {
		case line, ok := <-w.lines:
			if !ok {
				return nil, false
			}
			var m map[string]json.RawMessage
			if json.Unmarshal([]byte(line), &m) != nil {
				continue
			}
			if testing.Verbose() {
				w.t.Logf("client got %.200s", line)
			}
			if _, isReq := m["method"]; !isReq && string(m["id"]) == id {
				return m, true
			}
		case <-timeout:
			return nil, false
		}
	}
}

// callResult is a response's result as a tool result: its text and
// isError, or the JSON-RPC error's message.
func callResult(m map[string]json.RawMessage) (text string, isError bool, rpcErr string) {
	if e, ok := m["error"]; ok {
		var we struct{ Message string }
		json.Unmarshal(e, &we)
		return "", false, we.Message
	}
	var res struct {
		Content []struct{ Text string }
		IsError bool
	}
	json.Unmarshal(m["result"], &res)
	var b strings.Builder
	for _, c := range res.Content {
		b.WriteString(c.Text)
	}
	return b.String(), res.IsError, ""
}

// fakeWire is wireProxy in front of the fake upstream (in-process, 2026-07-28
// era), with the fake's tools listed once so that the fast path can run.
func fakeWire(t testing.TB, noFast bool) (*wireClient, *mcptest.Fake) {
	fake := &mcptest.Fake{}
	up, _ := pipeUpstream(t, fake)
	w := wireProxy(t, up, noFast, nil)
	w.send(`{"jsonrpc":"2.0","id":"list","method":"tools/list"}`)
	w.await(`"list"`)
	return w, fake
}

// sdkOverStdio serves a proxy for up on stdio pipes (fast path unless
// noFast) and connects client (nil: a plain one) in the given era to it.
func sdkOverStdio(t testing.TB, up Upstream, noFast bool, era string, client *mcp.Client, configure func(*Options)) (*mcp.ClientSession, *Proxy, chan error) {
	t.Helper()
	ctx := context.Background()
	g := newGate(t)
	opts := Options{Name: "db", Decide: g.decide, Check: g.check, NoFastPath: noFast,
		Pins: OpenPins(filepath.Join(t.TempDir(), "db.json"))}
	if configure != nil {
		configure(&opts)
	}
	p, err := New(ctx, up, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	served := make(chan error, 1)
	go func() {
		err := p.ServeStdio(ctx, inR, outW)
		outW.Close()
		served <- err
	}()
	if client == nil {
		client = mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil)
	}
	cs, err := client.Connect(ctx,
		&mcp.IOTransport{Reader: outR, Writer: inW}, &mcp.ClientSessionOptions{ProtocolVersion: era})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close(); inW.Close() })
	return cs, p, served
}
