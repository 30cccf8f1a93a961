package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/safeclaw/safeclaw/action"
)

// Approvals connects the API to safeclaw's approval store (package
// approval, wired by the CLI). Every field may be nil; a nil function turns
// its feature off.
type Approvals struct {
	// Submit files a pending approval request for an ask that nobody waits
	// for, and returns it; its id goes back to the client, which can poll it
	// and retry the same call once a person approved it.
	Submit func(ctx context.Context, req *action.Request, d action.Decision) (Approval, error)
	// Ask files a request and blocks until a person answers or its timeout
	// (or ctx) ends, returning the decision with Allow or Deny. Used when a
	// decide request says "wait", and by the hook route's wait mode.
	Ask func(ctx context.Context, req *action.Request, d action.Decision) (action.Decision, error)
	// Get returns one request; [ErrApprovalNotFound] when there is none.
	Get func(ctx context.Context, id string) (Approval, error)
	// Wait returns the request once it is no longer pending, or its current
	// state when timeout passes first.
	Wait func(ctx context.Context, id string, timeout time.Duration) (Approval, error)

	// MaxPending bounds the approval requests the API's clients may have
	// waiting for a person at once: those filed by Submit that are still
	// pending, plus the Ask calls in flight (each files one). Beyond it no
	// request is filed and the ask is answered without one. 0 means
	// [DefaultMaxPending].
	MaxPending int
	// MaxPolls bounds the long polls of the approval route in flight; the
	// ones beyond it answer at once. 0 means [DefaultMaxPolls].
	MaxPolls int

	lim pendingLimit // shared by every handler given this Approvals
}

// DefaultMaxPending and DefaultMaxPolls are the defaults of
// [Approvals.MaxPending] and [Approvals.MaxPolls]. A person answers
// approval requests one by one: a client that files more than this many
// is flooding them (approval fatigue), and each long poll reads the store
// every few hundred milliseconds.
const (
	DefaultMaxPending = 32
	DefaultMaxPolls   = 64
)

// errTooManyPending is returned instead of filing an approval request
// when [Approvals.MaxPending] are pending.
var errTooManyPending = errors.New("too many approval requests are pending")

// pendingLimit counts what [Approvals.MaxPending] bounds.
type pendingLimit struct {
	mu       sync.Mutex
	filed    map[string]filedRequest // by id: what Submit returned, while it may be pending
	reserved int                     // Submit calls in flight
	asking   int                     // Ask calls in flight
	polls    int                     // long polls in flight
}

// filedRequest is a request Submit filed.
type filedRequest struct {
	deadline time.Time
	call     string // [callKey] of its request
}

