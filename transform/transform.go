// Package transform is the recompute job: it finds the province-years with
// new data and, for each, reads its deduplicated events
// (clickhouse.DB.ReadEvents), checks the rules (rules.Evaluate), computes
// the indicators (indicator.Compute), evaluates and delivers the alerts
// (alert.Evaluate, Config.Alerts) and writes the results. Each
// province-year is recomputed completely: year-to-date values depend on
// earlier months, and recomputing is idempotent, so an incremental run and
// a full one give the same values. Run is stateless; a Job (transform
// --follow) keeps the events and results of the province-years it computed
// between runs, reads only the events delivered since and gives the same
// results.
package transform

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"time"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/alert"
	"github.com/burdenwatch/burdenwatch/clickhouse"
	"github.com/burdenwatch/burdenwatch/columnar"
	"github.com/burdenwatch/burdenwatch/indicator"
	"github.com/burdenwatch/burdenwatch/rules"
)

// Evaluator checks the rules of a pack on a province-year of events.
type Evaluator func(pack rules.Pack, ev *columnar.Events, ref *bw.ReferenceData, docs rules.DocumentTimes) ([]bw.Violation, error)

// Config configures a run.
type Config struct {
	// Full recomputes every province-year with events.
	Full bool
	// Packs are the provinces' rule packs; the zero value means the
	// central defaults everywhere.
	Packs rules.Packs
	// Evaluate checks the rules; nil means rules.Evaluate.
	Evaluate Evaluator
	// BaselineYears overrides the baseline year (只减不增) by province.
	// Without an override the province's rule pack decides, then
	// DefaultBaselineYears, then the latest baseline year before the
	// computed year.
	BaselineYears map[string]int
	// Index configures the burden index; the zero value means
	// indicator.DefaultIndex.
	Index indicator.IndexConfig
	// Margin is subtracted from the stored watermark when looking for new
	// events, so that a batch whose sequence was taken before the last
	// run's but written after it is not missed. 0 means 5 minutes.
	Margin time.Duration
	// Alerts receives the early warnings (SPEC §8.5) of every recomputed
	// province-year; nil means alerts are neither evaluated nor delivered.
	Alerts alert.Sink
	// Now dates the alerts (alert.Input.Now); zero means the clock.
	Now time.Time
	// MaxCachedEvents bounds the deduplicated events a Job keeps in
	// memory between runs, over all province-years; 0 means
	// DefaultMaxCachedEvents, a negative value keeps none (every run takes
	// the full path). Run keeps nothing.
	MaxCachedEvents int
	// Metrics records every run; nil means no metrics.
	Metrics *Metrics
	// Log receives progress; nil means no logging.
	Log *slog.Logger
}

// DefaultBaselineYears are the baseline years the regulations name: Hunan
// (HN 一.1) counts from 2024, Zhejiang (ZJ 3) from 2019.
func DefaultBaselineYears() map[string]int { return map[string]int{"43": 2024, "33": 2019} }

// Summary reports a run.
type Summary struct {
	ProvinceYears []clickhouse.ProvinceYear
	Indicators    int                    // indicator rows written
	RuleResults   int                    // active rule results written
	Latest        map[string]LatestMonth // by province: last month computed
	ByRule        map[string]int         // active results by rule id
	CountyNames   map[string]string      // county code → name, of the observation points
	Results       map[clickhouse.ProvinceYear]*indicator.Result
	Took          time.Duration
}

// LatestMonth is the burden index ranking of a province's latest month.
type LatestMonth struct {
	Month    time.Time
	Counties []CountyIndex // descending burden index
}

// CountyIndex is one county's burden index.
type CountyIndex struct {
	County string
	Index  float64
}

// Run finds the province-years with new events or recompute requests (all
// of them with cfg.Full), recomputes them and advances the watermarks.
func Run(ctx context.Context, db *clickhouse.DB, cfg Config) (*Summary, error) {
	t0 := time.Now()
	sum, err := run(ctx, db, cfg)
	cfg.Metrics.observe(sum, err, time.Since(t0))
	return sum, err
}

func run(ctx context.Context, db *clickhouse.DB, cfg Config) (*Summary, error) {
	t0 := time.Now()
	w, err := findWork(ctx, db, cfg)
	if err != nil {
		return nil, err
	}
	sum := &Summary{ByRule: map[string]int{}, Latest: map[string]LatestMonth{},
		Results: map[clickhouse.ProvinceYear]*indicator.Result{}}
	if len(w.pys) > 0 {
		if err := recomputeAll(ctx, db, cfg, w.pys, sum); err != nil {
			return nil, err
		}
	}
	if err := saveState(ctx, db, w); err != nil {
		return nil, err
	}
	sum.Took = time.Since(t0)
	return sum, nil
}

func recomputeAll(ctx context.Context, db *clickhouse.DB, cfg Config, pys []clickhouse.ProvinceYear, sum *Summary) error {
	ref, err := db.ReferenceData(ctx)
	if err != nil {
		return err
	}
	sum.CountyNames = map[string]string{}
	for _, p := range ref.ObservationPoints {
		sum.CountyNames[p.CountyCode] = p.CountyName
	}
	for _, py := range pys {
		res, vs, err := Recompute(ctx, db, cfg, ref, py.Province, py.Year)
		if err != nil {
			return err
		}
		sum.add(py, res, vs)
	}
	return nil
}

