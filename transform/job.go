package transform

import (
	"context"
	"fmt"
	"reflect"
	"runtime"
	"time"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/clickhouse"
	"github.com/burdenwatch/burdenwatch/columnar"
	"github.com/burdenwatch/burdenwatch/indicator"
	"github.com/burdenwatch/burdenwatch/rules"
)

// DefaultMaxCachedEvents is the number of deduplicated events a Job keeps
// in memory between runs when Config.MaxCachedEvents is 0: two million
// events, ≈ 850 MiB with their results and rules state. A province-year
// that does not fit is computed by the full path (read from ClickHouse,
// compare with the stored rows) on every run, as Run does.
const DefaultMaxCachedEvents = 2_000_000

// Job is the stateful transformer of a long-running process (transform
// --follow): its runs give the same results as Run, but it keeps, per
// province-year it computed, the deduplicated events and the results as
// stored, so that a later run reads only the events delivered since
// (clickhouse.DB.ReadEventsSince), merges them and compares the new
// results with the kept ones instead of reading the stored rows. The
// first run, a run after an error, a run with Config.Full and a run after
// another process moved the stored watermarks take the full path and
// refill the cache. A Job is not safe for concurrent use.
type Job struct {
	db    *clickhouse.DB
	cfg   Config
	cache map[clickhouse.ProvinceYear]*cachedYear
	saved state // the state the last successful run stored
	valid bool  // saved is set and the cache matches it
}

// cachedYear is what a Job keeps of one province-year.
type cachedYear struct {
	ev     *columnar.Events
	stored *clickhouse.StoredResults
	rules  *rules.State      // the rules' evaluation of ev; nil with Config.Evaluate
	ref    *bw.ReferenceData // the reference data rules was made with
	added  *columnar.Events  // the delta of this run (records shared with ev)
	redo   bool              // the delta replaced kept events: rules starts again
}

// NewJob returns a Job that runs with cfg on db; the cache starts empty.
func NewJob(db *clickhouse.DB, cfg Config) *Job {
	return &Job{db: db, cfg: cfg, cache: map[clickhouse.ProvinceYear]*cachedYear{}}
}

// SetFull sets Config.Full for the following runs.
func (j *Job) SetFull(full bool) { j.cfg.Full = full }

// CachedEvents is the number of events the Job keeps.
func (j *Job) CachedEvents() int {
	n := 0
	for _, c := range j.cache {
		n += c.ev.Len()
	}
	return n
}

// Close releases the kept events; the Job starts cold again.
func (j *Job) Close() { j.drop() }

func (j *Job) drop() {
	for py, c := range j.cache {
		c.ev.Release()
		delete(j.cache, py)
	}
	j.valid = false
}

// Run finds the province-years with new events or recompute requests (all
// of them with Config.Full), recomputes them and advances the watermarks,
// as the package's Run does.
func (j *Job) Run(ctx context.Context) (*Summary, error) {
	t0 := time.Now()
	sum, err := j.run(ctx)
	if err != nil {
		// A failed run may have written part of its results: start cold.
		j.drop()
	}
	j.cfg.Metrics.observe(sum, err, time.Since(t0))
	// The garbage of this run is collected now, while the process waits
	// for the next events, not in the middle of the next run: with the
	// kept events and rules state live, a collection marks some hundred
	// MiB, and the next run's allocations stay below the next trigger.
	if len(j.cache) > 0 {
		go runtime.GC()
	}
	return sum, err
}

