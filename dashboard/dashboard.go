// Package dashboard is safeclaw's local web UI: an http.Handler serving
// embedded pages (approvals, audit trail, policy editor with highlighting,
// "try a command" and a simulation of the recent audit trail, setup with
// starter policies) and the JSON API behind them. It decides nothing itself: decisions, policy compilation,
// doctor and install come in as function seams from the command line, and
// approvals, the audit trail and policies go through the approval, audit and
// policy packages.
//
// Security model: the caller serves it on loopback only. A one-time
// login token, printed by `safeclaw ui`, is exchanged for a session: an
// HttpOnly, SameSite=Strict session cookie and a second secret that only the
// login page carries and the page keeps in its own (port-scoped) storage.
// Every API request needs both, because browsers send a 127.0.0.1 cookie to
// every port of 127.0.0.1, including a dev server the watched agent runs.
// Every request must carry a Host naming the listener (DNS rebinding); every
// write must carry a same-origin Origin. There is no CORS, and a strict
// Content Security Policy allows only the embedded script and style sheet.
//
// Limitations: sessions live in memory (a restart logs everyone out); the
// approvals stream polls the shared store every few hundred milliseconds;
// the policy editor edits the user policy file only; the audit-trail
// simulation re-decides recorded shell commands only (not other tool calls,
// nor requests whose stored text was redacted or shortened).
package dashboard

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/approval"
	"github.com/safeclaw/safeclaw/audit"
	"github.com/safeclaw/safeclaw/policy"
)

//go:embed assets
var assetFS embed.FS

// CompileFunc compiles a user policy text with the options the command line
// uses. Its errors are *policy.Error when they have a position.
type CompileFunc func(text []byte) (*policy.Policy, error)

// CheckFunc decides one shell command line as `safeclaw check --command`
// does, with user in place of the user policy layer.
type CheckFunc func(ctx context.Context, user *policy.Policy, command string) (*action.Request, action.Decision, error)

// Agent is one agent the setup page knows about.
type Agent struct {
	Name      string `json:"name"`
	Settings  string `json:"settings"`  // the settings file safeclaw's hook goes in
	Detected  bool   `json:"detected"`  // the agent's configuration directory exists
	Installed bool   `json:"installed"` // safeclaw's hook is in Settings
}

// InstallPlan is what installing safeclaw's hooks for an agent would change.
type InstallPlan struct {
	Path    string `json:"path"`
	Old     []byte `json:"-"`
	New     []byte `json:"-"`
	Changed bool   `json:"changed"`
}

// Config wires a Server. Token and Addr are required; every seam left nil
// makes its part of the dashboard answer 503 "not available".
type Config struct {
	// Token is the one-time login token (see NewToken).
	Token string
	// Addr is the listener's host:port; the Host header must name it (as
	// 127.0.0.1, localhost or [::1] with the same port).
	Addr string

	Approvals *approval.Manager
	// CheckAlways says, without writing, whether an "always" approval of r
	// can be recorded; nil allows the Manager to try.
	CheckAlways func(r *approval.Record, a approval.Answer) error
	Approver    string // who answers from the dashboard (the user's login)
	// Principal is the login of the uid the dashboard runs as: whoever
	// holds its session answers as that user, for quorums and approver
	// lists.
	Principal string

	Audit audit.Store

	PolicyPath string // the user policy file the editor reads and writes
	VersionDir string // where saved versions are kept (private, in the state dir)
	Compile    CompileFunc
	Check      CheckFunc

	Agents  func(ctx context.Context) ([]Agent, error)
	Plan    func(ctx context.Context, agent string) (*InstallPlan, error)
	Install func(ctx context.Context, agent string) (string, error)
	Doctor  func(ctx context.Context) (string, error)

	// Warn receives internal errors, which the browser never sees.
	Warn func(msg string)
	Now  func() time.Time
	// Poll is how often the approvals stream reads the store (default 300ms).
	Poll time.Duration
	// StreamFor ends each approvals stream after this long (0: when the
	// browser leaves); the browser reconnects by itself.
	StreamFor time.Duration
	// LoginTTL is how long the login token and code work, from New
	// (0: DefaultLoginTTL; negative: until used). A link that was printed
	// and never used must not keep working for whoever reads the
	// terminal's log later.
	LoginTTL time.Duration
	// Notice receives what the person at the terminal should know, such as
	// a login (nil: Warn): a login the person did not make means someone
	// else has the session.
	Notice func(msg string)
}

// DefaultLoginTTL bounds an unused login token and code.
const DefaultLoginTTL = 15 * time.Minute

