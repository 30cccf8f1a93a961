package policy

import (
	"strings"
	"testing"
	"time"

	"github.com/safeclaw/safeclaw/action"
)

// Adversarial loading and matching cases: YAML that could mean something
// other than it reads, keys in the wrong place, matchers that match
// everything or nothing by accident, and error paths that must fail closed.

// loadErr parses src and returns the error text ("" when it loads).
func loadErr(name, src string) string {
	if _, err := Parse(name, []byte(src)); err != nil {
		return err.Error()
	}
	return ""
}

func TestYAMLMeansWhatItReads(t *testing.T) {
	const listen = "rules:\n  - action: network.listen\n"
	refused := []struct{ name, src, want string }{
		// Anchors, aliases, merge keys, tags and documents.
		{"alias rule", "rules:\n  - &r {action: network.listen, effect: deny}\n  - *r\n", "p.yaml:2:5: YAML anchors (&r) are not allowed"},
		{"merge into rule", "rules:\n  - <<: {effect: allow}\n    action: network.listen\n", "p.yaml:2:5: YAML merge keys (<<) are not allowed"},
		{"str tag", listen + "    effect: !!str deny\n", "p.yaml:3:13: explicit YAML tags (!!str) are not allowed"},
		{"custom tag", listen + "    effect: !allow deny\n", "p.yaml:3:13: explicit YAML tags (!allow) are not allowed"},
		{"tag on key", listen + "    !!str effect: deny\n", "explicit YAML tags (!!str) are not allowed"},
		{"second document", listen + "    effect: deny\n---\ndefault: allow\n", "p.yaml:4:1: multiple YAML documents in one file"},
		{"empty first document", "---\n---\n" + listen + "    effect: deny\n", "multiple YAML documents in one file"},
		{"duplicate effect", listen + "    effect: deny\n    effect: allow\n", `p.yaml:4:5: duplicate key "effect" (first defined at line 3)`},
		{"duplicate top key", "default: deny\ndefault: allow\n", `p.yaml:2:1: duplicate key "default"`},
		// Numbers must be plain decimal: the YAML library would read these
		// as other numbers than they look like.
		{"hex port", listen + "    port: 0x1F\n    effect: deny\n", `p.yaml:3:11: bad port "0x1F"`},
		{"signed port", listen + "    port: +80\n    effect: deny\n", `p.yaml:3:11: bad port "+80"`},
		{"underscore port", listen + "    port: 8_080\n    effect: deny\n", `p.yaml:3:11: bad port "8_080"`},
		{"float port", listen + "    port: 1e3\n    effect: deny\n", `p.yaml:3:11: port must be a number, a range or "*", not a number`},
		{"hex version", "version: 0x1\ndefault: deny\n", `p.yaml:1:10: version: "0x1" is not a plain decimal integer`},
		{"octal-looking version", "version: 01\ndefault: deny\n", `p.yaml:1:10: version: "01" is not a plain decimal integer`},
		{"octal test port", "default: deny\ntests:\n  - {action: network.listen, port: 017, expect: deny}\n", `p.yaml:3:36: port: "017" is not a plain decimal integer`},
		// YAML 1.1 booleans are strings in YAML 1.2, and none is a value here.
		{"yes approval", "rules:\n  - action: network.listen\n    effect: allow\n    conditions: [{human_approval: yes}]\n", `bad human_approval "yes"`},
		{"on approval", "rules:\n  - action: network.listen\n    effect: allow\n    conditions: [{human_approval: on}]\n", `bad human_approval "on"`},
		{"false approval", "rules:\n  - action: network.listen\n    effect: allow\n    conditions: [{human_approval: false}]\n", `bad human_approval "false"`},
		{"no effect", listen + "    effect: no\n", `p.yaml:3:13: unknown effect "no"`},
		{"yes default", "default: yes\n", `p.yaml:1:10: unknown default "yes"`},
		{"bool effect", listen + "    effect: true\n", `effect must be a string, not a boolean`},
		// Nulls and empty collections never mean "anything".
		{"null effect", listen + "    effect: ~\n", "p.yaml:3:13: effect must be a string, not an empty value"},
		{"null action", "rules:\n  - action: null\n    effect: deny\n", "action must be a string, not an empty value"},
		{"empty action list", "rules:\n  - action: []\n    effect: deny\n", "action is an empty list"},
		{"empty pattern list", "rules:\n  - command_pattern: []\n    effect: deny\n", "command_pattern is an empty list"},
		{"empty port list", listen + "    port: []\n    effect: deny\n", "port is an empty list"},
		{"empty conditions map", listen + "    effect: allow\n    conditions: {}\n", "p.yaml:4:17: conditions is an empty mapping"},
		{"empty conditions list", listen + "    effect: allow\n    conditions: []\n", "conditions is an empty list"},
		{"empty condition", listen + "    effect: allow\n    conditions: [{}]\n", "empty condition"},
		{"empty schedule", listen + "    effect: allow\n    conditions: {schedule: {}}\n", "schedule has neither days nor hours"},
		{"empty rules", "rules: []\n", "empty policy"},
		{"null rules", "rules:\n", "rules must be a list, not an empty value"},
		// Keys that differ only in case, spaces or look-alike letters.
		{"capital key", listen + "    Effect: deny\n", `p.yaml:3:5: unknown key "Effect" in rule (did you mean "effect"?)`},
		{"trailing space key", listen + "    \"effect \": deny\n", `p.yaml:3:5: unknown key "effect " in rule (did you mean "effect"?)`},
		{"cyrillic key", listen + "    \u0435ffect: deny\n", "unknown key \"\u0435ffect\" in rule (did you mean \"effect\"?)"},
		{"cyrillic action", "rules:\n  - action: n\u0435twork.listen\n    effect: deny\n", "unknown action \"n\u0435twork.listen\" (did you mean \"network.listen\"?)"},
		{"space in action", "rules:\n  - action: \"network.listen \"\n    effect: deny\n", `unknown action "network.listen "`},
		// I1-I3: there are no condition operators, so a misspelled one, an
		// empty all: and an all: with any: are unknown keys, never match-all.
		{"I1 operator typo", listen + "    effect: allow\n    conditions: {human_aproval: required}\n", `unknown key "human_aproval" in conditions (did you mean "human_approval"?)`},
		{"I2 empty all", listen + "    effect: allow\n    conditions: {all: []}\n", `p.yaml:4:18: unknown key "all" in conditions`},
		{"I3 all and any", listen + "    effect: allow\n    conditions: {any: [], all: []}\n", `p.yaml:4:18: unknown key "any" in conditions`},
		{"args operator typo", "rules:\n  - {action: mcp.call, args: {sql: {regx: x}}, effect: deny}\n", `unknown key "regx" in args value (did you mean "regex"?)`},
		// Time values.
		{"expires without zone", listen + "    effect: deny\n    conditions: {expires: 2030-01-01T10:00:00}\n", `bad expires "2030-01-01T10:00:00"`},
		{"expires with space", listen + "    effect: deny\n    conditions: {expires: 2030-01-01 10:00:00}\n", `bad expires "2030-01-01 10:00:00"`},
		{"expires epoch", listen + "    effect: deny\n    conditions: {expires: 1900000000}\n", "expires must be a date or time, not an integer"},
		{"expires bad month", listen + "    effect: deny\n    conditions: {expires: 2030-13-01}\n", `bad expires "2030-13-01"`},
		{"invalid zone", listen + "    effect: deny\n    conditions: {schedule: {hours: \"09:00-17:00\", timezone: Mars/Olympus}}\n", `unknown timezone "Mars/Olympus"`},
		{"zone with space", listen + "    effect: deny\n    conditions: {schedule: {hours: \"09:00-17:00\", timezone: \"Europe/Berlin \"}}\n", `unknown timezone "Europe/Berlin "`},
		{"zone local", listen + "    effect: deny\n    conditions: {schedule: {hours: \"09:00-17:00\", timezone: Local}}\n", "timezone Local is not allowed"},
		{"hours as list", listen + "    effect: deny\n    conditions: {schedule: {hours: [9, 17]}}\n", "hours must be a string, not a list"},
		{"single-digit hour", listen + "    effect: deny\n    conditions: {schedule: {hours: \"9:00-17:00\"}}\n", `bad time of day "9:00"`},
		{"capital day", listen + "    effect: deny\n    conditions: {schedule: {days: [Mon]}}\n", `unknown day "Mon" (did you mean "mon"?)`},
		// ${workspace} only as the leading directory.
		{"workspace glued", "rules:\n  - {action: file.write, path: \"${workspace}-old/**\", effect: deny}\n", `p.yaml:2:32: ${workspace} glued to other text in path glob "${workspace}-old/**"`},
		{"workspace inside", "rules:\n  - {action: file.write, path: \"/backup/${workspace}/**\", effect: deny}\n", `${workspace} not at the start of path glob`},
		{"workspace twice", "rules:\n  - {action: file.write, path: \"${workspace}/${workspace}\", effect: deny}\n", `${workspace} not at the start of path glob`},
		{"home user", "rules:\n  - {action: file.write, path: \"~root/.ssh\", effect: deny}\n", "unsupported ~user"},
		{"trailing slash", "rules:\n  - {action: file.write, path: \"/etc/\", effect: deny}\n", "ends with '/'"},
		{"env variable", "rules:\n  - {action: file.write, path: \"$HOME/.ssh/**\", effect: deny}\n", "unknown variable"},
	}
	for _, c := range refused {
		got := loadErr("p.yaml", c.src)
		if got == "" || !strings.Contains(got, c.want) {
			t.Errorf("%s: got %q, want an error containing %q", c.name, got, c.want)
		}
	}

	// Forms that read alike must load alike: the hash is the canonical form.
	same := [][]string{
		{
			"rules:\n  - action: network.listen\n    port: [80, \"8000-8999\"]\n    effect: deny\n",
			"rules: [{action: network.listen, port: [80, 8000-8999], effect: deny}]\n",
			"\ufeffrules:\r\n  - action: network.listen\r\n    port:\r\n      - 80\r\n      - \"8000 - 8999\"\r\n    effect: deny\r\n",
			"%YAML 1.1\n---\nrules:\n- action: \"network.listen\"\n  port: ['80', '8000-8999']\n  effect: 'deny'\n...\n",
			`{"rules": [{"action": "network.listen", "port": [80, "8000-8999"], "effect": "deny"}]}`,
		},
		// 017 is port 17 as written (YAML 1.1 would read octal 15).
		{
			"rules: [{action: network.listen, port: 017, effect: deny}]\n",
			"rules: [{action: network.listen, port: 17, effect: deny}]\n",
		},
	}
	for _, group := range same {
		var want string
		for i, src := range group {
			f, err := Parse("p.yaml", []byte(src))
			if err != nil {
				t.Errorf("%q: %v", src, err)
				continue
			}
			p, err := Compile([]*File{f}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				want = p.Hash()
			} else if p.Hash() != want {
				t.Errorf("%q reads like %q but loads differently:\n%s", src, group[0], p.Canonical())
			}
		}
	}
}

