package report

import (
	"fmt"
	"math"
	"sort"
	"time"

	bw "github.com/burdenwatch/burdenwatch"
)

// Model is everything a monthly notification shows, computed from Data.
type Model struct {
	Province     string // two-digit code
	ProvinceName string // e.g. 湖南省
	Office       string // issuing office (版头)
	Title        string
	Month        time.Time // first of the report month
	MonthLabel   string    // 2025年11月
	PeriodLabel  string    // 1—11月 (year to date)
	IssueLabel   string    // 2025年第11期
	DateLabel    string    // issue date, 2025年12月5日
	Counties     int       // observation points reported

	Figures  []Figure    // headline figures
	Paces    []Pace      // province-level pace against the baseline
	Ranking  []CountyRow // by burden index, heaviest first
	Baseline []BaselineRow
	Groups   []IssuerGroup // violations by issuer
	Found    int           // violations listed
	Warnings []RuleCount   // warnings of the month by rule
	Series   []Series      // monthly province totals, January to the month
	Alerts   []AlertRow    // early warnings by the month (预警提示)
	// CapsReached counts the cap notices the section does not list.
	CapsReached CapsReached
	Text        Narrative // the paragraphs' sentences
}

// Figure is a headline figure: a province total for the month.
type Figure struct {
	ID    string // indicator id
	Label string // 发文
	Verb  string // 收到发文
	Unit  string // 件
	Month float64
	Prev  float64 // previous month; NaN when unknown
	YTD   float64
}

// Change is Month − Prev.
func (f Figure) Change() float64 { return f.Month - f.Prev }

// ChangeText says the month-over-month change in Chinese.
func (f Figure) ChangeText() string { return changeText(f.Month, f.Prev, f.Unit) }

// Pace is a province-level over-baseline pace: year-to-date count ÷
// (baseline-year count × months elapsed ÷ 12), over counties with a
// baseline.
type Pace struct {
	ID    string // documents, meetings, inspections
	Label string
	YTD   float64
	Due   float64 // baseline count × months ÷ 12
	Ratio float64 // YTD ÷ Due; NaN without baselines
	Over  int     // counties above their own pace (indicator > 1)
}

// CountyRow is one observation point in the burden ranking.
type CountyRow struct {
	Rank        int // 0 when the county has no burden index this month
	Code, Name  string
	Index       float64 // burden_index; NaN when missing
	PrevIndex   float64
	Documents   float64
	Meetings    float64
	Inspections float64
	FormHours   float64
	Violations  float64
}

// IndexChange is the month-over-month change of the burden index.
func (r CountyRow) IndexChange() float64 { return r.Index - r.PrevIndex }

// BaselineRow is one county's year-to-date counts and over-baseline paces.
type BaselineRow struct {
	Code, Name string
	Cells      []PaceCell // documents, meetings, inspections
}

// PaceCell is one measure of a BaselineRow.
type PaceCell struct {
	YTD       float64
	Ratio     float64 // <name>_over_baseline this month
	PrevRatio float64 // last month, same year; NaN otherwise
}

// Over reports whether the count runs ahead of the baseline's pace.
func (c PaceCell) Over() bool { return c.Ratio > 1 }

// RatioChange is the month-over-month change of the pace ratio.
func (c PaceCell) RatioChange() float64 { return c.Ratio - c.PrevRatio }

// IssuerGroup is the violations of one issuer.
type IssuerGroup struct {
	Code, Name string
	Items      []Finding
}

// Finding is one violation as the report lists it.
type Finding struct {
	RuleID, RuleName     string
	CountyCode, County   string
	Evidence             int      // number of evidence events
	FirstEvents          []string // the first few evidence event ids
	ValueText, LimitText string   // "—" where the rule has no measure
	Citation             string
}

// RuleCount counts a month's results of one rule.
type RuleCount struct {
	RuleID, Name string
	Count        int
}

// Series is one monthly province total, for the line chart.
type Series struct {
	Label, Unit string
	Months      []time.Time
	Values      []float64
}

// headline lists the headline figures in order.
var headline = []struct{ id, label, verb, unit string }{
	{"documents", "发文", "收到发文", "件"}, {"meetings", "会议", "参加会议", "次"},
	{"inspections", "督查检查考核", "迎接督查检查考核", "次"}, {"forms", "报表", "填报报表", "张"},
	{"form_hours", "填表工时", "填表工时", "小时"}, {"violations", "违规问题", "发现违规问题", "个"},
}

// paced lists the measures with an over-baseline indicator.
var paced = []struct{ id, label string }{
	{"documents", "发文"}, {"meetings", "会议"}, {"inspections", "督查检查考核"},
}

