package mcpproxy

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/safeclaw/safeclaw/action"
)

// approvalInput is the id of safeclaw's input request in an input_required
// result (2026-07-28 era).
const approvalInput = "safeclaw-approval"

// askState is what the request brings to an ask: a retry's approval state
// and responses (2026-07-28 era), its progress token, and whether an
// input_required result may be answered.
type askState struct {
	state            string
	responses        mcp.InputResponseMap
	progress         any
	canInputRequired bool
	meta             mcp.Meta // the request's own
}

// ask resolves an ask decision for the request identified by bind. It
// returns whether the request may go on, else why not; or, for a
// 2026-07-28 client that can be asked, the input_required result to send.
//
// In order: a retry carrying an approval for exactly this request; a
// person's approval of the same call moments earlier (Approved); the
// client's user by elicitation; safeclaw's approval queue (Approve); a
// pending approval (Pending); deny.
func (p *Proxy) ask(ctx context.Context, ss *mcp.ServerSession, req *action.Request, d action.Decision, bind string, st askState) (bool, string, mcp.Result) {
	if d.Approval.Restricted() {
		// A quorum or named approvers: the client's user answering once,
		// here or at the agent's prompt, is neither. safeclaw's queue only.
		return p.queue(ctx, ss, req, d, st)
	}
	if st.state != "" {
		if err := p.redeemState(st.state, bind); err != nil {
			p.recordElicitation(ctx, approverOf(ss), req, d, "invalid", 0)
			return false, notApprovedMessage(req, d, "the approval it carries is not valid for it ("+err.Error()+")"), nil
		}
		ok, why, outcome := approvedBy(st.responses[approvalInput])
		p.recordElicitation(ctx, approverOf(ss), req, d, outcome, p.stateWaited(st.state))
		if !ok {
			return false, notApprovedMessage(req, d, why), nil
		}
		p.opts.Warn(fmt.Sprintf("safeclaw mcp: %s: the client's user approved %s", p.opts.Name, subject(req)))
		return true, "", nil
	}
	if p.opts.Approved != nil {
		// Claude Code names the tool call in each MCP request it makes: a
		// note from its hook counts only for that very call.
		toolUseID, _ := st.meta["claudecode/toolUseId"].(string)
		if who, ok := p.opts.Approved(ctx, req, toolUseID); ok {
			p.record(context.WithoutCancel(ctx), Event{Kind: EventPriorApproval, Request: req,
				Decision: withEffect(d, action.Allow), Outcome: "approved", Approver: who})
			return true, "", nil
		}
	}
	version, caps := clientOf(ss, st.meta)
	if p.opts.Elicit && ss != nil && elicits(caps) {
		if version >= "2026-07-28" {
			if st.canInputRequired {
				return false, "", p.inputRequired(req, d, bind)
			}
		} else {
			ectx, cancel := context.WithTimeout(ctx, p.opts.ElicitTimeout)
			asked := p.opts.Now()
			res, err := ss.Elicit(ectx, elicitParams(req, d))
			timedOut := errors.Is(ectx.Err(), context.DeadlineExceeded)
			cancel()
			waited := p.opts.Now().Sub(asked)
			switch {
			case timedOut:
				p.recordElicitation(ctx, approverOf(ss), req, d, "expired", waited)
				return false, notApprovedMessage(req, d, "nobody answered the question in time"), nil
			case ctx.Err() != nil:
				p.recordElicitation(ctx, approverOf(ss), req, d, "cancelled", waited)
				return false, notApprovedMessage(req, d, "the call was cancelled"), nil
			case err == nil:
				ok, why, outcome := approvedBy(res)
				p.recordElicitation(ctx, approverOf(ss), req, d, outcome, waited)
				if !ok {
					return false, notApprovedMessage(req, d, why), nil
				}
				p.opts.Warn(fmt.Sprintf("safeclaw mcp: %s: the client's user approved %s", p.opts.Name, subject(req)))
				return true, "", nil
			}
			// The client could not be asked (stateless HTTP cannot carry a
			// request to the client): try the approval queue.
		}
	}
	return p.queue(ctx, ss, req, d, st)
}

