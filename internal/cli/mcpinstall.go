package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/safeclaw/safeclaw/internal/jsonobj"
	"github.com/safeclaw/safeclaw/mcpproxy"
)

// installMCP is `safeclaw install AGENT --mcp` (and uninstall): it rewrites
// each MCP server configured for agent to run through `safeclaw mcp` (exe is
// safeclaw's absolute path), or back. settings, when given, is the one file
// to edit.
//
// A stdio entry keeps everything the original had; only command and args
// change, to exe and ["mcp", "--name", NAME, "--", COMMAND, ARGS...], so the
// original is recoverable from the entry itself and uninstall restores it
// (an empty "args" list comes back as no "args" key, which agents read the
// same). A remote streamable-HTTP entry becomes a stdio one running
// ["mcp", "--name", NAME, "--upstream", URL, "--header", "K: V"...], its
// other keys kept; uninstall rebuilds the URL and headers keys from those
// args (see wrapRemoteJSON). SSE servers and remote entries safeclaw cannot
// reproduce (OAuth, header helpers, variables it cannot expand) are left
// alone and listed. Codex's config.toml is edited as text by
// editCodexMCPServers, the same way.
func (e *Env) installMCP(agent string, project, managed bool, settings, exe string, dryRun, uninstall bool) int {
	if managed {
		return errorf(e, "install --mcp: --managed is not supported; give --settings FILE")
	}
	edit := func(data []byte) ([]byte, []mcpEntryChange, error) {
		if agent == "codex" {
			return editCodexMCPServers(data, exe, uninstall) // config.toml
		}
		return editMCPServers(data, agent, exe, uninstall)
	}
	paths := []string{settings}
	if settings != "" {
		abs, err := filepath.Abs(settings)
		if err != nil {
			return errorf(e, "install --mcp: %v", err)
		}
		paths[0] = abs
	} else {
		var err error
		if paths, err = e.mcpConfigPaths(agent, project); err != nil {
			return errorf(e, "install --mcp: %v", err)
		}
	}
	found, remote := false, false
	for _, path := range paths {
		old, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return errorf(e, "install --mcp: %v", err)
		}
		found = true
		out, changes, err := edit(old)
		if err != nil {
			return hintf(e, "fix the file by hand (it was not changed), or give --settings FILE", "install --mcp: %s: %v", path, err)
		}
		if len(changes) == 0 {
			fmt.Fprintf(e.Stdout, "%s: no MCP servers configured\n", path)
			continue
		}
		changed := false
		for _, c := range changes {
			fmt.Fprintf(e.Stdout, "%s: %s: %s\n", path, c.where, c.status)
			if c.changed() {
				changed = true
				remote = remote || c.remote
			}
		}
		if dryRun {
			if changed {
				fmt.Fprintf(e.Stderr, "safeclaw: dry run: would write %s\n", path)
				writeMCPDiff(e, path, changes)
			}
			continue
		}
		if !changed {
			continue
		}
		if code, refused := refuseReadOnly(e, "install --mcp", path); refused {
			return code
		}
		target, err := settingsTarget(path)
		if err != nil {
			return errorf(e, "install --mcp: %v", err)
		}
		if uninstall && agent != "codex" {
			out = layoutFromBackup(target, out)
		}
		backup, err := settingsEdit{target: target, old: old, existed: true, out: out, perm: 0o600, stamp: e.backupStamp()}.commit()
		if backup != "" {
			fmt.Fprintf(e.Stdout, "backup: %s\n", backup)
		}
		if err != nil {
			return errorf(e, "install --mcp: write %s: %v", target, err)
		}
	}
	if !found {
		fmt.Fprintf(e.Stdout, "no MCP server settings for %s (looked in %s); nothing changed\n", agent, strings.Join(paths, ", "))
		return exitOK
	}
	if remote {
		writeRemoteMCPNote(e, agent)
	}
	if !uninstall && !dryRun {
		fmt.Fprintln(e.Stdout, "note: restart the agent (or reload its MCP servers) for the change to take effect; 'safeclaw uninstall "+agent+" --mcp' undoes it")
	}
	return exitOK
}

