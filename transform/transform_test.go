package transform_test

import (
	"context"
	"fmt"
	"math"
	"math/rand"
	"reflect"
	"strings"
	"testing"
	"time"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/clickhouse"
	"github.com/burdenwatch/burdenwatch/columnar"
	"github.com/burdenwatch/burdenwatch/indicator"
	"github.com/burdenwatch/burdenwatch/internal/testenv"
	"github.com/burdenwatch/burdenwatch/rules"
	"github.com/burdenwatch/burdenwatch/transform"
)

// scenario returns the events of the hand-computed scenario in delivery
// order: two batches, with a duplicate and a revision delivered before the
// revision it replaces.
func scenario(t testing.TB) (a, b []bw.Event) {
	d1 := event(t, "d1", bw.KindDocument, "2025-01-10T10:00:00+08:00", "430102", func(e *bw.Event) {
		e.Document = bw.Document{DocType: "policy", Pages: 12, RequiresUpwardReport: true,
			VetoItems: []string{"安全生产", "招商引资"}, Pledges: 2}
	})
	// 23:30 on 31 January in Shanghai: January.
	d2 := event(t, "d2", bw.KindDocument, "2025-01-31T23:30:00+08:00", "430102", func(e *bw.Event) {
		e.Document.RequiresSupportingDocs = true
	})
	// 16:30 UTC on 31 January is 00:30 on 1 February in Shanghai.
	d3 := event(t, "d3", bw.KindDocument, "2025-01-31T16:30:00Z", "430102", nil)
	m1 := event(t, "m1", bw.KindMeeting, "2025-01-15T09:00:00+08:00", "430102", func(e *bw.Event) { // a Wednesday
		e.Meeting.DurationMinutes, e.Meeting.Attendees, e.Meeting.Format = 90, 4, "video"
	})
	m2r0 := event(t, "m2", bw.KindMeeting, "2025-01-16T09:00:00+08:00", "430102", func(e *bw.Event) {
		e.Meeting.Attendees = 3
	})
	m2r1 := m2r0
	m2r1.Revision, m2r1.Meeting.Attendees = 1, 6
	i1 := event(t, "i1", bw.KindInspection, "2025-01-20T09:00:00+08:00", "430102", func(e *bw.Event) {
		e.UnitCode, e.TargetLevel = "430102001", bw.LevelTownship
		e.Inspection.OnSite, e.Inspection.Mode, e.Inspection.InspectionCode = true, "covert", "C1"
		e.Inspection.Accompanying, e.Inspection.MaterialsRequested = 3, 2
	})
	i2 := event(t, "i2", bw.KindInspection, "2025-02-05T09:00:00+08:00", "430102", func(e *bw.Event) {
		e.Inspection.OnSite, e.Inspection.Mode, e.Inspection.PlanCode, e.Inspection.InspectionCode = true, "overt", "PX", ""
		e.Inspection.Accompanying = 1
	})
	f1 := event(t, "f1", bw.KindDataReport, "2025-02-10T09:00:00+08:00", "430102", func(e *bw.Event) {
		e.DataReport.Fields, e.DataReport.DuplicateFields, e.DataReport.EstimatedMinutes = 10, 4, 90
		e.DataReport.ViaPlatform = false
	})
	return []bw.Event{d1, d2, m2r1, i1}, []bw.Event{d2, d3, m1, m2r0, i2, f1}
}

func month(m int) time.Time { return time.Date(2025, time.Month(m), 1, 0, 0, 0, 0, shanghai) }

// fixedRules returns known rule results, so that the violations indicator
// and the burden index can be computed by hand.
func fixedRules(pack rules.Pack, ev *columnar.Events, _ *bw.ReferenceData, _ rules.DocumentTimes) ([]bw.Violation, error) {
	v := func(sev bw.Severity, county string, m time.Time, scope string) bw.Violation {
		return bw.Violation{RuleID: "test.rule", Severity: sev, CountyCode: county, Month: m, Scope: scope,
			IssuerCode: "ISS-A", EventIDs: []string{scope}}
	}
	return []bw.Violation{
		v(bw.SeverityViolation, "430102", month(1), "a"), v(bw.SeverityViolation, "430102", month(1), "b"),
		v(bw.SeverityWarning, "430102", month(1), "c"), v(bw.SeverityViolation, "430102", month(2), "d"),
		v(bw.SeverityViolation, "430103", month(2), "e"),
		v(bw.SeverityViolation, "430102", time.Date(2024, 12, 1, 0, 0, 0, 0, shanghai), "f"),
	}, nil
}

