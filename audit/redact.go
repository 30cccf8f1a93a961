package audit

import (
	"encoding/base64"
	"slices"
	"strings"
)

// Redacted replaces a secret in the stored copy of a request.
const Redacted = "[REDACTED]"

// MaxRequestBytes bounds the stored copy of a request; the keyed hash of the
// full original is kept when it is longer.
const MaxRequestBytes = 64 << 10

// Redact returns text with the secrets it recognises replaced by
// [Redacted], and whether it changed anything. It knows passwords in URLs
// (postgres://app:p4ss@db), curl -u user:pass, mysql -pPASS, sshpass -p,
// Authorization and Bearer headers, password=/token=/secret= style
// assignments (in query strings, JSON, JSON inside JSON strings,
// environment, .netrc and --flag value form; for token and key words only
// when the value looks random; a quoted password whole, spaces and all),
// private key blocks (also base64-encoded, as in a kubeconfig), and the
// token formats of AWS, JWT, Stripe, Slack, GitLab, GitHub, Anthropic,
// OpenAI, Google, npm, Hugging Face, DigitalOcean, Vault, Shopify, PyPI,
// age, SendGrid, Databricks, Postman, Grafana and Linear.
//
// Redaction is for the stored and displayed copy only: the decision must
// always be made on the original input, which the caller keeps. Redact is a
// best effort: a secret in a form it does not know stays in the text. It
// runs in time linear in the text (hand-written scanners, no regular
// expressions), since it is on the decision path.
func Redact(text string) (string, bool) {
	if text == "" {
		return text, false
	}
	r := redactor{text: text}
	r.lower = r.pairs.addLowered(text)
	return r.redact()
}

// redact runs every scanner over r.text and returns the redacted text.
func (r *redactor) redact() (string, bool) {
	text := r.text
	r.prefixedTokens()
	r.jwts()
	r.urlPasswords()
	r.authorizationHeaders()
	r.bearerTokens()
	r.userOptions()
	r.passwordOptions()
	r.assignments()
	r.privateKeys()
	r.base64PrivateKeys()
	if len(r.spans) == 0 {
		return text, false
	}
	slices.SortFunc(r.spans, func(a, b span) int { return a.start - b.start })
	var out strings.Builder
	last := 0
	for i := 0; i < len(r.spans); i++ {
		sp := r.spans[i]
		for i+1 < len(r.spans) && r.spans[i+1].start <= sp.end { // adjacent ones too: one placeholder
			sp.end = max(sp.end, r.spans[i+1].end)
			i++
		}
		if sp.start < last {
			sp.start = last
		}
		out.WriteString(text[last:sp.start])
		out.WriteString(Redacted)
		last = sp.end
	}
	out.WriteString(text[last:])
	return out.String(), true
}

// redactor collects the spans of text that hold secrets.
type redactor struct {
	text, lower string // lower: ASCII letters lowered, same offsets
	spans       []span
	pairs       pairSet
	// exhaustive searches for every word, as if pairs held every pair
	// (tests compare it with the filtered search).
	exhaustive bool
}

// may reports whether w can occur in the text, in any ASCII case. When it
// cannot, searching for it would find nothing, so the search is skipped:
// a scanner's result is the same either way.
func (r *redactor) may(w *word) bool { return r.exhaustive || r.pairs.holds(w) }

// pairSet is the set of pairs of adjacent bytes of a text (ASCII letters
// lowered), hashed into 1024 bits: one pass over the text tells most of
// the dozens of words the scanners look for to be absent, where each
// search would be a pass of its own.
type pairSet [16]uint64

func pairBit(a, b byte) uint { return (uint(a)<<5 ^ uint(b)) & 1023 }

