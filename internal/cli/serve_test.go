package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/audit"
	"github.com/safeclaw/safeclaw/gate"
	"github.com/safeclaw/safeclaw/server"
)

// syncBuf is a bytes.Buffer safe for the server's goroutines.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serveEnv is a test Env whose state directory is short enough for a socket.
func serveEnv(t *testing.T) *Env {
	t.Helper()
	e := testEnv(t)
	dir, err := os.MkdirTemp("", "scs")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	e.ConfigDir, e.StateDir = filepath.Join(dir, "cfg"), filepath.Join(dir, "st")
	e.Now = time.Now
	return e
}

// startServe runs `safeclaw serve args...` until the test ends and returns
// its stderr.
func startServe(t *testing.T, e *Env, args ...string) *syncBuf {
	t.Helper()
	errb := &syncBuf{}
	e.Stdout, e.Stderr, e.Stdin = io.Discard, errb, strings.NewReader("")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- runServe(ctx, e, args) }()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("serve exited %d: %s", code, errb)
			}
		case <-time.After(10 * time.Second):
			t.Error("serve did not stop")
		}
	})
	waitFor(t, "serve listening", func() bool {
		select {
		case code := <-done:
			t.Fatalf("serve exited %d early: %s", code, errb)
		default:
		}
		return strings.Contains(errb.String(), "listening on")
	})
	return errb
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func socketClient(path string) *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		MaxIdleConnsPerHost: 64,
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
	}}
}

