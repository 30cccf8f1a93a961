// Package sandbox runs a command (an agent, a shell, a build) so that the
// kernel enforces safeclaw's policy on every process in its tree: listening
// sockets, binds, outbound connections and program executions are
// intercepted and decided by the same [action.DecideFunc] every other
// surface uses, so they are audited the same way.
//
// # Layers (Linux, x86-64)
//
//   - seccomp user notification on bind, listen, connect, execve,
//     execveat, sendto with an address, sendmsg and sendmmsg. Allowed socket operations on IPv4/IPv6 sockets are performed
//     by the supervisor itself on a duplicate of the target's socket
//     (pidfd_getfd), with its own copy of the address, so a thread of the
//     target cannot change the address after the check (no pointer TOCTOU).
//     listen is always performed by the supervisor, so an unbound socket is
//     bound to its ephemeral port before the decision (autobind). A UDP
//     datagram to an address is decided as network.connect (once per
//     socket, process and destination for a minute) and sent by the
//     supervisor with its own copies of address, payload and control data;
//     only control messages that need no privilege and keep the route pass
//     (the supervisor's privileges must not be borrowed). A destination of
//     0.0.0.0 or :: is decided, and used, as the loopback (or bound)
//     address the kernel substitutes for it.
//   - a static deny set in the same seccomp filter: non-native system call
//     ABIs (i386 int 0x80, x32; the process is killed), io_uring, socket
//     families other than unix/inet/inet6/netlink, socket types and
//     protocols other than TCP and UDP (MPTCP, SCTP, raw, packet),
//     MSG_FASTOPEN and TCP_FASTOPEN_CONNECT, IPv6 routing headers and flow
//     labels created with options (a first hop other than the decided
//     address), the TIOCSTI and TIOCLINUX
//     ioctls (input typed into the user's terminal), ptrace and
//     process_vm_writev.
//     These are answered by the supervisor with an error and reported as
//     [Event]s; if the supervisor is gone they fail with ENOSYS.
//   - Landlock (ABI 4+): the target itself may not bind or connect any TCP
//     port, so nothing works on the network without the supervisor; ABI 6+
//     also scopes signals and abstract unix sockets, so the target cannot
//     signal or reach the supervisor.
//   - a private mount namespace, when the kernel lets us make one, hides
//     safeclaw's own configuration and state from the target tree and makes
//     the agents' hook settings read-only (see [Spec.Hide], [Spec.ReadOnly]);
//     for a root target it also makes /proc/sys, /proc/sysrq-trigger and
//     /sys with the file systems below it (cgroups, tracefs) read-only (uid
//     0 without capabilities passes their permission checks).
//   - the stub closes IPv4/IPv6 sockets inherited above fd 2, drops every
//     capability and sets no_new_privs.
//
// Exec decisions are advisory: the kernel re-reads the path after the
// supervisor's check and interpreters or ld.so can run the same code, so a
// matching shell.execute deny is applied at execve but reported as such. The
// policy's default does not apply at execve (no agent could start node or
// git otherwise): only a decision with a rule decides an exec. (safeclaw run
// also keeps catch-all rules out, see [ExecRequest].)
//
// # Process-tree context
//
// When an exec is allowed by a rule (or an ask is approved), the exec's part
// becomes the context of that process and its descendants: a later listen or
// connect in that subtree is decided as a facet of the same part, so first
// match works as in the shell analysis (an approved `npm run dev` may listen
// while `python3 -m http.server` may not).
//
// # Current limitations
//
//   - Only linux/amd64 enforces; elsewhere [Run] returns [ErrUnsupported].
//   - Receiving on UDP is not decided: a socket autobound by an allowed
//     sendto gets whatever is sent to its port. Cached UDP decisions last a
//     minute. Every sendmsg/sendmmsg of the tree is notified (≈ 50 µs).
//   - unix/netlink bind and connect, and sendmsg on TCP and unix sockets,
//     continue in the target: a descriptor swapped for a UDP socket in
//     between is not checked (Landlock has no UDP rules).
//   - Host names: requests carry the peer IP plus, with [Spec.Hosts], a
//     facet per host name of a connect rule that recently resolved to it
//     (see [HostTable] for where that falls short).
//   - An ask is held while [Spec.Ask] decides; when it is nil the DecideFunc
//     must resolve asks itself (safeclaw's gate waits for a person), else
//     the ask is denied.
//   - Without pidfd_getfd (containers without CAP_SYS_PTRACE) the supervisor
//     cannot emulate and refuses to start in [Require] mode.
//   - Sockets received from outside the run (SCM_RIGHTS, standard
//     descriptors) are used undecided; file writes are not restricted (a
//     root target can write root-owned files such as /etc/cron.d).
package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/safeclaw/safeclaw/action"
)

