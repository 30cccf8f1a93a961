package cli

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"
	"github.com/rogpeppe/go-internal/txtar"
)

var updateCodexGolden = flag.Bool("update-codex-golden", false, "rewrite testdata/mcpinstall_codex/*.txtar with the current results")

// A golden case is a txtar archive: config.toml is the input; installed.toml
// and status are what install makes of it and says (or error, a part of the
// error it gives); uninstalled.toml, when there, is what uninstall makes of
// installed.toml (else the input, byte for byte). Cases named *crlf* are run
// with Windows line breaks, *no-newline* without the last line break.
func TestCodexMCPGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "mcpinstall_codex", "*.txtar"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".txtar")
		t.Run(name, func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			parts := map[string][]byte{}
			for _, f := range ar.Files {
				parts[f.Name] = f.Data
			}
			toFile, fromFile := codexCaseForm(name)
			in := toFile(parts["config.toml"])

			out, changes, err := editCodexMCPServers(in, fakeBinary, false)
			if want, ok := parts["error"]; ok {
				if err == nil || !strings.Contains(err.Error(), strings.TrimSpace(string(want))) {
					t.Fatalf("error %v, want one containing %q", err, strings.TrimSpace(string(want)))
				}
				if out != nil {
					t.Errorf("output on error:\n%s", out)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var status strings.Builder
			for _, c := range changes {
				status.WriteString(c.where + ": " + c.status + "\n")
			}
			installed := fromFile(t, out)
			if *updateCodexGolden {
				setTxtarFile(ar, "installed.toml", installed)
				setTxtarFile(ar, "status", []byte(status.String()))
				if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if got, want := string(installed), string(parts["installed.toml"]); got != want {
				t.Errorf("installed:\n%s\nwant:\n%s", got, want)
			}
			if got, want := status.String(), string(parts["status"]); got != want {
				t.Errorf("status:\n%s\nwant:\n%s", got, want)
			}
			checkCodexRewrite(t, in, out)
		})
	}
}

// codexCaseForm returns how a case's config.toml becomes the file's bytes,
// and back.
func codexCaseForm(name string) (to func([]byte) []byte, from func(*testing.T, []byte) []byte) {
	crlf, noNewline := strings.Contains(name, "crlf"), strings.Contains(name, "no-newline")
	to = func(b []byte) []byte {
		if noNewline {
			b = bytes.TrimSuffix(b, []byte("\n"))
		}
		if crlf {
			b = bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n"))
		}
		return b
	}
	from = func(t *testing.T, b []byte) []byte {
		t.Helper()
		if crlf {
			if bytes.Count(b, []byte("\n")) != bytes.Count(b, []byte("\r\n")) {
				t.Errorf("a bare line break in a CRLF file:\n%q", b)
			}
			b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
		}
		if noNewline {
			if bytes.HasSuffix(b, []byte("\n")) {
				t.Errorf("a line break added at the end:\n%q", b)
			}
			b = append(append([]byte(nil), b...), '\n')
		}
		return b
	}
	return to, from
}

func setTxtarFile(ar *txtar.Archive, name string, data []byte) {
	for i, f := range ar.Files {
		if f.Name == name {
			ar.Files[i].Data = data
			return
		}
	}
	ar.Files = append(ar.Files, txtar.File{Name: name, Data: data})
}

// checkCodexRewrite checks what holds for every successful install: the
// output is TOML, installing again changes nothing, and uninstalling the
// output gives what uninstalling the input gives (the input itself when it
// had nothing wrapped).
func checkCodexRewrite(t *testing.T, in, out []byte) {
	t.Helper()
	var v map[string]any
	if err := toml.Unmarshal(out, &v); err != nil {
		t.Fatalf("output is not TOML: %v\n%s", err, out)
	}
	again, _, err := editCodexMCPServers(out, fakeBinary, false)
	if err != nil || !bytes.Equal(again, out) {
		t.Errorf("second install changed the file (%v):\n%s", err, again)
	}
	back, _, err := editCodexMCPServers(out, fakeBinary, true)
	if err != nil {
		t.Fatalf("uninstall: %v", err)
	}
	orig, _, err := editCodexMCPServers(in, fakeBinary, true)
	if err != nil {
		t.Fatalf("uninstall of the input: %v", err)
	}
	if !bytes.Equal(back, orig) {
		t.Errorf("uninstall(install(x)) != uninstall(x):\n%s\nwant:\n%s", back, orig)
	}
	if again, _, err := editCodexMCPServers(back, fakeBinary, true); err != nil || !bytes.Equal(again, back) {
		t.Errorf("second uninstall changed the file (%v):\n%s", err, again)
	}
}

