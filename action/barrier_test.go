package action

import (
	"context"
	"errors"
	"testing"
)

// A deferred barrier's work runs in the goroutine that calls Run or Wait,
// exactly once, and its error fails the wait.
func TestDeferredBarrier(t *testing.T) {
	ctx, bar := WithDeferredBarrier(context.Background())
	if BarrierFrom(ctx) != bar {
		t.Fatal("the context does not carry the barrier")
	}
	runs := 0
	boom := errors.New("sync failed")
	bar.Go(func() error { runs++; return boom })
	if runs != 0 {
		t.Fatal("Go ran the work at once")
	}
	bar.Run()
	if runs != 1 {
		t.Fatalf("after Run: %d runs", runs)
	}
	if err := bar.Wait(); !errors.Is(err, boom) || runs != 1 {
		t.Fatalf("Wait: %v after %d runs", err, runs)
	}

	// Without Run, Wait does the work itself.
	_, bar = WithDeferredBarrier(context.Background())
	bar.Go(func() error { runs++; return nil })
	if err := bar.Wait(); err != nil || runs != 2 {
		t.Fatalf("Wait: %v after %d runs", err, runs)
	}
}
