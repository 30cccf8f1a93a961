package catalog

import (
	"path"
	"path/filepath"
	"strings"

	"github.com/safeclaw/safeclaw/action"
)

// special handles the programs that need more than a table row: language
// runtimes (modules, code strings, scripts), netcat and socat, containers,
// service managers, ssh and the runners that start another command.
func (f *finder) special(v action.Argv, prog string, args []string, depth int) bool {
	switch prog {
	case "python", "pypy", "py", "python2", "pythonw", "jython", "micropython":
		f.python(v, depth)
	case "pydoc":
		f.pydoc(prog, args)
	case "php", "php-cgi":
		f.php(v, depth)
	case "ruby", "jruby", "truffleruby":
		f.ruby(v, depth)
	case "irb":
		// irb reads Ruby from stdin; Detect scans Stdin.
	case "perl":
		f.perl(v, depth)
	case "node", "nodejs", "ts-node", "tsx", "nodemon", "esno", "esrun":
		f.node(v, depth)
	case "deno":
		f.deno(v, depth)
	case "bun":
		f.bun(v, depth)
	case "lua", "luajit", "texlua":
		f.lua(v, depth)
	case "awk", "gawk", "nawk", "mawk", "goawk":
		f.awk(v)
	case "julia", "jrunscript", "rhino", "rscript", "Rscript", "R", "groovy", "jshell", "osascript", "scala", "kotlin", "kotlinc":
		f.evalFlag(prog, args)
	case "expect":
		// expect -c CMDS runs Tcl (with spawn) before any script.
		var code []string
		for i := 0; i < len(args); i++ {
			if args[i] == "-c" && i+1 < len(args) {
				code = append(code, args[i+1])
				i++
			} else if strings.HasPrefix(args[i], "-c") && len(args[i]) > 2 {
				code = append(code, args[i][2:])
			}
		}
		if len(code) > 0 {
			f.code(langTcl, prog, strings.Join(code, "\n"))
		}
	case "websocat":
		f.websocat(prog, args)
	case "pwsh", "powershell", "powershell.exe", "pwsh.exe":
		f.powershell(prog, args)
	case "nu", "nushell", "elvish", "xonsh":
		f.otherShell(prog, args, depth)
	case "powercat":
		f.powercat(prog, args)
	case "vim", "vi", "nvim", "gvim", "view", "rview", "rvim", "vimdiff", "ex", "evim":
		f.vim(prog, args)
	case "emacs", "emacs-nox":
		f.emacs(prog, args)
	case "gdb", "gdb-multiarch":
		f.gdb(prog, args)
	case "gimp", "gimp-console":
		f.gimp(prog, args)
	case "java", "javaw":
		f.java(prog, args, depth)
	case "nc", "ncat", "netcat", "nc.traditional", "nc.openbsd", "pwncat", "cryptcat", "sbd", "gs-netcat", "rcat", "rustcat":
		f.netcat(prog, args)
	case "socat", "socat1", "socat2":
		f.socat(prog, args)
	case "socket":
		f.socketProgram(prog, args)
	case "openssl":
		f.openssl(prog, args)
	case "ztcp":
		f.ztcp(prog, args)
	case "telnet", "telnet-ssl", "tn5250":
		f.telnet(prog, args)
	case "xterm", "uxterm", "urxvt", "rxvt", "xfce4-terminal", "gnome-terminal":
		f.xterm(prog, args)
	case "ssh", "autossh", "plink", "dbclient":
		f.ssh(prog, args)
	case "docker", "podman", "nerdctl", "finch":
		f.container(prog, args)
	case "docker-compose", "podman-compose":
		f.compose(prog, args)
	case "kubectl", "oc", "kubecolor", "microk8s.kubectl", "k":
		f.kubectl(prog, args)
	case "systemctl":
		f.systemctl(prog, args)
	case "service", "rc-service", "sv", "invoke-rc.d":
		f.service(prog, args)
	case "brew":
		f.brew(prog, args)
	case "git":
		f.git(prog, args, depth)
	case "gcloud":
		f.gcloud(prog, args)
	case "aws":
		f.aws(prog, args)
	case "az":
		f.azure(prog, args)
	case "gh":
		f.gh(prog, args)
	case "code", "code-insiders", "cursor", "codium":
		f.vscode(prog, args)
	case "adb":
		f.adb(prog, args)
	case "mirrord":
		f.mirrord(prog, args, depth)
	case "systemd-socket-activate":
		if val, ok := optValue(args, "-l --listen"); ok && !wantsHelp(args) {
			h, p := hostPort(val)
			f.listen(prog, h, p, portDetail("systemd-socket-activate --listen", p, true))
		}
	case "firejail":
		f.firejail(prog, args, depth)
	case "npm", "pnpm", "yarn", "yarnpkg", "cnpm":
		f.npm(v, prog, args, depth)
	case "npx", "bunx", "pnpx", "uvx", "pipx":
		f.runner(prog, args, depth)
	case "concurrently":
		for _, a := range positionals(args, "--names -n --prefix -c --prefix-colors --max-processes -m --restart-tries --kill-others-on-fail:never --success -s") {
			if strings.HasPrefix(a, "npm:") {
				f.packageScript("npm", strings.TrimPrefix(a, "npm:"), nil, depth, true)
				continue
			}
			f.scriptText(a, "concurrently")
			f.scriptFacets(a, "concurrently", depth, nil)
		}
	case "npm-run-all", "run-p", "run-s", "npm-run-all2":
		for _, name := range positionals(args, "--max-parallel --npm-path --print-label:never") {
			f.packageScript("npm", name, nil, depth, true)
		}
	case "make", "gmake":
		f.make(prog, args, depth)
	case "foreman", "honcho", "overmind", "hivemind", "forego", "goreman", "nf":
		f.procfile(prog, args, depth)
	case "composer", "composer.phar":
		if !f.composerScript(prog, args, depth) {
			return false
		}
	case "cloudflared":
		f.cloudflared(prog, args)
	case "tailscale":
		f.tailscale(prog, args)
	case "devspace":
		f.devspace(prog, args)
	case "openvpn":
		f.openvpn(prog, args)
	case "wg-quick":
		if pos := positionals(args, ""); len(pos) > 0 && pos[0] == "up" {
			f.connect(prog, "", 0, "", "wg-quick up brings up a WireGuard VPN")
		}
	case "telnetd", "in.telnetd", "utelnetd":
		if wantsHelp(args) {
			return true
		}
		port := 23
		if v, ok := optValue(args, "-p"); ok {
			port = portNumber(v)
		}
		f.listen(prog, "", port, portDetail(prog+" (a telnet server)", port, port != 23))
		if login, ok := optValue(args, "-l"); ok && isShell(login) {
			f.remote(prog, "", port, prog+" -l "+login+": serves a shell without login to whoever connects")
		}
	case "tsh":
		pos := positionals(args, "--proxy --user -l --cluster -p --port --db-user --db-name --tunnel:never")
		if len(pos) > 0 && pos[0] == "proxy" {
			port := 0
			if v, ok := optValue(args, "-p --port"); ok {
				port = portNumber(v)
			}
			f.localForward(prog, "", port, portDetail("teleport tsh proxy (a local proxy to a remote resource)", port, port != 0))
		} else if len(pos) > 0 && pos[0] == "ssh" {
			f.sshTunnelFlags(prog, args)
			f.connect(prog, "", 0, "", "tsh ssh")
		} else if len(pos) > 0 {
			f.connect(prog, "", 0, "", "tsh "+pos[0]+" talks to the teleport cluster")
		}
	case "clj", "clojure":
		f.clojure(prog, args)
	case "AdGuardHome", "adguardhome":
		svc, _ := optValue(args, "-s --service")
		if inList("start restart install run", svc) || hasAnyOpt(args, "--web-addr --port -p --host") {
			f.listen(prog, "", 3000, portDetail("AdGuard Home (DNS and web server)", 3000, false))
		}
	case "pip", "pip3", "easy_install", "easy_install3":
		f.pipInstall(prog, args)
	case "gcc", "cc", "clang", "tcc", "g++", "c++", "clang++", "c99":
		// Compiling a source this command line wrote: judge what it does.
		for _, p := range positionals(args, "-o --output -I -L -l -D -U -x -include -isystem -MF -MT -MQ") {
			if strings.HasSuffix(p, ".c") || strings.HasSuffix(p, ".cc") || strings.HasSuffix(p, ".cpp") {
				f.fileCode(langC, prog, p)
			}
		}
	case "go":
		f.goTool(prog, args)
	case "cargo":
		if pos := positionals(args, "--bin -p --package --features -F --target --profile --manifest-path -j --jobs --example"); len(pos) > 0 && pos[0] == "run" {
			if b, ok := optValue(args, "--bin -p --package --example"); ok && tokenServer(b) && !nameTokens(b, func(t string) bool { return clientTokens[t] }) {
				f.listen(prog, "", 0, "cargo run "+b+" (a program named as a server)")
			}
			return true
		}
		f.clientSub(prog, args)
	case "nmap":
		if v, ok := optValue(args, "--script"); ok && (strings.ContainsAny(v, "/$~") || strings.HasSuffix(v, ".nse") || strings.HasSuffix(v, ".lua")) {
			f.fileCode(langLua, prog, v)
		}
		f.clientSub(prog, args)
	case "manage.py":
		return false
	case "dotnet":
		// dotnet serve is the dotnet-serve tool; other uses are the table's.
		if pos := positionals(args, "-d --diagnostics:never"); len(pos) > 0 && pos[0] == "serve" && !wantsHelp(args) {
			f.words(append([]string{"dotnet-serve"}, after(append([]string{prog}, args...), "serve")...), depth)
			return true
		}
		return false
	case "fly", "flyctl", "heroku", "vagrant", "k3d":
		if prog == "heroku" {
			f.procfile(prog, args, depth)
		}
		return f.platformForward(prog, args)
	default:
		if w, ok := wordListener(prog); ok {
			f.wordListen(prog, w, args)
			return true
		}
		return f.wrapper(prog, args, depth)
	}
	return true
}

