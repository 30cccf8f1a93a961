package policy

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/safeclaw/safeclaw/action"
)

// Finding is one lint finding.
type Finding struct {
	Source  string `json:"source"` // file:line:col of the rule or key
	Rule    string `json:"rule"`   // the rule's name, else its reason
	Message string `json:"message"`
}

// wrappers run another command given as their arguments: an allow for them
// allows whatever they run.
// (Built on first use: only lint reads it, and every process would build
// it at start-up.)
var wrappers = sync.OnceValue(func() map[string]bool {
	return map[string]bool{
		"sudo": true, "doas": true, "su": true, "runuser": true, "env": true, "command": true, "exec": true, "builtin": true,
		"nice": true, "ionice": true, "nohup": true, "setsid": true, "timeout": true, "time": true, "stdbuf": true,
		"xargs": true, "watch": true, "strace": true, "ltrace": true, "chroot": true, "unshare": true, "nsenter": true,
		"flock": true, "caffeinate": true, "script": true, "busybox": true, "eval": true, "source": true, ".": true,
		"bash": true, "sh": true, "zsh": true, "dash": true, "ksh": true, "fish": true, "csh": true, "tcsh": true,
		"npx": true, "pnpx": true, "bunx": true, "uvx": true, "pipx": true, "dlx": true, "parallel": true,
		"docker": true, "podman": true, "kubectl": true, "ssh": true,
	}
})

// codeRunners take code as an option value (-c, -e): an allow with a free
// value allows any code.
var codeRunners = sync.OnceValue(func() map[string]string {
	return map[string]string{
		"bash": "-c", "sh": "-c", "zsh": "-c", "dash": "-c", "ksh": "-c", "fish": "-c",
		"python": "-c", "node": "-e", "perl": "-e", "ruby": "-e", "php": "-r", "lua": "-e", "osascript": "-e",
	}
})

// wordExamples are real words used to illustrate what a word glob also matches.
var wordExamples = []string{"lsof", "lsblk", "serverless", "server", "http-server-x", "catdoc", "rmdir", "shred",
	"gitk", "git-lfs", "nodemon", "python-config", "npm-run-all", "curlie", "sshd", "ncat", "netcat", "ngrok-agent",
	"install-all", "test-and-deploy", "build-and-push", "status-all"}

// Lint reports rules that are shadowed or unreachable, allow rules an
// earlier deny makes dead, deny and ask rules an earlier allow makes
// unreachable, command allows that decide listening or tunnelling commands
// before a later deny of those kinds, asks a broad earlier deny overrides, matchers that
// match nothing where the policy runs, word globs that match more than they
// seem to, and allows for wrapper programs.
func Lint(p *Policy) []Finding {
	return lintAt(p, time.Now())
}

