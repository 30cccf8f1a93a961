package catalog

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/safeclaw/safeclaw/action"
)

// Command is one simple command as the shell package resolved it.
type Command struct {
	// Views are the command's argv from the outside in; the last view is
	// the program that actually runs (sudo -u www nc -l 80 → nc -l 80).
	Views []action.Argv
	Cwd   string // absolute working directory, "" when unknown
	Home  string // the user's home directory, for ~
	// ReadFile reads a file the command leads to (package.json for npm run);
	// nil means read nothing.
	ReadFile func(name string) ([]byte, error)
	// Stat describes a file on disk (os.Stat when nil): git runs a hook
	// only when it is an executable file, which ReadFile does not say.
	Stat func(name string) (fs.FileInfo, error)
	// Stdin is literal text the shell feeds to the command's standard input
	// (a here-document, a here-string, or echo/printf piped into it), "" when
	// none or unknown. Interpreters that read their program from stdin
	// (python3 <<EOF, echo CODE | perl) have it scanned as code. When the
	// program reads its code from another descriptor (python3 /dev/fd/3
	// 3<<EOF), Stdin is what that descriptor carries.
	Stdin string
	// RunTimeArgs names where the innermost program gets more arguments at
	// run time than the text holds ("xargs's input": xargs appends what it
	// reads); "" when it gets none. Placeholders are words replaced at run
	// time by values nothing resolves statically (xargs -I{}, parallel, fd
	// -x {}). A path that holds one is not known: writing or deleting it
	// is shell.opaque, as with any other path not known statically.
	RunTimeArgs  string
	Placeholders []string
	// Env holds the environment variables this text gives the command:
	// its own assignments (NAME=VALUE cmd, env NAME=VALUE cmd) and what
	// it exported before. Variables it does not set are not in it.
	Env map[string]EnvValue
}

// EnvValue is an environment variable's value as the text sets it.
type EnvValue struct {
	Value string
	Known bool // false when the value is only known at run time
}

// Result is what a command implies beyond its own shell.execute facet.
type Result struct {
	Facets []action.Action
	// Scripts are shell texts the command runs indirectly (an npm script's
	// body, the command string of python's os.system); the shell package
	// analyses them and adds their facets to the part.
	Scripts []Script
}

// Script is a shell text a command runs indirectly.
type Script struct {
	Text   string
	Origin string // e.g. "package.json scripts.dev"
	// Hook is the path of the git hook this text is, "" for any other
	// script. Only a hook's dangerous facets are kept (GitHookFacet), and
	// its shell.opaque ones too when Scratch: the hook lies under a
	// temporary directory anyone may write (see gitHook).
	Hook    string
	Scratch bool
}

// maxDepth bounds how often the catalogue follows a command into another
// (runners, npm scripts naming npm scripts): enough for real use, and a
// guard against scripts that call themselves.
const maxDepth = 6

// maxCode bounds how much interpreter code is scanned; longer code is
// scanned up to the limit, which is far beyond any one-liner.
const maxCode = 64 << 10

// Detect returns the facets the command implies. It looks at the innermost
// view (the program that runs) and at the outer views whose program matters
// as a wrapper (ssh HOST CMD connects to HOST; docker run -p publishes a
// port whatever runs inside).
func Detect(c Command) Result {
	if len(c.Views) == 0 {
		return Result{}
	}
	f := finder{cmd: c}
	last := len(c.Views) - 1
	remote := false
	for _, v := range c.Views[:last] {
		if outerMatters(v.Program) {
			f.argv(v, 0)
			if isRemoteRunner(v.Program) {
				remote = true
			}
		}
	}
	before := len(f.res.Facets)
	if c.RunTimeArgs != "" {
		f.runTimeArg = "<" + c.RunTimeArgs + ">"
	}
	f.argv(c.Views[last], 0)
	f.runTimeArg = ""
	if c.Stdin != "" {
		f.stdin(c.Views[last], c.Stdin)
	}
	if remote {
		for i := before; i < len(f.res.Facets); i++ {
			f.res.Facets[i].Remote = true
		}
	}
	return f.res
}