// localPackageDir reports whether a go run argument names a package by
// its directory (., ./cmd/x, ../x, /abs), not an import path.
func localPackageDir(p string) bool {
	return !strings.Contains(p, "@") && (p == "." || p == ".." || strings.HasPrefix(p, "./") || strings.HasPrefix(p, "../") || strings.HasPrefix(p, "/"))
}

// ---- Python ----

// pythonModules maps python -m modules that are not programs of the same
// name to the program they run.
var pythonModules = map[string]string{
	"jupyterlab":            "jupyter-lab",
	"notebook":              "jupyter-notebook",
	"jupyter_server":        "jupyter-server",
	"django":                "django-admin",
	"twisted":               "twist",
	"pyftpdlib":             "pyftpdlib",
	"impacket.smbserver":    "smbserver",
	"aiohttp.web":           "aiohttp.web",
	"mkdocs":                "mkdocs",
	"streamlit":             "streamlit",
	"tensorboard.main":      "tensorboard",
	"wsgidav":               "wsgidav",
	"pypiserver":            "pypiserver",
	"sphinx_autobuild":      "sphinx-autobuild",
	"livereload":            "livereload",
	"pywebio.platform":      "pywebio",
	"rpyc.cli.rpyc_classic": "rpyc_classic",
	"granian":               "granian",
}

func (f *finder) python(v action.Argv, depth int) {
	prog := "python"
	if o, ok := v.Option("-m"); ok && o.HasValue {
		f.pythonModule(prog, o.Value, v.Positionals, depth)
		// A module of the project (or one this text wrote) is code read
		// from the working directory: MOD.py or MOD/__main__.py.
		if mod := strings.ReplaceAll(o.Value, ".", "/"); mod != "" && !strings.ContainsAny(mod, "$`") {
			f.fileCode(langPython, prog, mod+".py")
			f.fileCode(langPython, prog, mod+"/__main__.py")
		}
		return
	}
	if o, ok := v.Option("-c"); ok && o.HasValue {
		f.code(langPython, prog, o.Value)
		return
	}
	if len(v.Positionals) > 0 && v.Positionals[0] != "-" {
		f.fileCode(langPython, prog, v.Positionals[0])
		f.script(prog, v.Positionals[0], after(v.Words, v.Positionals[0]), depth)
	}
}

func (f *finder) pythonModule(prog, mod string, args []string, depth int) {
	if wantsHelp(args) {
		return
	}
	switch mod {
	case "http.server", "SimpleHTTPServer", "CGIHTTPServer":
		port, given := 8000, false
		for _, p := range positionals(args, "-b --bind -d --directory --protocol -p") {
			if n := portNumber(p); n != 0 {
				port, given = n, true
				break
			}
		}
		if val, ok := optValue(args, "-p --port"); ok && portNumber(val) != 0 {
			port, given = portNumber(val), true
		}
		host, _ := optValue(args, "-b --bind")
		detail := portDetail("python "+mod, port, given)
		if host != "" {
			detail += " on " + host
		}
		f.listen(prog, host, port, detail)
	case "pydoc":
		f.pydoc(prog, args)
	case "smtpd":
		host, port := "localhost", 8025
		for _, p := range positionals(args, "-c --class -u") {
			if h, n := hostPort(p); n != 0 {
				host, port = h, n
				break
			}
		}
		f.listen(prog, host, port, portDetail("python smtpd", port, port != 8025))
	case "aiosmtpd":
		f.words(append([]string{"aiosmtpd"}, args...), depth)
	case "aiohttp.web":
		host, _ := optValue(args, "-H --hostname")
		port, given := 8080, false
		if val, ok := optValue(args, "-P --port"); ok && portNumber(val) != 0 {
			port, given = portNumber(val), true
		}
		f.listen(prog, host, port, portDetail("python aiohttp.web", port, given))
	case "wsgiref.simple_server", "xmlrpc.server", "http.cookiejar:never":
		f.listen(prog, "", 8000, portDetail("python "+mod+" demo server", 8000, false))
	case "debugpy", "ptvsd":
		if val, ok := optValue(args, "--port"); ok && mod == "ptvsd" {
			// ptvsd 4: --host H --port P listens unless --client is given.
			if !hasOpt(args, "--client") {
				h, _ := optValue(args, "--host")
				p := portNumber(val)
				f.listen(prog, h, p, portDetail("python ptvsd (debug adapter)", p, true))
			}
		}
		if val, ok := optValue(args, "--listen"); ok {
			h, p := hostPort(val)
			f.listen(prog, h, p, portDetail("python "+mod+" --listen (debug adapter)", p, true))
		}
		if val, ok := optValue(args, "--connect"); ok {
			h, p := hostPort(val)
			f.connect(prog, h, p, "", "python "+mod+" --connect")
		}
	case "pip", "pip3", "ensurepip:never":
		f.words(append([]string{"pip"}, args...), depth)
	case "webbrowser":
		for _, p := range positionals(args, "") {
			h, port := urlHost(p)
			f.connect(prog, h, port, p, "python webbrowser opens a URL")
			break
		}
	case "pwncat", "pwncat_cs", "pwncat-cs":
		f.netcat("pwncat", args)
	default:
		name := mod
		if m, ok := pythonModules[mod]; ok {
			name = m
		} else if i := strings.LastIndexByte(mod, '.'); i >= 0 && i+1 < len(mod) {
			name = mod[i+1:]
			if name == "__main__" || name == "cli" || name == "main" {
				name = mod[:i]
				if j := strings.LastIndexByte(name, '.'); j >= 0 {
					name = name[j+1:]
				}
			}
		}
		f.words(append([]string{name}, args...), depth)
	}
}

