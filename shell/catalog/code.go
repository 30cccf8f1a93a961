package catalog

import (
	"strconv"
	"strings"
)

// lang is a language whose code strings the catalogue scans.
type lang uint8

const (
	langPython lang = iota
	langPerl
	langRuby
	langPHP
	langJS
	langLua
	langAwk
	langTcl
	langPowerShell
	langJulia
	langR
	langJava
	langAppleScript
	langGo
	langC
)

var langNames = [...]string{"python", "perl", "ruby", "php", "javascript", "lua", "awk", "tcl", "powershell", "julia", "R", "java", "applescript", "go", "c"}

// codeFacts is what a scan found in a code string.
type codeFacts struct {
	connect, listen, bindOnly bool
	host                      string // peer host (connect) or bind address (listen)
	port                      int
	fetch                     bool   // an HTTP or FTP client call
	url                       string // the literal URL fetched, if any
	exec                      bool   // runs a shell or a command
	stdio                     bool   // wires a socket onto a process's stdio (dup2, fdopen, pipe)
	pty                       bool   // spawns a pseudo-terminal
	eval                      bool   // evaluates code built at run time
	decode                    bool   // decodes or decompresses a payload
	how                       []string
	commands                  []string // literal command strings it runs
}

func (c *codeFacts) note(s string) {
	for _, h := range c.how {
		if h == s {
			return
		}
	}
	c.how = append(c.how, s)
}

// code scans an interpreter's code string and records what it does:
// listeners, connections, remote shells (a socket wired to a shell),
// evaluation of decoded or downloaded payloads (opaque), and the literal
// command strings it runs (returned as scripts for the shell package).
// Ordinary code yields nothing: it is an ordinary part.
func (f *finder) code(l lang, prog, code string) {
	if code == "" {
		return
	}
	if len(code) > maxCode {
		code = code[:maxCode]
	}
	c := scanCode(l, code)
	name := prog + " (" + langNames[l] + " code)"
	if c.eval && (c.decode || c.fetch) {
		f.opaque(prog, name+": evaluates code it decodes or downloads at run time ("+strings.Join(c.how, ", ")+")")
	}
	if c.listen {
		d := portDetail(name+" listens", c.port, c.port != 0)
		if c.host != "" {
			d += " on " + c.host
		}
		f.listen(prog, c.host, c.port, d+" ("+strings.Join(c.how, ", ")+")")
	} else if c.bindOnly {
		f.bind(prog, c.host, c.port, portDetail(name+" binds a socket", c.port, c.port != 0))
	}
	if c.connect {
		f.connect(prog, c.host, c.port, "", name+" opens a socket to "+endpoint(c.host, c.port))
	}
	if c.fetch {
		h, p := "", 0
		if c.url != "" {
			h, p = urlHost(c.url)
		}
		f.connect(prog, h, p, c.url, name+" makes a network request")
	}
	if (c.connect || c.listen) && (c.exec || c.stdio || c.pty) {
		kind := "a reverse shell"
		if c.listen {
			kind = "a bind shell"
		}
		f.remote(prog, c.host, c.port, name+": a socket wired to a shell or command ("+strings.Join(c.how, ", ")+"): "+kind)
	}
	for _, cmd := range c.commands {
		f.scriptText(cmd, prog+" code runs a command")
	}
}

func endpoint(host string, port int) string {
	if host == "" {
		host = "?"
	}
	if port == 0 {
		return host
	}
	return host + ":" + strconv.Itoa(port)
}

// maxCalls bounds how many calls of one function a scan reads, so that
// adversarial code (system(system(system(...) costs linear time.
const maxCalls = 64

// has reports whether code contains any of the |-separated needles.
func has(code, needles string) bool {
	for needles != "" {
		var n string
		n, needles, _ = strings.Cut(needles, "|")
		if n != "" && strings.Contains(code, n) {
			return true
		}
	}
	return false
}

// firstCall finds the first call of any |-separated function name and
// returns its argument texts.
func firstCall(code, names string) ([]string, bool) {
	best := -1
	var bestName string
	for names != "" {
		var n string
		n, names, _ = strings.Cut(names, "|")
		if i := strings.Index(code, n); i >= 0 && (best < 0 || i < best) {
			best, bestName = i, n
		}
	}
	if best < 0 {
		return nil, false
	}
	open := best + len(bestName)
	if !strings.HasSuffix(bestName, "(") {
		j := strings.IndexByte(code[open:], '(')
		if j < 0 || j > 3 {
			return nil, true
		}
		open += j + 1
	}
	return callArgs(code, open), true
}

// callArgs splits the arguments of a call whose "(" ends just before at,
// at top-level commas, up to the matching ")". Nested tuples are kept whole.
func callArgs(code string, at int) []string {
	var args []string
	depth, start := 0, at
	for i := at; i < len(code) && i < at+2000; i++ {
		switch c := code[i]; c {
		case '\'', '"', '`':
			end := strings.IndexByte(code[i+1:], c)
			if end < 0 {
				return append(args, strings.TrimSpace(code[start:]))
			}
			i += end + 1
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			if depth == 0 {
				return append(args, strings.TrimSpace(code[start:i]))
			}
			depth--
		case ',':
			if depth == 0 {
				args = append(args, strings.TrimSpace(code[start:i]))
				start = i + 1
			}
		}
	}
	return append(args, strings.TrimSpace(code[start:]))
}

// literal returns the value of a string or number literal, "" otherwise.
func literal(arg string) string {
	arg = strings.TrimSpace(arg)
	if len(arg) >= 2 && strings.ContainsAny(arg[:1], `'"`) && arg[len(arg)-1] == arg[0] {
		return arg[1 : len(arg)-1]
	}
	if isDigits(arg) {
		return arg
	}
	return ""
}

