package rules

import (
	"math"
	"strconv"
	"strings"
	"time"

	bw "github.com/burdenwatch/burdenwatch"
)

// planKey identifies an item of an issuer's annual plan.
type planKey struct {
	year         int
	issuer, plan string
}

// yearCounty identifies a county in a year.
type yearCounty struct {
	year   int
	county string
}

// refIndex is the reference data of one province, indexed for lookups.
type refIndex struct {
	plan              map[planKey]int // max_visits_per_unit (0 = no cap)
	ref               *bw.ReferenceData
	baselineYear      int                            // the pack's (0: the latest before the year)
	quotas            map[int]map[string]bw.Quota    // by year, then county; filled on first use
	baselines         map[int]map[string]bw.Baseline // likewise
	exempt            map[yearCounty]bool
	vetoList          map[string]bool
	noMeetingMonth    map[int]bool // year*100 + month
	noMeetingWeekdays [8]bool      // 1 = Monday … 7 = Sunday
	registry          map[int]bool // years with a code registry for the province
	codes             map[codeKey][]codeEntry
}

// codeKey identifies an inspection code in a year's registry.
type codeKey struct {
	year int
	code string
}

// codeEntry is a registry entry with its validity as calendar days since
// 1970-01-01 in Asia/Shanghai (inclusive; a zero date is open).
type codeEntry struct {
	issuer, plan string
	from, to     int32
}

// check returns 0 when an inspection by issuer under plan on day matches
// the entry, else the reason it does not.
func (c codeEntry) check(issuer, plan string, day int32) int {
	switch {
	case c.issuer != issuer:
		return codeOtherIssuer
	case c.plan != plan:
		return codeOtherPlan
	case day < c.from || day > c.to:
		return codeOutsideValid
	}
	return 0
}

// newRefIndex indexes ref for province (veto list, calendar and code
// registry are per province; plans, quotas, baselines and exemptions are
// keyed by issuer or county and need no filter). A nil ref is empty
// reference data. loc is the calendar time zone.
func newRefIndex(ref *bw.ReferenceData, province string, baselineYear int, loc *time.Location) refIndex {
	x := refIndex{
		ref:            ref,
		baselineYear:   baselineYear,
		plan:           map[planKey]int{},
		quotas:         map[int]map[string]bw.Quota{},
		baselines:      map[int]map[string]bw.Baseline{},
		exempt:         map[yearCounty]bool{},
		vetoList:       map[string]bool{},
		noMeetingMonth: map[int]bool{},
		registry:       map[int]bool{},
		codes:          map[codeKey][]codeEntry{},
	}
	if ref == nil {
		return x
	}
	for _, p := range ref.Plan {
		x.plan[planKey{p.Year, p.IssuerCode, p.PlanCode}] = p.MaxVisitsPerUnit
	}
	for _, e := range ref.Exemptions {
		x.exempt[yearCounty{e.Year, e.CountyCode}] = true
	}
	for _, v := range ref.VetoList {
		if v.ProvinceCode == province {
			x.vetoList[strings.TrimSpace(v.Item)] = true
		}
	}
	for _, c := range ref.Calendar {
		if c.ProvinceCode == province {
			x.addCalendar(c)
		}
	}
	for _, c := range ref.InspectionCodes {
		if c.ProvinceCode == province {
			x.addCode(c, loc)
		}
	}
	return x
}

// addCode records one registry entry.
func (x *refIndex) addCode(c bw.InspectionCode, loc *time.Location) {
	e := codeEntry{issuer: c.IssuerCode, plan: c.PlanCode, from: math.MinInt32, to: math.MaxInt32}
	if !c.ValidFrom.IsZero() {
		e.from = dayNumber(c.ValidFrom, loc)
	}
	if !c.ValidTo.IsZero() {
		e.to = dayNumber(c.ValidTo, loc)
	}
	x.registry[c.Year] = true
	k := codeKey{c.Year, c.Code}
	x.codes[k] = append(x.codes[k], e)
}

// addCalendar records one calendar entry; malformed values were rejected
// by the reference data loader and are ignored here.
func (x *refIndex) addCalendar(c bw.CalendarEntry) {
	v := strings.TrimSpace(c.Value)
	switch c.Rule {
	case bw.CalendarNoMeetingWeekday:
		if d, err := strconv.Atoi(v); err == nil && d >= 1 && d <= 7 {
			x.noMeetingWeekdays[d] = true
		}
	case bw.CalendarNoMeetingMonth:
		y, m, ok := strings.Cut(v, "-")
		yi, err1 := strconv.Atoi(y)
		mi, err2 := strconv.Atoi(m)
		if ok && err1 == nil && err2 == nil && mi >= 1 && mi <= 12 {
			x.noMeetingMonth[yi*100+mi] = true
		}
	}
}

// quota returns a county's quota of year (zero: no caps).
func (x *refIndex) quota(county string, year int) bw.Quota {
	m, ok := x.quotas[year]
	if !ok {
		m = x.ref.QuotasOf(year)
		x.quotas[year] = m
	}
	return m[county]
}

// baseline returns the baseline row a county's year is compared with, as
// bw.ReferenceData.BaselinesFor chooses it with the pack's baseline year.
func (x *refIndex) baseline(county string, year int) (bw.Baseline, bool) {
	m, ok := x.baselines[year]
	if !ok {
		m = x.ref.BaselinesFor(year, x.baselineYear)
		x.baselines[year] = m
	}
	b, ok := m[county]
	return b, ok
}
