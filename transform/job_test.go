package transform_test

import (
	"context"
	"strings"
	"testing"
	"time"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/clickhouse"
	"github.com/burdenwatch/burdenwatch/internal/testenv"
	"github.com/burdenwatch/burdenwatch/transform"
)

// TestJobMatchesFullRecompute delivers the same batches to two databases:
// one computed by a Job after every batch (incremental from the second run
// on), the other by a full Run. The batches hold new months, late events
// into earlier months, duplicates of old events, revisions (some moving an
// event to another month or year), stale re-deliveries of old revisions
// and a run of another process in between. After every batch the tables
// must be the same, byte for byte.
func TestJobMatchesFullRecompute(t *testing.T) {
	ctx := context.Background()
	evs := varied(t, 2400)
	var early, late []bw.Event
	for _, e := range evs {
		if e.OccurredAt.Month() <= 10 {
			early = append(early, e)
		} else {
			late = append(late, e)
		}
	}
	// A revision moves the event by days and turns a planned inspection
	// into an unplanned one and back: results appear and go away.
	revise := func(e bw.Event, rev uint32, days int) bw.Event {
		e.Revision, e.OccurredAt = rev, e.OccurredAt.AddDate(0, 0, days)
		if e.Inspection.PlanCode == "PX" {
			e.Inspection.PlanCode = "P1"
		} else {
			e.Inspection.PlanCode = "PX"
		}
		return e
	}
	var batches [][]bw.Event
	// Ten months, then the rest of the year with a third of the first
	// months delivered again.
	batches = append(batches, early[:len(early)/2], early[len(early)/2:])
	b := append([]bw.Event{}, late...)
	for i := 0; i < len(early); i += 3 {
		b = append(b, early[i])
	}
	batches = append(batches, b)
	// Revisions: some moved by days (across months), some into 2024 and a
	// second revision of a few.
	b = nil
	for i := 0; i < len(evs); i += 23 {
		b = append(b, revise(evs[i], 1, 9))
	}
	for i := 5; i < len(evs); i += 97 {
		e := revise(evs[i], 1, 0)
		e.OccurredAt = time.Date(2024, 12, 20, 10, 0, 0, 0, shanghai)
		b = append(b, e)
	}
	for i := 0; i < len(evs); i += 230 {
		b = append(b, revise(evs[i], 2, -40))
	}
	batches = append(batches, b)
	// Stale re-deliveries of revision 0, late new events into February and
	// an event moved back from 2024.
	b = nil
	for i := 0; i < len(evs); i += 46 {
		b = append(b, evs[i])
	}
	for i, e := range varied(t, 300)[:150] {
		e.ID = "late-" + e.ID
		e.OccurredAt = time.Date(2025, 2, 1+i%28, 9, 0, 0, 0, shanghai)
		b = append(b, e)
	}
	b = append(b, revise(evs[5], 3, 30))
	batches = append(batches, b)
	// More revisions after the other process's run.
	b = nil
	for i := 11; i < len(evs); i += 31 {
		b = append(b, revise(evs[i], 4, 2))
	}
	batches = append(batches, b)

	inc, _ := testenv.ClickHouse(t)
	full, _ := testenv.ClickHouse(t)
	for _, db := range []*clickhouse.DB{inc, full} {
		loadRef(t, db, reference())
		// Parts stay unmerged: the kept events and the tables differ in
		// row order and in the deliveries still present.
		if err := db.Exec(ctx, "SYSTEM STOP MERGES events"); err != nil {
			t.Fatal(err)
		}
	}
	cfg := transform.Config{Packs: shippedPacks(t), Margin: time.Nanosecond}
	job := transform.NewJob(inc, cfg)
	defer job.Close()
	for i, batch := range batches {
		insert(t, inc, batch...)
		insert(t, full, batch...)
		if i == 4 {
			// Another process computes in between: the job must not
			// trust what it kept.
			if _, err := transform.Run(ctx, inc, cfg); err != nil {
				t.Fatal(err)
			}
			insert(t, inc, batch[0])
			insert(t, full, batch[0])
		}
		if _, err := job.Run(ctx); err != nil {
			t.Fatal(err)
		}
		if i > 0 && job.CachedEvents() == 0 {
			t.Fatalf("batch %d: the job kept no events", i)
		}
		fullCfg := cfg
		fullCfg.Full = true
		if _, err := transform.Run(ctx, full, fullCfg); err != nil {
			t.Fatal(err)
		}
		want, got := dump(t, full), dump(t, inc)
		if !strings.Contains(want, "inspection.unplanned") {
			t.Fatalf("batch %d: scenario without rule results", i)
		}
		diffDumps(t, i, got, want)
		for _, year := range []int{2024, 2025} {
			equalIndicators(t, "2024/2025", indicatorMap(t, inc, "43", year), indicatorMap(t, full, "43", year))
			g, w := strings.Join(resultsOf(t, inc, "43", year), "\n"), strings.Join(resultsOf(t, full, "43", year), "\n")
			if g != w {
				t.Fatalf("batch %d, %d: rule results differ:\njob\n%s\nfull\n%s", i, year, g, w)
			}
		}
	}
	if len(resultsOf(t, full, "43", 2024)) == 0 && len(indicatorMap(t, full, "43", 2024)) == 0 {
		t.Fatal("scenario without a 2024 province-year")
	}
}

