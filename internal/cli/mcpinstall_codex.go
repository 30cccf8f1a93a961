package cli

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// Codex keeps its MCP servers in config.toml:
//
//	[mcp_servers.db]
//	command = "npx"
//	args = ["-y", "@foo/server"]
//
// editCodexMCPServers rewrites such entries the way editMCPServers rewrites
// the JSON agents' ones, but as a text edit: only the bytes of the command
// and args values change (and an args line is added after command when
// there was none), so comments, key order, quoting and every other table
// stay exactly as they were.
//
// The wrapped args array is the original one with the wrapper's prefix and
// the original command spliced in front of its elements, as written:
//
//	args = ["-y", '@foo/server']    (command = "npx")
//	args = ["mcp", "--name", "db", "--", "npx", "-y", '@foo/server']
//
// so uninstall cuts the prefix off and gets the original bytes back. An
// entry that had no args gets `args = [..., "npx"]` (no comma after the
// command) and one that had `args = []` gets `[..., "npx", ]`, which keeps
// the two apart.
//
// Every form TOML allows for the entries is handled: [mcp_servers.NAME]
// tables, dotted keys (mcp_servers.NAME.command = ...) and inline tables
// (mcp_servers = { NAME = { command = ... } }). [[mcp_servers]] and
// [[mcp_servers.NAME]] (arrays of tables) are refused, as is an entry that
// is not a table. Before anything is returned the new text is parsed again
// and must mean the old document with just the intended command and args
// changed; otherwise the edit is refused and nothing is written.
func editCodexMCPServers(data []byte, exe string, remove bool) ([]byte, []mcpEntryChange, error) {
	var doc map[string]any
	if err := toml.Unmarshal(data, &doc); err != nil {
		return nil, nil, tomlError(err)
	}
	scan, err := scanCodexConfig(data)
	if err != nil {
		return nil, nil, err
	}
	raw, ok := doc["mcp_servers"]
	if !ok {
		return data, nil, nil
	}
	servers, ok := raw.(map[string]any)
	if !ok {
		return nil, nil, fmt.Errorf("line %d: mcp_servers is not a table (Codex expects [mcp_servers.NAME] tables)", scan.line)
	}
	if len(servers) != len(scan.servers) {
		return nil, nil, errors.New("cannot locate every mcp_servers entry in the file")
	}
	if !utf8.ValidString(exe) {
		return nil, nil, fmt.Errorf("safeclaw's path %q is not valid UTF-8, which TOML cannot hold", exe)
	}

	var edits []textEdit
	var changes []mcpEntryChange
	var mine [][]textEdit // each change's edits
	for _, s := range scan.servers {
		entry, ok := servers[s.name].(map[string]any)
		if !ok {
			return nil, nil, fmt.Errorf("line %d: %s is not a table", s.line, codexWhere(s.name))
		}
		es, status, err := editCodexEntry(data, s, entry, exe, remove)
		if err != nil {
			return nil, nil, fmt.Errorf("line %d: %s: %w", s.line, codexWhere(s.name), err)
		}
		if status == "" {
			continue
		}
		edits = append(edits, es...)
		changes = append(changes, mcpEntryChange{where: codexWhere(s.name), status: status, plain: true})
		mine = append(mine, es)
	}
	if len(edits) == 0 {
		return data, changes, nil
	}
	out, err := applyTextEdits(data, edits)
	if err != nil {
		return nil, nil, err
	}
	var got map[string]any
	if err := toml.Unmarshal(out, &got); err != nil {
		return nil, nil, fmt.Errorf("the rewritten file would not be valid TOML (%v); nothing changed", tomlError(err))
	}
	if !sameTOMLValue(doc, got) {
		return nil, nil, errors.New("the rewritten file would not mean what was intended; nothing changed")
	}
	for i, es := range mine {
		if len(es) > 0 {
			changes[i].before, changes[i].after = editedLines(data, es)
		}
	}
	return out, changes, nil
}

