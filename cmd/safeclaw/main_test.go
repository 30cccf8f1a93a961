package main

import (
	"context"
	"flag"
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/safeclaw/safeclaw/internal/cli"
)

var update = flag.Bool("u", false, "update testscript golden files")

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"safeclaw": func() { os.Exit(cli.Main(context.Background(), os.Args[1:], cli.OSEnv())) },
	})
}

// TestScripts runs the CLI scenarios in testdata/script/*.txtar. Each runs in
// its own temp dir with SAFECLAW_HOME pointing inside it.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		UpdateScripts:       *update,
		Setup: func(env *testscript.Env) error {
			env.Setenv("SAFECLAW_HOME", env.WorkDir+"/.safeclaw-home")
			env.Setenv("HOME", env.WorkDir+"/home")
			env.Setenv("SAFECLAW_MANAGED_POLICY", "")
			return os.MkdirAll(env.WorkDir+"/home", 0o755)
		},
	})
}
