package classify

import (
	"os"
	"path/filepath"
	"strings"
)

// maxSymlinks bounds symlink expansion, as the kernel does (ELOOP at 40).
const maxSymlinks = 40

// CanonicalPath makes p absolute and canonical the way the kernel will see
// it: "~" and "~/" are expanded with home, a relative path is joined
// to cwd, "//" and "." are dropped, and the path is then walked component by
// component so that a symlink is replaced by its target before a following
// ".." is applied (/proj/link/../x goes where the kernel goes, not where a
// lexical clean goes). Components that do not exist yet are taken as plain
// directories, because agents' write tools create missing parents.
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
	if r, ok := resolve(p); ok {
		return r
	}
	return filepath.Clean(p)
}

// resolve walks an absolute path, expanding symlinks on the existing prefix.
func resolve(p string) (string, bool) {
	pending := splitPath(p)
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
		fi, err := os.Lstat(next)
		if err != nil || fi.Mode()&os.ModeSymlink == 0 {
			resolved = next
			continue
		}
		links++
		if links > maxSymlinks {
			return "", false
		}
		target, err := os.Readlink(next)
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

func splitPath(p string) []string {
	return strings.Split(p, "/")
}
