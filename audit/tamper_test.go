package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// editLine applies f to the decoded record on line i (0-based) and
// re-encodes it canonically, leaving hash and mac as they were.
func editLine(t *testing.T, line []byte, f func(r *Record)) []byte {
	t.Helper()
	r, err := decodeRecord(line)
	if err != nil {
		t.Fatal(err)
	}
	f(r)
	out, err := appendRecord(nil, r, true)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// rechain recomputes prev and hash of lines[from:] the way a forger without
// the key would, keeping (now wrong) macs; with forgeKey it also reseals
// them with that key.
func rechain(t *testing.T, lines [][]byte, from int, forgeKey *Key) {
	t.Helper()
	var prev [32]byte
	if from > 0 {
		r, _ := decodeRecord(lines[from-1])
		hex.Decode(prev[:], []byte(r.Hash))
	}
	var seal *sealer
	if forgeKey != nil {
		seal = newSealer(forgeKey)
	}
	for i := from; i < len(lines); i++ {
		r, err := decodeRecord(lines[i])
		if err != nil {
			t.Fatal(err)
		}
		r.Prev = hex.EncodeToString(prev[:])
		u, _ := appendRecord(nil, r, false)
		h := sha256.Sum256(append(prev[:], u...))
		r.Hash = hex.EncodeToString(h[:])
		if seal != nil {
			r.MAC = hex.EncodeToString(seal.record(r.Seq, h[:]))
		}
		lines[i], _ = appendRecord(nil, r, true)
		prev = h
	}
}

func wantFirstBad(t *testing.T, rep *Report, kind string, seq uint64) {
	t.Helper()
	p, ok := rep.FirstBad()
	if rep.Intact || !ok {
		t.Fatalf("verify passed a tampered trail: %+v", rep)
	}
	if p.Seq != seq || (kind != "" && p.Kind != kind) {
		t.Fatalf("first problem = %v, want %s at seq %d (all: %v)", p, kind, seq, rep.Problems)
	}
}

func TestVerifyDetectsTampering(t *testing.T) {
	const n = 20
	tests := []struct {
		name   string
		tamper func(t *testing.T, lines [][]byte) [][]byte
		kind   string
		seq    uint64
	}{
		{"edited field", func(t *testing.T, l [][]byte) [][]byte {
			l[4] = editLine(t, l[4], func(r *Record) { r.Decision = Allow })
			return l
		}, ProblemEdited, 5},
		{"edited bytes", func(t *testing.T, l [][]byte) [][]byte {
			edited := bytes.Replace(l[8], []byte(`"deny"`), []byte(`"allow"`), 1)
			if bytes.Equal(edited, l[8]) {
				t.Fatal("nothing edited")
			}
			l[8] = edited
			return l
		}, ProblemEdited, 9},
		{"edited last record", func(t *testing.T, l [][]byte) [][]byte {
			l[n-1] = editLine(t, l[n-1], func(r *Record) { r.Agent = "nobody" })
			return l
		}, ProblemEdited, n},
		{"edited seq", func(t *testing.T, l [][]byte) [][]byte {
			l[9] = editLine(t, l[9], func(r *Record) { r.Seq = 30 })
			return l
		}, ProblemMissing, 10},
		{"deleted first record", func(t *testing.T, l [][]byte) [][]byte { return l[1:] }, ProblemMissing, 1},
		{"deleted first three", func(t *testing.T, l [][]byte) [][]byte { return l[3:] }, ProblemMissing, 1},
		{"deleted middle record", func(t *testing.T, l [][]byte) [][]byte {
			return append(l[:7:7], l[8:]...)
		}, ProblemMissing, 8},
		{"deleted last record", func(t *testing.T, l [][]byte) [][]byte { return l[:n-1] }, ProblemTruncated, n},
		{"deleted last five", func(t *testing.T, l [][]byte) [][]byte { return l[:n-5] }, ProblemTruncated, n - 4},
		{"emptied", func(t *testing.T, l [][]byte) [][]byte { return nil }, ProblemTruncated, 1},
		{"reordered", func(t *testing.T, l [][]byte) [][]byte {
			l[4], l[5] = l[5], l[4]
			return l
		}, ProblemReordered, 5},
		{"duplicated", func(t *testing.T, l [][]byte) [][]byte {
			return append(l[:6:6], append([][]byte{l[4]}, l[6:]...)...)
		}, ProblemReordered, 5},
		{"stripped links", func(t *testing.T, l [][]byte) [][]byte {
			for i := range l {
				l[i] = editLine(t, l[i], func(r *Record) { r.Prev = "" })
			}
			return l
		}, ProblemBrokenLink, 1},
		{"renamed links", func(t *testing.T, l [][]byte) [][]byte {
			for i := range l {
				l[i] = bytes.Replace(l[i], []byte(`"prev":"`), []byte(`"prev_":"`), 1)
			}
			return l
		}, ProblemBrokenLink, 1},
		{"chain recomputed after an edit", func(t *testing.T, l [][]byte) [][]byte {
			l[4] = editLine(t, l[4], func(r *Record) { r.Decision = Allow })
			rechain(t, l, 4, nil)
			return l
		}, ProblemUnsealed, 5},
		{"chain recomputed and resealed with another key", func(t *testing.T, l [][]byte) [][]byte {
			l[11] = editLine(t, l[11], func(r *Record) { r.Request = "ls" })
			rechain(t, l, 0, &Key{1, 2, 3})
			return l
		}, ProblemUnsealed, 1},
		{"seal deleted", func(t *testing.T, l [][]byte) [][]byte {
			l[8] = editLine(t, l[8], func(r *Record) { r.MAC = "" })
			return l
		}, ProblemUnsealed, 9},
		{"seal rolled back to another record's", func(t *testing.T, l [][]byte) [][]byte {
			r, _ := decodeRecord(l[2])
			l[3] = editLine(t, l[3], func(x *Record) { x.MAC = r.MAC })
			return l
		}, ProblemUnsealed, 4},
		{"garbage line", func(t *testing.T, l [][]byte) [][]byte {
			l[2] = []byte("hello")
			return l
		}, ProblemMalformed, 3},
		{"record injected", func(t *testing.T, l [][]byte) [][]byte {
			extra := editLine(t, l[3], func(r *Record) { r.Request = "injected" })
			return append(l[:4:4], append([][]byte{extra}, l[4:]...)...)
		}, ProblemReordered, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestStore(t, FileOptions{})
			appendN(t, s, n)
			if rep := mustVerify(t, s); !rep.Intact {
				t.Fatalf("fresh trail not intact: %v", rep.Problems)
			}
			seg := segPaths(t, s)[0]
			writeLines(t, seg, tt.tamper(t, readLinesOf(t, seg)))
			wantFirstBad(t, mustVerify(t, s), tt.kind, tt.seq)
			// Appends refuse to build on a trail whose end disagrees with the head.
			if tt.kind == ProblemTruncated {
				if _, err := s.Append(context.Background(), sampleRecord(0)); !errors.Is(err, ErrTampered) {
					t.Fatalf("append after truncation: %v, want ErrTampered", err)
				}
			}
		})
	}
}

