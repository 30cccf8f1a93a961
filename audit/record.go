package audit

import "time"

// Record types.
const (
	// TypeDecision is a decision made by a deciding surface.
	TypeDecision = "decision"
	// TypePrune attests which segments retention removed (see [Prune]).
	TypePrune = "prune"
	// TypeApproval is an approval event (requested, approved, denied,
	// expired, ...), with its Approval details; Decision is what the event
	// means for the action (ask while pending, allow, deny).
	TypeApproval = "approval"
	// TypeOutcome is what an agent reported after a tool ran (a hook's
	// PostToolUse and its kin): no decision; the request is the tool call as
	// received and the notes summarise the result (never the output itself).
	TypeOutcome = "outcome"
)

// Decision values.
const (
	Allow = "allow"
	Deny  = "deny"
	Ask   = "ask"
)

// Record is one entry of the audit trail. The caller fills in what was
// decided; the store assigns Seq, Prev, Hash and MAC, sets Time when it is
// zero, and redacts secrets (see [Prepare]).
//
// The JSON names are the stored format (docs/audit.md has its schema). Zero
// values are omitted, except seq, time, type, prev, hash and mac.
type Record struct {
	Seq  uint64    `json:"seq"`
	Time time.Time `json:"time"`
	Type string    `json:"type"` // TypeDecision (default), TypeApproval, TypeOutcome or TypePrune

	Surface string `json:"surface,omitempty"` // hook, mcp, api, run
	Agent   string `json:"agent,omitempty"`   // claude, codex, gemini, cursor, ...
	Session string `json:"session,omitempty"`
	Cwd     string `json:"cwd,omitempty"`

	// Request is the request as received, redacted (see [Redact]).
	Request string `json:"request,omitempty"`
	// RequestBytes is the length of the original request when the stored
	// copy was shortened to [MaxRequestBytes].
	RequestBytes int `json:"request_bytes,omitempty"`
	// RequestHMAC is the keyed hash (HMAC-SHA256 with the audit key) of the
	// original request, set when the stored copy differs from it (redacted or
	// shortened), so two records can still be compared.
	RequestHMAC string `json:"request_hmac,omitempty"`
	// Redacted reports that secrets were removed from the stored copy.
	Redacted bool `json:"redacted,omitempty"`

	// Actions are the facets of every part, in order.
	Actions []Facet `json:"actions,omitempty"`

	Decision   string    `json:"decision,omitempty"` // allow, deny, ask
	Reason     string    `json:"reason,omitempty"`   // text shown to users
	Rule       *Rule     `json:"rule,omitempty"`     // nil when the default decided
	PolicyHash string    `json:"policy_hash,omitempty"`
	Approval   *Approval `json:"approval,omitempty"`
	LatencyUS  int64     `json:"latency_us,omitempty"` // decision latency in microseconds
	Mode       string    `json:"mode,omitempty"`       // enforce, shadow
	Error      string    `json:"error,omitempty"`      // what failed, when an error decided
	Notes      []string  `json:"notes,omitempty"`

	Prune *Prune `json:"prune,omitempty"` // set on TypePrune records

	Prev string `json:"prev"` // hex SHA-256 of the previous record; 64 zeros for the first
	Hash string `json:"hash"` // hex SHA-256 over prev and this record's canonical form
	MAC  string `json:"mac"`  // hex HMAC-SHA256 seal over (seq, hash)
}

// Facet is one action of a part: what the request does, with the fields rules
// match on (the audit copy of action.Action).
type Facet struct {
	Kind       string `json:"action"`         // shell.execute, network.listen, ...
	Part       int    `json:"part,omitempty"` // index of the part it belongs to
	Command    string `json:"command,omitempty"`
	Program    string `json:"program,omitempty"`
	Port       int    `json:"port,omitempty"`
	Host       string `json:"host,omitempty"`
	Path       string `json:"path,omitempty"`
	URL        string `json:"url,omitempty"`
	Tool       string `json:"tool,omitempty"`
	Server     string `json:"server,omitempty"`
	Args       any    `json:"args,omitempty"` // decoded JSON
	Remote     bool   `json:"remote,omitempty"`
	Background bool   `json:"background,omitempty"`
	Detail     string `json:"detail,omitempty"`
}

// Rule names the rule that decided.
type Rule struct {
	Name    string `json:"name,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Source  string `json:"source,omitempty"` // file:line, or "builtin"
	Layer   string `json:"layer,omitempty"`  // managed, user, project, always
	Builtin bool   `json:"builtin,omitempty"`
}

// Approval describes how an ask was resolved.
type Approval struct {
	ID       string `json:"id,omitempty"`
	Outcome  string `json:"outcome,omitempty"`  // approved, denied, expired, always
	Approver string `json:"approver,omitempty"` // authenticated identity of the person
	Channel  string `json:"channel,omitempty"`  // cli, dashboard, slack, webhook, ...
	Scope    string `json:"scope,omitempty"`    // once, always
	Note     string `json:"note,omitempty"`
	WaitUS   int64  `json:"wait_us,omitempty"` // how long the request waited, in microseconds
}

// Prune lists the segments a retention run removed. The record is chained and
// sealed like any other, so verify accepts a trail that starts after seq 1
// only when a prune record vouches for the records before it.
type Prune struct {
	Segments []PrunedSegment `json:"segments"`
}

// PrunedSegment is one removed segment: its range and the hash of its last
// record, which the first remaining record's prev must equal.
type PrunedSegment struct {
	Name     string `json:"name"`
	FirstSeq uint64 `json:"first_seq"`
	LastSeq  uint64 `json:"last_seq"`
	LastHash string `json:"last_hash"`
	Records  uint64 `json:"records"`
}

// MarshalJSON encodes r in its canonical stored form (see docs/audit.md).
func (r *Record) MarshalJSON() ([]byte, error) {
	return appendRecord(nil, r, true)
}

// Kinds returns the distinct action kinds of r, in order of appearance.
func (r *Record) Kinds() []string {
	var out []string
	for _, f := range r.Actions {
		dup := false
		for _, k := range out {
			if k == f.Kind {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, f.Kind)
		}
	}
	return out
}
