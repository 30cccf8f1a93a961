//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// Anthropic Messages API, as Claude Code 2.1.332 uses it:
// POST /v1/messages?beta=true (stream true or false), POST
// /v1/messages/count_tokens, and assorted GETs answered with {}.

const anthropicToolIDPrefix = "toolu_mock_"

type anthropicRequest struct {
	Model  string `json:"model"`
	Stream bool   `json:"stream"`
	Tools  []struct {
		Name string `json:"name"`
	} `json:"tools"`
	Messages []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
}

type anthropicBlock struct {
	Type      string          `json:"type"`
	ToolUseID string          `json:"tool_use_id"`
	Content   json.RawMessage `json:"content"`
	IsError   bool            `json:"is_error"`
}

func anthropicHandler(m *mockModel, w http.ResponseWriter, r *http.Request, body []byte) {
	switch {
	case r.Method != http.MethodPost:
		m.logf("%s %s -> {}", r.Method, r.URL)
		writeJSON(w, http.StatusOK, map[string]any{})
		return
	case strings.HasSuffix(r.URL.Path, "/count_tokens"):
		m.logf("POST %s -> count", r.URL)
		writeJSON(w, http.StatusOK, map[string]any{"input_tokens": 10})
		return
	case !strings.HasSuffix(r.URL.Path, "/v1/messages"):
		m.logf("POST %s -> 404: %s", r.URL, summarize(body, 300))
		writeJSON(w, http.StatusNotFound, map[string]any{"type": "error", "error": map[string]any{"type": "not_found_error", "message": "mock: unknown path"}})
		return
	}
	var req anthropicRequest
	if err := json.Unmarshal(body, &req); err != nil {
		m.logf("POST %s: bad JSON: %v", r.URL, err)
		writeJSON(w, http.StatusBadRequest, map[string]any{"type": "error", "error": map[string]any{"type": "invalid_request_error", "message": err.Error()}})
		return
	}
	offered := map[string]bool{}
	for _, tool := range req.Tools {
		offered[tool.Name] = true
	}
	// Count the distinct tool results and record what each said.
	seen := map[string]bool{}
	for _, msg := range req.Messages {
		var blocks []anthropicBlock
		if json.Unmarshal(msg.Content, &blocks) != nil {
			continue // a plain string message
		}
		for _, b := range blocks {
			if b.Type != "tool_result" || seen[b.ToolUseID] {
				continue
			}
			seen[b.ToolUseID] = true
			if step, ok := stepFromID(b.ToolUseID, anthropicToolIDPrefix); ok {
				text := flattenStrings(b.Content)
				if b.IsError {
					text = "[is_error] " + text
				}
				m.noteResult(step, text)
			}
		}
	}

	var content []map[string]any
	stop := "end_turn"
	step, call, more := m.nextStep(len(seen))
	name, input := "Bash", map[string]any{"command": call.Command, "description": fmt.Sprint("scripted step ", step)}
	if call.Tool != "" {
		name, input = call.Tool, call.Args
	}
	switch {
	case !offered["Bash"]:
		// Side requests (titles, summaries) come without the main tools.
		content = []map[string]any{{"type": "text", "text": "MOCK-NOTE"}}
		m.logf("POST %s stream=%v tools=%d results=%d -> text (no Bash offered)", r.URL, req.Stream, len(req.Tools), len(seen))
	case !more:
		content = []map[string]any{{"type": "text", "text": "MOCK-DONE"}}
		m.sentFinal()
		m.logf("POST %s stream=%v results=%d -> final text", r.URL, req.Stream, len(seen))
	case !offered[name]:
		content = []map[string]any{{"type": "text", "text": "MOCK-MISSING-TOOL " + name}}
		names := make([]string, 0, len(req.Tools))
		for _, tool := range req.Tools {
			names = append(names, tool.Name)
		}
		m.logf("POST %s stream=%v results=%d -> text: tool %s not offered (offered: %s)", r.URL, req.Stream, len(seen), name, strings.Join(names, " "))
	default:
		content = []map[string]any{{"type": "tool_use", "id": fmt.Sprintf("%s%d", anthropicToolIDPrefix, step), "name": name, "input": input}}
		stop = "tool_use"
		m.logf("POST %s stream=%v results=%d -> tool_use %d: %s", r.URL, req.Stream, len(seen), step, call)
	}
	model := req.Model
	if model == "" {
		model = "claude-sonnet-4-5"
	}
	usage := map[string]any{"input_tokens": 10, "output_tokens": 5}
	if !req.Stream {
		writeJSON(w, http.StatusOK, map[string]any{
			"id": "msg_mock", "type": "message", "role": "assistant", "model": model,
			"content": content, "stop_reason": stop, "stop_sequence": nil, "usage": usage,
		})
		return
	}
	var s sse
	s.event("message_start", map[string]any{"type": "message_start", "message": map[string]any{
		"id": "msg_mock", "type": "message", "role": "assistant", "model": model,
		"content": []any{}, "stop_reason": nil, "stop_sequence": nil, "usage": usage,
	}})
	for i, block := range content {
		switch block["type"] {
		case "tool_use":
			start := map[string]any{"type": "tool_use", "id": block["id"], "name": block["name"], "input": map[string]any{}}
			s.event("content_block_start", map[string]any{"type": "content_block_start", "index": i, "content_block": start})
			input, _ := json.Marshal(block["input"])
			s.event("content_block_delta", map[string]any{"type": "content_block_delta", "index": i,
				"delta": map[string]any{"type": "input_json_delta", "partial_json": string(input)}})
		default:
			s.event("content_block_start", map[string]any{"type": "content_block_start", "index": i,
				"content_block": map[string]any{"type": "text", "text": ""}})
			s.event("content_block_delta", map[string]any{"type": "content_block_delta", "index": i,
				"delta": map[string]any{"type": "text_delta", "text": block["text"]}})
		}
		s.event("content_block_stop", map[string]any{"type": "content_block_stop", "index": i})
	}
	s.event("message_delta", map[string]any{"type": "message_delta",
		"delta": map[string]any{"stop_reason": stop, "stop_sequence": nil}, "usage": map[string]any{"output_tokens": 5}})
	s.event("message_stop", map[string]any{"type": "message_stop"})
	s.write(w)
}