// handComputed are the expected values of county 430102: January value,
// January ytd, February value, February ytd (see docs/indicators.md for
// the burden index arithmetic).
func handComputed() map[string][4]float64 {
	n := math.NaN()
	return map[string][4]float64{
		"documents":                  {2, 2, 1, 3},
		"documents_quota_used":       {2.0 / 24, 2.0 / 24, 3.0 / 24, 3.0 / 24},
		"documents_over_baseline":    {2, 2, 1.5, 1.5},
		"documents_long":             {1, 1, 0, 1},
		"documents_upward_report":    {1, 1, 0, 1},
		"documents_cascade":          {1, 1, 0, 1},
		"meetings":                   {2, 2, 0, 2},
		"meetings_quota_used":        {2.0 / 12, 2.0 / 12, 2.0 / 12, 2.0 / 12},
		"meetings_over_baseline":     {n, n, n, n},
		"meeting_hours":              {12, 12, 0, 12},
		"meetings_video_share":       {0.5, 0.5, n, 0.5},
		"meetings_on_no_meeting_day": {1, 1, 0, 1},
		"inspections":                {1, 1, 1, 2},
		"inspections_quota_used":     {n, n, n, n},
		"inspections_over_baseline":  {2, 2, 2, 2},
		"inspections_onsite":         {1, 1, 1, 2},
		"inspections_grassroots":     {1, 1, 0, 1},
		"inspections_covert_share":   {1, 1, 0, 0.5},
		"inspections_unplanned":      {0, 0, 1, 1},
		"inspections_uncoded":        {0, 0, 1, 1},
		"accompanying_staff":         {3, 3, 1, 4},
		"materials_requested":        {2, 2, 0, 2},
		"veto_items_new":             {2, 2, 0, 2},
		"veto_items_unlisted":        {1, 1, 0, 1},
		"pledges":                    {2, 2, 0, 2},
		"forms":                      {0, 0, 1, 1},
		"form_fields":                {0, 0, 10, 10},
		"form_hours":                 {0, 0, 1.5, 1.5},
		"form_duplicate_share":       {n, n, 0.4, 0.4},
		"forms_off_platform":         {0, 0, 1, 1},
		"violations":                 {2, 2, 1, 3},
		"burden_index":               {19.675, 19.675, 9.96875, 14.821875},
	}
}

// quiet is the expectation for a county without events: zero counts,
// undefined ratios; only the injected violation of February.
func quiet(id string) [4]float64 {
	n := math.NaN()
	switch id {
	case "documents_quota_used", "meetings_quota_used", "inspections_quota_used", "documents_over_baseline",
		"meetings_over_baseline", "inspections_over_baseline", "meetings_video_share",
		"inspections_covert_share", "form_duplicate_share":
		return [4]float64{n, n, n, n}
	case "violations":
		return [4]float64{0, 0, 1, 1}
	case "burden_index": // 100 × 0.15 × (1/4)/2; ytd: 100 × 0.15 × (0.5/4)/2
		return [4]float64{0, 0, 1.875, 0.9375}
	}
	return [4]float64{}
}

func expected() map[key]bw.Indicator {
	out := map[key]bw.Indicator{}
	for _, d := range indicator.Definitions() {
		for county, vals := range map[string][4]float64{"430102": handComputed()[d.ID], "430103": quiet(d.ID)} {
			out[key{county, 1, d.ID}] = bw.Indicator{Value: vals[0], YTD: vals[1]}
			out[key{county, 2, d.ID}] = bw.Indicator{Value: vals[2], YTD: vals[3]}
		}
	}
	return out
}

func TestIndicatorsHandComputed(t *testing.T) {
	if len(handComputed()) != len(indicator.Definitions()) {
		t.Fatalf("scenario covers %d indicators, %d defined", len(handComputed()), len(indicator.Definitions()))
	}
	db, _ := testenv.ClickHouse(t)
	loadRef(t, db, reference())
	a, b := scenario(t)
	insert(t, db, a...)
	insert(t, db, b...)
	sum, err := transform.Run(context.Background(), db, transform.Config{Evaluate: fixedRules})
	if err != nil {
		t.Fatal(err)
	}
	if want := []clickhouse.ProvinceYear{{Province: "43", Year: 2025}}; !reflect.DeepEqual(sum.ProvinceYears, want) {
		t.Errorf("computed %v, want %v", sum.ProvinceYears, want)
	}
	equalIndicators(t, "hand-computed", indicatorMap(t, db, "43", 2025), expected())
	if got := resultsOf(t, db, "43", 2025); len(got) != 6 {
		t.Errorf("stored %d rule results of 2025, want the 6 produced: %v", len(got), got)
	}
}

