package dashboard

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/safeclaw/safeclaw/approval"
	"github.com/safeclaw/safeclaw/audit"
	"github.com/safeclaw/safeclaw/policy"
)

// ---- approvals

// approvalsView is what the approvals page shows.
type approvalsView struct {
	Pending []*approval.Record `json:"pending"`
	History []*approval.Record `json:"history"`
	// Risk holds the advisory risk tags of pending requests, by id.
	Risk map[string][]string `json:"risk,omitempty"`
}

func (s *Server) approvals(ctx context.Context) (*approvalsView, error) {
	pending, err := s.c.Approvals.List(ctx, approval.Filter{Status: []approval.Status{approval.Pending}})
	if err != nil {
		return nil, err
	}
	all, err := s.c.Approvals.List(ctx, approval.Filter{Limit: 50})
	if err != nil {
		return nil, err
	}
	v := &approvalsView{Pending: []*approval.Record{}, History: []*approval.Record{}}
	now := s.c.Now()
	for _, r := range pending {
		// A pending record past its deadline is expired by the next sweep;
		// it can no longer be answered, so it is not offered.
		if r.Deadline.IsZero() || r.Deadline.After(now) {
			v.Pending = append(v.Pending, r)
		}
	}
	// Oldest first: a request filed later goes below the ones the person
	// is reading, so it cannot push another card's buttons under the
	// pointer (the agent chooses when its requests arrive).
	slices.SortStableFunc(v.Pending, func(a, b *approval.Record) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	for _, r := range v.Pending {
		if tags := r.Risk(); len(tags) > 0 {
			if v.Risk == nil {
				v.Risk = map[string][]string{}
			}
			v.Risk[r.ID] = tags
		}
	}
	for _, r := range all {
		if r.Status != approval.Pending {
			v.History = append(v.History, r)
		}
	}
	return v, nil
}

func (s *Server) listApprovals(w http.ResponseWriter, r *http.Request) {
	if s.c.Approvals == nil {
		unavailable(w, "the approval store")
		return
	}
	v, err := s.approvals(r.Context())
	if err != nil {
		s.internal(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// streamApprovals sends the approvals view as server-sent events whenever it
// changes: the store is shared with other processes, so it is polled.
func (s *Server) streamApprovals(w http.ResponseWriter, r *http.Request) {
	if s.c.Approvals == nil {
		unavailable(w, "the approval store")
		return
	}
	fl, ok := w.(http.Flusher)
	if !ok {
		s.internal(w, errors.New("response writer cannot stream"))
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 2000\n\n")
	fl.Flush()
	var end <-chan time.Time
	if s.c.StreamFor > 0 {
		end = time.After(s.c.StreamFor)
	}
	var last []byte
	t := time.NewTicker(s.c.Poll)
	defer t.Stop()
	for {
		v, err := s.approvals(r.Context())
		if err != nil {
			if r.Context().Err() != nil {
				return
			}
			s.c.Warn("dashboard: approvals stream: " + err.Error())
			fmt.Fprint(w, "event: failure\ndata: {}\n\n")
		} else if data, err := json.Marshal(v); err == nil && string(data) != string(last) {
			last = data
			fmt.Fprintf(w, "event: approvals\ndata: %s\n\n", data)
		}
		fl.Flush()
		select {
		case <-r.Context().Done():
			return
		case <-end:
			return
		case <-t.C:
		}
	}
}

type answerBody struct {
	Approve bool   `json:"approve"`
	Scope   string `json:"scope"` // once, session, always
	Reason  string `json:"reason"`
	// Hash is the binding hash of the request as the page showed it
	// (Record.Hash). An approval must carry it: the answer goes to the
	// request the person judged, or to none.
	Hash string `json:"hash"`
}

func (s *Server) answerApproval(w http.ResponseWriter, r *http.Request) {
	if s.c.Approvals == nil {
		unavailable(w, "the approval store")
		return
	}
	var b answerBody
	if !readJSON(w, r, &b) {
		return
	}
	id := r.PathValue("id")
	a := approval.Answer{Approve: b.Approve, Reason: b.Reason, Approver: s.c.Approver + " (dashboard)",
		Principal: s.c.Principal, Channel: "dashboard", Time: s.c.Now()}
	if b.Approve {
		sc, err := approval.ParseScope(b.Scope)
		if err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		a.Scope = sc
	} else if b.Scope != "" {
		writeError(w, http.StatusBadRequest, "a denial has no scope")
		return
	}
	ctx := r.Context()
	rec, err := s.c.Approvals.Get(ctx, id)
	if errors.Is(err, approval.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no such approval request")
		return
	} else if err != nil {
		s.internal(w, err)
		return
	}
	// The person judged the request the page showed; if the record under
	// this id binds anything else now, the answer is not given.
	if b.Approve && b.Hash == "" {
		writeError(w, http.StatusBadRequest, "an approval must name the hash of the request shown")
		return
	}
	if b.Hash != "" && subtle.ConstantTimeCompare([]byte(b.Hash), []byte(rec.Hash)) != 1 {
		s.c.Warn(fmt.Sprintf("dashboard: approval request %s changed since it was shown (it binds %s, the page showed %q); nothing was answered", id, rec.Hash, b.Hash))
		writeError(w, http.StatusConflict, "the request changed since it was shown; nothing was answered: look at it again")
		return
	}
	if b.Approve {
		if err := s.c.Approvals.CheckBinding(rec); err != nil {
			s.c.Warn("dashboard: " + err.Error())
			writeError(w, http.StatusConflict, "the stored request does not match its binding; refusing to approve")
			return
		}
		if a.Scope == approval.Always && rec.Status == approval.Pending && s.c.CheckAlways != nil {
			if err := s.c.CheckAlways(rec, a); err != nil {
				writeError(w, http.StatusConflict, "cannot approve always: "+err.Error()+"; approve once or for the session instead")
				return
			}
		}
	}
	got, err := s.c.Approvals.Answer(ctx, id, a)
	var np *approval.NotPendingError
	switch {
	case errors.As(err, &np):
		writeError(w, http.StatusConflict, np.Error())
		return
	case errors.Is(err, approval.ErrNotApprover):
		writeError(w, http.StatusForbidden, err.Error())
		return
	case errors.Is(err, approval.ErrVoted):
		writeError(w, http.StatusConflict, err.Error())
		return
	case got == nil && err != nil:
		s.internal(w, err)
		return
	}
	out := map[string]any{"record": got}
	if err != nil {
		// The answer stands; what followed it failed.
		s.c.Warn("dashboard: after answering " + id + ": " + err.Error())
		out["warning"] = "the answer was recorded, but a follow-up step failed (see the terminal)"
	}
	writeJSON(w, http.StatusOK, out)
}

// ---- audit

// auditPage is one page of the audit trail, newest first.
type auditPage struct {
	Records []*audit.Record `json:"records"`
	// Before is the cursor for the next (older) page; 0 when there is none.
	Before uint64 `json:"before,omitempty"`
}

const maxAuditLimit = 500

func (s *Server) auditFilter(w http.ResponseWriter, r *http.Request) (*audit.Filter, bool) {
	expr := r.URL.Query().Get("filter")
	f, err := audit.ParseFilter(expr, s.c.Now())
	if err != nil {
		var fe *audit.FilterError
		if errors.As(err, &fe) {
			writeJSON(w, http.StatusBadRequest, map[string]any{"status": 400, "message": "filter: " + err.Error(), "col": fe.Col})
			return nil, false
		}
		writeError(w, http.StatusBadRequest, "filter: "+err.Error())
		return nil, false
	}
	return f, true
}

func (s *Server) queryAudit(w http.ResponseWriter, r *http.Request) {
	if s.c.Audit == nil {
		unavailable(w, "the audit trail")
		return
	}
	f, ok := s.auditFilter(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	limit, before := 50, uint64(0)
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxAuditLimit {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("limit must be 1-%d", maxAuditLimit))
			return
		}
		limit = n
	}
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil || n == 0 {
			writeError(w, http.StatusBadRequest, "before must be a positive sequence number")
			return
		}
		before = n
	}
	// Keep the newest limit+1 records below the cursor in a ring: the trail
	// is read in sequence order, and the extra one says whether an older
	// page exists.
	ring := make([]*audit.Record, 0, limit+1)
	err := s.c.Audit.Query(r.Context(), f, func(rec *audit.Record) error {
		if before != 0 && rec.Seq >= before {
			return audit.ErrStop
		}
		if len(ring) == limit+1 {
			copy(ring, ring[1:])
			ring = ring[:limit]
		}
		ring = append(ring, rec)
		return nil
	})
	if err != nil && !errors.Is(err, audit.ErrStop) {
		s.internal(w, err)
		return
	}
	page := auditPage{Records: []*audit.Record{}}
	if len(ring) > limit {
		ring = ring[1:]
		page.Before = ring[0].Seq
	}
	for i := len(ring) - 1; i >= 0; i-- {
		page.Records = append(page.Records, ring[i])
	}
	writeJSON(w, http.StatusOK, page)
}

func (s *Server) verifyAudit(w http.ResponseWriter, r *http.Request) {
	if s.c.Audit == nil {
		unavailable(w, "the audit trail")
		return
	}
	rep, err := s.c.Audit.Verify(r.Context())
	if err != nil {
		s.internal(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"report": rep, "checked": s.c.Now()})
}

func (s *Server) exportAudit(w http.ResponseWriter, r *http.Request) {
	if s.c.Audit == nil {
		unavailable(w, "the audit trail")
		return
	}
	f, ok := s.auditFilter(w, r)
	if !ok {
		return
	}
	format := r.URL.Query().Get("format")
	ctype := map[string]string{"": "application/x-ndjson", "jsonl": "application/x-ndjson", "csv": "text/csv; charset=utf-8"}[format]
	if ctype == "" {
		writeError(w, http.StatusBadRequest, "format must be jsonl or csv")
		return
	}
	if format == "" {
		format = "jsonl"
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="safeclaw-audit.%s"`, format))
	if err := audit.Export(r.Context(), s.c.Audit, f, w, format); err != nil {
		// Headers are gone; the operator learns why.
		s.c.Warn("dashboard: audit export: " + err.Error())
	}
}

// ---- policy

// policyIssue is a validation error placed in the text.
type policyIssue struct {
	Line    int    `json:"line,omitempty"`
	Col     int    `json:"col,omitempty"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
}

func (s *Server) getPolicy(w http.ResponseWriter, r *http.Request) {
	if s.c.PolicyPath == "" {
		unavailable(w, "the policy editor")
		return
	}
	text, exists, err := s.readPolicy()
	if err != nil {
		s.internal(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"path": s.c.PolicyPath, "exists": exists, "text": string(text), "hash": contentHash(text)})
}

type textBody struct {
	Text    string `json:"text"`
	Command string `json:"command,omitempty"`
}

// compile validates text, writing the error response when it does not
// compile.
func (s *Server) compile(w http.ResponseWriter, text string) (*policy.Policy, bool) {
	if s.c.Compile == nil {
		unavailable(w, "policy validation")
		return nil, false
	}
	p, err := s.c.Compile([]byte(text))
	if err != nil {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"status": 422, "message": "the policy does not load", "errors": issues(err)})
		return nil, false
	}
	return p, true
}

// issues turns a compile error into positioned issues.
func issues(err error) []policyIssue {
	var out []policyIssue
	var pe *policy.Error
	for _, e := range unjoin(err) {
		if errors.As(e, &pe) {
			out = append(out, policyIssue{Line: pe.Line, Col: max(pe.Col, 1), Message: pe.Msg, Hint: pe.Hint})
			continue
		}
		out = append(out, policyIssue{Message: e.Error()})
	}
	return out
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, unjoin(e)...)
		}
		return out
	}
	return []error{err}
}

