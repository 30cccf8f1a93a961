package approval_test

import (
	"context"
	"testing"

	"github.com/safeclaw/safeclaw/approval"
)

func BenchmarkBind(b *testing.B) {
	req := shellRequest("session-1234", "npm", "run", "dev", "--", "--host", "127.0.0.1", "--port", "3000")
	for b.Loop() {
		approval.Bind(req, "sha256:0123456789abcdef")
	}
}

// BenchmarkRedeemMiss is what every ask costs a hook before it is handed to
// the agent: look for a session grant and an earlier approval, find none.
func BenchmarkRedeemMiss(b *testing.B) {
	s, err := approval.OpenSQLite(b.TempDir() + "/approvals.db")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	m, _ := approval.New(approval.Config{Store: s})
	req := shellRequest("session-1234", "npm", "run", "dev")
	ctx := context.Background()
	for b.Loop() {
		if _, ok, err := m.Redeem(ctx, req, askDecision); ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

// BenchmarkSubmit files a request (one INSERT, WAL, synchronous=NORMAL).
func BenchmarkSubmit(b *testing.B) {
	s, err := approval.OpenSQLite(b.TempDir() + "/approvals.db")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	m, _ := approval.New(approval.Config{Store: s})
	ctx := context.Background()
	i := 0
	for b.Loop() {
		i++
		if _, err := m.Submit(ctx, shellRequest("", "job", string(rune('a'+i%26)), string(rune('a'+i/26%26)), string(rune('a'+i/676%26))), askDecision); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpen is the cost of opening the store in a fresh hook process.
func BenchmarkOpen(b *testing.B) {
	path := b.TempDir() + "/approvals.db"
	for b.Loop() {
		s, err := approval.OpenSQLite(path)
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}
