package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/safeclaw/safeclaw/action"
)

// cwdPolicies gives each request the policy compiled for its own working
// directory, for a server that decides for clients working in many
// projects (serve): the workspace of ${workspace} rules, the project policy
// and the project files safeclaw protects all follow from the directory.
// A request without one gets the server's own. Compiled sets are kept per
// directory (a bounded number) and rechecked every cwdRecheck, so a
// project policy or repository created meanwhile is seen.
type cwdPolicies struct {
	e     *Env
	files []string
	own   *policySet // for e.Cwd

	mu      sync.Mutex
	entries map[string]*cwdEntry
}

type cwdEntry struct {
	ps      *policySet
	err     error
	key     string // what the policy was compiled from (workspace, project policy)
	checked time.Time
}

const (
	cwdRecheck    = 2 * time.Second
	maxCwdEntries = 64
)

func newCwdPolicies(e *Env, files []string, own *policySet) *cwdPolicies {
	return &cwdPolicies{e: e, files: files, own: own, entries: map[string]*cwdEntry{}}
}

// decide decides req with the policy of req.Cwd. A directory whose policy
// does not load is denied, with why.
func (c *cwdPolicies) decide(req *action.Request) action.Decision {
	ps, err := c.forDir(req.Cwd)
	if err != nil {
		return action.Decision{Effect: action.Deny, Part: -1,
			Reason: fmt.Sprintf("the policy for the request's directory %s does not load: %v", req.Cwd, err)}
	}
	return ps.decide(req)
}

func (c *cwdPolicies) forDir(dir string) (*policySet, error) {
	if dir == "" || !filepath.IsAbs(dir) {
		return c.own, nil
	}
	dir = filepath.Clean(dir)
	if dir == filepath.Clean(c.e.Cwd) {
		return c.own, nil
	}
	now := time.Now()
	c.mu.Lock()
	en := c.entries[dir]
	c.mu.Unlock()
	if en != nil && now.Sub(en.checked) < cwdRecheck {
		return en.ps, en.err
	}
	key := c.keyOf(dir)
	if en != nil && en.key == key {
		c.mu.Lock()
		en.checked = now
		c.mu.Unlock()
		return en.ps, en.err
	}
	local := *c.e
	local.Cwd = dir
	ps, err := local.loadPolicies(c.files)
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= maxCwdEntries {
		clear(c.entries) // rare: many projects; compiling again is cheap
	}
	c.entries[dir] = &cwdEntry{ps: ps, err: err, key: key, checked: now}
	return ps, err
}

// keyOf describes what a directory's policy is compiled from.
func (c *cwdPolicies) keyOf(dir string) string {
	key := findWorkspace(dir) + "\x00"
	if p := findProjectPolicy(dir); p != "" {
		key += p
		if st, err := os.Stat(p); err == nil {
			key += fmt.Sprintf(" %d %d", st.Size(), st.ModTime().UnixNano())
		}
	}
	return key
}
