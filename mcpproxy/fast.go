package mcpproxy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/safeclaw/safeclaw/action"
)

// The fast path carries an allowed tools/call past the SDK's typed server
// and client: relaying through them costs about 350 µs per call on the
// project's VM, a raw relay of the same JSON-RPC message about 25 µs. It
// works on the stdio byte streams, below the SDK's transports (lane.go):
//
//   - the client's lane offers it every line first; it takes a tools/call
//     request only when nothing about it needs the SDK's sessions: the
//     client and the upstream speak the same version, or the upstream the
//     2026-07-28 era (whose per-request _meta triple it gives the call, the
//     proxy's own, as the SDK's client does), the call carries no
//     multi-round-trip answers, its progress token is not in use, its tool
//     is not held back by pinning, and the policy allows it (checked without
//     recording first, so that every other call takes the ordinary path,
//     asks and messages included);
//   - it then decides the call through the gate (recording it), forwards
//     the request (params rebuilt from what was decided, as the SDK path
//     builds them) under an ID of its own to the upstream, and the
//     upstream's lane hands the response back to the client under
//     the client's ID once the decision's audit record is on disk; progress
//     notifications for the call go straight to the client;
//   - a cancellation of such a call is forwarded; when the upstream ends,
//     the calls in flight are answered with errors.
//
// Everything else, and every call until the session is set up, goes
// through the SDK as before.
type fastPath struct {
	p    *Proxy
	next atomic.Int64

	mu      sync.Mutex
	ss      *mcp.ServerSession // the stdio session, once connected
	down    *lineWriter        // to the client, once connected
	up      *lineWriter        // to the upstream, once connected
	pending map[string]*fastCall
	byOrig  map[string]string // the client's request ID → ours
	tokens  map[string]bool   // progress tokens of fast calls in flight
	ended   error             // why the upstream ended, once it has
	// meta is the per-request _meta triple (protocol version, client info
	// and capabilities) the SDK's client sends an upstream of the
	// 2026-07-28 era, as seen on its first request; a forwarded call
	// carries it too.
	meta map[string]json.RawMessage
}

type fastCall struct {
	orig    jsonrpc.ID
	durable *action.Barrier
	token   string // progress token key, "" for none
}

func newFastPath(p *Proxy) *fastPath {
	return &fastPath{p: p, pending: map[string]*fastCall{}, byOrig: map[string]string{}, tokens: map[string]bool{}}
}

// metaKeys are the per-request _meta fields of the 2026-07-28 era.
var metaKeys = []string{mcp.MetaKeyProtocolVersion, mcp.MetaKeyClientInfo, mcp.MetaKeyClientCapabilities}

// newVersion reports a protocol version of the stateless 2026-07-28 era.
func newVersion(v string) bool { return v >= "2026-07-28" }

// fastParams is what the fast path reads of a tools/call request's params.
type fastParams struct {
	Name      string
	Arguments json.RawMessage
	Meta      map[string]json.RawMessage
}

// parseCall reads a tools/call request's params as the SDK reads them
// (exact keys, the last of duplicates), for a session of protocol version
// session. It declines (false) whatever the SDK's path should judge: params
// it would refuse or read otherwise, a multi-round-trip answer
// (requestState, inputResponses), and per-request _meta of the 2026-07-28
// era that is not the session's own version with its capabilities (the
// SDK refuses an unsupported version or missing capabilities, and answers a
// request of another era in that era's shape).
func parseCall(raw json.RawMessage, session string) (fastParams, bool) {
	var out fastParams
	fields, ok := objectFields(raw)
	if !ok {
		return out, false
	}
	if _, ok := fields["requestState"]; ok {
		return out, false
	}
	if _, ok := fields["inputResponses"]; ok {
		return out, false
	}
	if json.Unmarshal(fields["name"], &out.Name) != nil || out.Name == "" {
		return out, false
	}
	out.Arguments = fields["arguments"]
	if m, ok := fields["_meta"]; ok && json.Unmarshal(m, &out.Meta) != nil {
		return out, false
	}
	var version string
	perRequest := json.Unmarshal(out.Meta[mcp.MetaKeyProtocolVersion], &version) == nil && newVersion(version)
	if !perRequest {
		return out, !newVersion(session)
	}
	if version != session || !isObject(out.Meta[mcp.MetaKeyClientCapabilities]) {
		return out, false
	}
	var caps mcp.ClientCapabilities
	if json.Unmarshal(out.Meta[mcp.MetaKeyClientCapabilities], &caps) != nil {
		return out, false
	}
	if info, ok := out.Meta[mcp.MetaKeyClientInfo]; ok {
		var impl mcp.Implementation
		if !isObject(info) || json.Unmarshal(info, &impl) != nil {
			return out, false
		}
	}
	return out, true
}

