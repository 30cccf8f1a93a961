package catalog

import (
	"strconv"
	"strings"

	"github.com/safeclaw/safeclaw/action"
)

// ---- netcat and relatives ----

// netcat reads nc, ncat, netcat, pwncat, cryptcat, sbd: -l listens, -e/-c
// (--exec, --sh-exec, --lua-exec) hands the connection a program, and
// otherwise HOST PORT connects.
func (f *finder) netcat(prog string, args []string) {
	if wantsHelp(args) && !hasOpt(args, "-l") {
		return
	}
	if prog == "rcat" || prog == "rustcat" {
		f.rustcat(prog, args)
		return
	}
	valued := "-p -s -e -c -w -i -I -O -q -T -X -x -b -g -G -m -M -V -P -o -d -a --exec --sh-exec --lua-exec --source-port --source --proxy --proxy-type --proxy-auth --proxy-dns --wait --idle-timeout --allow --allowfile --deny --denyfile --max-conns --output --hex-dump --ssl-cert --ssl-key --ssl-trustfile --ssl-ciphers --ssl-servername --ssl-alpn --delay --append-output:never"
	execOpts := "-e -c --exec --sh-exec --lua-exec"
	switch prog {
	case "cryptcat", "sbd":
		valued += " -k"
	}
	if prog == "sbd" {
		execOpts = "-e"
	}
	if prog == "gs-netcat" {
		f.gsNetcat(prog, args)
		return
	}
	listening := hasOpt(args, "-l") || hasOpt(args, "-L") || inWords(args, "--listen") || inWords(args, "--broker") || inWords(args, "--chat")
	unix := hasOpt(args, "-U") || inWords(args, "--unixsock")
	execVal, exec := "", false
	eachName(execOpts, func(n string) bool {
		if v, ok := optValue(args, n); ok {
			execVal, exec = v, true
			return true
		}
		return false
	})
	pos := positionals(args, valued)
	if unix {
		// A unix-domain socket is not a network endpoint; only an exec
		// still matters to the shell, which the core sees if piped.
		return
	}
	port := 0
	if v, ok := optValue(args, "-p --source-port"); ok {
		port = portNumber(v)
	}
	if listening {
		host := ""
		if v, ok := optValue(args, "-s --source"); ok {
			host = v
		}
		for i := len(pos) - 1; i >= 0; i-- {
			if n := portNumber(pos[i]); n != 0 {
				if port == 0 {
					port = n
				}
				if i > 0 && host == "" && looksLikeHost(pos[i-1]) {
					host = pos[i-1]
				}
				break
			}
		}
		f.listen(prog, host, port, portDetail(prog+" -l (listens)", port, port != 0))
		if exec {
			f.remote(prog, host, port, prog+" -l with "+execOpt(args, execOpts)+" "+execVal+": serves a program (a bind shell) to whoever connects")
			f.scriptText(execVal, prog+" exec")
		}
		return
	}
	host, rport := "", 0
	if len(pos) > 0 {
		host = pos[0]
		if len(pos) > 1 {
			rport = portNumber(pos[1])
		}
	}
	if host == "" && !exec {
		return
	}
	what := prog + " connects"
	if hasOpt(args, "-z") {
		what = prog + " -z scans ports"
	}
	f.connect(prog, host, rport, "", what)
	if exec {
		f.remote(prog, host, rport, prog+" "+execOpt(args, execOpts)+" "+execVal+": hands a program (a reverse shell) to the remote side")
		f.scriptText(execVal, prog+" exec")
	}
}

func execOpt(args []string, names string) string {
	var found string
	eachName(names, func(n string) bool {
		if hasOpt(args, n) {
			found = n
			return true
		}
		return false
	})
	return found
}

func inWords(args []string, w string) bool {
	for _, a := range args {
		if a == w || strings.HasPrefix(a, w+"=") {
			return true
		}
		if a == "--" {
			return false
		}
	}
	return false
}

// rustcat: rcat listen [-ib] PORT, rcat connect -s SHELL HOST PORT.
func (f *finder) rustcat(prog string, args []string) {
	pos := positionals(args, "-s --shell -e")
	if len(pos) == 0 {
		return
	}
	shell, hasShell := optValue(args, "-s --shell")
	switch pos[0] {
	case "listen", "l":
		port := 0
		if len(pos) > 1 {
			port = portNumber(pos[len(pos)-1])
		}
		f.listen(prog, "", port, portDetail(prog+" listen", port, port != 0))
		if hasShell || hasOpt(args, "-i") && hasOpt(args, "-e") {
			f.remote(prog, "", port, prog+" listen with a shell ("+shell+")")
		}
	case "connect", "c":
		host, port := "", 0
		if len(pos) > 1 {
			host = pos[1]
		}
		if len(pos) > 2 {
			port = portNumber(pos[2])
		}
		f.connect(prog, host, port, "", prog+" connect")
		if hasShell {
			f.remote(prog, host, port, prog+" connect -s "+shell+": a reverse shell")
		}
	}
}

