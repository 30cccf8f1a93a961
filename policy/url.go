package policy

import (
	"strings"

	"github.com/safeclaw/safeclaw/action"
)

// URLs are matched both as written and in the form the server reads them:
// the scheme and host in lower case, without user info, a default port, a
// trailing dot on the host or percent-escapes of plain characters, with an
// empty path as "/" and the dot segments of the path resolved. Otherwise a
// deny for https://evil.com/* would miss HTTPS://EVIL.com:443/x,
// https://me@evil.com./x or https://evil.com/ok/../x, which all fetch from
// evil.com. A deny or ask rule matches when either form matches; an allow
// rule only when both do, so neither form widens an allow.

// defaultPort is the port a scheme implies, or "".
func defaultPort(scheme string) string {
	switch scheme {
	case "http", "ws":
		return "80"
	case "https", "wss":
		return "443"
	case "ftp":
		return "21"
	}
	return ""
}

// matchURL reports whether the rule's url globs match URL u (see above).
func (r *rule) matchURL(u string) bool { return r.matchURLForms(r.urls, r.urlsCanon, u) }

// matchURI is matchURL for uri globs (MCP resource URIs: file:///etc/x is
// file:///etc/y/../x and file://localhost/etc/x too).
func (r *rule) matchURI(u string) bool { return r.matchURLForms(r.uris, r.urisCanon, u) }

func (r *rule) matchURLForms(raw, canon []glob, u string) bool {
	c, ok := canonicalURL(u)
	if r.effect == action.Allow {
		return matchGlobs(raw, u) && (!ok || matchGlobs(canon, c))
	}
	return matchGlobs(raw, u) || (ok && matchGlobs(canon, c))
}

// splitURL cuts an absolute URL into its scheme, authority and the rest
// (path, query and fragment). ok is false when s has no "scheme://".
func splitURL(s string) (scheme, auth, rest string, ok bool) {
	i := strings.Index(s, "://")
	if i <= 0 {
		return "", "", "", false
	}
	scheme = s[:i]
	for j := 0; j < len(scheme); j++ {
		c := scheme[j]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || j > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return "", "", "", false
		}
	}
	auth = s[i+3:]
	if k := strings.IndexAny(auth, "/?#"); k >= 0 {
		auth, rest = auth[:k], auth[k:]
	}
	return scheme, auth, rest, true
}

// canonicalURL returns u in the form the server reads it (see above), and
// false when u is not an absolute URL it can read. It allocates only when
// u is not canonical already.
func canonicalURL(u string) (string, bool) {
	scheme, auth, rest, ok := splitURL(u)
	if !ok {
		return u, false
	}
	lscheme := strings.ToLower(scheme)
	host, port, ok := canonicalAuthority(lscheme, auth)
	if !ok {
		return u, false
	}
	path, query := rest, ""
	if k := strings.IndexAny(rest, "?#"); k >= 0 {
		path, query = rest[:k], rest[k:]
	}
	// Decoding "%7%41" makes "%7A": decode until nothing changes, so the
	// canonical form is its own canonical form.
	for d := decodeUnreserved(path); d != path; d = decodeUnreserved(path) {
		path = d
	}
	path = removeDotSegments(path)
	if path == "" {
		path = "/"
	}
	if lscheme == scheme && sameAuthority(auth, host, port) && path == rest[:len(rest)-len(query)] {
		return u, true
	}
	var b strings.Builder
	b.Grow(len(u) + 1)
	b.WriteString(lscheme)
	b.WriteString("://")
	b.WriteString(host)
	if port != "" {
		b.WriteByte(':')
		b.WriteString(port)
	}
	b.WriteString(path)
	b.WriteString(query)
	return b.String(), true
}

// sameAuthority reports whether auth is written host[:port] already.
func sameAuthority(auth, host, port string) bool {
	if port == "" {
		return auth == host
	}
	return len(auth) == len(host)+1+len(port) && auth[:len(host)] == host && auth[len(host)] == ':' && auth[len(host)+1:] == port
}

