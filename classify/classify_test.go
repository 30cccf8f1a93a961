package classify

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/safeclaw/safeclaw/action"
)

// facetKinds lists the kinds of every facet of every part, per part.
func facetKinds(parts []action.Part) [][]action.Kind {
	out := make([][]action.Kind, len(parts))
	for i, p := range parts {
		for _, f := range p.Facets {
			out[i] = append(out[i], f.Kind)
		}
	}
	return out
}

func hasKind(parts []action.Part, k action.Kind) bool {
	for _, p := range parts {
		for _, f := range p.Facets {
			if f.Kind == k {
				return true
			}
		}
	}
	return false
}

// facet is the only facet of kind k, failing when there is not exactly one.
func facet(t *testing.T, parts []action.Part, k action.Kind) action.Action {
	t.Helper()
	var found []action.Action
	for _, p := range parts {
		for _, f := range p.Facets {
			if f.Kind == k {
				found = append(found, f)
			}
		}
	}
	if len(found) != 1 {
		t.Fatalf("want exactly one %s facet, got %d in %+v", k, len(found), parts)
	}
	return found[0]
}

const (
	cwd  = "/nonexistent-safeclaw-test/proj"
	home = "/nonexistent-safeclaw-test/home/dev"
)

func call(tool, input string) Call {
	return Call{Agent: "claude", Tool: tool, Input: json.RawMessage(input), Cwd: cwd, Home: home}
}

