package indicator_test

import (
	"math"
	"math/rand"
	"reflect"
	"testing"
	"time"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/columnar"
	"github.com/burdenwatch/burdenwatch/indicator"
)

func at(m time.Month, d, h int) time.Time { return time.Date(2025, m, d, h, 0, 0, 0, bw.Location()) }

// events of county 430102: two meetings of 50 min × 7 and 25 min × 5
// people in March (475 person-minutes), a form of 70 minutes with 3 of 12
// fields asked again, two documents (one in January).
func events() []bw.Event {
	iss := bw.Issuer{Code: "ISS", Name: "省厅", Level: "province", Kind: "department"}
	ev := func(id string, k bw.Kind, t time.Time) bw.Event {
		return bw.Event{ID: id, Kind: k, OccurredAt: t, CountyCode: "430102", TargetLevel: bw.LevelCounty, Issuer: iss}
	}
	m1, m2, f, d1, d2 := ev("m1", bw.KindMeeting, at(3, 3, 9)), ev("m2", bw.KindMeeting, at(3, 4, 9)),
		ev("f", bw.KindDataReport, at(3, 5, 9)), ev("d1", bw.KindDocument, at(1, 9, 9)), ev("d2", bw.KindDocument, at(3, 1, 0))
	m1.Meeting = bw.Meeting{DurationMinutes: 50, Attendees: 7, Format: "video"}
	m2.Meeting = bw.Meeting{DurationMinutes: 25, Attendees: 5}
	f.DataReport = bw.DataReport{FormID: "F", Fields: 12, DuplicateFields: 3, EstimatedMinutes: 70, ViaPlatform: true}
	return []bw.Event{m1, m2, f, d1, d2}
}

func compute(t *testing.T, evs []bw.Event, batch int) *indicator.Result {
	t.Helper()
	ev := columnar.FromEvents("43", 2025, evs, batch)
	defer ev.Release()
	ref := &bw.ReferenceData{
		ObservationPoints: []bw.ObservationPoint{{ProvinceCode: "43", CountyCode: "430102"}},
		Quotas:            []bw.Quota{{Year: 2025, CountyCode: "430102", Documents: ptr(24)}},
	}
	vs := []bw.Violation{{RuleID: "r", Severity: bw.SeverityViolation, CountyCode: "430102", Month: at(3, 1, 0)},
		{RuleID: "w", Severity: bw.SeverityWarning, CountyCode: "430102", Month: at(3, 1, 0)}}
	res, err := indicator.Compute(indicator.Input{Events: ev, Ref: ref, Violations: vs})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func ptr(v int) *int { return &v }

func TestComputeHandWorked(t *testing.T) {
	res := compute(t, events(), 0)
	got := map[string][2]float64{}
	for _, in := range res.Indicators {
		if in.Month.Month() == time.March {
			got[in.ID] = [2]float64{in.Value, in.YTD}
		}
	}
	if res.Months != 3 || len(res.Counties) != 1 {
		t.Fatalf("months %d counties %v, want 3 and [430102]", res.Months, res.Counties)
	}
	// Burden index of March: documents 1 of a reference 24/12 = 2 → 0.5/2;
	// meeting hours 475/60 of 400 → (475/60/400)/2; forms 70/60 of 40 →
	// (70/60/40)/2; 1 violation of 4 → 0.25/2; no inspections.
	index := 100 * (0.25*0.25 + 0.20*(475.0/60/400)/2 + 0.15*(70.0/60/40)/2 + 0.15*0.125)
	for id, want := range map[string][2]float64{
		"documents": {1, 2}, "documents_quota_used": {2.0 / 24, 2.0 / 24}, "meetings": {2, 2},
		"meeting_hours": {475.0 / 60, 475.0 / 60}, "meetings_video_share": {0.5, 0.5},
		"forms": {1, 1}, "form_hours": {70.0 / 60, 70.0 / 60}, "form_duplicate_share": {0.25, 0.25},
		"violations": {1, 1}, "burden_index": {index, 0},
	} {
		g := got[id]
		if math.Abs(g[0]-want[0]) > 1e-12 || (id != "burden_index" && math.Abs(g[1]-want[1]) > 1e-12) {
			t.Errorf("March %s = %v, want %v", id, g, want)
		}
	}
}

func TestComputeOrderIndependent(t *testing.T) {
	base := compute(t, events(), 0)
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 20; i++ {
		evs := events()
		rng.Shuffle(len(evs), func(a, b int) { evs[a], evs[b] = evs[b], evs[a] })
		got := compute(t, evs, 1+rng.Intn(3))
		for j := range base.Indicators {
			a, b := base.Indicators[j], got.Indicators[j]
			if a.ID != b.ID || math.Float64bits(a.Value) != math.Float64bits(b.Value) ||
				math.Float64bits(a.YTD) != math.Float64bits(b.YTD) {
				t.Fatalf("order %d: %+v, want %+v", i, b, a)
			}
		}
		if !reflect.DeepEqual(got.Counties, base.Counties) {
			t.Fatalf("counties %v, want %v", got.Counties, base.Counties)
		}
	}
}
