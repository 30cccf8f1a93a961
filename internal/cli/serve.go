package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/approval"
	"github.com/safeclaw/safeclaw/audit"
	"github.com/safeclaw/safeclaw/hook"
	"github.com/safeclaw/safeclaw/server"
)

const serveUsage = `Usage: safeclaw serve [--policy F]... [--socket PATH] [--listen 127.0.0.1:PORT]
                      [--token-file F] [--allow-public] [--ask MODE]
                      [--ui] [--ui-listen 127.0.0.1:0]

Runs safeclaw's local decision API for SDK-based agents (Claude Agent SDK,
OpenAI Agents SDK, LangChain, your own tool loop) and for Claude Code's
"http" hook type. Every decision goes through the policy and the audit
trail, exactly as 'safeclaw hook' does. docs/api.md describes the API.

  POST /v1/decide          a tool call, command or action -> the decision
  POST /v1/hook/claude     Claude Code's hook JSON -> Claude Code's answer
  GET  /v1/approvals/ID    an approval request (?wait=60s long-polls)
  GET  /healthz, /metrics  liveness; Prometheus metrics

By default it listens on a Unix socket, serve.sock in the state directory,
mode 0600, and accepts only your own user's processes. --listen serves a
loopback TCP port instead (add --socket to serve both); TCP clients must
send "Authorization: Bearer TOKEN" with the token from --token-file
(default serve.token in the state directory, created 0600 on first use).
Addresses other than loopback are refused unless --allow-public.

The policy is reloaded when its files change (checked every second) and on
SIGHUP; a policy that does not load keeps the previous one and says so on
stderr. SIGINT or SIGTERM stops the server.

--ask says how the hook routes answer an ask (native, defer, wait, deny;
default: the agent's own, as for 'safeclaw hook').

--ui also serves the dashboard ('safeclaw ui') on its own loopback listener
(--ui-listen, default a free port) and prints its one-time login link.
`

const (
	// serveGCPercent is serve's GOGC unless the environment sets one.
	serveGCPercent = 400
)

