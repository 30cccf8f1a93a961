package mcpproxy

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Two clients share the upstream (over HTTP, any number do): a client's
// resources/unsubscribe ends its own subscription only, never another's;
// the upstream is unsubscribed when the last subscriber unsubscribes or
// goes away.
func TestUnsubscribeOwnedBySubscriber(t *testing.T) {
	u := &rawUpstream{resources: `[{"uri":"docs://readme","name":"readme"}]`}
	g := newGate(t)
	p, err := New(context.Background(), u.start(t, false), Options{Name: "db", Decide: g.decide, Check: g.check,
		Pins: OpenPins(filepath.Join(t.TempDir(), "db.json"))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	connect := func(name string) *mcp.ClientSession {
		ct, st := mcp.NewInMemoryTransports()
		ss, err := p.server.Connect(context.Background(), st, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ss.Close() })
		cs, err := mcp.NewClient(&mcp.Implementation{Name: name, Version: "1"}, nil).Connect(context.Background(), ct,
			&mcp.ClientSessionOptions{ProtocolVersion: "2025-11-25"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cs.Close() })
		return cs
	}
	ctx := context.Background()
	count := func(method string) int {
		n := 0
		for _, m := range u.methods() {
			if m == method {
				n++
			}
		}
		return n
	}
	a, b := connect("a"), connect("b")
	readme := "docs://readme"
	if err := a.Subscribe(ctx, &mcp.SubscribeParams{URI: readme}); err != nil {
		t.Fatal(err)
	}
	// b never subscribed: its unsubscribe changes nothing.
	if err := b.Unsubscribe(ctx, &mcp.UnsubscribeParams{URI: readme}); err != nil {
		t.Fatal(err)
	}
	if n := count("resources/unsubscribe"); n != 0 {
		t.Fatalf("b's unsubscribe ended a's upstream subscription (%d)", n)
	}
	// Both subscribed (a twice: one subscription): the upstream once.
	if err := b.Subscribe(ctx, &mcp.SubscribeParams{URI: readme}); err != nil {
		t.Fatal(err)
	}
	if err := a.Subscribe(ctx, &mcp.SubscribeParams{URI: readme}); err != nil {
		t.Fatal(err)
	}
	if n := count("resources/subscribe"); n != 1 {
		t.Errorf("upstream subscribed %d times", n)
	}
	if err := a.Unsubscribe(ctx, &mcp.UnsubscribeParams{URI: readme}); err != nil {
		t.Fatal(err)
	}
	if n := count("resources/unsubscribe"); n != 0 {
		t.Fatalf("unsubscribed upstream while b follows (%d)", n)
	}
	// b goes away: the next subscription change notices.
	b.Close()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if slices.Collect(p.server.Sessions()) != nil && len(slices.Collect(p.server.Sessions())) == 1 {
			break
		}
	}
	if err := a.Unsubscribe(ctx, &mcp.UnsubscribeParams{URI: "docs://other"}); err != nil {
		t.Fatal(err)
	}
	if n := count("resources/unsubscribe"); n != 1 {
		t.Errorf("upstream unsubscribed %d times after its last subscriber left", n)
	}
}