// canonicalAuthority returns the host (lower case, without user info,
// percent-escapes or a trailing dot; a legacy IPv4 spelling as dotted
// decimal) and the port ("" when absent or the scheme's default).
func canonicalAuthority(scheme, auth string) (host, port string, ok bool) {
	if at := strings.LastIndexByte(auth, '@'); at >= 0 {
		auth = auth[at+1:]
	}
	host = auth
	if strings.HasPrefix(auth, "[") {
		j := strings.IndexByte(auth, ']')
		if j < 0 {
			return "", "", false
		}
		host, port = auth[:j+1], auth[j+1:]
		if port != "" {
			if port[0] != ':' {
				return "", "", false
			}
			port = port[1:]
		}
	} else if j := strings.LastIndexByte(auth, ':'); j >= 0 {
		host, port = auth[:j], auth[j+1:]
		if strings.Contains(host, ":") {
			return "", "", false // an IPv6 address must be in brackets
		}
	}
	if strings.Contains(host, "%") && !strings.HasPrefix(host, "[") {
		d, ok := percentDecode(host)
		if !ok || strings.ContainsAny(d, "%@:/?#[]\\ ") || strings.ContainsFunc(d, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return "", "", false // not a host name once decoded
		}
		host = d
	}
	host = strings.TrimRight(strings.ToLower(host), ".")
	if a, ok := legacyIPv4(host); ok {
		host = a.String()
	}
	if scheme == "file" && host == "localhost" {
		host = "" // file://localhost/p is file:///p
	}
	if port != "" {
		if !allDigits(port) {
			return "", "", false
		}
		// 0443 is 443 (leading zeros are ignored).
		if port = strings.TrimLeft(port, "0"); port == "" {
			port = "0"
		}
		if port == defaultPort(scheme) {
			port = ""
		}
	}
	return host, port, true
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// percentDecode decodes every %XX; ok is false for a bad escape.
func percentDecode(s string) (string, bool) {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b = append(b, s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", false
		}
		h, ok1 := unhex(s[i+1])
		l, ok2 := unhex(s[i+2])
		if !ok1 || !ok2 {
			return "", false
		}
		b = append(b, h<<4|l)
		i += 2
	}
	return string(b), true
}

// decodeUnreserved decodes the percent-escapes of characters that mean the
// same escaped or not (letters, digits, '-', '.', '_', '~'). It returns s
// itself when there is none.
func decodeUnreserved(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b []byte
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			h, ok1 := unhex(s[i+1])
			l, ok2 := unhex(s[i+2])
			if c := h<<4 | l; ok1 && ok2 && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
				if b == nil {
					b = append(make([]byte, 0, len(s)), s[:i]...)
				}
				b = append(b, c)
				i += 2
				continue
			}
		}
		if b != nil {
			b = append(b, s[i])
		}
	}
	if b == nil {
		return s
	}
	return string(b)
}

// removeDotSegments resolves "." and ".." segments of a URL path as a
// client does before sending it (RFC 3986, 5.2.4). It returns p itself when
// there is none.
func removeDotSegments(p string) string {
	if !hasDotSegment(p) {
		return p
	}
	var out []string
	segs := strings.Split(p, "/")
	for i, s := range segs {
		last := i == len(segs)-1
		switch s {
		case ".":
			if last {
				out = append(out, "")
			}
		case "..":
			if len(out) > 1 {
				out = out[:len(out)-1]
			}
			if last {
				out = append(out, "")
			}
		default:
			out = append(out, s)
		}
	}
	r := strings.Join(out, "/")
	if strings.HasPrefix(p, "/") && !strings.HasPrefix(r, "/") {
		r = "/" + r
	}
	return r
}

func hasDotSegment(p string) bool {
	for start := 0; start <= len(p); {
		end := strings.IndexByte(p[start:], '/')
		if end < 0 {
			end = len(p)
		} else {
			end += start
		}
		if s := p[start:end]; s == "." || s == ".." {
			return true
		}
		start = end + 1
	}
	return false
}

// canonicalURLGlob puts a url glob in the canonical form of the URLs it is
// matched against: scheme and host in lower case and, where the authority
// is written out without '*', without user info, a default port or a
// trailing dot; an empty path as "/"; plain characters unescaped.
func canonicalURLGlob(g string) string {
	scheme, auth, rest, ok := splitURL(g)
	if !ok {
		return g
	}
	scheme = strings.ToLower(scheme)
	if strings.Contains(auth, "*") {
		auth = strings.ToLower(auth)
	} else if host, port, ok := canonicalAuthority(scheme, auth); ok {
		auth = host
		if port != "" {
			auth += ":" + port
		}
	}
	if rest == "" && !strings.HasSuffix(auth, "*") || strings.HasPrefix(rest, "?") || strings.HasPrefix(rest, "#") {
		rest = "/" + rest
	}
	return scheme + "://" + auth + decodeUnreserved(rest)
}
