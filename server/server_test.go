package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/hook"
)

// fakeGate is a small policy: listeners and unknown tools are denied, rm
// asks, everything else is allowed. It remembers the requests it saw.
type fakeGate struct {
	mu   sync.Mutex
	seen []*action.Request
	err  error
}

func (g *fakeGate) decide(_ context.Context, req *action.Request) (action.Decision, error) {
	g.mu.Lock()
	g.seen = append(g.seen, req)
	g.mu.Unlock()
	if g.err != nil {
		return action.Decision{Effect: action.Deny, Reason: "internal: " + g.err.Error()}, g.err
	}
	d := action.Decision{Effect: action.Allow, Reason: "allowed", Part: -1, PolicyHash: "sha256:abc"}
	for i, p := range req.Parts {
		for _, f := range p.Facets {
			var e action.Effect
			var rule *action.RuleRef
			switch {
			case f.Kind == action.NetworkListen:
				e, rule = action.Deny, &action.RuleRef{Name: "Block listeners", Source: "p.yaml:3"}
			case strings.HasPrefix(string(f.Kind), "tool."), f.Kind == action.ShellOpaque:
				e = action.Deny
			case f.Kind == action.ShellExecute && f.Program == "rm":
				e, rule = action.Ask, &action.RuleRef{Name: "Ask before rm", Source: "p.yaml:9"}
			default:
				continue
			}
			if e.Rank() > d.Effect.Rank() {
				d = action.Decision{Effect: e, Rule: rule, Reason: "because " + string(f.Kind), Part: i, PolicyHash: "sha256:abc"}
				if e == action.Ask && strings.Contains(f.Command, " -rf /srv") {
					d.Approval = &action.ApprovalNeeds{Quorum: 2, Approvers: []string{"alice", "bob"}}
				}
			}
		}
	}
	return d, nil
}

func (g *fakeGate) last() *action.Request {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.seen) == 0 {
		return nil
	}
	return g.seen[len(g.seen)-1]
}

// fakeApprovals keeps approval requests in memory.
type fakeApprovals struct {
	mu   sync.Mutex
	recs map[string]Approval
	n    int
}

func (f *fakeApprovals) seams() *Approvals {
	f.recs = map[string]Approval{}
	return &Approvals{
		Submit: func(_ context.Context, req *action.Request, d action.Decision) (Approval, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.n++
			a := Approval{ID: fmt.Sprintf("ap%d", f.n), Status: "pending", Deadline: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
			f.recs[a.ID] = a
			return a, nil
		},
		Ask: func(_ context.Context, req *action.Request, d action.Decision) (action.Decision, error) {
			d.Effect, d.Reason = action.Allow, "approved by test: "+d.Reason
			return d, nil
		},
		Get: func(_ context.Context, id string) (Approval, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			a, ok := f.recs[id]
			if !ok {
				return Approval{}, ErrApprovalNotFound
			}
			return a, nil
		},
		Wait: func(_ context.Context, id string, _ time.Duration) (Approval, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			a, ok := f.recs[id]
			if !ok {
				return Approval{}, ErrApprovalNotFound
			}
			a.Status, a.Approver = "approved", "alice"
			f.recs[id] = a
			return a, nil
		},
	}
}

type logBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuf) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(&l.b, format+"\n", args...)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newTestHandler(t *testing.T, mod func(*Config)) (*Handler, *fakeGate, *logBuf) {
	t.Helper()
	g := &fakeGate{}
	logs := &logBuf{}
	c := Config{Decide: g.decide, Cwd: "/home/dev/project", Home: "/home/dev", Logf: logs.logf,
		Now: func() time.Time { return time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC) }}
	if mod != nil {
		mod(&c)
	}
	return New(c), g, logs
}

// do sends one request to h and returns the status and decoded body.
func do(t *testing.T, h http.Handler, method, path, body string, hdr ...string) (int, map[string]any, string) {
	t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i] == "Host" {
			r.Host = hdr[i+1]
			continue
		}
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	raw := w.Body.String()
	var m map[string]any
	if strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		if err := json.Unmarshal([]byte(raw), &m); err != nil {
			t.Fatalf("%s %s: body not JSON: %v: %q", method, path, err, raw)
		}
	}
	return w.Code, m, raw
}

// decisionOf digs result.decision out of a body.
func decisionOf(m map[string]any) string {
	res, _ := m["result"].(map[string]any)
	s, _ := res["decision"].(string)
	return s
}

