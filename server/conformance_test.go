package server

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/safeclaw/safeclaw/action"
)

// The tests in this file drive the API over real HTTP (httptest.NewServer
// listens on 127.0.0.1 on a free port) unless they test a helper directly.

const testToken = "s3cret-token-0123456789abcdef"

// tcpServer serves h on 127.0.0.1 until the test ends.
func tcpServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// noRedirects is a client that reports redirects instead of following them.
var noRedirects = &http.Client{Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
	return http.ErrUseLastResponse
}}

// send makes one request; hdr is name, value pairs ("Host" sets the Host).
func send(t *testing.T, c *http.Client, method, url, body string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i] == "Host" {
			req.Host = hdr[i+1]
			continue
		}
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, data
}

// assertDenyError checks an error answer: JSON {status, message, result:
// {decision: deny}} with the response's status.
func assertDenyError(t *testing.T, what string, resp *http.Response, data []byte) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Errorf("%s: %d with a body that is not JSON (%v): %q", what, resp.StatusCode, err, data)
		return
	}
	if m["status"] != float64(resp.StatusCode) || fmt.Sprint(m["message"]) == "" || decisionOf(m) != "deny" {
		t.Errorf("%s: %d %s: want an error body that says deny", what, resp.StatusCode, data)
	}
}

// TestActionToolIsClassified: an action names the agent's tool and its
// arguments; that call is classified whatever kind the caller declares, so
// a file.read label cannot carry a Bash command past the policy.
func TestActionToolIsClassified(t *testing.T) {
	h, g, _ := newTestHandler(t, nil)
	srv := tcpServer(t, h)
	listener := `"tool":"Bash","arguments":{"command":"nc -l 4444"}`
	tests := []struct {
		name, action string
		status       int
		want         string
		kinds        []action.Kind
	}{
		{"file.read", `{"kind":"file.read","path":"/tmp/x",` + listener + `}`, 200, "deny", []action.Kind{action.FileRead, action.NetworkListen}},
		{"file.write", `{"kind":"file.write","path":"/tmp/x",` + listener + `}`, 200, "deny", []action.Kind{action.FileWrite, action.NetworkListen}},
		{"http.request", `{"kind":"http.request","url":"https://x.example/",` + listener + `}`, 200, "deny", []action.Kind{action.HTTPRequest, action.NetworkListen}},
		{"web.search", `{"kind":"web.search","query":"q",` + listener + `}`, 200, "deny", []action.Kind{action.WebSearch, action.NetworkListen}},
		{"network.connect", `{"kind":"network.connect","host":"github.com","port":443,` + listener + `}`, 200, "deny", []action.Kind{action.NetworkConnect, action.NetworkListen}},
		{"mcp.read", `{"kind":"mcp.read","server":"s","uri":"x",` + listener + `}`, 200, "deny", []action.Kind{action.MCPRead, action.NetworkListen}},
		{"mcp.prompt", `{"kind":"mcp.prompt","server":"s","name":"n","tool":"Bash","args":{"command":"nc -l 4444"}}`, 200, "deny", []action.Kind{action.MCPPrompt, action.NetworkListen}},
		{"agent.spawn", `{"kind":"agent.spawn","type":"general",` + listener + `}`, 200, "deny", []action.Kind{action.AgentSpawn, action.NetworkListen}},
		{"shell.execute", `{"kind":"shell.execute","command":"ls",` + listener + `}`, 200, "deny", []action.Kind{action.ShellExecute, action.NetworkListen}},
		// A tool named without arguments is classified from the action's
		// fields: an unknown tool stays unknown (denied by default).
		{"unknown tool, no arguments", `{"kind":"file.read","path":"/tmp/x","tool":"delete_database"}`, 200, "deny", []action.Kind{action.FileRead, "tool.delete_database"}},
		{"§8 tool name", `{"kind":"shell.execute","tool":"terminal","command":"ls"}`, 200, "deny", []action.Kind{action.ShellExecute, "tool.terminal"}},
		// The tool the kind implies is the same call, decided once.
		{"same tool", `{"kind":"file.read","path":"/tmp/x","tool":"Read"}`, 200, "allow", []action.Kind{action.FileRead}},
		{"same shell tool", `{"kind":"shell.execute","command":"ls","tool":"Bash"}`, 200, "allow", []action.Kind{action.ShellExecute}},
		// Arguments without the tool they belong to cannot be classified.
		{"arguments without tool", `{"kind":"file.read","path":"/tmp/x","arguments":{"command":"nc -l 4444"}}`, 400, "deny", nil},
		{"tool.call arguments beside a command", `{"kind":"tool.call","command":"ls","arguments":{"command":"nc -l 4444"}}`, 400, "deny", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(g.seen)
			resp, data := send(t, srv.Client(), "POST", srv.URL+"/v1/decide", `{"action":`+tc.action+`}`, "Content-Type", "application/json")
			var m map[string]any
			_ = json.Unmarshal(data, &m)
			if resp.StatusCode != tc.status || decisionOf(m) != tc.want {
				t.Fatalf("got %d %q, want %d %q: %s", resp.StatusCode, decisionOf(m), tc.status, tc.want, data)
			}
			if tc.status != 200 {
				if len(g.seen) != before {
					t.Error("a refused body reached the DecideFunc")
				}
				return
			}
			req := g.last()
			for _, k := range tc.kinds {
				if !hasKind(req.Parts, k) {
					t.Errorf("request lacks %s: %+v", k, req.Parts)
				}
			}
			if tc.want == "allow" && len(req.Parts) != 1 {
				t.Errorf("the same call twice: %+v", req.Parts)
			}
		})
	}
}