func TestParseLimitsFailClosed(t *testing.T) {
	deep := "rules:\n  - action: network.listen\n    effect: deny\n    description: " + strings.Repeat("[", 70) + strings.Repeat("]", 70) + "\n"
	if got := loadErr("p.yaml", deep); !strings.Contains(got, "nested too deeply") {
		t.Errorf("deep nesting: %q", got)
	}
	huge := "default: deny\ndescription: \"" + strings.Repeat("x", 4<<20) + "\"\n"
	if got := loadErr("p.yaml", huge); !strings.Contains(got, "larger than") {
		t.Errorf("huge file: %q", got)
	}
	for _, src := range []string{"default: deny\n\x00", "default: deny\n\xff\n"} {
		if got := loadErr("p.yaml", src); got == "" {
			t.Errorf("%q loads", src)
		}
	}
}

// Keys written in the wrong place fail with their position and a hint that
// says where they belong.
func TestMisplacedKeys(t *testing.T) {
	const head = "rules:\n  - action: network.listen\n    effect: allow\n"
	for _, c := range []struct{ src, want string }{
		{head + "    expires: 2030-01-01\n", `p.yaml:4:5: unknown key "expires" in rule (did you mean conditions: {expires: ...}? conditions go under the rule's conditions: key)`},
		{head + "    expires_at: 2030-01-01\n", `p.yaml:4:5: unknown key "expires_at" in rule (did you mean conditions: {expires: ...}?)`},
		{head + "    human_approval: required\n", `p.yaml:4:5: unknown key "human_approval" in rule (did you mean conditions: {human_approval: ...}?`},
		{head + "    schedule: {hours: \"09:00-17:00\"}\n", `p.yaml:4:5: unknown key "schedule" in rule (did you mean conditions: {schedule: ...}?`},
		{head + "    hours: \"09:00-17:00\"\n", `p.yaml:4:5: unknown key "hours" in rule (did you mean conditions: {schedule: {hours: ...}}?)`},
		{head + "    priority: 10\n", `p.yaml:4:5: unknown key "priority" in rule (there are no priorities: rules are tried in file order`},
		{head + "    rate_limit: 10\n", `p.yaml:4:5: unknown key "rate_limit" in rule (rate limits and budgets are not supported`},
		{head + "    default: deny\n", `p.yaml:4:5: unknown key "default" in rule (default is a top-level key, for the whole policy)`},
		{head + "    conditions: {hours: \"09:00-17:00\"}\n", `p.yaml:4:18: unknown key "hours" in conditions (did you mean schedule: {hours: ...}?`},
		{head + "    conditions: [{expires_at: 2030-01-01}]\n", `p.yaml:4:19: unknown key "expires_at" in condition (did you mean "expires"?)`},
		{head + "    conditions: {effect: deny}\n", `p.yaml:4:18: unknown key "effect" in conditions ("effect" is a rule key, not a condition: move it out of conditions:)`},
		{head + "    conditions: {schedule: {tz: UTC, hours: \"09:00-17:00\"}}\n", `unknown key "tz" in schedule (did you mean timezone?)`},
		{head + "    conditions: {schedule: {expires: 2030-01-01}}\n", `unknown key "expires" in schedule (expires is a condition of its own`},
		{"action: network.listen\neffect: deny\n", `p.yaml:1:1: unknown key "action" in the policy ("action" is a rule key: indent it under a '- ' item of rules:)`},
		// A close spelling still gets "did you mean" first.
		{head + "    conditons: {human_approval: required}\n", `unknown key "conditons" in rule (did you mean "conditions"?)`},
		{head + "    comand_pattern: x\n    expires: 2030-01-01\n", `p.yaml:4:5: unknown key "comand_pattern" in rule (did you mean "command_pattern"?)`},
	} {
		if got := loadErr("p.yaml", c.src); !strings.HasPrefix(got, c.want) && !strings.Contains(got, c.want) {
			t.Errorf("%q:\n got %s\nwant %s", c.src, got, c.want)
		}
	}
}