// lintAt is Lint with the time expiry is judged at.
func lintAt(p *Policy, now time.Time) []Finding {
	p.compilePaths() // covers compares the rules' compiled globs
	var out []Finding
	if p.def == action.Allow && p.defSource != "" {
		// Legal, and sometimes meant (a deny list), but it turns the
		// product's deny-by-default around: say so once.
		out = append(out, Finding{Source: p.defSource, Rule: "default",
			Message: "default allow: every action no rule matches is allowed, including commands and kinds nobody thought of, so this policy blocks only what its deny rules name; prefer default: deny (or ask) with allow rules for what you use"})
	}
	add := func(r *rule, key, format string, args ...any) {
		src := r.sourceCol()
		if pos, ok := r.keyPos.get(key); ok && key != "" {
			src = fmt.Sprintf("%s:%d:%d", r.file, pos[0], pos[1])
		}
		out = append(out, Finding{Source: src, Rule: r.ref.Name, Message: fmt.Sprintf(format, args...)})
	}
	for j, b := range p.rules {
		for i := 0; i < j; i++ {
			a := p.rules[i]
			if !covers(a, b) {
				continue
			}
			switch {
			case a.effect == b.effect:
				add(b, "", "unreachable: earlier rule %q (%s) already matches everything this rule matches, with the same effect; remove one", a.ref.Name, a.ref.Source)
			case a.effect == action.Deny && b.effect != action.Deny:
				add(b, "", "dead %s: earlier deny %q (%s) matches everything this rule matches, so it never applies; move it above that rule", b.effect, a.ref.Name, a.ref.Source)
			case a.effect == action.Allow && !a.approval:
				add(b, "", "unreachable %s: earlier allow %q (%s) matches everything this rule matches, so this %s never applies and what it matches is allowed; move it above that rule", b.effect, a.ref.Name, a.ref.Source, b.effect)
			default:
				add(b, "", "shadowed: earlier rule %q (%s, %s) decides everything this rule matches, so this %s never applies", a.ref.Name, a.ref.Source, a.effect, b.effect)
			}
			break
		}
		// The brief's Step 6 exception (allow with human approval) only works
		// above the general listener deny.
		if b.approval && b.hasViewMatchers() {
			for i := 0; i < j; i++ {
				a := p.rules[i]
				if a.effect == action.Deny && broadListenDeny(a) {
					add(b, "", "earlier deny %q (%s) decides every part that listens on a port, so if this command starts a server it is denied, not asked; put this rule above it (the brief's Step 6 order)", a.ref.Name, a.ref.Source)
					break
				}
			}
		}
		lintListenAllow(p, j, func(format string, args ...any) { add(b, "", format, args...) })
		for _, g := range p.paths(b) {
			if g.never {
				why := g.why
				if g.neg {
					why = strings.Replace(why, "this path matches nothing", "it leaves nothing out", 1)
				}
				add(b, "path", "path %q: %s", g.raw, why)
			}
		}
		for i, re := range b.canon.CommandRegex {
			switch word := anchoredProgram(re); {
			case strings.HasPrefix(re, "^/") || strings.HasPrefix(re, `^\/`):
				add(b, "command_regex", "command_regex %q can never match: the command line starts with the program name, without its directory", re)
			case word != "" && action.ProgramName(word) != word:
				add(b, "command_regex", "command_regex %q can never match: the command line starts with the program name %q, not %q", re, action.ProgramName(word), word)
			}
			if matchesEverything(b.regexes[i].get()) {
				add(b, "command_regex", "command_regex %q matches every command (it matches an empty string anywhere; an empty alternative such as \"a|\" does that)", re)
			}
		}
		for _, m := range b.argm {
			if m.re != nil && matchesEverything(m.re) {
				add(b, "args", "args regex %q for %q matches every value (it matches an empty string anywhere)", m.canon.Regex, m.key)
			}
		}
		if b.hasExpires && !now.Before(b.expires) {
			add(b, "conditions", "expired: expires %s is in the past, so this rule never matches; remove it or move the date", b.canon.Expires)
		}
		for _, raw := range b.pathsRaw {
			if strings.ContainsAny(raw, "?[\\") {
				add(b, "path", "path %q: only '*' is a wildcard; '?', '[...]' and '\\' are literal characters here, so this glob may match nothing", raw)
			}
		}
		if b.effect == action.Allow {
			for _, raw := range b.canon.URL {
				if _, auth, rest, ok := splitURL(raw); ok && rest == "" && len(auth) > 1 && strings.HasSuffix(auth, "*") {
					base := strings.TrimRight(raw, "*")
					add(b, "url", "url %q: its '*' runs on past the host, so it also allows %s.evil.example/ and %s@evil.example/; end the host with '/', as in %q", raw, base, base, base+"/*")
				}
			}
		}
		for _, raw := range b.canon.Agent {
			if raw != strings.ToLower(raw) {
				add(b, "agent", "agent %q has upper-case letters, but agent globs are case-sensitive and safeclaw names agents in lower case (claude, codex, gemini, cursor), so it matches only an agent an API caller names so; write %q", raw, strings.ToLower(raw))
			}
		}
		lintLookalikes(b, func(key, format string, args ...any) { add(b, key, format, args...) })
		for _, pat := range b.patterns {
			lintPattern(b, pat, func(format string, args ...any) { add(b, "command_pattern", format, args...) })
		}
		for _, g := range b.programs {
			if !g.lit && !g.any {
				add(b, "program", "program %q is a word glob: it also matches %s; name programs exactly", g.pat, example(g))
			}
			if b.effect == action.Allow && (wrappers()[g.pat] || g.any) && len(b.patterns) == 0 && len(b.args) == 0 && len(b.regexes) == 0 {
				add(b, "program", "allowing program %q allows whatever it runs (%s rm -rf ~); allow the wrapped commands instead", g.pat, g.pat)
			}
		}
	}
	return out
}

