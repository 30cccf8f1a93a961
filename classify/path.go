package classify

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"unicode"
)

// maxSymlinks bounds symlink expansion, as the kernel does (ELOOP at 40).
const maxSymlinks = 40

// fileSystem is what path resolution asks of the file system (a fake one
// in tests, to stand for a case-insensitive volume).
type fileSystem interface {
	Lstat(name string) (fs.FileInfo, error)
	Readlink(name string) (string, error)
	ReadDir(name string) ([]fs.DirEntry, error)
	SameFile(a, b fs.FileInfo) bool
}

type osFS struct{}

func (osFS) Lstat(name string) (fs.FileInfo, error)     { return os.Lstat(name) }
func (osFS) Readlink(name string) (string, error)       { return os.Readlink(name) }
func (osFS) ReadDir(name string) ([]fs.DirEntry, error) { return os.ReadDir(name) }
func (osFS) SameFile(a, b fs.FileInfo) bool             { return os.SameFile(a, b) }

var liveFS fileSystem = osFS{}

// CanonicalPath makes p absolute and canonical the way the kernel will see
// it: "~" and "~/" are expanded with home, a relative path is joined
// to cwd, "//" and "." are dropped, and the path is then walked component by
// component so that a symlink is replaced by its target before a following
// ".." is applied (/proj/link/../x goes where the kernel goes, not where a
// lexical clean goes). Components that do not exist yet are taken as plain
// directories, because agents' write tools create missing parents.
//
// On a case-insensitive file system (macOS's default, Windows volumes) an
// existing component is written as the directory spells it: ~/.SSH/ID_RSA
// is ~/.ssh/id_rsa, so that rules on the real path see every spelling of
// it.
//
// When p stays relative (no absolute cwd), it is returned cleaned. When the
// symlinks loop, the lexically cleaned path is returned; the kernel would
// refuse to open it anyway.
func CanonicalPath(p, cwd, home string) string {
	if p == "" {
		p = "."
	}
	if home != "" && (p == "~" || strings.HasPrefix(p, "~/")) {
		p = home + p[1:]
	}
	if !filepath.IsAbs(p) {
		if cwd == "" || !filepath.IsAbs(cwd) {
			return filepath.Clean(p)
		}
		p = cwd + "/" + p
	}
	if r, ok := resolve(liveFS, p); ok {
		return r
	}
	return filepath.Clean(p)
}

// resolve walks an absolute path, expanding symlinks on the existing prefix.
func resolve(fsys fileSystem, p string) (string, bool) {
	pending := splitPath(p)
	resolved := "/"
	var dirFI fs.FileInfo // resolved's own, when known
	links := 0
	for len(pending) > 0 {
		comp := pending[0]
		pending = pending[1:]
		switch comp {
		case "", ".":
			continue
		case "..":
			resolved, dirFI = filepath.Dir(resolved), nil
			continue
		}
		next := filepath.Join(resolved, comp)
		fi, err := fsys.Lstat(next)
		if err != nil {
			resolved, dirFI = next, nil
			continue
		}
		if name := storedName(fsys, resolved, dirFI, comp, fi); name != comp {
			next = filepath.Join(resolved, name)
		}
		if fi.Mode()&os.ModeSymlink == 0 {
			resolved, dirFI = next, fi
			continue
		}
		dirFI = nil
		links++
		if links > maxSymlinks {
			return "", false
		}
		target, err := fsys.Readlink(next)
		if err != nil {
			resolved = next
			continue
		}
		if filepath.IsAbs(target) {
			resolved = "/"
		}
		pending = append(splitPath(target), pending...)
	}
	return resolved, true
}

// storedName is the name under which dir holds the entry found as comp
// (fi): comp itself, unless dir ignores letter case and spells it
// otherwise. Whether it does is asked of the directory: the name in the
// other case must lead to the same file.
func storedName(fsys fileSystem, dir string, dirFI fs.FileInfo, comp string, fi fs.FileInfo) string {
	other := swapCase(comp)
	if other == comp {
		return comp
	}
	key, keyed := dirKey(dirFI)
	if keyed && caseSensitive.has(key) {
		return comp
	}
	ofi, err := fsys.Lstat(filepath.Join(dir, other))
	if err != nil || !fsys.SameFile(fi, ofi) {
		// Case-sensitive here (the usual answer on Linux). A directory
		// keeps that answer while it exists (case folding can only be
		// turned on for an empty one), so it is asked once per process.
		if keyed {
			caseSensitive.add(key)
		}
		return comp
	}
	entries, err := fsys.ReadDir(dir)
	if err != nil {
		return comp
	}
	found := comp
	for _, e := range entries {
		switch name := e.Name(); {
		case name == comp:
			return comp
		case found == comp && strings.EqualFold(name, comp):
			found = name
		}
	}
	return found
}

// swapCase inverts the case of every letter of s.
func swapCase(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case unicode.IsUpper(r):
			return unicode.ToLower(r)
		case unicode.IsLower(r):
			return unicode.ToUpper(r)
		}
		return r
	}, s)
}

func splitPath(p string) []string {
	return strings.Split(p, "/")
}

// caseSensitive remembers directories (by device and inode) found to tell
// letter case apart, so that a long-running process (serve, mcp) does not
// ask again for every path.
var caseSensitive = &dirSet{m: map[fileKey]struct{}{}}

type fileKey struct{ dev, ino uint64 }

type dirSet struct {
	mu sync.Mutex
	m  map[fileKey]struct{}
}

func (s *dirSet) has(k fileKey) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.m[k]
	return ok
}

func (s *dirSet) add(k fileKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.m) >= 4096 {
		clear(s.m)
	}
	s.m[k] = struct{}{}
}
