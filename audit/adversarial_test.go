package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// Tampering by someone who can write the log directory but not read the key,
// beyond the classes of TestVerifyDetectsTampering: byte-level JSON tricks
// that leave every decoded value the same, and layout changes.
func TestVerifyDetectsJSONTricks(t *testing.T) {
	const n = 8
	member := func(l []byte, name string) (int, int) {
		i := bytes.Index(l, []byte(`"`+name+`":"`))
		return i, i + len(name) + 4 + 65
	}
	tests := []struct {
		name   string
		tamper func(l []byte) []byte
		kind   string
	}{
		{"hash member moved to the end", func(l []byte) []byte {
			i, j := member(l, "hash")
			m := slices.Clone(l[i:j])
			out := append(slices.Clone(l[:i]), l[j+1:len(l)-1]...)
			return append(append(append(out, ','), m...), '}')
		}, ProblemMalformed},
		{"mac member moved to the front", func(l []byte) []byte {
			i, j := member(l, "mac")
			m := slices.Clone(l[i:j])
			out := append([]byte("{"), m...)
			out = append(append(out, ','), l[1:i]...)
			return append(out, l[j+1:]...)
		}, ProblemMalformed},
		{"hash member repeated", func(l []byte) []byte {
			i, j := member(l, "hash")
			return slices.Concat(l[:j], []byte(","), l[i:j], l[j:])
		}, ProblemMalformed},
		{"unicode escape for a plain letter", func(l []byte) []byte {
			return bytes.Replace(l, []byte(`"type":"decision"`), []byte(`"type":"\u0064ecision"`), 1)
		}, ProblemEdited},
		{"number written another way", func(l []byte) []byte {
			return bytes.Replace(l, []byte(`"latency_us":4`), []byte(`"latency_us":4.0e0`), 1)
		}, ProblemEdited},
		{"white space", func(l []byte) []byte { return bytes.Replace(l, []byte(`","`), []byte(`", "`), 1) }, ProblemMalformed},
		{"trailing data", func(l []byte) []byte { return append(slices.Clone(l), ` {}`...) }, ProblemMalformed},
		{"CRLF line end", func(l []byte) []byte { return append(slices.Clone(l), '\r') }, ProblemMalformed},
		{"seq with a leading zero", func(l []byte) []byte {
			return bytes.Replace(l, []byte(`"seq":3,`), []byte(`"seq":03,`), 1)
		}, ProblemMalformed},
		{"key re-spelt with an escape", func(l []byte) []byte {
			return bytes.Replace(l, []byte(`"reason":`), []byte(`"re\u0061son":`), 1)
		}, ""},
		// Same JSON meaning, other bytes: each is reported at its record.
		{"seq as 3.0", func(l []byte) []byte {
			return bytes.Replace(l, []byte(`"seq":3,`), []byte(`"seq":3.0,`), 1)
		}, ProblemMalformed},
		{"member repeated with the same value", func(l []byte) []byte {
			return bytes.Replace(l, []byte(`"agent":"claude",`), []byte(`"agent":"claude","agent":"claude",`), 1)
		}, ProblemMalformed},
		{"nested member repeated", func(l []byte) []byte {
			return bytes.Replace(l, []byte(`"tool":"Write"}`), []byte(`"tool":"Write","tool":"Write"}`), 1)
		}, ProblemEdited},
		{"nested members reordered", func(l []byte) []byte {
			return bytes.Replace(l, []byte(`"list":[true,null,"x"],"n":3.5`), []byte(`"n":3.5,"list":[true,null,"x"]`), 1)
		}, ProblemEdited},
		{"escaped solidus", func(l []byte) []byte {
			return bytes.Replace(l, []byte(`/`), []byte(`\/`), 1)
		}, ProblemEdited},
		{"byte order mark", func(l []byte) []byte { return append([]byte("\ufeff"), l...) }, ProblemMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestStore(t, FileOptions{})
			appendN(t, s, n)
			seg := segPaths(t, s)[0]
			lines := readLinesOf(t, seg)
			changed := tt.tamper(lines[2])
			if bytes.Equal(changed, lines[2]) {
				t.Fatal("tamper changed nothing")
			}
			lines[2] = changed
			writeLines(t, seg, lines)
			wantFirstBad(t, mustVerify(t, s), tt.kind, 3)
		})
	}
}

