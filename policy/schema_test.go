package policy

import (
	"encoding/json"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/safeclaw/safeclaw/action"
)

// The schema describes exactly the keys the loader accepts.
func TestSchemaMatchesLoader(t *testing.T) {
	var s map[string]any
	if err := json.Unmarshal(Schema(), &s); err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	if s["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema = %v", s["$schema"])
	}
	defs := s["$defs"].(map[string]any)
	props := func(m any) []string {
		var out []string
		for k := range m.(map[string]any)["properties"].(map[string]any) {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	sorted := func(in []string) []string {
		out := append([]string(nil), in...)
		sort.Strings(out)
		return out
	}
	cond := defs["condition"].(map[string]any)
	for name, pair := range map[string][2][]string{
		"top":       {props(s), sorted(topKeys)},
		"rule":      {props(defs["rule"]), sorted(ruleKeys)},
		"condition": {props(cond), sorted(conditionKeys)},
		"schedule":  {props(cond["properties"].(map[string]any)["schedule"]), sorted(scheduleKeys)},
		"test":      {props(defs["test"]), sorted(caseKeys)},
	} {
		if !reflect.DeepEqual(pair[0], pair[1]) {
			t.Errorf("%s keys: schema %v, loader %v", name, pair[0], pair[1])
		}
	}
	enum := defs["kind"].(map[string]any)["anyOf"].([]any)[0].(map[string]any)["enum"].([]any)
	var kinds []string
	for _, k := range enum {
		kinds = append(kinds, k.(string))
	}
	if !reflect.DeepEqual(kinds, kindNames()) {
		t.Errorf("schema kinds %v, action.Kinds %v", kinds, action.Kinds)
	}
	effects := defs["effect"].(map[string]any)["enum"].([]any)
	if len(effects) != len(effectNames) {
		t.Errorf("schema effects %v", effects)
	}
}

// policy imports nothing of ours but action and internal/strictyaml, and
// none of net/http, os/exec, log (architecture.md: the import direction).
func TestImportDirection(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go binary")
	}
	out, err := exec.Command(goBin, "list", "-deps", "-f", "{{.ImportPath}}", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, dep := range strings.Fields(string(out)) {
		switch {
		case dep == "net/http", dep == "os/exec", dep == "log", dep == "log/slog":
			t.Errorf("policy depends on %s", dep)
		case strings.HasPrefix(dep, "github.com/safeclaw/safeclaw/"):
			switch strings.TrimPrefix(dep, "github.com/safeclaw/safeclaw/") {
			case "action", "internal/strictyaml", "policy":
			default:
				t.Errorf("policy depends on %s", dep)
			}
		case strings.Contains(strings.SplitN(dep, "/", 2)[0], ".") && !strings.HasPrefix(dep, "go.yaml.in/yaml/v3") &&
			// Host names: UTS #46 mapping and punycode (golang.org/x/net/idna).
			dep != "golang.org/x/net/idna" && !strings.HasPrefix(dep, "golang.org/x/text/"):
			t.Errorf("policy depends on third-party %s", dep)
		}
	}
}

// Exactly one file carries the package doc, and no code has init().
func TestPackageDoc(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	docs := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		if af.Doc != nil {
			docs++
		}
		src, _ := os.ReadFile(f)
		if strings.Contains(string(src), "\nfunc init()") {
			t.Errorf("%s has an init function", f)
		}
	}
	if docs != 1 {
		t.Errorf("%d files carry a package doc, want 1", docs)
	}
}
