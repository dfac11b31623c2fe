package report

import (
	"context"
	"fmt"
	"time"

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
	// Alerts are the province's early warnings of the report year.
	Alerts []bw.Alert
}

// Result is an active rule result with the name of its issuer.
type Result = clickhouse.NamedResult

// reportIndicators are the indicators a report reads.
var reportIndicators = []string{
	"documents", "meetings", "inspections", "forms", "form_hours", "violations", "burden_index",
	"documents_over_baseline", "meetings_over_baseline", "inspections_over_baseline",
}

// Load reads the data of province's report for month (the first of a
// month in Asia/Shanghai) from db: tables with FINAL, reference data from
// the current load of each scope.
func Load(ctx context.Context, db *clickhouse.DB, province string, month time.Time) (*Data, error) {
	from := time.Date(month.Year(), 1, 1, 0, 0, 0, 0, month.Location())
	if prev := month.AddDate(0, -1, 0); prev.Before(from) {
		from = prev
	}
	d := &Data{}
	var err error
	if d.Points, err = db.DesignatedPoints(ctx, province, month.AddDate(0, 1, -1)); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	if d.Indicators, err = db.IndicatorsBetween(ctx, province, from, month, reportIndicators); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	if d.Results, err = db.MonthResults(ctx, province, month); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	if d.Baselines, err = db.LatestBaselines(ctx, province, month.Year()); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	if d.Alerts, err = db.Alerts(ctx, province, month.Year()); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	return d, nil
}
