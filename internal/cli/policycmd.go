package cli

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/approval"
	"github.com/safeclaw/safeclaw/policy"
)

const policyUsage = `Usage:
  safeclaw policy validate [--policy F]...        strict load; exit 0 valid, 2 invalid
  safeclaw policy lint     [--policy F]...        shadowed, dead, never-matching, risky rules; exit 1 on findings
  safeclaw policy test     [--policy F]... [CASES.yaml]...
                                                  run inline tests: and cases files; exit 1 on failure
  safeclaw policy explain  [--policy F]... [--json] (-- CMD... | --command TEXT | --action KIND ...)
                                                  every part, facet and rule tried for one input
  safeclaw policy show     [--policy F]... [--json]
                                                  the layers and files in force, their hash and rules
  safeclaw policy schema                          the policy file's JSON Schema (for editors)

Without --policy, the policy in force is used: ~/.config/safeclaw/policy.yaml
(under SAFECLAW_HOME when set), else the built-in default, plus the managed
and project layers.
`

func runPolicy(ctx context.Context, e *Env, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		w := e.Stdout
		if len(args) == 0 {
			w = e.Stderr
		}
		fmt.Fprint(w, policyUsage)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	sub, rest := args[0], args[1:]
	switch sub {
	case "validate":
		return policyValidate(e, rest)
	case "lint":
		return policyLint(e, rest)
	case "test":
		return policyTest(e, rest)
	case "explain":
		return policyExplain(e, rest)
	case "show":
		return policyShow(e, rest)
	case "schema":
		if len(rest) > 0 && rest[0] != "--help" && rest[0] != "-h" {
			return errorf(e, "policy schema takes no arguments")
		}
		if _, err := e.Stdout.Write(policy.Schema()); err != nil {
			return errorf(e, "write output: %v", err)
		}
		return exitOK
	}
	return hintf(e, "run 'safeclaw policy --help'", "unknown policy command %q", sub)
}

func policyFlags(e *Env, name, usage string, args []string) (*stringList, bool, []string, int, bool) {
	fs := newFlags(e, "policy "+name, usage)
	var policies stringList
	var jsonOut bool
	fs.Var(&policies, "policy", "policy `file` or directory (repeatable)")
	fs.BoolVar(&jsonOut, "json", false, "print JSON on stdout")
	if code, ok := parseFlags(e, fs, args); !ok {
		return nil, false, nil, code, false
	}
	return &policies, jsonOut, fs.Args(), 0, true
}

func policyValidate(e *Env, args []string) int {
	policies, _, rest, code, ok := policyFlags(e, "validate", "Usage: safeclaw policy validate [--policy F]... [FILE]...\n\nLoads the policy strictly and reports the first error with its position.\n", args)
	if !ok {
		return code
	}
	files := append([]string(*policies), rest...)
	ps, err := e.loadPolicies(files)
	if err != nil {
		return errorf(e, "%v", err)
	}
	n := 0
	for _, l := range ps.layers {
		n += len(l.Policy.Rules())
	}
	fmt.Fprintf(e.Stdout, "ok: %d rules in %s (%s)\n", n, approval.Printable(strings.Join(ps.allFiles(), ", ")), ps.user.Hash())
	return exitOK
}

func (ps *policySet) allFiles() []string {
	var out []string
	for _, layer := range []string{"managed", "user", "project", "always"} {
		out = append(out, ps.files[layer]...)
	}
	return out
}

