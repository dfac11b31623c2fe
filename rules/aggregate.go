package rules

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/burdenwatch/burdenwatch/columnar"
)

// Inspection categories the aggregate rules distinguish.
const (
	catOther uint8 = iota
	catComprehensive
	catAppraisal
)

func categoryOf(s string) uint8 {
	switch s {
	case "comprehensive":
		return catComprehensive
	case "appraisal":
		return catAppraisal
	}
	return catOther
}

// inspRow is an inspection remembered for the aggregate and window rules.
type inspRow struct {
	rec, row       int32
	sec            int64 // occurred_at, Unix seconds
	day            int32
	year           int32
	month          uint8
	county, issuer int32
	unit, plan     int32
	maxVisits      int32 // plan item's max_visits_per_unit; 0 = no cap or unplanned
	category       uint8
	onSite, covert bool
	grassroots     bool
}

// formRow is a form remembered for form.multiple_per_issuer.
type formRow struct {
	rec, row       int32
	sec            int64
	year           int32
	month          uint8
	county, issuer int32
	form           int32
}

// deployRef is an inspection naming its deployment document.
type deployRef struct {
	rec, row int32
	doc      string // view into the batch; cloned before it leaves Evaluate
}

// issuerCountyYear keys the issuer × county × year aggregates.
type issuerCountyYear struct{ issuer, county, year int32 }

// planUnitYear keys inspection.visit_cap.
type planUnitYear struct{ issuer, plan, unit, year int32 }

// inspID returns the owned event id of inspection k, cloned once and
// shared by every result that cites it.
func (e *evaluator) inspID(k int32) string {
	if e.inspIDCache == nil {
		e.inspIDCache = make([]string, len(e.insps))
	}
	if e.inspIDCache[k] == "" {
		in := &e.insps[k]
		e.inspIDCache[k] = e.eventID(in.rec, in.row)
	}
	return e.inspIDCache[k]
}

// inspIDs returns the owned event ids of inspections idx.
func (e *evaluator) inspIDs(idx []int32) []string {
	out := make([]string, len(idx))
	for i, k := range idx {
		out[i] = e.inspID(k)
	}
	return out
}

// icyScope formats an issuer × county × year scope.
func (e *evaluator) icyScope(k issuerCountyYear) string {
	return "issuer=" + e.strs.str(k.issuer) + ";county=" + e.strs.str(k.county) + ";" + yearScope(int(k.year))
}

func (e *evaluator) inspectionAggregates() {
	slices.SortFunc(e.insps, func(a, b inspRow) int {
		if a.sec != b.sec {
			return cmp.Compare(a.sec, b.sec)
		}
		return strings.Compare(e.batches[a.rec].id.Value(int(a.row)), e.batches[b.rec].id.Value(int(b.row)))
	})
	// The rules below only read the sorted inspections and their ids: the
	// ids are owned once for all of them, and they run side by side.
	e.ownInspectionIDs()
	e.parallel(
		func(f *evaluator) { f.capRule(f.r.compCap, catComprehensive) },
		func(f *evaluator) { f.capRule(f.r.appraisalCap, catAppraisal) },
		(*evaluator).visitCapRule, (*evaluator).covertShareRule, (*evaluator).crowdingRule)
}

// ownInspectionIDs fills the owned event ids of every inspection (inspID)
// with one allocation.
func (e *evaluator) ownInspectionIDs() {
	e.inspIDCache = make([]string, len(e.insps))
	for k := range e.insps {
		in := &e.insps[k]
		e.inspIDCache[k] = e.batches[in.rec].id.Value(int(in.row))
	}
	cloneAll(e.inspIDCache)
}

// groupKey is the key of a group of inspections.
type groupKey [4]int32

// keyed is an inspection index with its group key.
type keyed struct {
	k groupKey
	i int32
}

// eachGroup groups the inspections pick selects by their key and calls f
// with each group's indices in time order. f must not keep the slice.
func (e *evaluator) eachGroup(pick func(*inspRow) (groupKey, bool), f func([]int32)) {
	var ks []keyed
	for i := range e.insps {
		if k, ok := pick(&e.insps[i]); ok {
			ks = append(ks, keyed{k, int32(i)})
		}
	}
	slices.SortFunc(ks, func(a, b keyed) int {
		for j := range a.k {
			if a.k[j] != b.k[j] {
				return cmp.Compare(a.k[j], b.k[j])
			}
		}
		return cmp.Compare(a.i, b.i)
	})
	var run []int32
	for j := range ks {
		run = append(run, ks[j].i)
		if j+1 == len(ks) || ks[j+1].k != ks[j].k {
			f(run)
			run = run[:0]
		}
	}
}

