//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Environment variables scripts/e2e.sh sets.
const (
	// envSafeclaw is the safeclaw binary under test; without it TestMain
	// builds one from ../cmd/safeclaw.
	envSafeclaw = "SAFECLAW_E2E_BIN"
	// envCI is set to "true" by CI, where a skipped agent must be loud.
	envCI = "CI"
)

// agentRunTimeout bounds one headless agent run; a run that hangs (an
// agent waiting on an "ask", a hook that never answers) is killed then.
const agentRunTimeout = 4 * time.Minute

// safeclawBin is the binary every test installs as the agents' hook. It is
// set once by TestMain before any test runs.
var safeclawBin string

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	if logPath := os.Getenv(envMCPUpstreamLog); logPath != "" {
		// Started by an MCP test as the upstream server, not to test.
		if err := serveMCPUpstream(os.Stdin, os.Stdout, logPath, os.Getenv(envMCPUpstreamMarker)); err != nil {
			fmt.Fprintln(os.Stderr, "e2e mcp upstream:", err)
			return 1
		}
		return 0
	}
	safeclawBin = os.Getenv(envSafeclaw)
	if safeclawBin == "" {
		dir, err := os.MkdirTemp("", "safeclaw-e2e-bin-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "e2e:", err)
			return 1
		}
		defer os.RemoveAll(dir)
		safeclawBin = filepath.Join(dir, "safeclaw")
		build := exec.Command("go", "build", "-o", safeclawBin, "../cmd/safeclaw")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "e2e: building safeclaw:", err)
			return 1
		}
	}
	abs, err := filepath.Abs(safeclawBin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	safeclawBin = abs
	if _, err := os.Stat(safeclawBin); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %s: %v\n", envSafeclaw, err)
		return 1
	}
	return m.Run()
}

// agentCLI returns the path in the environment variable envVar (set by
// scripts/e2e.sh after installing the CLI). When the CLI could not be
// installed the test is skipped, loudly under CI; a path that is set but
// does not exist is a failure.
func agentCLI(t *testing.T, name, envVar string) string {
	t.Helper()
	path := os.Getenv(envVar)
	if path == "" {
		why := os.Getenv(envVar + "_ERROR")
		if why == "" {
			why = envVar + " is not set (run scripts/e2e.sh, which installs the pinned CLI)"
		}
		skipLoud(t, name, why)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("%s: %s=%s: %v", name, envVar, path, err)
	}
	return path
}

// skipLoud skips the test; under CI it also prints a banner on stderr, so a
// run that tested less than it should cannot pass unnoticed.
func skipLoud(t *testing.T, name, why string) {
	t.Helper()
	msg := fmt.Sprintf("%s end-to-end test SKIPPED: %s", name, why)
	if os.Getenv(envCI) == "true" {
		banner := strings.Repeat("!", 78)
		fmt.Fprintf(os.Stderr, "\n%s\n!!! %s\n%s\n\n", banner, msg, banner)
	}
	t.Skip(msg)
}

// scenario is one test's throwaway world: a HOME, a SAFECLAW_HOME, a git
// project with a local bare remote, a free port nobody may listen on, and
// the three commands the mock model asks for.
type scenario struct {
	home         string // HOME of the agent (its settings live here)
	safeclawHome string // SAFECLAW_HOME: policy, config, audit trail
	project      string // the agent's working directory, a git repository
	remote       string // bare repository the ask command would push to
	port         int    // the listener port the first command asks for

	listenCmd  string // denied: python3 -m http.server PORT
	allowedCmd string // allowed: prints allowedOut
	allowedOut string // what allowedCmd prints (not a substring of allowedCmd)
	askCmd     string // under the built-in "Ask before pushing" rule
}

