package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/safeclaw/safeclaw/internal/jsonobj"
)

const claudeJSON = `{
  "numStartups": 12,
  "mcpServers": {
    "github": {"type": "stdio", "command": "npx", "args": ["-y", "@modelcontextprotocol/server-github"], "env": {"GITHUB_TOKEN": "x"}},
    "remote": {"type": "http", "url": "https://mcp.example.com/mcp", "headers": {"Authorization": "Bearer t"}},
    "bare": {"command": "/usr/local/bin/echo-db"}
  },
  "projects": {
    "/home/u/proj": {"allowedTools": [], "mcpServers": {"db server": {"command": "uvx", "args": ["mcp-db", "--ro"]}}}
  }
}
`

func writeFile(t *testing.T, path, data string, perm os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), perm); err != nil {
		t.Fatal(err)
	}
}

type mcpEntry struct {
	Type    string
	Command string
	Args    []string
	Env     map[string]string
	URL     string
}

func readMCPServers(t *testing.T, path string) (map[string]mcpEntry, map[string]map[string]mcpEntry) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		MCPServers map[string]mcpEntry
		Projects   map[string]struct{ MCPServers map[string]mcpEntry }
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	proj := map[string]map[string]mcpEntry{}
	for k, p := range f.Projects {
		proj[k] = p.MCPServers
	}
	return f.MCPServers, proj
}

func TestInstallMCPClaudeRoundTrip(t *testing.T) {
	e := testEnv(t)
	path := filepath.Join(e.Home, ".claude.json")
	writeFile(t, path, claudeJSON, 0o600)

	code, out, errOut := run(t, e, "", "install", "claude", "--mcp", "--binary", fakeBinary)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"mcpServers.github: wrapped", "mcpServers.remote: wrapped: safeclaw mcp --name remote --upstream https://mcp.example.com/mcp (headers: Authorization); the value of Authorization is written out", "projects./home/u/proj.mcpServers.db server: wrapped", "backup: "} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	servers, proj := readMCPServers(t, path)
	gh := servers["github"]
	if gh.Command != fakeBinary || strings.Join(gh.Args, " ") != "mcp --name github -- npx -y @modelcontextprotocol/server-github" || gh.Env["GITHUB_TOKEN"] != "x" || gh.Type != "stdio" {
		t.Errorf("github entry %+v", gh)
	}
	if b := servers["bare"]; b.Command != fakeBinary || strings.Join(b.Args, " ") != "mcp --name bare -- /usr/local/bin/echo-db" {
		t.Errorf("bare entry %+v", b)
	}
	if r := servers["remote"]; r.Command != fakeBinary || r.URL != "" || r.Type != "stdio" || strings.Join(r.Args, "|") != "mcp|--name|remote|--upstream|https://mcp.example.com/mcp|--header|Authorization: Bearer t" {
		t.Errorf("remote entry %+v", r)
	}
	if db := proj["/home/u/proj"]["db server"]; db.Command != fakeBinary || strings.Join(db.Args, " ") != "mcp --name db_server -- uvx mcp-db --ro" {
		t.Errorf("project entry %+v", db)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode().Perm())
	}
	wrapped, _ := os.ReadFile(path)

	// Idempotent.
	code, out, _ = run(t, e, "", "install", "claude", "--mcp", "--binary", fakeBinary)
	if code != 0 || !strings.Contains(out, "mcpServers.github: already wrapped") || strings.Contains(out, "backup:") {
		t.Errorf("second install: exit %d\n%s", code, out)
	}
	if again, _ := os.ReadFile(path); string(again) != string(wrapped) {
		t.Errorf("second install changed the file:\n%s", again)
	}

	// Uninstall restores the original, meaning for meaning.
	code, out, errOut = run(t, e, "", "uninstall", "claude", "--mcp", "--binary", fakeBinary)
	if code != 0 || !strings.Contains(out, "mcpServers.github: unwrapped: runs npx -y @modelcontextprotocol/server-github") || !strings.Contains(out, "mcpServers.remote: unwrapped: remote server https://mcp.example.com/mcp") {
		t.Fatalf("uninstall: exit %d\n%s%s", code, out, errOut)
	}
	restored, _ := os.ReadFile(path)
	if !sameJSONText(t, restored, []byte(claudeJSON)) {
		t.Errorf("not restored:\n%s", restored)
	}
}

func sameJSONText(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return string(ja) == string(jb)
}