// editCodexEntry returns the edits for one server and what they do; entry is
// the server's table as decoded, which editCodexEntry updates to what the
// edited file must mean. status is empty for an entry the operation does not
// concern (uninstalling an unwrapped one).
func editCodexEntry(data []byte, s *codexServer, entry map[string]any, exe string, remove bool) ([]textEdit, string, error) {
	var command string
	cmdVal, hasCommand := entry["command"]
	if hasCommand {
		c, ok := cmdVal.(string)
		if !ok || c == "" {
			return nil, `not wrapped: "command" is not a non-empty string`, nil
		}
		if s.command == nil {
			return nil, "", errors.New(`cannot locate "command" in the file`)
		}
		command = c
	}
	var args []string
	if a, ok := entry["args"]; ok {
		list, ok := a.([]any)
		if !ok {
			return nil, `not wrapped: "args" is not a list of strings`, nil
		}
		for _, v := range list {
			str, ok := v.(string)
			if !ok {
				return nil, `not wrapped: "args" is not a list of strings`, nil
			}
			args = append(args, str)
		}
		if s.args == nil || len(s.args.elems) != len(args) || data[s.args.valStart] != '[' || data[s.args.end-1] != ']' {
			return nil, "", errors.New(`cannot locate "args" in the file`)
		}
	}
	if !hasCommand {
		if remove {
			return nil, "", nil
		}
		if url, ok := entry["url"].(string); ok && url != "" {
			return nil, remoteMCPStatus(url, s.name), nil
		}
		return nil, "not wrapped: no command", nil
	}

	inner, wrapped := unwrapMCPArgv(command, args, exe)
	switch {
	case remove && !wrapped:
		return nil, "", nil
	case remove:
		cmd := len(args) - len(inner) // the index of the server's own command in args
		entry["command"] = inner[0]
		if _, ok := s.args.rest(data, cmd); ok {
			entry["args"] = stringsToAny(inner[1:])
		} else {
			delete(entry, "args")
		}
		return unwrapCodexEntry(data, s, cmd), "unwrapped: runs " + strings.Join(inner, " "), nil
	case wrapped && command == exe:
		return nil, "already wrapped", nil
	case wrapped:
		entry["command"] = exe
		return []textEdit{{start: s.command.valStart, end: s.command.end, text: tomlString(exe)}}, "wrapped (safeclaw's path updated)", nil
	}

	name := mcpWrapName(s.name)
	prefix := `["mcp", "--name", ` + tomlString(name) + `, "--", ` + string(data[s.command.valStart:s.command.end])
	entry["command"] = exe
	entry["args"] = stringsToAny(append([]string{"mcp", "--name", name, "--", command}, args...))
	status := "wrapped: safeclaw mcp --name " + name
	setCommand := textEdit{start: s.command.valStart, end: s.command.end, text: tomlString(exe)}
	if s.args != nil {
		// The original elements follow, as written: only "[" is replaced
		// (and no blank is left at the end of a line).
		sep := ", "
		if next := data[s.args.valStart+1]; next == '\n' || next == '\r' {
			sep = ","
		}
		return []textEdit{setCommand, {start: s.args.valStart, end: s.args.valStart + 1, text: prefix + sep}}, status, nil
	}
	newArgs := s.command.keyPrefix + "args = " + prefix + "]"
	if s.command.inline {
		setCommand.text += ", " + newArgs
		return []textEdit{setCommand}, status, nil
	}
	// A line of its own after command's (before its line break), indented like it.
	indent := string(data[lineStart(data, s.command.start):s.command.start])
	at, eol := lineEnd(data, s.command.end), "\n"
	if at < len(data) {
		if at > 0 && data[at-1] == '\r' {
			at, eol = at-1, "\r\n"
		}
	} else if bytes.Contains(data, []byte("\r\n")) {
		eol = "\r\n"
	}
	return []textEdit{setCommand, {start: at, end: at, text: eol + indent + newArgs}}, status, nil
}

// unwrapCodexEntry returns the edits that give a wrapped entry back its own
// command (the element at index cmd of args, as written) and args (the
// elements after it, as written), or no args when there were none.
func unwrapCodexEntry(data []byte, s *codexServer, cmd int) []textEdit {
	a := s.args
	c := a.elems[cmd]
	edits := []textEdit{{start: s.command.valStart, end: s.command.end, text: string(data[c.start:c.end])}}
	if rest, ok := a.rest(data, cmd); ok {
		return append(edits, textEdit{start: a.valStart, end: a.end, text: "[" + string(data[rest:a.end])})
	}
	// There were no args before wrapping: the key-value goes, as install added it.
	if a.inline {
		i := a.start
		for i > 0 && (data[i-1] == ' ' || data[i-1] == '\t') {
			i--
		}
		if i > 0 && data[i-1] == ',' {
			return append(edits, textEdit{start: i - 1, end: a.end})
		}
		if j := skipBlanks(data, a.end); j < len(data) && data[j] == ',' {
			return append(edits, textEdit{start: a.start, end: skipBlanks(data, j+1)})
		}
		return append(edits, textEdit{start: a.start, end: a.end})
	}
	ls := lineStart(data, a.start)
	j := skipBlanks(data, a.end)
	le := j
	if j < len(data) && data[j] == '\r' && j+1 < len(data) && data[j+1] == '\n' {
		j++
	}
	switch {
	case strings.Trim(string(data[ls:a.start]), " \t") != "" || j < len(data) && data[j] != '\n':
		// Something else is on the line (a comment): it stays.
		return append(edits, textEdit{start: a.start, end: skipBlanks(data, a.end)})
	case ls >= 2 && data[ls-2] == '\r':
		return append(edits, textEdit{start: ls - 2, end: le}) // with the line break before it
	case ls >= 1:
		return append(edits, textEdit{start: ls - 1, end: le})
	case j < len(data):
		return append(edits, textEdit{start: 0, end: j + 1})
	}
	return append(edits, textEdit{start: 0, end: len(data)})
}

