package dashboards

import (
	"context"
	"fmt"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/clickhouse"
	"github.com/burdenwatch/burdenwatch/internal/testenv"
)

var cst = time.FixedZone("CST", 8*3600)

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04:05", s, cst)
	if err != nil {
		panic(err)
	}
	return t
}

// Time ranges of the test: months 2025-02 and 2025-03 for the results
// dashboards, half an hour for pipeline health.
var (
	monthsFrom, monthsTo = at("2025-02-10 00:00:00"), at("2025-03-20 12:00:00")
	healthFrom, healthTo = at("2025-03-01 10:00:00"), at("2025-03-01 10:30:00")
)

// counties of the fixture: index (in values), province, current name.
var fixtureCounties = []struct {
	code, province, name string
	index                int
}{
	{"430102", "43", "芙蓉区", 1},
	{"430103", "43", "天心区", 2},
	{"330102", "33", "上城区", 3},
}

func allIndicatorIDs() []string {
	var ids []string
	for _, g := range indicatorGroups() {
		for _, ind := range g.indicators {
			ids = append(ids, ind.id)
		}
	}
	return ids
}

// indicatorValue is the fixture's value of an indicator; ytd is 10× the
// value for indicators at even positions and NULL otherwise.
func indicatorValue(county, month int, id string) float64 {
	for k, x := range allIndicatorIDs() {
		if x == id {
			return float64(county*1000 + month*100 + k)
		}
	}
	panic(id)
}

func hasYTD(id string) bool {
	for k, x := range allIndicatorIDs() {
		if x == id {
			return k%2 == 0
		}
	}
	return false
}

func insert(t *testing.T, db *clickhouse.DB, table string, cols []string, rows [][]any) {
	t.Helper()
	ctx := context.Background()
	b, err := db.Conn().PrepareBatch(ctx, "INSERT INTO "+table+" ("+strings.Join(cols, ", ")+")")
	if err != nil {
		t.Fatalf("prepare %s: %v", table, err)
	}
	for _, r := range rows {
		if err := b.Append(r...); err != nil {
			t.Fatalf("append %s %v: %v", table, r, err)
		}
	}
	if err := b.Send(); err != nil {
		t.Fatalf("insert %s: %v", table, err)
	}
}

func date(y int, m time.Month) time.Time { return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC) }

func loadFixture(t *testing.T, db *clickhouse.DB) {
	t.Helper()
	now := time.Now()
	insert(t, db, "ref_loads", []string{"dataset", "scope", "load_version", "rows", "source", "loaded_at"}, [][]any{
		{"observation_points", "43", uint64(1), uint32(1), "old", now},
		{"observation_points", "43", uint64(2), uint32(2), "new", now},
		{"observation_points", "33", uint64(1), uint32(1), "new", now},
	})
	points := [][]any{{"43", uint64(1), "43", "430102", "旧名称", date(2024, 1)}}
	for _, c := range fixtureCounties {
		version := uint64(2)
		if c.province == "33" {
			version = 1
		}
		points = append(points, []any{c.province, version, c.province, c.code, c.name, date(2024, 1)})
	}
	insert(t, db, "ref_observation_points", []string{"scope", "load_version", "province_code", "county_code", "county_name", "designated_from"}, points)
	insertIndicators(t, db)
	insertRuleResults(t, db)
	insertPipeline(t, db)
	insertAlerts(t, db)
	insertScans(t, db)
}

func insertAlerts(t *testing.T, db *clickhouse.DB) {
	type a struct {
		id, level, prov, county string
		year                    uint16
		scope                   string
		value, limit, projected float64
		month                   time.Month
		version                 uint64
	}
	var rows [][]any
	for _, x := range []a{
		{"a1", "breach", "43", "430102", 2025, "documents.quota", 30, 24, 40, 3, 2},
		{"a1", "breach", "43", "430102", 2025, "documents.quota", -1, -1, -1, 3, 1}, // superseded
		{"a2", "notice", "43", "430103", 2025, "meetings.quota", 10, 12, 15, 2, 1},
		{"a3", "breach", "43", "430103", 2024, "meetings.quota", 13, 12, 13, 11, 1}, // other year
		{"a4", "breach", "33", "330102", 2025, "documents.quota", 30, 24, 40, 3, 1}, // other province
	} {
		rows = append(rows, []any{x.id, x.level, x.prov, x.county, x.year, x.scope, x.value, x.limit, x.projected,
			date(int(x.year), x.month), at("2025-03-05 10:00:00"), x.version})
	}
	insert(t, db, "alerts", []string{"alert_id", "level", "province_code", "county_code", "year", "scope", "value", "`limit`",
		"projected", "month", "first_seen", "version"}, rows)
}

