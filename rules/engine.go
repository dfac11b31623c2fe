package rules

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/columnar"
)

// DocumentTimes are the occurred_at of documents by event_id: the
// deployment documents of inspection.too_soon that are not among the
// evaluated events (they may be in the previous year; ExternalDocuments
// lists them). Ids it lacks are unknown, and their inspections are not
// checked.
type DocumentTimes map[string]time.Time

// ruleState is an enabled rule during one evaluation.
type ruleState struct {
	id       string
	severity bw.Severity
	citation string
	params   map[string]float64
}

// activeRules holds the enabled rules; a nil field means the rule is off.
type activeRules struct {
	unplanned, uncoded, unapproved, tooSoon, visitCap, covertShare       *ruleState
	principal, crowding, sampling, compCap, appraisalCap, noMeetingMonth *ruleState
	exempt, accountability, compMaterial, inspYoY                        *ruleState
	docQuota, docYoY, docLength, docUpward, docCascade                   *ruleState
	meetQuota, meetNoMeetingDay, meetCascade                             *ruleState
	vetoUnlisted, vetoProvinceDept                                       *ruleState
	formDuplicate, formMultiple, formUnapproved                          *ruleState
	codeInvalid                                                          *ruleState
}

// bind enables the pack's rules.
func (a *activeRules) bind(p Pack) error {
	slots := map[string]**ruleState{
		InspectionUnplanned: &a.unplanned, InspectionUncoded: &a.uncoded, InspectionUnapproved: &a.unapproved,
		InspectionTooSoon: &a.tooSoon, InspectionVisitCap: &a.visitCap, InspectionCovertShare: &a.covertShare,
		InspectionPrincipalAccompanied: &a.principal, InspectionCrowding: &a.crowding, InspectionSampling: &a.sampling,
		InspectionComprehensiveCap: &a.compCap, InspectionAppraisalCap: &a.appraisalCap,
		InspectionNoMeetingMonth: &a.noMeetingMonth, InspectionExemptCounty: &a.exempt,
		InspectionAccountability: &a.accountability, InspectionComprehensiveMaterial: &a.compMaterial,
		InspectionYoY: &a.inspYoY, DocumentQuota: &a.docQuota, DocumentYoY: &a.docYoY, DocumentLength: &a.docLength,
		DocumentUpwardReport: &a.docUpward, DocumentCascade: &a.docCascade, MeetingQuota: &a.meetQuota,
		MeetingNoMeetingDay: &a.meetNoMeetingDay, MeetingCascade: &a.meetCascade, VetoUnlisted: &a.vetoUnlisted,
		VetoByProvinceDept: &a.vetoProvinceDept, FormDuplicate: &a.formDuplicate,
		FormMultiplePerIssuer: &a.formMultiple, FormUnapprovedSurvey: &a.formUnapproved,
		InspectionCodeInvalid: &a.codeInvalid,
	}
	for _, rc := range p.Rules {
		slot, ok := slots[rc.ID]
		if !ok {
			return fmt.Errorf("pack %q: unknown rule id %q", p.Province, rc.ID)
		}
		if !rc.Enabled {
			continue
		}
		info, _ := ruleInfo(rc.ID)
		params := make(map[string]float64, len(info.Params))
		for _, ps := range info.Params {
			params[ps.Name] = ps.Default
		}
		for k, v := range rc.Params {
			params[k] = v
		}
		sev := rc.Severity
		if sev == "" {
			sev = info.Severity
		}
		cites := rc.Citations
		if len(cites) == 0 {
			cites = info.Citations
		}
		*slot = &ruleState{id: rc.ID, severity: sev, citation: CitationText(cites), params: params}
	}
	return nil
}

// interner maps strings to small ids and owns copies of them (column
// values are views into Arrow buffers).
type interner struct {
	ids  map[string]int32
	strs []string
}

func newInterner() *interner { return &interner{ids: map[string]int32{}} }

func (n *interner) id(s string) int32 {
	if id, ok := n.ids[s]; ok {
		return id
	}
	s = strings.Clone(s)
	id := int32(len(n.strs))
	n.ids[s] = id
	n.strs = append(n.strs, s)
	return id
}

func (n *interner) str(id int32) string { return n.strs[id] }

