package audit

import (
	"bytes"
	"context"
	"crypto/hmac"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/safeclaw/safeclaw/action"
)

// File store layout inside its directory.
const (
	segmentPrefix = "seg-"
	segmentSuffix = ".jsonl"
	headFile      = "head"
	headSize      = 512 // one sector, so a crash cannot tear it

	// DefaultMaxSegmentBytes is the segment size at which a new one starts.
	DefaultMaxSegmentBytes = 64 << 20

	// maxLineBytes bounds one stored line (newline included): appends
	// refuse a longer record, and readers treat a longer line as not a
	// record instead of holding it in memory.
	maxLineBytes = 64 << 20
)

// FileOptions configures a [FileStore].
type FileOptions struct {
	// KeyFile is the audit key's path; it must be outside the log
	// directory. Append creates it on first use; Verify needs it.
	KeyFile string
	// Durable makes every append wait until the record is on disk
	// (fdatasync). Without it a crash of the process loses nothing, a crash
	// of the machine may lose the last records. An append whose context
	// carries an [action.Barrier] writes the record before it returns and
	// starts the sync on the barrier: the record is durable once the
	// barrier is passed.
	Durable bool
	// MaxSegmentBytes starts a new segment when the current one would grow
	// past it (default [DefaultMaxSegmentBytes]).
	MaxSegmentBytes int64
	// RetainSegments keeps at most this many segments (0: all). Older ones
	// are removed when a new segment starts, and a prune record vouches for
	// them.
	RetainSegments int
	// RetainAge removes segments whose last record is older than this (0: no
	// limit), when a new segment starts.
	RetainAge time.Duration
	// Now is the clock for records without a time (default time.Now).
	Now func() time.Time
}

// FileStore is the embedded audit trail: JSON Lines segments in a directory,
// hash-chained, every record sealed with the audit key, and a head seal that
// vouches for the last record. It is safe for concurrent use by goroutines
// and by processes (an flock on the directory serialises appends).
type FileStore struct {
	dir      string
	headPath string
	opts     FileOptions

	mu     sync.Mutex
	closed bool
	key    *Key
	seal   *sealer
	sc     scanner
	ubuf   []byte // unsealed encoding
	lbuf   []byte // lines to write
	hbuf   []byte // hash input
	rbuf   []byte // read buffer

	// lastHead is the head this store last wrote, and what it says, so that
	// the next append need not decode and check it again while no other
	// writer has changed it.
	lastHead       []byte
	lastHeadParsed head
	headOut        []byte // lastHead's buffer

	// prevHex is the hex form of the hash prevRaw (the last record this
	// store sealed): the next record's prev.
	prevRaw [32]byte
	prevHex string

	// lastSegName and lastSegPath are the last segment segPath was asked
	// for and its path.
	lastSegName, lastSegPath string

	h appendHandles

	// splitWrites writes each batch in two parts with a pause between, so
	// that crash tests can kill a writer in the middle of a line.
	splitWrites time.Duration
	// diskLeft, when set, is how many more bytes segment writes may
	// store before they fail as on a full disk (tests only).
	diskLeft *int64
}

var _ Store = (*FileStore)(nil)
var _ BatchAppender = (*FileStore)(nil)

