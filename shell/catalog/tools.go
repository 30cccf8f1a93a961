package catalog

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/safeclaw/safeclaw/action"
)

// ---- git ----

// gitScriptConfig lists git -c keys whose value is a command git runs.
const gitScriptConfig = "core.pager core.sshcommand core.editor core.fsmonitor core.askpass sequence.editor diff.external credential.helper gpg.program pager.log pager.diff pager.show uploadpack.packobjectshook"

func (f *finder) git(prog string, args []string, depth int) {
	i := 0
	workTree, chdir := "", ""
	var loc gitLocation
	for i < len(args) && strings.HasPrefix(args[i], "-") {
		w := args[i]
		switch {
		case w == "--work-tree" && i+1 < len(args):
			workTree = args[i+1]
			loc.workTree = workTree
			i++
		case strings.HasPrefix(w, "--work-tree="):
			workTree = w[len("--work-tree="):]
			loc.workTree = workTree
		case w == "-C" && i+1 < len(args):
			chdir = args[i+1]
			loc.chdirs = append(loc.chdirs, chdir)
			i++
		case w == "--git-dir" && i+1 < len(args):
			loc.gitDir, loc.gitDirGiven = args[i+1], true
			i++
		case strings.HasPrefix(w, "--git-dir="):
			loc.gitDir, loc.gitDirGiven = w[len("--git-dir="):], true
		case w == "--bare":
			loc.gitDir, loc.gitDirGiven = ".", true
		case w == "-c" && i+1 < len(args):
			f.gitConfig(args[i+1])
			i++
		case w == "--config-env" || strings.HasPrefix(w, "--config-env="):
			kv, joined := strings.CutPrefix(w, "--config-env=")
			if !joined {
				if i+1 >= len(args) {
					break
				}
				kv = args[i+1]
				i++
			}
			// The value comes from the environment, out of sight.
			if k, _, _ := strings.Cut(kv, "="); !gitHarmlessConfig(strings.ToLower(k)) {
				f.opaque("git", "git --config-env "+k+": a configuration from the environment that can make git run programs")
			}
		case w == "-C" || w == "--git-dir" || w == "--work-tree" || w == "--namespace" || w == "--exec-path" || w == "--super-prefix":
			i++
		case strings.HasPrefix(w, "-c") && len(w) > 2:
			f.gitConfig(w[2:])
		}
		i++
	}
	if i >= len(args) || wantsHelp(args[i:]) {
		return
	}
	sub, rest := args[i], args[i+1:]
	f.gitWrites(prog, sub, rest, workTree, chdir)
	repo := f.gitConfigs(loc, sub != "clone" && sub != "init")
	f.gitRunHooks(sub, rest, repo)
	if sub == "clone" {
		// clone -c/--config KEY=VALUE is set in the new repository before
		// it fetches and checks out: judged as git -c is.
		for j := 0; j < len(rest); j++ {
			w := rest[j]
			switch {
			case w == "--":
				j = len(rest)
			case (w == "-c" || w == "--config") && j+1 < len(rest):
				f.gitConfig(rest[j+1])
				j++
			case strings.HasPrefix(w, "--config="):
				f.gitConfig(w[len("--config="):])
			case strings.HasPrefix(w, "-c") && len(w) > 2 && !strings.HasPrefix(w, "--"):
				f.gitConfig(w[2:])
			}
		}
	}
	switch sub {
	case "daemon":
		port := 9418
		if v, ok := optValue(rest, "--port"); ok {
			port = portNumber(v)
		}
		f.listen(prog, "", port, portDetail("git daemon", port, port != 9418))
	case "instaweb":
		if hasAnyOpt(rest, "--stop -stop") {
			return
		}
		port, given := 1234, false
		if v, ok := optValue(rest, "-p --port"); ok {
			port, given = portNumber(v), true
		}
		f.listen(prog, "", port, portDetail("git instaweb (a web server for the repository)", port, given))
	case "clone", "fetch", "pull", "push", "ls-remote", "archive", "submodule", "remote", "fetch-pack", "send-pack", "request-pull", "send-email", "svn", "lfs", "subtree", "p4":
		if sub == "archive" && !hasOpt(rest, "--remote") {
			return
		}
		if sub == "remote" {
			p := positionals(rest, "")
			if len(p) == 0 || !inList("update show prune set-head add", p[0]) {
				return
			}
		}
		if sub == "submodule" {
			p := positionals(rest, "")
			if len(p) == 0 || !inList("update add sync foreach:never", p[0]) {
				return
			}
		}
		url := ""
		for _, p := range positionals(rest, "-o --origin -b --branch -u --upload-pack --reference --depth --shallow-since --shallow-exclude --separate-git-dir -j --jobs --filter --template --config -c --server-option --recurse-submodules:never --receive-pack --exec --to --from --smtp-server") {
			if isRemoteURL(p) {
				url = p
				break
			}
		}
		host, port := gitHost(url)
		f.connect(prog, host, port, url, "git "+sub+" talks to a remote")
	}
}

