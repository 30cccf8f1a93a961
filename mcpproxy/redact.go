package mcpproxy

import (
	"encoding/json"
	"fmt"

	"github.com/safeclaw/safeclaw/internal/redactjson"
)

// What the upstream returns reaches the client's model: a tool that prints
// an environment, a resource that is a .env file, a prompt built from a
// config. With Options.Redact set, the secrets it recognises are replaced
// in every string of a tools/call, resources/read or prompts/get result
// (text content, structured content, resource text, at any depth) before
// the result is relayed. The upstream's data keeps its values; blobs
// (base64) are not looked into.

// redactRaw returns the result raw of method with the secrets taken out.
// The call already ran, so a failure of the redactor only warns and relays
// the result as it came.
func (p *Proxy) redactRaw(method string, raw json.RawMessage) (json.RawMessage, int) {
	if p.opts.Redact == nil {
		return raw, 0
	}
	out, n, err := redactjson.Safe(raw, p.opts.Redact)
	if err != nil {
		p.opts.Warn(fmt.Sprintf("safeclaw mcp: %s: could not redact the result of %s: %v", p.opts.Name, method, err))
		return raw, 0
	}
	p.redacted.Add(int64(n))
	return out, n
}

// Redacted is how many strings of results the proxy has redacted so far.
func (p *Proxy) Redacted() int64 { return p.redacted.Load() }

// redactResult is redactRaw for a result the SDK decoded: res itself when
// nothing was taken out, else a copy decoded from the redacted JSON.
func redactResult[T any](p *Proxy, method string, res *T) *T {
	if p.opts.Redact == nil || res == nil {
		return res
	}
	raw, err := json.Marshal(res)
	if err != nil {
		p.opts.Warn(fmt.Sprintf("safeclaw mcp: %s: could not redact the result of %s: %v", p.opts.Name, method, err))
		return res
	}
	out, n := p.redactRaw(method, raw)
	if n == 0 {
		return res
	}
	var red T
	if err := json.Unmarshal(out, &red); err != nil {
		p.opts.Warn(fmt.Sprintf("safeclaw mcp: %s: could not redact the result of %s: %v", p.opts.Name, method, err))
		return res
	}
	return &red
}
