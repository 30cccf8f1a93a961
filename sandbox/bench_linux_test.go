//go:build linux && amd64

package sandbox

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/safeclaw/safeclaw/action"
)

// benchConnects runs b.N UDP connect() calls in a target, sandboxed or not,
// and reports the target's own time per call. The decision function is a
// trivial allow: this measures the sandbox, not the policy or the audit.
func benchConnects(b *testing.B, sandboxed bool) {
	requireKernel(b)
	benchTarget(b, sandboxed, "µs/connect", "connect-loop", strconv.Itoa(freePort(b)), strconv.Itoa(b.N))
}

// benchTarget runs a looping target op and reports its time per iteration.
func benchTarget(b *testing.B, sandboxed bool, unit string, args ...string) {
	self, _ := os.Executable()
	var out bytes.Buffer
	if sandboxed {
		allow := func(ctx context.Context, req *action.Request) (action.Decision, error) {
			return action.Decision{Effect: action.Allow}, nil
		}
		if _, err := Run(context.Background(), Spec{Argv: append([]string{self}, args...), Env: []string{envTarget + "=1"},
			Stdout: &out, Stderr: &out, Decide: allow}); err != nil {
			b.Fatal(err)
		}
	} else {
		cmd := exec.Command(self, args...)
		cmd.Env = []string{envTarget + "=1"}
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			b.Fatal(err, out.String())
		}
	}
	res := (outcome{out: out.String()}).result()
	ns, err := strconv.ParseFloat(strings.TrimPrefix(res, "ns="), 64)
	if err != nil {
		b.Fatalf("target: %q", out.String())
	}
	b.ReportMetric(ns/1000, unit)
}

// BenchmarkInterceptedExec is a fork+exec of /bin/true with the exec
// notified and decided (trivial decision; no audit), against the baseline.
func BenchmarkInterceptedExec(b *testing.B) {
	requireKernel(b)
	benchTarget(b, true, "µs/exec", "exec-loop", strconv.Itoa(b.N))
}

func BenchmarkBaselineExec(b *testing.B) {
	requireKernel(b)
	benchTarget(b, false, "µs/exec", "exec-loop", strconv.Itoa(b.N))
}

// BenchmarkInterceptedConnect is the cost of one intercepted, decided and
// emulated connect() as the target sees it (target: ≤ 50 µs).
func BenchmarkInterceptedConnect(b *testing.B) { benchConnects(b, true) }

// BenchmarkBaselineConnect is the same call without the sandbox.
func BenchmarkBaselineConnect(b *testing.B) { benchConnects(b, false) }

// BenchmarkInterceptedSendto is one UDP datagram to an address without
// connect(): notified, decided once per socket and destination (then
// cached), and sent by the supervisor with its own copy of the payload.
func BenchmarkInterceptedSendto(b *testing.B) {
	requireKernel(b)
	benchTarget(b, true, "µs/sendto", "sendto-loop", strconv.Itoa(freePort(b)), strconv.Itoa(b.N))
}

// BenchmarkBaselineSendto is the same datagram without the sandbox.
func BenchmarkBaselineSendto(b *testing.B) {
	requireKernel(b)
	benchTarget(b, false, "µs/sendto", "sendto-loop", strconv.Itoa(freePort(b)), strconv.Itoa(b.N))
}
