package jsonobj

import (
	"strings"
	"testing"
)

func TestEditKeepsOrderAndBytes(t *testing.T) {
	o, err := Parse([]byte(`{"b": 1, "a": {"x":  [1, 2]}, "c": "z", "b": 2}`))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := o.Get("b"); string(v) != "2" {
		t.Errorf("Get(b) = %s, want the last value 2", v)
	}
	o.Set("b", []byte(`3`))
	o.Set("d", []byte(`true`))
	o.Del("c")
	if got, want := string(o.Marshal()), `{"b":3,"a":{"x":  [1, 2]},"d":true}`; got != want {
		t.Errorf("Marshal = %s, want %s", got, want)
	}
	if got := strings.Join(o.Keys(), ","); got != "b,a,d" {
		t.Errorf("Keys = %s", got)
	}
	out, err := o.MarshalIndent()
	if err != nil || !strings.HasSuffix(string(out), "}\n") || !strings.Contains(string(out), "\n  \"a\": {") {
		t.Errorf("MarshalIndent = %q, %v", out, err)
	}
}

func TestParseErrors(t *testing.T) {
	for in, want := range map[string]string{
		`[1]`:         "not a JSON object",
		`{"a": 1} {}`: "data after the JSON object",
		`{"a": }`:     "invalid JSON at byte",
		`{"a": [1, 2`: "truncated JSON",
	} {
		if _, err := Parse([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want %q", in, err, want)
		}
	}
	if o, err := Parse([]byte("  ")); err != nil || len(o.Members) != 0 {
		t.Errorf("empty input: %+v, %v", o, err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1,"a":2}`, `{"hooks":{"PreToolUse":[]}}`, `{"a":`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, err := Parse([]byte(s))
		if err != nil {
			return
		}
		again, err := Parse(o.Marshal())
		if err != nil || string(again.Marshal()) != string(o.Marshal()) {
			t.Fatalf("round trip of %q: %v", s, err)
		}
	})
}
