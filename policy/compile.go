package policy

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/safeclaw/safeclaw/action"
)

// Options are what a compiled policy needs to know about where it runs.
type Options struct {
	// Workspace expands ${workspace} in path globs. When empty, path globs
	// that use it match nothing (Explain says so).
	Workspace string
	// Home expands a leading ~ in path globs. When empty, such globs match nothing.
	Home string
	// ProtectWrite lists absolute path globs agents may never write or
	// delete (safeclaw's own policy, config, state and keys, the agents'
	// hook settings). Checked before every user rule; deleting an ancestor
	// of a protected path is refused too.
	ProtectWrite []string
	// ProtectRead lists absolute path globs agents may never read (keys).
	ProtectRead []string
	// AsWritten makes command rules match a command only as written: its
	// outermost view, not one a wrapper hides (sudo make, timeout 5 make,
	// env PATH=/x make), and never one prefixed with an assignment
	// (PATH=/x make). For the rules "approve --always" writes: they must
	// allow what the person approved, not a broader command.
	AsWritten bool
}

// Policy is a compiled, immutable policy layer, safe for concurrent use.
type Policy struct {
	title     string
	rules     []*rule
	def       action.Effect
	defReason string
	defSource string // file:line:col of the default: that set def, "" when none did
	tests     []TestCase
	byKind    map[action.Kind]*lazyBucket
	wild      *lazyBucket // rules with a glob action, for kinds not in byKind
	// The protected paths and the rules' path globs are compiled on first
	// use (protected, paths): a hook deciding a command that names no
	// file never needs them.
	asWritten   bool // Options.AsWritten
	protectOnce sync.Once
	// protectNames are the protected paths' literal components, for
	// interpreter code (protectcode.go), built once on first use.
	protectNamesOnce sync.Once
	protectNames     [][]string
	protectRaw       []string // ProtectWrite then ProtectRead, as Compile was given them
	nProtectW        int
	protectW         []pathGlob
	protectR         []pathGlob
	pathsOnce        sync.Once
	workspace        string // expands ${workspace} in path globs
	home             string // expands ~ in path globs and in the paths tool arguments name (self-protection)
	hash             string
	canonical        func() []byte // computed on first use when the hash is known
	files            []string
	bufs             sync.Pool // *[]byte scratch for command_regex

	defaultOutcome outcome
}

// The built-in rules. Their refs are shared by every decision; callers must
// not modify a Decision's Rule (DecideLayers copies it before setting Layer).
var (
	protectWriteRef = action.RuleRef{Name: "Protect safeclaw's own files", Source: "builtin", Builtin: true,
		Reason: "agents may not change or delete safeclaw's policy, config, state or keys, or the agent hook settings that call safeclaw"}
	selfApproveRef = action.RuleRef{Name: "Agents may not approve or loosen safeclaw", Source: "builtin", Builtin: true,
		Reason: "agents may not run safeclaw commands that approve requests, trust policies or change safeclaw's installation (approvals approve/deny/token, trust, install, uninstall, init, audit repair); a person must run them"}
	protectReadRef = action.RuleRef{Name: "Protect safeclaw's keys", Source: "builtin", Builtin: true,
		Reason: "agents may not read safeclaw's keys"}
	protectArgRef = action.RuleRef{Name: "Protect safeclaw's own files", Source: "builtin", Builtin: true,
		Reason: "the tool's arguments name safeclaw's own files (policy, config, state, keys) or the agent hook settings that call safeclaw; agents may not touch them through MCP or other tools"}
	protectCodeRef = action.RuleRef{Name: "Protect safeclaw's own files", Source: "builtin", Builtin: true,
		Reason: "the interpreter's code or arguments name safeclaw's own files (policy, config, state, keys) or the agent hook settings that call safeclaw; what the code does with them cannot be told, and agents may not touch them"}
	opaqueRef = action.RuleRef{Name: "Deny commands that cannot be resolved", Source: "builtin", Builtin: true,
		Reason: "the command cannot be resolved statically (shell.opaque); it is denied unless a rule with action: shell.opaque allows it"}
	remoteRef = action.RuleRef{Name: "Deny remote shells", Source: "builtin", Builtin: true,
		Reason: "a shell or interpreter wired to a network peer (shell.remote) is denied unless a rule with action: shell.remote allows it"}
)

