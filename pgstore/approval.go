package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/approval"
)

// Approvals is an [approval.Store] and [approval.Outbox] in PostgreSQL,
// shared by every machine of a fleet. Each method is one conditional
// statement or one transaction, so a record leaves pending exactly once and
// an approval is used at most once, whichever machines race.
type Approvals struct {
	db *DB
	w  *watcher

	mu     sync.Mutex
	closed bool
}

var (
	_ approval.Store         = (*Approvals)(nil)
	_ approval.Outbox        = (*Approvals)(nil)
	_ approval.Authenticator = (*Approvals)(nil)
)

// Approvals returns the approval store of d. It fails when the schema is
// not the one this build knows.
func (d *DB) Approvals(ctx context.Context) (*Approvals, error) {
	if err := d.Check(ctx); err != nil {
		return nil, err
	}
	d.acquire()
	return &Approvals{db: d, w: newWatcher(d)}, nil
}

// Close implements [approval.Store].
func (s *Approvals) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	s.w.close()
	return s.db.Close()
}

const requestColumns = `id, hash, status, created_ns, deadline_ns, surface, agent, session, cwd, input,
	parts_json, rule_json, reason, policy_hash, requester, request_json, answer_json, used_ns, needs_json, votes_json`

// Create implements [approval.Store].
func (s *Approvals) Create(ctx context.Context, r *approval.Record) error {
	if r.ID == "" {
		return errors.New("approval record without an id")
	}
	parts, err := json.Marshal(r.Parts)
	if err != nil {
		return err
	}
	var rule []byte
	if r.Rule != nil {
		if rule, err = json.Marshal(r.Rule); err != nil {
			return err
		}
	}
	req, err := json.Marshal(r.Request)
	if err != nil {
		return err
	}
	needs, err := approval.EncodeNeeds(r.Needs)
	if err != nil {
		return err
	}
	_, err = s.db.pool.Exec(ctx, `INSERT INTO approval_requests (`+requestColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, '', 0, $17, '')`,
		r.ID, r.Hash, string(approval.Pending), r.Created.UnixNano(), r.Deadline.UnixNano(), r.Surface, r.Agent, r.Session,
		r.Cwd, r.Input, string(parts), string(rule), r.Reason, r.PolicyHash, r.Requester, string(req), needs)
	if err != nil {
		return fmt.Errorf("store approval request: %w", err)
	}
	r.Status = approval.Pending
	return nil
}

func scanRequest(row pgx.Row) (*approval.Record, error) {
	var (
		r                                approval.Record
		status, parts, rule, req, answer string
		needs, votes                     string
		created, deadline, used          int64
	)
	if err := row.Scan(&r.ID, &r.Hash, &status, &created, &deadline, &r.Surface, &r.Agent, &r.Session, &r.Cwd,
		&r.Input, &parts, &rule, &r.Reason, &r.PolicyHash, &r.Requester, &req, &answer, &used, &needs, &votes); err != nil {
		return nil, err
	}
	if err := approval.DecodeVoting(&r, needs, votes); err != nil {
		return nil, err
	}
	r.Status = approval.Status(status)
	r.Created = time.Unix(0, created)
	r.Deadline = time.Unix(0, deadline)
	if used != 0 {
		r.Used = time.Unix(0, used)
	}
	if err := json.Unmarshal([]byte(parts), &r.Parts); err != nil {
		return nil, fmt.Errorf("approval request %s: bad parts: %w", r.ID, err)
	}
	if rule != "" {
		r.Rule = new(action.RuleRef)
		if err := json.Unmarshal([]byte(rule), r.Rule); err != nil {
			return nil, fmt.Errorf("approval request %s: bad rule: %w", r.ID, err)
		}
	}
	r.Request = new(action.Request)
	if err := json.Unmarshal([]byte(req), r.Request); err != nil {
		return nil, fmt.Errorf("approval request %s: bad request: %w", r.ID, err)
	}
	if answer != "" {
		r.Answer = new(approval.Answer)
		if err := json.Unmarshal([]byte(answer), r.Answer); err != nil {
			return nil, fmt.Errorf("approval request %s: bad answer: %w", r.ID, err)
		}
	}
	return &r, nil
}

// Get implements [approval.Store].
func (s *Approvals) Get(ctx context.Context, id string) (*approval.Record, error) {
	r, err := scanRequest(s.db.pool.QueryRow(ctx, `SELECT `+requestColumns+` FROM approval_requests WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%w: %q", approval.ErrNotFound, id)
	}
	return r, err
}

