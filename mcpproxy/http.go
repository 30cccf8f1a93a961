package mcpproxy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// maxUpstreamBody bounds what is read of one HTTP response from the
// upstream that is not an event stream (the SDK bounds each event of a
// stream, at 16 MiB, but reads a JSON body whole).
const maxUpstreamBody = 32 << 20

// maxRequestBody bounds a downstream HTTP request's body.
const maxRequestBody = 8 << 20

// maxInFlight bounds the HTTP requests served at once; more are refused
// (503) before anything is decided or relayed, so that a runaway client
// cannot pile up calls on the upstream and approval waits without end.
const maxInFlight = 64

// HTTPOptions configure [Proxy.HTTPHandler].
type HTTPOptions struct {
	// Token, when set, must come with every request as
	// "Authorization: Bearer TOKEN"; others are refused (401) before
	// anything is decided.
	Token string
	// MaxInFlight bounds the requests served at once (0: maxInFlight).
	MaxInFlight int
	// BodyTimeout bounds the time a client takes to send a request's body
	// (0: bodyTimeout); the body is read whole before the request counts
	// against MaxInFlight, so slow clients cannot hold the slots.
	BodyTimeout time.Duration
}

// bodyTimeout is the default of HTTPOptions.BodyTimeout.
const bodyTimeout = 30 * time.Second

// Handler serves clients over streamable HTTP without a token; see
// [Proxy.HTTPHandler].
func (p *Proxy) Handler() http.Handler { return p.HTTPHandler(HTTPOptions{}) }

// HTTPHandler serves clients over streamable HTTP, statelessly (so clients
// of the 2026-07-28 era are accepted too). Requests from a browser page of
// another origin (Origin, Sec-Fetch-Site) are refused, and so, on a
// loopback listener, are requests for a host name that is not a loopback
// one (DNS rebinding; the SDK's check); with a token, requests without it.
func (p *Proxy) HTTPHandler(o HTTPOptions) http.Handler {
	var h http.Handler = mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return p.server },
		&mcp.StreamableHTTPOptions{Stateless: true, MaxRequestBodyBytes: maxRequestBody})
	h = withClientContext(h)
	n := o.MaxInFlight
	if n <= 0 {
		n = maxInFlight
	}
	h = limitInFlight(n, h)
	bt := o.BodyTimeout
	if bt <= 0 {
		bt = bodyTimeout
	}
	h = bodyFirst(maxRequestBody, bt, h)
	h = http.NewCrossOriginProtection().Handler(h)
	if o.Token != "" {
		h = bearer(o.Token, h)
	}
	return h
}

// limitInFlight serves at most n requests at once and refuses the others.
func limitInFlight(n int, next http.Handler) http.Handler {
	slots := make(chan struct{}, n)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case slots <- struct{}{}:
			defer func() { <-slots }()
			next.ServeHTTP(w, r)
		default:
			w.Header().Set("Retry-After", "1")
			http.Error(w, fmt.Sprintf("safeclaw mcp: %d requests are already in flight; try again", n), http.StatusServiceUnavailable)
		}
	})
}

// bodyFirst reads a request's body, at most limit bytes (more: 413),
// within timeout (after it: 408), before next sees the request: a client
// that sends its body slowly, or never finishes it, holds none of
// limitInFlight's slots and is cut off.
func bodyFirst(limit int64, timeout time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		rc := http.NewResponseController(w)
		bounded := rc.SetReadDeadline(time.Now().Add(timeout)) == nil
		body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
		switch {
		case err != nil && errors.Is(err, os.ErrDeadlineExceeded):
			w.Header().Set("Connection", "close")
			http.Error(w, fmt.Sprintf("safeclaw mcp: the request body did not arrive within %v", timeout), http.StatusRequestTimeout)
			return
		case err != nil:
			http.Error(w, "safeclaw mcp: reading the request body: "+err.Error(), http.StatusBadRequest)
			return
		case int64(len(body)) > limit:
			w.Header().Set("Connection", "close")
			http.Error(w, fmt.Sprintf("safeclaw mcp: the request body exceeds %d bytes", limit), http.StatusRequestEntityTooLarge)
			return
		}
		if bounded {
			_ = rc.SetReadDeadline(time.Time{})
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		next.ServeHTTP(w, r)
	})
}

// clientContextKey holds the HTTP request's own context. The SDK hands
// method handlers a context with the request's values but not its
// cancellation, so a client that goes away mid-call would leave its
// upstream call (or approval wait) running for nobody; the middleware
// ends the call's context when this one ends.
type clientContextKey struct{}

func withClientContext(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), clientContextKey{}, r.Context())))
	})
}

// tiedToClient returns ctx, ended also when the HTTP request that carried
// the call ends (the client went away), and its cancel function.
func tiedToClient(ctx context.Context) (context.Context, context.CancelFunc) {
	client, ok := ctx.Value(clientContextKey{}).(context.Context)
	if !ok {
		return ctx, func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(client, cancel)
	return ctx, func() { stop(); cancel() }
}

// bearer refuses requests that do not carry token.
func bearer(token string, next http.Handler) http.Handler {
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, got, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		sum := sha256.Sum256([]byte(strings.TrimSpace(got)))
		if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="safeclaw mcp"`)
			http.Error(w, "safeclaw mcp: a bearer token is required", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// upstreamClient is the proxy's copy of the HTTP client for an upstream:
// a redirect is followed only to the same origin (scheme, host and port),
// so that neither the request nor the credentials a client's transport
// adds to every request (--header) go to another server or over plain
// HTTP; and a response that is not an event stream is read up to
// maxUpstreamBody.
func upstreamClient(c *http.Client) *http.Client {
	if c == nil {
		c = http.DefaultClient
	}
	cp := *c
	base := cp.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	cp.Transport = limitTransport{base}
	check := c.CheckRedirect
	cp.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		first := via[0].URL
		if req.URL.Scheme != first.Scheme || !strings.EqualFold(req.URL.Host, first.Host) {
			return fmt.Errorf("safeclaw: the upstream MCP server %s redirected to another origin (%s); not followed", redactURL(first.String()), redactURL(req.URL.String()))
		}
		if check != nil {
			return check(req, via)
		}
		if len(via) >= 10 {
			return errors.New("safeclaw: the upstream MCP server redirected 10 times")
		}
		return nil
	}
	return &cp
}

// limitTransport bounds the bodies of responses that are not event streams.
type limitTransport struct{ base http.RoundTripper }

func (t limitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil || resp.Body == nil {
		return resp, err
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "text/event-stream" {
		resp.Body = &limitedBody{rc: resp.Body, left: maxUpstreamBody}
	}
	return resp, nil
}

// limitedBody fails a read past its limit (where io.LimitReader would end
// quietly and the SDK would read a cut message).
type limitedBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// A body of exactly the limit ends here; a longer one fails.
		var one [1]byte
		if n, err := b.rc.Read(one[:]); n == 0 && err != nil {
			return 0, err
		}
		return 0, fmt.Errorf("safeclaw: the upstream MCP server's response exceeds %d bytes", int64(maxUpstreamBody))
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }

// redactURL hides a password in a URL, for messages.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	return u.Redacted()
}