func TestDecide(t *testing.T) {
	h, g, _ := newTestHandler(t, func(c *Config) { c.Approvals = (&fakeApprovals{}).seams() })
	tests := []struct {
		name, body string
		want       string
		rule       string
		kinds      []action.Kind // every facet kind the request must hold
	}{
		{"raw tool call", `{"agent":"claude","tool":"Bash","input":{"command":"python3 -m http.server 8080"},"cwd":"/p","session":"s1"}`,
			"deny", "Block listeners", []action.Kind{action.ShellExecute, action.NetworkListen}},
		{"command", `{"command":"ls -la"}`, "allow", "", []action.Kind{action.ShellExecute}},
		{"argv", `{"argv":["nc","-l","4444"]}`, "deny", "Block listeners", []action.Kind{action.NetworkListen}},
		{"ask", `{"command":"rm -rf build"}`, "ask", "Ask before rm", []action.Kind{action.ShellExecute}},
		{"action", `{"action":{"kind":"network.listen","port":8080}}`, "deny", "Block listeners", []action.Kind{action.NetworkListen}},
		{"action alias", `{"action":{"action":"file.read","path":"~/notes.txt"}}`, "allow", "", []action.Kind{action.FileRead}},
		{"OpenAI string arguments", `{"tool":"Bash","input":"{\"command\": \"nc -lvnp 4444\"}"}`, "deny", "Block listeners", []action.Kind{action.NetworkListen}},
		{"unknown tool", `{"tool":"delete_file","input":{"path":"/etc/passwd"}}`, "deny", "", []action.Kind{"tool.delete_file"}},
		{"mcp", `{"action":{"kind":"mcp.call","server":"db","tool":"run_query","arguments":{"sql":"select 1"}}}`, "allow", "", []action.Kind{action.MCPCall}},
		{"envelope", `{"input":{"agent":{"name":"langchain","version":"1.2.12","session_id":"thr-42"},
			"action":{"kind":"shell.execute","tool":"terminal","command":"rm -rf build","cwd":"/home/dev/project"},
			"context":{"tool_call_id":"call_1","user":"alice"},
			"raw":{"name":"terminal","arguments":{"command":"rm -rf build"}}}}`,
			"deny", "", []action.Kind{action.ShellExecute, "tool.terminal"}},
		{"envelope without raw", `{"input":{"agent":{"name":"langchain"},"action":{"kind":"shell.execute","command":"rm -rf build"}}}`,
			"ask", "Ask before rm", []action.Kind{action.ShellExecute}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, m, raw := do(t, h, "POST", "/v1/decide", tc.body)
			if code != 200 {
				t.Fatalf("status %d: %s", code, raw)
			}
			if got := decisionOf(m); got != tc.want {
				t.Errorf("decision %q, want %q: %s", got, tc.want, raw)
			}
			res := m["result"].(map[string]any)
			rule, _ := res["rule"].(string)
			if tc.rule != "" && rule != tc.rule {
				t.Errorf("rule %q, want %q", rule, tc.rule)
			}
			if tc.want == "allow" && m["message"] != nil {
				t.Errorf("allow carries a message: %v", m["message"])
			}
			if tc.want == "deny" && !strings.HasPrefix(fmt.Sprint(m["message"]), "Denied by safeclaw policy") {
				t.Errorf("deny message %v", m["message"])
			}
			req := g.last()
			for _, k := range tc.kinds {
				if !hasKind(req.Parts, k) {
					t.Errorf("request lacks %s: %+v", k, req.Parts)
				}
			}
			if req.Surface != "api" {
				t.Errorf("surface %q", req.Surface)
			}
		})
	}

	// The agent, session and tool call id travel.
	_, m, _ := do(t, h, "POST", "/v1/decide", `{"input":{"agent":{"name":"langchain","session_id":"thr-42"},"context":{"tool_call_id":"call_1"},"raw":{"name":"Read","arguments":{"file_path":"/etc/hostname"}}}}`)
	if req := g.last(); req.Agent != "langchain" || req.Session != "thr-42" || req.Parts[0].Facets[0].Path != "/etc/hostname" {
		t.Errorf("request %+v", req)
	}
	if m["tool_call_id"] != "call_1" {
		t.Errorf("tool_call_id %v", m["tool_call_id"])
	}
}

// TestSameCallTwice: a raw call and the same command beside it are one part.
func TestSameCallTwice(t *testing.T) {
	h, g, _ := newTestHandler(t, nil)
	_, m, raw := do(t, h, "POST", "/v1/decide", `{"tool":"Bash","input":{"command":"ls -la"},"command":"ls -la","cwd":"/home/dev/project"}`)
	if decisionOf(m) != "allow" || len(g.last().Parts) != 1 || g.last().Input != "ls -la" {
		t.Errorf("%s: parts %+v input %q", raw, g.last().Parts, g.last().Input)
	}
}

func TestDecideAskCarriesApproval(t *testing.T) {
	h, _, _ := newTestHandler(t, func(c *Config) { c.Approvals = (&fakeApprovals{}).seams() })
	_, m, raw := do(t, h, "POST", "/v1/decide", `{"command":"rm -rf build"}`)
	ask, _ := m["result"].(map[string]any)["ask"].(map[string]any)
	if ask["approval_id"] != "ap1" || ask["approval_url"] != "/v1/approvals/ap1" || ask["status"] != "pending" || ask["expires_at"] == nil {
		t.Fatalf("ask %v: %s", ask, raw)
	}
	if !strings.Contains(m["message"].(string), "safeclaw approvals approve ap1") {
		t.Errorf("message %q", m["message"])
	}
	if _, ok := ask["needs"]; ok {
		t.Errorf("a plain ask carries needs: %v", ask)
	}
	// An ask that needs two approvers says so.
	_, m, raw = do(t, h, "POST", "/v1/decide", `{"command":"rm -rf /srv/www"}`)
	ask, _ = m["result"].(map[string]any)["ask"].(map[string]any)
	if needs, _ := ask["needs"].(map[string]any); needs == nil || needs["quorum"] != 2.0 {
		t.Errorf("quorum ask %v: %s", ask, raw)
	}
	// A deny or allow has "ask": null.
	_, m, _ = do(t, h, "POST", "/v1/decide", `{"command":"ls"}`)
	if v, ok := m["result"].(map[string]any)["ask"]; !ok || v != nil {
		t.Errorf("ask on allow: %v %v", v, ok)
	}
	// With "wait", the ask is resolved by a person before the answer.
	_, m, raw = do(t, h, "POST", "/v1/decide", `{"command":"rm -rf build","wait":"30s"}`)
	if decisionOf(m) != "allow" {
		t.Errorf("wait: %s", raw)
	}
	// Without approvals, an ask has an empty ask object: nothing to wait on.
	h2, _, _ := newTestHandler(t, nil)
	_, m, _ = do(t, h2, "POST", "/v1/decide", `{"command":"rm -rf build","wait":"30s"}`)
	if decisionOf(m) != "ask" {
		t.Errorf("no approvals: %v", m)
	}
}

