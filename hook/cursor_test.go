package hook

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/safeclaw/safeclaw/action"
)

// TestCursorReadAttachments: beforeReadFile's attachments are files read
// with the call, so each is decided as its own file.read; attachments that
// cannot be read block the call.
func TestCursorReadAttachments(t *testing.T) {
	const head = `{"hook_event_name":"beforeReadFile","conversation_id":"c","workspace_roots":["/home/dev/app"],"file_path":"/home/dev/app/README.md","content":"x",`
	tests := []struct {
		name        string
		attachments string
		want        []string // file.read paths, in order; nil: blocked
	}{
		{"absent", `"cursor_version":"2"`, []string{"/home/dev/app/README.md"}},
		{"null", `"attachments":null`, []string{"/home/dev/app/README.md"}},
		{"empty", `"attachments":[]`, []string{"/home/dev/app/README.md"}},
		{"file_path", `"attachments":[{"type":"file","file_path":"/home/dev/.ssh/id_rsa"}]`, []string{"/home/dev/app/README.md", "/home/dev/.ssh/id_rsa"}},
		{"filePath", `"attachments":[{"type":"file","filePath":"/home/dev/.aws/credentials"}]`, []string{"/home/dev/app/README.md", "/home/dev/.aws/credentials"}},
		{"both spellings", `"attachments":[{"type":"file","file_path":"a.txt","filePath":"/etc/shadow"}]`, []string{"/home/dev/app/README.md", "/home/dev/app/a.txt", "/etc/shadow"}},
		{"relative and ~", `"attachments":[{"type":"rule","file_path":".cursorrules"},{"type":"file","path":"~/.netrc"}]`, []string{"/home/dev/app/README.md", "/home/dev/app/.cursorrules", "/home/dev/.netrc"}},
		{"a bare path", `"attachments":["/home/dev/.ssh/id_ed25519"]`, []string{"/home/dev/app/README.md", "/home/dev/.ssh/id_ed25519"}},
		{"no file named", `"attachments":[{"type":"rule"},{"type":"file","file_path":""},{"type":"file","file_path":null}]`, []string{"/home/dev/app/README.md"}},
		{"not a list", `"attachments":{"type":"file","file_path":"/home/dev/.ssh/id_rsa"}`, nil},
		{"a string for the list", `"attachments":"/home/dev/.ssh/id_rsa"`, nil},
		{"a number entry", `"attachments":[7]`, nil},
		{"a list entry", `"attachments":[["/home/dev/.ssh/id_rsa"]]`, nil},
		{"a path that is not a string", `"attachments":[{"type":"file","file_path":["/home/dev/.ssh/id_rsa"]}]`, nil},
		{"a key twice", `"attachments":[{"type":"file","file_path":"a.txt","file_path":"/home/dev/.ssh/id_rsa"}]`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := &gate{dec: decision("allow")}
			r := run(t, "cursor", []byte(head+tt.attachments+`}`), g.decide, Options{})
			if tt.want == nil {
				if r.code != ExitBlock || len(g.reqs) != 0 || !strings.Contains(r.stdout, `"deny"`) {
					t.Fatalf("want a block before any decision, got exit %d, %d requests, %q", r.code, len(g.reqs), r.stdout)
				}
				return
			}
			if r.code != 0 || len(g.reqs) != 1 {
				t.Fatalf("exit %d, %d requests, stderr %q", r.code, len(g.reqs), r.stderr)
			}
			var got []string
			for _, a := range g.reqs[0].Actions() {
				if a.Kind != action.FileRead {
					t.Errorf("facet %s, want only file.read", a.Kind)
				}
				got = append(got, a.Path)
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("file.read %q, want %q", got, tt.want)
			}
			if len(tt.want) > 1 && !strings.Contains(g.reqs[0].Input, tt.want[len(tt.want)-1]) {
				t.Errorf("request input %q does not show the attachment", g.reqs[0].Input)
			}
		})
	}
	// An attachment the policy denies denies the whole read.
	deny := func(_ context.Context, req *action.Request) (action.Decision, error) {
		for i, a := range req.Actions() {
			if strings.Contains(a.Path, "/.ssh/") {
				return action.Decision{Effect: action.Deny, Reason: "secret", Part: i}, nil
			}
		}
		return decision("allow"), nil
	}
	r := run(t, "cursor", []byte(head+`"attachments":[{"type":"file","file_path":"/home/dev/.ssh/id_rsa"}]}`), deny, Options{})
	if r.code != 0 || r.stdout != "{\"permission\":\"deny\"}\n" {
		t.Errorf("attachment of a denied file: exit %d %q", r.code, r.stdout)
	}
}

