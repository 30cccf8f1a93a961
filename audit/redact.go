package audit

import (
	"regexp"
	"strings"
	"sync"
)

// Redacted replaces a secret in the stored copy of a request.
const Redacted = "[REDACTED]"

// MaxRequestBytes bounds the stored copy of a request; the keyed hash of the
// full original is kept when it is longer.
const MaxRequestBytes = 64 << 10

// redactRule finds one kind of secret. Each match's group 1 (or, when the
// rule has a key group, group 3) is replaced by [Redacted]. The rule runs only
// when one of its lower-case triggers occurs in the lower-cased text, which
// keeps the common, secret-free case cheap.
type redactRule struct {
	name     string
	triggers []string
	// also, when set, is a second list of triggers of which one must occur too.
	also []string
	re   *regexp.Regexp
	// keyed rules have groups (key)(separator)(value); secretAssignment
	// decides from the key whether the value is a secret. Other rules redact
	// their first group that took part in the match.
	keyed bool
	// accept, when set, can veto a value.
	accept func(value string) bool
}

// valueChars is what a secret value may contain: it stops at white space,
// quotes, backslashes (JSON escapes) and shell or URL separators.
const valueChars = `[^\s"'\\&;,|<>(){}\[\]` + "`" + `]`

// valueStart is the first character of a password after user: (not a /,
// which would make user:// a URL scheme).
const valueStart = `[^\s"'\\&;,|<>(){}\[\]/` + "`" + `]`

// quotedValue is a value that may be quoted (and then hold spaces).
const quotedValue = `(?:'([^']+)'|"([^"]+)"|(` + valueChars + `+))`

// also adds a second trigger list to a rule.
func also(r redactRule, triggers ...string) redactRule {
	r.also = triggers
	return r
}

var redactRules = sync.OnceValue(func() []redactRule {
	r := func(name string, triggers []string, expr string) redactRule {
		return redactRule{name: name, triggers: triggers, re: regexp.MustCompile(expr)}
	}
	return []redactRule{
		r("private key", []string{"-----begin"},
			`(?s)-----BEGIN[ A-Z0-9]*PRIVATE KEY-----(.+?)(?:-----END[ A-Z0-9]*PRIVATE KEY-----|$)`),
		also(r("url password", []string{"://"},
			`[A-Za-z][A-Za-z0-9+.-]*://[^\s/?#@:'"\\]*:([^\s/?#'"\\]+)@`), "@"),
		{name: "authorization header", triggers: []string{"authorization"},
			re: regexp.MustCompile(`(?i)authorization["']?\s*[:=]\s*["']?(?:(?:bearer|basic|token|digest|bot|apikey)\s+)?(` + valueChars + `+)`),
			accept: func(v string) bool {
				switch strings.ToLower(v) {
				case "bearer", "basic", "token", "digest", "bot", "apikey":
					return false // the scheme of an already redacted header
				}
				return true
			}},
		r("bearer token", []string{"bearer"},
			`(?i)\bbearer\s+([A-Za-z0-9._~+/=-]{8,})`),
		also(r("user option", []string{"curl", "wget", "http", "xh", "aria2c"},
			`\b(?:curl|wget|https?|xh|aria2c)\b[^;&|\n]*?[\s'"](?:-u|-U|--user|--proxy-user|--auth|--http-user)(?:\s+|=)?['"]?[^\s:'"\\/]+:(`+valueStart+valueChars+`*)`),
			"-u", "--user", "--proxy-user", "--auth", "--http-user"),
		also(r("mysql password", []string{"mysql", "mariadb"},
			`\b(?:mysql\w*|mariadb[\w-]*)\b[^;&|\n]*?\s-p`+quotedValue), " -p"),
		also(r("sshpass password", []string{"sshpass"},
			`\bsshpass\b[^;&|\n]*?\s-p\s*`+quotedValue), "-p"),
		r("aws access key", []string{"akia", "asia", "agpa", "aida", "aroa", "anpa", "anva", "aipa"},
			`\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)([0-9A-Z]{16})\b`),
		r("jwt", []string{"eyj"},
			`\b(eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{10,})`),
		r("stripe key", []string{"_live_", "_test_", "whsec_"},
			`\b(?:(?:sk|rk)_(?:live|test)_|whsec_)([0-9A-Za-z]{10,})`),
		r("slack token", []string{"xox", "xapp-"},
			`\b(?:xox[abposr]|xapp)-([0-9A-Za-z-]{10,})`),
		r("slack webhook", []string{"hooks.slack.com"},
			`hooks\.slack\.com/services/([A-Za-z0-9/_-]+)`),
		r("gitlab token", []string{"glpat"},
			`\bglpat[-_]([0-9A-Za-z_-]{20,})`),
		r("github token", []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"},
			`\b(?:gh[pousr]_|github_pat_)([0-9A-Za-z_]{20,})`),
		r("anthropic key", []string{"sk-ant-"},
			`\bsk-ant-([0-9A-Za-z_-]{20,})`),
		r("openai key", []string{"sk-"},
			`\bsk-(?:proj-|svcacct-|admin-)?([0-9A-Za-z_-]{20,})`),
		r("google api key", []string{"aiza"},
			`\bAIza([0-9A-Za-z_-]{30,})`),
		r("npm token", []string{"npm_"},
			`\bnpm_([0-9A-Za-z]{36})\b`),
		r("hugging face token", []string{"hf_"},
			`\bhf_([0-9A-Za-z]{30,})\b`),
		{name: "secret assignment", keyed: true,
			triggers: []string{"pass", "pwd", "secret", "token", "key", "auth", "credential", "cookie", "session"},
			also:     []string{"=", ":", "-"},
			re: regexp.MustCompile(`(?i)([A-Za-z0-9_.-]*(?:passw(?:or)?d|passphrase|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|auth|credential|cookie|session[_-]?id)[A-Za-z0-9_.-]*)` +
				`(["']?\s*[:=]\s*["']?|\s+)(` + valueChars + `+)`)},
	}
})

