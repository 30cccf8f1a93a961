package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/approval"
)

const checkUsage = `Usage:
  safeclaw check [--policy F]... [--json] [--wait [--timeout D]] -- CMD ARGS...
  safeclaw check [--policy F]... [--json] --command 'SHELL TEXT'
  safeclaw check [--policy F]... [--json] --action KIND [--port N] [--host H] [--path P] [--url U] [--tool T]

Decides one command or action against the policy and prints the decision
with the rule that made it. check decides nothing for real: it writes no audit
record and never waits for a human.

After --, several arguments are one command's argv; a single argument with
spaces is read as a shell command line (like --command).

With --wait, an ask files an approval request and blocks until a person
answers ('safeclaw approvals approve ID', the terminal prompt, a webhook) or
the timeout passes: exit 0 approved, 3 denied or expired.

Exit codes: 0 allow, 3 deny, 4 ask, 2 bad input or bad policy.

Examples:
  safeclaw check -- python3 -m http.server 8080
  safeclaw check --command 'cd site && npm run dev'
  safeclaw check --action network.listen --port 8080 --json
`

// inputFlags are the flags check and policy explain share.
type inputFlags struct {
	policies stringList
	jsonOut  bool
	command  string
	kind     string
	port     int
	host     string
	path     string
	url      string
	tool     string
	server   string
	agent    string
	cwd      string
	wait     bool
	timeout  time.Duration
}

func (f *inputFlags) register(fs *flag.FlagSet) {
	fs.Var(&f.policies, "policy", "policy `file` or directory (repeatable; replaces the user policy)")
	fs.BoolVar(&f.jsonOut, "json", false, "print one JSON object on stdout")
	fs.StringVar(&f.command, "command", "", "a shell command line to decide")
	fs.StringVar(&f.kind, "action", "", "decide a bare action of this `kind` (network.listen, file.write, ...)")
	fs.IntVar(&f.port, "port", 0, "the action's port")
	fs.StringVar(&f.host, "host", "", "the action's host or address")
	fs.StringVar(&f.path, "path", "", "the action's path")
	fs.StringVar(&f.url, "url", "", "the action's URL")
	fs.StringVar(&f.tool, "tool", "", "the action's tool name")
	fs.StringVar(&f.server, "server", "", "the action's MCP server")
	fs.StringVar(&f.agent, "agent", "", "the agent asking (claude, codex, ...), for agent: rules")
	fs.StringVar(&f.cwd, "cwd", "", "the working directory to decide in (default: the current one)")
}

// registerWait adds check's --wait and --timeout.
func (f *inputFlags) registerWait(fs *flag.FlagSet) {
	fs.BoolVar(&f.wait, "wait", false, "on ask, file an approval request and wait for a person (exit 0 approved, 3 denied or expired)")
	fs.DurationVar(&f.timeout, "timeout", 0, "with --wait, how long to wait (default: the rule's timeout, else config.yaml's approvals.timeout)")
}

// input builds the one input the flags and remaining args describe.
func (f *inputFlags) input(e *Env, rest []string) (input, error) {
	n := 0
	if f.command != "" {
		n++
	}
	if f.kind != "" {
		n++
	}
	if len(rest) > 0 {
		n++
	}
	if n != 1 {
		return input{}, fmt.Errorf("give exactly one of: -- CMD ARGS..., --command TEXT, --action KIND")
	}
	in := input{Agent: f.agent, Cwd: f.cwd}
	if in.Cwd != "" && !strings.HasPrefix(in.Cwd, "/") {
		in.Cwd = e.Cwd + "/" + in.Cwd
	}
	switch {
	case f.kind != "":
		k := action.Kind(f.kind)
		if err := checkKind(k); err != nil {
			return input{}, err
		}
		if f.port < 0 || f.port > 65535 {
			return input{}, fmt.Errorf("--port %d out of range 0-65535", f.port)
		}
		in.Action = &action.Action{Kind: k, Port: f.port, Host: f.host, Path: f.path, URL: f.url, Tool: f.tool, Server: f.server}
	case f.command != "":
		in.Command = f.command
	case len(rest) == 1:
		in.Command = rest[0]
	default:
		in.Command = shellQuote(rest)
	}
	if in.Action == nil && strings.TrimSpace(in.Command) == "" {
		return input{}, fmt.Errorf("empty command")
	}
	return in, nil
}

func runCheck(ctx context.Context, e *Env, args []string) int {
	var f inputFlags
	fs := newFlags(e, "check", checkUsage)
	f.register(fs)
	f.registerWait(fs)
	if code, ok := parseFlags(e, fs, args); !ok {
		return code
	}
	in, err := f.input(e, fs.Args())
	if err != nil {
		return hintf(e, "run 'safeclaw check --help' for the forms check accepts", "check: %v", err)
	}
	// The policy of the directory decided in: its workspace and project
	// policy, as a hook or serve there would load them.
	pe := e
	if in.Cwd != "" {
		local := *e
		local.Cwd = filepath.Clean(in.Cwd)
		pe = &local
	}
	ps, err := pe.loadPolicies(f.policies)
	if err != nil {
		return errorf(e, "%v", err)
	}
	req := e.request(in, "check")
	d := ps.decide(req)
	if d.Effect == action.Ask && f.wait {
		// check --wait is a requester: it files the request, waits for a
		// person through any channel, and records what happened.
		eff, ap, err := e.waitApproval(ctx, req, d, f.timeout)
		if err != nil {
			fmt.Fprintf(e.Stderr, "safeclaw: approval: %v; denied\n", err)
			eff = action.Deny
		}
		d.Effect = eff
		if ap != nil {
			d.Notes = append(d.Notes, fmt.Sprintf("approval %s: %s", ap.ID, ap.Outcome))
		}
	}
	if f.jsonOut {
		if err := writeJSON(e.Stdout, decisionJSON(req, d)); err != nil {
			return errorf(e, "write output: %v", err)
		}
	} else {
		printDecision(e.Stdout, in, req, d)
	}
	return exitCode(d.Effect)
}