// TestCursorPreToolUseDenyInBothWords: a preToolUse deny (and a block)
// carries decision/reason beside permission, so it holds whichever words
// Cursor reads for that event; the before* events keep their own words.
func TestCursorPreToolUseDenyInBothWords(t *testing.T) {
	pre := []byte(`{"hook_event_name":"preToolUse","conversation_id":"c","workspace_roots":["/home/dev/app"],"tool_name":"Write","tool_input":{"file_path":"/home/dev/.cursor/hooks.json","contents":"{}"}}`)
	shell := []byte(`{"hook_event_name":"beforeShellExecution","conversation_id":"c","workspace_roots":["/home/dev/app"],"command":"ls","cwd":"/home/dev/app"}`)
	out := func(r result) map[string]string {
		var m map[string]string
		if err := json.Unmarshal([]byte(r.stdout), &m); err != nil {
			t.Fatalf("%v: %q", err, r.stdout)
		}
		return m
	}
	for _, tt := range []struct {
		name string
		g    *gate
	}{
		{"deny", &gate{dec: decision("deny")}},
		{"ask", &gate{dec: decision("ask")}},
		{"error", &gate{err: errors.New("store down")}},
	} {
		m := out(run(t, "cursor", pre, tt.g.decide, Options{}))
		if m["permission"] != "deny" || m["decision"] != "deny" || m["reason"] == "" || m["reason"] != m["agent_message"] {
			t.Errorf("%s: preToolUse answer %v", tt.name, m)
		}
		m = out(run(t, "cursor", shell, tt.g.decide, Options{}))
		if _, has := m["decision"]; has || m["permission"] != "deny" {
			t.Errorf("%s: beforeShellExecution answer %v", tt.name, m)
		}
	}
	m := out(run(t, "cursor", pre, (&gate{dec: decision("allow")}).decide, Options{}))
	if len(m) != 1 || m["permission"] != "allow" {
		t.Errorf("allow: %v", m)
	}
}

// TestCursorInstallGatesFileTools: Cursor's Write, Edit and Delete run
// with no before* event of their own, so preToolUse must be installed for
// them as well as for Shell, each in a handler of its own.
func TestCursorInstallGatesFileTools(t *testing.T) {
	out, _, err := EditSettings("cursor", nil, argvFor("cursor"), false)
	if err != nil {
		t.Fatal(err)
	}
	var cur struct {
		Hooks map[string][]struct {
			Matcher    string `json:"matcher"`
			FailClosed bool   `json:"failClosed"`
			Timeout    int    `json:"timeout"`
		} `json:"hooks"`
	}
	if err := json.Unmarshal(out, &cur); err != nil {
		t.Fatal(err)
	}
	var matchers []string
	for _, h := range cur.Hooks["preToolUse"] {
		if !h.FailClosed || h.Timeout != int(AgentTimeout.Seconds()) {
			t.Errorf("preToolUse handler %+v", h)
		}
		matchers = append(matchers, h.Matcher)
	}
	if got := strings.Join(matchers, " "); got != "Shell Write Edit Delete" {
		t.Errorf("preToolUse matchers %q\n%s", got, out)
	}
	// Installing again changes nothing; removing leaves none of them.
	if _, changed, err := EditSettings("cursor", out, argvFor("cursor"), false); err != nil || changed {
		t.Errorf("second install: changed %v, %v", changed, err)
	}
	gone, _, err := EditSettings("cursor", out, argvFor("cursor"), true)
	if err != nil || strings.Contains(string(gone), "preToolUse") {
		t.Errorf("uninstall: %v\n%s", err, gone)
	}
	// Each of those tools is decided, never passed as unknown.
	for _, tool := range []string{"Write", "Edit", "Delete"} {
		g := &gate{dec: decision("allow")}
		in := `{"hook_event_name":"preToolUse","conversation_id":"c","workspace_roots":["/home/dev/app"],"tool_name":"` + tool + `","tool_input":{"file_path":"/home/dev/.bashrc"}}`
		run(t, "cursor", []byte(in), g.decide, Options{})
		if len(g.reqs) != 1 {
			t.Fatalf("%s: no request", tool)
		}
		acts := g.reqs[0].Actions()
		if len(acts) != 1 || acts[0].Path != "/home/dev/.bashrc" || (acts[0].Kind != action.FileWrite && acts[0].Kind != action.FileDelete) {
			t.Errorf("%s: actions %+v", tool, acts)
		}
	}
}