// TestToolMapping checks the kind every documented tool maps to, and the
// resource each facet names.
func TestToolMapping(t *testing.T) {
	tests := []struct {
		name string
		c    Call
		kind action.Kind // a facet of this kind must exist
		path string      // when set, that facet's path
		host string      // when set, that facet's host
		port int
	}{
		// Shell tools of every agent reach the shell analyser.
		{"claude Bash", call("Bash", `{"command":"ls -la","description":"list"}`), action.ShellExecute, "", "", 0},
		{"codex Bash", call("Bash", `{"command":"echo hi > codex_out.txt"}`), action.ShellExecute, "", "", 0},
		{"codex exec_command", call("exec_command", `{"cmd":"ls"}`), action.ShellExecute, "", "", 0},
		{"codex exec_command argv", call("exec_command", `{"cmd":["bash","-lc","nc -l 4444"]}`), action.NetworkListen, "", "", 4444},
		{"codex shell_command", call("shell_command", `{"command":"ls"}`), action.ShellExecute, "", "", 0},
		{"codex shell argv", call("shell", `{"command":["ls","-la"]}`), action.ShellExecute, "", "", 0},
		{"codex local_shell argv", call("local_shell", `{"command":["git","status"]}`), action.ShellExecute, "", "", 0},
		{"gemini run_shell_command", call("run_shell_command", `{"command":"ls","description":"x"}`), action.ShellExecute, "", "", 0},
		{"cursor beforeShellExecution", call("beforeShellExecution", `{"command":"npm install express","cwd":"/p"}`), action.ShellExecute, "", "", 0},
		{"codex write_stdin polling", call("write_stdin", `{"session_id":1,"chars":""}`), action.AgentInternal, "", "", 0},
		{"codex write_stdin typing", call("write_stdin", `{"session_id":1,"chars":"ls\n"}`), action.ShellExecute, "", "", 0},

		// Malformed shell calls are opaque, never empty.
		{"Bash without command", call("Bash", `{"description":"x"}`), action.ShellOpaque, "", "", 0},
		{"Bash with non-string command", call("Bash", `{"command":["rm","-rf","/"]}`), action.ShellOpaque, "", "", 0},
		{"Bash with empty command", call("Bash", `{"command":""}`), action.ShellOpaque, "", "", 0},

		// File writes, with canonical paths.
		{"Write", call("Write", `{"file_path":"/home/dev/project/a.txt","content":"hi\n"}`), action.FileWrite, "/home/dev/project/a.txt", "", 0},
		{"Edit relative", call("Edit", `{"file_path":"src/a.go","old_string":"a","new_string":"b"}`), action.FileWrite, cwd + "/src/a.go", "", 0},
		{"MultiEdit", call("MultiEdit", `{"file_path":"/x/y","edits":[]}`), action.FileWrite, "/x/y", "", 0},
		{"NotebookEdit", call("NotebookEdit", `{"notebook_path":"/x/n.ipynb","new_source":"1"}`), action.FileWrite, "/x/n.ipynb", "", 0},
		{"gemini write_file", call("write_file", `{"file_path":"~/.bashrc","content":"x"}`), action.FileWrite, home + "/.bashrc", "", 0},
		{"gemini replace", call("replace", `{"file_path":"/a/b","old_string":"x","new_string":"y"}`), action.FileWrite, "/a/b", "", 0},
		{"gemini save_memory", call("save_memory", `{"fact":"x"}`), action.FileWrite, home + "/.gemini/GEMINI.md", "", 0},
		{"cursor Delete", call("Delete", `{"path":"/a/b"}`), action.FileDelete, "/a/b", "", 0},
		{"Write without path", call("Write", `{"content":"x"}`), action.ToolKind("Write"), "", "", 0},

		// Reads, including search tools by directory, not pattern.
		{"Read", call("Read", `{"file_path":"/etc/hostname"}`), action.FileRead, "/etc/hostname", "", 0},
		{"gemini read_file", call("read_file", `{"absolute_path":"/etc/passwd"}`), action.FileRead, "/etc/passwd", "", 0},
		{"cursor beforeReadFile", call("beforeReadFile", `{"file_path":"/p/.env","content":"A=1"}`), action.FileRead, "/p/.env", "", 0},
		{"H22 Grep path", call("Grep", `{"pattern":"PRIVATE KEY","path":"/home/dev/.ssh"}`), action.FileRead, "/home/dev/.ssh", "", 0},
		{"H23 Glob path", call("Glob", `{"pattern":"**/*","path":"/etc"}`), action.FileRead, "/etc", "", 0},
		{"Grep default path is cwd", call("Grep", `{"pattern":"x"}`), action.FileRead, cwd, "", 0},
		{"LS", call("LS", `{"path":"/var/log"}`), action.FileRead, "/var/log", "", 0},
		{"gemini glob dir_path", call("glob", `{"pattern":"*.go","dir_path":"/srv"}`), action.FileRead, "/srv", "", 0},
		{"gemini grep_search", call("grep_search", `{"pattern":"x","dir_path":"~/.aws"}`), action.FileRead, home + "/.aws", "", 0},
		{"gemini list_directory", call("list_directory", `{"dir_path":"/root"}`), action.FileRead, "/root", "", 0},
		{"H24 Read safeclaw token", call("Read", `{"file_path":"~/.safeclaw/config.json"}`), action.FileRead, home + "/.safeclaw/config.json", "", 0},
		{"H25 Read .env", call("Read", `{"file_path":".env"}`), action.FileRead, cwd + "/.env", "", 0},

		// Web.
		{"WebFetch", call("WebFetch", `{"url":"https://example.com/","prompt":"summarize"}`), action.NetworkConnect, "", "example.com", 443},
		{"WebFetch http request", call("WebFetch", `{"url":"https://example.com/","prompt":"summarize"}`), action.HTTPRequest, "", "example.com", 443},
		{"H28 WebFetch metadata", call("WebFetch", `{"url":"http://169.254.169.254/latest/meta-data/"}`), action.NetworkConnect, "", "169.254.169.254", 80},
		{"metadata as decimal", call("WebFetch", `{"url":"http://2852039166/latest"}`), action.NetworkConnect, "", "169.254.169.254", 80},
		{"metadata as hex", call("WebFetch", `{"url":"http://0xA9FEA9FE/"}`), action.NetworkConnect, "", "169.254.169.254", 80},
		{"metadata as octal", call("WebFetch", `{"url":"http://0251.0376.0251.0376/"}`), action.NetworkConnect, "", "169.254.169.254", 80},
		{"metadata as mapped v6", call("WebFetch", `{"url":"http://[::ffff:169.254.169.254]:8080/"}`), action.NetworkConnect, "", "169.254.169.254", 8080},
		{"host case and dot", call("WebFetch", `{"url":"https://EXAMPLE.com./x"}`), action.NetworkConnect, "", "example.com", 443},
		{"gemini web_fetch prompt", call("web_fetch", `{"prompt":"Summarize https://example.org/a, please"}`), action.HTTPRequest, "", "example.org", 443},
		{"WebFetch file URL", call("WebFetch", `{"url":"file:///etc/shadow"}`), action.FileRead, "/etc/shadow", "", 0},
		{"WebFetch FILE URL upper case", call("WebFetch", `{"url":"FILE:/etc/shadow"}`), action.FileRead, "/etc/shadow", "", 0},
		{"WebFetch scheme upper case", call("WebFetch", `{"url":"HTTPS://Example.COM/x"}`), action.NetworkConnect, "", "example.com", 443},
		{"WebFetch userinfo is not the host", call("WebFetch", `{"url":"http://169.254.169.254@evil.example/"}`), action.NetworkConnect, "", "evil.example", 80},
		{"WebFetch IPv6 loopback", call("WebFetch", `{"url":"http://[::1]:22/"}`), action.NetworkConnect, "", "::1", 22},
		// Non-ASCII hosts are mapped as URL clients map them (UTS #46).
		{"WebFetch full-width host", call("WebFetch", `{"url":"http://ＥＸＡＭＰＬＥ.com/"}`), action.NetworkConnect, "", "example.com", 80},
		{"WebFetch full-width loopback", call("WebFetch", `{"url":"http://１２７。０。０。１:8080/"}`), action.NetworkConnect, "", "127.0.0.1", 8080},
		{"WebFetch IDN to punycode", call("WebFetch", `{"url":"https://пример.рф/"}`), action.NetworkConnect, "", "xn--e1afmkfd.xn--p1ai", 443},
		{"WebFetch unmappable host", call("WebFetch", `{"url":"http://a‍b.example/"}`), action.ToolKind("WebFetch"), "", "", 0},
		{"WebFetch no scheme", call("WebFetch", `{"url":"example.com/x"}`), action.ToolKind("WebFetch"), "", "", 0},
		{"WebFetch backslash", call("WebFetch", `{"url":"http://evil.example\\@good.example/"}`), action.ToolKind("WebFetch"), "", "", 0},
		{"WebFetch without URL", call("WebFetch", `{"prompt":"x"}`), action.ToolKind("WebFetch"), "", "", 0},
		{"WebSearch", call("WebSearch", `{"query":"go"}`), action.WebSearch, "", "", 0},
		{"gemini google_web_search", call("google_web_search", `{"query":"go"}`), action.WebSearch, "", "", 0},

		// MCP, subagents, internal and unknown tools.
		{"mcp", call("mcp__echodb__run_query", `{"sql":"DROP TABLE users"}`), action.MCPCall, "", "", 0},
		{"H26 mcp get is not safe", call("mcp__evil__get", `{}`), action.MCPCall, "", "", 0},
		{"mcp without tool", call("mcp__broken", `{}`), action.ToolKind("mcp__broken"), "", "", 0},
		{"ReadMcpResourceTool file", call("ReadMcpResourceTool", `{"server":"fs","uri":"file:///etc/shadow"}`), action.FileRead, "/etc/shadow", "", 0},
		{"ReadMcpResourceTool mcp", call("ReadMcpResourceTool", `{"server":"fs","uri":"file:///etc/shadow"}`), action.MCPRead, "", "", 0},
		{"Task", call("Task", `{"description":"x","prompt":"y","subagent_type":"general-purpose"}`), action.AgentSpawn, "", "", 0},
		{"Agent", call("Agent", `{"description":"x","prompt":"y","subagent_type":"general-purpose"}`), action.AgentSpawn, "", "", 0},
		{"TodoWrite", call("TodoWrite", `{"todos":[]}`), action.AgentInternal, "", "", 0},
		{"AskUserQuestion", call("AskUserQuestion", `{"questions":[]}`), action.AgentInternal, "", "", 0},
		{"ExitPlanMode", call("ExitPlanMode", `{"plan":"x"}`), action.AgentInternal, "", "", 0},
		{"codex update_plan", call("update_plan", `{"plan":[]}`), action.AgentInternal, "", "", 0},
		{"gemini write_todos", call("write_todos", `{"todos":[]}`), action.AgentInternal, "", "", 0},
		{"Skill is not internal", call("Skill", `{"skill":"x"}`), action.ToolKind("Skill"), "", "", 0},
		{"ToolSearch", call("ToolSearch", `{"query":"select:Grep"}`), action.AgentInternal, "", "", 0},
		{"TaskCreate", call("TaskCreate", `{"subject":"x"}`), action.AgentInternal, "", "", 0},
		{"Workflow spawns agents", call("Workflow", `{"name":"review"}`), action.AgentSpawn, "", "", 0},
		{"codex multi_agent_v1", call("multi_agent_v1", `{"action":"spawn"}`), action.AgentSpawn, "", "", 0},
		{"codex create_goal", call("create_goal", `{"goal":"x"}`), action.AgentInternal, "", "", 0},
		{"gemini read_background_output", call("read_background_output", `{"pid":1}`), action.AgentInternal, "", "", 0},
		{"gemini activate_skill is not internal", call("activate_skill", `{"name":"x"}`), action.ToolKind("activate_skill"), "", "", 0},
		{"LSP reads its file", call("LSP", `{"operation":"hover","filePath":"/proj/main.go","line":3}`), action.FileRead, "/proj/main.go", "", 0},
		{"Monitor runs a command: not internal", call("Monitor", `{"command":"tail -f log"}`), action.ToolKind("Monitor"), "", "", 0},
		{"EnterWorktree writes: not internal", call("EnterWorktree", `{"name":"x"}`), action.ToolKind("EnterWorktree"), "", "", 0},
		{"unknown tool", call("SomethingNew", `{}`), action.ToolKind("SomethingNew"), "", "", 0},
		{"case matters", call("bash", `{"command":"ls"}`), action.ToolKind("bash"), "", "", 0},
		{"H27 declared type ignored", call("Bash", `{"command":"rm -rf /","type":"shell.execute.read","kind":"file.read"}`), action.ShellExecute, "", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ToolCall(tt.c)
			if len(r.Parts) == 0 {
				t.Fatal("no parts")
			}
			for _, p := range r.Parts {
				if len(p.Facets) == 0 {
					t.Fatalf("part without facets: %+v", r.Parts)
				}
			}
			if !hasKind(r.Parts, tt.kind) {
				t.Fatalf("kinds %v, want a %s facet", facetKinds(r.Parts), tt.kind)
			}
			if tt.path == "" && tt.host == "" {
				return
			}
			f := facet(t, r.Parts, tt.kind)
			if tt.path != "" && f.Path != tt.path {
				t.Errorf("path %q, want %q", f.Path, tt.path)
			}
			if tt.host != "" && (f.Host != tt.host || f.Port != tt.port) {
				t.Errorf("host %q port %d, want %q %d", f.Host, f.Port, tt.host, tt.port)
			}
		})
	}
}

