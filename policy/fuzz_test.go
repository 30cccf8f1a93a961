package policy

import (
	"errors"
	"strings"
	"testing"

	"github.com/safeclaw/safeclaw/action"
)

// maxFileSizeForPositions: files up to this size get errors with
// line:col (a larger one is refused as a whole).
const maxFileSizeForPositions = 4 << 20

// FuzzParse: Parse never panics, fails only with *Error, is deterministic,
// and what it accepts compiles and decides without panicking.
//
//	go test ./policy -run=- -fuzz=FuzzParse -fuzztime=30s
func FuzzParse(f *testing.F) {
	f.Add(Default())
	for _, step := range []string{"step2", "step3", "step4", "step5", "step6"} {
		f.Add(readTestdata(f, "brief/"+step+".yaml"))
	}
	f.Add([]byte(`{"rules":[{"action":"network.listen","port":[8080,"1-2"],"effect":"deny"}]}`))
	f.Add([]byte("rules:\n- comand_pattern: x\n  effect: deny\n"))
	f.Add([]byte("default: allow\ntests:\n  - {command: ls, expect: allow}\n"))
	f.Add([]byte("rules:\n  - {action: mcp.call, args: {sql: {regex: \"(?i)drop\"}, a.b: [x, \"y*\"]}, effect: deny}\n  - {action: mcp.read, uri: \"file:///*\", effect: allow}\n"))
	f.Add([]byte("rules:\n  - {action: file.*, path: [\"${workspace}/**\", \"~/.ssh/*\"], effect: ask, conditions: {schedule: {days: [mon-fri], hours: \"22:00-06:00\", timezone: UTC}}}\n"))
	f.Add([]byte("rules:\n  - action: network.listen\n    effect: allow\n    expires_at: 2020-01-01\n    conditions: {hours: \"09:00-17:00\"}\n"))
	f.Add([]byte("version: 0x1\nrules:\n  - {command_regex: \"^python3 |[\\\\p{L}]{900}\", path: \"${workspace}-old/**\", effect: deny}\n"))
	f.Add([]byte("rules:\n  - {command_pattern: \"nc\u00a0-l *\", host: \"127.1\", effect: deny}\n"))
	f.Add([]byte("\n\nrules: [{action: network.connect, host: \"::ffff:10.0.0.0/104\", effect: deny}\n"))
	f.Add([]byte("rules:\n  - action: network.listen\n    effect: *deny\n    reason: \"a\x01\"\n"))
	// Tabs in indentation, a snippet pasted without its indentation, two
	// snippets pasted together: errors at the real line:col.
	f.Add([]byte("rules:\n  - action: network.listen\n\teffect: deny\n"))
	f.Add([]byte("rules:\n  - action: network.listen\n    effect: deny\n  - action: network.bind\n  \teffect: deny\n"))
	f.Add([]byte("rules:\r\n\t- {action: network.listen, effect: deny}\r\n"))
	f.Add([]byte("rules:\n- action: shell.execute\ncommand_pattern: \"nc -l *\"\neffect: deny\n- action: network.listen\neffect: deny\n"))
	f.Add([]byte("rules:\n  - {action: network.listen, effect: deny}\nrules:\n  - {action: network.bind, effect: deny}\n"))
	reqs := benchRequests()
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("f.yaml", data)
		file2, err2 := Parse("f.yaml", data)
		if (err == nil) != (err2 == nil) {
			t.Fatalf("nondeterministic: %v / %v", err, err2)
		}
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not *Error: %v", err, err)
			}
			if err.Error() != err2.Error() {
				t.Fatalf("nondeterministic errors: %q / %q", err, err2)
			}
			if !strings.HasPrefix(err.Error(), "f.yaml") {
				t.Fatalf("error without file name: %q", err)
			}
			if pe.Line < 1 && len(data) <= maxFileSizeForPositions {
				t.Fatalf("error without line:col: %q", err)
			}
			return
		}
		opts := Options{Workspace: "/w", Home: "/home/u", ProtectWrite: []string{"/home/u/.config/safeclaw/**"}}
		p, err := Compile([]*File{file}, opts)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("compile error %T: %v", err, err)
			}
			return
		}
		p2, err := Compile([]*File{file2}, opts)
		if err != nil || p.Hash() != p2.Hash() {
			t.Fatalf("nondeterministic compile: %v", err)
		}
		for _, r := range reqs {
			d := p.Decide(r)
			if ex := p.Explain(r); ex.Decision != d.Effect.String() {
				t.Fatalf("Explain disagrees with Decide")
			}
		}
		_ = Lint(p)
		_ = p.Rules()
	})
}

// FuzzMatch: compiling a pattern and matching it against command words
// never panics, the rule-level pattern index agrees with a scan, and a
// pattern always matches its own words.
//
//	go test ./policy -run=- -fuzz=FuzzMatch -fuzztime=30s
func FuzzMatch(f *testing.F) {
	f.Add("python -m http.server", "python3 -mhttp.server 8080")
	f.Add("nc -l *", "nc -lvnp 4444")
	f.Add("ssh -R *", "ssh -NR 8080:localhost:3000 h")
	f.Add("/bash -i ", "/bin/bash -i")
	f.Add("rm -rf", "rm --recursive --force /")
	f.Add("git * push *", "git -C x push origin")
	f.Add(`grep "a b" *`, "grep a b c")
	f.Add("npx serve*", "npx serverless")
	f.Fuzz(func(t *testing.T, pattern, command string) {
		p, err := compilePattern(pattern)
		if err != nil {
			return
		}
		words := strings.Split(command, " ")
		v := action.ParseArgv(words)
		got := p.matchView(&v)
		_ = p.whyNot(&v)
		// Pattern index vs scan, with the pattern among others.
		r := &rule{}
		for _, s := range []string{pattern, "git status", "nc -l", "x*"} {
			q, err := compilePattern(s)
			if err != nil {
				t.Fatal(err)
			}
			r.patterns = append(r.patterns, q)
		}
		r.pidx = newPatIndex(r.patterns)
		want := false
		for _, q := range r.patterns {
			want = want || q.matchView(&v)
		}
		if r.matchPatterns(&v) != want || (got && !want) {
			t.Fatalf("pattern index disagrees for %q on %q", pattern, command)
		}
		// Reflexive: a pattern matches a command spelled as its own words.
		self := action.ParseArgv(p.words)
		if !p.matchView(&self) {
			t.Fatalf("pattern %q does not match its own words %q", pattern, p.words)
		}
	})
}

// FuzzCanonicalURL: the canonical form of a URL never panics and is its own
// canonical form, so matching it is stable.
//
//	go test ./policy -run=- -fuzz=FuzzCanonicalURL -fuzztime=30s
func FuzzCanonicalURL(f *testing.F) {
	for _, s := range []string{"https://evil.com/x", "HTTPS://u:p@EVIL.com.:0443/a/./b/../%7Ec?q#f", "file://localhost/etc/%2e%2e/x",
		"http://[::1]:80", "http://2130706433/", "x://a/..", "https://evil.com:/", "http://%41%42.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, u string) {
		c, ok := canonicalURL(u)
		if !ok {
			if c != u {
				t.Fatalf("unread URL %q changed to %q", u, c)
			}
			return
		}
		c2, ok2 := canonicalURL(c)
		if !ok2 || c2 != c {
			t.Fatalf("canonicalURL(%q) = %q, but canonicalURL(%q) = %q, %v", u, c, c, c2, ok2)
		}
		_ = canonicalURLGlob(u)
	})
}
