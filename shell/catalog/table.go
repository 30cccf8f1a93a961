package catalog

import (
	"sync"
	"sync/atomic"
)

// entry is one row of a table.
type entry[V any] struct {
	name string
	v    V
}

// table is a fixed name → value list. Its rows are a statically
// initialised array, so it costs nothing at start-up (a map literal of
// hundreds of rows is built by package init on every hook's path). A
// process that looks up little (a hook) scans the rows; one that keeps
// looking up (serve, a proxy) gets a map after scanLimit lookups. Names are
// unique (TestTablesUnique); rows are never modified.
type table[V any] struct {
	rows    []entry[V]
	lookups atomic.Int32
	once    sync.Once
	index   map[string]int32
}

// scanLimit is the number of lookups a table answers by scanning before it
// builds its map.
const scanLimit = 64

func (t *table[V]) get(name string) (V, bool) {
	if t.lookups.Load() < scanLimit {
		t.lookups.Add(1)
		for i := range t.rows {
			if t.rows[i].name == name {
				return t.rows[i].v, true
			}
		}
		var zero V
		return zero, false
	}
	t.once.Do(func() {
		t.index = make(map[string]int32, len(t.rows))
		for i := range t.rows {
			if _, dup := t.index[t.rows[i].name]; !dup {
				t.index[t.rows[i].name] = int32(i)
			}
		}
	})
	if i, ok := t.index[name]; ok {
		return t.rows[i].v, true
	}
	var zero V
	return zero, false
}
