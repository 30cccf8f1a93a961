package cli

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// The dashboard's install plan shows what install then writes, byte for
// byte: the settings file's own layout kept (4-space indents, CRLF).
func TestUIPlanIsWhatInstallWrites(t *testing.T) {
	e := testEnv(t)
	path := filepath.Join(e.Home, ".claude", "settings.json")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	old := "{\r\n    \"model\": \"opus\",\r\n    \"permissions\": {\"allow\": [\"Bash(ls)\"]}\r\n}\r\n"
	if err := os.WriteFile(path, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	plan, err := e.uiPlan(context.Background(), "claude")
	if err != nil {
		t.Fatal(err)
	}
	if !plan.Changed || plan.Path != path || string(plan.Old) != old {
		t.Fatalf("plan: changed %v, path %s, old %q", plan.Changed, plan.Path, plan.Old)
	}
	if code, out, errs := run(t, e, "", "install", "claude"); code != 0 {
		t.Fatalf("install: exit %d\n%s%s", code, out, errs)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(plan.New) {
		t.Errorf("install wrote\n%s\nthe plan showed\n%s", got, plan.New)
	}
}
