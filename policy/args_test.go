package policy

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/safeclaw/safeclaw/action"
)

// decodeArgs decodes JSON as the MCP proxy and the classifier do.
func decodeArgs(t testing.TB, s string) any {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("bad test JSON %s: %v", s, err)
	}
	return v
}

func mcpCall(t testing.TB, server, tool, args string) *action.Request {
	a := action.Action{Kind: action.MCPCall, Server: server, Tool: tool}
	if args != "" {
		a.Args = decodeArgs(t, args)
	}
	return request(actionPart(a))
}

const mcpPolicy = `
rules:
  - {name: no drop, action: mcp.call, server: db, tool: query, args: {sql: {regex: "(?i)\\b(drop|truncate|delete)\\b"}}, effect: deny}
  - {name: selects, action: mcp.call, server: db, tool: query, args: {sql: {regex: "(?i)^\\s*select\\b[^;]*$"}}, effect: allow}
  - {name: no force, action: mcp.call, tool: push, args: {options.force: "true"}, effect: deny}
  - {name: safe paths, action: mcp.call, tool: read_files, args: {paths: ["/srv/*", "/tmp/*"]}, effect: allow}
  - {name: mode, action: mcp.call, tool: push, args: {branch: "feature/*", remote: origin}, effect: allow}
  - {name: secrets, action: mcp.read, server: fs, uri: "file:///etc/*", effect: deny}
  - {name: docs, action: mcp.read, uri: "docs://*", effect: allow}
  - {name: prompts, action: mcp.prompt, server: db, tool: summarise, args: {table: "public.*"}, effect: allow}
  - {name: limit, action: "tool.*", args: {limit: ["1*", "2*"]}, effect: ask}
default: deny
`

