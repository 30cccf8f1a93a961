package action

import "strings"

// Argv is a command's words, normalised and split into options and
// positionals, so that a pattern and a command can be compared word for word
// whatever the spelling (-lvnp vs -l -v -n -p, -mhttp.server vs -m http.server,
// --port=8080 vs --port 8080 for the programs safeclaw knows).
type Argv struct {
	// Words are the command's words with quotes and escapes resolved; Words[0]
	// is the program as written.
	Words []string `json:"words"`
	// Program is Words[0] reduced to its name: no directory, and interpreter
	// versions dropped (/usr/bin/python3.12 → python).
	Program     string   `json:"program"`
	Options     []Option `json:"options,omitempty"`
	Positionals []string `json:"positionals,omitempty"`
	// Guess marks a reading made without the program's option table (see
	// [GuessValues]); only deny and ask rules match it.
	Guess bool `json:"guess,omitempty"`
}

// Option is one option of a command: "-l", "--port" (Value "8080").
type Option struct {
	Name     string `json:"name"`
	Value    string `json:"value,omitempty"`
	HasValue bool   `json:"has_value,omitempty"`
}

// Option returns the first option named name (after aliasing) and whether it exists.
func (a *Argv) Option(name string) (Option, bool) {
	for _, o := range a.Options {
		if o.Name == name {
			return o, true
		}
	}
	return Option{}, false
}

// Has reports whether a has any of the named options.
func (a *Argv) Has(names ...string) bool {
	for _, o := range a.Options {
		for _, n := range names {
			if o.Name == n {
				return true
			}
		}
	}
	return false
}

// OptionSpec says how one program reads its options. Programs without a spec
// are read the GNU way: options anywhere before "--", pure-letter clusters
// split (-rf → -r -f), --name=value kept together as a valued option.
type OptionSpec struct {
	// Values lists the short option letters that take a value
	// ("p" for nc -p 4444, "m" for python -m http.server).
	Values string
	// LongValues lists the long options that take a value ("--port").
	LongValues []string
	// Aliases maps long (or alternative) option names to the canonical name
	// ("--listen": "-l"), so a pattern written with -l matches --listen.
	Aliases map[string]string
	// Terminators are options whose value ends option parsing: everything
	// after python's -m MODULE or -c CODE belongs to the module or code.
	Terminators string
	// StopAtPositional ends option parsing at the first positional (npx PKG ARGS...).
	StopAtPositional bool
	// StopAtSecondPositional lets options follow the first positional and
	// ends option parsing at the second: OpenSSH reads ssh HOST -L 1:h:2 -N
	// as options, and the remote command starts at the next plain word.
	StopAtSecondPositional bool
	// SingleDashLong marks programs with -name style options (find, java):
	// their clusters are never split.
	SingleDashLong bool
}