// evaluator holds the state of a State: what the rules keep between the
// calls of Add, and the batches of the current one.
type evaluator struct {
	pack               Pack
	r                  activeRules
	ref                refIndex
	loc                *time.Location
	batches            []batch   // of the current Add
	strs               *interner // counties, issuers, units, plans, form ids
	months             map[int]time.Time
	counts             map[countyYearID]*countyYear
	yearCounts         []*countyYear // counts of Events.Year by county id, a fast path into counts
	cyTouched          []*countyYear // county-years the current Add touched
	insps              []inspection
	forms              []dataReport
	newInsps, newForms []int32 // indexes of the current Add's inspections and forms
	deployed           []deployRef
	scopes             scopes
	ids                arena   // owned event ids
	lastRow            rowInfo // cache of rowInfo
	idSlab             []string
	rowID              rowIDCache
	year               int            // Events.Year
	yearStart, yearEnd int32          // its first day and the next year's, days since 1970-01-01
	log                *changes       // what the current Add changes in out (a fork's own)
	citedLater         bool           // county-years' ids collected when cited, from the batches (Evaluate)
	out                []bw.Violation // the results of the last Add, sorted
	tooSoon            []bw.Violation // the inspection.too_soon results among them
}

// changes is what an Add changes in the results: the results made and
// the keys of the results given up (a re-evaluated scope's old ones).
type changes struct {
	added   [][]bw.Violation // in chunks, so that a million results are never regrown
	removed []resultKey
}

// add records a new result.
func (c *changes) add(v bw.Violation) {
	if n := len(c.added); n == 0 || len(c.added[n-1]) == cap(c.added[n-1]) {
		c.added = append(c.added, make([]bw.Violation, 0, 4096))
	}
	last := &c.added[len(c.added)-1]
	*last = append(*last, v)
}

// resultKey identifies a result: scopes are unique within a county.
type resultKey struct{ county, scope string }

// retire records that the results old give way and returns old emptied,
// for the scope's new results.
func (e *evaluator) retire(old []bw.Violation) []bw.Violation {
	for i := range old {
		e.log.removed = append(e.log.removed, resultKey{old[i].CountyCode, old[i].Scope})
	}
	return old[:0]
}

// emit records a new result v and appends it to the scope's results.
func (e *evaluator) emit(res []bw.Violation, v bw.Violation) []bw.Violation {
	e.log.add(v)
	return append(res, v)
}

// rowIDCache is the owned event id of the row last asked for.
type rowIDCache struct {
	rec int32
	row int
	id  string
	ok  bool
}

// Evaluate checks the enabled rules of pack against one province-year of
// events and returns the results sorted by county, rule id and scope. The
// result does not depend on the order of events within or across batches.
// A pack without rules (the zero Pack) means the central defaults. ref
// may be nil (no reference data); docs may be nil (only deployment
// documents among ev are known). Evaluate reads nothing but its arguments.
func Evaluate(pack Pack, ev *columnar.Events, ref *bw.ReferenceData, docs DocumentTimes) ([]bw.Violation, error) {
	s, err := NewState(pack, ev.Province, ev.Year, ref)
	if err != nil {
		return nil, err
	}
	s.e.citedLater = true // s is not kept
	return s.Add(ev, ev, docs)
}

// State is the evaluation of one province-year kept by a long-running
// process between its runs (transform.Job): Add evaluates the events
// added since the last call, and only the scopes they touch, and returns
// the results over all events added so far, exactly as Evaluate of all of
// them would. Events that replace or remove added ones, other reference
// data or another pack need a new State. A State is not safe for
// concurrent use.
type State struct {
	e       *evaluator
	prepare sync.WaitGroup // Prepare's work, waited for by Add
}

// NewState returns the State of a province-year before any events, with
// pack and ref as in Evaluate.
func NewState(pack Pack, province string, year int, ref *bw.ReferenceData) (*State, error) {
	e, err := newEvaluator(pack, province, year, ref)
	if err != nil {
		return nil, fmt.Errorf("evaluate rules of province %s: %w", province, err)
	}
	return &State{e: e}, nil
}