func TestArgMatchers(t *testing.T) {
	p := mustCompile(t, Options{}, mcpPolicy)
	read := func(server, uri string) *action.Request {
		return request(actionPart(action.Action{Kind: action.MCPRead, Server: server, URL: uri}))
	}
	prompt := func(name, args string) *action.Request {
		return request(actionPart(action.Action{Kind: action.MCPPrompt, Server: "db", Tool: name, Args: decodeArgs(t, args)}))
	}
	tool := func(args string) *action.Request {
		return request(actionPart(action.Action{Kind: action.ToolKind("Frob"), Args: decodeArgs(t, args)}))
	}
	runDecideCases(t, p, []decideCase{
		{"select allowed", mcpCall(t, "db", "query", `{"sql":"SELECT * FROM users"}`), action.Allow, "selects", 0},
		{"regex is case-insensitive", mcpCall(t, "db", "query", `{"sql":"  select 1"}`), action.Allow, "selects", 0},
		{"drop denied", mcpCall(t, "db", "query", `{"sql":"DROP TABLE users"}`), action.Deny, "no drop", 0},
		{"stacked query is not a select", mcpCall(t, "db", "query", `{"sql":"SELECT 1; UPDATE t SET x=1"}`), action.Deny, "default", 0},
		{"missing argument", mcpCall(t, "db", "query", `{"query":"SELECT 1"}`), action.Deny, "default", 0},
		{"no arguments", mcpCall(t, "db", "query", ""), action.Deny, "default", 0},
		{"other server", mcpCall(t, "other", "query", `{"sql":"SELECT 1"}`), action.Deny, "default", 0},
		{"deny sees a nested drop", mcpCall(t, "db", "query", `{"sql":{"text":"drop table x"}}`), action.Deny, "no drop", 0},
		{"allow needs every nested value", mcpCall(t, "db", "query", `{"sql":["select 1","update x"]}`), action.Deny, "default", 0},
		{"dotted path", mcpCall(t, "gh", "push", `{"options":{"force":true},"branch":"feature/x","remote":"origin"}`), action.Deny, "no force", 0},
		{"dotted path through an array", mcpCall(t, "gh", "push", `{"options":[{"force":false},{"force":true}],"branch":"feature/x","remote":"origin"}`), action.Deny, "no force", 0},
		{"literal dotted key", mcpCall(t, "gh", "push", `{"options.force":"true","branch":"feature/x","remote":"origin"}`), action.Deny, "no force", 0},
		{"a literal key cannot hide the nested value", mcpCall(t, "gh", "push", `{"options.force":"false","options":{"force":true},"branch":"feature/x","remote":"origin"}`), action.Deny, "no force", 0},
		{"all keys must hold", mcpCall(t, "gh", "push", `{"branch":"feature/x","remote":"upstream"}`), action.Deny, "default", 0},
		{"all keys hold", mcpCall(t, "gh", "push", `{"options":{"force":false},"branch":"feature/x","remote":"origin"}`), action.Allow, "mode", 0},
		{"allow array: every element", mcpCall(t, "fs", "read_files", `{"paths":["/srv/a","/tmp/b"]}`), action.Allow, "safe paths", 0},
		{"allow array: one outside", mcpCall(t, "fs", "read_files", `{"paths":["/srv/a","/etc/shadow"]}`), action.Deny, "default", 0},
		{"allow array: empty", mcpCall(t, "fs", "read_files", `{"paths":[]}`), action.Deny, "default", 0},
		{"uri", read("fs", "file:///etc/shadow"), action.Deny, "secrets", 0},
		{"uri glob crosses slashes", read("web", "docs://a/b/c"), action.Allow, "docs", 0},
		{"uri other", read("fs", "file:///home/u/x"), action.Deny, "default", 0},
		{"prompt name is tool", prompt("summarise", `{"table":"public.users"}`), action.Allow, "prompts", 0},
		{"prompt args", prompt("summarise", `{"table":"secret.keys"}`), action.Deny, "default", 0},
		{"numbers as written", tool(`{"limit": 15}`), action.Ask, "limit", 0},
		{"numbers as written 2", tool(`{"limit": 30}`), action.Deny, "default", 0},
		{"float args from plain decoding", request(actionPart(action.Action{Kind: action.ToolKind("Frob"), Args: map[string]any{"limit": 2.5}})), action.Ask, "limit", 0},
		// A tool that decodes its arguments ignoring case (encoding/json)
		// reads SQL as sql: deny and ask rules see keys in any case, allow
		// rules only as they name them.
		{"deny sees a key in another case", mcpCall(t, "db", "query", `{"SQL":"DROP TABLE users"}`), action.Deny, "no drop", 0},
		{"deny sees a key with a long s", mcpCall(t, "db", "query", `{"ſql":"drop table users"}`), action.Deny, "no drop", 0},
		{"deny sees a path in another case", mcpCall(t, "gh", "push", `{"Options":{"FORCE":true},"branch":"feature/x","remote":"origin"}`), action.Deny, "no force", 0},
		{"deny sees the other spelling beside the exact key", mcpCall(t, "db", "query", `{"sql":"select 1","Sql":"drop table x"}`), action.Deny, "no drop", 0},
		{"allow does not take another case", mcpCall(t, "db", "query", `{"SQL":"select 1"}`), action.Deny, "default", 0},
		{"ask sees a key in another case", tool(`{"LIMIT": 15}`), action.Ask, "limit", 0},
	})
}

// AnyArgs answers "could this tool ever be allowed": argument matchers of
// allow and ask rules match, those of deny rules do not.
func TestAnyArgs(t *testing.T) {
	p := mustCompile(t, Options{}, strings.Replace(mcpPolicy, "default: deny", "  - {name: never, action: mcp.call, tool: rm, effect: deny}\ndefault: deny", 1))
	probe := func(server, tool string) action.Effect {
		return p.Decide(request(actionPart(action.Action{Kind: action.MCPCall, Server: server, Tool: tool, Args: action.AnyArgs{}}))).Effect
	}
	for _, c := range []struct {
		server, tool string
		want         action.Effect
	}{
		{"db", "query", action.Allow}, // some SELECT is allowed
		{"gh", "push", action.Allow},
		{"db", "rm", action.Deny},   // no rule allows it
		{"db", "nope", action.Deny}, // default deny
	} {
		if got := probe(c.server, c.tool); got != c.want {
			t.Errorf("probe %s/%s = %s, want %s", c.server, c.tool, got, c.want)
		}
	}
	// A deny with argument matchers does not deny every call.
	q := mustCompile(t, Options{}, "rules:\n  - {action: mcp.call, args: {sql: \"*drop*\"}, effect: deny}\ndefault: allow\n")
	if d := q.Decide(request(actionPart(action.Action{Kind: action.MCPCall, Tool: "x", Args: action.AnyArgs{}}))); d.Effect != action.Allow {
		t.Errorf("AnyArgs vs arg deny: %s", d.Effect)
	}
	ex := q.Explain(request(actionPart(action.Action{Kind: action.MCPCall, Tool: "x", Args: action.AnyArgs{}})))
	if !strings.Contains(ex.String(), "any arguments") {
		t.Errorf("explain:\n%s", ex)
	}
}

