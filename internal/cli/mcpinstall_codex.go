package cli

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
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
// A streamable-HTTP server ([mcp_servers.NAME] with url; Codex has no SSE
// servers) becomes a stdio one running `safeclaw mcp --upstream URL
// --header ...`: command and args lines go where its url line was, and its
// url, bearer_token_env_var, http_headers and env_http_headers lines (which
// Codex refuses in a stdio entry) are kept as comments after codexMarker,
// which uninstall takes off again, byte for byte:
//
//	[mcp_servers.api]
//	command = "/usr/local/bin/safeclaw"
//	args = ["mcp", "--name", "api", "--upstream", "https://mcp.example.com/mcp", "--header", "Authorization: Bearer ${API_TOKEN}"]
//	#safeclaw-original: url = "https://mcp.example.com/mcp"
//	#safeclaw-original: bearer_token_env_var = "API_TOKEN"
//
// Only those keys written as key = value lines of the server's own table
// are rewritten; other layouts are listed and left alone.
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
		es, status, remote, err := editCodexEntry(data, s, entry, exe, remove)
		if err != nil {
			return nil, nil, fmt.Errorf("line %d: %s: %w", s.line, codexWhere(s.name), err)
		}
		if status == "" {
			continue
		}
		edits = append(edits, es...)
		changes = append(changes, mcpEntryChange{where: codexWhere(s.name), status: status, plain: true, remote: remote})
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
// concern (uninstalling an unwrapped one); remote is set when a remote
// server is newly wrapped.
func editCodexEntry(data []byte, s *codexServer, entry map[string]any, exe string, remove bool) (edits []textEdit, status string, remote bool, err error) {
	var command string
	cmdVal, hasCommand := entry["command"]
	if hasCommand {
		c, ok := cmdVal.(string)
		if !ok || c == "" {
			return nil, `not wrapped: "command" is not a non-empty string`, false, nil
		}
		if s.command == nil {
			return nil, "", false, errors.New(`cannot locate "command" in the file`)
		}
		command = c
	}
	var args []string
	if a, ok := entry["args"]; ok {
		list, ok := a.([]any)
		if !ok {
			return nil, `not wrapped: "args" is not a list of strings`, false, nil
		}
		for _, v := range list {
			str, ok := v.(string)
			if !ok {
				return nil, `not wrapped: "args" is not a list of strings`, false, nil
			}
			args = append(args, str)
		}
		if s.args == nil || len(s.args.elems) != len(args) || data[s.args.valStart] != '[' || data[s.args.end-1] != ']' {
			return nil, "", false, errors.New(`cannot locate "args" in the file`)
		}
	}
	if !hasCommand {
		if remove {
			return nil, "", false, nil
		}
		url, ok := entry["url"].(string)
		if !ok || url == "" {
			return nil, "not wrapped: no command", false, nil
		}
		r, status := codexRemoteMCP(entry, url)
		if status != "" {
			return nil, status, false, nil
		}
		edits, status = wrapCodexRemote(data, s, entry, r, exe)
		return edits, status, edits != nil, nil
	}

	w, wrapped := parseWrappedMCP(command, args, exe)
	switch {
	case remove && !wrapped:
		return nil, "", false, nil
	case wrapped && w.other != "":
		if remove {
			return nil, "", false, nil
		}
		return nil, "not wrapped: runs " + w.other + " already", false, nil
	case remove && w.upstream != "":
		edits, status := unwrapCodexRemote(data, s, entry, w)
		return edits, status, false, nil
	case remove:
		inner := w.inner
		cmd := len(args) - len(inner) // the index of the server's own command in args
		entry["command"] = inner[0]
		if _, ok := s.args.rest(data, cmd); ok {
			entry["args"] = stringsToAny(inner[1:])
		} else {
			delete(entry, "args")
		}
		return unwrapCodexEntry(data, s, cmd), "unwrapped: runs " + strings.Join(inner, " "), false, nil
	case wrapped && command == exe:
		return nil, statusAlreadyWrapped, false, nil
	case wrapped:
		if why := s.unrestorable(data, entry, w); why != "" {
			// Re-pointed, it could not be taken back to what it was.
			return nil, "not wrapped: runs safeclaw mcp --upstream already, and would not uninstall (" + why + ")", false, nil
		}
		entry["command"] = exe
		return []textEdit{{start: s.command.valStart, end: s.command.end, text: tomlString(exe)}}, statusRepointed, false, nil
	}

	name := mcpWrapName(s.name)
	prefix := `["mcp", "--name", ` + tomlString(name) + `, "--", ` + string(data[s.command.valStart:s.command.end])
	entry["command"] = exe
	entry["args"] = stringsToAny(append([]string{"mcp", "--name", name, "--", command}, args...))
	status = statusWrapped + "safeclaw mcp --name " + name
	setCommand := textEdit{start: s.command.valStart, end: s.command.end, text: tomlString(exe)}
	if s.args != nil {
		// The original elements follow, as written: only "[" is replaced
		// (and no blank is left at the end of a line).
		sep := ", "
		if next := data[s.args.valStart+1]; next == '\n' || next == '\r' {
			sep = ","
		}
		return []textEdit{setCommand, {start: s.args.valStart, end: s.args.valStart + 1, text: prefix + sep}}, status, false, nil
	}
	newArgs := s.command.keyPrefix + "args = " + prefix + "]"
	if s.command.inline {
		setCommand.text += ", " + newArgs
		return []textEdit{setCommand}, status, false, nil
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
	return []textEdit{setCommand, {start: at, end: at, text: eol + indent + newArgs}}, status, false, nil
}

// codexMarker starts the comment lines that keep a wrapped remote server's
// own key-values in its table, for uninstall to give them back.
const codexMarker = "#safeclaw-original: "

// codexRemoteMCP reads a Codex streamable-HTTP server entry (Codex has no
// SSE servers): its url, and its headers in safeclaw's form: http_headers
// as written (Codex does not expand them), env_http_headers as ${VAR},
// bearer_token_env_var as "Authorization: Bearer ${VAR}". status says why it
// is left alone.
func codexRemoteMCP(entry map[string]any, url string) (remoteMCP, string) {
	for _, k := range []string{"oauth", "oauth_resource", "scopes"} {
		if _, ok := entry[k]; ok {
			return remoteMCP{}, fmt.Sprintf("not wrapped: a remote server (%s) Codex signs in to itself (%s), which safeclaw mcp cannot do", url, k)
		}
	}
	for _, k := range []string{"bearer_token", "args", "env", "env_vars", "cwd"} {
		if _, ok := entry[k]; ok {
			return remoteMCP{}, fmt.Sprintf("not wrapped: a remote server (%s) with %s, which Codex does not accept for one", url, k)
		}
	}
	if status := remoteURLStatus(url, false); status != "" {
		return remoteMCP{}, status
	}
	r := remoteMCP{url: url}
	for _, key := range []string{"http_headers", "env_http_headers"} {
		raw, ok := entry[key]
		if !ok {
			continue
		}
		hs, ok := raw.(map[string]any)
		if !ok {
			return remoteMCP{}, "not wrapped: " + key + " is not a table"
		}
		names := make([]string, 0, len(hs))
		for n := range hs {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			v, ok := hs[n].(string)
			if !ok {
				return remoteMCP{}, fmt.Sprintf("not wrapped: %s.%s is not a string", key, n)
			}
			part := valuePart{lit: v}
			if key == "env_http_headers" {
				part = valuePart{env: v}
			}
			if status := r.addHeader(n, v, codexParts(key, part)); status != "" {
				return remoteMCP{}, status
			}
		}
	}
	if raw, ok := entry["bearer_token_env_var"]; ok {
		v, _ := raw.(string)
		if status := r.addHeader("Authorization", v, codexParts("bearer_token_env_var", valuePart{lit: "Bearer "}, valuePart{env: v})); status != "" {
			return remoteMCP{}, status
		}
	}
	return r, ""
}

// codexParts is a header value made of parts, for remoteMCP.addHeader;
// what key names must be an environment variable's name.
func codexParts(key string, parts ...valuePart) func(string) ([]valuePart, error) {
	return func(string) ([]valuePart, error) {
		for _, p := range parts {
			if key != "http_headers" && p.lit == "" && !isEnvName(p.env) {
				return nil, fmt.Errorf("%s names %q, which is not an environment variable's name", key, p.env)
			}
		}
		return parts, nil
	}
}

// wrapCodexRemote returns the edits that make remote server s a stdio one
// running safeclaw mcp --upstream: command and args lines are put where
// its url line was, and its url, bearer_token_env_var, http_headers and
// env_http_headers lines become comments after codexMarker, which
// unwrapCodexRemote takes off again. Only those keys written as key =
// value lines of the server's own [mcp_servers.NAME] table are rewritten;
// status says why another layout is left alone.
func wrapCodexRemote(data []byte, s *codexServer, entry map[string]any, r remoteMCP, exe string) ([]textEdit, string) {
	layout := func(why string) ([]textEdit, string) {
		return nil, fmt.Sprintf("not wrapped: a remote server (%s) in a layout safeclaw does not rewrite (%s); write its keys as key = value lines of its [%s] table and install again", r.url, why, codexWhere(s.name))
	}
	switch {
	case s.table == nil:
		return layout("not a [mcp_servers.NAME] table of its own")
	case s.odd != "":
		return layout(s.odd)
	case s.remote["url"] == nil:
		return layout("url not found")
	}
	kvs := make([]*tomlKeyValue, 0, len(s.remote))
	for k, kv := range s.remote {
		if !kv.own || !wholeLine(data, kv) {
			return layout(k + " is not a line of its own")
		}
		kvs = append(kvs, kv)
	}
	if len(s.marks) > 0 {
		return layout("its table has " + strings.TrimSpace(codexMarker) + " lines already")
	}
	sort.Slice(kvs, func(i, j int) bool { return kvs[i].start < kvs[j].start })
	url := s.remote["url"]
	at := lineStart(data, url.start)
	indent := string(data[at:url.start])
	eol := "\n"
	if e := lineEnd(data, url.end); e > 0 && e < len(data) && data[e-1] == '\r' || e == len(data) && bytes.Contains(data, []byte("\r\n")) {
		eol = "\r\n"
	}
	args := r.args(s.name)
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = tomlString(a)
	}
	var edits []textEdit
	for _, kv := range kvs {
		ls := lineStart(data, kv.start)
		text := codexMarker
		if kv == url {
			text = indent + "command = " + tomlString(exe) + eol + indent + "args = [" + strings.Join(quoted, ", ") + "]" + eol + codexMarker
		}
		edits = append(edits, textEdit{start: ls, end: ls, text: text})
	}
	for k := range codexRemoteKeys {
		delete(entry, k)
	}
	entry["command"] = exe
	entry["args"] = stringsToAny(args)
	return edits, r.status(s.name)
}

