package mcpproxy

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/safeclaw/safeclaw/mcpproxy/mcptest"
	"github.com/safeclaw/safeclaw/policy"
)

const numbersPolicy = `
rules:
  - {name: not user 0, action: mcp.call, server: db, tool: run_query, args: {user: "0"}, effect: deny, reason: "not user 0"}
  - {name: not that id, action: mcp.call, server: db, tool: run_query, args: {id: "9007199254740992"}, effect: deny, reason: "not that id"}
  - {name: at most 99, action: mcp.call, server: db, tool: run_query, args: {"opts.limit": "100"}, effect: deny, reason: "not 100"}
  - {name: no drop, action: mcp.call, server: db, tool: run_query, args: {sql: {regex: "(?i)drop"}}, effect: deny, reason: "no drop"}
  - {name: queries, action: mcp.call, server: db, tool: run_query, effect: allow}
default: deny
`

// gateWith is a recording gate deciding with the policy yaml.
func gateWith(t testing.TB, yaml string) *gateRec {
	t.Helper()
	f, err := policy.Parse("test.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy.Compile([]*policy.File{f}, policy.Options{Home: "/home/u"})
	if err != nil {
		t.Fatal(err)
	}
	return &gateRec{p: p}
}

// A rule about a number holds for every way of writing it that a server
// may read as that number (JavaScript and most JSON parsers read numbers
// as doubles), and arguments whose keys a case-insensitive decoder takes
// for one name under Unicode case folding are refused: on both paths, and
// nothing denied reaches the upstream.
func TestArgumentsDecidedAsServersReadThem(t *testing.T) {
	denied := []string{
		`{"user":-0}`, `{"user":0.0}`, `{"user":0e5}`, `{"user":-0.0e-3}`, `{"user":1e-400}`,
		`{"id":9007199254740993}`, `{"id":9.007199254740993e15}`,
		`{"opts":{"limit":1e2}}`, `{"opts":{"limit":100.000000000000001}}`, `{"opts":[{"limit":1E2}]}`,
		`{"n":1e400}`, `{"n":-1e400}`,
		`{"sql":"select 1","ſql":"DROP TABLE users"}`,
		`{"opts":{"Sql":"select 1","ſQL":"x"}}`,
		`{"q":{"kind":"a","\u212aind":"b"}}`,
	}
	allowed := map[string]string{
		`{"user":1}`:                       `{"user":1}`,
		`{"user":1.5,"n":2.50}`:            `{"n":2.50,"user":1.5}`,
		`{"id":12345678901234567890}`:      `{"id":12345678901234567890}`,
		`{"sql":"select 1","kind":"ſ"}`:    `{"kind":"ſ","sql":"select 1"}`,
		`{"opts":{"limit":99,"Limit2":1}}`: `{"opts":{"Limit2":1,"limit":99}}`,
	}
	for _, noFast := range []bool{true, false} {
		t.Run(fmt.Sprintf("nofast=%v", noFast), func(t *testing.T) {
			fake := &mcptest.Fake{}
			up, _ := pipeUpstream(t, fake)
			g := gateWith(t, numbersPolicy)
			w := wireProxy(t, up, noFast, func(o *Options) { o.Decide, o.Check = g.decide, g.check })
			w.send(`{"jsonrpc":"2.0","id":"list","method":"tools/list"}`)
			w.await(`"list"`)
			for i, args := range denied {
				w.send(fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"run_query","arguments":%s}}`, i+1, args))
				text, isError, rpcErr := callResult(w.await(fmt.Sprint(i + 1)))
				if !isError && rpcErr == "" {
					t.Errorf("%s: allowed: %q", args, text)
				}
			}
			if got := calledWith(t, fake, "run_query"); len(got) != 0 {
				t.Fatalf("the upstream got %v", got)
			}
			i := 100
			var want []string
			for args, fwd := range allowed {
				i++
				w.send(fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"run_query","arguments":%s}}`, i, args))
				if text, isError, rpcErr := callResult(w.await(fmt.Sprint(i))); isError || rpcErr != "" {
					t.Errorf("%s: %q %q", args, text, rpcErr)
				}
				want = append(want, fwd)
			}
			var got []string
			for _, r := range requests(t, fake) {
				if r.Method == "tools/call" {
					got = append(got, string(r.Args))
				}
			}
			for _, fwd := range want {
				if !strings.Contains(strings.Join(got, "\n"), fwd) {
					t.Errorf("the upstream did not get %s: %q", fwd, got)
				}
			}
		})
	}
}

func TestDoubleReading(t *testing.T) {
	for in, want := range map[string]string{
		`{"a":1}`:                     ``,
		`{"a":-0}`:                    `{"a":0}`,
		`{"a":[1.0,2]}`:               `{"a":[1,2]}`,
		`{"a":{"b":1e21,"c":"x"}}`:    `{"a":{"b":1e+21,"c":"x"}}`,
		`{"a":123456789012345678}`:    `{"a":123456789012345680}`,
		`{"a":0.1000000000000000001}`: `{"a":0.1}`,
		`{"a":1e-7}`:                  ``,
		`{"a":1E-7}`:                  `{"a":1e-7}`,
	} {
		m, err := decodeArgs([]byte(in))
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		alt, differs := doubleReading(m)
		got := ""
		if differs {
			b, _ := json.Marshal(alt)
			got = string(b)
		}
		if got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}

// Prompt arguments whose keys fold alike are refused as tool arguments are.
func TestPromptArgumentKeysFoldingAlike(t *testing.T) {
	if _, err := promptArgs(map[string]string{"table": "public.x", "ſtable": "secret.users"}); err != nil {
		t.Errorf("different keys refused: %v", err)
	}
	if _, err := promptArgs(map[string]string{"sql": "public.x", "ſql": "secret.users"}); err == nil {
		t.Error("sql and ſql accepted")
	}
}
