package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/audit"
	"github.com/safeclaw/safeclaw/config"
	"github.com/safeclaw/safeclaw/gate"
	"github.com/safeclaw/safeclaw/pgstore"
	"github.com/safeclaw/safeclaw/sandbox"
)

// loadConfig reads config.yaml beside the user policy; absent means defaults.
func (e *Env) loadConfig() (*config.Config, error) {
	// config.Load refuses a FIFO or device without waiting on it: a hook
	// held on one until the agent gives up would let Codex and Gemini run
	// the tool.
	cfg, err := config.Load(filepath.Join(e.ConfigDir, "config.yaml"))
	if err != nil {
		return nil, err
	}
	// The variable overrides config's store: held to the same rules, so a
	// misspelt URL is an error, not a silent local store.
	if u := e.Getenv("SAFECLAW_STORE"); u != "" {
		if err := config.CheckStore(u); err != nil {
			return nil, fmt.Errorf("SAFECLAW_STORE: %w", err)
		}
	}
	return cfg, nil
}

// gateHandle is a deciding surface's gate with what else the surface may
// need: the approvals (for hooks that file a request and answer later) and
// the audit trail.
type gateHandle struct {
	decide action.DecideFunc
	// decideIfAllowed is the gate's DecideIfAllowed (nil for a gate that
	// asks the run supervisor).
	decideIfAllowed func(ctx context.Context, req *action.Request) (action.Decision, bool, error)
	approvals       *approvals
	store           audit.Store
	// ps is the policy the gate decides with (nil for a gate that asks the
	// run supervisor).
	ps *policySet
}

// close closes the approvals and seals the audit trail.
func (h *gateHandle) close() error {
	var aerr error
	if h.approvals != nil {
		aerr = h.approvals.Close()
	}
	if h.store != nil {
		if err := h.store.Close(); err != nil {
			return err
		}
	}
	return aerr
}

// openGate builds the gate for a deciding surface (hook, mcp, api, run):
// policy layers, config, audit trail, approvals. Closing the handle flushes
// and seals the audit trail. Any error means the surface must deny.
func (e *Env) openGate(_ context.Context, surface, agent string, policies ...string) (*gateHandle, error) {
	// Under safeclaw run, safeclaw's own files are hidden from everything
	// the agent starts, hooks included: they ask the run supervisor, which
	// holds the gate. Only a process the kernel really supervises may: an
	// environment variable alone must not redirect decisions.
	if decide, ok := e.runSocketDecider(surface, agent); ok {
		if !sandbox.Supervised() {
			return nil, fmt.Errorf("%s is set but this process is not under safeclaw run; refusing to ask that socket", envRunSocket)
		}
		return &gateHandle{decide: decide}, nil
	}
	ps, err := e.loadPolicies(policies)
	if err != nil {
		return nil, err
	}
	cfg, err := e.loadConfig()
	if err != nil {
		return nil, err
	}
	store, err := e.openAudit(cfg)
	if err != nil {
		return nil, fmt.Errorf("open audit trail: %w", err)
	}
	if fs, ok := store.(*audit.FileStore); ok && surface == "api" {
		// serve decides for many clients at once: their records are written
		// and synced together, each still acknowledged before its answer.
		store = newGroupCommit(fs)
	}
	mode := string(cfg.Mode)
	if mode == "" {
		mode = "enforce"
	}
	// Approvals open their store only when a rule actually asks.
	apps := e.lazyApprovals(store)
	decidePolicy := ps.decide
	if surface == "api" {
		// serve decides for clients working in many projects: each request
		// by the policy of its own directory.
		decidePolicy = newCwdPolicies(e, policies, ps).decide
	}
	g := gate.New(gate.Config{
		Policy:          decidePolicy,
		Recorder:        &auditRecorder{store: store, mode: mode},
		AllowUnrecorded: cfg.Audit.OnFailure == config.OnFailureAllowWarn,
		Warn:            func(msg string) { fmt.Fprintln(e.Stderr, msg) },
		Approve:         apps.Approve,
		Shadow:          mode == string(config.Shadow),
		Now:             e.Now,
	})
	defaults := func(req *action.Request) {
		if req.Surface == "" {
			req.Surface = surface
		}
		if req.Agent == "" {
			req.Agent = agent
		}
	}
	decide := func(ctx context.Context, req *action.Request) (action.Decision, error) {
		defaults(req)
		return g.Decide(ctx, req)
	}
	decideIfAllowed := func(ctx context.Context, req *action.Request) (action.Decision, bool, error) {
		defaults(req)
		return g.DecideIfAllowed(ctx, req)
	}
	return &gateHandle{decide: decide, decideIfAllowed: decideIfAllowed, approvals: apps, store: store, ps: ps}, nil
}

// auditRecorder adapts the audit store to the gate's Recorder seam.
type auditRecorder struct {
	store audit.Store
	mode  string
}

func (r *auditRecorder) Record(ctx context.Context, en *gate.Entry) error {
	_, err := r.store.Append(ctx, auditRecord(en, r.mode))
	return err
}

