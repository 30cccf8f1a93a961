package policy

import (
	"reflect"
	"strings"
	"testing"

	"github.com/safeclaw/safeclaw/action"
)

func TestApprovalNeedsParseErrors(t *testing.T) {
	tests := []struct{ src, want string }{
		{"rules:\n  - {command_pattern: git, effect: allow, quorum: 2}\n", "2:51: quorum on a rule that never asks"},
		{"rules:\n  - {command_pattern: git, effect: deny, approvers: [alice]}\n", "on a rule that never asks"},
		{"rules:\n  - {command_pattern: git, effect: ask, quorum: 0}\n", "bad quorum 0"},
		{"rules:\n  - {command_pattern: git, effect: ask, quorum: 17}\n", "bad quorum 17"},
		{"rules:\n  - {command_pattern: git, effect: ask, quorum: two}\n", "quorum"},
		{"rules:\n  - {command_pattern: git, effect: ask, approvers: []}\n", "empty list"},
		{"rules:\n  - {command_pattern: git, effect: ask, approvers: [alice, alice]}\n", "listed twice"},
		{"rules:\n  - {command_pattern: git, effect: ask, approvers: [\"al*\"]}\n", "is a pattern"},
		{"rules:\n  - {command_pattern: git, effect: ask, approvers: [\" alice\"]}\n", "bad approver"},
		{"rules:\n  - {command_pattern: git, effect: ask, quorum: 3, approvers: [alice, bob]}\n", "nobody could approve"},
		{"rules:\n  - {command_pattern: git, effect: ask, quorom: 2}\n", `did you mean "quorum"`},
		// One name that reads as two: nobody has it, so nobody could approve.
		{"rules:\n  - {command_pattern: git, effect: ask, approvers: \"alice, bob\"}\n", "write a list"},
		{"rules:\n  - command_pattern: git\n    effect: ask\n    approvers: alice bob\n", "write a list"},
		{"rules:\n  - {command_pattern: git, effect: ask, approvers: [\"alice\\tbob\"]}\n", "bad approver"},
	}
	for _, tt := range tests {
		_, err := Parse("p.yaml", []byte(tt.src))
		if err == nil {
			t.Errorf("%q parsed", tt.src)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %q does not say %q", tt.src, err, tt.want)
		}
	}
}

func TestApprovalNeedsDecide(t *testing.T) {
	p := mustCompile(t, Options{}, `
rules:
  - {name: two for deploys, command_pattern: "kubectl apply", effect: ask, quorum: 2, approvers: [alice, bob, carol]}
  - {name: ops for pushes, command_pattern: "git push", effect: allow, approvers: ops, conditions: {human_approval: required}}
  - {name: bob and dave, command_pattern: "helm install", effect: ask, approvers: [bob, dave]}
  - {name: plain ask, command_pattern: curl, effect: ask}
  - {name: quorum one, command_pattern: wget, effect: ask, quorum: 1}
  - {name: allow ls, command_pattern: ls, effect: allow}
`)
	tests := []struct {
		name   string
		req    *action.Request
		effect action.Effect
		needs  *action.ApprovalNeeds
	}{
		{"quorum and approvers", request(shellPart("kubectl apply -f x")), action.Ask,
			&action.ApprovalNeeds{Quorum: 2, Approvers: []string{"alice", "bob", "carol"}}},
		{"human_approval with one approver", request(shellPart("git push")), action.Ask,
			&action.ApprovalNeeds{Quorum: 1, Approvers: []string{"ops"}}},
		{"a plain ask needs nothing more", request(shellPart("curl x")), action.Ask, nil},
		{"quorum 1 without approvers is a plain ask", request(shellPart("wget x")), action.Ask, nil},
		{"an allowed part adds nothing", request(shellPart("ls"), shellPart("kubectl apply")), action.Ask,
			&action.ApprovalNeeds{Quorum: 2, Approvers: []string{"alice", "bob", "carol"}}},
		{"asking parts merge: larger quorum, common approvers", request(shellPart("curl x"), shellPart("git push"), shellPart("wget x")), action.Ask,
			&action.ApprovalNeeds{Quorum: 1, Approvers: []string{"ops"}}},
		{"a quorum larger than the common approvers: deny", request(shellPart("kubectl apply"), shellPart("helm install")), action.Deny, nil},
		{"approvers in common: none, so deny", request(shellPart("git push"), shellPart("helm install")), action.Deny, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := p.Decide(tt.req)
			if d.Effect != tt.effect {
				t.Fatalf("effect %v (%s), want %v", d.Effect, d.Reason, tt.effect)
			}
			if !reflect.DeepEqual(d.Approval, tt.needs) {
				t.Errorf("needs %+v, want %+v", d.Approval, tt.needs)
			}
		})
	}
}

