package shell

import (
	"encoding/json"
	"path"
	"strings"
	"sync"

	"mvdan.cc/sh/v3/syntax"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/shell/catalog"
)

// chain is a command peeled from the outside in: one view per wrapper.
type chain struct {
	views []action.Argv
	last  []word // words of the innermost view
	bg    bool
	// facets are what the wrappers imply (find -delete, an opaque name).
	facets       []action.Action
	run          runner
	extras       []extra
	placeholders []string
	// stdin is what the innermost command reads; wrappers such as xargs
	// consume it.
	stdin *stream
	// argsFromStdin: xargs appends words it reads at run time.
	argsFromStdin bool
	// codeMissing: a shell's -c has no text on the command line.
	codeMissing bool
	// startup are BASH_ENV=FILE and ENV=FILE assignments in the command's
	// environment: a shell sources FILE before it runs anything.
	startup []word
	// env holds the assignments made in the command's environment (prefix
	// assignments, env NAME=VALUE, export NAME=VALUE), by name.
	env map[string]word
}

// runKind says how the innermost command runs shell text, if it does.
type runKind uint8

const (
	runNone   runKind = iota
	runText           // runs shell text given on its command line (bash -c, eval, ssh host CMD)
	runStdin          // a shell reading commands from stdin
	runScript         // a shell running a script file (bash x.sh, source x.sh)
)

type runner struct {
	kind        runKind
	text        word // runText
	remote      bool // the text runs on another machine
	interactive bool // -i
	script      word // runScript
	what        string
}

// extra is a command a part runs besides itself (find -exec, git -c
// core.pager): a part of its own.
type extra struct {
	words       []word
	text        *word
	origin      string
	placeholder string
	// resolved: the catalogue works out what the placeholder stands for
	// (find -exec {}: the paths find's tests select).
	resolved bool
}

// opt is one option a wrapper was given.
type opt struct {
	name string // "-u", "--user"
	val  string
	has  bool
}

// optSpec says how a wrapper reads its own options.
type optSpec struct {
	short    string   // short options that take a value (next word or attached)
	attached string   // short options with an optional attached value only
	long     []string // long options that take a value (next word or =)
	numeric  bool     // -10 is an option (nice)
	assigns  bool     // NAME=VALUE words may precede the command (sudo, env)
}

// parseOpts reads a wrapper's options starting at ws[start]. It returns the
// index of the first word after them and the options seen.
func parseOpts(ws []word, start int, spec optSpec) (int, []opt) {
	var seen []opt
	i := start
	for i < len(ws) {
		w := ws[i].s
		if w == "--" {
			i++
			break
		}
		if len(w) < 2 || w[0] != '-' {
			break
		}
		if strings.HasPrefix(w, "--") {
			name, val, has := strings.Cut(w, "=")
			if !has && containsStr(spec.long, name) && i+1 < len(ws) {
				val, has = ws[i+1].s, true
				i++
			}
			seen = append(seen, opt{name: name, val: val, has: has})
			i++
			continue
		}
		if spec.numeric && w[1] >= '0' && w[1] <= '9' {
			seen = append(seen, opt{name: w})
			i++
			continue
		}
		for j := 1; j < len(w); j++ {
			c := w[j]
			name := "-" + string(c)
			if strings.IndexByte(spec.short, c) >= 0 {
				o := opt{name: name, has: true}
				if j+1 < len(w) {
					o.val = w[j+1:]
				} else if i+1 < len(ws) {
					o.val = ws[i+1].s
					i++
				} else {
					o.has = false
				}
				seen = append(seen, o)
				break
			}
			if strings.IndexByte(spec.attached, c) >= 0 {
				seen = append(seen, opt{name: name, val: w[j+1:], has: j+1 < len(w)})
				break
			}
			seen = append(seen, opt{name: name})
		}
		i++
	}
	if spec.assigns {
		for i < len(ws) && isAssignment(ws[i].s) {
			i++
		}
	}
	return i, seen
}

