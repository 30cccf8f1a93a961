package policy

import (
	"fmt"
	"math/rand"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/safeclaw/safeclaw/action"
)

// hookOptions are the options a hook compiles with: a workspace, a home and
// safeclaw's protected paths as the cli lists them (internal/cli/load.go).
func hookOptions() Options {
	home, ws := "/home/dev", "/srv/project"
	w := []string{home + "/.config/safeclaw/**", home + "/.local/state/safeclaw/**", "/etc/safeclaw/**",
		home + "/.claude/settings.json", home + "/.claude/settings.local.json", home + "/.codex/config.toml",
		home + "/.codex/hooks.json", home + "/.gemini/settings.json", home + "/.cursor/hooks.json"}
	for _, d := range []string{".claude", ".codex", ".gemini", ".cursor"} {
		w = append(w, home+"/"+d+"/hooks/**")
	}
	w = append(w, "/etc/claude-code/**", "/etc/codex/**", "/etc/gemini-cli/**", "/etc/cursor/**")
	for _, root := range []string{ws, ws + "/**"} {
		w = append(w, root+"/.claude/settings.json", root+"/.claude/settings.local.json", root+"/.codex/config.toml",
			root+"/.codex/hooks.json", root+"/.gemini/settings.json", root+"/.cursor/hooks.json", root+"/.safeclaw/**",
			root+"/safeclaw.policy.yaml")
		for _, d := range []string{".claude", ".codex", ".gemini", ".cursor"} {
			w = append(w, root+"/"+d+"/hooks/**")
		}
	}
	return Options{Workspace: ws, Home: home, ProtectWrite: w, ProtectRead: []string{home + "/.local/state/safeclaw/keys/**"}}
}

