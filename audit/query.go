package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Query implements [Store]. Lines that cannot match are skipped before they
// are decoded; with AfterSeq the scan starts at the right segment and
// offset; with Newest the segments are read backwards. Query takes no lock:
// it reads complete lines only and may miss records appended while it runs.
func (s *FileStore) Query(ctx context.Context, f *Filter, fn func(*Record) error) error {
	d, err := os.Open(s.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	segs, err := segments(d)
	d.Close()
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	q := &query{ctx: ctx, f: f, lf: f.lineFilter(), fn: fn}
	if f != nil && f.Newest > 0 {
		err = s.queryNewest(q, segs)
	} else {
		err = s.queryForward(q, segs)
	}
	if errors.Is(err, ErrStop) {
		return nil
	}
	return err
}

type query struct {
	ctx   context.Context
	f     *Filter
	lf    *lineFilter
	fn    func(*Record) error
	lines int
}

// consider decodes line when it may match and returns the record if it does.
func (q *query) consider(line []byte) (*Record, error) {
	q.lines++
	if q.lines&4095 == 0 {
		if err := q.ctx.Err(); err != nil {
			return nil, err
		}
	}
	if !q.lf.pass(line) {
		return nil, nil
	}
	r, err := decodeRecord(line)
	if err != nil {
		return nil, nil // verify reports unreadable lines; a query skips them
	}
	if !q.f.Match(r) {
		return nil, nil
	}
	return r, nil
}

func (s *FileStore) queryForward(q *query, segs []string) error {
	start := 0
	var after uint64
	if q.f != nil {
		after = q.f.AfterSeq
	}
	if after > 0 {
		// The last segment announced to start at or before after+1.
		for i, name := range segs {
			if first, _ := segmentFirst(name); first <= after+1 {
				start = i
			}
		}
	}
	for i := start; i < len(segs); i++ {
		f, err := openRegular(filepath.Join(s.dir, segs[i]), os.O_RDONLY, 0, false)
		if errors.Is(err, fs.ErrNotExist) {
			continue // pruned meanwhile
		}
		if err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			return fmt.Errorf("audit: %w", err)
		}
		from := int64(0)
		if after > 0 && i == start {
			if from, err = seekSeq(f, fi.Size(), after+1); err != nil {
				f.Close()
				return fmt.Errorf("audit: %w", err)
			}
		}
		_, _, err = readLines(f, from, fi.Size(), make([]byte, 1<<20), func(line []byte, _ int64) error {
			r, err := q.consider(line)
			if err != nil || r == nil {
				return err
			}
			return q.fn(r)
		}, func(int64) error { return nil }) // not a record: verify reports it
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// seekSeq returns the offset of the first line in f[:size] whose seq is at
// least want, by binary search over line starts (lines are in seq order).
func seekSeq(f *os.File, size int64, want uint64) (int64, error) {
	var sc scanner
	buf := make([]byte, 64<<10)
	// lineAt returns the start of the first line at or after off, and its seq.
	lineAt := func(off int64) (int64, uint64, bool, error) {
		start := off
		if off > 0 {
			// Find the end of the line that off falls into.
			for {
				n, err := f.ReadAt(buf, start-1)
				if n == 0 {
					return size, 0, false, nil
				}
				if k := bytes.IndexByte(buf[:n], '\n'); k >= 0 {
					start = start - 1 + int64(k) + 1
					break
				}
				start += int64(n)
				if err != nil {
					return size, 0, false, nil
				}
			}
		}
		if start >= size {
			return size, 0, false, nil
		}
		n, err := f.ReadAt(buf, start)
		if err != nil && !errors.Is(err, io.EOF) {
			return 0, 0, false, err
		}
		k := bytes.IndexByte(buf[:n], '\n')
		if k < 0 || sc.scan(buf[:k]) != nil || !sc.hasSeq {
			return start, 0, false, nil // long or unreadable line: stop narrowing
		}
		return start, sc.seq, true, nil
	}
	lo, hi := int64(0), size
	for hi-lo > 4096 {
		mid := lo + (hi-lo)/2
		start, seq, ok, err := lineAt(mid)
		if err != nil {
			return 0, err
		}
		if !ok || start >= hi {
			break
		}
		if seq < want {
			lo = start
		} else {
			hi = start
		}
	}
	return lo, nil
}

// queryNewest reads segments from the newest backwards until it has the
// newest N matches, then delivers them oldest first.
func (s *FileStore) queryNewest(q *query, segs []string) error {
	want := q.f.Newest
	var found []*Record
	for i := len(segs) - 1; i >= 0 && len(found) < want; i-- {
		f, err := openRegular(filepath.Join(s.dir, segs[i]), os.O_RDONLY, 0, false)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		fi, err := f.Stat()
		if err == nil {
			err = readLinesBackward(f, fi.Size(), func(line []byte) error {
				r, err := q.consider(line)
				if err != nil || r == nil {
					return err
				}
				if q.f.AfterSeq > 0 && r.Seq <= q.f.AfterSeq {
					return ErrStop
				}
				found = append(found, r)
				if len(found) >= want {
					return ErrStop
				}
				return nil
			})
		}
		f.Close()
		if errors.Is(err, ErrStop) {
			if len(found) < want { // reached AfterSeq
				break
			}
			continue
		}
		if err != nil {
			return err
		}
	}
	for i := len(found) - 1; i >= 0; i-- {
		if err := q.fn(found[i]); err != nil {
			return err
		}
	}
	return nil
}

// readLinesBackward calls fn for each complete line of f[:size], last first.
// Bytes after the last newline (a torn line) are skipped.
func readLinesBackward(f *os.File, size int64, fn func(line []byte) error) error {
	end, err := lastNewlineEnd(f, size)
	if err != nil {
		return err
	}
	chunk := int64(1 << 20)
	var carry []byte  // the start of a line whose end was in a later chunk
	skipping := false // inside a line longer than maxLineBytes: not a record
	buf := make([]byte, chunk)
	for end > 0 {
		start := max(0, end-chunk)
		b := buf[:end-start]
		if _, err := f.ReadAt(b, start); err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		var data []byte
		stop := 0
		if skipping {
			// Drop the rest of the long line: up to the newline before it.
			data = b
			k := bytes.LastIndexByte(data, '\n')
			if k < 0 {
				end = start
				continue
			}
			skipping, stop = false, k
		} else {
			data = append(b, carry...)
			// data ends with a newline (or holds only part of the first line).
			stop = len(data)
			if stop > 0 && data[stop-1] == '\n' {
				stop--
			}
		}
		for {
			k := bytes.LastIndexByte(data[:stop], '\n')
			if k < 0 {
				break
			}
			if err := fn(data[k+1 : stop]); err != nil {
				return err
			}
			stop = k
		}
		if start == 0 {
			if stop > 0 {
				if err := fn(data[:stop]); err != nil {
					return err
				}
			}
			return nil
		}
		if stop > maxLineBytes {
			carry, skipping = nil, true
		} else {
			carry = append(carry[:0], data[:stop]...)
			carry = append(carry, '\n')
		}
		end = start
	}
	return nil
}