// tupleArgs reads ("host", port) from an argument written as a tuple or list.
func tupleArgs(arg string) []string {
	arg = strings.TrimSpace(arg)
	if len(arg) >= 2 && strings.ContainsAny(arg[:1], "([") {
		return callArgs(arg, 1)
	}
	return nil
}

// hostPortArgs reads host and port from literal call arguments in the
// given order (port-first for Node's net.connect(port, host)).
func hostPortArgs(args []string, portFirst bool) (string, int) {
	if len(args) == 0 {
		return "", 0
	}
	if len(args) == 1 {
		if t := tupleArgs(args[0]); len(t) >= 2 {
			args = t
		} else {
			lit := literal(args[0])
			if p := portNumber(lit); p != 0 {
				return "", p
			}
			return hostPort(lit)
		}
	}
	a, b := literal(args[0]), literal(args[1])
	if portFirst {
		a, b = b, a
	}
	if p := portNumber(b); p != 0 {
		return a, p
	}
	if p := portNumber(a); p != 0 {
		return "", p
	}
	return a, 0
}

// scanCode dispatches to the language's scanner.
func scanCode(l lang, code string) codeFacts {
	var c codeFacts
	switch l {
	case langPython:
		scanPython(&c, code)
	case langPerl:
		scanPerl(&c, code)
	case langRuby:
		scanRuby(&c, code)
	case langPHP:
		scanPHP(&c, code)
	case langJS, langJava:
		scanJS(&c, code)
	case langLua:
		scanLua(&c, code)
	case langAwk:
		scanAwk(&c, code)
	case langTcl:
		scanTcl(&c, code)
	case langPowerShell:
		scanPowerShell(&c, code)
	case langJulia:
		scanJulia(&c, code)
	case langR:
		scanR(&c, code)
	case langGo:
		scanGo(&c, code)
	case langC:
		scanC(&c, code)
	case langAppleScript:
		// do shell script "nc -l 4444"
		c.quotedCommands(code, []string{"do shell script"}, false)
	}
	return c
}

func scanPython(c *codeFacts, code string) {
	sock := has(code, "socket")
	if sock && has(code, ".connect(|create_connection(|connect_ex(") {
		c.connect = true
		c.note("socket connect")
		if args, ok := firstCall(code, ".connect(|create_connection(|connect_ex("); ok {
			c.host, c.port = hostPortArgs(args, false)
		}
	}
	// A web framework's app started from code (Flask(__name__).run(),
	// bottle.run(), waitress.serve(app)), a multiprocessing Listener.
	framework := has(code, "flask|Flask|bottle|waitress|tornado|cherrypy|pywsgi|sanic|Sanic|hypercorn|falcon|pyramid|werkzeug|gradio|streamlit") &&
		has(code, ".run(|run(host|serve(|.listen(|quickstart(|launch(|run_simple(")
	if framework || has(code, "multiprocessing") && has(code, "Listener(") ||
		has(code, "TCPServer(|UDPServer(|HTTPServer(|ThreadingTCPServer|ThreadingHTTPServer|ForkingTCPServer|serve_forever|make_server(|start_server(|create_server(|web.run_app(|uvicorn.run(|SimpleXMLRPCServer(|http.server|SimpleHTTPServer|asyncio.start_server|aiohttp.web|app.run(") {
		c.listen = true
		c.note("server")
		if args, ok := firstCall(code, "Server((|Server( (|make_server(|start_server(|create_server(|uvicorn.run(|app.run("); ok {
			h, p := hostPortArgs(args, false)
			if t := tupleArgs(firstArg(args)); t == nil && p == 0 {
				p = portFromKeyword(args, "port")
				h = literal(keywordArg(args, "host"))
			}
			c.host, c.port = h, p
		}
		if c.port == 0 && has(code, "http.server|SimpleHTTPServer") && !has(code, "Server((") {
			c.port = 8000
		}
	}
	if sock && has(code, ".bind(") {
		args, _ := firstCall(code, ".bind(")
		h, p := hostPortArgs(args, false)
		if has(code, ".listen(|.accept(") {
			c.listen = true
			c.note("socket bind and listen")
			if p != 0 || c.port == 0 {
				c.host, c.port = h, p
			}
		} else if !c.listen {
			c.bindOnly = true
			c.host, c.port = h, p
		}
	}
	if has(code, "urlopen(|urlretrieve(|requests.|http.client|httpx.|urllib3|ftplib|smtplib|paramiko|telnetlib|HTTPConnection(|HTTPSConnection(") {
		c.fetch = true
		c.url = firstURL(code)
		c.note("network request")
	}
	if has(code, "dup2(") {
		c.stdio = true
		c.note("os.dup2")
	}
	if has(code, "stdin=") && has(code, "fileno") {
		c.stdio = true
		c.note("socket as stdin")
	}
	if has(code, "pty.spawn|\"pty\"|'pty'") {
		c.pty = true
		c.note("pty.spawn")
	}
	if has(code, "subprocess|os.system(|os.popen(|os.exec|Popen(|pty.spawn(|spawnl|/bin/sh|/bin/bash|.call(") {
		c.exec = true
		c.note("runs a command")
	}
	if has(code, "exec(|eval(|compile(|__builtins__") {
		c.eval = true
	}
	if has(code, "b64decode|base64|decodebytes|a85decode|b32decode|zlib|marshal.loads|codecs.decode|rot13|rot_13|fromhex|unhexlify|decompress|pickle.loads") {
		c.decode = true
		c.note("decodes a payload")
	}
	for _, call := range []string{"os.system(", "os.popen(", "subprocess.call(", "subprocess.run(", "subprocess.Popen(", "subprocess.check_output(", "subprocess.check_call(", "subprocess.getoutput(", "subprocess.getstatusoutput(", "pty.spawn(", "asyncio.create_subprocess_shell("} {
		c.commandsOf(code, call)
	}
	// os.execvp(FILE, [ARGV0, ARGS...]), os.execlp(FILE, ARGV0, ARGS...).
	for _, call := range []string{"os.execv(", "os.execvp(", "os.execve(", "os.execvpe(", "os.spawnv(", "os.spawnvp(", "os.posix_spawn(", "os.posix_spawnp("} {
		c.argvOf(code, call, 1, true)
	}
	for _, call := range []string{"os.execl(", "os.execlp(", "os.execle(", "os.execlpe("} {
		c.argvOf(code, call, 1, false)
	}
	c.argvOf(code, "asyncio.create_subprocess_exec(", 0, false)
}

