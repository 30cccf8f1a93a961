package audit_test

import (
	"path/filepath"
	"testing"

	"github.com/safeclaw/safeclaw/audit"
	"github.com/safeclaw/safeclaw/audit/audittest"
)

func TestFileStoreContract(t *testing.T) {
	for _, durable := range []bool{false, true} {
		t.Run(map[bool]string{false: "buffered", true: "durable"}[durable], func(t *testing.T) {
			audittest.Run(t, func(t *testing.T) audit.Store {
				home := t.TempDir()
				s, err := audit.OpenFile(filepath.Join(home, "state", "audit"), audit.FileOptions{
					KeyFile: filepath.Join(home, "state", "keys", "audit.key"), Durable: durable, MaxSegmentBytes: 2048})
				if err != nil {
					t.Fatal(err)
				}
				return s
			})
		})
	}
}
