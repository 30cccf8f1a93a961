package hook

import "encoding/json"

// outputRewriter is an adapter whose agent lets an outcome hook replace
// the tool output its model sees.
type outputRewriter interface {
	// rewriteOutput answers ev with out in place of the tool's output; n
	// secrets were taken out of it.
	rewriteOutput(ev *event, out json.RawMessage, n int) reply
}

// joinWarnings puts two warnings on the one stderr line an answer has.
func joinWarnings(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
