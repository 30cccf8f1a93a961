// Package classify turns an agent's tool call (Claude Code's Bash, Codex's
// apply_patch, Gemini's web_fetch, an MCP tool, ...) into the parts and facets
// the policy decides on.
//
// The kind of every action is computed here from the tool's name and
// arguments; nothing the caller declares about the call's type is read
// (a "type" or "kind" inside the arguments is just data).
//
// # Mapping
//
//   - Shell tools (Claude Bash, Codex Bash/exec_command/shell_command/shell/
//     local_shell, Gemini run_shell_command, Cursor beforeShellExecution and
//     Shell) are analysed by package shell: one part per simple command.
//   - File tools become file.write (Write, Edit, MultiEdit, NotebookEdit,
//     write_file, replace, every path an apply_patch touches), file.delete
//     (apply_patch deletions and moves, Cursor Delete) or file.read (Read,
//     read_file, beforeReadFile, and the directory Glob, Grep, LS, glob,
//     grep_search, list_directory search: their path argument, or the working
//     directory, never the pattern), with the canonical path (see
//     [CanonicalPath]). A tool that touches several paths yields one part per
//     path, so an allow for one path never covers another.
//   - WebFetch/web_fetch become http.request with the URL and, in the same
//     part, network.connect to its host and port. Hosts are normalised the way
//     browsers read them (2852039166, 0xA9FEA9FE and [::ffff:a9fe:a9fe] are all
//     169.254.169.254), so a rule on an address sees every spelling of it.
//   - WebSearch/google_web_search/web_search become web.search.
//   - mcp__server__tool becomes mcp.call with server, tool and arguments.
//   - Task/Agent/invoke_agent become agent.spawn.
//   - The agents' harmless bookkeeping tools (todo lists, plan mode, asking
//     the user a question, reading a background shell's output) become
//     agent.internal.
//   - Anything else becomes tool.<name>, which the policy denies unless a rule
//     allows it. Malformed input for a known tool (a Write without a path, a
//     Bash without a command) is tool.<name> or shell.opaque too, never an
//     empty request.
//
// # Current limitations
//
//   - Tool names are matched exactly, across agents in one table; a tool an
//     agent adds later is tool.<name> (denied) until it is mapped here.
//   - Cursor's tool names and argument names are taken from its documentation
//     (no Cursor build could be run); Codex's apply_patch input is read from
//     any string argument holding a "*** Begin Patch" envelope.
//   - Gemini's web_fetch takes URLs inside a free-text prompt; they are found
//     by scanning for http(s):// and each becomes its own part.
//   - Skill and slash-command tools are tool.<name> (denied by default): a
//     skill can run shell commands that no PreToolUse hook sees.
//   - Paths are resolved against the live file system at decision time; a
//     symlink swapped in afterwards is the kernel layer's business (safeclaw run).
//   - On a case-insensitive file system an existing path is spelled as the
//     directory stores it, but a file that does not exist yet keeps the
//     case the agent wrote (.claude/Settings.local.json): rules that must
//     hold on such a volume have to match ignoring case.
//   - Codex's PreToolUse reports a shell call's script without its workdir:
//     the script is analysed in the agent's cwd.
package classify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/shell"
)

// Call is one tool call as an agent reported it.
type Call struct {
	Agent string          // claude, codex, gemini, cursor, ... (informational)
	Tool  string          // the tool's name exactly as the agent sent it
	Input json.RawMessage // the tool's arguments exactly as the agent sent them
	Cwd   string          // the agent's working directory (absolute)
	Home  string          // the user's home directory, for ~
	// MCPServer is the MCP server's name when the agent reports it apart from
	// the tool name (Claude Code's mcp_server.name); it lets a server name
	// that contains "__" be split exactly.
	MCPServer string
	// MCPSource is how the agent says the server was configured (Claude
	// Code: sdk, user, project, dynamic, ...); recorded in the facet's Detail.
	MCPSource string
	// ReadFile lets the shell analyser read files a command leads to
	// (package.json for npm run); nil reads nothing.
	ReadFile func(name string) ([]byte, error)
}

