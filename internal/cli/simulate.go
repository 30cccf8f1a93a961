package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/safeclaw/safeclaw/action"
)

const simulateUsage = `Usage:
  safeclaw simulate [--policy F]... [--json] [--jsonl] [FILE|-]
  safeclaw --simulate [--policy F]... < commands.txt

Decides every input line against the policy and prints, for each:

  [DENIED] shell.execute: "python -m http.server 8080"
    Rule: "Block Python HTTP server"

([ALLOWED] and [APPROVAL] likewise; Rule is the rule's name, else its reason,
"default" when no rule matched), then a summary: counts per decision and the
rules that never fired. Simulate never blocks anything and never waits.

Input: one command line per line (blank lines and lines starting with # are
skipped). With --jsonl each line is {"command": "..."} or an action object
such as {"action": "network.listen", "port": 8080}.
With --json, prints one check-style JSON object per input line instead.

Started on a terminal with no input, simulate instead streams the decisions
that the deciding surfaces (hooks, serve, mcp, run) record from now on, in
the same format, and decides at once each command line typed at it, until
Ctrl-D or Ctrl-C.

Exit codes: 0 when it ran (whatever it decided), 2 on bad input or policy.
`

func runSimulate(ctx context.Context, e *Env, args []string) int {
	fs := newFlags(e, "simulate", simulateUsage)
	var policies stringList
	var jsonOut, jsonl bool
	var agent string
	fs.Var(&policies, "policy", "policy `file` or directory (repeatable)")
	fs.BoolVar(&jsonOut, "json", false, "print one JSON object per input line")
	fs.BoolVar(&jsonl, "jsonl", false, "read JSON Lines: {\"command\": ...} or action objects")
	fs.StringVar(&agent, "agent", "", "the agent to simulate (for agent: rules)")
	if code, ok := parseFlags(e, fs, args); !ok {
		return code
	}
	if fs.NArg() > 1 {
		return hintf(e, simulateInputHint, "simulate: give at most one input file (got %d)", fs.NArg())
	}
	if fs.NArg() == 0 && !jsonl {
		// Started on a terminal with nothing piped in: stream the live
		// decisions of every surface from the audit trail (the brief's
		// Step 7: start it, ask the agent to start a server, watch).
		if tty, _ := e.stdinTerminal(); tty {
			return e.simulateTerminal(ctx, policies, agent)
		}
	}
	var r io.Reader = e.Stdin
	name := "stdin"
	if fs.NArg() == 1 && fs.Arg(0) != "-" {
		data, err := os.ReadFile(fs.Arg(0))
		if errors.Is(err, os.ErrNotExist) {
			return hintf(e, simulateInputHint, "simulate: %v", err)
		}
		if err != nil {
			return errorf(e, "simulate: %v", err)
		}
		r, name = bytes.NewReader(data), fs.Arg(0)
	}
	ps, err := e.loadPolicies(policies)
	if err != nil {
		return errorf(e, "%v", err)
	}
	inputs, err := readInputs(r, name, jsonl, agent)
	if err != nil {
		return errorf(e, "%v", err)
	}

	out := bufio.NewWriter(e.Stdout)
	defer out.Flush()
	counts := map[action.Effect]int{}
	fired := map[string]bool{}
	for _, in := range inputs {
		req := e.request(in, "simulate")
		d := ps.decide(req)
		counts[d.Effect]++
		if d.Rule != nil {
			fired[d.Rule.Source] = true
		}
		if jsonOut {
			if err := writeJSON(out, decisionJSON(req, d)); err != nil {
				return errorf(e, "write output: %v", err)
			}
			continue
		}
		out.WriteString(simulateLine(in, d))
	}
	if jsonOut {
		return exitOK
	}
	fmt.Fprintf(out, "\n%s: %d denied, %d need approval, %d allowed\n",
		plural(len(inputs), "input"), counts[action.Deny], counts[action.Ask], counts[action.Allow])
	var never []string
	for _, l := range ps.layers {
		for _, r := range l.Policy.Rules() {
			if !fired[r.Source] {
				label := r.Name
				if label == "" {
					label = r.Reason
				}
				never = append(never, fmt.Sprintf("  %q (%s)", label, r.Source))
			}
		}
	}
	if len(never) > 0 {
		fmt.Fprintf(out, "Rules that never fired (%d):\n%s\n", len(never), strings.Join(never, "\n"))
	}
	return exitOK
}

// simulateLine is one input's report, the brief's two lines:
//
//	[DENIED] shell.execute: "python -m http.server 8080"
//	  Rule: "Block Python HTTP server"
func simulateLine(in input, d action.Decision) string {
	return fmt.Sprintf("%s %s\n  Rule: %q\n", simulateTag(d.Effect), in.label(), ruleLabel(d.Rule))
}