// outerMatters reports whether a wrapper's own view carries facets.
func outerMatters(prog string) bool {
	switch prog {
	case "ssh", "autossh", "plink", "docker", "podman", "nerdctl", "kubectl", "oc",
		"mirrord", "proxychains", "proxychains4", "torsocks", "tsocks", "gcloud", "sshpass",
		// yarn dev, pnpm dev, bun run dev are peeled to the program of that
		// name; the package.json script of that name is read from theirs.
		"yarn", "yarnpkg", "pnpm", "bun",
		// A terminal emulator's own -display may name a remote X server.
		"xterm", "uxterm", "urxvt", "rxvt", "xfce4-terminal", "gnome-terminal":
		return true
	}
	return false
}

func isRemoteRunner(prog string) bool {
	return prog == "ssh" || prog == "autossh" || prog == "plink"
}

// finder accumulates one command's result.
type finder struct {
	cmd   Command
	res   Result
	seen  map[facetKey]bool
	paths map[string]string // resolved directories, for canonicalPath
	nest  int               // find -exec commands this one runs inside
	// runTimeArg is the word standing for the arguments Command.RunTimeArgs
	// adds, while the innermost program's own view is read; "" otherwise.
	runTimeArg string
	// repo is the repository gitConfigs is reading the configuration of.
	repo gitRepo
}

type facetKey struct {
	kind              action.Kind
	program, host     string
	port              int
	path, url, detail string
}

func (f *finder) add(a action.Action) {
	k := facetKey{a.Kind, a.Program, a.Host, a.Port, a.Path, a.URL, ""}
	if a.Kind != action.FileRead && a.Kind != action.FileWrite && a.Kind != action.FileDelete {
		// One network facet per kind, program and endpoint is enough;
		// a second detector's wording adds nothing.
		k.detail = ""
	}
	if f.seen == nil {
		f.seen = make(map[facetKey]bool)
	}
	if f.seen[k] {
		return
	}
	f.seen[k] = true
	f.res.Facets = append(f.res.Facets, a)
}

func (f *finder) scriptText(text, origin string) {
	text = strings.TrimSpace(text)
	if text == "" {
		return
	}
	for _, s := range f.res.Scripts {
		if s.Text == text {
			return
		}
	}
	f.res.Scripts = append(f.res.Scripts, Script{Text: text, Origin: origin})
}

// listen records a listening socket; port 0 and host "" mean unknown. A
// server binds the port it listens on, so it is a network.bind too, as
// safeclaw run sees it at the kernel: a rule about binding ports ("Block
// binding to any port") holds for servers a command starts.
func (f *finder) listen(prog, host string, port int, detail string) {
	f.add(action.Action{Kind: action.NetworkListen, Program: prog, Host: host, Port: port, Detail: detail})
	f.add(action.Action{Kind: action.NetworkBind, Program: prog, Host: host, Port: port, Detail: detail})
}

func (f *finder) bind(prog, host string, port int, detail string) {
	f.add(action.Action{Kind: action.NetworkBind, Program: prog, Host: host, Port: port, Detail: detail})
}

func (f *finder) tunnel(prog, host string, port int, detail string) {
	f.add(action.Action{Kind: action.NetworkTunnel, Program: prog, Host: host, Port: port, Detail: detail})
}

// localForward records a tunnel whose near end is a port on this machine
// (ssh -L, kubectl port-forward): the command binds that port, so a rule
// about binding ports holds for it as it does for a server.
func (f *finder) localForward(prog, host string, port int, detail string) {
	f.tunnel(prog, host, port, detail)
	f.bind(prog, host, port, detail)
}

func (f *finder) connect(prog, host string, port int, url, detail string) {
	f.add(action.Action{Kind: action.NetworkConnect, Program: prog, Host: host, Port: port, URL: url, Detail: detail})
}

func (f *finder) remote(prog, host string, port int, detail string) {
	f.add(action.Action{Kind: action.ShellRemote, Program: prog, Host: host, Port: port, Detail: detail})
}

// runTimeValue reports whether path is, or holds, a value only known at
// run time (Command.RunTimeArgs, Command.Placeholders).
func (f *finder) runTimeValue(path string) bool {
	if f.runTimeArg != "" && path == f.runTimeArg {
		return true
	}
	for _, ph := range f.cmd.Placeholders {
		if ph != "" && strings.Contains(path, ph) {
			return true
		}
	}
	return false
}

