package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/safeclaw/safeclaw/internal/jsonobj"
)

// keepLayout re-expresses out, the edited settings safeclaw rendered with
// two-space indentation and LF line ends, in the layout of old, the file as
// the person wrote it: every member the edit did not change keeps its bytes
// (comments aside, which are refused earlier: indentation, line ends, one-line
// objects, the order of keys), and what the edit adds or changes is indented
// like its neighbours, with old's line ends. Installing and then uninstalling
// gives old back byte for byte.
//
// When old has no line break (a file written by a program), is empty, or
// the result would not mean exactly what out means, out is returned.
func keepLayout(old, out []byte) []byte {
	start := jsonobj.SkipSpace(old, 0)
	if start >= len(old) || old[start] != '{' || !bytes.ContainsRune(old, '\n') {
		return out
	}
	end := jsonobj.SkipValue(old, start)
	if end > len(old) || jsonobj.SkipSpace(old, end) != len(old) {
		return out
	}
	l := layoutOf(old)
	var b bytes.Buffer
	b.Write(old[:start])
	if err := l.splice(&b, old, start, end, bytes.TrimSpace(out)); err != nil {
		return out
	}
	b.Write(old[end:])
	res := b.Bytes()
	var c1, c2 bytes.Buffer
	if json.Compact(&c1, res) != nil || json.Compact(&c2, out) != nil || !bytes.Equal(c1.Bytes(), c2.Bytes()) {
		return out
	}
	return res
}

// layout is how a JSON file is written: its line end and indentation unit.
type layout struct {
	nl, unit string
}

func layoutOf(data []byte) layout {
	l := layout{nl: "\n", unit: "  "}
	if bytes.Contains(data, []byte("\r\n")) {
		l.nl = "\r\n"
	}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimRight(line, "\r")
		ind := line[:len(line)-len(strings.TrimLeft(line, " \t"))]
		if ind != "" && len(ind) < len(line) {
			l.unit = ind
			break
		}
	}
	return l
}

// render writes v indented as a value whose line begins with indent.
func (l layout) render(b *bytes.Buffer, v []byte, indent string) error {
	var ind bytes.Buffer
	if err := json.Indent(&ind, v, indent, l.unit); err != nil {
		return err
	}
	s := ind.String()
	if l.nl != "\n" {
		s = strings.ReplaceAll(s, "\n", l.nl)
	}
	b.WriteString(s)
	return nil
}

// lineIndent is the white space that begins the line holding data[i].
func lineIndent(data []byte, i int) string {
	j := bytes.LastIndexByte(data[:i], '\n') + 1
	k := j
	for k < i && (data[k] == ' ' || data[k] == '\t') {
		k++
	}
	return string(data[j:k])
}

// oldMember is one member of an object in the old file, by offsets.
type oldMember struct {
	key                        string
	keyStart, valStart, valEnd int
}

// membersOf lists the members of the object old[start:end].
func membersOf(old []byte, start, end int) ([]oldMember, error) {
	var ms []oldMember
	i := jsonobj.SkipSpace(old, start+1)
	for i < end && old[i] != '}' {
		if old[i] == ',' {
			i = jsonobj.SkipSpace(old, i+1)
			continue
		}
		if old[i] != '"' {
			return nil, errors.New("not an object key")
		}
		ke := jsonobj.SkipString(old, i)
		var key string
		if err := json.Unmarshal(old[i:ke], &key); err != nil {
			return nil, err
		}
		j := jsonobj.SkipSpace(old, ke)
		if j >= end || old[j] != ':' {
			return nil, errors.New("no colon")
		}
		vs := jsonobj.SkipSpace(old, j+1)
		if vs >= end {
			return nil, errors.New("no value")
		}
		ve := jsonobj.SkipValue(old, vs)
		ms = append(ms, oldMember{key, i, vs, ve})
		i = jsonobj.SkipSpace(old, ve)
	}
	return ms, nil
}

