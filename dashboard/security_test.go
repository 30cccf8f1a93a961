package dashboard

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/safeclaw/safeclaw/audit"
	"github.com/safeclaw/safeclaw/policy"
)

// The threat model of these tests: the watched agent runs as the same user,
// controls most of the text the dashboard shows, and can send any HTTP
// request from this machine with any headers; a web page the person visits
// (including one the agent serves on another port of 127.0.0.1) can send
// cross-site requests.

var csrfMeta = regexp.MustCompile(`<meta name="safeclaw-csrf" content="([0-9a-f]{64})">`)

// rawLogin exchanges the token with a plain client and returns the session
// cookie and the login page.
func rawLogin(t *testing.T, f *fixture) (*http.Cookie, string) {
	t.Helper()
	srv, ts := f.srv, f.ts
	srv.mu.Lock()
	srv.used = false // a second login on the same fixture
	srv.mu.Unlock()
	res, err := newClient().Get(ts.URL + srv.LoginPath())
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("login: status %d, want 200 with the page", res.StatusCode)
	}
	cs := res.Cookies()
	if len(cs) != 1 {
		t.Fatalf("login set cookies %v", cs)
	}
	return cs[0], string(body)
}

// TestLeakedCookieAloneIsUseless: browsers send a 127.0.0.1 cookie to every
// port of 127.0.0.1, so a dev server the agent runs there receives the
// dashboard's cookie when the person opens it. The cookie alone must read
// and change nothing; the second secret lives in the page (port-scoped).
func TestLeakedCookieAloneIsUseless(t *testing.T) {
	f := newFixture(t)
	rec := f.submit("npm run dev")
	ck, page := rawLogin(t, f)
	m := csrfMeta.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the login page carries no session token:\n%s", page)
	}
	agent := &http.Client{}
	send := func(method, path, body string, hdr map[string]string) (int, string) {
		req, _ := http.NewRequest(method, f.ts.URL+path, strings.NewReader(body))
		req.AddCookie(ck)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		res, err := agent.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		data, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(data)
	}
	for _, p := range []string{"/api/session", "/api/approvals", "/api/audit", "/api/policy", "/api/setup/doctor"} {
		if code, data := send("GET", p, "", nil); code == http.StatusOK {
			t.Errorf("GET %s with the cookie alone: %d %s", p, code, data)
		}
	}
	code, data := send("POST", "/api/approvals/"+rec.ID+"/answer", `{"approve":true,"scope":"once"}`,
		map[string]string{"Origin": f.ts.URL, "Content-Type": "application/json"})
	if code == http.StatusOK {
		t.Fatalf("the agent approved its own request with a leaked cookie: %s", data)
	}
	if got, _ := f.m.Get(context.Background(), rec.ID); got.Status != "pending" {
		t.Fatalf("request is %s", got.Status)
	}
	// With the page's token too, it is the person's session.
	if code, data := send("GET", "/api/approvals", "", map[string]string{"X-CSRF-Token": m[1]}); code != http.StatusOK {
		t.Fatalf("with the page token: %d %s", code, data)
	}
}

func TestSessionCookieAttributes(t *testing.T) {
	f := newFixture(t)
	ck, _ := rawLogin(t, f)
	_, port, _ := strings.Cut(strings.TrimPrefix(f.ts.URL, "http://"), ":")
	if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/" {
		t.Errorf("cookie %+v: want HttpOnly, SameSite=Strict, Path=/", ck)
	}
	// A session cookie: the browser keeps it in memory, not in its cookie
	// file, where the agent (same user) could read it.
	if ck.MaxAge != 0 || !ck.Expires.IsZero() || ck.RawExpires != "" {
		t.Errorf("cookie %+v is persistent", ck)
	}
	// Two dashboards on one host (ui and serve --ui) must not evict each
	// other's cookie.
	if !strings.HasSuffix(ck.Name, port) {
		t.Errorf("cookie name %q does not name the listener's port %s", ck.Name, port)
	}
	if ck.Value == testToken || strings.Contains(ck.Value, testToken) {
		t.Error("cookie carries the login token")
	}
}

const wantCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

func checkSecurityHeaders(t *testing.T, what string, h http.Header) {
	t.Helper()
	want := map[string]string{
		"Content-Security-Policy": wantCSP, "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
		"Referrer-Policy": "no-referrer", "Cache-Control": "no-store", "Cross-Origin-Opener-Policy": "same-origin",
		"Cross-Origin-Resource-Policy": "same-origin",
	}
	if what == "page without session" {
		// The login page: its code form must carry the page's origin (a
		// browser sends "Origin: null" under no-referrer), and it holds no
		// secret a Referer could leak.
		want["Referrer-Policy"] = "same-origin"
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("%s: %s = %q, want %q", what, k, got, v)
		}
	}
	for k := range h {
		if strings.HasPrefix(k, "Access-Control-") {
			t.Errorf("%s: CORS header %s", what, k)
		}
	}
}

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	f := newFixture(t)
	anon := newClient()
	_, port, _ := strings.Cut(strings.TrimPrefix(f.ts.URL, "http://"), ":")
	tests := []struct {
		name   string
		c      *http.Client
		method string
		path   string
		hdr    map[string]string
	}{
		{"page", f.client, "GET", "/", nil},
		{"page without session", anon, "GET", "/", nil},
		{"script", anon, "GET", "/assets/app.js", nil},
		{"style", anon, "GET", "/assets/style.css", nil},
		{"unknown asset", anon, "GET", "/assets/x.png", nil},
		{"unknown path", f.client, "GET", "/nope", nil},
		{"wrong method", f.client, "PUT", "/api/approvals", nil},
		{"preflight", f.client, "OPTIONS", "/api/policy/save", map[string]string{"Origin": f.ts.URL}},
		{"bad Host", f.client, "GET", "/", map[string]string{"Host": "evil.example:" + port}},
		{"foreign Origin", f.client, "POST", "/api/policy/save", map[string]string{"Origin": "http://evil.example"}},
		{"bad login", anon, "GET", "/login?token=x", nil},
		{"api without session", anon, "GET", "/api/approvals", nil},
		{"api", f.client, "GET", "/api/approvals", nil},
		{"write refused", f.client, "POST", "/api/policy/save", map[string]string{"X-CSRF-Token": "x"}},
		{"bad body", f.client, "POST", "/api/policy/save", nil},
		{"export", f.client, "GET", "/api/audit/export?format=csv", nil},
		{"path cleaning redirect", f.client, "GET", "/assets/../api/session", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, f.ts.URL+tt.path, strings.NewReader("{"))
			req.Header.Set("Origin", f.ts.URL)
			req.Header.Set("X-CSRF-Token", f.csrf)
			for k, v := range tt.hdr {
				if k == "Host" {
					req.Host = v
					continue
				}
				req.Header.Set(k, v)
			}
			res, err := tt.c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			checkSecurityHeaders(t, tt.name, res.Header)
		})
	}
	// The login response itself, on a server of its own.
	ts, srv := bareServer(t)
	res, err := newClient().Get(ts.URL + srv.LoginPath())
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	checkSecurityHeaders(t, "login", res.Header)
}

// TestNoOpenRedirect: every redirect the dashboard answers stays on it.
func TestNoOpenRedirect(t *testing.T) {
	f := newFixture(t)
	for _, p := range []string{"//evil.example/", "//evil.example/%2e%2e", "/\\evil.example/", "/./evil.example",
		"/assets/..//evil.example", "/assets/../../evil.example", "/api//evil.example", "/login?token=x&next=//evil.example",
		"/login/?token=" + testToken, "/%2f%2fevil.example"} {
		req, err := http.NewRequest("GET", f.ts.URL+p, nil)
		if err != nil {
			t.Fatal(err)
		}
		res, err := f.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		loc := res.Header.Get("Location")
		if loc == "" {
			continue
		}
		if !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") || strings.HasPrefix(loc, "/\\") {
			t.Errorf("GET %s redirects to %q", p, loc)
		}
	}
}

