package server

import (
	"strings"
	"testing"

	"github.com/safeclaw/safeclaw/action"
)

// TestNetworkTargetFieldsAgree: a network action names where it goes with
// "host", "addr" and "port". When two of them name different hosts or
// ports, deciding on one and ignoring the other judged another connection
// than the one described ({"host": "github.com", "addr": "evil.example:22"}
// was allowed by a rule for github.com); such a request is refused. A host
// or addr that carries its port is split, so the port is decided too.
func TestNetworkTargetFieldsAgree(t *testing.T) {
	h, g, _ := newTestHandler(t, nil)
	for _, a := range []string{
		`{"kind":"network.connect","host":"github.com","addr":"evil.example:22"}`,
		`{"kind":"network.connect","addr":"evil.example:22","port":443}`,
		`{"kind":"network.connect","host":"evil.example:22","port":443}`,
		`{"kind":"network.connect","host":"github.com:443","addr":"github.com:22"}`,
		`{"kind":"network.connect","addr":"github.com:22:33"}`,
		`{"kind":"network.connect","addr":"github.com:"}`,
		`{"kind":"network.connect","addr":"github.com:https"}`,
		`{"kind":"network.connect","addr":"github.com:99999"}`,
		`{"kind":"network.listen","host":"127.0.0.1:8080","port":9090}`,
	} {
		before := len(g.seen)
		code, m, raw := do(t, h, "POST", "/v1/decide", `{"action":`+a+`}`)
		if code != 400 || decisionOf(m) != "deny" {
			t.Errorf("%s: got %d %q, want 400 deny: %s", a, code, decisionOf(m), raw)
		}
		if len(g.seen) != before {
			t.Errorf("%s reached the DecideFunc", a)
		}
	}
	for _, tc := range []struct {
		action, host string
		port         int
	}{
		{`{"kind":"network.connect","host":"evil.example:22"}`, "evil.example", 22},
		{`{"kind":"network.connect","host":"[::1]:22"}`, "::1", 22},
		{`{"kind":"network.connect","host":"::1","port":22}`, "::1", 22},
		{`{"kind":"network.connect","addr":"::1"}`, "::1", 0},
		{`{"kind":"network.connect","addr":"[::1]:8080"}`, "::1", 8080},
		{`{"kind":"network.connect","addr":"github.com"}`, "github.com", 0},
		{`{"kind":"network.connect","addr":"github.com:443","port":443}`, "github.com", 443},
		{`{"kind":"network.connect","host":"GitHub.com","addr":"github.com.:443"}`, "github.com", 443},
		{`{"kind":"network.connect","host":"github.com","port":443}`, "github.com", 443},
		{`{"kind":"network.listen","port":8080}`, "", 8080},
		{`{"kind":"network.listen","addr":":8080"}`, "", 8080},
		{`{"kind":"network.listen","addr":"0.0.0.0:8080","port":8080}`, "0.0.0.0", 8080},
	} {
		code, m, raw := do(t, h, "POST", "/v1/decide", `{"action":`+tc.action+`}`)
		if code != 200 {
			t.Errorf("%s: got %d %q: %s", tc.action, code, decisionOf(m), raw)
			continue
		}
		var got []action.Action
		for _, f := range g.last().Actions() {
			if strings.HasPrefix(string(f.Kind), "network.") {
				got = append(got, f)
			}
		}
		if len(got) != 1 || got[0].Host != tc.host || got[0].Port != tc.port {
			t.Errorf("%s: decided on %+v, want host %q port %d", tc.action, got, tc.host, tc.port)
		}
	}
}