func exitCode(eff action.Effect) int {
	switch eff {
	case action.Allow:
		return exitOK
	case action.Ask:
		return exitAsk
	default:
		return exitDeny
	}
}

// decisionOut is the --json shape of one decision (a public contract).
type decisionOut struct {
	Decision   string          `json:"decision"`
	Rule       *action.RuleRef `json:"rule"`
	Reason     string          `json:"reason"`
	Input      string          `json:"input"`
	Actions    []action.Action `json:"actions"`
	Parts      []partOut       `json:"parts"`
	PolicyHash string          `json:"policy_hash,omitempty"`
	Notes      []string        `json:"notes,omitempty"`
	// Approval is what an ask needs beyond one approval from anyone.
	Approval *action.ApprovalNeeds `json:"approval,omitempty"`
}

type partOut struct {
	Text     string          `json:"text,omitempty"`
	Facets   []action.Action `json:"facets"`
	Deciding bool            `json:"deciding,omitempty"`
}

func decisionJSON(req *action.Request, d action.Decision) decisionOut {
	out := decisionOut{
		Decision: d.Effect.String(), Rule: d.Rule, Reason: d.Reason, Input: req.Input,
		Actions: req.Actions(), PolicyHash: d.PolicyHash, Notes: d.Notes, Approval: d.Approval,
	}
	if out.Actions == nil {
		out.Actions = []action.Action{}
	}
	for i, p := range req.Parts {
		facets := p.Facets
		if facets == nil {
			facets = []action.Action{}
		}
		out.Parts = append(out.Parts, partOut{Text: p.Text, Facets: facets, Deciding: i == d.Part})
	}
	if out.Parts == nil {
		out.Parts = []partOut{}
	}
	return out
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// printDecision is check's human output. Everything in it that comes from
// the input (parts, paths, hosts) or from a policy file (reasons, sources)
// is written through approval.Printable: a command with a newline or an
// escape sequence in it must not add lines or rewrite the terminal.
func printDecision(w io.Writer, in input, req *action.Request, d action.Decision) {
	fmt.Fprintf(w, "%s: %s\n", strings.ToUpper(d.Effect.String()), in.label())
	if d.Rule != nil {
		fmt.Fprintf(w, "  Rule: %q (%s)\n", ruleLabel(d.Rule), approval.Printable(d.Rule.Source))
	} else {
		fmt.Fprintln(w, "  Rule: default")
	}
	if d.Reason != "" {
		fmt.Fprintf(w, "  Reason: %s\n", approval.Printable(d.Reason))
	}
	if d.Approval.Restricted() {
		fmt.Fprintf(w, "  Needs: %s\n", approval.Printable(d.Approval.Describe()))
	}
	if d.Part >= 0 && d.Part < len(req.Parts) && len(req.Parts) > 1 {
		fmt.Fprintf(w, "  Decided by: %s\n", approval.Printable(req.Parts[d.Part].Text))
	}
	for _, p := range req.Parts {
		var kinds []string
		for _, a := range p.Facets {
			kinds = append(kinds, facetLabel(a))
		}
		if p.Text != "" {
			fmt.Fprintf(w, "  Part: %s\n    %s\n", approval.Printable(p.Text), approval.Printable(strings.Join(kinds, ", ")))
		}
	}
	for _, n := range d.Notes {
		fmt.Fprintf(w, "  Note: %s\n", approval.Printable(n))
	}
}

// facetLabel renders a facet as kind{field: value, ...}.
func facetLabel(a action.Action) string {
	var f []string
	if a.Host != "" {
		f = append(f, "host: "+a.Host)
	}
	if a.Port != 0 {
		f = append(f, fmt.Sprintf("port: %d", a.Port))
	}
	if a.Path != "" {
		f = append(f, "path: "+a.Path)
	}
	if a.URL != "" {
		f = append(f, "url: "+a.URL)
	}
	if a.Remote {
		f = append(f, "remote")
	}
	if a.Background {
		f = append(f, "background")
	}
	if a.Detail != "" && a.Kind != action.ShellExecute {
		f = append(f, a.Detail)
	}
	if len(f) == 0 {
		return string(a.Kind)
	}
	return string(a.Kind) + "{" + strings.Join(f, ", ") + "}"
}

// ruleLabel is the rule's name, else its reason: what the brief prints after "Rule:".
func ruleLabel(r *action.RuleRef) string {
	if r == nil {
		return "default"
	}
	if r.Name != "" {
		return r.Name
	}
	return r.Reason
}