// unwrapCodexRemote returns the edits that undo wrapCodexRemote: the
// command and args lines go, the lines after codexMarker in the server's
// table come back. A server wrapped otherwise (by hand) gets keys made
// from its args instead (deriveCodexRemote).
func unwrapCodexRemote(data []byte, s *codexServer, entry map[string]any, w wrappedMCP) ([]textEdit, string) {
	if s.table == nil || !s.command.own || !s.args.own || !wholeLine(data, s.command) || !wholeLine(data, s.args) {
		edits, status := deriveCodexRemote(data, s, entry, w)
		return edits, status
	}
	marks := s.marks
	if len(marks) == 0 {
		edits, status := deriveCodexRemote(data, s, entry, w)
		return edits, status
	}
	var edits []textEdit
	var restored strings.Builder
	for _, at := range marks {
		edits = append(edits, textEdit{start: at, end: at + len(codexMarker)})
		line := bytes.TrimSuffix(data[at+len(codexMarker):lineEnd(data, at)], []byte("\r"))
		// Each must be a key = value line of its own, as install made it.
		var one map[string]any
		if t := bytes.TrimLeft(line, " \t"); len(t) > 0 && t[0] == '[' || toml.Unmarshal(line, &one) != nil || len(one) == 0 {
			return nil, fmt.Sprintf("not unwrapped: its %s line %q is not a key = value line; edit it by hand", strings.TrimSpace(codexMarker), line)
		}
		restored.Write(line)
		restored.WriteByte('\n')
	}
	var back map[string]any
	if err := toml.Unmarshal([]byte(restored.String()), &back); err != nil {
		return nil, fmt.Sprintf("not unwrapped: its %s lines do not read back as TOML (%v); edit it by hand", strings.TrimSpace(codexMarker), tomlError(err))
	}
	for k := range back {
		if _, ok := entry[k]; ok && k != "command" && k != "args" {
			return nil, fmt.Sprintf("not unwrapped: %s is both in its table and in a %s line; edit it by hand", k, strings.TrimSpace(codexMarker))
		}
	}
	delete(entry, "command")
	delete(entry, "args")
	for k, v := range back {
		entry[k] = v
	}
	for _, kv := range []*tomlKeyValue{s.command, s.args} {
		start, end := lineStart(data, kv.start), lineEnd(data, kv.end)
		if end < len(data) {
			end++
		}
		edits = append(edits, textEdit{start: start, end: end})
	}
	return edits, "unwrapped: remote server " + w.upstream
}