func TestVerifyHead(t *testing.T) {
	ctx := context.Background()
	setup := func(t *testing.T) (*FileStore, string) {
		s := newTestStore(t, FileOptions{})
		appendN(t, s, 10)
		return s, filepath.Join(s.dir, headFile)
	}
	t.Run("deleted", func(t *testing.T) {
		s, head := setup(t)
		os.Remove(head)
		wantFirstBad(t, mustVerify(t, s), ProblemHeadMissing, 11)
		if _, err := s.Append(ctx, sampleRecord(1)); !errors.Is(err, ErrTampered) {
			t.Fatalf("append without head: %v", err)
		}
	})
	t.Run("deleted with the log truncated", func(t *testing.T) {
		s, head := setup(t)
		os.Remove(head)
		seg := segPaths(t, s)[0]
		writeLines(t, seg, readLinesOf(t, seg)[:4])
		wantFirstBad(t, mustVerify(t, s), ProblemHeadMissing, 5)
	})
	t.Run("edited", func(t *testing.T) {
		s, head := setup(t)
		data, _ := os.ReadFile(head)
		data = bytes.Replace(data, []byte(`"seq":10`), []byte(`"seq":9`), 1)
		os.WriteFile(head, data, 0o600)
		wantFirstBad(t, mustVerify(t, s), ProblemHeadInvalid, 11)
	})
	t.Run("forged with another key", func(t *testing.T) {
		s, head := setup(t)
		other := newTestStore(t, FileOptions{})
		appendN(t, other, 3)
		data, _ := os.ReadFile(filepath.Join(other.dir, headFile))
		os.WriteFile(head, data, 0o600)
		wantFirstBad(t, mustVerify(t, s), ProblemHeadInvalid, 11)
	})
	t.Run("rolled back and log truncated below it", func(t *testing.T) {
		s := newTestStore(t, FileOptions{})
		appendN(t, s, 5)
		head := filepath.Join(s.dir, headFile)
		old, _ := os.ReadFile(head)
		appendN(t, s, 5)
		os.WriteFile(head, old, 0o600)
		seg := segPaths(t, s)[0]
		writeLines(t, seg, readLinesOf(t, seg)[:3])
		wantFirstBad(t, mustVerify(t, s), ProblemTruncated, 4)
	})
	t.Run("rolled back alone", func(t *testing.T) {
		// The records after an old head still verify on their own seals.
		s := newTestStore(t, FileOptions{})
		appendN(t, s, 5)
		head := filepath.Join(s.dir, headFile)
		old, _ := os.ReadFile(head)
		appendN(t, s, 5)
		os.WriteFile(head, old, 0o600)
		rep := mustVerify(t, s)
		if !rep.Intact || len(rep.Notes) == 0 {
			t.Fatalf("report %+v", rep)
		}
	})
	t.Run("rolled back with the log truncated to match (documented limitation)", func(t *testing.T) {
		s := newTestStore(t, FileOptions{})
		appendN(t, s, 5)
		head := filepath.Join(s.dir, headFile)
		old, _ := os.ReadFile(head)
		seg := segPaths(t, s)[0]
		oldSeg, _ := os.ReadFile(seg)
		appendN(t, s, 5)
		os.WriteFile(head, old, 0o600)
		os.WriteFile(seg, oldSeg, 0o600)
		// A consistent earlier state of everything local cannot be told
		// from the real one; docs/audit.md says so (external anchoring).
		if rep := mustVerify(t, s); !rep.Intact {
			t.Fatalf("unexpected: %+v", rep)
		}
	})
}

