package hook

import (
	"strconv"
	"strings"

	"github.com/safeclaw/safeclaw/action"
)

// The messages below are what the model (and the person watching it) reads.
// Each names the rule that decided and says what would change the outcome,
// so that the model asks the user instead of trying another spelling.

// subject is what the decision was about: the deciding part (or the only
// part) as its kind and either its command text or the resource its first
// facet names; the whole request's text otherwise.
func subject(req *action.Request, dec action.Decision) string {
	var p *action.Part
	switch {
	case dec.Part >= 0 && dec.Part < len(req.Parts):
		p = &req.Parts[dec.Part]
	case len(req.Parts) == 1:
		p = &req.Parts[0]
	}
	if p == nil || len(p.Facets) == 0 {
		return quote(req.Input)
	}
	f := p.Facets[0]
	text := p.Text
	if text == "" && f.Kind != action.MCPCall {
		// An MCP call is shown whole: its arguments are what a person judges.
		text = resource(f)
	}
	if text == "" {
		text = req.Input
	}
	return string(f.Kind) + " " + quote(text)
}

// resource is what a non-shell facet acts on.
func resource(a action.Action) string {
	switch {
	case a.Path != "":
		return a.Path
	case a.URL != "":
		return a.URL
	case a.Host != "":
		return a.Host + ":" + strconv.Itoa(a.Port)
	}
	return ""
}

// quote puts text in double quotes for display, escaping only when it holds
// line breaks or control characters (the message must stay one line).
func quote(text string) string {
	if strings.IndexFunc(text, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
		return strconv.Quote(text)
	}
	return `"` + text + `"`
}

// ruleText names the deciding rule: `rule "NAME" (SOURCE): REASON`.
func ruleText(dec action.Decision) string {
	r := dec.Rule
	if r == nil {
		if dec.Reason != "" {
			return dec.Reason
		}
		return "no rule allows it (default: deny)"
	}
	var b strings.Builder
	b.WriteString("rule ")
	b.WriteString(strconv.Quote(r.Name))
	if r.Source != "" {
		b.WriteString(" (")
		b.WriteString(r.Source)
		b.WriteString(")")
	}
	if r.Reason != "" && r.Reason != r.Name {
		b.WriteString(": ")
		b.WriteString(r.Reason)
	}
	return b.String()
}

func notes(dec action.Decision) string {
	if len(dec.Notes) == 0 {
		return ""
	}
	return " Note: " + strings.Join(dec.Notes, "; ") + "."
}

func denyMessage(req *action.Request, dec action.Decision) string {
	return "safeclaw denied " + subject(req, dec) + ": " + ruleText(dec) + "." + notes(dec) +
		" If this is needed, ask the user to change the safeclaw policy (safeclaw policy explain shows why); do not retry it in another form."
}

func allowMessage(req *action.Request, dec action.Decision) string {
	for _, n := range dec.Notes {
		if would, ok := strings.CutPrefix(n, action.ShadowNote); ok {
			// Shadow mode lets everything run: say what enforcing would do.
			return "safeclaw is in shadow mode and let it run; enforcing, it would have been " + would + ": " + ruleText(dec)
		}
	}
	if dec.Rule == nil {
		return "safeclaw allowed it (policy default)"
	}
	return "safeclaw allowed it: " + ruleText(dec)
}

// askMessage is shown in the agent's own approval prompt.
func askMessage(req *action.Request, dec action.Decision) string {
	return "safeclaw asks for a person's approval of " + subject(req, dec) + ": " + ruleText(dec) + "." + notes(dec)
}

func approveHint(id string) string {
	if id == "" {
		return "Ask the user to approve it in safeclaw (safeclaw approvals list shows pending requests), then retry the same call unchanged."
	}
	return "Ask the user to approve it with: safeclaw approvals approve " + id + " ; then retry the same call unchanged."
}

// askDeniedMessage answers an ask that could not be put to a person here.
func askDeniedMessage(req *action.Request, dec action.Decision, id string) string {
	if dec.Approval.Restricted() {
		return "safeclaw needs " + dec.Approval.Describe() + " for " + subject(req, dec) + " (" + ruleText(dec) +
			") and cannot ask for it here, so it is denied for now." + notes(dec) + " " + approveHint(id)
	}
	return "safeclaw needs a person's approval for " + subject(req, dec) + " (" + ruleText(dec) + ") and cannot ask one here, so it is denied for now." +
		notes(dec) + " " + approveHint(id)
}

func deferMessage(req *action.Request, dec action.Decision, id string) string {
	return "safeclaw deferred " + subject(req, dec) + " for a person's approval (" + ruleText(dec) + "). " + approveHint(id)
}

func approvedMessage(req *action.Request, dec action.Decision) string {
	return "safeclaw: a person approved " + subject(req, dec) + " (" + ruleText(dec) + ")"
}

func notApprovedMessage(req *action.Request, dec action.Decision, got action.Decision) string {
	why := got.Reason
	if why == "" {
		why = "no person approved it in time"
	}
	return "safeclaw denied " + subject(req, dec) + ": it needs a person's approval (" + ruleText(dec) + ") and " + why + "." +
		" Do not retry it in another form; ask the user."
}

// errorMessage is the blocking answer's reason when safeclaw itself failed.
func errorMessage(reason string) string {
	return "safeclaw blocked this tool call because the safeclaw hook failed: " + reason +
		". Nothing was run. Ask the user to check safeclaw (safeclaw doctor) and retry."
}