func (f *finder) pydoc(prog string, args []string) {
	if val, ok := optValue(args, "-p"); ok {
		p := portNumber(val)
		f.listen(prog, "localhost", p, portDetail("pydoc -p (documentation server)", p, true))
		return
	}
	if hasOpt(args, "-b") {
		f.listen(prog, "localhost", 0, "pydoc -b (documentation server on an arbitrary port)")
	}
}

// script follows an interpreter into the script it runs: a script named
// like a known program is that program (python3 smbserver.py → smbserver),
// and one named like a server is taken for one.
func (f *finder) script(prog, file string, args []string, depth int) {
	base := path.Base(file)
	if base == "" || base == "." || base == "/" {
		return
	}
	f.words(append([]string{base}, args...), depth)
}

// ---- PHP, Ruby, Perl ----

func (f *finder) php(v action.Argv, depth int) {
	prog := "php"
	if o, ok := v.Option("-S"); ok && o.HasValue {
		h, p := hostPort(o.Value)
		d := portDetail("php -S built-in web server", p, true)
		if h != "" {
			d += " on " + h
		}
		f.listen(prog, h, p, d)
		return
	}
	if o, ok := v.Option("-r"); ok && o.HasValue {
		f.code(langPHP, prog, o.Value)
		return
	}
	if len(v.Positionals) > 0 {
		f.fileCode(langPHP, prog, v.Positionals[0])
		f.script(prog, v.Positionals[0], after(v.Words, v.Positionals[0]), depth)
	}
}

func (f *finder) ruby(v action.Argv, depth int) {
	prog := "ruby"
	var requires, code []string
	for _, o := range v.Options {
		switch o.Name {
		case "-r":
			requires = append(requires, o.Value)
		case "-e":
			code = append(code, o.Value)
		}
	}
	// ruby -run -e httpd: the un library's web server.
	for _, r := range requires {
		if r == "un" && len(code) > 0 && strings.HasPrefix(strings.TrimSpace(code[0]), "httpd") {
			words := v.Words[1:]
			port, given := 8080, false
			if val, ok := optValue(words, "-p --port"); ok && portNumber(val) != 0 {
				port, given = portNumber(val), true
			}
			host, _ := optValue(words, "-b --bind-address")
			f.listen(prog, host, port, portDetail("ruby -run -e httpd", port, given))
			return
		}
	}
	if len(code) > 0 {
		var b strings.Builder
		for _, r := range requires {
			b.WriteString("require '" + r + "'\n")
		}
		b.WriteString(strings.Join(code, "\n"))
		f.code(langRuby, prog, b.String())
		return
	}
	if len(v.Positionals) > 0 {
		f.fileCode(langRuby, prog, v.Positionals[0])
		f.script(prog, v.Positionals[0], after(v.Words, v.Positionals[0]), depth)
	}
}

func (f *finder) perl(v action.Argv, depth int) {
	prog := "perl"
	var mods, code []string
	for _, o := range v.Options {
		switch o.Name {
		case "-M", "-m":
			mods = append(mods, o.Value)
		case "-e", "-E":
			code = append(code, o.Value)
		}
	}
	if len(code) > 0 {
		for _, m := range mods {
			// perl -Mojo -E '...->start' daemon: a Mojolicious server.
			if m == "ojo" && len(v.Positionals) > 0 && (v.Positionals[0] == "daemon" || v.Positionals[0] == "prefork") {
				f.listen(prog, "", 3000, "perl -Mojo "+v.Positionals[0]+" (default port 3000)")
			}
		}
		var b strings.Builder
		for _, m := range mods {
			b.WriteString("use " + m + ";\n")
		}
		b.WriteString(strings.Join(code, "\n"))
		f.code(langPerl, prog, b.String())
		return
	}
	if len(v.Positionals) > 0 {
		f.fileCode(langPerl, prog, v.Positionals[0])
		f.script(prog, v.Positionals[0], after(v.Words, v.Positionals[0]), depth)
	}
}

// ---- JavaScript runtimes ----

func (f *finder) node(v action.Argv, depth int) {
	prog := v.Program
	words := v.Words[1:]
	// node -r ./x.js, --require, --import: a preloaded file is code too.
	for _, o := range v.Options {
		switch o.Name {
		case "-r", "--require", "--import", "--loader", "--experimental-loader":
			if o.HasValue && (strings.HasPrefix(o.Value, "./") || strings.HasPrefix(o.Value, "../") || strings.HasPrefix(o.Value, "/")) {
				f.fileCode(langJS, prog, o.Value)
				if path.Ext(o.Value) == "" {
					f.fileCode(langJS, prog, o.Value+".js")
				}
			}
		}
	}
	for i, w := range words {
		// node -pe CODE, node -ep CODE: print and evaluate.
		if (w == "-pe" || w == "-ep") && i+1 < len(words) {
			f.code(langJS, prog, words[i+1])
			return
		}
		if w == "--" || !strings.HasPrefix(w, "-") {
			break
		}
	}
	for _, o := range v.Options {
		switch o.Name {
		case "-e", "-p", "--eval", "--print":
			if o.HasValue {
				f.code(langJS, prog, o.Value)
				return
			}
		}
	}
	if val, ok := optValue(words, "-e --eval -p --print"); ok && prog != "node" {
		f.code(langJS, prog, val)
		return
	}
	for _, w := range words {
		if w == "--" || !strings.HasPrefix(w, "-") {
			break
		}
		name, val, _ := strings.Cut(w, "=")
		switch name {
		case "--inspect", "--inspect-brk", "--inspect-wait", "--debug", "--debug-brk":
			host, port := "127.0.0.1", 9229
			if val != "" {
				h, p := hostPort(val)
				if p != 0 {
					port = p
				}
				if h != "" {
					host = h
				}
			}
			f.listen(prog, host, port, portDetail("node "+name+" (debugger)", port, val != ""))
		}
	}
	// node's --watch is a flag; nodemon's -w/--watch, -x/--exec, -e/--ext take values.
	valued := "-r --require --import --loader --experimental-loader --env-file --conditions -C --title --inspect-port --watch-path --input-type --stack-size --redirect-warnings --diagnostic-dir -V:never"
	if prog == "nodemon" {
		valued += " --exec -x --ext -e -w --watch --delay -i --ignore --signal --config"
	}
	pos := positionals(words, valued)
	if prog == "nodemon" {
		if val, ok := optValue(words, "--exec -x"); ok {
			f.scriptText(val, "nodemon --exec")
		}
	}
	if len(pos) > 0 {
		f.fileCode(langJS, prog, pos[0])
		f.script(prog, pos[0], after(v.Words, pos[0]), depth)
	}
}