// TestDeclaredKindOnlyTightens: what the caller says about a call's kind
// never replaces what safeclaw finds (peers-and-gaps.md H27, R-7.1).
func TestDeclaredKindOnlyTightens(t *testing.T) {
	h, _, _ := newTestHandler(t, nil)
	tests := []struct {
		name, body string
		status     int
		want       string
	}{
		// A made-up "read" kind carrying rm: refused, never allowed.
		{"made-up kind", `{"action":{"kind":"shell.execute.read","command":"rm -rf /"}}`, 400, "deny"},
		// agent.internal is not believed: the tool is classified by its name.
		{"internal claim", `{"action":{"kind":"agent.internal","tool":"delete_everything"}}`, 200, "deny"},
		// A file.read label on a listener command: the command is analysed.
		{"read label on a listener", `{"action":{"kind":"file.read","path":"/tmp/x","command":"python3 -m http.server"}}`, 200, "deny"},
		// An allowed command with a declared listener: the declaration tightens.
		{"declared listener", `{"command":"ls","action":{"kind":"network.listen","port":8080}}`, 200, "deny"},
		{"declared listener on a tool", `{"tool":"Read","input":{"file_path":"/etc/hostname"},"action":{"kind":"network.listen"}}`, 400, "deny"},
		// A raw call of an unknown tool stays denied whatever the action says.
		{"raw unknown, declared read", `{"input":{"action":{"kind":"file.read","path":"/etc/passwd"},"raw":{"name":"delete_file","arguments":"{\"path\":\"/etc/passwd\"}"}}}`, 200, "deny"},
		// tool.<name> names a tool; it is classified like any raw call.
		{"tool kind", `{"action":{"kind":"tool.Bash","arguments":{"command":"nc -l 80"}}}`, 200, "deny"},
		{"tool kind disagrees", `{"action":{"kind":"tool.Bash","tool":"Read"}}`, 400, "deny"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, m, raw := do(t, h, "POST", "/v1/decide", tc.body)
			if code != tc.status || decisionOf(m) != tc.want {
				t.Errorf("got %d %q, want %d %q: %s", code, decisionOf(m), tc.status, tc.want, raw)
			}
		})
	}
}

func TestMalformedFailsClosed(t *testing.T) {
	h, g, _ := newTestHandler(t, func(c *Config) { c.MaxBody = 1 << 10 })
	tests := []struct {
		name, body, ctype string
		status            int
		msg               string
	}{
		{"not JSON", `{"command": "ls"`, "application/json", 400, "ends early"},
		{"syntax", `{"command": ls}`, "application/json", 400, "bad JSON at byte"},
		{"trailing", `{"command":"ls"} {"command":"rm -rf /"}`, "application/json", 400, "data after"},
		{"unknown member", `{"comand":"ls"}`, "application/json", 400, `unknown member "comand"`},
		// encoding/json would read a member in another case in place of the
		// exact one: the decision must not rest on the spelling a client ignores.
		{"two cwds", `{"action":{"kind":"file.write","path":"config","cwd":"/home/u/.aws"},"cwd":"/home/u/proj"}`, "application/json", 400, "differ"},
		{"member in another case", `{"command":"python3 -m http.server","Command":"ls"}`, "application/json", 400, `case-sensitive`},
		{"nested member in another case", `{"tool":"Bash","input":{"command":"nc -l 1"},"Input":{"command":"ls"}}`, "application/json", 400, `"Input"`},
		{"action member in another case", `{"action":{"kind":"file.write","path":"/etc/x","Path":"/tmp/x"}}`, "application/json", 400, `"Path"`},
		{"array", `[{"command":"ls"}]`, "application/json", 400, "must be a JSON object"},
		{"empty", ``, "application/json", 400, "empty body"},
		{"null", `null`, "application/json", 400, "must be a JSON object"},
		{"nothing to decide", `{"agent":"x"}`, "application/json", 400, "nothing to decide"},
		{"input without tool", `{"input":{"command":"ls"}}`, "application/json", 400, `needs "tool"`},
		{"empty command", `{"command":"  "}`, "application/json", 400, "is empty"},
		{"wrong type", `{"command":["ls"]}`, "application/json", 400, `"command" must be a string`},
		{"bad port", `{"action":{"kind":"network.listen","port":70000}}`, "application/json", 400, "out of range"},
		{"form post", `command=ls`, "application/x-www-form-urlencoded", 415, "Content-Type"},
		{"text post", `{"command":"ls"}`, "text/plain", 415, "Content-Type"},
		{"too large", `{"command":"` + strings.Repeat("a", 2<<10) + `"}`, "application/json", 413, "larger than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(g.seen)
			r := httptest.NewRequest("POST", "/v1/decide", strings.NewReader(tc.body))
			r.Header.Set("Content-Type", tc.ctype)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			var m map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
				t.Fatal(err)
			}
			if w.Code != tc.status || decisionOf(m) != "deny" || m["status"] != float64(tc.status) || !strings.Contains(m["message"].(string), tc.msg) {
				t.Errorf("got %d %s", w.Code, w.Body.String())
			}
			if len(g.seen) != before {
				t.Error("a malformed request reached the DecideFunc")
			}
		})
	}
}

