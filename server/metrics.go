package server

import (
	"bufio"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/safeclaw/safeclaw/action"
)

// latencyBuckets are the histogram's upper bounds in seconds: decisions
// take tens of microseconds, waits for a person minutes.
var latencyBuckets = [...]float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60, 300}

// routes that decide, for the decisions counter.
const (
	routeDecide = "decide"
	routeHook   = "hook"
)

// metrics are the counters /metrics exposes. Hot-path updates are atomic.
type metrics struct {
	decisions [2][3]atomic.Uint64 // [route][effect]
	failed    [2]atomic.Uint64    // requests denied because something failed
	buckets   [len(latencyBuckets) + 1]atomic.Uint64
	sumNanos  atomic.Uint64
	count     atomic.Uint64
	reloadOK  atomic.Uint64
	reloadBad atomic.Uint64

	mu      sync.Mutex
	errors  map[int]uint64    // HTTP error responses by status
	refusal map[string]uint64 // refused before routing, by reason
}

func newMetrics() *metrics {
	return &metrics{errors: map[int]uint64{}, refusal: map[string]uint64{}}
}

// Metrics are counters that several handlers of one daemon (its Unix
// socket and its TCP listener) share, so that each /metrics shows the
// daemon's totals.
type Metrics struct{ m *metrics }

// NewMetrics returns fresh shared counters.
func NewMetrics() *Metrics { return &Metrics{m: newMetrics()} }

func routeIndex(route string) int {
	if route == routeHook {
		return 1
	}
	return 0
}

// decided counts one answered decision and its latency.
func (m *metrics) decided(route string, eff action.Effect, took time.Duration) {
	e := 0
	switch eff {
	case action.Allow:
		e = 1
	case action.Ask:
		e = 2
	}
	m.decisions[routeIndex(route)][e].Add(1)
	m.observe(took)
}

// failure counts a request denied because no decision was reached.
func (m *metrics) failure(route string, took time.Duration) {
	m.failed[routeIndex(route)].Add(1)
	m.observe(took)
}

func (m *metrics) observe(took time.Duration) {
	s := took.Seconds()
	i := sort.SearchFloat64s(latencyBuckets[:], s)
	m.buckets[i].Add(1)
	m.sumNanos.Add(uint64(max(took, 0)))
	m.count.Add(1)
}

func (m *metrics) httpError(status int) {
	m.mu.Lock()
	m.errors[status]++
	m.mu.Unlock()
}

func (m *metrics) refused(reason string) {
	if reason == "" {
		return
	}
	m.mu.Lock()
	m.refusal[reason]++
	m.mu.Unlock()
}

func (m *metrics) reload(ok bool) {
	if ok {
		m.reloadOK.Add(1)
	} else {
		m.reloadBad.Add(1)
	}
}

func (h *Handler) serveMetrics(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	bw := bufio.NewWriter(w)
	h.metrics.write(bw)
	_ = bw.Flush()
}

// write renders the Prometheus text exposition format.
func (m *metrics) write(w *bufio.Writer) {
	fmt.Fprintln(w, "# HELP safeclaw_decisions_total Decisions answered, by route and effect (shadow mode counts what the agent was told).")
	fmt.Fprintln(w, "# TYPE safeclaw_decisions_total counter")
	for r, route := range []string{routeDecide, routeHook} {
		for e, eff := range []string{"deny", "allow", "ask"} {
			fmt.Fprintf(w, "safeclaw_decisions_total{route=\"%s\",effect=\"%s\"} %d\n", escapeLabel(route), escapeLabel(eff), m.decisions[r][e].Load())
		}
	}
	fmt.Fprintln(w, "# HELP safeclaw_decision_failures_total Requests denied because no decision was reached (bad input, internal error, timeout).")
	fmt.Fprintln(w, "# TYPE safeclaw_decision_failures_total counter")
	for r, route := range []string{routeDecide, routeHook} {
		fmt.Fprintf(w, "safeclaw_decision_failures_total{route=\"%s\"} %d\n", escapeLabel(route), m.failed[r].Load())
	}

	fmt.Fprintln(w, "# HELP safeclaw_decision_duration_seconds Time to answer a decision, waits for a person included.")
	fmt.Fprintln(w, "# TYPE safeclaw_decision_duration_seconds histogram")
	var cum uint64
	for i, b := range latencyBuckets {
		cum += m.buckets[i].Load()
		fmt.Fprintf(w, "safeclaw_decision_duration_seconds_bucket{le=\"%s\"} %d\n", strconv.FormatFloat(b, 'g', -1, 64), cum)
	}
	cum += m.buckets[len(latencyBuckets)].Load()
	fmt.Fprintf(w, "safeclaw_decision_duration_seconds_bucket{le=\"+Inf\"} %d\n", cum)
	fmt.Fprintf(w, "safeclaw_decision_duration_seconds_sum %s\n", strconv.FormatFloat(float64(m.sumNanos.Load())/1e9, 'g', -1, 64))
	fmt.Fprintf(w, "safeclaw_decision_duration_seconds_count %d\n", m.count.Load())

	fmt.Fprintln(w, "# HELP safeclaw_policy_reloads_total Policy reloads, by result (a failed reload keeps the previous policy).")
	fmt.Fprintln(w, "# TYPE safeclaw_policy_reloads_total counter")
	fmt.Fprintf(w, "safeclaw_policy_reloads_total{result=\"ok\"} %d\n", m.reloadOK.Load())
	fmt.Fprintf(w, "safeclaw_policy_reloads_total{result=\"error\"} %d\n", m.reloadBad.Load())

	m.mu.Lock()
	statuses := make([]int, 0, len(m.errors))
	for s := range m.errors {
		statuses = append(statuses, s)
	}
	sort.Ints(statuses)
	reasons := make([]string, 0, len(m.refusal))
	for r := range m.refusal {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	fmt.Fprintln(w, "# HELP safeclaw_http_errors_total Error responses, by HTTP status.")
	fmt.Fprintln(w, "# TYPE safeclaw_http_errors_total counter")
	for _, s := range statuses {
		fmt.Fprintf(w, "safeclaw_http_errors_total{code=\"%d\"} %d\n", s, m.errors[s])
	}
	fmt.Fprintln(w, "# HELP safeclaw_http_refused_total Requests refused before routing, by reason (origin, host, token).")
	fmt.Fprintln(w, "# TYPE safeclaw_http_refused_total counter")
	for _, r := range reasons {
		fmt.Fprintf(w, "safeclaw_http_refused_total{reason=\"%s\"} %d\n", escapeLabel(r), m.refusal[r])
	}
	m.mu.Unlock()
}

// labelEscaper escapes a label value as the text format wants it: only
// backslash, double quote and line feed (Go's %q would also escape tabs and
// other runes, which the format does not know).
var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

// escapeLabel returns s escaped for use between a label's quotes.
func escapeLabel(s string) string { return labelEscaper.Replace(s) }
