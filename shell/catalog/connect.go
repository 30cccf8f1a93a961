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

var clients = map[string]client{
	"curl":              {what: "curl", peer: peerURL},
	"wget":              {what: "wget", peer: peerURL, valued: "-O -o -a -P -U -t -T -w -e -i -B -Q -l -A -R -D -I -X --output-document --output-file --append-output --directory-prefix --user-agent --tries --timeout --wait --execute --input-file --base --quota --level --accept --reject --domains --header --user --password --post-data --post-file --load-cookies --save-cookies --referer --bind-address --limit-rate"},
	"wget2":             {what: "wget2", peer: peerURL},
	"curlie":            {what: "curlie", peer: peerURL},
	"http":              {what: "httpie", peer: peerURL},
	"https":             {what: "httpie", peer: peerURL},
	"xh":                {what: "xh", peer: peerURL},
	"xhs":               {what: "xh", peer: peerURL},
	"httpie":            {what: "httpie", peer: peerURL},
	"aria2c":            {what: "aria2c", peer: peerURL, valued: "-d -o -i -x -s -j -k --dir --out --input-file"},
	"axel":              {what: "axel", peer: peerURL, valued: "-n -o -s -H -U"},
	"lynx":              {what: "lynx", peer: peerURL},
	"w3m":               {what: "w3m", peer: peerURL},
	"links":             {what: "links", peer: peerURL},
	"elinks":            {what: "elinks", peer: peerURL},
	"yt-dlp":            {what: "yt-dlp", peer: peerURL, valued: "-o -f -P --output --format --paths"},
	"youtube-dl":        {what: "youtube-dl", peer: peerURL, valued: "-o -f --output --format"},
	"gallery-dl":        {what: "gallery-dl", peer: peerURL},
	"httpstat":          {what: "httpstat", peer: peerURL},
	"ab":                {what: "apache bench", peer: peerURL, valued: "-n -c -t -s -b -T -p -u -H -C -A -P -X -g -e"},
	"wrk":               {what: "wrk", peer: peerURL, valued: "-c -d -t -s -H --latency:never"},
	"hey":               {what: "hey", peer: peerURL, valued: "-n -c -q -z -o -m -H -t -A -d -D -T -a -x"},
	"siege":             {what: "siege", peer: peerURL, valued: "-c -r -t -d -f"},
	"grpcurl":           {what: "grpcurl", peer: peerHost, valued: "-d -H -import-path -proto -protoset -rpc-header -authority"},
	"websocat":          {what: "websocat", peer: peerURL},
	"wscat":             {what: "wscat", peer: peerURL, valued: "-c --connect -H"},
	"ftp":               {what: "ftp", peer: peerHost},
	"lftp":              {what: "lftp", peer: peerURL, valued: "-u -p -e -c -f"},
	"tftp":              {what: "tftp", peer: peerHost},
	"sftp":              {what: "sftp", peer: peerRemotePath, valued: "-B -b -c -D -F -i -l -o -P -R -S -s -J"},
	"scp":               {what: "scp", peer: peerRemotePath, valued: "-c -D -F -i -J -l -o -P -S -X"},
	"rsync":             {what: "rsync", peer: peerRemotePath, valued: "-e --rsh --exclude --include --filter -f --exclude-from --include-from --files-from --port --password-file --log-file --partial-dir --temp-dir -T --backup-dir --suffix --chmod --chown --bwlimit --timeout --contimeout --out-format --rsync-path -B --block-size"},
	"sshfs":             {what: "sshfs", peer: peerRemotePath, valued: "-o -p -F"},
	"mosh":              {what: "mosh", peer: peerHost, valued: "--ssh -p --port --predict --server --family"},
	"ssh-copy-id":       {what: "ssh-copy-id", peer: peerHost, valued: "-i -p -o -F -t"},
	"ssh-keyscan":       {what: "ssh-keyscan", peer: peerHost, valued: "-p -T -t -f"},
	"ping":              {what: "ping", peer: peerHost, valued: "-c -i -I -s -t -W -w -p -Q -l -m -M -S -T -F"},
	"ping6":             {what: "ping6", peer: peerHost, valued: "-c -i -I -s -t -W -w"},
	"fping":             {what: "fping", peer: peerHost, valued: "-c -i -p -t -r -b -g:never"},
	"arping":            {what: "arping", peer: peerHost, valued: "-c -I -s -w -W"},
	"hping3":            {what: "hping3", peer: peerHost, valued: "-c -i -p -s -d -t -a"},
	"traceroute":        {what: "traceroute", peer: peerHost, valued: "-f -g -i -m -N -p -s -t -w -q -z"},
	"traceroute6":       {what: "traceroute6", peer: peerHost},
	"tracepath":         {what: "tracepath", peer: peerHost, valued: "-l -m -p"},
	"mtr":               {what: "mtr", peer: peerHost, valued: "-c -i -s -B -a -P -L -Q -m -f -G -Z"},
	"dig":               {what: "dig", peer: peerHost, valued: "-b -c -f -k -p -q -t -x -y"},
	"kdig":              {what: "kdig", peer: peerHost},
	"drill":             {what: "drill", peer: peerHost},
	"nslookup":          {what: "nslookup", peer: peerHost},
	"host":              {what: "host", peer: peerHost, valued: "-c -N -R -t -W -m"},
	"whois":             {what: "whois", peer: peerHost, valued: "-h -p"},
	"nmap":              {what: "nmap", peer: peerHost, valued: "-p -e -S -D -g -iL -iR -oN -oX -oG -oA -oS --script --script-args --exclude --excludefile --top-ports --max-retries --host-timeout --scan-delay --min-rate --max-rate --data-length --ttl -sI --dns-servers --source-port -T:never --version-intensity"},
	"masscan":           {what: "masscan", peer: peerHost, valued: "-p --ports --rate -c --conf -oX -oG -oJ -oL --banners:never --source-ip --exclude --excludefile"},
	"zmap":              {what: "zmap", peer: peerHost, valued: "-p -o -r -B -n -i -S"},
	"ntpdate":           {what: "ntpdate", peer: peerHost},
	"sntp":              {what: "sntp", peer: peerHost},
	"finger":            {what: "finger", peer: peerHost},
	"smbclient":         {what: "smbclient", peer: peerURL, valued: "-U -W -c -p -I -m -A -k:never -n -O -t -D -T"},
	"smbmap":            {what: "smbmap", peer: peerOpt, hostOp: "-H --host-file"},
	"rpcclient":         {what: "rpcclient", peer: peerHost, valued: "-U -W -c -p -I"},
	"snmpwalk":          {what: "snmpwalk", peer: peerHost, valued: "-v -c -u -l -a -A -x -X -m -M -O -r -t"},
	"snmpget":           {what: "snmpget", peer: peerHost, valued: "-v -c -u -l -a -A -x -X -m -M -O -r -t"},
	"ldapsearch":        {what: "ldapsearch", peer: peerOpt, hostOp: "-H -h"},
	"mysql":             {what: "mysql client", peer: peerOpt, hostOp: "-h --host", portOp: "-P --port", host: "localhost"},
	"mariadb":           {what: "mariadb client", peer: peerOpt, hostOp: "-h --host", portOp: "-P --port", host: "localhost"},
	"mysqldump":         {what: "mysqldump", peer: peerOpt, hostOp: "-h --host", portOp: "-P --port", host: "localhost"},
	"psql":              {what: "psql", peer: peerOpt, hostOp: "-h --host", portOp: "-p --port", host: "localhost"},
	"pg_dump":           {what: "pg_dump", peer: peerOpt, hostOp: "-h --host", portOp: "-p --port", host: "localhost"},
	"pg_restore":        {what: "pg_restore", peer: peerOpt, hostOp: "-h --host", portOp: "-p --port", host: "localhost"},
	"redis-cli":         {what: "redis-cli", peer: peerOpt, hostOp: "-h", portOp: "-p", host: "127.0.0.1"},
	"mongo":             {what: "mongo shell", peer: peerURL, valued: "--host --port -u -p --username --password --authenticationDatabase --eval:never"},
	"mongosh":           {what: "mongosh", peer: peerURL, valued: "--host --port -u -p --username --password --authenticationDatabase"},
	"sqlcmd":            {what: "sqlcmd", peer: peerOpt, hostOp: "-S"},
	"cqlsh":             {what: "cqlsh", peer: peerHost},
	"clickhouse-client": {what: "clickhouse-client", peer: peerOpt, hostOp: "-h --host"},
	"kcat":              {what: "kcat", peer: peerOpt, hostOp: "-b"},
	"kafkacat":          {what: "kafkacat", peer: peerOpt, hostOp: "-b"},
	"mosquitto_pub":     {what: "mosquitto_pub", peer: peerOpt, hostOp: "-h --host", portOp: "-p --port"},
	"mosquitto_sub":     {what: "mosquitto_sub", peer: peerOpt, hostOp: "-h --host", portOp: "-p --port"},
	"irssi":             {what: "irssi", peer: peerNone},
	"weechat":           {what: "weechat", peer: peerNone},

	// Package managers and installers.
	"pip":              {what: "pip", subs: "install download wheel index search", host: "pypi.org"},
	"pip3":             {what: "pip", subs: "install download wheel index search", host: "pypi.org"},
	"easy_install":     {what: "easy_install", host: "pypi.org"},
	"go":               {what: "go", subs: "get install mod", host: "proxy.golang.org"},
	"cargo":            {what: "cargo", subs: "install add fetch update search publish login yank owner", host: "crates.io"},
	"gem":              {what: "gem", subs: "install update push fetch search sources owner yank signin", host: "rubygems.org"},
	"composer":         {what: "composer", subs: "install require update create-project global self-update outdated search", host: "packagist.org"},
	"apt":              {what: "apt", subs: "install update upgrade full-upgrade dist-upgrade download source build-dep reinstall"},
	"apt-get":          {what: "apt-get", subs: "install update upgrade dist-upgrade full-upgrade download source build-dep"},
	"aptitude":         {what: "aptitude", subs: "install update upgrade safe-upgrade full-upgrade download"},
	"dnf":              {what: "dnf", subs: "install update upgrade download makecache check-update reinstall distro-sync groupinstall"},
	"yum":              {what: "yum", subs: "install update upgrade download makecache check-update reinstall groupinstall"},
	"microdnf":         {what: "microdnf", subs: "install update upgrade"},
	"zypper":           {what: "zypper", subs: "in install up update refresh ref dup dist-upgrade patch"},
	"pacman":           {what: "pacman"},
	"yay":              {what: "yay"},
	"paru":             {what: "paru"},
	"apk":              {what: "apk", subs: "add update upgrade fetch"},
	"port":             {what: "port", subs: "install selfupdate sync upgrade"},
	"snap":             {what: "snap", subs: "install refresh download"},
	"flatpak":          {what: "flatpak", subs: "install update remote-add"},
	"conda":            {what: "conda", subs: "install create update search"},
	"mamba":            {what: "mamba", subs: "install create update search"},
	"micromamba":       {what: "micromamba", subs: "install create update"},
	"poetry":           {what: "poetry", subs: "add install update lock publish"},
	"pdm":              {what: "pdm", subs: "add install update lock publish sync"},
	"uv":               {what: "uv", subs: "add sync lock pip tool python"},
	"pipenv":           {what: "pipenv", subs: "install update lock sync"},
	"rustup":           {what: "rustup", subs: "update install toolchain target component self"},
	"nvm":              {what: "nvm", subs: "install install-latest-npm"},
	"asdf":             {what: "asdf", subs: "install plugin"},
	"mise":             {what: "mise", subs: "install use upgrade"},
	"sdk":              {what: "sdkman", subs: "install upgrade selfupdate"},
	"helm":             {what: "helm", subs: "install upgrade repo pull dependency search push registry"},
	"skopeo":           {what: "skopeo", subs: "copy inspect sync login list-tags"},
	"oras":             {what: "oras", subs: "pull push copy login"},
	"nix-env":          {what: "nix-env"},
	"nix-channel":      {what: "nix-channel", subs: "--update"},
	"guix":             {what: "guix", subs: "install pull package"},
	"opam":             {what: "opam", subs: "install update upgrade init"},
	"rebar3":           {what: "rebar3", subs: "get-deps upgrade"},
	"nuget":            {what: "nuget", subs: "install restore push"},
	"choco":            {what: "chocolatey", subs: "install upgrade"},
	"winget":           {what: "winget", subs: "install upgrade"},
	"scoop":            {what: "scoop", subs: "install update"},
	"vcpkg":            {what: "vcpkg", subs: "install update"},
	"conan":            {what: "conan", subs: "install create upload search"},
	"cpan":             {what: "cpan"},
	"cpanm":            {what: "cpanm"},
	"luarocks":         {what: "luarocks", subs: "install search download upload"},
	"tlmgr":            {what: "tlmgr", subs: "install update"},
	"terraform":        {what: "terraform", subs: "init plan apply destroy import refresh get login"},
	"tofu":             {what: "opentofu", subs: "init plan apply destroy import refresh get"},
	"pulumi":           {what: "pulumi", subs: "up preview destroy refresh login"},
	"ansible":          {what: "ansible"},
	"ansible-playbook": {what: "ansible-playbook"},
	"ansible-galaxy":   {what: "ansible-galaxy", subs: "install collection role"},
	"vagrant":          {what: "vagrant", subs: "up box ssh provision"},
	"heroku":           {what: "heroku CLI"},
	"flyctl":           {what: "flyctl"},
	"fly":              {what: "flyctl"},
	"doctl":            {what: "doctl"},
	"hcloud":           {what: "hcloud"},
	"linode-cli":       {what: "linode-cli"},
	"ibmcloud":         {what: "ibmcloud"},
	"glab":             {what: "glab"},
	"hub":              {what: "hub"},
	"s3cmd":            {what: "s3cmd"},
	"gsutil":           {what: "gsutil"},
	"svn":              {what: "svn", subs: "checkout co update up commit ci list ls export import info log diff:never switch merge", peer: peerURL},
	"steamcmd":         {what: "steamcmd"},
}

// clients records a connect facet for client programs.
func (f *finder) clients(lower, base string, args []string) bool {
	c, ok := clients[lower]
	if !ok {
		c, ok = clients[base]
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
	if c, ok := clients[prog]; ok {
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
			if h, pt := hostPort(p); h != "" && (strings.Contains(h, ".") || h == "localhost") && !strings.HasPrefix(p, "@") && !strings.HasPrefix(p, "-") {
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