// Result is what a tool call means.
type Result struct {
	// Parts are never empty, and every part has at least one facet.
	Parts []action.Part
	// Input is the call as a person should see it (the full command for
	// shell tools; tool name and arguments otherwise), for display and audit.
	Input string
}

// ToolCall classifies one tool call.
func ToolCall(c Call) Result {
	in := parseInput(c.Input)
	parts, input := classify(c, in)
	if len(parts) == 0 {
		parts = []action.Part{unknown(c, in, "the call has no action safeclaw can see")}
	}
	for i := range parts {
		if len(parts[i].Facets) == 0 {
			parts[i] = unknown(c, in, "the call has no action safeclaw can see")
		}
	}
	if input == "" {
		input = describe(c)
	}
	return Result{Parts: parts, Input: input}
}

// Parts classifies one tool call and returns only its parts.
func Parts(c Call) []action.Part { return ToolCall(c).Parts }

// classify dispatches on the tool name. The second result, when not empty,
// is the call's display text.
func classify(c Call, in args) ([]action.Part, string) {
	if strings.HasPrefix(c.Tool, "mcp__") {
		return mcpParts(c, in, c.Tool), ""
	}
	switch c.Tool {
	// Shell tools whose script is a string.
	case "Bash", "run_shell_command", "shell_command", "beforeShellExecution", "Shell":
		text, ok := in.str("command")
		return shellParts(c, in, text, ok)
	case "exec_command":
		// A string (Codex 0.169), or an argv as the shell tool sends it.
		// Codex reads "cmd"; a "command" beside it is analysed as well, so
		// that an extra key cannot choose which script safeclaw looks at.
		var texts []string
		for _, k := range []string{"cmd", "command"} {
			if text, ok := in.str(k); ok {
				texts = append(texts, text)
			} else if argv, ok := in.strs(k); ok && len(argv) > 0 {
				texts = append(texts, quoteArgv(argv))
			}
		}
		if len(texts) == 0 {
			return shellParts(c, in, "", false)
		}
		var parts []action.Part
		for _, text := range texts {
			p, _ := shellParts(c, in, text, true)
			parts = append(parts, p...)
		}
		return parts, strings.Join(texts, "\n")
	// Shell tools whose command is an argv.
	case "shell", "local_shell", "container.exec":
		argv, ok := in.strs("command")
		if !ok {
			if s, isStr := in.str("command"); isStr {
				return shellParts(c, in, s, true)
			}
			return shellParts(c, in, "", false)
		}
		return shellParts(c, in, quoteArgv(argv), true)
	case "write_stdin":
		// Polling a running exec session sends no characters; anything else
		// is typed into that process, most likely a shell.
		chars, _ := in.str("chars")
		if chars == "" {
			return []action.Part{internal(c, in)}, ""
		}
		return shellParts(c, in, chars, true)

	case "Write", "Edit", "MultiEdit", "write_file", "replace":
		return fileParts(c, in, action.FileWrite, "")
	case "NotebookEdit":
		return fileParts(c, in, action.FileWrite, "")
	case "Delete":
		return fileParts(c, in, action.FileDelete, "")
	case "Read", "NotebookRead", "read_file", "beforeReadFile", "view_image", "LSP":
		return fileParts(c, in, action.FileRead, "")
	case "Glob", "glob", "Grep", "grep_search", "search_file_content", "grep_files", "LS", "list_directory", "list_dir":
		return searchParts(c, in), ""
	case "read_many_files":
		return manyFileParts(c, in), ""
	case "apply_patch":
		return patchParts(c, in)
	case "save_memory":
		// Gemini appends the fact to its global memory file, which is read
		// into every later prompt.
		return []action.Part{fileFacet(c, in, action.FileWrite, CanonicalPath("~/.gemini/GEMINI.md", c.Cwd, c.Home), "saves a memory into ~/.gemini/GEMINI.md")}, ""

	case "WebFetch", "web_fetch":
		return fetchParts(c, in)
	case "WebSearch", "google_web_search", "web_search":
		return []action.Part{searchFacet(c, in)}, ""

	case "Task", "Agent", "Workflow", "invoke_agent", "delegate_to_agent", "spawn_agent", "multi_agent_v1", "codebase_investigator":
		return []action.Part{spawn(c, in)}, ""

	case "ReadMcpResourceTool":
		return mcpResourceParts(c, in), ""
	case "ListMcpResourcesTool", "list_mcp_resources", "list_mcp_resource_templates":
		server, _ := in.str("server")
		return []action.Part{{Facets: []action.Action{{Kind: action.MCPCall, Server: server, Tool: "resources/list", Args: in.any(), Detail: "lists MCP resources"}}}}, ""

	case "TodoWrite", "TodoRead", "AskUserQuestion", "ExitPlanMode", "EnterPlanMode",
		"BashOutput", "TaskOutput", "KillShell", "KillBash", "TaskStop",
		// Claude Code 2.1's task list, tool loading (its deferred tools,
		// Grep and WebFetch among them, are only reachable through
		// ToolSearch), agent bookkeeping and scheduling of its own later
		// turns (whatever those turns do is decided then).
		"TaskCreate", "TaskGet", "TaskList", "TaskUpdate", "ToolSearch", "DeferredToolPlaceholder",
		"ListAgents", "ReportFindings", "StructuredOutput", "SendMessage",
		"ScheduleWakeup", "CronCreate", "CronDelete", "CronList",
		// Codex 0.169's goals; Gemini CLI 0.61's topic and its view of the
		// background processes its shell tool started.
		"get_goal", "create_goal", "update_goal",
		"update_topic", "list_background_processes", "read_background_output",
		"write_todos", "enter_plan_mode", "exit_plan_mode", "ask_user", "get_internal_docs",
		"update_plan", "request_user_input":
		return []action.Part{internal(c, in)}, ""
	}
	return []action.Part{unknown(c, in, "")}, ""
}

