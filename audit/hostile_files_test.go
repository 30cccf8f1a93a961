//go:build unix

package audit

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// within fails the test when f does not return within a few seconds: a
// FIFO in place of a trail file must not hold an open or a read.
func within(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatalf("%s blocked", what)
	}
}

// TestNonRegularTrailFiles puts a symbolic link or a FIFO in place of a
// segment, the head or the key. safeclaw writes only regular files there:
// appends refuse (so the decision is denied) and never write through a
// link, verify reports it instead of reading it, and nothing blocks.
func TestNonRegularTrailFiles(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		replace func(t *testing.T, s *FileStore) (target string) // returns a symlink's target, if any
		kind    string                                           // verify's first problem ("" when verify cannot run)
		seq     uint64
	}{
		{"segment symlink", func(t *testing.T, s *FileStore) string {
			return swapForSymlink(t, segPaths(t, s)[0])
		}, ProblemMalformed, 1},
		{"segment fifo", func(t *testing.T, s *FileStore) string {
			swapForFIFO(t, segPaths(t, s)[0])
			return ""
		}, ProblemMalformed, 1},
		{"head symlink", func(t *testing.T, s *FileStore) string {
			return swapForSymlink(t, filepath.Join(s.dir, headFile))
		}, ProblemHeadInvalid, 6},
		{"head fifo", func(t *testing.T, s *FileStore) string {
			swapForFIFO(t, filepath.Join(s.dir, headFile))
			return ""
		}, ProblemHeadInvalid, 6},
		{"dangling head symlink", func(t *testing.T, s *FileStore) string {
			head := filepath.Join(s.dir, headFile)
			target := filepath.Join(t.TempDir(), "created-through-link")
			os.Remove(head)
			if err := os.Symlink(target, head); err != nil {
				t.Fatal(err)
			}
			return target
		}, ProblemHeadInvalid, 6},
		{"key fifo", func(t *testing.T, s *FileStore) string {
			swapForFIFO(t, s.opts.KeyFile)
			return ""
		}, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestStore(t, FileOptions{Durable: true})
			appendN(t, s, 5)
			target := tt.replace(t, s)
			var before []byte
			if target != "" {
				before, _ = os.ReadFile(target)
			}
			// A fresh store, as the next hook process opens it.
			s2, err := OpenFile(s.dir, s.opts)
			if err != nil {
				t.Fatal(err)
			}
			// Not deferred: after a blocked call Close would wait for it.
			within(t, "append", func() {
				if _, err := s2.Append(ctx, sampleRecord(9)); err == nil {
					t.Error("append through a non-regular trail file succeeded")
				}
			})
			if target != "" {
				if after, _ := os.ReadFile(target); !bytes.Equal(after, before) {
					t.Errorf("append wrote through the symbolic link to %s", target)
				}
			}
			within(t, "verify", func() {
				rep, err := s2.Verify(ctx)
				if tt.kind == "" {
					if err == nil {
						t.Errorf("verify without a readable key: %+v", rep)
					}
					return
				}
				if err != nil {
					t.Errorf("verify: %v", err)
					return
				}
				wantFirstBad(t, rep, tt.kind, tt.seq)
			})
			within(t, "query", func() {
				err := s2.Query(ctx, nil, func(*Record) error { return nil })
				if tt.name == "segment symlink" || tt.name == "segment fifo" {
					if !errors.Is(err, errNotRegular) {
						t.Errorf("query of a non-regular segment: %v", err)
					}
				}
			})
			within(t, "repair", func() { s2.Repair(ctx) })
			s2.Close()
		})
	}
}

