// Package notify delivers approval events to webhooks: a generic JSON body,
// or Slack- and Discord-compatible messages, each optionally signed with an
// HMAC-SHA256 header ([Sign], [Verify]). [Sender.Deliver] is an
// approval.DeliverFunc: the approval outbox calls it, retries it with
// backoff and never lets it block a decision.
//
// # Current limitations
//
//   - Messages are one-way: approving from Slack or Discord (interactive
//     buttons) needs a callback endpoint, which safeclaw does not serve yet.
//   - Webhook URLs come from the user's configuration and are trusted:
//     there is no SSRF filtering of the address they resolve to.
package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/safeclaw/safeclaw/approval"
)

// Format is a webhook body format.
type Format string

// Formats.
const (
	JSON    Format = "json"    // the event as JSON (see [Payload])
	Slack   Format = "slack"   // a Slack incoming-webhook message (text + blocks)
	Discord Format = "discord" // a Discord webhook message (content + embed)
)

// ParseFormat reads a format name; "" is [JSON].
func ParseFormat(s string) (Format, error) {
	switch Format(s) {
	case "", JSON:
		return JSON, nil
	case Slack, Discord:
		return Format(s), nil
	}
	return "", fmt.Errorf("unknown webhook format %q (want json, slack or discord)", s)
}

// Headers safeclaw sets on every delivery.
const (
	// HeaderSignature carries "t=<unix seconds>,v1=<hex HMAC-SHA256>" over
	// "<unix seconds>.<body>" when the target has a secret.
	HeaderSignature = "X-Safeclaw-Signature"
	// HeaderEvent is "approval.<event type>", e.g. approval.requested.
	HeaderEvent = "X-Safeclaw-Event"
	// HeaderDelivery identifies the delivery; retries of one notification
	// repeat it, so receivers can drop duplicates.
	HeaderDelivery = "X-Safeclaw-Delivery"
)

// Target is one webhook.
type Target struct {
	Name   string
	URL    string
	Format Format
	// Secret signs deliveries ([HeaderSignature]); empty sends them unsigned.
	Secret []byte
	// Headers are extra request headers (e.g. an Authorization for a relay).
	Headers map[string]string
}

// Sender delivers notifications to its targets.
type Sender struct {
	Targets []Target
	// Client sends the requests; nil means a client with a 10 s timeout
	// that follows no redirects.
	Client *http.Client
	// Now is the clock for signatures; nil means time.Now.
	Now func() time.Time
}

