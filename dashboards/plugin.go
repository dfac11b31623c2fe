package dashboards

import (
	"fmt"
	"strings"
)

// Plugin is a Grafana data source plugin that talks to ClickHouse.
type Plugin string

// The supported plugins.
const (
	// Official is Grafana's own ClickHouse plugin (native or HTTP protocol
	// through recent clickhouse-go); it fits current ClickHouse releases.
	Official Plugin = "grafana-clickhouse-datasource"
	// Altinity is Altinity's plugin, which speaks plain HTTP and therefore
	// also fits ClickHouse 18.16.
	Altinity Plugin = "vertamedia-clickhouse-datasource"
)

// Plugins lists the supported plugins, the default first.
func Plugins() []Plugin { return []Plugin{Official, Altinity} }

// ParsePlugin accepts a plugin id, or the short names "official" and
// "altinity".
func ParsePlugin(s string) (Plugin, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", string(Official), "official", "grafana":
		return Official, nil
	case string(Altinity), "altinity", "vertamedia":
		return Altinity, nil
	}
	return "", fmt.Errorf("unknown data source plugin %q (want %s or %s)", s, Official, Altinity)
}

// Short is a file-name friendly name of the plugin.
func (p Plugin) Short() string {
	if p == Altinity {
		return "altinity"
	}
	return "official"
}

// Macros of the two plugins that the panel SQL uses. Both expand them to
// plain toDateTime(<unix seconds>) expressions, which ClickHouse 18.16
// understands (see Interpolate).
//
//	official: $__timeFilter(col), $__fromTime, $__toTime
//	Altinity: $timeFilterByColumn(col), $from, $to
//
// Macros that expand to toStartOfInterval, DateTime64 or
// fromUnixTimestamp64Milli ($__timeInterval, $__timeFilter_ms,
// $__fromTime_ms, $timeSeries with DATETIME64 …) are never used.

// timeFilter is the plugin's filter of a DateTime column by the dashboard's
// time range.
func (p Plugin) timeFilter(col string) string {
	if p == Altinity {
		return "$timeFilterByColumn(" + col + ")"
	}
	return "$__timeFilter(" + col + ")"
}

// fromTime and toTime are DateTime expressions of the time range's ends.
func (p Plugin) fromTime() string {
	if p == Altinity {
		return "toDateTime($from)"
	}
	return "$__fromTime"
}

func (p Plugin) toTime() string {
	if p == Altinity {
		return "toDateTime($to)"
	}
	return "$__toTime"
}

// monthFilter keeps the months (Date, first of month) that overlap the
// time range, months counted in China Standard Time.
func (p Plugin) monthFilter(col string) string {
	return fmt.Sprintf("%s >= toStartOfMonth(%s, 'Asia/Shanghai') AND %s <= toDate(%s, 'Asia/Shanghai')",
		col, p.fromTime(), col, p.toTime())
}

// series wraps a long-format query with columns time (DateTime), series
// (String) and value into what the plugin's time series format expects:
// the official plugin turns long frames into one series per label, the
// Altinity plugin wants t in milliseconds and groupArray((name, value)).
func (p Plugin) series(inner string) string {
	if p == Altinity {
		return "SELECT toUInt64(time) * 1000 AS t, groupArray((series, value)) AS groupArr\nFROM (\n" +
			indent(inner) + "\n)\nGROUP BY t\nORDER BY t"
	}
	return "SELECT time, series, value\nFROM (\n" + indent(inner) + "\n)\nORDER BY time, series"
}

// seriesDisplayName names the fields of series(...) queries after the
// series column: a label for the official plugin, already the field name
// for Altinity.
func (p Plugin) seriesDisplayName() string {
	if p == Altinity {
		return ""
	}
	return "${__field.labels.series}"
}

func indent(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i, l := range lines {
		lines[i] = "    " + l
	}
	return strings.Join(lines, "\n")
}
