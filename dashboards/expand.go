package dashboards

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Variable is a dashboard variable as Grafana interpolates it.
type Variable struct {
	Multi      bool
	IncludeAll bool
	AllValue   string   // the custom all-value; "" means none
	Options    []string // the values of the variable's query, in Grafana's order
	Values     []string // the selected values, unless All
	All        bool     // "全部" (All) is selected
}

// Interpolation is what a panel's query is interpolated with: the time
// range and the variables by name.
type Interpolation struct {
	From, To time.Time
	Vars     map[string]Variable
}

// Interpolate turns a panel's SQL into what plugin p sends to ClickHouse,
// the way Grafana 12 and the plugins do it, in their order:
//
//  1. Grafana's template service (public/app/features/templating,
//     @grafana/scenes): $name, ${name}, ${name:format}, [[name]]. A selected
//     "All" with a custom all-value is inserted verbatim, whatever the
//     format; otherwise "All" means every option. Formats: singlequote
//     ('v' with ' escaped as \'), csv and raw (joined by ","), sqlstring
//     ('v' with ' doubled); without a format the plugin's own formatter
//     (see defaultFormat). $__from and $__to are the range in ms.
//  2. The plugin's macros. grafana-clickhouse-datasource (pkg/macros):
//     $__timeFilter(col), $__fromTime, $__toTime, $__dateFilter(col).
//     vertamedia-clickhouse-datasource (pkg/eval, round "0s",
//     dateTimeType DATETIME): $timeFilterByColumn(col), $from, $to.
//
// Macros that need settings the dashboards do not give ($table,
// $timeFilter, $timeSeries, $dateCol … of Altinity; $__timeInterval …),
// unknown formats and anything left that looks like a variable or a macro
// are errors.
func Interpolate(sql string, p Plugin, in Interpolation) (string, error) {
	out, err := interpolateVariables(sql, p, in)
	if err != nil {
		return "", err
	}
	if p == Altinity {
		out, err = altinityMacros(out, in)
	} else {
		out, err = officialMacros(out, in)
	}
	if err != nil {
		return "", err
	}
	if m := leftover.FindString(stripLiterals(out)); m != "" {
		return "", fmt.Errorf("%s: %q is neither a variable nor a macro of the plugin", p.Short(), m)
	}
	return out, nil
}

// Grafana's variable syntax (templating's variableRegex).
var (
	variableRef = regexp.MustCompile(`\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^\}]+))?(?::([^\}]+))?\}`)
	leftover    = regexp.MustCompile(`\$\{?\w+`)
	quoted      = regexp.MustCompile(`'(?:[^'\\]|\\.|'')*'`)
)

// stripLiterals blanks SQL string literals, where a "$" is text.
func stripLiterals(sql string) string { return quoted.ReplaceAllString(sql, "''") }

func interpolateVariables(sql string, p Plugin, in Interpolation) (string, error) {
	var firstErr error
	out := variableRef.ReplaceAllStringFunc(sql, func(m string) string {
		g := variableRef.FindStringSubmatch(m)
		name, format := g[1]+g[2]+g[4], g[3]+g[6]
		switch name {
		case "__from":
			return strconv.FormatInt(in.From.UnixMilli(), 10)
		case "__to":
			return strconv.FormatInt(in.To.UnixMilli(), 10)
		}
		v, ok := in.Vars[name]
		if !ok {
			return m // not a variable: a macro, or unknown (Grafana leaves it)
		}
		s, err := formatVariable(v, name, format, p, sql)
		if err != nil && firstErr == nil {
			firstErr = err
		}
		return s
	})
	return out, firstErr
}

// formatVariable is one variable reference's text.
func formatVariable(v Variable, name, format string, p Plugin, sql string) (string, error) {
	if v.All && v.AllValue != "" {
		return v.AllValue, nil // a custom all-value is never formatted
	}
	values := v.Values
	if v.All {
		values = v.Options
	}
	switch format {
	case "":
		return defaultFormat(p, v, name, values, sql), nil
	case "singlequote":
		return joinMapped(values, func(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }), nil
	case "sqlstring":
		return joinMapped(values, func(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }), nil
	case "csv", "raw":
		return strings.Join(values, ","), nil
	}
	return "", fmt.Errorf("variable %s: format %q is not one the dashboards model", name, format)
}

func joinMapped(values []string, f func(string) string) string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = f(v)
	}
	return strings.Join(out, ",")
}