// swapForSymlink moves path's file elsewhere and puts a symbolic link to it
// in its place, returning the new location.
func swapForSymlink(t *testing.T, path string) string {
	t.Helper()
	target := filepath.Join(t.TempDir(), filepath.Base(path))
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(target, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
	return target
}

func swapForFIFO(t *testing.T, path string) {
	t.Helper()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
}

// TestRepairKeepsEvidence: repair removes an incomplete last line only when
// a head seal that verifies shows it was never sealed. Without such a head
// (removed, unreadable, forged, naming a segment that is gone) or without
// the key to check it, the line may be a sealed record that lost its
// newline, and repair refuses and leaves every byte.
func TestRepairKeepsEvidence(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		tamper func(t *testing.T, s *FileStore)
	}{
		{"head removed", func(t *testing.T, s *FileStore) {
			os.Remove(filepath.Join(s.dir, headFile))
		}},
		{"head unreadable", func(t *testing.T, s *FileStore) {
			os.WriteFile(filepath.Join(s.dir, headFile), bytes.Repeat([]byte("x"), headSize), 0o600)
		}},
		{"head forged to name another segment", func(t *testing.T, s *FileStore) {
			head := filepath.Join(s.dir, headFile)
			data, _ := os.ReadFile(head)
			forged := bytes.Replace(data, []byte(segmentName(1)), []byte(segmentName(2)), 1)
			if bytes.Equal(forged, data) {
				t.Fatal("head not edited")
			}
			os.WriteFile(head, forged, 0o600)
		}},
		{"key removed", func(t *testing.T, s *FileStore) {
			os.Remove(s.opts.KeyFile)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestStore(t, FileOptions{})
			appendN(t, s, 5)
			seg := segPaths(t, s)[0]
			data, _ := os.ReadFile(seg)
			os.WriteFile(seg, data[:len(data)-1], 0o600) // the sealed last record loses its newline
			tt.tamper(t, s)
			s2, _ := OpenFile(s.dir, s.opts) // no key cached
			defer s2.Close()
			if removed, err := s2.Repair(ctx); err == nil {
				t.Fatalf("repair removed %+v", removed)
			}
			if got, _ := os.ReadFile(seg); len(got) != len(data)-1 {
				t.Fatal("repair removed a record")
			}
		})
	}

	t.Run("segment the head names removed", func(t *testing.T) {
		s := newTestStore(t, FileOptions{MaxSegmentBytes: 2048})
		appendN(t, s, 12)
		segs := segPaths(t, s)
		if len(segs) < 3 {
			t.Fatalf("want several segments, have %d", len(segs))
		}
		os.Remove(segs[len(segs)-1])
		prev := segs[len(segs)-2]
		data, _ := os.ReadFile(prev)
		os.WriteFile(prev, data[:len(data)-1], 0o600)
		if removed, err := s.Repair(ctx); !errors.Is(err, ErrTampered) {
			t.Fatalf("repair = %+v, %v; want ErrTampered", removed, err)
		}
		if got, _ := os.ReadFile(prev); len(got) != len(data)-1 {
			t.Fatal("repair removed a record")
		}
	})

	t.Run("first append crashed before the head", func(t *testing.T) {
		// A genuine crash artefact: the only content is an incomplete line
		// and there is no head yet. Repair removes it.
		s := newTestStore(t, FileOptions{})
		if err := os.MkdirAll(s.dir, 0o700); err != nil {
			t.Fatal(err)
		}
		seg := filepath.Join(s.dir, segmentName(1))
		os.WriteFile(seg, []byte(`{"actions":[{"action":"shell.ex`), 0o600)
		removed, err := s.Repair(ctx)
		if err != nil || removed == nil || removed.Offset != 0 {
			t.Fatalf("repair = %+v, %v", removed, err)
		}
		if seq, err := s.Append(ctx, sampleRecord(1)); err != nil || seq != 1 {
			t.Fatalf("append after repair: %d, %v", seq, err)
		}
	})
}

