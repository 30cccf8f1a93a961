package catalog_test

import (
	"strings"
	"testing"

	"github.com/safeclaw/safeclaw/action"
)

// TestPortPolicyTable replays, at the catalogue's level, the commands of
// peers-and-gaps §3 and its extra evasions that depend on knowing programs
// (the rows about lists, subshells and redirections are the shell
// package's): each listener, tunnel and published port gets its facet,
// the benign rows none. Views are what the shell package hands over.
func TestPortPolicyTable(t *testing.T) {
	rows := []struct {
		views string
		kind  action.Kind // "" = no listen, bind, tunnel, remote or opaque facet
		port  int
	}{
		{"python -m http.server 8080", action.NetworkListen, 8080},
		{"python3 -m http.server 8080", action.NetworkListen, 8080},
		{"python3 -m  http.server", action.NetworkListen, 8000},
		{"/usr/bin/python3 -m http.server", action.NetworkListen, 8000},
		{"sudo php -S 0.0.0.0:80 ⟩ php -S 0.0.0.0:80", action.NetworkListen, 80},
		{"nc -lvnp 4444", action.NetworkListen, 4444},
		{"nc -l -p 4444", action.NetworkListen, 4444},
		{"ncat -lk 8080", action.NetworkListen, 8080},
		{"socat TCP-LISTEN:8080,fork EXEC:/bin/sh", action.NetworkListen, 8080},
		{"ssh -NR 8080:localhost:3000 host", action.NetworkTunnel, 8080},
		{"ssh -o ServerAliveInterval=60 -R 8080:localhost:3000 host", action.NetworkTunnel, 8080},
		{"npx --yes http-server -p 8081 ⟩ http-server -p 8081", action.NetworkListen, 8081},
		{`python3 -c 'import socket;s=socket.socket();s.bind(("",8080));s.listen()'`, action.NetworkListen, 8080},
		{"busybox httpd -f -p 8080 ⟩ httpd -f -p 8080", action.NetworkListen, 8080},
		{"docker run -p 8080:80 nginx", action.NetworkListen, 8080},
		{"env FOO=1 ngrok http 3000 ⟩ ngrok http 3000", action.NetworkTunnel, 0},
		{"git status", "", 0},
		{"go test ./...", "", 0},
		{"ls -la", "", 0},
		// Extra evasions.
		{"python3 -mhttp.server", action.NetworkListen, 8000},
		{"python3 -m 'http.server'", action.NetworkListen, 8000},
		{"uv run python -m http.server", action.NetworkListen, 8000},
		{"sudo -u www nc -l 80 ⟩ nc -l 80", action.NetworkListen, 80},
		{"watch python3 -m http.server", action.NetworkListen, 8000},
		{"timeout 999 python3 -m http.server", action.NetworkListen, 8000},
		{"find . -exec python3 -m http.server ; ⟩ python3 -m http.server", action.NetworkListen, 8000},
		// H7-H11.
		{"nc -lvp 4444", action.NetworkListen, 4444},
		{"php -S 0.0.0.0:8000", action.NetworkListen, 8000},
		{"npx http-server -p 8081", action.NetworkListen, 8081},
		{"ssh -R 8080:localhost:3000 jump.example", action.NetworkTunnel, 8080},
	}
	judged := map[action.Kind]bool{action.NetworkListen: true, action.NetworkBind: true, action.NetworkTunnel: true, action.ShellRemote: true, action.ShellOpaque: true}
	for _, row := range rows {
		r := detect(cmd(strings.Split(row.views, " ⟩ ")...))
		if row.kind == "" {
			for _, f := range r.Facets {
				if judged[f.Kind] {
					t.Errorf("%s: unexpected %s:%s", row.views, f.Kind, describe(r))
				}
			}
			continue
		}
		got := ofKind(r, row.kind)
		if len(got) == 0 || (row.port != 0 && !anyPort(got, row.port)) {
			t.Errorf("%s: want %s port %d:%s", row.views, row.kind, row.port, describe(r))
		}
	}
}