// apiDecide posts body to /v1/decide and returns the decision and rule.
func apiDecide(t testing.TB, c *http.Client, base, body string, hdr ...string) (status int, decision, rule string) {
	t.Helper()
	req, err := http.NewRequest("POST", base+"/v1/decide", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m struct {
		Result struct {
			Decision string  `json:"decision"`
			Rule     *string `json:"rule"`
		} `json:"result"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	if m.Result.Rule != nil {
		rule = *m.Result.Rule
	}
	return resp.StatusCode, m.Result.Decision, rule
}

func writePolicy(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path+".tmp", []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		t.Fatal(err)
	}
}

const (
	policyA = "default: deny\nrules:\n- name: A lists\n  command_pattern: \"ls *\"\n  effect: allow\n"
	policyB = "default: deny\nrules:\n- name: B forbids listing\n  command_pattern: \"ls *\"\n  effect: deny\n"
)

// TestServeReload: serve decides with policy A; the file becomes B and B
// decides; a broken file keeps B and says so; SIGHUP reloads.
func TestServeReload(t *testing.T) {
	e := serveEnv(t)
	pol := filepath.Join(t.TempDir(), "policy.yaml")
	writePolicy(t, pol, policyA)
	errb := startServe(t, e, "--policy", pol)
	sock := filepath.Join(e.StateDir, "serve.sock")
	if st, err := os.Stat(sock); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("socket %v %v", st, err)
	}
	c := socketClient(sock)
	if _, d, rule := apiDecide(t, c, "http://safeclaw", `{"command":"ls -la"}`); d != "allow" || rule != "A lists" {
		t.Fatalf("policy A: %s %q", d, rule)
	}

	writePolicy(t, pol, policyB)
	waitFor(t, "policy B", func() bool {
		_, d, rule := apiDecide(t, c, "http://safeclaw", `{"command":"ls -la"}`)
		return d == "deny" && rule == "B forbids listing"
	})

	writePolicy(t, pol, "default: deny\nrules:\n- name: broken\n  comand_pattern: \"ls *\"\n  effect: allow\n")
	waitFor(t, "the reload error", func() bool {
		return strings.Contains(errb.String(), "policy reload failed; keeping the previous policy")
	})
	if _, d, rule := apiDecide(t, c, "http://safeclaw", `{"command":"ls -la"}`); d != "deny" || rule != "B forbids listing" {
		t.Errorf("after a broken policy: %s %q", d, rule)
	}
	if !strings.Contains(errb.String(), "comand_pattern") {
		t.Errorf("the error does not say what is wrong: %s", errb)
	}

	// SIGHUP forces a reload (of the still broken file: another error).
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP) // keeps the test process alive whatever happens
	defer signal.Stop(hup)
	before := strings.Count(errb.String(), "policy reload failed")
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the SIGHUP reload", func() bool { return strings.Count(errb.String(), "policy reload failed") > before })

	// Metrics count the reloads.
	resp, err := c.Get("http://safeclaw/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !regexp.MustCompile(`safeclaw_policy_reloads_total\{result="ok"\} 1\n`).Match(body) ||
		!regexp.MustCompile(`safeclaw_policy_reloads_total\{result="error"\} [23]\n`).Match(body) {
		t.Errorf("metrics:\n%s", body)
	}

	// Every decision is in the audit trail, recorded with surface api.
	store, err := audit.OpenFile(e.AuditDir(), audit.FileOptions{KeyFile: e.auditKeyFile()})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	store.Query(context.Background(), &audit.Filter{Surfaces: []string{"api"}}, func(*audit.Record) error { n++; return nil })
	if n < 3 {
		t.Errorf("%d api decisions in the audit trail", n)
	}
}

// TestServeShadow: with mode: shadow the API answers allow and says what
// would have happened; the audit trail records the real decision.
func TestServeShadow(t *testing.T) {
	e := serveEnv(t)
	if err := os.MkdirAll(e.ConfigDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(e.ConfigDir, "config.yaml"), []byte("mode: shadow\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	startServe(t, e)
	c := socketClient(filepath.Join(e.StateDir, "serve.sock"))
	resp, err := c.Post("http://safeclaw/v1/decide", "application/json", strings.NewReader(`{"command":"python3 -m http.server 8080"}`))
	if err != nil {
		t.Fatal(err)
	}
	var ans struct {
		Result struct {
			Decision string   `json:"decision"`
			Notes    []string `json:"notes"`
		} `json:"result"`
	}
	json.NewDecoder(resp.Body).Decode(&ans)
	resp.Body.Close()
	if ans.Result.Decision != "allow" || !strings.Contains(strings.Join(ans.Result.Notes, ";"), "would have been deny") {
		t.Errorf("shadow answer %+v", ans)
	}
	store, err := audit.OpenFile(e.AuditDir(), audit.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []*audit.Record
	store.Query(context.Background(), nil, func(r *audit.Record) error { got = append(got, r); return nil })
	if len(got) != 1 || got[0].Decision != "deny" || got[0].Mode != "shadow" {
		t.Errorf("audit %+v", got)
	}
}

// TestServeTCP: a loopback port with a bearer token created 0600 on first use.
func TestServeTCP(t *testing.T) {
	e := serveEnv(t)
	errb := startServe(t, e, "--listen", "127.0.0.1:0")
	m := regexp.MustCompile(`listening on http://(127\.0\.0\.1:\d+) \(bearer token in (\S+)\)`).FindStringSubmatch(errb.String())
	if m == nil {
		t.Fatalf("no address in %q", errb)
	}
	base, tokenFile := "http://"+m[1], m[2]
	if tokenFile != filepath.Join(e.StateDir, "serve.token") {
		t.Errorf("token file %s", tokenFile)
	}
	st, err := os.Stat(tokenFile)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("token file %v %v", st, err)
	}
	data, _ := os.ReadFile(tokenFile)
	token := strings.TrimSpace(string(data))
	c := &http.Client{Timeout: 10 * time.Second}
	if code, d, _ := apiDecide(t, c, base, `{"command":"python3 -m http.server 8080"}`); code != 401 || d != "deny" {
		t.Errorf("without token: %d %s", code, d)
	}
	if code, d, _ := apiDecide(t, c, base, `{"command":"python3 -m http.server 8080"}`, "Authorization", "Bearer "+token); code != 200 || d != "deny" {
		t.Errorf("with token: %d %s", code, d)
	}
	if code, d, _ := apiDecide(t, c, base, `{"command":"git status"}`, "Authorization", "Bearer "+token); code != 200 || d != "allow" {
		t.Errorf("git status: %d %s", code, d)
	}
	// No Unix socket without --socket.
	if _, err := os.Stat(filepath.Join(e.StateDir, "serve.sock")); err == nil {
		t.Error("socket created with --listen alone")
	}
}

func TestServeRefuses(t *testing.T) {
	e := serveEnv(t)
	for _, args := range [][]string{
		{"--listen", "0.0.0.0:7878"},
		{"--listen", ":7878"},
		{"--listen", "192.0.2.1:7878"},
		{"--ask", "sometimes"},
		{"extra"},
		{"--policy", filepath.Join(t.TempDir(), "missing.yaml")},
	} {
		var errb bytes.Buffer
		e.Stdout, e.Stderr = io.Discard, &errb
		code := runServe(context.Background(), e, args)
		if code != exitUsage || !strings.Contains(errb.String(), "safeclaw: error: serve: ") {
			t.Errorf("serve %v: exit %d %q", args, code, errb.String())
		}
	}
	// A token file others can read is refused.
	tok := filepath.Join(t.TempDir(), "token")
	os.WriteFile(tok, []byte("0123456789abcdef0123456789abcdef\n"), 0o644)
	if _, _, err := e.serveToken(tok); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("world-readable token: %v", err)
	}
	os.Chmod(tok, 0o600)
	if got, _, err := e.serveToken(tok); err != nil || got != "0123456789abcdef0123456789abcdef" {
		t.Errorf("private token: %q %v", got, err)
	}
	os.WriteFile(tok, []byte("short\n"), 0o600)
	if _, _, err := e.serveToken(tok); err == nil {
		t.Error("short token accepted")
	}
}