func (f *finder) deno(v action.Argv, depth int) {
	prog := "deno"
	args := v.Words[1:]
	if wantsHelp(args) {
		return
	}
	pos := positionals(args, "--config -c --import-map --location --seed --v8-flags --cert --inspect:never --env-file --port --host")
	if len(pos) == 0 {
		return
	}
	switch pos[0] {
	case "eval":
		if len(pos) > 1 {
			f.code(langJS, prog, pos[1])
		}
	case "serve":
		port, given := 8000, false
		if val, ok := optValue(args, "--port"); ok && portNumber(val) != 0 {
			port, given = portNumber(val), true
		}
		host, _ := optValue(args, "--host")
		f.listen(prog, host, port, portDetail("deno serve", port, given))
	case "run", "x":
		if len(pos) > 1 {
			f.script(prog, pos[1], pos[2:], depth)
		}
	case "task":
		if len(pos) > 1 {
			f.denoTask(pos[1], pos[2:], depth)
		}
	case "install", "add", "cache", "upgrade", "outdated:never":
		f.connect(prog, "", 0, "", "deno "+pos[0]+" downloads modules")
	default:
		if strings.ContainsAny(pos[0], "./") {
			f.script(prog, pos[0], pos[1:], depth)
		}
	}
}

func (f *finder) bun(v action.Argv, depth int) {
	prog := "bun"
	args := v.Words[1:]
	if val, ok := optValue(args, "-e --eval -p --print"); ok {
		f.code(langJS, prog, val)
		return
	}
	if wantsHelp(args) {
		return
	}
	pos := positionals(args, "--cwd --env-file --config -c --preload -r --port:never")
	if len(pos) == 0 {
		return
	}
	switch pos[0] {
	case "run":
		if len(pos) > 1 {
			// bun run FILE runs the file when no script has that name.
			if strings.ContainsAny(pos[1], "./") {
				f.fileCode(langJS, prog, pos[1])
			}
			f.packageScript(prog, pos[1], pos[2:], depth, !strings.ContainsAny(pos[1], "./"))
		}
	case "x":
		f.words(pos[1:], depth)
	case "install", "i", "add", "a", "update", "upgrade", "outdated", "publish", "create", "c", "pm:never":
		f.connect(prog, "", 0, "", "bun "+pos[0]+" downloads packages")
	case "build", "test", "init", "link", "unlink", "remove", "rm", "pm", "repl", "upgrade:never":
	default:
		if strings.ContainsAny(pos[0], "./") {
			f.fileCode(langJS, prog, pos[0])
			f.script(prog, pos[0], after(v.Words, pos[0]), depth)
			return
		}
		f.packageScript(prog, pos[0], pos[1:], depth, false)
	}
}

// ---- Lua, awk, other code-string interpreters ----

func (f *finder) lua(v action.Argv, depth int) {
	prog := v.Program
	var code []string
	words := v.Words[1:]
	for i := 0; i < len(words); i++ {
		w := words[i]
		if w == "-e" && i+1 < len(words) {
			code = append(code, words[i+1])
			i++
		} else if strings.HasPrefix(w, "-e") && len(w) > 2 {
			code = append(code, w[2:])
		} else if w == "-l" && i+1 < len(words) {
			code = append(code, "require('"+words[i+1]+"')")
			i++
		} else if !strings.HasPrefix(w, "-") {
			if len(code) == 0 {
				f.fileCode(langLua, prog, w)
				f.script(prog, w, words[i+1:], depth)
				return
			}
			break
		}
	}
	if len(code) > 0 {
		f.code(langLua, prog, strings.Join(code, "\n"))
	}
}

func (f *finder) awk(v action.Argv) {
	words := v.Words[1:]
	var prog string
	hasFile := false
	for i := 0; i < len(words); i++ {
		w := words[i]
		switch {
		case w == "--":
			if i+1 < len(words) && !hasFile {
				prog = words[i+1]
			}
			i = len(words)
		case w == "-f" || w == "--file" || strings.HasPrefix(w, "--file="):
			// The program is in a file: read it (one from stdin is
			// Command.Stdin's business).
			hasFile = true
			name, ok := strings.CutPrefix(w, "--file=")
			if !ok && i+1 < len(words) {
				name = words[i+1]
				i++
			}
			if name != "" && name != "-" && !isStdinFile(name) {
				if b := f.read(name); b != nil {
					prog += string(b) + "\n"
				}
			}
		case w == "-v" || w == "-F" || w == "--assign" || w == "--field-separator" || w == "-i" || w == "--include" || w == "-l" || w == "--load":
			i++
		case w == "-e" || w == "--source":
			if i+1 < len(words) {
				prog += words[i+1] + "\n"
			}
			i++
		case strings.HasPrefix(w, "-") && len(w) > 1:
		default:
			if !hasFile && prog == "" {
				prog = w
			}
			i = len(words)
		}
	}
	if prog != "" {
		f.code(langAwk, v.Program, prog)
	}
}

// websocat listens with -s/--server-mode PORT or a listening address
// (ws-l:, ws-listen:, tcp-l:, tcp-listen:, l-ws:, ...); otherwise it is a
// client (the clients table).
func (f *finder) websocat(prog string, args []string) {
	for i, a := range args {
		if (a == "-s" || a == "--server-mode") && i+1 < len(args) {
			host, port := hostPort(args[i+1])
			f.listen(prog, host, port, portDetail("websocat server mode", port, port != 0))
			return
		}
		low := strings.ToLower(a)
		for _, pre := range []string{"ws-l:", "ws-listen:", "tcp-l:", "tcp-listen:", "l-ws:", "wss-l:", "unix-l:"} {
			if strings.HasPrefix(low, pre) {
				if pre == "unix-l:" {
					return
				}
				host, port := hostPort(a[len(pre):])
				f.listen(prog, host, port, portDetail("websocat "+strings.TrimSuffix(pre, ":")+" address", port, port != 0))
				return
			}
		}
	}
}

// evalFlag handles interpreters whose code follows -e (julia, jrunscript,
// Rscript, groovy).
func (f *finder) evalFlag(prog string, args []string) {
	lang := langJS
	switch prog {
	case "julia":
		lang = langJulia
	case "rscript", "Rscript", "R":
		lang = langR
	case "groovy", "jshell", "scala", "kotlin", "kotlinc":
		lang = langJava
	case "osascript":
		lang = langAppleScript
	}
	var code []string
	for i := 0; i < len(args); i++ {
		if (args[i] == "-e" || args[i] == "--eval") && i+1 < len(args) {
			code = append(code, args[i+1])
			i++
		}
	}
	if len(code) > 0 {
		f.code(lang, prog, strings.Join(code, "\n"))
	}
}

func (f *finder) powershell(prog string, args []string) {
	var code []string
	for i := 0; i < len(args); i++ {
		w := args[i]
		lw := strings.ToLower(w)
		if !strings.HasPrefix(lw, "-") && !strings.HasPrefix(lw, "/") {
			code = append(code, args[i:]...)
			break
		}
		name := strings.TrimLeft(lw, "-/")
		switch {
		case name == "e" || name == "ec" || (len(name) >= 3 && strings.HasPrefix("encodedcommand", name)):
			f.opaque(prog, "powershell -EncodedCommand runs base64-encoded code")
			return
		case name == "c" || (len(name) >= 2 && strings.HasPrefix("command", name)):
			code = append(code, args[i+1:]...)
			i = len(args)
		case name == "f" || name == "file":
			return
		case strings.HasPrefix("executionpolicy", name) && len(name) >= 2, name == "ep",
			strings.HasPrefix("windowstyle", name), strings.HasPrefix("version", name) && len(name) >= 2,
			strings.HasPrefix("configurationname", name) && len(name) >= 3,
			strings.HasPrefix("outputformat", name) && len(name) >= 2, strings.HasPrefix("inputformat", name) && len(name) >= 2,
			strings.HasPrefix("workingdirectory", name) && len(name) >= 2, strings.HasPrefix("settingsfile", name) && len(name) >= 2:
			i++
		}
	}
	if len(code) > 0 {
		text := strings.Join(code, " ")
		f.code(langPowerShell, prog, text)
		// Native commands it runs (pwsh -c 'nc -l 4444').
		f.scriptFacets(text, prog+" -Command", 0, nil)
	}
}

