package report

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	bw "github.com/burdenwatch/burdenwatch"

	"github.com/burdenwatch/burdenwatch/clickhouse"
)

// Data is what one report is built from, as read from ClickHouse.
type Data struct {
	// Points are the province's observation points designated by the end
	// of the report month, by county code.
	Points []bw.ObservationPoint
	// Indicators are the province's indicator values from January of the
	// report year (or the previous month, if earlier) to the report month.
	Indicators []bw.Indicator
	// Results are the active rule results dated in the report month.
	Results []Result
	// Baselines are each county's counts in its latest baseline year
	// before the report year.
	Baselines []bw.Baseline
}

// Result is an active rule result with the name of its issuer.
type Result struct {
	bw.Violation
	IssuerName string
}

// reportIndicators are the indicators a report reads.
var reportIndicators = []string{
	"documents", "meetings", "inspections", "forms", "form_hours", "violations", "burden_index",
	"documents_over_baseline", "meetings_over_baseline", "inspections_over_baseline",
}

// Load reads the data of province's report for month (the first of a
// month in Asia/Shanghai) from conn. Tables are read with FINAL; reference
// data from the current load of each scope.
func Load(ctx context.Context, conn driver.Conn, province string, month time.Time) (*Data, error) {
	d := &Data{}
	var err error
	if d.Points, err = loadPoints(ctx, conn, province, month); err != nil {
		return nil, err
	}
	if d.Indicators, err = loadIndicators(ctx, conn, province, month); err != nil {
		return nil, err
	}
	if d.Results, err = loadResults(ctx, conn, province, month); err != nil {
		return nil, err
	}
	if d.Baselines, err = loadBaselines(ctx, conn, province, month.Year()); err != nil {
		return nil, err
	}
	return d, nil
}

func loadPoints(ctx context.Context, conn driver.Conn, province string, month time.Time) ([]bw.ObservationPoint, error) {
	end := month.AddDate(0, 1, -1).Format(time.DateOnly)
	rows, err := conn.Query(ctx, `SELECT province_code, county_code, county_name, designated_from
FROM ref_observation_points
WHERE `+clickhouse.CurrentRows("observation_points")+` AND province_code = ? AND designated_from <= toDate(?)
ORDER BY county_code`, province, end)
	if err != nil {
		return nil, fmt.Errorf("report: read observation points: %w", err)
	}
	defer rows.Close()
	var out []bw.ObservationPoint
	for rows.Next() {
		var p bw.ObservationPoint
		if err := rows.Scan(&p.ProvinceCode, &p.CountyCode, &p.CountyName, &p.DesignatedFrom); err != nil {
			return nil, fmt.Errorf("report: read observation points: %w", err)
		}
		p.DesignatedFrom = clickhouse.CivilDate(p.DesignatedFrom, month.Location())
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("report: read observation points: %w", err)
	}
	return out, nil
}

func loadIndicators(ctx context.Context, conn driver.Conn, province string, month time.Time) ([]bw.Indicator, error) {
	from := time.Date(month.Year(), 1, 1, 0, 0, 0, 0, month.Location())
	if prev := month.AddDate(0, -1, 0); prev.Before(from) {
		from = prev
	}
	// Filters on the sorting key only inside FINAL; every version of a row
	// shares them, so FINAL still sees all versions.
	rows, err := conn.Query(ctx, `SELECT county_code, month, indicator, value, ytd
FROM indicators FINAL
WHERE substring(county_code, 1, 2) = ? AND month >= toDate(?) AND month <= toDate(?)
  AND indicator IN (`+quoteList(reportIndicators)+`)
ORDER BY county_code, month, indicator`, province, from.Format(time.DateOnly), month.Format(time.DateOnly))
	if err != nil {
		return nil, fmt.Errorf("report: read indicators: %w", err)
	}
	defer rows.Close()
	var out []bw.Indicator
	for rows.Next() {
		var in bw.Indicator
		var value, ytd *float64
		if err := rows.Scan(&in.CountyCode, &in.Month, &in.ID, &value, &ytd); err != nil {
			return nil, fmt.Errorf("report: read indicators: %w", err)
		}
		in.Month, in.Value, in.YTD = clickhouse.CivilDate(in.Month, month.Location()), orNaN(value), orNaN(ytd)
		out = append(out, in)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("report: read indicators: %w", err)
	}
	return out, nil
}

func loadResults(ctx context.Context, conn driver.Conn, province string, month time.Time) ([]Result, error) {
	// active and month are filtered after FINAL: a newer version may have
	// switched a result off or moved it.
	rows, err := conn.Query(ctx, `SELECT rule_id, toString(severity), county_code, month, issuer_code, issuer_name,
  scope, value, `+"`limit`"+`, event_ids, citation
FROM (SELECT * FROM rule_results FINAL WHERE substring(county_code, 1, 2) = ?)
WHERE active = 1 AND month = toDate(?)
ORDER BY issuer_code, county_code, rule_id, scope`, province, month.Format(time.DateOnly))
	if err != nil {
		return nil, fmt.Errorf("report: read rule results: %w", err)
	}
	defer rows.Close()
	var out []Result
	for rows.Next() {
		var r Result
		var sev string
		if err := rows.Scan(&r.RuleID, &sev, &r.CountyCode, &r.Month, &r.IssuerCode, &r.IssuerName,
			&r.Scope, &r.Value, &r.Limit, &r.EventIDs, &r.Citation); err != nil {
			return nil, fmt.Errorf("report: read rule results: %w", err)
		}
		r.Severity, r.Month = bw.Severity(sev), clickhouse.CivilDate(r.Month, month.Location())
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("report: read rule results: %w", err)
	}
	return out, nil
}

func loadBaselines(ctx context.Context, conn driver.Conn, province string, year int) ([]bw.Baseline, error) {
	rows, err := conn.Query(ctx, `SELECT county_code, year, documents, meetings, inspections
FROM ref_baselines
WHERE `+clickhouse.CurrentRows("baselines")+` AND substring(county_code, 1, 2) = ? AND year < ?
ORDER BY county_code, year`, province, uint16(year))
	if err != nil {
		return nil, fmt.Errorf("report: read baselines: %w", err)
	}
	defer rows.Close()
	latest := map[string]bw.Baseline{}
	var order []string
	for rows.Next() {
		var b bw.Baseline
		var y uint16
		var docs, meets, insps *int64
		if err := rows.Scan(&b.CountyCode, &y, &docs, &meets, &insps); err != nil {
			return nil, fmt.Errorf("report: read baselines: %w", err)
		}
		b.Year, b.Documents, b.Meetings, b.Inspections = int(y), intPtr(docs), intPtr(meets), intPtr(insps)
		if _, seen := latest[b.CountyCode]; !seen {
			order = append(order, b.CountyCode)
		}
		latest[b.CountyCode] = b // rows are ordered by year: the last is the latest
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("report: read baselines: %w", err)
	}
	out := make([]bw.Baseline, len(order))
	for i, c := range order {
		out[i] = latest[c]
	}
	return out, nil
}

func shanghai() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}

func orNaN(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

func intPtr(p *int64) *int {
	if p == nil {
		return nil
	}
	v := int(*p)
	return &v
}

// quoteList renders constant identifiers as an SQL string list.
func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = "'" + strings.ReplaceAll(s, "'", "\\'") + "'"
	}
	return strings.Join(q, ", ")
}
