//go:build e2e

package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
)

// The test binary doubles as the upstream MCP server of the MCP tests: run
// with envMCPUpstreamLog set, TestMain serves MCP over stdio instead of
// running tests. The server appends every request it receives to that log
// file, so a test can prove a denied call never reached it.
const (
	envMCPUpstreamLog    = "SAFECLAW_E2E_MCP_UPSTREAM_LOG"
	envMCPUpstreamMarker = "SAFECLAW_E2E_MCP_UPSTREAM_MARKER"
)

// mcpUpstreamTool is the one tool the upstream offers: query {sql}.
const mcpUpstreamTool = "query"

type jsonrpcMessage struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id,omitempty"`
	Method  string          `json:"method,omitempty"`
	Params  json.RawMessage `json:"params,omitempty"`
	Result  any             `json:"result,omitempty"`
	Error   any             `json:"error,omitempty"`
}

// serveMCPUpstream speaks newline-delimited JSON-RPC on in/out until in
// ends: initialize (and server/discover), ping, tools/list, tools/call
// (answering with the marker and the SQL it got), empty resource and
// prompt lists, and -32601 for anything else.
func serveMCPUpstream(in io.Reader, out io.Writer, logPath, marker string) error {
	logf, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	enc := json.NewEncoder(out)
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if _, err := fmt.Fprintln(logf, line); err != nil {
			return err
		}
		var msg jsonrpcMessage
		if err := json.Unmarshal([]byte(line), &msg); err != nil {
			_ = enc.Encode(jsonrpcMessage{JSONRPC: "2.0", ID: json.RawMessage("null"),
				Error: map[string]any{"code": -32700, "message": "parse error"}})
			continue
		}
		reply, ok := answerMCP(msg, marker)
		if !ok {
			continue // a notification or a response to us
		}
		if err := enc.Encode(reply); err != nil {
			return err
		}
	}
	return sc.Err()
}

// answerMCP is the upstream's answer to msg; false for a notification or
// a response, which get none.
func answerMCP(msg jsonrpcMessage, marker string) (jsonrpcMessage, bool) {
	if len(msg.ID) == 0 || msg.Method == "" {
		return jsonrpcMessage{}, false
	}
	reply := jsonrpcMessage{JSONRPC: "2.0", ID: msg.ID}
	switch msg.Method {
	case "initialize", "server/discover":
		var p struct {
			ProtocolVersion string `json:"protocolVersion"`
		}
		_ = json.Unmarshal(msg.Params, &p)
		if p.ProtocolVersion == "" {
			p.ProtocolVersion = "2025-06-18"
		}
		reply.Result = map[string]any{
			"protocolVersion": p.ProtocolVersion,
			"capabilities":    map[string]any{"tools": map[string]any{}},
			"serverInfo":      map[string]any{"name": "echodb", "version": "1.0.0"},
		}
	case "ping":
		reply.Result = map[string]any{}
	case "tools/list":
		reply.Result = map[string]any{"tools": []any{map[string]any{
			"name":        mcpUpstreamTool,
			"description": "Run one SQL statement against the test database.",
			"inputSchema": map[string]any{"type": "object",
				"properties": map[string]any{"sql": map[string]any{"type": "string"}},
				"required":   []string{"sql"}},
		}}}
	case "tools/call":
		var p struct {
			Name      string         `json:"name"`
			Arguments map[string]any `json:"arguments"`
		}
		_ = json.Unmarshal(msg.Params, &p)
		reply.Result = map[string]any{"content": []any{map[string]any{"type": "text",
			"text": fmt.Sprintf("%s: %s ran %v", marker, p.Name, p.Arguments["sql"])}}}
	case "resources/list":
		reply.Result = map[string]any{"resources": []any{}}
	case "prompts/list":
		reply.Result = map[string]any{"prompts": []any{}}
	default:
		reply.Error = map[string]any{"code": -32601, "message": "method not found: " + msg.Method}
	}
	return reply, true
}

// mcpUpstreamHandler serves the same upstream over streamable HTTP, the
// simplest way the transport allows: each POST carries one message and is
// answered with one JSON body (202 for notifications); there is no session
// and no stream.
func mcpUpstreamHandler(logPath, marker string) http.Handler {
	var mu sync.Mutex
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock()
		err = appendLine(logPath, strings.TrimSpace(string(body)))
		mu.Unlock()
		if err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		var msg jsonrpcMessage
		if err := json.Unmarshal(body, &msg); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		reply, ok := answerMCP(msg, marker)
		if !ok {
			w.WriteHeader(http.StatusAccepted)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(reply)
	})
}

func appendLine(path, line string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(f, line)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