// DefaultClient is the client a [Sender] uses when it has none.
func DefaultClient() *http.Client {
	return &http.Client{
		Timeout: 10 * time.Second,
		// A webhook that redirects is misconfigured; following it would
		// send the approval details somewhere the user did not name.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Deliver implements approval.DeliverFunc. Errors that retrying cannot fix
// (an unknown target, a 4xx other than 408, 425 and 429, a redirect) wrap
// approval.ErrUndeliverable.
func (s *Sender) Deliver(ctx context.Context, n approval.Notification) error {
	var t *Target
	for i := range s.Targets {
		if s.Targets[i].Name == n.Target {
			t = &s.Targets[i]
			break
		}
	}
	if t == nil {
		return fmt.Errorf("%w: no webhook named %q is configured", approval.ErrUndeliverable, n.Target)
	}
	body, err := Body(t.Format, n.Event)
	if err != nil {
		return fmt.Errorf("%w: %v", approval.ErrUndeliverable, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: webhook %s: %v", approval.ErrUndeliverable, t.Name, err)
	}
	for k, v := range t.Headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "safeclaw-approvals")
	req.Header.Set(HeaderEvent, "approval."+string(n.Event.Type))
	req.Header.Set(HeaderDelivery, strconv.FormatInt(n.ID, 10))
	if len(t.Secret) > 0 {
		now := time.Now
		if s.Now != nil {
			now = s.Now
		}
		req.Header.Set(HeaderSignature, Sign(t.Secret, now(), body))
	}
	client := s.Client
	if client == nil {
		client = DefaultClient()
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook %s: %w", t.Name, err)
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		return nil
	case c == http.StatusRequestTimeout || c == http.StatusTooEarly || c == http.StatusTooManyRequests || c >= 500:
		return fmt.Errorf("webhook %s: %s", t.Name, resp.Status)
	default:
		return fmt.Errorf("%w: webhook %s: %s %s", approval.ErrUndeliverable, t.Name, resp.Status, strings.TrimSpace(string(snippet)))
	}
}

// Sign returns the [HeaderSignature] value for body sent at t.
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret []byte, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Verify checks a [HeaderSignature] value for body: the HMAC must match and
// its time must be within tolerance of now (which bounds replays). An empty
// secret verifies nothing: anyone can compute an HMAC with an empty key.
func Verify(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	if len(secret) == 0 {
		return errors.New("no webhook secret to verify the signature with")
	}
	var ts string
	var sigs [][]byte
	for _, kv := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return errors.New("malformed signature header")
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			s, err := hex.DecodeString(v)
			if err != nil {
				return errors.New("malformed signature")
			}
			sigs = append(sigs, s)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return errors.New("signature header lacks t= or v1=")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("signature time is %s away from now (tolerance %s)", d.Round(time.Second), tolerance)
	}
	want := mac(secret, ts, body)
	for _, s := range sigs {
		if hmac.Equal(s, want) {
			return nil
		}
	}
	return errors.New("signature does not match")
}

// Payload is the generic JSON body.
type Payload struct {
	Event    string         `json:"event"` // approval.requested, approval.approved, ...
	Text     string         `json:"text"`  // a one-paragraph summary
	Approval approval.Event `json:"approval"`
	// Commands are what a person runs at the machine to answer.
	Commands map[string]string `json:"commands,omitempty"`
}

// Body renders ev in format f.
func Body(f Format, ev approval.Event) ([]byte, error) {
	switch f {
	case "", JSON:
		p := Payload{Event: "approval." + string(ev.Type), Text: summary(ev), Approval: ev}
		if ev.Type == approval.EventRequested {
			p.Commands = map[string]string{
				"show":    "safeclaw approvals show " + ev.ID,
				"approve": "safeclaw approvals approve " + ev.ID,
				"deny":    "safeclaw approvals deny " + ev.ID,
			}
		}
		return marshal(p)
	case Slack:
		return slackBody(ev)
	case Discord:
		return discordBody(ev)
	}
	return nil, fmt.Errorf("unknown webhook format %q", f)
}

func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// summary is a short human sentence about ev. Every text in it is shown
// on one line with invisible characters escaped (approval.Printable):
// the agent's name, for one, can be chosen by the agent.
func summary(ev approval.Event) string {
	ev.Agent, ev.Reason = approval.Printable(ev.Agent), approval.Printable(ev.Reason)
	ev.Approver, ev.Channel = approval.Printable(ev.Approver), approval.Printable(ev.Channel)
	who := ev.Agent
	if who == "" {
		who = "an agent"
	}
	switch ev.Type {
	case approval.EventRequested:
		s := fmt.Sprintf("safeclaw: %s needs a person's approval (request %s", who, ev.ID)
		if !ev.Deadline.IsZero() {
			s += ", expires " + ev.Deadline.UTC().Format("15:04:05 MST")
		}
		s += ")"
		if ev.Reason != "" {
			s += ": " + ev.Reason
		}
		return s
	case approval.EventApproved, approval.EventDenied:
		s := fmt.Sprintf("safeclaw: request %s was %s by %s via %s", ev.ID, ev.Type, ev.Approver, ev.Channel)
		if ev.Scope != "" && ev.Type == approval.EventApproved {
			s += " (" + string(ev.Scope) + ")"
		}
		return s
	case approval.EventExpired:
		return fmt.Sprintf("safeclaw: request %s expired without an answer and was denied", ev.ID)
	}
	return fmt.Sprintf("safeclaw: request %s: %s", ev.ID, ev.Type)
}

// clip shortens s to at most n bytes (at a rune boundary), saying where the
// rest is. Chat messages have size limits; the full input is always in
// "safeclaw approvals show".
func clip(s string, n int, id string) string {
	if len(s) <= n {
		return s
	}
	note := "\n… (shortened; run safeclaw approvals show " + id + " for the full input)"
	cut := n - len(note)
	if cut < 0 {
		cut = 0
	}
	for cut > 0 && cut < len(s) && (s[cut]&0xc0) == 0x80 {
		cut--
	}
	return s[:cut] + note
}

// printableLines is s with each line made approval.Printable: line breaks
// stay, and what a chat would not show as itself (bidi overrides,
// invisible format characters, other control characters) is shown escaped,
// as the terminal shows it, so that the input cannot rearrange or hide
// part of itself.
func printableLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = approval.Printable(l)
	}
	return strings.Join(lines, "\n")
}