// callKey identifies a request as the approval store's binding does (the
// same call, in the same place, under the same policy), so that the same
// call asked again while its request is pending is not counted twice.
func callKey(req *action.Request, d action.Decision) string {
	data, err := json.Marshal(struct {
		Surface, Agent, Session, Cwd, Input, Policy string
		Parts                                       []action.Part
	}{req.Surface, req.Agent, req.Session, req.Cwd, req.Input, d.PolicyHash, req.Parts})
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func (a *Approvals) maxPending() int {
	if a.MaxPending > 0 {
		return a.MaxPending
	}
	return DefaultMaxPending
}

// count is what MaxPending bounds, once the requests whose deadline passed
// are forgotten. l.mu must be held.
func (l *pendingLimit) count(now time.Time) int {
	for id, f := range l.filed {
		if !f.deadline.IsZero() && !now.Before(f.deadline) {
			delete(l.filed, id)
		}
	}
	return len(l.filed) + l.reserved + l.asking
}

// has reports whether a request for the call with key k is filed.
func (l *pendingLimit) has(k string) bool {
	if k == "" {
		return false
	}
	for _, f := range l.filed {
		if f.call == k {
			return true
		}
	}
	return false
}

// reserve takes a place for one more pending request, if there is one.
// When the limit is reached it first forgets the requests a person
// answered since (asking the store about each); ok is false when that
// frees nothing. A call whose request is filed and pending (key, for
// Submit) is let through: the store gives it that request back.
func (a *Approvals) reserve(ctx context.Context, now time.Time, asking bool, key string) bool {
	l := &a.lim
	take := func() bool {
		if l.count(now) >= a.maxPending() && (asking || !l.has(key)) {
			return false
		}
		if asking {
			l.asking++
		} else {
			l.reserved++
		}
		return true
	}
	l.mu.Lock()
	if take() {
		l.mu.Unlock()
		return true
	}
	ids := make([]string, 0, len(l.filed))
	for id := range l.filed {
		ids = append(ids, id)
	}
	l.mu.Unlock()
	if a.Get == nil {
		return false
	}
	var done []string
	for _, id := range ids {
		got, err := a.Get(ctx, id)
		if errors.Is(err, ErrApprovalNotFound) || err == nil && got.Status != "pending" {
			done = append(done, id)
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, id := range done {
		delete(l.filed, id)
	}
	return take()
}

// submit files a pending request through Submit, within MaxPending.
func (a *Approvals) submit(ctx context.Context, now time.Time, req *action.Request, d action.Decision) (Approval, error) {
	key := callKey(req, d)
	if !a.reserve(ctx, now, false, key) {
		return Approval{}, errTooManyPending
	}
	got, err := a.Submit(ctx, req, d)
	l := &a.lim
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reserved--
	if err == nil && got.ID != "" {
		if l.filed == nil {
			l.filed = map[string]filedRequest{}
		}
		// The same call asked again gets the same pending request back:
		// it takes one place, however often it is asked.
		l.filed[got.ID] = filedRequest{deadline: got.Deadline, call: key}
	}
	return got, err
}

// ask files a request and waits for a person through Ask, within
// MaxPending.
func (a *Approvals) ask(ctx context.Context, now time.Time, req *action.Request, d action.Decision) (action.Decision, error) {
	if !a.reserve(ctx, now, true, "") {
		return action.Decision{}, errTooManyPending
	}
	defer func() {
		a.lim.mu.Lock()
		a.lim.asking--
		a.lim.mu.Unlock()
	}()
	return a.Ask(ctx, req, d)
}

// startPoll takes a place for one long poll; false when MaxPolls are in
// flight. done gives it back.
func (a *Approvals) startPoll() (ok bool, done func()) {
	limit := a.MaxPolls
	if limit <= 0 {
		limit = DefaultMaxPolls
	}
	a.lim.mu.Lock()
	defer a.lim.mu.Unlock()
	if a.lim.polls >= limit {
		return false, func() {}
	}
	a.lim.polls++
	return true, func() {
		a.lim.mu.Lock()
		a.lim.polls--
		a.lim.mu.Unlock()
	}
}

// tooManyPendingNote says why an ask carries no approval request.
func tooManyPendingNote(limit int) string {
	return fmt.Sprintf("no approval request was filed: %d are waiting for a person already (answer them with 'safeclaw approvals' or let them expire, then retry)", limit)
}

// ErrApprovalNotFound is returned by [Approvals] Get and Wait for an
// unknown id.
var ErrApprovalNotFound = errors.New("no such approval request")

// Approval is an approval request as clients see it.
type Approval struct {
	ID string `json:"id"`
	// Status is pending, approved, denied or expired.
	Status   string    `json:"status"`
	Created  time.Time `json:"created,omitzero"`
	Deadline time.Time `json:"expires_at,omitzero"`
	// Approver, Channel, Scope and Reason describe the answer, once given.
	Approver string    `json:"approver,omitempty"`
	Channel  string    `json:"channel,omitempty"`
	Scope    string    `json:"scope,omitempty"`
	Reason   string    `json:"reason,omitempty"`
	Answered time.Time `json:"answered_at,omitzero"`
	// Used says the approval already allowed its request (single use).
	Used bool `json:"used,omitempty"`
	// Needs says what approving takes beyond one approval from anyone;
	// Approvals counts those given so far while a quorum is not reached.
	Needs     *action.ApprovalNeeds `json:"needs,omitempty"`
	Approvals int                   `json:"approvals,omitempty"`
}

// approvalBody is the approval route's answer.
type approvalBody struct {
	Approval
	// Decision is what the request's caller should do now: "allow" once
	// approved (retry the same call: the retry is allowed once), "deny"
	// when denied or expired, "ask" while pending.
	Decision string `json:"decision"`
	URL      string `json:"url"`
}

func approvalURL(id string) string { return "/v1/approvals/" + id }

func (h *Handler) serveApproval(w http.ResponseWriter, r *http.Request) {
	ap := h.c.Approvals
	if ap == nil || ap.Get == nil {
		h.fail(w, r, notFound("approvals not available"))
		return
	}
	id := r.PathValue("id")
	if !validID(id) {
		h.fail(w, r, notFound("no such approval request"))
		return
	}
	var wait time.Duration
	if s := r.URL.Query().Get("wait"); s != "" {
		d, err := parseWait(s)
		if err != nil {
			h.fail(w, r, &apiError{status: http.StatusBadRequest, public: "wait: " + err.Error()})
			return
		}
		wait = min(d, h.c.MaxWait)
	}
	var (
		got Approval
		err error
	)
	polling, done := false, func() {}
	if wait > 0 && ap.Wait != nil {
		// Past MaxPolls a long poll answers at once, as without "wait":
		// the client asks again.
		polling, done = ap.startPoll()
	}
	if polling {
		ctx, cancel := context.WithTimeout(r.Context(), wait+5*time.Second)
		got, err = ap.Wait(ctx, id, wait)
		cancel()
		done()
	} else {
		got, err = ap.Get(r.Context(), id)
	}
	switch {
	case errors.Is(err, ErrApprovalNotFound):
		h.fail(w, r, notFound("no such approval request"))
		return
	case err != nil:
		h.fail(w, r, &apiError{status: http.StatusInternalServerError, public: "reading the approval request failed", internal: err})
		return
	}
	body := approvalBody{Approval: got, URL: approvalURL(got.ID)}
	switch got.Status {
	case "approved":
		body.Decision = "allow"
		if got.Used {
			// The approval allowed its request already (single use); the
			// same call again is asked about again.
			body.Decision = "deny"
		}
	case "pending":
		body.Decision = "ask"
	default:
		body.Decision = "deny"
	}
	writeJSON(w, http.StatusOK, body)
}

// validID accepts the ids safeclaw's approval store makes (letters, digits,
// '-' and '_'), short enough for a log line.
func validID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	return strings.IndexFunc(id, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}) < 0
}

// maxWaitSpec caps a parsed wait before it is bounded by [Config.MaxWait],
// so that a huge number of seconds never overflows a Duration.
const maxWaitSpec = 24 * time.Hour

// parseWait reads a wait: a Go duration ("60s", "2m") or whole seconds ("60").
func parseWait(s string) (time.Duration, error) {
	if n, err := strconv.Atoi(s); err == nil || errors.Is(err, strconv.ErrRange) {
		if n < 0 {
			return 0, errors.New("must not be negative")
		}
		if n >= int(maxWaitSpec/time.Second) {
			return maxWaitSpec, nil
		}
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, errors.New(`want a duration such as "60s" or a number of seconds`)
	}
	if d < 0 {
		return 0, errors.New("must not be negative")
	}
	return d, nil
}
