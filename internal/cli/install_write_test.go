package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func uidGid(t *testing.T, path string) (int, int) {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	o := ownerOf(fi)
	if !o.known {
		t.Skip("no file owners here")
	}
	return o.uid, o.gid
}

// TestInstallAsRootKeepsOwner: `sudo safeclaw install` with a person's
// HOME replaced their settings by a root-owned file (their own mode, 0600)
// and created ~/.gemini as a root-only directory. Their agent, running as
// them, then cannot read its settings and runs without safeclaw's hooks.
// The new file, its backup and new directories keep the person as owner.
func TestInstallAsRootKeepsOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	e := testEnv(t)
	const uid, gid = 4242, 4243
	if err := os.Chown(e.Home, uid, gid); err != nil {
		t.Fatal(err)
	}
	settings := filepath.Join(e.Home, ".claude", "settings.json")
	writeFile(t, settings, `{"model":"opus"}`, 0o600)
	for _, p := range []string{filepath.Dir(settings), settings} {
		if err := os.Chown(p, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	mustInstall(t, e, "claude", "--binary", fakeBinary)
	mustInstall(t, e, "gemini", "--binary", fakeBinary)
	backups, _ := filepath.Glob(settings + ".safeclaw-backup-*")
	gemini := filepath.Join(e.Home, ".gemini", "settings.json")
	for _, p := range append(backups, settings, gemini, filepath.Dir(gemini)) {
		if u, g := uidGid(t, p); u != uid || g != gid {
			t.Errorf("%s is owned by %d:%d, want %d:%d", p, u, g, uid, gid)
		}
	}
	if fi, _ := os.Stat(settings); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode().Perm())
	}
	if len(backups) != 1 {
		t.Errorf("backups %v", backups)
	}
}

// TestInstallAsRootRefusesForeignLink: run as root, a settings link owned
// by a person and pointing at a file of someone else (root's /etc/...) is
// not followed: root would write wherever the person's link says.
func TestInstallAsRootRefusesForeignLink(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	e := testEnv(t)
	victim := filepath.Join(t.TempDir(), "root-owned.json")
	writeFile(t, victim, `{"important":true}`, 0o644)
	link := filepath.Join(e.Home, ".claude", "settings.json")
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	if err := os.Lchown(link, 4242, 4242); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := run(t, e, "", "install", "claude", "--binary", fakeBinary)
	if code == 0 || !strings.Contains(errOut, "not followed as root") {
		t.Errorf("exit %d: %s", code, errOut)
	}
	if b, _ := os.ReadFile(victim); string(b) != `{"important":true}` {
		t.Errorf("the link's target was written: %s", b)
	}
	// The link's owner's own file is followed (dotfiles).
	if err := os.Chown(victim, 4242, 4242); err != nil {
		t.Fatal(err)
	}
	mustInstall(t, e, "claude", "--binary", fakeBinary)
}

// TestInstallKeepsConcurrentChange: a settings file written by someone
// else between safeclaw's read and its write (a second install, the agent)
// lost that change: for Codex's config.toml, install codex --mcp's wrapped
// servers, or install codex's trust, which Codex needs to run the hook at
// all. The file is now left as the other writer made it, and the trust
// edit is made again on the new content.
func TestInstallKeepsConcurrentChange(t *testing.T) {
	e := testEnv(t)
	settings := filepath.Join(e.Home, ".claude", "settings.json")
	writeFile(t, settings, `{"model":"opus"}`, 0o600)
	meanwhile := `{"model":"sonnet"}`
	beforeSettingsRename = func(target string) {
		beforeSettingsRename = nil
		writeFile(t, target, meanwhile, 0o600)
	}
	t.Cleanup(func() { beforeSettingsRename = nil })
	code, _, errOut := run(t, e, "", "install", "claude", "--binary", fakeBinary)
	if code == 0 || !strings.Contains(errOut, "changed while safeclaw was editing it") {
		t.Errorf("exit %d: %s", code, errOut)
	}
	if b, _ := os.ReadFile(settings); string(b) != meanwhile {
		t.Errorf("the other change was lost: %s", b)
	}

	// Codex's trust is recorded on top of what changed meanwhile.
	cfg := filepath.Join(e.Home, ".codex", "config.toml")
	writeFile(t, cfg, "model = \"o3\"\n", 0o600)
	beforeSettingsRename = func(target string) {
		if target != cfg {
			return
		}
		beforeSettingsRename = nil
		writeFile(t, target, "model = \"o3\"\n[mcp_servers.db]\ncommand = \"npx\"\n", 0o600)
	}
	mustInstall(t, e, "codex", "--binary", fakeBinary)
	b, _ := os.ReadFile(cfg)
	if !strings.Contains(string(b), "[mcp_servers.db]") || !strings.Contains(string(b), "trusted_hash") {
		t.Errorf("config.toml:\n%s", b)
	}
}

// TestWriteBackupNeverReplaces: a backup name taken (by an install in the
// same second) is never written over.
func TestWriteBackupNeverReplaces(t *testing.T) {
	base := filepath.Join(t.TempDir(), "settings.json.safeclaw-backup-X")
	writeFile(t, base, "older", 0o600)
	writeFile(t, base+".1", "old", 0o600)
	name, err := writeBackup(base, []byte("new"), fileOwner{})
	if err != nil || name != base+".2" {
		t.Fatalf("%q %v", name, err)
	}
	for p, want := range map[string]string{base: "older", base + ".1": "old", base + ".2": "new"} {
		if b, _ := os.ReadFile(p); string(b) != want {
			t.Errorf("%s holds %q, want %q", p, b, want)
		}
	}
	if fi, _ := os.Stat(name); fi.Mode().Perm() != 0o600 {
		t.Errorf("backup mode %v", fi.Mode().Perm())
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(base), ".safeclaw-tmp-*"))
	if len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}
