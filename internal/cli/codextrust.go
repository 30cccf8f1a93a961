package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"

	"github.com/pelletier/go-toml/v2"

	"github.com/safeclaw/safeclaw/hook"
)

// Codex runs a hook handler from a settings file only when its user
// config.toml records trust in it: hooks.state."KEY".trusted_hash equal to
// the handler's hash (hook.CodexTrustKey, hook.CodexTrustHash). Without it
// Codex skips the hook without a word and runs the tool call: safeclaw's
// hooks would fail open. So 'safeclaw install codex' records the trust a
// person would give in Codex's /hooks view, 'uninstall' takes it back, and
// 'doctor' checks it.

// codexTrust is one of safeclaw's Codex handlers and the trust record it needs.
type codexTrust struct {
	key, hash string
	event     string
}

// codexUserConfig is the config.toml where Codex keeps hook trust.
func (e *Env) codexUserConfig() (string, error) {
	if d := e.codexHomeEnv(); d != "" {
		return filepath.Join(d, "config.toml"), nil
	}
	if e.Home == "" {
		return "", errors.New("no home directory")
	}
	return filepath.Join(e.Home, ".codex", "config.toml"), nil
}

// codexHomeEnv is $CODEX_HOME the way Codex reads it ("" when unset): made
// absolute and with symbolic links resolved (Codex canonicalises it). Codex
// names the hooks.json it trusts by that path, so a trust record keyed by
// the path as written (a link, a relative path) is one Codex never finds,
// and it skips safeclaw's hook without a word.
func (e *Env) codexHomeEnv() string {
	d := e.Getenv("CODEX_HOME")
	if d == "" {
		return ""
	}
	if !filepath.IsAbs(d) && e.Cwd != "" {
		d = filepath.Join(e.Cwd, d)
	}
	if real, err := filepath.EvalSymlinks(d); err == nil {
		d = real
	}
	return filepath.Clean(d)
}

// codexTrusts lists the trust records safeclaw's handlers in the Codex
// hooks file at hooksPath (content hooksData) need.
func codexTrusts(hooksPath string, hooksData []byte, binName string) ([]codexTrust, error) {
	hs, err := hook.InstalledHandlers("codex", hooksData, binName)
	if err != nil {
		return nil, err
	}
	ts := make([]codexTrust, 0, len(hs))
	for _, h := range hs {
		hash, err := hook.CodexTrustHash(h)
		if err != nil {
			return nil, fmt.Errorf("%s handler %d: %v", h.Event, h.Index, err)
		}
		ts = append(ts, codexTrust{key: hook.CodexTrustKey(hooksPath, h), hash: hash, event: h.Event})
	}
	return ts, nil
}

// codexHookState is one hooks.state entry of Codex's config.toml.
type codexHookState struct {
	trustedHash string
	disabled    bool // enabled = false
}

// readCodexHookStates returns config.toml's hooks.state entries.
func readCodexHookStates(data []byte) (map[string]codexHookState, error) {
	var doc map[string]any
	if err := toml.Unmarshal(data, &doc); err != nil {
		return nil, tomlError(err)
	}
	out := map[string]codexHookState{}
	hooks, _ := doc["hooks"].(map[string]any)
	state, _ := hooks["state"].(map[string]any)
	for k, v := range state {
		entry, _ := v.(map[string]any)
		hash, _ := entry["trusted_hash"].(string)
		enabled, isBool := entry["enabled"].(bool)
		out[k] = codexHookState{trustedHash: hash, disabled: isBool && !enabled}
	}
	return out, nil
}

