package catalog_test

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/shell/catalog"
)

// words splits a test command at blanks, honouring single and double
// quotes. Tests build views from hand-split words; shell syntax is the
// shell package's business.
func words(s string) []string {
	var out []string
	var cur strings.Builder
	in := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		case c == '\'' || c == '"':
			end := strings.IndexByte(s[i+1:], c)
			if end < 0 {
				end = len(s) - i - 1
			}
			cur.WriteString(s[i+1 : i+1+end])
			in = true
			i += end + 1
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if in {
		out = append(out, cur.String())
	}
	return out
}

// cmd builds a Command from views given as command lines, outermost first.
func cmd(views ...string) catalog.Command {
	c := catalog.Command{Cwd: "/home/dev/project", Home: "/home/dev"}
	for _, v := range views {
		c.Views = append(c.Views, action.ParseArgv(words(v)))
	}
	return c
}

// withFiles gives a command a ReadFile over an in-memory tree (paths
// relative to its Cwd).
func withFiles(c catalog.Command, files map[string]string) catalog.Command {
	c.ReadFile = func(name string) ([]byte, error) {
		rel, err := filepath.Rel(c.Cwd, name)
		if err != nil {
			return nil, err
		}
		if s, ok := files[rel]; ok {
			return []byte(s), nil
		}
		return nil, fs.ErrNotExist
	}
	return c
}

func detect(c catalog.Command) catalog.Result { return catalog.Detect(c) }

// ofKind returns the facets of kind k.
func ofKind(r catalog.Result, k action.Kind) []action.Action {
	var out []action.Action
	for _, f := range r.Facets {
		if f.Kind == k {
			out = append(out, f)
		}
	}
	return out
}

func describe(r catalog.Result) string {
	var b strings.Builder
	for _, f := range r.Facets {
		fmt.Fprintf(&b, "\n  %s program=%q host=%q port=%d url=%q path=%q detail=%q", f.Kind, f.Program, f.Host, f.Port, f.URL, f.Path, f.Detail)
	}
	for _, s := range r.Scripts {
		fmt.Fprintf(&b, "\n  script %q from %s", s.Text, s.Origin)
	}
	if b.Len() == 0 {
		return " (nothing)"
	}
	return b.String()
}

// endpointCase is a row of the per-kind tables: the views of a command
// (outermost first, separated by " ⟩ ") and the facet expected, or none.
type endpointCase struct {
	views string
	want  bool
	port  int    // checked when non-zero
	host  string // checked when non-empty
}

func runKindTable(t *testing.T, kind action.Kind, cases []endpointCase) {
	t.Helper()
	for _, tc := range cases {
		c := cmd(strings.Split(tc.views, " ⟩ ")...)
		r := detect(c)
		got := ofKind(r, kind)
		if !tc.want {
			if len(got) > 0 {
				t.Errorf("%s: unexpected %s:%s", tc.views, kind, describe(r))
			}
			continue
		}
		if len(got) == 0 {
			t.Errorf("%s: no %s:%s", tc.views, kind, describe(r))
			continue
		}
		if tc.port != 0 && !anyPort(got, tc.port) {
			t.Errorf("%s: %s port, want %d:%s", tc.views, kind, tc.port, describe(r))
		}
		if tc.host != "" && !anyHost(got, tc.host) {
			t.Errorf("%s: %s host, want %q:%s", tc.views, kind, tc.host, describe(r))
		}
		for _, f := range got {
			if f.Detail == "" {
				t.Errorf("%s: %s facet without detail", tc.views, kind)
			}
		}
	}
}

func anyPort(fs []action.Action, p int) bool {
	for _, f := range fs {
		if f.Port == p {
			return true
		}
	}
	return false
}

func anyHost(fs []action.Action, h string) bool {
	for _, f := range fs {
		if f.Host == h {
			return true
		}
	}
	return false
}