func TestInstallMCPDryRun(t *testing.T) {
	e := testEnv(t)
	path := filepath.Join(e.Home, ".gemini", "settings.json")
	orig := `{"theme":"dark","mcpServers":{"fs":{"command":"node","args":["fs.js"],"cwd":"/srv","timeout":30000},"sse":{"url":"http://localhost:9/sse"},"h":{"httpUrl":"http://localhost:9/mcp"}}}`
	writeFile(t, path, orig, 0o644)
	code, out, errOut := run(t, e, "", "install", "gemini", "--mcp", "--dry-run", "--binary", fakeBinary)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"--- " + path, "@@ mcpServers.fs @@", `-  "command": "node",`, `+  "command": "` + fakeBinary + `",`, "mcpServers.sse: not wrapped: a remote server (http://localhost:9/sse) that Gemini CLI may reach over SSE", "mcpServers.h: wrapped: safeclaw mcp --name h --upstream http://localhost:9/mcp", "@@ mcpServers.h @@", `-  "httpUrl": "http://localhost:9/mcp"`, `+    "--upstream",`} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run lacks %q:\n%s", want, out)
		}
	}
	if got, _ := os.ReadFile(path); string(got) != orig {
		t.Errorf("dry run wrote the file:\n%s", got)
	}
}

func TestInstallMCPCursorProjectAndSettings(t *testing.T) {
	e := testEnv(t)
	path := filepath.Join(e.Cwd, ".cursor", "mcp.json")
	writeFile(t, path, `{"mcpServers":{"db":{"command":"echo-db","env":{}}}}`, 0o644)
	if code, out, errOut := run(t, e, "", "install", "cursor", "--project", "--mcp", "--binary", fakeBinary); code != 0 || !strings.Contains(out, "mcpServers.db: wrapped") {
		t.Fatalf("exit %d: %s%s", code, out, errOut)
	}
	servers, _ := readMCPServers(t, path)
	if db := servers["db"]; db.Command != fakeBinary || strings.Join(db.Args, " ") != "mcp --name db -- echo-db" {
		t.Errorf("db entry %+v", db)
	}
	// A new safeclaw path is taken up; the server's argv stays.
	if code, out, _ := run(t, e, "", "install", "cursor", "--settings", path, "--mcp", "--binary", "/usr/bin/safeclaw"); code != 0 || !strings.Contains(out, "safeclaw's path updated") {
		t.Errorf("exit %d: %s", code, out)
	}
	if code, _, _ := run(t, e, "", "uninstall", "cursor", "--settings", path, "--mcp"); code != 0 {
		t.Fatal("uninstall failed")
	}
	if got, _ := os.ReadFile(path); !sameJSONText(t, got, []byte(`{"mcpServers":{"db":{"command":"echo-db","env":{}}}}`)) {
		t.Errorf("not restored:\n%s", got)
	}
}

func TestInstallMCPMissing(t *testing.T) {
	e := testEnv(t)
	code, out, _ := run(t, e, "", "install", "gemini", "--mcp", "--binary", fakeBinary)
	if code != 0 || !strings.Contains(out, "no MCP server settings for gemini") {
		t.Errorf("exit %d: %s", code, out)
	}
	code, out, _ = run(t, e, "", "install", "codex", "--mcp", "--binary", fakeBinary)
	if code != 0 || !strings.Contains(out, "no MCP server settings for codex (looked in "+filepath.Join(e.Home, ".codex", "config.toml")+")") {
		t.Errorf("codex: exit %d: %s", code, out)
	}
	bad := filepath.Join(e.Home, ".cursor", "mcp.json")
	writeFile(t, bad, `{"mcpServers": [}`, 0o644)
	if code, _, errOut := run(t, e, "", "install", "cursor", "--mcp", "--binary", fakeBinary); code == 0 || !strings.Contains(errOut, "not changed") {
		t.Errorf("bad file: exit %d: %s", code, errOut)
	}
}

