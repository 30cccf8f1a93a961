// Package cli is safeclaw's command line: flags, subcommands and output. It
// is the only package that wires the others together (the composition root);
// every decision it prints comes from the library packages.
//
// Exit codes are part of the public contract: 0 allow (or success), 3 deny,
// 4 ask, 2 bad input or a bad policy, 1 for "findings" (lint, failed policy
// tests, a tampered audit trail).
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"strings"

	"github.com/safeclaw/safeclaw/approval"
)

// Exit codes.
const (
	exitOK       = 0
	exitFindings = 1
	exitUsage    = 2
	exitDeny     = 3
	exitAsk      = 4
)

type command struct {
	name  string
	short string
	run   func(ctx context.Context, e *Env, args []string) int
}

func commands() []command {
	return []command{
		{"check", "decide one command or action and print the decision", runCheck},
		{"simulate", "decide every line of a file (or stdin) and print the brief's report", runSimulate},
		{"policy", "validate, lint, test, explain, show a policy; print its JSON Schema", runPolicy},
		{"test", "run a policy's golden decision tests (safeclaw test POLICY.yaml CASES.yaml)", runTest},
		{"audit", "query, verify, export and repair the tamper-evident audit trail", runAudit},
		{"approvals", "list, show, approve and deny requests waiting for a human", runApprovals},
		{"hook", "answer an agent's hook call (claude, codex, gemini, cursor)", runHook},
		{"run", "run a command (an agent) with the policy enforced by the kernel", runRun},
		{"install", "install safeclaw's hooks into an agent's settings", runInstall},
		{"uninstall", "remove safeclaw's hooks from an agent's settings", runUninstall},
		{"doctor", "check that safeclaw can decide: policy, config, state, audit, hooks", runDoctor},
		{"mcp", "run an MCP server behind safeclaw: tool calls, reads and prompts decided and audited", runMCP},
		{"serve", "run the local decision API (Unix socket or loopback TCP) for SDK agents and Claude Code's http hook", runServe},
		{"ui", "serve the local dashboard: approvals, audit trail, policy editor, setup", runUI},
		{"store", "migrate and inspect the shared PostgreSQL store", runStore},
		{"init", "write the built-in default policy and config for editing", runInit},
		{"trust", "trust a project policy's exact content", runTrust},
		{"version", "print the version", runVersion},
		{"help", "show help for safeclaw or a subcommand", runHelp},
	}
}

// Main runs safeclaw with args (without the program name) and returns the
// process exit code. A panic anywhere below becomes exit 2, never a silent 0.
func Main(ctx context.Context, args []string, e *Env) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(e.Stderr, "safeclaw: internal error: %v\n%s", r, debug.Stack())
			code = exitUsage
		}
	}()
	if len(args) == 0 {
		usage(e.Stderr)
		return exitUsage
	}
	// The brief spells simulation as a flag: safeclaw --simulate < commands.txt,
	// anywhere among the flags (safeclaw --policy p.yaml --simulate).
	if strings.HasPrefix(args[0], "-") {
		for i, a := range args {
			if a == "--" {
				break
			}
			switch strings.TrimLeft(a, "-") {
			case "simulate", "simulate=true":
				rest := append(append([]string{}, args[:i]...), args[i+1:]...)
				return runSimulate(ctx, e, rest)
			}
		}
	}
	switch args[0] {
	case "-h", "--help", "-help":
		usage(e.Stdout)
		return exitOK
	case "--version", "-version":
		return runVersion(ctx, e, nil)
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, e, args[1:])
		}
	}
	fmt.Fprintf(e.Stderr, "safeclaw: error: unknown command %q\n", args[0])
	if s := closest(args[0], commandNames()); s != "" {
		fmt.Fprintf(e.Stderr, "safeclaw: hint: did you mean %q?\n", s)
	}
	fmt.Fprintln(e.Stderr, "safeclaw: hint: run 'safeclaw help' for the list of commands")
	return exitUsage
}