// TestServeHookClaude: Claude Code's http hook gets what the command hook prints.
func TestServeHookClaude(t *testing.T) {
	e := serveEnv(t)
	startServe(t, e)
	c := socketClient(filepath.Join(e.StateDir, "serve.sock"))
	payload := `{"session_id":"s1","cwd":"` + e.Cwd + `","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"python3 -m http.server 8080"},"tool_use_id":"t1"}`
	resp, err := c.Post("http://safeclaw/v1/hook/claude", "application/json", strings.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	e2 := serveEnv(t)
	_, want, _ := run(t, e2, payload, "hook", "claude")
	if resp.StatusCode != 200 || string(got) != want {
		t.Errorf("http hook %d\n%s\nwant\n%s", resp.StatusCode, got, want)
	}
}

// TestServeApprovals: an ask over the API files an approval request that
// GET /v1/approvals/{id} shows.
func TestServeApprovals(t *testing.T) {
	e := serveEnv(t)
	pol := filepath.Join(t.TempDir(), "policy.yaml")
	writePolicy(t, pol, "default: deny\nrules:\n- name: ask for rm\n  command_pattern: \"rm *\"\n  effect: ask\n")
	startServe(t, e, "--policy", pol)
	c := socketClient(filepath.Join(e.StateDir, "serve.sock"))
	resp, err := c.Post("http://safeclaw/v1/decide", "application/json", strings.NewReader(`{"command":"rm -rf build","cwd":"/tmp","session":"s1"}`))
	if err != nil {
		t.Fatal(err)
	}
	var ans struct {
		Result struct {
			Decision string `json:"decision"`
			Ask      *struct {
				ID  string `json:"approval_id"`
				URL string `json:"approval_url"`
			} `json:"ask"`
		} `json:"result"`
	}
	json.NewDecoder(resp.Body).Decode(&ans)
	resp.Body.Close()
	if ans.Result.Decision != "ask" || ans.Result.Ask == nil || ans.Result.Ask.ID == "" {
		t.Fatalf("ask without approval id: %+v", ans)
	}
	resp, err = c.Get("http://safeclaw" + ans.Result.Ask.URL + "?wait=1")
	if err != nil {
		t.Fatal(err)
	}
	var ap map[string]any
	json.NewDecoder(resp.Body).Decode(&ap)
	resp.Body.Close()
	if resp.StatusCode != 200 || ap["status"] != "pending" || ap["decision"] != "ask" {
		t.Errorf("approval %d %v", resp.StatusCode, ap)
	}
	resp, err = c.Get("http://safeclaw/v1/approvals/doesnotexist")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("unknown approval: %d", resp.StatusCode)
	}
}