// writeRemoteMCPNote says what changes for the remote servers now reached
// through safeclaw: where their headers' secrets are, and what is lost.
func writeRemoteMCPNote(e *Env, agent string) {
	fmt.Fprintln(e.Stdout, "note: safeclaw now connects to the wrapped remote servers itself, with the headers from their entries as --header arguments:")
	fmt.Fprintln(e.Stdout, "  - ${VAR} in a header is read from the environment safeclaw inherits from the agent (unset: the server fails to start)")
	fmt.Fprintln(e.Stdout, "  - a value written out in the settings file (a token) stays there and is now also on safeclaw's command line, which other local users can list (ps); write it as ${VAR} to keep it off")
	switch agent {
	case "claude":
		fmt.Fprintln(e.Stdout, "  - Claude Code may expand ${VAR} in an entry's args itself (it does in .mcp.json), which puts the value on the command line too")
	case "gemini":
		fmt.Fprintln(e.Stdout, "  - Gemini CLI expands $VAR and ${VAR} in an entry's args itself, which puts the value on the command line too")
	}
	fmt.Fprintln(e.Stdout, "  - safeclaw does not sign in with OAuth: a server the agent signed in to answers 401 and fails until unwrapped")
}

// mcpConfigPaths lists the files where agent keeps its MCP servers.
func (e *Env) mcpConfigPaths(agent string, project bool) ([]string, error) {
	base := e.Home
	if project {
		base = e.Cwd
	}
	if base == "" {
		return nil, errors.New("no home directory; give --settings FILE")
	}
	switch agent {
	case "claude":
		if project {
			return []string{filepath.Join(base, ".mcp.json")}, nil
		}
		// User and local scopes (projects.PATH.mcpServers) are both in .claude.json.
		if d := e.Getenv("CLAUDE_CONFIG_DIR"); d != "" {
			return []string{filepath.Join(d, ".claude.json")}, nil
		}
		return []string{filepath.Join(base, ".claude.json")}, nil
	case "gemini":
		return []string{filepath.Join(base, ".gemini", "settings.json")}, nil
	case "cursor":
		return []string{filepath.Join(base, ".cursor", "mcp.json")}, nil
	case "codex":
		if d := e.codexHomeEnv(); d != "" && !project {
			return []string{filepath.Join(d, "config.toml")}, nil
		}
		return []string{filepath.Join(base, ".codex", "config.toml")}, nil
	}
	return nil, fmt.Errorf("no MCP settings known for %q", agent)
}

// mcpEntryChange is what happened to one server entry.
type mcpEntryChange struct {
	where         string // mcpServers.NAME, projects.PATH.mcpServers.NAME or mcp_servers.NAME
	status        string
	before, after []byte // the entry's JSON, or with plain, the file's lines that change
	plain         bool
	remote        bool // a remote server newly wrapped (the install note concerns it)
}

func (c mcpEntryChange) changed() bool { return !bytes.Equal(c.before, c.after) }

// The statuses that say whether an entry runs through safeclaw mcp; install
// prints them and doctor reads them.
const (
	statusWrapped        = "wrapped: " // newly wrapped, followed by the command
	statusAlreadyWrapped = "already wrapped"
	statusRepointed      = "wrapped (safeclaw's path updated)"
)

// coverage tells what installing does to the entry: wraps it now, or finds
// it behind safeclaw mcp already (another safeclaw's path counts).
func (c mcpEntryChange) coverage() (wraps, already bool) {
	return strings.HasPrefix(c.status, statusWrapped), c.status == statusAlreadyWrapped || c.status == statusRepointed
}

