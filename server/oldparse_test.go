package server

// The decide body's parsing as it was before its checks were made cheaper
// (one-pass jsonobj.ExactMembers after decoding, an allocation-free
// scanMembers): the reference that parseDecideBody must agree with.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/safeclaw/safeclaw/action"
)

func oldParseDecideBody(data []byte) (*decideBody, error) {
	if t := bytes.TrimSpace(data); len(t) == 0 || t[0] != '{' {
		return nil, errors.New("the body must be a JSON object")
	}
	// encoding/json would read invalid UTF-8 as U+FFFD: the decision would
	// be about other text than the bytes a client runs.
	if !utf8.Valid(data) {
		return nil, errors.New("the body is not valid UTF-8")
	}
	b := &decideBody{}
	if err := oldStrictJSON(data, b); err != nil {
		return nil, err
	}
	// A member twice (or in two cases) in any object, tool arguments
	// included, could be read one way here and another way where it runs.
	if err := oldCheckMembers(data, ""); err != nil {
		return nil, err
	}
	if b.Tool != "" || len(b.Input) == 0 {
		return b, nil
	}
	// Maybe §8's envelope: {"input": {agent, action, context, raw}[, "wait"]}.
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, jsonError(err)
	}
	if !oldIsEnvelope(top, b.Input) {
		return b, nil
	}
	var inner map[string]json.RawMessage
	if err := json.Unmarshal(b.Input, &inner); err != nil {
		return nil, fmt.Errorf("input: %v", err)
	}
	if w, ok := top["wait"]; ok {
		inner["wait"] = w
	}
	merged, err := json.Marshal(inner)
	if err != nil {
		return nil, err
	}
	var env decideBody
	if err := oldStrictJSON(merged, &env); err != nil {
		return nil, fmt.Errorf("input: %w", err)
	}
	return &env, nil
}
func oldIsEnvelope(top map[string]json.RawMessage, in json.RawMessage) bool {
	for k := range top {
		if k != "input" && k != "wait" {
			return false
		}
	}
	var inner map[string]json.RawMessage
	if json.Unmarshal(in, &inner) != nil || len(inner) == 0 {
		return false
	}
	for k := range inner {
		if !envelopeKeys[k] {
			return false
		}
	}
	return true
}
func oldStrictJSON(data []byte, v any) error {
	// encoding/json matches member names ignoring case: {"command": A,
	// "Command": B} would be decided on B while a client reading the exact
	// name runs A. A name that is not exactly a known member is refused.
	if err := oldExactMembers(data, v); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("bad JSON: data after the object")
	}
	return nil
}

func oldCheckMembers(data []byte, root string) error {
	if err, ok := oldScanMembers(data, root); ok {
		return err
	}
	return checkMembersTokens(data, root)
}

type oldMemberFrame struct {
	object bool
	names  []string          // object: the names seen
	folded map[string]string // object with many names: by folded name
	member string            // object: the member whose value is next
	expect bool              // object: the next string is a member name
	index  int               // array: the element being read
}

func (f *oldMemberFrame) seen(name string) (string, bool) {
	if f.folded != nil {
		k := action.FoldKey(name)
		if prev, dup := f.folded[k]; dup {
			return prev, true
		}
		f.folded[k] = name
		return "", false
	}
	for _, s := range f.names {
		if strings.EqualFold(s, name) {
			return s, true
		}
	}
	if len(f.names) == 32 {
		f.folded = make(map[string]string, 64)
		for _, n := range f.names {
			f.folded[action.FoldKey(n)] = n
		}
		f.folded[action.FoldKey(name)] = name
		return "", false
	}
	f.names = append(f.names, name)
	return "", false
}
func oldMemberPath(root string, stack []oldMemberFrame) string {
	p := root
	for _, f := range stack {
		if f.object {
			p = joinPath(p, f.member)
		} else {
			p += "[" + strconv.Itoa(f.index) + "]"
		}
	}
	return p
}
func oldScanMembers(data []byte, root string) (err error, ok bool) {
	var stack []oldMemberFrame
	for i := 0; i < len(data); i++ {
		top := len(stack) - 1
		switch c := data[i]; c {
		case ' ', '\t', '\n', '\r', ':':
		case '{', '[':
			stack = append(stack, oldMemberFrame{object: c == '{', expect: c == '{'})
		case '}', ']':
			if top < 0 || stack[top].object != (c == '}') {
				return nil, false
			}
			stack = stack[:top]
		case ',':
			if top < 0 {
				return nil, false
			}
			if stack[top].object {
				stack[top].expect = true
			} else {
				stack[top].index++
			}
		case '"':
			start, esc := i, false
			for i++; i < len(data) && data[i] != '"'; i++ {
				if data[i] == '\\' {
					esc = true
					i++
				}
			}
			if i >= len(data) {
				return nil, false
			}
			if top < 0 || !stack[top].object || !stack[top].expect {
				continue // a string value
			}
			name := string(data[start+1 : i])
			if esc && json.Unmarshal(data[start:i+1], &name) != nil {
				return nil, false
			}
			f := &stack[top]
			if prev, dup := f.seen(name); dup {
				return membersError(prev, name, describePath(oldMemberPath(root, stack[:top]))), true
			}
			f.member, f.expect = name, false
		default:
			// A number, true, false or null: up to the next delimiter.
			for i+1 < len(data) && !strings.ContainsRune(",]} \t\n\r", rune(data[i+1])) {
				i++
			}
		}
	}
	return nil, len(stack) == 0
}

// oldExactMembers is jsonobj.ExactMembers as it was (a map of raw members
// per object, struct fields found by reflection on every call).
func oldExactMembers(data []byte, v any) error {
	return oldExact(data, reflect.TypeOf(v), 0)
}

func oldExact(data []byte, t reflect.Type, depth int) error {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || depth > 32 || t == reflect.TypeOf(json.RawMessage(nil)) {
		return nil
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		var items []json.RawMessage
		if json.Unmarshal(data, &items) != nil {
			return nil
		}
		for _, it := range items {
			if err := oldExact(it, t.Elem(), depth+1); err != nil {
				return err
			}
		}
	case reflect.Struct:
		var members map[string]json.RawMessage
		if json.Unmarshal(data, &members) != nil {
			return nil
		}
		fields := map[string]reflect.Type{}
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
			fields[name] = f.Type
		}
		for k, v := range members {
			if ft, ok := fields[k]; ok {
				if err := oldExact(v, ft, depth+1); err != nil {
					return err
				}
				continue
			}
			for name := range fields {
				if strings.EqualFold(k, name) {
					return fmt.Errorf("unknown member %q (member names are case-sensitive: did you mean %q?)", k, name)
				}
			}
		}
	}
	return nil
}
