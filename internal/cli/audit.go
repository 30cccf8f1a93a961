package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/safeclaw/safeclaw/audit"
)

const auditUsage = `Usage:
  safeclaw audit [--filter EXPR] [--since DUR|TIME] [--until DUR|TIME] [--limit N] [--json]
  safeclaw audit verify [--json]
  safeclaw audit export [--format jsonl|csv|otlp] [--filter EXPR] [--since ...] [--until ...]
  safeclaw audit tail [-n N] [-f] [--filter EXPR] [--json]
  safeclaw audit repair

Reads the tamper-evident audit trail: every decision an agent hook, the MCP
proxy, the HTTP API or safeclaw run made (check and simulate record nothing).

Filter expressions: space-separated terms, each key:value or free text; a
repeated key is an OR, everything else an AND. Quote values with spaces.
  action:network          action kind prefix on any facet (network.listen, ...)
  action:network.*        glob
  decision:deny           allow, deny or ask
  rule:"Block Python HTTP server"   the deciding rule's name, reason or file:line
  agent:claude  session:ID  cwd:PATH  surface:hook  type:prune
  since:1h  until:2026-05-06        a duration back from now or a time
  python                  free text in the request, reasons and notes

verify checks every record's hash chain link and keyed seal, the sequence,
and the head seal; it exits 0 when the trail is intact, 1 when it was
tampered with (naming the first bad sequence number), 2 on error.
repair removes only an incomplete last line left by a crash.

Examples:
  safeclaw audit --filter "action:network"
  safeclaw audit --filter 'action:network.* decision:deny since:1h rule:"Block Python HTTP server"' --json
  safeclaw audit verify
  safeclaw audit export --format csv > audit.csv
  safeclaw audit tail -f
`

// openAuditTrail opens the audit trail that the deciding surfaces write
// (config audit.path, else the state directory's) for reading, verifying or
// repairing it. Unlike openAudit it creates nothing: looking at a trail that
// was never written leaves no files behind.
func (e *Env) openAuditTrail() (audit.Store, error) {
	cfg, err := e.loadConfig()
	if err != nil {
		return nil, err
	}
	if u := e.storeURL(cfg.Store); isPostgresURL(u) {
		// Every machine's stream: query, verify and export read them all.
		return e.openPGAuditReader(context.Background(), u)
	}
	return audit.OpenFile(e.auditDir(cfg), audit.FileOptions{KeyFile: e.auditKeyFile(), Now: e.Now})
}

// runAudit implements `safeclaw audit`.
func runAudit(ctx context.Context, e *Env, args []string) int {
	if len(args) > 0 {
		switch args[0] {
		case "verify":
			return runAuditVerify(ctx, e, args[1:])
		case "export":
			return runAuditExport(ctx, e, args[1:])
		case "tail":
			return runAuditTail(ctx, e, args[1:])
		case "repair":
			return runAuditRepair(ctx, e, args[1:])
		case "query", "list":
			args = args[1:]
		}
	}
	fs := newFlags(e, "audit", auditUsage)
	var sel auditSelection
	sel.register(fs)
	limit := fs.Int("limit", 0, "show only the newest N matching records")
	asJSON := fs.Bool("json", false, "print JSON Lines (each record in its stored canonical form)")
	if code, ok := parseFlags(e, fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		sub := fs.Arg(0)
		if s := closest(sub, []string{"verify", "export", "tail", "repair"}); s != "" {
			return hintf(e, fmt.Sprintf("did you mean 'safeclaw audit %s'?", s), "unknown audit subcommand %q", sub)
		}
		return hintf(e, `put the filter in --filter, quoted: safeclaw audit --filter "action:network"`, "unexpected argument %q", sub)
	}
	if *limit < 0 {
		return errorf(e, "--limit must not be negative")
	}
	f, err := sel.filter(e)
	if err != nil {
		return errorf(e, "%v", err)
	}
	f.Newest = *limit
	store, err := e.openAuditTrail()
	if err != nil {
		return errorf(e, "%v", err)
	}
	defer store.Close()
	n := 0
	err = store.Query(ctx, f, func(r *audit.Record) error {
		n++
		return printRecord(e.Stdout, r, *asJSON)
	})
	if err != nil {
		return errorf(e, "read audit trail: %v", err)
	}
	if n == 0 && !*asJSON {
		fmt.Fprintln(e.Stderr, "safeclaw: no matching audit records")
		if inner, ok := quotedFilter(sel.expr); ok {
			fmt.Fprintf(e.Stderr, "safeclaw: hint: the filter's own quotes make it free text; to select by key, pass %s without them (a shell removes quotes, a program that passes arguments itself must not add them)\n", inner)
		}
	}
	return exitOK
}

