package export

import (
	"strings"
)

// filter restricts what is exported.
type filter struct {
	province string // two-digit province code; empty = all
	redact   bool
}

// query is a SQL statement with its positional arguments.
type query struct {
	sql  string
	args []any
}

// table is how one table is read from ClickHouse and written to Parquet:
// S is the scanned row, R the exported record.
type table[S, R any] struct {
	doc *tableDoc
	// months lists the months that hold rows, with their row counts:
	// a query returning (m Date, n UInt64).
	months func(f filter) query
	// rows selects the rows of one month ("YYYY-MM-01"), in a stable
	// order; cols is the select list.
	rows func(f filter, cols, month string) query
	fill func(r *R, s *S, month string)
}

// The ReplacingMergeTree tables are read with FINAL, but a month or
// province condition must not be evaluated before FINAL has merged the
// versions of a row: ClickHouse prunes partitions (and may move conditions
// to PREWHERE) before merging, so an old revision whose month differs from
// the newest one would survive. The month condition is therefore evaluated
// on argMax(…, version) per sorting key, and FINAL reads only the keys
// selected that way: a filter on the whole sorting key is safe before FINAL.

func eventsTable() table[eventScan, eventRecord] {
	return table[eventScan, eventRecord]{
		doc: &eventsDoc,
		months: func(f filter) query {
			q := query{sql: "SELECT m, count() AS n FROM (SELECT toStartOfMonth(argMax(occurred_at, version)) AS m," +
				" argMax(province_code, version) AS p FROM events GROUP BY event_id)"}
			if f.province != "" {
				q.sql += " WHERE p = ?"
				q.args = append(q.args, f.province)
			}
			q.sql += " GROUP BY m ORDER BY m"
			return q
		},
		rows: func(f filter, cols, month string) query {
			q := query{
				sql: "SELECT " + cols + " FROM events FINAL WHERE event_id IN (SELECT event_id FROM events" +
					" GROUP BY event_id HAVING toStartOfMonth(argMax(occurred_at, version)) = toDate(?)",
				args: []any{month},
			}
			if f.province != "" {
				q.sql += " AND argMax(province_code, version) = ?"
				q.args = append(q.args, f.province)
			}
			q.sql += ") ORDER BY occurred_at, event_id"
			return q
		},
		fill: fillEvent,
	}
}

func indicatorsTable() table[indicatorScan, indicatorRecord] {
	// The sorting key holds county_code and month, so both conditions are
	// safe before FINAL.
	return table[indicatorScan, indicatorRecord]{
		doc: &indicatorsDoc,
		months: func(f filter) query {
			where, args := provinceByCounty(f, "WHERE")
			return query{sql: "SELECT month AS m, count() AS n FROM indicators FINAL" + where + " GROUP BY m ORDER BY m", args: args}
		},
		rows: func(f filter, cols, month string) query {
			where, args := provinceByCounty(f, "AND")
			return query{
				sql: "SELECT " + cols + " FROM indicators FINAL WHERE month = toDate(?)" + where +
					" ORDER BY county_code, indicator",
				args: append([]any{month}, args...),
			}
		},
		fill: fillIndicator,
	}
}

func ruleResultsTable() table[ruleResultScan, ruleResultRecord] {
	return table[ruleResultScan, ruleResultRecord]{
		doc: &ruleResultsDoc,
		months: func(f filter) query {
			where, args := provinceByCounty(f, "WHERE")
			return query{
				sql: "SELECT m, count() AS n FROM (SELECT argMax(month, version) AS m, argMax(active, version) AS a" +
					" FROM rule_results" + where + " GROUP BY county_code, rule_id, scope) WHERE a = 1 GROUP BY m ORDER BY m",
				args: args,
			}
		},
		rows: func(f filter, cols, month string) query {
			where, args := provinceByCounty(f, "WHERE")
			return query{
				sql: "SELECT " + cols + " FROM rule_results FINAL WHERE (county_code, rule_id, scope) IN" +
					" (SELECT county_code, rule_id, scope FROM rule_results" + where +
					" GROUP BY county_code, rule_id, scope HAVING argMax(active, version) = 1" +
					" AND argMax(month, version) = toDate(?)) ORDER BY county_code, rule_id, scope",
				args: append(args, month),
			}
		},
		fill: fillRuleResult,
	}
}

// provinceByCounty is the province condition on county_code (part of the
// sorting key, so it may be evaluated before FINAL), introduced by kw.
func provinceByCounty(f filter, kw string) (string, []any) {
	if f.province == "" {
		return "", nil
	}
	return " " + kw + " substring(county_code, 1, 2) = ?", []any{f.province}
}

// selectList is the ClickHouse select list of the columns exported under f.
func selectList(doc *tableDoc, f filter) string {
	var cols []string
	for _, c := range doc.columns {
		switch {
		case c.expr == "-" || (c.redact && f.redact):
		case c.expr == "":
			cols = append(cols, "`"+c.name+"`")
		default:
			cols = append(cols, c.expr+" AS "+c.name)
		}
	}
	return strings.Join(cols, ", ")
}

// redacted lists the columns of doc left out under f.
func redacted(doc *tableDoc, f filter) map[string]bool {
	out := map[string]bool{}
	for _, c := range doc.columns {
		if c.redact && f.redact {
			out[c.name] = true
		}
	}
	return out
}