func TestDeclaredTypeIgnored(t *testing.T) {
	r := ToolCall(call("Bash", `{"command":"rm -rf /","type":"shell.execute.read"}`))
	for _, p := range r.Parts {
		for _, f := range p.Facets {
			if strings.Contains(string(f.Kind), "read") {
				t.Fatalf("caller-declared type leaked into kind %s", f.Kind)
			}
		}
	}
	if r.Input != "rm -rf /" {
		t.Errorf("input %q, want the full command", r.Input)
	}
}

func TestMCPFields(t *testing.T) {
	c := call("mcp__echodb__run_query", `{"sql":"DROP TABLE users","limit":12345678901234567890}`)
	c.MCPServer, c.MCPSource = "echodb", "dynamic"
	f := facet(t, Parts(c), action.MCPCall)
	if f.Server != "echodb" || f.Tool != "run_query" {
		t.Errorf("server %q tool %q", f.Server, f.Tool)
	}
	args, ok := f.Args.(map[string]any)
	if !ok || args["sql"] != "DROP TABLE users" {
		t.Fatalf("args %#v", f.Args)
	}
	if n, ok := args["limit"].(json.Number); !ok || n.String() != "12345678901234567890" {
		t.Errorf("large number not kept exact: %#v", args["limit"])
	}
	if !strings.Contains(f.Detail, "dynamic") {
		t.Errorf("detail %q does not record the server source", f.Detail)
	}

	// A server name with "__" splits exactly when the agent reports it.
	c = call("mcp__my__db__query", `{}`)
	c.MCPServer = "my__db"
	f = facet(t, Parts(c), action.MCPCall)
	if f.Server != "my__db" || f.Tool != "query" {
		t.Errorf("server %q tool %q", f.Server, f.Tool)
	}
}

