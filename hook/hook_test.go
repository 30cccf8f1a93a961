package hook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/safeclaw/safeclaw/action"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// fixed is the clock of every test request.
var fixed = time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)

// decision is the decision a fake gate gives, by name.
func decision(name string) action.Decision {
	switch name {
	case "allow":
		return action.Decision{Effect: action.Allow, Rule: &action.RuleRef{Name: "everyday commands", Source: "builtin", Builtin: true}, Part: -1}
	case "deny":
		return action.Decision{Effect: action.Deny, Rule: &action.RuleRef{Name: "Block Python HTTP server", Reason: "Block Python HTTP server", Source: "safeclaw.policy.yaml:3"}, Part: -1}
	case "default":
		return action.Decision{Effect: action.Deny, Part: -1}
	case "ask":
		return action.Decision{Effect: action.Ask, Rule: &action.RuleRef{Name: "dev server", Reason: "Allow starting dev server with human approval", Source: "safeclaw.policy.yaml:9"}, Part: -1}
	}
	panic("unknown verdict " + name)
}

// gate is a fake DecideFunc that records what it was asked.
type gate struct {
	mu   sync.Mutex
	dec  action.Decision
	err  error
	reqs []*action.Request
}

func (g *gate) decide(_ context.Context, req *action.Request) (action.Decision, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.reqs = append(g.reqs, req)
	return g.dec, g.err
}

type result struct {
	code           int
	stdout, stderr string
}

func run(t testing.TB, agent string, input []byte, decide action.DecideFunc, opts Options) result {
	t.Helper()
	var out, errOut bytes.Buffer
	if opts.Now == nil {
		opts.Now = func() time.Time { return fixed }
	}
	if opts.Home == "" {
		opts.Home = "/home/dev"
	}
	code := Run(context.Background(), agent, bytes.NewReader(input), &out, &errOut, decide, opts)
	r := result{code, out.String(), errOut.String()}
	checkAnswer(t, agent, input, r)
	return r
}