// argvOf records the command of every call of fn whose arguments from
// index from on are literal words: as one list (list) or as separate
// arguments. The first word is the program.
func (c *codeFacts) argvOf(code, fn string, from int, list bool) {
	c.eachCall(code, fn, true, func(args []string) {
		if len(args) <= from {
			return
		}
		words := args[from:]
		if list {
			words = tupleArgs(args[from])
		}
		if argv := literalArgv(words); len(argv) > 0 {
			c.commands = append(c.commands, shellJoin(argv))
		}
	})
}

// eachCall calls each with the arguments of every call of fn in code
// (at most maxCalls), until eight commands are recorded. With wholeName, an
// fn preceded by an identifier character is another name (myos.execv( is
// not os.execv() and skipped.
func (c *codeFacts) eachCall(code, fn string, wholeName bool, each func(args []string)) {
	for i, n := 0, 0; i < len(code) && len(c.commands) < 8 && n < maxCalls; n++ {
		j := strings.Index(code[i:], fn)
		if j < 0 {
			return
		}
		at := i + j + len(fn)
		i = at
		if wholeName && at > len(fn) && isIdent(code[at-len(fn)-1]) {
			continue
		}
		each(callArgs(code, at))
	}
}

// literalArgv is words as an argv when every one is a plain literal (no
// variable or command substitution), else nil.
func literalArgv(words []string) []string {
	argv := make([]string, 0, len(words))
	for _, w := range words {
		lit := literal(w)
		if lit == "" || strings.ContainsAny(lit, "$`") {
			return nil
		}
		argv = append(argv, lit)
	}
	return argv
}

// quotedCommands records the literal command of each bare call spelled
// KEYWORD "TEXT" (Perl and Ruby allow calls without parentheses: exec "sh")
// and, when backticks is set, of each `TEXT` and qx/%x quote.
func (c *codeFacts) quotedCommands(code string, keywords []string, backticks bool) {
	add := func(s string) {
		if s != "" && !strings.ContainsAny(s, "$`#@") && len(c.commands) < 8 {
			c.commands = append(c.commands, s)
		}
	}
	for _, kw := range keywords {
		for i, n := 0, 0; i < len(code) && n < maxCalls; n++ {
			j := strings.Index(code[i:], kw)
			if j < 0 {
				break
			}
			at := i + j
			i = at + len(kw)
			if at > 0 && (isIdent(code[at-1]) || code[at-1] == '.' || code[at-1] == ':') {
				continue
			}
			k := i
			for k < len(code) && (code[k] == ' ' || code[k] == '\t') {
				k++
			}
			if k == i || k >= len(code) || (code[k] != '"' && code[k] != '\'') {
				continue
			}
			if end := strings.IndexByte(code[k+1:], code[k]); end > 0 {
				// exec "nc", "-l", "4444": a list of literal words is an argv.
				argv := []string{code[k+1 : k+1+end]}
				for m := k + 1 + end + 1; ; {
					for m < len(code) && (code[m] == ' ' || code[m] == '\t') {
						m++
					}
					if m >= len(code) || code[m] != ',' {
						break
					}
					m++
					for m < len(code) && (code[m] == ' ' || code[m] == '\t') {
						m++
					}
					if m >= len(code) || (code[m] != '"' && code[m] != '\'') {
						argv = nil
						break
					}
					e := strings.IndexByte(code[m+1:], code[m])
					if e < 0 {
						argv = nil
						break
					}
					argv = append(argv, code[m+1:m+1+e])
					m += e + 2
				}
				switch {
				case len(argv) > 1:
					add(shellJoin(argv))
				case len(argv) == 1:
					add(argv[0])
				}
			}
		}
	}
	if !backticks {
		return
	}
	for i, n := 0, 0; i < len(code) && n < maxCalls; n++ {
		j := strings.IndexByte(code[i:], '`')
		if j < 0 {
			break
		}
		start := i + j + 1
		end := strings.IndexByte(code[start:], '`')
		if end < 0 {
			break
		}
		add(code[start : start+end])
		i = start + end + 1
	}
	for _, q := range []string{"qx{", "qx(", "qx/", "%x{", "%x(", "%x["} {
		closer := map[byte]byte{'{': '}', '(': ')', '/': '/', '[': ']'}[q[2]]
		for i, n := 0, 0; i < len(code) && n < maxCalls; n++ {
			j := strings.Index(code[i:], q)
			if j < 0 {
				break
			}
			start := i + j + len(q)
			end := strings.IndexByte(code[start:], closer)
			if end < 0 {
				break
			}
			add(code[start : start+end])
			i = start + end + 1
		}
	}
}

func firstArg(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return args[0]
}

