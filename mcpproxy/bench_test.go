package mcpproxy

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

// BenchmarkProxyOverhead measures what the proxy adds to one tools/call
// relayed over stdio: the same call to the same upstream process, once
// directly and once through the proxy (policy decision included, audit
// not: the gate's recorder is measured in package audit), alternating.
// It reports the medians and their difference (added-µs).
func BenchmarkProxyOverhead(b *testing.B) {
	for _, era := range eras {
		b.Run(era.name, func(b *testing.B) { benchOverhead(b, era.version) })
	}
}

func benchOverhead(b *testing.B, era string) {
	ctx := context.Background()
	log := filepath.Join(b.TempDir(), "direct.log")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), mcptest.ChildEnv+"="+log)
	client := mcp.NewClient(&mcp.Implementation{Name: "bench", Version: "1"}, nil)
	direct, err := client.Connect(ctx, &mcp.CommandTransport{Command: cmd}, &mcp.ClientSessionOptions{ProtocolVersion: era})
	if err != nil {
		b.Fatal(err)
	}
	defer direct.Close()
	up, _ := childUpstream(b)
	proxied, _ := stdioProxy(b, up, era)

	params := func() *mcp.CallToolParams {
		return &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "hello"}}
	}
	for _, cs := range []*mcp.ClientSession{direct, proxied} { // warm up
		for i := 0; i < 50; i++ {
			if _, err := cs.CallTool(ctx, params()); err != nil {
				b.Fatal(err)
			}
		}
	}
	d := make([]time.Duration, 0, b.N)
	p := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if _, err := direct.CallTool(ctx, params()); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		res, err := proxied.CallTool(ctx, params())
		if err != nil || res.IsError {
			b.Fatal(err, res)
		}
		t2 := time.Now()
		d = append(d, t1.Sub(t0))
		p = append(p, t2.Sub(t1))
	}
	b.StopTimer()
	md, mp := median(d), median(p)
	b.ReportMetric(float64(md.Microseconds()), "direct-µs")
	b.ReportMetric(float64(mp.Microseconds()), "proxied-µs")
	b.ReportMetric(float64((mp - md).Microseconds()), "added-µs")
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// BenchmarkGateCall is the proxy's own work for one tools/call, in process
// (no transport): decode, decide, forward, over in-memory pipes.
func BenchmarkGateCall(b *testing.B) {
	up, _ := pipeUpstream(b, &mcptest.Fake{})
	cs, _ := stdioProxy(b, up, "")
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "hello"}}); err != nil {
			b.Fatal(err)
		}
	}
}
