package server

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
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
	if wait > 0 && ap.Wait != nil {
		ctx, cancel := context.WithTimeout(r.Context(), wait+5*time.Second)
		got, err = ap.Wait(ctx, id, wait)
		cancel()
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
