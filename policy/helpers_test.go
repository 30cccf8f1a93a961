package policy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/safeclaw/safeclaw/action"
)

// testTime is a Wednesday, 2025-06-11 10:00 UTC.
var testTime = time.Date(2025, 6, 11, 10, 0, 0, 0, time.UTC)

// view builds an argv view from hand-split words.
func view(words ...string) action.Argv { return action.ParseArgv(words) }

// fields splits a command on spaces (tests only; no quoting).
func fields(cmd string) []string { return strings.Fields(cmd) }

// shellPart is a part for a simple command with one view and a
// shell.execute facet, plus extra facets.
func shellPart(cmd string, extra ...action.Action) action.Part {
	v := view(fields(cmd)...)
	facets := []action.Action{{Kind: action.ShellExecute, Command: cmd, Program: v.Program}}
	return action.Part{Text: cmd, Views: []action.Argv{v}, Facets: append(facets, extra...)}
}

// wrappedPart has the command as written plus the peeled inner command.
func wrappedPart(cmd, inner string, extra ...action.Action) action.Part {
	p := shellPart(cmd, extra...)
	p.Views = append(p.Views, view(fields(inner)...))
	return p
}

func actionPart(a action.Action) action.Part {
	return action.Part{Facets: []action.Action{a}}
}

func request(parts ...action.Part) *action.Request {
	return &action.Request{Time: testTime, Parts: parts}
}

func mustParse(t testing.TB, name, src string) *File {
	t.Helper()
	f, err := Parse(name, []byte(src))
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	return f
}

func mustCompile(t testing.TB, opts Options, srcs ...string) *Policy {
	t.Helper()
	var files []*File
	for i, s := range srcs {
		files = append(files, mustParse(t, "p"+itoa(i+1)+".yaml", s))
	}
	p, err := Compile(files, opts)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return p
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// briefPolicy compiles the brief's steps; Step 6 first, as the brief says.
func briefPolicy(t testing.TB, opts Options) *Policy {
	t.Helper()
	var files []*File
	for _, step := range []string{"step6", "step2", "step3", "step4", "step5"} {
		name := "brief/" + step + ".yaml"
		f, err := Parse(name, readTestdata(t, name))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	p, err := Compile(files, opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func ruleName(d action.Decision) string {
	if d.Rule == nil {
		return "default"
	}
	return d.Rule.Name
}
