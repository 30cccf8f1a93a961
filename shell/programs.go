package shell

import (
	"slices"
	"strings"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/shell/catalog"
)

// Program families the analyser itself needs to know (the catalogue knows
// the rest). Keys are normalised program names (action.ProgramName).

// shells read shell text: -c TEXT, a script file, or commands on stdin.
var shells = map[string]bool{
	"sh": true, "bash": true, "zsh": true, "dash": true, "ksh": true, "ash": true,
	"mksh": true, "pdksh": true, "yash": true, "rbash": true, "fish": true,
	"csh": true, "tcsh": true, "posh": true, "oksh": true, "loksh": true, "hush": true,
}

// interpreters run code; a network peer on their stdio is a remote shell.
var interpreters = map[string]bool{
	"python": true, "pypy": true, "perl": true, "ruby": true, "irb": true, "php": true,
	"node": true, "deno": true, "bun": true, "lua": true, "luajit": true,
	"awk": true, "gawk": true, "mawk": true, "nawk": true, "tclsh": true, "wish": true,
	"pwsh": true, "powershell": true, "expect": true, "Rscript": true, "R": true,
	"osascript": true, "jshell": true, "julia": true, "guile": true, "racket": true,
	"sbcl": true, "gdb": true, "vim": true, "vi": true, "nvim": true, "ed": true,
}

// rawSocketTools move bytes between stdio and a socket; piped to a shell
// they make a remote shell.
var rawSocketTools = map[string]bool{
	"nc": true, "ncat": true, "netcat": true, "cryptcat": true, "telnet": true,
	"socat": true, "openssl": true, "gnutls-cli": true, "sbd": true, "pwncat": true,
	"websocat": true, "nping": true, "rcat": true,
}

// downloaders fetch content; piped into a shell they make it opaque. The
// catalogue's network.connect facet is the main signal; this list covers
// what it might not know.
var downloaders = map[string]bool{
	"curl": true, "wget": true, "fetch": true, "aria2c": true, "http": true, "https": true,
	"xh": true, "xhs": true, "lwp-request": true, "lwp-download": true, "GET": true,
	"POST": true, "lynx": true, "links": true, "elinks": true, "w3m": true, "curlie": true,
	"httpie": true, "ftp": true, "tftp": true, "scp": true, "sftp": true, "rsync": true,
	"gh": true, "ssh": true,
}

// codeOptions lists, for interpreters that can read their program from
// stdin, the options that put code on the command line instead.
var codeOptions = map[string][]string{
	"python": {"-c", "-m"},
	"pypy":   {"-c", "-m"},
	"perl":   {"-e", "-E"},
	"ruby":   {"-e"},
	"irb":    nil,
	"node":   {"-e", "-p", "--eval", "--print"},
	"php":    {"-r", "-S", "-f"},
	"lua":    {"-e"},
	"luajit": {"-e"},
	"tclsh":  nil,
	"pwsh":   {"-c", "-Command", "-command", "-f", "-File", "-file"},
	"expect": {"-c"},
}

// readsCodeFromStdin reports whether an interpreter invocation takes its
// program from stdin (no code option, no script argument, or "-").
func readsCodeFromStdin(v action.Argv) bool {
	switch v.Program {
	case "deno", "bun":
		// deno run -, bun run -; deno alone is a REPL reading stdin.
		pos := v.Positionals
		if len(pos) > 0 && pos[0] == "run" {
			return len(pos) > 1 && pos[1] == "-"
		}
		return len(pos) > 0 && pos[0] == "-" || v.Program == "deno" && len(pos) == 0 && !v.Has("-h", "--help", "-V", "--version")
	}
	if catalog.ProgramFromStdin(v) {
		return true // awk -f -, sed -f /dev/stdin
	}
	code, ok := codeOptions[v.Program]
	if !ok {
		return false
	}
	if v.Has(code...) {
		return false
	}
	return len(v.Positionals) == 0 || v.Positionals[0] == "-" || isStdinPath(v.Positionals[0])
}