// TestActionFieldsBelongToKind: a field the declared kind does not use
// would be ignored, so that the decision would not cover what the caller
// described; it is refused instead.
func TestActionFieldsBelongToKind(t *testing.T) {
	h, g, _ := newTestHandler(t, nil)
	srv := tcpServer(t, h)
	for _, tc := range []struct{ action, field string }{
		{`{"kind":"network.connect","host":"github.com","port":443,"path":"/etc/shadow"}`, `"path"`},
		{`{"kind":"file.read","path":"/tmp/x","url":"https://evil.example/x"}`, `"url"`},
		{`{"kind":"shell.execute","command":"ls","host":"evil.example"}`, `"host"`},
		{`{"kind":"http.request","url":"https://x.example/","uri":"file:///etc/shadow"}`, `"uri"`},
		{`{"kind":"agent.spawn","type":"t","query":"q"}`, `"query"`},
		{`{"kind":"mcp.read","server":"s","uri":"x","name":"n"}`, `"name"`},
		{`{"kind":"web.search","query":"q","port":22}`, `"port"`},
		{`{"kind":"file.delete","path":"/tmp/x","program":"rm"}`, `"program"`},
	} {
		before := len(g.seen)
		resp, data := send(t, srv.Client(), "POST", srv.URL+"/v1/decide", `{"action":`+tc.action+`}`, "Content-Type", "application/json")
		var m map[string]any
		_ = json.Unmarshal(data, &m)
		if msg, _ := m["message"].(string); resp.StatusCode != 400 || !strings.Contains(msg, tc.field+" is not a field of") {
			t.Errorf("%s: %d %s", tc.action, resp.StatusCode, data)
		}
		assertDenyError(t, tc.action, resp, data)
		if len(g.seen) != before {
			t.Errorf("%s reached the DecideFunc", tc.action)
		}
	}
	// The fields of each kind are accepted.
	for _, a := range []string{
		`{"kind":"http.request","url":"https://x.example/","method":"POST"}`,
		`{"kind":"network.connect","host":"github.com","port":443,"proto":"tcp","program":"git"}`,
		`{"kind":"mcp.call","server":"db","server_source":"user","tool":"q","arguments":{}}`,
		`{"kind":"mcp.prompt","server":"db","name":"p","arguments":{}}`,
		`{"kind":"agent.spawn","type":"general","prompt":"p","cwd":"/tmp"}`,
	} {
		if resp, data := send(t, srv.Client(), "POST", srv.URL+"/v1/decide", `{"action":`+a+`}`, "Content-Type", "application/json"); resp.StatusCode != 200 {
			t.Errorf("%s: %d %s", a, resp.StatusCode, data)
		}
	}
	// mcp_server describes the raw tool call's server; alone it says nothing.
	if resp, data := send(t, srv.Client(), "POST", srv.URL+"/v1/decide", `{"command":"ls","mcp_server":{"name":"db"}}`, "Content-Type", "application/json"); resp.StatusCode != 400 {
		t.Errorf("mcp_server without tool: %d %s", resp.StatusCode, data)
	}
}

// TestBodiesOverHTTP: content types, huge bodies (with and without a
// length), and what reaches the DecideFunc.
func TestBodiesOverHTTP(t *testing.T) {
	h, g, _ := newTestHandler(t, nil)
	srv := tcpServer(t, h)
	post := func(ct, body string) (*http.Response, []byte) {
		var hdr []string
		if ct != "" {
			hdr = []string{"Content-Type", ct}
		}
		return send(t, srv.Client(), "POST", srv.URL+"/v1/decide", body, hdr...)
	}
	for _, ct := range []string{"application/json", "application/json; charset=utf-8", "Application/JSON", "application/vnd.safeclaw+json"} {
		if resp, data := post(ct, `{"command":"ls"}`); resp.StatusCode != 200 {
			t.Errorf("Content-Type %q: %d %s", ct, resp.StatusCode, data)
		}
	}
	for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json-seq", "bogus;;"} {
		before := len(g.seen)
		resp, data := post(ct, `{"command":"ls"}`)
		if resp.StatusCode != 415 {
			t.Errorf("Content-Type %q: %d %s", ct, resp.StatusCode, data)
		}
		assertDenyError(t, "Content-Type "+ct, resp, data)
		if len(g.seen) != before {
			t.Errorf("Content-Type %q reached the DecideFunc", ct)
		}
	}
	// The hook route reads its body the same way.
	resp, data := send(t, srv.Client(), "POST", srv.URL+"/v1/hook/claude", `{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"ls"}}`)
	if resp.StatusCode != 415 {
		t.Errorf("hook without Content-Type: %d %s", resp.StatusCode, data)
	}

	// Over the default bound (4 MiB): 413, whether the length is declared or
	// the body is chunked.
	huge := `{"command":"` + strings.Repeat("a", MaxBody) + `"}`
	resp, data = post("application/json", huge)
	if resp.StatusCode != 413 {
		t.Errorf("huge body: %d %.200s", resp.StatusCode, data)
	}
	assertDenyError(t, "huge body", resp, data)
	req, _ := http.NewRequest("POST", srv.URL+"/v1/decide", io.MultiReader(strings.NewReader(huge)))
	req.Header.Set("Content-Type", "application/json")
	req.ContentLength = -1 // chunked
	if r, err := srv.Client().Do(req); err != nil {
		t.Errorf("chunked huge body: %v", err)
	} else {
		data, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if r.StatusCode != 413 {
			t.Errorf("chunked huge body: %d %.200s", r.StatusCode, data)
		}
	}
	// Just under the bound is read.
	ok := `{"command":"ls` + strings.Repeat(" ", MaxBody-20) + `"}`
	if resp, data := post("application/json", ok); resp.StatusCode != 200 {
		t.Errorf("body under the bound: %d %.200s", resp.StatusCode, data)
	}
}

