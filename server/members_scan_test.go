package server

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// TestScanMembersAgrees: the one-pass scan and the token reader find the
// same duplicate (or none) in the same place.
func TestScanMembersAgrees(t *testing.T) {
	for _, body := range []string{
		`{"command":"ls"}`,
		`{"command":"nc -l 1","command":"ls"}`,
		`{"tool":"Bash","input":{"command":"ls","COMMAND":"nc -l 1"}}`,
		`{"a":[{"x":1},{"y":2,"Y":3}]}`,
		`{"a":[1,2,{"b":{"c":"d","\u0063":"e"}}]}`,
		`{"s":"a \"quoted\" , } ] string","t":[true,false,null,-1.5e3]}`,
		`{"ſql":1,"sql":2}`,
		`{"k":1,"\u212a":2}`,
		` { "a" : { "b" : [ { "c" : 1 } , { "c" : 2 } ] } } `,
		`{"x":{"a":1},"y":{"a":1}}`,
	} {
		got, ok := scanMembers([]byte(body), "")
		if !ok {
			t.Errorf("%s: scan gave up", body)
			continue
		}
		want := checkMembersTokens([]byte(body), "")
		if (got == nil) != (want == nil) || got != nil && got.Error() != want.Error() {
			t.Errorf("%s:\n scan   %v\n tokens %v", body, got, want)
		}
	}
}

// FuzzScanMembers: on any valid JSON the scan finishes and agrees with the
// token reader. Bodies are valid UTF-8 before they are scanned (the token
// reader would name "\xff" as U+FFFD in its message).
func FuzzScanMembers(f *testing.F) {
	for _, s := range []string{`{"a":1,"A":2}`, `[{"a":{"b":[1,{"c":2,"c":3}]}}]`, `"x"`, `{"\u0061":1,"a":2}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) || !utf8.Valid(data) {
			return
		}
		got, ok := scanMembers(data, "")
		if !ok {
			t.Fatalf("scan gave up on valid JSON %q", data)
		}
		want := checkMembersTokens(data, "")
		if (got == nil) != (want == nil) || got != nil && got.Error() != want.Error() {
			t.Fatalf("%q:\n scan   %v\n tokens %v", data, got, want)
		}
	})
}
