package approval_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/approval"
)

var alwaysAnswer = approval.Answer{Approve: true, Scope: approval.Always, Approver: "alice", Channel: "cli",
	Time: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC), Reason: "daily dev server"}

func TestAlwaysRulesShell(t *testing.T) {
	req := shellRequest("s1", "rm", "-rf", "dist", "it's", `"hi"`, "$HOME", "-f", "dist")
	r := &approval.Record{ID: "abc", Agent: "claude", Cwd: "/p", Input: req.Input, Request: req}
	got, err := approval.AlwaysRules(r, alwaysAnswer)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`# Approved always by alice via cli at 2026-11-26T12:00:00Z (request abc, agent claude, cwd "/p").`,
		`# Reason: "daily dev server"`,
		`- name: "always abc.1"`,
		`action: shell.execute`,
		`command_pattern: "rm -rf dist \"it's\" '\"hi\"' '$HOME' -f dist"`,
		`command_regex: "^rm -rf dist it's \"hi\" \\$HOME -f dist$"`,
		`args: ["-rf", "dist", "it's", "\"hi\"", "$HOME", "-f"]`,
		`agent: "claude"`,
		`effect: allow`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("always rules lack %s:\n%s", want, got)
		}
	}
	// What a rule cannot pin exactly is refused, never written broader.
	for _, argv := range [][]string{
		{"git", "commit", "-m", "fix the bug"},
		{"gcc", "-I", "a", "-I", "b"},
		{"echo", `it's"x"`},
		// A character a policy refuses as invisible: the rule would not
		// load, and a policy that does not load denies everything.
		{"echo", "\u0600"},
		{"ls", "a\u200bb"},
	} {
		req := shellRequest("", argv...)
		if got, err := approval.AlwaysRules(&approval.Record{ID: "x", Request: req}, alwaysAnswer); err == nil {
			t.Errorf("AlwaysRules(%q) wrote a rule:\n%s", argv, got)
		}
	}
}

func TestAlwaysRulesActions(t *testing.T) {
	listen := &action.Request{Input: "network.listen port 8080", Parts: []action.Part{{Facets: []action.Action{{Kind: action.NetworkListen, Port: 8080, Host: "127.0.0.1"}}}}}
	got, err := approval.AlwaysRules(&approval.Record{ID: "x", Request: listen}, alwaysAnswer)
	if err != nil || !strings.Contains(got, `action: "network.listen"`) || !strings.Contains(got, "port: 8080") || !strings.Contains(got, `host: "127.0.0.1"`) {
		t.Fatalf("AlwaysRules = %s, %v", got, err)
	}
	for name, f := range map[string]action.Action{
		"tool arguments": {Kind: action.MCPCall, Server: "db", Tool: "query", Args: map[string]any{"sql": "drop table x"}},
		"wildcard":       {Kind: action.FileWrite, Path: "/tmp/*"},
		"no field":       {Kind: action.NetworkListen},
	} {
		req := &action.Request{Parts: []action.Part{{Facets: []action.Action{f}}}}
		if got, err := approval.AlwaysRules(&approval.Record{ID: "x", Request: req}, alwaysAnswer); err == nil {
			t.Errorf("%s: AlwaysRules wrote a rule it cannot pin exactly:\n%s", name, got)
		}
	}
}

func TestAppendAlwaysConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cfg", "always.yaml")
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := shellRequest("", "make", fmt.Sprint("target", i))
			rules, err := approval.AlwaysRules(&approval.Record{ID: fmt.Sprint("id", i), Input: req.Input, Request: req}, alwaysAnswer)
			if err != nil {
				t.Error(err)
				return
			}
			if err := approval.AppendAlways(path, rules, func(data []byte) error {
				if !strings.HasPrefix(string(data), approval.AlwaysHeader) {
					return fmt.Errorf("header lost")
				}
				return nil
			}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		if !strings.Contains(string(data), fmt.Sprintf(`"always id%d.1"`, i)) {
			t.Errorf("rule %d lost in concurrent appends", i)
		}
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("always file mode %v, want 0600", st.Mode().Perm())
	}
	// A validator that refuses leaves the file as it was.
	before := string(data)
	err = approval.AppendAlways(path, "  - broken\n", func([]byte) error { return fmt.Errorf("bad policy") })
	if err == nil {
		t.Fatal("AppendAlways wrote content its validator refused")
	}
	if after, _ := os.ReadFile(path); string(after) != before {
		t.Fatal("a refused append changed the file")
	}
}