func TestArgMatcherLoad(t *testing.T) {
	bad := []struct{ src, want string }{
		{"rules:\n  - {action: mcp.call, args: {}, effect: deny}\n", "args is an empty mapping"},
		{"rules:\n  - {action: mcp.call, args: {a..b: x}, effect: deny}\n", "empty path segment"},
		{"rules:\n  - {action: mcp.call, args: {a: {regexp: x}}, effect: deny}\n", `unknown key "regexp"`},
		{"rules:\n  - {action: mcp.call, args: {a: {regex: \"(\"}}, effect: deny}\n", "bad regex for argument"},
		{"rules:\n  - {action: mcp.call, args: {a: 3}, effect: deny}\n", "must be a string"},
		{"rules:\n  - {action: shell.execute, args: {a: x}, effect: deny}\n", "args never matches action shell.execute"},
		{"rules:\n  - {args: {a: x}, effect: deny}\n", "rule has no action"},
		{"rules:\n  - {action: mcp.call, uri: \"x://*\", effect: deny}\n", "uri never matches action mcp.call"},
		{"rules:\n  - {action: mcp.call, args: x, effect: deny}\n", "args must be a list or a mapping"},
	}
	for _, b := range bad {
		_, err := Parse("p.yaml", []byte(b.src))
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%q: error %v, want %q", b.src, err, b.want)
		}
	}
	// The list form is unchanged, and both forms hash differently from each other.
	for _, src := range []string{
		"rules:\n  - {program: git, args: [push], effect: deny}\n",
		"rules:\n  - {action: \"mcp.*\", server: fs, effect: deny}\n",
		"rules:\n  - {action: [mcp.call, mcp.prompt], args: {a: x}, effect: deny}\n",
	} {
		mustCompile(t, Options{}, src)
	}
	a := mustCompile(t, Options{}, "rules:\n  - {action: mcp.call, args: {a: x, b: y}, effect: deny}\n")
	b := mustCompile(t, Options{}, "rules:\n  - {action: mcp.call, args: {b: y, a: x}, effect: deny}\n")
	c := mustCompile(t, Options{}, "rules:\n  - {action: mcp.call, args: {b: y, a: z}, effect: deny}\n")
	if a.Hash() != b.Hash() || a.Hash() == c.Hash() {
		t.Errorf("hashes: key order must not matter, values must: %s %s %s", a.Hash(), b.Hash(), c.Hash())
	}
}

func TestArgMatcherLint(t *testing.T) {
	p := mustCompile(t, Options{}, `
rules:
  - {name: a, action: mcp.call, args: {sql: "*drop*"}, effect: deny}
  - {name: b, action: mcp.call, args: {sql: "*drop*", db: main}, effect: deny}
  - {name: c, action: mcp.call, args: {sql: "select*"}, effect: allow}
  - {name: d, action: mcp.call, args: {sql: "*"}, effect: allow}
  - {name: e, action: mcp.call, args: {sql: "x"}, effect: deny}
  - {name: f, action: mcp.read, uri: "file://*", effect: deny}
  - {name: g, action: mcp.read, uri: "file:///etc/passwd", effect: deny}
`)
	var got []string
	for _, f := range Lint(p) {
		got = append(got, f.Rule+": "+f.Message)
	}
	want := []string{`b: unreachable: earlier rule "a"`, `g: unreachable: earlier rule "f"`}
	if len(got) != len(want) {
		t.Fatalf("lint: %q", got)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("finding %d: %q, want %q", i, got[i], want[i])
		}
	}
}