// Compile joins files in order into one policy layer (several --policy
// files concatenate) and builds its index. Files may be compiled again with
// other options. Errors about rules are [*Error].
func Compile(files []*File, opts Options) (*Policy, error) {
	if len(files) == 0 {
		return nil, errors.New("no policy files to compile")
	}
	p := &Policy{def: action.Deny}
	p.bufs.New = func() any { b := make([]byte, 0, 256); return &b }
	var defFile *File
	nRules := 0
	for _, f := range files {
		if f != nil {
			nRules += len(f.rules)
		}
	}
	rules := make([]rule, nRules) // one allocation for the rules
	p.rules = make([]*rule, 0, nRules)
	names := make(map[string]*rule, nRules)
	var titles []string
	for _, f := range files {
		if f == nil {
			return nil, errors.New("nil policy file")
		}
		p.files = append(p.files, f.Name)
		if f.Title != "" {
			titles = append(titles, f.Title)
		}
		if f.def != nil {
			if defFile != nil && *defFile.def != *f.def {
				return nil, &Error{File: f.Name, Line: f.defLine, Col: f.defCol,
					Msg:  fmt.Sprintf("default %s conflicts with default %s in %s", *f.def, *defFile.def, defFile.Name),
					Hint: "files compiled together form one policy with one default; keep one"}
			}
			if defFile == nil {
				defFile = f
				p.def = *f.def
				p.defSource = fmt.Sprintf("%s:%d:%d", f.Name, f.defLine, f.defCol)
			}
		}
		for _, fr := range f.rules {
			r := &rules[len(p.rules)]
			*r = *fr
			r.index = len(p.rules)
			if r.name != "" {
				if prev, dup := names[r.name]; dup {
					pos, _ := r.keyPos.get("name")
					return nil, &Error{File: r.file, Line: pos[0], Col: pos[1], Msg: fmt.Sprintf("duplicate rule name %q", r.name),
						Hint: "first used at " + prev.source() + "; names identify rules in decisions and tests"}
				}
				names[r.name] = r
			}
			r.pathGlobs = nil // compiled for this policy's options by paths
			r.ref = action.RuleRef{Name: r.label(), Reason: r.reason, Source: r.source()}
			p.rules = append(p.rules, r)
		}
		p.tests = append(p.tests, f.tests...)
	}
	// Sources identify rules (simulate's "never fired" summary); rules that
	// share a line (one-line JSON) get the column too.
	type fileLine struct {
		file string
		line int
	}
	perLine := make(map[fileLine]int, len(p.rules))
	for _, r := range p.rules {
		perLine[fileLine{r.file, r.line}]++
	}
	for _, r := range p.rules {
		if perLine[fileLine{r.file, r.line}] > 1 {
			r.ref.Source = r.sourceCol()
		}
	}
	p.title = strings.Join(titles, " + ")
	for _, list := range [2][]string{opts.ProtectWrite, opts.ProtectRead} {
		for _, s := range list {
			// Protected paths come from safeclaw itself (real directories,
			// which may hold '$' or '{'), not from a policy file, so only the
			// shape is checked here.
			if s == "" || strings.Contains(s, "//") {
				return nil, fmt.Errorf("protected path %q is not a clean path", s)
			}
			if !strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "~/") {
				return nil, fmt.Errorf("protected path %q is not absolute", s)
			}
		}
	}
	if n := len(opts.ProtectWrite) + len(opts.ProtectRead); n > 0 {
		// A copy: the caller may reuse its slices.
		p.protectRaw = append(append(make([]string, 0, n), opts.ProtectWrite...), opts.ProtectRead...)
		p.nProtectW = len(opts.ProtectWrite)
	}
	p.workspace, p.home, p.asWritten = opts.Workspace, opts.Home, opts.AsWritten
	p.defReason = "no rule matched; default " + p.def.String()
	p.defaultOutcome = outcome{effect: p.def, reason: p.defReason}
	p.buildIndex()
	if len(files) == 1 && files[0].builtin {
		// The built-in default alone, as every hook without a user policy
		// loads it: its hash is fixed (TestDefaultHash keeps it in step), so
		// the canonical form is only built when asked for.
		p.hash = defaultHash
		p.canonical = sync.OnceValue(p.canonicalJSON)
	} else {
		canonical := p.canonicalJSON()
		sum := sha256.Sum256(canonical)
		p.hash = "sha256:" + hex.EncodeToString(sum[:])
		p.canonical = func() []byte { return canonical }
	}
	return p, nil
}

