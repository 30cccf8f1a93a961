package mcpproxy

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// An argument spelt in another case than the tool's input schema spells
// it is what a server decoding ignoring case (Go's encoding/json into a
// struct) reads as that argument: a rule about sql holds for SQL, Sql and
// ſql, on both paths; keys the schema does not know, or that fold alike
// to none of its names, are left as they are.
func TestArgumentKeysAsTheSchemaSpellsThem(t *testing.T) {
	for _, noFast := range []bool{true, false} {
		t.Run(fmt.Sprintf("nofast=%v", noFast), func(t *testing.T) {
			cs, g, p, fake := fastProxyWith(t, noFast, false, "2025-11-25", nil)
			toolNames(t, cs)
			for _, args := range []map[string]any{
				{"SQL": "drop table x"}, {"Sql": "drop table x"}, {"ſql": "drop table x"}, {"sQl": "select 1; DROP table x"},
			} {
				if res := call(t, cs, "run_query", args); !res.IsError || !strings.Contains(resultText(res), "No DROP") {
					t.Errorf("%v: %q", args, resultText(res))
				}
			}
			if res := call(t, cs, "run_query", map[string]any{"SQL": "select 1"}); res.IsError {
				t.Errorf("SQL select: %q", resultText(res))
			}
			if !noFast && p.fast.next.Load() == 0 {
				t.Error("the fast path carried no call")
			}
			g.mu.Lock()
			last := g.reqs[len(g.reqs)-1]
			g.mu.Unlock()
			var got []string
			for _, pt := range last.Parts {
				got = append(got, compactJSON(pt.Facets[0].Args))
			}
			if want := []string{`{"SQL":"select 1"}`, `{"sql":"select 1"}`}; !reflect.DeepEqual(got, want) {
				t.Errorf("decided %q, want %q", got, want)
			}
			for _, a := range calledWith(t, fake, "run_query") {
				if strings.Contains(strings.ToLower(fmt.Sprint(a)), "drop") {
					t.Errorf("upstream got %v", a)
				}
			}
		})
	}
}

func TestSchemaSpelling(t *testing.T) {
	schema := map[string]any{"type": "object", "properties": map[string]any{
		"sql":  map[string]any{"type": "string"},
		"opts": map[string]any{"type": "object", "properties": map[string]any{"dryRun": map[string]any{"type": "boolean"}}},
		"rows": map[string]any{"type": "array", "items": map[string]any{"anyOf": []any{
			map[string]any{"properties": map[string]any{"userId": map[string]any{}}}}}},
	}}
	keys := inputKeys(schema)
	for in, want := range map[string]string{
		`{"sql":"x"}`:                          ``,
		`{"other":"x","SQL":"y"}`:              `{"other":"x","sql":"y"}`,
		`{"opts":{"DRYRUN":true}}`:             `{"opts":{"dryRun":true}}`,
		`{"OPTS":{"dryrun":true,"x":1}}`:       `{"opts":{"dryRun":true,"x":1}}`,
		`{"rows":[{"USERID":1},{"userId":2}]}`: `{"rows":[{"userId":1},{"userId":2}]}`,
		`{"sq":"x","sqll":"y"}`:                ``,
		`{"\u017fql":"x"}`:                     `{"sql":"x"}`,
	} {
		var args map[string]any
		if err := json.Unmarshal([]byte(in), &args); err != nil {
			t.Fatal(err)
		}
		spelt, changed := schemaSpelling(args, keys, 0)
		got := ""
		if changed {
			got = compactJSON(spelt)
		}
		if got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
	// A schema of any decoded form (the client's Tool has it as any).
	raw := json.RawMessage(`{"type":"object","properties":{"Path":{"type":"string"}}}`)
	if k := inputKeys(raw); k == nil || len(k) != 1 {
		t.Errorf("raw schema: %v", k)
	}
	if k := inputKeys(&mcp.Tool{}); k != nil {
		t.Errorf("no schema: %v", k)
	}
}

// A shell command runs where the call's cwd argument says, whatever its
// case and whether it is relative (to the proxy's directory, where a local
// upstream runs) or under ~/: file rules apply to where it reads.
func TestCommandCwdArgument(t *testing.T) {
	g := gateWith(t, `
rules:
  - {name: shadow, action: file.read, path: /etc/shadow, effect: deny, reason: "no shadow"}
  - {name: key, action: file.read, path: ~/.ssh/id_rsa, effect: deny, reason: "no keys"}
  - {name: cat, command_pattern: "cat *", effect: allow}
  - {name: commands, action: mcp.call, server: db, tool: run_command, effect: allow}
  - {name: reads, action: file.read, path: /home/u/**, effect: allow}
default: deny
`)
	s := start(t, setupOpts{configure: useGate(g)})
	for _, args := range []map[string]any{
		{"command": "cat shadow", "cwd": "/etc"},
		{"command": "cat shadow", "CWD": "/etc"},
		{"command": "cat shadow", "Cwd": "/etc/"},
		{"command": "cat shadow", "WorkDir": "/etc"},
		{"command": "cat shadow", "cwd": "../../../etc"},
		{"command": "cat id_rsa", "cwd": "~/.ssh"},
		{"command": "cat id_rsa", "directory": "../.ssh"},
		{"command": "cat shadow", "workingDirectory": "/etc"},
		{"command": "cat shadow", "cwd": "/home/u/proj", "working-directory": "/etc"}, // the server may take either
	} {
		if res := call(t, s.client, "run_command", args); !res.IsError {
			t.Errorf("%v: allowed: %q", args, resultText(res))
		}
	}
	if res := call(t, s.client, "run_command", map[string]any{"command": "cat notes.txt", "cwd": "docs"}); res.IsError {
		t.Errorf("benign: %q", resultText(res))
	}
	if got := calledWith(t, s.fake, "run_command"); len(got) != 1 {
		t.Errorf("upstream got %v", got)
	}
}
