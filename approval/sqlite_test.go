package approval_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/approval"
	"github.com/safeclaw/safeclaw/approval/approvaltest"
)

func openSQLite(t *testing.T) *approval.SQLite {
	t.Helper()
	s, err := approval.OpenSQLite(filepath.Join(t.TempDir(), "state", "approvals.db"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSQLiteContract(t *testing.T) {
	approvaltest.Run(t, func(t *testing.T) (approval.Store, approval.Outbox) {
		s := openSQLite(t)
		return s, s
	})
}

// TestSQLiteUpgradeFromSchema1: a store written before quorums (schema 1)
// is upgraded in place, its records kept.
func TestSQLiteUpgradeFromSchema1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "approvals.db")
	s, err := approval.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	old := approvaltest.Record("make deploy", time.Now(), time.Hour)
	if err := s.Create(context.Background(), old); err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`ALTER TABLE requests DROP COLUMN needs_json; ALTER TABLE requests DROP COLUMN votes_json; PRAGMA user_version = 1`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err = approval.OpenSQLite(path)
	if err != nil {
		t.Fatalf("opening a schema 1 store: %v", err)
	}
	defer s.Close()
	if got, err := s.Get(context.Background(), old.ID); err != nil || got.Input != "make deploy" || got.Needs != nil {
		t.Fatalf("the old record after the upgrade: %+v, %v", got, err)
	}
	r := approvaltest.Record("make release", time.Now(), time.Hour)
	r.Needs = &action.ApprovalNeeds{Quorum: 2}
	if err := s.Create(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get(context.Background(), r.ID); err != nil || got.Needs == nil || got.Needs.Quorum != 2 {
		t.Fatalf("a quorum record after the upgrade: %+v, %v", got, err)
	}
}

// TestSQLiteRefusesStoreOthersCanWrite: the store holds every request
// unredacted, and whoever can write it (or plant its -wal file) can approve
// anything. A store file, -wal or -shm file that others may write, one that
// is not a regular file, or a directory others may write is refused;
// a store others may only read is made private.
func TestSQLiteRefusesStoreOthersCanWrite(t *testing.T) {
	fresh := func(t *testing.T) string {
		t.Helper()
		path := filepath.Join(t.TempDir(), "state", "approvals.db")
		s, err := approval.OpenSQLite(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Create(context.Background(), approvaltest.Record("make", time.Now(), time.Hour)); err != nil {
			t.Fatal(err)
		}
		s.Close()
		return path
	}
	for _, tt := range []struct {
		name string
		mod  func(t *testing.T, path string)
	}{
		{"a world-writable directory", func(t *testing.T, path string) { chmod(t, filepath.Dir(path), 0o777) }},
		{"a sticky world-writable directory", func(t *testing.T, path string) { chmod(t, filepath.Dir(path), 0o1777) }},
		{"a world-writable file", func(t *testing.T, path string) { chmod(t, path, 0o666) }},
		{"a group-writable file", func(t *testing.T, path string) { chmod(t, path, 0o620) }},
		{"a world-writable -wal file", func(t *testing.T, path string) {
			if err := os.WriteFile(path+"-wal", nil, 0o600); err != nil {
				t.Fatal(err)
			}
			chmod(t, path+"-wal", 0o666)
		}},
		{"a -wal symlink", func(t *testing.T, path string) {
			target := filepath.Join(t.TempDir(), "planted-wal")
			if err := os.WriteFile(target, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(target, path+"-wal"); err != nil {
				t.Skip(err)
			}
		}},
		{"a -shm symlink", func(t *testing.T, path string) {
			if err := os.Symlink(filepath.Join(t.TempDir(), "x"), path+"-shm"); err != nil {
				t.Skip(err)
			}
		}},
		{"a new store in a world-writable directory", func(t *testing.T, path string) {
			for _, suffix := range []string{"", "-wal", "-shm"} {
				os.Remove(path + suffix)
			}
			chmod(t, filepath.Dir(path), 0o777)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := fresh(t)
			tt.mod(t, path)
			s, err := approval.OpenSQLite(path)
			if err == nil {
				s.Close()
				t.Fatal("OpenSQLite opened the store")
			}
			if !strings.Contains(err.Error(), filepath.Dir(path)) {
				t.Errorf("error %q does not name the store", err)
			}
		})
	}
	t.Run("a store others can read is made private", func(t *testing.T) {
		path := fresh(t)
		chmod(t, path, 0o644)
		if _, err := os.Stat(path + "-wal"); err == nil {
			chmod(t, path+"-wal", 0o644)
		}
		s, err := approval.OpenSQLite(path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if st, err := os.Stat(path + suffix); err == nil && st.Mode().Perm() != 0o600 {
				t.Errorf("%s has mode %04o, want 0600", path+suffix, st.Mode().Perm())
			}
		}
	})
	t.Run("a private store in a 0755 directory opens", func(t *testing.T) {
		path := fresh(t)
		chmod(t, filepath.Dir(path), 0o755)
		s, err := approval.OpenSQLite(path)
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
	})
}

func chmod(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if mode&0o1000 != 0 {
		mode = mode&0o777 | os.ModeSticky
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}
