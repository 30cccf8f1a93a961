package audit

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
)

// maxProblems bounds a report; coalescing keeps typical reports short.
const maxProblems = 1000

// snapshot is the trail's extent at one instant, taken under a shared lock so
// that verify sees no half-done append.
type snapshot struct {
	segs  []string
	sizes []int64
	// odd[i] says what segs[i] is when it is not a regular file (a
	// symbolic link, a FIFO): it is reported, not read.
	odd     []string
	head    []byte // nil when there is no head file
	headOdd string // what the head is when it is not a regular file
}

func (s *FileStore) snapshot(ctx context.Context) (*snapshot, error) {
	d, err := s.lockDir(ctx, false, false)
	if errors.Is(err, fs.ErrNotExist) {
		return &snapshot{}, nil
	}
	if err != nil {
		return nil, err
	}
	defer unlockDir(d)
	snap := new(snapshot)
	if snap.segs, err = segments(d); err != nil {
		return nil, err
	}
	for _, name := range snap.segs {
		fi, err := os.Lstat(filepath.Join(s.dir, name))
		if err != nil {
			return nil, err
		}
		odd := ""
		if !fi.Mode().IsRegular() {
			odd = modeKindOf(fi.Mode())
		}
		snap.sizes = append(snap.sizes, fi.Size())
		snap.odd = append(snap.odd, odd)
	}
	if snap.head, err = s.readHeadFile(); errors.Is(err, errNotRegular) {
		snap.head, snap.headOdd = nil, oddKind(err)
	} else if err != nil {
		return nil, err
	}
	return snap, nil
}

// Verify implements [Store]. It checks every record's chain link, hash and
// seal, the sequence, the head seal, and that a trail starting after seq 1
// is vouched for by a prune record. It needs the audit key, except for a
// trail that has never been written.
func (s *FileStore) Verify(ctx context.Context) (*Report, error) {
	snap, err := s.snapshot(ctx)
	if err != nil {
		return nil, fmt.Errorf("audit: verify: %w", err)
	}
	empty := snap.head == nil && snap.headOdd == ""
	for i, n := range snap.sizes {
		if n > 0 || snap.odd[i] != "" {
			empty = false
		}
	}
	if empty {
		return &Report{Intact: true, Segments: len(snap.segs)}, nil
	}
	// Verify runs beside appends: it shares only the key with them.
	s.mu.Lock()
	err = s.loadKey(false)
	key := s.key
	s.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("audit: verify: %w", err)
	}
	seal := newSealer(key)
	v := &verifier{seal: seal, rep: &Report{Segments: len(snap.segs)}}
	if snap.headOdd != "" {
		v.headErr = "the head seal file is " + snap.headOdd + ": not read"
		v.headKind = ProblemHeadInvalid
	} else if snap.head == nil {
		v.headErr = "the head seal file is missing: records at the end may have been removed"
		v.headKind = ProblemHeadMissing
	} else if h, err := parseHead(snap.head, seal); err != nil {
		v.headErr = err.Error()
		v.headKind = ProblemHeadInvalid
	} else {
		v.head = &h
	}
	// Lines are checked in parallel (hashes and seals of different records
	// are independent) and folded in order.
	workers := max(1, min(runtime.GOMAXPROCS(0), 4))
	checkers := make([]*checker, workers)
	for w := range checkers {
		checkers[w] = &checker{seal: newSealer(key)}
	}
	var results []lineCheck
	batch := func(data []byte, base int64, lines []span) error {
		results = slices.Grow(results[:0], len(lines))[:len(lines)]
		if workers == 1 || len(lines) < 256 {
			for i, l := range lines {
				checkers[0].check(data[l.start:l.end], &results[i])
			}
		} else {
			var wg sync.WaitGroup
			per := (len(lines) + workers - 1) / workers
			for w := 0; w < workers; w++ {
				lo, hi := w*per, min(len(lines), (w+1)*per)
				wg.Go(func() {
					for i := lo; i < hi; i++ {
						checkers[w].check(data[lines[i].start:lines[i].end], &results[i])
					}
				})
			}
			wg.Wait()
		}
		for i, l := range lines {
			v.lineNo++
			v.apply(data[l.start:l.end], &results[i], base+int64(l.end)+1)
		}
		return nil
	}
	buf := make([]byte, 1<<20)
	for i, name := range snap.segs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		v.seg, v.lineNo = name, 0
		if snap.odd[i] != "" {
			v.oddSegment(name, snap.odd[i])
			continue
		}
		f, err := openRegular(filepath.Join(s.dir, name), os.O_RDONLY, 0, false)
		if errors.Is(err, errNotRegular) {
			// Replaced since the snapshot: the same finding.
			v.oddSegment(name, oddKind(err))
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("audit: verify: %w (pruned while verifying? run it again)", err)
		}
		var torn int64
		buf, torn, err = readBatches(f, 0, snap.sizes[i], buf, batch, func(at int64) error {
			v.lineNo++
			v.apply(nil, &lineCheck{err: errLongLine{at}}, -1)
			return nil
		})
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("audit: verify: %w", err)
		}
		if torn > 0 {
			if at := snap.sizes[i] - torn; i == len(snap.segs)-1 && !v.headCovers(name, at) {
				v.rep.Torn = &TornTail{Segment: name, Offset: at, Bytes: torn}
			} else if i == len(snap.segs)-1 {
				// The head seal vouches for bytes in that line: it was
				// acknowledged, so this is not a crash's incomplete write
				// (the head reports the records it misses).
				v.tornSealed = fmt.Sprintf("; %s ends with an incomplete line at byte %d that the head seal vouches for", name, at)
			} else {
				v.lineNo++
				v.problem(ProblemMalformed, v.expect, v.expect, "segment ends inside a line")
			}
		}
	}
	v.finish()
	return v.rep, nil
}

