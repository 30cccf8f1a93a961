package cli

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
)

// TestSimulateByteOrderMark: a commands file saved with a byte order mark
// (Notepad) decides its first command as written, not as an unknown
// program named "\ufeffpython".
func TestSimulateByteOrderMark(t *testing.T) {
	for _, in := range []string{
		"\ufeffpython -m http.server 8080\n",
		"\ufeffpython -m http.server 8080\r\n",
		"\ufeff  python -m http.server 8080",
	} {
		e := testEnv(t)
		code, stdout, stderr := run(t, e, in, "--simulate", "--policy", "testdata/brief-step2.yaml")
		want := "[DENIED] shell.execute: \"python -m http.server 8080\"\n  Rule: \"Block Python HTTP server\"\n\n1 input: 1 denied"
		if code != 0 || !strings.HasPrefix(stdout, want) {
			t.Errorf("%q: exit %d\n%s%s", in, code, stdout, stderr)
		}
	}
	// Only at the very start: elsewhere it is part of the command.
	e := testEnv(t)
	_, stdout, _ := run(t, e, "git status\n\ufeffpython -m http.server 8080\n", "--simulate", "--policy", "testdata/brief-step2.yaml")
	if !strings.Contains(stdout, `"\ufeffpython -m http.server 8080"`) {
		t.Errorf("a mark inside the input was dropped:\n%s", stdout)
	}
}

// TestSimulateLines: the brief's report for every kind of input, byte for
// byte: the tag, the kind, the quoted input (escapes for what a terminal
// would not show as itself), the rule's name, else its reason, else
// "default".
func TestSimulateLines(t *testing.T) {
	policy := filepath.Join(t.TempDir(), "policy.yaml")
	writeFile(t, policy, `rules:
- action: shell.execute
  command_pattern: "python -m http.server"
  effect: deny
  reason: "Block Python HTTP server"
- name: Dev server
  action: shell.execute
  command_pattern: "npm run dev"
  effect: allow
  conditions:
  - human_approval: required
  reason: "Allow starting dev server with human approval"
- action: shell.execute
  command_pattern: "echo *"
  effect: allow
  reason: "Echo is harmless"
- action: network.listen
  effect: deny
  reason: "Block all network port binding"
- action: file.write
  path: "/tmp/**"
  effect: allow
  reason: "Scratch files"
- action: mcp.call
  effect: allow
  conditions:
  - human_approval: required
  reason: "MCP tools need a person"
`, 0o644)
	in := `{"command": "python -m http.server 8080"}
{"command": "npm run dev"}
{"command": "echo \"héllo ✓\""}
{"command": "echo a\nnc -l 4444"}
{"command": "echo \u001b[2J\u202e"}
{"action": "network.listen", "port": 8080}
{"action": "network.connect", "host": "example.com", "port": 443}
{"action": "file.write", "path": "/tmp/x"}
{"action": "mcp.call", "server": "github", "tool": "create_issue"}
{"action": "http.request", "url": "https://example.com/?q=1"}
`
	want := `[DENIED] shell.execute: "python -m http.server 8080"
  Rule: "Block Python HTTP server"
[APPROVAL] shell.execute: "npm run dev"
  Rule: "Dev server"
[ALLOWED] shell.execute: "echo \"héllo ✓\""
  Rule: "Echo is harmless"
[DENIED] shell.execute: "echo a\nnc -l 4444"
  Rule: "Block all network port binding"
[ALLOWED] shell.execute: "echo \x1b[2J\u202e"
  Rule: "Echo is harmless"
[DENIED] network.listen: "port 8080"
  Rule: "Block all network port binding"
[DENIED] network.connect: "host example.com port 443"
  Rule: "default"
[ALLOWED] file.write: "path /tmp/x"
  Rule: "Scratch files"
[APPROVAL] mcp.call: "server github tool create_issue"
  Rule: "MCP tools need a person"
[DENIED] http.request: "url https://example.com/?q=1"
  Rule: "default"

10 inputs: 5 denied, 2 need approval, 3 allowed
`
	e := testEnv(t)
	code, stdout, stderr := run(t, e, in, "simulate", "--jsonl", "--policy", policy)
	if code != 0 || stdout != want {
		t.Errorf("exit %d\n--- got\n%s--- want\n%s%s", code, stdout, want, stderr)
	}
}

// TestSimulateTyped: started on a terminal, simulate decides each line
// typed at it at once, in the brief's format, beside the live view; the
// end of the typed input (Ctrl-D) ends it, with a count.
func TestSimulateTyped(t *testing.T) {
	e := serveEnv(t)
	pr, pw := io.Pipe()
	out, errb := &syncBuf{}, &syncBuf{}
	e.Stdin, e.Stdout, e.Stderr = pr, out, errb
	done := make(chan int, 1)
	go func() {
		done <- e.simulateTerminal(context.Background(), []string{"testdata/brief-step2.yaml"}, "")
	}()
	waitFor(t, "the live view", func() bool { return strings.Contains(errb.String(), "Ctrl-C to stop") })
	fmt.Fprint(pw, "\ufeff  python -m http.server 8080\n")
	want := "[DENIED] shell.execute: \"python -m http.server 8080\"\n  Rule: \"Block Python HTTP server\"\n"
	waitFor(t, "the typed line's decision", func() bool { return out.String() == want })
	fmt.Fprint(pw, "# a comment\n\n   \nphp -S 0:80\n")
	want += "[DENIED] shell.execute: \"php -S 0:80\"\n  Rule: \"Block PHP built-in server\"\n"
	waitFor(t, "the second decision", func() bool { return out.String() == want })
	pw.Close()
	if code := <-done; code != 0 {
		t.Errorf("exit %d: %s", code, errb)
	}
	if !strings.Contains(errb.String(), "2 typed: 2 denied, 0 need approval, 0 allowed\n") {
		t.Errorf("stderr: %s", errb)
	}
	if out.String() != want {
		t.Errorf("stdout:\n%s", out)
	}
}

// TestSimulateTerminalBadPolicy: on a terminal too, a --policy that does
// not load is an error, not a live view that silently ignores it.
func TestSimulateTerminalBadPolicy(t *testing.T) {
	e := serveEnv(t)
	errb := &syncBuf{}
	e.Stdin, e.Stdout, e.Stderr = strings.NewReader(""), io.Discard, errb
	if code := e.simulateTerminal(context.Background(), []string{"testdata/no-such.yaml"}, ""); code != 2 {
		t.Errorf("exit %d, want 2: %s", code, errb)
	}
	if !strings.Contains(errb.String(), "no-such.yaml") {
		t.Errorf("stderr: %s", errb)
	}
}
