package policy

import (
	"strings"
	"testing"

	"github.com/safeclaw/safeclaw/internal/strictyaml"
	"go.yaml.in/yaml/v3"
)

func stripComments(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "#") || strings.TrimSpace(l) == "" {
			continue
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

func BenchmarkZYAMLOnly(b *testing.B) {
	for i := 0; i < b.N; i++ {
		var n yaml.Node
		yaml.Unmarshal(defaultPolicy, &n)
	}
}
func BenchmarkZYAMLNoComments(b *testing.B) {
	d := []byte(stripComments(string(defaultPolicy)))
	for i := 0; i < b.N; i++ {
		var n yaml.Node
		yaml.Unmarshal(d, &n)
	}
}
func BenchmarkZStrict(b *testing.B) {
	for i := 0; i < b.N; i++ {
		strictyaml.Parse("x", defaultPolicy)
	}
}
func BenchmarkZCompileDefault(b *testing.B) {
	f, _ := Parse(DefaultName, defaultPolicy)
	for i := 0; i < b.N; i++ {
		Compile([]*File{f}, Options{})
	}
}