// splice writes the value nv in place of old[start:end]: old's own bytes
// when they mean the same, a member-by-member edit when both are objects,
// else nv indented like the line old's value is on.
func (l layout) splice(b *bytes.Buffer, old []byte, start, end int, nv []byte) error {
	var c1, c2 bytes.Buffer
	if json.Compact(&c1, old[start:end]) == nil && json.Compact(&c2, nv) == nil && bytes.Equal(c1.Bytes(), c2.Bytes()) {
		b.Write(old[start:end])
		return nil
	}
	indent := lineIndent(old, start)
	if old[start] == '[' && len(nv) > 0 && nv[0] == '[' {
		return l.spliceArray(b, old, start, end, nv)
	}
	if old[start] != '{' || len(nv) == 0 || nv[0] != '{' {
		return l.render(b, nv, indent)
	}
	oms, err := membersOf(old, start, end)
	if err != nil {
		return err
	}
	obj, err := jsonobj.Parse(nv)
	if err != nil {
		return err
	}
	if len(oms) == 0 || len(obj.Members) == 0 || !bytes.Contains(old[start:end], []byte("\n")) {
		return l.render(b, nv, indent)
	}
	idx := map[string]int{}
	for i, m := range oms {
		if _, dup := idx[m.key]; dup {
			return fmt.Errorf("key %q twice", m.key)
		}
		idx[m.key] = i
	}
	// Kept members must stay in their order, else the whole object is
	// rendered anew.
	last := -1
	for _, m := range obj.Members {
		if i, ok := idx[m.Key]; ok {
			if i < last {
				return l.render(b, nv, indent)
			}
			last = i
		}
	}
	first, lastM := oms[0], oms[len(oms)-1]
	memberIndent := lineIndent(old, first.keyStart)
	colon := string(old[jsonobj.SkipString(old, first.keyStart):first.valStart])
	sep := "," + l.nl + memberIndent
	if len(oms) > 1 {
		sep = string(old[oms[0].valEnd:oms[1].keyStart])
	}
	b.Write(old[start:first.keyStart])
	prev := -1 // index in oms of the member written last, -1 for a new one
	for n, m := range obj.Members {
		i, ok := idx[m.Key]
		if n > 0 {
			if ok && prev >= 0 && i == prev+1 {
				b.Write(old[oms[prev].valEnd:oms[i].keyStart])
			} else {
				b.WriteString(sep)
			}
		}
		if ok {
			om := oms[i]
			b.Write(old[om.keyStart:om.valStart])
			if err := l.splice(b, old, om.valStart, om.valEnd, bytes.TrimSpace(m.Val)); err != nil {
				return err
			}
			prev = i
			continue
		}
		key, _ := json.Marshal(m.Key)
		b.Write(key)
		b.WriteString(colon)
		if err := l.render(b, bytes.TrimSpace(m.Val), memberIndent); err != nil {
			return err
		}
		prev = -1
	}
	b.Write(old[lastM.valEnd:end])
	return nil
}

// spliceArray writes the array nv in place of the array old[start:end]:
// the elements nv keeps from old (in old's order) keep their bytes, and
// the others are written like old's elements: on one line when old is on
// one line, else each indented like old's first element.
func (l layout) spliceArray(b *bytes.Buffer, old []byte, start, end int, nv []byte) error {
	indent := lineIndent(old, start)
	var olds [][2]int
	for i := jsonobj.SkipSpace(old, start+1); i < end && old[i] != ']'; {
		if old[i] == ',' {
			i = jsonobj.SkipSpace(old, i+1)
			continue
		}
		e := jsonobj.SkipValue(old, i)
		olds = append(olds, [2]int{i, e})
		i = jsonobj.SkipSpace(old, e)
	}
	var news []json.RawMessage
	if err := json.Unmarshal(nv, &news); err != nil {
		return err
	}
	// match[n] is the old element new element n keeps, or -1.
	match := make([]int, len(news))
	next, kept := 0, 0
	for n, v := range news {
		match[n] = -1
		var cv bytes.Buffer
		if json.Compact(&cv, v) != nil {
			return errors.New("bad element")
		}
		for i := next; i < len(olds); i++ {
			var co bytes.Buffer
			if json.Compact(&co, old[olds[i][0]:olds[i][1]]) == nil && bytes.Equal(co.Bytes(), cv.Bytes()) {
				match[n], next = i, i+1
				kept++
				break
			}
		}
	}
	if kept == 0 || len(news) == 0 {
		return l.render(b, nv, indent)
	}
	oneLine := !bytes.Contains(old[start:end], []byte("\n"))
	first, last := olds[0], olds[len(olds)-1]
	elemIndent := lineIndent(old, first[0])
	sep := "," + l.nl + elemIndent
	if oneLine {
		sep = ", "
	}
	if len(olds) > 1 {
		sep = string(old[olds[0][1]:olds[1][0]])
	}
	b.Write(old[start:first[0]])
	prev := -1
	for n, v := range news {
		i := match[n]
		if n > 0 {
			if i >= 0 && prev >= 0 && i == prev+1 {
				b.Write(old[olds[prev][1]:olds[i][0]])
			} else {
				b.WriteString(sep)
			}
		}
		switch {
		case i >= 0:
			b.Write(old[olds[i][0]:olds[i][1]])
		case oneLine:
			if err := json.Compact(b, v); err != nil {
				return err
			}
		default:
			if err := l.render(b, bytes.TrimSpace(v), elemIndent); err != nil {
				return err
			}
		}
		prev = i
	}
	b.Write(old[last[1]:end])
	return nil
}
