package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testEnv is an Env rooted in a temp dir: nothing of the real user's leaks in.
func testEnv(t testing.TB) *Env {
	t.Helper()
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	proj := filepath.Join(home, "project")
	if err := os.MkdirAll(proj, 0o755); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"SAFECLAW_HOME": filepath.Join(dir, "sc"), "SAFECLAW_MANAGED_POLICY": ""}
	e := &Env{
		Stdin:  strings.NewReader(""),
		Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{},
		Getenv: func(k string) string { return env[k] },
		Now:    func() time.Time { return time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC) },
		Cwd:    proj, Home: home,
		SystemDir: filepath.Join(dir, "root"),
	}
	e.resolveDirs()
	return e
}

// run runs safeclaw in-process and returns its exit code, stdout and stderr.
func run(t testing.TB, e *Env, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	e.Stdin, e.Stdout, e.Stderr = strings.NewReader(stdin), &out, &errb
	code := Main(context.Background(), args, e)
	return code, out.String(), errb.String()
}

// briefPolicy is the brief's YAML, Step 6 first, as --policy flags.
func briefPolicy() []string {
	var args []string
	for _, n := range []string{"step6", "step2", "step3", "step4", "step5"} {
		args = append(args, "--policy", filepath.Join("testdata", "brief-"+n+".yaml"))
	}
	return args
}
