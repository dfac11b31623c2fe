package dashboards

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestInterpolate pins Grafana's and the plugins' rules that the
// dashboards depend on, each case one rule.
func TestInterpolate(t *testing.T) {
	in := Interpolation{From: at("2025-02-10 00:00:00"), To: at("2025-03-20 12:00:00"), // 1739116800, 1742443200
		Vars: map[string]Variable{
			"province": {Options: []string{"43", "22"}, Values: []string{"43"}},
			"rule":     {Multi: true, IncludeAll: true, Options: []string{"a", "b'c"}, Values: []string{"a", "b'c"}},
			"allrule":  {Multi: true, IncludeAll: true, AllValue: "'__all'", Options: []string{"a", "b"}, All: true},
			"plainall": {Multi: true, IncludeAll: true, Options: []string{"a", "b"}, All: true},
			"name":     {Options: []string{"x", "y"}, Values: []string{"x"}},
		}}
	for _, tc := range []struct {
		p        Plugin
		sql, out string
	}{
		// Grafana: a custom all-value is inserted verbatim, whatever the format.
		{Official, "r IN (${allrule:singlequote}) OR r IN (${allrule:csv}) OR r IN ($allrule)",
			"r IN ('__all') OR r IN ('__all') OR r IN ('__all')"},
		// Grafana: "All" without a custom value means every option.
		{Altinity, "r IN (${plainall:singlequote})", "r IN ('a','b')"},
		// Grafana's formats.
		{Official, "${rule:singlequote} ${rule:csv} ${rule:raw} ${rule:sqlstring} [[province]] ${province:singlequote}",
			`'a','b\'c' a,b'c a,b'c 'a','b''c' 43 '43'`},
		// Official plugin's formatter: arrays quoted unescaped, strings raw.
		{Official, "r IN ($rule) AND p = '$province' AND n = $name", "r IN ('a','b'c') AND p = '43' AND n = x"},
		// Altinity's formatter: context-aware.
		// (the context is judged per variable over the whole query).
		{Altinity, "r IN ($rule) AND p = '$province' AND n = $name", `r IN ('a','b\'c') AND p = '43' AND n = x`},
		{Altinity, "has($rule, r)", `has(['a', 'b\'c'], r)`},
		// Macros.
		{Official, "WHERE $__timeFilter(flushed_at) AND d >= $__fromTime AND d <= $__toTime",
			"WHERE flushed_at >= toDateTime(1739116800) AND flushed_at <= toDateTime(1742443200) AND d >= toDateTime(1739116800) AND d <= toDateTime(1742443200)"},
		{Official, "$__dateFilter(month)", "month >= toDate('2025-02-09') AND month <= toDate('2025-03-20')"},
		{Altinity, "WHERE $timeFilterByColumn(received_at) AND toDateTime($from) < toDateTime($to) AND $__from < $__to",
			"WHERE received_at >= toDateTime(1739116800) AND received_at <= toDateTime(1742443200) AND toDateTime(1739116800) < toDateTime(1742443200) AND 1739116800000 < 1742443200000"},
		// A "$" inside a string literal is text.
		{Official, "SELECT '$5'", "SELECT '$5'"},
	} {
		got, err := Interpolate(tc.sql, tc.p, in)
		if err != nil || got != tc.out {
			t.Errorf("%s: Interpolate(%q)\n got %q, %v\nwant %q", tc.p.Short(), tc.sql, got, err, tc.out)
		}
	}
	for _, tc := range []struct {
		p   Plugin
		sql string
	}{
		{Altinity, "SELECT * FROM $table"},
		{Altinity, "WHERE $timeFilter"},
		{Official, "GROUP BY $__timeInterval(t)"},
		{Official, "WHERE x = $unknown"},
		{Official, "WHERE x IN (${rule:json})"},
		{Altinity, "WHERE $__timeFilter(t)"}, // the other plugin's macro
	} {
		if got, err := Interpolate(tc.sql, tc.p, in); err == nil {
			t.Errorf("%s: Interpolate(%q) = %q, want an error", tc.p.Short(), tc.sql, got)
		}
	}
}

