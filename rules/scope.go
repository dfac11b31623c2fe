package rules

import (
	"cmp"
	"slices"
	"unsafe"

	bw "github.com/burdenwatch/burdenwatch"
)

// scopeGroup is what an aggregate rule keeps of one scope (an issuer ×
// county × year, a county…) between the calls of State.Add: its members
// (inspections or forms, as indexes into the kept lists) in time order,
// their event ids sorted when the rule cites them all, and the results the
// scope gave when it was last evaluated.
//
// A result's EventIDs never change once it is made: ids is replaced by a
// new slice, or grown past the length a result holds, never rewritten in
// place. A scope no Add touched keeps its results as they are, and a
// writer may take a result whose ids are the very slice it stored (same
// array, same length) as unchanged.
type scopeGroup struct {
	idx   []int32 // members in time order
	ids   idList  // members' event ids (with scopeSet.withIDs), sorted when cited
	added []int32 // members of the current Add, in time order
	first int     // position in idx of the first member of the current Add
	res   []bw.Violation
	resAt []int32 // position in idx of the member each result is for (crowding)
}

// scopeSet is the scopes of one aggregate rule by key, and which of them
// the current Add touched.
type scopeSet[K comparable] struct {
	groups  map[K]*scopeGroup
	touched []K
	withIDs bool
}

// newScopeSet returns an empty set, or nil when the rule is off (the
// methods of a nil set do nothing).
func newScopeSet[K comparable](on, withIDs bool) *scopeSet[K] {
	if !on {
		return nil
	}
	return &scopeSet[K]{groups: map[K]*scopeGroup{}, withIDs: withIDs}
}

// keyedMember is a member of the current Add for scopeSet.addAll: its
// scope, its time and its index.
type keyedMember[K comparable] struct {
	k   K
	sec int64
	i   int32
}

// addAll makes the current Add's members members of their scopes. They
// are sorted by scope, then in time (sec, then before for members of the
// same second), so that each scope is looked up once and takes its run of
// members, in time order, at once. Added one at a time in time order, each
// member cost a lookup in a map of about 10⁵ scopes and a cache miss on
// its group, after a sort of all of them whose every comparison read two
// members: on 10M events about a third of the aggregate rules' time.
func (s *scopeSet[K]) addAll(ms []keyedMember[K], compare func(a, b K) int, before func(a, b int32) int) {
	if s == nil || len(ms) == 0 {
		return
	}
	slices.SortFunc(ms, func(a, b keyedMember[K]) int {
		if c := compare(a.k, b.k); c != 0 {
			return c
		}
		if a.sec != b.sec {
			return cmp.Compare(a.sec, b.sec)
		}
		return before(a.i, b.i)
	})
	for start := 0; start < len(ms); {
		end := start + 1
		for end < len(ms) && compare(ms[end].k, ms[start].k) == 0 {
			end++
		}
		g := s.touch(ms[start].k)
		for _, m := range ms[start:end] {
			g.added = append(g.added, m.i)
		}
		start = end
	}
}

// touch returns the group of scope k, made if new, and marks it touched
// by the current Add.
func (s *scopeSet[K]) touch(k K) *scopeGroup {
	g := s.groups[k]
	if g == nil {
		g = &scopeGroup{}
		s.groups[k] = g
	}
	if len(g.added) == 0 {
		s.touched = append(s.touched, k)
	}
	return g
}

// update merges the members of the current Add into every touched scope
// (before orders members in time, id names their event ids) and calls
// eval on each touched scope; the next Add starts untouched.
func (s *scopeSet[K]) update(before func(a, b int32) int, id func(int32) string, eval func(K, *scopeGroup)) {
	if s == nil {
		return
	}
	for _, k := range s.touched {
		g := s.groups[k]
		g.first = mergeMembers(&g.idx, g.added, before)
		if s.withIDs {
			for _, i := range g.added {
				g.ids.add(id(i))
			}
		}
		g.added = g.added[:0]
		eval(k, g)
	}
	s.touched = s.touched[:0]
}

