package cli

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestUIRefusesNonLoopback(t *testing.T) {
	e := testEnv(t)
	var errb strings.Builder
	e.Stderr = &errb
	// runUI directly: the command table entry is the lead's.
	code := runUI(context.Background(), e, []string{"--no-open", "--listen", "0.0.0.0:0"})
	if code != exitUsage || !strings.Contains(errb.String(), "not a loopback address") {
		t.Fatalf("code %d stderr %q", code, errb.String())
	}
}

// TestUIServes starts the dashboard, logs in with the printed link, finds
// its own listener in the audit trail and stops it.
func TestUIServes(t *testing.T) {
	e := testEnv(t)
	e.Now = time.Now // the audit trail's "since" filters need a live clock
	ready := make(chan string, 1)
	testOnlyUIReady = func(url string) { ready <- url }
	t.Cleanup(func() { testOnlyUIReady = nil })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- runUI(ctx, e, []string{"--no-open"}) }()
	var url string
	select {
	case url = <-ready:
	case code := <-done:
		t.Fatalf("ui exited %d: %s", code, e.Stderr)
	case <-time.After(30 * time.Second):
		t.Fatal("ui did not start")
	}
	if !strings.HasPrefix(url, "http://127.0.0.1:") || !strings.Contains(url, "/login?token=") {
		t.Fatalf("url %q", url)
	}
	c, token := uiLogin(t, url)
	base := url[:strings.Index(url, "/login")]
	get := func(path string) (*http.Response, error) {
		req, err := http.NewRequest(http.MethodGet, base+path, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("X-CSRF-Token", token)
		return c.Do(req)
	}
	res, err := get("/api/audit?filter=action:network")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	var page struct {
		Records []struct {
			Surface, Request string
		}
	}
	if err := json.Unmarshal(body, &page); err != nil || len(page.Records) != 1 || page.Records[0].Surface != "ui" {
		t.Fatalf("audit: %v %s", err, body)
	}
	res, err = get("/api/setup")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), `"claude"`) {
		t.Fatalf("setup: %d %s", res.StatusCode, body)
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Fatalf("exit %d: %s", code, e.Stderr)
	}
}

// TestServeUI: `safeclaw serve --ui` serves the dashboard beside the API
// and stops it with the server.
func TestServeUI(t *testing.T) {
	e := testEnv(t)
	e.Now = time.Now
	ready := make(chan string, 1)
	testOnlyUIReady = func(url string) { ready <- url }
	t.Cleanup(func() { testOnlyUIReady = nil })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- runServe(ctx, e, []string{"--ui"}) }()
	var url string
	select {
	case url = <-ready:
	case code := <-done:
		t.Fatalf("serve exited %d: %s", code, e.Stderr)
	case <-time.After(30 * time.Second):
		t.Fatal("dashboard did not start")
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 20 * time.Second}
	res, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("login: %d", res.StatusCode)
	}
	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, e.Stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
}

// uiLogin opens the dashboard's login link as a browser would: the page
// sets the session cookie and carries the tab's token, which every API call
// must send.
func uiLogin(t *testing.T, url string) (*http.Client, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 20 * time.Second}
	res, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("login: %d", res.StatusCode)
	}
	m := regexp.MustCompile(`<meta name="safeclaw-csrf" content="([0-9a-f]+)">`).FindSubmatch(page)
	if m == nil {
		t.Fatalf("login page without its token:\n%s", page)
	}
	return c, string(m[1])
}
