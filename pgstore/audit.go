package pgstore

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/safeclaw/safeclaw/audit"
)

// Seal inputs, as in the file trail (docs/audit.md): a record seal is
// HMAC-SHA256(key, macRecord || uint64be(seq) || hash). A checkpoint seal
// also binds the stream name.
const (
	macRecord     = "safeclaw audit v1 record\x00"
	macCheckpoint = "safeclaw audit v1 pg checkpoint\x00"
	macKeyID      = "safeclaw audit v1 key id\x00"
	maxProblems   = 1000
)

var zeroHash = strings.Repeat("0", 64)

// AuditOptions configure [DB.Audit].
type AuditOptions struct {
	// Stream names the chain this handle appends to, e.g. "host/claude".
	// Required for Append; a reader may leave it empty.
	Stream string
	// Key seals records and checkpoints (the audit key). Required.
	Key *audit.Key
	// AllStreams makes Query read every stream (ordered by time, then
	// stream, then seq) instead of the handle's own. AfterSeq then applies
	// to each stream's own numbering.
	AllStreams bool
}

// Audit is an [audit.Store] in PostgreSQL. It is safe for concurrent use,
// also by many processes and machines.
type Audit struct {
	db    *DB
	o     AuditOptions
	keyID string

	mu         sync.Mutex
	registered bool
	closed     bool

	// Group commit: concurrent appends on this handle share transactions.
	gmu     sync.Mutex
	queue   []*appendReq
	leading bool
}

// appendReq is one caller's records waiting for a group transaction.
type appendReq struct {
	recs []*audit.Record
	done chan error
}

var (
	_ audit.Store         = (*Audit)(nil)
	_ audit.BatchAppender = (*Audit)(nil)
)

// Audit returns the audit store of d. It fails when the schema is not the
// one this build knows.
func (d *DB) Audit(ctx context.Context, o AuditOptions) (*Audit, error) {
	if o.Key == nil {
		return nil, errors.New("postgres audit: no audit key")
	}
	if err := d.Check(ctx); err != nil {
		return nil, err
	}
	d.acquire()
	return &Audit{db: d, o: o, keyID: keyID(o.Key)}, nil
}

// keyID identifies a key without revealing it.
func keyID(k *audit.Key) string {
	m := hmac.New(sha256.New, k[:])
	m.Write([]byte(macKeyID))
	return hex.EncodeToString(m.Sum(nil)[:8])
}

// Close implements [audit.Store].
func (a *Audit) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return nil
	}
	a.closed = true
	return a.db.Close()
}

// Stream is the handle's stream.
func (a *Audit) Stream() string { return a.o.Stream }

func sealRecord(k *audit.Key, seq uint64, h []byte) string {
	m := hmac.New(sha256.New, k[:])
	buf := append([]byte(macRecord), binary.BigEndian.AppendUint64(nil, seq)...)
	m.Write(append(buf, h...))
	return hex.EncodeToString(m.Sum(nil))
}

func sealCheckpoint(k *audit.Key, stream string, seq uint64, hash string) string {
	m := hmac.New(sha256.New, k[:])
	m.Write([]byte(macCheckpoint))
	m.Write(binary.BigEndian.AppendUint64(nil, seq))
	m.Write([]byte(hash))
	m.Write([]byte(stream))
	return hex.EncodeToString(m.Sum(nil))
}

// unsealed returns the canonical form of r without its hash and mac
// members, the input of the record hash. The canonical encoder writes them
// as `"hash":"",` and `"mac":"",` when empty (never last: prev, seq, time
// and type follow); the last occurrence is the top-level member, since
// only facet args, which come before, can hold such keys.
func unsealed(r *audit.Record) ([]byte, error) {
	h, m := r.Hash, r.MAC
	r.Hash, r.MAC = "", ""
	b, err := r.MarshalJSON()
	r.Hash, r.MAC = h, m
	if err != nil {
		return nil, err
	}
	for _, member := range []string{`"mac":"",`, `"hash":"",`} {
		i := bytes.LastIndex(b, []byte(member))
		if i < 0 {
			return nil, errors.New("canonical record without hash or mac member")
		}
		b = append(b[:i], b[i+len(member):]...)
	}
	return b, nil
}