// firstEvents is how many evidence event ids a finding shows.
const firstEvents = 3

// Build computes the report model of data for opts. It fails when there
// are no indicators for the month: the transform has not run.
func Build(data *Data, opts Options) (*Model, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	ix := indexIndicators(data.Indicators)
	month := opts.Month
	counties := reportCounties(data, month)
	if !ix.hasMonth(month) {
		return nil, fmt.Errorf("report: no indicators for province %s in %s (run `burdenwatch transform` first)",
			opts.Province, month.Format("2006-01"))
	}
	m := &Model{Province: opts.Province, ProvinceName: provinceNames[opts.Province], Month: month}
	m.labels(opts)
	m.Counties = len(counties)
	m.Figures = figures(ix, counties, month)
	m.Ranking = ranking(ix, counties, month)
	m.Baseline = baselineRows(ix, counties, month)
	m.Paces = paces(ix, counties, data.Baselines, month, m.Baseline)
	names := ruleNames(opts.RuleNames)
	m.Groups, m.Found = issuerGroups(data.Results, counties, names)
	m.Warnings = warnings(data.Results, names)
	m.Series = series(ix, counties, month)
	m.Alerts, m.CapsReached = alertRows(data.Alerts, ix, counties, issuerNames(data.Results), month)
	m.Text = narrative(m)
	return m, nil
}

func (m *Model) labels(opts Options) {
	m.Office = opts.Office
	if m.Office == "" {
		m.Office = DefaultOffice(opts.Province)
	}
	y, mo := m.Month.Year(), int(m.Month.Month())
	m.MonthLabel = fmt.Sprintf("%d年%d月", y, mo)
	m.PeriodLabel = fmt.Sprintf("1—%d月", mo)
	if mo == 1 {
		m.PeriodLabel = "1月"
	}
	m.IssueLabel = fmt.Sprintf("%d年第%d期", y, mo)
	m.DateLabel = fmt.Sprintf("%d年%d月%d日", opts.Date.Year(), int(opts.Date.Month()), opts.Date.Day())
	m.Title = fmt.Sprintf("%s基层减负观测点负担情况月度通报（%s）", m.ProvinceName, m.MonthLabel)
}

// county is an observation point in the report.
type county struct{ code, name string }

// reportCounties are the province's observation points, plus any county
// with indicators but no current point (named by its code), in code order.
func reportCounties(data *Data, month time.Time) []county {
	names := map[string]string{}
	for _, p := range data.Points {
		names[p.CountyCode] = p.CountyName
	}
	for _, in := range data.Indicators {
		if _, ok := names[in.CountyCode]; !ok && in.Month.Equal(month) {
			names[in.CountyCode] = in.CountyCode
		}
	}
	out := make([]county, 0, len(names))
	for c, n := range names {
		out = append(out, county{c, n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].code < out[j].code })
	return out
}

// indicatorIndex finds indicator values by county, month and id.
type indicatorIndex map[indicatorKey]bw.Indicator

type indicatorKey struct {
	county string
	month  string // YYYY-MM
	id     string
}

func indexIndicators(ins []bw.Indicator) indicatorIndex {
	ix := indicatorIndex{}
	for _, in := range ins {
		ix[indicatorKey{in.CountyCode, in.Month.Format("2006-01"), in.ID}] = in
	}
	return ix
}

func (ix indicatorIndex) hasMonth(month time.Time) bool {
	m := month.Format("2006-01")
	for k := range ix {
		if k.month == m {
			return true
		}
	}
	return false
}

// value is the indicator's monthly value; NaN when missing.
func (ix indicatorIndex) value(county string, month time.Time, id string) float64 {
	in, ok := ix[indicatorKey{county, month.Format("2006-01"), id}]
	if !ok {
		return math.NaN()
	}
	return in.Value
}

// ytd is the indicator's year-to-date value, or the sum of the monthly
// values from January when the ytd column is empty.
func (ix indicatorIndex) ytd(county string, month time.Time, id string) float64 {
	if in, ok := ix[indicatorKey{county, month.Format("2006-01"), id}]; ok && !math.IsNaN(in.YTD) {
		return in.YTD
	}
	sum := math.NaN()
	for mo := 1; mo <= int(month.Month()); mo++ {
		sum = addKnown(sum, ix.value(county, time.Date(month.Year(), time.Month(mo), 1, 0, 0, 0, 0, month.Location()), id))
	}
	return sum
}

// total sums f over the counties; NaN when no county has a value.
func total(counties []county, f func(code string) float64) float64 {
	sum := math.NaN()
	for _, c := range counties {
		sum = addKnown(sum, f(c.code))
	}
	return sum
}

