//go:build browser

// Browser tests: run with scripts/browser.sh (go test -tags browser). They
// build the safeclaw binary, serve `safeclaw ui` from it, drive Debian's
// chromium headless through the DevTools protocol (a small client below)
// and save a screenshot of each page in $SAFECLAW_SCREENSHOTS (else a temp
// dir). The pending approval comes from `safeclaw hook claude --ask wait`
// in another process sharing SAFECLAW_HOME.

package dashboard

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/websocket"
)

func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium installed (apt-get install chromium)")
	return ""
}

// cdp is a minimal DevTools protocol client for one page target.
type cdp struct {
	t    *testing.T
	ws   *websocket.Conn
	mu   sync.Mutex
	next int
	wait map[int]chan cdpReply
}

type cdpReply struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Message string `json:"message"`
	} `json:"error"`
}

func dialCDP(t *testing.T, wsURL string) *cdp {
	ws, err := websocket.Dial(wsURL, "", "http://127.0.0.1")
	if err != nil {
		t.Fatalf("devtools websocket: %v", err)
	}
	ws.MaxPayloadBytes = 64 << 20
	c := &cdp{t: t, ws: ws, wait: map[int]chan cdpReply{}}
	go c.read()
	t.Cleanup(func() { ws.Close() })
	return c
}

func (c *cdp) read() {
	for {
		var msg struct {
			ID int `json:"id"`
			cdpReply
		}
		if err := websocket.JSON.Receive(c.ws, &msg); err != nil {
			return
		}
		if msg.ID == 0 {
			continue // an event; nothing here subscribes
		}
		c.mu.Lock()
		ch := c.wait[msg.ID]
		delete(c.wait, msg.ID)
		c.mu.Unlock()
		if ch != nil {
			ch <- msg.cdpReply
		}
	}
}

// call sends one command and decodes its result into out (when non-nil).
func (c *cdp) call(method string, params any, out any) {
	c.t.Helper()
	c.mu.Lock()
	c.next++
	id := c.next
	ch := make(chan cdpReply, 1)
	c.wait[id] = ch
	c.mu.Unlock()
	if params == nil {
		params = map[string]any{}
	}
	if err := websocket.JSON.Send(c.ws, map[string]any{"id": id, "method": method, "params": params}); err != nil {
		c.t.Fatalf("%s: %v", method, err)
	}
	select {
	case r := <-ch:
		if r.Error != nil {
			c.t.Fatalf("%s: %s", method, r.Error.Message)
		}
		if out != nil {
			if err := json.Unmarshal(r.Result, out); err != nil {
				c.t.Fatalf("%s: %v", method, err)
			}
		}
	case <-time.After(30 * time.Second):
		c.t.Fatalf("%s: no answer from chromium", method)
	}
}

// eval runs a JavaScript expression in the page (awaiting promises) and
// decodes its value into out.
func (c *cdp) eval(expr string, out any) {
	c.t.Helper()
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		Exception *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	c.call("Runtime.evaluate", map[string]any{"expression": expr, "awaitPromise": true, "returnByValue": true}, &r)
	if r.Exception != nil {
		c.t.Fatalf("eval %s: %s %s", expr, r.Exception.Text, r.Exception.Exception.Description)
	}
	if out != nil && len(r.Result.Value) > 0 {
		if err := json.Unmarshal(r.Result.Value, out); err != nil {
			c.t.Fatalf("eval %s: %v", expr, err)
		}
	}
}

