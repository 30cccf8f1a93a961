package server

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// parseSeeds are decide bodies for the equivalence checks: every form, and
// each way of being refused.
var parseSeeds = []string{
	`{"agent":"bench","session":"s-1","cwd":"/home/dev/project","tool":"Bash","input":{"command":"python3 -m http.server 8080"}}`,
	`{"tool":"Bash","input":{"command":"python3 -m http.server 8080"}}`,
	`{"command":"ls -la"}`, `{"argv":["nc","-l","4444"]}`, `{"Command":"ls"}`, `{"command":"ls","COMMAND":"x"}`,
	`{"action":{"kind":"network.listen","addr":"0.0.0.0:8080"}}`, `{"action":{"Kind":"network.listen"}}`,
	`{"action":{"kind":"mcp.call","server":"db","tool":"q","arguments":"{\"sql\":1}"}}`,
	`{"input":{"agent":{"name":"x","session_id":"s"},"action":{"kind":"shell.execute","command":"rm -rf b"},"raw":{"name":"t","arguments":{}}}}`,
	`{"input":{"agent":{"Name":"x"},"action":{"kind":"shell.execute"}},"wait":"5s"}`,
	`{"input":{"action":{"kind":"shell.execute","Command":"ls"}}}`, `{"input":{"raw":{"NAME":"t"}}}`,
	`{"input":{"context":{"tool_call_id":"a","Tool_Call_ID":"b"}}}`, `{"input":{"action":{}},"wait":5,"x":1}`,
	`{"tool":"Write","input":"{\"file_path\":\"~/.ssh/config\"}","wait":"5s"}`,
	`{"action":{"kind":"tool.call","tool":"Read","args":{"file_path":"a"}}}`,
	`{"action":{"kind":"file.read","path":"x","tool":"Bash","arguments":{"command":"rm -rf /"}}}`,
	`{"tool":"Bash","input":{"command":"ls","COMMAND":"nc -l 1"},"cwd":"/w"}`,
	`{"tool":"Bash","input":"{\"command\":\"nc -l 1\",\"command\":\"ls\"}","cwd":"rel"}`,
	`{"tool":"Bash","tool":"Read"}`, `{"mcp_server":{"name":"a","Name":"b"}}`, `{"mcp_server":{"Source":"b"}}`,
	`{"action":{"kind":"x"},"action":{"Kind":"y"}}`, `{"action":{"Kind":"x"},"action":{"kind":"y"}}`,
	`{"command":1}`, `{"argv":"ls"}`, `{"action":{"port":"80"}}`, `{"unknown":1}`, `{"Unknown":1,"Tool":2}`,
	`{"command":"ls"} x`, `{"command":"ls"}{}`, `{"command":"ls",}`, `{"command":`, `{`, `{}`, ` {"command":"ls"} `,
	`{"command":"l\u0073","\u0063ommand":"x"}`, `{"ſession":"x"}`, "{\"command\":\"\xff\"}", `[1]`, `"x"`, ``,
	`{"agent":{"name":"a","session_id":"b","run_id":"c","subagent":{"Name":1}},"command":"ls"}`,
	`{"agent":{"Session_id":"b"},"command":"ls"}`, `{"agent":{"name":1},"command":"ls"}`, `{"agent":[1],"command":"ls"}`,
	`{"context":{"tool_call_id":"x"},"tool_call_id":"y","command":"ls"}`,
	`{"agent":null,"tool":"Bash"}`, `{"tool":null}`, `{"tool":"B\u0061sh","input":{}}`, `{"\u0074ool":"Bash"}`,
	` { "tool" : "Bash" , "input" : [ 1 , { "a" : "}" } ] , "cwd":"/w" } `, `{"input":1,"tool":"x"}`, `{"input":-1.5e3}`,
	`{"command":"a","command":"b"}`, `{"tool":"x","input":"{\"a\":1}"}`, `{"agent":{"name":"n"},"tool":"t"}`,
	`{"session":5}`, `{"tool":true}`, `{"tool_call_id":"c\n\u2028","command":"\"ls\""}`, `{"input":{"command":"ls"}}`, `{"raw":{"name":"t","arguments":{"a":1,"A":2}}}`,
}