// otherShell reads -c TEXT of the shells whose syntax is not the POSIX
// shell's (nushell, elvish, xonsh): their commands are read naively, as a
// package.json script is, for what they start.
func (f *finder) otherShell(prog string, args []string, depth int) {
	for i := 0; i < len(args); i++ {
		w := args[i]
		if w == "-c" || w == "--commands" || w == "--command" {
			if i+1 < len(args) {
				if prog == "xonsh" {
					f.code(langPython, prog, args[i+1])
				}
				f.scriptFacets(args[i+1], prog+" -c", depth, nil)
			}
			return
		}
		if !strings.HasPrefix(w, "-") {
			return
		}
	}
}

// powercat is a PowerShell netcat: -l listens, -c HOST connects, -e/-ep
// hands the connection a command or PowerShell.
func (f *finder) powercat(prog string, args []string) {
	port := 0
	if val, ok := optValue(args, "-p"); ok {
		port = portNumber(val)
	}
	exec := hasAnyOpt(args, "-e -ep")
	if hasAnyOpt(args, "-l") {
		f.listen(prog, "", port, portDetail("powercat -l", port, port != 0))
		if exec {
			f.remote(prog, "", port, "powercat -l with -e/-ep serves a shell to whoever connects")
		}
		return
	}
	if host, ok := optValue(args, "-c"); ok {
		f.connect(prog, host, port, "", "powercat -c")
		if exec {
			f.remote(prog, host, port, "powercat -c with -e/-ep hands a shell to the remote side")
		}
	}
}

// vim runs Python, Lua, Perl and Ruby from -c commands, and the ex
// commands of the files -S and -u source.
func (f *finder) vim(prog string, args []string) {
	for i := 0; i < len(args); i++ {
		var cmd string
		switch {
		case (args[i] == "-c" || args[i] == "--cmd") && i+1 < len(args):
			cmd = args[i+1]
			i++
		case strings.HasPrefix(args[i], "+") && len(args[i]) > 1:
			cmd = args[i][1:]
		case (args[i] == "-S" || args[i] == "-u") && i+1 < len(args):
			cmd = "source " + args[i+1]
			i++
		default:
			continue
		}
		f.exCommand(prog, cmd, 0)
	}
}

// exModifiers are the ex command modifiers that take another command.
var exModifiers = map[string]bool{
	"sil": true, "sile": true, "silen": true, "silent": true, "uns": true, "unsilent": true, "noa": true, "noautocmd": true,
	"keepa": true, "keepalt": true, "keepj": true, "keepjumps": true, "kee": true, "keepmarks": true, "keepp": true,
	"keeppatterns": true, "loc": true, "lockmarks": true, "vert": true, "vertical": true, "tab": true, "top": true,
	"topleft": true, "bo": true, "botright": true, "abo": true, "aboveleft": true, "bel": true, "belowright": true,
	"hid": true, "hide": true, "confirm": true, "conf": true, "sandbox": true, "san": true, "lefta": true, "leftabove": true,
	"rightb": true, "rightbelow": true, "bro": true, "browse": true, "noswapfile": true, "nos": true,
}

// stdinCodeRunners are the shells and interpreters that, given no code on
// their command line, run what they read on stdin.
var stdinCodeRunners = map[string]bool{
	"sh": true, "bash": true, "zsh": true, "dash": true, "ksh": true, "ash": true, "mksh": true, "yash": true,
	"fish": true, "csh": true, "tcsh": true, "busybox": true, "python": true, "pypy": true, "perl": true,
	"ruby": true, "node": true, "nodejs": true, "php": true, "lua": true, "luajit": true, "tclsh": true,
	"pwsh": true, "powershell": true, "osascript": true, "deno": true, "bun": true, "irb": true, "expect": true,
}

// feedsCodeRunner reports a command line that runs stdin as code: one
// of its words is a shell or interpreter (sudo sh, env python3) and none
// is an option giving the code (-c, -e, -m).
func feedsCodeRunner(cmd string) bool {
	runner := false
	for _, w := range strings.Fields(cmd) {
		if w == "-c" || w == "-e" || w == "-E" || w == "-m" || w == "-r" || w == "--eval" {
			return false
		}
		if stdinCodeRunners[action.ProgramName(w)] {
			runner = true
		}
	}
	return runner
}

// exCommand reads one Vim/ex command line for the shell commands it runs:
// :!CMD and a range filter (%!CMD), :read !CMD and :write !CMD, :terminal
// CMD, system()/systemlist()/job_start()/term_start() with a literal
// string, :execute of a literal string, and the language commands (:py3,
// :lua, :perl, :ruby) whose code is scanned.
func (f *finder) exCommand(prog, cmd string, depth int) {
	if depth > 2 {
		return
	}
	cmd = strings.TrimSpace(cmd)
	// A leading range: %, ., $, numbers, marks, commas, semicolons.
	cmd = strings.TrimLeft(cmd, ":")
	full := len(cmd)
	cmd = strings.TrimLeft(cmd, "0123456789%.$,;'<>+- \t")
	if rest, ok := strings.CutPrefix(cmd, "!"); ok {
		if len(cmd) < full && feedsCodeRunner(rest) {
			// :%!sh filters the lines through a shell: it runs them.
			f.opaque(prog, prog+" filters its buffer through a shell or interpreter: "+clipText(rest))
		}
		f.scriptText(rest, prog+" -c :!")
		return
	}
	word, rest, _ := strings.Cut(cmd, " ")
	word = strings.TrimRight(word, "!")
	rest = strings.TrimSpace(rest)
	if exModifiers[word] {
		// :silent !CMD, :noautocmd w !sh: a modifier before the command
		// (the text shrinks, so this ends).
		f.exCommand(prog, rest, depth)
		return
	}
	switch word {
	case "py", "py3", "python", "python3", "pyx", "pythonx", "pyt":
		f.code(langPython, prog, rest)
	case "lua":
		f.code(langLua, prog, rest)
	case "perl":
		f.code(langPerl, prog, rest)
	case "ruby", "rub":
		f.code(langRuby, prog, rest)
	case "r", "re", "rea", "read", "w", "wr", "wri", "writ", "write":
		if text, ok := strings.CutPrefix(rest, "!"); ok {
			if word[0] == 'w' && feedsCodeRunner(text) {
				// :w !sh pipes the buffer (whatever it holds by then) to a
				// shell: it runs the buffer.
				f.opaque(prog, prog+" writes its buffer to a shell or interpreter: "+clipText(text))
			}
			f.scriptText(text, prog+" -c :"+word+" !")
		}
	case "so", "sou", "sour", "sourc", "source":
		// :source FILE runs the ex commands in FILE.
		if rest != "" && !strings.ContainsAny(rest, "$`") {
			if b := f.read(rest); b != nil {
				for line := range strings.Lines(string(b)) {
					f.exCommand(prog, line, depth+1)
				}
			}
		}
	case "ter", "term", "termi", "termin", "termina", "terminal":
		// :terminal [++OPTS] [CMD]: CMD runs in a terminal window.
		for strings.HasPrefix(rest, "++") {
			_, rest, _ = strings.Cut(rest, " ")
			rest = strings.TrimSpace(rest)
		}
		if rest != "" {
			f.scriptText(rest, prog+" -c :terminal")
		}
	case "exe", "exec", "execute":
		if s := literal(rest); s != "" {
			f.exCommand(prog, s, depth+1)
		}
	default:
		for _, fn := range []string{"system(", "systemlist(", "job_start(", "term_start("} {
			if i := strings.Index(cmd, fn); i >= 0 {
				if args := callArgs(cmd, i+len(fn)); len(args) > 0 {
					if s := literal(args[0]); s != "" {
						f.scriptText(s, prog+" -c "+strings.TrimSuffix(fn, "("))
					}
				}
			}
		}
	}
}