// keywordArg returns the value of name=value among call arguments.
func keywordArg(args []string, name string) string {
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if ok && strings.TrimSpace(k) == name {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func portFromKeyword(args []string, name string) int {
	return portNumber(literal(keywordArg(args, name)))
}

// commandsOf records the literal command string passed to every call of fn
// (a string, or a list of strings joined with spaces).
func (c *codeFacts) commandsOf(code, fn string) {
	c.eachCall(code, fn, false, func(args []string) {
		if len(args) == 0 {
			return
		}
		if s := literal(args[0]); s != "" {
			// system("nc", "-l", "4444") (Perl, Ruby): several literal
			// arguments are the program and its arguments, not shell text.
			if len(args) > 1 {
				if argv := literalArgv(args); argv != nil {
					c.commands = append(c.commands, shellJoin(argv))
					return
				}
			}
			// $x in a code string is the language's own variable (PHP,
			// Perl, Ruby interpolation), not shell text: the shell package
			// would read it as a dynamic command.
			if !strings.ContainsAny(s, "$`") {
				c.commands = append(c.commands, s)
			}
		} else if t := tupleArgs(args[0]); t != nil {
			var words []string
			for _, w := range t {
				lit := literal(w)
				if lit == "" {
					return
				}
				words = append(words, lit)
			}
			if len(words) > 0 {
				c.commands = append(c.commands, shellJoin(words))
			}
		}
	})
}

// firstURL returns the first literal http(s)/ftp URL in code.
func firstURL(code string) string {
	best := -1
	for _, scheme := range []string{"http://", "https://", "ftp://"} {
		if i := strings.Index(code, scheme); i >= 0 && (best < 0 || i < best) {
			best = i
		}
	}
	if best < 0 {
		return ""
	}
	end := best
	for end < len(code) && !strings.ContainsRune(" \t\n'\"`)<>,;", rune(code[end])) {
		end++
	}
	return code[best:end]
}

func scanPerl(c *codeFacts, code string) {
	if has(code, "PeerAddr|PeerHost|PeerPort") || (has(code, "socket(|Socket") && has(code, "connect(")) {
		c.connect = true
		c.note("socket connect")
		c.host, c.port = perlPeer(code)
	}
	if has(code, "Listen|LocalPort|HTTP::Daemon|HTTP::Server|HTTP::Server::Simple|Mojolicious|Plack|IO::Socket::INET->new(LocalPort") || (has(code, "bind(") && has(code, "listen(")) {
		if !c.connect || has(code, "Listen") {
			c.listen = true
			c.note("server")
			c.port = portNumber(perlValue(code, "LocalPort"))
			c.host = perlValue(code, "LocalAddr")
		}
	}
	if has(code, "LWP::|HTTP::Tiny|Net::HTTP|File::Fetch|getstore(|Net::FTP|WWW::Mechanize|Net::SMTP") {
		c.fetch = true
		c.url = firstURL(code)
		c.note("network request")
	}
	if has(code, "exec|system|qx|`|/bin/sh|/bin/bash|popen|open(STDIN|open STDIN") {
		c.exec = true
		c.note("runs a command")
	}
	if has(code, "fdopen(|open(STDIN|open STDIN|open(STDOUT|open STDOUT|>&S|>&$|<&S") {
		c.stdio = true
		c.note("socket on stdio")
	}
	if has(code, "eval") {
		c.eval = true
	}
	if has(code, "decode_base64|MIME::Base64|unpack(|pack(|Compress::Zlib|uncompress|inflate") {
		c.decode = true
		c.note("decodes a payload")
	}
	c.commandsOf(code, "system(")
	c.commandsOf(code, "exec(")
	c.quotedCommands(code, []string{"system", "exec"}, true)
}

// perlPeer reads PeerAddr => "h:p" (or PeerAddr,"h:p") and PeerPort.
func perlPeer(code string) (string, int) {
	addr := perlValue(code, "PeerAddr")
	if addr == "" {
		addr = perlValue(code, "PeerHost")
	}
	h, p := hostPort(addr)
	if pp := portNumber(perlValue(code, "PeerPort")); pp != 0 {
		p = pp
	}
	return h, p
}

// perlValue reads the literal after Key => or Key, in a Perl hash list.
func perlValue(code, key string) string {
	i := strings.Index(code, key)
	if i < 0 {
		return ""
	}
	rest := strings.TrimLeft(code[i+len(key):], " \t'\"")
	rest = strings.TrimPrefix(rest, "=>")
	rest = strings.TrimPrefix(rest, ",")
	rest = strings.TrimLeft(rest, " \t")
	if rest == "" {
		return ""
	}
	if q := rest[0]; q == '"' || q == '\'' {
		if end := strings.IndexByte(rest[1:], q); end >= 0 {
			return rest[1 : 1+end]
		}
		return ""
	}
	end := 0
	for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
		end++
	}
	return rest[:end]
}

func scanRuby(c *codeFacts, code string) {
	if has(code, "TCPSocket.new|TCPSocket.open|Socket.tcp(|TCPSocket.new(|UDPSocket") && !has(code, "TCPServer") {
		c.connect = true
		c.note("TCPSocket")
		if args, ok := firstCall(code, "TCPSocket.new|TCPSocket.open|Socket.tcp("); ok {
			c.host, c.port = hostPortArgs(args, false)
		}
	}
	if has(code, "TCPServer|WEBrick|tcp_server_loop|Rack::Handler|HTTPServer|Puma::Server|Thin::Server|Sinatra|run!|UNIXServer:never") {
		c.listen = true
		c.note("server")
		if args, ok := firstCall(code, "TCPServer.new|TCPServer.open"); ok {
			c.host, c.port = hostPortArgs(args, false)
		}
		if c.port == 0 {
			c.port = portNumber(rubyPort(code))
		}
	}
	if has(code, "Net::HTTP|open-uri|URI.open|OpenURI|HTTParty|Faraday|RestClient|Net::FTP|open(\"http|open('http") {
		c.fetch = true
		c.url = firstURL(code)
		c.note("network request")
	}
	if has(code, "exec|system|spawn|IO.popen|`|%x|Open3|/bin/sh|/bin/bash") {
		c.exec = true
		c.note("runs a command")
	}
	if has(code, "reopen|:in=>|:in =>|in:|[:in,") {
		c.stdio = true
		c.note("socket on stdio")
	}
	if has(code, "eval|instance_eval|class_eval") {
		c.eval = true
	}
	if has(code, "Base64|decode64|unpack|Zlib|Marshal.load") {
		c.decode = true
		c.note("decodes a payload")
	}
	c.commandsOf(code, "system(")
	c.commandsOf(code, "exec(")
	c.commandsOf(code, "spawn(")
	c.commandsOf(code, "IO.popen(")
	c.quotedCommands(code, []string{"system", "exec", "spawn"}, true)
}

// rubyPort reads :Port => N or Port: N (WEBrick options).
func rubyPort(code string) string {
	for _, k := range []string{":Port =>", ":Port=>", "Port:", "port:"} {
		if i := strings.Index(code, k); i >= 0 {
			rest := strings.TrimLeft(code[i+len(k):], " \t")
			end := 0
			for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
				end++
			}
			return rest[:end]
		}
	}
	return ""
}

