package approval

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/safeclaw/safeclaw/action"
	_ "modernc.org/sqlite" // the pure Go SQLite driver, registered as "sqlite"
)

// schemaVersion is stored in PRAGMA user_version. A store written by a newer
// safeclaw (a higher version) is refused rather than misread.
const schemaVersion = 2

const schema = `
CREATE TABLE IF NOT EXISTS requests (
	id           TEXT PRIMARY KEY,
	hash         TEXT NOT NULL,
	status       TEXT NOT NULL,
	created_ns   INTEGER NOT NULL,
	deadline_ns  INTEGER NOT NULL,
	surface      TEXT NOT NULL DEFAULT '',
	agent        TEXT NOT NULL DEFAULT '',
	session      TEXT NOT NULL DEFAULT '',
	cwd          TEXT NOT NULL DEFAULT '',
	input        TEXT NOT NULL,
	parts_json   TEXT NOT NULL,
	rule_json    TEXT NOT NULL DEFAULT '',
	reason       TEXT NOT NULL DEFAULT '',
	policy_hash  TEXT NOT NULL DEFAULT '',
	requester    TEXT NOT NULL DEFAULT '',
	request_json TEXT NOT NULL,
	answer_json  TEXT NOT NULL DEFAULT '',
	used_ns      INTEGER NOT NULL DEFAULT 0,
	needs_json   TEXT NOT NULL DEFAULT '',
	votes_json   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS requests_status ON requests(status, deadline_ns);
CREATE INDEX IF NOT EXISTS requests_hash ON requests(hash);
CREATE INDEX IF NOT EXISTS requests_created ON requests(created_ns);
CREATE TABLE IF NOT EXISTS grants (
	hash       TEXT PRIMARY KEY,
	grant_json TEXT NOT NULL,
	expires_ns INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	target     TEXT NOT NULL,
	event_json TEXT NOT NULL,
	created_ns INTEGER NOT NULL,
	attempts   INTEGER NOT NULL DEFAULT 0,
	next_ns    INTEGER NOT NULL,
	lease_ns   INTEGER NOT NULL DEFAULT 0,
	state      TEXT NOT NULL DEFAULT 'queued',
	last_error TEXT NOT NULL DEFAULT '',
	done_ns    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox(state, next_ns);
`

// SQLite is the embedded [Store] and [Outbox]: one SQLite file in WAL mode
// with a busy timeout, shared safely by concurrent processes (every state
// change is one conditional UPDATE or one IMMEDIATE transaction).
type SQLite struct {
	db   *sql.DB
	path string
}

var (
	_ Store  = (*SQLite)(nil)
	_ Outbox = (*SQLite)(nil)
)

// OpenSQLite opens (creating it when absent) the approval store at path. Its
// directory is created 0700 and the file 0600; SQLite gives its -wal and
// -shm files the same mode. A path that is a symbolic link is refused, and
// so is a store that others may write (its directory or its files; see
// checkStoreFiles); a store others may read is made private.
func OpenSQLite(path string) (*SQLite, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("approval store %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("approval store: %w", err)
	}
	if err := checkStoreFiles(abs); err != nil {
		return nil, fmt.Errorf("approval store %s: %w", abs, err)
	}
	if st, err := os.Lstat(abs); err == nil {
		if !st.Mode().IsRegular() {
			return nil, fmt.Errorf("approval store %s is not a regular file", abs)
		}
	} else if errors.Is(err, os.ErrNotExist) {
		f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil && !errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("approval store: %w", err)
		}
		if f != nil {
			f.Close()
		}
	} else {
		return nil, fmt.Errorf("approval store: %w", err)
	}
	u := url.URL{Scheme: "file", Path: abs}
	dsn := u.String() + "?_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("approval store %s: %w", abs, err)
	}
	// A handful of connections is plenty for one process; other processes
	// have their own.
	db.SetMaxOpenConns(4)
	if err := useWAL(db); err != nil {
		db.Close()
		return nil, fmt.Errorf("approval store %s: %w", abs, err)
	}
	s := &SQLite{db: db, path: abs}
	if err := s.migrate(context.Background()); err != nil {
		db.Close()
		return nil, fmt.Errorf("approval store %s: %w", abs, err)
	}
	return s, nil
}