// Add evaluates added, events not among those of the earlier calls, and
// returns the results of all events added so far, sorted as Evaluate's.
// all is every event added so far, added included (the deployment
// documents of inspection.too_soon are looked up there), and docs the
// times of the documents outside all, as in Evaluate. After an error the
// State must not be used again.
func (s *State) Add(added, all *columnar.Events, docs DocumentTimes) ([]bw.Violation, error) {
	s.prepare.Wait()
	vs, err := s.e.add(added, all, docs)
	if err != nil {
		return nil, fmt.Errorf("evaluate rules of province %s, year %d: %w", added.Province, s.e.year, err)
	}
	return vs, nil
}

// Prepare starts, in the background, work the next Add would otherwise
// do itself: sorting the event ids that the aggregate rules cite once a
// scope crosses its limit. A long-running process calls it when
// an Add returns, so that the work is done while it writes; the next Add
// waits for it.
func (s *State) Prepare() {
	s.prepare.Add(1)
	go func() {
		defer s.prepare.Done()
		for _, cy := range s.e.counts {
			for ki := range cy.ids {
				cy.ids[ki].all()
			}
		}
		s.e.scopes.sortIDs()
	}()
}

func newEvaluator(pack Pack, province string, year int, ref *bw.ReferenceData) (*evaluator, error) {
	loc := bw.Location()
	if len(pack.Rules) == 0 {
		pack.Rules = DefaultPack().Rules
	}
	if province == "" {
		province = pack.Province
	}
	e := &evaluator{
		pack:   pack,
		ref:    newRefIndex(ref, province, pack.BaselineYear, loc),
		loc:    loc,
		strs:   newInterner(),
		months: map[int]time.Time{},
		counts: map[countyYearID]*countyYear{},
		year:   year,
		log:    &changes{},
	}
	e.yearStart = int32(time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC).Unix() / 86400)
	e.yearEnd = int32(time.Date(year+1, 1, 1, 0, 0, 0, 0, time.UTC).Unix() / 86400)
	if err := e.r.bind(pack); err != nil {
		return nil, err
	}
	e.scopes = newScopes(&e.r)
	return e, nil
}

func (e *evaluator) add(added, all *columnar.Events, docs DocumentTimes) ([]bw.Violation, error) {
	e.batches = make([]batch, len(added.Records))
	for i, rec := range added.Records {
		b, err := bindBatch(rec, int32(i))
		if err != nil {
			return nil, fmt.Errorf("record batch %d: %w", i, err)
		}
		e.batches[i] = b
	}
	e.reserve()
	for bi := range e.batches {
		e.scan(int32(bi))
	}
	e.lastRow, e.rowID = rowInfo{}, rowIDCache{} // views into added end here
	tooSoon, err := e.checkTooSoon(all, docs)
	if err != nil {
		return nil, err
	}
	e.retire(e.tooSoon)
	e.tooSoon = tooSoon
	e.log.added = append(e.log.added, tooSoon)
	e.aggregates()
	e.newInsps, e.newForms, e.cyTouched = e.newInsps[:0], e.newForms[:0], e.cyTouched[:0]
	e.batches = nil // views into added end here
	e.out = mergeResults(e.out, e.log)
	*e.log = changes{}
	return e.out, nil
}

// aggregates runs the three groups of aggregate rules (county × year
// counts, inspections, forms) side by side. After the scan they only read
// the evaluator's shared state and write their own scopes; each runs on a
// fork with its own month cache.
func (e *evaluator) aggregates() {
	e.parallel((*evaluator).countyYearRules, (*evaluator).inspectionAggregates, (*evaluator).formAggregates)
}

// parallel runs parts side by side, each on a fork of e, and adds their
// changes to e's.
func (e *evaluator) parallel(parts ...func(*evaluator)) {
	var wg sync.WaitGroup
	forks := make([]*evaluator, len(parts))
	for i, part := range parts {
		f := e.fork()
		forks[i] = f
		wg.Add(1)
		go func() {
			defer wg.Done()
			part(f)
		}()
	}
	wg.Wait()
	for _, f := range forks {
		e.log.added = append(e.log.added, f.log.added...)
		e.log.removed = append(e.log.removed, f.log.removed...)
	}
}

// fork is a shallow copy of e for one group of aggregate rules: shared
// read-only state, its own month cache and changes.
func (e *evaluator) fork() *evaluator {
	f := *e
	f.months, f.log = map[int]time.Time{}, &changes{}
	return &f
}

