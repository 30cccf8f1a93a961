package catalog_test

import (
	"testing"

	"github.com/safeclaw/safeclaw/action"
)

// TestPlatformForwards: the port-forwarding subcommands of platform CLIs
// are tunnels; their other subcommands stay clients.
func TestPlatformForwards(t *testing.T) {
	runKindTable(t, action.NetworkTunnel, []endpointCase{
		{views: "fly proxy 15432:5432 -a db", want: true, port: 15432},
		{views: "flyctl proxy 6379", want: true, port: 6379},
		{views: "fly deploy --remote-only", want: false},
		{views: "heroku ps:forward 9229 -a app", want: true, port: 9229},
		{views: "heroku ps:socks -a app", want: true, port: 1080},
		{views: "heroku config:get DATABASE_URL", want: false},
		{views: "vagrant ssh web -- -R 9000:localhost:9000", want: true, port: 9000},
		{views: "vagrant ssh web", want: false},
		{views: "gcloud run services proxy api --port 9090 --region r", want: true, port: 9090},
		{views: "gcloud run services list", want: false},
		{views: "cloud-sql-proxy --port 6543 proj:region:inst", want: true, port: 6543},
		{views: "cloud_sql_proxy -instances=p:r:i=tcp:3306", want: true},
		{views: "playit", want: true},
		{views: "playit version", want: false},
	})
}

func TestMoreListeners(t *testing.T) {
	runKindTable(t, action.NetworkListen, []endpointCase{
		{views: "k3d cluster create dev -p 8081:80@loadbalancer", want: true, port: 8081},
		{views: "k3d cluster create dev", want: false},
		{views: "k3d cluster delete dev", want: false},
		{views: "dotnet serve -o -p 5055", want: true, port: 5055},
		{views: "dotnet build -c Release", want: false},
		{views: "python3 -m uploadserver 9001", want: true, port: 9001},
		{views: "python -m RangeHTTPServer 8123", want: true, port: 8123},
		{views: "python3 -m waitress --port=6543 pkg.app:app", want: true, port: 6543},
		{views: "python3 -m ptvsd --host 0.0.0.0 --port 5679 --wait app.py", want: true, port: 5679},
		{views: "python3 -m pproxy -l socks5://:1081", want: true},
		{views: "rpyc_classic --host 0.0.0.0", want: true, port: 18812},
	})
}

