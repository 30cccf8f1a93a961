package cli

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSpecialFilesDoNotHold: a FIFO where config.yaml, the user policy or
// the project policy is looked for is refused at once (a hook held on it
// until the agent gives up would let Codex and Gemini run the tool), and
// the hook blocks with a message.
func TestSpecialFilesDoNotHold(t *testing.T) {
	payload := func(e *Env) string {
		return `{"session_id":"s","cwd":"` + e.Cwd + `","permission_mode":"default","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"git status"},"tool_use_id":"t1"}`
	}
	for _, tc := range []struct {
		name string
		path func(e *Env) string
	}{
		{"config.yaml", func(e *Env) string { return filepath.Join(e.ConfigDir, "config.yaml") }},
		{"user policy", func(e *Env) string { return filepath.Join(e.ConfigDir, "policy.yaml") }},
		{"project policy", func(e *Env) string { return filepath.Join(e.Cwd, "safeclaw.policy.yaml") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := testEnv(t)
			p := tc.path(e)
			if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := syscall.Mkfifo(p, 0o600); err != nil {
				t.Skip("no FIFOs here:", err)
			}
			start := time.Now()
			code, out, errOut := run(t, e, payload(e), "hook", "claude")
			if took := time.Since(start); took > 3*time.Second {
				t.Errorf("took %v", took)
			}
			if code != 2 || !strings.Contains(out, `"deny"`) {
				t.Errorf("exit %d, %s %s", code, out, errOut)
			}
		})
	}
	// A policy given as a pipe (bash's <(...)) is still read.
	e := testEnv(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() { w.WriteString("rules:\n  - {command_pattern: \"git status\", effect: allow}\n"); w.Close() }()
	defer r.Close()
	pipe := "/proc/self/fd/" + itoa(int(r.Fd()))
	if code, out, errOut := run(t, e, "", "check", "--policy", pipe, "--command", "git status"); code != 0 {
		t.Errorf("policy from a pipe: exit %d, %s %s", code, out, errOut)
	}
}

// TestStoreVariableChecked: SAFECLAW_STORE is held to config's rules: a
// misspelt URL is an error that blocks, not a silent local store.
func TestStoreVariableChecked(t *testing.T) {
	e := testEnv(t)
	env := map[string]string{"SAFECLAW_HOME": e.Getenv("SAFECLAW_HOME"), "SAFECLAW_MANAGED_POLICY": "", "SAFECLAW_STORE": "mysql://x/y"}
	e.Getenv = func(k string) string { return env[k] }
	payload := `{"session_id":"s","cwd":"` + e.Cwd + `","permission_mode":"default","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"git status"},"tool_use_id":"t1"}`
	code, out, errOut := run(t, e, payload, "hook", "claude")
	if code != 2 || !strings.Contains(out, `"deny"`) || !strings.Contains(errOut, "SAFECLAW_STORE") {
		t.Errorf("exit %d, %s %s", code, out, errOut)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestScriptFIFODoesNotHold: a FIFO in place of package.json (or a script)
// does not hold the analysis: the command is decided at once, as one whose
// script cannot be read.
func TestScriptFIFODoesNotHold(t *testing.T) {
	e := testEnv(t)
	if err := syscall.Mkfifo(filepath.Join(e.Cwd, "package.json"), 0o600); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	start := time.Now()
	code, out, errOut := run(t, e, "", "check", "--json", "--command", "npm run dev")
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("took %v", took)
	}
	if code == 0 || !strings.Contains(out, `"deny"`) && !strings.Contains(out, `"ask"`) {
		t.Errorf("exit %d, %s %s", code, out, errOut)
	}
}

// TestErrorsArePrintable: an error naming a file with a terminal escape
// in its name prints the escape as text.
func TestErrorsArePrintable(t *testing.T) {
	e := testEnv(t)
	bad := filepath.Join(t.TempDir(), "pol\x1b[2J\u202e.yaml")
	if err := os.WriteFile(bad, []byte("rules:\n  - {comand_pattern: x, effect: deny}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := run(t, e, "", "check", "--policy", bad, "--command", "ls")
	if code != 2 || strings.ContainsAny(errOut, "\x1b\u202e") || !strings.Contains(errOut, `\x1b[2J`) {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}