// gsNetcat: gs-netcat -l listens through the relay, -i gives an
// interactive shell, -d/-p forward ports.
func (f *finder) gsNetcat(prog string, args []string) {
	if hasOpt(args, "-l") {
		f.listen(prog, "", 0, "gs-netcat -l (reachable through the gsocket relay)")
	}
	if hasOpt(args, "-i") {
		f.remote(prog, "", 0, "gs-netcat -i: an interactive shell over the gsocket relay")
	}
	if hasOpt(args, "-d") || hasOpt(args, "-p") || hasOpt(args, "-S") {
		f.tunnel(prog, "", 0, "gs-netcat port forwarding or SOCKS over the gsocket relay")
	}
	if !hasOpt(args, "-l") {
		f.connect(prog, "", 0, "", "gs-netcat connects to the gsocket relay")
	}
}

// ---- socat ----

type socatAddr struct {
	kind string // "listen", "bind", "connect", "exec", "tun", "local"
	host string
	port int
	body string // the command of EXEC/SYSTEM
}

func (f *finder) socat(prog string, args []string) {
	if wantsHelp(args) || hasAnyOpt(args, "-V -hh -hhh") {
		return
	}
	var addrs []socatAddr
	for i := 0; i < len(args); i++ {
		w := args[i]
		if w == "--" {
			continue
		}
		if strings.HasPrefix(w, "-") && w != "-" {
			if inList("-b -t -T -L -W -lf -lp -r -R -S -I", w) {
				i++
			}
			continue
		}
		addrs = append(addrs, parseSocatAddr(w))
	}
	var listens, connects, execs, tuns int
	for _, a := range addrs {
		switch a.kind {
		case "listen":
			listens++
			d := portDetail("socat "+strings.ToUpper(a.body)+" address (listens)", a.port, a.port != 0)
			f.listen(prog, a.host, a.port, d)
		case "bind":
			listens++
			f.bind(prog, a.host, a.port, portDetail("socat "+strings.ToUpper(a.body)+" address (binds a port)", a.port, a.port != 0))
		case "connect":
			connects++
			f.connect(prog, a.host, a.port, "", "socat connects")
		case "exec":
			execs++
		case "tun":
			tuns++
		}
	}
	network := listens + connects
	if execs > 0 && network > 0 {
		for _, a := range addrs {
			if a.kind == "exec" {
				what := "socat wires a program (" + a.body + ") to a network peer: "
				if listens > 0 {
					what += "a bind shell"
				} else {
					what += "a reverse shell"
				}
				f.remote(prog, "", 0, what)
			}
		}
	}
	// The program an EXEC or SYSTEM address runs is a command of its own,
	// network or not (socat stdio exec:CMD).
	for _, a := range addrs {
		if a.kind == "exec" {
			f.scriptText(a.body, "socat EXEC")
		}
	}
	if network >= 2 || (tuns > 0 && network > 0) {
		f.tunnel(prog, "", 0, "socat relays between two network endpoints")
	}
}

// parseSocatAddr classifies one socat address ("TCP-LISTEN:8080,fork").
func parseSocatAddr(w string) socatAddr {
	head, opts, _ := strings.Cut(w, ",")
	typ, params, _ := strings.Cut(head, ":")
	t := strings.ToUpper(typ)
	if params == "" && strings.Contains(w, ":") {
		// The comma came first only because the address has no params.
		typ, params, _ = strings.Cut(w, ":")
		t = strings.ToUpper(typ)
	}
	bindHost := ""
	for _, o := range strings.Split(opts, ",") {
		if k, v, ok := strings.Cut(o, "="); ok && strings.EqualFold(k, "bind") {
			bindHost, _ = hostPort(v)
		}
	}
	switch {
	case t == "EXEC" || t == "SYSTEM" || t == "SHELL":
		body := params
		if t == "EXEC" {
			// EXEC's options follow the command after a comma.
			body, _, _ = strings.Cut(strings.TrimPrefix(w, typ+":"), ",")
		}
		return socatAddr{kind: "exec", body: unquote(body)}
	case strings.HasPrefix(t, "UNIX") || strings.HasPrefix(t, "ABSTRACT") || strings.HasPrefix(t, "LOCAL"):
		return socatAddr{kind: "local"}
	case t == "TUN":
		return socatAddr{kind: "tun"}
	case strings.HasSuffix(t, "-LISTEN") || strings.HasSuffix(t, "-L") || strings.Contains(t, "RECVFROM") || t == "TCP-L" || strings.HasSuffix(t, "LISTEN"):
		port := portNumber(firstField(params))
		return socatAddr{kind: "listen", host: bindHost, port: port, body: typ}
	case strings.HasSuffix(t, "-RECV"):
		port := portNumber(firstField(params))
		return socatAddr{kind: "bind", host: bindHost, port: port, body: typ}
	case isSocatConnect(t):
		parts := strings.Split(params, ":")
		a := socatAddr{kind: "connect", body: typ}
		if len(parts) >= 2 {
			a.host = parts[len(parts)-2]
			a.port = portNumber(parts[len(parts)-1])
		} else if len(parts) == 1 {
			a.host = parts[0]
		}
		return a
	}
	return socatAddr{kind: "local"}
}

func firstField(s string) string {
	s, _, _ = strings.Cut(s, ":")
	return s
}

