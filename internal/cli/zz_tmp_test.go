package cli

import (
	"context"
	"os"
	"testing"
)

func TestTmpServeForever(t *testing.T) {
	home := os.Getenv("TMP_SC_HOME")
	if home == "" {
		t.Skip()
	}
	env := map[string]string{"SAFECLAW_HOME": home, "SAFECLAW_MANAGED_POLICY": ""}
	e := &Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: func(k string) string { return env[k] },
		Now: OSEnv().Now, Cwd: home, Home: home}
	e.resolveDirs()
	args := []string{"--policy", home + "/policy.yaml"}
	if a := os.Getenv("TMP_SC_ARGS"); a != "" {
		args = append(args, a)
	}
	os.Exit(runServe(context.Background(), e, args))
}