// editMCPServers wraps (or, with remove, unwraps) the server entries under
// "mcpServers" and "projects.*.mcpServers" of agent's JSON settings file.
func editMCPServers(data []byte, agent, exe string, remove bool) ([]byte, []mcpEntryChange, error) {
	root, err := jsonobj.Parse(data)
	if err != nil {
		return nil, nil, err
	}
	var changes []mcpEntryChange
	edit := func(raw json.RawMessage, prefix string) (json.RawMessage, error) {
		servers, err := jsonobj.Parse(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", prefix, err)
		}
		for i, m := range servers.Members {
			where := prefix + "." + m.Key
			c, err := editMCPEntry(agent, m.Key, m.Val, exe, remove)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
			if c.status == "" {
				continue
			}
			c.where, c.before = where, m.Val
			changes = append(changes, c)
			servers.Members[i].Val = c.after
		}
		return servers.Marshal(), nil
	}
	for i, m := range root.Members {
		switch m.Key {
		case "mcpServers":
			v, err := edit(m.Val, "mcpServers")
			if err != nil {
				return nil, nil, err
			}
			root.Members[i].Val = v
		case "projects":
			projects, err := jsonobj.Parse(m.Val)
			if err != nil {
				continue // not Claude Code's projects map; not ours to judge
			}
			for j, p := range projects.Members {
				proj, err := jsonobj.Parse(p.Val)
				if err != nil {
					continue
				}
				for k, pm := range proj.Members {
					if pm.Key != "mcpServers" {
						continue
					}
					v, err := edit(pm.Val, "projects."+p.Key+".mcpServers")
					if err != nil {
						return nil, nil, err
					}
					proj.Members[k].Val = v
				}
				projects.Members[j].Val = proj.Marshal()
			}
			root.Members[i].Val = projects.Marshal()
		}
	}
	changed := false
	for _, c := range changes {
		changed = changed || c.changed()
	}
	if !changed {
		return data, changes, nil
	}
	var b bytes.Buffer
	if err := json.Indent(&b, root.Marshal(), "", "  "); err != nil {
		return nil, nil, fmt.Errorf("re-encoding the settings: %w", err)
	}
	b.WriteByte('\n')
	// Everything the edit did not change keeps its bytes (indentation,
	// line ends, key order), so that uninstall gives the file back.
	return keepLayout(data, b.Bytes()), changes, nil
}

// editMCPEntry wraps or unwraps one server entry. The change's after is the
// new entry (raw when unchanged); its status is empty for an entry the
// operation does not concern (uninstalling an unwrapped one).
func editMCPEntry(agent, name string, raw json.RawMessage, exe string, remove bool) (mcpEntryChange, error) {
	keep := func(status string) (mcpEntryChange, error) {
		return mcpEntryChange{status: status, after: raw}, nil
	}
	entry, err := jsonobj.Parse(raw)
	if err != nil {
		return mcpEntryChange{}, err
	}
	var command string
	cmdRaw, hasCommand := entry.Get("command")
	if hasCommand {
		if err := json.Unmarshal(cmdRaw, &command); err != nil || command == "" {
			return keep(`not wrapped: "command" is not a non-empty string`)
		}
	}
	var args []string
	if a, ok := entry.Get("args"); ok {
		if err := json.Unmarshal(a, &args); err != nil {
			return keep(`not wrapped: "args" is not a list of strings`)
		}
	}
	if !hasCommand {
		if remove {
			return keep("")
		}
		r, status := jsonRemoteMCP(agent, entry)
		if status != "" {
			return keep(status)
		}
		after, status := wrapRemoteJSON(agent, name, entry, r, exe)
		return mcpEntryChange{status: status, after: after, remote: true}, nil
	}
	w, wrapped := parseWrappedMCP(command, args, exe)
	switch {
	case remove && !wrapped:
		return keep("")
	case wrapped && w.other != "":
		if remove {
			return keep("") // not a wrapper install writes
		}
		return keep("not wrapped: runs " + w.other + " already")
	case remove && w.upstream != "":
		return mcpEntryChange{status: "unwrapped: remote server " + w.upstream, after: unwrapRemoteJSON(agent, entry, w)}, nil
	case remove:
		inner := w.inner
		entry.Set("command", mustJSON(inner[0]))
		if len(inner) > 1 {
			entry.Set("args", mustJSON(inner[1:]))
		} else {
			entry.Del("args")
		}
		return mcpEntryChange{status: "unwrapped: runs " + strings.Join(inner, " "), after: entry.Marshal()}, nil
	case wrapped && command == exe:
		return keep(statusAlreadyWrapped)
	case wrapped:
		entry.Set("command", mustJSON(exe))
		return mcpEntryChange{status: statusRepointed, after: entry.Marshal()}, nil
	}
	wrappedArgs := append([]string{"mcp", "--name", mcpWrapName(name), "--", command}, args...)
	if _, ok := entry.Get("args"); ok {
		entry.Set("command", mustJSON(exe))
		entry.Set("args", mustJSON(wrappedArgs))
	} else {
		// Put args right after command, where a person would look.
		var ms []jsonobj.Member
		for _, m := range entry.Members {
			if m.Key == "command" {
				ms = append(ms, jsonobj.Member{Key: "command", Val: mustJSON(exe)}, jsonobj.Member{Key: "args", Val: mustJSON(wrappedArgs)})
				continue
			}
			ms = append(ms, m)
		}
		entry.Members = ms
	}
	return mcpEntryChange{status: statusWrapped + "safeclaw mcp --name " + mcpWrapName(name), after: entry.Marshal()}, nil
}

