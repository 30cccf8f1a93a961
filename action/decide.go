package action

import "context"

// DecideFunc is the one seam between adapters (hooks, MCP proxy, HTTP API,
// sandbox) and the gate: an adapter turns what its agent sent into a
// [Request], calls the DecideFunc, and renders the [Decision] in the agent's
// own vocabulary. An error means no decision was reached: the adapter denies.
type DecideFunc func(ctx context.Context, req *Request) (Decision, error)
