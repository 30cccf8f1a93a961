//go:build linux

package approval_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/approval"
	"github.com/safeclaw/safeclaw/internal/ptytest"
	"golang.org/x/sys/unix"
)

// answerPrompts reads the terminal's output and types the next answer
// after each question ("Allow it?", or the confirmation code's); the answer
// "=code" types the code shown. It returns everything shown once the
// terminal closes (every slave descriptor closed, or the master closed).
func answerPrompts(master *os.File, answers ...string) chan string {
	shown := make(chan string, 1)
	go func() {
		var all strings.Builder
		buf := make([]byte, 4096)
		done := 0 // output before done has been answered
		for {
			n, err := master.Read(buf)
			all.Write(buf[:n])
			for len(answers) > 0 {
				out := all.String()[done:]
				q, c := strings.Index(out, "Allow it?"), strings.Index(out, "type the code ")
				var end int
				switch {
				case q >= 0 && (c < 0 || q < c):
					end = q + len("Allow it?")
				case c >= 0:
					end = c + len("type the code ")
				default:
					end = -1
				}
				if end < 0 {
					break
				}
				answer := answers[0]
				if answer == "=code" {
					// The code follows the marker, up to a space.
					rest := out[end:]
					sp := strings.IndexByte(rest, ' ')
					if sp < 0 {
						break // not all shown yet
					}
					answer = rest[:sp]
				}
				// Type only once the question is shown in full, since the
				// prompt empties the input queue before asking.
				if !strings.Contains(out[end:], ": ") {
					break
				}
				end += strings.Index(out[end:], ": ") + 2
				time.Sleep(10 * time.Millisecond)
				fmt.Fprint(master, answer+"\n")
				answers = answers[1:]
				done += end
			}
			if err != nil {
				break
			}
		}
		shown <- all.String()
	}()
	return shown
}

func TestTTYAvailable(t *testing.T) {
	_, slave := ptytest.Open(t)
	if !approval.TTYAvailable(slave) {
		t.Fatal("a pseudo-terminal is not seen as a terminal")
	}
	if approval.TTYAvailable("/dev/null") {
		t.Fatal("/dev/null is seen as a terminal")
	}
	f, _ := os.Open(os.DevNull)
	defer f.Close()
	if approval.IsTerminal(f.Fd()) {
		t.Fatal("IsTerminal(/dev/null)")
	}
}

