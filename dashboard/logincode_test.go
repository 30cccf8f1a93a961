package dashboard

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
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
