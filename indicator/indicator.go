// Package indicator computes the indicators of SPEC §4 — counts, shares,
// quota use, pace against the baseline year and the burden index — per
// observation county and month of one province-year, from its
// deduplicated events and rule results. Compute is pure (no database) and
// deterministic: every sum is kept in integers (meeting and form time in
// minutes), so the values do not depend on the order of the events.
package indicator

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/columnar"
)

// Sums accumulated per county and month; the indicators derive from them.
const (
	sDocuments = iota
	sDocLong
	sDocUpward
	sDocCascade
	sMeetings
	sMeetingMinutes // person-minutes: duration × attendees
	sMeetingsVideo
	sMeetingsNoMeetingDay
	sInspections
	sOnsite
	sGrassroots
	sCovertOnsite
	sUnplanned
	sUncoded
	sAccompanying
	sMaterials
	sVetoNew
	sVetoUnlisted
	sPledges
	sForms
	sFormFields
	sFormMinutes
	sFormDuplicateFields
	sFormsOffPlatform
	sViolations
	numSums
)

// sums holds one county-month's (or year-to-date) accumulated values, in
// integers so that their total does not depend on the order of addition.
type sums [numSums]int64

func (s *sums) add(o *sums) {
	for i := range s {
		s[i] += o[i]
	}
}

// Definition describes one indicator of SPEC §4.
type Definition struct {
	ID   string
	Name string // display name, Simplified Chinese
	// YTD says what the ytd column holds: "sum" (the year-to-date total),
	// "ratio" (the ratio of year-to-date totals), "same" (the value is
	// already year-to-date) or "average" (burden index of the average
	// month so far).
	YTD string
}

// calc is the input of one county-month's indicator values.
type calc struct {
	m, y     *sums // the month and year-to-date
	month    int   // 1–12: months elapsed
	quota    bw.Quota
	baseline bw.Baseline
	index    IndexConfig
}

type indicatorFunc func(c *calc) (value, ytd float64)

type indicator struct {
	Definition
	fn indicatorFunc
}

// indicators lists every indicator in output order.
func indicators() []indicator {
	return []indicator{
		count("documents", "收文数", sDocuments),
		{Definition{"documents_quota_used", "发文配额使用率", "same"}, quotaUsed(sDocuments, func(q bw.Quota) *int { return q.Documents })},
		{Definition{"documents_over_baseline", "发文数较基数进度比", "same"}, overBaseline(sDocuments, func(b bw.Baseline) *int { return b.Documents })},
		count("documents_long", "超长政策性文件数", sDocLong),
		count("documents_upward_report", "要求书面报告的文件数", sDocUpward),
		count("documents_cascade", "要求层层配套的文件数", sDocCascade),
		count("meetings", "参会数", sMeetings),
		{Definition{"meetings_quota_used", "会议配额使用率", "same"}, quotaUsed(sMeetings, func(q bw.Quota) *int { return q.Meetings })},
		{Definition{"meetings_over_baseline", "会议数较基数进度比", "same"}, overBaseline(sMeetings, func(b bw.Baseline) *int { return b.Meetings })},
		hours("meeting_hours", "参会人时", sMeetingMinutes),
		share("meetings_video_share", "视频会议占比", sMeetingsVideo, sMeetings),
		count("meetings_on_no_meeting_day", "无会日会议数", sMeetingsNoMeetingDay),
		count("inspections", "督查检查考核数", sInspections),
		{Definition{"inspections_quota_used", "督查检查考核配额使用率", "same"}, quotaUsed(sInspections, func(q bw.Quota) *int { return q.Inspections })},
		{Definition{"inspections_over_baseline", "督查检查考核较基数进度比", "same"}, overBaseline(sInspections, func(b bw.Baseline) *int { return b.Inspections })},
		count("inspections_onsite", "实地督查检查数", sOnsite),
		count("inspections_grassroots", "到基层督查检查数", sGrassroots),
		share("inspections_covert_share", "暗访占实地督查比例", sCovertOnsite, sOnsite),
		count("inspections_unplanned", "计划外督查检查数", sUnplanned),
		count("inspections_uncoded", "未亮码督查检查数", sUncoded),
		count("accompanying_staff", "陪同人次", sAccompanying),
		count("materials_requested", "索要材料台账数", sMaterials),
		count("veto_items_new", "新设一票否决事项数", sVetoNew),
		count("veto_items_unlisted", "清单外一票否决事项数", sVetoUnlisted),
		count("pledges", "责任状数", sPledges),
		count("forms", "填报表格数", sForms),
		count("form_fields", "填报数据项数", sFormFields),
		hours("form_hours", "填表工时", sFormMinutes),
		share("form_duplicate_share", "重复填报数据项占比", sFormDuplicateFields, sFormFields),
		count("forms_off_platform", "平台外填报表格数", sFormsOffPlatform),
		count("violations", "违规问题数", sViolations),
		{Definition{"burden_index", "基层负担指数", "average"}, burdenIndex},
	}
}

