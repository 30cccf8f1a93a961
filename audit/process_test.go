package audit

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestHelperProcess is not a test: the process tests re-execute the test
// binary with AUDIT_HELPER set, so that real processes contend for the lock.
func TestHelperProcess(t *testing.T) {
	mode := os.Getenv("AUDIT_HELPER")
	if mode == "" {
		t.Skip("helper process only")
	}
	worker := os.Getenv("AUDIT_WORKER")
	n, _ := strconv.Atoi(os.Getenv("AUDIT_N"))
	maxSeg, _ := strconv.ParseInt(os.Getenv("AUDIT_MAXSEG"), 10, 64)
	open := func() *FileStore {
		s, err := OpenFile(os.Getenv("AUDIT_DIR"), FileOptions{KeyFile: os.Getenv("AUDIT_KEY"), Durable: true, MaxSegmentBytes: maxSeg})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		return s
	}
	ctx := context.Background()
	switch mode {
	case "append":
		s := open()
		for i := 0; i < n; i++ {
			if i%50 == 49 { // short-lived hook processes open the store each time
				s.Close()
				s = open()
			}
			r := sampleRecord(i)
			r.Agent, r.Session = "w"+worker, strconv.Itoa(i)
			if _, err := s.Append(ctx, r); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
		}
	case "crash":
		s := open()
		s.splitWrites = time.Millisecond
		out := bufio.NewWriter(os.Stdout)
		for i := 0; ; i++ {
			r := sampleRecord(i)
			r.Agent, r.Session = "c"+worker, strconv.Itoa(i)
			seq, err := s.Append(ctx, r)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			// Acknowledged: tell the parent at once.
			fmt.Fprintf(out, "%d %s %d\n", seq, r.Agent, i)
			out.Flush()
		}
	}
	os.Exit(0)
}

func helperCmd(t *testing.T, mode, dir, key, worker string, n int, maxSeg int64) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), "AUDIT_HELPER="+mode, "AUDIT_DIR="+dir, "AUDIT_KEY="+key,
		"AUDIT_WORKER="+worker, "AUDIT_N="+strconv.Itoa(n), "AUDIT_MAXSEG="+strconv.FormatInt(maxSeg, 10))
	return cmd
}

// Many processes append at once: one unforked chain, nothing lost.
func TestConcurrentProcesses(t *testing.T) {
	procs, n := 16, 500
	if testing.Short() {
		n = 60
	}
	home := t.TempDir()
	dir, key := filepath.Join(home, "audit"), filepath.Join(home, "keys", "audit.key")
	var wg sync.WaitGroup
	errs := make([]error, procs)
	outs := make([][]byte, procs)
	for w := 0; w < procs; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[w], errs[w] = helperCmd(t, "append", dir, key, strconv.Itoa(w), n, 256<<10).CombinedOutput()
		}()
	}
	wg.Wait()
	for w, err := range errs {
		if err != nil {
			t.Fatalf("worker %d: %v\n%s", w, err, outs[w])
		}
	}
	s, err := OpenFile(dir, FileOptions{KeyFile: key})
	if err != nil {
		t.Fatal(err)
	}
	rep := mustVerify(t, s)
	if !rep.Intact || rep.Records != uint64(procs*n) || rep.LastSeq != uint64(procs*n) || rep.Torn != nil {
		t.Fatalf("after %d×%d appends: %+v", procs, n, rep)
	}
	seen := map[string]bool{}
	s.Query(context.Background(), nil, func(r *Record) error {
		k := r.Agent + "/" + r.Session
		if seen[k] {
			t.Errorf("record %s twice", k)
		}
		seen[k] = true
		return nil
	})
	if len(seen) != procs*n {
		t.Fatalf("%d distinct records, want %d", len(seen), procs*n)
	}
	t.Logf("%d processes × %d records, %d segments", procs, n, rep.Segments)
}

// Writers killed with SIGKILL, some in the middle of a line: verify and
// repair leave a valid chain holding every acknowledged record.
func TestCrashedWriters(t *testing.T) {
	rounds := 12
	if testing.Short() {
		rounds = 4
	}
	home := t.TempDir()
	dir, key := filepath.Join(home, "audit"), filepath.Join(home, "keys", "audit.key")
	acked := map[uint64]string{} // seq → agent/index
	rng := rand.New(rand.NewPCG(1, 2))
	torn := 0
	for round := 0; round < rounds; round++ {
		var wg sync.WaitGroup
		var mu sync.Mutex
		for w := 0; w < 2; w++ {
			cmd := helperCmd(t, "crash", dir, key, fmt.Sprintf("%d-%d", round, w), 0, 16<<10)
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				sc := bufio.NewScanner(stdout)
				for sc.Scan() {
					f := strings.Fields(sc.Text())
					if len(f) != 3 {
						continue // the kill cut the acknowledgement: not acknowledged
					}
					seq, _ := strconv.ParseUint(f[0], 10, 64)
					mu.Lock()
					acked[seq] = f[1] + "/" + f[2]
					mu.Unlock()
				}
			}()
			delay := time.Duration(20+rng.IntN(80)) * time.Millisecond
			go func() {
				time.Sleep(delay)
				cmd.Process.Signal(syscall.SIGKILL)
			}()
			defer func() {
				err := cmd.Wait()
				if !strings.Contains(fmt.Sprint(err), "killed") {
					t.Errorf("writer ended with %v: %s", err, stderr.String())
				}
			}()
		}
		wg.Wait()
		if segs, _ := filepath.Glob(filepath.Join(dir, "seg-*")); len(segs) > 0 {
			if data, _ := os.ReadFile(segs[len(segs)-1]); len(data) > 0 && data[len(data)-1] != '\n' {
				torn++ // the next writer (or repair) removes it
			}
		}
	}
	s, err := OpenFile(dir, FileOptions{KeyFile: key})
	if err != nil {
		t.Fatal(err)
	}
	rep := mustVerify(t, s)
	if !rep.Intact {
		t.Fatalf("after crashes: %v", rep.Problems)
	}
	if rep.Torn != nil {
		if _, err := s.Repair(context.Background()); err != nil {
			t.Fatal(err)
		}
		if rep = mustVerify(t, s); !rep.Intact || rep.Torn != nil {
			t.Fatalf("after repair: %+v", rep)
		}
	}
	stored := map[uint64]string{}
	s.Query(context.Background(), nil, func(r *Record) error {
		stored[r.Seq] = r.Agent + "/" + r.Session
		return nil
	})
	for seq, who := range acked {
		if stored[seq] != who {
			t.Errorf("acknowledged seq %d (%s) stored as %q", seq, who, stored[seq])
		}
	}
	if len(acked) == 0 {
		t.Fatal("no append was acknowledged")
	}
	t.Logf("%d rounds: %d acknowledged, %d stored, %d segments, %d rounds left a torn line", rounds, len(acked), rep.Records, rep.Segments, torn)
}