func runServe(ctx context.Context, e *Env, args []string) int {
	flags := newFlags(e, "serve", serveUsage)
	var policies stringList
	flags.Var(&policies, "policy", "policy `file` or directory (repeatable); replaces the user policy")
	socket := flags.String("socket", "", "Unix socket `path` (default serve.sock in the state directory)")
	listen := flags.String("listen", "", "serve loopback TCP on `host:port` (e.g. 127.0.0.1:7878) instead of the socket")
	tokenFile := flags.String("token-file", "", "bearer token `file` for --listen (default serve.token in the state directory)")
	allowPublic := flags.Bool("allow-public", false, "allow --listen on an address other than loopback")
	ask := flags.String("ask", "", "how the hook routes answer an ask: native, defer, wait or deny")
	withUI := flags.Bool("ui", false, "also serve the dashboard (as 'safeclaw ui --no-open')")
	uiListen := flags.String("ui-listen", "127.0.0.1:0", "loopback `host:port` for the dashboard with --ui")
	if code, ok := parseFlags(e, flags, args); !ok {
		return code
	}
	if flags.NArg() > 0 {
		return errorf(e, "serve: unexpected argument %q", flags.Arg(0))
	}
	askMode, err := hook.ParseAskMode(*ask)
	if err != nil {
		return errorf(e, "serve: %v", err)
	}
	socketSet := false
	flags.Visit(func(f *flag.Flag) {
		if f.Name == "socket" {
			socketSet = true
		}
	})
	var tcpAddr string
	if *listen != "" {
		if tcpAddr, err = server.CheckListenAddr(*listen, *allowPublic); err != nil {
			return errorf(e, "serve: %v", err)
		}
	}
	socketPath := *socket
	if socketPath == "" {
		socketPath = filepath.Join(e.StateDir, "serve.sock")
	}
	useSocket := tcpAddr == "" || socketSet

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	if e.Getenv("GOGC") == "" {
		// A long-running server with a small heap: collecting less often
		// costs a few MB and saves about a fifth of the CPU per decision.
		defer debug.SetGCPercent(debug.SetGCPercent(serveGCPercent))
	}
	logf := lockedLogf(e.Stderr)
	live, err := e.newLiveGate(ctx, "api", "", "serve", policies, logf)
	if err != nil {
		return errorf(e, "serve: %v", err)
	}
	// The gate loaded config.yaml already: hooks.redact_output as it read
	// it (a change takes a restart).
	redactOutput := audit.Redact
	if cfg, err := e.loadConfig(); err != nil {
		live.close()
		return errorf(e, "serve: %v", err)
	} else if !cfg.Hooks.RedactOutput {
		redactOutput = nil
	}
	defer live.close()

	base := server.Config{
		// One set of counters: each listener's /metrics shows the daemon.
		Metrics:   server.NewMetrics(),
		Decide:    live.Decide,
		Approvals: live.approvalSeams(),
		Hook:      hook.Options{Ask: askMode, Redact: redactOutput},
		Cwd:       e.Cwd, Home: e.Home, ReadFile: readSmallFile, Now: e.Now,
		Logf: logf,
	}
	type endpoint struct {
		ln   net.Listener
		h    *server.Handler
		name string
	}
	var eps []endpoint
	closeAll := func() {
		for _, ep := range eps {
			ep.ln.Close()
		}
	}
	if useSocket {
		ln, err := server.ListenUnix(socketPath, logf)
		if err != nil {
			return errorf(e, "serve: %v", err)
		}
		eps = append(eps, endpoint{ln, server.New(base), "unix:" + socketPath})
	}
	if tcpAddr != "" {
		token, path, err := e.serveToken(*tokenFile)
		if err != nil {
			closeAll()
			return errorf(e, "serve: %v", err)
		}
		ln, err := net.Listen("tcp", tcpAddr)
		if err != nil {
			closeAll()
			return errorf(e, "serve: %v", err)
		}
		c := base
		c.Token, c.CheckHost = token, true
		eps = append(eps, endpoint{ln, server.New(c), fmt.Sprintf("http://%s (bearer token in %s)", ln.Addr(), path)})
		if ip, err := netipOf(ln.Addr()); err == nil && !ip.IsLoopback() {
			logf("safeclaw: serve: warning: listening on %s, which is not a loopback address (--allow-public)", ln.Addr())
		}
	}

	errc := make(chan error, len(eps)+1)
	var servers []*http.Server
	for _, ep := range eps {
		srv := &http.Server{Handler: ep.h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
		servers = append(servers, srv)
		go func() {
			if err := srv.Serve(ep.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("%s: %w", ep.name, err)
			}
		}()
		logf("safeclaw: serve: listening on %s", ep.name)
	}

	// The dashboard runs beside the API until ctx ends; it cannot start
	// (or stops) only with an error, which stops serve too.
	uiDone := make(chan struct{})
	if *withUI {
		keepMemoryPrivate()
		go func() {
			defer close(uiDone)
			if code := e.runDashboard(ctx, *uiListen, true, false); code != exitOK && ctx.Err() == nil {
				errc <- errors.New("dashboard failed (see above)")
			}
		}()
	} else {
		close(uiDone)
	}

	// Reload on file changes and SIGHUP until the server stops.
	reloadDone := make(chan struct{})
	go func() {
		defer close(reloadDone)
		live.watch(ctx, hup, func(err error) {
			if len(eps) > 0 {
				eps[0].h.CountReload(err == nil) // the counters are shared
			}
		})
	}()

	code := exitOK
	select {
	case <-ctx.Done():
	case err := <-errc:
		logf("safeclaw: serve: error: %v", err)
		code = exitUsage
	}
	stop()
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	for _, srv := range servers {
		if err := srv.Shutdown(shutdown); err != nil {
			srv.Close()
		}
	}
	<-reloadDone
	<-uiDone
	logf("safeclaw: serve: stopped")
	return code
}

// netipOf returns the IP of a TCP address.
func netipOf(a net.Addr) (netip.Addr, error) {
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.Addr{}, err
	}
	return ap.Addr().Unmap(), nil
}

