package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A store keeps its directory, head and segment open between appends; what
// happens to the files between two appends must come out as it does for a
// store that opens everything afresh: the same answer (error or not) and
// the same files.
func TestKeptHandlesFollowTheirPaths(t *testing.T) {
	copyOver := func(t *testing.T, name string) {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		tmp := name + ".tmp"
		if err := os.WriteFile(tmp, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, name); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, dir string)
	}{
		{"nothing", func(*testing.T, string) {}},
		{"directory removed", func(t *testing.T, dir string) { os.RemoveAll(dir) }},
		{"directory replaced by a copy", func(t *testing.T, dir string) {
			os.Rename(dir, dir+".old")
			os.MkdirAll(dir, 0o700)
			entries, _ := os.ReadDir(dir + ".old")
			for _, e := range entries {
				data, _ := os.ReadFile(filepath.Join(dir+".old", e.Name()))
				os.WriteFile(filepath.Join(dir, e.Name()), data, 0o600)
			}
		}},
		{"head removed", func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, headFile)) }},
		{"head replaced by a copy", func(t *testing.T, dir string) { copyOver(t, filepath.Join(dir, headFile)) }},
		{"head replaced by an older one", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, headFile), []byte(strings.Repeat(" ", headSize-1)+"\n"), 0o600)
		}},
		{"segment replaced by a copy", func(t *testing.T, dir string) {
			m, _ := filepath.Glob(filepath.Join(dir, "seg-*"))
			copyOver(t, m[len(m)-1])
		}},
		{"segment removed", func(t *testing.T, dir string) {
			m, _ := filepath.Glob(filepath.Join(dir, "seg-*"))
			os.Remove(m[len(m)-1])
		}},
		{"segment truncated", func(t *testing.T, dir string) {
			m, _ := filepath.Glob(filepath.Join(dir, "seg-*"))
			os.Truncate(m[len(m)-1], 10)
		}},
		// Changes that leave the directory's entries as they were: a kept
		// listing stays valid, and what is in the files must be seen.
		{"segment grown by a line", func(t *testing.T, dir string) {
			m, _ := filepath.Glob(filepath.Join(dir, "seg-*"))
			f, _ := os.OpenFile(m[len(m)-1], os.O_WRONLY|os.O_APPEND, 0)
			f.WriteString(`{"seq":99,"type":"decision"}` + "\n")
			f.Close()
		}},
		{"segment grown by a torn line", func(t *testing.T, dir string) {
			m, _ := filepath.Glob(filepath.Join(dir, "seg-*"))
			f, _ := os.OpenFile(m[len(m)-1], os.O_WRONLY|os.O_APPEND, 0)
			f.WriteString(`{"seq":9`)
			f.Close()
		}},
		{"head rewritten in place", func(t *testing.T, dir string) {
			f, _ := os.OpenFile(filepath.Join(dir, headFile), os.O_WRONLY, 0)
			f.WriteAt([]byte(`{"seq":1`), 0)
			f.Close()
		}},
		{"head emptied in place", func(t *testing.T, dir string) { os.Truncate(filepath.Join(dir, headFile), 0) }},
		{"head grown in place", func(t *testing.T, dir string) {
			f, _ := os.OpenFile(filepath.Join(dir, headFile), os.O_WRONLY|os.O_APPEND, 0)
			f.WriteString("x")
			f.Close()
		}},
		// Changes to the entries: the stamp moves, the directory is listed
		// again.
		{"later segment added", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, segmentName(50)), []byte(`{"seq":50}`+"\n"), 0o600)
		}},
		{"empty later segment added", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, segmentName(50)), nil, 0o600)
		}},
		{"other file added", func(t *testing.T, dir string) { os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o600) }},
		{"segment renamed", func(t *testing.T, dir string) {
			m, _ := filepath.Glob(filepath.Join(dir, "seg-*"))
			os.Rename(m[len(m)-1], filepath.Join(dir, segmentName(2)))
		}},
	} {
		// settled: the directory's last change is older than stampMargin
		// when the store lists it, so the listing is kept and the append
		// after the change starts from it.
		for _, settled := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/settled=%v", tc.name, settled), func(t *testing.T) {
				testKeptHandles(t, tc.name, tc.change, settled)
			})
		}
	}
}

func testKeptHandles(t *testing.T, name string, change func(t *testing.T, dir string), settled bool) {
	run := func(reuse bool) (errText string, files map[string]string) {
		opts := FileOptions{Durable: true}
		s := newTestStore(t, opts)
		ctx := context.Background()
		n := 3
		for i := 0; i < n; i++ {
			if _, err := s.Append(ctx, sampleRecord(i)); err != nil {
				t.Fatal(err)
			}
		}
		if settled {
			time.Sleep(stampMargin + 20*time.Millisecond)
			if _, err := s.Append(ctx, sampleRecord(n)); err != nil {
				t.Fatal(err)
			}
			if !s.h.segsTrusted {
				t.Fatal("the listing of a settled directory was not kept")
			}
			n++
		}
		change(t, s.dir)
		if !reuse {
			fresh, err := OpenFile(s.dir, s.opts)
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			s = fresh
		}
		defer s.Close()
		if _, err := s.Append(ctx, sampleRecord(n)); err != nil {
			errText = strings.ReplaceAll(err.Error(), s.dir, "DIR")
		}
		// Keys and so seals differ between the two runs: compare
		// what verify finds and the files' names and sizes.
		files = map[string]string{}
		entries, _ := os.ReadDir(s.dir)
		for _, e := range entries {
			fi, _ := e.Info()
			files[e.Name()] = fmt.Sprint(fi.Size())
			if e.Name() == headFile {
				data, _ := os.ReadFile(filepath.Join(s.dir, headFile))
				var h struct{ Seq, Size int64 }
				json.Unmarshal(data, &h)
				files[e.Name()] += fmt.Sprintf(" seq=%d size=%d", h.Seq, h.Size)
			}
		}
		rep, err := s.Verify(ctx)
		files["verify"] = fmt.Sprint(err)
		if rep != nil {
			files["verify"] += fmt.Sprintf(" intact=%v records=%d segments=%d problems=%d", rep.Intact, rep.Records, rep.Segments, len(rep.Problems))
		}
		return errText, files
	}
	freshErr, freshFiles := run(false)
	keptErr, keptFiles := run(true)
	if freshErr != keptErr {
		t.Errorf("append after the change: fresh store %q, store with kept handles %q", freshErr, keptErr)
	}
	if fmt.Sprint(freshFiles) != fmt.Sprint(keptFiles) {
		t.Errorf("after the append:\nfresh store %v\nkept handles %v", freshFiles, keptFiles)
	}
	want := "intact=true records=4"
	if settled {
		want = "intact=true records=5"
	}
	if name == "nothing" && (freshErr != "" || !strings.Contains(freshFiles["verify"], want)) {
		t.Errorf("unchanged trail: %q %v", freshErr, freshFiles)
	}
}
