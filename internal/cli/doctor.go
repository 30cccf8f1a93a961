package cli

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/safeclaw/safeclaw/audit"
	"github.com/safeclaw/safeclaw/hook"
	"github.com/safeclaw/safeclaw/pgstore"
	"github.com/safeclaw/safeclaw/policy"
)

const doctorUsage = `Usage: safeclaw doctor [--policy F]...

Checks that safeclaw can decide: the policy layers and config.yaml load, the
state directory and keys are private, the audit trail verifies, and which
agents have safeclaw's hooks installed. Exit 0 when everything is in order,
1 when something needs attention (each problem is printed with a fix).
`

func runDoctor(ctx context.Context, e *Env, args []string) int {
	fs := newFlags(e, "doctor", doctorUsage)
	var policies stringList
	fs.Var(&policies, "policy", "policy `file` or directory (repeatable)")
	if code, ok := parseFlags(e, fs, args); !ok {
		return code
	}
	problems := 0
	ok := func(format string, a ...any) { fmt.Fprintf(e.Stdout, "ok    "+format+"\n", a...) }
	bad := func(fix string, format string, a ...any) {
		problems++
		fmt.Fprintf(e.Stdout, "FAIL  "+format+"\n", a...)
		if fix != "" {
			fmt.Fprintf(e.Stdout, "      fix: %s\n", fix)
		}
	}
	warn := func(format string, a ...any) { fmt.Fprintf(e.Stdout, "note  "+format+"\n", a...) }

	ok("config directory %s, state directory %s", e.ConfigDir, e.StateDir)
	if ps, err := e.loadPolicies(policies); err != nil {
		bad("correct the policy, then run 'safeclaw policy validate'", "policy: %v", err)
	} else {
		for _, l := range ps.layers {
			ok("%s layer: %s (%d rules, %s)", l.Name, strings.Join(ps.files[l.Name], ", "), len(l.Policy.Rules()), l.Policy.Hash())
			if n := len(policy.Lint(l.Policy)); n > 0 {
				warn("%s layer has %d lint findings: run 'safeclaw policy lint'", l.Name, n)
			}
		}
		for _, n := range ps.notes {
			warn("%s", n)
		}
	}
	cfg, err := e.loadConfig()
	if err != nil {
		bad("correct config.yaml", "config: %v", err)
	} else {
		ok("config: mode %s, audit durability %s, on failure %s", cfg.Mode, cfg.Audit.Durability, cfg.Audit.OnFailure)
		if cfg.Audit.OnFailure == "allow_warn" {
			warn("audit.on_failure is allow_warn: a decision that cannot be recorded is still answered")
		}
		if cfg.Mode == "shadow" {
			warn("mode is shadow: nothing is enforced")
		}
	}
	for _, d := range []string{e.StateDir, e.KeyDir()} {
		st, err := os.Stat(d)
		switch {
		case os.IsNotExist(err):
			warn("%s does not exist yet (created on first use, or by 'safeclaw init')", d)
		case err != nil:
			bad("", "%s: %v", d, err)
		case st.Mode().Perm()&0o077 != 0:
			bad(fmt.Sprintf("chmod 700 %s", d), "%s is readable by others (%v)", d, st.Mode().Perm())
		}
	}
	if st, err := os.Stat(e.auditKeyFile()); err == nil && st.Mode().Perm()&0o077 != 0 {
		bad(fmt.Sprintf("chmod 600 %s", e.auditKeyFile()), "the audit key is readable by others (%v)", st.Mode().Perm())
	}
	if cfg != nil && isPostgresURL(e.storeURL(cfg.Store)) {
		// While PostgreSQL is down every decision goes to the local spool:
		// say so, and how much waits there.
		if st, err := e.openPGAuditStore(e.storeURL(cfg.Store)); err == nil {
			st.Close()
			if db, err := e.openPGDB(ctx, e.storeURL(cfg.Store)); err == nil {
				if on, err := db.ApproveGuardOn(ctx); err == nil && !on {
					bad("CREATE ROLE safeclaw_reviewer NOLOGIN, and make each person who approves a member (docs/fleet.md)",
						"fleet approvals: the approve guard is off (no safeclaw_reviewer role): an agent host's role can approve its own requests")
				}
				db.Close()
			}
		} else if pgstore.Unreachable(err) {
			n := uint64(0)
			if _, serr := os.Stat(e.auditSpoolDir()); serr == nil {
				if sp, oerr := audit.OpenFile(e.auditSpoolDir(), audit.FileOptions{KeyFile: e.auditKeyFile(), Now: e.Now}); oerr == nil {
					if rep, verr := sp.Verify(ctx); verr == nil {
						n = rep.Records
					}
					sp.Close()
				}
			}
			bad("start PostgreSQL (or fix store: in config.yaml); the spool ships, in order, once it is reachable",
				"audit store (PostgreSQL) unreachable: %v; decisions are recorded to the local spool %s (%d records there)", err, e.auditSpoolDir(), n)
		}
	}
	if _, err := os.Stat(e.auditDir(cfg)); cfg != nil && !isPostgresURL(e.storeURL(cfg.Store)) && os.IsNotExist(err) {
		warn("no audit trail yet at %s (created by the first decision)", e.auditDir(cfg))
	} else if cfg != nil {
		if store, err := e.openAudit(cfg); err != nil {
			bad("", "audit trail: %v", err)
		} else {
			rep, err := store.Verify(ctx)
			switch {
			case err != nil:
				bad("", "audit verify: %v", err)
			default:
				if p, tampered := rep.FirstBad(); tampered {
					bad("run 'safeclaw audit verify' for details", "audit trail: %s", p)
				} else {
					ok("audit trail %s verifies", e.auditDir(cfg))
				}
			}
			if sp, isPG := store.(*pgstore.Spooled); isPG {
				if n, err := sp.Backlog(ctx); err != nil {
					bad("", "audit spool: %v", err)
				} else if n > 0 {
					warn("%d audit records are spooled locally, waiting for PostgreSQL", n)
				}
			}
			store.Close()
		}
	}
	report := doctorReport{ok: ok, note: warn, bad: bad}
	noteTIOCSTI(report)
	for _, agent := range hook.Agents() {
		e.checkAgentHooks(ctx, agent, report)
	}
	for _, agent := range hook.Agents() {
		open, covered, others := e.mcpCoverage(agent)
		if len(open) > 0 {
			warn("%s: MCP servers not behind safeclaw mcp: %s ('safeclaw install %s --mcp' wraps them)", agent, strings.Join(open, ", "), agent)
		}
		if len(covered) > 0 {
			ok("%s: MCP servers behind safeclaw mcp: %s", agent, strings.Join(covered, ", "))
		}
		for _, o := range others {
			warn("%s: %s", agent, o)
		}
	}
	if problems > 0 {
		fmt.Fprintf(e.Stdout, "%d problems\n", problems)
		return exitFindings
	}
	fmt.Fprintln(e.Stdout, "no problems found")
	return exitOK
}