func isSocatConnect(t string) bool {
	t = strings.TrimSuffix(strings.TrimSuffix(t, "-CONNECT"), "-SENDTO")
	t = strings.TrimSuffix(t, "-DATAGRAM")
	t = strings.TrimSuffix(strings.TrimSuffix(t, "-CLIENT"), "-DTLS")
	switch strings.TrimRight(t, "46") {
	case "TCP", "UDP", "UDPLITE", "SCTP", "DCCP", "OPENSSL", "SSL", "DTLS", "OPENSSL-DTLS", "SOCKS", "SOCKS4A", "SOCKS5", "PROXY", "IP", "VSOCK", "SOCKET":
		return true
	}
	return false
}

// socketProgram: the "socket" utility. -s serves, -p PROG runs a program
// on the connection.
func (f *finder) socketProgram(prog string, args []string) {
	pos := positionals(args, "-p -B")
	progVal, hasProg := optValue(args, "-p")
	if hasOpt(args, "-s") {
		port := 0
		if len(pos) > 0 {
			port = portNumber(pos[len(pos)-1])
		}
		f.listen(prog, "", port, portDetail("socket -s (listens)", port, port != 0))
		if hasProg {
			f.remote(prog, "", port, "socket -s -p "+progVal+": serves a program to whoever connects")
		}
		return
	}
	if len(pos) >= 2 {
		host, port := pos[0], portNumber(pos[1])
		f.connect(prog, host, port, "", "socket connects")
		if hasProg {
			f.remote(prog, host, port, "socket -p "+progVal+": hands a program to the remote side")
		}
	}
}

// ---- openssl, telnet, ztcp, xterm ----

func (f *finder) openssl(prog string, args []string) {
	pos := positionals(args, "")
	if len(pos) == 0 {
		return
	}
	switch pos[0] {
	case "s_server":
		port, host := 4433, ""
		given := false
		if v, ok := optValue(args, "-accept -port"); ok {
			h, p := hostPort(v)
			if p != 0 {
				port, given = p, true
			}
			host = h
		}
		f.listen(prog, host, port, portDetail("openssl s_server (TLS server)", port, given))
	case "s_client", "s_time":
		host, port := "localhost", 4433
		if v, ok := optValue(args, "-connect"); ok {
			host, port = hostPort(v)
		} else if v, ok := optValue(args, "-host"); ok {
			host = v
			if p, ok := optValue(args, "-port"); ok {
				port = portNumber(p)
			}
		}
		f.connect(prog, host, port, "", "openssl "+pos[0]+" connects")
	case "ocsp":
		if v, ok := optValue(args, "-port"); ok {
			p := portNumber(v)
			f.listen(prog, "", p, portDetail("openssl ocsp responder", p, true))
		} else if v, ok := optValue(args, "-url"); ok {
			h, p := urlHost(v)
			f.connect(prog, h, p, v, "openssl ocsp queries a responder")
		}
	}
}

func (f *finder) telnet(prog string, args []string) {
	pos := positionals(args, "-l -e -n -b -S -X")
	if len(pos) == 0 {
		return
	}
	host, port := pos[0], 23
	if len(pos) > 1 {
		port = portNumber(pos[1])
	}
	f.connect(prog, host, port, "", prog+" connects")
}

// ztcp is zsh's TCP builtin (zmodload zsh/net/tcp).
func (f *finder) ztcp(prog string, args []string) {
	if v, ok := optValue(args, "-l"); ok {
		p := portNumber(v)
		f.listen(prog, "", p, portDetail("zsh ztcp -l (listens)", p, true))
		return
	}
	if hasOpt(args, "-a") || hasOpt(args, "-c") {
		return
	}
	pos := positionals(args, "-d")
	if len(pos) > 0 {
		port := 0
		if len(pos) > 1 {
			port = portNumber(pos[1])
		}
		f.connect(prog, pos[0], port, "", "zsh ztcp connects")
	}
}

// xterm -display HOST:N opens a terminal (a shell) on another machine's
// X server.
func (f *finder) xterm(prog string, args []string) {
	d, ok := optValue(args, "-display -d --display")
	if !ok {
		return
	}
	host, _, _ := strings.Cut(d, ":")
	if host == "" || host == "localhost" || host == "127.0.0.1" || host == "unix" {
		return
	}
	f.remote(prog, host, 0, prog+" -display "+d+": a shell shown on a remote X server")
}

// ---- ssh and friends ----

