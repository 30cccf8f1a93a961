package policy

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/safeclaw/safeclaw/action"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestLoadErrors(t *testing.T) {
	path := filepath.Join("testdata", "load_errors.txtar")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ar := parseArchive(data)
	want := map[string]string{}
	for _, f := range ar.Files {
		if strings.HasSuffix(f.Name, ".err") {
			want[strings.TrimSuffix(f.Name, ".err")] = strings.TrimSpace(string(f.Data))
		}
	}
	changed := false
	for i, f := range ar.Files {
		if strings.HasSuffix(f.Name, ".err") {
			continue
		}
		_, err := Parse(f.Name, f.Data)
		if err == nil {
			t.Errorf("%s: parsed without error", f.Name)
			continue
		}
		var pe *Error
		if !errors.As(err, &pe) {
			t.Errorf("%s: error %T is not *Error: %v", f.Name, err, err)
		}
		got := err.Error()
		if !strings.HasPrefix(got, f.Name+":") {
			t.Errorf("%s: error does not start with the file name: %s", f.Name, got)
		}
		if *update {
			if i+1 < len(ar.Files) && ar.Files[i+1].Name == f.Name+".err" {
				ar.Files[i+1].Data = []byte(got + "\n")
				changed = true
			}
			continue
		}
		if got != want[f.Name] {
			t.Errorf("%s:\n got: %s\nwant: %s", f.Name, got, want[f.Name])
		}
	}
	if changed {
		if err := os.WriteFile(path, ar.format(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// The contract check: a misspelled key names bad.yaml:3 (line 3, col 3)
// and suggests the right key.
func TestMisspelledKeyContract(t *testing.T) {
	src := "rules:\n- action: shell.execute\n  comand_pattern: \"nc -l *\"\n  effect: deny\n"
	_, err := Parse("bad.yaml", []byte(src))
	var pe *Error
	if !errors.As(err, &pe) {
		t.Fatalf("got %v", err)
	}
	if pe.Line != 3 || pe.Col != 3 || !strings.Contains(err.Error(), "bad.yaml:3:3:") || !strings.Contains(pe.Hint, `"command_pattern"`) {
		t.Errorf("got %q", err)
	}
}

func TestBriefStepsLoad(t *testing.T) {
	want := map[string]int{"step2": 6, "step3": 2, "step4": 5, "step5": 6, "step6": 3}
	for step, n := range want {
		name := "brief/" + step + ".yaml"
		f, err := Parse(name, readTestdata(t, name))
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if f.RuleCount() != n {
			t.Errorf("%s: %d rules, want %d", step, f.RuleCount(), n)
		}
	}
	p := briefPolicy(t, Options{})
	if len(p.Rules()) != 22 {
		t.Errorf("brief policy has %d rules", len(p.Rules()))
	}
	r := p.Rules()[0]
	if r.Source != "brief/step6.yaml:2" || r.Effect != action.Ask || !r.Approval || r.Name != "Allow starting dev server with human approval" {
		t.Errorf("first rule = %+v", r)
	}
}

func TestParseAccepts(t *testing.T) {
	srcs := map[string]string{
		"default_only.yaml": "default: allow\n",
		"version.yaml":      "version: 1\nname: x\ndefault: deny\n",
		"all_fields.yaml": `
version: 1
name: everything
description: every field
default: deny
rules:
  - name: dev server
    description: d
    action: [shell.execute, network.listen]
    command_pattern: ["npm run dev", "npm start"]
    command_regex: "^npm (run dev|start)"
    program: npm
    args: ["*"]
    agent: [claude, codex]
    effect: require_approval
    reason: r
    timeout: 5m
    conditions:
      expires: 2030-01-01
      schedule:
        days: [mon-fri, sat]
        hours: "22:00-06:00"
        timezone: Europe/Berlin
  - id: listen
    action: network.*
    port: ["*", 8080, "8000-8999"]
    host: ["localhost", "127.0.0.1", "10.0.0.0/8", "*.example.com", "::1"]
    effect: prompt
  - action: file.*
    path: ["${workspace}/**", "~/.ssh/*", ".env", "/tmp/**/x*.txt"]
    effect: deny
  - action: http.request
    url: "https://api.github.com/*"
    effect: allow
  - action: mcp.call
    server: github
    tool: "create_*"
    effect: ask
  - action: tool.Bash
    effect: deny
  - action: "tool.*"
    effect: deny
  - action: "*"
    effect: deny
    conditions:
      - expires: "2030-01-01T10:00:00+02:00"
tests:
  - {command: "npm run dev", expect: ask, rule: "dev server"}
  - {action: network.listen, port: 8080, host: localhost, expect: ask}
  - {action: file.read, path: /x, agent: claude, cwd: /tmp, expect: deny}
`,
		"policy.json": `{"version": 1, "default": "deny", "rules": [
  {"action": "network.listen", "port": 8080, "effect": "allow", "conditions": [{"human_approval": "required"}]},
  {"command_pattern": "git status", "effect": "allow"}]}`,
	}
	for name, src := range srcs {
		if _, err := Parse(name, []byte(src)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// YAML and JSON spellings of the same policy compile to the same hash.
func TestJSONAndYAMLAgree(t *testing.T) {
	y := mustCompile(t, Options{}, "rules:\n  - action: network.listen\n    port: [8080, \"9000-9100\"]\n    effect: deny\n    reason: r\n")
	jf, err := Parse("p.json", []byte(`{"rules":[{"action":"network.listen","port":[8080,"9000-9100"],"effect":"deny","reason":"r"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	j, err := Compile([]*File{jf}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if y.Hash() != j.Hash() {
		t.Errorf("hashes differ:\n%s\n%s", y.Canonical(), j.Canonical())
	}
	if !strings.HasPrefix(y.Hash(), "sha256:") || len(y.Hash()) != len("sha256:")+64 {
		t.Errorf("hash %q", y.Hash())
	}
	// Comments and positions do not change the hash; a rule's content does.
	y2 := mustCompile(t, Options{}, "# comment\nrules:\n\n  - action: network.listen\n    port: [8080, \"9000-9100\"]\n    effect: deny\n    reason: r\n")
	y3 := mustCompile(t, Options{}, "rules:\n  - action: network.listen\n    port: [8081, \"9000-9100\"]\n    effect: deny\n    reason: r\n")
	if y.Hash() != y2.Hash() || y.Hash() == y3.Hash() {
		t.Error("hash should cover content only")
	}
}

func TestSourcesAreUnique(t *testing.T) {
	f, err := Parse("p.json", []byte(`{"rules":[{"action":"network.listen","effect":"deny"},{"action":"network.bind","effect":"deny"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile([]*File{f}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rs := p.Rules()
	if rs[0].Source != "p.json:1:11" || rs[1].Source != "p.json:1:55" {
		t.Errorf("sources %q %q", rs[0].Source, rs[1].Source)
	}
}

func TestParseLimits(t *testing.T) {
	big := make([]byte, 4<<20+1)
	for i := range big {
		big[i] = '#'
	}
	if _, err := Parse("big.yaml", big); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("big input: %v", err)
	}
	if _, err := Parse("bad.yaml", []byte("default: deny\nname: \xff\n")); err == nil || !strings.Contains(err.Error(), "bad.yaml:2:7: invalid UTF-8") {
		t.Errorf("invalid UTF-8: %v", err)
	}
}

func TestCompileErrors(t *testing.T) {
	a := mustParse(t, "a.yaml", "default: deny\nrules:\n  - name: x\n    action: network.listen\n    effect: deny\n")
	b := mustParse(t, "b.yaml", "default: allow\n")
	c := mustParse(t, "c.yaml", "rules:\n  - name: x\n    action: network.bind\n    effect: deny\n")
	if _, err := Compile([]*File{a, b}, Options{}); err == nil || err.Error() != "b.yaml:1:10: default allow conflicts with default deny in a.yaml (files compiled together form one policy with one default; keep one)" {
		t.Errorf("conflicting defaults: %v", err)
	}
	if _, err := Compile([]*File{a, c}, Options{}); err == nil || !strings.Contains(err.Error(), `c.yaml:2:5: duplicate rule name "x"`) {
		t.Errorf("duplicate names across files: %v", err)
	}
	if _, err := Compile(nil, Options{}); err == nil {
		t.Error("no files")
	}
	if _, err := Compile([]*File{a}, Options{ProtectWrite: []string{"relative/**"}}); err == nil {
		t.Error("relative protected path")
	}
}

func TestParseCases(t *testing.T) {
	cs, err := ParseCases("cases.yaml", []byte(`tests:
  - command: "python3 -m http.server 8080"
    expect: deny
    rule: "Block Python HTTP server"
  - {action: network.listen, port: 8080, host: 0.0.0.0, expect: require_approval, agent: codex, cwd: /w, name: listen}
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 || cs[0].Source != "cases.yaml:2" || cs[0].Command != "python3 -m http.server 8080" || cs[0].Expect != action.Deny ||
		cs[0].Rule != "Block Python HTTP server" || cs[1].Action == nil || cs[1].Action.Kind != action.NetworkListen ||
		cs[1].Action.Port != 8080 || cs[1].Action.Host != "0.0.0.0" || cs[1].Expect != action.Ask || cs[1].Agent != "codex" || cs[1].Name != "listen" {
		t.Errorf("cases: %+v", cs)
	}
	for src, want := range map[string]string{
		"rules: []\n":                 `cases.yaml:1:1: unknown key "rules" in the cases file`,
		"tests:\n  - {command: ls}\n": "cases.yaml:2:5: test has no expect",
		"tests:\n  - {command: ls, port: 1, expect: deny}\n":  "cases.yaml:2:19: port given with a command",
		"tests:\n  - {action: network.lsten, expect: deny}\n": `cases.yaml:2:14: unknown action "network.lsten" (did you mean "network.listen"?)`,
		"": "cases.yaml:1:1: empty cases file",
	} {
		if _, err := ParseCases("cases.yaml", []byte(src)); err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", src, err, want)
		}
	}
}
