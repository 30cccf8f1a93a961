package cli

import (
	"strings"
	"testing"
)

// TestApprovalRecordsCarryKinds: approval records name what the request
// does, so audit --filter "action:network" finds them beside its decision.
func TestApprovalRecordsCarryKinds(t *testing.T) {
	e := testEnv(t)
	run(t, e, "", "check", "--wait", "--timeout", "1s", "--", "curl", "https://example.com")
	code, out, errOut := run(t, e, "", "audit", "--filter", "action:network type:approval")
	if code != 0 || !strings.Contains(out, "[APPROVAL] shell.execute,network.connect: \"curl https://example.com\"") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
}