// isAssignment reports whether s is NAME=VALUE.
func isAssignment(s string) bool {
	name, _, ok := strings.Cut(s, "=")
	return ok && syntax.ValidName(name)
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func hasOpt(seen []opt, names ...string) (opt, bool) {
	for _, o := range seen {
		for _, n := range names {
			if o.name == n {
				return o, true
			}
		}
	}
	return opt{}, false
}

// Plain wrappers: options, maybe fixed positionals, then the command.
var wrappers = map[string]struct {
	spec  optSpec
	fixed int  // positionals before the command (timeout DURATION)
	bg    bool // runs the command in the background
	// none lists options after which no command runs (command -v).
	none []string
}{
	"sudo": {spec: optSpec{short: "ugpCDrtTUR", long: []string{"--user", "--group", "--prompt", "--close-from", "--chdir", "--role", "--type", "--command-timeout", "--other-user", "--chroot", "--host"}, assigns: true},
		none: []string{"-e", "--edit", "-l", "--list", "-v", "--validate", "-V", "--version", "-K", "--remove-timestamp", "-h", "--help"}},
	"doas":         {spec: optSpec{short: "uC"}, none: []string{"-L"}},
	"run0":         {spec: optSpec{short: "ugD", long: []string{"--user", "--group", "--chdir", "--setenv", "--unit", "--property", "--description", "--slice", "--nice", "--machine"}}},
	"pkexec":       {spec: optSpec{long: []string{"--user"}}},
	"nohup":        {bg: true},
	"setsid":       {bg: true},
	"timeout":      {spec: optSpec{short: "sk", long: []string{"--signal", "--kill-after"}}, fixed: 1},
	"nice":         {spec: optSpec{short: "n", long: []string{"--adjustment"}, numeric: true}},
	"ionice":       {spec: optSpec{short: "cnpPu", long: []string{"--class", "--classdata", "--pid", "--pgid", "--uid"}}, none: []string{"-p", "-P", "-u", "--pid", "--pgid", "--uid"}},
	"stdbuf":       {spec: optSpec{short: "ioe", long: []string{"--input", "--output", "--error"}}},
	"time":         {spec: optSpec{short: "fo", long: []string{"--format", "--output"}}},
	"command":      {none: []string{"-v", "-V"}},
	"exec":         {spec: optSpec{short: "a"}},
	"builtin":      {},
	"chroot":       {spec: optSpec{long: []string{"--userspec", "--groups"}}, fixed: 1},
	"unshare":      {spec: optSpec{short: "SGRw", long: []string{"--setuid", "--setgid", "--root", "--wd", "--map-user", "--map-group", "--map-users", "--map-groups", "--propagation", "--setgroups"}}},
	"nsenter":      {spec: optSpec{short: "tSG", attached: "mutinpUCTrw", long: []string{"--target", "--setuid", "--setgid"}}},
	"strace":       {spec: optSpec{short: "eoOpPsSuUXbEaI"}, none: []string{"-p"}},
	"ltrace":       {spec: optSpec{short: "eoOpPsSuUXbEaIAlnwx"}, none: []string{"-p"}},
	"valgrind":     {},
	"torsocks":     {spec: optSpec{short: "uapP"}},
	"torify":       {},
	"tsocks":       {},
	"proxychains":  {spec: optSpec{short: "f"}},
	"proxychains4": {spec: optSpec{short: "f"}},
	"firejail":     {},
	"systemd-run":  {spec: optSpec{short: "upEMHd", long: []string{"--unit", "--property", "--description", "--slice", "--setenv", "--uid", "--gid", "--machine", "--host", "--working-directory", "--nice", "--on-active", "--on-boot", "--on-startup", "--on-unit-active", "--on-unit-inactive", "--on-calendar", "--timer-property", "--path-property", "--socket-property", "--service-type", "--slice-inherit"}}, bg: true},
	"taskset":      {spec: optSpec{}, fixed: 1, none: []string{"-p", "--pid"}},
	"chrt":         {spec: optSpec{short: "TPD", long: []string{"--sched-runtime", "--sched-period", "--sched-deadline"}}, fixed: 1, none: []string{"-p", "--pid", "-m", "--max"}},
	"numactl":      {spec: optSpec{short: "NmCipP", long: []string{"--cpunodebind", "--membind", "--physcpubind", "--interleave", "--preferred"}}},
	"prlimit":      {spec: optSpec{short: "po"}, none: []string{"-p", "--pid"}},
	"faketime":     {fixed: 1},
	"linux32":      {},
	"linux64":      {},
	"rlwrap":       {spec: optSpec{short: "fHlsStwCeq", attached: "apm"}},
	"unbuffer":     {},
	"catchsegv":    {},
	"caffeinate":   {spec: optSpec{short: "tw"}},
	"dotenv":       {spec: optSpec{short: "ecv"}},
	"with-contenv": {},
	"sandbox-exec": {spec: optSpec{short: "fpD"}},
	"cgexec":       {spec: optSpec{short: "g"}},
	"gosu":         {fixed: 1},
	"su-exec":      {fixed: 1},
	"setuidgid":    {fixed: 1},
	"sshpass":      {spec: optSpec{short: "pfdP"}},
	"trickle":      {spec: optSpec{short: "udwtLn"}},
	"cpulimit":     {spec: optSpec{short: "lpPe", long: []string{"--limit", "--pid", "--exe", "--path"}}, none: []string{"-p", "-P", "-e", "--pid", "--exe", "--path"}},
	"daemonize":    {spec: optSpec{short: "acelopuE"}, bg: true},
	"setpriv":      {spec: optSpec{long: []string{"--reuid", "--regid", "--ruid", "--rgid", "--euid", "--egid", "--groups", "--inh-caps", "--ambient-caps", "--bounding-set", "--securebits", "--pdeathsig", "--selinux-label", "--apparmor-profile"}}},
	"entr":         {spec: optSpec{}},
	"fakeroot":     {spec: optSpec{short: "lisb", long: []string{"--lib", "--faked", "--fd-base"}}},
	"fakechroot":   {spec: optSpec{short: "lcsde", long: []string{"--lib", "--config-dir", "--environment"}}},
	"proot":        {spec: optSpec{short: "rbmqwkvRS", long: []string{"--rootfs", "--bind", "--mount", "--qemu", "--cwd", "--pwd", "--kernel-release", "--verbose"}}},
	"chpst":        {spec: optSpec{short: "uUbe/CnlLmdopfcrt"}},
	"systemd-inhibit": {spec: optSpec{long: []string{"--what", "--who", "--why", "--mode"}},
		none: []string{"--list"}},
	"dbus-launch":           {spec: optSpec{long: []string{"--autolaunch", "--config-file"}}},
	"dbus-run-session":      {spec: optSpec{long: []string{"--config-file", "--dbus-daemon"}}},
	"dtach":                 {spec: optSpec{short: "cnANr"}, none: []string{"-a", "-p"}},
	"abduco":                {spec: optSpec{short: "cnAe"}, none: []string{"-a"}},
	"daemon":                {spec: optSpec{short: "nuRDFClboOEP", long: []string{"--name", "--user", "--chroot", "--chdir", "--pidfiles", "--pidfile", "--config", "--limit", "--output", "--stdout", "--stderr", "--errlog", "--dbglog", "--env"}}, bg: true},
	"reflex":                {spec: optSpec{short: "rRgGcd", long: []string{"--regex", "--inverse-regex", "--glob", "--inverse-glob", "--config", "--decoration"}}},
	"retry":                 {spec: optSpec{short: "tmMsdx", long: []string{"--tries", "--times", "--min", "--max", "--sleep", "--delay", "--until", "--every"}}},
	"nocache":               {},
	"logsave":               {fixed: 1},
	"run-one":               {},
	"run-this-one":          {},
	"keep-one-running":      {},
	"run-one-constantly":    {},
	"run-one-until-success": {},
	"run-one-until-failure": {},
	"chronic":               {},
	"ifne":                  {},
	"lckdo":                 {spec: optSpec{short: "W"}, fixed: 1},
	"nq":                    {spec: optSpec{short: "c"}, bg: true},
	"sem":                   {spec: optSpec{short: "jP", long: []string{"--id", "--jobs", "--semaphorename", "--semaphoretimeout", "--st"}}, bg: true},
	"eatmydata":             {},
	"tsp":                   {spec: optSpec{short: "LDWfnEgiuS"}, none: []string{"-l", "-t", "-c", "-p", "-i", "-k", "-r", "-C", "-K", "-s", "-o"}, bg: true},
	"xvfb-run":              {spec: optSpec{short: "nsfepw", long: []string{"--server-num", "--server-args", "--auth-file", "--error-file", "--xauth-protocol", "--wait"}}},
	"bundle":                {},
	"screen":                {spec: optSpec{short: "SceptThsX"}, none: []string{"-X", "-r", "-R", "-x", "-ls", "-list"}},
}

// unwrap peels one wrapper off cur. It returns the inner command's words,
// or nil when cur is the program that runs (having recorded in ch any
// shell text it runs or extra commands it starts).
func (a *analyzer) unwrap(cur []word, ch *chain, sc scope) []word {
	prog := ch.views[len(ch.views)-1].Program
	if shells[prog] {
		a.shellRunner(cur, ch)
		return nil
	}
	switch prog {
	case "eval":
		if len(cur) > 1 {
			ch.run = runner{kind: runText, text: joinWords(cur[1:]), what: "eval"}
		}
		return nil
	case "export", "declare", "typeset", "local", "readonly":
		// export GIT_SSH_COMMAND='CMD': the value is a command later
		// programs run, as it is in a prefix assignment. export NAME
		// exports the value the text gave NAME.
		for _, w := range cur[1:] {
			if isAssignment(w.s) {
				a.envCommand(w, ch)
			} else if v, ok := a.vars[w.s]; ok && v.known && w.dyn == 0 && !strings.HasPrefix(w.s, "-") {
				a.envCommand(word{s: w.s + "=" + v.val, raw: w.raw}, ch)
			}
		}
		return nil
	case "trap":
		// trap ACTION SIGNAL...: ACTION is shell text run on the signal
		// (EXIT, ERR and DEBUG fire without one being sent).
		args := cur[1:]
		if len(args) > 0 && args[0].s == "--" {
			args = args[1:]
		}
		if len(args) >= 2 && args[0].s != "-" && args[0].s != "" && !strings.HasPrefix(args[0].s, "-") {
			ch.run = runner{kind: runText, text: args[0], what: "trap"}
		}
		return nil
	case "enable":
		// enable -f FILE NAME loads a builtin from a shared object.
		for _, w := range cur[1:] {
			if strings.HasPrefix(w.s, "-") && !strings.HasPrefix(w.s, "--") && strings.Contains(w.s, "f") {
				ch.facets = append(ch.facets, opaqueFacet(quoteWords(cur), "enable -f loads a builtin from a shared object safeclaw does not read"))
				break
			}
		}
		return nil
	case "source", ".":
		if len(cur) > 1 {
			ch.run = runner{kind: runScript, script: cur[1], what: prog}
		}
		return nil
	case "env":
		return a.unwrapEnv(cur, ch)
	case "su", "runuser", "sg":
		return a.unwrapSu(prog, cur, ch)
	case "xargs":
		return a.unwrapXargs(cur, ch)
	case "find":
		a.findExtras(cur, ch)
		return nil
	case "fd", "fdfind":
		a.fdExtras(cur, ch)
		return nil
	case "git":
		a.gitExtras(cur, ch)
		return nil
	case "watch":
		return a.unwrapWatch(cur, ch)
	case "capsh":
		// capsh [OPTIONS] -- ARGS runs /bin/bash ARGS (-- -c TEXT).
		for i := 1; i < len(cur); i++ {
			if cur[i].s == "--" {
				return append([]word{{s: "bash", raw: "bash"}}, cur[i+1:]...)
			}
		}
		return nil
	case "bwrap":
		return unwrapBwrap(cur)
	case "setarch":
		// setarch ARCH [FLAGS] [PROGRAM [ARGS]] (flags take no values).
		for i := 2; i < len(cur); i++ {
			if cur[i].s == "--" {
				return cur[i+1:]
			}
			if !strings.HasPrefix(cur[i].s, "-") {
				return cur[i:]
			}
		}
		return nil
	case "flock":
		return a.unwrapFlock(cur, ch)
	case "script":
		i, seen := parseOpts(cur, 1, optSpec{short: "EIOBTmoc", attached: "t", long: []string{"--echo", "--log-in", "--log-out", "--log-io", "--log-timing", "--logging-format", "--output-limit", "--command"}})
		_ = i
		if o, ok := hasOpt(seen, "-c", "--command"); ok && o.has {
			ch.run = runner{kind: runText, text: optWord(cur, o), what: "script -c"}
		}
		return nil
	case "busybox", "toybox":
		if len(cur) > 1 && !strings.HasPrefix(cur[1].s, "-") {
			return cur[1:]
		}
		return nil
	case "ssh":
		a.sshRunner(cur, ch)
		return nil
	case "parallel":
		a.parallelRunner(cur, ch)
		return nil
	case "tmux":
		return a.unwrapTmux(cur, ch)
	case "npx", "bunx", "pnpx":
		return a.unwrapNpx(cur, 1, ch)
	case "npm", "pnpm", "yarn", "bun":
		a.commandEscapes(prog, cur, ch) // --script-shell
		return a.unwrapPackageRunner(prog, cur, ch)
	case "corepack":
		// corepack PM[@VERSION] ARGS runs that package manager.
		if len(cur) > 1 && cur[1].dyn == 0 {
			pm := stripVersion(cur[1])
			switch pm.s {
			case "npm", "npx", "pnpm", "pnpx", "yarn", "yarnpkg":
				return append([]word{pm}, cur[2:]...)
			}
		}
		return nil
	case "uvx":
		return unwrapUvx(cur, 1)
	case "uv":
		return unwrapUv(cur)
	case "pipx":
		if i := subcommand(cur, 1, optSpec{}); i > 0 && cur[i].s == "run" {
			j, _ := parseOpts(cur, i+1, optSpec{long: []string{"--spec", "--python", "--index-url", "--pip-args", "--backend"}})
			return nonEmpty(cur[j:])
		}
		return nil
	case "poetry":
		if i := subcommand(cur, 1, optSpec{short: "CP", long: []string{"--directory", "--project"}}); i > 0 && cur[i].s == "run" {
			j, _ := parseOpts(cur, i+1, optSpec{})
			return nonEmpty(cur[j:])
		}
		return nil
	case "pdm":
		if i := subcommand(cur, 1, optSpec{short: "p", long: []string{"--project", "--config"}}); i > 0 && cur[i].s == "run" {
			j, _ := parseOpts(cur, i+1, optSpec{short: "p", long: []string{"--project"}})
			return nonEmpty(cur[j:])
		}
		return nil
	case "hatch":
		if i := subcommand(cur, 1, optSpec{short: "ep", long: []string{"--env", "--project", "--data-dir", "--cache-dir", "--config"}}); i > 0 && cur[i].s == "run" {
			j, _ := parseOpts(cur, i+1, optSpec{})
			inner := nonEmpty(cur[j:])
			if len(inner) > 0 {
				if _, cmd, ok := strings.Cut(inner[0].s, ":"); ok && !strings.Contains(inner[0].s, "/") {
					inner = append([]word{lit(cmd)}, inner[1:]...)
				}
			}
			return inner
		}
		return nil
	case "pipenv", "rbenv", "pyenv", "nodenv", "goenv", "jenv", "asdf", "rye":
		if len(cur) > 2 && (cur[1].s == "run" || cur[1].s == "exec") {
			return cur[2:]
		}
		return nil
	case "conda", "mamba", "micromamba":
		if i := subcommand(cur, 1, optSpec{}); i > 0 && cur[i].s == "run" {
			j, _ := parseOpts(cur, i+1, optSpec{short: "np", long: []string{"--name", "--prefix", "--cwd"}})
			return nonEmpty(cur[j:])
		}
		return nil
	case "mise", "rtx":
		if len(cur) > 2 && (cur[1].s == "exec" || cur[1].s == "x") {
			for k := 2; k < len(cur); k++ {
				if cur[k].s == "--" {
					return nonEmpty(cur[k+1:])
				}
			}
		}
		return nil
	case "direnv":
		if len(cur) > 3 && cur[1].s == "exec" {
			return cur[3:]
		}
		return nil
	case "nvm":
		if len(cur) > 2 && (cur[1].s == "exec" || cur[1].s == "run") {
			rest := cur[2:]
			if len(rest) > 1 && looksLikeVersion(rest[0].s) {
				rest = rest[1:]
			}
			if cur[1].s == "run" {
				return append([]word{lit("node")}, rest...)
			}
			return rest
		}
		return nil
	case "docker", "podman", "nerdctl":
		return unwrapDocker(cur, ch)
	case "docker-compose", "podman-compose":
		return unwrapCompose(cur, 1)
	case "kubectl", "oc":
		return unwrapKubectl(cur)
	case "ip":
		if len(cur) > 4 && cur[1].s == "netns" && cur[2].s == "exec" {
			return cur[4:]
		}
		return nil
	case "start-stop-daemon":
		return unwrapStartStop(cur, ch)
	case "byobu":
		return a.unwrapTmux(cur, ch)
	case "entr":
		// entr -s 'CMD' runs its argument with $SHELL.
		i, seen := parseOpts(cur, 1, optSpec{})
		if _, ok := hasOpt(seen, "-s"); ok && i < len(cur) {
			ch.run = runner{kind: runText, text: joinWords(cur[i:]), what: "entr -s"}
			return nil
		}
		return nonEmpty(cur[i:])
	case "watchexec":
		return a.unwrapWatchexec(cur, ch)
	case "at", "batch":
		a.atRunner(prog, cur, ch)
		return nil
	case "pm2":
		return a.unwrapPm2(cur, ch)
	case "zellij":
		if i := subcommand(cur, 1, optSpec{short: "cls", long: []string{"--config", "--layout", "--session", "--config-dir", "--data-dir"}}); i > 0 && (cur[i].s == "run" || cur[i].s == "r") {
			for j := i + 1; j < len(cur); j++ {
				if cur[j].s == "--" {
					return nonEmpty(cur[j+1:])
				}
			}
		}
		return nil
	case "multipass":
		// multipass exec NAME [--] CMD...
		if i := subcommand(cur, 1, optSpec{}); i > 0 && cur[i].s == "exec" && i+2 < len(cur) {
			j, _ := parseOpts(cur, i+2, optSpec{short: "dn", long: []string{"--working-directory"}})
			return nonEmpty(cur[j:])
		}
		return nil
	case "limactl":
		// limactl shell [OPTIONS] INSTANCE [CMD...]
		if i := subcommand(cur, 1, optSpec{}); i > 0 && cur[i].s == "shell" {
			j, _ := parseOpts(cur, i+1, optSpec{long: []string{"--workdir", "--shell"}})
			if j+1 < len(cur) {
				return cur[j+1:]
			}
		}
		return nil
	case "lima", "orb", "orbctl":
		// lima CMD (limactl shell default CMD); orb [run] CMD.
		i, _ := parseOpts(cur, 1, optSpec{short: "mu", long: []string{"--machine", "--user", "--workdir", "--shell"}})
		if prog != "lima" && i < len(cur) && cur[i].s == "run" {
			i, _ = parseOpts(cur, i+1, optSpec{short: "mu", long: []string{"--machine", "--user", "--workdir", "--shell"}})
		} else if prog != "lima" && i < len(cur) && isSubcommandWord(cur[i].s) {
			return nil
		}
		return nonEmpty(cur[i:])
	case "distrobox", "distrobox-enter":
		for j := 1; j < len(cur); j++ {
			if cur[j].s == "--" || cur[j].s == "-e" || cur[j].s == "--exec" {
				return nonEmpty(cur[j+1:])
			}
		}
		return nil
	case "lxc", "incus":
		// lxc|incus exec INSTANCE [FLAGS] [--] CMD...
		if i := subcommand(cur, 1, optSpec{long: []string{"--project"}}); i > 0 && cur[i].s == "exec" {
			j, _ := parseOpts(cur, i+1, optSpec{long: []string{"--project"}})
			j, _ = parseOpts(cur, j+1, optSpec{long: []string{"--cwd", "--env", "--group", "--user", "--mode", "--project"}})
			if j > i+1 {
				return nonEmpty(cur[j:])
			}
		}
		return nil
	case "lxc-attach":
		// lxc-attach -n NAME [OPTIONS] [--] CMD... (no command: a shell).
		j, _ := parseOpts(cur, 1, optSpec{short: "nPaesvfugL", long: []string{"--name", "--lxcpath", "--arch", "--elevated-privileges", "--namespaces", "--set-var", "--keep-var", "--rcfile", "--uid", "--gid", "--pty-log", "--context", "--logfile", "--logpriority"}})
		return nonEmpty(cur[j:])
	case "schroot", "dchroot":
		// schroot [OPTIONS] [--] [COMMAND [ARGS]]; the chroot shares the
		// host's network.
		j, seen := parseOpts(cur, 1, optSpec{short: "cudn", long: []string{"--chroot", "--user", "--directory", "--session-name", "--option", "--config"}})
		if _, ok := hasOpt(seen, "-l", "--list", "-i", "--info", "--config", "--location", "-e", "--end-session", "-b", "--begin-session", "-h", "--help", "-V", "--version"); ok {
			return nil
		}
		return nonEmpty(cur[j:])
	case "machinectl":
		// machinectl shell [OPTIONS] [[USER@]MACHINE [PATH [ARGS]]]: the
		// program runs in the machine (by default the host: .host).
		if i := subcommand(cur, 1, optSpec{short: "MEpo", long: []string{"--machine", "--uid", "--setenv", "--property", "--output"}}); i > 0 && (cur[i].s == "shell" || cur[i].s == "login") {
			j, _ := parseOpts(cur, i+1, optSpec{short: "MEpo", long: []string{"--machine", "--uid", "--setenv", "--property", "--output"}})
			if cur[i].s == "shell" && j+1 < len(cur) {
				return cur[j+1:]
			}
		}
		return nil
	case "wsl", "wsl.exe":
		return a.unwrapWsl(cur, ch)
	case "vagrant":
		// vagrant ssh [NAME] [-c|--command CMD] [-- SSH ARGS]: the command is
		// shell text run in the VM; arguments after -- are ssh's own.
		if i := subcommand(cur, 1, optSpec{}); i > 0 && cur[i].s == "ssh" {
			for k := i + 1; k < len(cur); k++ {
				w := cur[k]
				switch {
				case (w.s == "-c" || w.s == "--command") && k+1 < len(cur):
					ch.run = runner{kind: runText, text: cur[k+1], what: "vagrant ssh -c"}
					k++
				case strings.HasPrefix(w.s, "--command="):
					x := w
					x.s = strings.TrimPrefix(w.s, "--command=")
					ch.run = runner{kind: runText, text: x, what: "vagrant ssh -c"}
				case w.s == "--":
					if ch.run.kind == runNone && k+1 < len(cur) {
						inner := append([]word{lit("ssh")}, cur[k+1:]...)
						return append(inner, lit("vagrant"))
					}
					return nil
				}
			}
		}
		return nil
	case "toolbox":
		if i := subcommand(cur, 1, optSpec{}); i > 0 && cur[i].s == "run" {
			j, _ := parseOpts(cur, i+1, optSpec{short: "cdr", long: []string{"--container", "--distro", "--release"}})
			return nonEmpty(cur[j:])
		}
		return nil
	case "xterm", "uxterm", "urxvt", "rxvt", "konsole", "xfce4-terminal", "gnome-terminal", "mate-terminal",
		"lxterminal", "terminator", "tilix", "alacritty", "kitty", "foot", "st", "qterminal", "sakura", "terminology", "wezterm", "x-terminal-emulator":
		return a.unwrapTerminal(cur, ch)
	case "scp", "sftp":
		_, seen := parseOpts(cur, 1, optSpec{short: "cDFiJloPSX"})
		a.sshCommandOptions(seen, ch, prog)
		// -S PROGRAM replaces ssh for the connection.
		if o, ok := hasOpt(seen, "-S"); ok && o.has {
			ch.extras = append(ch.extras, extra{words: []word{optWord(cur, o)}, origin: prog + " -S"})
		}
		return nil
	case "rsync":
		for j := 1; j < len(cur); j++ {
			w := cur[j]
			switch {
			case (w.s == "-e" || w.s == "--rsh") && j+1 < len(cur):
				x := cur[j+1]
				ch.extras = append(ch.extras, extra{text: &x, origin: "rsync " + w.s})
				j++
			case strings.HasPrefix(w.s, "--rsh="):
				x := w
				x.s = strings.TrimPrefix(w.s, "--rsh=")
				ch.extras = append(ch.extras, extra{text: &x, origin: "rsync --rsh"})
			case len(w.s) > 2 && w.s[0] == '-' && w.s[1] != '-' && strings.HasSuffix(w.s, "e") && j+1 < len(cur):
				// -avze 'ssh -p 2222'
				x := cur[j+1]
				ch.extras = append(ch.extras, extra{text: &x, origin: "rsync -e"})
				j++
			}
		}
		return nil
	}
	if a.commandEscapes(prog, cur, ch) {
		return nil
	}
	wr, ok := wrappers[prog]
	if !ok {
		return nil
	}
	i, seen := parseOpts(cur, 1, wr.spec)
	if len(wr.none) > 0 {
		if _, ok := hasOpt(seen, wr.none...); ok {
			return nil
		}
	}
	switch prog {
	case "sudo":
		if _, ok := hasOpt(seen, "-b", "--background"); ok {
			ch.bg = true
		}
	case "bundle":
		if i >= len(cur) || cur[i].s != "exec" {
			return nil
		}
		i++
	case "screen":
		_, d := hasOpt(seen, "-d", "-D")
		_, m := hasOpt(seen, "-m")
		if d && m {
			ch.bg = true
		}
	}
	if wr.bg {
		ch.bg = true
	}
	i += wr.fixed
	if i >= len(cur) {
		return nil
	}
	return cur[i:]
}

func nonEmpty(ws []word) []word {
	if len(ws) == 0 {
		return nil
	}
	return ws
}

func looksLikeVersion(s string) bool {
	s = strings.TrimPrefix(s, "v")
	if s == "" {
		return false
	}
	switch s {
	case "node", "stable", "system", "default", "current", "lts/*", "iojs":
		return true
	}
	if strings.HasPrefix(s, "lts/") {
		return true
	}
	return s[0] >= '0' && s[0] <= '9'
}

// subcommand returns the index of the first non-option word from start,
// skipping global options read with spec; -1 when there is none.
func subcommand(ws []word, start int, spec optSpec) int {
	i, _ := parseOpts(ws, start, spec)
	if i >= len(ws) {
		return -1
	}
	return i
}

// optWord is the value of an option as a word (keeping whether it is dynamic).
func optWord(ws []word, o opt) word {
	for _, w := range ws {
		if w.s == o.val || o.val != "" && strings.HasPrefix(w.s, "-") && strings.HasSuffix(w.s, o.val) {
			x := w
			x.s = o.val
			return x
		}
	}
	return lit(o.val)
}

// joinWords joins words with spaces, the way eval, ssh and watch build
// the text they hand to a shell.
func joinWords(ws []word) word {
	var b strings.Builder
	var out word
	for i, w := range ws {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(w.s)
		if w.dyn != 0 {
			out.dyn |= w.dyn
			out.raw = w.raw
		}
		out.net = out.net || w.net
	}
	out.s = b.String()
	if out.raw == "" {
		out.raw = out.s
	}
	return out
}

// quoteWords renders words as shell text that parses back into the same
// words; dynamic words keep their source text so they stay dynamic.
func quoteWords(ws []word) string {
	var b strings.Builder
	for i, w := range ws {
		if i > 0 {
			b.WriteByte(' ')
		}
		if w.dyn != 0 {
			b.WriteString(w.raw)
			continue
		}
		q, err := syntax.Quote(w.s, syntax.LangBash)
		if err != nil {
			q = "''"
		}
		b.WriteString(q)
	}
	return b.String()
}

// shellRunner reads a shell's options: -c TEXT, a script file, or stdin.
func (a *analyzer) shellRunner(ws []word, ch *chain) {
	cFlag, stdin, inter := false, false, false
	i := 1
	for i < len(ws) {
		w := ws[i].s
		if w == "--" || w == "-" {
			i++
			if w == "-" {
				stdin = true
			}
			break
		}
		if strings.HasPrefix(w, "--") {
			switch w {
			case "--rcfile", "--init-file":
				i++
			case "--command":
				cFlag = true
			case "--interactive":
				inter = true
			}
			i++
			continue
		}
		if len(w) > 1 && (w[0] == '-' || w[0] == '+') {
			for j := 1; j < len(w); j++ {
				switch w[j] {
				case 'c':
					cFlag = true
				case 'i':
					inter = true
				case 's':
					stdin = true
				case 'o', 'O':
					i++ // -o OPTION
				}
			}
			i++
			continue
		}
		break
	}
	switch {
	case cFlag && i < len(ws):
		text := ws[i]
		if i+1 < len(ws) && text.dyn == 0 && !ch.argsFromStdin {
			// sh -c 'nc "$@"' _ -l 4444: the arguments are $0, $1, ...
			if s, ok := withPositional(text.s, ws[i+1:]); ok {
				text.s = s
			}
		}
		ch.run = runner{kind: runText, text: text, interactive: inter, what: ch.views[len(ch.views)-1].Program + " -c"}
	case cFlag:
		// -c without text (xargs sh -c appends it at run time).
		ch.codeMissing = true
	case stdin || i >= len(ws):
		ch.run = runner{kind: runStdin, interactive: inter}
	default:
		ch.run = runner{kind: runScript, script: ws[i], interactive: inter}
	}
}

// unwrapEnv peels env [OPTIONS] [NAME=VALUE]... [COMMAND [ARG]...].
func (a *analyzer) unwrapEnv(ws []word, ch *chain) []word {
	// "-" alone means -i.
	start := 1
	for start < len(ws) && ws[start].s == "-" {
		start++
	}
	i, seen := parseOpts(ws, start, optSpec{short: "uCS", long: []string{"--unset", "--chdir", "--split-string"}, assigns: false})
	j := i
	// env takes any word with = for an assignment (BASH_FUNC_f%%=...).
	for j < len(ws) && strings.IndexByte(ws[j].s, '=') > 0 {
		a.envCommand(ws[j], ch)
		j++
	}
	if o, ok := hasOpt(seen, "-S", "--split-string"); ok && o.has {
		t := optWord(ws, o)
		t.s = t.s + " " + quoteWords(ws[j:])
		ch.run = runner{kind: runText, text: t, what: "env -S"}
		return nil
	}
	if j >= len(ws) {
		return nil
	}
	return ws[j:]
}

// promptVars are the prompt strings a shell expands, command
// substitutions included, when it shows them.
var promptVars = map[string]bool{"PS0": true, "PS1": true, "PS2": true, "PS3": true, "PS4": true}

// promptEOF ends the here-document a prompt is analysed as.
const promptEOF = "SAFECLAW_PROMPT_END"

// envCommands are environment variables whose value is a command that a
// program runs through a shell.
var envCommands = map[string]bool{
	"GIT_SSH_COMMAND": true, "GIT_PAGER": true, "GIT_EDITOR": true, "GIT_SEQUENCE_EDITOR": true,
	"GIT_EXTERNAL_DIFF": true, "GIT_PROXY_COMMAND": true, "PAGER": true, "MANPAGER": true,
	"EDITOR": true, "VISUAL": true, "LESSOPEN": true, "PROMPT_COMMAND": true, "RSYNC_RSH": true,
	"LESSCLOSE": true, "GIT_ASKPASS": true, "SSH_ASKPASS": true, "SUDO_ASKPASS": true, "GIT_SSH": true,
	"SYSTEMD_PAGER": true, "SYSTEMD_EDITOR": true, "SUDO_EDITOR": true, "KUBE_EDITOR": true, "FCEDIT": true,
	"FZF_DEFAULT_COMMAND": true, "CVS_RSH": true, "BROWSER": true, "HGEDITOR": true, "GH_PAGER": true, "GH_EDITOR": true,
	"npm_config_script_shell": true, "NPM_CONFIG_SCRIPT_SHELL": true, "RUSTC_WRAPPER": true,
	"RUSTC_WORKSPACE_WRAPPER": true, "CARGO_BUILD_RUSTC_WRAPPER": true,
}

// envCommand records an assignment's value as an extra command when the
// variable names one.
func (a *analyzer) envCommand(w word, ch *chain) {
	name, val, _ := strings.Cut(w.s, "=")
	if ch.env == nil {
		ch.env = map[string]word{}
	}
	ch.env[name] = w
	if strings.HasPrefix(name, "BASH_FUNC_") {
		// An exported function (BASH_FUNC_NAME%%='() { BODY; }'): bash
		// defines it at start and runs BODY whenever NAME is called.
		fn := strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(name, "BASH_FUNC_"), "%%"), "()")
		v := w
		v.s = "function " + fn + " " + strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(val), "()"))
		ch.extras = append(ch.extras, extra{text: &v, origin: name})
		return
	}
	if promptVars[name] && strings.ContainsAny(val, "$`") {
		// A prompt is expanded as a here-document's body is: its command
		// substitutions run each time it is shown (PS4 under set -x).
		v := w
		v.s = ": <<" + promptEOF + "\n" + val + "\n" + promptEOF + "\n"
		ch.extras = append(ch.extras, extra{text: &v, origin: name})
		return
	}
	if name == "BASH_ENV" || name == "ENV" {
		v := w
		v.s = val
		v.raw = strings.TrimPrefix(w.raw, name+"=")
		ch.startup = append(ch.startup, v)
		return
	}
	if why := catalog.CodeLoadingEnv(name, val); why != "" {
		ch.facets = append(ch.facets, opaqueFacet(w.s, why))
		return
	}
	if name == "GOFLAGS" {
		goFlagsEscapes(w, val, ch, name)
		return
	}
	if buildProgramEnv(w, name, val, ch, name) {
		return
	}
	if !envCommands[name] || strings.TrimSpace(val) == "" {
		return
	}
	v := w
	v.s = strings.TrimPrefix(val, "|") // LESSOPEN="|cmd %s"
	ch.extras = append(ch.extras, extra{text: &v, origin: name})
}