// editCodexTrust returns config.toml (data, empty when there is none) with
// a trust record for each of ts, or with safeclaw's records removed when
// remove is set (only records holding safeclaw's hash: a person's trust in
// something else at the same position stays). Everything else in the file
// is kept byte for byte. The edit is checked by parsing the result: if it
// does not mean exactly the original plus the records (a config.toml laid
// out in a way the line edit cannot follow), an error says so and nothing
// should be written.
func editCodexTrust(data []byte, ts []codexTrust, remove bool) ([]byte, bool, error) {
	var before map[string]any
	if err := toml.Unmarshal(data, &before); err != nil {
		return nil, false, tomlError(err)
	}
	if before == nil {
		before = map[string]any{}
	}
	states, err := readCodexHookStates(data)
	if err != nil {
		return nil, false, err
	}
	out := bytes.Clone(data)
	want := cloneTOML(before)
	changed := false
	for _, t := range ts {
		cur, exists := states[t.key]
		switch {
		case remove && exists && cur.trustedHash == t.hash:
			out = deleteTOMLTable(out, []string{"hooks", "state", t.key})
			delete(tomlTable(want, "hooks", "state"), t.key)
			changed = true
		case remove || exists && cur.trustedHash == t.hash:
		case exists:
			out = setTOMLValue(out, []string{"hooks", "state", t.key}, "trusted_hash", tomlString(t.hash))
			tomlTable(want, "hooks", "state", t.key)["trusted_hash"] = t.hash
			changed = true
		default:
			if len(out) > 0 && out[len(out)-1] != '\n' {
				out = append(out, '\n')
			}
			if len(out) > 0 {
				out = append(out, '\n')
			}
			out = fmt.Appendf(out, "[hooks.state.%s]\ntrusted_hash = %s\n", tomlString(t.key), tomlString(t.hash))
			tomlTable(want, "hooks", "state", t.key)["trusted_hash"] = t.hash
			changed = true
		}
	}
	if !changed {
		return data, false, nil
	}
	var after map[string]any
	if err := toml.Unmarshal(out, &after); err != nil || !reflect.DeepEqual(normTOML(after), normTOML(want)) {
		return nil, false, errors.New("its layout is beyond what safeclaw edits in place (hooks.state written inline?)")
	}
	return out, true, nil
}

// tomlTable returns the table at path in doc, creating what is missing.
func tomlTable(doc map[string]any, path ...string) map[string]any {
	t := doc
	for _, k := range path {
		next, ok := t[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			t[k] = next
		}
		t = next
	}
	return t
}

func cloneTOML(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if sub, ok := v.(map[string]any); ok {
			v = cloneTOML(sub)
		}
		out[k] = v
	}
	return out
}

// normTOML drops empty tables (an emptied [hooks.state] means the same as
// none), on both sides of the comparison.
func normTOML(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		if sub, ok := v.(map[string]any); ok {
			sub = normTOML(sub)
			if len(sub) == 0 {
				continue
			}
			v = sub
		}
		out[k] = v
	}
	return out
}

// tomlLines splits data into lines, each with its newline.
func tomlLines(data []byte) [][]byte {
	var lines [][]byte
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			lines = append(lines, data)
			break
		}
		lines = append(lines, data[:i+1])
		data = data[i+1:]
	}
	return lines
}

// headerPath is the key path of a [table] header line, or nil.
func headerPath(line []byte) []string {
	t := bytes.TrimSpace(line)
	if len(t) < 2 || t[0] != '[' || t[1] == '[' {
		return nil
	}
	var doc map[string]any
	if toml.Unmarshal(append(bytes.Clone(t), '\n'), &doc) != nil {
		return nil
	}
	var path []string
	for cur := doc; len(cur) == 1; {
		var k string
		var v any
		for k, v = range cur {
		}
		path = append(path, k)
		next, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		cur = next
	}
	return path
}

// tableSpan finds the lines of the table at path: its header line and the
// lines up to the next header ([start, end) line indexes); ok false when
// there is no such header.
func tableSpan(lines [][]byte, path []string) (start, end int, ok bool) {
	start = -1
	for i, l := range lines {
		if headerPath(l) == nil && !bytes.HasPrefix(bytes.TrimSpace(l), []byte("[[")) {
			continue
		}
		if start >= 0 {
			return start, i, true
		}
		if slices.Equal(headerPath(l), path) {
			start = i
		}
	}
	if start >= 0 {
		return start, len(lines), true
	}
	return 0, 0, false
}