// emacsShell are the Emacs Lisp functions whose string argument (the
// first, or the third for start-process-shell-command) is a shell command.
var emacsShell = []struct {
	fn  string
	arg int
}{
	{"(shell-command ", 0}, {"(shell-command-to-string ", 0}, {"(async-shell-command ", 0},
	{"(call-process-shell-command ", 0}, {"(process-file-shell-command ", 0}, {"(start-process-shell-command ", 2},
	{"(start-file-process-shell-command ", 2},
}

// emacs reads the Lisp of --eval/-eval/--execute (emacs --batch --eval
// '(shell-command "CMD")') for the shell commands it runs.
func (f *finder) emacs(prog string, args []string) {
	var code []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case (a == "--eval" || a == "-eval" || a == "--execute" || a == "-execute") && i+1 < len(args):
			code = append(code, args[i+1])
			i++
		case strings.HasPrefix(a, "--eval="):
			code = append(code, a[len("--eval="):])
		case strings.HasPrefix(a, "--execute="):
			code = append(code, a[len("--execute="):])
		}
	}
	for _, c := range code {
		for _, sh := range emacsShell {
			for i, n := 0, 0; i < len(c) && n < maxCalls; n++ {
				j := strings.Index(c[i:], sh.fn)
				if j < 0 {
					break
				}
				i += j + len(sh.fn)
				if s, ok := lispString(c[i:], sh.arg); ok && !strings.ContainsAny(s, "$`") {
					f.scriptText(s, prog+" "+strings.Trim(sh.fn, "( "))
				}
			}
		}
	}
}

// lispString returns the n-th argument of a Lisp call starting at s when
// it and the ones before it are atoms or strings, and it is a string
// literal without escapes.
func lispString(s string, n int) (string, bool) {
	for k := 0; ; k++ {
		s = strings.TrimLeft(s, " \t\n")
		if s == "" || s[0] == ')' || s[0] == '(' {
			return "", false
		}
		var tok string
		if s[0] == '"' {
			end := strings.IndexByte(s[1:], '"')
			if end < 0 {
				return "", false
			}
			tok, s = s[1:1+end], s[2+end:]
			if k == n {
				return tok, !strings.Contains(tok, "\\")
			}
			continue
		}
		end := strings.IndexAny(s, " \t\n)")
		if end < 0 {
			return "", false
		}
		if k == n {
			return "", false
		}
		s = s[end:]
	}
}

func (f *finder) gimp(prog string, args []string) {
	interp, _ := optValue(args, "--batch-interpreter")
	if !strings.Contains(interp, "python") {
		return
	}
	for i := 0; i < len(args); i++ {
		if (args[i] == "-b" || args[i] == "--batch") && i+1 < len(args) {
			f.code(langPython, prog, args[i+1])
			i++
		}
	}
}

// ---- Java ----

func (f *finder) java(prog string, args []string, depth int) {
	var main string
	var rest []string
	for i := 0; i < len(args); i++ {
		w := args[i]
		switch {
		case strings.HasPrefix(w, "-agentlib:jdwp") || strings.HasPrefix(w, "-Xrunjdwp"):
			if strings.Contains(w, "server=y") {
				_, p := hostPort(optionInList(w, "address"))
				f.listen(prog, "", p, portDetail("java debug agent (jdwp server=y)", p, p != 0))
			}
		case strings.HasPrefix(w, "-Dcom.sun.management.jmxremote.port="):
			p := portNumber(strings.TrimPrefix(w, "-Dcom.sun.management.jmxremote.port="))
			f.listen(prog, "", p, portDetail("java JMX remote", p, true))
		case strings.HasPrefix(w, "-Dserver.port="):
			p := portNumber(strings.TrimPrefix(w, "-Dserver.port="))
			f.listen(prog, "", p, portDetail("java application server.port", p, true))
		case w == "-jar" && i+1 < len(args):
			main = args[i+1]
			rest = args[i+2:]
			i = len(args)
		case w == "-cp" || w == "-classpath" || w == "--class-path" || w == "-p" || w == "--module-path" || w == "--add-opens" || w == "--add-exports" || w == "--add-modules":
			i++
		case w == "-m" || w == "--module":
			if i+1 < len(args) {
				main = args[i+1]
				rest = args[i+2:]
			}
			i = len(args)
		case !strings.HasPrefix(w, "-"):
			main = w
			rest = args[i+1:]
			i = len(args)
		}
	}
	if main == "" || wantsHelp(rest) {
		return
	}
	name := strings.ToLower(trimExt(path.Base(strings.ReplaceAll(main, "\\", "/"))))
	if strings.HasSuffix(name, ".war") {
		name = strings.TrimSuffix(name, ".war")
	}
	if i := strings.LastIndexByte(name, '.'); i >= 0 && !strings.HasSuffix(main, ".jar") {
		name = name[i+1:] // a class name: org.h2.tools.Server → server
	}
	for _, a := range rest {
		if strings.HasPrefix(a, "--server.port=") || strings.HasPrefix(a, "--port=") {
			_, val, _ := strings.Cut(a, "=")
			p := portNumber(val)
			f.listen(prog, "", p, portDetail("java application --server.port", p, true))
			return
		}
	}
	if nameTokens(name, func(t string) bool { return clientTokens[t] }) {
		return // jenkins-cli.jar, server-cli.jar: clients
	}
	if tokenServer(name) || inList("jenkins jetty-runner winstone keycloak h2 wiremock selenium-server hsqldb-server mockserver zap", name) || strings.HasPrefix(name, "jenkins") || strings.HasPrefix(name, "wiremock") || strings.HasPrefix(name, "minecraft_server") || strings.HasPrefix(name, "spigot") || strings.HasPrefix(name, "paper") || strings.HasPrefix(name, "forge") && strings.Contains(name, "server") {
		f.listen(prog, "", 0, "java runs a server ("+path.Base(main)+")")
		return
	}
	if len(rest) > 0 && inList("server serve", strings.ToLower(rest[0])) {
		f.listen(prog, "", 0, "java "+path.Base(main)+" "+rest[0])
	}
}

// optionInList reads key=value from a comma-separated option string.
func optionInList(s, key string) string {
	_, s, _ = strings.Cut(s, "=")
	for _, kv := range strings.Split(s, ",") {
		k, val, _ := strings.Cut(kv, "=")
		if k == key {
			return val
		}
	}
	return ""
}

// tokenServer reports whether a name has "server" (or "srv", "srvr") as one
// of its words: ArkAscendedServer, start-server.sh, server_linux; not
// meshlabserver or serverless.
func tokenServer(name string) bool {
	return nameTokens(name, func(t string) bool {
		return t == "server" || t == "srv" || t == "httpd" || t == "webserver" || t == "dedicated" || t == "devserver" || t == "listener"
	})
}

// ---- tunnel and VPN clients with several modes ----