func TestEditMCPEntryKeepsKeyOrder(t *testing.T) {
	in := `{"mcpServers":{"a":{"type":"stdio","command":"x","env":{"K":"v"},"args":["1"]}}}`
	out, _, err := editMCPServers([]byte(in), "claude", fakeBinary, false)
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	if !(strings.Index(s, `"type"`) < strings.Index(s, `"command"`) && strings.Index(s, `"command"`) < strings.Index(s, `"env"`) && strings.Index(s, `"env"`) < strings.Index(s, `"args"`)) {
		t.Errorf("key order changed:\n%s", s)
	}
	back, _, err := editMCPServers(out, "claude", fakeBinary, true)
	if err != nil {
		t.Fatal(err)
	}
	if !sameJSONText(t, back, []byte(in)) {
		t.Errorf("round trip:\n%s", back)
	}
	if strings.Index(string(back), `"env"`) > strings.Index(string(back), `"args"`) {
		t.Errorf("round trip order:\n%s", back)
	}
}

// remoteCase is one server entry of an agent's JSON settings: what install
// makes of it (wrapped, compact JSON, or the entry unchanged when empty) and
// says (status, a part of it), and, when set, what uninstall then gives
// back (else the entry itself, meaning for meaning and key for key).
type remoteCase struct {
	name, agent, entry string
	wrapped, status    string
	back               string
}

