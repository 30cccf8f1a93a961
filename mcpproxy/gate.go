package mcpproxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/shell"
)

// middleware is the single choke point: every method a client sends passes
// here. Methods safeclaw answers itself go to the SDK; methods that reach
// the upstream are decided first; everything else is refused.
func (p *Proxy) middleware(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		if method == "server/discover" && p.legacyUpstream {
			return nil, &jsonrpc.Error{Code: jsonrpc.CodeMethodNotFound, Message: "server/discover: this server speaks the initialize handshake"}
		}
		switch method {
		case "initialize", "server/discover", "ping", "logging/setLevel", "subscriptions/listen",
			"notifications/initialized", "notifications/cancelled", "notifications/progress",
			"notifications/roots/list_changed":
			return next(ctx, method, req)
		case "resources/subscribe", "resources/unsubscribe":
			// Decided in SubscribeHandler, which subscriptions/listen (the
			// 2026-07-28 way) goes through too.
			return next(ctx, method, req)
		}
		if err := p.upstreamGone(); err != nil {
			return nil, err
		}
		ctx, done := tiedToClient(ctx)
		defer done()
		switch r := req.(type) {
		case *mcp.CallToolRequest:
			return p.callTool(ctx, r)
		case *mcp.ListToolsRequest:
			return p.listTools(ctx, r)
		case *mcp.ReadResourceRequest:
			return p.readResource(ctx, r)
		case *mcp.GetPromptRequest:
			return p.getPrompt(ctx, r)
		case *mcp.CompleteRequest:
			return p.complete(ctx, r)
		case *mcp.ListResourcesRequest:
			return p.listResources(ctx, r)
		case *mcp.ListResourceTemplatesRequest:
			return p.listResourceTemplates(ctx, r)
		case *mcp.ListPromptsRequest:
			return p.listPrompts(ctx, r)
		}
		return nil, &jsonrpc.Error{Code: jsonrpc.CodeMethodNotFound, Message: fmt.Sprintf("safeclaw does not relay %q", method)}
	}
}

// upstreamGone is the error for every request once the upstream ended.
func (p *Proxy) upstreamGone() error {
	if err := p.UpstreamErr(); err != nil {
		return &jsonrpc.Error{Code: CodeUpstream, Message: fmt.Sprintf("safeclaw: upstream MCP server %q is gone (%v); nothing was run", p.opts.Name, err)}
	}
	return nil
}

// upstreamError turns a failed upstream call into the client's error: the
// upstream's own JSON-RPC errors pass through, anything else (a dead
// connection, a timeout) becomes CodeUpstream.
func (p *Proxy) upstreamError(err error) error {
	var we *jsonrpc.Error
	if errors.As(err, &we) {
		return we
	}
	if gone := p.upstreamGone(); gone != nil {
		return gone
	}
	return &jsonrpc.Error{Code: CodeUpstream, Message: fmt.Sprintf("safeclaw: upstream MCP server %q failed: %v", p.opts.Name, err)}
}

// ---- tools ----

func (p *Proxy) callTool(ctx context.Context, r *mcp.CallToolRequest) (mcp.Result, error) {
	name := r.Params.Name
	args, err := decodeArgs(r.Params.Arguments)
	if err != nil {
		return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: fmt.Sprintf("safeclaw: tools/call %q: %v", name, err)}
	}
	status, aliases := p.toolStatus(ctx, name)
	switch status {
	case toolUnchecked:
		why := fmt.Sprintf("the tools of %q could not be checked against their pins (safeclaw mcp shows why on its standard error), so none is run", p.opts.Name)
		p.record(ctx, Event{Kind: EventPinDenied, Request: p.request(ctx, r.Session, "tools/call "+name+" "+compactJSON(args), p.callParts(name, aliases, args)),
			Decision: action.Decision{Effect: action.Deny, Reason: why, Part: -1}})
		return errorResult("Denied by safeclaw: " + why + "."), nil
	case toolReserved:
		return errorResult(fmt.Sprintf("Denied by safeclaw: the tool name %q is reserved by safeclaw. Do not retry it.", name)), nil
	case toolDuplicate:
		why := fmt.Sprintf("the server lists tool %q more than once, with different definitions, so which one it runs cannot be told", name)
		p.record(ctx, Event{Kind: EventPinDenied, Request: p.request(ctx, r.Session, "tools/call "+name+" "+compactJSON(args), p.callParts(name, aliases, args)),
			Decision: action.Decision{Effect: action.Deny, Reason: why, Part: -1}})
		return errorResult("Denied by safeclaw: " + why + ". Do not retry it."), nil
	case toolChanged:
		p.opts.Warn(fmt.Sprintf("safeclaw mcp: %s: denied a call to tool %q: its definition changed since it was pinned (safeclaw mcp trust %s)", p.opts.Name, name, p.opts.Name))
		why := fmt.Sprintf("the definition of tool %q changed since it was pinned, so it is held back until a person reviews it (safeclaw mcp trust %s)", name, p.opts.Name)
		p.record(ctx, Event{Kind: EventPinDenied, Request: p.request(ctx, r.Session, "tools/call "+name+" "+compactJSON(args), p.callParts(name, aliases, args)),
			Decision: action.Decision{Effect: action.Deny, Reason: why, Part: -1}})
		return errorResult("Denied by safeclaw: " + why + ". Do not retry it."), nil
	}
	req := p.request(ctx, r.Session, "tools/call "+name+" "+compactJSON(args), p.callParts(name, aliases, args))
	// The decision's audit record is written before the call is forwarded;
	// its sync to disk runs meanwhile, and the answer waits for it.
	dctx, durable := action.WithBarrier(ctx)
	d := p.decide(dctx, req)
	if d.Effect != action.Allow {
		if err := durable.Wait(); err != nil {
			return errorResult(p.unrecorded(err)), nil
		}
	}
	switch d.Effect {
	case action.Allow:
	case action.Ask:
		bind := "tools/call\x00" + name + "\x00" + compactJSON(args)
		ok, why, ir := p.ask(ctx, r.Session, req, d, bind, askState{
			state: r.Params.RequestState, responses: r.Params.InputResponses, progress: r.Params.GetProgressToken(), canInputRequired: true,
			meta: r.Params.Meta})
		if ir != nil {
			return ir, nil
		}
		if !ok {
			return errorResult(why), nil
		}
	default:
		return errorResult(denyMessage(req, d)), nil
	}
	meta, release := p.forwardMeta(r.Session, r.Params.Meta, r.Params.GetProgressToken())
	defer release()
	res, err := p.up.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args, Meta: meta})
	if serr := durable.Wait(); serr != nil {
		// The call ran, but the record that allowed it may not be on disk:
		// withhold the result rather than answer as if all were in order.
		return errorResult(p.unrecorded(serr)), nil
	}
	if err != nil {
		return nil, p.upstreamError(err)
	}
	if res.NeedsInput() || res.InputRequests != nil {
		return nil, p.inputRequested("tools/call " + name)
	}
	return redactResult(p, "tools/call "+name, res), nil
}