// agentCommands are the CLI names of the agents safeclaw installs into.
var agentCommands = map[string]string{"claude": "claude", "codex": "codex", "gemini": "gemini", "cursor": "cursor-agent"}

// agentVersion runs the agent's CLI with --version (bounded to 3 s), so the
// report says which version the hook protocol has to match; "" when the
// agent is not installed.
func agentVersion(ctx context.Context, agent string) string {
	name, known := agentCommands[agent]
	if !known {
		return ""
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "--version").Output()
	if err != nil {
		return path + " (version unknown: " + err.Error() + ")"
	}
	v := strings.TrimSpace(string(out))
	if i := strings.IndexByte(v, '\n'); i >= 0 {
		v = v[:i]
	}
	return path + " " + v
}

// mcpCoverage reads agent's MCP server settings (user scope) the way
// 'safeclaw install AGENT --mcp' would, without writing: the servers it
// would wrap (open), those already behind safeclaw mcp (covered), and what
// it would say of the others.
func (e *Env) mcpCoverage(agent string) (open, covered, others []string) {
	paths, err := e.mcpConfigPaths(agent, false)
	if err != nil {
		return nil, nil, nil
	}
	exe, err := os.Executable()
	if err != nil {
		exe = "safeclaw"
	}
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		var changes []mcpEntryChange
		if agent == "codex" {
			_, changes, err = editCodexMCPServers(data, exe, false)
		} else {
			_, changes, err = editMCPServers(data, agent, exe, false)
		}
		if err != nil {
			others = append(others, fmt.Sprintf("%s: MCP servers unreadable: %v", path, err))
			continue
		}
		for _, c := range changes {
			name := c.where[strings.LastIndex(c.where, ".")+1:]
			switch wraps, already := c.coverage(); {
			case wraps:
				open = append(open, name)
			case already:
				covered = append(covered, name)
			case c.status != "":
				others = append(others, fmt.Sprintf("MCP server %s (%s): %s", name, path, c.status))
			}
		}
	}
	return open, covered, others
}
