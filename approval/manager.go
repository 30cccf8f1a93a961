package approval

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/safeclaw/safeclaw/action"
)

// Defaults for [Config].
const (
	DefaultTimeout        = 2 * time.Minute
	DefaultPendingTimeout = 15 * time.Minute
	DefaultRedeemWindow   = 15 * time.Minute
	DefaultSessionTTL     = 12 * time.Hour
	DefaultPoll           = 200 * time.Millisecond
	DefaultRetention      = 30 * 24 * time.Hour
)

// MaxClockSkew is how far times written by another process (or machine) may
// be ahead of this one's clock. A record, answer or grant dated further in
// the future means a clock moved backwards: its age is unknown, so it is
// not trusted to allow anything (a denial still goes through).
const MaxClockSkew = time.Minute

// Config wires a [Manager]. Only Store is required.
type Config struct {
	Store Store
	// Outbox queues notifications; nil sends none.
	Outbox Outbox
	// Targets are the notification targets every event is queued for.
	Targets []string
	// Deliver sends one notification. When set, a waiting [Manager.Ask]
	// drains the outbox in the background while it waits; nil leaves
	// delivery to another process ([Manager.Drain]).
	Deliver DeliverFunc
	// Events receives every approval event, for the audit trail. An error
	// for a requested or used event denies the request (fail closed); other
	// errors go to Warn.
	Events func(ctx context.Context, ev Event) error
	Warn   func(msg string)
	// Redact removes secrets from what approvers and notifications see.
	// Nil shows the input as is.
	Redact func(string) string
	// Always writes the allow rule of an approval with scope [Always]
	// (see [AlwaysRules]); nil refuses that scope.
	Always func(ctx context.Context, r *Record, a Answer) error
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Timeout is how long Ask waits when neither the decision nor the
	// caller gives a timeout. PendingTimeout is how long a record filed by
	// [Manager.Submit] (nobody waiting) stays answerable.
	Timeout        time.Duration
	PendingTimeout time.Duration
	// RedeemWindow is how long an approved, unused record stays usable by
	// [Manager.Redeem] after its answer.
	RedeemWindow time.Duration
	// SessionTTL is how long a session grant lasts.
	SessionTTL time.Duration
	// Poll is how often a waiting requester reads the store.
	Poll time.Duration
	// Retention is how long answered records are kept before [Manager.Sweep]
	// deletes them.
	Retention time.Duration
	// Requester describes this process for approvers ("pid 123 on host").
	Requester string
}

// Manager files approval requests, waits for them and records answers.
// It is safe for concurrent use.
type Manager struct{ c Config }

