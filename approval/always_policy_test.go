package approval_test

import (
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
