package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/safeclaw/safeclaw/audit"
	"github.com/safeclaw/safeclaw/pgstore"
)

const storeUsage = `Usage:
  safeclaw store status [--url URL] [--schema NAME] [--json]
  safeclaw store migrate [--url URL] [--schema NAME] [--json]
  safeclaw store prune [--older-than AGE] [--url URL] [--schema NAME] [--json]
                    (default AGE: config.yaml's audit.retention; run it daily from cron)

Manages the shared PostgreSQL store (config.yaml "store: postgres://...", or
SAFECLAW_STORE) that holds the approvals and the audit trail of a fleet.

status prints the schema version of the database and the migrations this
safeclaw would apply; it exits 1 when migrations are pending or the database
is newer than this safeclaw. migrate applies the pending migrations (run it
once, with a role that may create tables, before the agent hosts connect);
it refuses a database migrated by a newer safeclaw; it also creates the
audit trail's monthly partitions for the next months.

prune applies audit retention: it drops every monthly partition of the
audit trail whose month ended more than AGE ago (90d, 12w, 2160h), after
appending to each affected stream a prune record sealed with the local
audit key, so that 'safeclaw audit verify' accepts the stream's new start.
Run it as the schema owner (it drops tables), e.g. daily from cron.

Examples:
  safeclaw store status
  SAFECLAW_STORE=postgres://admin@db.internal/safeclaw safeclaw store migrate
  safeclaw store prune --older-than 90d
`

// storeURL is the configured store: SAFECLAW_STORE, else config's store.
func (e *Env) storeURL(cfgStore string) string {
	if u := e.Getenv("SAFECLAW_STORE"); u != "" {
		return u
	}
	return cfgStore
}

// isPostgresURL reports whether a store URL names PostgreSQL.
func isPostgresURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// pgSchema is the schema named by the URL's "schema" query parameter
// (removed from the URL, which PostgreSQL would reject), else "safeclaw".
func pgSchema(raw string) (string, string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", fmt.Errorf("store URL: %w", err)
	}
	q := u.Query()
	schema := q.Get("schema")
	q.Del("schema")
	u.RawQuery = q.Encode()
	return u.String(), schema, nil
}

// auditStream names this machine's audit chain: SAFECLAW_STREAM, else
// host/user, so that machines never contend for one chain.
func (e *Env) auditStream() string {
	if s := e.Getenv("SAFECLAW_STREAM"); s != "" {
		return s
	}
	host, _ := os.Hostname()
	return host + "/" + e.whoami()
}

// auditSpoolDir holds the audit records written while PostgreSQL is
// unreachable, until they are shipped.
func (e *Env) auditSpoolDir() string { return filepath.Join(e.StateDir, "audit-spool") }

// openPGDB opens a pool on the store at rawURL (its ?schema= selects the
// PostgreSQL schema). The caller closes it; stores made from it keep their
// own reference.
func (e *Env) openPGDB(ctx context.Context, rawURL string) (*pgstore.DB, error) {
	u, schema, err := pgSchema(rawURL)
	if err != nil {
		return nil, err
	}
	return pgstore.Open(ctx, u, pgstore.Options{Schema: schema, Now: e.Now})
}

// pgAuditKey loads (creating it on first use) the local audit key.
func (e *Env) pgAuditKey() (*audit.Key, error) {
	if err := os.MkdirAll(e.KeyDir(), 0o700); err != nil {
		return nil, err
	}
	key, err := audit.LoadOrCreateKey(e.auditKeyFile())
	if err != nil {
		return nil, err
	}
	return &key, nil
}

// openPGAudit opens this machine's audit stream on db, spooling to the
// state directory while PostgreSQL is unreachable.
func (e *Env) openPGAudit(ctx context.Context, db *pgstore.DB) (*pgstore.Spooled, error) {
	key, err := e.pgAuditKey()
	if err != nil {
		return nil, err
	}
	trail, err := db.Audit(ctx, pgstore.AuditOptions{Stream: e.auditStream(), Key: key})
	if err != nil {
		return nil, err
	}
	spool, err := audit.OpenFile(e.auditSpoolDir(), audit.FileOptions{KeyFile: e.auditKeyFile(), Durable: true, Now: e.Now})
	if err != nil {
		trail.Close()
		return nil, err
	}
	return pgstore.NewSpooled(trail, spool, pgstore.SpoolOptions{Now: e.Now}), nil
}