func TestApprovalNeedsLayers(t *testing.T) {
	managed := mustCompile(t, Options{}, "rules:\n  - {name: admins for deploys, command_pattern: \"kubectl apply\", effect: ask, approvers: [root, alice]}\n")
	user := mustCompile(t, Options{}, "rules:\n  - {name: two for deploys, command_pattern: \"kubectl apply\", effect: ask, quorum: 2}\n  - {name: ask curl, command_pattern: curl, effect: ask, approvers: [alice]}\n")
	always := mustCompile(t, Options{}, "rules:\n  - {name: always, command_pattern: [\"kubectl apply\", curl], effect: allow}\n")
	layers := []Layer{{Name: "managed", Policy: managed}, {Name: "user", Policy: user}, {Name: "always", Policy: always}}

	d := DecideLayers(layers, request(shellPart("kubectl apply")))
	want := &action.ApprovalNeeds{Quorum: 2, Approvers: []string{"root", "alice"}}
	if d.Effect != action.Ask || !reflect.DeepEqual(d.Approval, want) {
		t.Errorf("layers: %v %+v, want ask %+v", d.Effect, d.Approval, want)
	}
	// An "always" rule answers a plain ask only: one person's always does
	// not stand in for the approvers a rule names.
	if d := DecideLayers(layers, request(shellPart("curl x"))); d.Effect != action.Ask || !d.Approval.Restricted() {
		t.Errorf("always overrode a restricted ask: %v %+v", d.Effect, d.Approval)
	}
	plain := mustCompile(t, Options{}, "rules:\n  - {name: ask curl, command_pattern: curl, effect: ask}\n")
	if d := DecideLayers([]Layer{{Name: "user", Policy: plain}, {Name: "always", Policy: always}}, request(shellPart("curl x"))); d.Effect != action.Allow {
		t.Errorf("always did not answer a plain ask: %v", d.Effect)
	}
}

func TestApprovalNeedsCanon(t *testing.T) {
	a := mustCompile(t, Options{}, "rules:\n  - {command_pattern: git, effect: ask}\n")
	b := mustCompile(t, Options{}, "rules:\n  - {command_pattern: git, effect: ask, quorum: 2}\n")
	if a.Hash() == b.Hash() {
		t.Error("a quorum does not change the policy hash, so an approval could outlive it")
	}
	if ri := b.Rules()[0]; ri.Quorum != 2 {
		t.Errorf("rule info quorum %d", ri.Quorum)
	}
}

func TestHostLegacyIPv4Spellings(t *testing.T) {
	p := mustCompile(t, Options{}, `
rules:
  - {name: no internal, action: network.connect, host: [10.0.0.0/8, 169.254.0.0/16, 127.0.0.0/8], effect: deny}
  - {name: no metadata name, action: network.connect, host: "169.254.*", effect: deny}
default: allow
`)
	for host, want := range map[string]action.Effect{
		"10.0.0.1": action.Deny, "167772161": action.Deny, "0x0a000001": action.Deny, "2852039166": action.Deny,
		"0251.0376.0251.0376": action.Deny, "127.1": action.Deny, "012.0.0.1": action.Deny, "10.1": action.Deny,
		"8.8.8.8": action.Allow, "example.com": action.Allow, "134744072": action.Allow, "1.2.3.4.5": action.Allow,
		"0x": action.Allow, "99999999999": action.Allow,
	} {
		d := p.Decide(request(actionPart(action.Action{Kind: action.NetworkConnect, Host: host, Port: 80})))
		if d.Effect != want {
			t.Errorf("%s: %v (%s), want %v", host, d.Effect, d.Reason, want)
		}
	}
}

func TestPatternAndProgramMustAgree(t *testing.T) {
	if _, err := Parse("p.yaml", []byte("rules:\n  - {command_pattern: ls, program: cat, effect: deny}\n")); err == nil || !strings.Contains(err.Error(), "can match nothing") {
		t.Errorf("ls with program cat: %v", err)
	}
	for _, ok := range []string{
		"rules:\n  - {command_pattern: ls, program: ls, effect: deny}\n",
		"rules:\n  - {command_pattern: [ls, cat], program: cat, effect: deny}\n",
		"rules:\n  - {command_pattern: \"python3 -m http.server\", program: \"python*\", effect: deny}\n",
		"rules:\n  - {command_pattern: \"* --force\", program: git, effect: deny}\n",
	} {
		if _, err := Parse("p.yaml", []byte(ok)); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
}
