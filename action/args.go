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
			f := FoldKey(k)
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

// FoldKey maps every rune of k to the smallest rune of its Unicode case
// folding orbit (and of its upper- and lower-case forms'), so keys that any
// case-insensitive comparison takes for equal fold alike: "sql", "SQL" and
// "ſql" (long s); "k" and the Kelvin sign. encoding/json matches object
// keys to struct fields so.
func FoldKey(k string) string {
	return strings.Map(func(r rune) rune {
		least := r
		for _, c := range []rune{r, unicode.ToUpper(r), unicode.ToLower(r)} {
			for f := unicode.SimpleFold(c); ; f = unicode.SimpleFold(f) {
				least = min(least, f)
				if f == c {
					break
				}
			}
		}
		return least
	}, k)
}