// checkAnswer asserts the invariants every answer must hold, whatever the
// input: exit 0 or 2; stdout empty or exactly one JSON object in the agent's
// own vocabulary; exit 2 always with a one-line reason on stderr; never
// Codex's fail-open words.
func checkAnswer(t testing.TB, agent string, input []byte, r result) {
	t.Helper()
	if r.code != 0 && r.code != ExitBlock {
		t.Fatalf("exit %d, want 0 or %d", r.code, ExitBlock)
	}
	if r.code == ExitBlock && (strings.TrimSpace(r.stderr) == "" || strings.Count(r.stderr, "\n") != 1) {
		t.Fatalf("exit 2 without a one-line reason on stderr: %q", r.stderr)
	}
	if r.stdout == "" {
		if agent == "cursor" || agent == "gemini" {
			if r.code == ExitBlock {
				t.Fatalf("%s blocking answer without the deny JSON", agent)
			}
		}
		return
	}
	var obj map[string]any
	d := json.NewDecoder(strings.NewReader(r.stdout))
	if err := d.Decode(&obj); err != nil {
		t.Fatalf("stdout is not a JSON object: %v: %q", err, r.stdout)
	}
	if d.More() {
		t.Fatalf("stdout holds more than one JSON value: %q", r.stdout)
	}
	if len(obj) == 0 {
		// {} is only the answer to a recorded outcome, never to a decision,
		// except Gemini's "no decision" (shadow mode), which the goldens pin.
		if r.code != 0 {
			t.Fatalf("{} with exit %d", r.code)
		}
		var ev struct {
			Event string `json:"hook_event_name"`
		}
		_ = json.Unmarshal(input, &ev)
		if !strings.Contains(ev.Event, "Post") && !strings.HasPrefix(ev.Event, "after") && ev.Event != "AfterTool" && ev.Event != "BeforeTool" {
			t.Fatalf("{} answered a %q event", ev.Event)
		}
		return
	}
	str := func(m map[string]any, k string) string { s, _ := m[k].(string); return s }
	switch agent {
	case "claude", "codex":
		hso, ok := obj["hookSpecificOutput"].(map[string]any)
		if !ok || len(obj) != 1 {
			t.Fatalf("want only hookSpecificOutput: %q", r.stdout)
		}
		switch str(hso, "hookEventName") {
		case "PreToolUse":
			pd, reason := str(hso, "permissionDecision"), str(hso, "permissionDecisionReason")
			allowed := map[string]bool{"allow": true, "deny": true, "ask": true, "defer": true}
			if agent == "codex" {
				allowed = map[string]bool{"deny": true, "allow": true}
			}
			if !allowed[pd] {
				t.Fatalf("%s PreToolUse decision %q is not in its vocabulary", agent, pd)
			}
			if pd != "allow" && reason == "" {
				t.Fatalf("%s without a reason", pd)
			}
			if up, has := hso["updatedInput"]; has {
				// Only an allow rewrites (Options.Fence), and only into an object.
				if _, isObj := up.(map[string]any); pd != "allow" || !isObj {
					t.Fatalf("updatedInput with %s: %q", pd, r.stdout)
				}
			} else if agent == "codex" && pd == "allow" {
				t.Fatal("codex allow without updatedInput (Codex ignores it)")
			}
		case "PreSkillShellCommand":
			// Only deny keeps a skill's command from running; ask, defer
			// and any updatedInput would block it without a word.
			pd := str(hso, "permissionDecision")
			if agent != "claude" || (pd != "allow" && pd != "deny") {
				t.Fatalf("%s PreSkillShellCommand decision %q", agent, pd)
			}
			if pd == "deny" && str(hso, "permissionDecisionReason") == "" {
				t.Fatal("deny without a reason")
			}
			if _, has := hso["updatedInput"]; has {
				t.Fatalf("PreSkillShellCommand answer carries updatedInput: %q", r.stdout)
			}
		case "PostToolUse":
			// Only Claude Code's, only to replace the output (redacted),
			// and always saying why.
			if _, has := hso["updatedToolOutput"]; agent != "claude" || !has || str(hso, "additionalContext") == "" || len(hso) != 3 {
				t.Fatalf("%s PostToolUse answer %q", agent, r.stdout)
			}
		case "PermissionRequest":
			dec, _ := hso["decision"].(map[string]any)
			switch str(dec, "behavior") {
			case "allow":
			case "deny":
				if str(dec, "message") == "" {
					t.Fatal("PermissionRequest deny without a message")
				}
			default:
				t.Fatalf("PermissionRequest behavior %q", str(dec, "behavior"))
			}
			for _, k := range []string{"updatedInput", "updatedPermissions", "interrupt"} {
				if _, has := dec[k]; has {
					t.Fatalf("PermissionRequest answer carries %s", k)
				}
			}
		default:
			t.Fatalf("hookEventName %q", str(hso, "hookEventName"))
		}
	case "gemini":
		switch str(obj, "decision") {
		case "allow":
		case "deny", "ask":
			if str(obj, "reason") == "" {
				t.Fatal("gemini deny/ask without a reason")
			}
		default:
			t.Fatalf("gemini decision %q", str(obj, "decision"))
		}
	case "cursor":
		switch str(obj, "permission") {
		case "allow", "deny", "ask":
		default:
			t.Fatalf("cursor permission %q", str(obj, "permission"))
		}
	}
	if r.code == ExitBlock {
		// A blocking answer's JSON, when there is one, must deny too.
		if strings.Contains(r.stdout, `"allow"`) || strings.Contains(r.stdout, `"ask"`) {
			t.Fatalf("exit 2 with a non-deny JSON: %q", r.stdout)
		}
	}
}

