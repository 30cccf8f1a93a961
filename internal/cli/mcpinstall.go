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
// each stdio MCP server configured for agent to run through `safeclaw mcp`
// (exe is safeclaw's absolute path), or back. settings, when given, is the
// one file to edit.
//
// The wrapped entry keeps everything the original had; only command and args
// change, to exe and ["mcp", "--name", NAME, "--", COMMAND, ARGS...], so the
// original is recoverable from the entry itself and uninstall restores it
// (an empty "args" list comes back as no "args" key, which agents read the
// same). Remote (HTTP/SSE) servers are left as they are and listed. Codex's
// config.toml is edited as text by editCodexMCPServers, the same way.
func (e *Env) installMCP(agent string, project, managed bool, settings, exe string, dryRun, uninstall bool) int {
	if managed {
		return errorf(e, "install --mcp: --managed is not supported; give --settings FILE")
	}
	edit := editMCPServers
	if agent == "codex" {
		edit = editCodexMCPServers // config.toml
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
	found := false
	for _, path := range paths {
		old, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return errorf(e, "install --mcp: %v", err)
		}
		found = true
		out, changes, err := edit(old, exe, uninstall)
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
		perm := os.FileMode(0o600)
		if fi, err := os.Stat(path); err == nil {
			perm = fi.Mode().Perm()
		}
		backup := freeBackupPath(path + ".safeclaw-backup-" + e.Now().UTC().Format("20060102T150405Z"))
		if err := writeFileAtomic(backup, old, 0o600); err != nil {
			return errorf(e, "install --mcp: back up %s: %v (nothing changed)", path, err)
		}
		fmt.Fprintf(e.Stdout, "backup: %s\n", backup)
		if err := writeFileAtomic(path, out, perm); err != nil {
			return errorf(e, "install --mcp: write %s: %v", path, err)
		}
	}
	if !found {
		fmt.Fprintf(e.Stdout, "no MCP server settings for %s (looked in %s); nothing changed\n", agent, strings.Join(paths, ", "))
	} else if !uninstall && !dryRun {
		fmt.Fprintln(e.Stdout, "note: restart the agent (or reload its MCP servers) for the change to take effect; 'safeclaw uninstall "+agent+" --mcp' undoes it")
	}
	return exitOK
}

// freeBackupPath is name, or name.N when name exists already: an install
// and an uninstall within the same second each keep their own backup.
func freeBackupPath(base string) string {
	name := base
	for i := 1; i < 1000; i++ {
		if _, err := os.Lstat(name); err != nil {
			return name // absent (or not knowable: writing it will tell)
		}
		name = fmt.Sprintf("%s.%d", base, i)
	}
	return name
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
		if d := e.Getenv("CODEX_HOME"); d != "" && !project {
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
}

func (c mcpEntryChange) changed() bool { return !bytes.Equal(c.before, c.after) }

// editMCPServers wraps (or, with remove, unwraps) the stdio server entries
// under "mcpServers" and "projects.*.mcpServers" of a JSON settings file.
func editMCPServers(data []byte, exe string, remove bool) ([]byte, []mcpEntryChange, error) {
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
			after, status, err := editMCPEntry(m.Key, m.Val, exe, remove)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
			if status == "" {
				continue
			}
			changes = append(changes, mcpEntryChange{where: where, status: status, before: m.Val, after: after})
			servers.Members[i].Val = after
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
	return b.Bytes(), changes, nil
}

// editMCPEntry wraps or unwraps one server entry; status is empty for an
// entry the operation does not concern (uninstalling an unwrapped one).
func editMCPEntry(name string, raw json.RawMessage, exe string, remove bool) (json.RawMessage, string, error) {
	entry, err := jsonobj.Parse(raw)
	if err != nil {
		return nil, "", err
	}
	var command string
	cmdRaw, hasCommand := entry.Get("command")
	if hasCommand {
		if err := json.Unmarshal(cmdRaw, &command); err != nil || command == "" {
			return raw, `not wrapped: "command" is not a non-empty string`, nil
		}
	}
	var args []string
	if a, ok := entry.Get("args"); ok {
		if err := json.Unmarshal(a, &args); err != nil {
			return raw, `not wrapped: "args" is not a list of strings`, nil
		}
	}
	if !hasCommand {
		if remove {
			return raw, "", nil
		}
		url := ""
		for _, k := range []string{"url", "httpUrl", "serverUrl"} {
			if v, ok := entry.Get(k); ok && json.Unmarshal(v, &url) == nil && url != "" {
				break
			}
		}
		if url == "" {
			return raw, "not wrapped: no command", nil
		}
		return raw, remoteMCPStatus(url, name), nil
	}
	inner, wrapped := unwrapMCPArgv(command, args, exe)
	switch {
	case remove && !wrapped:
		return raw, "", nil
	case remove:
		entry.Set("command", mustJSON(inner[0]))
		if len(inner) > 1 {
			entry.Set("args", mustJSON(inner[1:]))
		} else {
			entry.Del("args")
		}
		return entry.Marshal(), "unwrapped: runs " + strings.Join(inner, " "), nil
	case wrapped && command == exe:
		return raw, "already wrapped", nil
	case wrapped:
		entry.Set("command", mustJSON(exe))
		return entry.Marshal(), "wrapped (safeclaw's path updated)", nil
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
	return entry.Marshal(), "wrapped: safeclaw mcp --name " + mcpWrapName(name), nil
}

// remoteMCPStatus says why a remote server entry is left alone and how to
// gate it.
func remoteMCPStatus(url, name string) string {
	return fmt.Sprintf("not wrapped: a remote server (%s); to gate it, run 'safeclaw mcp --listen 127.0.0.1:PORT --upstream URL --name %s' (streamable HTTP only) and point the agent at http://127.0.0.1:PORT/", url, mcpWrapName(name))
}

// unwrapMCPArgv returns the server's own argv when command and args run it
// through `safeclaw mcp ... -- ARGV`.
func unwrapMCPArgv(command string, args []string, exe string) ([]string, bool) {
	base := filepath.Base(command)
	if base != "safeclaw" && base != filepath.Base(exe) && command != exe {
		return nil, false
	}
	if len(args) == 0 || args[0] != "mcp" {
		return nil, false
	}
	for i, a := range args {
		if a == "--" && i+1 < len(args) {
			return args[i+1:], true
		}
	}
	return nil, false
}

// mcpWrapName is a settings key made into a valid server name.
func mcpWrapName(key string) string {
	if mcpproxy.ValidName(key) {
		return key
	}
	var b strings.Builder
	for _, r := range key {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	name := strings.Trim(b.String(), "-._")
	if len(name) > 64 {
		name = name[:64]
	}
	if !mcpproxy.ValidName(name) {
		return "mcp"
	}
	return name
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
