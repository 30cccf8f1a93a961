package audit

import (
	"context"
	"testing"
)

func TestSmoke(t *testing.T) {
	s := newTestStore(t, FileOptions{})
	appendN(t, s, 10)
	rep := mustVerify(t, s)
	t.Logf("%+v", rep)
	for _, p := range segPaths(t, s) {
		for _, l := range readLinesOf(t, p)[:3] {
			t.Logf("%s", l)
		}
	}
	n := 0
	s.Query(context.Background(), nil, func(r *Record) error { n++; t.Log(FormatLine(r)); return nil })
	if n != 10 || !rep.Intact {
		t.Fatal(n)
	}
}