// queue puts an ask to safeclaw's approval queue: waiting on it (Approve),
// else filing it (Pending) and denying with how to approve.
func (p *Proxy) queue(ctx context.Context, ss *mcp.ServerSession, req *action.Request, d action.Decision, st askState) (bool, string, mcp.Result) {
	if p.opts.Approve != nil {
		stop := p.keepAlive(ctx, ss, st.progress)
		eff, err := p.opts.Approve(ctx, req, d)
		stop()
		switch {
		case err != nil:
			return false, notApprovedMessage(req, d, "the approval failed ("+err.Error()+")"), nil
		case eff == action.Allow:
			return true, "", nil
		}
		return false, notApprovedMessage(req, d, "no person approved it"), nil
	}
	id := ""
	if p.opts.Pending != nil {
		if got, err := p.opts.Pending(ctx, req, d); err == nil {
			id = got
		}
	}
	return false, askDeniedMessage(req, d, id), nil
}

// approvedBy reads an elicitation answer: only an accepted form with
// approve: true approves. outcome is the audit's word for the answer.
func approvedBy(r mcp.InputResponse) (ok bool, why, outcome string) {
	res, isElicit := r.(*mcp.ElicitResult)
	if !isElicit || res == nil {
		return false, "no approval came back", "dismissed"
	}
	switch res.Action {
	case "accept":
		if v, isBool := res.Content["approve"].(bool); isBool && v {
			return true, "", "approved"
		}
		return false, "the user did not approve it", "denied"
	case "decline":
		return false, "the user declined it", "denied"
	}
	return false, "the user dismissed the question", "dismissed"
}

// approverOf names who answers an elicitation: the client's user, as the
// client names itself (unauthenticated).
func approverOf(ss *mcp.ServerSession) string {
	if ss != nil {
		if ip := ss.InitializeParams(); ip != nil && ip.ClientInfo != nil {
			if name := clientLabel(ip.ClientInfo.Name); name != "" {
				return "user of " + name
			}
		}
	}
	return "the MCP client's user"
}

// clientLabel is a client's own name for the record: control characters
// (line breaks, terminal escapes) as spaces, at most 64 bytes.
func clientLabel(name string) string {
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0x2028 || r == 0x2029 {
			return ' '
		}
		return r
	}, name)
	name = strings.Join(strings.Fields(name), " ")
	if len(name) > 64 {
		name = strings.ToValidUTF8(name[:64], "")
	}
	return name
}

// stateWaited is how long ago a (verified) approval state was issued.
func (p *Proxy) stateWaited(state string) time.Duration {
	b64, _, _ := strings.Cut(state, ".")
	body, err := base64.RawURLEncoding.DecodeString(b64)
	var c stateClaims
	if err != nil || json.Unmarshal(body, &c) != nil {
		return 0
	}
	issued := time.Unix(c.Expires, 0).Add(-p.opts.ElicitTimeout)
	if w := p.opts.Now().Sub(issued); w > 0 {
		return w
	}
	return 0
}

// clientOf is the protocol version and capabilities of the client making
// a request: in the 2026-07-28 era each request names its own (in _meta),
// which count for it; otherwise the session's, from initialize (or, on
// stdio, the first request of the 2026-07-28 era).
func clientOf(ss *mcp.ServerSession, meta mcp.Meta) (version string, caps *mcp.ClientCapabilities) {
	if v, ok := meta[mcp.MetaKeyProtocolVersion].(string); ok && v >= "2026-07-28" {
		var c mcp.ClientCapabilities
		if b, err := json.Marshal(meta[mcp.MetaKeyClientCapabilities]); err == nil && json.Unmarshal(b, &c) == nil {
			return v, &c
		}
		return v, nil
	}
	if ss == nil {
		return "", nil
	}
	if ip := ss.InitializeParams(); ip != nil {
		return ip.ProtocolVersion, ip.Capabilities
	}
	return "", nil
}

// elicits reports whether capabilities declare elicitation (form mode, or
// the pre-2025-11-25 empty object).
func elicits(caps *mcp.ClientCapabilities) bool {
	return caps != nil && caps.Elicitation != nil && (caps.Elicitation.Form != nil || caps.Elicitation.URL == nil)
}