func (f *finder) cloudflared(prog string, args []string) {
	if wantsHelp(args) {
		return
	}
	pos := positionals(args, "--loglevel --logfile --log-directory --config --origincert --metrics --pidfile --credentials-file --cred-file --url --hostname --protocol --edge-ip-version --region --label --name -n --token --tag --grace-period --retries --ha-connections --service-op-ip --edge --lb-pool --proxy-dns-port --proxy-dns-address --proxy-dns-upstream")
	url, hasURL := optValue(args, "--url")
	if len(pos) == 0 {
		if hasURL {
			f.tunnel(prog, "", 0, "cloudflared --url "+url+" (a quick tunnel exposing a local service)")
		}
		return
	}
	switch pos[0] {
	case "tunnel":
		if len(pos) > 1 && inList("login list create delete route info cleanup token vnet ingress diag", pos[1]) {
			f.connect(prog, "", 0, "", "cloudflared tunnel "+pos[1]+" talks to Cloudflare")
			return
		}
		d := "cloudflared tunnel (exposes local services through Cloudflare)"
		if hasURL {
			d = "cloudflared tunnel --url " + url + " (exposes a local service through Cloudflare)"
		}
		f.tunnel(prog, "", 0, d)
	case "access":
		if len(pos) > 1 && inList("tcp rdp ssh smb", pos[1]) {
			h, p := "", 0
			if v, ok := optValue(args, "--url --listener"); ok {
				h, p = hostPort(v)
			}
			f.localForward(prog, h, p, portDetail("cloudflared access "+pos[1]+" (forwards a local port through Cloudflare)", p, p != 0))
			return
		}
		f.connect(prog, "", 0, "", "cloudflared access")
	case "service":
		if len(pos) > 1 && pos[1] == "install" {
			f.tunnel(prog, "", 0, "cloudflared service install (a persistent Cloudflare tunnel)")
		}
	case "proxy-dns":
		f.listen(prog, "localhost", 53, "cloudflared proxy-dns (a DNS server)")
	case "update":
		f.connect(prog, "", 0, "", "cloudflared update downloads")
	}
}

func (f *finder) tailscale(prog string, args []string) {
	if wantsHelp(args) {
		return
	}
	pos := positionals(args, "--socket --bg:never --set-path --https --http --tcp --tls-terminated-tcp --listen")
	if len(pos) == 0 {
		return
	}
	switch pos[0] {
	case "serve", "funnel":
		if len(pos) > 1 && inList("status reset off get-config set-config", pos[len(pos)-1]) {
			return
		}
		f.tunnel(prog, "", 0, "tailscale "+pos[0]+" exposes a local service (to the tailnet or, with funnel, the internet)")
	case "web":
		host, port := "localhost", 8088
		if v, ok := optValue(args, "--listen"); ok {
			host, port = hostPort(v)
		}
		f.listen(prog, host, port, portDetail("tailscale web (a web interface)", port, false))
	case "up", "login", "set", "netcheck", "ping", "ssh", "nc", "file", "bugreport", "cert", "update", "whois", "drive", "logout", "switch":
		f.connect(prog, "", 0, "", "tailscale "+pos[0]+" talks to the tailnet")
	}
}

func (f *finder) devspace(prog string, args []string) {
	if wantsHelp(args) {
		return
	}
	pos := positionals(args, "-n --namespace -p --profile --kube-context --config --var -s --var-file --port --host")
	if len(pos) == 0 {
		return
	}
	switch pos[0] {
	case "dev":
		f.tunnel(prog, "", 0, "devspace dev forwards ports and syncs files with the cluster")
	case "ui":
		port := 8090
		if v, ok := optValue(args, "--port"); ok {
			port = portNumber(v)
		}
		f.listen(prog, "localhost", port, portDetail("devspace ui", port, false))
	case "deploy", "build", "logs", "enter", "attach", "run", "purge", "sync", "use", "open":
		f.connect(prog, "", 0, "", "devspace "+pos[0]+" talks to the cluster")
	}
}

func (f *finder) openvpn(prog string, args []string) {
	if wantsHelp(args) || hasAnyOpt(args, "--genkey --show-ciphers --show-digests --mktun --rmtun --show-tls --show-engines --test-crypto") {
		return
	}
	mode, _ := optValue(args, "--mode")
	if hasAnyOpt(args, "--server --server-bridge") || mode == "server" {
		port := 1194
		if v, ok := optValue(args, "--port --lport"); ok {
			port = portNumber(v)
		}
		f.listen(prog, "", port, portDetail("openvpn server", port, false))
		return
	}
	host, _ := optValue(args, "--remote")
	f.connect(prog, host, 0, "", "openvpn connects a VPN")
}

// clojure: clj -m nrepl.cmdline starts an nREPL server; cljs.main -r/-s
// serves a browser REPL.
func (f *finder) clojure(prog string, args []string) {
	for i := 0; i < len(args); i++ {
		w := args[i]
		if (w == "-m" || w == "--main") && i+1 < len(args) {
			ns, rest := args[i+1], args[i+2:]
			switch {
			case strings.HasPrefix(ns, "nrepl.") || ns == "cider.nrepl":
				port := 0
				if v, ok := optValue(rest, "-p --port"); ok {
					port = portNumber(v)
				}
				f.listen(prog, "", port, portDetail(prog+" -m "+ns+" (an nREPL server)", port, port != 0))
			case ns == "cljs.main" && hasAnyOpt(rest, "-r --repl -s --serve"):
				f.listen(prog, "", 9000, portDetail(prog+" -m cljs.main REPL server", 9000, false))
			case ns == "figwheel.main":
				f.listen(prog, "", 9500, portDetail(prog+" -m figwheel.main", 9500, false))
			}
			return
		}
	}
}

// fileCode scans the code of a script file an interpreter runs, when it can
// be read (a file this same text wrote, or one on disk through ReadFile).
func (f *finder) fileCode(l lang, prog, file string) {
	if file == "" || file == "-" {
		return
	}
	if data := f.read(file); data != nil {
		f.code(l, prog, string(data))
	}
}

// pipInstall: a local project's setup.py runs at install time.
func (f *finder) pipInstall(prog string, args []string) {
	pos := positionals(args, "-r --requirement -c --constraint -e --editable -i --index-url --extra-index-url -t --target --prefix --root --src -f --find-links --python --platform --implementation --abi --proxy --cert --client-cert --cache-dir --log --timeout --retries --trusted-host")
	if strings.HasPrefix(prog, "easy_install") {
		pos = append([]string{"install"}, pos...)
	}
	if len(pos) > 0 && pos[0] == "install" {
		for i, p := range pos[1:] {
			if i == 4 {
				break
			}
			// A directory with a setup.py is a local project whose
			// setup.py runs now; a package name reads nothing.
			if !strings.ContainsAny(p, "=<>[") {
				f.fileCode(langPython, prog, filepath.Join(p, "setup.py"))
			}
		}
		// pip install -e DIR: an editable install runs DIR's setup.py too.
		for i := 0; i < len(args); i++ {
			dir, ok := "", false
			switch w := args[i]; {
			case w == "-e" || w == "--editable":
				if i+1 < len(args) {
					dir, ok = args[i+1], true
					i++
				}
			case strings.HasPrefix(w, "--editable="):
				dir, ok = strings.TrimPrefix(w, "--editable="), true
			case strings.HasPrefix(w, "-e") && len(w) > 2 && w[2] != '-':
				dir, ok = w[2:], true
			}
			if ok && !strings.Contains(dir, "://") && !strings.ContainsAny(dir, "=<>[") {
				f.fileCode(langPython, prog, filepath.Join(dir, "setup.py"))
			}
		}
	}
	if strings.HasPrefix(prog, "easy_install") {
		f.connect(prog, "pypi.org", 0, "", "easy_install downloads packages")
		return
	}
	f.clientSub("pip", args)
}

