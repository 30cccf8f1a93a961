package catalog

import (
	"strings"

	"github.com/safeclaw/safeclaw/action"
)

// The generic signals judge programs no table names. Each is weighed against
// the ways the same words appear in ordinary commands: "server" is a word of
// many client tools' names (update-server-info, kill-server), --port is also
// a client's peer port (mysql --port) or a serial port (esptool --port), and
// --bind also binds keys (fzf --bind). A signal fires only in the spelling
// that servers use.

// quiet lists programs that print, search, or manage processes: their
// arguments mention servers without starting one (echo "nc -l 4444",
// grep http.server, pkill -f http.server, man nc, which ngrok).
var quiet = map[string]bool{
	"echo": true, "printf": true, "grep": true, "egrep": true, "fgrep": true, "zgrep": true, "rg": true,
	"ag": true, "ack": true, "man": true, "which": true, "whereis": true, "type": true, "locate": true,
	"mlocate": true, "plocate": true, "apropos": true, "whatis": true, "info": true, "tldr": true, "help": true,
	"lsof": true, "ss": true, "netstat": true, "sockstat": true, "fuser": true, "pkill": true, "pgrep": true,
	"kill": true, "killall": true, "ps": true, "top": true, "htop": true, "btop": true, "pstree": true,
	"pidof": true, "cat": true, "bat": true, "less": true, "more": true, "head": true, "tail": true, "wc": true,
	"sort": true, "uniq": true, "cut": true, "tr": true, "column": true, "jq": true, "yq": true, "fzf": true,
	"diff": true, "cmp": true, "comm": true, "file": true, "stat": true, "ls": true, "tree": true,
	"touch": true, "mkdir": true, "rm": true, "rmdir": true, "cp": true, "mv": true, "ln": true, "chmod": true,
	"chown": true, "chgrp": true, "install": true, "truncate": true, "dd": true, "tee": true, "test": true,
	"[": true, "[[": true, "true": true, "false": true, "sleep": true, "date": true, "id": true, "whoami": true,
	"hostname": true, "uname": true, "printenv": true, "export": true, "set": true, "unset": true,
	"alias": true, "unalias": true, "read": true, "source": true, ".": true, "exit": true, "return": true,
	"cd": true, "pushd": true, "popd": true, "dirs": true, "history": true, "fc": true, "jobs": true,
	"fg": true, "bg": true, "wait": true, "trap": true, "ulimit": true, "umask": true, "declare": true,
	"local": true, "typeset": true, "let": true, "shift": true, "getopts": true, "journalctl": true,
	"dmesg": true, "logger": true, "notify-send": true, "tput": true, "stty": true, "clear": true,
	"reset": true, "vim": true, "vi": true, "nvim": true, "nano": true, "emacs": true, "ed": true, "open": true,
	"xdg-open": true, "complete": true, "compgen": true, "hash": true, "readlink": true, "realpath": true,
	"basename": true, "dirname": true, "mktemp": true, "seq": true, "yes": true, "wall": true, "write": true,
	"mesg": true, "systemd-analyze": true, "strings": true, "xxd": true, "hexdump": true, "od": true,
	"base64": true, "base32": true, "md5sum": true, "sha1sum": true, "sha256sum": true, "sha512sum": true,
	"gpg": true, "age": true, "sops": true, "crontab": true, "at": true, "batch": true,
}

// stdioServers speak their protocol on standard input and output: "server"
// in their name or subcommand is not a listening socket.
var stdioServers = map[string]bool{
	"pkl": true, "gopls": true, "clangd": true, "pyright-langserver": true, "typescript-language-server": true,
	"vscode-json-languageserver": true, "yaml-language-server": true, "bash-language-server": true,
	"lua-language-server": true, "rust-analyzer": true, "jdtls": true, "ccls": true, "solargraph": true,
}

// clientTokens are name words of tools that talk to a server rather than
// run one.
var clientTokens = map[string]bool{
	"client": true, "cli": true, "ctl": true, "admin": true, "cmd": true, "dump": true, "restore": true,
	"import": true, "export": true, "update": true, "check": true, "test": true, "stop": true, "kill": true,
	"shutdown": true, "status": true, "info": true, "list": true, "ls": true, "install": true,
	"uninstall": true, "remove": true, "setup": true, "config": true, "configure": true, "build": true,
	"lsp": true, "language": true, "langserver": true, "mcp": true, "sync": true, "backup": true,
	"migrate": true, "upgrade": true,
}

func (f *finder) generic(v action.Argv, name string, args []string) {
	lower := strings.ToLower(name)
	if quiet[lower] || stdioServers[lower] || wantsHelp(args) || hasAnyOpt(args, "--stdio") {
		return
	}
	if name == "" || strings.ContainsAny(name, "$`(){}<>|;&") {
		return
	}
	if f.genericName(name, args) {
		return
	}
	if f.genericSub(name, args) {
		return
	}
	f.genericFlags(name, args)
}

// genericName: a program (or script) named as a server: ArkAscendedServer,
// start-server.sh, server_linux, minecraft-server, http_server.py.
func (f *finder) genericName(name string, args []string) bool {
	if !tokenServer(name) {
		return false
	}
	if nameTokens(name, func(t string) bool { return clientTokens[t] }) {
		return false
	}
	pos := positionals(args, "")
	if len(pos) > 0 && stopWords[strings.ToLower(pos[0])] {
		return false
	}
	host, port, given := genericAddress(args)
	d := portDetail(name+" (named as a server)", port, given)
	f.listen(name, host, port, d)
	return true
}

