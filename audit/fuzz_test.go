package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// fuzzTrail builds a small valid trail once and returns its directory, key
// file and segment bytes (two segments).
func fuzzTrail(t testing.TB) (string, string, [][]byte, []string) {
	t.Helper()
	home := t.TempDir()
	key := filepath.Join(home, "audit.key")
	n := 0
	s, err := OpenFile(filepath.Join(home, "audit"), FileOptions{KeyFile: key, MaxSegmentBytes: 1500,
		Now: func() time.Time { n++; return t0.Add(time.Duration(n) * time.Second) }})
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, s, 5)
	var data [][]byte
	var names []string
	for _, p := range segPaths(t, s) {
		b, _ := os.ReadFile(p)
		data = append(data, b)
		names = append(names, filepath.Base(p))
	}
	if len(data) < 2 {
		t.Fatalf("want two segments, have %d", len(data))
	}
	return s.dir, key, data, names
}

// mutator verifies copies of a trail with one byte changed.
type mutator struct {
	work  string
	store *FileStore
	segs  [][]byte
	names []string
	total int
}

func newMutator(t testing.TB, dir, key string, segs [][]byte, names []string) *mutator {
	m := &mutator{work: t.TempDir(), segs: segs, names: names}
	head, _ := os.ReadFile(filepath.Join(dir, headFile))
	os.WriteFile(filepath.Join(m.work, headFile), head, 0o600)
	for i, data := range segs {
		os.WriteFile(filepath.Join(m.work, names[i]), data, 0o600)
		m.total += len(data)
	}
	var err error
	if m.store, err = OpenFile(m.work, FileOptions{KeyFile: key}); err != nil {
		t.Fatal(err)
	}
	return m
}

// verify sets byte off (counted over the segments in order) to b, verifies,
// and restores the byte. changed is false when the byte already was b.
func (m *mutator) verify(t testing.TB, off int, b byte) (rep *Report, changed bool) {
	for i, data := range m.segs {
		if off >= len(data) {
			off -= len(data)
			continue
		}
		if data[off] == b {
			return nil, false
		}
		// Overwrite in place: truncating and rewriting makes ext4 flush.
		f, err := os.OpenFile(filepath.Join(m.work, m.names[i]), os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		f.WriteAt([]byte{b}, int64(off))
		defer f.WriteAt(data[off:off+1], int64(off))
		break
	}
	rep, err := m.store.Verify(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return rep, true
}

// Every single-byte change to a valid trail is reported: as tampering, or as
// a torn tail when it touches the final newline... which also loses a sealed
// record and so is tampering too.
func TestVerifyEverySingleByteChange(t *testing.T) {
	dir, key, segs, names := fuzzTrail(t)
	m := newMutator(t, dir, key, segs, names)
	step := 1
	if testing.Short() {
		step = 7
	}
	for off := 0; off < m.total; off += step {
		for _, b := range []byte{'x', '0', '\n'} {
			rep, changed := m.verify(t, off, b)
			if changed && rep.Intact {
				t.Fatalf("byte %d set to %q: verify passed (%+v)", off, b, rep)
			}
		}
	}
}

func FuzzVerify(f *testing.F) {
	dir, key, segs, names := fuzzTrail(f)
	m := newMutator(f, dir, key, segs, names)
	f.Add(uint(0), byte('x'))
	f.Add(uint(100), byte('"'))
	f.Add(uint(len(m.segs[0])-1), byte(' '))
	f.Fuzz(func(t *testing.T, off uint, b byte) {
		o := int(off % uint(m.total))
		rep, changed := m.verify(t, o, b)
		if changed && rep.Intact {
			t.Fatalf("byte %d set to %q: verify passed", o, b)
		}
	})
}

// FuzzScan feeds arbitrary lines to the record scanner and verifier: no
// panics, and nothing but a real record verifies.
func FuzzScan(f *testing.F) {
	line, _ := appendRecord(nil, richRecord(), true)
	f.Add(line)
	f.Add([]byte(`{"seq":1,"prev":"","hash":"","mac":"","a":[{"b":"\"}"}]}`))
	f.Add([]byte(`{}`))
	var k Key
	f.Fuzz(func(t *testing.T, data []byte) {
		v := &verifier{seal: newSealer(&k), rep: &Report{}}
		v.line(data)
		v.line(data)
		v.finish()
		if v.rep.Intact && v.rep.Records > 0 {
			t.Fatalf("arbitrary line verified: %q", data)
		}
		var sc scanner
		sc.scan(data)
		// The fast decoder, when it accepts a line, agrees with encoding/json.
		var fast Record
		if d := (decoder{b: data}); d.record(&fast) {
			var slow Record
			if err := json.Unmarshal(data, &slow); err != nil {
				t.Fatalf("fast decoder accepted what encoding/json rejects: %q: %v", data, err)
			}
			a, errA := appendRecord(nil, &fast, true)
			b, errB := appendRecord(nil, &slow, true)
			if (errA == nil) != (errB == nil) || !bytes.Equal(a, b) {
				t.Fatalf("decoders disagree on %q:\n%s\n%s", data, a, b)
			}
		}
	})
}

// FuzzVerifyHead: any change to any byte of the head file (its padding
// included) is reported, since a head has exactly one form.
func FuzzVerifyHead(f *testing.F) {
	dir, key, segs, names := fuzzTrail(f)
	m := newMutator(f, dir, key, segs, names)
	head, err := os.ReadFile(filepath.Join(m.work, headFile))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(uint(0), byte('x'))
	f.Add(uint(len(head)-1), byte(' '))
	f.Add(uint(len(head)-2), byte('\n'))
	f.Fuzz(func(t *testing.T, off uint, b byte) {
		o := int(off % uint(len(head)))
		if head[o] == b {
			return
		}
		changed := slices.Clone(head)
		changed[o] = b
		path := filepath.Join(m.work, headFile)
		os.WriteFile(path, changed, 0o600)
		defer os.WriteFile(path, head, 0o600)
		rep, err := m.store.Verify(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if rep.Intact {
			t.Fatalf("head byte %d set to %q: verify passed", o, b)
		}
	})
}
