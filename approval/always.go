package approval

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/internal/filelock"
)

// AlwaysHeader starts a new "always" policy file.
const AlwaysHeader = `# safeclaw "always" approvals.
#
# safeclaw appends a rule here each time a person approves a request
# "always" (safeclaw approvals approve ID --always, or "a" at a terminal
# prompt), with a comment saying who approved it and when. Each rule allows
# one exact command (or one exact action). This file is its own policy
# layer: its allow rules only turn an ask into an allow; they never override
# a deny and never change the default. Review, edit or delete rules freely;
# safeclaw never edits your main policy.
name: always approvals
rules:
`

// ManagedAsk reports whether the rule that asked about r is in the managed
// policy, whose asks an "always" approval never answers (the policy does
// not let the always layer answer them either).
func ManagedAsk(r *Record) bool {
	return r.Rule != nil && r.Rule.Layer == action.ManagedLayer
}

// AlwaysRules returns the rules, as YAML items of a policy's rules list,
// that allow exactly r's request from now on: for each shell part, a
// shell.execute rule whose command_regex is anchored on the whole command
// line and whose command_pattern pins its word boundaries; for each other
// part, a rule naming its kind and exact fields. Rules are limited to r's
// agent when it has one. It fails when a part cannot be pinned exactly (a
// tool call, with arguments or without, a field or an agent name
// containing '*', a path that is not absolute or that holds "${", a host
// with a '/', which a rule reads as a CIDR, an action with no field),
// rather than write a broader rule.
func AlwaysRules(r *Record, a Answer) (string, error) {
	if r.Request == nil || len(r.Request.Parts) == 0 {
		return "", fmt.Errorf("approval request %s has nothing to allow always", r.ID)
	}
	if ManagedAsk(r) {
		return "", fmt.Errorf("the rule that asked (%q) is in the managed policy, whose questions a person answers each time; approve it once or for the session", r.Rule.Name)
	}
	// The policy reads agent: as a glob, and an agent's name can be chosen
	// by the agent (an MCP client names itself): "*" would make the rule
	// every agent's.
	if strings.Contains(r.Agent, "*") {
		return "", fmt.Errorf("the agent name %q contains '*', which a rule would read as a wildcard; approve it once or for the session", r.Agent)
	}
	if strings.IndexFunc(r.Agent, invisible) >= 0 {
		return "", fmt.Errorf("the agent name %q contains an invisible character, which a policy refuses; approve it once or for the session", r.Agent)
	}
	var b strings.Builder
	when := a.Time.UTC().Format(time.RFC3339)
	fmt.Fprintf(&b, "\n  # Approved always by %s via %s at %s (request %s", oneLine(a.Approver), oneLine(a.Channel), when, oneLine(r.ID))
	if r.Agent != "" {
		fmt.Fprintf(&b, ", agent %s", oneLine(r.Agent))
	}
	if r.Cwd != "" {
		fmt.Fprintf(&b, ", cwd %s", strconv.Quote(r.Cwd))
	}
	b.WriteString(").\n")
	fmt.Fprintf(&b, "  # Input: %s\n", strconv.Quote(r.Input))
	if a.Reason != "" {
		fmt.Fprintf(&b, "  # Reason: %s\n", strconv.Quote(a.Reason))
	}
	reason := fmt.Sprintf("always approved by %s via %s at %s (request %s)", a.Approver, a.Channel, when, r.ID)
	for i := range r.Request.Parts {
		p := &r.Request.Parts[i]
		fmt.Fprintf(&b, "  - name: %s\n", yamlString(fmt.Sprintf("always %s.%d", r.ID, i+1)))
		if len(p.Views) > 0 {
			if err := shellRule(&b, p); err != nil {
				return "", fmt.Errorf("part %d (%s): %w", i+1, p.Text, err)
			}
		} else if err := actionRule(&b, p); err != nil {
			return "", fmt.Errorf("part %d: %w", i+1, err)
		}
		if r.Agent != "" {
			fmt.Fprintf(&b, "    agent: %s\n", yamlString(r.Agent))
		}
		b.WriteString("    effect: allow\n")
		fmt.Fprintf(&b, "    reason: %s\n", yamlString(reason))
	}
	return b.String(), nil
}

