package server

import (
	"context"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/safeclaw/safeclaw/action"
)

// TestDecidersReusedAndGone: sequential decisions run on one decider, a
// decider that panicked decides again, and once the handler is idle its
// deciders exit (a server that closes leaves no goroutine behind).
func TestDecidersReusedAndGone(t *testing.T) {
	before := runtime.NumGoroutine()
	var mu sync.Mutex
	ran := map[string]bool{} // the goroutines that decided
	h, _, _ := newTestHandler(t, func(c *Config) {
		g := &fakeGate{}
		c.Decide = func(ctx context.Context, req *action.Request) (action.Decision, error) {
			buf := make([]byte, 64)
			id, _, _ := strings.Cut(string(buf[:runtime.Stack(buf, false)]), " [")
			mu.Lock()
			ran[id] = true
			mu.Unlock()
			if strings.Contains(req.Input, "boom") {
				panic("boom")
			}
			return g.decide(ctx, req)
		}
	})
	h.deciderIdle = 50 * time.Millisecond
	for i := range 50 {
		body := `{"command":"ls"}`
		if i%10 == 3 {
			body = `{"command":"echo boom"}`
		}
		code, m, raw := do(t, h, "POST", "/v1/decide", body)
		if i%10 == 3 {
			if code != 500 || decisionOf(m) != "deny" {
				t.Fatalf("panic: %d %s", code, raw)
			}
		} else if code != 200 {
			t.Fatalf("%d %s", code, raw)
		}
	}
	// A decider that has just answered may not be waiting yet when the
	// next decision comes, which then starts another: a few, not 50.
	if len(ran) > 10 {
		t.Errorf("50 sequential decisions ran on %d goroutines: deciders not reused", len(ran))
	}
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if code, _, raw := do(t, h, "POST", "/v1/decide", `{"command":"ls"}`); code != 200 {
				t.Errorf("%d %s", code, raw)
			}
		})
	}
	wg.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines once idle, %d before: deciders did not exit", n, before)
	}
}

// TestStuckDecisionDoesNotQueue: a decision that never returns holds its
// decider, and the next decision gets another at once rather than waiting
// behind it; the stuck one still answers deny at its deadline.
func TestStuckDecisionDoesNotQueue(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	h, _, _ := newTestHandler(t, func(c *Config) {
		g := &fakeGate{}
		c.DecideTimeout = 2 * time.Second
		c.Decide = func(ctx context.Context, req *action.Request) (action.Decision, error) {
			if strings.Contains(req.Input, "stuck") {
				<-release // ignores its context
			}
			return g.decide(ctx, req)
		}
	})
	// A decider exists and is idle before the stuck decision takes it.
	if code, _, raw := do(t, h, "POST", "/v1/decide", `{"command":"ls"}`); code != 200 {
		t.Fatalf("%d %s", code, raw)
	}
	stuck := make(chan int)
	start := time.Now()
	go func() {
		code, _, _ := do(t, h, "POST", "/v1/decide", `{"command":"echo stuck"}`)
		stuck <- code
	}()
	time.Sleep(50 * time.Millisecond)
	for range 5 {
		t0 := time.Now()
		if code, _, raw := do(t, h, "POST", "/v1/decide", `{"command":"ls"}`); code != 200 || time.Since(t0) > time.Second {
			t.Fatalf("%d after %v: %s", code, time.Since(t0), raw)
		}
	}
	if code := <-stuck; code != 500 || time.Since(start) < 2*time.Second {
		t.Errorf("stuck decision: %d after %v, want 500 at the deadline", code, time.Since(start))
	}
}