// serveSubs are subcommands that start a server in every tool that has them.
var serveSubs = map[string]bool{
	"serve": true, "server": true, "runserver": true, "devserver": true, "dev-server": true, "webserver": true,
	"web-server": true, "listen": true,
}

// genericSub: PROGRAM serve|server ... (hg serve, p5 server, resume serve).
func (f *finder) genericSub(name string, args []string) bool {
	pos := positionals(args, "")
	if _, known := action.SpecFor(name); known {
		// The option table knows which options take values (pytest -k
		// server selects tests; it is not a server subcommand).
		pos = action.ParseArgv(append([]string{name}, args...)).Positionals
	}
	if len(pos) == 0 {
		return false
	}
	first := strings.ToLower(pos[0])
	if !serveSubs[first] {
		return false
	}
	if len(pos) > 1 && inList("stop status kill list ls logs log info config help version shutdown delete create show set unset add remove rm update reboot rebuild resize migrate", strings.ToLower(pos[1])) {
		return false
	}
	host, port, given := genericAddress(args)
	f.listen(name, host, port, portDetail(name+" "+first+" (a serve subcommand)", port, given))
	return true
}

// genericFlags: options that only servers take: a listen/bind address, a
// --port with nothing naming a remote peer, --host 0.0.0.0.
func (f *finder) genericFlags(name string, args []string) {
	for _, a := range args {
		// lxc/incus proxy devices and similar: listen=tcp:0.0.0.0:80.
		if v, ok := strings.CutPrefix(a, "listen="); ok && (strings.HasPrefix(v, "tcp:") || strings.HasPrefix(v, "udp:")) {
			h, p := hostPort(v[4:])
			f.listen(name, h, p, portDetail(name+" "+a, p, p != 0))
			return
		}
	}
	if v, ok := optValue(args, "--listen -listen --listen-address --listen-addr --bind-address --bind-addr --http-addr --http-address --web.listen-address --listen-on --listen-host --serve -serve"); ok && isListenAddr(v) {
		h, p := hostPort(strings.TrimPrefix(v, "tcp://"))
		f.listen(name, h, p, portDetail(name+" --listen "+v, p, p != 0))
		return
	}
	if v, ok := optValue(args, "--bind -bind -b"); ok && isListenAddr(v) && hasAnyOpt(args, "--bind -bind") {
		h, p := hostPort(v)
		f.listen(name, h, p, portDetail(name+" --bind "+v, p, p != 0))
		return
	}
	if v, ok := optValue(args, "--host --hostname --ip --address --addr --interface -host"); ok && isWildcard(v) {
		_, p, given := genericAddress(args)
		f.listen(name, v, p, portDetail(name+" binds all interfaces ("+v+")", p, given))
		return
	}
	if v, ok := optValue(args, "--port -port --http-port --web-port --listen-port --server-port --server.port --ui-port --dashboard-port --gui-port --webui-port"); ok && portNumber(v) != 0 {
		if namesRemotePeer(args) || strings.HasSuffix(strings.ToLower(name), "tool") || nameTokens(name, func(t string) bool {
			return clientTokens[t] || inList("tool flash serial sql db mysql psql pg redis mongo", t)
		}) {
			return
		}
		p := portNumber(v)
		f.listen(name, "", p, portDetail(name+" --port (a server option)", p, true))
	}
}

// genericAddress reads a port and bind address from the usual options.
func genericAddress(args []string) (host string, port int, given bool) {
	if v, ok := optValue(args, "--port -port -p --http-port --listen-port -P"); ok {
		if p := portFrom(v); p != 0 {
			port, given = p, true
		}
	}
	if v, ok := optValue(args, "--listen -listen --bind -b --address -a --addr --host -H"); ok {
		h, p := hostPort(v)
		if h != "" {
			host = h
		}
		if p != 0 && !given {
			port, given = p, true
		}
	}
	return host, port, given
}

// isListenAddr reports whether v reads as a listening address: a port,
// :port, host:port, or an IP address.
func isListenAddr(v string) bool {
	v = strings.TrimPrefix(v, "tcp://")
	if portNumber(v) != 0 || (strings.HasPrefix(v, ":") && portNumber(v[1:]) != 0) {
		return true
	}
	h, p := hostPort(v)
	if p != 0 && h != "" {
		return true
	}
	return isIP(h) || isWildcard(v)
}

func isWildcard(v string) bool {
	switch v {
	case "0.0.0.0", "::", "[::]", "*", "0", "::0", "0:0:0:0:0:0:0:0":
		return true
	}
	return false
}

func isIP(s string) bool {
	if s == "" {
		return false
	}
	if strings.Count(s, ":") >= 2 {
		return true
	}
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return false
	}
	for _, p := range parts {
		if !isDigits(p) || len(p) > 3 {
			return false
		}
	}
	return true
}

// namesRemotePeer reports whether the options name a remote server to
// talk to (a client's --host db.example.com --port 5432).
func namesRemotePeer(args []string) bool {
	for _, p := range positionals(args, "") {
		// A URL or user@host target: the program talks to it.
		if (strings.Contains(p, "://") && !strings.HasPrefix(p, "file://")) || (strings.Contains(p, "@") && !strings.HasPrefix(p, "@")) {
			return true
		}
	}
	v, ok := optValue(args, "--host -h --hostname -H --server -s --url -url --connect --remote --endpoint --target -target -server -host")
	if !ok {
		return false
	}
	h, _ := urlHost(v)
	return h != "" && !isWildcard(h) && h != "localhost" && h != "127.0.0.1"
}
