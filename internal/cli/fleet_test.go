package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/safeclaw/safeclaw/audit"
	"github.com/safeclaw/safeclaw/pgstore/pgtest"
)

// buildSafeclaw compiles cmd/safeclaw into dir.
func buildSafeclaw(t *testing.T, dir string) string {
	t.Helper()
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		if goTool, err = exec.LookPath("go"); err != nil {
			t.Skip("no go tool to build safeclaw with")
		}
	}
	bin := filepath.Join(dir, "safeclaw")
	cmd := exec.Command(goTool, "build", "-o", bin, "github.com/safeclaw/safeclaw/cmd/safeclaw")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build safeclaw: %v\n%s", err, out)
	}
	return bin
}

// fleetDecision is one answer of POST /v1/decide.
type fleetDecision struct {
	Result struct {
		Decision string `json:"decision"`
		Ask      *struct {
			ID string `json:"approval_id"`
		} `json:"ask"`
	} `json:"result"`
}

func fleetDecide(c *http.Client, body string) (*fleetDecision, error) {
	resp, err := c.Post("http://safeclaw/v1/decide", "application/json", strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		return nil, fmt.Errorf("decide: HTTP %d: %s", resp.StatusCode, b)
	}
	var d fleetDecision
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		return nil, err
	}
	return &d, nil
}

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