var remoteCases = []remoteCase{
	// Claude Code: "type": "http" is streamable HTTP, ${VAR} and ${VAR:-default} are expanded.
	{
		name: "claude-http", agent: "claude",
		entry:   `{"type":"http","url":"https://mcp.example.com/mcp","headers":{"Authorization":"Bearer ${GH_TOKEN}","X-Team":"core"},"timeout":30}`,
		wrapped: `{"type":"stdio","command":"/opt/safeclaw/bin/safeclaw","args":["mcp","--name","gh","--upstream","https://mcp.example.com/mcp","--header","Authorization: Bearer ${GH_TOKEN}","--header","X-Team: core"],"timeout":30}`,
		status:  "wrapped: safeclaw mcp --name gh --upstream https://mcp.example.com/mcp (headers: Authorization, X-Team); the value of X-Team is written out",
	},
	{
		name: "claude-no-headers", agent: "claude",
		entry:   `{"url":"http://127.0.0.1:3845/mcp","type":"http"}`,
		wrapped: `{"command":"/opt/safeclaw/bin/safeclaw","args":["mcp","--name","gh","--upstream","http://127.0.0.1:3845/mcp"],"type":"stdio"}`,
		status:  "wrapped: safeclaw mcp --name gh --upstream http://127.0.0.1:3845/mcp",
	},
	{
		name: "claude-empty-headers", agent: "claude",
		entry:   `{"type":"http","url":"https://x.example/mcp","headers":{}}`,
		wrapped: `{"type":"stdio","command":"/opt/safeclaw/bin/safeclaw","args":["mcp","--name","gh","--upstream","https://x.example/mcp"]}`,
		back:    `{"type":"http","url":"https://x.example/mcp"}`,
	},
	{name: "claude-sse", agent: "claude", entry: `{"type":"sse","url":"https://x.example/sse","headers":{"A":"b"}}`, status: "not wrapped: an SSE server (https://x.example/sse); safeclaw mcp relays streamable HTTP only"},
	{name: "claude-ws", agent: "claude", entry: `{"type":"ws","url":"wss://x.example/"}`, status: `not wrapped: a remote server (wss://x.example/) of type "ws"`},
	{name: "claude-default", agent: "claude", entry: `{"type":"http","url":"https://x.example/mcp","headers":{"Authorization":"Bearer ${T:-none}"}}`, status: "not wrapped: header Authorization: uses ${T:-none}; safeclaw expands ${VAR} without a default"},
	{name: "claude-dollar", agent: "claude", entry: `{"type":"http","url":"https://x.example/mcp","headers":{"X-Key":"pa$word"}}`, status: "not wrapped: header X-Key: the value has a '$' that safeclaw would read as an environment variable"},
	{
		name: "claude-lone-dollar", agent: "claude",
		entry:   `{"type":"http","url":"https://x.example/mcp","headers":{"X-Price":"5 $ each $"}}`,
		wrapped: `{"type":"stdio","command":"/opt/safeclaw/bin/safeclaw","args":["mcp","--name","gh","--upstream","https://x.example/mcp","--header","X-Price: 5 $ each $"]}`,
	},
	{name: "claude-oauth", agent: "claude", entry: `{"type":"http","url":"https://x.example/mcp","oauth":{"clientId":"c"}}`, status: `not wrapped: a remote server (https://x.example/mcp) the agent signs in to itself ("oauth"), which safeclaw mcp cannot do`},
	{name: "claude-helper", agent: "claude", entry: `{"type":"http","url":"https://x.example/mcp","headersHelper":"/bin/hdrs"}`, status: `("headersHelper")`},
	{name: "claude-url-var", agent: "claude", entry: `{"type":"http","url":"https://${HOST}/mcp"}`, status: "has a '$' (an environment variable?), which safeclaw mcp --upstream does not expand"},
	{name: "claude-transport-header", agent: "claude", entry: `{"type":"http","url":"https://x.example/mcp","headers":{"Content-Type":"application/json"}}`, status: "not wrapped: header Content-Type cannot be passed to safeclaw mcp (--header Content-Type: set by the MCP transport itself)"},
	{name: "claude-bad-headers", agent: "claude", entry: `{"type":"http","url":"https://x.example/mcp","headers":{"A":1}}`, status: `not wrapped: header "A" is not a string`},
	{name: "claude-no-type", agent: "claude", entry: `{"url":"https://x.example/mcp"}`, status: `not wrapped: a remote server (https://x.example/mcp) without "type"`},
	{name: "claude-httpUrl", agent: "claude", entry: `{"type":"http","httpUrl":"https://x.example/mcp"}`, status: "not wrapped: a remote server (https://x.example/mcp) given by httpUrl, which claude does not read"},

	// Gemini CLI: httpUrl, or url with "type": "http", is streamable HTTP; $VAR and ${VAR} are expanded.
	{
		name: "gemini-httpUrl", agent: "gemini",
		entry:   `{"httpUrl":"https://x.example/mcp","headers":{"Authorization":"Bearer $TOKEN","X-Org":"${ORG}-eu"},"timeout":5000,"trust":false,"includeTools":["a"]}`,
		wrapped: `{"command":"/opt/safeclaw/bin/safeclaw","args":["mcp","--name","gh","--upstream","https://x.example/mcp","--header","Authorization: Bearer ${TOKEN}","--header","X-Org: ${ORG}-eu"],"timeout":5000,"trust":false,"includeTools":["a"]}`,
		back:    `{"httpUrl":"https://x.example/mcp","headers":{"Authorization":"Bearer ${TOKEN}","X-Org":"${ORG}-eu"},"timeout":5000,"trust":false,"includeTools":["a"]}`,
	},
	{
		name: "gemini-typed", agent: "gemini",
		entry:   `{"type":"http","url":"https://x.example/mcp","headers":{"X-Key":"${KEY}"}}`,
		wrapped: `{"type":"stdio","command":"/opt/safeclaw/bin/safeclaw","args":["mcp","--name","gh","--upstream","https://x.example/mcp","--header","X-Key: ${KEY}"]}`,
	},
	{name: "gemini-sse", agent: "gemini", entry: `{"type":"sse","url":"https://x.example/mcp"}`, status: "not wrapped: an SSE server"},
	{name: "gemini-untyped-url", agent: "gemini", entry: `{"url":"https://x.example/mcp"}`, status: `that Gemini CLI may reach over SSE (a url without "type"); if it speaks streamable HTTP, add "type": "http" and install again`},
	{name: "gemini-both", agent: "gemini", entry: `{"httpUrl":"https://x.example/mcp","type":"http"}`, status: "with httpUrl and also url or type"},
	{name: "gemini-adc", agent: "gemini", entry: `{"httpUrl":"https://x.example/mcp","authProviderType":"google_credentials"}`, status: `("authProviderType")`},
	{name: "gemini-digit-var", agent: "gemini", entry: `{"httpUrl":"https://x.example/mcp","headers":{"A":"$1x"}}`, status: "refers to $1x"},

	// Cursor: url is either transport; ${env:VAR} is expanded.
	{
		name: "cursor-url", agent: "cursor",
		entry:   `{"url":"https://x.example/mcp","headers":{"Authorization":"Bearer ${env:USERJOT_TOKEN}"}}`,
		wrapped: `{"command":"/opt/safeclaw/bin/safeclaw","args":["mcp","--name","gh","--upstream","https://x.example/mcp","--header","Authorization: Bearer ${USERJOT_TOKEN}"]}`,
	},
	{name: "cursor-sse-path", agent: "cursor", entry: `{"url":"http://localhost:8000/sse/?x=1"}`, status: "not wrapped: an SSE server by its path (http://localhost:8000/sse/?x=1)"},
	{name: "cursor-sse-type", agent: "cursor", entry: `{"type":"sse","url":"http://localhost:8000/events"}`, status: "not wrapped: an SSE server"},
	{name: "cursor-typed", agent: "cursor", entry: `{"type":"http","url":"http://localhost:8000/mcp"}`, status: `safeclaw rewrites Cursor's url entries without "type"`},
	{name: "cursor-workspace", agent: "cursor", entry: `{"url":"https://x.example/mcp","headers":{"X-Dir":"${workspaceFolder}"}}`, status: "not wrapped: header X-Dir: refers to ${workspaceFolder}, which safeclaw cannot expand"},
	{name: "cursor-plain-var", agent: "cursor", entry: `{"url":"https://x.example/mcp","headers":{"X-A":"${TOKEN}"}}`, status: "refers to ${TOKEN}, which safeclaw cannot expand"},
	{name: "cursor-auth", agent: "cursor", entry: `{"url":"https://x.example/mcp","auth":{"CLIENT_ID":"c"}}`, status: `("auth")`},

	// Entries already running safeclaw mcp.
	{name: "already", agent: "claude", entry: `{"type":"stdio","command":"/opt/safeclaw/bin/safeclaw","args":["mcp","--name","gh","--upstream","https://x.example/mcp"]}`, status: "already wrapped", back: `{"type":"http","url":"https://x.example/mcp"}`},
	{
		name: "other-safeclaw", agent: "gemini",
		entry:   `{"command":"/usr/local/bin/safeclaw","args":["mcp","--name","gh","--upstream","https://x.example/mcp","--header","A: ${B}"]}`,
		wrapped: `{"command":"/opt/safeclaw/bin/safeclaw","args":["mcp","--name","gh","--upstream","https://x.example/mcp","--header","A: ${B}"]}`,
		status:  "wrapped (safeclaw's path updated)",
		back:    `{"httpUrl":"https://x.example/mcp","headers":{"A":"${B}"}}`,
	},
	{
		name: "by-hand", agent: "cursor",
		entry:   `{"command":"safeclaw","args":["mcp","--policy","/etc/p.yaml","--upstream=https://x.example/mcp","-header","A: $B"],"env":{}}`,
		wrapped: `{"command":"/opt/safeclaw/bin/safeclaw","args":["mcp","--policy","/etc/p.yaml","--upstream=https://x.example/mcp","-header","A: $B"],"env":{}}`,
		status:  "wrapped (safeclaw's path updated)",
		back:    `{"url":"https://x.example/mcp","headers":{"A":"${env:B}"},"env":{}}`,
	},
	{name: "listen", agent: "claude", entry: `{"command":"safeclaw","args":["mcp","--listen","127.0.0.1:9","--upstream","https://x.example/mcp"]}`, status: "not wrapped: runs safeclaw mcp --listen 127.0.0.1:9 --upstream https://x.example/mcp already"},
}