func TestTTYPromptAnswers(t *testing.T) {
	for _, tt := range []struct {
		typed   []string
		session string
		approve bool
		scope   approval.Scope
		layer   string // of the rule that asked; AllowAlways when set
	}{
		{[]string{"a", "=code"}, "", true, approval.Always, "user"},
		{[]string{"a", "n"}, "", false, "", "managed"}, // the managed policy's ask: always not offered
		{[]string{"y", "=code"}, "", true, approval.Once, ""},
		{[]string{"yes", "=code"}, "", true, approval.Once, ""},
		{[]string{"maybe", "s", "N"}, "", false, "", ""}, // no session: s is refused, asked again
		{[]string{"s", "=code"}, "sess", true, approval.Session, ""},
		{[]string{"a", "n"}, "", false, "", ""}, // always not offered
		{[]string{""}, "", false, "", ""},
		{[]string{"y", "y"}, "", false, "", ""},    // a wrong code denies
		{[]string{"y", ""}, "", false, "", ""},     // so does none
		{[]string{"y", "zzzz"}, "", false, "", ""}, // and a guess
	} {
		t.Run(strings.Join(tt.typed, ","), func(t *testing.T) {
			master, slave := ptytest.Open(t)
			shown := answerPrompts(master, tt.typed...)
			p := &approval.TTYPrompter{Path: slave, Approver: "alice", AllowAlways: tt.layer != ""}
			r := &approval.Record{ID: "abc", Status: approval.Pending, Session: tt.session, Input: "npm run dev \x1b[2J",
				Deadline: time.Now().Add(time.Minute)}
			if tt.layer != "" {
				r.Rule = &action.RuleRef{Name: "ask npm", Layer: tt.layer}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			a, err := p.Prompt(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			if a.Approve != tt.approve || a.Scope != tt.scope || a.Channel != "tty" || a.Approver != "alice" {
				t.Fatalf("answer %+v, want approve=%v scope=%q", a, tt.approve, tt.scope)
			}
			master.Close()
			out := <-shown
			if !strings.Contains(out, `npm run dev \x1b[2J`) {
				t.Errorf("the prompt did not show the escaped input: %q", out)
			}
		})
	}
}

// TestAskAtTerminal: a requester that prompts on its terminal gets the
// person's answer there, recorded with the tty channel.
func TestAskAtTerminal(t *testing.T) {
	master, slave := ptytest.Open(t)
	answerPrompts(master, "y", "=code")
	ev := &events{}
	m := newManager(t, openSQLite(t), ev, nil)
	out, err := m.Ask(context.Background(), shellRequest("", "npm", "run", "dev"), askDecision,
		approval.AskOptions{Timeout: 20 * time.Second, Prompt: &approval.TTYPrompter{Path: slave, Approver: "alice"}})
	if err != nil || out.Effect != action.Allow || out.Channel() != "tty" {
		t.Fatalf("Ask = %+v, %v; want allow via tty", out, err)
	}
}

// TestPromptGivesWayToOtherChannels: when another channel answers first, the
// terminal prompt ends and says so.
func TestPromptGivesWayToOtherChannels(t *testing.T) {
	master, slave := ptytest.Open(t)
	shown := answerPrompts(master) // never types
	m := newManager(t, openSQLite(t), &events{}, nil)
	req := shellRequest("", "npm", "run", "dev")
	ch := make(chan approval.Outcome, 1)
	go func() {
		out, _ := m.Ask(context.Background(), req, askDecision,
			approval.AskOptions{Timeout: 20 * time.Second, Prompt: &approval.TTYPrompter{Path: slave, Approver: "alice"}})
		ch <- out
	}()
	r := pendingFor(t, m, req.Input)
	if _, err := m.Answer(context.Background(), r.ID, approval.Answer{Approve: true, Approver: "bob", Channel: "cli"}); err != nil {
		t.Fatal(err)
	}
	out := <-ch
	if out.Effect != action.Allow || out.Approver() != "bob" {
		t.Fatalf("Ask = %+v", out)
	}
	select {
	case s := <-shown:
		if !strings.Contains(s, "no longer waiting") {
			t.Errorf("the terminal was not told the prompt ended: %q", s)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the terminal prompt did not end after another channel answered")
	}
}

// TestPromptDiscardsWhatCameBeforeTheQuestion: a terminal left in
// non-canonical mode (stty -icanon, which a program sharing it can set)
// hands the prompt several lines in one read. An answer typed with another
// one, before its question was shown, must not answer that question: here
// "y" arrives with "maybe", before "Allow it?" is asked again.
func TestPromptDiscardsWhatCameBeforeTheQuestion(t *testing.T) {
	master, slave := ptytest.Open(t)
	sf, err := os.OpenFile(slave, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer sf.Close()
	tio, err := unix.IoctlGetTermios(int(sf.Fd()), unix.TCGETS)
	if err != nil {
		t.Skip(err)
	}
	tio.Lflag &^= unix.ICANON | unix.ECHO
	tio.Cc[unix.VMIN], tio.Cc[unix.VTIME] = 1, 0
	if err := unix.IoctlSetTermios(int(sf.Fd()), unix.TCSETS, tio); err != nil {
		t.Skip(err)
	}
	out := make(chan string, 64)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			if n > 0 {
				out <- string(buf[:n])
			}
			if err != nil {
				close(out)
				return
			}
		}
	}()
	// waitFor reads the terminal's output until it contains want, or the
	// time is up.
	var shown strings.Builder
	waitFor := func(want string, d time.Duration) bool {
		deadline := time.After(d)
		for !strings.Contains(shown.String(), want) {
			select {
			case s, ok := <-out:
				if !ok {
					return false
				}
				shown.WriteString(s)
			case <-deadline:
				return false
			}
		}
		return true
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	answered := make(chan approval.Answer, 1)
	go func() {
		p := &approval.TTYPrompter{Path: slave, Approver: "alice"}
		a, _ := p.Prompt(ctx, &approval.Record{ID: "abc", Status: approval.Pending, Input: "npm run dev",
			Deadline: time.Now().Add(time.Minute)})
		answered <- a
	}()
	if !waitFor("[N] deny: ", 10*time.Second) {
		t.Fatalf("no question: %q", shown.String())
	}
	time.Sleep(20 * time.Millisecond)
	fmt.Fprint(master, "maybe\ny\n")
	if !waitFor("Please answer", 10*time.Second) {
		t.Fatalf("the prompt did not read the answer: %q", shown.String())
	}
	if waitFor("type the code", 500*time.Millisecond) {
		t.Fatalf("a \"y\" typed before the question was asked answered it: %q", shown.String())
	}
	cancel()
	if a := <-answered; a.Approve {
		t.Fatalf("answer %+v", a)
	}
}