func elicitParams(req *action.Request, d action.Decision) *mcp.ElicitParams {
	input := req.Input
	if len(input) > 2000 {
		input = input[:2000] + "..."
	}
	return &mcp.ElicitParams{
		Mode: "form",
		Message: "safeclaw: an agent wants to run\n\n" + input + "\n\nThis needs a person's approval (" + ruleText(d) + ")." + notes(d) +
			"\nApprove this one call, with exactly these arguments?",
		RequestedSchema: map[string]any{
			"type": "object",
			"properties": map[string]any{
				"approve": map[string]any{"type": "boolean", "title": "Approve this call", "description": "Run it once, with exactly these arguments"},
			},
			"required": []string{"approve"},
		},
	}
}

// inputRequired is the 2026-07-28 answer that asks the client's user: an
// elicitation input request and a signed state binding the approval to
// exactly this request, once, for the elicitation timeout.
func (p *Proxy) inputRequired(req *action.Request, d action.Decision, bind string) mcp.Result {
	state := p.newState(bind)
	ep, err := json.Marshal(elicitParams(req, d))
	if err != nil {
		return errorResult("safeclaw could not ask for approval: " + err.Error())
	}
	wire := fmt.Sprintf(`{"content":[],"resultType":"input_required","inputRequests":{%q:{"method":"elicitation/create","params":%s}},"requestState":%q}`,
		approvalInput, ep, state)
	var res mcp.CallToolResult
	if err := json.Unmarshal([]byte(wire), &res); err != nil {
		return errorResult("safeclaw could not ask for approval: " + err.Error())
	}
	return &res
}

type stateClaims struct {
	Bind    string `json:"b"` // sha256 of the bound request
	Nonce   string `json:"n"`
	Expires int64  `json:"e"` // unix seconds
}

func (p *Proxy) newState(bind string) string {
	var nonce [16]byte
	_, _ = rand.Read(nonce[:])
	sum := sha256.Sum256([]byte(bind))
	return p.signState(stateClaims{Bind: hex.EncodeToString(sum[:]), Nonce: hex.EncodeToString(nonce[:]),
		Expires: p.opts.Now().Add(p.opts.ElicitTimeout).Unix()})
}

func (p *Proxy) signState(c stateClaims) string {
	body, _ := json.Marshal(c)
	mac := hmac.New(sha256.New, p.stateKey[:])
	mac.Write(body)
	return base64.RawURLEncoding.EncodeToString(body) + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// redeemState checks a state this proxy signed for exactly bind, unexpired
// and not redeemed before, and marks it redeemed.
func (p *Proxy) redeemState(state, bind string) error {
	b64, sig, ok := strings.Cut(state, ".")
	if !ok {
		return fmt.Errorf("malformed state")
	}
	body, err1 := base64.RawURLEncoding.DecodeString(b64)
	got, err2 := base64.RawURLEncoding.DecodeString(sig)
	if err1 != nil || err2 != nil {
		return fmt.Errorf("malformed state")
	}
	mac := hmac.New(sha256.New, p.stateKey[:])
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return fmt.Errorf("not issued by this safeclaw")
	}
	var c stateClaims
	if err := json.Unmarshal(body, &c); err != nil {
		return fmt.Errorf("malformed state")
	}
	sum := sha256.Sum256([]byte(bind))
	if c.Bind != hex.EncodeToString(sum[:]) {
		return fmt.Errorf("it was given for other arguments")
	}
	now := p.opts.Now()
	if now.Unix() > c.Expires {
		return fmt.Errorf("it expired")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for n, exp := range p.used {
		if now.After(exp) {
			delete(p.used, n)
		}
	}
	if _, dup := p.used[c.Nonce]; dup {
		return fmt.Errorf("it was already used")
	}
	p.used[c.Nonce] = time.Unix(c.Expires+1, 0)
	return nil
}

// keepAlive sends progress notifications while a person is being waited
// for, when the client gave a progress token, so it does not time out.
func (p *Proxy) keepAlive(ctx context.Context, ss *mcp.ServerSession, token any) (stop func()) {
	if ss == nil || token == nil {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(10 * time.Second)
		defer t.Stop()
		for n := 1; ; n++ {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				_ = ss.NotifyProgress(ctx, &mcp.ProgressNotificationParams{ProgressToken: token, Progress: float64(n),
					Message: "waiting for a person's approval in safeclaw"})
			}
		}
	}()
	return func() { close(done) }
}