// icy returns the issuer × county × year key of an inspection.
func (in *inspRow) icy() issuerCountyYear { return issuerCountyYear{in.issuer, in.county, in.year} }

// capRule reports issuer × county × year groups of inspections of
// category with more inspections than the cap, dated in the month of the
// first one above it.
func (e *evaluator) capRule(r *ruleState, category uint8) {
	if r == nil {
		return
	}
	limit := int(r.params[ParamMax])
	pick := func(in *inspRow) (groupKey, bool) {
		return groupKey{in.issuer, in.county, in.year}, in.category == category
	}
	e.eachGroup(pick, func(idx []int32) {
		if len(idx) <= limit {
			return
		}
		first, cross := &e.insps[idx[0]], &e.insps[idx[limit]]
		e.emitAggregate(r, e.strs.str(first.county), e.strs.str(first.issuer), e.icyScope(first.icy()),
			e.monthStart(int(cross.year), cross.month), float64(len(idx)), float64(limit), e.inspIDs(idx))
	})
}

// visitCapRule reports plan items visiting one bearing unit more often in
// a year than the plan's max_visits_per_unit.
func (e *evaluator) visitCapRule() {
	r := e.r.visitCap
	if r == nil {
		return
	}
	pick := func(in *inspRow) (groupKey, bool) {
		return groupKey{in.issuer, in.plan, in.unit, in.year}, in.maxVisits > 0
	}
	e.eachGroup(pick, func(idx []int32) {
		first := &e.insps[idx[0]]
		limit := int(first.maxVisits)
		if len(idx) <= limit {
			return
		}
		cross := &e.insps[idx[limit]]
		scope := "issuer=" + e.strs.str(first.issuer) + ";plan=" + e.strs.str(first.plan) + ";unit=" + e.strs.str(first.unit) + ";" + yearScope(int(first.year))
		e.emitAggregate(r, e.strs.str(first.county), e.strs.str(first.issuer), scope,
			e.monthStart(int(cross.year), cross.month), float64(len(idx)), float64(limit), e.inspIDs(idx))
	})
}

// covertShareRule reports issuer × county × year groups of on-site
// grassroots inspections whose covert share, over all the year's data, is
// below the limit. The result is dated in the first month after which the
// cumulative share stayed below the limit at the end of every month with
// data.
func (e *evaluator) covertShareRule() {
	r := e.r.covertShare
	if r == nil {
		return
	}
	limit := r.params[ParamMinShare]
	pick := func(in *inspRow) (groupKey, bool) {
		return groupKey{in.issuer, in.county, in.year}, in.onSite && in.grassroots
	}
	e.eachGroup(pick, func(idx []int32) {
		month, share, below := e.covertBelowSince(idx, limit)
		if !below {
			return
		}
		first := &e.insps[idx[0]]
		e.emitAggregate(r, e.strs.str(first.county), e.strs.str(first.issuer), e.icyScope(first.icy()),
			e.monthStart(int(first.year), month), share, limit, e.inspIDs(idx))
	})
}

// covertBelowSince walks a group in time order and returns the month
// since which the cumulative covert share stayed below limit, the final
// share, and whether the final share is below limit.
func (e *evaluator) covertBelowSince(idx []int32, limit float64) (since uint8, share float64, below bool) {
	covert, total := 0, 0
	since = e.insps[idx[0]].month
	for i, k := range idx {
		in := &e.insps[k]
		total++
		if in.covert {
			covert++
		}
		if i+1 < len(idx) && e.insps[idx[i+1]].month == in.month {
			continue // not the month's last inspection
		}
		share = float64(covert) / float64(total)
		if share >= limit && i+1 < len(idx) {
			since = e.insps[idx[i+1]].month
		}
	}
	return since, share, share < limit
}

