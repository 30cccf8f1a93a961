package policy

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/safeclaw/safeclaw/action"
)

// Explanation shows how a policy read one request: every part, its views
// and facets, each rule tried and why it did or did not match, and how the
// part and the request were decided. It marshals to JSON; String renders it
// for people.
type Explanation struct {
	Decision   string            `json:"decision"` // allow, deny or ask
	Rule       *action.RuleRef   `json:"rule"`     // nil when the default decided
	Reason     string            `json:"reason"`
	Part       int               `json:"part"` // the deciding part, -1 for none
	PolicyHash string            `json:"policy_hash"`
	Default    string            `json:"default"` // the policy's default effect
	Parts      []PartExplanation `json:"parts"`
}

// PartExplanation explains one part.
type PartExplanation struct {
	Index    int             `json:"index"`
	Text     string          `json:"text,omitempty"`
	Views    []action.Argv   `json:"views,omitempty"`
	Facets   []action.Action `json:"facets"`
	Tried    []RuleTrial     `json:"tried"`
	Skipped  int             `json:"skipped"` // rules whose action matches none of the facets
	Decision string          `json:"decision"`
	Rule     *action.RuleRef `json:"rule"`
	Reason   string          `json:"reason"`
	Notes    []string        `json:"notes,omitempty"`
}

// RuleTrial is one rule tried against one facet.
type RuleTrial struct {
	Rule    string `json:"rule"`   // name, else reason
	Source  string `json:"source"` // file:line
	Effect  string `json:"effect"`
	Facet   int    `json:"facet"`  // index into the part's facets
	Action  string `json:"action"` // the facet's kind
	Matched bool   `json:"matched"`
	Why     string `json:"why"`
}

// Explain decides req like Decide and records why. Rules are tried in
// policy order (without the index) up to the one that decided each part.
func (p *Policy) Explain(req *action.Request) Explanation {
	d := p.Decide(req)
	ex := Explanation{Decision: d.Effect.String(), Rule: d.Rule, Reason: d.Reason, Part: d.Part,
		PolicyHash: p.hash, Default: p.def.String(), Parts: []PartExplanation{}}
	for i := range req.Parts {
		ex.Parts = append(ex.Parts, p.explainPart(req, i))
	}
	return ex
}

func (p *Policy) explainPart(req *action.Request, idx int) PartExplanation {
	part := &req.Parts[idx]
	pe := PartExplanation{Index: idx, Text: part.Text, Views: part.Views, Facets: part.Facets, Tried: []RuleTrial{}}
	if pe.Facets == nil {
		pe.Facets = []action.Action{}
	}
	if len(part.Facets) == 0 {
		pe.Notes = append(pe.Notes, "the part has no facets, so no rule can match it")
	}
	o := p.decidePart(req, part, false)
	pe.Decision, pe.Rule, pe.Reason = o.effect.String(), o.ref, o.reason
	if o.ref == &protectWriteRef || o.ref == &protectReadRef || o.ref == &protectArgRef || o.ref == &protectCodeRef {
		pe.Notes = append(pe.Notes, "built-in self-protection decided before any user rule: "+o.ref.Reason)
		return pe
	}
	var decider *rule
	for _, r := range p.rules {
		tried := false
		for fi := range part.Facets {
			f := &part.Facets[fi]
			if !r.matchKind(f.Kind) {
				continue
			}
			tried = true
			ok, why := p.explainFacet(r, req, part, f)
			pe.Tried = append(pe.Tried, RuleTrial{Rule: r.ref.Name, Source: r.ref.Source, Effect: r.effect.String(),
				Facet: fi, Action: string(f.Kind), Matched: ok, Why: why})
			if ok {
				decider = r
				break
			}
		}
		if !tried {
			pe.Skipped++
		}
		if decider != nil {
			break
		}
	}
	switch {
	case o.rule != nil && o.rule != decider:
		// Cannot happen: the index and the scan agree (tested). Say so loudly.
		pe.Notes = append(pe.Notes, fmt.Sprintf("internal inconsistency: the index chose %s, the scan %v", o.rule.source(), decider))
	case o.ref == &opaqueRef || o.ref == &remoteRef:
		pe.Notes = append(pe.Notes, "built-in tail rule: "+o.ref.Reason)
	case o.ref == nil:
		pe.Notes = append(pe.Notes, "no rule matched any facet, so the default ("+p.def.String()+") decided")
	}
	if decider != nil && decider.approval && decider.declared == action.Allow {
		pe.Notes = append(pe.Notes, "the matching allow rule requires human approval, so the part asks")
	}
	return pe
}

