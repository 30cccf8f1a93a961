package catalog

import (
	"sync"
	"testing"
)

// The tables were map literals, where the compiler refuses a repeated name;
// as rows, a repeated name would silently shadow the later row.
func TestTablesUnique(t *testing.T) {
	check := func(name string, names []string) {
		seen := map[string]bool{}
		for _, n := range names {
			if seen[n] {
				t.Errorf("%s: %q is listed twice", name, n)
			}
			seen[n] = true
		}
	}
	var s, c []string
	for _, r := range serverRows {
		s = append(s, r.name)
	}
	for _, r := range clientRows {
		c = append(c, r.name)
	}
	check("servers", s)
	check("clients", c)
}

// A table answers alike before and after it builds its map, from several
// goroutines at once (serve analyses requests concurrently).
func TestTableLookups(t *testing.T) {
	tb := table[int]{rows: []entry[int]{{"a", 1}, {"b", 2}}}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 3*scanLimit; i++ {
				if v, ok := tb.get("b"); !ok || v != 2 {
					t.Errorf("lookup %d: b = %d, %v", i, v, ok)
					return
				}
				if _, ok := tb.get("c"); ok {
					t.Errorf("lookup %d: c found", i)
					return
				}
			}
		}()
	}
	wg.Wait()
}
