package policy

import (
	"strings"
	"testing"
)

// Escapes in quoted YAML and JSON strings can put into a matcher what the
// file itself may not hold (strictyaml refuses raw control characters), so
// that it matches nothing as written. A | or > block ends its value with a
// line break, which a regex or a program name then requires. (Free text,
// names and reasons, may hold escapes: the CLI prints it escaped.)
func TestEscapedControlsAndBlockBreaks(t *testing.T) {
	for _, c := range []struct{ name, src, want string }{
		{"NUL in pattern", "rules:\n  - command_pattern: \"rm\\x00 -rf *\"\n    effect: deny\n",
			`p.yaml:2:22: command_pattern "rm\x00 -rf *" contains the control character U+0000 (it was written as an escape such as \x00 or \e; a policy is plain text, so delete it)`},
		{"NUL in JSON pattern", `{"rules": [{"command_pattern": "rm\u0000 -rf *", "effect": "deny"}]}`,
			`p.json:1:32: command_pattern "rm\x00 -rf *" contains the control character U+0000`},
		{"NUL in path", "rules:\n  - {action: file.write, path: \"/etc/\\0x\", effect: deny}\n",
			`p.yaml:2:32: path "/etc/\x00x" contains the control character U+0000 at byte 5`},
		{"escape in host", "rules:\n  - {action: network.connect, host: \"evil\\e.com\", effect: deny}\n",
			`host "evil\x1b.com" contains the control character U+001B at byte 4`},
		{"C1 control in program", "rules:\n  - {program: \"n\\x9bc\", effect: deny}\n",
			`program "n\u009bc" contains the control character U+009B at byte 1`},
		{"regex from a | block", "rules:\n  - command_regex: |\n      ^nc -l\n    effect: deny\n",
			`p.yaml:2:20: command_regex "^nc -l\n" contains the control character U+000A at byte 6 (write the regex on one line as a quoted string; write \n if a line break is meant)`},
		{"regex with an escaped line break", "rules:\n  - command_regex: \"^nc\\n\"\n    effect: deny\n",
			`command_regex "^nc\n" contains the control character U+000A at byte 3`},
		{"bell in regex", "rules:\n  - command_regex: \"^nc\\a\"\n    effect: deny\n",
			`command_regex "^nc\a" contains the control character U+0007 at byte 3 (it was written as an escape`},
		{"program from a | block", "rules:\n  - program: |\n      nc\n    effect: deny\n",
			`p.yaml:2:14: program "nc\n" starts or ends with white space`},
		{"program with a line break inside", "rules:\n  - program: \"n\\nc\"\n    effect: deny\n",
			`program "n\nc" contains a space`},
	} {
		name := "p.yaml"
		if strings.HasPrefix(c.src, "{") {
			name = "p.json"
		}
		if got := loadErr(name, c.src); got == "" || !strings.Contains(got, c.want) {
			t.Errorf("%s:\n got %q\nwant an error containing %q", c.name, got, c.want)
		}
	}
	// Tabs, multi-line descriptions and reasons, escapes in text, and a
	// folded block's trailing line break in text still load; so does a
	// pattern written as a block (its words are split on white space).
	for _, ok := range []string{
		"rules:\n  - {action: network.listen, effect: deny, reason: \"a\\tb\"}\n",
		"rules:\n  - {action: network.listen, effect: deny, name: \"x\\e[2J\", reason: \"\\e[31m\"}\n",
		"rules:\n  - action: network.listen\n    effect: deny\n    reason: >\n      long\n      reason\n    description: |\n      line one\n      line two\n",
		"description: |\n  a\n  b\nrules:\n  - {action: network.listen, effect: deny}\n",
		"rules:\n  - command_pattern: |\n      nc -l *\n    effect: deny\n",
		"rules:\n  - {command_regex: \"^nc\\\\n\", effect: deny}\n", // the regex escape \n, not a line break
		"rules:\n  - {command_regex: \"^nc\\t-l\", effect: deny}\n",
	} {
		if got := loadErr("p.yaml", ok); got != "" {
			t.Errorf("%q: %s", ok, got)
		}
	}
}