// crowdingRule checks each on-site inspection, in time order per county:
// it and the on-site inspections by other issuers on the same county in
// the D days before it (calendar days, day − D … day) are counted as
// distinct issuers; K or more gives one result at that inspection.
func (e *evaluator) crowdingRule() {
	r := e.r.crowding
	if r == nil {
		return
	}
	k, d := int(r.params[ParamK]), int32(r.params[ParamD])
	byCounty := map[int32][]int32{}
	for i := range e.insps {
		if in := &e.insps[i]; in.onSite {
			byCounty[in.county] = append(byCounty[in.county], int32(i))
		}
	}
	w := crowdWindow{perIssuer: make([]int32, len(e.strs.strs)), rank: e.idRanks()}
	for county, idx := range byCounty {
		e.crowdingCounty(r, county, idx, k, d, &w)
	}
}

// crowdWindow is the sliding window of one county's on-site inspections:
// how many each issuer has in it, and their id ranks in sorted order (so
// evidence comes out sorted without sorting strings).
type crowdWindow struct {
	perIssuer []int32 // by issuer id
	distinct  int     // issuers with perIssuer > 0
	ranks     []int32 // id ranks of the window's inspections, ascending
	rank      []int32 // id rank by inspection index
}

func (w *crowdWindow) add(e *evaluator, k int32) {
	if w.perIssuer[e.insps[k].issuer]++; w.perIssuer[e.insps[k].issuer] == 1 {
		w.distinct++
	}
	r := w.rank[k]
	i, _ := slices.BinarySearch(w.ranks, r)
	w.ranks = slices.Insert(w.ranks, i, r)
}

func (w *crowdWindow) remove(e *evaluator, k int32) {
	if w.perIssuer[e.insps[k].issuer]--; w.perIssuer[e.insps[k].issuer] == 0 {
		w.distinct--
	}
	if i, ok := slices.BinarySearch(w.ranks, w.rank[k]); ok {
		w.ranks = slices.Delete(w.ranks, i, i+1)
	}
}

func (e *evaluator) crowdingCounty(r *ruleState, county int32, idx []int32, k int, d int32, w *crowdWindow) {
	left := 0
	for _, cur := range idx {
		in := &e.insps[cur]
		for ; e.insps[idx[left]].day < in.day-d; left++ {
			w.remove(e, idx[left])
		}
		others := w.distinct
		if w.perIssuer[in.issuer] > 0 {
			others--
		}
		if 1+others >= k {
			e.emitCrowding(r, county, w, cur, 1+others, k)
		}
		w.add(e, cur)
	}
	for _, cur := range idx[left:] {
		w.remove(e, cur)
	}
}

// emitCrowding reports the crowd closed by inspection cur: cur and the
// window's inspections by other issuers, in event id order.
func (e *evaluator) emitCrowding(r *ruleState, county int32, w *crowdWindow, cur int32, issuers, k int) {
	in := &e.insps[cur]
	ids := make([]string, 0, len(w.ranks)+1)
	curRank, placed := w.rank[cur], false
	for _, rk := range w.ranks {
		j := e.byRank[rk]
		if !placed && curRank < rk {
			ids, placed = append(ids, e.inspID(cur)), true
		}
		if e.insps[j].issuer != in.issuer {
			ids = append(ids, e.inspID(j))
		}
	}
	if !placed {
		ids = append(ids, e.inspID(cur))
	}
	scope := "county=" + e.strs.str(county) + ";event=" + e.inspID(cur)
	e.emitSorted(r, e.strs.str(county), e.strs.str(in.issuer), scope,
		e.monthStart(int(in.year), in.month), float64(issuers), float64(k), ids)
}

// idRanks returns, per inspection, its rank in event id order (and fills
// byRank, the inverse), computed once.
func (e *evaluator) idRanks() []int32 {
	if e.ranks != nil {
		return e.ranks
	}
	order := make([]int32, len(e.insps))
	views := make([]string, len(e.insps))
	for i := range order {
		order[i] = int32(i)
		views[i] = e.batches[e.insps[i].rec].id.Value(int(e.insps[i].row))
	}
	slices.SortFunc(order, func(a, b int32) int { return strings.Compare(views[a], views[b]) })
	e.ranks = make([]int32, len(e.insps))
	for r, i := range order {
		e.ranks[i] = int32(r)
	}
	e.byRank = order
	return e.ranks
}

