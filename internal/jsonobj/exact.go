package jsonobj

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// ExactMembers reports a member of the JSON object data, bound for v (a
// pointer to a struct), whose name matches one of the struct's fields only
// when case is ignored, at any depth. encoding/json matches names ignoring
// case, so {"command": A, "Command": B} would be read as B by safeclaw and as
// A by a client that reads the exact name: a decision must not rest on such
// input. Members bound for maps, interfaces and raw JSON are not checked.
func ExactMembers(data []byte, v any) error {
	return exactMembers(data, reflect.TypeOf(v), 0)
}

// exactMembers reports a member of an object bound for a struct of type t
// whose name matches a field only when case is ignored, at any depth.
// Members bound for maps, interfaces and raw JSON are the caller's data and
// are not checked.
func exactMembers(data []byte, t reflect.Type, depth int) error {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || depth > 32 || t == reflect.TypeOf(json.RawMessage(nil)) {
		return nil
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		var items []json.RawMessage
		if json.Unmarshal(data, &items) != nil {
			return nil // not an array: the decoder says so
		}
		for _, it := range items {
			if err := exactMembers(it, t.Elem(), depth+1); err != nil {
				return err
			}
		}
	case reflect.Struct:
		var members map[string]json.RawMessage
		if json.Unmarshal(data, &members) != nil {
			return nil
		}
		fields := map[string]reflect.Type{}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			fields[name] = f.Type
		}
		for k, v := range members {
			if ft, ok := fields[k]; ok {
				if err := exactMembers(v, ft, depth+1); err != nil {
					return err
				}
				continue
			}
			for name := range fields {
				if strings.EqualFold(k, name) {
					return fmt.Errorf("unknown member %q (member names are case-sensitive: did you mean %q?)", k, name)
				}
			}
		}
	}
	return nil
}
