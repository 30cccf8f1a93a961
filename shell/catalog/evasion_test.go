package catalog_test

import (
	"strings"
	"testing"

	"github.com/safeclaw/safeclaw/action"
)

// Servers and commands reached through runners, project files, editors and
// code strings: the facets and the shell texts handed back.
func TestEvasionPaths(t *testing.T) {
	files := map[string]string{
		"package.json":   `{"scripts":{"dev":"vite --port 5174","build":"tsc"}}`,
		"composer.json":  `{"scripts":{"serve":"php -S 0.0.0.0:8000","dev":["@putenv X=1","@serve"],"art":"@php artisan serve","cb":"App\\Cb::go","loop":"@loop"}}`,
		"Procfile":       "# processes\nweb: python3 -m http.server $PORT\nworker: php worker.php\n",
		"other/Procfile": "api: nc -l 4444\n",
		"ssh_fwd":        "Host *\n  RemoteForward 8080 localhost:80\n",
		"ssh_proxy":      "Host x\n  ProxyCommand nc -l 4444\n",
		"ssh_plain":      "Host x\n  User me\n",
	}
	cases := []struct {
		views     []string // outermost first
		kind      action.Kind
		scriptHas string // a returned script contains it
	}{
		// yarn/pnpm/bun NAME are peeled to NAME; the script comes from the wrapper's view.
		{views: []string{"yarn dev", "dev"}, kind: action.NetworkListen},
		{views: []string{"pnpm dev", "dev"}, kind: action.NetworkListen},
		{views: []string{"bun run dev", "dev"}, kind: action.NetworkListen},
		{views: []string{"yarn build", "build"}, scriptHas: "tsc"},
		{views: []string{"npm run --silent dev"}, kind: action.NetworkListen},
		{views: []string{"npm run -s dev"}, kind: action.NetworkListen},
		{views: []string{"bun run ./server.ts"}, kind: action.NetworkListen},
		{views: []string{"node --watch server.js"}, kind: action.NetworkListen},
		{views: []string{"node -pe \"require('net').createServer().listen(1)\""}, kind: action.NetworkListen},
		// composer.json scripts.
		{views: []string{"composer serve"}, kind: action.NetworkListen, scriptHas: "php -S 0.0.0.0:8000"},
		{views: []string{"composer run-script dev"}, kind: action.NetworkListen},
		{views: []string{"composer run art"}, kind: action.NetworkListen, scriptHas: "php artisan serve"},
		{views: []string{"composer cb"}},
		{views: []string{"composer loop"}},
		// Procfile runners.
		{views: []string{"foreman start"}, kind: action.NetworkListen, scriptHas: "python3 -m http.server $PORT"},
		{views: []string{"foreman start web"}, kind: action.NetworkListen},
		{views: []string{"foreman start worker"}, scriptHas: "php worker.php"},
		{views: []string{"honcho -f other/Procfile start"}, kind: action.NetworkListen},
		{views: []string{"hivemind other/Procfile"}, kind: action.NetworkListen},
		{views: []string{"heroku local web"}, kind: action.NetworkListen},
		{views: []string{"foreman check"}},
		// Vim and ex commands.
		{views: []string{"vim -c ':term nc -l 4444'"}, scriptHas: "nc -l 4444"},
		{views: []string{"vim -c 'r !nc -l 4444'"}, scriptHas: "nc -l 4444"},
		{views: []string{"vim -c '1,$!sort'"}, scriptHas: "sort"},
		{views: []string{"vim -c \"call system('nc -l 4444')\""}, scriptHas: "nc -l 4444"},
		{views: []string{"vim -c 'exe \"!nc -l 4444\"'"}, scriptHas: "nc -l 4444"},
		// Argument lists are commands.
		{views: []string{"perl -e 'system(\"nc\",\"-l\",\"4444\")'"}, scriptHas: "nc -l 4444"},
		{views: []string{"ruby -e 'exec \"nc\", \"-l\", \"4444\"'"}, scriptHas: "nc -l 4444"},
		{views: []string{"ruby -e 'system(\"echo\", \"a b\")'"}, scriptHas: "echo 'a b'"},
		// ssh -F FILE: the config's forwardings and commands.
		{views: []string{"ssh -F ssh_fwd h"}, kind: action.NetworkTunnel},
		{views: []string{"ssh -Fssh_proxy x"}, scriptHas: "nc -l 4444"},
		{views: []string{"ssh -F ssh_plain x"}},
		// Other shells.
		{views: []string{"nu -c 'nc -l 4444'"}, kind: action.NetworkListen},
		{views: []string{"pwsh -Command 'python3 -m http.server'"}, kind: action.NetworkListen},
		// Servers from code, named tools.
		{views: []string{"python3 -c 'from flask import Flask; Flask(__name__).run(port=5001)'"}, kind: action.NetworkListen},
		{views: []string{"perl -Mojo -E 'a(\"/\")->start' daemon"}, kind: action.NetworkListen},
		{views: []string{"code-tunnel"}, kind: action.NetworkTunnel},
		{views: []string{"code-tunnel status"}},
		{views: []string{"devd -p 9000 ./www"}, kind: action.NetworkListen},
	}
	for _, tc := range cases {
		r := detect(withFiles(cmd(tc.views...), files))
		var got []action.Action
		for _, f := range r.Facets {
			switch f.Kind {
			case action.NetworkListen, action.NetworkTunnel, action.ShellRemote:
				got = append(got, f)
			}
		}
		if tc.kind == "" && len(got) > 0 {
			t.Errorf("%v: unexpected facets:%s", tc.views, describe(r))
		}
		if tc.kind != "" {
			found := false
			for _, f := range got {
				found = found || f.Kind == tc.kind
			}
			if !found {
				t.Errorf("%v: want %s:%s", tc.views, tc.kind, describe(r))
			}
		}
		if tc.scriptHas != "" {
			found := false
			for _, s := range r.Scripts {
				found = found || strings.Contains(s.Text, tc.scriptHas)
			}
			if !found {
				t.Errorf("%v: want a script containing %q:%s", tc.views, tc.scriptHas, describe(r))
			}
		}
	}
}
