package clickhouse_test

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"slices"
	"testing"
	"time"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/clickhouse"
	"github.com/burdenwatch/burdenwatch/internal/testenv"
)

func firstOf(m time.Month) time.Time {
	loc := bw.Location()
	return time.Date(2025, m, 1, 0, 0, 0, 0, loc)
}

func TestReplaceRuleResultsTombstones(t *testing.T) {
	ctx := context.Background()
	db, _ := testenv.ClickHouse(t)
	v := func(county, rule, scope string, value float64) bw.Violation {
		return bw.Violation{RuleID: rule, Severity: bw.SeverityViolation, CountyCode: county, Month: firstOf(3),
			IssuerCode: "ISS", Scope: scope, Value: value, Limit: 1, EventIDs: []string{"e2", "e1"}, Citation: "HN 一.1"}
	}
	first := []bw.Violation{v("430102", "r1", "a", 1), v("430102", "r2", "b", 2), v("430103", "r1", "c", 3)}
	if err := db.ReplaceRuleResults(ctx, "43", 2025, []string{"430102", "430103"}, first, map[string]string{"ISS": "省厅"}); err != nil {
		t.Fatal(err)
	}
	// The second run no longer finds b and c, and updates a's value; the
	// result of 430104 (not among the counties replaced) stays.
	other := v("430104", "r1", "d", 4)
	if err := db.ReplaceRuleResults(ctx, "43", 2025, []string{"430104"}, []bw.Violation{other}, nil); err != nil {
		t.Fatal(err)
	}
	second := []bw.Violation{v("430102", "r1", "a", 5)}
	if err := db.ReplaceRuleResults(ctx, "43", 2025, []string{"430102", "430103"}, second, nil); err != nil {
		t.Fatal(err)
	}
	got, err := db.RuleResults(ctx, "43", 2025)
	if err != nil {
		t.Fatal(err)
	}
	want := []bw.Violation{second[0], other}
	for i := range want {
		want[i].EventIDs = []string{"e1", "e2"}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("active results\n got %+v\nwant %+v", got, want)
	}
}

func TestIndicatorsNaNRoundTrip(t *testing.T) {
	ctx := context.Background()
	db, _ := testenv.ClickHouse(t)
	in := []bw.Indicator{
		{CountyCode: "430102", Month: firstOf(1), ID: "documents", Value: 3, YTD: 3},
		{CountyCode: "430102", Month: firstOf(2), ID: "meetings_video_share", Value: math.NaN(), YTD: 0.5},
	}
	if err := db.InsertIndicators(ctx, "43", in); err != nil {
		t.Fatal(err)
	}
	in[0].Value = 4
	if err := db.InsertIndicators(ctx, "43", in[:1]); err != nil {
		t.Fatal(err)
	}
	got, err := db.Indicators(ctx, "43", 2025)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Value != 4 || !got[0].Month.Equal(firstOf(1)) || !math.IsNaN(got[1].Value) || got[1].YTD != 0.5 {
		t.Errorf("got %+v", got)
	}
}

func TestReferenceDataRoundTrip(t *testing.T) {
	ctx := context.Background()
	db, _ := testenv.ClickHouse(t)
	loc := bw.Location()
	n := func(v int) *int { return &v }
	ref := &bw.ReferenceData{
		ObservationPoints: []bw.ObservationPoint{{ProvinceCode: "43", CountyCode: "430102", CountyName: "芙蓉区",
			DesignatedFrom: time.Date(2024, 3, 1, 0, 0, 0, 0, loc)}},
		Quotas:     []bw.Quota{{Year: 2025, CountyCode: "430102", Documents: n(10), Inspections: n(0)}},
		Baselines:  []bw.Baseline{{Year: 2024, CountyCode: "430102", Meetings: n(7)}},
		Plan:       []bw.PlanItem{{Year: 2025, IssuerCode: "I", PlanCode: "P", Title: "计划", Category: "special", MaxVisitsPerUnit: 2}},
		VetoList:   []bw.VetoListItem{{ProvinceCode: "43", Item: "安全生产", Basis: "法"}},
		Exemptions: []bw.Exemption{{Year: 2025, CountyCode: "430102", Reason: "先进"}},
		Calendar:   []bw.CalendarEntry{{ProvinceCode: "43", Rule: bw.CalendarNoMeetingWeekday, Value: "3"}},
	}
	if err := db.LoadReferenceData(ctx, ref, "t1"); err != nil {
		t.Fatal(err)
	}
	// A reload of the 2025 quotas of province 43 replaces them.
	if err := db.LoadReferenceData(ctx, &bw.ReferenceData{Quotas: []bw.Quota{{Year: 2025, CountyCode: "430102", Meetings: n(5)}}}, "t2"); err != nil {
		t.Fatal(err)
	}
	ref.Quotas = []bw.Quota{{Year: 2025, CountyCode: "430102", Meetings: n(5)}}
	got, err := db.ReferenceData(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, ref) {
		t.Errorf("read back\n%+v\nwant\n%+v", got, ref)
	}
}

