package strictyaml

import (
	"strings"
	"testing"
)

func TestParseShapes(t *testing.T) {
	for _, src := range []string{
		"a: 1\nb: [x, \"y\"]\nc: {d: true, e: null, f: 2025-01-02, g: 1.5}\n",
		`{"a": 1, "b": ["x", "y"], "c": {"d": true, "e": null, "f": "2025-01-02", "g": 1.5}}`,
	} {
		n, err := Parse("t", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		if n.Kind != Map || len(n.Keys) != 3 || n.Get("b").Kind != Seq || n.Get("c").Get("d").Tag != TagBool ||
			n.Get("c").Get("e").Tag != TagNull || n.Get("c").Get("g").Tag != TagFloat || n.Get("a").Tag != TagInt {
			t.Errorf("%q: bad tree", src)
		}
		if n.Get("b").Items[1].Value != "y" || !n.Get("b").Items[1].Quoted {
			t.Errorf("%q: quoted scalar", src)
		}
	}
}

func TestFlowYAMLIsNotJSON(t *testing.T) {
	n, err := Parse("p.yaml", []byte("{rules: [a, b]}"))
	if err != nil || n.Get("rules") == nil {
		t.Errorf("flow YAML: %v", err)
	}
	if _, err := Parse("p.json", []byte("{rules: [a, b]}")); err == nil || !strings.Contains(err.Error(), "invalid JSON") {
		t.Errorf(".json is always JSON: %v", err)
	}
}

func TestJSONPositions(t *testing.T) {
	src := "{\n  \"rules\": [\n    {\"a\": 1,\n     \"b\": \"x\"}\n  ]\n}\n"
	n, err := Parse("p.json", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	r := n.Get("rules").Items[0]
	if r.Line != 3 || r.Col != 5 || r.Keys[1].Line != 4 || r.Keys[1].Col != 6 || r.Vals[1].Col != 11 {
		t.Errorf("positions: rule %d:%d key b %d:%d value %d", r.Line, r.Col, r.Keys[1].Line, r.Keys[1].Col, r.Vals[1].Col)
	}
	for src, want := range map[string]string{
		`{"a": 1} {"b": 2}`:   "p.json:1:10: invalid JSON: data after the top-level value (one JSON object per file)",
		`{"a": 1, "a": 2}`:    `p.json:1:10: duplicate key "a" (first defined at line 1)`,
		"{\"a\": [1,\n 2,,]}": "p.json:2:4: invalid JSON: invalid character ',' looking for beginning of value",
		`{"a": `:              "p.json:1:7: invalid JSON: unexpected end of input",
		"\ufeff{\"a\": x}":    "p.json:1:7: invalid JSON: invalid character 'x' looking for beginning of value",
	} {
		if _, err := Parse("p.json", []byte(src)); err == nil || err.Error() != want {
			t.Errorf("%q:\n got %v\nwant %s", src, err, want)
		}
	}
}

func TestYAMLRefusals(t *testing.T) {
	for src, want := range map[string]string{
		"a: &x 1\nb: *x\n":   "t.yaml:1:4: YAML anchors (&x) are not allowed",
		"a: !!int 1\n":       "t.yaml:1:4: explicit YAML tags (!!int) are not allowed",
		"a: 1\n---\nb: 2\n":  "t.yaml:2:1: multiple YAML documents in one file",
		"a: 1\na: 2\n":       `t.yaml:2:1: duplicate key "a" (first defined at line 1)`,
		"? [a]\n: 1\n":       "t.yaml:1:3: mapping keys must be plain names, not a list",
		"a: !!binary aGk=\n": "t.yaml:1:4: explicit YAML tags (!!binary) are not allowed",
		"a: [1\n":            "t.yaml:",
		"a:\n\t- b\n":        "(indent with spaces, not tabs)",
		"x: " + strings.Repeat("[", 100) + strings.Repeat("]", 100): "document nested too deeply",
	} {
		_, err := Parse("t.yaml", []byte(src))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", src, err, want)
		}
	}
	if n, err := Parse("t.yaml", []byte("# only a comment\n")); n != nil || err != nil {
		t.Errorf("empty document: %v %v", n, err)
	}
}

func TestDidYouMean(t *testing.T) {
	keys := []string{"command_pattern", "command_regex", "effect", "action", "rules"}
	for word, want := range map[string]string{
		"comand_pattern": "command_pattern", "efect": "effect", "efefct": "effect", "actoin": "action",
		"rule": "rules", "Effect": "effect", "zzz": "", "x": "", "command_regx": "command_regex",
	} {
		if got := Closest(word, keys); got != want {
			t.Errorf("Closest(%q) = %q, want %q", word, got, want)
		}
	}
}

// Numbers must mean what they read as: the YAML library reads 017 as octal
// 15 and accepts 0x1F, 0o17, 0b11 and 1_000, so Int refuses all of them.
func TestIntIsPlainDecimal(t *testing.T) {
	for src, want := range map[string]int64{"a: 0\n": 0, "a: 42\n": 42, "a: -1\n": -1, `{"a": 8080}`: 8080} {
		name := "t.yaml"
		if src[0] == '{' {
			name = "t.json"
		}
		n, err := Parse(name, []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := n.Get("a").Int("a"); err != nil || got != want {
			t.Errorf("%q: %d, %v; want %d", src, got, err, want)
		}
	}
	for _, v := range []string{"017", "0x1F", "0o17", "0b11", "1_000", "+5", "-017"} {
		n, err := Parse("t.yaml", []byte("a: "+v+"\n"))
		if err != nil {
			t.Fatal(err)
		}
		got, err := n.Get("a").Int("a")
		if err == nil || !strings.Contains(err.Error(), "t.yaml:1:4: a: ") || !strings.Contains(err.Error(), "plain decimal") {
			t.Errorf("%s: got %d, %v; want a plain-decimal error", v, got, err)
		}
	}
}

// FuzzParse: Parse never panics, fails only with *Error naming the file, and
// is deterministic; accepted trees respect the depth bound.
//
//	go test ./internal/strictyaml -run=- -fuzz=FuzzParse -fuzztime=20s
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"a: 1\nb: [x, \"y\"]\nc: {d: true, e: null, f: 2025-01-02, g: 1.5}\n",
		`{"a": 1, "b": ["x", "y"], "c": {"d": true, "e": null}}`,
		"a: &x 1\nb: *x\n", "<<: {a: 1}\n", "a: !!str 1\n", "a: 1\n---\nb: 2\n", "\ufeffa: 017\r\n",
		"a: ! 1\n", "%YAML 1.1\n---\na: 0x1F\n", "? [a]\n: 1\n",
		// Tabs in indentation, and other syntax errors whose position
		// is searched for.
		"rules:\n  - action: network.listen\n\teffect: deny\n", "a:\n\t- b\n", "a: |\n  x\n\t y\n", "a: 1\rb:\r\t c: 2\r",
		"a:\n  b: 1\n  \tc: 2\n", "\t", "a: [b,\n  c}\n", "a: 'x\n", "rules:\n- action: x\neffect: deny\n- action: y\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := Parse("f.yaml", data)
		n2, err2 := Parse("f.yaml", data)
		if (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) {
			t.Fatalf("nondeterministic: %v / %v", err, err2)
		}
		if err != nil {
			e, ok := err.(*Error)
			if !ok || e.File != "f.yaml" {
				t.Fatalf("error %T %v", err, err)
			}
			// Every syntax error names a line and column of the file.
			if strings.HasPrefix(e.Msg, "invalid YAML") && (e.Line < 1 || e.Line > lineCount(data) || e.Col < 1) {
				t.Fatalf("%q: error %v has no position in the file", data, err)
			}
			return
		}
		var walk func(*Node, int)
		walk = func(x *Node, depth int) {
			if x == nil {
				return
			}
			if depth > maxDepth+1 {
				t.Fatalf("tree deeper than %d", maxDepth)
			}
			if x.Kind == Scalar {
				_, _ = x.Int("v")
				_, _ = x.Bool("v")
			}
			for _, c := range append(append(append([]*Node(nil), x.Keys...), x.Vals...), x.Items...) {
				walk(c, depth+1)
			}
		}
		walk(n, 0)
		_ = n2
	})
}

