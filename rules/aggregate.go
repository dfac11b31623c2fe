package rules

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"

	bw "github.com/burdenwatch/burdenwatch"
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

// inspection is an inspection as the aggregate and window rules keep it between
// the calls of State.Add: its event id owned, its strings interned.
type inspection struct {
	id             string
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

// dataReport is a form (a data_report event) as form.multiple_per_issuer keeps it.
type dataReport struct {
	id             string
	sec            int64
	year           int32
	month          uint8
	county, issuer int32
	form           int32
}

// deployRef is an inspection naming its deployment document, with what
// its inspection.too_soon result needs.
type deployRef struct {
	doc  string
	day  int32
	info rowInfo
}

// issuerCountyYear keys the issuer × county × year aggregates.
type issuerCountyYear struct{ issuer, county, year int32 }

// planUnitYear keys inspection.visit_cap.
type planUnitYear struct{ issuer, plan, unit, year int32 }

// compareICY orders issuer × county × year keys (scopeSet.addAll).
func compareICY(a, b issuerCountyYear) int {
	return cmp.Or(cmp.Compare(a.issuer, b.issuer), cmp.Compare(a.county, b.county), cmp.Compare(a.year, b.year))
}

// comparePUY orders plan × unit × year keys (scopeSet.addAll).
func comparePUY(a, b planUnitYear) int {
	return cmp.Or(cmp.Compare(a.issuer, b.issuer), cmp.Compare(a.plan, b.plan), cmp.Compare(a.unit, b.unit),
		cmp.Compare(a.year, b.year))
}

// scopes is the kept state of the aggregate rules over inspections and
// forms: one scopeSet per rule (nil when the rule is off).
type scopes struct {
	compCap, appraisalCap, covert *scopeSet[issuerCountyYear]
	visits                        *scopeSet[planUnitYear]
	crowd                         *scopeSet[int32] // by county
	forms                         *scopeSet[issuerCountyYear]
}

func newScopes(r *activeRules) scopes {
	return scopes{
		compCap:      newScopeSet[issuerCountyYear](r.compCap != nil, true),
		appraisalCap: newScopeSet[issuerCountyYear](r.appraisalCap != nil, true),
		covert:       newScopeSet[issuerCountyYear](r.covertShare != nil, true),
		visits:       newScopeSet[planUnitYear](r.visitCap != nil, true),
		crowd:        newScopeSet[int32](r.crowding != nil, false),
		forms:        newScopeSet[issuerCountyYear](r.formMultiple != nil, true),
	}
}

// sortIDs sorts every scope's event ids (State.Prepare).
func (s *scopes) sortIDs() {
	s.compCap.sortIDs()
	s.appraisalCap.sortIDs()
	s.covert.sortIDs()
	s.visits.sortIDs()
	s.forms.sortIDs()
}

// each calls f with every result the scopes hold.
func (s *scopes) each(f func(*bw.Violation)) {
	s.compCap.each(f)
	s.appraisalCap.each(f)
	s.covert.each(f)
	s.visits.each(f)
	s.crowd.each(f)
	s.forms.each(f)
}

// inspBefore orders inspections in time, then by event id.
func (e *evaluator) inspBefore(a, b int32) int {
	x, y := &e.insps[a], &e.insps[b]
	if x.sec != y.sec {
		return cmp.Compare(x.sec, y.sec)
	}
	return strings.Compare(x.id, y.id)
}

// formBefore orders forms in time, then by event id.
func (e *evaluator) formBefore(a, b int32) int {
	x, y := &e.forms[a], &e.forms[b]
	if x.sec != y.sec {
		return cmp.Compare(x.sec, y.sec)
	}
	return strings.Compare(x.id, y.id)
}

func (e *evaluator) inspID(i int32) string { return e.insps[i].id }
func (e *evaluator) formID(i int32) string { return e.forms[i].id }

// icy returns the issuer × county × year key of an inspection.
func (in *inspection) icy() issuerCountyYear { return issuerCountyYear{in.issuer, in.county, in.year} }

// icyScope formats an issuer × county × year scope.
func (e *evaluator) icyScope(k issuerCountyYear) string {
	return "issuer=" + e.strs.str(k.issuer) + ";county=" + e.strs.str(k.county) + ";" + yearScope(int(k.year))
}

// inspectionAggregates adds the inspections of the current Add to the
// scopes of the aggregate and window rules, in time order, and evaluates
// the scopes they touched, the rules side by side.
func (e *evaluator) inspectionAggregates() {
	s := &e.scopes
	var nComp, nAppraisal, nVisits, nCovert, nCrowd int
	for _, i := range e.newInsps { // sized first: appending copied each list over and over
		in := &e.insps[i]
		nComp, nAppraisal = nComp+b2i(in.category == catComprehensive), nAppraisal+b2i(in.category == catAppraisal)
		nVisits, nCovert = nVisits+b2i(in.maxVisits > 0), nCovert+b2i(in.onSite && in.grassroots)
		nCrowd += b2i(in.onSite)
	}
	comp, appraisal := make([]keyedMember[issuerCountyYear], 0, nComp), make([]keyedMember[issuerCountyYear], 0, nAppraisal)
	covert := make([]keyedMember[issuerCountyYear], 0, nCovert)
	visits, crowd := make([]keyedMember[planUnitYear], 0, nVisits), make([]keyedMember[int32], 0, nCrowd)
	for _, i := range e.newInsps {
		in := &e.insps[i]
		icy := keyedMember[issuerCountyYear]{in.icy(), in.sec, i}
		switch in.category {
		case catComprehensive:
			comp = append(comp, icy)
		case catAppraisal:
			appraisal = append(appraisal, icy)
		}
		if in.maxVisits > 0 {
			visits = append(visits, keyedMember[planUnitYear]{planUnitYear{in.issuer, in.plan, in.unit, in.year}, in.sec, i})
		}
		if in.onSite && in.grassroots {
			covert = append(covert, icy)
		}
		if in.onSite {
			crowd = append(crowd, keyedMember[int32]{in.county, in.sec, i})
		}
	}
	s.compCap.addAll(comp, compareICY, e.inspBefore)
	s.appraisalCap.addAll(appraisal, compareICY, e.inspBefore)
	s.visits.addAll(visits, comparePUY, e.inspBefore)
	s.covert.addAll(covert, compareICY, e.inspBefore)
	s.crowd.addAll(crowd, cmp.Compare[int32], e.inspBefore)
	e.parallel(
		func(f *evaluator) { f.capRule(f.r.compCap, s.compCap) },
		func(f *evaluator) { f.capRule(f.r.appraisalCap, s.appraisalCap) },
		(*evaluator).visitCapRule, (*evaluator).covertShareRule, (*evaluator).crowdingRule)
}

// capRule reports issuer × county × year scopes of inspections of one
// category with more inspections than the cap, dated in the month of the
// first one above it.
func (e *evaluator) capRule(r *ruleState, set *scopeSet[issuerCountyYear]) {
	if r == nil {
		return
	}
	limit := int(r.params[ParamMax])
	set.update(e.inspBefore, e.inspID, func(k issuerCountyYear, g *scopeGroup) {
		g.res = e.retire(g.res)
		if len(g.idx) <= limit {
			return
		}
		cross := &e.insps[g.idx[limit]]
		g.res = e.emit(g.res, e.aggregate(r, e.strs.str(k.county), e.strs.str(k.issuer), e.icyScope(k),
			e.monthStart(int(cross.year), cross.month), float64(len(g.idx)), float64(limit), g.ids.all()))
	})
}

// visitCapRule reports plan items visiting one bearing unit more often in
// a year than the plan's max_visits_per_unit.
func (e *evaluator) visitCapRule() {
	r := e.r.visitCap
	if r == nil {
		return
	}
	e.scopes.visits.update(e.inspBefore, e.inspID, func(k planUnitYear, g *scopeGroup) {
		g.res = e.retire(g.res)
		first := &e.insps[g.idx[0]]
		limit := int(first.maxVisits)
		if len(g.idx) <= limit {
			return
		}
		cross := &e.insps[g.idx[limit]]
		scope := "issuer=" + e.strs.str(k.issuer) + ";plan=" + e.strs.str(k.plan) + ";unit=" + e.strs.str(k.unit) + ";" + yearScope(int(k.year))
		g.res = e.emit(g.res, e.aggregate(r, e.strs.str(first.county), e.strs.str(k.issuer), scope,
			e.monthStart(int(cross.year), cross.month), float64(len(g.idx)), float64(limit), g.ids.all()))
	})
}

// covertShareRule reports issuer × county × year scopes of on-site
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
	e.scopes.covert.update(e.inspBefore, e.inspID, func(k issuerCountyYear, g *scopeGroup) {
		g.res = e.retire(g.res)
		month, share, below := e.covertBelowSince(g.idx, limit)
		if !below {
			return
		}
		g.res = e.emit(g.res, e.aggregate(r, e.strs.str(k.county), e.strs.str(k.issuer), e.icyScope(k),
			e.monthStart(int(k.year), month), share, limit, g.ids.all()))
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
// distinct issuers; K or more gives one result at that inspection. A
// county's results before its first inspection of the current Add stand:
// an inspection's window only holds inspections before it.
func (e *evaluator) crowdingRule() {
	r := e.r.crowding
	if r == nil {
		return
	}
	k, d := int(r.params[ParamK]), int32(r.params[ParamD])
	w := crowdWindow{perIssuer: make([]int32, len(e.strs.strs))}
	e.scopes.crowd.update(e.inspBefore, e.inspID, func(county int32, g *scopeGroup) {
		e.crowdingCounty(r, county, g, k, d, &w)
	})
}

// crowdWindow is the sliding window of one county's on-site inspections:
// how many each issuer has in it, and the inspections in event id order
// (so evidence comes out sorted without sorting).
type crowdWindow struct {
	perIssuer []int32 // by issuer id
	distinct  int     // issuers with perIssuer > 0
	byID      []int32 // the window's inspections, in event id order
}

func (w *crowdWindow) find(e *evaluator, k int32) (int, bool) {
	return slices.BinarySearchFunc(w.byID, e.insps[k].id, func(j int32, id string) int {
		return strings.Compare(e.insps[j].id, id)
	})
}

func (w *crowdWindow) add(e *evaluator, k int32) {
	if w.perIssuer[e.insps[k].issuer]++; w.perIssuer[e.insps[k].issuer] == 1 {
		w.distinct++
	}
	i, _ := w.find(e, k)
	w.byID = slices.Insert(w.byID, i, k)
}

func (w *crowdWindow) remove(e *evaluator, k int32) {
	if w.perIssuer[e.insps[k].issuer]--; w.perIssuer[e.insps[k].issuer] == 0 {
		w.distinct--
	}
	if i, ok := w.find(e, k); ok {
		w.byID = slices.Delete(w.byID, i, i+1)
	}
}

// crowdingCounty evaluates a county's inspections from its first one of
// the current Add, the window filled from the inspections before it.
func (e *evaluator) crowdingCounty(r *ruleState, county int32, g *scopeGroup, k int, d int32, w *crowdWindow) {
	keep, _ := slices.BinarySearch(g.resAt, int32(g.first))
	e.retire(g.res[keep:])
	g.res, g.resAt = g.res[:keep], g.resAt[:keep]
	from := e.insps[g.idx[g.first]].day - d
	left, _ := slices.BinarySearchFunc(g.idx[:g.first], from, func(i int32, day int32) int {
		return cmp.Compare(e.insps[i].day, day)
	})
	start := left
	for p := start; p < len(g.idx); p++ {
		cur := g.idx[p]
		in := &e.insps[cur]
		for ; e.insps[g.idx[left]].day < in.day-d; left++ {
			w.remove(e, g.idx[left])
		}
		if p >= g.first {
			others := w.distinct
			if w.perIssuer[in.issuer] > 0 {
				others--
			}
			if 1+others >= k {
				g.res, g.resAt = e.emit(g.res, e.crowdResult(r, county, w, cur, 1+others, k)), append(g.resAt, int32(p))
			}
		}
		w.add(e, cur)
	}
	for _, cur := range g.idx[left:] {
		w.remove(e, cur)
	}
}

// crowdResult is the crowd closed by inspection cur: cur and the window's
// inspections by other issuers, in event id order.
func (e *evaluator) crowdResult(r *ruleState, county int32, w *crowdWindow, cur int32, issuers, k int) bw.Violation {
	in := &e.insps[cur]
	ids := make([]string, 0, len(w.byID)+1)
	placed := false
	for _, j := range w.byID {
		if !placed && in.id < e.insps[j].id {
			ids, placed = append(ids, in.id), true
		}
		if e.insps[j].issuer != in.issuer {
			ids = append(ids, e.insps[j].id)
		}
	}
	if !placed {
		ids = append(ids, in.id)
	}
	scope := "county=" + e.strs.str(county) + ";event=" + in.id
	return e.aggregate(r, e.strs.str(county), e.strs.str(in.issuer), scope,
		e.monthStart(int(in.year), in.month), float64(issuers), float64(k), ids)
}

// formAggregates checks form.multiple_per_issuer: distinct form ids per
// issuer × county × year above the cap, dated in the month the first form
// above the cap arrived.
func (e *evaluator) formAggregates() {
	r := e.r.formMultiple
	if r == nil {
		return
	}
	if e.scopes.forms != nil {
		ms := make([]keyedMember[issuerCountyYear], len(e.newForms))
		for j, i := range e.newForms {
			f := &e.forms[i]
			ms[j] = keyedMember[issuerCountyYear]{issuerCountyYear{f.issuer, f.county, f.year}, f.sec, i}
		}
		e.scopes.forms.addAll(ms, compareICY, e.formBefore)
	}
	limit := int(r.params[ParamMax])
	distinct := map[int32]bool{}
	e.scopes.forms.update(e.formBefore, e.formID, func(k issuerCountyYear, g *scopeGroup) {
		g.res = e.retire(g.res)
		clear(distinct)
		var month uint8 // month the cap was first crossed; 0 = not crossed
		for _, i := range g.idx {
			f := &e.forms[i]
			distinct[f.form] = true
			if month == 0 && len(distinct) > limit {
				month = f.month
			}
		}
		if month == 0 {
			return
		}
		g.res = e.emit(g.res, e.aggregate(r, e.strs.str(k.county), e.strs.str(k.issuer), e.icyScope(k),
			e.monthStart(int(k.year), month), float64(len(distinct)), float64(limit), g.ids.all()))
	})
}

// countyYearRules checks quotas and baselines (document.quota,
// document.yoy, meeting.quota, inspection.yoy) of the county-years the
// current Add touched: the year-to-date count above the limit, dated in
// the month it was first crossed, the county-year's events of the kind as
// evidence.
func (e *evaluator) countyYearRules() {
	type pending struct {
		cy           *countyYear
		r            *ruleState
		kind         int
		month, total int
		limit        int
	}
	var ps []pending
	for _, cy := range e.cyTouched {
		cy.touched = false
		cy.res = e.retire(cy.res)
		county, year := e.strs.str(cy.key.county), int(cy.key.year)
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
			if c.r != nil && c.limit != nil {
				if month, total := crossing(&cy.counts[c.kind], *c.limit); month > 0 {
					ps = append(ps, pending{cy, c.r, c.kind, month, total, *c.limit})
				}
			}
		}
	}
	if e.citedLater {
		e.collectCited(func(yield func(*countyYear, int)) {
			for _, p := range ps {
				yield(p.cy, p.kind)
			}
		})
	}
	for _, p := range ps {
		county, year := e.strs.str(p.cy.key.county), int(p.cy.key.year)
		scope := "county=" + county + ";" + yearScope(year)
		p.cy.res = e.emit(p.cy.res, e.aggregate(p.r, county, "", scope, e.monthStart(year, uint8(p.month)),
			float64(p.total), float64(p.limit), p.cy.ids[p.kind].all()))
	}
}

// collectCited fills, in a second pass over the batches of the current
// Add, the event ids of the county-years and kinds that pending yields:
// what Evaluate does instead of keeping every cited id at the scan (its
// State is not kept, and most county-years never cross).
func (e *evaluator) collectCited(pending func(yield func(*countyYear, int))) {
	want := map[*countyYear]*[numCountedKinds]bool{}
	pending(func(cy *countyYear, kind int) {
		if want[cy] == nil {
			want[cy] = new([numCountedKinds]bool)
		}
		want[cy][kind] = true
	})
	if len(want) == 0 {
		return
	}
	for bi := range e.batches {
		b := &e.batches[bi]
		var lastCounty string
		var lastYear int
		var cy *countyYear
		var kinds *[numCountedKinds]bool
		for row := 0; row < b.n; row++ {
			ki := kindIndex(b.kind.Value(row))
			if ki < 0 {
				continue
			}
			year, _ := e.yearMonth(b, row)
			if county := b.county.Value(row); kinds == nil || county != lastCounty || year != lastYear {
				cy = e.lookupCountyYear(countyYearID{e.strs.ids[county], int32(year)})
				lastCounty, lastYear, kinds = e.strs.str(cy.key.county), year, want[cy]
				if kinds == nil {
					kinds = new([numCountedKinds]bool)
				}
			}
			if kinds[ki] {
				cy.ids[ki].add(b.id.Value(row))
			}
		}
	}
}

// kindIndex is the countyCounts index of an event kind, -1 for forms.
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

// checkTooSoon resolves the deployment documents of every kept
// inspection naming one, first among all the events (all), then in docs,
// and returns the results of the inspections within N calendar days after
// their document (0 ≤ days ≤ N). It runs over every Add's inspections: a
// document may arrive after the inspection naming it.
func (e *evaluator) checkTooSoon(all *columnar.Events, docs DocumentTimes) ([]bw.Violation, error) {
	r := e.r.tooSoon
	if r == nil || len(e.deployed) == 0 {
		return nil, nil
	}
	days, err := e.documentDays(all)
	if err != nil {
		return nil, err
	}
	for id, day := range days {
		if t, ok := docs[id]; ok && day == noDay && !t.IsZero() {
			days[id] = dayNumber(t, e.loc)
		}
	}
	limit := int32(r.params[ParamDays])
	var out []bw.Violation
	for i := range e.deployed {
		d := &e.deployed[i]
		docDay, ok := days[d.doc]
		if !ok || docDay == noDay {
			continue
		}
		if elapsed := d.day - docDay; elapsed >= 0 && elapsed <= limit {
			out = append(out, e.eventResult(r, &d.info, float64(elapsed), float64(limit)))
		}
	}
	return out, nil
}

// noDay marks a deployment document not (yet) found.
const noDay = int32(-1 << 31)

// documentDays maps every deployment document id to its calendar day when
// it is among the events, noDay otherwise.
func (e *evaluator) documentDays(all *columnar.Events) (map[string]int32, error) {
	days := make(map[string]int32, len(e.deployed))
	for _, d := range e.deployed {
		days[d.doc] = noDay
	}
	for i, rec := range all.Records {
		b, err := bindBatch(rec, int32(i))
		if err != nil {
			return nil, fmt.Errorf("record batch %d: %w", i, err)
		}
		for row := 0; row < b.n; row++ {
			if b.kind.Value(row) != kindDocument {
				continue
			}
			if _, ok := days[b.id.Value(row)]; ok {
				days[b.id.Value(row)] = b.day.Value(row)
			}
		}
	}
	return days, nil
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

// b2i is 1 for true, 0 for false.
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
