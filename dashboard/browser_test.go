//go:build browser

// Browser tests: run with scripts/browser.sh (go test -tags browser). They
// drive Debian's chromium headless against a live dashboard and save a
// screenshot of each page in $SAFECLAW_SCREENSHOTS (else a temp dir).

package dashboard

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium installed (apt-get install chromium)")
	return ""
}

// browse logs a fresh headless browser in with a new one-time token, opens
// page (a fragment: approvals, audit, policy, setup), saves a screenshot
// and returns the DOM after the page's scripts ran.
func browse(t *testing.T, f *fixture, h *atomic.Pointer[Server], page, shotDir string) string {
	t.Helper()
	c := f.srv.c
	tok, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	c.Token = tok
	// Headless chromium waits for open connections before it dumps the page.
	c.StreamFor = 300 * time.Millisecond
	s, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	h.Store(s)
	// The fragment survives the login redirect to /.
	url := f.ts.URL + s.LoginPath() + "#" + page
	run := func(extra ...string) string {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
			"--user-data-dir=" + t.TempDir(), "--window-size=412,1400", "--virtual-time-budget=4000", "--timeout=5000"}, extra...)
		out, err := exec.CommandContext(ctx, chromium(t), append(args, url)...).Output()
		if err != nil {
			t.Fatalf("chromium %v: %v", extra, err)
		}
		return string(out)
	}
	dom := run("--dump-dom")
	// Each run logs in anew.
	s2, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	h.Store(s2)
	run("--screenshot=" + filepath.Join(shotDir, page+".png"))
	return dom
}

func TestBrowserPages(t *testing.T) {
	chromium(t)
	f := newFixture(t)
	var h atomic.Pointer[Server]
	h.Store(f.srv)
	f.ts.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.Load().ServeHTTP(w, r) })
	shotDir := os.Getenv("SAFECLAW_SCREENSHOTS")
	if shotDir == "" {
		shotDir = t.TempDir()
	} else if err := os.MkdirAll(shotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", shotDir)

	f.submit("cd web && npm run dev -- --port 3000")
	f.appendRecords(12)
	// A hand-edited policy with an error at 3:5.
	if err := os.MkdirAll(filepath.Dir(f.srv.c.PolicyPath), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f.srv.c.PolicyPath, []byte("rules:\n  - action: network.listen\n    efect: deny\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		page string
		want []string
	}{
		{"approvals", []string{"cd web &amp;&amp; npm run dev -- --port 3000", "Ask dev servers", "Approve once"}},
		{"audit", []string{"python -m http.server 8080", "Block Python HTTP server", "network.listen"}},
		{"policy", []string{"line 3, column 5", `unknown key "efect"`}},
		{"setup", []string{"claude", "not installed"}},
	} {
		t.Run(tt.page, func(t *testing.T) {
			dom := browse(t, f, &h, tt.page, shotDir)
			for _, w := range tt.want {
				if !strings.Contains(dom, w) {
					t.Errorf("page %s lacks %q", tt.page, w)
				}
			}
			if t.Failed() {
				t.Logf("DOM:\n%s", dom)
			}
		})
	}
}
