// Package alert computes the early warnings (预警) of SPEC §8.5 — counties
// near or over a quota, the baseline pace, a plan item's visit cap or an
// issuer's comprehensive or appraisal cap — and delivers each threshold
// crossing once: a row in ClickHouse, a message on Kafka and, when
// configured, a webhook call.
//
// Evaluate is pure: it sees a province-year's deduplicated events, the
// reference data, the indicators just computed and the rule pack's caps,
// and depends on no database. Delivery goes through a Sink.
package alert

import (
	"math"
	"sort"
	"strconv"
	"time"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/columnar"
)

// Notice thresholds of SPEC §8.5.
const (
	QuotaNoticeShare     = 0.8 // year-to-date ≥ 80 % of the quota
	BaselineNoticeRatio  = 1.0 // <x>_over_baseline ≥ 1.0 …
	BaselineNoticeMonth  = 4   // … from the fourth month on
	DefaultComprehensive = 1   // inspection.comprehensive_cap default (SD 7)
	DefaultAppraisal     = 2   // inspection.appraisal_cap default (SD 7)
)

// Params are the rule pack parameters the alerts need. A cap of 0 turns
// its scope off (the pack disabled the rule).
type Params struct {
	ComprehensiveCap int // max comprehensive inspections per issuer × county × year
	AppraisalCap     int // max appraisal inspections per issuer × county × year
	// BaselineYear is the 只减不增 baseline year of the pack; 0 means the
	// latest baseline year before the evaluated year, per county (as the
	// indicators choose it).
	BaselineYear int
}

// DefaultParams are the caps of SPEC §5's defaults.
func DefaultParams() Params {
	return Params{ComprehensiveCap: DefaultComprehensive, AppraisalCap: DefaultAppraisal}
}

// Input is what the alerts of one province-year are computed from.
type Input struct {
	Province string
	Year     int
	Events   *columnar.Events // the province-year's deduplicated events
	Ref      *bw.ReferenceData
	// Indicators are the indicators just computed; the baseline notice
	// reads <x>_over_baseline from them, and computes it by the §4
	// formula for a county-month they do not hold.
	Indicators []bw.Indicator
	Params     Params
	// Now dates the evaluation: months elapsed (for the projection and
	// the months evaluated) are those of Now's month when Now lies in
	// Year, 12 for a past year. It is also the alerts' FirstSeen. Zero
	// means time.Now().
	Now time.Time
}

// Scopes of SPEC §8.5 (visit_cap, comprehensive_cap and appraisal_cap
// scopes carry their issuer, plan and unit after a colon).
const (
	ScopeDocumentsQuota      = "documents.quota"
	ScopeMeetingsQuota       = "meetings.quota"
	ScopeInspectionsQuota    = "inspections.quota"
	ScopeDocumentsBaseline   = "documents.baseline"
	ScopeMeetingsBaseline    = "meetings.baseline"
	ScopeInspectionsBaseline = "inspections.baseline"
	ScopeVisitCap            = "visit_cap"
	ScopeComprehensiveCap    = "comprehensive_cap"
	ScopeAppraisalCap        = "appraisal_cap"
)

// ID is the alert id of a threshold crossing: county, year, scope and
// level, readable and stable ("431024/2025/documents.quota/notice").
// Issuer, plan and unit codes are of [A-Za-z0-9._:-], so the id is a valid
// HTTP header value and a Kafka key.
func ID(county string, year int, scope string, level bw.AlertLevel) string {
	return county + "/" + strconv.Itoa(year) + "/" + scope + "/" + string(level)
}

// Evaluate returns the alerts of in's province-year, sorted by county,
// scope and level (notice before breach). Each scope of each county gives
// at most one notice and one breach, dated in the month its threshold was
// first crossed with that month's value and limit; both when one month
// crosses both.
func Evaluate(in Input) []bw.Alert {
	now := in.Now
	if now.IsZero() {
		now = time.Now()
	}
	loc := bw.Location()
	elapsed := monthsElapsed(in.Year, now.In(loc))
	if elapsed == 0 || in.Ref == nil {
		return nil
	}
	c := count(in, elapsed)
	e := evaluation{in: in, elapsed: elapsed, loc: loc, now: now, counts: c,
		quotas: in.Ref.QuotasOf(in.Year), baselines: in.Ref.BaselinesFor(in.Year, in.Params.BaselineYear)}
	for _, p := range in.Ref.ObservationPoints {
		if p.ProvinceCode == in.Province {
			e.county(p.CountyCode)
		}
	}
	e.caps()
	sort.Slice(e.out, func(i, j int) bool {
		a, b := e.out[i], e.out[j]
		if a.CountyCode != b.CountyCode {
			return a.CountyCode < b.CountyCode
		}
		if a.Scope != b.Scope {
			return a.Scope < b.Scope
		}
		return a.Level == bw.AlertNotice && b.Level == bw.AlertBreach
	})
	return e.out
}