func readPayload(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "payloads", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func agentOf(file string) string { return strings.SplitN(filepath.Base(file), ".", 2)[0] }

// golden compares r with testdata/golden/name.golden (rewritten with -update).
func golden(t *testing.T, name string, r result) {
	t.Helper()
	got := fmt.Sprintf("exit %d\n-- stdout --\n%s-- stderr --\n%s", r.code, r.stdout, r.stderr)
	path := filepath.Join("testdata", "golden", name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./hook -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s: got\n%s\nwant\n%s", path, got, want)
	}
}

// TestGoldenPayloads runs every hand-written payload through every verdict.
func TestGoldenPayloads(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "payloads", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no payloads: %v", err)
	}
	for _, f := range files {
		base := strings.TrimSuffix(filepath.Base(f), ".json")
		for _, v := range []string{"allow", "deny", "default", "ask"} {
			t.Run(base+"/"+v, func(t *testing.T) {
				g := &gate{dec: decision(v)}
				r := run(t, agentOf(f), readPayload(t, filepath.Base(f)), g.decide, Options{})
				golden(t, base+"."+v, r)
				post := strings.Contains(base, ".post") || strings.Contains(base, ".after")
				if post {
					if len(g.reqs) != 0 {
						t.Error("an outcome event reached the decision function")
					}
					return
				}
				if len(g.reqs) != 1 {
					t.Fatalf("decide called %d times", len(g.reqs))
				}
				req := g.reqs[0]
				if req.Surface != "hook" || req.Agent != agentOf(f) || req.Cwd != "/home/dev/app" || !req.Time.Equal(fixed) ||
					req.Session == "" || req.Input == "" || len(req.Parts) == 0 {
					t.Errorf("request %+v", req)
				}
			})
		}
	}
}

// TestAskModes covers every ask mode against every agent.
func TestAskModes(t *testing.T) {
	payloads := []string{
		"claude.pretooluse.bash-background.json",
		"claude.permissionrequest.bash.json",
		"codex.pretooluse.bash.json",
		"codex.permissionrequest.bash.json",
		"gemini.beforetool.shell.json",
		"cursor.beforeshellexecution.json",
		"cursor.beforereadfile.json",
	}
	type mode struct {
		name string
		opts Options
	}
	approve := func(d action.Effect) func(context.Context, *action.Request, action.Decision) (action.Decision, error) {
		return func(context.Context, *action.Request, action.Decision) (action.Decision, error) {
			return action.Decision{Effect: d, Reason: "the approval request expired after 2m0s"}, nil
		}
	}
	pending := func(context.Context, *action.Request, action.Decision) (string, error) { return "01JDX7Q0", nil }
	modes := []mode{
		{"native", Options{Ask: AskNative}},
		{"defer", Options{Ask: AskDefer, Pending: pending}},
		{"wait-approved", Options{Ask: AskWait, Wait: approve(action.Allow)}},
		{"wait-denied", Options{Ask: AskWait, Wait: approve(action.Deny)}},
		{"wait-unavailable", Options{Ask: AskWait}},
		{"deny", Options{Ask: AskDeny, Pending: pending}},
	}
	for _, p := range payloads {
		for _, m := range modes {
			name := strings.TrimSuffix(p, ".json") + ".ask-" + m.name
			t.Run(name, func(t *testing.T) {
				g := &gate{dec: decision("ask")}
				golden(t, name, run(t, agentOf(p), readPayload(t, p), g.decide, m.opts))
			})
		}
	}
}

// TestAskNeverReachesCodexOrHeadlessGemini: the two agents where "ask" fails
// open or hangs never get it unless asked for explicitly.
func TestAskNeverReachesCodexOrHeadlessGemini(t *testing.T) {
	for _, p := range []string{"codex.pretooluse.bash.json", "codex.pretooluse.mcp.json", "gemini.beforetool.shell.json"} {
		for _, m := range []AskMode{AskDefault, AskDefer, AskDeny, AskWait} {
			g := &gate{dec: decision("ask")}
			r := run(t, agentOf(p), readPayload(t, p), g.decide, Options{Ask: m})
			if strings.Contains(r.stdout, `"ask"`) || strings.Contains(r.stdout, `"defer"`) || !strings.Contains(r.stdout, `"deny"`) {
				t.Errorf("%s with ask mode %q: %q", p, m, r.stdout)
			}
		}
	}
	// Codex even with native: its PreToolUse has no ask.
	g := &gate{dec: decision("ask")}
	r := run(t, "codex", readPayload(t, "codex.pretooluse.bash.json"), g.decide, Options{Ask: AskNative})
	if !strings.Contains(r.stdout, `"deny"`) {
		t.Errorf("codex native ask: %q", r.stdout)
	}
}

