package catalog_test

import (
	"testing"

	"github.com/safeclaw/safeclaw/action"
)

// Reads of a whole tree are marked, so that rules for paths inside it apply.
func TestRecursiveReads(t *testing.T) {
	for _, tc := range []struct {
		cmd       string
		path      string
		recursive bool
	}{
		{"grep -r BEGIN /home/dev", "/home/dev", true},
		{"grep -rn x /home/dev", "/home/dev", true},
		{"grep --recursive x /home/dev", "/home/dev", true},
		{"grep -d recurse x /home/dev", "/home/dev", true},
		{"grep x /home/dev/notes.txt", "/home/dev/notes.txt", false},
		{"rg x /home/dev", "/home/dev", true},
		{"ag x /home/dev", "/home/dev", true},
		{"cp -r /home/dev /tmp/x", "/home/dev", true},
		{"cp -a /home/dev /tmp/x", "/home/dev", true},
		{"cp /home/dev/a /tmp/x", "/home/dev/a", false},
		{"rsync -a /home/dev /tmp/x", "/home/dev", true},
		{"tar czf /tmp/h.tgz /home/dev", "/home/dev", true},
		{"zip -r /tmp/a.zip /home/dev", "/home/dev", true},
		{"zip /tmp/a.zip /home/dev/a", "/home/dev/a", false},
		{"find /home/dev -name id_rsa -exec cat {} +", "/home/dev", true},
	} {
		r := detect(cmd(tc.cmd))
		found := false
		for _, f := range ofKind(r, action.FileRead) {
			if f.Path == tc.path {
				found = true
				if f.Recursive != tc.recursive {
					t.Errorf("%s: read of %s recursive=%v, want %v", tc.cmd, f.Path, f.Recursive, tc.recursive)
				}
			}
		}
		if !found {
			t.Errorf("%s: no read of %s:%s", tc.cmd, tc.path, describe(r))
		}
	}
	// find without -exec reads names only.
	if got := ofKind(detect(cmd("find /home/dev -name x")), action.FileRead); len(got) > 0 {
		t.Errorf("find -name reads %+v", got)
	}
}