// openPGAuditReader opens every stream of the PostgreSQL trail for
// `safeclaw audit` (query, verify, export): Query reads all streams.
func (e *Env) openPGAuditReader(ctx context.Context, rawURL string) (*pgstore.Audit, error) {
	key, err := e.pgAuditKey()
	if err != nil {
		return nil, err
	}
	db, err := e.openPGDB(ctx, rawURL)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return db.Audit(ctx, pgstore.AuditOptions{Key: key, AllStreams: true})
}

// openPGStores opens the PostgreSQL audit trail (this machine's stream,
// sealed with the local audit key, spooling to the state directory while
// PostgreSQL is unreachable) and approval store at rawURL. Both share one
// connection pool; close both.
func (e *Env) openPGStores(ctx context.Context, rawURL string) (*pgstore.Spooled, *pgstore.Approvals, error) {
	db, err := e.openPGDB(ctx, rawURL)
	if err != nil {
		return nil, nil, err
	}
	defer db.Close() // the stores keep their own references
	trail, err := e.openPGAudit(ctx, db)
	if err != nil {
		return nil, nil, err
	}
	appr, err := db.Approvals(ctx)
	if err != nil {
		trail.Close()
		return nil, nil, err
	}
	return trail, appr, nil
}

// runStore implements `safeclaw store`.
func runStore(ctx context.Context, e *Env, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(e.Stderr, storeUsage)
		return exitUsage
	}
	sub := args[0]
	if sub == "-h" || sub == "--help" || sub == "help" {
		fmt.Fprint(e.Stdout, storeUsage)
		return exitOK
	}
	if sub != "status" && sub != "migrate" && sub != "prune" {
		if s := closest(sub, []string{"status", "migrate", "prune"}); s != "" {
			return hintf(e, fmt.Sprintf("did you mean 'safeclaw store %s'?", s), "unknown store subcommand %q", sub)
		}
		return hintf(e, "see 'safeclaw store --help'", "unknown store subcommand %q", sub)
	}
	fs := newFlags(e, "store "+sub, storeUsage)
	rawURL := fs.String("url", "", "the store URL (default: SAFECLAW_STORE, else config.yaml's store)")
	schemaFlag := fs.String("schema", "", `the PostgreSQL schema (default: the URL's ?schema=, else "safeclaw")`)
	asJSON := fs.Bool("json", false, "print the status as JSON")
	olderThan := fs.String("older-than", "", "prune: drop audit partitions whose month ended longer ago than this (90d, 12w, 2160h)")
	if code, ok := parseFlags(e, fs, args[1:]); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return errorf(e, "unexpected argument %q", fs.Arg(0))
	}
	var retain time.Duration
	if sub == "prune" && *olderThan == "" {
		// The retention setting: config.yaml's audit.retention.
		cfg, err := e.loadConfig()
		if err != nil {
			return errorf(e, "%v", err)
		}
		if cfg.Audit.Retention <= 0 {
			return hintf(e, "give --older-than AGE, or set audit.retention in config.yaml", "store prune: no retention set")
		}
		retain = cfg.Audit.Retention
	} else if sub == "prune" {
		d, err := parseAge(*olderThan)
		if err != nil {
			return hintf(e, "write an age such as 90d, 12w or 2160h", "store prune --older-than: %v", err)
		}
		retain = d
	} else if *olderThan != "" {
		return hintf(e, "--older-than belongs to 'safeclaw store prune'", "store %s: unexpected --older-than", sub)
	}
	target := *rawURL
	if target == "" {
		cfg, err := e.loadConfig()
		if err != nil {
			return errorf(e, "%v", err)
		}
		target = e.storeURL(cfg.Store)
	}
	if target == "" {
		return hintf(e, `set "store: postgres://user@host/db" in config.yaml, or SAFECLAW_STORE`, "no store configured: the embedded store needs no migrations")
	}
	if !isPostgresURL(target) {
		return errorf(e, "store %q is the embedded store: it migrates itself", redactStoreURL(target))
	}
	u, schema, err := pgSchema(target)
	if err != nil {
		return errorf(e, "%v", err)
	}
	if *schemaFlag != "" {
		schema = *schemaFlag
	}
	db, err := pgstore.Open(ctx, u, pgstore.Options{Schema: schema})
	if err != nil {
		return errorf(e, "%v", err)
	}
	defer db.Close()
	if sub == "prune" {
		return runStorePrune(ctx, e, db, retain, *asJSON)
	}
	var applied []int
	if sub == "migrate" {
		if applied, err = db.Migrate(ctx); err != nil {
			return errorf(e, "%v", err)
		}
		if _, err := db.EnsurePartitions(ctx, 3); err != nil {
			return errorf(e, "%v", err)
		}
	}
	st, err := db.Status(ctx)
	if err != nil {
		return errorf(e, "%v", err)
	}
	if *asJSON {
		out := struct {
			*pgstore.Status
			URL         string `json:"url"`
			JustApplied []int  `json:"just_applied,omitempty"`
		}{st, redactStoreURL(target), applied}
		b, _ := json.MarshalIndent(out, "", "  ")
		fmt.Fprintln(e.Stdout, string(b))
	} else {
		fmt.Fprintf(e.Stdout, "store:   %s (schema %s)\n", redactStoreURL(target), st.Schema)
		fmt.Fprintf(e.Stdout, "version: %d (this safeclaw knows %d)\n", st.Version, st.Known)
		for _, v := range applied {
			fmt.Fprintf(e.Stdout, "applied: migration %04d\n", v)
		}
		for _, p := range st.Pending {
			fmt.Fprintf(e.Stdout, "pending: %s\n", p)
		}
	}
	switch {
	case st.Newer():
		fmt.Fprintf(e.Stderr, "safeclaw: the database schema (%d) is newer than this safeclaw knows (%d): it will refuse to write; upgrade safeclaw\n", st.Version, st.Known)
		return exitFindings
	case len(st.Pending) > 0:
		fmt.Fprintln(e.Stderr, "safeclaw: migrations are pending: run 'safeclaw store migrate'")
		return exitFindings
	}
	return exitOK
}

