package catalog

import (
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"sync"

	"github.com/safeclaw/safeclaw/action"
)

// readers lists programs whose file arguments they read, with the options
// of theirs that take a value and how many leading positionals are not
// files (grep's pattern).
var readers = map[string]struct {
	valued  string
	skip    int
	skipOpt string // when one of these options is present, no positional is skipped (grep -e)
}{
	"cat": {}, "tac": {}, "nl": {valued: "-b -d -f -h -i -l -n -s -v -w"}, "less": {valued: "-b -h -j -k -o -O -p -P -t -T -x -y -z"}, "more": {},
	"head": {valued: "-n -c --lines --bytes"}, "tail": {valued: "-n -c --lines --bytes -s --sleep-interval --pid"},
	"grep":  {valued: "-e -f -m -A -B -C -d -D --regexp --file --max-count --include --exclude --exclude-dir --label --color:never", skip: 1, skipOpt: "-e -f --regexp --file"},
	"egrep": {valued: "-e -f -m -A -B -C", skip: 1, skipOpt: "-e -f"}, "fgrep": {valued: "-e -f -m -A -B -C", skip: 1, skipOpt: "-e -f"},
	"zgrep": {valued: "-e -f -m -A -B -C", skip: 1, skipOpt: "-e -f"},
	"rg":    {valued: "-e -f -g -t -T -m -A -B -C -j -M --glob --type --type-not --max-count --regexp --file --iglob --max-depth --replace -r --sort --sortr --context-separator --field-match-separator --color --colors --encoding -E --engine --pre --pre-glob --threads", skip: 1, skipOpt: "-e -f --regexp --file --files"},
	"ag":    {valued: "-G -A -B -C -m --ignore -g", skip: 1},
	"wc":    {}, "strings": {valued: "-n -t -e"}, "xxd": {valued: "-c -g -l -s -o"}, "hexdump": {valued: "-n -s -e -f"}, "od": {valued: "-A -j -N -t -w"},
	"base64": {valued: "-w --wrap"}, "base32": {valued: "-w"}, "md5sum": {}, "sha1sum": {}, "sha256sum": {}, "sha512sum": {}, "b2sum": {}, "cksum": {},
	"sort": {valued: "-k -t -o -S -T --key --field-separator --output --buffer-size"}, "uniq": {valued: "-f -s -w"}, "cut": {valued: "-b -c -d -f"},
	"file": {valued: "-m -e -F"}, "stat": {valued: "-c --format --printf"}, "bat": {valued: "-l --language -H --highlight-line -r --line-range --theme --style"},
	"jq": {valued: "--arg --argjson --slurpfile --rawfile --indent -L", skip: 1}, "yq": {valued: "--arg -I", skip: 1},
	"diff": {valued: "-U -C -x -X -I --label -L"}, "cmp": {valued: "-i -n"}, "source": {}, ".": {},
	"comm": {}, "join": {valued: "-1 -2 -j -t -o -e"}, "paste": {valued: "-d"}, "fold": {valued: "-w"}, "fmt": {valued: "-w -p"},
	"pr": {valued: "-h -l -w -o"}, "expand": {valued: "-t"}, "unexpand": {valued: "-t"}, "tsort": {}, "rev": {},
	"column":       {valued: "-c -s -o -N -E -H -R -T -W -l -n -r --output-width --separator --output-separator --table-columns --table-columns-limit --table-name --table-order --table-right --table-truncate --table-wrap --table-hide --table-noextreme"},
	"openssl-x509": {}, "zcat": {}, "bzcat": {}, "xzcat": {}, "zless": {}, "view:never": {},
}

// outputOptions are the options that name a file (or directory) a build
// or test tool writes.
var outputOptions = map[string]string{
	"go": "-o", "gcc": "-o", "g++": "-o", "cc": "-o", "c++": "-o", "clang": "-o", "clang++": "-o", "tcc": "-o",
	"rustc": "-o --out-dir", "javac": "-d", "tsc": "--outFile --outDir", "esbuild": "--outfile --outdir",
	"pip": "--target -t --report", "pytest": "--junitxml --junit-xml --resultlog", "ruff": "--output-file -o",
	"mypy": "--junit-xml", "cargo": "--out-dir --artifact-dir", "deno": "--output -o",
}