// optionSpecs holds the programs whose options safeclaw understands. The
// shell catalogue grows it; the policy compiler reads patterns with it, so a
// pattern and a command are always split alike.
var optionSpecs = map[string]OptionSpec{
	"python": {Values: "mcWXQ", Terminators: "mc"},
	"pypy":   {Values: "mcWXQ", Terminators: "mc"},
	"php":    {Values: "SdtcrfzBEFRn", Terminators: "r"},
	"ruby":   {Values: "reIECxF", LongValues: []string{"--encoding"}},
	"perl":   {Values: "eEIMmxl"},
	"node": {Values: "erp", LongValues: []string{"--eval", "--print", "--require", "--import", "--inspect-port"},
		Aliases: map[string]string{"--eval": "-e", "--print": "-p", "--require": "-r"}},
	"nc":             netcatSpec,
	"ncat":           netcatSpec,
	"netcat":         netcatSpec,
	"nc.traditional": netcatSpec,
	"nc.openbsd":     netcatSpec,
	"ssh":            {Values: "BbcDEeFIiJLlmOoPpQRSWw", StopAtSecondPositional: true},
	"autossh":        {Values: "BbcDEeFIiJLlmOoPpQRSWwM", StopAtSecondPositional: true},
	"npx": {Values: "pc", LongValues: []string{"--package", "--call", "--cache", "--registry", "--userconfig", "--workspace", "-w"},
		Aliases: map[string]string{"--yes": "-y", "--package": "-p", "--call": "-c"}, StopAtPositional: true},
	"rm": {Aliases: map[string]string{"--recursive": "-r", "-R": "-r", "--force": "-f", "--dir": "-d", "--verbose": "-v", "--interactive": "-i"}},
	"lt": {Values: "phsl", LongValues: []string{"--port", "--host", "--subdomain", "--local-host"}, Aliases: map[string]string{"--port": "-p", "--subdomain": "-s", "--host": "-h", "--local-host": "-l"}},
	"curl": {Values: "dHXuoOTAeEFxCmrbcKwyYzQ", LongValues: []string{"--data", "--data-raw", "--data-binary", "--data-urlencode", "--header", "--request", "--user", "--output", "--upload-file", "--user-agent", "--referer", "--form", "--proxy", "--config", "--max-time", "--cookie", "--cookie-jar", "--write-out", "--retry", "--connect-timeout", "--resolve", "--cacert", "--cert", "--key", "--url"},
		Aliases: map[string]string{"--data": "-d", "--header": "-H", "--request": "-X", "--user": "-u", "--output": "-o", "--upload-file": "-T", "--user-agent": "-A", "--form": "-F", "--proxy": "-x", "--insecure": "-k", "--silent": "-s", "--location": "-L", "--fail": "-f"}},
	"find": {SingleDashLong: true},
	// Tools with subcommands take global options before them, some with a
	// value (git -C DIR push): without their tables the value would read as
	// the subcommand, and a rule for "git push" would miss the command.
	"git": {Values: "Cc", LongValues: []string{"--git-dir", "--work-tree", "--namespace", "--super-prefix", "--config-env", "--list-cmds"}},
	// kubectl -f is a file for apply but "follow" for logs: it is left a flag.
	"kubectl": {Values: "nsloc", LongValues: []string{"--namespace", "--context", "--cluster", "--kubeconfig", "--server", "--user", "--token",
		"--as", "--as-group", "--as-uid", "--request-timeout", "--cache-dir", "--certificate-authority", "--client-certificate", "--client-key",
		"--tls-server-name", "--selector", "--output", "--filename", "--container", "--address", "--pod-running-timeout", "--field-selector", "--profile", "--profile-output"},
		Aliases: map[string]string{"--namespace": "-n", "--server": "-s", "--selector": "-l", "--output": "-o", "--container": "-c"}},
	"helm": {Values: "nfo", LongValues: []string{"--namespace", "--kube-context", "--kubeconfig", "--kube-apiserver", "--kube-token", "--registry-config",
		"--repository-config", "--repository-cache", "--values", "--set", "--set-string", "--set-file", "--version", "--output", "--timeout", "--repo"},
		Aliases: map[string]string{"--namespace": "-n", "--values": "-f", "--output": "-o"}},
	"docker": containerSpec,
	"podman": containerSpec,
	"npm": {Values: "wC", LongValues: []string{"--prefix", "--workspace", "--userconfig", "--globalconfig", "--registry", "--cache", "--loglevel", "--tag", "--otp", "--scope", "--access"},
		Aliases: map[string]string{"--workspace": "-w", "--prefix": "-C"}},
	"pnpm": {Values: "CF", LongValues: []string{"--dir", "--filter", "--workspace-dir", "--store-dir", "--reporter", "--loglevel"},
		Aliases: map[string]string{"--dir": "-C", "--filter": "-F"}},
	"yarn": {LongValues: []string{"--cwd", "--mutex", "--modules-folder", "--cache-folder", "--global-folder", "--registry"}},
	"make": {Values: "CfIjlWoE", LongValues: []string{"--directory", "--file", "--makefile", "--include-dir", "--jobs", "--load-average", "--what-if", "--new-file", "--assume-new", "--old-file", "--assume-old", "--eval"},
		Aliases: map[string]string{"--directory": "-C", "--file": "-f", "--makefile": "-f", "--include-dir": "-I", "--jobs": "-j"}},
	"go": {Values: "C"},
	"aws": {LongValues: []string{"--profile", "--region", "--output", "--endpoint-url", "--query", "--cli-input-json", "--cli-input-yaml", "--ca-bundle",
		"--cli-read-timeout", "--cli-connect-timeout", "--color", "--cli-binary-format"}},
	"gcloud": {LongValues: []string{"--project", "--account", "--configuration", "--format", "--zone", "--region", "--billing-project",
		"--impersonate-service-account", "--verbosity", "--access-token-file", "--flags-file", "--flatten", "--filter", "--trace-token"}},
	"az": {Values: "gno", LongValues: []string{"--subscription", "--resource-group", "--name", "--output", "--query", "--location"},
		Aliases: map[string]string{"--resource-group": "-g", "--name": "-n", "--output": "-o"}},
	"gh": {Values: "R", LongValues: []string{"--repo", "--hostname"}, Aliases: map[string]string{"--repo": "-R"}},
	"pip": {Values: "ircet", LongValues: []string{"--proxy", "--index-url", "--extra-index-url", "--trusted-host", "--cert", "--client-cert",
		"--cache-dir", "--log", "--requirement", "--constraint", "--editable", "--target", "--prefix", "--root", "--src", "--python",
		"--find-links", "--platform", "--python-version", "--implementation", "--abi", "--timeout", "--retries", "--exists-action", "--progress-bar"},
		Aliases: map[string]string{"--index-url": "-i", "--requirement": "-r", "--constraint": "-c", "--editable": "-e", "--target": "-t"}},
	"uv": {Values: "p", LongValues: []string{"--directory", "--project", "--python", "--with", "--with-requirements", "--index", "--default-index",
		"--index-url", "--extra-index-url", "--cache-dir", "--config-file", "--env-file", "--package", "--group", "--extra", "--from"},
		Aliases: map[string]string{"--python": "-p"}},
	"poetry":   {Values: "CP", LongValues: []string{"--directory", "--project"}, Aliases: map[string]string{"--directory": "-C", "--project": "-P"}},
	"bun":      {LongValues: []string{"--cwd", "--config", "--env-file", "--filter", "--preload"}},
	"composer": {Values: "d", LongValues: []string{"--working-dir"}, Aliases: map[string]string{"--working-dir": "-d"}},
	// Maven's short options are words (-pl, -am, -rf, -DskipTests).
	"mvn": {SingleDashLong: true, LongValues: []string{"-f", "-s", "-gs", "-P", "-pl", "-rf", "-l", "-T", "-t", "-b",
		"--file", "--settings", "--global-settings", "--activate-profiles", "--projects", "--resume-from", "--log-file", "--threads",
		"--toolchains", "--builder"}},
	"gradle": {Values: "pbcIgx", LongValues: []string{"--project-dir", "--build-file", "--settings-file", "--init-script", "--gradle-user-home",
		"--exclude-task", "--console", "--warning-mode", "--max-workers", "--priority", "--project-cache-dir", "--include-build"},
		Aliases: map[string]string{"--project-dir": "-p", "--build-file": "-b", "--settings-file": "-c", "--init-script": "-I",
			"--gradle-user-home": "-g", "--exclude-task": "-x"}},
	"flask": {Values: "Ahpe", LongValues: []string{"--app", "--env-file", "--host", "--port", "--cert", "--key", "--extra-files", "--exclude-patterns"},
		Aliases: map[string]string{"--app": "-A", "--host": "-h", "--port": "-p", "--env-file": "-e"}},
	"heroku": {Values: "ar", LongValues: []string{"--app", "--remote"}, Aliases: map[string]string{"--app": "-a", "--remote": "-r"}},
	"flyctl": flySpec,
	"fly":    flySpec,
	"cargo": {Values: "pjZ", LongValues: []string{"--manifest-path", "--package", "--target", "--target-dir", "--features", "--config", "--bin", "--example", "--test", "--bench", "--jobs", "--profile", "--color"},
		Aliases: map[string]string{"--package": "-p", "--jobs": "-j"}},
	// pytest -k EXPR and -m MARKERS take values, so "pytest -k server" is a
	// test selection, not a server subcommand.
	"pytest": {Values: "kmpcor", LongValues: []string{"--maxfail", "--rootdir", "--basetemp", "--junitxml", "--cov", "--log-level", "--durations", "--tb", "--deselect", "--ignore"}},
	"java":   {SingleDashLong: true},
	"pydoc":  {Values: "pkn"},
	"lua":    {Values: "el"},
	"luajit": {Values: "elbjO"},
	"awk":    awkSpec,
	"gawk":   awkSpec,
	"mawk":   awkSpec,
	"nawk":   awkSpec,
	"wget": {Values: "OoaPUtTweiBQlARDIX", LongValues: []string{"--output-document", "--output-file", "--append-output", "--directory-prefix", "--user-agent", "--tries", "--timeout", "--wait", "--execute", "--input-file", "--base", "--quota", "--level", "--accept", "--reject", "--domains", "--header", "--user", "--password", "--post-data", "--post-file", "--load-cookies", "--save-cookies", "--referer", "--bind-address", "--limit-rate"},
		Aliases: map[string]string{"--output-document": "-O", "--output-file": "-o", "--directory-prefix": "-P", "--user-agent": "-U", "--quiet": "-q", "--continue": "-c", "--recursive": "-r"}},
	"scp":     {Values: "cDFiJlOoPSX"},
	"sftp":    {Values: "BbcDFilOoPRSsJ"},
	"telnet":  {Values: "lenbSX"},
	"openssl": {SingleDashLong: true, LongValues: []string{"-accept", "-port", "-connect", "-host", "-cert", "-key", "-CAfile", "-CApath", "-out", "-in", "-keyout", "-newkey", "-days", "-subj", "-config", "-servername", "-psk", "-psk_identity", "-cipher", "-url", "-proxy", "-starttls", "-verify"}},
}

