package hook

import (
	"context"
	"strings"
	"testing"

	"github.com/safeclaw/safeclaw/action"
)

// The tests in this file come from a conformance review of the hook layer
// against agent-protocols.md and the agents' sources: each case is a place
// where safeclaw's answer was one the agent reads differently from what
// safeclaw meant.

// TestMalformedToolInputFailsClosed: a tool_input that is not the shape the
// agent documents is the blocking answer (exit 2), for every agent, not a
// request the policy has to catch. Codex sends a bare string only for
// apply_patch's freeform patch; Cursor sends an object or a string holding
// one.
func TestMalformedToolInputFailsClosed(t *testing.T) {
	tests := []struct {
		name, agent, input string
	}{
		{"codex Bash string", "codex", `{"session_id":"s","cwd":"/home/dev/app","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":"rm -rf /","tool_use_id":"c1"}`},
		{"codex mcp string", "codex", `{"session_id":"s","cwd":"/home/dev/app","hook_event_name":"PreToolUse","tool_name":"mcp__db__query","tool_input":"DROP TABLE users","tool_use_id":"c1"}`},
		{"codex PermissionRequest string", "codex", `{"session_id":"s","cwd":"/home/dev/app","hook_event_name":"PermissionRequest","tool_name":"Bash","tool_input":"ls"}`},
		{"cursor preToolUse number", "cursor", `{"hook_event_name":"preToolUse","conversation_id":"c","workspace_roots":["/home/dev/app"],"tool_name":"Shell","tool_input":42}`},
		{"cursor preToolUse plain string", "cursor", `{"hook_event_name":"preToolUse","conversation_id":"c","workspace_roots":["/home/dev/app"],"tool_name":"Shell","tool_input":"socat TCP-LISTEN:80 -"}`},
		{"cursor preToolUse missing", "cursor", `{"hook_event_name":"preToolUse","conversation_id":"c","workspace_roots":["/home/dev/app"],"tool_name":"Shell"}`},
		{"cursor preToolUse null", "cursor", `{"hook_event_name":"preToolUse","conversation_id":"c","workspace_roots":["/home/dev/app"],"tool_name":"Shell","tool_input":null}`},
		{"cursor MCP array", "cursor", `{"hook_event_name":"beforeMCPExecution","conversation_id":"c","workspace_roots":["/home/dev/app"],"tool_name":"query","tool_input":["DROP TABLE users"],"command":"npx db-mcp"}`},
		{"cursor MCP string not an object", "cursor", `{"hook_event_name":"beforeMCPExecution","conversation_id":"c","workspace_roots":["/home/dev/app"],"tool_name":"query","tool_input":"DROP TABLE users","command":"npx db-mcp"}`},
		{"cursor MCP string holding bad JSON", "cursor", `{"hook_event_name":"beforeMCPExecution","conversation_id":"c","workspace_roots":["/home/dev/app"],"tool_name":"query","tool_input":"{\"sql\": ","command":"npx db-mcp"}`},
		{"cursor MCP missing", "cursor", `{"hook_event_name":"beforeMCPExecution","conversation_id":"c","workspace_roots":["/home/dev/app"],"tool_name":"query","command":"npx db-mcp"}`},
		// A known field in another case would be read in place of the
		// agent's own spelling (encoding/json ignores case).
		{"claude field in another case", "claude", `{"session_id":"s","cwd":"/home/dev/app","hook_event_name":"PreToolUse","tool_name":"Bash","Tool_Name":"TodoWrite","tool_input":{"command":"nc -l 1"}}`},
		{"gemini field in another case", "gemini", `{"session_id":"s","cwd":"/home/dev/app","hook_event_name":"BeforeTool","tool_name":"run_shell_command","TOOL_INPUT":{"command":"ls"},"tool_input":{"command":"nc -l 1"}}`},
		// A key twice: safeclaw reads the last, a first-wins parser the
		// first (audit: tool_name Bash then TodoWrite was allowed as
		// TodoWrite).
		{"claude tool_name twice", "claude", `{"session_id":"s","cwd":"/home/dev/app","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"nc -l 1"},"tool_name":"TodoWrite"}`},
		{"claude tool_input key twice", "claude", `{"session_id":"s","cwd":"/home/dev/app","hook_event_name":"PreToolUse","tool_name":"Write","tool_input":{"file_path":"/home/dev/.claude/settings.json","content":"{}","file_path":"/home/dev/app/a.txt"}}`},
		{"codex nested key twice", "codex", `{"session_id":"s","cwd":"/home/dev/app","hook_event_name":"PreToolUse","tool_name":"mcp__db__query","tool_input":{"q":{"sql":"DROP TABLE users","sql":"select 1"}}}`},
		{"gemini event twice", "gemini", `{"session_id":"s","cwd":"/home/dev/app","hook_event_name":"AfterTool","tool_name":"run_shell_command","tool_input":{"command":"nc -l 1"},"hook_event_name":"BeforeTool"}`},
		// Keys differing only in case inside tool_input: a tool reading
		// its input ignoring case may run either.
		{"claude tool_input key in two cases", "claude", `{"session_id":"s","cwd":"/home/dev/app","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"ls","COMMAND":"rm -rf ~"}}`},
		{"gemini nested key in two cases", "gemini", `{"session_id":"s","cwd":"/home/dev/app","hook_event_name":"BeforeTool","tool_name":"write_file","tool_input":{"file_path":"a.txt","opts":{"Mode":"a","mode":"b"}}}`},
		{"cursor key twice in a string tool_input", "cursor", `{"hook_event_name":"beforeMCPExecution","conversation_id":"c","workspace_roots":["/home/dev/app"],"tool_name":"query","tool_input":"{\"sql\":\"DROP TABLE users\",\"sql\":\"select 1\"}","command":"npx db-mcp"}`},
		// A relative working directory: relative paths in the call would
		// be resolved against a directory safeclaw does not know.
		{"claude relative cwd", "claude", `{"session_id":"s","cwd":"app","hook_event_name":"PreToolUse","tool_name":"Write","tool_input":{"file_path":".claude/settings.json","content":"{}"}}`},
		{"cursor relative workspace root", "cursor", `{"hook_event_name":"beforeShellExecution","conversation_id":"c","workspace_roots":["app"],"command":"ls","cwd":""}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := &gate{dec: decision("allow")}
			r := run(t, tt.agent, []byte(tt.input), g.decide, Options{})
			if r.code != ExitBlock || strings.Contains(r.stdout, `"allow"`) {
				t.Fatalf("exit %d stdout %q, want the blocking answer", r.code, r.stdout)
			}
			if len(g.reqs) != 0 {
				t.Error("malformed input reached the decision function")
			}
			// Claude Code's http hook reads only the body: where the
			// event can still be told, the body is its deny JSON.
			if tt.agent == "claude" && strings.Contains(tt.input, `"PreToolUse"`) && !strings.Contains(r.stdout, `"permissionDecision":"deny"`) {
				t.Errorf("stdout %q, want the PreToolUse deny JSON", r.stdout)
			}
		})
	}
	// The documented shapes still pass: Codex's freeform apply_patch string,
	// Cursor's object and string-of-object arguments; the same key in
	// different objects is no duplicate.
	for _, tt := range []struct{ agent, input string }{
		{"claude", `{"session_id":"s","cwd":"/home/dev/app","hook_event_name":"PreToolUse","tool_name":"mcp__db__query","tool_input":{"a":{"sql":"x"},"b":{"sql":"y"},"c":[{"sql":1},{"sql":2}],"sql":"z"}}`},
		{"codex", `{"session_id":"s","cwd":"/home/dev/app","hook_event_name":"PreToolUse","tool_name":"apply_patch","tool_input":"*** Begin Patch\n*** Add File: a.txt\n+a\n*** End Patch\n","tool_use_id":"c1"}`},
		{"cursor", `{"hook_event_name":"preToolUse","conversation_id":"c","workspace_roots":["/home/dev/app"],"tool_name":"Shell","tool_input":{"command":"ls"}}`},
		{"cursor", `{"hook_event_name":"beforeMCPExecution","conversation_id":"c","workspace_roots":["/home/dev/app"],"tool_name":"query","tool_input":"{\"sql\":\"select 1\"}","command":"npx db-mcp"}`},
		{"cursor", `{"hook_event_name":"beforeMCPExecution","conversation_id":"c","workspace_roots":["/home/dev/app"],"tool_name":"query","tool_input":{"sql":"select 1"},"url":"http://127.0.0.1:9/mcp"}`},
	} {
		g := &gate{dec: decision("allow")}
		if r := run(t, tt.agent, []byte(tt.input), g.decide, Options{}); r.code != 0 || len(g.reqs) != 1 {
			t.Errorf("%s %s: exit %d, %d requests", tt.agent, tt.input, r.code, len(g.reqs))
		}
	}
}

// TestDenyReasonNeverBlank: Codex trims a deny reason and treats a blank one
// as an invalid answer (the command runs); Gemini requires a reason with a
// deny. Whatever the reason text, the deny keeps a non-blank one.
func TestDenyReasonNeverBlank(t *testing.T) {
	for _, reason := range []string{"", " ", ".", ". . .", "\t\n", "..."} {
		if got := codexReason(reason); strings.TrimSpace(got) == "" {
			t.Errorf("codexReason(%q) = %q", reason, got)
		}
		if got := nonEmpty(reason); strings.TrimSpace(got) == "" {
			t.Errorf("nonEmpty(%q) = %q", reason, got)
		}
	}
	if got := codexReason("denied by rule x."); got != "denied by rule x" {
		t.Errorf("codexReason kept the final full stop: %q", got)
	}
}

// TestInteractiveToolsAreLeftToThePerson: for Claude Code's AskUserQuestion
// and ExitPlanMode the permission dialog *is* the interaction (the question
// picker, the plan approval). A hook "allow" skips it: the question returns
// no answers, the plan is approved without the person reading it. So an
// allowed call of these tools gets no decision (Claude Code shows its own
// dialog), while a deny still denies.
func TestInteractiveToolsAreLeftToThePerson(t *testing.T) {
	for _, p := range []string{"claude.pretooluse.askuserquestion.json", "claude.permissionrequest.exitplanmode.json"} {
		for _, ev := range []string{"PreToolUse", "PermissionRequest"} {
			data := readPayload(t, p)
			data = []byte(strings.Replace(strings.Replace(string(data), `"PreToolUse"`, `"`+ev+`"`, 1), `"PermissionRequest"`, `"`+ev+`"`, 1))
			g := &gate{dec: decision("allow")}
			r := run(t, "claude", data, g.decide, Options{})
			if r.code != 0 || r.stdout != "" || len(g.reqs) != 1 {
				t.Errorf("%s as %s allowed: exit %d stdout %q (%d requests), want no decision", p, ev, r.code, r.stdout, len(g.reqs))
			}
			g = &gate{dec: decision("deny")}
			if r := run(t, "claude", data, g.decide, Options{}); !strings.Contains(r.stdout, `"deny"`) {
				t.Errorf("%s as %s denied: %q", p, ev, r.stdout)
			}
		}
	}
	// Bookkeeping tools without a person in the loop keep their allow.
	g := &gate{dec: decision("allow")}
	if r := run(t, "claude", readPayload(t, "claude.pretooluse.todowrite.json"), g.decide, Options{}); !strings.Contains(r.stdout, `"permissionDecision":"allow"`) {
		t.Errorf("TodoWrite allow: %q", r.stdout)
	}
}

// TestBrokenOutcomeEventIsAWarning: after a tool ran there is nothing left to
// block, and the blocking answer is harmful there: Gemini's AfterTool and
// Codex's PostToolUse replace the tool's result with it, and its text ("Nothing
// was run") is false. A well-formed outcome event safeclaw cannot read is a
// warning on stderr with the agent's usual answer, like an unwritable record
// (docs/integrations.md, "Outcomes in the audit trail").
func TestBrokenOutcomeEventIsAWarning(t *testing.T) {
	tests := []struct {
		name, agent, input, stdout string
	}{
		{"claude no tool name", "claude", `{"session_id":"s","cwd":"/p","hook_event_name":"PostToolUse","tool_input":{"command":"ls"},"tool_response":{}}`, "{}\n"},
		{"claude failure, bad duration type", "claude", `{"session_id":"s","cwd":"/p","hook_event_name":"PostToolUseFailure","tool_name":"Bash","tool_input":{},"error":"x","duration_ms":"21"}`, "{}\n"},
		{"codex no tool name", "codex", `{"session_id":"s","cwd":"/p","hook_event_name":"PostToolUse","tool_input":{"command":"ls"},"tool_response":"a"}`, ""},
		{"gemini no tool name", "gemini", `{"session_id":"s","cwd":"/p","hook_event_name":"AfterTool","tool_input":{},"tool_response":{"llmContent":"a"}}`, "{}\n"},
		{"gemini tool name wrong type", "gemini", `{"session_id":"s","cwd":"/p","hook_event_name":"AfterTool","tool_name":7,"tool_input":{},"tool_response":{}}`, "{}\n"},
		{"cursor bad duration type", "cursor", `{"hook_event_name":"afterShellExecution","conversation_id":"c","command":"ls","output":"a","duration":"15"}`, "{}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recorded := 0
			opts := Options{Record: func(_ context.Context, _ Outcome) error { recorded++; return nil }}
			r := run(t, tt.agent, []byte(tt.input), nil, opts)
			if r.code != 0 || r.stdout != tt.stdout {
				t.Fatalf("exit %d stdout %q, want exit 0 and %q", r.code, r.stdout, tt.stdout)
			}
			if !strings.Contains(r.stderr, "warning") || strings.Contains(r.stderr, "Nothing was run") || strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("stderr %q, want a one-line warning", r.stderr)
			}
			if recorded != 0 {
				t.Error("an unreadable outcome was recorded")
			}
		})
	}
	// Before a tool runs, the same breakage still blocks.
	g := &gate{dec: decision("allow")}
	r := run(t, "gemini", []byte(`{"session_id":"s","cwd":"/p","hook_event_name":"BeforeTool","tool_name":7,"tool_input":{}}`), g.decide, Options{})
	if r.code != ExitBlock {
		t.Errorf("BeforeTool with a bad tool name: exit %d", r.code)
	}
}

// TestCursorOutcomeKeepsTheCall: Cursor's after* events carry the call in
// their own fields (command, file_path), not in tool_input; the outcome
// record must still say what ran.
func TestCursorOutcomeKeepsTheCall(t *testing.T) {
	var got []Outcome
	rec := func(_ context.Context, o Outcome) error { got = append(got, o); return nil }
	for _, in := range []string{
		`{"hook_event_name":"afterShellExecution","conversation_id":"c","workspace_roots":["/w"],"command":"make test","output":"ok","duration":3}`,
		`{"hook_event_name":"afterFileEdit","conversation_id":"c","workspace_roots":["/w"],"file_path":"/w/main.go","edits":[{"old_string":"a","new_string":"b"}]}`,
		`{"hook_event_name":"afterMCPExecution","conversation_id":"c","workspace_roots":["/w"],"tool_name":"query","tool_input":"{\"sql\":\"select 1\"}","result_json":"{}","duration":2}`,
	} {
		if r := run(t, "cursor", []byte(in), nil, Options{Record: rec}); r.code != 0 {
			t.Fatalf("%s: %+v", in, r)
		}
	}
	if len(got) != 3 {
		t.Fatalf("recorded %d", len(got))
	}
	for i, want := range []string{`"make test"`, `"/w/main.go"`, `"select 1"`} {
		if !strings.Contains(string(got[i].Input), want) {
			t.Errorf("outcome %d input %q lacks %s", i, got[i].Input, want)
		}
	}
}

// TestCodexApplyPatchCommandShape: Codex passes shell-like tools, apply_patch
// included, as {"command": ...}; every file the patch touches is gated.
func TestCodexApplyPatchCommandShape(t *testing.T) {
	g := &gate{dec: decision("deny")}
	run(t, "codex", readPayload(t, "codex.pretooluse.apply_patch-command.json"), g.decide, Options{})
	if len(g.reqs) != 1 {
		t.Fatal("no request")
	}
	var paths []string
	for _, a := range g.reqs[0].Actions() {
		if a.Kind == action.FileWrite {
			paths = append(paths, a.Path)
		}
	}
	if strings.Join(paths, " ") != "/home/dev/app/src/main.go /home/dev/.bashrc" {
		t.Errorf("file.write paths %q", paths)
	}
}

// TestNoDuplicateKeys: the duplicate check tells keys from string values
// and scopes keys to their own object.
func TestNoDuplicateKeys(t *testing.T) {
	for _, tt := range []struct {
		in  string
		dup bool
	}{
		{`{"a":"b","b":1}`, false},
		{`{"a":["a","a"],"b":{"a":"a"}}`, false},
		{`{"a":{"a":{"a":1}},"b":[{"a":1,"b":2},{"a":3}]}`, false},
		{`{"a":[],"b":{},"c":null,"d":[[],{}]}`, false},
		{`{"a":1,"a":1}`, true},
		{`{"a":[],"b":{},"a":2}`, true},
		{`{"x":[{"a":1},{"b":2,"b":3}]}`, true},
		{`{"x":{"y":{"z":1,"z":2}}}`, true},
		{`{"a\u0062":1,"ab":2}`, true}, // the same key, escaped
	} {
		if err := noDuplicateKeys([]byte(tt.in)); (err != nil) != tt.dup {
			t.Errorf("%s: %v, want duplicate %v", tt.in, err, tt.dup)
		}
	}
}

// TestClaudeAskOnlyWhereAPersonIsAsked: in Claude Code's auto mode a hook's
// "ask" lets the call run as if allowed (anthropics/claude-code #89561);
// dontAsk or no mode at all are not known to hold it either. There the
// native ask is safeclaw's own approval instead: a deny with the approval's
// ID. In the modes that prompt (bypassPermissions included, since 2.1.233)
// the ask is kept. A PermissionRequest in those modes is denied, not left
// to a dialog nobody sees.
func TestClaudeAskOnlyWhereAPersonIsAsked(t *testing.T) {
	pending := func(context.Context, *action.Request, action.Decision) (string, error) { return "ap-1", nil }
	for _, tt := range []struct {
		mode, event string
		want        string // a fragment of stdout
	}{
		{`"permission_mode":"default",`, "PreToolUse", `"permissionDecision":"ask"`},
		{`"permission_mode":"acceptEdits",`, "PreToolUse", `"permissionDecision":"ask"`},
		{`"permission_mode":"bypassPermissions",`, "PreToolUse", `"permissionDecision":"ask"`},
		{`"permission_mode":"auto",`, "PreToolUse", `"permissionDecision":"deny"`},
		{`"permission_mode":"dontAsk",`, "PreToolUse", `"permissionDecision":"deny"`},
		{``, "PreToolUse", `"permissionDecision":"deny"`},
		{`"permission_mode":"default",`, "PermissionRequest", ``},
		{`"permission_mode":"auto",`, "PermissionRequest", `"behavior":"deny"`},
		{``, "PermissionRequest", `"behavior":"deny"`},
	} {
		in := `{"session_id":"s","cwd":"/home/dev/app",` + tt.mode + `"hook_event_name":"` + tt.event + `","tool_name":"Bash","tool_input":{"command":"npm run dev"}}`
		g := &gate{dec: decision("ask")}
		r := run(t, "claude", []byte(in), g.decide, Options{Ask: AskNative, Pending: pending})
		switch {
		case r.code != 0:
			t.Errorf("%s %s: exit %d", tt.mode, tt.event, r.code)
		case tt.want == "" && r.stdout != "":
			t.Errorf("%s %s: %q, want no decision (Claude Code's own dialog)", tt.mode, tt.event, r.stdout)
		case !strings.Contains(r.stdout, tt.want):
			t.Errorf("%s %s: %q, want %s", tt.mode, tt.event, r.stdout, tt.want)
		case strings.Contains(tt.want, "deny") && !strings.Contains(r.stdout, "ap-1"):
			t.Errorf("%s %s: the deny does not name the approval: %q", tt.mode, tt.event, r.stdout)
		}
	}
}