// outputFiles records the files a build or test tool's output options
// name (go build -o .git/hooks/x is a hook).
func (f *finder) outputFiles(prog string, args []string) {
	opts, ok := outputOptions[prog]
	if !ok {
		return
	}
	for _, o := range strings.Fields(opts) {
		for i := 0; i < len(args); i++ {
			a := args[i]
			switch {
			case a == o && i+1 < len(args):
				f.file(action.FileWrite, prog, args[i+1], prog+" "+o+" writes "+args[i+1])
				i++
			case strings.HasPrefix(o, "--") && strings.HasPrefix(a, o+"="):
				v := a[len(o)+1:]
				f.file(action.FileWrite, prog, v, prog+" "+o+" writes "+v)
			case !strings.HasPrefix(o, "--") && len(o) == 2 && strings.HasPrefix(a, o) && len(a) > 2 && !strings.HasPrefix(a, "--"):
				f.file(action.FileWrite, prog, a[2:], prog+" "+o+" writes "+a[2:])
			}
		}
	}
}

// fileOps records file.read, file.write and file.delete facets for the
// programs that read, write or delete their arguments.
func (f *finder) fileOps(prog string, args []string) bool {
	switch prog {
	case "tee":
		for _, p := range positionals(args, "--output-error:never") {
			f.file(action.FileWrite, prog, p, "tee writes "+p)
		}
	case "cp", "install", "mv":
		f.copyLike(prog, args)
	case "rsync":
		if hasOpt(args, "--daemon") {
			port := 873
			if v, ok := optValue(args, "--port"); ok {
				port = portNumber(v)
			}
			f.listen(prog, "", port, portDetail("rsync --daemon", port, port != 873))
			return true
		}
		if !rsyncRemote(args) {
			f.copyLike(prog, args)
			return true
		}
		return false
	case "rm", "unlink", "rmdir", "srm":
		for _, p := range positionals(args, "--interactive:never") {
			f.file(action.FileDelete, prog, p, prog+" deletes "+p)
		}
	case "shred":
		del := hasOpt(args, "-u") || hasAnyOpt(args, "--remove --zero:never")
		for _, p := range positionals(args, "-n --iterations -s --size --random-source") {
			if del {
				f.file(action.FileDelete, prog, p, "shred -u overwrites and deletes "+p)
			} else {
				f.file(action.FileWrite, prog, p, "shred overwrites "+p)
			}
		}
	case "ln":
		pos := positionals(args, "-t --target-directory -S --suffix")
		if dir, ok := optValue(args, "-t --target-directory"); ok {
			for _, p := range pos {
				f.file(action.FileWrite, prog, strings.TrimSuffix(dir, "/")+"/"+filepath.Base(p), "ln creates a link in "+dir)
			}
			return true
		}
		switch len(pos) {
		case 0:
		case 1:
			f.file(action.FileWrite, prog, filepath.Base(pos[0]), "ln creates a link")
		default:
			f.file(action.FileWrite, prog, pos[len(pos)-1], "ln creates a link "+pos[len(pos)-1])
		}
	case "dd":
		for _, a := range args {
			if v, ok := strings.CutPrefix(a, "if="); ok {
				f.file(action.FileRead, prog, v, "dd reads "+v)
			} else if v, ok := strings.CutPrefix(a, "of="); ok {
				f.file(action.FileWrite, prog, v, "dd writes "+v)
			}
		}
	case "sed", "gsed":
		sa := parseSedArgs(args)
		inPlace, pos, scripts := sa.inPlace, sa.pos, sa.scripts
		if !sa.hasScript && len(pos) > 0 {
			scripts = append(scripts, pos[0])
			pos = pos[1:]
		}
		for _, name := range sa.files {
			// sed -f FILE: the script is in a file (one from stdin is
			// Command.Stdin's business).
			if name != "-" && !isStdinFile(name) {
				if b := f.read(name); b != nil {
					scripts = append(scripts, string(b))
				}
			}
		}
		for _, sc := range scripts {
			f.sedScript(prog, sc)
		}
		for _, p := range pos {
			if inPlace {
				f.file(action.FileWrite, prog, p, "sed -i edits "+p)
			} else {
				f.file(action.FileRead, prog, p, "sed reads "+p)
			}
		}
	case "uniq", "xxd":
		// uniq [IN [OUT]], xxd [IN [OUT]]: the second file is written.
		valued := "-f -s -w --skip-fields --skip-chars --check-chars --group --all-repeated"
		if prog == "xxd" {
			valued = "-c -g -l -s -o -n -cols -groupsize -len -seek -offset -name"
		}
		pos := positionals(args, valued)
		if len(pos) > 0 && pos[0] != "-" {
			f.file(action.FileRead, prog, pos[0], prog+" reads "+pos[0])
		}
		if len(pos) > 1 && pos[1] != "-" {
			f.file(action.FileWrite, prog, pos[1], prog+" writes "+pos[1])
		}
	case "tree":
		if v, ok := optValue(args, "-o"); ok {
			f.file(action.FileWrite, prog, v, "tree -o writes "+v)
		}
		return false // its directories are read as any lister's
	case "jq", "gojq":
		f.jqFiles(prog, args)
	case "date":
		// date -f FILE parses each line of FILE, and prints the ones it
		// cannot parse in its error messages.
		for i := 0; i < len(args); i++ {
			val, ok := strings.CutPrefix(args[i], "--file=")
			if !ok && (args[i] == "-f" || args[i] == "--file") && i+1 < len(args) {
				val, ok = args[i+1], true
				i++
			}
			if !ok && strings.HasPrefix(args[i], "-f") && len(args[i]) > 2 {
				val, ok = args[i][2:], true
			}
			if ok && val != "-" {
				f.file(action.FileRead, prog, val, "date -f reads "+val)
			}
		}
		return false
	case "truncate":
		for _, p := range positionals(args, "-s --size -r --reference") {
			f.file(action.FileWrite, prog, p, "truncate writes "+p)
		}
	case "chmod", "chown", "chgrp", "chattr", "setfacl":
		pos := positionals(args, "--reference:never -m -x -M -X")
		if !hasAnyOpt(args, "--reference -m -x -M -X -b -k") && len(pos) > 0 {
			pos = pos[1:]
		}
		for _, p := range pos {
			f.file(action.FileWrite, prog, p, prog+" changes "+p)
		}
	case "touch":
		for _, p := range positionals(args, "-d -t -r --date --reference") {
			f.file(action.FileWrite, prog, p, "touch writes "+p)
		}
	case "mkdir", "mkfifo", "mknod":
		pos := positionals(args, "-m --mode -Z:never --context:never")
		if prog == "mknod" && len(pos) > 1 {
			pos = pos[:1]
		}
		for _, p := range pos {
			f.file(action.FileWrite, prog, p, prog+" creates "+p)
		}
	case "find":
		f.find(prog, args)
	case "tar", "bsdtar", "gtar":
		f.tar(prog, args)
	case "unzip":
		pos := positionals(args, "-d -x -P")
		if len(pos) > 0 {
			f.file(action.FileRead, prog, pos[0], "unzip reads "+pos[0])
			dir := "."
			if d, ok := optValue(args, "-d"); ok {
				dir = d
			}
			if !hasOpt(args, "-l") && !hasOpt(args, "-t") {
				f.file(action.FileWrite, prog, dir, "unzip extracts into "+dir)
			}
		}
	case "zip":
		pos := positionals(args, "-x -i -P -b -n -t -tt -O")
		for i, p := range pos {
			if i == 0 {
				f.file(action.FileWrite, prog, p, "zip writes "+p)
			} else if hasAnyOpt(args, "-r -R --recurse-paths") {
				f.fileAll(prog, p, "zip reads everything under "+p)
			} else {
				f.file(action.FileRead, prog, p, "zip reads "+p)
			}
		}
	default:
		r, ok := readers[prog]
		if !ok {
			return false
		}
		pos := positionals(args, r.valued)
		skip := r.skip
		if r.skipOpt != "" && hasAnyOpt(args, r.skipOpt) {
			skip = 0
		}
		if skip > len(pos) {
			skip = len(pos)
		}
		recursive := recursiveReader(prog, args)
		for _, p := range pos[skip:] {
			if p == "-" {
				continue
			}
			if recursive {
				f.fileAll(prog, p, prog+" reads everything under "+p)
				continue
			}
			f.file(action.FileRead, prog, p, prog+" reads "+p)
		}
		switch prog {
		case "grep", "egrep", "fgrep", "zgrep", "rg":
			// -f FILE reads patterns from FILE (rg -o -f FILE prints them).
			for i := 0; i < len(args); i++ {
				if args[i] == "--" {
					break
				}
				val, ok := strings.CutPrefix(args[i], "--file=")
				if !ok && (args[i] == "-f" || args[i] == "--file") && i+1 < len(args) {
					val, ok = args[i+1], true
					i++
				}
				if ok && val != "-" {
					f.file(action.FileRead, prog, val, prog+" -f reads "+val)
				}
			}
		}
		if prog == "sort" {
			if o, ok := optValue(args, "-o --output"); ok {
				f.file(action.FileWrite, prog, o, "sort -o writes "+o)
			}
		}
	}
	return true
}