func (f *finder) opaque(prog, detail string) {
	f.add(action.Action{Kind: action.ShellOpaque, Program: prog, Detail: detail})
}

func (f *finder) file(kind action.Kind, prog, path, detail string) {
	f.fileFacet(kind, prog, path, detail, false)
}

// HarmlessDevice reports whether writing to or reading from p touches no file.
func HarmlessDevice(p string) bool {
	switch p {
	case "/dev/null", "/dev/zero", "/dev/tty", "/dev/full", "/dev/random", "/dev/urandom":
		return true
	}
	return false
}

// outputDevice reports whether writing to p writes the command's own
// output (go build -o /dev/stdout, sort -o /dev/stderr).
func outputDevice(p string) bool {
	switch p {
	case "/dev/stdout", "/dev/stderr", "/dev/fd/1", "/dev/fd/2", "/proc/self/fd/1", "/proc/self/fd/2":
		return true
	}
	return false
}

func (f *finder) fileFacet(kind action.Kind, prog, path, detail string, recursive bool) {
	if kind == action.FileWrite && (HarmlessDevice(path) || outputDevice(path)) {
		// go build -o /dev/null writes no file (a delete of the device
		// node itself is one).
		return
	}
	if f.runTimeValue(path) {
		if kind != action.FileRead {
			f.opaque(prog, fmt.Sprintf("%s %s a path not known statically: %s", prog, kindVerb(kind), path))
		}
		return
	}
	if path == "" || path == "-" || strings.HasPrefix(path, "-") || strings.Contains(path, "{}") {
		return
	}
	if f.paths == nil {
		f.paths = make(map[string]string)
	}
	paths, tree, known := paths2(path, f.cmd.Cwd, f.cmd.Home, f.paths)
	if !known {
		// A write or delete whose target cannot be worked out is denied
		// (shell.opaque), not judged as if it were somewhere harmless. An
		// unknown read is kept as written (see action.Action.Path): a rule
		// on the file's name (id_rsa, .env) still asks for cat $D/.env,
		// as for cat < $D/.env.
		if kind != action.FileRead {
			f.opaque(prog, fmt.Sprintf("%s %s a path not known statically: %s", prog, kindVerb(kind), path))
			return
		}
		f.add(action.Action{Kind: kind, Program: prog, Path: path, Detail: "path not known statically: " + path, Recursive: recursive})
		return
	}
	for _, p := range paths {
		f.add(action.Action{Kind: kind, Program: prog, Path: p, Detail: detail, Recursive: recursive || tree})
	}
	if kind == action.FileDelete && len(paths) == 1 {
		if l := f.linkPath(path); l != "" && l != paths[0] {
			f.add(action.Action{Kind: kind, Program: prog, Path: l, Detail: detail, Recursive: recursive || tree})
		}
	}
}

// linkPath returns, for a path whose last component is a symlink, the
// link's own canonical path ("" otherwise). Deleting a symlink removes the
// link, not its target, so a delete is judged at both: a protected file
// that is itself a link (~/.claude/settings.json into a dotfiles
// repository) must not be deletable because its target is elsewhere.
func (f *finder) linkPath(p string) string {
	if strings.HasSuffix(p, "/") || strings.ContainsAny(p, "*?[") {
		return ""
	}
	dir, base := ".", p
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		dir, base = p[:i], p[i+1:]
		if dir == "" {
			dir = "/"
		}
	}
	if base == "" || base == "." || base == ".." || base == "~" || (dir == "." && strings.HasPrefix(base, "~")) {
		return ""
	}
	d := canonicalPath(dir, f.cmd.Cwd, f.cmd.Home, f.paths)
	if !filepath.IsAbs(d) {
		return ""
	}
	l := filepath.Join(d, base)
	if fi, err := os.Lstat(l); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		return ""
	}
	return l
}

func kindVerb(k action.Kind) string {
	switch k {
	case action.FileDelete:
		return "deletes"
	case action.FileRead:
		return "reads"
	}
	return "writes"
}

// fileAll records a read of everything under path (see action.Action.Recursive).
func (f *finder) fileAll(prog, path, detail string) {
	f.fileFacet(action.FileRead, prog, path, detail, true)
}

