// Package server is safeclaw's local decision API: an [http.Handler] that
// SDK-based agents (Claude Agent SDK, OpenAI Agents SDK, LangChain, plain
// function-calling loops) ask before they run a tool, and that Claude Code's
// "http" hook type can call directly. `safeclaw serve` runs it on a Unix
// socket ([ListenUnix]) or on a loopback TCP port with a bearer token.
//
// # Routes
//
//   - POST /v1/decide: a raw tool call ({"tool", "input"}), a shell command,
//     an action, or the envelope of agent-protocols.md §8 → the decision,
//     with an approval id when a person must approve. safeclaw classifies
//     everything it is sent itself (package classify); a kind the caller
//     declares only adds to what is decided, so it can tighten the decision
//     and never loosen it. An action's agent tool (and its arguments) is
//     classified whatever the kind, and a field the kind does not read is
//     refused rather than ignored.
//   - POST /v1/hook/{agent}: the agent's hook JSON as body (Claude Code's
//     http hook sends exactly what a command hook reads on stdin) → the
//     agent's own answer, through [hook.Run].
//   - GET /v1/approvals/{id}[?wait=60s]: an approval request's state, with
//     a long poll until a person answers.
//   - GET /healthz, GET /metrics (Prometheus text format).
//
// # Safety
//
// Every failure denies: every error body, on every route, says "deny"
// (malformed input is a 400, a [action.DecideFunc] error a 500, a body
// that is not declared application/json a 415), and the hook route answers
// with the agent's blocking form when it knows the event. Nothing
// redirects. Errors sent to clients are public-safe ({status, message});
// internal details go to [Config.Logf] only. A TCP listener needs
// [Config.Token] (sent as "Authorization: Bearer ...", compared in constant
// time) and [Config.CheckHost] (the Host header must be localhost or an IP
// literal, which defeats DNS rebinding); any request carrying a browser's
// Origin or Sec-Fetch-Site header is refused. Unix sockets are created
// 0600, never in a directory others may write to (unless sticky), and
// accept only peers with this process's uid (SO_PEERCRED, Linux).
//
// A decide body that parsers could read differently is refused (400), not
// guessed at: a member twice or in two cases in any object (tool arguments
// included, also inside a JSON string), invalid UTF-8, a working directory
// that is not absolute. A body must arrive within [Config.BodyTimeout]
// (408), and a decision that does not come within its deadline is a 500,
// whether or not the DecideFunc heeds its context. Approval requests that
// clients may have pending at once, and long polls in flight, are bounded
// ([Approvals.MaxPending], [Approvals.MaxPolls]).
//
// # Current limitations
//
//   - There is no route to approve or deny over HTTP: approvals are
//     answered through `safeclaw approvals` (an agent's credential must never
//     approve, R-11.2).
//   - The OPA-compatible alias (/v1/data/safeclaw/decision), the audit routes
//     and a decision id that names the audit record are not implemented.
//   - The peer-uid check of Unix sockets exists on Linux only; elsewhere the
//     socket's file mode is the only check.
package server

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"path"
	"strings"
	"time"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/hook"
)

const (
	// MaxBody bounds a request body (the same bound as hook input).
	MaxBody = hook.MaxInput
	// MaxWait bounds how long a request may wait for a person (a decide
	// with "wait", or a long poll of an approval).
	MaxWait = hook.WaitTimeout
	// BodyTimeout bounds reading a request body.
	BodyTimeout = 30 * time.Second
)

// Config wires a [Handler]. Decide is required.
type Config struct {
	// Metrics, when set, are shared with the daemon's other handlers;
	// nil: the handler counts on its own.
	Metrics *Metrics
	// Decide decides every request (the gate: policy, audit trail). It must
	// be safe for concurrent use.
	Decide action.DecideFunc
	// Approvals connects asks to safeclaw's approval store. Nil: asks carry
	// no approval id and the approval route answers 404.
	Approvals *Approvals
	// Hook configures the hook route (ask mode, deadlines). Its Pending and
	// Wait default to Approvals' Submit and Ask; Cwd, Home, Now and ReadFile
	// default to this Config's.
	Hook hook.Options
	// Token, when set, is required as "Authorization: Bearer <Token>" on
	// every route but /healthz. Set it for TCP listeners.
	Token string
	// CheckHost refuses requests whose Host header is not "localhost" or an
	// IP literal (DNS rebinding). Set it for TCP listeners.
	CheckHost bool
	// Cwd is the working directory for calls that name none; Home expands ~.
	Cwd, Home string
	// ReadFile lets the shell analyser read files a command leads to
	// (package.json for npm run); nil reads nothing.
	ReadFile func(name string) ([]byte, error)
	// Now stamps requests; nil means time.Now.
	Now func() time.Time
	// Logf receives internal errors, which are never sent to clients. Nil
	// discards them.
	Logf func(format string, args ...any)
	// DecideTimeout bounds one decision without waiting for a person
	// (default hook.DecideTimeout); MaxWait bounds waits (default [MaxWait]).
	DecideTimeout time.Duration
	MaxWait       time.Duration
	// MaxBody bounds request bodies (default [MaxBody]).
	MaxBody int64
	// BodyTimeout bounds the time a request body takes to arrive (default
	// [BodyTimeout]): a client that trickles it in, or declares more than
	// it sends, would otherwise hold a connection and a goroutine for as
	// long as it likes.
	BodyTimeout time.Duration
}