// defaultFormat is the plugin's formatter of a reference without a
// format. Grafana hands it an array for multi-value and "All" variables,
// a string otherwise.
//
// grafana-clickhouse-datasource (CHDatasource.format): an array becomes
// 'a','b' (nothing escaped), a string is inserted as is.
//
// vertamedia-clickhouse-datasource (interpolateQueryExprWithContext):
// inside IN (...) an array becomes 'a','b' and a string 'a'; an array
// elsewhere is an array literal ['a', 'b']; a variable inside a string
// literal or next to a dot is inserted raw; a single-value variable is
// raw, otherwise quoted. Values are quoted with \ escapes unless every
// option is a number.
func defaultFormat(p Plugin, v Variable, name string, values []string, sql string) string {
	array := v.Multi || v.All
	if p == Official {
		if array {
			return "'" + strings.Join(values, "','") + "'"
		}
		return first(values)
	}
	esc := func(s string) string { return clickhouseEscape(s, v.Options) }
	inList := regexp.MustCompile(`(?i)\bIN\s*\(\s*\$\{?` + name + `\}?\s*\)`).MatchString(sql)
	inText := regexp.MustCompile(`'[^']*\$\{?` + name + `\}?[^']*'|\$\{?` + name + `\}?\.|\.\$\{?` + name + `\b`).MatchString(sql)
	switch {
	case array && inList:
		return joinMapped(values, esc)
	case inList:
		return esc(first(values))
	case array:
		return "[" + strings.Join(mapped(values, esc), ", ") + "]"
	case inText || !v.Multi && !v.IncludeAll:
		return first(values)
	}
	return esc(first(values))
}

func mapped(values []string, f func(string) string) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = f(v)
	}
	return out
}

func first(values []string) string {
	if len(values) == 0 {
		return ""
	}
	return values[0]
}

var numberOnly = regexp.MustCompile(`^[+-]?\d+(\.\d+)?$`)

// clickhouseEscape is the Altinity plugin's quoting: numbers stay bare when
// every option is a number, strings are quoted with \ escapes.
func clickhouseEscape(s string, options []string) string {
	bare := true
	for _, o := range options {
		if !numberOnly.MatchString(o) {
			bare = false
		}
	}
	if bare && numberOnly.MatchString(s) {
		return s
	}
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// Macro patterns of the plugins.
var (
	officialTimeFilter = regexp.MustCompile(`\$__timeFilter\(\s*([\w.]+)\s*\)`)
	officialDateFilter = regexp.MustCompile(`\$__dateFilter\(\s*([\w.]+)\s*\)`)
	officialFrom       = regexp.MustCompile(`\$__fromTime\b`)
	officialTo         = regexp.MustCompile(`\$__toTime\b`)
	timeFilterByColumn = regexp.MustCompile(`\$timeFilterByColumn\(\s*([\w.]+)\s*\)`)
	altinityFrom       = regexp.MustCompile(`\$from\b`)
	altinityTo         = regexp.MustCompile(`\$to\b`)
	altinityNeedsQuery = regexp.MustCompile(`\$(table|dateCol|dateTimeCol|timeFilter|timeFilter64|timeFilterMs|timeSeries|timeSeriesMs|naturalTimeSeries|interval|adhoc|columns|columnsMs|rate|rateColumns|perSecond|perSecondColumns|delta|deltaColumns|increase|increaseColumns|lttb|unescape|conditionalTest)\b`)
)

func officialMacros(sql string, in Interpolation) (string, error) {
	from, to := seconds(in.From), seconds(in.To)
	sql = officialTimeFilter.ReplaceAllString(sql, "$1 >= toDateTime("+from+") AND $1 <= toDateTime("+to+")")
	sql = officialDateFilter.ReplaceAllString(sql, "$1 >= toDate('"+in.From.UTC().Format("2006-01-02")+"') AND $1 <= toDate('"+in.To.UTC().Format("2006-01-02")+"')")
	sql = officialFrom.ReplaceAllString(sql, "toDateTime("+from+")")
	sql = officialTo.ReplaceAllString(sql, "toDateTime("+to+")")
	if m := regexp.MustCompile(`\$__\w+`).FindString(stripLiterals(sql)); m != "" {
		return "", fmt.Errorf("official: macro %s is not modelled (it may need settings or ClickHouse features the dashboards avoid)", m)
	}
	return sql, nil
}

func altinityMacros(sql string, in Interpolation) (string, error) {
	if m := altinityNeedsQuery.FindString(stripLiterals(sql)); m != "" {
		return "", fmt.Errorf("altinity: macro %s needs query settings (database, table, date columns) the dashboards do not set", m)
	}
	from, to := seconds(in.From), seconds(in.To)
	sql = timeFilterByColumn.ReplaceAllString(sql, "$1 >= toDateTime("+from+") AND $1 <= toDateTime("+to+")")
	sql = altinityFrom.ReplaceAllString(sql, from)
	return altinityTo.ReplaceAllString(sql, to), nil
}

// seconds are Unix seconds, truncated, as both plugins do.
func seconds(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

// SortOptions orders a variable's options as Grafana does for the
// variable's sort: 0 keeps the query's order, 1 and 2 sort alphabetically
// ascending and descending.
func SortOptions(options []string, sortMode int) []string {
	out := append([]string(nil), options...)
	switch sortMode {
	case 1:
		sort.Strings(out)
	case 2:
		sort.Sort(sort.Reverse(sort.StringSlice(out)))
	}
	return out
}

// Default is the selection Grafana makes for a variable that has no
// current value: "All" when the variable offers it, else the first option.
func (v Variable) Default() Variable {
	v.Values, v.All = nil, false
	if v.IncludeAll {
		v.All = true
		return v
	}
	if len(v.Options) > 0 {
		v.Values = v.Options[:1]
	}
	return v
}