func insertScans(t *testing.T, db *clickhouse.DB) {
	type s struct {
		id, at, county, prov, verdict string
		reasons                       []string
	}
	var rows [][]any
	for _, x := range []s{
		{"s1", "2025-03-01 09:00:00", "430102", "43", "accept", []string{}},
		{"s2", "2025-03-01 15:00:00", "430102", "43", "may_refuse", []string{"registered", "visit_cap"}},
		{"s3", "2025-03-02 10:00:00", "430103", "43", "may_refuse", []string{"registered", "crowding"}},
		{"s4", "2025-01-02 10:00:00", "430103", "43", "may_refuse", []string{"registered"}}, // out of range
		{"s5", "2025-03-02 10:00:00", "330102", "33", "may_refuse", []string{"registered"}}, // other province
	} {
		rows = append(rows, []any{x.id, at(x.at), "C-" + x.id, x.county + "001", x.county, x.prov, "ISS", "PLAN", x.verdict,
			x.reasons, uint32(1), []string{"张三"}, []string{"科员"}, at(x.at)})
	}
	insert(t, db, "scans", []string{"scan_id", "scanned_at", "inspection_code", "unit_code", "county_code", "province_code",
		"issuer_code", "plan_code", "verdict", "reasons", "accompanying", "accompanying_names", "accompanying_roles", "recorded_at"}, rows)
}

func insertIndicators(t *testing.T, db *clickhouse.DB) {
	var rows [][]any
	for _, c := range fixtureCounties {
		for m := 1; m <= 4; m++ {
			for k, id := range allIndicatorIDs() {
				v := indicatorValue(c.index, m, id)
				var ytd *float64
				if k%2 == 0 {
					ytd = ptr(v * 10)
				}
				rows = append(rows, []any{c.province, c.code, date(2025, time.Month(m)), id, &v, ytd, time.Now(), uint64(2)})
			}
		}
	}
	// A superseded computation that FINAL must hide.
	rows = append(rows, []any{"43", "430102", date(2025, 2), "burden_index", ptr(-1.0), ptr(-1.0), time.Now(), uint64(1)})
	insert(t, db, "indicators", []string{"province_code", "county_code", "month", "indicator", "value", "ytd", "computed_at", "version"}, rows)
}

func insertRuleResults(t *testing.T, db *clickhouse.DB) {
	type r struct {
		rule, sev, prov, county string
		month                   time.Month
		issuer, scope           string
		value, limit            float64
		citation                string
		active                  uint8
		version                 uint64
	}
	results := []r{
		{"document.length", "violation", "43", "430102", 2, "省发改委", "e1", 12, 10, "ZJ 5", 1, 1},
		{"inspection.uncoded", "violation", "43", "430102", 3, "省应急管理厅", "e2", 1, 0, "HN 一.2", 1, 1},
		{"document.upward_report", "warning", "43", "430103", 3, "省发改委", "e3", 1, 0, "ZJ 6", 1, 1},
		{"inspection.crowding", "violation", "43", "430102", 2, "省教育厅", "w1", 2, 2, "HN 三", 1, 1},
		{"inspection.crowding", "violation", "43", "430102", 2, "省教育厅", "w1", 2, 2, "HN 三", 0, 2}, // withdrawn
		{"document.length", "violation", "43", "430102", 1, "省发改委", "e0", 11, 10, "ZJ 5", 1, 1},   // out of range
		{"document.cascade", "violation", "33", "330102", 3, "浙江省某厅", "e9", 1, 0, "ZJ 4", 1, 1},   // other province
		{"meeting.no_meeting_day", "warning", "43", "430103", 3, "", "m1", 1, 0, "HN 二", 1, 1},    // no issuer name
	}
	var rows [][]any
	for _, x := range results {
		rows = append(rows, []any{x.rule, x.sev, x.prov, x.county, uint16(2025), date(2025, x.month), "code-" + x.issuer,
			x.issuer, x.scope, x.value, x.limit, []string{x.scope, x.scope + "b"}, x.citation, x.active, time.Now(), x.version})
	}
	insert(t, db, "rule_results", []string{"rule_id", "severity", "province_code", "county_code", "year", "month", "issuer_code",
		"issuer_name", "scope", "value", "`limit`", "event_ids", "citation", "active", "computed_at", "version"}, rows)
}