func scanPHP(c *codeFacts, code string) {
	if has(code, "fsockopen(|pfsockopen(|stream_socket_client(|socket_connect(") {
		c.connect = true
		c.note("socket connect")
		if args, ok := firstCall(code, "fsockopen(|pfsockopen("); ok {
			c.host, c.port = hostPortArgs(args, false)
		} else if args, ok := firstCall(code, "stream_socket_client("); ok && len(args) > 0 {
			c.host, c.port = urlHost(literal(args[0]))
		}
	}
	if has(code, "stream_socket_server(|socket_bind(|socket_listen(|socket_create_listen(") {
		c.listen = true
		c.note("server")
		if args, ok := firstCall(code, "stream_socket_server("); ok && len(args) > 0 {
			c.host, c.port = urlHost(literal(args[0]))
		} else if args, ok := firstCall(code, "socket_create_listen("); ok && len(args) > 0 {
			c.port = portNumber(literal(args[0]))
		}
	}
	if has(code, "curl_init|curl_exec|get_headers(") || hasHTTPLiteralCall(code, "file_get_contents(|fopen(|copy(|file(|readfile(") {
		c.fetch = true
		c.url = firstURL(code)
		c.note("network request")
	}
	if has(code, "exec(|system(|shell_exec(|passthru(|popen(|proc_open(|pcntl_exec(|`|/bin/sh") {
		c.exec = true
		c.note("runs a command")
	}
	if has(code, "<&3|>&3|<&4|>&4|$sock") && c.connect {
		c.stdio = true
		c.note("socket on stdio")
	}
	if has(code, "eval(|assert(|create_function(|preg_replace") {
		c.eval = true
	}
	if has(code, "base64_decode|gzinflate|gzuncompress|gzdecode|str_rot13|hex2bin|convert_uudecode") {
		c.decode = true
		c.note("decodes a payload")
	}
	for _, fn := range []string{"system(", "exec(", "shell_exec(", "passthru(", "popen(", "proc_open("} {
		c.commandsOf(code, fn)
	}
	c.quotedCommands(code, nil, true)
}

// hasHTTPLiteralCall reports whether one of the calls takes an http(s) or
// ftp URL literal (file_get_contents("http://...")).
func hasHTTPLiteralCall(code, calls string) bool {
	found := false
	eachCall(code, calls, func(args []string) bool {
		if len(args) > 0 {
			s := literal(args[0])
			if strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "ftp://") {
				found = true
				return true
			}
		}
		return false
	})
	return found
}

func eachCall(code, names string, fn func(args []string) bool) {
	for names != "" {
		var n string
		n, names, _ = strings.Cut(names, "|")
		for i, k := 0, 0; i < len(code) && k < maxCalls; k++ {
			j := strings.Index(code[i:], n)
			if j < 0 {
				break
			}
			at := i + j + len(n)
			if fn(callArgs(code, at)) {
				return
			}
			i = at
		}
	}
}

func scanJS(c *codeFacts, code string) {
	net := has(code, "require(\"net\")|require('net')|require(`net`)|from \"net\"|from 'net'|\"node:net\"|'node:net'|net.|require(\"tls\")|require('tls')|tls.connect|dgram")
	javaNet := has(code, "java.net.Socket|Java.type(\"java.net.Socket\")|Java.type('java.net.Socket')|new Socket(|Socket(")
	if (net && has(code, ".connect(|createConnection(|new net.Socket|Socket()")) || has(code, "Deno.connect(|Bun.connect(|Deno.connectTls(") || (javaNet && !has(code, "ServerSocket")) {
		c.connect = true
		c.note("socket connect")
		if args, ok := firstCall(code, "net.connect(|createConnection(|.connect(|tls.connect("); ok {
			c.host, c.port = hostPortArgs(args, true)
		}
		if args, ok := firstCall(code, "new java.net.Socket(|new Socket("); ok {
			c.host, c.port = hostPortArgs(args, false)
		}
		if args, ok := firstCall(code, "Deno.connect(|Bun.connect("); ok && len(args) > 0 {
			c.host = literal(objectField(args[0], "hostname"))
			c.port = portNumber(objectField(args[0], "port"))
		}
	}
	if has(code, "createServer(|.listen(|Deno.listen(|Deno.serve(|Bun.serve(|Bun.listen(|ServerSocket(|HttpServer.create(") {
		c.listen = true
		c.note("server")
		if args, ok := firstCall(code, ".listen("); ok && len(args) > 0 {
			if p := portNumber(literal(args[0])); p != 0 {
				c.port = p
				if len(args) > 1 {
					if h := literal(args[1]); h != "" && portNumber(h) == 0 {
						c.host = h
					}
				}
			} else if p := portNumber(objectField(args[0], "port")); p != 0 {
				c.port = p
			}
		}
		if c.port == 0 {
			if args, ok := firstCall(code, "Deno.listen(|Deno.serve(|Bun.serve(|Bun.listen("); ok && len(args) > 0 {
				c.port = portNumber(objectField(args[0], "port"))
			}
			if args, ok := firstCall(code, "ServerSocket("); ok && len(args) > 0 {
				c.port = portNumber(literal(args[0]))
			}
		}
		if c.connect && !has(code, ".listen(|createServer(|ServerSocket(") {
			c.listen = false
		}
	}
	if has(code, "http.get(|https.get(|http.request(|https.request(|fetch(|axios|XMLHttpRequest|got(|java.net.URL|new URL(|Channels.newChannel|cp(\"http|cp('http|readUrl(") {
		c.fetch = true
		c.url = firstURL(code)
		c.note("network request")
	}
	if has(code, "child_process|execSync(|spawnSync(|execFile|Deno.run(|Deno.Command(|Bun.spawn(|ProcessBuilder|Runtime.getRuntime|/bin/sh|/bin/bash|cmd.exe|exec(") {
		c.exec = true
		c.note("runs a command")
	}
	if has(code, ".pipe(|getInputStream|getOutputStream|stdio:") {
		c.stdio = true
		c.note("stream piping")
	}
	if has(code, "eval(|Function(|vm.runIn|new Function|setTimeout(\"|setTimeout('") {
		c.eval = true
	}
	if has(code, "atob(|base64|Buffer.from(|fromCharCode|unescape(|zlib|decodeURIComponent(") {
		c.decode = true
		c.note("decodes a payload")
	}
	for _, fn := range []string{"execSync(", ".exec(", "exec(", "spawn(", "execFile("} {
		c.commandsOf(code, fn)
	}
	// spawn("nc", ["-l", "4444"]): the program and its argument list.
	for _, fn := range []string{"spawn(", "spawnSync(", "execFile(", "execFileSync("} {
		c.jsArgv(code, fn)
	}
}