// ssh reads ssh's options (clusters, attached values, -o forms): -L, -R,
// -D, -w and their -o spellings forward ports (network.tunnel); the
// destination is a connect.
func (f *finder) ssh(prog string, args []string) {
	if prog == "plink" {
		f.plink(prog, args)
		return
	}
	valued := "BbcDEeFIiJLlmOoPpQRSWw"
	if prog == "autossh" {
		valued += "M"
	}
	port := 0
	dest := ""
	var forwards []string
loop:
	for i := 0; i < len(args); i++ {
		w := args[i]
		if w == "--" {
			if i+1 < len(args) {
				dest = args[i+1]
			}
			break
		}
		if len(w) < 2 || w[0] != '-' {
			if dest != "" {
				break // the remote command
			}
			dest = w
			continue // OpenSSH reads options after the destination too
		}
		for j := 1; j < len(w); j++ {
			c := w[j]
			if strings.IndexByte(valued, c) < 0 {
				if c == 'V' {
					return // ssh -V prints the version
				}
				continue
			}
			val := w[j+1:]
			if val == "" && i+1 < len(args) {
				val = args[i+1]
				i++
			}
			switch c {
			case 'L', 'R', 'D', 'w':
				forwards = append(forwards, "-"+string(c)+" "+val)
			case 'p':
				port = portNumber(val)
			case 'o':
				if fw := sshOptionForward(val); fw != "" {
					forwards = append(forwards, fw)
				}
				k, v := sshOption(val)
				switch k {
				case "port":
					port = portNumber(v)
				case "proxyjump":
					f.sshJump(prog, v)
				}
			case 'J':
				f.sshJump(prog, val)
			case 'W':
				// The connection relays this command's stdio to another
				// host: a tunnel through the destination.
				h, p := hostPort(val)
				f.connect(prog, h, p, "", prog+" -W forwards stdio to "+val)
				f.tunnel(prog, h, p, prog+" -W "+val+": relays stdio through the ssh server to "+val)
			case 'F':
				// ssh -F FILE: the forwardings and commands its config sets
				// (any Host block: which one applies is not worked out).
				for _, line := range sshConfigLines(f.read(val)) {
					if fw := sshOptionForward(line); fw != "" {
						forwards = append(forwards, fw)
					}
					if k, v := sshOption(line); k == "proxyjump" {
						f.sshJump(prog, v)
					}
					if k, v := sshOption(line); (k == "proxycommand" || k == "localcommand") && v != "" && !strings.EqualFold(v, "none") {
						f.scriptText(v, prog+" -F "+val+" "+k)
					}
				}
			}
			continue loop
		}
	}
	host, p := sshHost(dest)
	if p != 0 && port == 0 {
		port = p
	}
	if host != "" {
		f.connect(prog, host, port, "", prog+" connects to "+host)
	}
	for _, fw := range forwards {
		f.sshForward(prog, fw, host)
	}
}

// sshJump records ssh -J / ProxyJump: the connection is relayed through
// each jump host to the destination, a tunnel as -W is.
func (f *finder) sshJump(prog, val string) {
	if val == "" || strings.EqualFold(val, "none") {
		return
	}
	for _, hop := range strings.Split(val, ",") {
		h, p := sshHost(hop)
		f.connect(prog, h, p, "", prog+" -J jump host")
		f.tunnel(prog, h, p, prog+" -J "+hop+": relays the connection through a jump host")
	}
}

// sshForward records one forwarding: "-L [bind:]port:host:hostport",
// "-R ...", "-D [bind:]port", "-w local:remote".
func (f *finder) sshForward(prog, fw, host string) {
	flag, spec, _ := strings.Cut(fw, " ")
	fields := splitForward(spec)
	bind, port := "", 0
	switch flag {
	case "-D":
		if len(fields) >= 1 {
			port = portNumber(fields[len(fields)-1])
			if len(fields) >= 2 {
				bind = fields[0]
			}
		}
	case "-L", "-R":
		if len(fields) == 4 {
			bind = fields[0]
			port = portNumber(fields[1])
		} else if len(fields) >= 1 {
			port = portNumber(fields[0])
		}
	}
	var what string
	switch flag {
	case "-L":
		what = prog + " -L " + spec + ": listens on local port " + strconv.Itoa(port) + " and forwards it through " + host
	case "-R":
		what = prog + " -R " + spec + ": opens port " + strconv.Itoa(port) + " on " + host + " and forwards it here"
	case "-D":
		what = prog + " -D " + spec + ": a SOCKS proxy on local port " + strconv.Itoa(port) + " through " + host
	case "-w":
		what = prog + " -w " + spec + ": a tun device tunnel to " + host
	default:
		what = prog + " " + fw + " (port forwarding)"
	}
	// -L and -D listen on this machine, on a port unless the near end is
	// a Unix socket path.
	if (flag == "-L" || flag == "-D") && !strings.Contains(localEnd(fields, flag), "/") {
		f.localForward(prog, bind, port, what)
		return
	}
	f.tunnel(prog, bind, port, what)
}

// localEnd is the near end of an -L or -D spec's fields: its listen port
// or socket path.
func localEnd(fields []string, flag string) string {
	if len(fields) == 0 {
		return ""
	}
	if flag == "-D" {
		return fields[len(fields)-1]
	}
	if len(fields) == 4 {
		return fields[1]
	}
	return fields[0]
}

// splitForward splits a forwarding spec on colons outside [IPv6] brackets.
func splitForward(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			depth++
		case ']':
			depth--
		case ':':
			if depth == 0 {
				out = append(out, strings.Trim(s[start:i], "[]"))
				start = i + 1
			}
		}
	}
	return append(out, strings.Trim(s[start:], "[]"))
}

// sshOption splits "Key=value" or "Key value" into a lower-case key and value.
func sshOption(o string) (string, string) {
	o = strings.TrimSpace(o)
	k, v, ok := strings.Cut(o, "=")
	if !ok {
		k, v, _ = strings.Cut(o, " ")
	}
	return strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
}

// sshConfigLines are the option lines of an ssh config file's content.
func sshConfigLines(data []byte) []string {
	var out []string
	for line := range strings.Lines(string(data)) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, line)
	}
	return out
}