// monthsElapsed is 12 for a past year, now's month for the current year
// and 0 for a future one.
func monthsElapsed(year int, now time.Time) int {
	switch {
	case now.Year() > year:
		return 12
	case now.Year() == year:
		return int(now.Month())
	}
	return 0
}

// evaluation collects the alerts of one Evaluate call.
type evaluation struct {
	in      Input
	elapsed int
	loc     *time.Location
	now     time.Time
	counts  *counts
	out     []bw.Alert

	quotas    map[string]bw.Quota    // of in.Year, by county
	baselines map[string]bw.Baseline // compared with in.Year, by county
}

// series is a monthly measure of one scope: month m (1–12) at index m-1.
type series [12]float64

// crossing finds the first month ≤ elapsed (and ≥ from) where ok holds.
func (e *evaluation) crossing(from int, ok func(m int) bool) int {
	for m := max(from, 1); m <= e.elapsed; m++ {
		if ok(m) {
			return m
		}
	}
	return 0
}

// emit adds an alert of scope first crossed in month m.
func (e *evaluation) emit(county, scope string, level bw.AlertLevel, m int, value, limit, current float64) {
	if m == 0 {
		return
	}
	e.out = append(e.out, bw.Alert{
		ID: ID(county, e.in.Year, scope, level), Level: level, ProvinceCode: e.in.Province,
		CountyCode: county, Year: e.in.Year, Scope: scope, Value: value, Limit: limit,
		Projected: current * 12 / float64(e.elapsed),
		Month:     time.Date(e.in.Year, time.Month(m), 1, 0, 0, 0, 0, e.loc), FirstSeen: e.now,
	})
}

// kindScopes names the quota and baseline scopes of each counted kind.
var kindScopes = [3]struct {
	quota, baseline, indicator string
}{
	{ScopeDocumentsQuota, ScopeDocumentsBaseline, "documents_over_baseline"},
	{ScopeMeetingsQuota, ScopeMeetingsBaseline, "meetings_over_baseline"},
	{ScopeInspectionsQuota, ScopeInspectionsBaseline, "inspections_over_baseline"},
}

// county adds the quota and baseline alerts of one county.
func (e *evaluation) county(county string) {
	q, b := e.quotas[county], e.baselines[county]
	quota := [3]*int{q.Documents, q.Meetings, q.Inspections}
	base := [3]*int{b.Documents, b.Meetings, b.Inspections}
	ytd := e.counts.ytd(county)
	for k, sc := range kindScopes {
		y := ytd[k]
		current := y[e.elapsed-1]
		if q := quota[k]; q != nil {
			limit := float64(*q)
			notice := float64(*q) * 4 / 5 // QuotaNoticeShare, exact in decimal
			m := e.crossing(1, func(m int) bool { return y[m-1] >= notice })
			e.emit(county, sc.quota, bw.AlertNotice, m, at(y, m), notice, current)
			m = e.crossing(1, func(m int) bool { return y[m-1] > limit })
			e.emit(county, sc.quota, bw.AlertBreach, m, at(y, m), limit, current)
		}
		if b := base[k]; b != nil {
			limit := float64(*b)
			pace := func(m int) float64 { return e.overBaseline(county, sc.indicator, m, y[m-1], limit) }
			m := e.crossing(BaselineNoticeMonth, func(m int) bool { return pace(m) >= BaselineNoticeRatio })
			if m > 0 {
				e.emit(county, sc.baseline, bw.AlertNotice, m, pace(m), BaselineNoticeRatio, current)
			}
			m = e.crossing(1, func(m int) bool { return y[m-1] > limit })
			e.emit(county, sc.baseline, bw.AlertBreach, m, at(y, m), limit, current)
		}
	}
}

func at(s series, m int) float64 {
	if m == 0 {
		return 0
	}
	return s[m-1]
}

// overBaseline is <indicator> of county in month m from the indicators,
// or ytd ÷ (baseline × m ÷ 12) (SPEC §4) when they do not hold it.
func (e *evaluation) overBaseline(county, indicator string, m int, ytd, baseline float64) float64 {
	if v, ok := e.counts.indicator(county, indicator, m); ok {
		return v
	}
	if baseline == 0 {
		return math.NaN() // undefined, as the indicator: no notice
	}
	return ytd / (baseline * float64(m) / 12)
}

// caps adds the visit-cap, comprehensive-cap and appraisal-cap alerts.
func (e *evaluation) caps() {
	for _, g := range e.counts.groups() {
		limit := g.limit
		monthly := g.monthly
		current := monthly[e.elapsed-1]
		m := e.crossing(1, func(m int) bool { return monthly[m-1] >= float64(limit) })
		e.emit(g.county, g.scope, bw.AlertNotice, m, at(monthly, m), float64(limit), current)
		m = e.crossing(1, func(m int) bool { return monthly[m-1] > float64(limit) })
		e.emit(g.county, g.scope, bw.AlertBreach, m, at(monthly, m), float64(limit), current)
	}
}