func (j *Job) run(ctx context.Context) (*Summary, error) {
	t0 := time.Now()
	w, err := findWork(ctx, j.db, j.cfg)
	if err != nil {
		return nil, err
	}
	// The pending count is left out: merges of duplicates may lower the
	// count stored under the same watermark without anyone else running.
	moved := w.from.watermark != j.saved.watermark || w.from.top != j.saved.top || w.from.requests != j.saved.requests
	if !j.valid || moved || j.cfg.Full || j.cfg.maxCachedEvents() <= 0 {
		j.drop() // another process ran, or the cache is off or not wanted
	}
	sum := &Summary{ByRule: map[string]int{}, Latest: map[string]LatestMonth{},
		Results: map[clickhouse.ProvinceYear]*indicator.Result{}}
	if len(w.pys) > 0 {
		ref, err := j.db.ReferenceData(ctx)
		if err != nil {
			return nil, err
		}
		sum.CountyNames = map[string]string{}
		for _, p := range ref.ObservationPoints {
			sum.CountyNames[p.CountyCode] = p.CountyName
		}
		for _, py := range w.pys {
			res, vs, err := j.recompute(ctx, ref, py, w)
			if err != nil {
				return nil, err
			}
			sum.add(py, res, vs)
		}
	}
	if err := saveState(ctx, j.db, w); err != nil {
		return nil, err
	}
	j.saved, j.valid = w.reached(), true
	sum.Took = time.Since(t0)
	return sum, nil
}

// recompute computes and stores one province-year: from the kept events
// and the events delivered after the run's starting watermark when it is
// cached, else from a full read.
func (j *Job) recompute(ctx context.Context, ref *bw.ReferenceData, py clickhouse.ProvinceYear,
	w work) (*indicator.Result, []bw.Violation, error) {
	t0 := time.Now()
	c, hit := j.cache[py]
	mode := "incremental"
	if hit {
		d, err := j.readDelta(ctx, py, w)
		if err != nil {
			return nil, nil, fmt.Errorf("transform %s/%d: %w", py.Province, py.Year, err)
		}
		if err := c.apply(d); err != nil {
			return nil, nil, fmt.Errorf("transform %s/%d: %w", py.Province, py.Year, err)
		}
		defer func() { c.added = nil }()
	} else {
		mode = "full"
		ev, err := j.db.ReadEvents(ctx, py.Province, py.Year)
		if err != nil {
			return nil, nil, err
		}
		c = &cachedYear{ev: ev}
		if j.fits(py, ev.Len()) {
			if c.stored, err = j.db.ReadStoredResults(ctx, py.Province, py.Year); err == nil {
				err = c.compact() // the read's small blocks, before later runs pay for them
			}
		} // else: written as Run writes, nothing prepared for keeping
		if err != nil {
			ev.Release()
			return nil, nil, fmt.Errorf("transform %s/%d: %w", py.Province, py.Year, err)
		}
	}
	tEvents := time.Now()
	keep := false
	defer func() {
		if !keep {
			delete(j.cache, py)
			c.ev.Release()
		}
	}()
	external, err := rules.ExternalDocuments(c.ev)
	if err != nil {
		return nil, nil, fmt.Errorf("transform %s/%d: %w", py.Province, py.Year, err)
	}
	docs, err := j.db.DocumentTimes(ctx, external)
	if err != nil {
		return nil, nil, fmt.Errorf("transform %s/%d: %w", py.Province, py.Year, err)
	}
	tRead := time.Now()
	res, vs, tRules, tCompute, tAlerts, err := compute(ctx, j.cfg, ref, c.ev, py.Province, py.Year,
		func(pack rules.Pack) ([]bw.Violation, error) { return c.evaluate(j.cfg, pack, ref, docs, py) })
	if err != nil {
		return nil, nil, err
	}
	if hit { // the delta's small blocks, before later runs pay for them (a full read compacted above)
		if err := c.compact(); err != nil {
			return nil, nil, fmt.Errorf("transform %s/%d: %w", py.Province, py.Year, err)
		}
	}
	if c.stored != nil {
		err = j.db.WriteResults(ctx, c.stored, res.Indicators, res.Counties, vs, res.IssuerNames)
	} else {
		err = write(ctx, j.db, py.Province, py.Year, res, vs)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("transform %s/%d: %w", py.Province, py.Year, err)
	}
	n := c.ev.Len()
	if keep = c.stored != nil && j.fits(py, n); keep {
		j.cache[py] = c
	}
	logf(j.cfg, "recomputed", "province", py.Province, "year", py.Year, "mode", mode, "events", n,
		"read", tRead.Sub(t0), "read_events", tEvents.Sub(t0), "rules", tRules.Sub(tRead), "indicators", tCompute.Sub(tRules),
		"alerts", tAlerts.Sub(tCompute), "write", time.Since(tAlerts), "indicator_rows", len(res.Indicators),
		"rule_results", len(vs), "cached", keep)
	return res, vs, nil
}

