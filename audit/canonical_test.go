package audit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// RFC 8785 appendix B: IEEE 754 doubles and their canonical text.
func TestCanonicalNumbers(t *testing.T) {
	for bits, want := range map[uint64]string{
		0x0000000000000000: "0",
		0x8000000000000000: "0",
		0x0000000000000001: "5e-324",
		0x8000000000000001: "-5e-324",
		0x7fefffffffffffff: "1.7976931348623157e+308",
		0xffefffffffffffff: "-1.7976931348623157e+308",
		0x4340000000000000: "9007199254740992",
		0xc340000000000000: "-9007199254740992",
		0x4430000000000000: "295147905179352830000",
		0x44b52d02c7e14af5: "9.999999999999997e+22",
		0x44b52d02c7e14af6: "1e+23",
		0x44b52d02c7e14af7: "1.0000000000000001e+23",
		0x444b1ae4d6e2ef4e: "999999999999999700000",
		0x444b1ae4d6e2ef4f: "999999999999999900000",
		0x444b1ae4d6e2ef50: "1e+21",
		0x3eb0c6f7a0b5ed8c: "9.999999999999997e-7",
		0x3eb0c6f7a0b5ed8d: "0.000001",
		0x41b3de4355555553: "333333333.3333332",
		0x41b3de4355555554: "333333333.33333325",
		0x41b3de4355555555: "333333333.3333333",
		0x41b3de4355555556: "333333333.3333334",
		0x41b3de4355555557: "333333333.33333343",
		0xbecbf647612f3696: "-0.0000033333333333333333",
		0x43143ff3c1cb0959: "1424953923781206.2",
	} {
		got, err := appendNumber(nil, math.Float64frombits(bits))
		if err != nil || string(got) != want {
			t.Errorf("%#x: got %s (%v), want %s", bits, got, err, want)
		}
	}
	if _, err := appendNumber(nil, math.NaN()); err == nil {
		t.Error("NaN encoded")
	}
}

func TestCanonicalStringsAndKeys(t *testing.T) {
	got := string(appendString(nil, "\x00\x1f\x7f\"\\/\b\f\n\r\t<>&\u2028é\xff"))
	want := `"\u0000\u001f` + "\x7f" + `\"\\/\b\f\n\r\t<>&` + "\u2028é\uFFFD" + `"`
	if got != want {
		t.Errorf("string: got %s, want %s", got, want)
	}
	// RFC 8785 §3.2.3: keys sort by UTF-16 code units.
	v := map[string]any{"\u20ac": 1.0, "\r": 2.0, "\ufb33": 3.0, "1": 4.0, "\U0001F600": 5.0, "\u0080": 6.0, "\u00f6": 7.0}
	b, err := Canonical(v)
	if err != nil {
		t.Fatal(err)
	}
	want = `{"\r":2,"1":4,"` + "\u0080" + `":6,"` + "\u00f6" + `":7,"` + "\u20ac" + `":1,"` + "\U0001F600" + `":5,"` + "\ufb33" + `":3}`
	if string(b) != want {
		t.Errorf("keys: got %s, want %s", b, want)
	}
}

// richRecord sets every field, with awkward content.
func richRecord() *Record {
	return &Record{
		Seq: 42, Time: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), Type: TypeDecision,
		Surface: "mcp", Agent: "claude", Session: "s\"1", Cwd: "/tmp/ü\tx",
		Request: "echo \"héllo\" \x01 </script> \u2028", RequestBytes: 99, RequestHMAC: "ab", Redacted: true,
		Actions: []Facet{{Kind: "mcp.call", Part: 2, Command: "c", Program: "p", Port: 8080, Host: "h", Path: "/p",
			URL: "u", Tool: "t", Server: "s", Remote: true, Background: true, Detail: "d",
			Args: map[string]any{"z": []any{1.5, "x", nil, false, map[string]any{}}, "a": map[string]any{"€": 1e21, "b": -0.0}}}},
		Decision: Ask, Reason: "r", Rule: &Rule{Name: "n", Reason: "r", Source: "f:1", Layer: "user", Builtin: true},
		PolicyHash: "ph", Approval: &Approval{ID: "i", Outcome: "approved", Approver: "a", Channel: "c", Scope: "once", Note: "n", WaitUS: 7},
		LatencyUS: 12, Mode: "shadow", Error: "e", Notes: []string{"n1", "n2"},
		Prune: &Prune{Segments: []PrunedSegment{{Name: "seg", FirstSeq: 1, LastSeq: 2, LastHash: "h", Records: 2}}},
		Prev:  strings.Repeat("0", 64), Hash: strings.Repeat("1", 64), MAC: strings.Repeat("2", 64),
	}
}

// The hand-written record encoder must produce exactly the generic RFC 8785
// form of what it encodes, and decoding then encoding must be the identity.
func TestRecordEncodingIsCanonical(t *testing.T) {
	recs := []*Record{richRecord(), {Seq: 1, Type: TypeDecision, Decision: Deny}}
	for i := 0; i < 8; i++ {
		recs = append(recs, sampleRecord(i))
	}
	for i, r := range recs {
		if r.Prev == "" {
			r.Prev, r.Hash, r.MAC = strings.Repeat("a", 64), strings.Repeat("b", 64), strings.Repeat("c", 64)
		}
		if r.Type == "" {
			r.Type = TypeDecision
		}
		for _, sealed := range []bool{true, false} {
			b, err := appendRecord(nil, r, sealed)
			if err != nil {
				t.Fatal(err)
			}
			var generic any
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.UseNumber()
			if err := dec.Decode(&generic); err != nil {
				t.Fatalf("record %d: %v\n%s", i, err, b)
			}
			want, err := Canonical(generic)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, want) {
				t.Errorf("record %d (sealed %v) not canonical:\n got %s\nwant %s", i, sealed, b, want)
			}
			if sealed {
				back, err := decodeRecord(b)
				if err != nil {
					t.Fatal(err)
				}
				again, _ := appendRecord(nil, back, true)
				if !bytes.Equal(again, b) {
					t.Errorf("record %d does not round-trip:\n%s\n%s", i, b, again)
				}
				// The hash input is the sealed line without hash and mac.
				var sc scanner
				if err := sc.scan(b); err != nil {
					t.Fatal(err)
				}
				unsealed, _ := appendRecord(nil, r, false)
				var prev [32]byte
				h1 := sc.hashLine(b, &prev)
				h2, _ := recordHash(&prev, unsealed, nil)
				if h1 != h2 {
					t.Errorf("record %d: hash of the stored line differs from the hash of the unsealed encoding", i)
				}
			}
		}
	}
}

