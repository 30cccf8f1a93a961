package jsonobj

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"
)

// ExactMembers reports a member of the JSON object data, bound for v (a
// pointer to a struct), whose name matches one of the struct's fields only
// when case is ignored, at any depth. encoding/json matches names ignoring
// case, so {"command": A, "Command": B} would be read as B by safeclaw and as
// A by a client that reads the exact name: a decision must not rest on such
// input. Members bound for maps, interfaces and raw JSON are not checked.
// Invalid JSON is not reported (the decoder says what is wrong with it).
//
// A name given twice in one object counts once, with its last value (as
// encoding/json reads it); other checks refuse such objects.
func ExactMembers(data []byte, v any) error {
	p := planOf(reflect.TypeOf(v))
	if p == nil || !json.Valid(data) {
		return nil
	}
	return p.check(data, SkipSpace(data, 0), 0)
}

// ExactMembersOfValid is [ExactMembers] for data known to be valid JSON
// (one value, with white space around it at most), such as what a
// json.Decoder has just read without error: it saves checking that again.
// On other data its result means nothing.
func ExactMembersOfValid(data []byte, v any) error {
	p := planOf(reflect.TypeOf(v))
	if p == nil {
		return nil
	}
	return p.check(data, SkipSpace(data, 0), 0)
}

// maxDepth is how deep (in struct fields and array elements) members are
// checked.
const maxDepth = 32

// A memberPlan is what ExactMembers checks in a value bound for one Go type,
// worked out once per type: the bytes are then read in one pass, without
// reflection or decoding. A nil plan checks nothing (strings, numbers,
// maps, interfaces, raw JSON).
type memberPlan struct {
	fields []planField    // struct: its JSON names, in field order
	byName map[string]int // struct: index in fields of each name
	elem   *memberPlan    // slice or array: its elements' plan
	isList bool           // a slice or array, else a struct
}

type planField struct {
	name string
	plan *memberPlan
}

var plans sync.Map // reflect.Type → *memberPlan (nil stored as noPlan)

// noPlan marks, in plans, a type with nothing to check.
var noPlan = &memberPlan{}

var rawMessageType = reflect.TypeOf(json.RawMessage(nil))

// planOf returns t's plan, building and caching it on first use.
func planOf(t reflect.Type) *memberPlan {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return nil
	}
	if p, ok := plans.Load(t); ok {
		return unNo(p.(*memberPlan))
	}
	building := map[reflect.Type]*memberPlan{}
	p := buildPlan(t, building)
	if _, ok := building[t]; !ok {
		building[t] = p
	}
	for bt, bp := range building {
		if bp == nil {
			bp = noPlan
		}
		plans.LoadOrStore(bt, bp)
	}
	return p
}

func unNo(p *memberPlan) *memberPlan {
	if p == noPlan {
		return nil
	}
	return p
}

// buildPlan builds t's plan; building holds the plans under construction,
// so that a recursive type refers to its own plan.
func buildPlan(t reflect.Type, building map[reflect.Type]*memberPlan) *memberPlan {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t == rawMessageType {
		return nil
	}
	if p, ok := building[t]; ok {
		return p
	}
	if p, ok := plans.Load(t); ok {
		return unNo(p.(*memberPlan))
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		p := &memberPlan{isList: true}
		building[t] = p
		p.elem = buildPlan(t.Elem(), building)
		if p.elem == nil {
			// Elements with nothing to check: the list has nothing either.
			building[t] = nil
			return nil
		}
		return p
	case reflect.Struct:
		p := &memberPlan{byName: map[string]int{}}
		building[t] = p
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			fp := buildPlan(f.Type, building)
			// A name given by two fields is bound for the last of them.
			if j, ok := p.byName[name]; ok {
				p.fields[j].plan = fp
				continue
			}
			p.byName[name] = len(p.fields)
			p.fields = append(p.fields, planField{name, fp})
		}
		return p
	}
	return nil
}

// check checks the value at data[i:] (valid JSON) against p, at depth.
func (p *memberPlan) check(data []byte, i, depth int) error {
	if p == nil || depth > maxDepth {
		return nil
	}
	if p.isList {
		if data[i] != '[' {
			return nil // null, or not an array: the decoder says so
		}
		i = SkipSpace(data, i+1)
		if data[i] == ']' {
			return nil
		}
		for {
			if err := p.elem.check(data, i, depth+1); err != nil {
				return err
			}
			i = SkipSpace(data, SkipValue(data, i))
			if data[i] == ']' {
				return nil
			}
			i = SkipSpace(data, i+1) // past ','
		}
	}
	if data[i] != '{' {
		return nil
	}
	// A name twice counts once, with its last value: the members are read
	// first, then each checked unless a later one has the same name.
	var buf [16]member
	members := buf[:0]
	i = SkipSpace(data, i+1)
	if data[i] != '}' {
		for {
			end := SkipString(data, i)
			key := unquoteKey(data[i+1 : end-1])
			i = SkipSpace(data, SkipSpace(data, end)+1) // past ':'
			members = append(members, member{key: key, val: i})
			i = SkipSpace(data, SkipValue(data, i))
			if data[i] == '}' {
				break
			}
			i = SkipSpace(data, i+1) // past ','
		}
	}
	var last map[string]int // for objects with many members
	if len(members) > 16 {
		last = make(map[string]int, len(members))
		for j, m := range members {
			last[string(m.key)] = j
		}
	}
	for j, m := range members {
		if last != nil {
			if last[string(m.key)] != j {
				continue
			}
		} else if laterHas(members[j+1:], m.key) {
			continue
		}
		if k, ok := p.byName[string(m.key)]; ok {
			if err := p.fields[k].plan.check(data, m.val, depth+1); err != nil {
				return err
			}
			continue
		}
		for _, f := range p.fields {
			if strings.EqualFold(string(m.key), f.name) {
				return fmt.Errorf("unknown member %q (member names are case-sensitive: did you mean %q?)", m.key, f.name)
			}
		}
	}
	return nil
}

// member is one member of an object being checked: its name and where its
// value starts.
type member struct {
	key []byte
	val int
}

func laterHas(members []member, name []byte) bool {
	for _, m := range members {
		if string(m.key) == string(name) {
			return true
		}
	}
	return false
}

// unquoteKey returns a member name (without its quotes) as encoding/json
// reads it: escapes resolved and invalid UTF-8 replaced. A name without
// either is returned as it is, without a copy.
func unquoteKey(key []byte) []byte {
	plain := utf8.Valid(key)
	for _, c := range key {
		if c == '\\' {
			plain = false
			break
		}
	}
	if plain {
		return key
	}
	var s string
	// key came from valid JSON: the quoted form always decodes.
	_ = json.Unmarshal(append(append([]byte{'"'}, key...), '"'), &s)
	return []byte(s)
}

// The skip functions below read JSON that json.Valid accepted; each returns
// the index just past what it skipped. (The server's one-pass body reader
// uses them too.)

// SkipSpace skips the white space at data[i:].
func SkipSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// SkipString skips the string whose opening quote is at data[i].
func SkipString(data []byte, i int) int {
	for i++; i < len(data); i++ {
		switch data[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return i
}

// SkipValue skips the value starting at data[i].
func SkipValue(data []byte, i int) int {
	switch data[i] {
	case '"':
		return SkipString(data, i)
	case '{', '[':
		depth := 0
		for i < len(data) {
			switch data[i] {
			case '"':
				i = SkipString(data, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	}
	// A number, true, false or null: up to the next delimiter.
	for i < len(data) {
		switch data[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
		i++
	}
	return i
}