// readDelta reads what changed in py since the run's starting watermark,
// with the duplicates findWork found when it did.
func (j *Job) readDelta(ctx context.Context, py clickhouse.ProvinceYear, w work) (*clickhouse.EventDelta, error) {
	if w.touched != nil { // found above w.from.watermark by findWork
		return j.db.ReadTouched(ctx, w.touched, py.Province, py.Year)
	}
	return j.db.ReadEventsSince(ctx, py.Province, py.Year, w.from.watermark)
}

// fits reports whether n events of py can be kept besides the kept events
// of the other province-years.
func (j *Job) fits(py clickhouse.ProvinceYear, n int) bool {
	for k, c := range j.cache {
		if k != py {
			n += c.ev.Len()
		}
	}
	return n <= j.cfg.maxCachedEvents()
}

// evaluate checks the rules of the province-year: the kept State adds
// this run's delta when it can (the delta only added events, the
// reference data is the same), else a new State evaluates every event.
// Config.Evaluate, when set, evaluates every event and nothing is kept.
func (c *cachedYear) evaluate(cfg Config, pack rules.Pack, ref *bw.ReferenceData, docs rules.DocumentTimes,
	py clickhouse.ProvinceYear) ([]bw.Violation, error) {
	if cfg.Evaluate != nil {
		c.rules = nil
		return cfg.Evaluate(pack, c.ev, ref, docs)
	}
	added := c.added
	if c.rules == nil || added == nil || c.redo || !reflect.DeepEqual(c.ref, ref) {
		s, err := rules.NewState(pack, py.Province, py.Year, ref)
		if err != nil {
			return nil, err
		}
		c.rules, c.ref, added = s, ref, c.ev
	}
	vs, err := c.rules.Add(added, c.ev, docs)
	if err == nil && c.stored != nil { // to be kept
		c.rules.Prepare() // while the results are written
	}
	return vs, err
}

// compute is the rules (evaluate), indicators and alerts steps of a
// recompute; it returns the times each step ended.
func compute(ctx context.Context, cfg Config, ref *bw.ReferenceData, ev *columnar.Events, province string, year int,
	evaluate func(rules.Pack) ([]bw.Violation, error)) (res *indicator.Result, vs []bw.Violation, tRules, tCompute, tAlerts time.Time, err error) {
	pack := cfg.pack(province)
	// The event sums of the indicators need no rule results: they are
	// accumulated beside the rules (2 cores), only the count of results
	// and the indicators themselves wait for them.
	var part *indicator.Partial
	var partErr error
	summed := make(chan struct{})
	go func() {
		defer close(summed)
		part, partErr = indicator.Accumulate(ev, ref)
	}()
	vs, err = evaluate(pack)
	<-summed
	if err == nil {
		err = partErr
	}
	if err != nil {
		err = fmt.Errorf("transform %s/%d: %w", province, year, err)
		return
	}
	tRules = time.Now()
	res = part.Finish(indicator.Input{Events: ev, Ref: ref, Violations: vs,
		BaselineYear: pack.BaselineYear, Index: cfg.Index})
	tCompute = time.Now()
	if err = alerts(ctx, cfg, pack, ev, ref, res); err != nil {
		err = fmt.Errorf("transform %s/%d: %w", province, year, err)
		return
	}
	tAlerts = time.Now()
	return
}

func (cfg Config) maxCachedEvents() int {
	if cfg.MaxCachedEvents == 0 {
		return DefaultMaxCachedEvents
	}
	return cfg.MaxCachedEvents
}
