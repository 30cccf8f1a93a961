// Package jsonobj edits JSON objects the way a person would: keys keep their
// order and untouched values keep their bytes, so safeclaw can change one
// entry of an agent's settings file without rewriting the rest.
package jsonobj

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Member is one key and its raw value.
type Member struct {
	Key string
	Val json.RawMessage
}

// Object is a JSON object that keeps its keys' order and its values' bytes.
type Object struct{ Members []Member }

// Parse reads one JSON object; empty input is the empty object. Errors say
// where the JSON broke.
func Parse(data []byte) (*Object, error) {
	o := &Object{}
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return o, nil
	}
	if data[0] != '{' {
		return nil, errors.New("not a JSON object")
	}
	d := json.NewDecoder(bytes.NewReader(data))
	if _, err := d.Token(); err != nil {
		return nil, describe(data, d, err)
	}
	for d.More() {
		t, err := d.Token()
		if err != nil {
			return nil, describe(data, d, err)
		}
		key, ok := t.(string)
		if !ok {
			return nil, errors.New("object key is not a string")
		}
		var v json.RawMessage
		if err := d.Decode(&v); err != nil {
			return nil, describe(data, d, err)
		}
		o.Members = append(o.Members, Member{key, v})
	}
	if _, err := d.Token(); err != nil {
		return nil, describe(data, d, err)
	}
	if _, err := d.Token(); err == nil {
		return nil, errors.New("data after the JSON object")
	}
	return o, nil
}

// describe adds where the JSON broke to a decoding error.
func describe(data []byte, d *json.Decoder, err error) error {
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &syn):
		return fmt.Errorf("invalid JSON at byte %d: %v", syn.Offset, err)
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return fmt.Errorf("truncated JSON (%d bytes)", len(data))
	}
	return fmt.Errorf("invalid JSON at byte %d: %w", d.InputOffset(), err)
}

// Keys returns the keys in order.
func (o *Object) Keys() []string {
	ks := make([]string, len(o.Members))
	for i, m := range o.Members {
		ks[i] = m.Key
	}
	return ks
}

// Get returns the value of k (the last one, as JSON parsers read duplicates).
func (o *Object) Get(k string) (json.RawMessage, bool) {
	for i := len(o.Members) - 1; i >= 0; i-- {
		if o.Members[i].Key == k {
			return o.Members[i].Val, true
		}
	}
	return nil, false
}

// Set replaces k's value where k first appears (dropping duplicates), or
// appends it.
func (o *Object) Set(k string, v json.RawMessage) {
	out := o.Members[:0]
	done := false
	for _, m := range o.Members {
		if m.Key != k {
			out = append(out, m)
			continue
		}
		if !done {
			out = append(out, Member{k, v})
			done = true
		}
	}
	o.Members = out
	if !done {
		o.Members = append(o.Members, Member{k, v})
	}
}

// Del removes every member named k.
func (o *Object) Del(k string) {
	out := o.Members[:0]
	for _, m := range o.Members {
		if m.Key != k {
			out = append(out, m)
		}
	}
	o.Members = out
}

// Marshal renders the object compactly, values as they were.
func (o *Object) Marshal() json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o.Members {
		if i > 0 {
			b.WriteByte(',')
		}
		key, _ := json.Marshal(m.Key) // a string always marshals
		b.Write(key)
		b.WriteByte(':')
		b.Write(bytes.TrimSpace(m.Val))
	}
	b.WriteByte('}')
	return b.Bytes()
}

// MarshalIndent renders the object with two-space indentation and a final
// newline. Values that are not valid JSON (only possible when a caller Set
// them) make it fail.
func (o *Object) MarshalIndent() ([]byte, error) {
	var b bytes.Buffer
	if err := json.Indent(&b, o.Marshal(), "", "  "); err != nil {
		return nil, err
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}
