package action

import (
	"sort"
	"strings"
	"unicode"
)

// KeysDifferingInCase finds an object, anywhere in v (decoded JSON), with
// two keys that differ only in case, and returns them. Rules match tool
// arguments by their exact keys, but a server that decodes JSON ignoring
// case (Go's encoding/json into a struct) reads whichever comes last: such
// arguments cannot be decided safely.
func KeysDifferingInCase(v any) (a, b string, found bool) {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		seen := make(map[string]string, len(keys))
		for _, k := range keys {
			f := foldKey(k)
			if prev, ok := seen[f]; ok {
				return prev, k, true
			}
			seen[f] = k
		}
		for _, k := range keys {
			if a, b, found := KeysDifferingInCase(x[k]); found {
				return a, b, true
			}
		}
	case []any:
		for _, it := range x {
			if a, b, found := KeysDifferingInCase(it); found {
				return a, b, true
			}
		}
	}
	return "", "", false
}

// foldKey maps k to one spelling for all the keys that fold alike under
// Unicode case folding, as encoding/json matches object keys to fields:
// "sql", "SQL" and "ſql" (long s) are one key.
func foldKey(k string) string {
	return strings.Map(func(r rune) rune {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if f < least {
				least = f
			}
		}
		return least
	}, k)
}