// TestCodexAllowPrintsNothing: Codex treats "allow" without updatedInput as
// an invalid answer, so allow is silence.
func TestCodexAllowPrintsNothing(t *testing.T) {
	g := &gate{dec: decision("allow")}
	r := run(t, "codex", readPayload(t, "codex.pretooluse.bash.json"), g.decide, Options{})
	if r.code != 0 || r.stdout != "" || r.stderr != "" {
		t.Errorf("codex allow: %+v", r)
	}
}

// TestFailClosed feeds every agent broken input and broken gates: each must
// get its blocking answer (exit 2).
func TestFailClosed(t *testing.T) {
	valid := map[string][]byte{
		"claude": readPayload(t, "claude.pretooluse.bash.json"),
		"codex":  readPayload(t, "codex.pretooluse.bash.json"),
		"gemini": readPayload(t, "gemini.beforetool.shell.json"),
		"cursor": readPayload(t, "cursor.beforeshellexecution.json"),
	}
	inputs := map[string]func(agent string) []byte{
		"empty":        func(string) []byte { return nil },
		"whitespace":   func(string) []byte { return []byte(" \n\t ") },
		"garbled":      func(string) []byte { return []byte("{\"hook_event_name\": PreToolUse") },
		"truncated":    func(a string) []byte { return valid[a][:len(valid[a])/2] },
		"array":        func(a string) []byte { return []byte("[" + string(valid[a]) + "]") },
		"two-objects":  func(a string) []byte { return append(append([]byte{}, valid[a]...), valid[a]...) },
		"trailing":     func(a string) []byte { return append(append([]byte{}, valid[a]...), "garbage"...) },
		"invalid-utf8": func(a string) []byte { return bytes.Replace(valid[a], []byte("/home"), []byte("/h\xffome"), 1) },
		"null":         func(string) []byte { return []byte("null") },
		"no-event":     func(string) []byte { return []byte(`{"tool_name":"Bash","tool_input":{"command":"ls"}}`) },
		"unknown-event": func(string) []byte {
			return []byte(`{"hook_event_name":"SessionStart","tool_name":"Bash","tool_input":{}}`)
		},
		"no-tool-name": func(a string) []byte {
			return []byte(map[string]string{
				"claude": `{"hook_event_name":"PreToolUse","tool_input":{"command":"ls"}}`,
				"codex":  `{"hook_event_name":"PreToolUse","tool_input":{"command":"ls"}}`,
				"gemini": `{"hook_event_name":"BeforeTool","tool_input":{"command":"ls"}}`,
				"cursor": `{"hook_event_name":"beforeShellExecution"}`,
			}[a])
		},
		"tool-input-not-object": func(a string) []byte {
			return []byte(map[string]string{
				"claude": `{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":"rm -rf /"}`,
				"codex":  `{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":42}`,
				"gemini": `{"hook_event_name":"BeforeTool","tool_name":"run_shell_command","tool_input":null}`,
				"cursor": `{"hook_event_name":"beforeShellExecution","command":42}`,
			}[a])
		},
		"tool-name-wrong-type": func(a string) []byte {
			ev := map[string]string{"claude": "PreToolUse", "codex": "PreToolUse", "gemini": "BeforeTool", "cursor": "preToolUse"}[a]
			return []byte(`{"hook_event_name":"` + ev + `","tool_name":["Bash"],"tool_input":{}}`)
		},
		"oversize": func(a string) []byte {
			return bytes.Replace(valid[a], []byte(`"/home/dev/app"`), []byte(`"/home/dev/app`+strings.Repeat("x", MaxInput)+`"`), 1)
		},
	}
	names := make([]string, 0, len(inputs))
	for n := range inputs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, agent := range Agents() {
		for _, n := range names {
			t.Run(agent+"/"+n, func(t *testing.T) {
				g := &gate{dec: decision("allow")}
				r := run(t, agent, inputs[n](agent), g.decide, Options{})
				if r.code != ExitBlock {
					t.Fatalf("exit %d, want %d; stdout %q", r.code, ExitBlock, r.stdout)
				}
				if len(g.reqs) != 0 {
					t.Error("broken input reached the decision function")
				}
				if n == "empty" || n == "truncated" {
					golden(t, agent+".error-"+n, r)
				}
			})
		}
	}
}

