package shell

import (
	"path"
	"strings"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/shell/catalog"
)

// transfers follows the files a command copies, moves, links or fetches
// from another machine (catalog.Transfers): a script this text wrote (or
// one on disk) keeps its content under the new name, and one fetched
// (curl -o, scp host:x, git clone) stays fetched, so running the copy is
// judged as running the original would be.
func (a *analyzer) transfers(v action.Argv, stdin *stream, text string) {
	for _, t := range catalog.Transfers(v) {
		dst := a.fileKey(t.Dst)
		dsts := []string{dst}
		if t.Into && t.Src != "" {
			into := path.Join(dst, path.Base(t.Src))
			if isDirName(t.Dst) {
				dsts = []string{into}
			} else {
				dsts = append(dsts, into)
			}
		}
		if t.Fetched {
			for _, d := range dsts {
				a.markFetched(d, text)
				if t.Tree {
					a.markTree(d, text)
				}
			}
			continue
		}
		if t.Src == "" {
			continue
		}
		if t.Extract {
			// What an archive unpacks is as fetched as the archive.
			from := ""
			if t.Src == "-" || isStdinPath(t.Src) {
				if stdin != nil && (stdin.kind == streamDownload || stdin.kind == streamNetwork) {
					from = stdin.from
				}
			} else if f, ok := a.isFetched(a.fileKey(t.Src)); ok {
				from = f
			}
			if from != "" {
				a.markTree(dst, from)
			}
			continue
		}
		for _, d := range dsts {
			src := t.Src
			if t.Link && !path.IsAbs(src) && !strings.HasPrefix(src, "~") {
				src = path.Join(path.Dir(d), src)
			}
			a.copyFile(src, d, stdin, t.Tree, text)
		}
	}
}

// copyFile gives dst (a files key) what this text knows of src: fetched,
// literal content, or (a tree copy) the same for the files below it.
func (a *analyzer) copyFile(src, dst string, stdin *stream, tree bool, text string) {
	srcKey := a.fileKey(src)
	if srcKey == dst {
		return
	}
	switch {
	case isStdinPath(src) || src == "-":
		a.forgetFile(dst)
		if stdin != nil && stdin.kind == streamLiteral && stdin.known && stdin.dyn == 0 {
			a.setFile(dst, stdin.text, false)
		} else if stdin != nil && (stdin.kind == streamDownload || stdin.kind == streamNetwork || stdin.kind == streamDecoded && !stdin.known) {
			a.markFetched(dst, stdin.from)
		}
		return
	}
	if from, ok := a.isFetched(srcKey); ok {
		a.markFetched(dst, from)
		if tree {
			a.markTree(dst, from)
		}
		return
	}
	a.forgetFile(dst)
	if r := a.resolve(srcKey); r != dst {
		if content, ok := a.files[r]; ok {
			a.setFile(dst, content, false)
		} else {
			// A file on disk: reading the copy reads it (see links).
			if a.links == nil {
				a.links = map[string]string{}
			}
			a.links[dst] = r
		}
	}
	if !tree {
		return
	}
	prefix := srcKey + "/"
	for k, s := range a.files {
		if rest, ok := strings.CutPrefix(k, prefix); ok {
			a.setFile(path.Join(dst, rest), s, false)
		}
	}
	for k, from := range a.fetched {
		if rest, ok := strings.CutPrefix(k, prefix); ok {
			a.markFetched(path.Join(dst, rest), from)
		}
	}
	for k, from := range a.fetchedTrees {
		if rest, ok := strings.CutPrefix(k, prefix); ok {
			a.markTree(path.Join(dst, rest), from)
		}
	}
}

// setFile records literal content written to a files key (appended with
// appendMode: a fetched file stays fetched, a copy of a file on disk
// becomes that file's content and the text).
func (a *analyzer) setFile(key, content string, appendMode bool) {
	if appendMode {
		if _, ok := a.isFetched(key); ok {
			return
		}
		if _, linked := a.links[key]; linked {
			if base, ok := a.readScript(key); ok {
				content = base + content
			}
		}
	}
	if a.files == nil {
		a.files = map[string]string{}
	}
	if appendMode {
		a.files[key] += content
	} else {
		a.files[key] = content
	}
	delete(a.fetched, key)
	delete(a.links, key)
}

// forgetFile drops what this text knew of a file it overwrote.
func (a *analyzer) forgetFile(key string) {
	delete(a.files, key)
	delete(a.fetched, key)
	delete(a.links, key)
}

// copyFiles records that key now holds the concatenated files (cat a b >
// key, appended with >>): one file is a copy, several are known when this
// text wrote them all.
func (a *analyzer) copyFiles(files []string, key string, appendMode bool, text string) {
	if len(files) == 1 && !appendMode {
		a.copyFile(files[0], key, nil, false, text)
		return
	}
	content, from, known := a.filesContent(files)
	switch {
	case from != "":
		a.markFetched(key, from)
	case known:
		a.setFile(key, content, appendMode)
	case !appendMode:
		a.forgetFile(key)
	}
}

// markTree records that every file under the directory key was fetched by text.
func (a *analyzer) markTree(key, text string) {
	if a.fetchedTrees == nil {
		a.fetchedTrees = map[string]string{}
	}
	a.fetchedTrees[key] = text
}

// isFetched reports whether the file key holds content fetched from the
// network by this text (itself, or a tree it is under), and what fetched it.
func (a *analyzer) isFetched(key string) (string, bool) {
	if from, ok := a.fetched[key]; ok {
		return from, true
	}
	if _, written := a.files[key]; written {
		return "", false
	}
	best, found := "", ""
	for dir, from := range a.fetchedTrees {
		if (dir == "/" || strings.HasPrefix(key, dir+"/")) && len(dir) >= len(best) {
			if len(dir) > len(best) || from < found {
				best, found = dir, from
			}
		}
	}
	return found, best != ""
}

// isStdinPath reports a path that names the process's standard input.
func isStdinPath(p string) bool {
	switch p {
	case "/dev/stdin", "/dev/fd/0", "/proc/self/fd/0", "/proc/thread-self/fd/0":
		return true
	}
	return false
}

// filesContent is the concatenated content of files a stream copies (cat
// FILE..., dd if=FILE), with known false when this text did not write
// them all; from is set when one of them was fetched from the network.
func (a *analyzer) filesContent(files []string) (content, from string, known bool) {
	var b strings.Builder
	known = true
	for _, f := range files {
		key := a.fileKey(f)
		if fr, ok := a.isFetched(key); ok {
			return "", fr, false
		}
		s, ok := a.files[a.resolve(key)]
		if !ok {
			known = false
			continue
		}
		b.WriteString(s)
	}
	return b.String(), "", known
}

// isDirName reports a destination written as a directory (., .., ~, a
// trailing slash): what is copied there lands under its own name.
func isDirName(p string) bool {
	return p == "." || p == ".." || p == "~" || strings.HasSuffix(p, "/") || strings.HasSuffix(p, "/.") || strings.HasSuffix(p, "/..")
}