// unwrapSu handles su/runuser [-c TEXT] and sg GROUP [-c] TEXT.
func (a *analyzer) unwrapSu(prog string, ws []word, ch *chain) []word {
	if prog == "sg" {
		i, seen := parseOpts(ws, 1, optSpec{short: "c"})
		if o, ok := hasOpt(seen, "-c"); ok && o.has {
			ch.run = runner{kind: runText, text: optWord(ws, o), what: "sg -c"}
			return nil
		}
		if i+1 < len(ws) {
			k, seen := parseOpts(ws, i+1, optSpec{short: "c"})
			if o, ok := hasOpt(seen, "-c"); ok && o.has {
				ch.run = runner{kind: runText, text: optWord(ws, o), what: "sg -c"}
				return nil
			}
			if k < len(ws) {
				ch.run = runner{kind: runText, text: joinWords(ws[k:]), what: "sg"}
			}
		}
		return nil
	}
	// GNU su and runuser read options anywhere on the line.
	spec := optSpec{short: "cCsgGwu", long: []string{"--command", "--session-command", "--shell", "--group", "--supp-group", "--whitelist-environment", "--user"}}
	i := 1
	for i < len(ws) {
		j, seen := parseOpts(ws, i, spec)
		if o, ok := hasOpt(seen, "-c", "-C", "--command", "--session-command"); ok && o.has {
			ch.run = runner{kind: runText, text: optWord(ws, o), what: prog + " -c"}
			return nil
		}
		if prog == "runuser" {
			if _, ok := hasOpt(seen, "-u", "--user"); ok && j < len(ws) {
				return ws[j:]
			}
		}
		if j > 0 && ws[j-1].s == "--" && prog == "runuser" && j < len(ws) {
			return ws[j:]
		}
		if j >= len(ws) {
			break
		}
		i = j + 1 // skip a positional (-, the user name)
	}
	return nil
}