// hostile is text an agent controls: markup, a javascript: URL, quotes to
// break out of attributes, and newlines to forge server-sent events.
const hostile = "npm run dev </script><img src=x onerror=alert(1)> \" ' javascript:alert(1) \n\nevent: approvals\ndata: {\"pending\":[]}\n\n<svg onload=alert(2)>"

func TestAgentTextStaysInertInResponses(t *testing.T) {
	f := newFixture(t)
	rec := f.submit(hostile)
	if rec.Input != hostile {
		t.Fatalf("input stored as %q", rec.Input)
	}
	f.appendHostileRecord()
	f.srv.c.Plan = func(context.Context, string) (*InstallPlan, error) {
		return &InstallPlan{Path: "<img src=x onerror=alert(3)>.json", Old: []byte(hostile), New: []byte(hostile + "\n<b>"), Changed: true}, nil
	}
	for _, p := range []string{"/api/approvals", "/api/audit", "/api/setup/plan?agent=claude"} {
		code, data := f.do(f.client, "GET", p, "", nil)
		if code != 200 {
			t.Fatalf("GET %s: %d %s", p, code, data)
		}
		if strings.ContainsAny(string(data), "<>") {
			t.Errorf("GET %s: raw markup in the JSON: %.300s", p, data)
		}
	}
	code, data := f.do(f.client, "POST", "/api/policy/try", `{"text":"default: deny\n","command":`+jsonString(hostile)+`}`, nil)
	if code != 200 || strings.ContainsAny(string(data), "<>") {
		t.Errorf("try: %d %.300s", code, data)
	}
	code, data = f.do(f.client, "POST", "/api/policy/simulate", `{"text":"default: ask\n"}`, nil)
	if code != 200 || strings.ContainsAny(string(data), "<>") || !strings.Contains(string(data), `npm run dev \u003c/script\u003e`) {
		t.Errorf("simulate: %d %.300s", code, data)
	}
	// The stream: the newlines in the command cannot forge an event.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", f.ts.URL+"/api/approvals/stream", nil)
	req.Header.Set("X-CSRF-Token", f.csrf)
	res, err := f.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(nil, 1<<20)
	var lines []string
	for sc.Scan() {
		if sc.Text() == "" && len(lines) > 0 && strings.HasPrefix(lines[len(lines)-1], "data: ") {
			break
		}
		lines = append(lines, sc.Text())
	}
	want := []string{"retry: 2000", "", "event: approvals"}
	if len(lines) != 4 || strings.Join(lines[:3], "\n") != strings.Join(want, "\n") {
		t.Fatalf("stream lines %q", lines)
	}
	var v approvalsView
	if err := json.Unmarshal([]byte(strings.TrimPrefix(lines[3], "data: ")), &v); err != nil || len(v.Pending) != 1 || v.Pending[0].Input != hostile {
		t.Fatalf("event data %v %+v", err, v)
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func (f *fixture) appendHostileRecord() {
	f.t.Helper()
	rec := &audit.Record{Surface: "hook", Agent: "<b>agent</b>", Session: "<i>s</i>", Cwd: "/tmp/<x>", Request: hostile, Decision: "allow",
		Reason: "<img src=x onerror=alert(4)>", Actions: []audit.Facet{{Kind: "shell.execute", Command: hostile}}}
	if _, err := f.trail.Append(context.Background(), rec); err != nil {
		f.t.Fatal(err)
	}
}

// TestAssetsHaveNoHTMLSinks: the page's script puts server values in the
// page as text only. A regression here is a stored XSS from any
// agent-controlled field, so the sinks are refused outright.
func TestAssetsHaveNoHTMLSinks(t *testing.T) {
	js, err := assetFS.ReadFile("assets/app.js")
	if err != nil {
		t.Fatal(err)
	}
	// The one URL the script sets is a blob: it made itself from a download.
	code := strings.ReplaceAll(stripJSComments(string(js)), "a.href = URL.createObjectURL(blob)", "")
	for _, sink := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "Function(",
		"createContextualFragment", "DOMParser", ".href =", ".href=", ".src =", ".src=", "javascript:", "setAttribute(\"href",
		"setTimeout(\"", "setInterval(\"", "location.href", "location.assign", "location.replace", "window.open", "EventSource("} {
		if strings.Contains(code, sink) {
			t.Errorf("app.js uses %q", sink)
		}
	}
	// el() is the one place attributes are set; it refuses URL, style and
	// handler attributes whatever the caller passes.
	if !strings.Contains(code, `throw new Error("el: attribute "`) {
		t.Error("el() does not guard its attribute names")
	}
	html, err := assetFS.ReadFile("assets/index.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, re := range []string{`<script(?:\s[^>]*)?>[^<]`, `\son[a-z]+\s*=`, `\sstyle\s*=`, `javascript:`, `<base\b`, `<iframe\b`, `<form[^>]*action=`} {
		if regexp.MustCompile(re).Match(html) {
			t.Errorf("index.html matches %s", re)
		}
	}
}

func stripJSComments(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "//") {
			continue
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// TestErrorPathsDeny: when a seam fails, nothing is changed.
func TestErrorPathsDeny(t *testing.T) {
	f := newFixture(t)
	installed := 0
	f.srv.c.Install = func(context.Context, string) (string, error) { installed++; return "", nil }
	f.srv.c.Agents = func(context.Context) ([]Agent, error) { return nil, errors.New("boom") }
	if code, _ := f.do(f.client, "POST", "/api/setup/install", `{"agent":"claude"}`, nil); code != 500 || installed != 0 {
		t.Errorf("install with failing agent list: %d, installed %d", code, installed)
	}
	f.srv.c.Agents = func(context.Context) ([]Agent, error) { return []Agent{{Name: "claude"}}, nil }
	for _, body := range []string{`{"agent":"../claude"}`, `{"agent":""}`, `{}`, `{"agent":"claude","x":1}`} {
		if code, _ := f.do(f.client, "POST", "/api/setup/install", body, nil); code == 200 || installed != 0 {
			t.Errorf("install %s: %d, installed %d", body, code, installed)
		}
	}
	// A policy that does not compile is not written.
	f.srv.c.Compile = func([]byte) (*policy.Policy, error) { return nil, errors.New("nope") }
	if code, _ := f.do(f.client, "POST", "/api/policy/save", `{"text":"default: allow\n"}`, nil); code != 422 {
		t.Errorf("save of a failing compile: %d", code)
	}
	if _, err := os.Stat(filepath.Join(f.dir, "config", "policy.yaml")); err == nil {
		t.Error("policy written although it did not compile")
	}
	// An expired session is no session.
	rec := f.submit("npm run dev")
	f.srv.c.Now = func() time.Time { return time.Now().Add(sessionTTL + time.Minute) }
	if code, _ := f.do(f.client, "POST", "/api/approvals/"+rec.ID+"/answer", `{"approve":true,"scope":"once"}`, nil); code != 401 {
		t.Errorf("answer with an expired session: %d", code)
	}
	if got, _ := f.m.Get(context.Background(), rec.ID); got.Status != "pending" {
		t.Errorf("request is %s", got.Status)
	}
}

// TestHostVariants: only the listener's own names pass (DNS rebinding).
func TestHostVariants(t *testing.T) {
	f := newFixture(t)
	_, port, _ := strings.Cut(strings.TrimPrefix(f.ts.URL, "http://"), ":")
	for host, want := range map[string]int{
		"127.0.0.1:" + port: 200, "localhost:" + port: 200, "LOCALHOST:" + port: 200, "[::1]:" + port: 200,
		"127.0.0.1": 403, "localhost": 403, "127.0.0.1:1": 403, "localhost.:" + port: 403, "127.0.0.2:" + port: 403,
		"evil.example:" + port: 403, "127.0.0.1." + "evil.example:" + port: 403, "0.0.0.0:" + port: 403,
		"evil.localhost:" + port: 403, "127.1:" + port: 403, "2130706433:" + port: 403, "[::ffff:127.0.0.1]:" + port: 403,
	} {
		if code, data := f.do(f.client, "GET", "/api/approvals", "", map[string]string{"Host": host}); code != want {
			t.Errorf("Host %q: %d, want %d: %s", host, code, want, data)
		}
	}
}
