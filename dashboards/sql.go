package dashboards

import (
	"fmt"
	"strings"

	"github.com/burdenwatch/burdenwatch/clickhouse"
)

// The panel SQL. Every query stays inside what ClickHouse 18.16 runs (see
// /work/shared/spec/CLICKHOUSE-18.md): no toStartOfInterval, no window
// functions, no table CTEs. ReplacingMergeTree tables are read with FINAL;
// filters on columns outside a table's sorting key (rule_results.active,
// rule_results.month) are applied outside the FINAL subquery, so that a
// server which moves WHERE to PREWHERE cannot let a superseded row through.

// pointsSQL is the current observation points, one row per county.
func pointsSQL() string {
	return "SELECT county_code, any(county_name) AS county_name\nFROM ref_observation_points\nWHERE " +
		clickhouse.CurrentRows("observation_points") + "\nGROUP BY county_code"
}

// countyName is the display name of a county after a join with pointsSQL.
const countyName = "if(county_name = '', county_code, county_name)"

// monthTime is the month column as a DateTime in China Standard Time.
const monthTime = "toDateTime(month, 'Asia/Shanghai')"

// allValue is the custom value of the "all" option of multi-value
// variables. Grafana inserts a custom all-value verbatim, whatever the
// format of the reference (${rule:singlequote} included), so it must be
// valid SQL on its own: a string literal no rule or issuer can equal.
const allValue = "'__all'"

// allLiteral is allValue's string, which variableFilter tests for.
const allLiteral = "__all"

// noIssuer is what the issuer variable and the tables show, and what the
// filter matches, for results without an issuer name.
const noIssuer = "（未注明）"

// issuerLabel is a result's issuer as the issuer variable lists it.
const issuerLabel = "if(issuer_name = '', '" + noIssuer + "', issuer_name)"

func withPoints(inner string) string {
	return "FROM (\n" + indent(inner) + "\n)\nLEFT JOIN (\n" + indent(pointsSQL()) + "\n) USING county_code"
}

// variableFilter is true when the multi-value variable is "all" or holds
// expr. Under "all" Grafana writes allValue verbatim:
// ('__all' IN ('__all') OR expr IN ('__all')); otherwise each selected
// value single-quoted.
func variableFilter(expr, variable string) string {
	return fmt.Sprintf("('%s' IN (${%s:singlequote}) OR %s IN (${%s:singlequote}))", allLiteral, variable, expr, variable)
}

// province and county are the single-value variables as SQL string
// literals (Grafana's singlequote format, the same in both plugins).
const (
	province = "${province:singlequote}"
	county   = "${county:singlequote}"
)

// activeRuleResults is the current, active rule results matching where
// (on sorting-key or constant-per-county columns) in the time range.
func activeRuleResults(p Plugin, where string) string {
	return "SELECT *\nFROM (\n    SELECT * FROM rule_results FINAL WHERE " + where +
		"\n)\nWHERE active = 1 AND " + p.monthFilter("month")
}

// provinceVariableSQL lists the provinces with observation points, the
// one with the most recent event first: with the variable's sort disabled,
// that is the option Grafana selects when a dashboard opens without one.
func provinceVariableSQL() string {
	return "SELECT province_code\nFROM (\n" +
		"    SELECT DISTINCT province_code FROM ref_observation_points\n" +
		"    WHERE " + clickhouse.CurrentRows("observation_points") + "\n" +
		")\nLEFT JOIN (\n" +
		"    SELECT province_code, max(occurred_at) AS latest FROM events GROUP BY province_code\n" +
		") USING province_code\n" +
		"ORDER BY latest DESC, province_code"
}

// countyVariableSQL lists the observation counties of $province, those
// with the most recent indicators first (Grafana's default is the first).
func countyVariableSQL() string {
	return "SELECT county_code\nFROM (\n" +
		"    SELECT DISTINCT county_code FROM ref_observation_points\n" +
		"    WHERE province_code = " + province + "\n" +
		"      AND " + clickhouse.CurrentRows("observation_points") + "\n" +
		")\nLEFT JOIN (\n" +
		"    SELECT county_code, max(month) AS latest FROM indicators WHERE province_code = " + province + " GROUP BY county_code\n" +
		") USING county_code\n" +
		"ORDER BY latest DESC, county_code"
}

// ruleVariableSQL and issuerVariableSQL list what rule results exist in
// $province; an empty issuer name is listed as noIssuer, so that selecting
// every issuer keeps those results.
func ruleVariableSQL() string {
	return "SELECT DISTINCT rule_id FROM rule_results WHERE province_code = " + province + " ORDER BY rule_id"
}

