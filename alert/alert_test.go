package alert

import (
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/columnar"
	"github.com/burdenwatch/burdenwatch/rules"
)

var cst = bw.Location()

// ev is a test event: kind, month (day 10 of it, 10:00), county, bearing
// unit, issuer, category and plan code.
type ev struct {
	kind                                 bw.Kind
	month                                int
	county, unit, issuer, category, plan string
}

// buildEvents returns evs as columnar.Events in batches of batch rows,
// filling the columns the alerts read (the others null).
func buildEvents(t testing.TB, evs []ev, batch int) *columnar.Events {
	t.Helper()
	out := &columnar.Events{Province: "43", Year: 2025}
	for lo := 0; lo < len(evs); lo += batch {
		b := array.NewRecordBuilder(memory.DefaultAllocator, columnar.Schema)
		for i, e := range evs[lo:min(lo+batch, len(evs))] {
			at := time.Date(2025, time.Month(e.month), 10, 10, 0, 0, 0, cst)
			set := map[int]any{
				columnar.ColEventID: "e" + strconv.Itoa(lo+i), columnar.ColKind: string(e.kind),
				columnar.ColOccurredAt: arrow.Timestamp(at.Unix()), columnar.ColMonth: uint8(e.month),
				columnar.ColCounty: e.county, columnar.ColBearingUnit: e.unit, columnar.ColIssuerCode: e.issuer,
				columnar.ColCategory: e.category, columnar.ColPlanCode: e.plan,
			}
			for col := range columnar.NumColumns {
				fb := b.Field(col)
				switch v := set[col].(type) {
				case string:
					fb.(*array.StringBuilder).Append(v)
				case uint8:
					fb.(*array.Uint8Builder).Append(v)
				case arrow.Timestamp:
					fb.(*array.TimestampBuilder).Append(v)
				default:
					fb.AppendNull()
				}
			}
		}
		out.Records = append(out.Records, b.NewRecord())
		b.Release()
	}
	t.Cleanup(out.Release)
	return out
}

func n(v int) *int { return &v }

// scenarioRef is one observation county 431024 with quotas, a 2024
// baseline and a plan item capped at 2 visits per unit; 431021 has limits
// but no events; 330122 is of another province.
func scenarioRef() *bw.ReferenceData {
	return &bw.ReferenceData{
		ObservationPoints: []bw.ObservationPoint{{ProvinceCode: "43", CountyCode: "431024"}, {ProvinceCode: "43", CountyCode: "431021"}, {ProvinceCode: "33", CountyCode: "330122"}},
		Quotas: []bw.Quota{{Year: 2025, CountyCode: "431024", Documents: n(10), Meetings: n(10), Inspections: n(20)},
			{Year: 2025, CountyCode: "431021", Documents: n(1), Meetings: n(1)}, {Year: 2025, CountyCode: "330122", Documents: n(1)}},
		Baselines: []bw.Baseline{{Year: 2019, CountyCode: "431024", Documents: n(1), Meetings: n(1), Inspections: n(1)},
			{Year: 2024, CountyCode: "431024", Documents: n(12), Meetings: n(100), Inspections: n(6)}},
		Plan: []bw.PlanItem{{Year: 2025, IssuerCode: "HN-YJT", PlanCode: "P-1", Category: "special", MaxVisitsPerUnit: 2},
			{Year: 2025, IssuerCode: "HN-SWBGT", PlanCode: "P-C", Category: "comprehensive"},
			{Year: 2026, IssuerCode: "HN-YJT", PlanCode: "P-2", Category: "special", MaxVisitsPerUnit: 1}},
	}
}

// scenarioEvents crosses each scope of §8.5 (see TestEvaluateScenario).
func scenarioEvents() []ev {
	var evs []ev
	add := func(k int, e ev) {
		for range k {
			evs = append(evs, e)
		}
	}
	doc := func(m int) ev {
		return ev{kind: bw.KindDocument, month: m, county: "431024", unit: "431024", issuer: "HN-SZF"}
	}
	add(4, doc(1))
	add(4, doc(2))
	add(3, doc(3))
	add(2, doc(4))
	add(11, ev{kind: bw.KindMeeting, month: 2, county: "431024", unit: "431024", issuer: "HN-SZF"})
	insp := func(m int, issuer, cat, plan string) ev {
		return ev{kind: bw.KindInspection, month: m, county: "431024", unit: "431024001", issuer: issuer, category: cat, plan: plan}
	}
	for _, m := range []int{3, 5, 6} {
		add(1, insp(m, "HN-YJT", "special", "P-1"))
	}
	add(1, insp(4, "HN-SWBGT", "comprehensive", "P-C"))
	add(3, insp(3, "HN-SWZZB", "appraisal", ""))
	add(1, insp(5, "HN-YJT", "special", "P-2"))                                                       // P-2 is a 2026 item: no cap in 2025
	add(1, ev{kind: bw.KindDataReport, month: 1, county: "431024", unit: "431024", issuer: "HN-SZF"}) // forms have no alert
	return evs
}

