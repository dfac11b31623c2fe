package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	bw "github.com/burdenwatch/burdenwatch"
	"github.com/burdenwatch/burdenwatch/clickhouse"
	"github.com/burdenwatch/burdenwatch/ingest"
	"github.com/burdenwatch/burdenwatch/kafka"
)

func ingestCommand(a *app) *cobra.Command {
	cfg := ingest.Config{BatchSize: 100000, FlushInterval: time.Second, Workers: 2, IdleTimeout: 2 * time.Second}
	var brokers string
	var ch clickhouseFlags
	var cluster clusterFlags
	cmd := &cobra.Command{
		Use:   "ingest",
		Short: "从 Kafka 读取负担事件写入 ClickHouse（无效消息进入死信表并注明原因）",
		Long: "从 Kafka 读取负担事件，逐字段校验后写入 ClickHouse；无效消息连同原始字节和原因写入死信表。" +
			"ClickHouse 接受一批之后才提交消费位点，重启不丢不重。",
		Example: "  burdenwatch ingest\n  burdenwatch ingest --until-idle\n" +
			"  burdenwatch ingest --brokers kafka-1:9092,kafka-2:9092 --clickhouse clickhouse://default@db1:9000/burdenwatch",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runIngest(cmd.Context(), a, cfg, splitList(brokers), &ch, &cluster)
		},
	}
	fs := cmd.Flags()
	brokersFlag(fs, &brokers)
	topicFlag(fs, &cfg.Topic, "事件主题")
	groupFlag(fs, &cfg.Group)
	ch.register(fs)
	cluster.register(fs, true)
	fs.BoolVar(&cfg.UntilIdle, "until-idle", cfg.UntilIdle, "读完积压消息后退出")
	fs.DurationVar(&cfg.IdleTimeout, "idle-timeout", cfg.IdleTimeout, "多长时间没有新消息视为空闲")
	fs.IntVar(&cfg.BatchSize, "batch-size", cfg.BatchSize, "每批最多消息数")
	fs.DurationVar(&cfg.FlushInterval, "flush-interval", cfg.FlushInterval, "每批最长等待时间")
	fs.IntVar(&cfg.Workers, "workers", cfg.Workers, "并行解析线程数")
	return cmd
}

func runIngest(ctx context.Context, a *app, cfg ingest.Config, brokers []string, ch *clickhouseFlags, cluster *clusterFlags) error {
	db, err := ch.open(ctx, false)
	if err != nil {
		return err
	}
	defer db.Close()
	store, closeStore, err := cluster.store(ctx, ch, a, db)
	if err != nil {
		return err
	}
	defer closeStore()
	if err := kafka.Ping(ctx, brokers); err != nil {
		return err
	}
	points, err := db.ObservationPoints(ctx)
	if err != nil {
		return err
	}
	if len(points) == 0 {
		a.log.Warn("no observation points loaded: every event will be dead-lettered; run `burdenwatch refdata load DIR` first")
	}
	var current atomic.Pointer[map[string]bw.ObservationPoint]
	current.Store(&points)
	go refreshPoints(ctx, a, db, &current)
	cons, err := kafka.NewConsumer(kafka.ConsumerConfig{Brokers: brokers, Topic: cfg.Topic, Group: cfg.Group, Log: a.log})
	if err != nil {
		return err
	}
	defer cons.Close()
	cfg.Lag = func(ctx context.Context) (int64, error) { return kafka.Lag(ctx, brokers, cfg.Topic, cfg.Group) }
	cfg.Points = func() map[string]bw.ObservationPoint { return *current.Load() }
	cfg.Location, cfg.Log = bw.Location(), a.log
	stats, err := ingest.New(cfg, cons, store).Run(ctx)
	printIngestSummary(a.stdout, stats)
	return err
}

// refreshPoints reloads the observation points every 30 seconds, so a
// reference data load takes effect without a restart.
func refreshPoints(ctx context.Context, a *app, db *clickhouse.DB, cur *atomic.Pointer[map[string]bw.ObservationPoint]) {
	t := time.NewTicker(30 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			p, err := db.ObservationPoints(ctx)
			if err != nil {
				a.log.Warn("could not refresh observation points", "err", err)
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
