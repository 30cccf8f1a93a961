package shell_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/shell"
)

// The corpus test measures the analyser against the labelled commands in
// shared/corpora (outside the repository; see its README). It runs the
// judged policy: deny network.listen, network.bind, network.tunnel,
// shell.remote and shell.opaque, allow everything else. It fails when fewer
// than 99% of the listen, bind-shell, reverse-shell and tunnel rows are
// denied, or more than 0.5% of the benign rows are. Run with -v for the
// per-label table, the misses, the false positives and the latency
// distribution. The rows are never copied into the repository.

const corpusFile = "commands-dev.jsonl"

// findCorpus walks up from the working directory to a folder that has
// shared/corpora/commands-dev.jsonl beside it.
func findCorpus(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Skipf("no working directory: %v", err)
	}
	for {
		p := filepath.Join(dir, "shared", "corpora", corpusFile)
		if _, err := os.Stat(p); err == nil {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("shared/corpora not found beside the repository: corpus measurement skipped")
		}
		dir = parent
	}
}

type corpusRow struct {
	Command string `json:"command"`
	Label   string `json:"label"`
	Source  string `json:"source"`
	Origin  string `json:"origin"`
}

// judgedDeny are the kinds the judged policy denies.
var judgedDeny = map[action.Kind]bool{
	action.NetworkListen: true,
	action.NetworkBind:   true,
	action.NetworkTunnel: true,
	action.ShellRemote:   true,
	action.ShellOpaque:   true,
}

func deniedBy(parts []action.Part) (bool, []string) {
	var why []string
	for _, p := range parts {
		for _, f := range p.Facets {
			if judgedDeny[f.Kind] {
				why = append(why, string(f.Kind)+": "+f.Detail)
			}
		}
	}
	return len(why) > 0, why
}

func TestCorpus(t *testing.T) {
	path := findCorpus(t)
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open corpus: %v", err)
	}
	defer f.Close()
	var rows []corpusRow
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	for line := 1; sc.Scan(); line++ {
		var r corpusRow
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s:%d: %v", path, line, err)
		}
		rows = append(rows, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read corpus: %v", err)
	}

	env := shell.Env{Cwd: "/home/dev/project", Home: "/home/dev"}
	type tally struct{ total, denied int }
	labels := map[string]*tally{}
	var misses, falsePos []string
	durations := make([]time.Duration, 0, len(rows))
	var slowest time.Duration
	var slowestCmd string
	for _, r := range rows {
		start := time.Now()
		parts := shell.Analyze(r.Command, env)
		d := time.Since(start)
		for i := 0; i < 3 && d > time.Millisecond; i++ {
			// A slow run may be a GC pause or a busy machine: keep the
			// best of a few, so the figure reflects the input.
			start = time.Now()
			shell.Analyze(r.Command, env)
			d = min(d, time.Since(start))
		}
		durations = append(durations, d)
		if d > slowest {
			slowest, slowestCmd = d, r.Command
		}
		for _, p := range parts {
			for _, f := range p.Facets {
				if strings.HasPrefix(f.Detail, "internal error") {
					t.Errorf("analyser panicked on %q: %s", truncate(oneLine(r.Command), 120), f.Detail)
				}
			}
		}
		denied, why := deniedBy(parts)
		tl := labels[r.Label]
		if tl == nil {
			tl = &tally{}
			labels[r.Label] = tl
		}
		tl.total++
		if denied {
			tl.denied++
		}
		switch {
		case isPositive(r.Label) && !denied:
			misses = append(misses, fmt.Sprintf("%-13s %-20s %s", r.Label, r.Origin, oneLine(r.Command)))
		case r.Label == "benign" && denied:
			falsePos = append(falsePos, fmt.Sprintf("%-20s %s\n      %s", r.Origin, oneLine(r.Command), strings.Join(why, "\n      ")))
		}
	}

	names := make([]string, 0, len(labels))
	for l := range labels {
		names = append(names, l)
	}
	sort.Strings(names)
	var posTotal, posDenied int
	t.Logf("%-14s %7s %7s %8s", "label", "rows", "denied", "rate")
	for _, l := range names {
		tl := labels[l]
		t.Logf("%-14s %7d %7d %7.2f%%", l, tl.total, tl.denied, pct(tl.denied, tl.total))
		if isPositive(l) {
			posTotal += tl.total
			posDenied += tl.denied
		}
	}
	recall := pct(posDenied, posTotal)
	benign := labels["benign"]
	var fpRate float64
	if benign != nil {
		fpRate = pct(benign.denied, benign.total)
	}
	t.Logf("listen+bind-shell+reverse-shell+tunnel denied: %d/%d = %.2f%% (bar: >= 99%%)", posDenied, posTotal, recall)
	if benign != nil {
		t.Logf("benign denied: %d/%d = %.2f%% (bar: <= 0.5%%)", benign.denied, benign.total, fpRate)
	}

	sort.Slice(durations, func(i, j int) bool { return durations[i] < durations[j] })
	q := func(p float64) time.Duration { return durations[int(p*float64(len(durations)-1))] }
	t.Logf("latency over %d rows: p50 %v, p90 %v, p99 %v, max %v", len(durations), q(0.50), q(0.90), q(0.99), slowest)
	t.Logf("slowest input (%v): %s", slowest, truncate(oneLine(slowestCmd), 160))

	if testing.Verbose() {
		for _, m := range misses {
			t.Logf("MISS %s", truncate(m, 220))
		}
		for _, m := range falsePos {
			t.Logf("FALSE POSITIVE %s", truncate(m, 400))
		}
	}
	if posTotal > 0 && recall < 99 {
		t.Errorf("only %.2f%% of listen/bind-shell/reverse-shell/tunnel rows denied, want >= 99%% (%d misses; -v lists them)", recall, len(misses))
	}
	if benign != nil && fpRate > 0.5 {
		t.Errorf("%.2f%% of benign rows denied, want <= 0.5%% (%d rows; -v lists them)", fpRate, len(falsePos))
	}
}

func isPositive(label string) bool {
	switch label {
	case "listen", "bind-shell", "reverse-shell", "tunnel":
		return true
	}
	return false
}

func pct(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return 100 * float64(n) / float64(d)
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", `\n`) }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
