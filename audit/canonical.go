package audit

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// The canonical form is RFC 8785 (JSON Canonicalization Scheme) for the values
// a record holds: object members sorted by key (UTF-16 code units), no
// insignificant whitespace, strings escaped minimally (only ", \ and control
// characters, with the short forms \b \t \n \f \r and lower-case \u00xx
// otherwise), numbers in ECMAScript form. Record fields are written by hand in
// key order; tests check the result against the generic encoder below.

// timeLayout is fixed-width so stored times compare as strings.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

// maxSafeInt is the largest integer every JSON reader keeps exactly (2^53).
const maxSafeInt = 1 << 53

var errNotCanonical = errors.New("value has no canonical JSON form")

// object writes one JSON object, member by member: the callers give the
// members in key order, and the optional ones are left out when empty.
type object struct {
	b     []byte
	first bool
}

func openObject(b []byte) object { return object{b: append(b, '{'), first: true} }

func (o *object) key(k string) {
	if !o.first {
		o.b = append(o.b, ',')
	}
	o.first = false
	o.b = append(o.b, '"')
	o.b = append(o.b, k...)
	o.b = append(o.b, '"', ':')
}

func (o *object) str(k, v string) {
	if v != "" {
		o.key(k)
		o.b = appendString(o.b, v)
	}
}

func (o *object) num(k string, v int64) {
	if v != 0 {
		o.key(k)
		o.b = strconv.AppendInt(o.b, v, 10)
	}
}

func (o *object) flag(k string, v bool) {
	if v {
		o.key(k)
		o.b = append(o.b, "true"...)
	}
}

func (o *object) close() []byte { return append(o.b, '}') }

// appendRecord appends the canonical JSON of r. With sealed false the hash
// and mac members are left out: that is the input of the record hash.
func appendRecord(b []byte, r *Record, sealed bool) ([]byte, error) {
	return appendRecordMarked(b, r, sealed, nil)
}

// sealMarks are where the hash and mac members go in an unsealed encoding
// (offsets into it), and whether each would be the object's first member.
type sealMarks struct {
	hash, mac           int
	hashFirst, macFirst bool
}

// appendRecordMarked is appendRecord that, for an unsealed encoding,
// records in m where the hash and mac members go, so that the sealed line
// can be made from it with appendSealed instead of a second encoding.
func appendRecordMarked(b []byte, r *Record, sealed bool, m *sealMarks) ([]byte, error) {
	start := len(b)
	if r.Time.Year() < 0 || r.Time.Year() > 9999 {
		return b, fmt.Errorf("record time %v out of range", r.Time)
	}
	if r.Seq > maxSafeInt {
		return b, fmt.Errorf("sequence number %d too large", r.Seq)
	}
	o := openObject(b)
	var err error
	if len(r.Actions) > 0 {
		o.key("actions")
		o.b = append(o.b, '[')
		for i := range r.Actions {
			if i > 0 {
				o.b = append(o.b, ',')
			}
			if o.b, err = appendFacet(o.b, &r.Actions[i]); err != nil {
				return o.b, err
			}
		}
		o.b = append(o.b, ']')
	}
	o.str("agent", r.Agent)
	if r.Approval != nil {
		o.key("approval")
		o.b = appendApproval(o.b, r.Approval)
	}
	o.str("cwd", r.Cwd)
	o.str("decision", r.Decision)
	o.str("error", r.Error)
	if sealed {
		o.key("hash")
		o.b = appendString(o.b, r.Hash)
	} else if m != nil {
		m.hash, m.hashFirst = len(o.b)-start, o.first
	}
	o.num("latency_us", r.LatencyUS)
	if sealed {
		o.key("mac")
		o.b = appendString(o.b, r.MAC)
	} else if m != nil {
		m.mac, m.macFirst = len(o.b)-start, o.first
	}
	o.str("mode", r.Mode)
	if len(r.Notes) > 0 {
		o.key("notes")
		o.b = append(o.b, '[')
		for i, n := range r.Notes {
			if i > 0 {
				o.b = append(o.b, ',')
			}
			o.b = appendString(o.b, n)
		}
		o.b = append(o.b, ']')
	}
	o.str("policy_hash", r.PolicyHash)
	o.key("prev")
	o.b = appendString(o.b, r.Prev)
	if r.Prune != nil {
		o.key("prune")
		o.b = appendPrune(o.b, r.Prune)
	}
	o.str("reason", r.Reason)
	o.flag("redacted", r.Redacted)
	o.str("request", r.Request)
	o.num("request_bytes", int64(r.RequestBytes))
	o.str("request_hmac", r.RequestHMAC)
	if r.Rule != nil {
		o.key("rule")
		o.b = appendRule(o.b, r.Rule)
	}
	o.key("seq")
	o.b = strconv.AppendUint(o.b, r.Seq, 10)
	o.str("session", r.Session)
	o.str("surface", r.Surface)
	o.key("time")
	o.b = append(o.b, '"')
	o.b = r.Time.UTC().AppendFormat(o.b, timeLayout)
	o.b = append(o.b, '"')
	o.key("type")
	o.b = appendString(o.b, r.Type)
	return o.close(), nil
}