// netcatSpec is shared by the netcat family: -l listens, -e/-c hand the
// connection a program, -p names the (listening or source) port.
var netcatSpec = OptionSpec{Values: "pscewiIOqTXxbgGmMV", Aliases: map[string]string{"--listen": "-l", "--exec": "-e", "--sh-exec": "-c", "--source-port": "-p", "--keep-open": "-k", "--udp": "-u"},
	LongValues: []string{"--exec", "--sh-exec", "--lua-exec", "--source-port", "--source", "--proxy", "--proxy-type", "--wait", "--idle-timeout", "--allow", "--allowfile", "--deny", "--denyfile", "--max-conns", "--output", "--hex-dump", "--append-output"}}

// containerSpec is docker's and podman's: global -H HOST, -c CONTEXT, -l
// LEVEL, and run's -p PORTS, -v VOLUME, -e ENV, -w DIR, -u USER.
var containerSpec = OptionSpec{Values: "Hclpvewu", LongValues: []string{"--host", "--context", "--config", "--log-level", "--tlscacert", "--tlscert", "--tlskey",
	"--publish", "--volume", "--env", "--env-file", "--workdir", "--user", "--name", "--network", "--entrypoint", "--mount", "--label", "--memory",
	"--cpus", "--platform", "--restart", "--hostname", "--add-host", "--dns", "--device", "--expose", "--pull", "--cap-add", "--cap-drop",
	"--security-opt", "--tmpfs", "--ipc", "--pid", "--userns", "--volumes-from", "--link", "--log-driver", "--log-opt", "--shm-size", "--gpus", "--ulimit", "--cidfile"},
	Aliases: map[string]string{"--host": "-H", "--context": "-c", "--log-level": "-l", "--publish": "-p", "--volume": "-v", "--env": "-e", "--workdir": "-w", "--user": "-u"}}