// New returns a manager.
func New(c Config) (*Manager, error) {
	if c.Store == nil {
		return nil, errors.New("approval: no store")
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Warn == nil {
		c.Warn = func(string) {}
	}
	if c.Redact == nil {
		c.Redact = func(s string) string { return s }
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.Timeout, DefaultTimeout)
	def(&c.PendingTimeout, DefaultPendingTimeout)
	def(&c.RedeemWindow, DefaultRedeemWindow)
	def(&c.SessionTTL, DefaultSessionTTL)
	def(&c.Poll, DefaultPoll)
	def(&c.Retention, DefaultRetention)
	return &Manager{c: c}, nil
}

// Store returns the manager's store.
func (m *Manager) Store() Store { return m.c.Store }

// Outcome is how an ask was resolved.
type Outcome struct {
	// Effect is Allow or Deny.
	Effect action.Effect
	// Status is approved, denied or expired; Via says how an allow came.
	Status Status
	Via    Via
	// Record is the request as resolved; nil for a session grant.
	Record *Record
	Grant  *Grant
	Waited time.Duration
}

// Via says where an outcome came from.
type Via string

// Sources of an outcome.
const (
	ViaAnswer  Via = "answer"  // a person answered this request while it was waited for
	ViaEarlier Via = "earlier" // a person approved the same request earlier (Submit, then Redeem)
	ViaSession Via = "session" // a session grant for the same request
	ViaTimeout Via = "timeout" // nobody answered in time
	ViaCancel  Via = "cancel"  // the requester stopped waiting
)

// Approver returns who answered (or "timeout").
func (o Outcome) Approver() string {
	switch {
	case o.Grant != nil:
		return o.Grant.Approver
	case o.Record != nil && o.Record.Answer != nil:
		return o.Record.Answer.Approver
	}
	return ""
}

// Channel returns how the answer came.
func (o Outcome) Channel() string {
	switch {
	case o.Grant != nil:
		return "session grant (" + o.Grant.Channel + ")"
	case o.Record != nil && o.Record.Answer != nil:
		return o.Record.Answer.Channel
	}
	return ""
}

// AskOptions tune one [Manager.Ask].
type AskOptions struct {
	// Timeout bounds the wait; 0 means the decision's timeout, else
	// Config.Timeout. The wait also ends at ctx's deadline.
	Timeout time.Duration
	// Prompt, when set, asks a person directly (a terminal) while other
	// channels stay open; the first answer wins.
	Prompt Prompter
	// Filed, when set, is called once the record is filed, before the wait
	// (to tell a person its id).
	Filed func(*Record)
}

// Prompter asks a person about a record and returns their answer. It must
// return promptly once ctx is done (another channel answered, or time ran
// out).
type Prompter interface {
	Prompt(ctx context.Context, r *Record) (Answer, error)
}

// Ask resolves an ask decision d for req: a session grant or an earlier
// unused approval for the same exact request allows it at once; otherwise
// it files a record and waits for an answer, the timeout, or ctx. It
// returns Deny with a nil error when nobody approved in time; an error
// means the approval machinery failed, and the caller must deny.
func (m *Manager) Ask(ctx context.Context, req *action.Request, d action.Decision, o AskOptions) (Outcome, error) {
	if out, ok, err := m.Redeem(ctx, req, d); err != nil || ok {
		return out, err
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = d.Timeout
	}
	if timeout <= 0 {
		timeout = m.c.Timeout
	}
	if dl, ok := ctx.Deadline(); ok {
		// End a little before the caller's deadline, so that the record
		// says "timeout" and the caller still has time to answer its agent.
		left := time.Until(dl)
		if left > 4*time.Second {
			left -= time.Second
		}
		timeout = min(timeout, left)
	}
	if timeout <= 0 {
		return Outcome{Effect: action.Deny, Status: Expired, Via: ViaTimeout}, nil
	}
	r, err := m.file(ctx, req, d, timeout)
	if err != nil {
		return Outcome{Effect: action.Deny}, err
	}
	if o.Filed != nil {
		o.Filed(r)
	}
	return m.Wait(ctx, r, o.Prompt)
}

// Submit files a pending record for an ask that nobody will wait for (the
// agent is told to retry once a person approved; see [Manager.Redeem]).
// When a pending record for the same exact request exists, it is returned
// instead of a new one.
func (m *Manager) Submit(ctx context.Context, req *action.Request, d action.Decision) (*Record, error) {
	hash := Bind(req, d.PolicyHash)
	if !bindable(hash) {
		return nil, fmt.Errorf("approval: request cannot be bound: %s", hash)
	}
	now := m.c.Now()
	// On the decision path: a bounded sweep, so that thousands of abandoned
	// requests cost a hook no more than a few.
	if _, err := m.sweep(ctx, submitSweep); err != nil {
		m.c.Warn("safeclaw: warning: expiring old approval requests: " + err.Error())
	}
	same, err := m.c.Store.List(ctx, Filter{Status: []Status{Pending}, Hash: hash, Limit: 1})
	if err != nil {
		return nil, err
	}
	// A pending request filed under other needs (a layer changed since)
	// would be approved by the wrong people: file one with these.
	if len(same) == 1 && same[0].Deadline.After(now) && sameNeeds(same[0].Needs, d.Approval) {
		return same[0], nil
	}
	timeout := d.Timeout
	if timeout < m.c.PendingTimeout {
		timeout = m.c.PendingTimeout
	}
	return m.file(ctx, req, d, timeout)
}

// file creates a pending record, reports it and queues its notifications.
func (m *Manager) file(ctx context.Context, req *action.Request, d action.Decision, timeout time.Duration) (*Record, error) {
	hash := Bind(req, d.PolicyHash)
	if !bindable(hash) {
		return nil, fmt.Errorf("approval: request cannot be bound: %s", hash)
	}
	// The store keeps the request as JSON; refuse one that would not come
	// back identical (invalid UTF-8), since nobody could approve it safely.
	stored, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("approval: encode request: %w", err)
	}
	var back action.Request
	if err := json.Unmarshal(stored, &back); err != nil || Bind(&back, d.PolicyHash) != hash {
		return nil, errors.New("approval: the request cannot be stored faithfully (it is not valid UTF-8), so it cannot be approved")
	}
	now := m.c.Now()
	r := &Record{
		Hash: hash, Status: Pending, Created: now, Deadline: now.Add(timeout),
		Surface: req.Surface, Agent: req.Agent, Session: req.Session, Cwd: req.Cwd,
		Input: m.c.Redact(req.Input), Parts: m.summarize(req),
		Rule: d.Rule, Reason: m.c.Redact(d.Reason), PolicyHash: d.PolicyHash,
		Requester: m.c.Requester, Request: &back,
	}
	if d.Approval.Restricted() {
		if d.Approval.Impossible() {
			return nil, errors.New("approval: nobody can approve this request (its rules name no approver in common)")
		}
		r.Needs = d.Approval
	}
	for attempt := 0; ; attempt++ {
		r.ID, err = newID()
		if err != nil {
			return nil, err
		}
		err = m.c.Store.Create(ctx, r)
		if err == nil {
			break
		}
		if attempt == 2 {
			return nil, err
		}
	}
	ev := r.event(EventRequested, now)
	ev.Note = "requested by " + r.Requester
	if err := m.emit(ctx, ev, true); err != nil {
		m.expireNow(r, "the request could not be recorded in the audit trail")
		return nil, err
	}
	return r, nil
}

