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
	return p.series("SELECT toStartOfDay(scanned_at) AS time, if(verdict = 'accept', '可以接受', '可不予配合') AS series, toFloat64(count()) AS value\nFROM (\n" +
		indent(scansFrom(p)) + "\n)\nGROUP BY time, series")
}

// reasonName is a failed check of SPEC §8.2 in Chinese with its id; an
// unknown id is shown as it is.
const reasonName = "transform(reason, " +
	"['registered', 'valid_period', 'target', 'planned', 'visit_cap', 'no_meeting_month', 'exempt', 'crowding'], " +
	"['未登记的督查编码（registered）', '不在有效期内（valid_period）', '本县不在检查对象内（target）', '不在年度计划内（planned）', " +
	"'超过到同一单位的次数上限（visit_cap）', '无会月（no_meeting_month）', '豁免县的综合督查（exempt）', '近期督查扎堆（crowding，仅提醒）'], reason)"

// refusalReasonsSQL: the reasons of the scans that allowed a refusal
// (reasons is an Array(String); a scan may have several).
func refusalReasonsSQL(p Plugin) string {
	return "SELECT\n    " + reasonName + " AS `原因`,\n    count() AS `次数`\nFROM (\n" +
		"    SELECT arrayJoin(reasons) AS reason\n    FROM (\n" + indent(indent(scansFrom(p))) + "\n    )\n    WHERE verdict = 'may_refuse'\n" +
		")\nGROUP BY reason\nORDER BY `次数` DESC, reason"
}