func TestApplyPatch(t *testing.T) {
	patch := "*** Begin Patch\n*** Add File: hello.txt\n+hi\n*** Update File: src/app.py\n@@\n-a\n+b\n*** Move to: src/main.py\n*** Delete File: ../../etc/passwd\n*** Update File: ~/.bashrc\n+x\n*** End Patch\n"
	inputs := map[string]string{
		"object": mustJSON(map[string]string{"input": patch}),
		"string": mustJSON(patch),
		"argv":   mustJSON(map[string]any{"command": []string{"apply_patch", patch}}),
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			parts := Parts(call("apply_patch", in))
			type pk struct {
				kind action.Kind
				path string
			}
			var got []pk
			for _, p := range parts {
				if len(p.Facets) != 1 {
					t.Fatalf("each patched file must be its own part: %+v", p)
				}
				got = append(got, pk{p.Facets[0].Kind, p.Facets[0].Path})
			}
			want := []pk{
				{action.FileWrite, cwd + "/hello.txt"},
				{action.FileDelete, cwd + "/src/app.py"},
				{action.FileWrite, cwd + "/src/main.py"},
				{action.FileDelete, "/etc/passwd"},
				{action.FileWrite, home + "/.bashrc"},
			}
			if len(got) != len(want) {
				t.Fatalf("got %v, want %v", got, want)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("file %d: got %v, want %v", i, got[i], want[i])
				}
			}
		})
	}
	if k := facetKinds(Parts(call("apply_patch", `{"input":"not a patch"}`))); k[0][0] != action.ToolKind("apply_patch") {
		t.Errorf("unreadable patch: %v", k)
	}
}