// inputRequested is the error for an upstream result that asks the client
// for input (2026-07-28 era: elicitation, sampling, roots), which the proxy
// does not relay, as it does not relay such requests of the legacy era.
func (p *Proxy) inputRequested(what string) error {
	return &jsonrpc.Error{Code: CodeUpstream, Message: fmt.Sprintf("safeclaw: upstream MCP server %q asked the client for input (elicitation, sampling or roots) to answer %s; safeclaw does not relay requests from the server to the client", p.opts.Name, what)}
}

// noResult is the error for an upstream answer to what without a result
// object (none, null, or another JSON value).
func (p *Proxy) noResult(what string) error {
	return &jsonrpc.Error{Code: CodeUpstream, Message: fmt.Sprintf("safeclaw: upstream MCP server %q answered %s without a result object", p.opts.Name, what)}
}

// unrecorded is the tool error for a decision whose audit record could not
// be made durable.
func (p *Proxy) unrecorded(err error) string {
	p.opts.Warn(fmt.Sprintf("safeclaw mcp: %s: %v", p.opts.Name, err))
	return "Denied by safeclaw: the audit record of this call could not be written to disk (" + err.Error() + ")."
}

// callParts are the parts of a tools/call: the mcp.call with the
// arguments as written and, when a number among them reads otherwise as a
// double (as JavaScript and most JSON parsers read numbers: 1.0 is 1, 1e2
// is 100, -0 is 0, 9007199254740993 is 9007199254740992), the mcp.call
// with the numbers so read in a part of its own, so that a rule holds for
// what any server may read; and the mcp.call with the argument keys as the
// tool's input schema spells them, when some differ from it only in case
// (argkeys.go), with and without the numbers so read. Then the same for
// each alias (a listed tool whose name equals the call's ignoring case,
// which a server that looks its tools up case-insensitively runs: see
// toolStatus), so that a rule for delete_all holds for a call to
// Delete_All; then the shell text's parts.
func (p *Proxy) callParts(tool string, aliases []string, args map[string]any) []action.Part {
	var parts []action.Part
	add := func(name string, args map[string]any, details ...string) {
		var detail []string
		for _, d := range details {
			if d != "" {
				detail = append(detail, d)
			}
		}
		parts = append(parts, action.Part{Facets: []action.Action{{Kind: action.MCPCall, Server: p.opts.Name, Tool: name, Args: args,
			Detail: strings.Join(detail, "; ")}}})
	}
	const numbers = "the arguments' numbers as a double reads them"
	const spelling = "the arguments' keys as the tool's input schema spells them"
	alt, differs := doubleReading(args)
	p.mu.Lock()
	schemas := p.schemas
	p.mu.Unlock()
	for i, name := range append([]string{tool}, aliases...) {
		as := ""
		if i > 0 {
			as = fmt.Sprintf("as the listed tool %q, whose name differs from the call's only in case", name)
		}
		add(name, args, as)
		if differs {
			add(name, alt.(map[string]any), as, numbers)
		}
		// The keys as the schema spells them (argkeys.go).
		if spelt, changed := schemaSpelling(args, schemas[name], 0); changed {
			add(name, spelt.(map[string]any), as, spelling)
			if differs {
				altSpelt, _ := schemaSpelling(alt, schemas[name], 0)
				add(name, altSpelt.(map[string]any), as, spelling, numbers)
			}
		}
	}
	return append(parts, p.shellParts(args)...)
}

// shellParts analyses the shell text of the arguments (shell.CommandArgs:
// command, cmd, script, shell_command, ... at any depth) so that shell rules
// apply to it, in each directory the call may run it in (argCwds).
func (p *Proxy) shellParts(args map[string]any) []action.Part {
	var parts []action.Part
	texts := shell.CommandArgs(args)
	if len(texts) == 0 {
		return nil
	}
	for _, cwd := range p.argCwds(args) {
		for _, text := range texts {
			env := shell.Env{Cwd: cwd, Home: p.opts.Home}
			if p.local {
				env.ReadFile = p.opts.ReadFile
			}
			parts = append(parts, shell.Analyze(text, env)...)
		}
	}
	return parts
}

// cwdArg reports an argument named like one that says where a command
// runs (cwd, workdir, working_directory, directory), its name compared as
// shell.CommandArgs compares them (without '_' and '-') and folded
// (action.FoldKey): a server that decodes its arguments ignoring case
// reads "CWD" or "Cwd" as cwd.
func cwdArg(key string) bool {
	reduce := func(k string) string { return action.FoldKey(strings.NewReplacer("_", "", "-", "").Replace(k)) }
	k := reduce(key)
	for _, name := range []string{"cwd", "workdir", "workingdirectory", "directory"} {
		if k == reduce(name) {
			return true
		}
	}
	return false
}

// argCwds are where a shell-like argument may run: each directory the
// call's cwd-like arguments name (absolute; ~/ in the home directory;
// relative to the proxy's working directory for a local upstream, which
// runs there), sorted, as the server may take any of them; else the proxy's
// working directory for a local upstream ("" when unknown).
func (p *Proxy) argCwds(args map[string]any) []string {
	seen := map[string]bool{}
	var out []string
	for key, v := range args {
		s, ok := v.(string)
		if !ok || s == "" || !cwdArg(key) {
			continue
		}
		dir := ""
		switch {
		case strings.HasPrefix(s, "/"):
			dir = path.Clean(s)
		case (s == "~" || strings.HasPrefix(s, "~/")) && p.opts.Home != "":
			dir = path.Join(p.opts.Home, s[1:])
		case p.local && p.opts.Cwd != "":
			dir = path.Join(p.opts.Cwd, s)
		default:
			continue
		}
		if !seen[dir] {
			seen[dir] = true
			out = append(out, dir)
		}
	}
	if len(out) == 0 {
		if p.local {
			return []string{p.opts.Cwd}
		}
		return []string{""}
	}
	sort.Strings(out)
	return out
}