// gitWorktreeWriters are the subcommands that write files of the work tree.
var gitWorktreeWriters = map[string]bool{
	"checkout": true, "switch": true, "restore": true, "reset": true, "stash": true, "apply": true, "am": true,
	"merge": true, "pull": true, "rebase": true, "cherry-pick": true, "revert": true, "clean": true, "rm": true,
	"mv": true, "read-tree": true, "checkout-index": true, "sparse-checkout": true, "worktree": true,
}

// gitWrites records the files a git subcommand writes outside .git: the
// directory clone (and init, worktree add) creates, the --output file of
// diff/log/show/format-patch, and, with --work-tree, the pathspecs (or
// the whole tree) a checkout writes there.
func (f *finder) gitWrites(prog, sub string, rest []string, workTree, chdir string) {
	base := func(p string) string {
		if chdir != "" && !strings.HasPrefix(p, "/") && !strings.HasPrefix(p, "~") {
			return strings.TrimSuffix(chdir, "/") + "/" + p
		}
		return p
	}
	if v, ok := optValue(rest, "--output"); ok {
		if inList("diff log show format-patch stash range-diff whatchanged diff-tree diff-index diff-files", sub) {
			f.file(action.FileWrite, prog, base(v), "git "+sub+" --output writes "+v)
		}
	}
	// Files git reads into its output or a commit: diff --no-index A B,
	// commit -F FILE, blame --contents FILE.
	switch sub {
	case "diff":
		if hasOpt(rest, "--no-index") {
			for _, p := range positionals(rest, "-U --unified --output -S -G --diff-filter --stat -O --relative --color --word-diff --anchored") {
				f.file(action.FileRead, prog, base(p), "git diff --no-index reads "+p)
			}
		}
	case "commit", "tag", "notes", "merge":
		if v, ok := optValue(rest, "-F --file"); ok && v != "-" {
			f.file(action.FileRead, prog, base(v), "git "+sub+" -F reads "+v)
		}
	case "blame", "annotate":
		if v, ok := optValue(rest, "--contents"); ok && v != "-" {
			f.file(action.FileRead, prog, base(v), "git blame --contents reads "+v)
		}
	}
	switch sub {
	case "clone":
		pos := positionals(rest, "-o --origin -b --branch -u --upload-pack --reference --reference-if-able --depth --shallow-since --shallow-exclude --separate-git-dir -j --jobs --filter --template --config -c --server-option --bundle-uri --recurse-submodules:never")
		if len(pos) >= 2 {
			f.fileFacet(action.FileWrite, prog, base(pos[1]), "git clone creates "+pos[1], true)
		} else if len(pos) == 1 {
			// The directory is named after the repository, here.
			name := strings.TrimSuffix(strings.TrimRight(pos[0], "/"), ".git")
			if j := strings.LastIndexAny(name, "/:"); j >= 0 {
				name = name[j+1:]
			}
			if name != "" {
				f.fileFacet(action.FileWrite, prog, base(name), "git clone creates "+name, true)
			}
		}
	case "init":
		if pos := positionals(rest, "--template --separate-git-dir -b --initial-branch --object-format --ref-format --shared:never"); len(pos) > 0 {
			f.fileFacet(action.FileWrite, prog, base(pos[0]), "git init creates "+pos[0], true)
		}
	case "worktree":
		pos := positionals(rest, "-b -B --reason")
		if len(pos) >= 2 && pos[0] == "add" {
			f.fileFacet(action.FileWrite, prog, base(pos[1]), "git worktree add creates "+pos[1], true)
		}
	}
	if workTree == "" && gitWorktreeWriters[sub] {
		f.gitTreeWrites(prog, sub, rest, base)
		return
	}
	if workTree == "" || !gitWorktreeWriters[sub] {
		return
	}
	var specs []string
	for k, a := range rest {
		if a == "--" {
			specs = rest[k+1:]
			break
		}
	}
	if len(specs) == 0 {
		f.fileFacet(action.FileWrite, prog, base(workTree), "git --work-tree "+workTree+" "+sub+" writes the tree", true)
		return
	}
	for _, s := range specs {
		f.file(action.FileWrite, prog, strings.TrimSuffix(base(workTree), "/")+"/"+s, "git --work-tree "+workTree+" "+sub+" writes "+s)
	}
}

