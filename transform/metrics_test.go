package transform_test

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/burdenwatch/burdenwatch/internal/testenv"
	"github.com/burdenwatch/burdenwatch/transform"
)

// TestMetrics checks the counters against what the runs wrote: a first run
// recomputes 43/2025, a second finds nothing new, a run on a dropped table
// counts as an error.
func TestMetrics(t *testing.T) {
	db, _ := testenv.ClickHouse(t)
	loadRef(t, db, reference())
	a, b := scenario(t)
	insert(t, db, a...)
	insert(t, db, b...)
	reg := prometheus.NewRegistry()
	cfg := transform.Config{Packs: shippedPacks(t), Metrics: transform.NewMetrics(reg)}
	ctx := context.Background()
	sum, err := transform.Run(ctx, db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := transform.Run(ctx, db, cfg); err != nil {
		t.Fatal(err)
	}
	if err := db.Exec(ctx, "DROP TABLE transform_state"); err != nil {
		t.Fatal(err)
	}
	if _, err := transform.Run(ctx, db, cfg); err == nil {
		t.Fatal("a run without transform_state succeeded")
	}
	want := map[string]float64{
		"burdenwatch_transform_province_years_total": 1,
		"burdenwatch_transform_indicator_rows_total": float64(sum.Indicators),
		"burdenwatch_transform_rule_results_total":   float64(sum.RuleResults),
	}
	if sum.Indicators == 0 || sum.RuleResults == 0 {
		t.Fatalf("scenario wrote %d indicators, %d results; want some of each", sum.Indicators, sum.RuleResults)
	}
	for name, w := range want {
		if got := testenv.Counter(t, reg, name, ""); got != w {
			t.Errorf("%s = %v, want %v", name, got, w)
		}
	}
	if n := testenv.HistogramCount(t, reg, "burdenwatch_transform_run_seconds"); n != 1 {
		t.Errorf("run duration histogram: %d observations, want 1 (the run that recomputed)", n)
	}
}

// TestMetricsRuns counts runs by result.
func TestMetricsRuns(t *testing.T) {
	db, _ := testenv.ClickHouse(t)
	reg := prometheus.NewRegistry()
	m := transform.NewMetrics(reg)
	cfg := transform.Config{Packs: shippedPacks(t), Metrics: m}
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		if _, err := transform.Run(ctx, db, cfg); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Exec(ctx, "DROP TABLE transform_state"); err != nil {
		t.Fatal(err)
	}
	if _, err := transform.Run(ctx, db, cfg); err == nil {
		t.Fatal("a run without transform_state succeeded")
	}
	ok, failed := testenv.Counter(t, reg, "burdenwatch_transform_runs_total", "ok"),
		testenv.Counter(t, reg, "burdenwatch_transform_runs_total", "error")
	if n := testenv.Series(t, reg, "burdenwatch_transform_runs_total"); ok != 2 || failed != 1 || n != 2 {
		t.Errorf("runs ok %v, error %v in %d series; want 2 and 1 in 2", ok, failed, n)
	}
}
