package dashboard

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/approval"
	"github.com/safeclaw/safeclaw/audit"
	"github.com/safeclaw/safeclaw/policy"
	"github.com/safeclaw/safeclaw/shell"
)

const testToken = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

const goodPolicy = `name: test
default: deny
rules:
  - name: Block Python HTTP server
    command_pattern: "python -m http.server"
    effect: deny
  - name: Ask dev servers
    command_pattern: "npm run dev"
    effect: ask
  - name: Allow ls
    command_pattern: "ls"
    effect: allow
`

// fixture is a dashboard on a real loopback listener with its stores.
type fixture struct {
	t      *testing.T
	srv    *Server
	ts     *httptest.Server
	client *http.Client // logged in
	csrf   string
	m      *approval.Manager
	trail  *audit.FileStore
	dir    string
	warns  []string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	st, err := approval.OpenSQLite(filepath.Join(dir, "approvals.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	m, err := approval.New(approval.Config{Store: st, Poll: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	trail, err := audit.OpenFile(filepath.Join(dir, "audit"), audit.FileOptions{KeyFile: filepath.Join(dir, "audit.key")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { trail.Close() })
	f := &fixture{t: t, m: m, trail: trail, dir: dir}
	ts := httptest.NewUnstartedServer(nil)
	compile := func(text []byte) (*policy.Policy, error) {
		pf, err := policy.Parse("policy.yaml", text)
		if err != nil {
			return nil, err
		}
		return policy.Compile([]*policy.File{pf}, policy.Options{})
	}
	srv, err := New(Config{
		Token: testToken, Addr: ts.Listener.Addr().String(),
		Approvals: m, Approver: "tester", Audit: trail,
		PolicyPath: filepath.Join(dir, "config", "policy.yaml"),
		VersionDir: filepath.Join(dir, "state", "policy-versions"),
		Compile:    compile,
		Check: func(_ context.Context, p *policy.Policy, command string) (*action.Request, action.Decision, error) {
			req := &action.Request{Input: command, Surface: "ui", Parts: shell.Analyze(command, shell.Env{Cwd: dir})}
			return req, p.Decide(req), nil
		},
		Agents: func(context.Context) ([]Agent, error) {
			return []Agent{{Name: "claude", Settings: filepath.Join(dir, "settings.json")}}, nil
		},
		Plan: func(_ context.Context, agent string) (*InstallPlan, error) {
			return &InstallPlan{Path: "settings.json", Old: []byte("{\n  \"a\": 1\n}\n"), New: []byte("{\n  \"a\": 1,\n  \"hooks\": {}\n}\n"), Changed: true}, nil
		},
		Install: func(_ context.Context, agent string) (string, error) {
			return "installed safeclaw hooks for " + agent, nil
		},
		Doctor: func(context.Context) (string, error) { return "ok    everything\n", nil },
		Warn:   func(s string) { f.warns = append(f.warns, s) },
		Poll:   20 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = srv
	ts.Start()
	t.Cleanup(ts.Close)
	f.srv, f.ts = srv, ts
	f.client = f.login()
	return f
}

func newClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// login logs a client in and keeps the session token the login page carries.
func (f *fixture) login() *http.Client {
	c := newClient()
	res, err := c.Get(f.ts.URL + f.srv.LoginPath())
	if err != nil {
		f.t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		f.t.Fatalf("login: status %d", res.StatusCode)
	}
	m := csrfMeta.FindSubmatch(page)
	if m == nil {
		f.t.Fatalf("login page without a session token:\n%s", page)
	}
	f.csrf = string(m[1])
	return c
}

// do sends a request as the dashboard's own page would, with changes.
func (f *fixture) do(c *http.Client, method, path, body string, hdr map[string]string) (int, []byte) {
	f.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, f.ts.URL+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("X-CSRF-Token", f.csrf)
	if method != http.MethodGet {
		req.Header.Set("Origin", f.ts.URL)
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		if k == "Host" {
			// The client picks cookies by Host; keep the session's.
			req.Host = v
			if c.Jar != nil {
				for _, ck := range c.Jar.Cookies(req.URL) {
					req.AddCookie(ck)
				}
			}
			continue
		}
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	res, err := c.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return res.StatusCode, data
}

func (f *fixture) getJSON(path string, v any) {
	f.t.Helper()
	code, data := f.do(f.client, http.MethodGet, path, "", nil)
	if code != http.StatusOK {
		f.t.Fatalf("GET %s: %d %s", path, code, data)
	}
	if err := json.Unmarshal(data, v); err != nil {
		f.t.Fatalf("GET %s: %v: %s", path, err, data)
	}
}

func (f *fixture) postJSON(path string, body any, want int, v any) {
	f.t.Helper()
	b, _ := json.Marshal(body)
	code, data := f.do(f.client, http.MethodPost, path, string(b), nil)
	if code != want {
		f.t.Fatalf("POST %s: status %d, want %d: %s", path, code, want, data)
	}
	if v != nil {
		if err := json.Unmarshal(data, v); err != nil {
			f.t.Fatalf("POST %s: %v: %s", path, err, data)
		}
	}
}

func TestNewRefusesWeakConfig(t *testing.T) {
	if _, err := New(Config{Token: "short", Addr: "127.0.0.1:1"}); err == nil {
		t.Error("short token accepted")
	}
	if _, err := New(Config{Token: testToken, Addr: "nowhere"}); err == nil {
		t.Error("bad address accepted")
	}
}

func TestAuthAndOrigin(t *testing.T) {
	f := newFixture(t)
	anon := newClient()
	host := strings.TrimPrefix(f.ts.URL, "http://")
	_, port, _ := strings.Cut(host, ":")
	tests := []struct {
		name   string
		client *http.Client
		method string
		path   string
		hdr    map[string]string
		want   int
	}{
		{"api without session", anon, "GET", "/api/approvals", nil, 401},
		{"page without session", anon, "GET", "/", nil, 401},
		{"write without session", anon, "POST", "/api/policy/validate", nil, 401},
		{"asset without session is public", anon, "GET", "/assets/app.js", nil, 200},
		{"wrong token", anon, "GET", "/login?token=" + strings.Repeat("a", 64), nil, 401},
		{"reused token", anon, "GET", "/login?token=" + testToken, nil, 401},
		{"page with session", f.client, "GET", "/", nil, 200},
		{"rebinding Host", f.client, "GET", "/api/approvals", map[string]string{"Host": "evil.example:" + port}, 403},
		{"rebinding Host on login", anon, "GET", "/login?token=" + testToken, map[string]string{"Host": "attacker.test"}, 403},
		{"localhost Host is fine", f.client, "GET", "/api/approvals", map[string]string{"Host": "localhost:" + port}, 200},
		{"foreign Origin on read", f.client, "GET", "/api/approvals", map[string]string{"Origin": "http://evil.example"}, 403},
		{"foreign Origin on write", f.client, "POST", "/api/policy/validate", map[string]string{"Origin": "http://evil.example"}, 403},
		{"other port Origin", f.client, "POST", "/api/policy/validate", map[string]string{"Origin": "http://127.0.0.1:1"}, 403},
		{"null Origin", f.client, "POST", "/api/policy/validate", map[string]string{"Origin": "null"}, 403},
		{"write without Origin", f.client, "POST", "/api/policy/validate", map[string]string{"Origin": ""}, 403},
		{"cross-site fetch", f.client, "GET", "/api/approvals", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"same-site fetch (other port)", f.client, "GET", "/api/approvals", map[string]string{"Sec-Fetch-Site": "same-site"}, 403},
		{"missing CSRF", f.client, "POST", "/api/policy/validate", map[string]string{"X-CSRF-Token": ""}, 403},
		{"read without the session token", f.client, "GET", "/api/approvals", map[string]string{"X-CSRF-Token": ""}, 403},
		{"stream without the session token", f.client, "GET", "/api/approvals/stream", map[string]string{"X-CSRF-Token": ""}, 403},
		{"wrong CSRF", f.client, "POST", "/api/policy/validate", map[string]string{"X-CSRF-Token": "nope"}, 403},
		{"preflight refused", f.client, "OPTIONS", "/api/approvals", map[string]string{"Origin": f.ts.URL}, 405},
		{"unknown asset", f.client, "GET", "/assets/nothing.js", nil, 404},
		{"asset path traversal", f.client, "GET", "/assets/..%2fdashboard.go", nil, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := ""
			if tt.method == "POST" {
				body = `{"text":"default: deny\n"}`
			}
			code, data := f.do(tt.client, tt.method, tt.path, body, tt.hdr)
			if code != tt.want {
				t.Fatalf("status %d, want %d: %s", code, tt.want, data)
			}
		})
	}
}

func TestSecurityHeaders(t *testing.T) {
	f := newFixture(t)
	res, err := f.client.Get(f.ts.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	h := res.Header
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "http") {
		t.Errorf("CSP too loose: %q", csp)
	}
	for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"} {
		if h.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, h.Get(k), v)
		}
	}
	if h.Get("Access-Control-Allow-Origin") != "" {
		t.Error("CORS header present")
	}
}

func TestLoginCookie(t *testing.T) {
	// A fresh server, to see the login response itself.
	ts, srv := bareServer(t)
	res, err := newClient().Get(ts.URL + srv.LoginPath())
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	cs := res.Cookies()
	if len(cs) != 1 || !cs[0].HttpOnly || cs[0].SameSite != http.SameSiteStrictMode || cs[0].Value == testToken {
		t.Fatalf("cookie %+v", cs)
	}
	// The page takes the token out of the address bar itself
	// (history.replaceState); the page does not repeat it.
	if strings.Contains(string(page), testToken) || !csrfMeta.Match(page) {
		t.Errorf("login page:\n%s", page)
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("login page type %q", ct)
	}
}

func TestUnavailableSeams(t *testing.T) {
	ts, srv := bareServer(t)
	f := &fixture{t: t, srv: srv, ts: ts}
	f.client = f.login()
	for _, p := range []string{"/api/approvals", "/api/audit", "/api/policy", "/api/setup", "/api/setup/doctor", "/api/policy/versions"} {
		if code, data := f.do(f.client, "GET", p, "", nil); code != http.StatusServiceUnavailable {
			t.Errorf("GET %s: %d %s", p, code, data)
		}
	}
}

// submit files a pending request the way a hook does.
func (f *fixture) submit(command string) *approval.Record {
	f.t.Helper()
	req := &action.Request{Input: command, Surface: "hook", Agent: "claude", Session: "s1", Cwd: f.dir,
		Parts: shell.Analyze(command, shell.Env{Cwd: f.dir})}
	d := action.Decision{Effect: action.Ask, Rule: &action.RuleRef{Name: "Ask dev servers", Source: "policy.yaml:7"}, Reason: "dev server", Timeout: time.Minute}
	r, err := f.m.Submit(context.Background(), req, d)
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

func TestApproveReleasesWaitingRequest(t *testing.T) {
	f := newFixture(t)
	req := &action.Request{Input: "npm run dev", Surface: "hook", Agent: "claude", Session: "s1", Cwd: f.dir,
		Parts: shell.Analyze("npm run dev", shell.Env{Cwd: f.dir})}
	d := action.Decision{Effect: action.Ask, Rule: &action.RuleRef{Name: "Ask dev servers"}, Timeout: 30 * time.Second}
	filed := make(chan *approval.Record, 1)
	done := make(chan approval.Outcome, 1)
	go func() {
		out, err := f.m.Ask(context.Background(), req, d, approval.AskOptions{Filed: func(r *approval.Record) { filed <- r }})
		if err != nil {
			t.Error(err)
		}
		done <- out
	}()
	rec := <-filed

	var v approvalsView
	f.getJSON("/api/approvals", &v)
	if len(v.Pending) != 1 || v.Pending[0].ID != rec.ID || v.Pending[0].Input != "npm run dev" || v.Pending[0].Rule.Name != "Ask dev servers" {
		t.Fatalf("pending = %+v", v.Pending)
	}
	f.postJSON("/api/approvals/"+rec.ID+"/answer", map[string]any{"approve": true, "scope": "once", "reason": "looks fine", "hash": v.Pending[0].Hash}, 200, nil)
	select {
	case out := <-done:
		if out.Effect != action.Allow || out.Status != approval.Approved {
			t.Fatalf("outcome %+v", out)
		}
		if !strings.Contains(out.Approver(), "dashboard") {
			t.Errorf("approver %q", out.Approver())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("waiting request not released")
	}
	// A second answer has no effect and says so.
	f.postJSON("/api/approvals/"+rec.ID+"/answer", map[string]any{"approve": false}, http.StatusConflict, nil)
	f.getJSON("/api/approvals", &v)
	if len(v.Pending) != 0 || len(v.History) != 1 || v.History[0].Answer.Reason != "looks fine" {
		t.Fatalf("after answer: %+v", v)
	}
}

func TestAnswerErrors(t *testing.T) {
	f := newFixture(t)
	rec := f.submit("npm run dev")
	tests := []struct {
		name string
		path string
		body string
		want int
	}{
		{"unknown id", "/api/approvals/nope/answer", `{"approve":true,"scope":"once"}`, 404},
		{"bad scope", "/api/approvals/" + rec.ID + "/answer", `{"approve":true,"scope":"forever"}`, 400},
		{"deny with scope", "/api/approvals/" + rec.ID + "/answer", `{"approve":false,"scope":"once"}`, 400},
		{"unknown field", "/api/approvals/" + rec.ID + "/answer", `{"approve":true,"scope":"once","x":1}`, 400},
		{"not JSON", "/api/approvals/" + rec.ID + "/answer", `approve`, 400},
		{"approval without the hash shown", "/api/approvals/" + rec.ID + "/answer", `{"approve":true,"scope":"once"}`, 400},
		{"approval of another hash", "/api/approvals/" + rec.ID + "/answer", `{"approve":true,"scope":"once","hash":"sha256:` + strings.Repeat("0", 64) + `"}`, 409},
		{"denial of another hash", "/api/approvals/" + rec.ID + "/answer", `{"approve":false,"hash":"x"}`, 409},
		{"always without a writer", "/api/approvals/" + rec.ID + "/answer", `{"approve":true,"scope":"always","hash":"` + rec.Hash + `"}`, 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, data := f.do(f.client, "POST", tt.path, tt.body, nil)
			if code != tt.want {
				t.Fatalf("status %d, want %d: %s", code, tt.want, data)
			}
			var e apiError
			if json.Unmarshal(data, &e) != nil || e.Status != code || e.Message == "" {
				t.Errorf("error body %s", data)
			}
		})
	}
}

func TestDenyWithReason(t *testing.T) {
	f := newFixture(t)
	rec := f.submit("npm run dev")
	f.postJSON("/api/approvals/"+rec.ID+"/answer", map[string]any{"approve": false, "reason": "no servers"}, 200, nil)
	got, err := f.m.Get(context.Background(), rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != approval.Denied || got.Answer.Reason != "no servers" || got.Answer.Channel != "dashboard" {
		t.Fatalf("record %+v answer %+v", got, got.Answer)
	}
}

func TestApprovalStream(t *testing.T) {
	f := newFixture(t)
	req, _ := http.NewRequest("GET", f.ts.URL+"/api/approvals/stream", nil)
	req.Header.Set("X-CSRF-Token", f.csrf)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req = req.WithContext(ctx)
	res, err := f.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(nil, 1<<20)
	next := func() approvalsView {
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var v approvalsView
				if err := json.Unmarshal([]byte(data), &v); err != nil {
					t.Fatal(err)
				}
				return v
			}
		}
		t.Fatalf("stream ended: %v", sc.Err())
		return approvalsView{}
	}
	if v := next(); len(v.Pending) != 0 {
		t.Fatalf("first event %+v", v)
	}
	rec := f.submit("npm run dev")
	if v := next(); len(v.Pending) != 1 || v.Pending[0].ID != rec.ID {
		t.Fatalf("second event %+v", v)
	}
}

func (f *fixture) appendRecords(n int) {
	f.t.Helper()
	for i := range n {
		rec := &audit.Record{Surface: "hook", Agent: "claude", Request: "ls", Decision: "allow", Actions: []audit.Facet{{Kind: "shell.execute", Command: "ls"}}}
		if i%3 == 0 {
			rec = &audit.Record{Surface: "hook", Agent: "claude", Request: "python -m http.server 8080", Decision: "deny",
				Actions: []audit.Facet{{Kind: "network.listen", Port: 8080}}, Rule: &audit.Rule{Name: "Block Python HTTP server"}}
		}
		if _, err := f.trail.Append(context.Background(), rec); err != nil {
			f.t.Fatal(err)
		}
	}
}

func TestAuditQueryAndPaging(t *testing.T) {
	f := newFixture(t)
	f.appendRecords(30) // seq 1..30; network ones are 1,4,...,28 (10 records)
	var page auditPage
	f.getJSON("/api/audit?filter=action:network&limit=4", &page)
	seqs := func(p auditPage) (out []uint64) {
		for _, r := range p.Records {
			out = append(out, r.Seq)
		}
		return out
	}
	if got := seqs(page); len(got) != 4 || got[0] != 28 || got[3] != 19 || page.Before != 19 {
		t.Fatalf("page 1: %v before %d", got, page.Before)
	}
	var all []uint64
	all = append(all, seqs(page)...)
	for page.Before != 0 {
		before := page.Before
		page = auditPage{}
		f.getJSON("/api/audit?filter=action:network&limit=4&before="+itoa(before), &page)
		all = append(all, seqs(page)...)
	}
	if len(all) != 10 || all[9] != 1 {
		t.Fatalf("all pages: %v", all)
	}
	for _, tt := range []struct{ q, want string }{
		{"filter=" + "decision:maybe", "filter"},
		{"filter=%22unclosed", "filter"},
		{"limit=0", "limit"},
		{"limit=x", "limit"},
		{"before=-1", "before"},
	} {
		code, data := f.do(f.client, "GET", "/api/audit?"+tt.q, "", nil)
		if code != 400 || !strings.Contains(string(data), tt.want) {
			t.Errorf("%s: %d %s", tt.q, code, data)
		}
	}
	code, data := f.do(f.client, "GET", "/api/audit?filter=%22unclosed", "", nil)
	var fe struct{ Col int }
	if json.Unmarshal(data, &fe); code != 400 || fe.Col < 1 {
		t.Errorf("filter error without column: %s", data)
	}
}

func itoa(n uint64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestAuditVerifyAndExport(t *testing.T) {
	f := newFixture(t)
	f.appendRecords(5)
	var v struct {
		Report audit.Report
	}
	f.postJSON("/api/audit/verify", nil, 200, &v)
	if !v.Report.Intact || v.Report.Records != 5 {
		t.Fatalf("report %+v", v.Report)
	}
	code, data := f.do(f.client, "GET", "/api/audit/export?format=jsonl&filter=decision:deny", "", nil)
	if code != 200 || strings.Count(string(data), "\n") != 2 {
		t.Fatalf("export: %d %s", code, data)
	}
	code, data = f.do(f.client, "GET", "/api/audit/export?format=csv", "", nil)
	if code != 200 || strings.Count(string(data), "\n") != 6 {
		t.Fatalf("csv export: %d %s", code, data)
	}
	if code, _ := f.do(f.client, "GET", "/api/audit/export?format=xml", "", nil); code != 400 {
		t.Errorf("xml export: %d", code)
	}
}

func TestPolicyValidationPositions(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name      string
		text      string
		line, col int
		msg       string
	}{
		{"typo key", "rules:\n  - action: network.listen\n    efect: deny\n", 3, 5, `unknown key "efect"`},
		{"bad effect", "rules:\n  - action: network.listen\n    effect: denny\n", 3, 13, `unknown effect "denny"`},
		{"unknown action", "default: deny\nrules:\n  - action: network.listn\n    effect: deny\n", 3, 13, "network.listn"},
		{"empty", "# nothing\n", 1, 1, "empty policy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out struct {
				Errors []policyIssue
			}
			f.postJSON("/api/policy/validate", map[string]string{"text": tt.text}, http.StatusUnprocessableEntity, &out)
			if len(out.Errors) == 0 {
				t.Fatal("no errors")
			}
			e := out.Errors[0]
			if e.Line != tt.line || e.Col != tt.col || !strings.Contains(e.Message, tt.msg) {
				t.Fatalf("got %+v, want %d:%d %q", e, tt.line, tt.col, tt.msg)
			}
		})
	}
	var ok struct {
		OK    bool
		Rules int
	}
	f.postJSON("/api/policy/validate", map[string]string{"text": goodPolicy}, 200, &ok)
	if !ok.OK || ok.Rules != 3 {
		t.Fatalf("good policy: %+v", ok)
	}
}

