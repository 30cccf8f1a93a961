package approval

import (
	"context"
	"errors"
	"time"
)

// Store keeps approval records and session grants for every safeclaw
// process on a machine (or, for a fleet, every machine). Each method is one
// atomic step, safe against concurrent callers in other processes: a record
// leaves Pending exactly once, and an approval is used at most once.
// approvaltest.Run is its contract.
type Store interface {
	// Create stores a new pending record. r.ID must be unique.
	Create(ctx context.Context, r *Record) error
	// Get returns the record with id, or [ErrNotFound].
	Get(ctx context.Context, id string) (*Record, error)
	// List returns the records matching f, newest first.
	List(ctx context.Context, f Filter) ([]*Record, error)
	// Answer moves a pending record whose deadline is after a.Time to
	// approved or denied and returns it. Otherwise it returns a
	// [*NotPendingError]; a pending record past its deadline is expired by
	// the call (NotPendingError.Expired).
	Answer(ctx context.Context, id string, a Answer) (*Record, error)
	// Vote adds the approving answer a, by a.Principal, to a pending record
	// that needs a quorum ([Record.Needs]) before its deadline, as [Tally]
	// counts it: a principal that voted already gets [ErrVoted]; the vote
	// that reaches the quorum moves the record to approved with the final
	// answer; before that the record stays pending with the vote added. A
	// record that is not pending, or past its deadline, is treated as by
	// Answer. A store that authenticates its clients itself (a database
	// role) may put its own principal in a.
	Vote(ctx context.Context, id string, a Answer) (*Record, error)
	// Expire moves a pending record to expired with the given answer
	// (Approver "timeout" or the like) whatever its deadline, and reports
	// whether this call did it. It returns the record as it is after the
	// call: possibly approved or denied by an answer that came first.
	Expire(ctx context.Context, id string, a Answer) (*Record, bool, error)
	// ExpireDue expires pending records whose deadline is at or before now,
	// the most overdue first and at most max of them (max <= 0: all), and
	// returns the records this call expired.
	ExpireDue(ctx context.Context, now time.Time, max int) ([]*Record, error)
	// Use marks an approved, unused record bound to hash as used. It
	// returns [ErrUsed] when the record is not approved, already used, or
	// bound to another hash.
	Use(ctx context.Context, id, hash string, now time.Time) error
	// PutGrant stores (or replaces) the session grant for g.Hash.
	PutGrant(ctx context.Context, g Grant) error
	// FindGrant returns the unexpired grant for hash, or [ErrNotFound].
	FindGrant(ctx context.Context, hash string, now time.Time) (*Grant, error)
	// Purge deletes answered records created before before, and grants
	// expired before it, and returns how many records it deleted.
	Purge(ctx context.Context, before time.Time) (int, error)
	Close() error
}

// Authenticator is implemented by stores that know who their client is
// (a database role): that principal, not the one a channel named, is the
// answer's [Answer.Principal] for quorums and approver lists.
type Authenticator interface {
	Principal(ctx context.Context) (string, error)
}

// Notification is one queued delivery of an event to one target.
type Notification struct {
	ID       int64     `json:"id"`
	Target   string    `json:"target"`
	Event    Event     `json:"event"`
	Attempts int       `json:"attempts"` // deliveries tried so far, this one included once claimed
	Created  time.Time `json:"created"`
}

// Delivery is the result of one delivery attempt.
type Delivery struct {
	Time time.Time
	Sent bool
	// Next is when to try again after a failure; GiveUp stops retrying.
	Next   time.Time
	GiveUp bool
	Error  string
}

// Outbox queues notifications so that sending them never blocks a
// decision: the requester enqueues, and any process drains.
type Outbox interface {
	// Enqueue stores notifications to send.
	Enqueue(ctx context.Context, ns []Notification) error
	// Claim leases up to max notifications that are due at now and not
	// leased by another process, counting an attempt for each. A lease
	// that is not finished (the process died) ends after lease.
	Claim(ctx context.Context, now time.Time, lease time.Duration, max int) ([]Notification, error)
	// Finish records the outcome of a claimed notification's delivery.
	Finish(ctx context.Context, id int64, d Delivery) error
	// Queued counts the notifications still to be delivered.
	Queued(ctx context.Context) (int, error)
}

// ErrUndeliverable is wrapped by a [DeliverFunc] error when retrying cannot
// help (an unknown target, a 4xx answer): the notification is given up.
var ErrUndeliverable = errors.New("undeliverable")

// DeliverFunc sends one notification. It must respect ctx.
type DeliverFunc func(ctx context.Context, n Notification) error
