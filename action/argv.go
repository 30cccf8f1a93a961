package action

import (
	"maps"
	"slices"
	"strings"
)

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
	// OptionalNumbers lists short letters whose value is optional and a
	// number: make -j4 and make -j 4 set four jobs, but in make -j build the
	// next word is a target. A long option aliased to such a letter (--jobs)
	// takes its next word the same way.
	OptionalNumbers string
	// AttachedValues lists short letters whose value is optional and only
	// ever attached (git log -C50%, make -Otarget): a bare -C never takes the
	// next word, as git documents for all its optional values.
	AttachedValues string
	// AttachedDigits lists short letters whose value is optional, attached
	// and only digits, after which the cluster goes on: perl -l0 and -0777
	// set separators, and perl -le CODE is -l then -e CODE.
	AttachedDigits string
	// Subcommands gives a program's subcommands their own options, because
	// the same letter can mean different things in each (kubectl apply -f
	// FILE, kubectl logs -f). The first positional names the subcommand: if
	// it is a key, its entry replaces the spec for the words after it (so an
	// entry repeats the global options still valid there, as kubectl's -n),
	// and the key "*" stands for any subcommand not listed; otherwise the
	// spec stays as it was. An entry's own Subcommands read the next
	// positional the same way (docker compose up, docker container run); an
	// entry without them covers deeper words too (kubectl rollout status).
	// Options before the subcommand are read with the outer spec: in
	// git -C DIR log -C, the first -C takes DIR and the second is a flag.
	Subcommands map[string]OptionSpec
}

// otherSubcommands is the [OptionSpec.Subcommands] key for the subcommands
// a table does not list.
const otherSubcommands = "*"