// listTools answers tools/list with the upstream's tools that the policy
// could ever allow and whose definitions match their pins.
func (p *Proxy) listTools(ctx context.Context, r *mcp.ListToolsRequest) (mcp.Result, error) {
	if r.Params != nil && r.Params.Cursor != "" {
		// Everything fits on the first page (see refreshTools).
		return &mcp.ListToolsResult{Tools: []*mcp.Tool{}}, nil
	}
	tools, state, err := p.refreshTools(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*mcp.Tool, 0, len(tools))
	shown := make(map[string]bool, len(tools))
	for _, t := range tools {
		if state[t.Name] != toolOK || shown[t.Name] {
			continue
		}
		if !p.couldAllow(ctx, r.Session, action.Action{Kind: action.MCPCall, Server: p.opts.Name, Tool: t.Name, Args: action.AnyArgs{}}) {
			continue
		}
		shown[t.Name] = true
		out = append(out, t)
	}
	return &mcp.ListToolsResult{Tools: out}, nil
}

// maxListPages bounds the pages of one tools/list from the upstream.
const maxListPages = 100

// refreshTools lists every upstream tool (all pages), checks them against
// their pins and remembers their state for tools/call. A tool listed
// twice with different definitions (on one page, or on two pages of a
// listing the upstream changed meanwhile) is held back.
func (p *Proxy) refreshTools(ctx context.Context) ([]*mcp.Tool, map[string]toolState, error) {
	p.mu.Lock()
	gen := p.toolsGen
	p.mu.Unlock()
	var tools []*mcp.Tool
	cursor := ""
	cursors := map[string]bool{}
	for page := 1; ; page++ {
		res, err := p.up.ListTools(ctx, &mcp.ListToolsParams{Cursor: cursor})
		if err != nil {
			return nil, nil, p.upstreamError(err)
		}
		for _, t := range res.Tools {
			if t != nil {
				tools = append(tools, t)
			}
		}
		if res.NextCursor == "" {
			break
		}
		if cursors[res.NextCursor] || page >= maxListPages {
			p.opts.Warn(fmt.Sprintf("safeclaw mcp: %s: the server's tool list goes on past %d pages (or back to a page it gave); the rest is not listed", p.opts.Name, page))
			break
		}
		cursors[res.NextCursor] = true
		cursor = res.NextCursor
	}
	state := make(map[string]toolState, len(tools))
	schemas := make(map[string]schemaKeys, len(tools))
	for _, t := range tools {
		state[t.Name] = toolOK
		if keys := inputKeys(t.InputSchema); keys != nil {
			schemas[t.Name] = mergeKeys(schemas[t.Name], keys)
		}
	}
	if p.opts.Pins != nil {
		// The server's instructions, prompts and resources are pinned
		// under names no tool should have; a tool that has one is held
		// back, so that its definition can never pass for theirs or the
		// reverse.
		pinned := make([]*mcp.Tool, 0, len(tools))
		for _, t := range tools {
			if reservedName(t.Name) {
				state[t.Name] = toolReserved
				continue
			}
			pinned = append(pinned, t)
		}
		c, err := p.opts.Pins.check(pinned, p.opts.Now())
		if err != nil {
			// Without pins, nothing can be shown safely.
			return nil, nil, &jsonrpc.Error{Code: CodeDenied, Message: fmt.Sprintf("safeclaw: tool pins for %q: %v", p.opts.Name, err)}
		}
		for _, name := range c.changed {
			state[name] = toolChanged
			p.opts.Warn(fmt.Sprintf("safeclaw mcp: %s: the definition of tool %q changed since it was pinned; it is hidden and denied until a person reviews it and runs 'safeclaw mcp trust %s'", p.opts.Name, name, p.opts.Name))
		}
		for _, name := range c.dup {
			state[name] = toolDuplicate
			p.opts.Warn(fmt.Sprintf("safeclaw mcp: %s: the server lists tool %q more than once, with different definitions; it is hidden and denied", p.opts.Name, name))
		}
		if len(c.added) > 0 {
			p.opts.Warn(fmt.Sprintf("safeclaw mcp: %s: pinned new tools: %s", p.opts.Name, strings.Join(c.added, ", ")))
		}
	}
	p.mu.Lock()
	if p.toolsGen == gen {
		// Unless the upstream said its tools changed meanwhile: then this
		// listing may be of the old ones, and the next call lists again.
		p.tools, p.schemas, p.listed = state, schemas, true
	}
	p.mu.Unlock()
	return tools, state, nil
}

// toolStatus is a tool's state from the last listing, listing first when
// there was none, and the tool's aliases: when the listing does not hold
// name itself, the listed tools whose names equal it ignoring case
// (strings.EqualFold), sorted. Some servers look their tools up
// case-insensitively and run such a tool for the call, so the call is
// decided as each of them too (callParts), and held back when one of them
// is (the worst of their states). A tool the upstream does not list at
// all is OK here: the policy decides it and the upstream will say it does
// not exist. When the listing or the pins fail, no tool is known to match
// its pin (toolUnchecked).
func (p *Proxy) toolStatus(ctx context.Context, name string) (toolState, []string) {
	p.mu.Lock()
	st, known := p.tools[name]
	state, listed := p.tools, p.listed // replaced, never changed in place
	p.mu.Unlock()
	if known {
		return st, nil
	}
	if !listed && p.opts.Pins != nil {
		_, fresh, err := p.refreshTools(ctx)
		if err != nil {
			p.opts.Warn(fmt.Sprintf("safeclaw mcp: %s: checking the tools against their pins: %v", p.opts.Name, err))
			return toolUnchecked, nil
		}
		if st, ok := fresh[name]; ok {
			return st, nil
		}
		state = fresh
	}
	return foldedStatus(state, name)
}

// foldedStatus is the state of a call to name, which state does not hold,
// from the listed tools whose names equal it ignoring case: OK without
// any, else the first state among them that holds a tool back, and their
// names.
func foldedStatus(state map[string]toolState, name string) (toolState, []string) {
	var aliases []string
	for listed := range state {
		if strings.EqualFold(listed, name) {
			aliases = append(aliases, listed)
		}
	}
	sort.Strings(aliases)
	for _, a := range aliases {
		if state[a] != toolOK {
			return state[a], aliases
		}
	}
	return toolOK, aliases
}

// couldAllow asks the policy, without recording, whether a facet could be
// allowed (or asked) at all.
func (p *Proxy) couldAllow(ctx context.Context, ss *mcp.ServerSession, f action.Action) bool {
	req := p.request(ctx, ss, "", []action.Part{{Facets: []action.Action{f}}})
	d, err := p.opts.Check(ctx, req)
	return err == nil && d.Effect != action.Deny
}

// ---- resources ----

