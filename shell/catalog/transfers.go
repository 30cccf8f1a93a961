package catalog

import (
	"path"
	"strings"

	"github.com/safeclaw/safeclaw/action"
)

// Transfer is one file (or tree) a command gives the content of another:
// a copy, a move, a link, or a fetch from another machine. The shell
// package follows scripts through them: a script written, or downloaded,
// earlier in a text is still that script under its new name.
type Transfer struct {
	// Src is the file whose content Dst gets, as written; "" when the
	// content comes from another machine (Fetched).
	Src string
	// Dst is the file written, as written.
	Dst string
	// Into: Dst may be a directory, so Dst/basename(Src) is written too.
	Into bool
	// Fetched: the content comes from another machine (scp host:x, rsync
	// host:x, git clone URL): not known here.
	Fetched bool
	// Tree: Dst is a directory whose every file is the copy (git clone,
	// cp -r, a recursive rsync or scp).
	Tree bool
	// Link: Dst is a symbolic link to Src (a relative Src is relative to
	// Dst's directory).
	Link bool
	// Extract: Dst is a directory that receives the files unpacked from
	// the archive Src ("-" for stdin); what they hold is not known here,
	// but they are as fetched as the archive was.
	Extract bool
}

// Transfers lists the files a command gives the content of another: cp,
// mv, install, ln, dd if= of=, rsync and scp (a remote source is
// Fetched), and git clone (the new tree is Fetched). Other commands have
// none.
func Transfers(v action.Argv) []Transfer {
	if len(v.Words) == 0 {
		return nil
	}
	args := v.Words[1:]
	switch v.Program {
	case "cp", "mv", "install", "ln":
		return copyTransfers(v.Program, args)
	case "dd":
		var src, dst string
		for _, a := range args {
			if s, ok := strings.CutPrefix(a, "if="); ok {
				src = s
			} else if s, ok := strings.CutPrefix(a, "of="); ok {
				dst = s
			}
		}
		if dst == "" {
			return nil
		}
		if src == "" {
			src = "/dev/stdin"
		}
		return []Transfer{{Src: src, Dst: dst}}
	case "rsync", "scp":
		valued := rsyncValued()
		if v.Program == "scp" {
			c, _ := clients.get("scp")
			valued = c.valued
		}
		pos := positionals(args, valued)
		if len(pos) < 2 {
			return nil
		}
		tree := v.Program == "scp" && hasOpt(args, "-r") ||
			v.Program == "rsync" && hasAnyOpt(args, "-r -a --recursive --archive")
		dst := pos[len(pos)-1]
		if remotePath(dst) {
			return nil
		}
		var out []Transfer
		for _, s := range pos[:len(pos)-1] {
			t := Transfer{Src: s, Dst: dst, Into: true, Tree: tree}
			if remotePath(s) {
				t.Src, t.Fetched = remoteBase(s), true
			}
			out = append(out, t)
		}
		return out
	case "git":
		return gitCloneTransfer(args)
	case "gh", "hg", "svn":
		// gh repo clone REPO [DIR], hg clone URL [DIR], svn checkout|co|export URL [DIR].
		own := args
		if k := indexOf(args, "--"); k >= 0 && v.Program == "gh" {
			own = args[:k] // gh repo clone REPO DIR -- GITFLAGS
		}
		pos := positionals(own, "-u --upstream-remote-name -r --rev -b --branch --username --password --depth -R --repo")
		skip := 1
		switch {
		case v.Program == "gh" && len(pos) >= 2 && pos[0] == "repo" && pos[1] == "clone":
			skip = 2
		case v.Program == "hg" && len(pos) >= 1 && pos[0] == "clone":
		case v.Program == "svn" && len(pos) >= 1 && (pos[0] == "checkout" || pos[0] == "co" || pos[0] == "export"):
		default:
			return nil
		}
		pos = pos[skip:]
		var dst string
		switch {
		case len(pos) >= 2:
			dst = pos[1]
		case len(pos) == 1:
			dst = path.Base(strings.TrimSuffix(strings.TrimRight(pos[0], "/"), ".git"))
		}
		if dst == "" || dst == "." && len(pos) == 1 {
			return nil
		}
		return []Transfer{{Dst: dst, Fetched: true, Tree: true}}
	case "rclone":
		// rclone copy|copyto|sync|move SRC DST: a remote SRC (name:path) is fetched.
		pos := positionals(args, "--config --include --exclude --filter --transfers --checkers -c --bwlimit --log-file")
		if len(pos) < 3 || !inList("copy copyto sync move moveto", pos[0]) || !remotePath(pos[1]) || remotePath(pos[2]) {
			return nil
		}
		into := pos[0] == "copy" || pos[0] == "sync" || pos[0] == "move"
		return []Transfer{{Src: remoteBase(pos[1]), Dst: pos[2], Into: into, Fetched: true, Tree: into}}
	case "aws", "gsutil", "gcloud", "s3cmd", "mc":
		// aws s3 cp|sync, gsutil cp, gcloud storage cp, s3cmd get, mc cp:
		// an object from a bucket is fetched.
		pos := positionals(args, "--profile --region --endpoint-url --exclude --include --acl -p --project")
		var ops []string
		for _, p := range pos {
			if p != "s3" && p != "storage" && p != "cp" && p != "sync" && p != "get" && p != "rsync" && p != "mirror" {
				ops = append(ops, p)
			}
		}
		if len(ops) != 2 || len(pos) < 3 {
			return nil
		}
		src, dst := ops[0], ops[1]
		if !strings.Contains(src, "://") && !(v.Program == "mc" && remotePath(src)) || strings.Contains(dst, "://") {
			return nil
		}
		tree := hasAnyOpt(args, "-r -R --recursive") || inList("sync rsync mirror", pos[1]) || inList("sync rsync mirror", pos[0])
		return []Transfer{{Src: remoteBase(src), Dst: dst, Into: true, Fetched: true, Tree: tree}}
	case "tar", "bsdtar", "gtar":
		mode, archive, dir, _ := tarArgs(args)
		if mode != 'x' {
			return nil
		}
		if archive == "" {
			archive = "-"
		}
		if dir == "" {
			dir = "."
		}
		return []Transfer{{Src: archive, Dst: dir, Extract: true}}
	case "unzip":
		// unzip [OPTIONS] ARCHIVE [MEMBERS] [-x ...] [-d DIR]
		if hasAnyOpt(args, "-l -v -t -z -Z") {
			return nil
		}
		pos := positionals(args, "-d -x -P -O -I")
		if len(pos) == 0 {
			return nil
		}
		dir, ok := optValue(args, "-d")
		if !ok {
			dir = "."
		}
		return []Transfer{{Src: pos[0], Dst: dir, Extract: true}}
	case "7z", "7za", "7zr":
		pos := positionals(args, "")
		if len(pos) < 2 || pos[0] != "x" && pos[0] != "e" {
			return nil
		}
		dir := "."
		for _, a := range args {
			if d, ok := strings.CutPrefix(a, "-o"); ok && d != "" {
				dir = d
			}
		}
		return []Transfer{{Src: pos[1], Dst: dir, Extract: true}}
	case "gunzip", "bunzip2", "unxz", "unzstd", "unlzma", "uncompress":
		// gunzip FILE.gz writes FILE (not -c: that goes to stdout).
		if hasAnyOpt(args, "-c --stdout -l --list -t --test") {
			return nil
		}
		var out []Transfer
		for _, p := range positionals(args, "-S --suffix") {
			if i := strings.LastIndexByte(p, '.'); i > 0 && !strings.Contains(p[i:], "/") {
				out = append(out, Transfer{Src: p, Dst: p[:i]})
			}
		}
		return out
	}
	return nil
}

