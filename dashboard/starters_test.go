package dashboard

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/safeclaw/safeclaw/policy"
)

// TestPortGuardMatchesBrief keeps the embedded port guard equal to the
// brief's example files joined with Step 6 first.
func TestPortGuardMatchesBrief(t *testing.T) {
	got, err := starterFS.ReadFile("starters/portguard.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, step := range []string{"step6", "step2", "step3", "step4", "step5"} {
		data, err := os.ReadFile(filepath.Join("..", "examples", "brief", step+".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		_, rules, ok := strings.Cut(string(data), "rules:\n")
		if !ok {
			t.Fatalf("%s has no rules:", step)
		}
		want = append(want, "# --- examples/brief/"+step+".yaml\n"+rules)
	}
	_, body, _ := strings.Cut(string(got), "rules:\n")
	if body != strings.Join(want, "") {
		t.Errorf("starters/portguard.yaml is not examples/brief joined (step6 first); regenerate it")
	}
}

func TestStartersCompile(t *testing.T) {
	st, err := Starters()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range st {
		names = append(names, s.Name)
		pf, err := policy.Parse(s.Name+".yaml", []byte(s.Text))
		if err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		if _, err := policy.Compile([]*policy.File{pf}, policy.Options{}); err != nil {
			t.Errorf("%s: %v", s.Name, err)
		}
	}
	if strings.Join(names, ",") != "default,portguard,strict" {
		t.Errorf("starters = %v", names)
	}
}

func TestUseStarter(t *testing.T) {
	f := newFixture(t)
	var st []Starter
	f.getJSON("/api/policy/starters", &st)
	if len(st) != 3 || st[1].Name != "portguard" || !strings.Contains(st[1].Text, "npm run dev") {
		t.Fatalf("starters: %+v", st)
	}
	f.postJSON("/api/policy/starter", map[string]string{"name": "nope"}, 404, nil)
	f.postJSON("/api/policy/starter", map[string]string{"name": "strict", "x": "y"}, 400, nil)
	var v Version
	f.postJSON("/api/policy/starter", map[string]string{"name": "strict"}, 200, &v)
	data, err := os.ReadFile(f.srv.c.PolicyPath)
	if err != nil || string(data) != st[2].Text {
		t.Fatalf("policy after strict starter: %v %q", err, data)
	}
	var vs []Version
	f.getJSON("/api/policy/versions", &vs)
	if len(vs) != 1 || vs[0].ID != v.ID {
		t.Errorf("versions = %+v, want the starter's", vs)
	}
	// Without the token's session or CSRF token it is refused like any write.
	if code, _ := f.do(f.client, "POST", "/api/policy/starter", `{"name":"default"}`, map[string]string{"X-CSRF-Token": ""}); code != 403 {
		t.Errorf("starter without CSRF: %d", code)
	}
}

func TestSimulateAuditTrail(t *testing.T) {
	f := newFixture(t)
	f.appendRecords(6) // 2 denied http.server (network facets only), 4 allowed ls
	f.postJSON("/api/policy/simulate", map[string]any{"text": "rules: [\n"}, 422, nil)
	f.postJSON("/api/policy/simulate", map[string]any{"text": goodPolicy, "limit": 5000}, 400, nil)
	var r struct {
		Checked, Failed int
		Changed         []changedDecision
	}
	// The same policy changes nothing.
	f.postJSON("/api/policy/simulate", map[string]any{"text": goodPolicy}, 200, &r)
	if r.Checked != 4 || len(r.Changed) != 0 {
		t.Fatalf("unchanged policy: %+v", r)
	}
	// Asking for ls changes the four ls decisions, newest first.
	asking := strings.Replace(goodPolicy, "command_pattern: \"ls\"\n    effect: allow", "command_pattern: \"ls\"\n    effect: ask", 1)
	f.postJSON("/api/policy/simulate", map[string]any{"text": asking, "limit": 3}, 200, &r)
	if r.Checked != 3 || len(r.Changed) != 3 {
		t.Fatalf("asking policy: %+v", r)
	}
	c := r.Changed[0]
	if c.Request != "ls" || c.Was != "allow" || c.Now != "ask" || c.NowRule != "Allow ls" || c.Seq <= r.Changed[1].Seq {
		t.Errorf("first change = %+v", c)
	}
}
