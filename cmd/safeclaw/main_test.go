package main

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/safeclaw/safeclaw/internal/cli"
	"github.com/safeclaw/safeclaw/mcpproxy/mcptest"
)

var update = flag.Bool("u", false, "update testscript golden files")

func TestMain(m *testing.M) {
	if filepath.Base(os.Args[0]) != "safeclaw" {
		// BenchmarkMCPRelay's upstream: this binary as a fake MCP server.
		mcptest.ServeChildIfAsked()
	}
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
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"pendingid": pendingID,
		},
		Setup: func(env *testscript.Env) error {
			env.Setenv("SAFECLAW_HOME", env.WorkDir+"/.safeclaw-home")
			env.Setenv("HOME", env.WorkDir+"/home")
			env.Setenv("SAFECLAW_MANAGED_POLICY", "")
			return os.MkdirAll(env.WorkDir+"/home", 0o755)
		},
	})
}

// pendingID waits (up to 20 s) until an approval request is pending and sets
// $ID to its id: the script's stand-in for a person reading
// 'safeclaw approvals list'.
func pendingID(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: pendingid")
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if err := ts.Exec("safeclaw", "approvals", "list", "--json"); err == nil {
			var list []struct {
				ID string `json:"id"`
			}
			if json.Unmarshal([]byte(ts.ReadFile("stdout")), &list) == nil && len(list) > 0 {
				ts.Setenv("ID", list[0].ID)
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	ts.Fatalf("no approval request became pending within 20s")
}
