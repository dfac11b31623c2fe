package rules

import (
	"fmt"
	"math/rand"
	"reflect"
	"slices"
	"testing"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/columnar"
)

// stateEvents is every rule's trigger scenario and 6,000 random events on
// three counties whose quotas, baselines and visit caps they cross, some of
// the inspections naming documents as their deployment.
func stateEvents() ([]bw.Event, *bw.ReferenceData) {
	const n, counties = 6000, 3
	rng := rand.New(rand.NewSource(5))
	evs := allTriggers()
	for i := 0; i < n; i++ {
		evs = append(evs, syntheticEvent(rng, i, n, counties))
	}
	ref := syntheticRef(counties, bw.Quota{Documents: intp(900), Meetings: intp(350)},
		bw.Baseline{Documents: intp(1000), Inspections: intp(120)}, 13, 1)
	return evs, ref
}

// TestStateAddsUpToEvaluate adds events to a State in parts, in time order
// (months arriving, as a long-running transform sees them) and in random
// orders (late events before kept ones): after every part the results are
// exactly Evaluate's over all the parts so far.
func TestStateAddsUpToEvaluate(t *testing.T) {
	evs, ref := stateEvents()
	packs, err := ShippedPacks()
	if err != nil {
		t.Fatal(err)
	}
	pack := packs.For("43")
	inTime := slices.Clone(evs)
	slices.SortStableFunc(inTime, func(a, b bw.Event) int { return a.OccurredAt.Compare(b.OccurredAt) })
	orders := map[string][]bw.Event{"time": inTime, "shuffled 1": shuffled(evs, 1), "shuffled 2": shuffled(evs, 2)}
	for name, order := range orders {
		for _, parts := range []int{2, 7} {
			t.Run(fmt.Sprintf("%s in %d parts", name, parts), func(t *testing.T) {
				s, err := NewState(pack, "43", 2025, ref)
				if err != nil {
					t.Fatal(err)
				}
				all := &columnar.Events{Province: "43", Year: 2025}
				kinds := map[string]int{}
				for p := 0; p < parts; p++ {
					part := order[p*len(order)/parts : (p+1)*len(order)/parts]
					added := buildEvents(t, "43", 2025, part, 500)
					all.Records = append(all.Records, added.Records...)
					got, err := s.Add(added, all, nil)
					if err != nil {
						t.Fatal(err)
					}
					if p%2 == 0 {
						s.Prepare() // as a long-running transform does; the next Add waits for it
					}
					want, err := Evaluate(pack, buildEvents(t, "43", 2025, order[:(p+1)*len(order)/parts], 0), ref, nil)
					if err != nil {
						t.Fatal(err)
					}
					if !reflect.DeepEqual(got, want) {
						t.Fatalf("after part %d: %d results, Evaluate gives %d; first difference: %s",
							p+1, len(got), len(want), firstDifference(got, want))
					}
					for _, v := range got {
						kinds[v.RuleID]++
					}
				}
				// The scenario must exercise the kept scopes, not only event rules.
				for _, rule := range []string{InspectionCrowding, InspectionVisitCap, InspectionComprehensiveCap,
					InspectionCovertShare, FormMultiplePerIssuer, DocumentQuota, InspectionYoY, InspectionTooSoon} {
					if kinds[rule] == 0 {
						t.Errorf("no result of %s: the scenario does not test its kept state", rule)
					}
				}
			})
		}
	}
}

// firstDifference describes the first result where got and want differ.
func firstDifference(got, want []bw.Violation) string {
	brief := func(v bw.Violation) string {
		return fmt.Sprintf("%s %s value %v, %d ids", v.CountyCode, v.Scope, v.Value, len(v.EventIDs))
	}
	for i := 0; i < min(len(got), len(want)); i++ {
		if !reflect.DeepEqual(got[i], want[i]) {
			return fmt.Sprintf("%d: %s, want %s", i, brief(got[i]), brief(want[i]))
		}
	}
	if len(got) > len(want) {
		return "extra " + brief(got[len(want)])
	}
	if len(want) > len(got) {
		return "missing " + brief(want[len(got)])
	}
	return "none"
}

// TestStateKeepsUntouchedEvidence checks the promise writers rely on: a
// scope the later events do not touch keeps its result's evidence as the
// very same slice, and a touched one gets ids that do not alias what an
// earlier result holds.
func TestStateKeepsUntouchedEvidence(t *testing.T) {
	evs, ref := stateEvents()
	s, err := NewState(DefaultPack(), "43", 2025, ref)
	if err != nil {
		t.Fatal(err)
	}
	first := buildEvents(t, "43", 2025, evs, 0)
	before, err := s.Add(first, first, nil)
	if err != nil {
		t.Fatal(err)
	}
	snapshot := map[string][]string{}
	for _, v := range before {
		snapshot[v.Scope] = slices.Clone(v.EventIDs)
	}
	// A late comprehensive inspection of one issuer on one county.
	late := cleanInspection("late-1", at(2025, 12, 30, 9))
	late.CountyCode, late.Issuer, late.Inspection.Category = countyCode(0), bw.Issuer{Code: "I07", Level: "city"}, "comprehensive"
	added := buildEvents(t, "43", 2025, []bw.Event{late}, 0)
	all := &columnar.Events{Province: "43", Year: 2025, Records: append(slices.Clone(first.Records), added.Records...)}
	after, err := s.Add(added, all, nil)
	if err != nil {
		t.Fatal(err)
	}
	old := map[string]bw.Violation{}
	for _, v := range before {
		old[v.Scope] = v
	}
	same, changed := 0, 0
	for _, v := range after {
		o, ok := old[v.Scope]
		if !ok || len(o.EventIDs) == 0 {
			continue
		}
		if slices.Contains(v.EventIDs, "late-1") {
			changed++
			continue
		}
		if len(v.EventIDs) == len(o.EventIDs) && &v.EventIDs[0] == &o.EventIDs[0] {
			same++
		}
	}
	for _, v := range before { // nothing an earlier result holds was rewritten
		if !slices.Equal(v.EventIDs, snapshot[v.Scope]) {
			t.Fatalf("evidence of %s changed under an earlier result", v.Scope)
		}
	}
	if changed == 0 || same < len(before)/2 {
		t.Errorf("%d results cite the late inspection, %d of %d kept their evidence slice", changed, same, len(before))
	}
}
