package server

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"

	"github.com/safeclaw/safeclaw/internal/jsonobj"
)

// parseFlatBody decodes the usual decide body, a flat object such as
// {"agent": "...", "session": "...", "cwd": "...", "tool": "Bash",
// "input": {...}}, without encoding/json's reflection: it is what every
// request of an SDK-based agent looks like. ok is false for anything else
// (another member, a value of another type, null, a name twice), which
// [strictJSON] then reads; when ok, b is what strictJSON would have
// decoded, and strictJSON would have found nothing wrong.
func parseFlatBody(data []byte) (b *decideBody, ok bool) {
	if !json.Valid(data) {
		return nil, false
	}
	i := jsonobj.SkipSpace(data, 0)
	if data[i] != '{' {
		return nil, false
	}
	b = &decideBody{}
	var seen uint8 // flatMember bits
	i = jsonobj.SkipSpace(data, i+1)
	if data[i] == '}' {
		return b, true
	}
	for {
		if data[i] != '"' {
			return nil, false
		}
		end := jsonobj.SkipString(data, i)
		name := data[i+1 : end-1]                                   // a name with an escape matches none below
		i = jsonobj.SkipSpace(data, jsonobj.SkipSpace(data, end)+1) // past ':'
		start := i
		i = jsonobj.SkipValue(data, i)
		val := data[start:i]
		var bit uint8
		var dst *string
		switch string(name) {
		case "agent":
			bit = 1 << 0
			b.Agent = rawValue(val)
		case "input":
			bit = 1 << 1
			b.Input = rawValue(val)
		case "session":
			bit, dst = 1<<2, &b.Session
		case "cwd":
			bit, dst = 1<<3, &b.Cwd
		case "tool":
			bit, dst = 1<<4, &b.Tool
		case "tool_call_id":
			bit, dst = 1<<5, &b.ToolCallID
		case "command":
			bit, b.Command = 1<<6, new(string)
			dst = b.Command
		default:
			return nil, false
		}
		if seen&bit != 0 || val[0] == 'n' { // a name twice, or null
			return nil, false
		}
		seen |= bit
		if dst != nil {
			s, ok := stringValue(val)
			if !ok {
				return nil, false
			}
			*dst = s
		}
		i = jsonobj.SkipSpace(data, i)
		if data[i] == '}' {
			return b, true
		}
		i = jsonobj.SkipSpace(data, i+1) // past ','
	}
}

// rawValue is a json.RawMessage member: the value's bytes, as
// encoding/json decodes it, but without a copy (the body is read into a
// fresh buffer per request, and nothing writes to it). Its capacity ends
// with it, so that an append copies rather than write over the body.
func rawValue(val []byte) json.RawMessage {
	return json.RawMessage(val[:len(val):len(val)])
}

// stringValue is a JSON value (valid JSON) as encoding/json decodes it into
// a string; ok is false when val is not a string.
func stringValue(val []byte) (string, bool) {
	if val[0] != '"' {
		return "", false
	}
	in := val[1 : len(val)-1]
	if bytes.IndexByte(in, '\\') < 0 && utf8.Valid(in) {
		// Valid JSON holds no control character in a string: without
		// escapes or invalid UTF-8 (which is replaced), the bytes are the
		// string.
		return string(in), true
	}
	var s string
	if json.Unmarshal(val, &s) != nil {
		return "", false
	}
	return s, true
}