// shellRule writes the matchers of a shell part: its command as written
// (the outermost view, wrappers included). Three matchers pin it together:
// command_regex anchors the whole line, command_pattern pins the program and
// the order of its positionals, and args requires each word as a whole
// word. What they cannot tell apart (a word containing white space or '*',
// an option repeated, a word with both quote characters) is refused.
func shellRule(b *strings.Builder, p *action.Part) error {
	v := p.Views[0]
	if len(v.Words) == 0 || v.Program == "" {
		return errors.New("no command")
	}
	seen := map[string]bool{}
	for i, w := range v.Words {
		if strings.IndexFunc(w, unicode.IsSpace) >= 0 {
			return fmt.Errorf("the word %q contains white space, which a rule cannot pin exactly; approve it once or for the session", w)
		}
		if strings.IndexFunc(w, invisible) >= 0 {
			return fmt.Errorf("the word %q contains an invisible character, which a policy refuses; approve it once or for the session", w)
		}
		if strings.Contains(w, "*") {
			return fmt.Errorf("the word %q contains '*', which a rule would read as a wildcard; approve it once or for the session", w)
		}
		if i > 0 && strings.HasPrefix(w, "-") && seen[w] {
			return fmt.Errorf("the option %q is repeated, which a rule cannot pin exactly; approve it once or for the session", w)
		}
		seen[w] = true
	}
	// A rule names the program by its last path element: for an
	// assignment before the command (PATH=/usr/bin make, seen as program
	// "bin"), that drops the value that says what runs.
	if w := v.Words[0]; w != v.Program && isAssignment(w) {
		return fmt.Errorf("the command starts with the assignment %q, whose value a rule cannot pin; approve it once or for the session", w)
	}
	pat, ok := patternFor(v)
	if !ok {
		return errors.New("the command cannot be written as a command_pattern; approve it once or for the session")
	}
	line := v.Program
	var args []string
	for _, w := range v.Words[1:] {
		line += " " + w
		if w != "" && !slices.Contains(args, w) {
			args = append(args, w)
		}
	}
	b.WriteString("    action: shell.execute\n")
	fmt.Fprintf(b, "    command_pattern: %s\n", yamlString(pat))
	fmt.Fprintf(b, "    command_regex: %s\n", yamlString("^"+regexp.QuoteMeta(line)+"$"))
	if len(args) > 0 {
		quoted := make([]string, len(args))
		for i, a := range args {
			quoted[i] = yamlString(a)
		}
		fmt.Fprintf(b, "    args: [%s]\n", strings.Join(quoted, ", "))
	}
	return nil
}