// verifier walks records in file order.
type verifier struct {
	seal *sealer
	chk  *checker
	rep  *Report

	seg    string
	lineNo int

	started   bool
	expect    uint64 // next sequence number
	lastHash  [32]byte
	haveLast  bool // lastHash is usable for the next link check
	firstSeq  uint64
	firstPrev [32]byte
	prunes    []PrunedSegment

	head     *head
	headErr  string
	headKind string
	headSeen bool // the record the head names was found with the head's hash

	sealed, unsealed uint64 // records whose seal did (not) verify, their hash being right

	tornSealed string // an incomplete last line the head vouches for
}

// headCovers reports whether a valid head seal says the trail ran past byte
// at of segment seg.
func (v *verifier) headCovers(seg string, at int64) bool {
	return v.head != nil && v.head.Segment != "" && (v.head.Segment > seg || (v.head.Segment == seg && v.head.Size > at))
}

var zeroHash [32]byte

// lineCheck is what can be learnt of one line on its own; checks of
// different lines are independent and run in parallel.
type lineCheck struct {
	err      error // not a record
	seq      uint64
	prev     [32]byte
	okPrev   bool
	stored   [32]byte
	okHash   bool // a hash member of the right length
	okStored bool // and it is hex
	hashOK   bool // it equals the recomputed hash
	macOK    bool // and the seal verifies
	prune    bool
}

// checker holds one worker's state.
type checker struct {
	sc     scanner
	seal   *sealer
	macbuf [64]byte
}

func (c *checker) check(line []byte, r *lineCheck) {
	*r = lineCheck{}
	if err := c.sc.scan(line); err != nil || !c.sc.hasSeq {
		r.err = err
		if err == nil {
			r.err = errLine
		}
		return
	}
	r.seq = c.sc.seq
	r.okPrev = c.sc.hasPrev && decodeHex32(&r.prev, c.sc.prev)
	r.okHash = len(c.sc.hash) == 64
	r.okStored = r.okHash && decodeHex32(&r.stored, c.sc.hash)
	if r.okPrev && r.okStored {
		computed := c.sc.hashLine(line, &r.prev)
		r.hashOK = computed == r.stored
		if r.hashOK {
			hex.Encode(c.macbuf[:], c.seal.record(r.seq, computed[:]))
			r.macOK = bytes.Equal(c.macbuf[:], c.sc.mac)
		}
	}
	r.prune = string(c.sc.typ) == TypePrune
}

// line checks and applies one line (the sequential path).
func (v *verifier) line(line []byte) {
	if v.chk == nil {
		v.chk = &checker{seal: v.seal}
	}
	var r lineCheck
	v.chk.check(line, &r)
	v.apply(line, &r, -1)
}