// useWAL puts the database in WAL mode (a setting the file keeps). Switching
// needs the database to itself, and SQLite reports "busy" at once, without
// waiting, while another process or handle opens the same new file: so it
// retries, for as long as the busy timeout would have waited.
func useWAL(db *sql.DB) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		var mode string
		err := db.QueryRow("PRAGMA journal_mode").Scan(&mode)
		if err == nil && strings.EqualFold(mode, "wal") {
			return nil
		}
		if err == nil {
			// A file system without WAL support answers with the mode it
			// kept; the store works in that mode too.
			if err = db.QueryRow("PRAGMA journal_mode=WAL").Scan(&mode); err == nil {
				return nil
			}
		}
		if !isBusy(err) || time.Now().After(deadline) {
			return fmt.Errorf("set WAL mode: %w", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// isBusy reports SQLite's "database is locked" (SQLITE_BUSY) and "table is
// locked" (SQLITE_LOCKED) answers.
func isBusy(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "SQLITE_BUSY") || strings.Contains(msg, "database is locked") || strings.Contains(msg, "SQLITE_LOCKED")
}

// Path is the store's file.
func (s *SQLite) Path() string { return s.path }

func (s *SQLite) migrate(ctx context.Context) error {
	// The common case, a store that is up to date, takes no write lock.
	var cur int
	if err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&cur); err != nil {
		return err
	}
	if cur == schemaVersion {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var v int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return err
	}
	if v > schemaVersion {
		return fmt.Errorf("written by a newer safeclaw (schema %d, this one knows %d)", v, schemaVersion)
	}
	if v == 1 {
		// Schema 2 adds what a quorum needs to the requests table.
		if _, err := tx.ExecContext(ctx, `ALTER TABLE requests ADD COLUMN needs_json TEXT NOT NULL DEFAULT '';
			ALTER TABLE requests ADD COLUMN votes_json TEXT NOT NULL DEFAULT ''`); err != nil {
			return fmt.Errorf("upgrading the store to schema 2: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, schema); err != nil {
		return err
	}
	if v < schemaVersion {
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", schemaVersion)); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// Close closes the database.
func (s *SQLite) Close() error { return s.db.Close() }

const requestColumns = `id, hash, status, created_ns, deadline_ns, surface, agent, session, cwd, input,
	parts_json, rule_json, reason, policy_hash, requester, request_json, answer_json, used_ns, needs_json, votes_json`

// Create implements [Store].
func (s *SQLite) Create(ctx context.Context, r *Record) error {
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
	needs, err := EncodeNeeds(r.Needs)
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO requests (`+requestColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', 0, ?, '')`,
		r.ID, r.Hash, string(Pending), r.Created.UnixNano(), r.Deadline.UnixNano(), r.Surface, r.Agent, r.Session,
		r.Cwd, r.Input, string(parts), string(rule), r.Reason, r.PolicyHash, r.Requester, string(req), needs)
	if err != nil {
		return fmt.Errorf("store approval request: %w", err)
	}
	r.Status = Pending
	return nil
}

type rowScanner interface{ Scan(dest ...any) error }

func scanRecord(row rowScanner) (*Record, error) {
	var (
		r                                Record
		status, parts, rule, req, answer string
		needs, votes                     string
		created, deadline, used          int64
	)
	if err := row.Scan(&r.ID, &r.Hash, &status, &created, &deadline, &r.Surface, &r.Agent, &r.Session, &r.Cwd,
		&r.Input, &parts, &rule, &r.Reason, &r.PolicyHash, &r.Requester, &req, &answer, &used, &needs, &votes); err != nil {
		return nil, err
	}
	if err := DecodeVoting(&r, needs, votes); err != nil {
		return nil, err
	}
	r.Status = Status(status)
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
		r.Answer = new(Answer)
		if err := json.Unmarshal([]byte(answer), r.Answer); err != nil {
			return nil, fmt.Errorf("approval request %s: bad answer: %w", r.ID, err)
		}
	}
	return &r, nil
}

// Get implements [Store].
func (s *SQLite) Get(ctx context.Context, id string) (*Record, error) {
	r, err := scanRecord(s.db.QueryRowContext(ctx, `SELECT `+requestColumns+` FROM requests WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	return r, err
}

// List implements [Store].
func (s *SQLite) List(ctx context.Context, f Filter) ([]*Record, error) {
	q := `SELECT ` + requestColumns + ` FROM requests WHERE 1`
	var args []any
	if len(f.Status) > 0 {
		q += ` AND status IN (?` + strings.Repeat(`, ?`, len(f.Status)-1) + `)`
		for _, st := range f.Status {
			args = append(args, string(st))
		}
	}
	if f.Hash != "" {
		q += ` AND hash = ?`
		args = append(args, f.Hash)
	}
	if !f.Since.IsZero() {
		q += ` AND created_ns >= ?`
		args = append(args, f.Since.UnixNano())
	}
	q += ` ORDER BY created_ns DESC, id`
	if f.Limit > 0 {
		q += fmt.Sprintf(` LIMIT %d`, f.Limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Record
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Answer implements [Store].
func (s *SQLite) Answer(ctx context.Context, id string, a Answer) (*Record, error) {
	status := Denied
	if a.Approve {
		status = Approved
	}
	data, err := json.Marshal(a)
	if err != nil {
		return nil, err
	}
	// An approval of a request that needs a quorum is a vote (Vote), never
	// an answer: one approver must not settle it.
	res, err := s.db.ExecContext(ctx, `UPDATE requests SET status = ?, answer_json = ?
		WHERE id = ? AND status = 'pending' AND deadline_ns > ?
		AND (? = 0 OR needs_json = '' OR coalesce(json_extract(needs_json, '$.quorum'), 1) <= 1)`,
		string(status), string(data), id, a.Time.UnixNano(), a.Approve)
	if err != nil {
		return nil, fmt.Errorf("answer approval request %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return s.Get(ctx, id)
	}
	// Not answered: say why, expiring a pending record past its deadline.
	r, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.Status == Pending && a.Approve && r.Deadline.After(a.Time) && r.Needs != nil && r.Needs.Quorum > 1 {
		return nil, fmt.Errorf("approval request %s needs %s: an approval of it is a vote", id, r.Needs.Describe())
	}
	if r.Status == Pending {
		exp := Answer{Approver: "timeout", Channel: "timeout", Time: a.Time,
			Reason: "deadline " + r.Deadline.Format(time.RFC3339) + " passed before an answer"}
		r, did, err := s.Expire(ctx, id, exp)
		if err != nil {
			return nil, err
		}
		if r.Status != Expired {
			// Another answer won the race in between.
			return nil, &NotPendingError{ID: id, Status: r.Status, Answer: r.Answer}
		}
		return nil, &NotPendingError{ID: id, Status: Expired, Answer: r.Answer, Expired: did}
	}
	return nil, &NotPendingError{ID: id, Status: r.Status, Answer: r.Answer}
}

// Vote implements [Store]: a compare-and-swap on the votes, retried when
// another approver's vote came in between.
func (s *SQLite) Vote(ctx context.Context, id string, a Answer) (*Record, error) {
	for attempt := 0; attempt < 64; attempt++ {
		r, err := s.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		if r.Status != Pending || !r.Deadline.After(a.Time) {
			return s.Answer(ctx, id, a) // says why, expiring when due
		}
		votes, final, err := Tally(r, a)
		if err != nil {
			return nil, err
		}
		oldVotes, err := EncodeVotes(r.Votes)
		if err != nil {
			return nil, err
		}
		newVotes, err := EncodeVotes(votes)
		if err != nil {
			return nil, err
		}
		status, answer := string(Pending), ""
		if final != nil {
			data, err := json.Marshal(final)
			if err != nil {
				return nil, err
			}
			status, answer = string(Approved), string(data)
		}
		res, err := s.db.ExecContext(ctx, `UPDATE requests SET votes_json = ?, status = ?, answer_json = ?
			WHERE id = ? AND status = 'pending' AND deadline_ns > ? AND votes_json = ?`,
			newVotes, status, answer, id, a.Time.UnixNano(), oldVotes)
		if err != nil {
			return nil, fmt.Errorf("vote on approval request %s: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return s.Get(ctx, id)
		}
	}
	return nil, fmt.Errorf("vote on approval request %s: too many concurrent changes; try again", id)
}

// Expire implements [Store].
func (s *SQLite) Expire(ctx context.Context, id string, a Answer) (*Record, bool, error) {
	a.Approve = false
	data, err := json.Marshal(a)
	if err != nil {
		return nil, false, err
	}
	res, err := s.db.ExecContext(ctx, `UPDATE requests SET status = 'expired', answer_json = ?
		WHERE id = ? AND status = 'pending'`, string(data), id)
	if err != nil {
		return nil, false, fmt.Errorf("expire approval request %s: %w", id, err)
	}
	n, _ := res.RowsAffected()
	r, err := s.Get(ctx, id)
	return r, n == 1, err
}

// ExpireDue implements [Store].
func (s *SQLite) ExpireDue(ctx context.Context, now time.Time, max int) ([]*Record, error) {
	// Find candidates first, then expire each with the conditional UPDATE,
	// so that only records this call moved are reported.
	if max <= 0 {
		max = -1 // SQLite: no limit
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, deadline_ns FROM requests WHERE status = 'pending' AND deadline_ns <= ?
		ORDER BY deadline_ns LIMIT ?`, now.UnixNano(), max)
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
	var out []*Record
	for _, d := range ids {
		a := Answer{Approver: "timeout", Channel: "timeout", Time: now,
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

// Use implements [Store].
func (s *SQLite) Use(ctx context.Context, id, hash string, now time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE requests SET used_ns = ?
		WHERE id = ? AND hash = ? AND status = 'approved' AND used_ns = 0`, now.UnixNano(), id, hash)
	if err != nil {
		return fmt.Errorf("use approval %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("approval %s: %w", id, ErrUsed)
	}
	return nil
}

// PutGrant implements [Store].
func (s *SQLite) PutGrant(ctx context.Context, g Grant) error {
	data, err := json.Marshal(g)
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO grants (hash, grant_json, expires_ns) VALUES (?, ?, ?)
		ON CONFLICT(hash) DO UPDATE SET grant_json = excluded.grant_json, expires_ns = excluded.expires_ns`,
		g.Hash, string(data), g.Expires.UnixNano())
	if err != nil {
		return fmt.Errorf("store session grant: %w", err)
	}
	return nil
}

// FindGrant implements [Store].
func (s *SQLite) FindGrant(ctx context.Context, hash string, now time.Time) (*Grant, error) {
	var data string
	err := s.db.QueryRowContext(ctx, `SELECT grant_json FROM grants WHERE hash = ? AND expires_ns > ?`, hash, now.UnixNano()).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	var g Grant
	if err := json.Unmarshal([]byte(data), &g); err != nil {
		return nil, fmt.Errorf("bad session grant: %w", err)
	}
	return &g, nil
}

// Purge implements [Store].
func (s *SQLite) Purge(ctx context.Context, before time.Time) (int, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `DELETE FROM requests WHERE status != 'pending' AND created_ns < ?`, before.UnixNano())
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	if _, err := tx.ExecContext(ctx, `DELETE FROM grants WHERE expires_ns < ?`, before.UnixNano()); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE state != 'queued' AND created_ns < ?`, before.UnixNano()); err != nil {
		return 0, err
	}
	return int(n), tx.Commit()
}

// Enqueue implements [Outbox].
func (s *SQLite) Enqueue(ctx context.Context, ns []Notification) error {
	if len(ns) == 0 {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, n := range ns {
		ev, err := json.Marshal(n.Event)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO outbox (target, event_json, created_ns, next_ns) VALUES (?, ?, ?, ?)`,
			n.Target, string(ev), n.Created.UnixNano(), n.Created.UnixNano()); err != nil {
			return fmt.Errorf("queue notification: %w", err)
		}
	}
	return tx.Commit()
}

// Claim implements [Outbox].
func (s *SQLite) Claim(ctx context.Context, now time.Time, lease time.Duration, max int) ([]Notification, error) {
	if max <= 0 {
		max = 1
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT id, target, event_json, created_ns, attempts FROM outbox
		WHERE state = 'queued' AND next_ns <= ? AND lease_ns <= ? ORDER BY id LIMIT ?`, now.UnixNano(), now.UnixNano(), max)
	if err != nil {
		return nil, err
	}
	var out []Notification
	for rows.Next() {
		var (
			n       Notification
			ev      string
			created int64
		)
		if err := rows.Scan(&n.ID, &n.Target, &ev, &created, &n.Attempts); err != nil {
			rows.Close()
			return nil, err
		}
		if err := json.Unmarshal([]byte(ev), &n.Event); err != nil {
			rows.Close()
			return nil, fmt.Errorf("bad queued notification %d: %w", n.ID, err)
		}
		n.Created = time.Unix(0, created)
		n.Attempts++
		out = append(out, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, n := range out {
		if _, err := tx.ExecContext(ctx, `UPDATE outbox SET lease_ns = ?, attempts = attempts + 1 WHERE id = ?`,
			now.Add(lease).UnixNano(), n.ID); err != nil {
			return nil, err
		}
	}
	return out, tx.Commit()
}

// Finish implements [Outbox].
func (s *SQLite) Finish(ctx context.Context, id int64, d Delivery) error {
	var err error
	switch {
	case d.Sent:
		_, err = s.db.ExecContext(ctx, `UPDATE outbox SET state = 'sent', done_ns = ?, lease_ns = 0, last_error = '' WHERE id = ?`,
			d.Time.UnixNano(), id)
	case d.GiveUp:
		_, err = s.db.ExecContext(ctx, `UPDATE outbox SET state = 'failed', done_ns = ?, lease_ns = 0, last_error = ? WHERE id = ?`,
			d.Time.UnixNano(), d.Error, id)
	default:
		_, err = s.db.ExecContext(ctx, `UPDATE outbox SET next_ns = ?, lease_ns = 0, last_error = ? WHERE id = ?`,
			d.Next.UnixNano(), d.Error, id)
	}
	if err != nil {
		return fmt.Errorf("record notification delivery: %w", err)
	}
	return nil
}

// Queued implements [Outbox].
func (s *SQLite) Queued(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM outbox WHERE state = 'queued'`).Scan(&n)
	return n, err
}