// OpenFile returns the file store in dir. Nothing is created until the first
// append; querying or verifying a directory that does not exist sees an empty
// trail.
func OpenFile(dir string, opts FileOptions) (*FileStore, error) {
	if dir == "" {
		return nil, errors.New("audit: no log directory")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	if opts.KeyFile != "" {
		key, err := filepath.Abs(opts.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("audit: %w", err)
		}
		if rel, err := filepath.Rel(abs, key); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return nil, fmt.Errorf("audit: key file %s must not be inside the log directory %s", key, abs)
		}
		opts.KeyFile = key
	}
	if opts.MaxSegmentBytes <= 0 {
		opts.MaxSegmentBytes = DefaultMaxSegmentBytes
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &FileStore{dir: abs, headPath: filepath.Join(abs, headFile), opts: opts}, nil
}

// Dir returns the log directory.
func (s *FileStore) Dir() string { return s.dir }

// Close releases the store. Appends are durable when they return (or, for a
// caller that carries an [action.Barrier], when the barrier is passed), so
// there is nothing to flush.
func (s *FileStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.h.close()
	return nil
}

func (s *FileStore) loadKey(create bool) error {
	if s.key != nil {
		return nil
	}
	if s.opts.KeyFile == "" {
		return errors.New("no audit key file configured")
	}
	load := LoadKey
	if create {
		load = LoadOrCreateKey
	}
	k, err := load(s.opts.KeyFile)
	if err != nil {
		return err
	}
	s.key = &k
	s.seal = newSealer(&k)
	return nil
}

// loadAppendKey loads the key for an append, creating it only for a trail
// that holds nothing yet. A key missing beside a trail is not replaced: a
// new key would seal the next records and make every earlier one look
// forged, and the lost key could no longer be told from a forgery. Appends
// fail instead (and so deny) until the key is restored or the trail moved
// aside.
func (s *FileStore) loadAppendKey() error {
	if s.key != nil {
		return nil
	}
	err := s.loadKey(false)
	if !errors.Is(err, ErrNoKey) {
		return err
	}
	used, uerr := trailUsed(s.dir)
	if uerr != nil {
		return uerr
	}
	if !used {
		return s.loadKey(true)
	}
	// The first writer of a fresh trail may have created the key and
	// appended since the first look.
	if err = s.loadKey(false); !errors.Is(err, ErrNoKey) {
		return err
	}
	return fmt.Errorf("%w, but %s holds a trail sealed with it: restore the key, or move the trail aside as evidence (a new key would make every record look forged)", err, s.dir)
}

// trailUsed reports whether dir holds a head or a segment with content.
func trailUsed(dir string) (bool, error) {
	names, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	for _, e := range names {
		if e.Name() == headFile {
			return true, nil
		}
		if _, ok := segmentFirst(e.Name()); ok {
			fi, err := e.Info()
			if err == nil && (fi.Size() > 0 || !fi.Mode().IsRegular()) {
				return true, nil
			}
		}
	}
	return false, nil
}

// lockDir opens and locks the log directory. The returned file is closed
// (and the lock released) by the caller.
func (s *FileStore) lockDir(ctx context.Context, create, exclusive bool) (*os.File, error) {
	if create {
		if err := os.MkdirAll(s.dir, 0o700); err != nil {
			return nil, err
		}
	}
	d, err := openFile(s.dir, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	// Verify and repair wait a bounded time: anyone who can open the
	// directory can hold its lock, and a check that hangs silently says
	// nothing. Appends hold it for milliseconds.
	_, hasDeadline := ctx.Deadline()
	if !hasDeadline {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, lockWait)
		defer cancel()
	}
	if err := flock(ctx, d, exclusive); err != nil {
		d.Close()
		if !hasDeadline && errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("lock %s: another process has held it for %v or more (an append takes milliseconds): %w", s.dir, lockWait, err)
		}
		return nil, fmt.Errorf("lock %s: %w", s.dir, err)
	}
	return d, nil
}

// lockWait bounds how long verify and repair wait for the log directory's
// lock when their context has no deadline of its own.
var lockWait = 30 * time.Second

func unlockDir(d *os.File) {
	funlock(d)
	d.Close()
}

func segmentName(first uint64) string {
	return fmt.Sprintf("%s%020d%s", segmentPrefix, first, segmentSuffix)
}

// segmentFirst returns the first sequence number a segment name announces.
func segmentFirst(name string) (uint64, bool) {
	if !strings.HasPrefix(name, segmentPrefix) || !strings.HasSuffix(name, segmentSuffix) {
		return 0, false
	}
	digits := name[len(segmentPrefix) : len(name)-len(segmentSuffix)]
	if len(digits) != 20 {
		return 0, false
	}
	n, err := strconv.ParseUint(digits, 10, 64)
	return n, err == nil
}

