package rules

import (
	"testing"
	"time"

	bw "github.com/burdenwatch/burdenwatch"
)

// registryRef is testRef with a code registry for Hunan 2025: code
// HN-2025-0001 of issuer A's plan item P1, valid throughout March 2025.
func registryRef() *bw.ReferenceData {
	ref := testRef()
	ref.InspectionCodes = []bw.InspectionCode{{
		Year: 2025, ProvinceCode: "43", Code: "HN-2025-0001", PlanCode: "P1", IssuerCode: issuerA.Code,
		ValidFrom: time.Date(2025, 3, 1, 0, 0, 0, 0, shanghai), ValidTo: time.Date(2025, 3, 31, 0, 0, 0, 0, shanghai),
	}}
	return ref
}

// coded is an inspection of issuer A under plan P1 showing code.
func coded(id, code string, t time.Time, f func(*bw.Event)) bw.Event {
	return insp(id, t, func(e *bw.Event) {
		e.Inspection.InspectionCode = code
		f(e)
	})
}

func TestCodeInvalid(t *testing.T) {
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	issuerB := func(e *bw.Event) { e.Issuer = issuerB }
	otherPlan := func(e *bw.Event) { e.Inspection.PlanCode = "P2" }
	evs := []bw.Event{
		coded("ok-first", "HN-2025-0001", utc("2025-02-28T16:00:00Z"), keep), // 1 March 00:00 in Shanghai
		coded("ok-last", "HN-2025-0001", utc("2025-03-31T15:59:59Z"), keep),  // 31 March 23:59:59 in Shanghai
		coded("unknown", "HN-2025-0404", utc("2025-03-10T02:00:00Z"), keep),
		coded("issuer", "HN-2025-0001", utc("2025-03-10T02:00:00Z"), issuerB),
		coded("plan", "HN-2025-0001", utc("2025-03-10T02:00:00Z"), otherPlan),
		coded("before", "HN-2025-0001", utc("2025-02-28T15:59:59Z"), keep), // 28 February 23:59:59 in Shanghai
		coded("after", "HN-2025-0001", utc("2025-03-31T16:00:00Z"), keep),  // 1 April 00:00 in Shanghai
		coded("uncoded", "", utc("2025-03-10T02:00:00Z"), keep),            // inspection.uncoded, not this rule
	}
	want := map[string]float64{"unknown": 1, "issuer": 2, "plan": 3, "before": 4, "after": 4}
	for _, batch := range []int{0, 3} {
		got := ofRule(evaluateRef(t, shuffled(evs, int64(batch)), batch, registryRef()), InspectionCodeInvalid)
		if len(got) != len(want) {
			t.Errorf("batch %d: %d results, want %d: %+v", batch, len(got), len(want), got)
		}
		for _, v := range got {
			if w, ok := want[v.EventIDs[0]]; !ok || v.Value != w || v.Limit != 0 {
				t.Errorf("batch %d: result for %s value %v, want %v (listed %v)", batch, v.EventIDs[0], v.Value, w, ok)
			}
			checkCommon(t, InspectionCodeInvalid, v)
		}
	}
}

func TestCodeInvalidNeedsARegistry(t *testing.T) {
	evs := []bw.Event{coded("unknown", "HN-2025-0404", at(2025, 3, 10, 10), keep)}
	noRegistry := testRef()
	otherYear, otherProvince := registryRef(), registryRef()
	otherYear.InspectionCodes[0].Year = 2024
	otherProvince.InspectionCodes[0].ProvinceCode = "33"
	for name, ref := range map[string]*bw.ReferenceData{"none": noRegistry, "2024 only": otherYear,
		"Zhejiang only": otherProvince, "nil": nil} {
		if got := ofRule(evaluateRef(t, evs, 0, ref), InspectionCodeInvalid); len(got) != 0 {
			t.Errorf("registry %s: %d results, want none: %+v", name, len(got), got)
		}
	}
	if got := ofRule(evaluateRef(t, evs, 0, registryRef()), InspectionCodeInvalid); len(got) != 1 {
		t.Errorf("with the registry: %d results, want 1", len(got))
	}
}
