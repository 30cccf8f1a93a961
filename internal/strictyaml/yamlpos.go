package strictyaml

import (
	"bytes"
	"errors"
	"io"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// The YAML library's syntax errors name the line where the construct it was
// reading starts (the block mapping, the plain scalar), not where the
// problem is: a tab in the indentation of line 3 is reported at line 2, and
// a list item among the keys of a mapping at the line of the mapping's
// first key. It gives no column. locateYAMLError finds the real position
// by reading prefixes of the document: the problem is in the shortest
// prefix that already fails with the same message, and not only because it
// ends there.

// eofProbes are continuations of a prefix. A prefix that fails only because
// the text stops (an unclosed '[', a "key:" whose next character decides
// whether it is a key) decodes, or fails elsewhere, with one of them; a
// prefix that holds the problem fails the same way with each.
var eofProbes = []string{",", "]", "}", "\n", " x"}

// locateMax is the largest document whose error position is searched for.
const locateMax = 1 << 20

// yamlProblem decodes data as parseYAML does (at most two documents) and
// returns the YAML library's problem text, or "" when it decodes.
func yamlProblem(data []byte) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = "\x00panic"
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for i := 0; i < 2; i++ {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			if errors.Is(err, io.EOF) {
				return ""
			}
			if m := yamlErrRE().FindStringSubmatch(err.Error()); m != nil {
				return m[3]
			}
			return err.Error()
		}
	}
	return ""
}

// failsAt reports whether data[:off] (off moved forward to a character
// boundary) holds the problem msg names.
func failsAt(data []byte, off int, msg string) bool {
	for off < len(data) && !utf8.RuneStart(data[off]) {
		off++
	}
	prefix := data[:off:off]
	if yamlProblem(prefix) != msg {
		return false
	}
	for _, p := range eofProbes {
		// A scanner problem further on can surface first (the scanner
		// reads ahead to find where a key ends), so only a clean
		// decode, or the parser failing elsewhere, shows the prefix
		// failed because it ends.
		if r := yamlProblem(append(prefix, p...)); r == "" || (r != msg && yamlParserErrors[r]) {
			return false
		}
	}
	return true
}

// locateYAMLError returns the 1-based line and column of the problem msg
// names (the library's text, without "yaml: line N:"); reported is the
// line the library named. ok is false when data does not fail that way.
func locateYAMLError(data []byte, msg string, reported int) (line, col int, ok bool) {
	// The search decodes the document a few dozen times; policies are
	// small, and a huge file keeps the library's line.
	if len(data) > locateMax || yamlProblem(data) != msg {
		return 0, 0, false
	}
	// A last line without its line break reads as if it had one (a '-'
	// at the very end is a list item, not the start of a word).
	if n := len(data); n > 0 && data[n-1] != '\n' && data[n-1] != '\r' {
		if withBreak := append(data[:n:n], '\n'); yamlProblem(withBreak) == msg {
			data = withBreak
		}
	}
	// ends[i] is the offset just after line i+1's line break (LF, CRLF or
	// a lone CR, as YAML counts lines), or len(data) for the last line.
	var ends []int
	for i := 0; i < len(data); i++ {
		switch {
		case data[i] == '\n':
			ends = append(ends, i+1)
		case data[i] == '\r' && (i+1 == len(data) || data[i+1] != '\n'):
			ends = append(ends, i+1)
		}
	}
	if len(ends) == 0 || ends[len(ends)-1] != len(data) {
		ends = append(ends, len(data))
	}
	if !failsAt(data, len(data), msg) {
		// The document fails only because it ends (an unclosed
		// bracket or quote): point just after its last character.
		end := len(bytes.TrimRight(data, " \t\r\n"))
		line, col = yamlPosition(data, end)
		return line, col, true
	}
	// The first line whose end the problem comes before. The library's
	// line is usually a little before it: search forward from there in
	// growing steps. It is no lower bound when the construct starts on the
	// first line (the library then names the line it stopped at, for an
	// unclosed quote the end of the file): then search from the start.
	lo, hi := 0, len(ends)-1
	if from := min(max(reported, 1), len(ends)) - 1; from > 0 && !failsAt(data, ends[from-1], msg) {
		lo = from
		for step := 1; lo+step-1 < hi; step *= 2 {
			if failsAt(data, ends[lo+step-1], msg) {
				hi = lo + step - 1
				break
			}
			lo += step
		}
	}
	for lo < hi {
		mid := (lo + hi) / 2
		if failsAt(data, ends[mid], msg) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	start := 0
	if lo > 0 {
		start = ends[lo-1]
	}
	// The first character of that line whose reading shows the problem.
	a, b := start+1, ends[lo]
	for a < b {
		mid := (a + b) / 2
		if failsAt(data, mid, msg) {
			b = mid
		} else {
			a = mid + 1
		}
	}
	// The problem may show only on the character after its token (a
	// blank after "key:" or "-"): step back to the token, then to the
	// start of its word.
	p := max(a-1, start)
	for p > start && isYAMLBlank(data[p]) && data[a-1] != '\t' {
		p--
	}
	for p > start && !isYAMLBlank(data[p-1]) && !isFlowIndicator(data[p]) && !isFlowIndicator(data[p-1]) {
		p--
	}
	line, col = yamlPosition(data, p)
	return line, col, true
}

func isYAMLBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func isFlowIndicator(c byte) bool { return c == ',' || c == '[' || c == ']' || c == '{' || c == '}' }

// yamlPosition is position counting line breaks as YAML does: LF, CRLF or
// a lone CR.
func yamlPosition(data []byte, off int) (line, col int) {
	off = min(max(off, 0), len(data))
	line, start := 1, 0
	for i := 0; i < off; i++ {
		if data[i] == '\n' || (data[i] == '\r' && (i+1 == len(data) || data[i+1] != '\n')) {
			line++
			start = i + 1
		}
	}
	return line, 1 + utf8.RuneCount(data[start:off])
}

// lineText returns the given 1-based line of data (YAML line breaks), or "".
func lineText(data []byte, line int) string {
	n, start := 1, 0
	for i := 0; i <= len(data); i++ {
		if i == len(data) || data[i] == '\n' || data[i] == '\r' {
			if n == line {
				return string(data[start:i])
			}
			if i < len(data) && data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n' {
				i++
			}
			n++
			start = i + 1
		}
	}
	return ""
}