// Definitions lists every indicator computed, in output order.
func Definitions() []Definition {
	ins := indicators()
	out := make([]Definition, len(ins))
	for i, in := range ins {
		out[i] = in.Definition
	}
	return out
}

func count(id, name string, s int) indicator {
	return indicator{Definition{id, name, "sum"}, func(c *calc) (float64, float64) {
		return float64(c.m[s]), float64(c.y[s])
	}}
}

// hours is a sum of minutes shown in hours.
func hours(id, name string, s int) indicator {
	return indicator{Definition{id, name, "sum"}, func(c *calc) (float64, float64) {
		return float64(c.m[s]) / 60, float64(c.y[s]) / 60
	}}
}

func share(id, name string, num, den int) indicator {
	return indicator{Definition{id, name, "ratio"}, func(c *calc) (float64, float64) {
		return ratio(float64(c.m[num]), float64(c.m[den])), ratio(float64(c.y[num]), float64(c.y[den]))
	}}
}

// ratio is a ÷ b, NaN when b is 0.
func ratio(a, b float64) float64 {
	if b == 0 {
		return math.NaN()
	}
	return a / b
}

// quotaUsed is year-to-date count ÷ annual quota, NaN without a quota.
func quotaUsed(s int, field func(bw.Quota) *int) indicatorFunc {
	return func(c *calc) (float64, float64) {
		q := field(c.quota)
		if q == nil {
			return math.NaN(), math.NaN()
		}
		v := ratio(float64(c.y[s]), float64(*q))
		return v, v
	}
}

// overBaseline is the pace ratio year-to-date count ÷ (baseline-year
// annual count × months elapsed ÷ 12), NaN without a baseline.
func overBaseline(s int, field func(bw.Baseline) *int) indicatorFunc {
	return func(c *calc) (float64, float64) {
		b := field(c.baseline)
		if b == nil {
			return math.NaN(), math.NaN()
		}
		v := ratio(float64(c.y[s]), float64(*b)*float64(c.month)/12)
		return v, v
	}
}

// Input is what the indicators of one province-year are computed from.
type Input struct {
	Events       *columnar.Events
	Ref          *bw.ReferenceData
	Violations   []bw.Violation
	BaselineYear int            // 0: the latest baseline year before Events.Year, per county
	Index        IndexConfig    // the zero value means DefaultIndex
	Location     *time.Location // nil: bw.Location()
}

// Result is the indicators of one province-year.
type Result struct {
	Indicators  []bw.Indicator
	Counties    []string          // counties computed, sorted
	Months      int               // months computed: January up to this month
	IssuerNames map[string]string // issuer code → name, from the events
}

// Compute computes every indicator for every county of the province
// (observation points and counties with events) and every month from
// January up to the last month with events.
func Compute(in Input) (*Result, error) {
	p, err := Accumulate(in.Events, in.Ref)
	if err != nil {
		return nil, err
	}
	return p.Finish(in), nil
}

// Partial is the sums of a province-year's events before the rule results
// are counted: the part of Compute that needs no rule results, so that it
// can run beside the rules. Finish completes it once.
type Partial struct{ acc *accumulator }

// Accumulate sums the events of ev with the reference data ref; it reads
// ev and ref only.
func Accumulate(ev *columnar.Events, ref *bw.ReferenceData) (*Partial, error) {
	acc := newAccumulator(ev.Province, ev.Year, ref)
	for _, rec := range ev.Records {
		if err := acc.addRecord(rec); err != nil {
			return nil, err
		}
	}
	return &Partial{acc: acc}, nil
}

// Finish counts the rule results of in and computes the indicators, as
// Compute(in) does for the events and reference data p was accumulated
// from (in.Events is not read again). A Partial is finished once.
func (p *Partial) Finish(in Input) *Result {
	acc := p.acc
	if in.Location == nil {
		in.Location = bw.Location()
	}
	if in.Index == (IndexConfig{}) {
		in.Index = DefaultIndex()
	}
	acc.addViolations(in.Violations, in.Location)
	return acc.result(in)
}

// accumulator sums events per county and month.
type accumulator struct {
	year        int
	sums        map[string]*[12]sums
	lastMonth   int
	noMeeting   map[uint8]bool
	vetoList    map[string]bool
	plan        map[string]bool // issuer + "\x00" + plan code
	issuerNames map[string]string
	points      []string
}

