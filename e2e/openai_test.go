//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// OpenAI Responses API, as Codex CLI 0.169.0 uses it with a custom
// provider (wire_api = "responses"): POST /v1/responses with stream true,
// and GETs (model lists) answered with an empty list.

const openaiCallIDPrefix = "call_mock_"

type openaiRequest struct {
	Model  string          `json:"model"`
	Stream bool            `json:"stream"`
	Tools  []openaiTool    `json:"tools"`
	Input  json.RawMessage `json:"input"`
}

// openaiTool is an offered tool; Codex offers an MCP server's tools as a
// namespace (mcp__SERVER) holding them.
type openaiTool struct {
	Type  string `json:"type"`
	Name  string `json:"name"`
	Tools []struct {
		Name string `json:"name"`
	} `json:"tools"`
}

type openaiItem struct {
	Type   string          `json:"type"`
	CallID string          `json:"call_id"`
	Output json.RawMessage `json:"output"`
}

// openaiShellCall builds the arguments of whichever shell tool the agent
// offers; Codex versions differ in which one that is.
func openaiShellCall(tools map[string]bool, cmd string) (name string, args any, ok bool) {
	switch {
	case tools["exec_command"]:
		return "exec_command", map[string]any{"cmd": cmd}, true
	case tools["shell_command"]:
		return "shell_command", map[string]any{"command": cmd}, true
	case tools["shell"]:
		return "shell", map[string]any{"command": []string{"bash", "-lc", cmd}}, true
	}
	return "", nil, false
}

// openaiNamedTool finds the offered tool a scripted call names, exactly or,
// for "SERVER/TOOL" (an MCP tool), as the agent offers it: TOOL inside a
// namespace naming SERVER (Codex), or a name with SERVER in it ending in
// _TOOL.
func openaiNamedTool(offered []openaiTool, call toolCall) (name, namespace string, ok bool) {
	server, tool, isMCP := strings.Cut(call.Tool, "/")
	for _, t := range offered {
		switch {
		case t.Name == call.Tool:
			return t.Name, "", true
		case !isMCP || !strings.Contains(t.Name, server):
		case t.Type == "namespace":
			for _, sub := range t.Tools {
				if sub.Name == tool {
					return tool, t.Name, true
				}
			}
		case strings.HasSuffix(t.Name, "_"+tool):
			return t.Name, "", true
		}
	}
	return "", "", false
}

func openaiHandler(m *mockModel, w http.ResponseWriter, r *http.Request, body []byte) {
	switch {
	case r.Method != http.MethodPost:
		m.logf("%s %s -> empty list", r.Method, r.URL)
		writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": []any{}})
		return
	case !strings.HasSuffix(r.URL.Path, "/responses"):
		m.logf("POST %s -> 404: %s", r.URL, summarize(body, 300))
		writeJSON(w, http.StatusNotFound, map[string]any{"error": map[string]any{"message": "mock: unknown path", "type": "invalid_request_error"}})
		return
	}
	var req openaiRequest
	if err := json.Unmarshal(body, &req); err != nil {
		m.logf("POST %s: bad JSON: %v", r.URL, err)
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]any{"message": err.Error(), "type": "invalid_request_error"}})
		return
	}
	tools := map[string]bool{}
	var names []string
	for _, tool := range req.Tools {
		tools[tool.Name] = true
		names = append(names, tool.Name)
	}
	seen := m.noteOpenAIResults(req.Input, openaiCallIDPrefix)

	var item map[string]any
	if step, call, ok := m.nextStep(len(seen)); ok {
		cmd := call.Command
		name, args, offered := openaiShellCall(tools, cmd)
		namespace := ""
		if call.Tool != "" {
			name, namespace, offered = openaiNamedTool(req.Tools, call)
			args, cmd = call.Args, call.String()
		}
		if !offered {
			m.logf("POST %s: no tool for %s among %q", r.URL, call, names)
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]any{"message": "mock: the tool asked for is not offered", "type": "invalid_request_error"}})
			return
		}
		argJSON, _ := json.Marshal(args)
		item = map[string]any{"type": "function_call", "id": fmt.Sprintf("fc_mock_%d", step), "name": name,
			"arguments": string(argJSON), "call_id": fmt.Sprintf("%s%d", openaiCallIDPrefix, step), "status": "completed"}
		if namespace != "" {
			item["namespace"] = namespace
		}
		m.logf("POST %s results=%d -> %s %d: %s", r.URL, len(seen), name, step, cmd)
	} else {
		item = map[string]any{"type": "message", "role": "assistant", "id": "msg_mock", "status": "completed",
			"content": []any{map[string]any{"type": "output_text", "text": "MOCK-DONE", "annotations": []any{}}}}
		m.sentFinal()
		m.logf("POST %s results=%d -> final message", r.URL, len(seen))
	}
	usage := map[string]any{"input_tokens": 10, "input_tokens_details": nil, "output_tokens": 5,
		"output_tokens_details": nil, "total_tokens": 15}
	if !req.Stream {
		writeJSON(w, http.StatusOK, map[string]any{"id": "resp_mock", "object": "response", "created_at": 0,
			"status": "completed", "model": req.Model, "output": []any{item}, "usage": usage})
		return
	}
	var s sse
	s.event("response.created", map[string]any{"type": "response.created", "response": map[string]any{"id": "resp_mock"}})
	s.event("response.output_item.done", map[string]any{"type": "response.output_item.done", "output_index": 0, "item": item})
	s.event("response.completed", map[string]any{"type": "response.completed", "response": map[string]any{"id": "resp_mock", "usage": usage}})
	s.write(w)
}

// noteOpenAIResults records the tool results a Responses API request's
// input carries (each call once; a plain string input has none) and
// returns the calls answered so far.
func (m *mockModel) noteOpenAIResults(input json.RawMessage, callPrefix string) map[string]bool {
	var items []openaiItem
	_ = json.Unmarshal(input, &items)
	seen := map[string]bool{}
	for _, it := range items {
		if it.Type != "function_call_output" || seen[it.CallID] {
			continue
		}
		seen[it.CallID] = true
		if step, ok := stepFromID(it.CallID, callPrefix); ok {
			m.noteResult(step, flattenStrings(it.Output))
		}
	}
	return seen
}
