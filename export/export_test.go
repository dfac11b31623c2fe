package export

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/clickhouse"
	"github.com/burdenwatch/burdenwatch/internal/testenv"
)

// stats are per-month aggregates of one table: month → values.
type stats map[string][]float64

// Reference aggregates computed by ClickHouse. The FINAL subqueries are
// filtered outside, after the merge; with province they take one argument.
const (
	chEventStats = `SELECT formatDateTime(toStartOfMonth(occurred_at), '%%Y-%%m') AS mo, toFloat64(count()),
		toFloat64(sum(pages)), toFloat64(sum(team_size)), toFloat64(sum(duration_minutes)),
		toFloat64(sum(length(veto_items))), toFloat64(sum(toUnixTimestamp(occurred_at)))
		FROM (SELECT * FROM events FINAL) %s GROUP BY mo ORDER BY mo`
	chIndicatorStats = `SELECT formatDateTime(month, '%%Y-%%m') AS mo, toFloat64(count()),
		sumIf(assumeNotNull(value), isNotNull(value) AND isFinite(assumeNotNull(value))),
		toFloat64(countIf(isNull(value) OR NOT isFinite(assumeNotNull(value)))),
		sumIf(assumeNotNull(ytd), isNotNull(ytd) AND isFinite(assumeNotNull(ytd)))
		FROM (SELECT * FROM indicators FINAL) %s GROUP BY mo ORDER BY mo`
	chRuleStats = `SELECT formatDateTime(month, '%%Y-%%m') AS mo, toFloat64(count()), sum(value), sum(` + "`limit`" + `),
		toFloat64(sum(length(event_ids)))
		FROM (SELECT * FROM rule_results FINAL) WHERE active = 1 %s GROUP BY mo ORDER BY mo`
)

// fixture is a migrated test database holding the scenario.
type fixture struct {
	db  *clickhouse.DB
	loc *time.Location
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db, _ := testenv.ClickHouse(t)
	fx := &fixture{db: db, loc: bw.Location()}
	fx.insertEvents(t)
	fx.insertIndicators(t)
	fx.insertRuleResults(t)
	return fx
}

// event builds a valid event of kind at time at (RFC 3339) on county.
func (fx *fixture) event(id string, rev uint32, kind bw.Kind, at, county string, n int) *bw.Event {
	ts, err := time.Parse(time.RFC3339, at)
	if err != nil {
		panic(err)
	}
	ev := &bw.Event{
		ID: id, Revision: rev, Kind: kind, OccurredAt: ts.In(fx.loc), CountyCode: county,
		UnitCode: county + "001", TargetLevel: bw.LevelTownship, Source: "无扰督查系统",
		Issuer: bw.Issuer{Code: "ISS" + county[:2], Name: "省应急管理厅", Level: "province", Kind: "department"},
	}
	switch kind {
	case bw.KindInspection:
		ev.Inspection = bw.Inspection{Category: "special", Mode: "covert", OnSite: true, TeamSize: uint32(n),
			Accompanying: 2, Topic: "防汛备汛", Approved: n%2 == 0, EndAt: ts.Add(3 * time.Hour)}
	case bw.KindMeeting:
		ev.Meeting = bw.Meeting{Title: "全省安全生产视频会", DurationMinutes: uint32(60 + n), Attendees: 10, Format: "video", Scale: "large"}
	case bw.KindDocument:
		ev.Document = bw.Document{DocNumber: "湘政办发〔2025〕12号", DocType: "policy", Pages: uint32(n), VetoItems: []string{"安全生产"}}
	case bw.KindDataReport:
		ev.DataReport = bw.DataReport{FormID: "F1", Title: "防汛物资统计表", Fields: 20, DuplicateFields: 3, EstimatedMinutes: 45, Frequency: "monthly"}
	}
	return ev
}

func (fx *fixture) insert(t *testing.T, evs ...*bw.Event) {
	t.Helper()
	var rows clickhouse.EventRows
	for _, ev := range evs {
		rows.Append(ev, bw.Version(ev.Revision, []byte(fmt.Sprintf("%s/%d/%v", ev.ID, ev.Revision, ev.OccurredAt))),
			clickhouse.Delivery{Topic: "burden.events", Offset: int64(rows.Len())})
	}
	if err := fx.db.InsertEvents(context.Background(), []*clickhouse.EventRows{&rows}, 1); err != nil {
		t.Fatal(err)
	}
}