func (s *Server) validatePolicy(w http.ResponseWriter, r *http.Request) {
	var b textBody
	if !readJSON(w, r, &b) {
		return
	}
	p, ok := s.compile(w, b.Text)
	if !ok {
		return
	}
	var findings []string
	for _, f := range policy.Lint(p) {
		findings = append(findings, fmt.Sprint(f))
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "rules": len(p.Rules()), "hash": p.Hash(), "lint": findings})
}

// partView is one part of a tried command.
type partView struct {
	Text     string   `json:"text,omitempty"`
	Facets   []string `json:"facets"`
	Deciding bool     `json:"deciding,omitempty"`
}

func (s *Server) tryPolicy(w http.ResponseWriter, r *http.Request) {
	if s.c.Check == nil {
		unavailable(w, "trying commands")
		return
	}
	var b textBody
	if !readJSON(w, r, &b) {
		return
	}
	if strings.TrimSpace(b.Command) == "" {
		writeError(w, http.StatusBadRequest, "empty command")
		return
	}
	p, ok := s.compile(w, b.Text)
	if !ok {
		return
	}
	req, d, err := s.c.Check(r.Context(), p, b.Command)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	parts := []partView{}
	for i, pt := range req.Parts {
		pv := partView{Text: pt.Text, Facets: []string{}, Deciding: i == d.Part}
		for _, f := range pt.Facets {
			pv.Facets = append(pv.Facets, approval.FacetLabel(f))
		}
		parts = append(parts, pv)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"decision": d.Effect.String(), "rule": d.Rule, "reason": d.Reason, "input": req.Input,
		"parts": parts, "notes": d.Notes, "policy_hash": d.PolicyHash,
	})
}

