// Package strictyaml loads small configuration documents (YAML or JSON) into a
// position-carrying tree and offers the strict accessors safeclaw's policy and
// config loaders share: unknown keys, wrong types and duplicate keys become
// errors naming file:line:col, with a "did you mean" hint where one helps.
//
// YAML features that make a security policy hard to read are refused
// outright: anchors, aliases, merge keys (<<), explicit tags and multiple
// documents. Input is capped at [MaxSize] bytes and must be valid UTF-8.
//
// JSON input (a .json name, or text that starts with '{' and is valid JSON)
// is read with encoding/json's tokenizer, not as YAML, so JSON documents get
// JSON semantics and exact positions.
//
// # Current limitations
//
// The YAML library reports a syntax error at the start of the construct it
// was reading, without a column; Parse finds the real line and column by
// reading prefixes of the document (see locateYAMLError). Where a problem
// shows only at the end of the text (an unclosed bracket), it is reported
// just after the last character.
package strictyaml

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// MaxSize is the largest document Parse accepts.
const MaxSize = 4 << 20

// Error is a load error with its position. Error() renders
// "file:line:col: msg (hint)".
type Error struct {
	File string `json:"file"`
	Line int    `json:"line"`
	Col  int    `json:"col"`
	Msg  string `json:"message"`
	Hint string `json:"hint,omitempty"`
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, max(e.Col, 1))
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	if e.Hint != "" {
		b.WriteString(" (")
		b.WriteString(e.Hint)
		b.WriteString(")")
	}
	return b.String()
}

// Kind is a node's shape.
type Kind uint8

const (
	Scalar Kind = iota + 1
	Map
	Seq
)

// Scalar tags, without the "!!" prefix.
const (
	TagStr       = "str"
	TagInt       = "int"
	TagFloat     = "float"
	TagBool      = "bool"
	TagNull      = "null"
	TagTimestamp = "timestamp"
)

// Node is one value of the document with its position.
type Node struct {
	File  string
	Kind  Kind
	Tag   string // scalars: one of the Tag constants
	Value string // scalars: the text as written (unquoted)
	// Quoted is true for a quoted scalar (YAML '...' or "...", every JSON string).
	Quoted bool
	// Plain is true for a scalar written on one line without escapes, so
	// that a column inside Value maps to a column in the file.
	Plain bool
	Line  int
	Col   int
	Keys  []*Node // Map: keys in order
	Vals  []*Node // Map: values, parallel to Keys
	Items []*Node // Seq
}

// Parse reads one YAML or JSON document. JSON is chosen when the name ends
// in .json, or when the text starts with '{' and is valid JSON (a YAML flow
// mapping such as {rules: []} stays YAML). An empty document (nothing
// but comments) returns a nil node and no error.
func Parse(file string, data []byte) (*Node, error) {
	if len(data) > MaxSize {
		return nil, &Error{File: file, Msg: fmt.Sprintf("file is larger than %d bytes", MaxSize)}
	}
	if !utf8.Valid(data) {
		line, col := position(data, firstInvalidUTF8(data))
		return nil, &Error{File: file, Line: line, Col: col, Msg: "invalid UTF-8"}
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		line, col := position(data, i)
		return nil, &Error{File: file, Line: line, Col: col, Msg: "NUL byte in file"}
	}
	// A byte order mark is invisible in editors; columns count without it.
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	// The YAML library refuses control characters without saying where;
	// JSON refuses them in strings. Find them here, with their position.
	if i, r := firstControl(data); i >= 0 {
		line, col := position(data, i)
		return nil, &Error{File: file, Line: line, Col: col, Msg: fmt.Sprintf("control character %U in file", r),
			Hint: "remove it: a policy is plain text"}
	}
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if strings.HasSuffix(strings.ToLower(file), ".json") || (len(trimmed) > 0 && trimmed[0] == '{' && json.Valid(data)) {
		return parseJSON(file, data)
	}
	return parseYAML(file, data)
}