// TestFirstAppendRefusesLinkedHead: on a fresh trail, a head that is a
// dangling symbolic link must not make the first append create the file it
// points to (anywhere the writer may write).
func TestFirstAppendRefusesLinkedHead(t *testing.T) {
	s := newTestStore(t, FileOptions{})
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateKey(s.opts.KeyFile); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(t.TempDir(), "not-a-head")
	if err := os.Symlink(target, filepath.Join(s.dir, headFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(context.Background(), sampleRecord(1)); !errors.Is(err, errNotRegular) {
		t.Fatalf("append with a linked head: %v", err)
	}
	if _, err := os.Lstat(target); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the append created %s through the link: %v", target, err)
	}
	// Nothing acknowledged, nothing left behind that a later append would
	// take for a record.
	for _, seg := range segPaths(t, s) {
		if fi, err := os.Stat(seg); err == nil && fi.Size() > 0 {
			t.Fatalf("%s holds %d bytes after a failed append", seg, fi.Size())
		}
	}
}

// TestMissingKeyIsNotReplaced: a key removed beside a trail is not
// replaced by a new one on the next append (which would make every earlier
// record look forged): appends fail, and deny, until it is restored; a
// fresh trail still creates its key.
func TestMissingKeyIsNotReplaced(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, FileOptions{})
	appendN(t, s, 3)
	saved, err := os.ReadFile(s.opts.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(s.opts.KeyFile)
	s2, _ := OpenFile(s.dir, s.opts)
	defer s2.Close()
	if _, err := s2.Append(ctx, sampleRecord(4)); !errors.Is(err, ErrNoKey) {
		t.Fatalf("append without the trail's key: %v", err)
	}
	if _, err := os.Stat(s.opts.KeyFile); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a new key was created beside the trail: %v", err)
	}
	// Restored, the trail continues and verifies.
	if err := os.WriteFile(s.opts.KeyFile, saved, 0o600); err != nil {
		t.Fatal(err)
	}
	if seq, err := s2.Append(ctx, sampleRecord(4)); err != nil || seq != 4 {
		t.Fatalf("append after the key was restored: %d, %v", seq, err)
	}
	if rep := mustVerify(t, s2); !rep.Intact || rep.LastSeq != 4 {
		t.Fatalf("after restoring the key: %+v", rep)
	}

	// A head alone (segments removed) is a trail too.
	os.Remove(s.opts.KeyFile)
	for _, p := range segPaths(t, s) {
		os.Remove(p)
	}
	s3, _ := OpenFile(s.dir, s.opts)
	defer s3.Close()
	if _, err := s3.Append(ctx, sampleRecord(5)); !errors.Is(err, ErrNoKey) {
		t.Fatalf("append beside a head without its key: %v", err)
	}

	// A fresh trail (an empty directory) creates its key on first use.
	fresh := newTestStore(t, FileOptions{})
	if err := os.MkdirAll(fresh.dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if seq, err := fresh.Append(ctx, sampleRecord(1)); err != nil || seq != 1 {
		t.Fatalf("first append: %d, %v", seq, err)
	}
}

// TestVerifyWithAnotherKey: a trail checked with a key that is not its own
// (the key file replaced) fails at seq 1, and the report says that the key
// may be the cause rather than only calling every record forged.
func TestVerifyWithAnotherKey(t *testing.T) {
	s := newTestStore(t, FileOptions{})
	appendN(t, s, 4)
	other := filepath.Join(t.TempDir(), "other.key")
	if _, err := LoadOrCreateKey(other); err != nil {
		t.Fatal(err)
	}
	s2, _ := OpenFile(s.dir, FileOptions{KeyFile: other})
	defer s2.Close()
	rep := mustVerify(t, s2)
	wantFirstBad(t, rep, ProblemUnsealed, 1)
	if len(rep.Notes) == 0 || !strings.Contains(rep.Notes[0], "key may have been replaced") {
		t.Fatalf("notes: %q", rep.Notes)
	}
	// One forged record under the right key is not reported that way.
	seg := segPaths(t, s)[0]
	lines := readLinesOf(t, seg)
	lines[1] = editLine(t, lines[1], func(r *Record) { r.Request = "forged" })
	rechain(t, lines, 1, nil)
	writeLines(t, seg, lines)
	rep = mustVerify(t, s)
	wantFirstBad(t, rep, ProblemUnsealed, 2)
	for _, n := range rep.Notes {
		if strings.Contains(n, "key may have been replaced") {
			t.Fatalf("note with the right key: %q", n)
		}
	}
}
