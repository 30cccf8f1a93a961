// Package catalog knows what programs do: given one command's argv it derives
// the network, tunnel, remote-shell and file facets that the command implies
// (python -m http.server → network.listen{port: 8000}).
//
// It knows programs, not shell syntax: the shell package parses text, peels
// wrappers and handles redirections and pipelines, then asks [Detect] about
// each simple command.
package catalog

import "github.com/safeclaw/safeclaw/action"

// Command is one simple command as the shell package resolved it.
type Command struct {
	// Views are the command's argv from the outside in; the last view is
	// the program that actually runs (sudo -u www nc -l 80 → nc -l 80).
	Views []action.Argv
	Cwd   string // absolute working directory, "" when unknown
	Home  string // the user's home directory, for ~
	// ReadFile reads a file the command leads to (package.json for npm run);
	// nil means read nothing.
	ReadFile func(name string) ([]byte, error)
}

// Result is what a command implies beyond its own shell.execute facet.
type Result struct {
	Facets []action.Action
	// Scripts are shell texts the command runs indirectly (an npm script's
	// body); the shell package analyses them and adds their facets to the part.
	Scripts []Script
}

// Script is a shell text a command runs indirectly.
type Script struct {
	Text   string
	Origin string // e.g. "package.json scripts.dev"
}

// Detect returns the facets the command implies.
func Detect(c Command) Result {
	return Result{}
}

// CanonicalPath makes p absolute and clean: ~ expanded with home, relative
// paths joined to cwd, ".." and "//" resolved, symlinks on the existing prefix
// resolved. It returns p cleaned when it cannot do better.
func CanonicalPath(p, cwd, home string) string {
	return p
}