// unwrapXargs peels xargs [OPTIONS] [COMMAND [ARGS]]. Words it reads from a
// literal stdin are substituted; otherwise its placeholder stays in view.
func (a *analyzer) unwrapXargs(ws []word, ch *chain) []word {
	i, seen := parseOpts(ws, 1, optSpec{
		short: "adEILnPs", attached: "eil",
		long: []string{"--arg-file", "--delimiter", "--max-args", "--max-procs", "--max-chars", "--process-slot-var"},
	})
	cmd := ws[i:]
	if len(cmd) == 0 {
		cmd = []word{lit("echo")}
	}
	ph := ""
	if o, ok := hasOpt(seen, "-I"); ok && o.has {
		ph = o.val
	} else if o, ok := hasOpt(seen, "-i", "--replace"); ok {
		ph = "{}"
		if o.has && o.val != "" {
			ph = o.val
		}
	}
	in := ch.stdin
	ch.stdin = nil
	_, fromFile := hasOpt(seen, "-a", "--arg-file")
	if !fromFile && in != nil && in.kind == streamLiteral && in.known && in.dyn == 0 {
		var items []string
		if ph != "" {
			for _, l := range strings.Split(in.text, "\n") {
				if l = strings.TrimLeft(l, " \t"); l != "" {
					items = append(items, l)
				}
			}
		} else {
			items = strings.Fields(in.text)
		}
		if len(items) > 0 && len(items) <= 64 {
			var lines []string
			if ph != "" {
				for _, it := range items {
					sub := make([]word, len(cmd))
					for k, w := range cmd {
						sub[k] = w
						if strings.Contains(w.s, ph) {
							sub[k] = lit(strings.ReplaceAll(w.s, ph, it))
						}
					}
					lines = append(lines, quoteWords(sub))
				}
			} else {
				all := append(append([]word(nil), cmd...), wordsOf(items)...)
				lines = append(lines, quoteWords(all))
			}
			ch.run = runner{kind: runText, text: lit(strings.Join(lines, "\n")), what: "xargs"}
			return nil
		}
	}
	if ph != "" {
		ch.placeholders = append(ch.placeholders, ph)
	} else {
		ch.argsFromStdin = true
	}
	return cmd
}

func wordsOf(ss []string) []word {
	out := make([]word, len(ss))
	for i, s := range ss {
		out[i] = lit(s)
	}
	return out
}