// formAggregates checks form.multiple_per_issuer: distinct form ids per
// issuer × county × year above the cap, dated in the month the first form
// above the cap arrived.
func (e *evaluator) formAggregates() {
	r := e.r.formMultiple
	if r == nil {
		return
	}
	slices.SortFunc(e.forms, func(a, b formRow) int {
		if a.sec != b.sec {
			return cmp.Compare(a.sec, b.sec)
		}
		return strings.Compare(e.batches[a.rec].id.Value(int(a.row)), e.batches[b.rec].id.Value(int(b.row)))
	})
	type group struct {
		forms map[int32]bool
		rows  []int32
		month uint8 // month the cap was first crossed; 0 = not crossed
	}
	limit := int(r.params[ParamMax])
	groups := map[issuerCountyYear]*group{}
	for i := range e.forms {
		f := &e.forms[i]
		k := issuerCountyYear{f.issuer, f.county, f.year}
		g := groups[k]
		if g == nil {
			g = &group{forms: map[int32]bool{}}
			groups[k] = g
		}
		g.rows = append(g.rows, int32(i))
		g.forms[f.form] = true
		if g.month == 0 && len(g.forms) > limit {
			g.month = f.month
		}
	}
	for k, g := range groups {
		if g.month == 0 {
			continue
		}
		ids := make([]string, len(g.rows))
		for i, j := range g.rows {
			ids[i] = e.batches[e.forms[j].rec].id.Value(int(e.forms[j].row))
		}
		cloneAll(ids)
		e.emitAggregate(r, e.strs.str(k.county), e.strs.str(k.issuer), e.icyScope(k),
			e.monthStart(int(k.year), g.month), float64(len(g.forms)), float64(limit), ids)
	}
}

// countyYearRule is one county × year check pending its evidence.
type countyYearRule struct {
	r     *ruleState
	key   countyYearID
	kind  int
	month int
	value int
	limit int
}

// countyYearRules checks quotas and baselines (document.quota,
// document.yoy, meeting.quota, inspection.yoy): the year-to-date count
// above the limit, dated in the month it was first crossed.
func (e *evaluator) countyYearRules() {
	var pending []countyYearRule
	for key, counts := range e.counts {
		county, year := e.strs.str(key.county), int(key.year)
		q := e.ref.quota(county, year)
		b, _ := e.ref.baseline(county, year)
		checks := []struct {
			r     *ruleState
			kind  int
			limit *int
		}{
			{e.r.docQuota, kiDocument, q.Documents},
			{e.r.docYoY, kiDocument, b.Documents},
			{e.r.meetQuota, kiMeeting, q.Meetings},
			{e.r.inspYoY, kiInspection, b.Inspections},
		}
		for _, c := range checks {
			if c.r == nil || c.limit == nil {
				continue
			}
			if month, total := crossing(&counts[c.kind], *c.limit); month > 0 {
				pending = append(pending, countyYearRule{c.r, key, c.kind, month, total, *c.limit})
			}
		}
	}
	if len(pending) == 0 {
		return
	}
	evidence := e.countyYearEvidence(pending)
	for _, p := range pending {
		ids := append([]string(nil), evidence[p.key][p.kind]...) // sorted
		scope := "county=" + e.strs.str(p.key.county) + ";" + yearScope(int(p.key.year))
		e.emitSorted(p.r, e.strs.str(p.key.county), "", scope,
			e.monthStart(int(p.key.year), uint8(p.month)), float64(p.value), float64(p.limit), ids)
	}
}

// crossing returns the first month whose year-to-date count exceeds
// limit (0 when none) and the year's total.
func crossing(months *[13]int, limit int) (month, total int) {
	for m := 1; m <= 12; m++ {
		total += months[m]
		if month == 0 && total > limit {
			month = m
		}
	}
	return month, total
}

// countyYearEvidence collects, in a second pass, the event ids of the
// county-years and kinds that pending results need, sorted (once for the
// results that share a list: document.quota and document.yoy).
func (e *evaluator) countyYearEvidence(pending []countyYearRule) map[countyYearID]*[numCountedKinds][]string {
	need := map[countyYearID]*[numCountedKinds][]string{}
	wanted := map[countyYearID]*[numCountedKinds]bool{}
	for _, p := range pending {
		if need[p.key] == nil {
			need[p.key], wanted[p.key] = new([numCountedKinds][]string), new([numCountedKinds]bool)
		}
		if !wanted[p.key][p.kind] {
			_, total := crossing(&e.counts[p.key][p.kind], 0)
			need[p.key][p.kind] = make([]string, 0, total)
		}
		wanted[p.key][p.kind] = true
	}
	for bi := range e.batches {
		b := &e.batches[bi]
		var lastCounty string
		var lastYear int
		var ids *[numCountedKinds][]string
		var want *[numCountedKinds]bool
		for row := 0; row < b.n; row++ {
			ki := kindIndex(b.kind.Value(row))
			if ki < 0 {
				continue
			}
			year, _ := e.yearMonth(b, row)
			if county := b.county.Value(row); want == nil || county != lastCounty || year != lastYear {
				key := countyYearID{e.strs.ids[county], int32(year)}
				lastCounty, lastYear, ids, want = e.strs.str(key.county), year, need[key], wanted[key]
				if want == nil {
					want = new([numCountedKinds]bool)
				}
			}
			if want[ki] {
				ids[ki] = append(ids[ki], b.id.Value(row)) // a view, owned below
			}
		}
	}
	for _, ids := range need {
		for ki := range ids {
			cloneAll(ids[ki])
			sort.Strings(ids[ki])
		}
	}
	return need
}