func TestManyPathsAreSeparateParts(t *testing.T) {
	parts := Parts(call("read_many_files", `{"paths":["src/**/*.go","/home/dev/.ssh/id_rsa"]}`))
	if len(parts) != 2 {
		t.Fatalf("got %d parts, want 2: %+v", len(parts), parts)
	}
	if parts[0].Facets[0].Path != cwd+"/src" || parts[1].Facets[0].Path != "/home/dev/.ssh/id_rsa" {
		t.Errorf("paths %q %q", parts[0].Facets[0].Path, parts[1].Facets[0].Path)
	}
	// A glob pattern that leaves its directory adds the directory it reaches.
	parts = Parts(call("Glob", `{"pattern":"../**/id_rsa"}`))
	if len(parts) != 2 || parts[1].Facets[0].Path != "/nonexistent-safeclaw-test" {
		t.Errorf("escaping glob: %+v", parts)
	}
	parts = Parts(call("Glob", `{"pattern":"/etc/**/*.conf"}`))
	if len(parts) != 2 || parts[1].Facets[0].Path != "/etc" {
		t.Errorf("absolute glob: %+v", parts)
	}
}

func TestBackgroundSubagent(t *testing.T) {
	if f := facet(t, Parts(call("Task", `{"prompt":"x","subagent_type":"general-purpose","run_in_background":true}`)), action.AgentSpawn); !f.Background {
		t.Error("background subagent not marked")
	}
	if f := facet(t, Parts(call("Task", `{"prompt":"x"}`)), action.AgentSpawn); f.Background {
		t.Error("foreground subagent marked background")
	}
}

func TestBackground(t *testing.T) {
	parts := Parts(call("Bash", `{"command":"python -m http.server 8080","run_in_background":true}`))
	for _, p := range parts {
		for _, f := range p.Facets {
			if !f.Background {
				t.Errorf("facet %s not marked background", f.Kind)
			}
		}
	}
}

func TestShellCwd(t *testing.T) {
	// Gemini's directory argument changes where a command runs; the shell
	// analyser must see it (relative paths in the command resolve there).
	dir := t.TempDir()
	c := call("run_shell_command", mustJSON(map[string]string{"command": "ls", "dir_path": dir}))
	if !hasKind(Parts(c), action.ShellExecute) {
		t.Fatal("no shell.execute")
	}
}

func TestDescribe(t *testing.T) {
	for _, tt := range []struct {
		c    Call
		want string
	}{
		{call("Bash", `{"command":"echo hi","description":"x"}`), "echo hi"},
		{call("shell", `{"command":["bash","-lc","echo 'a b'"]}`), `bash -lc 'echo '\''a b'\'''`},
		{call("Write", `{"file_path":"/a/b","content":"secret"}`), "Write /a/b"},
		{call("mcp__s__t", `{ "x" : 1 }`), `mcp__s__t {"x":1}`},
		{call("TodoWrite", `{}`), "TodoWrite"},
	} {
		if got := ToolCall(tt.c).Input; got != tt.want {
			t.Errorf("%s: input %q, want %q", tt.c.Tool, got, tt.want)
		}
	}
}

func TestWriteArgsNotCopied(t *testing.T) {
	f := facet(t, Parts(call("Write", `{"file_path":"/a","content":"AKIA-secret"}`)), action.FileWrite)
	if f.Args != nil {
		t.Errorf("a write's content was copied into the facet: %#v", f.Args)
	}
}

