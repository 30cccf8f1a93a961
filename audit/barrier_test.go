package audit

import (
	"context"
	"sync"
	"testing"

	"github.com/safeclaw/safeclaw/action"
)

// An append that carries a barrier returns with its record written (readable
// at once) and its sync running on the barrier; the trail stays one valid
// chain across goroutines and segment rotations.
func TestAppendWithBarrier(t *testing.T) {
	for _, durable := range []bool{true, false} {
		s := newTestStore(t, FileOptions{Durable: durable, MaxSegmentBytes: 8192})
		var wg sync.WaitGroup
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 25; i++ {
					ctx, bar := action.WithBarrier(context.Background())
					seq, err := s.Append(ctx, sampleRecord(g*100+i))
					if err != nil {
						t.Error(err)
						return
					}
					// Written before the barrier is passed.
					found := false
					s.Query(context.Background(), nil, func(r *Record) error {
						if r.Seq == seq {
							found = true
							return ErrStop
						}
						return nil
					})
					if !found {
						t.Errorf("record %d not readable after Append returned", seq)
					}
					if err := bar.Wait(); err != nil {
						t.Error(err)
					}
				}
			}()
		}
		wg.Wait()
		rep := mustVerify(t, s)
		if !rep.Intact || rep.Records != 100 || rep.Segments < 2 {
			t.Fatalf("durable=%v: %+v", durable, rep)
		}
	}
}

func TestBarrierJoinsErrors(t *testing.T) {
	_, bar := action.WithBarrier(context.Background())
	bar.Go(func() error { return nil })
	bar.Go(func() error { return context.Canceled })
	if err := bar.Wait(); err == nil {
		t.Fatal("a failed task must fail the barrier")
	}
	if action.BarrierFrom(context.Background()) != nil {
		t.Fatal("no barrier expected")
	}
}
