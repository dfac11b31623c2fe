package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sort"
	"sync/atomic"
	"time"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/clickhouse"
	"github.com/burdenwatch/burdenwatch/config"
	"github.com/burdenwatch/burdenwatch/ingest"
	"github.com/burdenwatch/burdenwatch/kafka"
)

func ingestCommand() command {
	return command{
		name:    "ingest",
		summary: "从 Kafka 读取负担事件写入 ClickHouse（无效消息进入死信表并注明原因）",
		flags: func(fs *flag.FlagSet, c *config.Config) {
			connectionFlags(fs, c, true, true)
			fs.BoolVar(&c.UntilIdle, "until-idle", c.UntilIdle, "读完积压消息后退出")
			fs.DurationVar(&c.IdleTimeout, "idle-timeout", c.IdleTimeout, "多长时间没有新消息视为空闲")
			fs.IntVar(&c.BatchSize, "batch-size", c.BatchSize, "每批最多消息数")
			fs.DurationVar(&c.FlushInterval, "flush-interval", c.FlushInterval, "每批最长等待时间")
			fs.IntVar(&c.Workers, "workers", c.Workers, "并行解析线程数")
		},
		run: runIngest,
	}
}

func runIngest(ctx context.Context, e *env, _ []string) error {
	db, err := clickhouse.Open(ctx, e.cfg.ClickHouse, false)
	if err != nil {
		return err
	}
	defer db.Close()
	brokers := e.cfg.BrokerList()
	if err := kafka.Ping(ctx, brokers); err != nil {
		return err
	}
	points, err := db.ObservationPoints(ctx)
	if err != nil {
		return err
	}
	if len(points) == 0 {
		e.log.Warn("no observation points loaded: every event will be dead-lettered; run `burdenwatch refdata load DIR` first")
	}
	var current atomic.Pointer[map[string]bw.ObservationPoint]
	current.Store(&points)
	go refreshPoints(ctx, e, db, &current)
	cons := kafka.NewConsumer(brokers, e.cfg.Topic, e.cfg.Group, e.log)
	defer cons.Close()
	loc, _ := time.LoadLocation("Asia/Shanghai")
	in := ingest.New(ingest.Config{
		Topic: e.cfg.Topic, Group: e.cfg.Group, BatchSize: e.cfg.BatchSize, FlushInterval: e.cfg.FlushInterval,
		Workers: e.cfg.Workers, UntilIdle: e.cfg.UntilIdle, IdleTimeout: e.cfg.IdleTimeout,
		Lag:      func(ctx context.Context) (int64, error) { return kafka.Lag(ctx, brokers, e.cfg.Topic, e.cfg.Group) },
		Points:   func() map[string]bw.ObservationPoint { return *current.Load() },
		Location: loc, Log: e.log,
	}, cons, db)
	stats, err := in.Run(ctx)
	printIngestSummary(e.stdout, stats)
	return err
}

// refreshPoints reloads the observation points every 30 seconds, so a
// reference data load takes effect without a restart.
func refreshPoints(ctx context.Context, e *env, db *clickhouse.DB, cur *atomic.Pointer[map[string]bw.ObservationPoint]) {
	t := time.NewTicker(30 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			p, err := db.ObservationPoints(ctx)
			if err != nil {
				e.log.Warn("could not refresh observation points", "err", err)
				continue
			}
			cur.Store(&p)
		}
	}
}

var kindNames = map[bw.Kind]string{
	bw.KindDocument: "发文", bw.KindMeeting: "会议", bw.KindInspection: "督查检查考核", bw.KindDataReport: "填表报数",
}

func printIngestSummary(w io.Writer, s ingest.Stats) {
	fmt.Fprintf(w, "\n== 接入汇总 ==\n消息 %d 条，有效事件 %d 条，死信 %d 条，%d 批；总用时 %s，处理用时 %s，%.0f 条/秒\n",
		s.Messages, s.Events, s.DeadLetters, s.Batches, elapsed(s.Elapsed), elapsed(s.Busy()), s.EventsPerSecond())
	fmt.Fprintln(w, "按类型:")
	for _, k := range bw.Kinds {
		fmt.Fprintf(w, "  %-12s %-8s %d\n", k, kindNames[k], s.ByKind[k])
	}
	if len(s.ByReason) > 0 {
		fmt.Fprintln(w, "死信原因:")
		reasons := make([]string, 0, len(s.ByReason))
		for r := range s.ByReason {
			reasons = append(reasons, r)
		}
		sort.Strings(reasons)
		for _, r := range reasons {
			fmt.Fprintf(w, "  %-24s %d\n", r, s.ByReason[r])
		}
	}
}
