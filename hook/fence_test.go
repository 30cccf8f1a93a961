package hook

import (
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/safeclaw/safeclaw/action"
)

// testFence has a space in the binary's path, so the quoting shows.
var testFence = []string{"/opt/safe claw/bin/safeclaw", "run", "--agent", "claude", "--"}

// TestFenceGolden: an allowed shell call is rewritten into the agent's
// updatedInput form; denials, non-shell tools, permission events and agents
// without a rewrite answer as without Fence.
func TestFenceGolden(t *testing.T) {
	approved := func(context.Context, *action.Request, action.Decision) (action.Decision, error) {
		return action.Decision{Effect: action.Allow}, nil
	}
	cases := []struct {
		payload, verdict string
		opts             Options
		rewritten        bool
	}{
		{"claude.pretooluse.bash.json", "allow", Options{}, true},
		{"claude.pretooluse.bash-background.json", "allow", Options{}, true},
		{"claude.pretooluse.bash.json", "deny", Options{}, false},
		{"claude.pretooluse.bash.json", "ask", Options{}, false},
		{"claude.pretooluse.bash.json", "ask", Options{Ask: AskWait, Wait: approved}, true},
		{"claude.pretooluse.write.json", "allow", Options{}, false},
		{"claude.permissionrequest.bash.json", "allow", Options{}, false},
		{"codex.pretooluse.bash.json", "allow", Options{}, true},
		{"codex.pretooluse.bash.json", "deny", Options{}, false},
		{"codex.pretooluse.mcp.json", "allow", Options{}, false},
		{"gemini.beforetool.shell.json", "allow", Options{}, true},
		{"gemini.beforetool.write_file.json", "allow", Options{}, false},
		{"cursor.beforeshellexecution.json", "allow", Options{}, false},
	}
	for _, c := range cases {
		name := "fence." + strings.TrimSuffix(c.payload, ".json") + "." + c.verdict
		if c.opts.Ask != "" {
			name += "-" + string(c.opts.Ask)
		}
		t.Run(name, func(t *testing.T) {
			g := &gate{dec: decision(c.verdict)}
			opts := c.opts
			opts.Fence = testFence
			r := run(t, agentOf(c.payload), readPayload(t, c.payload), g.decide, opts)
			golden(t, name, r)
			has := strings.Contains(r.stdout, "safeclaw run") || strings.Contains(r.stdout, `safeclaw' run`)
			if has != c.rewritten {
				t.Errorf("rewritten %v, want %v: %s", has, c.rewritten, r.stdout)
			}
			if !c.rewritten {
				// The same answer as without Fence.
				opts.Fence = nil
				g := &gate{dec: decision(c.verdict)}
				if plain := run(t, agentOf(c.payload), readPayload(t, c.payload), g.decide, opts); plain != r {
					t.Errorf("fence changed an answer it does not rewrite:\n%+v\n%+v", r, plain)
				}
			}
		})
	}
}

// TestFenceKeepsOtherFields: Claude Code's updatedInput replaces the whole
// input, so every other field must come back unchanged.
func TestFenceKeepsOtherFields(t *testing.T) {
	in := json.RawMessage(`{"command":"npm run dev","description":"Start <it>","run_in_background":true,"timeout":60000}`)
	out, ok := fenceInput("Bash", in, testFence)
	if !ok {
		t.Fatal("not rewritten")
	}
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if got["description"] != "Start <it>" || got["run_in_background"] != true || got["timeout"] != 60000.0 || len(got) != 4 {
		t.Errorf("fields lost: %s", out)
	}
	if want := `'/opt/safe claw/bin/safeclaw' run --agent claude -- bash -c 'npm run dev'`; got["command"] != want {
		t.Errorf("command %q, want %q", got["command"], want)
	}
	// A call rewritten before (Claude Code's defer and resume) is not wrapped twice.
	if _, again := fenceInput("Bash", out, testFence); again {
		t.Error("fenced twice")
	}
	for _, tc := range []struct{ tool, in string }{
		{"Bash", `{"command":""}`},
		{"Bash", `{"command":["ls"]}`},
		{"Bash", `"ls"`},
		{"Write", `{"file_path":"/tmp/x","content":"y"}`},
		{"mcp__s__t", `{"command":"ls"}`},
	} {
		if out, ok := fenceInput(tc.tool, json.RawMessage(tc.in), testFence); ok {
			t.Errorf("%s %s rewritten: %s", tc.tool, tc.in, out)
		}
	}
	out, ok = fenceInput("exec_command", json.RawMessage(`{"cmd":"ls","workdir":"/w"}`), testFence)
	if !ok || !strings.Contains(string(out), `"cmd":"'/opt/safe claw/bin/safeclaw' run --agent claude -- bash -c ls"`) {
		t.Errorf("exec_command: %s", out)
	}
}