func TestCodexMCPUninstallRestoresInput(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "mcpinstall_codex", "*.txtar"))
	for _, file := range files {
		ar, err := txtar.ParseFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var in, installed, uninstalled []byte
		for _, f := range ar.Files {
			switch f.Name {
			case "config.toml":
				in = f.Data
			case "installed.toml":
				installed = f.Data
			case "uninstalled.toml":
				uninstalled = f.Data
			}
		}
		if installed == nil {
			continue
		}
		want := in
		if uninstalled != nil {
			want = uninstalled
		}
		name := strings.TrimSuffix(filepath.Base(file), ".txtar")
		to, from := codexCaseForm(name)
		back, _, err := editCodexMCPServers(to(installed), fakeBinary, true)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got := from(t, back); !bytes.Equal(got, want) {
			t.Errorf("%s: uninstall gives\n%s\nwant\n%s", name, got, want)
		}
	}
}

func TestCodexMCPDecodedMeaning(t *testing.T) {
	in := `[mcp_servers.db]
command = "npx"
args = ["-y", '@foo/server', """--x"""]
env = { A = "1" }
[mcp_servers."my srv"]
command = 'C:\bin\srv'
`
	out, _, err := editCodexMCPServers([]byte(in), `/opt/safe "claw"/bin/safeclaw`, false)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		MCPServers map[string]struct {
			Command string
			Args    []string
			Env     map[string]string
		} `toml:"mcp_servers"`
	}
	if err := toml.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	db := got.MCPServers["db"]
	if db.Command != `/opt/safe "claw"/bin/safeclaw` || strings.Join(db.Args, " ") != "mcp --name db -- npx -y @foo/server --x" || db.Env["A"] != "1" {
		t.Errorf("db: %+v\n%s", db, out)
	}
	my := got.MCPServers["my srv"]
	if strings.Join(my.Args, "|") != `mcp|--name|my_srv|--|C:\bin\srv` {
		t.Errorf("my srv: %+v\n%s", my, out)
	}
}

func TestCodexMCPRefusesBadPath(t *testing.T) {
	_, _, err := editCodexMCPServers([]byte("[mcp_servers.a]\ncommand = \"x\"\n"), "/bin/\xffsafeclaw", false)
	if err == nil || !strings.Contains(err.Error(), "UTF-8") {
		t.Errorf("err %v", err)
	}
}

func TestTOMLString(t *testing.T) {
	for _, s := range []string{"", "plain", `q"uote`, `back\slash`, "tab\tnl\ncr\rdel\x7fnul\x00", "ünï ✓ 😀", `\u0041`} {
		var v struct{ K string }
		if err := toml.Unmarshal([]byte("K = "+tomlString(s)), &v); err != nil || v.K != s {
			t.Errorf("%q: %q, %v", s, v.K, err)
		}
	}
}