// internal is an agent's harmless bookkeeping tool.
func internal(c Call, in args) action.Part {
	return action.Part{Facets: []action.Action{{Kind: action.AgentInternal, Tool: c.Tool, Args: in.any()}}}
}

// unknown is a tool safeclaw does not model: tool.<name>, denied unless a
// rule allows it.
func unknown(c Call, in args, detail string) action.Part {
	name := c.Tool
	if name == "" {
		name = "unnamed"
	}
	return action.Part{Facets: []action.Action{{Kind: action.ToolKind(name), Tool: c.Tool, Args: in.any(), Detail: detail}}}
}

// shellParts analyses a shell tool's script. ok is false when the tool's
// input had no script string: that is a shell.opaque part, which the
// built-in tail rule denies.
func shellParts(c Call, in args, text string, ok bool) ([]action.Part, string) {
	if !ok {
		return []action.Part{{Facets: []action.Action{{Kind: action.ShellOpaque, Tool: c.Tool, Args: in.any(),
			Detail: "shell tool call without a command string"}}}}, ""
	}
	var parts []action.Part
	for _, cwd := range shellDirs(c, in) {
		parts = append(parts, shell.Analyze(text, shell.Env{Cwd: cwd, Home: c.Home, ReadFile: c.ReadFile})...)
	}
	if len(parts) == 0 {
		return []action.Part{{Text: text, Facets: []action.Action{{Kind: action.ShellOpaque, Command: text,
			Detail: "the command text holds no command"}}}}, text
	}
	if bg, _ := in.boolean("run_in_background"); bg {
		for i := range parts {
			for j := range parts[i].Facets {
				parts[i].Facets[j].Background = true
			}
		}
	}
	return parts, text
}

// shellDirKeys are the argument names of the directory each shell tool
// runs its script in; nil for the tools that always run in the agent's
// working directory.
var shellDirKeys = map[string][]string{
	"run_shell_command": {"dir_path", "directory"}, // Gemini (directory before 0.40)
	"exec_command":      {"workdir"},
	"shell":             {"workdir"},
	"local_shell":       {"workdir"},
	"shell_command":     {"workdir"},
	"container.exec":    {"workdir"},
	"Bash":              nil, // Claude Code: the session's directory
	"write_stdin":       nil, // typed into a running session
}

