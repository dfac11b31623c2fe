package clickhouse

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Tables of the research dataset (SPEC §6).
const (
	ExportEvents      = "events"
	ExportIndicators  = "indicators"
	ExportRuleResults = "rule_results"
	ExportAlerts      = "alerts"
	ExportScans       = "scans"
)

// ExportMonth is a month of a dataset table and the number of its rows.
type ExportMonth struct {
	Month time.Time // first day, a ClickHouse Date at UTC midnight
	Rows  uint64
}

// derivedColumns are the exported columns computed by ClickHouse.
var derivedColumns = map[string]string{
	"veto_item_count": "length(veto_items)",
	"event_count":     "length(event_ids)",
}

// The ReplacingMergeTree tables are read with FINAL, but a month or
// province condition must not be evaluated before FINAL has merged the
// versions of a row: ClickHouse prunes partitions (and may move conditions
// to PREWHERE) before merging, so an old revision whose month differs from
// the newest one would survive. The month condition is therefore evaluated
// on argMax(…, version) per sorting key, and FINAL reads only the keys
// selected that way: a filter on the whole sorting key is safe before FINAL.

// exportMonthsQuery lists the months of table that hold rows of province
// ("" = all), with their row counts.
func exportMonthsQuery(table, province string) (string, error) {
	switch table {
	case ExportEvents:
		q := "SELECT m, count() AS n FROM (SELECT toStartOfMonth(argMax(occurred_at, version)) AS m," +
			" argMax(province_code, version) AS p FROM events GROUP BY event_id)"
		if province != "" {
			q += " WHERE p = " + quoteString(province)
		}
		return q + " GROUP BY m ORDER BY m", nil
	case ExportIndicators:
		// county_code and month are in the sorting key: safe before FINAL.
		return "SELECT month AS m, count() AS n FROM indicators FINAL" + byCounty(province, "WHERE") +
			" GROUP BY m ORDER BY m", nil
	case ExportRuleResults:
		return "SELECT m, count() AS n FROM (SELECT argMax(month, version) AS m, argMax(active, version) AS a" +
			" FROM rule_results" + byCounty(province, "WHERE") + " GROUP BY county_code, rule_id, scope)" +
			" WHERE a = 1 GROUP BY m ORDER BY m", nil
	case ExportAlerts:
		return "SELECT m, count() AS n FROM (SELECT argMax(month, version) AS m FROM alerts" +
			byCounty(province, "WHERE") + " GROUP BY county_code, alert_id) GROUP BY m ORDER BY m", nil
	case ExportScans:
		// Scans are written once (duplicates are identical rows), so any
		// condition is safe before FINAL.
		return "SELECT toStartOfMonth(scanned_at) AS m, count() AS n FROM scans FINAL" + byProvince(province, "WHERE") +
			" GROUP BY m ORDER BY m", nil
	}
	return "", fmt.Errorf("clickhouse: no dataset table %q", table)
}

// exportRowsQuery selects columns of the rows of table dated in month, in
// a stable order.
func exportRowsQuery(table, province string, month time.Time, columns []string) (string, error) {
	sel := exportSelect(columns)
	m := dateLiteral(month)
	switch table {
	case ExportEvents:
		q := "SELECT " + sel + " FROM events FINAL WHERE event_id IN (SELECT event_id FROM events" +
			" GROUP BY event_id HAVING toStartOfMonth(argMax(occurred_at, version)) = " + m
		if province != "" {
			q += " AND argMax(province_code, version) = " + quoteString(province)
		}
		return q + ") ORDER BY occurred_at, event_id", nil
	case ExportIndicators:
		return "SELECT " + sel + " FROM indicators FINAL WHERE month = " + m + byCounty(province, "AND") +
			" ORDER BY county_code, indicator", nil
	case ExportRuleResults:
		return "SELECT " + sel + " FROM rule_results FINAL WHERE (county_code, rule_id, scope) IN" +
			" (SELECT county_code, rule_id, scope FROM rule_results" + byCounty(province, "WHERE") +
			" GROUP BY county_code, rule_id, scope HAVING argMax(active, version) = 1" +
			" AND argMax(month, version) = " + m + ") ORDER BY county_code, rule_id, scope", nil
	case ExportAlerts:
		return "SELECT " + sel + " FROM alerts FINAL WHERE (county_code, alert_id) IN" +
			" (SELECT county_code, alert_id FROM alerts" + byCounty(province, "WHERE") +
			" GROUP BY county_code, alert_id HAVING argMax(month, version) = " + m + ")" +
			" ORDER BY county_code, alert_id", nil
	case ExportScans:
		return "SELECT " + sel + " FROM scans FINAL WHERE toStartOfMonth(scanned_at) = " + m +
			byProvince(province, "AND") + " ORDER BY county_code, scanned_at, scan_id", nil
	}
	return "", fmt.Errorf("clickhouse: no dataset table %q", table)
}

// exportSelect is the select list of the exported columns.
func exportSelect(columns []string) string {
	exprs := make([]string, len(columns))
	for i, c := range columns {
		if e, ok := derivedColumns[c]; ok {
			exprs[i] = e + " AS " + c
		} else {
			exprs[i] = "`" + c + "`"
		}
	}
	return strings.Join(exprs, ", ")
}

// byCounty is the province condition on county_code (part of the sorting
// keys, so it may be evaluated before FINAL), introduced by kw.
func byCounty(province, kw string) string {
	if province == "" {
		return ""
	}
	return " " + kw + " substring(county_code, 1, 2) = " + quoteString(province)
}

// byProvince is the condition on the province_code column.
func byProvince(province, kw string) string {
	if province == "" {
		return ""
	}
	return " " + kw + " province_code = " + quoteString(province)
}

// ExportMonths lists the months of a dataset table that hold rows of
// province ("" = all provinces), in order, with their row counts.
func (db *DB) ExportMonths(ctx context.Context, table, province string) ([]ExportMonth, error) {
	q, err := exportMonthsQuery(table, province)
	if err != nil {
		return nil, err
	}
	var out []ExportMonth
	var m ExportMonth
	err = db.scanAll(ctx, "months of "+table, q, []any{&m.Month, &m.Rows}, func() { out = append(out, m) })
	return out, err
}

// ExportRows streams the rows of a dataset table dated in month (its first
// day) with the given columns, in a stable order: each is called once per
// row with a function that scans the row into a struct whose `ch` tags
// name the columns.
func (db *DB) ExportRows(ctx context.Context, table, province string, month time.Time, columns []string,
	each func(scan func(dest any) error) error) error {
	q, err := exportRowsQuery(table, province, month, columns)
	if err != nil {
		return err
	}
	rows, err := db.conn.Query(ctx, q)
	if err != nil {
		return fmt.Errorf("clickhouse: read %s: %w", table, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := each(rows.ScanStruct); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("clickhouse: read %s: %w", table, err)
	}
	return nil
}