// codeFd returns N when an interpreter reads its program from /dev/fd/N
// (a descriptor other than stdin): python3 /dev/fd/3, awk -f /dev/fd/3.
func codeFd(v action.Argv) string {
	switch v.Program {
	case "awk", "gawk", "nawk", "mawk", "goawk", "sed", "gsed":
		ws := v.Words[1:]
		for i := 0; i < len(ws); i++ {
			name, ok := strings.CutPrefix(ws[i], "--file=")
			if !ok && (ws[i] == "-f" || ws[i] == "--file" || len(ws[i]) > 2 && ws[i][0] == '-' && ws[i][1] != '-' && strings.HasSuffix(ws[i], "f")) && i+1 < len(ws) {
				name, ok = ws[i+1], true
				i++
			}
			if n := fdPath(name); ok && n != "" {
				return n
			}
		}
		return ""
	}
	code, ok := codeOptions[v.Program]
	if !ok || v.Has(code...) || len(v.Positionals) == 0 {
		return ""
	}
	return fdPath(v.Positionals[0])
}

// isNetworkKind reports whether k is one of the facets that mean "talks to
// a network peer".
func isNetworkKind(k action.Kind) bool {
	switch k {
	case action.NetworkConnect, action.NetworkListen, action.NetworkTunnel, action.NetworkBind:
		return true
	}
	return false
}

// rawSocketUse reports whether v runs a raw socket tool against a peer. It
// uses the catalogue's facets when it has them and a conservative reading
// of the arguments otherwise.
func rawSocketUse(v action.Argv, facets []action.Action) bool {
	if !rawSocketTools[v.Program] {
		return false
	}
	for _, f := range facets {
		if isNetworkKind(f.Kind) || f.Kind == action.ShellRemote {
			return true
		}
	}
	if v.Has("-h", "--help", "-V", "--version", "-help") {
		return false
	}
	switch v.Program {
	case "openssl":
		for _, w := range v.Words[1:] {
			if w == "s_client" || w == "s_server" {
				return true
			}
		}
		return false
	case "socat", "websocat":
		for _, w := range v.Words[1:] {
			lw := strings.ToLower(w)
			for _, k := range []string{"tcp", "udp", "ssl", "openssl", "sctp", "ws:", "wss:", "unix-connect"} {
				if strings.Contains(lw, k) {
					return true
				}
			}
		}
		return false
	}
	return len(v.Positionals) > 0 || v.Has("-l", "--listen")
}

// decoders turn an encoded stream back into text; piped into a shell the
// text is hidden from view.
func isDecoder(v action.Argv) bool {
	switch v.Program {
	case "base64", "base32", "basenc":
		return v.Has("-d", "--decode", "-D")
	case "xxd":
		return v.Has("-r", "-revert")
	case "openssl":
		return v.Has("-d") || v.Has("-base64") || (len(v.Positionals) > 0 && v.Positionals[0] == "base64")
	case "gzip", "bzip2", "xz", "zstd", "lzma", "lz4", "brotli":
		return v.Has("-d", "--decompress", "--uncompress")
	case "uudecode", "gunzip", "zcat", "bunzip2", "bzcat", "unxz", "xzcat", "unzstd",
		"zstdcat", "unlzma", "lzcat", "rev", "tr", "gpg", "age", "uncompress", "recode", "iconv", "unzip":
		return true
	}
	return false
}

// isCodeRunner reports whether prog takes code or a module on its command line.
func isCodeRunner(prog string) bool {
	_, ok := codeOptions[prog]
	return ok
}

// codeTextOptions are the interpreter options whose value is program text
// or a module to run (not a file or an address).
var codeTextOptions = map[string]bool{"-c": true, "-m": true, "-e": true, "-E": true, "-p": true, "--eval": true,
	"--print": true, "-r": true, "-Command": true, "-command": true}