func policyLint(e *Env, args []string) int {
	policies, jsonOut, rest, code, ok := policyFlags(e, "lint", "Usage: safeclaw policy lint [--policy F]... [--json] [FILE]...\n\nReports shadowed or unreachable rules, allows made dead by an earlier deny,\npatterns that can never match and risky patterns. Exit 0 clean, 1 findings.\n", args)
	if !ok {
		return code
	}
	ps, err := e.loadPolicies(append([]string(*policies), rest...))
	if err != nil {
		return errorf(e, "%v", err)
	}
	var findings []policy.Finding
	for _, l := range ps.layers {
		findings = append(findings, policy.Lint(l.Policy)...)
	}
	if jsonOut {
		if findings == nil {
			findings = []policy.Finding{}
		}
		if err := writeJSON(e.Stdout, findings); err != nil {
			return errorf(e, "write output: %v", err)
		}
	} else {
		for _, f := range findings {
			fmt.Fprintf(e.Stdout, "%s: %s\n", approval.Printable(f.Source), approval.Printable(f.Message))
		}
	}
	if len(findings) > 0 {
		if !jsonOut {
			fmt.Fprintf(e.Stdout, "%d findings\n", len(findings))
		}
		return exitFindings
	}
	if !jsonOut {
		fmt.Fprintln(e.Stdout, "no findings")
	}
	return exitOK
}

func policyTest(e *Env, args []string) int {
	policies, jsonOut, rest, code, ok := policyFlags(e, "test", "Usage: safeclaw policy test [--policy F]... [--json] [POLICY.yaml] [CASES.yaml]...\n       safeclaw test POLICY.yaml CASES.yaml...\n\nRuns the policy's inline tests: and every cases file (a top-level tests:\nlist). Each case gives a command or an action, the expected decision\n(expect: allow|deny|ask) and optionally the rule (name or reason, or\n\"default\"). A file given without --policy that is a policy (it has rules:\nor default:) is the policy tested. Exit 0 all pass, 1 any failure.\n", args)
	if !ok {
		return code
	}
	var caseFiles []string
	var caseData [][]byte
	given := *policies
	for _, f := range rest {
		data, err := readBounded(f)
		if err != nil {
			return errorf(e, "%v", err)
		}
		if len(*policies) == 0 && policy.LooksLikePolicy(data) {
			given = append(given, f)
			continue
		}
		caseFiles, caseData = append(caseFiles, f), append(caseData, data)
	}
	ps, err := e.loadPolicies(given)
	if err != nil {
		return errorf(e, "%v", err)
	}
	var cases []policy.TestCase
	for _, l := range ps.layers {
		cases = append(cases, l.Policy.Tests()...)
	}
	for i, f := range caseFiles {
		cs, err := policy.ParseCases(f, caseData[i])
		if err != nil {
			return errorf(e, "%v", err)
		}
		cases = append(cases, cs...)
	}
	if len(cases) == 0 {
		return hintf(e, "add a tests: list to the policy or pass a cases file", "policy test: no test cases found")
	}
	type result struct {
		Source   string `json:"source"`
		Input    string `json:"input"`
		Pass     bool   `json:"pass"`
		Expected string `json:"expected"`
		Got      string `json:"got"`
		Rule     string `json:"rule"`
	}
	var results []result
	failed := 0
	for _, c := range cases {
		in := input{Command: c.Command, Action: c.Action, Agent: c.Agent, Cwd: c.Cwd}
		req := e.request(in, "test")
		d := ps.decide(req)
		got := ruleLabel(d.Rule)
		pass := d.Effect == c.Expect && (c.Rule == "" || c.Rule == got ||
			(d.Rule != nil && (c.Rule == d.Rule.Reason || c.Rule == d.Rule.Name)))
		if !pass {
			failed++
		}
		results = append(results, result{Source: c.Source, Input: in.label(), Pass: pass,
			Expected: expectLabel(c), Got: d.Effect.String() + " by " + fmt.Sprintf("%q", got), Rule: got})
	}
	if jsonOut {
		if err := writeJSON(e.Stdout, results); err != nil {
			return errorf(e, "write output: %v", err)
		}
	} else {
		for _, r := range results {
			if r.Pass {
				fmt.Fprintf(e.Stdout, "PASS %s %s\n", approval.Printable(r.Source), approval.Printable(r.Input))
			} else {
				fmt.Fprintf(e.Stdout, "FAIL %s %s\n     want %s, got %s\n", approval.Printable(r.Source), approval.Printable(r.Input),
					approval.Printable(r.Expected), approval.Printable(r.Got))
			}
		}
		fmt.Fprintf(e.Stdout, "%d passed, %d failed\n", len(results)-failed, failed)
	}
	if failed > 0 {
		return exitFindings
	}
	return exitOK
}

