package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCodexHomeLinkTrust: Codex canonicalises $CODEX_HOME and names the
// hooks.json it trusts by that path. With CODEX_HOME a symbolic link (a
// dotfiles checkout) or a relative path, install recorded trust under the
// path as written, which Codex never looks up: it skipped safeclaw's hook
// without a word, and doctor, reading the same wrong key, said Codex
// trusted it.
func TestCodexHomeLinkTrust(t *testing.T) {
	for _, form := range []string{"link", "relative"} {
		t.Run(form, func(t *testing.T) {
			e := testEnv(t)
			real := filepath.Join(e.Home, "dotfiles", "codex")
			if err := os.MkdirAll(real, 0o700); err != nil {
				t.Fatal(err)
			}
			codexHome := filepath.Join(e.Home, ".codex-work")
			if err := os.Symlink(real, codexHome); err != nil {
				t.Fatal(err)
			}
			if form == "relative" {
				codexHome = filepath.Join("..", "dotfiles", "codex") // from e.Cwd, HOME/project
			}
			getenv := e.Getenv
			e.Getenv = func(k string) string {
				if k == "CODEX_HOME" {
					return codexHome
				}
				return getenv(k)
			}
			mustInstall(t, e, "codex", "--binary", fakeSafeclaw(t))
			cfg, err := os.ReadFile(filepath.Join(real, "config.toml"))
			if err != nil {
				t.Fatal(err)
			}
			wantKey := `"` + filepath.Join(real, "hooks.json") + `:pre_tool_use:0:0"`
			if !strings.Contains(string(cfg), wantKey) {
				t.Errorf("config.toml has no trust under %s:\n%s", wantKey, cfg)
			}
			doctorSays(t, e, []string{"ok    codex: Codex trusts safeclaw's hooks"}, []string{"FAIL  codex"})
		})
	}
}