// unrestorable says why uninstall cannot make remote server s, wrapped as
// w, a remote one again; it is empty when it can.
func (s *codexServer) unrestorable(data []byte, entry map[string]any, w wrappedMCP) string {
	if w.upstream == "" {
		return ""
	}
	scratch := make(map[string]any, len(entry))
	for k, v := range entry {
		scratch[k] = v
	}
	if edits, status := unwrapCodexRemote(data, s, scratch, w); edits == nil {
		return strings.TrimPrefix(status, "not unwrapped: ")
	}
	return ""
}

// deriveCodexRemote returns the edits that make a server wrapped by hand
// (no codexMarker lines) a remote one again, with keys made from its args:
// url where command was; where args was, bearer_token_env_var for an
// "Authorization: Bearer ${VAR}" header, env_http_headers for "K: ${VAR}",
// http_headers for text without variables. A header mixing text and
// variables has no Codex form: the server is left alone, saying so.
func deriveCodexRemote(data []byte, s *codexServer, entry map[string]any, w wrappedMCP) ([]textEdit, string) {
	if _, ok := entry["url"]; ok {
		return nil, "not unwrapped: it has a url already; edit it by hand"
	}
	httpHeaders, envHeaders := map[string]string{}, map[string]string{}
	bearer := ""
	for _, h := range w.headers {
		k, v, _ := strings.Cut(h, ":")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if _, dup := httpHeaders[k]; dup || envHeaders[k] != "" {
			return nil, "not unwrapped: header " + k + " is given twice; edit it by hand"
		}
		parts := expandedParts(v)
		switch {
		case bearer == "" && strings.EqualFold(k, "Authorization") && len(parts) == 2 && parts[0].lit == "Bearer " && isEnvName(parts[1].env):
			bearer = parts[1].env
		case len(parts) == 1 && isEnvName(parts[0].env):
			envHeaders[k] = parts[0].env
		case len(parts) == 0 || len(parts) == 1 && parts[0].env == "":
			httpHeaders[k] = v
		default:
			return nil, "not unwrapped: header " + k + " mixes text and environment variables, which Codex cannot write; edit it by hand"
		}
	}
	var kvs []string
	for _, hs := range []struct {
		key string
		m   map[string]string
	}{{"http_headers", httpHeaders}, {"env_http_headers", envHeaders}} {
		if len(hs.m) == 0 {
			continue
		}
		names := make([]string, 0, len(hs.m))
		decoded := map[string]any{}
		for n, v := range hs.m {
			names = append(names, n)
			decoded[n] = v
		}
		sort.Strings(names)
		pairs := make([]string, len(names))
		for i, n := range names {
			pairs[i] = tomlKey(n) + " = " + tomlString(hs.m[n])
		}
		kvs = append(kvs, hs.key+" = { "+strings.Join(pairs, ", ")+" }")
		entry[hs.key] = decoded
	}
	if bearer != "" {
		kvs = append(kvs, "bearer_token_env_var = "+tomlString(bearer))
		entry["bearer_token_env_var"] = bearer
	}
	delete(entry, "command")
	delete(entry, "args")
	entry["url"] = w.upstream
	edits := []textEdit{{start: s.command.start, end: s.command.end, text: s.command.keyPrefix + "url = " + tomlString(w.upstream)}}
	a := s.args
	if len(kvs) == 0 {
		edits = append(edits, deleteKeyValue(data, a))
	} else {
		sep := ", "
		if !a.inline {
			eol := "\n"
			if e := lineEnd(data, a.end); e > 0 && e < len(data) && data[e-1] == '\r' {
				eol = "\r\n"
			}
			sep = eol + string(data[lineStart(data, a.start):a.start])
		}
		for i := range kvs {
			kvs[i] = a.keyPrefix + kvs[i]
		}
		edits = append(edits, textEdit{start: a.start, end: a.end, text: strings.Join(kvs, sep)})
	}
	return edits, "unwrapped: remote server " + w.upstream + " (its keys made from args: no " + strings.TrimSpace(codexMarker) + " lines)"
}

