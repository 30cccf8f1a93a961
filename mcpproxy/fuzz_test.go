package mcpproxy

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
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
