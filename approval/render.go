package approval

import (
	"fmt"
	"os"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Render shows r in full for a person at a terminal: every field an
// approver needs, the whole input (never shortened), and each part with its
// actions. Control characters, invisible format characters (such as
// right-to-left overrides) and invalid UTF-8 are shown escaped, so that the
// text cannot hide or rewrite itself on the screen.
func Render(r *Record, now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Approval request %s: %s", r.ID, r.Status)
	if r.Status == Pending {
		left := r.Deadline.Sub(now).Round(time.Second)
		if left < 0 {
			left = 0
		}
		fmt.Fprintf(&b, ", expires in %s (%s)", left, r.Deadline.Local().Format("15:04:05"))
	}
	b.WriteByte('\n')
	field := func(name, val string) {
		if val != "" {
			fmt.Fprintf(&b, "  %-10s %s\n", name+":", Printable(val))
		}
	}
	agent := r.Agent
	if r.Session != "" {
		agent += " (session " + r.Session + ")"
	}
	field("Agent", agent)
	field("Surface", r.Surface)
	field("Cwd", r.Cwd)
	if r.Rule != nil {
		rule := fmt.Sprintf("%q", r.Rule.Name)
		if r.Rule.Source != "" {
			rule += " (" + r.Rule.Source + ")"
		}
		if r.Rule.Layer != "" {
			rule += " [" + r.Rule.Layer + " layer]"
		}
		field("Rule", rule)
	}
	field("Reason", r.Reason)
	if tags := RiskTags(r.Request, userHome()); len(tags) > 0 {
		field("Risk", strings.Join(tags, ", ")+" (advisory)")
	}
	if r.Needs.Restricted() {
		needs := DescribeNeeds(r.Needs)
		if r.Status == Pending && r.Needs.Quorum > 1 {
			needs += fmt.Sprintf(" (%d so far)", len(r.Votes))
		}
		field("Needs", needs)
	}
	for _, v := range r.Votes {
		if r.Status == Pending {
			field("Approved", fmt.Sprintf("by %s via %s at %s", v.Approver, v.Channel, v.Time.Local().Format(time.RFC3339)))
		}
	}
	field("Requester", r.Requester)
	field("Created", r.Created.Local().Format(time.RFC3339))
	b.WriteString("  Input:\n")
	for _, line := range strings.Split(r.Input, "\n") {
		fmt.Fprintf(&b, "    | %s\n", Printable(line))
	}
	if len(r.Parts) > 1 || (len(r.Parts) == 1 && r.Parts[0].Text != r.Input) {
		b.WriteString("  Parts:\n")
		for i, p := range r.Parts {
			text := p.Text
			if text == "" {
				text = "(action)"
			}
			fmt.Fprintf(&b, "    %d. %s\n", i+1, Printable(text))
			for _, a := range p.Actions {
				fmt.Fprintf(&b, "       %s\n", Printable(a))
			}
		}
	} else if len(r.Parts) == 1 {
		fmt.Fprintf(&b, "  Actions:   %s\n", Printable(strings.Join(r.Parts[0].Actions, ", ")))
	}
	if a := r.Answer; a != nil {
		what := string(r.Status)
		if r.Status == Approved && a.Scope != "" {
			what += " (" + string(a.Scope) + ")"
		}
		fmt.Fprintf(&b, "  Answer:    %s by %s via %s at %s\n", what, Printable(a.Approver), Printable(a.Channel), a.Time.Local().Format(time.RFC3339))
		if a.Reason != "" {
			fmt.Fprintf(&b, "  Note:      %s\n", Printable(a.Reason))
		}
	}
	if !r.Used.IsZero() {
		fmt.Fprintf(&b, "  Used:      %s\n", r.Used.Local().Format(time.RFC3339))
	}
	return b.String()
}

// userHome is the home directory risk tags compare paths with ("" when
// unknown).
var userHome = func() string {
	h, _ := os.UserHomeDir()
	return h
}

// Printable escapes what a terminal would not show as itself: control
// characters (newlines included), Unicode format characters (bidi
// overrides, zero-width characters), the line and paragraph separators
// U+2028 and U+2029 (which a browser or a chat shows as a line break) and
// invalid UTF-8.
func Printable(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029' {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case (r >= 0x80 && r < 0xa0) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029':
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}