// expandedParts splits v as safeclaw mcp --header expands it: text, and
// the variables it reads.
func expandedParts(v string) []valuePart {
	pieces := strings.Split(os.Expand(v, func(name string) string { return "\x00" + name + "\x00" }), "\x00")
	var parts []valuePart
	for i, p := range pieces {
		switch {
		case i%2 == 1:
			parts = append(parts, valuePart{env: p})
		case p != "":
			parts = append(parts, valuePart{lit: p})
		}
	}
	return parts
}

// tomlKey writes k as a TOML key: bare when it can be.
func tomlKey(k string) string {
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return tomlString(k)
		}
	}
	if k == "" {
		return `""`
	}
	return k
}

// wholeLine reports whether kv, on one line, is all there is on it but
// blanks and a comment.
func wholeLine(data []byte, kv *tomlKeyValue) bool {
	ls, le := lineStart(data, kv.start), lineEnd(data, kv.end)
	if strings.Trim(string(data[ls:kv.start]), " \t") != "" || bytes.IndexByte(data[kv.start:kv.end], '\n') >= 0 {
		return false
	}
	rest := strings.Trim(string(data[kv.end:le]), " \t\r")
	return rest == "" || rest[0] == '#'
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
	return append(edits, deleteKeyValue(data, a))
}