// ShimArg is the hidden argument that makes a re-executed safeclaw binary
// act as the sandbox's child stub. The binary's entry point must hand control
// to [RunShim] when it sees it, before doing anything else.
const ShimArg = "__safeclaw-sandbox-init"

// Exit codes of [Run] when the target did not run (as docker run and env use them).
const (
	ExitSandboxFailed = 125 // safeclaw could not set up the sandbox
	ExitCannotExec    = 126 // the command exists but cannot be executed (or was denied at execve)
	ExitNotFound      = 127 // the command was not found
)

// ErrUnsupported is returned by [Run] where the kernel enforcement is not
// implemented (anything but Linux on x86-64).
var ErrUnsupported = errors.New("safeclaw run is unavailable on this platform: kernel enforcement needs Linux on x86-64")

// Mode says how strictly [Run] enforces.
type Mode int

const (
	// Require refuses to start unless every network rule kind and the
	// bypass deny set are enforced by the kernel.
	Require Mode = iota
	// BestEffort starts with what the kernel offers and says what is missing.
	BestEffort
	// Off only audits: every decision is recorded but the target is never
	// stopped.
	Off
)

// ParseMode reads "require", "best-effort" or "off".
func ParseMode(s string) (Mode, error) {
	switch s {
	case "require", "":
		return Require, nil
	case "best-effort", "besteffort":
		return BestEffort, nil
	case "off":
		return Off, nil
	}
	return Require, fmt.Errorf("unknown enforcement mode %q (want require, best-effort or off)", s)
}

func (m Mode) String() string {
	switch m {
	case BestEffort:
		return "best-effort"
	case Off:
		return "off"
	default:
		return "require"
	}
}

// AskFunc resolves an ask decision while the system call is held: it
// returns allow or deny. It must honour ctx, whose deadline is the deciding
// rule's timeout. It is only consulted when the DecideFunc itself answers
// ask (safeclaw's gate resolves asks through its approvals first); a nil
// AskFunc then denies.
type AskFunc func(ctx context.Context, req *action.Request, d action.Decision) (action.Effect, error)

// Spec describes one sandboxed run.
type Spec struct {
	// Argv is the command and its arguments; Argv[0] is looked up in the
	// PATH of Env.
	Argv []string
	// Env is the target's environment; nil means an empty environment.
	Env []string
	// Dir is the target's working directory; "" means the current one.
	Dir string
	// Stdin, Stdout and Stderr are the target's standard streams. Pass
	// *os.File values to give the target the terminal itself.
	Stdin          io.Reader
	Stdout, Stderr io.Writer

	// Mode is the enforcement mode.
	Mode Mode
	// Decide decides (and audits) each intercepted operation. It is
	// required.
	Decide action.DecideFunc
	// Ask resolves asks; nil denies them.
	Ask AskFunc
	// AskTimeout bounds an ask when the decision carries no timeout; zero
	// means 5 minutes.
	AskTimeout time.Duration
	// Hosts names the addresses of connect rules' host names: a connect
	// (or UDP send) to an address gets one extra network.connect facet per
	// name it resolved from. Nil: only IP/CIDR rules match kernel connects.
	Hosts *HostTable
	// OnEvent receives every operation the sandbox intercepted, with the
	// layer that enforced it. It is called from several goroutines.
	OnEvent func(Event)

	// Hide lists directories the target tree may neither read nor write
	// (safeclaw's configuration, state and keys).
	Hide []string
	// ReadOnly lists files and directories the target tree may read but not
	// change (the agents' hook settings, policy files).
	ReadOnly []string

	// Signals, when set, are forwarded to the target (e.g. SIGTERM and
	// SIGHUP sent to safeclaw alone).
	Signals <-chan os.Signal

	// ShimArgs is the argv (argv[0] included) with which /proc/self/exe is
	// re-executed so that it calls [RunShim]; for safeclaw: "safeclaw",
	// "run", ShimArg. Empty means "safeclaw-sandbox", ShimArg.
	ShimArgs []string
}