// shellDirs is every directory a shell tool's script is analysed in.
// Gemini's run_shell_command and Codex's exec tools may run in another
// directory than the agent's own, under their own key; a key the tool does
// not read is ignored by the tool, so it must not move the analysis either
// (a Bash call with "cwd":"/tmp" still runs in the session's directory).
//
// The script is analysed in the directory under the tool's own key (else
// the agent's), and also in any other directory the call names (Cursor's
// Shell, whose keys are not known).
func shellDirs(c Call, in args) []string {
	// The shell analyser walks paths from the directory itself (symlinks
	// and all, as the kernel does), so a directory is only joined to the
	// agent's here: resolving it too would cost system calls per call.
	joined := func(d string) string {
		if d == "." {
			return c.Cwd
		}
		if c.Home != "" && (d == "~" || strings.HasPrefix(d, "~/")) {
			d = c.Home + d[1:]
		}
		if !filepath.IsAbs(d) && filepath.IsAbs(c.Cwd) {
			d = filepath.Join(c.Cwd, d)
		}
		return filepath.Clean(d)
	}
	return placesOf(in, shellDirKeys[c.Tool], []string{"dir_path", "directory", "workdir", "cwd", "working_directory"}, joined)
}

// quoteArgv joins an argv into a shell text that splits back into the same words.
func quoteArgv(argv []string) string {
	var b strings.Builder
	for i, w := range argv {
		if i > 0 {
			b.WriteByte(' ')
		}
		if w != "" && strings.IndexFunc(w, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=,@+%", r))
		}) < 0 {
			b.WriteString(w)
			continue
		}
		b.WriteByte('\'')
		b.WriteString(strings.ReplaceAll(w, "'", `'\''`))
		b.WriteByte('\'')
	}
	return b.String()
}

// pathKeys are the argument names agents use for a file tool's path.
func pathKeys() [7]string {
	return [...]string{"file_path", "notebook_path", "absolute_path", "path", "filePath", "target_file", "file"}
}

// fileParts gates a single-file tool. Agents name the path under
// different keys (file_path, notebook_path, absolute_path, ...) and a tool
// reads only its own: every path key present is gated, each its own part,
// so that a harmless path under another key cannot stand in for the one
// the tool writes (NotebookEdit with notebook_path and file_path). A file
// tool without a path, or with a path no file system takes (a NUL byte),
// is tool.<name>: safeclaw cannot say what it would touch.
func fileParts(c Call, in args, kind action.Kind, detail string) ([]action.Part, string) {
	var parts []action.Part
	var display []string
	seen := map[string]bool{}
	for _, k := range pathKeys() {
		p, ok := in.str(k)
		if !ok || p == "" {
			continue
		}
		if strings.IndexByte(p, 0) >= 0 {
			return []action.Part{unknown(c, in, "file path with a NUL byte: "+strconvQuote(p))}, ""
		}
		canon := CanonicalPath(p, c.Cwd, c.Home)
		if seen[canon] {
			continue
		}
		seen[canon] = true
		parts = append(parts, fileFacet(c, in, kind, canon, detail))
		display = append(display, canon)
	}
	if len(parts) == 0 {
		return []action.Part{unknown(c, in, "file tool call without a path")}, ""
	}
	return parts, c.Tool + " " + strings.Join(display, " ")
}

// dirsOf is every distinct directory a call names, canonical: those under
// the tool's own keys, or the agent's working directory when it uses none
// of them, and then those under any other key a tool of its kind may read.
// A key the tool does not read is ignored by the tool, but gating it too
// costs nothing in a well-formed call, and a tool safeclaw knows less well
// than it thinks is still covered.
func dirsOf(c Call, in args, own, others []string) []string {
	return placesOf(in, own, others, func(d string) string { return CanonicalPath(d, c.Cwd, c.Home) })
}

// placesOf lists, once each, the directories under the own keys (else
// place("."), the agent's) and then under the other keys, as place puts
// them.
func placesOf(in args, own, others []string, place func(string) string) []string {
	var dirs []string
	seen := map[string]bool{}
	add := func(d string) {
		if d := place(d); !seen[d] {
			seen[d] = true
			dirs = append(dirs, d)
		}
	}
	found := false
	for _, k := range own {
		if d, ok := in.str(k); ok && d != "" {
			add(d)
			found = true
		}
	}
	if !found {
		add(".")
	}
	for _, k := range others {
		if d, ok := in.str(k); ok && d != "" {
			add(d)
		}
	}
	return dirs
}