// Every error names file:line:col. The YAML library reports no line for its
// first line, numbers its parser errors from 0, and gives no position for
// control characters or an alias of an unknown anchor.
func TestErrorPositions(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"a: [b}\n", "t.yaml:1:6: invalid YAML: did not find expected ',' or ']'"},
		{"\n\na: [b}\n", "t.yaml:3:6: invalid YAML: did not find expected ',' or ']'"},
		{"- - x\n- a: b\n c\n", "t.yaml:3:2: invalid YAML: did not find expected '-' indicator"},
		{"a:\n  b: 1\n c: 2\n", "t.yaml:3:2: invalid YAML: did not find expected key"},
		{"a: 1\nb: 2\n  c: 3\n", "t.yaml:3:3: invalid YAML: mapping values are not allowed in this context"}, // a scanner error: already 1-based
		{"%YAML 1.2\n---\na: 1\n", "t.yaml:1:1: invalid YAML: found incompatible YAML document (remove the %YAML directive)"},
		{"a: 1\nb: *nope\n", "t.yaml:2:4: YAML aliases (*nope) are not allowed"},
		{"a: [x, *nope]\n", "t.yaml:1:8: YAML aliases (*nope) are not allowed"},
		{"a: \"x\x01y\"\n", "t.yaml:1:6: control character U+0001 in file (remove it: a policy is plain text)"},
		{"a: 1\nb: x\x1b[31m\n", "t.yaml:2:5: control character U+001B in file"},
		{"a: x\x7f\n", "t.yaml:1:5: control character U+007F in file"},
		{"a: x\u009b\n", "t.yaml:1:5: control character U+009B in file"},
		{"\ufeffa: x\x01\n", "t.yaml:1:5: control character U+0001 in file"}, // columns count without the BOM
		// The library names the line where the construct it was reading
		// starts; the error names where the problem is.
		{"rules:\n  - action: network.listen\n\teffect: deny\n", "t.yaml:3:1: invalid YAML: found a tab character that violates indentation (indent with spaces, not tabs)"},
		{"a:\n  b: 1\n  \tc: 2\n", "t.yaml:3:3: invalid YAML: found a tab character that violates indentation (indent with spaces, not tabs)"},
		{"a:\n\t- b\n", "t.yaml:2:1: invalid YAML: found character that cannot start any token (indent with spaces, not tabs)"},
		{"a: |\n  x\n\t y\n", "t.yaml:3:1: invalid YAML: found a tab character where an indentation space is expected (indent with spaces, not tabs)"},
		{"a: 1\r\nb:\r\n  - x\r\n\t- y\r\n", "t.yaml:4:1: invalid YAML: found a tab character that violates indentation (indent with spaces, not tabs)"},
		{"a: 1\rb:\r\t c: 2\r", "t.yaml:3:1: invalid YAML: found character that cannot start any token (indent with spaces, not tabs)"}, // lone CR line breaks
		{"rules:\n- action: shell.execute\ncommand_pattern: \"x\"\neffect: deny\n- action: network.listen\neffect: deny\n", "t.yaml:5:1: invalid YAML: did not find expected key"},
		{"- action: shell.execute\ncommand_pattern: \"x\"\n", "t.yaml:2:1: invalid YAML: did not find expected '-' indicator"},
		{"a: [b c}\n", "t.yaml:1:8: invalid YAML: did not find expected ',' or ']'"},
		{"a: [b,\n  c}\n", "t.yaml:2:4: invalid YAML: did not find expected ',' or ']'"},
		{"é: [ü}\n", "t.yaml:1:6: invalid YAML: did not find expected ',' or ']'"}, // columns count characters
		{"key: value: x\n", "t.yaml:1:6: invalid YAML: mapping values are not allowed in this context"},
		{"a: @x\n", "t.yaml:1:4: invalid YAML: found character that cannot start any token"},
		// A problem that shows only at the end: just after the last character.
		{"a: [b\n\n", "t.yaml:1:6: invalid YAML: did not find expected ',' or ']'"},
		{"a: 1\n---\nb: [\n", "t.yaml:3:5: invalid YAML: did not find expected node content"},
		{"a: \"abc\nb: 1\n", "t.yaml:1:4: invalid YAML: found unexpected end of stream (the quote opened here is never closed)"},
		{"a: 'x\n\nb: 1\n", "t.yaml:1:4: invalid YAML: found unexpected end of stream (the quote opened here is never closed)"},
		{"x: " + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + "\n", "t.yaml:1:10004: invalid YAML: exceeded max depth"},
	} {
		_, err := Parse("t.yaml", []byte(c.src))
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%q:\n got %v\nwant %s", c.src, err, c.want)
		}
	}
	if _, err := Parse("t.json", []byte("{\"a\": \"x\x01\"}")); err == nil || err.Error() != "t.json:1:9: control character U+0001 in file (remove it: a policy is plain text)" {
		t.Errorf("JSON control character: %v", err)
	}
	// Tabs, line breaks (LF, CRLF, CR) and NEL are text.
	for _, ok := range []string{"a:\tx\n", "a: x\r\nb: y\r\n", "a: x\rb: y\r", "a: \"x\u0085y\"\n", "a: \"\u00a0\u2028\"\n"} {
		if _, err := Parse("t.yaml", []byte(ok)); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
}

