package cli

import (
	"regexp"
	"strings"
	"testing"
)

// TestCheckTextIsPrintable: check's human output quotes the input on its
// first line and escapes everything else that came from it (parts, paths),
// so a command with a line break or a terminal escape sequence neither adds
// lines nor rewrites the terminal.
func TestCheckTextIsPrintable(t *testing.T) {
	e := testEnv(t)
	cmd := "echo hi\nprintf \"\x1b[32mOK\" > \"/tmp/a\x1b[2J\u202eb\""
	code, stdout, stderr := run(t, e, "", "check", "--command", cmd)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	want := `ALLOW: shell.execute: "echo hi\nprintf \"\x1b[32mOK\" > \"/tmp/a\x1b[2J\u202eb\""
  Rule: "Shell built-ins and harmless commands" (builtin:default.yaml:208)
  Reason: Harmless command
  Decided by: echo hi
  Part: echo hi
    shell.execute
  Part: printf "\x1b[32mOK" > "/tmp/a\x1b[2J\u202eb"
    file.write{path: /tmp/a\x1b[2J\u202eb, redirection}
  Part: printf "\x1b[32mOK" > "/tmp/a\x1b[2J\u202eb"
    shell.execute
`
	// The built-in rule's line moves as the default grows.
	got := regexp.MustCompile(`default\.yaml:\d+`).ReplaceAllString(stdout, "default.yaml:N")
	want = regexp.MustCompile(`default\.yaml:\d+`).ReplaceAllString(want, "default.yaml:N")
	if got != want {
		t.Errorf("--- got\n%s--- want\n%s", stdout, want)
	}
	if strings.ContainsAny(stdout, "\x1b\u202e\r") {
		t.Errorf("raw control characters in the output: %q", stdout)
	}
}

// TestCheckText: the human output for the brief's command, byte for byte.
func TestCheckText(t *testing.T) {
	e := testEnv(t)
	code, stdout, _ := run(t, e, "", "check", "--policy", "testdata/brief-step2.yaml", "--", "python", "-m", "http.server", "8080")
	want := `DENY: shell.execute: "python -m http.server 8080"
  Rule: "Block Python HTTP server" (testdata/brief-step2.yaml:4)
  Reason: Block Python HTTP server
  Part: python -m http.server 8080
    shell.execute, network.listen{port: 8080, python http.server (port 8080)}, network.bind{port: 8080, python http.server (port 8080)}
`
	if code != 3 || stdout != want {
		t.Errorf("exit %d\n--- got\n%s--- want\n%s", code, stdout, want)
	}
}
