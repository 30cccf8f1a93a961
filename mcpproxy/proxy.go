package mcpproxy

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/safeclaw/safeclaw/action"
)

// CodeDenied is the JSON-RPC error code of a request safeclaw refused
// (methods other than tools/call, whose denials are tool results).
const CodeDenied = -32001

// CodeUpstream is the JSON-RPC error code of a request the upstream server
// could not answer (it failed or exited).
const CodeUpstream = -32603

// Options configure a [Proxy].
type Options struct {
	// Name is the server's name: the facet's Server, what rules match with
	// server:, and the pin file's name. Required; see [ValidName].
	Name string
	// Decide decides and audits every request. Required. An error denies.
	Decide action.DecideFunc
	// Check decides without recording, to filter tools/list (each tool with
	// [action.AnyArgs]); nil uses Decide.
	Check action.DecideFunc
	// DecideIfAllowed, when set, lets the fast path ask the policy once
	// instead of checking and then deciding: it decides and records a call
	// the policy allows (decided true, the decision to answer with), and
	// returns anything else undecided, with nothing recorded, for the SDK's
	// path to decide. Nil: Check, then Decide.
	DecideIfAllowed func(ctx context.Context, req *action.Request) (d action.Decision, decided bool, err error)
	// Approve resolves an ask through safeclaw's approval queue (waiting
	// for a person, deny on timeout) when the client cannot be asked by
	// elicitation. Nil: Pending, else deny.
	Approve func(ctx context.Context, req *action.Request, d action.Decision) (action.Effect, error)
	// Pending files an ask nobody waits for and returns its id; the client
	// is told to have a person approve it and to retry the same call.
	Pending func(ctx context.Context, req *action.Request, d action.Decision) (string, error)
	// NoFastPath sends every tools/call through the SDK's sessions (see
	// fast.go), for comparison and as a way out.
	NoFastPath bool
	// Elicit asks the client's user (MCP elicitation) when the client
	// supports it, before Approve.
	Elicit bool
	// Pins records tool definitions; nil disables pinning.
	Pins *Pins
	// Cwd and Home are where shell-like arguments are analysed, for an
	// upstream that runs on this machine; ReadFile lets the analyser read
	// files a command leads to (nil: none).
	Cwd, Home string
	ReadFile  func(name string) ([]byte, error)
	// Agent names the client when it does not say (clientInfo).
	Agent string
	// Warn reports what a person should know: changed tool definitions,
	// an upstream that ended. Nil: dropped.
	Warn func(msg string)
	// Now stamps requests; nil means time.Now.
	Now func() time.Time
	// ElicitTimeout bounds an elicitation; 0 means 5 minutes.
	ElicitTimeout time.Duration
	// Record receives what the proxy resolves outside Decide, for the
	// audit trail: each elicitation's answer, and calls denied because a
	// tool's pinned definition changed. Nil: not recorded. An error is
	// reported through Warn (the request was decided already).
	Record func(ctx context.Context, ev Event) error
	// Redact, when set, replaces the secrets it recognises in a text and
	// reports whether it changed anything (audit.Redact): every string of a
	// tools/call, resources/read or prompts/get result goes through it
	// before the client sees it (see redact.go). Nil: results are relayed
	// as they come.
	Redact func(text string) (string, bool)
	// Approved reports that a person approved exactly this request moments
	// earlier through another surface (the agent's hook deciding the same
	// MCP call), and who; the proxy then does not ask again. It must
	// consume what it reports (one approval, one call). Nil: always ask.
	Approved func(ctx context.Context, req *action.Request, toolUseID string) (approver string, ok bool)
}

// Upstream is the real MCP server: a command speaking MCP on stdio
// ([Command]) or a streamable-HTTP endpoint ([HTTP]).
type Upstream struct {
	transport mcp.Transport // streamable HTTP
	// open starts a local server and returns its output and input; nil
	// for HTTP.
	open func() (io.ReadCloser, io.WriteCloser, error)
	desc string
}

// Command is an upstream server run as cmd, speaking MCP on its stdin and
// stdout. Set cmd.Stderr to see its log. Closing the proxy closes its stdin
// and, if it does not exit within two seconds, terminates it.
func Command(cmd *exec.Cmd) Upstream {
	return Upstream{open: func() (io.ReadCloser, io.WriteCloser, error) { return commandStreams(cmd, 2*time.Second) },
		desc: strings.Join(cmd.Args, " ")}
}

// HTTP is an upstream streamable-HTTP MCP endpoint; client nil means
// http.DefaultClient. The proxy uses a copy of client that follows
// redirects only within the endpoint's origin and reads at most 32 MiB of
// a response that is not an event stream (see upstreamClient).
func HTTP(endpoint string, client *http.Client) Upstream {
	return Upstream{transport: &mcp.StreamableClientTransport{Endpoint: endpoint, HTTPClient: upstreamClient(client), MaxRetries: 1, DisableStandaloneSSE: true},
		desc: redactURL(endpoint)}
}

