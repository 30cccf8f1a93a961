package cli

import (
	"fmt"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// upstreamHeaders parses --header "Name: value" flags for an HTTP upstream.
// ${VAR} in a value is taken from safeclaw's environment, so that a token
// need not be written into an agent's settings or shown by ps.
func upstreamHeaders(e *Env, flags []string) (http.Header, error) {
	h := http.Header{}
	for _, f := range flags {
		name, value, ok := strings.Cut(f, ":")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if !ok || name == "" {
			return nil, fmt.Errorf("--header %q: want \"Name: value\"", f)
		}
		if !httpguts.ValidHeaderFieldName(name) {
			return nil, fmt.Errorf("--header %q: %q is not a header name", f, name)
		}
		var missing []string
		value = os.Expand(value, func(v string) string {
			got := e.Getenv(v)
			if got == "" {
				missing = append(missing, v)
			}
			return got
		})
		if len(missing) > 0 {
			return nil, fmt.Errorf("--header %s: environment variable %s is not set or empty", name, strings.Join(missing, ", "))
		}
		if !httpguts.ValidHeaderFieldValue(value) {
			return nil, fmt.Errorf("--header %s: the value has characters a header cannot carry", name)
		}
		switch textproto.CanonicalMIMEHeaderKey(name) {
		case "Host", "Content-Length", "Content-Type", "Accept", "Mcp-Session-Id", "Mcp-Protocol-Version", "Connection", "Transfer-Encoding":
			return nil, fmt.Errorf("--header %s: set by the MCP transport itself", name)
		}
		h.Add(name, value)
	}
	return h, nil
}

// headerTransport adds fixed headers to every request to the upstream.
type headerTransport struct {
	base   http.RoundTripper
	header http.Header
}

func (t *headerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	for k, vs := range t.header {
		req.Header[k] = append([]string(nil), vs...)
	}
	return t.base.RoundTrip(req)
}

// upstreamClient is the HTTP client for an upstream MCP server.
func upstreamClient(h http.Header) *http.Client {
	if len(h) == 0 {
		return &http.Client{}
	}
	return &http.Client{Transport: &headerTransport{base: http.DefaultTransport, header: h}}
}

// cleartextCredentials reports credentials (headers, or a password in the
// URL) bound for another machine over plain HTTP.
func cleartextCredentials(u *url.URL, h http.Header) bool {
	if u.Scheme != "http" || (len(h) == 0 && u.User == nil) {
		return false
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); ip != nil {
		return !ip.IsLoopback()
	}
	return host != "localhost"
}