// List implements [approval.Store].
func (s *Approvals) List(ctx context.Context, f approval.Filter) ([]*approval.Record, error) {
	q := &sqlFilter{}
	if len(f.Status) > 0 {
		var st []string
		for _, x := range f.Status {
			st = append(st, string(x))
		}
		q.add("status = ANY(" + q.arg(st) + "::text[])")
	}
	if f.Hash != "" {
		q.add("hash = " + q.arg(f.Hash))
	}
	if !f.Since.IsZero() {
		q.add("created_ns >= " + q.arg(f.Since.UnixNano()))
	}
	sql := `SELECT ` + requestColumns + ` FROM approval_requests WHERE ` + q.clause() + ` ORDER BY created_ns DESC, id`
	if f.Limit > 0 {
		sql += fmt.Sprintf(` LIMIT %d`, f.Limit)
	}
	rows, err := s.db.pool.Query(ctx, sql, q.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*approval.Record
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Answer implements [approval.Store]. The approver's identity is kept in
// its own column as well as in the answer.
func (s *Approvals) Answer(ctx context.Context, id string, a approval.Answer) (*approval.Record, error) {
	status := approval.Denied
	if a.Approve {
		status = approval.Approved
	}
	data, err := json.Marshal(a)
	if err != nil {
		return nil, err
	}
	r, err := scanRequest(s.db.pool.QueryRow(ctx, `UPDATE approval_requests SET status = $1, answer_json = $2, approver = $3
		WHERE id = $4 AND status = 'pending' AND deadline_ns > $5 RETURNING `+requestColumns,
		string(status), string(data), a.Approver, id, a.Time.UnixNano()))
	if err == nil {
		return r, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("answer approval request %s: %w", id, err)
	}
	// Not answered: say why, expiring a pending record past its deadline.
	r, err = s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.Status == approval.Pending {
		exp := approval.Answer{Approver: "timeout", Channel: "timeout", Time: a.Time,
			Reason: "deadline " + r.Deadline.Format(time.RFC3339) + " passed before an answer"}
		r, did, err := s.Expire(ctx, id, exp)
		if err != nil {
			return nil, err
		}
		if r.Status != approval.Expired {
			return nil, &approval.NotPendingError{ID: id, Status: r.Status, Answer: r.Answer}
		}
		return nil, &approval.NotPendingError{ID: id, Status: approval.Expired, Answer: r.Answer, Expired: did}
	}
	return nil, &approval.NotPendingError{ID: id, Status: r.Status, Answer: r.Answer}
}

// Principal implements [approval.Authenticator]: the database role this
// store connects as, which the schema's guard holds every vote to.
func (s *Approvals) Principal(ctx context.Context) (string, error) {
	var role string
	if err := s.db.pool.QueryRow(ctx, `SELECT current_user`).Scan(&role); err != nil {
		return "", fmt.Errorf("postgres store: reading the database role: %w", err)
	}
	return role, nil
}

// Vote implements [approval.Store]: a compare-and-swap on the votes,
// retried when another approver's vote came in between. The vote names
// this connection's role, whatever a.Principal said.
func (s *Approvals) Vote(ctx context.Context, id string, a approval.Answer) (*approval.Record, error) {
	role, err := s.Principal(ctx)
	if err != nil {
		return nil, err
	}
	a.Principal = role
	for attempt := 0; attempt < 64; attempt++ {
		r, err := s.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		if r.Status != approval.Pending || !r.Deadline.After(a.Time) {
			return s.Answer(ctx, id, a) // says why, expiring when due
		}
		votes, final, err := approval.Tally(r, a)
		if err != nil {
			return nil, err
		}
		oldVotes, err := approval.EncodeVotes(r.Votes)
		if err != nil {
			return nil, err
		}
		newVotes, err := approval.EncodeVotes(votes)
		if err != nil {
			return nil, err
		}
		status, answer, approver := string(approval.Pending), "", ""
		if final != nil {
			data, err := json.Marshal(final)
			if err != nil {
				return nil, err
			}
			status, answer, approver = string(approval.Approved), string(data), final.Approver
		}
		r, err = scanRequest(s.db.pool.QueryRow(ctx, `UPDATE approval_requests SET votes_json = $1, status = $2, answer_json = $3, approver = $4
			WHERE id = $5 AND status = 'pending' AND deadline_ns > $6 AND votes_json = $7 RETURNING `+requestColumns,
			newVotes, status, answer, approver, id, a.Time.UnixNano(), oldVotes))
		if err == nil {
			return r, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return nil, fmt.Errorf("vote on approval request %s: %w", id, err)
		}
	}
	return nil, fmt.Errorf("vote on approval request %s: too many concurrent changes; try again", id)
}

// Expire implements [approval.Store].
func (s *Approvals) Expire(ctx context.Context, id string, a approval.Answer) (*approval.Record, bool, error) {
	a.Approve = false
	data, err := json.Marshal(a)
	if err != nil {
		return nil, false, err
	}
	r, err := scanRequest(s.db.pool.QueryRow(ctx, `UPDATE approval_requests SET status = 'expired', answer_json = $1, approver = $2
		WHERE id = $3 AND status = 'pending' RETURNING `+requestColumns, string(data), a.Approver, id))
	if err == nil {
		return r, true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return nil, false, fmt.Errorf("expire approval request %s: %w", id, err)
	}
	r, err = s.Get(ctx, id)
	return r, false, err
}

// ExpireDue implements [approval.Store].
func (s *Approvals) ExpireDue(ctx context.Context, now time.Time, max int) ([]*approval.Record, error) {
	var limit *int // NULL: no limit
	if max > 0 {
		limit = &max
	}
	rows, err := s.db.pool.Query(ctx, `SELECT id, deadline_ns FROM approval_requests WHERE status = 'pending' AND deadline_ns <= $1
		ORDER BY deadline_ns LIMIT $2`, now.UnixNano(), limit)
	if err != nil {
		return nil, err
	}
	type due struct {
		id       string
		deadline int64
	}
	var ids []due
	for rows.Next() {
		var d due
		if err := rows.Scan(&d.id, &d.deadline); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []*approval.Record
	for _, d := range ids {
		a := approval.Answer{Approver: "timeout", Channel: "timeout", Time: now,
			Reason: "deadline " + time.Unix(0, d.deadline).Format(time.RFC3339) + " passed before an answer"}
		r, did, err := s.Expire(ctx, d.id, a)
		if err != nil {
			return out, err
		}
		if did {
			out = append(out, r)
		}
	}
	return out, nil
}

// Use implements [approval.Store].
func (s *Approvals) Use(ctx context.Context, id, hash string, now time.Time) error {
	tag, err := s.db.pool.Exec(ctx, `UPDATE approval_requests SET used_ns = $1
		WHERE id = $2 AND hash = $3 AND status = 'approved' AND used_ns = 0`, now.UnixNano(), id, hash)
	if err != nil {
		return fmt.Errorf("use approval %s: %w", id, err)
	}
	if tag.RowsAffected() != 1 {
		return fmt.Errorf("approval %s: %w", id, approval.ErrUsed)
	}
	return nil
}

// PutGrant implements [approval.Store].
func (s *Approvals) PutGrant(ctx context.Context, g approval.Grant) error {
	data, err := json.Marshal(g)
	if err != nil {
		return err
	}
	_, err = s.db.pool.Exec(ctx, `INSERT INTO approval_grants (hash, grant_json, expires_ns) VALUES ($1, $2, $3)
		ON CONFLICT (hash) DO UPDATE SET grant_json = excluded.grant_json, expires_ns = excluded.expires_ns`,
		g.Hash, string(data), g.Expires.UnixNano())
	if err != nil {
		return fmt.Errorf("store session grant: %w", err)
	}
	return nil
}

// FindGrant implements [approval.Store].
func (s *Approvals) FindGrant(ctx context.Context, hash string, now time.Time) (*approval.Grant, error) {
	var data string
	err := s.db.pool.QueryRow(ctx, `SELECT grant_json FROM approval_grants WHERE hash = $1 AND expires_ns > $2`, hash, now.UnixNano()).Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, approval.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	var g approval.Grant
	if err := json.Unmarshal([]byte(data), &g); err != nil {
		return nil, fmt.Errorf("bad session grant: %w", err)
	}
	return &g, nil
}

// Purge implements [approval.Store].
func (s *Approvals) Purge(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := pgx.BeginFunc(ctx, s.db.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM approval_requests WHERE status <> 'pending' AND created_ns < $1`, before.UnixNano())
		if err != nil {
			return err
		}
		n = tag.RowsAffected()
		if _, err := tx.Exec(ctx, `DELETE FROM approval_grants WHERE expires_ns < $1`, before.UnixNano()); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM approval_outbox WHERE state <> 'queued' AND created_ns < $1`, before.UnixNano())
		return err
	})
	// Agent hosts are not granted DELETE (docs/fleet.md): pruning is the
	// reviewers' machines' job, not an error on every hook call.
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "42501" {
		return 0, nil
	}
	return int(n), err
}

// Enqueue implements [approval.Outbox].
func (s *Approvals) Enqueue(ctx context.Context, ns []approval.Notification) error {
	if len(ns) == 0 {
		return nil
	}
	return pgx.BeginFunc(ctx, s.db.pool, func(tx pgx.Tx) error {
		for _, n := range ns {
			ev, err := json.Marshal(n.Event)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO approval_outbox (target, event_json, created_ns, next_ns) VALUES ($1, $2, $3, $3)`,
				n.Target, string(ev), n.Created.UnixNano()); err != nil {
				return fmt.Errorf("queue notification: %w", err)
			}
		}
		return nil
	})
}

// Claim implements [approval.Outbox]. Rows another process is claiming at
// the same moment are skipped, not waited for.
func (s *Approvals) Claim(ctx context.Context, now time.Time, lease time.Duration, max int) ([]approval.Notification, error) {
	if max <= 0 {
		max = 1
	}
	rows, err := s.db.pool.Query(ctx, `UPDATE approval_outbox SET lease_ns = $2, attempts = attempts + 1
		WHERE id IN (SELECT id FROM approval_outbox WHERE state = 'queued' AND next_ns <= $1 AND lease_ns <= $1
			ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED)
		RETURNING id, target, event_json, created_ns, attempts`, now.UnixNano(), now.Add(lease).UnixNano(), max)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []approval.Notification
	for rows.Next() {
		var (
			n       approval.Notification
			ev      string
			created int64
		)
		if err := rows.Scan(&n.ID, &n.Target, &ev, &created, &n.Attempts); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(ev), &n.Event); err != nil {
			return nil, fmt.Errorf("bad queued notification %d: %w", n.ID, err)
		}
		n.Created = time.Unix(0, created)
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sortByID(out)
	return out, nil
}

func sortByID(ns []approval.Notification) {
	for i := 1; i < len(ns); i++ {
		for j := i; j > 0 && ns[j].ID < ns[j-1].ID; j-- {
			ns[j], ns[j-1] = ns[j-1], ns[j]
		}
	}
}

// Finish implements [approval.Outbox].
func (s *Approvals) Finish(ctx context.Context, id int64, d approval.Delivery) error {
	var err error
	switch {
	case d.Sent:
		_, err = s.db.pool.Exec(ctx, `UPDATE approval_outbox SET state = 'sent', done_ns = $1, lease_ns = 0, last_error = '' WHERE id = $2`,
			d.Time.UnixNano(), id)
	case d.GiveUp:
		_, err = s.db.pool.Exec(ctx, `UPDATE approval_outbox SET state = 'failed', done_ns = $1, lease_ns = 0, last_error = $2 WHERE id = $3`,
			d.Time.UnixNano(), d.Error, id)
	default:
		_, err = s.db.pool.Exec(ctx, `UPDATE approval_outbox SET next_ns = $1, lease_ns = 0, last_error = $2 WHERE id = $3`,
			d.Next.UnixNano(), d.Error, id)
	}
	if err != nil {
		return fmt.Errorf("record notification delivery: %w", err)
	}
	return nil
}

// Queued implements [approval.Outbox].
func (s *Approvals) Queued(ctx context.Context) (int, error) {
	var n int
	err := s.db.pool.QueryRow(ctx, `SELECT count(*) FROM approval_outbox WHERE state = 'queued'`).Scan(&n)
	return n, err
}

// channel is the NOTIFY channel of the schema's approval changes.
func (d *DB) channel() string { return "safeclaw_approvals_" + strings.ToLower(d.schema) }