// TestErrorsAlwaysDeny: every error answer, on every route, is JSON that
// says deny; nothing redirects.
func TestErrorsAlwaysDeny(t *testing.T) {
	h, _, _ := newTestHandler(t, func(c *Config) { c.Approvals = (&fakeApprovals{}).seams() })
	srv := tcpServer(t, h)
	tests := []struct {
		method, path string
		status       int
	}{
		{"GET", "/v1/decide", 405},
		{"PUT", "/v1/decide", 405},
		{"DELETE", "/v1/decide", 405},
		{"OPTIONS", "/v1/decide", 405},
		{"GET", "/v1/hook/claude", 405},
		{"POST", "/v1/hook/windsurf", 404},
		{"POST", "/v1/decide/", 404},
		{"POST", "//v1/decide", 404},
		{"POST", "/v1/./decide", 404},
		{"POST", "/v1/x/../decide", 404},
		{"POST", "/v1/hook//claude", 404},
		{"POST", "/v1/decid", 404},
		{"POST", "/healthz", 405},
		{"GET", "/v1/approvals/nope", 404},
		{"GET", "/v1/approvals/a?wait=never", 400},
	}
	for _, tc := range tests {
		resp, data := send(t, noRedirects, tc.method, srv.URL+tc.path, `{"command":"ls"}`, "Content-Type", "application/json")
		what := tc.method + " " + tc.path
		if resp.StatusCode != tc.status {
			t.Errorf("%s: %d, want %d: %q (Location %q)", what, resp.StatusCode, tc.status, data, resp.Header.Get("Location"))
			continue
		}
		assertDenyError(t, what, resp, data)
	}
}

// TestTokenAndHostOverTCP: the bearer token (scheme case-insensitive, RFC
// 9110 §11.1), the Host check and browser refusals on a real TCP server.
func TestTokenAndHostOverTCP(t *testing.T) {
	h, g, _ := newTestHandler(t, func(c *Config) { c.Token = testToken; c.CheckHost = true })
	srv := tcpServer(t, h)
	port := srv.Listener.Addr().(interface{ String() string }).String()
	port = port[strings.LastIndexByte(port, ':')+1:]
	tests := []struct {
		name   string
		hdr    []string
		status int
	}{
		{"token", []string{"Authorization", "Bearer " + testToken}, 200},
		{"lower-case scheme", []string{"Authorization", "bearer " + testToken}, 200},
		{"upper-case scheme", []string{"Authorization", "BEARER " + testToken}, 200},
		{"no token", nil, 401},
		{"empty token", []string{"Authorization", "Bearer "}, 401},
		{"basic", []string{"Authorization", "Basic " + testToken}, 401},
		{"prefix of the token", []string{"Authorization", "Bearer " + testToken[:10]}, 401},
		{"token plus more", []string{"Authorization", "Bearer " + testToken + "x"}, 401},
		{"token as two words", []string{"Authorization", "Bearer " + testToken + " " + testToken}, 401},
		{"localhost", []string{"Authorization", "Bearer " + testToken, "Host", "localhost:" + port}, 200},
		{"::1", []string{"Authorization", "Bearer " + testToken, "Host", "[::1]:" + port}, 200},
		{"rebound name", []string{"Authorization", "Bearer " + testToken, "Host", "attacker.example:" + port}, 403},
		{"localhost lookalike", []string{"Authorization", "Bearer " + testToken, "Host", "localhost.attacker.example:" + port}, 403},
		{"nip.io", []string{"Authorization", "Bearer " + testToken, "Host", "127.0.0.1.nip.io:" + port}, 403},
		{"origin", []string{"Authorization", "Bearer " + testToken, "Origin", "http://localhost:" + port}, 403},
		{"origin null", []string{"Authorization", "Bearer " + testToken, "Origin", "null"}, 403},
		{"origin empty", []string{"Authorization", "Bearer " + testToken, "Origin", ""}, 403},
		{"fetch same-origin", []string{"Authorization", "Bearer " + testToken, "Sec-Fetch-Site", "same-origin"}, 403},
	}
	for _, tc := range tests {
		before := len(g.seen)
		hdr := append([]string{"Content-Type", "application/json"}, tc.hdr...)
		resp, data := send(t, srv.Client(), "POST", srv.URL+"/v1/decide", `{"command":"ls"}`, hdr...)
		if resp.StatusCode != tc.status {
			t.Errorf("%s: %d, want %d: %s", tc.name, resp.StatusCode, tc.status, data)
			continue
		}
		if tc.status != 200 {
			assertDenyError(t, tc.name, resp, data)
			if len(g.seen) != before {
				t.Errorf("%s reached the DecideFunc", tc.name)
			}
		}
		if tc.status == 401 && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s: WWW-Authenticate %q", tc.name, resp.Header.Get("WWW-Authenticate"))
		}
	}
}

// TestWaitBounds: waits larger than a Duration holds are capped at MaxWait,
// never wrapped into negative (or tiny) durations.
func TestWaitBounds(t *testing.T) {
	for _, raw := range []string{`1e300`, `1e10`, `"99999999999999"`, `9223372036.9`} {
		d, err := waitOf(json.RawMessage(raw))
		if err != nil || d < MaxWait {
			t.Errorf("waitOf(%s) = %v, %v; want at least %v", raw, d, err, MaxWait)
		}
	}
	for _, s := range []string{"99999999999999", "9223372037"} {
		d, err := parseWait(s)
		if err != nil || d < MaxWait {
			t.Errorf("parseWait(%q) = %v, %v; want at least %v", s, d, err, MaxWait)
		}
	}
	for _, s := range []string{"-1", "-1s", "soon", "1e3", ""} {
		if _, err := parseWait(s); err == nil {
			t.Errorf("parseWait(%q) accepted", s)
		}
	}

	// Over HTTP: a decide whose wait overflows still waits (at most MaxWait).
	var mu sync.Mutex
	var asked []time.Duration
	ap := (&fakeApprovals{}).seams()
	ap.Ask = func(ctx context.Context, _ *action.Request, d action.Decision) (action.Decision, error) {
		dl, ok := ctx.Deadline()
		mu.Lock()
		if ok {
			asked = append(asked, time.Until(dl))
		} else {
			asked = append(asked, -1)
		}
		mu.Unlock()
		d.Effect = action.Deny
		return d, nil
	}
	var waited []time.Duration
	ap.Wait = func(_ context.Context, id string, timeout time.Duration) (Approval, error) {
		mu.Lock()
		waited = append(waited, timeout)
		mu.Unlock()
		return Approval{ID: id, Status: "pending"}, nil
	}
	h, _, _ := newTestHandler(t, func(c *Config) { c.Approvals = ap })
	srv := tcpServer(t, h)
	resp, data := send(t, srv.Client(), "POST", srv.URL+"/v1/decide", `{"command":"rm -rf build","wait":1e300}`, "Content-Type", "application/json")
	var m map[string]any
	_ = json.Unmarshal(data, &m)
	if resp.StatusCode != 200 || decisionOf(m) != "deny" {
		t.Errorf("huge wait: %d %s", resp.StatusCode, data)
	}
	if len(asked) != 1 || asked[0] <= 0 || asked[0] > MaxWait {
		t.Errorf("the wait for a person got deadlines %v; want one in (0, %v]", asked, MaxWait)
	}
	for _, q := range []string{"99999999999999", "10m", "3"} {
		resp, data := send(t, srv.Client(), "GET", srv.URL+"/v1/approvals/ap1?wait="+q, "")
		if resp.StatusCode != 200 {
			t.Errorf("wait=%s: %d %s", q, resp.StatusCode, data)
		}
	}
	if want := []time.Duration{MaxWait, MaxWait, 3 * time.Second}; !slices.Equal(waited, want) {
		t.Errorf("long polls waited %v, want %v", waited, want)
	}
}

