package policy

import "github.com/safeclaw/safeclaw/action"

// The rule index. Rules are bucketed by the facet kind they can match; in a
// bucket, rules whose command matchers pin a literal program are filed
// under that program, and further under the pattern's first positional
// when it is a literal word ("git status" under git/status). Scanning a
// part merges the lists its views select, in rule order, so the first match
// is the same as a full scan's (TestIndexMatchesScan).

// progKey is where a rule (or a pattern) is filed.
type progKey struct {
	prog   string
	sub    string
	hasSub bool
}

// patternKey files a pattern: its literal program and literal first
// positional; ok is false for a glob program.
func patternKey(p *cmdPattern) (k progKey, ok bool) {
	if !p.prog.lit {
		return progKey{}, false
	}
	k.prog = p.prog.pat
	if len(p.pos) > 0 && !p.pos[0].any && p.pos[0].g.lit {
		k.sub, k.hasSub = p.pos[0].g.pat, true
	}
	return k, true
}

// indexKeys returns the keys the rule is filed under; wild means some
// command matcher names a glob program; no keys and not wild means the rule
// pins no program.
func (r *rule) indexKeys() (keys []progKey, wild bool) {
	add := func(k progKey) {
		for _, x := range keys {
			if x == k {
				return
			}
		}
		keys = append(keys, k)
	}
	switch {
	case len(r.patterns) > 0:
		for _, pat := range r.patterns {
			if k, ok := patternKey(pat); ok {
				add(k)
			} else {
				wild = true
			}
		}
	case len(r.programs) > 0:
		for _, g := range r.programs {
			if g.lit {
				add(progKey{prog: g.pat})
			} else {
				wild = true
			}
		}
	}
	return keys, wild
}

// subIndex holds one program's entries: those whose first positional is not
// a literal word, and those filed by their literal first positional.
type subIndex struct {
	any   []int32
	bySub map[string][]int32
}

func (s *subIndex) add(k progKey, i int32) {
	if !k.hasSub {
		s.any = append(s.any, i)
		return
	}
	if s.bySub == nil {
		s.bySub = map[string][]int32{}
	}
	s.bySub[k.sub] = append(s.bySub[k.sub], i)
}

// bucket holds the rules that can match one facet kind, each list in rule
// order.
type bucket struct {
	all      []int32
	anyProg  []int32 // rules that pin no program
	wildProg []int32 // rules with a glob program
	byProg   map[string]*subIndex
}

// add files r under keys and wild, as r.indexKeys gives them (computed
// once per rule by the caller: a rule goes into many buckets).
func (b *bucket) add(r *rule, keys []progKey, wild bool) {
	i := int32(r.index)
	b.all = append(b.all, i)
	if len(keys) == 0 && !wild {
		b.anyProg = append(b.anyProg, i)
		return
	}
	if wild {
		b.wildProg = append(b.wildProg, i)
	}
	for _, k := range keys {
		if b.byProg == nil {
			b.byProg = map[string]*subIndex{}
		}
		s := b.byProg[k.prog]
		if s == nil {
			s = &subIndex{}
			b.byProg[k.prog] = s
		}
		s.add(k, i)
	}
}

// maxMergedViews bounds the candidate lists merged on the stack; parts with
// more views scan the kind's whole list.
const maxMergedViews = 8

// scan walks the bucket's candidate lists merged in rule order and returns
// the first rule below best that matches facet f, or best.
func (p *Policy) scan(b *bucket, req *action.Request, part *action.Part, f *action.Action, best int32, skipAllow bool) int32 {
	var lists [2 + 2*maxMergedViews][]int32
	n := 0
	if len(part.Views) > maxMergedViews {
		lists[0], n = b.all, 1
	} else {
		lists[0], n = b.anyProg, 1
		if len(part.Views) > 0 {
			lists[1], n = b.wildProg, 2
			for i := range part.Views {
				v := &part.Views[i]
				s := b.byProg[v.Program]
				if s == nil {
					continue
				}
				if len(s.any) > 0 {
					lists[n] = s.any
					n++
				}
				if len(v.Positionals) > 0 {
					if l := s.bySub[v.Positionals[0]]; len(l) > 0 {
						lists[n] = l
						n++
					}
				}
			}
		}
	}
	for {
		m := best
		for i := 0; i < n; i++ {
			if len(lists[i]) > 0 && lists[i][0] < m {
				m = lists[i][0]
			}
		}
		if m >= best {
			return best
		}
		for i := 0; i < n; i++ {
			if len(lists[i]) > 0 && lists[i][0] == m {
				lists[i] = lists[i][1:]
			}
		}
		r := p.rules[m]
		if skipAllow && r.effect == action.Allow {
			continue
		}
		if p.matchFacet(r, req, part, f) {
			return m
		}
	}
}

// patIndex files a rule's many command patterns by program and first
// positional, so a rule listing fifty programs tries one or two of them.
type patIndex struct {
	byProg map[string]*subIndex // entries index r.patterns
	wild   []int32
}

// minIndexedPatterns is the pattern count from which a rule gets a patIndex.
const minIndexedPatterns = 4

func newPatIndex(pats []*cmdPattern) *patIndex {
	if len(pats) < minIndexedPatterns {
		return nil
	}
	x := &patIndex{byProg: make(map[string]*subIndex, len(pats))}
	for i, pat := range pats {
		k, ok := patternKey(pat)
		if !ok {
			x.wild = append(x.wild, int32(i))
			continue
		}
		s := x.byProg[k.prog]
		if s == nil {
			s = &subIndex{}
			x.byProg[k.prog] = s
		}
		s.add(k, int32(i))
	}
	return x
}

// matchPatterns reports whether any of the rule's patterns matches v.
func (r *rule) matchPatterns(v *action.Argv) bool {
	if r.pidx == nil {
		for _, pat := range r.patterns {
			if pat.matchView(v) {
				return true
			}
		}
		return false
	}
	try := func(list []int32) bool {
		for _, i := range list {
			if r.patterns[i].matchView(v) {
				return true
			}
		}
		return false
	}
	if try(r.pidx.wild) {
		return true
	}
	s := r.pidx.byProg[v.Program]
	if s == nil {
		return false
	}
	if try(s.any) {
		return true
	}
	return len(v.Positionals) > 0 && try(s.bySub[v.Positionals[0]])
}
