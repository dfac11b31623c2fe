package dashboards

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExpand(t *testing.T) {
	from, to := at("2025-02-10 00:00:00"), at("2025-03-20 12:00:00") // 1739116800, 1742443200
	vars := map[string][]string{"province": {"43"}, "rule": {"a", "b'c"}}
	for _, tc := range []struct {
		p        Plugin
		sql, out string
	}{
		{Official, "WHERE $__timeFilter(flushed_at) AND p = '$province'",
			"WHERE flushed_at >= toDateTime(1739116800) AND flushed_at <= toDateTime(1742443200) AND p = '43'"},
		{Official, "m >= toStartOfMonth($__fromTime, 'Asia/Shanghai') AND m <= toDate($__toTime)",
			"m >= toStartOfMonth(toDateTime(1739116800), 'Asia/Shanghai') AND m <= toDate(toDateTime(1742443200))"},
		{Altinity, "WHERE $timeFilterByColumn(received_at)",
			"WHERE received_at >= toDateTime(1739116800) AND received_at <= toDateTime(1742443200)"},
		{Altinity, "toDateTime($from), toDateTime($to), $__from, $__to",
			"toDateTime(1739116800), toDateTime(1742443200), 1739116800000, 1742443200000"},
		{Altinity, "x IN (${rule:singlequote}) AND y = ${province} AND z = '$unknown'",
			`x IN ('a','b\'c') AND y = 43 AND z = '$unknown'`},
	} {
		if got := Expand(tc.sql, tc.p, from, to, vars); got != tc.out {
			t.Errorf("%s: Expand(%q)\n got %q\nwant %q", tc.p.Short(), tc.sql, got, tc.out)
		}
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
	if err != nil || alt.Port != 18123 || alt.settings().top["url"] != "http://127.0.0.1:18123" {
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
	if len(files) != 6 {
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