type want struct {
	scope string
	level bw.AlertLevel
	month int
	value float64
	limit float64
	proj  float64
}

// scenarioWant is hand-computed from scenarioEvents, elapsed = 6 (June):
// documents YTD 4, 8, 11, 13, 13, 13; meetings 0, 11, …; inspections 0, 0,
// 4, 5, 7, 8 (P-2 counts as an inspection, not in a visit cap).
var scenarioWant = []want{
	{"appraisal_cap:HN-SWZZB", bw.AlertNotice, 3, 3, 2, 6},     // three in March: reached and exceeded at once
	{"appraisal_cap:HN-SWZZB", bw.AlertBreach, 3, 3, 2, 6},     //
	{"comprehensive_cap:HN-SWBGT", bw.AlertNotice, 4, 1, 1, 2}, // one comprehensive: the cap is reached
	{"documents.baseline", bw.AlertNotice, 4, 3.25, 1, 26},     // 13 ÷ (12 × 4/12); January's pace 4 is before the fourth month
	{"documents.baseline", bw.AlertBreach, 4, 13, 12, 26},      // 13 > 12
	{"documents.quota", bw.AlertNotice, 2, 8, 8, 26},           // 8 ≥ 80 % of 10
	{"documents.quota", bw.AlertBreach, 3, 11, 10, 26},         // 11 > 10
	{"inspections.baseline", bw.AlertNotice, 5, 2.8, 1, 16},    // April's pace is the indicator's 0.9; May 7 ÷ (6 × 5/12)
	{"inspections.baseline", bw.AlertBreach, 5, 7, 6, 16},      // 7 > 6
	{"meetings.quota", bw.AlertNotice, 2, 11, 8, 22},           // 0 → 11 in February crosses both
	{"meetings.quota", bw.AlertBreach, 2, 11, 10, 22},
	{"visit_cap:HN-YJT:P-1:431024001", bw.AlertNotice, 5, 2, 2, 6}, // second visit: the next would exceed
	{"visit_cap:HN-YJT:P-1:431024001", bw.AlertBreach, 6, 3, 2, 6},
}

func scenarioInput(t testing.TB, evs []ev, batch int) Input {
	return Input{
		Province: "43", Year: 2025, Events: buildEvents(t, evs, batch), Ref: scenarioRef(),
		Indicators: []bw.Indicator{{CountyCode: "431024", Month: time.Date(2025, 4, 1, 0, 0, 0, 0, cst), ID: "inspections_over_baseline", Value: 0.9}},
		Params:     Params{ComprehensiveCap: 1, AppraisalCap: 2, BaselineYear: 2024},
		Now:        time.Date(2025, 6, 15, 12, 0, 0, 0, cst),
	}
}

// TestEvaluateScenario: each scope of §8.5 crosses its notice and breach
// once and gives exactly one alert of each, with the month first crossed,
// that month's value and limit, and the projection.
func TestEvaluateScenario(t *testing.T) {
	got := Evaluate(scenarioInput(t, scenarioEvents(), 1000))
	if len(got) != len(scenarioWant) {
		for _, a := range got {
			t.Logf("got %s %s month %s value %v limit %v projected %v", a.Scope, a.Level, a.Month.Format("2006-01"), a.Value, a.Limit, a.Projected)
		}
		t.Fatalf("got %d alerts, want %d", len(got), len(scenarioWant))
	}
	for i, w := range scenarioWant {
		a := got[i]
		wantID := "431024/2025/" + w.scope + "/" + string(w.level)
		if a.ID != wantID || a.Scope != w.scope || a.Level != w.level || a.CountyCode != "431024" || a.ProvinceCode != "43" || a.Year != 2025 {
			t.Errorf("alert %d = %s %s %s, want %s", i, a.ID, a.Scope, a.Level, wantID)
			continue
		}
		if !a.Month.Equal(time.Date(2025, time.Month(w.month), 1, 0, 0, 0, 0, cst)) || a.Value != w.value || a.Limit != w.limit || a.Projected != w.proj {
			t.Errorf("%s: month %s value %v limit %v projected %v, want month %d value %v limit %v projected %v",
				a.ID, a.Month.Format("2006-01"), a.Value, a.Limit, a.Projected, w.month, w.value, w.limit, w.proj)
		}
	}
}