// jsArgv records spawn(PROGRAM, [ARGS...]) calls with literal words.
func (c *codeFacts) jsArgv(code, fn string) {
	c.eachCall(code, fn, false, func(args []string) {
		if len(args) < 2 {
			return
		}
		if list := tupleArgs(args[1]); list != nil {
			if argv := literalArgv(append([]string{args[0]}, list...)); len(argv) > 1 {
				c.commands = append(c.commands, shellJoin(argv))
			}
		}
	})
}

// objectField reads key: value from a JavaScript object literal argument.
func objectField(obj, key string) string {
	i := strings.Index(obj, key)
	if i < 0 {
		return ""
	}
	rest := strings.TrimLeft(obj[i+len(key):], " \t\"'")
	if !strings.HasPrefix(rest, ":") {
		return ""
	}
	rest = strings.TrimLeft(rest[1:], " \t")
	end := strings.IndexAny(rest, ",}")
	if end < 0 {
		end = len(rest)
	}
	v := strings.TrimSpace(rest[:end])
	if l := literal(v); l != "" {
		return l
	}
	return v
}

func scanLua(c *codeFacts, code string) {
	sock := has(code, "socket")
	if sock && has(code, ":connect(|.connect(|socket.connect(") {
		c.connect = true
		c.note("socket connect")
		if args, ok := firstCall(code, ":connect(|socket.connect(|.connect("); ok {
			c.host, c.port = hostPortArgs(args, false)
		}
	}
	if sock && has(code, ".bind(|:bind(|:listen(") {
		c.listen = true
		c.note("socket bind")
		if args, ok := firstCall(code, ".bind(|:bind("); ok {
			c.host, c.port = hostPortArgs(args, false)
		}
		if c.connect && !has(code, "accept") {
			c.listen = false
		}
	}
	if has(code, "socket.http|http.request(|ltn12|socket.ftp|http.get(") {
		c.fetch = true
		c.url = firstURL(code)
		c.note("network request")
	}
	if has(code, "io.popen(|os.execute(|/bin/sh|/bin/bash") {
		c.exec = true
		c.note("runs a command")
	}
	if has(code, "load(|loadstring(|dofile(") {
		c.eval = true
	}
	if has(code, "b64|base64|from_hex|unhex") {
		c.decode = true
		c.note("decodes a payload")
	}
	c.commandsOf(code, "os.execute(")
	c.commandsOf(code, "io.popen(")
}

// scanAwk reads gawk's special files /inet/tcp/LPORT/RHOST/RPORT: a local
// port with remote 0/0 listens, a remote host connects; a coprocess or
// system() fed from the socket runs commands.
func scanAwk(c *codeFacts, code string) {
	for _, proto := range []string{"/inet/tcp/", "/inet4/tcp/", "/inet6/tcp/", "/inet/udp/", "/inet4/udp/", "/inet6/udp/"} {
		i := strings.Index(code, proto)
		if i < 0 {
			continue
		}
		rest := code[i+len(proto):]
		end := strings.IndexAny(rest, "\"' \t\n")
		lit := rest
		if end >= 0 {
			lit = rest[:end]
		}
		parts := strings.Split(lit, "/")
		listenish := strings.Contains(rest, "/0/0\"") || strings.Contains(rest, "/0/0'") || (len(parts) == 3 && parts[1] == "0" && parts[2] == "0")
		if listenish && !(len(parts) >= 1 && parts[0] == "0") {
			c.listen = true
			c.note("gawk /inet listening socket")
			if len(parts) >= 1 {
				c.port = portNumber(parts[0])
			}
		} else {
			c.connect = true
			c.note("gawk /inet socket")
			if len(parts) == 3 {
				c.host, c.port = parts[1], portNumber(parts[2])
			}
		}
		break
	}
	if !c.connect && !c.listen {
		c.commandsOf(code, "system(")
		c.awkPipes(code)
		return
	}
	sockVar := ""
	if i := strings.Index(code, "\"/inet"); i > 0 {
		before := strings.TrimRight(code[:i], " \t=")
		j := len(before)
		for j > 0 && isIdent(before[j-1]) {
			j--
		}
		sockVar = before[j:]
	}
	for i := 0; i < len(code); {
		j := strings.Index(code[i:], "|&")
		if j < 0 {
			break
		}
		at := i + j
		after := strings.TrimLeft(code[at+2:], " \t")
		if strings.HasPrefix(after, "getline") {
			before := strings.TrimRight(code[:at], " \t(")
			k := len(before)
			for k > 0 && isIdent(before[k-1]) {
				k--
			}
			if v := before[k:]; v != "" && v != sockVar && !strings.HasPrefix(strings.TrimSpace(code[:at]), "\"") {
				c.exec = true
				c.note("runs commands as coprocesses")
			}
		}
		i = at + 2
	}
	if has(code, "system(|| getline|\"sh\"|/bin/sh") {
		c.exec = true
		c.note("runs commands")
	}
}