// auditRecord turns a gate entry into the audit trail's record.
func auditRecord(en *gate.Entry, mode string) *audit.Record {
	req, d := en.Request, en.Decision
	rec := &audit.Record{
		Type:       audit.TypeDecision,
		Time:       req.Time,
		Surface:    req.Surface,
		Agent:      req.Agent,
		Session:    req.Session,
		Cwd:        req.Cwd,
		Request:    req.Input,
		Decision:   d.Effect.String(),
		Reason:     d.Reason,
		PolicyHash: d.PolicyHash,
		LatencyUS:  en.Latency.Microseconds(),
		Mode:       mode,
		Notes:      d.Notes,
	}
	rec.Actions = auditFacets(req)
	if d.Rule != nil {
		rec.Rule = &audit.Rule{Name: d.Rule.Name, Reason: d.Rule.Reason, Source: d.Rule.Source, Layer: d.Rule.Layer, Builtin: d.Rule.Builtin}
	}
	if ap := en.Approval; ap != nil {
		rec.Approval = &audit.Approval{ID: ap.ID, Outcome: ap.Outcome, Approver: ap.Approver, Channel: ap.Channel,
			Scope: ap.Scope, Note: ap.Reason, WaitUS: ap.Waited.Microseconds()}
	}
	return rec
}

// auditKeyFile is the audit key's path: in the private key directory,
// outside the log.
func (e *Env) auditKeyFile() string { return filepath.Join(e.KeyDir(), "audit.key") }

// auditDir is the audit trail's directory: config audit.path, else the state directory's.
func (e *Env) auditDir(cfg *config.Config) string {
	if cfg != nil && cfg.Audit.Path != "" {
		p := cfg.Audit.Path
		if strings.HasPrefix(p, "~/") {
			p = filepath.Join(e.Home, p[2:])
		}
		return p
	}
	return e.AuditDir()
}

// openAudit opens the audit trail the config names: the file trail in the
// state directory, or this machine's stream of a PostgreSQL store (spooling
// to the state directory while PostgreSQL is unreachable).
func (e *Env) openAudit(cfg *config.Config) (audit.Store, error) {
	if u := e.storeURL(cfg.Store); isPostgresURL(u) {
		store, err := e.openPGAuditStore(u)
		if err == nil || !pgstore.Unreachable(err) {
			return store, err
		}
		// PostgreSQL is down: decide locally and write to the spool, which
		// the next process that reaches PostgreSQL ships, in order.
		fmt.Fprintf(e.Stderr, "safeclaw: warning: audit store unreachable (%v); recording to the local spool %s\n", err, e.auditSpoolDir())
		if err := os.MkdirAll(e.KeyDir(), 0o700); err != nil {
			return nil, err
		}
		return audit.OpenFile(e.auditSpoolDir(), audit.FileOptions{KeyFile: e.auditKeyFile(), Durable: true, Now: e.Now})
	}
	if err := os.MkdirAll(e.KeyDir(), 0o700); err != nil {
		return nil, err
	}
	opts := audit.FileOptions{
		KeyFile:   e.auditKeyFile(),
		Durable:   cfg.Audit.Durability != config.DurabilityNone,
		RetainAge: cfg.Audit.Retention,
		Now:       e.Now,
	}
	if cfg.Audit.RotateSize > 0 {
		opts.MaxSegmentBytes = cfg.Audit.RotateSize
	}
	return audit.OpenFile(e.auditDir(cfg), opts)
}

// openPGAuditStore opens this machine's stream of the PostgreSQL trail at u.
func (e *Env) openPGAuditStore(u string) (audit.Store, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	db, err := e.openPGDB(ctx, u)
	if err != nil {
		return nil, err
	}
	defer db.Close() // the store keeps its own reference
	return e.openPGAudit(ctx, db)
}

// initState creates the private state directory and the audit key.
func (e *Env) initState() error {
	for _, d := range []string{e.StateDir, e.KeyDir()} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	// A key is created only for a trail that holds nothing yet: a trail
	// whose key went missing stays verifiable once it is put back.
	dir := e.AuditDir()
	if cfg, err := e.loadConfig(); err == nil {
		dir = e.auditDir(cfg)
	}
	_, err := audit.LoadOrCreateTrailKey(e.auditKeyFile(), dir)
	return err
}

// auditFacets are req's facets as the audit trail records them.
func auditFacets(req *action.Request) []audit.Facet {
	var out []audit.Facet
	for i, p := range req.Parts {
		for _, a := range p.Facets {
			out = append(out, audit.Facet{
				Kind: string(a.Kind), Part: i, Command: a.Command, Program: a.Program, Port: a.Port,
				Host: a.Host, Path: a.Path, URL: a.URL, Tool: a.Tool, Server: a.Server, Args: a.Args,
				Remote: a.Remote, Background: a.Background, Detail: a.Detail,
			})
		}
	}
	return out
}
