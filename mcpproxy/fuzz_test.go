package mcpproxy

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// Approval states: only what this proxy signed, for exactly that request,
// redeems; nothing else does, and nothing panics.
//
//	go test ./mcpproxy -run=- -fuzz=FuzzRedeemState -fuzztime=20s
func FuzzRedeemState(f *testing.F) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	p := &Proxy{opts: Options{Now: func() time.Time { return now }, ElicitTimeout: time.Minute}}
	const bind = "tools/call\x00echo\x00{}"
	sum := sha256.Sum256([]byte(bind))
	good := p.signState(stateClaims{Bind: hex.EncodeToString(sum[:]), Nonce: "00", Expires: now.Add(time.Minute).Unix()})
	f.Add(good, bind)
	f.Add(good, "tools/call\x00echo\x00{\"a\":1}")
	f.Add("x.y", "")
	f.Add(strings.Replace(good, ".", "..", 1), bind)
	f.Fuzz(func(t *testing.T, state, b string) {
		q := &Proxy{opts: p.opts, used: map[string]time.Time{}}
		if q.redeemState(state, b) != nil {
			return
		}
		// Only the signed claims for this very request redeem.
		body, _, _ := strings.Cut(state, ".")
		if raw, _ := base64.RawURLEncoding.DecodeString(body); b != bind || !strings.Contains(string(raw), hex.EncodeToString(sum[:])) {
			t.Fatalf("redeemed %q for %q", state, b)
		}
		if q.redeemState(state, b) == nil {
			t.Fatal("a state redeemed twice")
		}
	})
}

// Tool arguments: decoding never panics, accepts only objects, and what is
// forwarded decodes to what was decided.
func FuzzDecodeArgs(f *testing.F) {
	for _, s := range []string{`{}`, `null`, ``, `{"sql":"select 1","sql":"drop"}`, `{"n":1e400}`, `[1]`, `{"a":{"b":[1,"x",null,true]}} x`, "{\"\xff\":1}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := decodeArgs(raw)
		if err != nil {
			return
		}
		if m == nil {
			t.Fatal("nil map without error")
		}
		again, err := decodeArgs([]byte(compactJSON(m)))
		if err != nil {
			t.Fatalf("re-encoded arguments do not decode: %v", err)
		}
		if !reflect.DeepEqual(m, again) {
			b1, _ := json.Marshal(m)
			b2, _ := json.Marshal(again)
			t.Fatalf("round trip changed the arguments: %s vs %s", b1, b2)
		}
	})
}

// The lane loses, adds and reorders nothing: the lines taken and the
// bytes passed on to the SDK make up the input, and a taken line is one
// whole JSON-RPC message.
//
//	go test ./mcpproxy -run=- -fuzz=FuzzSplitLines -fuzztime=20s
func FuzzSplitLines(f *testing.F) {
	f.Add([]byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{}}`+"\n"+`[{"jsonrpc":"2.0"}]`+"\n{\n}\n"), uint8(1))
	f.Add([]byte(`{"jsonrpc":"2.0","id":"safeclaw-1","result":{}}`), uint8(3))
	f.Add([]byte("\n\r\n \t{\"jsonrpc\":\"2.0\",\"method\":\"x\"}\r\n"), uint8(0xff))
	f.Fuzz(func(t *testing.T, input []byte, pattern uint8) {
		var taken [][]byte
		n := 0
		take := func(line []byte) bool {
			n++
			if _, ok := decodeLine(line); !ok || pattern&(1<<(n%8)) == 0 {
				return false
			}
			taken = append(taken, bytes.Clone(line))
			return true
		}
		passed, err := io.ReadAll(splitLines(io.NopCloser(bytes.NewReader(input)), take, nil))
		if err != nil {
			t.Fatal(err)
		}
		// Put the taken lines back where they were: each sits at a line
		// start of the input.
		var rebuilt []byte
		rest := input
		for _, line := range taken {
			i := bytes.Index(rest, line)
			if i < 0 || (len(rebuilt)+i > 0 && input[len(input)-len(rest)+i-1] != '\n') {
				t.Fatalf("taken line %q is not a line of the input", line)
			}
			if !bytes.HasPrefix(passed, rest[:i]) {
				t.Fatalf("passed %q does not continue with %q", passed, rest[:i])
			}
			rebuilt = append(rebuilt, rest[:i]...)
			rebuilt = append(rebuilt, line...)
			passed = passed[i:]
			rest = rest[i+len(line):]
		}
		rebuilt = append(rebuilt, passed...)
		if !bytes.Equal(rebuilt, input) {
			t.Fatalf("rebuilt %q, input %q", rebuilt, input)
		}
	})
}

// The fast path reads a line as the SDK does: whatever line decodeLine
// accepts, the SDK's decoder reads as the same kind of message, with the
// same method, ID and params.
//
//	go test ./mcpproxy -run=- -fuzz=FuzzDecodeLineAgreesWithSDK -fuzztime=20s
func FuzzDecodeLineAgreesWithSDK(f *testing.F) {
	for _, s := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":{}}}`,
		`{"jsonrpc":"2.0","id":1,"method":"ping","METHOD":"tools/call"}`,
		`{"jsonrpc":"2.0","id":1,"method":"ping","method":"tools/call","params":{"a":1},"params":{"b":2}}`,
		`{"jsonrpc":"2.0","id":"a","id":2.5,"method":null}`,
		`{"jsonrpc":"2.0","id":"safeclaw-1","result":{"content":[]},"error":null}`,
		`{"jsonrpc":"2.0","me\u0074hod":"tools/call","id":3}`,
		`{"jsonrpc":"2.0","id":3,"error":{"code":-32601,"message":"no"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		ours, ok := decodeLine(line)
		if !ok {
			return
		}
		sdk, err := jsonrpc.DecodeMessage(line)
		if err != nil {
			// The SDK refuses it (its own limits): it goes to the SDK,
			// which refuses it, unless the fast path takes it; the fast
			// path takes only tools/call requests it decides itself.
			return
		}
		switch o := ours.(type) {
		case *jsonrpc.Request:
			s, isReq := sdk.(*jsonrpc.Request)
			if !isReq || s.Method != o.Method || s.ID != o.ID || !bytes.Equal(bytes.TrimSpace(s.Params), bytes.TrimSpace(o.Params)) {
				t.Fatalf("%q: ours %+v, the SDK's %+v", line, o, sdk)
			}
		case *jsonrpc.Response:
			s, isResp := sdk.(*jsonrpc.Response)
			if !isResp || s.ID != o.ID {
				t.Fatalf("%q: ours %+v, the SDK's %+v", line, o, sdk)
			}
		}
	})
}