// yamlErrRE is compiled on first use: package init is on every hook's path.
var yamlErrRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^yaml: (?:line (\d+): )?(?:column (\d+): )?(.*)$`)
})

// yamlParserErrors are the YAML library's parser (not scanner) problems.
// The library reports their line 0-based, and leaves out a line 0.
var yamlParserErrors = map[string]bool{
	"did not find expected <stream-start>":   true,
	"did not find expected <document start>": true,
	"found undefined tag handle":             true,
	"did not find expected node content":     true,
	"did not find expected '-' indicator":    true,
	"did not find expected key":              true,
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found duplicate %TAG directive":         true,
}

// yamlAliasRE finds the alias an "unknown anchor" error is about.
var yamlAliasRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^unknown anchor '(.*)' referenced$`)
})

func yamlError(file string, data []byte, err error) *Error {
	e := &Error{File: file, Msg: err.Error()}
	if m := yamlErrRE().FindStringSubmatch(err.Error()); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
		e.Col, _ = strconv.Atoi(m[2])
		e.Msg = "invalid YAML: " + m[3]
		// The library leaves the line out when it is the first one
		// (its line 0), and numbers parser errors from 0.
		if yamlParserErrors[m[3]] || e.Line == 0 {
			e.Line = min(e.Line+1, lineCount(data))
		}
		if e.Col == 0 {
			e.Col = 1
		}
		switch {
		case m[3] == "found incompatible YAML document":
			e.Hint = "remove the %YAML directive"
		case yamlAliasRE().MatchString(m[3]):
			// An alias to an anchor that does not exist: the library
			// gives no position, so find the alias.
			name := yamlAliasRE().FindStringSubmatch(m[3])[1]
			e.Msg = "YAML aliases (*" + name + ") are not allowed"
			e.Hint = "write the value out in full, so the file reads plainly"
			if i := findAlias(data, name); i >= 0 {
				e.Line, e.Col = position(data, i)
			}
		default:
			// The library reports where the construct it was reading
			// starts (a mapping, a scalar), not where the problem is.
			if line, col, ok := locateYAMLError(data, m[3], e.Line); ok {
				e.Line, e.Col = line, col
				if m[3] == "found unexpected end of stream" {
					if c := lineText(data, line); col <= len(c) && (c[col-1] == '"' || c[col-1] == '\'') {
						e.Hint = "the quote opened here is never closed"
					}
				}
			}
		}
	}
	if hasTabIndent(data, e.Line) || strings.Contains(err.Error(), "tab") {
		e.Hint = "indent with spaces, not tabs"
	}
	return e
}

// hasTabIndent reports whether the given 1-based line (or, for 0, any line)
// starts its indentation with a tab.
func hasTabIndent(data []byte, line int) bool {
	tabbed := func(l string) bool {
		t := strings.TrimLeft(l, " ")
		return len(t) > 0 && t[0] == '\t'
	}
	if line > 0 {
		return tabbed(lineText(data, line))
	}
	for _, l := range strings.FieldsFunc(string(data), func(r rune) bool { return r == '\n' || r == '\r' }) {
		if tabbed(l) {
			return true
		}
	}
	return false
}

