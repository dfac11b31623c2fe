package dashboards

import "strings"

// SQL of the live half (SPEC §8): early warnings (alerts, §8.5) and scan
// registrations (scans, §8.3). alerts is a ReplacingMergeTree keyed by
// (county_code, alert_id) and scans one keyed by (county_code, scanned_at,
// scan_id): filters on other columns sit outside the FINAL subquery.

// alertLevel is an alert's level in Chinese.
const alertLevel = "if(level = 'breach', '超限', '预警')"

// yearFilter keeps the years that overlap the time range, in China
// Standard Time.
func (p Plugin) yearFilter(col string) string {
	return col + " >= toYear(" + p.fromTime() + ", 'Asia/Shanghai') AND " + col + " <= toYear(" + p.toTime() + ", 'Asia/Shanghai')"
}

// alertsSQL: the alerts of $province for the years in range, breaches
// first, with the county, scope, value, limit, year-end projection and the
// month of the crossing.
func alertsSQL(p Plugin) string {
	inner := "SELECT *\nFROM (\n    SELECT * FROM alerts FINAL WHERE province_code = " + province + "\n)\nWHERE " + p.yearFilter("year")
	return strings.Join([]string{
		"SELECT",
		"    " + alertLevel + " AS `级别`,",
		"    " + countyName + " AS `观测点`,",
		"    scope AS `事项`,",
		"    value AS `当前值`,",
		"    `limit` AS `限值`,",
		"    round(projected, 1) AS `预计全年`,",
		"    formatDateTime(month, '%Y-%m') AS `越线月份`,",
		"    first_seen AS `首次发现`",
		withPoints(inner),
		"ORDER BY level DESC, month DESC, county_code, scope",
	}, "\n")
}

// scansFrom is the scans of $province in the time range.
func scansFrom(p Plugin) string {
	return "SELECT * FROM scans FINAL WHERE province_code = " + province + " AND " + p.timeFilter("scanned_at")
}

// scansPerDaySQL: scans per day, by verdict.
func scansPerDaySQL(p Plugin) string {
	return p.series("SELECT toStartOfDay(scanned_at) AS time, if(verdict = 'accept', '符合规定', '可拒绝') AS series, toFloat64(count()) AS value\nFROM (\n" +
		indent(scansFrom(p)) + "\n)\nGROUP BY time, series")
}

// refusalReasonsSQL: the reasons of the scans that allowed a refusal
// (reasons is an Array(String); a scan may have several).
func refusalReasonsSQL(p Plugin) string {
	return "SELECT\n    reason AS `原因`,\n    count() AS `次数`\nFROM (\n" +
		"    SELECT arrayJoin(reasons) AS reason\n    FROM (\n" + indent(indent(scansFrom(p))) + "\n    )\n    WHERE verdict = 'may_refuse'\n" +
		")\nGROUP BY reason\nORDER BY `次数` DESC, reason"
}