// String describes the upstream (its command line or URL).
func (u Upstream) String() string { return u.desc }

// local reports an upstream on this machine, spoken to over stdio.
func (u Upstream) local() bool { return u.open != nil }

// connect returns the transport to the upstream; fast, when set, sees
// a local upstream's messages first.
func (u Upstream) connect(fast *fastPath) mcp.Transport {
	if u.open == nil {
		return u.transport
	}
	return &stdioUpstream{open: u.open, fast: fast}
}

// validName is compiled on first use: package init is on every hook's path.
var validName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`) })

// ValidName reports whether name can name a server (and its pin file):
// letters, digits, '.', '_' and '-', starting with a letter or digit, at
// most 64 bytes.
func ValidName(name string) bool { return validName().MatchString(name) }

// Proxy relays one upstream MCP server to any number of downstream clients,
// deciding every request. It is safe for concurrent use.
type Proxy struct {
	opts   Options
	up     *mcp.ClientSession
	server *mcp.Server
	local  bool
	source string

	upDone chan struct{}
	upErr  error // set before upDone closes
	// legacyUpstream: the upstream speaks only the handshake era
	// (initialize), so the proxy does too, as the bare server would: a
	// client probing server/discover gets "method not found" and falls back.
	legacyUpstream bool

	// fast carries allowed tools/call requests past the SDK's sessions
	// (fast.go); nil when the upstream is not a local process.
	fast *fastPath

	stateKey [32]byte // signs approval states (2026-07-28 elicitation)
	// settleWait bounds the wait for the answers of requests in flight
	// when the upstream ends (ServeStdio).
	settleWait time.Duration
	nextTok    atomic.Int64
	redacted   atomic.Int64 // strings of results redacted (redact.go)

	mu       sync.Mutex
	tools    map[string]toolState  // from the last tools/list
	schemas  map[string]schemaKeys // the listed tools' argument names (argkeys.go)
	listed   bool                  // tools holds a listing
	toolsGen uint64                // list_changed notifications for tools so far
	// listedAs holds the pin states of the prompts ("(prompt) NAME"),
	// resources and resource templates seen in listings, by pin key.
	listedAs map[string]toolState
	progress map[string]progressTarget
	// subs: the downstream sessions subscribed to each resource URI; the
	// upstream is subscribed while there is one.
	subs map[string]map[*mcp.ServerSession]bool
	used map[string]time.Time // approval nonces already redeemed → expiry
}

type toolState uint8

const (
	toolOK        toolState = iota + 1
	toolChanged             // definition differs from its pin
	toolUnchecked           // the pins could not be checked
	toolReserved            // named like what safeclaw pins besides tools
	toolDuplicate           // listed more than once, with different definitions
)

type progressTarget struct {
	ss    *mcp.ServerSession
	token any
}

// New connects to the upstream server and returns a proxy ready to serve.
// ctx bounds the connection handshake only.
func New(ctx context.Context, up Upstream, opts Options) (*Proxy, error) {
	if opts.Decide == nil {
		return nil, errors.New("mcpproxy: no decide function")
	}
	if !ValidName(opts.Name) {
		return nil, fmt.Errorf("mcpproxy: bad server name %q (letters, digits, '.', '_', '-')", opts.Name)
	}
	if opts.Check == nil {
		opts.Check = opts.Decide
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Warn == nil {
		opts.Warn = func(string) {}
	}
	if opts.ElicitTimeout <= 0 {
		opts.ElicitTimeout = 5 * time.Minute
	}
	p := &Proxy{opts: opts, local: up.local(), source: up.desc, upDone: make(chan struct{}), settleWait: 5 * time.Second,
		tools: map[string]toolState{}, listedAs: map[string]toolState{}, progress: map[string]progressTarget{}, subs: map[string]map[*mcp.ServerSession]bool{}, used: map[string]time.Time{}}
	if _, err := rand.Read(p.stateKey[:]); err != nil {
		return nil, err
	}
	client := mcp.NewClient(&mcp.Implementation{Name: "safeclaw-mcp", Version: "1"}, &mcp.ClientOptions{
		// No roots, sampling or elicitation: requests from the upstream to
		// the client are not relayed. Nor are those of the 2026-07-28 era
		// (input_required results): the SDK would answer them itself (its
		// empty roots, errors for the rest) and retry; the proxy refuses
		// such results instead, on both paths alike (inputRequested).
		Capabilities:                &mcp.ClientCapabilities{},
		MultiRoundTrip:              &mcp.MultiRoundTripOptions{Disabled: true},
		ToolListChangedHandler:      func(context.Context, *mcp.ToolListChangedRequest) { p.listChanged("tools") },
		PromptListChangedHandler:    func(context.Context, *mcp.PromptListChangedRequest) { p.listChanged("prompts") },
		ResourceListChangedHandler:  func(context.Context, *mcp.ResourceListChangedRequest) { p.listChanged("resources") },
		ResourceUpdatedHandler:      p.resourceUpdated,
		LoggingMessageHandler:       p.logMessage,
		ProgressNotificationHandler: p.upstreamProgress,
	})
	if up.local() && !opts.NoFastPath {
		p.fast = newFastPath(p)
	}
	cs, err := client.Connect(ctx, up.connect(p.fast), nil)
	if err != nil {
		return nil, fmt.Errorf("connect to upstream MCP server %s: %w", up.desc, err)
	}
	p.up = cs
	go func() {
		err := cs.Wait()
		if err == nil {
			err = errors.New("it closed the connection")
		}
		// The fast path's calls in flight are answered before anyone
		// learns that the upstream ended (and ends the proxy): its lane
		// may still be waiting on an upstream that broke the protocol but
		// keeps its output open.
		if p.fast != nil {
			p.fast.upstreamEnded(err)
		}
		p.upErr = err
		close(p.upDone)
	}()
	info := cs.InitializeResult()
	impl := &mcp.Implementation{Name: opts.Name, Version: "safeclaw"}
	caps := &mcp.ServerCapabilities{}
	instructions := ""
	if info != nil {
		p.legacyUpstream = info.ProtocolVersion != "" && info.ProtocolVersion < "2026-07-28"
		if info.ServerInfo != nil && info.ServerInfo.Name != "" {
			impl = &mcp.Implementation{Name: info.ServerInfo.Name, Title: info.ServerInfo.Title, Version: info.ServerInfo.Version}
		}
		if uc := info.Capabilities; uc != nil {
			if uc.Tools != nil {
				caps.Tools = &mcp.ToolCapabilities{ListChanged: true}
			}
			if uc.Prompts != nil {
				caps.Prompts = &mcp.PromptCapabilities{ListChanged: true}
			}
			if uc.Resources != nil {
				caps.Resources = &mcp.ResourceCapabilities{ListChanged: true, Subscribe: uc.Resources.Subscribe}
			}
			if uc.Completions != nil {
				caps.Completions = &mcp.CompletionCapabilities{}
			}
			if uc.Logging != nil {
				caps.Logging = &mcp.LoggingCapabilities{}
			}
		}
		instructions = p.checkInstructions(info.Instructions)
	}
	server := mcp.NewServer(impl, &mcp.ServerOptions{
		Capabilities:       caps,
		Instructions:       instructions,
		SubscribeHandler:   p.subscribe,
		UnsubscribeHandler: p.unsubscribe,
	})
	server.AddReceivingMiddleware(p.middleware)
	p.mu.Lock()
	p.server = server
	p.mu.Unlock()
	return p, nil
}

// checkInstructions pins the server's instructions (they reach the model
// like tool descriptions do); changed ones are withheld.
func (p *Proxy) checkInstructions(s string) string {
	if s == "" || p.opts.Pins == nil {
		return s
	}
	changed, err := p.opts.Pins.checkInstructions(s, p.opts.Now())
	if err != nil {
		p.opts.Warn(fmt.Sprintf("safeclaw mcp: %s: pins: %v; withholding the server's instructions", p.opts.Name, err))
		return ""
	}
	if changed {
		p.opts.Warn(fmt.Sprintf("safeclaw mcp: %s: the server's instructions changed since they were pinned; withholding them until a person runs 'safeclaw mcp trust %s'", p.opts.Name, p.opts.Name))
		return ""
	}
	return s
}

// Close ends the upstream connection (for a command, closes its stdin and
// terminates it if it does not exit).
func (p *Proxy) Close() error { return p.up.Close() }

// Done is closed when the upstream connection has ended.
func (p *Proxy) Done() <-chan struct{} { return p.upDone }

// UpstreamErr says why the upstream connection ended; nil while it lasts.
func (p *Proxy) UpstreamErr() error {
	select {
	case <-p.upDone:
		return p.upErr
	default:
		return nil
	}
}

// ServeStdio serves one client on in and out (newline-delimited JSON-RPC)
// until the client closes in, ctx ends or the upstream ends. When the
// upstream ends, requests in flight are answered with errors first and the
// returned error says what happened.
func (p *Proxy) ServeStdio(ctx context.Context, in io.ReadCloser, out io.Writer) error {
	calls := newCallTracker()
	lw := &lineWriter{w: nopWriteCloser{out}, wrote: calls.wrote}
	f := p.fast
	if f != nil {
		f.mu.Lock()
		f.down = lw
		f.mu.Unlock()
	}
	// The lane offers each line to the fast path and notes the requests
	// the SDK gets, to answer them when the upstream ends. After a line
	// that is not whole JSON, the SDK may be in the middle of a message
	// spread over lines, where a line that looks like a message of its own
	// is not one: from then on every line goes to the SDK as it is.
	fragment := false
	take := func(line []byte) bool {
		if fragment {
			return false
		}
		msg, ok := decodeLine(line)
		if !ok {
			if t := bytes.TrimSpace(line); len(t) > 0 && !json.Valid(t) {
				fragment = true
			}
			return false
		}
		if f != nil && f.intercept(ctx, msg) {
			return true
		}
		calls.received(msg)
		return false
	}
	reader := splitLines(in, take, nil)
	ss, err := p.server.Connect(ctx, &mcp.IOTransport{Reader: reader, Writer: lw}, nil)
	if err != nil {
		return err
	}
	if f != nil {
		f.mu.Lock()
		f.ss = ss
		f.mu.Unlock()
	}
	done := make(chan error, 1)
	go func() { done <- ss.Wait() }()
	select {
	case err := <-done:
		// The client hung up (EOF), or broke the protocol (a batch, a line
		// that is not JSON), which ends the session as the SDK's own
		// server ends it: say why.
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, os.ErrClosed) && !errors.Is(err, mcp.ErrConnectionClosed) && ctx.Err() == nil {
			return fmt.Errorf("client connection: %w", err)
		}
		return nil
	case <-p.upDone:
		// The requests in flight fail fast now, but closing the session
		// would drop their answers: they are written first (the fast
		// path's were, before upDone closed).
		calls.settle(p.settleWait, lw, p.upstreamGone())
		// Closing the client's input ends the requests still being
		// handled (an approval being waited for), which Close waits for.
		reader.Close()
		ss.Close()
		return fmt.Errorf("upstream MCP server ended: %v", p.upErr)
	case <-ctx.Done():
		ss.Close()
		return ctx.Err()
	}
}

// srv is the downstream server, nil while New is still connecting.
func (p *Proxy) srv() *mcp.Server {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.server
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// listChanged forwards an upstream list_changed notification by adding and
// removing a placeholder feature: the SDK's only public way to notify every
// session (both eras). Its tools/list, prompts/list and resources/list are
// answered here, so the placeholder is never listed.
func (p *Proxy) listChanged(what string) {
	const placeholder = "safeclaw-list-changed"
	p.mu.Lock()
	server := p.server
	if what == "tools" {
		// A listing in flight now is of the old tools: it is not kept
		// (refreshTools).
		p.tools, p.schemas, p.listed = map[string]toolState{}, nil, false
		p.toolsGen++
	}
	p.mu.Unlock()
	if server == nil {
		return // still connecting: the first list is fresh anyway
	}
	switch what {
	case "tools":
		server.AddTool(&mcp.Tool{Name: placeholder, InputSchema: map[string]any{"type": "object"}},
			func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
				return nil, errors.New("not a tool")
			})
		server.RemoveTools(placeholder)
	case "prompts":
		server.AddPrompt(&mcp.Prompt{Name: placeholder}, func(context.Context, *mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
			return nil, errors.New("not a prompt")
		})
		server.RemovePrompts(placeholder)
	case "resources":
		uri := "safeclaw:" + placeholder
		server.AddResource(&mcp.Resource{URI: uri, Name: placeholder}, func(context.Context, *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
			return nil, errors.New("not a resource")
		})
		server.RemoveResources(uri)
	}
}

func (p *Proxy) resourceUpdated(ctx context.Context, req *mcp.ResourceUpdatedNotificationRequest) {
	if server := p.srv(); server != nil && req.Params != nil {
		_ = server.ResourceUpdated(ctx, &mcp.ResourceUpdatedNotificationParams{URI: req.Params.URI})
	}
}

func (p *Proxy) logMessage(ctx context.Context, req *mcp.LoggingMessageRequest) {
	server := p.srv()
	if server == nil || req.Params == nil {
		return
	}
	for ss := range server.Sessions() {
		_ = ss.Log(ctx, req.Params)
	}
}

// upstreamProgress forwards a progress notification to the session whose
// call it belongs to, under that session's own token.
func (p *Proxy) upstreamProgress(ctx context.Context, req *mcp.ProgressNotificationClientRequest) {
	if req.Params == nil {
		return
	}
	tok, _ := req.Params.ProgressToken.(string)
	p.mu.Lock()
	t, ok := p.progress[tok]
	p.mu.Unlock()
	if !ok {
		return
	}
	_ = t.ss.NotifyProgress(ctx, &mcp.ProgressNotificationParams{ProgressToken: t.token,
		Progress: req.Params.Progress, Total: req.Params.Total, Message: req.Params.Message})
}
