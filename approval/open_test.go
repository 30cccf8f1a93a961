package approval

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
)

// Handles opening the same new store at once, and reading it while another
// writes, all succeed: a new file's switch to WAL mode is refused at once
// (no busy wait) while another handle has it open.
func TestOpenSQLiteConcurrently(t *testing.T) {
	for round := 0; round < 100; round++ {
		path := filepath.Join(t.TempDir(), "approvals.db")
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for i := 0; i < 6; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := 0; j < 2; j++ {
					s, err := OpenSQLite(path)
					if err != nil {
						errs <- err
						return
					}
					if _, err := s.List(context.Background(), Filter{}); err != nil {
						errs <- err
					}
					s.Close()
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("round %d: %v", round, err)
		}
	}
}