// flySpec is flyctl's: -a APP, -c CONFIG, -o ORG, -r REGION.
var flySpec = OptionSpec{Values: "acor", LongValues: []string{"--app", "--config", "--org", "--region", "--access-token"},
	Aliases: map[string]string{"--app": "-a", "--config": "-c", "--org": "-o", "--region": "-r"}}

// awkSpec: -v var=value, -f progfile, -F sep, gawk's -e/--source program text.
var awkSpec = OptionSpec{Values: "vfFeil", LongValues: []string{"--assign", "--file", "--field-separator", "--source", "--include", "--load"},
	Aliases: map[string]string{"--assign": "-v", "--file": "-f", "--field-separator": "-F", "--source": "-e", "--include": "-i", "--load": "-l"}}

// SpecFor returns the option spec for a normalised program name.
func SpecFor(program string) (OptionSpec, bool) {
	s, ok := optionSpecs[program]
	return s, ok
}

// versioned lists the program families whose version suffix is dropped
// (python3.12 → python, php8.2 → php, pip3 → pip). Other programs keep their
// digits: base64 and bzip2 are names, not versions.
var versioned = []string{"python", "pip", "pydoc", "ruby", "gem", "perl", "php", "node", "nodejs", "lua", "luajit", "tclsh", "wish", "gcc", "g++", "clang", "idle", "pypy", "java", "irb", "julia", "jruby"}

