package catalog

import (
	"strings"

	"github.com/safeclaw/safeclaw/action"
)

// peer says where a client program names its peer.
type peer uint8

const (
	peerNone       peer = iota // the peer is implied (a registry, a cloud API)
	peerURL                    // the first URL-like positional (curl URL, git clone URL)
	peerHost                   // the first positional is a host (ping HOST)
	peerRemotePath             // [user@]host:path (scp, rsync, sshfs)
	peerOpt                    // an option names the host (mysql -h HOST)
)

// client describes a program that makes outbound connections.
type client struct {
	what   string
	subs   string // space-separated subcommands that connect; "" = any use
	peer   peer
	valued string // options taking a value, to find positionals
	hostOp string // peerOpt: options naming the host
	portOp string // options naming the port
	host   string // the implied peer host
}

// clientRows lists client programs by name and how they name their peer.
var clientRows = [...]entry[client]{
	{"curl", client{what: "curl", peer: peerURL}},
	{"wget", client{what: "wget", peer: peerURL, valued: "-O -o -a -P -U -t -T -w -e -i -B -Q -l -A -R -D -I -X --output-document --output-file --append-output --directory-prefix --user-agent --tries --timeout --wait --execute --input-file --base --quota --level --accept --reject --domains --header --user --password --post-data --post-file --load-cookies --save-cookies --referer --bind-address --limit-rate"}},
	{"wget2", client{what: "wget2", peer: peerURL}},
	{"curlie", client{what: "curlie", peer: peerURL}},
	{"http", client{what: "httpie", peer: peerURL}},
	{"https", client{what: "httpie", peer: peerURL}},
	{"xh", client{what: "xh", peer: peerURL}},
	{"xhs", client{what: "xh", peer: peerURL}},
	{"httpie", client{what: "httpie", peer: peerURL}},
	{"aria2c", client{what: "aria2c", peer: peerURL, valued: "-d -o -i -x -s -j -k --dir --out --input-file"}},
	{"axel", client{what: "axel", peer: peerURL, valued: "-n -o -s -H -U"}},
	{"lynx", client{what: "lynx", peer: peerURL}},
	{"w3m", client{what: "w3m", peer: peerURL}},
	{"links", client{what: "links", peer: peerURL}},
	{"elinks", client{what: "elinks", peer: peerURL}},
	{"yt-dlp", client{what: "yt-dlp", peer: peerURL, valued: "-o -f -P --output --format --paths"}},
	{"youtube-dl", client{what: "youtube-dl", peer: peerURL, valued: "-o -f --output --format"}},
	{"gallery-dl", client{what: "gallery-dl", peer: peerURL}},
	{"httpstat", client{what: "httpstat", peer: peerURL}},
	{"ab", client{what: "apache bench", peer: peerURL, valued: "-n -c -t -s -b -T -p -u -H -C -A -P -X -g -e"}},
	{"wrk", client{what: "wrk", peer: peerURL, valued: "-c -d -t -s -H --latency:never"}},
	{"hey", client{what: "hey", peer: peerURL, valued: "-n -c -q -z -o -m -H -t -A -d -D -T -a -x"}},
	{"siege", client{what: "siege", peer: peerURL, valued: "-c -r -t -d -f"}},
	{"grpcurl", client{what: "grpcurl", peer: peerHost, valued: "-d -H -import-path -proto -protoset -rpc-header -authority"}},
	{"websocat", client{what: "websocat", peer: peerURL}},
	{"wscat", client{what: "wscat", peer: peerURL, valued: "-c --connect -H"}},
	{"ftp", client{what: "ftp", peer: peerHost}},
	{"lftp", client{what: "lftp", peer: peerURL, valued: "-u -p -e -c -f"}},
	{"tftp", client{what: "tftp", peer: peerHost}},
	{"sftp", client{what: "sftp", peer: peerRemotePath, valued: "-B -b -c -D -F -i -l -o -P -R -S -s -J"}},
	{"scp", client{what: "scp", peer: peerRemotePath, valued: "-c -D -F -i -J -l -o -P -S -X"}},
	{"rsync", client{what: "rsync", peer: peerRemotePath, valued: "-e --rsh --exclude --include --filter -f --exclude-from --include-from --files-from --port --password-file --log-file --partial-dir --temp-dir -T --backup-dir --suffix --chmod --chown --bwlimit --timeout --contimeout --out-format --rsync-path -B --block-size"}},
	{"sshfs", client{what: "sshfs", peer: peerRemotePath, valued: "-o -p -F"}},
	{"mosh", client{what: "mosh", peer: peerHost, valued: "--ssh -p --port --predict --server --family"}},
	{"ssh-copy-id", client{what: "ssh-copy-id", peer: peerHost, valued: "-i -p -o -F -t"}},
	{"ssh-keyscan", client{what: "ssh-keyscan", peer: peerHost, valued: "-p -T -t -f"}},
	{"ping", client{what: "ping", peer: peerHost, valued: "-c -i -I -s -t -W -w -p -Q -l -m -M -S -T -F"}},
	{"ping6", client{what: "ping6", peer: peerHost, valued: "-c -i -I -s -t -W -w"}},
	{"fping", client{what: "fping", peer: peerHost, valued: "-c -i -p -t -r -b -g:never"}},
	{"arping", client{what: "arping", peer: peerHost, valued: "-c -I -s -w -W"}},
	{"hping3", client{what: "hping3", peer: peerHost, valued: "-c -i -p -s -d -t -a"}},
	{"traceroute", client{what: "traceroute", peer: peerHost, valued: "-f -g -i -m -N -p -s -t -w -q -z"}},
	{"traceroute6", client{what: "traceroute6", peer: peerHost}},
	{"tracepath", client{what: "tracepath", peer: peerHost, valued: "-l -m -p"}},
	{"mtr", client{what: "mtr", peer: peerHost, valued: "-c -i -s -B -a -P -L -Q -m -f -G -Z"}},
	{"dig", client{what: "dig", peer: peerHost, valued: "-b -c -f -k -p -q -t -x -y"}},
	{"kdig", client{what: "kdig", peer: peerHost}},
	{"drill", client{what: "drill", peer: peerHost}},
	{"nslookup", client{what: "nslookup", peer: peerHost}},
	{"host", client{what: "host", peer: peerHost, valued: "-c -N -R -t -W -m"}},
	{"whois", client{what: "whois", peer: peerHost, valued: "-h -p"}},
	{"nmap", client{what: "nmap", peer: peerHost, valued: "-p -e -S -D -g -iL -iR -oN -oX -oG -oA -oS --script --script-args --exclude --excludefile --top-ports --max-retries --host-timeout --scan-delay --min-rate --max-rate --data-length --ttl -sI --dns-servers --source-port -T:never --version-intensity"}},
	{"masscan", client{what: "masscan", peer: peerHost, valued: "-p --ports --rate -c --conf -oX -oG -oJ -oL --banners:never --source-ip --exclude --excludefile"}},
	{"zmap", client{what: "zmap", peer: peerHost, valued: "-p -o -r -B -n -i -S"}},
	{"ntpdate", client{what: "ntpdate", peer: peerHost}},
	{"sntp", client{what: "sntp", peer: peerHost}},
	{"finger", client{what: "finger", peer: peerHost}},
	{"smbclient", client{what: "smbclient", peer: peerURL, valued: "-U -W -c -p -I -m -A -k:never -n -O -t -D -T"}},
	{"smbmap", client{what: "smbmap", peer: peerOpt, hostOp: "-H --host-file"}},
	{"rpcclient", client{what: "rpcclient", peer: peerHost, valued: "-U -W -c -p -I"}},
	{"snmpwalk", client{what: "snmpwalk", peer: peerHost, valued: "-v -c -u -l -a -A -x -X -m -M -O -r -t"}},
	{"snmpget", client{what: "snmpget", peer: peerHost, valued: "-v -c -u -l -a -A -x -X -m -M -O -r -t"}},
	{"ldapsearch", client{what: "ldapsearch", peer: peerOpt, hostOp: "-H -h"}},
	{"mysql", client{what: "mysql client", peer: peerOpt, hostOp: "-h --host", portOp: "-P --port", host: "localhost"}},
	{"mariadb", client{what: "mariadb client", peer: peerOpt, hostOp: "-h --host", portOp: "-P --port", host: "localhost"}},
	{"mysqldump", client{what: "mysqldump", peer: peerOpt, hostOp: "-h --host", portOp: "-P --port", host: "localhost"}},
	{"psql", client{what: "psql", peer: peerOpt, hostOp: "-h --host", portOp: "-p --port", host: "localhost"}},
	{"pg_dump", client{what: "pg_dump", peer: peerOpt, hostOp: "-h --host", portOp: "-p --port", host: "localhost"}},
	{"pg_restore", client{what: "pg_restore", peer: peerOpt, hostOp: "-h --host", portOp: "-p --port", host: "localhost"}},
	{"redis-cli", client{what: "redis-cli", peer: peerOpt, hostOp: "-h", portOp: "-p", host: "127.0.0.1"}},
	{"mongo", client{what: "mongo shell", peer: peerURL, valued: "--host --port -u -p --username --password --authenticationDatabase --eval:never"}},
	{"mongosh", client{what: "mongosh", peer: peerURL, valued: "--host --port -u -p --username --password --authenticationDatabase"}},
	{"sqlcmd", client{what: "sqlcmd", peer: peerOpt, hostOp: "-S"}},
	{"cqlsh", client{what: "cqlsh", peer: peerHost}},
	{"clickhouse-client", client{what: "clickhouse-client", peer: peerOpt, hostOp: "-h --host"}},
	{"kcat", client{what: "kcat", peer: peerOpt, hostOp: "-b"}},
	{"kafkacat", client{what: "kafkacat", peer: peerOpt, hostOp: "-b"}},
	{"mosquitto_pub", client{what: "mosquitto_pub", peer: peerOpt, hostOp: "-h --host", portOp: "-p --port"}},
	{"mosquitto_sub", client{what: "mosquitto_sub", peer: peerOpt, hostOp: "-h --host", portOp: "-p --port"}},
	{"irssi", client{what: "irssi", peer: peerNone}},
	{"weechat", client{what: "weechat", peer: peerNone}},

	// Package managers and installers.
	{"pip", client{what: "pip", subs: "install download wheel index search", host: "pypi.org"}},
	{"pip3", client{what: "pip", subs: "install download wheel index search", host: "pypi.org"}},
	{"easy_install", client{what: "easy_install", host: "pypi.org"}},
	{"go", client{what: "go", subs: "get install mod", host: "proxy.golang.org"}},
	{"cargo", client{what: "cargo", subs: "install add fetch update search publish login yank owner", host: "crates.io"}},
	{"gem", client{what: "gem", subs: "install update push fetch search sources owner yank signin", host: "rubygems.org"}},
	{"composer", client{what: "composer", subs: "install require update create-project global self-update outdated search", host: "packagist.org"}},
	{"apt", client{what: "apt", subs: "install update upgrade full-upgrade dist-upgrade download source build-dep reinstall"}},
	{"apt-get", client{what: "apt-get", subs: "install update upgrade dist-upgrade full-upgrade download source build-dep"}},
	{"aptitude", client{what: "aptitude", subs: "install update upgrade safe-upgrade full-upgrade download"}},
	{"dnf", client{what: "dnf", subs: "install update upgrade download makecache check-update reinstall distro-sync groupinstall"}},
	{"yum", client{what: "yum", subs: "install update upgrade download makecache check-update reinstall groupinstall"}},
	{"microdnf", client{what: "microdnf", subs: "install update upgrade"}},
	{"zypper", client{what: "zypper", subs: "in install up update refresh ref dup dist-upgrade patch"}},
	{"pacman", client{what: "pacman"}},
	{"yay", client{what: "yay"}},
	{"paru", client{what: "paru"}},
	{"apk", client{what: "apk", subs: "add update upgrade fetch"}},
	{"port", client{what: "port", subs: "install selfupdate sync upgrade"}},
	{"snap", client{what: "snap", subs: "install refresh download"}},
	{"flatpak", client{what: "flatpak", subs: "install update remote-add"}},
	{"conda", client{what: "conda", subs: "install create update search"}},
	{"mamba", client{what: "mamba", subs: "install create update search"}},
	{"micromamba", client{what: "micromamba", subs: "install create update"}},
	{"poetry", client{what: "poetry", subs: "add install update lock publish"}},
	{"pdm", client{what: "pdm", subs: "add install update lock publish sync"}},
	{"uv", client{what: "uv", subs: "add sync lock pip tool python"}},
	{"pipenv", client{what: "pipenv", subs: "install update lock sync"}},
	{"rustup", client{what: "rustup", subs: "update install toolchain target component self"}},
	{"nvm", client{what: "nvm", subs: "install install-latest-npm"}},
	{"asdf", client{what: "asdf", subs: "install plugin"}},
	{"mise", client{what: "mise", subs: "install use upgrade"}},
	{"sdk", client{what: "sdkman", subs: "install upgrade selfupdate"}},
	{"helm", client{what: "helm", subs: "install upgrade repo pull dependency search push registry"}},
	{"skopeo", client{what: "skopeo", subs: "copy inspect sync login list-tags"}},
	{"oras", client{what: "oras", subs: "pull push copy login"}},
	{"nix-env", client{what: "nix-env"}},
	{"nix-channel", client{what: "nix-channel", subs: "--update"}},
	{"guix", client{what: "guix", subs: "install pull package"}},
	{"opam", client{what: "opam", subs: "install update upgrade init"}},
	{"rebar3", client{what: "rebar3", subs: "get-deps upgrade"}},
	{"nuget", client{what: "nuget", subs: "install restore push"}},
	{"choco", client{what: "chocolatey", subs: "install upgrade"}},
	{"winget", client{what: "winget", subs: "install upgrade"}},
	{"scoop", client{what: "scoop", subs: "install update"}},
	{"vcpkg", client{what: "vcpkg", subs: "install update"}},
	{"conan", client{what: "conan", subs: "install create upload search"}},
	{"cpan", client{what: "cpan"}},
	{"cpanm", client{what: "cpanm"}},
	{"luarocks", client{what: "luarocks", subs: "install search download upload"}},
	{"tlmgr", client{what: "tlmgr", subs: "install update"}},
	{"terraform", client{what: "terraform", subs: "init plan apply destroy import refresh get login"}},
	{"tofu", client{what: "opentofu", subs: "init plan apply destroy import refresh get"}},
	{"pulumi", client{what: "pulumi", subs: "up preview destroy refresh login"}},
	{"ansible", client{what: "ansible"}},
	{"ansible-playbook", client{what: "ansible-playbook"}},
	{"ansible-galaxy", client{what: "ansible-galaxy", subs: "install collection role"}},
	{"vagrant", client{what: "vagrant", subs: "up box ssh provision"}},
	{"heroku", client{what: "heroku CLI"}},
	{"flyctl", client{what: "flyctl"}},
	{"fly", client{what: "flyctl"}},
	{"doctl", client{what: "doctl"}},
	{"hcloud", client{what: "hcloud"}},
	{"linode-cli", client{what: "linode-cli"}},
	{"ibmcloud", client{what: "ibmcloud"}},
	{"glab", client{what: "glab"}},
	{"hub", client{what: "hub"}},
	{"s3cmd", client{what: "s3cmd"}},
	{"gsutil", client{what: "gsutil"}},
	{"svn", client{what: "svn", subs: "checkout co update up commit ci list ls export import info log diff:never switch merge", peer: peerURL}},
	{"steamcmd", client{what: "steamcmd"}},
}