// segments lists the segment names in d, oldest first.
func segments(d *os.File) ([]string, error) {
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	out := names[:0]
	for _, n := range names {
		if _, ok := segmentFirst(n); ok {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out, nil
}

// head is the seal over the trail's last record: its sequence number and
// hash, and where it ends (segment and size), sealed with the audit key.
type head struct {
	Seq     uint64 `json:"seq"`
	Hash    string `json:"hash"`
	Segment string `json:"segment"`
	Size    int64  `json:"size"`
	MAC     string `json:"mac"`
	V       int    `json:"v"`

	hash [32]byte
}

// encodeHead returns the head file's bytes for the given end of the trail.
func encodeHead(seal *sealer, seq uint64, hash *[32]byte, segment string, size int64) []byte {
	return appendHead(make([]byte, 0, headSize), seal, seq, hash, segment, size)
}

// appendHead appends the head file's bytes for the given end of the trail
// to b.
func appendHead(b []byte, seal *sealer, seq uint64, hash *[32]byte, segment string, size int64) []byte {
	mac := seal.head(seq, hash[:], segment, size)
	// Built by appending, not fmt: this runs on every append.
	b = append(b, `{"hash":"`...)
	b = hex.AppendEncode(b, hash[:])
	b = append(b, `","mac":"`...)
	b = hex.AppendEncode(b, mac)
	b = append(b, `","segment":`...)
	b = strconv.AppendQuote(b, segment)
	b = append(b, `,"seq":`...)
	b = strconv.AppendUint(b, seq, 10)
	b = append(b, `,"size":`...)
	b = strconv.AppendInt(b, size, 10)
	b = append(b, `,"v":1}`...)
	for len(b) < headSize-1 {
		b = append(b, ' ')
	}
	return append(b, '\n')
}

// parseHead decodes and checks a head; the error says why it is invalid.
func parseHead(data []byte, seal *sealer) (head, error) {
	var h head
	text := bytes.TrimRight(data, " \n\x00")
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil {
		return h, fmt.Errorf("head seal unreadable: %v", err)
	}
	if h.V != 1 {
		return h, fmt.Errorf("head seal version %d unknown", h.V)
	}
	if !decodeHex32(&h.hash, []byte(h.Hash)) {
		return h, errors.New("head seal hash malformed")
	}
	var mac [32]byte
	if !decodeHex32(&mac, []byte(h.MAC)) || !hmac.Equal(mac[:], seal.head(h.Seq, h.hash[:], h.Segment, h.Size)) {
		return h, errors.New("head seal does not verify with the audit key")
	}
	if h.Segment != "" {
		if _, ok := segmentFirst(h.Segment); !ok {
			return h, errors.New("head seal names no segment")
		}
	}
	// A head has exactly one form: trailing data, repeated or re-spelt
	// members and padding other than safeclaw's are refused, so the file
	// says nothing the seal does not cover.
	if !bytes.Equal(data, encodeHead(seal, h.Seq, &h.hash, h.Segment, h.Size)) {
		return h, errors.New("head seal is not in the form safeclaw writes")
	}
	return h, nil
}

// readFile reads a small file whole; more than 64 KiB is cut off (a head
// that long is not one safeclaw wrote, and fails to parse).
func readFile(name string) ([]byte, error) {
	f, err := openRegular(name, os.O_RDONLY, 0, false)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, 0, headSize+1)
	for {
		n, err := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF || (err == nil && n == 0) {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
		if len(buf) == cap(buf) {
			if len(buf) >= 64<<10 {
				return buf, nil
			}
			buf = slices.Grow(buf, len(buf))
		}
	}
}

// readHeadFile returns the head file's bytes, or nil when it does not exist.
func (s *FileStore) readHeadFile() ([]byte, error) {
	data, err := readFile(s.headPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if len(data) == 0 {
		return nil, nil
	}
	return data, nil
}

func (s *FileStore) writeHead(t *tailState) error {
	// The head is not synced even in durable mode: after a machine crash it
	// may lag behind the (synced) log, which verify and append accept, since
	// the records after it carry their own seals. One sync per append.
	// lastHead is written again in place: it is only read while it
	// holds the head this store last wrote.
	s.lastHead = nil
	if s.headOut == nil {
		s.headOut = make([]byte, 0, headSize)
	}
	data := appendHead(s.headOut[:0], s.seal, t.seq, &t.hash, t.seg, t.size)
	s.headOut = data
	if err := s.writeAppendHead(data); err != nil {
		return err
	}
	s.lastHead = data
	s.lastHeadParsed = head{Seq: t.seq, Segment: t.seg, Size: t.size, V: 1, hash: t.hash}
	return nil
}

// segPath returns the path of segment name. The last one is remembered:
// every append looks at the active segment.
func (s *FileStore) segPath(name string) string {
	if name != s.lastSegName || s.lastSegPath == "" {
		s.lastSegName, s.lastSegPath = name, filepath.Join(s.dir, name)
	}
	return s.lastSegPath
}

// tailState is where the chain ends: the last record and the active segment.
type tailState struct {
	seq   uint64
	hash  [32]byte
	seg   string // active (last) segment, "" when there is none
	segID fileID // the file seg named when it was looked at
	size  int64
}

func tampered(format string, args ...any) error {
	return fmt.Errorf("%w: %s (run safeclaw audit verify)", ErrTampered, fmt.Sprintf(format, args...))
}

// recoverTail finds where the chain ends, under the lock. The head seal says
// where it ended when it was written; records after it (a writer that died
// between writing a record and sealing it) are checked and taken over, and
// an incomplete last line is removed. Anything else that disagrees with the
// head is tampering, and appends stop so that the evidence stays.
func (s *FileStore) recoverTail(d *os.File) (tailState, error) {
	var t tailState
	segs, kept, err := s.appendSegments(d)
	if err != nil {
		return t, err
	}
	data, err := s.readAppendHead(kept)
	if err != nil {
		return t, err
	}
	var h head
	if data == nil {
		for _, name := range segs {
			if fi, err := os.Stat(filepath.Join(s.dir, name)); err != nil || fi.Size() > 0 {
				return t, tampered("the head seal is missing but %s holds records", name)
			}
		}
	} else if s.lastHead != nil && bytes.Equal(data, s.lastHead) {
		// The head this store last wrote, unchanged: already checked.
		h = s.lastHeadParsed
	} else if h, err = parseHead(data, s.seal); err != nil {
		return t, tampered("%v", err)
	}
	t.seq, t.hash = h.Seq, h.hash
	start, off := 0, int64(0)
	if h.Segment != "" {
		start = slices.Index(segs, h.Segment)
		if start < 0 {
			return t, tampered("segment %s named by the head seal is missing", h.Segment)
		}
		off = h.Size
	}
	for i := start; i < len(segs); i++ {
		path := s.segPath(segs[i])
		var id fileID
		var size int64
		if kh := &s.h; kept && kh.seg != nil && kh.segName == segs[i] {
			// The directory's entries are as they were: the kept handle is
			// the file at path.
			id = kh.segID
			size, err = fileSize(kh.seg.File)
		} else {
			id, size, err = statID(path)
		}
		if err != nil {
			return t, err
		}
		from := int64(0)
		if i == start {
			from = off
		}
		if size < from {
			return t, tampered("segment %s is shorter (%d bytes) than the head seal says (%d)", segs[i], size, from)
		}
		t.seg, t.segID, t.size = segs[i], id, size
		if size == from {
			continue
		}
		f, err := openRegular(path, os.O_RDWR, 0, false)
		if err != nil {
			return t, err
		}
		torn, err := s.readLines(f, from, size, func(line []byte, at int64) error {
			if err := s.sc.scan(line); err != nil {
				return tampered("unreadable record after the head seal in %s at byte %d", segs[i], at)
			}
			var prev, hash, mac [32]byte
			if !s.sc.hasSeq || s.sc.seq != t.seq+1 || !decodeHex32(&prev, s.sc.prev) || prev != t.hash ||
				!decodeHex32(&hash, s.sc.hash) || !decodeHex32(&mac, s.sc.mac) {
				return tampered("record after the head seal in %s at byte %d does not continue the chain", segs[i], at)
			}
			if s.sc.hashLine(line, &prev) != hash || !hmac.Equal(mac[:], s.seal.record(s.sc.seq, hash[:])) {
				return tampered("record %d after the head seal does not verify", s.sc.seq)
			}
			t.seq, t.hash = s.sc.seq, hash
			return nil
		})
		var long errLongLine
		if errors.As(err, &long) {
			err = tampered("%s: %v", segs[i], err)
		}
		if err == nil && torn > 0 {
			if i != len(segs)-1 {
				err = tampered("segment %s ends inside a line", segs[i])
			} else {
				// A writer died mid-line: it was never acknowledged.
				err = f.Truncate(size - torn)
				if err == nil && s.opts.Durable {
					err = datasync(f)
				}
				t.size = size - torn
			}
		}
		f.Close()
		if err != nil {
			return t, err
		}
	}
	// An empty active segment not named after the next record (a rotation
	// whose records a machine crash lost, or a file someone created) would
	// hold records its name does not announce: start a proper one instead.
	if t.seg != "" && t.size == 0 && t.seg != h.Segment {
		if first, _ := segmentFirst(t.seg); first != t.seq+1 {
			if err := os.Remove(filepath.Join(s.dir, t.seg)); err != nil {
				return t, err
			}
			t.seg, t.segID = "", fileID{}
		}
	}
	return t, nil
}

// Append implements [Store].
func (s *FileStore) Append(ctx context.Context, rec *Record) (uint64, error) {
	return s.AppendBatch(ctx, []*Record{rec})
}

// AppendBatch implements [BatchAppender]: one lock, one write and one sync
// for all of recs.
func (s *FileStore) AppendBatch(ctx context.Context, recs []*Record) (uint64, error) {
	if len(recs) == 0 {
		return 0, errors.New("audit: append of no records")
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, errors.New("audit: store closed")
	}
	if err := s.loadAppendKey(); err != nil {
		return 0, fmt.Errorf("audit: %w", err)
	}
	now := s.opts.Now()
	for _, r := range recs {
		if err := prepare(r, s.seal, now); err != nil {
			return 0, fmt.Errorf("audit: %w", err)
		}
	}
	// After a failure nothing kept open is trusted: the next append opens
	// everything afresh. (Registered first, so it runs after the unlock.)
	ok := false
	defer func() {
		if !ok {
			s.h.close()
		}
	}()
	d, err := s.lockAppendDir(ctx)
	if err != nil {
		return 0, fmt.Errorf("audit: %w", err)
	}
	defer funlock(d)
	t, err := s.recoverTail(d)
	if err != nil {
		return 0, fmt.Errorf("audit: %w", err)
	}
	// A caller holding a barrier overlaps the final sync with its own work.
	var bar *action.Barrier
	if s.opts.Durable {
		bar = action.BarrierFrom(ctx)
	}
	rotated, pending, err := s.write(&t, recs, bar != nil)
	if err != nil {
		return 0, fmt.Errorf("audit: %w", err)
	}
	if pending != nil {
		pending.acquire()
		bar.Go(func() error {
			defer pending.release()
			if err := datasync(pending.File); err != nil {
				return fmt.Errorf("audit: sync: %w", err)
			}
			return nil
		})
	}
	last := t.seq
	if rotated && (s.opts.RetainSegments > 0 || s.opts.RetainAge > 0) {
		// The records are stored and sealed: a failed retention must not
		// make the caller deny what the trail says it decided. The trail
		// stays consistent (a prune record is taken back, segments are
		// removed only after it), and the next rotation tries again.
		if err := s.prune(d, &t); err != nil {
			// Nothing kept open is trusted after a failure (see above).
			return last, nil
		}
	}
	ok = true
	return last, nil
}

// write appends recs after t, rotating segments as needed, then seals the
// new head. t is advanced to the new end. With deferSync (durable mode only)
// the last write is not synced: its file is returned (a kept handle, not to
// be closed) for the caller to sync.
//
// A batch is all or nothing: when any write, sync, rotation or the head
// fails, what the batch wrote is taken back (the caller denies every record
// of it, so the trail must not say otherwise). Only when taking back fails
// too is what was written sealed, so that the head does not lag behind it.
func (s *FileStore) write(t *tailState, recs []*Record, deferSync bool) (rotated bool, pending *keptFile, err error) {
	orig := *t
	var created []string // segments this batch created
	var f *keptFile
	open := func(name string, id fileID, create bool) error {
		var err error
		f, err = s.appendSegment(name, id, create)
		if err == nil && create {
			created = append(created, name)
		}
		return err
	}
	written := *t // what is on disk, for the head if taking back fails
	fail := func(err error) (bool, *keptFile, error) {
		if s.undo(&orig, created) != nil {
			s.sealPartial(&written)
		}
		return rotated, nil, err
	}
	if t.seg == "" {
		t.seg, t.size = segmentName(t.seq+1), 0
		if err := open(t.seg, fileID{}, true); err != nil {
			return fail(err)
		}
	} else if err := open(t.seg, t.segID, false); err != nil {
		return fail(err)
	} else if t.size > 0 {
		// The sealed record before this end ends its line. A byte written
		// over that newline would glue the new record onto it, out of
		// every listing: the end is not what the head sealed.
		var last [1]byte
		if _, err := f.ReadAt(last[:], t.size-1); err != nil {
			return fail(err)
		}
		if last[0] != '\n' {
			return fail(tampered("the record ending at byte %d of %s lost its line end", t.size, t.seg))
		}
	}
	buf := s.lbuf[:0]
	flush := func(final bool) error {
		if len(buf) == 0 {
			return nil
		}
		if err := s.writeAll(f.File, buf); err != nil {
			// Take back a partial write so that no torn line stays behind.
			f.Truncate(t.size)
			return err
		}
		if s.opts.Durable && !(final && deferSync) {
			if err := datasync(f.File); err != nil {
				return err
			}
		}
		t.size += int64(len(buf))
		buf = buf[:0]
		return nil
	}
	next := *t
	for _, r := range recs {
		r.Seq = next.seq + 1
		r.Prev = s.prevString(&next.hash)
		r.Hash, r.MAC = "", ""
		var marks sealMarks
		if s.ubuf, err = appendRecordMarked(s.ubuf[:0], r, false, &marks); err != nil {
			return fail(err)
		}
		var h [32]byte
		h, s.hbuf = recordHash(&next.hash, s.ubuf, s.hbuf)
		r.Hash = hexString(h[:])
		r.MAC = hexString(s.seal.record(r.Seq, h[:]))
		s.prevRaw, s.prevHex = h, r.Hash
		lineStart := len(buf)
		// The sealed line is the unsealed encoding with hash and mac put
		// in: no second encoding.
		buf = appendSealed(buf, s.ubuf, &marks, r.Hash, r.MAC)
		buf = append(buf, '\n')
		if n := len(buf) - lineStart; n > maxLineBytes {
			return fail(fmt.Errorf("record of %d bytes is longer than the %d a line may hold", n, maxLineBytes))
		}
		if pending := t.size + int64(lineStart); pending > 0 && pending+int64(len(buf)-lineStart) > s.opts.MaxSegmentBytes {
			line := slices.Clone(buf[lineStart:])
			buf = buf[:lineStart]
			if err := flush(false); err != nil {
				return fail(err)
			}
			written = *t
			written.seq, written.hash = next.seq, next.hash
			t.seg, t.size = segmentName(r.Seq), 0
			if err := open(t.seg, fileID{}, true); err != nil {
				return fail(err)
			}
			rotated = true
			buf = append(buf, line...)
		}
		next.seq, next.hash = r.Seq, h
	}
	if err := flush(true); err != nil {
		return fail(err)
	}
	s.lbuf = buf[:0]
	t.seq, t.hash = next.seq, next.hash
	if err := s.writeHead(t); err != nil {
		written = *t
		return fail(err)
	}
	if deferSync {
		pending = f
	}
	return rotated, pending, nil
}

// prevString returns the hex form of hash, the previous record's hash.
func (s *FileStore) prevString(hash *[32]byte) string {
	if s.prevHex == "" || *hash != s.prevRaw {
		s.prevRaw, s.prevHex = *hash, hexString(hash[:])
	}
	return s.prevHex
}

// hexString is hex.EncodeToString of a hash or seal (32 bytes) with one
// allocation, not two.
func hexString(b []byte) string {
	if len(b) > 32 {
		return hex.EncodeToString(b)
	}
	var buf [64]byte
	n := hex.Encode(buf[:], b)
	return string(buf[:n])
}

// undo takes back what a failed batch wrote: the segment it started in is
// cut back to where the batch began, and the segments it created (holding
// only its records) are removed.
func (s *FileStore) undo(orig *tailState, created []string) error {
	var first error
	keep := func(err error) {
		if first == nil {
			first = err
		}
	}
	if orig.seg != "" {
		f, err := openRegular(filepath.Join(s.dir, orig.seg), os.O_WRONLY, 0, false)
		if err == nil {
			if err = f.Truncate(orig.size); err == nil && s.opts.Durable {
				err = datasync(f)
			}
			f.Close()
		}
		keep(err)
	}
	for _, name := range created {
		if name == orig.seg {
			continue
		}
		if err := os.Remove(filepath.Join(s.dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			keep(err)
		}
	}
	if len(created) > 0 && s.opts.Durable {
		syncDir(s.dir)
	}
	return first
}

// sealPartial seals what a failed batch did write, best effort, so that the
// head does not lag behind records on disk.
func (s *FileStore) sealPartial(written *tailState) {
	if written.seg != "" {
		s.writeHead(written)
	}
}

func (s *FileStore) writeAll(f *os.File, b []byte) error {
	if s.diskLeft != nil && int64(len(b)) > *s.diskLeft {
		n, _ := f.Write(b[:*s.diskLeft])
		*s.diskLeft -= int64(n)
		return &fs.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
	}
	if s.diskLeft != nil {
		*s.diskLeft -= int64(len(b))
	}
	if s.splitWrites > 0 && len(b) > 1 {
		half := len(b) / 2
		if _, err := f.Write(b[:half]); err != nil {
			return err
		}
		time.Sleep(s.splitWrites)
		b = b[half:]
	}
	_, err := f.Write(b)
	return err
}

// readLines calls fn for every complete line in f between from and to, with
// the line's offset, and returns the number of bytes after the last newline.
// A line longer than maxLineBytes is an error.
func (s *FileStore) readLines(f *os.File, from, to int64, fn func(line []byte, at int64) error) (int64, error) {
	if s.rbuf == nil {
		s.rbuf = make([]byte, 1<<20)
	}
	var torn int64
	var err error
	s.rbuf, torn, err = readLines(f, from, to, s.rbuf, fn, nil)
	return torn, err
}

func readLines(f *os.File, from, to int64, buf []byte, fn func(line []byte, at int64) error, long func(at int64) error) ([]byte, int64, error) {
	return readBatches(f, from, to, buf, func(data []byte, base int64, lines []span) error {
		for _, l := range lines {
			if err := fn(data[l.start:l.end], base+int64(l.start)); err != nil {
				return err
			}
		}
		return nil
	}, long)
}

// errLongLine is a line longer than any record safeclaw writes.
type errLongLine struct{ at int64 }

func (e errLongLine) Error() string {
	return fmt.Sprintf("line at byte %d is longer than %d bytes: not a record", e.at, maxLineBytes)
}

// readBatches calls fn with each buffer-full of complete lines of f between
// from and to (spans into data, without newlines; data[0] is at file offset
// base), and returns the number of bytes after the last newline. A line
// longer than maxLineBytes is passed to long (its offset) and skipped, or
// with long nil is an errLongLine; such a line at the end, unterminated,
// counts as passed, not as bytes after the last newline.
func readBatches(f *os.File, from, to int64, buf []byte, fn func(data []byte, base int64, lines []span) error, long func(at int64) error) ([]byte, int64, error) {
	var lines []span
	pos, n := from, 0 // buf[:n] holds the file from pos
	for {
		if n == len(buf) {
			if len(buf) >= maxLineBytes {
				// buf holds the start of one line and no newline.
				if long == nil {
					return buf, 0, errLongLine{pos}
				}
				if err := long(pos); err != nil {
					return buf, 0, err
				}
				next, err := skipLine(f, pos+int64(n), to, buf)
				if err != nil {
					return buf, 0, err
				}
				if next >= to {
					return buf, 0, nil
				}
				pos, n = next, 0
				continue
			}
			buf = append(buf, make([]byte, len(buf))...) // a line longer than the buffer
		}
		want := min(int64(len(buf)-n), to-(pos+int64(n)))
		if want > 0 {
			m, err := f.ReadAt(buf[n:n+int(want)], pos+int64(n))
			n += m
			if err != nil && !(errors.Is(err, io.EOF) && m > 0) {
				if errors.Is(err, io.EOF) {
					to = pos + int64(n) // the file shrank under us
				} else {
					return buf, 0, err
				}
			}
		}
		start := 0
		lines = lines[:0]
		for {
			k := bytes.IndexByte(buf[start:n], '\n')
			if k < 0 {
				break
			}
			lines = append(lines, span{start, start + k})
			start += k + 1
		}
		if len(lines) > 0 {
			if err := fn(buf[:n], pos, lines); err != nil {
				return buf, 0, err
			}
		}
		copy(buf, buf[start:n])
		pos += int64(start)
		n -= start
		if pos+int64(n) >= to {
			return buf, int64(n), nil
		}
	}
}

// skipLine returns the offset just after the first newline in f at or after
// off (to when there is none before to), reading through buf.
func skipLine(f *os.File, off, to int64, buf []byte) (int64, error) {
	for off < to {
		m, err := f.ReadAt(buf[:min(int64(len(buf)), to-off)], off)
		if k := bytes.IndexByte(buf[:m], '\n'); k >= 0 {
			return off + int64(k) + 1, nil
		}
		off += int64(m)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return to, nil
			}
			return 0, err
		}
	}
	return to, nil
}

// Repair removes an incomplete last line left by a writer that crashed, and
// nothing else. It returns what it removed (nil when there was nothing). It
// refuses when the incomplete line holds a record the head seal vouches for:
// that is tampering, not a crash.
func (s *FileStore) Repair(ctx context.Context) (*TornTail, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.lockDir(ctx, false, true)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	defer unlockDir(d)
	segs, err := segments(d)
	if err != nil || len(segs) == 0 {
		return nil, err
	}
	name := segs[len(segs)-1]
	f, err := openRegular(filepath.Join(s.dir, name), os.O_RDWR, 0, false)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	cut, err := lastNewlineEnd(f, fi.Size())
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	if cut == fi.Size() {
		return nil, nil
	}
	// Only a line the head seal does not vouch for can be a crash's. The
	// head must verify: a head that is missing, unreadable or forged says
	// nothing about where the trail ended (and appends refuse such a trail
	// anyway), so then nothing is removed and the evidence stays.
	data, err := s.readHeadFile()
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	if data == nil {
		if cut > 0 || len(segs) > 1 {
			return nil, tampered("the head seal is missing but the trail holds records: nothing removed (the incomplete last line of %s may be a record it vouched for)", name)
		}
	} else {
		if err := s.loadKey(false); err != nil {
			return nil, fmt.Errorf("audit: cannot check the head seal, nothing removed: %w", err)
		}
		h, err := parseHead(data, s.seal)
		if err != nil {
			return nil, tampered("%v: nothing removed", err)
		}
		if h.Segment > name || (h.Segment == name && h.Size > cut) {
			return nil, tampered("the incomplete last line of %s is sealed by the head: not a crash, nothing removed", name)
		}
	}
	if err := f.Truncate(cut); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	if err := datasync(f); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return &TornTail{Segment: name, Offset: cut, Bytes: fi.Size() - cut}, nil
}

// lastNewlineEnd returns the offset just after the last newline in f[:size]
// (0 when there is none).
func lastNewlineEnd(f *os.File, size int64) (int64, error) {
	buf := make([]byte, 64<<10)
	end := size
	for end > 0 {
		start := max(0, end-int64(len(buf)))
		chunk := buf[:end-start]
		if _, err := f.ReadAt(chunk, start); err != nil && !errors.Is(err, io.EOF) {
			return 0, err
		}
		if k := bytes.LastIndexByte(chunk, '\n'); k >= 0 {
			return start + int64(k) + 1, nil
		}
		end = start
	}
	return 0, nil
}

// prune applies retention after a rotation, under the lock: it appends a
// prune record describing the oldest segments, then removes them.
func (s *FileStore) prune(d *os.File, t *tailState) error {
	if _, err := d.Seek(0, io.SeekStart); err != nil {
		return err
	}
	segs, err := segments(d)
	if err != nil {
		return err
	}
	n := 0
	if keep := s.opts.RetainSegments; keep > 0 && len(segs) > keep {
		// Only segments with records count: empty files (safeclaw leaves
		// none but the active segment) must not push real ones out.
		kept := 0
		for n = len(segs); n > 0 && kept < keep; {
			n--
			if fi, err := os.Lstat(filepath.Join(s.dir, segs[n])); err != nil || fi.Size() > 0 {
				kept++
			}
		}
	}
	if s.opts.RetainAge > 0 {
		cutoff := s.opts.Now().Add(-s.opts.RetainAge)
		for n < len(segs)-1 {
			info, err := s.segmentInfo(segs[n])
			if err != nil {
				return err
			}
			if !info.last.Before(cutoff) {
				break
			}
			n++
		}
	}
	n = min(n, len(segs)-1) // never the active segment
	if n <= 0 {
		return nil
	}
	p := &Prune{}
	for _, name := range segs[:n] {
		info, err := s.segmentInfo(name)
		if err != nil {
			return err
		}
		if info.records == 0 {
			continue
		}
		p.Segments = append(p.Segments, PrunedSegment{Name: name, FirstSeq: info.first, LastSeq: info.lastSeq,
			LastHash: info.lastHash, Records: info.lastSeq - info.first + 1})
	}
	if len(p.Segments) > 0 {
		rec := &Record{Type: TypePrune, Prune: p}
		if err := prepare(rec, s.seal, s.opts.Now()); err != nil {
			return err
		}
		if _, _, err := s.write(t, []*Record{rec}, false); err != nil {
			return err
		}
	}
	for _, name := range segs[:n] {
		if err := os.Remove(filepath.Join(s.dir, name)); err != nil {
			return err
		}
	}
	syncDir(s.dir)
	return nil
}

type segInfo struct {
	first, lastSeq uint64
	lastHash       string
	last           time.Time
	records        int
}

// segmentInfo reads a segment's first and last record.
func (s *FileStore) segmentInfo(name string) (segInfo, error) {
	var info segInfo
	f, err := openRegular(filepath.Join(s.dir, name), os.O_RDONLY, 0, false)
	if err != nil {
		return info, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return info, err
	}
	end, err := lastNewlineEnd(f, fi.Size())
	if err != nil {
		return info, err
	}
	if end != fi.Size() {
		// Only the active segment can end inside a line (a crash's
		// incomplete write); an older one that does was changed, and is
		// kept as evidence rather than removed without a prune entry.
		return info, tampered("segment %s ends inside a line: not pruned", name)
	}
	if end == 0 {
		return info, nil
	}
	// First line.
	head := make([]byte, min(end, 64<<10))
	if _, err := f.ReadAt(head, 0); err != nil && !errors.Is(err, io.EOF) {
		return info, err
	}
	if k := bytes.IndexByte(head, '\n'); k >= 0 {
		if err := s.sc.scan(head[:k]); err == nil && s.sc.hasSeq {
			info.first = s.sc.seq
		}
	}
	// Last line.
	startLast, err := lastNewlineEnd(f, end-1)
	if err != nil {
		return info, err
	}
	if end-1-startLast > maxLineBytes {
		return info, fmt.Errorf("segment %s: last line too long", name)
	}
	line := make([]byte, end-1-startLast)
	if _, err := f.ReadAt(line, startLast); err != nil && !errors.Is(err, io.EOF) {
		return info, err
	}
	if err := s.sc.scan(line); err != nil || !s.sc.hasSeq {
		return info, fmt.Errorf("segment %s: last record unreadable", name)
	}
	// What retention decides on (the last record's time) and what the prune
	// record vouches for (its seq and hash) must be the sealed record's: an
	// edited time would otherwise make retention remove recent segments,
	// and a sealed prune record vouch for the gap.
	var prev, hash, mac [32]byte
	if !decodeHex32(&prev, s.sc.prev) || !decodeHex32(&hash, s.sc.hash) || !decodeHex32(&mac, s.sc.mac) ||
		s.sc.hashLine(line, &prev) != hash || !hmac.Equal(mac[:], s.seal.record(s.sc.seq, hash[:])) {
		return info, tampered("segment %s: last record does not verify: not pruned", name)
	}
	info.lastSeq, info.lastHash = s.sc.seq, string(s.sc.hash)
	info.records = 1
	if i := bytes.LastIndex(line, timeKey); i >= 0 {
		if t, err := time.Parse(timeLayout, string(line[i+len(timeKey):min(len(line), i+len(timeKey)+len(timeLayout))])); err == nil {
			info.last = t
		}
	}
	if info.first == 0 {
		// A first line longer than was read: the segment's name says
		// which record it holds (verify checks that it does).
		info.first, _ = segmentFirst(name)
	}
	if info.first == 0 || info.first > info.lastSeq {
		info.first = info.lastSeq
	}
	return info, nil
}