// remoteMCP is a remote streamable-HTTP server safeclaw can reach for the
// agent: its URL, its headers as `safeclaw mcp --header` values, and, in a
// JSON entry, the key that held the URL.
type remoteMCP struct {
	urlKey  string
	url     string
	headers []string
	literal []string // the headers whose value has no ${VAR}: a secret there is written out
}

// args is the wrapped entry's args for server name.
func (r remoteMCP) args(name string) []string {
	a := []string{"mcp", "--name", mcpWrapName(name), "--upstream", r.url}
	for _, h := range r.headers {
		a = append(a, "--header", h)
	}
	return a
}

// status says what wrapping the server did, and where its literal header
// values now also are.
func (r remoteMCP) status(name string) string {
	s := statusWrapped + "safeclaw mcp --name " + mcpWrapName(name) + " --upstream " + r.url
	if len(r.headers) > 0 {
		names := make([]string, len(r.headers))
		for i, h := range r.headers {
			names[i], _, _ = strings.Cut(h, ":")
		}
		s += " (headers: " + strings.Join(names, ", ") + ")"
	}
	switch len(r.literal) {
	case 0:
	case 1:
		s += "; the value of " + r.literal[0] + " is written out, so it is now also on safeclaw's command line"
	default:
		s += "; the values of " + strings.Join(r.literal, ", ") + " are written out, so they are now also on safeclaw's command line"
	}
	return s
}

// mcpAuthKeys are the keys with which an agent signs in to a remote server
// by itself (OAuth, or a program that prints the headers): safeclaw mcp can
// do neither, so such entries are left alone.
var mcpAuthKeys = []string{"oauth", "auth", "authProviderType", "headersHelper"}