// insertEvents inserts, in separate parts so that FINAL has work to do:
// January 2025 for county 430102 (30 events, incl. one exact duplicate and
// a month-end event), a revision that moves an event from January to
// February, one whose later-arriving older revision would move it to
// March, a Beijing-time February event that is still January in UTC, and
// March events of county 330106 in province 33.
func (fx *fixture) insertEvents(t *testing.T) {
	var jan []*bw.Event
	for i := 1; i <= 12; i++ {
		jan = append(jan, fx.event(fmt.Sprintf("i%02d", i), 0, bw.KindInspection, fmt.Sprintf("2025-01-%02dT09:00:00+08:00", i), "430102", i))
	}
	for i := 1; i <= 6; i++ {
		jan = append(jan, fx.event(fmt.Sprintf("m%02d", i), 0, bw.KindMeeting, fmt.Sprintf("2025-01-%02dT14:30:00+08:00", i+10), "430102", i))
	}
	for i := 1; i <= 5; i++ {
		jan = append(jan, fx.event(fmt.Sprintf("d%02d", i), 0, bw.KindDocument, fmt.Sprintf("2025-01-%02dT10:00:00+08:00", i+15), "430102", i+2))
	}
	for i := 1; i <= 4; i++ {
		jan = append(jan, fx.event(fmt.Sprintf("f%02d", i), 0, bw.KindDataReport, fmt.Sprintf("2025-01-%02dT11:00:00+08:00", i+20), "430102", i))
	}
	dup := fx.event("dup-1", 0, bw.KindInspection, "2025-01-25T09:00:00+08:00", "430102", 7)
	jan = append(jan, dup, fx.event("b-jan", 0, bw.KindDocument, "2025-01-31T23:30:00+08:00", "430102", 4))
	fx.insert(t, append(jan, fx.event("rev-1", 0, bw.KindDocument, "2025-01-20T10:00:00+08:00", "430102", 5))...)
	fx.insert(t, dup, fx.event("rev-2", 1, bw.KindDocument, "2025-01-28T10:00:00+08:00", "430102", 30))
	fx.insert(t,
		fx.event("rev-1", 1, bw.KindDocument, "2025-02-10T10:00:00+08:00", "430102", 12),
		fx.event("b-feb", 0, bw.KindMeeting, "2025-02-01T00:30:00+08:00", "430102", 5),
		fx.event("feb-i", 0, bw.KindInspection, "2025-02-12T09:00:00+08:00", "430102", 3),
	)
	fx.insert(t,
		fx.event("rev-2", 0, bw.KindDocument, "2025-03-05T10:00:00+08:00", "430102", 3),
		fx.event("zj-1", 0, bw.KindInspection, "2025-03-03T09:00:00+08:00", "330106", 4),
		fx.event("zj-2", 0, bw.KindDataReport, "2025-03-04T09:00:00+08:00", "330106", 1),
		fx.event("zj-3", 0, bw.KindMeeting, "2025-03-05T09:00:00+08:00", "330106", 2),
	)
}

func monthDate(s string) time.Time {
	m, _ := time.Parse(monthFormat, s)
	return m
}