// rsyncValued lists rsync's options that take a value (its clients row).
func rsyncValued() string {
	c, _ := clients.get("rsync")
	return c.valued
}

func rsyncRemote(args []string) bool {
	for _, p := range positionals(args, rsyncValued()) {
		if strings.Contains(p, "::") || strings.HasPrefix(p, "rsync://") {
			return true
		}
		if i := strings.IndexByte(p, ':'); i > 1 && !strings.ContainsAny(p[:i], "/\\") {
			return true
		}
	}
	return false
}

// copyLike handles cp, mv, install and local rsync: sources read (and for
// mv deleted), the destination written.
func (f *finder) copyLike(prog string, args []string) {
	valued := "-t --target-directory -S --suffix -m --mode -o --owner -g --group"
	if prog == "rsync" {
		valued = rsyncValued()
	}
	pos := positionals(args, valued)
	if prog == "install" && hasOpt(args, "-d") {
		for _, p := range pos {
			f.file(action.FileWrite, prog, p, "install -d creates "+p)
		}
		return
	}
	dst, hasDir := optValue(args, "-t --target-directory")
	srcs := pos
	if !hasDir {
		if len(pos) < 2 {
			return
		}
		dst, srcs = pos[len(pos)-1], pos[:len(pos)-1]
	}
	recursive := prog == "rsync" && hasAnyOpt(args, "-r -a --recursive --archive") ||
		prog == "cp" && hasAnyOpt(args, "-r -R -a --recursive --archive")
	for _, s := range srcs {
		if recursive {
			f.fileAll(prog, s, prog+" reads everything under "+s)
		} else {
			f.file(action.FileRead, prog, s, prog+" reads "+s)
		}
		if prog == "mv" {
			f.file(action.FileDelete, prog, s, "mv removes "+s)
		}
	}
	f.file(action.FileWrite, prog, dst, prog+" writes "+dst)
}