// sshOptionForward turns -o LocalForward/RemoteForward/DynamicForward/Tunnel
// into the equivalent flag form.
func sshOptionForward(o string) string {
	k, v := sshOption(o)
	switch k {
	case "localforward":
		return "-L " + strings.Replace(v, " ", ":", 1)
	case "remoteforward":
		return "-R " + strings.Replace(v, " ", ":", 1)
	case "dynamicforward":
		return "-D " + v
	case "tunnel":
		if !strings.EqualFold(v, "no") {
			return "-w any"
		}
	}
	return ""
}

// sshHost reads [user@]host[:port] or ssh://[user@]host[:port].
func sshHost(dest string) (string, int) {
	if dest == "" {
		return "", 0
	}
	if strings.HasPrefix(dest, "ssh://") {
		return urlHost(dest)
	}
	if i := strings.LastIndexByte(dest, '@'); i >= 0 {
		dest = dest[i+1:]
	}
	if strings.Count(dest, ":") > 1 {
		return dest, 0
	}
	host, _, _ := strings.Cut(dest, ":")
	return host, 0
}

func (f *finder) plink(prog string, args []string) {
	host, port := "", 0
	for i := 0; i < len(args); i++ {
		w := args[i]
		if !strings.HasPrefix(w, "-") {
			host, _ = sshHost(w)
			break
		}
		switch w {
		case "-L", "-R", "-D":
			if i+1 < len(args) {
				f.sshForward(prog, w+" "+args[i+1], "the server")
				i++
			}
		case "-P":
			if i+1 < len(args) {
				port = portNumber(args[i+1])
				i++
			}
		case "-l", "-pw", "-i", "-m", "-hostkey", "-proxycmd", "-sercfg", "-load", "-pwfile", "-nc", "-jumphost":
			i++
		}
	}
	if host != "" {
		f.connect(prog, host, port, "", prog+" connects to "+host)
	}
}

// ---- containers ----

var dockerValued = "-a -c -e -h -l -m -p -u -v -w --add-host --annotation --attach --blkio-weight --blkio-weight-device --cap-add --cap-drop --cgroup-parent --cgroupns --cidfile --cpu-period --cpu-quota --cpu-rt-period --cpu-rt-runtime --cpu-shares --cpus --cpuset-cpus --cpuset-mems --device --device-cgroup-rule --device-read-bps --device-read-iops --device-write-bps --device-write-iops --dns --dns-option --dns-search --domainname --entrypoint --env --env-file --expose --gpus --group-add --health-cmd --health-interval --health-retries --health-start-period --health-timeout --hostname --ip --ip6 --ipc --isolation --kernel-memory --label --label-file --link --link-local-ip --log-driver --log-opt --mac-address --memory --memory-reservation --memory-swap --memory-swappiness --mount --name --network --net --network-alias --oom-score-adj --pid --pids-limit --platform --publish --pull --restart --runtime --security-opt --shm-size --stop-signal --stop-timeout --storage-opt --sysctl --tmpfs --ulimit --user --userns --uts --volume --volume-driver --volumes-from --workdir --arch --authfile --cgroup-conf --cgroups --conmon-pidfile --creds --decryption-key --detach-keys --env-host:never --gidmap --hostuser --http-proxy:never --image-volume --init-path --log-level --os --passwd-entry --personality --pod --pod-id-file --preserve-fds --requires --rootfs:never --sdnotify --seccomp-policy --secret --subgidname --subuidname --timeout --tz --uidmap --umask --variant --chrootdirs"

func (f *finder) container(prog string, args []string) {
	i := 0
	for i < len(args) && strings.HasPrefix(args[i], "-") {
		if !strings.Contains(args[i], "=") && inList("-H --host -c --context --config -l --log-level --tlscacert --tlscert --tlskey --url --connection --root --runroot --storage-driver --cgroup-manager --namespace -n --address -a --remote:never --identity --module", args[i]) {
			i++
		}
		i++
	}
	if i >= len(args) || wantsHelp(args[i:]) {
		return
	}
	sub := args[i:]
	switch sub[0] {
	case "container":
		if len(sub) > 1 && (sub[1] == "run" || sub[1] == "create") {
			f.containerRun(prog, sub[1], sub[2:])
		}
	case "run", "create":
		f.containerRun(prog, sub[0], sub[1:])
	case "pod":
		if len(sub) > 1 && sub[1] == "create" {
			f.containerRun(prog, "pod create", sub[2:])
		}
	case "service":
		if len(sub) > 1 && (sub[1] == "create" || sub[1] == "update") {
			f.containerRun(prog, "service "+sub[1], sub[2:])
		}
	case "compose":
		f.compose(prog+" compose", sub[1:])
	case "pull", "push", "login", "search":
		host := ""
		if p := positionals(sub[1:], "-u --username -p --password --platform -a:never"); len(p) > 0 && sub[0] != "search" {
			host = registryHost(p[0], sub[0] == "login")
		}
		f.connect(prog, host, 0, "", prog+" "+sub[0]+" talks to a registry")
	case "build", "buildx":
		f.connect(prog, "", 0, "", prog+" "+sub[0]+" may pull base images")
	case "image":
		if len(sub) > 1 && (sub[1] == "pull" || sub[1] == "push") {
			f.connect(prog, "", 0, "", prog+" image "+sub[1]+" talks to a registry")
		}
	}
}

