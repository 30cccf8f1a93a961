//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/safeclaw/safeclaw/internal/ptytest"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// envOpenAIAgents is a node_modules directory holding @openai/agents, the
// openai client, zod and tsx, which docs/examples/openai-agents.ts runs
// with (scripts/e2e.sh installs the pinned versions).
const envOpenAIAgents = "SAFECLAW_E2E_OPENAI_AGENTS"

const (
	// openaiAgentsExample is the example under test, relative to e2e/.
	openaiAgentsExample = "../docs/examples/openai-agents.ts"
	// openaiAgentsName is the agent name the example sends to safeclaw.
	openaiAgentsName = "openai-agents"
	// openaiAgentsTool is the example's one function tool.
	openaiAgentsTool = "run_shell"
	// openaiAgentsCallPrefix starts the call ids the mock makes up.
	openaiAgentsCallPrefix = "call_agents_"
	// openaiAgentsTimeout bounds the example's whole run, the wait for a
	// person included.
	openaiAgentsTimeout = 2 * time.Minute
)

// agentsResponses is the mock OpenAI Responses API as the Agents SDK
// 0.20.0 uses it by default: POST /v1/responses, not streamed (run()
// without {stream: true}), the whole conversation in "input" on every
// turn, function tools as {"type": "function", "name": ...}. It asks for
// run_shell with {"command": ...}, and keeps every request body.
type agentsResponses struct {
	mu     sync.Mutex
	bodies []string
}

func (a *agentsResponses) requestBodies() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.bodies...)
}

func (a *agentsResponses) handle(m *mockModel, w http.ResponseWriter, r *http.Request, body []byte) {
	a.mu.Lock()
	a.bodies = append(a.bodies, fmt.Sprintf("%s %s %s", r.Method, r.URL, body))
	a.mu.Unlock()
	errorJSON := func(status int, msg string) {
		writeJSON(w, status, map[string]any{"error": map[string]any{"message": msg, "type": "invalid_request_error"}})
	}
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/responses") {
		m.logf("%s %s -> 404: %s", r.Method, r.URL, summarize(body, 300))
		errorJSON(http.StatusNotFound, "mock: unknown route")
		return
	}
	var req openaiRequest
	if err := json.Unmarshal(body, &req); err != nil {
		m.logf("POST %s: bad JSON: %v", r.URL, err)
		errorJSON(http.StatusBadRequest, err.Error())
		return
	}
	if req.Stream {
		// The example calls run() without streaming; a streamed request
		// means the SDK changed, and the mock does not fake that protocol.
		m.logf("POST %s: stream requested", r.URL)
		errorJSON(http.StatusBadRequest, "mock: streaming not supported")
		return
	}
	offered := false
	for _, tool := range req.Tools {
		offered = offered || tool.Name == openaiAgentsTool
	}
	seen := m.noteOpenAIResults(req.Input, openaiAgentsCallPrefix)

	var item map[string]any
	if step, call, ok := m.nextStep(len(seen)); ok {
		if !offered {
			m.logf("POST %s: %s not offered", r.URL, openaiAgentsTool)
			errorJSON(http.StatusBadRequest, "mock: no run_shell tool offered")
			return
		}
		args, _ := json.Marshal(map[string]string{"command": call.Command})
		item = map[string]any{"type": "function_call", "id": fmt.Sprintf("fc_agents_%d", step), "name": openaiAgentsTool,
			"arguments": string(args), "call_id": fmt.Sprintf("%s%d", openaiAgentsCallPrefix, step), "status": "completed"}
		m.logf("POST %s results=%d -> %s %d: %s", r.URL, len(seen), openaiAgentsTool, step, call.Command)
	} else {
		item = map[string]any{"type": "message", "role": "assistant", "id": "msg_agents", "status": "completed",
			"content": []any{map[string]any{"type": "output_text", "text": "MOCK-DONE", "annotations": []any{}}}}
		m.sentFinal()
		m.logf("POST %s results=%d -> final message", r.URL, len(seen))
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id": fmt.Sprintf("resp_agents_%d", len(seen)), "object": "response", "created_at": time.Now().Unix(),
		"status": "completed", "model": req.Model, "output": []any{item},
		"usage": map[string]any{"input_tokens": 10, "input_tokens_details": map[string]any{"cached_tokens": 0},
			"output_tokens": 5, "output_tokens_details": map[string]any{"reasoning_tokens": 0}, "total_tokens": 15},
	})
}

