package approval_test

import (
	"strings"
	"testing"
	"time"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/approval"
	"github.com/safeclaw/safeclaw/policy"
)

func compilePolicy(t *testing.T, name, src string) *policy.Policy {
	t.Helper()
	f, err := policy.Parse(name, []byte(src))
	if err != nil {
		t.Fatalf("%s: %v\n%s", name, err, src)
	}
	p, err := policy.Compile([]*policy.File{f}, policy.Options{})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return p
}

// TestAlwaysRuleOnlyTurnsThatAskIntoAllow runs the rule an "always"
// approval writes through the policy engine: it allows the approved
// command where the user's policy asks, and nothing else; it never turns a
// deny (a rule's or the default's) into an allow.
func TestAlwaysRuleOnlyTurnsThatAskIntoAllow(t *testing.T) {
	approved := shellRequest("", "npm", "run", "dev")
	rules, err := approval.AlwaysRules(&approval.Record{ID: "k7f3q2xm9a", Agent: approved.Agent, Input: approved.Input, Request: approved},
		approval.Answer{Approve: true, Scope: approval.Always, Approver: "alice", Channel: "cli", Time: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	always := compilePolicy(t, "always.yaml", approval.AlwaysHeader+rules)
	asks := compilePolicy(t, "asks.yaml", "rules:\n  - {name: ask npm, command_pattern: npm, effect: ask}\ndefault: deny\n")
	denies := compilePolicy(t, "denies.yaml", "rules:\n  - {name: no npm, command_pattern: npm, effect: deny}\ndefault: deny\n")
	silent := compilePolicy(t, "silent.yaml", "rules:\n  - {name: allow ls, command_pattern: ls, effect: allow}\ndefault: deny\n")
	codex := shellRequest("", "npm", "run", "dev")
	codex.Agent = "codex"
	for _, tt := range []struct {
		name string
		user *policy.Policy
		req  *action.Request
		want action.Effect
	}{
		{"the approved command where the policy asks", asks, shellRequest("", "npm", "run", "dev"), action.Allow},
		{"an extra argument", asks, shellRequest("", "npm", "run", "dev", "--", "--host", "0.0.0.0"), action.Ask},
		{"another script", asks, shellRequest("", "npm", "run", "build"), action.Ask},
		{"another agent", asks, codex, action.Ask},
		{"a rule denies it now", denies, shellRequest("", "npm", "run", "dev"), action.Deny},
		{"the default denies it", silent, shellRequest("", "npm", "run", "dev"), action.Deny},
	} {
		d := policy.DecideLayers([]policy.Layer{{Name: "user", Policy: tt.user}, {Name: "always", Policy: always}}, tt.req)
		if d.Effect != tt.want {
			t.Errorf("%s: %s (rule %+v), want %s", tt.name, d.Effect, d.Rule, tt.want)
		}
	}
}

// TestAlwaysRuleStaysWithinWhatWasApproved: fields an always rule copies
// from the request are globs or relative patterns in the policy language;
// a value that would read as one (an agent named "*", as an MCP client may
// call itself; a path without a directory, which matches at any depth) is
// refused rather than written as a rule broader than the approval.
func TestAlwaysRuleStaysWithinWhatWasApproved(t *testing.T) {
	asks := compilePolicy(t, "asks.yaml", "rules:\n  - {name: ask all, action: \"*\", effect: ask}\ndefault: deny\n")
	write := func(agent, path string) *action.Request {
		return &action.Request{Surface: "mcp", Agent: agent, Input: "write_file " + path, Time: time.Now(),
			Parts: []action.Part{{Facets: []action.Action{{Kind: action.FileWrite, Path: path, Tool: "write_file"}}}}}
	}
	shell := func(agent string) *action.Request {
		req := shellRequest("", "npm", "run", "dev")
		req.Agent = agent
		return req
	}
	connect := func(host string, port int) *action.Request {
		return &action.Request{Surface: "check", Agent: "claude", Input: "network.connect " + host, Time: time.Now(),
			Parts: []action.Part{{Facets: []action.Action{{Kind: action.NetworkConnect, Host: host, Port: port}}}}}
	}
	call := func(args any) *action.Request {
		return &action.Request{Surface: "check", Agent: "claude", Input: "mcp.call ops deploy", Time: time.Now(),
			Parts: []action.Part{{Facets: []action.Action{{Kind: action.MCPCall, Server: "ops", Tool: "deploy", Args: args}}}}}
	}
	for _, tt := range []struct {
		name     string
		approved *action.Request
		other    *action.Request // must still ask
	}{
		{"a tool call without arguments", call(nil), call(map[string]any{"env": "prod", "force": true})},
		{"a PATH assignment before the command", shellRequest("", "PATH=/usr/bin", "make"), shellRequest("", "PATH=/tmp/evil/bin", "make")},
		{"an LD_PRELOAD assignment", shellRequest("", "LD_PRELOAD=/opt/lib/fast.so", "make"), shellRequest("", "LD_PRELOAD=/tmp/fast.so", "make")},
		{"an agent named *", shell("*"), shell("codex")},
		{"an agent name with *", shell("c*"), shell("codex")},
		{"a file agent named *", write("*", "/home/dev/notes.txt"), write("codex", "/home/dev/notes.txt")},
		{"a relative path", write("claude", ".bashrc"), write("claude", "/home/dev/.bashrc")},
		{"a path in a relative directory", write("claude", "src/main.go"), write("claude", "/elsewhere/src/main.go")},
		{"a path under an unexpanded ~", write("claude", "~/.bashrc"), write("claude", "/home/dev/.bashrc")},
		// A file literally named ${workspace} is one directory; in a rule
		// the text expands to the workspace, another place altogether.
		{"a path naming ${workspace}", write("claude", "/${workspace}/.bashrc"), write("claude", "/home/dev/proj/.bashrc")},
		{"a path with ${workspace} inside a name", write("claude", "/tmp/x${workspace}"), write("claude", "/tmp/x/home/dev/proj")},
		// A host with a slash reads as a CIDR in a rule: every address in it.
		{"a host that reads as a CIDR", connect("10.0.0.0/8", 443), connect("10.1.2.3", 443)},
		{"a host that reads as the whole IPv4 space", connect("0.0.0.0/0", 443), connect("203.0.113.9", 443)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := &approval.Record{ID: "k7f3q2xm9a", Agent: tt.approved.Agent, Input: tt.approved.Input, Request: tt.approved}
			rules, err := approval.AlwaysRules(r, approval.Answer{Approve: true, Scope: approval.Always, Approver: "alice", Channel: "cli", Time: time.Now()})
			if err != nil {
				return // refused: nothing broader can be written
			}
			f, err := policy.Parse("always.yaml", []byte(approval.AlwaysHeader+rules))
			if err != nil {
				return // the always file would refuse it as well
			}
			always, err := policy.Compile([]*policy.File{f}, policy.Options{Home: "/home/dev", Workspace: "/home/dev/proj"})
			if err != nil {
				return
			}
			layers := []policy.Layer{{Name: "user", Policy: asks}, {Name: "always", Policy: always}}
			if d := policy.DecideLayers(layers, tt.other); d.Effect != action.Ask {
				t.Errorf("the always rule for %q (agent %q) decides %q (agent %q): %s by %+v\n%s",
					tt.approved.Input, tt.approved.Agent, tt.other.Input, tt.other.Agent, d.Effect, d.Rule, rules)
			}
		})
	}
}

// TestAlwaysNeverAnswersAManagedAsk: the managed policy's ask is put to a
// person each time. "Always" is refused for it (and not offered on the
// terminal), while the same ask from the user's own policy may be approved
// always.
func TestAlwaysNeverAnswersAManagedAsk(t *testing.T) {
	asks := compilePolicy(t, "asks.yaml", "rules:\n  - {name: ask npm, command_pattern: npm, effect: ask}\ndefault: deny\n")
	for _, tt := range []struct {
		layer  string
		refuse bool
	}{{"managed", true}, {"user", false}} {
		req := shellRequest("", "npm", "run", "dev")
		d := policy.DecideLayers([]policy.Layer{{Name: tt.layer, Policy: asks}}, req)
		if d.Effect != action.Ask || d.Rule == nil || d.Rule.Layer != tt.layer {
			t.Fatalf("%s: %s by %+v, want an ask by the %s layer", tt.layer, d.Effect, d.Rule, tt.layer)
		}
		r := &approval.Record{ID: "k7f3q2xm9a", Input: req.Input, Request: req, Rule: d.Rule}
		if got := approval.ManagedAsk(r); got != tt.refuse {
			t.Errorf("%s: ManagedAsk %v, want %v", tt.layer, got, tt.refuse)
		}
		rules, err := approval.AlwaysRules(r, approval.Answer{Approve: true, Scope: approval.Always, Approver: "alice", Channel: "cli", Time: time.Now()})
		if tt.refuse {
			if err == nil || !strings.Contains(err.Error(), "managed policy") || !strings.Contains(err.Error(), "once or for the session") {
				t.Errorf("%s: always approval not refused: %v\n%s", tt.layer, err, rules)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tt.layer, err)
		}
		// Written for a user ask, the rule answers that ask...
		always := compilePolicy(t, "always.yaml", approval.AlwaysHeader+rules)
		if d := policy.DecideLayers([]policy.Layer{{Name: "user", Policy: asks}, {Name: "always", Policy: always}}, shellRequest("", "npm", "run", "dev")); d.Effect != action.Allow {
			t.Errorf("always rule does not answer the user's ask: %s", d.Effect)
		}
		// ...but not the same ask made by the managed policy.
		if d := policy.DecideLayers([]policy.Layer{{Name: "managed", Policy: asks}, {Name: "user", Policy: asks}, {Name: "always", Policy: always}}, shellRequest("", "npm", "run", "dev")); d.Effect != action.Ask {
			t.Errorf("always rule answers the managed policy's ask: %s", d.Effect)
		}
	}
}