// findExtras records the commands find runs (-exec, -execdir, -ok, -okdir)
// and the deletions it makes (-delete).
func (a *analyzer) findExtras(ws []word, ch *chain) {
	i := 1
	for i < len(ws) && (ws[i].s == "-H" || ws[i].s == "-L" || ws[i].s == "-P" || strings.HasPrefix(ws[i].s, "-O") || ws[i].s == "-D") {
		if ws[i].s == "-D" {
			i++
		}
		i++
	}
	var starts []word
	for i < len(ws) {
		s := ws[i].s
		if strings.HasPrefix(s, "-") || s == "(" || s == "!" || s == "\\(" {
			break
		}
		starts = append(starts, ws[i])
		i++
	}
	if len(starts) == 0 {
		starts = []word{lit(".")}
	}
	for ; i < len(ws); i++ {
		switch ws[i].s {
		case "-delete":
			for _, s := range starts {
				if s.dyn == 0 {
					// The catalogue records what a static start loses: each
					// existing path the tests before -delete select, or the
					// whole start when it cannot bound them.
					continue
				}
				detail := "find -delete (path not known statically: " + s.raw + ")"
				ch.facets = append(ch.facets, action.Action{Kind: action.FileDelete, Path: s.s, Detail: detail})
			}
		case "-exec", "-execdir", "-ok", "-okdir":
			origin := "find " + ws[i].s
			j := i + 1
			for ; j < len(ws); j++ {
				if ws[j].s == ";" || (ws[j].s == "+" && j > i+1 && ws[j-1].s == "{}") {
					break
				}
			}
			if cmd := ws[i+1 : j]; len(cmd) > 0 {
				ch.extras = append(ch.extras, extra{words: cmd, origin: origin, placeholder: "{}", resolved: true})
			}
			i = j
		case "-fprint", "-fprint0", "-fls", "-fprintf":
			if i+1 < len(ws) {
				t := ws[i+1]
				ch.facets = append(ch.facets, action.Action{Kind: action.FileWrite, Path: catalog.CanonicalPath(t.s, a.cwd, a.env.Home), Detail: "find " + ws[i].s})
				i++
			}
		}
	}
}

// fdCommand is the command fd -x/-X runs, as the analyser reads it: fd's
// path placeholders ({}, {/}, {//}, {.}, {/.}) all stand for "{}", and a
// command holding none gets the path appended, as fd does.
func fdCommand(cmd []word) []word {
	out := make([]word, len(cmd), len(cmd)+1)
	has := false
	for i, w := range cmd {
		for _, ph := range []string{"{/.}", "{//}", "{/}", "{.}"} {
			w.s = strings.ReplaceAll(w.s, ph, "{}")
		}
		has = has || strings.Contains(w.s, "{}")
		out[i] = w
	}
	if !has {
		out = append(out, lit("{}"))
	}
	return out
}

// fdExtras records the command fd runs with -x/--exec or -X/--exec-batch.
func (a *analyzer) fdExtras(ws []word, ch *chain) {
	for i := 1; i < len(ws); i++ {
		switch ws[i].s {
		case "-x", "--exec", "-X", "--exec-batch":
			j := i + 1
			for ; j < len(ws) && ws[j].s != ";"; j++ {
			}
			if cmd := ws[i+1 : j]; len(cmd) > 0 {
				ch.extras = append(ch.extras, extra{words: fdCommand(cmd), origin: "fd " + ws[i].s, placeholder: "{}"})
			}
			i = j
		}
	}
}

// gitCommandKeys are git configuration keys whose value is a shell command.
var gitCommandKeys = map[string]bool{
	"core.pager": true, "core.sshcommand": true, "core.editor": true, "core.fsmonitor": true,
	"sequence.editor": true, "diff.external": true, "core.askpass": true, "gpg.program": true,
	"core.gitproxy": true, "diff.tool": false,
}

// gitOwnExecPath reports the directories git is installed with its
// helpers in: GIT_EXEC_PATH naming one changes nothing.
func gitOwnExecPath(dir string) bool {
	switch path.Clean(dir) {
	case "/usr/lib/git-core", "/usr/libexec/git-core", "/usr/local/libexec/git-core", "/usr/local/lib/git-core",
		"/opt/homebrew/libexec/git-core", "/Library/Developer/CommandLineTools/usr/libexec/git-core",
		"/Applications/Xcode.app/Contents/Developer/usr/libexec/git-core":
		return true
	}
	return false
}

// gitExtras records the commands git -c settings make git run.
func (a *analyzer) gitExtras(ws []word, ch *chain) {
	var execPath word
	execOrigin := "git --exec-path"
	i := 1
	for i < len(ws) {
		s := ws[i].s
		if !strings.HasPrefix(s, "-") {
			break
		}
		switch {
		case s == "-c" && i+1 < len(ws):
			a.gitConfig(ws[i+1], ch)
			i += 2
			continue
		case strings.HasPrefix(s, "-c") && len(s) > 2:
			w := ws[i]
			w.s = s[2:]
			a.gitConfig(w, ch)
		case s == "-C" || s == "--git-dir" || s == "--work-tree" || s == "--namespace" || s == "--config-env":
			i++
		case strings.HasPrefix(s, "--exec-path="):
			execPath = ws[i]
			execPath.s = strings.TrimPrefix(s, "--exec-path=")
		}
		i++
	}
	if execPath.s == "" && i < len(ws) {
		// GIT_EXEC_PATH moves it as --exec-path does; git also puts it
		// first in the PATH of the programs it runs (its pager, editor).
		if w, ok := a.envWord(ch, "GIT_EXEC_PATH"); ok {
			_, v, _ := strings.Cut(w.s, "=")
			if v != "" && !gitOwnExecPath(v) {
				execPath = w
				execPath.s = v
				execOrigin = "GIT_EXEC_PATH"
			}
		}
	}
	if execPath.s != "" && i < len(ws) {
		// git --exec-path=DIR SUB runs DIR/git-SUB (a program this text
		// may have put there: ln -s /bin/sh DIR/git-x).
		p := execPath
		p.s = strings.TrimSuffix(p.s, "/") + "/git-" + ws[i].s
		p.dyn |= ws[i].dyn
		ch.extras = append(ch.extras, extra{words: append([]word{p}, ws[i+1:]...), origin: execOrigin})
	}
	if i < len(ws) && ws[i].s == "clone" {
		a.gitCloneOptions(ws[i+1:], ch)
	}
	if i < len(ws) {
		gitSubcommandExtras(ws[i].s, ws[i+1:], ch)
		if ws[i].s == "config" {
			a.gitConfigSet(ws[i+1:], ch)
		}
	}
	// git clone/fetch 'ext::CMD' runs CMD through the ext remote helper.
	for _, w := range ws[i:] {
		if rest, ok := strings.CutPrefix(w.s, "ext::"); ok {
			v := w
			v.s = quoteWords(wordsOf(extWords(rest)))
			ch.extras = append(ch.extras, extra{text: &v, origin: "git ext:: remote"})
		}
	}
}

// gitCloneOptions handles git clone -c/--config KEY=VALUE (set in the new
// repository before it fetches and checks out, so a key that names a
// command runs it, as git -c does) and --template=DIR (its hooks are
// copied in and run at checkout: opaque, the directory is not read).
func (a *analyzer) gitCloneOptions(args []word, ch *chain) {
	for j := 0; j < len(args); j++ {
		s := args[j].s
		if s == "--" {
			return
		}
		w := args[j]
		switch {
		case (s == "-c" || s == "--config") && j+1 < len(args):
			a.gitConfig(args[j+1], ch)
			j++
		case strings.HasPrefix(s, "--config="):
			w.s = strings.TrimPrefix(s, "--config=")
			a.gitConfig(w, ch)
		case strings.HasPrefix(s, "-c") && len(s) > 2 && !strings.HasPrefix(s, "--"):
			w.s = s[2:]
			a.gitConfig(w, ch)
		case s == "--template" && j+1 < len(args), strings.HasPrefix(s, "--template="):
			ch.facets = append(ch.facets, opaqueFacet(s, "git clone --template copies in hooks from a directory safeclaw does not read"))
		}
	}
}

// extWords splits git's ext:: command: spaces separate words, "% " is a
// literal space and "%%" a literal percent sign.
func extWords(s string) []string {
	var out []string
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '%' && i+1 < len(s) && (s[i+1] == ' ' || s[i+1] == '%'):
			b.WriteByte(s[i+1])
			i++
		case s[i] == ' ':
			if b.Len() > 0 {
				out = append(out, b.String())
				b.Reset()
			}
		default:
			b.WriteByte(s[i])
		}
	}
	if b.Len() > 0 {
		out = append(out, b.String())
	}
	return out
}

// gitConfigSet reads git config [SCOPE] [set] KEY VALUE: a key that names
// a command (core.pager, alias.x=!CMD) makes later git commands run it,
// so the command is an extra of the config command itself, as git -c is.
func (a *analyzer) gitConfigSet(args []word, ch *chain) {
	var pos []word
	for k := 0; k < len(args); k++ {
		s := args[k].s
		switch {
		case s == "-f" || s == "--file" || s == "--blob" || s == "--type" || s == "--default" || s == "--comment":
			k++
		case s == "--get" || s == "--get-all" || s == "--get-regexp" || s == "--get-urlmatch" || s == "--unset" ||
			s == "--unset-all" || s == "-l" || s == "--list" || s == "-e" || s == "--edit" ||
			s == "--remove-section" || s == "--rename-section" || s == "--get-color" || s == "--get-colorbool":
			return
		case strings.HasPrefix(s, "-"):
		default:
			pos = append(pos, args[k])
		}
	}
	if len(pos) > 0 && pos[0].s == "set" {
		pos = pos[1:]
	} else if len(pos) > 0 && (pos[0].s == "get" || pos[0].s == "unset" || pos[0].s == "list" || pos[0].s == "edit" ||
		pos[0].s == "rename-section" || pos[0].s == "remove-section") {
		return
	}
	if len(pos) < 2 {
		return
	}
	w := pos[1]
	w.s = pos[0].s + "=" + pos[1].s
	w.dyn |= pos[0].dyn
	a.gitConfig(w, ch)
}

func (a *analyzer) gitConfig(w word, ch *chain) {
	key, val, ok := strings.Cut(w.s, "=")
	if !ok {
		return
	}
	key = strings.ToLower(key)
	if key == "core.hookspath" && val != "" {
		// Hooks run from this directory from now on (see gitHooks).
		if w.dyn != 0 {
			ch.facets = append(ch.facets, opaqueFacet(w.raw, "git hooks from a directory not known statically: "+clip(w.raw)))
		} else {
			a.hookDirs = append(a.hookDirs, a.fileKey(val))
		}
		return
	}
	v := w
	switch {
	case strings.HasPrefix(key, "alias.") || key == "credential.helper" || strings.HasPrefix(key, "credential.") && strings.HasSuffix(key, ".helper"):
		if !strings.HasPrefix(val, "!") {
			return
		}
		v.s = val[1:]
	case gitCommandKeys[key] || strings.HasPrefix(key, "pager.") || strings.HasPrefix(key, "difftool.") && strings.HasSuffix(key, ".cmd") ||
		strings.HasPrefix(key, "mergetool.") && strings.HasSuffix(key, ".cmd") || strings.HasPrefix(key, "filter.") && (strings.HasSuffix(key, ".clean") || strings.HasSuffix(key, ".smudge") || strings.HasSuffix(key, ".process")):
		if val == "" || val == "true" || val == "false" {
			return
		}
		v.s = val
	default:
		return
	}
	ch.extras = append(ch.extras, extra{text: &v, origin: "git -c " + key})
}

