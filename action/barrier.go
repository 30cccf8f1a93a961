package action

import (
	"context"
	"errors"
	"sync"
)

// Barrier holds an answer back until work started on its behalf is done. A
// surface that must not answer before its decision's audit record is on disk
// carries one in the context it decides with; the audit store then starts
// the record's sync on the barrier instead of waiting for it, and the surface
// overlaps that sync with its own work (the MCP proxy forwards an allowed
// call meanwhile) and waits on the barrier before it answers.
//
// A context without a barrier keeps every store synchronous.
type Barrier struct {
	wg   sync.WaitGroup
	mu   sync.Mutex
	errs []error

	deferred bool
	queued   []func() error
}

type barrierKey struct{}

// WithBarrier returns ctx carrying a new barrier.
func WithBarrier(ctx context.Context) (context.Context, *Barrier) {
	b := &Barrier{}
	return context.WithValue(ctx, barrierKey{}, b), b
}

// WithDeferredBarrier is WithBarrier for a surface that has a moment of its
// own to do the work in: Go only queues it, and it runs in the goroutine
// that calls [Barrier.Run] or [Barrier.Wait], whichever comes first. The
// MCP proxy runs the sync right after forwarding a call, in the goroutine
// that forwarded it, which saves starting a goroutine and waking a thread
// for it.
func WithDeferredBarrier(ctx context.Context) (context.Context, *Barrier) {
	b := &Barrier{deferred: true}
	return context.WithValue(ctx, barrierKey{}, b), b
}

// BarrierFrom returns the barrier ctx carries, or nil.
func BarrierFrom(ctx context.Context) *Barrier {
	b, _ := ctx.Value(barrierKey{}).(*Barrier)
	return b
}

// Go starts fn (queues it, on a deferred barrier); [Barrier.Wait] returns
// only after it has finished.
func (b *Barrier) Go(fn func() error) {
	b.wg.Add(1)
	if b.deferred {
		b.mu.Lock()
		b.queued = append(b.queued, fn)
		b.mu.Unlock()
		return
	}
	go b.run(fn)
}

func (b *Barrier) run(fn func() error) {
	defer b.wg.Done()
	if err := fn(); err != nil {
		b.mu.Lock()
		b.errs = append(b.errs, err)
		b.mu.Unlock()
	}
}

// Run runs the work queued on a deferred barrier, in the caller's
// goroutine; nothing for another barrier.
func (b *Barrier) Run() {
	b.mu.Lock()
	queued := b.queued
	b.queued = nil
	b.mu.Unlock()
	for _, fn := range queued {
		b.run(fn)
	}
}

// Wait waits for everything started with Go (running what is still queued)
// and returns their errors joined. A failed wait means the answer must not
// be given as if all went well (the record it vouches for may not be on
// disk).
func (b *Barrier) Wait() error {
	b.Run()
	b.wg.Wait()
	b.mu.Lock()
	defer b.mu.Unlock()
	return errors.Join(b.errs...)
}