func issuerVariableSQL() string {
	return "SELECT DISTINCT " + issuerLabel + " AS issuer FROM rule_results WHERE province_code = " + province + " ORDER BY issuer"
}

// provinceTotalsSQL: headline figures of the province over the time range.
func provinceTotalsSQL(p Plugin) string {
	return `SELECT
    uniqExact(county_code) AS ` + "`观测点`" + `,
    sumIf(value, indicator = 'documents') AS ` + "`收文`" + `,
    sumIf(value, indicator = 'meetings') AS ` + "`会议`" + `,
    sumIf(value, indicator = 'inspections') AS ` + "`督查检查考核`" + `,
    sumIf(value, indicator = 'violations') AS ` + "`违规`" + `
FROM indicators FINAL
WHERE province_code = ` + province + ` AND ` + p.monthFilter("month")
}

// rankingSQL ranks the observation points of $province by the burden index
// of their latest month in range, with quota use and violations.
func rankingSQL(p Plugin) string {
	inner := `SELECT county_code,
    argMaxIf(value, month, indicator = 'burden_index') AS burden,
    argMaxIf(value, month, indicator = 'documents_quota_used') AS documents_quota,
    argMaxIf(value, month, indicator = 'meetings_quota_used') AS meetings_quota,
    sumIf(value, indicator = 'violations') AS violations
FROM indicators FINAL
WHERE province_code = ` + province + ` AND ` + p.monthFilter("month") + `
GROUP BY county_code`
	return `SELECT
    ` + countyName + " AS `观测点`" + `,
    county_code AS ` + "`县级代码`" + `,
    round(burden, 1) AS ` + "`负担指数`" + `,
    round(documents_quota * 100, 1) AS ` + "`发文配额使用率(%)`" + `,
    round(meetings_quota * 100, 1) AS ` + "`会议配额使用率(%)`" + `,
    violations AS ` + "`违规数`" + `
` + withPoints(inner) + `
ORDER BY ` + "`负担指数`" + ` DESC, county_code`
}

// provinceTrendSQL: one indicator per month, one series per county of
// $province.
func provinceTrendSQL(p Plugin, indicatorID string) string {
	inner := `SELECT county_code, month, value
FROM indicators FINAL
WHERE province_code = ` + province + ` AND indicator = '` + indicatorID + `' AND ` + p.monthFilter("month")
	return p.series("SELECT " + monthTime + " AS time, " + countyName + " AS series, value\n" + withPoints(inner))
}

// countyIndicatorSQL: one indicator of $county per month, the month's
// value and, where defined, the year-to-date value.
func countyIndicatorSQL(p Plugin, indicatorID string) string {
	where := "county_code = " + county + " AND indicator = '" + indicatorID + "' AND " + p.monthFilter("month")
	inner := "SELECT " + monthTime + " AS time, '当月' AS series, value FROM indicators FINAL WHERE " + where +
		"\nUNION ALL\nSELECT " + monthTime + " AS time, '年累计' AS series, ytd AS value FROM indicators FINAL WHERE " +
		where + " AND ytd IS NOT NULL"
	return p.series(inner)
}

// ruleColumns are the columns of a rule-results detail table.
func ruleColumns() string {
	return strings.Join([]string{
		"formatDateTime(month, '%Y-%m') AS `月份`",
		"rule_id AS `规则`",
		"if(severity = 'violation', '违规', '提醒') AS `级别`",
		issuerLabel + " AS `责任单位`",
		"value AS `测量值`",
		"`limit` AS `限值`",
		"citation AS `依据`",
		"arrayStringConcat(event_ids, ', ') AS `证据事件`",
	}, ",\n    ")
}

// countyRulesSQL: the active rule results of $county.
func countyRulesSQL(p Plugin) string {
	return "SELECT\n    " + ruleColumns() + "\nFROM (\n" +
		indent(activeRuleResults(p, "county_code = "+county)) + "\n)\nORDER BY month DESC, rule_id, issuer_name, scope"
}

// ruleFilter selects $province, $rule and $issuer.
func ruleFilter() string {
	return "province_code = " + province + " AND " + variableFilter("rule_id", "rule") + " AND " +
		variableFilter(issuerLabel, "issuer")
}

