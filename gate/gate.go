// Package gate is the one choke point every deciding surface (agent hooks,
// the MCP proxy, the HTTP API, the sandbox) goes through: the policy decides,
// an ask waits for a human when the surface wants that, and the decision is
// recorded in the audit trail before the agent is answered.
//
// A gate fails closed: a panic, a missing recorder or a record that cannot be
// written turns the decision into deny (unless the configuration explicitly
// says "allow but warn" for audit failures).
//
// # Current limitations
//
// Human approval (the ask → wait path) is a seam ([Config.Approve]); the
// approval store and channels arrive with the approvals issue.
package gate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/safeclaw/safeclaw/action"
)

// Entry is what the gate hands the recorder for one decision.
type Entry struct {
	Request  *action.Request
	Decision action.Decision
	// Latency is the time from the gate receiving the request to the
	// decision, human waiting included.
	Latency time.Duration
	// Approval describes the human approval when one was asked for.
	Approval *Approval
	// Shadow is set when the configuration only observes: the agent was
	// allowed whatever Decision says.
	Shadow bool
}

// Approval records how an ask was resolved.
type Approval struct {
	ID       string        `json:"id,omitempty"`
	Outcome  string        `json:"outcome"` // approved, denied, expired, native (left to the agent's own prompt)
	Approver string        `json:"approver,omitempty"`
	Channel  string        `json:"channel,omitempty"` // cli, tty, webhook, agent, ...
	Scope    string        `json:"scope,omitempty"`   // once, session, always
	Waited   time.Duration `json:"waited,omitempty"`
	Reason   string        `json:"reason,omitempty"`
}

// Recorder appends one decision to the audit trail. An error means the
// record is not safely stored.
type Recorder interface {
	Record(ctx context.Context, e *Entry) error
}

// ApproveFunc asks a human about an ask decision and returns allow or deny
// (deny on timeout), with what happened; ask means "not answered here" (the
// surface asks through the agent's own prompt, or denies with a hint). It is
// nil when the surface answers every ask itself.
type ApproveFunc func(ctx context.Context, req *action.Request, d action.Decision) (action.Effect, *Approval, error)

// Config wires a gate.
type Config struct {
	// Policy decides; it must be pure and safe for concurrent use.
	Policy func(*action.Request) action.Decision
	// Recorder is the audit trail. Nil means decisions cannot be recorded,
	// which denies everything unless AllowUnrecorded is set.
	Recorder Recorder
	// AllowUnrecorded answers with the policy's decision even when the
	// record fails (config audit.on_failure: allow_warn), after calling Warn.
	AllowUnrecorded bool
	Warn            func(msg string)
	// Approve resolves asks; nil leaves asks to the surface.
	Approve ApproveFunc
	// Shadow records the real decision but answers allow (config mode: shadow).
	Shadow bool
	Now    func() time.Time
}

// Gate decides requests. It is safe for concurrent use.
type Gate struct{ c Config }

// New returns a gate. A config without a policy yields a gate that denies everything.
func New(c Config) *Gate {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Warn == nil {
		c.Warn = func(string) {}
	}
	return &Gate{c: c}
}

// ErrNoRecord is wrapped by the error Decide returns when the decision could
// not be recorded.
var ErrNoRecord = errors.New("the decision could not be recorded in the audit trail")

// Decide runs the pipeline for req. It always returns a usable decision: on
// error the decision is deny and explains why, and the error says what failed.
func (g *Gate) Decide(ctx context.Context, req *action.Request) (d action.Decision, err error) {
	start := g.c.Now()
	defer func() {
		if r := recover(); r != nil {
			d = denyBecause(fmt.Sprintf("internal error while deciding: %v", r))
			err = fmt.Errorf("gate: panic: %v", r)
		}
	}()
	if req.Time.IsZero() {
		req.Time = start
	}
	if g.c.Policy == nil {
		return denyBecause("no policy loaded"), errors.New("gate: no policy")
	}
	d = g.c.Policy(req)
	if d.Effect == action.Ask && d.Rule != nil {
		// The command this request runs under was approved by a person,
		// through the very rule that asks again here (an approved npm run
		// dev opening its port): that approval covers it.
		if r, ok := action.ApprovedRuleFrom(ctx); ok && r.Source == d.Rule.Source && r.Name == d.Rule.Name && r.Layer == d.Rule.Layer {
			d.Effect = action.Allow
			d.Notes = append(d.Notes, "approved with the command that started this process")
		}
	}

	var approval *Approval
	if d.Effect == action.Ask && g.c.Approve != nil && !g.c.Shadow {
		eff, ap, aerr := g.c.Approve(ctx, req, d)
		approval = ap
		switch {
		case aerr != nil:
			d.Effect = action.Deny
			d.Reason = fmt.Sprintf("approval failed (%v); denied: %s", aerr, d.Reason)
		case eff == action.Ask:
			// Not answered here: the surface asks through its own channel
			// (the agent's prompt) or denies with a hint; it never runs.
		case eff == action.Allow:
			d.Effect = action.Allow
			d.Reason = "approved by a human: " + d.Reason
		default:
			d.Effect = action.Deny
			d.Reason = "not approved: " + d.Reason
		}
	}

	entry := &Entry{Request: req, Decision: d, Latency: g.c.Now().Sub(start), Approval: approval, Shadow: g.c.Shadow}
	if g.c.Recorder == nil {
		err = fmt.Errorf("%w: no audit trail configured", ErrNoRecord)
	} else if rerr := g.c.Recorder.Record(ctx, entry); rerr != nil {
		err = fmt.Errorf("%w: %v", ErrNoRecord, rerr)
	}
	if err != nil {
		if !g.c.AllowUnrecorded {
			return denyBecause(fmt.Sprintf("%v; denied (fail closed)", err)), err
		}
		g.c.Warn(fmt.Sprintf("safeclaw: warning: %v; answering anyway (audit.on_failure: allow_warn)", err))
		err = nil
	}
	if g.c.Shadow && d.Effect != action.Allow {
		d.Notes = append(d.Notes, action.ShadowNote+d.Effect.String())
		d.Effect = action.Allow
	}
	return d, nil
}

func denyBecause(reason string) action.Decision {
	return action.Decision{Effect: action.Deny, Reason: reason, Part: -1,
		Rule: &action.RuleRef{Name: "safeclaw fail-closed", Reason: reason, Source: "builtin", Builtin: true}}
}