// chainHash is SHA-256 over the previous hash (raw) and the unsealed form.
func chainHash(prev string, unsealed []byte) ([]byte, error) {
	p, err := hex.DecodeString(prev)
	if err != nil || len(p) != 32 {
		return nil, fmt.Errorf("bad previous hash %q", prev)
	}
	s := sha256.New()
	s.Write(p)
	s.Write(unsealed)
	return s.Sum(nil), nil
}

// Append implements [audit.Store].
func (a *Audit) Append(ctx context.Context, rec *audit.Record) (uint64, error) {
	return a.AppendBatch(ctx, []*audit.Record{rec})
}

func (a *Audit) register(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return errors.New("postgres audit: store closed")
	}
	if a.registered {
		return nil
	}
	if _, err := a.db.pool.Exec(ctx, `INSERT INTO audit_streams (name, key_id) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`,
		a.o.Stream, a.keyID); err != nil {
		return fmt.Errorf("postgres audit: register stream %q: %w", a.o.Stream, err)
	}
	var id string
	if err := a.db.pool.QueryRow(ctx, `SELECT key_id FROM audit_streams WHERE name = $1`, a.o.Stream).Scan(&id); err != nil {
		return fmt.Errorf("postgres audit: stream %q: %w", a.o.Stream, err)
	}
	if id != a.keyID {
		return fmt.Errorf("postgres audit: stream %q is sealed with another audit key (id %s, ours %s)", a.o.Stream, id, a.keyID)
	}
	// Best effort: next months' partitions exist before anyone needs them
	// (records of a missing month land in the default partition).
	a.db.pool.Exec(ctx, `SELECT audit_ensure_partitions(now(), 2)`)
	a.registered = true
	return nil
}