// unwrapWatch peels watch [OPTIONS] COMMAND: without -x the words are
// joined and run by sh -c.
func (a *analyzer) unwrapWatch(ws []word, ch *chain) []word {
	i, seen := parseOpts(ws, 1, optSpec{short: "nq", attached: "d", long: []string{"--interval", "--equexit"}})
	if i >= len(ws) {
		return nil
	}
	if _, ok := hasOpt(seen, "-x", "--exec"); ok {
		return ws[i:]
	}
	ch.run = runner{kind: runText, text: joinWords(ws[i:]), what: "watch"}
	return nil
}

// unwrapFlock peels flock [OPTIONS] FILE (COMMAND... | -c TEXT).
func (a *analyzer) unwrapFlock(ws []word, ch *chain) []word {
	spec := optSpec{short: "wEc", long: []string{"--timeout", "--wait", "--conflict-exit-code", "--command"}}
	i, seen := parseOpts(ws, 1, spec)
	if o, ok := hasOpt(seen, "-c", "--command"); ok && o.has {
		ch.run = runner{kind: runText, text: optWord(ws, o), what: "flock -c"}
		return nil
	}
	if i >= len(ws) {
		return nil
	}
	j, seen := parseOpts(ws, i+1, spec)
	if o, ok := hasOpt(seen, "-c", "--command"); ok && o.has {
		ch.run = runner{kind: runText, text: optWord(ws, o), what: "flock -c"}
		return nil
	}
	if j >= len(ws) {
		return nil
	}
	return ws[j:]
}

// sshRunner reads ssh [OPTIONS] HOST [COMMAND...]: the remote command words
// are joined into text for the remote shell.
func (a *analyzer) sshRunner(ws []word, ch *chain) {
	spec := optSpec{short: "BbcDEeFIiJLlmOoPpQRSWw"}
	i, seen := parseOpts(ws, 1, spec)
	if i >= len(ws) {
		return
	}
	// OpenSSH also reads options after the destination (ssh host -L 1:h:2 -N);
	// the remote command starts at the next plain word.
	j, after := parseOpts(ws, i+1, spec)
	a.sshCommandOptions(seen, ch, "ssh")
	a.sshCommandOptions(after, ch, "ssh")
	if _, ok := hasOpt(seen, "-N"); ok {
		return
	}
	if _, ok := hasOpt(after, "-N"); ok {
		return
	}
	rest := ws[j:]
	if len(rest) > 0 && rest[0].s == "--" {
		rest = rest[1:]
	}
	if len(rest) > 0 {
		ch.run = runner{kind: runText, text: joinWords(rest), remote: true, what: "ssh"}
		return
	}
	// ssh HOST <<EOF ... EOF: the remote shell reads commands from stdin.
	if in := ch.stdin; in != nil && in.kind == streamLiteral && in.known {
		t := word{s: in.text, raw: in.text, dyn: in.dyn}
		ch.run = runner{kind: runText, text: t, remote: true, what: "ssh"}
		ch.stdin = nil
	}
}

// parallelRunner reads GNU parallel [OPTIONS] [COMMAND] ::: ARGS: the
// command (or each argument, when there is no command) is shell text.
func (a *analyzer) parallelRunner(ws []word, ch *chain) {
	i, seen := parseOpts(ws, 1, optSpec{
		short: "jPSadEInNLCX",
		long: []string{"--jobs", "--max-procs", "--sshlogin", "--arg-file", "--delimiter", "--max-args", "--max-lines",
			"--colsep", "--joblog", "--results", "--res", "--tmpdir", "--workdir", "--wd", "--timeout", "--delay",
			"--retries", "--env", "--sshloginfile", "--slf", "--basefile", "--bf", "--return", "--transfer-file", "--tf",
			"--tagstring", "--load", "--memfree", "--halt", "--termseq", "--limit", "--replace"},
	})
	ph := "{}"
	if o, ok := hasOpt(seen, "-I", "--replace"); ok && o.has && o.val != "" {
		ph = o.val
	}
	var cmd, args []word
	j := i
	for ; j < len(ws) && !strings.HasPrefix(ws[j].s, ":::"); j++ {
		cmd = append(cmd, ws[j])
	}
	literalArgs := j < len(ws) && ws[j].s == ":::"
	for k := j + 1; k < len(ws); k++ {
		if strings.HasPrefix(ws[k].s, ":::") {
			literalArgs = literalArgs && ws[k].s == ":::"
			continue
		}
		args = append(args, ws[k])
	}
	var lines []string
	dyn := dynKind(0)
	switch {
	case len(cmd) == 0 && literalArgs:
		for _, w := range args {
			lines = append(lines, w.s)
			dyn |= w.dyn
		}
	case len(cmd) > 0 && literalArgs && len(args) > 0 && len(args) <= 64:
		tmpl := joinWords(cmd)
		dyn |= tmpl.dyn
		for _, w := range args {
			dyn |= w.dyn
			if strings.Contains(tmpl.s, ph) {
				lines = append(lines, replacePlaceholders(tmpl.s, ph, w.s))
			} else {
				lines = append(lines, tmpl.s+" "+quoteWords([]word{w}))
			}
		}
	case len(cmd) > 0:
		t := joinWords(cmd)
		dyn |= t.dyn
		lines = []string{t.s}
		ch.placeholders = append(ch.placeholders, ph)
	default:
		return
	}
	text := strings.Join(lines, "\n")
	ch.run = runner{kind: runText, text: word{s: text, raw: text, dyn: dyn}, what: "parallel"}
}

// replacePlaceholders substitutes GNU parallel's {} (and {.} {/} ...
// forms) with a quoted argument.
func replacePlaceholders(tmpl, ph, arg string) string {
	q, err := syntax.Quote(arg, syntax.LangBash)
	if err != nil {
		q = "''"
	}
	return strings.ReplaceAll(tmpl, ph, q)
}

// unwrapTmux handles tmux new-session/new-window/split-window 'CMD' and
// send-keys 'CMD' Enter: the command is shell text.
func (a *analyzer) unwrapTmux(ws []word, ch *chain) []word {
	i := subcommand(ws, 1, optSpec{short: "LSfc"})
	if i < 0 {
		return nil
	}
	sub := ws[i].s
	switch sub {
	case "new-session", "new", "new-window", "neww", "split-window", "splitw", "respawn-pane", "respawnp", "respawn-window", "respawnw":
		j, seen := parseOpts(ws, i+1, optSpec{short: "sncStFxyeElbp"})
		if j >= len(ws) {
			return nil
		}
		if _, ok := hasOpt(seen, "-d"); ok && (sub == "new-session" || sub == "new") {
			ch.bg = true
		}
		ch.run = runner{kind: runText, text: joinWords(ws[j:]), what: "tmux " + sub}
	case "run-shell", "run", "if-shell", "if", "display-popup", "popup", "pipe-pane", "pipep":
		// run-shell [-bC] [-c DIR] [-d DELAY] [-t PANE] [CMD]; if-shell [-bF]
		// [-t PANE] CMD TMUX-CMD...; display-popup [...] [CMD]; pipe-pane
		// [-IOo] [-t PANE] [CMD]. -C (run-shell) and -F (if-shell) make
		// the text a tmux command or format, not shell text.
		spec := optSpec{short: "cdt"}
		if sub == "display-popup" || sub == "popup" {
			spec = optSpec{short: "bcdehstxywST"}
		}
		j, seen := parseOpts(ws, i+1, spec)
		if _, ok := hasOpt(seen, "-C", "-F"); ok || j >= len(ws) {
			return nil
		}
		text := ws[j]
		if sub != "if-shell" && sub != "if" {
			text = joinWords(ws[j:])
		}
		ch.run = runner{kind: runText, text: text, what: "tmux " + sub}
	case "send-keys", "send":
		j, _ := parseOpts(ws, i+1, optSpec{short: "tN"})
		var keys []word
		for _, w := range ws[j:] {
			switch w.s {
			case "Enter", "C-m", "KPEnter", "C-j":
				continue
			}
			keys = append(keys, w)
		}
		if len(keys) > 0 {
			ch.run = runner{kind: runText, text: joinWords(keys), what: "tmux send-keys"}
		}
	}
	return nil
}

// unwrapNpx peels npx/bunx/pnpx [OPTIONS] PACKAGE[@VERSION] [ARGS]; -c/--call
// runs shell text.
func (a *analyzer) unwrapNpx(ws []word, start int, ch *chain) []word {
	i, seen := parseOpts(ws, start, optSpec{
		short: "pcw",
		long:  []string{"--package", "--call", "--cache", "--registry", "--userconfig", "--workspace", "--node-options", "--prefix", "--shell", "--loglevel"},
	})
	if o, ok := hasOpt(seen, "-c", "--call"); ok && o.has {
		ch.run = runner{kind: runText, text: optWord(ws, o), what: "npx -c"}
		return nil
	}
	if _, ok := hasOpt(seen, "--shell-mode"); ok && i < len(ws) {
		ch.run = runner{kind: runText, text: joinWords(ws[i:]), what: "pnpm --shell-mode"}
		return nil
	}
	if i >= len(ws) {
		return nil
	}
	inner := append([]word(nil), ws[i:]...)
	inner[0] = stripVersion(inner[0])
	return inner
}

// stripVersion drops an npm-style @version from a package word
// (http-server@14 → http-server, @scope/pkg@1 → @scope/pkg).
func stripVersion(w word) word {
	if w.dyn != 0 {
		return w
	}
	if k := strings.LastIndexByte(w.s, '@'); k > 0 {
		w.s = w.s[:k]
	}
	return w
}

