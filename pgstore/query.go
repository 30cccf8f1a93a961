package pgstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/safeclaw/safeclaw/audit"
)

// sqlFilter is a WHERE clause that selects a superset of what a Filter
// matches, using the indexed columns; Filter.Match decides exactly.
type sqlFilter struct {
	where []string
	args  []any
}

func (q *sqlFilter) arg(v any) string {
	q.args = append(q.args, v)
	return fmt.Sprintf("$%d", len(q.args))
}

func (q *sqlFilter) add(cond string) { q.where = append(q.where, cond) }

func (q *sqlFilter) clause() string {
	if len(q.where) == 0 {
		return "TRUE"
	}
	return strings.Join(q.where, " AND ")
}

// likeEscape quotes LIKE's special characters (the escape is \).
func likeEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

// likeGlob turns a glob with * into a LIKE pattern.
func likeGlob(p string) string {
	parts := strings.Split(p, "*")
	for i := range parts {
		parts[i] = likeEscape(parts[i])
	}
	return strings.Join(parts, "%")
}

func translate(f *audit.Filter, stream string) *sqlFilter {
	q := &sqlFilter{}
	if stream != "" {
		q.add("stream = " + q.arg(stream))
	}
	if f == nil {
		return q
	}
	eq := func(col string, vals []string) {
		if len(vals) > 0 {
			q.add(col + " = ANY(" + q.arg(vals) + "::text[])")
		}
	}
	// Agent, surface and rule filters ignore ASCII case (audit.Filter):
	// lower() folds at least that, and Match decides the rest in Go.
	eqFold := func(col string, vals []string) {
		if len(vals) > 0 {
			low := make([]string, len(vals))
			for i, v := range vals {
				low[i] = strings.ToLower(v)
			}
			q.add("lower(" + col + ") = ANY(" + q.arg(low) + "::text[])")
		}
	}
	eq("decision", f.Decisions)
	eqFold("agent", f.Agents)
	eq("session", f.Sessions)
	eqFold("surface", f.Surfaces)
	eq("type", f.Types)
	if f.AfterSeq > 0 {
		q.add("seq > " + q.arg(int64(f.AfterSeq)))
	}
	if !f.Since.IsZero() {
		q.add("time >= " + q.arg(f.Since))
	}
	if !f.Until.IsZero() {
		q.add("time < " + q.arg(f.Until))
	}
	if len(f.Actions) > 0 {
		var pats []string
		for _, p := range f.Actions {
			if strings.Contains(p, "*") {
				pats = append(pats, likeGlob(p))
			} else {
				pats = append(pats, likeEscape(p)+"%")
			}
		}
		q.add("EXISTS (SELECT 1 FROM unnest(kinds) k WHERE k LIKE ANY(" + q.arg(pats) + "::text[]))")
	}
	if len(f.Rules) > 0 {
		var ors []string
		for _, p := range f.Rules {
			op, v := "=", strings.ToLower(p)
			if strings.Contains(p, "*") {
				op, v = "LIKE", likeGlob(strings.ToLower(p))
			}
			a := q.arg(v)
			for _, col := range []string{"rule_name", "rule_reason", "rule_source"} {
				ors = append(ors, fmt.Sprintf("(%s <> '' AND lower(%s) %s %s)", col, col, op, a))
			}
		}
		q.add("(" + strings.Join(ors, " OR ") + ")")
	}
	if len(f.Cwds) > 0 {
		var ors []string
		for _, c := range f.Cwds {
			ors = append(ors, "cwd = "+q.arg(c), "cwd LIKE "+q.arg(likeEscape(strings.TrimSuffix(c, "/"))+"/%"))
		}
		q.add("(" + strings.Join(ors, " OR ") + ")")
	}
	// Text is matched in Go (ASCII case folding, over several members).
	return q
}

// Query implements [audit.Store]: the handle's stream (or every stream
// with AllStreams) in order.
func (a *Audit) Query(ctx context.Context, f *audit.Filter, fn func(*audit.Record) error) error {
	stream := a.o.Stream
	order := "seq"
	if a.o.AllStreams || stream == "" {
		stream, order = "", "time, stream, seq"
	}
	q := translate(f, stream)
	newest := f != nil && f.Newest > 0
	if newest {
		order = strings.ReplaceAll(order, ",", " DESC,") + " DESC"
	}
	rows, err := a.db.pool.Query(ctx, `SELECT line FROM audit_records WHERE `+q.clause()+` ORDER BY `+order, q.args...)
	if err != nil {
		return fmt.Errorf("postgres audit: query: %w", err)
	}
	defer rows.Close()
	var kept []*audit.Record
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return fmt.Errorf("postgres audit: query: %w", err)
		}
		r, err := decodeLine(line)
		if err != nil {
			return fmt.Errorf("postgres audit: malformed stored record: %w", err)
		}
		if !f.Match(r) {
			continue
		}
		if newest {
			kept = append(kept, r)
			if len(kept) == f.Newest {
				break
			}
			continue
		}
		if err := fn(r); err != nil {
			if errors.Is(err, audit.ErrStop) {
				return nil
			}
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("postgres audit: query: %w", err)
	}
	rows.Close()
	slices.Reverse(kept)
	for _, r := range kept {
		if err := fn(r); err != nil {
			if errors.Is(err, audit.ErrStop) {
				return nil
			}
			return err
		}
	}
	return nil
}

// Streams lists the audit streams, by name.
func (a *Audit) Streams(ctx context.Context) ([]string, error) {
	rows, err := a.db.pool.Query(ctx, `SELECT name FROM audit_streams ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("postgres audit: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}