// waitFor polls a boolean expression until it holds; it returns how long
// that took.
func (c *cdp) waitFor(what, expr string, limit time.Duration) time.Duration {
	c.t.Helper()
	start := time.Now()
	for {
		var ok bool
		c.eval("!!("+expr+")", &ok)
		if ok {
			return time.Since(start)
		}
		if time.Since(start) > limit {
			var text string
			c.eval("document.body ? document.body.innerText : ''", &text)
			c.t.Fatalf("waited %v for %s; page text:\n%s", limit, what, text)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (c *cdp) navigate(url string) {
	c.t.Helper()
	c.call("Page.navigate", map[string]any{"url": url}, nil)
}

// click presses the mouse on the centre of the first element matching css.
func (c *cdp) click(css string) {
	c.t.Helper()
	var box struct{ X, Y float64 }
	c.eval(`(() => { const e = document.querySelector(`+jsString(css)+`); if (!e) return null;
		e.scrollIntoView({block: "center"}); const r = e.getBoundingClientRect();
		return {X: r.left + r.width / 2, Y: r.top + r.height / 2}; })()`, &box)
	if box.X == 0 && box.Y == 0 {
		c.t.Fatalf("click: no element %s", css)
	}
	for _, typ := range []string{"mousePressed", "mouseReleased"} {
		c.call("Input.dispatchMouseEvent", map[string]any{"type": typ, "x": box.X, "y": box.Y, "button": "left", "clickCount": 1}, nil)
	}
}

// clickText clicks the first button whose text is label.
func (c *cdp) clickText(label string) {
	c.t.Helper()
	c.eval(`(() => { document.querySelectorAll("[data-clicktarget]").forEach((e) => e.removeAttribute("data-clicktarget"));
		const b = [...document.querySelectorAll("button")].find((e) => e.textContent.trim() === `+jsString(label)+` && e.offsetParent !== null);
		if (b) b.setAttribute("data-clicktarget", "1"); })()`, nil)
	c.click(`[data-clicktarget]`)
}

// typeInto focuses the field, selects what is there and types text over it.
func (c *cdp) typeInto(css, text string) {
	c.t.Helper()
	c.click(css)
	c.eval(`document.querySelector(`+jsString(css)+`).select()`, nil)
	c.call("Input.insertText", map[string]any{"text": text}, nil)
}

func (c *cdp) pressEnter() {
	c.t.Helper()
	for _, typ := range []string{"keyDown", "keyUp"} {
		p := map[string]any{"type": typ, "key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13}
		if typ == "keyDown" {
			p["text"] = "\r"
		}
		c.call("Input.dispatchKeyEvent", p, nil)
	}
}

func (c *cdp) screenshot(path string) {
	c.t.Helper()
	var r struct {
		Data string `json:"data"`
	}
	c.call("Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true}, &r)
	data, err := base64.StdEncoding.DecodeString(r.Data)
	if err != nil {
		c.t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		c.t.Fatal(err)
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// startChromium starts a headless chromium with a DevTools port and returns
// a client for its first page.
func startChromium(t *testing.T) *cdp {
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, chromium(t), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--no-default-browser-check", "--remote-debugging-port=0", "--remote-allow-origins=http://127.0.0.1",
		"--user-data-dir="+t.TempDir(), "--window-size=900,1100", "about:blank")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		re := regexp.MustCompile(`DevTools listening on (ws://\S+)`)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	var browserWS string
	select {
	case browserWS = <-found:
	case <-time.After(30 * time.Second):
		t.Fatal("chromium printed no DevTools address")
	}
	// http://HOST:PORT/json/list names the page targets.
	hostPort := strings.TrimPrefix(browserWS, "ws://")
	hostPort = hostPort[:strings.IndexByte(hostPort, '/')]
	var targets []struct {
		Type string `json:"type"`
		WS   string `json:"webSocketDebuggerUrl"`
	}
	for i := 0; ; i++ {
		res, err := http.Get("http://" + hostPort + "/json/list")
		if err == nil {
			err = json.NewDecoder(res.Body).Decode(&targets)
			res.Body.Close()
		}
		for _, tg := range targets {
			if tg.Type == "page" {
				c := dialCDP(t, tg.WS)
				c.call("Page.enable", nil, nil)
				return c
			}
		}
		if i > 50 {
			t.Fatalf("no page target in chromium: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// buildSafeclaw builds the command-line binary into a temp dir.
func buildSafeclaw(t *testing.T) string {
	bin := filepath.Join(t.TempDir(), "safeclaw")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/safeclaw/safeclaw/cmd/safeclaw").CombinedOutput()
	if err != nil {
		t.Fatalf("go build safeclaw: %v\n%s", err, out)
	}
	return bin
}

const scenarioPolicy = `rules:
  - name: Ask dev servers
    action: shell.execute
    command_pattern: "npm run dev"
    effect: ask
    reason: "Starting a dev server needs a person"
  - name: Block Python HTTP server
    action: shell.execute
    command_pattern: "python3 -m http.server"
    effect: deny
    reason: "Use the dev server"
  - name: Allow ls
    action: shell.execute
    command_pattern: "ls"
    effect: allow
`

func TestBrowserScenario(t *testing.T) {
	chromium(t)
	shotDir := os.Getenv("SAFECLAW_SCREENSHOTS")
	if shotDir == "" {
		shotDir = t.TempDir()
	} else if err := os.MkdirAll(shotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", shotDir)
	bin := buildSafeclaw(t)
	home := t.TempDir()
	// HOME too: the setup page looks for agent settings there.
	env := append(os.Environ(), "SAFECLAW_HOME="+home, "HOME="+t.TempDir(), "DISPLAY=", "WAYLAND_DISPLAY=")
	if err := os.WriteFile(filepath.Join(home, "policy.yaml"), []byte(scenarioPolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	hookCmd := func(command string, ask bool) *exec.Cmd {
		args := []string{"hook", "claude"}
		if ask {
			args = append(args, "--ask", "wait", "--timeout", "60s")
		}
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		cmd.Dir = home
		cmd.Stdin = strings.NewReader(`{"session_id":"s1","cwd":` + jsString(home) + `,"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":` + jsString(command) + `},"tool_use_id":"t1"}`)
		return cmd
	}
	// Some history for the audit page.
	for _, c := range []string{"ls -la", "python3 -m http.server 8080", "curl https://example.com"} {
		if out, err := hookCmd(c, false).CombinedOutput(); err != nil && !bytes.Contains(out, []byte("deny")) {
			t.Fatalf("hook %q: %v\n%s", c, err, out)
		}
	}

	// safeclaw ui in its own process; it prints the login link.
	ctx, cancel := context.WithCancel(context.Background())
	ui := exec.CommandContext(ctx, bin, "ui", "--no-open")
	ui.Env = env
	uiOut, err := ui.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var uiErr bytes.Buffer
	ui.Stderr = &uiErr
	if err := ui.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = ui.Wait()
		if uiErr.Len() > 0 {
			t.Logf("safeclaw ui stderr:\n%s", uiErr.String())
		}
	})
	out := bufio.NewReader(uiOut)
	line, err := out.ReadString('\n')
	if err != nil {
		t.Fatalf("safeclaw ui printed no link: %v (%s)", err, uiErr.String())
	}
	loginURL := strings.TrimSpace(strings.TrimPrefix(line, "safeclaw dashboard: "))
	base := loginURL[:strings.Index(loginURL, "/login")]
	line, err = out.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "Login code: ") {
		t.Fatalf("safeclaw ui printed no login code: %q %v", line, err)
	}
	loginCode := strings.TrimSpace(strings.TrimPrefix(line, "Login code: "))
	go func() { _, _ = io.Copy(io.Discard, out) }()

	b := startChromium(t)
	shot := func(name string) { b.screenshot(filepath.Join(shotDir, name+".png")) }

	// 1. Log in as a person does when safeclaw opened the browser: the
	// login page (no token in the URL), the code from the terminal; the
	// approvals page shows.
	b.navigate(base + "/")
	b.waitFor("the login page", `document.querySelector("input[name=code]") !== null`, 10*time.Second)
	shot("00-login")
	b.typeInto("input[name=code]", strings.ToLower(loginCode))
	b.click("button[type=submit]")
	b.waitFor("the approvals page", `document.getElementById("pending") && document.getElementById("pending").textContent.includes("No pending requests")`, 10*time.Second)

	// 2. A hook in another process waits for an approval; it shows up live.
	hook := hookCmd("npm run dev -- --port 3000", true)
	var hookOut bytes.Buffer
	hook.Stdout = &hookOut
	hook.Stderr = &hookOut
	started := time.Now()
	if err := hook.Start(); err != nil {
		t.Fatal(err)
	}
	hookDone := make(chan error, 1)
	go func() { hookDone <- hook.Wait() }()
	b.waitFor("the pending request", `[...document.querySelectorAll("#pending pre")].some((e) => e.textContent.includes("npm run dev -- --port 3000"))`, 10*time.Second)
	appeared := time.Since(started)
	t.Logf("pending request shown %v after starting the hook process", appeared.Round(time.Millisecond))
	// The hook process itself (start, policy, audit record, filing the
	// request) takes part of that; the page must follow within a second.
	if appeared > 2*time.Second {
		t.Errorf("pending request took %v to appear", appeared)
	}
	// A click in the first second after the list changed is refused (the
	// agent must not be able to slide a card under the pointer); a person
	// reads the request first.
	b.clickText("Approve once")
	b.waitFor("the refusal of a hasty click", `document.getElementById("status").textContent.includes("just changed")`, 5*time.Second)
	b.eval(`document.getElementById("status").textContent = ""`, nil)
	shot("approvals")
	time.Sleep(1100 * time.Millisecond)
	b.clickText("Approve once")
	select {
	case err := <-hookDone:
		if err != nil {
			t.Fatalf("hook: %v\n%s", err, hookOut.String())
		}
	case <-time.After(15 * time.Second):
		_ = hook.Process.Kill()
		t.Fatalf("the hook was not released by the approval:\n%s", hookOut.String())
	}
	if !strings.Contains(hookOut.String(), `"permissionDecision":"allow"`) {
		t.Fatalf("hook answer is not allow:\n%s", hookOut.String())
	}
	b.waitFor("the history entry", `document.querySelector("#history tbody").textContent.includes("approved")`, 5*time.Second)

	// 3. Policy: an error at its line, fixed, tried, saved, rolled back.
	b.navigate(base + "/#policy")
	b.waitFor("the policy text", `document.getElementById("policy-text").value.includes("Ask dev servers")`, 10*time.Second)
	original := readFile(t, filepath.Join(home, "policy.yaml"))
	bad := "rules:\n  - action: network.listen\n    efect: deny\n"
	b.typeInto("#policy-text", bad)
	b.waitFor("the error at line 3", `document.getElementById("policy-errors").textContent.includes("line 3, column 5")`, 10*time.Second)
	// The editor marks the line and highlights the YAML.
	b.waitFor("the marked line", `[...document.querySelectorAll("#policy-hl .hl-errline")].some((e) => e.textContent.includes("efect: deny"))`, 5*time.Second)
	b.waitFor("highlighted keys", `document.querySelectorAll("#policy-hl .hl-key").length === 3 && document.querySelector("#policy-hl .hl-deny")`, 5*time.Second)
	shot("policy-error")
	fixed := scenarioPolicy + "  - name: No listeners\n    action: network.listen\n    effect: deny\n"
	b.typeInto("#policy-text", fixed)
	b.waitFor("a valid policy", `document.getElementById("policy-errors").textContent.includes("Valid")`, 10*time.Second)
	b.typeInto("#try-command", "python3 -m http.server 8080")
	b.pressEnter()
	b.waitFor("the try result", `document.getElementById("try-result").textContent.includes("DENY")`, 10*time.Second)
	var tried string
	b.eval(`document.getElementById("try-result").textContent`, &tried)
	if !strings.Contains(tried, "Block Python HTTP server") {
		t.Errorf("try result names no rule: %q", tried)
	}
	b.clickText("Save")
	b.waitFor("the save", `document.getElementById("policy-save-status").textContent.includes("Saved as version")`, 10*time.Second)
	if got := readFile(t, filepath.Join(home, "policy.yaml")); got != fixed {
		t.Fatalf("saved policy:\n%s", got)
	}
	shot("policy")
	b.waitFor("a version to roll back to", `[...document.querySelectorAll("#versions button")].length > 0`, 10*time.Second)
	b.clickText("Roll back to this")
	b.waitFor("the rollback", `document.getElementById("policy-save-status").textContent.includes("Rolled back")`, 10*time.Second)
	if got := readFile(t, filepath.Join(home, "policy.yaml")); got != original {
		t.Fatalf("after rollback the policy is:\n%s\nwant:\n%s", got, original)
	}
	// Simulate: asking for ls would change the recorded "ls -la".
	b.waitFor("the rolled back text", `document.getElementById("policy-text").value.includes("Ask dev servers")`, 5*time.Second)
	asking := strings.Replace(scenarioPolicy, "command_pattern: \"ls\"\n    effect: allow", "command_pattern: \"ls\"\n    effect: ask", 1)
	b.typeInto("#policy-text", asking)
	b.clickText("Simulate")
	b.waitFor("the simulation", `document.getElementById("sim-table") && document.getElementById("sim-table").textContent.includes("ls -la")`, 10*time.Second)
	var sim string
	b.eval(`document.getElementById("sim-result").textContent`, &sim)
	if !strings.Contains(sim, "1 of ") || !strings.Contains(sim, "allow") || !strings.Contains(sim, "ask") || strings.Contains(sim, "npm run dev") {
		t.Errorf("simulation: %q", sim)
	}
	t.Logf("simulation: %s", sim)
	shot("policy-simulate")

	// 4. Audit trail filtered with action:network.
	b.navigate(base + "/#audit")
	b.waitFor("the audit table", `document.querySelectorAll("#audit-table tbody tr").length > 1`, 10*time.Second)
	b.typeInto("#audit-filter", "action:network")
	b.pressEnter()
	b.waitFor("the filtered table", `[...document.querySelectorAll("#audit-table tbody tr")].every((r) => r.cells[3] && r.cells[3].textContent.includes("network"))`, 10*time.Second)
	var rows []string
	b.eval(`[...document.querySelectorAll("#audit-table tbody tr")].map((r) => r.textContent)`, &rows)
	if len(rows) < 2 {
		t.Errorf("action:network shows %d rows, want the listener and the http.server: %q", len(rows), rows)
	}
	joined := strings.Join(rows, "\n")
	for _, want := range []string{"python3 -m http.server 8080", "safeclaw ui listening"} {
		if !strings.Contains(joined, want) {
			t.Errorf("filtered audit lacks %q: %q", want, rows)
		}
	}
	if strings.Contains(joined, "ls -la") {
		t.Errorf("filtered audit shows a non-network record: %q", rows)
	}
	shot("audit")

	// 5. Setup.
	b.navigate(base + "/#setup")
	b.waitFor("the agents", `document.querySelectorAll("#agents tbody tr").length >= 4`, 10*time.Second)
	b.waitFor("the starters", `document.getElementById("starter-portguard")`, 5*time.Second)
	b.click("#starter-portguard")
	b.clickText("Preview")
	b.waitFor("the preview", `document.getElementById("starter-text").textContent.includes("examples/brief/step6.yaml")`, 5*time.Second)
	shot("setup")
	b.clickText("Use this policy")
	b.waitFor("the starter saved", `document.getElementById("starter-status").textContent.includes("is now your policy")`, 10*time.Second)
	current := readFile(t, filepath.Join(home, "policy.yaml"))
	if !strings.HasPrefix(current, "# The product brief's port guard") {
		t.Fatalf("after picking the port guard the policy is:\n%s", current)
	}

	// 6. Refusals: no session, a spent token, a foreign Origin.
	for _, tc := range []struct {
		name, method, path, origin string
		want                       int
	}{
		{"no session", "GET", "/api/approvals", "", http.StatusUnauthorized},
		{"spent token", "GET", loginURL[len(base):], "", http.StatusUnauthorized},
		{"foreign origin", "POST", "/api/policy/save", "http://evil.example", http.StatusForbidden},
		{"foreign origin read", "GET", "/api/session", "http://127.0.0.1:1", http.StatusForbidden},
	} {
		req, _ := http.NewRequest(tc.method, base+tc.path, strings.NewReader(`{"text":"rules: []"}`))
		if tc.origin != "" {
			req.Header.Set("Origin", tc.origin)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, res.StatusCode, tc.want)
		}
	}
	// The same from the browser: a page on another origin cannot write.
	var code int
	b.navigate("about:blank")
	b.eval(fmt.Sprintf(`fetch(%s, {method: "POST", mode: "no-cors", body: "{}"}).then(() => 0, () => -1)`, jsString(base+"/api/policy/save")), &code)
	if got := readFile(t, filepath.Join(home, "policy.yaml")); got != current {
		t.Fatalf("a cross-origin write changed the policy:\n%s", got)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