func commandNames() []string {
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	return names
}

func usage(w io.Writer) {
	fmt.Fprint(w, `safeclaw: a deny-by-default gate between AI agents and your machine.

Usage: safeclaw <command> [flags] [arguments]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.short)
	}
	fmt.Fprint(w, `
Examples:
  safeclaw check -- python3 -m http.server 8080      # exit 3: denied, with the rule
  safeclaw check --command 'cd web && npm run dev'    # exit 4 where a rule asks (the brief's Step 6); 3 by default
  safeclaw check --action network.listen --port 8080 --json
  safeclaw --simulate < commands.txt                  # [DENIED] ... Rule: "..." per line
  safeclaw simulate --policy safeclaw.policy.yaml commands.txt
  safeclaw policy lint --policy safeclaw.policy.yaml
  safeclaw policy explain -- bash -c 'nc -lvnp 4444'
  safeclaw audit --filter "action:network"
  safeclaw install claude

Every command takes --policy FILE (repeatable; a directory loads its *.yaml,
*.yml and *.json files in name order). Without it safeclaw uses
~/.config/safeclaw/policy.yaml, else its built-in default policy.
SAFECLAW_HOME, when set, holds all of safeclaw's files.

Exit codes: 0 allow/success, 3 deny, 4 ask, 2 bad input or bad policy,
1 findings (lint, failed tests, tampered audit trail).
`)
}

func runHelp(ctx context.Context, e *Env, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		usage(e.Stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] && c.name != "help" {
			return c.run(ctx, e, []string{"--help"})
		}
	}
	return errorf(e, "unknown command %q", args[0])
}

// version is set by the linker (-ldflags "-X ...cli.version=v1.2.3"); the
// module version from the build info is used otherwise.
var version = ""

func runVersion(_ context.Context, e *Env, args []string) int {
	if len(args) > 0 && (args[0] == "--help" || args[0] == "-h") {
		fmt.Fprintln(e.Stdout, "Usage: safeclaw version\n\nPrints safeclaw's version.")
		return exitOK
	}
	v := version
	if v == "" {
		v = "(devel)"
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
			v = bi.Main.Version
		}
	}
	fmt.Fprintf(e.Stdout, "safeclaw %s\n", v)
	return exitOK
}

// errorf prints "safeclaw: error: ..." and returns the usage exit code.
func errorf(e *Env, format string, args ...any) int {
	fmt.Fprintf(e.Stderr, "safeclaw: error: %s\n", printableLines(fmt.Sprintf(format, args...)))
	return exitUsage
}

// hintf prints an error and a hint and returns the usage exit code.
func hintf(e *Env, hint string, format string, args ...any) int {
	errorf(e, format, args...)
	fmt.Fprintf(e.Stderr, "safeclaw: hint: %s\n", printableLines(hint))
	return exitUsage
}

// printableLines escapes what a terminal would act on (escape sequences,
// bidi overrides) in a message that may quote file names or agent text,
// keeping its line breaks.
func printableLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = approval.Printable(l)
	}
	return strings.Join(lines, "\n")
}

// newFlags makes a flag set that reports errors instead of exiting.
func newFlags(e *Env, name, usageText string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.Stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usageText)
		fmt.Fprintln(fs.Output(), "\nFlags:")
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args; it returns (exit code, false) when the caller must
// stop: 0 after --help, 2 after a bad flag.
func parseFlags(e *Env, fs *flag.FlagSet, args []string) (int, bool) {
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "-h" || a == "-help" || a == "--help" {
			// Asked-for help goes to stdout and succeeds.
			fs.SetOutput(e.Stdout)
			fs.Usage()
			return exitOK, false
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, false
		}
		return exitUsage, false
	}
	return 0, true
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// closest returns the candidate nearest to s by edit distance, or "".
func closest(s string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if d := editDistance(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
