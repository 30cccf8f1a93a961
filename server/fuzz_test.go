package server

import "testing"

// FuzzDecideBody: any body either fails to parse or becomes a request with
// parts, each with facets; nothing panics.
func FuzzDecideBody(f *testing.F) {
	for _, s := range []string{
		`{"tool":"Bash","input":{"command":"python3 -m http.server 8080"}}`,
		`{"command":"ls -la"}`,
		`{"argv":["nc","-l","4444"]}`,
		`{"action":{"kind":"network.listen","addr":"0.0.0.0:8080"}}`,
		`{"action":{"kind":"mcp.call","server":"db","tool":"q","arguments":"{\"sql\":1}"}}`,
		`{"input":{"agent":{"name":"x","session_id":"s"},"action":{"kind":"shell.execute","command":"rm -rf b"},"raw":{"name":"t","arguments":{}}}}`,
		`{"tool":"Write","input":"{\"file_path\":\"~/.ssh/config\"}","wait":"5s"}`,
		`{"action":{"kind":"tool.call","tool":"Read","args":{"file_path":"a"}}}`,
		`{"action":{"kind":"agent.spawn","type":"general","prompt":"p"}}`,
		`{"action":{"kind":"mcp.prompt","server":"s","name":"n"}}`,
		`{"action":{"kind":"file.read","path":"x","tool":"Bash","arguments":{"command":"rm -rf /"}}}`,
		`{"action":{"kind":"network.connect","host":"h","port":1,"tool":"terminal"}}`,
		`{"action":{"kind":"shell.execute","command":"ls","url":"https://x"}}`,
		`{"tool":"Bash","input":{"command":"ls","COMMAND":"nc -l 1"},"cwd":"/w"}`,
		`{"tool":"Bash","input":"{\"command\":\"nc -l 1\",\"command\":\"ls\"}","cwd":"rel"}`,
	} {
		f.Add([]byte(s))
	}
	h := New(Config{Decide: (&fakeGate{}).decide, Cwd: "/w", Home: "/h"})
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := parseDecideBody(data)
		if err != nil {
			return
		}
		bt, err := h.build(b)
		if err != nil {
			return
		}
		if len(bt.req.Parts) == 0 {
			t.Fatalf("no parts for %q", data)
		}
		for _, p := range bt.req.Parts {
			if len(p.Facets) == 0 {
				t.Fatalf("a part without facets for %q", data)
			}
			for _, a := range p.Facets {
				if !a.Kind.Known() {
					t.Fatalf("bad facet %+v for %q", a, data)
				}
			}
		}
	})
}
