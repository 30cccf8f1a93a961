package policy

import (
	"reflect"
	"testing"

	"github.com/safeclaw/safeclaw/action"
)

func TestHostNames(t *testing.T) {
	p := mustCompile(t, Options{}, `
rules:
  - {name: literal, action: network.connect, host: [API.Example.com., 10.0.0.0/8, "::1", 192.0.2.7], effect: allow}
  - {name: glob, action: network.connect, host: "*.example.org", effect: deny}
  - {name: kind glob, action: "network.*", host: [db.internal, api.example.com], effect: ask}
  - {name: other kind, action: http.request, host: web.example.net, effect: allow}
  - {name: listen, action: network.listen, host: lo.example, effect: deny}
default: deny
`)
	cases := []struct {
		kind action.Kind
		want []string
	}{
		{action.NetworkConnect, []string{"api.example.com", "db.internal"}},
		{action.NetworkListen, []string{"api.example.com", "db.internal", "lo.example"}},
		{action.HTTPRequest, []string{"web.example.net"}},
		{action.FileRead, nil},
	}
	for _, c := range cases {
		if got := p.HostNames(c.kind); !reflect.DeepEqual(got, c.want) {
			t.Errorf("HostNames(%s) = %q, want %q", c.kind, got, c.want)
		}
	}
}

// TestHostNameFacet: a connect to an address is decided by a host-name
// rule when the caller adds a facet carrying the name the address
// resolved from, with the usual first-match order.
func TestHostNameFacet(t *testing.T) {
	p := mustCompile(t, Options{}, `
rules:
  - {name: api, action: network.connect, host: api.example.com, port: 443, effect: allow}
  - {name: no connect, action: network.connect, effect: deny}
default: deny
`)
	conn := func(host string) action.Action {
		return action.Action{Kind: action.NetworkConnect, Host: host, Port: 443}
	}
	named := action.Part{Facets: []action.Action{conn("192.0.2.7"), conn("api.example.com")}}
	if d := p.Decide(request(named)); d.Effect != action.Allow || d.Rule == nil || d.Rule.Name != "api" {
		t.Errorf("named address: %+v", d)
	}
	bare := actionPart(conn("192.0.2.8"))
	if d := p.Decide(request(bare)); d.Effect != action.Deny || d.Rule == nil || d.Rule.Name != "no connect" {
		t.Errorf("unnamed address: %+v", d)
	}
}