func (p *Proxy) readResource(ctx context.Context, r *mcp.ReadResourceRequest) (mcp.Result, error) {
	uri := r.Params.URI
	parts, err := p.readParts(uri, "")
	if err != nil {
		return nil, err
	}
	req := p.request(ctx, r.Session, "resources/read "+uri, parts)
	if err := p.heldBack(ctx, req, resourceKey+uri); err != nil {
		return nil, err
	}
	if err := p.gate(ctx, r.Session, r.Params.Meta, req, "resources/read\x00"+uri); err != nil {
		return nil, err
	}
	meta, release := p.forwardMeta(r.Session, r.Params.Meta, r.Params.GetProgressToken())
	defer release()
	res, err := p.up.ReadResource(ctx, &mcp.ReadResourceParams{URI: uri, Meta: meta})
	if err != nil {
		return nil, p.upstreamError(err)
	}
	if res.NeedsInput() || res.InputRequests != nil {
		return nil, p.inputRequested("resources/read " + uri)
	}
	return redactResult(p, "resources/read "+uri, res), nil
}

// readParts are an mcp.read of uri and, for a file: URI, a file.read of
// its path in a part of its own, so file rules (secrets, safeclaw's keys)
// apply to it. A URI that a URL parser may read as a local file but whose
// path safeclaw cannot tell for sure is an error: it is refused, not read
// without the file rules.
func (p *Proxy) readParts(uri, detail string) ([]action.Part, error) {
	parts := []action.Part{{Facets: []action.Action{{Kind: action.MCPRead, Server: p.opts.Name, URL: uri, Detail: detail}}}}
	name, isFile, err := fileURIPath(uri)
	if err != nil {
		return nil, &jsonrpc.Error{Code: CodeDenied, Message: fmt.Sprintf("Denied by safeclaw: the resource URI %q names a local file whose path safeclaw cannot tell for sure (%v), so the file rules cannot be applied to it. Use a plain file:///absolute/path URI.", uri, err)}
	}
	if isFile {
		parts = append(parts, action.Part{Facets: []action.Action{{Kind: action.FileRead, Path: name, Detail: "MCP resource " + uri}}})
	}
	return parts, nil
}

// fileURIPath reports whether uri is a file: URI as the servers' URL
// parsers read it, and its absolute path. Those parsers are lenient where
// Go's is strict: WHATWG's (Node's URL, browsers) and Python's drop
// leading and trailing control characters and spaces and every tab and
// line break, ignore the case of the scheme and of "localhost", and many
// servers ignore the host altogether; so the host is not looked at, and a
// file: URI that Go cannot parse, that holds a backslash (a slash to
// WHATWG) or has no absolute path is an error rather than no file.
func fileURIPath(uri string) (name string, isFile bool, err error) {
	s := strings.TrimFunc(uri, func(r rune) bool { return r <= ' ' })
	s = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, s)
	if len(s) < 5 || !strings.EqualFold(s[:5], "file:") {
		return "", false, nil
	}
	if strings.Contains(s, "\\") {
		return "", true, errors.New("it holds a backslash")
	}
	u, perr := url.Parse(s)
	switch {
	case perr != nil:
		return "", true, errors.New("it is not a valid URL")
	case u.Opaque != "" || !strings.HasPrefix(u.Path, "/"):
		return "", true, errors.New("it has no absolute path")
	}
	return path.Clean(u.Path), true, nil
}

func (p *Proxy) subscribe(ctx context.Context, r *mcp.SubscribeRequest) error {
	if err := p.upstreamGone(); err != nil {
		return err
	}
	uri := r.Params.URI
	parts, err := p.readParts(uri, "subscribe")
	if err != nil {
		return err
	}
	req := p.request(ctx, r.Session, "resources/subscribe "+uri, parts)
	if err := p.heldBack(ctx, req, resourceKey+uri); err != nil {
		return err
	}
	if err := p.gate(ctx, r.Session, r.Params.Meta, req, "resources/subscribe\x00"+uri); err != nil {
		return err
	}
	p.pruneSubs()
	p.mu.Lock()
	holders := p.subs[uri]
	first := len(holders) == 0
	if holders == nil {
		holders = map[*mcp.ServerSession]bool{}
		p.subs[uri] = holders
	}
	holders[r.Session] = true
	p.mu.Unlock()
	if first {
		if err := p.up.Subscribe(ctx, &mcp.SubscribeParams{URI: uri}); err != nil {
			p.mu.Lock()
			if h := p.subs[uri]; h != nil {
				delete(h, r.Session)
				if len(h) == 0 {
					delete(p.subs, uri)
				}
			}
			p.mu.Unlock()
			return p.upstreamError(err)
		}
	}
	return nil
}

// unsubscribe ends the session's own subscription to a URI; the upstream
// is unsubscribed when no session is subscribed any longer. A session
// that holds no subscription to the URI changes nothing: one client
// cannot end another's subscription (over HTTP, any number of clients
// share the upstream).
func (p *Proxy) unsubscribe(ctx context.Context, r *mcp.UnsubscribeRequest) error {
	p.pruneSubs()
	uri := r.Params.URI
	p.mu.Lock()
	holders := p.subs[uri]
	if !holders[r.Session] {
		p.mu.Unlock()
		return nil
	}
	delete(holders, r.Session)
	last := len(holders) == 0
	if last {
		delete(p.subs, uri)
	}
	p.mu.Unlock()
	if last {
		p.upUnsubscribe(ctx, uri)
	}
	return nil
}

// upUnsubscribe ends the upstream's subscription to uri. It runs even when
// ctx has ended (a subscriptions/listen ends so), within 10 seconds.
func (p *Proxy) upUnsubscribe(ctx context.Context, uri string) {
	if p.UpstreamErr() != nil {
		return
	}
	uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := p.up.Unsubscribe(uctx, &mcp.UnsubscribeParams{URI: uri}); err != nil {
		p.opts.Warn(fmt.Sprintf("safeclaw mcp: %s: ending the upstream's subscription to %s: %v", p.opts.Name, uri, err))
	}
}

// pruneSubs drops the subscriptions of sessions that have ended (a client
// that went away; over HTTP, a legacy client's session ends with its
// request), unsubscribing the upstream from what nobody follows any more.
func (p *Proxy) pruneSubs() {
	server := p.srv()
	if server == nil {
		return
	}
	live := map[*mcp.ServerSession]bool{}
	for ss := range server.Sessions() {
		live[ss] = true
	}
	var gone []string
	p.mu.Lock()
	for uri, holders := range p.subs {
		for ss := range holders {
			if !live[ss] {
				delete(holders, ss)
			}
		}
		if len(holders) == 0 {
			delete(p.subs, uri)
			gone = append(gone, uri)
		}
	}
	p.mu.Unlock()
	for _, uri := range gone {
		p.upUnsubscribe(context.Background(), uri)
	}
}