// isObject reports whether raw is a JSON object (by its first byte; the
// value was decoded already).
func isObject(raw json.RawMessage) bool {
	t := bytes.TrimLeft(raw, " \t\r\n")
	return len(t) > 0 && t[0] == '{'
}

func idKey(id jsonrpc.ID) string { return fmt.Sprintf("%T:%v", id.Raw(), id.Raw()) }

// tokenKey normalises a progress token (a string or a number); "" for
// anything else.
func tokenKey(raw json.RawMessage) string {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return ""
	}
	switch v.(type) {
	case string, float64:
		return fmt.Sprintf("%T:%v", v, v)
	}
	return ""
}

// eligible reports whether the session is set up for the fast path.
func (f *fastPath) eligible() (*mcp.ServerSession, *lineWriter, *lineWriter, bool) {
	f.mu.Lock()
	ss, down, up, known := f.ss, f.down, f.up, f.meta != nil
	f.mu.Unlock()
	if ss == nil || down == nil || up == nil || f.p.up == nil {
		return nil, nil, nil, false
	}
	ip, ir := ss.InitializeParams(), f.p.up.InitializeResult()
	switch {
	case ip == nil || ir == nil || ip.ProtocolVersion == "":
		return nil, nil, nil, false
	case newVersion(ir.ProtocolVersion):
		// Forwarded calls carry the proxy's own _meta triple, as the SDK's
		// client sends it; until it has been seen, the SDK path.
		if !known {
			return nil, nil, nil, false
		}
	case newVersion(ip.ProtocolVersion) || ip.ProtocolVersion != ir.ProtocolVersion:
		return nil, nil, nil, false // the SDK translates between versions
	}
	return ss, down, up, true
}

// upstreamParams are the params the upstream gets for the client's call,
// as the SDK path builds them: name, arguments (an empty object when there
// are none) and _meta without the client's io.modelcontextprotocol/ keys,
// plus the proxy's own per-request triple for an upstream of the
// 2026-07-28 era.
func (f *fastPath) upstreamParams(name string, args json.RawMessage, meta map[string]json.RawMessage) (json.RawMessage, bool) {
	out := struct {
		Name      string                     `json:"name"`
		Arguments json.RawMessage            `json:"arguments"`
		Meta      map[string]json.RawMessage `json:"_meta,omitempty"`
	}{Name: name, Arguments: args}
	if t := bytes.TrimSpace(args); len(t) == 0 || string(t) == "null" {
		out.Arguments = json.RawMessage("{}")
	}
	for k, v := range meta {
		if strings.HasPrefix(k, "io.modelcontextprotocol/") {
			continue
		}
		if out.Meta == nil {
			out.Meta = map[string]json.RawMessage{}
		}
		out.Meta[k] = v
	}
	if ir := f.p.up.InitializeResult(); ir != nil && newVersion(ir.ProtocolVersion) {
		f.mu.Lock()
		for k, v := range f.meta {
			if out.Meta == nil {
				out.Meta = map[string]json.RawMessage{}
			}
			out.Meta[k] = v
		}
		f.mu.Unlock()
	}
	b, err := json.Marshal(out)
	return b, err == nil
}

// noteMetaLine keeps the _meta triple of the first request the SDK's
// client sends upstream that carries it.
func (f *fastPath) noteMetaLine(line []byte) {
	f.mu.Lock()
	known := f.meta != nil
	f.mu.Unlock()
	if known {
		return
	}
	msg, ok := decodeLine(line)
	if !ok {
		return
	}
	req, ok := msg.(*jsonrpc.Request)
	if !ok || !req.IsCall() {
		return
	}
	var params struct {
		Meta map[string]json.RawMessage `json:"_meta"`
	}
	if json.Unmarshal(req.Params, &params) != nil {
		return
	}
	triple := map[string]json.RawMessage{}
	for _, k := range metaKeys {
		if v, ok := params.Meta[k]; ok {
			triple[k] = v
		}
	}
	if triple[mcp.MetaKeyProtocolVersion] == nil || triple[mcp.MetaKeyClientCapabilities] == nil {
		return
	}
	f.mu.Lock()
	if f.meta == nil {
		f.meta = triple
	}
	f.mu.Unlock()
}