// summarize describes each part for approvers, redacted.
func (m *Manager) summarize(req *action.Request) []PartSummary {
	out := make([]PartSummary, 0, len(req.Parts))
	for _, p := range req.Parts {
		s := PartSummary{Text: m.c.Redact(p.Text), Actions: []string{}}
		for _, f := range p.Facets {
			s.Actions = append(s.Actions, m.c.Redact(FacetLabel(f)))
		}
		out = append(out, s)
	}
	return out
}

// FacetLabel renders a facet as kind{field: value, ...}, arguments included.
func FacetLabel(a action.Action) string {
	var f []string
	add := func(k, v string) {
		if v != "" {
			f = append(f, k+": "+v)
		}
	}
	add("program", a.Program)
	add("host", a.Host)
	if a.Port != 0 {
		add("port", fmt.Sprint(a.Port))
	}
	add("path", a.Path)
	add("url", a.URL)
	add("server", a.Server)
	add("tool", a.Tool)
	if a.Args != nil {
		data, err := json.Marshal(a.Args)
		if err != nil {
			data = []byte(fmt.Sprint(a.Args))
		}
		add("args", string(data))
	}
	if a.Remote {
		f = append(f, "remote")
	}
	if a.Background {
		f = append(f, "background")
	}
	if a.Detail != "" && a.Kind != action.ShellExecute {
		f = append(f, a.Detail)
	}
	if len(f) == 0 {
		return string(a.Kind)
	}
	return string(a.Kind) + "{" + strings.Join(f, ", ") + "}"
}

