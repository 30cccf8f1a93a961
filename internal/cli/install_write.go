package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// errSettingsChanged is returned when an agent's settings file changed
// between safeclaw reading it and replacing it: another install, the agent
// itself, or an editor. Nothing was written; the other change stands.
var errSettingsChanged = errors.New("the file changed while safeclaw was editing it (another install, the agent or an editor): nothing was written; run the command again")

// beforeSettingsRename, when set (tests only), runs just before a settings
// file is replaced, to stand for another process writing it meanwhile.
var beforeSettingsRename func(target string)

// fileOwner is who owns a file: the uid and gid a replacement gets.
type fileOwner struct {
	uid, gid int
	known    bool
}

// chownTo gives path to owner when safeclaw runs as root and the owner is
// someone else: `sudo safeclaw install` with a person's HOME must not leave
// their settings (or a new settings directory) owned by root, which their
// agent, running as them, could then not read, and would run without
// safeclaw's hooks.
func (o fileOwner) chownTo(path string) error {
	if !o.known || os.Geteuid() != 0 || (o.uid == 0 && o.gid == 0) {
		return nil
	}
	return os.Lchown(path, o.uid, o.gid)
}

// nearestOwner is the owner of path or of its nearest existing ancestor.
func nearestOwner(path string) fileOwner {
	for p := path; ; p = filepath.Dir(p) {
		if fi, err := os.Lstat(p); err == nil {
			return ownerOf(fi)
		}
		if filepath.Dir(p) == p {
			return fileOwner{}
		}
	}
}

// mkdirOwned creates dir and its missing parents (mode 0700), each owned
// like the nearest directory that exists.
func mkdirOwned(dir string) error {
	owner := nearestOwner(dir)
	var missing []string
	for p := dir; ; p = filepath.Dir(p) {
		if _, err := os.Lstat(p); err == nil {
			break
		}
		missing = append(missing, p)
		if filepath.Dir(p) == p {
			break
		}
	}
	for i := len(missing) - 1; i >= 0; i-- {
		if err := os.Mkdir(missing[i], 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
		if err := owner.chownTo(missing[i]); err != nil {
			return err
		}
	}
	return nil
}

// settingsEdit is one replacement of an agent's settings file.
type settingsEdit struct {
	target  string      // the file to replace (a link's target)
	old     []byte      // what was read from it
	existed bool        // whether it existed when read
	out     []byte      // the new content
	perm    os.FileMode // mode of a new file (an existing one keeps its own)
	stamp   string      // the backup's time stamp
}

// commit writes the edit: a backup of the old file beside it (mode 0600,
// under a name no other backup has, never replacing one), then the new
// content through a temporary file renamed over the target, with the old
// file's mode and owner. When the file is no longer what was read, nothing
// is replaced and errSettingsChanged is returned. backup is "" when the file
// did not exist.
func (s settingsEdit) commit() (backup string, err error) {
	perm, owner := s.perm, nearestOwner(filepath.Dir(s.target))
	if s.existed {
		fi, err := os.Stat(s.target)
		if err != nil {
			return "", err
		}
		perm, owner = fi.Mode().Perm(), ownerOf(fi)
	} else if err := mkdirOwned(filepath.Dir(s.target)); err != nil {
		return "", err
	}
	dir := filepath.Dir(s.target)
	if s.existed {
		if backup, err = writeBackup(s.target+".safeclaw-backup-"+s.stamp, s.old, owner); err != nil {
			return "", fmt.Errorf("back up %s: %v", s.target, err)
		}
	}
	tmp, err := writeTemp(dir, s.out, perm, owner)
	if err != nil {
		return backup, err
	}
	defer os.Remove(tmp)
	if beforeSettingsRename != nil {
		beforeSettingsRename(s.target)
	}
	now, err := os.ReadFile(s.target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if s.existed {
			return backup, errSettingsChanged
		}
	case err != nil:
		return backup, err
	case !s.existed || !bytes.Equal(now, s.old):
		return backup, errSettingsChanged
	}
	return backup, os.Rename(tmp, s.target)
}

// writeTemp writes data to a new temporary file in dir with perm and owner,
// synced, and returns its name.
func writeTemp(dir string, data []byte, perm os.FileMode, owner fileOwner) (string, error) {
	f, err := os.CreateTemp(dir, ".safeclaw-tmp-*")
	if err != nil {
		return "", err
	}
	name := f.Name()
	fail := func(err error) (string, error) {
		f.Close()
		os.Remove(name)
		return "", err
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Chmod(perm); err != nil {
		return fail(err)
	}
	if err := owner.chownTo(name); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(name)
		return "", err
	}
	return name, nil
}

// writeBackup writes data to base, or base.N for the first N free, mode
// 0600: a link to a finished temporary file, which fails rather than
// replace a file that appeared meanwhile (two installs within a second), so
// no older backup is ever overwritten.
func writeBackup(base string, data []byte, owner fileOwner) (string, error) {
	tmp, err := writeTemp(filepath.Dir(base), data, 0o600, owner)
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp)
	name := base
	for i := 1; i <= 1000; i++ {
		err := os.Link(tmp, name)
		if err == nil {
			return name, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			// No hard links here: create the name exclusively instead.
			if err = writeExclusive(name, data, owner); err == nil {
				return name, nil
			}
			if !errors.Is(err, fs.ErrExist) {
				return "", err
			}
		}
		name = fmt.Sprintf("%s.%d", base, i)
	}
	return "", fmt.Errorf("%s: too many backups", base)
}

// writeExclusive creates name (mode 0600), failing when it exists.
func writeExclusive(name string, data []byte, owner fileOwner) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = owner.chownTo(name)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
	}
	return err
}

// refuseReadOnly refuses to replace the settings file at path (a link's
// target) when its owner may not write it: someone made it read-only, on
// purpose, and a rename over it would undo that without a word. It reports
// the refusal (exit 2, with a hint) and refused true.
func refuseReadOnly(e *Env, cmd, path string) (code int, refused bool) {
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o200 != 0 {
		return exitOK, false
	}
	return hintf(e, fmt.Sprintf("if safeclaw may change it: chmod u+w %s, then run the command again", path),
		"%s: %s is read-only (mode %04o): safeclaw does not replace a file made read-only; it was not changed", cmd, path, fi.Mode().Perm()), true
}