// reserve grows the inspection and form lists by a count of the kind
// column, so the scan never regrows them.
func (e *evaluator) reserve() {
	insps, forms := 0, 0
	for bi := range e.batches {
		b := &e.batches[bi]
		for row := 0; row < b.n; row++ {
			switch b.kind.Value(row) {
			case kindInspection:
				insps++
			case kindDataReport:
				forms++
			}
		}
	}
	e.insps, e.newInsps = slices.Grow(e.insps, insps), slices.Grow(e.newInsps, insps)
	if e.r.formMultiple != nil {
		e.forms, e.newForms = slices.Grow(e.forms, forms), slices.Grow(e.newForms, forms)
	}
}

// monthStart is the first day of month in Asia/Shanghai.
func (e *evaluator) monthStart(year int, month uint8) time.Time {
	k := year*16 + int(month)
	t, ok := e.months[k]
	if !ok {
		t = time.Date(year, time.Month(month), 1, 0, 0, 0, 0, e.loc)
		e.months[k] = t
	}
	return t
}

// eventID returns the owned event id of a row of the current Add, owned
// once however many results and lists cite it.
func (e *evaluator) eventID(b *batch, row int) string {
	c := &e.rowID
	if !c.ok || c.rec != b.rec || c.row != row {
		*c = rowIDCache{rec: b.rec, row: row, id: e.ids.own(b.id.Value(row)), ok: true}
	}
	return c.id
}

// rowInfo caches what the results of one row share.
type rowInfo struct {
	rec, row       int32
	ids            []string // the event id, cap 1 so appends copy
	county, issuer string
	month          time.Time
}

// rowInfo returns the shared result fields of a row, computed once per row.
func (e *evaluator) rowInfo(b *batch, rec int32, row int) *rowInfo {
	ri := &e.lastRow
	if ri.ids != nil && ri.rec == rec && ri.row == int32(row) {
		return ri
	}
	if len(e.idSlab) == cap(e.idSlab) {
		e.idSlab = make([]string, 0, 4096)
	}
	e.idSlab = append(e.idSlab, e.eventID(b, row))
	n := len(e.idSlab)
	year, month := e.yearMonth(b, row)
	*ri = rowInfo{
		rec: rec, row: int32(row), ids: e.idSlab[n-1 : n : n],
		county: e.strs.str(e.strs.id(b.county.Value(row))),
		issuer: e.strs.str(e.strs.id(b.issuer.Value(row))),
		month:  e.monthStart(year, uint8(month)),
	}
	return ri
}

// emitEvent records the result of an event rule for one row: event
// results stand as long as the State (their events are never replaced).
func (e *evaluator) emitEvent(r *ruleState, rec int32, row int, value, limit float64) {
	e.log.add(e.eventResult(r, e.rowInfo(&e.batches[rec], rec, row), value, limit))
}

// eventResult is the result of an event rule for the row of ri.
func (e *evaluator) eventResult(r *ruleState, ri *rowInfo, value, limit float64) bw.Violation {
	return bw.Violation{
		RuleID:     r.id,
		Severity:   r.severity,
		CountyCode: ri.county,
		Month:      ri.month,
		IssuerCode: ri.issuer,
		Scope:      "rule=" + r.id + ";event=" + ri.ids[0],
		Value:      value,
		Limit:      limit,
		EventIDs:   ri.ids,
		Citation:   r.citation,
	}
}

// aggregate is the result of an aggregate rule whose ids are sorted.
func (e *evaluator) aggregate(r *ruleState, county, issuer, scope string, month time.Time, value, limit float64, ids []string) bw.Violation {
	return bw.Violation{
		RuleID:     r.id,
		Severity:   r.severity,
		CountyCode: county,
		Month:      month,
		IssuerCode: issuer,
		Scope:      "rule=" + r.id + ";" + scope,
		Value:      value,
		Limit:      limit,
		EventIDs:   ids,
		Citation:   r.citation,
	}
}

// yearScope formats the year part of a scope key.
func yearScope(year int) string { return "year=" + strconv.Itoa(year) }