// TestVariableDefault: without a current value Grafana selects "All"
// where it is offered, else the first option in sort order.
func TestVariableDefault(t *testing.T) {
	multi := Variable{Multi: true, IncludeAll: true, Options: []string{"b", "a"}}.Default()
	if !multi.All || multi.Values != nil {
		t.Errorf("multi with All: %+v", multi)
	}
	single := Variable{Options: SortOptions([]string{"43", "22"}, 1)}.Default()
	if !reflect.DeepEqual(single.Values, []string{"22"}) {
		t.Errorf("sorted single: %+v", single)
	}
	unsorted := Variable{Options: SortOptions([]string{"43", "22"}, 0)}.Default()
	if !reflect.DeepEqual(unsorted.Values, []string{"43"}) {
		t.Errorf("unsorted single: %+v", unsorted)
	}
}

func TestParsePlugin(t *testing.T) {
	for in, want := range map[string]Plugin{"": Official, "official": Official, string(Official): Official,
		"altinity": Altinity, string(Altinity): Altinity} {
		if got, err := ParsePlugin(in); err != nil || got != want {
			t.Errorf("ParsePlugin(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParsePlugin("mysql"); err == nil {
		t.Error("ParsePlugin accepted mysql")
	}
}

func TestDataSourceFromDSN(t *testing.T) {
	off, err := DataSourceFromDSN(Official, "clickhouse://default:secret@ch.example:9000/bw")
	if err != nil || off.Host != "ch.example" || off.Port != 9000 || off.Database != "bw" || off.User != "grafana" {
		t.Errorf("official: %+v, %v", off, err)
	}
	alt, err := DataSourceFromDSN(Altinity, "clickhouse://default:@127.0.0.1:19000/burdenwatch")
	if err != nil || alt.Port != 18123 || alt.settings().top["url"] != "http://127.0.0.1:18123/?database=burdenwatch" ||
		alt.settings().json["usePOST"] != true {
		t.Errorf("altinity: %+v, %v", alt, err)
	}
	if _, err := DataSourceFromDSN(Official, "tcp://x"); err == nil {
		t.Error("accepted a non-clickhouse DSN")
	}
}

func TestWriteProvisioning(t *testing.T) {
	dir := t.TempDir()
	ds, err := DataSourceFromDSN(Official, "clickhouse://default:@127.0.0.1:19000/burdenwatch")
	if err != nil {
		t.Fatal(err)
	}
	files, err := WriteProvisioning(Provisioning{Dir: dir}, ds, buildAll(t, Official))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 7 {
		t.Fatalf("files %v", files)
	}
	for _, f := range []string{"bw-province-overview.json", "bw-county-detail.json", "bw-rule-results.json", "bw-pipeline-health.json"} {
		if _, err := os.Stat(filepath.Join(dir, "dashboards", f)); err != nil {
			t.Error(err)
		}
	}
	provider, _ := os.ReadFile(filepath.Join(dir, "provisioning", "dashboards", "burdenwatch.yaml"))
	if !strings.Contains(string(provider), "type: file") || !strings.Contains(string(provider), `path: "`+filepath.Join(dir, "dashboards")+`"`) {
		t.Errorf("provider:\n%s", provider)
	}
	source, _ := os.ReadFile(filepath.Join(dir, "provisioning", "datasources", "clickhouse.yaml"))
	for _, s := range []string{`type: "grafana-clickhouse-datasource"`, `uid: "burdenwatch-clickhouse"`, `host: "127.0.0.1"`,
		"port: 19000", `protocol: "native"`, `username: "grafana"`, `defaultDatabase: "burdenwatch"`, `password: "grafana"`} {
		if !strings.Contains(string(source), s) {
			t.Errorf("datasource file lacks %s:\n%s", s, source)
		}
	}
}