// Server is the dashboard's handler.
type Server struct {
	c    Config
	mux  *http.ServeMux
	mu   sync.Mutex
	used bool // the login token or code was exchanged
	// loginBy is when the login token and code stop working (zero: never).
	loginBy time.Time
	// code is the short login code a person types into the login page;
	// tries counts wrong codes (after maxCodeTries the code is dead).
	code   string
	tries  int
	sess   map[string]*session
	hosts  map[string]bool
	origin map[string]bool
	cookie string // the session cookie's name, one per listener
	static fs.FS
}

type session struct {
	csrf    string
	expires time.Time
}

// sessionTTL bounds a session; the dashboard is for a sitting, not a day.
const sessionTTL = 12 * time.Hour

// cookiePrefix starts the session cookie's name; the listener's port ends it,
// so that two dashboards on one host (ui, serve --ui) keep their own.
const cookiePrefix = "safeclaw_session_"

// NewToken returns a fresh random token (256 bits, hex).
func NewToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// New returns a Server for c.
func New(c Config) (*Server, error) {
	if len(c.Token) < 32 {
		return nil, errors.New("dashboard: login token missing or shorter than 32 characters")
	}
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return nil, fmt.Errorf("dashboard: listener address %q: %v", c.Addr, err)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Warn == nil {
		c.Warn = func(string) {}
	}
	// Warnings go to the terminal running the dashboard, and errors can
	// quote agent text (a command, a path): escape sequences in it must not
	// reach the terminal, where they could rewrite or hide what it shows
	// (the login code included).
	warn := c.Warn
	c.Warn = func(msg string) { warn(approval.Printable(msg)) }
	if c.Notice == nil {
		c.Notice = c.Warn
	} else {
		notice := c.Notice
		c.Notice = func(msg string) { notice(approval.Printable(msg)) }
	}
	if c.Poll <= 0 {
		c.Poll = 300 * time.Millisecond
	}
	static, err := fs.Sub(assetFS, "assets")
	if err != nil {
		return nil, err
	}
	code, err := newCode()
	if err != nil {
		return nil, err
	}
	s := &Server{c: c, sess: map[string]*session{}, hosts: map[string]bool{}, origin: map[string]bool{},
		cookie: cookiePrefix + port, static: static, code: code}
	switch {
	case c.LoginTTL == 0:
		s.loginBy = c.Now().Add(DefaultLoginTTL)
	case c.LoginTTL > 0:
		s.loginBy = c.Now().Add(c.LoginTTL)
	}
	names := []string{host, "localhost", "127.0.0.1", "[::1]"}
	for _, h := range names {
		if strings.Contains(h, ":") && !strings.HasPrefix(h, "[") {
			h = "[" + h + "]"
		}
		hp := h + ":" + port
		s.hosts[hp] = true
		s.origin["http://"+hp] = true
	}
	s.routes()
	return s, nil
}

// LoginPath is the path (with the one-time token) that logs a browser in.
func (s *Server) LoginPath() string { return "/login?token=" + s.c.Token }

// LoginCode is the one-time code that logs a browser in through the login
// page, for a browser opened without the token: a URL given to a browser
// opener is on its command line, where any process can read it.
func (s *Server) LoginCode() string { return s.code }

// codeAlphabet has no look-alike characters (0/O, 1/I/L).
const codeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// maxCodeTries wrong codes end code logins: 12 characters of 31 are ~59
// bits, and a handful of guesses leaves nothing to brute-force.
const maxCodeTries = 5

// newCode returns a login code such as "K7QM-2XPA-9WNC".
func newCode() (string, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	var out strings.Builder
	for i, x := range b {
		if i > 0 && i%4 == 0 {
			out.WriteByte('-')
		}
		// 256 = 8*31 + 8: the bias toward the first 8 symbols is small, and
		// the count of tries, not the last bit of entropy, is the defence.
		out.WriteByte(codeAlphabet[int(x)%len(codeAlphabet)])
	}
	return out.String(), nil
}

// normCode reads a typed code: case, spaces and dashes do not matter.
func normCode(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '-' || r == ' ' || r == '\t':
			return -1
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		}
		return r
	}, s)
}

