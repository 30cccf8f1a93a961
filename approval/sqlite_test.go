package approval_test

import (
	"path/filepath"
	"testing"

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