func TestMCPInstallRemoteJSON(t *testing.T) {
	for _, tc := range remoteCases {
		t.Run(tc.name, func(t *testing.T) {
			in := []byte(`{"mcpServers":{"gh":` + tc.entry + `}}`)
			out, changes, err := editMCPServers(in, tc.agent, fakeBinary, false)
			if err != nil {
				t.Fatal(err)
			}
			if len(changes) != 1 {
				t.Fatalf("changes %+v", changes)
			}
			if !strings.Contains(changes[0].status, tc.status) {
				t.Errorf("status %q, want it to contain %q", changes[0].status, tc.status)
			}
			got := compactEntry(t, out)
			want := tc.wrapped
			if want == "" {
				want = compactEntry(t, in)
			}
			if got != want {
				t.Errorf("installed:\n%s\nwant:\n%s", got, want)
			}
			again, _, err := editMCPServers(out, tc.agent, fakeBinary, false)
			if err != nil || string(again) != string(out) {
				t.Errorf("second install changed the file (%v):\n%s", err, again)
			}
			back, _, err := editMCPServers(out, tc.agent, fakeBinary, true)
			if err != nil {
				t.Fatal(err)
			}
			wantBack := tc.back
			if wantBack == "" {
				wantBack = compactEntry(t, in)
			}
			if got := compactEntry(t, back); got != wantBack {
				t.Errorf("uninstalled:\n%s\nwant:\n%s", got, wantBack)
			}
			if again, _, err := editMCPServers(back, tc.agent, fakeBinary, true); err != nil || string(again) != string(back) {
				t.Errorf("second uninstall changed the file (%v):\n%s", err, again)
			}
		})
	}
}