func (s *Server) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /login", s.login)
	m.HandleFunc("POST /login", s.loginCode)
	m.HandleFunc("GET /{$}", s.page)
	m.HandleFunc("GET /assets/{name}", s.asset)
	m.Handle("GET /api/session", s.auth(s.session))
	m.Handle("GET /api/approvals", s.auth(s.listApprovals))
	m.Handle("GET /api/approvals/stream", s.auth(s.streamApprovals))
	m.Handle("POST /api/approvals/{id}/answer", s.auth(s.answerApproval))
	m.Handle("GET /api/audit", s.auth(s.queryAudit))
	m.Handle("POST /api/audit/verify", s.auth(s.verifyAudit))
	m.Handle("GET /api/audit/export", s.auth(s.exportAudit))
	m.Handle("GET /api/policy", s.auth(s.getPolicy))
	m.Handle("POST /api/policy/validate", s.auth(s.validatePolicy))
	m.Handle("POST /api/policy/try", s.auth(s.tryPolicy))
	m.Handle("POST /api/policy/save", s.auth(s.savePolicy))
	m.Handle("POST /api/policy/simulate", s.auth(s.simulatePolicy))
	m.Handle("GET /api/policy/starters", s.auth(s.listStarters))
	m.Handle("POST /api/policy/starter", s.auth(s.useStarter))
	m.Handle("GET /api/policy/versions", s.auth(s.listVersions))
	m.Handle("GET /api/policy/versions/{id}", s.auth(s.getVersion))
	m.Handle("POST /api/policy/rollback", s.auth(s.rollbackPolicy))
	m.Handle("GET /api/setup", s.auth(s.setup))
	m.Handle("GET /api/setup/plan", s.auth(s.plan))
	m.Handle("POST /api/setup/install", s.auth(s.install))
	m.Handle("GET /api/setup/doctor", s.auth(s.doctor))
	s.mux = m
}

// ServeHTTP applies the checks every request passes, then routes it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	// DNS rebinding: a foreign name resolving to 127.0.0.1 still carries
	// its own name in Host.
	if !s.hosts[strings.ToLower(r.Host)] {
		writeError(w, http.StatusForbidden, "unexpected Host header")
		return
	}
	// A page of another origin may send requests here (forms, fetch
	// no-cors); it never gets a same-origin Origin or Sec-Fetch-Site.
	if o := r.Header.Get("Origin"); o != "" && !s.origin[o] {
		writeError(w, http.StatusForbidden, "cross-origin request refused")
		return
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site == "cross-site" || site == "same-site" {
		// Opening the login link from another application is "none".
		writeError(w, http.StatusForbidden, "cross-site request refused")
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		if r.Header.Get("Origin") == "" {
			writeError(w, http.StatusForbidden, "write without an Origin header refused")
			return
		}
	}
	s.mux.ServeHTTP(w, r)
}

// login exchanges the one-time token for a session: a cookie, and the page
// with the session's second secret in a meta element, which the script moves
// into the tab's storage. Cookies are shared by every port of the host; the
// page's storage is not.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	tok := r.URL.Query().Get("token")
	s.mu.Lock()
	expired := s.loginExpired()
	ok := !s.used && !expired && subtle.ConstantTimeCompare([]byte(tok), []byte(s.c.Token)) == 1
	if ok {
		s.used = true
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusUnauthorized, "login link invalid, expired or already used; restart 'safeclaw ui' for a new one")
		return
	}
	s.startSession(w, r, "the login link")
}

// loginCode is the login page's form: the code from the terminal, once.
func (s *Server) loginCode(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 1024)
	typed := ""
	if err := r.ParseForm(); err == nil {
		typed = normCode(r.PostForm.Get("code"))
	}
	s.mu.Lock()
	dead := s.used || s.tries >= maxCodeTries || s.loginExpired()
	ok := !dead && subtle.ConstantTimeCompare([]byte(typed), []byte(normCode(s.code))) == 1
	switch {
	case ok:
		s.used = true
	case !dead:
		s.tries++
		dead = s.tries >= maxCodeTries
	}
	s.mu.Unlock()
	switch {
	case ok:
		s.startSession(w, r, "the login code")
	case dead:
		s.loginPage(w, "This login code no longer works (it was used, mistyped too often, or is older than its time limit). Restart <code>safeclaw ui</code> for a new one.")
	default:
		s.loginPage(w, "That is not the code. Check it in the terminal where <code>safeclaw ui</code> runs.")
	}
}

// loginPage asks for the code that 'safeclaw ui' printed (401).
func (s *Server) loginPage(w http.ResponseWriter, problem string) {
	// Under no-referrer a browser sends "Origin: null" with the form's
	// POST, which the Origin check refuses; this page holds no secret.
	w.Header().Set("Referrer-Policy", "same-origin")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusUnauthorized)
	if problem != "" {
		problem = `<p class="error" role="alert">` + problem + `</p>`
	}
	fmt.Fprint(w, `<!doctype html><html lang="en"><meta charset="utf-8"><title>safeclaw: log in</title>`+
		`<link rel="stylesheet" href="/assets/style.css"><main><h1>Log in to the safeclaw dashboard</h1>`+problem+
		`<p>Enter the login code that <code>safeclaw ui</code> printed in your terminal (or open the login link it printed). Each works once.</p>`+
		`<form method="post" action="/login"><label>Login code <input name="code" autocomplete="off" autofocus required maxlength="40"></label> `+
		`<button type="submit">Log in</button></form></main></html>`)
}