// tarArgs reads tar's mode (x, c, t, r, u), archive (-f), directory (-C)
// and file operands.
func tarArgs(args []string) (mode byte, archive, dir string, files []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--extract" || a == "--get":
			mode = 'x'
		case a == "--create":
			mode = 'c'
		case a == "--append" || a == "--update":
			mode = 'r'
		case a == "--list":
			mode = 't'
		case a == "-f" || a == "--file":
			if i+1 < len(args) {
				archive = args[i+1]
				i++
			}
		case strings.HasPrefix(a, "--file="):
			archive = strings.TrimPrefix(a, "--file=")
		case a == "-C" || a == "--directory":
			if i+1 < len(args) {
				dir = args[i+1]
				i++
			}
		case strings.HasPrefix(a, "--directory="):
			dir = strings.TrimPrefix(a, "--directory=")
		case strings.HasPrefix(a, "--"):
		case (i == 0 && !strings.HasPrefix(a, "-") && isLetters(a)) || (strings.HasPrefix(a, "-") && isLetters(a[1:])):
			letters := strings.TrimPrefix(a, "-")
			for j := 0; j < len(letters); j++ {
				switch c := letters[j]; c {
				case 'x', 'c', 't', 'r', 'u':
					mode = c
				case 'f':
					if j == len(letters)-1 && i+1 < len(args) {
						archive = args[i+1]
						i++
					}
				case 'C':
					if j == len(letters)-1 && i+1 < len(args) {
						dir = args[i+1]
						i++
					}
				}
			}
		default:
			files = append(files, a)
		}
	}
	return mode, archive, dir, files
}