// Wait blocks until r is answered (through any channel: the store, or the
// prompt when given), its deadline passes, or ctx is done. An approval is
// used (single use) before Wait returns Allow.
func (m *Manager) Wait(ctx context.Context, r *Record, prompt Prompter) (Outcome, error) {
	start := m.c.Now()
	// The helpers below touch the store; they end before Wait returns, so a
	// caller may close the store (and remove its files) right after.
	var helpers sync.WaitGroup
	defer helpers.Wait()
	waitCtx, cancel := context.WithCancel(ctx)
	defer cancel()

	answered := make(chan error, 1)
	if prompt != nil {
		helpers.Go(func() {
			a, err := prompt.Prompt(waitCtx, r)
			if err != nil {
				answered <- err
				return
			}
			_, err = m.Answer(waitCtx, r.ID, a)
			answered <- err
		})
	}
	if m.c.Deliver != nil && m.c.Outbox != nil {
		helpers.Go(func() { m.Run(waitCtx) })
	}

	timer := time.NewTimer(r.Deadline.Sub(m.c.Now()))
	defer timer.Stop()
	tick := time.NewTicker(m.c.Poll)
	defer tick.Stop()
	// A store that can push changes (PostgreSQL LISTEN/NOTIFY) wakes the
	// waiter at once; polling stays as the fallback.
	var changed <-chan struct{}
	if w, ok := m.c.Store.(Watcher); ok {
		ch, stop := w.Watch(waitCtx, r.ID)
		defer stop()
		changed = ch
	}
	warned := false
	for {
		cur, err := m.c.Store.Get(ctx, r.ID)
		if err != nil && ctx.Err() == nil {
			if errors.Is(err, ErrNotFound) || errors.Is(err, ErrTampered) {
				return Outcome{Effect: action.Deny}, err
			}
			// A store briefly out of reach (a PostgreSQL restart): the
			// request keeps waiting, denied at its deadline if the store
			// does not come back (giveUp then fails closed too).
			if !warned {
				m.c.Warn("safeclaw: warning: approval store unreachable while waiting (still waiting until the deadline): " + err.Error())
				warned = true
			}
		}
		if err == nil && cur.Status != Pending {
			return m.resolved(ctx, cur, r.Hash, start)
		}
		select {
		case <-tick.C:
		case _, ok := <-changed:
			if !ok {
				changed = nil // notifications ended: polling goes on
			}
		case err := <-answered:
			if err != nil {
				var np *NotPendingError
				if !errors.As(err, &np) && waitCtx.Err() == nil {
					m.c.Warn("safeclaw: warning: terminal prompt: " + err.Error())
				}
			}
			answered = nil // the store read at the top of the loop decides
		case <-timer.C:
			return m.giveUp(ctx, r, start, ViaTimeout, "nobody answered before the deadline")
		case <-ctx.Done():
			return m.giveUp(ctx, r, start, ViaCancel, "the requester stopped waiting: "+ctx.Err().Error())
		}
	}
}

// Watcher is implemented by stores that can tell a waiter that a request
// changed (an answer on another machine) without polling. The channel
// receives a value per change; stop releases it.
type Watcher interface {
	Watch(ctx context.Context, id string) (changed <-chan struct{}, stop func())
}

// giveUp expires r; an answer that came first still counts.
func (m *Manager) giveUp(ctx context.Context, r *Record, start time.Time, via Via, why string) (Outcome, error) {
	// The caller's context may be done; the store still needs a moment.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	now := m.c.Now()
	cur, did, err := m.c.Store.Expire(sctx, r.ID, Answer{Approver: "timeout", Channel: string(via), Reason: why, Time: now})
	if err != nil {
		return Outcome{Effect: action.Deny, Status: Expired, Via: via}, err
	}
	if !did {
		return m.resolved(sctx, cur, r.Hash, start)
	}
	ev := cur.event(EventExpired, now)
	ev.Note, ev.Waited = why, now.Sub(start)
	ev.Approver, ev.Channel = "timeout", string(via)
	if err := m.emit(sctx, ev, false); err != nil {
		return Outcome{Effect: action.Deny}, err
	}
	m.notify(sctx, ev)
	return Outcome{Effect: action.Deny, Status: Expired, Via: via, Record: cur, Waited: now.Sub(start)}, nil
}

// resolved turns an answered record into an outcome, using an approval
// for hash, the binding the waiter computed itself.
func (m *Manager) resolved(ctx context.Context, r *Record, hash string, start time.Time) (Outcome, error) {
	waited := m.c.Now().Sub(start)
	out := Outcome{Effect: action.Deny, Status: r.Status, Via: ViaAnswer, Record: r, Waited: waited}
	if r.Status == Expired {
		out.Via = ViaTimeout
	}
	if r.Status != Approved {
		return out, nil
	}
	if err := consistentApproval(r, hash); err != nil {
		out.Status = Denied
		return out, err
	}
	if err := m.use(ctx, r, hash); err != nil {
		out.Status = Denied
		return out, err
	}
	out.Effect = action.Allow
	return out, nil
}

// consistentApproval checks that an approved record says so throughout: an
// answer that approves, and the binding hash hash. A row that says
// approved without such an answer was not written by [Store.Answer]
// (a corrupted or hand-edited store) and allows nothing.
func consistentApproval(r *Record, hash string) error {
	if r.Hash != hash || r.Answer == nil || !r.Answer.Approve || r.Answer.Approver == "" {
		return fmt.Errorf("approval request %s is marked approved without an approving answer for this request: %w", r.ID, ErrTampered)
	}
	return nil
}