// intercept handles msg from the client when it can; false hands it to the
// SDK.
func (f *fastPath) intercept(ctx context.Context, msg jsonrpc.Message) bool {
	req, ok := msg.(*jsonrpc.Request)
	if !ok {
		return false
	}
	if !req.IsCall() {
		return req.Method == "notifications/cancelled" && f.forwardCancel(req)
	}
	if req.Method != "tools/call" {
		return false
	}
	ss, down, up, ok := f.eligible()
	if !ok || f.p.upstreamGone() != nil {
		return false
	}
	ip := ss.InitializeParams()
	params, ok := parseCall(req.Params, ip.ProtocolVersion)
	if !ok {
		return false
	}
	token := ""
	if t, ok := params.Meta["progressToken"]; ok {
		token = tokenKey(t)
		f.mu.Lock()
		taken := f.tokens[token]
		f.mu.Unlock()
		if token == "" || taken || strings.HasPrefix(token, "string:safeclaw-") {
			// The ordinary path keeps such tokens apart: it gives the
			// upstream tokens of its own, named safeclaw-N, which a fast
			// call's token forwarded as it is must not be mistaken for.
			return false
		}
	}
	args, err := decodeArgs(params.Arguments)
	if err != nil {
		return false
	}
	// The upstream gets the arguments as decided, re-encoded as the SDK
	// path sends them: no duplicate keys for its parser to read otherwise.
	argsJSON := compactJSON(args)
	fwd, ok := f.upstreamParams(params.Name, json.RawMessage(argsJSON), params.Meta)
	if !ok {
		return false
	}
	status, aliases := f.p.toolStatus(ctx, params.Name)
	if status != toolOK {
		return false
	}
	// One request, analysed once, for the check and the decision.
	sreq := f.p.request(ctx, ss, "tools/call "+params.Name+" "+argsJSON, f.p.callParts(params.Name, aliases, args))
	dctx, durable := action.WithDeferredBarrier(ctx)
	var d action.Decision
	if decideIfAllowed := f.p.opts.DecideIfAllowed; decideIfAllowed != nil {
		// The policy is asked once: an allow is decided and recorded
		// here, anything else takes the ordinary path undecided.
		var decided bool
		var err error
		if d, decided, err = decideIfAllowed(dctx, sreq); !decided {
			return false
		}
		if err != nil {
			d = f.p.undecided(d, err)
		}
	} else {
		if pre, err := f.p.opts.Check(ctx, sreq); err != nil || pre.Effect != action.Allow {
			return false
		}
		d = f.p.decide(dctx, sreq)
	}
	if d.Effect != action.Allow {
		// The policy changed between the check and the decision, or the
		// record could not be written: answer as the ordinary path does.
		text := denyMessage(sreq, d)
		if err := durable.Wait(); err != nil {
			text = f.p.unrecorded(err)
		}
		f.answer(down, req.ID, errorResult(text))
		return true
	}
	ourID := fmt.Sprintf("safeclaw-%d", f.next.Add(1))
	id, err := jsonrpc.MakeID(ourID)
	if err != nil {
		durable.Wait()
		f.fail(down, req.ID, &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: "safeclaw: " + err.Error()})
		return true
	}
	f.mu.Lock()
	if cause := f.ended; cause != nil {
		// upstreamEnded has run: nobody would answer the call.
		f.mu.Unlock()
		durable.Wait()
		f.fail(down, req.ID, f.goneError(cause))
		return true
	}
	f.pending[ourID] = &fastCall{orig: req.ID, durable: durable, token: token}
	f.byOrig[idKey(req.ID)] = ourID
	if token != "" {
		f.tokens[token] = true
	}
	f.mu.Unlock()
	if err := up.send(&jsonrpc.Request{ID: id, Method: req.Method, Params: fwd}); err != nil {
		if fc := f.take(ourID); fc != nil {
			durable.Wait()
			f.fail(down, fc.orig, f.p.upstreamError(err))
		}
		return true
	}
	// The record's sync runs here while the upstream works on the call
	// (unless its answer came first and the upstream's lane runs it).
	durable.Run()
	return true
}

// forwardCancel passes on the client's cancellation of a fast call.
func (f *fastPath) forwardCancel(req *jsonrpc.Request) bool {
	fields, ok := objectFields(req.Params)
	if !ok {
		return false
	}
	var requestID any
	var reason string
	if json.Unmarshal(fields["requestId"], &requestID) != nil || requestID == nil {
		return false
	}
	if r, ok := fields["reason"]; ok && json.Unmarshal(r, &reason) != nil {
		return false
	}
	orig, err := jsonrpc.MakeID(requestID)
	if err != nil {
		return false
	}
	f.mu.Lock()
	ourID, ok := f.byOrig[idKey(orig)]
	up := f.up
	f.mu.Unlock()
	if !ok || up == nil {
		return false
	}
	body, err := json.Marshal(map[string]any{"requestId": ourID, "reason": reason})
	if err != nil {
		return false
	}
	up.send(&jsonrpc.Request{Method: req.Method, Params: body})
	return true
}