// unwrapPackageRunner handles npm exec/x, pnpm dlx/exec, yarn dlx/exec and bun x.
func (a *analyzer) unwrapPackageRunner(prog string, ws []word, ch *chain) []word {
	global := optSpec{short: "wCF", long: []string{"--prefix", "--workspace", "--registry", "--cache", "--userconfig", "--loglevel", "--dir", "--filter", "--cwd"}}
	i := subcommand(ws, 1, global)
	if i < 0 {
		return nil
	}
	sub := ws[i].s
	switch {
	case prog == "npm" && (sub == "exec" || sub == "x"),
		prog == "pnpm" && (sub == "dlx" || sub == "exec"),
		prog == "yarn" && (sub == "dlx" || sub == "exec"),
		prog == "bun" && sub == "x":
	case prog != "npm" && sub == "run" && i+1 < len(ws) && !strings.HasPrefix(ws[i+1].s, "-"),
		prog != "npm" && !packageManagerCommands[prog][sub] && !strings.HasPrefix(sub, "-") && ws[i].dyn == 0:
		// yarn, pnpm and bun run a package's script of that name or, with
		// none, its installed program (yarn vite is node_modules/.bin/vite);
		// the script's text is in package.json, the program is seen here.
		if sub == "run" {
			i++
		}
		inner := append([]word(nil), ws[i:]...)
		if strings.ContainsAny(inner[0].s, "/:") {
			return nil // a path (bun ./x.ts) or a workspace script (yarn pkg:build)
		}
		return inner
	default:
		return nil
	}
	if prog == "pnpm" {
		// pnpm dlx -c / --shell-mode runs the rest as shell text.
		j, seen := parseOpts(ws, i+1, optSpec{long: []string{"--package", "--filter"}})
		if _, ok := hasOpt(seen, "-c", "--shell-mode"); ok && j < len(ws) {
			ch.run = runner{kind: runText, text: joinWords(ws[j:]), what: "pnpm " + sub + " -c"}
			return nil
		}
	}
	return a.unwrapNpx(ws, i+1, ch)
}

var uvxLong = []string{"--from", "--with", "--with-editable", "--with-requirements", "--python", "--index", "--default-index",
	"--index-url", "--extra-index-url", "--find-links", "--directory", "--project", "--config-file", "--cache-dir",
	"--python-preference", "--python-platform", "--upgrade-package", "--reinstall-package", "--refresh-package",
	"--index-strategy", "--keyring-provider", "--resolution", "--prerelease", "--exclude-newer", "--link-mode",
	"--color", "--allow-insecure-host", "--constraints", "--overrides", "--build-constraints", "--env-file",
	"--package", "--extra", "--group", "--only-group", "--no-group", "--module"}

// unwrapUvx peels uvx / uv tool run [OPTIONS] COMMAND[@VERSION] [ARGS].
func unwrapUvx(ws []word, start int) []word {
	i, _ := parseOpts(ws, start, optSpec{short: "pwfi", long: uvxLong})
	if i >= len(ws) {
		return nil
	}
	inner := append([]word(nil), ws[i:]...)
	inner[0] = stripVersion(inner[0])
	return inner
}

// unwrapUv peels uv run [OPTIONS] COMMAND (python for -m MODULE and *.py).
func unwrapUv(ws []word) []word {
	i := subcommand(ws, 1, optSpec{long: []string{"--directory", "--project", "--config-file", "--cache-dir", "--color"}})
	if i < 0 {
		return nil
	}
	switch ws[i].s {
	case "tool":
		if i+1 < len(ws) && ws[i+1].s == "run" {
			return unwrapUvx(ws, i+2)
		}
		return nil
	case "run":
	default:
		return nil
	}
	j, seen := parseOpts(ws, i+1, optSpec{short: "pwfim", long: uvxLong})
	if o, ok := hasOpt(seen, "-m", "--module"); ok && o.has {
		return append([]word{lit("python"), lit("-m"), lit(o.val)}, ws[j:]...)
	}
	if j >= len(ws) {
		return nil
	}
	if strings.HasSuffix(ws[j].s, ".py") {
		return append([]word{lit("python")}, ws[j:]...)
	}
	return ws[j:]
}

// unwrapDocker peels docker|podman [GLOBAL] exec|container exec|compose exec
// [OPTIONS] CONTAINER COMMAND.
func unwrapDocker(ws []word, ch *chain) []word {
	// nerdctl's -n/--namespace and -a/--address too (neither is a global
	// flag of docker or podman).
	global := optSpec{short: "Hclna", long: []string{"--host", "--context", "--config", "--log-level", "--tlscacert", "--tlscert", "--tlskey", "--url", "--connection", "--identity", "--root", "--runroot",
		"--namespace", "--address", "--snapshotter", "--cgroup-manager", "--data-root", "--cni-path", "--cni-netconfpath", "--storage-driver", "--host-gateway-ip", "--hosts-dir"}}
	i := subcommand(ws, 1, global)
	if i < 0 {
		return nil
	}
	switch ws[i].s {
	case "container":
		if i+1 < len(ws) {
			switch ws[i+1].s {
			case "exec":
				return unwrapExec(ws, i+2)
			case "run", "create":
				return unwrapRun(ws, i+2, ch)
			}
		}
	case "exec":
		return unwrapExec(ws, i+1)
	case "run", "create":
		return unwrapRun(ws, i+1, ch)
	case "compose":
		return unwrapCompose(ws, i+1)
	}
	return nil
}

// containerRunOpts are docker run's (and create's, podman's, nerdctl's)
// options that take a value: the option tables rules match with, and the
// podman and nerdctl ones they leave out.
var containerRunOpts = sync.OnceValue(func() optSpec {
	spec, _ := action.SpecFor("docker")
	run := spec.Subcommands["run"]
	long := append(append([]string(nil), run.LongValues...),
		"--authfile", "--cert-dir", "--creds", "--unsetenv", "--preserve-fds", "--preserve-fd", "--rdt-class", "--shm-size-systemd",
		"--pod-id-file", "--health-startup-cmd", "--health-startup-interval", "--health-startup-retries", "--health-startup-success",
		"--health-startup-timeout", "--health-log-destination", "--health-max-log-count", "--health-max-log-size", "--signature-policy",
		"--cosign-key", "--cosign-certificate-identity", "--cosign-certificate-identity-regexp", "--cosign-certificate-oidc-issuer",
		"--cosign-certificate-oidc-issuer-regexp", "--verify", "--ipfs-address", "--snapshotter", "--label-file", "--cidfile",
		"--mac-address", "--memory-reservation", "--memory-swap", "--memory-swappiness", "--blkio-weight", "--stop-signal")
	return optSpec{short: run.Values, long: long}
})

// containerRunFlags are the long options of docker, podman and nerdctl run
// known to take no value. Any other long option given without =VALUE may
// or may not take the next word.
var containerRunFlags = map[string]bool{
	"--rm": true, "--init": true, "--privileged": true, "--read-only": true, "--detach": true, "--interactive": true, "--tty": true,
	"--publish-all": true, "--quiet": true, "--no-healthcheck": true, "--oom-kill-disable": true, "--sig-proxy": true,
	"--disable-content-trust": true, "--help": true, "--use-api-socket": true, "--replace": true, "--rmi": true, "--env-host": true,
	"--http-proxy": true, "--read-only-tmpfs": true, "--no-hosts": true, "--rootfs": true, "--tls-verify": true, "--passwd": true,
}

// unwrapRun peels docker run [OPTIONS] IMAGE [COMMAND...]: the command (or
// the --entrypoint with its arguments) runs in a new container, whose
// network is the host's with --network host and still reaches anything the
// host reaches otherwise: a reverse shell there is one all the same, and a
// listener is seen as one (a published port is found on the docker
// command itself). A long option it does not know, given without =VALUE,
// is read as a flag, and the reading where it takes the next word is
// analysed too (as a command of its own), so that neither hides the
// command.
func unwrapRun(ws []word, start int, ch *chain) []word {
	spec := containerRunOpts()
	_, seen := parseOpts(ws, start, spec)
	var unknown []string
	for _, o := range seen {
		if strings.HasPrefix(o.name, "--") && !o.has && !containerRunFlags[o.name] {
			unknown = append(unknown, o.name)
		}
	}
	if len(unknown) > 0 {
		alt := spec
		alt.long = append(append([]string(nil), spec.long...), unknown...)
		if cmd := runCommand(ws, start, alt); cmd != nil {
			ch.extras = append(ch.extras, extra{words: cmd, origin: ws[0].s + " run"})
		}
	}
	return runCommand(ws, start, spec)
}

// runCommand is the command of docker run's words read with spec.
func runCommand(ws []word, start int, spec optSpec) []word {
	i, seen := parseOpts(ws, start, spec)
	var entry *opt
	for k := range seen {
		if seen[k].name == "--entrypoint" && seen[k].has {
			entry = &seen[k]
		}
	}
	i++ // the image
	if i > len(ws) {
		return nil
	}
	rest := ws[i:]
	if entry != nil && entry.val != "" {
		return append(entrypointWords(optWord(ws, *entry)), rest...)
	}
	return nonEmpty(rest)
}

// entrypointWords are the words of an --entrypoint value: podman's JSON
// array form (["nc","-l"]) is the program and its first arguments; a value
// with spaces is read as words (docker would look for a program of that
// name, podman may split it).
func entrypointWords(w word) []word {
	if w.dyn != 0 {
		return []word{w}
	}
	var arr []string
	if strings.HasPrefix(strings.TrimSpace(w.s), "[") && json.Unmarshal([]byte(w.s), &arr) == nil && len(arr) > 0 {
		out := make([]word, len(arr))
		for k, s := range arr {
			out[k] = lit(s)
		}
		return out
	}
	if f := strings.Fields(w.s); len(f) > 1 {
		out := make([]word, len(f))
		for k, s := range f {
			out[k] = lit(s)
		}
		return out
	}
	return []word{w}
}

func unwrapExec(ws []word, start int) []word {
	i, _ := parseOpts(ws, start, optSpec{short: "euw", long: []string{"--env", "--env-file", "--user", "--workdir", "--detach-keys", "--index"}})
	i++ // the container
	if i >= len(ws) {
		return nil
	}
	return ws[i:]
}

func unwrapCompose(ws []word, start int) []word {
	i := subcommand(ws, start, optSpec{short: "fp", long: []string{"--file", "--project-name", "--profile", "--env-file", "--project-directory", "--ansi", "--parallel", "--progress"}})
	if i < 0 || (ws[i].s != "exec" && ws[i].s != "run") {
		return nil
	}
	if ws[i].s == "run" {
		// compose run SERVICE CMD starts a new container; its command is
		// seen like docker exec's.
		j, _ := parseOpts(ws, i+1, optSpec{short: "euwlpv", long: []string{"--env", "--env-file", "--user", "--workdir", "--label", "--publish", "--volume", "--name", "--entrypoint", "--cap-add", "--cap-drop", "--pull"}})
		j++
		if j >= len(ws) {
			return nil
		}
		return ws[j:]
	}
	return unwrapExec(ws, i+1)
}

