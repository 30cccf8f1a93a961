package pgstore

import (
	"context"
	"crypto/hmac"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/safeclaw/safeclaw/audit"
)

// StreamReport is the verification of one stream.
type StreamReport struct {
	Stream string
	KeyID  string
	*audit.Report
}

// Verify implements [audit.Store]: it checks every stream. The report sums
// them; FirstSeq, LastSeq, LastHash and HeadSeq are the handle's own
// stream's (or the only stream's). Problems name their stream in Segment.
func (a *Audit) Verify(ctx context.Context) (*audit.Report, error) {
	reps, err := a.VerifyStreams(ctx)
	if err != nil {
		return nil, err
	}
	out := &audit.Report{Intact: true, Segments: len(reps)}
	for _, r := range reps {
		out.Records += r.Records
		out.Intact = out.Intact && r.Intact
		for _, p := range r.Problems {
			if len(out.Problems) < maxProblems {
				out.Problems = append(out.Problems, p)
			}
		}
		out.Notes = append(out.Notes, r.Notes...)
		if r.Stream == a.o.Stream || len(reps) == 1 {
			out.FirstSeq, out.LastSeq, out.LastHash, out.HeadSeq = r.FirstSeq, r.LastSeq, r.LastHash, r.HeadSeq
		}
	}
	return out, nil
}

