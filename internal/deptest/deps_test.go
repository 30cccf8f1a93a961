// Package deptest enforces the import direction of architecture.md: arrows
// point down, nothing imports upward, and the pure core stays pure.
package deptest

import (
	"os/exec"
	"strings"
	"testing"
)

const mod = "github.com/safeclaw/safeclaw/"

// allowed lists, per package, which of our packages it may import directly.
// A package missing here may import nothing of ours.
var allowed = map[string][]string{
	"action":                     {},
	"internal/strictyaml":        {},
	"policy":                     {"action", "internal/strictyaml"},
	"config":                     {"internal/strictyaml"},
	"shell/catalog":              {"action"},
	"shell":                      {"action", "shell/catalog"},
	"audit":                      {"action"},
	"audit/audittest":            {"action", "audit"},
	"approval":                   {"action", "internal/filelock"},
	"approval/approvaltest":      {"action", "approval"},
	"approval/notify":            {"action", "approval"},
	"classify":                   {"action", "shell", "shell/catalog"},
	"hook":                       {"action", "classify", "shell", "shell/catalog", "internal/jsonobj", "internal/redactjson"},
	"internal/jsonobj":           {},
	"internal/redactjson":        {},
	"internal/filelock":          {},
	"internal/ptytest":           {},
	"sandbox":                    {"action"},
	"sandbox/internal/i386probe": {},
	"gate":                       {"action", "policy", "audit", "approval"},
	"mcpproxy":                   {"action", "shell", "internal/filelock", "internal/redactjson"},
	"mcpproxy/mcptest":           {},
	"server":                     {"action", "classify", "hook", "internal/jsonobj"},
	"dashboard":                  {"action", "policy", "approval", "audit"},
	"pgstore":                    {"action", "approval", "audit"},
	"pgstore/pgtest":             {},
	"e2e":                        {},
	"internal/cli":               {"*"},
	"cmd/safeclaw":               {"internal/cli"},
	"internal/deptest":           {},
}

// forbiddenStd lists standard packages a pure package must not import.
var forbiddenStd = map[string][]string{
	"action":        {"net/http", "os/exec", "log", "log/slog"},
	"policy":        {"net/http", "os/exec", "log", "log/slog"},
	"shell":         {"net/http", "os/exec", "log", "log/slog"},
	"shell/catalog": {"net/http", "os/exec", "log", "log/slog"},
	"gate":          {"net/http", "os/exec"},
	"server":        {"os/exec"},
	"mcpproxy":      {"log", "log/slog"},
	"approval":      {"net/http"},
	"audit":         {"net/http", "os/exec"},
}

func TestImportDirection(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, mod+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(fields[0], mod)
		ok, known := allowed[pkg]
		if !known {
			t.Errorf("package %s has no entry in the import rules: add one (architecture.md)", pkg)
			continue
		}
		for _, imp := range fields[1:] {
			if strings.HasPrefix(imp, mod) {
				dep := strings.TrimPrefix(imp, mod)
				if !contains(ok, "*") && !contains(ok, dep) {
					t.Errorf("%s imports %s: not allowed by the import direction", pkg, dep)
				}
				continue
			}
			if contains(forbiddenStd[pkg], imp) {
				t.Errorf("%s imports %s: the package must stay pure", pkg, imp)
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
