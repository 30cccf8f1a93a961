package jsonobj

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// oldExactMembers is ExactMembers as it was before it read the bytes in one
// pass (a map of raw members per object, struct fields found by reflection
// per call): the reference the new one must agree with.
func oldExactMembers(data []byte, v any) error {
	return oldExact(data, reflect.TypeOf(v), 0)
}

func oldExact(data []byte, t reflect.Type, depth int) error {
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
			return nil
		}
		for _, it := range items {
			if err := oldExact(it, t.Elem(), depth+1); err != nil {
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
				if err := oldExact(v, ft, depth+1); err != nil {
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

// Types like the ones ExactMembers guards (server's decide body, hook
// inputs), with what makes the walk interesting: nesting through pointers,
// slices and arrays, recursion, raw JSON, maps, interfaces, skipped and
// unexported fields, a name given by two fields.
type (
	exSpec struct {
		Kind      string          `json:"kind"`
		Command   *string         `json:"command"`
		Argv      []string        `json:"argv"`
		Port      *int            `json:"port"`
		Arguments json.RawMessage `json:"arguments"`
		Name      string
		Sub       *exSpec           `json:"sub"`
		List      []exSpec          `json:"list"`
		Pairs     [2]*exSpec        `json:"pairs"`
		Matrix    [][]exSpec        `json:"matrix"`
		Map       map[string]exSpec `json:"map"`
		Any       any               `json:"any"`
		Skipped   string            `json:"-"`
		Dash      string            `json:"-,"`
		hidden    string
		Twice     *exSpec
		TwiceToo  []string `json:"Twice"`
		Kelvin    string   `json:"k"`
	}
	exBody struct {
		Agent  json.RawMessage `json:"agent"`
		Tool   string          `json:"tool"`
		Input  json.RawMessage `json:"input"`
		Action *exSpec         `json:"action"`
		Specs  []*exSpec       `json:"specs"`
		Raw    *struct {
			Name string `json:"name"`
		} `json:"raw"`
	}
	exList []exList
)

var exTargets = []any{&exBody{}, &exSpec{}, &[]exSpec{}, &exList{}, &map[string]exSpec{}, new(string), nil, exBody{}}

// sameError reports whether got is an error the old walk gives for data:
// with several wrong names it reports whichever its map iteration meets
// first, so it is asked a few times.
func sameError(t *testing.T, data []byte, v any, got error) {
	t.Helper()
	want := oldExactMembers(data, v)
	if (got == nil) != (want == nil) {
		t.Fatalf("%T %q: new %v, old %v", v, data, got, want)
	}
	if got == nil || got.Error() == want.Error() {
		return
	}
	for range 200 {
		if want = oldExactMembers(data, v); got.Error() == want.Error() {
			return
		}
	}
	t.Fatalf("%T %q: new %v, old never says so (%v)", v, data, got, want)
}

func TestExactMembersAgrees(t *testing.T) {
	for _, s := range []string{
		`{"kind":"x"}`, `{"Kind":"x"}`, `{"KIND":1}`, `{"kind":"a","Kind":"b"}`,
		`{"action":{"kind":"x","sub":{"Command":"ls"}}}`,
		`{"action":{"list":[{"kind":"x"},{"Argv":[]}]}}`,
		`{"action":{"pairs":[null,{"Port":1}]}}`, `{"action":{"matrix":[[{"kind":1}],[{"NAME":"x"}]]}}`,
		`{"action":{"map":{"a":{"Kind":"x"}}}}`, `{"action":{"any":{"Kind":"x"}}}`,
		`{"action":{"skipped":1,"Skipped":2,"-":3,"hidden":4,"Hidden":5}}`,
		`{"action":{"name":"x"}}`, `{"action":{"Name":"x"}}`, `{"action":{"twice":1}}`, `{"action":{"Twice":{"Kind":1}}}`,
		`{"action":{"Twice":["x"]}}`, `{"action":{"K":1}}`, `{"action":{"\u212a":1}}`, `{"action":{"\u004bind":1}}`,
		`{"input":{"Kind":1},"agent":{"Tool":1}}`, `{"Tool":"x"}`, `{"tool":"x","Tool":"y"}`,
		`{"action":{"sub":{"Kind":1}},"action":{"kind":"ok"}}`, `{"action":{"kind":"ok"},"action":{"sub":{"Kind":1}}}`,
		`{"specs":[{"kind":"x"},null,{"Command":"y"}]}`, `{"raw":{"NAME":"x"}}`, `{"raw":{"name":"x"}}`,
		`[{"Kind":1}]`, `[[[[[[{"x":1}]]]]]]`, `"x"`, `null`, `1`, `{"kind":}`, `{"Kind":1} x`, ``, ` { "Kind" : 1 } `,
		`{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"l":12,"m":13,"n":14,"o":15,"p":16,"q":17,"sub":{"Kind":1},"sub":{}}`,
		`{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"l":12,"m":13,"n":14,"o":15,"p":16,"q":17,"sub":{},"sub":{"Kind":1}}`,
		"{\"kind\xff\":1,\"Kind\xff\":2}", `{"action":{"sub":{"sub":{"sub":{"sub":{"sub":{"sub":{"sub":{"sub":{"sub":{"sub":{"sub":{"sub":{"sub":{"sub":{"sub":{"sub":{"sub":{"sub":{"sub":{"sub":{"sub":{"sub":{"sub":{"sub":{"sub":{"sub":{"sub":{"sub":{"sub":{"sub":{"sub":{"sub":{"sub":{"sub":{"Kind":1}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}`,
	} {
		for _, v := range exTargets {
			sameError(t, []byte(s), v, ExactMembers([]byte(s), v))
		}
	}
}

// FuzzExactMembers: on any input the one-pass walk refuses exactly what
// the old one refused, with one of the messages the old one could give.
func FuzzExactMembers(f *testing.F) {
	for _, s := range []string{`{"action":{"sub":{"Kind":1},"list":[{"argv":["a"]}]}}`, `{"Tool":1}`, `[{"kind":1,"Kind":2}]`,
		`{"action":{"matrix":[[{"NAME":"x"}]],"Twice":{"K":1}}}`, `{"specs":[{"\u006bind":1}]}`} {
		f.Add([]byte(s), uint8(0))
	}
	f.Fuzz(func(t *testing.T, data []byte, which uint8) {
		v := exTargets[int(which)%len(exTargets)]
		sameError(t, data, v, ExactMembers(data, v))
	})
}