func TestGroupCommit(t *testing.T) {
	dir := t.TempDir()
	fs, err := audit.OpenFile(filepath.Join(dir, "audit"), audit.FileOptions{KeyFile: filepath.Join(dir, "key"), Durable: true})
	if err != nil {
		t.Fatal(err)
	}
	g := newGroupCommit(fs)
	var wg sync.WaitGroup
	seqs := make([]uint64, 200)
	for i := range seqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			seq, err := g.Append(context.Background(), &audit.Record{Type: audit.TypeDecision, Decision: "deny", Request: fmt.Sprint("cmd ", i)})
			if err != nil {
				t.Error(err)
			}
			seqs[i] = seq
		}()
	}
	wg.Wait()
	seen := map[uint64]bool{}
	for _, s := range seqs {
		if s == 0 || seen[s] {
			t.Fatalf("sequence numbers %v", seqs)
		}
		seen[s] = true
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Append(context.Background(), &audit.Record{Decision: "deny"}); err == nil {
		t.Error("append after close")
	}
	rep, err := fs.Verify(context.Background())
	if err != nil || !rep.Intact || rep.Records != 200 {
		t.Errorf("verify: %+v %v", rep, err)
	}
	if batches, recs := g.stats(); recs != 200 || batches == 0 || batches > 200 {
		t.Errorf("stats: %d batches, %d records", batches, recs)
	}
}

// TestGroupCommitFailsEveryRecord: when a batch cannot be written, every
// decision in it gets the error (and is denied), none a sequence number.
func TestGroupCommitFailsEveryRecord(t *testing.T) {
	dir := t.TempDir()
	fs, err := audit.OpenFile(filepath.Join(dir, "audit"), audit.FileOptions{KeyFile: filepath.Join(dir, "key")})
	if err != nil {
		t.Fatal(err)
	}
	g := newGroupCommit(fs)
	defer g.Close()
	fs.Close() // the store underneath refuses appends from now on
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if seq, err := g.Append(context.Background(), &audit.Record{Decision: "allow", Request: fmt.Sprint("cmd ", i)}); err == nil || seq != 0 {
				t.Errorf("append %d: seq %d, err %v", i, seq, err)
			}
		}()
	}
	wg.Wait()
}

// TestSimulateLive: decisions recorded after the live view starts are
// printed in the brief's format; earlier ones are not.
func TestSimulateLive(t *testing.T) {
	e := serveEnv(t)
	out := &syncBuf{}
	e.Stdout, e.Stderr = out, &syncBuf{}
	h, err := e.openGate(context.Background(), "hook", "claude", "testdata/brief-step2.yaml", "testdata/brief-step3.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer h.close()
	decide := func(cmd string) {
		t.Helper()
		req := e.request(input{Command: cmd}, "hook")
		if _, err := h.decide(context.Background(), req); err != nil {
			t.Fatal(err)
		}
	}
	decide("nc -l 1234") // before the view starts: not shown

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- e.simulateLive(ctx) }()
	waitFor(t, "the live view", func() bool { return strings.Contains(fmt.Sprint(e.Stderr), "Ctrl-C to stop") })

	decide("python -m http.server 8080")
	decide("git status")
	want := "[DENIED] shell.execute: \"python -m http.server 8080\"\n  Rule: \"Block Python HTTP server\"\n"
	waitFor(t, "the denied line", func() bool { return strings.Contains(out.String(), want) })
	waitFor(t, "the second line", func() bool { return strings.Contains(out.String(), `"git status"`) })
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit %d", code)
	}
	if strings.Contains(out.String(), "nc -l 1234") {
		t.Errorf("an earlier decision was shown:\n%s", out)
	}
	if !strings.HasPrefix(out.String(), want) {
		t.Errorf("output:\n%s", out)
	}
	if !strings.Contains(fmt.Sprint(e.Stderr), "2 decisions: 2 denied") && !strings.Contains(fmt.Sprint(e.Stderr), "2 decisions:") {
		t.Errorf("summary: %s", e.Stderr)
	}
}