// redactStoreURL hides the password of a store URL.
func redactStoreURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// runStorePrune implements `safeclaw store prune`.
func runStorePrune(ctx context.Context, e *Env, db *pgstore.DB, retain time.Duration, asJSON bool) int {
	key, err := e.pgAuditKey()
	if err != nil {
		return errorf(e, "%v", err)
	}
	before := e.Now().Add(-retain)
	res, err := db.Prune(ctx, key, before)
	if err != nil {
		return errorf(e, "%v", err)
	}
	if _, err := db.EnsurePartitions(ctx, 3); err != nil {
		return errorf(e, "%v", err)
	}
	if asJSON {
		b, _ := json.MarshalIndent(res, "", "  ")
		fmt.Fprintln(e.Stdout, string(b))
		return exitOK
	}
	if len(res.Partitions) == 0 {
		fmt.Fprintf(e.Stdout, "nothing to prune: no audit partition ended before %s\n", before.UTC().Format(time.DateOnly))
		return exitOK
	}
	for _, p := range res.Partitions {
		fmt.Fprintf(e.Stdout, "dropped:  %s\n", p)
	}
	for _, s := range res.Streams {
		fmt.Fprintf(e.Stdout, "stream:   %s: %d record(s) through seq %d removed, prune record seq %d\n", s.Stream, s.Records, s.LastSeq, s.PruneSeq)
	}
	return exitOK
}

// parseAge reads a retention age: Nd, Nw or a Go duration, positive.
func parseAge(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("missing")
	}
	unit := time.Duration(0)
	switch {
	case strings.HasSuffix(s, "d"):
		unit = 24 * time.Hour
	case strings.HasSuffix(s, "w"):
		unit = 7 * 24 * time.Hour
	}
	if unit != 0 {
		n, err := strconv.Atoi(s[:len(s)-1])
		if err != nil || n <= 0 || n > 100000 {
			return 0, fmt.Errorf("bad age %q", s)
		}
		return time.Duration(n) * unit, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("bad age %q", s)
	}
	return d, nil
}
