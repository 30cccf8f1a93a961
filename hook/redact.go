package hook

import (
	"encoding/json"

	"github.com/safeclaw/safeclaw/internal/redactjson"
)

// outputRewriter is an adapter whose agent lets an outcome hook replace
// the tool output its model sees.
type outputRewriter interface {
	// rewriteOutput answers ev with out in place of the tool's output; n
	// secrets were taken out of it.
	rewriteOutput(ev *event, out json.RawMessage, n int) reply
}

// redactOutput returns the tool output raw with the secrets redact
// recognises taken out of its strings, and how many strings changed (see
// redactjson.Value).
func redactOutput(raw json.RawMessage, redact func(string) (string, bool)) (json.RawMessage, int) {
	return redactjson.Value(raw, redact)
}

// safeRedactOutput is redactOutput that turns a panic of the redactor into
// an error: the tool already ran, so a failure must neither crash nor block
// the hook, only be reported.
func safeRedactOutput(raw json.RawMessage, redact func(string) (string, bool)) (json.RawMessage, int, error) {
	return redactjson.Safe(raw, redact)
}

// joinWarnings puts two warnings on the one stderr line an answer has.
func joinWarnings(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
