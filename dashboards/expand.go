package dashboards

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Expand turns a panel's SQL into what the plugin sends to ClickHouse for
// the time range [from, to] and the variable values vars, the way Grafana
// and the plugins do it. It handles exactly what the dashboards use:
//
// Grafana template variables (both plugins, interpolated before macros):
//
//	$name, ${name}           the values joined by ","
//	${name:singlequote}      each value in single quotes, joined by ","
//	$__from, $__to           the range ends in Unix milliseconds
//
// grafana-clickhouse-datasource (pkg/macros of the plugin):
//
//	$__timeFilter(col)       col >= toDateTime(<from s>) AND col <= toDateTime(<to s>)
//	$__fromTime, $__toTime   toDateTime(<from s>), toDateTime(<to s>)
//
// vertamedia-clickhouse-datasource (pkg/eval of the plugin, round "0s",
// dateTimeType DATETIME):
//
//	$timeFilterByColumn(col) col >= toDateTime(<from s>) AND col <= toDateTime(<to s>)
//	$from, $to               <from s>, <to s>
//
// Seconds are truncated, as both plugins do.
func Expand(sql string, p Plugin, from, to time.Time, vars map[string][]string) string {
	sql = expandVariables(sql, vars)
	fromS, toS := strconv.FormatInt(from.Unix(), 10), strconv.FormatInt(to.Unix(), 10)
	sql = grafanaFrom.ReplaceAllString(sql, strconv.FormatInt(from.UnixMilli(), 10))
	sql = grafanaTo.ReplaceAllString(sql, strconv.FormatInt(to.UnixMilli(), 10))
	if p == Altinity {
		sql = timeFilterByColumn.ReplaceAllString(sql, "$1 >= toDateTime($$from) AND $1 <= toDateTime($$to)")
		sql = altinityFrom.ReplaceAllString(sql, fromS)
		return altinityTo.ReplaceAllString(sql, toS)
	}
	sql = officialTimeFilter.ReplaceAllString(sql, "$1 >= toDateTime("+fromS+") AND $1 <= toDateTime("+toS+")")
	sql = officialFrom.ReplaceAllString(sql, "toDateTime("+fromS+")")
	return officialTo.ReplaceAllString(sql, "toDateTime("+toS+")")
}

// Macro patterns (static tables).
var (
	grafanaFrom        = regexp.MustCompile(`\$__from\b`)
	grafanaTo          = regexp.MustCompile(`\$__to\b`)
	officialFrom       = regexp.MustCompile(`\$__fromTime\b`)
	officialTo         = regexp.MustCompile(`\$__toTime\b`)
	officialTimeFilter = regexp.MustCompile(`\$__timeFilter\(\s*([\w.]+)\s*\)`)
	timeFilterByColumn = regexp.MustCompile(`\$timeFilterByColumn\(([\w_]+)\)`)
	altinityFrom       = regexp.MustCompile(`\$from\b`)
	altinityTo         = regexp.MustCompile(`\$to\b`)
	variableRef        = regexp.MustCompile(`\$\{(\w+)(?::(\w+))?\}|\$(\w+)`)
)

func expandVariables(sql string, vars map[string][]string) string {
	return variableRef.ReplaceAllStringFunc(sql, func(m string) string {
		g := variableRef.FindStringSubmatch(m)
		name, format := g[1], g[2]
		if name == "" {
			name = g[3]
		}
		values, ok := vars[name]
		if !ok {
			return m // a macro or an unknown variable: left as is
		}
		if format == "singlequote" {
			quoted := make([]string, len(values))
			for i, v := range values {
				quoted[i] = "'" + strings.ReplaceAll(v, "'", "\\'") + "'"
			}
			values = quoted
		}
		return strings.Join(values, ",")
	})
}
