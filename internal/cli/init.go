package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/safeclaw/safeclaw/config"
	"github.com/safeclaw/safeclaw/policy"
)

const initUsage = `Usage: safeclaw init [--force]

Writes the built-in default policy to policy.yaml and a commented config.yaml
in safeclaw's config directory (~/.config/safeclaw, or $SAFECLAW_HOME), and
creates the state directory (audit trail, approvals, keys) with private
permissions. Existing files are kept unless --force is given.
`

func runInit(_ context.Context, e *Env, args []string) int {
	flags := newFlags(e, "init", initUsage)
	force := flags.Bool("force", false, "overwrite existing policy.yaml and config.yaml")
	if code, ok := parseFlags(e, flags, args); !ok {
		return code
	}
	if flags.NArg() > 0 {
		return errorf(e, "init: unexpected argument %q", flags.Arg(0))
	}
	if err := os.MkdirAll(e.ConfigDir, 0o755); err != nil {
		return errorf(e, "init: %v", err)
	}
	for _, d := range []string{e.StateDir, e.KeyDir(), e.AuditDir()} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return errorf(e, "init: %v", err)
		}
	}
	files := []struct {
		name string
		data []byte
	}{
		{"policy.yaml", policy.Default()},
		{"config.yaml", config.DefaultYAML()},
	}
	for _, f := range files {
		path := filepath.Join(e.ConfigDir, f.name)
		if _, err := os.Stat(path); err == nil && !*force {
			fmt.Fprintf(e.Stdout, "kept %s (exists; --force overwrites)\n", path)
			continue
		} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return errorf(e, "init: %v", err)
		}
		if err := writeFileAtomic(path, f.data, 0o644); err != nil {
			return errorf(e, "init: write %s: %v", path, err)
		}
		fmt.Fprintf(e.Stdout, "wrote %s\n", path)
	}
	if err := e.initState(); err != nil {
		return errorf(e, "init: %v", err)
	}
	fmt.Fprintf(e.Stdout, "state in %s\nnext: edit the policy, then 'safeclaw policy lint' and 'safeclaw install claude'\n", e.StateDir)
	return exitOK
}