// TestApprovalLongPoll: the long poll ends when the client goes away, and
// answers the state it has when the wait ends.
func TestApprovalLongPoll(t *testing.T) {
	ap := (&fakeApprovals{}).seams()
	entered := make(chan struct{}, 1)
	cancelled := make(chan error, 1)
	ap.Wait = func(ctx context.Context, id string, timeout time.Duration) (Approval, error) {
		if id == "slow" {
			entered <- struct{}{}
			select {
			case <-ctx.Done():
				cancelled <- ctx.Err()
			case <-time.After(30 * time.Second):
				cancelled <- errors.New("the wait outlived its client")
			}
			return Approval{ID: id, Status: "pending"}, nil
		}
		return Approval{ID: id, Status: "pending"}, nil
	}
	h, _, _ := newTestHandler(t, func(c *Config) { c.Approvals = ap })
	srv := tcpServer(t, h)

	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/v1/approvals/slow?wait=60s", nil)
	done := make(chan error, 1)
	go func() {
		resp, err := srv.Client().Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	<-entered
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("client: %v", err)
	}
	if err := <-cancelled; !errors.Is(err, context.Canceled) {
		t.Errorf("server side: %v", err)
	}

	// A wait that ends with the request still pending answers "ask".
	resp, data := send(t, srv.Client(), "GET", srv.URL+"/v1/approvals/quick?wait=1", "")
	var m map[string]any
	_ = json.Unmarshal(data, &m)
	if resp.StatusCode != 200 || m["status"] != "pending" || m["decision"] != "ask" {
		t.Errorf("pending after the wait: %d %s", resp.StatusCode, data)
	}
}

// TestNoRouteApproves: an agent's credential (the bearer token) can read an
// approval request but never answer it (I11, R-11.2): every write method
// is refused and the request stays pending.
func TestNoRouteApproves(t *testing.T) {
	fa := &fakeApprovals{}
	ap := fa.seams()
	ap.Wait = nil // plain reads only, so that nothing here changes a record
	h, _, _ := newTestHandler(t, func(c *Config) { c.Approvals = ap; c.Token = testToken; c.CheckHost = true })
	srv := tcpServer(t, h)
	auth := []string{"Authorization", "Bearer " + testToken, "Content-Type", "application/json"}
	resp, data := send(t, srv.Client(), "POST", srv.URL+"/v1/decide", `{"command":"rm -rf build"}`, auth...)
	var m map[string]any
	_ = json.Unmarshal(data, &m)
	ask, _ := m["result"].(map[string]any)["ask"].(map[string]any)
	id, _ := ask["approval_id"].(string)
	if resp.StatusCode != 200 || id == "" {
		t.Fatalf("no approval id: %d %s", resp.StatusCode, data)
	}
	bodies := []string{`{"approve":true,"by":"alice","scope":"once"}`, `{"status":"approved"}`, `{"decision":"allow"}`}
	for _, method := range []string{"POST", "PUT", "PATCH", "DELETE"} {
		for _, path := range []string{"/v1/approvals/" + id, "/v1/approvals/" + id + "/approve", "/v1/approvals", "/v1/decisions/" + id} {
			for _, body := range bodies {
				resp, data := send(t, srv.Client(), method, srv.URL+path, body, auth...)
				if resp.StatusCode != 404 && resp.StatusCode != 405 {
					t.Errorf("%s %s: %d %s", method, path, resp.StatusCode, data)
				}
				assertDenyError(t, method+" "+path, resp, data)
			}
		}
	}
	// A decide body cannot say who approves.
	for _, body := range []string{`{"command":"rm -rf build","approve":true}`, `{"command":"rm -rf build","approval_id":"` + id + `"}`} {
		if resp, data := send(t, srv.Client(), "POST", srv.URL+"/v1/decide", body, auth...); resp.StatusCode != 400 {
			t.Errorf("%s: %d %s", body, resp.StatusCode, data)
		}
	}
	resp, data = send(t, srv.Client(), "GET", srv.URL+"/v1/approvals/"+id+"?wait=1", "", auth...)
	m = nil
	_ = json.Unmarshal(data, &m)
	if m["status"] != "pending" || m["decision"] != "ask" || m["approver"] != nil {
		t.Errorf("after the attempts: %d %s", resp.StatusCode, data)
	}
	if fa.recs[id].Status != "pending" {
		t.Errorf("record %+v", fa.recs[id])
	}
}

