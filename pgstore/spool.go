package pgstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/safeclaw/safeclaw/audit"
)

// Spooled is an [audit.Store] that writes to PostgreSQL and, while
// PostgreSQL is unreachable, to a local file trail (the spool), shipping
// the spooled records to PostgreSQL in order when it is back. Records keep
// their content; they join the stream's chain when shipped, and the rows
// remember their spool sequence number, so shipping resumes exactly where
// it stopped (also after a crash, also with several processes shipping the
// same spool). Once records are spooled, later records are spooled too
// until the backlog has shipped, so the stream keeps their order.
//
// Query reads PostgreSQL (what has shipped); Verify checks PostgreSQL and
// the spool. The spool is never pruned by shipping; give it a retention.
type Spooled struct {
	pg    *Audit
	spool *audit.FileStore
	o     SpoolOptions

	mu        sync.Mutex
	downUntil time.Time
	backlog   bool // records may be waiting in the spool
	cursor    uint64
}

// SpoolOptions tune a [Spooled] store.
type SpoolOptions struct {
	// RetryAfter is how long after a failure appends go straight to the
	// spool without trying PostgreSQL (0: 2 s), so that an outage does not
	// slow every decision down by a connection timeout.
	RetryAfter time.Duration
	// Probe bounds one attempt to reach PostgreSQL from Append (0: 1 s).
	Probe time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

var _ audit.Store = (*Spooled)(nil)

// NewSpooled returns a store over pg that spools to spool. It owns both.
func NewSpooled(pg *Audit, spool *audit.FileStore, o SpoolOptions) *Spooled {
	if o.RetryAfter <= 0 {
		o.RetryAfter = 2 * time.Second
	}
	if o.Probe <= 0 {
		o.Probe = time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Spooled{pg: pg, spool: spool, o: o, backlog: true}
}

// Unreachable reports whether err (from [Open] or a store call) means
// PostgreSQL could not be reached, as opposed to refusing the statement or
// the trail being tampered with: callers may then decide locally and spool.
func Unreachable(err error) bool { return err != nil && unreachable(err) }

// unreachable reports whether err means PostgreSQL could not be reached
// (as opposed to refusing the statement, or the trail being tampered).
func unreachable(err error) bool {
	if errors.Is(err, audit.ErrTampered) || errors.Is(err, ErrSchemaNewer) || errors.Is(err, ErrSchemaOld) {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "57P")
	}
	return true
}

// Append implements [audit.Store].
func (s *Spooled) Append(ctx context.Context, rec *audit.Record) (uint64, error) {
	return s.AppendBatch(ctx, []*audit.Record{rec})
}

// AppendBatch appends recs to PostgreSQL or, when it is unreachable, to
// the spool. The sequence number returned is the one of the store that
// took the records.
func (s *Spooled) AppendBatch(ctx context.Context, recs []*audit.Record) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	now := s.o.Now()
	for _, r := range recs {
		if err := audit.Prepare(r, s.pg.o.Key, now); err != nil {
			return 0, fmt.Errorf("audit: %w", err)
		}
	}
	// The common case, no backlog and PostgreSQL up, does not serialise
	// callers, so that the PostgreSQL store's group commit applies.
	s.mu.Lock()
	direct := !s.backlog && !now.Before(s.downUntil)
	s.mu.Unlock()
	if direct {
		pctx, cancel := context.WithTimeout(ctx, s.o.Probe)
		seq, err := s.pg.AppendBatch(pctx, recs)
		cancel()
		if err == nil {
			return seq, nil
		}
		if ctx.Err() != nil || !unreachable(err) {
			return 0, err
		}
		s.mu.Lock()
		s.downUntil = now.Add(s.o.RetryAfter)
		s.mu.Unlock()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !direct && !now.Before(s.downUntil) {
		pctx, cancel := context.WithTimeout(ctx, s.o.Probe)
		err := s.shipLocked(pctx)
		if err == nil {
			var seq uint64
			seq, err = s.pg.AppendBatch(pctx, recs)
			if err == nil {
				cancel()
				return seq, nil
			}
		}
		cancel()
		if ctx.Err() != nil || !unreachable(err) {
			return 0, err
		}
		s.downUntil = now.Add(s.o.RetryAfter)
	}
	seq, err := s.spool.AppendBatch(ctx, recs)
	if err != nil {
		return 0, fmt.Errorf("audit spool: %w", err)
	}
	s.backlog = true
	return seq, nil
}

// Ship sends the spooled records that PostgreSQL does not have yet, in
// order, and returns how many it sent.
func (s *Spooled) Ship(ctx context.Context) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	before := s.cursor
	err := s.shipLocked(ctx)
	return int(s.cursor - min(before, s.cursor)), err
}

