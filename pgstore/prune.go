package pgstore

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/safeclaw/safeclaw/audit"
)

// PrunedStream is what one stream lost to a prune run.
type PrunedStream struct {
	Stream   string `json:"stream"`
	FirstSeq uint64 `json:"first_seq"` // oldest record removed
	LastSeq  uint64 `json:"last_seq"`  // newest record removed; the stream now starts after it
	Records  uint64 `json:"records"`
	PruneSeq uint64 `json:"prune_seq"` // the sealed prune record that vouches for the range
}

// PruneResult reports a prune run.
type PruneResult struct {
	Partitions []string       `json:"partitions"` // dropped monthly partitions
	Streams    []PrunedStream `json:"streams"`
}

// partitionPrefix names the monthly partitions (audit_records_pYYYYMM).
const partitionPrefix = "audit_records_p"

// EnsurePartitions creates the monthly audit partitions from this month
// through months ahead and returns how many it made. Appenders call it
// best-effort; run it from maintenance (store migrate, store prune) too.
func (d *DB) EnsurePartitions(ctx context.Context, months int) (int, error) {
	var n int
	if err := d.pool.QueryRow(ctx, `SELECT audit_ensure_partitions(now(), $1)`, months).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres store: create partitions: %w", err)
	}
	return n, nil
}

// Partitions lists the monthly audit partitions, oldest first, with the
// month each holds (UTC).
func (d *DB) Partitions(ctx context.Context) (names []string, months []time.Time, err error) {
	rows, err := d.pool.Query(ctx, `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'audit_records'::regclass`)
	if err != nil {
		return nil, nil, fmt.Errorf("postgres store: partitions: %w", err)
	}
	all, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, nil, fmt.Errorf("postgres store: partitions: %w", err)
	}
	sort.Strings(all)
	for _, n := range all {
		m, err := time.Parse("200601", strings.TrimPrefix(n, partitionPrefix))
		if !strings.HasPrefix(n, partitionPrefix) || err != nil {
			continue // the default partition, or one an operator made
		}
		names, months = append(names, n), append(months, m)
	}
	return names, months, nil
}

// Prune applies retention: it drops every monthly audit partition whose
// month ended at or before before. For each stream that had records there
// it first appends a prune record sealed with key, vouching for the
// removed range (seq 1..N, the hash of record N), so verify accepts the
// stream's new start; records of that range left in newer partitions (a
// host's clock or a late-shipped spool) are deleted with it, so that each
// stream keeps a contiguous suffix. One transaction: all or nothing.
//
// It needs the schema owner's rights (DROP, DELETE) and the audit key of
// every affected stream; a stream sealed with another key stops the run.
func (d *DB) Prune(ctx context.Context, key *audit.Key, before time.Time) (*PruneResult, error) {
	if key == nil {
		return nil, errors.New("postgres store: prune: no audit key")
	}
	if err := d.Check(ctx); err != nil {
		return nil, err
	}
	names, months, err := d.Partitions(ctx)
	if err != nil {
		return nil, err
	}
	res := &PruneResult{}
	for i, n := range names {
		if !months[i].AddDate(0, 1, 0).After(before) {
			res.Partitions = append(res.Partitions, n)
		}
	}
	if len(res.Partitions) == 0 {
		return res, nil
	}
	kid := keyID(key)
	err = pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		res.Streams = nil
		// Which streams lose what: the newest seq per stream in the
		// partitions to drop.
		var parts []string
		for _, n := range res.Partitions {
			parts = append(parts, `SELECT stream, max(seq) AS last FROM `+pgx.Identifier{n}.Sanitize()+` GROUP BY stream`)
		}
		rows, err := tx.Query(ctx, `SELECT stream, max(last) FROM (`+strings.Join(parts, " UNION ALL ")+`) p GROUP BY stream ORDER BY stream`)
		if err != nil {
			return err
		}
		type cut struct {
			Stream string
			Last   int64
		}
		cuts, err := pgx.CollectRows(rows, pgx.RowToStructByPos[cut])
		if err != nil {
			return err
		}
		for _, c := range cuts {
			// Under the stream's lock (taken again by appendInTx, which is
			// re-entrant within the transaction), before the table lock
			// that DROP takes: the order appenders use.
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('safeclaw audit ' || $1, 0))`, c.Stream); err != nil {
				return err
			}
			var streamKey string
			if err := tx.QueryRow(ctx, `SELECT key_id FROM audit_streams WHERE name = $1`, c.Stream).Scan(&streamKey); err != nil {
				return fmt.Errorf("stream %q: %w", c.Stream, err)
			}
			if streamKey != kid {
				return fmt.Errorf("stream %q is sealed with another audit key (id %s, ours %s): cannot seal its prune record", c.Stream, streamKey, kid)
			}
			var first, count int64
			var hash string
			if err := tx.QueryRow(ctx, `SELECT min(seq), count(*) FROM audit_records WHERE stream = $1 AND seq <= $2`, c.Stream, c.Last).Scan(&first, &count); err != nil {
				return err
			}
			if err := tx.QueryRow(ctx, `SELECT hash FROM audit_records WHERE stream = $1 AND seq = $2`, c.Stream, c.Last).Scan(&hash); err != nil {
				return fmt.Errorf("stream %q: record %d: %w", c.Stream, c.Last, err)
			}
			rec := &audit.Record{Type: audit.TypePrune, Prune: &audit.Prune{Segments: []audit.PrunedSegment{{
				Name: strings.Join(res.Partitions, ","), FirstSeq: uint64(first), LastSeq: uint64(c.Last),
				LastHash: hash, Records: uint64(count),
			}}}}
			if err := audit.Prepare(rec, key, d.now()); err != nil {
				return err
			}
			w := &Audit{db: d, o: AuditOptions{Stream: c.Stream, Key: key}, keyID: kid}
			seq, err := w.appendInTx(ctx, tx, []*audit.Record{rec}, "", nil)
			if err != nil {
				return fmt.Errorf("stream %q: prune record: %w", c.Stream, err)
			}
			res.Streams = append(res.Streams, PrunedStream{Stream: c.Stream, FirstSeq: uint64(first), LastSeq: uint64(c.Last),
				Records: uint64(count), PruneSeq: seq})
		}
		for _, n := range res.Partitions {
			if _, err := tx.Exec(ctx, `DROP TABLE `+pgx.Identifier{n}.Sanitize()); err != nil {
				return fmt.Errorf("drop %s: %w", n, err)
			}
		}
		for _, s := range res.Streams {
			if _, err := tx.Exec(ctx, `DELETE FROM audit_records WHERE stream = $1 AND seq <= $2`, s.Stream, int64(s.LastSeq)); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `DELETE FROM audit_checkpoints WHERE stream = $1 AND seq <= $2`, s.Stream, int64(s.LastSeq)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres store: prune: %w", err)
	}
	return res, nil
}
