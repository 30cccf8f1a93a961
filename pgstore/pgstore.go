package pgstore

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// ErrSchemaNewer is returned when the database was migrated by a newer
// safeclaw: this one refuses to read or write it rather than misread it.
var ErrSchemaNewer = errors.New("database schema is newer than this safeclaw knows; upgrade safeclaw")

// ErrSchemaOld is returned when migrations are pending.
var ErrSchemaOld = errors.New("database schema is out of date; run `safeclaw store migrate`")

// Options configure [Open].
type Options struct {
	// Schema is the PostgreSQL schema holding safeclaw's tables ("" means
	// "safeclaw"). Several independent installations can share a database
	// with different schemas.
	Schema string
	// MaxConns bounds the connection pool (0: 8).
	MaxConns int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// DB is a connection pool to one safeclaw schema. The stores made from it
// ([DB.Audit], [DB.Approvals]) share it; it closes when [DB.Close] and every
// store's Close have been called.
type DB struct {
	pool   *pgxpool.Pool
	cfg    *pgxpool.Config
	schema string
	now    func() time.Time

	mu   sync.Mutex
	refs int
}

// schemaName is compiled on first use: package init is on every hook's path.
var schemaName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z_][a-z0-9_]{0,40}$`) })

// Open connects to the database at url (postgres://user@host/db?...). It
// does not migrate or check the schema; see [DB.Migrate] and [DB.Check].
func Open(ctx context.Context, url string, o Options) (*DB, error) {
	if o.Schema == "" {
		o.Schema = "safeclaw"
	}
	if !schemaName().MatchString(o.Schema) {
		return nil, fmt.Errorf("postgres store: schema name %q: want lower-case letters, digits and _", o.Schema)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres store: %s", redactURLError(err))
	}
	cfg.MaxConns = 8
	if o.MaxConns > 0 {
		cfg.MaxConns = int32(o.MaxConns)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = o.Schema
	if cfg.ConnConfig.RuntimeParams["application_name"] == "" {
		cfg.ConnConfig.RuntimeParams["application_name"] = "safeclaw"
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres store: %w", err)
	}
	return &DB{pool: pool, cfg: cfg, schema: o.Schema, now: o.Now, refs: 1}, nil
}

// redactURLError keeps a password in a malformed URL out of messages.
func redactURLError(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, "://"); i >= 0 {
		if j := strings.Index(msg[i:], "@"); j >= 0 {
			msg = msg[:i+3] + "***" + msg[i+j:]
		}
	}
	return msg
}

// Schema is the PostgreSQL schema the DB uses.
func (d *DB) Schema() string { return d.schema }

func (d *DB) acquire() {
	d.mu.Lock()
	d.refs++
	d.mu.Unlock()
}

// Close releases the caller's reference; the pool closes with the last one.
func (d *DB) Close() error {
	d.mu.Lock()
	d.refs--
	last := d.refs == 0
	d.mu.Unlock()
	if last {
		d.pool.Close()
	}
	return nil
}

// Ping checks that the database answers.
func (d *DB) Ping(ctx context.Context) error { return d.pool.Ping(ctx) }

// ApproveGuardOn reports whether the approve guard is on: the
// safeclaw_reviewer role exists, so only its members (and superusers) can
// move a request to approved. Without it any role that can update requests,
// an agent host's included, can approve its own.
func (d *DB) ApproveGuardOn(ctx context.Context) (bool, error) {
	var on bool
	err := d.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'safeclaw_reviewer')`).Scan(&on)
	return on, err
}

// migration is one embedded schema step.
type migration struct {
	Version int
	Name    string
	SQL     string
}

func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []migration
	for i, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "migrations/"), ".sql")
		num, label, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v != i+1 {
			return nil, fmt.Errorf("migration file %s: want NNNN_name.sql numbered from 1 without gaps", n)
		}
		data, err := migrationFiles.ReadFile(n)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{Version: v, Name: label, SQL: string(data)})
	}
	return out, nil
}

// KnownVersion is the newest schema version this build knows.
func KnownVersion() int {
	ms, err := migrations()
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].Version
}

// Applied is one migration recorded in the database.
type Applied struct {
	Version int       `json:"version"`
	Name    string    `json:"name"`
	Time    time.Time `json:"time"`
}

