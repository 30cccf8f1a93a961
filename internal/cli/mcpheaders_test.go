package cli

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestUpstreamHeaders(t *testing.T) {
	e := testEnv(t)
	env := map[string]string{"TOKEN": "s3cret"}
	e.Getenv = func(k string) string { return env[k] }
	h, err := upstreamHeaders(e, []string{"Authorization: Bearer ${TOKEN}", "X-Team:  blue ", "x-team: red"})
	if err != nil {
		t.Fatal(err)
	}
	if got := h.Get("Authorization"); got != "Bearer s3cret" {
		t.Errorf("Authorization = %q", got)
	}
	if got := h.Values("X-Team"); len(got) != 2 || got[0] != "blue" || got[1] != "red" {
		t.Errorf("X-Team = %q", got)
	}
	for _, bad := range []struct{ flag, want string }{
		{"Authorization", `want "Name: value"`},
		{": x", `want "Name: value"`},
		{"Bad Name: x", "not a header name"},
		{"Authorization: Bearer ${NOPE}", "NOPE is not set"},
		{"X-A: a\x00b", "characters a header cannot carry"},
		{"Host: evil.example", "set by the MCP transport"},
		{"mcp-session-id: 1", "set by the MCP transport"},
	} {
		if _, err := upstreamHeaders(e, []string{bad.flag}); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: err %v, want %q", bad.flag, err, bad.want)
		}
	}
}

// The headers reach the upstream on every request, and the caller's
// request is not modified.
func TestUpstreamClientSendsHeaders(t *testing.T) {
	got := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get("Authorization")
	}))
	defer srv.Close()
	c := upstreamClient(http.Header{"Authorization": {"Bearer t"}})
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, srv.URL, nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if a := <-got; a != "Bearer t" {
		t.Errorf("upstream saw Authorization %q", a)
	}
	if req.Header.Get("Authorization") != "" {
		t.Error("the caller's request was modified")
	}
}

func TestMCPHeaderNeedsUpstream(t *testing.T) {
	e := testEnv(t)
	var out strings.Builder
	e.Stderr = &out
	if code := runMCP(context.Background(), e, []string{"--header", "A: b", "--", "true"}); code != exitUsage && code != 2 {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(out.String(), "--header is for an --upstream server") {
		t.Errorf("stderr: %s", out.String())
	}
}

func TestCleartextCredentials(t *testing.T) {
	auth := http.Header{"Authorization": {"Bearer t"}}
	for _, tc := range []struct {
		url  string
		h    http.Header
		want bool
	}{
		{"http://mcp.example.com/mcp", auth, true},
		{"http://user:pw@mcp.example.com/mcp", nil, true},
		{"http://10.0.0.5:8080/mcp", auth, true},
		{"https://mcp.example.com/mcp", auth, false},
		{"http://mcp.example.com/mcp", nil, false},
		{"http://127.0.0.1:8080/mcp", auth, false},
		{"http://[::1]:8080/mcp", auth, false},
		{"http://localhost:8080/mcp", auth, false},
	} {
		u, err := url.Parse(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		if got := cleartextCredentials(u, tc.h); got != tc.want {
			t.Errorf("%s %v: %v, want %v", tc.url, tc.h, got, tc.want)
		}
	}
}
