package server

import (
	"encoding"
	"encoding/json"
	"reflect"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/safeclaw/safeclaw/action"
)

// appendDecideAnswer appends a as encodeJSON writes it (encoding/json's
// Encoder without HTML escaping, newline included), without reflection:
// every decision is answered this way. ok is false when a holds what it
// does not write itself (an ask's details, tool arguments), or when the
// answer's types have fields it does not know (answerFieldsKnown); the
// caller then writes a with encodeJSON.
func appendDecideAnswer(dst []byte, a *decideAnswer) ([]byte, bool) {
	r := &a.Result
	if !answerFieldsKnown() || r.Ask != nil {
		return dst, false
	}
	for i := range r.Actions {
		if r.Actions[i].Args != nil {
			return dst, false
		}
	}
	dst = append(dst, `{"result":{"decision":`...)
	dst = appendJSONString(dst, r.Decision)
	dst = append(dst, `,"reason":`...)
	dst = appendJSONString(dst, r.Reason)
	dst = append(dst, `,"rule":`...)
	if r.Rule == nil {
		dst = append(dst, "null"...)
	} else {
		dst = appendJSONString(dst, *r.Rule)
	}
	if r.RuleSource != "" {
		dst = append(dst, `,"rule_source":`...)
		dst = appendJSONString(dst, r.RuleSource)
	}
	if r.Policy != nil {
		dst = append(dst, `,"policy":{"sha256":`...)
		dst = appendJSONString(dst, r.Policy.SHA256)
		dst = append(dst, '}')
	}
	dst = append(dst, `,"ask":null,"input":`...)
	dst = appendJSONString(dst, r.Input)
	dst = append(dst, `,"actions":`...)
	if r.Actions == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '[')
		for i := range r.Actions {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendAction(dst, &r.Actions[i])
		}
		dst = append(dst, ']')
	}
	if len(r.Notes) > 0 {
		dst = append(dst, `,"notes":[`...)
		for i, n := range r.Notes {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, n)
		}
		dst = append(dst, ']')
	}
	dst = append(dst, '}')
	if a.Message != "" {
		dst = append(dst, `,"message":`...)
		dst = appendJSONString(dst, a.Message)
	}
	if a.ToolCallID != "" {
		dst = append(dst, `,"tool_call_id":`...)
		dst = appendJSONString(dst, a.ToolCallID)
	}
	return append(dst, "}\n"...), true
}

// appendAction appends an action without arguments (Args nil).
func appendAction(dst []byte, f *action.Action) []byte {
	dst = append(dst, `{"action":`...)
	dst = appendJSONString(dst, string(f.Kind))
	dst = appendMember(dst, `,"command":`, f.Command)
	dst = appendMember(dst, `,"program":`, f.Program)
	if f.Port != 0 {
		dst = append(dst, `,"port":`...)
		dst = strconv.AppendInt(dst, int64(f.Port), 10)
	}
	dst = appendMember(dst, `,"host":`, f.Host)
	dst = appendMember(dst, `,"path":`, f.Path)
	dst = appendMember(dst, `,"url":`, f.URL)
	dst = appendMember(dst, `,"tool":`, f.Tool)
	dst = appendMember(dst, `,"server":`, f.Server)
	if f.Remote {
		dst = append(dst, `,"remote":true`...)
	}
	if f.Background {
		dst = append(dst, `,"background":true`...)
	}
	dst = appendMember(dst, `,"detail":`, f.Detail)
	if f.Recursive {
		dst = append(dst, `,"recursive":true`...)
	}
	return append(dst, '}')
}

// appendMember appends an omitempty string member.
func appendMember(dst []byte, key, s string) []byte {
	if s == "" {
		return dst
	}
	return appendJSONString(append(dst, key...), s)
}

// appendJSONString appends s quoted as encoding/json quotes it without
// HTML escaping: ", \ and control characters escaped, invalid UTF-8 as
// U+FFFD, U+2028 and U+2029 escaped.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if i+8 <= len(s) && plain8(s[i:i+8]) {
			i += 8
			continue
		}
		if b := s[i]; b < utf8.RuneSelf {
			if b >= ' ' && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case c == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case c == '\u2028' || c == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[c&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// plain8 reports whether the 8 bytes of s are ASCII that a JSON string
// holds as they are (no control character, '"' or '\\'), testing them
// at once.
func plain8(s string) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	v := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
	quote, backslash := v^(ones*'"'), v^(ones*'\\')
	// (x - ones) &^ x has a byte's high bit set for the first byte of x
	// that is zero (and maybe for bytes above it), and never when none
	// is; v - ones*' ' likewise for a byte below ' ' (v has no high bit).
	bad := v&highs | (v-ones*' ')&^v | (quote-ones)&^quote | (backslash-ones)&^backslash
	return bad&highs == 0
}

// answerFieldsKnown says that the answer's types have exactly the fields
// (names, JSON tags and types) appendDecideAnswer writes: a field added to
// one of them (action.Action is another package's) turns the fast path
// off rather than leaving the field out of answers. Worked out on first use:
// not every process that links the server answers decisions.
var answerFieldsKnown = sync.OnceValue(answerFields)

func answerFields() bool {
	return fieldsAre(reflect.TypeFor[decideAnswer](),
		"Result result server.decideResult", "Message message,omitempty string", "ToolCallID tool_call_id,omitempty string") &&
		fieldsAre(reflect.TypeFor[decideResult](),
			"Decision decision string", "Reason reason string", "Rule rule *string", "RuleSource rule_source,omitempty string",
			"Policy policy,omitempty *server.policyRef", "Ask ask *server.askInfo", "Input input string",
			"Actions actions []action.Action", "Notes notes,omitempty []string") &&
		fieldsAre(reflect.TypeFor[policyRef](), "SHA256 sha256 string") &&
		fieldsAre(reflect.TypeFor[action.Action](),
			"Kind action action.Kind", "Command command,omitempty string", "Program program,omitempty string",
			"Port port,omitempty int", "Host host,omitempty string", "Path path,omitempty string", "URL url,omitempty string",
			"Tool tool,omitempty string", "Server server,omitempty string", "Args args,omitempty interface {}",
			"Remote remote,omitempty bool", "Background background,omitempty bool", "Detail detail,omitempty string",
			"Recursive recursive,omitempty bool") &&
		reflect.TypeFor[action.Kind]().Kind() == reflect.String &&
		!marshals(reflect.TypeFor[action.Kind]()) && !marshals(reflect.TypeFor[action.Action]())
}

// fieldsAre reports whether t's fields are exactly want ("Name tag type"),
// in order.
func fieldsAre(t reflect.Type, want ...string) bool {
	if t.NumField() != len(want) {
		return false
	}
	for i, w := range want {
		f := t.Field(i)
		if f.Name+" "+f.Tag.Get("json")+" "+f.Type.String() != w {
			return false
		}
	}
	return true
}

// marshals reports whether t (or *t) encodes itself in JSON.
func marshals(t reflect.Type) bool {
	for _, m := range []reflect.Type{reflect.TypeFor[json.Marshaler](), reflect.TypeFor[encoding.TextMarshaler]()} {
		if t.Implements(m) || reflect.PointerTo(t).Implements(m) {
			return true
		}
	}
	return false
}
