// Package ptytest opens pseudo-terminals for tests: approving a request
// needs a terminal (so that an agent cannot approve from a script), and the
// tests that play the person type at one.
//
// Linux only; elsewhere [Open] skips the test.
package ptytest

import (
	"os"
	"testing"
)

// New opens a pseudo-terminal and returns its master and the path of its
// slave; the caller closes the master.
func New() (master *os.File, slave string, err error) { return open() }

// Open returns a new pseudo-terminal's master and the path of its slave,
// skipping the test when there is none. The master is closed when the test
// ends.
func Open(t testing.TB) (master *os.File, slave string) {
	t.Helper()
	m, name, err := open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	return m, name
}

// Pair returns a new pseudo-terminal's master and its slave opened for
// reading and writing, both closed when the test ends.
func Pair(t testing.TB) (master, slave *os.File) {
	t.Helper()
	m, name := Open(t)
	s, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		t.Skipf("open %s: %v", name, err)
	}
	t.Cleanup(func() { s.Close() })
	return m, s
}
