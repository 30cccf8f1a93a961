package notify_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/approval"
	"github.com/safeclaw/safeclaw/approval/notify"
)

var secret = []byte("s3cret-webhook-key")

// hits records what a test webhook received.
type hits struct {
	mu     sync.Mutex
	bodies [][]byte
	sigs   []string
	heads  []http.Header
}

// server answers each request with the next status of codes (the last one
// repeats) and records it. It listens on 127.0.0.1 only.
func server(t *testing.T, codes ...int) (*httptest.Server, *hits) {
	t.Helper()
	h := &hits{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		n := len(h.bodies)
		h.bodies = append(h.bodies, body)
		h.sigs = append(h.sigs, r.Header.Get(notify.HeaderSignature))
		h.heads = append(h.heads, r.Header.Clone())
		h.mu.Unlock()
		w.WriteHeader(codes[min(n, len(codes)-1)])
	}))
	t.Cleanup(srv.Close)
	return srv, h
}

func (h *hits) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.bodies)
}

func requestedEvent() approval.Event {
	return approval.Event{Type: approval.EventRequested, Time: time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC), ID: "k7f3q2xm9a",
		Agent: "claude", Session: "s1", Cwd: "/home/dev/project", Input: "npm run dev <!channel> @everyone ```x```",
		Rule: &action.RuleRef{Name: "dev server"}, Reason: "Allow starting dev server with human approval",
		Deadline: time.Date(2030, 1, 1, 12, 2, 0, 0, time.UTC)}
}

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type recorder struct {
	mu  sync.Mutex
	evs []approval.Event
}

func (r *recorder) add(_ context.Context, ev approval.Event) error {
	r.mu.Lock()
	r.evs = append(r.evs, ev)
	r.mu.Unlock()
	return nil
}

func (r *recorder) types() []approval.EventType {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []approval.EventType
	for _, ev := range r.evs {
		out = append(out, ev.Type)
	}
	return out
}

