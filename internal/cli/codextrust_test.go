package cli

import (
	"strings"
	"testing"
)

func TestEditCodexTrust(t *testing.T) {
	ts := []codexTrust{
		{key: "/h/.codex/hooks.json:pre_tool_use:0:0", hash: "sha256:aa", event: "PreToolUse"},
		{key: "/h/.codex/hooks.json:permission_request:0:0", hash: "sha256:bb", event: "PermissionRequest"},
	}
	const records = `[hooks.state."/h/.codex/hooks.json:pre_tool_use:0:0"]
trusted_hash = "sha256:aa"

[hooks.state."/h/.codex/hooks.json:permission_request:0:0"]
trusted_hash = "sha256:bb"
`
	for _, tc := range []struct {
		name, in string
		remove   bool
		want     string // "" with changed false: unchanged
		err      string
	}{
		{name: "no file", in: "", want: records},
		{name: "kept byte for byte", in: "model = \"o3\" # mine\n\n[mcp_servers.x]\ncommand = 'y'",
			want: "model = \"o3\" # mine\n\n[mcp_servers.x]\ncommand = 'y'\n\n" + records},
		{name: "already trusted", in: "a = 1\n\n" + records},
		{name: "stale hash updated in place", in: "[hooks.state.\"/h/.codex/hooks.json:pre_tool_use:0:0\"]\ntrusted_hash = \"sha256:old\" # by /hooks\nenabled = true\n\n[x]\ny = 2\n",
			want: "[hooks.state.\"/h/.codex/hooks.json:pre_tool_use:0:0\"]\ntrusted_hash = \"sha256:aa\"\nenabled = true\n\n[x]\ny = 2\n\n" +
				"[hooks.state.\"/h/.codex/hooks.json:permission_request:0:0\"]\ntrusted_hash = \"sha256:bb\"\n"},
		{name: "remove ours only", remove: true,
			in:   "a = 1\n\n" + records + "\n[hooks.state.\"/h/other.json:stop:0:0\"]\ntrusted_hash = \"sha256:cc\"\n",
			want: "a = 1\n\n[hooks.state.\"/h/other.json:stop:0:0\"]\ntrusted_hash = \"sha256:cc\"\n"},
		{name: "remove keeps a person's trust in something else", remove: true,
			in: "[hooks.state.\"/h/.codex/hooks.json:pre_tool_use:0:0\"]\ntrusted_hash = \"sha256:theirs\"\n"},
		{name: "remove with nothing recorded", remove: true, in: "a = 1\n"},
		{name: "inline table refused", in: "hooks = { state = { \"/h/.codex/hooks.json:pre_tool_use:0:0\" = { trusted_hash = \"sha256:old\" } } }\n",
			err: "beyond what safeclaw edits"},
		{name: "bad toml", in: "a = \n", err: "line 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, changed, err := editCodexTrust([]byte(tc.in), ts, tc.remove)
			switch {
			case tc.err != "":
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			case err != nil:
				t.Fatal(err)
			case tc.want == "":
				if changed || string(out) != tc.in {
					t.Fatalf("changed %v:\n%s", changed, out)
				}
				return
			}
			if !changed || string(out) != tc.want {
				t.Fatalf("changed %v, got:\n%s\nwant:\n%s", changed, out, tc.want)
			}
			states, err := readCodexHookStates(out)
			if err != nil {
				t.Fatal(err)
			}
			for _, tr := range ts {
				if got := states[tr.key].trustedHash; (got == tr.hash) == tc.remove {
					t.Errorf("%s: trusted_hash %q after remove=%v", tr.key, got, tc.remove)
				}
			}
		})
	}
}

func TestParseVersion(t *testing.T) {
	for in, want := range map[string][3]int{
		"/usr/bin/claude 2.1.332 (Claude Code)": {2, 1, 332},
		"codex-cli 0.169.0":                     {0, 169, 0},
		"v1.2.3-beta.1":                         {1, 2, 3},
	} {
		if got, ok := parseVersion(in); !ok || got != want {
			t.Errorf("%q: %v %v, want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "/usr/bin/claude (version unknown: exit 1)", "1.2", "a.b.c"} {
		if v, ok := parseVersion(in); ok {
			t.Errorf("%q: %v, want none", in, v)
		}
	}
	if !versionLess([3]int{2, 1, 197}, claudeOnFailureSince) || versionLess([3]int{2, 1, 295}, claudeOnFailureSince) || versionLess([3]int{3, 0, 0}, claudeOnFailureSince) {
		t.Error("versionLess")
	}
}
