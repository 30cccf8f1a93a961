package policy

import (
	"strings"
	"testing"
)

func TestLint(t *testing.T) {
	tests := []struct {
		name   string
		src    string
		opts   Options
		want   []string // substrings, one finding each, in order
		source string   // expected Source of the first finding, if set
	}{
		{name: "clean", src: "rules:\n  - {command_pattern: \"git push\", effect: deny}\n  - {command_pattern: \"git status\", effect: allow}\n"},
		{name: "unreachable duplicate", src: `
rules:
  - {name: a, action: network.listen, effect: deny}
  - {name: b, action: network.listen, port: 8080, effect: deny}
`, want: []string{`unreachable: earlier rule "a" (p1.yaml:3)`}, source: "p1.yaml:4:5"},
		{name: "allow made dead by a deny", src: `
rules:
  - {name: no network, action: "network.*", effect: deny}
  - {name: dev port, action: network.listen, port: "3000-3999", effect: allow}
`, want: []string{`dead allow: earlier deny "no network"`}},
		{name: "shadowed by a broader pattern", src: `
rules:
  - {name: ask git, command_pattern: git, effect: ask}
  - {name: git status, command_pattern: "git status --short", effect: allow}
  - {name: rm, command_pattern: "rm -rf *", effect: deny}
  - {name: rm2, command_pattern: "rm --force --recursive /", effect: deny}
`, want: []string{`shadowed: earlier rule "ask git"`, `unreachable: earlier rule "rm"`}},
		{name: "schedules do not shadow", src: `
rules:
  - {name: a, action: network.listen, effect: deny, conditions: {schedule: {days: [mon]}}}
  - {name: b, action: network.listen, effect: allow}
`},
		{name: "host and path coverage", src: `
rules:
  - {name: lan, action: network.connect, host: 10.0.0.0/8, effect: deny}
  - {name: one host, action: network.connect, host: 10.1.2.3, effect: allow}
  - {name: tmp, action: file.write, path: "/tmp/**", effect: allow}
  - {name: tmp file, action: file.write, path: "/tmp/x/y.txt", effect: allow}
`, want: []string{`dead allow: earlier deny "lan"`, `unreachable: earlier rule "tmp"`}},
		{name: "step 6 after the general deny", src: `
rules:
  - {action: network.listen, effect: deny, reason: "All other port binding is blocked"}
  - action: shell.execute
    command_pattern: "npm run dev"
    effect: allow
    conditions:
      - human_approval: required
    reason: "Allow starting dev server with human approval"
`, want: []string{`earlier deny "All other port binding is blocked" (p1.yaml:3) decides every part that listens`}},
		{name: "word globs", src: `
rules:
  - {command_pattern: "npx serve*", effect: deny, reason: "Block npx serve"}
  - {command_pattern: "ls* -l", effect: allow}
  - {program: "py*", effect: deny}
`, want: []string{`"serve*" is a word glob, so it also matches "serverless"; to match "serve" followed by any arguments write "npx serve *"`,
			`program "ls*" is a word glob, so it also matches "lsof"`, `program "py*" is a word glob: it also matches "python-config"`}},
		{name: "wrappers and code runners", src: `
rules:
  - {command_pattern: "sudo *", effect: allow}
  - {command_pattern: "bash -c *", effect: allow}
  - {command_pattern: "python -c *", effect: allow}
  - {program: env, effect: allow}
  - {command_pattern: "sudo apt update", effect: allow}
  - {command_pattern: "sudo *", effect: deny}
`, want: []string{`allows whatever sudo runs`, `allows any code (bash -c`, `allows any code (python -c`, `allowing program "env" allows whatever it runs`,
			`unreachable: earlier rule "rule at p1.yaml:3"`, `unreachable deny: earlier allow "rule at p1.yaml:3" (p1.yaml:3) matches everything this rule matches`}},
		{name: "allow before a deny it covers", src: `
default: deny
rules:
  - {action: file.read, path: "/srv/**", effect: allow}
  - {action: file.read, path: "/srv/secret/**", effect: deny}
  - {action: file.read, path: "/srv/x/key.pem", effect: ask}
  - {command_pattern: "python *", effect: allow}
  - {action: network.listen, effect: deny}
`, want: []string{`unreachable deny: earlier allow "rule at p1.yaml:4" (p1.yaml:4) matches everything this rule matches, so this deny never applies`,
			`unreachable ask: earlier allow "rule at p1.yaml:4"`,
			`allows "python -m http.server 8000", which opens a port or tunnel (network.listen), and comes before deny "rule at p1.yaml:8" (p1.yaml:8)`,
			`pattern "python *" allows any script or code for python`}, source: "p1.yaml:5:5"},
		{name: "path globs that do not cover", src: `
rules:
  - {action: file.read, path: "/srv/*", effect: allow}
  - {action: file.read, path: "/srv/secret/**", effect: deny}
  - {action: file.write, path: "/srv/**", effect: allow}
  - {action: file.write, path: "/srv2/**", effect: deny}
  - {action: file.read, path: "/data/**/*.key", effect: allow}
  - {action: file.read, path: "/data/a/*.key", effect: deny}
  - {action: file.delete, path: "/srv/*/cache/**", effect: allow}
  - {action: file.delete, path: "/srv/app/cache/tmp/**", effect: deny}
`, want: []string{`unreachable deny: earlier allow "rule at p1.yaml:9"`}, source: "p1.yaml:10:5"},
		{name: "an ask covering a later deny is shadowed", src: `
rules:
  - {command_pattern: "git *", effect: ask}
  - {command_pattern: "git push", effect: deny}
`, want: []string{`shadowed: earlier rule "rule at p1.yaml:3" (p1.yaml:3, ask)`}},
		{name: "allows of commands that may listen or tunnel", src: `
rules:
  - {name: ssh, command_pattern: "ssh *", effect: allow}
  - {name: node, program: node, effect: allow}
  - {name: py, command_regex: "^python ", effect: allow}
  - {name: tunnels, action: network.tunnel, effect: deny}
  - {name: listeners, action: network.listen, effect: ask}
`, want: []string{`allows "ssh -L 8080:localhost:80 host", which opens a port or tunnel (network.tunnel), and comes before deny "tunnels" (p1.yaml:6)`,
			`allows whatever ssh runs`,
			`allows "node server.js", which opens a port or tunnel (network.listen), and comes before ask "listeners" (p1.yaml:7): the first rule that matches a command decides it, so that ask never applies`,
			`allows "python -m http.server 8000"`}, source: "p1.yaml:3:5"},
		{name: "intended exceptions above the listen deny", src: `
rules:
  - {command_pattern: "python -m http.server *", effect: allow}
  - {command_pattern: ["nc -l *", "socat TCP-LISTEN:* *"], effect: allow}
  - {command_regex: "^hugo server( |$)", effect: allow}
  - {command_pattern: "jekyll *", effect: allow, conditions: [{human_approval: required}]}
  - {command_pattern: "npm run dev", effect: allow}
  - {command_pattern: "git *", effect: allow}
  - {action: network.listen, effect: deny}
  - {action: network.bind, port: "*", effect: deny}
  - {command_pattern: "flask *", effect: allow}
  - {action: network.tunnel, port: 22, effect: deny}
`},
		{name: "never matches here", src: `
rules:
  - {action: file.write, path: "${workspace}/**", effect: allow}
  - {command_regex: "^/usr/bin/python", effect: deny}
`, want: []string{`${workspace} is unknown here`, `can never match`}},
	}
	for _, tt := range tests {
		p := mustCompile(t, tt.opts, tt.src)
		got := Lint(p)
		if len(got) != len(tt.want) {
			t.Errorf("%s: %d findings, want %d:\n%v", tt.name, len(got), len(tt.want), got)
			continue
		}
		for i, w := range tt.want {
			if !strings.Contains(got[i].Message, w) {
				t.Errorf("%s: finding %d = %q, want it to contain %q", tt.name, i, got[i].Message, w)
			}
		}
		if tt.source != "" && got[0].Source != tt.source {
			t.Errorf("%s: source %q, want %q", tt.name, got[0].Source, tt.source)
		}
	}
}

// The brief's policy, Step 6 first: lint reports the word globs and that
// Step 3's listen deny repeats Step 6's.
func TestLintBrief(t *testing.T) {
	got := Lint(briefPolicy(t, Options{}))
	var msgs []string
	for _, f := range got {
		msgs = append(msgs, f.Source+": "+f.Message)
	}
	if len(got) != 4 || !strings.Contains(got[0].Message, `"serverless"`) || got[0].Source != "brief/step2.yaml:13:5" ||
		!strings.Contains(got[2].Message, `the value "httpd*" of -e is a word glob`) ||
		!strings.Contains(got[3].Message, `unreachable: earlier rule "All other port binding is blocked" (brief/step6.yaml:15)`) {
		t.Errorf("findings:\n%s", strings.Join(msgs, "\n"))
	}
}
