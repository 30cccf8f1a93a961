package policy

import (
	"sync"

	"github.com/safeclaw/safeclaw/action"
)

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

// subIndex holds one program's entries: those whose first positional is not
// a literal word, and those filed by their literal first positional.
type subIndex struct {
	any   []int32
	bySub map[string][]int32
}

// add files entry i under k, once: entries come in increasing order, so
// i is already filed under k when it ends k's list. New lists take their
// first element's room from ints (see take; nil allocates).
func (s *subIndex) add(k progKey, i int32, ints *[]int32) {
	if !k.hasSub {
		s.any = appendOnce(s.any, i, ints)
		return
	}
	if s.bySub == nil {
		s.bySub = map[string][]int32{}
	}
	if l := s.bySub[k.sub]; len(l) == 0 || l[len(l)-1] != i {
		s.bySub[k.sub] = appendOnce(l, i, ints) // (a map write only when i is new)
	}
}

// appendOnce appends i to l unless l ends with it; an empty l gets its
// room from ints.
func appendOnce(l []int32, i int32, ints *[]int32) []int32 {
	if len(l) > 0 && l[len(l)-1] == i {
		return l
	}
	if l == nil && ints != nil {
		l = take(ints, 1)
	}
	return append(l, i)
}

// bucket holds the rules that can match one facet kind, each list in rule
// order.
type bucket struct {
	all      []int32
	anyProg  []int32 // rules that pin no program
	wildProg []int32 // rules with a glob program
	byProg   map[string]*subIndex
}

// bucketBuilder builds a bucket: the map and its entries sized once for
// the keys the rules can have (a hook builds the shell bucket of the
// built-in default, with a hundred programs, on its first decision).
type bucketBuilder struct {
	b    *bucket
	keys int        // how many keys the bucket's rules have at most
	subs []subIndex // storage for byProg's entries
	ints []int32    // storage for the entries' lists
}

// add files r, which comes after the rules already added: under the
// literal program (and first positional) of each of its command patterns,
// else of each of its programs; in wildProg when one of these is a glob;
// in anyProg when it pins no program. Each list gets r once.
func (bb *bucketBuilder) add(r *rule) {
	b := bb.b
	i := int32(r.index)
	b.all = append(b.all, i)
	switch {
	case len(r.patterns) > 0:
		for _, pat := range r.patterns {
			if k, ok := patternKey(pat); ok {
				bb.file(k, i)
			} else {
				b.wildProg = appendOnce(b.wildProg, i, nil)
			}
		}
	case len(r.programs) > 0:
		for j := range r.programs {
			if g := &r.programs[j]; g.lit {
				bb.file(progKey{prog: g.pat}, i)
			} else {
				b.wildProg = appendOnce(b.wildProg, i, nil)
			}
		}
	default:
		b.anyProg = append(b.anyProg, i)
	}
}

// file files entry i under k.
func (bb *bucketBuilder) file(k progKey, i int32) {
	b := bb.b
	if b.byProg == nil {
		b.byProg = make(map[string]*subIndex, bb.keys)
		bb.subs = make([]subIndex, 0, bb.keys)
	}
	s := b.byProg[k.prog]
	if s == nil {
		if len(bb.subs) < cap(bb.subs) {
			bb.subs = bb.subs[:len(bb.subs)+1]
			s = &bb.subs[len(bb.subs)-1]
		} else {
			s = &subIndex{}
		}
		b.byProg[k.prog] = s
	}
	s.add(k, i, &bb.ints)
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
// It is built when the rule is first tried: a hook process tries few rules
// and exits, so building every rule's index at load was wasted.
type patIndex struct {
	once   sync.Once
	pats   []*cmdPattern
	byProg map[string]*subIndex // entries index pats (the rule's patterns)
	wild   []int32
}

// minIndexedPatterns is the pattern count from which a rule gets a patIndex.
const minIndexedPatterns = 4

func newPatIndex(pats []*cmdPattern) *patIndex {
	if len(pats) < minIndexedPatterns {
		return nil
	}
	return &patIndex{pats: pats}
}

// get builds the index on first use.
func (x *patIndex) get() *patIndex {
	x.once.Do(x.build)
	return x
}

func (x *patIndex) build() {
	pats := x.pats
	x.byProg = make(map[string]*subIndex, len(pats))
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
		s.add(k, int32(i), nil)
	}
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
	x := r.pidx.get()
	if try(x.wild) {
		return true
	}
	s := x.byProg[v.Program]
	if s == nil {
		return false
	}
	if try(s.any) {
		return true
	}
	return len(v.Positionals) > 0 && try(s.bySub[v.Positionals[0]])
}