// jsonRemoteMCP reads a remote server entry of agent's settings; status
// says why it is left alone when it is not a streamable-HTTP server safeclaw
// can reach the same way the agent did.
//
// The URL keys mean, per agent: Claude Code "type": "http" + "url"
// (streamable HTTP) or "type": "sse"; Gemini CLI "httpUrl" (streamable
// HTTP), "url" with "type": "http" or "sse", and "url" alone (SSE in older
// versions, streamable HTTP falling back to SSE in newer ones, so left
// alone); Cursor "url" (either transport; one whose path ends in /sse is
// taken for SSE), with "type" left to Cursor.
func jsonRemoteMCP(agent string, entry *jsonobj.Object) (remoteMCP, string) {
	str := func(k string) (string, bool) {
		raw, ok := entry.Get(k)
		if !ok {
			return "", false
		}
		var v string
		if json.Unmarshal(raw, &v) != nil {
			return "", true
		}
		return v, true
	}
	url, hasURL := str("url")
	httpURL, hasHTTPURL := str("httpUrl")
	typ, hasType := str("type")
	shown := url
	if shown == "" {
		shown = httpURL
	}
	if shown == "" {
		if s, _ := str("serverUrl"); s != "" {
			return remoteMCP{}, "not wrapped: a remote server (" + s + ") safeclaw does not know how to rewrite for " + agent
		}
		return remoteMCP{}, "not wrapped: no command"
	}
	sse := "not wrapped: an SSE server (" + shown + "); safeclaw mcp relays streamable HTTP only"
	other := fmt.Sprintf("not wrapped: a remote server (%s) of type %q", shown, typ)
	if !hasType {
		other = "not wrapped: a remote server (" + shown + `) without "type"`
	}
	unread := "not wrapped: a remote server (" + shown + ") given by httpUrl, which " + agent + " does not read"
	r := remoteMCP{urlKey: "url", url: url}
	switch agent {
	case "claude":
		switch {
		case !hasURL || hasHTTPURL:
			return remoteMCP{}, unread
		case typ == "sse":
			return remoteMCP{}, sse
		case typ != "http":
			return remoteMCP{}, other
		}
	case "gemini":
		switch {
		case hasHTTPURL && (hasURL || hasType):
			return remoteMCP{}, "not wrapped: a remote server (" + shown + ") with httpUrl and also url or type; keep one, then install again"
		case hasHTTPURL:
			r = remoteMCP{urlKey: "httpUrl", url: httpURL}
		case typ == "sse":
			return remoteMCP{}, sse
		case !hasType:
			return remoteMCP{}, "not wrapped: a remote server (" + url + `) that Gemini CLI may reach over SSE (a url without "type"); if it speaks streamable HTTP, add "type": "http" and install again`
		case typ != "http":
			return remoteMCP{}, other
		}
	case "cursor":
		switch {
		case !hasURL || hasHTTPURL:
			return remoteMCP{}, unread
		case typ == "sse":
			return remoteMCP{}, sse
		case hasType:
			return remoteMCP{}, other + `; safeclaw rewrites Cursor's url entries without "type"`
		case strings.HasSuffix(strings.ToLower(strings.TrimRight(urlPath(url), "/")), "/sse"):
			return remoteMCP{}, "not wrapped: an SSE server by its path (" + url + "); safeclaw mcp relays streamable HTTP only"
		}
	default:
		return remoteMCP{}, "not wrapped: a remote server (" + shown + ")"
	}
	if r.url == "" {
		return remoteMCP{}, "not wrapped: the remote server's URL is not a non-empty string"
	}
	for _, k := range mcpAuthKeys {
		if _, ok := entry.Get(k); ok {
			return remoteMCP{}, fmt.Sprintf("not wrapped: a remote server (%s) the agent signs in to itself (%q), which safeclaw mcp cannot do", r.url, k)
		}
	}
	if status := remoteURLStatus(r.url, true); status != "" {
		return remoteMCP{}, status
	}
	raw, ok := entry.Get("headers")
	if !ok {
		return r, ""
	}
	hs, err := jsonobj.Parse(raw)
	if err != nil {
		return remoteMCP{}, `not wrapped: "headers" is not an object`
	}
	for _, m := range hs.Members {
		var v string
		if json.Unmarshal(m.Val, &v) != nil {
			return remoteMCP{}, fmt.Sprintf("not wrapped: header %q is not a string", m.Key)
		}
		if status := r.addHeader(m.Key, v, func(v string) ([]valuePart, error) { return splitAgentValue(agent, v) }); status != "" {
			return remoteMCP{}, status
		}
	}
	return r, ""
}

// remoteURLStatus says why url cannot be given to --upstream as it is;
// expands says the agent would expand variables in it.
func remoteURLStatus(url string, expands bool) string {
	lower := strings.ToLower(url)
	switch {
	case !strings.HasPrefix(lower, "http://") && !strings.HasPrefix(lower, "https://"):
		return "not wrapped: the remote server's URL (" + url + ") is not http:// or https://"
	case expands && strings.Contains(url, "$"):
		return "not wrapped: the remote server's URL (" + url + ") has a '$' (an environment variable?), which safeclaw mcp --upstream does not expand"
	}
	return ""
}