// ProgramName reduces a command word to the program it names: the directory
// is dropped and, for interpreter families, the version (python3.12 → python).
func ProgramName(word string) string {
	if i := strings.LastIndexByte(word, '/'); i >= 0 {
		word = word[i+1:]
	}
	for _, fam := range versioned {
		if !strings.HasPrefix(word, fam) {
			continue
		}
		rest := word[len(fam):]
		rest = strings.TrimPrefix(rest, "-")
		if rest == "" || isVersion(rest) {
			if fam == "nodejs" {
				return "node"
			}
			return fam
		}
	}
	return word
}

func isVersion(s string) bool {
	if s == "" || s[0] < '0' || s[0] > '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && c != '.' {
			return false
		}
	}
	return true
}

// ParseArgv normalises words (quotes already resolved) into an [Argv].
// It never fails: what it cannot classify is a positional.
func ParseArgv(words []string) Argv {
	a := Argv{Words: words}
	if len(words) == 0 {
		return a
	}
	a.Program = ProgramName(words[0])
	spec, known := optionSpecs[a.Program]
	canon := func(name string) string {
		if c, ok := spec.Aliases[name]; ok {
			return c
		}
		return name
	}
	rest := words[1:]
	for i := 0; i < len(rest); i++ {
		w := rest[i]
		switch {
		case w == "--":
			a.Positionals = append(a.Positionals, rest[i+1:]...)
			return a
		case len(w) < 2 || w[0] != '-':
			a.Positionals = append(a.Positionals, w)
			if spec.StopAtPositional || spec.StopAtSecondPositional && len(a.Positionals) == 2 {
				a.Positionals = append(a.Positionals, rest[i+1:]...)
				return a
			}
			continue
		case strings.HasPrefix(w, "--") || spec.SingleDashLong:
			orig, val, hasVal := strings.Cut(w, "=")
			name := canon(orig)
			if !hasVal && takesValue(spec, orig, name) && i+1 < len(rest) {
				val, hasVal = rest[i+1], true
				i++
			}
			a.Options = append(a.Options, Option{Name: name, Value: val, HasValue: hasVal})
			continue
		}
		// A short option or a cluster of them.
		if !known && !allLetters(w[1:]) {
			a.Options = append(a.Options, Option{Name: canon(w)})
			continue
		}
		terminated := false
		for j := 1; j < len(w); j++ {
			c := w[j]
			name := canon("-" + string(c))
			if strings.IndexByte(spec.Values, c) >= 0 {
				o := Option{Name: name, HasValue: true}
				if j+1 < len(w) {
					o.Value = w[j+1:]
				} else if i+1 < len(rest) {
					o.Value = rest[i+1]
					i++
				} else {
					o.HasValue = false
				}
				a.Options = append(a.Options, o)
				terminated = strings.IndexByte(spec.Terminators, c) >= 0
				break
			}
			a.Options = append(a.Options, Option{Name: name})
		}
		if terminated {
			a.Positionals = append(a.Positionals, rest[i+1:]...)
			return a
		}
	}
	return a
}

// takesValue reports whether a long option (as written, and as aliased)
// takes a value: --data is curl's -d, which does.
func takesValue(spec OptionSpec, orig, name string) bool {
	if contains(spec.LongValues, orig) || contains(spec.LongValues, name) {
		return true
	}
	return len(name) == 2 && name[0] == '-' && strings.IndexByte(spec.Values, name[1]) >= 0
}

func allLetters(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