// optionSpecs holds the programs whose options safeclaw understands. The
// shell catalogue grows it; the policy compiler reads patterns with it, so a
// pattern and a command are always split alike.
var optionSpecs = map[string]OptionSpec{
	"python": {Values: "mcWXQ", Terminators: "mc"},
	"pypy":   {Values: "mcWXQ", Terminators: "mc"},
	"php": {Values: "SdtcrfzBEFR", Terminators: "r", Aliases: map[string]string{"--server": "-S", "--run": "-r", "--define": "-d",
		"--docroot": "-t", "--php-ini": "-c", "--file": "-f"}},
	"ruby": {Values: "reIECF", AttachedValues: "xWTiK", AttachedDigits: "0", LongValues: []string{"--encoding"}},
	"perl": {Values: "eEIMm", AttachedValues: "xiCdD", AttachedDigits: "l0"},
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
	// safeclaw's flags are Go's: -name and --name alike.
	"safeclaw": {SingleDashLong: true},
	// Tools with subcommands take global options before them, some with a
	// value (git -C DIR push): without their tables the value would read as
	// the subcommand, and a rule for "git push" would miss the command.
	// Subcommands not in gitSubcommands keep the global table, whose -C and
	// -c values are also right for git commit -C COMMIT and git clone -c K=V.
	"git": {Values: "Cc", LongValues: []string{"--git-dir", "--work-tree", "--namespace", "--super-prefix", "--config-env", "--list-cmds"},
		Subcommands: gitSubcommands},
	// kubectl takes its global options anywhere, so every subcommand table
	// repeats them; -f is a file where kubectlFileSpec applies and "follow"
	// (a flag) for logs, which keeps the global table.
	"kubectl": {Values: "nslocv", LongValues: kubectlLongValues, Aliases: kubectlAliases, Subcommands: kubectlSubcommands},
	"helm": {Values: "nfo", LongValues: []string{"--namespace", "--kube-context", "--kubeconfig", "--kube-apiserver", "--kube-token", "--registry-config",
		"--repository-config", "--repository-cache", "--values", "--set", "--set-string", "--set-file", "--version", "--output", "--timeout", "--repo"},
		Aliases: map[string]string{"--namespace": "-n", "--values": "-f", "--output": "-o"}},
	"docker": containerSpec(dockerLogsSpec),
	"podman": containerSpec(podmanLogsSpec),
	"npm": {Values: "wC", LongValues: []string{"--prefix", "--workspace", "--userconfig", "--globalconfig", "--registry", "--cache", "--loglevel", "--tag", "--otp", "--scope", "--access"},
		Aliases: map[string]string{"--workspace": "-w", "--prefix": "-C"}},
	"pnpm": {Values: "CF", LongValues: []string{"--dir", "--filter", "--workspace-dir", "--store-dir", "--reporter", "--loglevel"},
		Aliases: map[string]string{"--dir": "-C", "--filter": "-F"}},
	"yarn": {LongValues: []string{"--cwd", "--mutex", "--modules-folder", "--cache-folder", "--global-folder", "--registry"}},
	// make -j and -l take the next word only when it is a number: in
	// make -j build, build is a target.
	"make": {Values: "CfIWoE", OptionalNumbers: "jl", AttachedValues: "O",
		LongValues: []string{"--directory", "--file", "--makefile", "--include-dir", "--what-if", "--new-file", "--assume-new", "--old-file", "--assume-old", "--eval"},
		Aliases: map[string]string{"--directory": "-C", "--file": "-f", "--makefile": "-f", "--include-dir": "-I", "--jobs": "-j",
			"--load-average": "-l", "--max-load": "-l", "--output-sync": "-O"}},
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

// containerOptions is docker's and podman's table before the subcommand and
// for subcommands without their own: global -H HOST, -c CONTEXT, -l LEVEL,
// and the -p PORTS, -v VOLUME, -e ENV, -w DIR, -u USER that most container
// subcommands take (docker login -u USER -p PASS).
var containerOptions = OptionSpec{Values: "Hclpvewu", LongValues: []string{"--host", "--context", "--config", "--log-level", "--tlscacert", "--tlscert", "--tlskey",
	"--publish", "--volume", "--env", "--env-file", "--workdir", "--user", "--name", "--network", "--entrypoint", "--mount", "--label", "--memory",
	"--cpus", "--platform", "--restart", "--hostname", "--add-host", "--dns", "--device", "--expose", "--pull", "--cap-add", "--cap-drop",
	"--security-opt", "--tmpfs", "--ipc", "--pid", "--userns", "--volumes-from", "--link", "--log-driver", "--log-opt", "--shm-size", "--gpus", "--ulimit", "--cidfile"},
	Aliases: map[string]string{"--host": "-H", "--context": "-c", "--log-level": "-l", "--publish": "-p", "--volume": "-v", "--env": "-e", "--workdir": "-w", "--user": "-u"}}

// containerSpec returns docker's or podman's table; they differ in logs,
// where -n is docker's --tail N but podman's --names flag.
func containerSpec(logs OptionSpec) OptionSpec {
	s, container, image, builder := containerOptions, containerOptions, containerOptions, containerOptions
	// The management commands (docker container run, docker image build)
	// name the same subcommands one level down.
	container.Subcommands = map[string]OptionSpec{"run": containerRunSpec, "create": containerRunSpec, "exec": containerExecSpec,
		"ls": containerListSpec, "list": containerListSpec, "ps": containerListSpec, "logs": logs, "rm": containerRemoveSpec,
		"stop": containerStopSpec, "restart": containerStopSpec, "kill": containerStopSpec, "inspect": containerInspectSpec}
	image.Subcommands = map[string]OptionSpec{"build": imageBuildSpec, "ls": imageListSpec, "list": imageListSpec, "inspect": containerInspectSpec}
	builder.Subcommands = map[string]OptionSpec{"build": imageBuildSpec}
	s.Subcommands = map[string]OptionSpec{"run": containerRunSpec, "create": containerRunSpec, "exec": containerExecSpec,
		"ps": containerListSpec, "logs": logs, "rm": containerRemoveSpec, "stop": containerStopSpec, "restart": containerStopSpec,
		"kill": containerStopSpec, "inspect": containerInspectSpec, "images": imageListSpec, "build": imageBuildSpec,
		"compose": composeSpec, "container": container, "image": image, "buildx": builder, "builder": builder}
	return s
}

// containerRunSpec is docker run's and create's (podman's are alike): after
// the image, the words are the container's command, not docker options.
var containerRunSpec = OptionSpec{Values: "acehlmpuvw", StopAtPositional: true,
	LongValues: []string{"--add-host", "--annotation", "--attach", "--blkio-weight", "--blkio-weight-device", "--cap-add", "--cap-drop",
		"--cgroup-parent", "--cgroupns", "--cidfile", "--cpu-count", "--cpu-percent", "--cpu-period", "--cpu-quota", "--cpu-rt-period",
		"--cpu-rt-runtime", "--cpu-shares", "--cpus", "--cpuset-cpus", "--cpuset-mems", "--detach-keys", "--device", "--device-cgroup-rule",
		"--device-read-bps", "--device-read-iops", "--device-write-bps", "--device-write-iops", "--dns", "--dns-opt", "--dns-option",
		"--dns-search", "--domainname", "--entrypoint", "--env", "--env-file", "--expose", "--gpus", "--group-add", "--health-cmd",
		"--health-interval", "--health-retries", "--health-start-interval", "--health-start-period", "--health-timeout", "--hostname",
		"--io-maxbandwidth", "--io-maxiops", "--ip", "--ip6", "--ipc", "--isolation", "--kernel-memory", "--label", "--label-file", "--link",
		"--link-local-ip", "--log-driver", "--log-opt", "--mac-address", "--memory", "--memory-reservation", "--memory-swap",
		"--memory-swappiness", "--mount", "--name", "--net", "--net-alias", "--network", "--network-alias", "--oom-score-adj", "--pid",
		"--pids-limit", "--platform", "--publish", "--pull", "--restart", "--runtime", "--security-opt", "--shm-size", "--stop-signal",
		"--stop-timeout", "--storage-opt", "--sysctl", "--tmpfs", "--ulimit", "--user", "--userns", "--uts", "--volume", "--volume-driver",
		"--volumes-from", "--workdir",
		// podman's own
		"--pod", "--secret", "--arch", "--os", "--variant", "--tz", "--umask", "--pidfile", "--uidmap", "--gidmap", "--subuidname",
		"--subgidname", "--cgroups", "--sdnotify", "--systemd", "--requires", "--timeout", "--decryption-key", "--passwd-entry",
		"--group-entry", "--image-volume", "--init-path", "--conmon-pidfile", "--health-on-failure", "--chrootdirs", "--personality",
		"--seccomp-policy", "--retry", "--retry-delay", "--env-merge", "--hostuser", "--cgroup-conf"},
	Aliases: map[string]string{"--attach": "-a", "--cpu-shares": "-c", "--detach": "-d", "--env": "-e", "--hostname": "-h",
		"--interactive": "-i", "--label": "-l", "--memory": "-m", "--publish": "-p", "--publish-all": "-P", "--quiet": "-q", "--tty": "-t",
		"--user": "-u", "--volume": "-v", "--workdir": "-w"}}

// containerExecSpec: docker exec CONTAINER COMMAND...; the command's words
// stay positionals.
var containerExecSpec = OptionSpec{Values: "euw", StopAtPositional: true,
	LongValues: []string{"--env", "--env-file", "--user", "--workdir", "--detach-keys", "--preserve-fds"},
	Aliases:    map[string]string{"--detach": "-d", "--env": "-e", "--interactive": "-i", "--tty": "-t", "--user": "-u", "--workdir": "-w"}}

// containerListSpec is docker ps's: -l is --latest and -n N --last N.
var containerListSpec = OptionSpec{Values: "fn", LongValues: []string{"--filter", "--format", "--last"},
	Aliases: map[string]string{"--all": "-a", "--filter": "-f", "--last": "-n", "--latest": "-l", "--quiet": "-q", "--size": "-s"}}

// dockerLogsSpec: -f is --follow, -n N --tail N, -d N --delay N.
var dockerLogsSpec = OptionSpec{Values: "dn", LongValues: []string{"--delay", "--since", "--tail", "--until"},
	Aliases: map[string]string{"--delay": "-d", "--follow": "-f", "--tail": "-n", "--timestamps": "-t"}}

// podmanLogsSpec: -f is --follow, -l --latest, -n --names, all flags.
var podmanLogsSpec = OptionSpec{LongValues: []string{"--since", "--tail", "--until"},
	Aliases: map[string]string{"--follow": "-f", "--latest": "-l", "--names": "-n", "--timestamps": "-t"}}

// containerRemoveSpec: docker rm's -f, -l and -v are flags; podman rm -t N.
var containerRemoveSpec = OptionSpec{Values: "t", LongValues: []string{"--time", "--filter", "--cidfile"},
	Aliases: map[string]string{"--force": "-f", "--volumes": "-v", "--time": "-t"}}

// containerStopSpec is stop's, restart's and kill's: -s SIGNAL, -t SECONDS.
var containerStopSpec = OptionSpec{Values: "st", LongValues: []string{"--signal", "--time", "--timeout", "--filter", "--cidfile"},
	Aliases: map[string]string{"--signal": "-s", "--time": "-t", "--timeout": "-t"}}

// containerInspectSpec: -f FORMAT.
var containerInspectSpec = OptionSpec{Values: "f", LongValues: []string{"--format", "--type"},
	Aliases: map[string]string{"--format": "-f", "--size": "-s"}}

// imageListSpec is docker images': -f FILTER.
var imageListSpec = OptionSpec{Values: "f", LongValues: []string{"--filter", "--format"},
	Aliases: map[string]string{"--all": "-a", "--filter": "-f", "--quiet": "-q"}}

// imageBuildSpec is docker build's (BuildKit's and the legacy builder's):
// -f DOCKERFILE, -t TAG, -o OUTPUT, -c SHARES, -m MEMORY.
var imageBuildSpec = OptionSpec{Values: "cfmot",
	LongValues: []string{"--add-host", "--allow", "--annotation", "--attest", "--build-arg", "--build-context", "--builder", "--cache-from",
		"--cache-to", "--call", "--cgroup-parent", "--cpu-period", "--cpu-quota", "--cpu-shares", "--cpuset-cpus", "--cpuset-mems", "--file",
		"--format", "--iidfile", "--isolation", "--label", "--memory", "--memory-swap", "--metadata-file", "--network", "--no-cache-filter",
		"--output", "--platform", "--progress", "--provenance", "--sbom", "--secret", "--security-opt", "--shm-size", "--ssh", "--tag",
		"--target", "--ulimit"},
	Aliases: map[string]string{"--cpu-shares": "-c", "--file": "-f", "--memory": "-m", "--output": "-o", "--quiet": "-q", "--tag": "-t"}}

// composeSpec is docker compose's: -f FILE and -p NAME come before the
// compose subcommand; after it, -f and -p mean other things or nothing.
var composeSpec = OptionSpec{Values: "fp",
	LongValues: []string{"--file", "--project-name", "--project-directory", "--env-file", "--profile", "--ansi", "--parallel", "--progress"},
	Aliases:    map[string]string{"--file": "-f", "--project-name": "-p"},
	Subcommands: map[string]OptionSpec{
		otherSubcommands: {},
		"up": {Values: "t", LongValues: []string{"--attach", "--exit-code-from", "--no-attach", "--pull", "--scale", "--timeout", "--wait-timeout"},
			Aliases: map[string]string{"--detach": "-d", "--timeout": "-t"}},
		"down":    {Values: "t", LongValues: []string{"--rmi", "--timeout"}, Aliases: map[string]string{"--timeout": "-t", "--volumes": "-v"}},
		"stop":    {Values: "t", LongValues: []string{"--timeout"}, Aliases: map[string]string{"--timeout": "-t"}},
		"restart": {Values: "t", LongValues: []string{"--timeout"}, Aliases: map[string]string{"--timeout": "-t"}},
		"kill":    {Values: "s", LongValues: []string{"--signal"}, Aliases: map[string]string{"--signal": "-s"}},
		"logs": {Values: "n", LongValues: []string{"--index", "--since", "--tail", "--until"},
			Aliases: map[string]string{"--follow": "-f", "--tail": "-n", "--timestamps": "-t"}},
		// run SERVICE COMMAND... and exec SERVICE COMMAND...: the command's
		// words stay positionals.
		"run": {Values: "elpuvw", StopAtPositional: true,
			LongValues: []string{"--cap-add", "--cap-drop", "--entrypoint", "--env", "--label", "--name", "--publish", "--pull", "--user", "--volume", "--workdir"},
			Aliases:    map[string]string{"--detach": "-d", "--env": "-e", "--label": "-l", "--publish": "-p", "--user": "-u", "--volume": "-v", "--workdir": "-w"}},
		"exec": {Values: "euw", StopAtPositional: true, LongValues: []string{"--env", "--index", "--user", "--workdir"},
			Aliases: map[string]string{"--detach": "-d", "--env": "-e", "--user": "-u", "--workdir": "-w"}},
	}}

// gitSubcommands are the git subcommands where the global -C and -c mean
// something else (git log -C detects copies, git diff -c shows a combined
// diff, git grep -c counts, git branch -c copies a branch).
var gitSubcommands = map[string]OptionSpec{
	"log": gitLogSpec, "show": gitLogSpec, "whatchanged": gitLogSpec,
	"diff": gitLogSpec, "diff-tree": gitLogSpec, "diff-index": gitLogSpec, "diff-files": gitLogSpec,
	"blame": gitBlameSpec, "annotate": gitBlameSpec,
	// shortlog -c is --committer and -n --numbered, both flags.
	"shortlog": {AttachedValues: "w", LongValues: []string{"--group"}},
	"grep": {Values: "ABCefm", AttachedValues: "O", LongValues: []string{"--after-context", "--before-context", "--context", "--max-count", "--max-depth", "--threads"},
		Aliases: map[string]string{"--after-context": "-A", "--before-context": "-B", "--context": "-C", "--max-count": "-m"}},
	"branch": {Values: "u", LongValues: []string{"--set-upstream-to", "--points-at", "--format", "--sort"},
		Aliases: map[string]string{"--set-upstream-to": "-u"}},
	"push": {Values: "o", LongValues: []string{"--repo", "--receive-pack", "--exec", "--push-option"},
		Aliases: map[string]string{"--force": "-f", "--set-upstream": "-u", "--delete": "-d", "--dry-run": "-n",
			"--verbose": "-v", "--quiet": "-q", "--push-option": "-o"}},
}

// gitLogSpec is the log and diff family's: -n N, -S STRING, -G REGEX, -L
// RANGE, -O FILE, -I REGEX, -l N take values; -C, -M, -B (copy, rename and
// rewrite detection) and -X (dirstat) take only an attached one.
var gitLogSpec = OptionSpec{Values: "nSGLOIl", AttachedValues: "CMBX",
	LongValues: []string{"--author", "--committer", "--grep", "--since", "--until", "--after", "--before", "--max-count", "--skip"},
	Aliases:    map[string]string{"--max-count": "-n"}}

// gitBlameSpec: -L RANGE and -S REVS-FILE take values, -C and -M only an
// attached one; -c, -l, -n, -e and the rest are flags.
var gitBlameSpec = OptionSpec{Values: "LS", AttachedValues: "CM", LongValues: []string{"--contents", "--ignore-rev", "--ignore-revs-file"}}

// kubectlLongValues and kubectlAliases are kubectl's long options with a
// value, global or not: none has another meaning in some subcommand.
var kubectlLongValues = []string{"--namespace", "--context", "--cluster", "--kubeconfig", "--server", "--user", "--token",
	"--as", "--as-group", "--as-uid", "--request-timeout", "--cache-dir", "--certificate-authority", "--client-certificate", "--client-key",
	"--tls-server-name", "--selector", "--output", "--filename", "--kustomize", "--container", "--address", "--pod-running-timeout",
	"--field-selector", "--profile", "--profile-output", "--v", "--image", "--port", "--target-port", "--replicas", "--type",
	"--tail", "--since", "--env", "--overrides", "--patch", "--subresource", "--copy-to", "--target"}

var kubectlAliases = map[string]string{"--namespace": "-n", "--server": "-s", "--selector": "-l", "--output": "-o", "--container": "-c",
	"--v": "-v", "--filename": "-f", "--kustomize": "-k", "--patch": "-p"}

// kubectlFileSpec is for the kubectl subcommands that read resources from
// -f FILE or -k DIR.
var kubectlFileSpec = OptionSpec{Values: "nslocvfk", LongValues: kubectlLongValues, Aliases: kubectlAliases}

// kubectlPatchSpec: kubectl patch -p PATCH, where logs -p is --previous.
var kubectlPatchSpec = OptionSpec{Values: "nslocvfkp", LongValues: kubectlLongValues, Aliases: kubectlAliases}

// kubectlProxySpec: kubectl proxy -p PORT, -u SOCKET, -w DIR, -P PREFIX.
var kubectlProxySpec = OptionSpec{Values: "nslocvpuwP",
	LongValues: append(slices.Clip(kubectlLongValues), "--unix-socket", "--www", "--www-prefix", "--api-prefix", "--accept-hosts",
		"--accept-paths", "--reject-paths", "--reject-methods", "--keepalive"),
	Aliases: withAliases(kubectlAliases, map[string]string{"--port": "-p", "--unix-socket": "-u", "--www": "-w", "--www-prefix": "-P"})}

var kubectlSubcommands = map[string]OptionSpec{
	"annotate": kubectlFileSpec, "apply": kubectlFileSpec, "autoscale": kubectlFileSpec, "create": kubectlFileSpec,
	"delete": kubectlFileSpec, "describe": kubectlFileSpec, "diff": kubectlFileSpec, "edit": kubectlFileSpec,
	"exec": kubectlFileSpec, "expose": kubectlFileSpec, "get": kubectlFileSpec, "label": kubectlFileSpec,
	"patch": kubectlPatchSpec, "proxy": kubectlProxySpec, "replace": kubectlFileSpec, "rollout": kubectlFileSpec, "scale": kubectlFileSpec,
	"set": kubectlFileSpec, "wait": kubectlFileSpec, "auth": kubectlFileSpec, "certificate": kubectlFileSpec,
}

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
	// subs holds the subcommands the next positional may name; base counts
	// the positionals read before spec took effect, for StopAtPositional.
	subs, base := spec.Subcommands, 0
	rest := words[1:]
	for i := 0; i < len(rest); i++ {
		w := rest[i]
		switch {
		case w == "--":
			a.Positionals = append(a.Positionals, rest[i+1:]...)
			return a
		case len(w) < 2 || w[0] != '-':
			a.Positionals = append(a.Positionals, w)
			if subs != nil {
				sub, ok := subs[w]
				if !ok {
					sub, ok = subs[otherSubcommands]
				}
				subs = nil
				if ok {
					spec, subs, base = sub, sub.Subcommands, len(a.Positionals)
					continue
				}
			}
			n := len(a.Positionals) - base
			if spec.StopAtPositional || spec.StopAtSecondPositional && n == 2 {
				a.Positionals = append(a.Positionals, rest[i+1:]...)
				return a
			}
			continue
		case strings.HasPrefix(w, "--") || spec.SingleDashLong:
			orig, val, hasVal := strings.Cut(w, "=")
			name := canonical(&spec, orig)
			if !hasVal && i+1 < len(rest) && takesNext(&spec, orig, name, rest[i+1]) {
				val, hasVal = rest[i+1], true
				i++
			}
			a.Options = append(a.Options, Option{Name: name, Value: val, HasValue: hasVal})
			continue
		}
		// A short option or a cluster of them.
		if !known && !allLetters(w[1:]) {
			a.Options = append(a.Options, Option{Name: canonical(&spec, w)})
			continue
		}
		terminated := false
		for j := 1; j < len(w); j++ {
			c := w[j]
			o := Option{Name: canonical(&spec, "-"+string(c))}
			kind := spec.letterValue(c)
			if kind == noValue {
				a.Options = append(a.Options, o)
				continue
			}
			if kind == digitsValue {
				k := j + 1
				for k < len(w) && w[k] >= '0' && w[k] <= '9' {
					k++
				}
				o.Value, o.HasValue = w[j+1:k], k > j+1
				a.Options = append(a.Options, o)
				j = k - 1
				continue
			}
			// A letter with a value ends the cluster: the rest is the value.
			if j+1 < len(w) {
				o.Value, o.HasValue = w[j+1:], true
			} else if i+1 < len(rest) && (kind == requiredValue || kind == numberValue && isNumber(rest[i+1])) {
				o.Value, o.HasValue = rest[i+1], true
				i++
			}
			a.Options = append(a.Options, o)
			terminated = kind == requiredValue && strings.IndexByte(spec.Terminators, c) >= 0
			break
		}
		if terminated {
			a.Positionals = append(a.Positionals, rest[i+1:]...)
			return a
		}
	}
	return a
}