func TestDecideErrorIsPublicSafe(t *testing.T) {
	h, g, logs := newTestHandler(t, nil)
	g.err = errors.New("audit: open /home/dev/.local/state/safeclaw/audit/seg-1: permission denied")
	code, m, raw := do(t, h, "POST", "/v1/decide", `{"command":"ls"}`)
	if code != 500 || decisionOf(m) != "deny" {
		t.Fatalf("%d %s", code, raw)
	}
	if strings.Contains(raw, "/home/dev/.local") || strings.Contains(raw, "permission denied") {
		t.Errorf("internal detail leaked: %s", raw)
	}
	if !strings.Contains(logs.String(), "permission denied") {
		t.Errorf("internal detail not logged: %q", logs.String())
	}
	// A panicking DecideFunc denies the same way.
	h2, _, _ := newTestHandler(t, func(c *Config) {
		c.Decide = func(context.Context, *action.Request) (action.Decision, error) { panic("boom") }
	})
	if code, m, _ := do(t, h2, "POST", "/v1/decide", `{"command":"ls"}`); code != 500 || decisionOf(m) != "deny" {
		t.Errorf("panic: %d %v", code, m)
	}
}

func TestAuthAndBrowserChecks(t *testing.T) {
	h, _, _ := newTestHandler(t, func(c *Config) { c.Token = "s3cret-token-0123456789abcdef"; c.CheckHost = true })
	body := `{"command":"ls"}`
	auth := "Bearer s3cret-token-0123456789abcdef"
	tests := []struct {
		name   string
		path   string
		hdr    []string
		status int
	}{
		{"no token", "/v1/decide", []string{"Host", "127.0.0.1:7878"}, 401},
		{"wrong token", "/v1/decide", []string{"Host", "127.0.0.1:7878", "Authorization", "Bearer nope"}, 401},
		{"token without Bearer", "/v1/decide", []string{"Host", "127.0.0.1:7878", "Authorization", "s3cret-token-0123456789abcdef"}, 401},
		{"token", "/v1/decide", []string{"Host", "127.0.0.1:7878", "Authorization", auth}, 200},
		{"localhost", "/v1/decide", []string{"Host", "localhost:7878", "Authorization", auth}, 200},
		{"ipv6", "/v1/decide", []string{"Host", "[::1]:7878", "Authorization", auth}, 200},
		{"rebinding host", "/v1/decide", []string{"Host", "attacker.example:7878", "Authorization", auth}, 403},
		{"rebinding host without port", "/v1/decide", []string{"Host", "evil.localhost.example", "Authorization", auth}, 403},
		{"origin", "/v1/decide", []string{"Host", "127.0.0.1:7878", "Authorization", auth, "Origin", "http://127.0.0.1:7878"}, 403},
		{"null origin", "/v1/decide", []string{"Host", "127.0.0.1:7878", "Authorization", auth, "Origin", "null"}, 403},
		{"fetch metadata", "/v1/decide", []string{"Host", "127.0.0.1:7878", "Authorization", auth, "Sec-Fetch-Site", "cross-site"}, 403},
		{"healthz without token", "/healthz", []string{"Host", "127.0.0.1:7878"}, 200},
		{"metrics needs token", "/metrics", []string{"Host", "127.0.0.1:7878"}, 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			method, b := "POST", body
			if tc.path != "/v1/decide" {
				method, b = "GET", ""
			}
			code, m, raw := do(t, h, method, tc.path, b, tc.hdr...)
			if code != tc.status {
				t.Fatalf("status %d, want %d: %s", code, tc.status, raw)
			}
			if code >= 400 && (decisionOf(m) != "deny" || m["message"] == "") {
				t.Errorf("refusal body %s", raw)
			}
		})
	}
	_, _, raw := do(t, h, "GET", "/metrics", "", "Host", "127.0.0.1:7878", "Authorization", auth)
	for _, want := range []string{`safeclaw_http_refused_total{reason="token"} 4`, `safeclaw_http_refused_total{reason="host"} 2`, `safeclaw_http_refused_total{reason="origin"} 3`} {
		if !strings.Contains(raw, want) {
			t.Errorf("metrics lack %s:\n%s", want, raw)
		}
	}
}