func expectLabel(c policy.TestCase) string {
	if c.Rule == "" {
		return c.Expect.String()
	}
	return fmt.Sprintf("%s by %q", c.Expect, c.Rule)
}

func policyExplain(e *Env, args []string) int {
	var f inputFlags
	fs := newFlags(e, "policy explain", "Usage: safeclaw policy explain [--policy F]... [--json] (-- CMD ARGS... | --command TEXT | --action KIND ...)\n\nShows how safeclaw reads one input: every part (simple command), its views\n(wrappers peeled), its facets (what it does), every rule tried and why it\nmatched or not, and the decision.\n")
	f.register(fs)
	if code, ok := parseFlags(e, fs, args); !ok {
		return code
	}
	in, err := f.input(e, fs.Args())
	if err != nil {
		return errorf(e, "policy explain: %v", err)
	}
	ps, err := e.loadPolicies(f.policies)
	if err != nil {
		return errorf(e, "%v", err)
	}
	req := e.request(in, "explain")
	d := ps.decide(req)
	type layerOut struct {
		Layer       string             `json:"layer"`
		DenyAskOnly bool               `json:"deny_ask_only,omitempty"`
		Explanation policy.Explanation `json:"explanation"`
	}
	var layers []layerOut
	for _, l := range ps.layers {
		layers = append(layers, layerOut{Layer: l.Name, DenyAskOnly: l.DenyAskOnly, Explanation: l.Policy.Explain(req)})
	}
	if f.jsonOut {
		out := struct {
			decisionOut
			Layers []layerOut `json:"layers"`
		}{decisionJSON(req, d), layers}
		if err := writeJSON(e.Stdout, out); err != nil {
			return errorf(e, "write output: %v", err)
		}
		return exitCode(d.Effect)
	}
	for _, l := range layers {
		note := ""
		if l.DenyAskOnly {
			note = " (untrusted: only deny and ask rules count)"
		}
		fmt.Fprintf(e.Stdout, "== %s layer%s\n%s\n", l.Layer, note, explainText(l.Explanation))
	}
	printDecision(e.Stdout, in, req, d)
	return exitCode(d.Effect)
}

// explainText is policy explain's human rendering of one layer's
// explanation. The parts, views, facets, paths, hosts, reasons and sources
// in it come from the input or from a policy file: like check's output
// (printDecision), each is written through approval.Printable, so a command
// holding a line break, a terminal escape sequence (ESC [2J, OSC 52) or a
// bidi override neither adds lines nor rewrites the terminal. The fields
// Explanation.String quotes itself (%q: rule names, view words, positional
// arguments) are left for it to escape, and every rendered line is made
// printable again, for what String prints that is not a field of its own
// (a facet's arguments as JSON).
func explainText(ex policy.Explanation) string {
	s := printableExplanation(ex).String()
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = approval.Printable(l)
	}
	return strings.Join(lines, "\n")
}

