package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
	for _, want := range []string{"mcpServers.github: wrapped", "mcpServers.remote: not wrapped: a remote server (https://mcp.example.com/mcp)", "projects./home/u/proj.mcpServers.db server: wrapped", "backup: "} {
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
	if r := servers["remote"]; r.Command != "" || r.URL != "https://mcp.example.com/mcp" {
		t.Errorf("remote entry changed: %+v", r)
	}
	if db := proj["/home/u/proj"]["db server"]; db.Command != fakeBinary || strings.Join(db.Args, " ") != "mcp --name db-server -- uvx mcp-db --ro" {
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
	if code != 0 || !strings.Contains(out, "mcpServers.github: unwrapped: runs npx -y @modelcontextprotocol/server-github") {
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
	for _, want := range []string{"--- " + path, "@@ mcpServers.fs @@", `-  "command": "node",`, `+  "command": "` + fakeBinary + `",`, "mcpServers.sse: not wrapped", "mcpServers.h: not wrapped"} {
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
	out, _, err := editMCPServers([]byte(in), fakeBinary, false)
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	if !(strings.Index(s, `"type"`) < strings.Index(s, `"command"`) && strings.Index(s, `"command"`) < strings.Index(s, `"env"`) && strings.Index(s, `"env"`) < strings.Index(s, `"args"`)) {
		t.Errorf("key order changed:\n%s", s)
	}
	back, _, err := editMCPServers(out, fakeBinary, true)
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