func TestSymlinkedWriteTarget(t *testing.T) {
	// H21: a write through a symlinked directory lands on the link's target.
	root := t.TempDir()
	proj := filepath.Join(root, "proj")
	ssh := filepath.Join(root, "home", ".ssh")
	for _, d := range []string{proj, ssh} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(ssh, filepath.Join(proj, "link")); err != nil {
		t.Fatal(err)
	}
	c := Call{Tool: "Write", Input: json.RawMessage(mustJSON(map[string]string{"file_path": proj + "/link/authorized_keys"})), Cwd: proj}
	f := facet(t, Parts(c), action.FileWrite)
	if f.Path != filepath.Join(ssh, "authorized_keys") {
		t.Errorf("path %q, want %q", f.Path, filepath.Join(ssh, "authorized_keys"))
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// Content searches read the whole tree below their path; listings do not.
func TestSearchesAreRecursiveReads(t *testing.T) {
	for _, tc := range []struct {
		tool      string
		recursive bool
	}{
		{"Grep", true}, {"grep_search", true}, {"search_file_content", true},
		{"Glob", false}, {"glob", false}, {"LS", false}, {"list_directory", false},
	} {
		parts := Parts(call(tc.tool, `{"pattern":"x","path":"/home/dev"}`))
		if len(parts) == 0 || len(parts[0].Facets) == 0 {
			t.Fatalf("%s: no facets", tc.tool)
		}
		f := parts[0].Facets[0]
		if f.Kind != action.FileRead || f.Recursive != tc.recursive {
			t.Errorf("%s: %+v, want recursive=%v", tc.tool, f, tc.recursive)
		}
	}
}

// An MCP tool's shell-like arguments are analysed as safeclaw mcp analyses
// them, so shell rules hold whichever surface sees the call.
func TestMCPShellArguments(t *testing.T) {
	parts := Parts(call("mcp__box__run_command", `{"options":{"command":"python3 -m http.server 8080"}}`))
	if len(parts) != 2 || parts[0].Facets[0].Kind != action.MCPCall {
		t.Fatalf("parts %+v", parts)
	}
	found := false
	for _, f := range parts[1].Facets {
		found = found || (f.Kind == action.NetworkListen && f.Port == 8080)
	}
	if !found {
		t.Errorf("the command's listener was not seen: %+v", parts[1].Facets)
	}
}

// A tool reads its path under one key; a call holding another key beside it
// must not have that other path gated in its place. Every path key present
// is gated, each its own part (audit: NotebookEdit with notebook_path on the
// hook settings and a harmless file_path was allowed).
func TestEveryPathKeyIsGated(t *testing.T) {
	for _, tt := range []struct {
		name string
		c    Call
		kind action.Kind
		want []string
	}{
		{"NotebookEdit notebook_path beside file_path", call("NotebookEdit", `{"notebook_path":"/p/.claude/settings.json","file_path":"/p/a.ipynb","new_source":""}`),
			action.FileWrite, []string{"/p/a.ipynb", "/p/.claude/settings.json"}},
		{"write_file absolute_path beside file_path", call("write_file", `{"file_path":"a.txt","absolute_path":"/p/.gemini/settings.json","content":""}`),
			action.FileWrite, []string{cwd + "/a.txt", "/p/.gemini/settings.json"}},
		{"Read path beside file_path", call("Read", `{"file_path":"/p/a","path":"~/.ssh/id_rsa"}`),
			action.FileRead, []string{"/p/a", home + "/.ssh/id_rsa"}},
		{"same path under two keys is one part", call("Write", `{"file_path":"/p/a","path":"/p/./a","content":""}`),
			action.FileWrite, []string{"/p/a"}},
		// Claude Grep reads path; a dir_path beside it is gated too.
		{"Grep dir_path beside path", call("Grep", `{"pattern":"x","path":"/tmp","dir_path":"~/.ssh"}`),
			action.FileRead, []string{"/tmp", home + "/.ssh"}},
		// Claude Grep ignores dir_path: without its own path it reads the
		// working directory, which stays gated.
		{"Grep without its own key reads cwd", call("Grep", `{"pattern":"x","dir_path":"/tmp"}`),
			action.FileRead, []string{cwd, "/tmp"}},
		{"gemini grep_search dir_path", call("grep_search", `{"pattern":"x","dir_path":"/srv"}`),
			action.FileRead, []string{"/srv"}},
		// read_many_files resolves against the working directory; a
		// directory key is a base too.
		{"read_many_files with a path key", call("read_many_files", `{"paths":[".ssh/id_rsa"],"path":"/tmp"}`),
			action.FileRead, []string{cwd + "/.ssh/id_rsa", "/tmp/.ssh/id_rsa"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, p := range Parts(tt.c) {
				if len(p.Facets) != 1 || p.Facets[0].Kind != tt.kind {
					t.Fatalf("part %+v, want one %s facet", p, tt.kind)
				}
				got = append(got, p.Facets[0].Path)
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("paths %q, want %q", got, tt.want)
			}
		})
	}
}

// A path no file system takes is not gated as if it were another one.
func TestNULInPath(t *testing.T) {
	for _, c := range []Call{
		call("Write", `{"file_path":"/p/.claude/settings.json\u0000x","content":""}`),
		call("NotebookEdit", `{"notebook_path":"/p/ok.ipynb","file_path":"/p/.codex/config.toml\u0000"}`),
		call("apply_patch", mustJSON(map[string]string{"input": "*** Begin Patch\n*** Add File: a\x00b\n+x\n*** End Patch\n"})),
	} {
		if k := facetKinds(Parts(c)); len(k) != 1 || k[0][0] != action.ToolKind(c.Tool) {
			t.Errorf("%s %s: kinds %v, want tool.%s", c.Tool, c.Input, k, c.Tool)
		}
	}
}

// The directory a shell script is analysed in is the one the tool runs it
// in: its own key's (Gemini dir_path, Codex workdir), else the agent's; a
// key the tool ignores never replaces it (audit: Claude Bash with
// "cwd":"/tmp" had `echo > .claude/settings.json` checked in /tmp while
// Claude Code runs it in the project, and allowed).
func TestShellDirectoryKeys(t *testing.T) {
	root := t.TempDir()
	proj := filepath.Join(root, "proj")
	other := filepath.Join(root, "other")
	for _, d := range []string{proj, other} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(c Call) []string {
		c.Cwd = proj
		var got []string
		for _, p := range Parts(c) {
			for _, f := range p.Facets {
				if f.Kind == action.FileWrite {
					got = append(got, f.Path)
				}
			}
		}
		return got
	}
	in := func(kv ...string) string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return mustJSON(m)
	}
	for _, tt := range []struct {
		name string
		c    Call
		want []string
	}{
		// Claude Code's Bash runs in the session's directory whatever the
		// call says; a foreign key is analysed as well, never instead.
		{"Bash ignores cwd", call("Bash", in("command", "echo x > out", "cwd", other)), []string{proj + "/out", other + "/out"}},
		{"Bash ignores workdir", call("Bash", in("command", "echo x > out", "workdir", other)), []string{proj + "/out", other + "/out"}},
		{"Bash", call("Bash", in("command", "echo x > out")), []string{proj + "/out"}},
		{"gemini dir_path", call("run_shell_command", in("command", "echo x > out", "dir_path", other)), []string{other + "/out"}},
		{"gemini dir_path and a foreign key", call("run_shell_command", in("command", "echo x > out", "dir_path", other, "cwd", "/srv")),
			[]string{other + "/out", "/srv/out"}},
		{"codex workdir", call("exec_command", in("cmd", "echo x > out", "workdir", other)), []string{other + "/out"}},
		{"codex cmd and command both analysed", call("exec_command", in("cmd", "echo x > a", "command", "echo x > b")), []string{proj + "/a", proj + "/b"}},
		{"unknown shell tool: cwd and its key", call("Shell", in("command", "echo x > out", "working_directory", other)), []string{proj + "/out", other + "/out"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := write(tt.c); strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("writes %q, want %q", got, tt.want)
			}
		})
	}
}

