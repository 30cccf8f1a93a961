package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUninstallGivesBackWhatInstallFound: uninstall turned a user's empty
// "hooks": {} (or "PreToolUse": []) into nothing, counting it as one the
// edit had emptied, and left Cursor's "version": 1 that install had added.
// Install then uninstall gives the file back byte for byte, whatever its
// layout, and removes the record install kept beside it.
func TestUninstallGivesBackWhatInstallFound(t *testing.T) {
	files := []string{
		`{"hooks": {}}`,
		"{\"hooks\": {}}\n",
		"{\n  \"model\": \"opus\",\n  \"hooks\": {}\n}\n",
		"{\r\n\t\"hooks\": {\r\n\t\t\"PreToolUse\": []\r\n\t}\r\n}\r\n",
		`{"hooks":{"beforeShellExecution":[],"BeforeTool":[]}}`,
		"{\n  \"version\": 1,\n  \"hooks\": {}\n}\n",
		"{\n  \"version\": 1\n}\n",
		"{\n  \"hooks\": {\n    \"stop\": [{\"command\": \"notify-send done\"}]\n  }\n}\n",
		`{}`,
		"{\n}\n",
	}
	for _, agent := range []string{"claude", "codex", "gemini", "cursor"} {
		for _, orig := range files {
			e := testEnv(t)
			path := filepath.Join(e.Home, "settings.json")
			if err := os.WriteFile(path, []byte(orig), 0o600); err != nil {
				t.Fatal(err)
			}
			if code, _, errOut := run(t, e, "", "install", agent, "--settings", path, "--binary", fakeBinary); code != 0 {
				t.Fatalf("%s %q: install: exit %d: %s", agent, orig, code, errOut)
			}
			installed, _ := os.ReadFile(path)
			if agent == "cursor" && !strings.Contains(string(installed), `"version"`) {
				t.Errorf("cursor install has no version:\n%s", installed)
			}
			if code, _, errOut := run(t, e, "", "uninstall", agent, "--settings", path, "--binary", fakeBinary); code != 0 {
				t.Fatalf("%s %q: uninstall: exit %d: %s", agent, orig, code, errOut)
			}
			if got, _ := os.ReadFile(path); string(got) != orig {
				t.Errorf("%s: install then uninstall of %q gave %q", agent, orig, got)
			}
			if _, err := os.Stat(foundPath(path)); err == nil {
				t.Errorf("%s %q: uninstall left %s", agent, orig, foundPath(path))
			}
		}
	}
}

// TestInstallAgainKeepsAskMode: `safeclaw install claude` over an install
// made with --ask wait silently turned the waiting off. Installing again
// keeps the installed hook's options, says so, and --ask changes them.
func TestInstallAgainKeepsAskMode(t *testing.T) {
	for _, agent := range []string{"claude", "codex", "gemini", "cursor"} {
		e := testEnv(t)
		path := filepath.Join(e.Home, "settings.json")
		inst := func(args ...string) (string, string) {
			t.Helper()
			code, out, errOut := run(t, e, "", append([]string{"install", agent, "--settings", path, "--binary", fakeBinary}, args...)...)
			if code != 0 {
				t.Fatalf("%s %v: exit %d: %s", agent, args, code, errOut)
			}
			data, _ := os.ReadFile(path)
			return out, string(data)
		}
		_, first := inst("--ask", "wait")
		if !strings.Contains(first, "--ask") || !strings.Contains(first, "wait") {
			t.Fatalf("%s: --ask wait not installed:\n%s", agent, first)
		}
		out, again := inst()
		if again != first {
			t.Errorf("%s: install without --ask changed the hook:\n%s\nwas\n%s", agent, again, first)
		}
		if !strings.Contains(out, "kept the installed hook's options: --ask wait") {
			t.Errorf("%s: output does not say the options were kept:\n%s", agent, out)
		}
		_, deny := inst("--ask", "deny")
		if !strings.Contains(deny, "deny") || strings.Contains(deny, "wait") {
			t.Errorf("%s: --ask deny did not replace wait:\n%s", agent, deny)
		}
		out, def := inst("--ask", "default")
		if strings.Contains(def, "--ask") || strings.Contains(out, "kept") {
			t.Errorf("%s: --ask default kept an ask mode:\n%s\n%s", agent, def, out)
		}
	}
}

func TestHookOptions(t *testing.T) {
	for _, c := range []struct {
		words         []string
		askGiven      bool
		kept, dropped string
	}{
		{[]string{"--ask", "wait"}, false, "--ask wait", ""},
		// A --policy or --timeout in settings may have been planted by a
		// cloned project: a re-install does not carry them over.
		{[]string{"--ask=wait", "--run", "--timeout", "30s", "--policy", "/p/x.yaml"}, false, "--ask wait --run", "--timeout 30s --policy /p/x.yaml"},
		{[]string{"--policy=/tmp/allow-all.yaml"}, false, "", "--policy=/tmp/allow-all.yaml"},
		{[]string{"--ask", "wait", "--run"}, true, "--run", ""},
		{[]string{"--ask", "bogus", "extra", "--fancy"}, false, "", "--ask bogus extra --fancy"},
		{[]string{"--ask"}, false, "", "--ask"},
	} {
		kept, dropped := hookOptions(c.words, c.askGiven)
		if strings.Join(kept, " ") != c.kept || strings.Join(dropped, " ") != c.dropped {
			t.Errorf("%q (ask given %v): kept %q dropped %q, want %q %q", c.words, c.askGiven, kept, dropped, c.kept, c.dropped)
		}
	}
}

