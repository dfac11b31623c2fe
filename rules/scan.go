package rules

import (
	"fmt"

	bw "github.com/burdenwatch/burdenwatch"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"

	"github.com/burdenwatch/burdenwatch/columnar"
)

// batch holds the typed columns of one record batch that rules read.
type batch struct {
	rec                                                 int32 // position in Events.Records
	n                                                   int
	id, kind, county, unit, level, issuer, issuerLevel  *array.String
	issuerKind                                          *array.String // nil in batches without the column
	category, plan, code, mode, deploy, docType, formID *array.String
	occurred                                            *array.Timestamp
	day                                                 *array.Int32
	month, weekday                                      *array.Uint8
	approved, onSite, principal, compMaterial, account  *array.Boolean
	cascade, supporting, upward, approvedSurvey         *array.Boolean
	sampled, total, pages, dupFields                    *array.Uint32
	veto                                                *array.List
	vetoValues                                          *array.String
}

// column returns column i of rec as type T, or an error naming it.
func column[T arrow.Array](rec arrow.Record, i int, err *error) T {
	var zero T
	if *err != nil {
		return zero
	}
	if i >= int(rec.NumCols()) {
		*err = fmt.Errorf("missing column %d (%s)", i, columnar.Schema.Field(i).Name)
		return zero
	}
	c, ok := rec.Column(i).(T)
	if !ok {
		*err = fmt.Errorf("column %d (%s): unexpected type %s", i, columnar.Schema.Field(i).Name, rec.Column(i).DataType())
	}
	return c
}

// bindBatch types the columns of rec by their columnar.Schema positions.
func bindBatch(rec arrow.Record, pos int32) (batch, error) {
	var err error
	b := batch{rec: pos, n: int(rec.NumRows())}
	str := func(i int) *array.String { return column[*array.String](rec, i, &err) }
	boolean := func(i int) *array.Boolean { return column[*array.Boolean](rec, i, &err) }
	u32 := func(i int) *array.Uint32 { return column[*array.Uint32](rec, i, &err) }
	b.id, b.kind, b.county, b.unit = str(columnar.ColEventID), str(columnar.ColKind), str(columnar.ColCounty), str(columnar.ColBearingUnit)
	b.level, b.issuer, b.issuerLevel = str(columnar.ColTargetLevel), str(columnar.ColIssuerCode), str(columnar.ColIssuerLevel)
	b.category, b.plan, b.code, b.mode = str(columnar.ColCategory), str(columnar.ColPlanCode), str(columnar.ColInspectionCode), str(columnar.ColMode)
	b.deploy, b.docType, b.formID = str(columnar.ColDeploymentDocID), str(columnar.ColDocType), str(columnar.ColFormID)
	b.occurred = column[*array.Timestamp](rec, columnar.ColOccurredAt, &err)
	b.day = column[*array.Int32](rec, columnar.ColDay, &err)
	b.month = column[*array.Uint8](rec, columnar.ColMonth, &err)
	b.weekday = column[*array.Uint8](rec, columnar.ColWeekday, &err)
	b.approved, b.onSite, b.principal = boolean(columnar.ColApproved), boolean(columnar.ColOnSite), boolean(columnar.ColPrincipal)
	b.compMaterial, b.account = boolean(columnar.ColCompMaterial), boolean(columnar.ColAccountability)
	b.cascade, b.supporting, b.upward = boolean(columnar.ColCascadeRequired), boolean(columnar.ColSupportingDocs), boolean(columnar.ColUpwardReport)
	b.approvedSurvey = boolean(columnar.ColApprovedSurvey)
	b.sampled, b.total, b.pages, b.dupFields = u32(columnar.ColSampledUnits), u32(columnar.ColTotalUnits), u32(columnar.ColPages), u32(columnar.ColDuplicateFields)
	b.veto = column[*array.List](rec, columnar.ColVetoItems, &err)
	if err == nil {
		var ok bool
		if b.vetoValues, ok = b.veto.ListValues().(*array.String); !ok {
			err = fmt.Errorf("column %d (veto_items): list of %s, want list of string", columnar.ColVetoItems, b.veto.ListValues().DataType())
		}
	}
	if err == nil && int(rec.NumCols()) > columnar.ColIssuerKind {
		b.issuerKind = str(columnar.ColIssuerKind)
	}
	if err != nil {
		return batch{}, err
	}
	return b, nil
}

// Event kinds as stored in the kind column.
const (
	kindInspection = "inspection"
	kindMeeting    = "meeting"
	kindDocument   = "document"
	kindDataReport = "data_report"
)

// Kind indexes of countyCounts.
const (
	kiDocument = iota
	kiMeeting
	kiInspection
	numCountedKinds
)

// countyYearID identifies an interned county in a year.
type countyYearID struct {
	county int32
	year   int32
}

