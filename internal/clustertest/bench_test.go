package clustertest

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/burdenwatch/burdenwatch/clickhouse"
	"github.com/burdenwatch/burdenwatch/ingest"
	"github.com/burdenwatch/burdenwatch/internal/testenv"
)

// benchScale is the simulated province-year's scale for the benchmark
// (BURDENWATCH_BENCH_SCALE, default 1: a realistic year).
func benchScale() float64 {
	if v, err := strconv.ParseFloat(os.Getenv("BURDENWATCH_BENCH_SCALE"), 64); err == nil && v > 0 {
		return v
	}
	return 1
}

// target is where a benchmark run writes: one server or the cluster.
type target struct {
	name  string
	store ingest.Store
	entry *clickhouse.DB
}

func newTarget(b *testing.B, name string) target {
	switch name {
	case "cluster":
		c := Cluster(b, 2)
		return target{name, c, c.Entry()}
	case "cluster-q1": // without insert_quorum: what the quorum costs
		c := Cluster(b, 0)
		return target{name, c, c.Entry()}
	}
	db, _ := testenv.ClickHouse(b)
	return target{name, db, db}
}

// BenchmarkCluster measures ingest with 1, 2 and 3 instances in one
// consumer group (a 6-partition topic on 3 brokers) and the transform of
// the province-year, on one server and on the cluster (with insert_quorum 2,
// and without as cluster-q1), with the same messages. events/s is messages over the busy time: from the first
// message fetched by any instance to the last batch flushed by any.
func BenchmarkCluster(b *testing.B) {
	Require(b)
	Exclusive(b)
	p := Simulate(b, province, benchScale())
	b.Logf("simulated %d messages (scale %g)", len(p.Messages), benchScale())
	for _, name := range []string{"single", "cluster", "cluster-q1"} {
		for _, n := range []int{1, 2, 3} {
			b.Run(fmt.Sprintf("%s/ingest/instances=%d", name, n), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					eps := ingestRun(b, p, newTarget(b, name), n)
					b.ReportMetric(eps, "events/s")
				}
			})
		}
		if name == "cluster-q1" {
			continue // the same transform as "cluster"
		}
		b.Run(name+"/transform", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				tg := newTarget(b, name)
				ingestRun(b, p, tg, 1)
				b.StartTimer()
				t0 := time.Now()
				if _, err := Transform(context.Background(), tg.entry); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(time.Since(t0).Seconds(), "s/province-year")
			}
		})
	}
}

// ingestRun publishes the province to a fresh broker and ingests it into
// tg with n instances; it returns the messages per second of busy time.
func ingestRun(b *testing.B, p *Province, tg target, n int) float64 {
	b.StopTimer()
	defer b.StartTimer()
	ctx := context.Background()
	brokers := startBroker(b)
	p.LoadRefData(ctx, b, tg.entry)
	p.Publish(ctx, b, brokers, topic)
	stats := make([]ingest.Stats, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	b.StartTimer()
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stats[i], errs[i] = Ingest(ctx, p.Ref, tg.store, IngestOptions{Brokers: brokers, Topic: topic, Group: "bench", UntilIdle: true})
		}()
	}
	wg.Wait()
	b.StopTimer()
	var first, last time.Time
	msgs := 0
	for i, s := range stats {
		if errs[i] != nil {
			b.Fatalf("%s ingest instance %d: %v", tg.name, i+1, errs[i])
		}
		msgs += s.Messages
		if s.Messages == 0 {
			continue
		}
		if first.IsZero() || s.FirstFetch.Before(first) {
			first = s.FirstFetch
		}
		if s.LastFlush.After(last) {
			last = s.LastFlush
		}
	}
	if msgs < len(p.Messages) {
		b.Fatalf("%s: ingested %d of %d messages", tg.name, msgs, len(p.Messages))
	}
	return float64(msgs) / last.Sub(first).Seconds()
}
