package audit

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// summaryRunes bounds the request shown on one line.
const summaryRunes = 160

// FormatLine renders r as one human-readable line, in the words of
// `safeclaw --simulate`:
//
//	2026-05-06T14:03:22Z #42 [DENIED] claude shell.execute,network.listen: "python -m http.server 8080"  Rule: "Block Python HTTP server" (safeclaw.policy.yaml:3)
func FormatLine(r *Record) string {
	var b strings.Builder
	b.WriteString(r.Time.UTC().Format("2006-01-02T15:04:05Z"))
	fmt.Fprintf(&b, " #%d ", r.Seq)
	if r.Type == TypePrune && r.Prune != nil {
		var n uint64
		first, last := uint64(0), uint64(0)
		for i, s := range r.Prune.Segments {
			n += s.Records
			if i == 0 {
				first = s.FirstSeq
			}
			last = s.LastSeq
		}
		fmt.Fprintf(&b, "[PRUNED] %d record(s) %s in %d segment(s) removed by retention", n, seqRange(first, last), len(r.Prune.Segments))
		return b.String()
	}
	switch {
	case r.Type == TypeOutcome:
		b.WriteString("[OUTCOME]")
	case r.Decision == Allow:
		b.WriteString("[ALLOWED]")
	case r.Decision == Ask:
		b.WriteString("[APPROVAL]")
	default:
		b.WriteString("[DENIED]")
	}
	if r.Agent != "" {
		b.WriteString(" " + plain(r.Agent))
	}
	kinds := r.Kinds()
	if len(kinds) == 0 {
		kinds = []string{"-"}
	}
	b.WriteString(" " + plain(strings.Join(kinds, ",")) + ": ")
	b.WriteString(strconv.Quote(summary(r)))
	if r.Rule != nil {
		name := r.Rule.Name
		if name == "" {
			name = r.Rule.Reason
		}
		fmt.Fprintf(&b, "  Rule: %q", name)
		if r.Rule.Source != "" {
			fmt.Fprintf(&b, " (%s)", plain(r.Rule.Source))
		}
	} else if r.Reason != "" {
		fmt.Fprintf(&b, "  Reason: %q", r.Reason)
	}
	if a := r.Approval; a != nil && a.Outcome != "" {
		fmt.Fprintf(&b, "  Approval: %s", plain(a.Outcome))
		if a.Approver != "" {
			fmt.Fprintf(&b, " by %s", plain(a.Approver))
		}
	}
	if r.Mode != "" && r.Mode != "enforce" {
		fmt.Fprintf(&b, "  (%s)", plain(r.Mode))
	}
	return b.String()
}

// plain returns s for a terminal: a field an agent can set (the agent name
// comes with an API request) must not carry escape sequences or line breaks
// that rewrite what the reader sees, so anything not printable is written
// as a Go escape, as the quoted fields are.
func plain(s string) string {
	for _, c := range s {
		if !strconv.IsPrint(c) || c == '\\' {
			q := strconv.Quote(s)
			return q[1 : len(q)-1]
		}
	}
	return s
}

// summary is the command (or request) a line shows, shortened.
func summary(r *Record) string {
	s := r.Request
	if len(r.Actions) > 0 {
		var cmds []string
		for _, a := range r.Actions {
			if a.Kind == "shell.execute" && a.Command != "" {
				cmds = append(cmds, a.Command)
			}
		}
		if len(cmds) > 0 && s == "" {
			s = strings.Join(cmds, " && ")
		}
		if s == "" {
			a := r.Actions[0]
			for _, v := range []string{a.Command, a.URL, a.Path, a.Tool} {
				if v != "" {
					s = v
					break
				}
			}
		}
	}
	if utf8.RuneCountInString(s) > summaryRunes {
		rs := []rune(s)
		s = string(rs[:summaryRunes]) + "…"
	}
	return s
}