// codexConfig is what scanCodexConfig found: where mcp_servers is first
// mentioned and its entries in the order they first appear.
type codexConfig struct {
	line    int
	servers []*codexServer
}

// codexServer locates one server entry's command and args in the file.
type codexServer struct {
	name          string
	line          int
	command, args *tomlKeyValue
}

// tomlKeyValue locates one `key = value` in the file: start and end span it
// (end is just after the value), the value starts at valStart.
type tomlKeyValue struct {
	start, valStart, end int
	keyPrefix            string // the key as written before its last part: "" or "mcp_servers.db."
	inline               bool   // inside an inline table
	elems                []span // an array's elements, when all are strings
}

type span struct{ start, end int }

// rest returns where the elements after elems[cmd] start in an args array
// value, when the array goes on after it (with a comma): just after the
// comma and the one space install puts after it.
func (kv *tomlKeyValue) rest(data []byte, cmd int) (int, bool) {
	i := kv.elems[cmd].end
	for i < kv.end-1 {
		switch data[i] {
		case ' ', '\t', '\r', '\n':
			i++
		case '#':
			for i < kv.end-1 && data[i] != '\n' {
				i++
			}
		case ',':
			if i+1 < kv.end-1 && data[i+1] == ' ' {
				return i + 2, true
			}
			return i + 1, true
		default:
			return 0, false
		}
	}
	return 0, false
}

// scanCodexConfig walks the file's expressions and locates every
// mcp_servers entry's command and args.
func scanCodexConfig(data []byte) (*codexConfig, error) {
	cfg := &codexConfig{}
	byName := map[string]*codexServer{}
	var p unstable.Parser
	p.Reset(data)
	line := func(n *unstable.Node) int { return p.Shape(n.Raw).Start.Line }
	server := func(name string, at int) *codexServer {
		s := byName[name]
		if s == nil {
			s = &codexServer{name: name, line: at}
			byName[name] = s
			cfg.servers = append(cfg.servers, s)
		}
		return s
	}
	var visit func(kv *unstable.Node, table []string, inline bool) error
	visit = func(kv *unstable.Node, table []string, inline bool) error {
		keys, first, last := nodeKeys(kv)
		path := append(append([]string(nil), table...), keys...)
		if path[0] != "mcp_servers" {
			return nil
		}
		at := line(first)
		if cfg.line == 0 {
			cfg.line = at
		}
		if len(path) >= 2 {
			server(path[1], at)
		}
		v := kv.Value()
		switch len(path) {
		case 1, 2:
			if v.Kind != unstable.InlineTable {
				return nil // decoding tells it is not a table
			}
			it := v.Children()
			for it.Next() {
				if c := it.Node(); c.Kind == unstable.KeyValue {
					if err := visit(c, path, true); err != nil {
						return err
					}
				}
			}
		case 3:
			if path[2] != "command" && path[2] != "args" {
				return nil
			}
			loc, err := locateKeyValue(data, kv, first, last, inline)
			if err != nil {
				return fmt.Errorf("line %d: %w", at, err)
			}
			if path[2] == "command" {
				byName[path[1]].command = loc
			} else {
				byName[path[1]].args = loc
			}
		}
		return nil
	}
	var table []string
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			var first *unstable.Node
			table, first, _ = nodeKeys(e)
			if table[0] != "mcp_servers" {
				continue
			}
			at := line(first)
			if cfg.line == 0 {
				cfg.line = at
			}
			if e.Kind == unstable.ArrayTable && len(table) <= 2 {
				return nil, fmt.Errorf("line %d: [[%s]] makes an array of tables; Codex expects [mcp_servers.NAME] tables", at, strings.Join(table, "."))
			}
			if len(table) >= 2 {
				server(table[1], at)
			}
		case unstable.KeyValue:
			if err := visit(e, table, false); err != nil {
				return nil, err
			}
		}
	}
	if err := p.Error(); err != nil {
		return nil, tomlParserError(&p, err)
	}
	return cfg, nil
}

// nodeKeys returns a table header's or key-value's key parts and their
// first and last nodes.
func nodeKeys(n *unstable.Node) (keys []string, first, last *unstable.Node) {
	it := n.Key()
	for it.Next() {
		k := it.Node()
		if first == nil {
			first = k
		}
		last = k
		keys = append(keys, string(k.Data))
	}
	return keys, first, last
}