func TestOrderIndependence(t *testing.T) {
	a, b := scenario(t)
	all := append(append([]bw.Event{}, a...), b...)
	inOrder, _ := testenv.ClickHouse(t)
	loadRef(t, inOrder, reference())
	insert(t, inOrder, a...)
	insert(t, inOrder, b...)
	shuffled, _ := testenv.ClickHouse(t)
	loadRef(t, shuffled, reference())
	rng := rand.New(rand.NewSource(7))
	redelivered := append(append([]bw.Event{}, all...), all...)
	rng.Shuffle(len(redelivered), func(i, j int) { redelivered[i], redelivered[j] = redelivered[j], redelivered[i] })
	for i := 0; i < len(redelivered); i += 3 {
		insert(t, shuffled, redelivered[i:min(i+3, len(redelivered))]...)
	}
	cfg := transform.Config{Packs: shippedPacks(t)}
	for _, db := range []*clickhouse.DB{inOrder, shuffled} {
		if _, err := transform.Run(context.Background(), db, cfg); err != nil {
			t.Fatal(err)
		}
	}
	want := indicatorMap(t, inOrder, "43", 2025)
	if len(want) == 0 {
		t.Fatal("no indicators computed")
	}
	equalIndicators(t, "shuffled and redelivered", indicatorMap(t, shuffled, "43", 2025), want)
	checkScenarioResults(t, "in order", resultsOf(t, inOrder, "43", 2025))
	if got := want[key{"430102", 1, "documents"}]; got.Value != 2 || got.YTD != 2 {
		t.Errorf("in order: January documents %v/%v, want 2/2 (d1, d2; d3 is February in Shanghai)", got.Value, got.YTD)
	}
	if got := want[key{"430102", 1, "meeting_hours"}]; got.Value != 12 {
		t.Errorf("in order: January meeting hours %v, want 12 (90 min × 4 + 60 min × 6)", got.Value)
	}
	if got, want := resultsOf(t, shuffled, "43", 2025), resultsOf(t, inOrder, "43", 2025); !reflect.DeepEqual(got, want) {
		t.Errorf("rule results differ:\nshuffled %v\nin order %v", got, want)
	}
}

// scenarioResults are the rule results of the scenario under the Hunan
// pack, worked out by hand: d1 is a 12-page policy document (limit 10)
// asking for a written report, setting two veto items of which 招商引资 is
// not listed, by a province-level department; d2 asks for supporting
// documents; m1 falls on Wednesday, the no-meeting day; i2 has plan code
// PX, not in the plan, and no code; f1 asks again for 4 fields. Nothing
// else breaks a rule (i1 is planned, covert and coded; quotas and
// baselines are not reached).
func scenarioResults() []string {
	r := func(rule, sev, month, event string, value, limit float64) string {
		return fmt.Sprintf("%s|%s|430102|2025-%s|ISS-A|rule=%s;event=%s|%g|%g|[%s]", rule, sev, month, rule, event, value, limit, event)
	}
	return []string{
		r("document.cascade", "violation", "01", "d2", 1, 0),
		r("document.length", "violation", "01", "d1", 12, 10),
		r("document.upward_report", "warning", "01", "d1", 1, 0),
		r("form.duplicate", "violation", "02", "f1", 4, 0),
		r("inspection.uncoded", "violation", "02", "i2", 1, 0),
		r("inspection.unplanned", "violation", "02", "i2", 1, 0),
		r("meeting.no_meeting_day", "violation", "01", "m1", 1, 0),
		r("veto.by_province_dept", "violation", "01", "d1", 2, 0),
		r("veto.unlisted", "violation", "01", "d1", 1, 0),
	}
}