// copyTransfers reads cp, mv, install and ln: SRC... DST, -t DIR SRC...,
// -T (DST is not a directory), install -d (no copy).
func copyTransfers(prog string, args []string) []Transfer {
	valued := "-t --target-directory -S --suffix -m --mode -o --owner -g --group"
	if prog == "install" && hasOpt(args, "-d") {
		return nil
	}
	pos := positionals(args, valued)
	dst, hasDir := optValue(args, "-t --target-directory")
	srcs := pos
	into := true
	if !hasDir {
		if len(pos) < 2 {
			if prog != "ln" || len(pos) != 1 {
				return nil
			}
			// ln -s TARGET: a link named after TARGET, here.
			dst = path.Base(pos[0])
		} else {
			dst, srcs = pos[len(pos)-1], pos[:len(pos)-1]
			into = !hasAnyOpt(args, "-T --no-target-directory")
		}
	}
	link := prog == "ln" && hasAnyOpt(args, "-s --symbolic")
	tree := prog == "cp" && hasAnyOpt(args, "-r -R -a --recursive --archive") || prog == "mv"
	var out []Transfer
	for _, s := range srcs {
		out = append(out, Transfer{Src: s, Dst: dst, Into: into, Link: link, Tree: tree})
	}
	return out
}

// remotePath reports an scp/rsync operand on another machine (host:path,
// user@host:path, host::module, rsync://...).
func remotePath(p string) bool {
	if strings.Contains(p, "::") || strings.HasPrefix(p, "rsync://") || strings.HasPrefix(p, "scp://") {
		return true
	}
	i := strings.IndexByte(p, ':')
	return i > 0 && !strings.ContainsAny(p[:i], "/\\")
}

// remoteBase is the name a remote operand lands under in a directory.
func remoteBase(p string) string {
	if _, rest, ok := strings.Cut(p, "://"); ok {
		p = rest
	} else if i := strings.IndexByte(p, ':'); i >= 0 {
		p = strings.TrimLeft(p[i+1:], ":")
	}
	p = strings.TrimRight(p, "/")
	if p == "" {
		return "."
	}
	return path.Base(p)
}

// gitCloneTransfer reads git [-C DIR] clone [OPTIONS] URL [DIR]: the new
// tree holds what was fetched.
func gitCloneTransfer(args []string) []Transfer {
	chdir := ""
	i := 0
	for i < len(args) {
		a := args[i]
		switch {
		case a == "-C" && i+1 < len(args):
			chdir = args[i+1]
			i += 2
			continue
		case (a == "-c" || a == "--git-dir" || a == "--work-tree" || a == "--namespace") && i+1 < len(args):
			i += 2
			continue
		case strings.HasPrefix(a, "-"):
			i++
			continue
		}
		break
	}
	if i >= len(args) || args[i] != "clone" {
		return nil
	}
	pos := positionals(args[i+1:], "-o --origin -b --branch -u --upload-pack --reference --reference-if-able --depth --shallow-since --shallow-exclude --separate-git-dir -j --jobs --filter --template --config -c --server-option --bundle-uri")
	var dst string
	switch {
	case len(pos) >= 2:
		dst = pos[1]
	case len(pos) == 1:
		name := strings.TrimSuffix(strings.TrimRight(pos[0], "/"), ".git")
		if j := strings.LastIndexAny(name, "/:"); j >= 0 {
			name = name[j+1:]
		}
		dst = name
	}
	if dst == "" {
		return nil
	}
	if chdir != "" && !strings.HasPrefix(dst, "/") && !strings.HasPrefix(dst, "~") {
		dst = strings.TrimSuffix(chdir, "/") + "/" + dst
	}
	return []Transfer{{Dst: dst, Fetched: true, Tree: true}}
}