func lintPattern(r *rule, pat *cmdPattern, add func(string, ...any)) {
	switch {
	case pat.prog.any:
		if r.effect == action.Allow {
			add("pattern %q allows every program", pat.raw)
		}
	case !pat.prog.lit:
		add("pattern %q: program %q is a word glob, so it also matches %s; write the program name exactly", pat.raw, pat.prog.pat, example(pat.prog))
	}
	for _, w := range pat.pos {
		if !w.any && extendsWord(w.g) {
			base := strings.TrimSuffix(w.g.pat, "*")
			add("pattern %q: %q is a word glob, so it also matches %s; to match %q followed by any arguments write %q", pat.raw, w.g.pat, example(w.g), base,
				strings.Replace(pat.raw, w.g.pat, base+" *", 1))
			break
		}
	}
	for _, o := range pat.opts {
		if o.hasValue && !o.value.any && extendsWord(o.value) {
			base := strings.SplitN(o.value.pat, "*", 2)[0]
			add("pattern %q: the value %q of %s is a word glob, so it also matches %s; write the value exactly if you mean %q", pat.raw, o.value.pat, o.name.pat, example(o.value), base)
			break
		}
	}
	if r.effect != action.Allow {
		return
	}
	prog := pat.prog.pat
	if opt, ok := codeRunners()[prog]; ok {
		for _, o := range pat.opts {
			if o.name.pat == opt && (!o.hasValue || !o.value.lit) {
				add("pattern %q allows any code (%s %s '...'); allow specific scripts instead", pat.raw, prog, opt)
				return
			}
		}
		if len(pat.opts) == 0 && len(pat.pos) > 0 && pat.pos[0].any {
			add("pattern %q allows any script or code for %s", pat.raw, prog)
			return
		}
	}
	if wrappers()[prog] {
		if len(pat.pos) == 0 || pat.pos[0].any || !pat.pos[0].g.lit {
			add("pattern %q allows whatever %s runs (it matches %q); allow the wrapped commands instead", pat.raw, prog, prog+" rm -rf ~")
		}
	}
}

// extendsWord reports whether a '*' directly follows a letter or digit
// ("serve*"), so the glob matches longer words than the one it names.
// "@*" or "*.txt" are deliberate and not reported.
func extendsWord(g glob) bool {
	for i := 1; i < len(g.pat); i++ {
		c := g.pat[i-1]
		if g.pat[i] == '*' && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return true
		}
	}
	return false
}

func example(g glob) string {
	base := strings.SplitN(g.pat, "*", 2)[0]
	for _, w := range wordExamples {
		if w != base && g.match(w) {
			return fmt.Sprintf("%q", w)
		}
	}
	return fmt.Sprintf("%q", strings.ReplaceAll(g.pat, "*", "xyz"))
}

// broadListenDeny reports whether r decides every part with a
// network.listen facet (no matchers beyond its action and port "*").
func broadListenDeny(r *rule) bool { return broadKindRule(r, action.NetworkListen) }

// listenExamples are commands safeclaw's command catalogue reads as
// listening on a port, binding one or opening a tunnel, with the word that
// makes them do so ("": the program does nothing else). An allow that
// matches one without naming that word allows such commands by accident.
var listenExamples = []struct {
	cmd   string
	kinds []action.Kind
	key   string
}{
	{"python -m http.server 8000", listenBind, "http.server"},
	{"python -m SimpleHTTPServer", listenBind, "SimpleHTTPServer"},
	{"npx serve", listenOnly, "serve"},
	{"npx http-server", listenOnly, "http-server"},
	{"php -S localhost:8000", listenBind, "-S"},
	{"ruby -run -e httpd .", listenBind, "httpd"},
	{"nc -l 8080", listenBind, "-l"},
	{"ncat -l 8080", listenBind, "-l"},
	{"socat TCP-LISTEN:8080 -", listenBind, "TCP-LISTEN"},
	{"node server.js", listenBind, "server.js"},
	{"flask run", listenOnly, "run"},
	{"jekyll serve", listenOnly, "serve"},
	{"hugo server", listenOnly, "server"},
	{"rails server", listenOnly, "server"},
	{"busybox httpd", listenOnly, "httpd"},
	{"docker run -p 8080:80 nginx", listenBind, "-p"},
	{"ssh -L 8080:localhost:80 host", tunnelBind, "-L"},
	{"ssh -R 8080:localhost:80 host", tunnelOnly, "-R"},
	{"cloudflared tunnel run", tunnelOnly, "tunnel"},
	{"kubectl port-forward svc/web 8080:80", tunnelBind, "port-forward"},
	{"tailscale funnel 8080", tunnelOnly, "funnel"},
}