func TestFailClosedGates(t *testing.T) {
	hang := func(ctx context.Context, _ *action.Request) (action.Decision, error) {
		select {} // ignores its context on purpose
	}
	gates := map[string]action.DecideFunc{
		"error": func(context.Context, *action.Request) (action.Decision, error) {
			return action.Decision{Effect: action.Allow}, errors.New("policy file /etc/safeclaw/policy.yaml: line 3: unknown key \"alow\"")
		},
		"panic": func(context.Context, *action.Request) (action.Decision, error) { panic("boom") },
		"hang":  hang,
		"nil":   nil,
		"bogus-effect": func(context.Context, *action.Request) (action.Decision, error) {
			return action.Decision{Effect: action.Effect(42)}, nil
		},
	}
	payloads := map[string]string{
		"claude": "claude.pretooluse.bash.json", "codex": "codex.pretooluse.bash.json",
		"gemini": "gemini.beforetool.shell.json", "cursor": "cursor.beforeshellexecution.json",
	}
	for _, agent := range Agents() {
		for name, decide := range gates {
			t.Run(agent+"/"+name, func(t *testing.T) {
				r := run(t, agent, readPayload(t, payloads[agent]), decide, Options{Timeout: 50 * time.Millisecond})
				if name == "bogus-effect" {
					// An effect safeclaw does not know is a deny, not an error.
					if r.code != 0 || strings.Contains(r.stdout, `"allow"`) || !strings.Contains(r.stdout, `"deny"`) {
						t.Fatalf("unknown effect not denied: %+v", r)
					}
					return
				}
				if r.code != ExitBlock {
					t.Fatalf("exit %d, want %d", r.code, ExitBlock)
				}
				if name == "error" {
					golden(t, agent+".error-decide", r)
				}
			})
		}
	}
	// The permission event blocks with its own shape.
	r := run(t, "claude", readPayload(t, "claude.permissionrequest.bash.json"), gates["error"], Options{})
	if r.code != ExitBlock || !strings.Contains(r.stdout, `"PermissionRequest"`) {
		t.Errorf("PermissionRequest block: %+v", r)
	}
}

func TestStdinThatNeverEnds(t *testing.T) {
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	var out, errOut bytes.Buffer
	g := &gate{dec: decision("allow")}
	code := Run(context.Background(), "claude", pr, &out, &errOut, g.decide, Options{Timeout: 50 * time.Millisecond})
	if code != ExitBlock {
		t.Fatalf("exit %d", code)
	}
}

