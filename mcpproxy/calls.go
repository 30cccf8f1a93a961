package mcpproxy

import (
	"bytes"
	"encoding/json"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// callTracker keeps the client's requests that the SDK's session has not
// answered yet (on stdio). When the upstream ends, the session must be
// closed for the proxy to end, and closing it drops the answers of the
// requests still in flight (the SDK writes nothing once a session is
// closing): so the proxy first waits for them to be answered (they fail
// fast once the upstream is gone), and answers those that still are not
// (an approval being waited for) itself.
type callTracker struct {
	mu      sync.Mutex
	pending map[string]pendingCall
	empty   chan struct{} // closed and replaced when pending empties
}

type pendingCall struct {
	id jsonrpc.ID
	n  int // requests with this ID in flight
}

func newCallTracker() *callTracker {
	return &callTracker{pending: map[string]pendingCall{}, empty: make(chan struct{})}
}

// received notes a message from the client that the SDK will handle.
func (c *callTracker) received(msg jsonrpc.Message) {
	req, ok := msg.(*jsonrpc.Request)
	if !ok || !req.IsCall() {
		return
	}
	k := idKey(req.ID)
	c.mu.Lock()
	pc := c.pending[k]
	c.pending[k] = pendingCall{id: req.ID, n: pc.n + 1}
	c.mu.Unlock()
}

// wrote notes a line the SDK wrote to the client: an answer settles its
// request.
func (c *callTracker) wrote(line []byte) {
	id, ok := responseID(line)
	if !ok {
		return
	}
	k := idKey(id)
	c.mu.Lock()
	defer c.mu.Unlock()
	pc, ok := c.pending[k]
	if !ok {
		return
	}
	if pc.n > 1 {
		c.pending[k] = pendingCall{id: pc.id, n: pc.n - 1}
		return
	}
	delete(c.pending, k)
	if len(c.pending) == 0 {
		close(c.empty)
		c.empty = make(chan struct{})
	}
}

// settle waits up to wait for the requests in flight to be answered, then
// answers the rest with err through w.
func (c *callTracker) settle(wait time.Duration, w *lineWriter, err error) {
	c.mu.Lock()
	n, empty := len(c.pending), c.empty
	c.mu.Unlock()
	if n > 0 {
		select {
		case <-empty:
		case <-time.After(wait):
		}
	}
	c.mu.Lock()
	rest := c.pending
	c.pending = map[string]pendingCall{}
	c.mu.Unlock()
	for _, pc := range rest {
		w.send(&jsonrpc.Response{ID: pc.id, Error: err})
	}
}

// responseID is the ID of a line holding one JSON-RPC response (the SDK
// writes "jsonrpc" and "id" first, so this reads a few bytes only).
func responseID(line []byte) (jsonrpc.ID, bool) {
	dec := json.NewDecoder(bytes.NewReader(line))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return jsonrpc.ID{}, false
	}
	var id jsonrpc.ID
	haveID, response := false, false
	for dec.More() {
		t, err := dec.Token()
		key, isKey := t.(string)
		if err != nil || !isKey {
			return jsonrpc.ID{}, false
		}
		switch key {
		case "method":
			return jsonrpc.ID{}, false
		case "id":
			var v any
			if dec.Decode(&v) != nil {
				return jsonrpc.ID{}, false
			}
			id, err = jsonrpc.MakeID(v)
			haveID = err == nil && id.IsValid()
		case "result", "error":
			response = true
		}
		if haveID && response {
			return id, true
		}
		if key != "id" {
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				return jsonrpc.ID{}, false
			}
		}
	}
	return jsonrpc.ID{}, false
}
