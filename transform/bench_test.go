package transform_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"
	"time"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/clickhouse"
	"github.com/burdenwatch/burdenwatch/internal/procstat"
	"github.com/burdenwatch/burdenwatch/internal/testenv"
	"github.com/burdenwatch/burdenwatch/transform"
)

// benchEvents is the size of the benchmark province-year: 1M events, or
// 10M with BURDENWATCH_BENCH_BIG=1.
func benchEvents() int {
	if os.Getenv("BURDENWATCH_BENCH_BIG") == "1" {
		return 10_000_000
	}
	return 1_000_000
}

// benchCounties is the number of counties of the benchmark: about 5,000
// events a county-year, the load of a busy observation point.
func benchCounties() int { return benchEvents() / 5000 }

// benchReference is Hunan with benchCounties() observation counties from
// 430101, quotas, baselines and the plan items the generated inspections
// use.
func benchReference() *bw.ReferenceData {
	ref := &bw.ReferenceData{VetoList: []bw.VetoListItem{{ProvinceCode: "43", Item: "安全生产"}}}
	from := time.Date(2024, 1, 1, 0, 0, 0, 0, shanghai)
	for c := 430101; c < 430101+benchCounties(); c++ {
		code := fmt.Sprint(c)
		ref.ObservationPoints = append(ref.ObservationPoints, bw.ObservationPoint{ProvinceCode: "43", CountyCode: code, CountyName: code, DesignatedFrom: from})
		ref.Quotas = append(ref.Quotas, bw.Quota{Year: 2025, CountyCode: code, Documents: ptr(2200), Meetings: ptr(1300)})
		ref.Baselines = append(ref.Baselines, bw.Baseline{Year: 2024, CountyCode: code, Documents: ptr(2100), Meetings: ptr(1300), Inspections: ptr(700)})
	}
	for i := 0; i < 60; i++ {
		for p := 0; p < 3; p++ {
			ref.Plan = append(ref.Plan, bw.PlanItem{Year: 2025, IssuerCode: fmt.Sprintf("HN-ISS-%d", i),
				PlanCode: fmt.Sprintf("HN-2025-%d-0%d", i, p), Category: "special", MaxVisitsPerUnit: 1000})
		}
	}
	return ref
}

// generate inserts n events of province 43 spread over months first–last
// of 2025 with ClickHouse itself (INSERT … SELECT from numbers()): 15%
// inspections, 25% meetings, 40% documents, 20% forms over benchCounties()
// counties, 60 issuers and 40 townships per county; a few percent of them
// break a rule.
func generate(tb testing.TB, db *clickhouse.DB, prefix string, n, first, last int) {
	tb.Helper()
	start := time.Date(2025, time.Month(first), 1, 0, 0, 0, 0, shanghai)
	end := time.Date(2025, time.Month(last)+1, 1, 0, 0, 0, 0, shanghai)
	const chunk = 1_000_000 // one INSERT stays well inside the driver's read timeout
	for off := 0; off < n; off += chunk {
		r := strings.NewReplacer("$PREFIX", prefix, "$N", fmt.Sprint(min(chunk, n-off)), "$OFF", fmt.Sprint(off),
			"$START", fmt.Sprint(start.Unix()), "$SPAN", fmt.Sprint(int64(end.Sub(start).Seconds())),
			"$SEQ", fmt.Sprint(time.Now().UnixNano()), "$COUNTIES", fmt.Sprint(benchCounties()))
		if err := db.Exec(context.Background(), r.Replace(generateSQL)); err != nil {
			tb.Fatal(err)
		}
	}
}

