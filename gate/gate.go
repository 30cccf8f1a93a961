// Package gate is the one choke point every deciding surface (agent hooks,
// the MCP proxy, the HTTP API, the sandbox) goes through: the policy decides,
// an ask waits for a human when the surface wants that, and the decision is
// recorded in the audit trail before the agent is answered.
//
// A gate fails closed: a missing or panicking policy, an effect that is not
// allow, deny or ask, a failed or panicking approval, a request whose context
// ended before it was answered, a missing recorder or a record that cannot
// be written turn the decision into deny, with a reason saying what failed.
// Only a failed record may be answered anyway, when the configuration
// explicitly says so (audit.on_failure: allow_warn): the answer then
// carries a note and the gate warns. Shadow mode lets decisions through,
// never failures.
//
// # Current limitations
//
// The gate waits for the recorder: a record that stalls (an fsync that
// never returns) holds the answer until it returns. The surfaces bound
// their own wait and deny when their deadline passes; the record, when it
// lands later, says what the policy decided, not what the surface
// answered.
package gate

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
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
	// record fails (config audit.on_failure: allow_warn; off by default),
	// after calling Warn; the answer carries a note saying it was not
	// recorded. Failures other than the record still deny.
	AllowUnrecorded bool
	// Warn reports what allow_warn let through; nil writes to stderr.
	Warn func(msg string)
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
		// "Allow but warn" must warn somewhere even when the surface forgot
		// to say where.
		c.Warn = func(msg string) { fmt.Fprintln(os.Stderr, msg) }
	}
	return &Gate{c: c}
}

// ErrNoRecord is wrapped by the error Decide returns when the decision could
// not be recorded.
var ErrNoRecord = errors.New("the decision could not be recorded in the audit trail")

// lateRecordTimeout bounds the recording of a request whose caller stopped
// waiting (its context ended while the policy decided or a person was
// asked): the trail still says the request was denied.
const lateRecordTimeout = 5 * time.Second

// Decide runs the pipeline for req. It always returns a usable decision: on
// error the decision is deny and explains why, and the error says what failed.
//
// Every decision is recorded, failures included: a policy that panics or is
// missing, an approval that fails and a context that ends before the answer
// are recorded as the deny they turn into. Only a failed record is answered
// without one (deny, or the decision with a warning under
// [Config.AllowUnrecorded]).
func (g *Gate) Decide(ctx context.Context, req *action.Request) (d action.Decision, err error) {
	d, _, err = g.decide(ctx, req, false)
	return d, err
}

// DecideIfAllowed asks the policy about req once. When it allows, the
// decision is made and recorded exactly as [Gate.Decide] makes it, without
// asking the policy again, and recorded is true. Otherwise nothing is
// recorded or asked: d is the policy's answer alone, for a caller with a
// path of its own for such requests, which decides them afresh (the MCP
// proxy relays allowed calls on its fast path, everything else through the
// SDK). decided is false then. When decided is true, d is the answer,
// whatever it is: an allow whose record failed comes back as the deny
// Decide would give.
func (g *Gate) DecideIfAllowed(ctx context.Context, req *action.Request) (d action.Decision, decided bool, err error) {
	return g.decide(ctx, req, true)
}

