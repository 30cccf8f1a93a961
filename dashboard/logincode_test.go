package dashboard

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// postCode submits the login page's form as a browser does.
func postCode(t *testing.T, c *http.Client, base, code string, origin bool) (int, string) {
	t.Helper()
	req, err := http.NewRequest("POST", base+"/login", strings.NewReader(url.Values{"code": {code}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin {
		req.Header.Set("Origin", base)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

// TestLoginCode: the browser safeclaw opens gets the login page, never the
// token; the code from the terminal logs in once, typed loosely; wrong
// codes are counted, and the link and the code share one use.
func TestLoginCode(t *testing.T) {
	ts, srv := bareServer(t)
	code := srv.LoginCode()
	if len(code) != 14 || strings.Count(code, "-") != 2 {
		t.Fatalf("code %q", code)
	}
	c := newClient()
	res, err := c.Get(ts.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized || !strings.Contains(string(page), `<form method="post" action="/login">`) {
		t.Fatalf("GET / without a session: %d\n%s", res.StatusCode, page)
	}
	// Under no-referrer, browsers send the form's POST with "Origin: null",
	// which the Origin check refuses (found with Chromium).
	if rp := res.Header.Get("Referrer-Policy"); rp != "same-origin" {
		t.Errorf("login page Referrer-Policy %q, want same-origin", rp)
	}
	if st, _ := postCode(t, c, ts.URL, code, false); st != http.StatusForbidden {
		t.Errorf("a form without Origin: %d, want 403", st)
	}
	if st, body := postCode(t, c, ts.URL, "AAAA-AAAA-AAAA", true); st != http.StatusUnauthorized || !strings.Contains(body, "not the code") {
		t.Errorf("a wrong code: %d %s", st, body)
	}
	typed := strings.ToLower(strings.ReplaceAll(code, "-", " "))
	st, body := postCode(t, c, ts.URL, typed, true)
	if st != http.StatusOK || !csrfMeta.MatchString(body) {
		t.Fatalf("the right code, typed loosely: %d\n%s", st, body)
	}
	u, _ := url.Parse(ts.URL)
	if len(c.Jar.Cookies(u)) != 1 {
		t.Error("no session cookie")
	}
	// Used: neither the code nor the link works again.
	if st, body := postCode(t, newClient(), ts.URL, code, true); st != http.StatusUnauthorized || !strings.Contains(body, "no longer works") {
		t.Errorf("the code again: %d %s", st, body)
	}
	if res, _ := newClient().Get(ts.URL + srv.LoginPath()); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("the link after the code: %d", res.StatusCode)
	}
}

func TestLoginCodeTries(t *testing.T) {
	ts, srv := bareServer(t)
	for range maxCodeTries {
		postCode(t, newClient(), ts.URL, "ZZZZ-ZZZZ-ZZZZ", true)
	}
	if st, body := postCode(t, newClient(), ts.URL, srv.LoginCode(), true); st != http.StatusUnauthorized || !strings.Contains(body, "no longer works") {
		t.Fatalf("the right code after %d wrong ones: %d %s", maxCodeTries, st, body)
	}
	// The link is a separate secret and still works.
	if res, _ := newClient().Get(ts.URL + srv.LoginPath()); res.StatusCode != http.StatusOK {
		t.Errorf("the link after a guessing spree: %d", res.StatusCode)
	}
}

// TestLoginExpires: a login link or code printed and never used (in a
// terminal's scrollback, a service's log) stops working after LoginTTL, so
// that whoever reads the log later cannot log in with it.
func TestLoginExpires(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := func() time.Time { return now }
	for _, tt := range []struct {
		name  string
		ttl   time.Duration
		after time.Duration
		ok    bool
	}{
		{"default, in time", 0, DefaultLoginTTL - time.Second, true},
		{"default, late", 0, DefaultLoginTTL, false},
		{"set, late", time.Minute, time.Minute + time.Second, false},
		{"never", -1, 48 * time.Hour, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, by := range []string{"link", "code"} {
				ts := httptest.NewUnstartedServer(nil)
				at := now
				srv, err := New(Config{Token: testToken, Addr: ts.Listener.Addr().String(), LoginTTL: tt.ttl,
					Now: func() time.Time { return at }})
				if err != nil {
					t.Fatal(err)
				}
				ts.Config.Handler = srv
				ts.Start()
				at = clock().Add(tt.after)
				var st int
				if by == "link" {
					res, err := newClient().Get(ts.URL + srv.LoginPath())
					if err != nil {
						t.Fatal(err)
					}
					res.Body.Close()
					st = res.StatusCode
				} else {
					st, _ = postCode(t, newClient(), ts.URL, srv.LoginCode(), true)
				}
				ts.Close()
				if (st == http.StatusOK) != tt.ok {
					t.Errorf("%s %v after start: %d, want ok=%v", by, tt.after, st, tt.ok)
				}
			}
		})
	}
}

// TestLoginIsAnnounced: the terminal is told of every login and by what
// client, so that a login the person did not make is noticed.
func TestLoginIsAnnounced(t *testing.T) {
	ts := httptest.NewUnstartedServer(nil)
	var notes []string
	srv, err := New(Config{Token: testToken, Addr: ts.Listener.Addr().String(), Notice: func(m string) { notes = append(notes, m) }})
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = srv
	ts.Start()
	defer ts.Close()
	req, _ := http.NewRequest("GET", ts.URL+srv.LoginPath(), nil)
	req.Header.Set("User-Agent", "curl/8.5.0\u202e")
	res, err := newClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || len(notes) != 1 {
		t.Fatalf("login %d, notices %q", res.StatusCode, notes)
	}
	if n := notes[0]; !strings.Contains(n, "login link") || !strings.Contains(n, `curl/8.5.0\u202e`) || strings.Contains(n, "\u202e") || !strings.Contains(n, "If it was not you") {
		t.Errorf("notice %q", n)
	}
}