// registryHost is the registry of an image reference (or the argument of
// docker login); "" for Docker Hub's short names.
func registryHost(ref string, login bool) string {
	if login {
		h, _ := urlHost(ref)
		return h
	}
	first, _, ok := strings.Cut(ref, "/")
	if ok && (strings.ContainsAny(first, ".:") || first == "localhost") {
		h, _ := hostPort(first)
		return h
	}
	return ""
}

// containerRun finds port publishing in docker run's options (before the
// image): -p/--publish, -P/--publish-all, --network host.
func (f *finder) containerRun(prog, sub string, args []string) {
	for i := 0; i < len(args); i++ {
		w := args[i]
		if w == "--" || !strings.HasPrefix(w, "-") || w == "-" {
			break // the image: what follows runs inside the container
		}
		name, val, hasVal := strings.Cut(w, "=")
		if strings.HasPrefix(w, "--") {
			if !hasVal && inList(dockerValued, name) && i+1 < len(args) {
				val, hasVal = args[i+1], true
				i++
			}
			switch name {
			case "--publish":
				f.publish(prog, sub, val)
			case "--publish-all":
				f.listen(prog, "", 0, prog+" "+sub+" --publish-all publishes the image's ports on the host")
			case "--network", "--net":
				if val == "host" {
					f.listen(prog, "", 0, prog+" "+sub+" --network host: the container's listeners are the host's")
				}
			}
			continue
		}
		// Short options, possibly clustered (-dp 8080:80, -itP).
		for j := 1; j < len(w); j++ {
			c := w[j]
			if c == 'P' {
				f.listen(prog, "", 0, prog+" "+sub+" -P publishes the image's ports on the host")
				continue
			}
			if strings.IndexByte("acehlmpuvw", c) >= 0 {
				v := w[j+1:]
				if strings.HasPrefix(v, "=") {
					v = v[1:]
				}
				if v == "" && i+1 < len(args) {
					v = args[i+1]
					i++
				}
				if c == 'p' {
					f.publish(prog, sub, v)
				}
				break
			}
		}
	}
}

// publish records one -p [ip:][hostPort:]containerPort[/proto] value.
func (f *finder) publish(prog, sub, spec string) {
	if spec == "" {
		return
	}
	s, _, _ := strings.Cut(spec, "/")
	if strings.Contains(s, "mode=") || strings.Contains(s, "published=") {
		// docker service --publish published=8080,target=80
		port := 0
		for _, kv := range strings.Split(s, ",") {
			if k, v, ok := strings.Cut(kv, "="); ok && (k == "published" || k == "p") {
				port = portNumber(v)
			}
		}
		f.listen(prog, "", port, portDetail(prog+" "+sub+" --publish "+spec, port, port != 0))
		return
	}
	fields := splitForward(s)
	host, port := "", 0
	switch len(fields) {
	case 1:
		port = 0 // a random host port
	case 2:
		port = portRangeStart(fields[0])
	default:
		host = fields[len(fields)-3]
		port = portRangeStart(fields[len(fields)-2])
	}
	d := prog + " " + sub + " -p " + spec + ": publishes "
	if port != 0 {
		d += "host port " + strconv.Itoa(port)
	} else {
		d += "a random host port"
	}
	if host != "" {
		d += " on " + host
	}
	f.listen(prog, host, port, d)
}

func portRangeStart(s string) int {
	s, _, _ = strings.Cut(s, "-")
	return portNumber(s)
}

// compose: up/run/start read the compose file's ports when it can be read.
func (f *finder) compose(prog string, args []string) {
	pos := positionals(args, "-f --file -p --project-name --project-directory --env-file --profile --ansi --progress --parallel")
	if len(pos) == 0 || wantsHelp(args) {
		return
	}
	switch pos[0] {
	case "up", "run", "start", "restart", "create":
	case "pull", "push", "build":
		f.connect(prog, "", 0, "", prog+" "+pos[0]+" talks to a registry")
		return
	default:
		return
	}
	if pos[0] == "up" {
		f.connect(prog, "", 0, "", prog+" up pulls missing images")
	}
	if pos[0] == "run" && (hasOpt(args, "--service-ports") || hasOpt(args, "-p") || hasOpt(args, "--publish")) {
		f.listen(prog, "", 0, prog+" run publishes ports")
		return
	}
	file, ok := optValue(args, "-f --file")
	var names []string
	if ok {
		names = []string{file}
	} else {
		names = []string{"compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml"}
	}
	for _, n := range names {
		data := f.read(n)
		if data == nil {
			continue
		}
		if composePublishes(string(data)) {
			f.listen(prog, "", 0, prog+" "+pos[0]+" publishes the ports listed in "+n)
		}
		return
	}
}

// composePublishes reports whether a compose file has a ports: key or
// host networking.
func composePublishes(text string) bool {
	for _, line := range strings.Split(text, "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "#") {
			continue
		}
		if strings.HasPrefix(t, "ports:") || strings.HasPrefix(t, "network_mode: host") || strings.HasPrefix(t, "network_mode: \"host\"") {
			return true
		}
	}
	return false
}

// ---- Kubernetes ----

