package dashboard

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/safeclaw/safeclaw/policy"
)

// Saved policy versions are files in VersionDir named
// TIME-HASH.yaml, where TIME is the save time (UTC, sortable) and HASH the
// first 16 hex digits of the content's SHA-256. Every save keeps one; the
// file's own hash is checked before a version is shown or rolled back to.

// Version describes one saved policy version.
type Version struct {
	ID    string `json:"id"`
	Time  string `json:"time"`
	Hash  string `json:"hash"` // sha256:... of the content
	Bytes int    `json:"bytes"`
}

var (
	errNoVersion  = errors.New("no such version")
	errBadVersion = errors.New("version file does not match its hash")
)

const maxPolicyBytes = 4 << 20

func contentHash(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// readPolicy returns the user policy, or the built-in default when there is
// no user policy yet.
func (s *Server) readPolicy() ([]byte, bool, error) {
	data, err := readBounded(s.c.PolicyPath)
	if errors.Is(err, fs.ErrNotExist) {
		return policy.Default(), false, nil
	}
	return data, err == nil, err
}

func readBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxPolicyBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxPolicyBytes {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, maxPolicyBytes)
	}
	return data, nil
}

// save keeps text as a version and makes it the user policy. The policy in
// force before the first dashboard save is kept as a version too, so that
// it can be rolled back to.
func (s *Server) save(text []byte, why string) (*Version, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := os.MkdirAll(s.c.VersionDir, 0o700); err != nil {
		return nil, err
	}
	vs, err := s.versions()
	if err != nil {
		return nil, err
	}
	if len(vs) == 0 {
		if old, err := readBounded(s.c.PolicyPath); err == nil {
			if _, err := s.keep(old, "before"); err != nil {
				return nil, err
			}
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	v, err := s.keep(text, "")
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(s.c.PolicyPath), 0o700); err != nil {
		return nil, err
	}
	if err := writeFileAtomic(s.c.PolicyPath, text, 0o600); err != nil {
		return nil, err
	}
	s.c.Warn(fmt.Sprintf("dashboard: policy %s written (%s, version %s)", s.c.PolicyPath, why, v.ID))
	return v, nil
}

// keep writes one version file. suffix distinguishes the pre-dashboard
// policy, saved in the same instant as the first version.
func (s *Server) keep(text []byte, suffix string) (*Version, error) {
	h := contentHash(text)
	stamp := s.c.Now().UTC().Format("20060102T150405.000000000Z")
	if suffix != "" {
		stamp = s.c.Now().UTC().Add(-1).Format("20060102T150405.000000000Z")
	}
	id := stamp + "-" + strings.TrimPrefix(h, "sha256:")[:16]
	if err := writeFileAtomic(filepath.Join(s.c.VersionDir, id+".yaml"), text, 0o600); err != nil {
		return nil, err
	}
	return &Version{ID: id, Time: stamp, Hash: h, Bytes: len(text)}, nil
}

// versions lists saved versions, newest first.
func (s *Server) versions() ([]Version, error) {
	entries, err := os.ReadDir(s.c.VersionDir)
	if errors.Is(err, fs.ErrNotExist) {
		return []Version{}, nil
	}
	if err != nil {
		return nil, err
	}
	out := []Version{}
	for _, en := range entries {
		id, ok := strings.CutSuffix(en.Name(), ".yaml")
		if !ok || !validID(id) || !en.Type().IsRegular() {
			continue
		}
		info, err := en.Info()
		if err != nil {
			continue
		}
		out = append(out, Version{ID: id, Time: id[:strings.IndexByte(id, '-')], Hash: "sha256:" + id[strings.IndexByte(id, '-')+1:], Bytes: int(info.Size())})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID > out[j].ID })
	return out, nil
}

// validID accepts only names keep makes, so an ID never walks out of
// VersionDir.
func validID(id string) bool {
	t, h, ok := strings.Cut(id, "-")
	if !ok || len(h) != 16 || len(t) != len("20060102T150405.000000000Z") {
		return false
	}
	for _, r := range t + h {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r == 'T' || r == 'Z' || r == '.') {
			return false
		}
	}
	return true
}

// version reads one version and checks it against the hash in its name.
func (s *Server) version(id string) ([]byte, *Version, error) {
	if !validID(id) {
		return nil, nil, errNoVersion
	}
	data, err := readBounded(filepath.Join(s.c.VersionDir, id+".yaml"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, errNoVersion
	}
	if err != nil {
		return nil, nil, err
	}
	h := contentHash(data)
	if !strings.HasPrefix(h, "sha256:"+id[strings.IndexByte(id, '-')+1:]) {
		return nil, nil, fmt.Errorf("%w: %s", errBadVersion, id)
	}
	return data, &Version{ID: id, Time: id[:strings.IndexByte(id, '-')], Hash: h, Bytes: len(data)}, nil
}

// writeFileAtomic writes via a temp file and rename, so a crash never leaves
// a half-written policy.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	defer os.Remove(name)
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(name, path)
}