// Redact returns text with the secrets it recognises replaced by
// [Redacted], and whether it changed anything. It knows passwords in URLs
// (postgres://app:p4ss@db), curl -u user:pass, mysql -pPASS, sshpass -p,
// Authorization and Bearer headers, password=/token=/secret= style
// assignments (in query strings, JSON, environment and --flag value form;
// for token and key words only when the value looks random), private key
// blocks, and the token formats of AWS, JWT, Stripe, Slack, GitLab, GitHub,
// Anthropic, OpenAI, Google, npm and Hugging Face.
//
// Redaction is for the stored and displayed copy only: the decision must
// always be made on the original input, which the caller keeps. Redact is a
// best effort: a secret in a form it does not know stays in the text.
func Redact(text string) (string, bool) {
	if text == "" {
		return text, false
	}
	lower := ""
	changed := false
	for _, rule := range redactRules() {
		if lower == "" {
			lower = strings.ToLower(text)
		}
		if !containsAny(lower, rule.triggers) || (rule.also != nil && !containsAny(lower, rule.also)) {
			continue
		}
		out, did := rule.apply(text)
		if did {
			text, changed, lower = out, true, ""
		}
	}
	return text, changed
}

func containsAny(s string, subs []string) bool {
	for _, t := range subs {
		if strings.Contains(s, t) {
			return true
		}
	}
	return false
}

func (rule *redactRule) apply(text string) (string, bool) {
	matches := rule.re.FindAllStringSubmatchIndex(text, -1)
	if matches == nil {
		return text, false
	}
	var b strings.Builder
	last := 0
	for _, m := range matches {
		g := 1
		if rule.keyed {
			g = 3
		} else {
			for g < len(m)/2-1 && m[2*g] < 0 {
				g++
			}
		}
		start, end := m[2*g], m[2*g+1]
		if start < 0 || start < last {
			continue
		}
		value := text[start:end]
		if value == Redacted || strings.Contains(value, Redacted) {
			continue
		}
		if rule.keyed && !secretAssignment(text[m[2]:m[3]], text[m[4]:m[5]], value) {
			continue
		}
		if rule.accept != nil && !rule.accept(value) {
			continue
		}
		b.WriteString(text[last:start])
		b.WriteString(Redacted)
		last = end
	}
	if last == 0 {
		return text, false
	}
	b.WriteString(text[last:])
	return b.String(), true
}

// secretAssignment decides whether value, assigned to key, is a secret.
// Password-like keys always hold one; token-, key- and session-like keys only
// when the value looks random, so max_tokens=1024 and --key=2 stay readable.
// A value separated by white space counts only after a --flag or -flag.
func secretAssignment(key, sep, value string) bool {
	if strings.TrimSpace(sep) == "" && !strings.HasPrefix(key, "-") {
		return false
	}
	k := strings.ToLower(key)
	for _, w := range []string{"passw", "passphrase", "pwd", "secret", "private"} {
		if strings.Contains(k, w) {
			return value != ""
		}
	}
	return looksRandom(value)
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
			if !did && isSecretKey(k) {
				if s, ok := e.(string); ok && s != "" && s != Redacted {
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