func newScenario(t *testing.T) *scenario {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		// Without python3 the listener command could not open a port even
		// if safeclaw let it through, and the test would prove nothing.
		t.Fatalf("python3 is needed on PATH: %v", err)
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatalf("git is needed on PATH: %v", err)
	}
	root := t.TempDir()
	sc := &scenario{
		home:         filepath.Join(root, "home"),
		safeclawHome: filepath.Join(root, "safeclaw"),
		project:      filepath.Join(root, "project"),
		remote:       filepath.Join(root, "remote.git"),
		port:         freePort(t),
	}
	for _, d := range []string{sc.home, sc.safeclawHome, sc.project} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	nonce := randomHex(t, 6)
	sc.listenCmd = fmt.Sprintf("python3 -m http.server %d", sc.port)
	sc.allowedCmd = fmt.Sprintf(`printf '%%s-%%s\n' safeclaw-e2e ok%s`, nonce)
	sc.allowedOut = "safeclaw-e2e-ok" + nonce
	sc.askCmd = "git push origin HEAD"

	git := func(dir string, args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "user.name=e2e", "-c", "user.email=e2e@example.invalid", "-c", "init.defaultBranch=main"}, args...)...)
		cmd.Dir = dir
		cmd.Env = sc.baseEnv()
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	// python3 must work in the agents' environment (fake HOME included),
	// or a listener that slipped through would still never open.
	py := exec.Command("python3", "-c", "import http.server")
	py.Env = sc.baseEnv()
	if out, err := py.CombinedOutput(); err != nil {
		t.Fatalf("python3 -c 'import http.server' in the test environment: %v\n%s", err, out)
	}

	git(root, "init", "-q", "--bare", sc.remote)
	git(sc.project, "init", "-q")
	if err := os.WriteFile(filepath.Join(sc.project, "README.md"), []byte("e2e project\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git(sc.project, "add", "README.md")
	git(sc.project, "commit", "-q", "-m", "init")
	git(sc.project, "remote", "add", "origin", sc.remote)
	return sc
}

// steps are the commands the mock model asks for, in order.
func (sc *scenario) steps() []string {
	return []string{sc.listenCmd, sc.allowedCmd, sc.askCmd}
}

// baseEnv is the environment every process of the scenario gets: nothing
// from the caller but PATH and locale, so no real API key, config directory
// or agent setting can leak in.
func (sc *scenario) baseEnv(extra ...string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + sc.home,
		"USER=e2e",
		"LANG=C.UTF-8",
		"TERM=dumb",
		"TMPDIR=" + os.TempDir(),
		"SAFECLAW_HOME=" + sc.safeclawHome,
		"NO_COLOR=1",
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=e2e", "GIT_AUTHOR_EMAIL=e2e@example.invalid",
		"GIT_COMMITTER_NAME=e2e", "GIT_COMMITTER_EMAIL=e2e@example.invalid",
	}
	return append(env, extra...)
}

// safeclaw runs the safeclaw binary with the scenario's environment and
// returns its stdout and exit code.
func (sc *scenario) safeclaw(t *testing.T, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, safeclawBin, args...)
	cmd.Dir = sc.project
	cmd.Env = sc.baseEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			t.Fatalf("safeclaw %s: %v", strings.Join(args, " "), err)
		}
		code = exit.ExitCode()
	}
	if stderr.Len() > 0 {
		t.Logf("safeclaw %s stderr:\n%s", strings.Join(args, " "), stderr.String())
	}
	return stdout.String(), code
}

// install runs `safeclaw install AGENT` into the scenario's HOME.
func (sc *scenario) install(t *testing.T, agent string, extraEnv ...string) {
	t.Helper()
	out, code := sc.safeclawEnv(t, extraEnv, "install", agent)
	if code != 0 {
		t.Fatalf("safeclaw install %s: exit %d\n%s", agent, code, out)
	}
	t.Logf("safeclaw install %s:\n%s", agent, out)
}

func (sc *scenario) safeclawEnv(t *testing.T, extraEnv []string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, safeclawBin, args...)
	cmd.Dir = sc.project
	cmd.Env = sc.baseEnv(extraEnv...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			t.Fatalf("safeclaw %s: %v", strings.Join(args, " "), err)
		}
		return string(out), exit.ExitCode()
	}
	return string(out), 0
}

// auditRecord is the part of a `safeclaw audit --json` line the tests read.
type auditRecord struct {
	Type     string `json:"type"`
	Agent    string `json:"agent"`
	Surface  string `json:"surface"`
	Decision string `json:"decision"`
	Request  string `json:"request"`
	Reason   string `json:"reason"`
	Rule     struct {
		Name string `json:"name"`
	} `json:"rule"`
	Raw string `json:"-"` // the whole line
}

// audit returns every record of the scenario's audit trail.
func (sc *scenario) audit(t *testing.T) []auditRecord {
	t.Helper()
	out, code := sc.safeclaw(t, "audit", "--json")
	if code != 0 {
		t.Fatalf("safeclaw audit --json: exit %d\n%s", code, out)
	}
	return parseAudit(t, out)
}

