package dashboard

import (
	"errors"
	"net/http"
	"strings"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/audit"
)

// simulateBody asks to re-decide the last Limit recorded requests with Text.
type simulateBody struct {
	Text  string `json:"text"`
	Limit int    `json:"limit,omitempty"`
}

// changedDecision is one past request whose decision the edited policy
// would change.
type changedDecision struct {
	Seq     uint64 `json:"seq"`
	Time    string `json:"time"`
	Agent   string `json:"agent,omitempty"`
	Request string `json:"request"`
	Was     string `json:"was"`
	WasRule string `json:"was_rule,omitempty"`
	Now     string `json:"now"`
	NowRule string `json:"now_rule,omitempty"`
}

const (
	defaultSimulateLimit = 200
	maxSimulateLimit     = 2000
)

// replayable says whether rec is a shell command decision that can be
// decided again from its stored text. Redacted or shortened requests are not:
// their text is no longer what the agent sent.
func replayable(rec *audit.Record) bool {
	if rec.Type != "" && rec.Type != audit.TypeDecision {
		return false
	}
	if rec.Surface == "ui" || rec.Decision == "" || rec.Request == "" || rec.Redacted || rec.RequestBytes > 0 {
		return false
	}
	for _, f := range rec.Actions {
		if f.Kind == string(action.ShellExecute) {
			return true
		}
	}
	return false
}

func ruleLabel(name, reason string) string {
	if name != "" {
		return name
	}
	return reason
}

// simulatePolicy re-decides the recent shell commands of the audit trail
// with the edited policy (every other layer as `check` has it) and lists
// those whose decision would change.
func (s *Server) simulatePolicy(w http.ResponseWriter, r *http.Request) {
	if s.c.Audit == nil || s.c.Check == nil {
		unavailable(w, "simulating the audit trail")
		return
	}
	var b simulateBody
	if !readJSON(w, r, &b) {
		return
	}
	if b.Limit == 0 {
		b.Limit = defaultSimulateLimit
	}
	if b.Limit < 1 || b.Limit > maxSimulateLimit {
		writeError(w, http.StatusBadRequest, "limit must be 1-2000")
		return
	}
	p, ok := s.compile(w, b.Text)
	if !ok {
		return
	}
	f, err := audit.ParseFilter("", s.c.Now())
	if err != nil {
		s.internal(w, err)
		return
	}
	// The newest Limit replayable records, oldest first.
	var recent []*audit.Record
	err = s.c.Audit.Query(r.Context(), f, func(rec *audit.Record) error {
		if !replayable(rec) {
			return nil
		}
		if len(recent) == b.Limit {
			recent = recent[1:]
		}
		recent = append(recent, rec)
		return nil
	})
	if err != nil && !errors.Is(err, audit.ErrStop) {
		s.internal(w, err)
		return
	}
	changed := []changedDecision{}
	failed := 0
	for i := len(recent) - 1; i >= 0; i-- {
		rec := recent[i]
		_, d, err := s.c.Check(r.Context(), p, rec.Request)
		if err != nil {
			failed++
			continue
		}
		now, was := d.Effect.String(), rec.Decision
		if rec.Approval != nil {
			// An approved or denied ask is recorded with its outcome; the
			// policy's own answer was ask.
			was = "ask"
		}
		if strings.EqualFold(now, was) {
			continue
		}
		c := changedDecision{Seq: rec.Seq, Time: rec.Time.UTC().Format("2006-01-02 15:04:05Z"), Agent: rec.Agent,
			Request: rec.Request, Was: was, Now: now}
		if rec.Rule != nil {
			c.WasRule = ruleLabel(rec.Rule.Name, rec.Rule.Reason)
		}
		if d.Rule != nil {
			c.NowRule = ruleLabel(d.Rule.Name, d.Rule.Reason)
		} else {
			c.NowRule = "default"
		}
		changed = append(changed, c)
	}
	writeJSON(w, http.StatusOK, map[string]any{"checked": len(recent), "failed": failed, "changed": changed})
}