func (p *Proxy) listResources(ctx context.Context, r *mcp.ListResourcesRequest) (mcp.Result, error) {
	params := &mcp.ListResourcesParams{}
	if r.Params != nil {
		params.Cursor = r.Params.Cursor
	}
	res, err := p.up.ListResources(ctx, params)
	if err != nil {
		return nil, p.upstreamError(err)
	}
	entries := make([]pinEntry, 0, len(res.Resources))
	for _, rs := range res.Resources {
		if rs != nil {
			entries = append(entries, pinEntry{key: resourceKey + rs.URI, desc: rs.Description,
				hash: ResourceHash(rs.URI, rs.Name, rs.Title, rs.Description, rs.MIMEType, rs.Annotations, rs.Meta, rs.Icons)})
		}
	}
	c, err := p.pinListed("resource", entries)
	if err != nil {
		return nil, err
	}
	out := &mcp.ListResourcesResult{NextCursor: res.NextCursor, Resources: make([]*mcp.Resource, 0, len(res.Resources))}
	shown := map[string]bool{}
	for _, rs := range res.Resources {
		if rs == nil || shown[rs.URI] || c.state(resourceKey+rs.URI) != toolOK {
			continue
		}
		if p.couldAllow(ctx, r.Session, action.Action{Kind: action.MCPRead, Server: p.opts.Name, URL: rs.URI}) {
			shown[rs.URI] = true
			out.Resources = append(out.Resources, rs)
		}
	}
	return out, nil
}

func (p *Proxy) listResourceTemplates(ctx context.Context, r *mcp.ListResourceTemplatesRequest) (mcp.Result, error) {
	params := &mcp.ListResourceTemplatesParams{}
	if r.Params != nil {
		params.Cursor = r.Params.Cursor
	}
	res, err := p.up.ListResourceTemplates(ctx, params)
	if err != nil {
		return nil, p.upstreamError(err)
	}
	entries := make([]pinEntry, 0, len(res.ResourceTemplates))
	for _, rt := range res.ResourceTemplates {
		if rt != nil {
			entries = append(entries, pinEntry{key: templateKey + rt.URITemplate, desc: rt.Description,
				hash: ResourceHash(rt.URITemplate, rt.Name, rt.Title, rt.Description, rt.MIMEType, rt.Annotations, rt.Meta, rt.Icons)})
		}
	}
	c, err := p.pinListed("resource template", entries)
	if err != nil {
		return nil, err
	}
	out := &mcp.ListResourceTemplatesResult{NextCursor: res.NextCursor, ResourceTemplates: make([]*mcp.ResourceTemplate, 0, len(res.ResourceTemplates))}
	shown := map[string]bool{}
	for _, rt := range res.ResourceTemplates {
		if rt != nil && !shown[rt.URITemplate] && c.state(templateKey+rt.URITemplate) == toolOK {
			shown[rt.URITemplate] = true
			out.ResourceTemplates = append(out.ResourceTemplates, rt)
		}
	}
	return out, nil
}

// pinListed checks the prompts, resources or resource templates of one
// listing page against their pins, reports changes and remembers each
// one's state for the requests that use it (heldBack).
func (p *Proxy) pinListed(kind string, entries []pinEntry) (pinCheck, error) {
	if p.opts.Pins == nil {
		return pinCheck{}, nil
	}
	c, err := p.opts.Pins.checkEntries(entries, p.opts.Now())
	if err != nil {
		return pinCheck{}, &jsonrpc.Error{Code: CodeDenied, Message: fmt.Sprintf("safeclaw: pins for %q: %v", p.opts.Name, err)}
	}
	for _, key := range c.changed {
		p.opts.Warn(fmt.Sprintf("safeclaw mcp: %s: the definition of %s %q changed since it was pinned; it is hidden and refused until a person reviews it and runs 'safeclaw mcp trust %s'", p.opts.Name, kind, pinnedName(key), p.opts.Name))
	}
	for _, key := range c.dup {
		p.opts.Warn(fmt.Sprintf("safeclaw mcp: %s: the server lists %s %q more than once, with different definitions; it is hidden and refused", p.opts.Name, kind, pinnedName(key)))
	}
	if len(c.added) > 0 {
		names := make([]string, len(c.added))
		for i, key := range c.added {
			names[i] = pinnedName(key)
		}
		p.opts.Warn(fmt.Sprintf("safeclaw mcp: %s: pinned new %ss: %s", p.opts.Name, kind, strings.Join(names, ", ")))
	}
	p.mu.Lock()
	for _, e := range entries {
		p.listedAs[e.key] = c.state(e.key)
	}
	p.mu.Unlock()
	return c, nil
}

// pinnedName is a pin key without its kind.
func pinnedName(key string) string {
	for _, k := range []string{promptKey, resourceKey, templateKey} {
		if strings.HasPrefix(key, k) {
			return key[len(k):]
		}
	}
	return key
}

// heldBack is the error for a request that uses a prompt, resource or
// resource template (by pin key) whose listed definition changed since it
// was pinned, or was listed twice with different definitions; nil
// otherwise. The refusal is recorded like a tool's.
func (p *Proxy) heldBack(ctx context.Context, req *action.Request, keys ...string) error {
	p.mu.Lock()
	st, key := toolOK, ""
	for _, k := range keys {
		if s, ok := p.listedAs[k]; ok && s != toolOK {
			st, key = s, k
			break
		}
	}
	p.mu.Unlock()
	var why string
	switch st {
	case toolOK:
		return nil
	case toolDuplicate:
		why = fmt.Sprintf("the server lists %q more than once, with different definitions", pinnedName(key))
	default:
		why = fmt.Sprintf("the definition of %q changed since it was pinned, so it is held back until a person reviews it (safeclaw mcp trust %s)", pinnedName(key), p.opts.Name)
	}
	p.record(ctx, Event{Kind: EventPinDenied, Request: req, Decision: action.Decision{Effect: action.Deny, Reason: why, Part: -1}})
	return &jsonrpc.Error{Code: CodeDenied, Message: "Denied by safeclaw: " + why + ". Do not retry it."}
}

// ---- prompts and completions ----