// use marks an approval used and reports it; the report is mandatory.
func (m *Manager) use(ctx context.Context, r *Record, hash string) error {
	now := m.c.Now()
	if err := m.c.Store.Use(ctx, r.ID, hash, now); err != nil {
		return err
	}
	ev := r.event(EventUsed, now)
	if r.Answer != nil {
		ev.Approver, ev.Channel, ev.Scope, ev.Note = r.Answer.Approver, r.Answer.Channel, r.Answer.Scope, r.Answer.Reason
	}
	return m.emit(ctx, ev, true)
}

// Redeem allows req at once when a session grant or an earlier, unused
// approval covers the same exact request (same binding hash); ok is false
// when none does. An earlier approval is used (single use).
func (m *Manager) Redeem(ctx context.Context, req *action.Request, d action.Decision) (out Outcome, ok bool, err error) {
	hash := Bind(req, d.PolicyHash)
	if !bindable(hash) {
		return Outcome{Effect: action.Deny}, false, nil
	}
	now := m.c.Now()
	if req.Session != "" {
		g, err := m.c.Store.FindGrant(ctx, hash, now)
		if err == nil && g.Created.After(now.Add(MaxClockSkew)) {
			// Granted "in the future": the clock moved back, and the
			// grant's age is unknown.
			m.c.Warn(fmt.Sprintf("safeclaw: warning: ignoring session grant from request %s, dated %s, after this clock's %s (did the clock move back?)",
				g.RequestID, g.Created.Format(time.RFC3339), now.Format(time.RFC3339)))
			err = ErrNotFound
		}
		if err == nil {
			err = m.grantStands(ctx, g, hash, d.Approval, now)
		}
		switch {
		case err == nil:
			ev := Event{Type: EventUsed, Time: now, ID: g.RequestID, Hash: hash, Surface: req.Surface, Agent: req.Agent,
				Session: req.Session, Cwd: req.Cwd, Input: m.c.Redact(req.Input), Rule: d.Rule, Reason: m.c.Redact(d.Reason),
				PolicyHash: d.PolicyHash, Approver: g.Approver, Channel: g.Channel, Scope: Session,
				Note: "session grant from request " + g.RequestID, Request: req}
			if err := m.emit(ctx, ev, true); err != nil {
				return Outcome{Effect: action.Deny}, false, err
			}
			return Outcome{Effect: action.Allow, Status: Approved, Via: ViaSession, Grant: g}, true, nil
		case !errors.Is(err, ErrNotFound):
			return Outcome{Effect: action.Deny}, false, err
		}
	}
	recs, err := m.c.Store.List(ctx, Filter{Status: []Status{Approved}, Hash: hash, Limit: 16})
	if err != nil {
		return Outcome{Effect: action.Deny}, false, err
	}
	for _, r := range recs {
		if !r.Used.IsZero() || r.Answer == nil || !r.Answer.Approve {
			continue
		}
		// Approved under weaker needs than the rules now have (or a row
		// written into the store without them): not this request's approval.
		if !needsCover(r.Needs, d.Approval) {
			continue
		}
		// An answer dated ahead of this clock means the clock moved back:
		// the approval's age is unknown, so it is not used.
		if age := now.Sub(r.Answer.Time); age > m.c.RedeemWindow || age < -MaxClockSkew {
			continue
		}
		if err := consistentApproval(r, hash); err != nil {
			return Outcome{Effect: action.Deny}, false, err
		}
		if err := m.use(ctx, r, hash); err != nil {
			if errors.Is(err, ErrUsed) {
				continue // another process used it first
			}
			return Outcome{Effect: action.Deny}, false, err
		}
		return Outcome{Effect: action.Allow, Status: Approved, Via: ViaEarlier, Record: r}, true, nil
	}
	return Outcome{}, false, nil
}

// grantStands checks that g, a session grant for hash, stands on what a
// grant is made from: its request, approved for the session, for the same
// hash, less than a session's length before now, under needs that cover
// want (the needs of the ask it would answer). [ErrNotFound] means the
// grant does not count, and the ask goes on.
func (m *Manager) grantStands(ctx context.Context, g *Grant, hash string, want *action.ApprovalNeeds, now time.Time) error {
	r, err := m.c.Store.Get(ctx, g.RequestID)
	if err != nil {
		return err
	}
	if r.Status != Approved || r.Hash != hash || g.Hash != hash || r.Answer == nil || !r.Answer.Approve ||
		r.Answer.Scope != Session || !needsCover(r.Needs, want) || now.Sub(r.Answer.Time) > m.c.SessionTTL {
		return ErrNotFound
	}
	return nil
}