// TestStoreFleet: 3 `safeclaw serve` processes (separate homes and audit
// streams, one PostgreSQL store behind a proxy the test controls) and 20
// concurrent clients make 10,000 decisions; 1% are asks, approved from a
// fourth process with `safeclaw approvals approve --token-file` and
// released on another instance. PostgreSQL is cut off in the middle and
// comes back. Every decision is audited exactly once after the spools
// ship, every stream verifies, no approval allows twice, and asks during
// the outage are denied.
func TestStoreFleet(t *testing.T) {
	base := os.Getenv("SAFECLAW_TEST_POSTGRES")
	if base == "" {
		t.Skip("SAFECLAW_TEST_POSTGRES not set; run scripts/postgres-test.sh")
	}
	if testing.Short() {
		t.Skip("fleet test skipped in -short mode")
	}
	ctx := context.Background()
	// Unix socket paths must stay short: not under t.TempDir().
	dir, err := os.MkdirTemp("", "scfleet")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	bin := buildSafeclaw(t, dir)

	schema := fmt.Sprintf("fleet%d", os.Getpid())
	t.Cleanup(func() {
		if c, err := pgx.Connect(context.Background(), base); err == nil {
			c.Exec(context.Background(), `DROP SCHEMA IF EXISTS `+schema+` CASCADE`)
			c.Close(context.Background())
		}
	})
	withSchema := func(raw string) string {
		sep := "?"
		if strings.Contains(raw, "?") {
			sep = "&"
		}
		return raw + sep + "schema=" + schema
	}
	direct := withSchema(base)
	pu, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	px := pgtest.StartProxy(t, pu.Host)
	pu.Host = px.Addr()
	proxied := withSchema(pu.String())

	pol := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(pol, []byte("default: deny\nrules:\n- name: allow echo\n  command_pattern: \"echo *\"\n  effect: allow\n- name: ask for rm\n  command_pattern: \"rm *\"\n  effect: ask\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Four homes: three serve instances and a reviewer, one audit key.
	homes := []string{filepath.Join(dir, "h0"), filepath.Join(dir, "h1"), filepath.Join(dir, "h2"), filepath.Join(dir, "hr")}
	keyDir := func(h string) string { return filepath.Join(h, "state", "keys") }
	_, err = audit.LoadOrCreateKey(filepath.Join(keyDir(homes[0]), "audit.key"))
	if err != nil {
		t.Fatal(err)
	}
	keyBytes, err := os.ReadFile(filepath.Join(keyDir(homes[0]), "audit.key"))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range homes[1:] {
		if err := os.MkdirAll(keyDir(h), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(keyDir(h), "audit.key"), keyBytes, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tok := make([]byte, 32)
	rand.Read(tok)
	tokenFile := filepath.Join(keyDir(homes[3]), "approver.token")
	if err := os.WriteFile(tokenFile, []byte(hex.EncodeToString(tok)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	envFor := func(home, stream, store string) []string {
		return append(os.Environ(), "SAFECLAW_HOME="+home, "SAFECLAW_STREAM="+stream, "SAFECLAW_STORE="+store,
			"SAFECLAW_MANAGED_POLICY=", "NO_COLOR=1")
	}
	runBin := func(env []string, args ...string) (int, string) {
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		cmd.Stdin = strings.NewReader("")
		out, err := cmd.CombinedOutput()
		if err != nil {
			if ee, ok := err.(*exec.ExitError); ok {
				return ee.ExitCode(), string(out)
			}
			return -1, err.Error()
		}
		return 0, string(out)
	}
	reviewerEnv := envFor(homes[3], "reviewer", direct)
	if code, out := runBin(reviewerEnv, "store", "migrate"); code != 0 {
		t.Fatalf("store migrate: %d %s", code, out)
	}

	// The three instances.
	const instances = 3
	clients := make([]*http.Client, instances)
	for i := range instances {
		sock := filepath.Join(dir, fmt.Sprintf("s%d.sock", i))
		cmd := exec.Command(bin, "serve", "--policy", pol, "--socket", sock)
		cmd.Env = envFor(homes[i], fmt.Sprintf("fleet/%d", i), proxied)
		var errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = io.Discard, &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		t.Cleanup(func() {
			cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				<-done
			}
		})
		clients[i] = socketClient(sock)
		clients[i].Timeout = 90 * time.Second
		deadline := time.Now().Add(20 * time.Second)
		for {
			resp, err := clients[i].Get("http://safeclaw/healthz")
			if err == nil {
				resp.Body.Close()
				break
			}
			select {
			case <-done:
				t.Fatalf("serve %d exited: %s", i, errb.String())
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("serve %d did not come up: %v", i, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	var (
		sent     [instances]atomic.Int64 // decisions sent to each instance
		mu       sync.Mutex
		sessions = map[string]int{} // session -> audited decisions expected
		releases []time.Duration    // approve command started -> waiter released
		notified []time.Duration    // approval recorded -> waiter released
		failures []string
		outAsks  atomic.Int64
		approved atomic.Int64
	)
	fail := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if len(failures) < 20 {
			failures = append(failures, fmt.Sprintf(format, args...))
		}
	}
	decide := func(inst int, body string) *fleetDecision {
		sent[inst].Add(1)
		d, err := fleetDecide(clients[inst], body)
		if err != nil {
			fail("instance %d: %v", inst, err)
			return &fleetDecision{}
		}
		return d
	}
	// job n: 1% asks, 10% denies, the rest allows.
	job := func(n int, outage bool) {
		inst := n % instances
		session := fmt.Sprintf("s-%d", n)
		switch {
		case n%100 == 50:
			body := fmt.Sprintf(`{"command":"rm -rf build-%d","cwd":"/tmp","session":%q,"agent":"fleet"}`, n, session)
			d := decide(inst, body)
			if outage {
				// No approval store: fail closed.
				outAsks.Add(1)
				if d.Result.Decision != "deny" {
					fail("ask %d during the outage: %q, want deny", n, d.Result.Decision)
				}
				mu.Lock()
				sessions[session] = 1
				mu.Unlock()
				return
			}
			if d.Result.Decision != "ask" || d.Result.Ask == nil {
				fail("ask %d: %q", n, d.Result.Decision)
				return
			}
			id := d.Result.Ask.ID
			// A waiter on another instance is released by the approval.
			type release struct{ at, answered time.Time }
			released := make(chan release, 1)
			go func() {
				resp, err := clients[(inst+1)%instances].Get("http://safeclaw/v1/approvals/" + id + "?wait=60s")
				if err != nil {
					fail("wait %s: %v", id, err)
					released <- release{}
					return
				}
				var ap struct {
					Decision string    `json:"decision"`
					Answered time.Time `json:"answered_at"`
				}
				json.NewDecoder(resp.Body).Decode(&ap)
				resp.Body.Close()
				if ap.Decision != "allow" {
					fail("wait %s: %+v", id, ap)
				}
				released <- release{time.Now(), ap.Answered}
			}()
			time.Sleep(20 * time.Millisecond) // the waiter is listening
			start := time.Now()
			if code, out := runBin(reviewerEnv, "approvals", "approve", id, "--yes", "--token-file", tokenFile); code != 0 {
				fail("approve %s: %d %s", id, code, out)
				return
			}
			if r := <-released; !r.at.IsZero() {
				mu.Lock()
				releases = append(releases, r.at.Sub(start))
				if !r.answered.IsZero() && r.answered.Nanosecond() != 0 {
					notified = append(notified, r.at.Sub(r.answered))
				}
				mu.Unlock()
			}
			approved.Add(1)
			if d := decide((inst+2)%instances, body); d.Result.Decision != "allow" {
				fail("approved ask %d resent: %q, want allow", n, d.Result.Decision)
			}
			if d := decide(inst, body); d.Result.Decision == "allow" {
				fail("approval of ask %d applied twice", n)
			}
			mu.Lock()
			sessions[session] = 3
			mu.Unlock()
		case n%10 == 3:
			if d := decide(inst, fmt.Sprintf(`{"command":"python3 -m http.server %d","cwd":"/tmp","session":%q}`, 1024+n, session)); d.Result.Decision != "deny" {
				fail("deny %d: %q", n, d.Result.Decision)
			}
			mu.Lock()
			sessions[session] = 1
			mu.Unlock()
		default:
			if d := decide(inst, fmt.Sprintf(`{"command":"echo %d","cwd":"/tmp","session":%q}`, n, session)); d.Result.Decision != "allow" {
				fail("allow %d: %q", n, d.Result.Decision)
			}
			mu.Lock()
			sessions[session] = 1
			mu.Unlock()
		}
	}
	const clientsN = 20
	phase := func(from, to int, outage bool) time.Duration {
		start := time.Now()
		jobs := make(chan int)
		var wg sync.WaitGroup
		for range clientsN {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := range jobs {
					job(n, outage)
				}
			}()
		}
		for n := from; n < to; n++ {
			jobs <- n
		}
		close(jobs)
		wg.Wait()
		return time.Since(start)
	}
	const total = 10000
	d1 := phase(0, 5000, false)
	px.Down()
	d2 := phase(5000, 7000, true)
	// doctor shows the backlog (the instances ship on their next append).
	if code, out := runBin(envFor(homes[0], "fleet/0", direct), "doctor"); !strings.Contains(out, "spooled locally") {
		t.Errorf("doctor during the backlog: %d\n%s", code, out)
	}
	px.Up()
	d3 := phase(7000, total, false)
	// The instances retry PostgreSQL 2 s after a failure; then the next
	// append ships the spool first.
	time.Sleep(2500 * time.Millisecond)
	for i := range instances {
		session := fmt.Sprintf("flush-%d", i)
		decide(i, fmt.Sprintf(`{"command":"echo flush","cwd":"/tmp","session":%q}`, session))
		sessions[session] = 1
	}
	mu.Lock()
	for _, f := range failures {
		t.Error(f)
	}
	mu.Unlock()

	// Every decision audited exactly once, in the stream of the instance
	// that made it.
	c, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, `SET search_path TO `+schema); err != nil {
		t.Fatal(err)
	}
	for i := range instances {
		var n int64
		if err := c.QueryRow(ctx, `SELECT count(*) FROM audit_records WHERE stream = $1 AND type = 'decision'`, fmt.Sprintf("fleet/%d", i)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != sent[i].Load() {
			t.Errorf("stream fleet/%d: %d decision records, %d decisions made", i, n, sent[i].Load())
		}
	}
	rows, err := c.Query(ctx, `SELECT session, count(*) FROM audit_records WHERE type = 'decision' GROUP BY session`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			t.Fatal(err)
		}
		got[s] = n
	}
	rows.Close()
	bad := 0
	for s, want := range sessions {
		if got[s] != want && bad < 10 {
			bad++
			t.Errorf("session %s: %d decision records, want %d", s, got[s], want)
		}
	}
	if len(got) != len(sessions) {
		t.Errorf("%d sessions audited, %d made", len(got), len(sessions))
	}
	var used, unused int64
	if err := c.QueryRow(ctx, `SELECT count(*) FILTER (WHERE used_ns > 0), count(*) FILTER (WHERE status = 'approved' AND used_ns = 0) FROM approval_requests`).Scan(&used, &unused); err != nil {
		t.Fatal(err)
	}
	if used != approved.Load() || unused != 0 {
		t.Errorf("%d approvals used, %d approved and not used, %d approved", used, unused, approved.Load())
	}
	// Every stream verifies.
	if code, out := runBin(reviewerEnv, "audit", "verify"); code != 0 {
		t.Errorf("audit verify: %d\n%s", code, out)
	}
	if code, out := runBin(envFor(homes[0], "fleet/0", direct), "doctor"); strings.Contains(out, "spooled locally") {
		t.Errorf("doctor after shipping: %d\n%s", code, out)
	}
	all := d1 + d2 + d3
	var made int64
	for i := range instances {
		made += sent[i].Load()
	}
	t.Logf("fleet: %d decisions over %d instances with %d clients in %v: %.0f audited decisions/s in total, %.0f/s per instance",
		made, instances, clientsN, all.Round(time.Millisecond), float64(made)/all.Seconds(), float64(made)/all.Seconds()/instances)
	t.Logf("phases: up %v (5000 jobs), PostgreSQL down %v (2000 jobs, %d asks denied), back up %v (3000 jobs)",
		d1.Round(time.Millisecond), d2.Round(time.Millisecond), outAsks.Load(), d3.Round(time.Millisecond))
	t.Logf("approvals: %d approved from another process, each used once; release on another instance after the approve command started: p50 %v, p99 %v (includes the approver process's start)",
		approved.Load(), percentile(releases, 0.5).Round(time.Millisecond), percentile(releases, 0.99).Round(time.Millisecond))
	if len(notified) > 0 {
		t.Logf("approval release, from the answer's answered_at to the waiter's release (LISTEN/NOTIFY across processes): p50 %v, p99 %v (%d samples)",
			percentile(notified, 0.5).Round(100*time.Microsecond), percentile(notified, 0.99).Round(100*time.Microsecond), len(notified))
	}
}