// compactEntry is the "gh" server entry of settings, as compact JSON in
// its own key order.
func compactEntry(t *testing.T, settings []byte) string {
	t.Helper()
	root, err := jsonobj.Parse(settings)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := root.Get("mcpServers")
	servers, err := jsonobj.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	entry, _ := servers.Get("gh")
	var b bytes.Buffer
	if err := json.Compact(&b, entry); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestSplitAgentValue(t *testing.T) {
	for _, tc := range []struct {
		agent, in, safeclaw, back, err string
	}{
		{agent: "claude", in: "Bearer ${T}", safeclaw: "Bearer ${T}", back: "Bearer ${T}"},
		{agent: "claude", in: "${A}${B_2}x", safeclaw: "${A}${B_2}x", back: "${A}${B_2}x"},
		{agent: "claude", in: "$T", err: "would read as an environment variable"},
		{agent: "claude", in: "a${", err: "would read"},
		{agent: "claude", in: "${a b}", err: "refers to ${a b}"},
		{agent: "claude", in: "x$", safeclaw: "x$", back: "x$"},
		{agent: "gemini", in: "$T/${U}", safeclaw: "${T}/${U}", back: "${T}/${U}"},
		{agent: "gemini", in: "$ x", safeclaw: "$ x", back: "$ x"},
		{agent: "gemini", in: "${env:T}", err: "refers to ${env:T}"},
		{agent: "cursor", in: "${env:T}:${env:U}", safeclaw: "${T}:${U}", back: "${env:T}:${env:U}"},
		{agent: "cursor", in: "${userHome}", err: "refers to ${userHome}"},
		{agent: "cursor", in: "$T", err: "would read"},
	} {
		parts, err := splitAgentValue(tc.agent, tc.in)
		var got string
		if err == nil {
			got, err = safeclawValue(parts)
		}
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s %q: %q, %v; want error %q", tc.agent, tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.safeclaw {
			t.Errorf("%s %q: %q, %v; want %q", tc.agent, tc.in, got, err, tc.safeclaw)
			continue
		}
		if b := agentValue(tc.agent, got); b != tc.back {
			t.Errorf("%s %q: back %q, want %q", tc.agent, tc.in, b, tc.back)
		}
	}
}

func TestInstallMCPRemoteNote(t *testing.T) {
	e := testEnv(t)
	path := filepath.Join(e.Cwd, ".mcp.json")
	orig := `{"mcpServers":{"api":{"type":"http","url":"https://mcp.example.com/mcp","headers":{"Authorization":"Bearer ${API_TOKEN}"}},"sse":{"type":"sse","url":"https://mcp.example.com/sse"}}}`
	writeFile(t, path, orig, 0o644)
	code, out, errOut := run(t, e, "", "install", "claude", "--project", "--mcp", "--dry-run", "--binary", fakeBinary)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"mcpServers.api: wrapped: safeclaw mcp --name api --upstream https://mcp.example.com/mcp (headers: Authorization)",
		"mcpServers.sse: not wrapped: an SSE server",
		`+    "--header",`, `+    "Authorization: Bearer ${API_TOKEN}"`, `-  "type": "http",`, `+  "type": "stdio",`,
		"note: safeclaw now connects to the wrapped remote servers itself",
		"is now also on safeclaw's command line",
		"Claude Code may expand ${VAR} in an entry's args itself",
		"safeclaw does not sign in with OAuth",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run lacks %q:\n%s", want, out)
		}
	}
	if got, _ := os.ReadFile(path); string(got) != orig {
		t.Fatalf("dry run wrote the file:\n%s", got)
	}
	if code, out, errOut := run(t, e, "", "install", "claude", "--project", "--mcp", "--binary", fakeBinary); code != 0 || !strings.Contains(out, "backup: ") {
		t.Fatalf("install: exit %d\n%s%s", code, out, errOut)
	}
	// Nothing newly wrapped: no note.
	if code, out, _ := run(t, e, "", "install", "claude", "--project", "--mcp", "--binary", fakeBinary); code != 0 || strings.Contains(out, "note: safeclaw now connects") || !strings.Contains(out, "mcpServers.api: already wrapped") {
		t.Errorf("second install: exit %d\n%s", code, out)
	}
	if code, out, _ := run(t, e, "", "uninstall", "claude", "--project", "--mcp"); code != 0 || !strings.Contains(out, "mcpServers.api: unwrapped: remote server https://mcp.example.com/mcp") {
		t.Errorf("uninstall: exit %d\n%s", code, out)
	}
	if got, _ := os.ReadFile(path); !sameJSONText(t, got, []byte(orig)) {
		t.Errorf("not restored:\n%s", got)
	}
}

