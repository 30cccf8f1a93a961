package approval_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/safeclaw/safeclaw/action"
	"github.com/safeclaw/safeclaw/approval"
)

// The test binary doubles as requester and approver processes, so that
// several OS processes share one SQLite store as hook processes do.
func TestMain(m *testing.M) {
	switch os.Getenv("APPROVALTEST_ROLE") {
	case "ask":
		os.Exit(helperAsk())
	case "approve":
		os.Exit(helperApprove())
	case "inject":
		os.Exit(helperInject())
	}
	os.Exit(m.Run())
}

func helperManager() (*approval.Manager, func(), error) {
	s, err := approval.OpenSQLite(os.Getenv("APPROVALTEST_DB"))
	if err != nil {
		return nil, nil, err
	}
	m, err := approval.New(approval.Config{Store: s, Poll: 20 * time.Millisecond, Requester: fmt.Sprint("pid ", os.Getpid())})
	if err != nil {
		s.Close()
		return nil, nil, err
	}
	return m, func() { s.Close() }, nil
}

// helperAsk asks about APPROVALTEST_CMD and exits 0 when allowed, 3 when
// denied, 1 on error.
func helperAsk() int {
	m, done, err := helperManager()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer done()
	req := shellRequest("", strings.Fields(os.Getenv("APPROVALTEST_CMD"))...)
	out, err := m.Ask(context.Background(), req, askDecision, approval.AskOptions{Timeout: 20 * time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if out.Effect == action.Allow {
		return 0
	}
	return 3
}

// helperApprove approves every pending request until APPROVALTEST_N
// requests are answered, and prints how many answers of its own took effect.
func helperApprove() int {
	m, done, err := helperManager()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer done()
	want, _ := strconv.Atoi(os.Getenv("APPROVALTEST_N"))
	ctx := context.Background()
	mine := 0
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		recs, err := m.List(ctx, approval.Filter{})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		answered := 0
		for _, r := range recs {
			if r.Status != approval.Pending {
				answered++
				continue
			}
			_, err := m.Answer(ctx, r.ID, approval.Answer{Approve: true, Approver: fmt.Sprint("pid ", os.Getpid()), Channel: "cli"})
			var np *approval.NotPendingError
			switch {
			case err == nil:
				mine++
			case !errors.As(err, &np):
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
		}
		if answered >= want {
			fmt.Println(mine)
			return 0
		}
	}
	fmt.Fprintln(os.Stderr, "timed out")
	return 1
}

func TestConcurrentProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	db := filepath.Join(t.TempDir(), "approvals.db")
	// Create the store first so that the processes race on use, not creation.
	s, err := approval.OpenSQLite(db)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	const requesters, approvers = 4, 2
	env := func(role string, extra ...string) []string {
		return append(append(os.Environ(), "APPROVALTEST_ROLE="+role, "APPROVALTEST_DB="+db), extra...)
	}
	var asks []*exec.Cmd
	for i := range requesters {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = env("ask", fmt.Sprintf("APPROVALTEST_CMD=deploy %d", i))
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		asks = append(asks, cmd)
	}
	var approverOut []*bytes.Buffer
	var apps []*exec.Cmd
	for range approvers {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = env("approve", fmt.Sprint("APPROVALTEST_N=", requesters))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		apps = append(apps, cmd)
		approverOut = append(approverOut, &out)
	}
	for i, cmd := range asks {
		if err := cmd.Wait(); err != nil {
			t.Errorf("requester %d: %v (want exit 0: approved)", i, err)
		}
	}
	total := 0
	for i, cmd := range apps {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("approver %d: %v", i, err)
		}
		n, err := strconv.Atoi(strings.TrimSpace(approverOut[i].String()))
		if err != nil {
			t.Fatalf("approver %d printed %q", i, approverOut[i])
		}
		total += n
	}
	if total != requesters {
		t.Fatalf("%d answers took effect across the approver processes, want exactly %d", total, requesters)
	}
	s, err = approval.OpenSQLite(db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	recs, _ := s.List(context.Background(), approval.Filter{})
	for _, r := range recs {
		if r.Status != approval.Approved || r.Used.IsZero() {
			t.Errorf("record %s: %s, used %v; want approved and used", r.ID, r.Status, r.Used)
		}
	}
}
