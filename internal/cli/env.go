package cli

import (
	"io"
	"os"
	"path/filepath"
	"time"
)

// Env is everything a subcommand may touch of the outside world. Tests build
// their own; only [OSEnv] reads the real process environment.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	Now            func() time.Time
	Cwd            string
	Home           string // the user's home directory
	// ConfigDir holds policy.yaml and config.yaml; StateDir holds the audit
	// trail, approvals and keys. Under SAFECLAW_HOME when set, else XDG.
	ConfigDir string
	StateDir  string
	// SystemDir is the root of the agents' machine-wide (managed) settings:
	// "" is "/", as in /etc/claude-code. Tests point it elsewhere.
	SystemDir string
}

// systemPath is a machine-wide path (rooted at SystemDir).
func (e *Env) systemPath(path string) string {
	if e.SystemDir == "" {
		return path
	}
	return filepath.Join(e.SystemDir, path)
}

// OSEnv returns the Env of this process.
func OSEnv() *Env {
	cwd, _ := os.Getwd()
	home, _ := os.UserHomeDir()
	e := &Env{
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		Getenv: os.Getenv, Now: time.Now, Cwd: cwd, Home: home,
	}
	e.resolveDirs()
	return e
}

// resolveDirs fills ConfigDir and StateDir from SAFECLAW_HOME or XDG.
func (e *Env) resolveDirs() {
	if h := e.Getenv("SAFECLAW_HOME"); h != "" {
		e.ConfigDir, e.StateDir = h, filepath.Join(h, "state")
		return
	}
	cfg := e.Getenv("XDG_CONFIG_HOME")
	if cfg == "" {
		cfg = filepath.Join(e.Home, ".config")
	}
	state := e.Getenv("XDG_STATE_HOME")
	if state == "" {
		state = filepath.Join(e.Home, ".local", "state")
	}
	e.ConfigDir, e.StateDir = filepath.Join(cfg, "safeclaw"), filepath.Join(state, "safeclaw")
}

// AuditDir is where the audit trail lives.
func (e *Env) AuditDir() string { return filepath.Join(e.StateDir, "audit") }

// KeyDir holds safeclaw's keys (0700), outside the audit trail.
func (e *Env) KeyDir() string { return filepath.Join(e.StateDir, "keys") }