// appendEachGate is serve's gate as openGate builds it, on the built-in
// policy, but with every decision written and synced on its own (no group
// commit).
func appendEachGate(b *testing.B, e *Env) (action.DecideFunc, audit.Store) {
	ps, err := e.loadPolicies(nil)
	if err != nil {
		b.Fatal(err)
	}
	os.MkdirAll(e.KeyDir(), 0o700)
	fs, err := audit.OpenFile(e.AuditDir(), audit.FileOptions{KeyFile: e.auditKeyFile(), Durable: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { fs.Close() })
	g := gate.New(gate.Config{Policy: ps.decide, Recorder: &auditRecorder{store: fs, mode: "enforce"}, Now: time.Now})
	return func(ctx context.Context, req *action.Request) (action.Decision, error) {
		req.Surface = "api"
		return g.Decide(ctx, req)
	}, fs
}

// benchConns is how many client connections BenchmarkServeUnix keeps busy.
const benchConns = 64

// benchCalls are the tool calls BenchmarkServeUnix sends, as an SDK-based
// agent would, each with the decision the built-in policy gives it.
var benchCalls = []struct{ command, decision string }{
	{"git status --short", "allow"},
	{"python3 -m http.server 8080", "deny"},
	{"ls -la src/internal", "allow"},
	{"grep -rn TODO --include=*.go .", "allow"},
}

// BenchmarkServeUnix measures decisions per second (completed requests per
// second) over the Unix socket, each request a Bash tool call and every
// decision recorded in a real audit trail (temp dir) before it is
// answered. Every answer's status and decision are checked, and the trail
// is verified afterwards: it must hold exactly one record per request.
// The client writes and reads HTTP/1.1 itself, so that the figure is
// mostly the server's; cpu-µs/op is the whole process's CPU time (client
// included) per decision, which depends less than decisions/s on what else
// the machine runs; recs/sync is the group commit's records per write (and
// fsync, when durable).
//
//   - fsync: the gate exactly as serve opens it with the default config
//     (durability fsync, group commit), from benchConns keep-alive
//     connections. This is the throughput figure.
//   - fsync-1conn: the same from one connection, one request at a time:
//     ns/op is a decision's round trip.
//   - none: durability none, group commit.
//   - fsync-append-each: fsync without the group commit (one write and
//     sync per decision).
func BenchmarkServeUnix(b *testing.B) {
	for _, bc := range []struct {
		name   string
		config string // config.yaml
		each   bool   // no group commit
		conns  int
	}{
		{name: "fsync", conns: benchConns},
		{name: "fsync-1conn", conns: 1},
		{name: "none", config: "audit:\n  durability: none\n", conns: benchConns},
		{name: "fsync-append-each", each: true, conns: benchConns},
	} {
		b.Run(bc.name, func(b *testing.B) {
			benchServe(b, bc.config, bc.each, bc.conns)
		})
	}
}

func benchServe(b *testing.B, config string, each bool, conns int) {
	dir, err := os.MkdirTemp("", "scb")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(dir)
	env := map[string]string{"SAFECLAW_MANAGED_POLICY": ""}
	e := &Env{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard, Now: time.Now,
		Getenv: func(k string) string { return env[k] }, Cwd: filepath.Join(dir, "proj"), Home: filepath.Join(dir, "home"),
		ConfigDir: filepath.Join(dir, "cfg"), StateDir: filepath.Join(dir, "st")}
	// The project is beside safeclaw's state, not around it: a grep -r of
	// a tree holding safeclaw's keys is denied.
	os.MkdirAll(e.Cwd, 0o700)
	if config != "" {
		os.MkdirAll(e.ConfigDir, 0o700)
		if err := os.WriteFile(filepath.Join(e.ConfigDir, "config.yaml"), []byte(config), 0o600); err != nil {
			b.Fatal(err)
		}
	}
	var decide action.DecideFunc
	var store audit.Store
	if each {
		decide, store = appendEachGate(b, e)
	} else {
		h, err := e.openGate(context.Background(), "api", "")
		if err != nil {
			b.Fatal(err)
		}
		defer h.close()
		decide, store = h.decide, h.store
	}
	sock := filepath.Join(dir, "b.sock")
	ln, err := server.ListenUnix(sock, nil)
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: server.New(server.Config{Decide: decide, Cwd: e.Cwd, Home: e.Home})}
	go srv.Serve(ln)
	defer srv.Close()
	var calls []benchCall
	for i, c := range benchCalls {
		body := fmt.Sprintf(`{"agent":"bench","session":"s-%d","cwd":%q,"tool":"Bash","input":{"command":%q}}`, i, e.Cwd, c.command)
		calls = append(calls, benchCall{
			req:  []byte(fmt.Sprintf("POST /v1/decide HTTP/1.1\r\nHost: safeclaw\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)),
			want: []byte(`{"result":{"decision":"` + c.decision + `"`),
		})
	}
	batches0, recs0 := groupStats(store)
	defer debug.SetGCPercent(debug.SetGCPercent(serveGCPercent)) // as runServe does
	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	b.ResetTimer()
	if conns == 1 {
		n := 0
		benchClient(b, sock, calls, func() bool { n++; return n <= b.N })
	} else {
		b.SetParallelism(max(conns/runtime.GOMAXPROCS(0), 1))
		b.RunParallel(func(pb *testing.PB) { benchClient(b, sock, calls, pb.Next) })
	}
	b.StopTimer()
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "decisions/s")
	b.ReportMetric(float64(cpu.Nanoseconds())/1e3/float64(b.N), "cpu-µs/op")
	if batches, recs := groupStats(store); batches > batches0 {
		b.ReportMetric(float64(recs-recs0)/float64(batches-batches0), "recs/sync")
	}
	srv.Close()
	if err := store.Close(); err != nil {
		b.Fatal(err)
	}
	fs, err := audit.OpenFile(e.AuditDir(), audit.FileOptions{KeyFile: e.auditKeyFile()})
	if err != nil {
		b.Fatal(err)
	}
	defer fs.Close()
	rep, err := fs.Verify(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	if !rep.Intact || rep.Records != uint64(b.N) {
		b.Fatalf("audit trail: intact %v, %d records for %d decisions: %v", rep.Intact, rep.Records, b.N, rep.Problems)
	}
}

// benchCall is one request of BenchmarkServeUnix and how its answer starts.
type benchCall struct {
	req, want []byte
}

// benchClient sends calls in turn over one keep-alive connection while
// next says so, and checks every answer.
func benchClient(b *testing.B, sock string, calls []benchCall, next func() bool) {
	conn, err := net.Dial("unix", sock)
	if err != nil {
		b.Error(err)
		return
	}
	defer conn.Close()
	br := bufio.NewReaderSize(conn, 8<<10)
	var body []byte
	for i := 0; next(); i++ {
		c := calls[i%len(calls)]
		if _, err := conn.Write(c.req); err != nil {
			b.Error(err)
			return
		}
		if body, err = readBenchResponse(br, body); err != nil {
			b.Error(err)
			return
		}
		if !bytes.HasPrefix(body, c.want) {
			b.Errorf("answer %.200s, want %s...", body, c.want)
			return
		}
	}
}

// groupStats returns a group commit's batches and records so far (zero for
// other stores).
func groupStats(s audit.Store) (batches, records uint64) {
	if g, ok := s.(*groupCommit); ok {
		return g.stats()
	}
	return 0, 0
}

// readBenchResponse reads one HTTP/1.1 response with a Content-Length from
// br and returns its body (in buf's storage); any status but 200 is an error.
func readBenchResponse(br *bufio.Reader, buf []byte) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(line, []byte("HTTP/1.1 200 ")) {
		return nil, fmt.Errorf("status line %q", line)
	}
	n := -1
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return nil, err
		}
		if len(line) <= 2 {
			break
		}
		if k, v, ok := bytes.Cut(line, []byte(":")); ok && strings.EqualFold(string(k), "Content-Length") {
			if n, err = strconv.Atoi(string(bytes.TrimSpace(v))); err != nil {
				return nil, fmt.Errorf("header %q", line)
			}
		}
	}
	if n < 0 {
		return nil, errors.New("response without Content-Length")
	}
	buf = slices.Grow(buf[:0], n)[:n]
	_, err = io.ReadFull(br, buf)
	return buf, err
}