// appendSealed appends the sealed line of the record whose unsealed
// encoding is unsealed (marked by m): the same bytes as appendRecord with
// sealed set, given the record's hash and mac. The members after hash and
// mac always include prev, so neither is ever the last.
func appendSealed(b, unsealed []byte, m *sealMarks, hash, mac string) []byte {
	b = append(b, unsealed[:m.hash]...)
	b = appendMember(b, "hash", hash, m.hashFirst)
	b = append(b, unsealed[m.hash:m.mac]...)
	b = appendMember(b, "mac", mac, m.macFirst)
	return append(b, unsealed[m.mac:]...)
}

// appendMember appends a string member inserted into an object before
// the member that follows it: with a comma after it when it goes first
// (the next member, then first, has none), else before it.
func appendMember(b []byte, key, v string, first bool) []byte {
	if !first {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	b = appendString(b, v)
	if first {
		b = append(b, ',')
	}
	return b
}

func appendFacet(b []byte, f *Facet) ([]byte, error) {
	o := openObject(b)
	o.key("action")
	o.b = appendString(o.b, f.Kind)
	if f.Args != nil {
		o.key("args")
		var err error
		if o.b, err = appendAny(o.b, f.Args); err != nil {
			return o.b, err
		}
	}
	o.flag("background", f.Background)
	o.str("command", f.Command)
	o.str("detail", f.Detail)
	o.str("host", f.Host)
	o.num("part", int64(f.Part))
	o.str("path", f.Path)
	o.num("port", int64(f.Port))
	o.str("program", f.Program)
	o.flag("remote", f.Remote)
	o.str("server", f.Server)
	o.str("tool", f.Tool)
	o.str("url", f.URL)
	return o.close(), nil
}

func appendRule(b []byte, r *Rule) []byte {
	o := openObject(b)
	o.flag("builtin", r.Builtin)
	o.str("layer", r.Layer)
	o.str("name", r.Name)
	o.str("reason", r.Reason)
	o.str("source", r.Source)
	return o.close()
}

func appendApproval(b []byte, a *Approval) []byte {
	o := openObject(b)
	o.str("approver", a.Approver)
	o.str("channel", a.Channel)
	o.str("id", a.ID)
	o.str("note", a.Note)
	o.str("outcome", a.Outcome)
	o.str("scope", a.Scope)
	o.num("wait_us", a.WaitUS)
	return o.close()
}

func appendPrune(b []byte, p *Prune) []byte {
	b = append(b, `{"segments":[`...)
	for i, s := range p.Segments {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"first_seq":`...)
		b = strconv.AppendUint(b, s.FirstSeq, 10)
		b = append(b, `,"last_hash":`...)
		b = appendString(b, s.LastHash)
		b = append(b, `,"last_seq":`...)
		b = strconv.AppendUint(b, s.LastSeq, 10)
		b = append(b, `,"name":`...)
		b = appendString(b, s.Name)
		b = append(b, `,"records":`...)
		b = strconv.AppendUint(b, s.Records, 10)
		b = append(b, '}')
	}
	return append(b, "]}"...)
}

// plainByte holds the bytes a canonical string holds as they are: ASCII
// other than control characters, quote and backslash.
var plainByte = func() (t [256]bool) {
	for c := range t {
		t[c] = c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf
	}
	return t
}()

// appendString appends s as an RFC 8785 JSON string. Invalid UTF-8 becomes
// U+FFFD (records are normalised before they are hashed, so this only
// matters for callers encoding unnormalised values).
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if plainByte[c] {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, s[start:i]...)
				b = append(b, "\uFFFD"...)
				i++
				start = i
				continue
			}
			i += size
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"':
			b = append(b, '\\', '"')
		case '\\':
			b = append(b, '\\', '\\')
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			const hex = "0123456789abcdef"
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendNumber appends f in ECMAScript Number-to-String form, as RFC 8785 requires.
func appendNumber(b []byte, f float64) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return b, errNotCanonical
	}
	if f == 0 {
		return append(b, '0'), nil // also -0
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs < 1e-6 || abs >= 1e21 {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// strconv writes e-07; ECMAScript writes e-7.
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}

// appendAny appends the canonical JSON of a decoded JSON value
// (nil, bool, float64, string, []any, map[string]any; json.Number and Go
// integers are accepted as numbers).
func appendAny(b []byte, v any) ([]byte, error) {
	var err error
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case bool:
		if v {
			return append(b, "true"...), nil
		}
		return append(b, "false"...), nil
	case string:
		return appendString(b, v), nil
	case float64:
		return appendNumber(b, v)
	case json.Number:
		f, perr := strconv.ParseFloat(string(v), 64)
		if perr != nil {
			return b, errNotCanonical
		}
		return appendNumber(b, f)
	case int:
		return appendNumber(b, float64(v))
	case int64:
		return appendNumber(b, float64(v))
	case []any:
		b = append(b, '[')
		for i, x := range v {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendAny(b, x); err != nil {
				return b, err
			}
		}
		return append(b, ']'), nil
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, compareUTF16)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			if b, err = appendAny(b, v[k]); err != nil {
				return b, err
			}
		}
		return append(b, '}'), nil
	}
	return b, fmt.Errorf("%w: %T", errNotCanonical, v)
}

// compareUTF16 orders strings by their UTF-16 code units (RFC 8785 §3.2.3).
// UTF-8 byte order equals code point order, which differs from UTF-16 order
// only between surrogate pairs and U+E000..U+FFFF.
func compareUTF16(a, b string) int {
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if ra != rb {
			ua, ub := utf16Unit(ra), utf16Unit(rb)
			if ua != ub {
				if ua < ub {
					return -1
				}
				return 1
			}
			if ra < rb {
				return -1
			}
			return 1
		}
		a, b = a[na:], b[nb:]
	}
	return len(a) - len(b)
}

// utf16Unit is the first UTF-16 code unit of r.
func utf16Unit(r rune) rune {
	if r >= 0x10000 {
		hi, _ := utf16.EncodeRune(r)
		return hi
	}
	return r
}

// normalizeAny turns v into the decoded-JSON form appendAny expects, with
// strings made valid UTF-8, so that a stored record decodes to the value that
// was hashed.
func normalizeAny(v any) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case bool:
		return x, nil
	case string:
		return strings.ToValidUTF8(x, "\uFFFD"), nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, errNotCanonical
		}
		return x, nil
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil || math.IsInf(f, 0) {
			return nil, errNotCanonical
		}
		return f, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			n, err := normalizeAny(e)
			if err != nil {
				return nil, err
			}
			out[i] = n
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			n, err := normalizeAny(e)
			if err != nil {
				return nil, err
			}
			out[strings.ToValidUTF8(k, "\uFFFD")] = n
		}
		return out, nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(rv.Int()), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return float64(rv.Uint()), nil
	case reflect.Float32:
		return normalizeAny(rv.Float())
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface:
		if rv.IsNil() {
			return nil, nil
		}
	}
	// Anything else goes through encoding/json, as a caller would expect.
	data, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode action args: %w", err)
	}
	var d any
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("encode action args: %w", err)
	}
	return normalizeAny(d)
}

// Canonical returns the RFC 8785 canonical JSON of a decoded JSON value, as
// used for the args of a facet. It is exported for third-party verifiers'
// tests and for other stores.
func Canonical(v any) ([]byte, error) {
	n, err := normalizeAny(v)
	if err != nil {
		return nil, err
	}
	return appendAny(nil, n)
}

// formatTime renders t the way records store it.
func formatTime(t time.Time) string {
	return t.UTC().Format(timeLayout)
}