func (s *Server) savePolicy(w http.ResponseWriter, r *http.Request) {
	if s.c.PolicyPath == "" || s.c.VersionDir == "" {
		unavailable(w, "saving the policy")
		return
	}
	var b textBody
	if !readJSON(w, r, &b) {
		return
	}
	if _, ok := s.compile(w, b.Text); !ok {
		return
	}
	v, err := s.save([]byte(b.Text), "save")
	if err != nil {
		s.internal(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) listVersions(w http.ResponseWriter, r *http.Request) {
	if s.c.VersionDir == "" {
		unavailable(w, "policy versions")
		return
	}
	vs, err := s.versions()
	if err != nil {
		s.internal(w, err)
		return
	}
	writeJSON(w, http.StatusOK, vs)
}

func (s *Server) getVersion(w http.ResponseWriter, r *http.Request) {
	if s.c.VersionDir == "" {
		unavailable(w, "policy versions")
		return
	}
	text, v, err := s.version(r.PathValue("id"))
	if err != nil {
		s.versionError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"version": v, "text": string(text)})
}

func (s *Server) versionError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, errNoVersion):
		writeError(w, http.StatusNotFound, "no such policy version")
	case errors.Is(err, errBadVersion):
		writeError(w, http.StatusConflict, err.Error())
	default:
		s.internal(w, err)
	}
}