// interpreterValued are interpreter options that take a value before the
// script (python -W ignore, node -r mod, perl -I dir).
var interpreterValued = map[string]bool{"-W": true, "-X": true, "-I": true, "-M": true, "--require": true, "-Q": true}

// dynamicCode says why an interpreter's code is not known statically, or
// "": the value of a code option comes from an expansion, or the script
// is a process substitution. Only the interpreter's own options count
// (up to its script: python3 tool.py -c "$CFG" passes -c to the script).
func dynamicCode(prog string, ws []word) string {
	opts := codeOptions[prog]
	isCode := func(o string) bool { return codeTextOptions[o] && slices.Contains(opts, o) }
	for i := 1; i < len(ws); i++ {
		w := ws[i]
		s := w.s
		if !strings.HasPrefix(s, "-") || s == "-" {
			if w.dyn&dynProc != 0 {
				return "interpreter script from a process substitution: " + clip(w.raw)
			}
			return "" // the script: later options are its own
		}
		if s == "--" {
			continue
		}
		if isCode(s) {
			if i+1 < len(ws) && ws[i+1].dyn != 0 {
				return "interpreter code from " + ws[i+1].dyn.why() + ": " + clip(ws[i+1].raw)
			}
			return ""
		}
		for _, o := range opts {
			if !codeTextOptions[o] {
				continue
			}
			if len(o) == 2 && strings.HasPrefix(s, o) && len(s) > 2 || strings.HasPrefix(s, o+"=") {
				if w.dyn != 0 {
					return "interpreter code from " + w.dyn.why() + ": " + clip(w.raw)
				}
				return ""
			}
		}
		if interpreterValued[s] {
			i++ // its value
		}
	}
	return ""
}

// packageManagerCommands are the built-in commands of yarn (1 and berry),
// pnpm and bun; another first word names a script or an installed program.
var packageManagerCommands = map[string]map[string]bool{
	"yarn": setOf("add", "audit", "autoclean", "bin", "cache", "check", "config", "constraints", "create", "dedupe", "dlx", "exec",
		"explain", "generate-lock-entry", "global", "help", "import", "info", "init", "install", "licenses", "link", "list",
		"login", "logout", "node", "npm", "outdated", "owner", "pack", "patch", "patch-commit", "plugin", "policies",
		"publish", "rebuild", "remove", "run", "search", "set", "stage", "tag", "team", "test", "unlink", "unplug", "up",
		"upgrade", "upgrade-interactive", "version", "versions", "why", "workspace", "workspaces"),
	"pnpm": setOf("add", "audit", "bin", "cache", "catalog", "config", "create", "dedupe", "deploy", "dlx", "doctor", "env",
		"exec", "fetch", "help", "import", "init", "install", "install-test", "i", "it", "licenses", "link", "list", "ls",
		"ln", "outdated", "pack", "patch", "patch-commit", "patch-remove", "prune", "publish", "rebuild", "rb", "recursive",
		"remove", "rm", "uninstall", "un", "root", "run", "server", "setup", "start", "store", "test", "t", "unlink", "update",
		"up", "upgrade", "why", "self-update", "approve-builds", "ignored-builds", "login", "logout", "whoami", "view",
		"info", "show", "search", "owner", "dist-tag", "version", "docs", "repo", "bugs", "ping", "c", "get", "set",
		"completion", "-r", "-w", "install-completion", "licenses", "audit", "sbom", "stage", "cat-file", "cat-index",
		"find-hash"),
	"bun": setOf("add", "a", "audit", "build", "create", "c", "exec", "help", "info", "init", "install", "i", "link",
		"outdated", "patch", "patch-commit", "pm", "publish", "remove", "rm", "repl", "run", "test", "unlink", "update",
		"upgrade", "why", "x", "completions", "discord", "getcompletes", "feedback"),
}

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}