// goTool: go run FILE.go runs the file; go get/install download.
func (f *finder) goTool(prog string, args []string) {
	pos := positionals(args, "-C -o -tags -ldflags -gcflags -exec -mod -modfile -p -run -bench -count -timeout")
	if len(pos) > 0 && pos[0] == "run" {
		if len(pos) > 1 && remoteModule(pos[1]) {
			// go run PATH@VERSION downloads a module and runs it, as
			// npx does a package: code nothing here can read.
			f.opaque(prog, "go run runs a module fetched from the network: "+pos[1])
		}
		for k, p := range pos[1:] {
			if strings.HasSuffix(p, ".go") {
				f.fileCode(langGo, prog, p)
			} else if k == 0 && localPackageDir(p) {
				// go run . / go run ./cmd/x: the package's main.go.
				f.fileCode(langGo, prog, filepath.Join(p, "main.go"))
			}
			if base := trimExt(path.Base(p)); tokenServer(base) && !nameTokens(base, func(t string) bool { return clientTokens[t] }) {
				f.listen(prog, "", 0, "go run "+p+" (a program named as a server)")
			}
		}
		return
	}
	f.clientSub(prog, args)
}

// remoteModule reports whether a go run argument names a module version
// (golang.org/x/tools/cmd/stringer@v0.31.0, example.com/x@latest), which
// go fetches rather than builds from the local module.
func remoteModule(p string) bool {
	at := strings.LastIndexByte(p, '@')
	return at > 0 && at < len(p)-1 && !strings.HasPrefix(p, ".") && !strings.HasPrefix(p, "/") && !strings.HasSuffix(p[:at], ".go")
}

// wordListeners are programs that listen when one of their arguments
// contains a marker: ffmpeg -listen 1, qemu -vnc :1 or hostfwd=, vlc --sout
// '#standard{access=http...}'.
type wordListen struct {
	what    string
	markers string // |-separated substrings of an argument
}

func wordListener(prog string) (wordListen, bool) {
	switch {
	case prog == "ffmpeg" || prog == "avconv":
		return wordListen{what: "ffmpeg serving a stream (-listen)", markers: "-listen|?listen|&listen|rtsp_flags|listen=1"}, true
	case strings.HasPrefix(prog, "qemu-system-") || prog == "qemu-kvm" || prog == "kvm" || prog == "qemu":
		return wordListen{what: "qemu exposes a port (VNC, SPICE, gdb, monitor or hostfwd)", markers: "-vnc|-spice|hostfwd=|-gdb|,server|server=on|websocket"}, true
	case prog == "vlc" || prog == "cvlc" || prog == "nvlc":
		return wordListen{what: "vlc serving a stream or web interface", markers: "access=http|http{|access=rtsp|rtsp://:|--http-port|--extraintf=http|--extraintf http|-I http|--intf=http|--rtsp-port|--sout-rtp"}, true
	case strings.HasPrefix(prog, "gst-launch"):
		return wordListen{what: "gstreamer pipeline with a server sink", markers: "tcpserversink|tcpserversrc|rtspclientsink:never|srtserversink|webrtcsink"}, true
	case prog == "pulseaudio" || prog == "pactl" || prog == "pacmd":
		return wordListen{what: "pulseaudio network protocol module", markers: "module-native-protocol-tcp|module-http-protocol-tcp|module-esound-protocol-tcp|module-simple-protocol-tcp|module-rtp-recv"}, true
	case prog == "hping3":
		return wordListen{what: "hping3 --listen", markers: "--listen|-9"}, true
	case prog == "nping":
		return wordListen{what: "nping echo server", markers: "--echo-server"}, true
	case prog == "Xorg" || prog == "X" || prog == "Xvfb" || prog == "Xephyr" || prog == "Xwayland":
		return wordListen{what: "X server listening on TCP", markers: "tcp"}, true
	}
	return wordListen{}, false
}

func (f *finder) wordListen(prog string, w wordListen, args []string) {
	if wantsHelp(args) {
		return
	}
	for _, a := range args {
		found := false
		for m := w.markers; m != "" && !found; {
			var one string
			one, m, _ = strings.Cut(m, "|")
			if one != "" && !strings.HasSuffix(one, ":never") && (a == one || strings.Contains(a, one) && len(one) > 3) {
				found = true
			}
		}
		if found {
			f.listen(prog, "", 0, w.what+" ("+a+")")
			return
		}
	}
	if prog == "ffmpeg" || prog == "avconv" {
		f.ffmpegInputs(prog, args)
	}
}

// ffmpegInputs: ffmpeg -i URL reads from the network.
func (f *finder) ffmpegInputs(prog string, args []string) {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == "-i" && strings.Contains(args[i+1], "://") && !strings.HasPrefix(args[i+1], "file:") {
			h, p := urlHost(args[i+1])
			f.connect(prog, h, p, args[i+1], "ffmpeg reads a network stream")
			return
		}
	}
}

// after returns the words that follow the first occurrence of w after
// argv0: a script's own arguments, which an interpreter's option parsing
// must not take (php artisan serve --port=8080).
func after(ws []string, w string) []string {
	for i := 1; i < len(ws); i++ {
		if ws[i] == w {
			return ws[i+1:]
		}
	}
	return nil
}

// gdb runs Python (-ex 'python ...') and shell commands (-ex 'shell ...').
func (f *finder) gdb(prog string, args []string) {
	for i := 0; i+1 < len(args); i++ {
		switch args[i] {
		case "-ex", "--ex", "-iex", "--eval-command", "--init-eval-command":
			cmd := strings.TrimSpace(args[i+1])
			word, rest, _ := strings.Cut(cmd, " ")
			switch word {
			case "python", "py", "python-interactive", "pi":
				f.code(langPython, prog, rest)
			case "shell", "!":
				f.scriptText(rest, "gdb -ex shell")
			default:
				if strings.HasPrefix(cmd, "!") {
					f.scriptText(cmd[1:], "gdb -ex !")
				}
			}
			i++
		}
	}
}

// platformForward handles the port-forwarding subcommands of platform CLIs
// (fly proxy, heroku ps:forward, vagrant ssh -- -L, k3d cluster create -p).
// It returns false for every other use, which the client table judges.
func (f *finder) platformForward(prog string, args []string) bool {
	if wantsHelp(args) {
		return false
	}
	pos := positionals(args, "-a --app -c --config -o --org -r --region --remote -t --team --port -p --api-port --servers --agents --image --k3s-arg --volume -v --env -e")
	if len(pos) == 0 {
		return false
	}
	switch prog {
	case "fly", "flyctl":
		if pos[0] == "proxy" {
			port := 0
			if len(pos) > 1 {
				port = portFrom(strings.Split(pos[1], ":")[0])
			}
			f.localForward(prog, "", port, portDetail(prog+" proxy (forwards a local port to an app)", port, port != 0))
			return true
		}
	case "heroku":
		if pos[0] == "ps:forward" || pos[0] == "ps:socks" {
			port := 1080
			if pos[0] == "ps:forward" && len(pos) > 1 {
				port = portFrom(strings.Split(pos[1], ":")[0])
			}
			f.localForward(prog, "", port, portDetail("heroku "+pos[0]+" (forwards a local port to a dyno)", port, pos[0] == "ps:forward"))
			return true
		}
	case "vagrant":
		if pos[0] == "ssh" {
			for i, a := range args {
				if a == "--" {
					f.sshTunnelFlags(prog, args[i+1:])
					break
				}
			}
		}
	case "k3d":
		if (pos[0] == "cluster" && len(pos) > 1 && pos[1] == "create") || pos[0] == "create" {
			if val, ok := optValue(args, "-p --port"); ok {
				spec, _, _ := strings.Cut(val, "@")
				parts := strings.Split(spec, ":")
				port := 0
				if len(parts) >= 2 {
					port = portNumber(parts[len(parts)-2])
				}
				f.listen(prog, "", port, portDetail("k3d publishes a cluster port on the host", port, port != 0))
				return true
			}
		}
	}
	return false
}

// clipText shortens text quoted in a detail.
func clipText(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
