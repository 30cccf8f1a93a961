package policy

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// Hints for the two ways the brief's snippets go wrong when pasted: their
// indentation lost (some renderings drop it), and several snippets pasted
// into one file.

// pasteItemRE is a list item that opens a mapping ("- action: x"); pasteKeyRE
// a mapping key ("effect: deny"). Both give the indentation and the key.
var (
	pasteItemRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^([ ]*)-[ ]+([A-Za-z_]+)[ ]*:(?:[ ]|$)`) })
	pasteKeyRE  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^([ ]*)([A-Za-z_]+)[ ]*:(?:[ ]|$)`) })
)

// pasteHint adds a hint to a load error from strictyaml.Parse when the
// file has one of those shapes. It keeps the error's position.
func pasteHint(data []byte, err error) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	for _, key := range []string{"rules", "tests"} {
		if e.Msg == fmt.Sprintf("duplicate key %q", key) {
			hint := fmt.Sprintf("merge the lists under one `%s:`, or give each file its own --policy", key)
			if e.Hint != "" {
				hint = e.Hint + "; " + hint
			}
			e.Hint = hint
			return e
		}
	}
	if strings.HasPrefix(e.Msg, "invalid YAML:") && e.Hint == "" {
		if what, line := flatItem(data, e.Line); what != "" {
			e.Hint = fmt.Sprintf("indent each %s's keys by two spaces under its `- `: line %d is not", what, line)
		}
	}
	return e
}

// flatItem reports whether, up to the given 1-based line, a list item
// "- key: ..." of rule (or test) keys is followed by a key of the same item
// written at the column of its '-' (or, for a key only rules have, left of
// it), which is how a snippet reads with its indentation lost. It returns
// "rule" or "test" and the line of that key, or "".
func flatItem(data []byte, upTo int) (string, int) {
	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	itemIndent, itemKey := -1, ""
	for i, l := range lines {
		if i >= upTo {
			break
		}
		t := strings.TrimSpace(l)
		if t == "" || t[0] == '#' {
			continue
		}
		if m := pasteItemRE().FindStringSubmatch(l); m != nil {
			itemIndent, itemKey = len(m[1]), m[2]
			continue
		}
		m := pasteKeyRE().FindStringSubmatch(l)
		if m == nil || itemIndent < 0 {
			itemIndent = -1
			continue
		}
		indent, key := len(m[1]), m[2]
		switch {
		case indent == itemIndent && contains(ruleKeys, itemKey) && contains(ruleKeys, key):
			return "rule", i + 1
		case indent < itemIndent && contains(ruleKeys, itemKey) && contains(ruleKeys, key) && !contains(topKeys, key):
			return "rule", i + 1
		case indent == itemIndent && contains(caseKeys, itemKey) && contains(caseKeys, key):
			return "test", i + 1
		}
		itemIndent = -1
	}
	return "", 0
}
