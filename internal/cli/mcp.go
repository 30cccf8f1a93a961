package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/audit"
	"github.com/safeclaw/safeclaw/gate"
	"github.com/safeclaw/safeclaw/mcpproxy"
)

const mcpUsage = `Usage:
  safeclaw mcp [--policy FILE]... [--name NAME] [--ask MODE] -- COMMAND [ARGS...]
  safeclaw mcp --listen 127.0.0.1:PORT [--token-env VAR] [--agent NAME] --upstream URL --name NAME [--policy FILE]...
  safeclaw mcp scan [--name NAME] [--json] -- COMMAND [ARGS...]
  safeclaw mcp trust NAME

Runs an MCP server behind safeclaw: an MCP server to the agent, a client to
the real server, deciding every tool call, resource read and prompt with
the policy before the server sees it (and recording it in the audit trail).

In an agent's MCP settings, replace
  {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-github"]}
with
  {"command": "safeclaw", "args": ["mcp", "--name", "github", "--",
                                   "npx", "-y", "@modelcontextprotocol/server-github"]}

Rules match MCP calls as action mcp.call with server (the --name) and tool,
and on argument values (args: {query: "SELECT *"}); resource reads are
mcp.read (uri:), prompts mcp.prompt. See docs/mcp.md.

Denied tool calls come back to the agent as a failed tool call with the
reason; other requests as an error. tools/list shows only tools the policy
could allow. Tool definitions are pinned the first time they are seen: a
changed description or schema is reported and the tool held back until a
person runs 'safeclaw mcp trust NAME'.

--listen serves clients over streamable HTTP on a loopback address
instead of stdio; --upstream connects to a streamable-HTTP server instead of
running COMMAND. Either may be used with the other form. --token-env VAR
makes --listen require "Authorization: Bearer $VAR" of every client;
without it any local process or user can use the server, so its asks are
never put to the client (elicitation), only to safeclaw's queue. --header
"Name: value" (repeatable) is sent with every request to the --upstream
server; write secrets as ${VAR} to have safeclaw read them from its
environment instead of its command line:
  safeclaw mcp --name api --upstream https://mcp.example.com/mcp \
      --header 'Authorization: Bearer ${API_TOKEN}'

--ask says what happens when a rule asks for a person's approval:
  auto  ask the client's user (MCP elicitation) when the client supports
        it, else wait for 'safeclaw approvals approve ID' (deny on timeout)
  wait  always wait for 'safeclaw approvals approve ID'
  deny  deny at once, filing a request the agent can retry once approved

scan lists a server's tools, resources and prompts and prints a starter
policy (deny by default, read-only tools allowed, the others asked).
trust accepts the changed tool definitions recorded for server NAME.
`