// ruleCountsSQL: active results per rule, violations and warnings.
func ruleCountsSQL(p Plugin) string {
	return "SELECT\n    rule_id AS `规则`,\n    countIf(severity = 'violation') AS `违规`,\n    countIf(severity = 'warning') AS `提醒`\nFROM (\n" +
		indent(activeRuleResults(p, ruleFilter())) + "\n)\nGROUP BY rule_id\nORDER BY count() DESC, rule_id"
}

// issuerCountsSQL: active results per issuer.
func issuerCountsSQL(p Plugin) string {
	return "SELECT\n    " + issuerLabel + " AS `责任单位`,\n    countIf(severity = 'violation') AS `违规`,\n    countIf(severity = 'warning') AS `提醒`\nFROM (\n" +
		indent(activeRuleResults(p, ruleFilter())) + "\n)\nGROUP BY issuer_name\nORDER BY count() DESC, issuer_name"
}

// ruleMonthlySQL: active results per month and severity.
func ruleMonthlySQL(p Plugin) string {
	inner := "SELECT " + monthTime + " AS time, if(severity = 'violation', '违规', '提醒') AS series, toFloat64(count()) AS value\nFROM (\n" +
		indent(activeRuleResults(p, ruleFilter())) + "\n)\nGROUP BY time, series"
	return p.series(inner)
}

// ruleDetailsSQL: every active result with county, citation and evidence.
func ruleDetailsSQL(p Plugin) string {
	inner := activeRuleResults(p, ruleFilter())
	return "SELECT\n    " + countyName + " AS `观测点`,\n    " + ruleColumns() + "\n" + withPoints(inner) +
		"\nORDER BY month DESC, rule_id, county_code, issuer_name, scope"
}

// ingestStatsSQL: headline figures of ingestion over the time range.
func ingestStatsSQL(p Plugin) string {
	return `SELECT
    sum(last_lag) AS ` + "`当前积压消息`" + `,
    sum(batch_events) AS ` + "`写入事件`" + `,
    sum(batch_dead_letters) AS ` + "`死信`" + `,
    toUInt64(max(last_flush)) * 1000 AS ` + "`最近写入`" + `
FROM (
    SELECT argMax(lag, flushed_at) AS last_lag, sum(events) AS batch_events,
        sum(dead_letters) AS batch_dead_letters, max(flushed_at) AS last_flush
    FROM ingest_log
    WHERE ` + p.timeFilter("flushed_at") + `
    GROUP BY topic, consumer_group
)`
}

// ingestLagSQL: the consumer lag per minute, one series per topic and group.
func ingestLagSQL(p Plugin) string {
	return p.series(`SELECT toStartOfMinute(flushed_at) AS time, concat(topic, ' / ', consumer_group) AS series, toFloat64(max(lag)) AS value
FROM ingest_log
WHERE ` + p.timeFilter("flushed_at") + `
GROUP BY time, series`)
}

// throughputSQL: events and dead letters per second, per minute bucket.
func throughputSQL(p Plugin) string {
	where := p.timeFilter("flushed_at")
	return p.series(`SELECT toStartOfMinute(flushed_at) AS time, '事件/秒' AS series, sum(events) / 60 AS value
FROM ingest_log WHERE ` + where + `
GROUP BY time
UNION ALL
SELECT toStartOfMinute(flushed_at) AS time, '死信/秒' AS series, sum(dead_letters) / 60 AS value
FROM ingest_log WHERE ` + where + `
GROUP BY time`)
}

// deadLetterReasonsSQL: dead letters per reason code.
func deadLetterReasonsSQL(p Plugin) string {
	return "SELECT\n    if(reason_code = '', '（未分类）', reason_code) AS `原因`,\n    count() AS `死信数`\nFROM dead_letters FINAL\nWHERE " +
		p.timeFilter("received_at") + "\nGROUP BY reason_code\nORDER BY `死信数` DESC, reason_code"
}

// recentDeadLettersSQL: the latest dead letters with their reasons.
func recentDeadLettersSQL(p Plugin) string {
	return strings.Join([]string{
		"SELECT",
		"    received_at AS `接收时间`,",
		"    topic AS `主题`,",
		"    `partition` AS `分区`,",
		"    `offset` AS `偏移量`,",
		"    reason_code AS `原因代码`,",
		"    field AS `字段`,",
		"    reason AS `原因`,",
		"    substringUTF8(raw, 1, 200) AS `原始消息（前200字）`",
		"FROM dead_letters FINAL",
		"WHERE " + p.timeFilter("received_at"),
		"ORDER BY received_at DESC, topic, `partition`, `offset` DESC",
		"LIMIT 100",
	}, "\n")
}