// lockedLogf prints lines to w, one writer at a time.
func lockedLogf(w io.Writer) func(format string, args ...any) {
	var mu sync.Mutex
	return func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(w, format+"\n", args...)
	}
}

// serveToken returns the bearer token for TCP clients and its file: path,
// else serve.token in the state directory. A missing file is created with a
// new random token, readable by this user only; an existing one must be
// private (mode 0600, owned by this user).
func (e *Env) serveToken(path string) (token, file string, err error) {
	if path == "" {
		path = filepath.Join(e.StateDir, "serve.token")
	}
	if strings.HasPrefix(path, "~/") {
		path = filepath.Join(e.Home, path[2:])
	}
	for range 2 {
		data, err := e.readPrivate(path)
		if err == nil {
			tok := strings.TrimSpace(string(data))
			if len(tok) < 16 || strings.ContainsAny(tok, " \t\r\n") {
				return "", path, fmt.Errorf("token file %s: the token must be one word of at least 16 characters", path)
			}
			return tok, path, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", path, fmt.Errorf("token file: %w", err)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return "", path, err
		}
		var raw [32]byte
		if _, err := rand.Read(raw[:]); err != nil {
			return "", path, err
		}
		tok := hex.EncodeToString(raw[:])
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue // another process created it first: read theirs
		}
		if err != nil {
			return "", path, err
		}
		_, werr := f.WriteString(tok + "\n")
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			os.Remove(path)
			return "", path, werr
		}
		return tok, path, nil
	}
	return "", path, fmt.Errorf("token file %s: could not be created or read", path)
}

// approvalSeams connects the API's approval routes to the approval store
// of the current gate.
func (l *liveGate) approvalSeams() *server.Approvals {
	return &server.Approvals{
		Submit: func(ctx context.Context, req *action.Request, d action.Decision) (server.Approval, error) {
			g := l.acquire()
			defer g.release()
			h := g.h.approvals
			if err := h.open(); err != nil {
				return server.Approval{}, err
			}
			r, err := h.m.Submit(ctx, req, d)
			if err != nil {
				return server.Approval{}, err
			}
			return apiApproval(r), nil
		},
		Ask: func(ctx context.Context, req *action.Request, d action.Decision) (action.Decision, error) {
			g := l.acquire()
			defer g.release()
			return g.h.approvals.Wait(ctx, req, d)
		},
		Get: func(ctx context.Context, id string) (server.Approval, error) {
			return l.getApproval(ctx, id)
		},
		Wait: func(ctx context.Context, id string, timeout time.Duration) (server.Approval, error) {
			end := time.Now().Add(timeout)
			for {
				a, err := l.getApproval(ctx, id)
				if err != nil || a.Status != string(approval.Pending) || !time.Now().Before(end) {
					return a, err
				}
				select {
				case <-ctx.Done():
					return a, nil
				case <-time.After(min(approval.DefaultPoll, time.Until(end))):
				}
			}
		},
	}
}

func (l *liveGate) getApproval(ctx context.Context, id string) (server.Approval, error) {
	g := l.acquire()
	defer g.release()
	h := g.h.approvals
	if err := h.open(); err != nil {
		return server.Approval{}, err
	}
	r, err := h.m.Get(ctx, id)
	if errors.Is(err, approval.ErrNotFound) {
		return server.Approval{}, server.ErrApprovalNotFound
	}
	if err != nil {
		return server.Approval{}, err
	}
	return apiApproval(r), nil
}

// apiApproval is what API clients see of an approval record.
func apiApproval(r *approval.Record) server.Approval {
	a := server.Approval{ID: r.ID, Status: string(r.Status), Created: r.Created, Deadline: r.Deadline, Used: !r.Used.IsZero(),
		Needs: r.Needs, Approvals: len(r.Votes)}
	if ans := r.Answer; ans != nil {
		a.Approver, a.Channel, a.Scope, a.Reason, a.Answered = ans.Approver, ans.Channel, string(ans.Scope), ans.Reason, ans.Time
	}
	return a
}