func (f *finder) tar(prog string, args []string) {
	mode, archive, dir, files := tarArgs(args)
	switch mode {
	case 'x':
		if archive != "" && archive != "-" {
			f.file(action.FileRead, prog, archive, "tar reads "+archive)
		}
		if dir == "" {
			dir = "."
		}
		f.file(action.FileWrite, prog, dir, "tar extracts into "+dir)
	case 'c', 'r', 'u':
		if archive != "" && archive != "-" {
			f.file(action.FileWrite, prog, archive, "tar writes "+archive)
		}
		for _, p := range files {
			if dir != "" && !filepath.IsAbs(p) {
				p = strings.TrimSuffix(dir, "/") + "/" + p // walked, not cleaned (see CanonicalPath)
			}
			f.fileAll(prog, p, "tar reads everything under "+p)
		}
	case 't':
		if archive != "" && archive != "-" {
			f.file(action.FileRead, prog, archive, "tar lists "+archive)
		}
	}
}

// sedScript records what a sed script does beyond editing its input:
// w/W FILE and s///w FILE write FILE, r/R FILE read it, e CMD runs CMD, and
// a bare e or s///e runs the pattern space, text nobody can see here.
func (f *finder) sedScript(prog, script string) {
	for line := range strings.Lines(script) {
		line = strings.TrimRight(line, "\r\n")
		for line != "" {
			cmd, arg, rest := sedCommand(line)
			switch cmd {
			case 'w', 'W':
				f.file(action.FileWrite, prog, arg, "sed "+string(cmd)+" writes "+arg)
			case 'r', 'R':
				f.file(action.FileRead, prog, arg, "sed "+string(cmd)+" reads "+arg)
			case 'e':
				if strings.TrimSpace(arg) == "" {
					f.opaque(prog, "sed e runs the pattern space as a command")
				} else {
					f.scriptText(arg, "sed e")
				}
			case 's':
				if flags, file, ok := sedSubstFlags(arg); ok {
					if strings.ContainsRune(flags, 'e') {
						f.opaque(prog, "sed s///e runs the pattern space as a command")
					}
					if file != "" {
						f.file(action.FileWrite, prog, file, "sed s///w writes "+file)
					}
				}
			}
			line = rest
		}
	}
}