func TestUnchangedResultsAreNotWrittenAgain(t *testing.T) {
	ctx := context.Background()
	db, _ := testenv.ClickHouse(t)
	count := func(table string) uint64 {
		var n uint64
		if err := db.Conn().QueryRow(ctx, "SELECT count() FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	tenth, fifth := 0.1, 0.2
	inds := []bw.Indicator{
		{CountyCode: "430102", Month: firstOf(1), ID: "documents", Value: 3, YTD: 3},
		{CountyCode: "430102", Month: firstOf(2), ID: "meetings_video_share", Value: math.NaN(), YTD: tenth + fifth},
	}
	vs := []bw.Violation{{RuleID: "r1", Severity: bw.SeverityViolation, CountyCode: "430102", Month: firstOf(3),
		IssuerCode: "ISS", Scope: "a", Value: 0.3, Limit: 1, EventIDs: []string{"e2", "e1"}, Citation: "HN 一.2"}}
	names := map[string]string{"ISS": "省厅"}
	for run := 0; run < 3; run++ {
		if err := db.InsertIndicators(ctx, "43", inds); err != nil {
			t.Fatal(err)
		}
		if err := db.ReplaceRuleResults(ctx, "43", 2025, []string{"430102"}, vs, names); err != nil {
			t.Fatal(err)
		}
	}
	if n, m := count("indicators"), count("rule_results"); n != 2 || m != 1 {
		t.Errorf("after three identical writes: %d indicator rows, %d rule result rows; want 2 and 1", n, m)
	}
	inds[1].YTD = 0.3 // another float than 0.1 + 0.2
	vs[0].Citation = "HN 一.2 (revised)"
	if err := db.InsertIndicators(ctx, "43", inds); err != nil {
		t.Fatal(err)
	}
	if err := db.ReplaceRuleResults(ctx, "43", 2025, []string{"430102"}, vs, names); err != nil {
		t.Fatal(err)
	}
	if n, m := count("indicators"), count("rule_results"); n != 3 || m != 2 {
		t.Errorf("after one changed indicator and result: %d and %d rows, want 3 and 2", n, m)
	}
	got, err := db.Indicators(ctx, "43", 2025)
	if err != nil || len(got) != 2 || got[1].YTD != 0.3 {
		t.Errorf("indicators %+v (%v), want the changed ytd 0.3", got, err)
	}
}

// TestStoredContentHashes: a replace compares with the content hash each
// result was written with; a row stored without one (written before the
// column existed) is written again once, with its hash.
func TestStoredContentHashes(t *testing.T) {
	ctx := context.Background()
	db, _ := testenv.ClickHouse(t)
	rows := func() (n, zero uint64) {
		if err := db.Conn().QueryRow(ctx, "SELECT count(), countIf(content_hash = 0) FROM rule_results").Scan(&n, &zero); err != nil {
			t.Fatal(err)
		}
		return n, zero
	}
	vs := []bw.Violation{
		{RuleID: "r1", Severity: bw.SeverityViolation, CountyCode: "430102", Month: firstOf(3), IssuerCode: "ISS",
			Scope: "a", Value: 0.3, Limit: 1, EventIDs: []string{"e2", "e1"}, Citation: "HN 一.2"},
		{RuleID: "r2", Severity: bw.SeverityWarning, CountyCode: "430103", Month: firstOf(4), Scope: "b",
			Value: math.Inf(1), EventIDs: []string{"e3"}, Citation: "HN 二"},
	}
	names := map[string]string{"ISS": "省厅"}
	replace := func() {
		t.Helper()
		if err := db.ReplaceRuleResults(ctx, "43", 2025, nil, vs, names); err != nil {
			t.Fatal(err)
		}
	}
	replace()
	replace()
	if n, zero := rows(); n != 2 || zero != 0 {
		t.Fatalf("two identical writes: %d rows, %d without a content hash; want 2 and 0", n, zero)
	}
	// Rows as a writer before the column left them: no hash.
	setHashes(t, db, "0", "1")
	replace()
	replace()
	if n, zero := rows(); n != 4 || zero != 2 {
		t.Errorf("same results twice over rows without a hash: %d rows (%d without a hash), want both written again once (4, 2)", n, zero)
	}
	// A stored hash that does not match the content is trusted, and the
	// result is written again: the hash, not the content, is compared.
	setHashes(t, db, "42", "rule_id = 'r1'")
	replace()
	if n, _ := rows(); n != 5 {
		t.Errorf("after a wrong stored hash: %d rows, want r1 written again (5)", n)
	}
	vs[1].EventIDs = []string{"e3", "e4"}
	replace()
	if n, _ := rows(); n != 6 {
		t.Errorf("after a changed result: %d rows, want 6", n)
	}
	got, err := db.RuleResults(ctx, "43", 2025)
	if err != nil || len(got) != 2 || len(got[1].EventIDs) != 2 {
		t.Errorf("results %+v (%v), want r2 with 2 event ids", got, err)
	}
}

// setHashes sets the stored content_hash of the rule results where where
// holds, and waits until the mutation is done.
func setHashes(t *testing.T, db *clickhouse.DB, hash, where string) {
	t.Helper()
	if err := db.Exec(context.Background(), "ALTER TABLE rule_results UPDATE content_hash = "+hash+" WHERE "+where); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 200; i++ {
		var left uint64
		err := db.Conn().QueryRow(context.Background(),
			"SELECT count() FROM system.mutations WHERE database = ? AND is_done = 0", db.Database()).Scan(&left)
		if err != nil {
			t.Fatal(err)
		}
		if left == 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("mutations not done after 10 s")
}

// TestChunkedResultWrites: a write sent in many small inserts side by
// side stores every result once, as one insert would, and the next write
// over it compares with all of them.
func TestChunkedResultWrites(t *testing.T) {
	ctx := context.Background()
	db, _ := testenv.ClickHouse(t)
	defer clickhouse.SetResultChunks(3, 5)()
	var vs []bw.Violation
	for i := 0; i < 40; i++ {
		v := bw.Violation{RuleID: fmt.Sprintf("r%d", i%3), Severity: bw.SeverityViolation, CountyCode: fmt.Sprint(430101 + i%4),
			Month: firstOf(time.Month(1 + i%12)), Scope: fmt.Sprintf("s%02d", i), Value: float64(i), Citation: "HN"}
		for j := 0; j < i%6; j++ {
			v.EventIDs = append(v.EventIDs, fmt.Sprintf("e%d-%d", i, j))
		}
		vs = append(vs, v)
	}
	slices.SortFunc(vs, func(a, b bw.Violation) int { return bw.CompareViolations(&a, &b) })
	if err := db.ReplaceRuleResults(ctx, "43", 2025, nil, vs, nil); err != nil {
		t.Fatal(err)
	}
	var rows, versions uint64
	if err := db.Conn().QueryRow(ctx, "SELECT count(), uniqExact(version) FROM rule_results").Scan(&rows, &versions); err != nil {
		t.Fatal(err)
	}
	if rows != 40 || versions != 1 {
		t.Errorf("one chunked write: %d rows of %d versions, want 40 of one", rows, versions)
	}
	got, err := db.RuleResults(ctx, "43", 2025)
	if err != nil || len(got) != len(vs) {
		t.Fatalf("read back %d results (%v), want %d", len(got), err, len(vs))
	}
	for i := range vs {
		if got[i].Scope != vs[i].Scope || !slices.Equal(got[i].EventIDs, vs[i].EventIDs) || got[i].Value != vs[i].Value {
			t.Errorf("result %d: %+v, want %+v", i, got[i], vs[i])
		}
	}
	vs = vs[1:] // one result gone: a tombstone, nothing else written
	if err := db.ReplaceRuleResults(ctx, "43", 2025, nil, vs, nil); err != nil {
		t.Fatal(err)
	}
	if err := db.Conn().QueryRow(ctx, "SELECT count() FROM rule_results").Scan(&rows); err != nil || rows != 41 {
		t.Errorf("after dropping one result: %d rows (%v), want 41", rows, err)
	}
}