func runMCP(ctx context.Context, e *Env, args []string) int {
	if len(args) > 0 {
		switch args[0] {
		case "scan":
			return runMCPScan(ctx, e, args[1:])
		case "trust":
			return runMCPTrust(e, args[1:])
		}
	}
	flags := newFlags(e, "mcp", mcpUsage)
	var policies stringList
	flags.Var(&policies, "policy", "policy file or directory (repeatable); replaces the user policy")
	name := flags.String("name", "", "the server's name in rules (server:), audit and pins; default: from COMMAND or URL")
	listen := flags.String("listen", "", "serve streamable HTTP on this loopback address (127.0.0.1:PORT) instead of stdio")
	tokenEnv := flags.String("token-env", "", "with --listen, require the bearer token in this environment variable of every client")
	upstream := flags.String("upstream", "", "the real server's streamable-HTTP URL, instead of COMMAND")
	var headers stringList
	flags.Var(&headers, "header", "\"Name: value\" sent to the --upstream server (repeatable; ${VAR} is read from the environment)")
	ask := flags.String("ask", "auto", "how an approval is asked for: auto, wait or deny")
	agent := flags.String("agent", "", "the agent the requests come from, for agent: rules (over HTTP the clients' own names are not taken)")
	if code, ok := parseFlags(e, flags, args); !ok {
		return code
	}
	command := flags.Args()
	switch {
	case *upstream == "" && len(command) == 0:
		return hintf(e, "give the server's command after --, or --upstream URL", "mcp: no upstream MCP server")
	case *upstream != "" && len(command) > 0:
		return errorf(e, "mcp: give --upstream or a command, not both")
	case len(headers) > 0 && *upstream == "":
		return errorf(e, "mcp: --header is for an --upstream server")
	case *tokenEnv != "" && *listen == "":
		return errorf(e, "mcp: --token-env is for --listen")
	}
	if *ask != "auto" && *ask != "wait" && *ask != "deny" {
		return errorf(e, "mcp: --ask must be auto, wait or deny, not %q", *ask)
	}
	if *name == "" {
		*name = defaultServerName(command, *upstream)
	}
	if !mcpproxy.ValidName(*name) {
		return hintf(e, "names use letters, digits, '.', '_' and '-'", "mcp: bad server name %q", *name)
	}
	token := ""
	if *listen != "" {
		if err := checkLoopback(*listen); err != nil {
			return errorf(e, "mcp: --listen: %v", err)
		}
		if *tokenEnv != "" {
			if token = e.Getenv(*tokenEnv); token == "" {
				return errorf(e, "mcp: --token-env: environment variable %s is not set or empty", *tokenEnv)
			}
			if len(token) < minListenToken {
				return errorf(e, "mcp: --token-env: the token in %s must be at least %d characters", *tokenEnv, minListenToken)
			}
		}
	}
	relayGC(e)
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The server's log, warnings and the gate all write to stderr, from
	// several goroutines.
	stderr := &lockedWriter{w: e.Stderr}
	local := *e
	local.Stderr = stderr
	e = &local

	// The gate follows the policy files: a change (or SIGHUP) reloads it;
	// a policy that does not load keeps the previous one, and says so.
	live, err := e.newLiveGate(ctx, "mcp", "", "mcp", policies, func(format string, args ...any) {
		fmt.Fprintf(stderr, format+"\n", args...)
	})
	if err != nil {
		return errorf(e, "mcp: %v", err)
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	watchCtx, stopWatch := context.WithCancel(ctx)
	watched := make(chan struct{})
	go func() { defer close(watched); live.watch(watchCtx, hup, nil) }()
	defer func() {
		// No reload may start once the gate is being closed.
		signal.Stop(hup)
		stopWatch()
		<-watched
		live.close()
	}()
	opts := mcpproxy.Options{
		Name:   *name,
		Agent:  *agent,
		Decide: live.Decide,
		// Filtering tools/list asks the policy without recording.
		Check: func(_ context.Context, req *action.Request) (action.Decision, error) {
			if req.Surface == "" {
				req.Surface = "mcp"
			}
			return live.Check(req), nil
		},
		DecideIfAllowed: func(ctx context.Context, req *action.Request) (action.Decision, bool, error) {
			if req.Surface == "" {
				req.Surface = "mcp"
			}
			return live.DecideIfAllowed(ctx, req)
		},
		// Whoever reaches a listener without a token could answer the
		// question itself: only the agent that started this process over
		// stdio, or a client holding the token, is asked.
		Elicit:   *ask == "auto" && (*listen == "" || token != ""),
		Pins:     mcpproxy.OpenPins(e.mcpPinFile(*name)),
		Cwd:      e.Cwd,
		Home:     e.Home,
		ReadFile: readSmallFile,
		Warn:     func(msg string) { fmt.Fprintln(stderr, msg) },
		Now:      e.Now,
		Record: func(ctx context.Context, ev mcpproxy.Event) error {
			g := live.acquire()
			defer g.release()
			return g.h.recordMCPEvent(ctx, ev)
		},
		Approved: func(_ context.Context, req *action.Request, toolUseID string) (string, bool) {
			return e.takeMCPApproval(req, toolUseID)
		},
	}
	// mcp.redact_results as config.yaml says at start (a change takes a
	// restart); the gate, which read it too, refuses every call when it
	// does not load.
	if cfg, err := e.loadConfig(); err != nil || cfg.MCP.RedactResults {
		opts.Redact = audit.Redact
	}
	if *ask == "deny" {
		opts.Pending = func(ctx context.Context, req *action.Request, d action.Decision) (string, error) {
			g := live.acquire()
			defer g.release()
			return g.h.approvals.Pending(ctx, req, d)
		}
	} else {
		opts.Approve = func(ctx context.Context, req *action.Request, d action.Decision) (action.Effect, error) {
			g := live.acquire()
			defer g.release()
			got, err := g.h.approvals.Wait(ctx, req, d)
			return got.Effect, err
		}
	}
	var up mcpproxy.Upstream
	if *upstream != "" {
		u, err := url.Parse(*upstream)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return errorf(e, "mcp: --upstream %q is not an http(s) URL", *upstream)
		}
		h, err := upstreamHeaders(e, headers)
		if err != nil {
			return errorf(e, "mcp: %v", err)
		}
		if cleartextCredentials(u, h) {
			fmt.Fprintf(e.Stderr, "safeclaw mcp: warning: %s is plain HTTP to another machine: the --header values (or the URL's password) cross the network unencrypted\n", u.Redacted())
		}
		up = mcpproxy.HTTP(*upstream, upstreamClient(h))
	} else {
		cmd := exec.Command(command[0], command[1:]...)
		cmd.Dir = e.Cwd
		cmd.Stderr = stderr // the server's log stays on stderr; stdout carries MCP only
		up = mcpproxy.Command(cmd)
	}
	cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	p, err := mcpproxy.New(cctx, up, opts)
	cancel()
	if err != nil {
		return errorf(e, "mcp: %v", err)
	}
	defer p.Close()

	if *listen != "" {
		if token == "" {
			fmt.Fprintf(e.Stderr, "safeclaw mcp: warning: %s has no --token-env: any local process or user can use it (with the upstream's credentials, within the policy); asks go to 'safeclaw approvals', never to the client\n", *name)
		}
		return serveMCPHTTP(ctx, e, p, *listen, token, *name, up)
	}
	in, ok := e.Stdin.(io.ReadCloser)
	if f, isFile := e.Stdin.(*os.File); isFile {
		in = pollable(f)
	} else if !ok {
		in = io.NopCloser(e.Stdin)
	}
	if err := p.ServeStdio(ctx, in, e.Stdout); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintf(e.Stderr, "safeclaw: error: mcp %s: %v\n", *name, err)
		return exitUsage
	}
	return exitOK
}