// Plain says a column inside a scalar's value is a column in the file:
// true only when the value is written there character for character.
func TestPlainMeansVerbatim(t *testing.T) {
	for _, c := range []struct {
		src  string
		want bool
	}{
		{"k: nc -l\n", true},
		{"k: grep \"a b\"\n", true},
		{"k: \"nc -l\"\n", true},
		{"k: 'nc -l'\n", true},
		{"k: \"é nc\"\r\n", true},
		{"k: \"\\x6ec -l | x\"\n", false}, // an escape: the value is shorter than its text
		{"k: \"a\\tb\"\n", false},
		{"k: 'it''s'\n", false},
		{"k: nc -l\n  | x\n", false}, // folded over two lines
		{"k: \"nc -l\n  | x\"\n", false},
		{"k: |\n  nc\n", false},
		{"k: >-\n  nc\n", false},
	} {
		n, err := Parse("f.yaml", []byte(c.src))
		if err != nil {
			t.Fatalf("%q: %v", c.src, err)
		}
		if got := n.Get("k").Plain; got != c.want {
			t.Errorf("%q: Plain = %v, want %v", c.src, got, c.want)
		}
	}
}

// A number written in quotes is a string; the error says how to write it.
func TestIntQuotedHint(t *testing.T) {
	for src, want := range map[string]string{
		"version: \"1\"\n":   `t.yaml:1:10: version must be an integer, not a string (write it without quotes: 1)`,
		"version: '2'\n":     `t.yaml:1:10: version must be an integer, not a string (write it without quotes: 2)`,
		"version: \"one\"\n": `t.yaml:1:10: version must be an integer, not a string`,
		`{"version": "1"}`:   `t.json:1:13: version must be an integer, not a string (write it without quotes: 1)`,
		"version: [1]\n":     `t.yaml:1:10: version must be an integer, not a list`,
	} {
		name := "t.yaml"
		if src[0] == '{' {
			name = "t.json"
		}
		n, err := Parse(name, []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := n.Get("version").Int("version"); err == nil || err.Error() != want {
			t.Errorf("%q: %v, want %s", src, err, want)
		}
	}
}
