//go:build e2e

package e2e

import (
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// TestListenerControl shows the listener check can fail: the very command
// the mocks ask for, run directly in a scenario's environment, opens the
// port and the watch sees it. Without this, "the port never opened" could
// pass for a reason that has nothing to do with safeclaw.
func TestListenerControl(t *testing.T) {
	sc := newScenario(t)
	w := watchPort(t, sc.port)
	cmd := exec.Command("python3", "-m", "http.server", strconv.Itoa(sc.port), "--bind", "127.0.0.1")
	cmd.Dir = sc.project
	cmd.Env = sc.baseEnv()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	}()
	deadline := time.Now().Add(20 * time.Second)
	for !w.seen.Load() {
		if time.Now().After(deadline) {
			t.Fatalf("python3 -m http.server %d never accepted a connection: the listener check is blind", sc.port)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