// quotedFilter reports whether expr is one quoted term whose inside is a
// filter of keys only, as in --filter '"action:network"': the brief's
// quotes kept by a program that runs safeclaw without a shell. Quoted, it
// is free text (by design: that is how text with a colon is searched), so
// it is not rewritten; the caller only explains an empty result.
func quotedFilter(expr string) (string, bool) {
	t := strings.TrimSpace(expr)
	if len(t) < 3 || t[0] != '"' || t[len(t)-1] != '"' {
		return "", false
	}
	inner := t[1 : len(t)-1]
	if strings.ContainsAny(inner, `"`) {
		return "", false
	}
	f, err := audit.ParseFilter(inner, time.Now())
	if err != nil || len(f.Text) > 0 {
		return "", false
	}
	return inner, true
}

// auditSelection holds the flags that select records.
type auditSelection struct {
	expr, since, until string
}

func (s *auditSelection) register(fs interface {
	StringVar(*string, string, string, string)
}) {
	fs.StringVar(&s.expr, "filter", "", `filter expression, e.g. "action:network decision:deny"`)
	fs.StringVar(&s.since, "since", "", "only records at or after this time or duration ago (30m, 2d, 2006-01-02)")
	fs.StringVar(&s.until, "until", "", "only records before this time or duration ago")
}

func (s *auditSelection) filter(e *Env) (*audit.Filter, error) {
	now := e.Now()
	f, err := audit.ParseFilter(s.expr, now)
	if err != nil {
		return nil, fmt.Errorf("--filter %q: %w", s.expr, err)
	}
	if s.since != "" {
		t, err := audit.ParseTime(s.since, now)
		if err != nil {
			return nil, fmt.Errorf("--since: %w", err)
		}
		if t.After(f.Since) {
			f.Since = t
		}
	}
	if s.until != "" {
		t, err := audit.ParseTime(s.until, now)
		if err != nil {
			return nil, fmt.Errorf("--until: %w", err)
		}
		if f.Until.IsZero() || t.Before(f.Until) {
			f.Until = t
		}
	}
	return f, nil
}

func printRecord(w io.Writer, r *audit.Record, asJSON bool) error {
	if asJSON {
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		_, err = w.Write(append(b, '\n'))
		return err
	}
	_, err := fmt.Fprintln(w, audit.FormatLine(r))
	return err
}

func runAuditVerify(ctx context.Context, e *Env, args []string) int {
	fs := newFlags(e, "audit verify", `Usage: safeclaw audit verify [--json]

Checks the whole audit trail: every record's link to the previous one, its
hash and its keyed seal, the sequence numbers, the head seal (which catches
records removed from the end), and the prune records that vouch for
segments removed by retention. Exit 0 intact, 1 tampered, 2 error.
`)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if code, ok := parseFlags(e, fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return errorf(e, "audit verify takes no arguments")
	}
	store, err := e.openAuditTrail()
	if err != nil {
		return errorf(e, "%v", err)
	}
	defer store.Close()
	rep, err := store.Verify(ctx)
	if err != nil {
		if errors.Is(err, audit.ErrNoKey) {
			return hintf(e, "the key is created with the trail; without it the seals cannot be checked", "%v", err)
		}
		return errorf(e, "%v", err)
	}
	if *asJSON {
		if err := writeJSON(e.Stdout, rep); err != nil {
			return errorf(e, "%v", err)
		}
	} else {
		printReport(e, rep)
	}
	if !rep.Intact {
		return exitFindings
	}
	return exitOK
}