// The fast decoder agrees with encoding/json.
func TestDecodeMatchesEncodingJSON(t *testing.T) {
	recs := []*Record{richRecord(), {Seq: 3, Type: TypeDecision, Decision: Deny, Request: "naïve \"q\" \\ \u2028"}}
	for i := 0; i < 8; i++ {
		recs = append(recs, sampleRecord(i))
	}
	for i, r := range recs {
		line, err := appendRecord(nil, r, true)
		if err != nil {
			t.Fatal(err)
		}
		fast, err := decodeRecord(line)
		if err != nil {
			t.Fatal(err)
		}
		var slow Record
		if err := json.Unmarshal(line, &slow); err != nil {
			t.Fatal(err)
		}
		a, _ := appendRecord(nil, fast, true)
		b, _ := appendRecord(nil, &slow, true)
		if !bytes.Equal(a, b) || !fast.Time.Equal(slow.Time) {
			t.Errorf("record %d decodes differently:\nfast %s\nslow %s", i, a, b)
		}
		d := decoder{b: line}
		if r.Prune == nil && !d.record(new(Record)) {
			t.Errorf("record %d fell back to encoding/json", i)
		}
	}
}

// The sealed line made by putting hash and mac into the unsealed encoding
// is exactly the sealed encoding, whichever members come before, between
// and after them.
func TestAppendSealedMatchesSealedEncoding(t *testing.T) {
	hash, mac := strings.Repeat("b", 64), strings.Repeat("c", 64)
	check := func(name string, r *Record) {
		t.Helper()
		r.Prev, r.Hash, r.MAC = strings.Repeat("a", 64), "", ""
		var m sealMarks
		unsealed, err := appendRecordMarked([]byte("garbage before"), r, false, &m)
		if err != nil {
			t.Fatal(err)
		}
		unsealed = unsealed[len("garbage before"):]
		plain, _ := appendRecord(nil, r, false)
		if !bytes.Equal(unsealed, plain) {
			t.Fatalf("%s: marking changed the unsealed encoding", name)
		}
		got := appendSealed([]byte("x"), unsealed, &m, hash, mac)[1:]
		r.Hash, r.MAC = hash, mac
		want, _ := appendRecord(nil, r, true)
		if !bytes.Equal(got, want) {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
	}
	// Every combination of the optional members around hash and mac.
	for bits := 0; bits < 1<<8; bits++ {
		r := &Record{Seq: 7, Time: t0, Type: TypeOutcome}
		if bits&1 != 0 {
			r.Actions = []Facet{{Kind: "shell.execute", Command: "ls"}}
		}
		if bits&2 != 0 {
			r.Agent = "claude"
		}
		if bits&4 != 0 {
			r.Type, r.Decision, r.Approval = TypeApproval, Ask, &Approval{Outcome: "pending"}
		}
		if bits&8 != 0 {
			r.Cwd = "/x"
		}
		if bits&16 != 0 && r.Decision == "" {
			r.Type, r.Decision = TypeDecision, Allow
		}
		if bits&32 != 0 {
			r.Error = "boom"
		}
		if bits&64 != 0 {
			r.LatencyUS = 42
		}
		if bits&128 != 0 {
			r.Mode, r.Notes = "shadow", []string{"n"}
		}
		check(fmt.Sprintf("members %08b", bits), r)
	}
	check("rich", richRecord())
	check("prune", &Record{Seq: 9, Time: t0, Type: TypePrune, Prune: &Prune{Segments: []PrunedSegment{{Name: "s", FirstSeq: 1, LastSeq: 2, Records: 2}}}})
	for i := 0; i < 16; i++ {
		r := sampleRecord(i)
		r.Type, r.Time, r.Seq = TypeDecision, t0, uint64(i+1)
		check(fmt.Sprintf("sample %d", i), r)
	}
}

// appendStringCompared is appendString as first written (four comparisons
// per byte instead of plainByte): the reference for FuzzAppendString.
func appendStringCompared(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, s[start:i]...)
				b = append(b, "\uFFFD"...)
				i++
				start = i
				continue
			}
			i += size
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"':
			b = append(b, '\\', '"')
		case '\\':
			b = append(b, '\\', '\\')
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			const hex = "0123456789abcdef"
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", "q\"b\\s\n\t\x00\x1f\x7f", "naïve \u2028 \xff\xfe", strings.Repeat("ab", 40)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var all [256]byte
		for i := range all {
			all[i] = byte(i)
		}
		for _, text := range []string{s, string(all[:]) + s} {
			if got, want := appendString([]byte("x"), text), appendStringCompared([]byte("x"), text); !bytes.Equal(got, want) {
				t.Fatalf("appendString(%q) = %q, want %q", text, got, want)
			}
		}
	})
}