func TestRoutes(t *testing.T) {
	h, _, _ := newTestHandler(t, nil)
	if code, m, _ := do(t, h, "GET", "/v1/decide", ""); code != 405 || m["status"] != float64(405) {
		t.Errorf("GET decide: %d %v", code, m)
	}
	if code, _, _ := do(t, h, "GET", "/nope", ""); code != 404 {
		t.Errorf("unknown route: %d", code)
	}
	if code, m, _ := do(t, h, "GET", "/healthz", ""); code != 200 || m["status"] != "ok" {
		t.Errorf("healthz: %d %v", code, m)
	}
	if code, m, _ := do(t, h, "GET", "/v1/approvals/abc", ""); code != 404 || m["message"] != "approvals not available" {
		t.Errorf("approvals without store: %d %v", code, m)
	}
	if code, _, _ := do(t, h, "POST", "/v1/hook/windsurf", "{}"); code != 404 {
		t.Errorf("unknown agent: %d", code)
	}
}

func TestApprovalRoute(t *testing.T) {
	h, _, _ := newTestHandler(t, func(c *Config) { c.Approvals = (&fakeApprovals{}).seams() })
	_, m, _ := do(t, h, "POST", "/v1/decide", `{"command":"rm -rf build"}`)
	id := m["result"].(map[string]any)["ask"].(map[string]any)["approval_id"].(string)

	code, m, raw := do(t, h, "GET", "/v1/approvals/"+id, "")
	if code != 200 || m["status"] != "pending" || m["decision"] != "ask" || m["id"] != id {
		t.Errorf("get: %d %s", code, raw)
	}
	code, m, raw = do(t, h, "GET", "/v1/approvals/"+id+"?wait=10s", "")
	if code != 200 || m["status"] != "approved" || m["decision"] != "allow" || m["approver"] != "alice" {
		t.Errorf("wait: %d %s", code, raw)
	}
	if code, _, _ := do(t, h, "GET", "/v1/approvals/nope", ""); code != 404 {
		t.Errorf("unknown id: %d", code)
	}
	if code, _, _ := do(t, h, "GET", "/v1/approvals/..%2fetc", ""); code != 404 {
		t.Errorf("odd id: %d", code)
	}
	if code, _, _ := do(t, h, "GET", "/v1/approvals/"+id+"?wait=soon", ""); code != 400 {
		t.Errorf("bad wait: %d", code)
	}
}

func TestMetrics(t *testing.T) {
	h, _, _ := newTestHandler(t, nil)
	do(t, h, "POST", "/v1/decide", `{"command":"ls"}`)
	do(t, h, "POST", "/v1/decide", `{"command":"nc -l 4444"}`)
	do(t, h, "POST", "/v1/decide", `{"command":"rm -rf x"}`)
	do(t, h, "POST", "/v1/decide", `{`)
	h.CountReload(true)
	h.CountReload(false)
	_, _, raw := do(t, h, "GET", "/metrics", "")
	for _, want := range []string{
		`safeclaw_decisions_total{route="decide",effect="allow"} 1`,
		`safeclaw_decisions_total{route="decide",effect="deny"} 1`,
		`safeclaw_decisions_total{route="decide",effect="ask"} 1`,
		`safeclaw_decision_failures_total{route="decide"} 1`,
		`safeclaw_decision_duration_seconds_bucket{le="+Inf"} 4`,
		`safeclaw_decision_duration_seconds_count 4`,
		`safeclaw_policy_reloads_total{result="ok"} 1`,
		`safeclaw_policy_reloads_total{result="error"} 1`,
		`safeclaw_http_errors_total{code="400"} 1`,
		"# TYPE safeclaw_decision_duration_seconds histogram",
	} {
		if !strings.Contains(raw, want) {
			t.Errorf("metrics lack %q:\n%s", want, raw)
		}
	}
}

// hookPayloads are the hand-written payloads of package hook.
func hookPayloads(t *testing.T, prefix string) map[string][]byte {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join("..", "hook", "testdata", "payloads", prefix+"*.json"))
	if len(files) == 0 {
		t.Skip("no hook payloads")
	}
	out := map[string][]byte{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = data
	}
	return out
}

// TestHookRouteAnswersLikeTheCLI: the http hook body is exactly what
// `safeclaw hook claude` prints for the same payload and decision.
func TestHookRouteAnswersLikeTheCLI(t *testing.T) {
	for _, mode := range []hook.AskMode{hook.AskDefault, hook.AskDeny} {
		h, g, _ := newTestHandler(t, func(c *Config) { c.Hook.Ask = mode })
		for name, data := range hookPayloads(t, "claude.") {
			t.Run(string(mode)+"/"+name, func(t *testing.T) {
				var want, wantErr bytes.Buffer
				code := hook.Run(context.Background(), "claude", bytes.NewReader(data), &want, &wantErr, g.decide,
					hook.Options{Ask: mode, Cwd: "/home/dev/project", Home: "/home/dev", Now: h.c.Now})
				status, _, raw := do(t, h, "POST", "/v1/hook/claude", string(data))
				if status != 200 {
					t.Fatalf("status %d: %s", status, raw)
				}
				wantBody := want.String()
				if strings.TrimSpace(wantBody) == "" {
					wantBody = "{}\n"
				}
				if raw != wantBody {
					t.Errorf("body\n%s\nwant (exit %d)\n%s", raw, code, wantBody)
				}
			})
		}
	}
}