// An error inside a pattern points into the file only where the pattern is
// written there as it is; else at the value (an escape makes the value
// shorter than its text, and a plain scalar may fold over lines).
func TestPatternErrorColumns(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"rules:\n- command_pattern: nc -l | x\n  effect: deny\n", "p.yaml:2:26: command_pattern contains the shell operator"},
		{"rules:\n- command_pattern: \"nc -l | x\"\n  effect: deny\n", "p.yaml:2:27: command_pattern contains the shell operator"},
		{"rules:\n- command_pattern: \"\\x6ec -l | x\"\n  effect: deny\n", "p.yaml:2:20: command_pattern contains the shell operator"},
		{"rules:\n- command_pattern: nc -l\n    | x\n  effect: deny\n", "p.yaml:2:20: command_pattern contains the shell operator"},
	} {
		if got := loadErr("p.yaml", c.src); !strings.HasPrefix(got, c.want) {
			t.Errorf("%q:\n got %q\nwant %q...", c.src, got, c.want)
		}
	}
}

// A request names an internationalised host in Unicode or in its ASCII
// (punycode) form, in any case: curl https://bücher.de and curl
// https://xn--bcher-kva.de reach the same server. A rule written either way
// matches both; before, a deny of bücher.de let xn--bcher-kva.de through.
func TestHostIDNSpellings(t *testing.T) {
	spellings := []string{"bücher.de", "BÜCHER.de", "xn--bcher-kva.de", "Xn--Bcher-Kva.de", "xn--bcher-kva.de.", "ｂücher.de"}
	for _, rule := range []string{"bücher.de", "BÜCHER.de", "xn--bcher-kva.de", "*.de"} {
		h, _, err := parseHost(rule)
		if err != nil {
			t.Fatalf("%q: %v", rule, err)
		}
		for _, q := range spellings {
			if !h.match(q) {
				t.Errorf("host rule %q does not match %q", rule, q)
			}
		}
		for _, q := range []string{"bucher.de", "xn--bcher-kva.com", "example.com", ""} {
			if rule != "*.de" && h.match(q) {
				t.Errorf("host rule %q matches %q", rule, q)
			}
		}
	}
	w, _, _ := parseHost("*.bücher.de")
	for _, q := range []string{"www.bücher.de", "www.xn--bcher-kva.de", "a.b.XN--BCHER-KVA.DE"} {
		if !w.match(q) {
			t.Errorf("*.bücher.de does not match %q", q)
		}
	}
	p := mustCompile(t, Options{}, "rules:\n  - {action: network.connect, host: [bücher.de, example.com], effect: deny}\n")
	if got, want := strings.Join(p.HostNames("network.connect"), " "), "bücher.de example.com xn--bcher-kva.de"; got != want {
		t.Errorf("HostNames = %q, want %q", got, want)
	}
}

// idnAlternate gives the other spelling of internationalised names, with
// UTS #46's lookup mapping, and none for plain ASCII names or globs inside
// a non-ASCII label.
func TestIDNAlternate(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"bücher.de", "xn--bcher-kva.de"},
		{"BÜCHER.de", "xn--bcher-kva.de"},
		{"ｂüｃｈｅｒ。de", "xn--bcher-kva.de"},
		{"bu\u0308cher.de", "xn--bcher-kva.de"},
		{"*.bücher.de", "*.xn--bcher-kva.de"},
		{"xn--bcher-kva.de", "bücher.de"},
		{"XN--BCHER-KVA.DE", "bücher.de"},
		{"*.xn--bcher-kva.de", "*.bücher.de"},
		{"日本語.jp", "xn--wgv71a119e.jp"},
		{"example.com", ""},
		{"b*chér.de", ""},
		{"xn--zz.de", ""},
	} {
		got, ok := idnAlternate(c.in)
		if ok != (c.want != "") || got != c.want {
			t.Errorf("idnAlternate(%q) = %q, %v, want %q", c.in, got, ok, c.want)
		}
	}
}

// default: allow is legal but turns deny-by-default around: lint says so,
// at the default: line, and says nothing for deny or ask.
func TestLintDefaultAllow(t *testing.T) {
	p := mustCompile(t, Options{}, "# a deny list\ndefault: allow\nrules:\n  - {action: network.listen, effect: deny}\n")
	fs := lintAt(p, testTime)
	if len(fs) != 1 || fs[0].Source != "p1.yaml:2:10" || fs[0].Rule != "default" || !strings.HasPrefix(fs[0].Message, "default allow: every action no rule matches is allowed") {
		t.Errorf("findings = %+v", fs)
	}
	for _, src := range []string{"default: deny\n", "default: ask\n", "rules:\n  - {action: network.listen, effect: deny}\n"} {
		if fs := lintAt(mustCompile(t, Options{}, src), testTime); len(fs) != 0 {
			t.Errorf("%q: findings %+v", src, fs)
		}
	}
}
