package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
)

// checkMembers reports the first object, at any depth of the JSON value
// data, that holds a member name twice, exactly or in another case. data
// must be valid JSON; root names it in messages ("" for the body).
//
// encoding/json (and so safeclaw) reads the last of two equal names; other
// parsers read the first, or refuse. A Go program that decodes into a
// struct matches names ignoring case, so {"command": A, "COMMAND": B} runs
// B there while safeclaw, which reads exact names, decides on A. Agents and
// SDKs serialise objects and never send either, so such a request is
// refused rather than guessed at.
func checkMembers(data []byte, root string) error {
	type frame struct {
		object bool
		names  map[string]string // object: the names seen, by folded name
		member string            // object: the member whose value is next
		expect bool              // object: the next token is a member name
		index  int               // array: the next element's index
		path   string            // where this value is, for messages
	}
	var stack []frame
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber() // numbers are not read here, so none is out of range
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return jsonError(err)
		}
		top := len(stack) - 1
		if top >= 0 && stack[top].object && stack[top].expect {
			// json.Decoder.Token returns a member name as a string and
			// keeps the ':' to itself; the value follows.
			if name, ok := tok.(string); ok {
				f := &stack[top]
				key := foldName(name)
				if prev, dup := f.names[key]; dup {
					if prev == name {
						return fmt.Errorf("member %q appears twice in %s: send each member once", name, describePath(f.path))
					}
					return fmt.Errorf("members %q and %q of %s differ only in case (member names are case-sensitive): send one of them", prev, name, describePath(f.path))
				}
				f.names[key], f.member, f.expect = name, name, false
				continue
			}
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			p := root
			if top >= 0 {
				if stack[top].object {
					p = joinPath(stack[top].path, stack[top].member)
				} else {
					p = stack[top].path + "[" + strconv.Itoa(stack[top].index) + "]"
				}
			}
			f := frame{object: tok == json.Delim('{'), path: p}
			if f.object {
				f.names, f.expect = map[string]string{}, true
			}
			stack = append(stack, f)
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:top]
		}
		// A value (a scalar, or a container now closed) was read: its
		// parent object waits for a member name again, its parent array
		// for the next element.
		if n := len(stack) - 1; n >= 0 {
			if stack[n].object {
				stack[n].expect = true
			} else {
				stack[n].index++
			}
		}
	}
}

func joinPath(parent, member string) string {
	if parent == "" {
		return member
	}
	return parent + "." + member
}

func describePath(p string) string {
	if p == "" {
		return "the body"
	}
	return strconv.Quote(p)
}

// foldName maps s to one spelling per class of names that encoding/json
// matches to each other (strings.EqualFold: Unicode simple folding, so the
// Kelvin sign is a "k" and "ſ" an "s"): each rune becomes the smallest of
// its folding orbit.
func foldName(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		low := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			low = min(low, f)
		}
		b.WriteRune(low)
	}
	return b.String()
}

// checkStringArgs checks tool arguments sent as a JSON string holding an
// object (as OpenAI clients send them, and as [toolArgs] unwraps them) the
// way the body itself is checked: the object inside is what is decided.
func checkStringArgs(field string, raw json.RawMessage) error {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || t[0] != '"' {
		return nil // an object: checked with the body
	}
	inner := toolArgs(raw)
	if bytes.Equal(inner, raw) {
		return nil // not an object inside: classified as it is
	}
	if err := checkMembers(inner, field); err != nil {
		return fmt.Errorf("%w (in the JSON string that holds the arguments)", err)
	}
	return nil
}