// The brief's snippets as its web page prints them, without indentation,
// must not load as something else: the first rule key at column 1 is an
// error that says to indent it.
func TestBriefPastedFlat(t *testing.T) {
	src := "rules:\n# Block common server commands\n- action: shell.execute\ncommand_pattern: \"python -m http.server\"\neffect: deny\nreason: \"Block Python HTTP server\"\n"
	want := `p.yaml:4:1: unknown key "command_pattern" in the policy ("command_pattern" is a rule key: indent it under a '- ' item of rules:)`
	if got := loadErr("p.yaml", src); got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
}

// I7 and the cost bounds: RE2 has no catastrophic backtracking, and an
// expression (and a file's expressions together) cannot grow without bound.
func TestRegexBounds(t *testing.T) {
	p := mustCompile(t, Options{}, `
rules:
  - {name: redos, command_regex: "^(a+)+$", effect: deny}
  - {name: redos2, command_regex: "(a|a)*$", effect: deny}
  - {name: redos3, command_regex: "(\\w+\\s?)+$", effect: deny}
  - {name: sql, action: mcp.call, args: {sql: {regex: "^(a+)+$"}}, effect: deny}
default: allow
`)
	evil := strings.Repeat("a", 28) + "!"
	d := p.Decide(request(shellPart("echo " + evil)))
	if d.Effect != action.Deny || ruleName(d) != "redos2" {
		t.Errorf("ReDoS input: %s by %s", d.Effect, ruleName(d))
	}
	d = p.Decide(request(actionPart(action.Action{Kind: action.MCPCall, Args: map[string]any{"sql": evil}})))
	if d.Effect != action.Allow {
		t.Errorf("ReDoS argument: %s by %s", d.Effect, ruleName(d))
	}

	rule := func(re string) string { return "rules:\n  - command_regex: \"" + re + "\"\n    effect: deny\n" }
	for _, c := range []struct{ name, src, want string }{
		{"long", rule(strings.Repeat("a", maxRegexLen+1)), "p.yaml:2:20: bad command_regex: regular expression is 4097 bytes long"},
		{"complex", rule(`(?:[\\p{L}\\p{N}]{1000}){3}`), "bad command_regex: error parsing regexp: invalid repeat count"},
		{"complex concatenation", rule(`[\\p{L}]{1000}[\\p{L}]{1000}[\\p{L}]{1000}`), "bad command_regex: regular expression is too complex"},
		{"backreference", rule(`(a)\\1`), "invalid escape sequence"},
		{"lookahead", rule(`(?=a)`), "invalid or unsupported Perl syntax"},
		{"args regex", "rules:\n  - {action: mcp.call, args: {q: {regex: \"[\\\\p{L}]{1000}[\\\\p{L}]{1000}[\\\\p{L}]{1000}\"}}, effect: deny}\n", "bad regex for argument \"q\": regular expression is too complex"},
	} {
		if got := loadErr("p.yaml", c.src); !strings.Contains(got, c.want) {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
	var b strings.Builder
	b.WriteString("rules:\n")
	for i := 0; i < 200; i++ {
		b.WriteString("  - command_regex: \"[\\\\p{L}]{900}x" + itoa(i) + "\"\n    effect: deny\n")
	}
	if got := loadErr("p.yaml", b.String()); !strings.Contains(got, "the regular expressions of this file are too complex together") {
		t.Errorf("file budget: %q", got)
	}
}

// An allow rule's absolute glob must not match a relative path whose
// directory is unknown (a request without cwd); deny rules still test it.
func TestRelativePathWithoutCwd(t *testing.T) {
	p := mustCompile(t, Options{Workspace: "/w", Home: "/home/me"}, `
rules:
  - {name: no etc, action: file.write, path: "/etc/**", effect: deny}
  - {name: tmp, action: file.write, path: "/tmp/**", effect: allow}
  - {name: docs, action: file.write, path: "*.md", effect: allow}
  - {name: workspace, action: file.write, path: "${workspace}/**", effect: allow}
`)
	write := func(path, cwd string) *action.Request {
		r := request(actionPart(action.Action{Kind: action.FileWrite, Path: path}))
		r.Cwd = cwd
		return r
	}
	for _, c := range []struct {
		path, cwd string
		effect    action.Effect
		rule      string
	}{
		{"tmp/x", "", action.Deny, "default"},
		{"w/x", "", action.Deny, "default"},
		{"../../tmp/x", "", action.Deny, "default"},
		{"tmp/x", "/", action.Allow, "tmp"},
		{"/tmp/x", "", action.Allow, "tmp"},
		{"etc/passwd", "", action.Deny, "no etc"},
		{"notes/a.md", "", action.Allow, "docs"},
	} {
		d := p.Decide(write(c.path, c.cwd))
		if d.Effect != c.effect || ruleName(d) != c.rule {
			t.Errorf("write %q (cwd %q): %s by %s, want %s by %s", c.path, c.cwd, d.Effect, ruleName(d), c.effect, c.rule)
		}
	}
}

// An untrusted project layer only makes decisions stricter: its deny and
// ask count over allows, but its ask never replaces the user's default deny.
func TestUntrustedProjectOnlyTightens(t *testing.T) {
	user := mustCompile(t, Options{}, `
rules:
  - {name: allow git, command_pattern: git, effect: allow}
  - {name: ask curl, command_pattern: curl, effect: ask}
default: deny
`)
	userAllow := mustCompile(t, Options{}, "default: allow\n")
	project := mustCompile(t, Options{}, `
rules:
  - {name: project allows rm, command_pattern: rm, effect: allow}
  - {name: project asks rm, command_pattern: rm, effect: ask}
  - {name: project asks git, command_pattern: git, effect: ask}
  - {name: project approves curl, command_pattern: curl, effect: allow, conditions: [{human_approval: required}]}
  - {name: project asks opaque, action: shell.opaque, effect: ask}
  - {name: project denies curl, command_pattern: "curl *", effect: deny}
default: allow
`)
	untrusted := []Layer{{Name: "user", Policy: user}, {Name: "project", Policy: project, DenyAskOnly: true}}
	trusted := []Layer{{Name: "user", Policy: user}, {Name: "project", Policy: project}}
	opaque := shellPart("eval x", action.Action{Kind: action.ShellOpaque})
	for _, c := range []struct {
		name   string
		layers []Layer
		req    *action.Request
		effect action.Effect
		rule   string
	}{
		{"untrusted ask does not replace the user's default deny", untrusted, request(shellPart("rm -rf x")), action.Deny, "default"},
		{"untrusted ask tightens a user allow", untrusted, request(shellPart("git status")), action.Ask, "project asks git"},
		{"untrusted ask tightens a user default allow", []Layer{{Name: "user", Policy: userAllow}, {Name: "project", Policy: project, DenyAskOnly: true}},
			request(shellPart("rm -rf x")), action.Ask, "project asks rm"},
		{"untrusted ask on shell.opaque does not lift the tail deny", untrusted, request(opaque), action.Deny, "Deny commands that cannot be resolved"},
		{"untrusted deny over a user ask", untrusted, request(shellPart("curl https://x")), action.Ask, "ask curl"},
		{"trusted project's first match counts in full", trusted, request(shellPart("rm -rf x")), action.Allow, "project allows rm"},
	} {
		d := DecideLayers(c.layers, c.req)
		if d.Effect != c.effect || ruleName(d) != c.rule {
			t.Errorf("%s: %s by %q, want %s by %q", c.name, d.Effect, ruleName(d), c.effect, c.rule)
		}
	}
}

// Every error path decides deny: a nil or uncompiled policy, a nil request.
func TestNoPolicyDenies(t *testing.T) {
	var nilPolicy *Policy
	req := request(shellPart("ls"))
	for name, d := range map[string]action.Decision{
		"nil policy":       nilPolicy.Decide(req),
		"zero policy":      (&Policy{}).Decide(req),
		"nil request":      mustCompile(t, Options{}, "default: allow\n").Decide(nil),
		"no layers":        DecideLayers(nil, req),
		"nil layer policy": DecideLayers([]Layer{{Name: "user"}}, req),
		"zero user layer":  DecideLayers([]Layer{{Name: "user", Policy: &Policy{}}}, req),
		"zero managed layer": DecideLayers([]Layer{{Name: "managed", Policy: &Policy{}},
			{Name: "user", Policy: mustCompile(t, Options{}, "default: allow\n")}}, req),
		"layers, nil request": DecideLayers([]Layer{{Name: "user", Policy: mustCompile(t, Options{}, "default: allow\n")}}, nil),
	} {
		if d.Effect != action.Deny {
			t.Errorf("%s: %s (%s)", name, d.Effect, d.Reason)
		}
	}
	if _, err := Compile(nil, Options{}); err == nil {
		t.Error("Compile(nil) succeeded")
	}
	if _, err := Compile([]*File{nil}, Options{}); err == nil {
		t.Error("Compile([nil]) succeeded")
	}
}

// Rules that can never match, or match everything by accident, are lint
// findings.
func TestLintNeverAndAlways(t *testing.T) {
	p := mustCompile(t, Options{}, `
rules:
  - {name: expired, action: network.listen, effect: allow, conditions: {expires: 2020-01-01}}
  - {name: future, action: network.bind, effect: allow, conditions: {expires: 2099-01-01}}
  - {name: py3, command_regex: "^python3 -m http\\.server", effect: deny}
  - {name: py312, command_regex: "^python3\\.12\\b", effect: deny}
  - {name: py ok, command_regex: "^python -m http\\.server", effect: deny}
  - {name: empty alternative, command_regex: "^ls( |$)|", effect: allow}
  - {name: star, command_regex: "x*", effect: deny}
  - {name: anchored, command_regex: "^(ls)?$", effect: deny}
  - {name: args everything, action: mcp.call, args: {sql: {regex: "drop|"}}, effect: deny}
  - {name: brackets, action: file.read, path: "*.[pP][eE][mM]", effect: deny}
  - {name: escape, action: file.read, path: "/srv/a\\*b", effect: deny}
  - {name: lookalike, command_pattern: "n\u0441 -l *", effect: deny}
  - {name: lookalike program, program: "s\u043ecat", effect: deny}
  - {name: unicode args ok, command_pattern: "echo caf\u00e9", effect: allow}
`)
	findings := map[string][]string{}
	for _, f := range Lint(p) {
		findings[f.Rule] = append(findings[f.Rule], f.Message)
	}
	want := map[string]string{
		"expired":           "expired: expires 2020-01-01T00:00:00Z is in the past",
		"py3":               `can never match: the command line starts with the program name "python", not "python3"`,
		"py312":             `not "python3.12"`,
		"empty alternative": "matches every command",
		"star":              "matches every command",
		"args everything":   "matches every value",
		"brackets":          "'?', '[...]' and '\\' are literal characters here",
		"escape":            "are literal characters here",
		"lookalike":         "non-ASCII letter 'с' (U+0441)",
		"lookalike program": "non-ASCII letter 'о' (U+043E)",
	}
	for rule, msg := range want {
		if !strings.Contains(strings.Join(findings[rule], "\n"), msg) {
			t.Errorf("%s: findings %q, want %q", rule, findings[rule], msg)
		}
	}
	for _, rule := range []string{"future", "py ok", "anchored", "unicode args ok"} {
		if len(findings[rule]) > 0 {
			t.Errorf("%s: unexpected findings %q", rule, findings[rule])
		}
	}
}

// The policy-semantics cases of peers-and-gaps §7, and DST in an IANA zone.
func TestSchedulePeerCases(t *testing.T) {
	p := mustCompile(t, Options{}, `
rules:
  - {name: day, command_pattern: a, effect: deny, conditions: {schedule: {hours: "09:00-17:00"}}}
  - {name: night, command_pattern: b, effect: deny, conditions: {schedule: {hours: "22:00-06:00"}}}
  - {name: weekdays, command_pattern: c, effect: deny, conditions: {schedule: {days: [mon-fri]}}}
  - {name: expired, command_pattern: d, effect: deny, conditions: {expires: 2020-01-01}}
  - {name: far, command_pattern: e, effect: deny, conditions: {expires: 2099-01-01}}
  - {name: berlin, command_pattern: f, effect: deny, conditions: {schedule: {hours: "02:00-03:00", timezone: Europe/Berlin}}}
  - {name: new york, command_pattern: g, effect: deny, conditions: {schedule: {days: [sun], hours: "01:00-02:00", timezone: America/New_York}}}
default: allow
`)
	at := func(ts, cmd string) *action.Request {
		tm, err := time.Parse(time.RFC3339, ts)
		if err != nil {
			t.Fatal(err)
		}
		r := request(shellPart(cmd))
		r.Time = tm
		return r
	}
	for _, c := range []struct {
		ts, cmd string
		active  bool
	}{
		{"2026-02-10T12:00:00Z", "a", true}, {"2026-02-10T03:00:00Z", "a", false}, {"2026-02-10T17:00:00Z", "a", false},
		{"2026-02-10T23:00:00Z", "b", true}, {"2026-02-10T06:00:00Z", "b", false}, {"2026-02-10T05:59:00Z", "b", true},
		{"2026-02-10T12:00:00Z", "c", true}, {"2026-02-15T12:00:00Z", "c", false},
		{"2026-02-10T12:00:00Z", "d", false}, {"2026-02-10T12:00:00Z", "e", true},
		// Europe/Berlin springs forward on 2026-03-29 at 02:00 CET to 03:00
		// CEST: the window 02:00-03:00 does not occur that day.
		{"2026-03-29T00:59:00Z", "f", false}, {"2026-03-29T01:00:00Z", "f", false},
		{"2026-03-28T01:30:00Z", "f", true},
		// It falls back on 2026-10-25 from 03:00 CEST to 02:00 CET: both
		// 02:30s are inside the window (wall-clock time).
		{"2026-10-25T00:30:00Z", "f", true}, {"2026-10-25T01:30:00Z", "f", true}, {"2026-10-25T02:30:00Z", "f", false},
		// New York falls back on 2026-11-01: 01:30 EDT and 01:30 EST are both Sunday 01:30.
		{"2026-11-01T05:30:00Z", "g", true}, {"2026-11-01T06:30:00Z", "g", true}, {"2026-11-01T07:30:00Z", "g", false},
	} {
		d := p.Decide(at(c.ts, c.cmd))
		if got := d.Effect == action.Deny; got != c.active {
			t.Errorf("%s at %s: active %v, want %v", c.cmd, c.ts, got, c.active)
		}
	}
}

// command_pattern reads options in any order and stops at "--".
func TestCommandPatternSeparators(t *testing.T) {
	for _, c := range []struct {
		pattern string
		command []string
		want    bool
	}{
		{"rm -rf", []string{"rm", "--", "-rf"}, false},     // after --, -rf is a file name
		{"rm -rf", []string{"rm", "-f", "x", "-r"}, true},  // options anywhere, any order
		{"rm -- -rf", []string{"rm", "--", "-rf"}, true},   // the pattern's own -- works alike
		{"rm -- -rf", []string{"rm", "-rf", "x"}, false},   // a positional is not an option
		{"'nc' -l *", []string{"nc", "-l", "4444"}, true},  // quotes only group
		{`grep "a b"`, []string{"grep", "a b", "f"}, true}, // a quoted word with a space
		{`grep "a b"`, []string{"grep", "a", "b"}, false},
		{"git push --force", []string{"git", "push", "--force-with-lease"}, false},
	} {
		p, err := compilePattern(c.pattern)
		if err != nil {
			t.Fatalf("%q: %v", c.pattern, err)
		}
		v := view(c.command...)
		if got := p.matchView(&v); got != c.want {
			t.Errorf("%q vs %q: %v, want %v", c.pattern, c.command, got, c.want)
		}
	}
}

// Matchers that read right but can never match as written are load errors:
// a character nobody can see (often pasted from a web page), or white space
// at the ends of a value that is matched literally.
func TestInvisibleAndPaddedMatchers(t *testing.T) {
	for _, c := range []struct{ name, src, want string }{
		{"nbsp in pattern", "rules:\n  - command_pattern: \"nc\u00a0-l *\"\n    effect: deny\n",
			`p.yaml:2:25: command_pattern "nc\u00a0-l *" contains the invisible character U+00A0 (it looks like a space but is not one`},
		{"zero-width space in plain pattern", "rules:\n  - command_pattern: nc\u200b -l *\n    effect: deny\n",
			`p.yaml:2:24: command_pattern "nc\u200b -l *" contains the invisible character U+200B (it cannot be seen`},
		{"bidi control in pattern", "rules:\n  - command_pattern: \"python -m http.server\u202e\"\n    effect: deny\n", "invisible character U+202E"},
		{"nbsp in regex", "rules:\n  - command_regex: \"^nc\u00a0-l\"\n    effect: deny\n",
			`p.yaml:2:20: command_regex "^nc\u00a0-l" contains the invisible character U+00A0 at byte 3 (write it as an escape (\x{a0}) if it is meant, else delete it)`},
		{"zero-width in program", "rules:\n  - program: \"n\u200bc\"\n    effect: deny\n", `program "n\u200bc" contains the invisible character U+200B`},
		{"byte order mark in path", "rules:\n  - {action: file.write, path: \"\ufeff~/.ssh/**\", effect: deny}\n", "invisible character U+FEFF"},
		{"nbsp in path", "rules:\n  - {action: file.write, path: \"/etc/x\u00a0\", effect: deny}\n", "invisible character U+00A0 at byte 6"},
		{"line separator in host", "rules:\n  - {action: network.connect, host: \"example.com\u2028\", effect: deny}\n", "invisible character U+2028"},
		{"soft hyphen in url", "rules:\n  - {action: http.request, url: \"https://ex\u00adample.com/*\", effect: deny}\n", "invisible character U+00AD"},
		{"zero-width in args key", "rules:\n  - {action: mcp.call, args: {\"sq\u200bl\": \"*drop*\"}, effect: deny}\n", "invisible character U+200B"},
		{"zero-width in approver", "rules:\n  - {command_pattern: \"git push\", effect: ask, approvers: [\"alice\u200b\"]}\n", `bad approver "alice\u200b"`},
		{"operator after non-ASCII letters", "rules:\n  - command_pattern: \"\u00e9ch\u043e | x\"\n    effect: deny\n", `p.yaml:2:28: command_pattern contains the shell operator "|"`},
		{"padded path", "rules:\n  - {action: file.write, path: \"/etc/x \", effect: deny}\n", `path "/etc/x " starts or ends with white space`},
		{"padded host", "rules:\n  - {action: network.connect, host: \" example.com\", effect: deny}\n", `host " example.com" starts or ends with white space`},
		{"padded url", "rules:\n  - {action: http.request, url: \" https://x/*\", effect: deny}\n", `url " https://x/*" starts or ends with white space`},
		{"padded uri", "rules:\n  - {action: mcp.read, uri: \"file:///etc/* \", effect: deny}\n", `uri "file:///etc/* " starts or ends with white space`},
		{"padded server", "rules:\n  - {action: mcp.call, server: \"db \", effect: deny}\n", `server "db " starts or ends with white space`},
		{"padded agent", "rules:\n  - {action: \"*\", agent: \" codex\", effect: deny}\n", `agent " codex" starts or ends with white space`},
		{"padded args item", "rules:\n  - {program: nc, args: [\"-l \"], effect: deny}\n", `args item "-l " starts or ends with white space`},
		{"padded args key", "rules:\n  - {action: mcp.call, args: {\"sql \": \"*drop*\"}, effect: deny}\n", `args key "sql " starts or ends with white space`},
	} {
		if got := loadErr("p.yaml", c.src); got == "" || !strings.Contains(got, c.want) {
			t.Errorf("%s: got %q, want an error containing %q", c.name, got, c.want)
		}
	}
	// Spaces inside values still mean what they say, and quoted words in
	// a pattern may hold spaces.
	for _, ok := range []string{
		"rules:\n  - {command_pattern: \"grep 'a b'\", effect: deny}\n",
		"rules:\n  - {command_pattern: \"  nc  -l  *  \", effect: deny}\n",
		"rules:\n  - {command_regex: \"^ls \", effect: deny}\n",
		"rules:\n  - {action: file.write, path: \"/srv/my docs/**\", effect: deny}\n",
		"rules:\n  - {action: mcp.call, args: {sql: \" *drop* \"}, effect: deny}\n",
		"rules:\n  - {action: network.listen, effect: deny, reason: \"no\u00a0servers\"}\n",
	} {
		if got := loadErr("p.yaml", ok); got != "" {
			t.Errorf("%q: %s", ok, got)
		}
	}
}

// A host is matched as the address a request means: 127.1, 2130706433 and
// ::ffff:127.0.0.1 are all 127.0.0.1. A rule written in those spellings
// would never match (requests are compared in canonical form), so legacy
// IPv4 spellings and zones are refused, and an IPv4-mapped CIDR is the
// IPv4 CIDR it stands for.
func TestHostRuleSpellings(t *testing.T) {
	for host, want := range map[string]string{
		"127.1":          `host "127.1" is the IPv4 address 127.0.0.1 in a legacy notation (write it in dotted decimal: 127.0.0.1)`,
		"2130706433":     "the IPv4 address 127.0.0.1 in a legacy notation",
		"0x7f.0.0.1":     "the IPv4 address 127.0.0.1 in a legacy notation",
		"010.0.0.1":      "the IPv4 address 8.0.0.1 in a legacy notation",
		"[fe80::1%eth0]": `host "[fe80::1%eth0]" has an IPv6 zone (write the address without its zone: fe80::1)`,
		"::ffff:0:0/64":  "mixes IPv4-mapped and other IPv6 addresses",
	} {
		src := "rules:\n  - {action: network.connect, host: \"" + host + "\", effect: deny}\n"
		if got := loadErr("p.yaml", src); !strings.Contains(got, want) {
			t.Errorf("%s: got %q, want %q", host, got, want)
		}
	}
	p := mustCompile(t, Options{}, `
default: allow
rules:
  - {name: mapped net, action: network.connect, host: "::ffff:10.0.0.0/104", effect: deny}
  - {name: mapped all, action: network.connect, host: "::ffff:0:0/96", effect: ask}
  - {name: mapped addr, action: network.bind, host: "::ffff:127.0.0.1", effect: deny}
  - {name: ula, action: network.connect, host: ["fd00::/8", "fe80::/10"], effect: deny}
  - {name: metadata v6, action: http.request, host: "fd00:ec2::254", effect: deny}
`)
	for _, c := range []struct {
		kind action.Kind
		host string
		want string
	}{
		{action.NetworkConnect, "10.1.2.3", "mapped net"},
		{action.NetworkConnect, "::ffff:10.1.2.3", "mapped net"},
		{action.NetworkConnect, "167837955", "mapped net"}, // 10.1.2.3
		{action.NetworkConnect, "8.8.8.8", "mapped all"},
		{action.NetworkConnect, "2001:db8::1", "default"},
		{action.NetworkBind, "127.0.0.1", "mapped addr"},
		{action.NetworkBind, "127.1", "mapped addr"},
		// IPv6 addresses that start with a hex letter, or carry a zone.
		{action.NetworkConnect, "fd12:3456::1", "ula"},
		{action.NetworkConnect, "[fe80::1]", "ula"},
		{action.NetworkConnect, "fe80::1%eth0", "ula"},
		{action.NetworkConnect, "FD00::1", "ula"},
		{action.HTTPRequest, "fd00:ec2::254", "metadata v6"},
	} {
		d := p.Decide(request(actionPart(action.Action{Kind: c.kind, Host: c.host, Port: 80})))
		if got := ruleName(d); got != c.want {
			t.Errorf("%s %s: decided by %q (%v), want %q", c.kind, c.host, got, d.Effect, c.want)
		}
	}
}

// An agent glob is case-sensitive and safeclaw's own agent names are lower
// case, so a capitalised one is a lint finding.
func TestLintAgentCase(t *testing.T) {
	p := mustCompile(t, Options{}, "rules:\n  - {action: \"*\", agent: [Claude, codex], effect: deny}\n")
	var got []string
	for _, f := range Lint(p) {
		got = append(got, f.Source+": "+f.Message)
	}
	if len(got) != 1 || !strings.Contains(got[0], `p1.yaml:2:19: agent "Claude" has upper-case letters`) || !strings.Contains(got[0], `write "claude"`) {
		t.Errorf("lint: %q", got)
	}
}

// A url glob matches the URL as written and as the server reads it: a deny
// or ask rule when either matches, an allow rule only when both do.
func TestURLForms(t *testing.T) {
	for in, want := range map[string]string{
		"https://evil.com/x":             "https://evil.com/x",
		"HTTPS://EVIL.com/X":             "https://evil.com/X", // the path keeps its case
		"https://evil.com:443/x":         "https://evil.com/x",
		"https://evil.com:0443/x":        "https://evil.com/x",
		"http://evil.com:80/x":           "http://evil.com/x",
		"https://evil.com:80/x":          "https://evil.com:80/x",
		"https://evil.com:/x":            "https://evil.com/x",
		"https://evil.com./x":            "https://evil.com/x",
		"https://me:pw@evil.com/x":       "https://evil.com/x",
		"https://good.com@evil.com/x":    "https://evil.com/x",
		"https://evil.com":               "https://evil.com/",
		"https://evil.com?q#f":           "https://evil.com/?q#f",
		"https://%65vil.com/x":           "https://evil.com/x",
		"https://evil.com/%61dmin/%2Fx":  "https://evil.com/admin/%2Fx", // only plain characters are unescaped
		"https://evil.com/a/./b/../../x": "https://evil.com/x",
		"https://evil.com/a/%2e%2e/x":    "https://evil.com/x",
		"https://evil.com/../../x":       "https://evil.com/x",
		"https://evil.com/a/..":          "https://evil.com/",
		"https://evil.com/a/b?x=/../y":   "https://evil.com/a/b?x=/../y", // not in the query
		"http://2130706433/x":            "http://127.0.0.1/x",
		"http://[::1]:80/x":              "http://[::1]/x",
		"https://[::1]:8443/x":           "https://[::1]:8443/x",
	} {
		got, ok := canonicalURL(in)
		if !ok || got != want {
			t.Errorf("canonicalURL(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, bad := range []string{"evil.com/x", "/x", "https://evil.com:x/", "https://[::1/x", "https://%zz.com/", "1http://x/"} {
		if got, ok := canonicalURL(bad); ok || got != bad {
			t.Errorf("canonicalURL(%q) = %q, %v; want it unread", bad, got, ok)
		}
	}

	p := mustCompile(t, Options{}, `
default: ask
rules:
  - {name: no evil, action: http.request, url: "https://Evil.com:443/*", effect: deny}
  - {name: public api, action: http.request, url: ["https://api.example.com/public/*", "https://exact.example", "https://*.wild.example"], effect: allow}
`)
	for _, c := range []struct{ url, want string }{
		{"https://evil.com/x", "no evil"},
		{"HTTPS://EVIL.COM/x", "no evil"},
		{"https://evil.com:443/x", "no evil"},
		{"https://evil.com./x", "no evil"},
		{"https://user@evil.com/x", "no evil"},
		{"https://api.example.com@evil.com/public/x", "no evil"},
		{"https://evil.com", "no evil"},
		{"https://evil.com?x=1", "no evil"},
		{"https://%45vil.com/x", "no evil"},
		{"https://evil.com:8443/x", "default"}, // another port is another server
		{"https://api.example.com/public/a", "public api"},
		{"https://exact.example", "public api"},
		{"https://a.wild.example", "public api"},
		// An allow never widens: both forms must match.
		{"https://api.example.com/public/../admin", "default"},
		{"https://api.example.com/public/%2e%2e/admin", "default"},
		{"https://API.example.com/public/a", "default"},
		{"https://api.example.com:443/public/a", "default"},
	} {
		d := p.Decide(request(actionPart(action.Action{Kind: action.HTTPRequest, URL: c.url})))
		if got := ruleName(d); got != c.want {
			t.Errorf("%s: decided by %q (%v), want %q", c.url, got, d.Effect, c.want)
		}
	}

	// MCP resource URIs alike.
	p = mustCompile(t, Options{}, `
default: allow
rules:
  - {name: no ssh keys, action: mcp.read, uri: "file:///home/*/.ssh/*", effect: deny}
  - {name: docs only, action: mcp.read, uri: "repo://Acme/docs/*", effect: ask}
`)
	for _, c := range []struct{ uri, want string }{
		{"file:///home/u/.ssh/id_rsa", "no ssh keys"},
		{"FILE:///home/u/.ssh/id_rsa", "no ssh keys"},
		{"file://localhost/home/u/.ssh/id_rsa", "no ssh keys"},
		{"file:///home/u/x/../.ssh/id_rsa", "no ssh keys"},
		{"file:///home/u/%2essh/id_rsa", "no ssh keys"},
		{"file:///home/u/.sshx/id_rsa", "default"},
		{"repo://acme/docs/a", "docs only"},
		{"repo://Acme/docs/a", "docs only"},
	} {
		d := p.Decide(request(actionPart(action.Action{Kind: action.MCPRead, URL: c.uri})))
		if got := ruleName(d); got != c.want {
			t.Errorf("%s: decided by %q (%v), want %q", c.uri, got, d.Effect, c.want)
		}
	}

	lint := mustCompile(t, Options{}, "rules:\n  - {action: http.request, url: [\"https://good.example*\", \"https://*\", \"https://good.example/*\"], effect: allow}\n")
	var got []string
	for _, f := range Lint(lint) {
		got = append(got, f.Message)
	}
	if len(got) != 1 || !strings.Contains(got[0], `url "https://good.example*": its '*' runs on past the host, so it also allows https://good.example.evil.example/ and https://good.example@evil.example/`) {
		t.Errorf("lint: %q", got)
	}
}