// BenchmarkLoadDefaultHook is BenchmarkLoadDefault with the protected
// paths a hook really compiles.
func BenchmarkLoadDefaultHook(b *testing.B) {
	data := Default()
	opts := hookOptions()
	b.ReportAllocs()
	for b.Loop() {
		f, err := Parse(DefaultName, data)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Compile([]*File{f}, opts); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadDecideDefaultHook adds a hook's first decision (a command),
// which builds the index the decision needs.
func BenchmarkLoadDecideDefaultHook(b *testing.B) {
	data := Default()
	opts := hookOptions()
	req := request(shellPart("git status"))
	req.Cwd = "/srv/project"
	b.ReportAllocs()
	for b.Loop() {
		f, err := Parse(DefaultName, data)
		if err != nil {
			b.Fatal(err)
		}
		p, err := Compile([]*File{f}, opts)
		if err != nil {
			b.Fatal(err)
		}
		if d := p.Decide(req); d.Effect != action.Allow {
			b.Fatal(d.Effect)
		}
	}
}

// mcpStringCalls are MCP tool calls with a few string arguments, which
// self-protection reads as possible paths.
func mcpStringCalls(tb testing.TB) []*action.Request {
	reqs := []*action.Request{
		mcpCall(tb, "fs", "read_file", `{"path":"/srv/project/src/main.go"}`),
		mcpCall(tb, "fs", "write_file", `{"path":"src/app/handler.go","content":"package app\n\n// Handler serves /api/v1/items and /api/v1/users.\nfunc Handler() {}\n"}`),
		mcpCall(tb, "db", "query", `{"sql":"SELECT id, name FROM users WHERE email LIKE '%@example.com' ORDER BY id","database":"main"}`),
		mcpCall(tb, "gh", "create_issue", `{"owner":"safeclaw","repo":"safeclaw","title":"Crash on start","body":"Steps: run ~/bin/x then open file:///tmp/log.txt","labels":["bug","p1"]}`),
	}
	for _, r := range reqs {
		r.Cwd = "/srv/project"
	}
	return reqs
}

// BenchmarkDecideMCPStringArgs: the default policy with a hook's protected
// paths deciding MCP calls with string arguments (self-protection reads
// every string argument as a possible path).
func BenchmarkDecideMCPStringArgs(b *testing.B) {
	f := mustParse(b, DefaultName, string(Default()))
	p, err := Compile([]*File{f}, hookOptions())
	if err != nil {
		b.Fatal(err)
	}
	reqs := mcpStringCalls(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = p.Decide(reqs[i%len(reqs)])
	}
}

// pathGlobInputs generates glob and path texts from a small alphabet, so
// that globs and paths often share segments.
func randomPathText(rng *rand.Rand, glob bool) string {
	segs := []string{"a", "b", "ab", ".ssh", "srv", "project", "home", "dev", "x.go", ".", ".."}
	if glob {
		segs = append(segs, "*", "**", "a*", "*b", "*.go", "${workspace}", "~")
	}
	var sb strings.Builder
	if rng.Intn(3) > 0 {
		sb.WriteByte('/')
	}
	for i, n := 0, rng.Intn(6); i < n; i++ {
		if i > 0 {
			sb.WriteByte('/')
			if !glob && rng.Intn(8) == 0 {
				sb.WriteByte('/')
			}
		}
		sb.WriteString(segs[rng.Intn(len(segs))])
	}
	if !glob && rng.Intn(8) == 0 {
		sb.WriteByte('/')
	}
	return sb.String()
}

// checkCanonicalMatch compares matchCanonical with match (the full
// segment-by-segment match) for one glob and path.
func checkCanonicalMatch(t *testing.T, glob, path, cwd string) {
	t.Helper()
	if _, err := checkPathGlob(glob); err != nil {
		return
	}
	for _, o := range []struct{ ws, home string }{{"/srv/project", "/home/dev"}, {"", ""}, {"srv", "/home/d*v/"}, {"/", "/home/dev/../x"}} {
		g := compilePathGlob(glob, o.ws, o.home)
		p := canonicalPath(path, cwd)
		segs := segments(p, nil)
		if got, want := g.matchCanonical(p, segs), g.match(p); got != want {
			t.Fatalf("glob %q (workspace %q, home %q), path %q: matchCanonical %v, match %v", glob, o.ws, o.home, p, got, want)
		}
	}
}

func TestMatchCanonicalEqualsMatch(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 200000; i++ {
		cwd := ""
		if rng.Intn(2) == 0 {
			cwd = "/srv/project"
		}
		checkCanonicalMatch(t, randomPathText(rng, true), randomPathText(rng, false), cwd)
	}
}

// FuzzMatchCanonical: matchCanonical agrees with match.
//
//	go test ./policy -run=- -fuzz=FuzzMatchCanonical -fuzztime=60s
func FuzzMatchCanonical(f *testing.F) {
	f.Add("~/.ssh/**", "/home/dev/.ssh/id_rsa", "")
	f.Add("${workspace}/**/x*.go", "a/b/xy.go", "/srv/project")
	f.Add("/etc/**", "/etc", "")
	f.Add(".env", "/srv/project/.env", "/")
	f.Fuzz(func(t *testing.T, glob, path, cwd string) { checkCanonicalMatch(t, glob, path, cwd) })
}

// oldProtectedArgMatch is how protectedArg matched before it split the
// path once: each glob's match on its own.
func oldProtectedArgMatch(p *Policy, path string) bool {
	protectW, protectR := p.protected()
	for _, list := range [][]pathGlob{protectR, protectW} {
		for j := range list {
			if list[j].match(path) {
				return true
			}
		}
	}
	return false
}

func TestProtectedArgEqualsOld(t *testing.T) {
	f := mustParse(t, DefaultName, string(Default()))
	p, err := Compile([]*File{f}, hookOptions())
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(2))
	protected := append(append([]string(nil), hookOptions().ProtectWrite...), hookOptions().ProtectRead...)
	for i := 0; i < 100000; i++ {
		var s string
		switch rng.Intn(3) {
		case 0:
			// A protected glob with its stars filled in, perhaps changed.
			s = strings.ReplaceAll(protected[rng.Intn(len(protected))], "**", randomPathText(rng, false))
			s = strings.ReplaceAll(s, "*", "q")
			if rng.Intn(2) == 0 && len(s) > 2 {
				j := rng.Intn(len(s))
				s = s[:j] + s[j+1:]
			}
		case 1:
			s = randomPathText(rng, false)
		default:
			s = "~/" + randomPathText(rng, false)
		}
		for _, cwd := range []string{"", "/srv/project", "/home/dev/.config"} {
			got := p.protectedArg(s, cwd)
			want := false
			if path, ok := oldProtectedArgPath(p, s, cwd); ok {
				want = oldProtectedArgMatch(p, path)
			}
			if got != want {
				t.Fatalf("protectedArg(%q, %q) = %v, want %v", s, cwd, got, want)
			}
		}
	}
}

// oldProtectedArgPath is protectedArg's reading of s as a path (unchanged).
func oldProtectedArgPath(p *Policy, s, cwd string) (string, bool) {
	if len(s) > 4096 {
		return "", false
	}
	if u, ok := fileURLPath(s); ok {
		s = u
	} else if strings.ContainsAny(s, "\n\x00") {
		return "", false
	}
	switch {
	case strings.HasPrefix(s, "~/"):
		if p.home == "" {
			return "", false
		}
		s = p.home + s[1:]
	case s == "" || s == "~":
		return "", false
	case s[0] != '/':
		if cwd == "" || cwd[0] != '/' {
			return "", false
		}
	}
	return canonicalPath(s, cwd), true
}

// oldCompilePattern is compilePattern before patterns shared an arena and
// skipped action.ParseArgv for words without options.
func oldCompilePattern(s string) (*cmdPattern, error) {
	if i, r := invisibleAt(s); i >= 0 {
		return nil, &patternError{off: i, msg: fmt.Sprintf("command_pattern %q contains the invisible character %U", s, r), hint: invisibleHint(r)}
	}
	if i, r := controlAt(s, false); i >= 0 {
		return nil, &patternError{off: i, msg: fmt.Sprintf("command_pattern %q contains the control character %U", s, r), hint: controlHint}
	}
	words, err := splitPattern(s, nil)
	if err != nil {
		return nil, err
	}
	if len(words) == 0 {
		return nil, &patternError{msg: "empty command_pattern", hint: "write the program and its arguments, e.g. \"npm run dev\""}
	}
	if words[0] == "" {
		return nil, &patternError{msg: "command_pattern starts with an empty word", hint: "the first word is the program"}
	}
	if strings.HasPrefix(words[0], "-") {
		return nil, &patternError{msg: fmt.Sprintf("command_pattern starts with the option %q", words[0]), hint: "the first word is the program, e.g. \"nc -l *\""}
	}
	if strings.HasSuffix(words[0], "/") {
		return nil, &patternError{msg: fmt.Sprintf("command_pattern program %q ends with '/'", words[0]), hint: "name the program, e.g. \"/bash -i\" for bash with or without a path"}
	}
	argv := action.ParseArgv(words)
	p := &cmdPattern{raw: s, words: words, prog: newGlob(argv.Program, false)}
	if len(argv.Options) > 0 {
		p.opts = make([]patOpt, 0, len(argv.Options))
	}
	if len(argv.Positionals) > 0 {
		p.pos = make([]patWord, 0, len(argv.Positionals))
	}
	for _, o := range argv.Options {
		po := patOpt{name: newGlob(o.Name, false), hasValue: o.HasValue}
		if o.HasValue {
			po.value = newGlob(o.Value, false)
		}
		p.opts = append(p.opts, po)
	}
	for _, w := range argv.Positionals {
		p.pos = append(p.pos, patWord{any: w == "*", g: newGlob(w, false)})
	}
	return p, nil
}

// checkPatternsAsOld compiles the patterns into one arena, as parseRule
// does, and compares each with oldCompilePattern once all are compiled
// (so no pattern's storage was overwritten by a later one).
func checkPatternsAsOld(t *testing.T, pats []string) {
	t.Helper()
	var a patArena
	got := make([]cmdPattern, len(pats))
	errs := make([]error, len(pats))
	for i, s := range pats {
		errs[i] = compilePatternInto(&got[i], s, &a)
	}
	for i, s := range pats {
		want, werr := oldCompilePattern(s)
		if (errs[i] == nil) != (werr == nil) || (werr != nil && !reflect.DeepEqual(errs[i], werr)) {
			t.Fatalf("pattern %q: error %v, old %v", s, errs[i], werr)
		}
		if werr != nil {
			continue
		}
		if !reflect.DeepEqual(got[i], *want) {
			t.Fatalf("pattern %q: compiled %+v, old %+v", s, got[i], *want)
		}
		if p, err := compilePattern(s); err != nil || !reflect.DeepEqual(*p, *want) {
			t.Fatalf("pattern %q: compilePattern %+v, %v; old %+v", s, p, err, *want)
		}
	}
}

func TestCompilePatternEqualsOld(t *testing.T) {
	f := mustParse(t, DefaultName, string(Default()))
	var pats []string
	for _, r := range f.rules {
		pats = append(pats, r.canon.CommandPattern...)
	}
	checkPatternsAsOld(t, pats)
	words := []string{"git", "go", "python3", "/usr/bin/python3.12", "nc", "curl", "-l", "-e", "--port", "--data=x", "-d", "@*", "*",
		"-", "--", "-9", "-lvnp", "status", "run", "-m", "http.server", "'a b'", "\"x\"", "node", "make", "-j", "4", "ssh", "-R"}
	rng := rand.New(rand.NewSource(3))
	for i := 0; i < 20000; i++ {
		pats := make([]string, 1+rng.Intn(8))
		for j := range pats {
			n := 1 + rng.Intn(5)
			ws := make([]string, n)
			for k := range ws {
				ws[k] = words[rng.Intn(len(words))]
			}
			pats[j] = strings.Join(ws, " ")
		}
		checkPatternsAsOld(t, pats)
	}
}

// FuzzCompilePatternAsOld: patterns compiled into one arena are those
// oldCompilePattern compiles.
//
//	go test ./policy -run=- -fuzz=FuzzCompilePatternAsOld -fuzztime=60s
func FuzzCompilePatternAsOld(f *testing.F) {
	f.Add("git status", "nc -l *", "python -m http.server")
	f.Add("make -j 4", "curl -d @*", "go test ./...")
	f.Add("'a b' c", "x -- -y", "ssh -R *")
	f.Fuzz(func(t *testing.T, a, b, c string) { checkPatternsAsOld(t, []string{a, b, c, a}) })
}

// oldIndexKeys and oldBucketAdd are how buckets were built before bucket.add
// filed a rule's patterns directly, dropping repeats as it goes.
func oldIndexKeys(r *rule) (keys []progKey, wild bool) {
	add := func(k progKey) {
		for _, x := range keys {
			if x == k {
				return
			}
		}
		keys = append(keys, k)
	}
	switch {
	case len(r.patterns) > 0:
		for _, pat := range r.patterns {
			if k, ok := patternKey(pat); ok {
				add(k)
			} else {
				wild = true
			}
		}
	case len(r.programs) > 0:
		for _, g := range r.programs {
			if g.lit {
				add(progKey{prog: g.pat})
			} else {
				wild = true
			}
		}
	}
	return keys, wild
}

func oldBucketAdd(b *bucket, r *rule) {
	keys, wild := oldIndexKeys(r)
	i := int32(r.index)
	b.all = append(b.all, i)
	if len(keys) == 0 && !wild {
		b.anyProg = append(b.anyProg, i)
		return
	}
	if wild {
		b.wildProg = append(b.wildProg, i)
	}
	for _, k := range keys {
		if b.byProg == nil {
			b.byProg = map[string]*subIndex{}
		}
		s := b.byProg[k.prog]
		if s == nil {
			s = &subIndex{}
			b.byProg[k.prog] = s
		}
		if !k.hasSub {
			s.any = append(s.any, i)
			continue
		}
		if s.bySub == nil {
			s.bySub = map[string][]int32{}
		}
		s.bySub[k.sub] = append(s.bySub[k.sub], i)
	}
}

func TestBucketsEqualOld(t *testing.T) {
	policies := map[string]*Policy{"default": compiledDefault(t), "brief": briefPolicy(t, Options{}), "big": bigPolicy(t, 2000),
		"repeats": mustCompile(t, Options{}, `
rules:
  - {command_pattern: ["git status", "git status -s", "git log", "git", "g* x", "git *", "h* y"], effect: allow}
  - {program: [git, git, "g*", "h*"], effect: deny}
  - {command_pattern: ["git status", "/usr/bin/git status"], action: [shell.execute, file.read], effect: ask}
  - {action: "*", effect: deny}
`)}
	for name, p := range policies {
		// The index has a bucket for every known kind and every kind a
		// rule names, and one for glob actions; each holds what the old
		// builder put in it.
		kinds := map[action.Kind]bool{}
		for _, k := range action.Kinds {
			kinds[k] = true
		}
		for _, r := range p.rules {
			for _, g := range r.kinds {
				if g.lit {
					kinds[action.Kind(g.pat)] = true
				}
			}
		}
		if len(p.byKind) != len(kinds) {
			t.Fatalf("%s: %d buckets, want %d", name, len(p.byKind), len(kinds))
		}
		for k := range kinds {
			lb := p.byKind[k]
			if lb == nil {
				t.Fatalf("%s: no bucket for %s", name, k)
			}
			want := &bucket{}
			for _, r := range p.rules {
				if r.matchKind(k) {
					oldBucketAdd(want, r)
				}
			}
			if got := lb.get(); !reflect.DeepEqual(got, want) {
				t.Fatalf("%s: bucket %s %+v, old %+v", name, k, got, want)
			}
		}
		want := &bucket{}
		for _, r := range p.rules {
			if slices.ContainsFunc(r.kinds, func(g glob) bool { return !g.lit }) {
				oldBucketAdd(want, r)
			}
		}
		if got := p.wild.get(); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: wild bucket %+v, old %+v", name, got, want)
		}
		for _, in := range []func(*rule) bool{
			func(r *rule) bool { return true },
			func(r *rule) bool { return r.matchKind(action.ShellExecute) },
			func(r *rule) bool { return r.matchKind(action.FileRead) },
		} {
			got := p.buildBucket(in)
			want := &bucket{}
			for _, r := range p.rules {
				if in(r) {
					oldBucketAdd(want, r)
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%s: bucket %+v, old %+v", name, got, want)
			}
		}
	}
}

// Globs compiled into shared storage are the globs compiled on their own,
// also after later ones were compiled into the same blocks.
func TestCompilePathGlobInEqualsAlone(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	var buf []glob
	var raws []string
	var got []pathGlob
	for i := 0; i < 20000; i++ {
		raw := randomPathText(rng, true)
		if _, err := checkPathGlob(raw); err != nil {
			continue
		}
		raws = append(raws, raw)
		got = append(got, compilePathGlobIn(raw, "/srv/project", "/home/dev", &buf))
	}
	for i, raw := range raws {
		if want := compilePathGlob(raw, "/srv/project", "/home/dev"); !reflect.DeepEqual(got[i], want) {
			t.Fatalf("%q: %+v, alone %+v", raw, got[i], want)
		}
	}
}

// Compile's rules are the files' rules with their paths expanded, and its
// protected paths those of the options, compiled one by one (on first use,
// after the caller changed the slices it passed).
func TestCompileSharedStorage(t *testing.T) {
	opts := hookOptions()
	files := []*File{mustParse(t, DefaultName, string(Default())), mustParse(t, "x.yaml", `
rules:
  - {action: file.write, path: ["~/a/**", "${workspace}/b/**/c", "/d"], effect: deny}
  - {name: x, action: file.read, path: ".env", effect: ask}
`)}
	p, err := Compile(files, opts)
	if err != nil {
		t.Fatal(err)
	}
	given := hookOptions()
	for i := range opts.ProtectWrite {
		opts.ProtectWrite[i] = "/changed"
	}
	opts.ProtectRead[0] = "/changed"
	opts.ProtectWrite, opts.ProtectRead = given.ProtectWrite, given.ProtectRead
	for _, r := range p.rules {
		if r.pathGlobs != nil {
			t.Fatal("path globs compiled before use")
		}
	}
	i := 0
	for _, f := range files {
		for _, fr := range f.rules {
			r := p.rules[i]
			if r.index != i || r.name != fr.name || len(p.paths(r)) != len(fr.pathsRaw) || !reflect.DeepEqual(r.patterns, fr.patterns) || r.keyPos[0] != fr.keyPos[0] {
				t.Fatalf("rule %d differs from its file's", i)
			}
			for j, raw := range fr.pathsRaw {
				if want := compilePathGlob(raw, opts.Workspace, opts.Home); !reflect.DeepEqual(p.paths(r)[j], want) {
					t.Fatalf("rule %d path %q: %+v, want %+v", i, raw, p.paths(r)[j], want)
				}
			}
			if len(fr.pathsRaw) == 0 && p.paths(r) != nil {
				t.Fatalf("rule %d has paths", i)
			}
			i++
		}
	}
	protectW, protectR := p.protected()
	for _, l := range []struct {
		in  []string
		out []pathGlob
	}{{opts.ProtectWrite, protectW}, {opts.ProtectRead, protectR}} {
		if len(l.in) != len(l.out) {
			t.Fatal("protected paths differ")
		}
		for j, s := range l.in {
			if want := compilePathGlob(s, opts.Workspace, opts.Home); !reflect.DeepEqual(l.out[j], want) {
				t.Fatalf("protected %q: %+v, want %+v", s, l.out[j], want)
			}
		}
	}
}

// The tables that replaced maps built at start-up answer as the maps did.
func TestStartupTablesEqualOld(t *testing.T) {
	oldDays := map[string]time.Weekday{
		"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
		"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
		"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday,
		"thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday,
	}
	for _, s := range []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat", "sunday", "monday", "tuesday", "wednesday",
		"thursday", "friday", "saturday", "", "Mon", "mo", "mondays", "weekday", "tues"} {
		d, ok := dayName(s)
		if wd, wok := oldDays[s]; d != wd || ok != wok {
			t.Errorf("dayName(%q) = %v, %v; want %v, %v", s, d, ok, wd, wok)
		}
	}
	oldPorts := map[string]string{"http": "80", "https": "443", "ws": "80", "wss": "443", "ftp": "21"}
	for _, s := range []string{"http", "https", "ws", "wss", "ftp", "", "HTTP", "file", "sftp", "gopher"} {
		if got := defaultPort(s); got != oldPorts[s] {
			t.Errorf("defaultPort(%q) = %q, want %q", s, got, oldPorts[s])
		}
	}
	kinds := append(append([]action.Kind(nil), action.Kinds...), toolKinds, "tool.Frob", "")
	for _, key := range []string{"args map", "uri", "command_pattern", "command_regex", "program", "args", "port", "host", "path", "url", "server", "tool", "agent"} {
		ks, _ := matcherKinds(key)
		for _, k := range kinds {
			want := false
			for _, x := range ks {
				want = want || x == k
			}
			if ks.has(k) != want {
				t.Errorf("matcherKinds(%q).has(%q) = %v", key, k, !want)
			}
		}
	}
}