// words re-parses a word list (a runner's inner command) into an Argv.
func (f *finder) words(ws []string, depth int) {
	if len(ws) == 0 || depth > maxDepth {
		return
	}
	f.argv(action.ParseArgv(ws), depth+1)
}

// argv derives the facets of one argv. It dispatches on the program: first
// the programs with their own readers, then the data tables (servers,
// tunnels, clients), then the generic signals.
func (f *finder) argv(v action.Argv, depth int) {
	if len(v.Words) == 0 || depth > maxDepth {
		return
	}
	if name := windowsProgram(v.Program); name != v.Program {
		// Windows spellings (C:\Python27\python.exe, nc.exe) read like the
		// program itself.
		v = action.ParseArgv(append([]string{name}, v.Words[1:]...))
	}
	prog := v.Program
	args := v.Words[1:]
	if strings.ContainsAny(v.Words[0], "(){}") && !strings.ContainsAny(v.Words[0], "$`") {
		// Not a program name but code typed where a command goes (a REPL's
		// input written after the line that starts it, PowerShell syntax).
		f.codeWord(strings.Join(v.Words, " "))
		return
	}
	f.outputFiles(prog, args)
	if prog == "scp" || prog == "sftp" {
		// scp/sftp -J and -o ProxyJump relay through jump hosts as ssh's do.
		if j, ok := optValue(args, "-J"); ok {
			f.sshJump(prog, j)
		}
		for i := 0; i < len(args); i++ {
			if args[i] == "-o" && i+1 < len(args) {
				if k, v := sshOption(args[i+1]); k == "proxyjump" {
					f.sshJump(prog, v)
				}
			} else if o, ok := strings.CutPrefix(args[i], "-o"); ok && o != "" {
				if k, v := sshOption(o); k == "proxyjump" {
					f.sshJump(prog, v)
				}
			}
		}
	}
	fileArgs := args
	if f.runTimeArg != "" && depth == 0 {
		// The arguments appended at run time are operands like the others:
		// rm deletes them, sed -i edits them, cp's last one is written.
		fileArgs = append(args[:len(args):len(args)], f.runTimeArg)
	}
	if f.special(v, prog, args, depth) || f.fileOps(prog, fileArgs) {
		return
	}
	lower := strings.ToLower(prog)
	base := trimExt(lower)
	if f.servers(v, lower, base, args) {
		return
	}
	if f.clients(lower, base, args) {
		return
	}
	f.generic(v, trimExt(prog), args)
}

// trimExt drops a script extension: smbserver.py → smbserver.
func trimExt(name string) string {
	for _, ext := range []string{".py", ".sh", ".js", ".rb", ".pl", ".exe", ".bash", ".mjs", ".cjs", ".ts", ".php", ".jar", ".bat", ".ps1"} {
		if strings.HasSuffix(name, ext) && len(name) > len(ext) {
			return name[:len(name)-len(ext)]
		}
	}
	return name
}

// portDetail formats "name (port N)" or "name (default port N)".
func portDetail(what string, port int, given bool) string {
	if port == 0 {
		return what
	}
	if given {
		return what + " (port " + strconv.Itoa(port) + ")"
	}
	return what + " (default port " + strconv.Itoa(port) + ")"
}

// codeWord scans text that reads as code rather than a command, in the
// languages such text is usually written in.
func (f *finder) codeWord(text string) {
	for _, l := range []lang{langRuby, langPython, langJS, langPerl, langPHP, langPowerShell} {
		f.code(l, "code", text)
	}
}

// windowsProgram drops a Windows directory and an .exe suffix from a
// program name.
func windowsProgram(p string) string {
	if i := strings.LastIndexByte(p, '\\'); i >= 0 {
		p = p[i+1:]
	}
	if len(p) > 4 && strings.EqualFold(p[len(p)-4:], ".exe") {
		p = p[:len(p)-4]
		if len(p) > 2 && p[1] == ':' {
			// C:\Python27\python.exe unquoted in bash loses its
			// backslashes (C:Python27python.exe): keep a known name
			// it ends with.
			lower := strings.ToLower(p)
			for _, name := range []string{"powershell", "pythonw", "python", "pwsh", "perl", "php", "ruby", "node", "ncat", "nc", "socat", "java", "cmd"} {
				if strings.HasSuffix(lower, name) {
					return name
				}
			}
		}
	}
	return p
}
