package hook

import (
	"reflect"
	"testing"
)

// The hashes Codex 0.169 itself reports (app-server hooks/list,
// currentHash) for the hooks.json 'safeclaw install codex' writes with the
// binary at /tmp/sc.
func TestCodexTrustHashMatchesCodex(t *testing.T) {
	data, _, err := EditSettings("codex", nil, []string{"/tmp/sc", "hook", "codex"}, false)
	if err != nil {
		t.Fatal(err)
	}
	hs, err := InstalledHandlers("codex", data, "sc")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"/home/u/.codex/hooks.json:pre_tool_use:0:0":       "sha256:d18fbba2a45963bf4e4c12908df78d924455ecf4a6acfeb625c2bf005f7aa4e4",
		"/home/u/.codex/hooks.json:permission_request:0:0": "sha256:18f6681a5dca2bede44feea3149b8c53ccc74ab86cf367dc15db0387aab0edf0",
	}
	got := map[string]string{}
	for _, h := range hs {
		hash, err := CodexTrustHash(h)
		if err != nil {
			t.Fatal(err)
		}
		got[CodexTrustKey("/home/u/.codex/hooks.json", h)] = hash
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
}

func TestCodexTrustHashNormalises(t *testing.T) {
	star := "*"
	hash := func(raw string, matcher *string) string {
		t.Helper()
		h, err := CodexTrustHash(InstalledHandler{Event: "PreToolUse", Matcher: matcher, Raw: []byte(raw)})
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	base := hash(`{"type":"command","command":"safeclaw hook codex","timeout":600}`, &star)
	for _, same := range []string{
		`{"command":"safeclaw hook codex","type":"command"}`,                  // default timeout, key order
		`{"type":"command","command":"safeclaw hook codex","timeoutSec":600}`, // alias
		`{"type":"command","command":"safeclaw hook codex","async":false}`,
	} {
		if got := hash(same, &star); got != base {
			t.Errorf("%s: %s, want %s", same, got, base)
		}
	}
	for _, other := range []string{
		`{"type":"command","command":"safeclaw hook codex","timeout":30}`,
		`{"type":"command","command":"safeclaw hook codex","async":true}`,
		`{"type":"command","command":"safeclaw hook codex","statusMessage":"x"}`,
		`{"type":"command","command":"safeclaw  hook codex"}`,
	} {
		if got := hash(other, &star); got == base {
			t.Errorf("%s hashes like the base", other)
		}
	}
	if hash(`{"type":"command","command":"safeclaw hook codex"}`, nil) == base {
		t.Error("no matcher hashes like matcher *")
	}
	for _, bad := range []string{`{"type":"prompt"}`, `{"type":"command"}`, `{"type":"command","command":"x","timeout":1.5}`, `[]`} {
		if _, err := CodexTrustHash(InstalledHandler{Event: "PreToolUse", Raw: []byte(bad)}); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func TestInstalledHandlers(t *testing.T) {
	for _, agent := range Agents() {
		data, _, err := EditSettings(agent, []byte(`{"hooks":{"X":[{"matcher":"m","hooks":[{"type":"command","command":"other"}]}]}}`),
			[]string{"/opt/bin/safeclaw", "hook", agent, "--ask", "deny"}, false)
		if agent == "cursor" {
			data, _, err = EditSettings(agent, []byte(`{"version":1,"hooks":{"X":[{"command":"other"}]}}`),
				[]string{"/opt/bin/safeclaw", "hook", agent, "--ask", "deny"}, false)
		}
		if err != nil {
			t.Fatal(agent, err)
		}
		hs, err := InstalledHandlers(agent, data, "safeclaw")
		if err != nil {
			t.Fatal(agent, err)
		}
		events := map[string]bool{}
		for _, h := range hs {
			events[h.Event] = true
			if want := []string{"/opt/bin/safeclaw", "hook", agent, "--ask", "deny"}; !reflect.DeepEqual(h.Command, want) {
				t.Errorf("%s %s: command %q, want %q", agent, h.Event, h.Command, want)
			}
		}
		for _, ev := range DecidingEvents(agent) {
			if !events[ev] {
				t.Errorf("%s: no handler for %s in %s", agent, ev, data)
			}
		}
		if events["X"] {
			t.Errorf("%s: another tool's handler listed as safeclaw's", agent)
		}
		others, err := OtherHandlers(agent, data, "safeclaw")
		if err != nil || len(others) != 1 || others[0].Event != "X" || !reflect.DeepEqual(others[0].Command, []string{"other"}) {
			t.Errorf("%s: other handlers %+v, %v", agent, others, err)
		}
	}
	if got := DecidingEvents("claude"); !reflect.DeepEqual(got, []string{"PreToolUse", "PermissionRequest", "PreSkillShellCommand"}) {
		t.Errorf("claude deciding events %v", got)
	}
	if _, err := InstalledHandlers("vim", nil, "safeclaw"); err == nil {
		t.Error("unknown agent: no error")
	}
	if _, err := InstalledHandlers("claude", []byte(`{"hooks":{"PreToolUse":{}}}`), "safeclaw"); err == nil {
		t.Error("event not a list: no error")
	}
}