const generateSQL = `INSERT INTO events (event_id, revision, version, kind, occurred_at, province_code, county_code,
 unit_code, bearing_unit, target_level, issuer_code, issuer_name, issuer_level, issuer_kind, source, category,
 plan_code, inspection_code, approved, mode, on_site, end_at, team_size, accompanying, principal_accompanied,
 materials_requested, comprehensive_material, sampled_units, total_units, deployment_doc_id, topic,
 accountability_demanded, title, duration_minutes, attendees, ` + "`format`" + `, scale, cascade_required, doc_number,
 doc_type, pages, requires_supporting_docs, requires_upward_report, veto_items, pledges, form_id, fields,
 duplicate_fields, estimated_minutes, frequency, via_platform, approved_survey, kafka_topic, kafka_partition,
 kafka_offset, ingest_seq, ingested_at)
SELECT concat('$PREFIX', toString(number)), 0, 0,
 multiIf(h % 100 < 15, 'inspection', h % 100 < 40, 'meeting', h % 100 < 80, 'document', 'data_report') AS k,
 toDateTime($START + h2 % $SPAN, 'Asia/Shanghai') AS at, '43', toString(430101 + h3 % $COUNTIES) AS county,
 if(h3 % 7 < 3, concat(county, toString(100 + h3 % 40)), '') AS unit, if(unit = '', county, unit),
 multiIf(unit = '', 'county', h3 % 7 = 0, 'village', 'township'),
 concat('HN-ISS-', toString(h4 % 60)), concat('湖南省部门', toString(h4 % 60)),
 multiIf(h4 % 60 < 5, 'central', h4 % 60 < 30, 'province', h4 % 60 < 50, 'city', 'county'), 'department', 'bench',
 if(k = 'inspection', ['special', 'research', 'routine', 'special', 'appraisal'][1 + h5 % 5], ''),
 if(k = 'inspection' AND h5 % 50 > 0, concat('HN-2025-', toString(h4 % 60), '-0', toString(h5 % 3)), ''),
 if(k = 'inspection' AND h5 % 40 > 0, concat('IC-', toString(number)), ''),
 if(k = 'inspection', h5 % 60 > 0, 0), if(k = 'inspection', ['covert', 'overt', 'written', 'online'][1 + h6 % 4], ''),
 if(k = 'inspection', h6 % 3 < 2, 0), at + 7200, h6 % 8, if(k = 'inspection', h6 % 6, 0),
 if(k = 'inspection', h6 % 97 = 0, 0), if(k = 'inspection', h6 % 5, 0), 0,
 if(k = 'inspection', 1, 0), if(k = 'inspection', 3 + h6 % 9, 0), '', '', 0,
 if(k = 'meeting', '工作推进会', ''), if(k = 'meeting', 30 + h7 % 150, 0), if(k = 'meeting', 1 + h7 % 20, 0),
 if(k = 'meeting', ['in_person', 'video'][1 + h7 % 2], ''), if(k = 'meeting', ['large', 'medium', 'small'][1 + h7 % 3], ''),
 if(k = 'meeting', h7 % 89 = 0, 0),
 if(k = 'document', concat('湘政办发〔2025〕', toString(h7 % 300), '号'), ''),
 if(k = 'document', ['policy', 'normative', 'notice', 'briefing', 'plan', 'decision'][1 + h8 % 6], ''),
 if(k = 'document', 1 + h8 % 11, 0), if(k = 'document', h8 % 83 = 0, 0), if(k = 'document', h8 % 79 = 0, 0),
 if(k = 'document' AND h8 % 101 = 0, ['安全生产'], emptyArrayString()), if(k = 'document', h8 % 23 = 0, 0),
 if(k = 'data_report', concat('F-', toString(h4 % 60)), ''), if(k = 'data_report', 5 + h8 % 60, 0),
 if(k = 'data_report' AND h8 % 71 = 0, 2, 0), if(k = 'data_report', 10 + h8 % 120, 0),
 if(k = 'data_report', 'monthly', ''), if(k = 'data_report', h8 % 3 > 0, 0), if(k = 'data_report', 1, 0),
 'burden.events', 0, number, $SEQ, now()
FROM (SELECT number, cityHash64(number, 1) AS h, cityHash64(number, 2) AS h2, cityHash64(number, 3) AS h3,
 cityHash64(number, 4) AS h4, cityHash64(number, 5) AS h5, cityHash64(number, 6) AS h6,
 cityHash64(number, 7) AS h7, cityHash64(number, 8) AS h8 FROM (SELECT number + $OFF AS number FROM numbers($N)))`

func benchDB(b *testing.B) *clickhouse.DB {
	db, _ := testenv.ClickHouse(b)
	loadRef(b, db, benchReference())
	t0 := time.Now()
	generate(b, db, "bench-", benchEvents(), 1, 12)
	b.Logf("generated %d events in %v", benchEvents(), time.Since(t0))
	return db
}

// benchSize names the benchmark size in the summary lines: 1M or 10M.
func benchSize() string { return fmt.Sprintf("%dM", benchEvents()/1_000_000) }

// readFloor prints the time ClickHouse takes for the queries of the read
// with FORMAT Null: what no client can go below.
func readFloor(b *testing.B, db *clickhouse.DB, what string) {
	t0 := time.Now()
	if err := db.ReadEventsFloor(context.Background(), "43", 2025); err != nil {
		b.Fatal(err)
	}
	fmt.Printf("transform %s read floor (FORMAT Null) s: %.3f\n", what, time.Since(t0).Seconds())
}