func TestTornTail(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, FileOptions{})
	appendN(t, s, 5)
	seg := segPaths(t, s)[0]
	good, _ := os.ReadFile(seg)
	torn := append(append([]byte(nil), good...), []byte(`{"actions":[{"action":"shell.exec`)...)
	os.WriteFile(seg, torn, 0o600)

	rep := mustVerify(t, s)
	if !rep.Intact || rep.Torn == nil || rep.Torn.Bytes != int64(len(torn)-len(good)) {
		t.Fatalf("torn tail report: %+v", rep)
	}
	removed, err := s.Repair(ctx)
	if err != nil || removed == nil || removed.Offset != int64(len(good)) {
		t.Fatalf("repair = %+v, %v", removed, err)
	}
	if got, _ := os.ReadFile(seg); !bytes.Equal(got, good) {
		t.Fatal("repair changed more than the torn line")
	}
	if rep := mustVerify(t, s); !rep.Intact || rep.Torn != nil {
		t.Fatalf("after repair: %+v", rep)
	}
	if removed, err := s.Repair(ctx); removed != nil || err != nil {
		t.Fatalf("second repair = %+v, %v", removed, err)
	}

	// The next append removes a torn line by itself.
	os.WriteFile(seg, torn, 0o600)
	if seq, err := s.Append(ctx, sampleRecord(6)); err != nil || seq != 6 {
		t.Fatalf("append after torn line: %d, %v", seq, err)
	}
	if rep := mustVerify(t, s); !rep.Intact || rep.Torn != nil || rep.LastSeq != 6 {
		t.Fatalf("after append: %+v", rep)
	}
}

func TestRepairRefusesSealedLine(t *testing.T) {
	s := newTestStore(t, FileOptions{})
	appendN(t, s, 5)
	seg := segPaths(t, s)[0]
	data, _ := os.ReadFile(seg)
	os.WriteFile(seg, data[:len(data)-1], 0o600) // the sealed last record loses its newline
	rep := mustVerify(t, s)
	wantFirstBad(t, rep, ProblemTruncated, 5)
	// A line the head vouches for was acknowledged: it is not reported as a
	// crash's incomplete write (which the CLI calls "never acknowledged"
	// and tells the user to repair).
	if rep.Torn != nil || !strings.Contains(rep.Problems[0].Message, "incomplete line") {
		t.Fatalf("a sealed line reported as a crash's torn tail: %+v", rep)
	}
	if _, err := s.Repair(context.Background()); !errors.Is(err, ErrTampered) {
		t.Fatalf("repair of a sealed line: %v", err)
	}
	if got, _ := os.ReadFile(seg); len(got) != len(data)-1 {
		t.Fatal("repair removed a sealed record")
	}
}

