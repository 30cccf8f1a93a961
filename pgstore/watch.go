package pgstore

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/safeclaw/safeclaw/approval"
)

// watcher holds one LISTEN connection per [Approvals] handle, started on
// the first Watch, and fans notifications out to the waiters of each id.
type watcher struct {
	db *DB

	mu        sync.Mutex
	subs      map[string]map[chan struct{}]struct{}
	started   bool
	listening bool
	ready     chan struct{} // closed after the first LISTEN attempt
	cancel    context.CancelFunc
	done      chan struct{}
}

func newWatcher(d *DB) *watcher {
	return &watcher{db: d, subs: map[string]map[chan struct{}]struct{}{}, ready: make(chan struct{})}
}

// Watch returns a channel that receives a value whenever the request id
// changes (answered, expired or used, by any process on any machine), and a
// function to stop watching. Waiters must still read the store: a value is
// only a hint to read now. When the notification connection is down the
// channel stays quiet and the waiter's polling decides; after a reconnect
// every waiter is woken once, since changes may have been missed.
//
// Watch waits (up to 2 s) for the notification connection the first time,
// so that a change made right after it returns is not missed.
func (s *Approvals) Watch(ctx context.Context, id string) (<-chan struct{}, func()) {
	w := s.w
	ch := make(chan struct{}, 1)
	w.mu.Lock()
	if w.subs[id] == nil {
		w.subs[id] = map[chan struct{}]struct{}{}
	}
	w.subs[id][ch] = struct{}{}
	if !w.started {
		w.started = true
		lctx, cancel := context.WithCancel(context.Background())
		w.cancel, w.done = cancel, make(chan struct{})
		go w.run(lctx)
	}
	ready := w.ready
	w.mu.Unlock()
	t := time.NewTimer(2 * time.Second)
	defer t.Stop()
	select {
	case <-ready:
	case <-ctx.Done():
	case <-t.C:
	}
	return ch, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		delete(w.subs[id], ch)
		if len(w.subs[id]) == 0 {
			delete(w.subs, id)
		}
	}
}

// Listening reports whether change notifications are being received.
func (s *Approvals) Listening() bool {
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	return s.w.listening
}

func (w *watcher) signal(id string, all bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for sid, set := range w.subs {
		if !all && sid != id {
			continue
		}
		for ch := range set {
			select {
			case ch <- struct{}{}:
			default:
			}
		}
	}
}

func (w *watcher) setListening(v bool) {
	w.mu.Lock()
	w.listening = v
	select {
	case <-w.ready:
	default:
		close(w.ready)
	}
	w.mu.Unlock()
}

func (w *watcher) run(ctx context.Context) {
	defer close(w.done)
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		if err := w.listen(ctx); err != nil && ctx.Err() == nil {
			w.setListening(false)
			select {
			case <-ctx.Done():
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 5*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
	}
	w.setListening(false)
}

// listen holds one connection until it fails.
func (w *watcher) listen(ctx context.Context) error {
	conn, err := pgx.ConnectConfig(ctx, w.db.cfg.ConnConfig.Copy())
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{w.db.channel()}.Sanitize()); err != nil {
		return err
	}
	w.setListening(true)
	w.signal("", true) // changes made while not listening
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		w.signal(n.Payload, false)
	}
}

func (w *watcher) close() {
	w.mu.Lock()
	cancel, done := w.cancel, w.done
	w.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

// Approvals wakes approval.Manager waiters through LISTEN/NOTIFY.
var _ approval.Watcher = (*Approvals)(nil)
