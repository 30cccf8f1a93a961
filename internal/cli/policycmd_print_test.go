package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/policy"
)

// hostileChars are what must never reach the terminal raw from input or
// policy text: ESC (CSI and OSC sequences), BEL, DEL, a C1 control, a bidi
// override and a line break inside a field.
const hostileChars = "\x1b\x07\x7f\u009b\u202e\r"

// TestPolicyExplainTextIsPrintable: policy explain's human output, byte for
// byte, for a command whose parts, option values, hosts, paths and facet
// details hold terminal escapes (CSI 2J, OSC 52), a bidi override and a line
// break: each is escaped as check escapes it, and no field adds a line.
func TestPolicyExplainTextIsPrintable(t *testing.T) {
	e := testEnv(t)
	cmd := "python -m http.server 8080 --bind \"\x1b[2J\u202e0.0.0.0\"; echo \"a\nb\" > \"/tmp/x\x1b]52;c;QUJD\x07\""
	code, stdout, stderr := run(t, e, "", "policy", "explain", "--policy", "testdata/brief-step2.yaml", "--command", cmd)
	if code != 3 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	want := `== user layer
decision: deny by "Block Python HTTP server" (testdata/brief-step2.yaml:4), decided by part 0
reason: Block Python HTTP server
part 0: python -m http.server 8080 --bind "\x1b[2J\u202e0.0.0.0"
  view 0: "python -m http.server 8080 --bind \x1b[2J\u202e0.0.0.0" program=python options=[-m=http.server] args=["8080" "--bind" "\x1b[2J\u202e0.0.0.0"]
  facet 0: shell.execute program=python
  facet 1: network.listen port=8080 host=\x1b[2J\u202e0.0.0.0 program=python (python http.server (port 8080) on \x1b[2J\u202e0.0.0.0)
  facet 2: network.bind port=8080 host=\x1b[2J\u202e0.0.0.0 program=python (python http.server (port 8080) on \x1b[2J\u202e0.0.0.0)
  YES deny  "Block Python HTTP server" (testdata/brief-step2.yaml:4) on facet 0 shell.execute: matched view "python -m http.server 8080 --bind \x1b[2J\u202e0.0.0.0"
  => deny by "Block Python HTTP server" (testdata/brief-step2.yaml:4): Block Python HTTP server
part 1: echo "a\nb" > "/tmp/x\x1b]52;c;QUJD\x07"
  facet 0: file.write path=/tmp/x\x1b]52;c;QUJD\x07 (redirection)
  (6 rules skipped: their action matches none of the facets)
  note: no rule matched any facet, so the default (deny) decided
  => deny by the default: no rule matched; default deny
part 2: echo "a\nb" > "/tmp/x\x1b]52;c;QUJD\x07"
  view 0: "echo a\nb" program=echo args=["a\nb"]
  facet 0: shell.execute program=echo
  no  deny  "Block Python HTTP server" (testdata/brief-step2.yaml:4) on facet 0 shell.execute: view "echo a\nb": "python -m http.server": program "echo" is not "python"
  no  deny  "Block Python 2 HTTP server" (testdata/brief-step2.yaml:8) on facet 0 shell.execute: view "echo a\nb": "python -m SimpleHTTPServer": program "echo" is not "python"
  no  deny  "Block npx serve" (testdata/brief-step2.yaml:12) on facet 0 shell.execute: view "echo a\nb": "npx serve*": program "echo" is not "npx"
  no  deny  "Block npx http-server" (testdata/brief-step2.yaml:16) on facet 0 shell.execute: view "echo a\nb": "npx http-server*": program "echo" is not "npx"
  no  deny  "Block PHP built-in server" (testdata/brief-step2.yaml:20) on facet 0 shell.execute: view "echo a\nb": "php -S *": program "echo" is not "php"
  no  deny  "Block Ruby HTTP server" (testdata/brief-step2.yaml:24) on facet 0 shell.execute: view "echo a\nb": "ruby -run -e httpd*": program "echo" is not "ruby"
  note: no rule matched any facet, so the default (deny) decided
  => deny by the default: no rule matched; default deny

DENY: shell.execute: "python -m http.server 8080 --bind \"\x1b[2J\u202e0.0.0.0\"; echo \"a\nb\" > \"/tmp/x\x1b]52;c;QUJD\a\""
  Rule: "Block Python HTTP server" (testdata/brief-step2.yaml:4)
  Reason: Block Python HTTP server
  Decided by: python -m http.server 8080 --bind "\x1b[2J\u202e0.0.0.0"
  Part: python -m http.server 8080 --bind "\x1b[2J\u202e0.0.0.0"
    shell.execute, network.listen{host: \x1b[2J\u202e0.0.0.0, port: 8080, python http.server (port 8080) on \x1b[2J\u202e0.0.0.0}, network.bind{host: \x1b[2J\u202e0.0.0.0, port: 8080, python http.server (port 8080) on \x1b[2J\u202e0.0.0.0}
  Part: echo "a\nb" > "/tmp/x\x1b]52;c;QUJD\x07"
    file.write{path: /tmp/x\x1b]52;c;QUJD\x07, redirection}
  Part: echo "a\nb" > "/tmp/x\x1b]52;c;QUJD\x07"
    shell.execute
`
	if stdout != want {
		t.Errorf("--- got\n%s--- want\n%s", stdout, want)
	}
	if strings.ContainsAny(stdout, hostileChars) {
		t.Errorf("raw control characters in the output: %q", stdout)
	}
	// --json is data, not text for a terminal: it keeps the input as it
	// was (JSON escapes the control characters itself).
	_, js, _ := run(t, e, "", "policy", "explain", "--json", "--policy", "testdata/brief-step2.yaml", "--command", cmd)
	if !strings.Contains(js, `"text":"python -m http.server 8080 --bind \"\u001b[2J`+"\u202e"+`0.0.0.0\""`) {
		t.Errorf("--json does not keep the part as it was:\n%s", js)
	}
}

