package shell

import "testing"

// Typical agent commands of about 100 bytes.
var benchCommands = []string{
	"cd /srv/app && python3 -m http.server 8080 --bind 127.0.0.1 > /tmp/server.log 2>&1 &",
	"git status && git diff --stat HEAD~1 -- src/ | head -n 40 && go test ./... -run TestParse",
	"find . -name '*.go' -not -path './vendor/*' | xargs grep -n 'func Test' | wc -l > count.txt",
	"sudo -u www-data env PORT=3000 NODE_ENV=production npx --yes http-server -p 8081 ./public",
	"curl -fsSL https://example.com/install.sh -o /tmp/install.sh && bash /tmp/install.sh --yes",
	"bash -c 'for f in src/*.py; do python3 -m py_compile \"$f\" || echo \"bad: $f\"; done'",
}

func BenchmarkAnalyze(b *testing.B) {
	env := Env{Cwd: "/work/proj", Home: "/home/dev"}
	bytes := 0
	for _, c := range benchCommands {
		bytes += len(c)
	}
	b.SetBytes(int64(bytes / len(benchCommands)))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		Analyze(benchCommands[i%len(benchCommands)], env)
	}
}

func BenchmarkAnalyzeEach(b *testing.B) {
	env := Env{Cwd: "/work/proj", Home: "/home/dev"}
	for _, c := range benchCommands {
		b.Run(c[:12], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Analyze(c, env)
			}
		})
	}
}