// oldCheckPathGlob is checkPathGlob as it was, splitting with strings.Split.
func oldCheckPathGlob(p string) (hint string, err error) {
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
	segs := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for i, s := range segs {
		switch {
		case s == "" && i == len(segs)-1 && i > 0:
			return "remove the trailing '/'", fmt.Errorf("path glob %q ends with '/'", p)
		case s == "" && p != "/":
			return "", fmt.Errorf("empty segment ('//') in path glob %q", p)
		case s == "." || s == "..":
			return "paths are matched in canonical form; write the path without . and ..", fmt.Errorf("'%s' segment in path glob %q", s, p)
		case strings.Contains(s, "**") && s != "**":
			return "'**' must be a whole segment, as in dir/**/file; use '*' inside a segment", fmt.Errorf("bad '**' in path glob %q", p)
		}
	}
	return "", nil
}

func checkPathGlobAsOld(t *testing.T, p string) {
	t.Helper()
	hint, err := checkPathGlob(p)
	ohint, oerr := oldCheckPathGlob(p)
	if hint != ohint || fmt.Sprint(err) != fmt.Sprint(oerr) {
		t.Fatalf("checkPathGlob(%q) = %q, %v; old %q, %v", p, hint, err, ohint, oerr)
	}
}

func TestCheckPathGlobEqualsOld(t *testing.T) {
	for _, p := range []string{"", "/", "//", "/a/", "a/", "a//b", "/./a", "a/..", "a/**b", "**", "/**", "~", "~/x", "~u/x", "${workspace}",
		"${workspace}/a/", "x/${workspace}", "${workspace}x", "{a,b}", "a/b/c", ".env", "/etc/**", "*/**/x*"} {
		checkPathGlobAsOld(t, p)
	}
	rng := rand.New(rand.NewSource(5))
	for i := 0; i < 50000; i++ {
		checkPathGlobAsOld(t, randomPathText(rng, true))
		checkPathGlobAsOld(t, randomPathText(rng, false))
	}
}