// needsCover reports whether an approval given under the needs have also
// meets want: at least as large a quorum, from approvers want names.
func needsCover(have, want *action.ApprovalNeeds) bool {
	if !want.Restricted() {
		return true
	}
	if want.Impossible() || have == nil || have.None || max(have.Quorum, 1) < want.Quorum {
		return false
	}
	if len(want.Approvers) == 0 {
		return true
	}
	if len(have.Approvers) == 0 {
		return false
	}
	for _, a := range have.Approvers {
		if !want.Allows(a) {
			return false
		}
	}
	return true
}

// sameNeeds reports whether a and b ask for the same approvals.
func sameNeeds(a, b *action.ApprovalNeeds) bool {
	return needsCover(a, b) && needsCover(b, a)
}

// Answer records a person's answer to the record id. The stored request
// must still match its binding hash. A session scope stores a grant; an
// always scope calls Config.Always after the answer is stored. An answer
// that comes too late returns a [*NotPendingError] and is reported as a
// late_answer event.
func (m *Manager) Answer(ctx context.Context, id string, a Answer) (*Record, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	// An answer counts from when it is recorded: a time given by the caller
	// can move it later, never earlier (before the deadline it missed).
	if now := m.c.Now(); a.Time.Before(now) {
		a.Time = now
	}
	if !a.Approve {
		a.Scope = ""
	} else if a.Scope == "" {
		a.Scope = Once
	}
	if a.Approver == "" || a.Channel == "" {
		return nil, errors.New("approval: an answer must say who answered and through which channel")
	}
	cur, err := m.c.Store.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	m.show(cur)
	if au, ok := m.c.Store.(Authenticator); ok {
		p, err := au.Principal(ctx)
		if err != nil {
			return nil, err
		}
		a.Principal = p
	}
	vote := false
	if a.Approve && cur.Needs.Restricted() {
		// A request no longer pending says so (the store's answer below),
		// whoever answers late.
		if err := checkApprover(cur, a); err != nil && cur.Status == Pending {
			return nil, err
		}
		vote = cur.Needs.Quorum > 1
	}
	if a.Approve {
		if err := m.CheckBinding(cur); err != nil {
			return nil, err
		}
		if cur.Status == Pending && a.Time.Before(cur.Created.Add(-MaxClockSkew)) {
			return nil, fmt.Errorf("approval request %s was created at %s, after this clock's %s: the clock moved back, so its age is unknown; refusing to approve it (deny it, or fix the clock)",
				id, cur.Created.Format(time.RFC3339), a.Time.Format(time.RFC3339))
		}
		switch a.Scope {
		case Session:
			if cur.Session == "" {
				return nil, fmt.Errorf("approval request %s has no agent session; approve it once or always", id)
			}
		case Always:
			if m.c.Always == nil {
				return nil, errors.New("approving always is not available here")
			}
			if _, err := AlwaysRules(cur, a); err != nil {
				return nil, err
			}
		}
	}
	var r *Record
	if vote {
		r, err = m.c.Store.Vote(ctx, id, a)
	} else {
		r, err = m.c.Store.Answer(ctx, id, a)
	}
	if err != nil {
		var np *NotPendingError
		if errors.As(err, &np) {
			if np.Expired {
				ev := cur.event(EventExpired, a.Time)
				if np.Answer != nil {
					ev.Approver, ev.Channel, ev.Note = np.Answer.Approver, np.Answer.Channel, np.Answer.Reason
				}
				m.emitWarn(ctx, ev)
			}
			ev := cur.event(EventLateAnswer, a.Time)
			ev.Approver, ev.Channel, ev.Scope = a.Approver, a.Channel, a.Scope
			ev.Note = fmt.Sprintf("%s answer had no effect: %v", verb(a.Approve), err)
			m.emitWarn(ctx, ev)
		}
		return nil, err
	}
	m.show(r)
	if r.Status == Pending {
		// A vote that has not reached the quorum yet.
		ev := r.event(EventVoted, a.Time)
		ev.Approver, ev.Channel, ev.Scope = a.Approver, a.Channel, a.Scope
		ev.Note = fmt.Sprintf("approval %d of %d", len(r.Votes), r.Needs.Quorum)
		// Whom the vote counted for (a store that authenticates its
		// clients named a.Principal above).
		ev.Note += " by principal " + a.Principal
		if a.Reason != "" {
			ev.Note += ": " + a.Reason
		}
		err := m.emit(ctx, ev, false)
		m.notify(ctx, ev)
		return r, err
	}
	if a.Approve && r.Answer != nil {
		a = *r.Answer // the final answer: every vote, the narrowest scope
	}
	typ := EventDenied
	if a.Approve {
		typ = EventApproved
	}
	ev := r.event(typ, a.Time)
	ev.Approver, ev.Channel, ev.Scope, ev.Note = a.Approver, a.Channel, a.Scope, a.Reason
	if a.Approve && r.Needs.Restricted() && a.Principal != "" {
		// Who counted toward the needs, as the channels authenticated them.
		ev.Note = strings.TrimSuffix("approved by "+a.Principal+"; "+a.Reason, "; ")
	}
	ev.Waited = a.Time.Sub(r.Created)
	var errs []error
	if err := m.emit(ctx, ev, false); err != nil {
		errs = append(errs, err)
	}
	if a.Approve {
		switch a.Scope {
		case Session:
			g := Grant{Hash: r.Hash, RequestID: r.ID, Approver: a.Approver, Channel: a.Channel, Created: a.Time,
				Expires: a.Time.Add(m.c.SessionTTL)}
			if err := m.c.Store.PutGrant(ctx, g); err != nil {
				errs = append(errs, fmt.Errorf("approved once, but the session grant failed: %w", err))
			}
		case Always:
			if err := m.c.Always(ctx, r, a); err != nil {
				errs = append(errs, fmt.Errorf("approved once, but the always rule was not written: %w", err))
			}
		}
	}
	m.notify(ctx, ev)
	return r, errors.Join(errs...)
}