// addLowered puts the pairs of text, ASCII letters lowered, in the set and
// returns lowerASCII(text).
func (p *pairSet) addLowered(text string) string {
	if text == "" {
		return text
	}
	upper := false
	prev := text[0]
	if prev >= 'A' && prev <= 'Z' {
		prev += 'a' - 'A'
		upper = true
	}
	for i := 1; i < len(text); i++ {
		c := text[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
			upper = true
		}
		bit := pairBit(prev, c)
		p[bit>>6] |= 1 << (bit & 63)
		prev = c
	}
	if !upper {
		return text
	}
	return lowerASCII(text)
}

// holds reports whether every pair of w is in the set: false means w
// occurs nowhere in the text (its pairs would all be there), true that it
// may.
func (p *pairSet) holds(w *word) bool {
	for _, bit := range w.bits {
		if p[bit>>6]&(1<<(bit&63)) == 0 {
			return false
		}
	}
	return true
}

// word is a string a scanner searches for, with the pairSet bits of its
// pairs (lowered).
type word struct {
	s    string
	bits []uint16
}

func newWord(s string) word {
	l := lowerASCII(s)
	w := word{s: s}
	for i := 1; i < len(l); i++ {
		w.bits = append(w.bits, uint16(pairBit(l[i-1], l[i])))
	}
	return w
}

func newWords(ss ...string) []word {
	ws := make([]word, len(ss))
	for i, s := range ss {
		ws[i] = newWord(s)
	}
	return ws
}

func (r *redactor) add(start, end int) {
	if end > start && r.text[start:end] != Redacted && !runsCode(r.text, start, end) {
		r.spans = append(r.spans, span{start, end})
	}
}

// runsCode reports a value that is a command substitution, not a literal
// (-p"$(curl ... | sh)", Bearer $(cat tok), PASSWORD=`...`): it holds no
// secret itself, and redacting it would hide from approvers and the audit
// trail a command that runs.
func runsCode(text string, start, end int) bool {
	v := text[start:end]
	if strings.Contains(v, "$(") || strings.IndexByte(v, '`') >= 0 {
		return true
	}
	return v[len(v)-1] == '$' && end < len(text) && text[end] == '('
}

// cutAtFound shortens text[start:end] to end where the first secret found
// inside it begins, so that a value is judged as it will read once that
// secret is redacted (GITHUB_TOKEN=ghp_... keeps its ghp_ prefix, and
// redacting twice changes nothing). found is sorted by start.
func cutAtFound(found []span, start, end int) int {
	k, _ := slices.BinarySearchFunc(found, start, func(sp span, s int) int { return sp.start - s })
	if k < len(found) && found[k].start < end {
		return found[k].start
	}
	return end
}

// each calls fn with the offset of every occurrence of sub in s.
func each(s, sub string, fn func(i int)) {
	for from := 0; ; {
		i := strings.Index(s[from:], sub)
		if i < 0 {
			return
		}
		fn(from + i)
		from += i + len(sub)
	}
}