// checkScenarioResults compares stored results with scenarioResults.
func checkScenarioResults(t *testing.T, what string, got []string) {
	t.Helper()
	if want := scenarioResults(); !reflect.DeepEqual(got, want) {
		t.Errorf("%s: rule results\n%s\nwant (by hand)\n%s", what, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func shippedPacks(t testing.TB) rules.Packs {
	p, err := rules.ShippedPacks()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestIncrementalEqualsFull(t *testing.T) {
	ctx := context.Background()
	db, _ := testenv.ClickHouse(t)
	loadRef(t, db, reference())
	a, b := scenario(t)
	insert(t, db, a...)
	insert(t, db, b...)
	cfg := transform.Config{Packs: shippedPacks(t), Margin: time.Nanosecond}
	if _, err := transform.Run(ctx, db, cfg); err != nil {
		t.Fatal(err)
	}
	// Late data: a January document, i1 corrected into March, a March
	// document; and a 2024 event of another county.
	d0 := event(t, "d0", bw.KindDocument, "2025-01-05T10:00:00+08:00", "430102", nil)
	i1 := a[3]
	i1.Revision, i1.OccurredAt = 1, ts(t, "2025-03-02T09:00:00+08:00")
	d5 := event(t, "d5", bw.KindDocument, "2025-03-10T10:00:00+08:00", "430102", nil)
	old := event(t, "old", bw.KindDocument, "2024-11-10T10:00:00+08:00", "430103", nil)
	insert(t, db, d0, i1, d5, old)
	sum, err := transform.Run(ctx, db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := []clickhouse.ProvinceYear{{Province: "43", Year: 2024}, {Province: "43", Year: 2025}}
	if !reflect.DeepEqual(sum.ProvinceYears, want) {
		t.Errorf("incremental run computed %v, want %v", sum.ProvinceYears, want)
	}
	incremental := indicatorMap(t, db, "43", 2025)
	incrementalResults := resultsOf(t, db, "43", 2025)
	checkLate(t, incremental)
	checkScenarioResults(t, "after the late events", incrementalResults)
	if got := resultsOf(t, db, "43", 2024); len(got) != 0 {
		t.Errorf("2024 results %v, want none (one plain document)", got)
	}

	if sum, err := transform.Run(ctx, db, cfg); err != nil || len(sum.ProvinceYears) != 0 {
		t.Errorf("run without new data computed %v (err %v), want nothing", sum.ProvinceYears, err)
	}
	cfg.Full = true
	if _, err := transform.Run(ctx, db, cfg); err != nil {
		t.Fatal(err)
	}
	equalIndicators(t, "full vs incremental", indicatorMap(t, db, "43", 2025), incremental)
	if got := resultsOf(t, db, "43", 2025); !reflect.DeepEqual(got, incrementalResults) {
		t.Errorf("rule results differ:\nfull        %v\nincremental %v", got, incrementalResults)
	}
}

// checkLate checks the hand-computed effect of the late events.
func checkLate(t *testing.T, got map[key]bw.Indicator) {
	t.Helper()
	for _, c := range []struct {
		month      int
		id         string
		value, ytd float64
	}{
		{1, "documents", 3, 3}, {2, "documents", 1, 4}, {3, "documents", 1, 5},
		{1, "inspections", 0, 0}, {2, "inspections", 1, 1}, {3, "inspections", 1, 2},
		{3, "documents_over_baseline", 5.0 / 3, 5.0 / 3}, {1, "inspections_grassroots", 0, 0},
		{3, "inspections_covert_share", 1, 0.5},
	} {
		g := got[key{"430102", c.month, c.id}]
		if !same(g.Value, c.value) || !same(g.YTD, c.ytd) {
			t.Errorf("after late events, %s of month %d = %v/%v, want %v/%v", c.id, c.month, g.Value, g.YTD, c.value, c.ytd)
		}
	}
	if _, ok := got[key{"430103", 3, "documents"}]; !ok {
		t.Errorf("county 430103 has no indicators for March")
	}
}

// TestIndicatorsThroughTheRealPack computes the scenario's indicators with
// the Hunan pack's rules (scenarioResults): 5 violations in January (the
// upward report is a warning), 3 in February; the burden index worked out
// by hand from them (docs/indicators.md): January 100 × (0.25 × 0.5 +
// 0.20 × 0.015 + 0.25 × 0.125 + 0.15 × 0 + 0.15 × 0.625) = 25.3.
func TestIndicatorsThroughTheRealPack(t *testing.T) {
	db, _ := testenv.ClickHouse(t)
	loadRef(t, db, reference())
	a, b := scenario(t)
	insert(t, db, a...)
	insert(t, db, b...)
	if _, err := transform.Run(context.Background(), db, transform.Config{Packs: shippedPacks(t)}); err != nil {
		t.Fatal(err)
	}
	want := expected()
	set := func(county, id string, v [4]float64) {
		want[key{county, 1, id}] = bw.Indicator{Value: v[0], YTD: v[1]}
		want[key{county, 2, id}] = bw.Indicator{Value: v[2], YTD: v[3]}
	}
	set("430102", "violations", [4]float64{5, 5, 3, 8})
	set("430102", "burden_index", [4]float64{25.3, 25.3, 13.71875, 19.509375})
	set("430103", "violations", [4]float64{0, 0, 0, 0})
	set("430103", "burden_index", [4]float64{0, 0, 0, 0})
	equalIndicators(t, "real pack", indicatorMap(t, db, "43", 2025), want)
	checkScenarioResults(t, "real pack", resultsOf(t, db, "43", 2025))
}