var (
	listenOnly = []action.Kind{action.NetworkListen}
	listenBind = []action.Kind{action.NetworkListen, action.NetworkBind}
	tunnelOnly = []action.Kind{action.NetworkTunnel}
	tunnelBind = []action.Kind{action.NetworkTunnel, action.NetworkBind}
)

// lintListenAllow reports an allow (without human approval) that matches
// commands by their words and so decides, before a later broad deny or ask
// of network.listen, network.bind or network.tunnel, a command that
// listens: the first rule that matches a part decides it, whatever its other
// facets. It reports only what an example command shows, and not an allow
// that names what makes the command listen (an intended exception).
func lintListenAllow(p *Policy, j int, add func(string, ...any)) {
	a := p.rules[j]
	if a.effect != action.Allow || a.approval || !a.hasViewMatchers() || !a.matchKind(action.ShellExecute) ||
		len(a.ports) > 0 || len(a.hosts) > 0 || len(a.pathsRaw) > 0 || len(a.urls) > 0 || len(a.tools) > 0 ||
		len(a.servers) > 0 || len(a.uris) > 0 || len(a.argm) > 0 {
		return
	}
	for _, c := range p.rules[j+1:] {
		if c.effect == action.Allow {
			continue
		}
		for _, ex := range listenExamples {
			for _, k := range ex.kinds {
				if !broadKindRule(c, k) {
					continue
				}
				v := action.ParseArgv(strings.Fields(ex.cmd))
				if !p.matchView(a, &v) || namesWord(a, ex.key) {
					break
				}
				add("allows %q, which opens a port or tunnel (%s), and comes before %s %q (%s): the first rule that matches a command decides it, so that %s never applies to such commands; narrow this rule to the commands it is for, or move that rule above it",
					ex.cmd, k, c.effect, c.ref.Name, c.ref.Source, c.effect)
				return
			}
		}
	}
}

// namesWord reports whether r's command matchers name word literally (as a
// pattern or args word, or in a command_regex), or word is "".
func namesWord(r *rule, word string) bool {
	if word == "" {
		return true
	}
	for _, pat := range r.patterns {
		for _, w := range pat.words[1:] {
			if w == word || (len(w) > len(word) && strings.HasPrefix(w, word) && strings.IndexByte(":=*", w[len(word)]) >= 0) {
				return true
			}
		}
	}
	for _, g := range r.args {
		if g.pat == word {
			return true
		}
	}
	for _, re := range r.canon.CommandRegex {
		if strings.Contains(re, word) || strings.Contains(re, strings.ReplaceAll(word, ".", `\.`)) {
			return true
		}
	}
	return false
}

// broadKindRule reports whether r decides every facet of kind k (no
// matchers beyond its action and port "*", no conditions).
func broadKindRule(r *rule, k action.Kind) bool {
	if !r.matchKind(k) || r.hasViewMatchers() || len(r.hosts) > 0 || len(r.pathsRaw) > 0 ||
		len(r.urls) > 0 || len(r.tools) > 0 || len(r.servers) > 0 || len(r.agents) > 0 || len(r.uris) > 0 || len(r.argm) > 0 ||
		r.hasExpires || r.schedule != nil {
		return false
	}
	for _, pr := range r.ports {
		if pr.any {
			return true
		}
	}
	return len(r.ports) == 0
}