// cloneAll replaces views into Arrow buffers by owned strings, all in one
// allocation.
func cloneAll(views []string) {
	n := 0
	for _, v := range views {
		n += len(v)
	}
	var sb strings.Builder
	sb.Grow(n)
	for _, v := range views {
		sb.WriteString(v)
	}
	all, off := sb.String(), 0
	for i, v := range views {
		views[i] = all[off : off+len(v)]
		off += len(v)
	}
}

func kindIndex(kind string) int {
	switch kind {
	case kindDocument:
		return kiDocument
	case kindMeeting:
		return kiMeeting
	case kindInspection:
		return kiInspection
	}
	return -1
}

// checkTooSoon resolves the deployment documents of inspections, first
// among the evaluated events, then in docs, and reports inspections
// within N calendar days after their document (0 ≤ days ≤ N).
func (e *evaluator) checkTooSoon(docs DocumentTimes) {
	r := e.r.tooSoon
	if r == nil || len(e.deployed) == 0 {
		return
	}
	days := e.documentDays()
	for id, day := range days {
		if t, ok := docs[id]; ok && day == noDay && !t.IsZero() {
			days[id] = dayNumber(t, e.loc)
		}
	}
	limit := int32(r.params[ParamDays])
	for _, d := range e.deployed {
		docDay, ok := days[d.doc]
		if !ok || docDay == noDay {
			continue
		}
		b := &e.batches[d.rec]
		if elapsed := b.day.Value(int(d.row)) - docDay; elapsed >= 0 && elapsed <= limit {
			e.emitEvent(r, d.rec, int(d.row), float64(elapsed), float64(limit))
		}
	}
}

// noDay marks a deployment document not (yet) found.
const noDay = int32(-1 << 31)

// documentDays maps every deployment document id to its calendar day when
// it is among the evaluated events, noDay otherwise.
func (e *evaluator) documentDays() map[string]int32 {
	days := make(map[string]int32, len(e.deployed))
	for _, d := range e.deployed {
		days[d.doc] = noDay
	}
	for bi := range e.batches {
		b := &e.batches[bi]
		for row := 0; row < b.n; row++ {
			if b.kind.Value(row) != kindDocument {
				continue
			}
			if _, ok := days[b.id.Value(row)]; ok {
				days[b.id.Value(row)] = b.day.Value(row)
			}
		}
	}
	return days
}

// ExternalDocuments lists, sorted and without repeats, the deployment
// documents that inspections of ev name and that are not documents of ev:
// the ids whose times Evaluate needs in its docs argument.
func ExternalDocuments(ev *columnar.Events) ([]string, error) {
	// Two passes: the documents named first, then which of them are among
	// the events (a lookup per document, no copy of every document id).
	batches := make([]batch, len(ev.Records))
	named := map[string]bool{}
	for i, rec := range ev.Records {
		b, err := bindBatch(rec, int32(i))
		if err != nil {
			return nil, fmt.Errorf("record batch %d: %w", i, err)
		}
		batches[i] = b
		for row := 0; row < b.n; row++ {
			if b.kind.Value(row) == kindInspection {
				if d := b.deploy.Value(row); d != "" && !named[d] {
					named[strings.Clone(d)] = true
				}
			}
		}
	}
	if len(named) == 0 {
		return nil, nil
	}
	known := map[string]bool{}
	for bi := range batches {
		b := &batches[bi]
		for row := 0; row < b.n; row++ {
			if b.kind.Value(row) == kindDocument {
				if id := b.id.Value(row); named[id] {
					known[id] = true // a view: known only lives here
				}
			}
		}
	}
	var out []string
	for id := range named {
		if !known[id] {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out, nil
}