func (s *Summary) add(py clickhouse.ProvinceYear, res *indicator.Result, vs []bw.Violation) {
	s.ProvinceYears = append(s.ProvinceYears, py)
	s.Results[py] = res
	s.Indicators += len(res.Indicators)
	s.RuleResults += len(vs)
	for _, v := range vs {
		s.ByRule[v.RuleID]++
	}
	if lm := latest(res); !lm.Month.IsZero() && !lm.Month.Before(s.Latest[py.Province].Month) {
		s.Latest[py.Province] = lm
	}
}

// latest ranks the counties by burden index in the last month of res.
func latest(res *indicator.Result) LatestMonth {
	var lm LatestMonth
	for _, in := range res.Indicators {
		if in.ID != "burden_index" {
			continue
		}
		if in.Month.After(lm.Month) {
			lm = LatestMonth{Month: in.Month}
		}
		if in.Month.Equal(lm.Month) {
			lm.Counties = append(lm.Counties, CountyIndex{in.CountyCode, in.Value})
		}
	}
	sort.Slice(lm.Counties, func(i, j int) bool {
		a, b := lm.Counties[i], lm.Counties[j]
		return a.Index > b.Index || (a.Index == b.Index && a.County < b.County)
	})
	return lm
}

// Recompute computes and stores the indicators and rule results of one
// province-year from its deduplicated events, and returns them. The steps,
// in order: read, rules (with the indicators' event sums beside them),
// indicators, alerts, write.
func Recompute(ctx context.Context, db *clickhouse.DB, cfg Config, ref *bw.ReferenceData,
	province string, year int) (*indicator.Result, []bw.Violation, error) {
	t0 := time.Now()
	ev, docs, err := read(ctx, db, province, year)
	if err != nil {
		return nil, nil, err
	}
	defer ev.Release()
	tRead := time.Now()
	res, vs, tRules, tCompute, tAlerts, err := compute(ctx, cfg, ref, ev, province, year,
		func(pack rules.Pack) ([]bw.Violation, error) { return cfg.evaluator()(pack, ev, ref, docs) })
	if err != nil {
		return nil, nil, err
	}
	if err := write(ctx, db, province, year, res, vs); err != nil {
		return nil, nil, fmt.Errorf("transform %s/%d: %w", province, year, err)
	}
	logf(cfg, "recomputed", "province", province, "year", year, "events", ev.Len(), "read", tRead.Sub(t0),
		"rules", tRules.Sub(tRead), "indicators", tCompute.Sub(tRules), "alerts", tAlerts.Sub(tCompute),
		"write", time.Since(tAlerts), "indicator_rows", len(res.Indicators), "rule_results", len(vs))
	return res, vs, nil
}

// read reads the province-year's deduplicated events and the times of the
// deployment documents outside them that the rules need.
func read(ctx context.Context, db *clickhouse.DB, province string, year int) (*columnar.Events, rules.DocumentTimes, error) {
	ev, err := db.ReadEvents(ctx, province, year)
	if err != nil {
		return nil, nil, err
	}
	external, err := rules.ExternalDocuments(ev)
	if err == nil {
		var docs rules.DocumentTimes
		if docs, err = db.DocumentTimes(ctx, external); err == nil {
			return ev, docs, nil
		}
	}
	ev.Release()
	return nil, nil, fmt.Errorf("transform %s/%d: %w", province, year, err)
}

// write stores the indicators and replaces the rule results, side by
// side (two inserts, two server threads).
func write(ctx context.Context, db *clickhouse.DB, province string, year int, res *indicator.Result, vs []bw.Violation) error {
	indErr := make(chan error, 1)
	go func() { indErr <- db.InsertIndicators(ctx, province, res.Indicators) }()
	err := db.ReplaceRuleResults(ctx, province, year, res.Counties, vs, res.IssuerNames)
	return errors.Join(<-indErr, err)
}

func (cfg Config) evaluator() Evaluator {
	if cfg.Evaluate != nil {
		return cfg.Evaluate
	}
	return rules.Evaluate
}

// pack is the province's rule pack with its baseline year resolved.
func (cfg Config) pack(province string) rules.Pack {
	pack := cfg.Packs.For(province)
	pack.BaselineYear = cfg.baselineYear(pack, province)
	return pack
}

// baselineYear resolves the province's baseline year: the override, the
// pack's, the regulation's default, else 0 (latest before the year).
func (cfg Config) baselineYear(pack rules.Pack, province string) int {
	if y, ok := cfg.BaselineYears[province]; ok && y != 0 {
		return y
	}
	if pack.BaselineYear != 0 {
		return pack.BaselineYear
	}
	return DefaultBaselineYears()[province]
}

func logf(cfg Config, msg string, args ...any) {
	if cfg.Log != nil {
		cfg.Log.Info(msg, args...)
	}
}
