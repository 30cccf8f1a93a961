// Package action is the vocabulary every safeclaw package shares: what an agent
// asked for ([Request]), what it means ([Part], [Action] and its [Kind]), and
// what safeclaw answered ([Decision]).
//
// It imports nothing of ours, so every other package can depend on it. The
// argv normalisation in argv.go lives here too, because the shell analyser
// (which builds parts) and the policy compiler (which compiles
// command_pattern) must split words in exactly the same way.
package action

import (
	"fmt"
	"strings"
	"time"
)

// Kind names what an action does. Kinds are dotted so rules can say network.*.
type Kind string

// The kinds safeclaw's classifiers emit. Unknown agent tools become
// "tool.<name>" (see [ToolKind]).
const (
	ShellExecute   Kind = "shell.execute"   // a simple command the shell would run
	ShellOpaque    Kind = "shell.opaque"    // a command that cannot be resolved statically
	ShellRemote    Kind = "shell.remote"    // a shell or interpreter wired to a network peer
	NetworkListen  Kind = "network.listen"  // a listening socket (server)
	NetworkBind    Kind = "network.bind"    // binding a local address/port
	NetworkConnect Kind = "network.connect" // an outbound connection
	NetworkTunnel  Kind = "network.tunnel"  // exposing or forwarding ports
	FileRead       Kind = "file.read"
	FileWrite      Kind = "file.write"
	FileDelete     Kind = "file.delete"
	HTTPRequest    Kind = "http.request"
	WebSearch      Kind = "web.search"
	MCPCall        Kind = "mcp.call"   // an MCP tools/call
	MCPRead        Kind = "mcp.read"   // an MCP resources/read (or subscribe)
	MCPPrompt      Kind = "mcp.prompt" // an MCP prompts/get
	AgentSpawn     Kind = "agent.spawn"
	AgentInternal  Kind = "agent.internal" // an agent's harmless internal tool (todo lists, plan mode)
)

// Kinds lists every kind a classifier emits, for validation and lint.
// "tool.*" kinds are open-ended and not listed.
var Kinds = []Kind{
	ShellExecute, ShellOpaque, ShellRemote,
	NetworkListen, NetworkBind, NetworkConnect, NetworkTunnel,
	FileRead, FileWrite, FileDelete,
	HTTPRequest, WebSearch, MCPCall, MCPRead, MCPPrompt, AgentSpawn, AgentInternal,
}

// ToolKind is the kind of an agent tool that no classifier knows.
func ToolKind(name string) Kind { return Kind("tool." + name) }

// Known reports whether k is a kind some classifier can emit.
func (k Kind) Known() bool {
	if strings.HasPrefix(string(k), "tool.") && len(k) > len("tool.") {
		return true
	}
	for _, x := range Kinds {
		if x == k {
			return true
		}
	}
	return false
}

// Action is one thing a request does, with the fields rules match on.
// Zero values mean "not known": Port 0 is an unknown port.
type Action struct {
	Kind    Kind   `json:"action"`
	Command string `json:"command,omitempty"` // the part's text, for shell facets
	Program string `json:"program,omitempty"` // normalised program name
	Port    int    `json:"port,omitempty"`
	Host    string `json:"host,omitempty"` // peer host or bind address
	// Path is the canonical absolute path. A path a shell command names
	// but that is not known statically ($X/.ssh/id_rsa, or relative after
	// cd $X) is kept as written, never absolute, with a Detail that says
	// so: a rule on its name (id_rsa, **/.ssh/**) still matches it.
	Path   string `json:"path,omitempty"`
	URL    string `json:"url,omitempty"`
	Tool   string `json:"tool,omitempty"`   // agent or MCP tool name
	Server string `json:"server,omitempty"` // MCP server name
	Args   any    `json:"args,omitempty"`   // tool arguments as received (decoded JSON)
	// Remote marks a command that runs on another machine (ssh host CMD).
	Remote bool `json:"remote,omitempty"`
	// Background marks a command started in the background (&, nohup, setsid).
	Background bool `json:"background,omitempty"`
	// Detail says why this facet was derived, e.g. "python http.server (default port 8000)".
	Detail string `json:"detail,omitempty"`
	// Recursive marks a file.read of everything under Path (grep -r, rg,
	// cp -r, tar c, find -exec): a deny or ask rule for a path inside it
	// applies to it too.
	Recursive bool `json:"recursive,omitempty"`
}

