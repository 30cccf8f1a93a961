package audit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync/atomic"
	"time"
)

// appendHandles are the directory, head and active segment a store keeps
// open between appends, so that an append makes about seven system calls
// rather than twenty. Each is used only while its path still names the
// same file: a directory, head or segment removed or replaced since is
// reopened, exactly as a fresh open would find it. The directory's path is
// checked with a stat under the lock; while its stamp (ctime) is unchanged
// no entry in it was added, removed or renamed, so the listing, head and
// segment kept from an earlier append are still what the paths name, and
// they are read without a stat each. They are guarded by the store's
// mutex.
type appendHandles struct {
	dir     *os.File
	dirID   fileID
	head    *os.File
	headID  fileID
	seg     *keptFile
	segName string
	segID   fileID
	headBuf []byte

	// listed: dir was read to its end (a listing seeks back first).
	listed bool
	// stamp is the directory's stamp as this append found it under the
	// lock (stampKnown), for appendSegments.
	stamp      dirStamp
	stampKnown bool
	// segs is a listing of the directory taken at stamp segsStamp, kept
	// (segsTrusted) only when taken stampMargin after that change.
	segs        []string
	segsStamp   dirStamp
	segsTrusted bool
}

func (h *appendHandles) close() {
	h.closeHead()
	h.closeSeg()
	if h.dir != nil {
		h.dir.Close()
		h.dir = nil
	}
	h.listed, h.stampKnown, h.segs, h.segsTrusted = false, false, nil, false
}

func (h *appendHandles) closeHead() {
	if h.head != nil {
		h.head.Close()
		h.head = nil
	}
}

func (h *appendHandles) closeSeg() {
	if h.seg != nil {
		h.seg.release()
		h.seg, h.segName = nil, ""
	}
}

// keptFile is a segment handle shared by the store and the syncs started
// on barriers: it is closed when the last of them lets go, so that a sync
// still to run never finds it closed (or its number reused).
type keptFile struct {
	*os.File
	refs atomic.Int32
}

func keep(f *os.File) *keptFile {
	k := &keptFile{File: f}
	k.refs.Store(1)
	return k
}

func (k *keptFile) acquire() { k.refs.Add(1) }

func (k *keptFile) release() {
	if k.refs.Add(-1) == 0 {
		k.File.Close()
	}
}

// lockAppendDir creates the log directory if needed and locks it for an
// append. Under the lock it checks that the path still names the kept
// directory and notes the directory's stamp, which tells appendSegments
// whether its entries changed since they were last listed. A directory
// opened afresh is not stat'ed: it is listed anyway.
func (s *FileStore) lockAppendDir(ctx context.Context) (*os.File, error) {
	h := &s.h
	for {
		fresh := h.dir == nil
		if fresh {
			// With nothing kept the open alone tells whether the directory
			// exists: no stat before it.
			h.close()
			d, id, err := openKept(s.dir, os.O_RDONLY, 0, false)
			if errors.Is(err, fs.ErrNotExist) {
				if err = os.MkdirAll(s.dir, 0o700); err == nil {
					d, id, err = openKept(s.dir, os.O_RDONLY, 0, false)
				}
			}
			if err != nil {
				return nil, err
			}
			h.dir, h.dirID, h.listed = d, id, false
		}
		if err := flock(ctx, h.dir, true); err != nil {
			return nil, fmt.Errorf("lock %s: %w", s.dir, err)
		}
		h.stampKnown = false
		if fresh {
			return h.dir, nil
		}
		// The kept handle serves while the path names the same directory.
		id, stamp, err := statStamp(s.dir)
		if err == nil && id.known() && id == h.dirID {
			h.stamp, h.stampKnown = stamp, true
			return h.dir, nil
		}
		funlock(h.dir)
		h.close()
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		// Removed or replaced since the last append: open it afresh.
	}
}

// stampMargin is how long after a directory's last change a listing of it
// must be taken to be kept: a change in the same tick of the kernel's
// coarse clock would leave the stamp as it was, a later one cannot. A stamp
// with no fraction of a second may come from a file system that keeps
// whole seconds (or two), where a later change in the same second leaves it
// as it was: coarseStampMargin then.
const (
	stampMargin       = 50 * time.Millisecond
	coarseStampMargin = 3 * time.Second
)