// insertIndicators writes indicators in two batches; the second replaces
// January's documents value (version 2), and holds a NULL and a NaN.
func (fx *fixture) insertIndicators(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	type ind struct {
		county, month, id string
		value, ytd        *float64
		version           uint64
	}
	f := func(v float64) *float64 { return &v }
	batches := [][]ind{{
		{"430102", "2025-01", "documents", f(7), f(7), 1},
		{"430102", "2025-01", "meetings", f(6), f(6), 1},
		{"430102", "2025-01", "meeting_hours", f(6.5), f(6.5), 1},
		{"430102", "2025-02", "documents", f(1), f(9), 1},
		{"330106", "2025-03", "inspections", f(1), f(1), 1},
	}, {
		{"430102", "2025-01", "documents", f(8), f(8), 2},
		{"430102", "2025-01", "documents_quota_used", nil, nil, 2},
		{"430102", "2025-01", "inspections_covert_share", f(math.NaN()), f(math.NaN()), 2},
	}}
	for _, batch := range batches {
		b, err := fx.db.Conn().PrepareBatch(ctx, "INSERT INTO indicators (province_code, county_code, month, indicator, value, ytd, computed_at, version)")
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range batch {
			if err := b.Append(r.county[:2], r.county, monthDate(r.month), r.id, r.value, r.ytd, now, r.version); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.Send(); err != nil {
			t.Fatal(err)
		}
	}
}

// insertRuleResults writes rule results in two batches; the second
// deactivates one January result and moves another to February.
func (fx *fixture) insertRuleResults(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	type res struct {
		rule, county, month, issuer, scope string
		value, limit                       float64
		ids                                []string
		active                             uint8
		version                            uint64
	}
	batches := [][]res{{
		{"inspection.unplanned", "430102", "2025-01", "ISS43", "event=i01", 1, 0, []string{"i01"}, 1, 1},
		{"inspection.uncoded", "430102", "2025-01", "ISS43", "event=i02", 1, 0, []string{"i02"}, 1, 1},
		{"inspection.crowding", "430102", "2025-01", "", "county=430102;window=i05", 3, 2, []string{"i03", "i04", "i05"}, 1, 1},
		{"document.quota", "430102", "2025-01", "", "county=430102;year=2025", 8, 6, []string{"d01", "d02"}, 1, 1},
		{"meeting.cascade", "330106", "2025-03", "ISS33", "event=zj-3", 1, 0, []string{"zj-3"}, 1, 1},
	}, {
		{"inspection.uncoded", "430102", "2025-01", "ISS43", "event=i02", 1, 0, []string{"i02"}, 0, 2},
		{"document.quota", "430102", "2025-02", "", "county=430102;year=2025", 9, 6, []string{"d01", "d02", "rev-1"}, 1, 2},
	}}
	q := "INSERT INTO rule_results (rule_id, severity, province_code, county_code, year, month, issuer_code, issuer_name," +
		" scope, value, `limit`, event_ids, citation, active, computed_at, version)"
	for _, batch := range batches {
		b, err := fx.db.Conn().PrepareBatch(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range batch {
			name := ""
			if r.issuer != "" {
				name = "省应急管理厅"
			}
			if err := b.Append(r.rule, "violation", r.county[:2], r.county, uint16(2025), monthDate(r.month), r.issuer, name,
				r.scope, r.value, r.limit, r.ids, "HN 一.1", r.active, now, r.version); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.Send(); err != nil {
			t.Fatal(err)
		}
	}
}

// chStats runs a reference query whose first column is the month and the
// others Float64 aggregates.
func (fx *fixture) chStats(t *testing.T, q string, args ...any) stats {
	t.Helper()
	rows, err := fx.db.Conn().Query(context.Background(), q, args...)
	if err != nil {
		t.Fatalf("reference query: %v\n%s", err, q)
	}
	defer rows.Close()
	out := stats{}
	for rows.Next() {
		var month string
		vals := make([]float64, len(rows.Columns())-1)
		dest := []any{&month}
		for i := range vals {
			dest = append(dest, &vals[i])
		}
		if err := rows.Scan(dest...); err != nil {
			t.Fatal(err)
		}
		out[month] = vals
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// referenceStats is what ClickHouse says the dataset holds, per table.
func (fx *fixture) referenceStats(t *testing.T, province string) map[string]stats {
	where, args := "", []any(nil)
	if province != "" {
		where, args = "WHERE province_code = ?", []any{province}
	}
	ruleWhere := strings.Replace(where, "WHERE", "AND", 1)
	return map[string]stats{
		"events":       fx.chStats(t, fmt.Sprintf(chEventStats, where), args...),
		"indicators":   fx.chStats(t, fmt.Sprintf(chIndicatorStats, where), args...),
		"rule_results": fx.chStats(t, fmt.Sprintf(chRuleStats, ruleWhere), args...),
	}
}

func (fx *fixture) export(t *testing.T, dir string, o Options) *Summary {
	t.Helper()
	o.Dir = dir
	if o.RowsPerFile == 0 {
		o.RowsPerFile, o.RowsPerRowGroup = 8, 3
	}
	sum, err := Export(context.Background(), fx.db, o)
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	return sum
}

// readTable reads every file of a table with parquet-go, checking that the
// month column matches the partition directory.
func readTable[R any](t *testing.T, dir, table string, month func(*R) string) map[string][]R {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "table="+table, "month=*", "part-*.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]R{}
	for _, f := range files {
		part := strings.TrimPrefix(filepath.Base(filepath.Dir(f)), "month=")
		rows, err := parquet.ReadFile[R](f)
		if err != nil {
			t.Fatalf("read %s: %v", f, err)
		}
		for i := range rows {
			if m := month(&rows[i]); m != part {
				t.Fatalf("%s: row with month %s in partition %s", f, m, part)
			}
		}
		out[part] = append(out[part], rows...)
	}
	return out
}

func val[T int64 | float64](p *T) float64 {
	if p == nil {
		return 0
	}
	return float64(*p)
}

func parquetStats(t *testing.T, dir string) map[string]stats {
	out := map[string]stats{"events": {}, "indicators": {}, "rule_results": {}}
	for m, rows := range readTable(t, dir, "events", func(r *eventRecord) string { return r.Month }) {
		s := make([]float64, 6)
		for _, r := range rows {
			s[0]++
			s[1] += val(r.Pages)
			s[2] += val(r.TeamSize)
			s[3] += val(r.Duration)
			s[4] += val(r.VetoItemCount)
			s[5] += float64(r.OccurredAt.Unix())
		}
		out["events"][m] = s
	}
	for m, rows := range readTable(t, dir, "indicators", func(r *indicatorRecord) string { return r.Month }) {
		s := make([]float64, 4)
		for _, r := range rows {
			s[0]++
			s[1] += val(r.Value)
			if r.Value == nil {
				s[2]++
			}
			s[3] += val(r.YTD)
		}
		out["indicators"][m] = s
	}
	for m, rows := range readTable(t, dir, "rule_results", func(r *ruleResultRecord) string { return r.Month }) {
		s := make([]float64, 4)
		for _, r := range rows {
			s[0]++
			s[1] += r.Value
			s[2] += r.Limit
			s[3] += float64(len(r.EventIDs))
		}
		out["rule_results"][m] = s
	}
	return out
}

func compareStats(t *testing.T, who string, want, got map[string]stats) {
	t.Helper()
	for table, w := range want {
		g := got[table]
		if len(w) != len(g) {
			t.Errorf("%s %s: months %v, ClickHouse has %v", who, table, keys(g), keys(w))
		}
		for m, wv := range w {
			gv, ok := g[m]
			if !ok || !closeAll(wv, gv) {
				t.Errorf("%s %s month %s: got %v, ClickHouse %v", who, table, m, gv, wv)
			}
		}
	}
}

func closeAll(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1e-6*math.Max(1, math.Abs(a[i])) {
			return false
		}
	}
	return true
}

func keys(s stats) []string {
	var out []string
	for k := range s {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestExportMatchesClickHouse(t *testing.T) {
	fx := newFixture(t)
	dir := filepath.Join(t.TempDir(), "dataset")
	sum := fx.export(t, dir, Options{})
	want := fx.referenceStats(t, "")
	compareStats(t, "parquet-go", want, parquetStats(t, dir))

	// The scenario's known answers, so that the reference cannot be wrong
	// in the same way as the export.
	ev := want["events"]
	if ev["2025-01"][0] != 30 || ev["2025-02"][0] != 3 || ev["2025-03"][0] != 3 {
		t.Errorf("events per month = %v, want 30/3/3 (duplicate once, revisions at their latest month)", want["events"])
	}
	if rr := want["rule_results"]; rr["2025-01"][0] != 2 || rr["2025-02"][0] != 1 {
		t.Errorf("rule results per month = %v, want 2 (Jan) and 1 (Feb)", rr)
	}
	if got := sum.Tables[0]; got.Rows != 36 || got.Months != 3 || len(got.Files) != 6 {
		t.Errorf("events summary: %d rows, %d months, %d files; want 36, 3, 6 (30 January rows roll at 8)",
			got.Rows, got.Months, len(got.Files))
	}
	checkRevisions(t, dir)
	checkLayout(t, dir, sum)
}

// checkRevisions checks the rows whose answer depends on FINAL.
func checkRevisions(t *testing.T, dir string) {
	t.Helper()
	byID := map[string]eventRecord{}
	for _, rows := range readTable(t, dir, "events", func(r *eventRecord) string { return r.Month }) {
		for _, r := range rows {
			if _, dup := byID[r.EventID]; dup {
				t.Errorf("event %s exported twice", r.EventID)
			}
			byID[r.EventID] = r
		}
	}
	for id, want := range map[string]struct {
		month string
		pages int64
	}{"rev-1": {"2025-02", 12}, "rev-2": {"2025-01", 30}, "b-jan": {"2025-01", 4}} {
		got := byID[id]
		if got.Month != want.month || got.Pages == nil || *got.Pages != want.pages {
			t.Errorf("%s: month %s pages %v, want %s and %d", id, got.Month, got.Pages, want.month, want.pages)
		}
	}
	if got := byID["b-feb"]; got.Month != "2025-02" || got.Pages != nil || got.Duration == nil {
		t.Errorf("b-feb (00:30 Beijing time on 1 February) = month %s pages %v duration %v; want February, null pages, a duration",
			got.Month, got.Pages, got.Duration)
	}
	if got := byID["i03"]; got.EndAt == nil || got.EndAt.Sub(got.OccurredAt) != 3*time.Hour || got.IssuerName != "省应急管理厅" {
		t.Errorf("i03: end_at %v, occurred_at %v, issuer %q", got.EndAt, got.OccurredAt, got.IssuerName)
	}
}

// checkLayout checks the files beside the data and the Parquet metadata.
func checkLayout(t *testing.T, dir string, sum *Summary) {
	t.Helper()
	for _, name := range []string{dictionaryMD, dictionaryCSV, manifestName} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("missing %s: %v", name, err)
		}
	}
	f := openParquet(t, filepath.Join(dir, "table=events", "month=2025-01", "part-0.parquet"))
	if n := len(f.RowGroups()); n != 3 {
		t.Errorf("part-0 of January: %d row groups, want 3 (8 rows in groups of 3)", n)
	}
	col := f.Metadata().RowGroups[0].Columns[0].MetaData
	if col.Codec.String() != "ZSTD" {
		t.Errorf("codec %s, want ZSTD", col.Codec)
	}
	if _, err := os.Stat(filepath.Join(dir, "table=events", "month=2025-01", "part-3.parquet")); err != nil {
		t.Errorf("January should roll into part-3: %v", err)
	}
	if sum.Files() != len(sum.Tables[0].Files)+len(sum.Tables[1].Files)+len(sum.Tables[2].Files) || sum.Bytes() <= 0 {
		t.Errorf("summary totals: %d files, %d bytes", sum.Files(), sum.Bytes())
	}
}

func openParquet(t *testing.T, path string) *parquet.File {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	return f
}

func TestExportRedact(t *testing.T) {
	fx := newFixture(t)
	dir := filepath.Join(t.TempDir(), "open")
	fx.export(t, dir, Options{Redact: true})
	compareStats(t, "redacted parquet-go", fx.referenceStats(t, ""), parquetStats(t, dir))

	left := map[string][]string{
		"events":       {"issuer_name", "source", "topic", "title", "doc_number", "veto_items"},
		"rule_results": {"issuer_name"},
	}
	for table, cols := range left {
		files, _ := filepath.Glob(filepath.Join(dir, "table="+table, "*", "*.parquet"))
		if len(files) == 0 {
			t.Fatalf("no %s files", table)
		}
		for _, path := range files {
			f := openParquet(t, path)
			for _, c := range cols {
				if _, ok := f.Schema().Lookup(c); ok {
					t.Errorf("%s still has column %s", path, c)
				}
			}
			if _, ok := f.Schema().Lookup("county_code"); !ok {
				t.Errorf("%s lost county_code", path)
			}
			raw, _ := os.ReadFile(path)
			for _, text := range []string{"省应急管理厅", "防汛备汛", "湘政办发", "无扰督查系统", "安全生产", "全省安全生产视频会"} {
				if bytes.Contains(raw, []byte(text)) {
					t.Errorf("%s contains redacted text %q", path, text)
				}
			}
		}
	}
	dict, err := os.ReadFile(filepath.Join(dir, dictionaryMD))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"`events.issuer_name`", "`events.doc_number`", "`rule_results.issuer_name`"} {
		if !bytes.Contains(dict, []byte(c)) {
			t.Errorf("dictionary does not list %s as left out", c)
		}
	}
	csv, _ := os.ReadFile(filepath.Join(dir, dictionaryCSV))
	if !bytes.Contains(csv, []byte("events,topic,,no,")) || !bytes.Contains(csv, []byte("no (redacted)")) {
		t.Errorf("CSV dictionary does not mark topic as left out:\n%s", csv)
	}
}

func TestExportFilters(t *testing.T) {
	fx := newFixture(t)
	dir := filepath.Join(t.TempDir(), "hn")
	fx.export(t, dir, Options{Province: "43"})
	compareStats(t, "province 43", fx.referenceStats(t, "43"), parquetStats(t, dir))
	if _, err := os.Stat(filepath.Join(dir, "table=events", "month=2025-03")); err == nil {
		t.Error("province 43 export has March events (only rev-2's superseded revision and province 33 are in March)")
	}

	fx.export(t, dir, Options{Month: "2025-02"}) // replaces the previous export
	got := parquetStats(t, dir)
	if len(got["events"]) != 1 || got["events"]["2025-02"][0] != 3 || len(got["rule_results"]) != 1 {
		t.Errorf("month 2025-02 export: %v", got)
	}
}

func TestExportAtomic(t *testing.T) {
	fx := newFixture(t)
	parent := t.TempDir()

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Export(ctx, fx.db, Options{Dir: filepath.Join(parent, "failed")})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("export with a cancelled context: %v, want context.Canceled", err)
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 0 {
		t.Errorf("failed export left %v", entries)
	}

	foreign := filepath.Join(parent, "foreign")
	if err := os.MkdirAll(foreign, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(foreign, "notes.txt"), []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Export(context.Background(), fx.db, Options{Dir: foreign}); err == nil {
		t.Error("export replaced a directory that is not a previous export")
	}
	if data, _ := os.ReadFile(filepath.Join(foreign, "notes.txt")); string(data) != "keep" {
		t.Error("foreign directory was modified")
	}
	for _, c := range []struct {
		opts         Options
		field, value string
	}{
		{Options{Dir: parent, Province: "4x"}, "province", "4x"},
		{Options{Dir: parent, Month: "2025-13"}, "month", "2025-13"},
		{Options{}, "dir", ""},
	} {
		_, err := Export(context.Background(), fx.db, c.opts)
		var oe *OptionError
		if !errors.As(err, &oe) || oe.Field != c.field || oe.Value != c.value || !strings.Contains(err.Error(), c.field) {
			t.Errorf("options %+v: error %v, want an OptionError of field %s value %q", c.opts, err, c.field, c.value)
		}
	}
}

// TestDictionaryComplete checks that every written column is documented
// and every documented column is written, in both modes.
func TestDictionaryComplete(t *testing.T) {
	for _, redact := range []bool{false, true} {
		f := filter{redact: redact}
		for _, e := range exporters() {
			schema := schemaOf(e.model, e.doc, f)
			var names []string
			for _, fld := range schema.Fields() {
				names = append(names, fld.Name())
				if c := docOf(e.doc, fld.Name()); c.zh == "?" || c.en == "" {
					t.Errorf("%s.%s has no documentation", e.doc.name, fld.Name())
				}
			}
			var want []string
			for _, c := range e.doc.columns {
				if !(c.redact && redact) {
					want = append(want, c.name)
				}
			}
			if !reflect.DeepEqual(names, want) {
				t.Errorf("%s (redact=%v): schema columns %v, documented %v", e.doc.name, redact, names, want)
			}
		}
	}
	types := map[string]string{}
	for _, e := range dictionary(exporters(), filter{}) {
		types[e.table+"."+e.col.name] = e.typ
	}
	for col, want := range map[string]string{
		"events.occurred_at": "TIMESTAMP(MILLIS, UTC)", "events.veto_items": "LIST<STRING>", "events.pages": "INT64",
		"events.approved": "BOOLEAN", "indicators.value": "DOUBLE", "rule_results.event_ids": "LIST<STRING>",
		"rule_results.month": "STRING",
	} {
		if types[col] != want {
			t.Errorf("dictionary type of %s = %q, want %q", col, types[col], want)
		}
	}
}