// codeBlock fences s so that it cannot close the fence itself.
func codeBlock(s string) string {
	return "```\n" + strings.ReplaceAll(s, "```", "`\u200b``") + "\n```"
}

// slackEscape escapes the three characters Slack's mrkdwn treats as control
// (so a command cannot inject <!channel> mentions or links).
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func details(ev approval.Event) [][2]string {
	var out [][2]string
	add := func(k, v string) {
		if v != "" {
			out = append(out, [2]string{k, approval.Printable(v)})
		}
	}
	agent := ev.Agent
	if ev.Session != "" {
		agent += " (session " + ev.Session + ")"
	}
	add("Agent", agent)
	add("Cwd", ev.Cwd)
	if ev.Rule != nil {
		add("Rule", ev.Rule.Name)
	}
	if ev.Type == approval.EventRequested {
		if tags := ev.Risk(); len(tags) > 0 {
			add("Risk", strings.Join(tags, ", ")+" (advisory)")
		}
		add("Approve with", "safeclaw approvals approve "+ev.ID)
	}
	return out
}

func slackBody(ev approval.Event) ([]byte, error) {
	type text struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	type block struct {
		Type     string `json:"type"`
		Text     *text  `json:"text,omitempty"`
		Elements []text `json:"elements,omitempty"`
	}
	sum := slackEscape(summary(ev))
	blocks := []block{{Type: "section", Text: &text{Type: "mrkdwn", Text: clip(sum, 3000, ev.ID)}}}
	if ev.Input != "" {
		blocks = append(blocks, block{Type: "section", Text: &text{Type: "mrkdwn",
			Text: codeBlock(clip(slackEscape(printableLines(ev.Input)), 2900, ev.ID))}})
	}
	var ctx []text
	for _, kv := range details(ev) {
		ctx = append(ctx, text{Type: "mrkdwn", Text: clip("*"+kv[0]+":* "+slackEscape(kv[1]), 1900, ev.ID)})
	}
	if len(ctx) > 0 {
		blocks = append(blocks, block{Type: "context", Elements: ctx})
	}
	return marshal(map[string]any{"text": clip(sum, 3000, ev.ID), "blocks": blocks})
}

// discordEscape escapes what Discord's Markdown reads outside a code block
// (emphasis, masked links [text](url), headings, quotes, spoilers), so that
// a name an agent chose shows as written and cannot become a link whose
// text says "approve" and whose address is the agent's.
func discordEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune("\\*_~`|[]<>#", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func discordBody(ev approval.Event) ([]byte, error) {
	type field struct {
		Name   string `json:"name"`
		Value  string `json:"value"`
		Inline bool   `json:"inline,omitempty"`
	}
	type embed struct {
		Title       string  `json:"title"`
		Description string  `json:"description,omitempty"`
		Fields      []field `json:"fields,omitempty"`
		Timestamp   string  `json:"timestamp,omitempty"`
		Color       int     `json:"color,omitempty"`
	}
	e := embed{Title: clip("safeclaw: approval "+string(ev.Type), 256, ev.ID), Timestamp: ev.Time.UTC().Format(time.RFC3339)}
	switch ev.Type {
	case approval.EventRequested:
		e.Color = 0xf0a020
	case approval.EventApproved:
		e.Color = 0x30a050
	default:
		e.Color = 0xc03030
	}
	if ev.Input != "" {
		e.Description = codeBlock(clip(printableLines(ev.Input), 4000, ev.ID))
	}
	// The summary's texts escaped; its own words have no Markdown.
	text := ev
	text.Agent, text.Reason = discordEscape(ev.Agent), discordEscape(ev.Reason)
	text.Approver, text.Channel = discordEscape(ev.Approver), discordEscape(ev.Channel)
	for _, kv := range details(ev) {
		e.Fields = append(e.Fields, field{Name: kv[0], Value: clip(discordEscape(kv[1]), 1000, ev.ID), Inline: kv[0] != "Approve with"})
	}
	return marshal(map[string]any{
		"content": clip(summary(text), 1900, ev.ID),
		"embeds":  []embed{e},
		// Never ping anyone, whatever the command text contains.
		"allowed_mentions": map[string]any{"parse": []string{}},
	})
}