// covers reports whether every facet b can match is matched by a, i.e. b
// can never decide a part (a comes first). It errs towards false.
func covers(a, b *rule) bool {
	if a.hasExpires || a.schedule != nil {
		return false
	}
	for _, bk := range b.kinds {
		if !kindCovered(a.kinds, bk) {
			return false
		}
	}
	if !globsCover(a.agents, b.agents) || !globsCover(a.urls, b.urls) || !globsCover(a.tools, b.tools) || !globsCover(a.servers, b.servers) ||
		!globsCover(a.uris, b.uris) || !argsCover(a, b) {
		return false
	}
	if len(a.ports) > 0 {
		if len(b.ports) == 0 {
			return false
		}
		for _, bp := range b.ports {
			ok := false
			for _, ap := range a.ports {
				if ap.any || (!bp.any && ap.lo <= bp.lo && bp.hi <= ap.hi) {
					ok = true
					break
				}
			}
			if !ok {
				return false
			}
		}
	}
	if len(a.hosts) > 0 {
		if len(b.hosts) == 0 {
			return false
		}
		for _, bh := range b.hosts {
			ok := false
			for _, ah := range a.hosts {
				if ah.raw == bh.raw || (ah.kind == hostGlob && ah.g.any) ||
					(ah.kind == hostGlob && bh.kind == hostGlob && bh.g.lit && ah.g.match(bh.g.pat)) ||
					(ah.kind == hostCIDR && bh.kind == hostAddr && ah.prefix.Contains(bh.addr)) ||
					(ah.kind == hostCIDR && bh.kind == hostCIDR && ah.prefix.Bits() <= bh.prefix.Bits() && ah.prefix.Contains(bh.prefix.Addr())) {
					ok = true
					break
				}
			}
			if !ok {
				return false
			}
		}
	}
	if len(a.pathsRaw) > 0 {
		if len(b.pathsRaw) == 0 {
			return false
		}
		if a.pathNeg || b.pathNeg {
			// What a !GLOB leaves out is not compared: only the same list covers.
			return slices.Equal(a.pathsRaw, b.pathsRaw)
		}
		// lintAt compiled the globs (Policy.paths) before comparing rules.
		for k, bp := range b.pathGlobs {
			ok := false
			for l, ap := range a.pathGlobs {
				if a.pathsRaw[l] == b.pathsRaw[k] && !ap.never {
					ok = true
					break
				}
				if lit, isLit := literalPath(bp); isLit && ap.match(lit) {
					ok = true
					break
				}
				if pathGlobCovers(ap, bp) {
					ok = true
					break
				}
			}
			if !ok {
				return false
			}
		}
	}
	if !a.hasViewMatchers() {
		return true
	}
	if !b.hasViewMatchers() {
		return false
	}
	if len(a.regexes) > 0 {
		for _, ar := range a.canon.CommandRegex {
			if !contains(b.canon.CommandRegex, ar) {
				return false
			}
		}
	}
	if len(a.programs) > 0 {
		var bprogs []glob
		switch {
		case len(b.programs) > 0:
			bprogs = b.programs
		case len(b.patterns) > 0:
			for _, bp := range b.patterns {
				bprogs = append(bprogs, bp.prog)
			}
		default:
			return false
		}
		for _, bg := range bprogs {
			if !globsCover(a.programs, []glob{bg}) {
				return false
			}
		}
	}
	if len(a.patterns) > 0 {
		if len(b.patterns) == 0 {
			return false
		}
		for _, bp := range b.patterns {
			ok := false
			for _, ap := range a.patterns {
				if patternCovers(ap, bp) {
					ok = true
					break
				}
			}
			if !ok {
				return false
			}
		}
	}
	if len(a.args) > 0 {
		for _, ag := range a.args {
			if !argImplied(ag, b) {
				return false
			}
		}
	}
	return true
}