// awkPipes records the literal commands awk pipes output into
// (print ... | "CMD") or reads from ("CMD" | getline).
func (c *codeFacts) awkPipes(code string) {
	add := func(s string) {
		if s != "" && !strings.ContainsAny(s, "$`") && len(c.commands) < 8 {
			c.exec = true
			c.commands = append(c.commands, s)
		}
	}
	for i, n := 0, 0; i < len(code) && n < maxCalls; n++ {
		j := strings.IndexByte(code[i:], '|')
		if j < 0 {
			return
		}
		at := i + j
		i = at + 1
		if at+1 < len(code) && (code[at+1] == '|' || code[at+1] == '&') || at > 0 && code[at-1] == '|' {
			continue // || and |& (a coprocess, read above)
		}
		after := strings.TrimLeft(code[at+1:], " \t")
		if strings.HasPrefix(after, "getline") {
			before := strings.TrimRight(code[:at], " \t")
			if strings.HasSuffix(before, `"`) {
				if k := strings.LastIndexByte(before[:len(before)-1], '"'); k >= 0 {
					add(before[k+1 : len(before)-1])
				}
			}
			continue
		}
		if strings.HasPrefix(after, `"`) {
			if end := strings.IndexByte(after[1:], '"'); end >= 0 {
				add(after[1 : 1+end])
			}
		}
	}
}

func isIdent(b byte) bool {
	return b == '_' || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9')
}

func scanTcl(c *codeFacts, code string) {
	if i := strings.Index(code, "socket -server"); i >= 0 {
		c.listen = true
		c.note("socket -server")
		f := strings.Fields(code[i+len("socket -server"):])
		if len(f) >= 2 {
			c.port = portNumber(strings.Trim(f[1], "];"))
		}
	} else if i := strings.Index(code, "socket "); i >= 0 {
		c.connect = true
		c.note("socket")
		f := strings.Fields(code[i+len("socket "):])
		if len(f) >= 2 {
			c.host, c.port = f[0], portNumber(strings.Trim(f[1], "];"))
		}
	}
	if has(code, "http::geturl") {
		c.fetch = true
		c.url = firstURL(code)
	}
	if has(code, "exec |exec\t|open \"||open {|eval |/bin/sh|spawn ") {
		c.exec = true
		c.note("runs commands")
	}
	c.tclCommands(code)
}

// tclCommands records the literal commands of Tcl's exec and Expect's
// spawn (argument words up to the end of the command) and of open "|CMD".
// Words with substitutions ($var, [cmd], {braces}) are not literal.
func (c *codeFacts) tclCommands(code string) {
	add := func(s string) {
		s = strings.TrimSpace(s)
		if s != "" && !strings.ContainsAny(s, "$[]{}\\`") && len(c.commands) < 8 {
			c.commands = append(c.commands, s)
		}
	}
	for _, kw := range []string{"exec", "spawn"} {
		for i, n := 0, 0; i < len(code) && n < maxCalls; n++ {
			j := strings.Index(code[i:], kw)
			if j < 0 {
				break
			}
			at := i + j
			i = at + len(kw)
			if at > 0 && !strings.ContainsRune(" \t\n;[{", rune(code[at-1])) || i >= len(code) || code[i] != ' ' && code[i] != '\t' {
				continue
			}
			end := strings.IndexAny(code[i:], ";\n]")
			text := code[i:]
			if end >= 0 {
				text = code[i : i+end]
			}
			// Options of exec and spawn come first (-ignorestderr, -noecho, --).
			fields := strings.Fields(text)
			for len(fields) > 0 && strings.HasPrefix(fields[0], "-") {
				fields = fields[1:]
			}
			add(strings.TrimSuffix(strings.Join(fields, " "), " &"))
		}
	}
	for _, q := range []string{`open "|`, `open {|`} {
		for i, n := 0, 0; i < len(code) && n < maxCalls; n++ {
			j := strings.Index(code[i:], q)
			if j < 0 {
				break
			}
			start := i + j + len(q)
			closer := byte('"')
			if q[5] == '{' {
				closer = '}'
			}
			end := strings.IndexByte(code[start:], closer)
			if end < 0 {
				break
			}
			add(code[start : start+end])
			i = start + end + 1
		}
	}
}

func scanPowerShell(c *codeFacts, code string) {
	lc := strings.ToLower(code)
	if has(lc, "sockets.tcpclient|tcpclient(|net.sockets.socket") {
		c.connect = true
		c.note("TCPClient")
		if args, ok := firstCall(lc, "tcpclient("); ok {
			c.host, c.port = hostPortArgs(args, false)
		}
	}
	if has(lc, "tcplistener|httplistener") {
		c.listen = true
		c.note("listener")
		if args, ok := firstCall(lc, "tcplistener("); ok && len(args) > 0 {
			c.port = portNumber(literal(args[len(args)-1]))
		}
	}
	if has(lc, "invoke-webrequest|iwr |iwr(|invoke-restmethod|irm |webclient|downloadstring|downloadfile|start-bitstransfer|net.http") {
		c.fetch = true
		c.url = firstURL(code)
		c.note("network request")
	}
	if has(lc, "iex|invoke-expression|cmd.exe|start-process|invoke-command|processstartinfo|powershell") {
		c.exec = true
		c.eval = has(lc, "iex|invoke-expression")
		c.note("runs commands")
	}
	if has(lc, "getstream") {
		c.stdio = true
	}
	if has(lc, "frombase64string|-enc|compression") {
		c.decode = true
		c.note("decodes a payload")
	}
}