// Codex reads a patch leniently: header lines are trimmed, and any string
// argument may hold the patch it applies. Every file any of them touches is
// gated (audit: a patch in a second argument was skipped or gated
// depending on map order; an indented header was not read).
func TestApplyPatchLenient(t *testing.T) {
	benign := "*** Begin Patch\n*** Add File: a.txt\n+x\n*** End Patch\n"
	for _, tt := range []struct {
		name string
		in   string
		want string // a path that must be gated
		kind action.Kind
	}{
		{"second patch argument", mustJSON(map[string]string{"input": benign, "patch": "*** Begin Patch\n*** Add File: .claude/settings.json\n+x\n*** End Patch\n"}),
			cwd + "/.claude/settings.json", action.FileWrite},
		{"indented header", mustJSON(map[string]string{"input": "*** Begin Patch\n*** Add File: a.txt\n+x\n  *** Add File: .codex/config.toml\n+y\n*** End Patch\n"}),
			cwd + "/.codex/config.toml", action.FileWrite},
		{"tab and CRLF", mustJSON(map[string]string{"input": "*** Begin Patch\r\n\t*** Delete File: .cursor/hooks.json \r\n*** End Patch\r\n"}),
			cwd + "/.cursor/hooks.json", action.FileDelete},
		{"header in another case", mustJSON(map[string]string{"input": "*** Begin Patch\n*** add file: x/y\n+x\n*** End Patch\n"}),
			cwd + "/x/y", action.FileWrite},
		{"path with leading space gated as written", mustJSON(map[string]string{"input": "*** Begin Patch\n*** Add File:  b.txt\n+x\n*** End Patch\n"}),
			cwd + "/ b.txt", action.FileWrite},
		{"path with leading space gated trimmed", mustJSON(map[string]string{"input": "*** Begin Patch\n*** Add File:  b.txt\n+x\n*** End Patch\n"}),
			cwd + "/b.txt", action.FileWrite},
		{"moved source is a delete", mustJSON(map[string]string{"input": "*** Begin Patch\n*** Update File: .gemini/settings.json\n*** Move to: x.json\n@@\n-a\n+b\n*** End Patch\n"}),
			cwd + "/.gemini/settings.json", action.FileDelete},
		{"workdir and cwd", mustJSON(map[string]string{"input": benign, "workdir": "/srv/app"}),
			"/srv/app/a.txt", action.FileWrite},
		{"cwd beside workdir", mustJSON(map[string]string{"input": benign, "workdir": "/srv/app"}),
			cwd + "/a.txt", action.FileWrite},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for i := 0; i < 20; i++ { // map order must not matter
				found := false
				for _, p := range Parts(call("apply_patch", tt.in)) {
					for _, f := range p.Facets {
						found = found || (f.Kind == tt.kind && f.Path == tt.want)
					}
				}
				if !found {
					t.Fatalf("%s %s not gated: %+v", tt.kind, tt.want, Parts(call("apply_patch", tt.in)))
				}
			}
		})
	}
}