// urlPath is the path of url, without query or fragment.
func urlPath(url string) string {
	if i := strings.Index(url, "://"); i >= 0 {
		url = url[i+3:]
	}
	url, _, _ = strings.Cut(url, "?")
	url, _, _ = strings.Cut(url, "#")
	if i := strings.IndexByte(url, '/'); i >= 0 {
		return url[i:]
	}
	return ""
}

// addHeader adds header name with the agent's value v, read by split, in
// safeclaw's form; status says why it cannot be.
func (r *remoteMCP) addHeader(name, v string, split func(string) ([]valuePart, error)) string {
	parts, err := split(v)
	if err == nil {
		v, err = safeclawValue(parts)
	}
	if err != nil {
		return fmt.Sprintf("not wrapped: header %s: %v", name, err)
	}
	h := name + ": " + v
	// The same checks safeclaw mcp makes, with every variable set.
	if _, err := upstreamHeaders(&Env{Getenv: func(string) string { return "x" }}, []string{h}); err != nil {
		return fmt.Sprintf("not wrapped: header %s cannot be passed to safeclaw mcp (%v)", name, err)
	}
	r.headers = append(r.headers, h)
	literal := true
	for _, p := range parts {
		if p.env != "" {
			literal = false
		}
	}
	if literal && strings.TrimSpace(v) != "" {
		r.literal = append(r.literal, name)
	}
	return ""
}

// valuePart is a piece of a header value: literal text, or a reference to
// the environment variable env.
type valuePart struct{ lit, env string }

// splitAgentValue splits a header value as agent writes it into literal
// text and the environment variables the agent would put in: ${VAR} for
// Claude Code, $VAR and ${VAR} for Gemini CLI, ${env:VAR} for Cursor.
// Other references the agent expands (Claude Code's ${VAR:-default},
// Cursor's ${workspaceFolder}) are refused: safeclaw cannot expand them.
func splitAgentValue(agent, v string) ([]valuePart, error) {
	var parts []valuePart
	lit := func(s string) {
		if n := len(parts); n > 0 && parts[n-1].env == "" {
			parts[n-1].lit += s
			return
		}
		parts = append(parts, valuePart{lit: s})
	}
	for i := 0; i < len(v); {
		if v[i] != '$' {
			j := strings.IndexByte(v[i:], '$')
			if j < 0 {
				j = len(v) - i
			}
			lit(v[i : i+j])
			i += j
			continue
		}
		rest := v[i+1:]
		if strings.HasPrefix(rest, "{") {
			end := strings.IndexByte(rest, '}')
			if end < 0 {
				lit("$") // not a reference; safeclawValue decides
				i++
				continue
			}
			inner := rest[1:end]
			name := inner
			if agent == "cursor" {
				var ok bool
				if name, ok = strings.CutPrefix(inner, "env:"); !ok {
					return nil, fmt.Errorf("refers to ${%s}, which safeclaw cannot expand", inner)
				}
			}
			if !isEnvName(name) {
				if agent == "claude" && strings.Contains(inner, ":-") {
					return nil, fmt.Errorf("uses ${%s}; safeclaw expands ${VAR} without a default", inner)
				}
				return nil, fmt.Errorf("refers to ${%s}, which safeclaw cannot expand", inner)
			}
			parts = append(parts, valuePart{env: name})
			i += end + 2
			continue
		}
		if agent == "gemini" {
			n := 0
			for n < len(rest) && isWordByte(rest[n]) {
				n++
			}
			if n > 0 {
				if !isEnvName(rest[:n]) {
					return nil, fmt.Errorf("refers to $%s, which safeclaw cannot expand", rest[:n])
				}
				parts = append(parts, valuePart{env: rest[:n]})
				i += n + 1
				continue
			}
		}
		lit("$")
		i++
	}
	return parts, nil
}