// apply folds one checked line, in file order, into the report. end is the
// offset just after the line's newline in its segment (-1: not known).
func (v *verifier) apply(line []byte, r *lineCheck, end int64) {
	if r.err != nil {
		seq := v.expect
		if !v.started {
			seq = 1
		}
		v.problem(ProblemMalformed, seq, seq, r.err.Error())
		if v.started {
			v.expect++
		}
		v.haveLast = false
		return
	}
	seq := r.seq
	if v.lineNo == 1 && v.seg != "" {
		// A segment is named after its first record: appends and queries
		// find records by these names.
		if first, ok := segmentFirst(v.seg); ok && first != seq {
			v.problem(ProblemMisplaced, seq, seq, fmt.Sprintf("segment %s is named for seq %d but starts with seq %d", v.seg, first, seq))
		}
	}
	if !v.started {
		v.started = true
		v.firstSeq = seq
		v.expect = seq
		v.rep.FirstSeq = seq
		if r.okPrev {
			v.firstPrev = r.prev
		}
	}
	switch {
	case seq < v.expect:
		v.outOfOrder(seq)
		return
	case seq > v.expect:
		v.problem(ProblemMissing, v.expect, seq-1, fmt.Sprintf("records %s absent before seq %d", seqRange(v.expect, seq-1), seq))
		v.haveLast = false
	}
	v.expect = seq + 1
	v.rep.Records++
	v.rep.LastSeq = seq
	switch {
	case !r.okPrev:
		v.problem(ProblemBrokenLink, seq, seq, "prev missing or malformed")
	case !r.okStored:
		v.problem(ProblemMalformed, seq, seq, "hash missing or malformed")
	case !r.hashOK:
		v.problem(ProblemEdited, seq, seq, "content does not match its hash")
	case v.haveLast && r.prev != v.lastHash:
		v.problem(ProblemBrokenLink, seq, seq, "prev is not the previous record's hash")
	case !r.macOK:
		v.unsealed++
		v.problem(ProblemUnsealed, seq, seq, "seal does not verify with the audit key (forged, or chain recomputed)")
	case r.prune:
		v.notePrune(line)
	}
	if r.macOK {
		v.sealed++
	}
	if v.head != nil && seq == v.head.Seq {
		if r.okStored && r.stored == v.head.hash {
			v.headSeen = true
			// The head also says where the trail ended: appends continue
			// from there, so a record moved across a segment boundary is
			// a problem even though every link still holds.
			if end >= 0 && (v.seg != v.head.Segment || end != v.head.Size) {
				v.problem(ProblemMisplaced, seq, seq, fmt.Sprintf("the head seal puts record %d at the end of %s (byte %d), but it ends in %s at byte %d",
					seq, v.head.Segment, v.head.Size, v.seg, end))
			}
		} else {
			v.problem(ProblemEdited, seq, seq, "record differs from the one the head seal vouches for")
		}
	}
	// The next link is checked against what this record says its hash is,
	// so one edited record is one problem, not two.
	v.lastHash, v.haveLast = r.stored, r.okStored
}

// oddSegment reports a segment that is not a regular file (a symbolic link,
// a FIFO, a directory): safeclaw never writes one, appends refuse it, and
// verify does not read it (a FIFO would block). The records it should hold
// count as absent, so the next segment's first record reports them missing.
func (v *verifier) oddSegment(name, what string) {
	seq := v.expect
	if !v.started {
		seq, _ = segmentFirst(name)
		seq = max(seq, 1)
	}
	v.lineNo = 0
	v.problem(ProblemMalformed, seq, seq, fmt.Sprintf("segment %s is %s: not read", name, what))
	if v.started {
		// The records it held are unknown: the next record is not linked.
		v.haveLast = false
	}
}

// outOfOrder handles a record whose sequence number was expected earlier: a
// reordered record turns the "missing" problem it caused into "reordered".
func (v *verifier) outOfOrder(seq uint64) {
	for i := range v.rep.Problems {
		p := &v.rep.Problems[i]
		if p.Kind == ProblemMissing && p.Seq <= seq && seq <= p.Through {
			v.rep.Problems = slices.Insert(v.rep.Problems, i+1, Problem{Kind: ProblemReordered, Seq: seq, Through: seq,
				Segment: v.seg, Line: v.lineNo, Message: "record is out of sequence order"})
			switch {
			case p.Seq == p.Through:
				v.rep.Problems = slices.Delete(v.rep.Problems, i, i+1)
			case p.Seq == seq:
				p.Seq++
			case p.Through == seq:
				p.Through--
			default:
				rest := *p
				rest.Seq = seq + 1
				p.Through = seq - 1
				v.rep.Problems = slices.Insert(v.rep.Problems, i+2, rest)
			}
			return
		}
	}
	v.problem(ProblemReordered, seq, seq, "duplicate or out-of-order sequence number")
}

