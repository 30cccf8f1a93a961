package pgstore

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/safeclaw/safeclaw/approval"
	"github.com/safeclaw/safeclaw/approval/approvaltest"
	"github.com/safeclaw/safeclaw/audit"
	"github.com/safeclaw/safeclaw/audit/audittest"
)

// TestFleetSimulation runs decisions from 20 concurrent clients spread over
// 1 and then 3 "instances" (each its own pool and audit stream, as a serve
// process on its own machine), with 1% asks approved by a reviewer on yet
// another handle. Every decision must be audited exactly once, every
// stream must verify, no approval may be used twice. It logs throughput and
// approval release times; it asserts no timing.
func TestFleetSimulation(t *testing.T) {
	if testing.Short() {
		t.Skip("fleet simulation skipped in -short mode")
	}
	schema := newSchema(t)
	for _, instances := range []int{1, 3} {
		t.Run(fmt.Sprintf("instances=%d", instances), func(t *testing.T) {
			fleetRun(t, schema, instances, 20, 2000)
		})
	}
}

func fleetRun(t *testing.T, schema string, instances, clients, decisions int) {
	ctx := context.Background()
	type instance struct {
		trail *Audit
		appr  *Approvals
	}
	run := fmt.Sprintf("run%d", instances)
	var ins []instance
	for i := 0; i < instances; i++ {
		db := openDB(t, schema)
		trail := openAudit(t, db, fmt.Sprintf("%s/host%d", run, i))
		appr := openApprovals(t, db)
		t.Cleanup(func() { trail.Close(); appr.Close() })
		ins = append(ins, instance{trail, appr})
	}
	reviewer := openApprovals(t, openDB(t, schema))
	defer reviewer.Close()

	type ask struct {
		id    string
		start chan time.Time
	}
	asks := make(chan ask, clients)
	go func() { // the reviewer approves every ask it is sent
		for a := range asks {
			a.start <- time.Now()
			if _, err := reviewer.Answer(ctx, a.id, approval.Answer{Approve: true, Approver: "alice", Channel: "cli", Time: time.Now()}); err != nil {
				t.Error(err)
			}
		}
	}()
	var (
		next     atomic.Int64
		mu       sync.Mutex
		releases []time.Duration
		wg       sync.WaitGroup
	)
	start := time.Now()
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := ins[c%instances]
			for {
				i := int(next.Add(1)) - 1
				if i >= decisions {
					return
				}
				rec := audittest.Record(i)
				rec.Session = fmt.Sprintf("%s-%06d", run, i)
				if i%100 == 0 {
					r := approvaltest.Record(rec.Session, time.Now(), time.Minute)
					if err := in.appr.Create(ctx, r); err != nil {
						t.Error(err)
						return
					}
					ch, stop := in.appr.Watch(ctx, r.ID)
					a := ask{r.ID, make(chan time.Time, 1)}
					asks <- a
					var got *approval.Record
					for got == nil || got.Status == approval.Pending {
						select {
						case <-ch:
						case <-time.After(5 * time.Second): // the fallback poll
						}
						var err error
						if got, err = in.appr.Get(ctx, r.ID); err != nil {
							t.Error(err)
							stop()
							return
						}
					}
					released := time.Now()
					stop()
					mu.Lock()
					releases = append(releases, released.Sub(<-a.start))
					mu.Unlock()
					if err := in.appr.Use(ctx, r.ID, r.Hash, time.Now()); err != nil {
						t.Error(err)
						return
					}
					if err := ins[(c+1)%instances].appr.Use(ctx, r.ID, r.Hash, time.Now()); err == nil {
						t.Error("approval used twice")
					}
					rec.Decision = audit.Allow
					rec.Approval = &audit.Approval{ID: r.ID, Outcome: "approved", Approver: got.Answer.Approver, Channel: "cli"}
				}
				if _, err := in.trail.Append(ctx, rec); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(asks)
	elapsed := time.Since(start)

	// Exactly once: every session id once, nothing else from this run.
	reader, err := ins[0].trail.db.Audit(ctx, AuditOptions{Key: testKey(), AllStreams: true})
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	seen := map[string]int{}
	if err := reader.Query(ctx, nil, func(r *audit.Record) error {
		if len(r.Session) > len(run) && r.Session[:len(run)] == run {
			seen[r.Session]++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(seen) != decisions {
		t.Fatalf("%d distinct decisions audited, want %d", len(seen), decisions)
	}
	for s, n := range seen {
		if n != 1 {
			t.Fatalf("decision %s audited %d times", s, n)
		}
	}
	reps, err := reader.VerifyStreams(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reps {
		if !r.Intact {
			t.Fatalf("stream %s does not verify: %v", r.Stream, r.Problems)
		}
	}
	sort.Slice(releases, func(i, j int) bool { return releases[i] < releases[j] })
	n := len(releases)
	t.Logf("%d instances, %d clients: %d audited decisions in %v = %.0f/s total, %.0f/s per instance; %d approvals released p50 %v p99 %v",
		instances, clients, decisions, elapsed.Round(time.Millisecond), float64(decisions)/elapsed.Seconds(),
		float64(decisions)/elapsed.Seconds()/float64(instances), n, releases[n/2], releases[n*99/100])
}