// ExecRequest reports whether req is an exec the sandbox asks about (a
// "run" request whose one part has only shell.execute facets), as opposed
// to a socket operation. A DecideFunc may use it to keep catch-all rules
// and the default out of exec decisions without asking a person.
func ExecRequest(req *action.Request) bool {
	if req == nil || req.Surface != "run" || len(req.Parts) != 1 || len(req.Parts[0].Facets) == 0 {
		return false
	}
	for _, f := range req.Parts[0].Facets {
		if f.Kind != action.ShellExecute {
			return false
		}
	}
	return true
}

// Layer names what enforced an operation.
type Layer string

const (
	// LayerEmulate: decided by the supervisor and, if allowed, performed by
	// it on a duplicate of the target's socket.
	LayerEmulate Layer = "kernel:seccomp-emulate"
	// LayerContinue: decided by the supervisor and then performed by the
	// kernel from the target's own arguments (unix sockets); the Landlock
	// TCP backstop covers a swapped descriptor.
	LayerContinue Layer = "kernel:seccomp-continue"
	// LayerStatic: refused by the static deny set.
	LayerStatic Layer = "kernel:bpf-static"
	// LayerLandlock: refused by Landlock inside the target.
	LayerLandlock Layer = "kernel:landlock"
	// LayerMount: hidden or read-only through a private mount namespace.
	LayerMount Layer = "kernel:mount-namespace"
	// LayerAdvisory: an exec decision; the kernel re-reads the path after
	// the check and interpreters can run the same code.
	LayerAdvisory Layer = "exec:advisory"
	// LayerAudit: recorded only (mode off).
	LayerAudit Layer = "audit-only"
)

// Event is one intercepted operation and what happened to it.
type Event struct {
	Time time.Time
	// Op is the system call or operation: bind, listen, connect, execve,
	// socket, sendto, io_uring_setup, syscall (foreign ABI), ...
	Op   string
	PID  int // thread group id
	TID  int
	Comm string
	// Detail describes the operation: "tcp 127.0.0.1:8080", the argv of an exec.
	Detail string
	Effect action.Effect
	Layer  Layer
	// Reason explains the effect (the rule's reason, or why a static deny exists).
	Reason string
	// Result is what the target got: "ok", an errno name, or "killed".
	Result string
	// Request and Decision are set when the policy was asked.
	Request  *action.Request
	Decision *action.Decision
}

// Note reports whether the event is a note about the sandbox itself
// (Op "sandbox") rather than an intercepted operation; Result is then
// "note" or "warning" (a gap in enforcement).
func (e Event) Note() bool { return e.Op == "sandbox" }

// String formats an event as safeclaw's log line:
// "[safeclaw] DENY  network.listen pid=42 comm=python3 tcp 0.0.0.0:8080 (reason) -> EACCES".
func (e Event) String() string {
	tag := strings.ToUpper(e.Effect.String())
	what := e.Op
	if e.Request != nil && len(e.Request.Parts) == 1 {
		// The operation's own facet: the first one that is not the exec
		// context of its process tree.
		for _, f := range e.Request.Parts[0].Facets {
			if f.Kind != action.ShellExecute || e.Op == "execve" || e.Op == "execveat" {
				what = string(f.Kind)
				break
			}
		}
	}
	reason := ""
	if e.Reason != "" {
		reason = " (" + e.Reason + ")"
	}
	return fmt.Sprintf("[safeclaw] %-5s %s pid=%d comm=%s %s%s -> %s [%s]", tag, what, e.PID, e.Comm, e.Detail, reason, e.Result, e.Layer)
}
