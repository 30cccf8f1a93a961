package classify

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/safeclaw/safeclaw/action"
)

// tools are the names the fuzzer picks from; the last byte of the input
// chooses one, the rest is the tool input.
var fuzzTools = []string{"Bash", "exec_command", "shell", "write_stdin", "Write", "Edit", "NotebookEdit", "Read", "Glob", "Grep",
	"read_many_files", "apply_patch", "WebFetch", "web_fetch", "WebSearch", "Task", "ReadMcpResourceTool",
	"mcp__a__b", "mcp__x", "TodoWrite", "beforeReadFile", "Delete", "save_memory", "Unknown"}

// FuzzToolCall checks that any input to any tool classifies without
// panicking into at least one part, each with at least one facet of a kind
// safeclaw knows, and that file facets carry absolute paths (or say the
// path is not known statically).
//
// Run with: go test ./classify -run=- -fuzz=FuzzToolCall -fuzztime=30s
func FuzzToolCall(f *testing.F) {
	f.Add([]byte(`{"command":"ls -la; rm -rf ~"}` + "\x00"))
	f.Add([]byte(`{"file_path":"../../etc/passwd"}` + "\x04"))
	f.Add([]byte(`{"pattern":"/etc/**","path":"~"}` + "\x08"))
	f.Add([]byte(`{"input":"*** Begin Patch\n*** Add File: a\n*** Move to: ../b\n*** End Patch"}` + "\x0b"))
	f.Add([]byte(`{"url":"http://0x7f.1:99999/"}` + "\x0c"))
	f.Add([]byte(`{"prompt":"see https://[::ffff:a9fe:a9fe]/ and http://x"}` + "\x0d"))
	f.Add([]byte(`"raw string"` + "\x0b"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		tool := fuzzTools[int(data[len(data)-1])%len(fuzzTools)]
		c := Call{Tool: tool, Input: json.RawMessage(data[:len(data)-1]), Cwd: "/nonexistent-fuzz/p", Home: "/nonexistent-fuzz/h"}
		r := ToolCall(c)
		if len(r.Parts) == 0 {
			t.Fatal("no parts")
		}
		for _, p := range r.Parts {
			if len(p.Facets) == 0 {
				t.Fatal("part without facets")
			}
			for _, a := range p.Facets {
				if !a.Kind.Known() {
					t.Fatalf("unknown kind %q", a.Kind)
				}
				switch a.Kind {
				case action.FileRead, action.FileWrite, action.FileDelete:
					// A path a command names but that is not known
					// statically is kept as written, and says so.
					if !strings.HasPrefix(a.Path, "/") && !strings.Contains(a.Detail, "not known statically") {
						t.Fatalf("%s with relative path %q", a.Kind, a.Path)
					}
				case action.NetworkConnect:
					// A shell command may connect somewhere its text does
					// not say (curl "$URL", curl -K cfg, a bare ab): the
					// analyser names the program and leaves the host out,
					// which only a host-free rule matches. Any other
					// connect names its host.
					if a.Host == "" && a.Program == "" {
						t.Fatalf("network.connect with neither host nor program: %+v", a)
					}
				}
			}
		}
	})
}

func BenchmarkToolCall(b *testing.B) {
	for _, bc := range []struct{ name, tool, input string }{
		{"bash", "Bash", `{"command":"python3 -m http.server 8080","description":"serve"}`},
		{"write", "Write", `{"file_path":"/nonexistent-bench/proj/src/main.go","content":"package main\n"}`},
		{"webfetch", "WebFetch", `{"url":"https://example.com/docs","prompt":"summarize"}`},
		{"mcp", "mcp__echodb__run_query", `{"sql":"DROP TABLE users"}`},
	} {
		c := Call{Tool: bc.tool, Input: json.RawMessage(bc.input), Cwd: "/nonexistent-bench/proj", Home: "/nonexistent-bench/home"}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = ToolCall(c)
			}
		})
	}
}