func (p *Proxy) getPrompt(ctx context.Context, r *mcp.GetPromptRequest) (mcp.Result, error) {
	name := r.Params.Name
	args, err := promptArgs(r.Params.Arguments)
	if err != nil {
		return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: fmt.Sprintf("safeclaw: prompts/get %q: %v", name, err)}
	}
	parts := []action.Part{{Facets: []action.Action{{Kind: action.MCPPrompt, Server: p.opts.Name, Tool: name, Args: args}}}}
	keys := []string{promptKey + name}
	for _, alias := range p.promptAliases(name) {
		// Decided as the listed prompt too, as for tools (callParts).
		parts = append(parts, action.Part{Facets: []action.Action{{Kind: action.MCPPrompt, Server: p.opts.Name, Tool: alias, Args: args,
			Detail: fmt.Sprintf("as the listed prompt %q, whose name differs from the request's only in case", alias)}}})
		keys = append(keys, promptKey+alias)
	}
	req := p.request(ctx, r.Session, "prompts/get "+name+" "+compactJSON(args), parts)
	if err := p.heldBack(ctx, req, keys...); err != nil {
		return nil, err
	}
	if err := p.gate(ctx, r.Session, r.Params.Meta, req, "prompts/get\x00"+name+"\x00"+compactJSON(args)); err != nil {
		return nil, err
	}
	meta, release := p.forwardMeta(r.Session, r.Params.Meta, r.Params.GetProgressToken())
	defer release()
	res, err := p.up.GetPrompt(ctx, &mcp.GetPromptParams{Name: name, Arguments: r.Params.Arguments, Meta: meta})
	if err != nil {
		return nil, p.upstreamError(err)
	}
	if res.NeedsInput() || res.InputRequests != nil {
		return nil, p.inputRequested("prompts/get " + name)
	}
	return redactResult(p, "prompts/get "+name, res), nil
}

// promptAliases are the prompts listed so far whose names equal name
// ignoring case, when name itself was not listed: a server that looks its
// prompts up case-insensitively gives one of them (see toolStatus).
func (p *Proxy) promptAliases(name string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.listedAs[promptKey+name]; ok {
		return nil
	}
	var out []string
	for k := range p.listedAs {
		if listed, ok := strings.CutPrefix(k, promptKey); ok && strings.EqualFold(listed, name) {
			out = append(out, listed)
		}
	}
	sort.Strings(out)
	return out
}

func (p *Proxy) listPrompts(ctx context.Context, r *mcp.ListPromptsRequest) (mcp.Result, error) {
	params := &mcp.ListPromptsParams{}
	if r.Params != nil {
		params.Cursor = r.Params.Cursor
	}
	res, err := p.up.ListPrompts(ctx, params)
	if err != nil {
		return nil, p.upstreamError(err)
	}
	entries := make([]pinEntry, 0, len(res.Prompts))
	for _, pr := range res.Prompts {
		if pr != nil {
			entries = append(entries, pinEntry{key: promptKey + pr.Name, hash: PromptHash(pr), desc: pr.Description})
		}
	}
	c, err := p.pinListed("prompt", entries)
	if err != nil {
		return nil, err
	}
	out := &mcp.ListPromptsResult{NextCursor: res.NextCursor, Prompts: make([]*mcp.Prompt, 0, len(res.Prompts))}
	shown := map[string]bool{}
	for _, pr := range res.Prompts {
		if pr == nil || shown[pr.Name] || c.state(promptKey+pr.Name) != toolOK {
			continue
		}
		if p.couldAllow(ctx, r.Session, action.Action{Kind: action.MCPPrompt, Server: p.opts.Name, Tool: pr.Name, Args: action.AnyArgs{}}) {
			shown[pr.Name] = true
			out.Prompts = append(out.Prompts, pr)
		}
	}
	return out, nil
}

// promptArgs are a prompt's (or a completion's) string arguments as the
// policy sees them; keys that differ only in case are refused, as they are
// in tools/call arguments (a server may read either).
func promptArgs(in map[string]string) (map[string]any, error) {
	args := make(map[string]any, len(in))
	for k, v := range in {
		args[k] = v
	}
	if a, b, clash := action.KeysDifferingInCase(args); clash {
		return nil, fmt.Errorf("arguments hold keys that differ only in case (%q and %q): the server may read either, so they are refused", a, b)
	}
	if a, b, clash := keysFoldingAlike(args, 0); clash {
		return nil, fmt.Errorf("arguments hold keys that differ only in case (%q and %q): the server may read either, so they are refused", a, b)
	}
	return args, nil
}

// complete gates completion/complete like what it completes: a prompt's
// argument (mcp.prompt) or a resource template's (mcp.read). The values
// of the other arguments the client gives as context reach the server too,
// so they are decided as well: for a prompt as its arguments, for a
// template as the URI they expand it to.
func (p *Proxy) complete(ctx context.Context, r *mcp.CompleteRequest) (mcp.Result, error) {
	ref := r.Params.Ref
	if ref == nil {
		return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: "safeclaw: completion/complete without ref"}
	}
	var ctxArgs map[string]string
	if r.Params.Context != nil {
		ctxArgs = r.Params.Context.Arguments
	}
	args, err := promptArgs(map[string]string{r.Params.Argument.Name: r.Params.Argument.Value})
	if err != nil {
		return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: "safeclaw: completion/complete: " + err.Error()}
	}
	others, err := promptArgs(ctxArgs)
	if err != nil {
		return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: "safeclaw: completion/complete context: " + err.Error()}
	}
	var parts []action.Part
	var aliases []string
	switch ref.Type {
	case "ref/prompt":
		aliases = p.promptAliases(ref.Name)
		for i, name := range append([]string{ref.Name}, aliases...) {
			as := ""
			if i > 0 {
				as = fmt.Sprintf(" (as the listed prompt %q, whose name differs from the request's only in case)", name)
			}
			parts = append(parts, action.Part{Facets: []action.Action{{Kind: action.MCPPrompt, Server: p.opts.Name, Tool: name, Args: args, Detail: "completion" + as}}})
			if len(others) > 0 {
				parts = append(parts, action.Part{Facets: []action.Action{{Kind: action.MCPPrompt, Server: p.opts.Name, Tool: name, Args: others, Detail: "completion context" + as}}})
			}
		}
	case "ref/resource":
		// Like a read of the resource: a file: URI is a file.read too,
		// so that file rules apply to completing it.
		if parts, err = p.readParts(ref.URI, "completion"); err != nil {
			return nil, err
		}
		if filled := expandTemplate(ref.URI, r.Params.Argument.Name, r.Params.Argument.Value, ctxArgs); filled != ref.URI {
			more, err := p.readParts(filled, "completion")
			if err != nil {
				return nil, err
			}
			parts = append(parts, more...)
		}
	default:
		return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: fmt.Sprintf("safeclaw: unknown completion ref type %q", ref.Type)}
	}
	input := "completion/complete " + ref.Type + " " + ref.Name + ref.URI + " " + compactJSON(args)
	if len(others) > 0 {
		input += " context " + compactJSON(others)
	}
	req := p.request(ctx, r.Session, input, parts)
	keys := []string{promptKey + ref.Name, templateKey + ref.URI, resourceKey + ref.URI}
	for _, alias := range aliases {
		keys = append(keys, promptKey+alias)
	}
	if err := p.heldBack(ctx, req, keys...); err != nil {
		return nil, err
	}
	if err := p.gate(ctx, r.Session, nil, req, ""); err != nil {
		return nil, err
	}
	res, err := p.up.Complete(ctx, &mcp.CompleteParams{Ref: ref, Argument: r.Params.Argument, Context: r.Params.Context})
	if err != nil {
		return nil, p.upstreamError(err)
	}
	return res, nil
}