// isAssignment reports whether w has the form NAME=VALUE of a shell
// variable assignment.
func isAssignment(w string) bool {
	name, _, ok := strings.Cut(w, "=")
	if !ok || name == "" {
		return false
	}
	for i, c := range name {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// patternFor writes argv as a command_pattern whose words are v's words,
// or reports that a word cannot be written in pattern syntax.
func patternFor(v action.Argv) (string, bool) {
	if v.Program == "" || strings.HasPrefix(v.Program, "-") || strings.HasSuffix(v.Program, "/") || strings.Contains(v.Program, "*") {
		return "", false
	}
	words := make([]string, 0, len(v.Words))
	for _, w := range append([]string{v.Program}, v.Words[1:]...) {
		switch {
		case w != "" && !strings.ContainsAny(w, " \t\r\n\"'|&;<>()`$\\"):
			words = append(words, w)
		case !strings.Contains(w, "'"):
			words = append(words, "'"+w+"'")
		case !strings.Contains(w, `"`):
			words = append(words, `"`+w+`"`)
		default:
			return "", false
		}
	}
	return strings.Join(words, " "), true
}

// actionRule writes the matchers of a non-shell part: its one facet's kind
// and every field, exactly.
func actionRule(b *strings.Builder, p *action.Part) error {
	if len(p.Facets) != 1 {
		return fmt.Errorf("%d actions in one part cannot be pinned by one rule", len(p.Facets))
	}
	f := p.Facets[0]
	// A rule cannot pin a call's arguments, nor their absence: written
	// without them, it would allow the call with any arguments.
	if f.Args != nil || argsKinds[f.Kind] {
		return errors.New("a tool call's arguments cannot be pinned in a policy rule; approve it once or for the session")
	}
	fmt.Fprintf(b, "    action: %s\n", yamlString(string(f.Kind)))
	n := 0
	field := func(key, val string) error {
		if val == "" {
			return nil
		}
		if strings.IndexFunc(val, invisible) >= 0 {
			return fmt.Errorf("%s %q contains an invisible character, which a policy refuses", key, val)
		}
		if strings.Contains(val, "*") {
			return fmt.Errorf("%s %q contains '*', which a rule would read as a wildcard", key, val)
		}
		// A path glob that does not start with '/' matches at any depth
		// (and ~ is the approver's home): only an absolute, clean path
		// names the one file that was approved.
		if key == "path" && (!strings.HasPrefix(val, "/") || path.Clean(val) != val) {
			return fmt.Errorf("path %q is not an absolute, clean path, which a rule would match elsewhere; approve it once or for the session", val)
		}
		// A rule reads a host with a slash as a CIDR (0.0.0.0/0 is every
		// IPv4 address), and a path with ${workspace} expands it: neither
		// names only what was approved.
		if key == "host" && strings.Contains(val, "/") {
			return fmt.Errorf("host %q contains '/', which a rule would read as an address range; approve it once or for the session", val)
		}
		if key == "path" && strings.Contains(val, "${") {
			return fmt.Errorf("path %q contains '${', which a rule would expand; approve it once or for the session", val)
		}
		fmt.Fprintf(b, "    %s: %s\n", key, yamlString(val))
		n++
		return nil
	}
	if f.Port != 0 {
		fmt.Fprintf(b, "    port: %d\n", f.Port)
		n++
	}
	for _, kv := range [][2]string{{"host", f.Host}, {"path", f.Path}, {"url", f.URL}, {"tool", f.Tool}, {"server", f.Server}} {
		if err := field(kv[0], kv[1]); err != nil {
			return err
		}
	}
	if n == 0 {
		return fmt.Errorf("%s has no field to pin; a rule would allow every %s", f.Kind, f.Kind)
	}
	return nil
}

// argsKinds are the kinds of actions whose arguments say what they do (a
// tool call, a prompt, a subagent's task, a search's query), even when a
// request has none.
var argsKinds = map[action.Kind]bool{
	action.MCPCall: true, action.MCPPrompt: true, action.AgentSpawn: true, action.WebSearch: true,
}

// yamlString quotes s as a YAML double-quoted scalar. Everything outside
// printable ASCII and ordinary printable Unicode is escaped (YAML forbids
// most control characters, and escaping format characters keeps the file
// reviewable).
func yamlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r >= 0x20 && r < 0x7f:
			b.WriteRune(r)
		case r >= 0xa0 && r != utf8.RuneError && r <= 0xfffd && !unicode.Is(unicode.Cf, r) && !(r >= 0xd800 && r < 0xe000) && unicode.IsPrint(r):
			b.WriteRune(r)
		case r >= 0x10000 && unicode.IsPrint(r):
			b.WriteRune(r)
		case r <= 0xffff:
			fmt.Fprintf(&b, "\\u%04x", r)
		default:
			fmt.Fprintf(&b, "\\U%08x", r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func oneLine(s string) string {
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}

// AppendAlways appends rules (from [AlwaysRules]) to the policy file at
// path, creating it with [AlwaysHeader] when absent. validate receives the
// whole new content and must accept it (parse and compile it as a policy);
// otherwise nothing is written. Concurrent appenders are serialised with a
// lock file, and the file is replaced atomically with mode 0600.
func AppendAlways(path, rules string, validate func(data []byte) error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	unlock, err := filelock.Lock(path + ".lock")
	if err != nil {
		return fmt.Errorf("lock %s: %w", path, err)
	}
	defer unlock()
	old, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		old = []byte(AlwaysHeader)
	case err != nil:
		return err
	}
	data := append([]byte(nil), old...)
	if len(data) > 0 && data[len(data)-1] != '\n' {
		data = append(data, '\n')
	}
	data = append(data, rules...)
	if validate != nil {
		if err := validate(data); err != nil {
			return fmt.Errorf("%s would not be a valid policy after adding the rule (fix or remove the file): %w", path, err)
		}
	}
	return writeAtomic(path, data, 0o600)
}

// writeAtomic replaces path with data: temp file, fsync, rename, fsync dir.
func writeAtomic(path string, data []byte, mode fs.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op after the rename
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // best effort: not every file system syncs directories
		d.Close()
	}
	return nil
}

// invisible reports a character a policy refuses in a matcher because a
// reader cannot see it (policy's matcher checks): white space other than
// ASCII's, format characters (zero-width and bidirectional controls,
// U+0600...) and control characters (C0 but tab, DEL, C1). A rule holding
// one would not load, and a policy file that does not load denies
// everything.
func invisible(r rune) bool {
	if r < 0x20 && r != '\t' || r >= 0x7f && r <= 0x9f {
		return true
	}
	return r >= 0x80 && (unicode.IsSpace(r) || unicode.Is(unicode.Cf, r))
}