// TestInstallRefusesReadOnlySettings: a settings file made read-only was
// replaced (keeping its mode 0444) without a word. Install, uninstall and
// install --mcp refuse it, exit 2 with a hint, and leave it as it is.
func TestInstallRefusesReadOnlySettings(t *testing.T) {
	e := testEnv(t)
	path := filepath.Join(e.Home, "settings.json")
	orig := "{\n  \"model\": \"opus\"\n}\n"
	if err := os.WriteFile(path, []byte(orig), 0o444); err != nil {
		t.Fatal(err)
	}
	check := func(what string, args []string, want string) {
		t.Helper()
		code, _, errOut := run(t, e, "", args...)
		if code != exitUsage || !strings.Contains(errOut, "is read-only (mode 0444)") || !strings.Contains(errOut, "chmod u+w "+path) {
			t.Errorf("%s: exit %d\n%s", what, code, errOut)
		}
		if got, _ := os.ReadFile(path); string(got) != want {
			t.Errorf("%s changed the file:\n%s", what, got)
		}
		if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o444 {
			t.Errorf("%s: mode %v", what, fi.Mode().Perm())
		}
		if b, _ := filepath.Glob(path + ".safeclaw-backup-*"); len(b) != 0 && what == "install" {
			t.Errorf("%s wrote backups %v", what, b)
		}
	}
	check("install", []string{"install", "claude", "--settings", path, "--binary", fakeBinary}, orig)

	// Installed, then made read-only: uninstall refuses too.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := run(t, e, "", "install", "claude", "--settings", path, "--binary", fakeBinary); code != 0 {
		t.Fatalf("install: %d %s", code, errOut)
	}
	installed, _ := os.ReadFile(path)
	if err := os.Chmod(path, 0o444); err != nil {
		t.Fatal(err)
	}
	check("uninstall", []string{"uninstall", "claude", "--settings", path, "--binary", fakeBinary}, string(installed))

	// Already installed: nothing to write, nothing refused.
	if code, out, _ := run(t, e, "", "install", "claude", "--settings", path, "--binary", fakeBinary); code != 0 || !strings.Contains(out, "already installed") {
		t.Errorf("install over a read-only file that needs no change: %d %s", code, out)
	}

	mcp := filepath.Join(e.Home, "mcp.json")
	mcpOrig := "{\n  \"mcpServers\": {\n    \"db\": {\"command\": \"uvx\", \"args\": [\"mcp-db\"]}\n  }\n}\n"
	if err := os.WriteFile(mcp, []byte(mcpOrig), 0o444); err != nil {
		t.Fatal(err)
	}
	path = mcp
	check("install --mcp", []string{"install", "cursor", "--mcp", "--settings", mcp, "--binary", fakeBinary}, mcpOrig)
}

// TestInstallMCPKeepsLayout: install --mcp rendered the whole file anew
// (two-space indentation, LF), so uninstall --mcp did not give it back.
// Members it does not change keep their bytes, and install then uninstall
// gives the file back byte for byte.
func TestInstallMCPKeepsLayout(t *testing.T) {
	for _, orig := range []string{
		"{\r\n\t\"theme\": \"dark\",  \"tips\": [1, 2],\r\n\t\"mcpServers\": {\r\n\t\t\"db\": {\r\n\t\t\t\"command\": \"uvx\",\r\n\t\t\t\"args\": [\"mcp-db\", \"--ro\"]\r\n\t\t}\r\n\t}\r\n}\r\n",
		`{"mcpServers": {"db": {"command": "uvx", "args": ["mcp-db"]}}, "x": {"a":1}}`,
		"{\n    \"projects\": {\"/p\": {\"mcpServers\": {\"s\": {\"command\": \"node\", \"args\": [\"s.js\"], \"env\": {\"K\": \"v\"}}}}},\n    \"mcpServers\": {}\n}\n",
	} {
		e := testEnv(t)
		path := filepath.Join(e.Home, "mcp.json")
		if err := os.WriteFile(path, []byte(orig), 0o600); err != nil {
			t.Fatal(err)
		}
		if code, _, errOut := run(t, e, "", "install", "claude", "--mcp", "--settings", path, "--binary", fakeBinary); code != 0 {
			t.Fatalf("install: exit %d: %s", code, errOut)
		}
		wrapped, _ := os.ReadFile(path)
		if !strings.Contains(string(wrapped), fakeBinary) {
			t.Fatalf("not wrapped:\n%s", wrapped)
		}
		if strings.Contains(orig, "\"theme\": \"dark\",  \"tips\": [1, 2],\r\n") && !strings.Contains(string(wrapped), "\"theme\": \"dark\",  \"tips\": [1, 2],\r\n") {
			t.Errorf("install did not keep the members it does not change:\n%q", wrapped)
		}
		if code, _, errOut := run(t, e, "", "uninstall", "claude", "--mcp", "--settings", path, "--binary", fakeBinary); code != 0 {
			t.Fatalf("uninstall: exit %d: %s", code, errOut)
		}
		if got, _ := os.ReadFile(path); string(got) != orig {
			t.Errorf("install --mcp then uninstall of\n%q\ngave\n%q", orig, got)
		}
	}
}
