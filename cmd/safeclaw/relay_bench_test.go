package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/safeclaw/safeclaw/mcpproxy/mcptest"
)

// BenchmarkMCPRelay measures what `safeclaw mcp` adds to one tools/call
// relayed over stdio, as an agent sees it: client, proxy and upstream are
// three processes (the proxy with its defaults: the real gate, the audit
// trail durable). The same call goes to the same kind of upstream directly
// and through the proxy, alternating; it reports both medians and the
// median of the per-pair differences (added-µs), which drifting machine
// load affects least.
func BenchmarkMCPRelay(b *testing.B) {
	safeclaw, err := exec.LookPath("safeclaw")
	if err != nil {
		b.Skip("no safeclaw command on PATH (testscript.Main provides it)")
	}
	dir := b.TempDir()
	pol := filepath.Join(dir, "policy.yaml")
	os.WriteFile(pol, []byte("version: 1\nrules:\n  - name: queries\n    action: mcp.call\n    server: db\n    tool: run_query\n    effect: allow\n"), 0o600)
	env := append(os.Environ(), "SAFECLAW_HOME="+filepath.Join(dir, "home"), mcptest.ChildEnv+"="+filepath.Join(dir, "upstream.log"))
	ctx := context.Background()
	connect := func(name string, args ...string) *mcp.ClientSession {
		cmd := exec.Command(name, args...)
		cmd.Env = env
		cs, err := mcp.NewClient(&mcp.Implementation{Name: "bench", Version: "1"}, nil).Connect(ctx,
			&mcp.CommandTransport{Command: cmd}, &mcp.ClientSessionOptions{ProtocolVersion: "2025-11-25"})
		if err != nil {
			b.Fatal(err)
		}
		return cs
	}
	direct := connect(os.Args[0])
	defer direct.Close()
	proxied := connect(safeclaw, "mcp", "--policy", pol, "--name", "db", "--", os.Args[0])
	defer proxied.Close()
	params := func() *mcp.CallToolParams {
		return &mcp.CallToolParams{Name: "run_query", Arguments: map[string]any{"sql": "select 1"}}
	}
	call := func(cs *mcp.ClientSession) time.Duration {
		t := time.Now()
		res, err := cs.CallTool(ctx, params())
		if err != nil || res.IsError {
			b.Fatal(err, res)
		}
		return time.Since(t)
	}
	for i := 0; i < 100; i++ {
		call(direct)
		call(proxied)
	}
	var d, p, diff []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dt, pt := call(direct), call(proxied)
		d, p, diff = append(d, dt), append(p, pt), append(diff, pt-dt)
	}
	b.StopTimer()
	med := func(ds []time.Duration) time.Duration {
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		return ds[len(ds)/2]
	}
	b.ReportMetric(float64(med(d).Microseconds()), "direct-µs")
	b.ReportMetric(float64(med(p).Microseconds()), "proxied-µs")
	b.ReportMetric(float64(med(diff).Microseconds()), "added-µs")
}