func TestRotationAndSegments(t *testing.T) {
	s := newTestStore(t, FileOptions{MaxSegmentBytes: 4096})
	appendN(t, s, 100)
	segs := segPaths(t, s)
	if len(segs) < 5 {
		t.Fatalf("only %d segments", len(segs))
	}
	rep := mustVerify(t, s)
	if !rep.Intact || rep.Records != 100 || rep.Segments != len(segs) {
		t.Fatalf("%+v", rep)
	}
	// Every segment is named after its first record and starts where the
	// previous one ended.
	for _, p := range segs {
		first, _ := segmentFirst(filepath.Base(p))
		r, err := decodeRecord(readLinesOf(t, p)[0])
		if err != nil || r.Seq != first {
			t.Fatalf("%s starts with seq %d", p, r.Seq)
		}
	}
	t.Run("middle segment deleted", func(t *testing.T) {
		s := newTestStore(t, FileOptions{MaxSegmentBytes: 4096})
		appendN(t, s, 100)
		segs := segPaths(t, s)
		first, _ := segmentFirst(filepath.Base(segs[2]))
		os.Remove(segs[2])
		wantFirstBad(t, mustVerify(t, s), ProblemMissing, first)
	})
	t.Run("first segment deleted", func(t *testing.T) {
		s := newTestStore(t, FileOptions{MaxSegmentBytes: 4096})
		appendN(t, s, 100)
		os.Remove(segPaths(t, s)[0])
		wantFirstBad(t, mustVerify(t, s), ProblemMissing, 1)
	})
	t.Run("last segment deleted", func(t *testing.T) {
		s := newTestStore(t, FileOptions{MaxSegmentBytes: 4096})
		appendN(t, s, 100)
		segs := segPaths(t, s)
		first, _ := segmentFirst(filepath.Base(segs[len(segs)-1]))
		os.Remove(segs[len(segs)-1])
		wantFirstBad(t, mustVerify(t, s), ProblemTruncated, first)
	})
	t.Run("segments swapped", func(t *testing.T) {
		s := newTestStore(t, FileOptions{MaxSegmentBytes: 4096})
		appendN(t, s, 100)
		segs := segPaths(t, s)
		a, _ := os.ReadFile(segs[1])
		b, _ := os.ReadFile(segs[2])
		os.WriteFile(segs[1], b, 0o600)
		os.WriteFile(segs[2], a, 0o600)
		first, _ := segmentFirst(filepath.Base(segs[1]))
		wantFirstBad(t, mustVerify(t, s), "", first)
	})
}

func TestRetention(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, FileOptions{MaxSegmentBytes: 4096, RetainSegments: 3})
	appendN(t, s, 200)
	segs := segPaths(t, s)
	if len(segs) != 3 {
		t.Fatalf("%d segments kept, want 3", len(segs))
	}
	rep := mustVerify(t, s)
	if !rep.Intact || rep.Pruned == 0 || rep.FirstSeq != rep.Pruned+1 {
		t.Fatalf("after pruning: %+v", rep)
	}
	// Prune records are in the trail and can be queried.
	var prunes int
	f, _ := ParseFilter("type:prune", t0)
	s.Query(ctx, f, func(r *Record) error {
		prunes++
		if !strings.Contains(FormatLine(r), "[PRUNED]") {
			t.Errorf("line %q", FormatLine(r))
		}
		return nil
	})
	if prunes == 0 {
		t.Fatal("no prune record")
	}
	// Deleting a retained segment is not covered by any prune record.
	os.Remove(segs[0])
	wantFirstBad(t, mustVerify(t, s), ProblemUnprovenGap, rep.Pruned+1)
}

func TestRetentionByAge(t *testing.T) {
	now := t0
	s := newTestStore(t, FileOptions{MaxSegmentBytes: 4096, RetainAge: 48 * time.Hour, Now: func() time.Time { return now }})
	for i := 0; i < 40; i++ {
		s.Append(context.Background(), sampleRecord(i))
	}
	before := len(segPaths(t, s))
	now = now.Add(72 * time.Hour)
	appendN(t, s, 40)
	rep := mustVerify(t, s)
	if !rep.Intact || rep.Pruned == 0 || len(segPaths(t, s)) >= before+5 {
		t.Fatalf("age retention: %+v (%d segments before)", rep, before)
	}
}