// explainFacet is matchFacet with reasons; it checks in the same order.
func (p *Policy) explainFacet(r *rule, req *action.Request, part *action.Part, f *action.Action) (bool, string) {
	if len(r.ports) > 0 && !matchPorts(r.ports, f.Port) {
		if f.Port == 0 {
			return false, fmt.Sprintf("port unknown; rule wants %s", portList(r.ports))
		}
		return false, fmt.Sprintf("port %d not in %s", f.Port, portList(r.ports))
	}
	if len(r.hosts) > 0 && !matchHosts(r.hosts, f.Host) {
		return false, fmt.Sprintf("host %q does not match %s", f.Host, r.canon.Host)
	}
	if len(r.pathsRaw) > 0 {
		path := canonicalPath(f.Path, req.Cwd)
		if !p.matchFacetPath(r, f, req.Cwd) {
			var never []string
			for _, g := range p.paths(r) {
				if g.never {
					never = append(never, g.raw+": "+g.why)
				}
			}
			why := fmt.Sprintf("path %q does not match %q", path, r.pathsRaw)
			if len(never) > 0 {
				why += " (" + strings.Join(never, "; ") + ")"
			}
			return false, why
		}
	}
	if len(r.urls) > 0 && !r.matchURL(f.URL) {
		return false, fmt.Sprintf("url %q does not match %q", f.URL, r.canon.URL)
	}
	if len(r.tools) > 0 && !matchGlobs(r.tools, f.Tool) {
		return false, fmt.Sprintf("tool %q does not match %q", f.Tool, r.canon.Tool)
	}
	if len(r.servers) > 0 && !matchGlobs(r.servers, f.Server) {
		return false, fmt.Sprintf("server %q does not match %q", f.Server, r.canon.Server)
	}
	if len(r.uris) > 0 && !r.matchURI(f.URL) {
		return false, fmt.Sprintf("uri %q does not match %q", f.URL, r.canon.URI)
	}
	if len(r.agents) > 0 && !matchGlobs(r.agents, req.Agent) {
		return false, fmt.Sprintf("agent %q does not match %q", req.Agent, r.canon.Agent)
	}
	if !r.active(req.Time) {
		switch {
		case req.Time.IsZero():
			return false, "the request has no time, and time-limited allow rules are off without one"
		case r.hasExpires && !req.Time.Before(r.expires):
			return false, "expired at " + r.canon.Expires
		}
		return false, "outside its schedule (" + r.schedule.String() + ")"
	}
	if len(r.argm) > 0 && !r.matchArgs(f.Args) {
		return false, r.argsWhyNot(f.Args)
	}
	if !r.hasViewMatchers() {
		return true, "matched " + string(f.Kind)
	}
	if len(part.Views) == 0 {
		return false, "not a shell command: there are no words for its command matchers"
	}
	var whys []string
	for i := range part.Views {
		v := &part.Views[i]
		if v.Guess && r.effect == action.Allow {
			whys = append(whys, fmt.Sprintf("view %q (options guessed to take values): only deny and ask rules match a guessed reading", commandLine(v)))
			continue
		}
		if p.matchView(r, v) {
			if v.Guess {
				return true, fmt.Sprintf("matched view %q, reading its options as taking the word after them (%s)", commandLine(v), guessedValues(v))
			}
			return true, fmt.Sprintf("matched view %q", commandLine(v))
		}
		whys = append(whys, fmt.Sprintf("view %q: %s", commandLine(v), p.viewWhyNot(r, v)))
	}
	return false, strings.Join(whys, "; ")
}

func (p *Policy) viewWhyNot(r *rule, v *action.Argv) string {
	if len(r.programs) > 0 && !matchGlobs(r.programs, v.Program) {
		return fmt.Sprintf("program %q is not %q", v.Program, r.canon.Program)
	}
	if len(r.patterns) > 0 {
		var whys []string
		matched := false
		for _, pat := range r.patterns {
			if pat.matchView(v) {
				matched = true
				break
			}
			whys = append(whys, fmt.Sprintf("%q: %s", pat.raw, pat.whyNot(v)))
		}
		if !matched {
			return strings.Join(whys, ", ")
		}
	}
	for i := range r.args {
		found := false
		for j := 1; j < len(v.Words); j++ {
			if r.args[i].match(v.Words[j]) {
				found = true
				break
			}
		}
		if !found {
			return fmt.Sprintf("no argument matches %q", r.args[i].pat)
		}
	}
	if len(r.regexes) > 0 && !p.matchRegexes(r.regexes, v) {
		return fmt.Sprintf("%q does not match %q", commandLine(v), r.canon.CommandRegex)
	}
	return "matched"
}