// AppendBatch implements [audit.BatchAppender]: one transaction, one
// checkpoint.
//
// Concurrent callers on one handle are committed together: the first
// becomes the leader and appends everything queued meanwhile in one
// transaction (group commit), so a busy instance pays one lock, round
// trip and sync per group, not per decision.
func (a *Audit) AppendBatch(ctx context.Context, recs []*audit.Record) (uint64, error) {
	if len(recs) == 0 {
		return 0, errors.New("postgres audit: append of no records")
	}
	if a.o.Stream == "" {
		return 0, errors.New("postgres audit: no stream to append to")
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	// Invalid records fail alone, before they can join a group.
	now := a.db.now()
	for _, r := range recs {
		if err := audit.Prepare(r, a.o.Key, now); err != nil {
			return 0, fmt.Errorf("audit: %w", err)
		}
	}
	req := &appendReq{recs: recs, done: make(chan error, 1)}
	a.gmu.Lock()
	a.queue = append(a.queue, req)
	if a.leading {
		a.gmu.Unlock()
		if err := <-req.done; err != nil {
			return 0, err
		}
		return recs[len(recs)-1].Seq, nil
	}
	a.leading = true
	a.gmu.Unlock()
	for {
		a.gmu.Lock()
		group := a.queue
		a.queue = nil
		if len(group) == 0 {
			a.leading = false
			a.gmu.Unlock()
			break
		}
		a.gmu.Unlock()
		var all []*audit.Record
		for _, q := range group {
			all = append(all, q.recs...)
		}
		// Once the leader's own context is done, it still flushes for the
		// others, bounded.
		fctx, cancel := ctx, context.CancelFunc(func() {})
		if ctx.Err() != nil {
			fctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		}
		_, err := a.appendBatch(fctx, all, "", nil)
		cancel()
		for _, q := range group {
			q.done <- err
		}
	}
	if err := <-req.done; err != nil {
		return 0, err
	}
	return recs[len(recs)-1].Seq, nil
}

// appendBatch appends recs; with spoolID set, spoolSeqs are their sequence
// numbers in that spool, stored in the same transaction.
func (a *Audit) appendBatch(ctx context.Context, recs []*audit.Record, spoolID string, spoolSeqs []uint64) (uint64, error) {
	if len(recs) == 0 {
		return 0, errors.New("postgres audit: append of no records")
	}
	if a.o.Stream == "" {
		return 0, errors.New("postgres audit: no stream to append to")
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	now := a.db.now()
	for _, r := range recs {
		if err := audit.Prepare(r, a.o.Key, now); err != nil {
			return 0, fmt.Errorf("audit: %w", err)
		}
	}
	if err := a.register(ctx); err != nil {
		return 0, err
	}
	var last uint64
	err := pgx.BeginFunc(ctx, a.db.pool, func(tx pgx.Tx) error {
		var err error
		last, err = a.appendInTx(ctx, tx, recs, spoolID, spoolSeqs)
		return err
	})
	if err != nil {
		if errors.Is(err, audit.ErrTampered) {
			return 0, fmt.Errorf("audit: %w", err)
		}
		return 0, fmt.Errorf("postgres audit: append to stream %q: %w", a.o.Stream, err)
	}
	return last, nil
}

// appendInTx chains, seals and inserts prepared records in tx, with a
// checkpoint, under the stream's advisory lock (held until tx ends).
func (a *Audit) appendInTx(ctx context.Context, tx pgx.Tx, recs []*audit.Record, spoolID string, spoolSeqs []uint64) (uint64, error) {
	var last uint64
	err := func() error {
		// The lock serialises writers of this stream only.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('safeclaw audit ' || $1, 0))`, a.o.Stream); err != nil {
			return err
		}
		seq, prev := uint64(0), zeroHash
		err := tx.QueryRow(ctx, `SELECT seq, hash FROM audit_records WHERE stream = $1 ORDER BY seq DESC LIMIT 1`, a.o.Stream).Scan(&seq, &prev)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		var cpSeq uint64
		var cpHash string
		err = tx.QueryRow(ctx, `SELECT seq, hash FROM audit_checkpoints WHERE stream = $1 ORDER BY seq DESC LIMIT 1`, a.o.Stream).Scan(&cpSeq, &cpHash)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if cpSeq > seq || cpSeq == seq && cpSeq > 0 && cpHash != prev {
			return fmt.Errorf("%w: stream %q ends at seq %d but its checkpoint vouches for seq %d", audit.ErrTampered, a.o.Stream, seq, cpSeq)
		}
		if spoolID != "" {
			// Another process may have shipped some of recs meanwhile.
			var cursor int64
			if err := tx.QueryRow(ctx, `SELECT coalesce(max(spool_seq), 0) FROM audit_records WHERE stream = $1 AND spool_id = $2`,
				a.o.Stream, spoolID).Scan(&cursor); err != nil {
				return err
			}
			for len(recs) > 0 && spoolSeqs[0] <= uint64(cursor) {
				recs, spoolSeqs = recs[1:], spoolSeqs[1:]
			}
			// A record whose direct append committed after its caller had
			// given up (and spooled it) is in the stream already.
			var err error
			if recs, spoolSeqs, err = a.skipCommitted(ctx, tx, recs, spoolSeqs); err != nil {
				return err
			}
			if len(recs) == 0 {
				last = seq
				return nil
			}
		}
		rows := make([][]any, 0, len(recs))
		for i, r := range recs {
			seq++
			r.Seq, r.Prev, r.Hash, r.MAC = seq, prev, "", ""
			u, err := unsealed(r)
			if err != nil {
				return err
			}
			h, err := chainHash(prev, u)
			if err != nil {
				return err
			}
			r.Hash, r.MAC = hex.EncodeToString(h), sealRecord(a.o.Key, seq, h)
			line, err := r.MarshalJSON()
			if err != nil {
				return err
			}
			var rule audit.Rule
			if r.Rule != nil {
				rule = *r.Rule
			}
			kinds := r.Kinds()
			if kinds == nil {
				kinds = []string{}
			}
			var sid *string
			var sseq *int64
			if spoolID != "" {
				n := int64(spoolSeqs[i])
				sid, sseq = &spoolID, &n
			}
			rows = append(rows, []any{a.o.Stream, int64(seq), r.Time, r.Type, r.Surface, r.Agent, r.Session, r.Cwd,
				r.Decision, rule.Name, rule.Reason, rule.Source, kinds, r.Hash, string(line), sid, sseq})
			prev = r.Hash
		}
		if len(rows) == 1 {
			if _, err := tx.Exec(ctx, `INSERT INTO audit_records (stream, seq, time, type, surface, agent, session, cwd,
				decision, rule_name, rule_reason, rule_source, kinds, hash, line, spool_id, spool_seq)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`, rows[0]...); err != nil {
				return err
			}
		} else if _, err := tx.CopyFrom(ctx, pgx.Identifier{"audit_records"}, []string{"stream", "seq", "time", "type",
			"surface", "agent", "session", "cwd", "decision", "rule_name", "rule_reason", "rule_source", "kinds", "hash", "line", "spool_id", "spool_seq"},
			pgx.CopyFromRows(rows)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO audit_checkpoints (stream, seq, hash, mac) VALUES ($1, $2, $3, $4)`,
			a.o.Stream, int64(seq), prev, sealCheckpoint(a.o.Key, a.o.Stream, seq, prev)); err != nil {
			return err
		}
		last = seq
		return nil
	}()
	return last, err
}

// skipCommitted drops the spooled records that the stream already holds
// from a direct append: same record, chain fields aside. The direct append
// held the stream's lock until it committed, so under the lock it is seen.
func (a *Audit) skipCommitted(ctx context.Context, tx pgx.Tx, recs []*audit.Record, spoolSeqs []uint64) ([]*audit.Record, []uint64, error) {
	if len(recs) == 0 {
		return recs, spoolSeqs, nil
	}
	times := make([]time.Time, len(recs))
	for i, r := range recs {
		times[i] = r.Time
	}
	rows, err := tx.Query(ctx, `SELECT line FROM audit_records WHERE stream = $1 AND spool_id IS NULL AND time = ANY($2)`, a.o.Stream, times)
	if err != nil {
		return nil, nil, err
	}
	stored := map[string]bool{}
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			rows.Close()
			return nil, nil, err
		}
		r, err := decodeLine(line)
		if err != nil {
			continue // not one of ours to match; verify reports it
		}
		if id, err := recordIdentity(r); err == nil {
			stored[id] = true
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	if len(stored) == 0 {
		return recs, spoolSeqs, nil
	}
	keepR, keepS := recs[:0:0], spoolSeqs[:0:0]
	for i, r := range recs {
		id, err := recordIdentity(r)
		if err != nil {
			return nil, nil, err
		}
		if !stored[id] {
			keepR, keepS = append(keepR, r), append(keepS, spoolSeqs[i])
		}
	}
	return keepR, keepS, nil
}

// recordIdentity is a record's canonical form without its chain fields
// (sequence number, previous hash, hash, seal), which differ between the
// spool and the stream.
func recordIdentity(r *audit.Record) (string, error) {
	c := *r
	c.Seq, c.Prev, c.Hash, c.MAC = 0, "", "", ""
	b, err := c.MarshalJSON()
	return string(b), err
}

// decodeLine reads a stored record.
func decodeLine(line string) (*audit.Record, error) {
	var r audit.Record
	d := json.NewDecoder(strings.NewReader(line))
	if err := d.Decode(&r); err != nil {
		return nil, err
	}
	return &r, nil
}