func TestHookRouteFailsClosed(t *testing.T) {
	h, g, logs := newTestHandler(t, nil)
	// Unreadable input: no event known, so a 400 the hook's onFailure blocks on.
	for _, body := range []string{`[]`, `{}`} {
		code, m, raw := do(t, h, "POST", "/v1/hook/claude", body)
		if code != 400 || decisionOf(m) != "deny" {
			t.Errorf("%q: %d %s", body, code, raw)
		}
	}
	// Unreadable input that still names its event: that event's deny JSON,
	// with 200 so Claude reads it (and tells the model why).
	truncated := `{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":`
	code, m, raw := do(t, h, "POST", "/v1/hook/claude", truncated)
	if out, _ := m["hookSpecificOutput"].(map[string]any); code != 200 || out["permissionDecision"] != "deny" {
		t.Errorf("%q: %d %s", truncated, code, raw)
	}
	// A known event whose decision fails: the deny JSON, with 200 so Claude reads it.
	g.err = errors.New("audit trail gone")
	payload := `{"session_id":"s","cwd":"/p","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"ls"},"tool_use_id":"t"}`
	code, m, raw = do(t, h, "POST", "/v1/hook/claude", payload)
	out, _ := m["hookSpecificOutput"].(map[string]any)
	if code != 200 || out["permissionDecision"] != "deny" {
		t.Errorf("decide error: %d %s", code, raw)
	}
	if !strings.Contains(logs.String(), "audit trail gone") {
		t.Errorf("not logged: %q", logs.String())
	}
	_, _, metrics := do(t, h, "GET", "/metrics", "")
	if !strings.Contains(metrics, `safeclaw_decision_failures_total{route="hook"} 4`) {
		t.Errorf("metrics:\n%s", metrics)
	}
}

func TestHookRouteAskUsesApprovals(t *testing.T) {
	fa := &fakeApprovals{}
	h, _, _ := newTestHandler(t, func(c *Config) { c.Approvals = fa.seams(); c.Hook.Ask = hook.AskDeny })
	payload := `{"session_id":"s","cwd":"/p","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"rm -rf build"},"tool_use_id":"t"}`
	_, m, raw := do(t, h, "POST", "/v1/hook/claude", payload)
	out, _ := m["hookSpecificOutput"].(map[string]any)
	if out["permissionDecision"] != "deny" || !strings.Contains(fmt.Sprint(out["permissionDecisionReason"]), "ap1") {
		t.Errorf("ask as deny with the approval id: %s", raw)
	}
	h2, _, _ := newTestHandler(t, func(c *Config) { c.Approvals = (&fakeApprovals{}).seams(); c.Hook.Ask = hook.AskWait })
	_, m, raw = do(t, h2, "POST", "/v1/hook/claude", payload)
	out, _ = m["hookSpecificOutput"].(map[string]any)
	if out["permissionDecision"] != "allow" {
		t.Errorf("ask with wait: %s", raw)
	}
}

func TestCheckListenAddr(t *testing.T) {
	tests := []struct {
		addr   string
		public bool
		want   string // "" = error
	}{
		{"127.0.0.1:7878", false, "127.0.0.1:7878"},
		{"localhost:7878", false, "127.0.0.1:7878"},
		{"[::1]:7878", false, "[::1]:7878"},
		{"127.0.0.2:0", false, "127.0.0.2:0"},
		{":7878", false, ""},
		{"0.0.0.0:7878", false, ""},
		{"[::]:7878", false, ""},
		{"192.168.1.5:7878", false, ""},
		{"example.com:7878", false, ""},
		{"127.0.0.1", false, ""},
		{"0.0.0.0:7878", true, "0.0.0.0:7878"},
		{"192.168.1.5:7878", true, "192.168.1.5:7878"},
		{"example.com:7878", true, ""},
	}
	for _, tc := range tests {
		got, err := CheckListenAddr(tc.addr, tc.public)
		if (err != nil) != (tc.want == "") || got != tc.want {
			t.Errorf("CheckListenAddr(%q, %v) = %q, %v; want %q", tc.addr, tc.public, got, err, tc.want)
		}
	}
}

func TestHostAllowed(t *testing.T) {
	for host, want := range map[string]bool{
		"127.0.0.1": true, "127.0.0.1:80": true, "localhost": true, "LOCALHOST:1": true, "[::1]:7878": true, "::1": true,
		"10.0.0.1:8": true, "": false, "example.com": false, "localhost.example.com:7878": false, "127.0.0.1.nip.io": false,
	} {
		if got := hostAllowed(host); got != want {
			t.Errorf("hostAllowed(%q) = %v", host, got)
		}
	}
}

// Handlers of one daemon (its socket and its TCP listener) share their
// counters: each /metrics shows the daemon's totals.
func TestMetricsShared(t *testing.T) {
	shared := NewMetrics()
	a, _, _ := newTestHandler(t, func(c *Config) { c.Metrics = shared })
	b, _, _ := newTestHandler(t, func(c *Config) { c.Metrics = shared })
	do(t, a, "POST", "/v1/decide", `{"command":"ls"}`)
	do(t, b, "POST", "/v1/decide", `{"command":"ls"}`)
	for _, h := range []*Handler{a, b} {
		_, _, raw := do(t, h, "GET", "/metrics", "")
		if !strings.Contains(raw, `safeclaw_decisions_total{route="decide",effect="allow"} 2`) {
			t.Errorf("metrics:\n%s", raw)
		}
	}
}

