package approval

import (
	"context"
	"errors"
	"time"
)

// Delivery tuning.
const (
	// MaxAttempts is how many times a notification is tried before it is
	// given up (and reported as a notify_failed event).
	MaxAttempts = 8
	// deliveryLease is how long a claimed notification stays reserved for
	// the process that claimed it.
	deliveryLease = time.Minute
	drainBatch    = 16
)

// Backoff is the wait before retry number attempt (1-based): 2s, 4s, 8s, ...
// capped at 5 minutes.
func Backoff(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	d := 2 * time.Second
	for i := 1; i < attempt && d < 5*time.Minute; i++ {
		d *= 2
	}
	return min(d, 5*time.Minute)
}

// Drain delivers the notifications that are due, once each, and returns
// how many it sent. Failures are rescheduled with [Backoff] or, after
// [MaxAttempts] or an [ErrUndeliverable] error, given up and reported.
func (m *Manager) Drain(ctx context.Context) (int, error) {
	if m.c.Outbox == nil || m.c.Deliver == nil {
		return 0, nil
	}
	sent := 0
	for {
		ns, err := m.c.Outbox.Claim(ctx, m.c.Now(), deliveryLease, drainBatch)
		if err != nil || len(ns) == 0 {
			return sent, err
		}
		for _, n := range ns {
			if ctx.Err() != nil {
				m.finish(n, Delivery{Time: m.c.Now(), Next: m.c.Now(), Error: "interrupted"})
				continue
			}
			derr := m.c.Deliver(ctx, n)
			now := m.c.Now()
			switch {
			case derr == nil:
				sent++
				m.finish(n, Delivery{Time: now, Sent: true})
				ev := n.Event
				ev.Type, ev.Time, ev.Target, ev.Note = EventNotified, now, n.Target, "notified of "+string(n.Event.Type)
				m.emitWarn(ctx, ev)
			case ctx.Err() != nil:
				// Interrupted, not failed: try again soon without a report.
				m.finish(n, Delivery{Time: now, Next: now, Error: derr.Error()})
			case errors.Is(derr, ErrUndeliverable) || n.Attempts >= MaxAttempts:
				m.finish(n, Delivery{Time: now, GiveUp: true, Error: derr.Error()})
				ev := n.Event
				ev.Type, ev.Time, ev.Target, ev.Error = EventNotifyFailed, now, n.Target, derr.Error()
				ev.Note = "gave up notifying of " + string(n.Event.Type)
				m.emitWarn(context.WithoutCancel(ctx), ev)
			default:
				m.finish(n, Delivery{Time: now, Next: now.Add(Backoff(n.Attempts)), Error: derr.Error()})
			}
		}
		if ctx.Err() != nil {
			return sent, ctx.Err()
		}
	}
}

// finish records a delivery, even when the caller's context is done.
func (m *Manager) finish(n Notification, d Delivery) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := m.c.Outbox.Finish(ctx, n.ID, d); err != nil {
		m.c.Warn("safeclaw: warning: " + err.Error())
	}
}

// Run drains the outbox every poll interval until ctx is done.
func (m *Manager) Run(ctx context.Context) {
	if m.c.Outbox == nil || m.c.Deliver == nil {
		return
	}
	t := time.NewTicker(max(m.c.Poll, 100*time.Millisecond))
	defer t.Stop()
	for {
		if _, err := m.Drain(ctx); err != nil && ctx.Err() == nil {
			m.c.Warn("safeclaw: warning: delivering approval notifications: " + err.Error())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
