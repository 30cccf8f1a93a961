package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

const trustUsage = `Usage: safeclaw trust [--revoke] [FILE]

A project policy (.safeclaw/policy.yaml or safeclaw.policy.yaml, found walking
up from the current directory) lives in the repository, where the agent can
write. Until a person trusts its exact content, only its deny and ask rules
count. trust pins the file's current content by hash; any later change makes
it untrusted again. --revoke removes the pin.
`

func runTrust(_ context.Context, e *Env, args []string) int {
	fs := newFlags(e, "trust", trustUsage)
	revoke := fs.Bool("revoke", false, "stop trusting the file")
	if code, ok := parseFlags(e, fs, args); !ok {
		return code
	}
	path := ""
	switch fs.NArg() {
	case 0:
		path = findProjectPolicy(e.Cwd)
		if path == "" {
			return hintf(e, "name the file: safeclaw trust path/to/safeclaw.policy.yaml", "trust: no project policy found from %s", e.Cwd)
		}
	case 1:
		path = fs.Arg(0)
	default:
		return errorf(e, "trust: give at most one file")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return errorf(e, "trust: %v", err)
	}
	m := e.trusted()
	if *revoke {
		delete(m, abs)
	} else {
		data, err := readBounded(abs)
		if err != nil {
			return errorf(e, "trust: %v", err)
		}
		// Only a valid policy can be trusted.
		if _, err := compileData(abs, data, e.policyOptions()); err != nil {
			return errorf(e, "trust: %v", err)
		}
		m[abs] = contentHash(data)
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return errorf(e, "trust: %v", err)
	}
	if err := os.MkdirAll(e.StateDir, 0o700); err != nil {
		return errorf(e, "trust: %v", err)
	}
	if err := writeFileAtomic(e.trustFile(), append(data, '\n'), 0o600); err != nil {
		return errorf(e, "trust: %v", err)
	}
	if *revoke {
		fmt.Fprintf(e.Stdout, "no longer trusted: %s\n", abs)
	} else {
		fmt.Fprintf(e.Stdout, "trusted %s (%s)\n", abs, m[abs])
	}
	return exitOK
}
