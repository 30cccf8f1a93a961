package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInstallIntoHooksOff: installing into a settings file that switches
// hooks off (Claude Code's disableAllHooks, Gemini's hooksConfig.enabled:
// false) printed a warning and exited 0 as "installed", while the agent
// runs every tool call unchecked. It now exits 1 and says so; the hooks are
// written (they run once the setting goes), and uninstall is not affected.
func TestInstallIntoHooksOff(t *testing.T) {
	for _, tt := range []struct{ agent, file, off string }{
		{"claude", ".claude/settings.json", `{"disableAllHooks": true}`},
		{"gemini", ".gemini/settings.json", `{"hooksConfig": {"enabled": false}}`},
	} {
		t.Run(tt.agent, func(t *testing.T) {
			e := testEnv(t)
			path := filepath.Join(e.Home, tt.file)
			writeFile(t, path, tt.off, 0o644)
			for i := 0; i < 2; i++ { // the second time nothing changes: still not protected
				code, _, errOut := run(t, e, "", "install", tt.agent, "--binary", fakeBinary)
				if code != exitFindings || !strings.Contains(errOut, "does not run them while the setting above is there: every tool call runs unchecked") {
					t.Errorf("install #%d: exit %d: %s", i+1, code, errOut)
				}
			}
			if b, _ := os.ReadFile(path); !strings.Contains(string(b), fakeBinary) {
				t.Errorf("hooks not written:\n%s", b)
			}
			if code, _, errOut := run(t, e, "", "uninstall", tt.agent, "--binary", fakeBinary); code != 0 {
				t.Errorf("uninstall: exit %d: %s", code, errOut)
			}
		})
	}
}