func fileFacet(c Call, in args, kind action.Kind, path, detail string) action.Part {
	a := action.Action{Kind: kind, Path: path, Tool: c.Tool, Detail: detail}
	if kind != action.FileWrite {
		// Arguments of a write carry the file's whole new content; the
		// path is what the policy needs, and the audit should not hold the
		// content twice.
		a.Args = in.any()
	}
	return action.Part{Facets: []action.Action{a}}
}

// searchDirKeys are the argument names under which each search tool
// takes its directory (older Gemini CLIs used path where 0.61 uses
// dir_path).
var searchDirKeys = map[string][]string{
	"Glob": {"path"}, "Grep": {"path"}, "LS": {"path"},
	"glob": {"dir_path", "path"}, "grep_search": {"dir_path", "path"}, "search_file_content": {"dir_path", "path"},
	"list_directory": {"dir_path", "path"},
	"grep_files":     {"path"}, "list_dir": {"dir_path", "path"},
}

// dirKeyList are the argument names of the directory a search tool reads.
func dirKeyList() []string { return []string{"path", "dir_path", "directory", "absolute_path", "dir"} }

// searchParts gates Glob/Grep/LS-like tools by the directory they read
// the path argument, else the working directory. A glob pattern
// that leaves that directory (absolute, ~, ..) adds the directory it
// reaches.
//
// Each agent names the directory under its own key (Claude path, Gemini
// dir_path): every directory key present is gated, so that an extra key
// cannot stand in for the one the tool reads.
func searchParts(c Call, in args) []action.Part {
	detail := ""
	if pat, ok := in.str("pattern"); ok {
		detail = c.Tool + " pattern " + strconvQuote(pat)
	}
	recursive := false
	switch c.Tool {
	case "Grep", "grep_search", "search_file_content", "grep_files":
		// A content search reads the files below its path (some agents'
		// grep includes hidden ones): rules for paths inside it apply.
		recursive = true
	}
	var parts []action.Part
	for _, dir := range dirsOf(c, in, searchDirKeys[c.Tool], dirKeyList()) {
		part := fileFacet(c, in, action.FileRead, dir, detail)
		part.Facets[0].Recursive = recursive
		parts = append(parts, part)
		if c.Tool == "Glob" || c.Tool == "glob" {
			if pat, ok := in.str("pattern"); ok {
				if p := globDir(pat); p != "" && escapes(pat) {
					if extra := CanonicalPath(p, dir, c.Home); extra != dir {
						parts = append(parts, fileFacet(c, in, action.FileRead, extra, detail))
					}
				}
			}
		}
	}
	return parts
}

// manyFileParts gates Gemini's read_many_files: one part per path or
// pattern, each by the directory it reaches.
//
// Gemini resolves the paths against its working directory; a directory key
// in the call is a base as well, so that it cannot move the check away
// from where the files are read.
func manyFileParts(c Call, in args) []action.Part {
	var parts []action.Part
	seen := map[string]bool{}
	for _, base := range dirsOf(c, in, nil, dirKeyList()) {
		for _, k := range []string{"paths", "include"} {
			list, _ := in.strs(k)
			for _, p := range list {
				target := p
				if d := globDir(p); d != p {
					target = d
				}
				if target == "" {
					target = "."
				}
				canon := CanonicalPath(target, base, c.Home)
				if seen[canon] {
					continue
				}
				seen[canon] = true
				parts = append(parts, fileFacet(c, in, action.FileRead, canon, c.Tool+" "+strconvQuote(p)))
			}
		}
	}
	if len(parts) == 0 {
		return []action.Part{unknown(c, in, "read_many_files call without paths")}
	}
	return parts
}

// globDir is the leading part of a glob pattern before its first component
// with a wildcard ("src/**/*.go" → "src", "/etc/*" → "/etc", "*.go" → "").
func globDir(pat string) string {
	comps := strings.Split(pat, "/")
	for i, comp := range comps {
		if strings.ContainsAny(comp, "*?[{") {
			d := strings.Join(comps[:i], "/")
			if d == "" && strings.HasPrefix(pat, "/") {
				return "/"
			}
			return d
		}
	}
	return pat
}