// unwrapKubectl peels kubectl exec ... -- COMMAND.
func unwrapKubectl(ws []word) []word {
	i := subcommand(ws, 1, optSpec{short: "ns", long: []string{"--namespace", "--context", "--kubeconfig", "--cluster", "--user", "--server"}})
	if i < 0 || ws[i].s != "exec" {
		return nil
	}
	for k := i + 1; k < len(ws); k++ {
		if ws[k].s == "--" {
			return nonEmpty(ws[k+1:])
		}
	}
	// Old form: kubectl exec POD COMMAND.
	j, _ := parseOpts(ws, i+1, optSpec{short: "cnf", long: []string{"--container", "--namespace", "--filename", "--pod-running-timeout", "--context", "--kubeconfig"}})
	j++
	if j >= len(ws) {
		return nil
	}
	return ws[j:]
}

// unwrapWsl peels wsl [OPTIONS] [-e CMD ARGS | [--] CMD LINE]: -e runs a
// program, anything else is a command line for the distribution's shell.
func (a *analyzer) unwrapWsl(ws []word, ch *chain) []word {
	for i := 1; i < len(ws); i++ {
		switch w := ws[i].s; w {
		case "-d", "--distribution", "-u", "--user", "--cd", "--distribution-id", "--shell-type":
			i++
		case "-e", "--exec":
			return nonEmpty(ws[i+1:])
		case "--":
			if i+1 < len(ws) {
				ch.run = runner{kind: runText, text: joinWords(ws[i+1:]), what: "wsl"}
			}
			return nil
		case "--system":
		default:
			if strings.HasPrefix(w, "-") {
				// --install, --list, --shutdown, --import ...: management.
				return nil
			}
			ch.run = runner{kind: runText, text: joinWords(ws[i:]), what: "wsl"}
			return nil
		}
	}
	return nil
}

// unwrapStartStop peels start-stop-daemon --start --exec PATH -- ARGS.
func unwrapStartStop(ws []word, ch *chain) []word {
	_, seen := parseOpts(ws, 1, optSpec{short: "xapnuUgrcNkdPIROl", long: []string{"--exec", "--startas", "--pidfile", "--name", "--user", "--group", "--chroot", "--chdir", "--chuid", "--nicelevel", "--umask", "--retry", "--signal", "--output", "--procsched", "--iosched", "--remove-pidfile", "--make-pidfile"}})
	prog := ""
	if o, ok := hasOpt(seen, "-a", "--startas"); ok && o.has {
		prog = o.val
	} else if o, ok := hasOpt(seen, "-x", "--exec"); ok && o.has {
		prog = o.val
	}
	if prog == "" {
		return nil
	}
	if _, ok := hasOpt(seen, "-b", "--background"); ok {
		ch.bg = true
	}
	inner := []word{lit(prog)}
	for k := 1; k < len(ws); k++ {
		if ws[k].s == "--" {
			inner = append(inner, ws[k+1:]...)
			break
		}
	}
	return inner
}

// sshCommandKeys are ssh options whose value is a local command line.
var sshCommandKeys = map[string]bool{"proxycommand": true, "localcommand": true, "knownhostscommand": true}

// sshCommandOptions records the local commands ssh, scp and sftp run for
// -o ProxyCommand=..., LocalCommand and KnownHostsCommand: parts of their own.
func (a *analyzer) sshCommandOptions(seen []opt, ch *chain, prog string) {
	for _, o := range seen {
		if o.name != "-o" || !o.has {
			continue
		}
		key, val, ok := strings.Cut(o.val, "=")
		if k, v, sp := strings.Cut(strings.TrimSpace(o.val), " "); sp && (!ok || len(k) < len(key)) {
			key, val, ok = k, v, true
		}
		key = strings.ToLower(strings.TrimSpace(key))
		val = strings.TrimSpace(val)
		if !ok || !sshCommandKeys[key] || val == "" || strings.EqualFold(val, "none") {
			continue
		}
		if key == "proxycommand" {
			// ssh runs it as "exec CMD" in $SHELL -c.
			val = "exec " + val
		}
		w := word{s: val, raw: val}
		ch.extras = append(ch.extras, extra{text: &w, origin: prog + " -o " + key})
	}
}

// unwrapWatchexec peels watchexec [OPTIONS] [--] COMMAND: the words are
// joined and run by a shell.
func (a *analyzer) unwrapWatchexec(ws []word, ch *chain) []word {
	i, seen := parseOpts(ws, 1, optSpec{short: "wWFefidsEop", long: []string{"--watch", "--watch-non-recursive", "--watch-file",
		"--exts", "--filter", "--ignore", "--debounce", "--delay-run", "--signal", "--stop-signal", "--stop-timeout", "--shell",
		"--env", "--workdir", "--on-busy-update", "--project-origin", "--poll", "--emit-events-to", "--filter-file",
		"--ignore-file", "--fs-events", "--log-file", "--color", "--wrap-process", "--timeout", "--filter-prog", "--socket"}})
	if i >= len(ws) {
		return nil
	}
	if o, ok := hasOpt(seen, "-n", "--shell"); ok && (o.name == "-n" || o.val == "none") {
		return ws[i:]
	}
	ch.run = runner{kind: runText, text: joinWords(ws[i:]), what: "watchexec"}
	return nil
}

// atRunner reads at/batch: without -f the job's commands come from stdin,
// with -f from a file; -l, -r, -c and friends run nothing.
func (a *analyzer) atRunner(prog string, ws []word, ch *chain) {
	_, seen := parseOpts(ws, 1, optSpec{short: "qft"})
	if _, ok := hasOpt(seen, "-l", "-r", "-d", "-c", "-V", "-h"); ok {
		return
	}
	if o, ok := hasOpt(seen, "-f"); ok && o.has {
		ch.run = runner{kind: runScript, script: word{s: o.val, raw: o.val}, what: prog}
		return
	}
	ch.bg = true
	ch.run = runner{kind: runStdin, what: prog}
}

// unwrapPm2 peels pm2 start|restart SCRIPT_OR_COMMAND [OPTIONS] [-- ARGS]:
// a command with spaces runs in a shell, otherwise the program and the words
// after -- are its argv. pm2 serve is the catalogue's.
func (a *analyzer) unwrapPm2(ws []word, ch *chain) []word {
	i := subcommand(ws, 1, optSpec{})
	if i < 0 || (ws[i].s != "start" && ws[i].s != "restart") {
		return nil
	}
	var target *word
	var args []word
	for j := i + 1; j < len(ws); j++ {
		w := ws[j].s
		if w == "--" {
			args = ws[j+1:]
			break
		}
		if strings.HasPrefix(w, "-") {
			if !strings.Contains(w, "=") && pm2Valued[w] {
				j++
			}
			continue
		}
		if target == nil {
			t := ws[j]
			target = &t
		}
	}
	if target == nil {
		return nil
	}
	ch.bg = true
	if strings.ContainsAny(target.s, " \t;|&") {
		ch.run = runner{kind: runText, text: *target, what: "pm2 start"}
		return nil
	}
	if strings.HasSuffix(target.s, ".json") || strings.HasSuffix(target.s, ".config.js") || strings.HasSuffix(target.s, ".config.cjs") {
		return nil
	}
	return append([]word{*target}, args...)
}

var pm2Valued = map[string]bool{"--name": true, "-n": true, "-i": true, "--instances": true, "--interpreter": true,
	"--interpreter-args": true, "--node-args": true, "-o": true, "--output": true, "-e": true, "--error": true, "-l": true,
	"--log": true, "--cwd": true, "--max-memory-restart": true, "--cron": true, "--cron-restart": true, "--env": true,
	"--namespace": true, "--restart-delay": true, "--exp-backoff-restart-delay": true, "--max-restarts": true,
	"--kill-timeout": true, "--listen-timeout": true, "--log-date-format": true, "--ignore-watch": true}

// unwrapTerminal peels a terminal emulator that runs a command: -e/-x/--
// (and --command, --execute) followed by the command's words, or one word
// holding a command line.
func (a *analyzer) unwrapTerminal(ws []word, ch *chain) []word {
	for j := 1; j < len(ws); j++ {
		w := ws[j].s
		var rest []word
		switch {
		case w == "-e" || w == "-x" || w == "--" || w == "--execute" || w == "--command" || w == "--exec":
			rest = ws[j+1:]
		case strings.HasPrefix(w, "--command=") || strings.HasPrefix(w, "--execute=") || strings.HasPrefix(w, "-e="):
			x := ws[j]
			_, x.s, _ = strings.Cut(w, "=")
			rest = []word{x}
		default:
			continue
		}
		ch.bg = true
		if len(rest) == 1 && strings.ContainsAny(rest[0].s, " \t;|&") {
			ch.run = runner{kind: runText, text: rest[0], what: ch.views[len(ch.views)-1].Program + " -e"}
			return nil
		}
		return nonEmpty(rest)
	}
	return nil
}

// isSubcommandWord reports whether w reads as a CLI's own subcommand (orb
// start) rather than a command to run.
func isSubcommandWord(w string) bool {
	switch w {
	case "start", "stop", "restart", "status", "create", "delete", "list", "ls", "config", "update", "version",
		"help", "shell", "logs", "info", "default", "push", "pull", "reset", "doctor", "login", "logout", "docker", "k8s":
		return true
	}
	return false
}

// bwrapTwoValues and bwrapOneValue are bwrap's options with values; the
// first word that is not an option is the command.
var bwrapTwoValues = map[string]bool{"--bind": true, "--bind-try": true, "--dev-bind": true, "--dev-bind-try": true,
	"--ro-bind": true, "--ro-bind-try": true, "--setenv": true, "--symlink": true, "--chmod": true, "--bind-data": true,
	"--ro-bind-data": true, "--file": true}
var bwrapOneValue = map[string]bool{"--tmpfs": true, "--proc": true, "--dev": true, "--dir": true, "--mqueue": true,
	"--chdir": true, "--unsetenv": true, "--uid": true, "--gid": true, "--hostname": true, "--remount-ro": true,
	"--exec-label": true, "--file-label": true, "--lock-file": true, "--sync-fd": true, "--info-fd": true,
	"--json-status-fd": true, "--block-fd": true, "--userns-block-fd": true, "--seccomp": true, "--add-seccomp-fd": true,
	"--args": true, "--cap-add": true, "--cap-drop": true, "--perms": true, "--size": true, "--argv0": true,
	"--userns": true, "--userns2": true, "--pidns": true}

// unwrapBwrap peels bwrap [OPTIONS] COMMAND ARGS.
func unwrapBwrap(ws []word) []word {
	for i := 1; i < len(ws); i++ {
		s := ws[i].s
		switch {
		case s == "--":
			return ws[i+1:]
		case bwrapTwoValues[s]:
			i += 2
		case bwrapOneValue[s]:
			i++
		case strings.HasPrefix(s, "--"):
		default:
			return ws[i:]
		}
	}
	return nil
}
