package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pelletier/go-toml/v2"

	"github.com/safeclaw/safeclaw/hook"
)

// Codex's machine-wide "requirements" (/etc/codex/requirements.toml) can
// carry hooks of their own: managed hooks, which Codex runs without asking
// for trust, and allow_managed_hooks_only, which turns every user and
// project hook off. Checked against Codex 0.169 (its app-server's
// hooks/list reports such a hook as managed). 'safeclaw install codex
// --managed' writes safeclaw's hooks there, between marker lines, so that
// another install replaces them and uninstall removes exactly them.

const (
	codexManagedPath  = "/etc/codex/requirements.toml"
	codexManagedBegin = "# BEGIN safeclaw managed hooks (safeclaw install codex --managed; uninstall removes this block)"
	codexManagedEnd   = "# END safeclaw managed hooks"
	codexOnlyManaged  = "allow_managed_hooks_only = true # set by safeclaw install codex --managed"
)

// codexManagedBlock is safeclaw's managed hooks in requirements.toml form:
// the deciding events of the hooks.json install, from the same handlers.
func codexManagedBlock(argv []string) (string, error) {
	data, _, err := hook.EditSettings("codex", nil, argv, false)
	if err != nil {
		return "", err
	}
	var file struct {
		Hooks map[string][]struct {
			Matcher string `json:"matcher"`
			Hooks   []struct {
				Type          string `json:"type"`
				Command       string `json:"command"`
				Timeout       int    `json:"timeout"`
				StatusMessage string `json:"statusMessage"`
			} `json:"hooks"`
		} `json:"hooks"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(codexManagedBegin + "\n")
	for _, ev := range hook.DecidingEvents("codex") {
		for _, g := range file.Hooks[ev] {
			fmt.Fprintf(&b, "[[hooks.%s]]\nmatcher = %s\n", ev, tomlString(g.Matcher))
			for _, h := range g.Hooks {
				fmt.Fprintf(&b, "[[hooks.%s.hooks]]\ntype = %s\ncommand = %s\ntimeout = %d\nstatusMessage = %s\n",
					ev, tomlString(h.Type), tomlString(h.Command), h.Timeout, tomlString(h.StatusMessage))
			}
		}
	}
	b.WriteString(codexManagedEnd + "\n")
	return b.String(), nil
}

// editCodexRequirements returns requirements.toml (data; empty when there
// is none) with safeclaw's managed hooks block set to block (remove: taken
// out; binName names the safeclaw binary the block runs), and with allow_managed_hooks_only = true added when onlyManaged.
// Everything else is kept byte for byte. The result must parse, and (when
// installing) hold safeclaw's handlers for every deciding event, or an
// error says to do it by hand.
func editCodexRequirements(data []byte, block, binName string, onlyManaged, remove bool) ([]byte, bool, error) {
	var before map[string]any
	if err := toml.Unmarshal(data, &before); err != nil {
		return nil, false, tomlError(err)
	}
	out := cutBetween(data, codexManagedBegin, codexManagedEnd)
	out = removeLine(out, codexOnlyManaged)
	if !remove {
		if onlyManaged {
			v, set := before["allow_managed_hooks_only"]
			ours := slices.ContainsFunc(tomlLines(data), func(l []byte) bool { return strings.TrimSpace(string(l)) == codexOnlyManaged })
			switch {
			case set && !ours && v != true:
				return nil, false, errors.New("it sets allow_managed_hooks_only = false: change that by hand, or give --keep-other-hooks")
			case set && !ours:
				// The administrator's own setting, kept as it is.
			default:
				out = insertTopLevel(out, codexOnlyManaged+"\n")
			}
		}
		if len(out) > 0 && out[len(out)-1] != '\n' {
			out = append(out, '\n')
		}
		if len(bytes.TrimSpace(out)) > 0 {
			out = append(out, '\n')
		}
		out = append(out, block...)
	}
	hs, err := codexManagedHandlers(out, binName)
	if err != nil {
		return nil, false, fmt.Errorf("its layout is beyond what safeclaw edits in place (%v): add the hooks by hand", err)
	}
	if !remove && len(hs) < len(hook.DecidingEvents("codex")) {
		return nil, false, errors.New("its layout is beyond what safeclaw edits in place (the hooks did not land in [hooks]): add them by hand")
	}
	return out, !bytes.Equal(out, data), nil
}

// cutBetween removes the lines from begin to end (both included) and the
// blank line before them.
func cutBetween(data []byte, begin, end string) []byte {
	lines := tomlLines(data)
	start, stop := -1, -1
	for i, l := range lines {
		t := strings.TrimSpace(string(l))
		if t == begin && start < 0 {
			start = i
		}
		if t == end && start >= 0 {
			stop = i + 1
			break
		}
	}
	if start < 0 || stop < 0 {
		return data
	}
	if start > 0 && len(bytes.TrimSpace(lines[start-1])) == 0 {
		start--
	}
	return bytes.Join(append(lines[:start:start], lines[stop:]...), nil)
}

// removeLine removes every line that is exactly line.
func removeLine(data []byte, line string) []byte {
	var out [][]byte
	for _, l := range tomlLines(data) {
		if strings.TrimSpace(string(l)) != line {
			out = append(out, l)
		}
	}
	return bytes.Join(out, nil)
}

// insertTopLevel puts a top-level key line before the first table header,
// where TOML needs it.
func insertTopLevel(data []byte, line string) []byte {
	lines := tomlLines(data)
	at := len(lines)
	for i, l := range lines {
		if t := bytes.TrimSpace(l); len(t) > 0 && t[0] == '[' {
			at = i
			break
		}
	}
	for at > 0 && len(bytes.TrimSpace(lines[at-1])) == 0 {
		at-- // above the blank lines that set the table off
	}
	if at > 0 && !bytes.HasSuffix(lines[at-1], []byte("\n")) {
		lines[at-1] = append(bytes.Clone(lines[at-1]), '\n')
	}
	out := append(lines[:at:at], []byte(line))
	return bytes.Join(append(out, lines[at:]...), nil)
}

// codexManagedHandlers reads the hooks of a requirements.toml as a
// hooks.json would hold them, for [hook.InstalledHandlers].
func codexManagedHandlers(data []byte, binName string) ([]hook.InstalledHandler, error) {
	var doc map[string]any
	if err := toml.Unmarshal(data, &doc); err != nil {
		return nil, tomlError(err)
	}
	hooks, _ := doc["hooks"].(map[string]any)
	events := map[string]any{}
	for k, v := range hooks {
		if _, isList := v.([]any); isList {
			events[k] = v
		}
	}
	asJSON, err := json.Marshal(map[string]any{"hooks": events})
	if err != nil {
		return nil, err
	}
	return hook.InstalledHandlers("codex", asJSON, binName)
}