// TestFenceQuotingRoundTrip runs the rewritten command through a real bash
// with a fence that prints its arguments: the script must arrive intact.
func TestFenceQuotingRoundTrip(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	printf, err := exec.LookPath("printf")
	if err != nil {
		t.Skip("no printf")
	}
	scripts := []string{
		`ls -la`,
		`echo 'it'"'"'s' "$HOME" $(id -u) && cd /tmp; cat <<'EOF'` + "\nx 'y' \"z\"\nEOF",
		`python3 -c "print('hi')" | tr a-z A-Z > /dev/null 2>&1 &`,
		"a\\b `c` 'd'\\''e' \t tab",
	}
	for _, script := range scripts {
		in, _ := json.Marshal(map[string]string{"command": script})
		out, ok := fenceInput("Bash", in, []string{printf, `[%s]\n`})
		if !ok {
			t.Fatalf("%q not rewritten", script)
		}
		var fenced map[string]string
		if err := json.Unmarshal(out, &fenced); err != nil {
			t.Fatal(err)
		}
		got, err := exec.Command(bash, "-c", fenced["command"]).Output()
		if err != nil {
			t.Fatalf("%q: %v", fenced["command"], err)
		}
		if want := "[bash]\n[-c]\n[" + script + "]\n"; string(got) != want {
			t.Errorf("script %q arrived as %q", script, got)
		}
	}
}

func TestSummarizeResponse(t *testing.T) {
	tests := []struct{ in, want string }{
		{``, ``},
		{`null`, ``},
		{`"a\nb\n"`, `output 4 bytes`},
		{`{"stdout":"a\nb\n","stderr":"","interrupted":false,"isImage":false}`, `interrupted=false, isImage=false, stderr 0 bytes, stdout 4 bytes`},
		{`{"exit_code":1,"output":"secret token sk-123"}`, `exit_code=1, output 19 bytes`},
		{`{"llmContent":[{"text":"x"}],"returnDisplay":{"a":1}}`, `llmContent 14 bytes of JSON, returnDisplay 7 bytes of JSON`},
		{`[1,2]`, `response 5 bytes of JSON`},
		{`42`, `response 2 bytes of JSON`},
	}
	for _, tt := range tests {
		if got := SummarizeResponse(json.RawMessage(tt.in)); got != tt.want {
			t.Errorf("SummarizeResponse(%s) = %q, want %q", tt.in, got, tt.want)
		}
	}
	var many strings.Builder
	many.WriteString("{")
	for i := range 20 {
		if i > 0 {
			many.WriteString(",")
		}
		many.WriteString(`"k` + string(rune('a'+i)) + `":1`)
	}
	many.WriteString("}")
	if got := SummarizeResponse(json.RawMessage(many.String())); !strings.HasSuffix(got, ", 8 more fields") {
		t.Errorf("20 fields: %q", got)
	}
	// The summary never holds the output itself.
	if got := SummarizeResponse(json.RawMessage(`{"stdout":"AKIAIOSFODNN7EXAMPLE"}`)); strings.Contains(got, "AKIA") {
		t.Errorf("content leaked: %q", got)
	}
}

// TestCodexReasonHasNoFinalStop: Codex appends ". Command: ..." to the
// reason, so a reason ending in a full stop shows "..".
func TestCodexReasonHasNoFinalStop(t *testing.T) {
	for _, v := range []string{"deny", "default", "ask"} {
		g := &gate{dec: decision(v)}
		r := run(t, "codex", readPayload(t, "codex.pretooluse.bash.json"), g.decide, Options{})
		var o claudePreToolOutput
		if err := json.Unmarshal([]byte(r.stdout), &o); err != nil {
			t.Fatal(err)
		}
		if reason := o.HookSpecificOutput.PermissionDecisionReason; reason == "" || strings.HasSuffix(reason, ".") {
			t.Errorf("%s: reason %q", v, reason)
		}
	}
	r := run(t, "codex", []byte("{"), nil, Options{})
	if strings.HasSuffix(strings.TrimSpace(r.stderr), ".") {
		t.Errorf("block reason %q", r.stderr)
	}
}