// lockedBuffer collects a child process's output while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startChild starts a process in its own process group; the group is
// killed when the test ends. done is closed once it has exited, with its
// error in *waitErr.
func startChild(t *testing.T, dir string, env []string, stdout, stderr *lockedBuffer, name string, args ...string) (cmd *exec.Cmd, done chan struct{}, waitErr *error) {
	t.Helper()
	cmd = exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// A grandchild that left the group must not hold Wait on its pipes.
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	pgid := cmd.Process.Pid
	done = make(chan struct{})
	waitErr = new(error)
	go func() {
		*waitErr = cmd.Wait()
		close(done)
	}()
	t.Cleanup(func() {
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-done
	})
	return cmd, done, waitErr
}

// startServe runs `safeclaw serve` on the Unix socket and waits until it
// answers /healthz. It is stopped with SIGTERM when the test ends.
func startServe(t *testing.T, sc *scenario, socket string) {
	t.Helper()
	var stdout, stderr lockedBuffer
	cmd, done, _ := startChild(t, sc.project, sc.baseEnv(), &stdout, &stderr, safeclawBin, "serve", "--socket", socket)
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Errorf("safeclaw serve did not stop within 5 s of SIGTERM")
		}
		if t.Failed() {
			t.Logf("safeclaw serve stderr:\n%s", tail(stderr.String(), 4000))
		}
	})
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", socket)
		},
	}}
	defer client.CloseIdleConnections()
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := client.Get("http://safeclaw/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			err = fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		select {
		case <-done:
			t.Fatalf("safeclaw serve exited before answering: %s", stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("safeclaw serve did not answer /healthz on %s within 15 s: %v\n%s", socket, err, stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// pendingApproval is the part of `safeclaw approvals list --json` the test
// reads.
type pendingApproval struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Agent  string `json:"agent"`
	Input  string `json:"input"`
}

// waitForApproval polls `safeclaw approvals list --json` until a request
// is pending; it fails the test when the example exits first.
func waitForApproval(t *testing.T, sc *scenario, exited <-chan struct{}) pendingApproval {
	t.Helper()
	deadline := time.Now().Add(openaiAgentsTimeout)
	for {
		out, code := sc.safeclaw(t, "approvals", "list", "--json")
		if code != 0 {
			t.Fatalf("safeclaw approvals list --json: exit %d\n%s", code, out)
		}
		var list []pendingApproval
		if err := json.Unmarshal([]byte(out), &list); err != nil {
			t.Fatalf("safeclaw approvals list --json: %v\n%s", err, out)
		}
		var pending []pendingApproval
		for _, p := range list {
			if p.Status == "pending" {
				pending = append(pending, p)
			}
		}
		switch {
		case len(pending) == 1:
			return pending[0]
		case len(pending) > 1:
			t.Fatalf("%d approval requests pending, want 1: %+v", len(pending), pending)
		}
		select {
		case <-exited:
			t.Fatal("the example exited before any approval request was pending")
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no approval request pending within %s", openaiAgentsTimeout)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// approveAtTerminal runs `safeclaw approvals approve ID` with its standard
// input on a pseudo-terminal where a person types "y": approve refuses to
// run without one, so that an agent cannot approve its own request from a
// script.
func (sc *scenario) approveAtTerminal(t *testing.T, id string) string {
	t.Helper()
	master, slaveName, err := ptytest.New()
	if err != nil {
		t.Fatalf("no pseudo-terminal to approve at: %v", err)
	}
	defer master.Close()
	slave, err := os.OpenFile(slaveName, os.O_RDWR, 0)
	if err != nil {
		t.Fatalf("open the pseudo-terminal: %v", err)
	}
	defer slave.Close()
	go func() { // drain the echo so that the terminal never fills up
		buf := make([]byte, 1024)
		for {
			if _, err := master.Read(buf); err != nil {
				return
			}
		}
	}()
	if _, err := master.Write([]byte("y\n")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, safeclawBin, "approvals", "approve", id)
	cmd.Dir = sc.project
	cmd.Env = sc.baseEnv()
	cmd.Stdin = slave
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("safeclaw approvals approve %s: %v\nstdout:\n%s\nstderr:\n%s", id, err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// openaiAgentsPackages returns the node_modules directory from
// scripts/e2e.sh and node, or skips the test (loudly under CI).
func openaiAgentsPackages(t *testing.T) (nodeModules, node string) {
	t.Helper()
	const name = "OpenAI Agents SDK example"
	nodeModules = agentCLI(t, name, envOpenAIAgents)
	node, err := exec.LookPath("node")
	if err != nil {
		skipLoud(t, name, "node is not on PATH")
	}
	for _, p := range []string{"@openai/agents/package.json", "zod/package.json", "tsx/dist/cli.mjs"} {
		if _, err := os.Stat(filepath.Join(nodeModules, p)); err != nil {
			t.Fatalf("%s=%s lacks %s: %v", envOpenAIAgents, nodeModules, p, err)
		}
	}
	return nodeModules, node
}

// TestOpenAIAgentsExample runs docs/examples/openai-agents.ts, unchanged,
// with @openai/agents 0.20.0 against a real `safeclaw serve` (built-in
// policy, Unix socket) and a mock Responses API that asks for a listener,
// a harmless command that writes a marker file, and a push under the
// "Ask before pushing" rule. The test approves the push with `safeclaw
// approvals approve` at a pseudo-terminal while the example waits.
func TestOpenAIAgentsExample(t *testing.T) {
	nodeModules, node := openaiAgentsPackages(t)
	sc := newScenario(t)
	nonce := randomHex(t, 6)
	allowedOut := "safeclaw-e2e-ok" + nonce
	allowedCmd := fmt.Sprintf(`printf '%%s-%%s\n' safeclaw-e2e ok%s > allowed.txt && cat allowed.txt`, nonce)
	askCmd := `git push origin HEAD && printf '%s\n' pushed >> pushed.log`
	steps := []string{sc.listenCmd, allowedCmd, askCmd}

	// The example finds the socket from SAFECLAW_HOME; a temporary
	// directory too deep for a socket path gets an explicit one.
	socket := filepath.Join(sc.safeclawHome, "state", "serve.sock")
	var socketEnv []string
	if len(socket) > 100 {
		dir, err := os.MkdirTemp("", "sc")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		socket = filepath.Join(dir, "serve.sock")
		socketEnv = []string{"SAFECLAW_SOCKET=" + socket}
	}
	startServe(t, sc, socket)

	// The example beside the packages: Node resolves its imports from the
	// file's own directory.
	exampleDir := t.TempDir()
	src, err := os.ReadFile(openaiAgentsExample)
	if err != nil {
		t.Fatal(err)
	}
	example := filepath.Join(exampleDir, "openai-agents.ts")
	writeFile(t, example, string(src))
	if err := os.Symlink(nodeModules, filepath.Join(exampleDir, "node_modules")); err != nil {
		t.Fatal(err)
	}

	api := &agentsResponses{}
	m := startMock(t, shellCalls(steps...), api.handle)
	w := watchPort(t, sc.port)
	env := sc.baseEnv(append(socketEnv,
		"OPENAI_BASE_URL="+m.url+"/v1",
		"OPENAI_API_KEY=sk-mock",
		// Traces would go to api.openai.com whatever the base URL.
		"OPENAI_AGENTS_DISABLE_TRACING=1",
	)...)
	var stdout, stderr lockedBuffer
	start := time.Now()
	_, exited, waitErr := startChild(t, sc.project, env, &stdout, &stderr, node,
		filepath.Join(nodeModules, "tsx", "dist", "cli.mjs"), example, "Run the commands you are given, one at a time.")
	logs := func() string {
		return fmt.Sprintf("example stdout:\n%s\nexample stderr:\n%s\nmock requests:\n%s",
			tail(stdout.String(), 4000), tail(stderr.String(), 4000), strings.Join(m.requests(), "\n"))
	}
	defer func() {
		if t.Failed() {
			t.Log(logs())
			for i, b := range api.requestBodies() {
				t.Logf("mock request body %d:\n%s", i, tail(b, 3000))
			}
		}
	}()

	// The push waits for a person; nothing of it may have run yet.
	pending := waitForApproval(t, sc, exited)
	if pending.Input != askCmd || pending.Agent != openaiAgentsName {
		t.Fatalf("pending approval is for %q by %q, want %q by %q", pending.Input, pending.Agent, askCmd, openaiAgentsName)
	}
	// The example prints the command for the person once its run paused.
	prompt := "safeclaw approvals approve " + pending.ID
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(stderr.String(), prompt); time.Sleep(50 * time.Millisecond) {
		select {
		case <-exited:
			t.Fatal("the example exited instead of waiting for a person")
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the example did not tell the person to run %q within 30 s", prompt)
		}
	}
	select {
	case <-exited:
		t.Fatal("the example exited instead of waiting for a person")
	default:
	}
	if _, err := os.Stat(filepath.Join(sc.project, "pushed.log")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%q ran before it was approved (pushed.log: %v)", askCmd, err)
	}
	if refs := sc.remoteRefs(t); refs != "" {
		t.Errorf("%q ran before it was approved: the remote has refs %q", askCmd, refs)
	}
	if _, ok := m.toolResults()[2]; ok {
		t.Errorf("the model got a result for %q before it was approved", askCmd)
	}

	out := sc.approveAtTerminal(t, pending.ID)
	t.Logf("safeclaw approvals approve %s:\n%s", pending.ID, out)

	select {
	case <-exited:
	case <-time.After(openaiAgentsTimeout - time.Since(start)):
		t.Fatalf("the example did not finish within %s", openaiAgentsTimeout)
	}
	t.Logf("example finished in %s: %v", time.Since(start).Round(10*time.Millisecond), *waitErr)
	if *waitErr != nil {
		t.Errorf("example: %v", *waitErr)
	}
	if !strings.Contains(stdout.String(), "MOCK-DONE") {
		t.Errorf("the example did not print the model's final answer:\n%s", stdout.String())
	}
	m.logResults(t)

	// 1. The listener was denied and never opened; the model got the reason.
	sc.checkListenerNeverOpened(t, w)
	recs := sc.audit(t)
	deny := decisionFor(t, recs, openaiAgentsName, sc.listenCmd, "deny")
	results := m.toolResults()
	if r, ok := results[0]; !ok {
		t.Errorf("the model never received the result of %q", sc.listenCmd)
	} else if deny.Reason == "" || !strings.Contains(r.Text, deny.Reason) || !strings.Contains(r.Text, "safeclaw") {
		t.Errorf("result of %q does not carry safeclaw's denial reason %q:\n%s", sc.listenCmd, deny.Reason, r.Text)
	}

	// 2. The harmless command ran: its marker file, and its output reached
	// the model.
	decisionFor(t, recs, openaiAgentsName, allowedCmd, "allow")
	if b, err := os.ReadFile(filepath.Join(sc.project, "allowed.txt")); err != nil || string(b) != allowedOut+"\n" {
		t.Errorf("%q did not run: allowed.txt = %q, %v", allowedCmd, b, err)
	}
	if r, ok := results[1]; !ok || !strings.Contains(r.Text, allowedOut) {
		t.Errorf("result of %q does not show its output %q: %+v", allowedCmd, allowedOut, r)
	}

	// 3. The push was asked, approved and then ran exactly once.
	var askDecisions []string
	for _, r := range recs {
		if r.Type == "decision" && r.Request == askCmd {
			askDecisions = append(askDecisions, r.Decision)
			if r.Agent != openaiAgentsName {
				t.Errorf("audit record for %q names agent %q, want %q", askCmd, r.Agent, openaiAgentsName)
			}
		}
	}
	if strings.Join(askDecisions, ",") != "ask,allow" {
		t.Errorf("audit decisions for %q = %v, want [ask allow] (asked, then allowed once after the approval)", askCmd, askDecisions)
	}
	if b, err := os.ReadFile(filepath.Join(sc.project, "pushed.log")); err != nil || string(b) != "pushed\n" {
		t.Errorf("%q did not run exactly once: pushed.log = %q, %v", askCmd, b, err)
	}
	if refs := sc.remoteRefs(t); refs == "" {
		t.Errorf("%q was approved but the remote has no refs", askCmd)
	}
	if r, ok := results[2]; !ok {
		t.Errorf("the model never received the result of %q", askCmd)
	} else if strings.Contains(r.Text, "Denied") || strings.Contains(r.Text, "did not approve") {
		t.Errorf("result of %q says it was refused:\n%s", askCmd, r.Text)
	}
	var outcomes []string
	for _, r := range recs {
		var ev struct {
			Approval struct {
				ID       string `json:"id"`
				Outcome  string `json:"outcome"`
				Approver string `json:"approver"`
			} `json:"approval"`
		}
		if r.Type != "approval" || json.Unmarshal([]byte(r.Raw), &ev) != nil || ev.Approval.ID != pending.ID {
			continue
		}
		outcomes = append(outcomes, ev.Approval.Outcome)
		if ev.Approval.Outcome == "approved" {
			t.Logf("approval %s approved by %q", pending.ID, ev.Approval.Approver)
		}
	}
	if strings.Join(outcomes, ",") != "requested,approved,used" {
		t.Errorf("audit events of approval %s = %v, want [requested approved used]", pending.ID, outcomes)
	}

	if !m.finished() {
		t.Errorf("the example never came back for the final turn after the three calls")
	}
	for _, b := range api.requestBodies() {
		if !strings.Contains(b, `"name":"`+openaiAgentsTool+`"`) {
			t.Errorf("a model request did not offer %s: %s", openaiAgentsTool, summarize([]byte(b), 300))
		}
	}
	sc.verifyAudit(t)
}
