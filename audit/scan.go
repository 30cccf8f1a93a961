package audit

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
)

// scanner reads the top-level members of a stored line without decoding it,
// which is what makes verify and query fast. It checks only the structure it
// needs; the record hash, computed over the exact bytes, catches any other
// change.
type scanner struct {
	members []span
	hashIdx int
	macIdx  int

	seq     uint64
	hasSeq  bool
	prev    []byte // hex contents of the string members
	hash    []byte
	mac     []byte
	typ     []byte
	hasPrev bool

	buf []byte
}

type span struct{ start, end int }

var errLine = errors.New("not a record")

// scan parses line (without its newline).
func (s *scanner) scan(line []byte) error {
	s.members = s.members[:0]
	s.hashIdx, s.macIdx = -1, -1
	s.seq, s.hasSeq, s.hasPrev = 0, false, false
	s.prev, s.hash, s.mac, s.typ = nil, nil, nil, nil
	if len(line) < 2 || line[0] != '{' || line[len(line)-1] != '}' {
		return errLine
	}
	i := 1
	if line[i] == '}' {
		if len(line) != 2 {
			return errLine
		}
		return nil
	}
	var prevKey []byte
	for {
		start := i
		if i >= len(line) || line[i] != '"' {
			return fmt.Errorf("%w: member %d has no key", errLine, len(s.members)+1)
		}
		end, err := skipString(line, i)
		if err != nil {
			return err
		}
		key := line[i+1 : end-1]
		// Canonical members are in key order, each once: so the hash and
		// mac members (which the record hash leaves out) cannot be moved
		// or repeated, and a stored line has exactly one accepted form.
		if prevKey != nil && bytes.Compare(prevKey, key) >= 0 {
			return fmt.Errorf("%w: member %q out of key order or repeated", errLine, key)
		}
		prevKey = key
		i = end
		if i >= len(line) || line[i] != ':' {
			return fmt.Errorf("%w: no colon after key %q", errLine, key)
		}
		i++
		vstart := i
		if i, err = skipValue(line, i, 0); err != nil {
			return err
		}
		value := line[vstart:i]
		idx := len(s.members)
		s.members = append(s.members, span{start, i})
		if err := s.member(key, value, idx); err != nil {
			return err
		}
		if i >= len(line) {
			return errLine
		}
		if line[i] == '}' {
			if i != len(line)-1 {
				return fmt.Errorf("%w: data after the record", errLine)
			}
			return nil
		}
		if line[i] != ',' {
			return fmt.Errorf("%w: unexpected %q after member %q", errLine, line[i], key)
		}
		i++
	}
}

func (s *scanner) member(key, value []byte, idx int) error {
	str := func(dst *[]byte) error {
		if *dst != nil {
			return fmt.Errorf("%w: duplicate %q", errLine, key)
		}
		if len(value) < 2 || value[0] != '"' {
			return fmt.Errorf("%w: %q is not a string", errLine, key)
		}
		*dst = value[1 : len(value)-1]
		return nil
	}
	switch string(key) {
	case "seq":
		if s.hasSeq {
			return fmt.Errorf("%w: duplicate seq", errLine)
		}
		if len(value) == 0 || len(value) > 16 || (value[0] == '0' && len(value) > 1) {
			return fmt.Errorf("%w: bad seq", errLine)
		}
		var n uint64
		for _, c := range value {
			if c < '0' || c > '9' {
				return fmt.Errorf("%w: bad seq", errLine)
			}
			n = n*10 + uint64(c-'0')
		}
		s.seq, s.hasSeq = n, true
	case "prev":
		s.hasPrev = true
		return str(&s.prev)
	case "hash":
		s.hashIdx = idx
		return str(&s.hash)
	case "mac":
		s.macIdx = idx
		return str(&s.mac)
	case "type":
		return str(&s.typ)
	}
	return nil
}

// skipString returns the index after the string starting at line[i] == '"'.
func skipString(line []byte, i int) (int, error) {
	j := i + 1
	for {
		k := bytes.IndexByte(line[j:], '"')
		if k < 0 {
			return 0, fmt.Errorf("%w: unterminated string", errLine)
		}
		j += k
		// The quote is escaped when an odd number of backslashes precede it.
		n := 0
		for b := j - 1; b > i && line[b] == '\\'; b-- {
			n++
		}
		if n%2 == 0 {
			return j + 1, nil
		}
		j++
	}
}

// skipValue returns the index after the JSON value starting at line[i].
func skipValue(line []byte, i, depth int) (int, error) {
	if depth > 64 {
		return 0, fmt.Errorf("%w: nested too deep", errLine)
	}
	if i >= len(line) {
		return 0, fmt.Errorf("%w: missing value", errLine)
	}
	switch c := line[i]; c {
	case '"':
		return skipString(line, i)
	case '{', '[':
		closer := byte('}')
		if c == '[' {
			closer = ']'
		}
		i++
		if i < len(line) && line[i] == closer {
			return i + 1, nil
		}
		for {
			var err error
			if c == '{' {
				if i >= len(line) || line[i] != '"' {
					return 0, fmt.Errorf("%w: object member without key", errLine)
				}
				if i, err = skipString(line, i); err != nil {
					return 0, err
				}
				if i >= len(line) || line[i] != ':' {
					return 0, fmt.Errorf("%w: no colon in object", errLine)
				}
				i++
			}
			if i, err = skipValue(line, i, depth+1); err != nil {
				return 0, err
			}
			if i >= len(line) {
				return 0, fmt.Errorf("%w: unterminated %c", errLine, c)
			}
			if line[i] == closer {
				return i + 1, nil
			}
			if line[i] != ',' {
				return 0, fmt.Errorf("%w: unexpected %q", errLine, line[i])
			}
			i++
		}
	default:
		j := i
		for j < len(line) && line[j] != ',' && line[j] != '}' && line[j] != ']' {
			j++
		}
		if j == i {
			return 0, fmt.Errorf("%w: missing value", errLine)
		}
		return j, nil
	}
}

// hashLine computes the record hash of the scanned line: SHA-256 of the
// previous hash (32 raw bytes) followed by the line with its hash and mac
// members removed, which for a canonical line is the canonical form of the
// record without them.
func (s *scanner) hashLine(line []byte, prev *[32]byte) [32]byte {
	s.buf = append(s.buf[:0], prev[:]...)
	s.buf = append(s.buf, '{')
	n := 0
	for i, m := range s.members {
		if i == s.hashIdx || i == s.macIdx {
			continue
		}
		if n > 0 {
			s.buf = append(s.buf, ',')
		}
		s.buf = append(s.buf, line[m.start:m.end]...)
		n++
	}
	s.buf = append(s.buf, '}')
	return sha256.Sum256(s.buf)
}

// decodeHex32 decodes a 64-digit lower-case hex string (upper case is not
// canonical and is rejected).
func decodeHex32(dst *[32]byte, src []byte) bool {
	if len(src) != 64 {
		return false
	}
	for i := range dst {
		hi, ok1 := unhex(src[2*i])
		lo, ok2 := unhex(src[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// recordHash computes the hash of an encoded (unsealed) record.
func recordHash(prev *[32]byte, unsealed []byte, buf []byte) ([32]byte, []byte) {
	buf = append(buf[:0], prev[:]...)
	buf = append(buf, unsealed...)
	return sha256.Sum256(buf), buf
}