func newAccumulator(province string, year int, ref *bw.ReferenceData) *accumulator {
	a := &accumulator{year: year, sums: map[string]*[12]sums{}, noMeeting: map[uint8]bool{},
		vetoList: map[string]bool{}, plan: map[string]bool{}, issuerNames: map[string]string{}}
	if ref == nil {
		return a
	}
	for _, p := range ref.ObservationPoints {
		if p.ProvinceCode == province {
			a.points = append(a.points, p.CountyCode)
			a.county(p.CountyCode)
		}
	}
	for _, c := range ref.Calendar {
		if d, err := strconv.Atoi(strings.TrimSpace(c.Value)); err == nil && c.ProvinceCode == province &&
			c.Rule == bw.CalendarNoMeetingWeekday && d >= 1 && d <= 7 {
			a.noMeeting[uint8(d)] = true
		}
	}
	for _, v := range ref.VetoList {
		if v.ProvinceCode == province {
			a.vetoList[strings.TrimSpace(v.Item)] = true
		}
	}
	for _, p := range ref.Plan {
		if p.Year == year {
			a.plan[p.IssuerCode+"\x00"+p.PlanCode] = true
		}
	}
	return a
}

func (a *accumulator) county(code string) *[12]sums {
	s, ok := a.sums[code]
	if !ok {
		s = &[12]sums{}
		a.sums[strings.Clone(code)] = s
	}
	return s
}

// cols are the typed columns of one record batch.
type cols struct {
	id, kind, county, level, issuer, issuerName, planCode, inspCode *array.String
	mode, docType, format                                           *array.String
	month, weekday                                                  *array.Uint8
	onSite, upward, supporting, viaPlatform                         *array.Boolean
	accompanying, materials, duration, attendees, pages, pledges    *array.Uint32
	fields, dupFields, estMinutes                                   *array.Uint32
	veto                                                            *array.List
	vetoValues                                                      *array.String
}

func bindCols(rec arrow.Record) (c cols, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("indicator: record batch does not match columnar.Schema: %v", r)
		}
	}()
	str := func(i int) *array.String { return rec.Column(i).(*array.String) }
	u32 := func(i int) *array.Uint32 { return rec.Column(i).(*array.Uint32) }
	boo := func(i int) *array.Boolean { return rec.Column(i).(*array.Boolean) }
	c = cols{
		id: str(columnar.ColEventID), kind: str(columnar.ColKind), county: str(columnar.ColCounty),
		level: str(columnar.ColTargetLevel), issuer: str(columnar.ColIssuerCode), issuerName: str(columnar.ColIssuerName),
		planCode: str(columnar.ColPlanCode), inspCode: str(columnar.ColInspectionCode), mode: str(columnar.ColMode),
		docType: str(columnar.ColDocType), format: str(columnar.ColFormat),
		month: rec.Column(columnar.ColMonth).(*array.Uint8), weekday: rec.Column(columnar.ColWeekday).(*array.Uint8),
		onSite: boo(columnar.ColOnSite), upward: boo(columnar.ColUpwardReport),
		supporting: boo(columnar.ColSupportingDocs), viaPlatform: boo(columnar.ColViaPlatform),
		accompanying: u32(columnar.ColAccompanying), materials: u32(columnar.ColMaterials),
		duration: u32(columnar.ColDurationMinutes), attendees: u32(columnar.ColAttendees),
		pages: u32(columnar.ColPages), pledges: u32(columnar.ColPledges), fields: u32(columnar.ColFields),
		dupFields: u32(columnar.ColDuplicateFields), estMinutes: u32(columnar.ColEstimatedMinutes),
		veto: rec.Column(columnar.ColVetoItems).(*array.List),
	}
	c.vetoValues = c.veto.ListValues().(*array.String)
	return c, nil
}

func (a *accumulator) addRecord(rec arrow.Record) error {
	c, err := bindCols(rec)
	if err != nil {
		return err
	}
	var lastCounty string
	var cs *[12]sums
	for i := 0; i < int(rec.NumRows()); i++ {
		if county := c.county.Value(i); cs == nil || county != lastCounty {
			lastCounty, cs = county, a.county(county)
		}
		m := int(c.month.Value(i))
		if m < 1 || m > 12 {
			return fmt.Errorf("indicator: event %s: month %d out of range", c.id.Value(i), m)
		}
		a.lastMonth = max(a.lastMonth, m)
		a.addEvent(&c, i, &cs[m-1])
	}
	return nil
}