// loginExpired says whether the login token and code are past their time;
// s.mu is held.
func (s *Server) loginExpired() bool {
	return !s.loginBy.IsZero() && !s.c.Now().Before(s.loginBy)
}

// startSession gives the browser a session: a cookie, and the page with the
// session's second secret in a meta element. The terminal is told, so that
// a login the person did not make (an agent that read the link or code) is
// noticed.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, how string) {
	id, err1 := NewToken()
	csrf, err2 := NewToken()
	if err := errors.Join(err1, err2); err != nil {
		s.internal(w, err)
		return
	}
	page, err := fs.ReadFile(s.static, "index.html")
	if err != nil {
		s.internal(w, err)
		return
	}
	const head = "<head>\n"
	if !strings.Contains(string(page), head) {
		s.internal(w, errors.New("index.html has no <head> for the session token"))
		return
	}
	page = []byte(strings.Replace(string(page), head, head+`<meta name="safeclaw-csrf" content="`+csrf+`">`+"\n", 1))
	s.mu.Lock()
	s.sess[id] = &session{csrf: csrf, expires: s.c.Now().Add(sessionTTL)}
	s.mu.Unlock()
	// No Max-Age or Expires: a session cookie stays in the browser's memory
	// instead of its cookie file, which the agent (same user) could read.
	// The server ends the session after sessionTTL all the same.
	http.SetCookie(w, &http.Cookie{Name: s.cookie, Value: id, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
	s.c.Notice(fmt.Sprintf("dashboard: a browser logged in with %s at %s (%s); the link and code no longer work. If it was not you, stop the dashboard now.",
		how, s.c.Now().Format("15:04:05"), userAgent(r)))
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(page)
}

// userAgent names the client for the login notice, shortened.
func userAgent(r *http.Request) string {
	ua := r.UserAgent()
	if ua == "" {
		return "no User-Agent"
	}
	if len(ua) > 80 {
		ua = ua[:80] + "..."
	}
	return "User-Agent " + ua
}

// sessionOf returns the request's live session, or nil.
func (s *Server) sessionOf(r *http.Request) *session {
	c, err := r.Cookie(s.cookie)
	if err != nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.sess[c.Value]
	if ss == nil {
		return nil
	}
	if s.c.Now().After(ss.expires) {
		delete(s.sess, c.Value)
		return nil
	}
	return ss
}

// auth requires a session: its cookie and, on every request, reads too, the
// session's second secret in X-CSRF-Token. The cookie alone is not enough,
// since every server on another port of this host receives it.
func (s *Server) auth(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ss := s.sessionOf(r)
		if ss == nil {
			writeError(w, http.StatusUnauthorized, "not logged in: open the link 'safeclaw ui' printed")
			return
		}
		got := r.Header.Get("X-CSRF-Token")
		if subtle.ConstantTimeCompare([]byte(got), []byte(ss.csrf)) != 1 {
			writeError(w, http.StatusForbidden, "missing or wrong session token: open a new login link from 'safeclaw ui'")
			return
		}
		h(w, r)
	})
}

func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	if s.sessionOf(r) == nil {
		s.loginPage(w, "")
		return
	}
	s.serveAsset(w, "index.html")
}

func (s *Server) asset(w http.ResponseWriter, r *http.Request) {
	s.serveAsset(w, r.PathValue("name"))
}

func (s *Server) serveAsset(w http.ResponseWriter, name string) {
	types := map[string]string{".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
	i := strings.LastIndexByte(name, '.')
	if i < 0 || types[name[i:]] == "" {
		writeError(w, http.StatusNotFound, "not found")
		return
	}
	data, err := fs.ReadFile(s.static, name)
	if err != nil {
		writeError(w, http.StatusNotFound, "not found")
		return
	}
	w.Header().Set("Content-Type", types[name[i:]])
	_, _ = w.Write(data)
}

// session tells the page who answers; the page already holds the secret.
func (s *Server) session(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"approver": s.c.Approver})
}

// apiError is an error whose message is safe to show in the browser (C7).
type apiError struct {
	Status  int    `json:"status"`
	Message string `json:"message"`
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, apiError{Status: status, Message: msg})
}

// internal logs err for the operator and tells the browser only that
// something failed.
func (s *Server) internal(w http.ResponseWriter, err error) {
	s.c.Warn("dashboard: " + err.Error())
	writeError(w, http.StatusInternalServerError, "internal error (see the terminal running 'safeclaw ui')")
}

func unavailable(w http.ResponseWriter, what string) {
	writeError(w, http.StatusServiceUnavailable, what+" is not available in this dashboard")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

// maxBody bounds request bodies: a policy is at most 4 MiB.
const maxBody = 4<<20 + 4096

func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "bad JSON body: "+err.Error())
		return false
	}
	return true
}