// appendSegments lists the segments in the locked directory d, or, when
// its stamp shows that its entries have not changed since an earlier
// append listed them, returns that listing (kept reports which). A kept
// listing must not be modified.
func (s *FileStore) appendSegments(d *os.File) (segs []string, kept bool, err error) {
	h := &s.h
	if h.stampKnown && h.segsTrusted && h.stamp == h.segsStamp {
		return h.segs, true, nil
	}
	if h.listed {
		if _, err := d.Seek(0, io.SeekStart); err != nil {
			return nil, false, err
		}
	}
	h.listed, h.segs, h.segsTrusted = true, nil, false
	if segs, err = segments(d); err != nil {
		return nil, false, err
	}
	margin := stampMargin
	if h.stamp.coarse() {
		margin = coarseStampMargin
	}
	if h.stampKnown && time.Since(h.stamp.time()) > margin {
		h.segs, h.segsStamp, h.segsTrusted = segs, h.stamp, true
	}
	return segs, false, nil
}

// readAppendHead is readHeadFile through the kept handle. With kept set
// (the directory's entries have not changed since the head was last found
// at its path) the kept handle is read without a stat.
func (s *FileStore) readAppendHead(kept bool) ([]byte, error) {
	h := &s.h
	if h.headBuf == nil {
		h.headBuf = make([]byte, headSize+1)
	}
	if kept && h.head != nil {
		// One read of one byte more than a head: a longer file is not one
		// safeclaw wrote.
		n, err := preadOnce(h.head, h.headBuf, 0)
		if err != nil {
			h.closeHead()
			return nil, err
		}
		if n > headSize {
			return s.readHeadFile()
		}
		if n == 0 {
			return nil, nil
		}
		return h.headBuf[:n], nil
	}
	name := s.headPath
	id, size, err := statID(name)
	if errors.Is(err, fs.ErrNotExist) {
		h.closeHead()
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if h.head == nil || !id.known() || h.headID != id {
		h.closeHead()
		f, id, err := openKept(name, os.O_RDWR, 0, true)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		h.head, h.headID = f, id
	}
	if size > headSize {
		// Longer than any head safeclaw writes: read it as a fresh open
		// would, for the parser to refuse.
		return s.readHeadFile()
	}
	// The size the stat found is read in one call: a head is rewritten in
	// place, under the lock this append holds.
	n, err := h.head.ReadAt(h.headBuf[:size], 0)
	if err != nil && !errors.Is(err, io.EOF) {
		h.closeHead()
		return nil, err
	}
	if n == 0 {
		return nil, nil
	}
	return h.headBuf[:n], nil
}

// writeAppendHead writes data over the head, through the kept handle
// (creating the head the first time).
func (s *FileStore) writeAppendHead(data []byte) error {
	h := &s.h
	if h.head == nil {
		f, id, err := openKept(s.headPath, os.O_RDWR|os.O_CREATE, 0o600, true)
		if err != nil {
			return err
		}
		h.head, h.headID = f, id
	}
	if _, err := h.head.WriteAt(data, 0); err != nil {
		h.closeHead()
		return err
	}
	return nil
}

// appendSegment returns the handle to write the segment name (at id, as
// the append's stat found it), creating the segment when create is set.
func (s *FileStore) appendSegment(name string, id fileID, create bool) (*keptFile, error) {
	h := &s.h
	if !create && h.seg != nil && h.segName == name && id.known() && h.segID == id {
		return h.seg, nil
	}
	h.closeSeg()
	// Read too: write checks the byte before the end it appends at.
	flags := os.O_RDWR | os.O_APPEND
	if create {
		flags |= os.O_CREATE | os.O_EXCL
	}
	f, id, err := openKept(s.segPath(name), flags, 0o600, true)
	if err != nil {
		return nil, err
	}
	h.segID = id
	if create && s.opts.Durable {
		syncDir(s.dir)
	}
	h.seg, h.segName = keep(f), name
	return h.seg, nil
}

// openKept opens a file to keep, with the identity its path is checked
// against on later appends. A trail file (regular set: the head or a
// segment) must be a regular file and not a symbolic link.
func openKept(name string, flag int, perm os.FileMode, regular bool) (*os.File, fileID, error) {
	if regular {
		return openRegularID(name, flag, perm, false)
	}
	f, err := openFile(name, flag, perm)
	if err != nil {
		return nil, fileID{}, err
	}
	id, err := fstatID(f)
	if err != nil {
		f.Close()
		return nil, fileID{}, err
	}
	return f, id, nil
}