// Part is one simple command inside a shell text (or, for non-shell requests,
// one action on its own). Rules are decided per part; see architecture.md.
type Part struct {
	// Text is the simple command as written (wrappers included).
	Text string `json:"text,omitempty"`
	// Views are the command's argv seen from the outside in: Views[0] is the
	// command as written (sudo -u www nc -l 80), later views peel wrappers
	// (nc -l 80). A command_pattern matches the part when it matches any view.
	// Empty for non-shell parts.
	Views []Argv `json:"views,omitempty"`
	// Facets are the actions this part performs: its shell.execute and
	// whatever the catalogue derived (network.listen, file.write, ...).
	Facets []Action `json:"facets"`
}

// Request is one thing an agent wants to do, as the agent said it, with who asked.
type Request struct {
	Surface string    `json:"surface,omitempty"` // hook, mcp, api, run, check
	Agent   string    `json:"agent,omitempty"`   // claude, codex, gemini, cursor, ...
	Session string    `json:"session,omitempty"`
	Cwd     string    `json:"cwd,omitempty"`
	Input   string    `json:"input,omitempty"` // what the agent sent, for display and audit
	Time    time.Time `json:"time"`            // when it was asked; schedules and expiry use it
	Parts   []Part    `json:"parts"`
}

// Effect is a decision's outcome. Deny is the zero value, so a forgotten or
// failed decision denies.
type Effect uint8

const (
	Deny Effect = iota
	Allow
	Ask
)

// String returns "deny", "allow" or "ask".
func (e Effect) String() string {
	switch e {
	case Allow:
		return "allow"
	case Ask:
		return "ask"
	default:
		return "deny"
	}
}

// Rank orders effects by restrictiveness: deny > ask > allow.
func (e Effect) Rank() int {
	switch e {
	case Allow:
		return 0
	case Ask:
		return 1
	default:
		return 2
	}
}

// MostRestrictive returns the more restrictive of a and b.
func MostRestrictive(a, b Effect) Effect {
	if b.Rank() > a.Rank() {
		return b
	}
	return a
}

// ParseEffect reads an effect name, accepting the aliases policies use.
func ParseEffect(s string) (Effect, bool) {
	switch s {
	case "deny":
		return Deny, true
	case "allow":
		return Allow, true
	case "ask", "require_approval", "prompt":
		return Ask, true
	}
	return Deny, false
}

// RuleRef names the rule that decided.
type RuleRef struct {
	Name    string `json:"name"`              // the rule's name or id, else its reason
	Reason  string `json:"reason"`            // the rule's reason ("" when it has none)
	Source  string `json:"source"`            // file:line of the rule; "builtin" for built-ins
	Builtin bool   `json:"builtin,omitempty"` // true for safeclaw's own rules
	Layer   string `json:"layer,omitempty"`   // managed, user, project, always
}

// ManagedLayer is the name of the policy layer a machine's administrator
// sets. An "always" approval never answers its asks: whoever manages the
// machine wants a person asked each time.
const ManagedLayer = "managed"

