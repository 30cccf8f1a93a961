package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/safeclaw/safeclaw/action"
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
	if err, ok := scanMembers(data, root); ok {
		return err
	}
	return checkMembersTokens(data, root)
}

// memberFrame is an object or array open at some depth of a scan.
type memberFrame struct {
	object bool
	names  int               // object: where its names start in the scan's names
	folded map[string]string // object with many names: by folded name
	member []byte            // object: the member whose value is next
	expect bool              // object: the next string is a member name
	index  int               // array: the element being read
}

// seen reports an earlier name of f (those in names[f.names:], or f.folded)
// equal to name under encoding/json's matching (Unicode simple folding, as
// strings.EqualFold), and records name: it returns names with name added.
func (f *memberFrame) seen(names [][]byte, name []byte) (prev []byte, dup bool, _ [][]byte) {
	if f.folded != nil {
		k := action.FoldKey(string(name))
		if p, dup := f.folded[k]; dup {
			return []byte(p), true, names
		}
		f.folded[k] = string(name)
		return nil, false, names
	}
	mine := names[f.names:]
	for _, s := range mine {
		if bytes.EqualFold(s, name) {
			return s, true, names
		}
	}
	if len(mine) == 32 {
		// Many names: a map from here on.
		f.folded = make(map[string]string, 64)
		for _, n := range mine {
			f.folded[action.FoldKey(string(n))] = string(n)
		}
		f.folded[action.FoldKey(string(name))] = string(name)
		return nil, false, names
	}
	return nil, false, append(names, name)
}

func membersError(prev, name, where string) error {
	if prev == name {
		return fmt.Errorf("member %q appears twice in %s: send each member once", name, where)
	}
	return fmt.Errorf("members %q and %q of %s differ only in case (member names are case-sensitive): send one of them", prev, name, where)
}

func memberPath(root string, stack []memberFrame) string {
	p := root
	for _, f := range stack {
		if f.object {
			p = joinPath(p, string(f.member))
		} else {
			p += "[" + strconv.Itoa(f.index) + "]"
		}
	}
	return p
}

// scanMembers is checkMembers in one pass over the bytes, for JSON that
// encoding/json already read: it allocates nothing for usual bodies
// (names are slices of data, held on the stack), where the decoder's tokens
// cost more than the rest of a request's parsing. ok is false when it meets
// something it does not expect (the token reader then says what).
func scanMembers(data []byte, root string) (err error, ok bool) {
	// The names of the open objects, innermost last: an object's names
	// follow its parent's, as its members are read between two of the
	// parent's, and are dropped when it closes.
	var stackBuf [16]memberFrame
	var namesBuf [64][]byte
	stack, names := stackBuf[:0], namesBuf[:0]
	for i := 0; i < len(data); i++ {
		top := len(stack) - 1
		switch c := data[i]; c {
		case ' ', '\t', '\n', '\r', ':':
		case '{', '[':
			stack = append(stack, memberFrame{object: c == '{', expect: c == '{', names: len(names)})
		case '}', ']':
			if top < 0 || stack[top].object != (c == '}') {
				return nil, false
			}
			names = names[:stack[top].names]
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
			name := data[start+1 : i]
			if esc {
				var s string
				if json.Unmarshal(data[start:i+1], &s) != nil {
					return nil, false
				}
				name = []byte(s)
			}
			f := &stack[top]
			prev, dup := []byte(nil), false
			if prev, dup, names = f.seen(names, name); dup {
				return membersError(string(prev), string(name), describePath(memberPath(root, stack[:top]))), true
			}
			f.member, f.expect = name, false
		default:
			// A number, true, false or null: up to the next delimiter.
			for i+1 < len(data) && !isDelim(data[i+1]) {
				i++
			}
		}
	}
	return nil, len(stack) == 0
}

// isDelim reports whether c ends a number or literal.
func isDelim(c byte) bool {
	switch c {
	case ',', ']', '}', ' ', '\t', '\n', '\r':
		return true
	}
	return false
}

// checkMembersTokens is checkMembers on the decoder's tokens, which also
// says what is wrong with JSON that does not parse.
func checkMembersTokens(data []byte, root string) error {
	// Paths are put together only for a message: the hot path allocates
	// one small slice of names per object and nothing else.
	type frame struct {
		object bool
		names  []string          // object: the names seen
		folded map[string]string // object with many names: by folded name
		member string            // object: the member whose value is next
		expect bool              // object: the next token is a member name
		index  int               // array: the next element's index
	}
	var stack []frame
	pathOf := func(n int) string {
		p := root
		for i := 0; i < n; i++ {
			if stack[i].object {
				p = joinPath(p, stack[i].member)
			} else {
				p += "[" + strconv.Itoa(stack[i].index) + "]"
			}
		}
		return p
	}
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
				prev, dup := "", false
				if f.folded != nil {
					prev, dup = f.folded[action.FoldKey(name)]
				} else {
					for _, seen := range f.names {
						// strings.EqualFold folds as encoding/json matches
						// names (Unicode simple folding).
						if strings.EqualFold(seen, name) {
							prev, dup = seen, true
							break
						}
					}
				}
				if dup {
					where := describePath(pathOf(top))
					if prev == name {
						return fmt.Errorf("member %q appears twice in %s: send each member once", name, where)
					}
					return fmt.Errorf("members %q and %q of %s differ only in case (member names are case-sensitive): send one of them", prev, name, where)
				}
				switch {
				case f.folded != nil:
					f.folded[action.FoldKey(name)] = name
				case len(f.names) == 32:
					// Many names: a map from here on.
					f.folded = make(map[string]string, 64)
					for _, n := range f.names {
						f.folded[action.FoldKey(n)] = n
					}
					f.folded[action.FoldKey(name)] = name
				default:
					f.names = append(f.names, name)
				}
				f.member, f.expect = name, false
				continue
			}
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			f := frame{object: tok == json.Delim('{')}
			if f.object {
				f.expect = true
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