// TestMetricsExposition: /metrics is valid Prometheus text exposition
// format (HELP and TYPE before each family's samples, legal names, label
// values escaped as the format says, histogram buckets cumulative).
func TestMetricsExposition(t *testing.T) {
	h, _, _ := newTestHandler(t, nil)
	srv := tcpServer(t, h)
	for _, body := range []string{`{"command":"ls"}`, `{"command":"nc -l 1"}`, `{"command":"rm -rf x"}`, `{`} {
		send(t, srv.Client(), "POST", srv.URL+"/v1/decide", body, "Content-Type", "application/json")
	}
	send(t, srv.Client(), "GET", srv.URL+"/v1/decide", "")
	h.CountReload(true)
	// Labels made from odd text must still be escaped as the format says.
	h.metrics.refused("tab\there \"quoted\" back\\slash\nnewline é")
	resp, data := send(t, srv.Client(), "GET", srv.URL+"/metrics", "")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("%d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if err := checkExposition(string(data)); err != nil {
		t.Errorf("%v\n%s", err, data)
	}
	if !strings.Contains(string(data), `safeclaw_http_refused_total{reason="tab`+"\t"+`here \"quoted\" back\\slash\nnewline é"} 1`) {
		t.Errorf("label not escaped as the format says:\n%s", data)
	}
	if resp, data := send(t, srv.Client(), "HEAD", srv.URL+"/metrics", ""); resp.StatusCode != 200 || len(data) != 0 {
		t.Errorf("HEAD: %d %q", resp.StatusCode, data)
	}
}

func TestEscapeLabel(t *testing.T) {
	for in, want := range map[string]string{
		"plain": "plain", `a"b`: `a\"b`, `a\b`: `a\\b`, "a\nb": `a\nb`, "a\tb": "a\tb", "é": "é",
	} {
		if got := escapeLabel(in); got != want {
			t.Errorf("escapeLabel(%q) = %q, want %q", in, got, want)
		}
	}
}