// printableExplanation returns a copy of ex, sharing nothing with it that
// it changes, with every field String prints unquoted made printable.
func printableExplanation(ex policy.Explanation) policy.Explanation {
	p := approval.Printable
	ex.Reason = p(ex.Reason)
	ex.Rule = printableRuleRef(ex.Rule)
	parts := make([]policy.PartExplanation, len(ex.Parts))
	for i, pe := range ex.Parts {
		pe.Text = p(pe.Text)
		pe.Reason = p(pe.Reason)
		pe.Rule = printableRuleRef(pe.Rule)
		views := make([]action.Argv, len(pe.Views))
		for j, v := range pe.Views {
			v.Program = p(v.Program)
			opts := make([]action.Option, len(v.Options))
			for k, o := range v.Options {
				o.Name, o.Value = p(o.Name), p(o.Value)
				opts[k] = o
			}
			v.Options = opts
			views[j] = v
		}
		if pe.Views != nil {
			pe.Views = views
		}
		facets := make([]action.Action, len(pe.Facets))
		for j, f := range pe.Facets {
			f.Kind = action.Kind(p(string(f.Kind)))
			f.Command, f.Program, f.Host, f.Path = p(f.Command), p(f.Program), p(f.Host), p(f.Path)
			f.URL, f.Tool, f.Server, f.Detail = p(f.URL), p(f.Tool), p(f.Server), p(f.Detail)
			facets[j] = f
		}
		pe.Facets = facets
		tried := make([]policy.RuleTrial, len(pe.Tried))
		for j, t := range pe.Tried {
			t.Source, t.Effect, t.Action, t.Why = p(t.Source), p(t.Effect), p(t.Action), p(t.Why)
			tried[j] = t
		}
		pe.Tried = tried
		notes := make([]string, len(pe.Notes))
		for j, n := range pe.Notes {
			notes[j] = p(n)
		}
		if pe.Notes != nil {
			pe.Notes = notes
		}
		parts[i] = pe
	}
	ex.Parts = parts
	return ex
}

func printableRuleRef(r *action.RuleRef) *action.RuleRef {
	if r == nil {
		return nil
	}
	c := *r
	c.Source, c.Reason, c.Layer = approval.Printable(c.Source), approval.Printable(c.Reason), approval.Printable(c.Layer)
	return &c
}

func policyShow(e *Env, args []string) int {
	policies, jsonOut, rest, code, ok := policyFlags(e, "show", "Usage: safeclaw policy show [--policy F]... [--json]\n\nPrints the layers in force, the files they came from, their content hash\nand their rules in evaluation order.\n", args)
	if !ok {
		return code
	}
	if len(rest) > 0 {
		return errorf(e, "policy show: unexpected argument %q", rest[0])
	}
	ps, err := e.loadPolicies(*policies)
	if err != nil {
		return errorf(e, "%v", err)
	}
	type layerOut struct {
		Layer       string            `json:"layer"`
		Files       []string          `json:"files"`
		Hash        string            `json:"hash"`
		DenyAskOnly bool              `json:"deny_ask_only,omitempty"`
		Rules       []policy.RuleInfo `json:"rules"`
	}
	var out []layerOut
	for _, l := range ps.layers {
		out = append(out, layerOut{Layer: l.Name, Files: ps.files[l.Name], Hash: l.Policy.Hash(), DenyAskOnly: l.DenyAskOnly, Rules: l.Policy.Rules()})
	}
	if jsonOut {
		if err := writeJSON(e.Stdout, out); err != nil {
			return errorf(e, "write output: %v", err)
		}
		return exitOK
	}
	for _, l := range out {
		fmt.Fprintf(e.Stdout, "%s layer: %s\n  hash: %s\n", l.Layer, approval.Printable(strings.Join(l.Files, ", ")), l.Hash)
		if l.DenyAskOnly {
			fmt.Fprintln(e.Stdout, "  untrusted: only its deny and ask rules count")
		}
		for i, r := range l.Rules {
			label := r.Name
			if label == "" {
				label = r.Reason
			}
			fmt.Fprintf(e.Stdout, "  %3d. %-5s %-40q %s\n", i+1, r.Effect, label, approval.Printable(r.Source))
		}
	}
	for _, n := range ps.notes {
		fmt.Fprintf(e.Stdout, "note: %s\n", approval.Printable(n))
	}
	return exitOK
}

// writeFileAtomic writes data to path via a temp file and rename, so a crash
// never leaves a half-written policy or state file.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(dirOf(path), ".tmp-*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	defer os.Remove(name)
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(name, path)
}

func dirOf(path string) string {
	if i := strings.LastIndexByte(path, '/'); i > 0 {
		return path[:i]
	}
	if strings.HasPrefix(path, "/") {
		return "/"
	}
	return "."
}

var _ = action.Deny

// runTest is `safeclaw test POLICY.yaml CASES.yaml...`, the short form of
// `safeclaw policy test`.
func runTest(_ context.Context, e *Env, args []string) int { return policyTest(e, args) }
