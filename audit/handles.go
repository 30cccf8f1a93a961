package audit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync/atomic"
)

// appendHandles are the directory, head and active segment a store keeps
// open between appends, so that an append makes about ten system calls
// rather than twenty. Each is used only while its path still names the
// same file (checked with one stat per append, which the append needs
// anyway): a directory, head or segment removed or replaced since is
// reopened, exactly as a fresh open would find it. They are guarded by
// the store's mutex.
type appendHandles struct {
	dir     *os.File
	dirID   fileID
	head    *os.File
	headID  fileID
	seg     *keptFile
	segName string
	segID   fileID
	headBuf []byte
}

func (h *appendHandles) close() {
	h.closeHead()
	h.closeSeg()
	if h.dir != nil {
		h.dir.Close()
		h.dir = nil
	}
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
// append. Unlock with funlock; the handle stays open.
func (s *FileStore) lockAppendDir(ctx context.Context) (*os.File, error) {
	h := &s.h
	reopen := h.dir == nil
	if !reopen {
		// The kept handle serves while the path names the same directory.
		id, _, err := statID(s.dir)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		reopen = err != nil || !id.known() || h.dirID != id
	}
	if reopen {
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
		h.dir, h.dirID = d, id
	} else if _, err := h.dir.Seek(0, io.SeekStart); err != nil { // to list it again
		h.close()
		return nil, err
	}
	if err := flock(ctx, h.dir, true); err != nil {
		return nil, fmt.Errorf("lock %s: %w", s.dir, err)
	}
	return h.dir, nil
}

// readAppendHead is readHeadFile through the kept handle.
func (s *FileStore) readAppendHead() ([]byte, error) {
	h := &s.h
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
	if h.headBuf == nil {
		h.headBuf = make([]byte, headSize)
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
	flags := os.O_WRONLY | os.O_APPEND
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