func TestFreshTrail(t *testing.T) {
	home := t.TempDir()
	s, err := OpenFile(filepath.Join(home, "audit"), FileOptions{KeyFile: filepath.Join(home, "keys", "audit.key")})
	if err != nil {
		t.Fatal(err)
	}
	rep := mustVerify(t, s)
	if !rep.Intact || rep.Records != 0 {
		t.Fatalf("%+v", rep)
	}
	if err := s.Query(context.Background(), nil, func(*Record) error { t.Fatal("record in empty trail"); return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(home, "audit")); err == nil {
		t.Fatal("verify or query created the log directory")
	}
	// A trail with records but no key cannot be verified.
	appendN(t, s, 2)
	s2, _ := OpenFile(filepath.Join(home, "audit"), FileOptions{KeyFile: filepath.Join(home, "other.key")})
	if _, err := s2.Verify(context.Background()); !errors.Is(err, ErrNoKey) {
		t.Fatalf("verify without key: %v", err)
	}
}

func TestKeyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keys", "audit.key")
	k1, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("key mode %v", fi.Mode())
	}
	if di, _ := os.Stat(filepath.Dir(path)); di.Mode().Perm() != 0o700 {
		t.Fatalf("key dir mode %v", di.Mode())
	}
	k2, err := LoadOrCreateKey(path)
	if err != nil || k1 != k2 {
		t.Fatal("key changed on second load")
	}
	os.Chmod(path, 0o644)
	if _, err := LoadKey(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("readable key accepted: %v", err)
	}
	if _, err := OpenFile(dir, FileOptions{KeyFile: filepath.Join(dir, "x", "audit.key")}); err == nil {
		t.Fatal("key inside the log directory accepted")
	}
}

// TestRetentionTrustsOnlySealedTimes: retention by age decides on the time of
// a segment's last record. Someone who can write the log directory but does
// not hold the key must not be able to make recent segments look old (and
// have safeclaw remove them and seal a prune record vouching for the gap).
func TestRetentionTrustsOnlySealedTimes(t *testing.T) {
	now := t0
	s := newTestStore(t, FileOptions{MaxSegmentBytes: 4096, RetainAge: 48 * time.Hour, Now: func() time.Time { return now }})
	appendN(t, s, 40)
	segs := segPaths(t, s)
	if len(segs) < 4 {
		t.Fatalf("%d segments, want at least 4", len(segs))
	}
	// Back-date the last record of every segment but the active one.
	old := []byte(`"time":"` + t0.Format("2006"))
	for _, p := range segs[:len(segs)-1] {
		lines := readLinesOf(t, p)
		last := lines[len(lines)-1]
		i := bytes.Index(last, old)
		if i < 0 {
			t.Fatalf("no time in %s", last)
		}
		copy(last[i+len(`"time":"`):], "2001")
		writeLines(t, p, lines)
	}
	firstEdited := readLinesOf(t, segs[0])
	var sc scanner
	if err := sc.scan(firstEdited[len(firstEdited)-1]); err != nil {
		t.Fatal(err)
	}
	// Rotations happen; nothing is old enough to go.
	appendN(t, s, 40)
	rep := mustVerify(t, s)
	if rep.Pruned != 0 {
		t.Fatalf("retention removed %d recent records on the strength of edited times", rep.Pruned)
	}
	wantFirstBad(t, rep, ProblemEdited, sc.seq)
	for _, p := range segs {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("segment removed: %v", err)
		}
	}
}