// Handler serves the decision API. It is safe for concurrent use.
type Handler struct {
	c        Config
	mux      *http.ServeMux
	metrics  *metrics
	tokenSum [sha256.Size]byte // of c.Token
	// deciders hands a decision to an idle decider goroutine (unbuffered:
	// a send succeeds only when one is waiting); deciderIdle is how long
	// one waits before it exits.
	deciders    chan decideJob
	deciderIdle time.Duration
}

// New returns the API handler for c.
func New(c Config) *Handler {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
	if c.DecideTimeout <= 0 {
		c.DecideTimeout = hook.DecideTimeout
	}
	if c.MaxWait <= 0 {
		c.MaxWait = MaxWait
	}
	if c.MaxBody <= 0 {
		c.MaxBody = MaxBody
	}
	if c.BodyTimeout <= 0 {
		c.BodyTimeout = BodyTimeout
	}
	m := newMetrics()
	if c.Metrics != nil {
		m = c.Metrics.m
	}
	h := &Handler{c: c, mux: http.NewServeMux(), metrics: m, tokenSum: sha256.Sum256([]byte(c.Token)),
		deciders: make(chan decideJob), deciderIdle: deciderIdle}
	h.mux.HandleFunc("/v1/decide", h.method(http.MethodPost, h.serveDecide))
	h.mux.HandleFunc("/v1/hook/{agent}", h.method(http.MethodPost, h.serveHook))
	h.mux.HandleFunc("/v1/approvals/{id}", h.method(http.MethodGet, h.serveApproval))
	h.mux.HandleFunc("/healthz", h.method(http.MethodGet, h.serveHealth))
	h.mux.HandleFunc("/metrics", h.method(http.MethodGet, h.serveMetrics))
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, r, notFound("no such route: %s", r.URL.Path))
	})
	return h
}

// ServeHTTP implements [http.Handler]: the browser, Host and token checks,
// then the route.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := h.admit(r); err != nil {
		h.metrics.refused(err.reason)
		h.fail(w, r, err)
		return
	}
	// ServeMux would answer a path that is not clean ("//v1/decide",
	// "/v1/./decide") with a bodiless redirect; a client gets a clear
	// error that says deny instead.
	if p := r.URL.Path; p == "" || path.Clean(p) != p && path.Clean(p)+"/" != p {
		h.fail(w, r, notFound("no such route: %s (the path is not clean)", p))
		return
	}
	h.mux.ServeHTTP(w, r)
}

// admit refuses browsers, foreign Host names and missing tokens.
func (h *Handler) admit(r *http.Request) *apiError {
	// Browsers send Origin on cross-origin requests and Sec-Fetch-Site on
	// all of them; agents and SDK clients send neither. No browser page may
	// reach the API, whatever its origin.
	if _, ok := r.Header["Origin"]; ok { // present at all, even empty
		return refuse(http.StatusForbidden, "origin", "requests from web pages are refused (Origin header present)")
	}
	// Every value counts: a second header line must not hide behind a
	// first that says "none".
	for _, s := range r.Header.Values("Sec-Fetch-Site") {
		if s != "none" {
			return refuse(http.StatusForbidden, "origin", "requests from web pages are refused (Sec-Fetch-Site: %s)", s)
		}
	}
	if h.c.CheckHost && !hostAllowed(r.Host) {
		return refuse(http.StatusForbidden, "host", "Host %q refused: use localhost or an IP address", r.Host)
	}
	if h.c.Token != "" && r.URL.Path != "/healthz" && !h.tokenOK(r.Header.Get("Authorization")) {
		return refuse(http.StatusUnauthorized, "token", "missing or wrong bearer token")
	}
	return nil
}

// tokenOK checks an Authorization header: the scheme "Bearer" (in any case,
// RFC 9110 §11.1) and the token. The digests are compared, in constant
// time and at a fixed length, so that the time taken says nothing about
// the token, its length included.
func (h *Handler) tokenOK(header string) bool {
	scheme, got, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(got)))
	return subtle.ConstantTimeCompare(sum[:], h.tokenSum[:]) == 1
}

// hostAllowed accepts "localhost" and IP literals, with or without a port. A
// DNS-rebinding page reaches the API under its own host name, never these.
func hostAllowed(host string) bool {
	if host == "" {
		return false
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	_, err := netip.ParseAddr(host)
	return err == nil
}

// method wraps a route that answers one method.
func (h *Handler) method(m string, fn func(http.ResponseWriter, *http.Request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != m && !(m == http.MethodGet && r.Method == http.MethodHead) {
			w.Header().Set("Allow", m)
			h.fail(w, r, &apiError{status: http.StatusMethodNotAllowed, public: fmt.Sprintf("%s %s is not supported; use %s", r.Method, r.URL.Path, m)})
			return
		}
		fn(w, r)
	}
}

func (h *Handler) serveHealth(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// CountReload records a policy reload (ok or failed) for /metrics.
func (h *Handler) CountReload(ok bool) { h.metrics.reload(ok) }

// decideCtx bounds one decision: the decide timeout, or wait plus that
// timeout when the request waits for a person.
func (h *Handler) decideCtx(ctx context.Context, wait time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, h.c.DecideTimeout+wait)
}

// errNoDecide is the internal error of a handler without a DecideFunc.
var errNoDecide = errors.New("server: no decision function configured")
