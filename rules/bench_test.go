package rules

import (
	"fmt"
	"math/rand"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/columnar"
)

// syntheticEvents is a province-year of n random events over counties
// (4301xx, 4302xx…) and 60 issuers, in batches of 64k rows: 8% inspections
// (40% of them on site), 55% documents, 20% meetings, 17% forms, with a
// few percent of events breaking a rule.
func syntheticEvents(tb testing.TB, n, counties int) *columnar.Events {
	rng := rand.New(rand.NewSource(42))
	evs := make([]bw.Event, 0, 1<<16)
	out := &columnar.Events{Province: "43", Year: 2025}
	for i := 0; i < n; i++ {
		evs = append(evs, syntheticEvent(rng, i, n, counties))
		if len(evs) == cap(evs) || i == n-1 {
			out.Records = append(out.Records, columnar.FromEvents("", 0, evs, 0).Records...)
			evs = evs[:0]
		}
	}
	tb.Cleanup(out.Release)
	return out
}

// syntheticEvent is event i of syntheticEvents.
func syntheticEvent(rng *rand.Rand, i, n, counties int) bw.Event {
	start := at(2025, 1, 1, 0)
	levels := []string{"province", "city", "county"}
	kinds := []string{"department", "government", "party", "coordination_body"}
	t := start.Add(time.Duration(rng.Int63n(int64(365 * 24 * time.Hour))))
	iss := rng.Intn(60)
	e := bw.Event{
		ID: fmt.Sprintf("ev-%08d", i), OccurredAt: t, CountyCode: countyCode(rng.Intn(counties)),
		TargetLevel: bw.LevelCounty,
		Issuer:      bw.Issuer{Code: fmt.Sprintf("I%02d", iss), Level: levels[iss%3], Kind: kinds[iss%4]},
	}
	if rng.Intn(3) == 0 {
		e.UnitCode, e.TargetLevel = e.CountyCode+fmt.Sprintf("%03d", rng.Intn(20)), bw.LevelTownship
	}
	switch r := rng.Intn(100); {
	case r < 8:
		e.Kind = bw.KindInspection
		e.Inspection = bw.Inspection{
			Category: []string{"comprehensive", "special", "appraisal", "research", "routine"}[rng.Intn(5)],
			PlanCode: fmt.Sprintf("P%d", rng.Intn(13)), InspectionCode: "x", Approved: rng.Intn(50) > 0,
			Mode: []string{"covert", "covert", "overt", "written", "online"}[rng.Intn(5)], OnSite: rng.Intn(5) < 2,
		}
		if rng.Intn(10) == 0 {
			e.Inspection.SampledUnits, e.Inspection.TotalUnits = uint32(rng.Intn(5)), 12
		}
		if rng.Intn(10) == 0 {
			e.Inspection.DeploymentDocID = fmt.Sprintf("ev-%08d", rng.Intn(n))
		}
	case r < 63:
		e.Kind = bw.KindDocument
		e.Document = bw.Document{DocType: []string{"policy", "notice", "plan"}[rng.Intn(3)], Pages: uint32(1 + rng.Intn(11)),
			RequiresUpwardReport: rng.Intn(30) == 0}
		if rng.Intn(200) == 0 {
			e.Document.VetoItems = []string{"安全生产", "招商引资"}
		}
	case r < 83:
		e.Kind = bw.KindMeeting
		e.Meeting = bw.Meeting{DurationMinutes: 60, Attendees: 2, CascadeRequired: rng.Intn(50) == 0}
	default:
		e.Kind = bw.KindDataReport
		e.DataReport = bw.DataReport{FormID: fmt.Sprintf("F%d", rng.Intn(30)), Fields: 10,
			DuplicateFields: uint32(rng.Intn(20) / 19), ApprovedSurvey: rng.Intn(20) > 0}
	}
	return e
}

func countyCode(i int) string { return fmt.Sprintf("43%02d%02d", 1+i/50, i%50) }

func benchRef(counties int) *bw.ReferenceData {
	return syntheticRef(counties, bw.Quota{Documents: intp(50000), Meetings: intp(19000)},
		bw.Baseline{Documents: intp(56000), Inspections: intp(7000)}, 12, 3)
}

// syntheticRef is testRef with, for each synthetic county, quota q of
// 2025, baseline b of 2024, and plan items P0…P(plans-1) of every issuer
// capped at maxVisits visits a unit.
func syntheticRef(counties int, q bw.Quota, b bw.Baseline, plans, maxVisits int) *bw.ReferenceData {
	ref := testRef()
	for i := 0; i < counties; i++ {
		q.Year, q.CountyCode, b.Year, b.CountyCode = 2025, countyCode(i), 2024, countyCode(i)
		ref.Quotas, ref.Baselines = append(ref.Quotas, q), append(ref.Baselines, b)
		for p := 0; p < plans; p++ {
			for iss := 0; iss < 60; iss++ {
				ref.Plan = append(ref.Plan, bw.PlanItem{Year: 2025, IssuerCode: fmt.Sprintf("I%02d", iss),
					PlanCode: fmt.Sprintf("P%d", p), MaxVisitsPerUnit: maxVisits})
			}
		}
	}
	return ref
}

// BenchmarkEvaluate runs the default pack over 1M synthetic events on 10
// counties (BURDENWATCH_BENCH_EVENTS and _COUNTIES change the size).
func BenchmarkEvaluate(b *testing.B) {
	n, counties := envInt("BURDENWATCH_BENCH_EVENTS", 1_000_000), envInt("BURDENWATCH_BENCH_COUNTIES", 10)
	ev := syntheticEvents(b, n, counties)
	ref := benchRef(counties)
	pk := DefaultPack()
	b.ResetTimer()
	results := 0
	for i := 0; i < b.N; i++ {
		vs, err := Evaluate(pk, ev, ref, nil)
		if err != nil {
			b.Fatal(err)
		}
		results = len(vs)
	}
	b.ReportMetric(float64(results), "results")
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// BenchmarkStateAddMonth adds December to a State holding January to
// November of the synthetic province-year (1M events on 200 counties by
// default): what a long-running transform's rules cost for a month of
// new events.
func BenchmarkStateAddMonth(b *testing.B) {
	n, counties := envInt("BURDENWATCH_BENCH_EVENTS", 1_000_000), envInt("BURDENWATCH_BENCH_COUNTIES", 200)
	rng := rand.New(rand.NewSource(42))
	kept := &columnar.Events{Province: "43", Year: 2025}
	var chunk, december []bw.Event
	for i := 0; i < n; i++ {
		e := syntheticEvent(rng, i, n, counties)
		if e.OccurredAt.Month() == time.December {
			december = append(december, e)
			continue
		}
		if chunk = append(chunk, e); len(chunk) == 1<<16 {
			kept.Records, chunk = append(kept.Records, columnar.FromEvents("", 0, chunk, 0).Records...), chunk[:0]
		}
	}
	kept.Records = append(kept.Records, columnar.FromEvents("", 0, chunk, 0).Records...)
	defer kept.Release()
	added := columnar.FromEvents("43", 2025, december, 0)
	defer added.Release()
	all := &columnar.Events{Province: "43", Year: 2025, Records: append(slices.Clone(kept.Records), added.Records...)}
	ref, pk := benchRef(counties), DefaultPack()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s, err := NewState(pk, "43", 2025, ref)
		if err == nil {
			_, err = s.Add(kept, kept, nil)
		}
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		vs, err := s.Add(added, all, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(vs)), "results")
	}
}