func (f *finder) kubectl(prog string, args []string) {
	if wantsHelp(args) {
		return
	}
	valued := "-n --namespace --context --kubeconfig --cluster --user -s --server --token --as --as-group --as-uid --request-timeout --cache-dir --certificate-authority --client-certificate --client-key -v --v --log-file --profile --address --pod-running-timeout -p --port -w --www -P --www-prefix --api-prefix --accept-hosts --accept-paths --reject-paths --reject-methods -u --unix-socket --keepalive --append-server-path:never -c --container -l --selector -o --output -f --filename"
	pos := positionals(args, valued)
	if len(pos) == 0 {
		return
	}
	switch pos[0] {
	case "port-forward", "pf":
		host, _ := optValue(args, "--address")
		n := 0
		for _, p := range pos[1:] {
			if !strings.ContainsAny(p[:1], "0123456789:") {
				continue
			}
			local, _, _ := strings.Cut(p, ":")
			port := portNumber(local)
			f.localForward(prog, host, port, portDetail(prog+" port-forward "+p+" (forwards a local port into the cluster)", port, port != 0))
			n++
		}
		if n == 0 {
			f.localForward(prog, host, 0, prog+" port-forward (forwards a local port into the cluster)")
		}
	case "proxy":
		host := "127.0.0.1"
		if v, ok := optValue(args, "--address"); ok {
			host = v
		}
		port, given := 8001, false
		if v, ok := optValue(args, "-p --port"); ok {
			port, given = portNumber(v), true
		}
		d := portDetail(prog+" proxy (serves the cluster API locally)", port, given)
		f.listen(prog, host, port, d+" on "+host)
	case "config", "completion", "version", "explain", "plugin", "kustomize", "options", "api-resources:never":
	default:
		f.connect(prog, "", 0, "", prog+" "+pos[0]+" talks to the cluster API")
	}
}

// ---- service managers ----

// serverUnits maps service names to the facet kind starting them implies.
var serverUnits = map[string]action.Kind{
	"nginx": action.NetworkListen, "apache2": action.NetworkListen, "httpd": action.NetworkListen, "lighttpd": action.NetworkListen,
	"caddy": action.NetworkListen, "haproxy": action.NetworkListen, "traefik": action.NetworkListen, "envoy": action.NetworkListen,
	"squid": action.NetworkListen, "varnish": action.NetworkListen, "tinyproxy": action.NetworkListen, "privoxy": action.NetworkListen,
	"openresty": action.NetworkListen, "h2o": action.NetworkListen, "unit": action.NetworkListen,
	"sshd": action.NetworkListen, "ssh": action.NetworkListen, "dropbear": action.NetworkListen, "telnetd": action.NetworkListen,
	"vsftpd": action.NetworkListen, "proftpd": action.NetworkListen, "pure-ftpd": action.NetworkListen, "tftpd-hpa": action.NetworkListen,
	"smbd": action.NetworkListen, "nmbd": action.NetworkListen, "samba": action.NetworkListen, "smb": action.NetworkListen,
	"nfs-server": action.NetworkListen, "nfs-kernel-server": action.NetworkListen, "rpcbind": action.NetworkListen,
	"mysql": action.NetworkListen, "mysqld": action.NetworkListen, "mariadb": action.NetworkListen, "postgresql": action.NetworkListen,
	"postgres": action.NetworkListen, "redis": action.NetworkListen, "redis-server": action.NetworkListen, "valkey": action.NetworkListen,
	"mongod": action.NetworkListen, "mongodb": action.NetworkListen, "memcached": action.NetworkListen, "rabbitmq-server": action.NetworkListen,
	"elasticsearch": action.NetworkListen, "opensearch": action.NetworkListen, "kibana": action.NetworkListen, "grafana-server": action.NetworkListen,
	"grafana": action.NetworkListen, "prometheus": action.NetworkListen, "node_exporter": action.NetworkListen, "prometheus-node-exporter": action.NetworkListen,
	"influxdb": action.NetworkListen, "jenkins": action.NetworkListen, "tomcat": action.NetworkListen, "tomcat9": action.NetworkListen,
	"tomcat10": action.NetworkListen, "gitea": action.NetworkListen, "gitlab": action.NetworkListen, "named": action.NetworkListen,
	"bind9": action.NetworkListen, "unbound": action.NetworkListen, "dnsmasq": action.NetworkListen, "coredns": action.NetworkListen,
	"isc-dhcp-server": action.NetworkListen, "dhcpd": action.NetworkListen, "kea-dhcp4-server": action.NetworkListen,
	"xrdp": action.NetworkListen, "vncserver": action.NetworkListen, "x11vnc": action.NetworkListen, "tigervncserver": action.NetworkListen,
	"tor": action.NetworkListen, "cockpit": action.NetworkListen, "webmin": action.NetworkListen, "uwsgi": action.NetworkListen,
	"gunicorn": action.NetworkListen, "jupyter": action.NetworkListen, "jupyterhub": action.NetworkListen, "code-server": action.NetworkListen,
	"syncthing": action.NetworkListen, "transmission-daemon": action.NetworkListen, "deluged": action.NetworkListen,
	"plexmediaserver": action.NetworkListen, "jellyfin": action.NetworkListen, "emby-server": action.NetworkListen, "minidlna": action.NetworkListen,
	"icecast2": action.NetworkListen, "mosquitto": action.NetworkListen, "ejabberd": action.NetworkListen, "prosody": action.NetworkListen,
	"zabbix-server": action.NetworkListen, "zabbix-agent": action.NetworkListen, "zabbix-agent2": action.NetworkListen, "snmpd": action.NetworkListen,
	"slapd": action.NetworkListen, "krb5kdc": action.NetworkListen, "etcd": action.NetworkListen, "consul": action.NetworkListen,
	"vault": action.NetworkListen, "nomad": action.NetworkListen, "minio": action.NetworkListen, "ollama": action.NetworkListen,
	"couchdb": action.NetworkListen, "cassandra": action.NetworkListen, "neo4j": action.NetworkListen, "clickhouse-server": action.NetworkListen,
	"kafka": action.NetworkListen, "zookeeper": action.NetworkListen, "nagios": action.NetworkListen, "icinga2": action.NetworkListen,
	"munin-node": action.NetworkListen, "netdata": action.NetworkListen, "cups": action.NetworkListen, "cupsd": action.NetworkListen,
	"rsync": action.NetworkListen, "rsyncd": action.NetworkListen, "xinetd": action.NetworkListen, "inetd": action.NetworkListen,
	"php-fpm": action.NetworkListen, "mailhog": action.NetworkListen, "docker-registry": action.NetworkListen, "registry": action.NetworkListen,
	"mediamtx": action.NetworkListen, "navidrome": action.NetworkListen, "nextcloud": action.NetworkListen, "pihole-ftl": action.NetworkListen,
	"adguardhome": action.NetworkListen, "sonarr": action.NetworkListen, "radarr": action.NetworkListen, "lidarr": action.NetworkListen,
	"prowlarr": action.NetworkListen, "jackett": action.NetworkListen, "qbittorrent-nox": action.NetworkListen, "sabnzbd": action.NetworkListen,
	"openvpn-server": action.NetworkListen,
	"cloudflared":    action.NetworkTunnel, "frpc": action.NetworkTunnel, "frps": action.NetworkTunnel, "ngrok": action.NetworkTunnel,
	"stunnel": action.NetworkTunnel, "stunnel4": action.NetworkTunnel, "shadowsocks-libev": action.NetworkTunnel, "v2ray": action.NetworkTunnel,
	"xray": action.NetworkTunnel, "autossh": action.NetworkTunnel, "chisel": action.NetworkTunnel, "rathole": action.NetworkTunnel,
	"sslh": action.NetworkListen, "tailscale-serve:never": action.NetworkTunnel,
}