var (
	metricName  = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	sampleLine  = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$`)
	labelPair   = regexp.MustCompile(`^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)`)
	metricTypes = map[string]bool{"counter": true, "gauge": true, "histogram": true, "summary": true, "untyped": true}
)

// checkExposition validates text against the Prometheus text format.
func checkExposition(text string) error {
	if !strings.HasSuffix(text, "\n") {
		return errors.New("does not end with a newline")
	}
	help, typ := map[string]bool{}, map[string]string{}
	seenSamples := map[string]bool{}
	var lastFamily string
	type bucket struct {
		le    float64
		count float64
	}
	buckets := map[string][]bucket{}
	counts := map[string]float64{}
	for i, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		n := i + 1
		switch {
		case strings.HasPrefix(line, "# HELP "):
			name, doc, _ := strings.Cut(strings.TrimPrefix(line, "# HELP "), " ")
			if !metricName.MatchString(name) || help[name] || seenSamples[name] {
				return fmt.Errorf("line %d: bad or repeated HELP for %q", n, name)
			}
			if strings.ContainsRune(doc, '\\') && !regexp.MustCompile(`^(?:[^\\]|\\[\\n])*$`).MatchString(doc) {
				return fmt.Errorf("line %d: bad escape in HELP", n)
			}
			help[name] = true
		case strings.HasPrefix(line, "# TYPE "):
			f := strings.Fields(strings.TrimPrefix(line, "# TYPE "))
			if len(f) != 2 || !metricName.MatchString(f[0]) || !metricTypes[f[1]] || typ[f[0]] != "" || seenSamples[f[0]] {
				return fmt.Errorf("line %d: bad TYPE line %q", n, line)
			}
			typ[f[0]] = f[1]
		case strings.HasPrefix(line, "#") || line == "":
			return fmt.Errorf("line %d: unexpected line %q", n, line)
		default:
			m := sampleLine.FindStringSubmatch(line)
			if m == nil {
				return fmt.Errorf("line %d: not a sample: %q", n, line)
			}
			name, labels, value := m[1], m[3], m[4]
			v, err := strconv.ParseFloat(value, 64)
			if err != nil {
				return fmt.Errorf("line %d: value %q", n, value)
			}
			family := name
			for _, suf := range []string{"_bucket", "_sum", "_count"} {
				if base, ok := strings.CutSuffix(name, suf); ok && typ[base] == "histogram" {
					family = base
				}
			}
			if !help[family] || typ[family] == "" {
				return fmt.Errorf("line %d: %s has no HELP or TYPE before its samples", n, family)
			}
			if seenSamples[family] && lastFamily != family {
				return fmt.Errorf("line %d: samples of %s are not together", n, family)
			}
			seenSamples[family], lastFamily = true, family
			if typ[family] == "counter" && !strings.HasSuffix(family, "_total") {
				return fmt.Errorf("line %d: counter %s does not end in _total", n, family)
			}
			le := ""
			for rest := labels; rest != ""; {
				lm := labelPair.FindStringSubmatch(rest)
				if lm == nil {
					return fmt.Errorf("line %d: bad labels %q", n, rest)
				}
				if lm[1] == "le" {
					le = lm[2]
				}
				rest = rest[len(lm[0]):]
			}
			if strings.HasSuffix(name, "_bucket") && family != name {
				b, err := strconv.ParseFloat(strings.Replace(le, "+Inf", "Inf", 1), 64)
				if err != nil {
					return fmt.Errorf("line %d: bucket without a valid le", n)
				}
				buckets[family] = append(buckets[family], bucket{b, v})
			}
			if strings.HasSuffix(name, "_count") && family != name {
				counts[family] = v
			}
		}
	}
	for fam, bs := range buckets {
		if !sort.SliceIsSorted(bs, func(i, j int) bool { return bs[i].le < bs[j].le }) {
			return fmt.Errorf("%s: buckets not in order", fam)
		}
		for i := 1; i < len(bs); i++ {
			if bs[i].count < bs[i-1].count {
				return fmt.Errorf("%s: buckets not cumulative", fam)
			}
		}
		if last := bs[len(bs)-1]; !(last.le > 1e308) || last.count != counts[fam] {
			return fmt.Errorf("%s: +Inf bucket missing or != _count", fam)
		}
	}
	return nil
}

// TestUnixSocketDirectory: a socket in a directory others may write to
// without the sticky bit could be replaced by another user's impostor;
// ListenUnix refuses it.
func TestUnixSocketDirectory(t *testing.T) {
	dir := shortTempDir(t)
	open := filepath.Join(dir, "open")
	if err := os.Mkdir(open, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	if ln, err := ListenUnix(filepath.Join(open, "s.sock"), nil); err == nil {
		ln.Close()
		t.Error("listened in a world-writable directory")
	} else if !strings.Contains(err.Error(), "writable") {
		t.Errorf("error %v", err)
	}
	sticky := filepath.Join(dir, "sticky")
	if err := os.Mkdir(sticky, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(sticky, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	ln, err := ListenUnix(filepath.Join(sticky, "s.sock"), nil)
	if err != nil {
		t.Fatalf("sticky directory (like /tmp): %v", err)
	}
	defer ln.Close()
	if st, err := os.Stat(filepath.Join(sticky, "s.sock")); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("socket %v %v", st, err)
	}
}

// TestOpenAPIMatchesRoutes: docs/openapi.yaml lists exactly the routes and
// methods the handler serves, every status code a route answers, and the
// members the code reads and writes.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "docs", "openapi.yaml"))
	if err != nil {
		t.Skip("no docs/openapi.yaml")
	}
	var spec struct {
		Paths      map[string]map[string]struct{ Responses map[string]any } `yaml:"paths"`
		Components struct {
			Schemas map[string]schema `yaml:"schemas"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(data, &spec); err != nil {
		t.Fatal(err)
	}
	ap := (&fakeApprovals{}).seams()
	ap.Get = func(_ context.Context, id string) (Approval, error) {
		switch id {
		case "broken":
			return Approval{}, errors.New("store gone")
		case "nope":
			return Approval{}, ErrApprovalNotFound
		}
		return Approval{ID: id, Status: "pending"}, nil
	}
	g := &fakeGate{}
	h := New(Config{Decide: g.decide, Approvals: ap, Token: testToken, CheckHost: true, MaxBody: 1 << 10})
	srv := tcpServer(t, h)
	concrete := func(p string) string {
		return strings.NewReplacer("{agent}", "claude", "{id}", "abc").Replace(p)
	}

	// Methods: what the spec lists is served; every other method is a 405.
	for p, ops := range spec.Paths {
		for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
			resp, body := send(t, srv.Client(), m, srv.URL+concrete(p), `{"command":"ls"}`,
				"Authorization", "Bearer "+testToken, "Content-Type", "application/json")
			_, listed := ops[strings.ToLower(m)]
			if listed == (resp.StatusCode == 405) || (resp.StatusCode == 404 && strings.Contains(string(body), "no such route")) {
				t.Errorf("%s %s: %d (listed in the spec: %v)", m, p, resp.StatusCode, listed)
			}
		}
	}
	served := []string{"/v1/decide", "/v1/hook/{agent}", "/v1/approvals/{id}", "/healthz", "/metrics"}
	for _, p := range served {
		if _, ok := spec.Paths[p]; !ok {
			t.Errorf("the spec lacks %s", p)
		}
	}
	if len(spec.Paths) != len(served) {
		t.Errorf("the spec has %d paths, the handler serves %d", len(spec.Paths), len(served))
	}

	// Status codes: each answer below is documented for its operation.
	auth := "Bearer " + testToken
	big := `{"command":"` + strings.Repeat("a", 2<<10) + `"}`
	hookBody := `{"session_id":"s","cwd":"/p","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"ls"},"tool_use_id":"t"}`
	cases := []struct {
		op, method, path, body string
		hdr                    []string
		status                 int
	}{
		{"/v1/decide", "POST", "/v1/decide", `{"command":"ls"}`, []string{"Authorization", auth, "Content-Type", "application/json"}, 200},
		{"/v1/decide", "POST", "/v1/decide", `{"comand":"ls"}`, []string{"Authorization", auth, "Content-Type", "application/json"}, 400},
		{"/v1/decide", "POST", "/v1/decide", `{"command":"ls"}`, []string{"Content-Type", "application/json"}, 401},
		{"/v1/decide", "POST", "/v1/decide", `{"command":"ls"}`, []string{"Authorization", auth, "Content-Type", "application/json", "Origin", "http://x"}, 403},
		{"/v1/decide", "POST", "/v1/decide", big, []string{"Authorization", auth, "Content-Type", "application/json"}, 413},
		{"/v1/decide", "POST", "/v1/decide", `{"command":"ls"}`, []string{"Authorization", auth, "Content-Type", "text/plain"}, 415},
		{"/v1/hook/{agent}", "POST", "/v1/hook/claude", hookBody, []string{"Authorization", auth, "Content-Type", "application/json"}, 200},
		{"/v1/hook/{agent}", "POST", "/v1/hook/claude", `[]`, []string{"Authorization", auth, "Content-Type", "application/json"}, 400},
		{"/v1/hook/{agent}", "POST", "/v1/hook/claude", hookBody, []string{"Content-Type", "application/json"}, 401},
		{"/v1/hook/{agent}", "POST", "/v1/hook/claude", hookBody, []string{"Authorization", auth, "Content-Type", "application/json", "Host", "evil.example"}, 403},
		{"/v1/hook/{agent}", "POST", "/v1/hook/windsurf", hookBody, []string{"Authorization", auth, "Content-Type", "application/json"}, 404},
		{"/v1/hook/{agent}", "POST", "/v1/hook/claude", big, []string{"Authorization", auth, "Content-Type", "application/json"}, 413},
		{"/v1/hook/{agent}", "POST", "/v1/hook/claude", hookBody, []string{"Authorization", auth, "Content-Type", "text/plain"}, 415},
		{"/v1/approvals/{id}", "GET", "/v1/approvals/abc", "", []string{"Authorization", auth}, 200},
		{"/v1/approvals/{id}", "GET", "/v1/approvals/abc?wait=soon", "", []string{"Authorization", auth}, 400},
		{"/v1/approvals/{id}", "GET", "/v1/approvals/abc", "", nil, 401},
		{"/v1/approvals/{id}", "GET", "/v1/approvals/abc", "", []string{"Authorization", auth, "Sec-Fetch-Site", "cross-site"}, 403},
		{"/v1/approvals/{id}", "GET", "/v1/approvals/nope", "", []string{"Authorization", auth}, 404},
		{"/v1/approvals/{id}", "GET", "/v1/approvals/broken", "", []string{"Authorization", auth}, 500},
		{"/healthz", "GET", "/healthz", "", nil, 200},
		{"/healthz", "GET", "/healthz", "", []string{"Origin", "http://x"}, 403},
		{"/metrics", "GET", "/metrics", "", []string{"Authorization", auth}, 200},
		{"/metrics", "GET", "/metrics", "", nil, 401},
		{"/metrics", "GET", "/metrics", "", []string{"Authorization", auth, "Host", "evil.example"}, 403},
	}
	for _, tc := range cases {
		resp, body := send(t, srv.Client(), tc.method, srv.URL+tc.path, tc.body, tc.hdr...)
		if resp.StatusCode != tc.status {
			t.Errorf("%s %s: %d, want %d: %.200s", tc.method, tc.path, resp.StatusCode, tc.status, body)
			continue
		}
		op, ok := spec.Paths[tc.op][strings.ToLower(tc.method)]
		if !ok {
			t.Errorf("%s %s not in the spec", tc.method, tc.op)
			continue
		}
		if _, ok := op.Responses[strconv.Itoa(tc.status)]; !ok {
			t.Errorf("%s %s answers %d, which the spec does not list", tc.method, tc.op, tc.status)
		}
	}

	// Members: the schemas name exactly the JSON members of the code.
	sc := spec.Components.Schemas
	for _, tc := range []struct {
		schema string
		props  map[string]schema
		typ    any
	}{
		{"DecideRequest", sc["DecideRequest"].Properties, decideBody{}},
		{"DecideRequest.mcp_server", sc["DecideRequest"].Properties["mcp_server"].Properties, mcpServer{}},
		{"AgentInfo", sc["AgentInfo"].Properties, agentInfo{}},
		{"RawCall", sc["RawCall"].Properties, rawCall{}},
		{"CallContext", sc["CallContext"].Properties, callContext{}},
		{"Action", sc["Action"].Properties, actionSpec{}},
		{"DecideResponse", sc["DecideResponse"].Properties, decideAnswer{}},
		{"DecideResponse.result", sc["DecideResponse"].Properties["result"].Properties, decideResult{}},
		{"Approval", sc["Approval"].Properties, approvalBody{}},
		{"Error", sc["Error"].Properties, errorBody{}},
		{"Error.result", sc["Error"].Properties["result"].Properties, errorResult{}},
	} {
		want := jsonMembers(reflect.TypeOf(tc.typ))
		var got []string
		for k := range tc.props {
			got = append(got, k)
		}
		sort.Strings(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s: the spec has %v, the code %v", tc.schema, got, want)
		}
	}
	var env []string
	for k := range sc["DecideEnvelope"].Properties["input"].Properties {
		env = append(env, k)
	}
	sort.Strings(env)
	var code []string
	for k := range envelopeKeys {
		code = append(code, k)
	}
	sort.Strings(code)
	if !slices.Equal(env, code) {
		t.Errorf("DecideEnvelope.input: the spec has %v, the code %v", env, code)
	}
	// The ask object of a decide answer.
	ask := sc["DecideResponse"].Properties["result"].Properties["ask"]
	var askProps []string
	for _, alt := range ask.OneOf {
		for k := range alt.Properties {
			askProps = append(askProps, k)
		}
	}
	sort.Strings(askProps)
	if want := jsonMembers(reflect.TypeOf(askInfo{})); !slices.Equal(askProps, want) {
		t.Errorf("ask: the spec has %v, the code %v", askProps, want)
	}
}