// deleteKeyValue returns the edit that takes key-value a out of the file:
// with its comma in an inline table, with its line when alone on it.
func deleteKeyValue(data []byte, a *tomlKeyValue) textEdit {
	if a.inline {
		i := a.start
		for i > 0 && (data[i-1] == ' ' || data[i-1] == '\t') {
			i--
		}
		if i > 0 && data[i-1] == ',' {
			return textEdit{start: i - 1, end: a.end}
		}
		if j := skipBlanks(data, a.end); j < len(data) && data[j] == ',' {
			return textEdit{start: a.start, end: skipBlanks(data, j+1)}
		}
		return textEdit{start: a.start, end: a.end}
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
		return textEdit{start: a.start, end: skipBlanks(data, a.end)}
	case ls >= 2 && data[ls-2] == '\r':
		return textEdit{start: ls - 2, end: le} // with the line break before it
	case ls >= 1:
		return textEdit{start: ls - 1, end: le}
	case j < len(data):
		return textEdit{start: 0, end: j + 1}
	}
	return textEdit{start: 0, end: len(data)}
}

// codexConfig is what scanCodexConfig found: where mcp_servers is first
// mentioned and its entries in the order they first appear.
type codexConfig struct {
	line    int
	servers []*codexServer
}

// codexServer locates one server entry's command and args in the file, and
// for a remote server its own [mcp_servers.NAME] table and remote keys.
type codexServer struct {
	name          string
	line          int
	command, args *tomlKeyValue
	table         *span                    // the table's body: from after its header's line to the next header
	marks         []int                    // where the codexMarker comment lines in the body start
	remote        map[string]*tomlKeyValue // the codexRemoteKeys, when written as key = value
	odd           string                   // why a remote key is written otherwise
}