func printReport(e *Env, rep *audit.Report) {
	w := e.Stdout
	if rep.Intact {
		switch {
		case rep.Records == 0:
			fmt.Fprintln(w, "audit trail intact: no records yet")
		default:
			fmt.Fprintf(w, "audit trail intact: %d records (seq %d-%d) in %d segment(s); head seal at seq %d\n",
				rep.Records, rep.FirstSeq, rep.LastSeq, rep.Segments, rep.HeadSeq)
		}
		if rep.Pruned > 0 {
			fmt.Fprintf(w, "records 1-%d were removed by retention, vouched for by a sealed prune record\n", rep.Pruned)
		}
	} else {
		p, _ := rep.FirstBad()
		fmt.Fprintf(w, "audit trail TAMPERED: first bad sequence number %d (%s): %s\n", p.Seq, p.Kind, p.Message)
		const show = 20
		for i, p := range rep.Problems {
			if i == show {
				fmt.Fprintf(w, "  ... and %d more\n", len(rep.Problems)-show)
				break
			}
			fmt.Fprintf(w, "  %s\n", p)
		}
		fmt.Fprintf(w, "checked %d records (seq %d-%d) in %d segment(s)\n", rep.Records, rep.FirstSeq, rep.LastSeq, rep.Segments)
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	if t := rep.Torn; t != nil {
		fmt.Fprintf(e.Stderr, "safeclaw: warning: %s ends with an incomplete line (%d bytes at offset %d) left by a crash; it was never acknowledged: run 'safeclaw audit repair' (the next append also removes it)\n",
			t.Segment, t.Bytes, t.Offset)
	}
}

func runAuditExport(ctx context.Context, e *Env, args []string) int {
	fs := newFlags(e, "audit export", `Usage: safeclaw audit export [--format jsonl|csv|otlp] [--filter EXPR] [--since ...] [--until ...]

Writes the matching records to stdout: JSON Lines (each record in its stored,
canonical, verifiable form), CSV (one row per record) or OTLP (OpenTelemetry
logs as OTLP/JSON, one export request per line, as a collector's
otlpjsonfile receiver reads them).
`)
	var sel auditSelection
	sel.register(fs)
	format := fs.String("format", audit.FormatJSONL, "jsonl, csv or otlp")
	if code, ok := parseFlags(e, fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return errorf(e, "audit export takes no arguments")
	}
	if *format != audit.FormatJSONL && *format != audit.FormatCSV && *format != audit.FormatOTLP {
		return errorf(e, "--format %q: want jsonl, csv or otlp", *format)
	}
	f, err := sel.filter(e)
	if err != nil {
		return errorf(e, "%v", err)
	}
	store, err := e.openAuditTrail()
	if err != nil {
		return errorf(e, "%v", err)
	}
	defer store.Close()
	if err := audit.Export(ctx, store, f, e.Stdout, *format); err != nil {
		return errorf(e, "export: %v", err)
	}
	return exitOK
}

// tailPoll is how often tail -f looks for new records.
const tailPoll = 500 * time.Millisecond

func runAuditTail(ctx context.Context, e *Env, args []string) int {
	fs := newFlags(e, "audit tail", `Usage: safeclaw audit tail [-n N] [-f] [--filter EXPR] [--json]

Prints the newest records; with -f keeps printing new ones as they are
appended, until interrupted.
`)
	var sel auditSelection
	sel.register(fs)
	n := fs.Int("n", 10, "how many of the newest matching records to print first")
	follow := fs.Bool("f", false, "keep printing records as they are appended")
	asJSON := fs.Bool("json", false, "print JSON Lines")
	if code, ok := parseFlags(e, fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return errorf(e, "audit tail takes no arguments")
	}
	if *n < 0 {
		return errorf(e, "-n must not be negative")
	}
	f, err := sel.filter(e)
	if err != nil {
		return errorf(e, "%v", err)
	}
	store, err := e.openAuditTrail()
	if err != nil {
		return errorf(e, "%v", err)
	}
	defer store.Close()
	last, err := newestSeq(ctx, store)
	if err != nil {
		return errorf(e, "read audit trail: %v", err)
	}
	print := func(r *audit.Record) error {
		last = max(last, r.Seq)
		return printRecord(e.Stdout, r, *asJSON)
	}
	if *n > 0 {
		first := *f
		first.Newest = *n
		if err := store.Query(ctx, &first, print); err != nil {
			return errorf(e, "read audit trail: %v", err)
		}
	}
	if !*follow {
		return exitOK
	}
	tick := time.NewTicker(tailPoll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return exitOK
		case <-tick.C:
		}
		cur, err := newestSeq(ctx, store)
		if err != nil {
			if ctx.Err() != nil {
				return exitOK
			}
			return errorf(e, "read audit trail: %v", err)
		}
		if cur <= last {
			continue
		}
		next := *f
		next.AfterSeq = last
		if err := store.Query(ctx, &next, print); err != nil {
			if ctx.Err() != nil {
				return exitOK
			}
			return errorf(e, "read audit trail: %v", err)
		}
		last = max(last, cur)
	}
}

// newestSeq returns the sequence number of the newest record (0 when none).
func newestSeq(ctx context.Context, s audit.Store) (uint64, error) {
	var seq uint64
	err := s.Query(ctx, &audit.Filter{Newest: 1}, func(r *audit.Record) error {
		seq = r.Seq
		return nil
	})
	return seq, err
}

func runAuditRepair(ctx context.Context, e *Env, args []string) int {
	fs := newFlags(e, "audit repair", `Usage: safeclaw audit repair

Removes an incomplete last line that a process killed in the middle of a
write left behind. Such a line was never acknowledged, so nothing is lost.
repair changes nothing else; a trail that verify reports as tampered stays
as it is, as evidence.
`)
	if code, ok := parseFlags(e, fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return errorf(e, "audit repair takes no arguments")
	}
	store, err := e.openAuditTrail()
	if err != nil {
		return errorf(e, "%v", err)
	}
	defer store.Close()
	fileStore, ok := store.(*audit.FileStore)
	if !ok {
		return errorf(e, "audit repair: the trail is in PostgreSQL, where appends are transactions and no record can be torn")
	}
	torn, err := fileStore.Repair(ctx)
	if errors.Is(err, audit.ErrTampered) {
		fmt.Fprintf(e.Stderr, "safeclaw: error: %v\n", err)
		return exitFindings
	}
	if err != nil {
		return errorf(e, "%v", err)
	}
	if torn == nil {
		fmt.Fprintln(e.Stdout, "nothing to repair: the trail ends with a complete record")
		return exitOK
	}
	fmt.Fprintf(e.Stdout, "removed the incomplete last line of %s (%d bytes at offset %d)\n", torn.Segment, torn.Bytes, torn.Offset)
	return exitOK
}