// VerifyStreams checks every stream and reports on each, by name.
func (a *Audit) VerifyStreams(ctx context.Context) ([]StreamReport, error) {
	rows, err := a.db.pool.Query(ctx, `SELECT name, key_id FROM audit_streams ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("postgres audit: verify: %w", err)
	}
	streams, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (StreamReport, error) {
		var s StreamReport
		err := r.Scan(&s.Stream, &s.KeyID)
		return s, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres audit: verify: %w", err)
	}
	for i := range streams {
		if streams[i].Report, err = a.verifyStream(ctx, streams[i].Stream, streams[i].KeyID); err != nil {
			return nil, err
		}
	}
	return streams, nil
}

func (a *Audit) verifyStream(ctx context.Context, stream, kid string) (*audit.Report, error) {
	rep := &audit.Report{Intact: true}
	problem := func(kind string, seq, through uint64, format string, args ...any) {
		rep.Intact = false
		if len(rep.Problems) < maxProblems {
			rep.Problems = append(rep.Problems, audit.Problem{Kind: kind, Seq: seq, Through: through, Segment: stream,
				Message: fmt.Sprintf(format, args...)})
		}
	}
	if kid != a.keyID {
		rep.Intact = false
		rep.Notes = append(rep.Notes, fmt.Sprintf("stream %s is sealed with another audit key (id %s): not checked", stream, kid))
		problem(audit.ProblemUnsealed, 0, 0, "stream sealed with audit key %s, not this one", kid)
		return rep, nil
	}
	rows, err := a.db.pool.Query(ctx, `SELECT seq, hash, line FROM audit_records WHERE stream = $1 ORDER BY seq`, stream)
	if err != nil {
		return nil, fmt.Errorf("postgres audit: verify %s: %w", stream, err)
	}
	defer rows.Close()
	var (
		prevHash = zeroHash
		lastSeq  uint64
		seq      int64
		hash     string
		line     string
		// firstPrev is the first stored record's prev; prunes are the
		// ranges sealed prune records vouch for.
		firstPrev string
		prunes    []audit.PrunedSegment
	)
	for rows.Next() {
		if err := rows.Scan(&seq, &hash, &line); err != nil {
			return nil, fmt.Errorf("postgres audit: verify %s: %w", stream, err)
		}
		s := uint64(seq)
		rep.Records++
		if rep.FirstSeq == 0 {
			rep.FirstSeq = s
		} else if s != lastSeq+1 {
			problem(audit.ProblemMissing, lastSeq+1, s-1, "records %d-%d are missing", lastSeq+1, s-1)
		}
		r, err := decodeLine(line)
		if err != nil || r.Seq != s || r.Hash != hash {
			problem(audit.ProblemMalformed, s, s, "stored record does not match its row")
			lastSeq, prevHash = s, hash
			continue
		}
		canon, err := r.MarshalJSON()
		if err != nil || string(canon) != line {
			problem(audit.ProblemEdited, s, s, "stored record is not in canonical form")
		} else if u, err := unsealed(r); err != nil {
			problem(audit.ProblemMalformed, s, s, "%v", err)
		} else if h, err := chainHash(r.Prev, u); err != nil {
			problem(audit.ProblemMalformed, s, s, "%v", err)
		} else if fmt.Sprintf("%x", h) != r.Hash {
			problem(audit.ProblemEdited, s, s, "content does not match its hash")
		} else if !hmac.Equal([]byte(sealRecord(a.o.Key, s, h)), []byte(r.MAC)) {
			problem(audit.ProblemUnsealed, s, s, "seal does not match")
		}
		if rep.FirstSeq == s {
			firstPrev = r.Prev
		}
		if r.Type == audit.TypePrune && r.Prune != nil && rep.Intact {
			prunes = append(prunes, r.Prune.Segments...)
		}
		if r.Prev != prevHash && (rep.FirstSeq != s || s == 1) {
			problem(audit.ProblemBrokenLink, s, s, "prev does not match the previous record's hash")
		}
		lastSeq, prevHash = s, r.Hash
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres audit: verify %s: %w", stream, err)
	}
	rows.Close()
	// A stream that starts after seq 1 must carry a sealed prune record
	// (see [DB.Prune]) vouching for the removed range.
	if rep.FirstSeq > 1 {
		vouched := false
		for _, p := range prunes {
			if p.LastSeq == rep.FirstSeq-1 && p.LastHash == firstPrev {
				vouched = true
			}
		}
		if vouched {
			rep.Pruned = rep.FirstSeq - 1
		} else {
			problem(audit.ProblemUnprovenGap, 1, rep.FirstSeq-1, "stream starts at seq %d and no prune record vouches for records 1-%d", rep.FirstSeq, rep.FirstSeq-1)
		}
	}
	rep.LastSeq, rep.LastHash = lastSeq, ""
	if lastSeq > 0 {
		rep.LastHash = prevHash
	}
	// The newest checkpoint whose seal verifies vouches for the end.
	cps, err := a.db.pool.Query(ctx, `SELECT seq, hash, mac FROM audit_checkpoints WHERE stream = $1 ORDER BY seq DESC LIMIT 16`, stream)
	if err != nil {
		return nil, fmt.Errorf("postgres audit: verify %s: %w", stream, err)
	}
	defer cps.Close()
	found := false
	for cps.Next() {
		var cs int64
		var ch, cm string
		if err := cps.Scan(&cs, &ch, &cm); err != nil {
			return nil, err
		}
		if !hmac.Equal([]byte(sealCheckpoint(a.o.Key, stream, uint64(cs), ch)), []byte(cm)) {
			problem(audit.ProblemHeadInvalid, uint64(cs), uint64(cs), "checkpoint seal does not match")
			continue
		}
		found = true
		rep.HeadSeq = uint64(cs)
		if uint64(cs) > lastSeq {
			problem(audit.ProblemTruncated, lastSeq+1, uint64(cs), "checkpoint vouches for seq %d, stream ends at %d", cs, lastSeq)
		} else if uint64(cs) == lastSeq && ch != prevHash {
			problem(audit.ProblemHeadInvalid, lastSeq, lastSeq, "checkpoint hash does not match the last record")
		}
		break
	}
	if err := cps.Err(); err != nil {
		return nil, err
	}
	if !found && rep.Records > 0 {
		problem(audit.ProblemHeadMissing, lastSeq, lastSeq, "no valid checkpoint for the stream")
	}
	return rep, nil
}
