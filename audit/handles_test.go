package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := func(reuse bool) (errText string, files map[string]string) {
				opts := FileOptions{Durable: true}
				s := newTestStore(t, opts)
				ctx := context.Background()
				for i := 0; i < 3; i++ {
					if _, err := s.Append(ctx, sampleRecord(i)); err != nil {
						t.Fatal(err)
					}
				}
				tc.change(t, s.dir)
				if !reuse {
					fresh, err := OpenFile(s.dir, s.opts)
					if err != nil {
						t.Fatal(err)
					}
					s.Close()
					s = fresh
				}
				defer s.Close()
				if _, err := s.Append(ctx, sampleRecord(3)); err != nil {
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
			if tc.name == "nothing" && (freshErr != "" || !strings.Contains(freshFiles["verify"], "intact=true records=4")) {
				t.Errorf("unchanged trail: %q %v", freshErr, freshFiles)
			}
		})
	}
}
