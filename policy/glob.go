package policy

import (
	"fmt"
	"net/netip"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// glob is a compiled word glob: '*' matches any run of bytes (none included);
// every other byte matches itself. Matching never allocates.
type glob struct {
	pat  string
	lit  bool // no '*': plain comparison
	any  bool // exactly "*"
	fold bool // ASCII case-insensitive (hosts)
}

func newGlob(pat string, fold bool) glob {
	if fold {
		pat = strings.ToLower(pat)
	}
	return glob{pat: pat, lit: !strings.Contains(pat, "*"), any: pat == "*", fold: fold}
}

func (g *glob) match(s string) bool {
	switch {
	case g.any:
		return true
	case g.lit && !g.fold:
		return g.pat == s
	case g.lit:
		return len(g.pat) == len(s) && matchStar(g.pat, s, true)
	}
	return matchStar(g.pat, s, g.fold)
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

// matchStar reports whether s matches p, where '*' in p matches any bytes.
// It backtracks only to the most recent star, so it runs in O(len(p)·len(s)).
func matchStar(p, s string, fold bool) bool {
	px, sx := 0, 0
	starPx, starSx := -1, 0
	for px < len(p) || sx < len(s) {
		if px < len(p) {
			c := p[px]
			if c == '*' {
				starPx, starSx = px, sx
				px++
				continue
			}
			if sx < len(s) && (c == s[sx] || (fold && c == lower(s[sx]))) {
				px++
				sx++
				continue
			}
		}
		if starPx >= 0 && starSx < len(s) {
			starSx++
			px, sx = starPx+1, starSx
			continue
		}
		return false
	}
	return true
}

// pathGlob matches canonical absolute paths. '*' stays within one path
// segment, a "**" segment matches any number of segments (none included).
// A pattern that does not start with '/' matches at any depth ("**/" is
// implied), so ".env" matches every file named .env.
type pathGlob struct {
	raw    string
	head   []glob   // segments anchored at the start
	middle [][]glob // runs between "**"s, found leftmost
	tail   []glob   // segments anchored at the end
	star   bool     // the pattern contains "**"
	never  bool     // an expansion was unavailable (no workspace or home)
	why    string   // why never
	prefix string   // the literal leading directory, for ancestor checks ("" = none)
	abs    bool     // the pattern is anchored at / (after expansion)
	neg    bool     // written !GLOB: the paths it matches are left out of the rule
}

// checkPathGlob validates a path glob as written, before expansion.
func checkPathGlob(p string) (hint string, err error) {
	if p == "" {
		return "", fmt.Errorf("empty path glob")
	}
	rest := p
	for {
		i := strings.Index(rest, "$")
		if i < 0 {
			break
		}
		if !strings.HasPrefix(rest[i:], "${workspace}") {
			return "only ${workspace} and a leading ~ are expanded", fmt.Errorf("unknown variable in path glob %q", p)
		}
		rest = rest[i+len("${workspace}"):]
	}
	// ${workspace} is an absolute directory: it can only start the glob,
	// as a whole segment. Glued to other text (${workspace}-old/**) or
	// further in (/backup/${workspace}), it would silently match nothing.
	if i := strings.Index(p, "${workspace}"); i >= 0 {
		after := p[i+len("${workspace}"):]
		if i > 0 || strings.Contains(after, "${workspace}") {
			return "${workspace} is the workspace's absolute path: write it at the start, as in ${workspace}/**", fmt.Errorf("${workspace} not at the start of path glob %q", p)
		}
		if after != "" && after[0] != '/' {
			return "write ${workspace}/... for paths inside the workspace; name a sibling directory by its path", fmt.Errorf("${workspace} glued to other text in path glob %q", p)
		}
	}
	if strings.HasPrefix(p, "~") && !(p == "~" || strings.HasPrefix(p, "~/")) {
		return "only ~ (your home) is expanded, not ~user", fmt.Errorf("unsupported ~user in path glob %q", p)
	}
	if strings.Contains(strings.ReplaceAll(p, "${workspace}", ""), "{") {
		return "braces are not supported; use a list of paths", fmt.Errorf("unsupported '{' in path glob %q", p)
	}
	// The segments, in order (as strings.Split would give them, without
	// the slice).
	rest = strings.TrimPrefix(p, "/")
	for i := 0; ; i++ {
		s, after, more := strings.Cut(rest, "/")
		switch {
		case s == "" && !more && i > 0:
			return "remove the trailing '/'", fmt.Errorf("path glob %q ends with '/'", p)
		case s == "" && p != "/":
			return "", fmt.Errorf("empty segment ('//') in path glob %q", p)
		case s == "." || s == "..":
			return "paths are matched in canonical form; write the path without . and ..", fmt.Errorf("'%s' segment in path glob %q", s, p)
		case strings.Contains(s, "**") && s != "**":
			return "'**' must be a whole segment, as in dir/**/file; use '*' inside a segment", fmt.Errorf("bad '**' in path glob %q", p)
		}
		if !more {
			return "", nil
		}
		rest = after
	}
}

// compilePathGlob expands ${workspace} and ~ and compiles p (already checked).
// Hooks compile safeclaw's protected paths and the policy's path globs
// (when a decision first needs them), so it allocates little: the segments
// share one slice.
func compilePathGlob(p, workspace, home string) pathGlob {
	return compilePathGlobIn(p, workspace, home, nil)
}

// compilePathGlobIn is compilePathGlob taking the segments' storage from
// segBuf (see take; nil allocates), so that the globs Compile expands share
// a few blocks.
func compilePathGlobIn(p, workspace, home string, segBuf *[]glob) pathGlob {
	if glob, neg := strings.CutPrefix(p, "!"); neg {
		g := compilePathGlobIn(glob, workspace, home, segBuf)
		g.raw, g.neg = p, true
		return g
	}
	g := pathGlob{raw: p}
	expanded := p
	if strings.Contains(p, "${workspace}") {
		if workspace == "" {
			return pathGlob{raw: p, never: true, why: "${workspace} is unknown here (no workspace), so this path matches nothing"}
		}
		expanded = strings.ReplaceAll(expanded, "${workspace}", "\x00W")
	}
	if expanded == "~" || strings.HasPrefix(expanded, "~/") {
		if home == "" {
			return pathGlob{raw: p, never: true, why: "~ is unknown here (no home directory), so this path matches nothing"}
		}
		expanded = "\x00H" + expanded[1:]
	}
	absolute := strings.HasPrefix(expanded, "/") || strings.HasPrefix(expanded, "\x00")
	g.abs = absolute
	// Room for every segment: those of the pattern, of each expansion, and
	// an implied leading "**".
	marked := strings.IndexByte(expanded, 0) >= 0
	room := strings.Count(expanded, "/") + 2
	if marked {
		room += strings.Count(workspace, "/") + strings.Count(home, "/")
	}
	segs := take(segBuf, room)
	if !absolute {
		g.star = true
		segs = append(segs, glob{pat: "**"})
	}
	for rest := expanded; ; {
		s, after, more := strings.Cut(rest, "/")
		switch {
		case s == "":
		case s == "\x00W" || s == "\x00H":
			dir := workspace
			if s == "\x00H" {
				dir = home
			}
			// Expansions are literal segments: a '*' in a directory name
			// must not become a wildcard.
			for ds, dmore := path.Clean(dir), true; dmore; {
				var d string
				d, ds, dmore = strings.Cut(ds, "/")
				if d != "" {
					segs = append(segs, glob{pat: d, lit: true})
				}
			}
		case marked && (strings.Contains(s, "\x00W") || strings.Contains(s, "\x00H")):
			// ${workspace} glued to other text inside one segment: expand literally
			// and keep any wildcard of the rest.
			s = strings.ReplaceAll(s, "\x00W", workspace)
			s = strings.ReplaceAll(s, "\x00H", home)
			segs = append(segs, newGlob(s, false))
		case s == "**":
			g.star = true
			segs = append(segs, glob{pat: "**"})
		default:
			segs = append(segs, newGlob(s, false))
		}
		if !more {
			break
		}
		rest = after
	}
	// Split into head ** middle ** ... ** tail: runs of segs between the
	// "**"s, sharing segs' storage (nothing appends to them later).
	isStar := func(s glob) bool { return s.pat == "**" && !s.lit }
	first, last := -1, -1
	for i, s := range segs {
		if isStar(s) {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		g.head = segs[:len(segs):len(segs)]
	} else {
		g.head = segs[:first:first]
		g.tail = segs[last+1 : len(segs) : len(segs)]
		for i := first; i < last; {
			j := i + 1
			for !isStar(segs[j]) {
				j++
			}
			if j > i+1 {
				g.middle = append(g.middle, segs[i+1:j:j])
			}
			i = j
		}
	}
	if absolute {
		n := 0
		for _, s := range g.head {
			if !s.lit {
				break
			}
			n += 1 + len(s.pat)
		}
		if n == 0 {
			g.prefix = "/"
		} else {
			b := make([]byte, 0, n)
			for _, s := range g.head {
				if !s.lit {
					break
				}
				b = append(b, '/')
				b = append(b, s.pat...)
			}
			g.prefix = string(b)
		}
	}
	return g
}

// segments indexes the segments of an absolute or relative path into buf.
func segments(p string, buf [][2]int32) [][2]int32 {
	start := -1
	for i := 0; i <= len(p); i++ {
		if i == len(p) || p[i] == '/' {
			if start >= 0 && i > start {
				buf = append(buf, [2]int32{int32(start), int32(i)})
			}
			start = i + 1
			continue
		}
		if start < 0 {
			start = i
		}
	}
	return buf
}

func (g *pathGlob) match(p string) bool {
	if g.never {
		return false
	}
	var arr [48][2]int32
	return g.matchSegs(p, segments(p, arr[:0]))
}

// matchCanonical is match for a canonical path p (canonicalPath: clean, so
// its segments are exactly what lies between its slashes), already split
// into segs: matching one path against many globs (the protected paths)
// splits it once, and an absolute glob's literal leading directory rejects
// most paths at once.
func (g *pathGlob) matchCanonical(p string, segs [][2]int32) bool {
	if g.never {
		return false
	}
	if g.abs && len(p) > 0 && p[0] == '/' && !hasDirPrefix(p, g.prefix) {
		// The glob's head starts with the literal segments of prefix, so
		// a clean absolute path it matches starts with them too.
		return false
	}
	return g.matchSegs(p, segs)
}

// hasDirPrefix reports whether the clean absolute path p is dir or lies
// under it; dir is "/" or a clean absolute path without a trailing slash.
func hasDirPrefix(p, dir string) bool {
	if dir == "/" {
		return true
	}
	return strings.HasPrefix(p, dir) && (len(p) == len(dir) || p[len(dir)] == '/')
}

// matchSegs matches p, split into segs (segments).
func (g *pathGlob) matchSegs(p string, segs [][2]int32) bool {
	seg := func(i int) string { return p[segs[i][0]:segs[i][1]] }
	run := func(r []glob, at int) bool {
		for j := range r {
			if !r[j].match(seg(at + j)) {
				return false
			}
		}
		return true
	}
	n := len(segs)
	if !g.star {
		return n == len(g.head) && run(g.head, 0)
	}
	if len(g.head)+len(g.tail) > n || !run(g.head, 0) || !run(g.tail, n-len(g.tail)) {
		return false
	}
	at, end := len(g.head), n-len(g.tail)
	for _, r := range g.middle {
		found := false
		for ; at+len(r) <= end; at++ {
			if run(r, at) {
				at += len(r)
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// ancestorOf reports whether p is a proper ancestor of everything g can
// match: deleting p would delete what g protects.
func (g *pathGlob) ancestorOf(p string) bool {
	if g.never || g.prefix == "" {
		return false
	}
	if p == "/" {
		return true
	}
	return len(g.prefix) > len(p) && strings.HasPrefix(g.prefix, p) && g.prefix[len(p)] == '/'
}

// hostMatcher matches a host by glob (case-insensitive), exact IP or CIDR.
type hostMatcher struct {
	raw    string
	g      glob
	addr   netip.Addr
	prefix netip.Prefix
	kind   uint8 // hostGlob, hostAddr, hostCIDR
	// alt is the glob's other spelling when it names an internationalised
	// domain: its ASCII (punycode) form for a glob written in Unicode, and
	// its Unicode form for one written in punycode (hasAlt).
	alt    glob
	hasAlt bool
}

const (
	hostGlob uint8 = iota
	hostAddr
	hostCIDR
)

func parseHost(s string) (hostMatcher, string, error) {
	h := hostMatcher{raw: s}
	switch {
	case s == "":
		return h, "", fmt.Errorf("empty host")
	case strings.Contains(s, "://"):
		return h, "give the host name only; match whole URLs with url:", fmt.Errorf("bad host %q", s)
	case strings.Contains(s, "/"):
		pfx, err := netip.ParsePrefix(s)
		if err != nil {
			return h, "write a CIDR such as 10.0.0.0/8 or fd00::/8", fmt.Errorf("bad CIDR %q", s)
		}
		h.kind, h.prefix = hostCIDR, pfx.Masked()
		if a := pfx.Addr(); a.Is4In6() {
			// Requests carry IPv4-mapped addresses unmapped (::ffff:10.1.2.3
			// is 10.1.2.3), so an IPv4-mapped prefix is an IPv4 prefix.
			if pfx.Bits() < 96 {
				return h, "write the IPv4 prefix, e.g. 10.0.0.0/8, and an IPv6 one separately", fmt.Errorf("CIDR %q mixes IPv4-mapped and other IPv6 addresses", s)
			}
			h.prefix = netip.PrefixFrom(a.Unmap(), pfx.Bits()-96).Masked()
		}
	default:
		t := strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
		if a, err := netip.ParseAddr(t); err == nil {
			if a.Zone() != "" {
				// Requests are matched without their zone, so a zone
				// would make the rule match nothing.
				return h, fmt.Sprintf("write the address without its zone: %s", a.WithZone("")), fmt.Errorf("host %q has an IPv6 zone", s)
			}
			h.kind, h.addr = hostAddr, a.Unmap()
			return h, "", nil
		}
		if a, ok := legacyIPv4(t); ok {
			// Requests in this form are matched as the address they
			// mean (127.1 is 127.0.0.1), so a glob of it would match
			// nothing; and 010.0.0.1 (octal: 8.0.0.1) is easy to misread.
			return h, fmt.Sprintf("write it in dotted decimal: %s", a), fmt.Errorf("host %q is the IPv4 address %s in a legacy notation", s, a)
		}
		if strings.ContainsAny(s, " :@?#") {
			return h, "give a host name, IP or CIDR without scheme, port or path", fmt.Errorf("bad host %q", s)
		}
		h.g = newGlob(strings.TrimSuffix(s, "."), true)
		if alt, ok := idnAlternate(strings.TrimSuffix(s, ".")); ok {
			h.alt, h.hasAlt = newGlob(alt, true), true
		}
	}
	return h, "", nil
}

// idnAlternate returns the other spelling of an internationalised host
// name: the ASCII (punycode) form of one with non-ASCII letters, the
// Unicode form of one with an "xn--" label. A request names such a host
// either way (curl https://bücher.de, curl https://xn--bcher-kva.de: the
// same server), so a rule on one spelling must match the other too. The
// mapping is UTS #46's for lookup (case, full-width forms, ideographic full
// stops, NFC), so look-alike spellings of the same name meet.
func idnAlternate(h string) (string, bool) {
	if isASCII(h) {
		if !hasACELabel(h) {
			return "", false
		}
		u, err := idnProfile.ToUnicode(h)
		if err != nil || isASCII(u) {
			return "", false
		}
		return u, true
	}
	for _, l := range strings.Split(h, ".") {
		if !isASCII(l) && strings.ContainsRune(l, '*') {
			return "", false // a glob inside a label has no ASCII form
		}
	}
	a, err := idnProfile.ToASCII(h)
	if err != nil {
		return "", false
	}
	return a, true
}

// idnProfile maps host names for lookup without refusing the characters a
// host glob or a local name may hold ('*', '_').
var idnProfile = idna.New(idna.MapForLookup(), idna.StrictDomainName(false), idna.Transitional(false))

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// hasACELabel reports whether h has a label starting "xn--" (in any case),
// without allocating.
func hasACELabel(h string) bool {
	for i := 0; i+4 <= len(h); i++ {
		if (i == 0 || h[i-1] == '.') && (h[i] == 'x' || h[i] == 'X') && (h[i+1] == 'n' || h[i+1] == 'N') && h[i+2] == '-' && h[i+3] == '-' {
			return true
		}
	}
	return false
}

// looksLikeIP is a cheap pre-check so that parsing a host name never
// allocates an error value in the hot path.
func looksLikeIP(s string) bool {
	if s == "" {
		return false
	}
	// An IPv6 address may start with a hex letter (fd00::1, fe80::1) and
	// end in a zone of any characters (fe80::1%eth0).
	if i := strings.IndexByte(s, '%'); i >= 0 {
		s = s[:i]
	}
	colon := strings.IndexByte(s, ':') >= 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9', c == '.', c == ':':
		case colon && (c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'):
		default:
			return false
		}
	}
	return true
}

func (h *hostMatcher) match(host string) bool {
	if len(host) > 1 && host[0] == '[' && host[len(host)-1] == ']' {
		host = host[1 : len(host)-1]
	}
	// curl, ping and the C library read 167772161, 0x0a000001, 012.0.0.1
	// and 127.1 as IPv4 addresses: so do the rules.
	if legacy, ok := legacyIPv4(host); ok {
		host = legacy.String()
	}
	switch h.kind {
	case hostAddr, hostCIDR:
		if !looksLikeIP(host) {
			return false
		}
		a, err := netip.ParseAddr(host)
		if err != nil {
			return false
		}
		a = a.Unmap().WithZone("")
		if h.kind == hostAddr {
			return a == h.addr
		}
		return h.prefix.Contains(a)
	}
	if h.g.any {
		return true
	}
	if len(host) > 1 && host[len(host)-1] == '.' {
		host = host[:len(host)-1]
	}
	if host == "" {
		return false
	}
	if h.g.match(host) || (h.hasAlt && h.alt.match(host)) {
		return true
	}
	if alt, ok := idnAlternate(host); ok {
		return h.g.match(alt) || (h.hasAlt && h.alt.match(alt))
	}
	return false
}

// portRange is an inclusive range; any means "*" (unknown ports included).
type portRange struct {
	lo, hi int
	any    bool
}

func (r portRange) match(port int) bool {
	return r.any || (port >= r.lo && port <= r.hi)
}

func (r portRange) String() string {
	switch {
	case r.any:
		return "*"
	case r.lo == r.hi:
		return fmt.Sprint(r.lo)
	}
	return fmt.Sprintf("%d-%d", r.lo, r.hi)
}

// legacyIPv4 reads the forms of an IPv4 address that inet_aton accepts
// beside the dotted quad: one to four parts, each decimal, octal (leading
// 0) or hexadecimal (0x), the last filling the remaining bytes
// (167772161, 0x0a000001, 10.1, 0251.0376.0251.0376). A canonical dotted
// quad, or anything else, gives false.
func legacyIPv4(s string) (netip.Addr, bool) {
	if s == "" || len(s) > 64 {
		return netip.Addr{}, false
	}
	// Cheap and allocation-free for host names: only digits, hex digits,
	// x and dots can spell an address.
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == 'x' || c == 'X' || c == '.') {
			return netip.Addr{}, false
		}
	}
	if a, err := netip.ParseAddr(s); err == nil && a.Is4() {
		return netip.Addr{}, false // canonical already
	}
	var vals [4]uint64
	n := 0
	for rest := s; ; {
		if n == 4 {
			return netip.Addr{}, false
		}
		p := rest
		i := strings.IndexByte(rest, '.')
		if i >= 0 {
			p, rest = rest[:i], rest[i+1:]
		}
		base, digits := 10, p
		switch {
		case strings.HasPrefix(p, "0x") || strings.HasPrefix(p, "0X"):
			base, digits = 16, p[2:]
		case len(p) > 1 && p[0] == '0':
			base, digits = 8, p[1:]
		}
		if digits == "" {
			if base == 16 || p == "" {
				return netip.Addr{}, false
			}
			digits = "0"
		}
		v, err := strconv.ParseUint(digits, base, 32)
		if err != nil {
			return netip.Addr{}, false
		}
		vals[n] = v
		n++
		if i < 0 {
			break
		}
	}
	last := n - 1
	var a uint64
	for i := 0; i < last; i++ {
		if vals[i] > 0xff {
			return netip.Addr{}, false
		}
		a |= vals[i] << (24 - 8*uint(i))
	}
	if vals[last] >= 1<<(8*uint(4-last)) {
		return netip.Addr{}, false
	}
	a |= vals[last]
	return netip.AddrFrom4([4]byte{byte(a >> 24), byte(a >> 16), byte(a >> 8), byte(a)}), true
}