func (s *Server) rollbackPolicy(w http.ResponseWriter, r *http.Request) {
	if s.c.PolicyPath == "" || s.c.VersionDir == "" {
		unavailable(w, "policy rollback")
		return
	}
	var b struct {
		ID string `json:"id"`
	}
	if !readJSON(w, r, &b) {
		return
	}
	text, _, err := s.version(b.ID)
	if err != nil {
		s.versionError(w, err)
		return
	}
	// A version that no longer loads (the built-in rules or options changed)
	// is not put back in force.
	if _, ok := s.compile(w, string(text)); !ok {
		return
	}
	v, err := s.save(text, "rollback to "+b.ID)
	if err != nil {
		s.internal(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// ---- setup

func (s *Server) setup(w http.ResponseWriter, r *http.Request) {
	if s.c.Agents == nil {
		unavailable(w, "agent detection")
		return
	}
	agents, err := s.c.Agents(r.Context())
	if err != nil {
		s.internal(w, err)
		return
	}
	if agents == nil {
		agents = []Agent{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"agents": agents})
}

func (s *Server) agentParam(ctx context.Context, name string) (bool, error) {
	agents, err := s.c.Agents(ctx)
	if err != nil {
		return false, err
	}
	for _, a := range agents {
		if a.Name == name {
			return true, nil
		}
	}
	return false, nil
}

func (s *Server) plan(w http.ResponseWriter, r *http.Request) {
	if s.c.Plan == nil || s.c.Agents == nil {
		unavailable(w, "install plans")
		return
	}
	name := r.URL.Query().Get("agent")
	if ok, err := s.agentParam(r.Context(), name); err != nil {
		s.internal(w, err)
		return
	} else if !ok {
		writeError(w, http.StatusBadRequest, "unknown agent")
		return
	}
	p, err := s.c.Plan(r.Context(), name)
	if err != nil {
		writeError(w, http.StatusConflict, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"path": p.Path, "changed": p.Changed, "diff": Diff(p.Path, p.Old, p.New)})
}

func (s *Server) install(w http.ResponseWriter, r *http.Request) {
	if s.c.Install == nil || s.c.Agents == nil {
		unavailable(w, "installing")
		return
	}
	var b struct {
		Agent string `json:"agent"`
	}
	if !readJSON(w, r, &b) {
		return
	}
	if ok, err := s.agentParam(r.Context(), b.Agent); err != nil {
		s.internal(w, err)
		return
	} else if !ok {
		writeError(w, http.StatusBadRequest, "unknown agent")
		return
	}
	out, err := s.c.Install(r.Context(), b.Agent)
	if err != nil {
		writeError(w, http.StatusConflict, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"output": out})
}

func (s *Server) doctor(w http.ResponseWriter, r *http.Request) {
	if s.c.Doctor == nil {
		unavailable(w, "doctor")
		return
	}
	out, err := s.c.Doctor(r.Context())
	res := map[string]any{"output": out, "ok": err == nil}
	if err != nil {
		res["problem"] = err.Error()
	}
	writeJSON(w, http.StatusOK, res)
}