// schema is the part of a JSON schema the OpenAPI test reads.
type schema struct {
	Properties map[string]schema `yaml:"properties"`
	OneOf      []schema          `yaml:"oneOf"`
}

// jsonMembers lists the JSON member names of a struct type, embedded
// structs included, sorted.
func jsonMembers(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous {
			out = append(out, jsonMembers(f.Type)...)
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// TestSlowAndTruncatedBodies: a body that trickles in is cut off after
// BodyTimeout (408), one shorter than its declared length is a 400; both
// say deny and neither reaches the DecideFunc. The deadline ends with the
// body: a wait for a person afterwards still ends when its client goes
// away (the connection is still read), not at the deadline.
func TestSlowAndTruncatedBodies(t *testing.T) {
	ap := (&fakeApprovals{}).seams()
	waited := make(chan time.Duration, 1)
	ap.Ask = func(ctx context.Context, req *action.Request, d action.Decision) (action.Decision, error) {
		// "rm -rf quick" is approved after 700ms; others wait for 8s.
		after := 8 * time.Second
		if strings.Contains(req.Input, "quick") {
			after = 700 * time.Millisecond
		}
		start := time.Now()
		d.Effect = action.Deny
		select {
		case <-time.After(after):
			d.Effect = action.Allow
		case <-ctx.Done():
		}
		waited <- time.Since(start)
		return d, nil
	}
	h, g, _ := newTestHandler(t, func(c *Config) { c.BodyTimeout = 300 * time.Millisecond; c.Approvals = ap })
	srv := tcpServer(t, h)
	addr := srv.Listener.Addr().String()
	raw := func(req string, closeWrite bool) (int, map[string]any, time.Duration) {
		t.Helper()
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		start := time.Now()
		if _, err := io.WriteString(c, req); err != nil {
			t.Fatal(err)
		}
		if closeWrite {
			c.(*net.TCPConn).CloseWrite()
		}
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("no answer to %.40q: %v", req, err)
		}
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m, time.Since(start)
	}
	head := "POST /v1/decide HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
	// Slow: 16 bytes of 100, then nothing.
	code, m, took := raw(head+`{"command":"ls",`, false)
	if code != 408 || decisionOf(m) != "deny" || !strings.Contains(fmt.Sprint(m["message"]), "did not arrive") || took > 5*time.Second {
		t.Errorf("slow body: %d %v after %v", code, m, took)
	}
	// Truncated: 16 bytes of 100, then the client ends its side.
	code, m, _ = raw(head+`{"command":"ls",`, true)
	if code != 400 || decisionOf(m) != "deny" || !strings.Contains(fmt.Sprint(m["message"]), "before its declared length") {
		t.Errorf("truncated body: %d %v", code, m)
	}
	if len(g.seen) != 0 {
		t.Errorf("%d requests reached the DecideFunc", len(g.seen))
	}
	// A wait that outlasts BodyTimeout runs to its end...
	quick := `{"command":"rm -rf quick","wait":"60s"}`
	code, m, _ = raw(fmt.Sprintf("POST /v1/decide HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(quick), quick), false)
	if code != 200 || decisionOf(m) != "allow" {
		t.Errorf("wait past the body's deadline: %d %v", code, m)
	}
	<-waited
	// ... and one whose client goes away (after the deadline) ends then,
	// not minutes later.
	body := `{"command":"rm -rf build","wait":"60s"}`
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(c, "POST /v1/decide HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	time.Sleep(900 * time.Millisecond) // three BodyTimeouts
	c.Close()
	if d := <-waited; d > 4*time.Second {
		t.Errorf("the wait outlived its client by %v", d)
	}
}

// TestLongPollsBounded: past Approvals.MaxPolls long polls in flight, a
// long poll answers at once with the request's current state (the client
// polls again) instead of holding one more goroutine on the store.
func TestLongPollsBounded(t *testing.T) {
	fa := &fakeApprovals{}
	ap := fa.seams()
	ap.MaxPolls = 1
	entered, release := make(chan struct{}, 1), make(chan struct{})
	ap.Wait = func(ctx context.Context, id string, _ time.Duration) (Approval, error) {
		entered <- struct{}{}
		select {
		case <-release:
		case <-ctx.Done():
		}
		return Approval{ID: id, Status: "approved"}, nil
	}
	fa.recs["ap7"] = Approval{ID: "ap7", Status: "pending"}
	h, _, _ := newTestHandler(t, func(c *Config) { c.Approvals = ap })
	srv := tcpServer(t, h)
	done := make(chan []byte, 1)
	go func() {
		resp, err := http.Get(srv.URL + "/v1/approvals/ap7?wait=60s")
		if err != nil {
			done <- []byte(err.Error())
			return
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		done <- data
	}()
	<-entered
	start := time.Now()
	resp, data := send(t, srv.Client(), "GET", srv.URL+"/v1/approvals/ap7?wait=60s", "")
	var m map[string]any
	_ = json.Unmarshal(data, &m)
	if resp.StatusCode != 200 || m["status"] != "pending" || m["decision"] != "ask" || time.Since(start) > 5*time.Second {
		t.Errorf("second long poll: %d %s after %v", resp.StatusCode, data, time.Since(start))
	}
	close(release)
	if data := <-done; !strings.Contains(string(data), `"decision":"allow"`) {
		t.Errorf("first long poll: %s", data)
	}
	// Its place is free again (and the wait, released, answers at once).
	resp, data = send(t, srv.Client(), "GET", srv.URL+"/v1/approvals/ap7?wait=60s", "")
	if <-entered; resp.StatusCode != 200 || !strings.Contains(string(data), `"decision":"allow"`) {
		t.Errorf("after the first ended: %d %s", resp.StatusCode, data)
	}
}

// TestHeaderTricks: a browser header repeated behind a harmless first
// value is still seen, and a token anywhere but the Authorization header
// (the query string, a second Authorization line) opens nothing.
func TestHeaderTricks(t *testing.T) {
	h, g, _ := newTestHandler(t, func(c *Config) { c.Token = testToken; c.CheckHost = true })
	srv := tcpServer(t, h)
	tests := []struct {
		name   string
		query  string
		hdr    [][2]string
		status int
	}{
		{"fetch site none, then cross-site", "", [][2]string{{"Authorization", "Bearer " + testToken}, {"Sec-Fetch-Site", "none"}, {"Sec-Fetch-Site", "cross-site"}}, 403},
		{"fetch site empty", "", [][2]string{{"Authorization", "Bearer " + testToken}, {"Sec-Fetch-Site", ""}}, 403},
		{"fetch site none", "", [][2]string{{"Authorization", "Bearer " + testToken}, {"Sec-Fetch-Site", "none"}}, 200},
		{"token in the query", "?token=" + testToken + "&access_token=" + testToken, nil, 401},
		{"wrong token first", "", [][2]string{{"Authorization", "Bearer nope"}, {"Authorization", "Bearer " + testToken}}, 401},
		{"extra spaces", "", [][2]string{{"Authorization", "Bearer   " + testToken + "  "}}, 200},
		{"tab for a space", "", [][2]string{{"Authorization", "Bearer\t" + testToken}}, 401},
	}
	for _, tc := range tests {
		req, err := http.NewRequest("POST", srv.URL+"/v1/decide"+tc.query, strings.NewReader(`{"command":"ls"}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		for _, kv := range tc.hdr {
			req.Header.Add(kv[0], kv[1])
		}
		before := len(g.seen)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("%s: %d, want %d: %s", tc.name, resp.StatusCode, tc.status, data)
			continue
		}
		if tc.status != 200 {
			assertDenyError(t, tc.name, resp, data)
			if len(g.seen) != before {
				t.Errorf("%s reached the DecideFunc", tc.name)
			}
		}
	}
}

// TestDecideDeadline: a DecideFunc that does not heed its context (a
// stalled audit write) cannot hold a client past DecideTimeout: the answer
// is a 500 that says deny.
func TestDecideDeadline(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	h, _, logs := newTestHandler(t, func(c *Config) {
		c.DecideTimeout = 200 * time.Millisecond
		c.Decide = func(context.Context, *action.Request) (action.Decision, error) {
			<-release // ignores its context
			return action.Decision{Effect: action.Allow, Reason: "late"}, nil
		}
	})
	srv := tcpServer(t, h)
	start := time.Now()
	resp, data := send(t, srv.Client(), "POST", srv.URL+"/v1/decide", `{"command":"ls"}`, "Content-Type", "application/json")
	if resp.StatusCode != 500 || time.Since(start) > 5*time.Second {
		t.Errorf("%d after %v: %s", resp.StatusCode, time.Since(start), data)
	}
	assertDenyError(t, "stalled decision", resp, data)
	if !strings.Contains(logs.String(), "no decision before the deadline") {
		t.Errorf("log %q", logs.String())
	}
}
