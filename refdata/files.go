package refdata

import (
	"io/fs"
	"strconv"
	"time"

	"github.com/burdenwatch/burdenwatch"
)

// Names of the reference files of SPEC §3, and their headers.
const (
	FileObservationPoints = "observation_points.csv"
	FileQuotas            = "quotas.csv"
	FileBaselines         = "baselines.csv"
	FilePlan              = "inspection_plan.csv"
	FileVetoList          = "veto_list.csv"
	FileExemptions        = "exemptions.csv"
	FileCalendar          = "calendar.csv"
	FileIssuers           = "issuers.csv"
)

var (
	headerObservationPoints = []string{"province_code", "county_code", "county_name", "designated_from"}
	headerCounts            = []string{"year", "county_code", "documents", "meetings", "inspections"}
	headerPlan              = []string{"year", "issuer_code", "plan_code", "title", "category", "max_visits_per_unit"}
	headerVetoList          = []string{"province_code", "item", "basis"}
	headerExemptions        = []string{"year", "county_code", "reason"}
	headerCalendar          = []string{"province_code", "rule", "value"}
	headerIssuers           = []string{"province_code", "issuer_code", "name", "level", "kind"}
)

// categories are the inspection categories of SPEC §2.
var categories = []string{"comprehensive", "special", "appraisal", "research", "routine"}

// ParseObservationPoints parses observation_points.csv of fsys, a required
// file. Dates are midnight in loc (Asia/Shanghai).
func ParseObservationPoints(fsys fs.FS, loc *time.Location) ([]burdenwatch.ObservationPoint, error) {
	f, recs, _ := readFile(fsys, FileObservationPoints, headerObservationPoints, true)
	var out []burdenwatch.ObservationPoint
	seen := map[string]int{}
	for _, r := range recs {
		p := burdenwatch.ObservationPoint{
			ProvinceCode:   r.province(0),
			CountyCode:     r.county(1),
			CountyName:     r.text(2, true),
			DesignatedFrom: r.date(3, loc),
		}
		if len(p.CountyCode) == 6 && len(p.ProvinceCode) == 2 && p.CountyCode[:2] != p.ProvinceCode {
			r.fail(1, "does not lie in province "+p.ProvinceCode)
		}
		r.unique(seen, p.CountyCode, 1, "county_code")
		out = append(out, p)
	}
	return out, f.err()
}

// countRow is a line of quotas.csv or baselines.csv.
type countRow struct {
	year                             int
	county                           string
	documents, meetings, inspections *int
}

// parseCounts parses quotas.csv or baselines.csv: one row per year and
// county, each county an observation point.
func parseCounts(fsys fs.FS, name string, points map[string]bool) ([]countRow, error) {
	f, recs, _ := readFile(fsys, name, headerCounts, false)
	var out []countRow
	seen := map[string]int{}
	for _, r := range recs {
		c := countRow{year: r.year(0), county: r.county(1), documents: r.optCount(2), meetings: r.optCount(3), inspections: r.optCount(4)}
		r.observed(points, 1)
		r.unique(seen, strconv.Itoa(c.year)+"/"+c.county, 1, "year and county_code")
		out = append(out, c)
	}
	return out, f.err()
}

// observed reports a county column that is not an observation point.
func (r record) observed(points map[string]bool, col int) {
	if s := r.fields[col]; allDigits(s, 6) && !points[s] {
		r.fail(col, "is not an observation point ("+FileObservationPoints+")")
	}
}

// ParseQuotas parses quotas.csv of fsys (optional; missing = no quotas).
// Every county must be one of points.
func ParseQuotas(fsys fs.FS, points map[string]bool) ([]burdenwatch.Quota, error) {
	rows, err := parseCounts(fsys, FileQuotas, points)
	out := make([]burdenwatch.Quota, len(rows))
	for i, c := range rows {
		out[i] = burdenwatch.Quota{Year: c.year, CountyCode: c.county, Documents: c.documents, Meetings: c.meetings, Inspections: c.inspections}
	}
	return out, err
}

// ParseBaselines parses baselines.csv of fsys (optional). Every county must
// be one of points.
func ParseBaselines(fsys fs.FS, points map[string]bool) ([]burdenwatch.Baseline, error) {
	rows, err := parseCounts(fsys, FileBaselines, points)
	out := make([]burdenwatch.Baseline, len(rows))
	for i, c := range rows {
		out[i] = burdenwatch.Baseline{Year: c.year, CountyCode: c.county, Documents: c.documents, Meetings: c.meetings, Inspections: c.inspections}
	}
	return out, err
}

