//go:build e2e

package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
)

// Gemini API, as Gemini CLI 0.61.0 uses it with GOOGLE_GEMINI_BASE_URL:
// POST /v1beta/models/MODEL:streamGenerateContent?alt=sse (one SSE event
// per answer, sent with Content-Length), :generateContent (plain JSON) and
// :countTokens.

type geminiRequest struct {
	Contents []struct {
		Role  string `json:"role"`
		Parts []struct {
			FunctionResponse *struct {
				ID       string          `json:"id"`
				Name     string          `json:"name"`
				Response json.RawMessage `json:"response"`
			} `json:"functionResponse"`
		} `json:"parts"`
	} `json:"contents"`
	Tools []struct {
		FunctionDeclarations []struct {
			Name string `json:"name"`
		} `json:"functionDeclarations"`
	} `json:"tools"`
}

func geminiHandler(m *mockModel, w http.ResponseWriter, r *http.Request, body []byte) {
	path := r.URL.Path
	switch {
	case r.Method != http.MethodPost:
		m.logf("%s %s -> {}", r.Method, r.URL)
		writeJSON(w, http.StatusOK, map[string]any{})
		return
	case strings.HasSuffix(path, ":countTokens"):
		m.logf("POST %s -> count", r.URL)
		writeJSON(w, http.StatusOK, map[string]any{"totalTokens": 10})
		return
	case !strings.HasSuffix(path, ":streamGenerateContent") && !strings.HasSuffix(path, ":generateContent"):
		m.logf("POST %s -> 404: %s", r.URL, summarize(body, 300))
		writeJSON(w, http.StatusNotFound, map[string]any{"error": map[string]any{"code": 404, "message": "mock: unknown path", "status": "NOT_FOUND"}})
		return
	}
	stream := strings.HasSuffix(path, ":streamGenerateContent")
	var req geminiRequest
	if err := json.Unmarshal(body, &req); err != nil {
		m.logf("POST %s: bad JSON: %v", r.URL, err)
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]any{"code": 400, "message": err.Error(), "status": "INVALID_ARGUMENT"}})
		return
	}
	offersShell := false
	var offered []string
	for _, tool := range req.Tools {
		for _, fd := range tool.FunctionDeclarations {
			if fd.Name == "run_shell_command" {
				offersShell = true
			}
			offered = append(offered, fd.Name)
		}
	}
	// Gemini function responses carry no id the mock chose reliably: the
	// n-th response in the conversation answers the n-th scripted call.
	results := 0
	for _, c := range req.Contents {
		for _, p := range c.Parts {
			if p.FunctionResponse == nil {
				continue
			}
			m.noteResult(results, flattenStrings(p.FunctionResponse.Response))
			results++
		}
	}

	var parts []any
	switch {
	case !offersShell || !stream:
		// Side calls (routing, next-speaker checks) get a neutral answer
		// that reads as JSON for those who expect it.
		parts = []any{map[string]any{"text": `{"reasoning":"mock","next_speaker":"user"}`}}
		m.logf("POST %s results=%d shell=%v -> side text", r.URL, results, offersShell)
	default:
		if step, call, ok := m.nextStep(results); ok {
			name, args := "run_shell_command", map[string]any{"command": call.Command, "description": "scripted step"}
			if call.Tool != "" {
				if name = geminiNamedTool(offered, call.Tool); name == "" {
					m.logf("POST %s: no tool for %s among %q", r.URL, call, offered)
					writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]any{"code": 400, "message": "mock: the tool asked for is not offered", "status": "INVALID_ARGUMENT"}})
					return
				}
				args = call.Args
			}
			parts = []any{map[string]any{"functionCall": map[string]any{"name": name, "args": args}}}
			m.logf("POST %s results=%d -> %s %d: %s", r.URL, results, name, step, call)
		} else {
			parts = []any{map[string]any{"text": "MOCK-DONE"}}
			m.sentFinal()
			m.logf("POST %s results=%d -> final text", r.URL, results)
		}
	}
	answer := map[string]any{
		"candidates": []any{map[string]any{
			"content":      map[string]any{"role": "model", "parts": parts},
			"finishReason": "STOP", "index": 0,
		}},
		"usageMetadata": map[string]any{"promptTokenCount": 10, "candidatesTokenCount": 5, "totalTokenCount": 15},
	}
	if !stream {
		writeJSON(w, http.StatusOK, answer)
		return
	}
	b, _ := json.Marshal(answer)
	writeFull(w, http.StatusOK, "text/event-stream", []byte("data: "+string(b)+"\r\n\r\n"))
}

// geminiNamedTool finds the declared function a scripted call names,
// exactly or, for "SERVER/TOOL" (an MCP tool), as TOOL itself or a name
// with SERVER in it ending in _TOOL; "" when none is offered.
func geminiNamedTool(offered []string, want string) string {
	server, tool, isMCP := strings.Cut(want, "/")
	for _, n := range offered {
		if n == want || isMCP && (n == tool || strings.Contains(n, server) && strings.HasSuffix(n, "_"+tool)) {
			return n
		}
	}
	return ""
}