// protected returns the compiled protected paths: those agents may not
// write, and those they may not read (nor write).
func (p *Policy) protected() (write, read []pathGlob) {
	p.protectOnce.Do(func() {
		var segBuf []glob
		globs := make([]pathGlob, len(p.protectRaw))
		for i, s := range p.protectRaw {
			globs[i] = compilePathGlobIn(s, p.workspace, p.home, &segBuf)
		}
		if p.nProtectW > 0 {
			p.protectW = globs[:p.nProtectW:p.nProtectW]
		}
		if len(globs) > p.nProtectW {
			p.protectR = globs[p.nProtectW:]
		}
	})
	return p.protectW, p.protectR
}

// paths returns rule r's path globs, expanded for p's options (r must be
// one of p's rules).
func (p *Policy) paths(r *rule) []pathGlob {
	p.compilePaths()
	return r.pathGlobs
}

// compilePaths compiles every rule's path globs, once.
func (p *Policy) compilePaths() {
	p.pathsOnce.Do(func() {
		n := 0
		for _, r := range p.rules {
			n += len(r.pathsRaw)
		}
		var segBuf []glob
		globs := make([]pathGlob, n) // one allocation for all
		for _, r := range p.rules {
			if k := len(r.pathsRaw); k > 0 {
				r.pathGlobs, globs = globs[:0:k], globs[k:]
				for _, raw := range r.pathsRaw {
					r.pathGlobs = append(r.pathGlobs, compilePathGlobIn(raw, p.workspace, p.home, &segBuf))
				}
			}
		}
	})
}

func (p *Policy) buildIndex() {
	// A bucket for every known kind and every kind a rule names literally;
	// the buckets share one allocation.
	n := len(action.Kinds)
	for _, r := range p.rules {
		n += len(r.kinds)
	}
	lbs := make([]lazyBucket, 0, n+1)
	p.byKind = make(map[action.Kind]*lazyBucket, len(action.Kinds))
	add := func(k action.Kind) {
		if _, ok := p.byKind[k]; !ok {
			lbs = append(lbs, lazyBucket{p: p, kind: k})
			p.byKind[k] = &lbs[len(lbs)-1]
		}
	}
	for _, k := range action.Kinds {
		add(k)
	}
	for _, r := range p.rules {
		for _, g := range r.kinds {
			if g.lit {
				add(action.Kind(g.pat))
			}
		}
	}
	lbs = append(lbs, lazyBucket{p: p, wild: true})
	p.wild = &lbs[len(lbs)-1]
}

// lazyBucket is one kind's index, built when a decision first needs it: a
// hook process decides one or two kinds and exits, so indexing the other
// twenty was most of the cost of compiling the built-in policy.
type lazyBucket struct {
	once sync.Once
	p    *Policy
	kind action.Kind // the rules that can match kind
	wild bool        // or else the rules with a glob action (for kinds not in byKind)
	b    *bucket
}

func (l *lazyBucket) get() *bucket {
	l.once.Do(func() {
		if l.wild {
			l.b = l.p.buildBucket(func(r *rule) bool { return slices.ContainsFunc(r.kinds, func(g glob) bool { return !g.lit }) })
		} else {
			l.b = l.p.buildBucket(func(r *rule) bool { return r.matchKind(l.kind) })
		}
	})
	return l.b
}

