package strictyaml

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// jsonParser builds a Node tree from JSON tokens, recovering each token's
// position from the decoder's input offset.
type jsonParser struct {
	file string
	data []byte
	dec  *json.Decoder
	// Offsets only grow, so positions are computed incrementally.
	posOff, posLine, posLineStart int
}

// pos is position(p.data, off) in amortised constant time.
func (p *jsonParser) pos(off int) (line, col int) {
	if off < p.posOff {
		return position(p.data, off)
	}
	for i := p.posOff; i < off && i < len(p.data); i++ {
		if p.data[i] == '\n' {
			p.posLine++
			p.posLineStart = i + 1
		}
	}
	p.posOff = off
	return p.posLine, 1 + utf8.RuneCount(p.data[p.posLineStart:min(off, len(p.data))])
}

func parseJSON(file string, data []byte) (*Node, error) {
	p := &jsonParser{file: file, data: data, dec: json.NewDecoder(bytes.NewReader(data)), posLine: 1}
	p.dec.UseNumber()
	if len(bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\ufeff")))) == 0 {
		return nil, nil
	}
	n, err := p.value(0)
	if err != nil {
		return nil, err
	}
	start := p.next()
	if _, err := p.dec.Token(); !errors.Is(err, io.EOF) {
		line, col := position(data, start)
		return nil, &Error{File: file, Line: line, Col: col, Msg: "invalid JSON: data after the top-level value", Hint: "one JSON object per file"}
	}
	return n, nil
}

// next returns the offset where the next token starts.
func (p *jsonParser) next() int {
	off := int(p.dec.InputOffset())
	for off < len(p.data) {
		switch p.data[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
			continue
		}
		if bytes.HasPrefix(p.data[off:], []byte("\ufeff")) {
			off += 3
			continue
		}
		break
	}
	return off
}

func (p *jsonParser) fail(off int, err error) error {
	// The streaming tokenizer's error offsets are not always relative to
	// the input; a whole-input Unmarshal reports the exact byte.
	var any json.RawMessage
	var se *json.SyntaxError
	if uerr := json.Unmarshal(p.data, &any); errors.As(uerr, &se) {
		err, off = se, int(se.Offset)-1
	}
	msg := err.Error()
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || msg == "unexpected end of JSON input" {
		off, msg = len(p.data), "unexpected end of input"
	}
	line, col := position(p.data, off)
	return &Error{File: p.file, Line: line, Col: col, Msg: "invalid JSON: " + msg}
}

func (p *jsonParser) value(depth int) (*Node, error) {
	start := p.next()
	line, col := p.pos(start)
	n := &Node{File: p.file, Line: line, Col: col}
	if depth > maxDepth {
		return nil, n.Errorf("", "document nested too deeply")
	}
	tok, err := p.dec.Token()
	if err != nil {
		return nil, p.fail(start, err)
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n.Kind = Map
			seen := map[string]*Node{}
			for p.dec.More() {
				kstart := p.next()
				ktok, err := p.dec.Token()
				if err != nil {
					return nil, p.fail(kstart, err)
				}
				kl, kc := p.pos(kstart)
				ks, _ := ktok.(string)
				k := &Node{File: p.file, Kind: Scalar, Tag: TagStr, Value: ks, Line: kl, Col: kc}
				if prev, dup := seen[ks]; dup {
					return nil, k.Errorf(fmt.Sprintf("first defined at line %d", prev.Line), "duplicate key %q", ks)
				}
				seen[ks] = k
				v, err := p.value(depth + 1)
				if err != nil {
					return nil, err
				}
				n.Keys = append(n.Keys, k)
				n.Vals = append(n.Vals, v)
			}
		case '[':
			n.Kind = Seq
			for p.dec.More() {
				v, err := p.value(depth + 1)
				if err != nil {
					return nil, err
				}
				n.Items = append(n.Items, v)
			}
		default:
			return nil, p.fail(start, fmt.Errorf("unexpected %q", rune(t)))
		}
		end := p.next()
		if _, err := p.dec.Token(); err != nil {
			return nil, p.fail(end, err)
		}
	case string:
		n.Kind, n.Tag, n.Value, n.Quoted = Scalar, TagStr, t, true
		// The token's raw length equals len(t)+2 only without escapes.
		n.Plain = int(p.dec.InputOffset())-start == len(t)+2
	case json.Number:
		n.Kind, n.Tag, n.Value = Scalar, TagInt, t.String()
		if strings.ContainsAny(n.Value, ".eE") {
			n.Tag = TagFloat
		}
	case bool:
		n.Kind, n.Tag, n.Value = Scalar, TagBool, fmt.Sprint(t)
	case nil:
		n.Kind, n.Tag, n.Value = Scalar, TagNull, "null"
	}
	return n, nil
}