// diffDumps fails at the first line where two dumps differ.
func diffDumps(t *testing.T, batch int, got, want string) {
	t.Helper()
	if got == want {
		return
	}
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range min(len(g), len(w)) {
		if g[i] != w[i] {
			t.Fatalf("batch %d: tables differ at line %d:\njob  %s\nfull %s", batch, i, g[i], w[i])
		}
	}
	t.Fatalf("batch %d: tables differ in length: %d vs %d lines", batch, len(g), len(w))
}

// TestJobCacheBound runs a Job whose cache cannot hold the province-year:
// it keeps nothing and every run takes the full path, with the same
// tables as a full recompute.
func TestJobCacheBound(t *testing.T) {
	ctx := context.Background()
	db, _ := testenv.ClickHouse(t)
	loadRef(t, db, reference())
	evs := varied(t, 600)
	cfg := transform.Config{Packs: shippedPacks(t), Margin: time.Nanosecond, MaxCachedEvents: 100}
	job := transform.NewJob(db, cfg)
	defer job.Close()
	for _, batch := range [][]bw.Event{evs[:400], evs[400:]} {
		insert(t, db, batch...)
		sum, err := job.Run(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(sum.ProvinceYears) != 1 || job.CachedEvents() != 0 {
			t.Fatalf("computed %v, kept %d events; want 43/2025, none kept", sum.ProvinceYears, job.CachedEvents())
		}
	}
	got := dump(t, db)
	cfg.Full = true
	if _, err := transform.Run(ctx, db, cfg); err != nil {
		t.Fatal(err)
	}
	diffDumps(t, 1, got, dump(t, db))
}

// TestJobFollowsReferenceData loads other reference data between two runs
// of a Job (a lower document quota, another visit cap): the load's
// recompute request is served from the kept events, and the tables must
// be those of a full recompute with the new reference data.
func TestJobFollowsReferenceData(t *testing.T) {
	ctx := context.Background()
	db, _ := testenv.ClickHouse(t)
	loadRef(t, db, reference())
	cfg := transform.Config{Packs: shippedPacks(t), Margin: time.Nanosecond}
	job := transform.NewJob(db, cfg)
	defer job.Close()
	insert(t, db, varied(t, 600)...)
	if _, err := job.Run(ctx); err != nil {
		t.Fatal(err)
	}
	before := dump(t, db)
	ref := reference()
	ref.Quotas[0].Documents, ref.Plan[0].MaxVisitsPerUnit = ptr(3), 1
	loadRef(t, db, ref)
	sum, err := job.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.ProvinceYears) == 0 || job.CachedEvents() == 0 {
		t.Fatalf("recomputed %v with %d kept events; want 43/2025 from the kept events", sum.ProvinceYears, job.CachedEvents())
	}
	got := dump(t, db)
	if got == before {
		t.Fatal("the new quota changed no result: the scenario does not test the reference data")
	}
	cfg.Full = true
	if _, err := transform.Run(ctx, db, cfg); err != nil {
		t.Fatal(err)
	}
	diffDumps(t, 1, got, dump(t, db))
}