func locateKeyValue(data []byte, kv, first, last *unstable.Node, inline bool) (*tomlKeyValue, error) {
	loc := &tomlKeyValue{
		start:     int(kv.Raw.Offset),
		end:       int(kv.Raw.Offset + kv.Raw.Length),
		keyPrefix: string(data[first.Raw.Offset:last.Raw.Offset]),
		inline:    inline,
	}
	i := skipBlanks(data, int(last.Raw.Offset+last.Raw.Length))
	if i >= loc.end || data[i] != '=' {
		return nil, errors.New("cannot find the '=' of a key-value")
	}
	loc.valStart = skipBlanks(data, i+1)
	if v := kv.Value(); v.Kind == unstable.Array {
		it := v.Children()
		for it.Next() {
			c := it.Node()
			if c.Kind != unstable.String {
				loc.elems = nil
				break
			}
			loc.elems = append(loc.elems, span{int(c.Raw.Offset), int(c.Raw.Offset + c.Raw.Length)})
		}
	}
	if loc.valStart >= loc.end {
		return nil, errors.New("cannot find the value of a key-value")
	}
	return loc, nil
}

// textEdit replaces data[start:end] with text.
type textEdit struct {
	start, end int
	text       string
}

func applyTextEdits(data []byte, edits []textEdit) ([]byte, error) {
	sort.SliceStable(edits, func(i, j int) bool { return edits[i].start < edits[j].start })
	var b bytes.Buffer
	at := 0
	for _, e := range edits {
		if e.start < at || e.end < e.start || e.end > len(data) {
			return nil, errors.New("overlapping edits; nothing changed")
		}
		b.Write(data[at:e.start])
		b.WriteString(e.text)
		at = e.end
	}
	b.Write(data[at:])
	return b.Bytes(), nil
}

// editedLines returns the whole lines that edits change in data, before
// and after the change (other entries' edits left out).
func editedLines(data []byte, edits []textEdit) (before, after []byte) {
	lo, hi, delta := edits[0].start, edits[0].end, 0
	for _, e := range edits {
		lo, hi = min(lo, e.start), max(hi, e.end)
		delta += len(e.text) - (e.end - e.start)
	}
	lo, hi = lineStart(data, lo), lineEnd(data, hi)
	out, err := applyTextEdits(data, append([]textEdit(nil), edits...))
	if err != nil {
		return nil, nil
	}
	return bytes.TrimRight(data[lo:hi], "\r\n"), bytes.TrimRight(out[lo:hi+delta], "\r\n")
}

func lineStart(data []byte, i int) int {
	return bytes.LastIndexByte(data[:i], '\n') + 1
}

func lineEnd(data []byte, i int) int {
	if n := bytes.IndexByte(data[i:], '\n'); n >= 0 {
		return i + n
	}
	return len(data)
}

func skipBlanks(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t') {
		i++
	}
	return i
}

// tomlString quotes s as a TOML basic string.
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// codexWhere names a server entry as a TOML key.
func codexWhere(name string) string {
	bare := name != ""
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			bare = false
		}
	}
	if bare {
		return "mcp_servers." + name
	}
	return "mcp_servers." + tomlString(name)
}

func stringsToAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// sameTOMLValue is reflect.DeepEqual for decoded TOML, where nan equals nan
// and times compare as instants of the same zone offset.
func sameTOMLValue(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !sameTOMLValue(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameTOMLValue(x[i], y[i]) {
				return false
			}
		}
		return true
	case float64:
		y, ok := b.(float64)
		return ok && (x == y && math.Signbit(x) == math.Signbit(y) || math.IsNaN(x) && math.IsNaN(y))
	case time.Time:
		y, ok := b.(time.Time)
		_, xo := x.Zone()
		_, yo := y.Zone()
		return ok && x.Equal(y) && xo == yo
	}
	return reflect.DeepEqual(a, b)
}

// tomlError gives a TOML decoding error its line and column.
func tomlError(err error) error {
	var de *toml.DecodeError
	if errors.As(err, &de) {
		row, col := de.Position()
		return fmt.Errorf("line %d, column %d: %s", row, col, strings.TrimPrefix(de.Error(), "toml: "))
	}
	return err
}

func tomlParserError(p *unstable.Parser, err error) error {
	var pe *unstable.ParserError
	if errors.As(err, &pe) && len(pe.Highlight) > 0 {
		pos := p.Shape(p.Range(pe.Highlight)).Start
		return fmt.Errorf("line %d, column %d: %s", pos.Line, pos.Column, pe.Message)
	}
	return err
}
