package sandbox

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// LookupFunc resolves a host name to its addresses (net.Resolver's
// LookupNetIP with network "ip" fits).
type LookupFunc func(ctx context.Context, host string) ([]netip.Addr, error)

// Defaults of a [HostTable].
const (
	// HostRefresh is how often [HostTable.Run] resolves the names again.
	HostRefresh = 60 * time.Second
	// HostKeep is how long an address stays attached to a name after the
	// name last resolved to it: programs cache answers for their TTL.
	HostKeep = 10 * time.Minute
	// hostMissGap is the least time between two refreshes caused by a
	// connect to an address no name resolved to (a CDN that rotated).
	hostMissGap = 5 * time.Second
	// hostLookupTimeout bounds one refresh.
	hostLookupTimeout = 3 * time.Second
)

// HostTable maps addresses to the host names of connect rules they resolved
// from. The kernel only sees addresses; the supervisor adds a facet per
// name an address belongs to, so `host: api.example.com` matches a connect
// to one of its addresses. The table is filled by resolving the names
// itself (at start, every [HostRefresh], and on a miss at most every few
// seconds), not by watching the target's own DNS answers, so an address the
// target got from elsewhere (another resolver, DNS over HTTPS, a CDN edge
// that only its resolver returns) is not named. It is safe for concurrent use.
type HostTable struct {
	lookup LookupFunc
	now    func() time.Time
	keep   time.Duration

	refreshMu sync.Mutex // one refresh at a time
	mu        sync.RWMutex
	names     []string                            // the names to resolve (SetNames replaces them)
	seen      map[netip.Addr]map[string]time.Time // address → name → last resolved
	last      time.Time                           // start of the last refresh
	errs      []string                            // names that failed at the last refresh
}

// NewHostTable returns a table for names (lower-case host names without a
// trailing dot), resolved with lookup. now is the clock (nil: time.Now).
func NewHostTable(names []string, lookup LookupFunc, now func() time.Time) *HostTable {
	if now == nil {
		now = time.Now
	}
	return &HostTable{names: append([]string(nil), names...), lookup: lookup, now: now, keep: HostKeep,
		seen: map[netip.Addr]map[string]time.Time{}}
}

// hasNames reports whether the table has names to resolve.
func (h *HostTable) hasNames() bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.names) > 0
}

// SetNames replaces the names to resolve (a policy reloaded with other
// connect rules) and forgets the addresses of names no longer there. It
// reports whether the names changed; new names are resolved by the next
// [HostTable.Refresh].
func (h *HostTable) SetNames(names []string) bool {
	next := append([]string(nil), names...)
	sort.Strings(next)
	next = slices.Compact(next)
	h.mu.Lock()
	defer h.mu.Unlock()
	cur := append([]string(nil), h.names...)
	sort.Strings(cur)
	if slices.Equal(cur, next) {
		return false
	}
	h.names = next
	for addr, m := range h.seen {
		for name := range m {
			if !slices.Contains(next, name) {
				delete(m, name)
			}
		}
		if len(m) == 0 {
			delete(h.seen, addr)
		}
	}
	return true
}

// Refresh resolves every name once. It returns an error naming the names
// that could not be resolved; the others are recorded anyway, and
// addresses resolved before stay until they expire.
func (h *HostTable) Refresh(ctx context.Context) error {
	if h == nil {
		return nil
	}
	h.refreshMu.Lock()
	defer h.refreshMu.Unlock()
	start := h.now()
	h.mu.Lock()
	h.last = start
	names := h.names
	h.mu.Unlock()
	if len(names) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, hostLookupTimeout)
	defer cancel()
	var failed []string
	type answer struct {
		name  string
		addrs []netip.Addr
	}
	var answers []answer
	for _, name := range names {
		addrs, err := h.lookup(ctx, name)
		if err != nil {
			failed = append(failed, fmt.Sprintf("%s (%v)", name, err))
			continue
		}
		answers = append(answers, answer{name, addrs})
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, a := range answers {
		if !slices.Contains(h.names, a.name) {
			continue // dropped by SetNames meanwhile
		}
		for _, addr := range a.addrs {
			addr = addr.Unmap().WithZone("")
			m := h.seen[addr]
			if m == nil {
				m = map[string]time.Time{}
				h.seen[addr] = m
			}
			m[a.name] = start
		}
	}
	h.expire(start)
	h.errs = failed
	if len(failed) > 0 {
		return fmt.Errorf("cannot resolve host names of connect rules: %s", strings.Join(failed, ", "))
	}
	return nil
}

// expire drops names not resolved to an address for longer than keep.
// The caller holds h.mu.
func (h *HostTable) expire(now time.Time) {
	for addr, m := range h.seen {
		for name, t := range m {
			if now.Sub(t) > h.keep {
				delete(m, name)
			}
		}
		if len(m) == 0 {
			delete(h.seen, addr)
		}
	}
}

// Names returns the names addr resolved from recently, sorted. On a miss it
// resolves the names again, unless that was done in the last few seconds,
// so a connect to a freshly rotated CDN address is still named.
func (h *HostTable) Names(ctx context.Context, addr netip.Addr) []string {
	if h == nil || !h.hasNames() {
		return nil
	}
	addr = addr.Unmap().WithZone("")
	if names := h.cached(addr); names != nil {
		return names
	}
	h.mu.RLock()
	stale := h.now().Sub(h.last) >= hostMissGap
	h.mu.RUnlock()
	if !stale {
		return nil
	}
	_ = h.Refresh(ctx) // failures leave the known addresses in place
	return h.cached(addr)
}

func (h *HostTable) cached(addr netip.Addr) []string {
	h.mu.RLock()
	defer h.mu.RUnlock()
	m := h.seen[addr]
	if len(m) == 0 {
		return nil
	}
	now := h.now()
	out := make([]string, 0, len(m))
	for name, t := range m {
		if now.Sub(t) <= h.keep {
			out = append(out, name)
		}
	}
	if len(out) == 0 {
		return nil
	}
	sort.Strings(out)
	return out
}

// Run refreshes the table every interval (zero: [HostRefresh]) until ctx
// ends. Failures are passed to report (which may be nil).
func (h *HostTable) Run(ctx context.Context, interval time.Duration, report func(error)) {
	if h == nil {
		return
	}
	if interval <= 0 {
		interval = HostRefresh
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if err := h.Refresh(ctx); err != nil && report != nil {
				report(err)
			}
		}
	}
}