func (v *verifier) notePrune(line []byte) {
	var r struct {
		Prune *Prune `json:"prune"`
	}
	if json.Unmarshal(line, &r) == nil && r.Prune != nil {
		v.prunes = append(v.prunes, r.Prune.Segments...)
	}
}

func (v *verifier) problem(kind string, seq, through uint64, msg string) {
	ps := v.rep.Problems
	if n := len(ps); n > 0 {
		last := &ps[n-1]
		if last.Kind == kind && last.Seq <= seq && seq <= last.Through+1 && last.Segment == v.seg {
			last.Through = max(last.Through, through)
			return
		}
	}
	if len(ps) >= maxProblems {
		return
	}
	v.rep.Problems = append(ps, Problem{Kind: kind, Seq: seq, Through: through, Segment: v.seg, Line: v.lineNo, Message: msg})
}

// finish checks the trail's ends: where it starts (seq 1, or after a pruned
// range a prune record vouches for) and where it ends (the head seal).
func (v *verifier) finish() {
	v.seg, v.lineNo = "", 0
	if v.started && v.firstSeq > 1 {
		vouched, covered := false, uint64(0)
		for _, p := range v.prunes {
			if p.LastSeq == v.firstSeq-1 && p.LastHash == hex.EncodeToString(v.firstPrev[:]) {
				vouched = true
			}
			if p.LastSeq < v.firstSeq {
				covered = max(covered, p.LastSeq)
			}
		}
		if vouched {
			v.rep.Pruned = v.firstSeq - 1
		} else {
			kind, msg := ProblemMissing, fmt.Sprintf("records %s absent at the start of the trail", seqRange(covered+1, v.firstSeq-1))
			if len(v.prunes) > 0 {
				kind, msg = ProblemUnprovenGap, msg+" and no prune record vouches for them"
			}
			v.problem(kind, covered+1, v.firstSeq-1, msg)
		}
	}
	if v.started && v.firstSeq == 1 && v.firstPrev != zeroHash {
		v.problem(ProblemBrokenLink, 1, 1, "the first record's prev is not 64 zeros")
	}
	last := v.rep.LastSeq
	if v.haveLast {
		v.rep.LastHash = hex.EncodeToString(v.lastHash[:])
	}
	switch {
	case v.headErr != "":
		v.problem(v.headKind, last+1, last+1, v.headErr)
	case v.head == nil:
		// No head to compare with (a caller checking records only).
	case v.head.Seq > last:
		from := last + 1
		if !v.started {
			from = 1
		}
		v.problem(ProblemTruncated, from, v.head.Seq, fmt.Sprintf("the head seal vouches for seq %d but the trail ends at %d%s", v.head.Seq, last, v.tornSealed))
	case v.head.Seq > 0 && !v.headSeen:
		// The head's record is absent or was replaced: reported above as
		// missing or edited; nothing more to add.
	case v.head.Seq < last:
		v.rep.Notes = append(v.rep.Notes, fmt.Sprintf("the head seal is %d record(s) behind the log: a writer stopped between writing and sealing, or the head was restored from a copy; the records after it verify on their own seals", last-v.head.Seq))
	}
	if v.head != nil {
		v.rep.HeadSeq = v.head.Seq
	}
	if v.unsealed > 0 && v.sealed == 0 && v.head == nil {
		// Not one seal verifies: either everything was forged, or the key
		// is not the one the trail was sealed with (replaced, or another
		// trail's). The report cannot tell which.
		v.rep.Notes = append(v.rep.Notes, "no record's seal and not the head verify with this audit key: the key may have been replaced (a lost key cannot be recreated), or every record was forged")
	}
	slices.SortStableFunc(v.rep.Problems, func(a, b Problem) int {
		switch {
		case a.Seq < b.Seq:
			return -1
		case a.Seq > b.Seq:
			return 1
		}
		return 0
	})
	v.rep.Intact = len(v.rep.Problems) == 0
}

func seqRange(a, b uint64) string {
	if a == b {
		return fmt.Sprint(a)
	}
	return fmt.Sprintf("%d-%d", a, b)
}