func portList(rs []portRange) string {
	var s []string
	for _, r := range rs {
		s = append(s, r.String())
	}
	return "[" + strings.Join(s, ", ") + "]"
}

// String renders the explanation for people.
func (ex Explanation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "decision: %s", ex.Decision)
	if ex.Rule != nil {
		fmt.Fprintf(&b, " by %q (%s)", ex.Rule.Name, ex.Rule.Source)
	} else {
		b.WriteString(" by the default")
	}
	if ex.Part >= 0 {
		fmt.Fprintf(&b, ", decided by part %d", ex.Part)
	}
	fmt.Fprintf(&b, "\nreason: %s\n", ex.Reason)
	for _, pe := range ex.Parts {
		fmt.Fprintf(&b, "part %d", pe.Index)
		if pe.Text != "" {
			fmt.Fprintf(&b, ": %s", pe.Text)
		}
		b.WriteByte('\n')
		for i, v := range pe.Views {
			guess := ""
			if v.Guess {
				guess = " (guessed: options take the next word; deny and ask rules only)"
			}
			fmt.Fprintf(&b, "  view %d: %s%s\n", i, describeArgv(&v), guess)
		}
		for i, f := range pe.Facets {
			fmt.Fprintf(&b, "  facet %d: %s\n", i, describeFacet(&f))
		}
		for _, t := range pe.Tried {
			mark := "no "
			if t.Matched {
				mark = "YES"
			}
			fmt.Fprintf(&b, "  %s %-5s %q (%s) on facet %d %s: %s\n", mark, t.Effect, t.Rule, t.Source, t.Facet, t.Action, t.Why)
		}
		if pe.Skipped > 0 {
			fmt.Fprintf(&b, "  (%d rules skipped: their action matches none of the facets)\n", pe.Skipped)
		}
		for _, n := range pe.Notes {
			fmt.Fprintf(&b, "  note: %s\n", n)
		}
		label := "the default"
		if pe.Rule != nil {
			label = fmt.Sprintf("%q (%s)", pe.Rule.Name, pe.Rule.Source)
		}
		fmt.Fprintf(&b, "  => %s by %s: %s\n", pe.Decision, label, pe.Reason)
	}
	return b.String()
}

func describeArgv(v *action.Argv) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%q program=%s", strings.Join(v.Words, " "), v.Program)
	if len(v.Options) > 0 {
		var os []string
		for _, o := range v.Options {
			if o.HasValue {
				os = append(os, o.Name+"="+o.Value)
			} else {
				os = append(os, o.Name)
			}
		}
		fmt.Fprintf(&b, " options=[%s]", strings.Join(os, " "))
	}
	if len(v.Positionals) > 0 {
		fmt.Fprintf(&b, " args=%q", v.Positionals)
	}
	return b.String()
}

func describeFacet(f *action.Action) string {
	var b strings.Builder
	b.WriteString(string(f.Kind))
	add := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, " %s=%s", k, v)
		}
	}
	if f.Port != 0 {
		add("port", fmt.Sprint(f.Port))
	}
	add("host", f.Host)
	add("path", f.Path)
	add("url", f.URL)
	add("tool", f.Tool)
	add("server", f.Server)
	add("program", f.Program)
	if f.Args != nil {
		if b, err := json.Marshal(f.Args); err == nil {
			s := string(b)
			if len(s) > 200 {
				s = s[:200] + "..."
			}
			add("args", s)
		}
	}
	if f.Detail != "" {
		fmt.Fprintf(&b, " (%s)", f.Detail)
	}
	return b.String()
}

// guessedValues lists a guessed view's options with their values.
func guessedValues(v *action.Argv) string {
	var b []string
	for _, o := range v.Options {
		if o.HasValue {
			b = append(b, o.Name+" "+o.Value)
		}
	}
	return strings.Join(b, ", ")
}