func isWord(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

func isSpaceByte(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// isValue is what a secret value may contain: it stops at white space,
// quotes, backslashes (JSON escapes) and shell or URL separators.
func isValue(c byte) bool {
	if isSpaceByte(c) {
		return false
	}
	return strings.IndexByte("\"'\\&;,|<>(){}[]`", c) < 0
}

// run returns the end of the run of bytes from i that satisfy ok.
func run(s string, i int, ok func(byte) bool) int {
	for i < len(s) && ok(s[i]) {
		i++
	}
	return i
}

// maxValue bounds how far a value is scanned: secrets are short, and the
// bound keeps hostile input (password=password=...) linear.
const maxValue = 4096

// runMax is run limited to maxValue bytes.
func runMax(s string, i int, ok func(byte) bool) int {
	return run(s[:min(len(s), i+maxValue)], i, ok)
}

// runMemo remembers the last run one scanner measured, so that the many
// starts a hostile text offers inside one long run (-eyJ-eyJ...) cost one
// pass, not one pass each: a run from any position inside [from, end] ends
// at end. Each scanner visits positions in increasing order.
type runMemo struct {
	from, end int
	ok        func(byte) bool
}

// run is run(text, i, ok), remembered.
func (m *runMemo) run(text string, i int, ok func(byte) bool) int {
	if m.ok == nil || i < m.from || i > m.end {
		m.from, m.end, m.ok = i, run(text, i, ok), ok
	}
	return m.end
}

// runMax is runMax(text, i, ok), remembered.
func (m *runMemo) runMax(text string, i int, ok func(byte) bool) int {
	return min(m.run(text, i, ok), i+maxValue, len(text))
}

func wordStart(s string, i int) bool { return i == 0 || !isWord(s[i-1]) }

func alnum(c byte) bool     { return isWord(c) && c != '_' }
func alnumDash(c byte) bool { return isWord(c) || c == '-' }
func upperDigit(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
func base64URL(c byte) bool { return isWord(c) || c == '-' }

// tokenFormat is a credential recognised by its prefix.
type tokenFormat struct {
	prefixes []word
	chars    func(byte) bool
	min, max int  // length of the secret part (max 0: no limit)
	exact    bool // the token must end at a word boundary
}

var tokenFormats = []tokenFormat{
	{newWords("AKIA", "ASIA", "AGPA", "AIDA", "AROA", "ANPA", "ANVA", "AIPA"), upperDigit, 16, 16, true},
	{newWords("sk_live_", "sk_test_", "rk_live_", "rk_test_", "whsec_"), alnum, 10, 0, false},
	{newWords("xoxa-", "xoxb-", "xoxp-", "xoxo-", "xoxs-", "xoxr-", "xapp-"), alnumDash, 10, 0, false},
	{newWords("glpat-", "glpat_"), base64URL, 20, 0, false},
	{newWords("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"), isWord, 20, 0, false},
	{newWords("sk-ant-"), base64URL, 20, 0, false},
	{newWords("sk-proj-", "sk-svcacct-", "sk-admin-"), base64URL, 20, 0, false},
	{newWords("AIza"), base64URL, 30, 0, false},
	{newWords("npm_"), alnum, 36, 36, true},
	{newWords("hf_"), alnum, 30, 0, true},
	{newWords("hooks.slack.com/services/"), func(c byte) bool { return base64URL(c) || c == '/' }, 1, 0, false},
	// Found in outputs (cat .env, vault login, ...): DigitalOcean,
	// HashiCorp Vault, Shopify, PyPI, age, SendGrid, GitLab's other
	// tokens, Databricks, Postman, Grafana and Linear.
	{newWords("dop_v1_", "doo_v1_", "dor_v1_"), alnum, 64, 64, true},
	{newWords("hvs.", "hvb.", "hvr."), base64URL, 24, 0, false},
	{newWords("shpat_", "shpss_", "shpca_", "shppa_"), alnum, 32, 32, true},
	{newWords("pypi-AgEIcHlwaS5vcmc"), base64URL, 30, 0, false},
	{newWords("AGE-SECRET-KEY-1"), upperDigit, 58, 58, true},
	{newWords("SG."), func(c byte) bool { return base64URL(c) || c == '.' }, 60, 0, false},
	{newWords("glrt-", "gldt-", "glptt-", "glsoat-"), base64URL, 20, 0, false},
	{newWords("dapi"), alnum, 32, 32, true},
	{newWords("PMAK-"), alnumDash, 50, 0, false},
	{newWords("glsa_"), isWord, 32, 0, false},
	{newWords("lin_api_"), alnum, 30, 0, false},
}

func (r *redactor) prefixedTokens() {
	for _, f := range tokenFormats {
		for k := range f.prefixes {
			if !r.may(&f.prefixes[k]) {
				continue
			}
			p := f.prefixes[k].s
			var m runMemo
			each(r.text, p, func(i int) {
				if p != "hf_" && p != "hooks.slack.com/services/" && !wordStart(r.text, i) {
					return
				}
				r.token(&m, f, i+len(p))
			})
		}
	}
	// OpenAI's older keys are sk- and the secret; sk-ant- and sk-proj- are above.
	if !r.may(&wordSK) {
		return
	}
	var m runMemo
	each(r.text, "sk-", func(i int) {
		rest := r.text[i+3:]
		if !wordStart(r.text, i) || strings.HasPrefix(rest, "ant-") || strings.HasPrefix(rest, "proj-") ||
			strings.HasPrefix(rest, "svcacct-") || strings.HasPrefix(rest, "admin-") {
			return
		}
		r.token(&m, tokenFormat{chars: base64URL, min: 20}, i+3)
	})
}

func (r *redactor) token(m *runMemo, f tokenFormat, start int) {
	end := m.runMax(r.text, start, f.chars)
	if f.max > 0 && end-start > f.max {
		if f.exact {
			return
		}
		end = start + f.max
	}
	if end-start < f.min || f.exact && end < len(r.text) && isWord(r.text[end]) {
		return
	}
	r.add(start, end)
}

// jwts finds header.payload.signature tokens.
func (r *redactor) jwts() {
	if !r.may(&wordJWT) {
		return
	}
	var ma, mb, mc runMemo
	each(r.text, "eyJ", func(i int) {
		if !wordStart(r.text, i) {
			return
		}
		a := ma.run(r.text, i+3, base64URL)
		if a-i < 8 || a >= len(r.text) || r.text[a] != '.' || !strings.HasPrefix(r.text[a+1:], "eyJ") {
			return
		}
		b := mb.run(r.text, a+4, base64URL)
		if b-a < 9 || b >= len(r.text) || r.text[b] != '.' {
			return
		}
		c := mc.run(r.text, b+1, base64URL)
		if c-b <= 10 {
			return
		}
		r.add(i, c)
	})
}

// urlPasswords finds scheme://user:password@host.
func (r *redactor) urlPasswords() {
	if !r.may(&wordScheme) {
		return
	}
	var m runMemo
	authority := func(c byte) bool { return !isSpaceByte(c) && strings.IndexByte("/?#'\"\\", c) < 0 }
	each(r.text, "://", func(i int) {
		if i == 0 || !(isWord(r.text[i-1]) || strings.IndexByte("+.-", r.text[i-1]) >= 0) {
			return
		}
		a := i + 3
		e := m.runMax(r.text, a, authority)
		at := strings.LastIndexByte(r.text[a:e], '@')
		if at < 0 {
			return
		}
		colon := strings.IndexByte(r.text[a:a+at], ':')
		if colon < 0 {
			return
		}
		r.add(a+colon+1, a+at)
	})
}

// The words the scanners search for, with their pairs.
var (
	wordSK            = newWord("sk-")
	wordJWT           = newWord("eyJ")
	wordScheme        = newWord("://")
	wordAuthorization = newWord("authorization")
	wordBearer        = newWord("bearer")
	userTools         = newWords("curl", "wget", "http", "xh", "aria2c")
	userOpts          = newWords("-u", "-U", "--user", "--proxy-user", "--auth", "--http-user")
	wordMysql         = newWord("mysql")
	wordMariadb       = newWord("mariadb")
	wordSshpass       = newWord("sshpass")
	wordDashP         = newWord("-p")
	wordPEM           = newWord("-----BEGIN")
	wordPEM64         = newWord(pem64)
)

var authSchemes = []string{"bearer", "basic", "token", "digest", "bot", "apikey"}

// authorizationHeaders finds Authorization: [scheme] credentials, in header,
// JSON and assignment form.
func (r *redactor) authorizationHeaders() {
	if !r.may(&wordAuthorization) {
		return
	}
	var m runMemo
	each(r.lower, "authorization", func(i int) {
		j := i + len("authorization")
		j = skipQuote(r.text, j)
		j = run(r.text, j, isSpaceByte)
		if j >= len(r.text) || (r.text[j] != ':' && r.text[j] != '=') {
			return
		}
		j = run(r.text, j+1, isSpaceByte)
		j = skipQuote(r.text, j)
		for _, s := range authSchemes {
			if strings.HasPrefix(r.lower[j:], s) {
				k := run(r.text, j+len(s), isSpaceByte)
				if k > j+len(s) {
					j = k
				}
				break
			}
		}
		end := m.runMax(r.text, j, isValue)
		if slices.Contains(authSchemes, r.lower[j:end]) {
			return // only a scheme: the credentials were redacted already
		}
		r.add(j, end)
	})
}

func skipQuote(s string, i int) int {
	if i < len(s) && (s[i] == '"' || s[i] == '\'') {
		return i + 1
	}
	return i
}

func (r *redactor) bearerTokens() {
	if !r.may(&wordBearer) {
		return
	}
	var m runMemo
	bearer := func(c byte) bool { return isWord(c) || strings.IndexByte(".~+/=-", c) >= 0 }
	each(r.lower, "bearer", func(i int) {
		if !wordStart(r.text, i) {
			return
		}
		j := run(r.text, i+6, isSpaceByte)
		if j == i+6 {
			return
		}
		end := m.runMax(r.text, j, bearer)
		if end-j >= 8 {
			r.add(j, end)
		}
	})
}

// userOptions finds the user:password of curl -u and its relatives.
func (r *redactor) userOptions() {
	found := false
	for k := range userTools {
		if r.may(&userTools[k]) && strings.Contains(r.lower, userTools[k].s) {
			found = true
			break
		}
	}
	if !found {
		return
	}
	for k := range userOpts {
		if !r.may(&userOpts[k]) {
			continue
		}
		opt := userOpts[k].s
		each(r.text, opt, func(i int) {
			if i > 0 && !isSpaceByte(r.text[i-1]) && r.text[i-1] != '\'' && r.text[i-1] != '"' {
				return
			}
			j := i + len(opt)
			switch {
			case j < len(r.text) && r.text[j] == '=':
				j++
			case j < len(r.text) && isSpaceByte(r.text[j]):
				j = run(r.text, j, isSpaceByte)
			case len(opt) > 2:
				return // --username and the like
			}
			j = skipQuote(r.text, j)
			u := runMax(r.text, j, func(c byte) bool { return !isSpaceByte(c) && strings.IndexByte(":'\"\\/", c) < 0 })
			if u == j || u >= len(r.text) || r.text[u] != ':' {
				return
			}
			p := u + 1
			if p >= len(r.text) || r.text[p] == '/' {
				return
			}
			r.add(p, runMax(r.text, p, isValue))
		})
	}
}

// passwordOptions finds mysql -pPASS (attached) and sshpass -p PASS.
func (r *redactor) passwordOptions() {
	mysql := r.may(&wordMysql) && strings.Contains(r.lower, "mysql") || r.may(&wordMariadb) && strings.Contains(r.lower, "mariadb")
	sshpass := r.may(&wordSshpass) && strings.Contains(r.lower, "sshpass")
	if !mysql && !sshpass || !r.may(&wordDashP) {
		return
	}
	// The command an option belongs to runs back to the last separator (at
	// most 4096 bytes: commands are short). Options are visited left to
	// right, so the last separator and the last program names seen are
	// carried along instead of searched for again: this stays linear.
	lastSep := -1 // the last ; & | or newline before the option
	scanned := 0  // lastSep covers r.lower[:scanned]
	progs := newOccurrences(r.lower, "mysql", "mariadb")
	sshs := newOccurrences(r.lower, "sshpass")
	each(r.text, "-p", func(i int) {
		if i == 0 || !isSpaceByte(r.text[i-1]) {
			return
		}
		for ; scanned < i; scanned++ {
			if strings.IndexByte(";&|\n", r.lower[scanned]) >= 0 {
				lastSep = scanned
			}
		}
		seg := max(lastSep+1, i-4096)
		j := i + 2
		switch {
		case sshpass && sshs.within(seg, i):
			j = run(r.text, j, isSpaceByte)
		case mysql && progs.within(seg, i):
		default:
			return
		}
		r.quotedValue(j)
	})
}

// occurrences are the offsets of some words in a text, to be asked, for
// increasing ends, whether one lies wholly inside a range.
type occurrences struct {
	at   []span // start and end of each occurrence, by end
	next int    // at[:next] end at or before the last end asked
	last int    // the greatest start among at[:next] (-1: none)
}

func newOccurrences(text string, words ...string) *occurrences {
	o := &occurrences{last: -1}
	for _, w := range words {
		each(text, w, func(i int) { o.at = append(o.at, span{i, i + len(w)}) })
	}
	slices.SortFunc(o.at, func(a, b span) int { return a.end - b.end })
	return o
}

// within reports whether an occurrence lies in text[from:to]; to must not
// decrease from one call to the next.
func (o *occurrences) within(from, to int) bool {
	for o.next < len(o.at) && o.at[o.next].end <= to {
		o.last = max(o.last, o.at[o.next].start)
		o.next++
	}
	return o.last >= from
}

// quotedValue adds the value at i: quoted (and then it may hold spaces) or not.
func (r *redactor) quotedValue(i int) {
	if i >= len(r.text) {
		return
	}
	if q := r.text[i]; q == '\'' || q == '"' {
		if k := strings.IndexByte(r.text[i+1:], q); k > 0 {
			r.add(i+1, i+1+k)
		}
		return
	}
	r.add(i, runMax(r.text, i, isValue))
}

// secretWords name the keys of secret assignments (password=..., "apiKey": ...).
var secretWords = []string{"password", "passwd", "passphrase", "pwd", "secret", "token", "apikey", "api_key", "api-key",
	"access_key", "access-key", "accesskey", "private_key", "private-key", "privatekey", "auth", "credential",
	"cookie", "session_id", "session-id", "sessionid", "accountkey", "account_key"}

var secretWordList = newWords(secretWords...)

func isKeyChar(c byte) bool { return isWord(c) || c == '.' || c == '-' }

// assignments finds key=value, key: value, "key":"value" and --key value
// where the key names a secret.
func (r *redactor) assignments() {
	found := slices.Clone(r.spans)
	slices.SortFunc(found, func(a, b span) int { return a.start - b.start })
	var at []int
	for k := range secretWordList {
		if r.may(&secretWordList[k]) {
			each(r.lower, secretWordList[k].s, func(i int) { at = append(at, i) })
		}
	}
	slices.Sort(at)
	done := 0 // end of the last key examined: keys are examined left to right
	for _, i := range at {
		if i < done {
			continue // inside a key already examined (api_token_secret)
		}
		ks := i
		for ks > done && isKeyChar(r.text[ks-1]) {
			ks--
		}
		ke := run(r.text, i, isKeyChar)
		done = ke
		key := r.text[ks:ke]
		// JSON inside a JSON string quotes with \" ({\"password\":\"x\"}).
		j := skipEscapedQuote(r.text, skipQuote(r.text, ke))
		j = run(r.text, j, isSpaceByte)
		sep := "="
		var quote byte
		escaped := false
		if j < len(r.text) && (r.text[j] == ':' || r.text[j] == '=') {
			j = run(r.text, j+1, isSpaceByte)
			if j < len(r.text) && (r.text[j] == '"' || r.text[j] == '\'') {
				quote = r.text[j]
				j++
			} else if k := skipEscapedQuote(r.text, j); k > j {
				quote, escaped, j = '"', true, k
			}
		} else if j > ke && j == run(r.text, ke, isSpaceByte) {
			sep = " " // --password hunter2
		} else {
			continue
		}
		end := runMax(r.text, j, isValue)
		if quote != 0 && passwordKey(key) {
			// password: "correct horse battery staple": a quoted password
			// is all of it, spaces too.
			if escaped {
				end = max(end, escapedQuotedEnd(r.text, j))
			} else {
				end = max(end, quotedEnd(r.text, j, quote))
			}
			if end == j {
				// Not closed on its line, and starting with blanks (a
				// JSON string holding a line break: "pwd":" 0\n"): the
				// blanks and the word after them.
				end = runMax(r.text, run(r.text, j, isSpaceByte), isValue)
			}
		} else if quote != 0 && end == j {
			// "token": " Zx9aB8...": a quoted value may start with blanks,
			// as key= value may; the value is the word after them.
			if k := run(r.text, j, isSpaceByte); k > j {
				j, end = k, runMax(r.text, k, isValue)
			}
		}
		done = max(done, end) // keys inside this value belong to it
		if quote == 0 || !passwordKey(key) {
			// A quoted password is all of its quotes, whatever was found
			// inside: cut there, what follows a token (pwd: "ghp_... x")
			// would be redacted only the second time.
			end = cutAtFound(found, j, end)
		}
		if end > j && secretAssignment(key, sep, r.text[j:end]) {
			r.add(j, end)
		}
	}
}

// privateKeys finds the body of PEM private key blocks.
func (r *redactor) privateKeys() {
	if !r.may(&wordPEM) {
		return
	}
	const label = "PRIVATE KEY-----"
	nextEnd := -1 // where the next -----END at or after a body starts (len: none)
	each(r.text, "-----BEGIN", func(i int) {
		// Only the label within 64 bytes counts: search no further.
		h := strings.Index(r.text[i:min(len(r.text), i+64+len(label))], label)
		if h < 0 {
			return
		}
		body := i + h + len(label)
		if nextEnd < body {
			nextEnd = len(r.text)
			if k := strings.Index(r.text[body:], "-----END"); k >= 0 {
				nextEnd = body + k
			}
		}
		r.add(body, nextEnd)
	})
}

// secretAssignment decides whether value, assigned to key, is a secret.
// Password-like keys always hold one; token-, key- and session-like keys only
// when the value looks random, so max_tokens=1024 and --key=2 stay readable.
// A value separated by white space counts only after a --flag or -flag, or
// a key that can only name a credential (aws configure set
// aws_secret_access_key VALUE) when the value looks random.
func secretAssignment(key, sep, value string) bool {
	k := strings.ToLower(key)
	if strings.TrimSpace(sep) == "" && !strings.HasPrefix(key, "-") {
		// .netrc's "password VALUE" too, when the value looks generated.
		for _, w := range []string{"secret_access_key", "session_token", "secret_key", "private_key", "client_secret", "password", "passwd"} {
			if strings.Contains(k, w) {
				return looksRandom(value)
			}
		}
		return false
	}
	if passwordKey(key) {
		return value != ""
	}
	return looksRandom(value)
}

// passwordKey reports whether key names a password-like value, one that is
// a secret whatever it looks like.
func passwordKey(key string) bool {
	k := strings.ToLower(key)
	for _, w := range []string{"passw", "passphrase", "pwd", "secret", "private"} {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// skipEscapedQuote skips a backslash-escaped double quote at i.
func skipEscapedQuote(s string, i int) int {
	if i+1 < len(s) && s[i] == '\\' && s[i+1] == '"' {
		return i + 2
	}
	return i
}

// escapedQuotedEnd is quotedEnd for a value quoted with \" (JSON inside a
// JSON string): it ends at the next \", or is i when none closes it on its
// line within maxValue bytes.
func escapedQuotedEnd(s string, i int) int {
	limit := min(len(s), i+maxValue)
	// Each character of the inner text is one byte or an outer escape
	// (two bytes); an inner escape (\\ then a character) escapes the next.
	for k := i; k+1 < limit; {
		switch {
		case s[k] == '\n' || s[k] == '\r':
			return i
		case s[k] == '\\' && s[k+1] == '"':
			return k
		case s[k] == '\\' && s[k+1] == '\\':
			k += 2 // the inner backslash: the inner character after it is escaped
			if k+1 < limit && s[k] == '\\' {
				k += 2
			} else {
				k++
			}
		case s[k] == '\\':
			k += 2
		default:
			k++
		}
	}
	return i
}

// quotedEnd returns where the value quoted by q that starts at i ends (at
// its closing quote, backslash escapes skipped inside double quotes), or
// i when it does not close on its line within maxValue bytes.
func quotedEnd(s string, i int, q byte) int {
	limit := min(len(s), i+maxValue)
	for k := i; k < limit; k++ {
		switch c := s[k]; {
		case c == q:
			return k
		case c == '\n' || c == '\r':
			return i
		case c == '\\' && q == '"':
			k++
		}
	}
	return i
}

// looksRandom reports whether s looks like a generated token: at least 16
// characters mixing at least two of lower case, upper case and digits.
func looksRandom(s string) bool {
	if len(s) < 16 {
		return false
	}
	var lower, upper, digit int
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 'a' && c <= 'z':
			lower = 1
		case c >= 'A' && c <= 'Z':
			upper = 1
		case c >= '0' && c <= '9':
			digit = 1
		}
	}
	return lower+upper+digit >= 2
}

// redactAny redacts every string inside a decoded JSON value.
func redactAny(v any) (any, bool) {
	switch x := v.(type) {
	case string:
		return Redact(x)
	case []any:
		changed := false
		for i, e := range x {
			if n, did := redactAny(e); did {
				x[i], changed = n, true
			}
		}
		return x, changed
	case map[string]any:
		changed := false
		for k, e := range x {
			n, did := redactAny(e)
			if !did {
				if s, ok := e.(string); ok && s != "" && s != Redacted && (isSecretKey(k) || isTokenKey(k) && looksRandom(s)) {
					n, did = Redacted, true
				}
			}
			if did {
				x[k], changed = n, true
			}
		}
		return x, changed
	}
	return v, false
}

// isSecretKey reports whether an args key names a password-like value
// ({"password": "x"} in tool arguments).
func isSecretKey(k string) bool {
	k = strings.ToLower(k)
	for _, w := range []string{"password", "passwd", "passphrase", "secret", "api_key", "apikey", "api-key", "access_token", "auth_token", "private_key", "authorization"} {
		if strings.Contains(k, w) {
			return true
		}
	}
	return k == "token" || k == "pwd"
}

// isTokenKey reports whether an args key names something that holds a
// secret when its value looks random ({"GITHUB_TOKEN": "..."} in an env
// map), as the assignments in text do.
func isTokenKey(k string) bool {
	k = strings.ToLower(k)
	for _, w := range secretWords {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// pem64 is "-----BEGIN" in base64, as a PEM block starts when it is itself
// base64-encoded (kubeconfig's client-key-data, Kubernetes secrets' data).
const pem64 = "LS0tLS1CRUdJTi"

func isStdBase64(c byte) bool { return alnum(c) || c == '+' || c == '/' || c == '=' }

// base64PrivateKeys finds base64-encoded PEM private keys: the whole
// encoded block, when its first bytes decode to a private key's header.
func (r *redactor) base64PrivateKeys() {
	if !r.may(&wordPEM64) {
		return
	}
	var m runMemo
	each(r.text, pem64, func(i int) {
		if i > 0 && isStdBase64(r.text[i-1]) {
			return
		}
		end := m.run(r.text, i, isStdBase64)
		head := r.text[i:min(end, i+96)]
		head = head[:len(head)/4*4]
		dec, err := base64.StdEncoding.DecodeString(head)
		if err != nil && len(dec) == 0 {
			return
		}
		if h := string(dec); strings.Contains(h, "PRIVATE KEY-----") {
			r.add(i, end)
		}
	})
}
