package config

import (
	"strings"
	"testing"
)

// Webhook headers the HTTP client would refuse, or send other than as
// written, are load errors: before, each was accepted and the delivery
// failed (or carried one of two Authorization values, chosen at random)
// when nobody was looking.
func TestWebhookHeaders(t *testing.T) {
	const head = "approvals:\n  webhooks:\n  - name: relay\n    url: https://relay.example/hook\n    headers:\n"
	for _, c := range []struct{ headers, want string }{
		{"      Authorization: a\n      authorization: b\n",
			`config.yaml:7:7: webhook "relay": duplicate header "authorization" (header names are case-insensitive; "Authorization" is at line 6)`},
		{"      \"Bad Name\": x\n",
			`config.yaml:6:7: webhook "relay": header name "Bad Name" is not a valid HTTP header name (use letters, digits and - only, e.g. X-Team-Token)`},
		{"      \"X-Team:\": x\n", `header name "X-Team:" is not a valid HTTP header name`},
		{"      \"\": x\n", `config.yaml:6:7: webhook "relay": header name is empty`},
		{"      X-Val: \"a\\r\\nInjected: 1\"\n",
			`config.yaml:6:14: webhook "relay": header X-Val: the value has the control character U+000D at byte 1 (a header value is one line of text)`},
		{"      X-Val: |\n        two\n        lines\n", `header X-Val: the value has the control character U+000A at byte 3`},
		{"      Content-Type: text/plain\n",
			`config.yaml:6:7: webhook "relay": header name "Content-Type" is set by safeclaw on every delivery (remove it; sign deliveries with secret_file)`},
		{"      x-safeclaw-signature: forged\n", `header name "x-safeclaw-signature" is set by safeclaw on every delivery`},
		{"      Host: other.example\n", `header name "Host" is set by safeclaw`},
	} {
		_, err := Parse("config.yaml", []byte(head+c.headers))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q:\n got %v\nwant %q", c.headers, err, c.want)
		}
	}
	c, err := Parse("config.yaml", []byte(head+"      Authorization: \"Bearer x\"\n      X-Team_1: \"a\\tb\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if h := c.Approvals.Webhooks[0].Headers; h["Authorization"] != "Bearer x" || h["X-Team_1"] != "a\tb" {
		t.Errorf("headers = %v", h)
	}
}