func scanJulia(c *codeFacts, code string) {
	if has(code, "connect(") && has(code, "Sockets") {
		c.connect = true
		c.note("Sockets.connect")
		if args, ok := firstCall(code, "connect("); ok {
			c.host, c.port = hostPortArgs(args, false)
		}
	}
	if has(code, "listen(") && has(code, "Sockets") {
		c.listen = true
		c.note("Sockets.listen")
	}
	// HTTP.jl and Genie servers.
	if has(code, "HTTP.serve(|HTTP.serve!(|HTTP.listen(|HTTP.listen!(|Genie.up(") && has(code, "HTTP.|Genie") {
		c.listen = true
		c.note("HTTP server")
	}
	if has(code, "download(|HTTP.get|HTTP.request") {
		c.fetch = true
		c.url = firstURL(code)
	}
	if has(code, "run(|`|pipeline(") {
		c.exec = true
		c.note("runs commands")
		// Julia's `...` is a command literal: its words, not shell text.
		c.quotedCommands(code, nil, true)
	}
}

func scanR(c *codeFacts, code string) {
	if has(code, "socketConnection(|make.socket(") {
		if has(code, "server=TRUE|server = TRUE|server=T") {
			c.listen = true
			c.note("socketConnection(server=TRUE)")
		} else {
			c.connect = true
			c.note("socketConnection")
		}
	}
	// Shiny, plumber, httpuv and servr web servers.
	if has(code, "runApp(|shinyApp(|pr_run(|$run(|startServer(|runServer(|startDaemonizedServer(|httd(|httw(") {
		c.listen = true
		c.note("web server")
	}
	if has(code, "download.file(|url(|httr::|curl::") {
		c.fetch = true
		c.url = firstURL(code)
	}
	if has(code, "system(|system2(|pipe(") {
		c.exec = true
		c.note("runs commands")
		c.commandsOf(code, "system(")
		c.commandsOf(code, "pipe(")
		c.eachCall(code, "system2(", false, func(args []string) {
			c.r2Command(args)
		})
	}
}

// r2Command records system2(command, args) when the command and its args
// (one string or c("...", ...)) are literals.
func (c *codeFacts) r2Command(args []string) {
	if len(args) == 0 {
		return
	}
	prog := literal(args[0])
	if prog == "" || strings.ContainsAny(prog, "$`") {
		return
	}
	words := []string{prog}
	if len(args) > 1 {
		a := strings.TrimSpace(args[1])
		a = strings.TrimPrefix(a, "args")
		a = strings.TrimLeft(a, " =")
		if rest, ok := strings.CutPrefix(a, "c("); ok {
			argv := literalArgv(callArgs(rest, 0))
			if argv == nil {
				return
			}
			words = append(words, argv...)
		} else if lit := literal(a); lit != "" && !strings.ContainsAny(lit, "$`") {
			// A single string is pasted into the command line as is.
			c.commands = append(c.commands, prog+" "+lit)
			return
		} else if a != "" {
			return
		}
	}
	c.commands = append(c.commands, shellJoin(words))
}

func scanGo(c *codeFacts, code string) {
	if has(code, "net.Dial(|net.DialTCP(|net.DialTimeout(|syscall.Connect(|tls.Dial(") {
		c.connect = true
		c.note("socket connect")
		if args, ok := firstCall(code, "net.Dial(|net.DialTimeout(|tls.Dial("); ok && len(args) > 1 {
			c.host, c.port = hostPort(literal(args[1]))
		}
	}
	if has(code, "net.Listen(|net.ListenTCP(|net.ListenUDP(|ListenAndServe(|ListenAndServeTLS(|syscall.Listen(|http.Serve(") {
		c.listen = true
		c.note("listener")
		if args, ok := firstCall(code, "net.Listen(|ListenAndServe("); ok && len(args) > 0 {
			a := args[0]
			if strings.HasPrefix(strings.TrimSpace(a), "\"tcp") && len(args) > 1 {
				a = args[1]
			}
			c.host, c.port = hostPort(literal(a))
		}
		if c.port == 0 {
			c.port = portNumber(objectField(code, "Port"))
		}
	}
	if has(code, "http.Get(|http.Post(|http.NewRequest(|http.Client") {
		c.fetch = true
		c.url = firstURL(code)
	}
	if has(code, "exec.Command(|syscall.Exec(|os.StartProcess(|/bin/sh") {
		c.exec = true
		c.note("runs a command")
	}
	if has(code, "syscall.Dup2(|syscall.Dup3(|unix.Dup2(|.Stdin = |.Stdout = |.Stdin=|.Stdout=") {
		c.stdio = true
		c.note("socket on stdio")
	}
}

func scanC(c *codeFacts, code string) {
	if !has(code, "socket(") {
		return
	}
	if has(code, "connect(") {
		c.connect = true
		c.note("socket connect")
		if args, ok := firstCall(code, "inet_addr("); ok && len(args) > 0 {
			c.host = literal(args[0])
		}
		if args, ok := firstCall(code, "htons("); ok && len(args) > 0 {
			c.port = portNumber(literal(args[0]))
		}
	}
	if has(code, "bind(") && has(code, "listen(") {
		c.listen = true
		c.note("bind and listen")
	}
	if has(code, "dup2(") {
		c.stdio = true
		c.note("dup2")
	}
	if has(code, "execve(|execl(|execlp(|execv(|system(|popen(|/bin/sh") {
		c.exec = true
		c.note("runs a command")
	}
}
