package action

// AnyArgs, as an [Action]'s Args, stands for "whatever arguments the tool
// may be called with". The MCP proxy decides each tool with it to learn
// whether the policy could ever allow the tool (tools/list filtering): a
// policy treats argument matchers of allow and ask rules as matching it and
// those of deny rules as not, so a deny for AnyArgs is a deny for every
// possible argument value. It marshals as {}.
type AnyArgs struct{}