// simulateTerminal is simulate started on a terminal with nothing piped in
// (the brief's Step 7: start it, ask the agent to start a server, watch).
// It streams the decisions the deciding surfaces record (simulateLive), and
// it decides at once every command line typed at it, against the policy
// (--policy, else the one a hook started here would load), in the same
// format, so that typing `python -m http.server 8080` prints the brief's
// lines too. Ctrl-D or Ctrl-C ends it. A bad --policy is an error (exit 2),
// as with piped input.
func (e *Env) simulateTerminal(ctx context.Context, policies []string, agent string) int {
	ps, err := e.loadPolicies(policies)
	if err != nil {
		return errorf(e, "%v", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := &lockedWriter{w: e.Stdout} // the live view and the typed lines
	live := *e
	live.Stdout = out
	var typed map[action.Effect]int
	done := make(chan struct{})
	go func() {
		defer close(done)
		typed = e.simulateTyped(ps, agent, out)
		cancel() // Ctrl-D: the end of the typed input ends the view
	}()
	fmt.Fprintln(e.Stderr, "safeclaw: type a command line to see what the policy decides (Ctrl-D ends)")
	code := live.simulateLive(ctx)
	select {
	case <-done:
		if n := typed[action.Deny] + typed[action.Ask] + typed[action.Allow]; n > 0 {
			fmt.Fprintf(e.Stderr, "%d typed: %d denied, %d need approval, %d allowed\n",
				n, typed[action.Deny], typed[action.Ask], typed[action.Allow])
		}
	default:
		// Ctrl-C while a line is being typed: the reader is still
		// blocked on the terminal, and the process ends with it.
	}
	return code
}

// simulateTyped decides each line read from e.Stdin as it arrives, until
// the end of the input, and returns the counts per decision.
func (e *Env) simulateTyped(ps *policySet, agent string, out io.Writer) map[action.Effect]int {
	counts := map[action.Effect]int{}
	br := bufio.NewReaderSize(e.Stdin, 64*1024)
	for first := true; ; first = false {
		raw, long, err := readLine(br, maxInputLine)
		if err != nil && raw == "" {
			return counts
		}
		if first {
			raw = strings.TrimPrefix(raw, bom)
		}
		text := strings.TrimSpace(raw)
		if long {
			text = raw
		}
		if text == "" || (!long && strings.HasPrefix(text, "#")) {
			continue
		}
		in := input{Command: text, Agent: agent}
		d := ps.decide(e.request(in, "simulate"))
		counts[d.Effect]++
		io.WriteString(out, simulateLine(in, d))
	}
}

func simulateTag(eff action.Effect) string {
	switch eff {
	case action.Allow:
		return "[ALLOWED]"
	case action.Ask:
		return "[APPROVAL]"
	default:
		return "[DENIED]"
	}
}

// simulateInputHint is for a command given where simulate wants a file.
const simulateInputHint = `simulate reads command lines from a file or stdin: echo 'python -m http.server 8080' | safeclaw --simulate (safeclaw check -- CMD decides one command)`

// bom is the UTF-8 byte order mark.
const bom = "\ufeff"

// maxInputLine bounds one simulate input line.
const maxInputLine = 1 << 20

// readInputs reads simulate's input lines.
func readInputs(r io.Reader, name string, jsonl bool, agent string) ([]input, error) {
	br := bufio.NewReaderSize(r, 64*1024)
	var out []input
	line := 0
	for {
		raw, long, err := readLine(br, maxInputLine)
		if err != nil && len(raw) == 0 {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, fmt.Errorf("%s:%d: %v", name, line+1, err)
		}
		line++
		if line == 1 {
			// A byte order mark (an editor's, on Windows) is not part
			// of the first command.
			raw = strings.TrimPrefix(raw, bom)
		}
		if long && !jsonl {
			// Kept whole it would be a command too long to analyse: its
			// first part is one, and it is decided as such (opaque, deny).
			out = append(out, input{Command: raw, Agent: agent})
			continue
		}
		if long {
			return nil, fmt.Errorf("%s:%d: line longer than %d bytes", name, line, maxInputLine)
		}
		text := strings.TrimSpace(raw)
		if text == "" || (!jsonl && strings.HasPrefix(text, "#")) {
			continue
		}
		if !jsonl {
			out = append(out, input{Command: text, Agent: agent})
			continue
		}
		in, err := parseJSONLInput([]byte(text), agent)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", name, line, err)
		}
		out = append(out, in)
	}
	return out, nil
}

// readLine reads one line (without its newline), keeping at most max+1
// bytes of it; long says the line was longer than max (the rest is
// skipped). At the end of the input it returns io.EOF with no text.
func readLine(br *bufio.Reader, max int) (string, bool, error) {
	var b []byte
	long := false
	for {
		chunk, err := br.ReadSlice('\n')
		if len(b)+len(chunk) > max+1 {
			long = true
			if room := max + 1 - len(b); room > 0 {
				b = append(b, chunk[:room]...)
			}
		} else {
			b = append(b, chunk...)
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err != nil && len(b) == 0:
			return "", false, err
		}
		s := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
		if errors.Is(err, io.EOF) || err == nil {
			return s, long, nil
		}
		return s, long, err
	}
}

func parseJSONLInput(data []byte, agent string) (input, error) {
	var probe map[string]any
	if err := jsonUnmarshalStrict(data, &probe); err != nil {
		return input{}, err
	}
	if _, isAction := probe["action"]; !isAction {
		cmd, ok := probe["command"].(string)
		if !ok || strings.TrimSpace(cmd) == "" {
			return input{}, fmt.Errorf(`want {"command": "..."} or an action object with "action"`)
		}
		for k := range probe {
			if k != "command" && k != "agent" && k != "cwd" {
				return input{}, fmt.Errorf("unknown key %q in a command object (known: command, agent, cwd)", k)
			}
		}
		in := input{Command: cmd, Agent: agent}
		if a, ok := probe["agent"].(string); ok {
			in.Agent = a
		}
		if c, ok := probe["cwd"].(string); ok {
			in.Cwd = c
		}
		return in, nil
	}
	a, ag, err := parseActionJSON(data)
	if err != nil {
		return input{}, err
	}
	if ag == "" {
		ag = agent
	}
	cwd, _ := probe["cwd"].(string)
	return input{Action: a, Agent: ag, Cwd: cwd}, nil
}

// plural is "1 input", "2 inputs".
func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