// protectedProjectFiles are the files of a work tree that decide what
// agents may do there (safeclaw's project policy, the agents' project
// settings): a git command that rewrites the tree may rewrite them.
var protectedProjectFiles = []string{"safeclaw.policy.yaml", ".safeclaw", ".claude/settings.json", ".claude/settings.local.json",
	".gemini/settings.json", ".cursor/hooks.json", ".codex/config.toml", ".codex/hooks.json"}

// gitTreeWrites records what a git subcommand writes in the work tree: the
// paths it names (checkout -- PATH, restore PATH, stash push -- PATH), or,
// when it rewrites the tree as a whole (a branch switch, stash, reset
// --hard, clean, merge), those of protectedProjectFiles that exist there.
// (Every other file of a tree is the project's own, which the agent may
// edit anyway.)
func (f *finder) gitTreeWrites(prog, sub string, rest []string, base func(string) string) {
	var specs []string
	dashdash := false
	for k, a := range rest {
		if a == "--" {
			specs, dashdash = rest[k+1:], true
			rest = rest[:k]
			break
		}
	}
	kind := action.FileWrite
	switch sub {
	case "restore":
		specs = append(specs, positionals(rest, "-s --source --pathspec-from-file")...)
	case "switch":
		if hasAnyOpt(rest, "-c -C --create --force-create") && len(positionals(rest, "-c -C --create --force-create")) == 0 {
			return // a new branch at HEAD: the tree stays as it is
		}
	case "checkout":
		if !dashdash && hasAnyOpt(rest, "-b -B") && len(positionals(rest, "-b -B")) == 0 {
			return // a new branch at HEAD
		}
		if !dashdash {
			// checkout NAME...: paths that exist, else a branch or commit.
			for _, p := range positionals(rest, "-b -B --orphan --conflict --pathspec-from-file") {
				q := base(p)
				if !filepath.IsAbs(q) && !strings.HasPrefix(q, "~") {
					q = filepath.Join(f.cmd.Cwd, q)
				}
				if exists(q) {
					specs = append(specs, p)
				}
			}
		}
	case "rm":
		kind = action.FileDelete
		specs = append(specs, positionals(rest, "--pathspec-from-file")...)
	case "mv":
		specs = append(specs, positionals(rest, "")...)
	case "clean":
		kind = action.FileDelete
	case "reset":
		if !hasAnyOpt(rest, "--hard --merge --keep") {
			return // only the index
		}
	case "stash":
		if p := positionals(rest, "-m --message --pathspec-from-file"); len(p) > 0 && inList("list show drop clear create store branch", p[0]) {
			return
		}
	case "worktree", "read-tree", "checkout-index", "sparse-checkout":
		return // written elsewhere, or only the index
	}
	if len(specs) > 0 {
		for _, s := range specs {
			f.file(kind, prog, base(s), "git "+sub+" writes "+s)
		}
		return
	}
	root := repoRoot(f.cmd.Cwd)
	if root == "" {
		return
	}
	for _, name := range protectedProjectFiles {
		p := filepath.Join(root, name)
		if exists(p) {
			f.fileFacet(kind, prog, p, "git "+sub+" may rewrite "+name, name == ".safeclaw")
		}
	}
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// repoRoot returns the nearest directory at or above dir holding .git, ""
// for none.
func repoRoot(dir string) string {
	if dir == "" || !filepath.IsAbs(dir) {
		return ""
	}
	for d := dir; ; d = filepath.Dir(d) {
		if exists(filepath.Join(d, ".git")) {
			return d
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

// gitConfig handles one -c key=value: values that are commands git runs
// become scripts for the shell package to analyse.
func (f *finder) gitConfig(kv string) {
	k, v, ok := strings.Cut(kv, "=")
	if !ok {
		return
	}
	k = strings.ToLower(k)
	switch {
	case inList(gitScriptConfig, k):
		f.scriptText(strings.TrimPrefix(v, "!"), "git -c "+k)
	case strings.HasPrefix(k, "alias.") && strings.HasPrefix(v, "!"):
		f.scriptText(v[1:], "git -c "+k)
	case !gitHarmlessConfig(k):
		// Hooks, includes, filters, proxies, URL rewrites: many keys make git
		// run code or talk to other hosts, and only some are listed above.
		f.opaque("git", "git -c "+k+": a configuration that can make git run programs or connect elsewhere")
	}
}

// gitHarmlessConfig reports keys that only change how git formats, names or
// merges: user identity, colours, advice, log and status output, and the
// like. Every other key given with -c is treated as able to run code.
func gitHarmlessConfig(k string) bool {
	for _, p := range []string{"user.", "author.", "committer.", "color.", "advice.", "log.", "status.", "column.", "i18n.", "blame.", "format."} {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return inList("init.defaultbranch core.quotepath core.autocrlf core.safecrlf core.filemode core.ignorecase core.abbrev commit.gpgsign "+
		"tag.gpgsign pull.rebase pull.ff merge.ff rebase.autostash rebase.autosquash push.default push.autosetupremote fetch.prune "+
		"gc.auto maintenance.auto safe.directory diff.renames diff.algorithm diff.colormoved merge.conflictstyle branch.sort tag.sort "+
		"help.autocorrect commit.verbose", k)
}

// isRemoteURL reports whether a git argument names a remote repository.
func isRemoteURL(s string) bool {
	if strings.Contains(s, "://") {
		return !strings.HasPrefix(s, "file://")
	}
	// scp-like user@host:path or host:path (not a Windows drive, not a path).
	if i := strings.IndexByte(s, ':'); i > 1 && !strings.ContainsAny(s[:i], "/\\") {
		return true
	}
	return false
}

func gitHost(url string) (string, int) {
	if url == "" {
		return "", 0
	}
	if strings.Contains(url, "://") {
		return urlHost(url)
	}
	h, _ := sshHost(url)
	return h, 0
}

// ---- cloud and platform CLIs ----

func (f *finder) gcloud(prog string, args []string) {
	if wantsHelp(args) {
		return
	}
	pos := positionals(args, "--project --account --configuration --zone --region --format --verbosity --impersonate-service-account --billing-project --flags-file --flatten --ssh-flag --command --local-host-port --listen-on-stdin:never")
	joined := strings.Join(pos, " ")
	switch {
	case strings.Contains(joined, "start-iap-tunnel"):
		port := 0
		if v, ok := optValue(args, "--local-host-port"); ok {
			_, port = hostPort(v)
		}
		f.localForward(prog, "", port, portDetail("gcloud start-iap-tunnel (forwards a local port to a VM)", port, port != 0))
		return
	case strings.Contains(joined, "services proxy"):
		port := 8080
		if v, ok := optValue(args, "--port"); ok {
			port = portNumber(v)
		}
		f.localForward(prog, "", port, portDetail("gcloud run services proxy (forwards a local port to a service)", port, port != 8080))
		return
	case strings.Contains(joined, "emulators") && strings.Contains(joined, "start"):
		f.listen(prog, "", 0, "gcloud emulators start (a local emulator server)")
		return
	case strings.Contains(joined, "compute ssh") || strings.Contains(joined, "tpu-vm ssh") || strings.Contains(joined, "workstations ssh"):
		for i, a := range args {
			if a == "--" {
				f.sshTunnelFlags(prog, args[i+1:])
				break
			}
		}
		for i := 0; i < len(args); i++ {
			if args[i] == "--ssh-flag" && i+1 < len(args) {
				f.sshTunnelFlags(prog, strings.Fields(args[i+1]))
			} else if strings.HasPrefix(args[i], "--ssh-flag=") {
				f.sshTunnelFlags(prog, strings.Fields(strings.TrimPrefix(args[i], "--ssh-flag=")))
			}
		}
	}
	if len(pos) > 0 && !inList("config components topic info version help", pos[0]) {
		f.connect(prog, "", 0, "", "gcloud "+pos[0]+" talks to Google Cloud")
	}
}

// sshTunnelFlags looks for ssh forwarding flags in words passed to ssh by
// another program (gcloud compute ssh -- -L ...).
func (f *finder) sshTunnelFlags(prog string, words []string) {
	for i := 0; i < len(words); i++ {
		w := words[i]
		if len(w) >= 2 && w[0] == '-' && strings.ContainsAny(w[1:2], "LRD") {
			spec := w[2:]
			if spec == "" && i+1 < len(words) {
				spec = words[i+1]
				i++
			}
			f.sshForward(prog, w[:2]+" "+spec, "the remote host")
		}
	}
}

func (f *finder) aws(prog string, args []string) {
	if wantsHelp(args) {
		return
	}
	pos := positionals(args, "--profile --region --output --endpoint-url --query --cli-read-timeout --cli-connect-timeout --ca-bundle --color --target --document-name --parameters --instance-id --reason")
	if len(pos) == 0 || pos[0] == "configure" {
		return
	}
	if len(pos) >= 2 && pos[0] == "ssm" && pos[1] == "start-session" {
		doc, _ := optValue(args, "--document-name")
		if strings.Contains(strings.ToLower(doc), "portforward") {
			f.localForward(prog, "", 0, "aws ssm start-session "+doc+" (forwards a local port)")
			return
		}
	}
	f.connect(prog, "", 0, "", "aws "+pos[0]+" talks to AWS")
}

func (f *finder) azure(prog string, args []string) {
	if wantsHelp(args) {
		return
	}
	pos := positionals(args, "--subscription --resource-group -g --name -n --output -o --query --port --resource-port --target-resource-id")
	joined := strings.Join(pos, " ")
	switch {
	case strings.Contains(joined, "bastion tunnel") || strings.Contains(joined, "create-remote-connection") || strings.Contains(joined, "relay"):
		port := 0
		if v, ok := optValue(args, "--port"); ok {
			port = portNumber(v)
		}
		f.localForward(prog, "", port, portDetail("az "+joined+" (forwards a local port)", port, port != 0))
		return
	case strings.HasPrefix(joined, "ssh"):
		for i, a := range args {
			if a == "--" {
				f.sshTunnelFlags(prog, args[i+1:])
			}
		}
	}
	if len(pos) > 0 && !inList("config configure version help find", pos[0]) {
		f.connect(prog, "", 0, "", "az "+pos[0]+" talks to Azure")
	}
}

func (f *finder) gh(prog string, args []string) {
	if wantsHelp(args) {
		return
	}
	pos := positionals(args, "-R --repo -c --codespace --hostname -q --jq -t --template")
	if len(pos) == 0 || inList("config alias completion extension:never", pos[0]) {
		return
	}
	if len(pos) >= 3 && pos[0] == "codespace" && pos[1] == "ports" && pos[2] == "forward" {
		port := 0
		if len(pos) > 3 {
			l, _, _ := strings.Cut(pos[3], ":")
			port = portNumber(l)
		}
		f.localForward(prog, "", port, portDetail("gh codespace ports forward", port, port != 0))
		return
	}
	if len(pos) >= 2 && pos[0] == "codespace" && (pos[1] == "ssh" || pos[1] == "cp") {
		for i, a := range args {
			if a == "--" {
				f.sshTunnelFlags(prog, args[i+1:])
			}
		}
	}
	f.connect(prog, "api.github.com", 443, "", "gh "+pos[0]+" talks to GitHub")
}

func (f *finder) vscode(prog string, args []string) {
	pos := positionals(args, "--name --accept-server-license-terms:never --host --port --server-data-dir --user-data-dir --extensions-dir --log")
	if len(pos) == 0 || wantsHelp(args) {
		return
	}
	switch pos[0] {
	case "tunnel":
		if len(pos) > 1 && inList("kill status prune unregister rename user restart:never service:never help", pos[1]) {
			return
		}
		f.tunnel(prog, "", 0, prog+" tunnel (exposes this machine through a dev tunnel)")
	case "serve-web":
		port, given := 8000, false
		if v, ok := optValue(args, "--port"); ok {
			port, given = portNumber(v), true
		}
		host, _ := optValue(args, "--host")
		f.listen(prog, host, port, portDetail(prog+" serve-web", port, given))
	}
}

func (f *finder) adb(prog string, args []string) {
	pos := positionals(args, "-s -t -H -P -L")
	if len(pos) == 0 {
		return
	}
	switch pos[0] {
	case "reverse", "forward":
		if hasAnyOpt(args, "--list --remove --remove-all") || len(pos) < 3 {
			return
		}
		_, port := hostPort(strings.TrimPrefix(pos[1], "tcp:"))
		detail := portDetail("adb "+pos[0]+" "+pos[1]+" "+pos[2]+" (port forwarding with the device)", port, port != 0)
		if pos[0] == "forward" && strings.HasPrefix(pos[1], "tcp:") {
			f.localForward(prog, "", port, detail)
		} else {
			f.tunnel(prog, "", port, detail)
		}
	case "tcpip":
		port := 5555
		if len(pos) > 1 {
			port = portNumber(pos[1])
		}
		f.listen(prog, "", port, portDetail("adb tcpip (the device listens for adb over the network)", port, len(pos) > 1))
	case "connect", "pair":
		if len(pos) > 1 {
			h, p := hostPort(pos[1])
			f.connect(prog, h, p, "", "adb "+pos[0])
		}
	}
}

func (f *finder) mirrord(prog string, args []string, depth int) {
	pos := positionals(args, "-t --target -n --target-namespace -f --config-file -a --agent-namespace -e --extract:never -p --pause:never -s --steal:never")
	if len(pos) == 0 || pos[0] != "exec" {
		if len(pos) > 0 && pos[0] != "ls" {
			f.connect(prog, "", 0, "", "mirrord "+pos[0]+" talks to the cluster")
		}
		return
	}
	f.tunnel(prog, "", 0, "mirrord exec mirrors cluster traffic into a local process")
	for i, a := range args {
		if a == "--" {
			f.words(args[i+1:], depth)
			return
		}
	}
}

func (f *finder) firejail(prog string, args []string, depth int) {
	for i, a := range args {
		if !strings.HasPrefix(a, "-") {
			f.words(args[i:], depth)
			return
		}
	}
}

// ---- wrappers and runners ----

// wrapperSkips maps programs that run another command to the options of
// theirs that take a value and how many positionals precede the command.
// The shell package peels most of these itself; the catalogue peels them
// too so that a command reached any way is seen.
var wrapperSkips = map[string]struct {
	valued string
	skip   int
}{
	"sudo":         {valued: "-u --user -g --group -h --host -p --prompt -C --close-from -D --chdir -r --role -t --type -T --command-timeout -U --other-user -R --chroot", skip: 0},
	"doas":         {valued: "-u -C", skip: 0},
	"nohup":        {},
	"setsid":       {},
	"nice":         {valued: "-n --adjustment"},
	"ionice":       {valued: "-c --class -n --classdata -p:never"},
	"stdbuf":       {valued: "-i -o -e --input --output --error"},
	"time":         {valued: "-f --format -o --output"},
	"timeout":      {valued: "-s --signal -k --kill-after", skip: 1},
	"command":      {},
	"builtin":      {},
	"exec":         {valued: "-a"},
	"chroot":       {valued: "--userspec --groups", skip: 1},
	"flock":        {valued: "-w --timeout -E --conflict-exit-code", skip: 1},
	"unbuffer":     {},
	"caffeinate":   {valued: "-t -w"},
	"chrt":         {skip: 1},
	"taskset":      {skip: 1},
	"numactl":      {},
	"strace":       {valued: "-e -o -p -s -u -E -a -b -O -P -S -X"},
	"ltrace":       {valued: "-e -o -p -s -u -a -n -x -L:never"},
	"valgrind":     {},
	"catchsegv":    {},
	"rlwrap":       {valued: "-a -b -f -H -l -p -P -q -s -S -t -w -z -o:never -e -O -C -g -m -M -D"},
	"proxychains":  {valued: "-f"},
	"proxychains4": {valued: "-f"},
	"torsocks":     {valued: "-u -p -P -a"},
	"tsocks":       {},
	"torify":       {},
	"sshpass":      {valued: "-p -f -d -e:never -P"},
	"busybox":      {},
	"toybox":       {},
	"watch":        {valued: "-n --interval -d:never -q --equexit -g:never"},
	"xargs":        {valued: "-I -i:never -n -P -L -s -d -E -a --arg-file --max-args --max-procs --max-lines --delimiter --replace"},
	"parallel":     {valued: "-j --jobs -S --sshlogin -a --arg-file --delay --joblog --results"},
	"env":          {valued: "-u --unset -C --chdir -S:never"},
	"runuser":      {valued: "-u --user -g --group -G --supp-group"},
	"sg":           {skip: 1},
	"systemd-run":  {valued: "-u --unit -p --property --description --slice -E --setenv --uid --gid --nice -M --machine -H --host --working-directory --on-active --on-boot --on-calendar"},
	"nix-shell":    {},
	"dotenv":       {valued: "-e -v -c"},
	"dotenvx":      {},
	"cross-env":    {},
	"env-cmd":      {valued: "-f --file -e --environments"},
	"op":           {},
	"doppler":      {},
	"aws-vault":    {},
	"direnv":       {},
	"stack":        {},
	"cabal":        {},
	"uv":           {},
	"poetry":       {},
	"pipenv":       {},
	"pdm":          {},
	"hatch":        {},
	"rye":          {},
	"conda":        {valued: "-n --name -p --prefix"},
	"mamba":        {valued: "-n --name -p --prefix"},
	"micromamba":   {valued: "-n --name -p --prefix"},
	"pixi":         {valued: "-e --environment --manifest-path"},
	"bundle":       {},
	"bundler":      {},
	"be":           {},
	"nix":          {},
	"tmux":         {},
	"screen":       {},
	"script":       {},
}

// runnerSubs are the subcommands of package managers that run the command
// that follows ("uv run", "poetry run", "bundle exec").
const runnerSubs = "run exec x dlx"

func (f *finder) wrapper(prog string, args []string, depth int) bool {
	w, ok := wrapperSkips[prog]
	if !ok {
		return false
	}
	switch prog {
	case "uv", "poetry", "pipenv", "pdm", "hatch", "rye", "conda", "mamba", "micromamba", "pixi", "bundle", "bundler", "stack", "cabal", "op", "doppler", "aws-vault", "dotenvx", "direnv":
		return f.subRunner(prog, args, w.valued, depth)
	case "be":
		f.words(args, depth)
		return true
	case "nix":
		return f.subRunner(prog, args, "", depth)
	case "nix-shell":
		if v, ok := optValue(args, "--run --command"); ok {
			f.scriptText(v, "nix-shell --run")
		}
		return true
	case "tmux", "screen":
		// tmux new-session 'cmd', screen -dm cmd: the command is a shell text.
		pos := positionals(args, "-s -n -t -c -x -y -S -L -f -e -F -T")
		if len(pos) > 1 && inList("new-session new new-window neww split-window splitw send-keys:never", pos[0]) {
			f.scriptText(strings.Join(pos[1:], " "), prog+" "+pos[0])
		} else if prog == "screen" && len(pos) > 0 {
			f.words(pos, depth)
		}
		return true
	case "script":
		if v, ok := optValue(args, "-c --command"); ok {
			f.scriptText(v, "script -c")
		}
		return true
	case "proxychains", "proxychains4", "torsocks", "tsocks", "torify":
		f.connect(prog, "", 0, "", prog+" routes the command through a proxy")
	}
	inner := peel(args, w.valued, w.skip, prog == "env" || prog == "sudo")
	f.words(inner, depth)
	return true
}

// subRunner handles PM run/exec: "uv run CMD", "bundle exec CMD",
// "poetry run CMD", "op run -- CMD".
func (f *finder) subRunner(prog string, args []string, valued string, depth int) bool {
	i := 0
	for i < len(args) && strings.HasPrefix(args[i], "-") {
		if valued != "" && inList(valued, args[i]) {
			i++
		}
		i++
	}
	if i >= len(args) {
		return true
	}
	sub := args[i]
	switch {
	case prog == "uv" && sub == "pip":
		f.clientSub("pip", args[i+1:])
	case prog == "uv" && sub == "tool" && i+1 < len(args) && args[i+1] == "run":
		f.words(peel(args[i+2:], "--from --with -p --python", 0, false), depth)
	case inList(runnerSubs, sub) || (prog == "nix" && sub == "shell"):
		rest := args[i+1:]
		if prog == "nix" {
			// nix run PKG -- ARGS, nix shell PKGS -c CMD
			for j, a := range rest {
				if a == "-c" || a == "--command" {
					f.words(rest[j+1:], depth)
					return true
				}
			}
			return true
		}
		f.words(peel(rest, "-p --python --with --from --env-file -e --environment -n --name --group --extra --package --directory --project --frozen:never -C --cwd", 0, false), depth)
	case inList("add install sync lock update upgrade i publish download self", sub):
		f.connect(prog, "", 0, "", prog+" "+sub+" downloads packages")
	}
	return true
}

// peel drops a wrapper's options (and the values of valued ones), its
// leading positionals, and with assignments VAR=value words, returning the
// command it runs.
func peel(args []string, valued string, skip int, assignments bool) []string {
	i := 0
	for i < len(args) {
		w := args[i]
		if w == "--" {
			i++
			break
		}
		if strings.HasPrefix(w, "-") && len(w) > 1 {
			if !strings.Contains(w, "=") && valued != "" && inList(valued, w) {
				i++
			}
			i++
			continue
		}
		if assignments && isAssignment(w) {
			i++
			continue
		}
		if skip > 0 {
			skip--
			i++
			continue
		}
		break
	}
	if i > len(args) {
		return nil
	}
	return args[i:]
}

func isAssignment(w string) bool {
	name, _, ok := strings.Cut(w, "=")
	if !ok || name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c != '_' && (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// runner handles npx, bunx, pnpx, uvx, pipx run: their own options, then
// the package's command.
func (f *finder) runner(prog string, args []string, depth int) {
	switch prog {
	case "pipx":
		pos := positionals(args, "--spec --python --index-url -i --pip-args")
		if len(pos) > 0 && pos[0] == "run" {
			f.words(peel(args[indexOf(args, "run")+1:], "--spec --python --index-url -i --pip-args", 0, false), depth)
		} else if len(pos) > 0 && inList("install upgrade reinstall inject upgrade-all install-all", pos[0]) {
			f.connect(prog, "", 0, "", "pipx "+pos[0]+" downloads packages")
		}
		return
	case "uvx":
		f.words(peel(args, "--from --with -p --python --index-url --with-requirements", 0, false), depth)
		return
	}
	f.words(peel(args, "-p --package -c --call --cache --registry --userconfig -w --workspace --node-options --shell:never", 0, false), depth)
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// read reads a file relative to the command's working directory.
func (f *finder) read(name string) []byte {
	if f.cmd.ReadFile == nil {
		return nil
	}
	if !filepath.IsAbs(name) {
		if f.cmd.Cwd == "" {
			return nil
		}
		name = filepath.Join(f.cmd.Cwd, name)
	}
	data, err := f.cmd.ReadFile(name)
	switch {
	case err == nil && len(data) <= MaxFileBytes:
		return data
	case err == nil:
		f.opaque(f.program(), fmt.Sprintf("%s, which says what the command runs, is longer than %d MiB: not read", name, MaxFileBytes>>20))
	case !Missing(err):
		f.opaque(f.program(), fmt.Sprintf("%s, which says what the command runs, cannot be read (%v)", name, err))
	}
	return nil
}

// MaxFileBytes bounds the files the catalogue reads.
const MaxFileBytes = 1 << 20

// Missing reports whether a ReadFile error means there is no file to read
// there (none, a directory, or reading disabled): the command then runs
// nothing from it. Any other failure leaves what it runs unknown.
func Missing(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.EISDIR) || errors.Is(err, syscall.ENOTDIR)
}

// program is the program of the command being looked into.
func (f *finder) program() string {
	if len(f.cmd.Views) == 0 {
		return ""
	}
	return f.cmd.Views[len(f.cmd.Views)-1].Program
}