// expandTemplate fills a URI template's expressions ({name}, {+name},
// {/a,b}, ...) with the argument being completed and the context's values,
// unencoded (so that a path reads as the server may read it); variables
// without a value expand to nothing.
func expandTemplate(tmpl, name, value string, ctxArgs map[string]string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(tmpl, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(tmpl[i:], '}')
		if j < 0 {
			break
		}
		b.WriteString(tmpl[:i])
		expr := strings.TrimLeft(tmpl[i+1:i+j], "+#./;?&=,!@|")
		var vals []string
		for _, v := range strings.Split(expr, ",") {
			v, _, _ = strings.Cut(v, ":")
			v = strings.TrimSuffix(v, "*")
			switch {
			case v == name:
				vals = append(vals, value)
			case ctxArgs[v] != "":
				vals = append(vals, ctxArgs[v])
			}
		}
		b.WriteString(strings.Join(vals, ","))
		tmpl = tmpl[i+j+1:]
	}
	b.WriteString(tmpl)
	return b.String()
}

// gate decides a request of a method other than tools/call: nil to go on,
// else the JSON-RPC error to answer. meta is the request's own _meta; bind
// identifies the exact request for an elicited approval ("" allows no
// asking: completions deny on ask).
func (p *Proxy) gate(ctx context.Context, ss *mcp.ServerSession, meta mcp.Meta, req *action.Request, bind string) error {
	d := p.decide(ctx, req)
	switch d.Effect {
	case action.Allow:
		return nil
	case action.Ask:
		if bind == "" {
			return &jsonrpc.Error{Code: CodeDenied, Message: askDeniedMessage(req, d, "")}
		}
		ok, why, _ := p.ask(ctx, ss, req, d, bind, askState{meta: meta})
		if ok {
			return nil
		}
		return &jsonrpc.Error{Code: CodeDenied, Message: why}
	}
	return &jsonrpc.Error{Code: CodeDenied, Message: denyMessage(req, d)}
}

// ---- requests and decisions ----

// request builds the request for the gate. Nothing per-call (ids, tokens)
// goes into it, so a retry of the same call is the same request (approvals
// bind to it).
func (p *Proxy) request(ctx context.Context, ss *mcp.ServerSession, input string, parts []action.Part) *action.Request {
	req := &action.Request{Surface: "mcp", Agent: p.agentOf(ctx, ss), Input: input, Time: p.opts.Now(), Parts: parts}
	if p.local {
		req.Cwd = p.opts.Cwd
	}
	return req
}

// agentOf names the client from its clientInfo (claude-code is claude;
// see agentName), else Options.Agent. Over HTTP the client's word is not
// taken: any client of the listener (holding its token) may name itself
// anything, in the 2026-07-28 era afresh in each request, so a name
// there proves nothing and would let a client match another agent's
// rules.
func (p *Proxy) agentOf(ctx context.Context, ss *mcp.ServerSession) string {
	if _, viaHTTP := ctx.Value(clientContextKey{}).(context.Context); viaHTTP {
		return p.opts.Agent
	}
	if ss != nil {
		if ip := ss.InitializeParams(); ip != nil && ip.ClientInfo != nil {
			if name := agentName(ip.ClientInfo.Name); name != "" {
				return name
			}
		}
	}
	return p.opts.Agent
}

// agentName is an agent's name from a client's own name: the agents
// safeclaw knows by the start of it (claude-code is claude), any other
// lower-cased, with every run of characters other than letters, digits,
// '.', '_' and '-' (spaces, '*', line breaks, escapes) as one '-', at most
// 64 bytes; "" for a name with nothing left.
func agentName(client string) string {
	name := strings.ToLower(strings.TrimSpace(client))
	for _, a := range []string{"claude", "codex", "gemini", "cursor"} {
		if strings.HasPrefix(name, a) {
			return a
		}
	}
	var b strings.Builder
	dash := false
	for _, r := range name {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-' {
			b.WriteRune(r)
			dash = false
		} else if !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	s := strings.Trim(b.String(), "-.")
	if len(s) > 64 {
		s = strings.TrimRight(s[:64], "-.")
	}
	return s
}

// decide runs the gate; an error is a deny that says so.
func (p *Proxy) decide(ctx context.Context, req *action.Request) action.Decision {
	d, err := p.opts.Decide(ctx, req)
	if err != nil {
		d = p.undecided(d, err)
	}
	return d
}

// undecided is the deny for a decision that came with an error.
func (p *Proxy) undecided(d action.Decision, err error) action.Decision {
	d.Effect = action.Deny
	if d.Reason == "" {
		d.Reason = "safeclaw could not decide: " + err.Error()
	}
	return d
}

// forwardMeta is the _meta sent upstream: the client's, without the
// protocol's own io.modelcontextprotocol/ keys (the upstream connection has
// its own era and capabilities), and with the progress token replaced by
// one unique to this call so that progress reaches the right client.
func (p *Proxy) forwardMeta(ss *mcp.ServerSession, in mcp.Meta, progress any) (mcp.Meta, func()) {
	var out mcp.Meta
	for k, v := range in {
		if strings.HasPrefix(k, "io.modelcontextprotocol/") || k == "progressToken" {
			continue
		}
		if out == nil {
			out = mcp.Meta{}
		}
		out[k] = v
	}
	if progress == nil || ss == nil {
		return out, func() {}
	}
	tok := "safeclaw-" + strconv.FormatInt(p.nextTok.Add(1), 10)
	p.mu.Lock()
	p.progress[tok] = progressTarget{ss: ss, token: progress}
	p.mu.Unlock()
	if out == nil {
		out = mcp.Meta{}
	}
	out["progressToken"] = tok
	return out, func() {
		p.mu.Lock()
		delete(p.progress, tok)
		p.mu.Unlock()
	}
}

