package policy

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// invisibleAt returns the byte offset and value of the first character in
// s that a reader of the policy cannot see: white space other than the
// ASCII space, tab and line breaks (a no-break space, U+2028), and format
// characters (zero-width spaces and joiners, bidirectional controls, a
// byte order mark, a soft hyphen). Such a character, often brought in by
// copying a policy from a web page, makes a matcher that reads right match
// nothing. The offset is -1 when there is none.
func invisibleAt(s string) (int, rune) {
	// ASCII (most text) byte by byte, without decoding runes.
	start := 0
	for start < len(s) && s[start] < utf8.RuneSelf {
		start++
	}
	for i, r := range s[start:] {
		if r < utf8.RuneSelf {
			continue
		}
		if unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) {
			return start + i, r
		}
	}
	return -1, 0
}

// checkMatcherText refuses what a matcher value must not contain: invisible
// characters, and (when trim is set) white space at either end, which is
// matched literally and so makes the matcher match nothing (a path, host,
// URL, tool, server or agent never starts or ends with a space). what names
// the field ("path", "url").
func checkMatcherText(what, s string, trim bool) (hint string, err error) {
	if i, r := invisibleAt(s); i >= 0 {
		return invisibleHint(r), fmt.Errorf("%s %q contains the invisible character %U at byte %d", what, s, r, i)
	}
	if i, r := controlAt(s, false); i >= 0 {
		return controlHint, fmt.Errorf("%s %q contains the control character %U at byte %d", what, s, r, i)
	}
	if trim && s != strings.TrimSpace(s) {
		return fmt.Sprintf("remove the spaces: they would be matched literally, so this %s would match nothing", what),
			fmt.Errorf("%s %q starts or ends with white space", what, s)
	}
	return "", nil
}

func invisibleHint(r rune) string {
	if unicode.IsSpace(r) {
		return "it looks like a space but is not one, so this never matches as written: retype it as a plain space"
	}
	return "it cannot be seen but is matched like any other character, so this never matches as written: delete it"
}

// controlAt returns the byte offset and value of the first control
// character in s (C0 controls, DEL, C1 controls), other than tab and, unless
// breaks is set, the line breaks LF and CR; or -1. The file cannot hold one
// as it is (strictyaml refuses it), but a quoted YAML or JSON string can
// write one as an escape ("\x00", "\e", "\u001b"). A matcher holding one
// reads as something else and matches nothing a person would type (no
// argument can hold a NUL).
func controlAt(s string, breaks bool) (int, rune) {
	for i, r := range s {
		if r == '\t' || (!breaks && (r == '\n' || r == '\r')) {
			continue
		}
		if r < 0x20 || (r >= 0x7f && r <= 0x9f) {
			return i, r
		}
	}
	return -1, 0
}

// controlHint is the hint for a control character in a value.
const controlHint = "it was written as an escape such as \\x00 or \\e; a policy is plain text, so delete it"
