package classify

import (
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/net/idna"

	"github.com/safeclaw/safeclaw/action"
)

// fetchParts gates a URL fetch: one part per URL with an http.request facet
// and a network.connect facet to its host and port.
// The second result is the call's display text: the tool and its URLs.
//
// Every URL the call holds is gated: its url (or urls), and for Gemini's
// web_fetch, which reads the URLs out of its prompt, those in the prompt
// as well, even beside a url argument (whichever the tool reads, it is
// checked).
func fetchParts(c Call, in args) ([]action.Part, string) {
	var urls []string
	seen := map[string]bool{}
	add := func(u string) {
		if u != "" && !seen[u] {
			seen[u] = true
			urls = append(urls, u)
		}
	}
	for _, k := range []string{"url", "urls"} {
		list, _ := in.strs(k)
		for _, u := range list {
			add(u)
		}
	}
	if p, ok := in.str("prompt"); ok && c.Tool == "web_fetch" {
		for _, u := range urlsInText(p) {
			add(u)
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
// prompt) the way Gemini CLI does: the text is split at white space (as
// JavaScript's \s, U+FEFF included), and a word holding a URL is one URL
// up to its end. safeclaw takes it from its http:// or https:// (in any
// letter case; not where a letter or digit before it makes the scheme
// another one), without trailing punctuation or quotes. A quote or bracket
// inside the word stays: http://a.example"@169.254.169.254/ is one URL to
// Gemini (its host the address), and one safeclaw cannot read (denied), not
// http://a.example.
func urlsInText(text string) []string {
	var urls []string
	for _, word := range strings.FieldsFunc(text, func(r rune) bool { return unicode.IsSpace(r) || r == '\ufeff' }) {
		for i := 0; i+len("http://") <= len(word); i++ {
			n := 0
			switch {
			case hasPrefixFold(word[i:], "https://"):
				n = len("https://")
			case hasPrefixFold(word[i:], "http://"):
				n = len("http://")
			}
			if n == 0 || (i > 0 && isSchemeByte(word[i-1])) {
				continue
			}
			if u := strings.TrimRight(word[i:], ".,;:!?)]}\"'`>"); len(u) > n {
				urls = append(urls, u)
			}
			break
		}
	}
	return urls
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// isSchemeByte reports whether c can precede "http" inside one URL scheme.
func isSchemeByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'
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
	host, note, ok := normalizeHost(u.Hostname())
	if !ok {
		return unknown(c, in, "URL whose host cannot be read ("+note+"): "+strconvQuote(raw))
	}
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
//
// A host with non-ASCII characters is mapped the way URL clients (WHATWG
// URL, Node's fetch) map it before they resolve it (UTS #46: full-width
// letters and digits, the ideographic full stop, letter case), then written
// in its ASCII (punycode) form: "ＥＸＡＭＰＬＥ.com" is example.com,
// "１２７。０。０。１" is 127.0.0.1, and "пример.рф" is xn--e1afmkfd.xn--p1ai,
// so a rule on the host sees every spelling of it. A host that cannot be
// mapped is returned lower-cased, with a note saying so.
func NormalizeHost(h string) (host, note string) {
	host, note, ok := normalizeHost(h)
	if !ok {
		return strings.ToLower(strings.TrimSpace(h)), note
	}
	return host, note
}

// normalizeHost is [NormalizeHost]; ok is false when a non-ASCII host
// cannot be mapped to the ASCII name a client would resolve.
func normalizeHost(h string) (host, note string, ok bool) {
	h = strings.TrimSpace(h)
	if !isASCII(h) {
		mapped, err := idnaLookup.ToASCII(strings.TrimSuffix(strings.TrimPrefix(h, "["), "]"))
		if err != nil || mapped == "" || !isASCII(mapped) {
			return "", "host name that cannot be mapped to ASCII (IDNA)", false
		}
		h = mapped
	}
	h = strings.TrimSuffix(strings.ToLower(h), ".")
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	if h == "" {
		return "", "", true
	}
	addr, err := netip.ParseAddr(h)
	if err != nil {
		if v4, ok := parseIPv4Loose(h); ok {
			addr, err = v4, nil
		}
	}
	if err != nil {
		if h == "localhost" || strings.HasSuffix(h, ".localhost") {
			return h, "loopback address", true
		}
		return h, "", true
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
	return addr.String(), note, true
}

// idnaLookup maps a host as WHATWG URL's "domain to ASCII" does with
// beStrict false: UTS #46 mapping, nontransitional, no STD3 or hyphen or
// DNS-length checks, joiner and bidi checks on.
var idnaLookup = idna.New(idna.MapForLookup(), idna.Transitional(false), idna.StrictDomainName(false),
	idna.CheckHyphens(false), idna.CheckJoiners(true), idna.BidiRule(), idna.VerifyDNSLength(false))

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
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
