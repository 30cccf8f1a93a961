package mcpproxy

import (
	"context"
	"fmt"
	"time"

	"github.com/safeclaw/safeclaw/action"
)

// EventKind says what an [Event] is.
type EventKind string

const (
	// EventElicitation: the client's user answered (or did not answer) an
	// approval question asked by MCP elicitation.
	EventElicitation EventKind = "elicitation"
	// EventPinDenied: a tool call was denied because the tool's definition
	// changed since it was pinned; no rule decided it.
	EventPinDenied EventKind = "pin-denied"
	// EventPriorApproval: an ask was not put to anyone because a person had
	// just approved the same call through another surface
	// ([Options.Approved]).
	EventPriorApproval EventKind = "prior-approval"
)

// Event is something the proxy resolved outside Decide, for the audit
// trail ([Options.Record]).
type Event struct {
	Kind    EventKind
	Request *action.Request
	// Decision is what the event means for the request: Allow for an
	// approved elicitation, else Deny. For an elicitation, its Rule is the
	// rule that asked.
	Decision action.Decision
	// Outcome, for an elicitation: approved, denied (declined or not
	// approved), dismissed, expired (not answered in time), cancelled or
	// invalid (a retry whose approval state does not hold).
	Outcome string
	// Approver names who answered: the client's user, as the client calls
	// itself ("user of claude-code").
	Approver string
	// Waited is how long the question was open, when known.
	Waited time.Duration
}

// record hands ev to Options.Record; a failure is reported through Warn
// (the request is decided already; a lost record must be seen).
func (p *Proxy) record(ctx context.Context, ev Event) {
	if p.opts.Record == nil {
		return
	}
	if err := p.opts.Record(ctx, ev); err != nil {
		p.opts.Warn(fmt.Sprintf("safeclaw mcp: %s: could not record the %s event for %s in the audit trail: %v", p.opts.Name, ev.Kind, subject(ev.Request), err))
	}
}

// recordElicitation records how an elicitation ended.
func (p *Proxy) recordElicitation(ctx context.Context, approver string, req *action.Request, asked action.Decision, outcome string, waited time.Duration) {
	eff := action.Deny
	if outcome == "approved" {
		eff = action.Allow
	}
	p.record(context.WithoutCancel(ctx), Event{Kind: EventElicitation, Request: req, Decision: withEffect(asked, eff), Outcome: outcome, Approver: approver, Waited: waited})
}

func withEffect(d action.Decision, eff action.Effect) action.Decision {
	d.Effect = eff
	return d
}