func (a *accumulator) addEvent(c *cols, i int, s *sums) {
	if code := c.issuer.Value(i); a.issuerNames[code] == "" {
		a.issuerNames[strings.Clone(code)] = strings.Clone(c.issuerName.Value(i))
	}
	switch c.kind.Value(i) {
	case string(bw.KindDocument):
		a.addDocument(c, i, s)
	case string(bw.KindMeeting):
		a.addMeeting(c, i, s)
	case string(bw.KindInspection):
		a.addInspection(c, i, s)
	case string(bw.KindDataReport):
		a.addForm(c, i, s)
	}
}

func (a *accumulator) addDocument(c *cols, i int, s *sums) {
	s[sDocuments]++
	if c.docType.Value(i) == "policy" && c.pages.Value(i) > 10 {
		s[sDocLong]++
	}
	s[sDocUpward] += b2i(c.upward.Value(i))
	s[sDocCascade] += b2i(c.supporting.Value(i))
	s[sPledges] += int64(c.pledges.Value(i))
	start, end := c.veto.ValueOffsets(i)
	for j := start; j < end; j++ {
		s[sVetoNew]++
		if !a.vetoList[strings.TrimSpace(c.vetoValues.Value(int(j)))] {
			s[sVetoUnlisted]++
		}
	}
}

func (a *accumulator) addMeeting(c *cols, i int, s *sums) {
	s[sMeetings]++
	s[sMeetingMinutes] += int64(c.duration.Value(i)) * int64(c.attendees.Value(i))
	if c.format.Value(i) == "video" {
		s[sMeetingsVideo]++
	}
	if a.noMeeting[c.weekday.Value(i)] {
		s[sMeetingsNoMeetingDay]++
	}
}

func (a *accumulator) addInspection(c *cols, i int, s *sums) {
	s[sInspections]++
	onSite := c.onSite.Value(i)
	if onSite {
		s[sOnsite]++
		if c.mode.Value(i) == "covert" {
			s[sCovertOnsite]++
		}
	}
	if bw.Level(c.level.Value(i)).Grassroots() {
		s[sGrassroots]++
	}
	if plan := c.planCode.Value(i); plan == "" || !a.plan[c.issuer.Value(i)+"\x00"+plan] {
		s[sUnplanned]++
	}
	if c.inspCode.Value(i) == "" {
		s[sUncoded]++
	}
	s[sAccompanying] += int64(c.accompanying.Value(i))
	s[sMaterials] += int64(c.materials.Value(i))
}

func (a *accumulator) addForm(c *cols, i int, s *sums) {
	s[sForms]++
	s[sFormFields] += int64(c.fields.Value(i))
	s[sFormDuplicateFields] += int64(c.dupFields.Value(i))
	s[sFormMinutes] += int64(c.estMinutes.Value(i))
	if !c.viaPlatform.Value(i) {
		s[sFormsOffPlatform]++
	}
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// addViolations counts the results of severity violation dated in the
// year, by county and month.
func (a *accumulator) addViolations(vs []bw.Violation, loc *time.Location) {
	for _, v := range vs {
		if v.Severity != bw.SeverityViolation {
			continue
		}
		m := v.Month.In(loc)
		if m.Year() != a.year {
			continue
		}
		a.county(v.CountyCode)[m.Month()-1][sViolations]++
		a.lastMonth = max(a.lastMonth, int(m.Month()))
	}
}

func (a *accumulator) result(in Input) *Result {
	res := &Result{Months: a.lastMonth, IssuerNames: a.issuerNames}
	for c := range a.sums {
		res.Counties = append(res.Counties, c)
	}
	sort.Strings(res.Counties)
	quotas, baselines := in.Ref.QuotasOf(a.year), in.Ref.BaselinesFor(a.year, in.BaselineYear)
	defs := indicators()
	res.Indicators = make([]bw.Indicator, 0, len(res.Counties)*a.lastMonth*len(defs))
	for _, county := range res.Counties {
		var ytd sums
		for m := 1; m <= a.lastMonth; m++ {
			ytd.add(&a.sums[county][m-1])
			c := calc{m: &a.sums[county][m-1], y: &ytd, month: m, quota: quotas[county],
				baseline: baselines[county], index: in.Index}
			month := time.Date(a.year, time.Month(m), 1, 0, 0, 0, 0, in.Location)
			for _, d := range defs {
				v, y := d.fn(&c)
				res.Indicators = append(res.Indicators, bw.Indicator{CountyCode: county, Month: month, ID: d.ID, Value: v, YTD: y})
			}
		}
	}
	return res
}