func parseYAML(file string, data []byte) (n *Node, err error) {
	// The YAML library panics on a few pathological inputs in older
	// versions; a policy loader must never take the process down.
	defer func() {
		if r := recover(); r != nil {
			n, err = nil, &Error{File: file, Msg: fmt.Sprintf("invalid YAML: %v", r)}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, yamlError(file, data, err)
	}
	var second yaml.Node
	switch err := dec.Decode(&second); {
	case err == nil:
		return nil, &Error{File: file, Line: max(second.Line, 1), Col: max(second.Column, 1),
			Msg: "multiple YAML documents in one file", Hint: "keep one document per file; remove the '---' separator"}
	case !errors.Is(err, io.EOF):
		return nil, yamlError(file, data, err)
	}
	if doc.Kind == yaml.DocumentNode {
		if len(doc.Content) == 0 {
			return nil, nil
		}
		return convert(file, newSource(data), doc.Content[0], 0)
	}
	return convert(file, newSource(data), &doc, 0)
}

// source gives the text of a line, to tell whether a scalar's value is
// written in the file character for character.
type source struct {
	data   []byte
	starts []int // offset of each line's first byte (YAML line breaks)
}

func newSource(data []byte) *source {
	s := &source{data: data, starts: []int{0}}
	for i := 0; i < len(data); i++ {
		switch {
		case data[i] == '\n':
			s.starts = append(s.starts, i+1)
		case data[i] == '\r' && (i+1 == len(data) || data[i+1] != '\n'):
			s.starts = append(s.starts, i+1)
		}
	}
	return s
}

// verbatim reports whether y's value appears as it is in the file at y's
// position (inside its quotes when quoted), so that a column inside the
// value maps to a column in the file. It does not for a block scalar, a
// scalar folded over several lines, or a quoted one with escapes ("\x41",
// "\t", or a doubled quote inside single quotes).
func (s *source) verbatim(y *yaml.Node) bool {
	if y.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 || strings.ContainsAny(y.Value, "\n\r") ||
		y.Line < 1 || y.Line > len(s.starts) || y.Column < 1 {
		return false
	}
	end := len(s.data)
	if y.Line < len(s.starts) {
		end = s.starts[y.Line]
	}
	rest := s.data[s.starts[y.Line-1]:end]
	for i := 1; i < y.Column && len(rest) > 0; i++ {
		_, size := utf8.DecodeRune(rest)
		rest = rest[size:]
	}
	switch {
	case y.Style&yaml.DoubleQuotedStyle != 0:
		return len(rest) >= len(y.Value)+2 && rest[0] == '"' && string(rest[1:1+len(y.Value)]) == y.Value && rest[1+len(y.Value)] == '"'
	case y.Style&yaml.SingleQuotedStyle != 0:
		return len(rest) >= len(y.Value)+2 && rest[0] == '\'' && string(rest[1:1+len(y.Value)]) == y.Value && rest[1+len(y.Value)] == '\''
	}
	return bytes.HasPrefix(rest, []byte(y.Value))
}

const maxDepth = 64

func convert(file string, src *source, y *yaml.Node, depth int) (*Node, error) {
	at := func(msg, hint string) error {
		return &Error{File: file, Line: y.Line, Col: y.Column, Msg: msg, Hint: hint}
	}
	if depth > maxDepth {
		return nil, at("document nested too deeply", "")
	}
	if y.Kind == yaml.AliasNode {
		return nil, at("YAML aliases (*"+y.Value+") are not allowed", "write the value out in full, so the file reads plainly")
	}
	if y.Anchor != "" {
		return nil, at("YAML anchors (&"+y.Anchor+") are not allowed", "write the value out in full, so the file reads plainly")
	}
	if y.Style&yaml.TaggedStyle != 0 {
		return nil, at("explicit YAML tags ("+y.Tag+") are not allowed", "remove the tag; quote the value if it must be a string")
	}
	n := &Node{File: file, Line: y.Line, Col: y.Column}
	switch y.Kind {
	case yaml.ScalarNode:
		n.Kind = Scalar
		n.Value = y.Value
		n.Tag = strings.TrimPrefix(y.ShortTag(), "!!")
		n.Quoted = y.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0
		n.Plain = src.verbatim(y)
		switch n.Tag {
		case TagStr, TagInt, TagFloat, TagBool, TagNull, TagTimestamp:
		case "binary":
			return nil, at("binary values are not allowed", "")
		default:
			return nil, at("unsupported YAML value type "+y.Tag, "")
		}
	case yaml.SequenceNode:
		n.Kind = Seq
		for _, c := range y.Content {
			cn, err := convert(file, src, c, depth+1)
			if err != nil {
				return nil, err
			}
			n.Items = append(n.Items, cn)
		}
	case yaml.MappingNode:
		n.Kind = Map
		seen := map[string]*Node{}
		for i := 0; i+1 < len(y.Content); i += 2 {
			ky, vy := y.Content[i], y.Content[i+1]
			if ky.Kind == yaml.ScalarNode && ky.Tag == "!!merge" {
				return nil, &Error{File: file, Line: ky.Line, Col: ky.Column, Msg: "YAML merge keys (<<) are not allowed", Hint: "write the keys out in full"}
			}
			k, err := convert(file, src, ky, depth+1)
			if err != nil {
				return nil, err
			}
			if k.Kind != Scalar {
				return nil, k.Errorf("", "mapping keys must be plain names, not %s", k.Describe())
			}
			if prev, dup := seen[k.Value]; dup {
				return nil, k.Errorf(fmt.Sprintf("first defined at line %d", prev.Line), "duplicate key %q", k.Value)
			}
			seen[k.Value] = k
			v, err := convert(file, src, vy, depth+1)
			if err != nil {
				return nil, err
			}
			n.Keys = append(n.Keys, k)
			n.Vals = append(n.Vals, v)
		}
	default:
		return nil, at("unsupported YAML node", "")
	}
	return n, nil
}

// lineCount is the number of lines in data as YAML counts them (a line
// break is LF, CRLF or a lone CR), counting an empty last line.
func lineCount(data []byte) int {
	n := 1
	for i, c := range data {
		if c == '\n' || (c == '\r' && (i+1 == len(data) || data[i+1] != '\n')) {
			n++
		}
	}
	return n
}

// findAlias returns the offset of the first "*name" that starts a token,
// or -1.
func findAlias(data []byte, name string) int {
	tok := []byte("*" + name)
	for off := 0; ; {
		i := bytes.Index(data[off:], tok)
		if i < 0 {
			return -1
		}
		i += off
		end := i + len(tok)
		before := i == 0 || bytes.IndexByte([]byte(" \t\n\r[{,:-?"), data[i-1]) >= 0
		after := end == len(data) || bytes.IndexByte([]byte(" \t\n\r]},"), data[end]) >= 0
		if before && after {
			return i
		}
		off = i + 1
	}
}

// firstControl returns the offset and value of the first character YAML
// does not allow in a document (C0 controls other than tab, line feed and
// carriage return, DEL, C1 controls other than NEL, U+FFFE and U+FFFF), or
// -1. data is valid UTF-8.
func firstControl(data []byte) (int, rune) {
	for i := 0; i < len(data); {
		c := data[i]
		if c < utf8.RuneSelf {
			if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f {
				return i, rune(c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(data[i:])
		if (r >= 0x80 && r <= 0x9f && r != 0x85) || r == 0xfffe || r == 0xffff {
			return i, r
		}
		i += size
	}
	return -1, 0
}

func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return len(b)
}

// position converts a byte offset into a 1-based line and column (in runes).
func position(data []byte, off int) (line, col int) {
	off = min(max(off, 0), len(data))
	line = 1 + bytes.Count(data[:off], []byte{'\n'})
	start := bytes.LastIndexByte(data[:off], '\n') + 1
	col = 1 + utf8.RuneCount(data[start:off])
	return line, col
}

// Errorf returns an error positioned at n.
func (n *Node) Errorf(hint, format string, args ...any) *Error {
	return &Error{File: n.File, Line: n.Line, Col: n.Col, Msg: fmt.Sprintf(format, args...), Hint: hint}
}

// Describe names the node's type for error messages: "a string", "a list", ...
func (n *Node) Describe() string {
	if n == nil {
		return "nothing"
	}
	switch n.Kind {
	case Map:
		return "a mapping"
	case Seq:
		return "a list"
	}
	switch n.Tag {
	case TagStr:
		return "a string"
	case TagInt:
		return "an integer"
	case TagFloat:
		return "a number"
	case TagBool:
		return "a boolean"
	case TagNull:
		return "an empty value"
	case TagTimestamp:
		return "a timestamp"
	}
	return "a value"
}

// Get returns the value of key in a mapping, or nil.
func (n *Node) Get(key string) *Node {
	if n == nil || n.Kind != Map {
		return nil
	}
	for i, k := range n.Keys {
		if k.Value == key {
			return n.Vals[i]
		}
	}
	return nil
}

// Key returns the key node named key in a mapping, or nil.
func (n *Node) Key(key string) *Node {
	if n == nil || n.Kind != Map {
		return nil
	}
	for _, k := range n.Keys {
		if k.Value == key {
			return k
		}
	}
	return nil
}

// CheckMap requires n to be a mapping whose keys are all in known. what
// names the mapping in errors ("rule", "schedule").
func (n *Node) CheckMap(what string, known []string) error {
	if n.Kind != Map {
		return n.Errorf("", "%s must be a mapping, not %s", what, n.Describe())
	}
	for _, k := range n.Keys {
		if !contains(known, k.Value) {
			hint := DidYouMean(k.Value, known)
			if hint == "" {
				hint = "known keys: " + strings.Join(known, ", ")
			}
			return k.Errorf(hint, "unknown key %q in %s", k.Value, what)
		}
	}
	return nil
}

// String requires a string scalar. Numbers, booleans and dates must be
// quoted to be strings: a silent conversion could change their meaning.
func (n *Node) String(what string) (string, error) {
	if n.Kind != Scalar || n.Tag != TagStr {
		hint := ""
		if n.Kind == Scalar && n.Tag != TagNull {
			hint = fmt.Sprintf("quote it: %q", n.Value)
		}
		return "", n.Errorf(hint, "%s must be a string, not %s", what, n.Describe())
	}
	return n.Value, nil
}

// NonEmptyString is String that also rejects "".
func (n *Node) NonEmptyString(what string) (string, error) {
	s, err := n.String(what)
	if err == nil && strings.TrimSpace(s) == "" {
		return "", n.Errorf("", "%s must not be empty", what)
	}
	return s, err
}

// Int requires an integer scalar written in plain decimal. The YAML
// library also reads 0x1F, 0o17, 0b11, 1_000 and (YAML 1.1 style) 017 as
// octal 15; a policy must mean what it reads as, so those are refused.
func (n *Node) Int(what string) (int64, error) {
	if n.Kind != Scalar || n.Tag != TagInt {
		hint := ""
		if n.Kind == Scalar && n.Tag == TagStr && isDecimal(strings.TrimSpace(n.Value)) {
			hint = "write it without quotes: " + strings.TrimSpace(n.Value)
		}
		return 0, n.Errorf(hint, "%s must be an integer, not %s", what, n.Describe())
	}
	if !isDecimal(n.Value) {
		return 0, n.Errorf("write the number in plain decimal digits, without a leading zero, prefix, sign or '_'", "%s: %q is not a plain decimal integer", what, n.Value)
	}
	v, err := strconv.ParseInt(n.Value, 10, 64)
	if err != nil {
		return 0, n.Errorf("", "%s: invalid integer %q", what, n.Value)
	}
	return v, nil
}

// isDecimal reports whether s is -?(0|[1-9][0-9]*).
func isDecimal(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if s == "" || (len(s) > 1 && s[0] == '0') {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Bool requires a boolean scalar.
func (n *Node) Bool(what string) (bool, error) {
	if n.Kind != Scalar || n.Tag != TagBool {
		return false, n.Errorf("write true or false", "%s must be a boolean, not %s", what, n.Describe())
	}
	return strconv.ParseBool(strings.ToLower(n.Value))
}

// List requires a sequence and returns its items.
func (n *Node) List(what string) ([]*Node, error) {
	if n.Kind != Seq {
		return nil, n.Errorf("", "%s must be a list, not %s", what, n.Describe())
	}
	return n.Items, nil
}

// StringOrList accepts one string or a non-empty list of strings and returns
// the string nodes (for positions) and their values.
func (n *Node) StringOrList(what string) ([]*Node, []string, error) {
	items := []*Node{n}
	if n.Kind == Seq {
		if len(n.Items) == 0 {
			return nil, nil, n.Errorf("remove the key or give at least one value", "%s is an empty list", what)
		}
		items = n.Items
	}
	vals := make([]string, 0, len(items))
	for _, it := range items {
		s, err := it.NonEmptyString(what)
		if err != nil {
			return nil, nil, err
		}
		vals = append(vals, s)
	}
	return items, vals, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// DidYouMean returns "did you mean X?" for the candidate closest to word, or
// "" when none is close (edit distance at most 2, or a third of the word).
func DidYouMean(word string, candidates []string) string {
	if s := Closest(word, candidates); s != "" {
		return fmt.Sprintf("did you mean %q?", s)
	}
	return ""
}

// Closest returns the candidate nearest to word by edit distance, or "".
func Closest(word string, candidates []string) string {
	best, bestD := "", 1<<30
	limit := max(2, len(word)/3)
	lw := strings.ToLower(word)
	for _, c := range candidates {
		d := editDistance(lw, strings.ToLower(c))
		if d < bestD {
			best, bestD = c, d
		}
	}
	if bestD <= limit && bestD < len(word) {
		return best
	}
	return ""
}

// editDistance is the Damerau-Levenshtein (optimal string alignment)
// distance, so a swapped pair of letters counts once.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		if a == b {
			return 0
		}
		return 1 << 20
	}
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