// sameParse: parseDecideBody gives what the old parsing gave for data, the
// same body or the same error (the old ExactMembers reported whichever
// wrong name its map iteration met first, so it is asked a few times).
func sameParse(t *testing.T, data []byte) {
	t.Helper()
	got, gerr := parseDecideBody(data)
	want, werr := oldParseDecideBody(data)
	for i := 0; i < 200 && gerr != nil && werr != nil && gerr.Error() != werr.Error(); i++ {
		want, werr = oldParseDecideBody(data)
	}
	switch {
	case (gerr == nil) != (werr == nil) || gerr != nil && gerr.Error() != werr.Error():
		t.Fatalf("%q:\n new %v\n old %v", data, gerr, werr)
	case gerr == nil && !reflect.DeepEqual(got, want):
		t.Fatalf("%q:\n new %+v\n old %+v", data, got, want)
	}
	// The pieces build uses on their own: an agent object, and the
	// duplicate scan of tool arguments.
	var a, b agentInfo
	gerr, werr = strictJSON(data, &a), oldStrictJSON(data, &b)
	for i := 0; i < 200 && gerr != nil && werr != nil && gerr.Error() != werr.Error(); i++ {
		werr = oldStrictJSON(data, &b)
	}
	if (gerr == nil) != (werr == nil) || gerr != nil && gerr.Error() != werr.Error() || gerr == nil && !reflect.DeepEqual(a, b) {
		t.Fatalf("%q as an agent:\n new %v %+v\n old %v %+v", data, gerr, a, werr, b)
	}
	if got, want := checkMembers(data, "x"), oldCheckMembers(data, "x"); (got == nil) != (want == nil) || got != nil && got.Error() != want.Error() {
		t.Fatalf("%q checkMembers:\n new %v\n old %v", data, got, want)
	}
}

func TestParseDecideBodyAgrees(t *testing.T) {
	for _, s := range parseSeeds {
		sameParse(t, []byte(s))
	}
}

// FuzzParseDecideBodyAgrees: on any input, parseDecideBody, strictJSON and
// checkMembers agree with the old code.
func FuzzParseDecideBodyAgrees(f *testing.F) {
	for _, s := range parseSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sameParse(t, data)
	})
}

// TestFlatBodyFastPath: the usual bodies are read without encoding/json's
// decoder, and what the fast path refuses to read it leaves to it.
func TestFlatBodyFastPath(t *testing.T) {
	for _, s := range []string{benchBody, `{"tool":"Bash","input":{"command":"ls"}}`, `{"command":"ls","tool_call_id":"x"}`} {
		if _, ok := parseFlatBody([]byte(s)); !ok {
			t.Errorf("%s: not read by the fast path", s)
		}
	}
	for _, s := range []string{`{"tool":null}`, `{"Tool":"x"}`, `{"tool":"a","tool":"b"}`, `{"wait":"5s"}`, `{"tool":1}`, `[]`, `{"tool":"x"`} {
		if _, ok := parseFlatBody([]byte(s)); ok {
			t.Errorf("%s: read by the fast path", s)
		}
	}
}

// FuzzStringValue: stringValue reads every JSON string as encoding/json
// does, and nothing else as a string.
func FuzzStringValue(f *testing.F) {
	for _, s := range []string{`"bench"`, `"a\"b"`, `"\u00e9\ud800"`, "\"\xff\"", `"é\t"`, `1`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			return
		}
		data = bytes.TrimSpace(data)
		got, ok := stringValue(data)
		if data[0] != '"' {
			if ok {
				t.Fatalf("%q read as the string %q", data, got)
			}
			return
		}
		var want string
		werr := json.Unmarshal(data, &want)
		if ok != (werr == nil) || ok && got != want {
			t.Fatalf("%q: %q %v, want %q %v", data, got, ok, want, werr)
		}
	})
}