func TestArgCases(t *testing.T) {
	p := mustCompile(t, Options{}, mcpPolicy+`
tests:
  - {action: mcp.call, server: db, tool: query, args: {sql: "select 1"}, expect: allow, rule: selects}
  - {action: mcp.call, server: db, tool: query, args: {sql: "drop table x"}, expect: deny}
  - {action: mcp.read, server: fs, uri: "file:///etc/passwd", expect: deny, rule: secrets}
  - {action: tool.Frob, args: {limit: 12}, expect: ask}
`)
	tests := p.Tests()
	if len(tests) != 4 {
		t.Fatalf("%d tests", len(tests))
	}
	for _, tc := range tests {
		d := p.Decide(&action.Request{Time: testTime, Parts: []action.Part{{Facets: []action.Action{*tc.Action}}}})
		if d.Effect != tc.Expect || (tc.Rule != "" && ruleName(d) != tc.Rule) {
			t.Errorf("%s: %s by %s", tc.Source, d.Effect, ruleName(d))
		}
	}
	if _, err := ParseCases("c.yaml", []byte("tests:\n  - {command: ls, args: {a: b}, expect: allow}\n")); err == nil {
		t.Error("args with a command accepted")
	}
}

// Matching string arguments does not allocate.
func TestArgMatchDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under -race")
	}
	p := mustCompile(t, Options{}, mcpPolicy)
	for _, req := range []*action.Request{
		mcpCall(t, "db", "query", `{"sql":"SELECT * FROM users"}`),
		mcpCall(t, "gh", "push", `{"options":[{"force":false}],"branch":"feature/x","remote":"origin"}`),
		mcpCall(t, "fs", "read_files", `{"paths":["/srv/a","/tmp/b"]}`),
	} {
		if n := testing.AllocsPerRun(50, func() { _ = p.Decide(req) }); n != 0 {
			t.Errorf("Decide(%v) allocates %.0f times", req.Parts[0].Facets[0].Args, n)
		}
	}
}

func BenchmarkDecideMCPArgs(b *testing.B) {
	p := mustCompile(b, Options{}, mcpPolicy)
	reqs := []*action.Request{
		mcpCall(b, "db", "query", `{"sql":"SELECT * FROM users WHERE id = 42"}`),
		mcpCall(b, "db", "query", `{"sql":"DROP TABLE users"}`),
		mcpCall(b, "gh", "push", `{"options":{"force":false},"branch":"feature/x","remote":"origin"}`),
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = p.Decide(reqs[i%len(reqs)])
	}
}

// For any arguments: Decide and Explain agree, and when the AnyArgs probe
// denies a tool, every call of it is denied (what tools/list filtering
// relies on).
//
//	go test ./policy -run=- -fuzz=FuzzArgs -fuzztime=20s
func FuzzArgs(f *testing.F) {
	for _, s := range []string{`{"sql":"select 1"}`, `{"sql":"DROP x"}`, `{"options":{"force":true},"branch":"feature/a","remote":"origin"}`,
		`{"paths":["/srv/a",["/tmp/b"]]}`, `{"limit":15}`, `{"a.b":1,"a":{"b":[2]}}`, `[]`, `"x"`} {
		f.Add("query", s)
		f.Add("push", s)
	}
	p := mustCompile(f, Options{}, mcpPolicy)
	f.Fuzz(func(t *testing.T, tool, raw string) {
		d := json.NewDecoder(strings.NewReader(raw))
		d.UseNumber()
		var args any
		if d.Decode(&args) != nil {
			return
		}
		for _, server := range []string{"db", "gh", "fs"} {
			for _, kind := range []action.Kind{action.MCPCall, action.MCPPrompt, action.ToolKind("Frob")} {
				real := request(actionPart(action.Action{Kind: kind, Server: server, Tool: tool, Args: args}))
				got := p.Decide(real)
				if ex := p.Explain(real); ex.Decision != got.Effect.String() {
					t.Fatalf("explain %s, decide %s", ex.Decision, got.Effect)
				}
				probe := p.Decide(request(actionPart(action.Action{Kind: kind, Server: server, Tool: tool, Args: action.AnyArgs{}})))
				if probe.Effect == action.Deny && got.Effect != action.Deny {
					t.Fatalf("%s %s/%s %s: probe denies, call %s by %s", kind, server, tool, raw, got.Effect, ruleName(got))
				}
			}
		}
	})
}
