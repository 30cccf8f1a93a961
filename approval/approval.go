// Package approval keeps the requests that wait for a person's answer: an
// ask decision becomes a pending [Record] in a [Store] shared by every
// safeclaw process on the machine, a person approves or denies it through a
// channel (the approvals commands, a terminal prompt), and the requester
// that blocks on it ([Manager.Ask]) gets allow or, when the timeout passes
// first, deny.
//
// # Binding
//
// A record is bound to [Bind]: a hash of the exact canonical request (its
// full input, every part and facet, cwd, agent, session, surface) and the
// hash of the policy that asked. An approval is used at most once ([Store.Use]
// checks the hash and that it is unused), so approving one argument list
// never allows another, and a changed policy or package.json script asks
// again. Approving "for the session" stores a [Grant] for the same hash;
// "always" appends a narrow allow rule to a separate policy file
// ([AlwaysRules], [AppendAlways]).
//
// # Quorum
//
// A record can need more than one approval ([Record.Needs], from the
// rules' quorum and approvers): approvals are votes ([Store.Vote], counted
// once per principal by [Tally]) until the quorum is reached; a deny from
// anyone ends the request; "always" is refused. An earlier approval, a
// session grant or a pending record counts for an ask only when its needs
// cover the ask's ([Manager.Redeem], [Manager.Submit]); a grant counts only
// while the session approval it came from stands.
//
// # Time
//
// Every record has a deadline. A requester that stops waiting marks its
// record expired ([Store.Expire]); any process that sees a pending record
// past its deadline expires it ([Store.ExpireDue]). An answer to a record
// that is no longer pending has no effect and says why ([NotPendingError]).
//
// # Notifications and events
//
// Notifications are queued in an [Outbox] with the request (never sent on
// the decision path) and delivered with retries and backoff by whichever
// process drains the outbox ([Manager.Drain]); package approval/notify
// formats and signs webhooks. Every transition is reported to
// [Config.Events] so the caller can append it to the audit trail.
//
// # Current limitations
//
//   - The store is SQLite ([OpenSQLite]); waiting polls it. A PostgreSQL
//     store (LISTEN/NOTIFY) can implement [Store] and [Outbox] and must
//     pass approvaltest.Run.
//   - Approvers are not authenticated beyond their channel: anyone who can
//     write the store file, or answer the requester's terminal, can
//     approve. docs/approvals.md states the threat model.
//   - A quorum counts principals as the channels name them
//     ([Answer.Principal]): locally the login of the answering process's
//     uid, which any process of that user can also claim by writing the
//     store; the PostgreSQL store names the database role itself
//     ([Authenticator]) and its schema enforces it.
//   - Times are wall-clock times. A clock that moves back cannot stretch an
//     approval or a grant (one dated ahead of the clock by more than
//     [MaxClockSkew] is not used), but a pending request's deadline moves
//     with the clock.
//   - The terminal prompt ([TTYPrompter]) makes an approval type a random
//     code, against keystrokes pushed into a shared terminal (TIOCSTI); a
//     multiplexer the agent can drive defeats it.
package approval

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/safeclaw/safeclaw/action"
)

// Status is where a record is in its life cycle.
type Status string

// Statuses. A record starts Pending and moves exactly once to Approved,
// Denied or Expired.
const (
	Pending  Status = "pending"
	Approved Status = "approved"
	Denied   Status = "denied"
	Expired  Status = "expired"
)

// Scope is what an approval covers.
type Scope string

// Scopes.
const (
	// Once allows the one request, once.
	Once Scope = "once"
	// Session also allows the same exact request again in the same agent
	// session, until the grant expires.
	Session Scope = "session"
	// Always writes an allow rule for the exact command to the "always"
	// policy file.
	Always Scope = "always"
)

// ParseScope reads a scope name; "" is [Once].
func ParseScope(s string) (Scope, error) {
	switch Scope(s) {
	case "", Once:
		return Once, nil
	case Session, Always:
		return Scope(s), nil
	}
	return "", fmt.Errorf("unknown approval scope %q (want once, session or always)", s)
}

// Record is one approval request and, once answered, its answer.
type Record struct {
	ID       string    `json:"id"`
	Hash     string    `json:"hash"` // see [Bind]
	Status   Status    `json:"status"`
	Created  time.Time `json:"created"`
	Deadline time.Time `json:"deadline"`

	Surface string `json:"surface,omitempty"`
	Agent   string `json:"agent,omitempty"`
	Session string `json:"session,omitempty"`
	Cwd     string `json:"cwd,omitempty"`
	// Input is the request's full input as approvers see it: complete, with
	// only secrets redacted.
	Input string `json:"input"`
	// Parts describe each simple command (or action) of the request, redacted.
	Parts []PartSummary `json:"parts"`

	Rule *action.RuleRef `json:"rule,omitempty"` // the rule that asked
	// Needs is what approving takes beyond one answer from anyone: a
	// quorum of distinct approvers, or named approvers. Nil: one approval.
	Needs *action.ApprovalNeeds `json:"needs,omitempty"`
	// Votes are the approvals given so far to a record that needs a quorum,
	// one per principal, in order.
	Votes      []Answer `json:"votes,omitempty"`
	Reason     string   `json:"reason,omitempty"`
	PolicyHash string   `json:"policy_hash,omitempty"`
	// Requester says who waits (process and host), for approvers.
	Requester string `json:"requester,omitempty"`

	// Request is the full request as decided, unredacted: what Hash binds.
	// It never leaves the store in JSON output.
	Request *action.Request `json:"-"`

	// Answer is set once the record is approved, denied or expired.
	Answer *Answer `json:"answer,omitempty"`
	// Used is when an approval was used to allow the request (zero: unused).
	Used time.Time `json:"used,omitzero"`
}