// checkApprover checks that a may approve r, which has needs: an
// authenticated principal, one of the approvers the rules name, and not
// "always" (one person's standing rule must not stand in for the others).
func checkApprover(r *Record, a Answer) error {
	switch {
	case a.Principal == "":
		return fmt.Errorf("%w: approval request %s needs %s, and this channel does not say who you are; approve it with 'safeclaw approvals approve' in a terminal", ErrNotApprover, r.ID, DescribeNeeds(r.Needs))
	case !r.Needs.Allows(a.Principal):
		return fmt.Errorf("%w: %s may not approve request %s: it needs %s", ErrNotApprover, a.Principal, r.ID, DescribeNeeds(r.Needs))
	case a.Scope == Always:
		return fmt.Errorf("%w: approval request %s needs %s, so it cannot be approved always; approve it once or for the session", ErrNotApprover, r.ID, DescribeNeeds(r.Needs))
	}
	return nil
}

// DescribeNeeds says what approving takes, for people (see
// [action.ApprovalNeeds.Describe]).
func DescribeNeeds(n *action.ApprovalNeeds) string { return n.Describe() }

func verb(approve bool) string {
	if approve {
		return "the approving"
	}
	return "the denying"
}

// CheckBinding verifies that r's stored request still has r's binding hash.
// Together with [Manager.Get] and [Manager.List], which derive what
// approvers see from that request, it makes what an approver is shown what
// an approval allows.
func (m *Manager) CheckBinding(r *Record) error {
	if r.Request == nil || Bind(r.Request, r.PolicyHash) != r.Hash {
		return fmt.Errorf("approval request %s: %w", r.ID, ErrTampered)
	}
	return nil
}

// show derives what approvers see of the request (its input, parts,
// surface, agent, session and working directory) from the bound request,
// with this process's redaction, rather than trusting the stored copies,
// which whoever filed the record wrote.
func (m *Manager) show(r *Record) {
	if r.Request == nil {
		return
	}
	r.Input = m.c.Redact(r.Request.Input)
	r.Parts = m.summarize(r.Request)
	r.Surface, r.Agent, r.Session, r.Cwd = r.Request.Surface, r.Request.Agent, r.Request.Session, r.Request.Cwd
}

// Get returns the record id, expiring overdue records first. Its Input and
// Parts are derived from the bound request.
func (m *Manager) Get(ctx context.Context, id string) (*Record, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	if _, err := m.Sweep(ctx); err != nil {
		m.c.Warn("safeclaw: warning: expiring old approval requests: " + err.Error())
	}
	r, err := m.c.Store.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	m.show(r)
	return r, nil
}