// sortIDs sorts every scope's event ids (State.Prepare).
func (s *scopeSet[K]) sortIDs() {
	if s == nil || !s.withIDs {
		return
	}
	for _, g := range s.groups {
		g.ids.all()
	}
}

// each calls f with every result of every scope.
func (s *scopeSet[K]) each(f func(*bw.Violation)) {
	if s == nil {
		return
	}
	for _, g := range s.groups {
		for i := range g.res {
			f(&g.res[i])
		}
	}
}

// mergeMembers merges added (in time order) into *idx (in time order) and
// returns the position of the first added member.
func mergeMembers(idx *[]int32, added []int32, before func(a, b int32) int) int {
	old := *idx
	if len(old) == 0 || before(old[len(old)-1], added[0]) < 0 {
		*idx = append(old, added...)
		return len(old)
	}
	out := make([]int32, 0, len(old)+len(added))
	first, i, j := -1, 0, 0
	for i < len(old) || j < len(added) {
		if j == len(added) || (i < len(old) && before(old[i], added[j]) < 0) {
			out = append(out, old[i])
			i++
			continue
		}
		if first < 0 {
			first = len(out)
		}
		out = append(out, added[j])
		j++
	}
	*idx = out
	return first
}

// mergeSorted returns the sorted union of old and add, both sorted and
// without common strings. old's elements are not rewritten: the result is
// old grown past its length, or a new slice.
func mergeSorted(old, add []string) []string {
	switch {
	case len(add) == 0:
		return old
	case len(old) == 0:
		return add
	case old[len(old)-1] < add[0]:
		return append(old, add...)
	}
	out := make([]string, 0, len(old)+len(add))
	i, j := 0, 0
	for i < len(old) && j < len(add) {
		if old[i] < add[j] {
			out, i = append(out, old[i]), i+1
		} else {
			out, j = append(out, add[j]), j+1
		}
	}
	out = append(out, old[i:]...)
	return append(out, add[j:]...)
}

// idList is a scope's event ids: a sorted part, and the ids added since,
// kept as bytes (no pointers for the collector to scan, one copy) and
// sorted into it when the list is cited.
type idList struct {
	sorted []string
	buf    []byte   // the added ids' bytes; never rewritten once sorted holds them
	ends   []uint32 // end offset in buf of each added id
}

// add appends id (a view is fine: its bytes are copied).
func (l *idList) add(id string) {
	l.buf = append(l.buf, id...)
	l.ends = append(l.ends, uint32(len(l.buf)))
}

// all returns the ids sorted (mergeSorted's guarantee: a slice once
// returned is never rewritten).
func (l *idList) all() []string {
	if len(l.ends) == 0 {
		return l.sorted
	}
	tail, start := make([]string, len(l.ends)), uint32(0)
	for i, end := range l.ends {
		if end > start {
			tail[i] = unsafe.String(&l.buf[start], int(end-start))
		}
		start = end
	}
	slices.Sort(tail)
	// The strings point into buf: later ids go to a new array.
	l.sorted, l.buf, l.ends = mergeSorted(l.sorted, tail), nil, nil
	return l.sorted
}

// arena owns copies of strings in large chunks: owning a million event
// ids (views into Arrow buffers) costs a few allocations, not a million.
// Chunk bytes are never written again once a string holds them.
type arena struct{ chunk []byte }

// arenaChunk is the size of an arena's chunks.
const arenaChunk = 256 << 10

func (a *arena) own(s string) string {
	if s == "" {
		return ""
	}
	if len(s) > cap(a.chunk)-len(a.chunk) {
		a.chunk = make([]byte, 0, max(arenaChunk, len(s)))
	}
	off := len(a.chunk)
	a.chunk = append(a.chunk, s...)
	return unsafe.String(&a.chunk[off], len(s))
}