// TestServeApprovalsCannotBeAnsweredOverAPI: the agent's credential (here
// the bearer token of the TCP listener) reads its approval request but
// cannot answer it by any method (I11); the request stays pending in the
// real approval store.
func TestServeApprovalsCannotBeAnsweredOverAPI(t *testing.T) {
	e := serveEnv(t)
	pol := filepath.Join(t.TempDir(), "policy.yaml")
	writePolicy(t, pol, "default: deny\nrules:\n- name: ask for rm\n  command_pattern: \"rm *\"\n  effect: ask\n")
	errb := startServe(t, e, "--policy", pol, "--listen", "127.0.0.1:0")
	m := regexp.MustCompile(`listening on http://(127\.0\.0\.1:\d+) \(bearer token in (\S+)\)`).FindStringSubmatch(errb.String())
	if m == nil {
		t.Fatalf("no address in %q", errb)
	}
	base := "http://" + m[1]
	tok, _ := os.ReadFile(m[2])
	auth := "Bearer " + strings.TrimSpace(string(tok))
	c := &http.Client{Timeout: 10 * time.Second}
	do := func(method, path, body string) (int, map[string]any) {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", auth)
		req.Header.Set("Content-Type", "application/json")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	code, ans := do("POST", "/v1/decide", `{"command":"rm -rf build","cwd":"/tmp","session":"s1","context":{"user":"alice"}}`)
	ask, _ := ans["result"].(map[string]any)["ask"].(map[string]any)
	id, _ := ask["approval_id"].(string)
	if code != 200 || id == "" {
		t.Fatalf("ask: %d %v", code, ans)
	}
	for _, method := range []string{"POST", "PUT", "PATCH", "DELETE"} {
		for _, path := range []string{"/v1/approvals/" + id, "/v1/approvals/" + id + "/approve", "/v1/approvals"} {
			code, body := do(method, path, `{"approve":true,"by":"alice","scope":"once","status":"approved"}`)
			res, _ := body["result"].(map[string]any)
			if (code != 404 && code != 405) || res["decision"] != "deny" {
				t.Errorf("%s %s: %d %v", method, path, code, body)
			}
		}
	}
	code, ap := do("GET", "/v1/approvals/"+id, "")
	if code != 200 || ap["status"] != "pending" || ap["decision"] != "ask" || ap["approver"] != nil {
		t.Errorf("after the attempts: %d %v", code, ap)
	}
	// The same call again is still an ask, not an allow.
	if _, d, _ := apiDecide(t, c, base, `{"command":"rm -rf build","cwd":"/tmp","session":"s1"}`, "Authorization", auth); d != "ask" {
		t.Errorf("retry: %s", d)
	}
}

// TestServeHookClaudeMatchesCLI: over the Unix socket, every Claude Code
// payload of package hook gets byte for byte what `safeclaw hook claude`
// prints for it.
func TestServeHookClaudeMatchesCLI(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "hook", "testdata", "payloads", "claude.*.json"))
	if len(files) == 0 {
		t.Skip("no payloads")
	}
	e := serveEnv(t)
	startServe(t, e)
	c := socketClient(filepath.Join(e.StateDir, "serve.sock"))
	cliEnv := serveEnv(t)
	cliEnv.Home, cliEnv.Cwd = e.Home, e.Cwd
	for _, f := range files {
		payload, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := c.Post("http://safeclaw/v1/hook/claude", "application/json", bytes.NewReader(payload))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		code, want, _ := run(t, cliEnv, string(payload), "hook", "claude")
		if strings.TrimSpace(want) == "" {
			want = "{}\n"
		}
		if resp.StatusCode != 200 || string(got) != want {
			t.Errorf("%s: http %d\n%s\nwant (hook exit %d)\n%s", filepath.Base(f), resp.StatusCode, got, code, want)
		}
	}
}