func TestInstallMCPCodex(t *testing.T) {
	e := testEnv(t)
	path := filepath.Join(e.Home, ".codex", "config.toml")
	orig := "model = \"o3\"\n\n[mcp_servers.db]\ncommand = \"npx\"\nargs = [\"-y\", \"@foo/server\"] # pinned\n\n[mcp_servers.remote]\nurl = \"https://mcp.example.com/mcp\"\nbearer_token_env_var = \"API_TOKEN\"\n"
	writeFile(t, path, orig, 0o640)

	code, out, errOut := run(t, e, "", "install", "codex", "--mcp", "--dry-run", "--binary", fakeBinary)
	if code != 0 {
		t.Fatalf("dry run: exit %d: %s", code, errOut)
	}
	for _, want := range []string{"--- " + path, "@@ mcp_servers.db @@", `-command = "npx"`, `+command = "` + fakeBinary + `"`, `+args = ["mcp", "--name", "db", "--", "npx", "-y", "@foo/server"] # pinned`,
		"mcp_servers.remote: wrapped: safeclaw mcp --name remote --upstream https://mcp.example.com/mcp (headers: Authorization)",
		"@@ mcp_servers.remote @@", `-url = "https://mcp.example.com/mcp"`, `+#safeclaw-original: url = "https://mcp.example.com/mcp"`,
		`+args = ["mcp", "--name", "remote", "--upstream", "https://mcp.example.com/mcp", "--header", "Authorization: Bearer ${API_TOKEN}"]`,
		"note: safeclaw now connects to the wrapped remote servers itself"} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run lacks %q:\n%s", want, out)
		}
	}
	if got, _ := os.ReadFile(path); string(got) != orig {
		t.Fatalf("dry run wrote the file:\n%s", got)
	}

	code, out, errOut = run(t, e, "", "install", "codex", "--mcp", "--binary", fakeBinary)
	if code != 0 || !strings.Contains(out, "mcp_servers.db: wrapped: safeclaw mcp --name db") || !strings.Contains(out, "backup: "+path+".safeclaw-backup-20261126T120000Z") {
		t.Fatalf("install: exit %d\n%s%s", code, out, errOut)
	}
	wrapped, _ := os.ReadFile(path)
	want := strings.Replace(strings.Replace(orig, `command = "npx"`, `command = "`+fakeBinary+`"`, 1), `args = ["-y"`, `args = ["mcp", "--name", "db", "--", "npx", "-y"`, 1)
	want = strings.Replace(want, "url = \"https://mcp.example.com/mcp\"\nbearer_token_env_var", "command = \""+fakeBinary+"\"\nargs = [\"mcp\", \"--name\", \"remote\", \"--upstream\", \"https://mcp.example.com/mcp\", \"--header\", \"Authorization: Bearer ${API_TOKEN}\"]\n#safeclaw-original: url = \"https://mcp.example.com/mcp\"\n#safeclaw-original: bearer_token_env_var", 1)
	if string(wrapped) != want {
		t.Errorf("wrapped:\n%s\nwant:\n%s", wrapped, want)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v", fi.Mode().Perm())
	}
	if b, _ := os.ReadFile(path + ".safeclaw-backup-20261126T120000Z"); string(b) != orig {
		t.Errorf("backup:\n%s", b)
	}

	code, out, _ = run(t, e, "", "install", "codex", "--mcp", "--binary", fakeBinary)
	if code != 0 || !strings.Contains(out, "mcp_servers.db: already wrapped") || strings.Contains(out, "backup:") {
		t.Errorf("second install: exit %d\n%s", code, out)
	}
	if again, _ := os.ReadFile(path); !bytes.Equal(again, wrapped) {
		t.Errorf("second install changed the file:\n%s", again)
	}

	code, out, errOut = run(t, e, "", "uninstall", "codex", "--mcp", "--binary", fakeBinary)
	if code != 0 || !strings.Contains(out, "mcp_servers.db: unwrapped: runs npx -y @foo/server") || !strings.Contains(out, "mcp_servers.remote: unwrapped: remote server https://mcp.example.com/mcp") {
		t.Fatalf("uninstall: exit %d\n%s%s", code, out, errOut)
	}
	if got, _ := os.ReadFile(path); string(got) != orig {
		t.Errorf("not restored byte for byte:\n%s", got)
	}
}