// addKnown adds v to sum, treating NaN as unknown rather than poison.
func addKnown(sum, v float64) float64 {
	switch {
	case math.IsNaN(v):
		return sum
	case math.IsNaN(sum):
		return v
	}
	return sum + v
}

func figures(ix indicatorIndex, counties []county, month time.Time) []Figure {
	prev := month.AddDate(0, -1, 0)
	out := make([]Figure, len(headline))
	for i, h := range headline {
		out[i] = Figure{ID: h.id, Label: h.label, Verb: h.verb, Unit: h.unit,
			Month: zeroIfNaN(total(counties, func(c string) float64 { return ix.value(c, month, h.id) })),
			Prev:  total(counties, func(c string) float64 { return ix.value(c, prev, h.id) }),
			YTD:   zeroIfNaN(total(counties, func(c string) float64 { return ix.ytd(c, month, h.id) })),
		}
	}
	return out
}

func zeroIfNaN(v float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	return v
}

func ranking(ix indicatorIndex, counties []county, month time.Time) []CountyRow {
	prev := month.AddDate(0, -1, 0)
	rows := make([]CountyRow, len(counties))
	for i, c := range counties {
		rows[i] = CountyRow{Code: c.code, Name: c.name,
			Index: ix.value(c.code, month, "burden_index"), PrevIndex: ix.value(c.code, prev, "burden_index"),
			Documents: ix.value(c.code, month, "documents"), Meetings: ix.value(c.code, month, "meetings"),
			Inspections: ix.value(c.code, month, "inspections"), FormHours: ix.value(c.code, month, "form_hours"),
			Violations: ix.value(c.code, month, "violations"),
		}
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i].Index, rows[j].Index
		if math.IsNaN(a) || math.IsNaN(b) {
			return !math.IsNaN(a) && math.IsNaN(b)
		}
		return a > b
	})
	for i := range rows {
		if !math.IsNaN(rows[i].Index) {
			rows[i].Rank = i + 1
		}
	}
	return rows
}

func baselineRows(ix indicatorIndex, counties []county, month time.Time) []BaselineRow {
	prev := month.AddDate(0, -1, 0)
	rows := make([]BaselineRow, len(counties))
	for i, c := range counties {
		rows[i] = BaselineRow{Code: c.code, Name: c.name}
		for _, p := range paced {
			cell := PaceCell{YTD: ix.ytd(c.code, month, p.id), Ratio: ix.value(c.code, month, p.id+"_over_baseline"),
				PrevRatio: math.NaN()}
			if prev.Year() == month.Year() {
				cell.PrevRatio = ix.value(c.code, prev, p.id+"_over_baseline")
			}
			rows[i].Cells = append(rows[i].Cells, cell)
		}
	}
	return rows
}

func paces(ix indicatorIndex, counties []county, baselines []bw.Baseline, month time.Time, rows []BaselineRow) []Pace {
	base := map[string]bw.Baseline{}
	for _, b := range baselines {
		base[b.CountyCode] = b
	}
	elapsed := float64(month.Month()) / 12
	out := make([]Pace, len(paced))
	for i, p := range paced {
		out[i] = Pace{ID: p.id, Label: p.label}
		for _, c := range counties {
			count := baselineCount(base[c.code], p.id)
			ytd := ix.ytd(c.code, month, p.id)
			if count == nil || math.IsNaN(ytd) {
				continue
			}
			out[i].YTD += ytd
			out[i].Due += float64(*count) * elapsed
		}
		out[i].Ratio = math.NaN()
		if out[i].Due > 0 {
			out[i].Ratio = out[i].YTD / out[i].Due
		}
		for _, r := range rows {
			if r.Cells[i].Over() {
				out[i].Over++
			}
		}
	}
	return out
}

func baselineCount(b bw.Baseline, id string) *int {
	switch id {
	case "documents":
		return b.Documents
	case "meetings":
		return b.Meetings
	case "inspections":
		return b.Inspections
	}
	return nil
}

func series(ix indicatorIndex, counties []county, month time.Time) []Series {
	ids := []struct{ id, label, unit string }{
		{"documents", "发文", "件"}, {"meetings", "会议", "次"},
		{"inspections", "督查检查考核", "次"}, {"form_hours", "填表工时", "小时"},
	}
	out := make([]Series, len(ids))
	for i, s := range ids {
		out[i] = Series{Label: s.label, Unit: s.unit}
		for mo := 1; mo <= int(month.Month()); mo++ {
			t := time.Date(month.Year(), time.Month(mo), 1, 0, 0, 0, 0, month.Location())
			out[i].Months = append(out[i].Months, t)
			out[i].Values = append(out[i].Values, total(counties, func(c string) float64 { return ix.value(c, t, s.id) }))
		}
	}
	return out
}