// FuzzSplitAgentValue: a header value safeclaw accepts expands, in
// safeclaw, to what the agent would have sent, and written back for the
// agent it reads the same again.
func FuzzSplitAgentValue(f *testing.F) {
	for _, s := range []string{"Bearer ${T}", "$T/${U}", "${env:T}x", "a$ b$", "${T:-d}", "$$", "${}", "${env:}", "x${A}${B}y$"} {
		for _, agent := range []string{"claude", "gemini", "cursor"} {
			f.Add(agent, s)
		}
	}
	f.Fuzz(func(t *testing.T, agent, v string) {
		parts, err := splitAgentValue(agent, v)
		if err != nil {
			return
		}
		sv, err := safeclawValue(parts)
		if err != nil {
			return
		}
		env := func(name string) string { return "<" + name + ">" }
		var want strings.Builder
		for _, p := range parts {
			if p.env != "" {
				want.WriteString(env(p.env))
			} else {
				want.WriteString(p.lit)
			}
		}
		if got := os.Expand(sv, env); got != want.String() {
			t.Fatalf("%s %q: safeclaw expands %q to %q, the agent to %q", agent, v, sv, got, want.String())
		}
		back := agentValue(agent, sv)
		parts2, err := splitAgentValue(agent, back)
		if err != nil {
			t.Fatalf("%s %q: written back as %q: %v", agent, v, back, err)
		}
		if sv2, err := safeclawValue(parts2); err != nil || sv2 != sv {
			t.Fatalf("%s %q: written back as %q, read as %q (%v), want %q", agent, v, back, sv2, err, sv)
		}
	})
}

// FuzzMCPInstallJSON: on any server entry, install either fails or gives
// settings that a second install leaves alone, whose uninstall a second
// uninstall leaves alone, and which an install and uninstall cycle then
// gives back.
func FuzzMCPInstallJSON(f *testing.F) {
	for i, tc := range remoteCases {
		f.Add(i%3, tc.entry)
	}
	f.Add(0, `{"command":"npx","args":["-y","srv"],"env":{"A":"1"}}`)
	f.Fuzz(func(t *testing.T, agent int, entry string) {
		name := []string{"claude", "gemini", "cursor"}[(agent%3+3)%3]
		in := []byte(`{"mcpServers":{"gh":` + entry + `}}`)
		if !json.Valid(in) {
			return
		}
		compact := func(b []byte) string {
			var c bytes.Buffer
			if err := json.Compact(&c, b); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, b)
			}
			return c.String()
		}
		out, _, err := editMCPServers(in, name, fakeBinary, false)
		if err != nil {
			return
		}
		if again, _, err := editMCPServers(out, name, fakeBinary, false); err != nil || compact(again) != compact(out) {
			t.Fatalf("%s: second install changed %s to %s (%v)", name, out, again, err)
		}
		back, _, err := editMCPServers(out, name, fakeBinary, true)
		if err != nil {
			t.Fatalf("%s: uninstall: %v", name, err)
		}
		if again, _, err := editMCPServers(back, name, fakeBinary, true); err != nil || compact(again) != compact(back) {
			t.Fatalf("%s: second uninstall changed %s to %s (%v)", name, back, again, err)
		}
		// A wrapper written by hand loses its own flags on uninstall; after
		// one uninstall the cycle changes nothing.
		re, _, err := editMCPServers(back, name, fakeBinary, false)
		if err != nil {
			t.Fatalf("%s: install after uninstall: %v", name, err)
		}
		back2, _, err := editMCPServers(re, name, fakeBinary, true)
		if err != nil || compact(back2) != compact(back) {
			t.Fatalf("%s: uninstall after a cycle gives %s, want %s (%v)", name, back2, back, err)
		}
		if re2, _, err := editMCPServers(back2, name, fakeBinary, false); err != nil || compact(re2) != compact(re) {
			t.Fatalf("%s: install after a cycle gives %s, want %s (%v)", name, re2, re, err)
		}
	})
}