// TestServeTCPRefusesBrowsers: on the real TCP listener, a rebound Host
// name, an Origin or a cross-site fetch is refused (403) even with the
// token, and the refusal says deny.
func TestServeTCPRefusesBrowsers(t *testing.T) {
	e := serveEnv(t)
	errb := startServe(t, e, "--listen", "127.0.0.1:0")
	m := regexp.MustCompile(`listening on http://(127\.0\.0\.1:(\d+)) `).FindStringSubmatch(errb.String())
	if m == nil {
		t.Fatalf("no address in %q", errb)
	}
	base, port := "http://"+m[1], m[2]
	tok, _ := os.ReadFile(filepath.Join(e.StateDir, "serve.token"))
	auth := "Bearer " + strings.TrimSpace(string(tok))
	c := &http.Client{Timeout: 10 * time.Second}
	for _, tc := range []struct {
		name string
		hdr  []string
		want int
	}{
		{"token", nil, 200},
		{"localhost", []string{"Host", "localhost:" + port}, 200},
		{"rebound name", []string{"Host", "rebind.attacker.example:" + port}, 403},
		{"origin", []string{"Origin", "http://127.0.0.1:" + port}, 403},
		{"cross-site", []string{"Sec-Fetch-Site", "cross-site"}, 403},
	} {
		req, _ := http.NewRequest("POST", base+"/v1/decide", strings.NewReader(`{"command":"git status"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", auth)
		for i := 0; i+1 < len(tc.hdr); i += 2 {
			if tc.hdr[i] == "Host" {
				req.Host = tc.hdr[i+1]
			} else {
				req.Header.Set(tc.hdr[i], tc.hdr[i+1])
			}
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var ans struct {
			Result struct {
				Decision string `json:"decision"`
			} `json:"result"`
		}
		json.NewDecoder(resp.Body).Decode(&ans)
		resp.Body.Close()
		if resp.StatusCode != tc.want || (tc.want != 200 && ans.Result.Decision != "deny") {
			t.Errorf("%s: %d %q", tc.name, resp.StatusCode, ans.Result.Decision)
		}
	}
	if !strings.Contains(errb.String(), "listening on") {
		t.Error(errb)
	}
}

// TestServeWorkspaceOfEachRequest: serve decides each request by the
// policy of the directory it names, not the server's own: a file write is
// "in the workspace" only in the project the request works in, and a
// server started in / allows no write anywhere by the built-in policy.
func TestServeWorkspaceOfEachRequest(t *testing.T) {
	e := serveEnv(t)
	// Outside /tmp, which the built-in policy lets agents write anyway.
	root, err := os.MkdirTemp("/var/tmp", "scws")
	if err != nil {
		t.Skip(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	projA, projB := filepath.Join(root, "a"), filepath.Join(root, "b")
	for _, p := range []string{projA, projB} {
		if err := os.MkdirAll(filepath.Join(p, ".git"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	e.Cwd = "/"
	sock := filepath.Join(e.StateDir, "serve.sock")
	startServe(t, e)
	c := socketClient(sock)
	write := func(path, cwd string) string {
		body := fmt.Sprintf(`{"tool":"Write","input":{"file_path":%q,"content":"x"}`, path)
		if cwd != "" {
			body += fmt.Sprintf(`,"cwd":%q`, cwd)
		}
		_, decision, _ := apiDecide(t, c, "http://safeclaw", body+"}")
		return decision
	}
	tests := []struct {
		path, cwd, want string
	}{
		{filepath.Join(projA, "main.go"), projA, "allow"},
		{filepath.Join(projB, "main.go"), projB, "allow"},
		{filepath.Join(projB, "main.go"), projA, "deny"},
		{"/usr/local/bin/evil", projA, "deny"},
		{"/usr/local/bin/evil", "", "deny"}, // the server's own directory, /, is no workspace
		{filepath.Join(projA, "main.go"), "", "deny"},
		{filepath.Join(projA, ".claude", "settings.local.json"), projA, "deny"},
		// A directory that does not exist is no project.
		{filepath.Join(root, "nothere", "main.go"), filepath.Join(root, "nothere"), "deny"},
	}
	for _, tt := range tests {
		if got := write(tt.path, tt.cwd); got != tt.want {
			t.Errorf("write %s from %q: %s, want %s", tt.path, tt.cwd, got, tt.want)
		}
	}
}