// take removes and returns the fast call with our ID, or nil.
func (f *fastPath) take(ourID string) *fastCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	fc := f.pending[ourID]
	if fc != nil {
		delete(f.pending, ourID)
		delete(f.byOrig, idKey(fc.orig))
		delete(f.tokens, fc.token)
	}
	return fc
}

// response hands the upstream's answer to a fast call back to the client,
// once the call's audit record is on disk. It reports false for messages
// that are not answers to fast calls.
func (f *fastPath) response(msg jsonrpc.Message) bool {
	resp, ok := msg.(*jsonrpc.Response)
	if !ok {
		return false
	}
	key, ok := resp.ID.Raw().(string)
	if !ok {
		return false
	}
	fc := f.take(key)
	if fc == nil {
		return false
	}
	f.mu.Lock()
	down := f.down
	f.mu.Unlock()
	// The record's sync ran (or is running) in the client's lane right
	// after the call was forwarded; if it has not started yet, Wait runs it
	// here. Waiting holds back the upstream's later messages only while it
	// finishes.
	if err := fc.durable.Wait(); err != nil {
		// The call ran, but the record that allowed it may not be on
		// disk: withhold the result, as the ordinary path does.
		f.answer(down, fc.orig, errorResult(f.p.unrecorded(err)))
		return true
	}
	if resp.Error == nil && !isObject(resp.Result) {
		// No result, null or not an object: not an answer a client can
		// read (one without a result may be dropped as invalid, its call
		// left waiting); say what happened instead.
		f.fail(down, fc.orig, f.p.noResult("tools/call"))
		return true
	}
	if resp.Error == nil && asksForInput(resp.Result) {
		f.fail(down, fc.orig, f.p.inputRequested("tools/call"))
		return true
	}
	if resp.Error != nil {
		// An error only: a response carrying a result besides is not
		// JSON-RPC, and a strict client drops it, leaving its call waiting.
		f.fail(down, fc.orig, resp.Error)
		return true
	}
	result, _ := f.p.redactRaw("tools/call", resp.Result)
	down.send(&jsonrpc.Response{ID: fc.orig, Result: result})
	return true
}

// asksForInput reports whether a result the fast path relays as it came
// asks the client for input (2026-07-28 era: inputRequests, or a
// resultType other than complete), which the proxy does not relay. Keys
// are compared ignoring case, as a client's decoder may; a result that is
// not an object is passed on for the client to judge.
func asksForInput(result json.RawMessage) bool {
	fields, ok := objectFields(result)
	if !ok {
		return false
	}
	for k, v := range fields {
		switch {
		case strings.EqualFold(k, "inputRequests"):
			return true
		case strings.EqualFold(k, "resultType"):
			var rt string
			if json.Unmarshal(v, &rt) != nil || rt != "complete" {
				return true
			}
		}
	}
	return false
}

// progress passes the upstream's progress notification for a fast call to
// the client; false for other messages.
func (f *fastPath) progress(msg jsonrpc.Message) bool {
	req, ok := msg.(*jsonrpc.Request)
	if !ok || req.IsCall() || req.Method != "notifications/progress" {
		return false
	}
	fields, ok := objectFields(req.Params)
	if !ok {
		return false
	}
	key := tokenKey(fields["progressToken"])
	f.mu.Lock()
	mine := key != "" && f.tokens[key]
	down := f.down
	f.mu.Unlock()
	if !mine || down == nil {
		return false
	}
	down.send(&jsonrpc.Request{Method: req.Method, Params: req.Params})
	return true
}

// upstreamEnded answers every fast call in flight with an error; later
// calls fail at once.
func (f *fastPath) upstreamEnded(cause error) {
	f.mu.Lock()
	calls := f.pending
	f.pending, f.byOrig, f.tokens = map[string]*fastCall{}, map[string]string{}, map[string]bool{}
	if f.ended == nil {
		f.ended = cause
	}
	down := f.down
	f.mu.Unlock()
	for _, fc := range calls {
		fc.durable.Wait()
		f.fail(down, fc.orig, f.goneError(cause))
	}
}

func (f *fastPath) goneError(cause error) error {
	return &jsonrpc.Error{Code: CodeUpstream, Message: fmt.Sprintf("safeclaw: upstream MCP server %q is gone (%v)", f.p.opts.Name, cause)}
}

func (f *fastPath) answer(down *lineWriter, id jsonrpc.ID, res *mcp.CallToolResult) {
	body, err := json.Marshal(res)
	if err != nil {
		f.fail(down, id, &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: "safeclaw: encoding the answer failed"})
		return
	}
	down.send(&jsonrpc.Response{ID: id, Result: body})
}

func (f *fastPath) fail(down *lineWriter, id jsonrpc.ID, err error) {
	if down != nil {
		down.send(&jsonrpc.Response{ID: id, Error: err})
	}
}