// escapes reports whether a glob pattern can reach outside its base directory.
func escapes(pat string) bool {
	if strings.HasPrefix(pat, "/") || strings.HasPrefix(pat, "~") {
		return true
	}
	for _, comp := range strings.Split(pat, "/") {
		if comp == ".." {
			return true
		}
	}
	return false
}

func searchFacet(c Call, in args) action.Part {
	q, _ := in.str("query")
	return action.Part{Facets: []action.Action{{Kind: action.WebSearch, Tool: c.Tool, Args: in.any(), Detail: q}}}
}

func spawn(c Call, in args) action.Part {
	detail := ""
	for _, k := range []string{"subagent_type", "agent_name", "name", "agent"} {
		if s, ok := in.str(k); ok && s != "" {
			detail = "subagent " + s
			break
		}
	}
	// A background subagent's own tool calls may not reach the agent's
	// hooks (Claude Code #84701): the facet says it runs in the background.
	bg, _ := in.boolean("run_in_background")
	return action.Part{Facets: []action.Action{{Kind: action.AgentSpawn, Tool: c.Tool, Args: in.any(), Detail: detail, Background: bg}}}
}

// mcpParts splits mcp__<server>__<tool>. When the agent reported the server
// apart from the name, that split is exact; otherwise the server ends at the
// first "__".
func mcpParts(c Call, in args, name string) []action.Part {
	rest := strings.TrimPrefix(name, "mcp__")
	server, tool := "", ""
	if c.MCPServer != "" && strings.HasPrefix(rest, c.MCPServer+"__") {
		server, tool = c.MCPServer, rest[len(c.MCPServer)+2:]
	} else if i := strings.Index(rest, "__"); i > 0 {
		server, tool = rest[:i], rest[i+2:]
	}
	if server == "" || tool == "" {
		return []action.Part{unknown(c, in, "MCP tool name without a server and a tool")}
	}
	if a, b, clash := action.KeysDifferingInCase(in.any()); clash {
		// A server decoding them ignoring case reads whichever comes last:
		// what the rules match is not what would run.
		return []action.Part{{Facets: []action.Action{{Kind: action.ShellOpaque, Tool: c.Tool, Args: in.any(),
			Detail: fmt.Sprintf("MCP arguments hold keys that differ only in case (%q and %q)", a, b)}}}}
	}
	detail := ""
	if c.MCPSource != "" {
		detail = "server source " + c.MCPSource
	}
	parts := []action.Part{{Facets: []action.Action{{Kind: action.MCPCall, Server: server, Tool: tool, Args: in.any(), Detail: detail}}}}
	// Shell text in the arguments (a run_command tool's command) is
	// analysed as safeclaw mcp analyses it, so that shell rules apply to
	// it whichever surface sees the call first.
	if m, ok := in.any().(map[string]any); ok {
		for _, text := range shell.CommandArgs(m) {
			parts = append(parts, shell.Analyze(text, shell.Env{Cwd: c.Cwd, Home: c.Home})...)
		}
	}
	return parts
}

// mcpResourceParts gates Claude Code's ReadMcpResourceTool: an mcp.read of
// the URI on the server (the kind safeclaw mcp gives resources/read, so one
// rule covers both surfaces) and, for file: URIs, a file.read of that path
// in its own part
// ReadMcpResourceTool{uri: file:///etc/shadow} must reach the file
// rules).
func mcpResourceParts(c Call, in args) []action.Part {
	server, _ := in.str("server")
	uri, _ := in.str("uri")
	parts := []action.Part{{Facets: []action.Action{{Kind: action.MCPRead, Server: server, URL: uri, Args: in.any(), Detail: "reads MCP resource " + uri}}}}
	if p, ok := fileURLPath(uri); ok {
		parts = append(parts, fileFacet(c, in, action.FileRead, CanonicalPath(p, c.Cwd, c.Home), "MCP resource "+uri))
	}
	return parts
}

// describe is the display text of a call that is not a shell or file tool:
// the tool name and its arguments, compact.
func describe(c Call) string {
	var buf bytes.Buffer
	if len(c.Input) > 0 && json.Compact(&buf, c.Input) == nil && buf.String() != "{}" && buf.String() != "null" {
		return c.Tool + " " + buf.String()
	}
	return c.Tool
}

func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
