package server

import (
	"bytes"
	"strings"
	"testing"

	"github.com/safeclaw/safeclaw/action"
)

// TestAnswerFastPathOn: the answer's types are the ones appendDecideAnswer
// knows. A field added to decideAnswer, decideResult or action.Action
// turns the fast path off (answers stay right, only slower): teach
// appendDecideAnswer the field and update answerFieldsKnown.
func TestAnswerFastPathOn(t *testing.T) {
	if !answerFieldsKnown() {
		t.Fatal("appendDecideAnswer does not know the answer's fields: update it and answerFieldsKnown")
	}
}

// sameAnswer: appendDecideAnswer writes a as encodeJSON does, or leaves it
// to encodeJSON.
func sameAnswer(t *testing.T, a *decideAnswer) {
	t.Helper()
	var want bytes.Buffer
	if err := encodeJSON(&want, a); err != nil {
		t.Fatal(err)
	}
	got, ok := appendDecideAnswer([]byte("x"), a)
	if !ok {
		if a.Result.Ask == nil && !hasArgs(a) {
			t.Fatalf("%+v: not written", a)
		}
		return
	}
	if string(got) != "x"+want.String() {
		t.Fatalf("%+v:\n got  %s\n want %s", a, got[1:], want.Bytes())
	}
}

func hasArgs(a *decideAnswer) bool {
	for _, f := range a.Result.Actions {
		if f.Args != nil {
			return true
		}
	}
	return false
}

func TestAppendDecideAnswer(t *testing.T) {
	rule := "Block listeners"
	full := &decideAnswer{Result: decideResult{Decision: "deny", Reason: "listeners <are> & \"blocked\"", Rule: &rule,
		RuleSource: "p.yaml:3", Policy: &policyRef{SHA256: "abc"}, Input: "python3 -m http.server 8080\n\tls",
		Actions: []action.Action{{Kind: action.ShellExecute, Command: "python3 -m http.server 8080", Program: "python3"},
			{Kind: action.NetworkListen, Port: 8080, Host: "0.0.0.0", Path: "/p", URL: "u", Tool: "t", Server: "s",
				Remote: true, Background: true, Detail: "python http.server \u2028\u2029 \xff é", Recursive: true}},
		Notes: []string{"n1", "n\x01"}}, Message: "Denied", ToolCallID: "call_1"}
	sameAnswer(t, full)
	sameAnswer(t, &decideAnswer{})
	sameAnswer(t, &decideAnswer{Result: decideResult{Decision: "allow", Actions: []action.Action{}}})
	sameAnswer(t, &decideAnswer{Result: decideResult{Decision: "ask", Ask: &askInfo{ApprovalID: "a"}}})
	sameAnswer(t, &decideAnswer{Result: decideResult{Actions: []action.Action{{Kind: "mcp.call", Args: map[string]any{"a": 1}}}}})
	sameAnswer(t, &decideAnswer{Result: decideResult{Actions: []action.Action{{Port: -5}}, Notes: []string{}}})
	// Each kind of byte at each place of a string longer than the 8 bytes
	// plain8 reads at once.
	for _, c := range []string{"\"", "\\", "\n", "\x00", "\x1f", "\x7f", "é", "\u2028", "\xff", "<&>"} {
		for i := range 20 {
			s := strings.Repeat("a", i) + c + strings.Repeat("b", 19-i)
			sameAnswer(t, &decideAnswer{Result: decideResult{Decision: s, Input: s + s}, Message: s[:i]})
		}
	}
}

// FuzzAppendDecideAnswer: any answer is written as encoding/json writes it.
func FuzzAppendDecideAnswer(f *testing.F) {
	f.Add("deny", "reason \"q\"", "rule", "src", "input\n", "/p\u2028", "msg", 8080, uint16(0xffff))
	f.Add("", "", "", "", "", "\xff\x00", "", 0, uint16(0))
	f.Fuzz(func(t *testing.T, dec, reason, rule, src, input, str, msg string, port int, bits uint16) {
		a := &decideAnswer{Result: decideResult{Decision: dec, Reason: reason, RuleSource: src, Input: input}, Message: msg}
		if bits&1 != 0 {
			a.Result.Rule = &rule
		}
		if bits&2 != 0 {
			a.Result.Policy = &policyRef{SHA256: str}
		}
		if bits&4 != 0 {
			a.Result.Notes = []string{str, rule}
		}
		if bits&8 != 0 {
			a.ToolCallID = str
		}
		if bits&16 != 0 {
			a.Result.Actions = []action.Action{}
		}
		for i := range int(bits>>5) & 3 {
			f := action.Action{Kind: action.Kind(str), Port: port * i, Remote: bits&(1<<7) != 0, Background: bits&(1<<8) != 0,
				Recursive: bits&(1<<9) != 0}
			for j, p := range []*string{&f.Command, &f.Program, &f.Host, &f.Path, &f.URL, &f.Tool, &f.Server, &f.Detail} {
				if bits&(1<<(10+(i+j)%6)) != 0 {
					*p = []string{str, reason, rule, input}[j%4]
				}
			}
			a.Result.Actions = append(a.Result.Actions, f)
		}
		sameAnswer(t, a)
	})
}

// TestPlain8: plain8 agrees with the byte-by-byte test, every byte value
// at every position, among plain and among other bytes.
func TestPlain8(t *testing.T) {
	plain := func(b byte) bool { return b >= ' ' && b < 0x80 && b != '"' && b != '\\' }
	for _, fill := range []byte{'a', ' ', '~', 0x7f, '"', 0, 0x80, 0xff, 0x1f} {
		for pos := range 8 {
			for b := range 256 {
				buf := bytes.Repeat([]byte{fill}, 8)
				buf[pos] = byte(b)
				want := true
				for _, c := range buf {
					want = want && plain(c)
				}
				if got := plain8(string(buf)); got != want {
					t.Fatalf("plain8(%q) = %v", buf, got)
				}
			}
		}
	}
}
