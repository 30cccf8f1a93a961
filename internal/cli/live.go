package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/hook"
)

// policyPoll is how often a long-running surface (serve, mcp, run) checks
// its policy files for changes.
const policyPoll = time.Second

// liveGate is the gate of a long-running surface (serve, mcp, run), rebuilt
// when the policy changes: polled every policyPoll, and on SIGHUP. A policy
// that does not load keeps the previous one, and says so. Requests hold a
// reference on the generation they use, so a replaced gate is closed only
// after its last request finished.
type liveGate struct {
	e        *Env
	surface  string // what openGate builds the gate for
	agent    string
	label    string // names the surface in messages: "serve", "mcp", "run"
	policies []string
	logf     func(format string, args ...any)
	// reloaded, when set, is told of each new generation (run: the host
	// names its connect rules need resolved).
	reloaded func(*gateHandle)

	cur      atomic.Pointer[gateGen]
	mu       sync.Mutex // serialises reloads
	print    string     // fingerprint of the policy files at the last (re)load attempt
	retiring sync.WaitGroup
}

type gateGen struct {
	h    *gateHandle
	refs atomic.Int64
}

func (e *Env) newLiveGate(ctx context.Context, surface, agent, label string, policies []string, logf func(string, ...any)) (*liveGate, error) {
	l := &liveGate{e: e, surface: surface, agent: agent, label: label, policies: policies, logf: logf}
	l.print = e.policyFingerprint(policies)
	h, err := l.open(ctx)
	if err != nil {
		return nil, err
	}
	l.cur.Store(&gateGen{h: h})
	return l, nil
}

// open builds one generation: the gate and the policy it decides with.
func (l *liveGate) open(ctx context.Context) (*gateHandle, error) {
	h, err := l.e.openGate(ctx, l.surface, l.agent, l.policies...)
	if err != nil {
		return nil, err
	}
	if h.ps == nil {
		// A gate that asks the run supervisor: checks without recording
		// read the policy this process can see, as they always did.
		if h.ps, err = l.e.loadPolicies(l.policies); err != nil {
			h.close()
			return nil, err
		}
	}
	return h, nil
}

// acquire returns the current generation with a reference held.
func (l *liveGate) acquire() *gateGen {
	for {
		g := l.cur.Load()
		g.refs.Add(1)
		if l.cur.Load() == g {
			return g
		}
		// Replaced in between: the retiring side may not count this one.
		g.refs.Add(-1)
	}
}

func (g *gateGen) release() { g.refs.Add(-1) }

// Decide is the surface's DecideFunc: the current gate's.
func (l *liveGate) Decide(ctx context.Context, req *action.Request) (action.Decision, error) {
	g := l.acquire()
	defer g.release()
	return g.h.decide(ctx, req)
}

// DecideIfAllowed is the current gate's DecideIfAllowed: the policy is
// asked once, and only an allow is decided and recorded.
func (l *liveGate) DecideIfAllowed(ctx context.Context, req *action.Request) (action.Decision, bool, error) {
	g := l.acquire()
	defer g.release()
	if g.h.decideIfAllowed == nil {
		// A gate that asks the run supervisor: check here, then decide there.
		if pre := g.h.ps.decide(req); pre.Effect != action.Allow {
			return pre, false, nil
		}
		d, err := g.h.decide(ctx, req)
		return d, true, err
	}
	return g.h.decideIfAllowed(ctx, req)
}

// Check decides req with the current policy alone: nothing is recorded or
// asked (MCP's tools/list filter, run's exec probe).
func (l *liveGate) Check(req *action.Request) action.Decision {
	g := l.acquire()
	defer g.release()
	return g.h.ps.decide(req)
}

// policy returns the current generation's policy layers.
func (l *liveGate) policy() *policySet {
	g := l.acquire()
	defer g.release()
	return g.h.ps
}

// reload rebuilds the gate when the policy files changed since the last
// attempt, or always when force (SIGHUP). changed says a reload was tried;
// on error the previous gate stays in force.
func (l *liveGate) reload(ctx context.Context, force bool) (changed bool, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fp := l.e.policyFingerprint(l.policies)
	if !force && fp == l.print {
		return false, nil
	}
	// Remembered even when the load fails, so that a broken file is
	// reported once, not every second; fixing it changes the print again.
	l.print = fp
	h, err := l.open(ctx)
	if err != nil {
		l.logf("safeclaw: %s: policy reload failed; keeping the previous policy: %v", l.label, err)
		return true, err
	}
	old := l.cur.Swap(&gateGen{h: h})
	l.logf("safeclaw: %s: policy reloaded", l.label)
	if l.reloaded != nil {
		l.reloaded(h)
	}
	l.retiring.Add(1)
	go func() {
		defer l.retiring.Done()
		l.retire(old)
	}()
	return true, nil
}

// watch reloads on changes (polled) and on each value from hup until ctx
// ends; after, when set, hears of every reload tried.
func (l *liveGate) watch(ctx context.Context, hup <-chan os.Signal, after func(err error)) {
	tick := time.NewTicker(policyPoll)
	defer tick.Stop()
	for {
		force := false
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case _, ok := <-hup:
			if !ok {
				hup = nil
				continue
			}
			force = true
		}
		if changed, err := l.reload(ctx, force); changed && after != nil {
			after(err)
		}
	}
}

// retire closes a replaced generation once no request uses it (or after a
// person's longest wait, when something holds it that long).
func (l *liveGate) retire(g *gateGen) {
	deadline := time.Now().Add(hook.WaitTimeout + 30*time.Second)
	for g.refs.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if err := g.h.close(); err != nil {
		l.logf("safeclaw: %s: warning: closing the previous gate: %v", l.label, err)
	}
}

// close closes the current gate after the retiring ones.
func (l *liveGate) close() {
	l.retiring.Wait()
	if g := l.cur.Load(); g != nil {
		if err := g.h.close(); err != nil {
			l.logf("safeclaw: %s: warning: closing the audit trail: %v", l.label, err)
		}
	}
}

// policyFingerprint describes every file the policy and the gate are built
// from (size, mode and modification time, or absence), so that any edit,
// creation or removal changes it.
func (e *Env) policyFingerprint(policies []string) string {
	var paths []string
	add := func(p string) {
		if p != "" {
			paths = append(paths, p)
		}
	}
	if len(policies) == 0 {
		add(filepath.Join(e.ConfigDir, "policy.yaml"))
	}
	for _, p := range policies {
		add(p)
		if entries, err := os.ReadDir(p); err == nil {
			for _, en := range entries {
				add(filepath.Join(p, en.Name()))
			}
		}
	}
	managed := e.Getenv("SAFECLAW_MANAGED_POLICY")
	if managed == "" {
		managed = "/etc/safeclaw/policy.yaml"
	}
	add(managed)
	add(filepath.Join(e.ConfigDir, "config.yaml"))
	add(e.alwaysPolicyPath())
	add(e.trustFile())
	add(findProjectPolicy(e.Cwd))
	for _, name := range projectPolicyNames {
		add(filepath.Join(e.Cwd, name))
	}
	sort.Strings(paths)
	var b strings.Builder
	for _, p := range paths {
		b.WriteString(p)
		if st, err := os.Stat(p); err == nil {
			fmt.Fprintf(&b, " %d %o %d\n", st.Size(), st.Mode(), st.ModTime().UnixNano())
		} else {
			b.WriteString(" -\n")
		}
	}
	return b.String()
}