// setup returns a manager whose outbox delivers to targets through a Sender.
func setup(t *testing.T, c *clock, targets ...notify.Target) (*approval.Manager, *recorder) {
	t.Helper()
	s, err := approval.OpenSQLite(filepath.Join(t.TempDir(), "approvals.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	sender := &notify.Sender{Targets: targets, Now: c.now}
	var names []string
	for _, tg := range targets {
		names = append(names, tg.Name)
	}
	rec := &recorder{}
	m, err := approval.New(approval.Config{Store: s, Outbox: s, Targets: names, Deliver: sender.Deliver, Events: rec.add, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	return m, rec
}

func submit(t *testing.T, m *approval.Manager) *approval.Record {
	t.Helper()
	req := &action.Request{Surface: "hook", Agent: "claude", Cwd: "/p", Input: "npm run dev",
		Parts: []action.Part{{Text: "npm run dev", Views: []action.Argv{action.ParseArgv([]string{"npm", "run", "dev"})},
			Facets: []action.Action{{Kind: action.ShellExecute, Command: "npm run dev", Program: "npm"}}}}}
	r, err := m.Submit(context.Background(), req, action.Decision{Effect: action.Ask, PolicyHash: "sha256:p"})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestSignedDeliveryWithRetry(t *testing.T) {
	ctx := context.Background()
	srv, h := server(t, 503, 500, 200)
	c := &clock{t: time.Now()}
	m, rec := setup(t, c, notify.Target{Name: "hook", URL: srv.URL, Format: notify.JSON, Secret: secret})
	r := submit(t, m)

	// First attempt fails; nothing is due until the backoff has passed.
	if n, err := m.Drain(ctx); n != 0 || err != nil || h.count() != 1 {
		t.Fatalf("first drain: sent %d, err %v, hits %d", n, err, h.count())
	}
	if n, _ := m.Drain(ctx); n != 0 || h.count() != 1 {
		t.Fatalf("a failed notification was retried before its backoff (hits %d)", h.count())
	}
	c.add(approval.Backoff(1))
	m.Drain(ctx) // second attempt: 500
	c.add(approval.Backoff(2))
	if n, err := m.Drain(ctx); n != 1 || err != nil {
		t.Fatalf("third drain: sent %d, err %v", n, err)
	}
	if h.count() != 3 {
		t.Fatalf("webhook hit %d times, want 3", h.count())
	}
	for i, body := range h.bodies {
		if err := notify.Verify(secret, h.sigs[i], body, c.now(), 5*time.Minute); err != nil {
			t.Errorf("delivery %d: signature does not verify: %v", i, err)
		}
		if h.heads[i].Get(notify.HeaderEvent) != "approval.requested" || h.heads[i].Get(notify.HeaderDelivery) != h.heads[0].Get(notify.HeaderDelivery) {
			t.Errorf("delivery %d headers %v", i, h.heads[i])
		}
	}
	var p notify.Payload
	if err := json.Unmarshal(h.bodies[2], &p); err != nil {
		t.Fatal(err)
	}
	if p.Event != "approval.requested" || p.Approval.ID != r.ID || p.Approval.Input != "npm run dev" ||
		p.Commands["approve"] != "safeclaw approvals approve "+r.ID {
		t.Fatalf("payload %+v", p)
	}
	// A tampered body or a wrong key does not verify.
	if notify.Verify(secret, h.sigs[2], append(h.bodies[2], ' '), c.now(), time.Minute) == nil {
		t.Error("a changed body verified")
	}
	if notify.Verify([]byte("other"), h.sigs[2], h.bodies[2], c.now(), time.Minute) == nil {
		t.Error("a signature verified with the wrong key")
	}
	if notify.Verify(secret, h.sigs[2], h.bodies[2], c.now().Add(time.Hour), time.Minute) == nil {
		t.Error("an old signature verified (replay)")
	}
	if got := rec.types(); len(got) != 2 || got[0] != approval.EventRequested || got[1] != approval.EventNotified {
		t.Fatalf("events %v, want requested, notified", got)
	}
	if n, _ := m.Drain(ctx); n != 0 || h.count() != 3 {
		t.Fatal("a delivered notification was sent again")
	}
}

func TestUndeliverableGivesUp(t *testing.T) {
	ctx := context.Background()
	srv, h := server(t, 404)
	c := &clock{t: time.Now()}
	m, rec := setup(t, c, notify.Target{Name: "gone", URL: srv.URL})
	submit(t, m)
	m.Drain(ctx)
	c.add(time.Hour)
	m.Drain(ctx)
	if h.count() != 1 {
		t.Fatalf("a 404 webhook was tried %d times, want once", h.count())
	}
	if got := rec.types(); len(got) != 2 || got[1] != approval.EventNotifyFailed {
		t.Fatalf("events %v, want requested, notify_failed", got)
	}
}

func TestRetriesStopAfterMaxAttempts(t *testing.T) {
	ctx := context.Background()
	srv, h := server(t, 503)
	c := &clock{t: time.Now()}
	m, rec := setup(t, c, notify.Target{Name: "down", URL: srv.URL})
	submit(t, m)
	for range approval.MaxAttempts + 3 {
		m.Drain(ctx)
		c.add(10 * time.Minute)
	}
	if h.count() != approval.MaxAttempts {
		t.Fatalf("tried %d times, want %d", h.count(), approval.MaxAttempts)
	}
	if got := rec.types(); got[len(got)-1] != approval.EventNotifyFailed {
		t.Fatalf("events %v, want a final notify_failed", got)
	}
}

// TestAskDeliversWhileWaiting: the waiting requester sends the queued
// notification itself, and the wait does not depend on it.
func TestAskDeliversWhileWaiting(t *testing.T) {
	srv, h := server(t, 200)
	c := &clock{t: time.Now()}
	s, err := approval.OpenSQLite(filepath.Join(t.TempDir(), "approvals.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sender := &notify.Sender{Targets: []notify.Target{{Name: "hook", URL: srv.URL, Format: notify.Slack}}}
	m, err := approval.New(approval.Config{Store: s, Outbox: s, Targets: []string{"hook"}, Deliver: sender.Deliver, Poll: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	req := &action.Request{Agent: "claude", Input: "npm run dev", Parts: []action.Part{{Text: "npm run dev",
		Facets: []action.Action{{Kind: action.ShellExecute, Command: "npm run dev", Program: "npm"}}}}}
	done := make(chan approval.Outcome, 1)
	go func() {
		out, _ := m.Ask(context.Background(), req, action.Decision{Effect: action.Ask}, approval.AskOptions{Timeout: 20 * time.Second})
		done <- out
	}()
	for end := time.Now().Add(10 * time.Second); h.count() == 0 && time.Now().Before(end); {
		time.Sleep(10 * time.Millisecond)
	}
	if h.count() == 0 {
		t.Fatal("the waiting requester did not deliver the notification")
	}
	recs, _ := s.List(context.Background(), approval.Filter{Status: []approval.Status{approval.Pending}})
	if len(recs) != 1 {
		t.Fatalf("%d pending", len(recs))
	}
	if _, err := m.Answer(context.Background(), recs[0].ID, approval.Answer{Approve: true, Approver: "a", Channel: "cli", Time: c.now()}); err != nil {
		t.Fatal(err)
	}
	if out := <-done; out.Effect != action.Allow {
		t.Fatalf("Ask = %+v", out)
	}
}

func TestSlackBody(t *testing.T) {
	body, err := notify.Body(notify.Slack, requestedEvent())
	if err != nil {
		t.Fatal(err)
	}
	s := string(body)
	if strings.Contains(s, "<!channel>") || !strings.Contains(s, "&lt;!channel&gt;") {
		t.Errorf("Slack body does not escape mentions: %s", s)
	}
	if strings.Contains(s, "```x```") {
		t.Errorf("input can close the code fence: %s", s)
	}
	var msg struct {
		Text   string           `json:"text"`
		Blocks []map[string]any `json:"blocks"`
	}
	if err := json.Unmarshal(body, &msg); err != nil || msg.Text == "" || len(msg.Blocks) < 2 {
		t.Fatalf("Slack body %s: %v", s, err)
	}
	if !strings.Contains(s, "safeclaw approvals approve k7f3q2xm9a") {
		t.Error("Slack body does not say how to approve")
	}
}

func TestDiscordBody(t *testing.T) {
	ev := requestedEvent()
	ev.Input = strings.Repeat("a", 5000) + "é"
	body, err := notify.Body(notify.Discord, ev)
	if err != nil {
		t.Fatal(err)
	}
	var msg struct {
		Content         string `json:"content"`
		AllowedMentions struct {
			Parse []string `json:"parse"`
		} `json:"allowed_mentions"`
		Embeds []struct {
			Description string `json:"description"`
			Fields      []struct{ Name, Value string }
		} `json:"embeds"`
	}
	if err := json.Unmarshal(body, &msg); err != nil {
		t.Fatal(err)
	}
	if len(msg.Content) > 2000 || len(msg.Embeds) != 1 || len(msg.Embeds[0].Description) > 4096 {
		t.Fatalf("Discord limits exceeded: content %d, description %d", len(msg.Content), len(msg.Embeds[0].Description))
	}
	if !strings.Contains(msg.Embeds[0].Description, "safeclaw approvals show k7f3q2xm9a") {
		t.Error("a shortened input does not say where the full input is")
	}
	if !strings.Contains(string(body), `"allowed_mentions":{"parse":[]}`) {
		t.Errorf("Discord body may ping: %s", body[:200])
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]notify.Format{"": notify.JSON, "json": notify.JSON, "slack": notify.Slack, "discord": notify.Discord} {
		if got, err := notify.ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := notify.ParseFormat("teams"); err == nil {
		t.Error("ParseFormat accepted an unknown format")
	}
}

func FuzzVerify(f *testing.F) {
	now := time.Unix(1900000000, 0)
	body := []byte(`{"event":"approval.requested"}`)
	f.Add(notify.Sign(secret, now, body), body)
	f.Add("t=1900000000,v1=00", body)
	f.Add("t=,v1=zz,,", []byte{})
	f.Add("v1=abc,t=1900000000,v1="+strings.Repeat("0", 64), body)
	f.Fuzz(func(t *testing.T, header string, data []byte) {
		err := notify.Verify(secret, header, data, now, 5*time.Minute)
		// Only the genuine signature of these exact bytes verifies (its hex
		// in either case: the same MAC bytes).
		if err == nil && !strings.Contains(strings.ToLower(header), notify.Sign(secret, now, data)[len("t=1900000000,"):]) {
			t.Fatalf("Verify accepted %q for %q", header, data)
		}
	})
}

// TestChatBodiesShowTextAsItIs: what a chat message shows a person cannot
// be rearranged or extended by the request: bidi overrides and other
// invisible format characters in the input are shown escaped (as the
// terminal shows them), and the one-line fields an agent can choose (its
// name, its session, the working directory) cannot start lines of their
// own, such as a fake "Approve with" line or a second command.
func TestChatBodiesShowTextAsItIs(t *testing.T) {
	ev := requestedEvent()
	ev.Agent = "claude\n*Input:* `npm test`\n*Approve with:* safeclaw approvals approve k7f3q2xm9a"
	ev.Session = "s1\u202e\u2029*Approve with:* safeclaw approvals approve k7f3q2xm9a"
	ev.Cwd = "/home/dev/project\r\n*Rule:* tests\u2028*Risk:* none"
	ev.Input = "echo 'npm test' \u202e;~ fr- mr\u202c\nnpm test\u2066"
	for _, f := range []notify.Format{notify.Slack, notify.Discord, notify.JSON} {
		body, err := notify.Body(f, ev)
		if err != nil {
			t.Fatal(err)
		}
		var msg struct {
			Text    string `json:"text"`
			Content string `json:"content"`
			Blocks  []struct {
				Text     *struct{ Text string }  `json:"text"`
				Elements []struct{ Text string } `json:"elements"`
			} `json:"blocks"`
			Embeds []struct {
				Description string
				Fields      []struct{ Name, Value string }
			} `json:"embeds"`
		}
		if err := json.Unmarshal(body, &msg); err != nil {
			t.Fatal(err)
		}
		// What people read: the summary, and for chats every block.
		shown := []string{msg.Text, msg.Content}
		oneLine := []string{msg.Text, msg.Content}
		for _, b := range msg.Blocks {
			if b.Text != nil {
				shown = append(shown, b.Text.Text)
			}
			for _, e := range b.Elements {
				shown, oneLine = append(shown, e.Text), append(oneLine, e.Text)
			}
		}
		for _, e := range msg.Embeds {
			shown = append(shown, e.Description)
			for _, fl := range e.Fields {
				shown, oneLine = append(shown, fl.Value), append(oneLine, fl.Value)
			}
		}
		for _, s := range shown {
			if strings.ContainsAny(s, "\u202e\u202c\u2066\r") {
				t.Errorf("%s: a message shows invisible format characters as they are: %q", f, s)
			}
		}
		for _, s := range oneLine {
			if strings.ContainsAny(s, "\n\u2028\u2029") {
				t.Errorf("%s: a one-line field spans lines: %q", f, s)
			}
		}
		if f != notify.JSON && !strings.Contains(string(body), `\\u202e`) {
			t.Errorf("%s: the override is not shown escaped: %s", f, body)
		}
	}
}

// TestDiscordShowsNoLinksAnAgentChose: Discord renders Markdown in webhook
// messages, masked links included. A name the agent chooses (its own, its
// session's) must not become a link whose text says one thing ("approve
// here") and whose address is another, nor format the message.
func TestDiscordShowsNoLinksAnAgentChose(t *testing.T) {
	ev := requestedEvent()
	ev.Agent = "[safeclaw approvals approve k7f3q2xm9a](https://evil.example/approve) **urgent**"
	ev.Cwd = "/home/dev/[docs](https://evil.example/)"
	body, err := notify.Body(notify.Discord, ev)
	if err != nil {
		t.Fatal(err)
	}
	var msg struct {
		Content string `json:"content"`
		Embeds  []struct {
			Fields []struct{ Name, Value string }
		} `json:"embeds"`
	}
	if err := json.Unmarshal(body, &msg); err != nil {
		t.Fatal(err)
	}
	shown := []string{msg.Content}
	for _, e := range msg.Embeds {
		for _, f := range e.Fields {
			shown = append(shown, f.Value)
		}
	}
	for _, s := range shown {
		for i := 0; i < len(s); i++ {
			if strings.IndexByte("[]*", s[i]) >= 0 && (i == 0 || s[i-1] != '\\') {
				t.Errorf("Discord text keeps the Markdown %q unescaped at %d: %q", s[i], i, s)
				break
			}
		}
	}
	if !strings.Contains(msg.Content, "evil.example") {
		t.Errorf("the agent's name is not shown: %q", msg.Content)
	}
}

// TestVerifyNeedsASecret: a receiver whose secret is missing (an empty
// file, an unset variable) must not accept what anyone can sign with an
// empty key.
func TestVerifyNeedsASecret(t *testing.T) {
	now := time.Now()
	body := []byte(`{"event":"approval.approved"}`)
	for _, secret := range [][]byte{nil, {}} {
		if err := notify.Verify(secret, notify.Sign(secret, now, body), body, now, time.Minute); err == nil {
			t.Errorf("Verify(%q) accepted a signature made with the empty key", secret)
		}
	}
	key := []byte("k")
	if err := notify.Verify(key, notify.Sign(key, now, body), body, now, time.Minute); err != nil {
		t.Errorf("Verify refused a good signature: %v", err)
	}
}
