package mcpproxy

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/safeclaw/safeclaw/mcpproxy/mcptest"
)

// fastProxy is stdioProxy with the gate at hand and the fast path on or off.
func fastProxy(t testing.TB, noFast bool, era ...string) (*mcp.ClientSession, *gateRec, *Proxy) {
	t.Helper()
	version := "2025-11-25"
	if len(era) > 0 {
		version = era[0]
	}
	cs, g, p, _ := fastProxyEditing(t, noFast, version, nil)
	return cs, g, p
}

// fastProxyEditing is fastProxy whose client writes through edit (nil:
// directly), so that a test can send bytes the SDK's client never would; it
// also returns the upstream, to read what it received.
func fastProxyEditing(t testing.TB, noFast bool, version string, edit func(io.WriteCloser) io.WriteCloser) (*mcp.ClientSession, *gateRec, *Proxy, *mcptest.Fake) {
	return fastProxyWith(t, noFast, false, version, edit)
}

// fastProxyWith is fastProxyEditing whose fast path asks the gate once
// (Options.DecideIfAllowed) when once is set.
// configure, when given, sets further options.
func fastProxyWith(t testing.TB, noFast, once bool, version string, edit func(io.WriteCloser) io.WriteCloser, configure ...func(*Options)) (*mcp.ClientSession, *gateRec, *Proxy, *mcptest.Fake) {
	t.Helper()
	ctx := context.Background()
	up, fake := childUpstream(t)
	g := newGate(t)
	opts := Options{Name: "db", Decide: g.decide, Check: g.check, NoFastPath: noFast,
		Pins: OpenPins(filepath.Join(t.TempDir(), "db.json"))}
	if once {
		opts.DecideIfAllowed = g.decideIfAllowed
	}
	for _, c := range configure {
		c(&opts)
	}
	p, err := New(ctx, up, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	go func() {
		p.ServeStdio(ctx, inR, outW)
		outW.Close()
	}()
	var w io.WriteCloser = inW
	if edit != nil {
		w = edit(inW)
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil).Connect(ctx,
		&mcp.IOTransport{Reader: outR, Writer: w}, &mcp.ClientSessionOptions{ProtocolVersion: version})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close(); inW.Close() })
	return cs, g, p, fake
}

// The fast path answers exactly as the SDK's path does: the same results,
// denials and errors, one recorded decision per call, and progress tokens
// kept.
func TestFastPathMatchesSDKPath(t *testing.T) {
	for _, era := range eras {
		t.Run(era.name, func(t *testing.T) { testFastPathMatches(t, era.version) })
	}
}

func testFastPathMatches(t *testing.T, era string) {
	type outcome struct {
		text    string
		isError bool
		err     string
	}
	run := func(noFast, once bool) ([]outcome, int, *Proxy) {
		cs, g, p, _ := fastProxyWith(t, noFast, once, era, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		toolNames(t, cs) // lists (and pins) the tools, as clients do first
		var out []outcome
		for _, c := range []struct {
			name string
			args map[string]any
			meta mcp.Meta
		}{
			{"run_query", map[string]any{"sql": "select 1"}, nil},
			{"run_query", map[string]any{"sql": "select 2"}, mcp.Meta{"progressToken": "tok-1", "claudecode/toolUseId": "toolu_1"}},
			{"run_query", map[string]any{"sql": "drop table users"}, nil},
			{"echo", map[string]any{"text": "hello"}, mcp.Meta{"progressToken": 7}},
			{"nope", map[string]any{}, nil},
		} {
			res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: c.name, Arguments: c.args, Meta: c.meta})
			o := outcome{}
			if err != nil {
				o.err = err.Error()
			} else {
				o.text, o.isError = resultText(res), res.IsError
			}
			out = append(out, o)
		}
		return out, g.count(), p
	}
	slow, slowDecisions, _ := run(true, false)
	// The fast path as it checks, then decides; and as it asks the gate
	// once (DecideIfAllowed), which decides and records only allows.
	for _, once := range []bool{false, true} {
		fast, fastDecisions, p := run(false, once)
		if !reflect.DeepEqual(slow, fast) {
			t.Errorf("once %v: answers differ:\nSDK path:  %+v\nfast path: %+v", once, slow, fast)
		}
		if slowDecisions != fastDecisions {
			t.Errorf("once %v: recorded decisions: SDK path %d, fast path %d", once, slowDecisions, fastDecisions)
		}
		if n := p.fast.next.Load(); n < 3 {
			t.Errorf("once %v: the fast path carried %d calls, want the 3 allowed ones", once, n)
		}
		if !strings.Contains(fast[2].text, "No DROP") || !fast[2].isError {
			t.Errorf("once %v: denied call: %+v", once, fast[2])
		}
	}
}

// A fast call cancelled by the client is cancelled upstream, and the
// client's later calls still work.
func TestFastPathCancel(t *testing.T) {
	cs, _, p := fastProxy(t, false)
	toolNames(t, cs)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	_, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "slow", Arguments: map[string]any{"ms": 3000}})
	cancel()
	if err == nil {
		t.Fatal("a cancelled call succeeded")
	}
	if res := call(t, cs, "run_query", map[string]any{"sql": "select 3"}); res.IsError || resultText(res) != "rows: 0 for select 3" {
		t.Fatalf("after the cancel: %q", resultText(res))
	}
	if p.fast.next.Load() < 2 {
		t.Error("the calls did not take the fast path")
	}
}

// BenchmarkFastPath compares, call for call, a direct tools/call to an
// upstream process, the same call through the proxy's fast path and through
// the SDK's sessions (NoFastPath); it reports the medians of what each adds
// to the direct call.
func BenchmarkFastPath(b *testing.B) {
	ctx := context.Background()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), mcptest.ChildEnv+"="+filepath.Join(b.TempDir(), "direct.log"))
	direct, err := mcp.NewClient(&mcp.Implementation{Name: "bench", Version: "1"}, nil).Connect(ctx,
		&mcp.CommandTransport{Command: cmd}, &mcp.ClientSessionOptions{ProtocolVersion: "2025-11-25"})
	if err != nil {
		b.Fatal(err)
	}
	defer direct.Close()
	fast, _, _ := fastProxy(b, false)
	sdk, _, _ := fastProxy(b, true)
	params := func() *mcp.CallToolParams {
		return &mcp.CallToolParams{Name: "run_query", Arguments: map[string]any{"sql": "select 1"}}
	}
	timed := func(cs *mcp.ClientSession) time.Duration {
		t := time.Now()
		if res, err := cs.CallTool(ctx, params()); err != nil || res.IsError {
			b.Fatal(err, res)
		}
		return time.Since(t)
	}
	for i := 0; i < 100; i++ {
		timed(direct)
		timed(fast)
		timed(sdk)
	}
	var f, s []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d := timed(direct)
		f = append(f, timed(fast)-d)
		s = append(s, timed(sdk)-d)
	}
	b.StopTimer()
	b.ReportMetric(float64(median(f).Microseconds()), "fast-added-µs")
	b.ReportMetric(float64(median(s).Microseconds()), "sdk-added-µs")
}