// PartSummary is one part of a request as approvers see it.
type PartSummary struct {
	Text    string   `json:"text,omitempty"`
	Actions []string `json:"actions"` // e.g. network.listen{port: 8080}
}

// Answer is a person's answer to a record, or the expiry.
type Answer struct {
	Approve bool  `json:"approve"`
	Scope   Scope `json:"scope,omitempty"`
	// Approver names who answered (a login, a token's name, "timeout"), as
	// approvers read it (it may say where, such as a terminal).
	Approver string `json:"approver"`
	// Principal is who answered as authenticated by the channel: the login
	// of the uid that ran the command, a database role. Quorums count
	// distinct principals and approver lists name them; an answer without
	// one cannot approve a record that has [Record.Needs].
	Principal string `json:"principal,omitempty"`
	// Channel says how: cli, tty, webhook, timeout, ...
	Channel string    `json:"channel"`
	Reason  string    `json:"reason,omitempty"`
	Time    time.Time `json:"time"`
}

// Grant lets the same exact request through again in one session.
type Grant struct {
	Hash      string    `json:"hash"`
	RequestID string    `json:"request_id"`
	Approver  string    `json:"approver"`
	Channel   string    `json:"channel"`
	Created   time.Time `json:"created"`
	Expires   time.Time `json:"expires"`
}

// Filter selects records for [Store.List]. Zero fields match everything.
type Filter struct {
	Status []Status
	Hash   string
	// Since keeps records created at or after it.
	Since time.Time
	// Limit bounds the result (newest first); 0 means no bound.
	Limit int
}

// ErrNotFound is returned for an unknown record id.
var ErrNotFound = errors.New("no such approval request")

// ErrUsed is returned by [Store.Use] when the approval is not an approved,
// unused record for that hash.
var ErrUsed = errors.New("approval already used, not approved, or bound to another request")

// ErrNotApprover is returned by [Manager.Answer] for an approval the
// record's needs do not accept: from someone its rules do not name, from a
// channel that cannot say who answered, or "always".
var ErrNotApprover = errors.New("approval refused")

// ErrVoted is returned by [Store.Vote] when the principal has approved the
// record already: a quorum counts each principal once.
var ErrVoted = errors.New("this approver has approved the request already; it needs approvals from different people")

// ErrTampered is returned when a stored request no longer matches its
// binding hash: what an approver would see is not what would be allowed.
var ErrTampered = errors.New("stored approval request does not match its binding hash")

// NotPendingError says why an answer had no effect.
type NotPendingError struct {
	ID     string
	Status Status
	Answer *Answer // the earlier answer or the expiry, when known
	// Expired is true when this very answer found the record past its
	// deadline and expired it.
	Expired bool
}

func (e *NotPendingError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "approval request %s ", e.ID)
	switch {
	case e.Status == Expired && e.Answer != nil:
		fmt.Fprintf(&b, "expired at %s", e.Answer.Time.Format(time.RFC3339))
		if e.Answer.Reason != "" {
			fmt.Fprintf(&b, " (%s)", e.Answer.Reason)
		}
	case e.Status == Expired:
		b.WriteString("expired")
	case e.Answer != nil:
		fmt.Fprintf(&b, "was already %s by %s via %s at %s", e.Status, e.Answer.Approver, e.Answer.Channel, e.Answer.Time.Format(time.RFC3339))
	default:
		fmt.Fprintf(&b, "is %s", e.Status)
	}
	b.WriteString("; this answer has no effect")
	return b.String()
}

// EventType names an approval event for the audit trail.
type EventType string

// Event types.
const (
	EventRequested    EventType = "requested"     // a record was created
	EventNotified     EventType = "notified"      // a notification was delivered
	EventNotifyFailed EventType = "notify_failed" // a notification was given up
	EventApproved     EventType = "approved"
	EventDenied       EventType = "denied"
	EventExpired      EventType = "expired"
	EventLateAnswer   EventType = "late_answer" // an answer that came too late and had no effect
	EventUsed         EventType = "used"        // an approval (or session grant) allowed the request
	EventVoted        EventType = "voted"       // one approval of several a quorum needs
)