// TestAmbiguousBodiesRefused: a body that one JSON parser reads another way
// than the next is refused, never decided: a member twice (encoding/json
// reads the last, other parsers the first), a member in two cases (a Go
// struct reads either), invalid UTF-8 (read as U+FFFD, not the bytes that
// run), and a relative working directory (relative paths would be judged
// as relative paths, which no rule names).
func TestAmbiguousBodiesRefused(t *testing.T) {
	h, g, _ := newTestHandler(t, nil)
	tests := []struct{ name, body, msg string }{
		{"member twice", `{"command":"nc -l 1","command":"ls"}`, `member "command" appears twice in the body`},
		{"tool twice", `{"tool":"Bash","input":{"command":"nc -l 1"},"tool":"Read"}`, `member "tool" appears twice`},
		{"argument twice", `{"tool":"Bash","input":{"command":"nc -l 1","command":"ls"}}`, `member "command" appears twice in "input"`},
		{"argument twice, deeper", `{"tool":"mcp__db__q","input":{"q":[{"sql":"drop table t","sql":"select 1"}]}}`, `in "input.q[0]"`},
		{"argument in two cases", `{"tool":"Bash","input":{"command":"ls","COMMAND":"nc -l 1"}}`, `members "command" and "COMMAND" of "input" differ only in case`},
		{"Kelvin sign", "{\"tool\":\"mcp__gh__delete\",\"input\":{\"kind\":\"scratch\",\"\u212aind\":\"prod\"}}", `differ only in case`},
		{"action member twice", `{"action":{"kind":"shell.execute","command":"nc -l 1","command":"ls"}}`, `member "command" appears twice in "action"`},
		{"envelope member twice", `{"input":{"action":{"kind":"shell.execute","command":"nc -l 1"},"action":{"kind":"shell.execute","command":"ls"}}}`, `member "action" appears twice in "input"`},
		{"raw twice", `{"input":{"raw":{"name":"Bash","arguments":{"command":"nc -l 1"}},"raw":{"name":"Bash","arguments":{"command":"ls"}}}}`, `member "raw" appears twice`},
		{"agent name twice", `{"agent":{"name":"a","name":"b"},"command":"ls"}`, `member "name" appears twice in "agent"`},
		{"string arguments twice", `{"tool":"Bash","input":"{\"command\":\"nc -l 1\",\"command\":\"ls\"}"}`, `member "command" appears twice in "input"`},
		{"raw string arguments twice", `{"input":{"raw":{"name":"Bash","arguments":"{\"command\":\"nc -l 1\",\"command\":\"ls\"}"}}}`, `in "raw.arguments"`},
		{"action string arguments in two cases", `{"action":{"kind":"mcp.call","server":"gh","tool":"del","arguments":"{\"repo\":\"x\",\"Repo\":\"y\"}"}}`, `in the JSON string`},
		{"invalid UTF-8", "{\"command\":\"ls \xff\"}", "not valid UTF-8"},
		{"invalid UTF-8 in a name", "{\"tool\":\"Bash\",\"input\":{\"command\":\"ls\",\"comm\xffand\":\"x\"}}", "not valid UTF-8"},
		{"relative cwd", `{"cwd":"proj","tool":"Read","input":{"file_path":".ssh/id_rsa"}}`, `cwd "proj" is not an absolute path`},
		{"home cwd", `{"cwd":"~","tool":"Read","input":{"file_path":".ssh/id_rsa"}}`, `is not an absolute path`},
		{"relative action cwd", `{"action":{"kind":"file.read","path":".ssh/id_rsa","cwd":"."}}`, `action: cwd "." is not an absolute path`},
		{"NUL in cwd", `{"cwd":"/home/dev\u0000/x","command":"ls"}`, "NUL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(g.seen)
			code, m, raw := do(t, h, "POST", "/v1/decide", tc.body)
			if code != 400 || decisionOf(m) != "deny" || !strings.Contains(fmt.Sprint(m["message"]), tc.msg) {
				t.Errorf("got %d %s; want 400 saying %s", code, raw, tc.msg)
			}
			if len(g.seen) != before {
				t.Error("an ambiguous request reached the DecideFunc")
			}
		})
	}
	// The same names in different objects, arrays of like objects, and
	// absolute working directories are ordinary.
	for _, body := range []string{
		`{"tool":"mcp__db__q","input":{"a":{"name":"x"},"b":{"name":"y"},"rows":[{"id":1},{"id":2}]},"cwd":"/home/dev/project"}`,
		`{"tool":"Bash","input":"{\"command\":\"ls\",\"description\":\"list\"}","cwd":"/home/dev/project/"}`,
		`{"action":{"kind":"file.read","path":"notes.txt","cwd":"/home/dev/project"},"agent":{"name":"a","version":"1"}}`,
		`{"command":"printf 'h\u00e9llo \u2603'","wait":1e300}`,
	} {
		if code, m, raw := do(t, h, "POST", "/v1/decide", body); code != 200 || decisionOf(m) == "" {
			t.Errorf("%s: %d %s", body, code, raw)
		}
	}
}