// TestEvaluateOrderIndependent: shuffled events in small batches give the
// same alerts.
func TestEvaluateOrderIndependent(t *testing.T) {
	want := Evaluate(scenarioInput(t, scenarioEvents(), 1000))
	evs := scenarioEvents()
	r := rand.New(rand.NewPCG(1, 2))
	r.Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] })
	got := Evaluate(scenarioInput(t, evs, 3))
	if len(got) != len(want) {
		t.Fatalf("shuffled: %d alerts, want %d", len(got), len(want))
	}
	for i := range want {
		if !sameAlert(got[i], want[i]) {
			t.Errorf("shuffled alert %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

// TestEvaluateLaterMonthsKeepCrossing: more events later in the year
// change the projection, not the alert ids, months, values or limits.
func TestEvaluateLaterMonthsKeepCrossing(t *testing.T) {
	in := scenarioInput(t, scenarioEvents(), 1000)
	first := Evaluate(in)
	evs := append(scenarioEvents(), ev{kind: bw.KindDocument, month: 9, county: "431024", unit: "431024", issuer: "HN-SZF"})
	in = scenarioInput(t, evs, 1000)
	in.Now = time.Date(2025, 12, 31, 23, 0, 0, 0, cst)
	later := Evaluate(in)
	if len(later) != len(first) {
		t.Fatalf("later: %d alerts, want %d", len(later), len(first))
	}
	for i := range first {
		a, b := first[i], later[i]
		if a.ID != b.ID || !a.Month.Equal(b.Month) || a.Value != b.Value || a.Limit != b.Limit {
			t.Errorf("alert %s changed: %+v → %+v", a.ID, a, b)
		}
	}
	if p := later[5].Projected; later[5].Scope != ScopeDocumentsQuota || p != 14 {
		t.Errorf("documents.quota projected in December = %v (%s), want 14 (YTD 14 × 12 ÷ 12)", p, later[5].Scope)
	}
}

func TestEvaluateNothing(t *testing.T) {
	in := scenarioInput(t, scenarioEvents(), 1000)
	in.Now = time.Date(2024, 12, 31, 0, 0, 0, 0, cst) // the year has not begun
	if got := Evaluate(in); len(got) != 0 {
		t.Errorf("future year: %d alerts, want none", len(got))
	}
	in = scenarioInput(t, scenarioEvents(), 1000)
	in.Params = Params{BaselineYear: 2024} // caps turned off by the pack
	for _, a := range Evaluate(in) {
		if a.Scope == "appraisal_cap:HN-SWZZB" || a.Scope == "comprehensive_cap:HN-SWBGT" {
			t.Errorf("cap off: got %s", a.ID)
		}
	}
	in = scenarioInput(t, scenarioEvents(), 1000)
	in.Now = time.Date(2025, 2, 28, 0, 0, 0, 0, cst) // only January and February are evaluated
	var scopes []string
	for _, a := range Evaluate(in) {
		scopes = append(scopes, a.ID)
	}
	wantIDs := []string{"431024/2025/documents.quota/notice", "431024/2025/meetings.quota/notice", "431024/2025/meetings.quota/breach"}
	if len(scopes) != len(wantIDs) {
		t.Fatalf("February: alerts %v, want %v", scopes, wantIDs)
	}
	for i := range wantIDs {
		if scopes[i] != wantIDs[i] {
			t.Errorf("February: alert %d = %s, want %s", i, scopes[i], wantIDs[i])
		}
	}
}

// sameAlert compares alerts field by field (times with Equal).
func sameAlert(a, b bw.Alert) bool {
	return a.ID == b.ID && a.Level == b.Level && a.ProvinceCode == b.ProvinceCode && a.CountyCode == b.CountyCode &&
		a.Year == b.Year && a.Scope == b.Scope && a.Value == b.Value && a.Limit == b.Limit && a.Projected == b.Projected &&
		a.Month.Equal(b.Month) && a.FirstSeen.Equal(b.FirstSeen)
}

func TestParamsFromPack(t *testing.T) {
	p := ParamsFromPack(rules.DefaultPack())
	if p.ComprehensiveCap != 1 || p.AppraisalCap != 2 || p.BaselineYear != 0 {
		t.Errorf("central pack params = %+v, want caps 1 and 2 (SD 7), no baseline year", p)
	}
	if got := ParamsFromPack(rules.Pack{Province: "43", BaselineYear: 2024}); got != (Params{ComprehensiveCap: 1, AppraisalCap: 2, BaselineYear: 2024}) {
		t.Errorf("pack without rules: params = %+v, want the central caps 1 and 2 and its baseline year", got)
	}
	packs, err := rules.ShippedPacks()
	if err != nil {
		t.Fatal(err)
	}
	if got := ParamsFromPack(packs.For("43")); got.BaselineYear != 2024 || got.ComprehensiveCap != 1 || got.AppraisalCap != 2 {
		t.Errorf("Hunan params = %+v, want baseline year 2024", got)
	}
}