func TestUnknownAgent(t *testing.T) {
	var out, errOut bytes.Buffer
	code := Run(context.Background(), "copilot", strings.NewReader("{}"), &out, &errOut, nil, Options{})
	if code != ExitBlock || out.Len() != 0 || !strings.Contains(errOut.String(), "unknown agent") {
		t.Errorf("exit %d stdout %q stderr %q", code, out.String(), errOut.String())
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestWriteFailureBlocks(t *testing.T) {
	var errOut bytes.Buffer
	g := &gate{dec: decision("allow")}
	code := Run(context.Background(), "claude", bytes.NewReader(readPayload(t, "claude.pretooluse.bash.json")), failWriter{}, &errOut, g.decide, Options{})
	if code != ExitBlock {
		t.Errorf("exit %d", code)
	}
}

func TestRecordOutcome(t *testing.T) {
	var got []Outcome
	rec := func(_ context.Context, o Outcome) error { got = append(got, o); return nil }
	for _, p := range []string{"claude.posttooluse.bash.json", "claude.posttoolusefailure.bash.json", "codex.posttooluse.bash.json",
		"gemini.aftertool.shell.json", "cursor.aftershellexecution.json"} {
		r := run(t, agentOf(p), readPayload(t, p), nil, Options{Record: rec})
		if r.code != 0 {
			t.Errorf("%s: %+v", p, r)
		}
	}
	if len(got) != 5 {
		t.Fatalf("recorded %d outcomes", len(got))
	}
	o := got[0]
	if o.Agent != "claude" || o.Event != "PostToolUse" || o.ToolUseID != "toolu_10" || o.Tool != "Bash" || o.Duration != 12*time.Millisecond ||
		!strings.Contains(string(o.Response), `"stdout"`) || !strings.Contains(string(o.Input), `"ls"`) || !o.Time.Equal(fixed) {
		t.Errorf("outcome %+v", o)
	}
	if got[1].Error != "Exit code 1" || got[1].Event != "PostToolUseFailure" {
		t.Errorf("failure outcome %+v", got[1])
	}
	if got[4].Tool != "afterShellExecution" || string(got[4].Response) != `"a\nb"` {
		t.Errorf("cursor outcome %+v", got[4])
	}

	if got[4].Duration != 15*time.Millisecond {
		t.Errorf("cursor outcome duration %v", got[4].Duration)
	}

	// A failed record is a warning, never a block: the tool already ran.
	fail := func(context.Context, Outcome) error { return errors.New("audit: disk full") }
	for _, p := range []string{"claude.posttooluse.bash.json", "codex.posttooluse.bash.json", "gemini.aftertool.shell.json", "cursor.aftershellexecution.json"} {
		r := run(t, agentOf(p), readPayload(t, p), nil, Options{Record: fail})
		if r.code != 0 || !strings.Contains(r.stderr, "disk full") || strings.Contains(r.stdout, "deny") {
			t.Errorf("%s record failure: %+v", p, r)
		}
	}
}

// TestRequestParts checks what the gate is asked for the documented
// hardening payloads (the classification itself is tested in classify).
func TestRequestParts(t *testing.T) {
	tests := []struct {
		payload string
		kind    action.Kind
		field   func(a action.Action) string
		want    string
	}{
		{"claude.pretooluse.write.json", action.FileWrite, func(a action.Action) string { return a.Path }, "/home/dev/.bashrc"},
		{"claude.pretooluse.grep.json", action.FileRead, func(a action.Action) string { return a.Path }, "/home/dev/.ssh"},
		{"claude.pretooluse.webfetch-metadata.json", action.NetworkConnect, func(a action.Action) string { return a.Host }, "169.254.169.254"},
		{"claude.pretooluse.mcp.json", action.MCPCall, func(a action.Action) string { return a.Server + "/" + a.Tool }, "evil/get"},
		{"claude.pretooluse.task.json", action.AgentSpawn, func(a action.Action) string { return a.Tool }, "Task"},
		{"claude.pretooluse.todowrite.json", action.AgentInternal, func(a action.Action) string { return a.Tool }, "TodoWrite"},
		{"claude.pretooluse.unknown-tool.json", action.ToolKind("SomethingNew"), func(a action.Action) string { return a.Tool }, "SomethingNew"},
		{"claude.pretooluse.bash.json", action.ShellExecute, func(a action.Action) string { return a.Program }, "python"},
		{"codex.pretooluse.apply_patch.json", action.FileWrite, func(a action.Action) string { return a.Path }, "/home/.ssh/authorized_keys"},
		{"codex.pretooluse.apply_patch-string.json", action.FileDelete, func(a action.Action) string { return a.Path }, "/home/dev/app/build.log"},
		{"codex.pretooluse.mcp.json", action.MCPCall, func(a action.Action) string { return a.Server + "/" + a.Tool }, "github/create_issue"},
		{"gemini.beforetool.web_fetch.json", action.NetworkConnect, func(a action.Action) string { return a.Host }, "169.254.169.254"},
		{"gemini.beforetool.mcp.json", action.MCPCall, func(a action.Action) string { return a.Server + "/" + a.Tool }, "db/query"},
		{"gemini.beforetool.mcp-bare-name.json", action.MCPCall, func(a action.Action) string { return a.Server + "/" + a.Tool }, "echodb/read_rows"},
		{"gemini.beforetool.write_file.json", action.FileWrite, func(a action.Action) string { return a.Path }, "/home/dev/app/src/main.go"},
		{"cursor.beforereadfile.json", action.FileRead, func(a action.Action) string { return a.Path }, "/home/dev/app/.env"},
		{"cursor.beforemcpexecution.json", action.MCPCall, func(a action.Action) string { return a.Server + "/" + a.Tool }, "npx -y db-mcp/query"},
		{"cursor.beforeshellexecution.json", action.ShellExecute, func(a action.Action) string { return a.Program }, "ngrok"},
	}
	for _, tt := range tests {
		t.Run(tt.payload, func(t *testing.T) {
			g := &gate{dec: decision("deny")}
			run(t, agentOf(tt.payload), readPayload(t, tt.payload), g.decide, Options{})
			if len(g.reqs) != 1 {
				t.Fatal("no request")
			}
			var seen []string
			for _, a := range g.reqs[0].Actions() {
				if a.Kind == tt.kind {
					seen = append(seen, tt.field(a))
				}
			}
			for _, s := range seen {
				if s == tt.want {
					return
				}
			}
			t.Errorf("%s facets %q, want %q", tt.kind, seen, tt.want)
		})
	}
	// Cursor's string tool_input is decoded as the MCP arguments.
	g := &gate{dec: decision("deny")}
	run(t, "cursor", readPayload(t, "cursor.beforemcpexecution.json"), g.decide, Options{})
	if args, _ := g.reqs[0].Actions()[0].Args.(map[string]any); args["sql"] != "SELECT * FROM users" {
		t.Errorf("cursor MCP args %#v", g.reqs[0].Actions()[0].Args)
	}
	// Cursor's beforeReadFile content is not passed on.
	g = &gate{dec: decision("deny")}
	run(t, "cursor", readPayload(t, "cursor.beforereadfile.json"), g.decide, Options{})
	if b, _ := json.Marshal(g.reqs[0]); bytes.Contains(b, []byte("sk-secret")) {
		t.Error("the read file's content reached the request")
	}
}

func TestDenyMessageNamesRuleAndPart(t *testing.T) {
	req := &action.Request{Input: "cd web && python3 -m http.server 8080", Parts: []action.Part{
		{Text: "cd web", Facets: []action.Action{{Kind: action.ShellExecute}}},
		{Text: "python3 -m http.server 8080", Facets: []action.Action{{Kind: action.ShellExecute}, {Kind: action.NetworkListen, Port: 8080}}},
	}}
	dec := decision("deny")
	dec.Part = 1
	dec.Notes = []string{"project policy not trusted: only its deny and ask rules count"}
	got := denyMessage(req, dec)
	for _, want := range []string{`shell.execute "python3 -m http.server 8080"`, `rule "Block Python HTTP server" (safeclaw.policy.yaml:3)`,
		"project policy not trusted", "ask the user to change the safeclaw policy"} {
		if !strings.Contains(got, want) {
			t.Errorf("message %q lacks %q", got, want)
		}
	}
	if got := denyMessage(req, decision("default")); !strings.Contains(got, "no rule allows it") {
		t.Errorf("default message %q", got)
	}
}

func TestParseAskMode(t *testing.T) {
	for _, s := range []string{"", "native", "defer", "wait", "deny"} {
		if _, err := ParseAskMode(s); err != nil {
			t.Errorf("%q: %v", s, err)
		}
	}
	if _, err := ParseAskMode("allow"); err == nil {
		t.Error("ask mode allow accepted")
	}
}

// TestQuorumAskNeverGoesToTheAgentsPrompt: an ask that needs several people
// or named approvers is not handed to the agent's own prompt (whoever sits
// there answers once), on any event: it is filed with safeclaw and denied
// with how to approve.
func TestQuorumAskNeverGoesToTheAgentsPrompt(t *testing.T) {
	pending := func(context.Context, *action.Request, action.Decision) (string, error) { return "01JDX7Q0", nil }
	for _, p := range []string{"claude.pretooluse.bash-background.json", "claude.permissionrequest.bash.json", "gemini.beforetool.shell.json", "cursor.beforeshellexecution.json"} {
		t.Run(p, func(t *testing.T) {
			d := decision("ask")
			d.Approval = &action.ApprovalNeeds{Quorum: 2, Approvers: []string{"alice", "bob"}}
			g := &gate{dec: d}
			r := run(t, agentOf(p), readPayload(t, p), g.decide, Options{Ask: AskNative, Pending: pending})
			if !strings.Contains(r.stdout, "deny") || strings.Contains(r.stdout, `"ask"`) {
				t.Fatalf("stdout %s: want a deny, never the agent's ask", r.stdout)
			}
			if !strings.Contains(r.stdout, "approvals from 2 different people among alice and bob") || !strings.Contains(r.stdout, "01JDX7Q0") {
				t.Errorf("the denial does not say what approving takes and how: %s", r.stdout)
			}
		})
	}
}
