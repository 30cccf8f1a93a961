package hook

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/safeclaw/safeclaw/internal/jsonobj"
)

// InstalledHandler is one of safeclaw's own handlers found in an agent's
// hook settings file.
type InstalledHandler struct {
	Event string // the event's key in the file: PreToolUse, BeforeTool, beforeShellExecution, ...
	Group int    // position of its matcher group in the event's list (Cursor: of the handler)
	Index int    // position of the handler in its group (Cursor: 0)
	// Matcher is the group's matcher (Cursor: the handler's own), nil when
	// the file has none.
	Matcher *string
	Command []string        // the command as words, the program first
	Raw     json.RawMessage // the handler object as written
}

// InstalledHandlers lists safeclaw's handlers in an agent's settings file
// (data), in file order: the handlers [EditSettings] would replace. binName
// is the file name of the safeclaw binary the caller runs as (handlers
// running a program of that name or "safeclaw", followed by "hook", are
// safeclaw's).
func InstalledHandlers(agent string, data []byte, binName string) ([]InstalledHandler, error) {
	return listHandlers(agent, data, binName, true)
}

// OtherHandlers lists the handlers in an agent's settings file that are not
// safeclaw's: commands the agent runs on its events without asking
// safeclaw.
func OtherHandlers(agent string, data []byte, binName string) ([]InstalledHandler, error) {
	return listHandlers(agent, data, binName, false)
}

func listHandlers(agent string, data []byte, binName string, own bool) ([]InstalledHandler, error) {
	if _, known := deciding(agent); !known {
		return nil, fmt.Errorf("unknown agent %q", agent)
	}
	root, err := jsonobj.Parse(data)
	if err != nil {
		return nil, err
	}
	raw, ok := root.Get("hooks")
	if !ok {
		return nil, nil
	}
	hooks, err := jsonobj.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf(`"hooks": %w`, err)
	}
	ours := ownHandler(binName)
	var found []InstalledHandler
	add := func(ev string, group, index int, matcher *string, h json.RawMessage) {
		if ours(h) != own {
			return
		}
		found = append(found, InstalledHandler{Event: ev, Group: group, Index: index, Matcher: matcher, Command: handlerWords(h), Raw: h})
	}
	for _, ev := range hooks.Keys() {
		raw, _ := hooks.Get(ev)
		var list []json.RawMessage
		if json.Unmarshal(raw, &list) != nil {
			return nil, fmt.Errorf(`"hooks.%s": not a list`, ev)
		}
		for g, item := range list {
			if agent == "cursor" {
				var h struct {
					Matcher *string `json:"matcher"`
				}
				_ = json.Unmarshal(item, &h)
				add(ev, g, 0, h.Matcher, item)
				continue
			}
			var group struct {
				Matcher *string           `json:"matcher"`
				Hooks   []json.RawMessage `json:"hooks"`
			}
			if json.Unmarshal(item, &group) != nil {
				continue // not a matcher group: not ours
			}
			for i, h := range group.Hooks {
				add(ev, g, i, group.Matcher, h)
			}
		}
	}
	return found, nil
}

// DecidingEvents are the events of agent whose handlers must run before a
// tool call for safeclaw to decide it (outcome events are left out).
func DecidingEvents(agent string) []string {
	events, _ := deciding(agent)
	return events
}

func deciding(agent string) (events []string, known bool) {
	want, order := desiredHooks(agent, []string{"/safeclaw", "hook", agent})
	a, ok := adapterFor(agent)
	if want == nil || !ok {
		return nil, false
	}
	for _, ev := range order {
		if !a.outcomeEvent(ev) {
			events = append(events, ev)
		}
	}
	return events, true
}

// handlerWords is a handler's command as words (exec form, shell line or
// array), nil when it has none.
func handlerWords(raw json.RawMessage) []string {
	var h struct {
		Command json.RawMessage `json:"command"`
		Args    []string        `json:"args"`
	}
	if json.Unmarshal(raw, &h) != nil {
		return nil
	}
	var s string
	if json.Unmarshal(h.Command, &s) == nil {
		if len(h.Args) > 0 {
			return append([]string{s}, h.Args...)
		}
		return shellSplit(s)
	}
	var words []string
	_ = json.Unmarshal(h.Command, &words)
	return words
}

// CodexTrustKey is the key under which Codex records its trust in a hook
// handler (config.toml hooks.state."KEY"): the settings file's absolute
// path, the event in snake case, and the handler's position.
func CodexTrustKey(sourcePath string, h InstalledHandler) string {
	return filepath.Clean(sourcePath) + ":" + snakeCase(h.Event) + ":" + strconv.Itoa(h.Group) + ":" + strconv.Itoa(h.Index)
}

// CodexTrustHash is the hash Codex compares with hooks.state."KEY".trusted_hash
// before it runs a command handler (Codex 0.169): "sha256:" and the SHA-256
// of the canonical JSON (keys sorted, no white space) of the event in snake
// case, the group's matcher and the handler normalised (type, command,
// timeout with Codex's default of 600 s, async, statusMessage). A handler
// whose hash does not match is skipped, silently, so the hash must be exact;
// the end-to-end test runs Codex without its trust bypass to prove it.
func CodexTrustHash(h InstalledHandler) (string, error) {
	var c struct {
		Type          string   `json:"type"`
		Command       *string  `json:"command"`
		Timeout       *float64 `json:"timeout"`
		TimeoutSec    *float64 `json:"timeoutSec"`
		Async         bool     `json:"async"`
		StatusMessage *string  `json:"statusMessage"`
	}
	if err := json.Unmarshal(h.Raw, &c); err != nil {
		return "", err
	}
	if c.Type != "command" || c.Command == nil {
		return "", errors.New("not a command handler")
	}
	timeout := 600.0
	if c.Timeout != nil {
		timeout = *c.Timeout
	} else if c.TimeoutSec != nil {
		timeout = *c.TimeoutSec
	}
	if timeout != float64(uint64(timeout)) {
		return "", fmt.Errorf("timeout %v is not a whole number of seconds", timeout)
	}
	var b strings.Builder
	b.WriteString(`{"event_name":`)
	writeCanonicalString(&b, snakeCase(h.Event))
	b.WriteString(`,"hooks":[{"async":`)
	b.WriteString(strconv.FormatBool(c.Async))
	b.WriteString(`,"command":`)
	writeCanonicalString(&b, *c.Command)
	if c.StatusMessage != nil {
		b.WriteString(`,"statusMessage":`)
		writeCanonicalString(&b, *c.StatusMessage)
	}
	b.WriteString(`,"timeout":`)
	b.WriteString(strconv.FormatUint(max(uint64(timeout), 1), 10))
	b.WriteString(`,"type":"command"}]`)
	if h.Matcher != nil {
		b.WriteString(`,"matcher":`)
		writeCanonicalString(&b, *h.Matcher)
	}
	b.WriteByte('}')
	sum := sha256.Sum256([]byte(b.String()))
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// writeCanonicalString writes s as Codex's JSON serialiser does: only '"',
// '\\' and control characters escaped, everything else as UTF-8.
func writeCanonicalString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20:
			fmt.Fprintf(b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}

// snakeCase turns an event name such as PreToolUse into pre_tool_use.
func snakeCase(s string) string {
	var b strings.Builder
	for i, r := range s {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('_')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}