// TestRefusedInputKeepsTheDenyShape: input refused for a repeated key or a
// key in another case still gets the deny JSON of its deciding event (with
// exit 2), whichever spelling of hook_event_name names it: Claude Code's
// http hook acts on the JSON only, and Codex's PermissionRequest documents
// no exit-code block.
func TestRefusedInputKeepsTheDenyShape(t *testing.T) {
	for _, tt := range []struct {
		name, agent, in, want string
	}{
		{"claude later key in another case", "claude",
			`{"hook_event_name":"PreToolUse","hooK_event_name":"PostToolUse","session_id":"s","cwd":"/home/dev","tool_name":"Bash","tool_input":{"command":"rm -rf /"}}`,
			`"permissionDecision":"deny"`},
		{"claude Kelvin sign", "claude",
			"{\"hoo\u212a_event_name\":\"PostToolUse\",\"hook_event_name\":\"PreToolUse\",\"cwd\":\"/home/dev\",\"tool_name\":\"Bash\",\"tool_input\":{\"command\":\"ls\"}}",
			`"permissionDecision":"deny"`},
		{"claude event twice", "claude",
			`{"hook_event_name":"PostToolUse","hook_event_name":"PermissionRequest","cwd":"/home/dev","tool_name":"Bash","tool_input":{"command":"ls"}}`,
			`"behavior":"deny"`},
		{"codex PermissionRequest key twice", "codex",
			`{"hook_event_name":"PermissionRequest","cwd":"/home/dev","tool_name":"Bash","tool_input":{"command":"git push","command":"ls"}}`,
			`"behavior":"deny"`},
		{"codex PreToolUse key in another case", "codex",
			`{"hook_event_name":"PreToolUse","cwd":"/home/dev","tool_name":"Bash","Tool_Name":"apply_patch","tool_input":{"command":"ls"}}`,
			`"permissionDecision":"deny"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g := &gate{dec: decision("allow")}
			r := run(t, tt.agent, []byte(tt.in), g.decide, Options{})
			if r.code != ExitBlock || len(g.reqs) != 0 || !strings.Contains(r.stdout, tt.want) {
				t.Errorf("exit %d, %d requests, stdout %q; want exit 2 with %s", r.code, len(g.reqs), r.stdout, tt.want)
			}
		})
	}
	if got := eventNames([]byte(`{"a":{"hook_event_name":"X"},"HOOK_EVENT_NAME":"Y","hook_event_name":5,"hook_event_name":"Z"`)); strings.Join(got, ",") != "Y,Z" {
		t.Errorf("eventNames %q", got)
	}
}

// TestCursorMCPServerIsNotTheToolName: beforeMCPExecution's tool name is
// the MCP server's own choice; the server is the URL or command Cursor
// reports from the user's configuration. A tool named like another server's
// ("MCP:github:create_issue") must not pass for that server.
func TestCursorMCPServerIsNotTheToolName(t *testing.T) {
	const head = `{"hook_event_name":"beforeMCPExecution","conversation_id":"c","workspace_roots":["/home/dev/app"],"tool_input":{"title":"x"},`
	for _, tt := range []struct {
		name, fields, server, tool string
	}{
		{"url", `"tool_name":"create_issue","url":"http://127.0.0.1:9/mcp"`, "http://127.0.0.1:9/mcp", "create_issue"},
		{"command", `"tool_name":"create_issue","command":"npx gh-mcp"`, "npx gh-mcp", "create_issue"},
		{"a server name in the tool name, with url", `"tool_name":"MCP:github:create_issue","url":"http://evil.example/mcp"`, "http://evil.example/mcp", "create_issue"},
		{"a server name in the tool name, with command", `"tool_name":"MCP:github:create_issue","command":"node evil.js"`, "node evil.js", "create_issue"},
		{"a server name in the tool name, nothing else", `"tool_name":"MCP:github:create_issue"`, "github", "create_issue"},
		{"no server at all", `"tool_name":"create_issue"`, "unknown", "create_issue"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g := &gate{dec: decision("deny")}
			run(t, "cursor", []byte(head+tt.fields+`}`), g.decide, Options{})
			if len(g.reqs) != 1 {
				t.Fatal("no request")
			}
			acts := g.reqs[0].Actions()
			if len(acts) == 0 || acts[0].Kind != action.MCPCall || acts[0].Server != tt.server || acts[0].Tool != tt.tool {
				t.Errorf("actions %+v, want mcp.call %s/%s", acts, tt.server, tt.tool)
			}
		})
	}
}