func TestVerifyDetectsLayoutChanges(t *testing.T) {
	ctx := context.Background()
	setup := func(t *testing.T) (*FileStore, []string) {
		s := newTestStore(t, FileOptions{MaxSegmentBytes: 4096})
		appendN(t, s, 40)
		segs := segPaths(t, s)
		if len(segs) < 4 {
			t.Fatalf("%d segments", len(segs))
		}
		return s, segs
	}
	t.Run("last record of a segment moved into the next", func(t *testing.T) {
		s, segs := setup(t)
		a, b := readLinesOf(t, segs[1]), readLinesOf(t, segs[2])
		moved := a[len(a)-1]
		writeLines(t, segs[1], a[:len(a)-1])
		writeLines(t, segs[2], append([][]byte{moved}, b...))
		r, _ := decodeRecord(moved)
		wantFirstBad(t, mustVerify(t, s), ProblemMisplaced, r.Seq)
	})
	t.Run("segment renamed", func(t *testing.T) {
		// Query finds records by segment names: a renamed segment hides
		// records from `audit --filter` with a start, so verify must object.
		s, segs := setup(t)
		first, _ := segmentFirst(filepath.Base(segs[2]))
		next, _ := segmentFirst(filepath.Base(segs[3]))
		os.Rename(segs[2], filepath.Join(s.dir, segmentName(next-1)))
		wantFirstBad(t, mustVerify(t, s), ProblemMisplaced, first)
	})
	t.Run("record moved into the last segment", func(t *testing.T) {
		// Every link holds, but appends continue from where the head says
		// the trail ends: verify must not call intact what append refuses.
		s, segs := setup(t)
		last := len(segs) - 1
		a, b := readLinesOf(t, segs[last-1]), readLinesOf(t, segs[last])
		writeLines(t, segs[last-1], a[:len(a)-1])
		writeLines(t, segs[last], append([][]byte{a[len(a)-1]}, b...))
		rep := mustVerify(t, s)
		if rep.Intact {
			t.Fatal("verify passed")
		}
		kinds := map[string]bool{}
		for _, p := range rep.Problems {
			kinds[p.Kind] = true
		}
		if !kinds[ProblemMisplaced] || len(kinds) != 1 {
			t.Fatalf("problems %v", rep.Problems)
		}
		if _, err := s.Append(ctx, sampleRecord(1)); !errors.Is(err, ErrTampered) {
			t.Fatalf("append: %v", err)
		}
	})
	t.Run("segment from another trail with the same key", func(t *testing.T) {
		s, segs := setup(t)
		other, err := OpenFile(filepath.Join(t.TempDir(), "audit"), FileOptions{KeyFile: s.opts.KeyFile, MaxSegmentBytes: 4096, Now: s.opts.Now})
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		for i := 0; i < 40; i++ {
			r := sampleRecord(i)
			r.Session = "other"
			if _, err := other.Append(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		name := filepath.Base(segs[1])
		data, err := os.ReadFile(filepath.Join(other.dir, name))
		if err != nil {
			t.Skipf("other trail has no %s", name)
		}
		os.WriteFile(segs[1], data, 0o600)
		first, _ := segmentFirst(name)
		wantFirstBad(t, mustVerify(t, s), "", first)
	})
}

func TestVerifyHeadForms(t *testing.T) {
	tests := []struct{ name, from, to string }{
		{"trailing data", `"v":1}`, `"v":1}{"v":2}`},
		{"repeated member", `"v":1}`, `"v":1,"v":1}`},
		{"key in another case", `"v":1}`, `"V":1}`},
		{"number written another way", `"v":1}`, `"v":1.0}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestStore(t, FileOptions{})
			appendN(t, s, 5)
			head := filepath.Join(s.dir, headFile)
			data, _ := os.ReadFile(head)
			changed := bytes.Replace(data, []byte(tt.from), []byte(tt.to), 1)
			if bytes.Equal(changed, data) {
				t.Fatal("tamper changed nothing")
			}
			os.WriteFile(head, changed[:len(data)], 0o600)
			wantFirstBad(t, mustVerify(t, s), ProblemHeadInvalid, 6)
			if _, err := s.Append(context.Background(), sampleRecord(1)); !errors.Is(err, ErrTampered) {
				t.Fatalf("append: %v", err)
			}
		})
	}
}

// An old head put back while the log is cut shorter than the real end but
// longer than that head cannot be told from a writer that stopped before
// sealing: it is reported as a note, not a problem (docs/audit.md lists it).
func TestOldHeadWithLogCutPastIt(t *testing.T) {
	s := newTestStore(t, FileOptions{})
	appendN(t, s, 5)
	head := filepath.Join(s.dir, headFile)
	old, _ := os.ReadFile(head)
	appendN(t, s, 10)
	os.WriteFile(head, old, 0o600)
	seg := segPaths(t, s)[0]
	writeLines(t, seg, readLinesOf(t, seg)[:9])
	rep := mustVerify(t, s)
	if !rep.Intact || len(rep.Notes) == 0 || rep.HeadSeq != 5 || rep.LastSeq != 9 {
		t.Fatalf("report %+v", rep)
	}
}

// A line longer than any record is reported, not held in memory; appends
// refuse to build after it and queries skip it.
func TestVeryLongLine(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, FileOptions{})
	appendN(t, s, 3)
	seg := segPaths(t, s)[0]
	f, err := os.OpenFile(seg, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := f.Stat()
	// A hole reads as zeros: a 65 MiB line that costs no disk.
	f.Truncate(fi.Size() + maxLineBytes + 1<<20)
	f.WriteAt([]byte("\n"), fi.Size()+maxLineBytes+1<<20)
	f.Close()
	rep := mustVerify(t, s)
	p, ok := rep.FirstBad()
	if !ok || p.Kind != ProblemMalformed || p.Seq != 4 || !strings.Contains(p.Message, "longer than") {
		t.Fatalf("report %+v", rep)
	}
	if _, err := s.Append(ctx, sampleRecord(1)); !errors.Is(err, ErrTampered) {
		t.Fatalf("append: %v", err)
	}
	n := 0
	if err := s.Query(ctx, nil, func(*Record) error { n++; return nil }); err != nil || n != 3 {
		t.Fatalf("query: %d records, %v", n, err)
	}
	n = 0
	if err := s.Query(ctx, &Filter{Newest: 10}, func(*Record) error { n++; return nil }); err != nil || n != 3 {
		t.Fatalf("query newest: %d records, %v", n, err)
	}
}

// Crash states: after each, verify says what happened and the next append
// continues one valid chain.
func TestCrashStates(t *testing.T) {
	ctx := context.Background()
	type state struct {
		head []byte
		segs map[string][]byte
	}
	capture := func(t *testing.T, s *FileStore) state {
		st := state{segs: map[string][]byte{}}
		st.head, _ = os.ReadFile(filepath.Join(s.dir, headFile))
		for _, p := range segPaths(t, s) {
			st.segs[filepath.Base(p)], _ = os.ReadFile(p)
		}
		return st
	}
	restore := func(t *testing.T, s *FileStore, st state) {
		for _, p := range segPaths(t, s) {
			os.Remove(p)
		}
		for name, data := range st.segs {
			os.WriteFile(filepath.Join(s.dir, name), data, 0o600)
		}
		os.WriteFile(filepath.Join(s.dir, headFile), st.head, 0o600)
	}
	// before is a trail just short of a rotation; after is the same trail
	// once a batch of three crossed into a new segment.
	setup := func(t *testing.T) (*FileStore, state, state, string) {
		s := newTestStore(t, FileOptions{MaxSegmentBytes: 4096})
		for {
			appendN(t, s, 1)
			segs := segPaths(t, s)
			fi, _ := os.Stat(segs[len(segs)-1])
			if len(segs) == 1 && fi.Size() > 4096-800 {
				break
			}
		}
		before := capture(t, s)
		if _, err := s.AppendBatch(ctx, []*Record{sampleRecord(1), sampleRecord(2), sampleRecord(3)}); err != nil {
			t.Fatal(err)
		}
		after := capture(t, s)
		var added string
		for name := range after.segs {
			if _, ok := before.segs[name]; !ok {
				added = name
			}
		}
		if added == "" {
			t.Fatal("the batch did not rotate")
		}
		return s, before, after, added
	}
	check := func(t *testing.T, s *FileStore, wantIntact bool, wantNote, wantTorn bool) {
		t.Helper()
		rep := mustVerify(t, s)
		if rep.Intact != wantIntact || (len(rep.Notes) > 0) != wantNote || (rep.Torn != nil) != wantTorn {
			t.Fatalf("verify: %+v", rep)
		}
		seq, err := s.Append(ctx, sampleRecord(9))
		if err != nil {
			t.Fatalf("append after the crash: %v", err)
		}
		rep = mustVerify(t, s)
		if !rep.Intact || rep.LastSeq != seq || len(rep.Notes) > 0 || rep.Torn != nil {
			t.Fatalf("after the next append: %+v", rep)
		}
	}
	t.Run("record written, head not", func(t *testing.T) {
		s := newTestStore(t, FileOptions{})
		appendN(t, s, 3)
		st := capture(t, s)
		appendN(t, s, 1)
		st.segs = capture(t, s).segs
		restore(t, s, st)
		check(t, s, true, true, false)
	})
	t.Run("new segment created, nothing in it", func(t *testing.T) {
		s, before, _, added := setup(t)
		st := before
		st.segs = maps(before.segs)
		st.segs[added] = nil
		restore(t, s, st)
		check(t, s, true, false, false)
		if _, err := os.Stat(filepath.Join(s.dir, added)); err != nil {
			t.Fatalf("the new segment went away: %v", err)
		}
	})
	t.Run("old segment written, new segment created, head not written", func(t *testing.T) {
		s, before, after, added := setup(t)
		st := after
		st.head = before.head
		st.segs = maps(after.segs)
		st.segs[added] = nil
		restore(t, s, st)
		// A note when part of the batch went to the old segment.
		grew := false
		for name, data := range before.segs {
			grew = grew || len(after.segs[name]) > len(data)
		}
		check(t, s, true, grew, false)
	})
	t.Run("new segment torn, head not written", func(t *testing.T) {
		s, before, after, added := setup(t)
		st := after
		st.head = before.head
		st.segs = maps(after.segs)
		st.segs[added] = after.segs[added][:len(after.segs[added])/2]
		restore(t, s, st)
		rep := mustVerify(t, s)
		if rep.Torn == nil {
			t.Fatalf("no torn tail: %+v", rep)
		}
		check(t, s, rep.Intact, len(rep.Notes) > 0, true)
	})
	t.Run("batch written to both segments, head not written", func(t *testing.T) {
		s, before, after, _ := setup(t)
		st := after
		st.head = before.head
		restore(t, s, st)
		check(t, s, true, true, false)
	})
	t.Run("records lost by a machine crash, empty new segment kept", func(t *testing.T) {
		// Buffered mode: the new segment's name reached the disk, the
		// records before it did not. The next record is not the one the
		// name announces, so the append starts a proper segment.
		s, before, _, _ := setup(t)
		st := before
		st.segs = maps(before.segs)
		first, _ := segmentFirst(filepath.Base(segPaths(t, s)[len(segPaths(t, s))-1]))
		st.segs[segmentName(first+50)] = nil
		restore(t, s, st)
		check(t, s, true, false, false)
		for _, p := range segPaths(t, s) {
			if strings.HasSuffix(p, segmentName(first+50)) {
				t.Fatal("misnamed empty segment still there")
			}
		}
	})
}

func maps(m map[string][]byte) map[string][]byte {
	out := make(map[string][]byte, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// A full disk in the middle of a batch that crosses into a new segment: the
// batch fails as a whole and nothing of it stays (its callers deny, so the
// trail must not say they were decided); once there is room, appends go on.
func TestFullDiskInBatch(t *testing.T) {
	ctx := context.Background()
	for _, durable := range []bool{false, true} {
		t.Run(fmt.Sprint("durable=", durable), func(t *testing.T) {
			s := newTestStore(t, FileOptions{MaxSegmentBytes: 4096, Durable: durable})
			appendN(t, s, 3)
			headBefore, _ := os.ReadFile(filepath.Join(s.dir, headFile))
			segsBefore := segPaths(t, s)
			for _, left := range []int64{0, 100, 3000, 6000} {
				s.diskLeft = &left
				var batch []*Record
				for i := 0; i < 20; i++ {
					batch = append(batch, sampleRecord(i))
				}
				if _, err := s.AppendBatch(ctx, batch); err == nil {
					t.Fatalf("batch with %d bytes of room succeeded", left)
				}
				rep := mustVerify(t, s)
				if !rep.Intact || rep.LastSeq != 3 || rep.Torn != nil || len(rep.Notes) > 0 {
					t.Fatalf("after a full disk (%d bytes of room): %+v", left, rep)
				}
				if h, _ := os.ReadFile(filepath.Join(s.dir, headFile)); !bytes.Equal(h, headBefore) {
					t.Fatal("head changed")
				}
				if got := segPaths(t, s); !slices.Equal(got, segsBefore) {
					t.Fatalf("segments %v, want %v", got, segsBefore)
				}
			}
			s.diskLeft = nil
			if seq, err := s.AppendBatch(ctx, []*Record{sampleRecord(1), sampleRecord(2)}); err != nil || seq != 5 {
				t.Fatalf("append with room again: %d, %v", seq, err)
			}
			if rep := mustVerify(t, s); !rep.Intact || rep.LastSeq != 5 {
				t.Fatalf("%+v", rep)
			}
		})
	}
}

// A retention that fails after the records were stored does not fail the
// append: the caller would deny what the trail says was decided.
func TestRetentionFailureKeepsAppend(t *testing.T) {
	s := newTestStore(t, FileOptions{MaxSegmentBytes: 4096, RetainSegments: 2})
	appendN(t, s, 20)
	segs := segPaths(t, s)
	// The oldest segment becomes something retention cannot read.
	os.Remove(segs[0])
	os.Mkdir(segs[0], 0o700)
	os.WriteFile(filepath.Join(segs[0], "x"), nil, 0o600)
	for i := 0; i < 40; i++ {
		if _, err := s.Append(context.Background(), sampleRecord(i)); err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
	}
}

// Goroutines with stores of their own on one directory, with rotation and
// retention, contend like hook processes do: one chain, nothing lost.
func TestSeparateStoresConcurrently(t *testing.T) {
	ctx := context.Background()
	home := t.TempDir()
	dir, key := filepath.Join(home, "audit"), filepath.Join(home, "audit.key")
	const workers, each = 4, 60
	var wg sync.WaitGroup
	seqs := make(chan uint64, workers*each)
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Go(func() {
			s, err := OpenFile(dir, FileOptions{KeyFile: key, MaxSegmentBytes: 4096, RetainSegments: 4})
			if err != nil {
				errs <- err
				return
			}
			defer s.Close()
			for i := 0; i < each; i++ {
				r := sampleRecord(i)
				r.Agent = fmt.Sprint("w", w)
				seq, err := s.Append(ctx, r)
				if err != nil {
					errs <- err
					return
				}
				seqs <- seq
			}
		})
	}
	wg.Wait()
	close(seqs)
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	seen := map[uint64]bool{}
	for q := range seqs {
		if seen[q] {
			t.Fatalf("seq %d acknowledged twice", q)
		}
		seen[q] = true
	}
	s, _ := OpenFile(dir, FileOptions{KeyFile: key})
	defer s.Close()
	rep := mustVerify(t, s)
	if !rep.Intact || rep.Pruned == 0 {
		t.Fatalf("%+v", rep)
	}
	// Every acknowledged record not pruned is in the trail.
	n := 0
	s.Query(ctx, nil, func(r *Record) error {
		if r.Type == TypeDecision && !seen[r.Seq] {
			t.Errorf("seq %d stored but never acknowledged", r.Seq)
		}
		n++
		return nil
	})
	if uint64(n) != rep.Records {
		t.Fatalf("query saw %d records, verify %d", n, rep.Records)
	}
}

// A field an agent can set must not rewrite the reader's terminal.
func TestFormatLineEscapes(t *testing.T) {
	r := sampleRecord(0)
	r.Seq, r.Time = 7, t0
	r.Agent = "claude\x1b[2K\r#8 [ALLOWED]"
	r.Rule.Source = "p.yaml:3\n#9"
	r.Approval = &Approval{Outcome: "approved\x07", Approver: "bob\u202e"}
	r.Mode = "shadow\x1b]0;x\x07"
	line := FormatLine(r)
	for _, c := range line {
		if c < 0x20 || c == 0x7f || c == '\u202e' {
			t.Fatalf("control character %U in %q", c, line)
		}
	}
	if !strings.Contains(line, `claude\x1b[2K\r#8`) {
		t.Fatalf("line %q", line)
	}
}