// safeclawValue writes parts the way `safeclaw mcp --header` reads them:
// variables as ${VAR}, text as it is, provided safeclaw would not read a
// '$' of the text as a variable (it has no escape for one).
func safeclawValue(parts []valuePart) (string, error) {
	var b, want strings.Builder
	for _, p := range parts {
		if p.env != "" {
			b.WriteString("${" + p.env + "}")
			want.WriteString("\x00" + p.env + "\x00")
			continue
		}
		if strings.IndexByte(p.lit, 0) >= 0 {
			return "", errors.New("the value has a NUL byte")
		}
		b.WriteString(p.lit)
		want.WriteString(p.lit)
	}
	got := os.Expand(b.String(), func(name string) string { return "\x00" + name + "\x00" })
	if got != want.String() {
		return "", errors.New("the value has a '$' that safeclaw would read as an environment variable")
	}
	return b.String(), nil
}

// agentValue is the inverse of safeclawValue for agent: every variable
// safeclaw would expand in v, written the way agent expands it.
func agentValue(agent, v string) string {
	return os.Expand(v, func(name string) string {
		if agent == "cursor" {
			return "${env:" + name + "}"
		}
		return "${" + name + "}"
	})
}

func isEnvName(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isWordByte(s[i]) {
			return false
		}
	}
	return true
}

func isWordByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// wrapRemoteJSON turns remote entry r into a stdio one running safeclaw
// mcp --upstream: the URL key's place takes command and args, "headers"
// goes (it is in args now), a "type" becomes "stdio"; the other keys stay.
func wrapRemoteJSON(agent, name string, entry *jsonobj.Object, r remoteMCP, exe string) (json.RawMessage, string) {
	var ms []jsonobj.Member
	for _, m := range entry.Members {
		switch m.Key {
		case r.urlKey:
			ms = append(ms, jsonobj.Member{Key: "command", Val: mustJSON(exe)}, jsonobj.Member{Key: "args", Val: mustJSON(r.args(name))})
		case "headers":
		case "type":
			ms = append(ms, jsonobj.Member{Key: "type", Val: mustJSON("stdio")})
		default:
			ms = append(ms, m)
		}
	}
	entry.Members = ms
	return entry.Marshal(), r.status(name)
}

// unwrapRemoteJSON rebuilds the remote entry wrapRemoteJSON made: the URL
// where command was (Claude Code: "url" with "type": "http"; Gemini CLI:
// "url" with "type": "http" when the entry has a "type", else "httpUrl";
// Cursor: "url"), "headers" where args was (none when there were none).
func unwrapRemoteJSON(agent string, entry *jsonobj.Object, w wrappedMCP) json.RawMessage {
	_, hasType := entry.Get("type")
	urlKey := "url"
	if agent == "gemini" && !hasType {
		urlKey = "httpUrl"
	}
	var headers *jsonobj.Object
	if len(w.headers) > 0 {
		headers = &jsonobj.Object{}
		for _, h := range w.headers {
			name, value, _ := strings.Cut(h, ":")
			value = strings.TrimPrefix(value, " ")
			headers.Members = append(headers.Members, jsonobj.Member{Key: strings.TrimSpace(name), Val: mustJSON(agentValue(agent, value))})
		}
	}
	var ms []jsonobj.Member
	if agent == "claude" && !hasType {
		ms = append(ms, jsonobj.Member{Key: "type", Val: mustJSON("http")})
	}
	for _, m := range entry.Members {
		switch m.Key {
		case "command":
			ms = append(ms, jsonobj.Member{Key: urlKey, Val: mustJSON(w.upstream)})
		case "args":
			if headers != nil {
				ms = append(ms, jsonobj.Member{Key: "headers", Val: headers.Marshal()})
			}
		case "url", "httpUrl", "headers":
			// Replaced by the wrapper's own.
		case "type":
			if agent == "cursor" {
				ms = append(ms, m) // Cursor's entries are wrapped without one
				continue
			}
			ms = append(ms, jsonobj.Member{Key: "type", Val: mustJSON("http")})
		default:
			ms = append(ms, m)
		}
	}
	entry.Members = ms
	return entry.Marshal()
}

