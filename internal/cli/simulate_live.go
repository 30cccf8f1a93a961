package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/safeclaw/safeclaw/audit"
)

// simulateLivePoll is how often the live view reads the audit trail.
const simulateLivePoll = 200 * time.Millisecond

// simulateLive is `safeclaw --simulate` on a terminal with nothing piped
// in: it prints every decision recorded in the audit trail from now on, by
// any surface (hooks, serve, mcp, run), in the brief's format
//
//	[DENIED] shell.execute: "python -m http.server 8080"
//	  Rule: "Block Python HTTP server"
//
// until interrupted, then a count per decision. With mode: shadow in
// config.yaml the tag is what would have happened; the agent was let
// through.
func (e *Env) simulateLive(ctx context.Context) int {
	cfg, err := e.loadConfig()
	if err != nil {
		return errorf(e, "%v", err)
	}
	dir := e.auditDir(cfg)
	store, err := audit.OpenFile(dir, audit.FileOptions{KeyFile: e.auditKeyFile()})
	if err != nil {
		return errorf(e, "simulate: %v", err)
	}
	defer store.Close()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	// Only what is decided from now on.
	last, err := newestSeq(ctx, store)
	if err != nil {
		return errorf(e, "simulate: reading the audit trail: %v", err)
	}
	fmt.Fprintf(e.Stderr, "safeclaw: showing decisions as agents make them (audit trail %s); Ctrl-C to stop\n", dir)
	if cfg.Mode == "shadow" {
		fmt.Fprintln(e.Stderr, "safeclaw: shadow mode: nothing is blocked; each line says what would have happened")
	}

	counts := map[string]int{}
	tick := time.NewTicker(simulateLivePoll)
	defer tick.Stop()
	for {
		got := 0
		err := store.Query(ctx, &audit.Filter{AfterSeq: last}, func(r *audit.Record) error {
			last = r.Seq
			got++
			if r.Type != audit.TypeDecision && r.Type != "" {
				return nil
			}
			counts[r.Decision]++
			_, err := fmt.Fprint(e.Stdout, liveLine(r))
			return err
		})
		if err != nil && ctx.Err() == nil {
			fmt.Fprintf(e.Stderr, "safeclaw: warning: reading the audit trail: %v\n", err)
		}
		if got == 0 && last > 0 {
			// A trail moved aside and started anew has smaller numbers.
			if n, err := newestSeq(ctx, store); err == nil && n < last {
				last = 0
			}
		}
		select {
		case <-ctx.Done():
			fmt.Fprintf(e.Stderr, "\n%s: %d denied, %d need approval, %d allowed\n",
				plural(counts[audit.Deny]+counts[audit.Ask]+counts[audit.Allow], "decision"), counts[audit.Deny], counts[audit.Ask], counts[audit.Allow])
			return exitOK
		case <-tick.C:
		}
	}
}

// liveLine renders one decision record like simulate's report.
func liveLine(r *audit.Record) string {
	kind := "request"
	if len(r.Actions) > 0 {
		kind = r.Actions[0].Kind
	}
	rule := "default"
	if r.Rule != nil {
		switch {
		case r.Rule.Name != "":
			rule = r.Rule.Name
		case r.Rule.Reason != "":
			rule = r.Rule.Reason
		}
	}
	tag := "[DENIED]"
	switch r.Decision {
	case audit.Allow:
		tag = "[ALLOWED]"
	case audit.Ask:
		tag = "[APPROVAL]"
	}
	return fmt.Sprintf("%s %s: %q\n  Rule: %q\n", tag, kind, r.Request, rule)
}
