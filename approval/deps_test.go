package approval_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies keeps the core free of the network and of the packages
// above it: only action and internal/filelock of ours, no net/http
// (webhooks live in approval/notify).
func TestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/safeclaw/safeclaw/approval").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		ours := strings.HasPrefix(dep, "github.com/safeclaw/safeclaw/")
		if (ours && dep != "github.com/safeclaw/safeclaw/action" && dep != "github.com/safeclaw/safeclaw/approval" &&
			dep != "github.com/safeclaw/safeclaw/internal/filelock") ||
			dep == "net/http" {
			t.Errorf("package approval depends on %s", dep)
		}
	}
}