// Decision is safeclaw's answer to a request.
type Decision struct {
	Effect Effect   `json:"-"`
	Rule   *RuleRef `json:"rule"`   // nil when the default decided
	Reason string   `json:"reason"` // text shown to users
	// Part is the index of the part that decided (the most restrictive one), -1 for none.
	Part       int      `json:"part"`
	PolicyHash string   `json:"policy_hash,omitempty"`
	Notes      []string `json:"notes,omitempty"` // e.g. "project policy not trusted: only its deny and ask rules count"
	// Timeout is how long an ask may wait for a human (the deciding rule's
	// timeout); zero means the surface's default.
	Timeout time.Duration `json:"timeout,omitempty"`
	// Approval is what an ask needs before it may run, when its rules ask
	// for more than one answer from anyone: the most demanding of every
	// asking rule's quorum and approvers. Nil: one approval, from anyone
	// who can answer.
	Approval *ApprovalNeeds `json:"approval,omitempty"`
}

// ApprovalNeeds is what an ask needs to be approved.
type ApprovalNeeds struct {
	// Quorum is how many distinct approvers must approve (at least 1).
	Quorum int `json:"quorum"`
	// Approvers lists who may approve (authenticated principals, such as
	// login names); empty means anyone who can answer.
	Approvers []string `json:"approvers,omitempty"`
	// None is set when asking rules name approvers but none in common:
	// nobody can approve.
	None bool `json:"none,omitempty"`
}

// Impossible reports whether nobody can meet n: the asking rules share no
// approver, or name fewer approvers than the quorum.
func (n *ApprovalNeeds) Impossible() bool {
	return n != nil && (n.None || (len(n.Approvers) > 0 && len(n.Approvers) < n.Quorum))
}

// Restricted reports whether n asks for more than one approval from anyone:
// such an ask cannot be handed to an agent's own prompt, where whoever sits
// at the agent answers once.
func (n *ApprovalNeeds) Restricted() bool {
	return n != nil && (n.Quorum > 1 || len(n.Approvers) > 0 || n.None)
}

// Describe says what approving takes, for people: "approvals from 2
// different people among alice, bob and carol".
func (n *ApprovalNeeds) Describe() string {
	if !n.Restricted() {
		return "one approval"
	}
	if n.Impossible() {
		return "an approval nobody can give (the rules name no approver in common)"
	}
	var b strings.Builder
	if n.Quorum > 1 {
		fmt.Fprintf(&b, "approvals from %d different people", n.Quorum)
	} else {
		b.WriteString("an approval")
	}
	switch len(n.Approvers) {
	case 0:
	case 1:
		fmt.Fprintf(&b, " by %s", n.Approvers[0])
	default:
		fmt.Fprintf(&b, " among %s and %s", strings.Join(n.Approvers[:len(n.Approvers)-1], ", "), n.Approvers[len(n.Approvers)-1])
	}
	return b.String()
}

// Allows reports whether principal may approve under n.
func (n *ApprovalNeeds) Allows(principal string) bool {
	if n == nil || len(n.Approvers) == 0 {
		return principal != ""
	}
	for _, a := range n.Approvers {
		if a == principal {
			return true
		}
	}
	return false
}

// Merge returns the needs of both n and o: the larger quorum and, where
// both name approvers, only those named by both (None when they share
// nobody; see [ApprovalNeeds.Impossible]).
func (n *ApprovalNeeds) Merge(o *ApprovalNeeds) *ApprovalNeeds {
	switch {
	case n == nil:
		return o
	case o == nil:
		return n
	}
	out := &ApprovalNeeds{Quorum: max(n.Quorum, o.Quorum), None: n.None || o.None}
	switch {
	case len(n.Approvers) == 0:
		out.Approvers = o.Approvers
	case len(o.Approvers) == 0:
		out.Approvers = n.Approvers
	default:
		for _, a := range n.Approvers {
			for _, b := range o.Approvers {
				if a == b {
					out.Approvers = append(out.Approvers, a)
					break
				}
			}
		}
		if len(out.Approvers) == 0 {
			out.None = true
		}
	}
	return out
}

// Actions returns every facet of every part of r, in order.
func (r *Request) Actions() []Action {
	var out []Action
	for _, p := range r.Parts {
		out = append(out, p.Facets...)
	}
	return out
}