// clients is clientRows by name.
var clients = table[client]{rows: clientRows[:]}

// clients records a connect facet for client programs.
func (f *finder) clients(lower, base string, args []string) bool {
	c, ok := clients.get(lower)
	if !ok {
		c, ok = clients.get(base)
		lower = base
	}
	if !ok {
		return false
	}
	f.client(lower, c, args)
	return true
}

// clientSub is clients() for a program reached through another (uv pip).
func (f *finder) clientSub(prog string, args []string) {
	if c, ok := clients.get(prog); ok {
		f.client(prog, c, args)
	}
}

func (f *finder) client(prog string, c client, args []string) {
	if wantsHelp(args) {
		return
	}
	var pos []string
	if _, known := action.SpecFor(prog); known {
		pos = action.ParseArgv(append([]string{prog}, args...)).Positionals
	} else {
		pos = positionals(args, c.valued)
	}
	if c.subs != "" {
		if len(pos) == 0 && !strings.HasPrefix(c.subs, "-") {
			return
		}
		first := ""
		if len(pos) > 0 {
			first = pos[0]
		}
		if !inList(c.subs, first) && !(strings.HasPrefix(c.subs, "-") && hasAnyOpt(args, c.subs)) {
			return
		}
		if len(pos) > 0 {
			pos = pos[1:]
		}
	}
	if prog == "pacman" || prog == "yay" || prog == "paru" {
		if !hasOpt(args, "-S") && !hasOpt(args, "-U") && !hasOpt(args, "-y") && !(prog != "pacman" && len(args) == 0) {
			return
		}
	}
	host, port, url := c.host, 0, ""
	switch c.peer {
	case peerURL:
		if prog == "curl" {
			if v, ok := optValue(args, "--url"); ok {
				pos = append([]string{v}, pos...)
			}
		}
		if prog == "http" || prog == "https" || prog == "xh" || prog == "xhs" || prog == "httpie" {
			if len(pos) > 1 && isHTTPMethod(pos[0]) {
				pos = pos[1:]
			}
		}
		for _, p := range pos {
			if strings.Contains(p, "://") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, `\\`) {
				url = p
				host, port = urlHost(strings.TrimPrefix(strings.ReplaceAll(p, `\`, "/"), "//"))
				if strings.HasPrefix(p, "//") || strings.HasPrefix(p, `\\`) {
					url = ""
				}
				break
			}
			// A URL without a scheme (curl evil.com/x): the host is what
			// comes before the path, query or fragment.
			hp := p
			if i := strings.IndexAny(p, "/?#"); i > 0 {
				hp = p[:i]
			}
			if h, pt := hostPort(hp); h != "" && h[0] != '.' && (strings.Contains(h, ".") || h == "localhost") && !strings.HasPrefix(p, "@") && !strings.HasPrefix(p, "-") {
				host, port = h, pt
				if i := strings.IndexByte(p, '/'); i > 0 {
					url = p
				}
				break
			}
		}
	case peerHost:
		for _, p := range pos {
			if strings.HasPrefix(p, "@") {
				if prog == "dig" || prog == "kdig" || prog == "drill" {
					continue // @server is the resolver; the name is the query
				}
			}
			h, pt := hostPort(p)
			if h == "" {
				h, pt = urlHost(p)
			}
			if i := strings.LastIndexByte(h, '@'); i >= 0 {
				h = h[i+1:]
			}
			if h != "" {
				host, port = h, pt
				break
			}
		}
	case peerRemotePath:
		for _, p := range pos {
			if strings.HasPrefix(p, "rsync://") || strings.HasPrefix(p, "sftp://") || strings.HasPrefix(p, "scp://") {
				host, port = urlHost(p)
				url = p
				break
			}
			if i := strings.IndexByte(p, ':'); i > 0 && !strings.ContainsAny(p[:i], "/\\") && len(p[:i]) > 1 {
				host, _ = sshHost(p[:i])
				break
			}
			if c.what == "mosh" || c.what == "sftp" {
				host, _ = sshHost(p)
				break
			}
		}
		if host == "" {
			return // a local copy
		}
	case peerOpt:
		if v, ok := optValue(args, c.hostOp); ok {
			host, port = hostPort(v)
			if host == "" {
				host = v
			}
		}
		if prog == "psql" || prog == "pg_dump" || prog == "mongo" || prog == "mongosh" || prog == "mysql" {
			for _, p := range pos {
				if strings.Contains(p, "://") {
					url = p
					host, port = urlHost(p)
				}
			}
		}
	}
	if c.portOp != "" {
		if v, ok := optValue(args, c.portOp); ok && portNumber(v) != 0 {
			port = portNumber(v)
		}
	}
	f.connect(prog, host, port, url, c.what+" connects")
}

func isHTTPMethod(s string) bool {
	return inList("GET POST PUT PATCH DELETE HEAD OPTIONS get post put patch delete head options", s)
}