// spoolID identifies the spool by its first record's hash ("" when empty).
func (s *Spooled) spoolID(ctx context.Context) (string, error) {
	id := ""
	err := s.spool.Query(ctx, nil, func(r *audit.Record) error { id = r.Hash; return audit.ErrStop })
	return id, err
}

func (s *Spooled) shipLocked(ctx context.Context) error {
	if !s.backlog {
		return nil
	}
	id, err := s.spoolID(ctx)
	if err != nil {
		return fmt.Errorf("audit spool: %w", err)
	}
	if id == "" {
		s.backlog = false
		return nil
	}
	var cursor int64
	if err := s.pg.db.pool.QueryRow(ctx, `SELECT coalesce(max(spool_seq), 0) FROM audit_records WHERE stream = $1 AND spool_id = $2`,
		s.pg.o.Stream, id).Scan(&cursor); err != nil {
		return fmt.Errorf("postgres audit: ship spool: %w", err)
	}
	s.cursor = uint64(cursor)
	// The spool must be intact before any of it is vouched for in the stream.
	if rep, err := s.spool.Verify(ctx); err != nil {
		return fmt.Errorf("audit spool: %w", err)
	} else if !rep.Intact {
		p, _ := rep.FirstBad()
		return fmt.Errorf("%w: the local spool does not verify (%s); not shipping it", audit.ErrTampered, p)
	}
	const batch = 256
	for {
		var recs []*audit.Record
		var seqs []uint64
		err := s.spool.Query(ctx, &audit.Filter{AfterSeq: s.cursor}, func(r *audit.Record) error {
			seqs = append(seqs, r.Seq)
			recs = append(recs, r)
			if len(recs) == batch {
				return audit.ErrStop
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("audit spool: %w", err)
		}
		if len(recs) == 0 {
			s.backlog = false
			return nil
		}
		if _, err := s.pg.appendBatch(ctx, recs, id, seqs); err != nil {
			return err
		}
		s.cursor = seqs[len(seqs)-1]
	}
}

// Backlog counts the spooled records not yet shipped. When PostgreSQL is
// unreachable it counts from the last position known to have shipped.
func (s *Spooled) Backlog(ctx context.Context) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, err := s.spoolID(ctx); err == nil && id != "" {
		var cursor int64
		if err := s.pg.db.pool.QueryRow(ctx, `SELECT coalesce(max(spool_seq), 0) FROM audit_records WHERE stream = $1 AND spool_id = $2`,
			s.pg.o.Stream, id).Scan(&cursor); err == nil {
			s.cursor = uint64(cursor)
		}
	}
	n := 0
	err := s.spool.Query(ctx, &audit.Filter{AfterSeq: s.cursor}, func(*audit.Record) error { n++; return nil })
	return n, err
}

// Query implements [audit.Store]: it reads what has shipped to PostgreSQL.
func (s *Spooled) Query(ctx context.Context, f *audit.Filter, fn func(*audit.Record) error) error {
	return s.pg.Query(ctx, f, fn)
}

// Verify implements [audit.Store]: PostgreSQL's streams and the spool.
func (s *Spooled) Verify(ctx context.Context) (*audit.Report, error) {
	rep, err := s.pg.Verify(ctx)
	if err != nil {
		return nil, err
	}
	srep, err := s.spool.Verify(ctx)
	if err != nil {
		return nil, err
	}
	if !srep.Intact {
		rep.Intact = false
		for _, p := range srep.Problems {
			p.Segment = "spool " + p.Segment
			rep.Problems = append(rep.Problems, p)
		}
	}
	if n, err := s.Backlog(ctx); err == nil && n > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d records spooled locally, not yet shipped to PostgreSQL", n))
	}
	return rep, nil
}

// Close implements [audit.Store].
func (s *Spooled) Close() error {
	return errors.Join(s.pg.Close(), s.spool.Close())
}

// Stream is the PostgreSQL stream the records go to.
func (s *Spooled) Stream() string { return s.pg.Stream() }
