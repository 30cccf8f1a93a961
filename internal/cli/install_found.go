package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/safeclaw/safeclaw/hook"
)

// The found file beside an agent's settings (FILE.safeclaw-found) records
// what an install found there already of what it adds besides safeclaw's
// handlers (a user's empty "hooks": {} or "PreToolUse": []), and whether it
// added Cursor's "version", so that uninstall takes away only what install
// added. It is written only when it says something an uninstall without
// it would get wrong; uninstall removes it.
func foundPath(path string) string { return path + ".safeclaw-found" }

// readFound is the record beside path; ok is false when there is none (an
// install by an older safeclaw, or one that found nothing to record).
func readFound(path string) (f hook.Found, ok bool) {
	data, err := os.ReadFile(foundPath(path))
	if err != nil {
		return f, false
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case line == "added version":
			f.AddedVersion = true
		case strings.HasPrefix(line, "had "):
			f.Had = append(f.Had, strings.TrimPrefix(line, "had "))
		}
	}
	return f, true
}

// writeFound records f beside path (owned like path's directory), or
// removes an old record when f says nothing.
func writeFound(path string, f hook.Found) error {
	name := foundPath(path)
	if len(f.Had) == 0 && !f.AddedVersion {
		if err := os.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	var b strings.Builder
	b.WriteString("# safeclaw install found these in " + filepath.Base(path) + "; 'safeclaw uninstall' keeps them and removes this file\n")
	for _, k := range f.Had {
		b.WriteString("had " + k + "\n")
	}
	if f.AddedVersion {
		b.WriteString("added version\n")
	}
	dir := filepath.Dir(name)
	tmp, err := writeTemp(dir, []byte(b.String()), 0o644, nearestOwner(dir))
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	return os.Rename(tmp, name)
}

// layoutFromBackup is out, the settings an uninstall leaves, written as
// the newest of target's backups that means exactly the same (same
// members in the same order, white space aside) is written: the file as
// it was before the install, byte for byte, also when keepLayout cannot
// give its layout back (a file on one line). Else out.
func layoutFromBackup(target string, out []byte) []byte {
	names, err := filepath.Glob(target + ".safeclaw-backup-*")
	if err != nil || len(names) == 0 {
		return out
	}
	var want bytes.Buffer
	if json.Compact(&want, out) != nil {
		return out
	}
	sort.Sort(sort.Reverse(sort.StringSlice(names)))
	for i, name := range names {
		if i == 50 {
			break
		}
		fi, err := os.Lstat(name) // a backup, not a link to some other file
		if err != nil || !fi.Mode().IsRegular() || fi.Size() > 1<<20 || fi.Size() == 0 {
			continue
		}
		data, err := os.ReadFile(name)
		if err != nil {
			continue
		}
		var got bytes.Buffer
		if json.Compact(&got, data) == nil && bytes.Equal(got.Bytes(), want.Bytes()) {
			return data
		}
	}
	return out
}