// parseAudit reads the lines of `safeclaw audit --json`.
func parseAudit(t *testing.T, out string) []auditRecord {
	t.Helper()
	var recs []auditRecord
	lines := bufio.NewScanner(strings.NewReader(out))
	lines.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for lines.Scan() {
		line := strings.TrimSpace(lines.Text())
		if line == "" {
			continue
		}
		var r auditRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("safeclaw audit --json: line %q: %v", line, err)
		}
		r.Raw = line
		recs = append(recs, r)
	}
	return recs
}

// decisionFor finds the decision records for command; it fails the test
// unless there is at least one and all agree on want.
func decisionFor(t *testing.T, recs []auditRecord, agent, command, want string) auditRecord {
	t.Helper()
	var found []auditRecord
	for _, r := range recs {
		if r.Type == "decision" && r.Request == command {
			found = append(found, r)
		}
	}
	if len(found) == 0 {
		t.Errorf("audit trail has no decision for %q (want %s); records: %+v", command, want, recs)
		return auditRecord{}
	}
	for _, r := range found {
		if r.Decision != want {
			t.Errorf("audit decision for %q = %s (rule %q), want %s", command, r.Decision, r.Rule.Name, want)
		}
		if r.Agent != agent {
			t.Errorf("audit record for %q names agent %q, want %q", command, r.Agent, agent)
		}
	}
	return found[0]
}

// checkListenerNeverOpened asserts that the denied listener never ran: the
// watcher never connected during the run, and a last connect fails.
func (sc *scenario) checkListenerNeverOpened(t *testing.T, w *portWatch) {
	t.Helper()
	if w.opened() {
		t.Errorf("port %d was opened during the run: the listener command ran", sc.port)
	}
	if c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(sc.port)), time.Second); err == nil {
		c.Close()
		t.Errorf("port %d accepts connections after the run", sc.port)
	}
}

// checkScenario asserts the outcome every agent's run must have.
func (sc *scenario) checkScenario(t *testing.T, agent string, m *mockModel, w *portWatch) {
	t.Helper()
	sc.checkListenerNeverOpened(t, w)

	recs := sc.audit(t)
	deny := decisionFor(t, recs, agent, sc.listenCmd, "deny")
	decisionFor(t, recs, agent, sc.allowedCmd, "allow")
	ask := decisionFor(t, recs, agent, sc.askCmd, "ask")

	results := m.toolResults()
	if len(results) < 3 {
		t.Errorf("mock model received %d tool results, want 3 (one per scripted call): %+v", len(results), results)
	}
	if r, ok := results[0]; !ok {
		t.Errorf("mock model never received the result of %q", sc.listenCmd)
	} else if deny.Reason == "" || !strings.Contains(r.Text, deny.Reason) || !strings.Contains(r.Text, "safeclaw") {
		t.Errorf("result of %q does not carry safeclaw's denial reason %q:\n%s", sc.listenCmd, deny.Reason, r.Text)
	}
	if r, ok := results[1]; !ok {
		t.Errorf("mock model never received the result of %q", sc.allowedCmd)
	} else if !strings.Contains(r.Text, sc.allowedOut) {
		t.Errorf("result of %q does not show it ran (want output %q):\n%s", sc.allowedCmd, sc.allowedOut, r.Text)
	}
	if r, ok := results[2]; !ok {
		t.Errorf("mock model never received the result of %q", sc.askCmd)
	} else if ask.Reason == "" || !strings.Contains(r.Text, ask.Reason) {
		t.Errorf("result of %q does not carry safeclaw's ask reason %q:\n%s", sc.askCmd, ask.Reason, r.Text)
	}
	if refs := sc.remoteRefs(t); refs != "" {
		t.Errorf("%q ran: the remote has refs %q", sc.askCmd, refs)
	}
	if !m.finished() {
		t.Errorf("the agent never came back for the final turn after the three calls")
	}
	sc.verifyAudit(t)
}

// brokenPolicyCause is the part of safeclaw's error about the policy
// breakPolicy writes that must reach the model.
const brokenPolicyCause = `unknown key "efect"`