// deleteTOMLTable removes the table at path (header and body lines, with
// the blank line before it when it is the last table); data is unchanged
// when the table has no header of its own (the check in editCodexTrust then
// refuses the edit).
func deleteTOMLTable(data []byte, path []string) []byte {
	lines := tomlLines(data)
	start, end, ok := tableSpan(lines, path)
	if !ok {
		return data
	}
	if end == len(lines) && start > 0 && len(bytes.TrimSpace(lines[start-1])) == 0 {
		start--
	}
	return bytes.Join(append(lines[:start:start], lines[end:]...), nil)
}

// setTOMLValue replaces the line of key in the table at path with
// key = value (a TOML literal).
func setTOMLValue(data []byte, path []string, key, value string) []byte {
	lines := tomlLines(data)
	start, end, ok := tableSpan(lines, path)
	if !ok {
		return data
	}
	for i := start + 1; i < end; i++ {
		var kv map[string]any
		if toml.Unmarshal(lines[i], &kv) != nil || len(kv) != 1 {
			continue
		}
		if _, ok := kv[key]; ok {
			nl := ""
			if bytes.HasSuffix(lines[i], []byte("\n")) {
				nl = "\n"
			}
			lines[i] = []byte(key + " = " + value + nl)
			return bytes.Join(lines, nil)
		}
	}
	return data
}

// trustCodexHooks records (or, with remove, takes back) Codex's trust in
// safeclaw's handlers of the hooks file at hooksPath (hooksData: its
// content with the handlers, before an uninstall removes them). It writes
// the user's config.toml with a backup and returns what to tell the user.
//
// config.toml is Codex's own file too (it records trust and project
// settings there as it runs): when it changes while safeclaw edits it, the
// edit is made again on the new content, so that neither change is lost.
func (e *Env) trustCodexHooks(hooksPath string, hooksData []byte, binName string, remove bool) (msg string, err error) {
	for try := 0; try < 3; try++ {
		if msg, err = e.trustCodexHooksOnce(hooksPath, hooksData, binName, remove); !errors.Is(err, errSettingsChanged) {
			break
		}
	}
	return msg, err
}

func (e *Env) trustCodexHooksOnce(hooksPath string, hooksData []byte, binName string, remove bool) (string, error) {
	ts, err := codexTrusts(hooksPath, hooksData, binName)
	if err != nil || len(ts) == 0 {
		return "", err
	}
	cfg, err := e.codexUserConfig()
	if err != nil {
		return "", err
	}
	old, err := os.ReadFile(cfg)
	existed := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	out, changed, err := editCodexTrust(old, ts, remove)
	if err != nil {
		return "", fmt.Errorf("%s: %v", cfg, err)
	}
	if !changed {
		if remove {
			return "", nil
		}
		return fmt.Sprintf("Codex already trusts safeclaw's hooks (%s)", cfg), nil
	}
	target, err := settingsTarget(cfg)
	if err != nil {
		return "", err
	}
	if _, err := (settingsEdit{target: target, old: old, existed: existed, out: out, perm: 0o600, stamp: e.backupStamp()}).commit(); err != nil {
		return "", fmt.Errorf("%s: %w", cfg, err)
	}
	if remove {
		return fmt.Sprintf("removed Codex's trust in safeclaw's hooks from %s", cfg), nil
	}
	return fmt.Sprintf("recorded Codex's trust in safeclaw's hooks in %s (hooks.state, as Codex's /hooks view does); Codex skips a hook it does not trust", cfg), nil
}

// codexTrustWritable reports why Codex's trust in the safeclaw handlers of
// hooksData could not be recorded, before install replaces the hooks file:
// replacing it first would leave handlers Codex does not trust (it skips
// them without a word) in place of ones it did.
func (e *Env) codexTrustWritable(hooksPath string, hooksData []byte, binName string) error {
	ts, err := codexTrusts(hooksPath, hooksData, binName)
	if err != nil || len(ts) == 0 {
		return err
	}
	cfg, err := e.codexUserConfig()
	if err != nil {
		return err
	}
	old, err := os.ReadFile(cfg)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if _, _, err := editCodexTrust(old, ts, false); err != nil {
		return fmt.Errorf("%s: %v", cfg, err)
	}
	return nil
}