// TestRetentionIgnoresPlantedFiles: files planted in the log directory by
// someone without the key must not make retention remove segments that it
// would keep, since the prune record safeclaw then seals vouches for them.
func TestRetentionIgnoresPlantedFiles(t *testing.T) {
	nonEmpty := func(t *testing.T, s *FileStore) (n int) {
		for _, p := range segPaths(t, s) {
			if fi, err := os.Stat(p); err == nil && fi.Size() > 0 {
				n++
			}
		}
		return n
	}
	// rotate appends until the trail has one more segment.
	rotate := func(t *testing.T, s *FileStore) {
		before := segPaths(t, s)
		for i := 0; i < 100; i++ {
			appendN(t, s, 1)
			if after := segPaths(t, s); after[len(after)-1] != before[len(before)-1] {
				return
			}
		}
		t.Fatal("no rotation")
	}
	t.Run("empty segments count", func(t *testing.T) {
		s := newTestStore(t, FileOptions{MaxSegmentBytes: 4096, RetainSegments: 3})
		appendN(t, s, 60)
		segs := segPaths(t, s)
		if len(segs) < 3 {
			t.Fatalf("%d segments", len(segs))
		}
		// Empty files named between the last two segments.
		first, _ := segmentFirst(filepath.Base(segs[len(segs)-2]))
		for i := uint64(1); i <= 3; i++ {
			os.WriteFile(filepath.Join(s.dir, segmentName(first+i)), nil, 0o600)
		}
		rotate(t, s)
		if n := nonEmpty(t, s); n != 3 {
			t.Fatalf("%d segments with records kept, want 3", n)
		}
		if rep := mustVerify(t, s); !rep.Intact {
			t.Fatalf("%+v", rep)
		}
	})
	t.Run("segment without a complete line", func(t *testing.T) {
		now := t0
		s := newTestStore(t, FileOptions{MaxSegmentBytes: 4096, RetainAge: 48 * time.Hour, Now: func() time.Time { return now }})
		appendN(t, s, 40)
		segs := segPaths(t, s)
		// Joining a recent segment's lines makes it look like holding no
		// record (no time, so "old"); it must stay as evidence.
		data, _ := os.ReadFile(segs[1])
		os.WriteFile(segs[1], bytes.ReplaceAll(data, []byte("\n"), []byte(" ")), 0o600)
		now = now.Add(72 * time.Hour) // segs[0] is old now, and so would be segs[1]
		rotate(t, s)
		if _, err := os.Stat(segs[1]); err != nil {
			t.Fatalf("changed segment removed by retention: %v", err)
		}
		if rep := mustVerify(t, s); rep.Intact {
			t.Fatalf("%+v", rep)
		}
	})
}

// TestVerifyDoesNotHangOnAHeldLock: anyone who can open the log directory
// can hold its lock; verify must then fail with an error, not wait forever.
func TestVerifyDoesNotHangOnAHeldLock(t *testing.T) {
	s := newTestStore(t, FileOptions{})
	appendN(t, s, 3)
	d, err := os.Open(s.dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := flock(context.Background(), d, true); err != nil {
		t.Skip("no flock:", err)
	}
	old := lockWait
	lockWait = 100 * time.Millisecond
	defer func() { lockWait = old }()
	done := make(chan error, 1)
	go func() {
		_, err := s.Verify(context.Background())
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "another process") {
			t.Fatalf("verify with the lock held elsewhere: %v", err)
		}
	case <-time.After(10 * time.Second):
		funlock(d)
		t.Fatal("verify waits for a lock held forever")
	}
	if _, err := s.Repair(context.Background()); err == nil {
		t.Fatal("repair with the lock held elsewhere succeeded")
	}
}

// TestPruneRecordCountsLongRecords: a prune record says how many records
// each removed segment held, also when the first record is longer than the
// part of the segment read for it.
func TestPruneRecordCountsLongRecords(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, FileOptions{MaxSegmentBytes: 300 << 10, RetainSegments: 1})
	for i := 0; i < 12; i++ {
		r := sampleRecord(1)
		r.Request = strings.Repeat("x", 60<<10)
		r.Actions = []Facet{{Kind: "shell.execute", Command: r.Request}}
		if _, err := s.Append(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	f, _ := ParseFilter("type:prune", t0)
	var got []PrunedSegment
	s.Query(ctx, f, func(r *Record) error {
		got = append(got, r.Prune.Segments...)
		return nil
	})
	if len(got) == 0 {
		t.Fatal("no prune record")
	}
	for _, p := range got {
		first, _ := segmentFirst(p.Name)
		if p.FirstSeq != first || p.Records != p.LastSeq-first+1 || p.Records < 2 {
			t.Errorf("prune entry %+v: want first_seq %d and records %d", p, first, p.LastSeq-first+1)
		}
	}
}

// A byte written over the last record's newline would glue the next record
// onto its line, out of every listing: appends stop instead, as for any end
// that is not what the head sealed, and verify names the edit.
func TestAppendRefusesALostLineEnd(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, FileOptions{})
	appendN(t, s, 3)
	seg := segPaths(t, s)[0]
	data, _ := os.ReadFile(seg)
	data[len(data)-1] = ' '
	if err := os.WriteFile(seg, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, sampleRecord(4)); !errors.Is(err, ErrTampered) {
		t.Fatalf("append = %v, want ErrTampered", err)
	}
	if got, _ := os.ReadFile(seg); !bytes.Equal(got, data) {
		t.Fatal("the refused append changed the segment")
	}
	if rep := mustVerify(t, s); rep.Intact {
		t.Fatalf("verify: %+v", rep)
	}
}