// Status describes the schema of a database.
type Status struct {
	Schema  string    `json:"schema"`
	Version int       `json:"version"` // 0: not initialised
	Known   int       `json:"known"`   // what this build knows
	Applied []Applied `json:"applied,omitempty"`
	Pending []string  `json:"pending,omitempty"` // NNNN_name of migrations to apply
}

// Newer reports whether the database is ahead of this build.
func (s *Status) Newer() bool { return s.Version > s.Known }

const versionTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version integer PRIMARY KEY,
	name    text NOT NULL,
	applied timestamptz NOT NULL DEFAULT now()
)`

// Status reads the schema version of the database.
func (d *DB) Status(ctx context.Context) (*Status, error) {
	ms, err := migrations()
	if err != nil {
		return nil, err
	}
	st := &Status{Schema: d.schema, Known: len(ms)}
	var exists bool
	if err := d.pool.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, d.schema+".schema_migrations").Scan(&exists); err != nil {
		return nil, fmt.Errorf("postgres store: %w", err)
	}
	if exists {
		rows, err := d.pool.Query(ctx, `SELECT version, name, applied FROM schema_migrations ORDER BY version`)
		if err != nil {
			return nil, fmt.Errorf("postgres store: %w", err)
		}
		for rows.Next() {
			var a Applied
			if err := rows.Scan(&a.Version, &a.Name, &a.Time); err != nil {
				rows.Close()
				return nil, fmt.Errorf("postgres store: %w", err)
			}
			st.Applied = append(st.Applied, a)
			st.Version = max(st.Version, a.Version)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("postgres store: %w", err)
		}
	}
	for _, m := range ms {
		if m.Version > st.Version {
			st.Pending = append(st.Pending, fmt.Sprintf("%04d_%s", m.Version, m.Name))
		}
	}
	return st, nil
}

// Check returns nil when the schema is exactly the one this build knows,
// [ErrSchemaNewer] or [ErrSchemaOld] (wrapped, with the versions) otherwise.
func (d *DB) Check(ctx context.Context) error {
	st, err := d.Status(ctx)
	if err != nil {
		return err
	}
	switch {
	case st.Version > st.Known:
		return fmt.Errorf("postgres store: schema %s is at version %d, this safeclaw knows %d: %w", d.schema, st.Version, st.Known, ErrSchemaNewer)
	case st.Version < st.Known:
		return fmt.Errorf("postgres store: schema %s is at version %d, this safeclaw needs %d: %w", d.schema, st.Version, st.Known, ErrSchemaOld)
	}
	return nil
}

// Migrate applies the pending migrations, each in its own transaction,
// under an advisory lock so that concurrent migrations run once. It returns
// the versions it applied, and refuses a database newer than this build.
func (d *DB) Migrate(ctx context.Context) ([]int, error) {
	ms, err := migrations()
	if err != nil {
		return nil, err
	}
	conn, err := d.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("postgres store: %w", err)
	}
	defer conn.Release()
	lock := "safeclaw migrate " + d.schema
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(hashtextextended($1, 0))`, lock); err != nil {
		return nil, fmt.Errorf("postgres store: migrate: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(hashtextextended($1, 0))`, lock)
	if _, err := conn.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{d.schema}.Sanitize()); err != nil {
		return nil, fmt.Errorf("postgres store: migrate: %w", err)
	}
	if _, err := conn.Exec(ctx, versionTable); err != nil {
		return nil, fmt.Errorf("postgres store: migrate: %w", err)
	}
	var cur int
	if err := conn.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&cur); err != nil {
		return nil, fmt.Errorf("postgres store: migrate: %w", err)
	}
	if cur > len(ms) {
		return nil, fmt.Errorf("postgres store: schema %s is at version %d, this safeclaw knows %d: %w", d.schema, cur, len(ms), ErrSchemaNewer)
	}
	var applied []int
	for _, m := range ms[cur:] {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name)
			return err
		})
		if err != nil {
			return applied, fmt.Errorf("postgres store: migration %04d_%s: %w", m.Version, m.Name, err)
		}
		applied = append(applied, m.Version)
	}
	return applied, nil
}