// sedCommand reads one command of a sed script line: its letter, its
// argument (to the end of the line for a, i, c, e, r, R, w, W, and the
// rest of an s command) and what follows it.
func sedCommand(line string) (cmd byte, arg, rest string) {
	i := 0
	skipSpace := func() {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t' || line[i] == ';' || line[i] == '{' || line[i] == '}') {
			i++
		}
	}
	skipAddr := func() {
		switch {
		case i < len(line) && (line[i] == '/' || line[i] == '\\'):
			d := line[i]
			if d == '\\' && i+1 < len(line) {
				i++
				d = line[i]
			}
			for i++; i < len(line) && line[i] != d; i++ {
				if line[i] == '\\' {
					i++
				}
			}
			i++
		default:
			for i < len(line) && (line[i] >= '0' && line[i] <= '9' || line[i] == '$' || line[i] == '~' || line[i] == '+') {
				i++
			}
		}
	}
	skipSpace()
	skipAddr()
	if i < len(line) && line[i] == ',' {
		i++
		skipAddr()
	}
	for i < len(line) && (line[i] == ' ' || line[i] == '!') {
		i++
	}
	if i >= len(line) {
		return 0, "", ""
	}
	cmd = line[i]
	i++
	switch cmd {
	case 'a', 'i', 'c', 'e', 'r', 'R', 'w', 'W':
		return cmd, strings.TrimLeft(line[i:], " \t"), ""
	case 's', 'y':
		if i >= len(line) {
			return cmd, "", ""
		}
		d, n := line[i], 0
		j := i + 1
		for ; j < len(line) && n < 2; j++ {
			if line[j] == '\\' {
				j++
				continue
			}
			if line[j] == d {
				n++
			}
		}
		// Flags run to a ; or the end (w FILE to the end of the line).
		end := j
		for end < len(line) && line[end] != ';' && line[end] != '}' {
			if line[end] == 'w' {
				end = len(line)
				break
			}
			end++
		}
		return cmd, line[i:end], line[end:]
	}
	j := strings.IndexAny(line[i:], ";}")
	if j < 0 {
		return cmd, "", ""
	}
	return cmd, "", line[i+j:]
}

// sedSubstFlags returns the flags of an s command's argument (/re/repl/flags)
// and the file of its w flag.
func sedSubstFlags(arg string) (flags, file string, ok bool) {
	if arg == "" {
		return "", "", false
	}
	d, n := arg[0], 0
	i := 1
	for ; i < len(arg) && n < 2; i++ {
		if arg[i] == '\\' {
			i++
			continue
		}
		if arg[i] == d {
			n++
		}
	}
	if n < 2 {
		return "", "", false
	}
	flags = arg[i:]
	if k := strings.IndexByte(flags, 'w'); k >= 0 {
		file = strings.TrimSpace(flags[k+1:])
		flags = flags[:k]
	}
	return flags, file, true
}

// CanonicalPath makes p absolute and canonical the way the kernel will see
// it: ~ expanded with home, a relative path joined to cwd, and the path then
// walked component by component, so that a symlink is replaced by its target
// before a following ".." applies (/var/run/../x is /x when /var/run links
// to /run, not /var/x as a lexical clean has it) and a dangling symlink
// leads where a write through it would create the file. Components that do
// not exist are taken as plain directories. It returns p cleaned when it
// cannot do better (a relative p with no absolute cwd, a symlink loop).
func CanonicalPath(p, cwd, home string) string {
	return canonicalPath(p, cwd, home, nil)
}

// canonicalPath is CanonicalPath with a cache of the symlinks met (target,
// or notLink), so that one command's several paths under the same
// directory cost one walk.
func canonicalPath(p, cwd, home string, cache map[string]string) string {
	if p == "" {
		return ""
	}
	switch {
	case p == "~" && home != "":
		p = home
	case strings.HasPrefix(p, "~/") && home != "":
		p = home + p[1:]
	case strings.HasPrefix(p, "$HOME/") && home != "":
		p = home + p[len("$HOME"):]
	case strings.HasPrefix(p, "${HOME}/") && home != "":
		p = home + p[len("${HOME}"):]
	case (p == "~+" || strings.HasPrefix(p, "~+/")) && cwd != "":
		p = cwd + p[2:] // bash's ~+ is $PWD
	case strings.HasPrefix(p, "~") && !strings.HasPrefix(p, "~-"):
		// ~user is that user's home directory (~- is $OLDPWD, unknown here).
		name, rest, _ := strings.Cut(p[1:], "/")
		if dir := userHome(name); dir != "" {
			p = dir + "/" + rest
		}
	}
	if !filepath.IsAbs(p) && cwd != "" && !strings.HasPrefix(p, "~") {
		// Not filepath.Join: it cleans "link/.." away before the walk.
		p = cwd + "/" + p
	}
	if !filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	if r, ok := walkPath(p, cache); ok {
		return r
	}
	return filepath.Clean(p)
}