func serveMCPHTTP(ctx context.Context, e *Env, p *mcpproxy.Proxy, addr, token, name string, up mcpproxy.Upstream) int {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return errorf(e, "mcp: %v", err)
	}
	// A name (localhost) may resolve to something else than loopback.
	if err := checkLoopback(ln.Addr().String()); err != nil {
		ln.Close()
		return errorf(e, "mcp: --listen %s: %v", addr, err)
	}
	srv := &http.Server{Handler: p.HTTPHandler(mcpproxy.HTTPOptions{Token: token}), ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	fmt.Fprintf(e.Stderr, "safeclaw mcp: serving %s on http://%s/ (upstream %s)\n", name, ln.Addr(), up)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	code := exitOK
	select {
	case <-ctx.Done():
	case <-p.Done():
		fmt.Fprintf(e.Stderr, "safeclaw: error: mcp %s: upstream MCP server ended: %v\n", name, p.UpstreamErr())
		code = exitUsage
	case err := <-served:
		fmt.Fprintf(e.Stderr, "safeclaw: error: mcp %s: %v\n", name, err)
		return exitUsage
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	return code
}

// recordMCPEvent writes what the proxy resolved outside the gate to the
// audit trail: an elicitation's answer as an approval record, a pin denial
// as a decision. Under safeclaw run (no local trail) it is not recorded.
func (h *gateHandle) recordMCPEvent(ctx context.Context, ev mcpproxy.Event) error {
	if h.store == nil || ev.Request == nil {
		return nil
	}
	rec := auditRecord(&gate.Entry{Request: ev.Request, Decision: ev.Decision}, "")
	switch ev.Kind {
	case mcpproxy.EventElicitation:
		rec.Type = audit.TypeApproval
		rec.Time = ev.Request.Time.Add(ev.Waited)
		rec.Approval = &audit.Approval{Outcome: ev.Outcome, Approver: ev.Approver, Channel: "mcp-elicitation", Scope: "once",
			WaitUS: ev.Waited.Microseconds()}
		rec.Notes = append(rec.Notes, "approval "+ev.Outcome+" by MCP elicitation (the client's user, as the client reports)")
	case mcpproxy.EventPriorApproval:
		rec.Type = audit.TypeApproval
		rec.Approval = &audit.Approval{Outcome: ev.Outcome, Approver: ev.Approver, Channel: "hook", Scope: "once"}
		rec.Notes = append(rec.Notes, "not asked again: a person approved the same call moments earlier ("+ev.Approver+")")
	case mcpproxy.EventPinDenied:
		rec.Notes = append(rec.Notes, "tool definition changed since it was pinned")
	}
	_, err := h.store.Append(ctx, rec)
	return err
}

// The notes the hook path leaves for the proxy in front of the same server,
// so that a person is not asked twice about one call.
const (
	// mcpNoteApproved: a person approved the call through safeclaw (the
	// hook's --ask wait).
	mcpNoteApproved = "approved"
	// mcpNotePrompted: the hook handed the call's ask to the agent's own
	// permission dialog. The call reaches the proxy only if the person
	// allowed it there (the agent runs nothing a person declined, and a
	// headless agent turns the ask into a denial).
	mcpNotePrompted = "prompted"
)

// mcpNoteTTL is how long a note spares the proxy's question for the
// identical call: a person answers safeclaw's own question before the hook
// returns, but may leave the agent's dialog open for a while.
var mcpNoteTTL = map[string]time.Duration{mcpNoteApproved: 2 * time.Minute, mcpNotePrompted: 5 * time.Minute}

// mcpNote is a note the hook path leaves (see noteMCP).
type mcpNote struct {
	Approver string    `json:"approver,omitempty"`
	Expires  time.Time `json:"expires"`
	// ToolUseID is the agent's id of the tool call a prompted note is for:
	// only the MCP request that carries it (Claude Code's
	// _meta["claudecode/toolUseId"]) may use the note.
	ToolUseID string `json:"tool_use_id,omitempty"`
}

// mcpCallKey identifies an MCP call across surfaces: the hash of its
// server, tool and canonical arguments (the hook's mcp__server__tool and
// the proxy's tools/call give the same key when the proxy's --name is the
// agent's server name, as 'safeclaw install --mcp' writes it).
func mcpCallKey(req *action.Request) (string, bool) {
	acts := req.Actions()
	if len(acts) == 0 || acts[0].Kind != action.MCPCall || acts[0].Server == "" || acts[0].Tool == "" {
		return "", false
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	args := acts[0].Args
	if args == nil {
		args = map[string]any{} // no arguments, as the proxy decodes them
	}
	if err := enc.Encode(args); err != nil { // maps encode with sorted keys
		return "", false
	}
	sum := sha256.Sum256([]byte(acts[0].Server + "\x00" + acts[0].Tool + "\x00" + strings.TrimSpace(b.String())))
	return hex.EncodeToString(sum[:]), true
}

func (e *Env) mcpNoteFile(kind, key string) string {
	return filepath.Join(e.StateDir, "mcp", kind, key+".json")
}

// noteMCPApproval records that a person just approved req, an MCP call
// decided in an agent's hook, so that the proxy in front of that server
// does not ask again for the identical call. It is for the hook path, after
// a person's approval and before the tool runs.
func (e *Env) noteMCPApproval(req *action.Request, approver string) error {
	return e.noteMCP(mcpNoteApproved, req, approver, "")
}

// noteMCPPrompted records that the hook handed req's ask to the agent's own
// permission dialog. The note is written before the person answers there,
// so it names the agent's tool call: only that call, which the agent makes
// only once the person allowed it, may use it. A call without an id leaves
// no note (the proxy then asks).
func (e *Env) noteMCPPrompted(req *action.Request, agent, toolUseID string) error {
	if toolUseID == "" {
		return nil
	}
	return e.noteMCP(mcpNotePrompted, req, "a person, in "+agentTitle(agent)+"'s own permission dialog (the call arrived after it)", toolUseID)
}

// agentTitle is an agent's product name, for messages.
func agentTitle(agent string) string {
	switch agent {
	case "claude":
		return "Claude Code"
	case "codex":
		return "Codex"
	case "gemini":
		return "Gemini CLI"
	case "cursor":
		return "Cursor"
	}
	return agent
}

func (e *Env) noteMCP(kind string, req *action.Request, approver, toolUseID string) error {
	key, ok := mcpCallKey(req)
	if !ok {
		return nil
	}
	data, err := json.Marshal(mcpNote{Approver: approver, Expires: e.Now().Add(mcpNoteTTL[kind]), ToolUseID: toolUseID})
	if err != nil {
		return err
	}
	path := e.mcpNoteFile(kind, key)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	if err := writeFileAtomic(path, data, 0o600); err != nil {
		return err
	}
	e.pruneMCPNotes(filepath.Dir(path))
	return nil
}

// pruneMCPNotes removes the expired notes in dir (never taken: the call
// went elsewhere, or the person declined), so that they do not pile up.
func (e *Env) pruneMCPNotes(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	now := e.Now()
	for _, de := range entries {
		if !de.Type().IsRegular() || !strings.HasSuffix(de.Name(), ".json") {
			continue
		}
		path := filepath.Join(dir, de.Name())
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		var n mcpNote
		if json.Unmarshal(data, &n) != nil || !now.Before(n.Expires) {
			os.Remove(path)
		}
	}
}

// takeMCPApproval consumes a fresh note for exactly req, safeclaw's own
// approval first: one note, one call (removing the file is the claim, so
// two proxies cannot both use it).
func (e *Env) takeMCPApproval(req *action.Request, toolUseID string) (string, bool) {
	key, ok := mcpCallKey(req)
	if !ok {
		return "", false
	}
	for _, kind := range []string{mcpNoteApproved, mcpNotePrompted} {
		if who, ok := e.takeMCPNote(kind, key, toolUseID); ok {
			return who, true
		}
	}
	return "", false
}

func (e *Env) takeMCPNote(kind, key, toolUseID string) (string, bool) {
	path := e.mcpNoteFile(kind, key)
	data, err := os.ReadFile(path)
	if err != nil {
		return "", false
	}
	var n mcpNote
	if json.Unmarshal(data, &n) != nil {
		os.Remove(path)
		return "", false
	}
	// A prompted note is the agent's own call's, by its id: another call,
	// or another client, leaves it where it is.
	if kind == mcpNotePrompted && (n.ToolUseID == "" || n.ToolUseID != toolUseID) {
		return "", false
	}
	if os.Remove(path) != nil {
		return "", false
	}
	if !e.Now().Before(n.Expires) || n.Expires.After(e.Now().Add(mcpNoteTTL[kind])) {
		return "", false
	}
	who := n.Approver
	if who == "" {
		who = "a person, through the agent's hook"
	}
	return who, true
}

// lockedWriter serialises writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// minListenToken is the shortest --token-env token accepted.
const minListenToken = 16

// checkLoopback refuses non-loopback listen addresses: a token is only as
// good as the channel it crosses, which is plain HTTP.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%q is not a loopback address (127.0.0.1, ::1): the proxy serves plain HTTP", host)
	}
	return nil
}

