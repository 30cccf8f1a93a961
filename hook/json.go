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
	return nil
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