// Gemini's web_fetch reads URLs from its prompt: beside a url argument
// they are gated as well.
func TestWebFetchEveryURL(t *testing.T) {
	parts := Parts(call("web_fetch", `{"url":"https://example.com/","prompt":"and http://169.254.169.254/latest"}`))
	var hosts []string
	for _, p := range parts {
		for _, f := range p.Facets {
			if f.Kind == action.NetworkConnect {
				hosts = append(hosts, f.Host)
			}
		}
	}
	if strings.Join(hosts, " ") != "example.com 169.254.169.254" {
		t.Errorf("hosts %q", hosts)
	}
}

// Gemini CLI splits its web_fetch prompt at white space and fetches each
// word holding "://" as one URL. safeclaw reads the same words (audit: a
// quote ended the URL early, so http://a.example"@169.254.169.254/ was
// gated as a.example; and offsets taken from the lower-cased prompt were
// misplaced by characters whose lower case has another length, such as
// U+023A).
func TestWebFetchPromptURLs(t *testing.T) {
	// 24 characters whose lower case is one byte longer shifted the old
	// offsets by exactly the first URL and its space: only the second was
	// gated.
	pad := strings.Repeat("\u023a", 24) + " "
	for _, tt := range []struct {
		name, prompt string
		want         []string
	}{
		{"plain", "Summarize https://example.org/a, please", []string{"https://example.org/a"}},
		{"upper-case scheme", "get HTTP://169.254.169.254/latest", []string{"HTTP://169.254.169.254/latest"}},
		// One URL to Gemini, whose host is the address; Go reads it
		// otherwise, so it is tool.web_fetch (denied), not a.example.
		{"quote inside the word", `read http://a.example"@169.254.169.254/ now`, []string{"(unreadable)"}},
		{"quoted", `read "https://example.com/docs" now`, []string{"https://example.com/docs"}},
		{"another scheme", "xhttp://a.example/ and ftp://b.example/", nil},
		{"BOM separates", "http://a.example/\ufeffhttp://169.254.169.254/", []string{"http://a.example/", "http://169.254.169.254/"}},
		{"longer lower case before", pad + "http://evil.example/abc http://example.com/abcdefgh ........................................",
			[]string{"http://evil.example/abc", "http://example.com/abcdefgh"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := mustJSON(map[string]string{"prompt": tt.prompt})
			var got []string
			for _, p := range Parts(call("web_fetch", in)) {
				for _, f := range p.Facets {
					if f.Kind == action.HTTPRequest || f.Kind == action.ToolKind("web_fetch") {
						u := f.URL
						if u == "" {
							u = "(unreadable)"
						}
						got = append(got, u)
					}
				}
			}
			if tt.want == nil {
				tt.want = []string{"(unreadable)"} // no URL: tool.web_fetch
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("urls %q, want %q", got, tt.want)
			}
		})
	}
}
