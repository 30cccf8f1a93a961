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
)

// answerPrompts reads the terminal's output and types the next answer
// after each "Allow it?" prompt. It returns everything shown once the
// terminal closes (every slave descriptor closed, or the master closed).
func answerPrompts(master *os.File, answers ...string) chan string {
	shown := make(chan string, 1)
	go func() {
		var all strings.Builder
		buf := make([]byte, 4096)
		prompts := 0
		for {
			n, err := master.Read(buf)
			all.Write(buf[:n])
			for c := strings.Count(all.String(), "Allow it?"); prompts < c && len(answers) > 0; prompts++ {
				fmt.Fprint(master, answers[0]+"\n")
				answers = answers[1:]
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
	}{
		{[]string{"y"}, "", true, approval.Once},
		{[]string{"yes"}, "", true, approval.Once},
		{[]string{"maybe", "s", "N"}, "", false, ""}, // no session: s is refused, asked again
		{[]string{"s"}, "sess", true, approval.Session},
		{[]string{"a", "n"}, "", false, ""}, // always not offered
		{[]string{""}, "", false, ""},
	} {
		t.Run(strings.Join(tt.typed, ","), func(t *testing.T) {
			master, slave := ptytest.Open(t)
			shown := answerPrompts(master, tt.typed...)
			p := &approval.TTYPrompter{Path: slave, Approver: "alice"}
			r := &approval.Record{ID: "abc", Status: approval.Pending, Session: tt.session, Input: "npm run dev \x1b[2J",
				Deadline: time.Now().Add(time.Minute)}
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
	answerPrompts(master, "y")
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