// TestExplainTextEscapesEveryField: every field Explanation.String prints
// unquoted is escaped (the arguments of a tool call too, which it prints as
// JSON, and JSON leaves DEL, C1 controls and bidi overrides as they are),
// quoted fields are not escaped twice, and the explanation given is not
// changed.
func TestExplainTextEscapesEveryField(t *testing.T) {
	evil := "\x1b]52;c;QUJD\x07\u202e\x7f\u009b\n"
	rule := &action.RuleRef{Name: "n" + evil, Reason: "r" + evil, Source: "s" + evil, Layer: "l" + evil}
	ex := policy.Explanation{Decision: "deny", Rule: rule, Reason: "why" + evil, Part: 0, Parts: []policy.PartExplanation{{
		Text: "t" + evil,
		Views: []action.Argv{{Words: []string{"w" + evil}, Program: "p" + evil,
			Options: []action.Option{{Name: "--o" + evil, Value: "v" + evil, HasValue: true}}, Positionals: []string{"a" + evil}}},
		Facets: []action.Action{{Kind: action.Kind("mcp.call" + evil), Tool: "tool" + evil, Server: "srv" + evil,
			Host: "h" + evil, Path: "/p" + evil, URL: "u" + evil, Program: "prog" + evil, Detail: "d" + evil,
			Args: map[string]any{"k": "\u202e\x7f\u009b"}}},
		Tried:    []policy.RuleTrial{{Rule: "n" + evil, Source: "s" + evil, Effect: "deny", Action: "mcp.call" + evil, Why: "y" + evil}},
		Decision: "deny", Rule: rule, Reason: "why" + evil, Notes: []string{"note" + evil},
	}}}
	got := explainText(ex)
	if strings.ContainsAny(got, hostileChars) {
		t.Errorf("raw control characters in the output: %q", got)
	}
	const esc = `\x1b]52;c;QUJD\x07\u202e\x7f\u009b\n`
	for _, s := range []string{
		"decision: deny by \"n\\x1b]52;c;QUJD\\a\\u202e\\x7f\\u009b\\n\" (s" + esc + "), decided by part 0\n",
		"reason: why" + esc + "\n",
		"part 0: t" + esc + "\n",
		" program=p" + esc + " options=[--o" + esc + "=v" + esc + "]",
		"facet 0: mcp.call" + esc + " host=h" + esc + " path=/p" + esc + " url=u" + esc + " tool=tool" + esc +
			" server=srv" + esc + " program=prog" + esc + ` args={"k":"\u202e\x7f\u009b"} (d` + esc + ")\n",
		" on facet 0 mcp.call" + esc + ": y" + esc + "\n",
		"  note: note" + esc + "\n",
		": why" + esc + "\n",
	} {
		if !strings.Contains(got, s) {
			t.Errorf("output lacks %q:\n%s", s, got)
		}
	}
	if n := strings.Count(got, "\n"); n != 8 {
		t.Errorf("%d lines, want 8:\n%s", n, got)
	}
	if rule.Source != "s"+evil || ex.Parts[0].Text != "t"+evil || ex.Parts[0].Facets[0].Path != "/p"+evil ||
		ex.Parts[0].Views[0].Options[0].Value != "v"+evil || ex.Parts[0].Tried[0].Why != "y"+evil || ex.Parts[0].Notes[0] != "note"+evil {
		t.Error("explainText changed the explanation it was given")
	}
}

// TestPolicyCommandsTextIsPrintable: validate, lint, show and test print
// file names, sources, findings and inputs escaped: a policy file (or the
// directory a project policy sits in) named with an escape sequence, a
// rule whose text holds one, and a test case whose command does.
func TestPolicyCommandsTextIsPrintable(t *testing.T) {
	e := testEnv(t)
	dir := filepath.Join(t.TempDir(), "d\x1b]52;c;QUJD\x07\u202e")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	pol := filepath.Join(dir, "p\x1b[2J.yaml")
	yaml := "rules:\n" +
		"  - name: \"evil\\e[2J\"\n    action: shell.execute\n    command_pattern: \"foo *\"\n    effect: deny\n    reason: \"r\\e[31m\\u202e\"\n" +
		"  - name: \"evil2\\e[2J\"\n    action: shell.execute\n    command_pattern: \"foo *\"\n    effect: deny\n    reason: \"dup\"\n" +
		"tests:\n  - command: \"foo \\e[2J\\u202e\"\n    expect: allow\n"
	if err := os.WriteFile(pol, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"policy", "validate", "--policy", pol},
		{"policy", "lint", "--policy", pol},
		{"policy", "show", "--policy", pol},
		{"policy", "test", "--policy", pol},
		{"policy", "explain", "--policy", pol, "--command", "foo \x1b[2J\u202e"},
	} {
		code, stdout, stderr := run(t, e, "", args...)
		if code == exitUsage || stdout == "" {
			t.Errorf("%s: exit %d\n%s%s", args[1], code, stdout, stderr)
			continue
		}
		if strings.ContainsAny(stdout, hostileChars) {
			t.Errorf("%s: raw control characters in the output: %q", args[1], stdout)
		}
		if !strings.Contains(stdout, `p\x1b[2J.yaml`) {
			t.Errorf("%s: the file name is not shown escaped:\n%s", args[1], stdout)
		}
	}
}