// ParsePlan parses inspection_plan.csv of fsys (optional; missing = no
// plan, so every inspection is unplanned). A plan code is unique within a
// year.
func ParsePlan(fsys fs.FS) ([]burdenwatch.PlanItem, error) {
	f, recs, _ := readFile(fsys, FilePlan, headerPlan, false)
	var out []burdenwatch.PlanItem
	seen := map[string]int{}
	for _, r := range recs {
		p := burdenwatch.PlanItem{
			Year:       r.year(0),
			IssuerCode: r.code(1),
			PlanCode:   r.code(2),
			Title:      r.text(3, true),
			Category:   r.enum(4, categories...),
		}
		if n := r.optCount(5); n != nil {
			p.MaxVisitsPerUnit = *n
		}
		r.unique(seen, strconv.Itoa(p.Year)+"/"+p.PlanCode, 2, "year and plan_code")
		out = append(out, p)
	}
	return out, f.err()
}

// code returns column col, an identifier of 1–64 characters of
// A-Z a-z 0-9 . _ : - (issuer and plan codes).
func (r record) code(col int) string {
	s := r.fields[col]
	if !validCode(s) {
		r.fail(col, "must be 1–64 characters of A-Z a-z 0-9 . _ : -")
	}
	return s
}

func validCode(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == ':' || c == '-'
		if !ok {
			return false
		}
	}
	return true
}

// ParseVetoList parses veto_list.csv of fsys (optional; missing = no item
// is approved, so every veto item is unlisted).
func ParseVetoList(fsys fs.FS) ([]burdenwatch.VetoListItem, error) {
	f, recs, _ := readFile(fsys, FileVetoList, headerVetoList, false)
	var out []burdenwatch.VetoListItem
	seen := map[string]int{}
	for _, r := range recs {
		v := burdenwatch.VetoListItem{ProvinceCode: r.province(0), Item: r.text(1, true), Basis: r.text(2, false)}
		r.unique(seen, v.ProvinceCode+"/"+v.Item, 1, "province_code and item")
		out = append(out, v)
	}
	return out, f.err()
}

// ParseExemptions parses exemptions.csv of fsys (optional). Every county
// must be one of points.
func ParseExemptions(fsys fs.FS, points map[string]bool) ([]burdenwatch.Exemption, error) {
	f, recs, _ := readFile(fsys, FileExemptions, headerExemptions, false)
	var out []burdenwatch.Exemption
	seen := map[string]int{}
	for _, r := range recs {
		e := burdenwatch.Exemption{Year: r.year(0), CountyCode: r.county(1), Reason: r.text(2, false)}
		r.observed(points, 1)
		r.unique(seen, strconv.Itoa(e.Year)+"/"+e.CountyCode, 1, "year and county_code")
		out = append(out, e)
	}
	return out, f.err()
}

// ParseCalendar parses calendar.csv of fsys (optional). Rules are
// no_meeting_weekday (value 1 = Monday … 7 = Sunday) and no_meeting_month
// (value YYYY-MM); other rules are rejected.
func ParseCalendar(fsys fs.FS) ([]burdenwatch.CalendarEntry, error) {
	f, recs, _ := readFile(fsys, FileCalendar, headerCalendar, false)
	var out []burdenwatch.CalendarEntry
	seen := map[string]int{}
	for _, r := range recs {
		c := burdenwatch.CalendarEntry{
			ProvinceCode: r.province(0),
			Rule:         r.enum(1, burdenwatch.CalendarNoMeetingWeekday, burdenwatch.CalendarNoMeetingMonth),
			Value:        r.fields[2],
		}
		r.calendarValue(c.Rule)
		r.unique(seen, c.ProvinceCode+"/"+c.Rule+"/"+c.Value, 2, "province_code, rule and value")
		out = append(out, c)
	}
	return out, f.err()
}

// calendarValue validates the value column of a calendar rule.
func (r record) calendarValue(rule string) {
	v := r.fields[2]
	switch rule {
	case burdenwatch.CalendarNoMeetingWeekday:
		if len(v) != 1 || v[0] < '1' || v[0] > '7' {
			r.fail(2, "must be a weekday 1 (Monday) … 7 (Sunday)")
		}
	case burdenwatch.CalendarNoMeetingMonth:
		if _, err := time.Parse("2006-01", v); err != nil || len(v) != 7 {
			r.fail(2, "must be a month YYYY-MM")
		}
	}
}

// pointSet returns the county codes of the observation points.
func pointSet(points []burdenwatch.ObservationPoint) map[string]bool {
	set := make(map[string]bool, len(points))
	for _, p := range points {
		set[p.CountyCode] = true
	}
	return set
}