// FuzzCheckPathGlobAsOld: checkPathGlob gives the errors it gave.
//
//	go test ./policy -run=- -fuzz=FuzzCheckPathGlobAsOld -fuzztime=60s
func FuzzCheckPathGlobAsOld(f *testing.F) {
	f.Add("/a//b/")
	f.Add("~/.ssh/**")
	f.Fuzz(checkPathGlobAsOld)
}

// What is built on first use (path globs, protected paths, buckets, pattern
// indexes) is built once, also when the first uses are concurrent, and
// decides as a policy used from one goroutine does (run with -race).
func TestLazyBuildConcurrent(t *testing.T) {
	f := mustParse(t, DefaultName, string(Default()))
	reqs := append(mcpStringCalls(t), benchRequests()...)
	for _, path := range []string{"/home/dev/.ssh/id_rsa", "/srv/project/main.go", "/home/dev/.config/safeclaw/policy.yaml", "/etc/passwd", ".env"} {
		for _, k := range []action.Kind{action.FileRead, action.FileWrite, action.FileDelete} {
			r := request(actionPart(action.Action{Kind: k, Path: path}))
			r.Cwd = "/srv/project"
			reqs = append(reqs, r)
		}
	}
	ref, err := Compile([]*File{f}, hookOptions())
	if err != nil {
		t.Fatal(err)
	}
	want := make([]action.Decision, len(reqs))
	for i, r := range reqs {
		want[i] = ref.Decide(r)
	}
	wantLint := Lint(ref)
	for round := 0; round < 20; round++ {
		p, err := Compile([]*File{f}, hookOptions())
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make(chan string, 4*len(reqs))
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				if g == 0 {
					if got := Lint(p); !reflect.DeepEqual(got, wantLint) {
						errs <- "lint differs"
					}
				}
				for k := range reqs {
					i := (k + g*7) % len(reqs)
					if got := p.Decide(reqs[i]); !reflect.DeepEqual(got, want[i]) {
						errs <- fmt.Sprintf("request %d: %+v, want %+v", i, got, want[i])
					}
				}
			}(g)
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Fatal(e)
		}
	}
}

func oldInvisibleAt(s string) (int, rune) {
	for i, r := range s {
		if r < utf8.RuneSelf {
			continue
		}
		if unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) {
			return i, r
		}
	}
	return -1, 0
}

func TestInvisibleAtEqualsOld(t *testing.T) {
	parts := []string{"a", " ", "git", "\u00a0", "\u200b", "\ufeff", "é", "\xff", "\xe2\x80", "\u2028", "日本", "\t", "\x00"}
	rng := rand.New(rand.NewSource(6))
	for i := 0; i < 100000; i++ {
		var sb strings.Builder
		for j, n := 0, rng.Intn(6); j < n; j++ {
			sb.WriteString(parts[rng.Intn(len(parts))])
		}
		s := sb.String()
		gi, gr := invisibleAt(s)
		if wi, wr := oldInvisibleAt(s); gi != wi || gr != wr {
			t.Fatalf("invisibleAt(%q) = %d, %U; old %d, %U", s, gi, gr, wi, wr)
		}
	}
}