// userHomes caches userHome's answers.
var userHomes sync.Map

// userHome returns the home directory of the user named name, "" when
// there is none (bash then keeps ~name as it is).
func userHome(name string) string {
	if name == "" || strings.ContainsAny(name, "$`*?[") {
		return ""
	}
	if v, ok := userHomes.Load(name); ok {
		return v.(string)
	}
	dir := ""
	if u, err := user.Lookup(name); err == nil && filepath.IsAbs(u.HomeDir) {
		dir = u.HomeDir
	}
	userHomes.Store(name, dir)
	return dir
}

// maxGlobPaths bounds the files one glob pattern is expanded to; a pattern
// that matches more stands for its whole directory.
const maxGlobPaths = 64

// Paths returns the files a command's path argument names, the way the
// shell and the kernel will find them: canonical (see CanonicalPath), and
// a glob pattern expanded against the files that exist (a pattern matching
// nothing is the literal name, as bash leaves it; one matching more than
// maxGlobPaths files is its directory, tree set). known is false when the
// path cannot be worked out statically: it holds a variable or command
// substitution, a ~ form without a home (~-), or it is relative while the
// working directory is not known.
func Paths(p, cwd, home string) (paths []string, tree, known bool) {
	return paths2(p, cwd, home, nil)
}

func paths2(p, cwd, home string, cache map[string]string) (paths []string, tree, known bool) {
	if strings.ContainsAny(p, "$`") {
		return nil, false, false
	}
	c := canonicalPath(p, cwd, home, cache)
	if !filepath.IsAbs(c) {
		return nil, false, false
	}
	if !strings.ContainsAny(c, "*?[") {
		return []string{c}, false, true
	}
	matches, err := filepath.Glob(c)
	switch {
	case err != nil || len(matches) == 0:
		return []string{c}, false, true
	case len(matches) > maxGlobPaths:
		dir := c
		for strings.ContainsAny(dir, "*?[") {
			dir = filepath.Dir(dir)
		}
		return []string{dir}, true, true
	}
	for i, m := range matches {
		matches[i] = canonicalPath(m, "", home, cache)
	}
	return matches, false, true
}

// maxSymlinks bounds symlink expansion, as the kernel does (ELOOP at 40).
const maxSymlinks = 40

// notLink marks, in the cache, a path that is not a symlink (or does not
// exist).
const notLink = "\x00"

// walkPath resolves an absolute path component by component, expanding
// symlinks where they are met; false on a symlink loop.
func walkPath(p string, cache map[string]string) (string, bool) {
	pending := strings.Split(p, "/")
	resolved := "/"
	links := 0
	for len(pending) > 0 {
		comp := pending[0]
		pending = pending[1:]
		switch comp {
		case "", ".":
			continue
		case "..":
			resolved = filepath.Dir(resolved)
			continue
		}
		next := filepath.Join(resolved, comp)
		target, ok := cache[next]
		if !ok {
			target = notLink
			if fi, err := os.Lstat(next); err == nil && fi.Mode()&os.ModeSymlink != 0 {
				if t, err := os.Readlink(next); err == nil {
					target = t
				}
			}
			if cache != nil {
				cache[next] = target
			}
		}
		if target == notLink {
			resolved = next
			continue
		}
		if links++; links > maxSymlinks {
			return "", false
		}
		if filepath.IsAbs(target) {
			resolved = "/"
		}
		pending = append(strings.Split(target, "/"), pending...)
	}
	return resolved, true
}

// recursiveReader reports readers that read whole directory trees here:
// grep -r (and -R, -d recurse), and the searchers that recurse by default.
func recursiveReader(prog string, args []string) bool {
	switch prog {
	case "rg", "ag", "ack":
		return true
	case "grep", "egrep", "fgrep":
		if hasAnyOpt(args, "-r -R --recursive --dereference-recursive --directories=recurse") {
			return true
		}
		v, ok := optValue(args, "-d --directories")
		return ok && v == "recurse"
	}
	return false
}