// unitKind returns the facet kind of starting a service unit, "" for none.
func unitKind(unit string) action.Kind {
	u := strings.ToLower(unit)
	u = strings.TrimPrefix(u, "/etc/init.d/")
	for _, suf := range []string{".service", ".socket", ".target"} {
		u = strings.TrimSuffix(u, suf)
	}
	if i := strings.IndexByte(u, '@'); i >= 0 {
		u = u[:i]
	}
	if k, ok := serverUnits[u]; ok {
		return k
	}
	if strings.HasPrefix(u, "php") && strings.HasSuffix(u, "-fpm") {
		return action.NetworkListen
	}
	if strings.HasPrefix(u, "postgresql") || strings.HasPrefix(u, "tomcat") || strings.HasPrefix(u, "mysql") {
		return action.NetworkListen
	}
	return ""
}

func (f *finder) startUnit(prog, verb, unit string) {
	k := unitKind(unit)
	if k == "" {
		return
	}
	f.add(action.Action{Kind: k, Program: prog, Detail: prog + " " + verb + " " + unit + ": starts a network service"})
}

func (f *finder) systemctl(prog string, args []string) {
	pos := positionals(args, "-H --host -M --machine -t --type -p --property -s --signal -n --lines -o --output --root --image --kill-whom --job-mode --what --state --timestamp --check-inhibitors --boot-loader-entry --boot-loader-menu --reboot-argument --drop-in --when --message")
	if len(pos) < 2 {
		return
	}
	verb := pos[0]
	switch verb {
	case "start", "restart", "reload-or-restart":
		// try-restart and its kin act only on running services: no new listener.
	case "enable":
		if !hasOpt(args, "--now") {
			return
		}
	default:
		return
	}
	for _, u := range pos[1:] {
		f.startUnit(prog, verb, u)
	}
}

func (f *finder) service(prog string, args []string) {
	pos := positionals(args, "-Z:never")
	var unit, verb string
	switch prog {
	case "sv":
		if len(pos) >= 2 {
			verb, unit = pos[0], pos[1]
		}
	default:
		if len(pos) >= 2 {
			unit, verb = pos[0], pos[1]
		} else if len(pos) == 1 {
			unit = pos[0]
			for _, a := range args {
				if a == "--full-restart" {
					verb = "restart"
				}
			}
		}
	}
	switch verb {
	case "start", "restart", "reload-or-restart", "up", "once":
		f.startUnit(prog, verb, unit)
	}
}

func (f *finder) brew(prog string, args []string) {
	pos := positionals(args, "")
	if len(pos) == 0 || wantsHelp(args) {
		return
	}
	switch pos[0] {
	case "services":
		if len(pos) >= 3 && inList("start restart run", pos[1]) {
			f.startUnit(prog+" services", pos[1], pos[2])
		}
	case "install", "reinstall", "upgrade", "update", "tap", "fetch", "search", "bundle", "outdated:never":
		f.connect(prog, "", 0, "", "brew "+pos[0]+" downloads")
	}
}