// breakPolicy writes a user policy with a typo in a key, which safeclaw
// refuses as a whole, and checks that it does.
func (sc *scenario) breakPolicy(t *testing.T) {
	t.Helper()
	writeFile(t, filepath.Join(sc.safeclawHome, "policy.yaml"),
		"version: 1\ndefault: deny\nrules:\n  - name: harmless\n    command_pattern: \"printf *\"\n    efect: allow\n")
	if out, code := sc.safeclaw(t, "check", "--command", sc.allowedCmd); code != 2 {
		t.Fatalf("safeclaw check with the broken policy: exit %d, want 2 (bad policy)\n%s", code, out)
	}
}

// checkBlocked asserts that the one scripted call, sc.allowedCmd, did not
// run, and that the model was told why (reasonPart, when set).
func (sc *scenario) checkBlocked(t *testing.T, m *mockModel, reasonPart string) {
	t.Helper()
	r, ok := m.toolResults()[0]
	switch {
	case !ok:
		t.Errorf("mock model never received the result of %q", sc.allowedCmd)
	case strings.Contains(r.Text, sc.allowedOut):
		t.Errorf("%q ran although the hook could not decide:\n%s", sc.allowedCmd, r.Text)
	case reasonPart != "" && !strings.Contains(r.Text, reasonPart):
		t.Errorf("result of %q does not name the cause %q:\n%s", sc.allowedCmd, reasonPart, r.Text)
	}
}

func (sc *scenario) verifyAudit(t *testing.T) {
	t.Helper()
	out, code := sc.safeclaw(t, "audit", "verify")
	if code != 0 {
		t.Errorf("safeclaw audit verify: exit %d\n%s", code, out)
	} else {
		t.Logf("safeclaw audit verify: %s", strings.TrimSpace(out))
	}
}

// remoteRefs lists the bare remote's refs: empty unless a push got through.
func (sc *scenario) remoteRefs(t *testing.T) string {
	t.Helper()
	cmd := exec.Command("git", "--git-dir", sc.remote, "for-each-ref")
	cmd.Env = sc.baseEnv()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git for-each-ref in %s: %v", sc.remote, err)
	}
	return strings.TrimSpace(string(out))
}

// agentResult is what a finished agent process left.
type agentResult struct {
	stdout, stderr string
	exitCode       int
	elapsed        time.Duration
}

// runAgent runs one headless agent process in its own process group, bounded
// by agentRunTimeout; the whole group is killed on timeout and when the
// test ends, so no stray tool process outlives the test.
func runAgent(t *testing.T, dir string, env []string, name string, args ...string) agentResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), agentRunTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdin = nil // /dev/null: headless, no person at a terminal
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	pgid := cmd.Process.Pid
	t.Cleanup(func() { _ = syscall.Kill(-pgid, syscall.SIGKILL) })
	err := cmd.Wait()
	res := agentResult{stdout: stdout.String(), stderr: stderr.String(), elapsed: time.Since(start)}
	// The agent is done; its tool processes must not linger either.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	if ctx.Err() != nil {
		t.Fatalf("%s did not finish within %s (killed)\nstdout:\n%s\nstderr:\n%s", filepath.Base(name), agentRunTimeout, res.stdout, tail(res.stderr, 4000))
	}
	if err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			t.Fatalf("%s: %v", name, err)
		}
		res.exitCode = exit.ExitCode()
	}
	t.Logf("%s finished in %s with exit code %d", filepath.Base(name), res.elapsed.Round(10*time.Millisecond), res.exitCode)
	return res
}

func (r agentResult) log(t *testing.T) {
	t.Helper()
	t.Logf("agent stdout:\n%s", tail(r.stdout, 6000))
	t.Logf("agent stderr:\n%s", tail(r.stderr, 6000))
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// portWatch dials a port over and over while an agent runs, to catch a
// listener that was opened even briefly.
type portWatch struct {
	seen atomic.Bool
	stop chan struct{}
	done sync.WaitGroup
}

func watchPort(t *testing.T, port int) *portWatch {
	t.Helper()
	w := &portWatch{stop: make(chan struct{})}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	w.done.Add(1)
	go func() {
		defer w.done.Done()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
				c.Close()
				w.seen.Store(true)
			}
			select {
			case <-w.stop:
				return
			case <-tick.C:
			}
		}
	}()
	t.Cleanup(w.halt)
	return w
}

func (w *portWatch) halt() {
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	w.done.Wait()
}

// opened stops the watch and says whether the port ever accepted.
func (w *portWatch) opened() bool {
	w.halt()
	return w.seen.Load()
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