// mergeResults returns the results of an Add: out, the last Add's
// (sorted), without the ones given up, merged with the ones made, sorted
// by county, rule id and scope.
func mergeResults(out []bw.Violation, c *changes) []bw.Violation {
	added := sortResults(c.added)
	if len(out) == 0 {
		return added
	}
	removed := make(map[resultKey]struct{}, len(c.removed))
	for _, k := range c.removed {
		removed[k] = struct{}{}
	}
	next := make([]bw.Violation, 0, len(out)+len(added))
	i, j := 0, 0
	for i < len(out) || j < len(added) {
		if i < len(out) && len(removed) > 0 {
			if _, gone := removed[resultKey{out[i].CountyCode, out[i].Scope}]; gone {
				i++
				continue
			}
		}
		if j == len(added) || (i < len(out) && bw.CompareViolations(&out[i], &added[j]) < 0) {
			next, i = append(next, out[i]), i+1
		} else {
			next, j = append(next, added[j]), j+1
		}
	}
	return next
}

// sortResults returns the results of chunks ordered by county, rule id
// and scope. It sorts compact keys (county and rule as ranks, then the
// scope) rather than the results themselves, then copies the results in
// their own order (reads in memory order, writes scattered: the cheaper
// way round).
func sortResults(chunks [][]bw.Violation) []bw.Violation {
	type sortKey struct {
		county, rule int32
		scope        string
		src          int32
	}
	var vs []*bw.Violation
	for _, c := range chunks {
		for i := range c {
			vs = append(vs, &c[i])
		}
	}
	keys := make([]sortKey, len(vs))
	counties, rules := map[string]int32{}, map[string]int32{}
	var lastCounty, lastRule string
	var lastCountyRank, lastRuleRank int32 = -1, -1
	for i, v := range vs {
		if lastCountyRank < 0 || v.CountyCode != lastCounty {
			lastCounty, lastCountyRank = v.CountyCode, rank(counties, v.CountyCode)
		}
		if lastRuleRank < 0 || v.RuleID != lastRule {
			lastRule, lastRuleRank = v.RuleID, rank(rules, v.RuleID)
		}
		keys[i] = sortKey{lastCountyRank, lastRuleRank, v.Scope, int32(i)}
	}
	countyOrder, ruleOrder := order(counties), order(rules)
	slices.SortFunc(keys, func(a, b sortKey) int {
		if a.county != b.county {
			return cmp.Compare(countyOrder[a.county], countyOrder[b.county])
		}
		if a.rule != b.rule {
			return cmp.Compare(ruleOrder[a.rule], ruleOrder[b.rule])
		}
		return strings.Compare(a.scope, b.scope)
	})
	pos := make([]int32, len(keys))
	for i, k := range keys {
		pos[k.src] = int32(i)
	}
	out := make([]bw.Violation, len(vs))
	for i, v := range vs {
		out[pos[i]] = *v
	}
	return out
}

// rank returns the id of s in m, adding it when new.
func rank(m map[string]int32, s string) int32 {
	id, ok := m[s]
	if !ok {
		id = int32(len(m))
		m[s] = id
	}
	return id
}

// order returns, by id of m, the position of its string in sorted order.
func order(m map[string]int32) []int32 {
	strs := make([]string, 0, len(m))
	for s := range m {
		strs = append(strs, s)
	}
	sort.Strings(strs)
	pos := make([]int32, len(m))
	for i, s := range strs {
		pos[m[s]] = int32(i)
	}
	return pos
}

// yearMonth returns the Asia/Shanghai year and month of a row: the month
// column, and the year of the evaluated Events when the day falls in it
// (the common case, two comparisons), else computed from the day.
func (e *evaluator) yearMonth(b *batch, row int) (year, month int) {
	day, m := b.day.Value(row), int(b.month.Value(row))
	if day >= e.yearStart && day < e.yearEnd && m >= 1 && m <= 12 {
		return e.year, m
	}
	year, month, _ = civil(day)
	return year, month
}

// civil converts days since 1970-01-01 to a proleptic Gregorian date
// (H. Hinnant's civil_from_days).
func civil(days int32) (year int, month, day int) {
	z := int64(days) + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era = (z - 146096) / 146097
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return int(y), int(m), int(d)
}

// dayNumber is the Asia/Shanghai calendar date of t as days since
// 1970-01-01.
func dayNumber(t time.Time, loc *time.Location) int32 {
	y, m, d := t.In(loc).Date()
	return int32(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}