// codexRemoteKeys are the keys of a streamable-HTTP server that a stdio one
// must not have (Codex refuses the entry).
var codexRemoteKeys = map[string]bool{"url": true, "bearer_token_env_var": true, "http_headers": true, "env_http_headers": true}

// tomlKeyValue locates one `key = value` in the file: start and end span it
// (end is just after the value), the value starts at valStart.
type tomlKeyValue struct {
	start, valStart, end int
	keyPrefix            string // the key as written before its last part: "" or "mcp_servers.db."
	inline               bool   // inside an inline table
	own                  bool   // a one-part key of its server's own [mcp_servers.NAME] table
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
			if path[2] != "command" && path[2] != "args" && !codexRemoteKeys[path[2]] {
				return nil
			}
			loc, err := locateKeyValue(data, kv, first, last, inline)
			if err != nil {
				return fmt.Errorf("line %d: %w", at, err)
			}
			loc.own = len(table) == 2 && len(keys) == 1 && !inline
			s := byName[path[1]]
			switch path[2] {
			case "command":
				s.command = loc
			case "args":
				s.args = loc
			default:
				if s.remote == nil {
					s.remote = map[string]*tomlKeyValue{}
				}
				s.remote[path[2]] = loc
			}
		default:
			if s := byName[path[1]]; codexRemoteKeys[path[2]] && s.odd == "" {
				s.odd = path[2] + " is written as dotted keys"
			}
		}
		return nil
	}
	var table []string
	var body *span // the open [mcp_servers.NAME] table's body
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			var first, last *unstable.Node
			table, first, last = nodeKeys(e)
			if body != nil {
				body.end = lineStart(data, int(first.Raw.Offset))
				body = nil
			}
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
			if len(table) < 2 {
				continue
			}
			s := server(table[1], at)
			switch {
			case len(table) == 2 && e.Kind == unstable.Table:
				start := lineEnd(data, int(last.Raw.Offset+last.Raw.Length))
				if start < len(data) {
					start++
				}
				body = &span{start: start, end: len(data)}
				s.table = body
			case codexRemoteKeys[table[2]] && s.odd == "":
				s.odd = table[2] + " is written as a table"
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
	// The marker comments, found as comments (not as text in a multi-line
	// string), by a second pass: kept comments would be array elements in
	// the first.
	var marks []int
	p.Reset(data)
	p.KeepComments = true
	for p.NextExpression() {
		if e := p.Expression(); e.Kind == unstable.Comment {
			at := int(e.Raw.Offset)
			if at == lineStart(data, at) && bytes.HasPrefix(data[at:], []byte(codexMarker)) {
				marks = append(marks, at)
			}
		}
	}
	for _, s := range cfg.servers {
		for _, at := range marks {
			if s.table != nil && at >= s.table.start && at < s.table.end {
				s.marks = append(s.marks, at)
			}
		}
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