// decodeArgs decodes tools/call arguments: a JSON object (absent or null
// is empty), numbers kept as written.
func decodeArgs(raw json.RawMessage) (map[string]any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return map[string]any{}, nil
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("arguments are not JSON: %v", err)
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("arguments have data after the JSON object")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("arguments must be a JSON object")
	}
	if a, b, clash := action.KeysDifferingInCase(m); clash {
		return nil, fmt.Errorf("arguments hold keys that differ only in case (%q and %q): the server may read either, so they are refused", a, b)
	}
	if a, b, clash := keysFoldingAlike(m, 0); clash {
		return nil, fmt.Errorf("arguments hold keys that differ only in case (%q and %q): the server may read either, so they are refused", a, b)
	}
	if err := checkNumbers(m, 0); err != nil {
		return nil, err
	}
	return m, nil
}

// maxArgsDepth bounds the nesting the argument checks walk; deeper
// arguments are refused (no JSON a tool needs is nested so deep).
const maxArgsDepth = 256

var errTooDeep = fmt.Errorf("arguments are nested more than %d levels deep", maxArgsDepth)

// keysFoldingAlike finds two keys of one object that a case-insensitive
// decoder takes for the same name under Unicode case folding, which
// lower-casing alone misses: Go's encoding/json matches struct fields so,
// and reads "ſql" (long s) and "K" (Kelvin sign) as "sql" and "k".
func keysFoldingAlike(v any, depth int) (a, b string, found bool) {
	if depth > maxArgsDepth {
		return "", "", false // refused by checkNumbers
	}
	switch x := v.(type) {
	case map[string]any:
		seen := make(map[string]string, len(x))
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			f := action.FoldKey(k)
			if prev, ok := seen[f]; ok {
				return prev, k, true
			}
			seen[f] = k
		}
		for _, k := range keys {
			if a, b, found := keysFoldingAlike(x[k], depth+1); found {
				return a, b, true
			}
		}
	case []any:
		for _, e := range x {
			if a, b, found := keysFoldingAlike(e, depth+1); found {
				return a, b, true
			}
		}
	}
	return "", "", false
}

// checkNumbers refuses numbers no server can read as a double (beyond
// ±1.8e308: JavaScript and Python read Infinity, Go an error), and
// arguments nested too deep to check.
func checkNumbers(v any, depth int) error {
	if depth > maxArgsDepth {
		return errTooDeep
	}
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			if err := checkNumbers(e, depth+1); err != nil {
				return err
			}
		}
	case []any:
		for _, e := range x {
			if err := checkNumbers(e, depth+1); err != nil {
				return err
			}
		}
	case json.Number:
		if _, err := strconv.ParseFloat(string(x), 64); err != nil {
			s := string(x)
			if len(s) > 40 {
				s = s[:40] + "..."
			}
			return fmt.Errorf("the number %s is beyond what a double holds (servers read it as Infinity, or fail), so it is refused", s)
		}
	}
	return nil
}

// rewriteElems applies f to each element of x: a copy of x with the
// elements f changed, and true; x itself and false when f changed none.
func rewriteElems(x []any, f func(any) (any, bool)) (any, bool) {
	var out []any
	for i, e := range x {
		if alt, changed := f(e); changed {
			if out == nil {
				out = append([]any(nil), x...)
			}
			out[i] = alt
		}
	}
	if out == nil {
		return x, false
	}
	return out, true
}

// doubleReading returns v with every number as a double reads it, written
// as JavaScript writes it (1.0 as 1, 1e2 as 100, -0 as 0,
// 9007199254740993 as 9007199254740992, 1e21 as 1e+21), and whether any
// number reads otherwise than it is written. Unchanged parts of v are
// shared.
func doubleReading(v any) (any, bool) {
	switch x := v.(type) {
	case map[string]any:
		var out map[string]any
		for k, e := range x {
			if alt, differs := doubleReading(e); differs {
				if out == nil {
					out = make(map[string]any, len(x))
					for k2, e2 := range x {
						out[k2] = e2
					}
				}
				out[k] = alt
			}
		}
		if out == nil {
			return v, false
		}
		return out, true
	case []any:
		return rewriteElems(x, doubleReading)
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			return v, false // refused by checkNumbers
		}
		if f == 0 {
			f = 0 // -0 reads as 0
		}
		b, err := json.Marshal(f)
		if err != nil || string(b) == string(x) {
			return v, false
		}
		return json.Number(b), true
	}
	return v, false
}

// compactJSON encodes v with sorted keys and without HTML escaping.
func compactJSON(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// errorResult is a tool result the model sees as a failed call.
func errorResult(text string) *mcp.CallToolResult {
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: text}}, IsError: true}
}

func ruleText(d action.Decision) string {
	if d.Rule == nil {
		if d.Reason != "" {
			return d.Reason
		}
		return "no rule allows it (default: deny)"
	}
	s := "rule " + strconv.Quote(d.Rule.Name)
	if d.Rule.Source != "" {
		s += " (" + d.Rule.Source + ")"
	}
	if d.Reason != "" && d.Reason != d.Rule.Name {
		s += ": " + d.Reason
	}
	return s
}

func notes(d action.Decision) string {
	if len(d.Notes) == 0 {
		return ""
	}
	return " Note: " + strings.Join(d.Notes, "; ") + "."
}

// subject names what was asked for: the input, shortened.
func subject(req *action.Request) string {
	s := req.Input
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

func denyMessage(req *action.Request, d action.Decision) string {
	return "Denied by safeclaw: " + subject(req) + ": " + ruleText(d) + "." + notes(d) +
		" If this is needed, ask the user to change the safeclaw policy (safeclaw policy explain shows why); do not retry it in another form."
}

func approveHint(id string) string {
	if id == "" {
		return "Ask the user to approve it in safeclaw (safeclaw approvals list shows pending requests), then retry the same call unchanged."
	}
	return "Ask the user to approve it with: safeclaw approvals approve " + id + " ; then retry the same call unchanged."
}

func askDeniedMessage(req *action.Request, d action.Decision, id string) string {
	if d.Approval.Restricted() {
		return "safeclaw needs " + d.Approval.Describe() + " for " + subject(req) + " (" + ruleText(d) +
			") and cannot ask for it here, so it is denied for now." + notes(d) + " " + approveHint(id)
	}
	return "safeclaw needs a person's approval for " + subject(req) + " (" + ruleText(d) + ") and cannot ask one here, so it is denied for now." +
		notes(d) + " " + approveHint(id)
}

func notApprovedMessage(req *action.Request, d action.Decision, why string) string {
	return "Denied by safeclaw: " + subject(req) + " needs a person's approval (" + ruleText(d) + ") and " + why + "." +
		" Do not retry it in another form; ask the user."
}