// TestPendingApprovalsBounded: a client cannot flood the people who
// approve: past Approvals.MaxPending pending requests, an ask is answered
// without filing one (still ask, never allow), and says why; a request a
// person answered frees its place. The same call asked again takes one
// place. Waits (decide "wait", the hook route's wait mode) count too.
func TestPendingApprovalsBounded(t *testing.T) {
	fa := &fakeApprovals{}
	ap := fa.seams()
	ap.MaxPending = 3
	release := make(chan struct{})
	entered := make(chan struct{}, 8)
	ap.Ask = func(ctx context.Context, _ *action.Request, d action.Decision) (action.Decision, error) {
		entered <- struct{}{}
		select {
		case <-release:
		case <-ctx.Done():
		}
		d.Effect = action.Deny
		return d, nil
	}
	// The store gives the same call asked again its pending request.
	submit, byInput := ap.Submit, map[string]Approval{}
	ap.Submit = func(ctx context.Context, req *action.Request, d action.Decision) (Approval, error) {
		if a, ok := byInput[req.Input]; ok {
			return a, nil
		}
		a, err := submit(ctx, req, d)
		byInput[req.Input] = a
		return a, err
	}
	h, _, _ := newTestHandler(t, func(c *Config) { c.Approvals = ap })
	idOf := func(m map[string]any) string {
		ask, _ := m["result"].(map[string]any)["ask"].(map[string]any)
		id, _ := ask["approval_id"].(string)
		return id
	}
	for i := range 3 {
		_, m, raw := do(t, h, "POST", "/v1/decide", fmt.Sprintf(`{"command":"rm -rf build%d"}`, i))
		if decisionOf(m) != "ask" || idOf(m) == "" {
			t.Fatalf("ask %d: %s", i, raw)
		}
	}
	// The same call again takes no new place.
	if _, m, raw := do(t, h, "POST", "/v1/decide", `{"command":"rm -rf build1"}`); idOf(m) != "ap2" {
		t.Errorf("the same call again: %s", raw)
	}
	for i := range 20 {
		code, m, raw := do(t, h, "POST", "/v1/decide", fmt.Sprintf(`{"command":"rm -rf other%d"}`, i))
		if code != 200 || decisionOf(m) != "ask" || idOf(m) != "" {
			t.Fatalf("ask past the bound: %d %s", code, raw)
		}
		if !strings.Contains(fmt.Sprint(m["message"]), "No approval request was filed: 3 are waiting") {
			t.Errorf("message %q", m["message"])
		}
		if notes := fmt.Sprint(m["result"].(map[string]any)["notes"]); !strings.Contains(notes, "no approval request was filed") {
			t.Errorf("notes %s", notes)
		}
	}
	if len(fa.recs) != 3 {
		t.Errorf("%d approval requests filed, want 3", len(fa.recs))
	}
	// A decide that waits is answered at once, not held.
	code, m, raw := do(t, h, "POST", "/v1/decide", `{"command":"rm -rf waited","wait":"60s"}`)
	if code != 200 || decisionOf(m) != "ask" || !strings.Contains(raw, "no approval request was filed") {
		t.Errorf("wait past the bound: %d %s", code, raw)
	}
	// A person answers one: its place is free again.
	fa.mu.Lock()
	a := fa.recs["ap2"]
	a.Status = "denied"
	fa.recs["ap2"] = a
	fa.mu.Unlock()
	if _, m, raw := do(t, h, "POST", "/v1/decide", `{"command":"rm -rf next"}`); idOf(m) != "ap4" {
		t.Errorf("after an answer: %s", raw)
	}

	// Waits in flight take places too: with two places, two waits; the
	// third gets its answer at once.
	fa2 := &fakeApprovals{}
	ap2 := fa2.seams()
	ap2.MaxPending = 2
	ap2.Ask = ap.Ask
	h2, _, _ := newTestHandler(t, func(c *Config) { c.Approvals = ap2 })
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := httptest.NewRequest("POST", "/v1/decide", strings.NewReader(fmt.Sprintf(`{"command":"rm -rf w%d","wait":"60s"}`, i)))
			r.Header.Set("Content-Type", "application/json")
			h2.ServeHTTP(httptest.NewRecorder(), r)
		}()
	}
	<-entered
	<-entered
	if _, m, raw := do(t, h2, "POST", "/v1/decide", `{"command":"rm -rf w3","wait":"60s"}`); decisionOf(m) != "ask" || !strings.Contains(raw, "no approval request was filed") {
		t.Errorf("third wait: %s", raw)
	}
	// The hook route's wait mode is bounded by the same places: it denies.
	h2.c.Hook.Ask = hook.AskWait
	payload := `{"session_id":"s","cwd":"/home/dev/project","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"rm -rf w4"}}`
	if code, _, raw := do(t, h2, "POST", "/v1/hook/claude", payload); code != 200 || !strings.Contains(raw, `"permissionDecision":"deny"`) {
		t.Errorf("hook wait past the bound: %d %s", code, raw)
	}
	close(release)
	wg.Wait()
	if _, m, raw := do(t, h2, "POST", "/v1/decide", `{"command":"rm -rf w5","wait":"60s"}`); decisionOf(m) != "deny" || strings.Contains(raw, "no approval request was filed") {
		t.Errorf("after the waits ended: %s", raw)
	}
}