// wrappedMCP is what an entry running `safeclaw mcp` runs: a stdio
// server's argv (inner), or an --upstream URL with its --header values, or
// something install does not write (other, e.g. "safeclaw mcp --listen").
type wrappedMCP struct {
	inner    []string
	upstream string
	headers  []string
	other    string
}

// mcpValueFlags are the flags of `safeclaw mcp` that take a value.
var mcpValueFlags = map[string]bool{"name": true, "policy": true, "listen": true, "upstream": true, "header": true, "ask": true}

// parseWrappedMCP reads command and args as `safeclaw mcp` reads its
// command line, when command is safeclaw (by name, or exe).
func parseWrappedMCP(command string, args []string, exe string) (wrappedMCP, bool) {
	base := filepath.Base(command)
	if base != "safeclaw" && base != filepath.Base(exe) && command != exe {
		return wrappedMCP{}, false
	}
	if len(args) == 0 || args[0] != "mcp" {
		return wrappedMCP{}, false
	}
	var w wrappedMCP
	listen := false
	i := 1
	if len(args) > 1 && (args[1] == "scan" || args[1] == "trust") {
		return wrappedMCP{other: "safeclaw mcp " + args[1]}, true
	}
	for ; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			i++
			break
		}
		if len(a) < 2 || a[0] != '-' {
			break // the server's command, as flag parsing stops there
		}
		name, value, hasValue := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-"), "=")
		if mcpValueFlags[name] && !hasValue {
			if i+1 >= len(args) {
				return wrappedMCP{other: "safeclaw mcp " + strings.Join(args[1:], " ")}, true
			}
			i++
			value = args[i]
		}
		switch name {
		case "upstream":
			w.upstream = value
		case "header":
			w.headers = append(w.headers, value)
		case "listen":
			listen = true
		}
	}
	w.inner = args[i:]
	switch {
	case listen || (w.upstream == "") == (len(w.inner) == 0):
		return wrappedMCP{other: "safeclaw mcp " + strings.Join(args[1:], " ")}, true
	case w.upstream == "" && len(w.headers) > 0:
		return wrappedMCP{other: "safeclaw mcp " + strings.Join(args[1:], " ")}, true
	}
	return w, true
}

// mcpWrapName is a settings key made into a server name the way Claude
// Code names the server in its tool names (mcp__local_db__query for the
// key "local db": every character other than a letter, digit, "_" or "-"
// becomes "_"), so that the hook and the proxy name the same server and a
// rule's server: matches both.
func mcpWrapName(key string) string {
	name := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-':
			return r
		}
		return '_'
	}, key)
	if mcpproxy.ValidName(name) {
		return name
	}
	return serverName(key)
}

// writeMCPDiff prints the changed entries as a unified-style diff.
func writeMCPDiff(e *Env, path string, changes []mcpEntryChange) {
	fmt.Fprintf(e.Stdout, "--- %s\n+++ %s (new)\n", path, path)
	for _, c := range changes {
		if !c.changed() {
			continue
		}
		fmt.Fprintf(e.Stdout, "@@ %s @@\n", c.where)
		for _, l := range diffLines(c.before, c.plain) {
			fmt.Fprintln(e.Stdout, "-"+l)
		}
		for _, l := range diffLines(c.after, c.plain) {
			fmt.Fprintln(e.Stdout, "+"+l)
		}
	}
}

// diffLines is an entry's JSON, indented, or plain text, as lines.
func diffLines(raw []byte, plain bool) []string {
	var b bytes.Buffer
	if plain || json.Indent(&b, raw, "", "  ") != nil {
		return strings.Split(strings.ReplaceAll(string(raw), "\r\n", "\n"), "\n")
	}
	return strings.Split(b.String(), "\n")
}

func mustJSON(v any) json.RawMessage {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return json.RawMessage("null") // strings and string lists always encode
	}
	return bytes.TrimSpace(b.Bytes())
}