// TestCodeRunsCommands: interpreter code that runs a literal command line
// hands it to the shell package, however the call is spelled.
func TestCodeRunsCommands(t *testing.T) {
	cases := []struct {
		views string
		want  string
	}{
		{`perl -e 'exec "ncat -l 7001"'`, "ncat -l 7001"},
		{`perl -e 'system "ncat -l 7001"'`, "ncat -l 7001"},
		{"perl -e 'qx{ncat -l 7001}'", "ncat -l 7001"},
		{"ruby -e '`ncat -l 7001`'", "ncat -l 7001"},
		{"ruby -e '%x(ncat -l 7001)'", "ncat -l 7001"},
		{`ruby -e 'spawn("ncat -l 7001")'`, "ncat -l 7001"},
		{`ruby -e 'exec "ncat -l 7001"'`, "ncat -l 7001"},
		{"php -r '`ncat -l 7001`;'", "ncat -l 7001"},
		{`python3 -c 'import os; os.execvp("ncat", ["ncat", "-l", "7001"])'`, "ncat -l 7001"},
		{`python3 -c 'import os; os.execlp("ncat", "ncat", "-l", "7001")'`, "ncat -l 7001"},
		{`python3 -c 'import pty; pty.spawn(["ncat", "-l", "7001"])'`, "ncat -l 7001"},
		{`node -e 'require("child_process").spawn("ncat", ["-l", "7001"])'`, "ncat -l 7001"},
		{`osascript -e 'do shell script "ncat -l 7001"'`, "ncat -l 7001"},
		{"expect -c 'spawn ncat -l 7001; interact'", "ncat -l 7001"},
		{"expect -c 'spawn -noecho ncat -l 7001'", "ncat -l 7001"},
		{`expect -c 'set f [open "|ncat -l 7001"]'`, "ncat -l 7001"},
		{`Rscript -e 'system("ncat -l 7001")'`, "ncat -l 7001"},
		{`Rscript -e 'system2("ncat", c("-l", "7001"))'`, "ncat -l 7001"},
		{`R -e 'system2("ncat", "-l 7001")'`, "ncat -l 7001"},
		{"julia -e 'run(`ncat -l 7001`)'", "ncat -l 7001"},
		{`awk 'BEGIN { print "x" | "ncat -l 7001" }'`, "ncat -l 7001"},
		{`gawk 'BEGIN { while (("ncat -l 7001" | getline l) > 0) print l }'`, "ncat -l 7001"},
		{`emacs --batch --eval '(shell-command "ncat -l 7001")'`, "ncat -l 7001"},
		{`emacs -Q --batch --eval='(princ (shell-command-to-string "ncat -l 7001"))'`, "ncat -l 7001"},
		{`emacs --batch --eval '(start-process-shell-command "x" nil "ncat -l 7001")'`, "ncat -l 7001"},
	}
	for _, c := range cases {
		r := detect(cmd(c.views))
		found := false
		for _, s := range r.Scripts {
			if s.Text == c.want {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: scripts %+v, want %q", c.views, r.Scripts, c.want)
		}
	}
	for _, benign := range []string{
		`perl -e 'print "exec this"'`,
		`ruby -e 'puts "system status"'`,
		"node -e 'console.log(`template ${x}`)'",
		`osascript -e 'display dialog "hi"'`,
		`awk '{ if (a || b) print $1 }'`,
		`expect -c 'set timeout 5; send "exec this"'`,
		`Rscript -e 'print("system(x)")'`,
		`emacs --batch --eval '(message "shell-command")'`,
	} {
		if r := detect(cmd(benign)); len(r.Scripts) != 0 {
			t.Errorf("%s: unexpected scripts %+v", benign, r.Scripts)
		}
	}
}

func TestJavaLikeEval(t *testing.T) {
	runKindTable(t, action.NetworkListen, []endpointCase{
		{views: "scala -e 'new java.net.ServerSocket(7002).accept()'", want: true},
		{views: "kotlin -e 'java.net.ServerSocket(7002).accept()'", want: true},
		{views: "kotlin -e 'println(1)'", want: false},
	})
}

// TestLocalForwardsBind: a forward whose near end is a port here binds it,
// so "Block binding to any port" holds for it; a remote forward, a Unix
// socket near end and a reverse forward on a device do not bind here.
func TestLocalForwardsBind(t *testing.T) {
	runKindTable(t, action.NetworkBind, []endpointCase{
		{views: "ssh -fNL 5433:db.internal:5432 bastion", want: true, port: 5433},
		{views: "ssh -L127.0.0.1:8443:10.0.0.2:443 user@gw", want: true, port: 8443, host: "127.0.0.1"},
		{views: "ssh -D 1080 -q -C -N user@proxy", want: true, port: 1080},
		{views: "ssh -o LocalForward='8000 localhost:80' host", want: true, port: 8000},
		{views: "ssh -L /tmp/db.sock:db.internal:5432 bastion", want: false},
		{views: "ssh -R 8080:localhost:3000 jump.example", want: false},
		{views: "ssh -w 0:0 root@vpn", want: false},
		{views: "kubectl port-forward svc/web 8080:80", want: true, port: 8080},
		{views: "kubectl port-forward --address 0.0.0.0 deploy/app 5000:5000", want: true, port: 5000, host: "0.0.0.0"},
		{views: "fly proxy 15432:5432 -a db", want: true, port: 15432},
		{views: "heroku ps:socks -a app", want: true, port: 1080},
		{views: "gcloud compute start-iap-tunnel vm 22 --local-host-port=localhost:2222", want: true, port: 2222},
		{views: "cloudflared access tcp --hostname db.example.com --url localhost:5432", want: true, port: 5432},
		{views: "gh codespace ports forward 8080:8080", want: true, port: 8080},
		{views: "adb forward tcp:8080 tcp:80", want: true, port: 8080},
		{views: "adb reverse tcp:8080 tcp:80", want: false},
		{views: "kubectl get pods", want: false},
	})
}
