package approval_test

import (
	"context"
	"database/sql"
	"path/filepath"
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