// groupCommit is an audit trail that writes the records of concurrent
// decisions together: one lock, one write and one sync per batch instead
// of per record, which is what lets a long-running server decide tens of
// thousands of requests a second with every decision recorded (and
// fsynced) before it is answered. Append returns only once its record is
// stored, with the batch's error if the write failed. Concurrent appends
// join the batch being filled (one wake-up for all of them), and the
// writer lets ready request goroutines run before it takes a batch, so
// that under load a batch holds most of the requests in flight.
type groupCommit struct {
	*audit.FileStore
	wake    chan struct{}
	stop    chan struct{}
	stopped chan struct{}

	mu      sync.Mutex
	queue   []*commitBatch // filled at the back, written from the front
	closed  bool
	batches uint64 // written so far, with records
	records uint64
}

// commitBatch is records written together; done is closed once they are
// stored (or failed, with err).
type commitBatch struct {
	recs []*audit.Record
	err  error
	done chan struct{}
}

// maxBatch bounds one batch, so that one write stays short.
const maxBatch = 512

func newGroupCommit(fs *audit.FileStore) *groupCommit {
	g := &groupCommit{FileStore: fs, wake: make(chan struct{}, 1), stop: make(chan struct{}), stopped: make(chan struct{})}
	go g.loop()
	return g
}

// Append implements audit.Store.
func (g *groupCommit) Append(ctx context.Context, rec *audit.Record) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return 0, errors.New("audit: store closed")
	}
	var b *commitBatch
	if n := len(g.queue); n > 0 && len(g.queue[n-1].recs) < maxBatch {
		b = g.queue[n-1]
	} else {
		b = &commitBatch{recs: make([]*audit.Record, 0, 16), done: make(chan struct{})}
		g.queue = append(g.queue, b)
	}
	b.recs = append(b.recs, rec)
	g.mu.Unlock()
	select {
	case g.wake <- struct{}{}:
	default:
	}
	// Not abandoned on ctx: once queued the record will be written, and the
	// caller must not answer differently from what the trail says.
	<-b.done
	if b.err != nil {
		return 0, b.err
	}
	return rec.Seq, nil
}

func (g *groupCommit) loop() {
	defer close(g.stopped)
	for {
		select {
		case <-g.wake:
			g.drain()
		case <-g.stop:
			g.drain()
			return
		}
	}
}

// drain writes queued batches until the queue is empty.
func (g *groupCommit) drain() {
	for {
		g.gather()
		g.mu.Lock()
		if len(g.queue) == 0 {
			g.mu.Unlock()
			return
		}
		b := g.queue[0]
		g.queue[0] = nil
		g.queue = g.queue[1:]
		g.batches++
		g.records += uint64(len(b.recs))
		g.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_, b.err = g.FileStore.AppendBatch(ctx, b.recs)
		cancel()
		close(b.done)
	}
}

// gather lets the goroutines that are ready to run go first, as long as
// that adds records to the next batch: under load, bigger batches cost
// fewer writes, syncs and lock rounds per record; when nothing else is
// runnable it returns at once.
func (g *groupCommit) gather() {
	n := g.pending()
	for n < maxBatch {
		runtime.Gosched()
		m := g.pending()
		if m == n {
			return
		}
		n = m
	}
}

// pending is the size of the next batch.
func (g *groupCommit) pending() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.queue) == 0 {
		return 0
	}
	return len(g.queue[0].recs)
}

// stats returns the batches and records written so far.
func (g *groupCommit) stats() (batches, records uint64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.batches, g.records
}

// Close writes what is queued, stops the writer and closes the store.
func (g *groupCommit) Close() error {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return nil
	}
	g.closed = true
	g.mu.Unlock()
	close(g.stop)
	<-g.stopped
	return g.FileStore.Close()
}
