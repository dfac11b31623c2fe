package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/clickhouse"
	"github.com/burdenwatch/burdenwatch/ingest"
	"github.com/burdenwatch/burdenwatch/internal/procstat"
	"github.com/burdenwatch/burdenwatch/kafka"
)

// childOptions configure the ingest child process; zero values take the
// ingest package's defaults, as `burdenwatch ingest` does.
type childOptions struct {
	on                  bool
	topic, group        string
	batch, workers      int
	writers             int
	budgetMiB, maxMsgKB int
	minPartRows         int
}

func childFlags(c *childOptions) {
	flag.BoolVar(&c.on, "child", false, "run as the ingest child process (internal)")
	flag.StringVar(&c.topic, "child-topic", "", "topic of the child (internal)")
	flag.StringVar(&c.group, "child-group", "", "consumer group of the child (internal)")
	flag.IntVar(&c.batch, "batch-size", ingest.DefaultBatchSize, "ingest batch size (messages)")
	flag.IntVar(&c.workers, "workers", 2, "ingest decode workers")
	flag.IntVar(&c.writers, "writers", 0, "ingest batches written at once (0: ingest's default)")
	flag.IntVar(&c.budgetMiB, "memory-budget-mib", 0, "ingest memory budget in MiB (0: ingest's default)")
	flag.IntVar(&c.maxMsgKB, "max-message-kib", 0, "ingest message size limit in KiB (0: ingest's default)")
	flag.IntVar(&c.minPartRows, "min-part-rows", 0, "rows a month needs to be written in a backlog (0: ingest's default, -1: write batches whole)")
}

// args passes the tuning flags on to the child.
func (c childOptions) args() []string {
	return []string{"-batch-size", strconv.Itoa(c.batch), "-workers", strconv.Itoa(c.workers), "-writers", strconv.Itoa(c.writers),
		"-memory-budget-mib", strconv.Itoa(c.budgetMiB), "-max-message-kib", strconv.Itoa(c.maxMsgKB),
		"-min-part-rows", strconv.Itoa(c.minPartRows)}
}

// childStats is what the child reports on stdout.
type childStats struct {
	Messages, Events, DeadLetters int
	BusyNanos                     int64
	EventParts                    int   // parts the events inserts created
	PeakRSSKiB                    int64 // VmHWM of the child itself
}

// runChild ingests the topic until idle with the group and prints its
// stats as JSON.
func runChild(ctx context.Context, o childOptions) error {
	dsn := os.Getenv("BENCH_CLICKHOUSE_DSN")
	brokers := strings.Split(flag.Lookup("brokers").Value.String(), ",")
	db, err := clickhouse.Open(ctx, dsn, false)
	if err != nil {
		return err
	}
	defer db.Close()
	points, err := db.ObservationPoints(ctx)
	if err != nil {
		return err
	}
	if os.Getenv("GOMEMLIMIT") == "" { // as `burdenwatch ingest` does
		debug.SetMemoryLimit(ingest.SoftMemoryLimit(int64(o.budgetMiB) << 20))
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel()}))
	health := ingest.NewHealth(log, nil)
	cons, err := kafka.NewConsumer(kafka.ConsumerConfig{Brokers: brokers, Topic: o.topic, Group: o.group,
		Log: log, OnConnect: health.KafkaConnect})
	if err != nil {
		return err
	}
	defer cons.Close()
	loc := bw.Location()
	in := ingest.New(ingest.Config{
		Topic: o.topic, Group: o.group, BatchSize: o.batch, FlushInterval: time.Second, Workers: o.workers, Writers: o.writers,
		MemoryBudget: int64(o.budgetMiB) << 20, MaxMessageBytes: o.maxMsgKB << 10, MinPartRows: o.minPartRows,
		UntilIdle: true, IdleTimeout: time.Second, Location: loc, Health: health, Log: log,
		Lag:    func(ctx context.Context) (int64, error) { return kafka.Lag(ctx, brokers, o.topic, o.group) },
		Points: func() map[string]bw.ObservationPoint { return points },
	}, cons, db)
	if path := os.Getenv("BENCH_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	st, err := in.Run(ctx)
	if err != nil {
		return err
	}
	out, err := json.Marshal(childStats{Messages: st.Messages, Events: st.Events, DeadLetters: st.DeadLetters,
		BusyNanos: int64(st.Busy()), EventParts: st.EventParts, PeakRSSKiB: peakRSS("self")})
	if err != nil {
		return err
	}
	_, err = fmt.Println(string(out))
	return err
}

// logLevel is Debug when BENCH_DEBUG is set, else Warn.
func logLevel() slog.Level {
	if os.Getenv("BENCH_DEBUG") != "" {
		return slog.LevelDebug
	}
	return slog.LevelWarn
}

// peakRSS is the peak resident set of /proc/<pid>, in KiB; 0 when it
// cannot be read.
func peakRSS(pid string) int64 {
	n, _ := procstat.PeakRSSKiB(pid)
	return n
}