// List returns records matching f, expiring overdue records first, each
// shown as [Manager.Get] does.
func (m *Manager) List(ctx context.Context, f Filter) ([]*Record, error) {
	if _, err := m.Sweep(ctx); err != nil {
		m.c.Warn("safeclaw: warning: expiring old approval requests: " + err.Error())
	}
	recs, err := m.c.Store.List(ctx, f)
	for _, r := range recs {
		m.show(r)
	}
	return recs, err
}

// Sweep expires pending records past their deadline (their requester is
// gone) and reports them, and deletes answered records older than
// Config.Retention.
func (m *Manager) Sweep(ctx context.Context) ([]*Record, error) { return m.sweep(ctx, 0) }

// submitSweep bounds how many overdue requests one filing expires.
const submitSweep = 16

func (m *Manager) sweep(ctx context.Context, max int) ([]*Record, error) {
	now := m.c.Now()
	if _, err := m.c.Store.Purge(ctx, now.Add(-m.c.Retention)); err != nil {
		m.c.Warn("safeclaw: warning: deleting old approval requests: " + err.Error())
	}
	recs, err := m.c.Store.ExpireDue(ctx, now, max)
	for _, r := range recs {
		ev := r.event(EventExpired, now)
		ev.Approver, ev.Channel = "timeout", "timeout"
		if r.Answer != nil {
			ev.Note = r.Answer.Reason
		}
		m.emitWarn(ctx, ev)
		m.notify(ctx, ev)
	}
	return recs, err
}

// expireNow expires r at once (its filing failed half way).
func (m *Manager) expireNow(r *Record, why string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _, _ = m.c.Store.Expire(ctx, r.ID, Answer{Approver: "safeclaw", Channel: "error", Reason: why, Time: m.c.Now()})
}

// emit reports ev to Config.Events; requested events also queue
// notifications. A failing mandatory event is an error; others only warn.
func (m *Manager) emit(ctx context.Context, ev Event, mandatory bool) error {
	if ev.Type == EventRequested {
		defer m.notify(ctx, ev)
	}
	if m.c.Events == nil {
		return nil
	}
	if err := m.c.Events(ctx, ev); err != nil {
		err = fmt.Errorf("record approval event %s for %s: %w", ev.Type, ev.ID, err)
		if mandatory {
			return err
		}
		m.c.Warn("safeclaw: warning: " + err.Error())
	}
	return nil
}

func (m *Manager) emitWarn(ctx context.Context, ev Event) { _ = m.emit(ctx, ev, false) }

// notify queues ev for every target; it never blocks on delivery.
func (m *Manager) notify(ctx context.Context, ev Event) {
	if m.c.Outbox == nil || len(m.c.Targets) == 0 {
		return
	}
	ns := make([]Notification, 0, len(m.c.Targets))
	for _, t := range m.c.Targets {
		ns = append(ns, Notification{Target: t, Event: ev, Created: m.c.Now()})
	}
	if err := m.c.Outbox.Enqueue(ctx, ns); err != nil {
		m.c.Warn("safeclaw: warning: queue approval notification: " + err.Error())
	}
}

// maxIDLen bounds a record id; ids safeclaw makes are 10 characters.
const maxIDLen = 64

// checkID refuses, as unknown, an id that no store holds: empty, longer
// than maxIDLen, or with characters other than ASCII letters, digits, '-'
// and '_' (what a person may paste: spaces, invisible or look-alike
// Unicode, quotes). Its error quotes at most a prefix of the id, escaped.
func checkID(id string) error {
	ok := id != "" && len(id) <= maxIDLen && strings.IndexFunc(id, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}) < 0
	if ok {
		return nil
	}
	shown := id
	if len(shown) > 24 {
		shown = shown[:24] + "..."
	}
	return fmt.Errorf("%w: %+q is not a request id (%d bytes)", ErrNotFound, shown, len(id))
}

// idAlphabet avoids letters that read alike (0/o, 1/l/i) so that ids can be
// typed from a notification.
const idAlphabet = "23456789abcdefghjkmnpqrstuvwxyz"

// newID returns a random 10-character id (about 49 bits).
func newID() (string, error) {
	var b [10]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("approval id: %w", err)
	}
	for i := range b {
		b[i] = idAlphabet[int(b[i])%len(idAlphabet)]
	}
	return string(b[:]), nil
}