// withAliases returns a new map with the aliases of both; more wins.
func withAliases(base, more map[string]string) map[string]string {
	m := maps.Clone(base)
	maps.Copy(m, more)
	return m
}

// canonical returns the name an option is compared by: its alias target
// ("--listen" → "-l") or itself.
func canonical(spec *OptionSpec, name string) string {
	if c, ok := spec.Aliases[name]; ok {
		return c
	}
	return name
}

// takesNext reports whether a long option (as written, and as aliased)
// without '=' takes the next word as its value: --data is curl's -d, which
// does; make's --jobs is -j, which does when the next word is a number.
func takesNext(spec *OptionSpec, orig, name, next string) bool {
	if contains(spec.LongValues, orig) || contains(spec.LongValues, name) {
		return true
	}
	if len(name) != 2 || name[0] != '-' {
		return false
	}
	switch spec.letterValue(name[1]) {
	case requiredValue:
		return true
	case numberValue:
		return isNumber(next)
	}
	return false
}

// letterValue says whether and how a short option letter takes a value.
type letterValue int

const (
	noValue       letterValue = iota
	requiredValue             // attached, or else the next word
	numberValue               // attached, or else the next word if it is a number
	attachedValue             // attached only
	digitsValue               // attached digits only; the cluster goes on
)

func (s *OptionSpec) letterValue(c byte) letterValue {
	switch {
	case strings.IndexByte(s.Values, c) >= 0:
		return requiredValue
	case strings.IndexByte(s.OptionalNumbers, c) >= 0:
		return numberValue
	case strings.IndexByte(s.AttachedValues, c) >= 0:
		return attachedValue
	case strings.IndexByte(s.AttachedDigits, c) >= 0:
		return digitsValue
	}
	return noValue
}

// isNumber reports whether s is a count or a load average: digits with at
// most one '.'.
func isNumber(s string) bool {
	digits, dots := 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.':
			dots++
		default:
			return false
		}
	}
	return digits > 0 && dots <= 1
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