func argImplied(ag glob, b *rule) bool {
	for _, bg := range b.args {
		if bg.pat == ag.pat || (bg.lit && ag.match(bg.pat)) {
			return true
		}
	}
	if len(b.patterns) == 0 {
		return false
	}
	for _, bp := range b.patterns {
		found := false
		for _, w := range bp.words[1:] {
			if !strings.Contains(w, "*") && ag.match(w) {
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

// patternCovers: every view bp matches, ap matches too. bp's words are
// matched by ap as if they were a command, which is exact for literal
// patterns and errs towards false for globs.
func patternCovers(ap, bp *cmdPattern) bool {
	if ap.raw == bp.raw {
		return true
	}
	words := bp.words
	if len(words) > 1 && words[len(words)-1] == "*" {
		words = words[:len(words)-1]
	}
	for _, w := range words {
		if w == "*" {
			return false
		}
	}
	v := action.ParseArgv(words)
	return ap.matchView(&v)
}

// pathGlobCovers reports whether a matches every path b matches, for an a
// of the shape HEAD/** (a "**" that ends the glob, none before): b must
// start with segments a's head covers one by one. Other shapes: false.
func pathGlobCovers(a, b pathGlob) bool {
	if a.never || b.never || !a.star || len(a.middle) > 0 || len(a.tail) > 0 || a.abs != b.abs {
		return false
	}
	// b matches only paths of at least len(b.head) segments that start
	// with b.head (its "**", if any, comes after); a's "**" matches any
	// rest, none included.
	if len(b.head) < len(a.head) {
		return false
	}
	for i := range a.head {
		if !globsCover(a.head[i:i+1], b.head[i:i+1]) {
			return false
		}
	}
	return true
}

func literalPath(g pathGlob) (string, bool) {
	if g.star || g.never || len(g.middle) > 0 || g.prefix == "" {
		return "", false
	}
	var b strings.Builder
	for _, s := range g.head {
		if !s.lit {
			return "", false
		}
		b.WriteByte('/')
		b.WriteString(s.pat)
	}
	return b.String(), true
}

func kindCovered(as []glob, bk glob) bool {
	for _, ak := range as {
		if ak.any || ak.pat == bk.pat || (bk.lit && ak.match(bk.pat)) {
			return true
		}
		if !bk.lit && strings.HasSuffix(ak.pat, "*") && strings.HasPrefix(bk.pat, strings.TrimSuffix(ak.pat, "*")) {
			return true
		}
	}
	return false
}

// globsCover: a absent covers anything; otherwise every b glob must be
// covered by some a glob.
func globsCover(a, b []glob) bool {
	if len(a) == 0 {
		return true
	}
	if len(b) == 0 {
		return false
	}
	for _, bg := range b {
		ok := false
		for _, ag := range a {
			if ag.any || ag.pat == bg.pat || (bg.lit && ag.match(bg.pat)) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// anchoredProgram returns the literal program word a command_regex anchored
// with ^ starts with ("^python3 -m" → "python3"), or "".
func anchoredProgram(re string) string {
	if !strings.HasPrefix(re, "^") {
		return ""
	}
	re = re[1:]
	i := 0
	for i < len(re) {
		c := re[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '+' {
			i++
			continue
		}
		if c == '.' || (c == '\\' && i+1 < len(re) && re[i+1] == '.') {
			// A version dot (python3.12, or escaped python3\.12).
			if c == '\\' {
				i++
			}
			i++
			continue
		}
		break
	}
	word := strings.ReplaceAll(re[:i], `\.`, ".")
	rest := re[i:]
	// The word must end the program: a space, \s, \b, $ or the end.
	if word == "" || !(rest == "" || rest[0] == ' ' || rest[0] == '$' || strings.HasPrefix(rest, `\s`) || strings.HasPrefix(rest, `\b`)) {
		return ""
	}
	return word
}

// matchesEverything reports whether an unanchored regex matches any text,
// as one that can match the empty string without anchors does ("ls|").
func matchesEverything(re *regexp.Regexp) bool {
	return re.MatchString("") && re.MatchString("\x01 zq9 \x02") && re.MatchString("zq9\nzq9")
}

// lintLookalikes reports non-ASCII letters in program names (also a
// command_pattern's first word) and host names: a Cyrillic "с" in "nс -l *" looks right
// and matches nothing.
func lintLookalikes(r *rule, add func(key, format string, args ...any)) {
	check := func(key, s string) bool {
		for i, c := range s {
			if c >= utf8.RuneSelf && unicode.IsLetter(c) {
				add(key, "%s %q has the non-ASCII letter %q (U+%04X) at byte %d; if it stands for a Latin letter, this never matches", key, s, c, c, i)
				return true
			}
		}
		return false
	}
	for _, pat := range r.patterns {
		check("command_pattern", pat.words[0]) // arguments may well be non-ASCII text
	}
	for _, g := range r.programs {
		check("program", g.pat)
	}
	for _, h := range r.hosts {
		check("host", h.raw)
	}
}