func insertPipeline(t *testing.T, db *clickhouse.DB) {
	ctx := context.Background()
	for _, b := range []clickhouse.IngestBatch{
		{FlushedAt: at("2025-03-01 10:00:05"), Events: 120, DeadLetters: 6, Lag: 50},
		{FlushedAt: at("2025-03-01 10:00:40"), Events: 60, DeadLetters: 0, Lag: 20},
		{FlushedAt: at("2025-03-01 10:01:10"), Events: 30, DeadLetters: 3, Lag: 5},
		{FlushedAt: at("2025-01-01 09:00:00"), Events: 999, DeadLetters: 99, Lag: 999}, // out of range
	} {
		b.Topic, b.Group, b.Messages = "burden.events", "burdenwatch", b.Events+b.DeadLetters
		if err := db.LogIngestBatch(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	dl := func(ts string, offset int64, code, reason string) bw.DeadLetter {
		return bw.DeadLetter{ReceivedAt: at(ts), Topic: "burden.events", Partition: 1, Offset: offset,
			Raw: []byte(`{"bad":` + strconv.FormatInt(offset, 10)), Reason: reason, ReasonCode: code, Field: "payload"}
	}
	letters := []bw.DeadLetter{
		dl("2025-03-01 10:00:10", 7, "bad_json", "不是合法的 JSON"),
		dl("2025-03-01 10:00:20", 8, "unknown_county", "county_code 不是观测点"),
		dl("2025-03-01 10:01:00", 9, "bad_json", "不是合法的 JSON"),
		dl("2025-01-01 09:00:00", 1, "bad_json", "过期"), // out of range
	}
	if err := db.InsertDeadLetters(ctx, letters); err != nil {
		t.Fatal(err)
	}
	// A redelivery of offset 7 after a crash: FINAL keeps one row.
	if err := db.InsertDeadLetters(ctx, letters[:1]); err != nil {
		t.Fatal(err)
	}
}

// readOnly connects to the test database as the read-only grafana user,
// as Grafana does (deploy/clickhouse/users.xml.tmpl). It fails when that
// user cannot connect: querying as an admin would hide what the data
// source may not do.
func readOnly(t *testing.T, dsn string) *clickhouse.DB {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(DefaultDatasourceUser, DefaultDatasourcePassword)
	db, err := clickhouse.Open(context.Background(), u.String(), false)
	if err != nil {
		t.Fatalf("the read-only user %s cannot connect (%v): is deploy/clickhouse/users.xml.tmpl installed?", DefaultDatasourceUser, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestReadOnlyUser: the data source's account can read but not write.
func TestReadOnlyUser(t *testing.T) {
	db, dsn := testenv.ClickHouse(t)
	loadFixture(t, db)
	ro := readOnly(t, dsn)
	ctx := context.Background()
	var n uint64
	if err := ro.Conn().QueryRow(ctx, "SELECT count() FROM indicators").Scan(&n); err != nil || n == 0 {
		t.Fatalf("SELECT as %s: %d rows, %v", DefaultDatasourceUser, n, err)
	}
	for _, stmt := range []string{
		"INSERT INTO alerts (alert_id) VALUES ('x')",
		"DROP TABLE alerts",
		"CREATE TABLE grafana_was_here (x UInt8) ENGINE = Memory",
		"ALTER TABLE alerts DELETE WHERE 1",
	} {
		if err := ro.Exec(ctx, stmt); err == nil {
			t.Errorf("%s as %s succeeded", stmt, DefaultDatasourceUser)
		} else {
			t.Logf("%s refused: %v", stmt, err)
		}
	}
	if err := db.Conn().QueryRow(ctx, "SELECT count() FROM alerts").Scan(&n); err != nil || n == 0 {
		t.Errorf("alerts after the refused statements: %d rows, %v", n, err)
	}
}

// fixtureVars are the variables of TestPanelSQL: province 43, county
// 430102, and "All" (with its custom all-value) for rules and issuers.
func fixtureVars(from, to time.Time) Interpolation {
	all := Variable{Multi: true, IncludeAll: true, AllValue: allValue, All: true}
	return Interpolation{From: from, To: to, Vars: map[string]Variable{
		"province": {Values: []string{"43"}}, "county": {Values: []string{"430102"}}, "rule": all, "issuer": all}}
}

// TestPanelSQL runs every panel's SQL, interpolated as Grafana does,
// against ClickHouse on the fixture as the read-only user, for both
// plugins, and compares the rows.
func TestPanelSQL(t *testing.T) {
	db, dsn := testenv.ClickHouse(t)
	loadFixture(t, db)
	query := readOnly(t, dsn)
	want := expectations()
	for _, p := range Plugins() {
		for _, d := range buildAll(t, p) {
			from, to := monthsFrom, monthsTo
			if d.UID == UIDHealth {
				from, to = healthFrom, healthTo
			}
			for _, panel := range allPanels(d.Model) {
				title := *panel.Title
				for _, target := range panel.Targets {
					q := target.(Query)
					sql, err := Interpolate(q.SQL, p, fixtureVars(from, to))
					if err != nil {
						t.Errorf("%s/%s: %v", p.Short(), title, err)
						continue
					}
					got := run(t, query, p, q.Format, sql)
					exp, ok := want[d.UID+"/"+title]
					if !ok {
						t.Errorf("%s/%s: no expectation; rows %v", d.UID, title, got)
						continue
					}
					if !reflect.DeepEqual(got, exp) {
						t.Errorf("%s %s/%s:\n got %v\nwant %v\nSQL:\n%s", p.Short(), d.UID, title, got, exp, sql)
					}
				}
			}
		}
	}
}

// TestRuleVariables: selecting rules and issuers narrows the results, and
// selecting every issuer one by one keeps the results without an issuer
// name, as "All" does.
func TestRuleVariables(t *testing.T) {
	db, dsn := testenv.ClickHouse(t)
	loadFixture(t, db)
	ro := readOnly(t, dsn)
	for _, p := range Plugins() {
		in := fixtureVars(monthsFrom, monthsTo)
		in.Vars["rule"] = Variable{Multi: true, IncludeAll: true, AllValue: allValue, Values: []string{"document.length", "inspection.uncoded"}}
		in.Vars["issuer"] = Variable{Multi: true, IncludeAll: true, AllValue: allValue, Values: []string{"省发改委"}}
		if got, want := runPanel(t, ro, p, ruleCountsSQL(p), in), [][]string{{"document.length", "1", "0"}}; !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %v, want %v", p.Short(), got, want)
		}
		in = fixtureVars(monthsFrom, monthsTo)
		all := runPanel(t, ro, p, issuerCountsSQL(p), in)
		var issuers []string
		for _, row := range runPanel(t, ro, p, issuerVariableSQL(), in) {
			issuers = append(issuers, row[0])
		}
		in.Vars["issuer"] = Variable{Multi: true, IncludeAll: true, AllValue: allValue, Options: issuers, Values: issuers}
		every := runPanel(t, ro, p, issuerCountsSQL(p), in)
		if !reflect.DeepEqual(every, all) || len(all) != 3 {
			t.Errorf("%s: every issuer %v, All %v (issuers %q)", p.Short(), every, all, issuers)
		}
	}
}

func runPanel(t *testing.T, db *clickhouse.DB, p Plugin, sql string, in Interpolation) [][]string {
	t.Helper()
	out, err := Interpolate(sql, p, in)
	if err != nil {
		t.Fatal(err)
	}
	return run(t, db, p, FormatTable, out)
}

// run executes sql and returns its rows as strings. Time series results of
// both plugins are brought to (t in ms, series, value) rows, sorted.
func run(t *testing.T, db *clickhouse.DB, p Plugin, f Format, sql string) [][]string {
	t.Helper()
	if f == FormatTimeSeries {
		if p == Altinity {
			sql = "SELECT t, tupleElement(kv, 1) AS series, tupleElement(kv, 2) AS value FROM (\n" + sql + "\n) ARRAY JOIN groupArr AS kv"
		} else {
			sql = "SELECT toUInt64(time) * 1000 AS t, series, value FROM (\n" + sql + "\n)"
		}
	}
	rows, err := db.Conn().Query(context.Background(), sql)
	if err != nil {
		t.Fatalf("%v\nSQL:\n%s", err, sql)
	}
	defer rows.Close()
	var out [][]string
	types := rows.ColumnTypes()
	for rows.Next() {
		dest := make([]any, len(types))
		for i, ct := range types {
			dest[i] = reflect.New(ct.ScanType()).Interface()
		}
		if err := rows.Scan(dest...); err != nil {
			t.Fatalf("scan: %v\nSQL:\n%s", err, sql)
		}
		row := make([]string, len(dest))
		for i, v := range dest {
			row[i] = text(reflect.ValueOf(v))
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if f == FormatTimeSeries {
		sort.Slice(out, func(i, j int) bool { return strings.Join(out[i], "\x00") < strings.Join(out[j], "\x00") })
	}
	return out
}

func text(v reflect.Value) string {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return "NULL"
		}
		v = v.Elem()
	}
	switch x := v.Interface().(type) {
	case time.Time:
		return x.In(cst).Format("2006-01-02 15:04:05")
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v.Interface())
}