// sedArgs is what GNU sed's command line says: the scripts given with
// -e/--expression, the script files of -f/--file, the operands, whether it
// edits in place, and whether any -e or -f was given (then the first
// operand is an input file, not the script).
type sedArgs struct {
	scripts, files, pos []string
	inPlace, hasScript  bool
}

// sedLong are GNU sed's long options; getopt takes any unambiguous prefix.
var sedLong = []string{"--expression", "--file", "--line-length", "--in-place", "--quiet", "--silent",
	"--regexp-extended", "--separate", "--null-data", "--zero-terminated", "--unbuffered", "--posix",
	"--debug", "--sandbox", "--follow-symlinks", "--binary", "--help", "--version"}

// parseSedArgs reads sed's options as getopt does: short options cluster
// (-ne SCRIPT, -nf FILE), a value may be attached (-e'1e CMD', -fFILE),
// -i takes an attached suffix only, and long options may be abbreviated
// (--expr=SCRIPT).
func parseSedArgs(args []string) sedArgs {
	var sa sedArgs
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			sa.pos = append(sa.pos, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			sa.pos = append(sa.pos, a)
			continue
		}
		if strings.HasPrefix(a, "--") {
			name, val, has := strings.Cut(a, "=")
			full := ""
			for _, l := range sedLong {
				if strings.HasPrefix(l, name) {
					if l == name {
						full = l
						break
					}
					if full != "" {
						full = "?" // ambiguous
					} else {
						full = l
					}
				}
			}
			switch full {
			case "--expression", "--file", "--line-length":
				if !has && i+1 < len(args) {
					val, has = args[i+1], true
					i++
				}
				if !has {
					continue
				}
				switch full {
				case "--expression":
					sa.scripts, sa.hasScript = append(sa.scripts, val), true
				case "--file":
					sa.files, sa.hasScript = append(sa.files, val), true
				}
			case "--in-place":
				sa.inPlace = true
			}
			continue
		}
		for j := 1; j < len(a); j++ {
			c := a[j]
			if c == 'i' {
				sa.inPlace = true
				break // the rest is the backup suffix
			}
			if c != 'e' && c != 'f' && c != 'l' {
				continue
			}
			val := a[j+1:]
			if val == "" {
				if i+1 >= len(args) {
					break
				}
				val = args[i+1]
				i++
			}
			switch c {
			case 'e':
				sa.scripts, sa.hasScript = append(sa.scripts, val), true
			case 'f':
				sa.files, sa.hasScript = append(sa.files, val), true
			}
			break
		}
	}
	return sa
}

// jqFiles records what jq reads: --rawfile/--slurpfile NAME FILE, the
// filter file of -f/--from-file, and its input files, the operands after
// the filter (none after --args or --jsonargs, which make them values).
func (f *finder) jqFiles(prog string, args []string) {
	filterGiven := false
	var pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			pos = append(pos, args[i+1:]...)
			i = len(args)
		case a == "--args" || a == "--jsonargs":
			if !filterGiven && len(pos) == 0 {
				// The filter is still the first operand; the rest are values.
				for _, w := range args[i+1:] {
					if !strings.HasPrefix(w, "-") {
						pos = append(pos, w)
						break
					}
				}
			}
			i = len(args)
		case a == "--rawfile" || a == "--slurpfile":
			if i+2 < len(args) {
				f.file(action.FileRead, prog, args[i+2], prog+" "+a+" reads "+args[i+2])
			}
			i += 2
		case a == "--arg" || a == "--argjson":
			i += 2
		case a == "-f" || a == "--from-file":
			if i+1 < len(args) {
				f.file(action.FileRead, prog, args[i+1], prog+" "+a+" reads "+args[i+1])
				filterGiven = true
			}
			i++
		case a == "--indent" || a == "-L":
			i++
		case len(a) > 1 && a[0] == '-':
		default:
			pos = append(pos, a)
		}
	}
	if !filterGiven && len(pos) > 0 {
		pos = pos[1:]
	}
	for _, p := range pos {
		if p != "-" {
			f.file(action.FileRead, prog, p, prog+" reads "+p)
		}
	}
}