func TestInstallMCPCodexPaths(t *testing.T) {
	e := testEnv(t)
	codexHome := filepath.Join(t.TempDir(), "codex-home")
	env := map[string]string{"CODEX_HOME": codexHome}
	e.Getenv = func(k string) string { return env[k] }
	user := filepath.Join(codexHome, "config.toml")
	writeFile(t, user, "[mcp_servers.u]\ncommand = \"srv\"\n", 0o600)
	proj := filepath.Join(e.Cwd, ".codex", "config.toml")
	writeFile(t, proj, "[mcp_servers.p]\ncommand = \"srv\"\n", 0o600)

	if code, out, errOut := run(t, e, "", "install", "codex", "--mcp", "--binary", fakeBinary); code != 0 || !strings.Contains(out, user+": mcp_servers.u: wrapped") {
		t.Errorf("$CODEX_HOME: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := run(t, e, "", "install", "codex", "--project", "--mcp", "--binary", fakeBinary); code != 0 || !strings.Contains(out, proj+": mcp_servers.p: wrapped") {
		t.Errorf("--project: exit %d\n%s%s", code, out, errOut)
	}
	other := filepath.Join(t.TempDir(), "other.toml")
	writeFile(t, other, "[mcp_servers.o]\ncommand = \"srv\"\n", 0o600)
	if code, out, errOut := run(t, e, "", "install", "codex", "--settings", other, "--mcp", "--binary", fakeBinary); code != 0 || !strings.Contains(out, "mcp_servers.o: wrapped") {
		t.Errorf("--settings: exit %d\n%s%s", code, out, errOut)
	}
	// A new safeclaw path is taken up.
	if code, out, _ := run(t, e, "", "install", "codex", "--settings", other, "--mcp", "--binary", "/usr/bin/safeclaw"); code != 0 || !strings.Contains(out, "safeclaw's path updated") {
		t.Errorf("re-point: exit %d\n%s", code, out)
	}
	if got, _ := os.ReadFile(other); !strings.Contains(string(got), `command = "/usr/bin/safeclaw"`) {
		t.Errorf("not re-pointed:\n%s", got)
	}
}

func TestInstallMCPCodexBadFile(t *testing.T) {
	e := testEnv(t)
	path := filepath.Join(e.Home, ".codex", "config.toml")
	bad := "[mcp_servers.db]\ncommand = \"npx\"\nargs = [\"-y\"\n"
	writeFile(t, path, bad, 0o600)
	code, out, errOut := run(t, e, "", "install", "codex", "--mcp", "--binary", fakeBinary)
	if code == 0 || !strings.Contains(errOut, path+": line ") || !strings.Contains(errOut, "not changed") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
	if got, _ := os.ReadFile(path); string(got) != bad {
		t.Errorf("file changed:\n%s", got)
	}
	if m, _ := filepath.Glob(path + ".safeclaw-backup-*"); len(m) != 0 {
		t.Errorf("backup written: %v", m)
	}
	if code, out, _ := run(t, testEnv(t), "", "install", "codex", "--mcp", "--binary", fakeBinary); code != 0 || !strings.Contains(out, "no MCP server settings for codex") {
		t.Errorf("no file: exit %d\n%s", code, out)
	}
}

// FuzzCodexMCPEdit: on any input, install either fails or gives TOML that a
// second install leaves alone and that uninstalls to what the input
// uninstalls to (the input itself when nothing in it was wrapped).
func FuzzCodexMCPEdit(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "mcpinstall_codex", "*.txtar"))
	for _, file := range files {
		ar, err := txtar.ParseFile(file)
		if err != nil {
			f.Fatal(err)
		}
		for _, fl := range ar.Files {
			if strings.HasSuffix(fl.Name, ".toml") {
				f.Add(fl.Data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		out, _, err := editCodexMCPServers(data, fakeBinary, false)
		if err != nil {
			return
		}
		checkCodexRewrite(t, data, out)
	})
}

func TestInstallMCPBackupsDoNotCollide(t *testing.T) {
	e := testEnv(t)
	path := filepath.Join(e.Home, ".codex", "config.toml")
	orig := "[mcp_servers.db]\ncommand = \"npx\"\n"
	writeFile(t, path, orig, 0o600)
	for _, verb := range []string{"install", "uninstall"} {
		if code, out, errOut := run(t, e, "", verb, "codex", "--mcp", "--binary", fakeBinary); code != 0 {
			t.Fatalf("%s: exit %d\n%s%s", verb, code, out, errOut)
		}
	}
	first, _ := os.ReadFile(path + ".safeclaw-backup-20261126T120000Z")
	second, _ := os.ReadFile(path + ".safeclaw-backup-20261126T120000Z.1")
	if string(first) != orig || !strings.Contains(string(second), fakeBinary) {
		t.Errorf("backups:\n%s\n--\n%s", first, second)
	}
}

// TestCodexMCPGeneratedRoundTrip builds configs from the forms Codex users
// write (tables, dotted keys, inline tables; every string syntax; comments;
// CRLF) and checks the install/uninstall properties on each.
func TestCodexMCPGeneratedRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 1))
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	str := func() string {
		s := pick("npx", "-y", `a"b`, `C:\x\`, "ünï ✓", "", "--", "mcp", "safeclaw", "a b", "#", "'", "]", ",")
		switch rng.IntN(4) {
		case 0:
			if !strings.ContainsAny(s, "'") {
				return "'" + s + "'"
			}
		case 1:
			if !strings.Contains(s, "'''") && !strings.HasSuffix(s, "'") {
				return "'''" + pick("", "\n") + s + "'''"
			}
		case 2:
			return `"""` + strings.ReplaceAll(tomlString(s)[1:len(tomlString(s))-1], `"`, `\"`) + `"""`
		}
		return tomlString(s)
	}
	array := func() string {
		var b strings.Builder
		b.WriteString("[")
		n := rng.IntN(4)
		multi := rng.IntN(2) == 0
		for i := 0; i < n; i++ {
			if multi {
				b.WriteString(pick("\n  ", "\n", "\n  # c\n  "))
			} else if i > 0 {
				b.WriteString(pick(" ", "", "  "))
			}
			b.WriteString(str())
			if i < n-1 || rng.IntN(3) == 0 {
				b.WriteString(",")
				if multi {
					b.WriteString(pick("", " # after"))
				}
			}
		}
		if multi {
			b.WriteString("\n")
		}
		b.WriteString("]")
		return b.String()
	}
	skipped, wrapped := 0, 0
	for iter := 0; iter < 400; iter++ {
		var b strings.Builder
		b.WriteString(pick("", "model = \"o3\"\n", "# top\n\n"))
		// Dotted keys and inline tables at the top, then [tables].
		var top, tables strings.Builder
		for i := 0; i < 1+rng.IntN(4); i++ {
			name := fmt.Sprintf("s%d", i)
			var kvs []string
			if rng.IntN(8) > 0 {
				kvs = append(kvs, "command = "+str())
			} else {
				kvs = append(kvs, `url = "http://127.0.0.1:1/"`)
			}
			if rng.IntN(3) > 0 {
				kvs = append(kvs, "args = "+array())
			}
			if rng.IntN(2) == 0 {
				kvs = append(kvs, `env = { A = "1" }`)
			}
			rng.Shuffle(len(kvs), func(i, j int) { kvs[i], kvs[j] = kvs[j], kvs[i] })
			switch rng.IntN(3) {
			case 0:
				fmt.Fprintf(&tables, "\n[mcp_servers.%s] %s\n", name, pick("", "# hdr"))
				for _, kv := range kvs {
					tables.WriteString(pick("", "  ") + kv + pick("", " # c", "  ") + "\n")
				}
			case 1:
				for _, kv := range kvs {
					fmt.Fprintf(&top, "mcp_servers.%s.%s\n", name, kv)
				}
			default:
				fmt.Fprintf(&top, "mcp_servers.%s = { %s }\n", name, strings.Join(kvs, ", "))
			}
		}
		b.WriteString(top.String() + tables.String())
		in := []byte(b.String())
		if rng.IntN(4) == 0 {
			in = bytes.ReplaceAll(in, []byte("\n"), []byte("\r\n"))
		}
		if rng.IntN(4) == 0 {
			in = bytes.TrimRight(in, "\r\n")
		}
		var v map[string]any
		if err := toml.Unmarshal(in, &v); err != nil {
			skipped++
			continue // the generator made invalid TOML (a table after dotted keys)
		}
		out, changes, err := editCodexMCPServers(in, fakeBinary, false)
		if err != nil {
			t.Fatalf("install: %v\n%s", err, in)
		}
		for _, c := range changes {
			if strings.HasPrefix(c.status, "wrapped") {
				wrapped++
			}
		}
		checkCodexRewrite(t, in, out)
		if t.Failed() {
			t.Fatalf("input:\n%s", in)
		}
	}
	if skipped > 200 {
		t.Errorf("the generator made %d invalid configs of 400", skipped)
	}
	if wrapped < 400 {
		t.Errorf("only %d entries wrapped", wrapped)
	}
	t.Logf("%d of 400 generated configs were not TOML; %d entries wrapped", skipped, wrapped)
}