// buildBucket indexes the rules in, in policy order.
func (p *Policy) buildBucket(in func(*rule) bool) *bucket {
	b := &bucket{}
	n, keys := 0, 0
	for _, r := range p.rules {
		if in(r) {
			n++
			keys += len(r.patterns) + len(r.programs)
		}
	}
	if n == 0 {
		return b
	}
	b.all = make([]int32, 0, n)
	bb := bucketBuilder{b: b, keys: keys}
	for _, r := range p.rules {
		if in(r) {
			bb.add(r)
		}
	}
	return b
}

// Hash is "sha256:" and the hex digest of the canonical compiled policy
// (its default and rules in normalised form; file names, positions,
// comments, tests and options are not covered).
func (p *Policy) Hash() string { return p.hash }

// Canonical returns the policy in canonical JSON form, indented (Hash
// covers the compact form).
func (p *Policy) Canonical() []byte {
	var b bytes.Buffer
	canonical := p.canonical()
	if err := json.Indent(&b, canonical, "", "  "); err != nil {
		return append([]byte(nil), canonical...)
	}
	b.WriteByte('\n')
	return b.Bytes()
}

// Title is the policy's name: (the files' names joined with " + ").
func (p *Policy) Title() string { return p.title }

// DefaultEffect is the effect for parts no rule matches.
func (p *Policy) DefaultEffect() action.Effect { return p.def }

// Files lists the names of the files compiled into p, in order.
func (p *Policy) Files() []string { return append([]string(nil), p.files...) }

func (p *Policy) canonicalJSON() []byte {
	type canon struct {
		Default string      `json:"default"`
		Rules   []ruleCanon `json:"rules"`
	}
	c := canon{Default: p.def.String(), Rules: []ruleCanon{}}
	for _, r := range p.rules {
		c.Rules = append(c.Rules, r.canon)
	}
	b, err := json.Marshal(c)
	if err != nil {
		// Only plain strings and slices are marshalled; this cannot fail.
		return []byte(fmt.Sprintf("%q", err.Error()))
	}
	return b
}

// RuleInfo describes one user rule, for listings and simulate's summary.
type RuleInfo struct {
	Index       int           `json:"index"`
	Name        string        `json:"name"`   // name or id, else reason
	Reason      string        `json:"reason"` // "" when none
	Description string        `json:"description,omitempty"`
	Source      string        `json:"source"` // file:line, as in Decision.Rule.Source
	Effect      action.Effect `json:"-"`      // effective effect (allow + human_approval = ask)
	Kinds       []string      `json:"action"`
	Approval    bool          `json:"human_approval,omitempty"`
	Timeout     string        `json:"timeout,omitempty"`
	Quorum      int           `json:"quorum,omitempty"`
	Approvers   []string      `json:"approvers,omitempty"`
}

// MarshalJSON adds the effect by name.
func (ri RuleInfo) MarshalJSON() ([]byte, error) {
	type plain RuleInfo
	return json.Marshal(struct {
		plain
		Effect string `json:"effect"`
	}{plain(ri), ri.Effect.String()})
}

// Rules describes every user rule in evaluation order.
func (p *Policy) Rules() []RuleInfo {
	out := make([]RuleInfo, 0, len(p.rules))
	for _, r := range p.rules {
		ri := RuleInfo{Index: r.index, Name: r.ref.Name, Reason: r.reason, Description: r.desc, Source: r.ref.Source,
			Effect: r.effect, Kinds: append([]string(nil), r.kindsRaw...), Approval: r.approval}
		if r.timeout > 0 {
			ri.Timeout = r.timeout.String()
		}
		if r.needs != nil {
			ri.Quorum, ri.Approvers = r.needs.Quorum, append([]string(nil), r.needs.Approvers...)
		}
		out = append(out, ri)
	}
	return out
}

// Tests returns the inline tests: of the compiled files, in order.
func (p *Policy) Tests() []TestCase { return append([]TestCase(nil), p.tests...) }