// mcpPinFile is where a server's tool definitions are pinned.
func (e *Env) mcpPinFile(name string) string { return filepath.Join(e.StateDir, "mcp", name+".json") }

// defaultServerName names a server after its command (the package a
// launcher runs: npx -y @scope/server-github → server-github) or its URL's
// host.
func defaultServerName(command []string, upstream string) string {
	var base string
	if upstream != "" {
		if u, err := url.Parse(upstream); err == nil {
			base = u.Hostname()
		}
	} else if len(command) > 0 {
		base = filepath.Base(command[0])
		switch action.ProgramName(base) {
		case "npx", "pnpx", "bunx", "uvx", "pipx", "node", "python", "deno", "bun", "docker", "uv":
			for _, a := range command[1:] {
				if strings.HasPrefix(a, "-") || a == "run" || a == "exec" {
					continue
				}
				base = packageName(a)
				break
			}
		}
	}
	return serverName(base)
}

// packageName is the name a launcher's argument gives a server: the
// package of a spec (@scope/server-x@1.2 → server-x), the package a script
// under node_modules belongs to, or a script's name (its directory's for
// index.js, main.py, ..., below dist, build, src or lib).
func packageName(a string) string {
	if _, after, ok := strings.Cut(a, "node_modules/"); ok {
		parts := strings.Split(after, "/")
		if strings.HasPrefix(parts[0], "@") && len(parts) > 1 {
			return parts[1]
		}
		return parts[0]
	}
	if !strings.HasPrefix(a, "@") && strings.ContainsRune(a, '/') || filepath.Ext(a) != "" && !strings.ContainsRune(a, '@') {
		dir, file := filepath.Split(filepath.Clean(a))
		name := strings.TrimSuffix(file, filepath.Ext(file))
		for name == "index" || name == "main" || name == "server" || name == "cli" || name == "__main__" ||
			name == "dist" || name == "build" || name == "src" || name == "lib" || name == "bin" {
			dir = filepath.Clean(dir)
			if dir == "." || dir == "/" {
				break
			}
			dir, name = filepath.Split(dir)
		}
		if name != "" {
			return name
		}
	}
	a = strings.TrimPrefix(a, "@")
	if i := strings.LastIndexByte(a, '@'); i > 0 {
		a = a[:i] // a version
	}
	return filepath.Base(a)
}