// countyCounts counts a county-year's events per kind and month.
type countyCounts [numCountedKinds][13]int

// countyYear is what the county × year rules keep of a county-year: its
// counts, the event ids of the kinds they cite, the results it last gave.
type countyYear struct {
	key     countyYearID
	counts  countyCounts
	ids     [numCountedKinds]idList
	res     []bw.Violation
	touched bool // by the current Add
}

// rowCtx is the per-row context the scan computes once.
type rowCtx struct {
	rec         int32
	row         int
	year, month int
	county      int32
	cy          *countyYear
}

// scan is the one pass over a batch: event rules are checked, counts
// kept, and inspections and forms remembered for the aggregate rules.
func (e *evaluator) scan(rec int32) {
	b := &e.batches[rec]
	var lastCounty string
	var lastKey countyYearID
	var last *countyYear
	cited := e.citedKinds()
	for row := 0; row < b.n; row++ {
		year, month := e.yearMonth(b, row)
		c := rowCtx{rec: rec, row: row, year: year, month: month}
		county := b.county.Value(row)
		if last == nil || county != lastCounty || int32(year) != lastKey.year {
			lastKey = countyYearID{e.strs.id(county), int32(year)}
			lastCounty = e.strs.str(lastKey.county)
			last = e.countyYearOf(lastKey)
		}
		c.county, c.cy = lastKey.county, last
		ki := -1
		switch b.kind.Value(row) {
		case kindInspection:
			ki = kiInspection
			e.scanInspection(b, &c)
		case kindDocument:
			ki = kiDocument
			e.scanDocument(b, &c)
		case kindMeeting:
			ki = kiMeeting
			e.scanMeeting(b, &c)
		case kindDataReport:
			e.scanForm(b, &c)
		}
		if ki >= 0 {
			c.cy.counts[ki][month]++
			if cited[ki] {
				c.cy.ids[ki].add(b.id.Value(row))
			}
		}
	}
}

// citedKinds tells, by kind index, whether an enabled county × year rule
// cites the county-year's events of that kind and the scan keeps them
// (not for Evaluate: evaluator.citedLater).
func (e *evaluator) citedKinds() (cited [numCountedKinds]bool) {
	if e.citedLater {
		return cited
	}
	cited[kiDocument] = e.r.docQuota != nil || e.r.docYoY != nil
	cited[kiMeeting] = e.r.meetQuota != nil
	cited[kiInspection] = e.r.inspYoY != nil
	return cited
}

// countyYearOf returns the kept state of a county-year, created on first
// use, and marks it touched by the current Add.
func (e *evaluator) countyYearOf(k countyYearID) *countyYear {
	c := e.lookupCountyYear(k)
	if !c.touched {
		c.touched = true
		e.cyTouched = append(e.cyTouched, c)
	}
	return c
}

func (e *evaluator) lookupCountyYear(k countyYearID) *countyYear {
	if int(k.year) == e.year && int(k.county) < len(e.yearCounts) && e.yearCounts[k.county] != nil {
		return e.yearCounts[k.county]
	}
	c, ok := e.counts[k]
	if !ok {
		c = &countyYear{key: k}
		e.counts[k] = c
	}
	if int(k.year) == e.year {
		for len(e.yearCounts) <= int(k.county) {
			e.yearCounts = append(e.yearCounts, nil)
		}
		e.yearCounts[k.county] = c
	}
	return c
}

// flag emits an event result with value 1 and limit 0 when cond holds.
func (e *evaluator) flag(r *ruleState, cond bool, b *batch, row int) {
	if r != nil && cond {
		e.emitEvent(r, b.rec, row, 1, 0)
	}
}

func (e *evaluator) scanInspection(b *batch, c *rowCtx) {
	row := c.row
	planCode := b.plan.Value(row)
	issuer := b.issuer.Value(row)
	maxVisits, planned := 0, false
	if planCode != "" {
		maxVisits, planned = e.ref.plan[planKey{c.year, issuer, planCode}]
	}
	e.flag(e.r.unplanned, !planned, b, row)
	e.flag(e.r.uncoded, b.code.Value(row) == "", b, row)
	e.checkCode(b, c, issuer, planCode)
	e.flag(e.r.unapproved, !b.approved.Value(row), b, row)
	e.flag(e.r.principal, b.principal.Value(row), b, row)
	e.flag(e.r.accountability, b.account.Value(row), b, row)
	e.flag(e.r.compMaterial, b.compMaterial.Value(row), b, row)
	category := b.category.Value(row)
	onSite := b.onSite.Value(row)
	e.flag(e.r.noMeetingMonth, onSite && e.ref.noMeetingMonth[c.year*100+c.month], b, row)
	e.flag(e.r.exempt, category == "comprehensive" && e.ref.exempt[yearCounty{c.year, e.strs.str(c.county)}], b, row)
	e.checkSampling(b, row)
	if d := b.deploy.Value(row); d != "" && e.r.tooSoon != nil {
		e.deployed = append(e.deployed, deployRef{doc: e.ids.own(d), day: b.day.Value(row), info: *e.rowInfo(b, c.rec, row)})
	}
	e.newInsps = append(e.newInsps, int32(len(e.insps)))
	e.insps = append(e.insps, inspection{
		id: e.eventID(b, row), sec: int64(b.occurred.Value(row)), day: b.day.Value(row),
		year: int32(c.year), month: uint8(c.month), county: c.county,
		issuer: e.strs.id(issuer), unit: e.strs.id(b.unit.Value(row)), plan: e.strs.id(planCode),
		maxVisits: int32(maxVisits), category: categoryOf(category), onSite: onSite,
		covert: b.mode.Value(row) == "covert", grassroots: isGrassroots(b.level.Value(row)),
	})
}

