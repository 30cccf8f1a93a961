package approval

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// TTYPrompter asks the person at a terminal (the controlling terminal,
// /dev/tty, by default) to answer a record.
type TTYPrompter struct {
	// Path is the terminal device; "" means /dev/tty.
	Path string
	// Approver names the person at the terminal in the answer.
	Approver string
	// Principal is who runs the prompt as the system knows them (the login
	// of the process's uid), for quorums and approver lists.
	Principal string
	// AllowAlways offers "always" (the caller can write always rules).
	AllowAlways bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// TTYAvailable reports whether the terminal at path ("" for /dev/tty) can be
// opened for reading and writing: false when the process has no
// controlling terminal.
func TTYAvailable(path string) bool {
	if path == "" {
		path = "/dev/tty"
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	return IsTerminal(f.Fd())
}

// Prompt implements [Prompter]. It shows the record in full and reads one
// answer line: y (once), s (this session), a (always), n or an empty line
// (deny). An approval must then be confirmed by typing a short random code
// shown on the terminal; anything else denies. It gives up when ctx is
// done, saying so on the terminal.
//
// The code is there because the terminal may be shared with the agent
// (safeclaw run): a process whose controlling terminal it is can push
// keystrokes into its input queue (TIOCSTI, where the kernel still allows
// it), but cannot read what safeclaw writes to it, so it can type "y" but
// not the code. The input queue is also emptied before each question, so
// that nothing typed (or pushed) before the question answers it.
func (p *TTYPrompter) Prompt(ctx context.Context, r *Record) (Answer, error) {
	path := p.Path
	if path == "" {
		path = "/dev/tty"
	}
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return Answer{}, fmt.Errorf("open terminal: %w", err)
	}
	// Closing the terminal ends a pending read when ctx is done.
	stop := context.AfterFunc(ctx, func() {
		fmt.Fprintf(f, "\n(no longer waiting for this answer)\n")
		f.Close()
	})
	defer func() {
		if stop() {
			f.Close()
		}
	}()

	// A quorum or named approvers rule out "always": one person's standing
	// rule must not stand in for the others. So does the managed policy's
	// ask: its administrator wants a person asked each time.
	always := p.AllowAlways && !r.Needs.Restricted() && !ManagedAsk(r)
	choices := "[y] once"
	if r.Session != "" {
		choices += ", [s] this session"
	}
	if always {
		choices += ", [a] always"
	}
	choices += ", [N] deny"
	fmt.Fprintf(f, "\nsafeclaw: a person's approval is needed.\n%s", Render(r, now()))
	in := bufio.NewReader(f)
	readLine := func() (string, error) {
		line, err := in.ReadString('\n')
		if err != nil {
			if ctx.Err() != nil {
				return "", ctx.Err()
			}
			if errors.Is(err, os.ErrClosed) || line == "" {
				return "", fmt.Errorf("read terminal: %w", err)
			}
		}
		return strings.ToLower(strings.TrimSpace(line)), nil
	}
	// discard empties the terminal's input queue and what the reader
	// holds already: a terminal in non-canonical mode (stty -icanon) hands
	// over several lines in one read, and a line typed before a question
	// must not answer it.
	discard := func() {
		flush(f)
		in.Reset(f)
	}
	for {
		discard()
		fmt.Fprintf(f, "Allow it? %s: ", choices)
		line, err := readLine()
		if err != nil {
			return Answer{}, err
		}
		a := Answer{Approver: p.Approver, Principal: p.Principal, Channel: "tty", Time: now()}
		switch line {
		case "y", "yes":
			a.Approve, a.Scope = true, Once
		case "s", "session":
			if r.Session == "" {
				fmt.Fprintln(f, "This request has no agent session.")
				continue
			}
			a.Approve, a.Scope = true, Session
		case "a", "always":
			if !always {
				fmt.Fprintln(f, "\"always\" is not available here.")
				continue
			}
			a.Approve, a.Scope = true, Always
		case "", "n", "no":
			a.Reason = "denied at the terminal"
		default:
			fmt.Fprintf(f, "Please answer with one of: %s.\n", choices)
			continue
		}
		if a.Approve {
			id, err := newID()
			if err != nil {
				return Answer{}, err
			}
			code := id[:confirmCodeLen]
			discard()
			fmt.Fprintf(f, "To approve (%s), type the code %s (anything else denies): ", a.Scope, code)
			typed, err := readLine()
			if err != nil {
				return Answer{}, err
			}
			if typed != code {
				fmt.Fprintln(f, "Wrong code: the request is denied.")
				a = Answer{Approver: p.Approver, Principal: p.Principal, Channel: "tty", Time: now(),
					Reason: "wrong confirmation code typed at the terminal (keystrokes injected by another process?)"}
			} else if r.Needs != nil && r.Needs.Quorum > 1 {
				fmt.Fprintf(f, "Your approval is one of the %d this request needs (%s); it waits for the others.\n",
					r.Needs.Quorum, r.Needs.Describe())
			}
			a.Time = now()
		}
		return a, nil
	}
}

// flush empties f's input queue. It goes through SyscallConn, not Fd, which
// would put f in blocking mode, where closing it no longer ends a read.
func flush(f *os.File) {
	if c, err := f.SyscallConn(); err == nil {
		_ = c.Control(flushInput)
	}
}

// confirmCodeLen is the length of the code that confirms an approval at the
// terminal: 31^4, about 920,000 values, and one try.
const confirmCodeLen = 4
