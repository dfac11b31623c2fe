package transform_test

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/clickhouse"
)

var shanghai = bw.Location()

func ts(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v.In(shanghai)
}

func ptr(v int) *int { return &v }

// event returns an event with neutral defaults; mod sets the rest.
func event(t testing.TB, id string, kind bw.Kind, occurred, county string, mod func(*bw.Event)) bw.Event {
	e := bw.Event{ID: id, Kind: kind, OccurredAt: ts(t, occurred), CountyCode: county, TargetLevel: bw.LevelCounty,
		Issuer: bw.Issuer{Code: "ISS-A", Name: "省甲厅", Level: "province", Kind: "department"}}
	switch kind {
	case bw.KindDocument:
		e.Document = bw.Document{DocType: "notice", Pages: 2}
	case bw.KindMeeting:
		e.Meeting = bw.Meeting{DurationMinutes: 60, Attendees: 1, Format: "in_person", Scale: "small"}
	case bw.KindInspection:
		e.Inspection = bw.Inspection{Category: "special", PlanCode: "P1", InspectionCode: "C", Approved: true, Mode: "written"}
	case bw.KindDataReport:
		e.DataReport = bw.DataReport{FormID: "F1", Fields: 1, EstimatedMinutes: 60, Frequency: "once", ViaPlatform: true, ApprovedSurvey: true}
	}
	if mod != nil {
		mod(&e)
	}
	return e
}

// insert writes events as one batch stamped with the current time as
// ingest sequence.
func insert(t testing.TB, db *clickhouse.DB, evs ...bw.Event) {
	t.Helper()
	rows := &clickhouse.EventRows{}
	for i := range evs {
		raw := []byte(fmt.Sprintf("%+v", evs[i]))
		rows.Append(&evs[i], bw.Version(evs[i].Revision, raw), clickhouse.Delivery{Topic: "t", Offset: int64(i)})
	}
	if err := db.InsertEvents(context.Background(), []*clickhouse.EventRows{rows}, uint64(time.Now().UnixNano())); err != nil {
		t.Fatal(err)
	}
}

// reference is the reference data of the hand-computed scenarios: two
// observation counties of Hunan, a quota and a baseline for 430102, one
// planned item, one listed veto item and Wednesday as no-meeting day.
func reference() *bw.ReferenceData {
	from := time.Date(2024, 1, 1, 0, 0, 0, 0, shanghai)
	return &bw.ReferenceData{
		ObservationPoints: []bw.ObservationPoint{
			{ProvinceCode: "43", CountyCode: "430102", CountyName: "芙蓉区", DesignatedFrom: from},
			{ProvinceCode: "43", CountyCode: "430103", CountyName: "天心区", DesignatedFrom: from},
		},
		Quotas:    []bw.Quota{{Year: 2025, CountyCode: "430102", Documents: ptr(24), Meetings: ptr(12)}},
		Baselines: []bw.Baseline{{Year: 2024, CountyCode: "430102", Documents: ptr(12), Inspections: ptr(6)}},
		Plan:      []bw.PlanItem{{Year: 2025, IssuerCode: "ISS-A", PlanCode: "P1", Title: "专项督查", Category: "special", MaxVisitsPerUnit: 5}},
		VetoList:  []bw.VetoListItem{{ProvinceCode: "43", Item: "安全生产", Basis: "法"}},
		Calendar:  []bw.CalendarEntry{{ProvinceCode: "43", Rule: bw.CalendarNoMeetingWeekday, Value: "3"}},
	}
}

func loadRef(t testing.TB, db *clickhouse.DB, ref *bw.ReferenceData) {
	t.Helper()
	if err := db.LoadReferenceData(context.Background(), ref, "test"); err != nil {
		t.Fatal(err)
	}
}

// key identifies an indicator row.
type key struct {
	county string
	month  int
	id     string
}

func indicatorMap(t testing.TB, db *clickhouse.DB, province string, year int) map[key]bw.Indicator {
	t.Helper()
	inds, err := db.Indicators(context.Background(), province, year)
	if err != nil {
		t.Fatal(err)
	}
	out := map[key]bw.Indicator{}
	for _, in := range inds {
		out[key{in.CountyCode, int(in.Month.Month()), in.ID}] = in
	}
	return out
}

// same compares floats with NaN equal to NaN.
func same(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b))
}

func equalIndicators(t *testing.T, what string, got, want map[key]bw.Indicator) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d indicator rows, want %d", what, len(got), len(want))
	}
	for k, w := range want {
		g, ok := got[k]
		if !ok || !same(g.Value, w.Value) || !same(g.YTD, w.YTD) {
			t.Errorf("%s: %v = %v/%v, want %v/%v", what, k, g.Value, g.YTD, w.Value, w.YTD)
		}
	}
}

func resultsOf(t testing.TB, db *clickhouse.DB, province string, year int) []string {
	t.Helper()
	vs, err := db.RuleResults(context.Background(), province, year)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = fmt.Sprintf("%s|%s|%s|%s|%s|%s|%g|%g|%v", v.RuleID, v.Severity, v.CountyCode,
			v.Month.Format("2006-01"), v.IssuerCode, v.Scope, v.Value, v.Limit, v.EventIDs)
	}
	return out
}
