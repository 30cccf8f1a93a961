package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/safeclaw/safeclaw/hook"
)

// Installing then uninstalling gives the person's file back byte for byte,
// and the installed file keeps their layout: line ends, indentation, one-line
// objects, key order, other tools' hooks.
func TestInstallKeepsTheFilesLayout(t *testing.T) {
	cases := []struct {
		name, agent, file, orig string
		keep                    []string // byte strings the installed file still holds
	}{
		{"crlf four spaces", "claude", ".claude/settings.json",
			"{\r\n    \"zeta\": 1,\r\n    \"alpha\": {\"b\": 2, \"a\": 1}\r\n}\r\n",
			[]string{"{\r\n    \"zeta\": 1,\r\n    \"alpha\": {\"b\": 2, \"a\": 1},\r\n    \"hooks\": {\r\n        \"PreToolUse\": [\r\n            {\r\n"}},
		{"tabs and other hooks", "claude", ".claude/settings.json",
			"{\n\t\"model\": \"opus\",\n\t\"hooks\": {\n\t\t\"Stop\": [{\"hooks\": [{\"type\": \"command\", \"command\": \"notify\"}]}]\n\t},\n\t\"env\": {\"A\": \"1\"}\n}\n",
			[]string{"\t\t\"Stop\": [{\"hooks\": [{\"type\": \"command\", \"command\": \"notify\"}]}],\n\t\t\"PreToolUse\": [\n\t\t\t{\n", "\n\t},\n\t\"env\": {\"A\": \"1\"}\n}\n"}},
		{"one-line list", "cursor", ".cursor/hooks.json",
			"{\n  \"version\": 1,\n  \"hooks\": {\n    \"beforeShellExecution\": [{\"command\": \"audit\"}]\n  }\n}\n",
			[]string{"\"beforeShellExecution\": [{\"command\": \"audit\"}, {\"command\":"}},
		{"gemini", "gemini", ".gemini/settings.json",
			"{\n    \"theme\": \"Dracula\",\n    \"hooks\": {\n        \"BeforeTool\": [\n            {\"matcher\": \"x\", \"hooks\": [{\"type\": \"command\", \"command\": \"audit\"}]}\n        ]\n    }\n}",
			[]string{"            {\"matcher\": \"x\", \"hooks\": [{\"type\": \"command\", \"command\": \"audit\"}]},\n            {\n                \"matcher\": \".*\",\n"}},
		{"codex", "codex", ".codex/hooks.json",
			"{\n    \"hooks\": {\n        \"SessionStart\": [{\"hooks\": [{\"type\": \"command\", \"command\": \"x\"}]}]\n    }\n}\n", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := testEnv(t)
			path := filepath.Join(e.Home, c.file)
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(c.orig), 0o644); err != nil {
				t.Fatal(err)
			}
			if code, _, errOut := run(t, e, "", "install", c.agent, "--binary", fakeBinary); code != 0 {
				t.Fatalf("install: exit %d: %s", code, errOut)
			}
			got, _ := os.ReadFile(path)
			if !json.Valid(got) || !bytes.Contains(got, []byte(fakeBinary)) {
				t.Fatalf("installed file:\n%s", got)
			}
			for _, k := range c.keep {
				if !bytes.Contains(got, []byte(k)) {
					t.Errorf("installed file lost the layout %q:\n%s", k, got)
				}
			}
			if strings.Contains(c.orig, "\r\n") && bytes.Count(got, []byte("\n")) != bytes.Count(got, []byte("\r\n")) {
				t.Errorf("mixed line ends:\n%q", got)
			}
			if code, _, errOut := run(t, e, "", "uninstall", c.agent, "--binary", fakeBinary); code != 0 {
				t.Fatalf("uninstall: exit %d: %s", code, errOut)
			}
			if back, _ := os.ReadFile(path); string(back) != c.orig {
				t.Errorf("install then uninstall:\n%q\nwant\n%q", back, c.orig)
			}
		})
	}
}

// A key twice in one object is refused: the agent reads the last one, and
// an edit would drop the other, which may be another tool's hooks.
func TestInstallRefusesDuplicateKeys(t *testing.T) {
	e := testEnv(t)
	path := filepath.Join(e.Home, ".claude", "settings.json")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	orig := `{"hooks":{"PreToolUse":[{"matcher":"*","hooks":[{"type":"command","command":"audit-tool"}]}],"PreToolUse":[]}}`
	if err := os.WriteFile(path, []byte(orig), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := run(t, e, "", "install", "claude", "--binary", fakeBinary)
	if code == 0 || !strings.Contains(errOut, `"PreToolUse" twice`) {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	if got, _ := os.ReadFile(path); string(got) != orig {
		t.Errorf("file changed:\n%s", got)
	}
}

func TestDuplicateKey(t *testing.T) {
	for in, want := range map[string]string{
		`{"a":1,"b":{"a":2}}`:              "",
		`{"a":1,"a":2}`:                    "a",
		`{"a":[{"x":1},{"x":2}]}`:          "",
		`{"a":[{"x":1,"y":{},"x":2}]}`:     "x",
		`{"a":{"b":{}},"c":{"b":1,"b":2}}`: "b",
		`{"a":1`:                           "",
	} {
		if got, _ := hook.DuplicateKey([]byte(in)); got != want {
			t.Errorf("DuplicateKey(%s) = %q, want %q", in, got, want)
		}
	}
}
