// Package mcpproxy is safeclaw's MCP gating proxy: an MCP server to the
// agent (downstream) and an MCP client to the real server (upstream), built
// on the official Go SDK, that decides every request which does something
// before the upstream sees it.
//
//   - tools/call becomes an mcp.call action (server, tool, decoded
//     arguments); a string argument named command, cmd or script is also
//     analysed as shell text (package shell) and its parts join the request,
//     so shell rules apply to it. resources/read and resources/subscribe
//     become mcp.read (the URI; a file: URI also a file.read of its path,
//     whatever its host and however a lenient URL parser would read it; one
//     whose path cannot be told for sure is refused), prompts/get and
//     completion/complete mcp.prompt or mcp.read (a completion's context
//     arguments decided too). Every decision goes through the
//     [action.DecideFunc], which audits it.
//   - deny: a tools/call answers a result with isError and the reason, so
//     the model can adapt; other methods a JSON-RPC error (code
//     [CodeDenied]). ask: an elicitation to the client's user when the
//     client supports it (legacy era: elicitation/create; 2026-07-28 era: an
//     input_required result whose approval is bound to the exact arguments),
//     else [Options.Approve] (safeclaw's approval queue), else
//     [Options.Pending] (deny, telling how to approve).
//   - tools/list shows only tools the policy could ever allow (each tool
//     decided with [action.AnyArgs]) whose definitions match their pins:
//     the first time a tool is seen, a hash of everything passed on about
//     it (name, title, description, schemas, annotations, _meta, icons) is
//     recorded ([Pins]); a changed definition is reported and the tool
//     hidden and denied until a person runs `safeclaw mcp trust NAME`.
//     Listed prompts, resources and resource templates are pinned alike
//     (a changed one is hidden, and prompts/get, resources/read,
//     subscriptions and completions of it refused). A tool listed twice
//     with different definitions (on one page or across pages) is hidden
//     and denied; a listing answered after the upstream said its tools
//     changed is not kept.
//   - A tool whose name starts with "(", like the keys the instructions,
//     prompts and resources are pinned under ("(server instructions)",
//     "(prompt) NAME"), is held back; when the tools cannot be checked
//     against their pins (an unreadable pin file, or one that is not a
//     JSON object), every call is denied. The pin file is changed under an
//     advisory lock (PATH.lock), so proxies of the same server and
//     `safeclaw mcp trust` do not undo each other's changes.
//   - In the 2026-07-28 era an ask is put to the user by elicitation only
//     when the request's own client capabilities declare it.
//   - Arguments are forwarded as safeclaw decoded and decided them
//     (re-encoded), never as the raw bytes, so a duplicate key or odd
//     encoding cannot make the upstream read something else. Keys that a
//     case-insensitive decoder takes for one name (case, or Unicode case
//     folding: "ſql" is "sql" to Go's encoding/json) are refused, and so
//     are numbers beyond a double (1e400); a number that a double reads
//     otherwise than it is written (1.0, 1e2, -0, 9007199254740993) is
//     decided both as written and as a double reads it (an extra mcp.call
//     part), so a rule holds for what any server reads.
//   - Some servers look tools up ignoring case, and decode arguments into
//     struct fields ignoring case: a tools/call naming a tool the last
//     tools/list does not hold, but one whose name equals it ignoring case
//     (Delete_All for delete_all), is decided as that listed tool too, and
//     held back when it is (an extra mcp.call part; prompts/get and prompt
//     completions alike, against the prompts listed so far); an argument
//     key that the listed tool's input schema does not know, but spells in
//     another case (SQL for sql), is decided as the schema spells it too.
//     A call that names a listed tool exactly, with the schema's keys,
//     gets no extra parts.
//   - Shell text in the arguments is analysed where the call says it runs:
//     each cwd-like argument (cwd, workdir, working_directory, directory,
//     in any case, with or without '_' and '-'), absolute, under ~/, or
//     relative to the proxy's working directory for a local upstream.
//   - The agent is the client's own name from the session (initialize,
//     or the first request of the 2026-07-28 era), reduced to letters,
//     digits, '.', '_' and '-' (claude-code is claude); over HTTP none is
//     taken (any client of the listener may name itself anything, per
//     request): [Options.Agent].
//   - A resource subscription belongs to the session that made it: a
//     client's resources/unsubscribe ends its own only, and the upstream
//     is unsubscribed when its last subscriber unsubscribes or is gone.
//   - Methods safeclaw does not know are refused (-32601); requests from the
//     upstream to the client (sampling, elicitation, roots) are not relayed:
//     in the legacy era the proxy's own client answers them (no sampling or
//     elicitation, no roots), in the 2026-07-28 era a result asking the
//     client for input (input_required) is refused with a JSON-RPC error.
//   - An upstream that fails, exits or breaks the protocol answers the
//     pending and later requests with a JSON-RPC error, never silence; the
//     stdio proxy writes those answers, then ends. An answer without a
//     result object (or with an error and a result) reaches the client as
//     an error only, which no client drops as invalid.
//   - The stdio fast path (fast.go) reads each line as the SDK does (keys
//     case-sensitive, the last of duplicates) and takes only calls whose
//     per-request _meta is the session's own era; anything else, and every
//     line after one that is not whole JSON, goes to the SDK.
//
// Both protocol eras are spoken on both sides where the SDK allows it: the
// downstream server answers initialize (2024-11-05 .. 2025-11-25) and the
// stateless 2026-07-28 era (server/discover, per-request _meta); over HTTP
// it is a stateless streamable-HTTP handler ([Proxy.HTTPHandler]: an
// optional bearer token, browsers of other origins and DNS-rebinding host
// names refused, each body read whole within a timeout before the request
// counts against the in-flight limit). The upstream client probes server/discover and falls
// back to initialize; over HTTP it follows redirects only within the
// endpoint's origin and bounds response bodies ([HTTP]).
//
// # Current limitations
//
//   - How an ask was resolved by elicitation, and denials of a tool whose
//     pin changed (which no policy made), reach the audit trail only through
//     [Options.Record]; a failure to record them is reported, not fatal (the
//     request was decided already).
//   - [Options.Approved] (a person approved the same call through the
//     agent's hook moments earlier) is only as good as its caller's match of
//     server, tool and arguments.
//   - Elicitation trusts the MCP client to show the question to a person; a
//     client that answers elicitations itself approves its own requests
//     (disable with [Options.Elicit] false).
//   - resources/list, resources/templates/list and prompts/list are
//     forwarded page by page (resources and prompts filtered like tools,
//     all three pinned); reading is what is gated. A resource's size and
//     modification time are not pinned (they change with its content). Logging notifications from the upstream are forwarded; the
//     log level is not.
//   - On stdio, requests sent as a batch are not tracked for the answers
//     written when the upstream ends; a client's cancellation of a fast call
//     is forwarded only when it comes on a line of its own.
//   - Over HTTP, a legacy client's clientInfo comes only with its
//     initialize (stateless: no session), so its later requests carry no
//     agent; and no standalone event stream is opened to an HTTP upstream,
//     so a legacy stateful upstream's list_changed notifications outside a
//     call are not seen.
//   - The upstream's list_changed notifications are forwarded through the
//     SDK's feature-change notification (a placeholder feature added and
//     removed), the only public way to send them.
package mcpproxy
