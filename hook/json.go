package hook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/safeclaw/safeclaw/internal/jsonobj"
)

// decodeObject reads data as exactly one JSON object into v. Unknown fields
// are accepted (agents add fields between versions), but not a known one
// spelled in another case; anything else that is not one object (an array,
// two objects, trailing garbage, invalid UTF-8) is an error.
func decodeObject(data []byte, v any) error {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return errors.New("not a JSON object")
	}
	if !utf8.Valid(trimmed) {
		return errors.New("not valid UTF-8")
	}
	// A field spelled in another case would be read in place of the
	// agent's own ("Tool_Name" for "tool_name"): refused, not guessed.
	if err := jsonobj.ExactMembers(trimmed, v); err != nil {
		return err
	}
	d := json.NewDecoder(bytes.NewReader(trimmed))
	if err := d.Decode(v); err != nil {
		return describeJSONError(trimmed, err)
	}
	if _, err := d.Token(); err != io.EOF {
		return errors.New("data after the JSON object")
	}
	// A key twice in one object is read as its last value here, and as its
	// first by other parsers (the tool's, an MCP server's): what safeclaw
	// decides on might not be what runs. Agents serialise objects, so they
	// never send one.
	return noDuplicateKeys(trimmed)
}

// noDuplicateKeys reports the first object, at any depth, that holds the
// same key twice. data must be valid JSON.
func noDuplicateKeys(data []byte) error {
	k, err := DuplicateKey(data)
	if err != nil {
		return describeJSONError(data, err)
	}
	if k != "" {
		return fmt.Errorf("key %q appears twice in one object", k)
	}
	return nil
}

// DuplicateKey names the first key that appears twice in one object of the
// JSON data, at any depth ("" when none does), or returns the decoder's
// error for data that is not JSON. Readers disagree on such a key (the
// last value wins in most), so what is checked might not be what is read.
func DuplicateKey(data []byte) (string, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	type frame struct {
		keys   map[string]bool
		object bool
		expect bool // object: the next token is a key
	}
	var stack []frame
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return "", nil
		}
		if err != nil {
			return "", err
		}
		top := len(stack) - 1
		if top >= 0 && stack[top].object && stack[top].expect {
			// json.Decoder.Token returns the key as a string and keeps the
			// ':' to itself; the value follows.
			if k, ok := tok.(string); ok {
				if stack[top].keys[k] {
					return k, nil
				}
				stack[top].keys[k] = true
				stack[top].expect = false
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, frame{keys: map[string]bool{}, object: true, expect: true})
			continue
		case json.Delim('['):
			stack = append(stack, frame{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:top]
		}
		// A value (scalar or a closed container) was read: its parent
		// object waits for a key again.
		if n := len(stack) - 1; n >= 0 && stack[n].object {
			stack[n].expect = true
		}
	}
}

// describeJSONError adds a byte offset to JSON syntax errors.
func describeJSONError(data []byte, err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Errorf("byte %d: %v", syn.Offset, err)
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return fmt.Errorf("field %q: want %s, got JSON %s", typ.Field, typ.Type, typ.Value)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("truncated JSON (%d bytes)", len(data))
	}
	return err
}

// isObject reports whether raw is a JSON object.
func isObject(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && raw[0] == '{'
}

// encodeLine renders v as one line of JSON, HTML characters unescaped (the
// reason text is read by people and models, not browsers).
func encodeLine(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only fixed structs of strings are encoded here, so this cannot
		// happen; Run's recover turns it into the blocking answer.
		panic(fmt.Sprintf("bug: encode hook answer: %v", err))
	}
	return buf.Bytes()
}
