package clickhouse

import (
	"context"
	"strconv"
	"strings"
	"time"

	bw "github.com/burdenwatch/burdenwatch"
)

// NamedResult is an active rule result with the name of its issuer.
type NamedResult struct {
	bw.Violation
	IssuerName string
}

// dateLiteral renders the calendar date of t as a ClickHouse Date.
func dateLiteral(t time.Time) string { return "toDate('" + t.Format(time.DateOnly) + "')" }

// quoteList renders strings as an SQL list of string literals.
func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = quoteString(s)
	}
	return strings.Join(q, ", ")
}

// DesignatedPoints returns the current observation points of province
// designated on or before the date of end, ordered by county code.
func (db *DB) DesignatedPoints(ctx context.Context, province string, end time.Time) ([]bw.ObservationPoint, error) {
	var out []bw.ObservationPoint
	var p bw.ObservationPoint
	var from time.Time
	err := db.scanAll(ctx, "observation points", `SELECT province_code, county_code, county_name, designated_from
FROM ref_observation_points
WHERE `+CurrentRows("observation_points")+` AND province_code = `+quoteString(province)+`
  AND designated_from <= `+dateLiteral(end)+`
ORDER BY county_code`, []any{&p.ProvinceCode, &p.CountyCode, &p.CountyName, &from}, func() {
		p.DesignatedFrom = CivilDate(from, db.loc)
		out = append(out, p)
	})
	return out, err
}

// IndicatorsBetween returns the indicators ids of province's counties for
// the months from through to (first days of months), ordered by county,
// month and indicator; NULL values come back as NaN.
func (db *DB) IndicatorsBetween(ctx context.Context, province string, from, to time.Time, ids []string) ([]bw.Indicator, error) {
	var out []bw.Indicator
	var in bw.Indicator
	var month time.Time
	var value, ytd *float64
	// Filters on the sorting key only inside FINAL; every version of a row
	// shares them, so FINAL still sees all versions.
	err := db.scanAll(ctx, "indicators", `SELECT county_code, month, indicator, value, ytd
FROM indicators FINAL
WHERE substring(county_code, 1, 2) = `+quoteString(province)+` AND month >= `+dateLiteral(from)+`
  AND month <= `+dateLiteral(to)+` AND indicator IN (`+quoteList(ids)+`)
ORDER BY county_code, month, indicator`, []any{&in.CountyCode, &month, &in.ID, &value, &ytd}, func() {
		in.Month, in.Value, in.YTD = CivilDate(month, db.loc), orNaN(value), orNaN(ytd)
		out = append(out, in)
	})
	return out, err
}

// MonthResults returns the active rule results of province's counties
// dated in month, with issuer names, ordered by issuer, county, rule and
// scope.
func (db *DB) MonthResults(ctx context.Context, province string, month time.Time) ([]NamedResult, error) {
	var out []NamedResult
	var r NamedResult
	var sev string
	var m time.Time
	// active and month are filtered after FINAL: a newer version may have
	// switched a result off or moved it.
	err := db.scanAll(ctx, "rule results", `SELECT rule_id, toString(severity), county_code, month, issuer_code,
  issuer_name, scope, value, `+"`limit`"+`, event_ids, citation
FROM (SELECT * FROM rule_results FINAL WHERE substring(county_code, 1, 2) = `+quoteString(province)+`)
WHERE active = 1 AND month = `+dateLiteral(month)+`
ORDER BY issuer_code, county_code, rule_id, scope`,
		[]any{&r.RuleID, &sev, &r.CountyCode, &m, &r.IssuerCode, &r.IssuerName, &r.Scope, &r.Value, &r.Limit,
			&r.EventIDs, &r.Citation}, func() {
			r.Severity, r.Month = bw.Severity(sev), CivilDate(m, db.loc)
			out = append(out, r)
		})
	return out, err
}

// LatestBaselines returns, for each county of province, its counts in its
// latest baseline year before year, ordered by county code.
func (db *DB) LatestBaselines(ctx context.Context, province string, year int) ([]bw.Baseline, error) {
	latest := map[string]bw.Baseline{}
	var order []string
	var b bw.Baseline
	var y uint16
	var docs, meets, insps *int64
	err := db.scanAll(ctx, "baselines", `SELECT county_code, year, documents, meetings, inspections
FROM ref_baselines
WHERE `+CurrentRows("baselines")+` AND substring(county_code, 1, 2) = `+quoteString(province)+`
  AND year < `+strconv.Itoa(year)+`
ORDER BY county_code, year`, []any{&b.CountyCode, &y, &docs, &meets, &insps}, func() {
		b.Year, b.Documents, b.Meetings, b.Inspections = int(y), intPtr(docs), intPtr(meets), intPtr(insps)
		if _, seen := latest[b.CountyCode]; !seen {
			order = append(order, b.CountyCode)
		}
		latest[b.CountyCode] = b // rows are ordered by year: the last is the latest
	})
	if err != nil {
		return nil, err
	}
	out := make([]bw.Baseline, len(order))
	for i, c := range order {
		out[i] = latest[c]
	}
	return out, nil
}