// loadAverage is the 1-minute load average, for the record.
func loadAverage() string {
	avg, err := procstat.LoadAverage()
	if err != nil {
		return "unknown"
	}
	return avg[0]
}

// BenchmarkFullRecompute recomputes a whole province-year of benchEvents()
// events: read, rules, indicators, writes. It prints the summary lines
// deploy/bench.sh collects ("transform full 1M s: X"), the read floor
// beside them, and the time of a second full run over unchanged events
// (nothing to write).
func BenchmarkFullRecompute(b *testing.B) {
	db := benchDB(b)
	packs := shippedPacks(b)
	readFloor(b, db, "full "+benchSize())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		resetPeakRSS(b)
		t0 := time.Now()
		sum, err := transform.Run(context.Background(), db, transform.Config{Full: true, Packs: packs, Log: slog.Default()})
		if err != nil {
			b.Fatal(err)
		}
		fmt.Printf("transform full %s s: %.3f\n", benchSize(), time.Since(t0).Seconds())
		fmt.Printf("transform full %s peak RSS MiB: %d\n", benchSize(), peakRSSMiB(b))
		b.ReportMetric(float64(sum.RuleResults), "rule_results")
	}
	b.StopTimer()
	t0 := time.Now()
	if _, err := transform.Run(context.Background(), db, transform.Config{Full: true, Packs: packs, Log: slog.Default()}); err != nil {
		b.Fatal(err)
	}
	fmt.Printf("transform full %s unchanged s: %.3f\n", benchSize(), time.Since(t0).Seconds())
	fmt.Printf("transform load average: %s\n", loadAverage())
	b.ReportMetric(float64(benchEvents())*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkIncrementalMonth adds one month of new events (a twelfth of
// benchEvents(), in December) to a computed province-year and runs the
// incremental transform of a long-running process (transform.Job, as
// transform --follow), which recomputes that province-year from the events
// it kept and the new ones.
func BenchmarkIncrementalMonth(b *testing.B) {
	db := benchDB(b)
	cfg := transform.Config{Packs: shippedPacks(b), Margin: time.Nanosecond, Log: slog.Default()}
	job := transform.NewJob(db, cfg)
	defer job.Close()
	if _, err := job.Run(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		generate(b, db, fmt.Sprintf("inc%d-", i), benchEvents()/12, 12, 12)
		resetPeakRSS(b)
		b.StartTimer()
		t0 := time.Now()
		sum, err := job.Run(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if len(sum.ProvinceYears) != 1 {
			b.Fatalf("incremental run computed %v", sum.ProvinceYears)
		}
		fmt.Printf("transform incremental month s: %.3f\n", time.Since(t0).Seconds())
		fmt.Printf("transform incremental month peak RSS MiB: %d\n", peakRSSMiB(b))
	}
	b.StopTimer()
	heap := func() float64 {
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		return float64(ms.HeapInuse) / (1 << 20)
	}
	cached, with := job.CachedEvents(), heap()
	job.Close()
	fmt.Printf("transform incremental cached events: %d, heap in use MiB: %.0f with the cache, %.0f without\n",
		cached, with, heap())
	readFloor(b, db, "incremental month")
	fmt.Printf("transform load average: %s\n", loadAverage())
}

// BenchmarkReadEvents reads the province-year of benchEvents() events
// into Arrow records, as the full recompute does, and reports the CPU
// seconds of this process per read beside the wall time: the client's
// share of the read, which the shared machine's noise moves less.
func BenchmarkReadEvents(b *testing.B) {
	db := benchDB(b)
	b.ResetTimer()
	cpu0 := processCPU(b)
	for i := 0; i < b.N; i++ {
		ev, err := db.ReadEvents(context.Background(), "43", 2025)
		if err != nil {
			b.Fatal(err)
		}
		ev.Release()
	}
	b.ReportMetric((processCPU(b)-cpu0)/float64(b.N), "cpu-s/op")
}

// processCPU is the user and system CPU time of this process so far, in
// seconds.
func processCPU(b *testing.B) float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// resetPeakRSS returns what the collector freed to the system and resets
// this process's peak resident set, so that peakRSSMiB measures what
// follows and not the data generation before it.
func resetPeakRSS(b *testing.B) {
	debug.FreeOSMemory()
	if err := procstat.ResetPeakRSS(); err != nil {
		b.Fatal(err)
	}
}

// peakRSSMiB is this process's peak resident set since resetPeakRSS, in MiB.
func peakRSSMiB(b *testing.B) int64 {
	kib, err := procstat.PeakRSSKiB("self")
	if err != nil {
		b.Fatal(err)
	}
	return kib >> 10
}
