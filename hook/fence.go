package hook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// shellCommandKey names the input field that holds the script of the shell
// tools whose input can be rewritten ([Options.Fence]), by tool name.
func shellCommandKey(tool string, input map[string]json.RawMessage) (string, bool) {
	switch tool {
	case "Bash", "run_shell_command", "shell_command":
		return "command", true
	case "exec_command":
		if _, ok := input["cmd"]; ok {
			return "cmd", true
		}
		return "command", true
	}
	return "", false
}

// fenceInput rewrites a shell tool's input so that its script runs as
// `FENCE... bash -c 'SCRIPT'`, keeping every other field (Claude Code's
// updatedInput replaces the whole input). It reports false when the tool is
// not a shell tool with a script string, or the script is fenced already.
func fenceInput(tool string, input json.RawMessage, fence []string) (json.RawMessage, bool) {
	if len(fence) == 0 || !isObject(input) {
		return nil, false
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(input, &fields) != nil {
		return nil, false
	}
	key, ok := shellCommandKey(tool, fields)
	if !ok {
		return nil, false
	}
	var script string
	if json.Unmarshal(fields[key], &script) != nil || strings.TrimSpace(script) == "" {
		return nil, false
	}
	prefix := shellJoin(fence)
	if strings.HasPrefix(script, prefix+" ") {
		return nil, false // a resumed or repeated call that was rewritten before
	}
	fenced := prefix + " bash -c " + shellQuote(script)
	fields[key] = encodeJSON(fenced)
	return encodeCompact(fields), true
}

// shellQuote quotes s for a POSIX shell: bare when it has only characters
// no shell treats specially, else in single quotes (inside which nothing is
// special; a single quote itself is written '\”).
func shellQuote(s string) string { return shellJoin([]string{s}) }

func encodeJSON(v any) json.RawMessage {
	return bytes.TrimSuffix(encodeLine(v), []byte("\n"))
}

// encodeCompact encodes a decoded object again (keys sorted, HTML unescaped).
func encodeCompact(fields map[string]json.RawMessage) json.RawMessage {
	var buf bytes.Buffer
	if err := json.Compact(&buf, encodeJSON(fields)); err != nil {
		return encodeJSON(fields)
	}
	return buf.Bytes()
}

// maxSummaryFields bounds the fields [SummarizeResponse] lists.
const maxSummaryFields = 12

// SummarizeResponse describes a tool's response in a few words for the
// audit trail, without its content: a string is its length; an object lists
// its fields in name order, numbers and booleans with their value (exit
// codes, interrupted), strings, arrays and objects by their size in bytes.
// Empty for an empty response.
func SummarizeResponse(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return fmt.Sprintf("output %d bytes", len(s))
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw, &fields) != nil {
		return fmt.Sprintf("response %d bytes of JSON", len(raw))
	}
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	var out []string
	for i, k := range names {
		if i == maxSummaryFields {
			out = append(out, fmt.Sprintf("%d more fields", len(names)-i))
			break
		}
		name := k
		if len(name) > 40 {
			name = name[:40] + "…"
		}
		out = append(out, describeField(name, fields[k]))
	}
	return strings.Join(out, ", ")
}

// describeField is one response field's summary: "stdout 12 bytes",
// "interrupted=false", "exit_code=1".
func describeField(name string, v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return name + " empty"
	}
	switch v[0] {
	case '"':
		var s string
		if json.Unmarshal(v, &s) == nil {
			return name + " " + strconv.Itoa(len(s)) + " bytes"
		}
	case 't', 'f', 'n':
		return name + "=" + string(v)
	case '{', '[':
		return name + " " + strconv.Itoa(len(v)) + " bytes of JSON"
	default:
		if len(v) <= 24 {
			return name + "=" + string(v)
		}
	}
	return name + " " + strconv.Itoa(len(v)) + " bytes"
}