func TestPolicyTry(t *testing.T) {
	f := newFixture(t)
	var d struct {
		Decision string
		Rule     *action.RuleRef
		Parts    []partView
	}
	f.postJSON("/api/policy/try", map[string]string{"text": goodPolicy, "command": "cd web && python -m http.server 8080"}, 200, &d)
	if d.Decision != "deny" || d.Rule == nil || d.Rule.Name != "Block Python HTTP server" || len(d.Parts) != 2 || !d.Parts[1].Deciding {
		t.Fatalf("try: %+v", d)
	}
	f.postJSON("/api/policy/try", map[string]string{"text": goodPolicy, "command": "npm run dev"}, 200, &d)
	if d.Decision != "ask" {
		t.Fatalf("try npm: %+v", d)
	}
	f.postJSON("/api/policy/try", map[string]string{"text": goodPolicy, "command": "  "}, 400, nil)
	f.postJSON("/api/policy/try", map[string]string{"text": "rules: [", "command": "ls"}, 422, nil)
}

func TestPolicySaveAndRollback(t *testing.T) {
	f := newFixture(t)
	path := filepath.Join(f.dir, "config", "policy.yaml")
	// Before any save the editor shows the built-in default.
	var p struct {
		Exists bool
		Text   string
	}
	f.getJSON("/api/policy", &p)
	if p.Exists || p.Text != string(policy.Default()) {
		t.Fatalf("initial policy: exists %v", p.Exists)
	}
	// A policy written by hand before the dashboard is kept as a version.
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	handWritten := "default: deny\nrules:\n  - command_pattern: ls\n    effect: allow\n"
	if err := os.WriteFile(path, []byte(handWritten), 0o600); err != nil {
		t.Fatal(err)
	}
	f.postJSON("/api/policy/save", map[string]string{"text": "rules: [\n"}, 422, nil)
	if data, _ := os.ReadFile(path); string(data) != handWritten {
		t.Fatal("an invalid policy was written")
	}
	var v1 Version
	f.postJSON("/api/policy/save", map[string]string{"text": goodPolicy}, 200, &v1)
	if data, _ := os.ReadFile(path); string(data) != goodPolicy {
		t.Fatalf("policy file = %q", data)
	}
	var vs []Version
	f.getJSON("/api/policy/versions", &vs)
	if len(vs) != 2 || vs[0].ID != v1.ID {
		t.Fatalf("versions %+v", vs)
	}
	var got struct {
		Version Version
		Text    string
	}
	f.getJSON("/api/policy/versions/"+vs[1].ID, &got)
	if got.Text != handWritten || got.Version.Hash != contentHash([]byte(handWritten)) {
		t.Fatalf("old version %+v", got)
	}
	// Roll back to the hand-written policy: it is in force and a new version.
	f.postJSON("/api/policy/rollback", map[string]string{"id": vs[1].ID}, 200, nil)
	if data, _ := os.ReadFile(path); string(data) != handWritten {
		t.Fatalf("after rollback: %q", data)
	}
	f.getJSON("/api/policy/versions", &vs)
	if len(vs) != 3 {
		t.Fatalf("versions after rollback: %+v", vs)
	}
	// Errors: unknown, malformed (path traversal) and edited versions.
	f.postJSON("/api/policy/rollback", map[string]string{"id": "20990101T000000.000000000Z-0000000000000000"}, 404, nil)
	f.postJSON("/api/policy/rollback", map[string]string{"id": "../../config/policy"}, 404, nil)
	if code, _ := f.do(f.client, "GET", "/api/policy/versions/..%2f..%2fx", "", nil); code != 404 {
		t.Errorf("traversal: %d", code)
	}
	edited := filepath.Join(f.dir, "state", "policy-versions", v1.ID+".yaml")
	if err := os.WriteFile(edited, []byte("default: allow\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f.postJSON("/api/policy/rollback", map[string]string{"id": v1.ID}, http.StatusConflict, nil)
	if st, err := os.Stat(filepath.Join(f.dir, "state", "policy-versions")); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("version dir mode: %v %v", st, err)
	}
}

func TestSetup(t *testing.T) {
	f := newFixture(t)
	var s struct{ Agents []Agent }
	f.getJSON("/api/setup", &s)
	if len(s.Agents) != 1 || s.Agents[0].Name != "claude" {
		t.Fatalf("agents %+v", s)
	}
	var plan struct {
		Changed bool
		Diff    string
	}
	f.getJSON("/api/setup/plan?agent=claude", &plan)
	if !plan.Changed || !strings.Contains(plan.Diff, "+   \"hooks\": {}") || !strings.Contains(plan.Diff, "-   \"a\": 1\n") {
		t.Fatalf("plan %+v", plan)
	}
	if code, _ := f.do(f.client, "GET", "/api/setup/plan?agent=vim", "", nil); code != 400 {
		t.Errorf("unknown agent plan: %d", code)
	}
	f.postJSON("/api/setup/install", map[string]string{"agent": "vim"}, 400, nil)
	var out struct{ Output string }
	f.postJSON("/api/setup/install", map[string]string{"agent": "claude"}, 200, &out)
	if !strings.Contains(out.Output, "installed") {
		t.Fatalf("install output %q", out.Output)
	}
	var doc struct {
		Output string
		OK     bool
	}
	f.getJSON("/api/setup/doctor", &doc)
	if !doc.OK || !strings.Contains(doc.Output, "ok") {
		t.Fatalf("doctor %+v", doc)
	}
}

func TestInternalErrorsStayInternal(t *testing.T) {
	f := newFixture(t)
	f.srv.c.Doctor = nil
	f.srv.c.Agents = func(context.Context) ([]Agent, error) { return nil, errors.New("secret path /home/x/.claude exploded") }
	code, data := f.do(f.client, "GET", "/api/setup", "", nil)
	if code != 500 || strings.Contains(string(data), "secret") {
		t.Fatalf("%d %s", code, data)
	}
	if len(f.warns) == 0 || !strings.Contains(f.warns[len(f.warns)-1], "secret path") {
		t.Errorf("warns %v", f.warns)
	}
}

func TestDiff(t *testing.T) {
	got := Diff("f", []byte("a\nb\nc\n"), []byte("a\nc\nd\n"))
	want := "--- f\n+++ f (after install)\n  a\n- b\n  c\n+ d\n"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if got := Diff("f", nil, []byte("x\n")); !strings.HasSuffix(got, "+ x\n") {
		t.Fatalf("new file: %q", got)
	}
}

// bareServer is a dashboard with no seams (no approvals, audit, policy or
// setup), on a test server closed with the test.
func bareServer(t *testing.T) (*httptest.Server, *Server) {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	srv, err := New(Config{Token: testToken, Addr: ts.Listener.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = srv
	ts.Start()
	t.Cleanup(ts.Close)
	return ts, srv
}
