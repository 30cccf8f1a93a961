package audit

import (
	"strings"
	"testing"
)

func BenchmarkRedactBig(b *testing.B) {
	text := strings.Repeat("func main() { key := os.Getenv(\"API_KEY\"); token = load(session); curl -u x; mysql -p; url := \"https://example.com/a@b\" }\n", 600)
	b.SetBytes(int64(len(text)))
	for i := 0; i < b.N; i++ {
		Redact(text)
	}
}