// serverName makes s a valid server name: characters a name may not hold
// become '-', leading and trailing punctuation goes, and it is cut at 64
// bytes; "mcp" when nothing is left.
func serverName(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	name := strings.Trim(b.String(), "-._")
	if len(name) > 64 {
		name = name[:64]
	}
	if name == "" {
		return "mcp"
	}
	return name
}

const mcpScanUsage = `Usage: safeclaw mcp scan [--name NAME] [--json] [--upstream URL] -- COMMAND [ARGS...]

Connects to an MCP server, lists its tools, resources and prompts, and
prints a starter policy for them (deny by default; tools the server marks
read-only allowed, the others asked; listed resources allowed; prompts
allowed), with the inventory as comments. Review it before use: the
server's hints are its own claims.
  safeclaw mcp scan --name github -- npx -y @modelcontextprotocol/server-github > github.policy.yaml
`

func runMCPScan(ctx context.Context, e *Env, args []string) int {
	flags := newFlags(e, "mcp scan", mcpScanUsage)
	name := flags.String("name", "", "the server's name in the policy; default: from COMMAND or URL")
	upstream := flags.String("upstream", "", "the server's streamable-HTTP URL, instead of COMMAND")
	var headers stringList
	flags.Var(&headers, "header", "\"Name: value\" sent to the --upstream server (repeatable; ${VAR} is read from the environment)")
	asJSON := flags.Bool("json", false, "print the inventory as JSON instead of a policy")
	if code, ok := parseFlags(e, flags, args); !ok {
		return code
	}
	command := flags.Args()
	if (*upstream == "") == (len(command) == 0) {
		return hintf(e, "give the server's command after --, or --upstream URL", "mcp scan: one upstream MCP server, please")
	}
	if *name == "" {
		*name = defaultServerName(command, *upstream)
	}
	if !mcpproxy.ValidName(*name) {
		return errorf(e, "mcp scan: bad server name %q", *name)
	}
	var up mcpproxy.Upstream
	if *upstream != "" {
		h, err := upstreamHeaders(e, headers)
		if err != nil {
			return errorf(e, "mcp scan: %v", err)
		}
		up = mcpproxy.HTTP(*upstream, upstreamClient(h))
	} else {
		cmd := exec.Command(command[0], command[1:]...)
		cmd.Dir = e.Cwd
		cmd.Stderr = e.Stderr
		up = mcpproxy.Command(cmd)
	}
	cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	inv, err := mcpproxy.Scan(cctx, up, *name)
	if err != nil {
		return errorf(e, "mcp scan: %v", err)
	}
	if *asJSON {
		enc := json.NewEncoder(e.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(inv); err != nil {
			return errorf(e, "mcp scan: %v", err)
		}
		return exitOK
	}
	var b strings.Builder
	inv.WriteText(&b)
	for _, line := range strings.Split(strings.TrimRight(b.String(), "\n"), "\n") {
		fmt.Fprintln(e.Stdout, "# "+line)
	}
	inv.StarterPolicy(e.Stdout)
	return exitOK
}

const mcpTrustUsage = `Usage: safeclaw mcp trust NAME

Accepts the changed tool definitions safeclaw recorded for MCP server NAME
(shown first), so that its proxy lists and relays those tools again. Run
it after reviewing the change; an agent may not run it.
`

func runMCPTrust(e *Env, args []string) int {
	flags := newFlags(e, "mcp trust", mcpTrustUsage)
	if code, ok := parseFlags(e, flags, args); !ok {
		return code
	}
	if flags.NArg() != 1 {
		return hintf(e, "safeclaw mcp trust NAME", "mcp trust: which server?")
	}
	name := flags.Arg(0)
	if !mcpproxy.ValidName(name) {
		return errorf(e, "mcp trust: bad server name %q", name)
	}
	pins := mcpproxy.OpenPins(e.mcpPinFile(name))
	if _, err := os.Stat(pins.Path()); err != nil {
		return hintf(e, "the proxy records a server's tools the first time it lists them", "mcp trust: no pinned tools for %q (%s)", name, pins.Path())
	}
	f, err := pins.Load()
	if err != nil {
		return errorf(e, "mcp trust: %v", err)
	}
	if len(f.Changed) == 0 {
		fmt.Fprintf(e.Stdout, "%s: no changed tool definitions to trust\n", name)
		return exitOK
	}
	for tool, pin := range f.Changed {
		old := f.Tools[tool]
		fmt.Fprintf(e.Stdout, "%s: tool %q changed (seen %s)\n  was: %s\n  now: %s\n", name, tool, pin.Seen.Format(time.RFC3339),
			oneLineText(old.Description), oneLineText(pin.Description))
	}
	names, err := pins.Trust()
	if err != nil {
		return errorf(e, "mcp trust: %v", err)
	}
	fmt.Fprintf(e.Stdout, "%s: trusted %s\n", name, strings.Join(names, ", "))
	return exitOK
}

// oneLineText flattens text from a server for the terminal.
func oneLineText(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	if s == "" {
		return "(no description)"
	}
	return s
}

// relayGC trades memory for latency in a long-running relay: the MCP SDK
// decodes every message with a fresh 32 KiB buffer, so with Go's default
// GOGC a proxy whose live heap is a few MiB collects every few dozen calls,
// and the collector competes with the relay for the CPU. A GOGC the user
// sets wins.
func relayGC(e *Env) {
	if e.Getenv("GOGC") == "" {
		debug.SetGCPercent(relayGCPercent)
	}
}

// relayGCPercent lets the heap grow to 5x its live size between collections.
const relayGCPercent = 400
