package classify

import (
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/safeclaw/safeclaw/action"
)

// fetchParts gates a URL fetch: one part per URL with an http.request facet
// and a network.connect facet to its host and port.
// The second result is the call's display text: the tool and its URLs.
func fetchParts(c Call, in args) ([]action.Part, string) {
	var urls []string
	if u, ok := in.str("url"); ok && u != "" {
		urls = append(urls, u)
	}
	if len(urls) == 0 {
		if p, ok := in.str("prompt"); ok && c.Tool == "web_fetch" {
			urls = append(urls, urlsInText(p)...)
		}
	}
	if len(urls) == 0 {
		return []action.Part{unknown(c, in, "fetch call without a URL")}, ""
	}
	parts := make([]action.Part, 0, len(urls))
	for _, raw := range urls {
		parts = append(parts, urlPart(c, in, raw))
	}
	return parts, c.Tool + " " + strings.Join(urls, " ")
}

// urlsInText finds the http and https URLs in free text (Gemini's web_fetch
// prompt): each runs from its scheme to the next space, quote or angle
// bracket, without trailing punctuation.
func urlsInText(text string) []string {
	var urls []string
	lower := strings.ToLower(text)
	for i := 0; i < len(lower); {
		j := strings.Index(lower[i:], "http")
		if j < 0 {
			break
		}
		start := i + j
		rest := lower[start:]
		n := 0
		switch {
		case strings.HasPrefix(rest, "https://"):
			n = len("https://")
		case strings.HasPrefix(rest, "http://"):
			n = len("http://")
		}
		if n == 0 || (start > 0 && isWordByte(lower[start-1])) {
			i = start + 4
			continue
		}
		end := start + n
		for end < len(text) && !strings.ContainsRune(" \t\r\n<>\"'`", rune(text[end])) {
			end++
		}
		if u := strings.TrimRight(text[start:end], ".,;:!?)]}"); len(u) > n {
			urls = append(urls, u)
		}
		i = end
	}
	return urls
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_'
}

// urlPart classifies one URL. A URL that parsers could read differently
// (backslashes, whitespace, control characters) or that has no host is
// tool.<name>: safeclaw will not guess which host the agent reaches.
func urlPart(c Call, in args, raw string) action.Part {
	if p, ok := fileURLPath(raw); ok {
		return fileFacet(c, in, action.FileRead, CanonicalPath(p, c.Cwd, c.Home), "fetch of "+raw)
	}
	if strings.ContainsAny(raw, "\\\t\r\n ") || strings.IndexFunc(raw, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
		return unknown(c, in, "URL with characters parsers disagree on: "+strconvQuote(raw))
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return unknown(c, in, "URL without a host: "+strconvQuote(raw))
	}
	host, note := NormalizeHost(u.Hostname())
	if host == "" {
		return unknown(c, in, "URL without a host: "+strconvQuote(raw))
	}
	port := defaultPort(strings.ToLower(u.Scheme))
	if ps := u.Port(); ps != "" {
		n, err := strconv.Atoi(ps)
		if err != nil || n < 0 || n > 65535 {
			return unknown(c, in, "URL with a bad port: "+strconvQuote(raw))
		}
		port = n
	}
	return action.Part{Facets: []action.Action{
		{Kind: action.HTTPRequest, URL: raw, Host: host, Port: port, Tool: c.Tool, Args: in.any(), Detail: note},
		{Kind: action.NetworkConnect, Host: host, Port: port, Tool: c.Tool, Detail: note},
	}}
}

func defaultPort(scheme string) int {
	switch scheme {
	case "http", "ws":
		return 80
	case "https", "wss":
		return 443
	case "ftp":
		return 21
	}
	return 0
}

// fileURLPath returns the path of a file: URL.
func fileURLPath(raw string) (string, bool) {
	if len(raw) < 5 || !strings.EqualFold(raw[:5], "file:") {
		return "", false
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Host != "" && u.Host != "localhost") || u.Path == "" {
		return "", false
	}
	return u.Path, true
}

// NormalizeHost lower-cases a host name and rewrites every spelling of an IP
// address to its canonical form, reading IPv4 the way browsers and
// WHATWG-URL clients do (inet_aton style: 2852039166, 0xA9FEA9FE, 0251.0376.0251.0376
// and 169.254.43518 are all 169.254.169.254; IPv4-mapped IPv6 becomes IPv4).
// The note says what kind of address it is when that matters to a policy
// (loopback, link-local/metadata, private), else "".
func NormalizeHost(h string) (host, note string) {
	h = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(h)), ".")
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	if h == "" {
		return "", ""
	}
	addr, err := netip.ParseAddr(h)
	if err != nil {
		if v4, ok := parseIPv4Loose(h); ok {
			addr, err = v4, nil
		}
	}
	if err != nil {
		if h == "localhost" || strings.HasSuffix(h, ".localhost") {
			return h, "loopback address"
		}
		return h, ""
	}
	addr = addr.Unmap().WithZone("")
	switch {
	case addr.IsLoopback():
		note = "loopback address"
	case addr.IsLinkLocalUnicast() || addr == netip.MustParseAddr("fd00:ec2::254"):
		note = "link-local address (cloud metadata service)"
	case addr.IsPrivate():
		note = "private network address"
	case addr.IsUnspecified():
		note = "unspecified address"
	}
	return addr.String(), note
}

// parseIPv4Loose reads the IPv4 spellings WHATWG URL parsers accept: one to
// four dot-separated numbers, each decimal, octal (leading 0) or hex (0x),
// the last filling the remaining bytes.
func parseIPv4Loose(h string) (netip.Addr, bool) {
	fields := strings.Split(h, ".")
	if len(fields) > 1 && fields[len(fields)-1] == "" {
		fields = fields[:len(fields)-1]
	}
	if len(fields) == 0 || len(fields) > 4 {
		return netip.Addr{}, false
	}
	nums := make([]uint64, len(fields))
	for i, f := range fields {
		n, ok := parseIPv4Number(f)
		if !ok {
			return netip.Addr{}, false
		}
		nums[i] = n
	}
	for _, n := range nums[:len(nums)-1] {
		if n > 255 {
			return netip.Addr{}, false
		}
	}
	last := nums[len(nums)-1]
	if last >= 1<<(8*(5-len(nums))) {
		return netip.Addr{}, false
	}
	var v uint64
	for i, n := range nums[:len(nums)-1] {
		v |= n << (8 * (3 - i))
	}
	v |= last
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true
}

func parseIPv4Number(s string) (uint64, bool) {
	if s == "" {
		return 0, false
	}
	base := 10
	switch {
	case len(s) >= 2 && (s[:2] == "0x" || s[:2] == "0X"):
		s, base = s[2:], 16
		if s == "" {
			return 0, true
		}
	case len(s) >= 2 && s[0] == '0':
		s, base = s[1:], 8
	}
	n, err := strconv.ParseUint(s, base, 64)
	if err != nil || n > 1<<32 {
		return 0, false
	}
	return n, true
}