func (g *Gate) decide(ctx context.Context, req *action.Request, onlyAllowed bool) (d action.Decision, decided bool, err error) {
	start := g.c.Now()
	defer func() {
		// Last resort: everything below recovers its own callbacks.
		if r := recover(); r != nil {
			d = denyBecause(fmt.Sprintf("internal error while deciding: %v", r))
			err = fmt.Errorf("gate: panic: %v", r)
		}
	}()
	if req == nil {
		return denyBecause("no request to decide"), false, errors.New("gate: nil request")
	}
	if req.Time.IsZero() {
		req.Time = start
	}
	d, err = g.policy(req)
	if onlyAllowed && (err != nil || d.Effect != action.Allow) {
		return d, false, err
	}
	decided = true
	if err == nil && d.Effect == action.Ask && d.Rule != nil {
		// The command this request runs under was approved by a person,
		// through the very rule that asks again here (an approved npm run
		// dev opening its port): that approval covers it.
		if r, ok := action.ApprovedRuleFrom(ctx); ok && r.Source == d.Rule.Source && r.Name == d.Rule.Name && r.Layer == d.Rule.Layer {
			d.Effect = action.Allow
			d.Notes = append(d.Notes, "approved with the command that started this process")
		}
	}

	var approval *Approval
	if err == nil && d.Effect == action.Ask && g.c.Approve != nil && !g.c.Shadow {
		d, approval, err = g.approve(ctx, req, d)
	}
	if cerr := ctx.Err(); cerr != nil {
		// The caller stopped waiting (its deadline passed, it went away, it
		// was interrupted): whatever was decided, nobody may act on an
		// allow now. The trail still records the deny.
		if d.Effect != action.Deny {
			d.Effect = action.Deny
			d.Reason = fmt.Sprintf("no answer before the request ended (%v); denied: %s", context.Cause(ctx), d.Reason)
		}
		if err == nil {
			err = fmt.Errorf("gate: %w", context.Cause(ctx))
		}
	}

	latency := g.c.Now().Sub(start)
	if latency < 0 {
		latency = 0 // the clock went backwards
	}
	entry := &Entry{Request: req, Decision: d, Latency: latency, Approval: approval, Shadow: g.c.Shadow}
	if rerr := g.record(ctx, entry); rerr != nil {
		rerr = fmt.Errorf("%w: %w", ErrNoRecord, rerr)
		switch {
		case err != nil:
			// Already a deny with its own error; say both.
			return d, true, fmt.Errorf("%w; %w", err, rerr)
		case !g.c.AllowUnrecorded:
			why := fmt.Sprintf("%v; denied (fail closed)", rerr)
			if g.c.Shadow {
				why += " (shadow mode lets decisions through, not unrecorded ones; audit.on_failure: allow_warn does)"
			}
			return denyBecause(why), true, rerr
		}
		g.c.Warn(fmt.Sprintf("safeclaw: warning: %v; answering anyway (audit.on_failure: allow_warn)", rerr))
		d.Notes = append(d.Notes, fmt.Sprintf("not recorded in the audit trail (%v); answered anyway (audit.on_failure: allow_warn)", rerr))
	}
	if err != nil {
		return d, true, err
	}
	if g.c.Shadow && d.Effect != action.Allow {
		d.Notes = append(d.Notes, action.ShadowNote+d.Effect.String())
		d.Effect = action.Allow
	}
	return d, true, nil
}

// policy asks the policy. A missing or panicking policy, or one that answers
// with an effect that is not allow, deny or ask, denies.
func (g *Gate) policy(req *action.Request) (d action.Decision, err error) {
	if g.c.Policy == nil {
		return denyBecause("no policy loaded"), errors.New("gate: no policy")
	}
	defer func() {
		if r := recover(); r != nil {
			d = denyBecause(fmt.Sprintf("internal error in the policy: %v", r))
			err = fmt.Errorf("gate: panic in the policy: %v", r)
		}
	}()
	d = g.c.Policy(req)
	// The policy may hand out shared notes: appending below must never
	// write into another request's decision.
	d.Notes = slices.Clip(d.Notes)
	if !known(d.Effect) {
		d.Reason = fmt.Sprintf("the policy answered with an unknown effect (%d); denied: %s", d.Effect, d.Reason)
		d.Effect = action.Deny
	}
	return d, nil
}

// approve resolves an ask through Config.Approve. Its errors and panics
// deny; a panic is also an error (a bug), an approval failure is not (the
// store being down is an answer: deny).
func (g *Gate) approve(ctx context.Context, req *action.Request, asked action.Decision) (d action.Decision, approval *Approval, err error) {
	d = asked
	defer func() {
		if r := recover(); r != nil {
			d.Effect = action.Deny
			d.Reason = fmt.Sprintf("approval failed (internal error: %v); denied: %s", r, d.Reason)
			err = fmt.Errorf("gate: panic in the approval: %v", r)
		}
	}()
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
	return d, approval, nil
}

// record hands e to the recorder. When the request's context has already
// ended, the record is still written, under a short deadline of its own.
func (g *Gate) record(ctx context.Context, e *Entry) (err error) {
	if g.c.Recorder == nil {
		return errors.New("no audit trail configured")
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error in the recorder: %v", r)
		}
	}()
	if ctx.Err() != nil {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), lateRecordTimeout)
		defer cancel()
		ctx = rctx
	}
	return g.c.Recorder.Record(ctx, e)
}

func known(e action.Effect) bool {
	return e == action.Allow || e == action.Deny || e == action.Ask
}

func denyBecause(reason string) action.Decision {
	return action.Decision{Effect: action.Deny, Reason: reason, Part: -1,
		Rule: &action.RuleRef{Name: "safeclaw fail-closed", Reason: reason, Source: "builtin", Builtin: true}}
}