// Reasons of inspection.code_invalid, its result's value.
const (
	codeUnknown      = 1 // not in the registry
	codeOtherIssuer  = 2 // the entry names another issuer
	codeOtherPlan    = 3 // the entry names another plan code
	codeOutsideValid = 4 // occurred_at outside the entry's validity
)

// checkCode checks a non-empty inspection_code against the province-year's
// code registry, when there is one. Of several entries of one code, the
// one matching best decides (the smallest reason).
func (e *evaluator) checkCode(b *batch, c *rowCtx, issuer, plan string) {
	r := e.r.codeInvalid
	code := b.code.Value(c.row)
	if r == nil || code == "" || !e.ref.registry[c.year] {
		return
	}
	reason := codeUnknown
	for _, entry := range e.ref.codes[codeKey{c.year, code}] {
		r := entry.check(issuer, plan, b.day.Value(c.row))
		if r == 0 {
			return
		}
		reason = max(reason, r)
	}
	e.emitEvent(r, b.rec, c.row, float64(reason), 0)
}

func (e *evaluator) checkSampling(b *batch, row int) {
	r := e.r.sampling
	if r == nil {
		return
	}
	total := b.total.Value(row)
	if total == 0 {
		return
	}
	share := r.params[ParamMaxShare]
	sampled := b.sampled.Value(row)
	if float64(sampled) > share*float64(total)+1e-9 {
		e.emitEvent(r, b.rec, row, float64(sampled)/float64(total), share)
	}
}

func (e *evaluator) scanDocument(b *batch, c *rowCtx) {
	row := c.row
	if r := e.r.docLength; r != nil && b.docType.Value(row) == "policy" {
		if p := float64(b.pages.Value(row)); p > r.params[ParamMaxPages] {
			e.emitEvent(r, b.rec, row, p, r.params[ParamMaxPages])
		}
	}
	e.flag(e.r.docUpward, b.upward.Value(row), b, row)
	e.flag(e.r.docCascade, b.supporting.Value(row), b, row)
	start, end := b.veto.ValueOffsets(row)
	if start == end || b.veto.IsNull(row) {
		return
	}
	if r := e.r.vetoUnlisted; r != nil {
		unlisted := 0
		for j := start; j < end; j++ {
			if !e.ref.vetoList[b.vetoValues.Value(int(j))] {
				unlisted++
			}
		}
		if unlisted > 0 {
			e.emitEvent(r, b.rec, row, float64(unlisted), 0)
		}
	}
	if r := e.r.vetoProvinceDept; r != nil && b.issuerLevel.Value(row) == "province" &&
		b.issuerKind != nil && b.issuerKind.Value(row) == "department" {
		e.emitEvent(r, b.rec, row, float64(end-start), 0)
	}
}

func (e *evaluator) scanMeeting(b *batch, c *rowCtx) {
	row := c.row
	wd := b.weekday.Value(row)
	e.flag(e.r.meetNoMeetingDay, wd <= 7 && e.ref.noMeetingWeekdays[wd], b, row)
	e.flag(e.r.meetCascade, b.cascade.Value(row), b, row)
}

func (e *evaluator) scanForm(b *batch, c *rowCtx) {
	row := c.row
	if r := e.r.formDuplicate; r != nil {
		if d := b.dupFields.Value(row); d > 0 {
			e.emitEvent(r, b.rec, row, float64(d), 0)
		}
	}
	e.flag(e.r.formUnapproved, !b.approvedSurvey.Value(row), b, row)
	if e.r.formMultiple != nil {
		e.newForms = append(e.newForms, int32(len(e.forms)))
		e.forms = append(e.forms, dataReport{
			id: e.eventID(b, row), sec: int64(b.occurred.Value(row)), year: int32(c.year), month: uint8(c.month),
			county: c.county, issuer: e.strs.id(b.issuer.Value(row)), form: e.strs.id(b.formID.Value(row)),
		})
	}
}

func isGrassroots(level string) bool { return level == "township" || level == "village" }