// Event is one thing that happened to an approval request.
type Event struct {
	Type       EventType       `json:"type"`
	Time       time.Time       `json:"time"`
	ID         string          `json:"id"`
	Hash       string          `json:"hash,omitempty"`
	Surface    string          `json:"surface,omitempty"`
	Agent      string          `json:"agent,omitempty"`
	Session    string          `json:"session,omitempty"`
	Cwd        string          `json:"cwd,omitempty"`
	Input      string          `json:"input,omitempty"` // redacted
	Rule       *action.RuleRef `json:"rule,omitempty"`
	Reason     string          `json:"reason,omitempty"`
	PolicyHash string          `json:"policy_hash,omitempty"`
	Deadline   time.Time       `json:"deadline,omitzero"`
	Approver   string          `json:"approver,omitempty"`
	Channel    string          `json:"channel,omitempty"`
	Scope      Scope           `json:"scope,omitempty"`
	Note       string          `json:"note,omitempty"`   // the answer's reason, or what happened
	Target     string          `json:"target,omitempty"` // notification target
	Error      string          `json:"error,omitempty"`
	Waited     time.Duration   `json:"waited,omitempty"`
	// Request is the request the event is about, when known: what the
	// audit record's facets come from. Never sent to notification targets.
	Request *action.Request `json:"-"`
}

// event builds an event about rec.
func (r *Record) event(t EventType, at time.Time) Event {
	return Event{Type: t, Time: at, ID: r.ID, Hash: r.Hash, Surface: r.Surface, Agent: r.Agent,
		Session: r.Session, Cwd: r.Cwd, Input: r.Input, Rule: r.Rule, Reason: r.Reason,
		PolicyHash: r.PolicyHash, Deadline: r.Deadline, Request: r.Request}
}

// Tally adds the approving answer a to r's votes, for a store's
// [Store.Vote]: it returns the new votes and, when they reach r's quorum of
// distinct principals, the final answer (approving, in the narrowest scope
// any vote gave, naming every approver). A principal that voted already
// gives [ErrVoted].
func Tally(r *Record, a Answer) (votes []Answer, final *Answer, err error) {
	if !a.Approve || a.Principal == "" {
		return nil, nil, errors.New("approval: a vote must approve and name its principal")
	}
	// Stores add a vote by comparing the votes they read, encoded again,
	// with the stored ones: text that JSON would not give back byte for
	// byte (invalid UTF-8) would make every later vote fail.
	for _, f := range []*string{&a.Approver, &a.Principal, &a.Channel, &a.Reason} {
		*f = strings.ToValidUTF8(*f, "\uFFFD")
	}
	for _, v := range r.Votes {
		if v.Principal == a.Principal {
			return nil, nil, ErrVoted
		}
	}
	votes = append(append([]Answer(nil), r.Votes...), a)
	quorum := 1
	if r.Needs != nil {
		quorum = r.Needs.Quorum
	}
	if len(votes) < quorum {
		return votes, nil, nil
	}
	f := Answer{Approve: true, Scope: Always, Time: a.Time}
	var approvers, principals, channels, reasons []string
	for _, v := range votes {
		f.Scope = narrower(f.Scope, v.Scope)
		approvers, principals = append(approvers, v.Approver), append(principals, v.Principal)
		if !contains(channels, v.Channel) {
			channels = append(channels, v.Channel)
		}
		if v.Reason != "" {
			reasons = append(reasons, v.Reason)
		}
	}
	f.Approver = strings.Join(approvers, " + ")
	f.Principal = strings.Join(principals, ", ")
	f.Channel = strings.Join(channels, " + ")
	f.Reason = strings.Join(reasons, "; ")
	return votes, &f, nil
}

// narrower returns the narrower of two scopes: once, then session, then
// always.
func narrower(a, b Scope) Scope {
	rank := map[Scope]int{Once: 0, "": 0, Session: 1, Always: 2}
	if rank[b] < rank[a] {
		if b == "" {
			return Once
		}
		return b
	}
	return a
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// EncodeNeeds is how stores keep [Record.Needs]: JSON, "" for none.
func EncodeNeeds(n *action.ApprovalNeeds) (string, error) {
	if n == nil {
		return "", nil
	}
	b, err := json.Marshal(n)
	return string(b), err
}

// EncodeVotes is how stores keep [Record.Votes]: JSON, "" for none.
func EncodeVotes(votes []Answer) (string, error) {
	if len(votes) == 0 {
		return "", nil
	}
	b, err := json.Marshal(votes)
	return string(b), err
}

// DecodeVoting reads what [EncodeNeeds] and [EncodeVotes] wrote into r.
func DecodeVoting(r *Record, needs, votes string) error {
	if needs != "" {
		r.Needs = new(action.ApprovalNeeds)
		if err := json.Unmarshal([]byte(needs), r.Needs); err != nil {
			return fmt.Errorf("approval request %s: bad needs: %w", r.ID, err)
		}
	}
	if votes != "" {
		if err := json.Unmarshal([]byte(votes), &r.Votes); err != nil {
			return fmt.Errorf("approval request %s: bad votes: %w", r.ID, err)
		}
	}
	return nil
}
